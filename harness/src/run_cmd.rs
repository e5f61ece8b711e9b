//! `fletsim run` (scenarios × seeds, in parallel, one shard of them) and
//! `fletsim merge` (the shards' JSON joined into one report).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use reports::sweep::{ShareVerdict, judge_shares};
use reports::timeline::Timeline;
use reports::{LoadFailure, RunRecord};

use crate::artifacts::{self, Collect};
use crate::console::Environment;
use crate::files::{self, InputKind, Outputs, Selection};
use crate::html_report;
use crate::options::{OutputOptions, RunOptions, ScenarioSelection, exit};
use crate::outputs::ReportFiles;
use crate::scenario_file::{LoadedScenario, ScenarioError};
use crate::shard::{self, Shard, ShardArg};
use crate::suite::{self, JobError, Plan, RunOutput};
use crate::terminal;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  fletsim run scenarios/                                 # each scenario at its own seed
  fletsim run scenarios/ --seeds 20 -j 4                 # seeds 1..20, 4 runs at once
  fletsim run scenarios/user-reboot.yaml --seed 7 -v     # one run, every expectation and the trace
  fletsim run scenarios/ --seeds 200 --shard auto --json shard.json   # one CI shard
  fletsim run scenarios/ --junit junit.xml --markdown \"$GITHUB_STEP_SUMMARY\" --force")]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: ScenarioSelection,
    #[command(flatten)]
    pub run: RunOptions,
    #[command(flatten)]
    pub reports: ReportFiles,
    #[command(flatten)]
    pub artifacts: crate::artifacts::ArtifactOptions,
    #[command(flatten)]
    pub output: OutputOptions,
    /// Report what each run cost: engine events, ns per event, peak and mean pending events,
    /// sessions, wall and CPU time (a `stats` line per run; `"stats"` in --json records)
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  fletsim merge shards/ --junit junit.xml --markdown summary.md
  fletsim merge shard-1.json shard-2.json --json all.json")]
pub struct MergeArgs {
    /// JSON Lines files written by `fletsim run --json` (or folders of *.json / *.jsonl files).
    #[arg(required = true, value_name = "RESULTS")]
    pub results: Vec<PathBuf>,
    #[command(flatten)]
    pub reports: ReportFiles,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// Scenario files as folders are searched for them.
pub const SCENARIO_FILES: Selection = Selection {
    extensions: &["yaml", "yml"],
    what: "scenario files (*.yaml, *.yml)",
};

/// The loaded scenarios of a selection, and the canonical paths of their files (never written).
#[derive(Debug)]
pub struct Loaded {
    pub scenarios: Vec<Arc<LoadedScenario>>,
    pub inputs: Vec<PathBuf>,
}

/// Finds and loads the selected scenario files: those that loaded, and the errors (printed)
/// of those that did not. A path that finds nothing is an error for the whole command.
pub fn load_selection_each(
    paths: &[PathBuf],
    overrides: &[crate::overrides::Override],
    err: &mut dyn Write,
) -> Result<(Loaded, Vec<ScenarioError>), u8> {
    let found = files::find(paths, &SCENARIO_FILES).map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        exit::BAD_INPUT
    })?;
    let names: Vec<PathBuf> = found.iter().map(|f| f.path.clone()).collect();
    let (loaded, errors) = suite::load_each(&names, overrides);
    for e in &errors {
        let _ = writeln!(err, "error: {e}");
    }
    let loaded = Loaded {
        scenarios: loaded.into_iter().map(Arc::new).collect(),
        inputs: found.into_iter().map(|f| f.canonical).collect(),
    };
    Ok((loaded, errors))
}

/// The shard to run, if any (`auto` read from the environment), and where it came from.
pub fn resolve_shard(
    selection: &ScenarioSelection,
    env: &Environment,
) -> Result<Option<(Shard, String)>, String> {
    match selection.shard {
        None => Ok(None),
        Some(ShardArg::Fixed(s)) => {
            let s = match selection.shard_total {
                Some(total) if total != s.total => {
                    return Err(format!("--shard {s} and --shard-total {total} disagree"));
                }
                _ => s,
            };
            Ok(Some((s, "--shard".to_string())))
        }
        Some(ShardArg::Auto) => {
            shard::from_env(&env.vars, selection.shard_total).map(|(s, source)| Some((s, source.to_string())))
        }
    }
}

/// What a selection plans: the runs, the shard, and the input files (never written).
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    pub shard: Option<Shard>,
    pub inputs: Vec<PathBuf>,
    /// Files that failed to load (with [`LoadErrors::Report`]; else the plan is never made).
    pub load_errors: Vec<ScenarioError>,
}

/// What a scenario that fails to load does to a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadErrors {
    /// Nothing runs: exit 2.
    Stop,
    /// The others run; the reports show it, and the command exits 2 at the end (`run`).
    Report,
}

/// Plans the selection's runs: scenarios × seeds, the shard's part. Errors are printed.
pub fn plan_selection(
    selection: &ScenarioSelection,
    run: &RunOptions,
    env: &Environment,
    output: &OutputOptions,
    load_errors: LoadErrors,
    err: &mut dyn Write,
) -> Result<Planned, u8> {
    let shard = resolve_shard(selection, env).map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        exit::BAD_INPUT
    })?;
    let (loaded, errors) = load_selection_each(&selection.paths(), &run.set, err)?;
    if !errors.is_empty() && load_errors == LoadErrors::Stop {
        return Err(exit::BAD_INPUT);
    }
    let plan = suite::plan(
        &loaded.scenarios,
        selection.seeds(),
        shard.as_ref().map(|(s, _)| *s),
    );
    if let Some((s, source)) = &shard
        && !output.quiet
    {
        let all = plan.unsharded().len();
        let _ = writeln!(err, "shard {s} (from {source}): {} of {all} runs", plan.len());
    }
    Ok(Planned {
        plan,
        shard: shard.map(|(s, _)| s),
        inputs: loaded.inputs,
        load_errors: errors,
    })
}

/// Runs the plan in parallel with a progress bar; errors are printed and give the exit code.
pub fn execute_jobs(
    plan: &Plan,
    run: &RunOptions,
    output: &OutputOptions,
    collect: Collect,
    env: &Environment,
    err: &mut dyn Write,
) -> Result<Vec<RunOutput>, u8> {
    // Warned here, not at loading: `list` and `check` plan without running.
    for (scenario, _) in plan.scenarios() {
        if let Some(warning) = crate::scenario_file::slow_warning(scenario) {
            let _ = writeln!(err, "warning: {warning}");
        }
    }
    let longest = plan
        .scenarios()
        .map(|(s, _)| s.scenario.duration)
        .max()
        .unwrap_or_default();
    let progress = Arc::new(env.run_progress(plan.len(), longest, output.quiet));
    suite::execute(plan.jobs(), run.parallel(), collect, progress).map_err(|errors| {
        for e in &errors {
            let _ = writeln!(err, "error: {e}");
        }
        if errors.iter().any(JobError::is_internal) {
            exit::INTERNAL
        } else {
            exit::BAD_INPUT
        }
    })
}

/// `fletsim run`.
pub fn run(args: &RunArgs, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let planned = match plan_selection(
        &args.selection,
        &args.run,
        env,
        &args.output,
        LoadErrors::Report,
        err,
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Every output is checked before the first run.
    let mut outputs = Outputs::new(planned.inputs.iter().cloned(), args.reports.force);
    let checked = args
        .reports
        .check(&mut outputs, env)
        .and_then(|()| artifacts::check(&args.artifacts, &planned.plan, &outputs));
    if let Err(e) = checked {
        let _ = writeln!(err, "error: {e}");
        return exit::BAD_INPUT;
    }
    if let Some(dir) = &args.artifacts.report
        && let Err(e) = html_report::check_dir(dir, args.reports.force)
    {
        let _ = writeln!(err, "error: {e}");
        return exit::BAD_INPUT;
    }
    let with_trace = args.output.verbose && !args.reports.uses_stdout();
    let collect = Collect {
        stats: args.stats,
        // Failed runs keep a trace excerpt in their records (JUnit's `<system-out>`), in the
        // JSON too, so that `merge` writes the same JUnit as one unsharded run.
        trace_excerpt: args.reports.json.is_some() || args.reports.junit.is_some(),
        ..args.artifacts.collect(with_trace)
    };
    let mut outputs = match execute_jobs(&planned.plan, &args.run, &args.output, collect, env, err) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let timelines: Vec<Option<Timeline>> = outputs.iter_mut().map(|o| o.artifacts.timeline.take()).collect();
    let runs: Vec<_> = outputs
        .iter()
        .map(|o| (o.record.scenario.as_str(), o.record.seed, &o.artifacts))
        .collect();
    if let Err(e) = artifacts::write_all(&args.artifacts, &runs, args.reports.force) {
        let _ = writeln!(err, "error: {e}");
        return exit::INTERNAL;
    }
    let (records, traces): (Vec<RunRecord>, Vec<Vec<u8>>) =
        outputs.into_iter().map(|o| (o.record, o.trace)).unzip();
    // Share expectations need every seed: with part of them, `fletsim merge` judges.
    let deferred = planned.shard.is_some_and(Shard::is_partial);
    let shares = if deferred {
        Vec::new()
    } else {
        judge_shares(&records)
    };
    if deferred
        && !args.output.quiet
        && records
            .iter()
            .any(|r| r.expectations.iter().any(|e| e.share.is_some()))
    {
        let _ = writeln!(
            err,
            "note: share expectations (`for P% of seeds`) are judged by `fletsim merge` over all shards"
        );
    }
    let load_failures: Vec<LoadFailure> = planned.load_errors.iter().map(suite::load_failure).collect();
    let code = finish(
        &Judged {
            records: &records,
            shares: &shares,
            load_failures: &load_failures,
        },
        Some(&traces),
        &args.reports,
        &args.output,
        env,
        out,
        err,
    );
    if let Some(dir) = &args.artifacts.report {
        // Descriptions by scenario file: one per scenario, however many seeds ran.
        let descriptions: std::collections::BTreeMap<&str, &str> = planned
            .plan
            .scenarios()
            .map(|(loaded, file)| (file, loaded.description.as_str()))
            .collect();
        let runs: Vec<html_report::ReportRun> = records
            .iter()
            .zip(&timelines)
            .filter_map(|(record, timeline)| {
                Some(html_report::ReportRun {
                    record,
                    description: descriptions.get(record.file.as_str()).copied(),
                    timeline: timeline.as_ref()?,
                })
            })
            .collect();
        let given: Vec<String> = args
            .selection
            .paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let pages = html_report::suite_pages(&format!("fletsim run {}", given.join(" ")), &runs, &shares);
        match html_report::write_report(dir, &pages, args.reports.force) {
            Ok(_) if args.output.quiet => {}
            Ok(_) => {
                let _ = writeln!(err, "report: {}", terminal::path(&dir.join("index.html")));
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return exit::INTERNAL;
            }
        }
    }
    code
}

/// What a suite showed: the runs, the share expectations, the files that did not load.
struct Judged<'a> {
    records: &'a [RunRecord],
    shares: &'a [ShareVerdict],
    load_failures: &'a [LoadFailure],
}

/// The human report, GitHub's annotations, the report files, and the exit code (2 when a
/// scenario failed to load, else 100 when an expectation failed).
fn finish(
    judged: &Judged,
    traces: Option<&[Vec<u8>]>,
    files: &ReportFiles,
    output: &OutputOptions,
    env: &Environment,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let Judged {
        records,
        shares,
        load_failures,
    } = *judged;
    // Data on stdout: when a report takes it, the human report goes to stderr.
    let to_stderr = files.uses_stdout();
    let palette = if to_stderr {
        reports::text::Palette::plain()
    } else {
        output.palette(env)
    };
    // When nothing loaded, nothing ran: the errors printed are the whole story.
    let nothing_ran = records.is_empty() && !load_failures.is_empty();
    let written = if nothing_ran {
        Ok(())
    } else {
        let human: &mut dyn Write = if to_stderr { &mut *err } else { &mut *out };
        write_human(human, records, traces, shares, output, palette)
    };
    if let Err(e) = written {
        let _ = writeln!(err, "error: cannot write the report: {e}");
        return exit::INTERNAL;
    }
    // GitHub reads workflow commands from the job's output; they go where the human report goes.
    if env.var("GITHUB_ACTIONS") == Some("true") {
        let human: &mut dyn Write = if to_stderr { &mut *err } else { &mut *out };
        if let Err(e) = reports::github::write(human, records, shares, load_failures) {
            let _ = writeln!(err, "error: cannot write the annotations: {e}");
            return exit::INTERNAL;
        }
    }
    if let Err(e) = files.write(out, records, shares, load_failures, env) {
        let _ = writeln!(err, "error: {e}");
        return exit::INTERNAL;
    }
    if !load_failures.is_empty() {
        if !nothing_ran {
            let _ = writeln!(
                err,
                "error: {} scenario files failed to load (above); the others ran",
                load_failures.len()
            );
        }
        exit::BAD_INPUT
    } else if records.iter().all(|r| r.passed) && shares.iter().all(|v| v.met) {
        exit::OK
    } else {
        exit::EXPECTATIONS_FAILED
    }
}

/// The terminal report; every string from a record is escaped (merged records come from files).
fn write_human(
    human: &mut dyn Write,
    records: &[RunRecord],
    traces: Option<&[Vec<u8>]>,
    shares: &[ShareVerdict],
    output: &OutputOptions,
    palette: reports::text::Palette,
) -> std::io::Result<()> {
    let verbosity = output.verbosity();
    for (i, r) in records.iter().enumerate() {
        reports::text::write_run(human, &terminal::record(r), verbosity, palette)?;
        if let Some(trace) = traces.and_then(|t| t.get(i)) {
            human.write_all(trace)?;
        }
    }
    let shown: Vec<ShareVerdict> = shares.iter().map(terminal::verdict).collect();
    reports::text::write_shares(human, &shown, verbosity, palette)?;
    reports::text::write_summary(human, records, shares)
}

/// Results files as folders are searched for them.
pub const RESULTS_FILES: Selection = Selection {
    extensions: &["json", "jsonl"],
    what: "results (*.json, *.jsonl)",
};

/// Reads the records of results files found by [`files::find`] with [`RESULTS_FILES`].
pub fn read_results(found: &[files::Found]) -> Result<Vec<RunRecord>, String> {
    let mut records = Vec::new();
    for file in found {
        records.extend(read_results_file(&file.path)?);
    }
    Ok(records)
}

/// Reads one JSON Lines results file through the bounded reader.
pub fn read_results_file(file: &Path) -> Result<Vec<RunRecord>, String> {
    let text = files::read_text(file, InputKind::Results).map_err(|e| e.to_string())?;
    reports::json::read_records(&text).map_err(|e| format!("{}: {e}", terminal::path(file)))
}

/// Sorts records and drops exact duplicates; the same run with different results is an error.
pub fn merge_records(mut records: Vec<RunRecord>) -> Result<(Vec<RunRecord>, usize), String> {
    reports::sort_records(&mut records);
    let mut merged: Vec<RunRecord> = Vec::with_capacity(records.len());
    let mut duplicates = 0;
    for r in records {
        match merged.last() {
            Some(last) if last.sort_key() == r.sort_key() => {
                // Run statistics (`--stats`) differ from run to run; the results may not.
                if last.without_stats() != r.without_stats() {
                    return Err(format!(
                        "{} (seed {}) appears twice with different results (digests {} and {}): \
                         were the shards run with different fletsim versions or options?",
                        r.file, r.seed, last.digest, r.digest
                    ));
                }
                duplicates += 1;
            }
            _ => merged.push(r),
        }
    }
    Ok((merged, duplicates))
}

/// `fletsim merge`.
pub fn merge(args: &MergeArgs, env: &Environment, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    // The inputs (JSON Lines files, or the *.json/*.jsonl files in folders), each once; the
    // outputs are checked against them before anything is read.
    let found = match files::find(&args.results, &RESULTS_FILES) {
        Ok(found) => found,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let mut outputs = Outputs::new(found.iter().map(|f| f.canonical.clone()), args.reports.force);
    if let Err(e) = args.reports.check(&mut outputs, env) {
        let _ = writeln!(err, "error: {e}");
        return exit::BAD_INPUT;
    }
    let records = match read_results(&found).and_then(merge_records) {
        Ok((records, duplicates)) => {
            if duplicates > 0 && !args.output.quiet {
                let _ = writeln!(
                    err,
                    "note: {duplicates} runs appeared in more than one input; kept once"
                );
            }
            records
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let shares = judge_shares(&records);
    finish(
        &Judged {
            records: &records,
            shares: &shares,
            load_failures: &[],
        },
        None,
        &args.reports,
        &args.output,
        env,
        out,
        err,
    )
}
