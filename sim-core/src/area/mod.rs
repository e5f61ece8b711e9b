//! An NGN area: many homes sharing the Flets Joint distributor, one MAP rule
//! server per VNE and the BR/AFTR, with area-wide faults.
//!
//! Each home is an ordinary one-home [`Simulation`] of its own [`Scenario`]:
//! a template's body with the home's own seed, its own End-user prefix drawn
//! from the VNE's rule table, and the area faults that reach it added to its
//! fault list. Homes interact only through the shared servers
//! ([`servers::AreaServers`]), so the run is one event loop over homes: an
//! area queue holds each home's next event time (and the area's own fault
//! events); the home due first is stepped through its events at that time
//! with the servers lent to it, then filed again at its next time. A home's
//! fetches are simulated when they happen (real smoltcp TCP, as in a
//! one-home run); nothing is kept per home between them but the home's
//! compact state.
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
use crate::engine::{DigestWriter, EventQueue, Lookahead, Observer};
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

/// The area queue's events.
#[derive(Clone, Copy, Debug)]
enum AreaEvent {
    /// Step this home through its events at this time.
    Home(u32),
    FaultBegin(u32),
    FaultEnd(u32),
}

/// How many area steps are taken from the queue ahead of the one that runs, and how
/// many steps before its turn a home gets the second, third and fourth prefetch stage
/// ([`crate::prefetch`]; chosen by measurement, BENCHMARKS.md "Areas").
const LOOKAHEAD: usize = 32;
const PREFETCH_NEXT_AT: usize = 12;
const PREFETCH_EVENT_AT: usize = 5;
const PREFETCH_EARLIEST_AT: usize = 2;

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
    let mut sims: Vec<Simulation<'_>> = plans
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
    let mut recovery = vec![Recovery::default(); plans.len()];
    // When each home was hit, apart from its plan (a scenario each): read at every step.
    let hits: Vec<Option<(SimTime, SimTime)>> = plans.iter().map(|p| p.hit).collect();
    let end = SimTime::ZERO + scenario.duration;
    let mut servers = Some(Box::new(AreaServers {
        distributor: SharedDistributor::new(area.distributor),
        rule_servers: crate::mape::vne_presets()
            .iter()
            .map(|p| (p.name, RuleServerLimiter::new(area.rule_server)))
            .collect(),
        brs: crate::mape::vne_presets()
            .iter()
            .map(|p| (p.name, SharedBr::new(area.br.capacity_for(&p.mechanism))))
            .collect(),
    }));
    let mut queue: EventQueue<AreaEvent> = EventQueue::new();
    for (j, fault) in area.faults.iter().enumerate() {
        let at_servers = matches!(
            fault.kind,
            AreaFaultKind::DistributorSaturation { .. }
                | AreaFaultKind::RuleServerRateLimit { .. }
                | AreaFaultKind::BrOutage { .. }
        );
        if at_servers {
            queue.push(fault.at, AreaEvent::FaultBegin(j as u32));
            if let Some(d) = fault.kind.server_duration() {
                queue.push(fault.at + d, AreaEvent::FaultEnd(j as u32));
            }
        }
    }
    for (h, sim) in sims.iter().enumerate() {
        // Every home has its power-on pending at time zero.
        let first = sim.next_event_time().unwrap_or(SimTime::ZERO);
        queue.push(first, AreaEvent::Home(h as u32));
    }
    // The next steps, in order, ahead of the queue ([`Lookahead`]): their homes'
    // state is fetched into the cache while earlier steps run.
    let mut ahead = Lookahead::new(LOOKAHEAD);
    loop {
        let joined = |_: SimTime, event: &AreaEvent| {
            if let &AreaEvent::Home(h) = event {
                sims[h as usize].prefetch_fields();
                crate::prefetch::prefetch_line(&hits[h as usize]);
            }
        };
        let Some((t, event)) = ahead.next(&mut queue, joined) else {
            break;
        };
        if let Some(&(_, AreaEvent::Home(h))) = ahead.get(PREFETCH_NEXT_AT) {
            sims[h as usize].prefetch_next();
        }
        if let Some(&(at, AreaEvent::Home(h))) = ahead.get(PREFETCH_EVENT_AT) {
            sims[h as usize].prefetch_event(at);
        }
        if let Some(&(_, AreaEvent::Home(h))) = ahead.get(PREFETCH_EARLIEST_AT) {
            sims[h as usize].prefetch_earliest();
        }
        if t > end {
            break;
        }
        match event {
            AreaEvent::Home(h) => {
                let sim = &mut sims[h as usize];
                sim.lend_servers(servers.take().expect("the servers are home"));
                let stepped = if h == 0 {
                    sim.run_events_until(t, observer)
                } else {
                    sim.run_events_until(t, &mut NoObserver)
                };
                servers = sim.return_servers();
                stepped?;
                if let Some((from, _)) = hits[h as usize]
                    && t >= from
                {
                    let (v6, v4) = sim.families_up();
                    let r = &mut recovery[h as usize];
                    for (f, up) in [v6, v4].into_iter().enumerate() {
                        if !up {
                            r.down[f] = true;
                        } else if r.down[f] && r.restored[f].is_none() {
                            r.restored[f] = Some(t);
                        }
                    }
                }
                if let Some(next) = sim.next_event_time() {
                    ahead.schedule(&mut queue, next, AreaEvent::Home(h));
                }
            }
            AreaEvent::FaultBegin(j) => {
                let s = servers.as_deref_mut().expect("the servers are home");
                fault_begin(s, t, &area.faults[j as usize].kind);
            }
            AreaEvent::FaultEnd(j) => {
                let s = servers.as_deref_mut().expect("the servers are home");
                fault_end(s, t, area, &area.faults[j as usize].kind);
            }
        }
    }
    let servers = servers.expect("the servers are home");
    let mut collector = outcome::Collector::new(area);
    let mut engine = EngineStats::default();
    let mut digest = DigestWriter::default();
    let mut home_zero = None;
    for (h, sim) in sims.iter_mut().enumerate() {
        if h == 0 {
            sim.run_until(end, observer)?;
        } else {
            sim.run_until(end, &mut NoObserver)?;
        }
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
        collector.add(plans[h].template, plans[h].hit, recovery[h], &o);
        if h == 0 {
            home_zero = Some(o);
        }
    }
    let mut outcome = home_zero.expect("an area has at least one home");
    outcome.area = Some(collector.finish(&servers, engine.events, format!("{:016x}", digest.finish())));
    Ok((outcome, engine))
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
