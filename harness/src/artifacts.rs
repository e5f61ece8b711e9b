//! Files a run can leave beside its reports: packet captures (`--pcap DIR`,
//! one classic pcap per simulated link) and the gateway's device log
//! (`--device-log DIR`, byte for byte in the HGW's own format).
//!
//! With one run the files go straight into DIR (`DIR/wan.pcap`,
//! `DIR/<gateway>.log`); with several, each run gets `DIR/<scenario>@seed<S>/`.
//! An existing file is never overwritten without `--force`. (`--report DIR`, the HTML
//! report, is written by [`crate::html_report`] once every run is judged.)

use std::path::{Path, PathBuf};

use clap::Args;
use sim_core::sim::Capture;

/// `--pcap`, `--device-log` and `--force`.
#[derive(Clone, Debug, Default, Args)]
pub struct ArtifactOptions {
    /// Write one pcap per simulated link (wan, distributor, rule-server) into DIR.
    #[arg(long, value_name = "DIR")]
    pub pcap: Option<PathBuf>,
    /// Write the gateway's log, in the device's own format, as DIR/<gateway>.log.
    #[arg(long, value_name = "DIR")]
    pub device_log: Option<PathBuf>,
    /// Write a self-contained HTML report into DIR: DIR/index.html and one page per run.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Overwrite existing capture, log and report files.
    #[arg(long)]
    pub force: bool,
}

/// What a run collects for the artifacts asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collect {
    pub trace: bool,
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
            pcap: self.pcap.is_some(),
            device_log: self.device_log.is_some(),
            stats: false,
            timeline: self.report.is_some(),
        }
    }
}

/// Where one run's files go.
fn run_dir(base: &Path, runs: usize, scenario: &str, seed: u64) -> PathBuf {
    if runs == 1 {
        base.to_path_buf()
    } else {
        base.join(format!("{scenario}@seed{seed}"))
    }
}

fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<(), String> {
    if path.exists() && !force {
        return Err(format!("{}: exists (pass --force to overwrite)", path.display()));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: cannot create: {e}", parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// Writes every run's artifacts; `runs` are (scenario, seed, artifacts) in report order.
/// Returns the files written.
pub fn write_all(
    options: &ArtifactOptions,
    runs: &[(&str, u64, &Artifacts)],
) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for (scenario, seed, artifacts) in runs {
        if let (Some(base), Some(capture)) = (&options.pcap, &artifacts.capture) {
            let dir = run_dir(base, runs.len(), scenario, *seed);
            // Every link gets a file, an empty capture included, so the set of files is predictable.
            for link in sim_core::scenario::LinkId::ALL {
                let packets = capture.links().get(&link).map(Vec::as_slice).unwrap_or(&[]);
                let bytes = reports::pcap::write_capture(
                    Vec::new(),
                    artifacts.start_unix_seconds,
                    packets.iter().map(|(t, b)| (*t, b.as_slice())),
                )
                .map_err(|e| format!("cannot build the {link} capture: {e}"))?;
                let path = dir.join(format!("{link}.pcap"));
                write_new(&path, &bytes, options.force)?;
                written.push(path);
            }
        }
        if let (Some(base), Some((gateway, text))) = (&options.device_log, &artifacts.device_log) {
            let path = run_dir(base, runs.len(), scenario, *seed).join(format!("{gateway}.log"));
            write_new(&path, text.as_bytes(), options.force)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Refuses, before any run, files that exist already (unless `--force`).
pub fn check_free(options: &ArtifactOptions, runs: &[(String, u64, String)]) -> Result<(), String> {
    if options.force {
        return Ok(());
    }
    for (scenario, seed, gateway) in runs {
        let mut paths = Vec::new();
        if let Some(base) = &options.pcap {
            let dir = run_dir(base, runs.len(), scenario, *seed);
            paths.extend(
                sim_core::scenario::LinkId::ALL
                    .iter()
                    .map(|l| dir.join(format!("{l}.pcap"))),
            );
        }
        if let Some(base) = &options.device_log {
            paths.push(run_dir(base, runs.len(), scenario, *seed).join(format!("{gateway}.log")));
        }
        if let Some(p) = paths.iter().find(|p| p.exists()) {
            return Err(format!("{}: exists (pass --force to overwrite)", p.display()));
        }
    }
    Ok(())
}
