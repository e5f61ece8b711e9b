//! Each shipped story's outcome, asserted on the outcome itself (not only
//! through the scenario's own expectations), plus the comparisons that need
//! two runs.

use crate::common;

use harness::scenario_file;
use sim_core::Outcome;
use sim_core::outcome::Dur;
use sim_core::time::SimDuration;

fn run(name: &str, seed: Option<u64>) -> Outcome {
    let loaded = scenario_file::load(&common::scenario(name)).expect("shipped scenario loads");
    let mut scenario = loaded.scenario;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    sim_core::run(&scenario).expect("runs")
}

fn secs(d: Option<Dur>) -> Option<f64> {
    d.map(|d| d.0.as_secs_f64())
}

#[test]
fn hgw_gets_ipv6_within_seconds_and_ipv4_minutes_later() {
    let o = run("hgw-v6plus-bring-up.yaml", None);
    let v6 = secs(o.ipv6.first_up).expect("IPv6 up");
    let v4 = secs(o.ipv4.first_up).expect("IPv4 up");
    assert!(v6 < 60.0, "IPv6 after {v6}s");
    assert!(v4 > v6 + 60.0 && v4 < 600.0, "IPv4 after {v4}s");
    assert_eq!(o.gateway.bundle_downloads, 1);
    assert_eq!(o.gateway.stuck_at, "none");
    assert_eq!(o.ipv4.address.as_deref(), Some("106.72.63.108"));
}

#[test]
fn retail_router_on_a_rental_line_never_gets_ipv4() {
    let o = run("retail-router-rental-line-stalls.yaml", None);
    assert!(o.ipv6.first_up.is_some());
    assert_eq!(o.ipv4.first_up, None);
    assert_eq!(o.gateway.stuck_at, "software-distribution");
    assert_eq!(o.gateway.rule_fetches, o.gateway.rule_fetch_failures);
    assert_eq!(o.gateway.bundle_downloads, 0);
}

#[test]
fn contract_change_lets_the_router_fetch_its_rule() {
    let o = run("retail-router-after-contract-change.yaml", None);
    let v4 = secs(o.ipv4.first_up).expect("IPv4 up after the change");
    assert!(v4 > 7200.0, "not before the contract change at 2h: {v4}");
    assert!(v4 <= 7200.0 + 20.0 * 60.0 + 60.0, "within one capped retry: {v4}");
    assert_eq!(o.gateway.stuck_at, "none");
}

#[test]
fn static_rule_needs_no_rule_server() {
    let o = run("retail-router-static-rule.yaml", None);
    assert_eq!(o.gateway.rule_fetches, 0);
    assert!(secs(o.ipv4.first_up).expect("IPv4") < 60.0);
    assert_eq!(o.ipv4.address.as_deref(), Some("106.72.63.108"));
}

#[test]
fn factory_reset_waits_for_the_distributor() {
    let o = run("hgw-factory-reset-distributor-stalled.yaml", None);
    assert_eq!(o.boots.len(), 2);
    assert_eq!(o.boots[1].cause, "factory-reset");
    let reboot_v4 = secs(o.boots[1].ipv4_up).expect("IPv4 back at last");
    // The stall runs from 30m to 4h30m; the reset reboots at 1h.
    let back_at = 3600.0 + 10.0 + reboot_v4;
    assert!(
        back_at >= 4.5 * 3600.0,
        "IPv4 back at {back_at}s, before the stall ended"
    );
    assert!(o.ipv4.up_at_end);

    let never = run("hgw-factory-reset-distribution-never-resumes.yaml", None);
    assert_eq!(never.boots[1].ipv4_up, None);
    assert!(never.boots[1].ipv6_up.is_some());
    assert_eq!(never.gateway.stuck_at, "software-distribution");
}

#[test]
fn loss_of_signal_drops_both_families_and_ipv6_returns_first() {
    let o = run("onu-loss-of-signal.yaml", None);
    assert_eq!(o.gateway.boots, 1, "a link loss is not a reboot");
    assert_eq!((o.ipv6.outages, o.ipv4.outages), (1, 1));
    let v6 = o.ipv6.last_up_at.expect("IPv6 back").0;
    let v4 = o.ipv4.last_up_at.expect("IPv4 back").0;
    assert!(v6 >= SimDuration::from_mins(65), "not before the signal returns");
    assert!(v6 < v4, "IPv6 ({v6}) before IPv4 ({v4})");
    // Down for the five minutes of the outage at least, on top of the bring-up.
    assert!(o.ipv4.downtime.0 >= SimDuration::from_mins(5) + o.ipv4.first_up.expect("up").0);
}

#[test]
fn a_lossy_rule_server_path_delays_ipv4_but_does_not_stop_it() {
    let mut later = 0;
    let mut clean_total = 0.0;
    let mut lossy_total = 0.0;
    for seed in 1..=10 {
        let clean = run("hgw-v6plus-bring-up.yaml", Some(seed));
        let lossy = run("rule-fetch-lossy-link.yaml", Some(seed));
        let c = secs(clean.ipv4.first_up).expect("clean IPv4");
        let l = secs(lossy.ipv4.first_up).expect("lossy IPv4 still comes up");
        assert!(l >= c, "seed {seed}: lossy {l}s before clean {c}s");
        later += u32::from(l > c);
        clean_total += c;
        lossy_total += l;
    }
    assert!(
        later >= 7,
        "30% loss should cost retransmissions on most seeds: {later}/10"
    );
    assert!(
        lossy_total > clean_total + 10.0,
        "lossy {lossy_total} vs clean {clean_total}"
    );
    // The shipped seed shows the delay (at some seeds the few segments of the fetch all get
    // through, so the story's file picks one where they do not).
    let shipped_seed = scenario_file::load(&common::scenario("rule-fetch-lossy-link.yaml"))
        .expect("loads")
        .scenario
        .seed;
    let shipped_clean = run("hgw-v6plus-bring-up.yaml", Some(shipped_seed));
    let shipped_lossy = run("rule-fetch-lossy-link.yaml", None);
    assert!(shipped_lossy.ipv4.first_up > shipped_clean.ipv4.first_up);
}

#[test]
fn outcome_and_digest_do_not_depend_on_anything_but_scenario_and_seed() {
    let a = run("onu-loss-of-signal.yaml", Some(5));
    let b = run("onu-loss-of-signal.yaml", Some(5));
    assert_eq!(a, b);
    let c = run("rule-fetch-lossy-link.yaml", Some(5));
    let d = run("rule-fetch-lossy-link.yaml", Some(6));
    assert_ne!(c.trace.digest, d.trace.digest);
    // Runs on other threads give the same digest as on this one.
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| run("rule-fetch-lossy-link.yaml", Some(5)).trace.digest))
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread"), c.trace.digest);
    }
}
