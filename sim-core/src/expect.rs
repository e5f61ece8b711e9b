//! Expectations: short statements over outcome paths, judged after a run.
//!
//! `PATH OP VALUE`, e.g. `ipv4.first_up <= 3m`, `ipv4.first_up == never`,
//! `gateway.stuck_at == software-distribution`, `ipv6.availability >= 99.5%`,
//! `boots[2].ipv4_up > 10m`, `boots[last].cause == user`.
//!
//! The right side may also be another path (`ipv6.last_up_at < ipv4.last_up_at`):
//! any text with a `.` or `[` that does not start with a digit.
//!
//! Paths walk the outcome's JSON form: `a.b` for fields, `[N]` (from 1) or
//! `[last]` for list items. The value's kind decides how the outcome's field
//! is read: a duration (`90s`, `never`), a number (`3`, `2.5`, `99%`), a
//! boolean, or a name.
//!
//! [`Expectation::check`] refuses, before a run, what could never hold: a path
//! the outcome lacks, a whole group of fields or list compared, an index past
//! a fixed list (`gateway.reboots.hours[25]`), a value of the wrong kind, a
//! name the field never takes (`gateway.stuck_at == banana`).

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

use crate::outcome::{self, TextField};
use crate::time::{CivilDateTime, SimDuration};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    const ALL: [(&'static str, Op); 6] = [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    pub fn symbol(self) -> &'static str {
        Op::ALL.iter().find(|(_, o)| *o == self).map_or("?", |(s, _)| s)
    }
    fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
        }
    }
    fn is_ordering(self) -> bool {
        !matches!(self, Op::Eq | Op::Ne)
    }
}

/// The right-hand side of an expectation.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A duration; `None` is `never`, later than every duration.
    Duration(Option<SimDuration>),
    Number(f64),
    Bool(bool),
    Name(String),
    /// A local calendar time (`2021-07-14`, `2021-07-14 03:00`), for `gateway.reboots.times[N]`
    /// and `boots[N].date`.
    DateTime(CivilDateTime),
    /// Another outcome path, compared by the kind of value found there.
    Path(Vec<Segment>),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Duration(Some(d)) => write!(f, "{d}"),
            Literal::Duration(None) => f.write_str("never"),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Name(s) => f.write_str(s),
            Literal::DateTime(t) => write!(f, "{t}"),
            Literal::Path(p) => f.write_str(&path_text(p)),
        }
    }
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    /// A list item, from 1.
    Item(usize),
    Last,
}

/// A parsed expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// The text as written.
    pub text: String,
    pub path: Vec<Segment>,
    pub op: Op,
    pub value: Literal,
}

/// fletsim's one index base, as every message about a `[0]` says it: expectations, `--set`
/// paths, error messages' field paths, `fletsim diff` and `bisect` all count list items from 1.
pub const ONE_BASED: &str = "list items count from 1 in fletsim ([1] is the first, [last] the last), in expectations, --set paths and messages alike";

/// Why an expectation's text did not parse, or its path does not exist.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExpectError {
    #[error("expected `PATH OP VALUE` with OP one of == != < <= > >= (e.g. `ipv4.first_up <= 3m`)")]
    Shape,
    #[error("bad path `{0}` (fields joined by `.`, list items as `[1]` or `[last]`)")]
    Path(String),
    #[error("`{0}`: {ONE_BASED}")]
    ZeroIndex(String),
    #[error(
        "`{0}` is not a value (accepted: a duration like 90s or `never`, a number, a percentage like 99.5%, true/false, or a name like software-distribution)"
    )]
    Value(String),
    #[error("`{op}` needs a duration or a number, not `{value}`")]
    Unordered { op: &'static str, value: String },
    #[error("the outcome has no `{path}`; at `{at}` it has: {available}")]
    UnknownPath {
        path: String,
        at: String,
        available: String,
    },
    #[error("`{path}` is {what}")]
    NotAValue { path: String, what: String },
    #[error(
        "`{path}` has {len} items: [{index}] is past its end (accepted: [1] to [{len}], or [last]; {counting})"
    )]
    IndexOutOfRange {
        path: String,
        index: usize,
        len: usize,
        counting: &'static str,
    },
    #[error("`{path}` is {kind}: `{value}` can never match it (accepted: {accepted})")]
    WrongValue {
        path: String,
        kind: &'static str,
        value: String,
        accepted: String,
    },
    #[error("`{left}` is {left_kind} but `{right}` is {right_kind}: they never compare")]
    Incomparable {
        left: String,
        left_kind: &'static str,
        right: String,
        right_kind: &'static str,
    },
}

/// What an outcome path leads to, as far as the outcome's shape and [`text_field`] tell.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Number,
    Bool,
    Duration,
    Name(Vec<&'static str>),
    Text,
    DateTime,
    /// A group of fields (their names).
    Mapping(Vec<String>),
    /// A list (its fixed length, if it has one).
    List(Option<usize>),
    /// Below an empty list, or a field the checks do not know: anything goes.
    Unknown,
}

impl Kind {
    /// The kind as a message says it.
    fn noun(&self) -> &'static str {
        match self {
            Kind::Number => "a number",
            Kind::Bool => "true or false",
            Kind::Duration => "a duration",
            Kind::Name(_) => "a name",
            Kind::Text => "text",
            Kind::DateTime => "a calendar time",
            Kind::Mapping(_) => "a group of fields",
            Kind::List(_) => "a list",
            Kind::Unknown => "a value",
        }
    }

    /// Whether two kinds compare with each other (`a < b` with paths on both sides).
    fn compares_with(&self, other: &Kind) -> bool {
        match (self, other) {
            (Kind::Unknown, _) | (_, Kind::Unknown) => true,
            (Kind::Name(_) | Kind::Text, Kind::Name(_) | Kind::Text) => true,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Expectation {
    pub fn parse(text: &str) -> Result<Expectation, ExpectError> {
        let trimmed = text.trim();
        let (at, symbol, op) = Op::ALL
            .iter()
            .filter_map(|(s, o)| trimmed.find(s).map(|i| (i, *s, *o)))
            .min_by_key(|(i, s, _)| (*i, std::cmp::Reverse(s.len())))
            .ok_or(ExpectError::Shape)?;
        let lhs = trimmed[..at].trim();
        let rhs = trimmed[at + symbol.len()..].trim();
        if lhs.is_empty() || rhs.is_empty() || Op::ALL.iter().any(|(s, _)| rhs.contains(s)) {
            return Err(ExpectError::Shape);
        }
        let path = parse_path(lhs)?;
        let value = parse_literal(rhs)?;
        if op.is_ordering() && matches!(value, Literal::Bool(_) | Literal::Name(_)) {
            return Err(ExpectError::Unordered {
                op: op.symbol(),
                value: rhs.to_string(),
            });
        }
        Ok(Expectation {
            text: trimmed.to_string(),
            path,
            op,
            value,
        })
    }

    /// The path as text, e.g. `boots[2].ipv4_up`.
    pub fn path_text(&self) -> String {
        path_text(&self.path)
    }

    /// Checks, before a run, that the expectation can hold in an outcome of this shape (the
    /// outcome's JSON form at time zero; lists may be of any length unless fixed): its path
    /// exists and leads to a value (not a group of fields or a list), an index of a fixed list
    /// is within it, and the value compared is of the path's kind (a name among the names the
    /// field can take, a duration for a duration, ...).
    pub fn check(&self, shape: &Value) -> Result<(), ExpectError> {
        let kind = kind_at(&self.path, shape)?;
        let path = path_text(&self.path);
        not_a_group(&kind, &path)?;
        match &self.value {
            Literal::Path(other) => {
                let other_kind = kind_at(other, shape)?;
                let other_text = path_text(other);
                not_a_group(&other_kind, &other_text)?;
                if !kind.compares_with(&other_kind) {
                    return Err(ExpectError::Incomparable {
                        left: path,
                        left_kind: kind.noun(),
                        right: other_text,
                        right_kind: other_kind.noun(),
                    });
                }
                Ok(())
            }
            literal => check_literal(&kind, &path, literal),
        }
    }

    /// Judges the expectation against an outcome's JSON form.
    pub fn judge(&self, outcome: &Value) -> Verdict {
        let Some(actual) = lookup(outcome, &self.path) else {
            return Verdict {
                passed: false,
                actual: "<missing>".to_string(),
            };
        };
        let shown = show(actual);
        let ord = match &self.value {
            Literal::Path(other) => match lookup(outcome, other) {
                Some(rhs) => compare_values(actual, rhs),
                None => {
                    return Verdict {
                        passed: false,
                        actual: format!("{shown} vs <missing>"),
                    };
                }
            },
            literal => compare_literal(actual, literal),
        };
        let shown = match &self.value {
            Literal::Path(other) => format!(
                "{shown} vs {}",
                lookup(outcome, other).map_or_else(String::new, show)
            ),
            _ => shown,
        };
        Verdict {
            passed: ord.is_some_and(|o| self.op.holds(o)),
            actual: shown,
        }
    }
}

/// Refuses a comparison of a whole group of fields or a whole list.
fn not_a_group(kind: &Kind, path: &str) -> Result<(), ExpectError> {
    let what = match kind {
        Kind::Mapping(fields) => format!(
            "a group of fields ({}), not a value: compare one of them, e.g. `{path}.{}`",
            fields.join(", "),
            fields.first().map_or("…", String::as_str)
        ),
        Kind::List(Some(len)) => {
            format!("a list of {len} items, not a value: compare one item, e.g. `{path}[1]`")
        }
        Kind::List(None) => {
            format!("a list, not a value: compare one item, e.g. `{path}[1]` or `{path}[last]`")
        }
        _ => return Ok(()),
    };
    Err(ExpectError::NotAValue {
        path: path.to_string(),
        what,
    })
}

/// Refuses a literal the path's value can never equal or be ordered against.
fn check_literal(kind: &Kind, path: &str, literal: &Literal) -> Result<(), ExpectError> {
    let fits = match (kind, literal) {
        (Kind::Unknown, _) => true,
        (Kind::Number, Literal::Number(_)) => true,
        (Kind::Bool, Literal::Bool(_)) => true,
        (Kind::Duration, Literal::Duration(_)) => true,
        (Kind::Name(names), Literal::Name(n)) => names.contains(&n.as_str()),
        (Kind::Text, Literal::Name(_)) => true,
        // Quoted, a time is compared as the text the outcome shows.
        (Kind::DateTime, Literal::DateTime(_) | Literal::Name(_)) => true,
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let accepted = match kind {
        Kind::Number => "a number like 3, 2.5 or 99.5%".to_string(),
        Kind::Bool => "true or false".to_string(),
        Kind::Duration => "a duration like 90s or 5m, or never".to_string(),
        Kind::Name(names) => names.join(", "),
        Kind::DateTime => "a calendar time like 2021-07-14 or 2021-07-14 03:00:00".to_string(),
        _ => "text; put it in quotes if it looks like a number or a duration, e.g. \"12\"".to_string(),
    };
    Err(ExpectError::WrongValue {
        path: path.to_string(),
        kind: kind.noun(),
        value: literal.to_string(),
        accepted,
    })
}

/// Walks a path through the outcome's shape to the kind of what it leads to.
fn kind_at(path: &[Segment], shape: &Value) -> Result<Kind, ExpectError> {
    // `None` below an empty list: nothing more can be checked there.
    let mut node = Some(shape);
    // The path with list items as `[]`, as `text_field` and `fixed_list` take it.
    let mut pattern = String::new();
    for (i, seg) in path.iter().enumerate() {
        let Some(here) = node else {
            if let Segment::Field(name) = seg {
                if !pattern.is_empty() {
                    pattern.push('.');
                }
                pattern.push_str(name);
            } else {
                pattern.push_str("[]");
            }
            continue;
        };
        let unknown = || {
            let available = match here {
                Value::Object(map) => map.keys().cloned().collect::<Vec<_>>().join(", "),
                Value::Array(_) => "list items [1], [2], …, [last]".to_string(),
                _ => "nothing below it (it is a value)".to_string(),
            };
            let at = if i == 0 {
                "the top".to_string()
            } else {
                path_text(&path[..i])
            };
            ExpectError::UnknownPath {
                path: path_text(path),
                at,
                available,
            }
        };
        match (seg, here) {
            (Segment::Field(name), Value::Object(map)) => {
                node = Some(map.get(name).ok_or_else(unknown)?);
                if !pattern.is_empty() {
                    pattern.push('.');
                }
                pattern.push_str(name);
            }
            (Segment::Item(_) | Segment::Last, Value::Array(items)) => {
                if let (Segment::Item(n), Some((len, counting))) = (seg, outcome::fixed_list(&pattern))
                    && *n > len
                {
                    return Err(ExpectError::IndexOutOfRange {
                        path: path_text(&path[..i]),
                        index: *n,
                        len,
                        counting,
                    });
                }
                node = items.first();
                pattern.push_str("[]");
            }
            _ => return Err(unknown()),
        }
    }
    let text = || match outcome::text_field(&pattern) {
        Some(TextField::Duration) => Kind::Duration,
        Some(TextField::Name(names)) => Kind::Name(names),
        Some(TextField::Free) => Kind::Text,
        Some(TextField::DateTime) => Kind::DateTime,
        None => Kind::Unknown,
    };
    Ok(match node {
        Some(Value::Object(map)) => Kind::Mapping(map.keys().cloned().collect()),
        Some(Value::Array(_)) => Kind::List(outcome::fixed_list(&pattern).map(|(len, _)| len)),
        Some(Value::Number(_)) => Kind::Number,
        Some(Value::Bool(_)) => Kind::Bool,
        Some(Value::String(_) | Value::Null) | None => text(),
    })
}

/// Compares an outcome value with a literal, by the literal's kind; `None` when they do not compare.
fn compare_literal(actual: &Value, literal: &Literal) -> Option<Ordering> {
    match (literal, actual) {
        (Literal::Duration(want), Value::Null) => Some(compare_durations(None, *want)),
        (Literal::Duration(want), Value::String(s)) => SimDuration::parse(s)
            .ok()
            .map(|d| compare_durations(Some(d), *want)),
        (Literal::Number(want), Value::Number(n)) => n.as_f64().and_then(|x| x.partial_cmp(want)),
        (Literal::Bool(want), Value::Bool(b)) => Some(b.cmp(want)),
        (Literal::Name(want), Value::String(s)) => Some(s.as_str().cmp(want.as_str())),
        (Literal::DateTime(want), Value::String(s)) => CivilDateTime::parse(s).map(|t| t.cmp(want)),
        _ => None,
    }
}

/// Compares two outcome values of the same kind (durations, `null` = never, numbers, names, booleans).
fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    let as_duration = |v: &Value| match v {
        Value::Null => Some(None),
        Value::String(s) => SimDuration::parse(s).ok().map(Some),
        _ => None,
    };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => match (as_duration(a), as_duration(b)) {
            (Some(x), Some(y)) => Some(compare_durations(x, y)),
            _ => match (a, b) {
                (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                _ => None,
            },
        },
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether an expectation held, and the value it saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub passed: bool,
    pub actual: String,
}

fn compare_durations(actual: Option<SimDuration>, want: Option<SimDuration>) -> Ordering {
    // `never` is later than every duration.
    match (actual, want) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => a.cmp(&b),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "never".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn lookup<'v>(root: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    let mut node = root;
    for seg in path {
        node = match (seg, node) {
            (Segment::Field(name), Value::Object(map)) => map.get(name)?,
            (Segment::Item(n), Value::Array(items)) => items.get(n.checked_sub(1)?)?,
            (Segment::Last, Value::Array(items)) => items.last()?,
            _ => return None,
        };
    }
    Some(node)
}

fn path_text(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Item(n) => out.push_str(&format!("[{n}]")),
            Segment::Last => out.push_str("[last]"),
        }
    }
    out
}

fn parse_path(text: &str) -> Result<Vec<Segment>, ExpectError> {
    let bad = || ExpectError::Path(text.to_string());
    let mut path = Vec::new();
    for part in text.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return Err(bad());
        }
        path.push(Segment::Field(name.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(bad)?;
            let inner = rest.get(1..close).ok_or_else(bad)?;
            path.push(match inner {
                "last" => Segment::Last,
                n => match n.parse::<usize>() {
                    Ok(i) if i >= 1 => Segment::Item(i),
                    Ok(_) => return Err(ExpectError::ZeroIndex(text.to_string())),
                    Err(_) => return Err(bad()),
                },
            });
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad());
            }
        }
    }
    Ok(path)
}

fn parse_literal(text: &str) -> Result<Literal, ExpectError> {
    let unquoted = text.trim_matches(|c| c == '"' || c == '\'');
    if text.len() >= 2 && unquoted.len() + 2 == text.len() {
        return Ok(Literal::Name(unquoted.to_string()));
    }
    match text {
        "never" => return Ok(Literal::Duration(None)),
        "true" => return Ok(Literal::Bool(true)),
        "false" => return Ok(Literal::Bool(false)),
        _ => {}
    }
    if text.len() >= 10
        && let Some(t) = CivilDateTime::parse(text)
    {
        return Ok(Literal::DateTime(t));
    }
    if text.parse::<std::net::IpAddr>().is_ok() {
        // An address compares as a name: `ipv4.address == 106.72.63.108`.
        return Ok(Literal::Name(text.to_string()));
    }
    if let Some(pct) = text.strip_suffix('%') {
        return pct
            .trim()
            .parse::<f64>()
            .map(Literal::Number)
            .map_err(|_| ExpectError::Value(text.into()));
    }
    if let Ok(n) = text.parse::<f64>()
        && n.is_finite()
    {
        return Ok(Literal::Number(n));
    }
    if text.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return SimDuration::parse(text)
            .map(|d| Literal::Duration(Some(d)))
            .map_err(|_| ExpectError::Value(text.into()));
    }
    if text.contains(['.', '[']) && text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return parse_path(text)
            .map(Literal::Path)
            .map_err(|_| ExpectError::Value(text.into()));
    }
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':' || c == '/')
    {
        return Ok(Literal::Name(text.to_string()));
    }
    Err(ExpectError::Value(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome() -> Value {
        json!({
            "ipv4": {"first_up": null, "availability": 99.5, "up_at_end": false},
            "ipv6": {"first_up": "12.5s"},
            "gateway": {"stuck_at": "software-distribution", "boots": 2},
            "boots": [{"ipv4_up": "3m"}, {"ipv4_up": null, "cause": "user"}]
        })
    }

    fn judge(text: &str) -> Verdict {
        Expectation::parse(text).expect("parses").judge(&outcome())
    }

    #[test]
    fn durations_and_never() {
        assert!(judge("ipv6.first_up <= 1m").passed);
        assert!(!judge("ipv6.first_up > 1m").passed);
        assert!(judge("ipv4.first_up == never").passed);
        assert!(!judge("ipv4.first_up <= 3m").passed);
        assert_eq!(judge("ipv4.first_up <= 3m").actual, "never");
        assert!(judge("ipv4.first_up > 100d").passed);
        assert!(judge("boots[1].ipv4_up == 3m").passed);
        assert!(judge("boots[last].ipv4_up == never").passed);
        // Path against path: 3m is earlier than never.
        assert!(judge("boots[1].ipv4_up < boots[2].ipv4_up").passed);
        assert!(judge("ipv6.first_up < boots[1].ipv4_up").passed);
        assert!(!judge("ipv6.first_up > boots[1].ipv4_up").passed);
        assert_eq!(judge("ipv6.first_up > boots[1].ipv4_up").actual, "12.5s vs 3m");
    }

    #[test]
    fn numbers_names_and_booleans() {
        assert!(judge("ipv4.availability >= 99%").passed);
        assert!(!judge("ipv4.availability > 99.5").passed);
        assert!(judge("gateway.boots == 2").passed);
        assert!(judge("gateway.stuck_at == software-distribution").passed);
        assert!(judge("gateway.stuck_at != rule-fetch").passed);
        assert!(judge("ipv4.up_at_end == false").passed);
        assert!(judge("boots[2].cause == \"user\"").passed);
        // A type mismatch never passes.
        assert!(!judge("gateway.stuck_at == 3").passed);
        assert_eq!(judge("boots[9].ipv4_up == never").actual, "<missing>");
    }

    #[test]
    fn malformed_expectations_are_errors() {
        assert_eq!(Expectation::parse("ipv4.first_up"), Err(ExpectError::Shape));
        assert_eq!(Expectation::parse("<= 3m"), Err(ExpectError::Shape));
        assert!(matches!(
            Expectation::parse("ipv4..x == 1"),
            Err(ExpectError::Path(_))
        ));
        let zero = Expectation::parse("boots[0].x == 1").expect_err("[0] is refused");
        assert!(matches!(zero, ExpectError::ZeroIndex(_)), "{zero:?}");
        assert!(zero.to_string().contains("count from 1"), "{zero}");
        assert!(matches!(
            Expectation::parse("a == 3 parsecs"),
            Err(ExpectError::Value(_))
        ));
        assert!(matches!(
            Expectation::parse("a < software"),
            Err(ExpectError::Unordered { .. })
        ));
        assert!(matches!(
            Expectation::parse("a == 5y"),
            Err(ExpectError::Value(_))
        ));
    }

    #[test]
    fn paths_are_checked_against_the_outcome_shape() {
        let e = Expectation::parse("ipv4.first_upp <= 3m").expect("parses");
        let err = e.check(&outcome()).expect_err("unknown");
        assert!(err.to_string().contains("first_up"), "{err}");
        assert!(
            Expectation::parse("boots[7].ipv4_up <= 3m")
                .expect("parses")
                .check(&outcome())
                .is_ok()
        );
    }

    /// A shape as `shape_of_outcome` gives it: values at time zero, lists with one item or none.
    fn shape() -> Value {
        json!({
            "gateway": {"stuck_at": "boot", "model": "hgw", "name": "x", "boots": 1,
                        "reboots": {"hours": vec![0; 24], "times": [], "spontaneous": 0}},
            "ipv4": {"first_up": null, "availability": 100.0, "up_at_end": false, "address": null},
            "boots": [{"at": "0s", "cause": "power-on", "ipv4_up": null}],
        })
    }

    fn check(text: &str) -> Result<(), String> {
        Expectation::parse(text)
            .expect("parses")
            .check(&shape())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn names_are_checked_against_what_the_field_can_be() {
        let e = check("gateway.stuck_at == banana").expect_err("not a step");
        assert!(
            e.contains("software-distribution") && e.contains("power-off"),
            "{e}"
        );
        assert!(
            check("gateway.stuck_at != sofware-distribution").is_err(),
            "a typo in != would always pass"
        );
        assert!(check("gateway.stuck_at == rule-fetch").is_ok());
        let e = check("boots[last].cause == reboot").expect_err("not a cause");
        assert!(e.contains("power-restored"), "{e}");
        assert!(check("boots[2].cause == user").is_ok());
        assert!(check("gateway.model == router").is_err());
        // Free text takes any name; an address compares as a name.
        assert!(check("gateway.name == x").is_ok());
        assert!(check("ipv4.address == 106.72.63.108").is_ok());
        assert!(check("gateway.reboots.times[1] == \"2021-07-14 03:00:00\"").is_ok());
    }

    #[test]
    fn reboot_times_and_boot_dates_compare_as_calendar_times() {
        assert!(check("gateway.reboots.times[1] >= 2021-07-14").is_ok());
        assert!(check("gateway.reboots.times[last] < 2021-10-01 06:00").is_ok());
        let e = check("gateway.reboots.times[1] >= 3m").expect_err("a duration");
        assert!(e.contains("a calendar time like 2021-07-14"), "{e}");
        assert!(check("ipv4.first_up < 2021-07-14").is_err());
        let outcome =
            json!({"gateway": {"reboots": {"times": ["2021-07-14 03:00:00", "2021-08-02 23:59:59"]}}});
        let judge = |text: &str| Expectation::parse(text).expect("parses").judge(&outcome);
        assert!(judge("gateway.reboots.times[1] == 2021-07-14 03:00").passed);
        assert!(judge("gateway.reboots.times[1] > 2021-07-14").passed);
        assert!(judge("gateway.reboots.times[last] < 2021-08-03").passed);
        assert!(!judge("gateway.reboots.times[last] < 2021-08-02 12:00").passed);
        assert!(judge("gateway.reboots.times[1] < gateway.reboots.times[2]").passed);
        assert_eq!(
            judge("gateway.reboots.times[2] <= 2021-08-01").actual,
            "2021-08-02 23:59:59"
        );
    }

    #[test]
    fn values_must_be_of_the_fields_kind() {
        let e = check("ipv4.first_up <= 3").expect_err("a number for a duration");
        assert!(e.contains("a duration like 90s"), "{e}");
        assert!(check("gateway.boots == 1m").is_err());
        assert!(check("ipv4.up_at_end == 1").is_err());
        assert!(check("ipv4.availability >= 99.5%").is_ok());
        assert!(check("ipv4.first_up == never").is_ok());
        let e = check("ipv4.first_up < gateway.boots").expect_err("incomparable");
        assert!(e.contains("never compare"), "{e}");
        assert!(check("boots[1].ipv4_up <= ipv4.first_up").is_ok());
    }

    #[test]
    fn whole_groups_and_lists_are_not_values() {
        let e = check("ipv4 == 1").expect_err("a mapping");
        assert!(e.contains("group of fields") && e.contains("first_up"), "{e}");
        let e = check("gateway.reboots.hours == 0").expect_err("a list");
        assert!(e.contains("list of 24 items"), "{e}");
        assert!(check("boots != 1").is_err());
    }

    #[test]
    fn indices_of_fixed_lists_are_checked_from_1() {
        let e = check("gateway.reboots.hours[25] == 0").expect_err("past the end");
        assert!(
            e.contains("[1] to [24]") && e.contains("hours[1] is 00:00-01:00"),
            "{e}"
        );
        assert!(check("gateway.reboots.hours[24] == 0").is_ok());
        assert!(check("gateway.reboots.hours[last] >= 0").is_ok());
        // Lists that grow during a run take any index.
        assert!(check("boots[40].cause == spontaneous").is_ok());
    }
}
