//! The VNEs' public MAP rule tables, shipped as data.
//!
//! `sim-core/data/map-rules.csv` holds every public Basic Mapping Rule of v6 plus
//! (JPNE's blocks and BIGLOBE's, which share its system) and of OCN Virtual Connect,
//! each with its BR, the holder of its IPv6 block and its NTT area; the file's
//! header names the sources and the date they were read. The file is embedded in
//! the binary and parsed once, on first use: nothing is read at run time.
//!
//! A VNE preset ([`crate::mape::VnePreset`]) looks its rules up here
//! ([`rules_of`]); [`find`] answers "which VNE's rule covers this prefix" and
//! [`nearest`] names the rules closest to a prefix that none covers, for error
//! messages. The file is not user input: a malformed line is a bug that this
//! module's tests catch, so parsing it panics with the line number.

use std::fmt;
use std::net::Ipv6Addr;
use std::sync::LazyLock;

use serde::Serialize;

use crate::mape::{Ipv4Prefix, Ipv6Prefix, MapRule, RuleAndBr};

/// The table as shipped.
const SOURCE: &str = include_str!("../data/map-rules.csv");

/// The column header line that starts the rows.
const HEADER: &str = "vne,block,area,rule6,rule4,ea_len,psid_offset,br";

/// The NTT regional network (NGN) an address block belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NgnArea {
    East,
    West,
}

impl NgnArea {
    /// `NTT East` or `NTT West`.
    pub const fn title(self) -> &'static str {
        match self {
            NgnArea::East => "NTT East",
            NgnArea::West => "NTT West",
        }
    }
}

/// One rule of the tables: a Basic Mapping Rule, its BR, and whose block it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRule {
    /// The VNE preset whose rule server hands the rule out (`v6plus`, `ocn`).
    pub vne: &'static str,
    /// Who holds the IPv6 block (`jpne`, `biglobe`, `ocn`).
    pub block: &'static str,
    pub area: NgnArea,
    pub rule: MapRule,
    /// The border relay the rule's tunnels go to.
    pub br: Ipv6Addr,
}

impl TableRule {
    /// The rule and its BR, as a rule server hands them to a CE.
    pub fn rule_and_br(&self) -> RuleAndBr {
        RuleAndBr {
            rule: self.rule.clone(),
            br: self.br,
        }
    }

    /// `JPNE` for `jpne`, and so on: the block holder's name for people.
    pub fn block_title(&self) -> &'static str {
        match self.block {
            "jpne" => "JPNE",
            "biglobe" => "BIGLOBE",
            "ocn" => "OCN",
            other => other,
        }
    }
}

impl fmt::Display for TableRule {
    /// `240b:10::/31 (v6plus)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.rule.ipv6_prefix, self.vne)
    }
}

/// Every rule, grouped by VNE (in the order the VNEs first appear in the file), each
/// VNE's rules in file order.
static TABLE: LazyLock<Vec<TableRule>> = LazyLock::new(|| {
    let mut rules = parse(SOURCE).unwrap_or_else(|e| panic!("sim-core/data/map-rules.csv: {e}"));
    let first_seen = |vne: &str| rules.iter().position(|r| r.vne == vne).unwrap_or(usize::MAX);
    let order: Vec<usize> = rules.iter().map(|r| first_seen(r.vne)).collect();
    let mut keyed: Vec<(usize, TableRule)> = order.into_iter().zip(rules.drain(..)).collect();
    // Stable: each VNE's rules keep their file order.
    keyed.sort_by_key(|(first, _)| *first);
    keyed.into_iter().map(|(_, rule)| rule).collect()
});

/// Why a line of the table could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

/// Reads the table's text: `#` comments and blank lines, the column header, then one rule a line.
pub fn parse(text: &'static str) -> Result<Vec<TableRule>, TableError> {
    let mut rules = Vec::new();
    let mut header_seen = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let err = |message: String| TableError { line, message };
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if !header_seen {
            if content != HEADER {
                return Err(err(format!("expected the column header `{HEADER}`")));
            }
            header_seen = true;
            continue;
        }
        let fields: Vec<&'static str> = content.split(',').map(str::trim).collect();
        let [vne, block, area, rule6, rule4, ea_len, psid_offset, br] = fields[..] else {
            return Err(err(format!("{} fields, expected 8 ({HEADER})", fields.len())));
        };
        let area = match area {
            "east" => NgnArea::East,
            "west" => NgnArea::West,
            other => return Err(err(format!("area `{other}` is not east or west"))),
        };
        let number = |name: &str, text: &str| {
            text.parse::<u8>()
                .map_err(|_| err(format!("{name} `{text}` is not a number")))
        };
        let rule = MapRule {
            ipv6_prefix: Ipv6Prefix::parse(rule6).map_err(|e| err(format!("rule6: {e}")))?,
            ipv4_prefix: Ipv4Prefix::parse(rule4).map_err(|e| err(format!("rule4: {e}")))?,
            ea_len: number("ea_len", ea_len)?,
            psid_offset: number("psid_offset", psid_offset)?,
            psid_len: None,
            psid: None,
        };
        let br = br
            .parse::<Ipv6Addr>()
            .map_err(|_| err(format!("br `{br}` is not an IPv6 address")))?;
        if vne.is_empty() || block.is_empty() {
            return Err(err("vne and block must not be empty".into()));
        }
        rules.push(TableRule {
            vne,
            block,
            area,
            rule,
            br,
        });
    }
    if !header_seen {
        return Err(TableError {
            line: 0,
            message: format!("no column header `{HEADER}`"),
        });
    }
    Ok(rules)
}

/// Every rule of every VNE's table.
pub fn all() -> &'static [TableRule] {
    &TABLE
}

/// The rules of one VNE preset (`v6plus`, `ocn`); empty for a VNE without a table.
pub fn rules_of(vne: &str) -> &'static [TableRule] {
    let table = all();
    let Some(first) = table.iter().position(|r| r.vne == vne) else {
        return &[];
    };
    let count = table[first..].iter().take_while(|r| r.vne == vne).count();
    &table[first..first + count]
}

/// The rule among `rules` whose IPv6 prefix contains `prefix`, longest match first
/// (ties go to the earlier rule).
pub fn rule_among<'r>(rules: &'r [TableRule], prefix: &Ipv6Prefix) -> Option<&'r TableRule> {
    rules
        .iter()
        .filter(|r| r.rule.matches(prefix))
        .fold(None, |best: Option<&TableRule>, r| match best {
            Some(b) if b.rule.ipv6_prefix.prefix_len() >= r.rule.ipv6_prefix.prefix_len() => Some(b),
            _ => Some(r),
        })
}

/// A rule among `rules` that lies inside `prefix`: the prefix is shorter than the rules
/// of its block, and the error to give is "too short", not "outside the table".
pub fn rule_inside<'r>(rules: &'r [TableRule], prefix: &Ipv6Prefix) -> Option<&'r TableRule> {
    rules.iter().find(|r| prefix.contains(&r.rule.ipv6_prefix))
}

/// The rule of any VNE's table that covers `prefix`.
pub fn find(prefix: &Ipv6Prefix) -> Option<&'static TableRule> {
    rule_among(all(), prefix)
}

/// How many leading bits `prefix` shares with the rule's IPv6 prefix (at most the shorter length).
fn common_bits(rule: &TableRule, prefix: &Ipv6Prefix) -> u32 {
    let same = (rule.rule.ipv6_prefix.addr().to_bits() ^ prefix.addr().to_bits()).leading_zeros();
    let most = rule.rule.ipv6_prefix.prefix_len().min(prefix.prefix_len());
    same.min(u32::from(most))
}

/// How far `prefix`'s address lies from the rule's address range (0 inside it).
fn distance(rule: &TableRule, prefix: &Ipv6Prefix) -> u128 {
    let start = rule.rule.ipv6_prefix.addr().to_bits();
    let end = start | (u128::MAX >> rule.rule.ipv6_prefix.prefix_len());
    let at = prefix.addr().to_bits();
    if at < start {
        start - at
    } else {
        at.saturating_sub(end)
    }
}

/// Up to `count` rules of `rules` nearest to `prefix`: the most leading bits in common
/// first, then the closest address range, then table order. For naming the candidates
/// when no rule covers a prefix.
pub fn nearest<'r>(rules: &'r [TableRule], prefix: &Ipv6Prefix, count: usize) -> Vec<&'r TableRule> {
    let mut ranked: Vec<(u32, u128, usize, &TableRule)> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (common_bits(r, prefix), distance(r, prefix), i, r))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    ranked.into_iter().take(count).map(|(.., r)| r).collect()
}

/// `240b:10::/31 (v6plus), 240b:12::/31 (v6plus)`: rules for an error message.
pub fn list(rules: &[&TableRule]) -> String {
    rules.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ")
}

/// How many rules an error message names as the nearest.
pub const NEAREST_IN_MESSAGES: usize = 3;

/// No rule of a VNE's table (or of any table) covers a prefix: which rules come
/// nearest, and whether another VNE's table covers it. Displays as one line, e.g.
/// `2001:db8::/56 is not covered by any v6plus MAP rule fletsim knows (262 rules;
/// nearest: …)`; callers add how to give a rule by hand in their own terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uncovered {
    pub prefix: Ipv6Prefix,
    /// The VNE whose table was searched; `None`: every table.
    pub vne: Option<&'static str>,
    /// How many rules were searched.
    pub searched: usize,
    pub nearest: Vec<&'static TableRule>,
    /// The rule of another VNE's table that covers the prefix, if one does.
    pub elsewhere: Option<&'static TableRule>,
}

impl Uncovered {
    /// Why `prefix` is outside `vne`'s table (`None`: outside every table).
    pub fn new(vne: Option<&'static str>, prefix: Ipv6Prefix) -> Uncovered {
        let rules = match vne {
            Some(vne) => rules_of(vne),
            None => all(),
        };
        Uncovered {
            prefix,
            vne,
            searched: rules.len(),
            nearest: nearest(rules, &prefix, NEAREST_IN_MESSAGES),
            elsewhere: find(&prefix).filter(|r| Some(r.vne) != vne),
        }
    }
}

impl fmt::Display for Uncovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.vne {
            Some(vne) => write!(
                f,
                "{} is not covered by any {vne} MAP rule fletsim knows ({} rules",
                self.prefix, self.searched
            )?,
            None => write!(
                f,
                "{} is not in any MAP rule table fletsim knows ({} rules",
                self.prefix, self.searched
            )?,
        }
        if !self.nearest.is_empty() {
            write!(f, "; nearest: {}", list(&self.nearest))?;
        }
        f.write_str(")")?;
        if let Some(other) = self.elsewhere {
            write!(f, "; it is in the {} table: {other}", other.vne)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mape::{self, IidLayout, vne_presets};

    fn v6(text: &str) -> Ipv6Prefix {
        Ipv6Prefix::parse(text).expect("valid IPv6 prefix")
    }

    #[test]
    fn the_shipped_table_parses_with_the_expected_counts() {
        let table = parse(SOURCE).expect("the shipped table parses");
        assert_eq!(table.len(), all().len());
        let count = |vne: &str, block: &str, len: u8| {
            table
                .iter()
                .filter(|r| r.vne == vne && r.block == block && r.rule.ipv6_prefix.prefix_len() == len)
                .count()
        };
        // v6 plus: four /31 rules on JPNE's blocks; BIGLOBE's two /31 and 256 /38 rules.
        assert_eq!(count("v6plus", "jpne", 31), 4);
        assert_eq!(count("v6plus", "biglobe", 31), 2);
        assert_eq!(count("v6plus", "biglobe", 38), 256);
        assert_eq!(rules_of("v6plus").len(), 262);
        // OCN Virtual Connect: 160 rules from /33 to /39.
        let ocn = rules_of("ocn");
        assert_eq!(ocn.len(), 160);
        let lens: std::collections::BTreeSet<u8> =
            ocn.iter().map(|r| r.rule.ipv6_prefix.prefix_len()).collect();
        assert_eq!(lens.into_iter().collect::<Vec<_>>(), [33, 34, 35, 36, 37, 38, 39]);
        assert_eq!(table.len(), 422);
        assert!(rules_of("transix").is_empty());
        assert!(rules_of("nope").is_empty());
    }

    #[test]
    fn every_rule_is_valid_and_needs_a_56() {
        for r in all() {
            let n = r.rule.ipv6_prefix.prefix_len();
            assert_eq!(n + r.rule.ea_len, 56, "{r}: n + o");
            // The rule's own first /56 computes, in the VNE's layout.
            let first = Ipv6Prefix::new(r.rule.ipv6_prefix.addr(), 56).expect("/56");
            let config = mape::compute(first, &r.rule, IidLayout::Draft03).expect("valid rule");
            let (k, a) = match r.vne {
                "v6plus" => (8, 4),
                "ocn" => (6, 6),
                other => panic!("unexpected VNE {other}"),
            };
            assert_eq!(config.psid_len(), k, "{r}");
            assert_eq!(r.rule.psid_offset, a, "{r}");
            assert!(!config.is_ipv4_prefix(), "{r}: a shared address");
            // Prefixes are written without host bits.
            let line = format!("{},{}", r.rule.ipv6_prefix, r.rule.ipv4_prefix);
            assert!(SOURCE.contains(&line), "{r} is written in canonical form");
        }
    }

    #[test]
    fn no_two_rules_overlap_in_ipv6_or_ipv4() {
        let mut v6: Vec<(u128, u128, &TableRule)> = all()
            .iter()
            .map(|r| {
                let p = r.rule.ipv6_prefix;
                let size = 1u128 << (128 - p.prefix_len());
                (p.addr().to_bits(), p.addr().to_bits() + (size - 1), r)
            })
            .collect();
        v6.sort_by_key(|(start, ..)| *start);
        for pair in v6.windows(2) {
            assert!(pair[0].1 < pair[1].0, "{} overlaps {}", pair[0].2, pair[1].2);
        }
        let mut v4: Vec<(u32, u32, &TableRule)> = all()
            .iter()
            .map(|r| {
                let p = r.rule.ipv4_prefix;
                let size = 1u64 << (32 - p.prefix_len());
                let start = p.addr().to_bits();
                (start, start + u32::try_from(size - 1).expect("fits"), r)
            })
            .collect();
        v4.sort_by_key(|(start, ..)| *start);
        for pair in v4.windows(2) {
            assert!(
                pair[0].1 < pair[1].0,
                "{} and {} share IPv4 space",
                pair[0].2,
                pair[1].2
            );
        }
    }

    #[test]
    fn blocks_areas_and_brs_agree() {
        // The NGN blocks of each holder (nyanshiba/rtxconfig README) and the BR of each.
        let blocks = [
            ("jpne", "240b:10::/30", NgnArea::East, "2404:9200:225:100::64"),
            ("jpne", "240b:250::/30", NgnArea::West, "2404:9200:225:100::64"),
            (
                "biglobe",
                "2404:7a80::/30",
                NgnArea::East,
                "2001:260:700:1::1:275",
            ),
            (
                "biglobe",
                "2404:7a84::/30",
                NgnArea::West,
                "2001:260:700:1::1:276",
            ),
            ("ocn", "2400:4050::/30", NgnArea::East, "2001:380:a120::9"),
            ("ocn", "2400:4150::/30", NgnArea::West, "2001:380:a120::9"),
        ];
        for r in all() {
            let matching: Vec<_> = blocks
                .iter()
                .filter(|(_, block, ..)| v6(block).contains(&r.rule.ipv6_prefix))
                .collect();
            assert_eq!(matching.len(), 1, "{r} lies in one block");
            let (holder, _, area, br) = matching[0];
            assert_eq!(r.block, *holder, "{r}");
            assert_eq!(r.area, *area, "{r}");
            assert_eq!(r.br.to_string(), *br, "{r}");
        }
    }

    #[test]
    fn every_vne_of_the_table_is_a_preset() {
        let names: Vec<&str> = vne_presets().iter().map(|p| p.name).collect();
        let mut seen: Vec<&str> = Vec::new();
        for r in all() {
            if seen.last() != Some(&r.vne) {
                assert!(!seen.contains(&r.vne), "{} appears in two groups", r.vne);
                seen.push(r.vne);
            }
        }
        assert_eq!(seen, ["v6plus", "ocn"]);
        for vne in seen {
            assert!(names.contains(&vne), "{vne} is a preset");
        }
    }

    #[test]
    fn lookups() {
        let rule = find(&v6("240b:250:1234:5600::/56")).expect("covered");
        assert_eq!(rule.rule.ipv6_prefix, v6("240b:250::/31"));
        assert_eq!(
            (rule.vne, rule.block, rule.area),
            ("v6plus", "jpne", NgnArea::West)
        );
        let rule = find(&v6("2400:4052:d123:4500::/56")).expect("covered");
        assert_eq!(rule.rule.ipv6_prefix, v6("2400:4052:d000::/38"));
        assert_eq!(rule.vne, "ocn");
        assert_eq!(find(&v6("2001:db8::/56")), None);
        // Shorter than every rule: not covered, though it holds some.
        assert_eq!(find(&v6("240b::/16")), None);
        let inside = rule_inside(all(), &v6("240b::/16")).expect("JPNE's rules");
        assert_eq!(inside.rule.ipv6_prefix, v6("240b:10::/31"));
        assert_eq!(rule_inside(all(), &v6("240b:10:3f6c:d400::/56")), None);

        let near = nearest(all(), &v6("240b:14::/56"), 3);
        assert_eq!(
            list(&near),
            "240b:12::/31 (v6plus), 240b:10::/31 (v6plus), 240b:250::/31 (v6plus)"
        );
        let near = nearest(rules_of("ocn"), &v6("2400:4050:ffff:ff00::/56"), 2);
        assert_eq!(near[0].rule.ipv6_prefix, v6("2400:4050:8000::/33"));
        assert_eq!(near.len(), 2);
        assert!(nearest(&[], &v6("::/0"), 3).is_empty());
    }

    #[test]
    fn uncovered_names_the_nearest_rules_and_the_other_table() {
        let u = Uncovered::new(Some("v6plus"), v6("2400:4050:123:4500::/56"));
        assert_eq!(
            u.to_string(),
            "2400:4050:123:4500::/56 is not covered by any v6plus MAP rule fletsim knows (262 rules; \
             nearest: 2404:7a80::/31 (v6plus), 2404:7a82::/38 (v6plus), 2404:7a82:400::/38 (v6plus)); \
             it is in the ocn table: 2400:4050::/34 (ocn)"
        );
        let u = Uncovered::new(None, v6("2001:db8::/56"));
        assert_eq!(u.elsewhere, None);
        assert_eq!(u.searched, 422);
        assert!(
            u.to_string().starts_with(
                "2001:db8::/56 is not in any MAP rule table fletsim knows (422 rules; nearest: "
            ),
            "{u}"
        );
        assert!(!u.to_string().contains('\n'));
    }

    #[test]
    fn malformed_tables_are_rejected_with_the_line() {
        let cases: [(&'static str, &str); 7] = [
            (
                "v6plus,jpne,east,240b:10::/31,106.72.0.0/15,25,4,2404:9200:225:100::64\n",
                "line 1: expected the column header",
            ),
            ("# only comments\n", "line 0: no column header"),
            (
                "vne,block,area,rule6,rule4,ea_len,psid_offset,br\nv6plus,jpne,east\n",
                "line 2: 3 fields, expected 8",
            ),
            (
                "vne,block,area,rule6,rule4,ea_len,psid_offset,br\nv6plus,jpne,north,240b:10::/31,106.72.0.0/15,25,4,::1\n",
                "line 2: area `north`",
            ),
            (
                "vne,block,area,rule6,rule4,ea_len,psid_offset,br\nv6plus,jpne,east,240b:10::/31,106.72.0.0/15,x,4,::1\n",
                "line 2: ea_len `x` is not a number",
            ),
            (
                "vne,block,area,rule6,rule4,ea_len,psid_offset,br\n\nv6plus,jpne,east,240b:10::,106.72.0.0/15,25,4,::1\n",
                "line 3: rule6: `240b:10::` is not an IPv6 prefix",
            ),
            (
                "vne,block,area,rule6,rule4,ea_len,psid_offset,br\nv6plus,jpne,east,240b:10::/31,106.72.0.0/15,25,4,br.example\n",
                "line 2: br `br.example`",
            ),
        ];
        for (text, expected) in cases {
            let e = parse(text).expect_err("malformed").to_string();
            assert!(e.starts_with(expected), "{e} (expected {expected})");
        }
    }
}
