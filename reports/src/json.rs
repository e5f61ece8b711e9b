//! JSON Lines: one [`RunRecord`](crate::RunRecord) per line, keys in a fixed order.

use std::io::{self, Write};

use crate::RunRecord;

/// Writes one record as a line of JSON.
pub fn write_record(out: &mut dyn Write, record: &RunRecord) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}
