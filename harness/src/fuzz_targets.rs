//! The parsers of every input fletsim reads, as fuzz targets: each takes
//! arbitrary bytes and must return (an error is fine) without panicking or
//! hanging. Two drivers share them:
//!
//! - `harness/fuzz/` (cargo-fuzz, libFuzzer; nightly or `RUSTC_BOOTSTRAP=1`),
//!   for long runs: see `docs/fuzzing.md`;
//! - `harness/tests/integration/fuzz_smoke.rs`, on stable in the normal test run: the
//!   shipped files and a fixed number of deterministic mutations of each,
//!   every input under a time bound.
//!
//! Targets: [`scenario`] (the scenario loader, with `--set` overrides),
//! [`expectation`] (the expectation parser and its load-time checks),
//! [`log`] (the HGW log parser and analysis), [`results`] (JSON Lines run
//! records, merged and judged as `merge` does), [`snapshot`] (insta `.snap`
//! files, compared as `snapshot` and `diff` do).

use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use serde_json::Value;

use reports::text::{Palette, Verbosity};

use crate::overrides::{self, Override};

/// A fuzz target: takes any bytes, must return.
pub type Target = fn(&[u8]);

/// All targets by name, as the fuzz crate and the smoke test call them.
pub const TARGETS: [(&str, Target); 5] = [
    ("scenario", scenario),
    ("expectation", expectation),
    ("log", log),
    ("results", results),
    ("snapshot", snapshot),
];

/// A line that carries a `--set` override into the scenario target: `#set PATH=VALUE`.
pub const SET_PREFIX: &str = "#set ";

/// A scenario file, then the `#set PATH=VALUE` lines in it applied as `--set` overrides
/// (the file is YAML either way: to YAML the lines are comments).
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("fuzz.yaml");
    let Ok(loaded) = crate::scenario_file::parse(file, text) else {
        return;
    };
    let sets: Vec<Override> = text
        .lines()
        .filter_map(|l| l.strip_prefix(SET_PREFIX))
        .filter_map(|o| Override::from_str(o).ok())
        .collect();
    drop(loaded);
    if sets.is_empty() {
        return;
    }
    let Ok(mut tree) = serde_saphyr::from_str_with_options::<Value>(text, crate::yaml::options()) else {
        return;
    };
    for o in &sets {
        if overrides::apply(&mut tree, &o.path, o.value.clone()).is_err() {
            return;
        }
    }
    let _ = overrides::parse_tree(file, &tree, "fuzz");
    let _ = overrides::to_yaml(&tree);
}

/// The outcome shape expectations are checked against: a small scenario's, made once.
fn shape() -> &'static Value {
    static SHAPE: OnceLock<Value> = OnceLock::new();
    SHAPE.get_or_init(|| {
        let text = "duration: 1h\nline: { vne: v6plus, hgw_rental: true }\ngateway: { model: hgw }\n\
                    lan: { phone: { count: 1 } }\n";
        crate::scenario_file::parse(Path::new("shape.yaml"), text)
            .map(|l| sim_core::shape_of_outcome(&l.scenario))
            .unwrap_or(Value::Null)
    })
}

/// An `expect:` line: the share suffix, the expectation, its load-time checks, and judging it.
pub fn expectation(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((text, _share)) = reports::sweep::split_share(text) else {
        return;
    };
    let Ok(e) = sim_core::expect::Expectation::parse(text) else {
        return;
    };
    let _ = e.check(shape());
    let _ = e.judge(shape());
    let _ = e.path_text();
}

/// An HGW log: parsed, analysed and written as `log analyze` and `hypotheses` do.
pub fn log(data: &[u8]) {
    let Ok(parsed) = crate::log_analyze::parse_log_bytes(data) else {
        return;
    };
    let analysis = crate::log_analyze::analyze(&parsed);
    for verbosity in [Verbosity::Quiet, Verbosity::Normal, Verbosity::Verbose] {
        let _ = crate::log_analyze::write_text(&analysis, verbosity, Palette::ansi(), &mut std::io::sink());
    }
    let _ = crate::log_analyze::write_json(Path::new("fuzz.log"), &analysis, &mut std::io::sink());
    let summary = crate::hypotheses_cmd::Summary::of(&analysis);
    let _ = crate::hypotheses_cmd::compare("h", "h.yaml", 1, &summary, &summary, 0.05);
}

/// JSON Lines results: read, merged and judged as `merge` does, and written as its reports.
pub fn results(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(records) = reports::json::read_records(text) else {
        return;
    };
    let Ok((records, _)) = crate::run_cmd::merge_records(records) else {
        return;
    };
    let shares = reports::sweep::judge_shares(&records);
    let sink = &mut std::io::sink();
    for r in &records {
        let _ = reports::text::write_run(
            sink,
            &crate::terminal::record(r),
            reports::text::Verbosity::Verbose,
            reports::text::Palette::plain(),
        );
    }
    let _ = reports::junit::write(sink, &records, &shares, &[]);
    let _ = reports::markdown::write(sink, &records, &shares, &[]);
    let _ = sink.flush();
}

/// An insta `.snap` file: parsed, and its outcome diffed against itself.
pub fn snapshot(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(snap) = crate::snapshot_cmd::parse_snap(text) else {
        return;
    };
    let changes = reports::diff::diff_values(&snap.outcome, &snap.outcome);
    debug_assert!(changes.is_empty(), "an outcome differs from itself");
}

/// One seed input: its target, a file name for it, and its bytes.
#[derive(Clone, Debug)]
pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Files under `dir` (recursively) with one of `extensions`, sorted.
fn files_under(dir: &Path, extensions: &'static [&'static str]) -> Vec<std::path::PathBuf> {
    let selection = crate::files::Selection {
        extensions,
        what: "seed files",
    };
    crate::files::find(&[dir.to_path_buf()], &selection)
        .map(|found| found.into_iter().map(|f| f.path).collect())
        .unwrap_or_default()
}

fn file_name(path: &Path) -> String {
    path.to_string_lossy().replace(['/', '\\'], "_")
}

/// The seed corpus of every target, from the shipped files under the workspace `root`: the
/// scenarios (and some with `#set` lines), their expectations, the evidence log and a simulated
/// device log, the results of two short runs, and the outcome snapshots.
pub fn seed_corpus(root: &Path) -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut add =
        |target: &'static str, name: String, bytes: Vec<u8>| seeds.push(Seed { target, name, bytes });
    let mut scenarios = files_under(&root.join("scenarios"), &["yaml", "yml"]);
    scenarios.extend(files_under(
        &root.join("harness/tests/fixtures"),
        &["yaml", "yml"],
    ));
    let mut loaded = Vec::new();
    for path in &scenarios {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        add("scenario", file_name(path), text.clone().into_bytes());
        if let Ok(l) = crate::scenario_file::parse(path, &text) {
            for (i, e) in l.expectations.iter().enumerate() {
                add(
                    "expectation",
                    format!("{}-{i}", file_name(path)),
                    e.text.clone().into_bytes(),
                );
            }
            loaded.push(l);
        }
    }
    // `--set` overrides riding on a shipped scenario.
    if let Some(path) = scenarios.iter().find(|p| p.ends_with("hgw-v6plus-bring-up.yaml"))
        && let Ok(text) = std::fs::read_to_string(path)
    {
        let sets = "#set lan.phone.count=3\n#set gateway.napt.timeouts.udp=60s\n#set faults[1].at=5m\n\
                    #set expect[1]=\"ipv4.first_up <= 1h\"\n#set seed=7\n";
        add(
            "scenario",
            "with-sets.yaml".into(),
            format!("{text}{sets}").into_bytes(),
        );
    }
    for extra in [
        "ipv6.last_up_at < ipv4.last_up_at",
        "ipv4.first_up <= 5m for 95% of seeds",
        "boots[last].cause == \"user\"",
        "gateway.reboots.hours[24] >= 0",
        "ipv4.address == 106.72.63.108",
        "napt.occupancy.p99 < 90%",
    ] {
        add(
            "expectation",
            format!("extra-{}", seeds_len_hint(extra)),
            extra.as_bytes().to_vec(),
        );
    }
    for path in files_under(&root.join("scenarios"), &["log"]) {
        if let Ok(bytes) = std::fs::read(&path) {
            add("log", file_name(&path), bytes);
        }
    }
    // Results and a device log, from two short shipped runs.
    let mut results = Vec::new();
    for l in loaded
        .iter()
        .filter(|l| ["user-reboot", "onu-loss-of-signal"].contains(&l.scenario.name.as_str()))
    {
        let collect = crate::artifacts::Collect {
            device_log: true,
            ..crate::artifacts::Collect::default()
        };
        if let Ok((record, artifacts)) =
            crate::suite::run_collecting(l, None, &mut sim_core::sim::NoObserver, collect)
        {
            let _ = reports::json::write_record(&mut results, &record);
            if let Some((_, text)) = artifacts.device_log {
                add("log", format!("{}.log", l.scenario.name), text.into_bytes());
            }
        }
    }
    add("results", "two-runs.jsonl".into(), results);
    for path in files_under(&root.join("harness/tests/snapshots"), &["snap"]) {
        if let Ok(bytes) = std::fs::read(&path) {
            add("snapshot", file_name(&path), bytes);
        }
    }
    seeds
}

/// A short file-name-safe tag for a seed made from text.
fn seeds_len_hint(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect()
}
