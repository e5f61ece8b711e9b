//! The harness's integration tests, one test binary (one link instead of one per
//! file: most of a cold `cargo test` was linking). Each module is one area of
//! behaviour; `common` holds the helpers they share. Run one module with
//! `cargo test -p fletsim --test integration MODULE::`.
//!
//! Tests marked `#[ignore]` are sweeps too slow for the quick run (README's test
//! command); `.ci/run` runs them with `cargo test --workspace -- --ignored`.

mod common;

mod area;
mod bisect;
mod browser;
mod captures;
mod commands;
mod cost;
mod fuzz_smoke;
mod hardening;
mod hypotheses;
mod lan_profiles;
mod log_analyze;
mod napt_stories;
mod outcomes;
mod reboots;
mod report;
mod run_command;
mod stories;
mod suites;
