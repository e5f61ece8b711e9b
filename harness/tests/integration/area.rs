//! Areas of many homes (`area:`): a one-home area is today's scenario, the
//! shared servers' capacities shape the homes' recovery, `--jobs` does not
//! change a byte, and bad area input is located and exits 2.

use crate::common;

use std::path::Path;

use common::{fletsim, stderr, stdout, temp_dir};
use harness::scenario_file;

const HOME: &str = r#"
name: one-home
duration: 3h
start: 2021-04-19 18:00:00
line: { vne: v6plus, hgw_rental: true }
gateway:
  model: hgw
  hgw: { bundle_cached: true }
lan:
  phone: { count: 1 }
  smart-speaker: { count: 1 }
faults:
  - at: 1h
    power_cut: { duration: 10m }
  - every: { hazard: constant, mean_interval: 1d }
    spontaneous_reboot:
"#;

fn load(text: &str) -> scenario_file::LoadedScenario {
    scenario_file::parse(Path::new("area-test.yaml"), text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_one_home_area_gives_the_one_home_scenarios_outcome_and_digest() {
    for seed in 1..=5 {
        let mut plain = load(HOME).scenario;
        plain.seed = seed;
        let mut area = load(&format!("{HOME}area:\n  homes: 1\n")).scenario;
        area.seed = seed;
        let want = sim_core::run(&plain).expect("runs");
        let mut got = sim_core::run(&area).expect("runs");
        let block = got.area.take().expect("an area block");
        assert_eq!(block.all.homes, 1);
        assert_eq!(got, want, "seed {seed}");
        assert_eq!(got.trace.digest, want.trace.digest);
    }
}

#[test]
fn the_area_power_cut_reaches_every_home_and_each_has_its_own_prefix_and_seed() {
    let text = format!(
        "{HOME}area:\n  homes: 50\n  faults:\n    - at: 2h\n      area_power_cut: {{ duration: 5m, restore_spread: 1m }}\n"
    );
    let loaded = load(&text);
    let o = sim_core::run(&loaded.scenario).expect("runs");
    let area = o.area.expect("area");
    assert_eq!(area.all.homes, 50);
    assert_eq!(area.all.hit, 50);
    assert_eq!(area.all.ipv4_restored.homes, 50);
    assert_eq!(area.all.ipv4_restored.never, 0);
    // Power back to IPv4 takes the ONU's boot and ranging, the HGW's boot, the Java VM and
    // the app: about a minute, never under 40 s nor (unloaded servers) over five minutes.
    let p50 = area.all.ipv4_restored.p50.expect("a time").0.as_secs();
    assert!((40..300).contains(&p50), "{p50}");
    // One rule server request per boot at least (two power-ons per home: start and restore).
    assert!(area.rule_servers["v6plus"].requests >= 100);
    assert_eq!(area.rule_servers["v6plus"].refusals, 0);
}

#[test]
fn a_rate_limited_rule_server_refuses_with_429_and_the_hgws_retry() {
    let text = format!(
        "{HOME}area:\n  homes: 200\n  rule_server: {{ rate: 1, burst: 5 }}\n  faults:\n    - at: 2h\n      area_power_cut: {{ duration: 5m }}\n"
    );
    let o = sim_core::run(&load(&text).scenario).expect("runs");
    let area = o.area.expect("area");
    let rs = &area.rule_servers["v6plus"];
    assert!(rs.refusals > 0, "{rs:?}");
    // With no restore spread all 200 homes ask within seconds; one a second are answered, the
    // rest retry after 1, 2, 4 … minutes: the slowest homes take minutes more than the p50.
    // They retry in step (the same backoff from the same moment), so each wave meets the
    // limit again: the slowest tenth take far longer than the median, or never come back.
    let d = &area.all.ipv4_restored;
    assert!(d.p90.is_none_or(|p90| Some(p90) > d.p50), "{d:?}");
    assert!(
        area.all.rule_fetches > 400,
        "retries count as fetches: {}",
        area.all.rule_fetches
    );
}

#[test]
fn an_aftr_refuses_sessions_beyond_its_table_and_a_br_beyond_its_rate() {
    // Ten busy DS-Lite homes share an AFTR whose table holds 40 sessions.
    let busy = HOME
        .replace("vne: v6plus", "vne: transix")
        .replace("phone: { count: 1 }", "telework-pc: { count: 3 }");
    let text = format!("{busy}area:\n  homes: 10\n  br: {{ max_sessions: 40 }}\n");
    let o = sim_core::run(&load(&text).scenario).expect("runs");
    let area = o.area.as_ref().expect("area");
    let aftr = &area.brs["transix"];
    assert_eq!(aftr.peak_sessions, 40, "the table fills: {aftr:?}");
    assert!(aftr.refusals > 0, "{aftr:?}");
    // Home 0's refusals are in its own LAN outcome; the AFTR counts every home's.
    let home0: u64 = o.lan.values().map(|c| c.failed.br_refused).sum();
    assert!(home0 > 0 && home0 <= aftr.refusals, "{home0} of {aftr:?}");
    assert_eq!(area.brs["v6plus"].sessions, 0, "no home is on v6 plus");
    // With the default capacities nothing is refused and every IPv4 session is carried.
    let roomy = format!("{busy}area:\n  homes: 10\n");
    let o = sim_core::run(&load(&roomy).scenario).expect("runs");
    let aftr = &o.area.as_ref().expect("area").brs["transix"];
    assert_eq!(aftr.refusals, 0, "{aftr:?}");
    assert!(aftr.sessions > 0 && aftr.peak_sessions > 40, "{aftr:?}");
    // A MAP-E BR is stateless (max_sessions is an AFTR's), but its setup rate binds.
    let rate = format!("{HOME}area:\n  homes: 10\n  br: {{ max_sessions: 1, rate: 1, burst: 1 }}\n");
    let o = sim_core::run(&load(&rate).scenario).expect("runs");
    let br = &o.area.as_ref().expect("area").brs["v6plus"];
    assert!(br.peak_sessions > 1, "no table on a MAP-E BR: {br:?}");
    assert!(br.refusals > 0, "one new session a second: {br:?}");
}

/// Home 0's trace as an observer sees it.
#[derive(Default)]
struct Recorded(Vec<(sim_core::time::SimTime, sim_core::trace::TraceEvent)>);

impl sim_core::engine::Observer<sim_core::trace::TraceEvent> for Recorded {
    fn observe(&mut self, at: sim_core::time::SimTime, event: &sim_core::trace::TraceEvent) {
        self.0.push((at, event.clone()));
    }
}

/// An area runs its homes' LAN events ahead of each other, a window at a time, with the
/// BR's asks played in order after each window (and the whole run made again in order
/// when a BR would have refused one). Every outcome, statistic and trace must be exactly
/// what running every event in the area's order gives: areas whose homes' bring-ups,
/// fetches and downloads meet the shared servers' limits while their LANs are busy, on
/// MAP-E and DS-Lite, with BR refusals (the fallback) and without.
#[test]
fn running_homes_ahead_gives_exactly_the_in_order_outcome_and_trace() {
    let busy = HOME.replace(
        "phone: { count: 1 }",
        "phone: { count: 1 }\n  telework-pc: { count: 1 }",
    );
    let mixed = "  templates:\n    - name: hgw\n      weight: 3\n    - name: router\n      gateway: { model: retail-router }\n    - name: ds-lite\n      line: { vne: transix, hgw_rental: false }\n      gateway: { model: retail-router }\n";
    let cases = [
        // Power cut with a restore spread, rule server and BR outage at the same moments.
        format!(
            "{busy}area:\n  homes: 60\n{mixed}  rule_server: {{ rate: 5, burst: 5 }}\n  faults:\n    - at: 1h\n      area_power_cut: {{ duration: 5m, restore_spread: 2m }}\n    - at: 1h\n      br_outage: {{ duration: 3m }}\n    - at: 1h5m\n      rule_server_rate_limit: {{ rate: 1, burst: 1, duration: 10m }}\n"
        ),
        // A rollout through a saturated distributor.
        format!(
            "{busy}area:\n  homes: 80\n  distributor: {{ max_concurrent: 2, bandwidth: 20Mbit/s, max_queue: 5 }}\n  faults:\n    - at: 1h30m\n      bundle_rollout: {{ window: 2m }}\n    - at: 1h31m\n      distributor_saturation: {{ max_concurrent: 1, duration: 5m }}\n"
        ),
        // A BR whose setup rate binds once its burst is spent, some windows into the run: run
        // ahead, it would grant opens it refuses in order.
        format!("{busy}area:\n  homes: 20\n  br: {{ rate: 1, burst: 2000 }}\n"),
        // An AFTR whose table fills.
        format!(
            "{}area:\n  homes: 10\n  br: {{ max_sessions: 40 }}\n",
            busy.replace("vne: v6plus", "vne: transix")
        ),
    ];
    for (i, text) in cases.iter().enumerate() {
        for seed in [1, 7] {
            let mut scenario = load(text).scenario;
            scenario.seed = seed;
            let mut in_order = Recorded::default();
            let (want, want_stats) = sim_core::area::run_in_order(&scenario, &mut in_order).expect("runs");
            assert!(!in_order.0.is_empty());
            // The first two cases run ahead to their end; the last two refuse at their BR, so
            // running ahead stops and the run is made again in order (its observer skipping
            // what it had been given before).
            let mut ahead = Recorded::default();
            let only_ahead = sim_core::area::run_ahead_only(&scenario, &mut ahead).expect("runs");
            assert_eq!(only_ahead.is_some(), i < 2, "case {i}, seed {seed}");
            let mut ahead = Recorded::default();
            let (got, got_stats) = sim_core::area::run(&scenario, &mut ahead).expect("runs");
            assert_eq!(got, want, "case {i}, seed {seed}");
            assert_eq!(
                (got_stats.events, got_stats.sessions, got_stats.peak_pending),
                (want_stats.events, want_stats.sessions, want_stats.peak_pending),
                "case {i}, seed {seed}"
            );
            assert!(
                ahead.0 == in_order.0,
                "case {i}, seed {seed}: home 0's trace differs"
            );
            let refused = got
                .area
                .as_ref()
                .expect("area")
                .brs
                .values()
                .any(|b| b.refusals > 0);
            assert_eq!(refused, i >= 2, "case {i}, seed {seed}");
        }
    }
}

#[test]
fn a_saturated_distributor_queues_a_rollout_and_homes_time_out() {
    let text = format!(
        "{HOME}area:\n  homes: 300\n  distributor: {{ max_concurrent: 2, bandwidth: 20Mbit/s, max_queue: 5 }}\n  faults:\n    - at: 1h30m\n      bundle_rollout: {{ window: 1m }}\n"
    );
    let o = sim_core::run(&load(&text).scenario).expect("runs");
    let area = o.area.expect("area");
    let d = &area.distributor;
    assert_eq!(d.peak_concurrent, 2, "{d:?}");
    assert!(d.peak_queue >= 1, "{d:?}");
    assert!(d.refusals > 0, "{d:?}");
    assert_eq!(area.all.hit, 300);
    assert!(area.all.bundle_downloads >= 1);
}

#[test]
fn home_seeds_and_templates_are_deterministic_and_templates_are_reported() {
    let text = format!(
        "{HOME}area:\n  homes: 40\n  templates:\n    - name: hgw\n      weight: 3\n    - name: router\n      gateway: {{ model: retail-router }}\n"
    );
    let a = sim_core::run(&load(&text).scenario).expect("runs");
    let b = sim_core::run(&load(&text).scenario).expect("runs");
    assert_eq!(a, b);
    let area = a.area.expect("area");
    let hgw = area.templates["hgw"].homes;
    let router = area.templates["router"].homes;
    assert_eq!(hgw + router, 40);
    assert!(hgw > router && router > 0, "{hgw} {router}");
}

#[test]
fn jobs_1_and_jobs_2_give_byte_identical_area_json() {
    let dir = temp_dir("area-jobs");
    let file = dir.join("area.yaml");
    std::fs::write(
        &file,
        format!("{HOME}area:\n  homes: 30\n  faults:\n    - at: 2h\n      area_power_cut: {{ duration: 5m, restore_spread: 2m }}\n"),
    )
    .expect("write");
    let f = file.to_str().expect("utf-8");
    let one = fletsim(&["run", f, "--seeds", "3", "-j", "1", "--json", "-"]);
    let two = fletsim(&["run", f, "--seeds", "3", "-j", "2", "--json", "-"]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert!(stdout(&one).contains("\"area\""));
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn set_area_homes_scales_the_story() {
    let dir = temp_dir("area-set");
    let file = dir.join("area.yaml");
    std::fs::write(
        &file,
        format!("{HOME}area:\n  homes: 2\nexpect:\n  - \"area.homes == 7\"\n"),
    )
    .expect("write");
    let f = file.to_str().expect("utf-8");
    let out = fletsim(&["run", f, "--set", "area.homes=7"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let out = fletsim(&["run", f]);
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("area.homes == 7  (actual: 2)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn bad_area_input_exits_2_naming_file_line_column_and_field() {
    let cases: &[(&str, &str)] = &[
        (
            "area:\n  homes: 0\n",
            ":17:10: area.homes: `0` is not a whole number from 1 to 1000000",
        ),
        (
            "area:\n  homes: 5\n  distributor: { bandwidth: 10G }\n",
            ":18:29: area.distributor.bandwidth: `10G` is not a bandwidth",
        ),
        (
            "area:\n  homes: 5\n  templates:\n    - name: a\n      gateway: { model: modem }\n",
            "area.templates[1].gateway.model",
        ),
        (
            "area:\n  homes: 5\n  templates:\n    - name: a\n    - name: a\n",
            ":20:13: area.templates[2].name: a second template named `a`",
        ),
        (
            "area:\n  homes: 5\n  faults:\n    - at: 1h\n",
            ":19:7: area.faults[1]: an area fault needs one kind (accepted: area_power_cut",
        ),
        (
            "area:\n  homes: 5\n  faults:\n    - at: 9h\n      br_outage: { duration: 5m }\n",
            "area.faults[1].at: `9h` is not within the run",
        ),
        (
            "area:\n  homes: 5\n  faults:\n    - at: 1h\n      area_power_cut: { duration: 5m, share: 150% }\n",
            "area.faults[1].area_power_cut.share: `150%` is not a share",
        ),
        (
            "area:\n  homes: 5\n  faults:\n    - at: 1h\n      rule_server_rate_limit: { rate: 5, vne: nowhere }\n",
            "area.faults[1].rule_server_rate_limit.vne: unknown VNE `nowhere`",
        ),
        ("area:\n  homes: 5\n  shops: 3\n", "unknown field `shops`"),
        (
            "area:\n  homes: 5\n  br: { max_sessions: 0 }\n",
            "area.br.max_sessions",
        ),
        ("area:\n  homes: 5\n  br: { rate: many }\n", "area.br.rate"),
        (
            "area:\n  homes: 5\n  br: { sessions: 3 }\n",
            "unknown field `sessions`",
        ),
        (
            "area:\n  homes: 5\nexpect:\n  - \"area.stuck.nowhere == 0\"\n",
            "expect[1]",
        ),
    ];
    let dir = temp_dir("area-bad");
    for (i, (tail, want)) in cases.iter().enumerate() {
        let file = dir.join(format!("bad{i}.yaml"));
        std::fs::write(&file, format!("{}{tail}", HOME.trim_start())).expect("write");
        let out = fletsim(&["run", file.to_str().expect("utf-8")]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(err.contains(&format!("bad{i}.yaml")), "case {i}: {err}");
        assert!(err.contains(want), "case {i}: want {want:?} in {err}");
    }
}
