//! The `fletsim` binary: everything lives in the harness library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    harness::cli::main_with(&mut stdout.lock(), &mut stderr.lock())
}
