//! sim-core: the deterministic core of fletsim.
pub mod fetch;
pub mod rng;
pub mod time;
