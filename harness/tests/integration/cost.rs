//! The load-time cost estimate: close to what the shipped areas really take
//! (the one-home scenarios are checked in outcomes.rs, on the runs it makes anyway),
//! and a refusal (exit 2, with the numbers and what to change) for scenarios that
//! would pass their event limit, before they run.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{arg, fletsim, stderr, temp_dir};
use harness::scenario_file;
use sim_core::sim::NoObserver;

/// An area's estimate, on the shipped areas cut to 100 homes each (the estimate scales with
/// the homes; a full 10,000-home run is the benchmark's job). The area estimate adds what
/// each area fault brings one home (a power cut's boot and lost sessions, a rollout's
/// download) but not the shared servers' queueing and retries, so it is held to a factor
/// of two, not to 15 %.
#[test]
fn area_estimates_are_within_a_factor_of_two_of_the_run() {
    let files = common::scenario_files("scenarios/area");
    assert!(!files.is_empty());
    let homes: harness::overrides::Override = "area.homes=100".parse().expect("an override");
    for file in files.iter().map(|f| &f.path) {
        let loaded = harness::overrides::load_with(file, std::slice::from_ref(&homes))
            .unwrap_or_else(|e| panic!("{e}"));
        let (_, stats) = sim_core::area::run(&loaded.scenario, &mut NoObserver).expect("the area runs");
        let actual = stats.events as f64;
        let estimated = loaded.cost.events;
        assert!(
            estimated <= 2.0 * actual && actual <= 2.0 * estimated,
            "{}: estimated {estimated:.0} events for 100 homes, the run took {actual}",
            file.display()
        );
        assert!(actual < loaded.cost.limit as f64, "{}", file.display());
    }
}

/// Writes `text` as a scenario file in a fresh folder and runs `fletsim run` on it.
fn run_scenario(test: &str, text: &str) -> (std::process::Output, Duration) {
    let dir = temp_dir(test);
    let file = dir.join(format!("{test}.yaml"));
    std::fs::write(&file, text).expect("write the scenario");
    #[allow(clippy::disallowed_types, reason = "the test checks that refusal is quick")]
    let start = std::time::Instant::now();
    let out = fletsim(&["run", arg(&file)]);
    (out, start.elapsed())
}

/// Refused at load: exit 2 within seconds, the file, the field and the numbers in the message.
fn assert_refused(out: &std::process::Output, took: Duration, file: &str, field: &str, what: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(took < Duration::from_secs(20), "refusing took {took:?}");
    assert!(
        err.contains(&format!("{file}.yaml: {field}: a run would take about ")),
        "{err}"
    );
    assert!(err.contains("more than this scenario's limit of "), "{err}");
    for w in what {
        assert!(err.contains(w), "`{w}` missing from: {err}");
    }
    assert!(!stdout_has_a_run(out), "nothing may run");
}

fn stdout_has_a_run(out: &std::process::Output) -> bool {
    common::stdout(out).contains("PASS") || common::stdout(out).contains("FAIL")
}

/// Refused at load for a retry pause under its floor: exit 2 within seconds, naming the field.
fn assert_below_floor(out: &std::process::Output, took: Duration, file: &str, field: &str, floor: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(took < Duration::from_secs(20), "refusing took {took:?}");
    assert!(err.contains(&format!("{file}.yaml:")), "{err}");
    assert!(
        err.contains(&format!(
            "{field}: `1ns` is shorter than the shortest retry pause"
        )),
        "{err}"
    );
    assert!(err.contains(&format!("(accepted: {floor} or longer)")), "{err}");
    assert!(!stdout_has_a_run(out), "nothing may run");
}

// A retry loop of error answers is what once made a valid scenario run for minutes. The
// retry floors (docs/scenarios.md) refuse the pauses that made it so before the cost
// estimate is even asked; the estimate still counts retry loops, and at the floors the
// longest run a scenario may ask for stays inside its limit.

#[test]
fn a_distribution_retry_of_a_nanosecond_is_refused_before_it_runs() {
    let (out, took) = run_scenario(
        "distribution-retry-1ns",
        "duration: 1d
line: { vne: v6plus, hgw_rental: true }
gateway:
  model: hgw
  hgw: { distribution_retry: 1ns }
faults:
  - at: 0s
    distributor_error: { status: 503 }
",
    );
    assert_below_floor(
        &out,
        took,
        "distribution-retry-1ns",
        "gateway.hgw.distribution_retry",
        "30s",
    );
}

#[test]
fn a_rule_retry_of_a_nanosecond_under_a_rule_server_outage_is_refused() {
    let (out, took) = run_scenario(
        "rule-retry-1ns",
        "duration: 1d
line: { vne: v6plus, hgw_rental: true }
gateway:
  model: hgw
  hgw: { bundle_cached: true, rule_retry: { initial: 1ns, max: 1ns } }
faults:
  - at: 1h
    rule_server_down:
",
    );
    assert_below_floor(
        &out,
        took,
        "rule-retry-1ns",
        "gateway.hgw.rule_retry.initial",
        "10s",
    );
}

#[test]
fn retry_loops_at_their_floors_stay_inside_the_limit_for_the_longest_run() {
    // Both loops failing for the longest duration a scenario may have: counted by the
    // estimate, and still under the run's limit (so loaded, not refused).
    let text = "duration: 1098d
line: { vne: v6plus, hgw_rental: true }
gateway:
  model: hgw
  hgw: { distribution_retry: 30s, rule_retry: { initial: 10s, max: 10s } }
faults:
  - at: 0s
    distributor_error: { status: 503 }
  - at: 0s
    rule_server_down:
";
    let loaded = scenario_file::parse(Path::new("retry-floors.yaml"), text).expect("within the limit");
    // At least the distribution loop: 1098 days of an attempt every 30 s, two events each.
    let attempts = 1098.0 * 86_400.0 / 30.0;
    assert!(loaded.cost.events >= 2.0 * attempts, "{:?}", loaded.cost);
    assert!(loaded.cost.events < loaded.cost.limit as f64, "{:?}", loaded.cost);
}

#[test]
fn ten_thousand_pcs_for_a_year_are_refused_with_the_numbers() {
    let (out, took) = run_scenario(
        "ten-thousand-pcs",
        "duration: 365d
line: { vne: v6plus, hgw_rental: true }
gateway: { model: hgw, hgw: { bundle_cached: true } }
lan:
  telework-pc: { count: 10000 }
",
    );
    assert_refused(
        &out,
        took,
        "ten-thousand-pcs",
        "lan.telework-pc",
        &[
            "about 36.9 billion engine events",
            "limit of 4.0 billion",
            "10,000 telework-pc clients over 365d: 18.5 billion sessions",
            "fewer clients (`count`)",
        ],
    );
}

#[test]
fn a_long_run_is_warned_about_and_its_limit_scales_with_the_clients() {
    let text = "duration: 180d
line: { vne: v6plus, hgw_rental: true }
gateway: { model: hgw, hgw: { bundle_cached: true } }
lan:
  telework-pc: { count: 1000 }
";
    let loaded = scenario_file::parse(Path::new("thousand-pcs.yaml"), text).expect("within the limit");
    let warning = scenario_file::slow_warning(&loaded).expect("a warning");
    assert!(
        warning.starts_with("thousand-pcs.yaml: a run will take about 1.8 billion engine events and "),
        "{warning}"
    );
    assert!(
        warning.contains("1,000 telework-pc clients over 180d"),
        "{warning}"
    );
    // The old fixed limit of 200 million events stopped this home on day 134.
    assert!(loaded.cost.limit > 2_000_000_000, "{}", loaded.cost.limit);
    let small = scenario_file::load(&common::scenario("reboots-180d-constant-hazard.yaml")).expect("loads");
    assert_eq!(scenario_file::slow_warning(&small), None);
}
