//! YMODEM block 0: the file header.
//!
//! Layout: `name NUL "size mtime mode serial files_left bytes_left" NUL`, size and the counts in
//! decimal, mtime, mode and serial in octal, fields droppable from the end, unused bytes NUL.
//! Parsing is tolerant of what real senders do: lrzsz writes a record count into bytes 126-127
//! (so the block is not all NUL), truncates long names to 128 bytes with no NUL, and leaves
//! fields out; `data[0] == 0` ends the batch whatever follows.

use super::block::{LARGE, SMALL};
use crate::proto::file::{self, FileInfo};

/// The header does not fit in a 1024-byte block (the name is too long).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("file name too long for a YMODEM header ({0} bytes)")]
pub struct TooLong(pub usize);

/// Encode a header into `out` (cleared first). Returns the block size to use: 128 if it fits,
/// else 1024.
pub fn encode(info: &FileInfo, out: &mut Vec<u8>) -> Result<usize, TooLong> {
    out.clear();
    file::encode_info(info, out);
    let size = match out.len() {
        n if n <= SMALL => SMALL,
        n if n <= LARGE => LARGE,
        n => return Err(TooLong(n)),
    };
    out.resize(size, 0);
    Ok(size)
}

/// Parse the data of a block 0. `None` is the end-of-batch header (empty name).
pub fn parse(data: &[u8]) -> Option<FileInfo> {
    if data.first().is_none_or(|&b| b == 0) {
        return None;
    }
    Some(file::parse_info(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(text: &[u8]) -> Vec<u8> {
        let mut b = text.to_vec();
        b.resize(128, 0);
        b
    }

    /// lrzsz `sb` for a 12-byte file, first of 2 (3012 bytes in all; docs/PROTOCOLS.md §2.3), with
    /// its CP/M record count in byte 127.
    #[test]
    fn parses_lrzsz_header_with_record_count() {
        let mut b = block(b"small.txt\x0012 13603256645 100644 0 2 3012");
        b[127] = 0x01;
        let info = parse(&b).unwrap();
        assert_eq!(info.name, b"small.txt");
        assert_eq!(info.size, Some(12));
        assert_eq!(info.mtime, Some(0o13603256645));
        assert_eq!(info.mode, Some(0o100644));
        assert_eq!((info.files_left, info.bytes_left), (Some(2), Some(3012)));
    }

    #[test]
    fn parses_spec_example_without_serial() {
        let info = parse(&block(b"bbcsched.txt\x006347 3314742513 100644")).unwrap();
        assert_eq!(info.size, Some(6347));
        assert_eq!(info.mtime, Some(0o3314742513));
        assert_eq!(info.mode, Some(0o100644));
        assert_eq!(info.files_left, None);
    }

    #[test]
    fn missing_fields_and_zero_meaning_unknown() {
        let info = parse(&block(b"a.bin\x00100")).unwrap();
        assert_eq!((info.size, info.mtime, info.mode), (Some(100), None, None));
        let info = parse(&block(b"a.bin\x00100 0 0")).unwrap();
        assert_eq!((info.size, info.mtime, info.mode), (Some(100), None, None));
        let info = parse(&block(b"name-only")).unwrap();
        assert_eq!((info.name.as_slice(), info.size), (&b"name-only"[..], None));
        // Garbage in a field stops the parse there.
        let info = parse(&block(b"a\x00100 9z 644")).unwrap();
        assert_eq!((info.size, info.mtime, info.mode), (Some(100), None, None));
    }

    /// Issue 9, item 1: an mtime of 2^63 s or more (octal 1000000000000000000000) fits no
    /// clock; it is dropped where it is parsed, and the fields after it still count.
    #[test]
    fn an_mtime_past_any_clock_is_dropped() {
        let info = parse(&block(b"a\x00100 1000000000000000000000 644")).unwrap();
        assert_eq!(
            (info.size, info.mtime, info.mode),
            (Some(100), None, Some(0o644))
        );
        let info = parse(&block(b"a\x00100 777777777777777777777 644")).unwrap();
        assert_eq!(info.mtime, Some(crate::proto::file::MAX_MTIME));
        // Past u64 too: the field does not parse, and the fields after it are not trusted.
        let info = parse(&block(b"a\x00100 7777777777777777777777777 644")).unwrap();
        assert_eq!((info.size, info.mtime, info.mode), (Some(100), None, None));
    }

    #[test]
    fn long_name_without_nul() {
        // lrzsz sends a 130-character name as 128 name bytes, no NUL, no length.
        let b = vec![b'n'; 128];
        let info = parse(&b).unwrap();
        assert_eq!(info.name.len(), 128);
        assert_eq!(info.size, None);
    }

    #[test]
    fn end_of_batch_is_data0_zero_even_with_junk_after() {
        let mut b = vec![0u8; 128];
        assert_eq!(parse(&b), None);
        b[127] = 0x18; // lrzsz's stale record count
        assert_eq!(parse(&b), None);
    }

    #[test]
    fn sizes_over_4_gib() {
        let info = parse(&block(b"big.img\x006442450944 0 100644")).unwrap();
        assert_eq!(info.size, Some(6 << 30));
        let mut out = Vec::new();
        let info = FileInfo {
            name: b"big.img".to_vec(),
            size: Some(6 << 30),
            ..Default::default()
        };
        encode(&info, &mut out).unwrap();
        assert_eq!(parse(&out).unwrap().size, Some(6 << 30));
    }

    #[test]
    fn encode_matches_lrzsz_layout_and_round_trips() {
        let info = FileInfo {
            name: b"small.txt".to_vec(),
            size: Some(12),
            mtime: Some(0o13603256645),
            mode: Some(0o100644),
            files_left: Some(2),
            bytes_left: Some(3012),
        };
        let mut out = Vec::new();
        assert_eq!(encode(&info, &mut out), Ok(128));
        assert!(out.starts_with(b"small.txt\x0012 13603256645 100644 0 2 3012\x00"));
        assert!(out[43..].iter().all(|&b| b == 0));
        assert_eq!(parse(&out), Some(info));
    }

    #[test]
    fn encode_uses_1k_block_when_needed_and_refuses_huge_names() {
        let mut out = Vec::new();
        let info = FileInfo {
            name: vec![b'x'; 200],
            size: Some(1),
            ..Default::default()
        };
        assert_eq!(encode(&info, &mut out), Ok(1024));
        assert_eq!(parse(&out).unwrap().name.len(), 200);
        let info = FileInfo {
            name: vec![b'x'; 1100],
            ..Default::default()
        };
        assert!(encode(&info, &mut out).is_err());
    }
}
