//! The bounds of every count a user gives on the command line, checked by
//! clap as it parses (so a bad count is a usage error, exit 2, before any
//! file is read), and the value parsers that check them.
//!
//! Every count here sizes something: threads (`--jobs`), runs (`--seeds`),
//! the tree an override builds (`--set` path segments). Memory and threads
//! must grow with the work done, never with the number typed, so each count
//! has a bound that is generous for real use and cheap to honour.

use std::num::NonZeroUsize;

/// Most runs (or simulation threads) at once: `--jobs`.
pub const MAX_JOBS: usize = 1024;

/// Most seeds one sweep may ask for: `--seeds N` and `--seeds A..B` (`run`,
/// `snapshot`, `check`, `bisect`, `hypotheses`).
pub const MAX_SEEDS: u64 = 1_000_000;

/// Most segments in a `--set` path (`faults[2].every.mean_interval` has four).
pub const MAX_SET_PATH_SEGMENTS: usize = 64;

/// Longest `--set PATH=VALUE`, in bytes.
pub const MAX_SET_BYTES: usize = 64 * 1024;

/// `--jobs J`: 1 to [`MAX_JOBS`].
pub fn parse_jobs(text: &str) -> Result<NonZeroUsize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_JOBS).contains(&n) => Ok(NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)),
        _ => Err(format!(
            "`{text}` is not a number of jobs (accepted: a whole number from 1 to {MAX_JOBS})"
        )),
    }
}

/// `--seeds N` where it means seeds 1 to N (`bisect`, `hypotheses`): 1 to [`MAX_SEEDS`].
pub fn parse_seed_count(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_SEEDS).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{text}` is not a number of seeds (accepted: a whole number from 1 to {MAX_SEEDS})"
        )),
    }
}

/// The number of threads to use for `runs` runs at `jobs` at once: never more threads than runs.
pub fn threads_for(jobs: usize, runs: usize) -> usize {
    jobs.min(runs).clamp(1, MAX_JOBS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_bounded() {
        assert_eq!(parse_jobs("4").map(NonZeroUsize::get), Ok(4));
        assert_eq!(parse_jobs("1024").map(NonZeroUsize::get), Ok(1024));
        for bad in ["0", "1025", "2305843009213693952", "-1", "x", "1e9", ""] {
            let e = parse_jobs(bad).expect_err(bad);
            assert!(e.contains("from 1 to 1024"), "{e}");
        }
    }

    #[test]
    fn seed_counts_are_bounded() {
        assert_eq!(parse_seed_count("8"), Ok(8));
        assert_eq!(parse_seed_count("1000000"), Ok(1_000_000));
        for bad in ["0", "1000001", "18446744073709551615", "1e11", "-3"] {
            let e = parse_seed_count(bad).expect_err(bad);
            assert!(e.contains("from 1 to 1000000"), "{e}");
        }
    }

    #[test]
    fn threads_never_outnumber_runs() {
        assert_eq!(threads_for(1024, 1), 1);
        assert_eq!(threads_for(4, 100), 4);
        assert_eq!(threads_for(8, 0), 1);
    }
}
