//! The docs cannot drift: every ```console block in README.md and docs/*.md is
//! run with trycmd and its output compared, stdout and stderr together, exit
//! code 0 unless the block says `? CODE`.
//!
//! Each `$ fletsim ...` line runs the binary this test was built with
//! (`cargo_bin("fletsim")`). The commands run in a fresh temporary folder that
//! links `scenarios/` and `harness/` from the workspace, so paths read as in
//! the docs and examples that write files (`--report out`) write nowhere in
//! the checkout. In expected output, `[..]` stands for the rest of a line
//! and a line `...` for any number of lines; the docs use them only for what
//! legitimately varies or is left out on purpose, never for the numbers they
//! are about.
//!
//! Run it with `cargo test -p fletsim --test docs -- --ignored` (it is left out
//! of the quick run). After a change that moves an output: `TRYCMD=overwrite
//! cargo test -p fletsim --test docs -- --ignored`, then read the diff (trycmd
//! leaves a blank line before each fence it rewrites: remove it) and fix any
//! prose that quotes the old numbers. Its own test binary: it changes the
//! process's current folder, which the integration tests must not see.

#[path = "integration/common/mod.rs"]
mod common;

// Ignored in the quick run: the examples simulate 180-day homes (README's hypotheses
// ranking runs 32 of them), minutes of CPU; `.ci/run` runs it with `-- --ignored`.
#[test]
#[ignore = "180-day examples: `cargo test -p fletsim --test docs -- --ignored` (.ci/run runs it)"]
fn console_examples_in_the_docs() {
    let root = common::root();
    let cwd = common::temp_dir("docs");
    for linked in ["scenarios", "harness"] {
        std::os::unix::fs::symlink(root.join(linked), cwd.join(linked)).expect("link into temp cwd");
    }
    // The files the examples name: docs/scenarios.md's faulty scenarios, README's
    // edited tour scenario, docs/ci.md's lossier rule server and tighter bound.
    for entry in std::fs::read_dir(common::fixture("docs")).expect("docs fixtures") {
        let path = entry.expect("fixture").path();
        std::fs::copy(&path, cwd.join(path.file_name().expect("name"))).expect("copy fixture");
    }
    let tour = std::fs::read_to_string(common::scenario("retail-router-rental-line-stalls.yaml"))
        .expect("tour scenario");
    write_edited(
        &cwd.join("edited.yaml"),
        &tour,
        "\"ipv4.first_up == never\"",
        "\"ipv4.first_up <= 10m\"",
    );
    let lossy =
        std::fs::read_to_string(common::scenario("rule-fetch-lossy-link.yaml")).expect("lossy scenario");
    std::fs::create_dir(cwd.join("lossier")).expect("lossier/");
    write_edited(
        &cwd.join("lossier/rule-fetch-lossy-link.yaml"),
        &lossy,
        "loss: 30%",
        "loss: 45%",
    );
    std::fs::create_dir(cwd.join("tight")).expect("tight/");
    write_edited(
        &cwd.join("tight/rule-fetch-lossy-link.yaml"),
        &lossy,
        "\"ipv4.first_up <= 15m\"",
        "\"ipv4.first_up <= 2m15s\"",
    );
    // trycmd runs each command in the process's current folder (Markdown cases have no `.in`).
    std::env::set_current_dir(&cwd).expect("enter temp cwd");

    let cases = trycmd::TestCases::new();
    cases
        .register_bin("fletsim", trycmd::cargo::cargo_bin("fletsim"))
        .register_bin("cat", std::path::Path::new("/bin/cat"))
        .env("NO_COLOR", "1")
        // Not a CI run: no live progress lines on stderr, which trycmd reads with stdout.
        .env("CI", "false")
        .env("COLUMNS", "100");
    cases.case(root.join("README.md"));
    cases.case(root.join("docs/*.md"));
    cases.run();
}

/// Writes `text` with `from` replaced by `to` (which must occur exactly once) to `path`.
fn write_edited(path: &std::path::Path, text: &str, from: &str, to: &str) {
    assert_eq!(text.matches(from).count(), 1, "{from} in {}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write edited scenario");
}
