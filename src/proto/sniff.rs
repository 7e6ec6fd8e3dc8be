//! Finding the start of a ZMODEM session in a terminal's output stream.
//!
//! A terminal that starts transfers by itself (`xyzmodem term`) shows what the remote side
//! prints, and must notice when a program there begins a ZMODEM session: `sz` announces itself
//! with a `ZRQINIT` hex header, `rz` with a `ZRINIT` one (docs/PROTOCOL_NOTES.md, "Automatic
//! ZMODEM in a terminal"). [`Sniffer`] watches the bytes on their way to the screen. It is
//! sans-IO like the engines: bytes in, bytes to show and a [`Found`] out.
//!
//! A start is reported only for a whole hex header whose frame type is `ZRQINIT` or
//! `ZRINIT` and whose CRC-16 is right, ended by its carriage return: a file that merely contains
//! `**` ZDLE `B00` (a `cat` of a capture, this source file) is shown as it is. While bytes
//! could still be the beginning of such a header, they are held back rather than shown, so
//! a real header never reaches the screen as junk; at most 21 bytes are held, and a caller shows
//! them once the line goes quiet ([`Sniffer::flush`]).

use super::crc::crc16;

/// `ZPAD`: a header starts with one or two of these.
const ZPAD: u8 = b'*';
/// `ZDLE` before the header format letter.
const ZDLE: u8 = 0x18;
/// The hex header format letter.
const ZHEX: u8 = b'B';
/// Hex digits in a hex header: frame type, four flag bytes, CRC-16.
const HEX_DIGITS: usize = 2 * (1 + 4 + 2);
/// The longest header held back: two `ZPAD`s, `ZDLE`, `B`, the digits and the carriage
/// return.
const LONGEST: usize = 4 + HEX_DIGITS + 1;

/// Which side the remote program takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZmodemStart {
    /// The remote side sends (`sz`): a `ZRQINIT` was seen; start a receiver.
    Download,
    /// The remote side receives (`rz`): a `ZRINIT` was seen; offer files to send.
    Upload,
}

/// A ZMODEM start found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// What the remote side started.
    pub start: ZmodemStart,
    /// Index in the input of [`Sniffer::feed`] just past the header: the bytes from there on
    /// belong to the transfer, not to the screen.
    pub rest: usize,
    /// The header's bytes (also those held from earlier input), for the engine to read first.
    pub header: Vec<u8>,
}

/// Watches a terminal's output for the start of a ZMODEM session.
#[derive(Debug, Clone, Default)]
pub struct Sniffer {
    /// Bytes that may begin a header, not shown yet. Never longer than [`LONGEST`].
    held: Vec<u8>,
}

/// How far `held` matches a header.
enum Match {
    /// Could still become a header.
    Partial,
    /// Cannot be a header (or a wrong one): the first byte is shown.
    No,
    /// A whole, valid header.
    Whole(ZmodemStart),
}

impl Sniffer {
    /// A sniffer that has seen nothing.
    pub fn new() -> Self {
        Self {
            held: Vec::with_capacity(LONGEST),
        }
    }

    /// Scans `input`, bytes from the remote side on their way to the screen. Appends to
    /// `show` what may be displayed now; holds back bytes that may begin a header until it is
    /// complete or cannot be one. Returns the start found, if a header ended in `input`: the
    /// bytes of `input` from [`Found::rest`] on were not looked at and are not in `show`.
    pub fn feed(&mut self, input: &[u8], show: &mut Vec<u8>) -> Option<Found> {
        let mut i = 0;
        while i < input.len() {
            if self.held.is_empty() {
                // The common case: text up to the next `*` goes straight through.
                let span = input[i..].iter().position(|&b| b == ZPAD);
                let end = span.map_or(input.len(), |n| i + n);
                show.extend_from_slice(&input[i..end]);
                i = end;
                if i == input.len() {
                    break;
                }
            }
            self.held.push(input[i]);
            i += 1;
            if let Some(start) = self.settle(show) {
                return Some(Found {
                    start,
                    rest: i,
                    header: std::mem::take(&mut self.held),
                });
            }
        }
        None
    }

    /// True while bytes are held back.
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// Shows the bytes held back: the line went quiet, so they are not a header in
    /// progress (or the header's sender stopped half-way).
    pub fn flush(&mut self, show: &mut Vec<u8>) {
        show.append(&mut self.held);
    }

    /// After a byte was added to `held`: shows leading bytes until `held` is empty or a
    /// possible header, and reports a whole valid one.
    fn settle(&mut self, show: &mut Vec<u8>) -> Option<ZmodemStart> {
        loop {
            match classify(&self.held) {
                Match::Partial => return None,
                Match::Whole(start) => return Some(start),
                Match::No => {
                    show.push(self.held.remove(0));
                    // Only a `*` can begin a header: show everything before the next one.
                    let next = self.held.iter().position(|&b| b == ZPAD);
                    let cut = next.unwrap_or(self.held.len());
                    show.extend(self.held.drain(..cut));
                    if self.held.is_empty() {
                        return None;
                    }
                }
            }
        }
    }
}

/// How far `held` (non-empty) matches `ZPAD ZPAD? ZDLE B <14 hex digits> CR`.
fn classify(held: &[u8]) -> Match {
    let pads = held.iter().take(2).take_while(|&&b| b == ZPAD).count();
    if pads == 0 {
        return Match::No;
    }
    let rest = &held[pads..];
    let Some((&zdle, rest)) = rest.split_first() else {
        return Match::Partial;
    };
    if zdle != ZDLE {
        return Match::No;
    }
    let Some((&format, rest)) = rest.split_first() else {
        return Match::Partial;
    };
    if format != ZHEX {
        return Match::No;
    }
    let digits = &rest[..rest.len().min(HEX_DIGITS)];
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return Match::No;
    }
    // The frame type comes first: only the two starts are worth holding text back for.
    if digits.len() >= 2 && !matches!(&digits[..2], b"00" | b"01") {
        return Match::No;
    }
    let Some(&end) = rest.get(HEX_DIGITS) else {
        return Match::Partial;
    };
    if end & 0x7f != b'\r' {
        return Match::No;
    }
    let mut header = [0u8; HEX_DIGITS / 2];
    for (byte, pair) in header.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (hex(pair[0]) << 4) | hex(pair[1]);
    }
    let crc = u16::from_be_bytes([header[5], header[6]]);
    if crc16(&header[..5]) != crc {
        return Match::No;
    }
    Match::Whole(if header[0] == 0 {
        ZmodemStart::Download
    } else {
        ZmodemStart::Upload
    })
}

/// The value of an ASCII hex digit (checked by the caller).
fn hex(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What lrzsz `sz` writes: `rz\r`, then its `ZRQINIT`.
    const SZ_START: &[u8] = b"rz\r**\x18B00000000000000\r\x8a\x11";
    /// What lrzsz `rz` writes (flags CANFDX|CANOVIO|CANFC32, buffer 0).
    const RZ_START: &[u8] = b"rz waiting to receive.**\x18B0100000023be50\r\x8a\x11";

    fn run(sniffer: &mut Sniffer, pieces: &[&[u8]]) -> (Vec<u8>, Option<(Found, Vec<u8>)>) {
        let mut show = Vec::new();
        for (k, piece) in pieces.iter().enumerate() {
            if let Some(found) = sniffer.feed(piece, &mut show) {
                let mut rest = piece[found.rest..].to_vec();
                for later in &pieces[k + 1..] {
                    rest.extend_from_slice(later);
                }
                return (show, Some((found, rest)));
            }
        }
        (show, None)
    }

    #[test]
    fn sz_is_found_and_its_header_kept_off_the_screen() {
        let (show, found) = run(&mut Sniffer::new(), &[b"$ sz a.bin\r\n", SZ_START]);
        assert_eq!(show, b"$ sz a.bin\r\nrz\r");
        let (found, rest) = found.expect("found");
        assert_eq!(found.start, ZmodemStart::Download);
        assert_eq!(found.header, b"**\x18B00000000000000\r");
        assert_eq!(rest, b"\x8a\x11");
    }

    #[test]
    fn rz_is_found() {
        let (show, found) = run(&mut Sniffer::new(), &[RZ_START]);
        assert_eq!(show, b"rz waiting to receive.");
        let (found, _) = found.expect("found");
        assert_eq!(found.start, ZmodemStart::Upload);
        assert_eq!(found.rest, RZ_START.len() - 2);
    }

    #[test]
    fn a_header_split_at_every_byte_is_found_and_nothing_extra_shown() {
        for start in [SZ_START, RZ_START] {
            let pieces: Vec<&[u8]> = start.chunks(1).collect();
            let mut sniffer = Sniffer::new();
            let (show, found) = run(&mut sniffer, &pieces);
            let (found, rest) = found.expect("found");
            let mut all = show;
            all.extend_from_slice(&found.header);
            all.extend_from_slice(&rest);
            assert_eq!(all, start, "every byte once, in order");
            assert!(!sniffer.holding());
        }
    }

    #[test]
    fn the_prefix_alone_is_shown_and_never_found() {
        let text = b"see **\x18B00 in the capture\r\n";
        let (show, found) = run(&mut Sniffer::new(), &[text]);
        assert!(found.is_none());
        assert_eq!(show, text);
    }

    #[test]
    fn a_header_with_a_wrong_crc_is_shown() {
        let bad = b"**\x18B00000000000001\r\x8a\x11";
        let mut sniffer = Sniffer::new();
        let (show, found) = run(&mut sniffer, &[bad]);
        assert!(found.is_none());
        assert_eq!(show, bad);
        assert!(!sniffer.holding());
    }

    #[test]
    fn other_frame_types_are_shown() {
        // A valid ZACK (type 03) header: not a start.
        let digits = [3u8, 0, 0, 0, 0];
        let crc = crc16(&digits);
        let mut zack = b"**\x18B".to_vec();
        for b in digits.into_iter().chain(crc.to_be_bytes()) {
            zack.extend_from_slice(format!("{b:02x}").as_bytes());
        }
        zack.push(b'\r');
        let (show, found) = run(&mut Sniffer::new(), &[&zack]);
        assert!(found.is_none());
        assert_eq!(show, zack);
    }

    #[test]
    fn a_header_after_stars_and_a_false_start_is_found() {
        let mut line = b"*** ** **\x18B0".to_vec();
        line.extend_from_slice(b"x ");
        line.extend_from_slice(&SZ_START[3..]);
        let (show, found) = run(&mut Sniffer::new(), &[&line]);
        assert_eq!(show, b"*** ** **\x18B0x ");
        assert_eq!(found.expect("found").0.start, ZmodemStart::Download);
    }

    #[test]
    fn held_bytes_wait_for_more_and_flush_shows_them() {
        let mut sniffer = Sniffer::new();
        let mut show = Vec::new();
        assert!(sniffer.feed(b"prompt **\x18B0", &mut show).is_none());
        assert_eq!(show, b"prompt ");
        assert!(sniffer.holding());
        sniffer.flush(&mut show);
        assert_eq!(show, b"prompt **\x18B0");
        assert!(!sniffer.holding());
    }

    #[test]
    fn a_single_zpad_and_uppercase_digits_are_accepted() {
        let (_, found) = run(&mut Sniffer::new(), &[b"*\x18B0100000023BE50\r"]);
        assert_eq!(found.expect("found").0.start, ZmodemStart::Upload);
    }
}
