//! The HTML report folder: `--report DIR` on `run`, `bisect`, `hypotheses` and `diff`, and
//! `fletsim report RESULTS… --out DIR` for saved JSON Lines (merged shards included).
//!
//! Pages are rendered by `reports::html` (pure functions of their inputs); this module
//! decides which pages a folder holds and writes them through [`write_report`], the one
//! place a report touches the file system. A folder that exists and is not empty is
//! refused without `--force`, checked before any run ([`check_dir`]) so a long sweep
//! never ends in a refusal; with `--force` the report's own files are overwritten and
//! nothing else in the folder is touched.
//!
//! `fletsim report` has outcomes but no traces: a run is deterministic, so each record's
//! scenario file is run again at its seed with its `--set` overrides, and its page gets
//! the full timeline when the trace digest matches the record's. Otherwise (the file is
//! gone or changed, or fletsim changed) the page is drawn from the outcome alone and says
//! why.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use reports::RunRecord;
use reports::html::{self, Page};
use reports::sweep::{ShareVerdict, judge_shares};
use reports::timeline::Timeline;

use crate::artifacts::Collect;
use crate::files::{self, Replace};
use crate::options::exit;
use crate::overrides::{self, Override};
use crate::suite;
use crate::terminal;

/// Refuses a report folder that would overwrite files (without `--force`), or a path that
/// is not a folder.
pub fn check_dir(dir: &Path, force: bool) -> Result<(), String> {
    match std::fs::symlink_metadata(dir) {
        Err(_) => Ok(()),
        // Never write through a link: it may lead anywhere.
        Ok(m) if m.file_type().is_symlink() => Err(format!(
            "{}: is a symbolic link; give the folder itself",
            dir.display()
        )),
        Ok(m) if !m.is_dir() => Err(format!("{}: exists and is not a folder", dir.display())),
        Ok(_) => {
            let mut entries =
                std::fs::read_dir(dir).map_err(|e| format!("{}: cannot read folder: {e}", dir.display()))?;
            if entries.next().is_some() && !force {
                Err(format!(
                    "{}: exists and is not empty (pass --force to overwrite its report files)",
                    dir.display()
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// Writes every page into `dir` (created if missing), after [`check_dir`]. Each page is
/// written atomically ([`files::write_file`]): an interrupted report leaves earlier pages
/// whole, and a link planted in the folder is replaced, never written through. Returns the
/// files written.
pub fn write_report(dir: &Path, pages: &[Page], force: bool) -> Result<Vec<PathBuf>, String> {
    check_dir(dir, force)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", terminal::path(dir)))?;
    let replace = if force { Replace::Allowed } else { Replace::Never };
    let mut written = Vec::with_capacity(pages.len());
    for page in pages {
        // Page names are slugs (no separators), so every file lands directly in `dir`.
        let path = dir.join(&page.name);
        files::write_file(&path, replace, |w| w.write_all(page.html.as_bytes()))?;
        written.push(path);
    }
    Ok(written)
}

/// One run of a suite report.
#[derive(Clone, Copy, Debug)]
pub struct ReportRun<'a> {
    pub record: &'a RunRecord,
    pub description: Option<&'a str>,
    pub timeline: &'a Timeline,
}

/// `index.html` (the suite) and a page per run.
pub fn suite_pages(title: &str, runs: &[ReportRun], shares: &[ShareVerdict]) -> Vec<Page> {
    let names = html::run_page_names(runs.iter().map(|r| (r.record.scenario.as_str(), r.record.seed)));
    let mut pages = Vec::with_capacity(runs.len() + 1);
    let records: Vec<RunRecord> = runs.iter().map(|r| r.record.clone()).collect();
    let links: Vec<Option<String>> = names.iter().cloned().map(Some).collect();
    pages.push(Page {
        name: "index.html".into(),
        html: html::suite_page::render(title, &records, shares, &links),
    });
    for (run, name) in runs.iter().zip(names) {
        pages.push(Page {
            name,
            html: html::run_page::render(&html::run_page::RunView {
                record: run.record,
                description: run.description,
                timeline: run.timeline,
                index: Some(("index.html", "all runs")),
            }),
        });
    }
    pages
}

/// `fletsim report`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  fletsim run scenarios/ --json results.json && fletsim report results.json --out report/
  fletsim report shards/ --out report/ --force")]
pub struct ReportArgs {
    /// JSON Lines files written by `fletsim run --json` (or folders of *.json / *.jsonl files), shards included.
    #[arg(required = true, value_name = "RESULTS")]
    pub results: Vec<PathBuf>,
    /// The folder to write the report into (DIR/index.html and one page per run).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite the report files of an existing, non-empty folder.
    #[arg(long)]
    pub force: bool,
    /// How many runs to repeat at once [default: the machine's cores]
    #[arg(short = 'j', long, value_name = "J")]
    pub jobs: Option<std::num::NonZeroUsize>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// A record's run again, for its timeline: `Err` says why the page has only the outcome.
fn rerun(record: &RunRecord) -> Result<(Timeline, String), String> {
    let file = Path::new(&record.file);
    if !file.is_file() {
        return Err(format!("its scenario file {} is not at hand", record.file));
    }
    let sets: Vec<Override> = record
        .overrides
        .iter()
        .map(|o| o.parse())
        .collect::<Result<_, String>>()
        .map_err(|e| format!("its --set overrides do not parse any more ({e})"))?;
    let loaded =
        overrides::load_with(file, &sets).map_err(|e| format!("its scenario file no longer loads ({e})"))?;
    if loaded.scenario.name != record.scenario {
        return Err(format!(
            "{} now holds scenario `{}`, not `{}`",
            record.file, loaded.scenario.name, record.scenario
        ));
    }
    let collect = Collect {
        timeline: true,
        ..Collect::default()
    };
    let (again, artifacts) = suite::run_collecting(
        &loaded,
        Some(record.seed),
        &mut sim_core::sim::NoObserver,
        collect,
    )
    .map_err(|e| format!("running it again failed ({e})"))?;
    if again.digest != record.digest {
        return Err(format!(
            "running {} at seed {} again gives trace digest {}, the record has {}: the scenario file or fletsim changed since",
            record.file, record.seed, again.digest, record.digest
        ));
    }
    let timeline = artifacts.timeline.ok_or("no timeline was collected")?;
    Ok((timeline, loaded.description))
}

/// `fletsim report RESULTS… --out DIR`.
pub fn report(args: &ReportArgs, err: &mut dyn Write) -> u8 {
    let fail = |err: &mut dyn Write, code: u8, m: String| {
        let _ = writeln!(err, "error: {m}");
        code
    };
    if let Err(e) = check_dir(&args.out, args.force) {
        return fail(err, exit::BAD_INPUT, e);
    }
    let found = match crate::files::find(&args.results, &crate::run_cmd::RESULTS_FILES) {
        Ok(found) => found,
        Err(e) => return fail(err, exit::BAD_INPUT, e.to_string()),
    };
    let records = match crate::run_cmd::read_results(&found).and_then(crate::run_cmd::merge_records) {
        Ok((records, _)) => records,
        Err(e) => return fail(err, exit::BAD_INPUT, e),
    };
    let jobs = args
        .jobs
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, std::num::NonZeroUsize::get);
    let again = suite::parallel_map(&records, jobs, rerun);
    let timelines: Vec<(Timeline, Option<String>)> = records
        .iter()
        .zip(again)
        .map(|(r, a)| match a {
            Ok((t, description)) => (t, Some(description)),
            Err(reason) => (Timeline::from_outcome(&r.outcome, reason), None),
        })
        .collect();
    let partial = timelines.iter().filter(|(_, d)| d.is_none()).count();
    let runs: Vec<ReportRun> = records
        .iter()
        .zip(&timelines)
        .map(|(record, (timeline, description))| ReportRun {
            record,
            description: description.as_deref(),
            timeline,
        })
        .collect();
    let inputs: Vec<String> = args.results.iter().map(|p| p.display().to_string()).collect();
    let title = format!("fletsim report {}", inputs.join(" "));
    let pages = suite_pages(&title, &runs, &judge_shares(&records));
    match write_report(&args.out, &pages, args.force) {
        Ok(files) => {
            if !args.quiet {
                let _ = writeln!(
                    err,
                    "report: {} ({} files; {} of {} runs drawn from their outcome only)",
                    args.out.join("index.html").display(),
                    files.len(),
                    partial,
                    records.len()
                );
            }
            exit::OK
        }
        Err(e) => fail(err, exit::INTERNAL, e),
    }
}
