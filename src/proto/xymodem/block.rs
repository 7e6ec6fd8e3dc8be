//! The block format shared by XMODEM, XMODEM-1K, YMODEM and YMODEM-G:
//! `[SOH|STX] [n] [255-n] [128 or 1024 data bytes] [checksum | CRC hi, lo]`.

use crate::proto::crc::{checksum, crc16, crc32};
use crate::proto::{Check, RetryReason};

/// Start of a 128-byte block.
pub const SOH: u8 = 0x01;
/// Start of a 1024-byte block.
pub const STX: u8 = 0x02;
/// End of transmission (end of file).
pub const EOT: u8 = 0x04;
/// Acknowledge.
pub const ACK: u8 = 0x06;
/// Negative acknowledge; also "start, checksum mode".
pub const NAK: u8 = 0x15;
/// "Start, CRC mode" (and in YMODEM: "go on").
pub const CRC_START: u8 = b'C';
/// "Start YMODEM-G" (streaming).
pub const G_START: u8 = b'G';
/// The pad byte for the unused tail of the last block.
pub const PAD: u8 = 0x1A;

/// Data bytes in an SOH block.
pub const SMALL: usize = 128;
/// Data bytes in an STX block.
pub const LARGE: usize = 1024;
/// The longest block on the wire: STX, n, ~n, 1024 data bytes, CRC.
pub const MAX_FRAME: usize = 3 + LARGE + 2;

/// The header byte for a block of `size` data bytes.
pub const fn header_for(size: usize) -> u8 {
    if size == LARGE { STX } else { SOH }
}

/// Encode one block into `out` (cleared first; its capacity is reused, so a
/// long-lived buffer means no allocation per block). `data` shorter than
/// `size` is padded with `pad`.
pub fn encode(out: &mut Vec<u8>, number: u8, data: &[u8], size: usize, check: Check, pad: u8) {
    debug_assert!(size == SMALL || size == LARGE);
    debug_assert!(data.len() <= size);
    out.clear();
    out.extend_from_slice(&[header_for(size), number, !number]);
    out.extend_from_slice(data);
    out.resize(3 + size, pad);
    let body = &out[3..];
    match check {
        Check::Checksum => {
            let sum = checksum(body);
            out.push(sum);
        }
        Check::Crc16 => {
            let crc = crc16(body);
            out.extend_from_slice(&crc.to_be_bytes());
        }
        // No X/YMODEM peer uses it; defined (big-endian, like CRC-16) so that every check
        // has a block form.
        Check::Crc32 => out.extend_from_slice(&crc32(body).to_be_bytes()),
    }
}

/// Collects the bytes of one block after its header byte, across as many
/// input pieces as they arrive in, then verifies it.
#[derive(Clone)]
pub struct Assembler {
    buf: [u8; MAX_FRAME - 1],
    len: usize,
    want: usize,
    size: usize,
}

impl std::fmt::Debug for Assembler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assembler")
            .field("len", &self.len)
            .field("want", &self.want)
            .field("size", &self.size)
            .finish()
    }
}

impl Default for Assembler {
    fn default() -> Self {
        Self {
            buf: [0; MAX_FRAME - 1],
            len: 0,
            want: 0,
            size: 0,
        }
    }
}

/// A block that passed its checks.
#[derive(Debug, PartialEq, Eq)]
pub struct Block<'a> {
    /// The block number as on the wire.
    pub number: u8,
    /// The data bytes (128 or 1024), padding included.
    pub data: &'a [u8],
}

impl Assembler {
    /// Start collecting the block announced by `header` (SOH or STX).
    pub fn start(&mut self, header: u8, check: Check) {
        self.size = if header == STX { LARGE } else { SMALL };
        self.want = 2 + self.size + check.size();
        self.len = 0;
    }

    /// Data size of the block being collected.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Take as many of `bytes` as the block still needs; returns how many.
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.want - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        n
    }

    /// The first `len` data bytes of the block (valid once complete).
    pub fn data(&self, len: usize) -> &[u8] {
        &self.buf[2..2 + len.min(self.size)]
    }

    /// The block number and its complement as they arrived (possibly damaged), once in.
    pub fn number_pair(&self) -> Option<(u8, u8)> {
        (self.len >= 2).then_some((self.buf[0], self.buf[1]))
    }

    /// All bytes of the block are in.
    pub fn is_complete(&self) -> bool {
        self.len == self.want
    }

    /// Check the complement and the checksum or CRC of a complete block.
    pub fn verify(&self, check: Check) -> Result<Block<'_>, RetryReason> {
        debug_assert!(self.is_complete());
        let number = self.buf[0];
        if self.buf[1] != !number {
            return Err(RetryReason::BadSequence);
        }
        let data = &self.buf[2..2 + self.size];
        let trailer = &self.buf[2 + self.size..self.want];
        let ok = match check {
            Check::Checksum => checksum(data) == trailer[0],
            Check::Crc16 => crc16(data).to_be_bytes() == trailer[..2],
            Check::Crc32 => crc32(data).to_be_bytes() == trailer[..4],
        };
        if ok {
            Ok(Block { number, data })
        } else {
            Err(RetryReason::BadCheck)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_small_crc_block() {
        let mut out = Vec::new();
        encode(&mut out, 1, b"abc", SMALL, Check::Crc16, PAD);
        assert_eq!(out.len(), 133);
        assert_eq!(&out[..6], &[SOH, 1, 0xFE, b'a', b'b', b'c']);
        assert!(out[6..131].iter().all(|&b| b == PAD));
        // CRC over data followed by the CRC bytes leaves no remainder.
        assert_eq!(crc16(&out[3..]), 0);
    }

    #[test]
    fn encode_large_checksum_block() {
        let mut out = Vec::new();
        encode(&mut out, 0xFF, &[1; LARGE], LARGE, Check::Checksum, PAD);
        assert_eq!(out.len(), 1028);
        assert_eq!(&out[..3], &[STX, 0xFF, 0x00]);
        assert_eq!(out[1027], (LARGE as u32) as u8);
    }

    /// The block 0 lrzsz `sb` sent for a 12-byte file (docs/PROTOCOLS.md §2.3).
    #[test]
    fn lrzsz_block0_crc_matches_capture() {
        let mut data = [0u8; 128];
        let text = b"small.txt\x0012 13603256645 100644 0 2 3012";
        data[..text.len()].copy_from_slice(text);
        data[127] = 0x01;
        let mut out = Vec::new();
        encode(&mut out, 0, &data, SMALL, Check::Crc16, 0);
        assert_eq!(&out[131..], &[0xB9, 0x19]);
    }

    #[test]
    fn assemble_in_pieces_and_verify() {
        let mut wire = Vec::new();
        encode(&mut wire, 7, b"hello", SMALL, Check::Crc16, PAD);
        let mut a = Assembler::default();
        a.start(wire[0], Check::Crc16);
        let mut rest = &wire[1..];
        while !rest.is_empty() {
            let n = a.feed(&rest[..rest.len().min(10)]);
            rest = &rest[n..];
        }
        assert!(a.is_complete());
        let b = a.verify(Check::Crc16).unwrap();
        assert_eq!(b.number, 7);
        assert_eq!(&b.data[..5], b"hello");
    }

    #[test]
    fn verify_rejects_bad_complement_and_bad_crc() {
        let mut wire = Vec::new();
        encode(&mut wire, 3, b"x", SMALL, Check::Crc16, PAD);
        let mut bad = wire.clone();
        bad[2] ^= 1;
        let mut a = Assembler::default();
        a.start(bad[0], Check::Crc16);
        a.feed(&bad[1..]);
        assert_eq!(a.verify(Check::Crc16), Err(RetryReason::BadSequence));
        let mut bad = wire;
        bad[50] ^= 0x40;
        a.start(bad[0], Check::Crc16);
        a.feed(&bad[1..]);
        assert_eq!(a.verify(Check::Crc16), Err(RetryReason::BadCheck));
    }
}
