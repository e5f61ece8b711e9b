//! Whole runs against the queue bound, side by side in one process:
//! `cargo run --release -p fletsim --example queue_bound [runs] [scenario.yaml ...]`
//! (default: the 180-day telework home and the NAPT home, 5 runs each).
//!
//! Times are the thread's CPU time (wall time on a shared machine counts other
//! processes' turns). Each round runs the scenario, then Brown's calendar queue (the
//! yardstick of `sim-core/benches/queue.rs`) in the hold model at the run's mean pending
//! count. For each scenario: the medians of the run's CPU time per engine event and of the
//! queue's, and the median of the rounds' ratios (run / queue): how far the whole run is from
//! what its queue alone must cost.
#![allow(clippy::print_stdout)]
// Reason: this example prints its measurements; it shapes no outcome.

#[path = "../../sim-core/benches/support/hold.rs"]
mod hold;

use std::path::PathBuf;

use hold::{CalendarQueue, HoldModel};
use sim_core::Simulation;
use sim_core::sim::NoObserver;

/// CPU time of this thread so far, in nanoseconds.
fn cpu_now() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[cfg(not(unix))]
fn main() {}

#[cfg(unix)]
fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let runs: usize = match args.peek().and_then(|a| a.parse().ok()) {
        Some(n) => {
            args.next();
            n
        }
        None => 5,
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if files.is_empty() {
        files = ["reboots-180d-constant-hazard.yaml", "napt-overflow-port-set.yaml"]
            .iter()
            .map(|f| root.join("scenarios").join(f))
            .collect();
    }
    println!(
        "{:<36} {:>10} {:>9} {:>9} {:>11} {:>9} {:>7}",
        "scenario", "events", "mean N", "run ns/ev", "queue ns/ev", "bound ms", "ratio"
    );
    for file in files {
        let loaded = match harness::scenario_file::load(&file) {
            Ok(l) => l,
            Err(e) => {
                println!("{e}");
                continue;
            }
        };
        // Each round runs the scenario, then the yardstick at the run's mean pending count:
        // the ratio is taken round by round, so a machine whose speed drifts (other work on
        // its cores) moves both sides of a ratio alike.
        let (mut run_per_event, mut queue_per_event, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let mut stats = sim_core::EngineStats::default();
        for _ in 0..runs.max(1) {
            let mut sim = Simulation::new(&loaded.scenario);
            let start = cpu_now();
            if let Err(e) = sim.run_until(sim.end(), &mut NoObserver) {
                println!("{}: {e}", file.display());
                break;
            }
            let ns = cpu_now() - start;
            stats = sim.engine_stats();
            let run_ns = ns / stats.events.max(1) as f64;
            let n = (stats.mean_pending.round() as usize).max(1);
            let ops = stats.events.clamp(1_000_000, 5_000_000);
            let mut model = HoldModel::new(CalendarQueue::default(), n);
            let start = cpu_now();
            let mut check = 0u64;
            for _ in 0..ops {
                check = check.wrapping_add(model.step());
            }
            std::hint::black_box(check);
            let queue_ns = (cpu_now() - start) / ops as f64;
            run_per_event.push(run_ns);
            queue_per_event.push(queue_ns);
            ratios.push(run_ns / queue_ns);
        }
        if ratios.is_empty() {
            continue;
        }
        let (run_ns, queue_ns, ratio) = (median(run_per_event), median(queue_per_event), median(ratios));
        let name = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        println!(
            "{:<36} {:>10} {:>9.1} {:>9.1} {:>11.1} {:>9.1} {:>7.2}",
            name,
            stats.events,
            stats.mean_pending,
            run_ns,
            queue_ns,
            stats.events as f64 * queue_ns / 1e6,
            ratio
        );
    }
}
