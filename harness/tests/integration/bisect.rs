//! `--set` and `fletsim bisect` end to end: the threshold flips where bisect says,
//! ddmin keeps exactly the faults that matter, `--when` is right on both sides.

use crate::common;

use common::{fletsim, stderr, stdout, temp_dir};

use harness::bisect_cmd::first_moment;
use harness::overrides;
use sim_core::Simulation;
use sim_core::engine::Observer;
use sim_core::expect::Expectation;
use sim_core::time::SimTime;
use sim_core::trace::TraceEvent;

const V6PLUS: &str = "scenarios/bisect/busy-clients-v6plus.yaml";
const OCN: &str = "scenarios/bisect/busy-clients-ocn.yaml";
const OVERFLOW: &str = "napt.drops.port_set_exhausted > 0";

/// The value bisect reports on its last line (`smallest: PATH = V (…)`).
fn answer(text: &str) -> String {
    let last = text.lines().last().unwrap_or_default();
    let after = last.split(" = ").nth(1).unwrap_or_default();
    after.split(' ').next().unwrap_or_default().to_string()
}

fn holds_with(file: &str, set: &str, expr: &str) -> bool {
    let out = fletsim(&["run", file, "--set", set, "--json", "-", "-q"]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(100),
        "{}",
        stderr(&out)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    Expectation::parse(expr)
        .expect("expr")
        .judge(&line["outcome"])
        .passed
}

#[test]
fn set_changes_a_field_and_is_validated_like_the_file() {
    let out = fletsim(&["run", V6PLUS, "--set", "lan.telework-pc.count=30", "-q"]);
    assert_eq!(out.status.code(), Some(100), "{}", stdout(&out));
    let out = fletsim(&["run", V6PLUS, "--set", "gateway.napt.timeouts.udp=60s"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    for (set, wanted) in [
        (
            "lan.telework-pc.count=abc",
            "lan.telework-pc.count: `abc` is not a whole number",
        ),
        ("gateway.napt.timeouts.udp=60", "a number needs a unit"),
        ("gateway.hgw.bundle_cachd=true", "expected one of bundle_cached"),
        ("faults[3].at=1h", "--set faults[3].at=1h"),
        // One index base: list elements count from 1, as in expectations and messages.
        (
            "faults[0].at=1h",
            "list items count from 1 in fletsim ([1] is the first",
        ),
        ("nonsense", "expected PATH=VALUE"),
    ] {
        let out = fletsim(&["run", V6PLUS, "--set", set]);
        assert_eq!(out.status.code(), Some(2), "{set}");
        assert!(stderr(&out).contains(wanted), "{set}: {}", stderr(&out));
    }
}

#[test]
fn the_threshold_flips_one_below_and_at_the_value() {
    for file in [V6PLUS, OCN] {
        let args = [
            "bisect",
            file,
            "--param",
            "lan.telework-pc.count",
            "--range",
            "1..100",
            "--until",
            OVERFLOW,
        ];
        let out = fletsim(&args);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
        let value: u64 = answer(&text).parse().expect("a count");
        assert!(
            holds_with(file, &format!("lan.telework-pc.count={value}"), OVERFLOW),
            "{text}"
        );
        assert!(
            !holds_with(file, &format!("lan.telework-pc.count={}", value - 1), OVERFLOW),
            "{text}"
        );
        // Deterministic: byte-identical the second time.
        assert_eq!(fletsim(&args).stdout, out.stdout);
    }
}

#[test]
fn durations_largest_and_seed_sweeps() {
    // The largest UDP idle timeout at which the v6 plus home (at 7 PCs, one below the threshold) still has no overflow.
    let out = fletsim(&[
        "bisect",
        V6PLUS,
        "--set",
        "lan.telework-pc.count=7",
        "--param",
        "gateway.napt.timeouts.udp",
        "--range",
        "10s..10m",
        "--resolution",
        "10s",
        "--largest",
        "--until",
        "napt.drops.port_set_exhausted == 0",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.lines().last().unwrap_or_default().starts_with("largest: "),
        "{text}"
    );
    let out = fletsim(&[
        "bisect",
        V6PLUS,
        "--param",
        "lan.telework-pc.count",
        "--range",
        "1..40",
        "--until",
        OVERFLOW,
        "--seeds",
        "3",
        "--rate",
        "100%",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("/3  "), "{text}");
}

#[test]
fn faults_keeps_exactly_the_two_that_matter() {
    let out = fletsim(&[
        "bisect",
        "scenarios/bisect/five-faults.yaml",
        "--faults",
        "--until",
        "ipv4.up_at_end == false",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("kept 2 of 5 faults: faults [2] [4]"), "{text}");
    // The printed scenario is ready to save: it loads and its expectations pass.
    let dir = temp_dir("bisect-faults");
    let file = dir.join("minimal.yaml");
    std::fs::write(&file, &out.stdout).expect("write");
    let loaded = harness::scenario_file::load(&file).expect("the output is a scenario");
    assert_eq!(loaded.scenario.faults.len(), 2);
    let run = fletsim(&["run", file.to_str().expect("utf-8")]);
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
}

struct Quiet;
impl Observer<TraceEvent> for Quiet {
    fn observe(&mut self, _: SimTime, _: &TraceEvent) {}
}

#[test]
fn when_holds_at_the_moment_and_not_before() {
    for (file, expr) in [
        ("scenarios/napt-overflow-port-set.yaml", OVERFLOW),
        ("scenarios/bisect/five-faults.yaml", "gateway.boots >= 2"),
        ("scenarios/hgw-v6plus-bring-up.yaml", "ipv4.up_at_end == true"),
    ] {
        let path = common::root().join(file);
        let loaded = overrides::load_with(&path, &[]).expect("loads");
        let expr = Expectation::parse(expr).expect("expr");
        let mut sim = Simulation::new(&loaded.scenario);
        let moment = first_moment(&mut sim, &expr, &mut Quiet)
            .expect("runs")
            .expect("found");
        let before = moment.before.expect("not at the start");
        let judge_at = |t: SimTime| {
            let mut sim = Simulation::new(&loaded.scenario);
            sim.run_until(t, &mut Quiet).expect("runs");
            expr.judge(&serde_json::to_value(sim.outcome()).expect("json"))
                .passed
        };
        assert!(judge_at(moment.at), "{file}: holds at {}", moment.at);
        assert!(!judge_at(before), "{file}: not at {before}");
        // Nothing happens between the previous event instant and the moment.
        assert!(!judge_at(SimTime::from_nanos(moment.at.as_nanos() - 1)), "{file}");
    }
    let args = [
        "bisect",
        "scenarios/bisect/five-faults.yaml",
        "--when",
        "gateway.boots >= 2",
    ];
    let out = fletsim(&args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("first holds at +1h"), "{text}");
    assert_eq!(fletsim(&args).stdout, out.stdout);
}
