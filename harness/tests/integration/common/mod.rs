//! Helpers shared by the harness's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (the harness crate's parent).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A shipped scenario file.
pub fn scenario(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// The scenario files under a folder of the workspace (`scenarios`, `scenarios/area`), found
/// as `fletsim run FOLDER` finds them: recursively, sorted by name.
pub fn scenario_files(folder: &str) -> Vec<harness::files::Found> {
    harness::files::find(&[root().join(folder)], &harness::run_cmd::SCENARIO_FILES)
        .unwrap_or_else(|e| panic!("{folder}: {e}"))
}

/// A test fixture file (harness/tests/fixtures/).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The variables `--shard auto` reads: cleared so the test runner's own CI cannot leak in.
pub const SHARD_VARIABLES: [&str; 9] = [
    "FLETSIM_SHARD_INDEX",
    "FLETSIM_SHARD_TOTAL",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "BUILDKITE_PARALLEL_JOB",
    "BUILDKITE_PARALLEL_JOB_COUNT",
    "CIRCLE_NODE_INDEX",
    "CIRCLE_NODE_TOTAL",
    "JOB_COMPLETION_INDEX",
];

/// The `fletsim` binary, to run in the workspace root, with a clean environment for colour and shards.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fletsim"));
    cmd.args(args).current_dir(root()).env_remove("NO_COLOR");
    for v in SHARD_VARIABLES {
        cmd.env_remove(v);
    }
    // A CI running the tests sets these; each changes what fletsim prints (live lines,
    // annotations, where the Markdown goes), so a test that wants them sets them itself.
    for v in ["CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"] {
        cmd.env_remove(v);
    }
    cmd
}

/// Runs the `fletsim` binary with `args` in the workspace root.
pub fn fletsim(args: &[&str]) -> Output {
    command(args).output().expect("fletsim runs")
}

/// Runs the `fletsim` binary with extra environment variables.
pub fn fletsim_env(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = command(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("fletsim runs")
}

/// A path as a `&str` argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh temporary folder for one test.
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fletsim-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
