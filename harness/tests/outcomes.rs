//! The scenario library's outcomes, pinned with insta: a model change that
//! moves any outcome shows up as a snapshot diff in review.
//!
//! Snapshots live in `harness/tests/snapshots/`, one per scenario file, with
//! the same YAML body `fletsim snapshot` writes and `info: {scenario, seed}`,
//! so `fletsim diff harness/tests/snapshots/ RESULTS` works on them too.
//! After an intended change (or a new scenario), review with
//! `cargo insta review`, or accept all with
//! `INSTA_UPDATE=always cargo test -p fletsim --test outcomes`.
//! Under CI (`CI=true`) a stale or missing snapshot fails the test.

use reports::snapshot::{SnapshotInfo, body};

#[test]
fn scenario_library_outcomes() {
    insta::glob!("../../scenarios", "**/*.yaml", |path| {
        let loaded = harness::scenario_file::load(path).unwrap_or_else(|e| panic!("{e}"));
        let record = harness::suite::run_one(&loaded, None, &mut sim_core::sim::NoObserver)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let info = SnapshotInfo {
            scenario: record.scenario.clone(),
            seed: record.seed,
        };
        insta::with_settings!({ info => &info, omit_expression => true }, {
            insta::assert_snapshot!("outcome", body(&record.outcome));
        });
    });
}
