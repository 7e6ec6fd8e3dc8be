//! ZDLE escaping: which bytes a sender must not put on the wire raw (docs/PROTOCOLS.md §4.4).
//!
//! An escaped byte travels as ZDLE (0x18) followed by `byte ^ 0x40`, except 0x7F and 0xFF,
//! which travel as ZDLE `l` and ZDLE `m`. Only bytes with `(byte & 0x60) == 0` (the control
//! bytes 0x00-0x1F and 0x80-0x9F) and 0x7F/0xFF can be escaped at all: for any other byte
//! `byte ^ 0x40` would not decode back.

use super::ZDLE;
use super::scan::{ByteSet, CHUNK};

/// Which bytes to escape. [`EscapeTable::escape`] can also add single bytes to any table, and
/// [`EscapeTable::escape_controls`] adds every control byte (what a receiver's ESCCTL asks
/// for) while keeping a profile's extra bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EscapeProfile {
    /// What lrzsz escapes by default: ZDLE, DLE, XON, XOFF and each of them with bit 7 set
    /// (0x18, 0x10, 0x11, 0x13, 0x90, 0x91, 0x93; not 0x98), and CR (0x0D, 0x8D) right
    /// after `@` (0x40, 0xC0), which protects the Telenet escape CR `@` CR.
    #[default]
    Minimal,
    /// Every control byte, i.e. every byte with `(byte & 0x60) == 0`: what a peer asks for
    /// with ESCCTL in `ZRINIT` or TESCCTL in `ZSINIT` (lrzsz `-e`).
    Controls,
    /// [`Minimal`](Self::Minimal) and 0xFF, sent as ZDLE `m`: a telnet IAC (0xFF) is never
    /// formed, so a telnet link in binary mode neither eats nor doubles any byte. lrzsz never
    /// escapes 0xFF but decodes ZDLE `m`.
    Telnet,
    /// [`Minimal`](Self::Minimal) and CR and LF (0x0D, 0x0A) always, so no `~` ever follows a
    /// newline on the wire and OpenSSH's escape character (`~` at the start of a line) cannot
    /// trigger. (`~` itself cannot be escaped in ZMODEM; what comes before it can.)
    Ssh,
}

impl EscapeProfile {
    /// Every profile, for tests and the CLI.
    pub const ALL: [Self; 4] = [Self::Minimal, Self::Controls, Self::Telnet, Self::Ssh];

    /// True if the profile escapes every control byte, what TESCCTL in `ZSINIT` announces.
    pub const fn escapes_controls(self) -> bool {
        matches!(self, Self::Controls)
    }
}

/// How a byte is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Class {
    /// As it is.
    Raw = 0,
    /// Always escaped.
    Escape = 1,
    /// Escaped only right after `@` (0x40 or 0xC0) went out.
    AfterAt = 2,
}

/// The escape code sent after ZDLE for `byte`, if `byte` can be escaped.
pub const fn escape_code(byte: u8) -> Option<u8> {
    match byte {
        0x7F => Some(b'l'),
        0xFF => Some(b'm'),
        b if b & 0x60 == 0 => Some(b ^ 0x40),
        _ => None,
    }
}

/// A 256-entry table built once from an [`EscapeProfile`] and reused for every byte sent.
#[derive(Clone, PartialEq, Eq)]
pub struct EscapeTable {
    class: [Class; 256],
    /// What follows ZDLE for each byte that can be escaped ([`escape_code`]).
    code: [u8; 256],
    /// The bytes that are not [`Class::Raw`], for finding the end of a run fast.
    special: ByteSet,
}

impl std::fmt::Debug for EscapeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let escaped: Vec<u8> = (0..=255u8)
            .filter(|&b| self.class[usize::from(b)] == Class::Escape)
            .collect();
        let after_at: Vec<u8> = (0..=255u8)
            .filter(|&b| self.class[usize::from(b)] == Class::AfterAt)
            .collect();
        f.debug_struct("EscapeTable")
            .field("escaped", &escaped)
            .field("after_at", &after_at)
            .finish()
    }
}

impl Default for EscapeTable {
    fn default() -> Self {
        Self::new(EscapeProfile::default())
    }
}

impl EscapeTable {
    /// The table for `profile`.
    pub fn new(profile: EscapeProfile) -> Self {
        let mut table = Self {
            class: [Class::Raw; 256],
            code: std::array::from_fn(|b| escape_code(b as u8).unwrap_or(b as u8)),
            special: ByteSet::new([false; 256]),
        };
        match profile {
            EscapeProfile::Minimal => {
                for byte in [ZDLE, 0x10, 0x11, 0x13, 0x90, 0x91, 0x93] {
                    table.class[usize::from(byte)] = Class::Escape;
                }
                table.class[0x0D] = Class::AfterAt;
                table.class[0x8D] = Class::AfterAt;
                table.update_special();
            }
            EscapeProfile::Controls => table.escape_controls(),
            EscapeProfile::Telnet => {
                table = Self::new(EscapeProfile::Minimal);
                table.escape(0xFF);
            }
            EscapeProfile::Ssh => {
                table = Self::new(EscapeProfile::Minimal);
                table.escape(b'\r');
                table.escape(b'\n');
            }
        }
        table
    }

    /// Escape every control byte (`(byte & 0x60) == 0`) from now on, keeping the bytes the
    /// table escapes already: what a receiver's ESCCTL asks for.
    pub fn escape_controls(&mut self) {
        for byte in 0..=255u8 {
            if byte & 0x60 == 0 {
                self.class[usize::from(byte)] = Class::Escape;
            }
        }
        self.update_special();
    }

    fn update_special(&mut self) {
        self.special = ByteSet::new(self.class.map(|c| c != Class::Raw));
    }

    /// Escape `byte` always from now on. Returns false (and changes nothing) for a byte that
    /// ZMODEM cannot escape (see [`escape_code`]).
    pub fn escape(&mut self, byte: u8) -> bool {
        if escape_code(byte).is_none() {
            return false;
        }
        self.class[usize::from(byte)] = Class::Escape;
        self.update_special();
        true
    }

    /// True if `byte` is escaped whatever byte went before it.
    pub fn always_escapes(&self, byte: u8) -> bool {
        self.class[usize::from(byte)] == Class::Escape
    }

    /// How `byte` is sent.
    #[cfg(test)]
    fn class(&self, byte: u8) -> Class {
        self.class[usize::from(byte)]
    }

    /// Append `data` escaped to `out`. `last` is the last byte that went on the wire before
    /// (for the CR-after-`@` rule); the new last byte is returned.
    ///
    /// Each chunk of [`CHUNK`] bytes is copied whole, then every byte in it that must be
    /// escaped is overwritten with ZDLE and its code and the rest of the chunk copied again
    /// one place further on. With random data about one chunk in three holds no such byte,
    /// and the others hold one or two, so this is two copies of a chunk where a byte-wise
    /// loop would branch on every byte. The copies may write past the end of what is kept;
    /// `out` is cut back to the escaped length at the end.
    pub(super) fn escape_into(&self, out: &mut Vec<u8>, data: &[u8], last: u8) -> u8 {
        let start = out.len();
        // Room for the worst case (every byte escaped) and for the whole-chunk copies past
        // the end (see `escape_chunk`).
        out.resize(start + 2 * data.len() + 3 * CHUNK, 0);
        let dst = &mut out[start..];
        let (mut from, mut to) = (0, 0);
        // Chunks with a whole chunk after them: the copy after an escape reads that far.
        while from + 2 * CHUNK <= data.len() {
            to = self.escape_chunk(data, from, CHUNK, dst, to, last);
            from += CHUNK;
        }
        // The rest (under two chunks) from a copy with a chunk of zeros after it.
        let rest = &data[from..];
        let mut padded = [0u8; 3 * CHUNK];
        padded[..rest.len()].copy_from_slice(rest);
        for at in (0..rest.len()).step_by(CHUNK) {
            let valid = (rest.len() - at).min(CHUNK);
            to = self.escape_chunk(&padded, at, valid, dst, to, last);
        }
        let new_last = if to > 0 { dst[to - 1] } else { last };
        out.truncate(start + to);
        new_last
    }

    /// Escape the first `valid` bytes of the chunk at `src[from..]` into `dst[to..]`;
    /// returns where the output ends. `last` is the byte on the wire before `dst[0]`.
    ///
    /// `src` must hold a whole chunk after this one, and `dst` two chunks of room past the
    /// escaped output: the chunk is copied whole and, after each escape, the chunk's bytes
    /// from there on again (a chunk's length from the next byte on).
    #[inline(always)]
    fn escape_chunk(
        &self,
        src: &[u8],
        from: usize,
        valid: usize,
        dst: &mut [u8],
        to: usize,
        last: u8,
    ) -> usize {
        let chunk: &[u8; CHUNK] = src[from..from + CHUNK].try_into().unwrap_or(&[0; CHUNK]);
        dst[to..to + CHUNK].copy_from_slice(chunk);
        let live = if valid == CHUNK {
            u32::MAX
        } else {
            (1 << valid) - 1
        };
        let mut maybe = self.special.candidates(chunk) & live;
        let mut shift = 0;
        while maybe != 0 {
            let i = maybe.trailing_zeros() as usize;
            maybe &= maybe - 1;
            let byte = chunk[i];
            let at = to + i + shift;
            let escape = match self.class[usize::from(byte)] {
                Class::Raw => false,
                Class::Escape => true,
                Class::AfterAt => {
                    let before = if at > 0 { dst[at - 1] } else { last };
                    before & 0x7F == b'@'
                }
            };
            if escape {
                dst[at] = ZDLE;
                dst[at + 1] = self.code[usize::from(byte)];
                let next = from + i + 1;
                dst[at + 2..at + 2 + CHUNK].copy_from_slice(&src[next..next + CHUNK]);
                shift += 1;
            }
        }
        to + valid + shift
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Escaping one byte at a time, straight from the rules.
    fn naive(t: &EscapeTable, data: &[u8], mut last: u8) -> (Vec<u8>, u8) {
        let mut out = Vec::new();
        for &b in data {
            let escape = match t.class(b) {
                Class::Raw => false,
                Class::Escape => true,
                Class::AfterAt => last & 0x7F == b'@',
            };
            match escape_code(b) {
                Some(code) if escape => out.extend_from_slice(&[ZDLE, code]),
                _ => out.push(b),
            }
            last = *out.last().unwrap_or(&last);
        }
        (out, last)
    }

    /// Bytes around the ones that matter, so short inputs hit them often.
    fn interesting() -> impl Strategy<Value = u8> {
        prop_oneof![
            any::<u8>(),
            prop::sample::select(vec![
                0x00, 0x0D, 0x8D, 0x10, 0x11, 0x13, 0x18, 0x90, 0x91, 0x93, 0x98, 0x40, 0xC0, 0x7F,
                0xFF, 0x0A, 0x1F, 0x9F,
            ]),
        ]
    }

    proptest! {
        /// The chunked escape gives what the byte-by-byte rules give, for every profile,
        /// every length around the chunk sizes, any byte before, and data split into pieces
        /// at any point (the CR-after-`@` rule carries across calls).
        #[test]
        fn escape_into_matches_the_rules(
            data in prop::collection::vec(interesting(), 0..300),
            profile in prop::sample::select(EscapeProfile::ALL.to_vec()),
            controls in any::<bool>(),
            extra in prop::collection::vec(any::<u8>(), 0..12),
            last in interesting(),
            split in any::<prop::sample::Index>(),
            prefix in prop::collection::vec(any::<u8>(), 0..3),
        ) {
            let mut t = EscapeTable::new(profile);
            if controls {
                t.escape_controls();
            }
            for b in extra {
                t.escape(b);
            }
            let (want, want_last) = naive(&t, &data, last);
            let mut out = prefix.clone();
            let cut = split.index(data.len() + 1);
            let mid = t.escape_into(&mut out, &data[..cut], last);
            let end = t.escape_into(&mut out, &data[cut..], mid);
            prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
            prop_assert_eq!(&out[prefix.len()..], &want[..]);
            prop_assert_eq!(end, want_last);
        }
    }

    fn escaped(profile: EscapeProfile) -> Vec<u8> {
        let t = EscapeTable::new(profile);
        (0..=255u8).filter(|&b| t.always_escapes(b)).collect()
    }

    #[test]
    fn minimal_profile_is_lrzsz_default() {
        assert_eq!(
            escaped(EscapeProfile::Minimal),
            [0x10, 0x11, 0x13, 0x18, 0x90, 0x91, 0x93]
        );
        let t = EscapeTable::new(EscapeProfile::Minimal);
        assert_eq!(t.class(0x0D), Class::AfterAt);
        assert_eq!(t.class(0x8D), Class::AfterAt);
        assert_eq!(t.class(0x98), Class::Raw);
    }

    #[test]
    fn controls_profile_escapes_every_control_byte() {
        let all = escaped(EscapeProfile::Controls);
        assert_eq!(all.len(), 64);
        assert!(all.iter().all(|&b| b & 0x60 == 0));
    }

    #[test]
    fn telnet_and_ssh_profiles_add_to_minimal() {
        let minimal = escaped(EscapeProfile::Minimal);
        let with = |extra: &[u8]| {
            let mut v = [minimal.as_slice(), extra].concat();
            v.sort_unstable();
            v
        };
        assert_eq!(escaped(EscapeProfile::Telnet), with(&[0xFF]));
        assert_eq!(escaped(EscapeProfile::Ssh), with(b"\r\n"));
        // ESCCTL on top keeps 0xFF.
        let mut t = EscapeTable::new(EscapeProfile::Telnet);
        t.escape_controls();
        assert!(t.always_escapes(0xFF) && t.always_escapes(0x00) && t.always_escapes(0x9F));
        assert!(!t.always_escapes(0x7F) && !t.always_escapes(b'~'));
        assert!(EscapeProfile::Controls.escapes_controls());
        assert!(!EscapeProfile::Ssh.escapes_controls());
    }

    /// With the ssh profile no `~` follows a CR or LF, and with the telnet one no 0xFF is
    /// sent, whatever the data.
    #[test]
    fn telnet_and_ssh_profiles_keep_their_promises() {
        let data: Vec<u8> = (0..4096u32)
            .map(|i| [b'\r', b'\n', b'~', 0xFF, b'@', 0x8D][(i * 7 % 13 % 6) as usize])
            .chain(0..=255u8)
            .collect();
        let mut out = Vec::new();
        EscapeTable::new(EscapeProfile::Ssh).escape_into(&mut out, &data, b'\n');
        assert!(!out.windows(2).any(|w| matches!(w, [b'\r' | b'\n', b'~'])));
        assert!(!out.contains(&b'\r') && !out.contains(&b'\n'));
        out.clear();
        EscapeTable::new(EscapeProfile::Telnet).escape_into(&mut out, &data, 0);
        assert!(!out.contains(&0xFF));
    }

    #[test]
    fn escape_codes() {
        assert_eq!(escape_code(ZDLE), Some(0x58));
        assert_eq!(escape_code(0x91), Some(0xD1));
        assert_eq!(escape_code(0x7F), Some(b'l'));
        assert_eq!(escape_code(0xFF), Some(b'm'));
        assert_eq!(escape_code(b'*'), None);
        assert_eq!(escape_code(b'~'), None);
        let mut t = EscapeTable::default();
        assert!(t.escape(0xFF));
        assert!(!t.escape(b'~'));
        assert!(t.always_escapes(0xFF));
    }

    #[test]
    fn cr_escaped_only_after_at() {
        let t = EscapeTable::default();
        let mut out = Vec::new();
        let last = t.escape_into(&mut out, b"a\r@\r\xc0\x8d\x11x", 0);
        assert_eq!(
            out, b"a\r@\x18\x4d\xc0\x18\xcd\x18\x51x",
            "CR raw, CR after @ escaped, 0x8D after 0xC0 escaped, XON escaped"
        );
        assert_eq!(last, b'x');
        // The byte before the call counts.
        out.clear();
        t.escape_into(&mut out, b"\r", b'@');
        assert_eq!(out, b"\x18\x4d");
    }
}
