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
//! Scalars are written plain when no YAML reader could take them for
//! anything but a string (see [`plain_is_safe`]), else double-quoted with
//! JSON escapes; `null` is `null`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use sim_core::Outcome;

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

/// Writes a JSON value as block YAML, keys sorted.
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, value, 0),
        Value::Array(items) if !items.is_empty() => write_list(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Whether a node is written on its own lines below its key (a non-empty map or list).
fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// A map's entries at `level` spaces; the first line's indentation is the caller's when `first_inline`.
fn write_entries(out: &mut String, map: &serde_json::Map<String, Value>, level: usize, first_inline: bool) {
    for (i, (key, v)) in sorted(map).into_iter().enumerate() {
        if i > 0 || !first_inline {
            indent(out, level);
        }
        out.push_str(&string(key));
        out.push(':');
        if is_block(v) {
            out.push('\n');
            match v {
                Value::Object(_) => write_map(out, v, level + 2),
                Value::Array(items) => write_list(out, items, level + 2),
                _ => {}
            }
        } else {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

fn write_map(out: &mut String, v: &Value, level: usize) {
    if let Value::Object(map) = v {
        write_entries(out, map, level, false);
    }
}

fn write_list(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                write_entries(out, map, level + 2, true);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(out, inner, level + 2);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
    }
}

fn string(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
    }
}

/// Whether `s` reads back as the same string when written unquoted, under
/// YAML 1.1 and 1.2 alike. Two shapes qualify:
/// - a word: an ASCII letter, then letters, digits and `_ . - / + @`, and not
///   one of the words YAML 1.1 reads as booleans or null (`yes`, `off`, `null`…);
/// - a duration as outcomes print them: digit groups each followed by a unit
///   (`2m14.302s`, `250ms`, `1d3h`), which no YAML schema reads as a number.
///
/// Anything else (addresses, hex digests starting with a digit, text with
/// spaces or `:`) is quoted.
pub fn plain_is_safe(s: &str) -> bool {
    const RESERVED: [&str; 11] = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_ascii_alphabetic() {
        return s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/+@".contains(c))
            && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
    }
    is_duration_text(s)
}

fn is_duration_text(s: &str) -> bool {
    const UNITS: [&str; 7] = ["ns", "us", "ms", "d", "h", "m", "s"];
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return false;
            }
            rest = &frac[n..];
        }
        match UNITS.iter().find(|u| rest.starts_with(**u)) {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_sorts_keys_and_nests_blocks() {
        let v = json!({
            "b": {"w": 1, "x": [ {"k": "2m14.302s", "a": null}, 3, [], {} ]},
            "a": "power-on",
            "c": []
        });
        assert_eq!(
            yaml(&v),
            "a: power-on\nb:\n  w: 1\n  x:\n    - a: null\n      k: 2m14.302s\n    - 3\n    - []\n    - {}\nc: []\n"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "yes",
            "No",
            "null",
            "",
            "106.72.63.108",
            "240b:10::/56",
            "1234",
            "1e5",
            "0x1f",
            "a b",
            "12:30",
        ] {
            assert!(!plain_is_safe(s), "{s} must be quoted");
        }
        for s in [
            "none",
            "software-distribution",
            "2m14.302s",
            "250ms",
            "1d3h",
            "xg-100ne",
            "a3f0c9",
        ] {
            assert!(plain_is_safe(s), "{s} can be plain");
        }
        assert_eq!(
            yaml(&json!({"address": "106.72.63.108"})),
            "address: \"106.72.63.108\"\n"
        );
    }

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
