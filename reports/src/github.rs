//! GitHub Actions workflow commands: an `::error` annotation for each failed
//! expectation, missed share expectation and scenario that failed to load, so
//! the pull request shows it on the scenario file's line.
//!
//! `::error file=F,line=L,title=T::MESSAGE` (docs.github.com, "Workflow
//! commands for GitHub Actions"). Values are escaped as the runner's toolkit
//! does (`@actions/core` `command.ts`): `%`, `\r` and `\n` in the message;
//! those and `:` and `,` in properties. GitHub shows at most 10 error
//! annotations per step, so after [`MAX_ANNOTATIONS`] one `::notice` counts
//! the rest.

use std::io::{self, Write};

use crate::sweep::ShareVerdict;
use crate::{LoadFailure, RunRecord};

/// Error annotations written at most (GitHub shows 10 per step, 50 per job).
pub const MAX_ANNOTATIONS: usize = 10;

/// A message escaped for a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property value escaped for a workflow command.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation: where, a title, and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    pub file: String,
    pub line: u64,
    pub title: String,
    pub message: String,
}

impl Annotation {
    /// The workflow command line, newline included.
    pub fn command(&self) -> String {
        format!(
            "::error file={},line={},title={}::{}\n",
            escape_property(&self.file),
            self.line,
            escape_property(&self.title),
            escape_data(&self.message)
        )
    }
}

/// The annotations of a suite, in report order: load failures, then each failed
/// expectation of each run, then each missed share expectation.
pub fn annotations(
    records: &[RunRecord],
    shares: &[ShareVerdict],
    load_failures: &[LoadFailure],
) -> Vec<Annotation> {
    let mut all: Vec<Annotation> = load_failures
        .iter()
        .map(|f| Annotation {
            file: f.file.clone(),
            line: f.line_or_first(),
            title: format!("{} failed to load", f.file),
            message: f.message.clone(),
        })
        .collect();
    for r in records.iter().filter(|r| !r.passed) {
        for e in r.failed_expectations() {
            all.push(Annotation {
                file: r.file.clone(),
                line: e.line.filter(|l| *l > 0).unwrap_or(1),
                title: format!("{} (seed {})", r.scenario, r.seed),
                message: format!(
                    "{} (actual: {})\nreproduce: {}",
                    e.text,
                    e.actual,
                    r.reproduce_command()
                ),
            });
        }
    }
    for v in shares.iter().filter(|v| !v.met) {
        all.push(Annotation {
            file: v.file.clone(),
            line: v.line,
            title: format!("{} share", v.scenario),
            message: format!(
                "{}: {}\nreproduce: {}",
                v.text,
                v.describe(),
                v.reproduce_command()
            ),
        });
    }
    all
}

/// Writes at most [`MAX_ANNOTATIONS`] error commands, then a notice counting the rest.
pub fn write(
    out: &mut dyn Write,
    records: &[RunRecord],
    shares: &[ShareVerdict],
    load_failures: &[LoadFailure],
) -> io::Result<()> {
    let all = annotations(records, shares, load_failures);
    for a in all.iter().take(MAX_ANNOTATIONS) {
        out.write_all(a.command().as_bytes())?;
    }
    if all.len() > MAX_ANNOTATIONS {
        writeln!(
            out,
            "::notice title=fletsim::{} more failures are not annotated (GitHub shows {MAX_ANNOTATIONS} per step); the JUnit and Markdown reports list them all",
            all.len() - MAX_ANNOTATIONS
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_as_the_toolkit_does() {
        let a = Annotation {
            file: "s/a,b:c.yaml".into(),
            line: 7,
            title: "x (seed 1)".into(),
            message: "100% up\r\nnext: line, more".into(),
        };
        assert_eq!(
            a.command(),
            "::error file=s/a%2Cb%3Ac.yaml,line=7,title=x (seed 1)::100%25 up%0D%0Anext: line, more\n"
        );
    }
}
