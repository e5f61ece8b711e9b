//! An insta `.snap` file, as `fletsim snapshot` and `diff` read it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzz_targets::snapshot(data));
