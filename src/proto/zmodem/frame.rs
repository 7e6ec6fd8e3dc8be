//! ZMODEM frame types, header layout and capability flags (docs/PROTOCOLS.md §4.2, §4.3,
//! §4.7).

/// The type byte that opens every header. The numbers are those of the ZMODEM spec and
/// lrzsz's `zmodem.h`; the names drop the leading `Z` (`RqInit` is `ZRQINIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FrameType {
    /// `ZRQINIT` (0): the sender asks the receiver for its `ZRINIT`.
    RqInit = 0,
    /// `ZRINIT` (1): the receiver's capabilities (F0, F1) and buffer size (P0, P1).
    RInit = 1,
    /// `ZSINIT` (2): the sender's escaping wishes and Attn string (a subpacket follows).
    SInit = 2,
    /// `ZACK` (3): acknowledgement, with a position or the echo of a challenge.
    Ack = 3,
    /// `ZFILE` (4): file options in F0..F3; the file information subpacket follows.
    File = 4,
    /// `ZSKIP` (5): the receiver skips this file.
    Skip = 5,
    /// `ZNAK` (6): the last header was garbled.
    Nak = 6,
    /// `ZABORT` (7): the receiver aborts the batch.
    Abort = 7,
    /// `ZFIN` (8): end of session.
    Fin = 8,
    /// `ZRPOS` (9): the receiver asks for data from this position on.
    RPos = 9,
    /// `ZDATA` (10): data subpackets for this position follow.
    Data = 10,
    /// `ZEOF` (11): end of file; the position is the file length.
    Eof = 11,
    /// `ZFERR` (12): fatal read or write error.
    FErr = 12,
    /// `ZCRC` (13): file CRC request or answer.
    Crc = 13,
    /// `ZCHALLENGE` (14): the sender must echo the position in a `ZACK`.
    Challenge = 14,
    /// `ZCOMPL` (15): request complete.
    Compl = 15,
    /// `ZCAN` (16): pseudo-type for the other end's cancel sequence.
    Can = 16,
    /// `ZFREECNT` (17): asks for free disk space.
    FreeCnt = 17,
    /// `ZCOMMAND` (18): a command subpacket follows.
    Command = 18,
    /// `ZSTDERR` (19): output for stderr follows.
    StdErr = 19,
}

impl FrameType {
    /// Every frame type, in numeric order.
    pub const ALL: [Self; 20] = [
        Self::RqInit,
        Self::RInit,
        Self::SInit,
        Self::Ack,
        Self::File,
        Self::Skip,
        Self::Nak,
        Self::Abort,
        Self::Fin,
        Self::RPos,
        Self::Data,
        Self::Eof,
        Self::FErr,
        Self::Crc,
        Self::Challenge,
        Self::Compl,
        Self::Can,
        Self::FreeCnt,
        Self::Command,
        Self::StdErr,
    ];
}

/// A type byte that names no frame type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownFrameType(pub u8);

impl TryFrom<u8> for FrameType {
    type Error = UnknownFrameType;

    fn try_from(byte: u8) -> Result<Self, Self::Error> {
        Self::ALL
            .get(usize::from(byte))
            .copied()
            .ok_or(UnknownFrameType(byte))
    }
}

impl From<FrameType> for u8 {
    fn from(kind: FrameType) -> Self {
        kind as Self
    }
}

/// `ZRINIT` F0: the receiver can send and receive at the same time.
pub const CANFDX: u8 = 0x01;
/// `ZRINIT` F0: the receiver can receive data during disk I/O.
pub const CANOVIO: u8 = 0x02;
/// `ZRINIT` F0: the receiver can send a break signal.
pub const CANBRK: u8 = 0x04;
/// `ZRINIT` F0: the receiver can decrypt.
pub const CANCRY: u8 = 0x08;
/// `ZRINIT` F0: the receiver can uncompress.
pub const CANLZW: u8 = 0x10;
/// `ZRINIT` F0: the receiver can use 32-bit CRCs.
pub const CANFC32: u8 = 0x20;
/// `ZRINIT` F0: the receiver wants all control bytes escaped.
pub const ESCCTL: u8 = 0x40;
/// `ZRINIT` F0: the receiver wants the 8th bit escaped (defined, implemented nowhere).
pub const ESC8: u8 = 0x80;

/// Index of F0 in [`Header::bytes`] (the 4th byte on the wire).
pub const ZF0: usize = 3;
/// Index of F1 in [`Header::bytes`].
pub const ZF1: usize = 2;
/// Index of F2 in [`Header::bytes`].
pub const ZF2: usize = 1;
/// Index of F3 in [`Header::bytes`] (the 1st byte on the wire).
pub const ZF3: usize = 0;

/// The three ways a header can travel (docs/PROTOCOLS.md §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderFormat {
    /// `** ZDLE B`, hex digits, CRC-16, CR LF (XON).
    Hex,
    /// `* ZDLE A`, escaped binary, CRC-16.
    Bin16,
    /// `* ZDLE C`, escaped binary, CRC-32.
    Bin32,
}

impl HeaderFormat {
    /// The CRC of data subpackets that follow a header in this format: CRC-32 only after a
    /// `Bin32` header.
    pub const fn data_crc(self) -> CrcKind {
        match self {
            Self::Hex | Self::Bin16 => CrcKind::Crc16,
            Self::Bin32 => CrcKind::Crc32,
        }
    }
}

/// The CRC protecting a binary header or a data subpacket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrcKind {
    /// CRC-16/XMODEM, sent high byte first.
    Crc16,
    /// CRC-32/ISO-HDLC (zlib's), sent low byte first.
    Crc32,
}

impl CrcKind {
    /// Bytes of CRC on the wire (before escaping).
    pub const fn len(self) -> usize {
        match self {
            Self::Crc16 => 2,
            Self::Crc32 => 4,
        }
    }

    /// Always false: here for clippy's sake.
    pub const fn is_empty(self) -> bool {
        false
    }
}

/// How a data subpacket ends: ZDLE and one of these bytes, then the CRC
/// (docs/PROTOCOLS.md §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FrameEnd {
    /// `ZCRCE` (`h`): end of frame, a header follows; no reply unless there is an error.
    CrcE = b'h',
    /// `ZCRCG` (`i`): the frame goes on at full speed; no reply.
    CrcG = b'i',
    /// `ZCRCQ` (`j`): the frame goes on; the receiver replies `ZACK`.
    CrcQ = b'j',
    /// `ZCRCW` (`k`): end of frame; the receiver replies `ZACK` and the sender waits.
    CrcW = b'k',
}

impl FrameEnd {
    /// Every frame end, in byte order.
    pub const ALL: [Self; 4] = [Self::CrcE, Self::CrcG, Self::CrcQ, Self::CrcW];

    /// The frame end a byte after ZDLE stands for, if any.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            b'h' => Some(Self::CrcE),
            b'i' => Some(Self::CrcG),
            b'j' => Some(Self::CrcQ),
            b'k' => Some(Self::CrcW),
            _ => None,
        }
    }

    /// The byte sent after ZDLE.
    pub const fn byte(self) -> u8 {
        self as u8
    }

    /// True if a header (not another subpacket) follows: `ZCRCE` and `ZCRCW`.
    pub const fn ends_frame(self) -> bool {
        matches!(self, Self::CrcE | Self::CrcW)
    }
}

/// One header: a frame type and four bytes, read either as a little-endian position (P0 is
/// `bytes[0]`) or as flags (F0 is `bytes[3]`, see [`ZF0`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// The frame type.
    pub kind: FrameType,
    /// The four bytes after the type, in wire order.
    pub bytes: [u8; 4],
}

impl Header {
    /// A header with all four bytes zero.
    pub const fn new(kind: FrameType) -> Self {
        Self {
            kind,
            bytes: [0; 4],
        }
    }

    /// A header carrying a position (or any 32-bit number: buffer size, CRC, challenge).
    pub const fn with_position(kind: FrameType, position: u32) -> Self {
        Self {
            kind,
            bytes: position.to_le_bytes(),
        }
    }

    /// A header carrying flags F0..F3 (given in that order).
    pub const fn with_flags(kind: FrameType, f0: u8, f1: u8, f2: u8, f3: u8) -> Self {
        Self {
            kind,
            bytes: [f3, f2, f1, f0],
        }
    }

    /// The four bytes read as a little-endian position.
    pub const fn position(&self) -> u32 {
        u32::from_le_bytes(self.bytes)
    }

    /// Flag byte F0 (options, capabilities).
    pub const fn f0(&self) -> u8 {
        self.bytes[ZF0]
    }

    /// Flag byte F1.
    pub const fn f1(&self) -> u8 {
        self.bytes[ZF1]
    }

    /// Flag byte F2.
    pub const fn f2(&self) -> u8 {
        self.bytes[ZF2]
    }

    /// Flag byte F3.
    pub const fn f3(&self) -> u8 {
        self.bytes[ZF3]
    }

    /// The type byte and the four bytes, as the header CRC covers them.
    pub const fn raw(&self) -> [u8; 5] {
        let b = self.bytes;
        [self.kind as u8, b[0], b[1], b[2], b[3]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_type_numbers_match_zmodem_h() {
        for (i, kind) in FrameType::ALL.iter().enumerate() {
            assert_eq!(u8::from(*kind), i as u8);
            assert_eq!(FrameType::try_from(i as u8), Ok(*kind));
        }
        assert_eq!(FrameType::Data as u8, 10);
        assert_eq!(FrameType::StdErr as u8, 19);
        assert_eq!(FrameType::try_from(20), Err(UnknownFrameType(20)));
        assert_eq!(FrameType::try_from(0xFF), Err(UnknownFrameType(0xFF)));
    }

    #[test]
    fn position_is_little_endian_and_flags_reversed() {
        let h = Header::with_position(FrameType::RPos, 0x0403_0201);
        assert_eq!(h.bytes, [1, 2, 3, 4]);
        assert_eq!(h.position(), 0x0403_0201);
        assert_eq!((h.f0(), h.f1(), h.f2(), h.f3()), (4, 3, 2, 1));
        let z = Header::with_flags(FrameType::RInit, CANFC32 | CANFDX | CANOVIO, 0, 0, 0);
        assert_eq!(z.bytes, [0, 0, 0, 0x23]);
        assert_eq!(z.raw(), [1, 0, 0, 0, 0x23]);
    }
}
