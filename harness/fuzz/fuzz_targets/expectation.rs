//! An `expect:` line: parsed, checked against an outcome's shape, judged.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzz_targets::expectation(data));
