//! harness: the `fletsim` command's library. All I/O lives here: scenario
//! files, the command line, terminals and output files.
//!
//! - [`scenario_file`]: YAML → raw structs → validated `sim_core::Scenario`, with located errors.
//! - [`suite`]: finding scenario files, planning (scenario, seed) runs,
//!   running them in parallel on tokio and judging them.
//! - [`shard`]: `--shard i/N|auto`, the stable hash partition and the CI variables.
//! - [`run_cmd`]: `fletsim run` and `fletsim merge`; [`outputs`]: their report files.
//! - [`snapshot_cmd`]: `fletsim snapshot`, insta-format `.snap` files.
//! - [`diff_cmd`]: `fletsim diff`, outcomes compared path by path.
//! - [`bisect_cmd`]: `fletsim bisect`, thresholds, minimal fault sets, first moments.
//! - [`check_cmd`]: `fletsim check`, one verdict for `git bisect run`.
//! - [`log_analyze`]: `fletsim log analyze LOG`, reading a real HGW log and
//!   classifying its reboots (spontaneous vs user-caused) with statistics.
//! - [`hypotheses_cmd`]: `fletsim hypotheses`, reboot hypotheses ranked against a real log.
//! - [`mape_cmd`]: `fletsim map-e`, the MAP-E calculator.
//! - [`html_report`]: the HTML report folder (`--report DIR`, `fletsim report`).
//! - [`overrides`]: `--set PATH=VALUE`, scenario fields changed by their YAML path.
//! - [`console`]: environment variables, terminals, colour and progress bars.
//! - [`commands`]: `validate`, `list`, `schema`, `completions`, `man`, each owning its arguments.
//! - [`cli`]: the `Command` enum assembled from the commands' own `Args`, parsing, dispatch.
//! - [`options`]: the exit codes and the option groups several commands share.
//! - [`bounds`]: the bound of every count typed on the command line (`--jobs`, `--seeds`, `--set`).
//! - [`files`]: the one folder walker, bounded reader and atomic writer every command uses.
//! - [`terminal`]: user-controlled text escaped before it reaches a terminal.
//! - [`yaml`]: the YAML reader's options and its errors in plain English.
//! - [`fuzz_targets`]: the parsers as fuzz targets (the `harness/fuzz` crate and the smoke test).

pub mod artifacts;
pub mod bisect_cmd;
pub mod bounds;
pub mod check_cmd;
pub mod cli;
pub mod commands;
pub mod console;
pub mod diff_cmd;
pub mod files;
pub mod fuzz_targets;
pub mod html_report;
pub mod hypotheses_cmd;
pub mod log_analyze;
pub mod mape_cmd;
pub mod options;
pub mod outputs;
pub mod overrides;
pub mod run_cmd;
pub mod scenario_file;
pub mod shard;
pub mod snapshot_cmd;
pub mod suite;
pub mod terminal;
pub mod yaml;
