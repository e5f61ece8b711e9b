//! sim-core
pub mod fetch;
pub mod mape;
pub mod rng;
pub mod time;
