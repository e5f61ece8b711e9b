//! harness: the `fletsim` command's library; all I/O of fletsim lives here.
//!
//! - `log_analyze`: `fletsim log analyze LOG`, reading a real HGW log and
//!   classifying its reboots (spontaneous vs user-caused) with statistics.
pub mod log_analyze;
