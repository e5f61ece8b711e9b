//! What a scenario costs before it runs: the engine events it is expected to
//! take, the real TCP fetches among them, a rough CPU time, and the event
//! limit that stops a run gone wrong.
//!
//! Both come from the same figures ([`figures`]): a LAN session is two events
//! (its arrival and its end), a boot and its bring-up a few dozen, a retry
//! loop two per attempt (the fetch's completion and the retry timer). The
//! [`event_limit`] allows what the scenario's models can produce at their
//! busiest (every client at its busy-hour rate all day, every hazard at its
//! highest rate, the gateway's timers at a pace of one a second), capped at
//! [`limits::MAX_EVENTS`]. The [`estimate`] is what the run should take:
//! the profiles' hourly rates over the run's calendar, each hazard's mean
//! rate, and every retry loop run for as long as something in the scenario
//! can keep its step failing (a fault's window, or the whole run for a line
//! or a link that is always so), at the pace of its pause plus one round
//! trip. A scenario whose estimate passes its limit is refused before it
//! runs; one whose estimate takes long is warned about.
//!
//! Pure functions of a validated [`Scenario`]: no run, no clock.

use crate::hazard::Hazard;
use crate::lan::WeeklyRates;
use crate::scenario::{
    FaultKind, FaultTiming, GatewayModel, LinkConditions, LinkId, LoadSource, Scenario, limits,
};
use crate::time::{Calendar, SimDuration};

/// The per-event figures both the limit and the estimate use.
pub mod figures {
    /// A LAN session: its arrival and its end.
    pub const EVENTS_PER_SESSION: f64 = 2.0;
    /// A boot and its bring-up (steps, fetch completions, Java start, timers set on the way):
    /// an HGW's power-on to IPv4 up takes 9 events with nothing failing.
    pub const EVENTS_PER_BOOT: f64 = 10.0;
    /// The most a boot may take in the [`super::event_limit`]: retries and timers on the way.
    pub const EVENTS_PER_BOOT_AT_MOST: f64 = 40.0;
    /// A fault's begin and end.
    pub const EVENTS_PER_FAULT: f64 = 2.0;
    /// One attempt of a retry loop: the fetch's completion and the retry timer.
    pub const EVENTS_PER_RETRY: f64 = 2.0;
    /// An event of an area run: its homes run a window of events each in turn, whose state
    /// is loaded once a window (measured: 0.34-0.63 µs an event on a 10,000-home day, 1.0-1.45
    /// µs on 100,000 homes around a power cut, against 0.2-0.3 µs for one home).
    pub const NS_PER_AREA_EVENT: f64 = 1_000.0;
    /// Events every run may take whatever it simulates.
    pub const BASE_EVENTS: f64 = 1_000_000.0;
    /// The gateway's own timers at their busiest, per simulated day (one a second).
    pub const GATEWAY_EVENTS_PER_DAY: f64 = 86_400.0;
    /// The gateway's periodic timers as they usually run, per day (NTP, Flets Joint, rule refresh).
    pub const TIMER_EVENTS_PER_DAY: f64 = 5.0;
    /// Whole-run CPU cost of one engine event, handlers included (release build, see BENCHMARKS.md).
    pub const NS_PER_EVENT: f64 = 150.0;
    /// CPU cost of one small real-TCP fetch (a rule, an error answer, a refusal).
    pub const NS_PER_FETCH: f64 = 10_000.0;
    /// CPU cost of each byte a bundle download moves.
    pub const NS_PER_BUNDLE_BYTE: f64 = 3.0;
    /// An estimated CPU time above this is worth a warning before the run starts.
    pub const WARN_CPU_SECONDS: f64 = 10.0;
}

use figures::*;

const NANOS_PER_HOUR: f64 = 3_600e9;
const NANOS_PER_DAY: f64 = 86_400e9;

/// One source of events in an estimate, for the message that names the largest.
#[derive(Clone, Debug, PartialEq)]
pub struct CostPart {
    /// What produces the events, e.g. `2 telework-pc clients over 180 days`.
    pub what: String,
    /// The scenario field that sets its size, e.g. `hgw.distribution_retry`.
    pub field: String,
    /// What to change to make it smaller.
    pub advice: &'static str,
    pub events: f64,
}

/// What a run of a scenario is expected to cost.
#[derive(Clone, Debug, PartialEq)]
pub struct CostEstimate {
    /// Expected engine events of the whole run.
    pub events: f64,
    /// Expected LAN sessions.
    pub sessions: f64,
    /// Expected real TCP fetches.
    pub fetches: f64,
    /// A rough CPU time of one run, in seconds.
    pub cpu_seconds: f64,
    /// The run's event limit (see [`event_limit`]).
    pub limit: u64,
    /// Where the events come from, largest first.
    pub parts: Vec<CostPart>,
}

impl CostEstimate {
    /// Whether the run is expected to stop at its event limit.
    pub fn over_limit(&self) -> bool {
        self.events > self.limit as f64
    }
    /// Whether the run is expected to take long enough to say so first.
    pub fn is_slow(&self) -> bool {
        self.cpu_seconds > WARN_CPU_SECONDS
    }
    /// The largest source of events.
    pub fn largest(&self) -> Option<&CostPart> {
        self.parts.first()
    }
}

fn days(scenario: &Scenario) -> f64 {
    scenario.duration.as_nanos() as f64 / NANOS_PER_DAY
}

/// The most engine events a run of this scenario may process before it stops with an error.
///
/// What the models can produce at their busiest, so a healthy run never meets
/// it: a base, the gateway's timers at one a second, every LAN client at its
/// busy-hour rate around the clock, every fault and every hazard firing at its
/// highest rate as a reboot; never more than [`limits::MAX_EVENTS`].
pub fn event_limit(scenario: &Scenario) -> u64 {
    let days = days(scenario);
    let sessions_per_day: f64 = scenario
        .lan
        .iter()
        .map(|g| g.model.busy_hour_sessions.max(0.0) * g.count as f64 * 24.0)
        .sum();
    let hazards = scenario
        .faults
        .iter()
        .filter(|f| matches!(f.when, FaultTiming::Every { .. }))
        .count() as f64;
    let allowance = BASE_EVENTS
        + days * GATEWAY_EVENTS_PER_DAY
        + days * sessions_per_day * EVENTS_PER_SESSION
        + days
            * hazards
            * crate::hazard::limits::MAX_RATE_PER_DAY
            * (EVENTS_PER_BOOT_AT_MOST + EVENTS_PER_FAULT)
        + scenario.faults.len() as f64 * (EVENTS_PER_BOOT_AT_MOST + EVENTS_PER_FAULT);
    if allowance >= limits::MAX_EVENTS as f64 {
        limits::MAX_EVENTS
    } else {
        allowance as u64
    }
}

/// The expected cost of one run of `scenario` (see the module's text for how).
pub fn estimate(scenario: &Scenario) -> CostEstimate {
    let mut parts = Vec::new();
    let mut fetches = 0.0;
    let mut bundle_bytes = 0.0;
    let days = days(scenario);
    let run_ns = scenario.duration.as_nanos() as f64;

    // LAN sessions: each group's hourly rates over the run's calendar hours.
    let calendar = Calendar::new(scenario.start);
    let mut sessions = 0.0;
    let mut concurrent = 0.0;
    for group in &scenario.lan {
        let rates = group.model.weekly_rates(group.count);
        let n = expected_arrivals(&rates, &calendar, scenario.duration);
        sessions += n;
        let model = &group.model;
        let mean_length = model.short_mean.as_nanos() as f64 * (1.0 - model.long_share)
            + model.long_mean.as_nanos() as f64 * model.long_share;
        concurrent += n * mean_length / run_ns.max(1.0);
        if n > 0.0 {
            parts.push(CostPart {
                what: format!(
                    "{} {} clients over {}: {} sessions",
                    count(group.count as f64),
                    group.profile.name(),
                    scenario.duration,
                    count(n)
                ),
                field: format!("lan.{}", group.profile.name()),
                advice: "fewer clients (`count`), fewer `sessions_per_hour` or a shorter `duration`",
                events: n * EVENTS_PER_SESSION,
            });
        }
    }

    // Boots: power-on, then one per fault (at most) and per hazard firing.
    // Bundle downloads: at power-on unless the HGW has it in flash, and at each fault that
    // deletes it or brings a new one (a reboot keeps the bundle).
    let (bundle, mut downloads) = match &scenario.gateway.model {
        GatewayModel::Hgw(h) => (h.bundle_bytes as f64, if h.bundle_cached { 0.0 } else { 1.0 }),
        GatewayModel::RetailRouter(_) => (0.0, 0.0),
    };
    downloads += scenario
        .faults
        .iter()
        .filter(|f| {
            matches!(f.when, FaultTiming::At(_))
                && matches!(
                    f.kind,
                    FaultKind::FactoryReset | FaultKind::DeviceSwap | FaultKind::BundleUpdate
                )
        })
        .count() as f64;
    let mut boots = 1.0;
    let mut fault_events = 0.0;
    let mut load_sampled = false;
    for (i, fault) in scenario.faults.iter().enumerate() {
        match &fault.when {
            FaultTiming::At(_) => {
                boots += 1.0;
                fault_events += EVENTS_PER_FAULT;
            }
            FaultTiming::Every { hazard, load } => {
                load_sampled |= hazard.uses_load();
                let load = match load {
                    LoadSource::Sessions | LoadSource::NaptEntries => concurrent,
                };
                let firings = hazard_firings(hazard, load, scenario.duration);
                boots += firings;
                fault_events += firings * EVENTS_PER_FAULT;
                if firings * EVENTS_PER_BOOT > 1_000.0 {
                    parts.push(CostPart {
                        what: format!(
                            "a {} hazard (faults[{}]) firing about {} times",
                            hazard.name(),
                            i + 1,
                            count(firings)
                        ),
                        field: format!("faults[{}].every", i + 1),
                        advice: "a longer mean interval or a shorter `duration`",
                        events: firings * (EVENTS_PER_BOOT + EVENTS_PER_FAULT),
                    });
                }
            }
        }
    }
    fetches += boots;
    bundle_bytes += downloads * bundle;
    let mut events = sessions * EVENTS_PER_SESSION + boots * EVENTS_PER_BOOT + fault_events;
    events += days * TIMER_EVENTS_PER_DAY;
    if load_sampled {
        events += run_ns / 60e9;
    }

    // Retry loops, for as long as something can keep their step failing.
    for retry in retry_loops(scenario) {
        let attempts = retry.attempts();
        fetches += attempts;
        let loop_events = attempts * EVENTS_PER_RETRY;
        events += loop_events;
        parts.push(CostPart {
            what: format!(
                "the {} retrying every {} (plus a {} round trip) for up to {}: {} attempts",
                retry.step,
                retry.pause,
                retry.round_trip,
                SimDuration::from_nanos(retry.window_ns as u64),
                count(attempts)
            ),
            field: retry.field.to_string(),
            advice: "a longer retry pause, or a shorter fault",
            events: loop_events,
        });
    }
    parts.sort_by(|a, b| b.events.total_cmp(&a.events));
    let cpu_seconds =
        (events * NS_PER_EVENT + fetches * NS_PER_FETCH + bundle_bytes * NS_PER_BUNDLE_BYTE) / 1e9;
    CostEstimate {
        events,
        sessions,
        fetches,
        cpu_seconds,
        limit: event_limit(scenario),
        parts,
    }
}

/// A number for a message: `1,234` below a million, `3.2 million`, `6.3 billion`, `7.2e12` above.
pub fn count(n: f64) -> String {
    if n < 1e6 {
        thousands(n.round() as u64)
    } else if n < 1e9 {
        format!("{:.1} million", n / 1e6)
    } else if n < 1e12 {
        format!("{:.1} billion", n / 1e9)
    } else {
        format!("{n:.1e}")
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Expected arrivals of a group over the run: its hourly rates over each calendar hour.
fn expected_arrivals(rates: &WeeklyRates, calendar: &Calendar, duration: SimDuration) -> f64 {
    let per_hour: Vec<f64> = rates.per_hour().collect();
    let week_ns = 168.0 * NANOS_PER_HOUR;
    let per_week: f64 = per_hour.iter().sum();
    let mut t = calendar.week_offset_nanos() as f64;
    let mut left = duration.as_nanos() as f64;
    let whole_weeks = (left / week_ns).floor();
    let mut total = whole_weeks * per_week;
    left -= whole_weeks * week_ns;
    while left > 0.0 {
        let in_week = t % week_ns;
        let hour = (in_week / NANOS_PER_HOUR) as usize % 168;
        let span = (NANOS_PER_HOUR - in_week % NANOS_PER_HOUR).min(left);
        total += per_hour[hour] * span / NANOS_PER_HOUR;
        t += span;
        left -= span;
    }
    total
}

/// Expected firings of a hazard over the run at a constant `load`.
fn hazard_firings(hazard: &Hazard, load: f64, duration: SimDuration) -> f64 {
    let floor = crate::hazard::limits::MIN_INTERVAL.as_nanos() as f64;
    match hazard.mean_interval(load) {
        Some(mean) => duration.as_nanos() as f64 / (mean.as_nanos() as f64).max(floor),
        None => 0.0,
    }
}

/// A retry loop and the time it may run.
struct RetryLoop {
    step: &'static str,
    field: &'static str,
    pause: SimDuration,
    /// Extra attempts while a backoff doubles up to its cap.
    ramp: f64,
    round_trip: SimDuration,
    window_ns: f64,
}

impl RetryLoop {
    fn attempts(&self) -> f64 {
        let period = (self.pause.as_nanos() + self.round_trip.as_nanos()).max(1) as f64;
        self.ramp + self.window_ns / period
    }
}

/// The shortest round trip to a server: its link and the WAN link at their lowest latency.
fn round_trip(scenario: &Scenario, server: LinkId) -> SimDuration {
    let lowest = |link: LinkId| {
        let base = scenario
            .links
            .get(&link)
            .copied()
            .unwrap_or_else(|| LinkConditions::default_for(link))
            .latency;
        scenario
            .faults
            .iter()
            .filter_map(|f| match f.kind {
                FaultKind::LinkImpairment {
                    link: l,
                    latency: Some(latency),
                    ..
                } if l == link => Some(latency),
                _ => None,
            })
            .fold(base, SimDuration::min)
    };
    (lowest(LinkId::Wan) + lowest(server)).saturating_mul(2)
}

/// How long a fault keeps its effect within the run (`every:` faults: the whole run).
fn window(scenario: &Scenario, when: &FaultTiming, kind: &FaultKind) -> f64 {
    let end = scenario.duration.as_nanos() as f64;
    match when {
        FaultTiming::At(at) => {
            let left = (end - at.as_nanos() as f64).max(0.0);
            kind.duration().map_or(left, |d| (d.as_nanos() as f64).min(left))
        }
        FaultTiming::Every { .. } => end,
    }
}

/// The retry loops this scenario can enter, each with the time it may run.
/// Whether the line's IPv4 needs a MAP rule from the VNE's rule server (MAP-E; DS-Lite has none).
fn uses_rule_server(scenario: &Scenario) -> bool {
    matches!(scenario.line.vne.mechanism, crate::mape::Mechanism::MapE { .. })
}

fn retry_loops(scenario: &Scenario) -> Vec<RetryLoop> {
    let run = scenario.duration.as_nanos() as f64;
    let registered = scenario.line.hgw_rental;
    let lossy = |link: LinkId| scenario.links.get(&link).is_some_and(|c| c.loss > 0.0);
    // Time during which a server's step may fail: its faults, faults on its path, contract changes.
    let failing = |server: LinkId, always: bool| -> f64 {
        if always || lossy(LinkId::Wan) || lossy(server) {
            return run;
        }
        let total: f64 = scenario
            .faults
            .iter()
            .filter(|f| match &f.kind {
                FaultKind::DistributorStall { .. }
                | FaultKind::DistributorError { .. }
                | FaultKind::DistributorSlow { .. } => server == LinkId::Distributor,
                FaultKind::RuleServerDown { .. } | FaultKind::RuleServerSlow { .. } => {
                    server == LinkId::RuleServer
                }
                FaultKind::LinkImpairment { link, .. } => *link == server || *link == LinkId::Wan,
                FaultKind::ContractChange { .. } => true,
                _ => false,
            })
            .map(|f| window(scenario, &f.when, &f.kind))
            .sum();
        total.min(run)
    };
    let mut loops = Vec::new();
    match &scenario.gateway.model {
        GatewayModel::Hgw(h) => {
            // An unregistered line never gets the bundle: the loop runs whenever the HGW lacks it.
            loops.push(RetryLoop {
                step: "software distribution",
                field: "gateway.hgw.distribution_retry",
                pause: h.distribution_retry,
                ramp: 0.0,
                round_trip: round_trip(scenario, LinkId::Distributor),
                window_ns: failing(LinkId::Distributor, !registered),
            });
            if uses_rule_server(scenario) {
                let window = failing(LinkId::RuleServer, false);
                loops.push(rule_loop(
                    scenario,
                    "gateway.hgw.rule_retry",
                    h.rule_retry,
                    window,
                ));
            }
        }
        GatewayModel::RetailRouter(r) => {
            if r.static_rule.is_none() && uses_rule_server(scenario) {
                // On a line registered for rental the rule server never answers a retail router.
                let window = failing(LinkId::RuleServer, registered);
                loops.push(rule_loop(
                    scenario,
                    "gateway.router.rule_retry",
                    r.rule_retry,
                    window,
                ));
            }
        }
    }
    loops.retain(|l| l.window_ns > 0.0);
    loops
}

fn rule_loop(
    scenario: &Scenario,
    field: &'static str,
    backoff: crate::scenario::Backoff,
    window_ns: f64,
) -> RetryLoop {
    // Once doubled up to its cap, the pause is the cap (see `Backoff::delay`).
    let pause = backoff.max;
    let ratio = pause.as_nanos() as f64 / backoff.initial.as_nanos().max(1) as f64;
    RetryLoop {
        step: "rule fetch",
        field,
        pause,
        ramp: ratio.log2().ceil().clamp(0.0, 64.0),
        round_trip: round_trip(scenario, LinkId::RuleServer),
        window_ns,
    }
}
