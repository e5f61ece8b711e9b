//! The `fletsim` binary: everything lives in the harness library.

use std::io::{self, Write};
use std::process::ExitCode;

/// Stdout that ends the process quietly when the reader has gone (`fletsim run … | head -1`):
/// Rust ignores SIGPIPE, so a closed pipe shows up as a `BrokenPipe` write error. Like
/// ripgrep, fletsim then stops with exit 0 and no message: the reader has what it wanted.
struct QuietPipe<W: Write>(W);

impl<W: Write> QuietPipe<W> {
    fn check<T>(result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            harness::files::remove_unfinished();
            std::process::exit(0);
        }
        result
    }
}

impl<W: Write> Write for QuietPipe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Self::check(self.0.write(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        Self::check(self.0.flush())
    }
}

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
    harness::cli::main_with(&mut QuietPipe(stdout.lock()), &mut stderr)
}
