//! `fletsim map-e`: the MAP-E calculator.
//!
//! Raw command-line values ([`MapeArgs`], strings as typed) are validated into
//! a prefix, a [`MapRule`] (from a VNE preset or explicit options), a BR and
//! an interface-id layout; `sim_core::mape::compute` does the arithmetic; the
//! result is written as aligned text or one JSON object to any `io::Write`.
//!
//! Wiring in `main`: call [`run`] with stdout; on error print
//! `fletsim map-e: {error}` to stderr and exit with [`MapeCmdError::exit_code`]
//! (2 for bad arguments, 1 when the output cannot be written).

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use sim_core::mape::{
    self, IidLayout, Ipv4Prefix, Ipv6Prefix, MapRule, MapeConfig, MapeError, Mechanism, VnePreset,
};

/// Ranges listed in full up to this many; beyond it, the first and last few.
const RANGES_IN_FULL: usize = 8;
/// Ranges shown at each end when the list is shortened.
const RANGES_AT_EACH_END: usize = 3;

/// Interface-id layout of the CE address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IidArg {
    /// RFC 7597 §6: 0x0000 | IPv4 | PSID
    #[value(alias = "rfc7597")]
    Rfc,
    /// draft-ietf-softwire-map-03, used by Japanese VNEs: 0x00 | IPv4 | PSID | 0x00
    #[value(alias = "draft-03")]
    Draft03,
}

impl From<IidArg> for IidLayout {
    fn from(arg: IidArg) -> Self {
        match arg {
            IidArg::Rfc => IidLayout::Rfc7597,
            IidArg::Draft03 => IidLayout::Draft03,
        }
    }
}

/// Options of `fletsim map-e`: an End-user prefix and a MAP rule (a VNE preset or explicit).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct MapeArgs {
    /// End-user IPv6 prefix (from RA or DHCPv6-PD), e.g. 240b:10:3f6c:d400::/56
    #[arg(long, value_name = "PREFIX")]
    pub prefix: String,
    /// VNE preset: v6plus, ocn, transix (aliases such as v6-plus, ocn-vc accepted)
    #[arg(long, value_name = "NAME")]
    pub vne: Option<String>,
    /// Explicit rule: rule IPv6 prefix R6/n, e.g. 240b:10::/31
    #[arg(long, value_name = "R6")]
    pub rule6: Option<String>,
    /// Explicit rule: rule IPv4 prefix R4/r, e.g. 106.72.0.0/15
    #[arg(long, value_name = "R4")]
    pub rule4: Option<String>,
    /// Explicit rule: EA-bits length o
    #[arg(long, value_name = "BITS")]
    pub ea_len: Option<u8>,
    /// Explicit rule: PSID offset a (RFC default 6; v6 plus uses 4)
    #[arg(long, value_name = "BITS")]
    pub psid_offset: Option<u8>,
    /// Explicit rule: PSID length k (must agree with o + r - 32 when the EA bits carry the PSID)
    #[arg(long, value_name = "BITS")]
    pub psid_len: Option<u8>,
    /// Explicit rule: PSID value, for rules whose EA bits carry none (decimal or 0x hex)
    #[arg(long, value_name = "PSID", value_parser = parse_psid)]
    pub psid: Option<u16>,
    /// Border relay address (default: the preset's)
    #[arg(long, value_name = "ADDR")]
    pub br: Option<String>,
    /// Interface-id layout of the CE address (default: the preset's, else rfc)
    #[arg(long, value_enum, value_name = "LAYOUT")]
    pub iid: Option<IidArg>,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// A PSID in decimal or `0x` hex.
fn parse_psid(text: &str) -> Result<u16, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => text.parse::<u16>(),
    };
    parsed.map_err(|_| format!("`{text}` is not a PSID (0..=65535, decimal or 0x hex)"))
}

/// Why `fletsim map-e` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum MapeCmdError {
    #[error("--vne cannot be combined with an explicit rule ({flags}): use one or the other")]
    VneWithRule { flags: String },
    #[error(
        "no MAP rule: give --vne NAME ({accepted}) or an explicit rule (--rule6, --rule4, --ea-len, --psid-offset)"
    )]
    NoRule { accepted: String },
    #[error(
        "incomplete MAP rule: missing {missing} (an explicit rule needs --rule6, --rule4, --ea-len and --psid-offset)"
    )]
    IncompleteRule { missing: String },
    #[error("unknown VNE `{name}` (accepted: {accepted})")]
    UnknownVne { name: String, accepted: String },
    #[error(
        "{vne} uses DS-Lite, not MAP-E: there is no MAP rule or port set; IPv4 is NATed at the AFTR {aftr_name}"
    )]
    NotMapE {
        vne: &'static str,
        aftr_name: &'static str,
    },
    #[error(
        "{prefix} is not covered by any {vne} MAP rule fletsim knows ({known}); give the rule with --rule6/--rule4/--ea-len/--psid-offset"
    )]
    NoPresetRule {
        prefix: Ipv6Prefix,
        vne: &'static str,
        known: String,
    },
    #[error("--{flag}: {source}")]
    BadValue { flag: &'static str, source: MapeError },
    #[error("--br: `{text}` is not an IPv6 address")]
    BadBr { text: String },
    #[error("{0}")]
    Rule(#[source] MapeError),
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
}

impl MapeCmdError {
    /// Whether the user's arguments are at fault (as opposed to the output).
    pub fn is_bad_arguments(&self) -> bool {
        !matches!(self, MapeCmdError::Io(_))
    }

    /// Process exit code: 2 for bad arguments, 1 when the output cannot be written.
    pub fn exit_code(&self) -> u8 {
        if self.is_bad_arguments() { 2 } else { 1 }
    }
}

/// Where the rule came from.
#[derive(Debug)]
enum RuleSource {
    Preset(&'static VnePreset),
    Explicit,
}

/// The validated request: everything `compute` and the printers need.
#[derive(Debug)]
struct Request {
    prefix: Ipv6Prefix,
    rule: MapRule,
    source: RuleSource,
    br: Option<Ipv6Addr>,
    iid: IidLayout,
}

/// Computes the MAP-E configuration the arguments describe and writes it to `out`.
pub fn run(args: &MapeArgs, out: &mut dyn Write) -> Result<(), MapeCmdError> {
    let request = validate(args)?;
    let config = mape::compute(request.prefix, &request.rule, request.iid).map_err(MapeCmdError::Rule)?;
    if args.json {
        write_json(&request, &config, out)?;
    } else {
        write_text(&request, &config, out)?;
    }
    Ok(())
}

/// `v6plus (v6-plus, jpne), ocn (...), transix (...)`.
fn accepted_vne_names() -> String {
    mape::vne_presets()
        .iter()
        .map(|preset| {
            if preset.aliases.is_empty() {
                preset.name.to_string()
            } else {
                format!("{} ({})", preset.name, preset.aliases.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn validate(args: &MapeArgs) -> Result<Request, MapeCmdError> {
    let rule_flags = [
        ("--rule6", args.rule6.is_some()),
        ("--rule4", args.rule4.is_some()),
        ("--ea-len", args.ea_len.is_some()),
        ("--psid-offset", args.psid_offset.is_some()),
        ("--psid-len", args.psid_len.is_some()),
        ("--psid", args.psid.is_some()),
    ];
    let given: Vec<&str> = rule_flags
        .iter()
        .filter(|(_, set)| *set)
        .map(|(flag, _)| *flag)
        .collect();

    let (preset, explicit) = match &args.vne {
        Some(_) if !given.is_empty() => {
            return Err(MapeCmdError::VneWithRule {
                flags: given.join(", "),
            });
        }
        Some(name) => {
            let preset = mape::vne_preset(name).ok_or_else(|| MapeCmdError::UnknownVne {
                name: name.clone(),
                accepted: accepted_vne_names(),
            })?;
            if let Mechanism::DsLite { aftr_name } = preset.mechanism {
                return Err(MapeCmdError::NotMapE {
                    vne: preset.name,
                    aftr_name,
                });
            }
            (Some(preset), None)
        }
        None => (None, Some(explicit_rule(args, given.is_empty())?)),
    };

    let prefix = Ipv6Prefix::parse(&args.prefix).map_err(|source| MapeCmdError::BadValue {
        flag: "prefix",
        source,
    })?;

    let (rule, source) = match (preset, explicit) {
        (Some(preset), _) => {
            let rule = preset
                .rule_for(&prefix)
                .ok_or_else(|| MapeCmdError::NoPresetRule {
                    prefix,
                    vne: preset.name,
                    known: preset
                        .rules()
                        .iter()
                        .map(|rule| rule.ipv6_prefix.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            (rule.clone(), RuleSource::Preset(preset))
        }
        (None, Some(rule)) => (rule, RuleSource::Explicit),
        (None, None) => {
            return Err(MapeCmdError::NoRule {
                accepted: accepted_vne_names(),
            });
        }
    };

    let br = match &args.br {
        Some(text) => Some(
            text.trim()
                .parse::<Ipv6Addr>()
                .map_err(|_| MapeCmdError::BadBr { text: text.clone() })?,
        ),
        None => preset.and_then(VnePreset::br),
    };

    let iid = match (args.iid, &source) {
        (Some(arg), _) => arg.into(),
        (None, RuleSource::Preset(preset)) => match preset.mechanism {
            Mechanism::MapE { iid, .. } => iid,
            Mechanism::DsLite { .. } => IidLayout::Rfc7597,
        },
        (None, RuleSource::Explicit) => IidLayout::Rfc7597,
    };

    Ok(Request {
        prefix,
        rule,
        source,
        br,
        iid,
    })
}

/// The explicit rule from `--rule6 --rule4 --ea-len --psid-offset [--psid-len] [--psid]`.
fn explicit_rule(args: &MapeArgs, nothing_given: bool) -> Result<MapRule, MapeCmdError> {
    if nothing_given {
        return Err(MapeCmdError::NoRule {
            accepted: accepted_vne_names(),
        });
    }
    let missing: Vec<&str> = [
        ("--rule6", args.rule6.is_none()),
        ("--rule4", args.rule4.is_none()),
        ("--ea-len", args.ea_len.is_none()),
        ("--psid-offset", args.psid_offset.is_none()),
    ]
    .iter()
    .filter(|(_, absent)| *absent)
    .map(|(flag, _)| *flag)
    .collect();
    let (Some(rule6), Some(rule4), Some(ea_len), Some(psid_offset)) =
        (&args.rule6, &args.rule4, args.ea_len, args.psid_offset)
    else {
        return Err(MapeCmdError::IncompleteRule {
            missing: missing.join(", "),
        });
    };
    Ok(MapRule {
        ipv6_prefix: Ipv6Prefix::parse(rule6).map_err(|source| MapeCmdError::BadValue {
            flag: "rule6",
            source,
        })?,
        ipv4_prefix: Ipv4Prefix::parse(rule4).map_err(|source| MapeCmdError::BadValue {
            flag: "rule4",
            source,
        })?,
        ea_len,
        psid_offset,
        psid_len: args.psid_len,
        psid: args.psid,
    })
}

/// `7488-7503`, or `7488` for a single port.
fn range_text((first, last): (u16, u16)) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

/// All ranges when few, else the first and last few around `...`.
fn compact_ranges(config: &MapeConfig) -> String {
    let ranges = config.ports.ranges();
    let count = ranges.len();
    if count <= RANGES_IN_FULL {
        return ranges.map(range_text).collect::<Vec<_>>().join(", ");
    }
    let head = config.ports.ranges().take(RANGES_AT_EACH_END).map(range_text);
    let tail = config
        .ports
        .ranges()
        .skip(count - RANGES_AT_EACH_END)
        .map(range_text);
    head.chain(std::iter::once("...".to_string()))
        .chain(tail)
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_text(request: &Request, config: &MapeConfig, out: &mut dyn Write) -> std::io::Result<()> {
    let rule = &request.rule;
    let line = |out: &mut dyn Write, label: &str, value: &str| writeln!(out, "{label:<16}{value}");

    line(out, "End-user prefix", &config.end_user_prefix.to_string())?;
    if let RuleSource::Preset(preset) = request.source {
        line(out, "VNE", preset.title)?;
    }
    line(
        out,
        "MAP rule",
        &format!(
            "{} -> {}, EA bits {}",
            rule.ipv6_prefix, rule.ipv4_prefix, rule.ea_len
        ),
    )?;
    if config.is_ipv4_prefix() {
        line(out, "IPv4 prefix", &config.ipv4.to_string())?;
    } else {
        line(out, "IPv4 address", &config.ipv4_address().to_string())?;
    }
    let ports = &config.ports;
    if ports.is_restricted() {
        line(
            out,
            "PSID",
            &format!("{0} ({0:#x}), {1} bits", ports.psid(), ports.psid_len()),
        )?;
        line(out, "PSID offset", &ports.psid_offset().to_string())?;
        let per_range = ports
            .ranges()
            .next()
            .map_or(0, |(first, last)| u32::from(last) - u32::from(first) + 1);
        line(
            out,
            "Ports",
            &format!(
                "{} in {} range{} of {per_range}",
                ports.len(),
                ports.range_count(),
                if ports.range_count() == 1 { "" } else { "s" }
            ),
        )?;
        line(out, "Port ranges", &compact_ranges(config))?;
    } else {
        line(out, "PSID", "none (the address is not shared)")?;
        line(out, "Ports", &format!("all {} (0-65535)", ports.len()))?;
    }
    line(
        out,
        "CE address",
        &format!("{} ({} interface id)", config.ce_address, config.iid),
    )?;
    if let Some(br) = request.br {
        line(out, "BR address", &br.to_string())?;
    }
    Ok(())
}

/// The `--json` object; field order is output order.
#[derive(Serialize)]
struct JsonOutput {
    ipv4: Ipv4Addr,
    ipv4_prefix_len: u8,
    psid: u16,
    psid_len: u8,
    psid_offset: u8,
    port_count: u32,
    port_ranges: Vec<[u16; 2]>,
    ce_address: Ipv6Addr,
    iid: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    br: Option<Ipv6Addr>,
}

fn write_json(request: &Request, config: &MapeConfig, out: &mut dyn Write) -> std::io::Result<()> {
    let json = JsonOutput {
        ipv4: config.ipv4_address(),
        ipv4_prefix_len: config.ipv4.prefix_len(),
        psid: config.psid(),
        psid_len: config.psid_len(),
        psid_offset: config.psid_offset(),
        port_count: config.port_count(),
        port_ranges: config.ports.ranges().map(|(first, last)| [first, last]).collect(),
        ce_address: config.ce_address,
        iid: config.iid.name(),
        br: request.br,
    };
    serde_json::to_writer(&mut *out, &json).map_err(std::io::Error::from)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: MapeArgs,
    }

    fn run_cli(argv: &[&str]) -> Result<String, MapeCmdError> {
        let cli = Cli::try_parse_from(std::iter::once("map-e").chain(argv.iter().copied()))
            .expect("clap accepts the arguments");
        let mut out = Vec::new();
        run(&cli.args, &mut out)?;
        Ok(String::from_utf8(out).expect("UTF-8 output"))
    }

    fn run_json(argv: &[&str]) -> serde_json::Value {
        let mut with_json = argv.to_vec();
        with_json.push("--json");
        let text = run_cli(&with_json).expect("computes");
        assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
        serde_json::from_str(&text).expect("valid JSON")
    }

    fn run_err(argv: &[&str]) -> MapeCmdError {
        let err = run_cli(argv).expect_err("should fail");
        let message = err.to_string();
        assert!(!message.contains('\n'), "one line: {message}");
        assert_eq!(err.exit_code(), 2, "{message}");
        err
    }

    const V6PLUS: [&str; 4] = ["--prefix", "240b:10:3f6c:d400::/56", "--vne", "v6plus"];
    const RFC_EXAMPLE: [&str; 10] = [
        "--prefix",
        "2001:db8:12:3400::/56",
        "--rule6",
        "2001:db8::/40",
        "--rule4",
        "192.0.2.0/24",
        "--ea-len",
        "16",
        "--psid-offset",
        "6",
    ];

    #[test]
    fn v6plus_json() {
        let json = run_json(&V6PLUS);
        assert_eq!(json["ipv4"], "106.72.63.108");
        assert_eq!(json["ipv4_prefix_len"], 32);
        assert_eq!(json["psid"], 212);
        assert_eq!(json["psid_len"], 8);
        assert_eq!(json["psid_offset"], 4);
        assert_eq!(json["port_count"], 240);
        let ranges = json["port_ranges"].as_array().expect("array");
        assert_eq!(ranges.len(), 15);
        assert_eq!(ranges[0], serde_json::json!([7488, 7503]));
        assert_eq!(ranges[14], serde_json::json!([64832, 64847]));
        assert_eq!(json["ce_address"], "240b:10:3f6c:d400:6a:483f:6c00:d400");
        assert_eq!(json["iid"], "draft03");
        assert_eq!(json["br"], "2404:9200:225:100::64");
        let keys: Vec<&str> = json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "ipv4",
            "psid",
            "psid_len",
            "port_count",
            "port_ranges",
            "ce_address",
        ] {
            assert!(keys.contains(&key), "{key}");
        }
    }

    #[test]
    fn rfc_example_json_via_explicit_rule() {
        let json = run_json(&RFC_EXAMPLE);
        assert_eq!(json["ipv4"], "192.0.2.18");
        assert_eq!(json["psid"], 0x34);
        assert_eq!(json["psid"], 52);
        assert_eq!(json["psid_len"], 8);
        assert_eq!(json["port_count"], 252);
        assert_eq!(json["port_ranges"][0], serde_json::json!([1232, 1235]));
        assert_eq!(json["port_ranges"][1], serde_json::json!([2256, 2259]));
        assert_eq!(json["ce_address"], "2001:db8:12:3400:0:c000:212:34");
        assert_eq!(json["iid"], "rfc7597");
        assert!(json.get("br").is_none(), "no BR known");
    }

    #[test]
    fn v6plus_text() {
        let text = run_cli(&V6PLUS).expect("computes");
        let expected = "\
End-user prefix 240b:10:3f6c:d400::/56
VNE             v6 plus (JPNE)
MAP rule        240b:10::/31 -> 106.72.0.0/15, EA bits 25
IPv4 address    106.72.63.108
PSID            212 (0xd4), 8 bits
PSID offset     4
Ports           240 in 15 ranges of 16
Port ranges     7488-7503, 11584-11599, 15680-15695, ..., 56640-56655, 60736-60751, 64832-64847
CE address      240b:10:3f6c:d400:6a:483f:6c00:d400 (draft-03 interface id)
BR address      2404:9200:225:100::64
";
        assert_eq!(text, expected);
    }

    #[test]
    fn rfc_example_text() {
        let mut argv = RFC_EXAMPLE.to_vec();
        argv.extend(["--br", "2001:db8:ffff::1"]);
        let text = run_cli(&argv).expect("computes");
        assert!(text.contains("IPv4 address    192.0.2.18\n"), "{text}");
        assert!(text.contains("PSID            52 (0x34), 8 bits\n"), "{text}");
        assert!(text.contains("PSID offset     6\n"), "{text}");
        assert!(text.contains("Ports           252 in 63 ranges of 4\n"), "{text}");
        assert!(
            text.contains("Port ranges     1232-1235, 2256-2259, 3280-3283, ..., 62672-62675, 63696-63699, 64720-64723\n"),
            "{text}"
        );
        assert!(
            text.contains("CE address      2001:db8:12:3400:0:c000:212:34 (RFC 7597 interface id)\n"),
            "{text}"
        );
        assert!(text.contains("BR address      2001:db8:ffff::1\n"), "{text}");
    }

    #[test]
    fn ocn_alias_and_layout_override() {
        let json = run_json(&["--prefix", "2400:4050:123:4500::/56", "--vne", "ocn-vc"]);
        assert_eq!(json["ipv4"], "153.240.4.141");
        assert_eq!(json["psid"], 5);
        assert_eq!(json["port_count"], 1008);
        assert_eq!(json["ce_address"], "2400:4050:123:4500:99:f004:8d00:500");
        assert_eq!(json["br"], "2001:380:a120::9");

        let mut argv = V6PLUS.to_vec();
        argv.extend(["--iid", "rfc", "--br", "2001:db8::64"]);
        let json = run_json(&argv);
        assert_eq!(json["ce_address"], "240b:10:3f6c:d400:0:6a48:3f6c:d4");
        assert_eq!(json["br"], "2001:db8::64");
    }

    #[test]
    fn unshared_address_and_explicit_psid() {
        let text = run_cli(&[
            "--prefix",
            "2001:db8:12::/48",
            "--rule6",
            "2001:db8::/40",
            "--rule4",
            "192.0.2.0/24",
            "--ea-len",
            "8",
            "--psid-offset",
            "6",
        ])
        .expect("computes");
        assert!(
            text.contains("PSID            none (the address is not shared)\n"),
            "{text}"
        );
        assert!(text.contains("Ports           all 65536 (0-65535)\n"), "{text}");

        let text = run_cli(&[
            "--prefix",
            "2001:db8:12::/48",
            "--rule6",
            "2001:db8::/40",
            "--rule4",
            "10.0.0.0/8",
            "--ea-len",
            "8",
            "--psid-offset",
            "6",
        ])
        .expect("computes");
        assert!(text.contains("IPv4 prefix     10.18.0.0/16\n"), "{text}");

        let json = run_json(&[
            "--prefix",
            "2001:db8:12:3400::/56",
            "--rule6",
            "2001:db8::/32",
            "--rule4",
            "192.0.2.18/32",
            "--ea-len",
            "0",
            "--psid-offset",
            "6",
            "--psid-len",
            "8",
            "--psid",
            "0x34",
        ]);
        assert_eq!(json["psid"], 52);
        assert_eq!(json["port_count"], 252);
        assert_eq!(json["ce_address"], "2001:db8:12:3400:0:c000:212:34");
    }

    #[test]
    fn argument_errors_are_one_clear_line() {
        let mut argv = V6PLUS.to_vec();
        argv.extend(["--rule6", "240b:10::/31", "--ea-len", "25"]);
        let err = run_err(&argv);
        assert!(matches!(err, MapeCmdError::VneWithRule { .. }));
        assert!(err.to_string().contains("--rule6, --ea-len"), "{err}");

        let err = run_err(&[
            "--prefix",
            "240b:10:3f6c:d400::/56",
            "--rule6",
            "240b:10::/31",
            "--psid-offset",
            "4",
        ]);
        assert_eq!(
            err.to_string(),
            "incomplete MAP rule: missing --rule4, --ea-len (an explicit rule needs --rule6, --rule4, --ea-len and --psid-offset)"
        );

        let err = run_err(&["--prefix", "240b:10:3f6c:d400::/56"]);
        assert!(matches!(err, MapeCmdError::NoRule { .. }));
        assert!(err.to_string().contains("v6plus"), "{err}");

        let err = run_err(&["--prefix", "240b:10:3f6c:d400::/56", "--vne", "biglobe"]);
        assert_eq!(
            err.to_string(),
            "unknown VNE `biglobe` (accepted: v6plus (v6-plus, jpne), ocn (ocn-vc, ocn-virtual-connect), transix (ds-lite-transix, dslite-transix))"
        );

        let err = run_err(&["--prefix", "2409:10:1:100::/56", "--vne", "transix"]);
        assert!(matches!(err, MapeCmdError::NotMapE { .. }));
        assert!(err.to_string().contains("DS-Lite"), "{err}");
        assert!(err.to_string().contains("gw.transix.jp"), "{err}");

        let err = run_err(&["--prefix", "2400:4050:123:4500::/56", "--vne", "v6plus"]);
        assert!(matches!(err, MapeCmdError::NoPresetRule { .. }));
        assert!(err.to_string().contains("240b:10::/31"), "{err}");

        let err = run_err(&["--prefix", "nope", "--vne", "v6plus"]);
        assert!(
            err.to_string()
                .starts_with("--prefix: `nope` is not an IPv6 prefix"),
            "{err}"
        );

        let mut argv = RFC_EXAMPLE.to_vec();
        argv[5] = "192.0.2.0/40";
        let err = run_err(&argv);
        assert!(
            err.to_string().starts_with("--rule4: IPv4 prefix length 40"),
            "{err}"
        );

        let mut argv = V6PLUS.to_vec();
        argv.extend(["--br", "gw.example"]);
        assert!(matches!(run_err(&argv), MapeCmdError::BadBr { .. }));

        let err = run_err(&["--prefix", "240b:10:3f6c::/48", "--vne", "v6plus"]);
        assert!(
            matches!(err, MapeCmdError::Rule(MapeError::PrefixTooShort { .. })),
            "{err}"
        );
        assert!(err.to_string().contains("/56"), "{err}");

        let mut argv = RFC_EXAMPLE.to_vec();
        argv.extend(["--psid-len", "6"]);
        assert!(matches!(
            run_err(&argv),
            MapeCmdError::Rule(MapeError::PsidLenMismatch { .. })
        ));
    }

    #[test]
    fn clap_rejects_what_it_types() {
        assert!(Cli::try_parse_from(["map-e", "--prefix", "::/0", "--iid", "bogus"]).is_err());
        assert!(
            Cli::try_parse_from(["map-e", "--vne", "v6plus"]).is_err(),
            "--prefix is required"
        );
        assert!(Cli::try_parse_from(["map-e", "--prefix", "::/0", "--psid", "0x1ffff"]).is_err());
        let cli = Cli::try_parse_from(["map-e", "--prefix", "::/0", "--iid", "draft-03"]).expect("alias");
        assert_eq!(cli.args.iid, Some(IidArg::Draft03));
    }

    #[test]
    fn write_failure_is_not_a_usage_error() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let cli = Cli::try_parse_from(std::iter::once("map-e").chain(V6PLUS)).expect("parses");
        for json in [false, true] {
            let args = MapeArgs {
                json,
                ..cli.args.clone()
            };
            let err = run(&args, &mut Broken).expect_err("write fails");
            assert!(matches!(err, MapeCmdError::Io(_)));
            assert_eq!(err.exit_code(), 1);
        }
    }
}
