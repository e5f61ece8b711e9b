//! The scenario library, run once: every shipped scenario passes its own
//! expectations at its own seed, its load-time cost estimate is close to the
//! events the run took, and its outcome is pinned with insta, so a model change
//! that moves any outcome shows up as a snapshot diff in review.
//!
//! One run per scenario serves all three checks (the library is the test
//! suite's largest cost); the runs go in parallel, the snapshots are compared
//! in file order.
//!
//! Snapshots live in `harness/tests/snapshots/`, one per scenario file, with
//! the same YAML body `fletsim snapshot` writes and `info: {scenario, seed}`,
//! so `fletsim diff harness/tests/snapshots/ RESULTS` works on them too.
//! After an intended change (or a new scenario), review with
//! `cargo insta review`, or accept all with
//! `INSTA_UPDATE=always cargo test -p fletsim --test integration outcomes::`.
//! Under CI (`CI=true`) a stale or missing snapshot fails the test.
//! The snapshots' digests are also the cross-run determinism check: a run that
//! came out differently on another machine, build or thread count would not match.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use harness::artifacts::Collect;
use harness::files::Found;
use harness::scenario_file::LoadedScenario;
use reports::RunRecord;
use reports::snapshot::{SnapshotInfo, body};

/// Runs every scenario once, in parallel, the costliest first: file → (loaded, record).
fn run_library(files: &[Found]) -> BTreeMap<PathBuf, (LoadedScenario, RunRecord)> {
    let mut loaded: Vec<(PathBuf, LoadedScenario)> = files
        .iter()
        .map(|f| {
            let l = harness::scenario_file::load(&f.path).unwrap_or_else(|e| panic!("{e}"));
            (f.canonical.clone(), l)
        })
        .collect();
    loaded.sort_by(|a, b| b.1.cost.cpu_seconds.total_cmp(&a.1.cost.cpu_seconds));
    let next = AtomicUsize::new(0);
    let done = Mutex::new(BTreeMap::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some((file, l)) = loaded.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let collect = Collect {
                        stats: true,
                        ..Collect::default()
                    };
                    let (record, _) =
                        harness::suite::run_collecting(l, None, &mut sim_core::sim::NoObserver, collect)
                            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                    done.lock()
                        .expect("no worker panicked")
                        .insert(file.clone(), (l.clone(), record));
                }
            });
        }
    });
    done.into_inner().expect("no worker panicked")
}

#[test]
fn scenario_library_outcomes() {
    let files = common::scenario_files("scenarios");
    assert!(files.len() > 20, "{files:?}");
    let runs = run_library(&files);
    let mut failures = Vec::new();
    for (file, (loaded, record)) in &runs {
        if !record.passed {
            let failed: Vec<&str> = record
                .expectations
                .iter()
                .filter(|e| !e.passed)
                .map(|e| e.text.as_str())
                .collect();
            failures.push(format!("{}: failed {failed:?}", file.display()));
        }
        // The estimate of a one-home run (an area's is checked in cost.rs, on 100 homes).
        let events = record.stats.as_ref().expect("stats were asked for").events as f64;
        if loaded.scenario.area.is_none() {
            let estimated = loaded.cost.events;
            if (estimated - events).abs() > 0.15 * events + 500.0 {
                failures.push(format!(
                    "{}: estimated {estimated:.0} events, the run took {events}",
                    file.display()
                ));
            }
            if loaded.cost.is_slow() {
                failures.push(format!("{}: warned about as slow", file.display()));
            }
        }
        if events >= loaded.cost.limit as f64 {
            failures.push(format!("{}: reached its event limit", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    insta::glob!("../../../scenarios", "**/*.yaml", |path| {
        let (_, record) = &runs[&path.canonicalize().expect("a shipped file")];
        let info = SnapshotInfo {
            scenario: record.scenario.clone(),
            seed: record.seed,
        };
        // The snapshots stay in harness/tests/snapshots/ (docs and `fletsim diff` name it).
        insta::with_settings!({ info => &info, omit_expression => true, snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!("outcome", body(&record.outcome));
        });
    });
}
