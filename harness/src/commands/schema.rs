//! `fletsim schema`: the JSON Schema (draft-07) of scenario files, for editors.
//!
//! Made from the loader's own raw structs ([`crate::scenario_file::scenario_schema`]), so it
//! names exactly the fields the loader accepts. VS Code's YAML extension (and any
//! yaml-language-server editor) uses it through a first line
//! `# yaml-language-server: $schema=fletsim-scenario.schema.json` (docs/scenarios.md).

use std::io::Write;

use crate::options::exit;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  fletsim schema > fletsim-scenario.schema.json
  # then, as the first line of a scenario file:
  # yaml-language-server: $schema=../fletsim-scenario.schema.json")]
pub struct Args {}

/// `fletsim schema`.
pub fn run(_: &Args, out: &mut dyn Write) -> u8 {
    let schema = crate::scenario_file::scenario_schema();
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => {
            let _ = writeln!(out, "{text}");
            exit::OK
        }
        Err(_) => exit::INTERNAL,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn validator() -> jsonschema::Validator {
        jsonschema::draft7::new(&crate::scenario_file::scenario_schema())
            .expect("the schema is a valid draft-07 schema")
    }

    fn as_json(text: &str) -> serde_json::Value {
        serde_saphyr::from_str(text).expect("YAML")
    }

    fn shipped() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        crate::files::find(&[root], &crate::run_cmd::SCENARIO_FILES)
            .expect("the shipped scenarios")
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    #[test]
    fn every_shipped_scenario_matches_the_schema() {
        let validator = validator();
        let files = shipped();
        assert!(files.len() >= 20, "{} scenario files", files.len());
        for file in files {
            let text = std::fs::read_to_string(&file).expect("readable");
            let errors: Vec<String> = validator
                .iter_errors(&as_json(&text))
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        }
    }

    #[test]
    fn a_misspelt_field_is_rejected_by_the_schema_as_by_the_loader() {
        let validator = validator();
        let good = "duration: 1h\nline:\n  vne: v6plus\n  hgw_rental: true\ngateway:\n  model: hgw\n  boot_time: 90s\n";
        assert!(validator.is_valid(&as_json(good)));
        assert!(crate::scenario_file::parse(Path::new("good.yaml"), good).is_ok());
        for (bad, field) in [
            (good.replace("boot_time", "boot_tme"), "boot_tme"),
            (good.replace("duration: 1h", "duraton: 1h"), "duraton"),
        ] {
            let errors: Vec<String> = validator
                .iter_errors(&as_json(&bad))
                .map(|e| e.to_string())
                .collect();
            assert!(errors.iter().any(|e| e.contains(field)), "{field}: {errors:?}");
            let loaded = crate::scenario_file::parse(Path::new("bad.yaml"), &bad);
            assert!(
                loaded.is_err_and(|e| e.to_string().contains(field)),
                "the loader accepts {field}"
            );
        }
    }

    #[test]
    fn the_command_prints_the_schema_as_json() {
        let mut out = Vec::new();
        assert_eq!(run(&Args {}, &mut out), exit::OK);
        let printed: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
        assert_eq!(printed, crate::scenario_file::scenario_schema());
        assert_eq!(printed["additionalProperties"], false);
        assert_eq!(printed["$schema"], "http://json-schema.org/draft-07/schema#");
    }
}
