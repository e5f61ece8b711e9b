//! Text a user controls, made safe for a terminal.
//!
//! File names, scenario names read back from JSON, log lines and YAML
//! snippets in error messages may hold control characters. Printed raw, an
//! ESC byte starts a terminal escape sequence (colours, cursor moves, window
//! titles, even a clipboard write), and a bidirectional override reorders
//! what the reader sees. [`escape`] spells every such character out
//! (`\x1b`, `\u{202e}`) and leaves all other text, Japanese log messages
//! included, as it is.
//!
//! Two ways in, one rule underneath:
//! - [`escape`] / [`path`] for one string (a name, a path, a log line)
//!   printed among other output;
//! - [`Escaping`], a writer every command's stdout and stderr go through
//!   ([`crate::cli::dispatch`]): it escapes every control character but
//!   newlines and tabs, so nothing a command prints can drive the terminal,
//!   whatever string reached it. On stdout with colour on, the colour codes
//!   fletsim itself writes (SGR: `ESC [ digits m`) pass; nothing else does.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// Whether a character must not reach a terminal as it is: C0 controls (tab
/// and newline too, inside one string), DEL, C1 controls and the Unicode
/// bidirectional controls.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, c: char) {
    let n = u32::from(c);
    if n < 0x80 {
        out.push_str(&format!("\\x{n:02x}"));
    } else {
        out.push_str(&format!("\\u{{{n:x}}}"));
    }
}

/// `text` with every control character spelled out (`\x1b`, `\x0a`, `\u{9b}`); borrowed when clean.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A path as text for a terminal: lossy for bytes that are not UTF-8, escaped.
pub fn path(p: &Path) -> String {
    escape(&p.to_string_lossy()).into_owned()
}

/// Displays a string escaped: `format!("{}", Shown(name))`.
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(self.0))
    }
}

/// A run record with every string the terminal report shows escaped (records read back
/// from JSON may hold anything); borrowed when nothing needed it.
pub fn record(r: &reports::RunRecord) -> Cow<'_, reports::RunRecord> {
    let dirty = |s: &str| matches!(escape(s), Cow::Owned(_));
    let needs = dirty(&r.scenario)
        || dirty(&r.file)
        || dirty(&r.outcome.gateway.stuck_at)
        || r.overrides.iter().any(|o| dirty(o))
        || r.expectations.iter().any(|e| dirty(&e.text) || dirty(&e.actual));
    if !needs {
        return Cow::Borrowed(r);
    }
    let mut r = r.clone();
    let fix = |s: &mut String| *s = escape(s).into_owned();
    fix(&mut r.scenario);
    fix(&mut r.file);
    fix(&mut r.outcome.gateway.stuck_at);
    r.overrides.iter_mut().for_each(fix);
    for e in &mut r.expectations {
        fix(&mut e.text);
        fix(&mut e.actual);
    }
    Cow::Owned(r)
}

/// A share verdict with the strings the terminal report shows escaped.
pub fn verdict(v: &reports::sweep::ShareVerdict) -> reports::sweep::ShareVerdict {
    let mut v = v.clone();
    v.file = escape(&v.file).into_owned();
    v.scenario = escape(&v.scenario).into_owned();
    v.text = escape(&v.text).into_owned();
    v
}

/// What an [`Escaping`] writer lets through besides text, newlines and tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Nothing else (stderr; stdout without colour).
    Text,
    /// Also colour codes (SGR, `ESC [ digits ; ... m`): stdout when fletsim colours it.
    Colours,
}

/// A writer that escapes every control character but `\n` and `\t` (and a `\r` before `\n`),
/// and, with [`Pass::Colours`], SGR colour codes.
///
/// Bytes that are not UTF-8 pass through as they are (a terminal shows them
/// as replacement characters; they start no escape sequence). A character
/// split across two writes is held back until it is whole.
#[derive(Debug)]
pub struct Escaping<W: Write> {
    inner: W,
    pass: Pass,
    /// The start of a multi-byte character cut by the end of the last write.
    pending: Vec<u8>,
}

impl<W: Write> Escaping<W> {
    pub fn new(inner: W, pass: Pass) -> Escaping<W> {
        Escaping {
            inner,
            pass,
            pending: Vec::new(),
        }
    }

    fn write_clean(&mut self, bytes: &[u8]) -> io::Result<()> {
        // Most output is plain text: pass it without a copy.
        if !bytes
            .iter()
            .any(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || matches!(b, 0x7f | 0xc2 | 0xe2))
        {
            return self.inner.write_all(bytes);
        }
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 16);
        let mut rest = bytes;
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    escape_stream(text, self.pass, &mut out);
                    rest = &[];
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    escape_stream(
                        std::str::from_utf8(valid).unwrap_or_default(),
                        self.pass,
                        &mut out,
                    );
                    match e.error_len() {
                        // Invalid bytes: passed through, they cannot start an escape sequence.
                        Some(n) => {
                            out.extend_from_slice(&after[..n]);
                            rest = &after[n..];
                        }
                        // A character cut at the end: kept for the next write.
                        None => {
                            self.pending.extend_from_slice(after);
                            rest = &[];
                        }
                    }
                }
            }
        }
        self.inner.write_all(&out)
    }
}

/// The length of an SGR colour code (`ESC [ 1 ; 32 m`) at the start of `s`, if one is there.
fn sgr_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\u{1b}[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

/// Escapes `text` but keeps line breaks (`\n`, `\r\n`), tabs and (with `Pass::Colours`) SGR codes.
fn escape_stream(text: &str, pass: Pass, out: &mut Vec<u8>) {
    let mut s = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        if c == '\u{1b}'
            && pass == Pass::Colours
            && let Some(n) = sgr_len(&text[i..])
        {
            s.push_str(&text[i..i + n]);
            i += n;
            continue;
        }
        let keep = c == '\n' || c == '\t' || (c == '\r' && text[i + 1..].starts_with('\n'));
        if keep || !is_unsafe(c) {
            s.push(c);
        } else {
            push_escaped(&mut s, c);
        }
        i += c.len_utf8();
    }
    out.extend_from_slice(s.as_bytes());
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            self.write_clean(buf)?;
        } else {
            let mut bytes = std::mem::take(&mut self.pending);
            bytes.extend_from_slice(buf);
            self.write_clean(&bytes)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let bytes = std::mem::take(&mut self.pending);
            self.inner.write_all(&bytes)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Escaping<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_spelled_out_and_other_text_kept() {
        assert_eq!(escape("plain-name_1.yaml"), "plain-name_1.yaml");
        assert!(matches!(escape("JavaVM起動(reboot)"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("x\ny\tz\r"), "x\\x0ay\\x09z\\x0d");
        assert_eq!(escape("\u{7f}\u{9b}31m"), "\\x7f\\u{9b}31m");
        assert_eq!(escape("evil\u{202e}lmth.exe"), "evil\\u{202e}lmth.exe");
        assert_eq!(escape("nul\0"), "nul\\x00");
    }

    #[test]
    fn the_writer_keeps_lines_and_escapes_the_rest_across_writes() {
        let mut out = Vec::new();
        {
            let mut w = Escaping::new(&mut out, Pass::Text);
            w.write_all(b"error: a\x1b[31m.yaml\r\n").expect("write");
            // A C1 control (U+009B, CSI) split across two writes.
            w.write_all(b"x\xc2").expect("write");
            w.write_all(b"\x9by\n\tz \xff end\n").expect("write");
        }
        assert_eq!(
            out,
            b"error: a\\x1b[31m.yaml\r\nx\\u{9b}y\n\tz \xff end\n".to_vec()
        );
    }

    #[test]
    fn colour_codes_pass_only_when_asked_for_and_nothing_else_does() {
        let run = |pass: Pass, text: &[u8]| {
            let mut out = Vec::new();
            Escaping::new(&mut out, pass).write_all(text).expect("write");
            String::from_utf8(out).expect("utf-8")
        };
        let painted = "\u{1b}[1;32mPASS\u{1b}[0m name\u{1b}]52;c;AAAA\u{7}\u{1b}[2J\r";
        assert_eq!(
            run(Pass::Colours, painted.as_bytes()),
            "\u{1b}[1;32mPASS\u{1b}[0m name\\x1b]52;c;AAAA\\x07\\x1b[2J\\x0d"
        );
        assert_eq!(
            run(Pass::Text, painted.as_bytes()),
            "\\x1b[1;32mPASS\\x1b[0m name\\x1b]52;c;AAAA\\x07\\x1b[2J\\x0d"
        );
        assert_eq!(run(Pass::Text, "plain 日本語\n".as_bytes()), "plain 日本語\n");
    }
}
