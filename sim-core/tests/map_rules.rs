//! Every rule of the shipped MAP rule tables against an independent calculation.
//!
//! For each rule of `data/map-rules.csv` the test draws End-user prefixes (random
//! bits below the rule prefix, lengths from n + o to /64) from a fixed seed and
//! checks `mape::compute` against a second calculation written differently: the
//! prefix as a string of 128 `0`/`1` characters, sliced and re-joined as RFC 7597
//! and draft-03 describe it, and the port set found by trying all 65536 ports.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use rand::RngExt;
use sim_core::map_rules::{self, TableRule};
use sim_core::mape::{self, IidLayout, Ipv6Prefix};
use sim_core::rng::{StreamId, Streams};

/// The seed of the draws; a failure message names it with the prefix, so it reproduces.
const SEED: u64 = 20_261_201;
/// Prefixes drawn per rule, besides the two fixed ones (all-zero and all-one EA bits).
const DRAWS_PER_RULE: usize = 8;

/// `value` as `width` characters `0`/`1`, most significant first.
fn bit_string(value: u128, width: usize) -> String {
    let all = format!("{value:0128b}");
    all[128 - width..].to_string()
}

fn from_bit_string(bits: &str) -> u128 {
    assert!(bits.len() <= 128 && bits.chars().all(|c| c == '0' || c == '1'));
    if bits.is_empty() {
        0
    } else {
        u128::from_str_radix(bits, 2).expect("binary")
    }
}

/// What a CE configures, worked out over bit strings.
#[derive(Debug, PartialEq)]
struct Expected {
    ipv4: Ipv4Addr,
    psid: u16,
    psid_len: usize,
    ce: Ipv6Addr,
}

/// RFC 7597 §5.2 over bit strings, with the draft-03 interface id of the Japanese VNEs.
fn by_bit_strings(address: Ipv6Addr, len: usize, rule: &TableRule) -> Expected {
    // The End-user prefix: the first `len` bits of the address, the rest zero.
    let full = bit_string(address.to_bits(), 128);
    let prefix = format!("{}{}", &full[..len], "0".repeat(128 - len));
    let n = usize::from(rule.rule.ipv6_prefix.prefix_len());
    let o = usize::from(rule.rule.ea_len);
    let r = usize::from(rule.rule.ipv4_prefix.prefix_len());
    assert_eq!(
        &prefix[..n],
        &bit_string(rule.rule.ipv6_prefix.addr().to_bits(), 128)[..n],
        "the draw lies in the rule"
    );
    let ea = &prefix[n..n + o];
    let suffix_len = 32 - r;
    assert!(o > suffix_len, "every shipped rule shares its addresses");
    let rule4 = bit_string(u128::from(rule.rule.ipv4_prefix.addr().to_bits()), 32);
    let ipv4_bits = format!("{}{}", &rule4[..r], &ea[..suffix_len]);
    let psid_bits = &ea[suffix_len..];
    let ipv4 = Ipv4Addr::from(u32::try_from(from_bit_string(&ipv4_bits)).expect("32 bits"));
    let psid = u16::try_from(from_bit_string(psid_bits)).expect("at most 16 bits");
    // draft-03: 8 zero bits, IPv4, the PSID right-aligned in 16 bits, 8 zero bits.
    let psid16 = format!("{}{psid_bits}", "0".repeat(16 - psid_bits.len()));
    let iid = format!("{}{ipv4_bits}{psid16}{}", "0".repeat(8), "0".repeat(8));
    let ce_bits = format!("{}{iid}", &prefix[..64]);
    assert_eq!(ce_bits.len(), 128);
    Expected {
        ipv4,
        psid,
        psid_len: psid_bits.len(),
        ce: Ipv6Addr::from(from_bit_string(&ce_bits)),
    }
}

/// The ports of PSID `psid` (`k` bits) at offset `a`, by trying every port's bit string:
/// the first `a` bits not all zero, the next `k` bits the PSID.
fn ports_by_trying(a: usize, k: usize, psid: u16, port_bits: &[String]) -> Vec<u16> {
    let wanted = bit_string(u128::from(psid), k);
    port_bits
        .iter()
        .enumerate()
        .filter(|(_, bits)| bits[..a].contains('1') && bits[a..a + k] == wanted)
        .map(|(port, _)| u16::try_from(port).expect("a port"))
        .collect()
}

#[test]
fn every_table_rule_agrees_with_a_bit_string_calculation() {
    let mut rng = Streams::new(SEED).rng(StreamId::named("test/map-rules-property"));
    let port_bits: Vec<String> = (0..=u16::MAX).map(|p| bit_string(u128::from(p), 16)).collect();
    let mut port_sets: BTreeMap<(usize, usize, u16), Vec<u16>> = BTreeMap::new();
    let mut checked = 0usize;
    let mut lengths_seen = [false; 65];
    for rule in map_rules::all() {
        let preset = mape::vne_preset(rule.vne).expect("the table's VNE is a preset");
        let iid = match preset.mechanism {
            mape::Mechanism::MapE { iid } => iid,
            mape::Mechanism::DsLite { .. } => panic!("{rule}: a DS-Lite VNE has no table"),
        };
        assert_eq!(iid, IidLayout::Draft03, "the Japanese VNEs use draft-03");
        let n = rule.rule.ipv6_prefix.prefix_len();
        let shortest = n + rule.rule.ea_len;
        let base = rule.rule.ipv6_prefix.addr().to_bits();
        let below = u128::MAX >> n; // the bits below the rule prefix
        let mut draws: Vec<(u128, u8)> = vec![(base, shortest), (base | below, 64)];
        for _ in 0..DRAWS_PER_RULE {
            let random: u128 = rng.random();
            draws.push((base | (random & below), rng.random_range(shortest..=64)));
        }
        for (bits, len) in draws {
            let address = Ipv6Addr::from_bits(bits);
            let context = format!("{rule}, prefix {address}/{len}, seed {SEED}");
            let prefix = Ipv6Prefix::new(address, len).expect("a valid length");
            // The VNE's lookup finds this very rule, and computes from it.
            let found = preset.rule_for(&prefix).expect(&context);
            assert_eq!(found, rule, "{context}");
            let config = preset.compute(prefix).expect(&context);
            let expected = by_bit_strings(address, usize::from(len), rule);
            assert_eq!(config.ipv4_address(), expected.ipv4, "{context}");
            assert!(!config.is_ipv4_prefix(), "{context}");
            assert_eq!(config.psid(), expected.psid, "{context}");
            assert_eq!(usize::from(config.psid_len()), expected.psid_len, "{context}");
            assert_eq!(config.ce_address, expected.ce, "{context}");
            let a = usize::from(rule.rule.psid_offset);
            let ports = port_sets
                .entry((a, expected.psid_len, expected.psid))
                .or_insert_with(|| ports_by_trying(a, expected.psid_len, expected.psid, &port_bits));
            assert_eq!(config.ports.iter().collect::<Vec<u16>>(), *ports, "{context}");
            assert_eq!(config.port_count() as usize, ports.len(), "{context}");
            lengths_seen[usize::from(len)] = true;
            checked += 1;
        }
    }
    assert_eq!(checked, map_rules::all().len() * (DRAWS_PER_RULE + 2));
    assert!(
        lengths_seen[56] && lengths_seen[64],
        "both ends of the length range drawn"
    );
    // 240 ports for every v6 plus PSID, 1008 for every OCN one.
    for ((a, k, _), ports) in &port_sets {
        let expected = ((1usize << a) - 1) << (16 - a - k);
        assert_eq!(ports.len(), expected);
        assert!(ports.len() == 240 || ports.len() == 1008);
    }
}

/// The bit-string calculation itself, on domain.md's vectors (so it is not wrong in the same way).
#[test]
fn the_bit_string_calculation_reproduces_the_domain_vectors() {
    let v6plus =
        map_rules::find(&Ipv6Prefix::parse("240b:10:3f6c:d400::/56").expect("prefix")).expect("rule");
    let e = by_bit_strings("240b:10:3f6c:d400::".parse().expect("address"), 56, v6plus);
    assert_eq!(e.ipv4, Ipv4Addr::new(106, 72, 63, 108));
    assert_eq!((e.psid, e.psid_len), (212, 8));
    assert_eq!(
        e.ce,
        "240b:10:3f6c:d400:6a:483f:6c00:d400"
            .parse::<Ipv6Addr>()
            .expect("CE")
    );

    let ocn = map_rules::find(&Ipv6Prefix::parse("2400:4050:123:4500::/56").expect("prefix")).expect("rule");
    let e = by_bit_strings("2400:4050:123:4500::".parse().expect("address"), 56, ocn);
    assert_eq!(e.ipv4, Ipv4Addr::new(153, 240, 4, 141));
    assert_eq!((e.psid, e.psid_len), (5, 6));
    assert_eq!(
        e.ce,
        "2400:4050:123:4500:99:f004:8d00:500"
            .parse::<Ipv6Addr>()
            .expect("CE")
    );

    let port_bits: Vec<String> = (0..=u16::MAX).map(|p| bit_string(u128::from(p), 16)).collect();
    let ports = ports_by_trying(4, 8, 212, &port_bits);
    assert_eq!(ports.len(), 240);
    assert_eq!((ports[0], ports[15], ports[16]), (7488, 7503, 11584));
    assert_eq!(ports.last(), Some(&64847));
    let ports = ports_by_trying(6, 6, 5, &port_bits);
    assert_eq!((ports.len(), ports[0], ports[16]), (1008, 1104, 2128));
}

/// The acceptance prefixes, through the VNE presets.
#[test]
fn acceptance_prefixes() {
    let v6plus = mape::vne_preset("v6plus").expect("preset");
    let prefix = Ipv6Prefix::parse("240b:250:1234:5600::/56").expect("prefix");
    let config = v6plus.compute(prefix).expect("in the v6plus table");
    assert_eq!(config.ipv4_address(), Ipv4Addr::new(14, 10, 18, 52));
    assert_eq!(config.psid(), 86);
    assert_eq!(config.port_count(), 240);
    assert_eq!(
        config.ce_address,
        "240b:250:1234:5600:e:a12:3400:5600"
            .parse::<Ipv6Addr>()
            .expect("CE")
    );
    assert_eq!(
        v6plus.rule_for(&prefix).expect("rule").br,
        "2404:9200:225:100::64".parse::<Ipv6Addr>().expect("BR")
    );

    let ocn = mape::vne_preset("ocn").expect("preset");
    let prefix = Ipv6Prefix::parse("2400:4052:d123:4500::/56").expect("prefix");
    let rule = ocn.rule_for(&prefix).expect("in the ocn table");
    assert_eq!(rule.rule.ipv6_prefix.to_string(), "2400:4052:d000::/38");
    let config = ocn.compute(prefix).expect("computes");
    assert_eq!(config.ipv4_address(), Ipv4Addr::new(180, 49, 4, 141));
    assert_eq!(config.psid(), 5);
    assert_eq!(config.port_count(), 1008);
    assert_eq!(
        config.ce_address,
        "2400:4052:d123:4500:b4:3104:8d00:500"
            .parse::<Ipv6Addr>()
            .expect("CE")
    );
}
