//! sim-core: the deterministic core of fletsim.
pub mod rng;
pub mod time;
