//! An NGN area: many homes sharing the Flets Joint distributor, one MAP rule
//! server per VNE and the BR/AFTR, with area-wide faults.
//!
//! Each home is an ordinary one-home [`Simulation`] of its own [`Scenario`]:
//! a template's body with the home's own seed, its own End-user prefix drawn
//! from the VNE's rule table, and the area faults that reach it added to its
//! fault list. Homes interact only through the shared servers
//! ([`servers::AreaServers`]), so the run is one event loop over homes, in
//! the area's order (time, the area's own fault events, home, the home's own
//! order) wherever a server could tell: each home's LAN events run ahead a
//! window at a time, its other events wait in a queue and run in that order,
//! and the BRs' asks are played in that order after each window
//! (`Stepping`). A home's fetches are simulated when they happen (real
//! smoltcp TCP, as in a one-home run); nothing is kept per home between them
//! but the home's compact state.
//!
//! Home 0 runs on the run's seed and the template's own prefix, and its
//! outcome is the run's top-level outcome: an area of one home gives exactly
//! the outcome and digest of the same one-home scenario (its servers' default
//! capacities never hold one home back). The `area` block of the outcome
//! ([`AreaOutcome`]) describes all homes. docs/area.md documents the models.

pub mod outcome;
pub mod servers;

use rand::Rng;

use crate::Outcome;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::{DigestWriter, Observer};
use crate::mape::Ipv6Prefix;
use crate::rng::{SimRng, StreamId, Streams, unit};
use crate::scenario::{FaultKind, FaultSpec, FaultTiming, GatewayModel, Scenario};
use crate::sim::{EngineStats, NoObserver, RunError, Simulation};
use crate::time::{SimDuration, SimTime};
use crate::trace::TraceEvent;

pub use outcome::{AreaOutcome, Distribution, GroupOutcome, RECOVERY_POINTS, RecoveryCurve};
pub use servers::{
    Admission, AreaServers, BrCapacity, BrStats, DistributorCapacity, DistributorStats, RuleServerCapacity,
    RuleServerLimiter, RuleServerStats, SharedBr, SharedDistributor,
};

/// Most homes one area may hold.
pub const MAX_HOMES: u32 = 1_000_000;

/// An area: how many homes, drawn from which templates, sharing which servers, hit by which faults.
#[derive(Clone, Debug)]
pub struct AreaSpec {
    pub homes: u32,
    /// At least one; each home is drawn from them by weight.
    pub templates: Vec<AreaTemplate>,
    pub distributor: DistributorCapacity,
    /// Every VNE's rule server has this capacity.
    pub rule_server: RuleServerCapacity,
    /// Every VNE's BR or AFTR has this capacity.
    pub br: BrSettings,
    pub faults: Vec<AreaFault>,
}

/// The BR/AFTR settings of an area (`area.br`), the same for every VNE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrSettings {
    /// An AFTR's (DS-Lite) session table; a MAP-E BR is stateless and has none.
    pub aftr_max_sessions: u64,
    /// New sessions a second, BR and AFTR alike.
    pub setup: RuleServerCapacity,
}

impl Default for BrSettings {
    fn default() -> Self {
        let aftr = BrCapacity::default_for(true);
        BrSettings {
            aftr_max_sessions: aftr.max_sessions.unwrap_or(u64::MAX),
            setup: aftr.setup,
        }
    }
}

impl BrSettings {
    /// The capacity of a VNE's BR (MAP-E) or AFTR (DS-Lite).
    pub fn capacity_for(&self, mechanism: &crate::mape::Mechanism) -> BrCapacity {
        BrCapacity {
            max_sessions: matches!(mechanism, crate::mape::Mechanism::DsLite { .. })
                .then_some(self.aftr_max_sessions),
            setup: self.setup,
        }
    }
}

/// One kind of home: a one-home scenario body and its weight in the area.
#[derive(Clone, Debug)]
pub struct AreaTemplate {
    pub name: String,
    pub weight: u32,
    /// The home as a one-home scenario (its `area` is `None`).
    pub home: Scenario,
}

/// An area-wide fault.
#[derive(Clone, Debug, PartialEq)]
pub struct AreaFault {
    pub at: SimTime,
    pub kind: AreaFaultKind,
}

/// What an area fault does.
#[derive(Clone, Debug, PartialEq)]
pub enum AreaFaultKind {
    /// Power fails at `share` of the homes (drawn per home) and returns after `duration`
    /// plus a uniform draw of up to `restore_spread` per home.
    PowerCut {
        share: f64,
        duration: SimDuration,
        restore_spread: SimDuration,
    },
    /// A new bundle version reaches `share` of the HGW homes, each at a uniform draw within
    /// `window` from `at` (when Flets Joint tells it, its check): each downloads, installs
    /// and restarts its Java VM ([`FaultKind::BundleUpdate`]).
    BundleRollout { share: f64, window: SimDuration },
    /// The distributor serves fewer downloads at once and/or has less bandwidth.
    DistributorSaturation {
        max_concurrent: Option<u32>,
        bandwidth_bps: Option<u64>,
        duration: Option<SimDuration>,
    },
    /// A rule server (one VNE's, or all) answers fewer requests a second.
    RuleServerRateLimit {
        vne: Option<&'static str>,
        rate_per_second: u32,
        burst: Option<u32>,
        duration: Option<SimDuration>,
    },
    /// The BR (MAP-E) or AFTR (DS-Lite) of one VNE, or of all, forwards nothing: IPv4
    /// sessions fail while the homes' gateways keep their tunnels up.
    BrOutage {
        vne: Option<&'static str>,
        duration: SimDuration,
    },
}

impl AreaFaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            AreaFaultKind::PowerCut { .. } => "area_power_cut",
            AreaFaultKind::BundleRollout { .. } => "bundle_rollout",
            AreaFaultKind::DistributorSaturation { .. } => "distributor_saturation",
            AreaFaultKind::RuleServerRateLimit { .. } => "rule_server_rate_limit",
            AreaFaultKind::BrOutage { .. } => "br_outage",
        }
    }

    /// How long the fault holds the shared servers (`None`: not a server fault, or to the end).
    fn server_duration(&self) -> Option<SimDuration> {
        match self {
            AreaFaultKind::DistributorSaturation { duration, .. }
            | AreaFaultKind::RuleServerRateLimit { duration, .. } => *duration,
            AreaFaultKind::BrOutage { duration, .. } => Some(*duration),
            AreaFaultKind::PowerCut { .. } | AreaFaultKind::BundleRollout { .. } => None,
        }
    }
}

/// One home as the area plans it.
#[derive(Debug)]
struct HomePlan {
    template: u32,
    scenario: Scenario,
    /// When the first area fault reached the home, and from when its recovery is measured
    /// (a power cut: it begins, power returns; a rollout: the update, the same moment).
    hit: Option<(SimTime, SimTime)>,
}

/// Per home, what the area watches while it runs: families seen down after the hit, and
/// when each came back.
#[derive(Clone, Copy, Debug, Default)]
struct Recovery {
    down: [bool; 2],
    restored: [Option<SimTime>; 2],
}

/// The homes of an area, planned from the run's seed: templates, seeds, prefixes, faults.
fn plan_homes(scenario: &Scenario, area: &AreaSpec) -> Vec<HomePlan> {
    let streams = Streams::new(scenario.seed);
    let mut template_rng = streams.rng(StreamId::named("area/template"));
    let mut seed_rng = streams.rng(StreamId::named("area/home-seed"));
    let mut fault_rngs: Vec<SimRng> = (0..area.faults.len())
        .map(|j| streams.rng(StreamId::named("area/fault").child(j as u64)))
        .collect();
    let total_weight: u64 = area.templates.iter().map(|t| u64::from(t.weight)).sum();
    let pools: Vec<PrefixPool> = area
        .templates
        .iter()
        .map(|t| PrefixPool::of(&t.home, &mut streams.rng(StreamId::named("area/prefix"))))
        .collect();
    let mut homes = Vec::with_capacity(area.homes as usize);
    for i in 0..area.homes {
        let template = if area.templates.len() == 1 {
            0
        } else {
            let mut pick = template_rng.next_u64() % total_weight.max(1);
            let mut chosen = area.templates.len() - 1;
            for (k, t) in area.templates.iter().enumerate() {
                if pick < u64::from(t.weight) {
                    chosen = k;
                    break;
                }
                pick -= u64::from(t.weight);
            }
            chosen
        };
        let base = &area.templates[template].home;
        let mut home = base.clone();
        home.name = scenario.name.clone();
        home.seed = if i == 0 {
            scenario.seed
        } else {
            seed_rng.next_u64()
        };
        home.start = scenario.start;
        home.duration = scenario.duration;
        home.area = None;
        if i > 0 {
            home.line.prefix = pools[template].prefix(u64::from(i), base.line.prefix.prefix_len());
        }
        let is_hgw = matches!(base.gateway.model, GatewayModel::Hgw(_));
        let mut hit: Option<(SimTime, SimTime)> = None;
        for (j, fault) in area.faults.iter().enumerate() {
            let rng = &mut fault_rngs[j];
            match &fault.kind {
                AreaFaultKind::PowerCut {
                    share,
                    duration,
                    restore_spread,
                } => {
                    // Both draws for every home, so one home's draws never depend on another's.
                    let hit_draw = unit(rng);
                    let spread = draw_up_to(rng, *restore_spread);
                    if hit_draw < *share {
                        let duration = *duration + spread;
                        home.faults.push(FaultSpec {
                            when: FaultTiming::At(fault.at),
                            kind: FaultKind::PowerCut { duration },
                        });
                        hit.get_or_insert((fault.at, fault.at + duration));
                    }
                }
                AreaFaultKind::BundleRollout { share, window } => {
                    let hit_draw = unit(rng);
                    let offset = draw_up_to(rng, *window);
                    if hit_draw < *share && is_hgw {
                        let at = fault.at + offset;
                        home.faults.push(FaultSpec {
                            when: FaultTiming::At(at),
                            kind: FaultKind::BundleUpdate,
                        });
                        hit.get_or_insert((at, at));
                    }
                }
                _ => {}
            }
        }
        homes.push(HomePlan {
            template: template as u32,
            scenario: home,
            hit,
        });
    }
    homes
}

/// A uniform duration from zero to `max`, both included (one draw).
fn draw_up_to(rng: &mut SimRng, max: SimDuration) -> SimDuration {
    crate::timing::Spread::uniform(SimDuration::ZERO, max)
        .unwrap_or(crate::timing::Spread::fixed(SimDuration::ZERO))
        .draw(rng)
}

/// Where a template's homes get their End-user prefixes: every /56 of the rules of the
/// template's VNE in the template prefix's NGN area (East or West), of the line's own
/// rule when it has one, or of its /32 on a DS-Lite line. Homes take them in a fixed
/// pseudo-random order (a multiplicative permutation), so no two homes share one while
/// there are enough.
#[derive(Debug)]
struct PrefixPool {
    /// (first /56 as a 128-bit address, number of /56s)
    ranges: Vec<(u128, u64)>,
    total: u64,
    multiplier: u64,
    offset: u64,
}

impl PrefixPool {
    fn of(home: &Scenario, rng: &mut SimRng) -> PrefixPool {
        let line = &home.line;
        let block = |p: &Ipv6Prefix| {
            let len = p.prefix_len().min(56);
            let count = 1u64 << (56 - u32::from(len));
            (u128::from(p.addr()), count)
        };
        let ranges: Vec<(u128, u64)> = match (&line.map_rule, line.vne.rule_for(&line.prefix)) {
            (Some(own), _) => vec![block(&own.rule.ipv6_prefix)],
            (None, Some(covering)) => line
                .vne
                .rules()
                .iter()
                .filter(|r| r.area == covering.area)
                .map(|r| block(&r.rule.ipv6_prefix))
                .collect(),
            (None, None) => {
                // A DS-Lite line (no rules): the /32 of its prefix.
                let p = Ipv6Prefix::new(line.prefix.addr(), 32.min(line.prefix.prefix_len()))
                    .unwrap_or(line.prefix);
                vec![block(&p)]
            }
        };
        let total = ranges.iter().map(|r| r.1).sum::<u64>().max(1);
        let mut multiplier = (rng.next_u64() | 1) % total;
        while gcd(multiplier, total) != 1 {
            multiplier += 1;
        }
        let offset = rng.next_u64() % total;
        PrefixPool {
            ranges,
            total,
            multiplier: multiplier.max(1),
            offset,
        }
    }

    /// The prefix of the home with this index (a /56, or its first /64 on an `ra` line).
    fn prefix(&self, index: u64, len: u8) -> Ipv6Prefix {
        let mut k = ((u128::from(self.multiplier) * u128::from(index) + u128::from(self.offset))
            % u128::from(self.total)) as u64;
        let mut base = self.ranges[0].0;
        for &(first, count) in &self.ranges {
            if k < count {
                base = first;
                break;
            }
            k -= count;
        }
        let addr = base + (u128::from(k) << 72);
        Ipv6Prefix::new(addr.into(), len).expect("a /56 or /64 inside the table")
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The area's own events (its server faults), in the order they are filed: each fault's
/// begin, then its end.
#[derive(Clone, Copy, Debug)]
enum AreaEvent {
    FaultBegin(u32),
    FaultEnd(u32),
}

/// How an area orders its homes' events.
///
/// The area's order is time, then the area's own events, then home by index, then each
/// home's own order. Only the shared servers can tell two orders apart, and a home's LAN
/// events (sessions, load samples) ask none but the BR. So [`Stepping::RunAhead`] runs
/// each home's LAN events a window at a time, one home after another while its state is in
/// the cache, and logs its BR asks; its other events (power, boot, fetches, leases,
/// hazards, faults) wait in a queue and run in the area's order. At the window's end the
/// BR log is played in the area's order: the BRs end exactly as if asked at each step,
/// unless an open granted ahead would have been refused. Then the run is made again
/// [`Stepping::InOrder`], every event in the area's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stepping {
    RunAhead,
    InOrder,
}

/// How much simulated time a home's LAN events run ahead of the other homes' (chosen by
/// measurement, BENCHMARKS.md "Areas"): long enough that a home runs a few events each
/// time its state is loaded; the BR log holds the window's IPv4 sessions.
const RUN_AHEAD_WINDOW: SimDuration = SimDuration::from_secs(600);
const _: () = assert!(RUN_AHEAD_WINDOW.as_nanos() <= servers::BR_LOG_MAX_WINDOW.as_nanos());

/// Why a run-ahead area run stopped before its end.
enum Stop {
    /// A BR would have refused an open granted ahead, or a home's run failed (the in-order
    /// run finds which home's failure comes first). Home 0's observer has seen `delivered`
    /// events, all of which the in-order run makes again.
    Again {
        delivered: u64,
    },
    Error(RunError),
}

/// Runs an area scenario to its end: the outcome (home 0's, with the `area` block) and the
/// engine's counters over all homes. `observer` sees home 0's trace.
pub fn run(
    scenario: &Scenario,
    observer: &mut dyn Observer<TraceEvent>,
) -> Result<(Outcome, EngineStats), RunError> {
    let Some(area) = scenario.area.as_deref() else {
        let mut sim = Simulation::new(scenario);
        sim.run_until(sim.end(), observer)?;
        return Ok((sim.outcome(), sim.engine_stats()));
    };
    let plans = plan_homes(scenario, area);
    match run_homes(scenario, area, &plans, observer, Stepping::RunAhead) {
        Ok(done) => Ok(done),
        Err(Stop::Error(e)) => Err(e),
        Err(Stop::Again { delivered }) => {
            let mut rest = SkipFirst {
                skip: delivered,
                inner: observer,
            };
            run_planned_in_order(scenario, area, &plans, &mut rest)
        }
    }
}

/// An area run with every event in the area's order, none run ahead: what [`run`] must
/// equal, for tests (`run` falls back to it by itself when it has to).
#[doc(hidden)]
pub fn run_in_order(
    scenario: &Scenario,
    observer: &mut dyn Observer<TraceEvent>,
) -> Result<(Outcome, EngineStats), RunError> {
    let area = scenario.area.as_deref().expect("an area scenario");
    run_planned_in_order(scenario, area, &plan_homes(scenario, area), observer)
}

fn run_planned_in_order(
    scenario: &Scenario,
    area: &AreaSpec,
    plans: &[HomePlan],
    observer: &mut dyn Observer<TraceEvent>,
) -> Result<(Outcome, EngineStats), RunError> {
    run_homes(scenario, area, plans, observer, Stepping::InOrder).map_err(|stop| match stop {
        Stop::Error(e) => e,
        Stop::Again { .. } => unreachable!("an in-order run is never made again"),
    })
}

/// An area run with the homes' LAN events run ahead, never made again in order: `None`
/// where [`run`] would have to (for tests: that `run` takes the same path).
#[doc(hidden)]
pub fn run_ahead_only(
    scenario: &Scenario,
    observer: &mut dyn Observer<TraceEvent>,
) -> Result<Option<(Outcome, EngineStats)>, RunError> {
    let area = scenario.area.as_deref().expect("an area scenario");
    let plans = plan_homes(scenario, area);
    match run_homes(scenario, area, &plans, observer, Stepping::RunAhead) {
        Ok(done) => Ok(Some(done)),
        Err(Stop::Again { .. }) => Ok(None),
        Err(Stop::Error(e)) => Err(e),
    }
}

/// The homes of an area in motion, with the servers they share.
struct Homes<'s> {
    sims: Vec<Simulation<'s>>,
    /// When each home was hit, apart from its plan: read at every step.
    hits: Vec<Option<(SimTime, SimTime)>>,
    recovery: Vec<Recovery>,
    /// Each home's next event time as last seen (`None`: none left), so a window visits only
    /// the homes with something to do.
    wake: Vec<Option<SimTime>>,
    /// With the home being stepped while it is stepped.
    servers: Option<Box<AreaServers>>,
}

impl Homes<'_> {
    /// Runs home `h`'s events at `at` (with `lan_only`, only until one that is not its LAN's
    /// own), then notes its recovery if every event at `at` is done; whether they are.
    fn step(
        &mut self,
        h: usize,
        at: SimTime,
        lan_only: bool,
        observer: &mut dyn Observer<TraceEvent>,
    ) -> Result<bool, RunError> {
        let sim = &mut self.sims[h];
        let mut servers = self.servers.take().expect("the servers are home");
        servers.lend_to(h as u32, lan_only);
        sim.lend_servers(servers);
        let stepped = if h == 0 {
            sim.run_events_at(at, observer, lan_only)
        } else {
            sim.run_events_at(at, &mut NoObserver, lan_only)
        };
        self.servers = sim.return_servers();
        let done = stepped?;
        if done
            && let Some((from, _)) = self.hits[h]
            && at >= from
        {
            let (v6, v4) = sim.families_up();
            let r = &mut self.recovery[h];
            for (f, up) in [v6, v4].into_iter().enumerate() {
                if !up {
                    r.down[f] = true;
                } else if r.down[f] && r.restored[f].is_none() {
                    r.restored[f] = Some(at);
                }
            }
        }
        Ok(done)
    }

    /// Runs home `h`'s LAN events before `until`, up to its first other event: that event's
    /// time, when there is one before `until`.
    fn run_lan_ahead(
        &mut self,
        h: usize,
        until: SimTime,
        observer: &mut dyn Observer<TraceEvent>,
    ) -> Result<Option<SimTime>, RunError> {
        loop {
            let next = self.sims[h].next_event();
            self.wake[h] = next.map(|(t, _)| t);
            match next {
                Some((t, lan_own)) if t < until => {
                    if !lan_own || !self.step(h, t, true, observer)? {
                        return Ok(Some(t));
                    }
                }
                _ => return Ok(None),
            }
        }
    }
}

fn run_homes(
    scenario: &Scenario,
    area: &AreaSpec,
    plans: &[HomePlan],
    observer: &mut dyn Observer<TraceEvent>,
    stepping: Stepping,
) -> Result<(Outcome, EngineStats), Stop> {
    let run_ahead = stepping == Stepping::RunAhead;
    let sims: Vec<Simulation<'_>> = plans
        .iter()
        .enumerate()
        .map(|(h, p)| {
            let mut sim = Simulation::new(&p.scenario);
            if h > 0 {
                sim.skip_napt_occupancy();
            }
            sim
        })
        .collect();
    let end = SimTime::ZERO + scenario.duration;
    let mut homes = Homes {
        wake: sims.iter().map(|s| s.next_event_time()).collect(),
        sims,
        hits: plans.iter().map(|p| p.hit).collect(),
        recovery: vec![Recovery::default(); plans.len()],
        servers: Some(Box::new(AreaServers::new(
            SharedDistributor::new(area.distributor),
            crate::mape::vne_presets()
                .iter()
                .map(|p| (p.name, RuleServerLimiter::new(area.rule_server)))
                .collect(),
            crate::mape::vne_presets()
                .iter()
                .map(|p| (p.name, SharedBr::new(area.br.capacity_for(&p.mechanism))))
                .collect(),
        ))),
    };
    let mut faults: Vec<(SimTime, AreaEvent)> = Vec::new();
    for (j, fault) in area.faults.iter().enumerate() {
        let at_servers = matches!(
            fault.kind,
            AreaFaultKind::DistributorSaturation { .. }
                | AreaFaultKind::RuleServerRateLimit { .. }
                | AreaFaultKind::BrOutage { .. }
        );
        if at_servers {
            faults.push((fault.at, AreaEvent::FaultBegin(j as u32)));
            if let Some(d) = fault.kind.server_duration() {
                faults.push((fault.at + d, AreaEvent::FaultEnd(j as u32)));
            }
        }
    }
    // Stable: faults at one time keep their filing order.
    faults.sort_by_key(|&(at, _)| at);
    let mut next_fault = 0;
    // Homes waiting to run events in the area's order, earliest (time, home) first. In
    // order, every home with an event left; running ahead, the homes waiting at an event
    // that is not their LAN's own.
    let mut due: BinaryHeap<Reverse<(SimTime, u32)>> = BinaryHeap::new();
    if !run_ahead {
        for (h, wake) in homes.wake.iter().enumerate() {
            if let Some(t) = wake {
                due.push(Reverse((*t, h as u32)));
            }
        }
    }
    // Running ahead, home 0's trace is held until its window's BR log has played.
    let mut held = HeldTrace::default();
    let mut delivered = 0u64;
    let mut window_start = SimTime::ZERO;
    loop {
        let servers = homes.servers.as_deref_mut().expect("the servers are home");
        while let Some(&(at, event)) = faults.get(next_fault)
            && at <= window_start
        {
            match event {
                AreaEvent::FaultBegin(j) => fault_begin(servers, at, &area.faults[j as usize].kind),
                AreaEvent::FaultEnd(j) => fault_end(servers, at, area, &area.faults[j as usize].kind),
            }
            next_fault += 1;
        }
        // Past the end, or the next area event.
        let mut window_end = end + SimDuration::from_nanos(1);
        if let Some(&(at, _)) = faults.get(next_fault) {
            window_end = window_end.min(at);
        }
        let home_zero: &mut dyn Observer<TraceEvent> = if run_ahead { &mut held } else { &mut *observer };
        if run_ahead {
            window_end = window_end.min(window_start + RUN_AHEAD_WINDOW);
            servers.log_br(window_start);
            for h in 0..homes.sims.len() {
                // The homes a few places on start loading while this one runs (two of the
                // stages of [`crate::prefetch`]; 0.9 of the time, BENCHMARKS.md "Areas").
                if let Some(later) = homes.sims.get(h + 4) {
                    later.prefetch_fields();
                }
                if let Some(later) = homes.sims.get(h + 2) {
                    later.prefetch_next();
                }
                if homes.wake[h].is_some_and(|t| t < window_end)
                    && let Some(t) = homes
                        .run_lan_ahead(h, window_end, home_zero)
                        .map_err(|_| Stop::Again { delivered })?
                {
                    due.push(Reverse((t, h as u32)));
                }
            }
        }
        while let Some(&Reverse((t, h))) = due.peek()
            && t < window_end
        {
            due.pop();
            let h = h as usize;
            let stepped = homes.step(h, t, false, home_zero);
            if run_ahead {
                stepped.map_err(|_| Stop::Again { delivered })?;
                if let Some(t) = homes
                    .run_lan_ahead(h, window_end, home_zero)
                    .map_err(|_| Stop::Again { delivered })?
                {
                    due.push(Reverse((t, h as u32)));
                }
            } else {
                stepped.map_err(Stop::Error)?;
                if let Some(next) = homes.sims[h].next_event_time() {
                    due.push(Reverse((next, h as u32)));
                }
            }
        }
        if run_ahead {
            let servers = homes.servers.as_deref_mut().expect("the servers are home");
            servers.play_br_log().map_err(|_| Stop::Again { delivered })?;
            for (at, event) in held.events.drain(..) {
                observer.observe(at, &event);
                delivered += 1;
            }
        }
        if window_end > end {
            break;
        }
        window_start = window_end;
    }
    let servers = homes.servers.take().expect("the servers are home");
    let mut collector = outcome::Collector::new(area);
    let mut engine = EngineStats::default();
    let mut digest = DigestWriter::default();
    let mut home_zero = None;
    for (h, sim) in homes.sims.iter_mut().enumerate() {
        let finished = if h == 0 {
            sim.run_until(end, observer)
        } else {
            sim.run_until(end, &mut NoObserver)
        };
        finished.map_err(Stop::Error)?;
        let stats = sim.engine_stats();
        engine.events += stats.events;
        // The homes' own queues added up: peaks (at most what was pending at once) and means
        // (what the area held on average, each home's mean as its own pops saw it).
        engine.peak_pending += stats.peak_pending;
        engine.mean_pending += stats.mean_pending;
        engine.sessions += stats.sessions;
        digest.u64(h as u64);
        digest.u64(sim.digest_value());
        let o = sim.outcome();
        collector.add(plans[h].template, plans[h].hit, homes.recovery[h], &o);
        if h == 0 {
            home_zero = Some(o);
        }
    }
    let mut outcome = home_zero.expect("an area has at least one home");
    outcome.area = Some(collector.finish(&servers, engine.events, format!("{:016x}", digest.finish())));
    Ok((outcome, engine))
}

/// Home 0's trace events of a run-ahead window, held until its BR log has played.
#[derive(Default)]
struct HeldTrace {
    events: Vec<(SimTime, TraceEvent)>,
}

impl Observer<TraceEvent> for HeldTrace {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        self.events.push((at, event.clone()));
    }
}

/// Passes on all but the first `skip` events (those a run made again has delivered before).
struct SkipFirst<'o> {
    skip: u64,
    inner: &'o mut dyn Observer<TraceEvent>,
}

impl Observer<TraceEvent> for SkipFirst<'_> {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        if self.skip > 0 {
            self.skip -= 1;
        } else {
            self.inner.observe(at, event);
        }
    }
}

fn fault_begin(s: &mut AreaServers, at: SimTime, kind: &AreaFaultKind) {
    match kind {
        AreaFaultKind::DistributorSaturation {
            max_concurrent,
            bandwidth_bps,
            ..
        } => {
            let c = s.distributor.capacity();
            s.distributor.set_capacity(
                at,
                DistributorCapacity {
                    max_concurrent: max_concurrent.unwrap_or(c.max_concurrent),
                    bandwidth_bps: bandwidth_bps.unwrap_or(c.bandwidth_bps),
                    max_queue: c.max_queue,
                },
            );
        }
        AreaFaultKind::RuleServerRateLimit {
            vne,
            rate_per_second,
            burst,
            ..
        } => {
            for (name, limiter) in s.rule_servers.iter_mut() {
                if vne.is_none_or(|v| v == *name) {
                    let burst = burst.unwrap_or(limiter.capacity().burst);
                    limiter.set_capacity(RuleServerCapacity {
                        rate_per_second: *rate_per_second,
                        burst,
                    });
                }
            }
        }
        AreaFaultKind::BrOutage { vne, .. } => {
            for (name, br) in s.brs.iter_mut() {
                if vne.is_none_or(|v| v == *name) {
                    br.down += 1;
                }
            }
        }
        AreaFaultKind::PowerCut { .. } | AreaFaultKind::BundleRollout { .. } => {}
    }
}

fn fault_end(s: &mut AreaServers, at: SimTime, area: &AreaSpec, kind: &AreaFaultKind) {
    match kind {
        AreaFaultKind::DistributorSaturation { .. } => s.distributor.set_capacity(at, area.distributor),
        AreaFaultKind::RuleServerRateLimit { vne, .. } => {
            for (name, limiter) in s.rule_servers.iter_mut() {
                if vne.is_none_or(|v| v == *name) {
                    limiter.set_capacity(area.rule_server);
                }
            }
        }
        AreaFaultKind::BrOutage { vne, .. } => {
            for (name, br) in s.brs.iter_mut() {
                if vne.is_none_or(|v| v == *name) {
                    br.down = br.down.saturating_sub(1);
                }
            }
        }
        AreaFaultKind::PowerCut { .. } | AreaFaultKind::BundleRollout { .. } => {}
    }
}

/// What an area run is expected to cost: each template's one-home estimate times the homes
/// expected of it (a home's event limit is its own, so the limit scales the same way), plus,
/// for each area fault that lands on homes (a power cut, a bundle rollout), what that fault
/// adds to one home's estimate times the share of homes it reaches. A power cut also takes
/// the LAN sessions of its hours away. What the shared servers add (queueing, retries while
/// they are saturated) is not estimated.
pub fn estimate(area: &AreaSpec) -> crate::cost::CostEstimate {
    use crate::cost::{CostEstimate, estimate as one_home};
    let total_weight: f64 = area
        .templates
        .iter()
        .map(|t| f64::from(t.weight))
        .sum::<f64>()
        .max(1.0);
    let mut sum = CostEstimate {
        events: 0.0,
        sessions: 0.0,
        fetches: 0.0,
        cpu_seconds: 0.0,
        limit: 0,
        parts: Vec::new(),
    };
    for t in &area.templates {
        let homes = f64::from(area.homes) * f64::from(t.weight) / total_weight;
        let one = one_home(&t.home);
        let (mut events, mut sessions, mut fetches, mut cpu) =
            (one.events, one.sessions, one.fetches, one.cpu_seconds);
        let run_ns = t.home.duration.as_nanos().max(1) as f64;
        let is_hgw = matches!(t.home.gateway.model, GatewayModel::Hgw(_));
        for fault in &area.faults {
            let (share, kind, off_ns) = match &fault.kind {
                AreaFaultKind::PowerCut {
                    share,
                    duration,
                    restore_spread,
                } => {
                    let off = duration.as_nanos() as f64 + restore_spread.as_nanos() as f64 / 2.0;
                    let duration = SimDuration::from_nanos(off as u64);
                    (*share, FaultKind::PowerCut { duration }, off.min(run_ns))
                }
                AreaFaultKind::BundleRollout { share, .. } if is_hgw => {
                    (*share, FaultKind::BundleUpdate, 0.0)
                }
                _ => continue,
            };
            let mut hit = t.home.clone();
            hit.faults.push(FaultSpec {
                when: FaultTiming::At(fault.at),
                kind,
            });
            let with = one_home(&hit);
            let lost_sessions = one.sessions * off_ns / run_ns;
            let lost_events = lost_sessions * crate::cost::figures::EVENTS_PER_SESSION;
            events += share * (with.events - one.events - lost_events);
            sessions += share * (with.sessions - one.sessions - lost_sessions);
            fetches += share * (with.fetches - one.fetches);
            cpu += share
                * (with.cpu_seconds
                    - one.cpu_seconds
                    - lost_events * crate::cost::figures::NS_PER_EVENT / 1e9);
        }
        sum.events += events * homes;
        sum.sessions += sessions * homes;
        sum.fetches += fetches * homes;
        sum.cpu_seconds += cpu * homes;
        sum.limit = sum.limit.saturating_add((one.limit as f64 * homes) as u64);
        sum.parts.extend(one.parts.into_iter().map(|mut p| {
            p.events *= homes;
            p.what = format!("{} (template {}, {homes:.0} homes)", p.what, t.name);
            p
        }));
    }
    use crate::cost::figures::{NS_PER_AREA_EVENT, NS_PER_EVENT};
    sum.cpu_seconds += sum.events * (NS_PER_AREA_EVENT - NS_PER_EVENT) / 1e9;
    sum.parts.sort_by(|a, b| b.events.total_cmp(&a.events));
    sum
}
