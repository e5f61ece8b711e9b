//! A short fuzz run on stable Rust, in every `cargo test`: each fuzz target
//! (`harness::fuzz_targets`) over its seed corpus (the shipped files) and a
//! fixed number of deterministic mutations of it. The bar: no input panics
//! and none takes longer than [`PER_INPUT`]. A failing input is written to
//! `target/fuzz-smoke/` to replay with `cargo fuzz run TARGET FILE`.
//!
//! Long runs use libFuzzer through `harness/fuzz` (see docs/fuzzing.md);
//! `FLETSIM_FUZZ_SMOKE_INPUTS=N` raises this run's number of mutants per target.

use crate::common;

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::time::Duration;

use harness::fuzz_targets::{SET_PREFIX, Seed, TARGETS, seed_corpus};

/// Mutants per target by default: the whole smoke run stays within a few seconds
/// (`.ci/run` asks for more; docs/fuzzing.md has the long runs).
const INPUTS_PER_TARGET: usize = 500;

/// The longest one input may take (a dev build, a busy CI machine): beyond it, a hang.
const PER_INPUT: Duration = Duration::from_secs(10);

/// SplitMix64: a small deterministic generator, so every run tries the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens that break parsers: YAML structure, extreme numbers and durations, control
/// characters, path syntax, `--set` lines.
const TOKENS: [&str; 44] = [
    "\0",
    "\r",
    "\n",
    "\u{1b}[2J",
    "*a",
    "&a ",
    "<<: *a\n",
    "- ",
    ": ",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "!!binary ",
    "~",
    "null",
    "-1",
    "0",
    "1e999",
    "NaN",
    "18446744073709551616",
    "99999999999d",
    "1ns",
    "1098d",
    "1099d",
    "10000",
    "100%",
    "101%",
    "[last]",
    "[0]",
    "[25]",
    " for 95% of seeds",
    "==",
    "<=",
    "never",
    "\u{202e}",
    "日本",
    "#set a=1\n",
    "#set faults[0].at=1ns\n",
    "#set lan.phone.count=10001\n",
    "    ",
    "\t",
];

fn mutate(rng: &mut Rng, input: &[u8], others: &[&Seed]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..=rng.below(3) {
        let len = data.len();
        let at = rng.below(len + 1);
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let end = (at + 1 + rng.below(16)).min(len);
                data.drain(at.min(len)..end);
            }
            2 => {
                let bytes: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            3 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                data.splice(at..at, token.iter().copied());
            }
            4 if len > 0 => {
                // Copy a chunk elsewhere: nesting and repetition.
                let start = rng.below(len);
                let end = (start + 1 + rng.below(64)).min(len);
                let chunk = data[start..end].to_vec();
                data.splice(at..at, chunk);
            }
            5 => data.truncate(at),
            6 if !others.is_empty() => {
                // Splice in part of another seed of the same target.
                let other = &others[rng.below(others.len())].bytes;
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(256)).min(other.len());
                let tail = (at + rng.below(64)).min(len);
                data.splice(at..tail, other[start..end].iter().copied());
            }
            _ => {
                // Replace a run of digits with an extreme number.
                if let Some(i) = (at..len).find(|&i| data[i].is_ascii_digit()) {
                    let end = (i..len).find(|&j| !data[j].is_ascii_digit()).unwrap_or(len);
                    let extreme = [
                        "0",
                        "4294967296",
                        "18446744073709551615",
                        "9999999999999999999999999999999999999999",
                    ][rng.below(4)];
                    data.splice(i..end, extreme.bytes());
                }
            }
        }
    }
    data
}

/// Runs one input in a worker thread; an error describes a panic or a hang.
fn run_bounded(target: fn(&[u8]), input: Vec<u8>) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| target(&input)));
        let _ = tx.send(result.map_err(|p| {
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string())
        }));
    });
    match rx.recv_timeout(PER_INPUT) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(panic)) => Err(format!("panicked: {panic}")),
        Err(_) => Err(format!("took longer than {PER_INPUT:?}")),
    }
}

#[test]
fn every_parser_survives_its_corpus_and_its_mutations() {
    let inputs_per_target = std::env::var("FLETSIM_FUZZ_SMOKE_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INPUTS_PER_TARGET);
    let seeds = seed_corpus(&common::root());
    let out = common::root().join("target/fuzz-smoke");
    let mut failures = Vec::new();
    let mut report = String::new();
    for (name, target) in TARGETS {
        let corpus: Vec<&Seed> = seeds.iter().filter(|s| s.target == name).collect();
        assert!(!corpus.is_empty(), "no seeds for the {name} target");
        let mut rng = Rng(0x5eed ^ name.len() as u64);
        let mut tried = 0;
        let mutants = (0..inputs_per_target).map(|i| {
            let seed = corpus[i % corpus.len()];
            (
                format!("{}-mutant{i}", seed.name),
                mutate(&mut rng, &seed.bytes, &corpus),
            )
        });
        let originals = corpus.iter().map(|s| (s.name.clone(), s.bytes.clone()));
        for (label, input) in originals.chain(mutants) {
            tried += 1;
            if let Err(why) = run_bounded(target, input.clone()) {
                let _ = std::fs::create_dir_all(&out);
                let file = out.join(format!("{name}-{}", label.replace(['/', '\\'], "_")));
                let _ = std::fs::write(&file, &input);
                failures.push(format!("{name}: {label} {why}; input in {}", file.display()));
                if failures.len() > 20 {
                    break;
                }
            }
        }
        report.push_str(&format!("{name}: {tried} inputs ({} seeds)\n", corpus.len()));
    }
    assert!(failures.is_empty(), "{report}{}", failures.join("\n"));
    // The seeds really exercise the `--set` path of the scenario target.
    assert!(
        seeds
            .iter()
            .any(|s| s.target == "scenario" && String::from_utf8_lossy(&s.bytes).contains(SET_PREFIX)),
        "{report}"
    );
}
