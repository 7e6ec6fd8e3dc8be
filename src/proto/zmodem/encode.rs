//! Encoding headers and data subpackets into a caller's buffer.

use super::crc32::{crc16_of, crc32, crc32_of};
use super::escape::{EscapeProfile, EscapeTable};
use super::frame::{CrcKind, FrameEnd, FrameType, Header, HeaderFormat};
use super::{XON, ZBIN, ZBIN32, ZDLE, ZHEX, ZPAD};
use crate::proto::crc::crc16;

/// Lower-case hex digits: lrzsz rejects upper case (docs/PROTOCOLS.md §4.3).
const HEX: &[u8; 16] = b"0123456789abcdef";

/// The longest encoding of a header: `*` ZDLE `C`, then 9 bytes (type, 4, CRC-32) all
/// escaped. Hex headers are at most 4 + 14 + 3 = 21 bytes.
pub const MAX_HEADER: usize = 3 + 2 * 9;

/// Encodes headers and subpackets, appending to a caller's `Vec<u8>` (which it never clears),
/// so a buffer that lives as long as the session means no allocation per frame.
///
/// It remembers the last byte it emitted, for the rule that CR is escaped after `@`
/// ([`EscapeProfile::Minimal`]); everything it produces must therefore go on the wire in
/// the order it was produced, with nothing else in between.
#[derive(Debug, Clone)]
pub struct Encoder {
    table: EscapeTable,
    last: u8,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new(EscapeProfile::default())
    }
}

impl Encoder {
    /// An encoder escaping what `profile` asks for.
    pub fn new(profile: EscapeProfile) -> Self {
        Self::with_table(EscapeTable::new(profile))
    }

    /// An encoder with a custom escape table.
    pub fn with_table(table: EscapeTable) -> Self {
        Self { table, last: 0 }
    }

    /// The escape table in use.
    pub fn table(&self) -> &EscapeTable {
        &self.table
    }

    /// Switch to another table, e.g. when the peer asks for ESCCTL.
    pub fn set_table(&mut self, table: EscapeTable) {
        self.table = table;
    }

    /// Append `header` in `format`.
    ///
    /// - Hex: `**` ZDLE `B`, type and the 4 bytes and the CRC-16 as lower-case hex, CR,
    ///   0x8A, and XON except after `ZACK` and `ZFIN` (the engine appends an XON itself
    ///   where lrzsz wants one after a `ZACK`, answering a `ZCRCW`).
    /// - Bin16: `*` ZDLE `A`, then type, 4 bytes and CRC-16 (high byte first), escaped.
    /// - Bin32: `*` ZDLE `C`, then type, 4 bytes and CRC-32 (low byte first), escaped.
    pub fn header(&mut self, out: &mut Vec<u8>, format: HeaderFormat, header: &Header) {
        let raw = header.raw();
        out.reserve(MAX_HEADER);
        match format {
            HeaderFormat::Hex => {
                out.extend_from_slice(&[ZPAD, ZPAD, ZDLE, ZHEX]);
                let crc = crc16(&raw).to_be_bytes();
                for byte in raw.iter().chain(&crc) {
                    out.extend_from_slice(&[
                        HEX[usize::from(byte >> 4)],
                        HEX[usize::from(byte & 0xF)],
                    ]);
                }
                out.extend_from_slice(&[b'\r', b'\n' | 0x80]);
                if !matches!(header.kind, FrameType::Ack | FrameType::Fin) {
                    out.push(XON);
                }
                self.last = out.last().copied().unwrap_or(0);
            }
            HeaderFormat::Bin16 => {
                out.extend_from_slice(&[ZPAD, ZDLE, ZBIN]);
                let crc = crc16(&raw).to_be_bytes();
                self.last = self.table.escape_into(out, &raw, ZBIN);
                self.last = self.table.escape_into(out, &crc, self.last);
            }
            HeaderFormat::Bin32 => {
                out.extend_from_slice(&[ZPAD, ZDLE, ZBIN32]);
                let crc = crc32(&raw).to_le_bytes();
                self.last = self.table.escape_into(out, &raw, ZBIN32);
                self.last = self.table.escape_into(out, &crc, self.last);
            }
        }
    }

    /// Append a data subpacket: `data` escaped, ZDLE and the frame-end byte, then the CRC
    /// over `data` and the frame-end byte (CRC-16 high byte first, CRC-32 low byte first),
    /// escaped; after `ZCRCW`, an XON as lrzsz sends. No length limit is enforced here: the
    /// engine keeps subpackets within what the receiver accepts.
    pub fn subpacket(&mut self, out: &mut Vec<u8>, data: &[u8], end: FrameEnd, crc: CrcKind) {
        // Worst case for typical data is small; reserving the common case once avoids
        // repeated growth on the hot path.
        out.reserve(data.len() + data.len() / 16 + 16);
        self.table.escape_into(out, data, self.last);
        let end_byte = end.byte();
        out.extend_from_slice(&[ZDLE, end_byte]);
        // The last byte on the wire is now the frame-end byte.
        let last = match crc {
            CrcKind::Crc16 => {
                let c = crc16_of(data, &[end_byte]).to_be_bytes();
                self.table.escape_into(out, &c, end_byte)
            }
            CrcKind::Crc32 => {
                let c = crc32_of(data, &[end_byte]).to_le_bytes();
                self.table.escape_into(out, &c, end_byte)
            }
        };
        self.last = last;
        if end == FrameEnd::CrcW {
            out.push(XON);
            self.last = XON;
        }
    }
}
