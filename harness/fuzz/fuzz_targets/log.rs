//! An HGW log, as `fletsim log analyze` and `hypotheses --evidence` read it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::fuzz_targets::log(data));
