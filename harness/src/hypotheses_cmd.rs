//! `fletsim hypotheses --evidence LOG H1.yaml H2.yaml … [--seeds N]`: which
//! reboot hypothesis explains a real HGW log best.
//!
//! Each hypothesis is a scenario. It is run at seeds 1..N with the device log
//! kept; each simulated log goes through the same parser as the evidence
//! ([`log_analyze::parse_log`] and [`log_analyze::analyze`]), so both sides
//! are read alike (the 1000-entry window, unsynced clocks, user reboots left
//! out). The pooled simulated reboots are compared with the evidence on four
//! statistics, each with a p-value:
//!
//! - **rate**: the evidence's spontaneous reboots against a Poisson count
//!   with the pooled simulated rate (reboots per day of log span) times the
//!   evidence's span; two-sided (twice the smaller tail, at most 1);
//! - **intervals**: two-sample Kolmogorov–Smirnov between the evidence's
//!   intervals between reboots and the pooled simulated ones;
//! - **hours**: chi-square goodness of fit of the evidence's 24 hour-of-day
//!   counts to the pooled simulated hour distribution, smoothed by adding 0.5
//!   to every simulated bin (a bin the simulation never hit would otherwise
//!   make one evidence reboot there impossible, p = 0);
//! - **night share**: the share of reboots in the low-traffic hours 00–06
//!   against the simulated share (smoothed as (k + 0.5)/(n + 1)), by the
//!   normal approximation to the binomial (a 1-degree-of-freedom chi-square).
//!
//! A test the data are too thin for is left out of the score, and the
//! output says which and why: intervals when n·m/(n+m) < 4 (n, m the
//! evidence's and the simulations' intervals; the KS approximation's own
//! floor), hours and night share when the evidence has fewer than
//! [`MIN_TIMED_REBOOTS`] reboots with a known hour, rate when a log spans no
//! time. Evidence too thin for every test is an error (exit 2).
//!
//! The score is Fisher's combination of the four p-values (−2 Σ ln p against
//! chi-square with 8 degrees of freedom; with k tests left, 2(4−k) fewer). The tests are not independent (the
//! night share is a coarsening of the hours), so the score ranks hypotheses
//! rather than giving an exact p-value; a hypothesis is "consistent" when the
//! score is at least `--level` and "inconsistent" otherwise. Ties rank by
//! the order given.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use sim_core::stats;

use crate::artifacts::Collect;
use crate::log_analyze::{self, LogAnalysis};
use reports::text::Verbosity;

use crate::console::Environment;
use crate::options::{OutputOptions, Printer, RunOptions, exit};
use crate::overrides;
use crate::scenario_file::LoadedScenario;
use crate::suite;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  fletsim hypotheses --evidence scenarios/hypotheses/evidence-report-2021.log scenarios/hypotheses/*.yaml
  fletsim hypotheses --evidence my-hgw.log scenarios/hypotheses/*.yaml --seeds 1..40 --json -")]
#[command(mut_arg("quiet", |a| a.help("Print only the ranking table")))]
#[command(mut_arg("verbose", |a| a.help("Print more: also each hypothesis's simulated reboots, pooled over its seeds")))]
pub struct HypothesesArgs {
    /// The evidence: an HGW log as copied from its admin page.
    #[arg(long, value_name = "LOG")]
    pub evidence: PathBuf,
    /// The hypotheses: scenario files.
    #[arg(required = true, value_name = "HYPOTHESIS")]
    pub hypotheses: Vec<PathBuf>,
    /// Run each hypothesis at a sweep of seeds: N (1 to N) or A..B (A to B, inclusive).
    #[arg(long, value_name = "N|A..B", default_value = "8")]
    pub seeds: crate::suite::SeedRange,
    /// The significance level of the verdicts.
    #[arg(long, value_name = "ALPHA", default_value_t = 0.05)]
    pub level: f64,
    /// Write one JSON object instead of the table, to FILE (`-`: stdout; an existing FILE needs --force).
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<crate::outputs::Destination>,
    /// Write an HTML report into DIR: the ranking with each hypothesis's interval ECDFs and
    /// hour histograms (index.html) and a page per simulated run.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Overwrite the report files of an existing, non-empty folder, and an existing --json file.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub run: RunOptions,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// What one log says about spontaneous reboots, reduced to what the tests use.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Spontaneous reboots (unsynced clocks included).
    pub reboots: usize,
    /// Days the log's synced entries span.
    pub days: f64,
    /// Hours between consecutive spontaneous reboots (synced pairs).
    pub intervals_hours: Vec<f64>,
    /// Spontaneous reboots with a synced clock by hour of day.
    pub hours: [u64; 24],
}

impl Summary {
    pub fn of(a: &LogAnalysis) -> Summary {
        let s = &a.statistics;
        Summary {
            reboots: s.spontaneous,
            days: s.span.as_ref().map_or(0.0, |sp| sp.days),
            intervals_hours: s.intervals_secs.iter().map(|x| *x as f64 / 3600.0).collect(),
            hours: s.hour_of_day.map(|h| h as u64),
        }
    }

    pub fn of_text(text: &str) -> Result<Summary, String> {
        let log = log_analyze::parse_log(text).map_err(|e| e.to_string())?;
        Ok(Summary::of(&log_analyze::analyze(&log)))
    }

    pub fn night(&self) -> u64 {
        self.hours[..6].iter().sum()
    }

    pub fn timed(&self) -> u64 {
        self.hours.iter().sum()
    }

    /// Several runs' logs as one sample.
    pub fn pool(all: &[Summary]) -> Summary {
        let mut p = Summary::default();
        for s in all {
            p.reboots += s.reboots;
            p.days += s.days;
            p.intervals_hours.extend_from_slice(&s.intervals_hours);
            for (h, n) in s.hours.iter().enumerate() {
                p.hours[h] += n;
            }
        }
        p
    }
}

/// Two-sided Poisson p-value of observing `k` when `mean` is expected.
pub fn poisson_two_sided(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    // P(X <= k) = Q(k + 1, mean); P(X >= k) = 1 - P(X <= k - 1) = 1 - Q(k, mean).
    let lower = stats::regularized_gamma_q(k as f64 + 1.0, mean);
    let upper = if k == 0 {
        1.0
    } else {
        1.0 - stats::regularized_gamma_q(k as f64, mean)
    };
    (2.0 * lower.min(upper)).min(1.0)
}

/// Two-sided p-value of `k` successes in `n` against share `p` (normal approximation).
pub fn share_p_value(k: u64, n: u64, p: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let expected = n as f64 * p;
    let var = n as f64 * p * (1.0 - p);
    if var <= 0.0 {
        return if (k as f64 - expected).abs() < 1e-9 {
            1.0
        } else {
            0.0
        };
    }
    stats::chi_square_sf((k as f64 - expected).powi(2) / var, 1)
}

/// Fisher's combination of p-values: P(χ²₂ₘ ≥ −2 Σ ln pᵢ).
pub fn fisher(p_values: &[f64]) -> f64 {
    if p_values.is_empty() {
        return 1.0;
    }
    let x: f64 = p_values.iter().map(|p| -2.0 * libm::log(p.max(1e-300))).sum();
    stats::chi_square_sf(x, 2 * p_values.len() as u32)
}

/// One statistic: its value (a rate, a distance, a chi-square, a share) and p-value,
/// or why it was left out of the score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stat {
    /// `null` when left out.
    pub value: Option<f64>,
    /// `null` when left out.
    pub p_value: Option<f64>,
    /// Why the test was left out of the score: too little evidence (or simulation) for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_out: Option<String>,
}

impl Stat {
    fn of(value: f64, p_value: f64) -> Stat {
        Stat {
            value: Some(value),
            p_value: Some(p_value),
            left_out: None,
        }
    }

    fn left_out(why: String) -> Stat {
        Stat {
            value: None,
            p_value: None,
            left_out: Some(why),
        }
    }
}

/// A hypothesis compared with the evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub hypothesis: String,
    pub file: String,
    pub runs: usize,
    /// Simulated spontaneous reboots per day of log span (pooled).
    pub rate: Stat,
    /// KS distance D between the interval distributions.
    pub intervals: Stat,
    /// Chi-square statistic of the evidence's hours.
    pub hours: Stat,
    /// The simulated share of reboots in 00–06.
    pub night_share: Stat,
    /// Fisher's combination of the p-values of the tests not left out; `null` when every test was.
    pub score: Option<f64>,
    pub consistent: bool,
}

impl Comparison {
    /// The four statistics with their names, in table order.
    pub fn stats(&self) -> [(&'static str, &Stat); 4] {
        [
            ("rate", &self.rate),
            ("intervals", &self.intervals),
            ("hours", &self.hours),
            ("night share", &self.night_share),
        ]
    }
}

/// Fewest reboots with a known hour (synced clock) in the evidence for the hour-of-day and
/// night-share tests: below it a chi-square over 24 bins, or a normal approximation, says nothing.
pub const MIN_TIMED_REBOOTS: u64 = 10;

/// Why the evidence alone is too thin for each test (the same for every hypothesis).
pub fn evidence_gaps(evidence: &Summary) -> Vec<(&'static str, String)> {
    let mut gaps = Vec::new();
    if evidence.days <= 0.0 {
        gaps.push((
            "rate",
            "the evidence's entries with a synced clock span no time, so it has no rate".to_string(),
        ));
    }
    let n = evidence.intervals_hours.len();
    // n·m/(n+m) < n: with n of 4 or fewer no simulation reaches the KS test's effective size.
    if (n as f64) <= stats::KS_MIN_EFFECTIVE_SIZE {
        gaps.push((
            "intervals",
            format!(
                "{n} interval{} between reboots in the evidence; the KS test needs more than {min} \
                 (an effective sample size n·m/(n+m) of at least {min})",
                if n == 1 { "" } else { "s" },
                min = stats::KS_MIN_EFFECTIVE_SIZE
            ),
        ));
    }
    let timed = evidence.timed();
    if timed < MIN_TIMED_REBOOTS {
        for test in ["hours", "night share"] {
            gaps.push((
                test,
                format!(
                    "{timed} reboot{} with a known hour in the evidence; the test needs at least {MIN_TIMED_REBOOTS}",
                    if timed == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    gaps
}

/// Compares the pooled simulation with the evidence; a test the evidence or the simulation is
/// too thin for is left out of the score, with the reason.
pub fn compare(
    name: &str,
    file: &str,
    runs: usize,
    evidence: &Summary,
    sim: &Summary,
    level: f64,
) -> Comparison {
    let gaps = evidence_gaps(evidence);
    let gap = |test: &str| gaps.iter().find(|(t, _)| *t == test).map(|(_, why)| why.clone());
    let rate = match gap("rate") {
        Some(why) => Stat::left_out(why),
        None if sim.days <= 0.0 => {
            Stat::left_out("the simulated logs span no time, so they have no rate".into())
        }
        None => {
            let rate = sim.reboots as f64 / sim.days;
            Stat::of(
                rate,
                poisson_two_sided(evidence.reboots as u64, rate * evidence.days),
            )
        }
    };
    let (n, m) = (evidence.intervals_hours.len(), sim.intervals_hours.len());
    let effective = stats::ks_effective_size(n, m);
    let intervals = match gap("intervals") {
        Some(why) => Stat::left_out(why),
        None if effective < stats::KS_MIN_EFFECTIVE_SIZE => Stat::left_out(format!(
            "{m} simulated intervals against the evidence's {n}: an effective sample size of {effective:.1}, below the KS test's {}",
            stats::KS_MIN_EFFECTIVE_SIZE
        )),
        None => match stats::ks_two_sample(&evidence.intervals_hours, &sim.intervals_hours) {
            Ok(ks) => Stat::of(ks.statistic, ks.p_value),
            Err(e) => Stat::left_out(format!("the KS test cannot be computed: {e}")),
        },
    };
    let weights: Vec<f64> = sim.hours.iter().map(|n| *n as f64 + 0.5).collect();
    let hours = match gap("hours") {
        Some(why) => Stat::left_out(why),
        None => match stats::chi_square_goodness_of_fit(&evidence.hours, &weights) {
            Ok(c) => Stat::of(c.statistic, c.p_value),
            Err(e) => Stat::left_out(format!("the chi-square test cannot be computed: {e}")),
        },
    };
    let night_share = match gap("night share") {
        Some(why) => Stat::left_out(why),
        None => {
            let sim_share = (sim.night() as f64 + 0.5) / (sim.timed() as f64 + 1.0);
            Stat::of(
                sim_share,
                share_p_value(evidence.night(), evidence.timed(), sim_share),
            )
        }
    };
    let p_values: Vec<f64> = [&rate, &intervals, &hours, &night_share]
        .iter()
        .filter_map(|s| s.p_value)
        .collect();
    let score = (!p_values.is_empty()).then(|| fisher(&p_values));
    Comparison {
        hypothesis: name.to_string(),
        file: file.to_string(),
        runs,
        rate,
        intervals,
        hours,
        night_share,
        score,
        consistent: score.is_some_and(|s| s >= level),
    }
}

/// Sorts by score, best first; a hypothesis no test could judge last (stable: ties keep the given order).
pub fn rank(mut all: Vec<Comparison>) -> Vec<Comparison> {
    let key = |c: &Comparison| c.score.unwrap_or(f64::NEG_INFINITY);
    all.sort_by(|a, b| key(b).total_cmp(&key(a)));
    all
}

/// One simulated run of a hypothesis: its log summarised, and for a report its record and timeline.
#[derive(Clone, Debug)]
pub struct Simulated {
    pub summary: Summary,
    pub run: Option<(reports::RunRecord, reports::timeline::Timeline)>,
}

/// Runs a scenario at `seed` and summarises its device log; with `timeline`, keeps the
/// run's record and timeline for its report page.
pub fn simulate_one(loaded: &LoadedScenario, seed: u64, timeline: bool) -> Result<Simulated, String> {
    let collect = Collect {
        device_log: true,
        timeline,
        ..Collect::default()
    };
    let (record, artifacts) =
        suite::run_collecting(loaded, Some(seed), &mut sim_core::sim::NoObserver, collect)
            .map_err(|e| format!("{} (seed {seed}): {e}", loaded.file.display()))?;
    let text = artifacts.device_log.map(|(_, t)| t).unwrap_or_default();
    let summary = Summary::of_text(&text)
        .map_err(|e| format!("{} (seed {seed}): its device log: {e}", loaded.file.display()))?;
    Ok(Simulated {
        summary,
        run: artifacts.timeline.map(|t| (record, t)),
    })
}

/// Runs every (scenario, seed) pair on `jobs` threads (never more threads than pairs);
/// results in the pairs' order.
pub fn simulate_all(pairs: &[(&LoadedScenario, u64)], jobs: usize) -> Result<Vec<Summary>, String> {
    Ok(simulate_all_with(pairs, jobs, false)?
        .into_iter()
        .map(|s| s.summary)
        .collect())
}

/// As [`simulate_all`], keeping each run's record and timeline when `timelines`.
pub fn simulate_all_with(
    pairs: &[(&LoadedScenario, u64)],
    jobs: usize,
    timelines: bool,
) -> Result<Vec<Simulated>, String> {
    suite::parallel_map(pairs, jobs, |(l, s)| simulate_one(l, *s, timelines))
        .into_iter()
        .collect()
}

/// The report: the hypotheses page (`index.html`) and a page per simulated run.
fn report_pages(
    args: &HypothesesArgs,
    evidence: &Summary,
    loaded: &[LoadedScenario],
    seeds: &[u64],
    sims: &[Simulated],
    ranked: &[Comparison],
) -> Vec<reports::html::Page> {
    use reports::html::{self, Page, hypotheses_page as hp};
    let sample = |s: &Summary| hp::LogSample {
        reboots: s.reboots,
        days: s.days,
        intervals_hours: s.intervals_hours.clone(),
        hours: s.hours,
    };
    let stat = |s: &Stat| hp::Stat {
        value: s.value,
        p_value: s.p_value,
    };
    let runs: Vec<&(reports::RunRecord, reports::timeline::Timeline)> =
        sims.iter().filter_map(|s| s.run.as_ref()).collect();
    let names = html::run_page_names(runs.iter().map(|(r, _)| (r.scenario.as_str(), r.seed)));
    let mut pages = Vec::new();
    let mut views = Vec::new();
    for c in ranked {
        // Hypotheses are unique by file; their runs are consecutive in `sims`.
        let Some(i) = loaded
            .iter()
            .position(|l| crate::shard::normalize_path(&l.file) == c.file)
        else {
            continue;
        };
        let range = i * seeds.len()..(i + 1) * seeds.len();
        let pooled = Summary::pool(
            &sims[range.clone()]
                .iter()
                .map(|s| s.summary.clone())
                .collect::<Vec<_>>(),
        );
        views.push(hp::HypothesisView {
            name: c.hypothesis.clone(),
            file: c.file.clone(),
            description: loaded.get(i).map(|l| l.description.clone()),
            seeds: seeds.to_vec(),
            rate: stat(&c.rate),
            intervals: stat(&c.intervals),
            hours: stat(&c.hours),
            night_share: stat(&c.night_share),
            score: c.score,
            consistent: c.consistent,
            simulated: sample(&pooled),
            run_pages: range
                .filter_map(|k| Some((seeds.get(k % seeds.len()).copied()?, names.get(k)?.clone())))
                .collect(),
        });
    }
    pages.push(Page {
        name: "index.html".into(),
        html: hp::render(
            &crate::shard::normalize_path(&args.evidence),
            &sample(evidence),
            &views,
            args.level,
        ),
    });
    for (k, (record, timeline)) in runs.iter().enumerate() {
        let description = loaded.get(k / seeds.len()).map(|l| l.description.as_str());
        if let Some(name) = names.get(k) {
            pages.push(Page {
                name: name.clone(),
                html: html::run_page::render(&html::run_page::RunView {
                    record,
                    description,
                    timeline,
                    index: Some(("index.html", "the hypotheses")),
                }),
            });
        }
    }
    pages
}

fn fmt_p(p: f64) -> String {
    if p < 0.0001 {
        "<0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

pub fn run(args: &HypothesesArgs, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let fail = |err: &mut dyn Write, code: u8, m: String| {
        let _ = writeln!(err, "error: {m}");
        code
    };
    if !(args.level > 0.0 && args.level < 1.0) {
        return fail(err, exit::BAD_INPUT, "--level must be between 0 and 1".into());
    }
    let evidence = match log_analyze::read_log(&args.evidence) {
        Ok(log) => Summary::of(&log_analyze::analyze(&log)),
        Err(e) => {
            return fail(
                err,
                u8::try_from(e.exit_code()).unwrap_or(exit::INTERNAL),
                e.to_string(),
            );
        }
    };
    let gaps = evidence_gaps(&evidence);
    if gaps.len() == 4 {
        let reasons: Vec<String> = gaps.iter().map(|(t, why)| format!("{t}: {why}")).collect();
        return fail(
            err,
            exit::BAD_INPUT,
            format!(
                "{}: the evidence is too thin for any of the four tests ({}); nothing can be ranked",
                crate::terminal::path(&args.evidence),
                reasons.join("; ")
            ),
        );
    }
    let mut loaded = Vec::new();
    for h in &args.hypotheses {
        match overrides::load_with(h, &args.run.set) {
            Ok(l) => loaded.push(l),
            Err(e) => return fail(err, exit::BAD_INPUT, e.to_string()),
        }
    }
    if let Some(dir) = &args.report
        && let Err(e) = crate::html_report::check_dir(dir, args.force)
    {
        return fail(err, exit::BAD_INPUT, e);
    }
    let seeds: Vec<u64> = args.seeds.seeds().collect();
    let pairs: Vec<(&LoadedScenario, u64)> = loaded
        .iter()
        .flat_map(|l| seeds.iter().map(move |s| (l, *s)))
        .collect();
    let sims = match simulate_all_with(&pairs, args.run.parallel(), args.report.is_some()) {
        Ok(s) => s,
        Err(e) => return fail(err, exit::BAD_INPUT, e),
    };
    let summaries: Vec<Summary> = sims.iter().map(|s| s.summary.clone()).collect();
    let comparisons: Vec<Comparison> = loaded
        .iter()
        .zip(summaries.chunks(seeds.len()))
        .map(|(l, runs)| {
            let file = crate::shard::normalize_path(&l.file);
            compare(
                &l.scenario.name,
                &file,
                runs.len(),
                &evidence,
                &Summary::pool(runs),
                args.level,
            )
        })
        .collect();
    let ranked = rank(comparisons);
    if let Some(dir) = &args.report {
        let pages = report_pages(args, &evidence, &loaded, &seeds, &sims, &ranked);
        if let Err(e) = crate::html_report::write_report(dir, &pages, args.force) {
            return fail(err, exit::INTERNAL, e);
        }
    }
    if let Some(dest) = &args.json {
        let doc = serde_json::json!({
            "evidence": {
                "file": crate::shard::normalize_path(&args.evidence),
                "reboots": evidence.reboots,
                "days": evidence.days,
                "intervals": evidence.intervals_hours.len(),
                "night": evidence.night(),
                "timed": evidence.timed(),
            },
            "seeds": args.seeds.len(),
            "first_seed": args.seeds.first,
            "level": args.level,
            "ranking": ranked,
        });
        let text = format!("{doc}\n");
        return match crate::outputs::write_to(dest, out, args.force, |w| w.write_all(text.as_bytes())) {
            Ok(()) => exit::OK,
            Err(e) => fail(err, exit::BAD_INPUT, format!("--json: {e}")),
        };
    }
    write_text(
        args,
        env,
        &evidence,
        &gaps,
        &loaded,
        &summaries,
        seeds.len(),
        &ranked,
        out,
    );
    exit::OK
}

/// One line for a set of reboots: `12 spontaneous reboots over 34.5 days (0.348/day), …`.
fn describe(s: &Summary) -> String {
    format!(
        "{} spontaneous reboots over {:.1} days ({:.3}/day), {} intervals, {} of {} timed reboots at 00-06",
        s.reboots,
        s.days,
        if s.days > 0.0 {
            s.reboots as f64 / s.days
        } else {
            0.0
        },
        s.intervals_hours.len(),
        s.night(),
        s.timed()
    )
}

/// The ranking as a table. `-q`: the table alone; default: with the evidence and what was left
/// out; `-v`: also what each hypothesis's runs came to, pooled over the seeds.
#[allow(clippy::too_many_arguments, reason = "one call site: the parts of one report")]
fn write_text(
    args: &HypothesesArgs,
    env: &Environment,
    evidence: &Summary,
    gaps: &[(&'static str, String)],
    loaded: &[LoadedScenario],
    summaries: &[Summary],
    seed_count: usize,
    ranked: &[Comparison],
    out: &mut dyn Write,
) {
    let mut say = Printer::new(out, &args.output, env);
    let palette = say.palette;
    say.detail(&format!(
        "evidence {}: {}",
        crate::shard::normalize_path(&args.evidence),
        describe(evidence)
    ));
    say.detail(&format!(
        "each hypothesis at seeds {}; statistic (p-value); score = Fisher's combination; level {}",
        args.seeds, args.level
    ));
    say.answer(&format!(
        "{:<4} {:<26} {:>18} {:>18} {:>18} {:>18} {:>8}  verdict",
        "rank", "hypothesis", "rate/day", "intervals KS D", "hours chi2", "night share", "score"
    ));
    for (i, c) in ranked.iter().enumerate() {
        let cell = |s: &Stat, digits: usize| match (s.value, s.p_value) {
            (Some(v), Some(p)) => format!("{v:.digits$} ({})", fmt_p(p)),
            _ => "left out".to_string(),
        };
        let weak: Vec<&str> = c
            .stats()
            .iter()
            .filter(|(_, s)| s.p_value.is_some_and(|p| p < args.level))
            .map(|(n, _)| *n)
            .collect();
        let verdict = match c.score {
            None => palette.unsure("no test possible"),
            Some(_) if c.consistent => palette.good("consistent"),
            Some(_) => palette.bad(&format!("inconsistent ({})", weak.join(", "))),
        };
        say.answer(&format!(
            "{:<4} {:<26} {:>18} {:>18} {:>18} {:>18} {:>8}  {verdict}",
            i + 1,
            c.hypothesis,
            cell(&c.rate, 3),
            cell(&c.intervals, 3),
            cell(&c.hours, 1),
            cell(&c.night_share, 3),
            c.score.map_or_else(|| "-".to_string(), fmt_p),
        ));
    }
    if say.verbosity == Verbosity::Verbose {
        // In the order given on the command line: each hypothesis's runs, pooled.
        for (l, runs) in loaded.iter().zip(summaries.chunks(seed_count.max(1))) {
            say.verbose(&format!(
                "simulated {} ({} seed{}): {}",
                l.scenario.name,
                runs.len(),
                if runs.len() == 1 { "" } else { "s" },
                describe(&Summary::pool(runs))
            ));
        }
    }
    // What was left out of the scores, and why: the evidence's gaps once, the rest per hypothesis.
    for (test, why) in gaps {
        say.detail(&format!("left out of every score: {test}: {why}"));
    }
    for c in ranked {
        for (test, s) in c.stats() {
            if let Some(why) = &s.left_out
                && !gaps.iter().any(|(t, _)| t == &test)
            {
                say.detail(&format!("left out for {}: {test}: {why}", c.hypothesis));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn poisson_matches_direct_sums() {
        // Independent: sum the probability mass function directly.
        let pmf = |k: u64, m: f64| {
            let mut p = libm::exp(-m);
            for i in 1..=k {
                p *= m / i as f64;
            }
            p
        };
        for (k, m) in [(37u64, 40.0), (10, 20.0), (30, 20.0), (0, 2.0), (5, 5.0)] {
            let lower: f64 = (0..=k).map(|i| pmf(i, m)).sum();
            let upper: f64 = 1.0 - (0..k).map(|i| pmf(i, m)).sum::<f64>();
            let want = (2.0 * lower.min(upper)).min(1.0);
            let got = poisson_two_sided(k, m);
            assert!(close(got, want, 1e-9), "k {k} m {m}: {got} vs {want}");
        }
    }

    #[test]
    fn fisher_and_share_match_known_values() {
        // Two p = 0.05: X = 11.983, chi-square 4 df: p = e^(-X/2)(1 + X/2) = 0.0175.
        let x = -4.0 * libm::log(0.05);
        let want = libm::exp(-x / 2.0) * (1.0 + x / 2.0);
        assert!(close(fisher(&[0.05, 0.05]), want, 1e-9));
        assert!(close(fisher(&[1.0, 1.0, 1.0, 1.0]), 1.0, 1e-12));
        // 30 of 100 against 0.5: z = -4, two-sided p = 6.334e-5.
        assert!(close(share_p_value(30, 100, 0.5), 6.334_248_366_623_996e-5, 1e-9));
        assert!(close(share_p_value(50, 100, 0.5), 1.0, 1e-12));
    }

    #[test]
    fn pooling_adds_up() {
        let a = Summary {
            reboots: 2,
            days: 10.0,
            intervals_hours: vec![1.0],
            hours: [1; 24],
        };
        let p = Summary::pool(&[a.clone(), a]);
        assert_eq!(
            (p.reboots, p.intervals_hours.len(), p.night(), p.timed()),
            (4, 2, 12, 48)
        );
        assert!(close(p.days, 20.0, 1e-12));
    }
}
