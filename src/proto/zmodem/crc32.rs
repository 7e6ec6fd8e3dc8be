//! The CRCs of "data plus frame-end byte" without copying, and CRC-32 for the codec's users.

use crate::proto::crc::CRC16;
#[cfg(test)]
use crate::proto::crc::crc16;
pub use crate::proto::crc::crc32;

/// CRC-32 of `data` followed by `tail`, as if they were one slice.
pub(super) fn crc32_of(data: &[u8], tail: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(data);
    hasher.update(tail);
    hasher.finalize()
}

/// CRC-16/XMODEM of `data` followed by `tail`, as if they were one slice.
pub(super) fn crc16_of(data: &[u8], tail: &[u8]) -> u16 {
    let mut digest = CRC16.digest();
    digest.update(data);
    digest.update(tail);
    digest.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value_and_zfile_header() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // The ZFILE header lrzsz sz sent (docs/PROTOCOLS.md §4.3, §4.5): CRC bytes dd 51 a2 33.
        assert_eq!(
            crc32(&[4, 0, 0, 0, 0]).to_le_bytes(),
            [0xdd, 0x51, 0xa2, 0x33]
        );
    }

    #[test]
    fn split_crcs_equal_whole() {
        let all = b"hello world, a subpacket\x68";
        let (data, tail) = all.split_at(all.len() - 1);
        assert_eq!(crc32_of(data, tail), crc32(all));
        assert_eq!(crc16_of(data, tail), crc16(all));
        assert_eq!(crc16_of(b"", b"123456789"), 0x31C3);
        assert_eq!(crc32_of(b"", b""), crc32(b""));
    }
}
