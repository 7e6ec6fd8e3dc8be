//! The incremental decoder: headers found anywhere in garbage, then data subpackets on
//! request. Everything it reads is treated as hostile (see the [module docs](super)).

use super::crc32::{crc16_of, crc32_of};
use super::frame::{CrcKind, FrameEnd, FrameType, Header, HeaderFormat};
use super::scan::{ByteSet, CHUNK};
use super::{CAN, XOFF, XON, ZBIN, ZBIN32, ZDLE, ZHEX, ZPAD};
use crate::proto::crc::crc16;

/// Longest data subpacket accepted by default: lrzsz's `MAX_BLOCK` (8192, sent by `sz -8`).
pub const DEFAULT_MAX_DATA: usize = 8192;

/// Consecutive CAN bytes (ZDLE is CAN) that cancel the session.
const CANCEL_RUN: u8 = 5;

/// Room the data buffer keeps past [`DecoderConfig::max_data`]: the fast path copies whole
/// chunks, which may write up to two chunks past the bytes it keeps.
pub(super) const DATA_SLACK: usize = 2 * CHUNK;

/// Decoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Longest data subpacket accepted (decoded bytes, CRC excluded); a longer one is
    /// reported as [`BadData::TooLong`] and never buffered beyond this.
    pub max_data: usize,
    /// Drop every raw (unescaped) control byte, as lrzsz does when it asked for ESCCTL: the
    /// link may insert them. XON and XOFF (with and without bit 7) are always dropped.
    pub drop_controls: bool,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            max_data: DEFAULT_MAX_DATA,
            drop_controls: false,
        }
    }
}

/// What the decoder found. Each call to [`Decoder::feed`] stops right after one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A header whose CRC checks and whose type is known.
    Header {
        /// The header.
        header: Header,
        /// How it came: the CRC of any data that follows depends on it
        /// ([`HeaderFormat::data_crc`]).
        format: HeaderFormat,
    },
    /// A data subpacket whose CRC checks; its bytes are [`Decoder::data`]. After `ZCRCE`
    /// and `ZCRCW` the decoder is back to looking for headers; after `ZCRCG` and `ZCRCQ` it
    /// expects the next subpacket.
    Data {
        /// How the subpacket ended.
        end: FrameEnd,
    },
    /// Five CAN bytes in a row (ZDLE and four more CAN): the peer cancelled.
    Cancel,
    /// Something that started as a header was not a valid one (answer: `ZNAK`). The decoder
    /// looks for the next header.
    BadHeader(BadHeader),
    /// A data subpacket was damaged (answer: `ZRPOS`). The decoder looks for the next
    /// header.
    BadData(BadData),
}

/// Why a header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadHeader {
    /// The CRC does not match.
    Crc,
    /// A hex header held this byte where a hex digit belongs.
    HexDigit(u8),
    /// A binary header held ZDLE followed by this byte, which is no valid escape there.
    Escape(u8),
    /// The CRC matched but the type byte names no frame type.
    UnknownType(u8),
}

/// Why a data subpacket was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadData {
    /// The CRC does not match.
    Crc,
    /// Longer than [`DecoderConfig::max_data`].
    TooLong,
    /// ZDLE followed by this byte, which is no valid escape there.
    Escape(u8),
}

/// Where the decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for ZPAD.
    Hunt,
    /// Seen ZPAD (one or more): ZDLE next.
    Pad,
    /// Seen ZPAD ZDLE: the format letter next.
    PadDle,
    /// Reading the 14 hex digits of a hex header; `have` so far.
    Hex { have: u8 },
    /// Reading the escaped bytes of a binary header into `head`; `have` so far.
    Bin { format: HeaderFormat, have: u8 },
    /// Reading subpacket data.
    Data,
    /// Reading the CRC after ZDLE and `end`; `have` bytes so far in `head`.
    DataCrc { end: FrameEnd, have: u8 },
}

/// After a hex header: an optional CR, then an optional LF, both with or without bit 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trailer {
    None,
    CrOrLf,
    Lf,
}

/// What a byte after ZDLE means.
enum Escaped {
    Byte(u8),
    End(FrameEnd),
    Bad,
}

fn unescape(code: u8) -> Escaped {
    if let Some(end) = FrameEnd::from_byte(code) {
        return Escaped::End(end);
    }
    match code {
        b'l' => Escaped::Byte(0x7F),
        b'm' => Escaped::Byte(0xFF),
        c if c & 0x60 == 0x40 => Escaped::Byte(c ^ 0x40),
        _ => Escaped::Bad,
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The incremental ZMODEM decoder. Feed it whatever arrived, in pieces of any size; it
/// stops after each [`Item`] so the engine can act (and, after a header announcing data,
/// call [`expect_data`](Self::expect_data)) before feeding the rest.
///
/// Memory is bounded: a fixed header buffer and a data buffer of
/// [`DecoderConfig::max_data`] bytes (and a little room for whole-chunk copies), allocated
/// once and reused for every subpacket.
#[derive(Debug, Clone)]
pub struct Decoder {
    cfg: DecoderConfig,
    state: State,
    /// CRC of the subpackets being read.
    crc: CrcKind,
    /// Raw bytes that are dropped wherever they appear.
    drop: [bool; 256],
    /// Bytes that end a run of plain data: the dropped ones and ZDLE.
    special: ByteSet,
    /// The byte each code after ZDLE stands for inside data, or `None` where the fast path
    /// stops and leaves the code to [`step`](Self::step): a frame end, CAN, a dropped byte,
    /// or no valid escape.
    plain_code: [Option<u8>; 256],
    /// Decoded header bytes (type, 4, CRC up to 4), or a subpacket's CRC.
    head: [u8; 9],
    /// The subpacket being read is `buf[..len]`; `buf` is either empty (no data expected
    /// yet) or [`DecoderConfig::max_data`] plus [`DATA_SLACK`] bytes long.
    buf: Vec<u8>,
    len: usize,
    /// The previous byte was ZDLE (in a binary header or a subpacket).
    escaped: bool,
    trailer: Trailer,
    /// CAN bytes in a row so far.
    cans: u8,
    /// The data buffer holds a delivered subpacket, to be cleared on the next feed.
    delivered: bool,
    /// Bytes skipped while looking for a header since the item before the last one.
    garbage: u64,
    /// An item was returned: restart the garbage count on the next feed.
    counted: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DecoderConfig::default())
    }
}

impl Decoder {
    /// A decoder looking for a header.
    pub fn new(cfg: DecoderConfig) -> Self {
        let mut drop = [false; 256];
        for byte in [XON, XOFF, XON | 0x80, XOFF | 0x80] {
            drop[usize::from(byte)] = true;
        }
        if cfg.drop_controls {
            for byte in 0..=255u8 {
                if byte & 0x60 == 0 && byte != ZDLE {
                    drop[usize::from(byte)] = true;
                }
            }
        }
        let mut special = drop;
        special[usize::from(ZDLE)] = true;
        let special = ByteSet::new(special);
        let plain_code = std::array::from_fn(|code| match unescape(code as u8) {
            Escaped::Byte(value) if code as u8 != CAN && !drop[code] => Some(value),
            _ => None,
        });
        Self {
            cfg,
            state: State::Hunt,
            crc: CrcKind::Crc16,
            drop,
            special,
            plain_code,
            head: [0; 9],
            buf: Vec::new(),
            len: 0,
            escaped: false,
            trailer: Trailer::None,
            cans: 0,
            delivered: false,
            garbage: 0,
            counted: false,
        }
    }

    /// The settings.
    pub fn config(&self) -> DecoderConfig {
        self.cfg
    }

    /// Read data subpackets protected by `crc` from now on (after a header that announces
    /// data: `ZDATA`, `ZFILE`, `ZSINIT`, `ZCOMMAND`...; `crc` is the header's
    /// [`HeaderFormat::data_crc`]). Any half-read header is dropped.
    pub fn expect_data(&mut self, crc: CrcKind) {
        self.state = State::Data;
        self.crc = crc;
        self.escaped = false;
        self.len = 0;
        self.delivered = false;
        // Allocated once, exactly: the buffer then never grows.
        if self.buf.is_empty() {
            self.buf = vec![0; self.cfg.max_data + DATA_SLACK];
        }
    }

    /// Go back to looking for a header, dropping anything half read.
    pub fn hunt(&mut self) {
        self.state = State::Hunt;
        self.escaped = false;
        self.len = 0;
        self.delivered = false;
    }

    /// True while reading data subpackets (between [`expect_data`](Self::expect_data) and
    /// the end of the frame or an error).
    pub fn in_data(&self) -> bool {
        matches!(self.state, State::Data | State::DataCrc { .. })
    }

    /// The bytes of the subpacket just reported by [`Item::Data`]; valid until the next
    /// [`feed`](Self::feed).
    pub fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Bytes skipped while looking for a header since the previous item: after an item, the
    /// garbage that came before it; otherwise the garbage so far. lrzsz gives up after about
    /// 1400 plus the baud rate of them.
    pub fn garbage(&self) -> u64 {
        self.garbage
    }

    /// Capacity of the data buffer (for the fuzz body's memory check).
    pub(super) fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Decode from `input` until one item is complete or the input is used up. Returns how
    /// many bytes were consumed (at least one of non-empty input; all of them when no item
    /// came) and the item, if any. Call again with the rest after acting on the item.
    pub fn feed(&mut self, input: &[u8]) -> (usize, Option<Item>) {
        if self.delivered {
            self.len = 0;
            self.delivered = false;
        }
        if self.counted {
            self.garbage = 0;
            self.counted = false;
        }
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Data && !self.escaped && self.trailer == Trailer::None {
                let (used, item) = self.data_run(&input[i..]);
                i += used;
                if item.is_some() {
                    self.counted = true;
                    return (i, item);
                }
                if i == input.len() {
                    break;
                }
            }
            let byte = input[i];
            i += 1;
            if let Some(item) = self.step(byte) {
                self.counted = true;
                return (i, Some(item));
            }
        }
        (i, None)
    }

    /// The fast path through subpacket data: plain bytes are copied, ZDLE and a plain escape
    /// code decoded, dropped bytes skipped. Returns how much of `rest` it used and, if the
    /// subpacket grew too long, that item (having used the byte that did not fit). It stops
    /// before anything else (a frame end, a CAN, a bad escape, a ZDLE at the end of the
    /// input), which [`step`](Self::step) then reads.
    ///
    /// Whole chunks go through [`data_chunk`](Self::data_chunk) while the input holds two
    /// more chunks and the buffer has room for one; what is left, near the end of the input
    /// or of `max_data`, goes the careful way ([`data_tail`](Self::data_tail)).
    fn data_run(&mut self, rest: &[u8]) -> (usize, Option<Item>) {
        let before = self.len;
        let mut from = 0;
        let mut stopped = false;
        while from + 2 * CHUNK + 2 <= rest.len() && self.len + CHUNK <= self.cfg.max_data {
            match self.data_chunk(rest, from) {
                Ok(next) => from = next,
                Err(at) => {
                    from = at;
                    stopped = true;
                    break;
                }
            }
        }
        if self.len > before {
            // A byte of data came (a dropped byte alone does not count).
            self.cans = 0;
        }
        if stopped {
            return (from, None);
        }
        let (used, item) = self.data_tail(&rest[from..]);
        (from + used, item)
    }

    /// Decode the chunk at `rest[from..]` onto the data: `Ok` with where the next chunk
    /// begins (one further when the chunk ends in ZDLE, whose code is read too), or `Err`
    /// with where a ZDLE that the fast path leaves to [`step`](Self::step) begins, the data
    /// decoded up to it.
    ///
    /// The chunk is copied whole; then each ZDLE is overwritten with the byte it stands for
    /// and each dropped byte removed, and after each the chunk's bytes from there on are
    /// copied again one place back. `rest` must hold two chunks and two bytes from `from`,
    /// and the buffer room for a chunk.
    #[inline(always)]
    fn data_chunk(&mut self, rest: &[u8], from: usize) -> Result<usize, usize> {
        let chunk: &[u8; CHUNK] = rest[from..from + CHUNK].try_into().unwrap_or(&[0; CHUNK]);
        let to = self.len;
        let buf = &mut self.buf[..];
        buf[to..to + CHUNK].copy_from_slice(chunk);
        let mut maybe = self.special.candidates(chunk);
        let mut removed = 0;
        let mut end = from + CHUNK;
        while maybe != 0 {
            let i = maybe.trailing_zeros() as usize;
            maybe &= maybe - 1;
            let byte = chunk[i];
            // With the sets in use the quick test is exact and this branch never taken.
            if !self.special.is_exact() && !self.special.contains(byte) {
                continue;
            }
            let at = to + i - removed;
            let next = if byte == ZDLE {
                let Some(value) = self.plain_code[usize::from(rest[from + i + 1])] else {
                    self.len = at;
                    return Err(from + i);
                };
                buf[at] = value;
                // The code is used: no candidate (codes are never ZDLE or dropped bytes,
                // but the quick test may flag them).
                maybe &= !(2 << i);
                end = end.max(from + i + 2);
                from + i + 2
            } else {
                from + i + 1
            };
            removed += 1;
            let at = at + usize::from(byte == ZDLE);
            buf[at..at + CHUNK].copy_from_slice(&rest[next..next + CHUNK]);
        }
        self.len = to + (end - from) - removed;
        Ok(end)
    }

    /// [`data_run`](Self::data_run) for the last bytes of the input or of `max_data`: plain
    /// runs are copied in one piece, escapes and dropped bytes handled as found.
    fn data_tail(&mut self, rest: &[u8]) -> (usize, Option<Item>) {
        let max = self.cfg.max_data;
        let Self {
            special,
            plain_code,
            buf,
            len,
            cans,
            ..
        } = self;
        let mut start = 0;
        let mut overflow = None;
        // Copy `rest[from..to]`: false (and `overflow` set) if it does not fit.
        let mut copy = |from: usize, to: usize, buf: &mut [u8], len: &mut usize, cans: &mut u8| {
            let plain = &rest[from..to];
            let room = max.saturating_sub(*len);
            let fits = plain.len().min(room);
            buf[*len..*len + fits].copy_from_slice(&plain[..fits]);
            *len += fits;
            if plain.len() > room {
                overflow = Some(from + room + 1);
                return false;
            }
            if !plain.is_empty() {
                *cans = 0;
            }
            true
        };
        let stopped = special.find_with(rest, |at| {
            if !copy(start, at, buf, len, cans) {
                return true;
            }
            start = at;
            if rest[at] != ZDLE {
                // A dropped byte.
                start = at + 1;
                return false;
            }
            let Some(&code) = rest.get(at + 1) else {
                return true;
            };
            let Some(value) = plain_code[usize::from(code)] else {
                return true;
            };
            if *len >= max {
                return true;
            }
            buf[*len] = value;
            *len += 1;
            *cans = 0;
            start = at + 2;
            false
        });
        if stopped.is_none() && copy(start, rest.len(), buf, len, cans) {
            start = rest.len();
        }
        match overflow {
            Some(used) => (used, Some(self.too_long())),
            None => (start, None),
        }
    }

    fn too_long(&mut self) -> Item {
        self.fail_data(BadData::TooLong)
    }

    fn fail_data(&mut self, why: BadData) -> Item {
        self.hunt();
        Item::BadData(why)
    }

    /// After a header error caused by `byte`: look for the next header, starting at `byte`
    /// if it is a ZPAD.
    fn fail_header(&mut self, why: BadHeader, byte: u8) -> Item {
        self.escaped = false;
        self.state = if byte & 0x7F == ZPAD {
            State::Pad
        } else {
            State::Hunt
        };
        Item::BadHeader(why)
    }

    /// One byte, the slow way.
    fn step(&mut self, byte: u8) -> Option<Item> {
        if self.drop[usize::from(byte)] {
            return None;
        }
        if byte == CAN {
            self.cans += 1;
            if self.cans >= CANCEL_RUN {
                self.cans = 0;
                self.trailer = Trailer::None;
                self.hunt();
                return Some(Item::Cancel);
            }
        } else {
            self.cans = 0;
        }
        if self.trailer != Trailer::None {
            match (self.trailer, byte & 0x7F) {
                (Trailer::CrOrLf, b'\r') => {
                    self.trailer = Trailer::Lf;
                    return None;
                }
                (_, b'\n') => {
                    self.trailer = Trailer::None;
                    return None;
                }
                _ => self.trailer = Trailer::None,
            }
        }
        match self.state {
            State::Hunt => {
                if byte & 0x7F == ZPAD {
                    self.state = State::Pad;
                } else {
                    self.garbage = self.garbage.saturating_add(1);
                }
                None
            }
            State::Pad => {
                match byte & 0x7F {
                    ZPAD => {}
                    ZDLE => self.state = State::PadDle,
                    _ => {
                        self.state = State::Hunt;
                        self.garbage = self.garbage.saturating_add(1);
                    }
                }
                None
            }
            State::PadDle => {
                self.state = match byte & 0x7F {
                    ZHEX => State::Hex { have: 0 },
                    ZBIN => State::Bin {
                        format: HeaderFormat::Bin16,
                        have: 0,
                    },
                    ZBIN32 => State::Bin {
                        format: HeaderFormat::Bin32,
                        have: 0,
                    },
                    ZPAD => State::Pad,
                    _ => {
                        self.garbage = self.garbage.saturating_add(1);
                        State::Hunt
                    }
                };
                self.escaped = false;
                None
            }
            State::Hex { have } => self.hex_digit(byte, have),
            State::Bin { format, have } => {
                let value = match self.unescaped(byte) {
                    None => return None,
                    Some(Escaped::Byte(value)) => value,
                    Some(Escaped::End(_) | Escaped::Bad) => {
                        return Some(self.fail_header(BadHeader::Escape(byte), byte));
                    }
                };
                let crc = format.data_crc();
                let have = usize::from(have);
                self.head[have] = value;
                if have + 1 < 5 + crc.len() {
                    self.state = State::Bin {
                        format,
                        have: have as u8 + 1,
                    };
                    return None;
                }
                self.state = State::Hunt;
                let (raw, trailer) = self.head.split_at(5);
                let ok = match crc {
                    CrcKind::Crc16 => crc16(raw).to_be_bytes() == trailer[..2],
                    CrcKind::Crc32 => super::crc32::crc32(raw).to_le_bytes() == trailer[..4],
                };
                Some(self.header_item(ok, format))
            }
            State::Data => {
                match self.unescaped(byte) {
                    None => {}
                    Some(Escaped::Byte(value)) => {
                        if self.len >= self.cfg.max_data {
                            return Some(self.too_long());
                        }
                        self.buf[self.len] = value;
                        self.len += 1;
                    }
                    Some(Escaped::End(end)) => self.state = State::DataCrc { end, have: 0 },
                    Some(Escaped::Bad) => return Some(self.fail_data(BadData::Escape(byte))),
                }
                None
            }
            State::DataCrc { end, have } => {
                let value = match self.unescaped(byte) {
                    None => return None,
                    Some(Escaped::Byte(value)) => value,
                    Some(Escaped::End(_) | Escaped::Bad) => {
                        return Some(self.fail_data(BadData::Escape(byte)));
                    }
                };
                let have = usize::from(have);
                self.head[have] = value;
                if have + 1 < self.crc.len() {
                    self.state = State::DataCrc {
                        end,
                        have: have as u8 + 1,
                    };
                    return None;
                }
                let tail = [end.byte()];
                let ok = match self.crc {
                    CrcKind::Crc16 => crc16_of(self.data(), &tail).to_be_bytes() == self.head[..2],
                    CrcKind::Crc32 => crc32_of(self.data(), &tail).to_le_bytes() == self.head[..4],
                };
                if !ok {
                    return Some(self.fail_data(BadData::Crc));
                }
                self.state = if end.ends_frame() {
                    State::Hunt
                } else {
                    State::Data
                };
                self.delivered = true;
                Some(Item::Data { end })
            }
        }
    }

    /// ZDLE handling inside a binary header or a subpacket: `None` while there is nothing
    /// to decode yet (this byte was ZDLE, or a CAN right after it).
    fn unescaped(&mut self, byte: u8) -> Option<Escaped> {
        if self.escaped {
            if byte == CAN {
                // ZDLE CAN...: counted towards a cancel; lrzsz reads on.
                return None;
            }
            self.escaped = false;
            Some(unescape(byte))
        } else if byte == ZDLE {
            self.escaped = true;
            None
        } else {
            Some(Escaped::Byte(byte))
        }
    }

    fn hex_digit(&mut self, byte: u8, have: u8) -> Option<Item> {
        let Some(value) = hex_value(byte & 0x7F) else {
            return Some(self.fail_header(BadHeader::HexDigit(byte), byte));
        };
        let index = usize::from(have / 2);
        if have.is_multiple_of(2) {
            self.head[index] = value << 4;
        } else {
            self.head[index] |= value;
        }
        let have = have + 1;
        if have < 14 {
            self.state = State::Hex { have };
            return None;
        }
        self.state = State::Hunt;
        self.trailer = Trailer::CrOrLf;
        let ok = crc16(&self.head[..5]).to_be_bytes() == self.head[5..7];
        Some(self.header_item(ok, HeaderFormat::Hex))
    }

    /// The item for the header in `head[..5]`, whose CRC did (`ok`) or did not check.
    fn header_item(&mut self, ok: bool, format: HeaderFormat) -> Item {
        if !ok {
            return Item::BadHeader(BadHeader::Crc);
        }
        let [kind, b0, b1, b2, b3, ..] = self.head;
        match FrameType::try_from(kind) {
            Ok(kind) => Item::Header {
                header: Header {
                    kind,
                    bytes: [b0, b1, b2, b3],
                },
                format,
            },
            Err(_) => Item::BadHeader(BadHeader::UnknownType(kind)),
        }
    }
}
