//! `fletsim hypotheses`: recovery (a log simulated from a hypothesis is ranked
//! first for it), determinism, and the shipped evidence.

use crate::common;

use std::io::Write;

use common::{fletsim, stderr, stdout};

use harness::hypotheses_cmd::{Summary, compare, rank, simulate_all};
use harness::overrides;
use harness::scenario_file::LoadedScenario;

const HYPOTHESES: [&str; 4] = [
    "scenarios/hypotheses/constant-firmware-hazard.yaml",
    "scenarios/hypotheses/load-coupled-leak.yaml",
    "scenarios/hypotheses/napt-overflow-reboot.yaml",
    "scenarios/hypotheses/mape-app-fault.yaml",
];

/// Seeds of the sweep (as `--seeds 8`), and evidence seeds outside it.
const SWEEP: u64 = 8;
const TRIALS: [u64; 8] = [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008];

#[test]
#[ignore = "a sweep: 64 runs of 180 days (about 3 minutes of CPU); CI runs it with `cargo test --workspace -- --ignored`"]
fn each_hypothesis_is_recovered_from_its_own_simulated_log() {
    let loaded: Vec<LoadedScenario> = HYPOTHESES
        .iter()
        .map(|h| overrides::load_with(&common::root().join(h), &[]).expect("loads"))
        .collect();
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The sweep: each hypothesis at seeds 1..=SWEEP, pooled.
    let pairs: Vec<(&LoadedScenario, u64)> = loaded
        .iter()
        .flat_map(|l| (1..=SWEEP).map(move |s| (l, s)))
        .collect();
    let sims = simulate_all(&pairs, jobs).expect("sweep runs");
    let pools: Vec<Summary> = sims.chunks(SWEEP as usize).map(Summary::pool).collect();
    // The evidence: each hypothesis at seeds outside the sweep.
    let pairs: Vec<(&LoadedScenario, u64)> = loaded
        .iter()
        .flat_map(|l| TRIALS.iter().map(move |s| (l, *s)))
        .collect();
    let evidence = simulate_all(&pairs, jobs).expect("evidence runs");
    let mut report = String::new();
    let mut total = 0;
    let mut worst = usize::MAX;
    for (h, truth) in loaded.iter().enumerate() {
        let mut first = 0;
        for (t, seed) in TRIALS.iter().enumerate() {
            let e = &evidence[h * TRIALS.len() + t];
            let ranked = rank(
                loaded
                    .iter()
                    .zip(&pools)
                    .map(|(l, p)| compare(&l.scenario.name, "", SWEEP as usize, e, p, 0.05))
                    .collect(),
            );
            if ranked[0].hypothesis == truth.scenario.name {
                first += 1;
            }
            report.push_str(&format!(
                "  {} seed {seed} ({} reboots): ranked {}\n",
                truth.scenario.name,
                e.reboots,
                ranked
                    .iter()
                    .map(|c| c.hypothesis.as_str())
                    .collect::<Vec<_>>()
                    .join(" > ")
            ));
        }
        report.push_str(&format!(
            "{}: ranked first in {first} of {} trials\n",
            truth.scenario.name,
            TRIALS.len()
        ));
        total += first;
        worst = worst.min(first);
    }
    let all = TRIALS.len() * loaded.len();
    // The rate, for the record (cargo test shows it with --nocapture).
    let _ = writeln!(std::io::stdout(), "{report}recovered overall: {total} of {all}");
    // A clear majority for every hypothesis, and three in four overall.
    assert!(2 * worst > TRIALS.len(), "{report}");
    assert!(4 * total >= 3 * all, "{report}");
}

#[test]
fn the_ranking_is_deterministic_and_has_json() {
    // 30 days a run, one seed: the command's shape, not the statistics (those are the sweep's).
    let args = [
        "hypotheses",
        "--evidence",
        "scenarios/hypotheses/evidence-report-2021.log",
        HYPOTHESES[0],
        HYPOTHESES[1],
        "--seeds",
        "1",
        "--set",
        "duration=30d",
    ];
    let a = fletsim(&args);
    let text = stdout(&a);
    assert_eq!(a.status.code(), Some(0), "{text}{}", stderr(&a));
    assert!(text.contains("37 spontaneous reboots"), "{text}");
    assert!(text.contains("\n1    ") && text.contains("\n2    "), "{text}");
    let mut json = args.to_vec();
    json.extend(["--json", "-", "--jobs", "1"]);
    let out = fletsim(&json);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let ranking = doc["ranking"].as_array().expect("a ranking");
    assert_eq!(ranking.len(), 2);
    assert_eq!(doc["evidence"]["reboots"], 37);
    // The second run (one thread, as JSON) ranks as the first did.
    let first = ranking[0]["hypothesis"].as_str().expect("a name");
    let second = ranking[1]["hypothesis"].as_str().expect("a name");
    let at = |name: &str| text.find(&format!("  {name}")).unwrap_or(usize::MAX);
    assert!(at(first) < at(second), "{first} before {second} in\n{text}");
    let bad = fletsim(&["hypotheses", "--evidence", "no-such.log", HYPOTHESES[0]]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}
