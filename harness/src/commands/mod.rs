//! One module per command that owns its arguments (`Args`) and its `run`:
//! [`crate::cli`] only assembles them into the `Command` enum.
//!
//! - [`validate`]: `fletsim validate PATH…`, load only.
//! - [`list`]: `fletsim list PATH…`, the plan of (scenario, file, seed, shard) runs.
//! - [`schema`]: `fletsim schema`, the JSON Schema of scenario files for editors.
//! - [`completions`]: `fletsim completions SHELL`, shell completion scripts.
//! - [`man`]: `fletsim man`, the manual page.

pub mod completions;
pub mod list;
pub mod man;
pub mod schema;
pub mod validate;
