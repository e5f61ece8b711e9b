//! Writes the fuzz targets' seed corpus (`harness::fuzz_targets::seed_corpus`) as files:
//! `cargo run -p fletsim --example fuzz_corpus -- harness/fuzz/corpus`
//! makes `harness/fuzz/corpus/<target>/<name>`, where `cargo fuzz run <target>` looks.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz_corpus OUT_DIR");
        return ExitCode::from(2);
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let seeds = harness::fuzz_targets::seed_corpus(&root);
    for seed in &seeds {
        let dir = out.join(seed.target);
        let written =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(&seed.name), &seed.bytes));
        if let Err(e) = written {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::from(1);
        }
    }
    eprintln!("{} seeds written under {}", seeds.len(), out.display());
    ExitCode::SUCCESS
}
