//! The NAPT, DS-Lite and OCN stories, asserted on outcomes and compared
//! across scenarios and seeds.

mod common;

use harness::scenario_file;
use sim_core::Outcome;

fn run(name: &str, seed: u64) -> Outcome {
    let loaded = scenario_file::load(&common::scenario(name)).expect("shipped scenario loads");
    let mut scenario = loaded.scenario;
    scenario.seed = seed;
    sim_core::run(&scenario).expect("runs")
}

const SEEDS: [u64; 3] = [1, 2, 3];

#[test]
fn the_working_day_drops_nothing() {
    for seed in SEEDS {
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
