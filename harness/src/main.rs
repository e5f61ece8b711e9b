//! The `fletsim` binary: everything lives in the harness library.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Ctrl-C: remove the temporary file of a write under way (the old file stays whole), then
    // stop as an interrupted process does (128 + SIGINT).
    let _ = ctrlc::set_handler(|| {
        harness::files::remove_unfinished();
        std::process::exit(130);
    });
    let stdout = std::io::stdout();
    // Not locked for the whole run: the progress bar draws on stderr from worker threads.
    let mut stderr = std::io::stderr();
    harness::cli::main_with(&mut stdout.lock(), &mut stderr)
}
