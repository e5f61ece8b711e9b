//! sim-core: the deterministic core of fletsim.
pub mod mape;
pub mod rng;
pub mod time;
