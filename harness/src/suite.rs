//! Finding scenario files, running them and judging their expectations.

use std::path::{Path, PathBuf};

use reports::{ExpectationResult, RunRecord};
use sim_core::Simulation;
use sim_core::engine::Observer;
use sim_core::trace::TraceEvent;

use crate::scenario_file::{self, LoadedScenario, ScenarioError};

/// The file endings scenario files have.
const EXTENSIONS: [&str; 2] = ["yaml", "yml"];

/// Every scenario file under `paths` (files as given, folders searched recursively), sorted per folder.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files).map_err(|e| format!("{}: cannot read folder: {e}", path.display()))?;
            if files.len() == before {
                return Err(format!(
                    "{}: no scenario files (*.yaml, *.yml) in this folder",
                    path.display()
                ));
            }
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(format!("{}: no such file or folder", path.display()));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    // Sorted, so the order never depends on the file system.
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads every file; all errors are returned, not just the first.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<LoadedScenario>, Vec<ScenarioError>> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match scenario_file::load(file) {
            Ok(s) => loaded.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

/// Runs one scenario at `seed` (its own when `None`) and judges it.
pub fn run_one(
    loaded: &LoadedScenario,
    seed: Option<u64>,
    observer: &mut dyn Observer<TraceEvent>,
) -> Result<RunRecord, sim_core::RunError> {
    let mut scenario = loaded.scenario.clone();
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let outcome = Simulation::run(&scenario, observer)?;
    let value = serde_json::to_value(&outcome).unwrap_or(serde_json::Value::Null);
    let expectations: Vec<ExpectationResult> = loaded
        .expectations
        .iter()
        .map(|e| {
            let v = e.expectation.judge(&value);
            ExpectationResult {
                text: e.text.clone(),
                passed: v.passed,
                actual: v.actual,
                share: e.share,
            }
        })
        .collect();
    Ok(RunRecord {
        scenario: scenario.name.clone(),
        file: loaded.file.display().to_string(),
        seed: scenario.seed,
        // Share expectations are judged over the sweep, not here.
        passed: expectations.iter().all(|e| e.passed || e.share.is_some()),
        digest: outcome.trace.digest.clone(),
        expectations,
        outcome,
    })
}
