//! Finding the next byte of a set in a buffer: the inner loop of escaping (the sender looks
//! for the next byte to escape) and of decoding (the receiver looks for the next ZDLE or
//! byte to drop). With random data a few percent of bytes are in the set, so most of the
//! time goes into proving that a run of bytes holds none of them.
//!
//! A [`ByteSet`] keeps the exact membership table and, beside it, a quick test made of a
//! few `(mask, value)` pairs: a byte may be a member only if `byte & mask == value` for one
//! of them. The quick test runs over 32 bytes at a time with no table lookup and no branch
//! per byte and gives a bit per byte ([`ByteSet::candidates`]); only the bytes whose bit is
//! set are then looked up in the table. Every member matches a pair (so nothing is missed);
//! a non-member that matches one only costs that lookup. On x86-64 the quick test is made
//! of the baseline's SSE2 vector instructions (through `safe_arch`, as the crate forbids
//! `unsafe`); elsewhere it is plain code the compiler may vectorise.

/// Pairs in the quick test. Six cover every escape profile with no merging (the minimal
/// profile needs five: 0x0D, 0x10, 0x11, 0x13, 0x18, each with or without bit 7; telnet and
/// ssh add one each).
const PAIRS: usize = 6;

/// Bytes the quick test looks at per step.
pub(super) const CHUNK: usize = 32;

/// A set of byte values with a fast [`find`](Self::find).
#[derive(Clone, PartialEq, Eq)]
pub(super) struct ByteSet {
    member: [bool; 256],
    /// The quick test's pairs: the first `used` of them.
    pairs: [(u8, u8); PAIRS],
    used: usize,
    /// The quick test matches members only, so its bits need no look in `member`.
    exact: bool,
}

impl std::fmt::Debug for ByteSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let members: Vec<u8> = (0..=255u8).filter(|&b| self.contains(b)).collect();
        f.debug_struct("ByteSet")
            .field("members", &members)
            .finish_non_exhaustive()
    }
}

impl ByteSet {
    /// The set of bytes `b` with `member[b]`.
    pub(super) fn new(member: [bool; 256]) -> Self {
        let (pairs, exact) = covering_pairs(&member);
        // Unused slots repeat the first pair (or, for no members, one no byte matches): they never
        // widen the test.
        let fill = pairs.first().copied().unwrap_or((0, 1));
        let mut all = [fill; PAIRS];
        all[..pairs.len()].copy_from_slice(&pairs);
        Self {
            member,
            pairs: all,
            used: pairs.len(),
            exact,
        }
    }

    /// True if [`candidates`](Self::candidates) sets bits for members only.
    #[inline]
    pub(super) fn is_exact(&self) -> bool {
        self.exact
    }

    /// True if `byte` is in the set.
    #[inline]
    pub(super) fn contains(&self, byte: u8) -> bool {
        self.member[usize::from(byte)]
    }

    /// Call `f` with the index of every byte of `data` in the set, in order, until it
    /// returns true; returns that index. One pass over `data` however many there are.
    #[inline(always)]
    pub(super) fn find_with(&self, data: &[u8], mut f: impl FnMut(usize) -> bool) -> Option<usize> {
        let mut chunks = data.chunks_exact(CHUNK);
        let mut offset = 0;
        for chunk in &mut chunks {
            let chunk: &[u8; CHUNK] = chunk.try_into().unwrap_or(&[0; CHUNK]);
            let mut maybe = self.candidates(chunk);
            while maybe != 0 {
                let i = maybe.trailing_zeros() as usize;
                if self.contains(chunk[i]) && f(offset + i) {
                    return Some(offset + i);
                }
                maybe &= maybe - 1;
            }
            offset += CHUNK;
        }
        let tail = chunks.remainder();
        (0..tail.len())
            .find(|&i| self.contains(tail[i]) && f(offset + i))
            .map(|i| offset + i)
    }

    /// The quick test over one chunk: bit `i` is set where byte `i` may be in the set; a
    /// clear bit means it is not.
    #[inline(always)]
    pub(super) fn candidates(&self, chunk: &[u8; CHUNK]) -> u32 {
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        return self.candidates_sse2(chunk);
        #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
        return self.candidates_portable(chunk);
    }

    /// [`candidates`](Self::candidates) with SSE2 compares (the x86-64 baseline).
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[inline(always)]
    fn candidates_sse2(&self, chunk: &[u8; CHUNK]) -> u32 {
        use safe_arch::{
            bitand_m128i, bitor_m128i, cmp_eq_mask_i8_m128i, m128i, move_mask_i8_m128i,
            set_splat_i8_m128i,
        };
        let half = |h: Option<&[u8; 16]>| m128i::from(h.copied().unwrap_or_default());
        let (lo, hi) = (half(chunk.first_chunk()), half(chunk.last_chunk()));
        let (mut hit_lo, mut hit_hi) = (m128i::default(), m128i::default());
        for &(mask, value) in &self.pairs[..self.used] {
            let (mask, value) = (
                set_splat_i8_m128i(mask as i8),
                set_splat_i8_m128i(value as i8),
            );
            hit_lo = bitor_m128i(hit_lo, cmp_eq_mask_i8_m128i(bitand_m128i(lo, mask), value));
            hit_hi = bitor_m128i(hit_hi, cmp_eq_mask_i8_m128i(bitand_m128i(hi, mask), value));
        }
        // One bit per byte lane, from its sign bit.
        (move_mask_i8_m128i(hit_lo) as u32 & 0xFFFF) | ((move_mask_i8_m128i(hit_hi) as u32) << 16)
    }

    /// [`candidates`](Self::candidates) in plain code, for other targets (and, in tests, to
    /// check the SSE2 one against). Written so the compiler can make vector compares of it (a
    /// lane per byte); the bits are gathered eight lanes at a time with a multiply.
    #[cfg_attr(
        all(target_arch = "x86_64", target_feature = "sse2", not(test)),
        allow(dead_code)
    )]
    #[inline(always)]
    fn candidates_portable(&self, chunk: &[u8; CHUNK]) -> u32 {
        let mut lanes = [0u8; CHUNK];
        for &(mask, value) in &self.pairs[..self.used] {
            for i in 0..CHUNK {
                lanes[i] |= u8::from(chunk[i] & mask == value);
            }
        }
        let mut bits = 0;
        for (k, eight) in lanes.chunks_exact(8).enumerate() {
            let word = u64::from_le_bytes(eight.try_into().unwrap_or([0; 8]));
            // Each lane is 0 or 1: the multiply moves lane j's bit to bit 56 + j.
            bits |= ((word.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32) << (8 * k);
        }
        bits
    }
}

/// At most [`PAIRS`] `(mask, value)` pairs such that every member `b` has
/// `b & mask == value` for one of them, matching few non-members; and whether they match
/// members only.
fn covering_pairs(member: &[bool; 256]) -> (Vec<(u8, u8)>, bool) {
    let mut pairs: Vec<(u8, u8)> = Vec::new();
    // Every control byte (what ESCCTL escapes): one pair.
    let controls = (0..0x20).all(|b| member[b] && member[b | 0x80]);
    if controls {
        pairs.push((0x60, 0x00));
    }
    // Each remaining member with its bit-7 twin in one pair if both are members (the sets
    // we use mostly treat both alike), else alone. Built once per table, but tables are
    // built per session and, in the fuzz bodies, per frame: 128 steps, no search.
    for low in 0..0x80u8 {
        if controls && low & 0x60 == 0 {
            continue;
        }
        let high = low | 0x80;
        match (member[usize::from(low)], member[usize::from(high)]) {
            (true, true) => pairs.push((0x7F, low)),
            (true, false) => pairs.push((0xFF, low)),
            (false, true) => pairs.push((0xFF, high)),
            (false, false) => {}
        }
    }
    let exact = pairs.len() <= PAIRS;
    // Too many: merge the two pairs whose union is narrowest until few enough are left.
    while pairs.len() > PAIRS {
        let mut best = merge(pairs[0], pairs[1]);
        for i in 0..pairs.len() {
            for j in i + 1..pairs.len() {
                let m = merge(pairs[i], pairs[j]);
                if m.0.count_ones() > best.0.count_ones() {
                    best = m;
                }
            }
        }
        // The merged pair covers both it came from, and maybe others.
        pairs.retain(|&(m, v)| !(m & best.0 == best.0 && v & best.0 == best.1));
        pairs.push(best);
    }
    (pairs, exact)
}

/// The pair matching everything either pair matches, and as little else as one pair can.
fn merge(a: (u8, u8), b: (u8, u8)) -> (u8, u8) {
    let mask = a.0 & b.0 & !(a.1 ^ b.1);
    (mask, a.1 & mask)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn set(bytes: &[u8]) -> ByteSet {
        let mut member = [false; 256];
        for &b in bytes {
            member[usize::from(b)] = true;
        }
        ByteSet::new(member)
    }

    fn find(set: &ByteSet, data: &[u8]) -> usize {
        set.find_with(data, |_| true).unwrap_or(data.len())
    }

    fn every(set: &ByteSet, data: &[u8]) -> Vec<usize> {
        let mut all = Vec::new();
        set.find_with(data, |at| {
            all.push(at);
            false
        });
        all
    }

    fn naive(set: &ByteSet, data: &[u8]) -> usize {
        data.iter()
            .position(|&b| set.contains(b))
            .unwrap_or(data.len())
    }

    #[test]
    fn the_sets_in_use_need_no_merging() {
        let minimal = [0x10, 0x11, 0x13, 0x18, 0x90, 0x91, 0x93, 0x0D, 0x8D];
        assert_eq!(covering_pairs(&set(&minimal).member).0.len(), 5);
        let telnet = [&minimal[..], &[0xFF]].concat();
        assert_eq!(covering_pairs(&set(&telnet).member).0.len(), 6);
        let controls: Vec<u8> = (0..=255u8).filter(|b| b & 0x60 == 0).collect();
        assert_eq!(
            covering_pairs(&set(&controls).member),
            (vec![(0x60, 0)], true)
        );
        // The decoder's: ZDLE and XON/XOFF with and without bit 7.
        assert_eq!(
            covering_pairs(&set(&[0x18, 0x11, 0x13, 0x91, 0x93]).member)
                .0
                .len(),
            3
        );
    }

    #[test]
    fn finds_members_at_every_position() {
        let s = set(&[0x18, 0x11]);
        for len in 0..100 {
            for at in 0..len {
                let mut data = vec![0x41u8; len];
                data[at] = 0x18;
                assert_eq!(find(&s, &data), at, "len {len} at {at}");
            }
            assert_eq!(find(&s, &vec![0x41u8; len]), len);
            // A near miss (0x98 matches the quick test only) is skipped.
            assert_eq!(find(&s, &vec![0x98u8; len]), len);
        }
    }

    proptest! {
        #[test]
        fn any_set_finds_what_a_plain_search_finds(
            members in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..8),
                proptest::collection::vec(any::<u8>(), 0..80),
            ],
            noise in proptest::collection::vec(any::<u8>(), 0..300),
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..300),
        ) {
            // Data with members in it too (a small set is rarely hit by chance).
            let data: Vec<u8> = noise
                .iter()
                .zip(&picks)
                .map(|(&b, pick)| if members.is_empty() || b & 1 == 0 { b } else { *pick.get(&members) })
                .collect();
            let s = set(&members);
            let (pairs, exact) = covering_pairs(&s.member);
            prop_assert!(pairs.len() <= PAIRS);
            prop_assert_eq!(s.is_exact(), exact);
            // Whole chunks: a bit for every member, and for members only when exact.
            for chunk in data.chunks_exact(CHUNK) {
                let bits = s.candidates(chunk.try_into().unwrap());
                prop_assert_eq!(bits, s.candidates_portable(chunk.try_into().unwrap()));
                for (i, &b) in chunk.iter().enumerate() {
                    let bit = bits >> i & 1 == 1;
                    prop_assert!(bit || !s.contains(b), "member {b:#x} missed");
                    prop_assert!(!bit || s.contains(b) || !exact, "{b:#x} in an exact test");
                }
            }
            for b in 0..=255u8 {
                if s.contains(b) {
                    prop_assert!(pairs.iter().any(|&(m, v)| b & m == v), "{b:#x} uncovered");
                }
            }
            prop_assert_eq!(find(&s, &data), naive(&s, &data));
            let all: Vec<usize> = (0..data.len()).filter(|&i| s.contains(data[i])).collect();
            prop_assert_eq!(every(&s, &data), all);
            // Stopping at the second member finds it.
            if let Some(&second) = every(&s, &data).get(1) {
                let mut seen = 0;
                prop_assert_eq!(s.find_with(&data, |_| { seen += 1; seen == 2 }), Some(second));
            }
        }
    }
}
