//! A small seeded PRNG (SplitMix64) and the samplers the fault plan needs. Deterministic on
//! every platform, so a seed replays exactly.

/// SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit state, passes BigCrush, and any seed
/// (zero included) is fine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator for an independent stream: `seed` mixed with a stream number, so that e.g.
    /// the two directions of a line draw from unrelated sequences.
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut r = Self(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, n)` (`n > 0`), by multiply-shift (bias below 2^-32 for the
    /// small ranges used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Fill `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let r = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }

    /// How many trials pass before the next event of probability `p` per trial (a geometric
    /// variate). `u64::MAX` for `p <= 0`. Lets the fault injector jump from one fault to the
    /// next instead of drawing a number for every byte or bit.
    pub fn gap(&mut self, p: f64) -> u64 {
        if p <= 0.0 {
            return u64::MAX;
        }
        if p >= 1.0 {
            return 0;
        }
        // 1 - unit() is in (0, 1], so its logarithm is finite.
        let u = 1.0 - self.unit();
        let g = u.ln() / (-p).ln_1p();
        if g >= 1e18 { u64::MAX / 2 } else { g as u64 }
    }
}
