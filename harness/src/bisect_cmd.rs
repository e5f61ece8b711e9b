//! `fletsim bisect`: thresholds of a parameter (`--param`), the smallest set of
//! faults that still causes an outcome (`--faults`, ddmin) and the first moment
//! an outcome condition holds (`--when`).
//!
//! Every probe is a whole simulation run, so the answers are as deterministic
//! as the runs: the same command gives byte-identical output.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use sim_core::Simulation;
use sim_core::engine::Observer;
use sim_core::expect::Expectation;
use sim_core::time::{Calendar, SimDuration, SimTime};
use sim_core::trace::TraceEvent;

use reports::text::Verbosity;

use crate::console::Environment;
use crate::options::{OutputOptions, Printer, RunOptions, exit};
use crate::overrides::{self, Override};
use crate::scenario_file::LoadedScenario;
use crate::suite;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  fletsim bisect scenarios/bisect/busy-clients-v6plus.yaml --param lan.telework-pc.count --range 1..60 --until \"napt.drops.port_set_exhausted > 0\"
  fletsim bisect scenarios/bisect/five-faults.yaml --faults --until \"ipv4.first_up == never\"
  fletsim bisect scenarios/user-reboot.yaml --when \"gateway.boots >= 2\"")]
#[command(mut_arg("quiet", |a| a.help("Print only the answer (the value, the minimal scenario alone, the moment)")))]
#[command(mut_arg("verbose", |a| a.help("Print more: also the seeds at which each probe did not hold (--when: a wider trace window)")))]
pub struct BisectArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// The scenario field to search, by its YAML path (an integer or a duration): lan.telework-pc.count
    #[arg(long, value_name = "PATH", requires_all = ["range", "until"], conflicts_with_all = ["faults", "when"])]
    pub param: Option<String>,
    /// The range to search, inclusive: 1..40 or 30s..10m.
    #[arg(long, value_name = "LO..HI")]
    pub range: Option<String>,
    /// The expectation expression the search is about: "napt.drops.port_set_exhausted > 0".
    #[arg(long, value_name = "EXPR")]
    pub until: Option<String>,
    /// Find the largest value at which EXPR holds instead of the smallest.
    #[arg(long, requires = "param")]
    pub largest: bool,
    /// Stop when the bracket is this narrow [default: 1, or 1s for durations]
    #[arg(long, value_name = "STEP", requires = "param")]
    pub resolution: Option<String>,
    /// Delta debugging over the scenario's faults: the smallest subset under which EXPR (--until) holds.
    #[arg(long, requires = "until", conflicts_with = "when")]
    pub faults: bool,
    /// The first simulated moment at which EXPR becomes true, with the trace around it.
    #[arg(long, value_name = "EXPR")]
    pub when: Option<String>,
    /// Run at this seed instead of the scenario's own.
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Run each probe at a sweep of seeds: N (1 to N) or A..B (A to B, inclusive); it holds when at least --rate of them hold.
    #[arg(long, value_name = "N|A..B")]
    pub seeds: Option<crate::suite::SeedRange>,
    /// With --seeds: the share of seeds that must hold for a probe to hold (80% or 0.8) [default: 50%]
    #[arg(long, value_name = "P", requires = "seeds")]
    pub rate: Option<String>,
    /// Write an HTML report into DIR: the probes, the answer and the pages of the decisive runs.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Overwrite the report files of an existing, non-empty folder.
    #[arg(long, requires = "report")]
    pub force: bool,
    #[command(flatten)]
    pub run: RunOptions,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// A failure of the command: its message and exit code.
struct Failure(u8, String);

fn bad(message: impl Into<String>) -> Failure {
    Failure(exit::BAD_INPUT, message.into())
}

pub fn run(args: &BisectArgs, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if let Some(dir) = &args.report
        && let Err(e) = crate::html_report::check_dir(dir, args.force)
    {
        let _ = writeln!(err, "error: {e}");
        return exit::BAD_INPUT;
    }
    let mut report = Report::default();
    // `-q`: the answer alone, ready to use; default: the search too; `-v`: each probe's details.
    let mut say = Printer::new(out, &args.output, env);
    let result = if args.param.is_some() {
        param(args, &mut say, &mut report)
    } else if args.faults {
        faults(args, &mut say, &mut report)
    } else if let Some(expr) = &args.when {
        when(args, expr, &mut say, &mut report)
    } else {
        Err(bad(
            "say what to bisect: --param PATH --range LO..HI --until EXPR, --faults --until EXPR, or --when EXPR",
        ))
    };
    let result = result.and_then(|code| {
        if let Some(dir) = &args.report {
            report.write(args, dir)?;
        }
        Ok(code)
    });
    match result {
        Ok(code) => code,
        Err(Failure(code, message)) => {
            let _ = writeln!(err, "error: {message}");
            code
        }
    }
}

/// `3 7 12`, or `none`.
fn seed_list(seeds: &[u64]) -> String {
    if seeds.is_empty() {
        return "none".into();
    }
    seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")
}

/// What a bisection's HTML report shows, gathered as the search goes.
#[derive(Default)]
struct Report {
    heading: String,
    tried: String,
    probes: Vec<reports::html::bisect_page::ProbeRow>,
    answer: String,
    decisive: Vec<Decisive>,
    details: Option<String>,
}

/// A run the answer rests on, for its page: what it is, its scenario and seed, the page's
/// name and the window to zoom to.
struct Decisive {
    what: String,
    loaded: LoadedScenario,
    seed: u64,
    page: String,
    window: Option<(SimTime, SimTime)>,
}

impl Report {
    /// Runs the decisive runs again for their timelines and writes the pages.
    fn write(self, args: &BisectArgs, dir: &Path) -> Result<(), Failure> {
        use reports::html::{self, Page, bisect_page, run_page};
        let mut pages = Vec::new();
        let mut runs = Vec::new();
        for Decisive {
            what,
            loaded,
            seed,
            page: name,
            window,
        } in &self.decisive
        {
            let collect = crate::artifacts::Collect {
                timeline: true,
                ..Default::default()
            };
            let (record, artifacts) = suite::run_collecting(loaded, Some(*seed), &mut Quiet, collect)
                .map_err(|e| bad(format!("{} (seed {seed}): {e}", loaded.file.display())))?;
            let Some(timeline) = artifacts.timeline else {
                continue;
            };
            let fragment = window.map_or(String::new(), |(a, b)| {
                html::zoom_fragment(&timeline.calendar, a, b)
            });
            runs.push((what.clone(), format!("{name}{fragment}")));
            pages.push(Page {
                name: name.clone(),
                html: run_page::render(&run_page::RunView {
                    record: &record,
                    description: Some(&loaded.description),
                    timeline: &timeline,
                    index: Some(("index.html", "the bisection")),
                }),
            });
        }
        let view = bisect_page::BisectView {
            heading: self.heading,
            command: command_text(args),
            tried: self.tried,
            probes: self.probes,
            answer: self.answer,
            runs,
            details: self.details,
        };
        pages.insert(
            0,
            Page {
                name: "index.html".into(),
                html: bisect_page::render(&view),
            },
        );
        crate::html_report::write_report(dir, &pages, args.force)
            .map(|_| ())
            .map_err(|e| Failure(exit::INTERNAL, e))
    }
}

/// The search as a command line (without the report options), for the report.
fn command_text(args: &BisectArgs) -> String {
    let q = |s: &str| reports::shell_quote(s);
    let mut c = format!("fletsim bisect {}", q(&args.scenario.display().to_string()));
    if let Some(p) = &args.param {
        c += &format!(" --param {}", q(p));
    }
    if let Some(r) = &args.range {
        c += &format!(" --range {}", q(r));
    }
    if args.faults {
        c += " --faults";
    }
    if let Some(u) = &args.until {
        c += &format!(" --until {}", q(u));
    }
    if let Some(w) = &args.when {
        c += &format!(" --when {}", q(w));
    }
    if args.largest {
        c += " --largest";
    }
    if let Some(r) = &args.resolution {
        c += &format!(" --resolution {}", q(r));
    }
    if let Some(s) = args.seed {
        c += &format!(" --seed {s}");
    }
    if let Some(range) = args.seeds {
        c += &format!(" --seeds {range}");
    }
    if let Some(r) = &args.rate {
        c += &format!(" --rate {}", q(r));
    }
    for o in &args.run.set {
        c += &format!(" --set {}", q(&o.text));
    }
    c
}

struct Quiet;

impl Observer<TraceEvent> for Quiet {
    fn observe(&mut self, _: SimTime, _: &TraceEvent) {}
}

fn expectation(text: &str) -> Result<Expectation, Failure> {
    Expectation::parse(text).map_err(|e| bad(format!("`{text}`: {e}")))
}

/// Refuses, before any probe runs, an expression that could never hold on this scenario
/// (a path it lacks, a name the field never takes, ...), as scenario files' expectations are.
fn check_expr(expr: &Expectation, loaded: &LoadedScenario, flag: &str) -> Result<(), Failure> {
    expr.check(&sim_core::shape_of_outcome(&loaded.scenario))
        .map_err(|e| bad(format!("{flag} `{}`: {e}", expr.text)))
}

/// Parses `80%` or `0.8`.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("--rate `{text}`: expected a share such as 80% or 0.8"))?;
    if (0.0..=1.0).contains(&v) && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("--rate `{text}`: must be above 0 and at most 100%"))
    }
}

/// The seeds every probe runs, and how many of them must hold.
struct Probe<'a> {
    file: &'a Path,
    expr: Expectation,
    seeds: Vec<u64>,
    need: usize,
}

impl Probe<'_> {
    fn new<'a>(
        args: &BisectArgs,
        file: &'a Path,
        expr: Expectation,
        own_seed: u64,
    ) -> Result<Probe<'a>, Failure> {
        let seeds: Vec<u64> = match (args.seeds, args.seed) {
            (Some(range), _) => range.seeds().collect(),
            (None, Some(s)) => vec![s],
            (None, None) => vec![own_seed],
        };
        let rate = match &args.rate {
            Some(r) => parse_rate(r).map_err(bad)?,
            None => 0.5,
        };
        // At least P of N: the smallest count k with k >= P·N (exact for shares in whole ppm).
        let need = ((rate * seeds.len() as f64) - 1e-9).ceil().max(1.0) as usize;
        Ok(Probe {
            file,
            expr,
            seeds,
            need,
        })
    }

    fn seed_text(&self) -> String {
        match self.seeds.as_slice() {
            [one] => format!("seed {one}"),
            many => format!(
                "seeds {}..{}, holding when at least {} of {} hold",
                many.first().copied().unwrap_or(1),
                many.last().copied().unwrap_or(1),
                self.need,
                many.len()
            ),
        }
    }

    /// How many of the seeds the expression held at on this loaded scenario, and the seeds it did not.
    fn holding(&self, loaded: &LoadedScenario) -> Result<(usize, Vec<u64>), Failure> {
        let mut n = 0;
        let mut missed = Vec::new();
        for seed in &self.seeds {
            let record = suite::run_one(loaded, Some(*seed), &mut Quiet)
                .map_err(|e| bad(format!("{} (seed {seed}): {e}", self.file.display())))?;
            let value = serde_json::to_value(&record.outcome).unwrap_or(Value::Null);
            if self.expr.judge(&value).passed {
                n += 1;
            } else {
                missed.push(*seed);
            }
        }
        Ok((n, missed))
    }
}

// ---- --param ------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integer,
    Duration,
}

impl Kind {
    fn parse(self, text: &str) -> Result<u64, String> {
        match self {
            Kind::Integer => text
                .trim()
                .parse()
                .map_err(|_| format!("`{text}` is not a whole number")),
            Kind::Duration => SimDuration::parse(text.trim())
                .map(SimDuration::as_nanos)
                .map_err(|e| format!("`{text}`: {e}")),
        }
    }

    fn render(self, v: u64) -> String {
        match self {
            Kind::Integer => v.to_string(),
            Kind::Duration => SimDuration::from_nanos(v).to_string(),
        }
    }

    fn value(self, v: u64) -> Value {
        match self {
            Kind::Integer => Value::from(v),
            Kind::Duration => Value::from(self.render(v)),
        }
    }
}

/// Parses `LO..HI`: both integers, or both durations.
fn parse_range(text: &str) -> Result<(Kind, u64, u64), String> {
    let (lo, hi) = text
        .split_once("..")
        .ok_or_else(|| format!("--range `{text}`: expected LO..HI, e.g. 1..40 or 30s..10m"))?;
    let kind = if lo.trim().parse::<u64>().is_ok() && hi.trim().parse::<u64>().is_ok() {
        Kind::Integer
    } else {
        Kind::Duration
    };
    let lo_v = kind.parse(lo).map_err(|e| format!("--range: {e}"))?;
    let hi_v = kind.parse(hi).map_err(|e| format!("--range: {e}"))?;
    if lo_v >= hi_v {
        return Err(format!("--range `{text}`: LO must be below HI"));
    }
    Ok((kind, lo_v, hi_v))
}

fn param(args: &BisectArgs, say: &mut Printer, report: &mut Report) -> Result<u8, Failure> {
    let path = args.param.as_deref().unwrap_or_default();
    let segments = overrides::parse_path(path).map_err(|e| bad(format!("--param {e}")))?;
    let (kind, lo, hi) = parse_range(args.range.as_deref().unwrap_or_default()).map_err(bad)?;
    let resolution = match &args.resolution {
        Some(r) => kind.parse(r).map_err(|e| bad(format!("--resolution {e}")))?,
        None => match kind {
            Kind::Integer => 1,
            Kind::Duration => SimDuration::from_secs(1).as_nanos(),
        },
    };
    if resolution == 0 {
        return Err(bad("--resolution must be above zero"));
    }
    let until = args.until.as_deref().unwrap_or_default();
    let expr = expectation(until)?;
    let file = args.scenario.as_path();
    let base = overrides::load_with(file, &args.run.set).map_err(|e| bad(e.to_string()))?;
    let probe = Probe::new(args, file, expr, base.scenario.seed)?;

    let largest = args.largest;
    report.heading = format!(
        "bisect {path} in {}..{} for the {} value at which `{until}` holds ({})",
        kind.render(lo),
        kind.render(hi),
        if largest { "largest" } else { "smallest" },
        probe.seed_text()
    );
    report.tried = path.to_string();
    say.detail(&report.heading);
    let with_value = |v: u64| -> Result<LoadedScenario, Failure> {
        let mut sets = args.run.set.clone();
        sets.push(Override {
            text: format!("{path}={}", kind.render(v)),
            path: segments.clone(),
            value: kind.value(v),
        });
        overrides::load_with(file, &sets).map_err(|e| bad(e.to_string()))
    };
    say.detail(&format!("{:>5}  {:>12}  {:>9}  holds", "probe", "value", "seeds"));
    let mut probes: BTreeMap<u64, bool> = BTreeMap::new();
    let mut probe_rows = Vec::new();
    let mut count = 0;
    let mut test = |v: u64, say: &mut Printer| -> Result<bool, Failure> {
        if let Some(h) = probes.get(&v) {
            return Ok(*h);
        }
        let loaded = with_value(v)?;
        if count == 0 {
            check_expr(&probe.expr, &loaded, "--until")?;
        }
        let (n, missed) = probe.holding(&loaded)?;
        let holds = n >= probe.need;
        count += 1;
        probe_rows.push(reports::html::bisect_page::ProbeRow {
            tried: kind.render(v),
            held: format!("{n}/{}", probe.seeds.len()),
            holds,
        });
        let row = format!(
            "{count:>5}  {:>12}  {:>9}  {}",
            kind.render(v),
            format!("{n}/{}", probe.seeds.len()),
            say.palette.yes_no(holds)
        );
        say.detail(&row);
        say.verbose(&format!(
            "{:>5}  did not hold at seeds: {}",
            "",
            seed_list(&missed)
        ));
        probes.insert(v, holds);
        Ok(holds)
    };
    // `inside` is the end of the range that must hold, `outside` the one that must not.
    let (mut inside, mut outside) = if largest { (lo, hi) } else { (hi, lo) };
    let seed = probe.seeds.first().copied().unwrap_or(base.scenario.seed);
    let page = |v: u64| {
        format!(
            "{}@seed{seed}.html",
            reports::html::slug(&format!("{path}={}", kind.render(v)))
        )
    };
    if !test(inside, say)? {
        report.answer = format!(
            "no threshold: `{until}` does not hold at {path} = {}",
            kind.render(inside)
        );
        say.answer(&report.answer);
        report.probes = probe_rows;
        report.decisive.push(Decisive {
            what: format!("{path} = {} (does not hold), seed {seed}", kind.render(inside)),
            loaded: with_value(inside)?,
            seed,
            page: page(inside),
            window: None,
        });
        return Ok(exit::EXPECTATIONS_FAILED);
    }
    if test(outside, say)? {
        report.answer = format!(
            "{}: {path} = {} (it holds at the end of the range)",
            if largest { "largest" } else { "smallest" },
            kind.render(outside)
        );
        say.answer(&report.answer);
        report.probes = probe_rows;
        report.decisive.push(Decisive {
            what: format!("{path} = {} (holds), seed {seed}", kind.render(outside)),
            loaded: with_value(outside)?,
            seed,
            page: page(outside),
            window: None,
        });
        return Ok(exit::OK);
    }
    while inside.abs_diff(outside) > resolution {
        let gap = inside.abs_diff(outside);
        let step = ((gap / 2) / resolution).max(1) * resolution;
        let mid = if largest { inside + step } else { inside - step };
        if mid == outside {
            break;
        }
        if test(mid, say)? {
            inside = mid;
        } else {
            outside = mid;
        }
    }
    report.answer = format!(
        "{}: {path} = {} (holds; {} does not)",
        if largest { "largest" } else { "smallest" },
        kind.render(inside),
        kind.render(outside)
    );
    say.answer(&report.answer);
    report.probes = probe_rows;
    for (v, holds) in [(inside, "holds"), (outside, "does not hold")] {
        report.decisive.push(Decisive {
            what: format!("{path} = {} ({holds}), seed {seed}", kind.render(v)),
            loaded: with_value(v)?,
            seed,
            page: page(v),
            window: None,
        });
    }
    Ok(exit::OK)
}

// ---- --faults (ddmin) ---------------------------------------------------------------

/// Delta debugging (Zeller's ddmin): a 1-minimal subset of `all` for which `test` holds,
/// given that it holds for `all`. Subsets are kept in the original order.
pub fn ddmin<E>(all: &[usize], test: &mut dyn FnMut(&[usize]) -> Result<bool, E>) -> Result<Vec<usize>, E> {
    let mut c: Vec<usize> = all.to_vec();
    let mut n = 2usize;
    while c.len() >= 2 {
        let chunks: Vec<Vec<usize>> = split(&c, n);
        let mut reduced = false;
        for chunk in &chunks {
            if test(chunk)? {
                c = chunk.clone();
                n = 2;
                reduced = true;
                break;
            }
        }
        if !reduced && n > 2 {
            for chunk in &chunks {
                let complement: Vec<usize> = c.iter().copied().filter(|i| !chunk.contains(i)).collect();
                if test(&complement)? {
                    c = complement;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if n >= c.len() {
                break;
            }
            n = (2 * n).min(c.len());
        }
    }
    Ok(c)
}

/// `c` in `n` nearly equal consecutive parts.
fn split(c: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 0..n {
        let end = start + (c.len() - start) / (n - i);
        parts.push(c[start..end].to_vec());
        start = end;
    }
    parts.retain(|p| !p.is_empty());
    parts
}

fn faults(args: &BisectArgs, say: &mut Printer, report: &mut Report) -> Result<u8, Failure> {
    let until = args.until.as_deref().unwrap_or_default();
    let expr = expectation(until)?;
    let file = args.scenario.as_path();
    let base = overrides::load_with(file, &args.run.set).map_err(|e| bad(e.to_string()))?;
    check_expr(&expr, &base, "--until")?;
    let probe = Probe::new(args, file, expr, base.scenario.seed)?;
    let mut tree = overrides::read_tree(file).map_err(|e| bad(e.to_string()))?;
    for o in &args.run.set {
        overrides::apply(&mut tree, &o.path, o.value.clone()).map_err(|m| bad(format!("--set {o}: {m}")))?;
    }
    let all_faults: Vec<Value> = match tree.get("faults") {
        Some(Value::Array(list)) => list.clone(),
        _ => Vec::new(),
    };
    let with = |subset: &[usize]| -> Value {
        let mut t = tree.clone();
        let kept: Vec<Value> = subset
            .iter()
            .filter_map(|i| all_faults.get(*i).cloned())
            .collect();
        if let Value::Object(map) = &mut t {
            if kept.is_empty() {
                map.remove("faults");
            } else {
                map.insert("faults".into(), Value::Array(kept));
            }
        }
        t
    };
    let load = |subset: &[usize]| {
        overrides::parse_tree(file, &with(subset), "only some faults").map_err(|e| bad(e.to_string()))
    };
    // A decisive run, loaded so that its page's reproduce command repeats it: the file,
    // the command's --set overrides and, for a subset, `--set faults=[…]`.
    let reproducible = |subset: &[usize]| -> Result<LoadedScenario, Failure> {
        let mut sets = args.run.set.clone();
        if subset.len() != all_faults.len() {
            let kept = Value::Array(
                subset
                    .iter()
                    .filter_map(|i| all_faults.get(*i).cloned())
                    .collect(),
            );
            sets.push(Override {
                text: format!("faults={}", serde_json::to_string(&kept).unwrap_or_default()),
                path: overrides::parse_path("faults").map_err(bad)?,
                value: kept,
            });
        }
        overrides::load_with(file, &sets).map_err(|e| bad(e.to_string()))
    };
    let mut cache: BTreeMap<Vec<usize>, bool> = BTreeMap::new();
    let mut probe_rows = Vec::new();
    // Each subset tested, in order, for `-v`.
    let mut tried: Vec<String> = Vec::new();
    let mut test = |subset: &[usize]| -> Result<bool, Failure> {
        if let Some(h) = cache.get(subset) {
            return Ok(*h);
        }
        let (n, missed) = probe.holding(&load(subset)?)?;
        let holds = n >= probe.need;
        cache.insert(subset.to_vec(), holds);
        tried.push(format!(
            "# tried faults {}: held at {n}/{} seeds (did not hold at: {}): {}",
            fault_list(subset),
            probe.seeds.len(),
            seed_list(&missed),
            if holds { "holds" } else { "does not hold" }
        ));
        probe_rows.push(reports::html::bisect_page::ProbeRow {
            tried: fault_list(subset),
            held: format!("{n}/{}", probe.seeds.len()),
            holds,
        });
        Ok(holds)
    };
    let all: Vec<usize> = (0..all_faults.len()).collect();
    let header = format!(
        "# fletsim bisect --faults {} --until \"{until}\" ({})",
        file.display(),
        probe.seed_text()
    );
    let seed = probe.seeds.first().copied().unwrap_or(base.scenario.seed);
    report.heading = header.trim_start_matches("# ").to_string();
    report.tried = "faults kept".into();
    if !test(&all)? {
        report.answer = format!(
            "`{until}` does not hold with all {} faults: nothing to minimise",
            all.len()
        );
        say.detail(&header);
        say.answer(&format!("# {}", report.answer));
        report.probes = probe_rows;
        report.decisive.push(Decisive {
            what: format!("all faults, seed {seed}"),
            loaded: reproducible(&all)?,
            seed,
            page: format!("all-faults@seed{seed}.html"),
            window: None,
        });
        return Ok(exit::EXPECTATIONS_FAILED);
    }
    let kept = if test(&[])? {
        Vec::new()
    } else {
        ddmin(&all, &mut test)?
    };
    report.probes = probe_rows;
    report.answer = format!(
        "kept {} of {} faults: {}",
        kept.len(),
        all.len(),
        fault_list(&kept)
    );
    report.decisive.push(Decisive {
        what: format!("the minimal fault set ({}), seed {seed}", fault_list(&kept)),
        loaded: reproducible(&kept)?,
        seed,
        page: format!("minimal-faults@seed{seed}.html"),
        window: None,
    });
    report.decisive.push(Decisive {
        what: format!("all {} faults, seed {seed}", all.len()),
        loaded: reproducible(&all)?,
        seed,
        page: format!("all-faults@seed{seed}.html"),
        window: None,
    });
    report.details = Some(overrides::to_yaml(&with(&kept)));
    let listed = fault_list(&kept);
    // `-q` prints the scenario alone, ready to save; the comment lines say how it was found.
    say.detail(&header);
    say.detail(&format!(
        "# kept {} of {} faults{}{}; {} runs of the scenario tested subsets",
        kept.len(),
        all.len(),
        if kept.is_empty() { "" } else { ": faults" },
        if kept.is_empty() {
            String::new()
        } else {
            format!(" {listed} of the original")
        },
        cache.len()
    ));
    for line in &tried {
        say.verbose(line);
    }
    if kept.is_empty() {
        say.detail(&format!("# `{until}` holds without any fault"));
    } else {
        say.detail(&format!(
            "# 1-minimal: removing any one of them makes `{until}` stop holding"
        ));
    }
    let _ = write!(say.out, "{}", overrides::to_yaml(&with(&kept)));
    Ok(exit::OK)
}

/// `[1] [3]` (indices into `faults:`, counted from 1 like every index a user reads), or `none`.
fn fault_list(subset: &[usize]) -> String {
    if subset.is_empty() {
        return "none".into();
    }
    subset
        .iter()
        .map(|i| format!("[{}]", i + 1))
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- --when -------------------------------------------------------------------------

/// The trace events seen so far (the last `cap`), and after a point, the next ones.
struct Ring {
    cap: usize,
    events: VecDeque<(SimTime, String)>,
    after: Vec<(SimTime, String)>,
    collecting_after: bool,
}

impl Observer<TraceEvent> for Ring {
    fn observe(&mut self, at: SimTime, event: &TraceEvent) {
        if self.collecting_after {
            self.after.push((at, event.to_string()));
        } else {
            self.events.push_back((at, event.to_string()));
            if self.events.len() > self.cap {
                self.events.pop_front();
            }
        }
    }
}

/// The first instant at which `expr` holds, and the instant before it (`None`: it held from the start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    pub at: SimTime,
    pub before: Option<SimTime>,
}

/// Steps `sim` event instant by event instant until `expr` holds on the outcome.
pub fn first_moment(
    sim: &mut Simulation,
    expr: &Expectation,
    observer: &mut dyn Observer<TraceEvent>,
) -> Result<Option<Moment>, sim_core::RunError> {
    let holds = |sim: &Simulation| {
        let value = serde_json::to_value(sim.outcome()).unwrap_or(Value::Null);
        expr.judge(&value).passed
    };
    sim.run_until(SimTime::ZERO, observer)?;
    if holds(sim) {
        return Ok(Some(Moment {
            at: SimTime::ZERO,
            before: None,
        }));
    }
    let mut before = SimTime::ZERO;
    while let Some(t) = sim.next_event_time() {
        sim.run_until(t, observer)?;
        if holds(sim) {
            return Ok(Some(Moment {
                at: t,
                before: Some(before),
            }));
        }
        before = t;
    }
    Ok(None)
}

fn when(args: &BisectArgs, text: &str, say: &mut Printer, report: &mut Report) -> Result<u8, Failure> {
    // Written to the terminal at the end, and kept for the report: a heading line, the
    // answer line, then the details (with `-v`, a wider trace window).
    let mut buffer: Vec<u8> = Vec::new();
    let window = if say.verbosity == Verbosity::Verbose {
        TraceWindow {
            before: 30,
            after: 15,
        }
    } else {
        TraceWindow { before: 10, after: 5 }
    };
    let code = when_text(args, text, window, &mut buffer, report)?;
    let printed = String::from_utf8_lossy(&buffer).into_owned();
    let mut lines = printed.lines();
    report.heading = lines.next().unwrap_or_default().to_string();
    report.answer = lines.next().unwrap_or_default().to_string();
    report.details = Some(lines.collect::<Vec<_>>().join("\n"));
    say.detail(&report.heading);
    say.answer(&report.answer);
    if let Some(details) = &report.details
        && !details.is_empty()
    {
        say.detail(details);
    }
    Ok(code)
}

/// How many trace events `--when` shows before the moment (the moment's own included) and after.
#[derive(Clone, Copy)]
struct TraceWindow {
    before: usize,
    after: usize,
}

fn when_text(
    args: &BisectArgs,
    text: &str,
    shown: TraceWindow,
    out: &mut dyn Write,
    report: &mut Report,
) -> Result<u8, Failure> {
    let expr = expectation(text)?;
    let file = args.scenario.as_path();
    let loaded = overrides::load_with(file, &args.run.set).map_err(|e| bad(e.to_string()))?;
    check_expr(&expr, &loaded, "--when")?;
    if args.seeds.is_some() {
        return Err(bad("--when runs one seed: use --seed N"));
    }
    let mut scenario = loaded.scenario.clone();
    if let Some(s) = args.seed {
        scenario.seed = s;
    }
    let calendar = Calendar::new(scenario.start);
    let mut sim = Simulation::new(&scenario);
    let mut ring = Ring {
        cap: shown.before,
        events: VecDeque::new(),
        after: Vec::new(),
        collecting_after: false,
    };
    let run_err = |e: sim_core::RunError| bad(format!("{} (seed {}): {e}", file.display(), scenario.seed));
    let found = first_moment(&mut sim, &expr, &mut ring).map_err(run_err)?;
    let _ = writeln!(
        out,
        "bisect --when `{text}` on {} (seed {})",
        file.display(),
        scenario.seed
    );
    let Some(moment) = found else {
        let _ = writeln!(
            out,
            "never: `{text}` does not hold at any moment up to the end ({})",
            sim.end()
        );
        return Ok(exit::EXPECTATIONS_FAILED);
    };
    let value = serde_json::to_value(sim.outcome()).unwrap_or(Value::Null);
    let actual = expr.judge(&value).actual;
    let window = SimDuration::from_mins(30);
    report.decisive.push(Decisive {
        what: format!("the run, zoomed to the moment (seed {})", scenario.seed),
        loaded: loaded.clone(),
        seed: scenario.seed,
        page: reports::html::run_page_name(&scenario.name, scenario.seed),
        window: Some((
            SimTime::from_nanos(moment.at.as_nanos().saturating_sub(window.as_nanos())),
            (moment.at + window).min(sim.end()),
        )),
    });
    let _ = writeln!(
        out,
        "first holds at {}  ({})  actual: {actual}",
        moment.at,
        calendar.at(moment.at)
    );
    match moment.before {
        Some(b) => {
            let _ = writeln!(out, "did not hold at {} (the previous event instant)", b);
        }
        None => {
            let _ = writeln!(out, "holds from the start");
        }
    }
    // The next few events after the moment.
    ring.collecting_after = true;
    while ring.after.len() < shown.after {
        let Some(t) = sim.next_event_time() else { break };
        sim.run_until(t, &mut ring).map_err(run_err)?;
    }
    if !ring.events.iter().any(|(at, _)| *at == moment.at) {
        let _ = writeln!(
            out,
            "(no trace event at that instant: the change is in the outcome's counters)"
        );
    }
    let _ = writeln!(out, "trace around it:");
    for (at, e) in &ring.events {
        let mark = if *at == moment.at { ">" } else { " " };
        let _ = writeln!(out, "{mark} {} {:>14}  {e}", calendar.at(*at), at.to_string());
    }
    for (at, e) in ring.after.iter().take(shown.after) {
        let _ = writeln!(out, "  {} {:>14}  {e}", calendar.at(*at), at.to_string());
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_the_pair() {
        let all: Vec<usize> = (0..5).collect();
        let mut runs = 0;
        let got = ddmin::<()>(&all, &mut |s| {
            runs += 1;
            Ok(s.contains(&1) && s.contains(&3))
        })
        .expect("ok");
        assert_eq!(got, vec![1, 3]);
        assert!(runs < 30, "{runs}");
        for n in 1..9 {
            let all: Vec<usize> = (0..n).collect();
            let got = ddmin::<()>(&all, &mut |s| Ok(s.contains(&(n - 1)))).expect("ok");
            assert_eq!(got, vec![n - 1]);
        }
    }

    #[test]
    fn ranges_and_rates_parse() {
        assert_eq!(parse_range("1..40").expect("ok"), (Kind::Integer, 1, 40));
        let (k, lo, hi) = parse_range("30s..10m").expect("ok");
        assert_eq!((k, lo, hi), (Kind::Duration, 30_000_000_000, 600_000_000_000));
        assert!(parse_range("5..5").is_err());
        assert!(parse_range("5").is_err());
        assert_eq!(parse_rate("80%").expect("ok"), 0.8);
        assert!(parse_rate("0").is_err());
    }
}
