//! Whole runs of two reference homes, scenario loaded once, each iteration one run:
//! `cargo bench -p fletsim --bench whole_runs`. `examples/queue_bound.rs` sets these
//! times against the queue bound (events × a calendar queue's ns/event at the run's
//! mean pending count); BENCHMARKS.md has both.

use harness::scenario_file::{self, LoadedScenario};

fn main() {
    divan::main();
}

fn load(name: &str) -> LoadedScenario {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    scenario_file::load(&root.join(name)).expect("a shipped scenario")
}

/// 180 days of the telework home with a constant reboot hazard (about 1.8 million events).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn telework_home_180_days(bencher: divan::Bencher) {
    let loaded = load("reboots-180d-constant-hazard.yaml");
    bencher.bench_local(|| sim_core::run(&loaded.scenario).expect("runs"));
}

/// A day of the busy NAPT home (about 630,000 events, hundreds pending).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn napt_home_24_hours(bencher: divan::Bencher) {
    let loaded = load("napt-overflow-port-set.yaml");
    bencher.bench_local(|| sim_core::run(&loaded.scenario).expect("runs"));
}
