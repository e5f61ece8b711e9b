//! JSON Lines run records, as `fletsim merge` and `diff` read them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzz_targets::results(data));
