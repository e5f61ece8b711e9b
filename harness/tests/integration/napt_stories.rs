//! The NAPT, DS-Lite and OCN stories, asserted on outcomes and compared
//! across scenarios and seeds.

use crate::common;

use harness::overrides;
use harness::scenario_file;
use sim_core::Outcome;

fn run(name: &str, seed: u64) -> Outcome {
    let loaded = scenario_file::load(&common::scenario(name)).expect("shipped scenario loads");
    let mut scenario = loaded.scenario;
    scenario.seed = seed;
    sim_core::run(&scenario).expect("runs")
}

const SEEDS: [u64; 3] = [1, 2, 3];

/// The report's home over a working day, and over the hypotheses' 180 days: never short of ports.
#[test]
fn the_working_day_drops_nothing() {
    for seed in 1..=8 {
        let o = run("telework-home-workday.yaml", seed);
        assert_eq!(
            o.napt.drops.port_set_exhausted + o.napt.drops.table_full,
            0,
            "seed {seed}"
        );
        assert!(
            o.napt.peak > 0 && o.napt.peak < 240,
            "seed {seed}: peak {}",
            o.napt.peak
        );
        assert!(
            o.lan
                .values()
                .all(|c| c.failed.port_set_exhausted == 0 && c.failed.napt_full == 0)
        );
    }
}

#[test]
fn endpoint_independent_mapping_exhausts_the_port_set_not_the_table() {
    for seed in SEEDS {
        let o = run("napt-overflow-port-set.yaml", seed);
        assert!(o.napt.drops.port_set_exhausted > 0, "seed {seed}");
        assert_eq!(o.napt.drops.table_full, 0, "seed {seed}");
        // At most 240 ports per protocol (UDP, TCP, ICMP).
        assert!(o.napt.peak <= 3 * 240, "seed {seed}: peak {}", o.napt.peak);
        assert_eq!(o.gateway.boots, 1, "overflow is no reboot");
        let failed: u64 = o.lan.values().map(|c| c.failed.port_set_exhausted).sum();
        assert_eq!(
            failed, o.napt.drops.port_set_exhausted,
            "every drop is a client's failed session"
        );
    }
}

#[test]
fn a_per_destination_gateway_fills_its_table_instead() {
    for seed in SEEDS {
        let eim = run("napt-overflow-port-set.yaml", seed);
        let reuse = run("napt-overflow-port-reuse.yaml", seed);
        assert_eq!(reuse.napt.peak, 4096, "seed {seed}");
        assert!(reuse.napt.drops.table_full > 0, "seed {seed}");
        assert!(reuse.napt.peak > eim.napt.peak);
        // The same sessions were attempted: the load is the same.
        let attempted = |o: &Outcome| o.lan.values().map(|c| c.attempted).sum::<u64>();
        assert_eq!(attempted(&eim), attempted(&reuse), "seed {seed}");
    }
}

#[test]
fn shorter_idle_timers_drop_fewer_sessions() {
    for seed in SEEDS {
        let overflow = run("napt-overflow-port-set.yaml", seed);
        let tuned = run("napt-timeout-tuning.yaml", seed);
        assert!(
            tuned.napt.drops.port_set_exhausted < overflow.napt.drops.port_set_exhausted,
            "seed {seed}: tuned {} vs {}",
            tuned.napt.drops.port_set_exhausted,
            overflow.napt.drops.port_set_exhausted
        );
        assert!(
            tuned.napt.drops.port_set_exhausted > 0,
            "live sessions still hold ports"
        );
    }
}

#[test]
fn ds_lite_leaves_the_translation_to_the_aftr() {
    for seed in SEEDS {
        let o = run("ds-lite-heavy-home.yaml", seed);
        assert_eq!(
            o.napt,
            sim_core::napt::NaptStats::default(),
            "seed {seed}: the B4 does no NAPT"
        );
        assert!(o.aftr.drops > 0, "seed {seed}");
        assert_eq!(o.aftr.peak, 512);
        let failed: u64 = o.lan.values().map(|c| c.failed.aftr_quota).sum();
        assert_eq!(failed, o.aftr.drops);
    }
}

#[test]
fn ocn_fits_the_load_that_overflows_v6_plus() {
    for seed in SEEDS {
        let v6plus = run("napt-overflow-port-set.yaml", seed);
        let ocn = run("ocn-same-load.yaml", seed);
        assert!(v6plus.napt.drops.port_set_exhausted > 0);
        assert_eq!(
            ocn.napt.drops.port_set_exhausted + ocn.napt.drops.table_full,
            0,
            "seed {seed}"
        );
        assert!(ocn.napt.peak > 240, "OCN holds more than v6 plus could");
    }
}

/// The 15-PC office overflows v6 plus's port set at every seed; on OCN's 1008 ports the same
/// office fits, so it is the port set, not the load as such.
#[test]
fn fifteen_working_pcs_exhaust_the_v6_plus_port_set() {
    let path = common::scenario("telework-15-pcs-overflow.yaml");
    for seed in 1..=5 {
        let o = run("telework-15-pcs-overflow.yaml", seed);
        assert!(
            o.napt.drops.port_set_exhausted > 5000,
            "seed {seed}: {:?}",
            o.napt.drops
        );
        assert_eq!(o.napt.drops.table_full, 0, "seed {seed}");
        assert_eq!(o.gateway.boots, 1, "seed {seed}: overflow is no reboot");
        let mut ocn = overrides::load_with(&path, &["line.vne=ocn".parse().expect("an override")])
            .expect("the office on OCN loads")
            .scenario;
        ocn.seed = seed;
        let ocn = sim_core::run(&ocn).expect("runs");
        assert_eq!(
            ocn.napt.drops.port_set_exhausted + ocn.napt.drops.table_full,
            0,
            "seed {seed}: 15 PCs fit in 1008 ports"
        );
        assert!(ocn.napt.peak > 240, "seed {seed}: and need more than v6 plus has");
    }
}

/// Six calibrated PCs fit v6 plus's business hours at every seed and eight overflow it at every
/// seed; seven are the edge (the README's bisection finds 8 at seed 1; at some seeds seven
/// already lose a few sessions).
#[test]
fn the_v6_plus_threshold_lies_at_seven_busy_pcs() {
    let path = common::scenario("bisect/busy-clients-v6plus.yaml");
    for seed in 1..=3 {
        let drops = |count: u32| {
            let set = format!("lan.telework-pc.count={count}")
                .parse()
                .expect("an override");
            let mut s = overrides::load_with(&path, &[set]).expect("loads").scenario;
            s.seed = seed;
            sim_core::run(&s).expect("runs").napt.drops.port_set_exhausted
        };
        assert_eq!(drops(6), 0, "seed {seed}");
        assert!(drops(8) > 0, "seed {seed}");
    }
}

/// The hypotheses' home (three telework PCs, two phones, two speakers) over 180 days on v6 plus:
/// not one session lacks a port (the suite's sweep covers more seeds).
#[test]
fn the_report_home_never_exhausts_the_port_set_in_180_days() {
    let o = run("hypotheses/constant-firmware-hazard.yaml", 1);
    assert_eq!(o.napt.drops.port_set_exhausted + o.napt.drops.table_full, 0);
    assert!(o.napt.peak > 100, "the PCs' working hours: {}", o.napt.peak);
}
