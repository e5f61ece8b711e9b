//! Issue 10, case by case: nothing a user types, points at or interrupts
//! crashes fletsim, hangs it or loses a file. Each case runs the built binary
//! in a temporary folder and checks the exit code, the message (file, field,
//! what is accepted) and that no file but the named outputs changed.

use crate::common;

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{arg, scenario, stderr, stdout, temp_dir};

/// A short valid scenario (runs in well under a second).
const VALID: &str = "\
duration: 1h
line: { vne: v6plus, hgw_rental: true }
gateway: { model: hgw }
expect:
  - \"ipv4.first_up <= 5m\"
";

/// Runs fletsim in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    common::command(args)
        .current_dir(dir)
        .output()
        .expect("fletsim runs")
}

/// Every entry under `dir`: its kind and (for files) its bytes, or its size when large.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        let path = entry.path().strip_prefix(dir).expect("inside").to_path_buf();
        let meta = entry.path().symlink_metadata().expect("meta");
        let what = if meta.file_type().is_symlink() {
            format!(
                "link to {}",
                std::fs::read_link(entry.path()).expect("link").display()
            )
        } else if meta.is_dir() {
            "folder".to_string()
        } else if meta.is_file() && meta.len() < (1 << 20) {
            format!("file {:?}", std::fs::read(entry.path()).expect("read"))
        } else {
            format!("{:?} of {} bytes", meta.file_type(), meta.len())
        };
        out.insert(path, what);
    }
    out
}

/// Asserts that only `changed` (relative paths) differ between two trees.
fn only_changed(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>, changed: &[&str]) {
    let keys: std::collections::BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    for k in keys {
        if changed.iter().any(|c| k.starts_with(c)) {
            continue;
        }
        assert_eq!(before.get(k), after.get(k), "{} changed", k.display());
    }
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// Asserts exit 2 and that stderr holds every one of `words`; returns stderr.
fn refused(o: &Output, words: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(code(o), Some(2), "stdout: {}\nstderr: {err}", stdout(o));
    for w in words {
        assert!(err.contains(w), "`{w}` missing from: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    path
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(ok.success());
}

// ---- counts ------------------------------------------------------------------

#[test]
fn every_count_is_bounded_at_parse_time() {
    let dir = temp_dir("counts");
    write(&dir, "s.yaml", VALID);
    let before = tree(&dir);
    for (args, words) in [
        (
            vec!["run", "s.yaml", "--jobs", "2305843009213693952"],
            vec!["--jobs", "from 1 to 1024"],
        ),
        (
            vec!["run", "s.yaml", "--jobs", "0"],
            vec!["--jobs", "from 1 to 1024"],
        ),
        (
            vec!["snapshot", "s.yaml", "--dir", "snaps", "-j", "40000"],
            vec!["from 1 to 1024"],
        ),
        (
            vec!["check", "s.yaml", "--jobs", "1000000000"],
            vec!["from 1 to 1024"],
        ),
        (
            vec!["hypotheses", "--evidence", "e.log", "s.yaml", "--jobs", "40000"],
            vec!["from 1 to 1024"],
        ),
        (
            vec!["hypotheses", "--evidence", "e.log", "s.yaml", "--seeds", "1e11"],
            vec!["--seeds", "from 1 to 1000000"],
        ),
        (
            vec![
                "bisect",
                "s.yaml",
                "--when",
                "ipv4.up_at_end == true",
                "--seeds",
                "18446744073709551615",
            ],
            vec!["from 1 to 1000000"],
        ),
        (
            vec!["run", "s.yaml", "--seeds", "1000001"],
            vec!["--seeds", "1000000"],
        ),
        (
            vec!["run", "s.yaml", "--seeds", "5..2000000"],
            vec!["--seeds", "1000000"],
        ),
        (
            vec!["check", "s.yaml", "--seeds", "18446744073709551615"],
            vec!["1000000"],
        ),
        (
            vec!["snapshot", "s.yaml", "--dir", "snaps", "--seeds", "0..1000000"],
            vec!["1000000"],
        ),
    ] {
        let out = run_in(&dir, &args);
        let expected = if args[0] == "check" { 128 } else { 2 };
        assert_eq!(code(&out), Some(expected), "{args:?}: {}", stderr(&out));
        for w in words {
            assert!(
                stderr(&out).contains(w),
                "{args:?}: `{w}` missing from {}",
                stderr(&out)
            );
        }
    }
    only_changed(&before, &tree(&dir), &[]);
}

#[test]
fn the_documented_seed_maximum_plans_lazily() {
    // 1,000,000 seeds over every shipped scenario: planned without holding 27 million jobs.
    let (loaded, errors) = harness::run_cmd::load_selection_each(
        &[common::root().join("scenarios")],
        &[],
        &mut Vec::<u8>::new(),
    )
    .expect("the suite is found");
    assert!(errors.is_empty(), "{errors:?}");
    let range: harness::suite::SeedRange = "1000000".parse().expect("the maximum");
    let plan = harness::suite::plan(&loaded.scenarios, harness::suite::Seeds::Sweep(range), None);
    assert_eq!(plan.len(), loaded.scenarios.len() as u64 * 1_000_000);
    let first: Vec<u64> = plan.jobs().take(3).map(|j| j.seed).collect();
    assert_eq!(first, [1, 2, 3]);
    // And the command: the sweep's smallest shard (one in 10,000) runs about 100 of the runs.
    let dir = temp_dir("max-seeds");
    write(&dir, "s.yaml", VALID);
    let out = run_in(
        &dir,
        &[
            "run", "s.yaml", "--seeds", "1000000", "--shard", "7/10000", "-j", "2",
        ],
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("of 1000000 runs"), "{}", stderr(&out));
    let out = run_in(&dir, &["run", "s.yaml", "--shard", "7/1000000"]);
    refused(&out, &["--shard", "N <= 10000"]);
}

#[test]
fn a_set_path_of_60000_segments_is_refused_at_once() {
    let dir = temp_dir("set-depth");
    write(&dir, "s.yaml", VALID);
    let deep = format!("{}=1", vec!["a"; 60_000].join("."));
    let err = refused(
        &run_in(&dir, &["run", "s.yaml", "--set", &deep]),
        &["--set", "a path of 60000 segments", "at most 64 segments"],
    );
    assert!(
        err.len() < 2000,
        "the message quotes the value whole: {} bytes",
        err.len()
    );
    let big = format!("description={}", "x".repeat(70_000));
    let err = refused(
        &run_in(&dir, &["run", "s.yaml", "--set", &big]),
        &["--set", "70012 bytes", "limit of 65536 bytes"],
    );
    assert!(
        err.len() < 2000,
        "the message quotes the value whole: {} bytes",
        err.len()
    );
    let deep = format!("{}=1", vec!["a"; 100].join("."));
    refused(
        &run_in(&dir, &["run", "s.yaml", "--set", &deep]),
        &["--set", "100 segments", "at most 64 segments"],
    );
    let list = format!("faults{}=1", "[0]".repeat(70));
    refused(
        &run_in(&dir, &["run", "s.yaml", "--set", &list]),
        &["at most 64 segments"],
    );
}

// ---- folders and inputs ------------------------------------------------------

#[test]
fn symlink_loops_end_at_once_and_each_file_runs_once() {
    let dir = temp_dir("loops");
    write(&dir, "suite/s.yaml", VALID);
    symlink(".", dir.join("suite/l1")).expect("link");
    symlink(".", dir.join("suite/l2")).expect("link");
    symlink("..", dir.join("suite/up")).expect("link");
    let out = run_in(&dir, &["run", "suite"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with("summary: 1 passed, 0 failed\n"),
        "{}",
        stdout(&out)
    );
    // The same file by two spellings, and by a link: once.
    write(&dir, "x/t.yaml", VALID);
    symlink("t.yaml", dir.join("x/alias.yaml")).expect("link");
    let out = common::command(&["run", "t.yaml", "../x/t.yaml", "alias.yaml", "."])
        .current_dir(dir.join("x"))
        .output()
        .expect("runs");
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with("summary: 1 passed, 0 failed\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn fifos_devices_and_dangling_links_are_named_not_read() {
    let dir = temp_dir("fifo");
    write(&dir, "suite/s.yaml", VALID);
    mkfifo(&dir.join("suite/x.yaml"));
    let before = tree(&dir);
    refused(
        &run_in(&dir, &["run", "suite"]),
        &["suite/x.yaml", "a FIFO (named pipe)", "regular files"],
    );
    let err = refused(&run_in(&dir, &["run", "suite/x.yaml"]), &["suite/x.yaml", "FIFO"]);
    assert!(!err.contains("no such file"), "{err}");
    let out = run_in(&dir, &["check", "suite/x.yaml"]);
    assert_eq!(code(&out), Some(128), "{}", stderr(&out));
    assert!(stderr(&out).contains("FIFO"), "{}", stderr(&out));
    refused(
        &run_in(&dir, &["log", "analyze", "suite/x.yaml"]),
        &["FIFO", "an HGW log"],
    );
    refused(
        &run_in(&dir, &["log", "analyze", "/dev/zero"]),
        &["/dev/zero", "a character device"],
    );
    refused(&run_in(&dir, &["merge", "/dev/zero"]), &["a character device"]);
    refused(
        &run_in(&dir, &["diff", "/dev/zero", "suite"]),
        &["a character device"],
    );
    refused(
        &run_in(&dir, &["hypotheses", "--evidence", "/dev/zero", "suite/s.yaml"]),
        &["a character device"],
    );
    std::fs::remove_file(dir.join("suite/x.yaml")).expect("rm");
    symlink("gone.yaml", dir.join("suite/dangling.yaml")).expect("link");
    refused(
        &run_in(&dir, &["run", "suite"]),
        &["suite/dangling.yaml", "gone.yaml", "does not exist"],
    );
    only_changed(&before, &tree(&dir), &["suite/x.yaml", "suite/dangling.yaml"]);
}

#[test]
fn inputs_above_their_limit_are_refused_before_reading() {
    let dir = temp_dir("sizes");
    for (name, size) in [
        ("big.yaml", 3u64 << 30),
        ("big.log", 17 << 20),
        ("big.json", 2 << 30),
        ("big.snap", 17 << 20),
    ] {
        std::fs::File::create(dir.join(name))
            .and_then(|f| f.set_len(size))
            .expect("sparse file");
    }
    let before = tree(&dir);
    refused(
        &run_in(&dir, &["run", "big.yaml"]),
        &["big.yaml", "3 GiB", "4 MiB", "a scenario file"],
    );
    refused(
        &run_in(&dir, &["log", "analyze", "big.log"]),
        &["big.log", "17 MiB", "16 MiB", "an HGW log"],
    );
    refused(
        &run_in(&dir, &["merge", "big.json"]),
        &["big.json", "2 GiB", "1 GiB", "a results file"],
    );
    refused(
        &run_in(&dir, &["diff", "big.snap", "big.snap"]),
        &["big.snap", "16 MiB", "a snapshot"],
    );
    only_changed(&before, &tree(&dir), &[]);
}

#[test]
fn yaml_limits_read_as_plain_english() {
    let dir = temp_dir("budget");
    // A 1 MiB text repeated by aliases: 80 MiB of values from a 1 MiB file.
    let text = format!(
        "{VALID}description: &d \"{}\"\nexpect_more: []\n",
        "x".repeat(1 << 20)
    )
    .replace("expect:\n  - \"ipv4.first_up <= 5m\"\n", "")
    .replace(
        "expect_more: []",
        &format!("expect: [{}]", vec!["*d"; 80].join(", ")),
    );
    write(&dir, "bomb.yaml", &text);
    let err = refused(
        &run_in(&dir, &["run", "bomb.yaml"]),
        &[
            "bomb.yaml",
            "expect",
            "too large or too complex",
            "aliases",
            "limit of 67108864",
        ],
    );
    assert!(!err.contains("ScalarBytes") && !err.contains('{'), "{err}");
    write(&dir, "s.yaml", VALID);
    let deep = format!("lan={}1{}", "[".repeat(100), "]".repeat(100));
    let err = refused(
        &run_in(&dir, &["run", "s.yaml", "--set", &deep]),
        &["--set", "nested 65 deep", "limit of 64"],
    );
    assert!(!err.contains("Depth"), "{err}");
}

// ---- outputs -----------------------------------------------------------------

#[test]
fn reports_never_replace_an_input_or_an_existing_file_without_force() {
    let dir = temp_dir("outputs");
    write(&dir, "suite/story.yaml", VALID);
    write(&dir, "suite/other.yaml", &VALID.replace("1h", "2h"));
    let before = tree(&dir);
    for force in [false, true] {
        let mut args = vec!["run", "suite", "--json", "suite/story.yaml"];
        if force {
            args.push("--force");
        }
        refused(
            &run_in(&dir, &args),
            &["--json suite/story.yaml", "input file of this run"],
        );
    }
    only_changed(&before, &tree(&dir), &[]);
    // Shards: the results in a folder, merged into one of them.
    let out = run_in(&dir, &["run", "suite", "--json", "shards/a.json", "-q"]);
    assert_eq!(code(&out), Some(2), "the folder does not exist: {}", stderr(&out));
    assert!(
        stderr(&out).contains("the folder shards does not exist"),
        "{}",
        stderr(&out)
    );
    std::fs::create_dir(dir.join("shards")).expect("mkdir");
    assert_eq!(
        code(&run_in(&dir, &["run", "suite", "--json", "shards/a.json", "-q"])),
        Some(0)
    );
    let before = tree(&dir);
    refused(
        &run_in(&dir, &["merge", "shards", "--json", "shards/a.json", "--force"]),
        &["--json shards/a.json", "input file of this run"],
    );
    // Every report kind: an existing file needs --force.
    write(&dir, "old.txt", "precious");
    for flag in ["--json", "--junit", "--markdown"] {
        refused(
            &run_in(&dir, &["merge", "shards", flag, "old.txt"]),
            &[flag, "old.txt", "exists", "--force"],
        );
    }
    only_changed(&before, &tree(&dir), &["old.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("old.txt")).expect("read"),
        "precious"
    );
    let out = run_in(
        &dir,
        &["merge", "shards", "--markdown", "old.txt", "--force", "-q"],
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(dir.join("old.txt"))
            .expect("read")
            .contains('|')
    );
    // The help says so.
    let help = stdout(&run_in(&dir, &["run", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("--force") && help.contains("an existing FILE needs --force"),
        "{help}"
    );
    let help = stdout(&run_in(&dir, &["merge", "--help"]));
    assert!(help.contains("--force"), "{help}");
}

#[test]
fn bad_output_paths_are_found_before_the_first_run() {
    let dir = temp_dir("bad-outputs");
    write(&dir, "s.yaml", VALID);
    std::fs::create_dir(dir.join("a-folder")).expect("mkdir");
    write(&dir, "a-file", "x");
    let before = tree(&dir);
    for (args, words) in [
        (
            vec!["run", "s.yaml", "--json", "a-folder"],
            vec!["--json a-folder", "is a folder"],
        ),
        (
            vec!["run", "s.yaml", "--junit", "a-file/j.xml"],
            vec!["a-file", "not a folder"],
        ),
        (
            vec!["run", "s.yaml", "--pcap", "a-file"],
            vec!["--pcap a-file", "regular file", "takes a folder"],
        ),
        (
            vec!["run", "s.yaml", "--device-log", "a-file"],
            vec!["--device-log a-file"],
        ),
        (
            vec!["run", "s.yaml", "--markdown", "no/such/m.md"],
            vec!["no/such", "does not exist"],
        ),
        (
            vec!["snapshot", "s.yaml", "--dir", "a-file"],
            vec!["--dir a-file", "takes a folder"],
        ),
        (
            vec!["run", "s.yaml", "--json", "-", "--markdown", "-"],
            vec!["both write to stdout"],
        ),
        (
            vec!["run", "s.yaml", "--json", "/dev/stdout", "--force"],
            vec!["/dev/stdout", "writes only regular files", "`-` writes to stdout"],
        ),
        (
            vec!["run", "s.yaml", "--junit", "/dev/null", "--force"],
            vec!["/dev/null", "a character device"],
        ),
    ] {
        let out = run_in(&dir, &args);
        refused(&out, &words);
        assert!(!stdout(&out).contains("PASS"), "{args:?} ran: {}", stdout(&out));
    }
    // /proc refuses new files even to root.
    refused(
        &run_in(&dir, &["run", "s.yaml", "--json", "/proc/fletsim.json"]),
        &["/proc/fletsim.json", "cannot create files"],
    );
    // A read-only folder (root may write anyway: then there is nothing to refuse).
    let ro = dir.join("read-only");
    std::fs::create_dir(&ro).expect("mkdir");
    let mut perms = std::fs::metadata(&ro).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&ro, perms).expect("chmod");
    if std::fs::write(ro.join("probe"), "x").is_err() {
        refused(
            &run_in(&dir, &["run", "s.yaml", "--json", "read-only/r.json"]),
            &["read-only", "cannot create files"],
        );
    } else {
        std::fs::remove_file(ro.join("probe")).expect("rm");
    }
    only_changed(&before, &tree(&dir), &["read-only"]);
}

#[test]
fn writes_never_follow_a_planted_link() {
    let dir = temp_dir("links");
    write(&dir, "s.yaml", VALID);
    std::fs::create_dir(dir.join("pc")).expect("mkdir");
    symlink("../victim.pcap", dir.join("pc/wan.pcap")).expect("link");
    refused(
        &run_in(&dir, &["run", "s.yaml", "--pcap", "pc"]),
        &["pc/wan.pcap", "symbolic link", "--force"],
    );
    assert!(
        !dir.join("victim.pcap").exists(),
        "the dangling link's target was created"
    );
    assert!(
        !dir.join("pc/distributor.pcap").exists(),
        "files written before the refusal"
    );
    // With --force the link itself is replaced; its target never comes to be.
    let out = run_in(&dir, &["run", "s.yaml", "--pcap", "pc", "--force", "-q"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(!dir.join("victim.pcap").exists());
    let meta = dir.join("pc/wan.pcap").symlink_metadata().expect("meta");
    assert!(meta.is_file() && meta.len() > 24, "a pcap, not a link");
    // snapshot --check writes its .snap.new over a link, never through it.
    let snaps = dir.join("snaps");
    assert_eq!(
        code(&run_in(&dir, &["snapshot", "s.yaml", "--dir", "snaps"])),
        Some(0)
    );
    let snap = snaps.join("s.snap");
    let stored = std::fs::read_to_string(&snap).expect("stored");
    std::fs::write(&snap, stored.replace("boots: 1", "boots: 7")).expect("edit");
    write(&dir, "outside.txt", "precious");
    symlink("../outside.txt", snaps.join("s.snap.new")).expect("link");
    let out = run_in(&dir, &["snapshot", "s.yaml", "--dir", "snaps", "--check"]);
    assert_eq!(code(&out), Some(100), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("outside.txt")).expect("read"),
        "precious"
    );
    let pending = snaps.join("s.snap.new").symlink_metadata().expect("meta");
    assert!(pending.is_file(), "the link was replaced by the pending snapshot");
}

#[test]
fn two_scenarios_sharing_an_artifact_folder_are_refused_before_running() {
    let dir = temp_dir("shared-artifacts");
    write(&dir, "a/x.yaml", VALID);
    write(&dir, "b/x.yaml", VALID);
    let before = tree(&dir);
    for extra in [None, Some("--force")] {
        let mut args = vec!["run", "a", "b", "--device-log", "logs", "--pcap", "pc"];
        args.extend(extra);
        let out = run_in(&dir, &args);
        refused(&out, &["a/x.yaml", "b/x.yaml", "`x`", "x@seed<S>/", "name:"]);
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    }
    only_changed(&before, &tree(&dir), &[]);
}

#[test]
fn an_interrupted_merge_leaves_the_old_report_whole() {
    let dir = temp_dir("sigint");
    write(&dir, "s.yaml", VALID);
    assert_eq!(
        code(&run_in(&dir, &["run", "s.yaml", "--json", "one.json", "-q"])),
        Some(0)
    );
    // Many records, so that writing takes a while.
    let line = std::fs::read_to_string(dir.join("one.json")).expect("read");
    let mut big = String::new();
    for seed in 1..=8_000 {
        big.push_str(&line.replace("\"seed\":1,", &format!("\"seed\":{seed},")));
    }
    std::fs::write(dir.join("big.json"), &big).expect("write");
    let complete = {
        assert_eq!(
            code(&run_in(
                &dir,
                &["merge", "big.json", "--json", "whole.json", "-q"]
            )),
            Some(0)
        );
        std::fs::read(dir.join("whole.json")).expect("read")
    };
    for delay_ms in [0, 50, 200, 500, 1000] {
        std::fs::write(dir.join("out.json"), "old report\n").expect("write");
        let mut child = common::command(&["merge", "big.json", "--json", "out.json", "--force", "-q"])
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let status = child.wait().expect("wait");
        let now = std::fs::read(dir.join("out.json")).expect("read");
        assert!(
            now == b"old report\n" || now == complete,
            "after SIGINT at {delay_ms} ms ({status}): {} bytes, neither the old nor the new report",
            now.len()
        );
        let stray: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "temporary files left: {stray:?}");
    }
}

// ---- checks at load time -----------------------------------------------------

#[test]
fn what_a_run_would_only_find_late_is_refused_at_load() {
    let dir = temp_dir("load-checks");
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "a step name that does not exist",
            VALID.replace("ipv4.first_up <= 5m", "gateway.stuck_at == banana"),
            vec![
                "expect[1]",
                "gateway.stuck_at",
                "banana",
                "software-distribution",
                "rule-fetch",
            ],
        ),
        (
            "an hour past the day",
            VALID.replace("ipv4.first_up <= 5m", "gateway.reboots.hours[25] == 0"),
            vec!["gateway.reboots.hours", "[1] to [24]", "hours[1] is 00:00-01:00"],
        ),
        (
            "a whole mapping",
            VALID.replace("ipv4.first_up <= 5m", "ipv4 == 1"),
            vec!["`ipv4` is a group of fields", "first_up"],
        ),
        (
            "a boot cause that does not exist",
            VALID.replace("ipv4.first_up <= 5m", "boots[last].cause == reboot"),
            vec!["boots[last].cause", "power-restored"],
        ),
        (
            "a number for a duration",
            VALID.replace("ipv4.first_up <= 5m", "ipv4.first_up <= 5"),
            vec!["a duration like 90s"],
        ),
        (
            "a user's action as a random process",
            format!(
                "{VALID}faults:\n  - every: {{ hazard: constant, mean_interval: 1d }}\n    user_reboot:\n"
            ),
            vec!["faults[1].every", "user_reboot", "`at`", "spontaneous_reboot"],
        ),
        (
            "a factory reset as a random process",
            format!(
                "{VALID}faults:\n  - every: {{ hazard: constant, mean_interval: 1d }}\n    factory_reset:\n"
            ),
            vec!["factory_reset", "user's action"],
        ),
        (
            "a power cut with no body",
            format!("{VALID}faults:\n  - at: 1m\n    power_cut:\n"),
            vec![
                "faults[1].power_cut",
                "needs `duration`",
                "power_cut: { duration: 10m }",
            ],
        ),
        (
            "a link fault with no body",
            format!("{VALID}faults:\n  - at: 1m\n    link:\n"),
            vec!["faults[1].link", "needs `name`"],
        ),
        (
            "NAPT timers with none given",
            format!("{VALID}faults:\n  - at: 1m\n    napt_timeouts: {{}}\n"),
            vec!["faults[1].napt_timeouts", "at least one of"],
        ),
        (
            "a distribution retry of a nanosecond",
            VALID.replace(
                "gateway: { model: hgw }",
                "gateway: { model: hgw, hgw: { distribution_retry: 1ns } }",
            ),
            vec!["gateway.hgw.distribution_retry", "`1ns`", "30s or longer"],
        ),
        (
            "a rule retry of a nanosecond",
            VALID.replace(
                "gateway: { model: hgw }",
                "gateway: { model: hgw, hgw: { rule_retry: { initial: 1ns, max: 1ns } } }",
            ),
            vec!["gateway.hgw.rule_retry.initial", "10s or longer"],
        ),
        (
            "a router's rule retry cap of a second",
            VALID.replace(
                "gateway: { model: hgw }",
                "gateway: { model: retail-router, router: { rule_retry: { initial: 10s, max: 1s } } }",
            ),
            vec!["gateway.router.rule_retry.max", "10s or longer"],
        ),
    ];
    for (what, text, words) in cases {
        write(&dir, "s.yaml", &text);
        let out = run_in(&dir, &["run", "s.yaml"]);
        let err = stderr(&out);
        assert_eq!(code(&out), Some(2), "{what}: {}{err}", stdout(&out));
        assert!(err.starts_with("error: s.yaml:"), "{what}: {err}");
        for w in words {
            assert!(err.contains(w), "{what}: `{w}` missing from {err}");
        }
        assert!(stdout(&out).is_empty(), "{what}: it ran: {}", stdout(&out));
    }
    // The floors themselves are accepted.
    write(
        &dir,
        "s.yaml",
        &VALID.replace(
            "gateway: { model: hgw }",
            "gateway: { model: hgw, hgw: { distribution_retry: 30s, rule_retry: { initial: 10s, max: 10s } } }",
        ),
    );
    assert_eq!(code(&run_in(&dir, &["run", "s.yaml", "-q"])), Some(0));
}

#[test]
fn bisect_checks_its_expression_before_the_first_probe() {
    let dir = temp_dir("bisect-checks");
    write(&dir, "s.yaml", VALID);
    for args in [
        vec!["bisect", "s.yaml", "--when", "gateway.stuck_at == banana"],
        vec![
            "bisect",
            "s.yaml",
            "--faults",
            "--until",
            "gateway.stuck_at == banana",
        ],
        vec![
            "bisect",
            "s.yaml",
            "--param",
            "gateway.boot_time",
            "--range",
            "10s..60s",
            "--until",
            "gateway.stuck_at == banana",
        ],
    ] {
        let out = run_in(&dir, &args);
        refused(&out, &["banana", "software-distribution"]);
        assert!(
            !stdout(&out).contains("yes") && !stdout(&out).contains("no\n"),
            "{args:?}: it probed: {}",
            stdout(&out)
        );
    }
}

#[test]
fn dates_a_pcap_cannot_hold_are_refused_before_running() {
    let dir = temp_dir("pcap-dates");
    for start in ["1960-01-01 00:00:00", "2106-02-07 06:00:00", "2200-01-01"] {
        write(&dir, "s.yaml", &format!("start: {start}\n{VALID}"));
        let out = run_in(&dir, &["run", "s.yaml", "--pcap", "pc"]);
        refused(
            &out,
            &[
                "s.yaml: start:",
                "1970-01-01 00:00:00",
                "2106-02-07 06:28:15",
                "--pcap",
            ],
        );
        assert!(stdout(&out).is_empty(), "it ran: {}", stdout(&out));
        assert!(!dir.join("pc").exists(), "the capture folder was made");
        // Without --pcap the date is fine.
        let out = run_in(&dir, &["run", "s.yaml", "-q"]);
        assert_eq!(code(&out), Some(0), "{start}: {}", stderr(&out));
    }
}

// ---- terminals, logs, evidence -----------------------------------------------

#[test]
fn control_characters_never_reach_the_terminal() {
    let dir = temp_dir("escapes");
    write(&dir, "s.yaml", VALID);
    assert_eq!(
        code(&run_in(&dir, &["run", "s.yaml", "--json", "a.json", "-q"])),
        Some(0)
    );
    let line = std::fs::read_to_string(dir.join("a.json")).expect("read");
    let evil = line
        .replace(
            "\"scenario\":\"s\"",
            "\"scenario\":\"ev\\u001b]52;c;AAAA\\u0007il\\u001b[2J\"",
        )
        .replace("\"stuck_at\":\"none\"", "\"stuck_at\":\"\\u009b31m\"");
    assert_ne!(evil, line);
    std::fs::write(dir.join("b.json"), &evil).expect("write");
    for args in [
        vec!["diff", "a.json", "b.json"],
        vec!["merge", "b.json", "-v"],
        vec!["diff", "a.json", "b.json", "--color", "always"],
    ] {
        let out = run_in(&dir, &args);
        assert!(
            !out.stdout.contains(&0x07) && !out.stdout.contains(&0x9b),
            "{args:?}"
        );
        let text = stdout(&out);
        assert!(
            !text.contains("\u{1b}]") && !text.contains("\u{1b}[2J"),
            "{args:?}: {text:?}"
        );
        assert!(
            text.contains("ev\\x1b]52;c;AAAA\\x07il\\x1b[2J"),
            "{args:?}: {text}"
        );
    }
    // A file name with an escape in it, in an error.
    let name = "bad\u{1b}[31m.yaml";
    write(&dir, name, "duration: x\n");
    let out = run_in(&dir, &["run", name]);
    assert_eq!(code(&out), Some(2));
    assert!(!out.stderr.contains(&0x1b), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad\\x1b[31m.yaml"), "{}", stderr(&out));
}

#[test]
fn logs_with_cr_or_nul_line_endings_read_as_lines() {
    let dir = temp_dir("line-endings");
    let evidence =
        std::fs::read_to_string(common::root().join("scenarios/hypotheses/evidence-report-2021.log"))
            .expect("evidence");
    let unix = evidence.replace("\r\n", "\n");
    write(&dir, "lf.log", &unix);
    let reference = run_in(&dir, &["log", "analyze", "lf.log", "--json", "-"]);
    assert_eq!(code(&reference), Some(0));
    let reference: serde_json::Value = serde_json::from_slice(&reference.stdout).expect("JSON");
    assert_eq!(reference["entries"], 1000);
    for (name, text) in [
        ("cr.log", unix.replace('\n', "\r")),
        ("nul.log", unix.replace('\n', "\0")),
        ("nul-lf.log", unix.replace('\n', "\0\n")),
    ] {
        write(&dir, name, &text);
        let out = run_in(&dir, &["log", "analyze", name, "--json", "-"]);
        assert_eq!(code(&out), Some(0), "{name}: {}", stderr(&out));
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        for key in ["entries", "boots", "spontaneous_reboots", "user_reboots"] {
            assert_eq!(got[key], reference[key], "{name}: {key}");
        }
    }
}

#[test]
fn hypotheses_leave_out_the_tests_thin_evidence_cannot_feed() {
    let dir = temp_dir("thin-evidence");
    let evidence =
        std::fs::read_to_string(common::root().join("scenarios/hypotheses/evidence-report-2021.log"))
            .expect("evidence");
    // The newest 60 lines: three boot lines. A log shorter than the ring's 1000 entries
    // starts with the unit's first power-on, so its oldest boot is not spontaneous: two
    // spontaneous reboots, one interval between them.
    let thin: String = evidence.lines().take(60).map(|l| format!("{l}\n")).collect();
    write(&dir, "thin.log", &thin);
    let hypothesis = scenario("hypotheses/constant-firmware-hazard.yaml");
    let args = [
        "hypotheses",
        "--evidence",
        "thin.log",
        arg(&hypothesis),
        "--seeds",
        "1",
    ];
    let out = run_in(&dir, &args);
    let text = stdout(&out);
    assert_eq!(code(&out), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("2 spontaneous reboots"), "{text}");
    assert!(!text.contains("inf"), "{text}");
    assert!(
        text.contains("left out of every score: intervals: 1 interval"),
        "{text}"
    );
    assert!(
        text.contains("left out of every score: hours: 2 reboots with a known hour"),
        "{text}"
    );
    assert!(text.contains("left out of every score: night share"), "{text}");
    let mut json = args.to_vec();
    json.extend(["--json", "-"]);
    let doc: serde_json::Value = serde_json::from_slice(&run_in(&dir, &json).stdout).expect("JSON");
    let ranked = &doc["ranking"][0];
    assert!(ranked["hours"]["p_value"].is_null(), "{ranked}");
    assert!(
        ranked["hours"]["left_out"]
            .as_str()
            .is_some_and(|s| s.contains("at least 10")),
        "{ranked}"
    );
    assert!(ranked["rate"]["p_value"].is_number(), "{ranked}");
    assert!(ranked["score"].is_number(), "{ranked}");
    // Evidence no test can use is an error.
    write(&dir, "one.log", "1. 2021-10-14 17:35:28 JavaVM起動(reboot)\n");
    refused(
        &run_in(
            &dir,
            &[
                "hypotheses",
                "--evidence",
                "one.log",
                arg(&hypothesis),
                "--seeds",
                "1",
            ],
        ),
        &["one.log", "too thin for any of the four tests"],
    );
}

// ---- the outcome's vocabulary stays complete ---------------------------------

#[test]
fn every_text_field_of_every_shipped_outcome_has_a_known_kind() {
    use sim_core::outcome::{TextField, text_field};
    fn walk(v: &serde_json::Value, pattern: &str, problems: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    let p = if pattern.is_empty() {
                        k.clone()
                    } else {
                        format!("{pattern}.{k}")
                    };
                    // LAN groups are keyed by profile: all numbers below.
                    walk(child, &p, problems);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{pattern}[]"), problems);
                }
            }
            serde_json::Value::String(s) => match text_field(pattern) {
                None => problems.push(format!("{pattern}: text with no kind in outcome::text_field")),
                Some(TextField::Duration) if sim_core::time::SimDuration::parse(s).is_err() => {
                    problems.push(format!("{pattern}: `{s}` is not a duration"))
                }
                Some(TextField::Name(names)) if !names.contains(&s.as_str()) => {
                    problems.push(format!("{pattern}: `{s}` is not among {names:?}"))
                }
                _ => {}
            },
            serde_json::Value::Null if text_field(pattern).is_none() => {
                problems.push(format!("{pattern}: null with no kind in outcome::text_field"))
            }
            _ => {}
        }
    }
    let snaps = common::root().join("harness/tests/snapshots");
    let mut problems = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&snaps).expect("snapshots") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "snap") {
            let snap = harness::snapshot_cmd::read_snap(&path).expect("a snapshot");
            walk(&snap.outcome, "", &mut problems);
            seen += 1;
        }
    }
    assert!(seen > 10, "{seen} snapshots");
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
