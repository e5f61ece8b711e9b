//! JSON Lines: one [`RunRecord`] per line, keys in a fixed
//! order. What `fletsim run --json` writes and `fletsim merge`/`diff` read.

use std::io::{self, Write};

use crate::RunRecord;

/// Writes one record as a line of JSON.
pub fn write_record(out: &mut dyn Write, record: &RunRecord) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}

/// Writes every record, one per line.
pub fn write_records(out: &mut dyn Write, records: &[RunRecord]) -> io::Result<()> {
    for r in records {
        write_record(out, r)?;
    }
    Ok(())
}

/// Reads JSON Lines (blank lines allowed); an error names the line and what is wrong with it.
pub fn read_records(text: &str) -> Result<Vec<RunRecord>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| {
                format!(
                    "line {}: not a fletsim run record ({e}); expected the JSON Lines of `fletsim run --json`",
                    i + 1
                )
            })
        })
        .collect()
}
