//! The block and header codec fuzz bodies.

use super::{Input, file_info};
use crate::proto::xymodem::block::{self, Assembler, LARGE, SMALL};
use crate::proto::xymodem::header;
use crate::proto::{Check, FileInfo};

// ---------------------------------------------------------------------------------------------
// Block and header codecs

/// The block assembler on arbitrary bytes, then a round trip. `data[0]`: header byte (bit 0:
/// STX), check (bit 1: checksum), piece size (bits 2-7). The input is then collected into
/// blocks, each complete block verified; a block that passes must re-encode to the same
/// bytes. Finally the input's head is encoded as a block, which must assemble and verify to
/// the same number and data, and must fail to verify with any one byte changed.
pub fn block(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let check = if flags & 2 == 0 {
        Check::Crc16
    } else {
        Check::Checksum
    };
    let piece = usize::from(flags >> 2) + 1;
    let mut header = if flags & 1 == 0 {
        block::SOH
    } else {
        block::STX
    };
    let mut asm = Assembler::default();
    let mut wire = Vec::with_capacity(block::MAX_FRAME);

    // Arbitrary bytes, collected in pieces.
    let mut rest = input.data;
    asm.start(header, check);
    let mut got = vec![header];
    while !rest.is_empty() {
        let take = &rest[..piece.min(rest.len())];
        let n = asm.feed(take);
        assert!(n <= take.len());
        assert!(n > 0, "an incomplete block took nothing");
        got.extend_from_slice(&take[..n]);
        rest = &rest[n..];
        if asm.is_complete() {
            assert_eq!(asm.feed(rest), 0, "a complete block took more");
            assert_eq!(got.len(), 3 + asm.size() + check.size());
            if let Ok(b) = asm.verify(check) {
                assert_eq!(b.data.len(), asm.size());
                block::encode(&mut wire, b.number, b.data, asm.size(), check, 0);
                assert_eq!(wire, got, "a verified block re-encodes differently");
            }
            // The next byte starts the next block.
            let Some((&h, tail)) = rest.split_first() else {
                break;
            };
            header = h;
            rest = tail;
            asm.start(header, check);
            got.clear();
            got.push(if header == block::STX {
                block::STX
            } else {
                block::SOH
            });
        }
    }

    // Round trip.
    let number = data.first().copied().unwrap_or(0);
    let size = if flags & 1 == 0 { SMALL } else { LARGE };
    let payload = &data[..data.len().min(size)];
    block::encode(&mut wire, number, payload, size, check, block::PAD);
    assert_eq!(wire.len(), 3 + size + check.size());
    let assemble = |wire: &[u8], asm: &mut Assembler| {
        asm.start(wire[0], check);
        let mut rest = &wire[1..];
        while !rest.is_empty() {
            let n = asm.feed(&rest[..piece.min(rest.len())]);
            rest = &rest[n..];
        }
        assert!(asm.is_complete());
    };
    assemble(&wire, &mut asm);
    let b = asm.verify(check).expect("an encoded block fails to verify");
    assert_eq!(b.number, number);
    assert_eq!(&b.data[..payload.len()], payload);
    assert!(b.data[payload.len()..].iter().all(|&p| p == block::PAD));
    // Any single-byte change after the header byte is caught: the complement covers the
    // number, and both checks catch any one changed byte of data or trailer.
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let at = 1 + usize::from(u16::from_le_bytes([byte(1), byte(2)])) % (wire.len() - 1);
    wire[at] ^= byte(3) | 1;
    assemble(&wire, &mut asm);
    assert!(
        asm.verify(check).is_err(),
        "a damaged block verified (byte {at})"
    );
}

/// YMODEM header parsing. `data[0]` bit 0 picks a 128- or 1024-byte block, filled from the
/// rest of the input (NUL-padded). Parsing must not panic; a parsed header must have a
/// non-empty name without NUL, and encode then parse back to itself (fields the encoder
/// cannot express dropped). Then a header built from the input must round-trip too.
pub fn header(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let size = if flags & 1 == 0 { SMALL } else { LARGE };
    let mut block = rest[..rest.len().min(size)].to_vec();
    block.resize(size, 0);
    let mut out = Vec::with_capacity(LARGE);
    if let Some(info) = header::parse(&block) {
        assert!(!info.name.is_empty(), "parsed an empty name");
        assert!(!info.name.contains(&0), "parsed a name with NUL");
        assert!(
            info.mtime != Some(0) && info.mode != Some(0),
            "0 means unknown"
        );
        if info.size.is_none() {
            assert_eq!(
                info,
                FileInfo {
                    name: info.name.clone(),
                    ..FileInfo::default()
                }
            );
        }
        round_trip(&info, &mut out);
    } else {
        assert_eq!(block[0], 0, "only a leading NUL ends the batch");
    }
    let mut input = Input { data: rest };
    let info = file_info(&mut input);
    if !info.name.is_empty() {
        round_trip(&info, &mut out);
    }
}

/// `info` encodes, if its name fits, to a block that parses back to what the encoder can
/// express.
fn round_trip(info: &FileInfo, out: &mut Vec<u8>) {
    let size = match header::encode(info, out) {
        Ok(size) => size,
        Err(header::TooLong(n)) => {
            assert!(
                n > LARGE && n > info.name.len(),
                "refused a {n}-byte header"
            );
            return;
        }
    };
    assert!(size == SMALL || size == LARGE);
    assert_eq!(out.len(), size);
    let mut want = FileInfo {
        name: info.name.clone(),
        ..FileInfo::default()
    };
    if info.size.is_some() {
        want.size = info.size;
        want.mtime = info.mtime.filter(|&t| t != 0);
        want.mode = info.mode.filter(|&m| m != 0);
        if info.files_left.is_some() && info.bytes_left.is_some() {
            want.files_left = info.files_left;
            want.bytes_left = info.bytes_left;
        }
    }
    assert_eq!(header::parse(out), Some(want), "header round trip");
}

// ---------------------------------------------------------------------------------------------
// ZMODEM start detection in a terminal's output

/// The terminal's ZMODEM start detector (`proto::sniff::Sniffer`) on arbitrary bytes, with
/// real headers spliced in. `data[0]`: the piece size (1-64) and whether to splice lrzsz's
/// `ZRQINIT` (bit 6) or `ZRINIT` (bit 7) into the middle. The input is fed in pieces, with a
/// `flush` where a piece size of 1 happens to come after a `*`, and checked against one
/// feed of all of it: every byte comes out exactly once and in order (shown, in the header, or
/// after it), nothing is held beyond the longest header (19 bytes), a start is reported only for a
/// header that ends right there with a valid CRC, and piece boundaries change nothing when no
/// flush came between.
pub fn sniff(data: &[u8]) {
    use crate::proto::sniff::{Found, Sniffer};
    let mut input = Input { data };
    let flags = input.u8();
    let piece = usize::from(flags & 0x3f) + 1;
    let mut stream = input.data.to_vec();
    let middle = stream.len() / 2;
    if flags & 0x40 != 0 {
        stream.splice(middle..middle, *b"**\x18B00000000000000\r\x8a\x11");
    }
    if flags & 0x80 != 0 {
        stream.splice(middle..middle, *b"**\x18B0100000023be50\r\x8a\x11");
    }

    // Fed in pieces: returns what was shown, the start and the bytes after it, and whether
    // a flush came between pieces.
    let feed = |piece: usize, flush_after_star: bool| {
        let mut sniffer = Sniffer::new();
        let mut show = Vec::new();
        let mut flushed = false;
        let mut at = 0;
        while at < stream.len() {
            let end = (at + piece).min(stream.len());
            let before = show.len();
            let found = sniffer.feed(&stream[at..end], &mut show);
            assert!(show.len() >= before);
            if let Some(found) = found {
                assert!(found.rest <= end - at && found.rest > 0);
                let rest = at + found.rest;
                return (show, Some((found, rest)), flushed);
            }
            if flush_after_star && stream[at] == b'*' && sniffer.holding() {
                sniffer.flush(&mut show);
                flushed = true;
            }
            at = end;
        }
        (show, None::<(Found, usize)>, flushed)
    };

    let (whole_show, whole_found, _) = feed(stream.len().max(1), false);
    let (show, found, flushed) = feed(piece, piece == 1);
    for (show, found) in [(&whole_show, &whole_found), (&show, &found)] {
        let mut all = show.clone();
        match found {
            Some((found, rest)) => {
                assert!(found.header.len() <= 19, "a header is at most 19 bytes");
                assert_eq!(found.header.last().map(|b| b & 0x7f), Some(b'\r'));
                assert_eq!(decoded_start(&found.header), Some(found.start));
                all.extend_from_slice(&found.header);
                all.extend_from_slice(&stream[*rest..]);
                assert_eq!(all, stream, "every byte once, in order");
            }
            None => {
                // Whatever is still held would be flushed: it is a header's beginning.
                assert!(stream.starts_with(show));
                assert!(stream.len() - show.len() <= 19);
            }
        }
    }
    if !flushed {
        assert_eq!(show, whole_show, "piece boundaries changed what was shown");
        assert_eq!(
            found.as_ref().map(|(f, r)| (f.start, *r)),
            whole_found.as_ref().map(|(f, r)| (f.start, *r))
        );
    }
}

/// What the ZMODEM decoder makes of a header the detector reported: the start its frame type
/// means, if it decodes as a valid hex header.
fn decoded_start(header: &[u8]) -> Option<crate::proto::sniff::ZmodemStart> {
    use crate::proto::sniff::ZmodemStart;
    use crate::proto::zmodem::{Decoder, DecoderConfig, FrameType, HeaderFormat, Item};
    let mut decoder = Decoder::new(DecoderConfig::default());
    let (_, item) = decoder.feed(header);
    match item? {
        Item::Header {
            header,
            format: HeaderFormat::Hex,
        } => match header.kind {
            FrameType::RqInit => Some(ZmodemStart::Download),
            FrameType::RInit => Some(ZmodemStart::Upload),
            _ => None,
        },
        _ => None,
    }
}
