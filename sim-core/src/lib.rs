//! sim-core: the deterministic core of fletsim. No I/O, no wall clock, no
//! OS randomness: the same scenario and seed give the same outcome and
//! trace digest on any machine.
//!
//! How it fits together:
//! - [`time`]: simulated time (u64 ns) and the calendar that dates it.
//! - [`timing`]: durations with spread (`40s..50s`), drawn per occurrence of a bring-up step.
//! - [`rng`]: one ChaCha8 stream per component, all from the scenario seed.
//! - [`engine`]: the `(time, seq)` event queue, observers and the trace digest.
//! - [`cost`]: a scenario's expected engine events and CPU time, and its event limit.
//! - [`scenario`]: the validated scenario a run takes (the harness builds it from YAML).
//! - [`mape`]: RFC 7597 arithmetic and the VNE presets.
//! - [`map_rules`]: the VNEs' public MAP rule tables (`data/map-rules.csv`), each rule with its BR.
//! - [`packet`]: real packet bytes (RS/RA, DHCPv6-PD, NTP, a flow's first IPv4 packet
//!   through MAP-E or DS-Lite) for captures; raw IP, valid checksums.
//! - [`napt`]: the gateway's NAPT table: port choice from the MAP-E port set, idle expiry, drops.
//! - [`fetch`]: real TCP between two smoltcp interfaces over a simulated link,
//!   for the bundle download and the rule fetch.
//! - [`network`]: the ONU, the links and the NGN edge's small exchanges (RA/PD, NTP, DNS).
//! - [`servers`]: the Flets Joint distributor and the VNE's MAP rule server.
//! - [`gateway`]: the HGW or retail router's state and bring-up logic.
//! - [`hazard`]: random fault processes (constant, Weibull ageing, time of day, load, heap leak).
//! - [`lan`]: LAN client profiles and their session arrivals.
//! - [`sim`]: the run: event dispatch, faults, LAN sessions, the outcome.
//! - [`area`]: many homes sharing the distributor, the rule servers and the BR, with
//!   capacity models and area-wide faults; one event loop over the homes' simulations.
//! - [`prefetch`]: cache prefetch hints the area loop gives for the homes it runs next
//!   (the one `unsafe` block).
//! - [`trace`], [`outcome`]: what a run emits and what it produced.
//! - [`device_log`]: the HGW log ring buffer in the device's own format.
//! - [`expect`]: expectations over outcome paths (`ipv4.first_up <= 3m`).
//! - [`stats`]: pure statistics (KS, chi-square, Wilson) for comparing fault times with a log.

pub mod area;
pub mod cost;
pub mod device_log;
pub mod engine;
pub mod expect;
pub mod fetch;
pub mod gateway;
pub mod hazard;
pub mod lan;
pub mod map_rules;
pub mod mape;
pub mod napt;
pub mod network;
pub mod outcome;
pub mod packet;
pub mod prefetch;
pub mod rng;
pub mod scenario;
pub mod servers;
pub mod sim;
pub mod stats;
pub mod time;
pub mod timing;
pub mod trace;

pub use outcome::Outcome;
pub use scenario::Scenario;
pub use sim::{EngineStats, RunError, Simulation};

/// The JSON shape of this scenario's outcome (values are those at time zero),
/// for checking expectation paths before a run.
pub fn shape_of_outcome(scenario: &Scenario) -> serde_json::Value {
    let sim = Simulation::new(scenario);
    let mut outcome = sim.outcome();
    if outcome.boots.is_empty() {
        outcome.boots.push(outcome::BootOutcome {
            at: outcome::Dur(time::SimDuration::ZERO),
            cause: String::new(),
            date: String::new(),
            ipv6_up: None,
            ipv4_up: None,
            java_vm_up: None,
        });
    }
    if let Some(area) = &scenario.area {
        outcome.area = Some(area::AreaOutcome::shape(area));
    }
    serde_json::to_value(outcome).unwrap_or(serde_json::Value::Null)
}

/// Runs a scenario to its end and returns the outcome (an area scenario: all its homes).
pub fn run(scenario: &Scenario) -> Result<Outcome, RunError> {
    if scenario.area.is_some() {
        return area::run(scenario, &mut sim::NoObserver).map(|(outcome, _)| outcome);
    }
    Simulation::run(scenario, &mut sim::NoObserver)
}
