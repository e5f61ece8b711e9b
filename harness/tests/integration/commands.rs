//! The commands that run nothing (`validate`, `list`, `schema`, `completions`, `man`), and
//! what every command shares: help texts, exit codes, a closed stdout.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{arg, fletsim, stderr, stdout, temp_dir};

const GOOD: &str = "duration: 1h\nline:\n  vne: v6plus\n  hgw_rental: true\ngateway:\n  model: hgw\n";

#[test]
fn validate_prints_every_error_of_every_file_and_exits_2() {
    let dir = temp_dir("validate");
    std::fs::write(dir.join("good.yaml"), GOOD).expect("write");
    std::fs::write(dir.join("typo.yaml"), GOOD.replace("model: hgw", "modle: hgw")).expect("write");
    std::fs::write(
        dir.join("unit.yaml"),
        GOOD.replace("duration: 1h", "duration: 90"),
    )
    .expect("write");
    let o = fletsim(&["validate", arg(&dir), "does-not-exist.yaml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("typo.yaml:6:3: gateway.modle: unknown field `modle`"),
        "{err}"
    );
    assert!(err.contains("unit.yaml:1:11: duration"), "{err}");
    assert!(
        err.contains("does-not-exist.yaml: cannot read: no such file or folder"),
        "{err}"
    );
    assert!(err.contains("3 errors, 1 scenario file valid"), "{err}");
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));

    let o = fletsim(&["validate", &format!("{}/good.yaml", arg(&dir)), "-v"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("ok: {}/good.yaml (good)\n1 scenario file valid\n", arg(&dir))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    let o = fletsim(&["validate", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

#[test]
fn list_prints_the_plan_of_run_with_its_shard() {
    let o = fletsim(&[
        "list",
        "scenarios/user-reboot.yaml",
        "scenarios/onu-loss-of-signal.yaml",
        "--seeds",
        "2..3",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<Vec<String>> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect();
    assert_eq!(lines[0], ["SCENARIO", "FILE", "SEED"]);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(
        lines[1],
        ["onu-loss-of-signal", "scenarios/onu-loss-of-signal.yaml", "2"]
    );
    assert_eq!(lines[4], ["user-reboot", "scenarios/user-reboot.yaml", "3"]);

    // The shards of a sweep split it exactly, as `run --shard` does.
    let mut all = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let o = fletsim(&[
            "list",
            "scenarios/",
            "--seeds",
            "4",
            "--shard",
            &shard,
            "--json",
            "-",
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        for line in stdout(&o).lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON Lines");
            assert_eq!(v["shard"], shard.as_str());
            all.push((
                v["file"].as_str().expect("file").to_string(),
                v["seed"].as_u64().expect("seed"),
            ));
        }
    }
    let unsharded = fletsim(&["list", "scenarios/", "--seeds", "4", "--json", "-"]);
    let mut want: Vec<(String, u64)> = stdout(&unsharded)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
            (
                v["file"].as_str().expect("file").to_string(),
                v["seed"].as_u64().expect("seed"),
            )
        })
        .collect();
    all.sort();
    want.sort();
    assert_eq!(all, want);
    assert!(want.len() >= 80, "{}", want.len());
}

#[test]
fn completions_man_and_schema_print_what_they_promise() {
    let o = fletsim(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    let script = stdout(&o);
    assert!(
        script.contains("complete -F _fletsim") && script.contains("validate"),
        "{script}"
    );
    let o = fletsim(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("possible values: bash"), "{}", stderr(&o));

    let o = fletsim(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie") && page.contains(".TH fletsim 1"),
        "{page}"
    );
    assert!(
        page.contains(".SH \"FLETSIM RUN\"") && page.contains("\\-\\-seeds"),
        "{page}"
    );

    let o = fletsim(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(schema["properties"]["gateway"]["$ref"], "#/definitions/Gateway");
}

/// The commands that print a report for people: each takes -q, -v and --color.
const REPORTING_COMMANDS: [&str; 11] = [
    "run",
    "merge",
    "snapshot",
    "diff",
    "check",
    "map-e",
    "bisect",
    "hypotheses",
    "log analyze",
    "validate",
    "list",
];

/// The others: `report` writes files only; schema, completions and man print machine text.
const OTHER_COMMANDS: [&str; 4] = ["report", "schema", "completions", "man"];

/// `fletsim COMMAND --help` (COMMAND may be two words: `log analyze`).
fn help_of(command: &str) -> std::process::Output {
    let mut args: Vec<&str> = command.split(' ').collect();
    args.push("--help");
    fletsim(&args)
}

#[test]
fn every_help_has_examples_and_the_top_level_lists_the_exit_codes() {
    let top = stdout(&fletsim(&["--help"]));
    assert!(
        top.contains("Exit codes:") && top.contains("100  some expectation failed"),
        "{top}"
    );
    assert!(!top.contains("all I/O"), "{top}");
    for command in REPORTING_COMMANDS.iter().chain(&OTHER_COMMANDS) {
        let o = help_of(command);
        assert_eq!(o.status.code(), Some(0), "{command}");
        let help = stdout(&o);
        assert!(
            help.split_once("Examples:\n")
                .and_then(|(_, e)| e.lines().next())
                .is_some_and(|l| l.starts_with("  ") && l.contains("fletsim ")),
            "{command} --help has no examples:\n{help}"
        );
    }
}

#[test]
fn check_on_a_folder_says_what_it_takes() {
    let o = fletsim(&["check", "scenarios/"]);
    assert_eq!(o.status.code(), Some(128));
    assert!(
        stderr(&o).contains("scenarios/: a folder: `check` judges one scenario file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_closed_stdout_ends_fletsim_quietly() {
    // `fletsim list … | head -1`: the reader goes after one line.
    let mut child = common::command(&["list", "scenarios/", "--seeds", "5000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    assert!(first.starts_with("SCENARIO"), "{first}");
    let o = child.wait_with_output().expect("exits");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

#[test]
fn every_reporting_command_takes_quiet_verbose_and_color() {
    for command in REPORTING_COMMANDS {
        let help = stdout(&help_of(command));
        for flag in ["-q, --quiet", "-v, --verbose", "--color <WHEN>"] {
            assert!(help.contains(flag), "{command} --help lacks {flag}:\n{help}");
        }
    }
}

#[test]
fn quiet_and_verbose_change_what_map_e_and_log_analyze_print() {
    let prefix = ["map-e", "--prefix", "240b:10:af:e400::/56"];
    let normal = stdout(&fletsim(&prefix));
    let quiet = stdout(&fletsim(&[&prefix[..], &["-q"]].concat()));
    let verbose = stdout(&fletsim(&[&prefix[..], &["-v"]].concat()));
    let labels = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.get(..16).unwrap_or(l).trim().to_string())
            .collect()
    };
    assert_eq!(
        labels(&quiet),
        ["IPv4 address", "PSID", "Port ranges", "CE address", "BR address"],
        "{quiet}"
    );
    assert!(labels(&normal).contains(&"MAP rule".to_string()), "{normal}");
    // v6 plus: 15 ranges of 16 ports; the default elides the middle ones, -v lists them all.
    let ranges = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("Port ranges"))
            .map(|l| l.matches('-').count())
            .unwrap_or(0)
    };
    assert!(normal.contains("..."), "{normal}");
    assert_eq!(ranges(&verbose), 15, "{verbose}");
    assert!(!verbose.contains("..."), "{verbose}");
    let coloured = stdout(&fletsim(&[&prefix[..], &["--color", "always"]].concat()));
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert!(!normal.contains('\x1b'), "no colour off a terminal");

    let log = "scenarios/hypotheses/evidence-report-2021.log";
    let normal = stdout(&fletsim(&["log", "analyze", log]));
    let quiet = stdout(&fletsim(&["log", "analyze", log, "-q"]));
    let verbose = stdout(&fletsim(&["log", "analyze", log, "-v"]));
    assert!(quiet.starts_with("Statistics\n"), "{quiet}");
    assert!(!quiet.contains("Hour of day") && normal.contains("Hour of day"));
    assert!(normal.starts_with("There are ") && !normal.contains("Intervals between"));
    assert!(
        verbose.contains("Intervals between spontaneous reboots"),
        "{verbose}"
    );
    assert!(verbose.len() > normal.len() && normal.len() > quiet.len());
}

#[test]
fn quiet_bisect_prints_only_its_answer_and_verbose_the_missed_seeds() {
    let base = [
        "bisect",
        "scenarios/bisect/busy-clients-v6plus.yaml",
        "--param",
        "lan.telework-pc.count",
        "--range",
        "1..40",
        "--until",
        "napt.drops.port_set_exhausted > 0",
        "--seeds",
        "2",
    ];
    let normal = fletsim(&base);
    assert_eq!(normal.status.code(), Some(0), "{}", stderr(&normal));
    let normal = stdout(&normal);
    let quiet = stdout(&fletsim(&[&base[..], &["-q"]].concat()));
    let verbose = stdout(&fletsim(&[&base[..], &["-v"]].concat()));
    let answer = normal.lines().last().expect("an answer");
    assert!(
        answer.starts_with("smallest: lan.telework-pc.count = "),
        "{normal}"
    );
    assert_eq!(quiet, format!("{answer}\n"), "the answer alone");
    assert!(normal.contains("probe") && !normal.contains("did not hold at seeds"));
    assert!(verbose.contains("did not hold at seeds: "), "{verbose}");
    assert_eq!(verbose.lines().last(), Some(answer));

    let faults = [
        "bisect",
        "scenarios/bisect/five-faults.yaml",
        "--faults",
        "--until",
        "ipv4.up_at_end == false",
        "-q",
    ];
    let quiet = stdout(&fletsim(&faults));
    assert!(
        quiet.starts_with("description:"),
        "the scenario alone, ready to save:\n{quiet}"
    );
    assert!(!quiet.contains("\n#"), "{quiet}");
}

#[test]
fn quiet_hypotheses_print_the_table_alone_and_verbose_each_simulation() {
    let base = [
        "hypotheses",
        "--evidence",
        "scenarios/hypotheses/evidence-report-2021.log",
        "scenarios/hypotheses/constant-firmware-hazard.yaml",
        "--seeds",
        "1",
        // A month instead of half a year: the output's shape is the point, not the ranking.
        "--set",
        "duration=30d",
    ];
    let normal = stdout(&fletsim(&base));
    let quiet = stdout(&fletsim(&[&base[..], &["-q"]].concat()));
    let verbose = stdout(&fletsim(&[&base[..], &["-v", "--color", "always"]].concat()));
    assert_eq!(quiet.lines().count(), 2, "the header and one row:\n{quiet}");
    assert!(quiet.starts_with("rank "), "{quiet}");
    assert!(normal.starts_with("evidence "), "{normal}");
    assert!(!normal.contains("simulated constant-firmware-hazard"), "{normal}");
    assert!(
        verbose.contains("simulated constant-firmware-hazard (1 seed): "),
        "{verbose}"
    );
    assert!(verbose.contains("\x1b["), "a coloured verdict: {verbose}");
}
