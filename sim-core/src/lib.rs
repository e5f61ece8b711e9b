//! sim-core
pub mod device_log;
pub mod fetch;
pub mod mape;
pub mod rng;
pub mod time;
