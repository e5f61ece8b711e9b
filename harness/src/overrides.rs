//! `--set PATH=VALUE`: changing a scenario field by its YAML path before validation.
//!
//! Without overrides a scenario is loaded exactly as before ([`scenario_file::load`],
//! with line and column in every error). With overrides the file is first loaded
//! as is (so a broken file still gets located errors), then read again into a
//! generic tree (`serde_json::Value`), each override replaces the value at its
//! path (missing mappings on the way are created; list elements are `[N]`,
//! from 1 like expectations and the paths in error messages: `[0]` is refused
//! with [`sim_core::expect::ONE_BASED`]), and the tree goes through both
//! stages of [`scenario_file::parse`] again: an override is validated exactly
//! like the file. Its errors name the override and the field path instead of a
//! line.

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::bounds::{MAX_SET_BYTES, MAX_SET_PATH_SEGMENTS};
use crate::scenario_file::{self, LoadedScenario, ScenarioError};

/// One step of an override's path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    /// A list element as typed: 1 is the first.
    Index(usize),
}

/// One `--set PATH=VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// As typed.
    pub text: String,
    pub path: Vec<Segment>,
    pub value: Value,
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Override {
    type Err = String;

    fn from_str(text: &str) -> Result<Override, String> {
        let (path, value) = text.split_once('=').ok_or_else(|| {
            format!(
                "`{}`: expected PATH=VALUE, e.g. lan.telework-pc.count=12",
                shortened(text)
            )
        })?;
        // The path's depth first (it is counted without building anything), then the size.
        let path = parse_path(path.trim())?;
        if text.len() > MAX_SET_BYTES {
            return Err(format!(
                "{} bytes: longer than the limit of {MAX_SET_BYTES} bytes for one PATH=VALUE",
                text.len()
            ));
        }
        let value = parse_value(value)?;
        Ok(Override {
            text: text.to_string(),
            path,
            value,
        })
    }
}

/// `a.b[2].c` → keys and indices, at most [`MAX_SET_PATH_SEGMENTS`] of them.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    if path.is_empty() {
        return Err("empty path: expected e.g. lan.telework-pc.count".into());
    }
    // Counted before anything is built: a scenario's deepest field is a few segments deep.
    let segments = 1 + path.bytes().filter(|b| matches!(b, b'.' | b'[')).count();
    if segments > MAX_SET_PATH_SEGMENTS {
        return Err(format!(
            "a path of {segments} segments: deeper than any scenario field (accepted: at most {MAX_SET_PATH_SEGMENTS} segments, e.g. faults[2].every.mean_interval)"
        ));
    }
    let shown = shortened(path);
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && (segments.is_empty() || rest.is_empty()) {
            return Err(format!("`{shown}`: empty key"));
        }
        if !key.is_empty() {
            segments.push(Segment::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("`{shown}`: `[` without `]`"))?;
            let n: usize = rest[1..close].parse().map_err(|_| {
                format!(
                    "`{shown}`: `{}` is not a list index (1, 2, …)",
                    shortened(&rest[..=close])
                )
            })?;
            if n == 0 {
                return Err(format!("`{shown}`: {}", sim_core::expect::ONE_BASED));
            }
            segments.push(Segment::Index(n));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("`{shown}`: expected `.` or `[` after `]`"));
            }
        }
    }
    Ok(segments)
}

/// Text as a message quotes it: whole when short, else its start and its size.
fn shortened(text: &str) -> String {
    const SHOWN: usize = 80;
    if text.len() <= SHOWN + 20 {
        return text.to_string();
    }
    let end = (0..=SHOWN).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// `--set`'s parser for clap: its own message would repeat the whole value (up to 64 KiB);
/// this one quotes at most its start.
#[derive(Clone, Copy, Debug)]
pub struct OverrideParser;

impl clap::builder::TypedValueParser for OverrideParser {
    type Value = Override;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Override, clap::Error> {
        let fail = |why: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for --set: {why}\n"),
            )
            .with_cmd(cmd)
        };
        let text = value.to_str().ok_or_else(|| fail("not UTF-8 text".to_string()))?;
        text.parse::<Override>().map_err(fail)
    }
}

/// The value as YAML would read it: `12` a number, `60s` text, `true` a boolean, `[a, b]` a list.
pub fn parse_value(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str_with_options::<Value>(text, crate::yaml::options()).map_err(|e| {
        format!(
            "`{}` is not a YAML value: {}",
            shortened(text),
            crate::yaml::message(&e)
        )
    })
}

/// The path as typed, from segments.
pub fn path_text(path: &[Segment]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Replaces the value at `path` in `tree`; mappings missing on the way are created.
pub fn apply(tree: &mut Value, path: &[Segment], value: Value) -> Result<(), String> {
    let mut node = tree;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        // Spelled out only for an error message.
        let here = || match path_text(&path[..i]) {
            t if t.is_empty() => "the top level".to_string(),
            t => format!("`{t}`"),
        };
        match seg {
            Segment::Key(k) => {
                if node.is_null() {
                    *node = Value::Object(Map::new());
                }
                let Value::Object(map) = node else {
                    return Err(format!("{} is not a mapping, so it has no key `{k}`", here()));
                };
                if last {
                    map.insert(k.clone(), value);
                    return Ok(());
                }
                node = map.entry(k.clone()).or_insert(Value::Null);
            }
            Segment::Index(n) => {
                let Value::Array(list) = node else {
                    return Err(format!("{} is not a list, so it has no element [{n}]", here()));
                };
                let len = list.len();
                let Some(slot) = n.checked_sub(1).and_then(|i| list.get_mut(i)) else {
                    return Err(format!(
                        "{} has {len} elements: [{n}] is past its end (accepted: [1] to [{len}])",
                        here()
                    ));
                };
                if last {
                    *slot = value;
                    return Ok(());
                }
                node = slot;
            }
        }
    }
    *node = value;
    Ok(())
}

/// Reads a scenario file into a generic tree (after checking it loads as is).
pub fn read_tree(file: &Path) -> Result<Value, ScenarioError> {
    read_tree_and_load(file).map(|(tree, _)| tree)
}

/// [`read_tree`], and the file loaded as it is (its expectations keep their lines).
fn read_tree_and_load(file: &Path) -> Result<(Value, LoadedScenario), ScenarioError> {
    let as_written = scenario_file::load(file)?;
    let whole = |message: String| ScenarioError {
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        path: String::new(),
        message,
    };
    let text = scenario_file::read(file)?;
    let tree = serde_saphyr::from_str_with_options::<Value>(&text, crate::yaml::options())
        .map_err(|e| whole(crate::yaml::message(&e)))?;
    Ok((tree, as_written))
}

/// Validates a generic tree as a scenario file (`file` names it in messages and gives the default name).
pub fn parse_tree(file: &Path, tree: &Value, context: &str) -> Result<LoadedScenario, ScenarioError> {
    // JSON is YAML: the tree goes through exactly the parser and validation a file does.
    let text = serde_json::to_string(tree).map_err(|e| ScenarioError {
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        path: String::new(),
        message: e.to_string(),
    })?;
    scenario_file::parse(file, &text).map_err(|mut e| {
        e.line = 0;
        e.column = 0;
        if !context.is_empty() {
            e.message = format!("{} (with {context})", e.message);
        }
        e
    })
}

/// Loads a scenario file with overrides applied (plain [`scenario_file::load`] when there are none).
pub fn load_with(file: &Path, overrides: &[Override]) -> Result<LoadedScenario, ScenarioError> {
    if overrides.is_empty() {
        return scenario_file::load(file);
    }
    let (mut tree, as_written) = read_tree_and_load(file)?;
    for o in overrides {
        apply(&mut tree, &o.path, o.value.clone()).map_err(|message| ScenarioError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            path: path_text(&o.path),
            message: format!("--set {o}: {message}"),
        })?;
    }
    let context = overrides
        .iter()
        .map(|o| format!("--set {o}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut loaded = parse_tree(file, &tree, &context)?;
    loaded.overrides = overrides.iter().map(|o| o.text.clone()).collect();
    // The tree was parsed from generated text: lines come from the file as written
    // (`expect[i]` stays where it is when an override replaces it; a new one gets 0).
    for (i, e) in loaded.expectations.iter_mut().enumerate() {
        e.line = as_written.expectations.get(i).map_or(0, |w| w.line);
    }
    Ok(loaded)
}

/// Writes a tree as block YAML (fletsim's one emitter, [`reports::yaml`]), top-level keys in
/// the order of the scenario reference.
pub fn to_yaml(tree: &Value) -> String {
    const ORDER: [&str; 13] = [
        "name",
        "description",
        "seed",
        "start",
        "duration",
        "line",
        "links",
        "gateway",
        "aftr",
        "lan",
        "area",
        "faults",
        "expect",
    ];
    reports::yaml::yaml_with_top_order(tree, &ORDER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse_path("faults[2].at").expect("ok"),
            vec![
                Segment::Key("faults".into()),
                Segment::Index(2),
                Segment::Key("at".into())
            ]
        );
        assert!(parse_path("").is_err());
        assert!(parse_path("a[x]").is_err());
        let zero = parse_path("faults[0].at").expect_err("[0] is refused");
        assert!(zero.contains("count from 1"), "{zero}");
        assert!(parse_path("a..b").is_err());
    }

    #[test]
    fn values_are_read_as_yaml() {
        assert_eq!(parse_value("12").expect("ok"), Value::from(12));
        assert_eq!(parse_value("60s").expect("ok"), Value::from("60s"));
        assert_eq!(parse_value("true").expect("ok"), Value::from(true));
        assert_eq!(parse_value("[1, 2]").expect("ok"), serde_json::json!([1, 2]));
    }

    #[test]
    fn apply_creates_mappings_and_checks_lists() {
        let mut t = serde_json::json!({"a": {"b": 1}, "l": [1, 2]});
        apply(&mut t, &parse_path("a.c.d").expect("ok"), Value::from(3)).expect("ok");
        assert_eq!(t["a"]["c"]["d"], Value::from(3));
        apply(&mut t, &parse_path("l[2]").expect("ok"), Value::from(5)).expect("ok");
        assert_eq!(t["l"][1], Value::from(5), "[2] is the second element");
        apply(&mut t, &parse_path("l[1]").expect("ok"), Value::from(7)).expect("ok");
        assert_eq!(t["l"][0], Value::from(7), "[1] is the first element");
        let e = apply(&mut t, &parse_path("l[3]").expect("ok"), Value::from(5)).expect_err("an error");
        assert!(e.contains("2 elements") && e.contains("[1] to [2]"), "{e}");
        let e = apply(&mut t, &parse_path("a.b.x").expect("ok"), Value::from(5)).expect_err("an error");
        assert!(e.contains("not a mapping"), "{e}");
    }

    #[test]
    fn yaml_round_trips() {
        let t = serde_json::json!({
            "duration": "6h", "name": "x", "description": "two\nlines: yes",
            "notes": {"text": "a: b\n\n  c\n"}, "lines": "x\ny # z\n",
            "faults": [{"at": "0s", "distributor_stall": null}, {"at": "1h", "link": {"name": "wan", "loss": "30%"}}],
            "expect": ["ipv4.up_at_end == false"], "seed": 3, "flag": true, "n": "12"
        });
        let text = to_yaml(&t);
        let options = serde_saphyr::options! { strict_booleans: true };
        let back: Value = serde_saphyr::from_str_with_options(&text, options).expect("ok");
        assert_eq!(back, t, "{text}");
        assert!(text.starts_with("name: x\ndescription:"), "{text}");
    }
}
