//! YAML as fletsim reads it: one set of parser options for every YAML input
//! (scenario files, `--set` values, snapshot files) and their errors in plain
//! English.
//!
//! serde-saphyr guards its parser with a budget (events, nodes, nesting
//! depth, alias expansion, text size); a file that breaks it is refused
//! before it can use much time or memory. Its own message for that is Rust
//! debug text (`ScalarBytes { total_scalar_bytes: … }`); [`message`] says
//! instead which limit it was, in words, with the number.

use serde_saphyr::budget::BudgetBreach;

/// The options every YAML input is read with: `yes`/`no` are not booleans,
/// errors carry no source snippet (fletsim prints file, line and column).
pub fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::options! { strict_booleans: true };
    options.with_snippet = false;
    options
}

/// The error at the bottom of serde-saphyr's wrappers (alias replays, snippets).
fn original(mut e: &serde_saphyr::Error) -> &serde_saphyr::Error {
    loop {
        match e {
            serde_saphyr::Error::AliasError { error, .. }
            | serde_saphyr::Error::WithSnippet { error, .. } => {
                e = error;
            }
            other => return other,
        }
    }
}

/// What a budget breach means, in words.
fn budget_message(breach: &BudgetBreach) -> String {
    let limits = serde_saphyr::Budget::default();
    let too = |what: String| format!("too large or too complex for fletsim to read: {what}");
    match breach {
        BudgetBreach::Events { events } => too(format!(
            "{events} YAML parser events, more than the limit of {}",
            limits.max_events
        )),
        BudgetBreach::Nodes { nodes } => too(format!(
            "{nodes} values, lists and mappings, more than the limit of {}",
            limits.max_nodes
        )),
        BudgetBreach::Depth { depth } => too(format!(
            "lists and mappings nested {depth} deep, more than the limit of {}",
            limits.max_depth
        )),
        BudgetBreach::ScalarBytes { total_scalar_bytes } => too(format!(
            "its values add up to {total_scalar_bytes} bytes (aliases `*name` count each time they are used), more than the limit of {}",
            limits.max_total_scalar_bytes
        )),
        BudgetBreach::Aliases { aliases } => too(format!(
            "{aliases} aliases (`*name`), more than the limit of {}",
            limits.max_aliases
        )),
        BudgetBreach::Anchors { anchors } => too(format!(
            "{anchors} anchors (`&name`), more than the limit of {}",
            limits.max_anchors
        )),
        BudgetBreach::AliasAnchorRatio { aliases, anchors } => too(format!(
            "{aliases} aliases (`*name`) for {anchors} anchors: an alias expansion this large is refused"
        )),
        BudgetBreach::RecordedAnchorEvents { .. } | BudgetBreach::RecordedAnchorBytes { .. } => {
            too("anchors (`&name`) that hold more than fletsim keeps for aliases".to_string())
        }
        BudgetBreach::MergeKeys { merge_keys } => too(format!(
            "{merge_keys} merge keys (`<<`), more than the limit of {}",
            limits.max_merge_keys
        )),
        BudgetBreach::Documents { documents } => too(format!(
            "{documents} YAML documents, more than the limit of {}",
            limits.max_documents
        )),
        BudgetBreach::SequenceUnbalanced => {
            "the YAML structure is broken (a list or mapping closes that never opened)".to_string()
        }
        _ => too("it passes one of the YAML reader's limits".to_string()),
    }
}

/// The error's message in plain English, without the location (callers print their own).
pub fn message(e: &serde_saphyr::Error) -> String {
    if let serde_saphyr::Error::Budget { breach, .. } = original(e) {
        return budget_message(breach);
    }
    let mut message = e.to_string();
    // saphyr appends the location callers already print in front.
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_errors_read_as_words() {
        // Nested deeper than the budget allows.
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let e =
            serde_saphyr::from_str_with_options::<serde_json::Value>(&deep, options()).expect_err("too deep");
        let m = message(&e);
        assert!(m.contains("nested") && m.contains("limit of 64"), "{m}");
        assert!(!m.contains('{') && !m.contains("Depth"), "{m}");
        // An alias bomb.
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!(
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let e = serde_saphyr::from_str_with_options::<serde_json::Value>(&bomb, options())
            .expect_err("an alias bomb");
        let m = message(&e);
        assert!(m.starts_with("too large or too complex"), "{m}");
        assert!(!m.contains("{ "), "{m}");
    }
}
