//! The fuzz body for the ZMODEM decoder. **Unstable, for fuzzers: not public API.**
//!
//! It lives beside the codec rather than in `src/fuzzing/`, because it checks the decoder's
//! buffer against the decoder's private slack (`decode::DATA_SLACK`); the cargo-fuzz target
//! `tests/fuzz/fuzz_targets/zmodem_decoder.rs` calls it, and the unit tests run it on
//! proptest inputs. See docs/FUZZING.md for how to run the targets.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{
    CrcKind, Decoder, DecoderConfig, Encoder, EscapeProfile, EscapeTable, FrameEnd, FrameType,
    Header, HeaderFormat, Item,
};

/// What one decoding run saw, to compare runs fed in different pieces.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Item(Item),
    Data(FrameEnd, Vec<u8>),
}

/// Decoder settings from a flag byte: bit 0 drops raw control bytes, bits 1-2 pick the
/// longest subpacket (8192, 1024, 64 or 0 bytes).
fn config(flags: u8) -> DecoderConfig {
    DecoderConfig {
        max_data: [8192, 1024, 64, 0][usize::from((flags >> 1) & 3)],
        drop_controls: flags & 1 != 0,
    }
}

/// An encoder whose output `cfg`'s decoder reads back: escaping every control byte when the
/// decoder drops raw ones. `pick` chooses among the profiles that qualify. Built once per
/// kind and cloned: the body needs several per frame found, and building the tables under
/// coverage instrumentation was most of an execution.
fn encoder(cfg: DecoderConfig, pick: u8) -> Encoder {
    thread_local! {
        static BUILT: RefCell<HashMap<(bool, u8), Encoder>> = RefCell::default();
    }
    let key = (
        cfg.drop_controls,
        if cfg.drop_controls { 0 } else { pick % 3 },
    );
    BUILT.with(|built| {
        built
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| build_encoder(key))
            .clone()
    })
}

fn build_encoder((drop_controls, pick): (bool, u8)) -> Encoder {
    if drop_controls {
        return Encoder::new(EscapeProfile::Controls);
    }
    match pick {
        0 => Encoder::new(EscapeProfile::Minimal),
        1 => Encoder::new(EscapeProfile::Controls),
        _ => {
            // A telnet-like table: 0xFF (and 0x7F) escaped too.
            let mut table = EscapeTable::new(EscapeProfile::Minimal);
            assert!(table.escape(0xFF) && table.escape(0x7F));
            Encoder::with_table(table)
        }
    }
}

/// A fresh decoder for `cfg`, cloned from one built once (see [`encoder`]).
fn decoder(cfg: DecoderConfig) -> Decoder {
    thread_local! {
        static BUILT: RefCell<HashMap<(usize, bool), Decoder>> = RefCell::default();
    }
    BUILT.with(|built| {
        built
            .borrow_mut()
            .entry((cfg.max_data, cfg.drop_controls))
            .or_insert_with(|| Decoder::new(cfg))
            .clone()
    })
}

/// True for the frame types a subpacket follows.
fn carries_data(kind: FrameType) -> bool {
    matches!(
        kind,
        FrameType::Data
            | FrameType::File
            | FrameType::SInit
            | FrameType::Command
            | FrameType::StdErr
    )
}

/// Decode `wire` from the start (in data mode with `data` set), all at once, and return the
/// first item with its payload.
fn decode_one(cfg: DecoderConfig, wire: &[u8], data: Option<CrcKind>) -> Option<Seen> {
    let mut dec = decoder(cfg);
    if let Some(crc) = data {
        dec.expect_data(crc);
    }
    let (n, item) = dec.feed(wire);
    assert!(n <= wire.len());
    Some(match item? {
        Item::Data { end } => Seen::Data(end, dec.data().to_vec()),
        item => Seen::Item(item),
    })
}

/// Run a decoder over `stream` in pieces whose sizes cycle through `pieces` (each 1 or
/// more), acting like an engine (data mode after headers that carry data), and check the
/// invariants after every call. Returns everything it saw.
fn run(cfg: DecoderConfig, stream: &[u8], pieces: &[usize], pick: u8) -> Vec<Seen> {
    let mut dec = decoder(cfg);
    let mut seen = Vec::new();
    let mut rest = stream;
    let mut k = 0;
    while !rest.is_empty() {
        let size = pieces[k % pieces.len()].clamp(1, rest.len());
        k += 1;
        let mut chunk = &rest[..size];
        rest = &rest[size..];
        while !chunk.is_empty() {
            let (n, item) = dec.feed(chunk);
            assert!(n <= chunk.len(), "consumed more than given");
            assert!(n > 0, "no progress on {} bytes", chunk.len());
            assert!(
                item.is_some() || n == chunk.len(),
                "stopped without an item"
            );
            assert!(dec.data().len() <= cfg.max_data, "data beyond max_data");
            assert!(
                dec.buffer_capacity() <= cfg.max_data + super::decode::DATA_SLACK,
                "buffer beyond max_data and its slack"
            );
            chunk = &chunk[n..];
            let Some(item) = item else { continue };
            match item {
                Item::Header { header, format } => {
                    check_header(cfg, &header, format, pick);
                    if carries_data(header.kind) {
                        dec.expect_data(format.data_crc());
                    }
                    seen.push(Seen::Item(item));
                }
                Item::Data { end } => {
                    assert!(!end.ends_frame() || !dec.in_data());
                    check_subpacket(cfg, dec.data(), end, pick);
                    seen.push(Seen::Data(end, dec.data().to_vec()));
                }
                Item::Cancel | Item::BadHeader(_) | Item::BadData(_) => {
                    assert!(!dec.in_data(), "still in data after {item:?}");
                    seen.push(Seen::Item(item));
                }
            }
        }
    }
    seen
}

/// A decoded header re-encodes, in every format, to bytes that decode to it again.
fn check_header(cfg: DecoderConfig, header: &Header, format: HeaderFormat, pick: u8) {
    let mut wire = Vec::new();
    for f in [
        format,
        HeaderFormat::Hex,
        HeaderFormat::Bin16,
        HeaderFormat::Bin32,
    ] {
        wire.clear();
        encoder(cfg, pick).header(&mut wire, f, header);
        assert_eq!(
            decode_one(cfg, &wire, None),
            Some(Seen::Item(Item::Header {
                header: *header,
                format: f
            })),
            "header round trip ({f:?}): {wire:02x?}"
        );
    }
}

/// A decoded subpacket re-encodes to bytes that decode to it again, with either CRC.
fn check_subpacket(cfg: DecoderConfig, data: &[u8], end: FrameEnd, pick: u8) {
    let mut wire = Vec::new();
    for crc in [CrcKind::Crc16, CrcKind::Crc32] {
        wire.clear();
        encoder(cfg, pick).subpacket(&mut wire, data, end, crc);
        assert_eq!(
            decode_one(cfg, &wire, Some(crc)),
            Some(Seen::Data(end, data.to_vec())),
            "subpacket round trip ({crc:?})"
        );
    }
}

/// The decoder on arbitrary bytes. `data[0]`: settings (bit 0: drop raw controls; bits
/// 1-2: `max_data` 8192, 1024, 64 or 0) and, in bits 3-7, the escape profile for
/// re-encoding; `data[1..4]`: piece sizes (1-64). The rest is the stream, fed in those
/// pieces, one byte at a time and all at once: every run must see the same items. Every
/// header and subpacket found must re-encode and decode to itself. Finally the stream's
/// head is encoded as a header and a subpacket, which must decode back.
pub fn zmodem_decoder(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let cfg = config(flags);
    let pick = flags >> 3;
    let (head, stream) = rest.split_at(rest.len().min(3));
    let pieces: Vec<usize> = if head.is_empty() {
        vec![usize::MAX]
    } else {
        head.iter().map(|&b| usize::from(b % 64) + 1).collect()
    };
    let chunked = run(cfg, stream, &pieces, pick);
    let bytewise = run(cfg, stream, &[1], pick);
    assert_eq!(chunked, bytewise, "piece sizes changed what was decoded");
    let whole = run(cfg, stream, &[usize::MAX], pick);
    assert_eq!(chunked, whole, "piece sizes changed what was decoded");

    // Encode the input's head: it must decode to itself.
    let byte = |i: usize| stream.get(i).copied().unwrap_or(0);
    let header = Header {
        kind: FrameType::ALL[usize::from(byte(0)) % FrameType::ALL.len()],
        bytes: [byte(1), byte(2), byte(3), byte(4)],
    };
    check_header(cfg, &header, HeaderFormat::Hex, pick);
    let payload = &stream[..stream.len().min(cfg.max_data)];
    let end = FrameEnd::ALL[usize::from(byte(5) % 4)];
    check_subpacket(cfg, payload, end, pick);
}
