//! Per-component random streams, all derived from the one scenario seed.
//!
//! Every component (a link, a device, a fault process, a LAN client group)
//! draws from its own ChaCha8 stream, so an extra draw in one component
//! never shifts another's numbers. Stream ids come from a stable registry:
//! the FNV-1a hash of the component's name (`"link/ngn"`, `"fault/3"`),
//! never from HashMap order or addresses.
//!
//! ChaCha8, not ChaCha20: a simulation needs statistical quality, not a
//! cipher's margin, and eight rounds pass the same statistical test batteries
//! at 2.5 times fewer rounds a block (the stream's refills were a tenth of a
//! long run). Exponential draws use a ziggurat ([`unit_exponential`]). Both
//! came in one declared change that moved every outcome (CHANGELOG.md).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random generator every component uses: portable across platforms and releases.
pub type SimRng = ChaCha8Rng;

/// A stable identifier of one component's random stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(pub u64);

impl StreamId {
    /// The stream of the component with this name (FNV-1a 64 of its UTF-8 bytes).
    pub const fn named(name: &str) -> StreamId {
        let bytes = name.as_bytes();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        StreamId(hash)
    }

    /// A numbered sub-stream of this one (the n-th fetch of a device, say).
    pub const fn child(self, n: u64) -> StreamId {
        let mut hash = self.0 ^ 0x9e37_79b9_7f4a_7c15;
        hash = hash.wrapping_add(n.wrapping_mul(0xbf58_476d_1ce4_e5b9));
        hash ^= hash >> 31;
        hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
        hash ^= hash >> 29;
        StreamId(hash)
    }
}

/// Hands out the stream of each component from the scenario seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Streams {
    seed: u64,
}

impl Streams {
    pub fn new(seed: u64) -> Streams {
        Streams { seed }
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The generator of one component: the seed's key, the component's stream.
    pub fn rng(&self, id: StreamId) -> SimRng {
        let mut rng = SimRng::seed_from_u64(self.seed);
        rng.set_stream(id.0);
        rng
    }
}

/// A uniform draw in [0, 1) from 53 random bits: exact and the same on every platform.
pub fn unit(rng: &mut SimRng) -> f64 {
    use rand::Rng;
    unit_of_bits(rng.next_u64())
}

/// The uniform in [0, 1) that the high 53 bits of a 64-bit draw give.
fn unit_of_bits(bits: u64) -> f64 {
    (bits >> 11) as f64 / UNIT_SCALE
}

/// An event of probability `p`, decided as `unit(rng) < p` is, with integers only.
///
/// `unit` is `k / 2^53` for the high 53 bits `k` of a draw, and scaling by a power of
/// two is exact, so `unit < p` exactly when `k < ceil(p · 2^53)`: the same outcome for
/// every draw, without converting the draw to a float before the branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chance {
    below: u64,
}

impl Chance {
    pub fn new(p: f64) -> Chance {
        // NaN and p <= 0 give 0 (never, as `unit < p` never holds); p >= 1 gives 2^53 (always).
        Chance {
            below: crate::time::ceil_to_u64(p * UNIT_SCALE).min(1 << 53),
        }
    }

    /// Draws: true with probability `p`.
    #[inline]
    pub fn happens(self, rng: &mut SimRng) -> bool {
        use rand::Rng;
        self.holds_for(rng.next_u64())
    }

    /// Whether `unit` of the 64-bit draw `bits` lies below `p`.
    #[inline]
    pub fn holds_for(self, bits: u64) -> bool {
        (bits >> 11) < self.below
    }
}

/// 2^53: `unit`'s denominator.
const UNIT_SCALE: f64 = (1u64 << 53) as f64;

/// A unit-mean exponential draw: Marsaglia and Tsang's ziggurat (2000), 256 layers.
///
/// One 64-bit draw serves nearly every call: its low 8 bits pick a layer and its
/// high 53 bits a point across it, and 98.9 % of points fall inside the layer's
/// rectangle, where the draw is a multiply. Only the layers' ragged edges (wedge)
/// and the tail beyond [`ZIGGURAT_R`] call `exp` or `log`, and those are libm's, so
/// the bits are the same on every platform. This replaced `-log1p(-u)` (one libm
/// call on every draw, an eighth of a long run's time); the change moved every
/// outcome's numbers once, declared in CHANGELOG.md.
#[inline]
pub fn unit_exponential(rng: &mut SimRng) -> f64 {
    let tables = ziggurat_tables();
    let (layer, x) = ziggurat_point(rng, tables);
    if x < tables.x[layer + 1] {
        return x;
    }
    ziggurat_edge(rng, tables, layer, x)
}

/// One 64-bit draw's layer and point across it.
#[inline]
fn ziggurat_point(rng: &mut SimRng, tables: &ZigguratTables) -> (usize, f64) {
    use rand::Rng;
    let bits = rng.next_u64();
    let layer = (bits & 0xff) as usize;
    (layer, unit_of_bits(bits) * tables.x[layer])
}

/// The rare rest of [`unit_exponential`] (1.1 % of draws), out of line so the common
/// path inlines: the point `x` of `layer` fell outside the layer's rectangle.
#[cold]
#[inline(never)]
fn ziggurat_edge(rng: &mut SimRng, tables: &ZigguratTables, mut layer: usize, mut x: f64) -> f64 {
    loop {
        if layer == 0 {
            // The tail beyond r is r plus a fresh exponential (memorylessness).
            return ZIGGURAT_R - libm::log1p(-unit(rng));
        }
        // The wedge between the rectangle and the curve: accept under exp(-x).
        // The layer spans heights f[layer] (at its outer edge) to f[layer + 1].
        let (outer, inner) = (tables.f[layer], tables.f[layer + 1]);
        if inner + (outer - inner) * unit(rng) < libm::exp(-x) {
            return x;
        }
        (layer, x) = ziggurat_point(rng, tables);
        if x < tables.x[layer + 1] {
            return x;
        }
    }
}

/// Where the exponential ziggurat's base layer meets its tail (256 layers).
pub const ZIGGURAT_R: f64 = 7.697_117_470_131_05;
/// The area of each of the 256 layers (the base layer's includes the tail).
const ZIGGURAT_AREA: f64 = 0.003_949_659_822_581_557;

/// The layers' right edges `x[i]` (decreasing, `x[256] = 0`) and `f[i] = exp(-x[i])`.
struct ZigguratTables {
    x: [f64; 257],
    f: [f64; 257],
}

/// The right edge of the layer above one whose right edge is `x`: each layer's area is
/// the same, `x * (f(next) - f(x)) = ZIGGURAT_AREA`.
fn next_layer_edge(x: f64) -> f64 {
    -libm::log(ZIGGURAT_AREA / x + libm::exp(-x))
}

/// The tables, computed once with libm (so the same bits everywhere).
fn ziggurat_tables() -> &'static ZigguratTables {
    static TABLES: std::sync::OnceLock<ZigguratTables> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let (r, v) = (ZIGGURAT_R, ZIGGURAT_AREA);
        let mut x = [0.0; 257];
        // The base layer is a rectangle of area v as wide as v / f(r): the tail
        // beyond r is drawn separately, from points that land past r.
        x[0] = v / libm::exp(-r);
        x[1] = r;
        for i in 2..256 {
            x[i] = next_layer_edge(x[i - 1]);
        }
        x[256] = 0.0;
        let f = x.map(|edge| libm::exp(-edge));
        ZigguratTables { x, f }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_stable_and_independent() {
        let streams = Streams::new(42);
        let a1: u64 = streams.rng(StreamId::named("link/ngn")).next_u64();
        let a2: u64 = streams.rng(StreamId::named("link/ngn")).next_u64();
        let b: u64 = streams.rng(StreamId::named("link/lan")).next_u64();
        let other_seed: u64 = Streams::new(43).rng(StreamId::named("link/ngn")).next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, other_seed);
        // The registry is a fixed function: this value must never change, or every
        // recorded outcome and snapshot would move.
        assert_eq!(StreamId::named("link/ngn"), StreamId(0x9114_6567_9b2b_5a05));
    }

    /// A chance decides every draw as `unit < p` does: for probabilities at, between and
    /// beside the multiples of 2^-53, out of range and NaN, on random draws and on the
    /// draws either side of each threshold.
    #[test]
    fn a_chance_holds_exactly_when_unit_is_below_p() {
        let step = 1.0 / UNIT_SCALE;
        let mut ps = vec![
            0.0,
            -0.5,
            f64::NAN,
            1.0,
            1.5,
            f64::INFINITY,
            0.5,
            step,
            step / 2.0,
            1.0 - step,
            0.1,
            0.89,
            0.1 + 0.89,
        ];
        let mut rng = Streams::new(3).rng(StreamId::named("chance-test"));
        for _ in 0..200 {
            let p = unit(&mut rng);
            ps.extend([p, p + step / 3.0, p - step / 3.0]);
        }
        for p in ps {
            let chance = Chance::new(p);
            // The draws whose `unit` lies at and either side of p.
            let around = (p.clamp(0.0, 1.0) * UNIT_SCALE) as u64;
            let crafted = (around.saturating_sub(2)..around + 2).map(|k| k.min((1 << 53) - 1) << 11);
            let random: Vec<u64> = (0..2_000).map(|_| rng.next_u64()).collect();
            for bits in crafted.chain(random) {
                assert_eq!(
                    chance.holds_for(bits),
                    unit_of_bits(bits) < p,
                    "p {p:e}, bits {bits:#x}"
                );
            }
        }
    }

    #[test]
    fn ziggurat_layers_have_equal_areas_and_close_at_zero() {
        let t = ziggurat_tables();
        // The base rectangle is r + 1 wide: the exponential's tail beyond r has area f(r).
        assert!((t.x[0] - (ZIGGURAT_R + 1.0)).abs() < 1e-12, "{}", t.x[0]);
        for i in 1..256 {
            assert!(
                t.x[i] > t.x[i + 1],
                "layer {i} is not narrower than the one below"
            );
            let area = t.x[i] * (t.f[i + 1] - t.f[i]);
            assert!(
                (area / ZIGGURAT_AREA - 1.0).abs() < 1e-9,
                "layer {i} has area {area}"
            );
        }
        // The recurrence run once more lands on 0: r and v fit 256 layers.
        let next = next_layer_edge(t.x[255]);
        assert!(next.abs() < 1e-12, "{next}");
    }

    #[test]
    fn ziggurat_draws_are_unit_exponential() {
        const DRAWS: usize = 2_000_000;
        const BINS: usize = 400;
        let mut rng = Streams::new(11).rng(StreamId::named("ziggurat-test"));
        let mut counts = [0u64; BINS];
        let (mut sum, mut beyond_r) = (0.0, 0u64);
        for _ in 0..DRAWS {
            let x = unit_exponential(&mut rng);
            assert!(x >= 0.0 && x.is_finite());
            sum += x;
            beyond_r += u64::from(x > ZIGGURAT_R);
            // Equal-probability bins: P(X < x) = 1 - exp(-x).
            let bin = ((-libm::expm1(-x)) * BINS as f64) as usize;
            counts[bin.min(BINS - 1)] += 1;
        }
        let fit = crate::stats::chi_square_goodness_of_fit(&counts, &[1.0; BINS]).expect("400 bins");
        assert!(fit.p_value > 1e-4, "{fit:?}");
        // The mean is 1 (standard error 1/sqrt(n)).
        let mean = sum / DRAWS as f64;
        assert!((mean - 1.0).abs() < 4.0 / (DRAWS as f64).sqrt(), "{mean}");
        // The tail beyond r (a separate path) holds its exp(-r) share.
        let expected = DRAWS as f64 * libm::exp(-ZIGGURAT_R);
        assert!(
            (beyond_r as f64 - expected).abs() < 4.0 * expected.sqrt(),
            "{beyond_r} draws beyond r, expected {expected}"
        );
    }
}
