//! sim-core: the deterministic core of fletsim.
pub mod device_log;
pub mod rng;
pub mod time;
