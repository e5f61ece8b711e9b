//! Shards: `--shard i/N` (1-based, as nextest's `--partition hash:i/N`) and
//! `--shard auto`, which reads the index and total from a CI system.
//!
//! The partition hashes each (scenario file, seed) pair on its own, so adding
//! a scenario or a seed never moves the others to another shard:
//!
//! ```text
//! key    = FILE + "\0" + SEED        FILE: the scenario file's path as given on the
//!                                    command line, `.` components dropped, `/` separators;
//!                                    SEED: decimal
//! bucket = xxHash64(key, seed 0) mod N     (0-based)
//! shard  = bucket + 1                      (1-based)
//! ```
//!
//! xxHash64 is specified byte for byte and does not change between platforms
//! or releases. Run every shard from the same folder with the same paths
//! (`scenarios/`, not once `./scenarios` and once an absolute path): the
//! path is part of the key.
//!
//! `--shard auto` looks for these variables, first match wins:
//!
//! | CI | index | total | index base |
//! |---|---|---|---|
//! | fletsim's own (GitHub Actions matrix, Slurm, anything) | `FLETSIM_SHARD_INDEX` | `FLETSIM_SHARD_TOTAL` | 0 |
//! | GitLab `parallel: N` | `CI_NODE_INDEX` | `CI_NODE_TOTAL` | 1 |
//! | Buildkite `parallelism: N` | `BUILDKITE_PARALLEL_JOB` | `BUILDKITE_PARALLEL_JOB_COUNT` | 0 |
//! | CircleCI `parallelism: N` | `CIRCLE_NODE_INDEX` | `CIRCLE_NODE_TOTAL` | 0 |
//! | Kubernetes Indexed Job | `JOB_COMPLETION_INDEX` | `--shard-total N` or `FLETSIM_SHARD_TOTAL` | 0 |
//!
//! GitHub Actions exposes `strategy.job-index` (0-based) and
//! `strategy.job-total` only as expressions, so a workflow passes them as
//! `FLETSIM_SHARD_INDEX` / `FLETSIM_SHARD_TOTAL` (GitHub reserves the
//! `GITHUB_` prefix). `--shard-total` overrides any total read from the
//! environment.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path};
use std::str::FromStr;

use twox_hash::XxHash64;

/// One shard of `total`, `index` from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub total: u32,
}

impl Shard {
    /// Whether this shard runs `file` at `seed` (`file` as [`normalize_path`] gives it).
    pub fn contains(self, file: &str, seed: u64) -> bool {
        bucket(file, seed, self.total) == self.index
    }

    /// More than one shard: share expectations are then judged by `fletsim merge`.
    pub fn is_partial(self) -> bool {
        self.total > 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

/// The largest total accepted.
pub const MAX_TOTAL: u32 = 10_000;

/// The 1-based shard that runs `file` at `seed` out of `total`.
pub fn bucket(file: &str, seed: u64, total: u32) -> u32 {
    let mut key = Vec::with_capacity(file.len() + 21);
    key.extend_from_slice(file.as_bytes());
    key.push(0);
    key.extend_from_slice(seed.to_string().as_bytes());
    let hash = XxHash64::oneshot(0, &key);
    (hash % u64::from(total.max(1))) as u32 + 1
}

/// A path as records and the shard key spell it: `.` components dropped, `/` between components.
pub fn normalize_path(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => absolute = true,
            Component::Prefix(p) => parts.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::ParentDir => parts.push("..".to_string()),
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// What `--shard` was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardArg {
    Fixed(Shard),
    Auto,
}

impl FromStr for ShardArg {
    type Err = String;
    fn from_str(s: &str) -> Result<ShardArg, String> {
        if s == "auto" {
            return Ok(ShardArg::Auto);
        }
        let bad = || {
            format!(
                "`{s}` is not a shard (accepted: `i/N` with 1 <= i <= N <= {MAX_TOTAL}, e.g. 2/4, or `auto`)"
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let total: u32 = n.trim().parse().map_err(|_| bad())?;
        if total == 0 || total > MAX_TOTAL || index == 0 || index > total {
            return Err(bad());
        }
        Ok(ShardArg::Fixed(Shard { index, total }))
    }
}

/// A CI system's pair of variables.
struct Source {
    name: &'static str,
    index: &'static str,
    total: Option<&'static str>,
    base: u32,
}

const SOURCES: [Source; 5] = [
    Source {
        name: "FLETSIM_SHARD_INDEX/FLETSIM_SHARD_TOTAL",
        index: "FLETSIM_SHARD_INDEX",
        total: Some("FLETSIM_SHARD_TOTAL"),
        base: 0,
    },
    Source {
        name: "GitLab (CI_NODE_INDEX/CI_NODE_TOTAL)",
        index: "CI_NODE_INDEX",
        total: Some("CI_NODE_TOTAL"),
        base: 1,
    },
    Source {
        name: "Buildkite (BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT)",
        index: "BUILDKITE_PARALLEL_JOB",
        total: Some("BUILDKITE_PARALLEL_JOB_COUNT"),
        base: 0,
    },
    Source {
        name: "CircleCI (CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL)",
        index: "CIRCLE_NODE_INDEX",
        total: Some("CIRCLE_NODE_TOTAL"),
        base: 0,
    },
    Source {
        name: "Kubernetes Indexed Job (JOB_COMPLETION_INDEX)",
        index: "JOB_COMPLETION_INDEX",
        total: None,
        base: 0,
    },
];

/// Resolves `--shard auto` from environment variables; returns the shard and where it came from.
pub fn from_env(
    vars: &BTreeMap<String, String>,
    total_flag: Option<u32>,
) -> Result<(Shard, &'static str), String> {
    let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let Some(source) = SOURCES.iter().find(|s| get(s.index).is_some()) else {
        let looked: Vec<&str> = SOURCES.iter().map(|s| s.index).collect();
        return Err(format!(
            "--shard auto: no shard index in the environment (looked for {}); pass --shard i/N instead",
            looked.join(", ")
        ));
    };
    let raw_index = get(source.index).unwrap_or_default();
    let index: u32 = raw_index.parse().map_err(|_| {
        format!(
            "--shard auto: {} is `{raw_index}`, not a whole number",
            source.index
        )
    })?;
    let total_var = source.total.unwrap_or("FLETSIM_SHARD_TOTAL");
    let total = match total_flag {
        Some(t) => t,
        None => {
            let raw = get(total_var).or(if source.total.is_some() {
                None
            } else {
                get("FLETSIM_SHARD_TOTAL")
            });
            let raw = raw.ok_or_else(|| {
                format!(
                    "--shard auto: {} found {} but not the number of shards: set {total_var} or pass --shard-total N",
                    source.name, source.index
                )
            })?;
            raw.parse()
                .map_err(|_| format!("--shard auto: {total_var} is `{raw}`, not a whole number"))?
        }
    };
    if total == 0 || total > MAX_TOTAL {
        return Err(format!(
            "--shard auto: {total} shards in all ({}) is not from 1 to {MAX_TOTAL}",
            source.name
        ));
    }
    let one_based = index + 1 - source.base;
    if index < source.base || one_based > total {
        return Err(format!(
            "--shard auto: {} = {index} is out of range for {total} shards (it counts from {})",
            source.index, source.base
        ));
    }
    Ok((
        Shard {
            index: one_based,
            total,
        },
        source.name,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn auto(pairs: &[(&str, &str)], flag: Option<u32>) -> Result<Shard, String> {
        from_env(&env(pairs), flag).map(|(s, _)| s)
    }

    #[test]
    fn each_ci_maps_to_a_one_based_shard() {
        let s = |index, total| Ok(Shard { index, total });
        // GitHub Actions matrix via fletsim's own variables: strategy.job-index is 0-based.
        assert_eq!(
            auto(
                &[("FLETSIM_SHARD_INDEX", "0"), ("FLETSIM_SHARD_TOTAL", "4")],
                None
            ),
            s(1, 4)
        );
        assert_eq!(
            auto(
                &[("FLETSIM_SHARD_INDEX", "3"), ("FLETSIM_SHARD_TOTAL", "4")],
                None
            ),
            s(4, 4)
        );
        // GitLab counts from 1.
        assert_eq!(
            auto(&[("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "3")], None),
            s(1, 3)
        );
        assert_eq!(
            auto(&[("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "3")], None),
            s(3, 3)
        );
        assert_eq!(
            auto(
                &[
                    ("BUILDKITE_PARALLEL_JOB", "0"),
                    ("BUILDKITE_PARALLEL_JOB_COUNT", "2")
                ],
                None
            ),
            s(1, 2)
        );
        assert_eq!(
            auto(&[("CIRCLE_NODE_INDEX", "1"), ("CIRCLE_NODE_TOTAL", "2")], None),
            s(2, 2)
        );
        // Kubernetes gives only the index: the total comes from the flag or FLETSIM_SHARD_TOTAL.
        assert_eq!(auto(&[("JOB_COMPLETION_INDEX", "4")], Some(8)), s(5, 8));
        assert_eq!(
            auto(
                &[("JOB_COMPLETION_INDEX", "0"), ("FLETSIM_SHARD_TOTAL", "8")],
                None
            ),
            s(1, 8)
        );
        // The flag overrides a total from the environment.
        assert_eq!(
            auto(&[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")], Some(5)),
            s(2, 5)
        );
        // First source wins when several are set.
        assert_eq!(
            auto(
                &[
                    ("FLETSIM_SHARD_INDEX", "1"),
                    ("FLETSIM_SHARD_TOTAL", "2"),
                    ("CI_NODE_INDEX", "1"),
                    ("CI_NODE_TOTAL", "9")
                ],
                None
            ),
            s(2, 2)
        );
    }

    #[test]
    fn off_by_one_and_missing_values_are_errors() {
        // GitLab's index 0 does not exist; 0-based indexes must stay below the total.
        assert!(auto(&[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")], None).is_err());
        assert!(auto(&[("CI_NODE_INDEX", "4"), ("CI_NODE_TOTAL", "3")], None).is_err());
        assert!(auto(&[("CIRCLE_NODE_INDEX", "2"), ("CIRCLE_NODE_TOTAL", "2")], None).is_err());
        let e = auto(&[("JOB_COMPLETION_INDEX", "1")], None).expect_err("no total");
        assert!(e.contains("--shard-total"), "{e}");
        let e = auto(&[], None).expect_err("nothing set");
        assert!(
            e.contains("CI_NODE_INDEX") && e.contains("JOB_COMPLETION_INDEX"),
            "{e}"
        );
        assert!(auto(&[("CI_NODE_INDEX", "one"), ("CI_NODE_TOTAL", "3")], None).is_err());
        assert!(auto(&[("CI_NODE_INDEX", ""), ("CI_NODE_TOTAL", "3")], None).is_err());
    }

    #[test]
    fn shard_arguments_parse() {
        assert_eq!("2/3".parse(), Ok(ShardArg::Fixed(Shard { index: 2, total: 3 })));
        assert_eq!("auto".parse(), Ok(ShardArg::Auto));
        for bad in ["0/3", "4/3", "1/0", "x/3", "3", "1/100000"] {
            assert!(bad.parse::<ShardArg>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hash_is_pinned_and_every_pair_lands_in_exactly_one_shard() {
        // Standard XXH64 test vectors, then a key pinned against an independent implementation:
        // the partition must not change between releases or platforms.
        assert_eq!(XxHash64::oneshot(0, b""), 0xef46_db37_51d8_e999);
        assert_eq!(XxHash64::oneshot(0, b"abc"), 0x44bc_2cf5_ad77_0999);
        assert_eq!(
            XxHash64::oneshot(0, b"scenarios/hgw-v6plus-bring-up.yaml\x001"),
            0x1ff2_4bea_6e4e_9def
        );
        assert_eq!(bucket("scenarios/hgw-v6plus-bring-up.yaml", 1, 3), 3);
        for seed in 1..50 {
            let hits = (1..=3)
                .filter(|&i| Shard { index: i, total: 3 }.contains("scenarios/a.yaml", seed))
                .count();
            assert_eq!(hits, 1);
        }
    }

    #[test]
    fn paths_are_normalized() {
        assert_eq!(
            normalize_path(Path::new("./scenarios/./a.yaml")),
            "scenarios/a.yaml"
        );
        assert_eq!(normalize_path(Path::new("scenarios//a.yaml")), "scenarios/a.yaml");
        assert_eq!(normalize_path(Path::new("/tmp/x/../a.yaml")), "/tmp/x/../a.yaml");
        assert_eq!(normalize_path(Path::new(".")), ".");
    }
}
