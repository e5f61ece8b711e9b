//! Suites in CI, end to end with the real binary: seed sweeps in parallel,
//! JUnit/Markdown/JSON reports, shards and merge, share expectations,
//! snapshots, the semantic diff and `fletsim check`'s exit codes.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{arg, fixture, fletsim, fletsim_env, stderr, stdout, temp_dir};
use quick_junit::{Report, TestCaseStatus};
use reports::RunRecord;
use sim_core::time::SimDuration;

/// The suite these tests sweep: seven of the shipped scenarios, the short ones
/// (links into `scenarios/`), so that a sweep in a debug build takes seconds.
/// The whole shipped suite is swept by the release binary in `.ci/run`.
const SUITE: &str = "harness/tests/fixtures/suite/";

fn records(path: &Path) -> Vec<RunRecord> {
    let text = std::fs::read_to_string(path).expect("results file");
    reports::json::read_records(&text).expect("JSON Lines of run records")
}

/// (scenario, seed, digest) of every record.
fn triples(records: &[RunRecord]) -> Vec<(String, u64, String)> {
    records
        .iter()
        .map(|r| (r.scenario.clone(), r.seed, r.digest.clone()))
        .collect()
}

fn suite_files() -> Vec<String> {
    let out = fletsim(&["run", SUITE, "--json", "-", "-q"]);
    let mut files: Vec<String> = reports::json::read_records(&stdout(&out))
        .expect("records")
        .into_iter()
        .map(|r| r.file)
        .collect();
    files.dedup();
    files
}

/// Writes the lossy fixture with extra expectation lines into `dir`.
fn lossy_with(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let mut text = std::fs::read_to_string(fixture("lossy-rule-fetch.yaml")).expect("fixture");
    for e in extra {
        text.push_str(&format!("  - \"{e}\"\n"));
    }
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, text).expect("write");
    file
}

#[test]
fn a_parallel_sweep_writes_well_formed_junit_and_the_same_bytes_for_any_jobs() {
    let dir = temp_dir("sweep");
    let (j2, r2, m2) = (dir.join("j.xml"), dir.join("r.json"), dir.join("m.md"));
    let out = fletsim(&[
        "run",
        SUITE,
        "--seeds",
        "8",
        "--jobs",
        "2",
        "--junit",
        arg(&j2),
        "--json",
        arg(&r2),
        "--markdown",
        arg(&m2),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));

    let files = suite_files();
    let xml = std::fs::read_to_string(&j2).expect("junit");
    let report = Report::deserialize_from_str(&xml).expect("well-formed JUnit");
    let all_cases: Vec<_> = report.test_suites.iter().flat_map(|s| &s.test_cases).collect();
    assert_eq!(report.tests, all_cases.len());
    assert_eq!(report.failures, 0);
    // One testcase per scenario and seed, and one per share expectation (`… for P% of seeds`).
    let (shares, cases): (Vec<_>, Vec<_>) = all_cases
        .into_iter()
        .partition(|c| c.name.as_str().contains(" share: "));
    assert_eq!(cases.len(), files.len() * 8, "one testcase per scenario and seed");
    let share_lines = files
        .iter()
        .map(|f| std::fs::read_to_string(common::root().join(f)).expect("scenario"))
        .map(|text| text.lines().filter(|l| l.contains(" of seeds\"")).count())
        .sum::<usize>();
    assert_eq!(shares.len(), share_lines, "one testcase per share expectation");
    assert!(
        shares
            .iter()
            .all(|c| matches!(c.status, TestCaseStatus::Success { .. }))
    );
    // Each testsuite names its scenario file; classnames are dotted, without `.yaml`.
    for suite in &report.test_suites {
        let file = suite.extra.get("file").expect("file on the testsuite").as_str();
        assert!(files.iter().any(|f| f == file), "{file}");
        let folders = file.rsplit_once('/').map_or("", |(f, _)| f).replace('/', ".");
        for c in &suite.test_cases {
            let classname = c.classname.as_ref().expect("classname").as_str();
            assert_eq!(classname, format!("fletsim.{folders}.{}", suite.name.as_str()));
        }
    }
    let mut pairs = BTreeSet::new();
    for c in &cases {
        let classname = c.classname.as_ref().expect("classname").as_str().to_string();
        let (_, seed) = c
            .name
            .as_str()
            .rsplit_once(" (seed ")
            .expect("the seed in the name");
        assert!(
            c.properties.is_empty(),
            "junit-10.xsd allows no properties on a testcase"
        );
        assert!(matches!(c.status, TestCaseStatus::Success { .. }));
        assert!(
            c.time == Some(std::time::Duration::ZERO) && c.timestamp.is_none(),
            "no wall time in the report"
        );
        pairs.insert((classname, seed.to_string()));
    }
    assert_eq!(
        pairs.len(),
        cases.len(),
        "no two testcases for one scenario and seed"
    );
    assert_eq!(records(&r2).len(), cases.len());
    let markdown = std::fs::read_to_string(&m2).expect("markdown");
    assert!(markdown.starts_with("## ✅ fletsim:"), "{markdown}");

    // --jobs 1 gives the same bytes in every report.
    let (j1, r1, m1) = (dir.join("j1.xml"), dir.join("r1.json"), dir.join("m1.md"));
    let out = fletsim(&[
        "run",
        SUITE,
        "--seeds",
        "8",
        "--jobs",
        "1",
        "--junit",
        arg(&j1),
        "--json",
        arg(&r1),
        "--markdown",
        arg(&m1),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0));
    for (a, b) in [(&r1, &r2), (&j1, &j2), (&m1, &m2)] {
        assert_eq!(
            std::fs::read(a).expect("read"),
            std::fs::read(b).expect("read"),
            "{}",
            a.display()
        );
    }
}

#[test]
fn shards_partition_the_sweep_and_merge_restores_it_in_any_order() {
    let dir = temp_dir("shards");
    let whole = dir.join("whole.json");
    let whole_junit = dir.join("whole.xml");
    let out = fletsim(&[
        "run",
        SUITE,
        "--seeds",
        "6",
        "--json",
        arg(&whole),
        "--junit",
        arg(&whole_junit),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let mut parts = Vec::new();
    for i in 1..=3 {
        let file = dir.join(format!("shard{i}.json"));
        let out = fletsim(&[
            "run",
            SUITE,
            "--seeds",
            "6",
            "--shard",
            &format!("{i}/3"),
            "--json",
            arg(&file),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).contains(&format!("shard {i}/3")), "{}", stderr(&out));
        parts.push(file);
    }
    let mut union: Vec<_> = parts.iter().flat_map(|p| triples(&records(p))).collect();
    let count = union.len();
    union.sort();
    union.dedup();
    assert_eq!(union.len(), count, "no (scenario, seed) in two shards");
    let mut expected = triples(&records(&whole));
    expected.sort();
    assert_eq!(union, expected, "the shards together are exactly the whole run");
    assert!(
        parts.iter().all(|p| !records(p).is_empty()),
        "every shard got work"
    );

    for order in [[2, 0, 1], [1, 2, 0], [0, 1, 2]] {
        let merged = dir.join(format!("merged{order:?}.json"));
        let merged_junit = dir.join(format!("merged{order:?}.xml"));
        let mut args = vec!["merge"];
        args.extend(order.iter().map(|&i| arg(&parts[i])));
        args.extend(["--json", arg(&merged), "--junit", arg(&merged_junit), "-q"]);
        let out = fletsim(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            std::fs::read(&merged).expect("merged"),
            std::fs::read(&whole).expect("whole")
        );
        assert_eq!(
            std::fs::read(&merged_junit).expect("merged"),
            std::fs::read(&whole_junit).expect("whole")
        );
    }
    // The same shard twice is kept once; a conflicting duplicate is an error.
    let out = fletsim(&["merge", arg(&parts[0]), arg(&parts[0]), "--json", "-"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, std::fs::read(&parts[0]).expect("shard"));
    let mut forged = records(&parts[0]);
    forged[0].digest = "0000000000000000".into();
    let forged_file = dir.join("forged.json");
    let mut text = Vec::new();
    reports::json::write_records(&mut text, &forged).expect("write");
    std::fs::write(&forged_file, text).expect("write");
    let out = fletsim(&["merge", arg(&parts[0]), arg(&forged_file)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("different results"), "{}", stderr(&out));
}

#[test]
fn shard_auto_reads_the_ci_variables() {
    let fixed = fletsim(&["run", SUITE, "--seeds", "3", "--shard", "2/3", "--json", "-"]);
    assert_eq!(fixed.status.code(), Some(0));
    type Vars<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Vars, &[&str]); 4] = [
        (&[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")], &[]),
        (&[("FLETSIM_SHARD_INDEX", "1"), ("FLETSIM_SHARD_TOTAL", "3")], &[]),
        (
            &[
                ("BUILDKITE_PARALLEL_JOB", "1"),
                ("BUILDKITE_PARALLEL_JOB_COUNT", "3"),
            ],
            &[],
        ),
        (&[("JOB_COMPLETION_INDEX", "1")], &["--shard-total", "3"]),
    ];
    for (vars, extra) in cases {
        let mut args = vec!["run", SUITE, "--seeds", "3", "--shard", "auto", "--json", "-"];
        args.extend_from_slice(extra);
        let out = fletsim_env(&args, vars);
        assert_eq!(out.status.code(), Some(0), "{vars:?}: {}", stderr(&out));
        assert_eq!(out.stdout, fixed.stdout, "{vars:?} is shard 2/3");
        assert!(stderr(&out).contains("shard 2/3 (from "), "{}", stderr(&out));
    }
    let out = fletsim(&["run", SUITE, "--shard", "auto"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("CI_NODE_INDEX"), "{}", stderr(&out));
    let out = fletsim_env(
        &["run", SUITE, "--shard", "auto"],
        &[("JOB_COMPLETION_INDEX", "0")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--shard-total"), "{}", stderr(&out));
}

#[test]
fn a_failed_run_names_its_seed_and_the_command_that_reproduces_it() {
    let dir = temp_dir("failed-sweep");
    // Fails wherever IPv4 took longer than the fastest seeds.
    let file = lossy_with(&dir, "strict", &["ipv4.first_up <= 1m30s"]);
    let junit = dir.join("j.xml");
    let markdown = dir.join("m.md");
    let out = fletsim(&[
        "run",
        arg(&file),
        "--seeds",
        "10",
        "-j",
        "2",
        "--junit",
        arg(&junit),
        "--markdown",
        arg(&markdown),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(100), "{text}");
    let failed_seed: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("FAIL  strict (seed ")?
                .split(')')
                .next()?
                .parse()
                .ok()
        })
        .expect("a failed run");
    let reproduce = format!("reproduce: fletsim run {} --seed {failed_seed}", file.display());
    assert!(text.contains(&reproduce), "{text}");
    assert!(
        text.contains("failed: ipv4.first_up <= 1m30s  (actual: "),
        "{text}"
    );

    let report =
        Report::deserialize_from_str(&std::fs::read_to_string(&junit).expect("junit")).expect("JUnit");
    let case = report.test_suites[0]
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == format!("strict (seed {failed_seed})"))
        .expect("the failed testcase");
    match &case.status {
        TestCaseStatus::NonSuccess {
            message, description, ..
        } => {
            let message = message.as_ref().expect("message").as_str();
            assert!(
                message.starts_with("ipv4.first_up <= 1m30s (actual: "),
                "{message}"
            );
            assert!(
                description.as_ref().expect("body").as_str().contains(&reproduce),
                "{description:?}"
            );
        }
        other => panic!("not a failure: {other:?}"),
    }
    let md = std::fs::read_to_string(&markdown).expect("markdown");
    assert!(md.starts_with("## ❌") && md.contains("### Failures"), "{md}");

    // The printed command reproduces the run exactly.
    let again = fletsim(&[
        "run",
        arg(&file),
        "--seed",
        &failed_seed.to_string(),
        "--json",
        "-",
    ]);
    assert_eq!(again.status.code(), Some(100));
    let sweep = fletsim(&["run", arg(&file), "--seeds", "10", "--json", "-"]);
    let line = stdout(&sweep)
        .lines()
        .find(|l| l.contains(&format!("\"seed\":{failed_seed},")))
        .map(|l| format!("{l}\n"))
        .expect("the run in the sweep");
    assert_eq!(stdout(&again), line);
}

#[test]
fn share_expectations_are_judged_over_the_sweep_and_by_merge_across_shards() {
    let dir = temp_dir("shares");
    let file = lossy_with(
        &dir,
        "shares",
        &[
            "ipv4.first_up <= 15m for 90% of seeds",
            "ipv4.first_up <= 1m30s for 95% of seeds",
        ],
    );
    let junit = dir.join("j.xml");
    let out = fletsim(&["run", arg(&file), "--seeds", "10", "--junit", arg(&junit)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(100), "{text}");
    assert!(
        text.contains("summary: 10 passed, 0 failed"),
        "a missed seed does not fail its run:\n{text}"
    );
    assert!(
        text.contains("MET   shares: ipv4.first_up <= 15m for 90% of seeds  held at 10 of 10 seeds"),
        "{text}"
    );
    assert!(
        text.contains("MISS  shares: ipv4.first_up <= 1m30s for 95% of seeds  held at "),
        "{text}"
    );
    assert!(
        text.contains("missed: ipv4.first_up <= 1m30s for 95% of seeds  (actual: "),
        "{text}"
    );
    assert!(
        text.contains(&format!("reproduce: fletsim run {} --seeds 10", file.display())),
        "{text}"
    );
    let report =
        Report::deserialize_from_str(&std::fs::read_to_string(&junit).expect("junit")).expect("JUnit");
    let cases = &report.test_suites[0].test_cases;
    assert_eq!(cases.len(), 12, "10 runs and 2 share expectations");
    assert_eq!(report.failures, 1);
    let share_case = cases
        .iter()
        .find(|c| c.name.as_str() == "shares share: ipv4.first_up <= 1m30s for 95% of seeds")
        .expect("share testcase");
    assert!(matches!(share_case.status, TestCaseStatus::NonSuccess { .. }));

    // Sharded, each shard defers the share verdict; merge judges it over all seeds.
    let mut parts = Vec::new();
    for i in 1..=2 {
        let part = dir.join(format!("part{i}.json"));
        let out = fletsim(&[
            "run",
            arg(&file),
            "--seeds",
            "10",
            "--shard",
            &format!("{i}/2"),
            "--json",
            arg(&part),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        assert!(
            stderr(&out).contains("judged by `fletsim merge`"),
            "{}",
            stderr(&out)
        );
        parts.push(part);
    }
    let out = fletsim(&["merge", arg(&parts[1]), arg(&parts[0])]);
    assert_eq!(out.status.code(), Some(100));
    let merged = stdout(&out);
    assert!(
        merged.contains("MISS  shares: ipv4.first_up <= 1m30s for 95% of seeds"),
        "{merged}"
    );
    // Bad share syntax is a located error.
    let bad = lossy_with(&dir, "bad", &["ipv4.first_up <= 5m for most seeds"]);
    let out = fletsim(&["run", arg(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("expect[3]") && stderr(&out).contains("for P% of seeds"),
        "{}",
        stderr(&out)
    );
}

/// `path: old -> new` lines of a diff or a snapshot check.
fn change_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("    ") && l.contains(" -> "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn snapshots_accept_check_and_show_a_changed_parameter_like_diff_does() {
    let dir = temp_dir("snapshots");
    let suite = dir.join("suite");
    std::fs::create_dir_all(&suite).expect("mkdir");
    for file in suite_files() {
        let path = common::root().join(&file);
        std::fs::copy(&path, suite.join(path.file_name().expect("name"))).expect("copy");
    }
    let lossy = lossy_with(&suite, "lossy", &[]);
    let snaps = dir.join("snaps");
    let before = dir.join("before.json");
    assert_eq!(
        fletsim(&["run", arg(&suite), "--json", arg(&before), "-q"])
            .status
            .code(),
        Some(0)
    );

    let out = fletsim(&["snapshot", arg(&suite), "--dir", arg(&snaps), "--accept"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let lossy_snap = snaps.join("lossy.snap");
    let stored = std::fs::read_to_string(&lossy_snap).expect("lossy.snap");
    assert!(stored.starts_with("---\nsource: "), "{stored}");
    assert!(
        stored.contains("info:\n  scenario: lossy\n  seed: 2\n---\n"),
        "{stored}"
    );
    let out = fletsim(&["snapshot", arg(&suite), "--dir", arg(&snaps), "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Change a parameter of one scenario.
    let text = std::fs::read_to_string(&lossy).expect("read");
    std::fs::write(&lossy, text.replace("loss: 30%", "loss: 60%")).expect("write");
    let out = fletsim(&["snapshot", arg(&suite), "--dir", arg(&snaps), "--check"]);
    let check = stdout(&out);
    assert_eq!(out.status.code(), Some(100), "{check}");
    assert!(check.contains("changed  lossy (seed 2)"), "{check}");
    assert!(check.contains("    ipv4.first_up: "), "{check}");
    let pending: Vec<_> = std::fs::read_dir(&snaps)
        .expect("snaps")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".snap.new"))
        .collect();
    assert_eq!(pending, ["lossy.snap.new"]);
    assert_eq!(
        std::fs::read_to_string(&lossy_snap).expect("read"),
        stored,
        "--check never overwrites"
    );
    let out = fletsim(&["snapshot", arg(&suite), "--dir", arg(&snaps)]);
    assert_eq!(
        out.status.code(),
        Some(100),
        "without --accept a snapshot is never replaced"
    );
    assert_eq!(std::fs::read_to_string(&lossy_snap).expect("read"), stored);

    // `fletsim diff` shows the same change, from results or from the snapshots.
    let after = dir.join("after.json");
    assert_eq!(
        fletsim(&["run", arg(&suite), "--json", arg(&after), "-q"])
            .status
            .code(),
        Some(0)
    );
    let out = fletsim(&["diff", arg(&before), arg(&after)]);
    assert_eq!(out.status.code(), Some(100));
    let diff = stdout(&out);
    assert!(diff.contains("changed  lossy (seed 2)"), "{diff}");
    assert!(
        diff.contains("different: 1 changed, 0 only in old, 0 only in new, "),
        "{diff}"
    );
    assert_eq!(change_lines(&diff), change_lines(&check));
    let out = fletsim(&["diff", arg(&snaps), arg(&after)]);
    assert_eq!(out.status.code(), Some(100));
    assert_eq!(change_lines(&stdout(&out)), change_lines(&check));
    let out = fletsim(&["diff", arg(&lossy_snap), arg(&snaps.join("lossy.snap.new"))]);
    assert_eq!(out.status.code(), Some(100));
    assert_eq!(change_lines(&stdout(&out)), change_lines(&check));

    // Accept: the new outcome is stored and the pending file goes.
    let out = fletsim(&["snapshot", arg(&suite), "--dir", arg(&snaps), "--accept", "-q"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!snaps.join("lossy.snap.new").exists());
    let out = fletsim(&["snapshot", arg(&suite), "--dir", arg(&snaps), "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = fletsim(&["diff", arg(&snaps), arg(&after)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("identical: 0 changed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn diff_reports_one_sided_runs_and_refuses_bad_input() {
    let dir = temp_dir("diff");
    let a = dir.join("a.json");
    let b = dir.join("b.json");
    let hgw = "scenarios/hgw-v6plus-bring-up.yaml";
    let onu = "scenarios/onu-loss-of-signal.yaml";
    assert_eq!(
        fletsim(&["run", hgw, onu, "--json", arg(&a), "-q"]).status.code(),
        Some(0)
    );
    assert_eq!(
        fletsim(&["run", hgw, "--seeds", "2", "--json", arg(&b), "-q"])
            .status
            .code(),
        Some(0)
    );
    let out = fletsim(&["diff", arg(&a), arg(&a)]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "identical: 0 changed, 0 only in old, 0 only in new, 2 unchanged\n"
    );
    let out = fletsim(&["diff", arg(&a), arg(&b)]);
    assert_eq!(out.status.code(), Some(100));
    let text = stdout(&out);
    assert!(
        text.contains("only in old  onu-loss-of-signal (seed 1)"),
        "{text}"
    );
    assert!(
        text.contains("only in new  hgw-v6plus-bring-up (seed 2)"),
        "{text}"
    );
    assert!(
        text.ends_with("different: 0 changed, 1 only in old, 1 only in new, 1 unchanged\n"),
        "{text}"
    );

    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{not json\n").expect("write");
    for (old, new) in [(arg(&garbage), arg(&a)), (arg(&a), "no/such/results.json")] {
        let out = fletsim(&["diff", old, new]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    }
    assert!(stderr(&fletsim(&["diff", arg(&garbage), arg(&a)])).contains("line 1"));
}

#[test]
fn check_exits_0_1_125_for_git_bisect_run() {
    let dir = temp_dir("check");
    let code = |args: &[&str]| {
        let out = fletsim(args);
        (out.status.code(), stdout(&out), stderr(&out))
    };
    // Good: every expectation holds.
    let (c, text, _) = code(&["check", "scenarios/hgw-v6plus-bring-up.yaml"]);
    assert_eq!(c, Some(0), "{text}");
    assert!(text.ends_with("verdict: good (exit 0)\n"), "{text}");
    // Bad: an ordinary expectation fails.
    let failing = lossy_with(&dir, "failing", &["ipv4.first_up <= 1m"]);
    let (c, text, _) = code(&["check", arg(&failing)]);
    assert_eq!(c, Some(1), "{text}");
    assert!(text.contains("failed: ipv4.first_up <= 1m  (actual: "), "{text}");

    // Share expectations: measure the sweep first, so the cases hold whatever the model's numbers are.
    let sweep = fletsim(&[
        "run",
        arg(&fixture("lossy-rule-fetch.yaml")),
        "--seeds",
        "40",
        "--json",
        "-",
    ]);
    let mut first_up: Vec<SimDuration> = reports::json::read_records(&stdout(&sweep))
        .expect("records")
        .into_iter()
        .map(|r| r.outcome.ipv4.first_up.expect("IPv4 comes up").0)
        .collect();
    first_up.sort();
    let median = first_up[first_up.len() / 2];
    let held = first_up.iter().filter(|d| **d <= median).count();
    assert!(held < 40, "the fixture must vary from seed to seed: {first_up:?}");
    let observed = format!("{}", held as f64 * 2.5);

    // Good: a generous share, decided once the adaptive sweep has enough seeds.
    let good = lossy_with(&dir, "good", &["ipv4.first_up <= 15m for 90% of seeds"]);
    let (c, text, _) = code(&["check", arg(&good)]);
    assert_eq!(c, Some(0), "{text}");
    assert!(
        text.contains("good: ipv4.first_up <= 15m for 90% of seeds"),
        "{text}"
    );
    // Bad: every seed required, some miss.
    let all = lossy_with(
        &dir,
        "all",
        &[&format!("ipv4.first_up <= {median} for 100% of seeds")],
    );
    let (c, text, _) = code(&["check", arg(&all)]);
    assert_eq!(c, Some(1), "{text}");
    // Inconclusive: the required share is exactly what 40 seeds show.
    let close = lossy_with(
        &dir,
        "close",
        &[&format!("ipv4.first_up <= {median} for {observed}% of seeds")],
    );
    let (c, text, _) = code(&["check", arg(&close), "--seeds", "40"]);
    assert_eq!(c, Some(125), "{text}");
    assert!(
        text.contains("inconclusive: ") && text.ends_with("verdict: inconclusive (exit 125)\n"),
        "{text}"
    );

    // A scenario this version cannot read: skip. No such file or bad arguments: abort.
    let unreadable = dir.join("unreadable.yaml");
    std::fs::write(&unreadable, "duration: 1h\nwhat: is this\n").expect("write");
    assert_eq!(code(&["check", arg(&unreadable)]).0, Some(125));
    assert_eq!(code(&["check", "no/such/scenario.yaml"]).0, Some(128));
    assert_eq!(
        code(&["check", "scenarios/hgw-v6plus-bring-up.yaml", "--seeds", "0"]).0,
        Some(128)
    );
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let file = "scenarios/hgw-v6plus-bring-up.yaml";
    let esc = |o: &std::process::Output| o.stdout.contains(&0x1b);
    assert!(!esc(&fletsim(&["run", file])), "no colour into a pipe");
    assert!(esc(&fletsim(&["run", file, "--color", "always"])));
    assert!(
        esc(&fletsim_env(
            &["run", file, "--color", "always"],
            &[("NO_COLOR", "1")]
        )),
        "the flag wins"
    );
    assert!(!esc(&fletsim(&["run", file, "--color", "never"])));
    let out = fletsim(&["run", file, "--color", "always", "--json", "-"]);
    assert!(!esc(&out), "never colour in JSON");
}

#[test]
fn reports_refuse_to_overwrite_an_input_or_share_a_destination() {
    let file = "scenarios/hgw-v6plus-bring-up.yaml";
    let out = fletsim(&["run", file, "--json", file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("input file"), "{}", stderr(&out));
    let out = fletsim(&["run", file, "--json", "-", "--junit", "-"]);
    assert_eq!(out.status.code(), Some(2));
}

/// On a terminal the progress bar draws on stderr from the worker threads:
/// the run must still finish (it once deadlocked on a held stderr lock).
/// Uses util-linux `script` for a pseudo-terminal; skipped where it is missing.
#[test]
fn a_run_on_a_terminal_draws_progress_and_finishes() {
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("skipped: no /usr/bin/script to give fletsim a terminal");
        return;
    }
    let inner = format!(
        "'{}' run scenarios/hgw-v6plus-bring-up.yaml scenarios/onu-loss-of-signal.yaml --seeds 20 -j 2",
        env!("CARGO_BIN_EXE_fletsim")
    );
    let mut child = std::process::Command::new(script)
        .args(["-qec", &inner, "/dev/null"])
        .current_dir(common::root())
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .stdout(std::process::Stdio::piped())
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("script runs");
    // About a minute, counted in polls (no wall-clock types here).
    let mut polls = 0;
    while child.try_wait().expect("wait").is_none() {
        polls += 1;
        if polls > 600 {
            let _ = child.kill();
            panic!("fletsim did not finish on a terminal");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("summary: 40 passed, 0 failed"), "{text}");
    assert!(text.contains("runs"), "a progress bar was drawn: {text}");
}
