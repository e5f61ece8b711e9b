//! JUnit XML (Jenkins flavour, written by quick-junit) for the test reporters
//! of GitHub, GitLab and Jenkins. The file is valid against Jenkins'
//! `junit-10.xsd` (jenkinsci/xunit-plugin), which allows a `file` on
//! `<testsuite>` but no `file`, `line` or `<properties>` on `<testcase>`.
//!
//! - `<testsuites name="fletsim">`, one `<testsuite>` per scenario: its name,
//!   `file` the scenario file as records spell it, and a property
//!   `digest (seed S)` per run.
//! - One `<testcase>` per scenario and seed: name `SCENARIO (seed S)`,
//!   classname `fletsim.FOLDER.SCENARIO` (the folders of the file, dotted; no
//!   `.yaml`, whose ending reporters would take for a file name).
//! - A failed run has `<failure type="expectation">`: the message is the first
//!   failed expectation with its actual value and the reproduce command; the
//!   body lists every failed expectation, the reproduce command, and two
//!   lines that locate the first failed expectation in the scenario file:
//!   `at FOLDER.Expectation(FILE_NAME:LINE)`, the Java stack-trace element
//!   dorny/test-reporter's `java-junit` parser matches against the tracked
//!   files, and `at PATH:LINE`, which mikepenz/action-junit-report finds
//!   after the testsuite's `file` (both checked with the actions' own code in
//!   `harness/tests/reporters/check.mjs`). Its `<system-out>` holds the
//!   run's trace (the first and last lines).
//! - One more `<testcase>` per share expectation judged over the sweep:
//!   name `SCENARIO share: EXPECTATION`, located at that expectation's line.
//! - One `<testsuite>` per scenario file that failed to load, first, with an
//!   `<error type="load">` testcase: its runs never happened.
//!
//! Every `time` is `0.000`: the file is the same bytes for the same runs,
//! whatever `--jobs`, sharding or the machine, so it holds no wall-clock time
//! (reporters show `NaN` without the attribute). Simulated times are in the trace.

use std::io::Write;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::sweep::ShareVerdict;
use crate::{LoadFailure, RunRecord};

/// The folders of a scenario file, as classname segments: `a/b/x.yaml` → `["a", "b"]`
/// (`.` and `..` dropped, dots inside a folder's name made `_`).
fn folders(file: &str) -> Vec<String> {
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    parts
        .into_iter()
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .map(|p| p.replace('.', "_"))
        .collect()
}

/// The file name of a path, and its stem (no `.yaml` / `.yml`).
fn file_name(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

fn stem(file: &str) -> &str {
    let name = file_name(file);
    name.strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name)
}

/// `fletsim.FOLDER.SCENARIO`: dotted, so reporters group by folder; never ends in a file ending.
pub fn classname(file: &str, scenario: &str) -> String {
    let mut parts = vec!["fletsim".to_string()];
    parts.extend(folders(file));
    parts.push(scenario.replace('.', "_"));
    parts.join(".")
}

/// The lines that point reporters at `file:line` (see the module's documentation).
/// `what` names the Java "class" of the first line (`Expectation`, `Scenario`): dorny's parser
/// needs one starting with a capital after the folders.
pub fn location_lines(file: &str, line: u64, what: &str) -> String {
    let package = folders(file).join(".");
    let java = if package.is_empty() {
        format!("{what}({}:{line})", file_name(file))
    } else {
        format!("{package}.{what}({}:{line})", file_name(file))
    };
    format!("    at {java}\n    at {file}:{line}")
}

/// The testcase of one run.
fn run_case(r: &RunRecord) -> TestCase {
    let status = if r.passed {
        TestCaseStatus::success()
    } else {
        let failed: Vec<String> = r
            .failed_expectations()
            .map(|e| format!("{} (actual: {})", e.text, e.actual))
            .collect();
        let first = match failed.as_slice() {
            [] => "the run failed".to_string(),
            [one] => one.clone(),
            [one, rest @ ..] => format!("{one} and {} more", rest.len()),
        };
        let reproduce = format!("reproduce: {}", r.reproduce_command());
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_type("expectation")
            .set_message(format!("{first}; {reproduce}"))
            .set_description(format!(
                "{}\n{reproduce}\n{}",
                failed.join("\n"),
                location_lines(&r.file, r.line(), "Expectation")
            ));
        status
    };
    let mut case = TestCase::new(format!("{} (seed {})", r.scenario, r.seed), status);
    case.set_classname(classname(&r.file, &r.scenario));
    case.set_time(Duration::ZERO);
    if let Some(trace) = &r.trace {
        case.set_system_out(trace.as_str());
    }
    case
}

/// The testcase of one share expectation.
fn share_case(v: &ShareVerdict) -> TestCase {
    let status = if v.met {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let missed: Vec<String> = v.missed_seeds.iter().map(u64::to_string).collect();
        let reproduce = format!("reproduce: {}", v.reproduce_command());
        status
            .set_type("share-expectation")
            .set_message(format!("{}: {}; {reproduce}", v.text, v.describe()))
            .set_description(format!(
                "missed at seeds {}\n{reproduce}\n{}",
                missed.join(", "),
                location_lines(&v.file, v.line, "Expectation")
            ));
        status
    };
    let mut case = TestCase::new(format!("{} share: {}", v.scenario, v.text), status);
    case.set_classname(classname(&v.file, &v.scenario));
    case.set_time(Duration::ZERO);
    case
}

/// The testsuite of a scenario file that failed to load.
fn load_suite(f: &LoadFailure) -> TestSuite {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status
        .set_type("load")
        .set_message(f.message.as_str())
        .set_description(format!(
            "{}\n{}",
            f.message,
            location_lines(&f.file, f.line_or_first(), "Scenario")
        ));
    let mut case = TestCase::new(format!("{} (load)", stem(&f.file)), status);
    case.set_classname(classname(&f.file, stem(&f.file)));
    case.set_time(Duration::ZERO);
    let mut suite = TestSuite::new(f.file.as_str());
    suite.set_time(Duration::ZERO);
    suite.extra.insert("file".into(), f.file.as_str().into());
    suite.add_test_case(case);
    suite
}

/// Builds the report from records sorted by [`RunRecord::sort_key`].
pub fn report(records: &[RunRecord], shares: &[ShareVerdict], load_failures: &[LoadFailure]) -> Report {
    let mut report = Report::new("fletsim");
    report.set_time(Duration::ZERO);
    report.add_test_suites(load_failures.iter().map(load_suite));
    for runs in records.chunk_by(|a, b| a.file == b.file && a.scenario == b.scenario) {
        let first = &runs[0];
        let mut suite = TestSuite::new(first.scenario.as_str());
        suite.set_time(Duration::ZERO);
        suite.extra.insert("file".into(), first.file.as_str().into());
        suite.add_properties(
            runs.iter()
                .map(|r| Property::new(format!("digest (seed {})", r.seed), r.digest.as_str())),
        );
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
pub fn write(
    out: &mut dyn Write,
    records: &[RunRecord],
    shares: &[ShareVerdict],
    load_failures: &[LoadFailure],
) -> std::io::Result<()> {
    let xml = report(records, shares, load_failures)
        .to_string()
        .map_err(|e| std::io::Error::other(format!("cannot write JUnit XML: {e}")))?;
    let xml = without_root_skipped(xml);
    out.write_all(xml.as_bytes())?;
    if !xml.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// quick-junit always writes `skipped` on `<testsuites>`, which junit-10.xsd does not allow
/// there; fletsim never skips a test, so the attribute is always `"0"` and is dropped.
fn without_root_skipped(xml: String) -> String {
    let Some(start) = xml.find("<testsuites ") else {
        return xml;
    };
    let end = xml[start..].find('>').map_or(xml.len(), |e| start + e);
    match xml[start..end].find(" skipped=\"0\"") {
        Some(at) => {
            let at = start + at;
            format!("{}{}", &xml[..at], &xml[at + " skipped=\"0\"".len()..])
        }
        None => xml,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classnames_are_dotted_folders_without_a_file_ending() {
        assert_eq!(
            classname("scenarios/rule-fetch-lossy-link.yaml", "rule-fetch-lossy-link"),
            "fletsim.scenarios.rule-fetch-lossy-link"
        );
        assert_eq!(classname("./a/b.c/x.yml", "x.v2"), "fletsim.a.b_c.x_v2");
        assert_eq!(classname("x.yaml", "x"), "fletsim.x");
        assert_eq!(classname("../up/x.yaml", "x"), "fletsim.up.x");
    }

    #[test]
    fn location_lines_name_the_file_for_both_reporters() {
        assert_eq!(
            location_lines("scenarios/sub/x.yaml", 12, "Expectation"),
            "    at scenarios.sub.Expectation(x.yaml:12)\n    at scenarios/sub/x.yaml:12"
        );
        assert_eq!(
            location_lines("x.yaml", 3, "Scenario"),
            "    at Scenario(x.yaml:3)\n    at x.yaml:3"
        );
    }
}
