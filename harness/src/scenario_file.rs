//! Scenario files: YAML read in two stages.
//!
//! Stage 1 deserializes into raw structs (`deny_unknown_fields`, every
//! value kept with its line and column). Stage 2 validates them into
//! [`sim_core::scenario::Scenario`]: units resolved, names turned into
//! presets and ids, limits enforced. Either stage fails with one
//! [`ScenarioError`] naming file, line, column, the field path and what is
//! accepted.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use reports::sweep::{Share, split_share};
use sim_core::cost::CostEstimate;
use sim_core::expect::Expectation;
use sim_core::hazard::Hazard;
use sim_core::lan::ProfileModel;
use sim_core::map_rules::Uncovered;
use sim_core::mape::{
    self, IidLayout, Ipv4Prefix, Ipv6Prefix, MapRule, MapeError, Mechanism, RuleAndBr, VnePreset,
};
use sim_core::napt::{MappingBehaviour, NaptConfig, NaptTimeouts};
use sim_core::scenario::{
    AftrSpec, Backoff, ClientGroup, ClientProfile, FaultAction, FaultKind, FaultSpec, FaultTiming,
    GatewayModel, GatewaySpec, HgwSettings, Ipv6Delivery, LineContract, LinkConditions, LinkId, LoadSource,
    OnuTimings, RouterSettings, Scenario, limits,
};
use sim_core::time::{CivilDateTime, SimDuration, SimTime};
use sim_core::timing::{SPREAD_FORMS, Spread};

mod area;

/// A scenario file that could not be used: where, which field, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// 1-based; 0 when the error is about the whole file.
    pub line: u64,
    pub column: u64,
    /// The field path, e.g. `faults[2].onu_loss_of_signal.duration`; empty for the whole file.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// A loaded scenario: what to simulate and what to expect of it.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    pub file: PathBuf,
    pub description: String,
    pub scenario: Scenario,
    pub expectations: Vec<ScenarioExpectation>,
    /// The `--set` overrides applied, as typed (`PATH=VALUE`), for the reproduce command.
    pub overrides: Vec<String>,
    /// What a run is expected to cost (a scenario over its event limit is refused at load).
    pub cost: CostEstimate,
}

/// One line of `expect:`: an expectation, and for `… for P% of seeds` the share of seeds it must hold for.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioExpectation {
    /// The whole line as written (`for …` included).
    pub text: String,
    /// The expectation judged at each seed (its text without `for …`).
    pub expectation: Expectation,
    pub share: Option<Share>,
    /// Its line in the scenario file (1-based), where reports and annotations point.
    pub line: u64,
}

// ---- stage 1: raw structs --------------------------------------------------

/// A scalar kept as text (numbers too), so that `90` gets "needs a unit" rather than a type error.
#[derive(Clone, Debug, PartialEq)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar (text or number)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A key that is present with no value (`user_reboot:` or `user_reboot: {}`).
#[derive(Clone, Debug, Default, PartialEq)]
enum Presence {
    #[default]
    Absent,
    Present,
}

impl<'de> Deserialize<'de> for Presence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Presence, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Presence;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("nothing, or an empty mapping `{}`")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Presence, E> {
                Ok(Presence::Present)
            }
            fn visit_none<E: de::Error>(self) -> Result<Presence, E> {
                Ok(Presence::Present)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Presence, A::Error> {
                match map.next_key::<String>()? {
                    None => Ok(Presence::Present),
                    Some(k) => Err(de::Error::custom(format!(
                        "unexpected field `{k}`: this fault takes no settings"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A value with its place in the file. A newtype (not an alias) so that the raw structs can
/// derive [`JsonSchema`]: its schema is the value's ([`scenario_schema`]).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
struct S<T>(Spanned<T>);

impl<T> std::ops::Deref for S<T> {
    type Target = Spanned<T>;
    fn deref(&self) -> &Spanned<T> {
        &self.0
    }
}

impl<T: JsonSchema> JsonSchema for S<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

impl JsonSchema for Text {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Durations, sizes, shares, counts: `90s`, `1500 KB`, `5%`, `12`.
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

impl JsonSchema for Presence {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Presence".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "takes no settings: write the key with no value, or `{}`",
            "type": ["null", "object"],
            "maxProperties": 0,
        })
    }
}

/// The JSON Schema (draft-07) of scenario files, made from the raw structs the loader reads:
/// the fields it names are exactly those the loader accepts, and a misspelt field is
/// rejected (`additionalProperties: false`, from `deny_unknown_fields`). It checks the shape
/// only; units, ranges and names are checked when a file is loaded (`fletsim validate`).
pub fn scenario_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<RawScenario>();
    schema.insert("title".into(), "fletsim scenario".into());
    schema.insert(
        "description".into(),
        "A fletsim scenario file (docs/scenarios.md). The shape only: `fletsim validate` checks values."
            .into(),
    );
    schema.to_value()
}

/// For a fault whose settings are all optional: `distributor_stall:` (no value) means "with defaults".
fn present_or_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(Some(Option::<T>::deserialize(d)?.unwrap_or_default()))
}

/// For a fault that needs settings: `Some(None)` when the key is there with no value
/// (`power_cut:`), so validation can name what is missing instead of seeing no fault at all.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::<T>::deserialize(d)?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Scenario")]
struct RawScenario {
    name: Option<S<String>>,
    description: Option<String>,
    seed: Option<S<Text>>,
    start: Option<S<Text>>,
    duration: S<Text>,
    line: RawLine,
    #[serde(default)]
    links: BTreeMap<String, S<RawLink>>,
    gateway: RawGateway,
    #[serde(default)]
    lan: BTreeMap<String, S<RawClient>>,
    #[serde(default)]
    faults: Vec<S<RawFault>>,
    aftr: Option<RawAftr>,
    #[serde(default)]
    expect: Vec<S<String>>,
    /// Many homes like this one ([`area`]).
    area: Option<S<area::RawArea>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Aftr")]
struct RawAftr {
    port_quota: Option<S<Text>>,
    timeouts: Option<RawTimeouts>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Napt")]
struct RawNapt {
    capacity: Option<S<Text>>,
    mapping: Option<S<String>>,
    timeouts: Option<RawTimeouts>,
    hold_down: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Timeouts")]
struct RawTimeouts {
    udp: Option<S<Text>>,
    tcp: Option<S<Text>>,
    tcp_transitory: Option<S<Text>>,
    icmp: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Line")]
struct RawLine {
    vne: S<String>,
    hgw_rental: bool,
    ipv6: Option<S<String>>,
    prefix: Option<S<String>>,
    ntp_first_query_loss: Option<S<Text>>,
    /// The rule the VNE's rule server hands out for this line (default: the VNE's table rule).
    map_rule: Option<S<RawRule>>,
    onu: Option<RawOnu>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Onu")]
struct RawOnu {
    boot_time: Option<S<Text>>,
    ranging_time: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Link")]
struct RawLink {
    latency: Option<S<Text>>,
    loss: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Gateway")]
struct RawGateway {
    name: Option<S<String>>,
    model: S<String>,
    boot_time: Option<S<Text>>,
    shutdown_time: Option<S<Text>>,
    ntp_delay: Option<S<Text>>,
    hgw: Option<S<RawHgw>>,
    router: Option<S<RawRouter>>,
    napt: Option<RawNapt>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Hgw")]
struct RawHgw {
    bundle_cached: Option<bool>,
    bundle_size: Option<S<Text>>,
    distribution_timeout: Option<S<Text>>,
    distribution_retry: Option<S<Text>>,
    install_time: Option<S<Text>>,
    java_vm_start: Option<S<Text>>,
    app_start: Option<S<Text>>,
    rule_retry: Option<RawBackoff>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Router")]
struct RawRouter {
    static_rule: Option<S<RawRule>>,
    rule_retry: Option<RawBackoff>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Backoff")]
struct RawBackoff {
    initial: S<Text>,
    max: Option<S<Text>>,
}

/// A MAP rule written out: `gateway.router.static_rule` and `line.map_rule`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Rule")]
struct RawRule {
    /// Take the rule of a VNE preset (`v6plus`, `ocn`) instead of spelling it out
    /// (static rules only).
    vne: Option<S<String>>,
    rule6: Option<S<String>>,
    rule4: Option<S<String>>,
    ea_len: Option<S<Text>>,
    psid_offset: Option<S<Text>>,
    psid_len: Option<S<Text>>,
    /// The BR the rule's tunnels go to (default: that of the VNE's table rule for the line).
    br: Option<S<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Client")]
struct RawClient {
    count: S<Text>,
    sessions_per_hour: Option<S<Text>>,
    ipv4_share: Option<S<Text>>,
    short_session: Option<S<Text>>,
    long_session: Option<S<Text>>,
    long_share: Option<S<Text>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "For")]
struct RawFor {
    duration: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Duration")]
struct RawDuration {
    duration: S<Text>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Error")]
struct RawError {
    status: Option<S<Text>>,
    duration: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Slow")]
struct RawSlow {
    delay: S<Text>,
    duration: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LinkFault")]
struct RawLinkFault {
    name: S<String>,
    loss: Option<S<Text>>,
    latency: Option<S<Text>>,
    duration: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Contract")]
struct RawContract {
    hgw_rental: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Fault")]
struct RawFault {
    at: Option<S<Text>>,
    every: Option<S<RawEvery>>,
    #[serde(default, deserialize_with = "present")]
    onu_loss_of_signal: Option<Option<RawDuration>>,
    #[serde(default, deserialize_with = "present")]
    power_cut: Option<Option<RawDuration>>,
    #[serde(default)]
    user_reboot: Presence,
    #[serde(default)]
    factory_reset: Presence,
    #[serde(default, deserialize_with = "present_or_default")]
    distributor_stall: Option<RawFor>,
    #[serde(default, deserialize_with = "present_or_default")]
    distributor_error: Option<RawError>,
    #[serde(default, deserialize_with = "present")]
    distributor_slow: Option<Option<RawSlow>>,
    #[serde(default, deserialize_with = "present_or_default")]
    rule_server_down: Option<RawFor>,
    #[serde(default, deserialize_with = "present")]
    rule_server_slow: Option<Option<RawSlow>>,
    #[serde(default, deserialize_with = "present")]
    link: Option<Option<RawLinkFault>>,
    #[serde(default, deserialize_with = "present")]
    contract_change: Option<Option<RawContract>>,
    #[serde(default)]
    spontaneous_reboot: Presence,
    #[serde(default, deserialize_with = "present_or_default")]
    app_crash: Option<RawAction>,
    #[serde(default, deserialize_with = "present_or_default")]
    java_vm_crash: Option<RawAction>,
    #[serde(default, deserialize_with = "present_or_default")]
    app_hang: Option<RawHang>,
    #[serde(default)]
    device_swap: Presence,
    #[serde(default, deserialize_with = "present")]
    napt_timeouts: Option<Option<RawTimeouts>>,
    #[serde(default)]
    bundle_update: Presence,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Action")]
struct RawAction {
    action: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Hang")]
struct RawHang {
    watchdog: Option<S<Text>>,
    action: Option<S<String>>,
}

/// A random fault process: `hazard` names the model, the other fields are its parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Every")]
struct RawEvery {
    hazard: S<String>,
    mean_interval: Option<S<Text>>,
    shape: Option<S<Text>>,
    scale: Option<S<Text>>,
    hourly_weights: Option<S<Vec<f64>>>,
    base_rate_per_day: Option<S<Text>>,
    rate_per_unit_load_per_day: Option<S<Text>>,
    base_growth_per_hour: Option<S<Text>>,
    growth_per_unit_load_hour: Option<S<Text>>,
    limit: Option<S<Text>>,
    load: Option<S<String>>,
}

/// The fault kinds as files spell them, for error messages.
const FAULT_KINDS: &str = "onu_loss_of_signal, power_cut, user_reboot, factory_reset, distributor_stall, \
distributor_error, distributor_slow, rule_server_down, rule_server_slow, link, contract_change, \
spontaneous_reboot, app_crash, app_hang, java_vm_crash, device_swap, napt_timeouts, bundle_update";

// ---- stage 2: validation ---------------------------------------------------

/// Builds errors that point into one file.
struct Ctx<'a> {
    file: &'a Path,
    /// Put before every field path: empty for the scenario's own fields,
    /// `area.templates[N].` for a template's.
    prefix: String,
}

impl Ctx<'_> {
    fn err<T>(&self, at: &S<T>, path: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_path_buf(),
            line: at.referenced.line(),
            column: at.referenced.column(),
            path: format!("{}{path}", self.prefix),
            message: message.into(),
        }
    }

    fn duration(&self, v: &S<Text>, path: &str) -> Result<SimDuration, ScenarioError> {
        SimDuration::parse(&v.value.0).map_err(|e| self.err(v, path, format!("`{}`: {e}", v.value.0)))
    }

    fn positive_duration(&self, v: &S<Text>, path: &str) -> Result<SimDuration, ScenarioError> {
        let d = self.duration(v, path)?;
        if d.is_zero() {
            return Err(self.err(v, path, "must be longer than zero (e.g. 90s, 5m)"));
        }
        Ok(d)
    }

    /// A step's duration with its spread: `45s`, `40s..50s` or `45s±5s`.
    fn spread(&self, v: &S<Text>, path: &str) -> Result<Spread, ScenarioError> {
        Spread::parse(&v.value.0).map_err(|e| {
            self.err(
                v,
                path,
                format!("`{}`: {e} (accepted: {SPREAD_FORMS})", v.value.0.trim()),
            )
        })
    }

    fn opt_spread(&self, v: &Option<S<Text>>, path: &str, default: Spread) -> Result<Spread, ScenarioError> {
        v.as_ref().map_or(Ok(default), |v| self.spread(v, path))
    }

    /// A retry timer: at least `floor` (a shorter one only makes the run slow, not the story truer).
    fn retry_timer(&self, v: &S<Text>, path: &str, floor: SimDuration) -> Result<SimDuration, ScenarioError> {
        let d = self.duration(v, path)?;
        if d < floor {
            return Err(self.err(
                v,
                path,
                format!(
                    "`{}` is shorter than the shortest retry pause fletsim simulates, {floor} (accepted: {floor} or longer)",
                    v.value.0
                ),
            ));
        }
        Ok(d)
    }

    fn opt_duration(
        &self,
        v: &Option<S<Text>>,
        path: &str,
        default: SimDuration,
    ) -> Result<SimDuration, ScenarioError> {
        v.as_ref().map_or(Ok(default), |v| self.duration(v, path))
    }

    /// A share: `30%` or `0.3`, within 0..=1.
    fn ratio(&self, v: &S<Text>, path: &str) -> Result<f64, ScenarioError> {
        let text = v.value.0.trim();
        let value = match text.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
            None => text.parse::<f64>(),
        };
        match value {
            Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
            _ => Err(self.err(v, path, format!("`{text}` is not a share (accepted: a percentage from 0% to 100%, or a fraction from 0 to 1)"))),
        }
    }

    fn integer(&self, v: &S<Text>, path: &str, min: u64, max: u64) -> Result<u64, ScenarioError> {
        match v.value.0.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(self.err(
                v,
                path,
                format!("`{}` is not a whole number from {min} to {max}", v.value.0),
            )),
        }
    }

    fn number(&self, v: &S<Text>, path: &str, max: f64) -> Result<f64, ScenarioError> {
        match v.value.0.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && (0.0..=max).contains(&x) => Ok(x),
            _ => Err(self.err(
                v,
                path,
                format!("`{}` is not a number from 0 to {max}", v.value.0),
            )),
        }
    }
}

/// Reads, parses and validates one scenario file (a regular file of at most 4 MiB of UTF-8).
pub fn load(file: &Path) -> Result<LoadedScenario, ScenarioError> {
    let text = read(file)?;
    parse(file, &text)
}

/// Reads a scenario file's text through the bounded reader; errors are about the whole file.
pub fn read(file: &Path) -> Result<String, ScenarioError> {
    crate::files::read_text(file, crate::files::InputKind::Scenario).map_err(|e| ScenarioError {
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        path: String::new(),
        message: e.message,
    })
}

/// Parses and validates scenario text; `file` is used for messages and the default name.
pub fn parse(file: &Path, text: &str) -> Result<LoadedScenario, ScenarioError> {
    let raw = parse_raw(file, text)?;
    validate(file, raw)
}

fn parse_raw(file: &Path, text: &str) -> Result<RawScenario, ScenarioError> {
    let mut path = String::new();
    let result = serde_saphyr::with_deserializer_from_str_with_options(text, crate::yaml::options(), |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = field_path(e.path());
            e.into_inner()
        })
    });
    result.map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        let mut message = crate::yaml::message(&e);
        if message.contains("unexpected end of input") && text.trim().is_empty() {
            message = "the file is empty: a scenario needs at least `duration`, `line` and `gateway`".into();
        }
        if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
            let key = key.split(',').next().unwrap_or(key);
            message = format!("duplicate key `{key}` (each key may appear once)");
        }
        // Spanned values show up as `.value` in serde's path; `?` marks an unknown position.
        let mut path = path.replace(".value", "");
        for junk in [".?", "?", "."] {
            if path.ends_with(junk) {
                path.truncate(path.len() - junk.len());
            }
        }
        ScenarioError {
            file: file.to_path_buf(),
            line,
            column,
            path,
            message,
        }
    })
}

/// serde's path to a field as fletsim writes field paths: `faults[1].at`, list
/// elements counted from 1 (serde_path_to_error's own text counts from 0).
fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut text = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => text.push_str(&format!("[{}]", index + 1)),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Segment::Unknown => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push('?');
            }
        }
    }
    text
}

fn validate(file: &Path, raw: RawScenario) -> Result<LoadedScenario, ScenarioError> {
    let cx = Ctx {
        file,
        prefix: String::new(),
    };
    let name = match &raw.name {
        Some(n) => {
            let ok = !n.value.is_empty()
                && n.value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !ok {
                return Err(cx.err(n, "name", "use letters, digits, `-`, `_` and `.` only"));
            }
            n.value.clone()
        }
        None => file
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned()),
    };
    let seed = match &raw.seed {
        Some(s) => cx.integer(s, "seed", 0, u64::MAX)?,
        None => 1,
    };
    let start = match &raw.start {
        Some(s) => CivilDateTime::parse(&s.value.0).ok_or_else(|| {
            cx.err(s, "start", format!("`{}` is not a date and time (accepted: `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`, local time)", s.value.0))
        })?,
        None => CivilDateTime { year: 2021, month: 4, day: 19, hour: 0, minute: 0, second: 0 },
    };
    let duration = cx.positive_duration(&raw.duration, "duration")?;
    if duration > limits::MAX_DURATION {
        return Err(cx.err(
            &raw.duration,
            "duration",
            format!("longer than the limit of {}", limits::MAX_DURATION),
        ));
    }
    let home = validate_home(
        &cx,
        HomeParts {
            line: &raw.line,
            links: &raw.links,
            gateway: &raw.gateway,
            lan: &raw.lan,
            faults: &raw.faults,
            aftr: &raw.aftr,
        },
        duration,
    )?;
    let HomeBody {
        line,
        links,
        gateway,
        lan,
        faults,
        aftr,
    } = home;
    let mut scenario = Scenario {
        name,
        seed,
        start,
        duration,
        line,
        links,
        gateway,
        lan,
        faults,
        aftr,
        area: None,
    };
    let mut cost = sim_core::cost::estimate(&scenario);
    if let Some(raw_area) = &raw.area {
        let spec = area::validate_area(&cx, raw_area, &raw, &scenario)?;
        cost = sim_core::area::estimate(&spec);
        scenario.area = Some(Box::new(spec));
    }
    if cost.over_limit() {
        return Err(over_limit_error(file, &cost));
    }
    let shape = sim_core::shape_of_outcome(&scenario);
    let expectations = raw
        .expect
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let path = format!("expect[{}]", i + 1);
            let (text, share) = split_share(&e.value).map_err(|err| cx.err(e, &path, err.to_string()))?;
            let parsed =
                Expectation::parse(text).map_err(|err| cx.err(e, &path, format!("`{}`: {err}", e.value)))?;
            parsed
                .check(&shape)
                .map_err(|err| cx.err(e, &path, err.to_string()))?;
            Ok(ScenarioExpectation {
                text: e.value.trim().to_string(),
                expectation: parsed,
                share,
                line: e.referenced.line(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LoadedScenario {
        file: file.to_path_buf(),
        description: raw.description.unwrap_or_default().trim().to_string(),
        scenario,
        expectations,
        overrides: Vec::new(),
        cost,
    })
}

/// The parts of a one-home body: the scenario's own, or an area template's (each field the
/// template's when it gives one, else the scenario's).
struct HomeParts<'r> {
    line: &'r RawLine,
    links: &'r BTreeMap<String, S<RawLink>>,
    gateway: &'r RawGateway,
    lan: &'r BTreeMap<String, S<RawClient>>,
    faults: &'r [S<RawFault>],
    aftr: &'r Option<RawAftr>,
}

/// A validated one-home body.
struct HomeBody {
    line: LineContract,
    links: BTreeMap<LinkId, LinkConditions>,
    gateway: GatewaySpec,
    lan: Vec<ClientGroup>,
    faults: Vec<FaultSpec>,
    aftr: AftrSpec,
}

/// Validates one home: its line, links, gateway, LAN, faults and AFTR.
fn validate_home(cx: &Ctx, parts: HomeParts<'_>, duration: SimDuration) -> Result<HomeBody, ScenarioError> {
    let line = validate_line(cx, parts.line)?;
    let mut links = BTreeMap::new();
    for (key, link) in parts.links {
        let path = format!("links.{key}");
        let id = LinkId::from_name(key).ok_or_else(|| {
            cx.err(
                link,
                &path,
                format!("unknown link `{key}` (accepted: {})", link_names()),
            )
        })?;
        let base = LinkConditions::default_for(id);
        let latency = cx.opt_duration(&link.value.latency, &format!("{path}.latency"), base.latency)?;
        let loss = match &link.value.loss {
            Some(l) => cx.ratio(l, &format!("{path}.loss"))?,
            None => base.loss,
        };
        links.insert(id, LinkConditions { latency, loss });
    }
    let gateway = validate_gateway(cx, parts.gateway, &line)?;
    let mut lan = Vec::new();
    let mut total_clients: u64 = 0;
    for (key, client) in parts.lan {
        let path = format!("lan.{key}");
        let profile = ClientProfile::from_name(key).ok_or_else(|| {
            let names: Vec<_> = ClientProfile::ALL.iter().map(|p| p.name()).collect();
            cx.err(
                client,
                &path,
                format!("unknown client profile `{key}` (accepted: {})", names.join(", ")),
            )
        })?;
        let c = &client.value;
        let count = cx.integer(&c.count, &format!("{path}.count"), 0, limits::MAX_CLIENTS as u64)?;
        total_clients += count;
        if total_clients > limits::MAX_CLIENTS as u64 {
            return Err(cx.err(
                &c.count,
                &format!("{path}.count"),
                format!("more than {} LAN clients in all", limits::MAX_CLIENTS),
            ));
        }
        let mut model = ProfileModel::of(profile);
        if let Some(v) = &c.sessions_per_hour {
            model.busy_hour_sessions = cx.number(
                v,
                &format!("{path}.sessions_per_hour"),
                limits::MAX_SESSIONS_PER_HOUR,
            )?;
        }
        if let Some(v) = &c.ipv4_share {
            model.ipv4_share = cx.ratio(v, &format!("{path}.ipv4_share"))?;
        }
        if let Some(v) = &c.short_session {
            model.short_mean = cx.positive_duration(v, &format!("{path}.short_session"))?;
        }
        if let Some(v) = &c.long_session {
            model.long_mean = cx.positive_duration(v, &format!("{path}.long_session"))?;
        }
        if let Some(v) = &c.long_share {
            model.long_share = cx.ratio(v, &format!("{path}.long_share"))?;
        }
        lan.push(ClientGroup {
            profile,
            count: count as u32,
            model,
        });
    }
    lan.sort_by_key(|g| g.profile);
    if parts.faults.len() > limits::MAX_FAULTS {
        return Err(cx.err(
            &parts.faults[limits::MAX_FAULTS],
            "faults",
            format!("more than {} faults", limits::MAX_FAULTS),
        ));
    }
    let faults = parts
        .faults
        .iter()
        .enumerate()
        .map(|(i, f)| validate_fault(cx, f, &format!("faults[{}]", i + 1), duration))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HomeBody {
        line,
        links,
        gateway,
        lan,
        faults,
        aftr: validate_aftr(cx, parts.aftr)?,
    })
}

/// A scenario whose expected events pass its limit: the numbers, the largest source, what to change.
fn over_limit_error(file: &Path, cost: &CostEstimate) -> ScenarioError {
    use sim_core::cost::count;
    let (path, cause) = match cost.largest() {
        Some(part) => (
            part.field.clone(),
            format!(
                "; most of them from {} ({} events): {}",
                part.what,
                count(part.events),
                part.advice
            ),
        ),
        None => (String::new(), String::new()),
    };
    ScenarioError {
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        path,
        message: format!(
            "a run would take about {} engine events, more than this scenario's limit of {} \
             (the run would stop with an error){cause}",
            count(cost.events),
            count(cost.limit as f64),
        ),
    }
}

/// The warning for a scenario that will take long, with its numbers (`None` when it will not).
pub fn slow_warning(loaded: &LoadedScenario) -> Option<String> {
    use sim_core::cost::count;
    let cost = &loaded.cost;
    cost.is_slow().then(|| {
        let cause = cost
            .largest()
            .map_or_else(String::new, |p| format!("; most of them from {}", p.what));
        format!(
            "{}: a run will take about {} engine events and {:.0} s of CPU{cause}",
            loaded.file.display(),
            count(cost.events),
            cost.cpu_seconds,
        )
    })
}

fn link_names() -> String {
    LinkId::ALL
        .iter()
        .map(|l| l.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn vne_names() -> String {
    mape::vne_presets()
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn validate_line(cx: &Ctx, raw: &RawLine) -> Result<LineContract, ScenarioError> {
    let vne = mape::vne_preset(&raw.vne.value).ok_or_else(|| {
        cx.err(
            &raw.vne,
            "line.vne",
            format!("unknown VNE `{}` (accepted: {})", raw.vne.value, vne_names()),
        )
    })?;
    let ipv6_delivery = match &raw.ipv6 {
        None => Ipv6Delivery::Pd,
        Some(v) => match v.value.as_str() {
            "ra" => Ipv6Delivery::Ra,
            "pd" => Ipv6Delivery::Pd,
            other => {
                return Err(cx.err(
                    v,
                    "line.ipv6",
                    format!("`{other}` is not an IPv6 delivery (accepted: ra, pd)"),
                ));
            }
        },
    };
    let prefix = match &raw.prefix {
        Some(p) => match Ipv6Prefix::parse(&p.value) {
            Ok(prefix) if ipv6_delivery == Ipv6Delivery::Ra && prefix.prefix_len() != 64 => {
                return Err(cx.err(
                    p,
                    "line.prefix",
                    format!(
                        "`{}`: a Router Advertisement line gets a /64 (SLAAC); give its /64, or `ipv6: pd` for a delegated /56",
                        p.value
                    ),
                ));
            }
            Ok(prefix) if (1..=64).contains(&prefix.prefix_len()) => prefix,
            Ok(_) => {
                return Err(cx.err(
                    p,
                    "line.prefix",
                    format!(
                        "`{}`: an End-user prefix is 1 to 64 bits long (e.g. 240b:10:3f6c:d400::/56)",
                        p.value
                    ),
                ));
            }
            Err(e) => return Err(cx.err(p, "line.prefix", e.to_string())),
        },
        None => sim_core::scenario::default_line_prefix(vne, ipv6_delivery),
    };
    let map_rule = match &raw.map_rule {
        Some(m) => Some(validate_line_rule(cx, m, vne, prefix)?),
        None => None,
    };
    // Without a rule of its own, the line's prefix must lie in the VNE's table, or
    // IPv4 could never come up.
    if map_rule.is_none()
        && let (Some(p), Mechanism::MapE { .. }) = (&raw.prefix, vne.mechanism)
        && let Err(e) = vne.compute(prefix)
    {
        let message = match e {
            MapeError::NoRuleForPrefix { .. } => {
                let uncovered = Uncovered::new(Some(vne.name), prefix);
                let other_vne = match uncovered.elsewhere {
                    Some(rule) => format!("set `line.vne: {}`, ", rule.vne),
                    None => String::new(),
                };
                format!(
                    "{uncovered}; {other_vne}give a prefix inside the table, or the line's own rule \
                     with `line.map_rule` (rule6, rule4, ea_len, psid_offset, br)"
                )
            }
            other => other.to_string(),
        };
        return Err(cx.err(p, "line.prefix", message));
    }
    let ntp_first_query_loss = match &raw.ntp_first_query_loss {
        Some(v) => cx.ratio(v, "line.ntp_first_query_loss")?,
        None => sim_core::scenario::DEFAULT_NTP_FIRST_QUERY_LOSS,
    };
    let d = OnuTimings::default();
    let onu = match &raw.onu {
        None => d,
        Some(o) => OnuTimings {
            boot_time: cx.opt_spread(&o.boot_time, "line.onu.boot_time", d.boot_time)?,
            ranging_time: cx.opt_spread(&o.ranging_time, "line.onu.ranging_time", d.ranging_time)?,
        },
    };
    Ok(LineContract {
        vne,
        hgw_rental: raw.hgw_rental,
        ipv6_delivery,
        prefix,
        ntp_first_query_loss,
        map_rule,
        onu,
    })
}

fn validate_backoff(
    cx: &Ctx,
    raw: &Option<RawBackoff>,
    path: &str,
    default: Backoff,
) -> Result<Backoff, ScenarioError> {
    let Some(b) = raw else { return Ok(default) };
    let initial = cx.retry_timer(&b.initial, &format!("{path}.initial"), limits::MIN_RULE_RETRY)?;
    let max = match &b.max {
        Some(m) => {
            let max = cx.retry_timer(m, &format!("{path}.max"), limits::MIN_RULE_RETRY)?;
            if max < initial {
                return Err(cx.err(m, &format!("{path}.max"), "must not be shorter than `initial`"));
            }
            max
        }
        None => initial.max(default.max),
    };
    Ok(Backoff { initial, max })
}

fn validate_gateway(cx: &Ctx, raw: &RawGateway, line: &LineContract) -> Result<GatewaySpec, ScenarioError> {
    let model = match raw.model.value.as_str() {
        "hgw" => {
            if let Some(r) = &raw.router {
                return Err(cx.err(
                    r,
                    "gateway.router",
                    "router settings apply to `model: retail-router`, not `hgw`",
                ));
            }
            let d = HgwSettings::default();
            let Some(h) = &raw.hgw else {
                return finish_gateway(cx, raw, GatewayModel::Hgw(d));
            };
            let v = &h.value;
            let p = |f: &str| format!("gateway.hgw.{f}");
            let bundle_bytes = match &v.bundle_size {
                Some(s) => parse_size(&s.value.0).ok_or_else(|| {
                    cx.err(
                        s,
                        &p("bundle_size"),
                        format!(
                            "`{}` is not a size from 1KiB to 64MiB (e.g. 512KiB, 2MiB)",
                            s.value.0
                        ),
                    )
                })?,
                None => d.bundle_bytes,
            };
            GatewayModel::Hgw(HgwSettings {
                bundle_cached: v.bundle_cached.unwrap_or(d.bundle_cached),
                bundle_bytes,
                distribution_timeout: match &v.distribution_timeout {
                    Some(t) => cx.positive_duration(t, &p("distribution_timeout"))?,
                    None => d.distribution_timeout,
                },
                distribution_retry: match &v.distribution_retry {
                    Some(t) => cx.retry_timer(t, &p("distribution_retry"), limits::MIN_DISTRIBUTION_RETRY)?,
                    None => d.distribution_retry,
                },
                install_time: cx.opt_spread(&v.install_time, &p("install_time"), d.install_time)?,
                java_vm_start: cx.opt_spread(&v.java_vm_start, &p("java_vm_start"), d.java_vm_start)?,
                app_start: cx.opt_spread(&v.app_start, &p("app_start"), d.app_start)?,
                rule_retry: validate_backoff(cx, &v.rule_retry, &p("rule_retry"), d.rule_retry)?,
            })
        }
        "retail-router" => {
            if let Some(h) = &raw.hgw {
                return Err(cx.err(
                    h,
                    "gateway.hgw",
                    "HGW settings apply to `model: hgw`, not `retail-router`",
                ));
            }
            let d = RouterSettings::default();
            let Some(r) = &raw.router else {
                return finish_gateway(cx, raw, GatewayModel::RetailRouter(d));
            };
            let static_rule = match &r.value.static_rule {
                Some(s) => Some(validate_static_rule(cx, s, line)?),
                None => None,
            };
            GatewayModel::RetailRouter(RouterSettings {
                static_rule,
                rule_retry: validate_backoff(
                    cx,
                    &r.value.rule_retry,
                    "gateway.router.rule_retry",
                    d.rule_retry,
                )?,
            })
        }
        other => {
            return Err(cx.err(
                &raw.model,
                "gateway.model",
                format!("unknown model `{other}` (accepted: hgw, retail-router)"),
            ));
        }
    };
    finish_gateway(cx, raw, model)
}

fn finish_gateway(cx: &Ctx, raw: &RawGateway, model: GatewayModel) -> Result<GatewaySpec, ScenarioError> {
    let name = match &raw.name {
        Some(n) => {
            let ok = !n.value.is_empty()
                && n.value.len() <= 64
                && n.value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !ok {
                return Err(cx.err(
                    n,
                    "gateway.name",
                    "use 1 to 64 letters, digits, `-`, `_` and `.` (it names files)",
                ));
            }
            n.value.clone()
        }
        None => match model {
            GatewayModel::Hgw(_) => "hgw".to_string(),
            GatewayModel::RetailRouter(_) => "router".to_string(),
        },
    };
    let boot_time = cx.opt_spread(&raw.boot_time, "gateway.boot_time", model.default_boot_time())?;
    let shutdown_time = cx.opt_spread(
        &raw.shutdown_time,
        "gateway.shutdown_time",
        model.default_shutdown_time(),
    )?;
    let ntp_delay = cx.opt_spread(
        &raw.ntp_delay,
        "gateway.ntp_delay",
        sim_core::scenario::DEFAULT_NTP_DELAY,
    )?;
    let napt = validate_napt(cx, &raw.napt)?;
    Ok(GatewaySpec {
        name,
        boot_time,
        shutdown_time,
        ntp_delay,
        model,
        napt,
    })
}

/// `line.map_rule`: the rule the VNE's rule server hands out for this line. It must
/// cover the line's prefix; its BR defaults to that of the VNE's table rule for the prefix.
fn validate_line_rule(
    cx: &Ctx,
    s: &S<RawRule>,
    vne: &'static VnePreset,
    prefix: Ipv6Prefix,
) -> Result<RuleAndBr, ScenarioError> {
    let path = "line.map_rule";
    if let Mechanism::DsLite { aftr_name } = vne.mechanism {
        return Err(cx.err(
            s,
            path,
            format!(
                "`{}` uses DS-Lite (AFTR {aftr_name}): its lines get no MAP rule",
                vne.name
            ),
        ));
    }
    if let Some(v) = &s.value.vne {
        return Err(cx.err(
            v,
            &format!("{path}.vne"),
            "not accepted here: the line's VNE is `line.vne`; give the rule's fields \
             (rule6, rule4, ea_len, psid_offset, optional psid_len and br)",
        ));
    }
    let rule = validate_rule_fields(cx, s, path, prefix)?;
    let br = match &s.value.br {
        Some(b) => parse_br(cx, b, path)?,
        None => vne.rule_for(&prefix).map(|r| r.br).ok_or_else(|| {
            cx.err(
                s,
                path,
                format!(
                    "missing `br`: no {} table rule covers the line's prefix {prefix}, so its BR is unknown",
                    vne.name
                ),
            )
        })?,
    };
    Ok(RuleAndBr { rule, br })
}

/// `gateway.router.static_rule`: a rule typed into a retail router, or `vne: NAME` for that
/// VNE's table rule covering the line's prefix. Its BR defaults to the line's.
fn validate_static_rule(cx: &Ctx, s: &S<RawRule>, line: &LineContract) -> Result<RuleAndBr, ScenarioError> {
    let path = "gateway.router.static_rule";
    let r = &s.value;
    let given_br = match &r.br {
        Some(b) => Some(parse_br(cx, b, path)?),
        None => None,
    };
    if let Some(v) = &r.vne {
        if r.rule6.is_some() || r.rule4.is_some() || r.ea_len.is_some() || r.psid_offset.is_some() {
            return Err(cx.err(
                v,
                path,
                "give either `vne` or the rule's fields (rule6, rule4, ea_len, psid_offset), not both",
            ));
        }
        let preset = mape::vne_preset(&v.value).ok_or_else(|| {
            cx.err(
                v,
                &format!("{path}.vne"),
                format!("unknown VNE `{}` (accepted: {})", v.value, vne_names()),
            )
        })?;
        let table_rule = preset.rule_for(&line.prefix).ok_or_else(|| {
            cx.err(
                v,
                &format!("{path}.vne"),
                format!(
                    "VNE `{}` has no MAP-E rule for the line's prefix: {}",
                    v.value,
                    Uncovered::new(Some(preset.name), line.prefix)
                ),
            )
        })?;
        return Ok(RuleAndBr {
            rule: table_rule.rule.clone(),
            br: given_br.unwrap_or(table_rule.br),
        });
    }
    let rule = validate_rule_fields(cx, s, path, line.prefix)?;
    let br = match given_br.or_else(|| line.served_rule().map(|served| served.br)) {
        Some(br) => br,
        None => {
            return Err(cx.err(
                s,
                path,
                format!(
                    "missing `br`: the line ({}, prefix {}) has no MAP rule to take the BR from",
                    line.vne.name, line.prefix
                ),
            ));
        }
    };
    Ok(RuleAndBr { rule, br })
}

/// The BR of a written-out rule (`PATH.br`).
fn parse_br(cx: &Ctx, b: &S<String>, path: &str) -> Result<Ipv6Addr, ScenarioError> {
    b.value.trim().parse::<Ipv6Addr>().map_err(|_| {
        cx.err(
            b,
            &format!("{path}.br"),
            format!(
                "`{}` is not an IPv6 address (e.g. 2404:9200:225:100::64)",
                b.value
            ),
        )
    })
}

/// The rule's fields (rule6, rule4, ea_len, psid_offset, optional psid_len) of a rule
/// written out at `path`, checked to fit the End-user prefix `prefix`.
fn validate_rule_fields(
    cx: &Ctx,
    s: &S<RawRule>,
    path: &str,
    prefix: Ipv6Prefix,
) -> Result<MapRule, ScenarioError> {
    let r = &s.value;
    let missing = |f: &str| {
        let alternative = if path == "line.map_rule" {
            ""
        } else {
            "; or `vne: NAME`"
        };
        cx.err(
            s,
            path,
            format!("missing `{f}` (a rule needs rule6, rule4, ea_len, psid_offset{alternative})"),
        )
    };
    let rule6 = r.rule6.as_ref().ok_or_else(|| missing("rule6"))?;
    let rule4 = r.rule4.as_ref().ok_or_else(|| missing("rule4"))?;
    let ea_len = r.ea_len.as_ref().ok_or_else(|| missing("ea_len"))?;
    let psid_offset = r.psid_offset.as_ref().ok_or_else(|| missing("psid_offset"))?;
    let ea = cx.integer(ea_len, &format!("{path}.ea_len"), 0, 48)? as u8;
    let a = cx.integer(psid_offset, &format!("{path}.psid_offset"), 0, 15)? as u8;
    let k = match &r.psid_len {
        Some(k) => Some(cx.integer(k, &format!("{path}.psid_len"), 0, 16)? as u8),
        None => None,
    };
    let ipv6_prefix = Ipv6Prefix::parse(&rule6.value)
        .map_err(|e| cx.err(rule6, &format!("{path}.rule6"), e.to_string()))?;
    let ipv4_prefix = Ipv4Prefix::parse(&rule4.value)
        .map_err(|e| cx.err(rule4, &format!("{path}.rule4"), e.to_string()))?;
    let rule = MapRule {
        ipv6_prefix,
        ipv4_prefix,
        ea_len: ea,
        psid_offset: a,
        psid_len: k,
        psid: None,
    };
    mape::compute(prefix, &rule, IidLayout::Rfc7597).map_err(|e| {
        cx.err(
            s,
            path,
            format!("the rule does not fit the line's prefix {prefix}: {e}"),
        )
    })?;
    Ok(rule)
}

fn validate_timeouts(
    cx: &Ctx,
    raw: Option<&RawTimeouts>,
    path: &str,
    base: NaptTimeouts,
) -> Result<NaptTimeouts, ScenarioError> {
    let Some(t) = raw else { return Ok(base) };
    let one = |v: &Option<S<Text>>, field: &str, default: SimDuration| match v {
        Some(v) => cx.positive_duration(v, &format!("{path}.{field}")),
        None => Ok(default),
    };
    Ok(NaptTimeouts {
        udp: one(&t.udp, "udp", base.udp)?,
        tcp_established: one(&t.tcp, "tcp", base.tcp_established)?,
        tcp_transitory: one(&t.tcp_transitory, "tcp_transitory", base.tcp_transitory)?,
        icmp: one(&t.icmp, "icmp", base.icmp)?,
    })
}

fn validate_napt(cx: &Ctx, raw: &Option<RawNapt>) -> Result<NaptConfig, ScenarioError> {
    let base = NaptConfig::hgw();
    let Some(n) = raw else { return Ok(base) };
    let capacity = match &n.capacity {
        Some(c) => cx.integer(c, "gateway.napt.capacity", 1, 1_000_000)? as u32,
        None => base.capacity,
    };
    let mapping = match &n.mapping {
        None => base.mapping,
        Some(m) => match m.value.as_str() {
            "endpoint-independent" => MappingBehaviour::EndpointIndependent,
            "port-reuse" => MappingBehaviour::PortReuseAcrossDestinations,
            other => {
                return Err(cx.err(
                    m,
                    "gateway.napt.mapping",
                    format!("unknown mapping `{other}` (accepted: endpoint-independent, port-reuse)"),
                ));
            }
        },
    };
    let timeouts = validate_timeouts(cx, n.timeouts.as_ref(), "gateway.napt.timeouts", base.timeouts)?;
    let hold_down = cx.opt_duration(&n.hold_down, "gateway.napt.hold_down", base.hold_down)?;
    Ok(NaptConfig {
        capacity,
        mapping,
        timeouts,
        hold_down,
    })
}

fn validate_aftr(cx: &Ctx, raw: &Option<RawAftr>) -> Result<AftrSpec, ScenarioError> {
    let base = AftrSpec::default();
    let Some(a) = raw else { return Ok(base) };
    let port_quota = match &a.port_quota {
        Some(q) => cx.integer(q, "aftr.port_quota", 1, 64_512)? as u32,
        None => base.port_quota,
    };
    let timeouts = validate_timeouts(cx, a.timeouts.as_ref(), "aftr.timeouts", base.timeouts)?;
    Ok(AftrSpec { port_quota, timeouts })
}

fn parse_size(text: &str) -> Option<u32> {
    let t = text.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("MiB") {
        (n, 1024 * 1024)
    } else if let Some(n) = t.strip_suffix("KiB") {
        (n, 1024)
    } else if let Some(n) = t.strip_suffix('B') {
        (n, 1)
    } else {
        return None;
    };
    let bytes = num.trim().parse::<u64>().ok()?.checked_mul(mult)?;
    (1024..=64 * 1024 * 1024).contains(&bytes).then_some(bytes as u32)
}

fn validate_fault(
    cx: &Ctx,
    f: &S<RawFault>,
    path: &str,
    run: SimDuration,
) -> Result<FaultSpec, ScenarioError> {
    let r = &f.value;
    let when = match (&r.at, &r.every) {
        (Some(_), Some(e)) => {
            return Err(cx.err(
                e,
                &format!("{path}.every"),
                "give either `at` (once) or `every` (a random process), not both",
            ));
        }
        (None, None) => {
            return Err(cx.err(f, path, "missing `at` (when the fault strikes, e.g. `at: 10m`) or `every` (a random process, e.g. `every: { hazard: constant, mean_interval: 4d }`)"));
        }
        (Some(at_text), None) => {
            let at = cx.duration(at_text, &format!("{path}.at"))?;
            if at >= run {
                return Err(cx.err(
                    at_text,
                    &format!("{path}.at"),
                    format!("`{}` is not within the run (duration {run})", at_text.value.0),
                ));
            }
            FaultTiming::At(SimTime::ZERO + at)
        }
        (None, Some(every)) => validate_every(cx, every, &format!("{path}.every"))?,
    };
    let mut kinds: Vec<FaultKind> = Vec::new();
    // A fault that needs settings, given with none: name what it needs.
    fn body<'b, T>(
        cx: &Ctx,
        f: &S<RawFault>,
        path: &str,
        given: &'b Option<T>,
        kind: &str,
        needs: &str,
    ) -> Result<&'b T, ScenarioError> {
        given
            .as_ref()
            .ok_or_else(|| cx.err(f, &format!("{path}.{kind}"), format!("`{kind}` needs {needs}")))
    }
    let opt = |d: &Option<S<Text>>, field: &str| -> Result<Option<SimDuration>, ScenarioError> {
        d.as_ref()
            .map(|d| cx.positive_duration(d, &format!("{path}.{field}.duration")))
            .transpose()
    };
    if let Some(x) = &r.onu_loss_of_signal {
        let x = body(
            cx,
            f,
            path,
            x,
            "onu_loss_of_signal",
            "`duration`: how long the optical signal is lost, e.g. `onu_loss_of_signal: { duration: 3m }`",
        )?;
        kinds.push(FaultKind::OnuLossOfSignal {
            duration: cx.positive_duration(&x.duration, &format!("{path}.onu_loss_of_signal.duration"))?,
        });
    }
    if let Some(x) = &r.power_cut {
        let x = body(
            cx,
            f,
            path,
            x,
            "power_cut",
            "`duration`: how long the power is off, e.g. `power_cut: { duration: 10m }`",
        )?;
        kinds.push(FaultKind::PowerCut {
            duration: cx.positive_duration(&x.duration, &format!("{path}.power_cut.duration"))?,
        });
    }
    if r.user_reboot == Presence::Present {
        kinds.push(FaultKind::UserReboot);
    }
    if r.factory_reset == Presence::Present {
        // On a retail router there is no bundle to delete: a reset is still a reboot.
        kinds.push(FaultKind::FactoryReset);
    }
    if let Some(x) = &r.distributor_stall {
        kinds.push(FaultKind::DistributorStall {
            duration: opt(&x.duration, "distributor_stall")?,
        });
    }
    if let Some(x) = &r.distributor_error {
        let status = match &x.status {
            Some(s) => cx.integer(s, &format!("{path}.distributor_error.status"), 400, 599)? as u16,
            None => 503,
        };
        kinds.push(FaultKind::DistributorError {
            status,
            duration: opt(&x.duration, "distributor_error")?,
        });
    }
    if let Some(x) = &r.distributor_slow {
        let x = body(
            cx,
            f,
            path,
            x,
            "distributor_slow",
            "`delay`: how long each answer waits, e.g. `distributor_slow: { delay: 30s }`",
        )?;
        kinds.push(FaultKind::DistributorSlow {
            delay: cx.positive_duration(&x.delay, &format!("{path}.distributor_slow.delay"))?,
            duration: opt(&x.duration, "distributor_slow")?,
        });
    }
    if let Some(x) = &r.rule_server_down {
        kinds.push(FaultKind::RuleServerDown {
            duration: opt(&x.duration, "rule_server_down")?,
        });
    }
    if let Some(x) = &r.rule_server_slow {
        let x = body(
            cx,
            f,
            path,
            x,
            "rule_server_slow",
            "`delay`: how long each answer waits, e.g. `rule_server_slow: { delay: 10s }`",
        )?;
        kinds.push(FaultKind::RuleServerSlow {
            delay: cx.positive_duration(&x.delay, &format!("{path}.rule_server_slow.delay"))?,
            duration: opt(&x.duration, "rule_server_slow")?,
        });
    }
    if let Some(x) = &r.link {
        let x = body(
            cx,
            f,
            path,
            x,
            "link",
            "`name` and `loss`, `latency` or both, e.g. `link: { name: rule-server, loss: 30% }`",
        )?;
        let link = LinkId::from_name(&x.name.value).ok_or_else(|| {
            cx.err(
                &x.name,
                &format!("{path}.link.name"),
                format!("unknown link `{}` (accepted: {})", x.name.value, link_names()),
            )
        })?;
        let loss = x
            .loss
            .as_ref()
            .map(|l| cx.ratio(l, &format!("{path}.link.loss")))
            .transpose()?;
        let latency = x
            .latency
            .as_ref()
            .map(|l| cx.duration(l, &format!("{path}.link.latency")))
            .transpose()?;
        if let (Some(l), Some(text)) = (latency, &x.latency)
            && l > SimDuration::from_secs(10)
        {
            return Err(cx.err(
                text,
                &format!("{path}.link.latency"),
                "a one-way latency above 10s is not a link any more (accepted: 0s to 10s)",
            ));
        }
        if loss.is_none() && latency.is_none() {
            return Err(cx.err(
                &x.name,
                &format!("{path}.link"),
                "a link fault needs `loss`, `latency` or both",
            ));
        }
        kinds.push(FaultKind::LinkImpairment {
            link,
            loss,
            latency,
            duration: opt(&x.duration, "link")?,
        });
    }
    if let Some(x) = &r.contract_change {
        let x = body(
            cx,
            f,
            path,
            x,
            "contract_change",
            "`hgw_rental`: the line's new registration, e.g. `contract_change: { hgw_rental: false }`",
        )?;
        kinds.push(FaultKind::ContractChange {
            hgw_rental: x.hgw_rental,
        });
    }
    let action = |a: &Option<S<String>>, field: &str| -> Result<FaultAction, ScenarioError> {
        match a {
            None => Ok(FaultAction::Reboot),
            Some(v) => FaultAction::from_name(&v.value).ok_or_else(|| {
                cx.err(
                    v,
                    &format!("{path}.{field}.action"),
                    format!(
                        "unknown action `{}` (accepted: restart-app, restart-java-vm, reboot)",
                        v.value
                    ),
                )
            }),
        }
    };
    if r.spontaneous_reboot == Presence::Present {
        kinds.push(FaultKind::SpontaneousReboot);
    }
    if let Some(x) = &r.app_crash {
        kinds.push(FaultKind::AppCrash {
            action: action(&x.action, "app_crash")?,
        });
    }
    if let Some(x) = &r.java_vm_crash {
        kinds.push(FaultKind::JavaVmCrash {
            action: action(&x.action, "java_vm_crash")?,
        });
    }
    if let Some(x) = &r.app_hang {
        let watchdog = match &x.watchdog {
            Some(w) => cx.positive_duration(w, &format!("{path}.app_hang.watchdog"))?,
            None => SimDuration::from_mins(5),
        };
        kinds.push(FaultKind::AppHang {
            watchdog,
            action: action(&x.action, "app_hang")?,
        });
    }
    if r.device_swap == Presence::Present {
        kinds.push(FaultKind::DeviceSwap);
    }
    if r.bundle_update == Presence::Present {
        kinds.push(FaultKind::BundleUpdate);
    }
    if let Some(x) = &r.napt_timeouts {
        let needs = "at least one of `udp`, `tcp`, `tcp_transitory`, `icmp`: the timers the user sets, \
                     e.g. `napt_timeouts: { udp: 30s }`";
        let t = body(cx, f, path, x, "napt_timeouts", needs)?;
        if t.udp.is_none() && t.tcp.is_none() && t.tcp_transitory.is_none() && t.icmp.is_none() {
            return Err(cx.err(
                f,
                &format!("{path}.napt_timeouts"),
                format!("`napt_timeouts` needs {needs}"),
            ));
        }
        let timeouts = validate_timeouts(
            cx,
            Some(t),
            &format!("{path}.napt_timeouts"),
            NaptConfig::hgw().timeouts,
        )?;
        kinds.push(FaultKind::NaptTimeouts { timeouts });
    }
    match kinds.len() {
        1 => {}
        0 => {
            return Err(cx.err(
                f,
                path,
                format!("a fault needs one kind (accepted: {FAULT_KINDS})"),
            ));
        }
        _ => {
            let names: Vec<_> = kinds.iter().map(|k| k.name()).collect();
            return Err(cx.err(
                f,
                path,
                format!(
                    "one fault per entry, found {}: split them into separate entries",
                    names.join(" and ")
                ),
            ));
        }
    }
    let kind = kinds.remove(0);
    if let (FaultTiming::Every { .. }, Some(e)) = (&when, &r.every)
        && !may_repeat(&kind)
    {
        return Err(cx.err(
            e,
            &format!("{path}.every"),
            format!(
                "`{}` is a user's action, done once: give it a time with `at` \
                 (`every` is for faults that strike by themselves: {REPEATING_FAULTS})",
                kind.name()
            ),
        ));
    }
    Ok(FaultSpec { when, kind })
}

/// The faults `every:` takes, as files spell them.
const REPEATING_FAULTS: &str = "onu_loss_of_signal, power_cut, distributor_stall, distributor_error, \
distributor_slow, rule_server_down, rule_server_slow, link, spontaneous_reboot, app_crash, app_hang, java_vm_crash, \
bundle_update";

/// Whether a fault may strike again and again as a random process (`every:`): everything but
/// the user's own actions (and the contract change), which happen once, at a time (`at:`).
fn may_repeat(kind: &FaultKind) -> bool {
    match kind {
        FaultKind::UserReboot
        | FaultKind::FactoryReset
        | FaultKind::DeviceSwap
        | FaultKind::NaptTimeouts { .. }
        | FaultKind::ContractChange { .. } => false,
        FaultKind::OnuLossOfSignal { .. }
        | FaultKind::PowerCut { .. }
        | FaultKind::DistributorStall { .. }
        | FaultKind::DistributorError { .. }
        | FaultKind::DistributorSlow { .. }
        | FaultKind::RuleServerDown { .. }
        | FaultKind::RuleServerSlow { .. }
        | FaultKind::LinkImpairment { .. }
        | FaultKind::SpontaneousReboot
        | FaultKind::AppCrash { .. }
        | FaultKind::AppHang { .. }
        | FaultKind::JavaVmCrash { .. }
        | FaultKind::BundleUpdate => true,
    }
}

/// The hazard models and the parameters each takes.
const HAZARDS: &str = "constant (mean_interval), weibull (shape and mean_interval or scale), \
time-of-day (mean_interval, hourly_weights: 24 numbers), load (base_rate_per_day, rate_per_unit_load_per_day, load), \
heap-leak (base_growth_per_hour, growth_per_unit_load_hour, limit, load)";

fn validate_every(cx: &Ctx, every: &S<RawEvery>, path: &str) -> Result<FaultTiming, ScenarioError> {
    let e = &every.value;
    let field = |name: &str| format!("{path}.{name}");
    fn need<'v>(
        cx: &Ctx,
        every: &S<RawEvery>,
        path: &str,
        v: &'v Option<S<Text>>,
        name: &str,
    ) -> Result<&'v S<Text>, ScenarioError> {
        v.as_ref().ok_or_else(|| {
            cx.err(
                every,
                path,
                format!(
                    "hazard `{}` needs `{name}` (hazards: {HAZARDS})",
                    every.value.hazard.value
                ),
            )
        })
    }
    let need = |v, name| need(cx, every, path, v, name);
    let number = |v: &S<Text>, name: &str| -> Result<f64, ScenarioError> {
        match v.value.0.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(cx.err(
                v,
                &field(name),
                format!("`{}` is not a number of 0 or more", v.value.0),
            )),
        }
    };
    // Every field the model does not take is an error, so a typo never silently changes the model.
    let allowed: &[&str] = match e.hazard.value.as_str() {
        "constant" => &["mean_interval"],
        "weibull" => &["shape", "mean_interval", "scale"],
        "time-of-day" => &["mean_interval", "hourly_weights"],
        "load" => &["base_rate_per_day", "rate_per_unit_load_per_day", "load"],
        "heap-leak" => &[
            "base_growth_per_hour",
            "growth_per_unit_load_hour",
            "limit",
            "load",
        ],
        other => {
            return Err(cx.err(
                &e.hazard,
                &field("hazard"),
                format!("unknown hazard `{other}` (accepted: {HAZARDS})"),
            ));
        }
    };
    let given: [(&str, bool); 10] = [
        ("mean_interval", e.mean_interval.is_some()),
        ("shape", e.shape.is_some()),
        ("scale", e.scale.is_some()),
        ("hourly_weights", e.hourly_weights.is_some()),
        ("base_rate_per_day", e.base_rate_per_day.is_some()),
        (
            "rate_per_unit_load_per_day",
            e.rate_per_unit_load_per_day.is_some(),
        ),
        ("base_growth_per_hour", e.base_growth_per_hour.is_some()),
        ("growth_per_unit_load_hour", e.growth_per_unit_load_hour.is_some()),
        ("limit", e.limit.is_some()),
        ("load", e.load.is_some()),
    ];
    if let Some((name, _)) = given.iter().find(|(name, set)| *set && !allowed.contains(name)) {
        return Err(cx.err(
            every,
            &field(name),
            format!(
                "hazard `{}` takes no `{name}` (it takes: {})",
                e.hazard.value,
                allowed.join(", ")
            ),
        ));
    }
    let load = match &e.load {
        None => LoadSource::NaptEntries,
        Some(l) => match l.value.as_str() {
            "napt-entries" => LoadSource::NaptEntries,
            "sessions" => LoadSource::Sessions,
            other => {
                return Err(cx.err(
                    l,
                    &field("load"),
                    format!("unknown load `{other}` (accepted: napt-entries, sessions)"),
                ));
            }
        },
    };
    let hazard = match e.hazard.value.as_str() {
        "constant" => Hazard::Constant {
            mean_interval: cx
                .positive_duration(need(&e.mean_interval, "mean_interval")?, &field("mean_interval"))?,
        },
        "weibull" => {
            let shape_text = need(&e.shape, "shape")?;
            let shape = number(shape_text, "shape")?;
            match (&e.mean_interval, &e.scale) {
                (Some(m), None) => {
                    let mean = cx.positive_duration(m, &field("mean_interval"))?;
                    Hazard::weibull_with_mean(mean, shape)
                        .map_err(|err| cx.err(shape_text, &field("shape"), err.to_string()))?
                }
                (None, Some(sc)) => Hazard::Weibull {
                    shape,
                    scale: cx.positive_duration(sc, &field("scale"))?,
                },
                _ => {
                    return Err(cx.err(
                        every,
                        path,
                        "hazard `weibull` needs `shape` and one of `mean_interval` or `scale`",
                    ));
                }
            }
        }
        "time-of-day" => {
            let mean_interval =
                cx.positive_duration(need(&e.mean_interval, "mean_interval")?, &field("mean_interval"))?;
            let weights = e.hourly_weights.as_ref().ok_or_else(|| {
                cx.err(
                    every,
                    path,
                    "hazard `time-of-day` needs `hourly_weights`: 24 numbers, hour 0 first",
                )
            })?;
            let hourly_weights: [f64; 24] = weights.value.as_slice().try_into().map_err(|_| {
                cx.err(
                    weights,
                    &field("hourly_weights"),
                    format!("{} numbers given: one per hour, 24 in all", weights.value.len()),
                )
            })?;
            Hazard::TimeOfDay {
                mean_interval,
                hourly_weights,
            }
        }
        "load" => Hazard::LoadCoupled {
            base_rate_per_day: number(
                need(&e.base_rate_per_day, "base_rate_per_day")?,
                "base_rate_per_day",
            )?,
            rate_per_unit_load_per_day: number(
                need(&e.rate_per_unit_load_per_day, "rate_per_unit_load_per_day")?,
                "rate_per_unit_load_per_day",
            )?,
        },
        _ => Hazard::HeapLeak {
            base_growth_per_hour: number(
                need(&e.base_growth_per_hour, "base_growth_per_hour")?,
                "base_growth_per_hour",
            )?,
            growth_per_unit_load_hour: number(
                need(&e.growth_per_unit_load_hour, "growth_per_unit_load_hour")?,
                "growth_per_unit_load_hour",
            )?,
            limit: number(need(&e.limit, "limit")?, "limit")?,
        },
    };
    hazard
        .validate()
        .map_err(|err| cx.err(every, path, err.to_string()))?;
    Ok(FaultTiming::Every { hazard, load })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An HGW scenario on `vne` with these lines under `line:` and `gateway:`.
    fn scenario(vne: &str, line: &str, gateway: &str) -> String {
        format!("duration: 1h\nline:\n  vne: {vne}\n  hgw_rental: true\n{line}gateway:\n{gateway}")
    }

    fn load(text: &str) -> Result<Scenario, ScenarioError> {
        parse(Path::new("t.yaml"), text).map(|loaded| loaded.scenario)
    }

    const HGW: &str = "  model: hgw\n";

    #[test]
    fn a_prefix_in_any_rule_of_the_table_is_accepted() {
        for (vne, prefix, br) in [
            ("v6plus", "240b:250:1234:5600::/56", "2404:9200:225:100::64"),
            ("v6plus", "2404:7a86:1234:5600::/56", "2001:260:700:1::1:276"),
            ("biglobe", "2404:7a82:1234:5600::/56", "2001:260:700:1::1:275"),
            ("ocn", "2400:4052:d123:4500::/56", "2001:380:a120::9"),
            ("ocn", "2400:4151:8000:100::/64", "2001:380:a120::9"),
        ] {
            let s = load(&scenario(vne, &format!("  prefix: {prefix}\n"), HGW)).expect(prefix);
            assert_eq!(s.line.map_rule, None);
            let served = s.line.served_rule().expect("the table covers the prefix");
            assert_eq!(served.br.to_string(), br, "{prefix}");
            assert!(served.rule.matches(&s.line.prefix), "{prefix}");
        }
    }

    #[test]
    fn a_prefix_outside_the_table_names_the_nearest_rules() {
        let e = load(&scenario("ocn", "  prefix: 2400:4152:5e00::/56\n", HGW)).expect_err("outside");
        assert_eq!((e.line, e.column, e.path.as_str()), (5, 11, "line.prefix"));
        assert_eq!(
            e.message,
            "2400:4152:5e00::/56 is not covered by any ocn MAP rule fletsim knows (160 rules; nearest: \
             2400:4152:5c00::/39 (ocn), 2400:4152:5800::/38 (ocn), 2400:4152:5000::/37 (ocn)); give a prefix \
             inside the table, or the line's own rule with `line.map_rule` (rule6, rule4, ea_len, psid_offset, br)"
        );
        let e =
            load(&scenario("ocn", "  prefix: 240b:250:1234:5600::/56\n", HGW)).expect_err("v6 plus prefix");
        assert!(
            e.message
                .contains("it is in the v6plus table: 240b:250::/31 (v6plus); set `line.vne: v6plus`, "),
            "{e}"
        );
    }

    #[test]
    fn a_line_rule_of_the_scenario_is_what_the_rule_server_serves() {
        let rule = "  map_rule:\n    rule6: 2001:db8::/40\n    rule4: 192.0.2.0/24\n    ea_len: 16\n    psid_offset: 6\n";
        // Outside every table: the scenario's rule and BR.
        let line = format!("  prefix: 2001:db8:12:3400::/56\n{rule}    br: 2001:db8::64\n");
        let s = load(&scenario("v6plus", &line, HGW)).expect("valid");
        let served = s.line.served_rule().expect("served");
        assert_eq!(served.rule.ipv6_prefix.to_string(), "2001:db8::/40");
        assert_eq!(served.rule.psid_len, None);
        assert_eq!(served.br.to_string(), "2001:db8::64");
        assert_eq!(s.line.map_rule, Some(served));

        // Inside the table, a rule of its own (a narrower one, say) with the table rule's BR.
        let line = "  prefix: 240b:250:1234:5600::/56\n  map_rule:\n    rule6: 240b:250:1200::/40\n    \
                    rule4: 198.51.100.0/24\n    ea_len: 16\n    psid_offset: 4\n    psid_len: 8\n";
        let s = load(&scenario("v6plus", line, HGW)).expect("valid");
        let served = s.line.served_rule().expect("served");
        assert_eq!(served.rule.ipv4_prefix.to_string(), "198.51.100.0/24");
        assert_eq!(served.rule.psid_len, Some(8));
        assert_eq!(served.br.to_string(), "2404:9200:225:100::64");
        let config = mape::compute(s.line.prefix, &served.rule, IidLayout::Draft03).expect("fits");
        assert_eq!(config.ipv4_address().to_string(), "198.51.100.52");

        // The static rule of a retail router takes the line's BR unless it names its own.
        let router = "  model: retail-router\n  router:\n    static_rule:\n      rule6: 2001:db8::/40\n      \
                      rule4: 192.0.2.0/24\n      ea_len: 16\n      psid_offset: 6\n";
        let line = format!("  prefix: 2001:db8:12:3400::/56\n{rule}    br: 2001:db8::64\n");
        let s = load(&scenario("v6plus", &line, router)).expect("valid");
        let GatewayModel::RetailRouter(r) = &s.gateway.model else {
            panic!("a retail router")
        };
        assert_eq!(
            r.static_rule.as_ref().map(|s| s.br.to_string()),
            Some("2001:db8::64".into())
        );
        let own = format!("{router}      br: 2001:db8::1\n");
        let s = load(&scenario("v6plus", &line, &own)).expect("valid");
        let GatewayModel::RetailRouter(r) = &s.gateway.model else {
            panic!("a retail router")
        };
        assert_eq!(
            r.static_rule.as_ref().map(|s| s.br.to_string()),
            Some("2001:db8::1".into())
        );
        // `vne: NAME` takes that VNE's table rule and its BR.
        let by_name = "  model: retail-router\n  router:\n    static_rule: { vne: biglobe }\n";
        let s = load(&scenario("v6plus", "  prefix: 2404:7a84:1:100::/56\n", by_name)).expect("valid");
        let GatewayModel::RetailRouter(r) = &s.gateway.model else {
            panic!("a retail router")
        };
        let st = r.static_rule.as_ref().expect("a static rule");
        assert_eq!(st.rule.ipv6_prefix.to_string(), "2404:7a84::/31");
        assert_eq!(st.br.to_string(), "2001:260:700:1::1:276");
    }

    #[test]
    fn a_line_rule_is_validated_like_a_static_rule() {
        let e = load(&scenario(
            "v6plus",
            "  map_rule:\n    rule6: 240b:10::/31\n    rule4: 106.72.0.0/15\n    ea_len: 49\n    psid_offset: 4\n",
            HGW,
        ))
        .expect_err("EA bits out of range");
        assert_eq!(e.path, "line.map_rule.ea_len");
        assert_eq!(e.message, "`49` is not a whole number from 0 to 48");
        let e = load(&scenario(
            "v6plus",
            "  map_rule:\n    rule6: 240b:10::/31\n    rule4: 106.72.0.0/33\n    ea_len: 25\n    psid_offset: 4\n",
            HGW,
        ))
        .expect_err("bad IPv4 prefix");
        assert_eq!(e.path, "line.map_rule.rule4");
        assert_eq!((e.line, e.column), (7, 12));
    }
}
