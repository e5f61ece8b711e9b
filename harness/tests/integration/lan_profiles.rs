//! Each LAN profile's busy-hour concurrency, measured in runs and checked
//! against the table in docs/scenarios.md, so the documented figures cannot
//! drift from the model.
//!
//! A run puts N clients of one profile behind an HGW on OCN Virtual Connect
//! (1008 ports per protocol, so no drop distorts the count), starts four hours
//! before the profile's busy hour (long sessions reach their steady state) and
//! reads the NAPT once a minute through the busy hour: the live mappings, and
//! the ports in use (mappings, their idle timers included, plus ports in their
//! 120 s hold-down), per client.
//!
//! Tolerance. With Poisson arrivals, the ports held at an instant are a sum
//! of independent Poisson counts (sessions and their hold times: an M/G/inf
//! system) and of 0/1 shared-socket mappings, so their variance is at most
//! their mean. An hour's average varies no more than one instant, and S
//! independent seeds divide the variance by S: the per-client mean over
//! S seeds of N clients has a standard deviation of at most
//! sqrt(documented / (N * S)). The quick test allows four of those plus the
//! documented figure's rounding (0.05).

use std::path::Path;

use harness::scenario_file;
use sim_core::Simulation;
use sim_core::napt::Protocol;
use sim_core::sim::NoObserver;
use sim_core::time::{SimDuration, SimTime};

/// One row of the table in docs/scenarios.md: a profile at its busy hour, per client.
#[derive(Debug)]
struct Documented {
    profile: &'static str,
    /// The run's start: four hours before the busy hour, on a weekday (2021-04-19 is a Monday).
    start: &'static str,
    /// Clients in the run (enough for a few hundred ports in all).
    clients: u32,
    /// IPv4 ports in use (TCP, UDP and ICMP together), per client.
    ports: f64,
    /// Of which TCP.
    tcp: f64,
    /// Live NAPT mappings (table entries), per client.
    entries: f64,
}

/// The busy-hour figures of docs/scenarios.md (means over seeds 1..=40 of the release-mode sweep below).
const TABLE: [Documented; 5] = [
    Documented {
        profile: "telework-pc",
        start: "2021-04-19 06:00:00",
        clients: 10,
        ports: 34.1,
        tcp: 28.6,
        entries: 24.2,
    },
    Documented {
        profile: "smart-speaker",
        start: "2021-04-19 09:00:00",
        clients: 60,
        ports: 4.0,
        tcp: 3.0,
        entries: 3.0,
    },
    Documented {
        profile: "phone",
        start: "2021-04-19 17:00:00",
        clients: 20,
        ports: 13.9,
        tcp: 10.0,
        entries: 8.8,
    },
    Documented {
        profile: "game-console",
        start: "2021-04-19 17:00:00",
        clients: 60,
        ports: 4.3,
        tcp: 2.4,
        entries: 3.8,
    },
    Documented {
        profile: "browser-pc",
        start: "2021-04-19 17:00:00",
        clients: 8,
        ports: 39.8,
        tcp: 33.6,
        entries: 23.3,
    },
];

/// Per-client means over the busy hour and the seeds: (ports in use, TCP ports, entries).
fn measure(row: &Documented, seeds: std::ops::RangeInclusive<u64>) -> (f64, f64, f64) {
    let text = format!(
        "start: {}\nduration: 5h\nline: {{ vne: ocn, hgw_rental: true }}\n\
         gateway: {{ model: hgw, hgw: {{ bundle_cached: true }} }}\n\
         lan:\n  {}: {{ count: {} }}\n",
        row.start, row.profile, row.clients
    );
    let loaded = scenario_file::parse(Path::new("busy-hour.yaml"), &text).expect("a valid scenario");
    let (mut ports, mut tcp, mut entries, mut samples) = (0u64, 0u64, 0u64, 0u64);
    for seed in seeds {
        let mut scenario = loaded.scenario.clone();
        scenario.seed = seed;
        let mut sim = Simulation::new(&scenario);
        // The busy hour is the run's fifth: minutes 240..300.
        for minute in 240..300 {
            sim.run_until(SimTime::ZERO + SimDuration::from_mins(minute), &mut NoObserver)
                .expect("runs");
            let napt = sim.napt().expect("MAP-E is up long before the busy hour");
            let in_use: u32 = Protocol::ALL.iter().map(|&p| napt.ports_in_use(p)).sum();
            ports += u64::from(in_use);
            tcp += u64::from(napt.ports_in_use(Protocol::Tcp));
            entries += napt.len() as u64;
            samples += 1;
        }
        let outcome = sim.outcome();
        assert_eq!(
            outcome.napt.drops.port_set_exhausted + outcome.napt.drops.table_full,
            0,
            "{}: a drop would distort the count",
            row.profile
        );
    }
    let per_client = |sum: u64| sum as f64 / samples as f64 / f64::from(row.clients);
    (per_client(ports), per_client(tcp), per_client(entries))
}

/// Four standard deviations of the S-seed per-client mean, plus the documented figure's rounding.
fn tolerance(documented: f64, clients: u32, seeds: u64) -> f64 {
    4.0 * (documented / (f64::from(clients) * seeds as f64)).sqrt() + 0.05
}

/// Where a measurement over `seeds` seeds strays from the documented row by more than its tolerance.
fn check(row: &Documented, (ports, tcp, entries): (f64, f64, f64), seeds: u64) -> Vec<String> {
    let mut errors = Vec::new();
    for (what, documented, measured) in [
        ("ports in use", row.ports, ports),
        ("TCP ports", row.tcp, tcp),
        ("entries", row.entries, entries),
    ] {
        let allowed = tolerance(documented, row.clients, seeds);
        if (measured - documented).abs() > allowed {
            errors.push(format!(
                "{}: {what} {measured:.2} per client, documented {documented} (± {allowed:.2})",
                row.profile
            ));
        }
    }
    errors
}

#[test]
fn each_profile_holds_the_documented_ports_at_its_busy_hour() {
    let errors: Vec<String> = TABLE
        .iter()
        .flat_map(|row| check(row, measure(row, 1..=5), 5))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The sweep the table's figures come from; prints the rows. Release mode only (40 seeds):
/// `cargo test --release -p fletsim --test integration lan_profiles:: -- --nocapture`.
#[test]
#[cfg_attr(debug_assertions, ignore = "a long sweep: run it with cargo test --release")]
fn the_documented_figures_are_the_means_of_a_long_sweep() {
    let mut errors = Vec::new();
    for row in &TABLE {
        let measured @ (ports, tcp, entries) = measure(row, 1..=40);
        eprintln!(
            "{:<14} ports {ports:6.2}  tcp {tcp:6.2}  entries {entries:6.2}",
            row.profile
        );
        errors.extend(check(row, measured, 40));
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn a_scenario_overrides_the_rate_the_ipv4_share_and_the_session_lengths() {
    let text = "duration: 1h\nline: { vne: v6plus, hgw_rental: true }\ngateway: { model: hgw }\n\
                lan:\n  phone: { count: 1, sessions_per_hour: 50, ipv4_share: 90%, \
                short_session: 10s, long_session: 2h, long_share: 25% }\n  smart-speaker: { count: 1 }\n";
    let loaded = scenario_file::parse(Path::new("overrides.yaml"), text).expect("a valid scenario");
    use sim_core::scenario::ClientProfile;
    let model = |profile| {
        let group = loaded.scenario.lan.iter().find(|g| g.profile == profile);
        group.map(|g| g.model.clone()).expect("the group")
    };
    let phone = model(ClientProfile::Phone);
    assert_eq!(phone.busy_hour_sessions, 50.0);
    assert_eq!(phone.ipv4_share, 0.9);
    assert_eq!(phone.short_mean, SimDuration::from_secs(10));
    assert_eq!(phone.long_mean, SimDuration::from_hours(2));
    assert_eq!(phone.long_share, 0.25);
    // What is not overridden keeps the profile's calibration.
    let defaults = sim_core::lan::ProfileModel::of(ClientProfile::Phone);
    assert_eq!(phone.weekday, defaults.weekday);
    assert_eq!(phone.tcp_share, defaults.tcp_share);
    assert_eq!(
        model(ClientProfile::SmartSpeaker),
        sim_core::lan::ProfileModel::of(ClientProfile::SmartSpeaker)
    );
}
