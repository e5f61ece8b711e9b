//! JUnit XML (Jenkins flavour, written by quick-junit) for the test reporters
//! of GitHub, GitLab and Jenkins.
//!
//! - `<testsuites name="fletsim">`, one `<testsuite>` per scenario (its name).
//! - One `<testcase>` per scenario and seed: name `SCENARIO (seed S)`,
//!   classname the scenario file, properties `seed` and `digest`. A failed
//!   run has `<failure type="expectation" message="…">`: the message lists
//!   the failed expectations with their actual values, the body adds the
//!   command that reproduces the run.
//! - One more `<testcase>` per share expectation judged over the sweep:
//!   name `SCENARIO share: EXPECTATION`, no `seed` property.
//!
//! No `time` or `timestamp` attributes: the file is the same bytes for the
//! same runs, whatever `--jobs` or sharding.

use std::io::Write;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::RunRecord;
use crate::sweep::ShareVerdict;

/// The testcase of one run.
fn run_case(r: &RunRecord) -> TestCase {
    let status = if r.passed {
        TestCaseStatus::success()
    } else {
        let failed: Vec<String> = r
            .failed_expectations()
            .map(|e| format!("{} (actual: {})", e.text, e.actual))
            .collect();
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let mut description = failed.join("\n");
        description.push_str(&format!("\nreproduce: {}", r.reproduce_command()));
        status
            .set_type("expectation")
            .set_message(failed.join("; "))
            .set_description(description);
        status
    };
    let mut case = TestCase::new(format!("{} (seed {})", r.scenario, r.seed), status);
    case.set_classname(r.file.as_str());
    case.add_property(Property::new("seed", r.seed.to_string()));
    case.add_property(Property::new("digest", r.digest.as_str()));
    case
}

/// The testcase of one share expectation.
fn share_case(v: &ShareVerdict) -> TestCase {
    let status = if v.met {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let missed: Vec<String> = v.missed_seeds.iter().map(u64::to_string).collect();
        status
            .set_type("share-expectation")
            .set_message(format!("{}: {}", v.text, v.describe()))
            .set_description(format!(
                "missed at seeds {}\nreproduce: {}",
                missed.join(", "),
                v.reproduce_command()
            ));
        status
    };
    let mut case = TestCase::new(format!("{} share: {}", v.scenario, v.text), status);
    case.set_classname(v.file.as_str());
    case
}

/// Builds the report from records sorted by [`RunRecord::sort_key`].
pub fn report(records: &[RunRecord], shares: &[ShareVerdict]) -> Report {
    let mut report = Report::new("fletsim");
    for runs in records.chunk_by(|a, b| a.file == b.file && a.scenario == b.scenario) {
        let first = &runs[0];
        let mut suite = TestSuite::new(first.scenario.as_str());
        suite.add_test_cases(runs.iter().map(run_case));
        suite.add_test_cases(
            shares
                .iter()
                .filter(|v| v.file == first.file && v.scenario == first.scenario)
                .map(share_case),
        );
        report.add_test_suite(suite);
    }
    report
}

/// Writes the report as XML.
pub fn write(out: &mut dyn Write, records: &[RunRecord], shares: &[ShareVerdict]) -> std::io::Result<()> {
    let xml = report(records, shares)
        .to_string()
        .map_err(|e| std::io::Error::other(format!("cannot write JUnit XML: {e}")))?;
    out.write_all(xml.as_bytes())?;
    if !xml.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}
