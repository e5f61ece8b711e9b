//! Outcome snapshots in insta's `.snap` format.
//!
//! A file is a YAML header between `---` lines, then the body:
//!
//! ```text
//! ---
//! source: scenarios/hgw-v6plus-bring-up.yaml
//! expression: outcome of hgw-v6plus-bring-up at seed 1
//! info:
//!   scenario: hgw-v6plus-bring-up
//!   seed: 1
//! ---
//! boots:
//!   - at: 0s
//! ...
//! ```
//!
//! `cargo insta review --workspace-root DIR` reads these files (and their
//! `.snap.new` siblings) like its own. The body is the outcome as YAML with
//! keys in alphabetical order at every level, so the same outcome is the same
//! bytes whatever serde or its features do. `info` names the scenario and
//! seed so `fletsim diff` can pair snapshots with runs.
//!
//! The YAML is [`crate::yaml`]'s, fletsim's one emitter.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use sim_core::Outcome;

use crate::yaml::yaml;

/// Which run a snapshot pins (insta's `info` header field).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    pub scenario: String,
    pub seed: u64,
}

/// The body of an outcome's snapshot: YAML, keys sorted, ending in a newline.
pub fn body(outcome: &Outcome) -> String {
    let value = serde_json::to_value(outcome).unwrap_or(Value::Null);
    yaml(&value)
}

/// The whole `.snap` file for one run of a scenario file.
pub fn file_text(source: &str, info: &SnapshotInfo, body: &str) -> String {
    let header = serde_json::json!({
        "source": source,
        "expression": format!("outcome of {} at seed {}", info.scenario, info.seed),
        "info": {"scenario": info.scenario, "seed": info.seed},
    });
    // Insta writes its header in this order: source, expression, info.
    let mut text = String::from("---\n");
    for key in ["source", "expression", "info"] {
        let mut one = serde_json::Map::new();
        one.insert(key.to_string(), header[key].clone());
        text.push_str(&yaml(&Value::Object(one)));
    }
    text.push_str("---\n");
    text.push_str(body.trim_end());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_has_an_insta_header() {
        let info = SnapshotInfo {
            scenario: "demo".into(),
            seed: 7,
        };
        let text = file_text("scenarios/demo.yaml", &info, "a: 1\n");
        assert_eq!(
            text,
            "---\nsource: scenarios/demo.yaml\nexpression: \"outcome of demo at seed 7\"\ninfo:\n  scenario: demo\n  seed: 7\n---\na: 1\n"
        );
    }
}
