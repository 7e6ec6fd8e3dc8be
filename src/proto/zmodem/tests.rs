//! Codec tests: exact bytes of known headers (lrzsz captures, docs/PROTOCOLS.md §4.3, §4.8),
//! round trips, piecewise feeding, and hostile input.

use proptest::collection::vec;
use proptest::prelude::*;

use super::fuzz::zmodem_decoder;
use super::*;

fn hex(header: Header) -> Vec<u8> {
    let mut out = Vec::new();
    Encoder::default().header(&mut out, HeaderFormat::Hex, &header);
    out
}

/// Everything a decoder yields for `wire` fed in pieces of `piece` bytes, acting as an
/// engine would: data mode after a header that carries data.
fn decode_all(cfg: DecoderConfig, wire: &[u8], piece: usize) -> Vec<(Item, Vec<u8>)> {
    let mut dec = Decoder::new(cfg);
    let mut items = Vec::new();
    for mut chunk in wire.chunks(piece.max(1)) {
        while !chunk.is_empty() {
            let (n, item) = dec.feed(chunk);
            assert!(n > 0 && n <= chunk.len());
            chunk = &chunk[n..];
            let Some(item) = item else { continue };
            let data = match item {
                Item::Data { .. } => dec.data().to_vec(),
                _ => Vec::new(),
            };
            if let Item::Header { header, format } = item
                && matches!(header.kind, FrameType::Data | FrameType::File)
            {
                dec.expect_data(format.data_crc());
            }
            items.push((item, data));
        }
    }
    items
}

fn items(wire: &[u8]) -> Vec<(Item, Vec<u8>)> {
    decode_all(DecoderConfig::default(), wire, usize::MAX)
}

fn header_item(header: Header, format: HeaderFormat) -> (Item, Vec<u8>) {
    (Item::Header { header, format }, Vec::new())
}

fn data_item(end: FrameEnd, data: &[u8]) -> (Item, Vec<u8>) {
    (Item::Data { end }, data.to_vec())
}

// ---------------------------------------------------------------------------------------------
// Exact bytes

#[test]
fn zrqinit_hex_header_is_lrzsz_exact() {
    // Type 0 and four zero bytes: CRC-16/XMODEM of five zero bytes is 0x0000, so the header
    // is 14 zero digits (2 type, 8 data, 4 CRC), then CR, 0x8A, XON.
    assert_eq!(crate::proto::crc::crc16(&[0; 5]), 0x0000);
    assert_eq!(
        hex(Header::new(FrameType::RqInit)),
        b"**\x18B00000000000000\r\x8a\x11"
    );
}

#[test]
fn zrinit_as_rz_sends_it() {
    let zrinit = Header::with_flags(FrameType::RInit, CANFC32 | CANFDX | CANOVIO, 0, 0, 0);
    assert_eq!(hex(zrinit), b"**\x18B0100000023be50\r\x8a\x11");
    assert_eq!(
        hex(Header::with_position(FrameType::RPos, 0)),
        b"**\x18B0900000000a87c\r\x8a\x11"
    );
}

#[test]
fn zack_and_zfin_have_no_xon() {
    assert_eq!(
        hex(Header::new(FrameType::Fin)),
        b"**\x18B0800000000022d\r\x8a"
    );
    let ack = hex(Header::with_position(FrameType::Ack, 0x400));
    assert!(ack.starts_with(b"**\x18B0300040000"));
    assert!(ack.ends_with(b"\r\x8a"), "{ack:02x?}");
    assert_eq!(ack.len(), 4 + 14 + 2);
}

#[test]
fn zfile_bin32_header_is_lrzsz_exact() {
    let mut out = Vec::new();
    Encoder::default().header(&mut out, HeaderFormat::Bin32, &Header::new(FrameType::File));
    assert_eq!(out, b"*\x18C\x04\x00\x00\x00\x00\xdd\x51\xa2\x33");
}

#[test]
fn bin16_header_escapes_its_bytes() {
    let mut out = Vec::new();
    let h = Header::with_position(FrameType::Data, 0x1811_7F18);
    Encoder::default().header(&mut out, HeaderFormat::Bin16, &h);
    assert!(
        out.starts_with(b"*\x18A\x0a\x18\x58\x7f\x18\x51\x18\x58"),
        "{out:02x?}"
    );
    assert_eq!(items(&out), [header_item(h, HeaderFormat::Bin16)]);
}

#[test]
fn subpacket_layout_and_xon_after_zcrcw() {
    let mut out = Vec::new();
    let mut enc = Encoder::default();
    enc.subpacket(&mut out, b"a\x18b", FrameEnd::CrcW, CrcKind::Crc16);
    let crc = crate::proto::crc::crc16(b"a\x18bk").to_be_bytes();
    let mut want = b"a\x18\x58b\x18k".to_vec();
    for c in crc {
        match escape_code(c) {
            Some(code) if EscapeTable::default().always_escapes(c) => {
                want.extend_from_slice(&[ZDLE, code])
            }
            _ => want.push(c),
        }
    }
    want.push(XON);
    assert_eq!(out, want);
    out.clear();
    enc.subpacket(&mut out, b"", FrameEnd::CrcG, CrcKind::Crc32);
    assert_eq!(&out[..2], b"\x18i");
    assert_ne!(out.last(), Some(&XON).filter(|_| out.len() == 6));
}

// ---------------------------------------------------------------------------------------------
// Round trips

const POSITIONS: [u32; 6] = [0, 1, 0x400, 0x1811_1318, 0xFF7F_0D40, u32::MAX];

#[test]
fn every_frame_type_round_trips_in_every_format() {
    for profile in [EscapeProfile::Minimal, EscapeProfile::Controls] {
        for format in [HeaderFormat::Hex, HeaderFormat::Bin16, HeaderFormat::Bin32] {
            for kind in FrameType::ALL {
                for pos in POSITIONS {
                    let h = Header::with_position(kind, pos);
                    let mut out = Vec::new();
                    Encoder::new(profile).header(&mut out, format, &h);
                    assert_eq!(items(&out), [header_item(h, format)], "{kind:?} {format:?}");
                }
            }
        }
    }
}

fn profiles() -> Vec<Encoder> {
    let mut telnet = EscapeTable::default();
    telnet.escape(0xFF);
    let mut ssh = EscapeTable::default();
    ssh.escape(b'\r');
    ssh.escape(b'\n');
    vec![
        Encoder::new(EscapeProfile::Minimal),
        Encoder::new(EscapeProfile::Controls),
        Encoder::with_table(telnet),
        Encoder::with_table(ssh),
    ]
}

/// Data biased towards the bytes that matter: escapes, CAN, XON, CR after `@`, 0x7F, 0xFF.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => any::<u8>(),
        1 => prop::sample::select(vec![
            0x18u8, 0x10, 0x11, 0x13, 0x90, 0x91, 0x93, 0x98, 0x0D, 0x8D, b'@', 0xC0, 0x7F,
            0xFF, b'*', b'h', b'k', 0x0A, 0x8A,
        ]),
    ];
    vec(byte, 0..1500)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn subpackets_round_trip(data in payload(), piece in 1usize..40) {
        for mut enc in profiles() {
            for crc in [CrcKind::Crc16, CrcKind::Crc32] {
                for end in FrameEnd::ALL {
                    let mut wire = Vec::new();
                    enc.subpacket(&mut wire, &data, end, crc);
                    for p in [usize::MAX, piece] {
                        let mut dec = Decoder::default();
                        dec.expect_data(crc);
                        let mut got = None;
                        for mut chunk in wire.chunks(p) {
                            while !chunk.is_empty() {
                                let (n, item) = dec.feed(chunk);
                                chunk = &chunk[n..];
                                if let Some(item) = item {
                                    prop_assert!(got.is_none(), "two items");
                                    got = Some((item, dec.data().to_vec()));
                                }
                            }
                        }
                        prop_assert_eq!(got, Some((Item::Data { end }, data.clone())));
                        prop_assert_eq!(dec.in_data(), !end.ends_frame());
                    }
                }
            }
        }
    }

    /// Hostile bytes in data mode decode the same all at once (the whole-chunk fast path)
    /// as one byte at a time (the careful path), whatever the limit and settings.
    #[test]
    fn data_fast_path_matches_the_careful_one(
        raw in vec(prop_oneof![
            3 => any::<u8>(),
            2 => prop::sample::select(vec![
                ZDLE, ZDLE, b'h', b'i', b'j', b'k', b'l', b'm', b'X', b'Q', 0x11, 0x13, 0x91,
                0x93, 0x01, 0x7F, 0xFF, b'*',
            ]),
        ], 0..700),
        max_data in prop_oneof![Just(DEFAULT_MAX_DATA), 0usize..200],
        drop_controls in any::<bool>(),
        crc in prop::sample::select(vec![CrcKind::Crc16, CrcKind::Crc32]),
    ) {
        let cfg = DecoderConfig { max_data, drop_controls };
        let run = |piece: usize| {
            let mut dec = Decoder::new(cfg);
            dec.expect_data(crc);
            let mut got = Vec::new();
            for mut chunk in raw.chunks(piece) {
                while !chunk.is_empty() {
                    let (n, item) = dec.feed(chunk);
                    chunk = &chunk[n..];
                    if let Some(item) = item {
                        got.push((item, dec.data().to_vec()));
                        // Back to data, as an engine would after a damaged subpacket.
                        dec.expect_data(crc);
                    }
                }
            }
            (got, dec.data().to_vec())
        };
        let careful = run(1);
        prop_assert_eq!(run(usize::MAX), careful.clone());
        prop_assert_eq!(run(97), careful);
    }

    #[test]
    fn controls_profile_survives_dropping_decoder(data in payload()) {
        let cfg = DecoderConfig { drop_controls: true, ..DecoderConfig::default() };
        let mut enc = Encoder::new(EscapeProfile::Controls);
        let mut wire = Vec::new();
        enc.header(&mut wire, HeaderFormat::Bin32, &Header::with_position(FrameType::Data, 7));
        enc.subpacket(&mut wire, &data, FrameEnd::CrcE, CrcKind::Crc32);
        prop_assert!(wire[3..].iter().all(|&b| b & 0x60 != 0 || b == ZDLE || b == XON));
        // Raw controls sprinkled in are dropped.
        let noisy: Vec<u8> = wire.iter().flat_map(|&b| [b, 0x01]).collect();
        prop_assert_eq!(
            decode_all(cfg, &noisy, 7),
            [header_item(Header::with_position(FrameType::Data, 7), HeaderFormat::Bin32),
             data_item(FrameEnd::CrcE, &data)]
        );
    }

}

/// Fuzz-body cases per test (the body decodes each input three ways).
const FUZZ_CASES: u32 = 2000;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(FUZZ_CASES))]

    #[test]
    fn fuzz_body_on_random_bytes(data in vec(any::<u8>(), 0..1024)) {
        zmodem_decoder(&data);
    }

    #[test]
    fn fuzz_body_on_damaged_sessions(flags in any::<u8>(), pieces in any::<[u8; 3]>(),
                                     flips in vec((any::<u16>(), any::<u8>()), 0..4),
                                     data in payload()) {
        let mut input = vec![flags];
        input.extend_from_slice(&pieces);
        let start = input.len();
        input.extend_from_slice(&session(&data));
        let len = input.len() - start;
        for (at, x) in flips {
            input[start + usize::from(at) % len] ^= x;
        }
        zmodem_decoder(&input);
    }
}

/// A session's worth of frames in both directions, the shape lrzsz produces.
fn session(data: &[u8]) -> Vec<u8> {
    let mut enc = Encoder::default();
    let mut w = b"rz\r".to_vec();
    enc.header(&mut w, HeaderFormat::Hex, &Header::new(FrameType::RqInit));
    let zrinit = Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0);
    enc.header(&mut w, HeaderFormat::Hex, &zrinit);
    enc.header(&mut w, HeaderFormat::Bin32, &Header::new(FrameType::File));
    enc.subpacket(
        &mut w,
        b"small.txt\x0012 0 100644 0 1 12\x00",
        FrameEnd::CrcW,
        CrcKind::Crc32,
    );
    enc.header(
        &mut w,
        HeaderFormat::Hex,
        &Header::with_position(FrameType::RPos, 0),
    );
    w.extend_from_slice(&[0; 4]);
    enc.header(
        &mut w,
        HeaderFormat::Bin32,
        &Header::with_position(FrameType::Data, 0),
    );
    let (a, b) = data.split_at(data.len() / 2);
    enc.subpacket(&mut w, a, FrameEnd::CrcG, CrcKind::Crc32);
    enc.subpacket(&mut w, b, FrameEnd::CrcQ, CrcKind::Crc32);
    enc.subpacket(&mut w, b"", FrameEnd::CrcE, CrcKind::Crc32);
    enc.header(
        &mut w,
        HeaderFormat::Bin16,
        &Header::with_position(FrameType::Data, 5),
    );
    enc.subpacket(&mut w, a, FrameEnd::CrcW, CrcKind::Crc16);
    let eof = Header::with_position(FrameType::Eof, data.len() as u32);
    enc.header(&mut w, HeaderFormat::Bin32, &eof);
    enc.header(&mut w, HeaderFormat::Hex, &Header::new(FrameType::Fin));
    w.extend_from_slice(b"OO");
    w
}

#[test]
fn session_decodes_the_same_in_any_pieces() {
    let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let wire = session(&data);
    let all = items(&wire);
    let (a, b) = data.split_at(1500);
    let want = [
        header_item(Header::new(FrameType::RqInit), HeaderFormat::Hex),
        header_item(
            Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0),
            HeaderFormat::Hex,
        ),
        header_item(Header::new(FrameType::File), HeaderFormat::Bin32),
        data_item(FrameEnd::CrcW, b"small.txt\x0012 0 100644 0 1 12\x00"),
        header_item(Header::with_position(FrameType::RPos, 0), HeaderFormat::Hex),
        header_item(
            Header::with_position(FrameType::Data, 0),
            HeaderFormat::Bin32,
        ),
        data_item(FrameEnd::CrcG, a),
        data_item(FrameEnd::CrcQ, b),
        data_item(FrameEnd::CrcE, b""),
        header_item(
            Header::with_position(FrameType::Data, 5),
            HeaderFormat::Bin16,
        ),
        data_item(FrameEnd::CrcW, a),
        header_item(
            Header::with_position(FrameType::Eof, 3000),
            HeaderFormat::Bin32,
        ),
        header_item(Header::new(FrameType::Fin), HeaderFormat::Hex),
    ];
    assert_eq!(all, want);
    for piece in [1, 2, 3, 7, 64, 1000] {
        assert_eq!(
            decode_all(DecoderConfig::default(), &wire, piece),
            want,
            "piece {piece}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile input

#[test]
fn headers_found_in_garbage() {
    let zrinit = Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0);
    let mut wire = b"login: \x00\x00*\x18*x**\x18Z\xaa\xaa\x98".to_vec();
    wire.extend_from_slice(&hex(zrinit)[3..]); // 0xAA 0xAA 0x98 'B': 7-bit framing
    wire.extend_from_slice(b"garbage **\x18");
    wire.extend_from_slice(&hex(Header::new(FrameType::Fin)));
    let mut dec = Decoder::default();
    let (n, item) = dec.feed(&wire);
    assert_eq!(
        item,
        Some(Item::Header {
            header: zrinit,
            format: HeaderFormat::Hex
        })
    );
    assert!(dec.garbage() > 10);
    assert_eq!(
        items(&wire[n..]),
        [header_item(Header::new(FrameType::Fin), HeaderFormat::Hex)]
    );
}

#[test]
fn upper_case_hex_accepted() {
    let wire = b"**\x18B0100000023BE50\r\x8a\x11";
    assert_eq!(
        items(wire),
        [header_item(
            Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0),
            HeaderFormat::Hex
        )]
    );
}

#[test]
fn hex_trailer_optional_and_lf_may_be_0x0a() {
    let zdata = Header::with_position(FrameType::Data, 0);
    for trailer in [&b"\r\x8a\x11"[..], b"\r\n", b"\x8d\x0a", b"\n", b""] {
        let mut wire = hex(zdata);
        wire.truncate(wire.len() - 3);
        wire.extend_from_slice(trailer);
        // A hex ZDATA: its data uses CRC-16 and follows the trailer directly.
        Encoder::default().subpacket(&mut wire, b"xy\r\n", FrameEnd::CrcE, CrcKind::Crc16);
        assert_eq!(
            items(&wire),
            [
                header_item(zdata, HeaderFormat::Hex),
                data_item(FrameEnd::CrcE, b"xy\r\n")
            ],
            "trailer {trailer:02x?}"
        );
    }
}

#[test]
fn bad_header_crcs_detected() {
    let h = Header::with_position(FrameType::RPos, 0x1234);
    for format in [HeaderFormat::Hex, HeaderFormat::Bin16, HeaderFormat::Bin32] {
        let mut wire = Vec::new();
        Encoder::default().header(&mut wire, format, &h);
        // Change P0 (0x34): digit '3' to '5', or the byte to 0x30.
        match format {
            HeaderFormat::Hex => wire[6] = b'5',
            _ => wire[4] ^= 0x04,
        }
        assert_eq!(
            items(&wire)[0].0,
            Item::BadHeader(BadHeader::Crc),
            "{format:?}"
        );
    }
    // Valid CRC, unknown type.
    let mut wire = b"**\x18B14".to_vec();
    let crc = crate::proto::crc::crc16(&[0x14, 0, 0, 0, 0]);
    wire.extend_from_slice(format!("00000000{crc:04x}\r\n").as_bytes());
    assert_eq!(
        items(&wire),
        [(Item::BadHeader(BadHeader::UnknownType(0x14)), vec![])]
    );
    // A bad hex digit; the decoder resyncs on the ZPAD that broke it.
    let mut wire = b"**\x18B01g".to_vec();
    wire.extend_from_slice(b"**\x18B01000*");
    wire.extend_from_slice(&hex(Header::new(FrameType::Nak)));
    assert_eq!(
        items(&wire),
        [
            (Item::BadHeader(BadHeader::HexDigit(b'g')), vec![]),
            (Item::BadHeader(BadHeader::HexDigit(b'*')), vec![]),
            header_item(Header::new(FrameType::Nak), HeaderFormat::Hex),
        ]
    );
    // A frame end inside a binary header.
    assert_eq!(
        items(b"*\x18C\x0a\x18h"),
        [(Item::BadHeader(BadHeader::Escape(b'h')), vec![])]
    );
}

#[test]
fn bad_data_crc_detected_and_decoder_resyncs() {
    for crc in [CrcKind::Crc16, CrcKind::Crc32] {
        let mut enc = Encoder::default();
        let mut wire = Vec::new();
        enc.subpacket(&mut wire, b"hello world", FrameEnd::CrcG, crc);
        wire[3] ^= 0x20;
        let rpos = wire.len();
        enc.header(
            &mut wire,
            HeaderFormat::Bin32,
            &Header::with_position(FrameType::Data, 0),
        );
        let mut dec = Decoder::default();
        dec.expect_data(crc);
        let (n, item) = dec.feed(&wire);
        assert_eq!((n, item), (rpos, Some(Item::BadData(BadData::Crc))));
        assert!(!dec.in_data());
        let (_, item) = dec.feed(&wire[n..]);
        assert!(matches!(item, Some(Item::Header { .. })));
    }
    let mut dec = Decoder::default();
    dec.expect_data(CrcKind::Crc16);
    assert_eq!(
        dec.feed(b"ab\x18*").1,
        Some(Item::BadData(BadData::Escape(b'*')))
    );
}

#[test]
fn over_long_subpacket_refused_with_bounded_memory() {
    let data = vec![0x55; DEFAULT_MAX_DATA + 1];
    for (len, ok) in [(DEFAULT_MAX_DATA, true), (DEFAULT_MAX_DATA + 1, false)] {
        let mut wire = Vec::new();
        Encoder::default().subpacket(&mut wire, &data[..len], FrameEnd::CrcE, CrcKind::Crc32);
        for piece in [1, 100, usize::MAX] {
            let mut dec = Decoder::default();
            dec.expect_data(CrcKind::Crc32);
            let mut got = Vec::new();
            for mut chunk in wire.chunks(piece) {
                while !chunk.is_empty() {
                    let (n, item) = dec.feed(chunk);
                    chunk = &chunk[n..];
                    got.extend(item);
                    assert!(dec.data().len() <= DEFAULT_MAX_DATA);
                    assert!(dec.buffer_capacity() <= DEFAULT_MAX_DATA + decode::DATA_SLACK);
                }
            }
            let want = if ok {
                Item::Data {
                    end: FrameEnd::CrcE,
                }
            } else {
                Item::BadData(BadData::TooLong)
            };
            assert_eq!(got.first(), Some(&want), "len {len} piece {piece}");
        }
    }
    // Escaped bytes count as one each, and a small limit holds too.
    let cfg = DecoderConfig {
        max_data: 3,
        ..DecoderConfig::default()
    };
    let mut dec = Decoder::new(cfg);
    dec.expect_data(CrcKind::Crc16);
    assert_eq!(
        dec.feed(b"\x18X\x18X\x18Xa").1,
        Some(Item::BadData(BadData::TooLong))
    );
}

#[test]
fn raw_xon_xoff_dropped_everywhere() {
    let data: Vec<u8> = (0..=255).collect();
    let wire = session(&data);
    let clean = items(&wire);
    let noisy: Vec<u8> = wire
        .iter()
        .enumerate()
        .flat_map(|(i, &b)| [b, [0x11, 0x13, 0x91, 0x93][i % 4]])
        .collect();
    assert_eq!(items(&noisy), clean);
}

#[test]
fn five_cans_cancel_anywhere() {
    let cancel = (Item::Cancel, vec![]);
    // Hunting, with garbage before; lrzsz's cancel string is 10 CAN and 10 BS.
    let mut wire = b"abc".to_vec();
    wire.extend_from_slice(&[CAN; 10]);
    wire.extend_from_slice(&[8; 10]);
    assert_eq!(items(&wire), [cancel.clone(), cancel.clone()]);
    // Four are not enough, and XON in between does not matter.
    assert_eq!(items(&[CAN, CAN, XON, CAN, CAN, b'x']), []);
    assert_eq!(
        items(&[CAN, CAN, XON, CAN, CAN, CAN]),
        std::slice::from_ref(&cancel)
    );
    // Inside a header.
    assert_eq!(items(b"**\x18B01\x18\x18\x18\x18\x18")[1], cancel);
    assert_eq!(
        items(b"*\x18C\x01\x18\x18\x18\x18\x18"),
        std::slice::from_ref(&cancel)
    );
    // Inside data: ZDLE and four CAN.
    let mut dec = Decoder::default();
    dec.expect_data(CrcKind::Crc32);
    assert_eq!(
        dec.feed(b"data\x18\x18\x18\x18\x18more"),
        (9, Some(Item::Cancel))
    );
    assert!(!dec.in_data());
}

#[test]
fn escaped_rub_codes_decode() {
    let mut dec = Decoder::default();
    dec.expect_data(CrcKind::Crc16);
    let mut wire = b"\x18l\x18m\x18\x58\x18\x4d".to_vec();
    let mut tail = Vec::new();
    Encoder::default().subpacket(
        &mut tail,
        &[0x7F, 0xFF, 0x18, 0x0D],
        FrameEnd::CrcE,
        CrcKind::Crc16,
    );
    let crc_part = &tail[tail.iter().position(|&b| b == b'h').unwrap() - 1..];
    wire.extend_from_slice(crc_part);
    let (_, item) = dec.feed(&wire);
    assert_eq!(
        item,
        Some(Item::Data {
            end: FrameEnd::CrcE
        })
    );
    assert_eq!(dec.data(), [0x7F, 0xFF, 0x18, 0x0D]);
}
