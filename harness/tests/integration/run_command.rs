//! `fletsim run` end to end: the shipped suite, determinism, exit codes and
//! the error of every class of bad input.

use crate::common;

use common::{fletsim, scenario, stderr, stdout, temp_dir};

// That every shipped scenario passes at its own seed is checked in outcomes.rs (one run of
// the library serves its snapshots too), and `.ci/run` runs `fletsim run scenarios/`.

#[test]
fn the_report_names_each_run_and_counts_them() {
    let out = fletsim(&["run", "scenarios/bisect/", "scenarios/onu-loss-of-signal.yaml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for name in [
        "busy-clients-ocn",
        "busy-clients-v6plus",
        "five-faults",
        "onu-loss-of-signal",
    ] {
        assert!(
            text.contains(&format!("PASS  {name} (seed")),
            "{name} not listed as passed:\n{text}"
        );
    }
    assert!(text.contains("summary: 4 passed, 0 failed"), "{text}");
}

#[test]
fn same_scenario_and_seed_give_byte_identical_json_at_any_thread_count() {
    // Quick scenarios with randomness in them (lossy links, LAN sessions, faults), at a sweep
    // of seeds: one thread and two give the same bytes. (The snapshots in outcomes.rs pin
    // every shipped outcome and digest across builds and machines.)
    let args = |jobs: &'static str| {
        [
            "run",
            "scenarios/rule-fetch-lossy-link.yaml",
            "scenarios/bisect/",
            "scenarios/user-reboot.yaml",
            "--seeds",
            "1..6",
            "--jobs",
            jobs,
            "--json",
            "-",
        ]
    };
    let first = fletsim(&args("1"));
    let second = fletsim(&args("2"));
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(String::from_utf8_lossy(&first.stdout).lines().count(), 30);
    assert_eq!(first.stdout, second.stdout);
    // And a different seed gives a different trace for a scenario with randomness in it.
    let lossy = scenario("rule-fetch-lossy-link.yaml");
    let lossy = lossy.to_str().expect("utf-8 path");
    let a = fletsim(&["run", lossy, "--json", "-", "--seed", "2"]);
    let b = fletsim(&["run", lossy, "--json", "-", "--seed", "10"]);
    assert_ne!(a.stdout, b.stdout);
}

#[test]
fn json_lines_carry_the_documented_fields() {
    let out = fletsim(&["run", "scenarios/hgw-v6plus-bring-up.yaml", "--json", "-"]);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in ["scenario", "seed", "passed", "digest", "expectations", "outcome"] {
        assert!(line.get(key).is_some(), "missing {key}: {line}");
    }
    let e = &line["expectations"][0];
    for key in ["text", "passed", "actual"] {
        assert!(e.get(key).is_some(), "expectation lacks {key}: {e}");
    }
    assert_eq!(line["digest"], line["outcome"]["trace"]["digest"]);
}

#[test]
fn a_failed_expectation_exits_100_and_shows_the_actual_value() {
    let dir = temp_dir("failed-expectation");
    let text = std::fs::read_to_string(scenario("retail-router-rental-line-stalls.yaml")).expect("read");
    let edited = text.replace("\"ipv4.first_up == never\"", "\"ipv4.first_up <= 10m\"");
    assert_ne!(text, edited, "the scenario's expectation changed under the test");
    let file = dir.join("edited.yaml");
    std::fs::write(&file, edited).expect("write");
    let out = fletsim(&["run", file.to_str().expect("utf-8")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(100), "{text}");
    assert!(text.contains("FAIL  edited (seed 1)"), "{text}");
    assert!(
        text.contains("failed: ipv4.first_up <= 10m  (actual: never)"),
        "{text}"
    );
    assert!(text.contains("reproduce: fletsim run"), "{text}");
}

#[test]
fn seed_override_is_reported() {
    let out = fletsim(&[
        "run",
        "scenarios/onu-loss-of-signal.yaml",
        "--seed",
        "77",
        "--json",
        "-",
    ]);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(line["seed"], 77);
}

/// A `line.map_rule` (the RFC 7597 example rule) without its BR, to append under `line:`.
const LINE_RULE: &str =
    "  map_rule:\n    rule6: 2001:db8::/40\n    rule4: 192.0.2.0/24\n    ea_len: 16\n    psid_offset: 6\n";

/// A scenario that is valid, to be broken one way per case.
const VALID: &str = "\
duration: 1h
line:
  vne: v6plus
  hgw_rental: true
gateway:
  model: hgw
lan:
  phone: { count: 2 }
faults:
  - at: 10m
    onu_loss_of_signal: { duration: 3m }
expect:
  - \"ipv4.first_up <= 5m\"
";

#[test]
fn the_valid_base_case_runs() {
    let dir = temp_dir("valid-base");
    let file = dir.join("base.yaml");
    std::fs::write(&file, VALID).expect("write");
    let out = fletsim(&["run", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

/// Each case: (what, the file's text, the `line:column` the error must name, words it must contain).
fn bad_inputs() -> Vec<(&'static str, String, &'static str, Vec<&'static str>)> {
    vec![
        (
            "unknown field",
            VALID.replace("  model: hgw", "  model: hgw\n  modle: x"),
            "7:3",
            vec!["gateway.modle", "unknown field"],
        ),
        (
            "unknown fault field",
            VALID.replace("{ duration: 3m }", "{ duraton: 3m }"),
            "11:27",
            vec!["faults[1].onu_loss_of_signal.duraton", "expected one of duration"],
        ),
        (
            "wrong unit",
            VALID.replace("duration: 1h", "duration: 1 hour"),
            "1:11",
            vec!["duration", "unit"],
        ),
        (
            "unknown unit",
            VALID.replace("duration: 3m", "duration: 3y"),
            "11:37",
            vec!["faults[1].onu_loss_of_signal.duration", "unknown unit `y`"],
        ),
        (
            "bare number",
            VALID.replace("duration: 1h", "duration: 3600"),
            "1:11",
            vec!["needs a unit"],
        ),
        (
            "negative",
            VALID.replace("at: 10m", "at: -10m"),
            "10:9",
            vec!["faults[1].at", "negative"],
        ),
        (
            "zero-length run",
            VALID.replace("duration: 1h", "duration: 0s"),
            "1:11",
            vec!["duration", "longer than zero"],
        ),
        (
            "absurd run",
            VALID.replace("duration: 1h", "duration: 100000d"),
            "1:11",
            vec!["duration", "limit"],
        ),
        (
            "session rate below zero",
            VALID.replace("{ count: 2 }", "{ count: 2, sessions_per_hour: -5 }"),
            "8:41",
            vec!["lan.phone.sessions_per_hour", "not a number from 0 to"],
        ),
        (
            "IPv4 share as a word",
            VALID.replace("{ count: 2 }", "{ count: 2, ipv4_share: most }"),
            "8:34",
            vec!["lan.phone.ipv4_share", "not a share", "percentage"],
        ),
        (
            "session length without a unit",
            VALID.replace("{ count: 2 }", "{ count: 2, short_session: 40 }"),
            "8:37",
            vec!["lan.phone.short_session", "needs a unit"],
        ),
        (
            "zero session length",
            VALID.replace("{ count: 2 }", "{ count: 2, long_session: 0s }"),
            "8:36",
            vec!["lan.phone.long_session", "longer than zero"],
        ),
        (
            "long-session share over 100 %",
            VALID.replace("{ count: 2 }", "{ count: 2, long_share: 120% }"),
            "8:34",
            vec!["lan.phone.long_share", "not a share", "0% to 100%"],
        ),
        (
            "absurd client count",
            VALID.replace("count: 2", "count: 5000000"),
            "8:19",
            vec!["lan.phone.count", "whole number from 0 to"],
        ),
        (
            "negative count",
            VALID.replace("count: 2", "count: -2"),
            "8:19",
            vec!["lan.phone.count"],
        ),
        (
            "unknown profile",
            VALID.replace("phone:", "toaster:"),
            "8:12",
            vec!["lan.toaster", "telework-pc"],
        ),
        (
            "fault after the end",
            VALID.replace("at: 10m", "at: 2h"),
            "10:9",
            vec!["faults[1].at", "not within the run"],
        ),
        (
            "fault without a kind",
            VALID.replace("    onu_loss_of_signal: { duration: 3m }\n", ""),
            "10:5",
            vec!["faults[1]", "needs one kind"],
        ),
        (
            "two kinds in one fault",
            VALID.replace("{ duration: 3m }", "{ duration: 3m }\n    user_reboot:"),
            "10:5",
            vec!["faults[1]", "one fault per entry"],
        ),
        (
            "loss above 100 %",
            VALID.replace(
                "    onu_loss_of_signal: { duration: 3m }",
                "    link: { name: wan, loss: 130% }",
            ),
            "11:30",
            vec!["faults[1].link.loss", "0% to 100%"],
        ),
        (
            "unknown link",
            VALID.replace(
                "    onu_loss_of_signal: { duration: 3m }",
                "    link: { name: wifi, loss: 3% }",
            ),
            "11:19",
            vec!["faults[1].link.name", "rule-server"],
        ),
        (
            "unknown VNE",
            VALID.replace("vne: v6plus", "vne: plala"),
            "3:8",
            vec!["line.vne", "v6plus"],
        ),
        (
            "prefix outside the rule",
            VALID.replace("hgw_rental: true", "hgw_rental: true\n  prefix: 2001:db8::/56"),
            "5:11",
            vec![
                "line.prefix",
                "2001:db8::/56 is not covered by any v6plus MAP rule fletsim knows (262 rules; nearest: ",
                "`line.map_rule`",
            ],
        ),
        (
            "prefix in another VNE's table",
            VALID.replace("hgw_rental: true", "hgw_rental: true\n  prefix: 2400:4052:d123:4500::/56"),
            "5:11",
            vec!["line.prefix", "it is in the ocn table: 2400:4052:d000::/38 (ocn)"],
        ),
        (
            "line rule that does not cover the prefix",
            VALID.replace("hgw_rental: true", &format!("hgw_rental: true\n{LINE_RULE}    br: 2001:db8::64")),
            "6:5",
            vec![
                "line.map_rule",
                "the rule does not fit the line's prefix 240b:10:3f6c:d400::/56",
                "does not lie inside the rule IPv6 prefix 2001:db8::/40",
            ],
        ),
        (
            "line rule outside the table without a BR",
            VALID.replace(
                "hgw_rental: true",
                &format!("hgw_rental: true\n  prefix: 2001:db8:12:3400::/56\n{LINE_RULE}"),
            ),
            "7:5",
            vec!["line.map_rule", "missing `br`", "no v6plus table rule covers"],
        ),
        (
            "line rule with a VNE",
            VALID.replace("hgw_rental: true", "hgw_rental: true\n  map_rule:\n    vne: ocn"),
            "6:10",
            vec!["line.map_rule.vne", "not accepted here"],
        ),
        (
            "line rule on a DS-Lite line",
            VALID
                .replace("vne: v6plus", "vne: transix")
                .replace("hgw_rental: true", &format!("hgw_rental: true\n{LINE_RULE}")),
            "6:5",
            vec!["line.map_rule", "uses DS-Lite", "gw.transix.jp"],
        ),
        (
            "line rule with a BR that is not an address",
            VALID.replace(
                "hgw_rental: true",
                &format!("hgw_rental: true\n  prefix: 2001:db8:12:3400::/56\n{LINE_RULE}    br: gw.example"),
            ),
            "11:9",
            vec!["line.map_rule.br", "`gw.example` is not an IPv6 address"],
        ),
        (
            "line rule without rule4",
            VALID.replace(
                "hgw_rental: true",
                "hgw_rental: true\n  map_rule:\n    rule6: 240b:10::/31\n    ea_len: 25\n    psid_offset: 4",
            ),
            "6:5",
            vec!["line.map_rule", "missing `rule4`"],
        ),
        (
            "static rule on a DS-Lite line without a BR",
            VALID
                .replace("vne: v6plus", "vne: transix")
                .replace("hgw_rental: true", "hgw_rental: false")
                .replace(
                    "  model: hgw",
                    "  model: retail-router\n  router:\n    static_rule:\n      rule6: 2409:10:2500::/40\n      \
                     rule4: 192.0.2.0/24\n      ea_len: 16\n      psid_offset: 6",
                ),
            "9:7",
            vec!["gateway.router.static_rule", "missing `br`", "transix"],
        ),
        (
            "not a boolean",
            VALID.replace("hgw_rental: true", "hgw_rental: yes"),
            "4:15",
            vec!["line.hgw_rental"],
        ),
        (
            "unknown model",
            VALID.replace("model: hgw", "model: yamaha"),
            "6:10",
            vec!["gateway.model", "retail-router"],
        ),
        (
            "bad expectation",
            VALID.replace("ipv4.first_up <= 5m", "ipv4.first_up lte 5m"),
            "13:5",
            vec!["expect[1]", "PATH OP VALUE"],
        ),
        (
            "unknown outcome path",
            VALID.replace("ipv4.first_up <= 5m", "ipv4.first_upp <= 5m"),
            "13:5",
            vec!["expect[1]", "first_up"],
        ),
        (
            "wrong value type",
            VALID.replace("duration: 1h", "duration: [1h]"),
            "1:1",
            vec!["duration", "expected a scalar"],
        ),
        (
            "duplicate key",
            VALID.replace("duration: 1h", "duration: 1h\nduration: 2h"),
            "2:1",
            vec!["duplicate key `duration`"],
        ),
        (
            "broken YAML",
            VALID.replace("  phone: { count: 2 }", "  phone: { count: 2"),
            "9:7",
            vec!["lan.phone", "flow mapping"],
        ),
        (
            "unknown hazard",
            VALID.replace(
                "  - at: 10m\n",
                "  - every: { hazard: gremlins, mean_interval: 4d }\n",
            ),
            "10:22",
            vec!["faults[1].every.hazard", "constant"],
        ),
        (
            "hazard field it does not take",
            VALID.replace(
                "  - at: 10m\n",
                "  - every: { hazard: constant, mean_interval: 4d, shape: 2 }\n",
            ),
            "10:12",
            vec!["faults[1].every.shape", "takes no `shape`"],
        ),
        (
            "weibull without shape",
            VALID.replace(
                "  - at: 10m\n",
                "  - every: { hazard: weibull, mean_interval: 4d }\n",
            ),
            "10:12",
            vec!["faults[1].every", "needs `shape`"],
        ),
        (
            "24 hourly weights",
            VALID.replace(
                "  - at: 10m\n",
                "  - every: { hazard: time-of-day, mean_interval: 4d, hourly_weights: [1, 2] }\n",
            ),
            "10:70",
            vec!["faults[1].every.hourly_weights", "24 in all"],
        ),
        (
            "both at and every",
            VALID.replace(
                "  - at: 10m\n",
                "  - at: 10m\n    every: { hazard: constant, mean_interval: 4d }\n",
            ),
            "11:12",
            vec!["faults[1].every", "not both"],
        ),
        (
            "a user action as a process",
            VALID.replace(
                "  - at: 10m\n    onu_loss_of_signal: { duration: 3m }",
                "  - every: { hazard: constant, mean_interval: 4d }\n    device_swap:",
            ),
            "10:12",
            vec!["device_swap", "`at`"],
        ),
        (
            "unknown fault action",
            VALID.replace(
                "    onu_loss_of_signal: { duration: 3m }",
                "    app_crash: { action: panic }",
            ),
            "11:26",
            vec!["faults[1].app_crash.action", "restart-app"],
        ),
        (
            "unknown NAPT mapping",
            VALID.replace("  model: hgw", "  model: hgw\n  napt: { mapping: magic }"),
            "7:20",
            vec!["gateway.napt.mapping", "port-reuse"],
        ),
        (
            "zero AFTR quota",
            VALID.replace("expect:", "aftr: { port_quota: 0 }\nexpect:"),
            "12:21",
            vec!["aftr.port_quota", "whole number from 1"],
        ),
        (
            "bare NAPT timeout",
            VALID.replace("  model: hgw", "  model: hgw\n  napt: { timeouts: { udp: 60 } }"),
            "7:28",
            vec!["gateway.napt.timeouts.udp", "unit"],
        ),
        (
            "timing range backwards",
            VALID.replace("  model: hgw", "  model: hgw\n  boot_time: 50s..40s"),
            "7:14",
            vec![
                "gateway.boot_time",
                "`50s..40s`: the range runs backwards",
                "accepted: a duration (45s), a range drawn uniformly (40s..50s)",
            ],
        ),
        (
            "timing bound without a unit",
            VALID.replace("  model: hgw", "  model: hgw\n  shutdown_time: 20..30s"),
            "7:18",
            vec!["gateway.shutdown_time", "`20`: a number needs a unit"],
        ),
        (
            "timing spread below zero",
            VALID.replace("  model: hgw", "  model: hgw\n  hgw: { java_vm_start: 5s±10s }"),
            "7:25",
            vec![
                "gateway.hgw.java_vm_start",
                "larger than the centre 5s",
                "below zero",
            ],
        ),
        (
            "ONU timing missing a bound",
            VALID.replace(
                "  hgw_rental: true",
                "  hgw_rental: true\n  onu: { ranging_time: 5s.. }",
            ),
            "5:24",
            vec!["line.onu.ranging_time", "the upper end of the range is missing"],
        ),
        (
            "unknown ONU field",
            VALID.replace("  hgw_rental: true", "  hgw_rental: true\n  onu: { boot: 30s }"),
            "5:10",
            vec!["line.onu.boot", "expected one of boot_time, ranging_time"],
        ),
        (
            "RA line with a /56",
            VALID.replace(
                "  hgw_rental: true",
                "  hgw_rental: true\n  ipv6: ra\n  prefix: 240b:10:3f6c:d400::/56",
            ),
            "6:11",
            vec!["line.prefix", "a Router Advertisement line gets a /64"],
        ),
        (
            "missing section",
            VALID.replace("gateway:\n  model: hgw\n", ""),
            "10:1",
            vec!["missing field `gateway`"],
        ),
    ]
}

#[test]
fn every_class_of_bad_input_exits_2_naming_file_line_and_field() {
    let dir = temp_dir("bad-input");
    for (i, (what, text, at, words)) in bad_inputs().into_iter().enumerate() {
        let file = dir.join(format!("case{i}.yaml"));
        std::fs::write(&file, &text).expect("write");
        let out = fletsim(&["run", file.to_str().expect("utf-8")]);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{what}: exit {:?}\n{err}",
            out.status.code()
        );
        assert!(!err.contains("panicked"), "{what}: panicked\n{err}");
        let located = format!("case{i}.yaml:{at}:");
        assert!(err.contains(&located), "{what}: expected `{located}` in:\n{err}");
        for w in words {
            assert!(err.contains(w), "{what}: expected `{w}` in:\n{err}");
        }
        assert_eq!(err.lines().count(), 1, "{what}: one message per file:\n{err}");
    }
}

#[test]
fn unreadable_or_non_text_files_exit_2_with_the_file_named() {
    let dir = temp_dir("unreadable");
    let empty = dir.join("empty.yaml");
    std::fs::write(&empty, "").expect("write");
    let binary = dir.join("binary.yaml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).expect("write");
    for (file, words) in [(&empty, "empty"), (&binary, "UTF-8")] {
        let out = fletsim(&["run", file.to_str().expect("utf-8")]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&file.display().to_string()) && err.contains(words),
            "{err}"
        );
    }
    let out = fletsim(&["run", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no/such/file.yaml: cannot read: no such file or folder"),
        "{}",
        stderr(&out)
    );
    let out = fletsim(&["run", "--seed", "minus-one"]);
    assert_eq!(out.status.code(), Some(2), "bad arguments are bad input too");
}

#[test]
fn the_reproduce_command_repeats_the_overrides() {
    let out = fletsim(&[
        "run",
        "scenarios/bisect/busy-clients-v6plus.yaml",
        "--set",
        "lan.telework-pc.count=10",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(100), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("reproduce:"))
        .expect("a reproduce line");
    assert!(
        line.ends_with("--seed 1 --set lan.telework-pc.count=10"),
        "{line}"
    );
    // Without overrides the JSON record has no `overrides` key at all.
    let plain = fletsim(&["run", "scenarios/hgw-v6plus-bring-up.yaml", "--json", "-"]);
    assert!(!stdout(&plain).contains("\"overrides\""));
}

#[test]
fn stats_are_reported_only_when_asked_for() {
    let file = scenario("telework-home-workday.yaml");
    let file = file.to_str().expect("utf-8 path");
    let plain = fletsim(&["run", file, "--json", "-"]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    assert!(!stdout(&plain).contains("\"stats\""), "no stats without --stats");

    let with = fletsim(&["run", file, "--json", "-", "--stats"]);
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    let record: serde_json::Value = serde_json::from_str(stdout(&with).trim()).expect("one JSON record");
    let stats = &record["stats"];
    let events = stats["events"].as_u64().expect("events");
    // Two events a session, plus the bring-up.
    let sessions = stats["sessions"].as_u64().expect("sessions");
    assert!(
        sessions > 1000 && events > 2 * sessions - 100 && events < 2 * sessions + 1000,
        "{stats}"
    );
    assert!(stats["peak_pending"].as_u64().expect("peak") >= 2, "{stats}");
    assert!(stats["ns_per_event"].as_f64().expect("ns") > 0.0, "{stats}");
    assert!(stats["wall_seconds"].as_f64().expect("wall") > 0.0, "{stats}");
    // The outcome and digest are those of the run without --stats.
    let plain: serde_json::Value = serde_json::from_str(stdout(&plain).trim()).expect("one JSON record");
    assert_eq!(record["outcome"], plain["outcome"]);
    assert_eq!(record["digest"], plain["digest"]);

    // The human report gets a stats line per run (on stderr here: stdout has the JSON).
    let human = fletsim(&["run", file, "--stats"]);
    let text = stdout(&human);
    assert!(
        text.contains("      stats: ") && text.contains(" events, ") && text.contains(" ns/event, peak "),
        "{text}"
    );
}

/// A folder holding `scenarios/` with a scenario that fails at every seed (`lossy.yaml`), one
/// that passes (`user-reboot.yaml`) and one that does not load (`broken.yaml`); and the line
/// of the failing expectation.
fn ci_suite(test: &str) -> (std::path::PathBuf, u64) {
    let dir = temp_dir(test);
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).expect("folder");
    let lossy = std::fs::read_to_string(scenario("rule-fetch-lossy-link.yaml"))
        .expect("scenario")
        .replace("ipv4.first_up <= 15m", "ipv4.first_up <= 1s");
    let line = lossy
        .lines()
        .position(|l| l.contains("ipv4.first_up <= 1s"))
        .expect("the expectation") as u64
        + 1;
    std::fs::write(scenarios.join("lossy.yaml"), lossy).expect("write");
    std::fs::copy(scenario("user-reboot.yaml"), scenarios.join("user-reboot.yaml")).expect("copy");
    std::fs::write(scenarios.join("broken.yaml"), "duration: 1h\nline: {vne: nope}\n").expect("write");
    (dir, line)
}

fn run_in(dir: &std::path::Path, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = common::command(args);
    cmd.current_dir(dir);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("fletsim runs")
}

#[test]
fn junit_locates_each_failure_and_reports_a_file_that_does_not_load() {
    let (dir, line) = ci_suite("junit-reporters");
    let args = [
        "run",
        "scenarios",
        "--seeds",
        "2",
        "--junit",
        "j.xml",
        "--json",
        "r.json",
    ];
    let out = run_in(&dir, &args, &[]);
    let err = stderr(&out);
    // The file that does not load is reported, the others still run, and the exit is 2.
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: scenarios/broken.yaml:2:8: line: missing field `hgw_rental`"),
        "{err}"
    );
    assert!(
        err.ends_with("error: 1 scenario files failed to load (above); the others ran\n"),
        "{err}"
    );
    assert!(stdout(&out).contains("FAIL  lossy (seed 2)"), "{}", stdout(&out));
    let xml = std::fs::read_to_string(dir.join("j.xml")).expect("JUnit");

    // Each testsuite names its file; testcases have a dotted classname without `.yaml`, a
    // time, and never properties (junit-10.xsd allows none there).
    assert!(xml.contains(r#"<testsuite name="lossy" tests="2" skipped="0" errors="0" failures="2" time="0.000" file="scenarios/lossy.yaml">"#), "{xml}");
    assert!(
        xml.contains(r#"<testcase name="lossy (seed 1)" classname="fletsim.scenarios.lossy" time="0.000">"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<testcase name="user-reboot (seed 2)" classname="fletsim.scenarios.user-reboot" time="0.000"/>"#), "{xml}");
    for case in xml.split("<testcase ").skip(1) {
        let case = case.split("</testcase>").next().unwrap_or(case);
        assert!(!case.contains("<properties>"), "{case}");
    }
    // The message: the failed expectation, its actual value, the reproduce command; the body
    // locates it for both reporters; the trace is in <system-out>.
    assert!(
        xml.contains(r#"<failure message="ipv4.first_up &lt;= 1s (actual: 1m23.631s); reproduce: fletsim run scenarios/lossy.yaml --seed 2" type="expectation">"#),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            "reproduce: fletsim run scenarios/lossy.yaml --seed 2\n    at scenarios.Expectation(lossy.yaml:{line})\n    at scenarios/lossy.yaml:{line}</failure>"
        )),
        "{xml}"
    );
    assert!(
        xml.contains("<system-out>      2021-04-19 09:00:00          +0s  gateway: boot #1 (power-on)\n"),
        "{xml}"
    );
    assert!(xml.contains("gateway: IPv4 up\n"), "{xml}");
    // The file that did not load: an <error> testcase at the line of the error.
    assert!(xml.contains(r#"<testsuite name="scenarios/broken.yaml" tests="1" skipped="0" errors="1" failures="0" time="0.000" file="scenarios/broken.yaml">"#), "{xml}");
    assert!(
        xml.contains(
            r#"<error message="scenarios/broken.yaml:2:8: line: missing field `hgw_rental`" type="load">"#
        ),
        "{xml}"
    );
    assert!(xml.contains("    at scenarios/broken.yaml:2</error>"), "{xml}");

    // The same bytes at any --jobs; and merge of the JSON writes the runs' part of it.
    let again = run_in(
        &dir,
        &[
            "run",
            "scenarios",
            "--seeds",
            "2",
            "--jobs",
            "1",
            "--junit",
            "j1.xml",
        ],
        &[],
    );
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(std::fs::read(dir.join("j1.xml")).expect("j1"), xml.as_bytes());
    let merged = run_in(&dir, &["merge", "r.json", "--junit", "m.xml", "-q"], &[]);
    assert_eq!(merged.status.code(), Some(100), "{}", stderr(&merged));
    let m = std::fs::read_to_string(dir.join("m.xml")).expect("merged");
    let runs_part = |x: &str| x[x.find(r#"<testsuite name="lossy""#).expect("lossy")..].to_string();
    assert_eq!(runs_part(&m), runs_part(&xml));

    validate_with_xmllint(&dir.join("j.xml"));
    check_with_the_reporters(&dir, line);
}

/// xmllint against Jenkins' junit-10.xsd (vendored in tests/reporters), where installed; CI
/// sets FLETSIM_REQUIRE_XMLLINT=1 (apt: libxml2-utils).
fn validate_with_xmllint(file: &std::path::Path) {
    let schema = common::root().join("harness/tests/reporters/junit-10.xsd");
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(file)
        .output();
    match out {
        Ok(out) => assert!(
            out.status.success(),
            "xmllint: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            assert!(
                std::env::var_os("FLETSIM_REQUIRE_XMLLINT").is_none(),
                "xmllint is required but not installed"
            );
            eprintln!("NOTE: xmllint is not installed; the JUnit file was not checked against junit-10.xsd");
        }
    }
}

/// Runs dorny/test-reporter and mikepenz/action-junit-report themselves (their published
/// bundles, with node) on the JUnit file, through `tests/reporters/check.mjs`, and checks the
/// annotations they would create: file, line and message. The actions are checkouts in the
/// folder FLETSIM_REPORTER_ACTIONS (`test-reporter/` and `action-junit-report/`); without it,
/// or without node and git, the check is skipped unless FLETSIM_REQUIRE_NODE=1.
fn check_with_the_reporters(dir: &std::path::Path, line: u64) {
    let required = std::env::var_os("FLETSIM_REQUIRE_NODE").is_some();
    let have = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let actions = std::env::var_os("FLETSIM_REPORTER_ACTIONS").map(std::path::PathBuf::from);
    let (Some(actions), true, true) = (actions, have("node"), have("git")) else {
        assert!(
            !required,
            "FLETSIM_REQUIRE_NODE is set: node, git and FLETSIM_REPORTER_ACTIONS are needed"
        );
        eprintln!(
            "NOTE: the reporters' own parsers were not run (set FLETSIM_REPORTER_ACTIONS; needs node and git)"
        );
        return;
    };
    // dorny resolves files against `git ls-files`: the scenarios are tracked in a repository.
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "."]);
    git(&["add", "scenarios"]);
    git(&["commit", "-qm", "scenarios"]);
    let script = common::root().join("harness/tests/reporters/check.mjs");
    for action in ["test-reporter", "action-junit-report"] {
        let out = std::process::Command::new("node")
            .arg(&script)
            .arg(actions.join(action))
            .arg(dir)
            .arg("j.xml")
            .output()
            .expect("node runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{action}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(&text).expect("the script's JSON");
        let annotations = report["annotations"].as_array().cloned().unwrap_or_default();
        let find = |path: &str, message: &str| {
            annotations
                .iter()
                .find(|a| a["path"] == path && a["message"].as_str().is_some_and(|m| m.contains(message)))
        };
        let seed2 =
            "ipv4.first_up <= 1s (actual: 1m23.631s); reproduce: fletsim run scenarios/lossy.yaml --seed 2";
        let failed = find("scenarios/lossy.yaml", seed2).unwrap_or_else(|| panic!("{action}: {text}"));
        assert_eq!(failed["line"], line, "{action}: {text}");
        let broken = find("scenarios/broken.yaml", "missing field `hgw_rental`")
            .unwrap_or_else(|| panic!("{action}: {text}"));
        assert_eq!(broken["line"], 2, "{action}: {text}");
        assert_eq!(annotations.len(), 3, "{action}: {text}");
    }
}

#[test]
fn github_actions_get_annotations_and_the_step_summary_is_appended_to() {
    let (dir, line) = ci_suite("github-annotations");
    std::fs::write(dir.join("summary.md"), "an earlier step's summary\n").expect("write");
    let summary = dir.join("summary.md");
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", common::arg(&summary)),
    ];
    // Without --force: appending replaces nothing.
    let args = [
        "run",
        "scenarios",
        "--seeds",
        "2",
        "--markdown",
        common::arg(&summary),
    ];
    let out = run_in(&dir, &args, &vars);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stdout(&out);
    let annotations: Vec<&str> = text.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        annotations,
        [
            "::error file=scenarios/broken.yaml,line=2,title=scenarios/broken.yaml failed to load::scenarios/broken.yaml:2:8: line: missing field `hgw_rental`".to_string(),
            format!("::error file=scenarios/lossy.yaml,line={line},title=lossy (seed 1)::ipv4.first_up <= 1s (actual: 1m30.169s)%0Areproduce: fletsim run scenarios/lossy.yaml --seed 1"),
            format!("::error file=scenarios/lossy.yaml,line={line},title=lossy (seed 2)::ipv4.first_up <= 1s (actual: 1m23.631s)%0Areproduce: fletsim run scenarios/lossy.yaml --seed 2"),
        ],
        "{text}"
    );
    let md = std::fs::read_to_string(&summary).expect("summary");
    assert!(md.starts_with("an earlier step's summary\n\n## ❌ fletsim: 4 runs of 2 scenarios, 2 passed, 2 failed\n\n1 scenario files failed to load:\n"), "{md}");
    // Without GITHUB_ACTIONS, no annotations; another existing file is still never replaced.
    let plain = run_in(&dir, &["run", "scenarios/user-reboot.yaml"], &[]);
    assert!(!stdout(&plain).contains("::"), "{}", stdout(&plain));
    let refused = run_in(
        &dir,
        &["run", "scenarios/user-reboot.yaml", "--markdown", "summary.md"],
        &[],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--markdown summary.md: exists (pass --force to overwrite)"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn under_ci_each_finished_run_prints_a_line_and_the_report_stays_the_same() {
    let args = [
        "run",
        "scenarios/user-reboot.yaml",
        "scenarios/rule-fetch-lossy-link.yaml",
        "--seeds",
        "3",
    ];
    let quiet_ci = fletsim(&args);
    let ci = common::fletsim_env(&args, &[("CI", "true")]);
    assert_eq!(ci.status.code(), Some(0), "{}", stderr(&ci));
    assert_eq!(ci.stdout, quiet_ci.stdout, "the report does not change");
    let err = stderr(&ci);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 6, "{err}");
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with(&format!("[{}/6] PASS ", i + 1)), "{err}");
        assert!(l.ends_with('s') && l.contains(" (seed "), "{err}");
    }
    for seed in 1..=3 {
        assert!(err.contains(&format!("PASS user-reboot (seed {seed}) ")), "{err}");
        assert!(
            err.contains(&format!("PASS rule-fetch-lossy-link (seed {seed}) ")),
            "{err}"
        );
    }
    // Without CI (and not on a terminal), nothing; -q silences the lines under CI too.
    assert_eq!(stderr(&quiet_ci), "");
    let q = common::fletsim_env(&[&args[..], &["-q"]].concat(), &[("CI", "true")]);
    assert_eq!(stderr(&q), "");
}
