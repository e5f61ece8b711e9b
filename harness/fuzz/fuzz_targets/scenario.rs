//! A scenario file, with `#set PATH=VALUE` lines applied as `--set` overrides.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzz_targets::scenario(data));
