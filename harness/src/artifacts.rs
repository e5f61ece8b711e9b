//! Files a run can leave beside its reports: packet captures (`--pcap DIR`,
//! one classic pcap per simulated link) and the gateway's device log
//! (`--device-log DIR`, byte for byte in the HGW's own format).
//!
//! With one run the files go straight into DIR (`DIR/wan.pcap`,
//! `DIR/<gateway>.log`); with several, each run gets `DIR/<scenario>@seed<S>/`.
//!
//! Everything is checked before the first run ([`check`]): the folders, every
//! file of every run (an existing one is never replaced without `--force`,
//! an input never), two scenarios whose runs would share a folder, and dates a
//! pcap cannot hold. Files are then written atomically ([`crate::files::write_file`]).
//! (`--report DIR`, the HTML report, is written by [`crate::html_report`] once every run
//! is judged.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use sim_core::sim::Capture;
use sim_core::time::{Calendar, CivilDateTime};

use crate::files::{self, Outputs, Replace};
use crate::scenario_file::LoadedScenario;
use crate::suite::{Job, Plan};
use crate::terminal;

/// `--pcap` and `--device-log` (`--force` is with the report files: it covers every output).
#[derive(Clone, Debug, Default, Args)]
pub struct ArtifactOptions {
    /// Write one pcap per simulated link (wan, distributor, rule-server) into DIR (existing files need --force).
    #[arg(long, value_name = "DIR")]
    pub pcap: Option<PathBuf>,
    /// Write the gateway's log, in the device's own format, as DIR/<gateway>.log (existing files need --force).
    #[arg(long, value_name = "DIR")]
    pub device_log: Option<PathBuf>,
    /// Write a self-contained HTML report into DIR: DIR/index.html and one page per run (a non-empty DIR needs --force).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

/// What a run collects for the artifacts asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collect {
    /// The whole trace as text (`-v`).
    pub trace: bool,
    /// A failed run's trace excerpt in its record (for JUnit's `<system-out>`).
    pub trace_excerpt: bool,
    pub pcap: bool,
    pub device_log: bool,
    /// The run's engine statistics and times (`--stats`).
    pub stats: bool,
    /// The run's timeline and sampled series, for the HTML report.
    pub timeline: bool,
}

/// The artifacts of one run.
#[derive(Clone, Debug, Default)]
pub struct Artifacts {
    pub capture: Option<Capture>,
    /// The gateway's name and its log text.
    pub device_log: Option<(String, String)>,
    /// The scenario's calendar start, for pcap timestamps.
    pub start_unix_seconds: i64,
    /// The run's timeline, for the HTML report.
    pub timeline: Option<reports::timeline::Timeline>,
}

impl ArtifactOptions {
    pub fn collect(&self, trace: bool) -> Collect {
        Collect {
            trace,
            trace_excerpt: false,
            pcap: self.pcap.is_some(),
            device_log: self.device_log.is_some(),
            stats: false,
            timeline: self.report.is_some(),
        }
    }
}

/// Where one run's files go.
fn run_dir(base: &Path, runs: u64, scenario: &str, seed: u64) -> PathBuf {
    if runs == 1 {
        base.to_path_buf()
    } else {
        base.join(format!("{scenario}@seed{seed}"))
    }
}

/// The files one run writes, with the flag that asked for each.
fn files_of(
    options: &ArtifactOptions,
    runs: u64,
    scenario: &str,
    seed: u64,
    gateway: &str,
) -> Vec<(&'static str, PathBuf)> {
    let mut paths = Vec::new();
    if let Some(base) = &options.pcap {
        let dir = run_dir(base, runs, scenario, seed);
        paths.extend(
            sim_core::scenario::LinkId::ALL
                .iter()
                .map(|l| ("--pcap", dir.join(format!("{l}.pcap")))),
        );
    }
    if let Some(base) = &options.device_log {
        paths.push((
            "--device-log",
            run_dir(base, runs, scenario, seed).join(format!("{gateway}.log")),
        ));
    }
    paths
}

/// The calendar moments a classic pcap can date: its timestamps are 32-bit seconds since 1970.
pub fn pcap_dates() -> (CivilDateTime, CivilDateTime) {
    (
        CivilDateTime::from_unix_seconds(0),
        CivilDateTime::from_unix_seconds(i64::from(u32::MAX)),
    )
}

/// Refuses a scenario whose run a pcap cannot date (before 1970 or after 2106-02-07).
pub fn check_pcap_dates(loaded: &LoadedScenario) -> Result<(), String> {
    let calendar = Calendar::new(loaded.scenario.start);
    let start = calendar.start_unix_seconds();
    let end = start.saturating_add(loaded.scenario.duration.as_nanos().div_ceil(1_000_000_000) as i64);
    if start >= 0 && end <= i64::from(u32::MAX) {
        return Ok(());
    }
    let (first, last) = pcap_dates();
    Err(format!(
        "{}: start: the run spans {} to {}, which a pcap cannot date (--pcap: packets from {first} to {last}, \
         pcap's 32-bit seconds); move `start` or leave out --pcap",
        terminal::path(&loaded.file),
        loaded.scenario.start,
        CivilDateTime::from_unix_seconds(end),
    ))
}

/// Checks every artifact path of the plan before any run: the folders, each run's files,
/// runs that would share a folder, and dates a pcap cannot hold.
pub fn check(options: &ArtifactOptions, plan: &Plan, outputs: &Outputs) -> Result<(), String> {
    if options.pcap.is_none() && options.device_log.is_none() {
        return Ok(());
    }
    if options.pcap.is_some() {
        for (loaded, _) in plan.scenarios() {
            check_pcap_dates(loaded)?;
        }
    }
    let runs = plan.len();
    if runs > 1 {
        // Run folders are named by scenario and seed: two files naming one scenario would share them.
        let mut names: BTreeMap<&str, &str> = BTreeMap::new();
        for (loaded, file) in plan.scenarios() {
            let name = loaded.scenario.name.as_str();
            if let Some(other) = names.insert(name, file)
                && other != file
            {
                return Err(format!(
                    "{} and {} both name a scenario `{name}`: their captures and logs would share the folders \
                     `{name}@seed<S>/`; give one of them another `name:`",
                    terminal::escape(other),
                    terminal::escape(file)
                ));
            }
        }
    }
    // The folders last: they are created if missing, so only when nothing else is wrong.
    for (flag, dir) in [("--pcap", &options.pcap), ("--device-log", &options.device_log)] {
        if let Some(dir) = dir {
            outputs.folder(flag, dir)?;
        }
    }
    for job in plan.jobs() {
        check_job(options, runs, &job, outputs)?;
    }
    Ok(())
}

fn check_job(options: &ArtifactOptions, runs: u64, job: &Job, outputs: &Outputs) -> Result<(), String> {
    let scenario = &job.scenario.scenario;
    for base in [&options.pcap, &options.device_log].into_iter().flatten() {
        let dir = run_dir(base, runs, &scenario.name, job.seed);
        if dir != *base && std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!(
                "{}: a symbolic link where the run's folder goes; fletsim never writes through links",
                terminal::path(&dir)
            ));
        }
    }
    for (flag, path) in files_of(options, runs, &scenario.name, job.seed, &scenario.gateway.name) {
        outputs.file_in_folder(flag, &path, false)?;
    }
    Ok(())
}

/// Writes every run's artifacts; `runs` are (scenario, seed, artifacts) in report order.
/// Existing files are replaced only with `force` (the checks before the runs refused them).
/// Returns the files written.
pub fn write_all(
    options: &ArtifactOptions,
    runs: &[(&str, u64, &Artifacts)],
    force: bool,
) -> Result<Vec<PathBuf>, String> {
    let replace = if force { Replace::Allowed } else { Replace::Never };
    let count = runs.len() as u64;
    let mut written = Vec::new();
    for (scenario, seed, artifacts) in runs {
        if let (Some(base), Some(capture)) = (&options.pcap, &artifacts.capture) {
            let dir = run_dir(base, count, scenario, *seed);
            create_run_dir(&dir)?;
            // Every link gets a file, an empty capture included, so the set of files is predictable.
            for link in sim_core::scenario::LinkId::ALL {
                let packets = capture.links().get(&link).map(Vec::as_slice).unwrap_or(&[]);
                let path = dir.join(format!("{link}.pcap"));
                files::write_file(&path, replace, |w| {
                    reports::pcap::write_capture(
                        w,
                        artifacts.start_unix_seconds,
                        packets.iter().map(|(t, b)| (*t, b.as_slice())),
                    )
                    .map(drop)
                })?;
                written.push(path);
            }
        }
        if let (Some(base), Some((gateway, text))) = (&options.device_log, &artifacts.device_log) {
            let dir = run_dir(base, count, scenario, *seed);
            create_run_dir(&dir)?;
            let path = dir.join(format!("{gateway}.log"));
            files::write_file(&path, replace, |w| w.write_all(text.as_bytes()))?;
            written.push(path);
        }
    }
    Ok(written)
}

fn create_run_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", terminal::path(dir)))
}
