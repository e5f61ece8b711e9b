//! `fletsim map-e`: the MAP-E calculator.
//!
//! Raw command-line values ([`MapeArgs`], strings as typed) are validated into
//! a prefix (at most /64), a [`MapRule`] and a BR (the rule of the VNE's table,
//! `sim_core::map_rules`, that covers the prefix; with `--vne` left out, of
//! whichever VNE's table covers it; or a rule given by hand) and an interface-id
//! layout; `sim_core::mape::compute` does the arithmetic; the result is written
//! as aligned text or one JSON object to any `io::Write`.
//!
//! Wiring in `main`: call [`run`] with stdout; on error print
//! `fletsim map-e: {error}` to stderr and exit with [`MapeCmdError::exit_code`]
//! (2 for bad arguments, 1 when the output cannot be written).

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use sim_core::map_rules::{self, NgnArea, TableRule, Uncovered};
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
#[command(after_help = "Examples:
  fletsim map-e --prefix 240b:10:3f6c:d400::/56 --vne v6plus
  fletsim map-e --prefix 240b:10:3f6c:d400::/56 --vne v6plus --json -
  fletsim map-e --prefix 2001:db8:12:3400::/56 --rule6 2001:db8::/40 --rule4 192.0.2.0/24 --ea-len 16 --psid-offset 6")]
#[command(mut_arg("quiet", |a| a.help("Print only what a CE is configured with (address, PSID, port ranges, CE and BR addresses)")))]
#[command(mut_arg("verbose", |a| a.help("Print more: every port range, however many")))]
pub struct MapeArgs {
    /// End-user IPv6 prefix (from RA or DHCPv6-PD, at most /64), e.g. 240b:10:3f6c:d400::/56
    #[arg(long, value_name = "PREFIX")]
    pub prefix: String,
    /// VNE preset: v6plus, ocn, transix (aliases such as v6-plus, biglobe, ocn-vc accepted);
    /// default: the VNE whose rule table covers the prefix
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
    /// Write one JSON object instead of text, to FILE (`-`: stdout; an existing FILE needs --force)
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<crate::outputs::Destination>,
    /// Replace the --json file if it exists
    #[arg(long, requires = "json")]
    pub force: bool,
    #[command(flatten)]
    pub output: crate::options::OutputOptions,
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
    #[error("{uncovered}; {}", by_hand_hint(uncovered))]
    NoPresetRule { uncovered: Uncovered },
    #[error("{uncovered}; {}", by_hand_hint(uncovered))]
    NotInAnyTable { uncovered: Uncovered },
    #[error(
        "--prefix: {prefix} is longer than /64; an End-user prefix (a /64 from RA, a /56 from DHCPv6-PD) is at most /64"
    )]
    PrefixTooLong { prefix: Ipv6Prefix },
    #[error("--{flag}: {source}")]
    BadValue { flag: &'static str, source: MapeError },
    #[error("--br: `{text}` is not an IPv6 address")]
    BadBr { text: String },
    #[error("{0}")]
    Rule(#[source] MapeError),
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
    /// The --json destination refused (an existing file without --force, a missing folder).
    #[error("--json: {0}")]
    Output(String),
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

/// How to go on when no table rule covers the prefix: another VNE's table, or a rule by hand.
fn by_hand_hint(uncovered: &Uncovered) -> String {
    let by_hand =
        "give the rule by hand with --rule6 R6 --rule4 R4 --ea-len o --psid-offset a (and --br ADDR)";
    match (uncovered.vne, uncovered.elsewhere) {
        (Some(_), Some(other)) => format!("use --vne {} or leave --vne out, or {by_hand}", other.vne),
        _ => by_hand.to_string(),
    }
}

/// When `prefix` is shorter than rules of the table that lie inside it: `compute`'s "too
/// short" against one of them, rather than "outside the table".
fn too_short(rules: &[TableRule], prefix: Ipv6Prefix) -> Option<MapeCmdError> {
    let inside = map_rules::rule_inside(rules, &prefix)?;
    mape::compute(prefix, &inside.rule, IidLayout::Draft03)
        .err()
        .map(MapeCmdError::Rule)
}

/// Where the rule came from.
#[derive(Debug)]
enum RuleSource {
    /// A rule of a VNE's table; `vne_from_prefix` when `--vne` was left out.
    Table {
        preset: &'static VnePreset,
        rule: &'static TableRule,
        vne_from_prefix: bool,
    },
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
pub fn run(
    args: &MapeArgs,
    env: &crate::console::Environment,
    out: &mut dyn Write,
) -> Result<(), MapeCmdError> {
    let request = validate(args)?;
    let config = mape::compute(request.prefix, &request.rule, request.iid).map_err(MapeCmdError::Rule)?;
    if let Some(dest) = &args.json {
        let mut json = Vec::new();
        write_json(&request, &config, &mut json)?;
        match dest {
            // Stdout fails as text output does (exit 1); a file destination is the user's (exit 2).
            crate::outputs::Destination::Stdout => out.write_all(&json)?,
            crate::outputs::Destination::File(_) => {
                crate::outputs::write_to(dest, out, args.force, |w| w.write_all(&json))
                    .map_err(MapeCmdError::Output)?
            }
        }
    } else {
        let shown = Shown {
            verbosity: args.output.verbosity(),
            palette: args.output.palette(env),
        };
        write_text(&request, &config, shown, out)?;
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

    let preset = match &args.vne {
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
            Some(preset)
        }
        None => None,
    };
    let explicit = if given.is_empty() {
        None
    } else {
        Some(explicit_rule(args)?)
    };

    let prefix = Ipv6Prefix::parse(&args.prefix).map_err(|source| MapeCmdError::BadValue {
        flag: "prefix",
        source,
    })?;
    if prefix.prefix_len() > 64 {
        return Err(MapeCmdError::PrefixTooLong { prefix });
    }

    let (rule, source) = match (preset, explicit) {
        (_, Some(rule)) => (rule, RuleSource::Explicit),
        (Some(preset), None) => {
            let rule = preset.rule_for(&prefix).ok_or_else(|| {
                too_short(preset.rules(), prefix).unwrap_or(MapeCmdError::NoPresetRule {
                    uncovered: Uncovered::new(Some(preset.name), prefix),
                })
            })?;
            let source = RuleSource::Table {
                preset,
                rule,
                vne_from_prefix: false,
            };
            (rule.rule.clone(), source)
        }
        (None, None) => {
            let rule = map_rules::find(&prefix).ok_or_else(|| {
                too_short(map_rules::all(), prefix).unwrap_or(MapeCmdError::NotInAnyTable {
                    uncovered: Uncovered::new(None, prefix),
                })
            })?;
            let preset = mape::vne_preset(rule.vne).ok_or_else(|| MapeCmdError::UnknownVne {
                name: rule.vne.to_string(),
                accepted: accepted_vne_names(),
            })?;
            let source = RuleSource::Table {
                preset,
                rule,
                vne_from_prefix: true,
            };
            (rule.rule.clone(), source)
        }
    };

    let br = match (&args.br, &source) {
        (Some(text), _) => Some(
            text.trim()
                .parse::<Ipv6Addr>()
                .map_err(|_| MapeCmdError::BadBr { text: text.clone() })?,
        ),
        (None, RuleSource::Table { rule, .. }) => Some(rule.br),
        (None, RuleSource::Explicit) => None,
    };

    let iid = match (args.iid, &source) {
        (Some(arg), _) => arg.into(),
        (None, RuleSource::Table { preset, .. }) => preset.iid(),
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
fn explicit_rule(args: &MapeArgs) -> Result<MapRule, MapeCmdError> {
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

/// All ranges when few (or `all`), else the first and last few around `...`.
fn compact_ranges(config: &MapeConfig, all: bool) -> String {
    let ranges = config.ports.ranges();
    let count = ranges.len();
    if all || count <= RANGES_IN_FULL {
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

/// How the text is shown: `-q` keeps the lines a CE is configured with (address, PSID, port
/// ranges, CE and BR addresses); `-v` lists every port range; colour dims the labels.
#[derive(Clone, Copy)]
struct Shown {
    verbosity: reports::text::Verbosity,
    palette: reports::text::Palette,
}

fn write_text(
    request: &Request,
    config: &MapeConfig,
    shown: Shown,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use reports::text::Verbosity;
    let rule = &request.rule;
    let quiet = shown.verbosity == Verbosity::Quiet;
    // The lines a CE is configured with, printed at every verbosity.
    let line = |out: &mut dyn Write, label: &str, value: &str| {
        writeln!(out, "{}{value}", shown.palette.dim(&format!("{label:<16}")))
    };
    // How the configuration was found: not with `-q`.
    let context = |out: &mut dyn Write, label: &str, value: &str| {
        if quiet { Ok(()) } else { line(out, label, value) }
    };

    context(out, "End-user prefix", &config.end_user_prefix.to_string())?;
    if let RuleSource::Table {
        preset,
        vne_from_prefix,
        ..
    } = request.source
    {
        let how = if vne_from_prefix {
            ", found from the prefix"
        } else {
            ""
        };
        context(out, "VNE", &format!("{}{how}", preset.title))?;
    }
    context(
        out,
        "MAP rule",
        &format!(
            "{} -> {}, EA bits {}",
            rule.ipv6_prefix, rule.ipv4_prefix, rule.ea_len
        ),
    )?;
    if let RuleSource::Table { rule: row, .. } = request.source {
        context(
            out,
            "Rule block",
            &format!("{}'s block, {}", row.block_title(), row.area.title()),
        )?;
    }
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
        context(out, "PSID offset", &ports.psid_offset().to_string())?;
        let per_range = ports
            .ranges()
            .next()
            .map_or(0, |(first, last)| u32::from(last) - u32::from(first) + 1);
        context(
            out,
            "Ports",
            &format!(
                "{} in {} range{} of {per_range}",
                ports.len(),
                ports.range_count(),
                if ports.range_count() == 1 { "" } else { "s" }
            ),
        )?;
        line(
            out,
            "Port ranges",
            &compact_ranges(config, shown.verbosity == Verbosity::Verbose),
        )?;
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
struct JsonOutput<'a> {
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
    /// The rule used (from a table or given by hand).
    rule: &'a MapRule,
    /// The VNE preset whose table holds the rule; absent for a rule given by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    vne: Option<&'static str>,
    /// Whether the VNE was found from the prefix (`--vne` left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    vne_from_prefix: Option<bool>,
    /// Who holds the rule's IPv6 block (`jpne`, `biglobe`, `ocn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    block: Option<&'static str>,
    /// The NTT area of the block (`east`, `west`).
    #[serde(skip_serializing_if = "Option::is_none")]
    area: Option<NgnArea>,
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
        rule: &request.rule,
        vne: None,
        vne_from_prefix: None,
        block: None,
        area: None,
    };
    let json = match request.source {
        RuleSource::Table {
            preset,
            rule,
            vne_from_prefix,
        } => JsonOutput {
            vne: Some(preset.name),
            vne_from_prefix: Some(vne_from_prefix),
            block: Some(rule.block),
            area: Some(rule.area),
            ..json
        },
        RuleSource::Explicit => json,
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
        run(&cli.args, &crate::console::Environment::default(), &mut out)?;
        Ok(String::from_utf8(out).expect("UTF-8 output"))
    }

    fn run_json(argv: &[&str]) -> serde_json::Value {
        let mut with_json = argv.to_vec();
        with_json.extend(["--json", "-"]);
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
Rule block      JPNE's block, NTT East
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

        let err = run_err(&["--prefix", "240b:10:3f6c:d400::/56", "--vne", "nuro"]);
        assert_eq!(
            err.to_string(),
            "unknown VNE `nuro` (accepted: v6plus (v6-plus, jpne, biglobe), ocn (ocn-vc, ocn-virtual-connect), transix (ds-lite-transix, dslite-transix))"
        );

        let err = run_err(&["--prefix", "2409:10:1:100::/56", "--vne", "transix"]);
        assert!(matches!(err, MapeCmdError::NotMapE { .. }));
        assert!(err.to_string().contains("DS-Lite"), "{err}");
        assert!(err.to_string().contains("gw.transix.jp"), "{err}");

        let err = run_err(&["--prefix", "2400:4050:123:4500::/56", "--vne", "v6plus"]);
        assert!(matches!(err, MapeCmdError::NoPresetRule { .. }));
        assert_eq!(
            err.to_string(),
            "2400:4050:123:4500::/56 is not covered by any v6plus MAP rule fletsim knows (262 rules; \
             nearest: 2404:7a80::/31 (v6plus), 2404:7a82::/38 (v6plus), 2404:7a82:400::/38 (v6plus)); \
             it is in the ocn table: 2400:4050::/34 (ocn); use --vne ocn or leave --vne out, \
             or give the rule by hand with --rule6 R6 --rule4 R4 --ea-len o --psid-offset a (and --br ADDR)"
        );

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

    /// The issue's acceptance prefix on v6 plus: NTT West, rule 240b:250::/31.
    const V6PLUS_WEST: [&str; 4] = ["--prefix", "240b:250:1234:5600::/56", "--vne", "v6plus"];
    /// The issue's acceptance prefix on OCN: rule 2400:4052:d000::/38.
    const OCN_D000: [&str; 4] = ["--prefix", "2400:4052:d123:4500::/56", "--vne", "ocn"];

    #[test]
    fn acceptance_prefixes_text() {
        let text = run_cli(&V6PLUS_WEST).expect("computes");
        let expected = "\
End-user prefix 240b:250:1234:5600::/56
VNE             v6 plus (JPNE)
MAP rule        240b:250::/31 -> 14.10.0.0/15, EA bits 25
Rule block      JPNE's block, NTT West
IPv4 address    14.10.18.52
PSID            86 (0x56), 8 bits
PSID offset     4
Ports           240 in 15 ranges of 16
Port ranges     5472-5487, 9568-9583, 13664-13679, ..., 54624-54639, 58720-58735, 62816-62831
CE address      240b:250:1234:5600:e:a12:3400:5600 (draft-03 interface id)
BR address      2404:9200:225:100::64
";
        assert_eq!(text, expected);

        let text = run_cli(&OCN_D000).expect("computes");
        let expected = "\
End-user prefix 2400:4052:d123:4500::/56
VNE             OCN Virtual Connect
MAP rule        2400:4052:d000::/38 -> 180.49.0.0/20, EA bits 18
Rule block      OCN's block, NTT East
IPv4 address    180.49.4.141
PSID            5 (0x5), 6 bits
PSID offset     6
Ports           1008 in 63 ranges of 16
Port ranges     1104-1119, 2128-2143, 3152-3167, ..., 62544-62559, 63568-63583, 64592-64607
CE address      2400:4052:d123:4500:b4:3104:8d00:500 (draft-03 interface id)
BR address      2001:380:a120::9
";
        assert_eq!(text, expected);
    }

    #[test]
    fn acceptance_prefixes_json() {
        let json = run_json(&V6PLUS_WEST);
        assert_eq!(json["ipv4"], "14.10.18.52");
        assert_eq!(json["psid"], 86);
        assert_eq!(json["port_count"], 240);
        assert_eq!(json["ce_address"], "240b:250:1234:5600:e:a12:3400:5600");
        assert_eq!(json["br"], "2404:9200:225:100::64");
        assert_eq!(
            json["rule"],
            serde_json::json!({"ipv6_prefix": "240b:250::/31", "ipv4_prefix": "14.10.0.0/15", "ea_len": 25, "psid_offset": 4})
        );
        assert_eq!(json["vne"], "v6plus");
        assert_eq!(json["vne_from_prefix"], false);
        assert_eq!((&json["block"], &json["area"]), (&"jpne".into(), &"west".into()));

        let json = run_json(&OCN_D000);
        assert_eq!(json["ipv4"], "180.49.4.141");
        assert_eq!(json["psid"], 5);
        assert_eq!(json["psid_len"], 6);
        assert_eq!(json["port_count"], 1008);
        assert_eq!(json["ce_address"], "2400:4052:d123:4500:b4:3104:8d00:500");
        assert_eq!(json["br"], "2001:380:a120::9");
        assert_eq!(json["rule"]["ipv6_prefix"], "2400:4052:d000::/38");
        assert_eq!(json["rule"]["ea_len"], 18);
        assert_eq!(json["vne"], "ocn");
    }

    #[test]
    fn vne_left_out_is_found_from_the_prefix() {
        let with = run_json(&V6PLUS_WEST);
        let without = run_json(&V6PLUS_WEST[..2]);
        assert_eq!(without["vne"], "v6plus");
        assert_eq!(without["vne_from_prefix"], true);
        for key in [
            "ipv4",
            "psid",
            "port_ranges",
            "ce_address",
            "br",
            "rule",
            "block",
            "area",
        ] {
            assert_eq!(without[key], with[key], "{key}");
        }
        let text = run_cli(&V6PLUS_WEST[..2]).expect("computes");
        assert!(
            text.contains("VNE             v6 plus (JPNE), found from the prefix\n"),
            "{text}"
        );
        assert!(
            text.contains("MAP rule        240b:250::/31 -> 14.10.0.0/15, EA bits 25\n"),
            "{text}"
        );

        // BIGLOBE's West block: the v6 plus system with BIGLOBE's West BR.
        let json = run_json(&["--prefix", "2404:7a86:1234:5600::/56"]);
        assert_eq!(json["rule"]["ipv6_prefix"], "2404:7a86:1000::/38");
        assert_eq!(json["rule"]["ipv4_prefix"], "133.204.144.0/22");
        // EA bits 0x234 (IPv4 suffix, 10 bits) and 0x56 (PSID): 133.204.144.0 + 564.
        assert_eq!(json["ipv4"], "133.204.146.52");
        assert_eq!(json["psid"], 86);
        assert_eq!(json["br"], "2001:260:700:1::1:276");
        assert_eq!(
            (&json["vne"], &json["block"]),
            (&"v6plus".into(), &"biglobe".into())
        );
        let text = run_cli(&["--prefix", "2404:7a86:1234:5600::/56"]).expect("computes");
        assert!(
            text.contains("Rule block      BIGLOBE's block, NTT West\n"),
            "{text}"
        );
        // `biglobe` names the v6 plus table.
        let json = run_json(&["--prefix", "2404:7a86:1234:5600::/56", "--vne", "biglobe"]);
        assert_eq!(json["br"], "2001:260:700:1::1:276");

        let json = run_json(&["--prefix", "2400:4052:d123:4500::/56"]);
        assert_eq!(json["vne"], "ocn");
        assert_eq!(json["ipv4"], "180.49.4.141");
    }

    #[test]
    fn a_prefix_outside_every_table_names_the_nearest_rules() {
        let err = run_err(&["--prefix", "2001:db8:12:3400::/56"]);
        assert!(matches!(err, MapeCmdError::NotInAnyTable { .. }));
        assert_eq!(
            err.to_string(),
            "2001:db8:12:3400::/56 is not in any MAP rule table fletsim knows (422 rules; \
             nearest: 2400:4050::/34 (ocn), 2400:4050:4000::/35 (ocn), 2400:4050:6000::/35 (ocn)); \
             give the rule by hand with --rule6 R6 --rule4 R4 --ea-len o --psid-offset a (and --br ADDR)"
        );
        // In a gap of OCN's table: the nearest rules are its neighbours.
        let err = run_err(&["--prefix", "2400:4052:f123:4500::/56"]);
        assert!(
            err.to_string().contains(
                "nearest: 2400:4052:ec00::/38 (ocn), 2400:4052:e800::/38 (ocn), 2400:4052:e400::/38 (ocn))"
            ),
            "{err}"
        );
        let err = run_err(&["--prefix", "2400:4152:5e00::/56", "--vne", "ocn"]);
        assert!(matches!(err, MapeCmdError::NoPresetRule { .. }));
        assert!(
            err.to_string().starts_with(
                "2400:4152:5e00::/56 is not covered by any ocn MAP rule fletsim knows (160 rules; nearest: 2400:4152:"
            ),
            "{err}"
        );
        // The way out the message names works.
        let json = run_json(&RFC_EXAMPLE);
        assert_eq!(json["ipv4"], "192.0.2.18");
        assert!(json.get("vne").is_none());
    }

    #[test]
    fn a_prefix_shorter_than_the_rules_of_its_block_is_too_short() {
        for argv in [
            &["--prefix", "2404:7a80::/29"][..],
            &["--prefix", "2404:7a80::/29", "--vne", "v6plus"],
        ] {
            let err = run_err(argv);
            assert_eq!(
                err.to_string(),
                "End-user prefix 2404:7a80::/29 is too short: the rule needs at least /56 (rule prefix /31 + 25 EA bits)"
            );
        }
        let err = run_err(&["--prefix", "2404:7a80::/29", "--vne", "ocn"]);
        assert!(matches!(err, MapeCmdError::NoPresetRule { .. }), "{err}");
    }

    #[test]
    fn a_prefix_longer_than_64_is_refused() {
        for prefix in ["240b:10:3f6c:d400::1/128", "240b:10:3f6c:d400::/65"] {
            let err = run_err(&["--prefix", prefix, "--vne", "v6plus"]);
            assert!(matches!(err, MapeCmdError::PrefixTooLong { .. }), "{err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("--prefix: {prefix} is longer than /64")),
                "{err}"
            );
            let mut argv = RFC_EXAMPLE.to_vec();
            argv[1] = prefix;
            assert!(matches!(run_err(&argv), MapeCmdError::PrefixTooLong { .. }));
        }
        let json = run_json(&["--prefix", "240b:10:3f6c:d4ab::/64", "--vne", "v6plus"]);
        assert_eq!(json["ce_address"], "240b:10:3f6c:d4ab:6a:483f:6c00:d400");
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
                json: json.then_some(crate::outputs::Destination::Stdout),
                ..cli.args.clone()
            };
            let err =
                run(&args, &crate::console::Environment::default(), &mut Broken).expect_err("write fails");
            assert!(matches!(err, MapeCmdError::Io(_)));
            assert_eq!(err.exit_code(), 1);
        }
    }
}
