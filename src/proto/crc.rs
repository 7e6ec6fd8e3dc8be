//! Data checks: the 8-bit arithmetic checksum, CRC-16/XMODEM and CRC-32.

use crc::{CRC_16_XMODEM, Crc, Table};

/// Slicing-by-16 (an 8 KiB table): about ten times faster than the byte-at-a-time default,
/// which matters over a pipe, where every block's CRC is on the round trip's critical path
/// (docs/BENCHMARKS.md, micro-benchmarks).
pub(crate) const CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_XMODEM);

/// CRC-16/XMODEM (poly 0x1021, init 0, no reflection) of `data`.
pub fn crc16(data: &[u8]) -> u16 {
    CRC16.checksum(data)
}

/// CRC-32 (poly 0x04C11DB7 reflected, init and final XOR 0xFFFFFFFF, what zlib and ZMODEM
/// compute) of `data`. `crc32fast` picks a carry-less-multiply implementation at run time
/// where the CPU has one (about 4 times the slicing-by-16 table on x86-64; every byte of a
/// ZMODEM transfer goes through it on both sides, docs/BENCHMARKS.md).
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// CRC-32 of `a` followed by `bytes`, given `prev`, the CRC-32 of `a`: for checking a file
/// piece by piece (`crc32_continue(0, x)` is `crc32(x)`).
pub fn crc32_continue(prev: u32, bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(prev);
    hasher.update(bytes);
    hasher.finalize()
}

/// The original XMODEM checksum: the low 8 bits of the byte sum.
pub fn checksum(data: &[u8]) -> u8 {
    // Summing in u32 lanes lets the compiler vectorise; 1024 * 255 fits.
    data.iter().map(|&b| u32::from(b)).sum::<u32>() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_check_value() {
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn crc32_continues_piece_by_piece() {
        let data = b"a file read piece by piece";
        for cut in 0..=data.len() {
            let (a, b) = data.split_at(cut);
            assert_eq!(crc32_continue(crc32(a), b), crc32(data), "cut at {cut}");
        }
        assert_eq!(crc32_continue(0, b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn crc16_residue_is_zero_over_data_and_crc() {
        let data = b"hello world, this is a block";
        let c = crc16(data);
        let mut all = data.to_vec();
        all.extend_from_slice(&c.to_be_bytes());
        assert_eq!(crc16(&all), 0);
    }

    #[test]
    fn checksum_known_value() {
        // sum(b"hello") + sum(b"world") = 0x3c mod 256 (docs/PROTOCOLS.md §1.3)
        assert_eq!(checksum(b"helloworld"), 0x3c);
        assert_eq!(checksum(&[0xFF; 1024]), (1024u32 * 255) as u8);
    }
}
