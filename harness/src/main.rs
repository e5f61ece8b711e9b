//! The `fletsim` binary: everything lives in the harness library.

use std::io::{self, Write};
use std::process::ExitCode;

/// jemalloc, not the system's malloc: it can back the heap with transparent huge pages
/// ([`JEMALLOC_OPTIONS`]). The allocator shapes no outcome (nothing fletsim computes
/// depends on an address); it only sets how fast a large area runs.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, which it reads once at start (its `malloc_conf` symbol, prefixed
/// `_rjem_` by tikv-jemalloc-sys). `thp:always` asks the kernel for 2 MiB pages on every
/// extent (`madvise`, so it works where THP is set to `madvise`, Debian's default):
/// a 10,000-home area's 350 MB of homes then fit the TLB, and its day runs in about four
/// fifths of the time (BENCHMARKS.md, "Areas"). Single homes are unchanged.
///
/// The symbol is the one `unsafe` attribute of the harness: jemalloc reads it as a C
/// `const char *`, which is what a `&[u8; N]` ending in NUL is.
#[cfg(not(target_env = "msvc"))]
#[allow(unsafe_code)]
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_OPTIONS: &[u8; 31] = b"thp:always,metadata_thp:always\0";

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
