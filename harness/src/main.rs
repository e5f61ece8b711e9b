//! The `fletsim` binary: everything lives in the harness library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    // Not locked for the whole run: the progress bar draws on stderr from worker threads.
    let mut stderr = std::io::stderr();
    harness::cli::main_with(&mut stdout.lock(), &mut stderr)
}
