//! `fletsim validate PATH…`: load scenario files (both stages, `--set` applied) and run
//! nothing. Every error of every file is printed, not just the first; exit 0 when all
//! load, 2 otherwise. A quick check for editors, pre-commit hooks and CI.

use std::io::Write;
use std::path::PathBuf;

use crate::options::{OutputOptions, exit};
use crate::overrides::{Override, OverrideParser};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  fletsim validate                         # every scenario under scenarios/
  fletsim validate scenarios/office.yaml my-scenarios/
  fletsim validate scenarios/ --set lan.telework-pc.count=12")]
pub struct Args {
    /// Scenario files or folders (searched recursively for *.yaml) [default: scenarios/]
    pub paths: Vec<PathBuf>,
    /// Change a scenario field by its YAML path before validation (repeatable): lan.telework-pc.count=12
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = OverrideParser)]
    pub set: Vec<Override>,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// `fletsim validate`.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths.clone()
    };
    let mut errors = 0usize;
    let mut valid = 0usize;
    // One path at a time, so that a missing path does not hide the errors of the others.
    let mut seen = std::collections::BTreeSet::new();
    for path in &paths {
        let found = match crate::files::find(std::slice::from_ref(path), &crate::run_cmd::SCENARIO_FILES) {
            Ok(found) => found,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                errors += 1;
                continue;
            }
        };
        for file in found {
            if !seen.insert(file.canonical) {
                continue;
            }
            match crate::overrides::load_with(&file.path, &args.set) {
                Ok(loaded) => {
                    valid += 1;
                    if args.output.verbose {
                        let _ = writeln!(
                            out,
                            "ok: {} ({})",
                            crate::terminal::path(&file.path),
                            crate::terminal::escape(&loaded.scenario.name)
                        );
                    }
                    if let Some(warning) = crate::scenario_file::slow_warning(&loaded) {
                        let _ = writeln!(err, "warning: {warning}");
                    }
                }
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    errors += 1;
                }
            }
        }
    }
    if errors == 0 {
        if !args.output.quiet {
            let _ = writeln!(
                out,
                "{valid} scenario file{} valid",
                if valid == 1 { "" } else { "s" }
            );
        }
        exit::OK
    } else {
        if !args.output.quiet {
            let _ = writeln!(
                err,
                "{errors} error{}, {valid} scenario file{} valid",
                if errors == 1 { "" } else { "s" },
                if valid == 1 { "" } else { "s" }
            );
        }
        exit::BAD_INPUT
    }
}
