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
//!
//! The stream is `rand_chacha`'s `ChaCha8Rng`, word for word (a test holds them
//! equal); [`ChaCha8Stream`] computes it with RustCrypto's `chacha20`, whose
//! AVX-512 code makes sixteen blocks at once, so the busy streams of LAN client
//! groups ([`LanRng`]) refill sixteen blocks at a time.

use std::convert::Infallible;

use chacha20::cipher::{KeyIvInit, StreamCipherCore};
use chacha20::variants::Ietf;
use chacha20::{ChaChaCore, R8};
use rand::SeedableRng;
use rand::rand_core::TryRng;

/// The random generator of every component but the LAN's client groups: portable
/// across platforms and releases. Four blocks (256 bytes) a refill, as `ChaCha8Rng`.
pub type SimRng = ChaCha8Stream<4>;

/// A LAN client group's generator: the same stream, sixteen blocks (1 KiB) a refill.
/// Nearly every draw of a long run is a LAN client's, and sixteen blocks is what the
/// AVX-512 code computes in one pass (four times fewer refill calls, each a third
/// of the cost a block); the other streams keep the smaller buffer, as an area holds
/// a dozen of them for each of its homes.
pub type LanRng = ChaCha8Stream<16>;

/// ChaCha8's key stream read as 32-bit little-endian words, `BLOCKS` 64-byte blocks
/// computed at a time: the stream of `rand_chacha::ChaCha8Rng` with the same seed and
/// stream id, and its `next_u32`, `next_u64` and `fill_bytes` take the same words
/// (a `u64` is two words, low first; `fill_bytes` spends a whole word on a last
/// partial one), whatever `BLOCKS` is.
///
/// `chacha20`'s IETF core counts blocks in 32 bits and keeps the 32 bits above them
/// as its nonce's first word; `ChaCha8Rng` counts in 64. The two lay out the same
/// state, so this type keeps the high half itself and starts a new core when the
/// low half wraps (after 256 GiB of one stream: never in a run, but exact).
pub struct ChaCha8Stream<const BLOCKS: usize> {
    /// The key stream's next bytes: the words from `index` on are not yet handed out.
    blocks: [[u8; 64]; BLOCKS],
    /// The next word to hand out, `16 * BLOCKS` when every one is spent.
    index: usize,
    core: ChaChaCore<R8, Ietf>,
    key: [u8; 32],
    stream: u64,
    /// Bits 32..64 of the block counter of the core's next block.
    counter_high: u32,
}

impl<const BLOCKS: usize> ChaCha8Stream<BLOCKS> {
    const WORDS: usize = 16 * BLOCKS;

    /// The core whose next block is number `block` of `stream`.
    fn core_at(key: &[u8; 32], stream: u64, block: u64) -> ChaChaCore<R8, Ietf> {
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&((block >> 32) as u32).to_le_bytes());
        nonce[4..].copy_from_slice(&stream.to_le_bytes());
        let mut core = ChaChaCore::<R8, Ietf>::new(key.into(), &nonce.into());
        core.set_block_pos(block as u32);
        core
    }

    /// The stream `stream` of this key, from its start (as `ChaCha8Rng::set_stream`).
    pub fn set_stream(&mut self, stream: u64) {
        *self = Self::at_block(self.key, stream, 0);
    }

    /// The generator whose next word is the first of block `block` of `stream`.
    pub fn at_block(key: [u8; 32], stream: u64, block: u64) -> Self {
        ChaCha8Stream {
            blocks: [[0; 64]; BLOCKS],
            index: Self::WORDS,
            core: Self::core_at(&key, stream, block),
            key,
            stream,
            counter_high: (block >> 32) as u32,
        }
    }

    /// The number of the block the core computes next.
    fn next_block(&self) -> u64 {
        u64::from(self.counter_high) << 32 | u64::from(self.core.get_block_pos())
    }

    /// The number of words of the stream handed out so far.
    fn word_pos(&self) -> u128 {
        u128::from(self.next_block()) * 16 - (Self::WORDS - self.index) as u128
    }

    /// Computes the next `BLOCKS` blocks, starting a new core where the 32-bit count wraps.
    #[inline(never)]
    fn refill(&mut self) {
        let low = u64::from(self.core.get_block_pos());
        // Blocks left before the low half wraps (2^32 at most).
        let before_wrap = ((1u64 << 32) - low).min(BLOCKS as u64) as usize;
        let (first, rest) = self.blocks.split_at_mut(before_wrap);
        self.core
            .write_keystream_blocks(chacha20::cipher::Array::cast_slice_from_core_mut(first));
        if low + before_wrap as u64 == 1 << 32 {
            self.counter_high = self.counter_high.wrapping_add(1);
            self.core = Self::core_at(&self.key, self.stream, u64::from(self.counter_high) << 32);
            self.core
                .write_keystream_blocks(chacha20::cipher::Array::cast_slice_from_core_mut(rest));
        }
        self.index = 0;
    }

    /// Word `i` of the buffer.
    #[inline(always)]
    fn word(&self, i: usize) -> u32 {
        let block = &self.blocks[i / 16];
        let at = (i % 16) * 4;
        u32::from_le_bytes([block[at], block[at + 1], block[at + 2], block[at + 3]])
    }

    #[inline]
    fn next_word(&mut self) -> u32 {
        if self.index >= Self::WORDS {
            self.refill();
        }
        let word = self.word(self.index);
        self.index += 1;
        word
    }
}

impl<const BLOCKS: usize> SeedableRng for ChaCha8Stream<BLOCKS> {
    type Seed = [u8; 32];

    /// Stream 0 of the key `seed` (as `ChaCha8Rng::from_seed`; `seed_from_u64` is the
    /// trait's, as `ChaCha8Rng`'s is).
    fn from_seed(seed: [u8; 32]) -> Self {
        Self::at_block(seed, 0, 0)
    }
}

impl<const BLOCKS: usize> TryRng for ChaCha8Stream<BLOCKS> {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.next_word())
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let i = self.index;
        if i < Self::WORDS && i.is_multiple_of(2) {
            // The usual case, when every draw is a u64: the two words of one block's
            // eight-byte pair `i / 2`.
            let pair = i / 2;
            let at = (pair % 8) * 8;
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&self.blocks[pair / 8][at..at + 8]);
            self.index = i + 2;
            return Ok(u64::from_le_bytes(bytes));
        }
        let low = self.next_word();
        let high = self.next_word();
        Ok(u64::from(high) << 32 | u64::from(low))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(4) {
            let word = self.next_word().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

impl<const BLOCKS: usize> Clone for ChaCha8Stream<BLOCKS> {
    fn clone(&self) -> Self {
        ChaCha8Stream {
            blocks: self.blocks,
            index: self.index,
            core: Self::core_at(&self.key, self.stream, self.next_block()),
            key: self.key,
            stream: self.stream,
            counter_high: self.counter_high,
        }
    }
}

impl<const BLOCKS: usize> PartialEq for ChaCha8Stream<BLOCKS> {
    /// The same key, stream and position: the same words from here on (as `ChaCha8Rng`'s).
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.stream == other.stream && self.word_pos() == other.word_pos()
    }
}

impl<const BLOCKS: usize> Eq for ChaCha8Stream<BLOCKS> {}

impl<const BLOCKS: usize> std::fmt::Debug for ChaCha8Stream<BLOCKS> {
    /// The stream id and position, not the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChaCha8Stream")
            .field("stream", &self.stream)
            .field("word_pos", &self.word_pos())
            .finish_non_exhaustive()
    }
}

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
        self.stream(id)
    }

    /// As [`Streams::rng`], with the larger buffer of a busy stream ([`LanRng`]).
    pub fn lan_rng(&self, id: StreamId) -> LanRng {
        self.stream(id)
    }

    fn stream<const BLOCKS: usize>(&self, id: StreamId) -> ChaCha8Stream<BLOCKS> {
        let mut rng = ChaCha8Stream::seed_from_u64(self.seed);
        rng.set_stream(id.0);
        rng
    }
}

/// A uniform draw in [0, 1) from 53 random bits: exact and the same on every platform.
pub fn unit<const B: usize>(rng: &mut ChaCha8Stream<B>) -> f64 {
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
    pub fn happens<const B: usize>(self, rng: &mut ChaCha8Stream<B>) -> bool {
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
pub fn unit_exponential<const B: usize>(rng: &mut ChaCha8Stream<B>) -> f64 {
    let tables = ziggurat_tables();
    let (layer, x) = ziggurat_point(rng, tables);
    if x < tables.x[layer + 1] {
        return x;
    }
    ziggurat_edge(rng, tables, layer, x)
}

/// One 64-bit draw's layer and point across it.
#[inline]
fn ziggurat_point<const B: usize>(rng: &mut ChaCha8Stream<B>, tables: &ZigguratTables) -> (usize, f64) {
    use rand::Rng;
    let bits = rng.next_u64();
    let layer = (bits & 0xff) as usize;
    (layer, unit_of_bits(bits) * tables.x[layer])
}

/// The rare rest of [`unit_exponential`] (1.1 % of draws), out of line so the common
/// path inlines: the point `x` of `layer` fell outside the layer's rectangle.
#[cold]
#[inline(never)]
fn ziggurat_edge<const B: usize>(
    rng: &mut ChaCha8Stream<B>,
    tables: &ZigguratTables,
    mut layer: usize,
    mut x: f64,
) -> f64 {
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

    /// The stream is `rand_chacha`'s `ChaCha8Rng`, word for word: for several seeds and
    /// streams, through u32, u64 and byte draws of every alignment (odd word positions,
    /// u64s across blocks and refills, byte counts that end inside a word), in both
    /// buffer sizes, and across the block counter's 32-bit wrap (the core restarted with
    /// the high half carried).
    #[test]
    fn the_stream_is_chacha8rng_word_for_word() {
        use rand_chacha::ChaCha8Rng;

        fn follow<const B: usize>(ours: &mut ChaCha8Stream<B>, reference: &mut ChaCha8Rng, draws: usize) {
            // A fixed mix of draw kinds, from its own stream.
            let mut kinds = ChaCha8Rng::seed_from_u64(99);
            for i in 0..draws {
                match kinds.next_u32() % 8 {
                    0..=3 => assert_eq!(ours.next_u64(), reference.next_u64(), "u64 draw {i}"),
                    4 | 5 => assert_eq!(ours.next_u32(), reference.next_u32(), "u32 draw {i}"),
                    _ => {
                        let len = (kinds.next_u32() % 70) as usize;
                        let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
                        ours.fill_bytes(&mut a);
                        reference.fill_bytes(&mut b);
                        assert_eq!(a, b, "{len} bytes at draw {i}");
                    }
                }
            }
        }

        for seed in [0, 1, 42, u64::MAX] {
            for stream in [0, 7, StreamId::named("link/ngn").0, u64::MAX] {
                let mut reference = ChaCha8Rng::seed_from_u64(seed);
                reference.set_stream(stream);
                let streams = Streams::new(seed);
                follow(
                    &mut streams.stream::<4>(StreamId(stream)),
                    &mut reference.clone(),
                    3_000,
                );
                follow(&mut streams.stream::<16>(StreamId(stream)), &mut reference, 3_000);
            }
        }
        // Only u64 draws (the simulation's usual), through several refills.
        let mut reference = ChaCha8Rng::seed_from_u64(5);
        reference.set_stream(9);
        let mut ours = Streams::new(5).lan_rng(StreamId(9));
        for i in 0..10_000 {
            assert_eq!(ours.next_u64(), reference.next_u64(), "u64 draw {i}");
        }
        // A few blocks before the 32-bit wrap, through it, for a refill that straddles
        // it and one that ends on it; a clone continues the same stream.
        let key = [3u8; 32];
        for before in [3u64, 16, 17] {
            let block = (1u64 << 32) - before;
            let mut reference = ChaCha8Rng::from_seed(key);
            reference.set_stream(11);
            reference.set_word_pos(u128::from(block) * 16);
            let mut ours = ChaCha8Stream::<16>::at_block(key, 11, block);
            follow(&mut ours, &mut reference, 2_000);
            let mut copy = ours.clone();
            assert_eq!(copy.next_u64(), reference.clone().next_u64());
            follow(&mut ours, &mut reference, 500);
        }
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
