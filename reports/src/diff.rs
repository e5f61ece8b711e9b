//! The semantic diff of two sets of outcomes: per scenario and seed, the
//! outcome paths whose values changed, with old and new values
//! (`ipv4.first_up: 2m14s -> never`), the runs only one side has, and a
//! one-line summary.
//!
//! Paths are spelled as expectations spell them: fields joined by `.`, list
//! items from 1 (`boots[2].ipv4_up`). Values print as expectations show
//! them: `null` is `never`, text without quotes; a path one side lacks shows
//! `(absent)`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::Value;

use crate::text::Palette;

/// A run on either side: scenario name and seed.
pub type RunKey = (String, u64);

/// One changed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub old: String,
    pub new: String,
}

/// The difference between two sets of outcomes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutcomeDiff {
    /// Runs on both sides whose outcomes differ, with what changed.
    pub changed: Vec<(RunKey, Vec<Change>)>,
    pub only_old: Vec<RunKey>,
    pub only_new: Vec<RunKey>,
    pub unchanged: usize,
}

impl OutcomeDiff {
    pub fn is_identical(&self) -> bool {
        self.changed.is_empty() && self.only_old.is_empty() && self.only_new.is_empty()
    }

    /// `2 changed, 1 only in old, 0 only in new, 5 unchanged`.
    pub fn summary(&self) -> String {
        format!(
            "{} changed, {} only in old, {} only in new, {} unchanged",
            self.changed.len(),
            self.only_old.len(),
            self.only_new.len(),
            self.unchanged
        )
    }
}

/// Compares every run of `old` with the same scenario and seed in `new`.
pub fn diff(old: &BTreeMap<RunKey, Value>, new: &BTreeMap<RunKey, Value>) -> OutcomeDiff {
    let mut d = OutcomeDiff::default();
    for (key, a) in old {
        match new.get(key) {
            None => d.only_old.push(key.clone()),
            Some(b) => {
                let changes = diff_values(a, b);
                if changes.is_empty() {
                    d.unchanged += 1;
                } else {
                    d.changed.push((key.clone(), changes));
                }
            }
        }
    }
    d.only_new = new.keys().filter(|k| !old.contains_key(*k)).cloned().collect();
    d
}

/// The paths where two outcomes differ, in document order (keys sorted, list items in order).
pub fn diff_values(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    walk(&mut String::new(), Some(old), Some(new), &mut changes);
    changes
}

fn walk(path: &mut String, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(path, a.get(k), b.get(k), out);
                path.truncate(len);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            if a.len() != b.len() {
                out.push(Change {
                    path: format!("{path} (items)"),
                    old: a.len().to_string(),
                    new: b.len().to_string(),
                });
            }
            for i in 0..a.len().max(b.len()) {
                let len = path.len();
                path.push_str(&format!("[{}]", i + 1));
                walk(path, a.get(i), b.get(i), out);
                path.truncate(len);
            }
        }
        (a, b) => {
            let (old, new) = (a.map_or_else(absent, show), b.map_or_else(absent, show));
            if old != new {
                out.push(Change {
                    path: if path.is_empty() {
                        "(outcome)".to_string()
                    } else {
                        path.clone()
                    },
                    old,
                    new,
                });
            }
        }
    }
}

fn absent() -> String {
    "(absent)".to_string()
}

/// A value as expectations show it.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "never".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes the diff: a block per changed run, the one-sided runs, then the summary line.
pub fn write(out: &mut dyn Write, d: &OutcomeDiff, palette: Palette) -> io::Result<()> {
    for ((scenario, seed), changes) in &d.changed {
        writeln!(out, "{}  {scenario} (seed {seed})", palette.unsure("changed"))?;
        for c in changes {
            writeln!(
                out,
                "    {}: {} -> {}",
                c.path,
                palette.bad(&c.old),
                palette.good(&c.new)
            )?;
        }
    }
    for (scenario, seed) in &d.only_old {
        writeln!(out, "{}  {scenario} (seed {seed})", palette.bad("only in old"))?;
    }
    for (scenario, seed) in &d.only_new {
        writeln!(out, "{}  {scenario} (seed {seed})", palette.good("only in new"))?;
    }
    writeln!(
        out,
        "{}: {}",
        if d.is_identical() {
            "identical"
        } else {
            "different"
        },
        d.summary()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_paths_are_named_like_expectations() {
        let old = json!({"ipv4": {"first_up": "2m14s"}, "gateway": {"reboots": {"spontaneous": 41}},
                         "boots": [{"at": "0s"}, {"at": "3h"}]});
        let new = json!({"ipv4": {"first_up": null}, "gateway": {"reboots": {"spontaneous": 38}},
                         "boots": [{"at": "0s"}]});
        let changes: Vec<String> = diff_values(&old, &new)
            .into_iter()
            .map(|c| format!("{}: {} -> {}", c.path, c.old, c.new))
            .collect();
        assert_eq!(
            changes,
            [
                "boots (items): 2 -> 1",
                "boots[2]: {\"at\":\"3h\"} -> (absent)",
                "gateway.reboots.spontaneous: 41 -> 38",
                "ipv4.first_up: 2m14s -> never",
            ]
        );
    }

    #[test]
    fn one_sided_runs_and_the_summary() {
        let a = BTreeMap::from([
            (("x".to_string(), 1), json!({"v": 1})),
            (("y".to_string(), 1), json!({})),
        ]);
        let b = BTreeMap::from([
            (("x".to_string(), 1), json!({"v": 1})),
            (("z".to_string(), 2), json!({})),
        ]);
        let d = diff(&a, &b);
        assert!(!d.is_identical());
        assert_eq!(
            d.summary(),
            "0 changed, 1 only in old, 1 only in new, 1 unchanged"
        );
        let mut text = Vec::new();
        write(&mut text, &d, Palette::plain()).expect("write");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(text.contains("only in old  y (seed 1)\n"), "{text}");
        assert!(
            text.ends_with("different: 0 changed, 1 only in old, 1 only in new, 1 unchanged\n"),
            "{text}"
        );
        assert!(diff(&a, &a).is_identical());
    }
}
