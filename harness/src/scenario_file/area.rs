//! The `area:` section of a scenario file: how many homes, their weighted
//! templates (each a one-home body whose fields replace the scenario's own),
//! the shared servers' capacities and the area-wide faults. Validated into
//! [`sim_core::area::AreaSpec`] with the same located errors as the rest of
//! the file (a template's fields carry `area.templates[N].` in their path).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use sim_core::area::{
    AreaFault, AreaFaultKind, AreaSpec, AreaTemplate, BrSettings, DistributorCapacity, MAX_HOMES,
    RuleServerCapacity,
};
use sim_core::mape;
use sim_core::scenario::Scenario;
use sim_core::time::SimTime;

use super::{
    Ctx, HomeBody, HomeParts, RawAftr, RawClient, RawFault, RawGateway, RawLine, RawLink, RawScenario, S,
    ScenarioError, Text, validate_home, vne_names,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Area")]
pub(super) struct RawArea {
    homes: S<Text>,
    #[serde(default)]
    templates: Vec<S<RawTemplate>>,
    distributor: Option<RawDistributor>,
    rule_server: Option<RawRuleServer>,
    br: Option<RawBr>,
    #[serde(default)]
    faults: Vec<S<RawAreaFault>>,
}

/// A kind of home: its weight and the body fields that differ from the scenario's.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaTemplate")]
struct RawTemplate {
    name: S<String>,
    weight: Option<S<Text>>,
    line: Option<RawLine>,
    links: Option<BTreeMap<String, S<RawLink>>>,
    gateway: Option<RawGateway>,
    lan: Option<BTreeMap<String, S<RawClient>>>,
    faults: Option<Vec<S<RawFault>>>,
    aftr: Option<RawAftr>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaDistributor")]
struct RawDistributor {
    max_concurrent: Option<S<Text>>,
    bandwidth: Option<S<Text>>,
    max_queue: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaRuleServer")]
struct RawRuleServer {
    rate: Option<S<Text>>,
    burst: Option<S<Text>>,
}

/// Every VNE's BR (MAP-E) or AFTR (DS-Lite): an AFTR's session table, and the new sessions
/// a second either carries.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaBr")]
struct RawBr {
    max_sessions: Option<S<Text>>,
    rate: Option<S<Text>>,
    burst: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaFault")]
struct RawAreaFault {
    at: S<Text>,
    area_power_cut: Option<S<RawPowerCut>>,
    bundle_rollout: Option<S<RawRollout>>,
    distributor_saturation: Option<S<RawSaturation>>,
    rule_server_rate_limit: Option<S<RawRateLimit>>,
    br_outage: Option<S<RawBrOutage>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaPowerCut")]
struct RawPowerCut {
    share: Option<S<Text>>,
    duration: S<Text>,
    restore_spread: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaRollout")]
struct RawRollout {
    share: Option<S<Text>>,
    window: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaSaturation")]
struct RawSaturation {
    max_concurrent: Option<S<Text>>,
    bandwidth: Option<S<Text>>,
    duration: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaRateLimit")]
struct RawRateLimit {
    vne: Option<S<String>>,
    rate: S<Text>,
    burst: Option<S<Text>>,
    duration: Option<S<Text>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AreaBrOutage")]
struct RawBrOutage {
    vne: Option<S<String>>,
    duration: S<Text>,
}

const AREA_FAULT_KINDS: &str =
    "area_power_cut, bundle_rollout, distributor_saturation, rule_server_rate_limit, br_outage";
const BANDWIDTH_FORMS: &str = "a number with bit/s, kbit/s, Mbit/s or Gbit/s, e.g. 10Gbit/s";
/// Most downloads, queued requests or requests a second a capacity may name.
const MAX_CAPACITY: u64 = 10_000_000;
/// Most sessions an AFTR's table may be given: past any CGN built.
const MAX_BR_SESSIONS: u64 = 1_000_000_000;

/// `10Gbit/s` → bits per second.
fn parse_bandwidth(text: &str) -> Option<u64> {
    let t = text.trim();
    let (number, scale) = [("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3), ("bit/s", 1.0)]
        .into_iter()
        .find_map(|(unit, scale)| t.strip_suffix(unit).map(|n| (n.trim(), scale)))?;
    let x: f64 = number.parse().ok()?;
    let bps = x * scale;
    (x.is_finite() && (1.0..=1e15).contains(&bps)).then_some(bps.round() as u64)
}

impl Ctx<'_> {
    fn bandwidth(&self, v: &S<Text>, path: &str) -> Result<u64, ScenarioError> {
        parse_bandwidth(&v.value.0).ok_or_else(|| {
            self.err(
                v,
                path,
                format!(
                    "`{}` is not a bandwidth (accepted: {BANDWIDTH_FORMS}, from 1 bit/s to 1000 Tbit/s)",
                    v.value.0
                ),
            )
        })
    }

    fn vne(&self, v: &Option<S<String>>, path: &str) -> Result<Option<&'static str>, ScenarioError> {
        v.as_ref()
            .map(|v| {
                mape::vne_preset(&v.value).map(|p| p.name).ok_or_else(|| {
                    self.err(
                        v,
                        path,
                        format!("unknown VNE `{}` (accepted: {})", v.value, vne_names()),
                    )
                })
            })
            .transpose()
    }
}

/// Validates the `area:` section against the scenario it belongs to (`base`: the scenario
/// body, already valid).
pub(super) fn validate_area(
    cx: &Ctx,
    raw_area: &S<RawArea>,
    raw: &RawScenario,
    base: &Scenario,
) -> Result<AreaSpec, ScenarioError> {
    let a = &raw_area.value;
    let homes = cx.integer(&a.homes, "area.homes", 1, u64::from(MAX_HOMES))? as u32;
    let mut templates = Vec::new();
    for (i, t) in a.templates.iter().enumerate() {
        let path = format!("area.templates[{}]", i + 1);
        let name = &t.value.name;
        let ok = !name.value.is_empty()
            && name
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok {
            return Err(cx.err(
                name,
                &format!("{path}.name"),
                "use letters, digits, `-`, `_` and `.` only",
            ));
        }
        if templates.iter().any(|x: &AreaTemplate| x.name == name.value) {
            return Err(cx.err(
                name,
                &format!("{path}.name"),
                format!("a second template named `{}` (each name once)", name.value),
            ));
        }
        let weight = match &t.value.weight {
            Some(w) => cx.integer(w, &format!("{path}.weight"), 1, 1_000_000)? as u32,
            None => 1,
        };
        let tcx = Ctx {
            file: cx.file,
            prefix: format!("{path}."),
        };
        let v = &t.value;
        let HomeBody {
            line,
            links,
            gateway,
            lan,
            faults,
            aftr,
        } = validate_home(
            &tcx,
            HomeParts {
                line: v.line.as_ref().unwrap_or(&raw.line),
                links: v.links.as_ref().unwrap_or(&raw.links),
                gateway: v.gateway.as_ref().unwrap_or(&raw.gateway),
                lan: v.lan.as_ref().unwrap_or(&raw.lan),
                faults: v.faults.as_deref().unwrap_or(&raw.faults),
                aftr: if v.aftr.is_some() { &v.aftr } else { &raw.aftr },
            },
            base.duration,
        )?;
        let home = Scenario {
            line,
            links,
            gateway,
            lan,
            faults,
            aftr,
            ..base.clone()
        };
        let cost = sim_core::cost::estimate(&home);
        if cost.over_limit() {
            let mut e = super::over_limit_error(cx.file, &cost);
            e.path = format!("{path}.{}", e.path).trim_end_matches('.').to_string();
            return Err(e);
        }
        templates.push(AreaTemplate {
            name: name.value.clone(),
            weight,
            home,
        });
    }
    if templates.is_empty() {
        templates.push(AreaTemplate {
            name: "home".into(),
            weight: 1,
            home: base.clone(),
        });
    }
    let mut distributor = DistributorCapacity::default();
    if let Some(d) = &a.distributor {
        if let Some(v) = &d.max_concurrent {
            distributor.max_concurrent =
                cx.integer(v, "area.distributor.max_concurrent", 1, MAX_CAPACITY)? as u32;
        }
        if let Some(v) = &d.bandwidth {
            distributor.bandwidth_bps = cx.bandwidth(v, "area.distributor.bandwidth")?;
        }
        if let Some(v) = &d.max_queue {
            distributor.max_queue = cx.integer(v, "area.distributor.max_queue", 0, MAX_CAPACITY)? as u32;
        }
    }
    let mut rule_server = RuleServerCapacity::default();
    if let Some(r) = &a.rule_server {
        if let Some(v) = &r.rate {
            rule_server.rate_per_second = cx.integer(v, "area.rule_server.rate", 1, MAX_CAPACITY)? as u32;
        }
        if let Some(v) = &r.burst {
            rule_server.burst = cx.integer(v, "area.rule_server.burst", 1, MAX_CAPACITY)? as u32;
        }
    }
    let mut br = BrSettings::default();
    if let Some(b) = &a.br {
        if let Some(v) = &b.max_sessions {
            br.aftr_max_sessions = cx.integer(v, "area.br.max_sessions", 1, MAX_BR_SESSIONS)?;
        }
        if let Some(v) = &b.rate {
            br.setup.rate_per_second = cx.integer(v, "area.br.rate", 1, MAX_CAPACITY)? as u32;
        }
        if let Some(v) = &b.burst {
            br.setup.burst = cx.integer(v, "area.br.burst", 1, MAX_CAPACITY)? as u32;
        }
    }
    let faults = a
        .faults
        .iter()
        .enumerate()
        .map(|(i, f)| validate_area_fault(cx, f, &format!("area.faults[{}]", i + 1), base))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AreaSpec {
        homes,
        templates,
        distributor,
        rule_server,
        br,
        faults,
    })
}

fn validate_area_fault(
    cx: &Ctx,
    f: &S<RawAreaFault>,
    path: &str,
    base: &Scenario,
) -> Result<AreaFault, ScenarioError> {
    let r = &f.value;
    let at = cx.duration(&r.at, &format!("{path}.at"))?;
    if at >= base.duration {
        return Err(cx.err(
            &r.at,
            &format!("{path}.at"),
            format!(
                "`{}` is not within the run (duration {})",
                r.at.value.0, base.duration
            ),
        ));
    }
    let share = |v: &Option<S<Text>>, p: &str| v.as_ref().map_or(Ok(1.0), |v| cx.ratio(v, p));
    let mut kinds = Vec::new();
    if let Some(x) = &r.area_power_cut {
        let p = format!("{path}.area_power_cut");
        kinds.push(AreaFaultKind::PowerCut {
            share: share(&x.value.share, &format!("{p}.share"))?,
            duration: cx.positive_duration(&x.value.duration, &format!("{p}.duration"))?,
            restore_spread: cx.opt_duration(
                &x.value.restore_spread,
                &format!("{p}.restore_spread"),
                sim_core::time::SimDuration::ZERO,
            )?,
        });
    }
    if let Some(x) = &r.bundle_rollout {
        let p = format!("{path}.bundle_rollout");
        kinds.push(AreaFaultKind::BundleRollout {
            share: share(&x.value.share, &format!("{p}.share"))?,
            window: cx.opt_duration(
                &x.value.window,
                &format!("{p}.window"),
                sim_core::time::SimDuration::ZERO,
            )?,
        });
    }
    if let Some(x) = &r.distributor_saturation {
        let p = format!("{path}.distributor_saturation");
        let v = &x.value;
        if v.max_concurrent.is_none() && v.bandwidth.is_none() {
            return Err(cx.err(x, &p, "a saturation needs `max_concurrent`, `bandwidth` or both"));
        }
        kinds.push(AreaFaultKind::DistributorSaturation {
            max_concurrent: v
                .max_concurrent
                .as_ref()
                .map(|m| {
                    cx.integer(m, &format!("{p}.max_concurrent"), 0, MAX_CAPACITY)
                        .map(|n| n as u32)
                })
                .transpose()?,
            bandwidth_bps: v
                .bandwidth
                .as_ref()
                .map(|b| cx.bandwidth(b, &format!("{p}.bandwidth")))
                .transpose()?,
            duration: v
                .duration
                .as_ref()
                .map(|d| cx.positive_duration(d, &format!("{p}.duration")))
                .transpose()?,
        });
    }
    if let Some(x) = &r.rule_server_rate_limit {
        let p = format!("{path}.rule_server_rate_limit");
        let v = &x.value;
        kinds.push(AreaFaultKind::RuleServerRateLimit {
            vne: cx.vne(&v.vne, &format!("{p}.vne"))?,
            rate_per_second: cx.integer(&v.rate, &format!("{p}.rate"), 0, MAX_CAPACITY)? as u32,
            burst: v
                .burst
                .as_ref()
                .map(|b| {
                    cx.integer(b, &format!("{p}.burst"), 1, MAX_CAPACITY)
                        .map(|n| n as u32)
                })
                .transpose()?,
            duration: v
                .duration
                .as_ref()
                .map(|d| cx.positive_duration(d, &format!("{p}.duration")))
                .transpose()?,
        });
    }
    if let Some(x) = &r.br_outage {
        let p = format!("{path}.br_outage");
        kinds.push(AreaFaultKind::BrOutage {
            vne: cx.vne(&x.value.vne, &format!("{p}.vne"))?,
            duration: cx.positive_duration(&x.value.duration, &format!("{p}.duration"))?,
        });
    }
    match kinds.len() {
        1 => Ok(AreaFault {
            at: SimTime::ZERO + at,
            kind: kinds.remove(0),
        }),
        0 => Err(cx.err(
            f,
            path,
            format!("an area fault needs one kind (accepted: {AREA_FAULT_KINDS})"),
        )),
        _ => {
            let names: Vec<_> = kinds.iter().map(|k| k.name()).collect();
            Err(cx.err(
                f,
                path,
                format!(
                    "one fault per entry, found {}: split them into separate entries",
                    names.join(" and ")
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidths_take_their_unit() {
        assert_eq!(parse_bandwidth("10Gbit/s"), Some(10_000_000_000));
        assert_eq!(parse_bandwidth("2.5 Mbit/s"), Some(2_500_000));
        assert_eq!(parse_bandwidth("100"), None);
        assert_eq!(parse_bandwidth("0bit/s"), None);
        assert_eq!(parse_bandwidth("-1Gbit/s"), None);
    }
}
