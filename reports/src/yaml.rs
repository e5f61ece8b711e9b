//! fletsim's one YAML emitter: a JSON value (an outcome, a scenario tree) as
//! block YAML that every YAML reader reads back as the same value.
//!
//! - Keys are in alphabetical order at every level, so the same value is the
//!   same bytes whatever serde or its features do ([`yaml`]); a scenario puts
//!   its top-level keys in the reference's order first ([`yaml_with_top_order`]).
//! - Scalars are written plain when no YAML reader could take them for
//!   anything but a string (see [`plain_is_safe`]), else double-quoted with
//!   JSON escapes; `null` is `null`.
//! - A multi-line text that a literal block keeps exactly (`|`: one final
//!   newline, no trailing spaces, no control characters) is written as one,
//!   so a scenario's description reads as it was written.
//!
//! Snapshots ([`crate::snapshot`]) and the scenarios `fletsim bisect` prints
//! are written here; nothing else in fletsim writes YAML.

use serde_json::Value;

/// Writes a JSON value as block YAML, keys sorted.
pub fn yaml(value: &Value) -> String {
    yaml_with_top_order(value, &[])
}

/// Like [`yaml`], with the top level's keys named in `first` written first, in
/// that order (the rest follow, sorted).
pub fn yaml_with_top_order(value: &Value, first: &[&str]) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_entries(&mut out, map, 0, false, first),
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

/// A map's entries, the keys named in `first` first (in its order), then the rest sorted.
fn ordered<'a>(map: &'a serde_json::Map<String, Value>, first: &[&str]) -> Vec<(&'a String, &'a Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    let rank = |k: &str| first.iter().position(|f| *f == k).unwrap_or(first.len());
    entries.sort_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
    entries
}

/// Whether a string is written as a literal block (`|`), which keeps it exactly.
fn is_literal_block(s: &str) -> bool {
    s.contains('\n')
        && s.ends_with('\n')
        && !s.ends_with("\n\n")
        && !s.starts_with([' ', '\n'])
        && s.chars().all(|c| c == '\n' || !c.is_control())
        && s.lines().all(|l| !l.ends_with(' '))
}

/// A map's entries at `level` spaces; the first line's indentation is the caller's when `first_inline`.
fn write_entries(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
    level: usize,
    first_inline: bool,
    first: &[&str],
) {
    for (i, (key, v)) in ordered(map, first).into_iter().enumerate() {
        if i > 0 || !first_inline {
            indent(out, level);
        }
        out.push_str(&string(key));
        out.push(':');
        if let Value::String(text) = v
            && is_literal_block(text)
        {
            out.push_str(" |\n");
            for line in text.lines() {
                if !line.is_empty() {
                    indent(out, level + 2);
                    out.push_str(line);
                }
                out.push('\n');
            }
        } else if is_block(v) {
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
        write_entries(out, map, level, false, &[]);
    }
}

fn write_list(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                write_entries(out, map, level + 2, true, &[]);
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
    fn top_keys_can_come_first_in_a_given_order() {
        let v = json!({"expect": ["a"], "name": "x", "duration": "6h", "zeta": 1, "alpha": 2});
        assert_eq!(
            yaml_with_top_order(&v, &["name", "duration", "expect"]),
            "name: x\nduration: 6h\nexpect:\n  - a\nalpha: 2\nzeta: 1\n"
        );
    }

    #[test]
    fn multi_line_text_is_a_literal_block_and_reads_back() {
        let v = json!({
            "description": "two\nlines: yes\n\nafter a gap\n",
            "items": [{"note": "a\nb\n", "k": 1}],
            "kept_quoted": "no final newline\nhere",
            "trailing": "space \nhere\n",
        });
        let text = yaml(&v);
        assert!(
            text.starts_with("description: |\n  two\n  lines: yes\n\n  after a gap\n"),
            "{text}"
        );
        assert!(
            text.contains("  - k: 1\n    note: |\n      a\n      b\n"),
            "{text}"
        );
        assert!(
            text.contains("kept_quoted: \"no final newline\\nhere\"\n"),
            "{text}"
        );
        let back: Value = serde_saphyr::from_str(&text).expect("reads back");
        assert_eq!(back, v, "{text}");
    }
}
