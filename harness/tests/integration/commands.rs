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

#[test]
fn every_help_has_examples_and_the_top_level_lists_the_exit_codes() {
    let top = stdout(&fletsim(&["--help"]));
    assert!(
        top.contains("Exit codes:") && top.contains("100  some expectation failed"),
        "{top}"
    );
    assert!(!top.contains("all I/O"), "{top}");
    let commands = [
        "run",
        "merge",
        "report",
        "snapshot",
        "diff",
        "check",
        "map-e",
        "bisect",
        "hypotheses",
        "log analyze",
        "validate",
        "list",
        "schema",
        "completions",
        "man",
    ];
    for command in commands {
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push("--help");
        let o = fletsim(&args);
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
