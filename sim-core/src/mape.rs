//! MAP-E arithmetic (RFC 7597) and the Japanese VNEs' parameters as data.
//!
//! A CE holds an End-user IPv6 prefix `P/L` (from RA or DHCPv6-PD) and a
//! Basic Mapping Rule ([`MapRule`]) from its VNE's rule server. [`compute`]
//! turns the two into a [`MapeConfig`]: the IPv4 address (or prefix), the
//! PSID and its [`PortSet`], and the CE's tunnel source address in the
//! chosen [`IidLayout`]. [`vne_preset`] names the mechanism and interface-id
//! layout of v6 plus, OCN Virtual Connect and transix (its AFTR); the MAP-E
//! VNEs' rules and BRs are data, in [`crate::map_rules`].
//!
//! Everything here is pure and total: bad input is a [`MapeError`], never a
//! panic (`o`, `k` and `a` may each be 0 and `m` may be 16, so every shift is
//! guarded).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::map_rules::{self, TableRule};

/// Longest EA-bits field RFC 7597 allows (`o`).
pub const MAX_EA_LEN: u8 = 48;
/// Number of bits in a port, the upper bound of `a + k`.
pub const PORT_BITS: u8 = 16;

/// Why a prefix, rule or port parameter is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapeError {
    #[error("`{text}` is not an {family} prefix: {reason} (expected e.g. `{example}`)")]
    BadPrefix {
        text: String,
        family: &'static str,
        reason: &'static str,
        example: &'static str,
    },
    #[error("{family} prefix length {len} is out of range (at most {max})")]
    PrefixLenOutOfRange { family: &'static str, len: u8, max: u8 },
    #[error("EA-bits length {ea_len} is out of range (at most {MAX_EA_LEN})")]
    EaLenOutOfRange { ea_len: u8 },
    #[error("rule IPv6 prefix length {rule_len} plus EA-bits length {ea_len} exceeds 128 bits")]
    RuleExceedsAddress { rule_len: u8, ea_len: u8 },
    #[error("PSID offset {psid_offset} is out of range (at most {PORT_BITS})")]
    PsidOffsetOutOfRange { psid_offset: u8 },
    #[error("PSID length {psid_len} is out of range (at most {PORT_BITS})")]
    PsidLenOutOfRange { psid_len: u8 },
    #[error("PSID offset {psid_offset} plus PSID length {psid_len} exceeds the {PORT_BITS} bits of a port")]
    PortBitsExceeded { psid_offset: u8, psid_len: u8 },
    #[error("PSID {psid} does not fit in {psid_len} bits")]
    PsidOutOfRange { psid: u16, psid_len: u8 },
    #[error("End-user prefix {prefix} does not lie inside the rule IPv6 prefix {rule_prefix}")]
    PrefixMismatch {
        prefix: Ipv6Prefix,
        rule_prefix: Ipv6Prefix,
    },
    #[error(
        "End-user prefix {prefix} is too short: the rule needs at least /{needed} (rule prefix /{rule_len} + {ea_len} EA bits)"
    )]
    PrefixTooShort {
        prefix: Ipv6Prefix,
        needed: u8,
        rule_len: u8,
        ea_len: u8,
    },
    #[error(
        "PSID length {given} contradicts the rule, whose EA bits carry a {derived}-bit PSID (o + r - 32)"
    )]
    PsidLenMismatch { given: u8, derived: u8 },
    #[error("PSID {given} contradicts the PSID {derived} carried in the EA bits")]
    PsidMismatch { given: u16, derived: u16 },
    #[error("the rule gives a {psid_len}-bit PSID but no PSID value, and its EA bits carry none")]
    PsidNotProvisioned { psid_len: u8 },
    #[error(
        "the rule assigns an IPv4 prefix (/{ipv4_len}), which cannot be shared by port (PSID length {psid_len})"
    )]
    PortSetOnPrefix { ipv4_len: u8, psid_len: u8 },
    #[error("{prefix} is not covered by any {vne} MAP rule")]
    NoRuleForPrefix { prefix: Ipv6Prefix, vne: &'static str },
    #[error("{vne} uses DS-Lite (AFTR {aftr_name}), not MAP-E")]
    NotMapE {
        vne: &'static str,
        aftr_name: &'static str,
    },
}

/// `len` leading one bits of a 128-bit word (`len` >= 128 gives all ones).
const fn mask128(len: u8) -> u128 {
    if len == 0 {
        0
    } else if len >= 128 {
        u128::MAX
    } else {
        u128::MAX << (128 - len)
    }
}

/// `len` leading one bits of a 32-bit word (`len` >= 32 gives all ones).
const fn mask32(len: u8) -> u32 {
    if len == 0 {
        0
    } else if len >= 32 {
        u32::MAX
    } else {
        u32::MAX << (32 - len)
    }
}

/// The low `bits` bits set (`bits` >= 64 gives all ones).
const fn low_bits(bits: u8) -> u64 {
    if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 }
}

/// Splits `ADDRESS/LENGTH`, or says why it cannot.
fn split_prefix(text: &str) -> Result<(&str, u8), &'static str> {
    let (addr, len) = text.trim().split_once('/').ok_or("missing `/length`")?;
    let len = len
        .parse::<u8>()
        .map_err(|_| "the length after `/` is not a number")?;
    Ok((addr, len))
}

/// An IPv6 prefix; the address is kept with the bits beyond the length cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv6Prefix {
    addr: Ipv6Addr,
    len: u8,
}

impl Ipv6Prefix {
    /// A prefix of `len` bits (at most 128); bits of `addr` beyond `len` are cleared.
    pub fn new(addr: Ipv6Addr, len: u8) -> Result<Self, MapeError> {
        if len > 128 {
            return Err(MapeError::PrefixLenOutOfRange {
                family: "IPv6",
                len,
                max: 128,
            });
        }
        Ok(Self::new_clamped(addr, len))
    }

    /// A length over 128 is taken as 128.
    const fn new_clamped(addr: Ipv6Addr, len: u8) -> Self {
        let len = if len > 128 { 128 } else { len };
        Ipv6Prefix {
            addr: Ipv6Addr::from_bits(addr.to_bits() & mask128(len)),
            len,
        }
    }

    /// Parses `240b:10::/31`.
    pub fn parse(text: &str) -> Result<Self, MapeError> {
        let bad = |reason| MapeError::BadPrefix {
            text: text.to_string(),
            family: "IPv6",
            reason,
            example: "240b:10:3f6c:d400::/56",
        };
        let (addr, len) = split_prefix(text).map_err(bad)?;
        let addr = addr
            .parse::<Ipv6Addr>()
            .map_err(|_| bad("not an IPv6 address before `/`"))?;
        Self::new(addr, len)
    }

    pub const fn addr(&self) -> Ipv6Addr {
        self.addr
    }
    pub const fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether `other` lies entirely inside this prefix.
    pub const fn contains(&self, other: &Ipv6Prefix) -> bool {
        other.len >= self.len && other.addr.to_bits() & mask128(self.len) == self.addr.to_bits()
    }
}

impl fmt::Display for Ipv6Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Ipv6Prefix {
    type Err = MapeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Ipv6Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ipv6Prefix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An IPv4 prefix; the address is kept with the bits beyond the length cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Prefix {
    addr: Ipv4Addr,
    len: u8,
}

impl Ipv4Prefix {
    /// A prefix of `len` bits (at most 32); bits of `addr` beyond `len` are cleared.
    pub fn new(addr: Ipv4Addr, len: u8) -> Result<Self, MapeError> {
        if len > 32 {
            return Err(MapeError::PrefixLenOutOfRange {
                family: "IPv4",
                len,
                max: 32,
            });
        }
        Ok(Self::new_clamped(addr, len))
    }

    /// A length over 32 is taken as 32.
    const fn new_clamped(addr: Ipv4Addr, len: u8) -> Self {
        let len = if len > 32 { 32 } else { len };
        Ipv4Prefix {
            addr: Ipv4Addr::from_bits(addr.to_bits() & mask32(len)),
            len,
        }
    }

    /// A single address, `/32`.
    pub const fn host(addr: Ipv4Addr) -> Self {
        Ipv4Prefix { addr, len: 32 }
    }

    /// Parses `106.72.0.0/15`.
    pub fn parse(text: &str) -> Result<Self, MapeError> {
        let bad = |reason| MapeError::BadPrefix {
            text: text.to_string(),
            family: "IPv4",
            reason,
            example: "106.72.0.0/15",
        };
        let (addr, len) = split_prefix(text).map_err(bad)?;
        let addr = addr
            .parse::<Ipv4Addr>()
            .map_err(|_| bad("not an IPv4 address before `/`"))?;
        Self::new(addr, len)
    }

    pub const fn addr(&self) -> Ipv4Addr {
        self.addr
    }
    pub const fn prefix_len(&self) -> u8 {
        self.len
    }
}

impl fmt::Display for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Ipv4Prefix {
    type Err = MapeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Ipv4Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ipv4Prefix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A Basic Mapping Rule, as a VNE's rule server hands it to the CE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapRule {
    /// Rule IPv6 prefix `R6/n`.
    pub ipv6_prefix: Ipv6Prefix,
    /// Rule IPv4 prefix `R4/r`.
    pub ipv4_prefix: Ipv4Prefix,
    /// EA-bits length `o` (0..=48).
    pub ea_len: u8,
    /// PSID offset `a` (RFC default 6; v6 plus uses 4).
    pub psid_offset: u8,
    /// Explicit PSID length `k` (RFC 7598 S46_PORTPARAMS). Needed when the EA
    /// bits carry no PSID (`o + r <= 32`); otherwise it must agree with `o + r - 32`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psid_len: Option<u8>,
    /// Explicit PSID value, for a rule whose EA bits carry none (e.g. `o = 0`, `r = 32`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psid: Option<u16>,
}

impl MapRule {
    /// Whether this rule applies to the End-user prefix (`P/L` inside `R6/n`).
    pub fn matches(&self, prefix: &Ipv6Prefix) -> bool {
        self.ipv6_prefix.contains(prefix)
    }
}

/// The rule among `rules` whose IPv6 prefix contains `prefix`, longest match first
/// (ties go to the earlier rule).
pub fn rule_for<'r>(rules: &'r [MapRule], prefix: &Ipv6Prefix) -> Option<&'r MapRule> {
    rules
        .iter()
        .filter(|rule| rule.matches(prefix))
        .fold(None, |best: Option<&MapRule>, rule| match best {
            Some(b) if b.ipv6_prefix.prefix_len() >= rule.ipv6_prefix.prefix_len() => Some(b),
            _ => Some(rule),
        })
}

/// How the CE's interface identifier lays out the IPv4 address and PSID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IidLayout {
    /// RFC 7597 §6: `0x0000 | IPv4(32) | PSID(16)`.
    Rfc7597,
    /// draft-ietf-softwire-map-03 (used by Japanese VNEs): `0x00 | IPv4(32) | PSID(16) | 0x00`.
    Draft03,
}

impl IidLayout {
    /// The 64-bit interface identifier for `ipv4` (a prefix is zero-padded) and a right-aligned PSID.
    pub const fn interface_id(self, ipv4: Ipv4Addr, psid: u16) -> u64 {
        let v4 = ipv4.to_bits() as u64;
        let psid = psid as u64;
        match self {
            IidLayout::Rfc7597 => (v4 << 16) | psid,
            IidLayout::Draft03 => (v4 << 24) | (psid << 8),
        }
    }

    /// Short name: `rfc7597` or `draft03`.
    pub const fn name(self) -> &'static str {
        match self {
            IidLayout::Rfc7597 => "rfc7597",
            IidLayout::Draft03 => "draft03",
        }
    }
}

impl fmt::Display for IidLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IidLayout::Rfc7597 => "RFC 7597",
            IidLayout::Draft03 => "draft-03",
        })
    }
}

/// The PSID of `port` under offset `a` and PSID length `k`; `None` when `a + k > 16`
/// or the port lies in the excluded range below `2^(16-a)` (`A = 0`, when `a, k > 0`).
pub fn psid_of_port(port: u16, psid_offset: u8, psid_len: u8) -> Option<u16> {
    let (a, k) = (psid_offset, psid_len);
    if a > PORT_BITS || k > PORT_BITS || a + k > PORT_BITS {
        return None;
    }
    if k == 0 {
        return Some(0);
    }
    let port = u32::from(port);
    let m = PORT_BITS - a - k;
    if a > 0 && port >> (PORT_BITS - a) == 0 {
        return None;
    }
    u16::try_from((port >> m) & ((1u32 << k) - 1)).ok()
}

/// The external ports a CE may use: `A (a bits) | PSID (k bits) | j (m bits)`,
/// `A` from 1 when `a > 0`. With `k = 0` the address is not shared: all ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PortSetFields")]
pub struct PortSet {
    psid_offset: u8,
    psid_len: u8,
    psid: u16,
}

/// The unvalidated shape of a [`PortSet`] on the wire.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortSetFields {
    psid_offset: u8,
    psid_len: u8,
    psid: u16,
}

impl TryFrom<PortSetFields> for PortSet {
    type Error = MapeError;
    fn try_from(f: PortSetFields) -> Result<Self, MapeError> {
        PortSet::new(f.psid_offset, f.psid_len, f.psid)
    }
}

impl PortSet {
    /// The port set of `psid` (`k` bits) at offset `a`.
    pub fn new(psid_offset: u8, psid_len: u8, psid: u16) -> Result<Self, MapeError> {
        check_port_bits(psid_offset, psid_len)?;
        if u64::from(psid) > low_bits(psid_len) {
            return Err(MapeError::PsidOutOfRange { psid, psid_len });
        }
        Ok(PortSet {
            psid_offset,
            psid_len,
            psid,
        })
    }

    /// Every port, 0..=65535 (an address that is not shared).
    pub const fn all() -> Self {
        PortSet {
            psid_offset: 0,
            psid_len: 0,
            psid: 0,
        }
    }

    pub const fn psid(&self) -> u16 {
        self.psid
    }
    pub const fn psid_len(&self) -> u8 {
        self.psid_len
    }
    pub const fn psid_offset(&self) -> u8 {
        self.psid_offset
    }

    /// Whether the address is shared (`k > 0`), so the set is a strict subset of the ports.
    pub const fn is_restricted(&self) -> bool {
        self.psid_len > 0
    }

    /// `m`, the bits of `j`: the length of each contiguous range is `2^m`.
    const fn m(&self) -> u8 {
        PORT_BITS
            .saturating_sub(self.psid_offset)
            .saturating_sub(self.psid_len)
    }

    /// First value of `A` and one past the last.
    const fn a_values(&self) -> (u32, u32) {
        if !self.is_restricted() || self.psid_offset == 0 {
            (0, 1)
        } else {
            (1, 1u32 << self.psid_offset)
        }
    }

    /// The `i`-th contiguous range, `i` in `0..range_count()`.
    fn range_at(&self, a_value: u32) -> (u16, u16) {
        if !self.is_restricted() {
            return (0, u16::MAX);
        }
        let m = self.m();
        let high = if self.psid_offset == 0 {
            0
        } else {
            a_value << (PORT_BITS - self.psid_offset)
        };
        let start = high | (u32::from(self.psid) << m);
        let end = start | ((1u32 << m) - 1);
        (
            u16::try_from(start).unwrap_or(u16::MAX),
            u16::try_from(end).unwrap_or(u16::MAX),
        )
    }

    /// Number of ports in the set: `(2^a - 1) * 2^m` (`2^m` when `a = 0`, 65536 when `k = 0`).
    pub const fn len(&self) -> u32 {
        if !self.is_restricted() {
            return 1 << PORT_BITS;
        }
        let (first, end) = self.a_values();
        (end - first) << self.m()
    }

    /// Never true for a valid set; present for the `len` convention.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `port` belongs to the set.
    pub fn contains(&self, port: u16) -> bool {
        !self.is_restricted() || psid_of_port(port, self.psid_offset, self.psid_len) == Some(self.psid)
    }

    /// Number of contiguous ranges (`2^a - 1`, or 1).
    pub const fn range_count(&self) -> u32 {
        let (first, end) = self.a_values();
        end - first
    }

    /// The contiguous ranges, ascending, each `(first, last)` inclusive.
    pub fn ranges(&self) -> impl DoubleEndedIterator<Item = (u16, u16)> + ExactSizeIterator + '_ {
        let (first, end) = self.a_values();
        (first..end).map(|a_value| self.range_at(a_value))
    }

    /// The contiguous ranges collected, ascending.
    pub fn range_list(&self) -> Vec<(u16, u16)> {
        self.ranges().collect()
    }

    /// Every port in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.ranges().flat_map(|(first, last)| first..=last)
    }
}

fn check_port_bits(psid_offset: u8, psid_len: u8) -> Result<(), MapeError> {
    if psid_offset > PORT_BITS {
        return Err(MapeError::PsidOffsetOutOfRange { psid_offset });
    }
    if psid_len > PORT_BITS {
        return Err(MapeError::PsidLenOutOfRange { psid_len });
    }
    if psid_offset + psid_len > PORT_BITS {
        return Err(MapeError::PortBitsExceeded {
            psid_offset,
            psid_len,
        });
    }
    Ok(())
}

/// What a CE configures from its prefix and rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapeConfig {
    /// The End-user prefix the configuration was computed from.
    pub end_user_prefix: Ipv6Prefix,
    /// The CE's IPv4 address (`/32`), or its IPv4 prefix when `o + r < 32`.
    pub ipv4: Ipv4Prefix,
    /// The PSID and the ports it grants.
    pub ports: PortSet,
    /// The tunnel source address: first /64 of `P` plus the interface id.
    pub ce_address: Ipv6Addr,
    /// The interface-id layout used for `ce_address`.
    pub iid: IidLayout,
}

impl MapeConfig {
    /// The IPv4 address (the first address of the prefix when one was assigned).
    pub const fn ipv4_address(&self) -> Ipv4Addr {
        self.ipv4.addr()
    }
    /// Whether a whole IPv4 prefix (`o + r < 32`) was assigned.
    pub const fn is_ipv4_prefix(&self) -> bool {
        self.ipv4.prefix_len() < 32
    }
    pub const fn psid(&self) -> u16 {
        self.ports.psid()
    }
    pub const fn psid_len(&self) -> u8 {
        self.ports.psid_len()
    }
    pub const fn psid_offset(&self) -> u8 {
        self.ports.psid_offset()
    }
    pub const fn port_count(&self) -> u32 {
        self.ports.len()
    }
}

/// The MAP-E configuration of End-user prefix `prefix` under `rule` (RFC 7597 §5).
pub fn compute(prefix: Ipv6Prefix, rule: &MapRule, iid: IidLayout) -> Result<MapeConfig, MapeError> {
    let n = rule.ipv6_prefix.prefix_len();
    let r = rule.ipv4_prefix.prefix_len();
    let o = rule.ea_len;
    let a = rule.psid_offset;
    let l = prefix.prefix_len();

    if o > MAX_EA_LEN {
        return Err(MapeError::EaLenOutOfRange { ea_len: o });
    }
    let needed = n.saturating_add(o);
    if needed > 128 {
        return Err(MapeError::RuleExceedsAddress {
            rule_len: n,
            ea_len: o,
        });
    }
    if a > PORT_BITS {
        return Err(MapeError::PsidOffsetOutOfRange { psid_offset: a });
    }
    if let Some(k) = rule.psid_len
        && k > PORT_BITS
    {
        return Err(MapeError::PsidLenOutOfRange { psid_len: k });
    }

    // The End-user prefix must agree with the rule prefix on the bits both have.
    let common = mask128(n.min(l));
    if prefix.addr().to_bits() & common != rule.ipv6_prefix.addr().to_bits() & common {
        return Err(MapeError::PrefixMismatch {
            prefix,
            rule_prefix: rule.ipv6_prefix,
        });
    }
    if l < needed {
        return Err(MapeError::PrefixTooShort {
            prefix,
            needed,
            rule_len: n,
            ea_len: o,
        });
    }

    // EA = bits n .. n+o of P (o <= 48, n + o <= 128).
    let ea: u64 = if o == 0 {
        0
    } else {
        let shifted = prefix.addr().to_bits() >> (128 - needed);
        u64::try_from(shifted & u128::from(low_bits(o))).unwrap_or(0)
    };

    let r4 = rule.ipv4_prefix.addr().to_bits();
    let p = 32 - r; // IPv4 suffix bits the EA bits may carry
    let (ipv4, psid_len, psid) = if o > p {
        // Shared address: p suffix bits, then k = o - p PSID bits.
        let k = o - p;
        if k > PORT_BITS {
            return Err(MapeError::PsidLenOutOfRange { psid_len: k });
        }
        if let Some(given) = rule.psid_len
            && given != k
        {
            return Err(MapeError::PsidLenMismatch { given, derived: k });
        }
        let suffix = u32::try_from(ea >> k).unwrap_or(0);
        let derived = u16::try_from(ea & low_bits(k)).unwrap_or(0);
        if let Some(given) = rule.psid
            && given != derived
        {
            return Err(MapeError::PsidMismatch { given, derived });
        }
        (Ipv4Prefix::host(Ipv4Addr::from_bits(r4 | suffix)), k, derived)
    } else if o == p {
        // Full address; a PSID only when provisioned explicitly (e.g. o = 0, r = 32).
        let suffix = u32::try_from(ea).unwrap_or(0);
        let k = rule.psid_len.unwrap_or(0);
        let psid = match (k, rule.psid) {
            (0, given) => given.unwrap_or(0),
            (_, Some(given)) => given,
            (_, None) => return Err(MapeError::PsidNotProvisioned { psid_len: k }),
        };
        (Ipv4Prefix::host(Ipv4Addr::from_bits(r4 | suffix)), k, psid)
    } else {
        // An IPv4 prefix of length r + o: whole addresses, no port sharing.
        let k = rule.psid_len.unwrap_or(0);
        if k > 0 {
            return Err(MapeError::PortSetOnPrefix {
                ipv4_len: r + o,
                psid_len: k,
            });
        }
        let suffix = u32::try_from(ea << (p - o)).unwrap_or(0);
        let ipv4 = Ipv4Prefix::new_clamped(Ipv4Addr::from_bits(r4 | suffix), r + o);
        (ipv4, 0, rule.psid.unwrap_or(0))
    };
    let ports = PortSet::new(a, psid_len, psid)?;

    // CE address: P, subnet id 0 up to /64, then the interface id; an End-user
    // prefix longer than /64 overwrites the interface id's leading bits.
    let iid_bits = u128::from(iid.interface_id(ipv4.addr(), psid));
    let with_iid = (prefix.addr().to_bits() & mask128(64)) | iid_bits;
    let ce = (with_iid & !mask128(l)) | (prefix.addr().to_bits() & mask128(l));

    Ok(MapeConfig {
        end_user_prefix: prefix,
        ipv4,
        ports,
        ce_address: Ipv6Addr::from_bits(ce),
        iid,
    })
}

/// How a VNE carries IPv4 over the Flets IPv6 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// MAP-E: the CE does NAPT into its port set and tunnels to the BR of its rule
    /// (the VNE's rules and BRs are in [`crate::map_rules`]).
    MapE { iid: IidLayout },
    /// DS-Lite: the CE tunnels to the AFTR (found by name), which does the NAT.
    DsLite { aftr_name: &'static str },
}

/// A Basic Mapping Rule with the BR its tunnels go to: what a CE needs for MAP-E,
/// whether a rule server hands it out or a user types it in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleAndBr {
    pub rule: MapRule,
    pub br: Ipv6Addr,
}

/// A VNE's public parameters (community-documented), as defaults for scenarios and the calculator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VnePreset {
    /// Canonical name, e.g. `v6plus`; also the VNE's name in the rule table.
    pub name: &'static str,
    /// Other accepted names, e.g. `v6-plus`.
    pub aliases: &'static [&'static str],
    /// Name for people, e.g. `v6 plus (JPNE)`.
    pub title: &'static str,
    pub mechanism: Mechanism,
}

impl VnePreset {
    /// The VNE's MAP rules, each with its BR (empty for DS-Lite).
    pub fn rules(&self) -> &'static [TableRule] {
        match self.mechanism {
            Mechanism::MapE { .. } => map_rules::rules_of(self.name),
            Mechanism::DsLite { .. } => &[],
        }
    }

    /// The rule of this VNE's table covering `prefix`, longest match.
    pub fn rule_for(&self, prefix: &Ipv6Prefix) -> Option<&'static TableRule> {
        map_rules::rule_among(self.rules(), prefix)
    }

    /// The CE's interface-id layout (RFC 7597 for a VNE that is not MAP-E).
    pub const fn iid(&self) -> IidLayout {
        match self.mechanism {
            Mechanism::MapE { iid } => iid,
            Mechanism::DsLite { .. } => IidLayout::Rfc7597,
        }
    }

    /// The MAP-E configuration for `prefix` with this VNE's rule and interface-id layout.
    pub fn compute(&self, prefix: Ipv6Prefix) -> Result<MapeConfig, MapeError> {
        match self.mechanism {
            Mechanism::DsLite { aftr_name } => Err(MapeError::NotMapE {
                vne: self.name,
                aftr_name,
            }),
            Mechanism::MapE { iid } => {
                // A prefix shorter than the rules of its block gets `compute`'s "too short".
                let rule = self
                    .rule_for(&prefix)
                    .or_else(|| map_rules::rule_inside(self.rules(), &prefix))
                    .ok_or(MapeError::NoRuleForPrefix {
                        prefix,
                        vne: self.name,
                    })?;
                compute(prefix, &rule.rule, iid)
            }
        }
    }

    /// Whether `name` (any case, `_` or space for `-`) names this preset.
    pub fn is_named(&self, name: &str) -> bool {
        let wanted: String = name
            .trim()
            .chars()
            .map(|c| match c {
                '_' | ' ' => '-',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        self.name == wanted || self.aliases.contains(&wanted.as_str())
    }
}

static PRESETS: [VnePreset; 3] = [
    VnePreset {
        name: "v6plus",
        // BIGLOBE's IPv6 option runs the v6 plus system on its own blocks; its rules
        // are in the v6plus table (see data/map-rules.csv).
        aliases: &["v6-plus", "jpne", "biglobe"],
        title: "v6 plus (JPNE)",
        mechanism: Mechanism::MapE {
            iid: IidLayout::Draft03,
        },
    },
    VnePreset {
        name: "ocn",
        aliases: &["ocn-vc", "ocn-virtual-connect"],
        title: "OCN Virtual Connect",
        mechanism: Mechanism::MapE {
            iid: IidLayout::Draft03,
        },
    },
    VnePreset {
        name: "transix",
        aliases: &["ds-lite-transix", "dslite-transix"],
        title: "transix (DS-Lite)",
        mechanism: Mechanism::DsLite {
            aftr_name: "gw.transix.jp",
        },
    },
];

/// Every VNE preset, in a fixed order.
pub fn vne_presets() -> &'static [VnePreset] {
    &PRESETS
}

/// The preset called `name` or one of its aliases (any case).
pub fn vne_preset(name: &str) -> Option<&'static VnePreset> {
    PRESETS.iter().find(|preset| preset.is_named(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(text: &str) -> Ipv6Prefix {
        Ipv6Prefix::parse(text).expect("valid IPv6 prefix")
    }
    fn v4(text: &str) -> Ipv4Prefix {
        Ipv4Prefix::parse(text).expect("valid IPv4 prefix")
    }
    fn addr6(text: &str) -> Ipv6Addr {
        text.parse().expect("valid IPv6 address")
    }
    fn map_rule(r6: &str, r4: &str, ea_len: u8, psid_offset: u8) -> MapRule {
        MapRule {
            ipv6_prefix: v6(r6),
            ipv4_prefix: v4(r4),
            ea_len,
            psid_offset,
            psid_len: None,
            psid: None,
        }
    }

    /// One row of domain.md's test-vector table.
    struct Vector {
        prefix: &'static str,
        rule: MapRule,
        iid: IidLayout,
        ipv4: Ipv4Addr,
        psid: u16,
        psid_len: u8,
        port_count: u32,
        first_ranges: [(u16, u16); 2],
        last_range: (u16, u16),
        ce_address: &'static str,
    }

    fn vectors() -> Vec<Vector> {
        vec![
            Vector {
                prefix: "2001:db8:12:3400::/56",
                rule: map_rule("2001:db8::/40", "192.0.2.0/24", 16, 6),
                iid: IidLayout::Rfc7597,
                ipv4: Ipv4Addr::new(192, 0, 2, 18),
                psid: 0x34,
                psid_len: 8,
                port_count: 252,
                first_ranges: [(1232, 1235), (2256, 2259)],
                last_range: (64720, 64723),
                ce_address: "2001:db8:12:3400:0:c000:212:34",
            },
            Vector {
                prefix: "240b:10:3f6c:d400::/56",
                rule: map_rule("240b:10::/31", "106.72.0.0/15", 25, 4),
                iid: IidLayout::Draft03,
                ipv4: Ipv4Addr::new(106, 72, 63, 108),
                psid: 212,
                psid_len: 8,
                port_count: 240,
                first_ranges: [(7488, 7503), (11584, 11599)],
                last_range: (64832, 64847),
                ce_address: "240b:10:3f6c:d400:6a:483f:6c00:d400",
            },
            Vector {
                prefix: "2400:4050:123:4500::/56",
                rule: map_rule("2400:4050::/38", "153.240.0.0/20", 18, 6),
                iid: IidLayout::Draft03,
                ipv4: Ipv4Addr::new(153, 240, 4, 141),
                psid: 5,
                psid_len: 6,
                port_count: 1008,
                first_ranges: [(1104, 1119), (2128, 2143)],
                last_range: (64592, 64607),
                ce_address: "2400:4050:123:4500:99:f004:8d00:500",
            },
        ]
    }

    #[test]
    fn domain_test_vectors() {
        for v in vectors() {
            let cfg = compute(v6(v.prefix), &v.rule, v.iid).expect("vector computes");
            assert_eq!(cfg.ipv4, Ipv4Prefix::host(v.ipv4), "{}", v.prefix);
            assert_eq!(cfg.ipv4_address(), v.ipv4, "{}", v.prefix);
            assert!(!cfg.is_ipv4_prefix());
            assert_eq!(cfg.psid(), v.psid, "{}", v.prefix);
            assert_eq!(cfg.psid_len(), v.psid_len, "{}", v.prefix);
            assert_eq!(cfg.psid_offset(), v.rule.psid_offset, "{}", v.prefix);
            assert_eq!(cfg.port_count(), v.port_count, "{}", v.prefix);
            assert_eq!(cfg.ports.iter().count(), v.port_count as usize);
            let ranges = cfg.ports.range_list();
            assert_eq!(ranges[..2], v.first_ranges, "{}", v.prefix);
            assert_eq!(ranges.last(), Some(&v.last_range), "{}", v.prefix);
            assert_eq!(ranges.len() as u32, cfg.ports.range_count());
            assert_eq!(cfg.ce_address, addr6(v.ce_address), "{}", v.prefix);
            assert_eq!(cfg.iid, v.iid);
        }
    }

    #[test]
    fn both_layouts_for_each_vector() {
        // The same IPv4/PSID under the other layout, written out by hand.
        let cases = [
            (
                "2001:db8:12:3400::/56",
                0,
                IidLayout::Draft03,
                "2001:db8:12:3400:c0:2:1200:3400",
            ),
            (
                "240b:10:3f6c:d400::/56",
                1,
                IidLayout::Rfc7597,
                "240b:10:3f6c:d400:0:6a48:3f6c:d4",
            ),
            (
                "2400:4050:123:4500::/56",
                2,
                IidLayout::Rfc7597,
                "2400:4050:123:4500:0:99f0:48d:5",
            ),
        ];
        let vs = vectors();
        for (prefix, i, iid, expected) in cases {
            let cfg = compute(v6(prefix), &vs[i].rule, iid).expect("computes");
            assert_eq!(cfg.ce_address, addr6(expected), "{prefix} {iid}");
        }
    }

    #[test]
    fn rfc7599_example_psid_erratum() {
        // RFC 7599 App. A example 5 printed PSID 0x20; erratum 5324 corrects it to 0x34.
        let cfg = compute(
            v6("2001:db8:12:3400::/56"),
            &map_rule("2001:db8::/40", "192.0.2.0/24", 16, 6),
            IidLayout::Rfc7597,
        )
        .expect("computes");
        assert_eq!(cfg.psid(), 0x34);
        assert_ne!(cfg.psid(), 0x20);
        assert!(cfg.ports.contains(1232));
        assert!(!PortSet::new(6, 8, 0x20).expect("valid").contains(1232));
    }

    /// Exhaustive: every PSID's ports map back to it, the sets are disjoint, and
    /// together they cover exactly the ports at or above 2^(16-a).
    #[test]
    fn port_sets_partition_the_port_space() {
        for v in vectors() {
            let cfg = compute(v6(v.prefix), &v.rule, v.iid).expect("computes");
            let (a, k) = (cfg.psid_offset(), cfg.psid_len());
            let mut owner: Vec<Option<u16>> = vec![None; 1 << 16];
            for psid in 0..(1u32 << k) {
                let psid = u16::try_from(psid).expect("k <= 16");
                let set = PortSet::new(a, k, psid).expect("valid");
                let mut count = 0u32;
                let mut previous: Option<u16> = None;
                for port in set.iter() {
                    assert!(previous.is_none_or(|p| p < port), "ascending");
                    previous = Some(port);
                    assert_eq!(psid_of_port(port, a, k), Some(psid), "port {port}");
                    assert!(set.contains(port));
                    let slot = &mut owner[usize::from(port)];
                    assert_eq!(*slot, None, "port {port} in two sets");
                    *slot = Some(psid);
                    count += 1;
                }
                assert_eq!(count, set.len());
            }
            let low = 1u32 << (16 - a);
            for (port, slot) in owner.iter().enumerate() {
                let covered = slot.is_some();
                assert_eq!(covered, port as u32 >= low, "port {port} under a={a} k={k}");
                let port16 = u16::try_from(port).expect("port");
                assert_eq!(cfg.ports.contains(port16), *slot == Some(cfg.psid()));
            }
        }
    }

    #[test]
    fn offset_zero_uses_every_port() {
        // a = 0: A has no bits, so the PSID's single range may include port 0.
        let set = PortSet::new(0, 4, 0).expect("valid");
        assert_eq!(set.len(), 4096);
        assert_eq!(set.range_list(), vec![(0, 4095)]);
        let mut total = 0;
        for psid in 0..16 {
            let s = PortSet::new(0, 4, psid).expect("valid");
            total += s.len();
            assert!(s.iter().all(|p| psid_of_port(p, 0, 4) == Some(psid)));
        }
        assert_eq!(total, 65536);
    }

    #[test]
    fn edge_port_parameters() {
        // m = 0: one port per A.
        let set = PortSet::new(4, 12, 0xabc).expect("valid");
        assert_eq!(set.len(), 15);
        assert_eq!(set.range_list().first(), Some(&(0x1abc, 0x1abc)));
        // k = 0: not shared, all ports.
        assert_eq!(PortSet::new(6, 0, 0).expect("valid").len(), 65536);
        assert_eq!(PortSet::all().range_list(), vec![(0, 65535)]);
        assert!(PortSet::all().contains(0));
        // a = 16, k = 0 is all ports too; a + k = 16 with a = 16 is fine.
        assert_eq!(PortSet::new(16, 0, 0).expect("valid").len(), 65536);
        // a = 1, k = 15, m = 0.
        let s = PortSet::new(1, 15, 0x7fff).expect("valid");
        assert_eq!(s.range_list(), vec![(0xffff, 0xffff)]);
        assert!(matches!(
            PortSet::new(10, 7, 0),
            Err(MapeError::PortBitsExceeded { .. })
        ));
        assert!(matches!(
            PortSet::new(6, 4, 16),
            Err(MapeError::PsidOutOfRange { .. })
        ));
        assert!(matches!(
            PortSet::new(17, 0, 0),
            Err(MapeError::PsidOffsetOutOfRange { .. })
        ));
        assert!(matches!(
            PortSet::new(0, 200, 0),
            Err(MapeError::PsidLenOutOfRange { .. })
        ));
        assert_eq!(psid_of_port(100, 6, 8), None, "below 2^(16-a)");
        assert_eq!(psid_of_port(100, 255, 255), None);
    }

    #[test]
    fn full_address_and_prefix_cases() {
        // o + r = 32: full address, all ports.
        let rule = map_rule("2001:db8::/40", "192.0.2.0/24", 8, 6);
        let cfg = compute(v6("2001:db8:12::/48"), &rule, IidLayout::Rfc7597).expect("ok");
        assert_eq!(cfg.ipv4, v4("192.0.2.18/32"));
        assert_eq!(cfg.psid_len(), 0);
        assert_eq!(cfg.port_count(), 65536);
        assert_eq!(cfg.ce_address, addr6("2001:db8:12::c000:212:0"));
        // o + r < 32: an IPv4 prefix of length r + o.
        let rule = map_rule("2001:db8::/40", "10.0.0.0/8", 8, 6);
        let cfg = compute(v6("2001:db8:12::/48"), &rule, IidLayout::Rfc7597).expect("ok");
        assert_eq!(cfg.ipv4, v4("10.18.0.0/16"));
        assert!(cfg.is_ipv4_prefix());
        assert_eq!(cfg.port_count(), 65536);
        // o = 0 with r = 32 and an explicit PSID (RFC 7598 port parameters).
        let mut rule = map_rule("2001:db8::/32", "192.0.2.18/32", 0, 6);
        rule.psid_len = Some(8);
        rule.psid = Some(0x34);
        let cfg = compute(v6("2001:db8:12:3400::/56"), &rule, IidLayout::Rfc7597).expect("ok");
        assert_eq!(cfg.ipv4_address(), Ipv4Addr::new(192, 0, 2, 18));
        assert_eq!(cfg.psid(), 0x34);
        assert_eq!(cfg.port_count(), 252);
        assert_eq!(cfg.ce_address, addr6("2001:db8:12:3400:0:c000:212:34"));
        rule.psid = None;
        assert_eq!(
            compute(v6("2001:db8:12:3400::/56"), &rule, IidLayout::Rfc7597),
            Err(MapeError::PsidNotProvisioned { psid_len: 8 })
        );
        // An explicit k that agrees with o + r - 32 is accepted; one that does not is an error.
        let mut rule = vectors().remove(1).rule;
        rule.psid_len = Some(8);
        assert!(compute(v6("240b:10:3f6c:d400::/56"), &rule, IidLayout::Draft03).is_ok());
        rule.psid_len = Some(6);
        assert_eq!(
            compute(v6("240b:10:3f6c:d400::/56"), &rule, IidLayout::Draft03),
            Err(MapeError::PsidLenMismatch { given: 6, derived: 8 })
        );
    }

    #[test]
    fn longer_prefixes_and_host_bits() {
        let rule = vectors().remove(1).rule;
        // Host bits past /56 are ignored (the prefix is normalised).
        let cfg = compute(v6("240b:10:3f6c:d4ff:1::/56"), &rule, IidLayout::Draft03).expect("ok");
        assert_eq!(cfg.end_user_prefix, v6("240b:10:3f6c:d400::/56"));
        assert_eq!(cfg.ce_address, addr6("240b:10:3f6c:d400:6a:483f:6c00:d400"));
        // A /64 keeps its subnet bits.
        let cfg = compute(v6("240b:10:3f6c:d4ab::/64"), &rule, IidLayout::Draft03).expect("ok");
        assert_eq!(cfg.ce_address, addr6("240b:10:3f6c:d4ab:6a:483f:6c00:d400"));
        // Longer than /64: the prefix overwrites the interface id's leading bits.
        let cfg = compute(v6("240b:10:3f6c:d400:ff00::/72"), &rule, IidLayout::Draft03).expect("ok");
        assert_eq!(cfg.ce_address, addr6("240b:10:3f6c:d400:ff6a:483f:6c00:d400"));
        let cfg = compute(v6("240b:10:3f6c:d400::1/128"), &rule, IidLayout::Draft03).expect("ok");
        assert_eq!(cfg.ce_address, addr6("240b:10:3f6c:d400::1"));
    }

    #[test]
    fn error_cases() {
        let rule = vectors().remove(1).rule;
        assert!(matches!(
            compute(v6("2001:db8:12:3400::/56"), &rule, IidLayout::Draft03),
            Err(MapeError::PrefixMismatch { .. })
        ));
        assert_eq!(
            compute(v6("240b:10:3f6c::/48"), &rule, IidLayout::Draft03),
            Err(MapeError::PrefixTooShort {
                prefix: v6("240b:10:3f6c::/48"),
                needed: 56,
                rule_len: 31,
                ea_len: 25,
            })
        );
        // Shorter than the rule prefix but agreeing with it: too short, not a mismatch.
        assert!(matches!(
            compute(v6("240b::/16"), &rule, IidLayout::Draft03),
            Err(MapeError::PrefixTooShort { .. })
        ));
        let p = v6("240b:10:3f6c:d400::/56");
        let mut bad = rule.clone();
        bad.ea_len = 49;
        assert_eq!(
            compute(p, &bad, IidLayout::Draft03),
            Err(MapeError::EaLenOutOfRange { ea_len: 49 })
        );
        bad.ea_len = 255;
        assert!(compute(p, &bad, IidLayout::Draft03).is_err());
        let mut bad = map_rule("2001:db8::/100", "192.0.2.0/24", 48, 6);
        assert_eq!(
            compute(v6("2001:db8::/128"), &bad, IidLayout::Rfc7597),
            Err(MapeError::RuleExceedsAddress {
                rule_len: 100,
                ea_len: 48
            })
        );
        bad = rule.clone();
        bad.psid_offset = 17;
        assert!(matches!(
            compute(p, &bad, IidLayout::Draft03),
            Err(MapeError::PsidOffsetOutOfRange { .. })
        ));
        bad.psid_offset = 9; // 9 + 8 > 16
        assert!(matches!(
            compute(p, &bad, IidLayout::Draft03),
            Err(MapeError::PortBitsExceeded { .. })
        ));
        bad = rule.clone();
        bad.psid_len = Some(99);
        assert!(matches!(
            compute(p, &bad, IidLayout::Draft03),
            Err(MapeError::PsidLenOutOfRange { .. })
        ));
        // k = o - p > 16.
        let wide = map_rule("2001:db8::/32", "192.0.2.0/24", 30, 0);
        assert!(matches!(
            compute(v6("2001:db8::/62"), &wide, IidLayout::Rfc7597),
            Err(MapeError::PsidLenOutOfRange { psid_len: 22 })
        ));
        // A port-shared prefix makes no sense.
        let mut pfx = map_rule("2001:db8::/40", "10.0.0.0/8", 8, 6);
        pfx.psid_len = Some(4);
        assert!(matches!(
            compute(v6("2001:db8:12::/48"), &pfx, IidLayout::Rfc7597),
            Err(MapeError::PortSetOnPrefix { .. })
        ));
        // Explicit PSID that disagrees with the EA bits.
        let mut wrong = rule.clone();
        wrong.psid = Some(1);
        assert_eq!(
            compute(p, &wrong, IidLayout::Draft03),
            Err(MapeError::PsidMismatch {
                given: 1,
                derived: 212
            })
        );
    }

    #[test]
    fn no_panic_on_any_lengths() {
        // Sweep absurd and boundary lengths; every call returns, Ok or Err.
        let lens6 = [0u8, 1, 31, 32, 63, 64, 65, 127, 128];
        let lens4 = [0u8, 1, 15, 16, 31, 32];
        let small = [0u8, 1, 4, 6, 15, 16, 17, 47, 48, 49, 64, 128, 255];
        let mut computed = 0u32;
        for &n in &lens6 {
            for &r in &lens4 {
                for &o in &small {
                    for &a in &[0u8, 4, 6, 16, 17, 255] {
                        for k in [None, Some(0u8), Some(8), Some(16), Some(255)] {
                            let rule = MapRule {
                                ipv6_prefix: Ipv6Prefix::new(addr6("2001:db8::"), n).expect("n"),
                                ipv4_prefix: Ipv4Prefix::new(Ipv4Addr::new(192, 0, 2, 0), r).expect("r"),
                                ea_len: o,
                                psid_offset: a,
                                psid_len: k,
                                psid: k.map(|_| 3),
                            };
                            for &l in &lens6 {
                                let p = Ipv6Prefix::new(addr6("2001:db8:ffff:ffff::"), l).expect("l");
                                if let Ok(cfg) = compute(p, &rule, IidLayout::Rfc7597) {
                                    let total: u32 = cfg
                                        .ports
                                        .ranges()
                                        .map(|(f, l)| u32::from(l) - u32::from(f) + 1)
                                        .sum();
                                    assert_eq!(total, cfg.port_count());
                                    assert!(total >= 1);
                                    computed += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(
            computed > 1000,
            "the sweep reaches the success paths ({computed})"
        );
    }

    #[test]
    fn prefixes_parse_and_print() {
        assert_eq!(v6("240b:10::/31").to_string(), "240b:10::/31");
        assert_eq!(
            v6("240b:11::/31").to_string(),
            "240b:10::/31",
            "host bits cleared"
        );
        assert_eq!(v4("106.72.0.0/15").to_string(), "106.72.0.0/15");
        assert!(Ipv4Prefix::parse("192.0.2.0/33").is_err());
        assert!(Ipv6Prefix::parse("2001:db8::/129").is_err());
        assert!(Ipv6Prefix::parse("2001:db8::").is_err());
        assert!(Ipv6Prefix::parse("192.0.2.0/24").is_err());
        assert!(Ipv4Prefix::parse("x/8").is_err());
        assert!(Ipv4Prefix::parse("10.0.0.0/-1").is_err());
        assert!(v6("240b:10::/31").contains(&v6("240b:10:3f6c:d400::/56")));
        assert!(!v6("240b:10::/31").contains(&v6("240b::/16")));
        let msg = Ipv6Prefix::parse("nope").expect_err("bad").to_string();
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn rules_travel_as_json() {
        let rule = vectors().remove(1).rule;
        let json = serde_json::to_string(&rule).expect("serialize");
        assert_eq!(
            json,
            r#"{"ipv6_prefix":"240b:10::/31","ipv4_prefix":"106.72.0.0/15","ea_len":25,"psid_offset":4}"#
        );
        let back: MapRule = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, rule);
        let bad =
            r#"{"ipv6_prefix":"240b:10::/300","ipv4_prefix":"106.72.0.0/15","ea_len":25,"psid_offset":4}"#;
        assert!(serde_json::from_str::<MapRule>(bad).is_err());

        let cfg = compute(v6("240b:10:3f6c:d400::/56"), &rule, IidLayout::Draft03).expect("ok");
        let json = serde_json::to_string(&cfg).expect("serialize");
        let back: MapeConfig = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, cfg);
        let bad_ports = r#"{"psid_offset":4,"psid_len":8,"psid":256}"#;
        assert!(serde_json::from_str::<PortSet>(bad_ports).is_err());
    }

    #[test]
    fn presets() {
        let names: Vec<&str> = vne_presets().iter().map(|p| p.name).collect();
        assert_eq!(names, ["v6plus", "ocn", "transix"]);
        for alias in ["v6plus", "V6Plus", "v6-plus", "v6_plus", "jpne", "BIGLOBE"] {
            assert_eq!(vne_preset(alias).map(|p| p.name), Some("v6plus"), "{alias}");
        }
        for alias in ["ocn", "ocn-vc", "OCN-Virtual-Connect"] {
            assert_eq!(vne_preset(alias).map(|p| p.name), Some("ocn"), "{alias}");
        }
        assert_eq!(vne_preset("ds-lite-transix").map(|p| p.name), Some("transix"));
        assert!(vne_preset("nuro").is_none());

        let v6plus = vne_preset("v6plus").expect("preset");
        let rule = v6plus.rule_for(&v6("240b:10:3f6c:d400::/56")).expect("covered");
        assert_eq!(rule.rule, vectors().remove(1).rule, "domain.md's v6 plus rule");
        assert_eq!(rule.br, addr6("2404:9200:225:100::64"));
        let cfg = v6plus.compute(v6("240b:10:3f6c:d400::/56")).expect("ok");
        assert_eq!(cfg.ce_address, addr6("240b:10:3f6c:d400:6a:483f:6c00:d400"));
        assert_eq!(
            v6plus.compute(v6("2400:4050:123:4500::/56")),
            Err(MapeError::NoRuleForPrefix {
                prefix: v6("2400:4050:123:4500::/56"),
                vne: "v6plus"
            })
        );
        // Shorter than the rules of its block: too short, not outside the table.
        assert!(matches!(
            v6plus.compute(v6("2404:7a80::/29")),
            Err(MapeError::PrefixTooShort { needed: 56, .. })
        ));
        // BIGLOBE's blocks are in the v6plus table, with BIGLOBE's BRs.
        let west = v6plus.rule_for(&v6("2404:7a84:1:100::/56")).expect("covered");
        assert_eq!(west.br, addr6("2001:260:700:1::1:276"));
        assert_eq!(west.block, "biglobe");

        let ocn = vne_preset("ocn").expect("preset");
        let rule = ocn.rule_for(&v6("2400:4050:123:4500::/56")).expect("covered");
        assert_eq!(rule.br, addr6("2001:380:a120::9"));
        // The table's /34 rule holds domain.md's /38 example rule: same answer.
        assert_eq!(rule.rule.ipv6_prefix, v6("2400:4050::/34"));
        let cfg = ocn.compute(v6("2400:4050:123:4500::/56")).expect("ok");
        assert_eq!(cfg.ipv4_address(), Ipv4Addr::new(153, 240, 4, 141));
        assert_eq!(cfg.ce_address, addr6("2400:4050:123:4500:99:f004:8d00:500"));
        assert_eq!(
            cfg,
            compute(
                v6("2400:4050:123:4500::/56"),
                &vectors().remove(2).rule,
                IidLayout::Draft03
            )
            .expect("ok")
        );

        let transix = vne_preset("transix").expect("preset");
        assert_eq!(
            transix.mechanism,
            Mechanism::DsLite {
                aftr_name: "gw.transix.jp"
            }
        );
        assert!(transix.rules().is_empty());
        assert_eq!(transix.iid(), IidLayout::Rfc7597);
        assert_eq!(
            transix.compute(v6("2409:10::/56")),
            Err(MapeError::NotMapE {
                vne: "transix",
                aftr_name: "gw.transix.jp"
            })
        );
    }

    #[test]
    fn rule_for_picks_the_longest_match() {
        let rules = [
            map_rule("240b:10::/31", "106.72.0.0/15", 25, 4),
            map_rule("240b:10:3f00::/40", "192.0.2.0/24", 16, 4),
            map_rule("240b:12::/31", "106.73.0.0/16", 24, 4),
        ];
        let p = v6("240b:10:3f6c:d400::/56");
        assert_eq!(rule_for(&rules, &p), Some(&rules[1]));
        assert_eq!(rule_for(&rules, &v6("240b:11:1::/56")), Some(&rules[0]));
        assert_eq!(rule_for(&rules, &v6("240b:12::/56")), Some(&rules[2]));
        assert_eq!(rule_for(&rules, &v6("2001:db8::/56")), None);
        assert_eq!(
            rule_for(&rules, &v6("240b::/24")),
            None,
            "shorter than every rule"
        );
    }
}
