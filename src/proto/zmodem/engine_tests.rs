//! ZMODEM engine tests on virtual time: our sender against our receiver, and each against
//! scripted peers byte by byte. Nothing here sleeps.

use std::time::{Duration, Instant};

use super::*;
use crate::proto::testkit::{Drained, Pair, S, drain, failed, feed, pattern, tick};
use crate::proto::{Engine, Error, Event, FileInfo, FileReply, Position, Protocol, RetryReason};

fn info(name: &str, size: usize) -> FileInfo {
    FileInfo {
        name: name.as_bytes().to_vec(),
        size: Some(size as u64),
        mtime: Some(1_700_000_000),
        mode: Some(0o100_644),
        ..FileInfo::default()
    }
}

/// Every item in `wire`, decoded as a peer would (data subpackets after data headers).
fn items(wire: &[u8]) -> Vec<(Item, Vec<u8>)> {
    items_from(wire, false)
}

/// Like [`items`]; `in_data`: the wire starts inside a CRC-32 data frame.
fn items_from(wire: &[u8], in_data: bool) -> Vec<(Item, Vec<u8>)> {
    let mut dec = Decoder::default();
    if in_data {
        dec.expect_data(CrcKind::Crc32);
    }
    let mut rest = wire;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (n, item) = dec.feed(rest);
        rest = &rest[n..];
        if let Some(item) = item {
            if let Item::Header { header, format } = item
                && matches!(
                    header.kind,
                    FrameType::Data | FrameType::File | FrameType::SInit | FrameType::Command
                )
            {
                dec.expect_data(format.data_crc());
            }
            out.push((item, dec.data().to_vec()));
        }
    }
    out
}

fn hex(h: Header) -> Vec<u8> {
    let mut out = Vec::new();
    Encoder::new(EscapeProfile::Minimal).header(&mut out, HeaderFormat::Hex, &h);
    out
}

fn bin32(h: Header, sub: Option<(&[u8], FrameEnd)>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    enc.header(&mut out, HeaderFormat::Bin32, &h);
    if let Some((data, end)) = sub {
        enc.subpacket(&mut out, data, end, CrcKind::Crc32);
    }
    out
}

fn zfile(i: &FileInfo) -> Vec<u8> {
    let mut body = Vec::new();
    crate::proto::file::encode_info(i, &mut body);
    bin32(
        Header::with_flags(FrameType::File, 1, 0, 0, 0),
        Some((&body, FrameEnd::CrcW)),
    )
}

fn headers(wire: &[u8]) -> Vec<(FrameType, u32)> {
    items(wire)
        .into_iter()
        .filter_map(|(i, _)| match i {
            Item::Header { header, .. } => Some((header.kind, header.position())),
            _ => None,
        })
        .collect()
}

/// A sender of `data` (one file, `f`) that has heard a full-duplex `ZRINIT` (`CANFDX |
/// CANOVIO | CANFC32`) and the `ZRPOS` for 0: what it sent then, and the file position.
fn sender_at_zrpos(cfg: SenderConfig, data: &[u8], t0: Instant) -> (Sender, Drained, usize) {
    sender_answered_at(cfg, data, t0, t0)
}

/// [`sender_at_zrpos`] with the `ZFILE` sent at `t0` and its `ZRPOS` coming at `at`.
fn sender_answered_at(
    cfg: SenderConfig,
    data: &[u8],
    t0: Instant,
    at: Instant,
) -> (Sender, Drained, usize) {
    let mut tx = Sender::new(cfg, vec![info("f", data.len())], t0);
    drain(&mut tx, t0, data, &mut 0);
    feed(
        &mut tx,
        t0,
        &hex(Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0)),
    );
    let mut pos = 0;
    tx.handle_input(at, &hex(Header::with_position(FrameType::RPos, 0)));
    let d = drain(&mut tx, at, data, &mut pos);
    (tx, d, pos)
}

#[test]
fn batch_between_our_engines_is_byte_exact() {
    let t0 = Instant::now();
    let sizes = [0, 1, 1023, 1024, 1025, 8193, 70_000];
    let files: Vec<Vec<u8>> = sizes.iter().map(|&n| pattern(n)).collect();
    let infos: Vec<FileInfo> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| info(&format!("f{i}"), n))
        .collect();
    for subpacket in [1024, 8192] {
        let cfg = SenderConfig {
            subpacket,
            ..SenderConfig::default()
        };
        let mut tx = Sender::new(cfg, infos.clone(), t0);
        let mut rx = Receiver::new(ReceiverConfig::default(), t0);
        let run = Pair::default().run(&mut tx, &mut rx, &files, t0);
        assert_eq!(run.received.len(), files.len());
        for ((got_info, got), (want_info, want)) in
            run.received.iter().zip(infos.iter().zip(&files))
        {
            assert_eq!(got_info, want_info);
            assert_eq!(got, want);
        }
        assert!(run.sender_events.contains(&Event::Finished));
        assert!(run.receiver_events.contains(&Event::Finished));
        assert!(run.receiver_events.contains(&Event::Started {
            protocol: Protocol::Zmodem,
            check: crate::proto::Check::Crc32,
            block: None,
        }));
        assert!(
            run.sender_wire
                .starts_with(b"rz\r**\x18B00000000000000\r\x8a\x11")
        );
    }
}

#[test]
fn a_receiver_buffer_gets_zcrcw_at_least_once_per_buffer() {
    let t0 = Instant::now();
    let data = pattern(20_000);
    let cfg = ReceiverConfig {
        buffer_size: 2048,
        ..ReceiverConfig::default()
    };
    let mut tx = Sender::new(SenderConfig::default(), vec![info("f", data.len())], t0);
    let mut rx = Receiver::new(cfg, t0);
    let run = Pair {
        latency: Duration::from_millis(5),
    }
    .run(&mut tx, &mut rx, std::slice::from_ref(&data), t0);
    assert_eq!(run.received[0].1, data);
    let mut since_w = 0;
    let mut subpackets = 0;
    for (item, bytes) in items(&run.sender_wire) {
        if let Item::Data { end } = item {
            subpackets += 1;
            since_w += bytes.len();
            assert!(since_w <= 2048, "{since_w} bytes without ZCRCW");
            if matches!(end, FrameEnd::CrcW | FrameEnd::CrcE) {
                since_w = 0;
            }
        }
    }
    assert!(subpackets >= 10);
}

/// A `ZCRCW` ends the frame: after its `ZACK` the data goes on in a new `ZDATA` frame (a
/// receiver reads a header next; subpackets without one are garbage to it).
#[test]
fn after_a_zcrcw_the_data_goes_on_in_a_new_zdata_frame() {
    let t0 = Instant::now();
    let data = pattern(5000);
    let mut tx = Sender::new(SenderConfig::default(), vec![info("f", data.len())], t0);
    drain(&mut tx, t0, &data, &mut 0);
    // A receiver with a 2048-byte buffer: ZCRCW every 2048 bytes.
    feed(
        &mut tx,
        t0,
        &hex(Header {
            kind: FrameType::RInit,
            bytes: [0x00, 0x08, 0, 0x23],
        }),
    );
    let mut pos = 0;
    tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 0)));
    let mut wire = drain(&mut tx, t0, &data, &mut pos).wire;
    for acked in [2048u32, 4096] {
        while tx.poll_timeout() == Some(t0) {
            wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
        }
        tx.handle_input(t0, &hex(Header::with_position(FrameType::Ack, acked)));
        wire.extend(drain(&mut tx, t0, &data, &mut pos).wire);
    }
    while tx.poll_timeout() == Some(t0) {
        wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
    }
    let mut got = Vec::new();
    let mut frames = Vec::new();
    for (item, bytes) in items(&wire) {
        match item {
            Item::Header { header, .. } => frames.push((header.kind, header.position())),
            Item::Data { .. } => got.extend_from_slice(&bytes),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        frames,
        [
            (FrameType::Data, 0),
            (FrameType::Data, 2048),
            (FrameType::Data, 4096),
            (FrameType::Eof, 5000)
        ]
    );
    assert_eq!(got, data);
}

/// [`tick`], serving file reads from `file`.
fn tick_with(e: &mut dyn Engine, now: Instant, file: &[u8], pos: &mut usize) -> Drained {
    e.handle_timeout(now);
    drain(e, now, file, pos)
}

/// A `ZDATA` frame that starts before what the receiver holds (the sender answered a `ZRPOS`
/// twice, or went back after a `ZACK` it took for lost) is read, and what the receiver holds
/// already is dropped: no error, no `ZRPOS` (which would send the sender back once more, and
/// its answer would cross the next frame), the rest stored at its place, and each `ZCRCQ`
/// acknowledged where it ends in the sender's frame. Data beyond what it holds is still
/// refused.
#[test]
fn receiver_reads_a_frame_that_resends_what_it_holds() {
    let t0 = Instant::now();
    let data = pattern(4096);
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &zfile(&info("f", data.len())));
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    // Each frame closes the one before with an empty ZCRCE, as a sender going back does.
    let mut frame = |at: usize, subs: &[(usize, FrameEnd)]| {
        let mut wire = Vec::new();
        if at > 0 {
            enc.subpacket(&mut wire, &[], FrameEnd::CrcE, CrcKind::Crc32);
        }
        wire.extend(bin32(
            Header::with_position(FrameType::Data, at as u32),
            None,
        ));
        let mut from = at;
        for &(len, end) in subs {
            enc.subpacket(&mut wire, &data[from..from + len], end, CrcKind::Crc32);
            from += len;
        }
        wire
    };
    let d = feed(
        &mut rx,
        t0,
        &frame(0, &[(1024, FrameEnd::CrcG), (1024, FrameEnd::CrcQ)]),
    );
    assert_eq!(d.written, &data[..2048]);
    assert_eq!(headers(&d.wire), [(FrameType::Ack, 2048)]);
    // The same data again from 1024, and on: only what is new is stored.
    let d = feed(
        &mut rx,
        t0,
        &frame(
            1024,
            &[
                (512, FrameEnd::CrcQ),
                (1024, FrameEnd::CrcG),
                (512, FrameEnd::CrcQ),
            ],
        ),
    );
    assert_eq!(d.written, &data[2048..3072]);
    assert_eq!(
        headers(&d.wire),
        [(FrameType::Ack, 1536), (FrameType::Ack, 3072)]
    );
    assert!(
        !d.events.iter().any(|e| matches!(e, Event::Retry { .. })),
        "{:?}",
        d.events
    );
    // Beyond what it holds: a gap, asked for again.
    let d = feed(&mut rx, t0, &frame(3584, &[(512, FrameEnd::CrcW)]));
    assert!(d.written.is_empty());
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 3072)]);
}

#[test]
fn receiver_asks_again_from_what_it_holds_after_a_damaged_subpacket() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    let d = drain(&mut rx, t0, &[], &mut 0);
    assert_eq!(d.wire, b"**\x18B0100000023be50\r\x8a\x11");
    let d = feed(&mut rx, t0, &zfile(&info("f", 1000)));
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 0)]);
    let good = pattern(1000);
    let mut wire = bin32(
        Header::with_position(FrameType::Data, 0),
        Some((&good, FrameEnd::CrcG)),
    );
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    let mut bad = Vec::new();
    enc.subpacket(&mut bad, &good, FrameEnd::CrcG, CrcKind::Crc32);
    bad[500] ^= 0x01;
    wire.extend_from_slice(&bad);
    let d = feed(&mut rx, t0, &wire);
    assert_eq!(d.written, good);
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 1000)]);
    // Data at the wrong offset is not taken either.
    let d = feed(
        &mut rx,
        t0,
        &bin32(
            Header::with_position(FrameType::Data, 2000),
            Some((&good, FrameEnd::CrcW)),
        ),
    );
    assert!(d.written.is_empty());
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 1000)]);
    // A ZEOF at the wrong place is ignored; at the right place it ends the file.
    let d = feed(
        &mut rx,
        t0,
        &bin32(Header::with_position(FrameType::Eof, 3000), None),
    );
    assert!(d.wire.is_empty() && d.events.is_empty());
    let d = feed(
        &mut rx,
        t0,
        &bin32(Header::with_position(FrameType::Eof, 1000), None),
    );
    assert_eq!(d.events, [Event::FileEnd { bytes: 1000 }]);
    assert_eq!(headers(&d.wire), [(FrameType::RInit, 0x2300_0000)]);
}

#[test]
fn a_file_that_ends_short_of_its_announced_length_fails() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &zfile(&info("f", 3000)));
    let data = pattern(1000);
    let mut wire = bin32(
        Header::with_position(FrameType::Data, 0),
        Some((&data, FrameEnd::CrcE)),
    );
    wire.extend(bin32(Header::with_position(FrameType::Eof, 1000), None));
    let d = feed(&mut rx, t0, &wire);
    assert_eq!(d.written, data);
    assert!(
        d.events.iter().any(|e| matches!(
            e,
            Event::Failed(Error::ShortFile {
                got: 1000,
                want: 3000
            })
        )),
        "{:?}",
        d.events
    );
    assert!(!d.events.iter().any(|e| matches!(e, Event::FileEnd { .. })));
    assert!(d.wire.starts_with(&[0x18; 5]), "cancelled");
}

#[test]
fn receiver_refuses_commands_and_reads_only_oo_after_zfin() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let mut cmd = hex(Header::new(FrameType::Command));
    Encoder::new(EscapeProfile::Minimal).subpacket(
        &mut cmd,
        b"rm -rf /\0",
        FrameEnd::CrcW,
        CrcKind::Crc16,
    );
    let d = feed(&mut rx, t0, &cmd);
    assert!(matches!(&d.events[..], [Event::Note(n)] if n.contains("rm -rf")));
    assert_eq!(headers(&d.wire), [(FrameType::Compl, 1)]);
    let d = feed(&mut rx, t0, &hex(Header::new(FrameType::Fin)));
    assert_eq!(d.wire, b"**\x18B0800000000022d\r\x8a");
    let n = rx.handle_input(t0, b"OO$ prompt");
    assert_eq!(n, 2, "only the OO belongs to the session");
    let d = drain(&mut rx, t0, &[], &mut 0);
    assert_eq!(d.events, [Event::Finished]);
    assert!(rx.is_finished());
}

/// lrzsz `sz` says `ZFIN` again when our `ZFIN` crossed a `ZRINIT` of ours, and dies of
/// SIGPIPE (exit 141) if we are gone before its `OO`: a repeated `ZFIN` is answered (at
/// most 3) and the `OO` still waited for; anything else still ends the session at once.
#[test]
fn receiver_answers_a_repeated_zfin_and_still_waits_for_oo() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let zfin = hex(Header::new(FrameType::Fin));
    let d = feed(&mut rx, t0, &zfin);
    assert_eq!(d.wire, b"**\x18B0800000000022d\r\x8a");
    let mut input = zfin.clone();
    input.extend_from_slice(b"OO$ prompt");
    let mut used = 0;
    let mut wire = Vec::new();
    while used < input.len() && !rx.is_finished() {
        let n = rx.handle_input(t0, &input[used..]);
        used += n;
        wire.extend(drain(&mut rx, t0, &[], &mut 0).wire);
        if n == 0 {
            break;
        }
    }
    assert_eq!(wire, b"**\x18B0800000000022d\r\x8a", "ZFIN answered again");
    assert_eq!(
        used,
        zfin.len() + 2,
        "the repeated ZFIN and the OO, not the prompt"
    );
    assert!(rx.is_finished());
    // Three repeats at most: the fourth ends the session without an answer.
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &zfin);
    let mut answers = 0;
    for _ in 0..4 {
        let mut at = 0;
        while at < zfin.len() && !rx.is_finished() {
            at += rx.handle_input(t0, &zfin[at..]);
            let w = drain(&mut rx, t0, &[], &mut 0).wire;
            answers += usize::from(!w.is_empty());
        }
    }
    assert_eq!(answers, 3);
    assert!(rx.is_finished());
}

#[test]
fn receiver_skips_or_resumes_as_the_caller_replies() {
    let t0 = Instant::now();
    let held = pattern(4096);
    let crc32 = crate::proto::crc::crc32(&held);
    // Skip; resume with the sender's CRC matching ours, not matching, or never answered.
    for (reply, answer, want) in [
        (FileReply::Skip, None, vec![(FrameType::Skip, 0)]),
        (
            FileReply::Resume { from: 4096, crc32 },
            Some(crc32),
            vec![(FrameType::Crc, 4096), (FrameType::RPos, 4096)],
        ),
        (
            FileReply::Resume { from: 4096, crc32 },
            Some(crc32 ^ 1),
            vec![(FrameType::Crc, 4096), (FrameType::RPos, 0)],
        ),
        (
            FileReply::Resume { from: 4096, crc32 },
            None,
            vec![(FrameType::Crc, 4096), (FrameType::RPos, 0)],
        ),
    ] {
        let mut rx = Receiver::new(ReceiverConfig::default(), t0);
        drain(&mut rx, t0, &[], &mut 0);
        rx.handle_input(t0, &zfile(&info("f", 9000)));
        // What drain does: the reply answers the FileStart.
        let mut wire = Vec::new();
        while let Some(out) = rx.poll_output() {
            match out {
                crate::proto::Output::FileStart(_) => rx.reply_file(t0, reply),
                crate::proto::Output::Transmit(b) => wire.extend_from_slice(b),
                _ => {}
            }
        }
        if reply != FileReply::Skip {
            let d = match answer {
                Some(c) => feed(&mut rx, t0, &hex(Header::with_position(FrameType::Crc, c))),
                None => tick(&mut rx, t0 + 10 * S),
            };
            wire.extend(d.wire);
        }
        assert_eq!(headers(&wire), want, "{reply:?} {answer:?}");
    }
}

#[test]
fn sender_refuses_a_zrpos_beyond_the_end_and_answers_zcrc() {
    let t0 = Instant::now();
    let data = pattern(5000);
    let mut tx = Sender::new(SenderConfig::default(), vec![info("f", data.len())], t0);
    drain(&mut tx, t0, &data, &mut 0);
    let zrinit = hex(Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0));
    let d = feed(&mut tx, t0, &zrinit);
    assert_eq!(headers(&d.wire), [(FrameType::File, 0x0100_0000)]);
    // ZCRC of the first 1000 bytes, then of the whole file.
    for (ask, n) in [(1000u32, 1000usize), (0, 5000)] {
        tx.handle_input(t0, &hex(Header::with_position(FrameType::Crc, ask)));
        let d = drain(&mut tx, t0, &data, &mut 0);
        let want = crate::proto::crc::crc32(&data[..n]);
        assert_eq!(headers(&d.wire), [(FrameType::Crc, want)]);
    }
    let d = feed(
        &mut tx,
        t0,
        &hex(Header::with_position(FrameType::RPos, 5001)),
    );
    assert_eq!(
        failed(&d.events),
        Some(&Error::PeerMisbehaved(
            crate::proto::PeerMisbehaved::PositionPastEnd
        ))
    );
}

/// After a `ZRPOS` during the data the frame in flight is closed and the data goes again from
/// the offset asked for; the first subpacket asks for a `ZACK` without waiting for it
/// (`ZCRCQ`): the window bounds what goes on meanwhile, and the line is not left idle for a
/// round trip on every error. A receiver that cannot answer while it receives (no `CANFDX`)
/// has no window: the first subpacket waits for its `ZACK` (`ZCRCW`).
#[test]
fn sender_resends_from_the_zrpos_offset_with_a_zcrcq_first() {
    let t0 = Instant::now();
    let data = pattern(50_000);
    let (mut tx, d, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
    assert_eq!(headers(&d.wire), [(FrameType::Data, 0)]);
    // Streaming: one subpacket per step, looking at the input in between.
    assert_eq!(tx.poll_timeout(), Some(t0));
    tx.handle_timeout(t0);
    let d = drain(&mut tx, t0, &data, &mut pos);
    assert_eq!(items_from(&d.wire, true).len(), 1, "one subpacket a step");
    tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 1024)));
    let d = drain(&mut tx, t0, &data, &mut pos);
    let got = items_from(&d.wire, true);
    let kinds: Vec<_> = got
        .iter()
        .map(|(i, b)| match i {
            Item::Header { header, .. } => format!("{:?}@{}", header.kind, header.position()),
            Item::Data { end } => format!("{end:?}:{}", b.len()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["CrcE:0", "Data@1024", "CrcQ:1024"], "{kinds:?}");
    assert_eq!(tx.poll_timeout(), Some(t0), "streaming on");

    // Half duplex: ZCRCW, and a wait.
    let mut tx = Sender::new(SenderConfig::default(), vec![info("f", data.len())], t0);
    drain(&mut tx, t0, &data, &mut 0);
    feed(
        &mut tx,
        t0,
        &hex(Header::with_flags(FrameType::RInit, 0x22, 0, 0, 0)),
    );
    let mut pos = 0;
    tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 0)));
    drain(&mut tx, t0, &data, &mut pos);
    tick_with(&mut tx, t0, &data, &mut pos);
    tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 1024)));
    let d = drain(&mut tx, t0, &data, &mut pos);
    assert_eq!(frames(&d.wire, true), ["CrcE:0", "Data@1024", "CrcW:1024"]);
    assert_eq!(tx.poll_timeout(), Some(t0 + 10 * S), "waiting for the ZACK");
}

#[test]
fn receiver_without_a_sender_repeats_zrinit_then_gives_up() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let mut zrinits = 1;
    let now = loop {
        let now = rx.poll_timeout().expect("a deadline");
        let d = tick(&mut rx, now);
        if let Some(e) = failed(&d.events) {
            assert!(matches!(e, Error::Timeout { .. }));
            break now;
        }
        zrinits += headers(&d.wire).len();
    };
    assert_eq!(now, t0 + 60 * S);
    assert_eq!(zrinits, 6);
}

#[test]
fn sender_fails_on_retries_at_an_offset() {
    let t0 = Instant::now();
    let data = pattern(3000);
    let mut tx = Sender::new(SenderConfig::default(), vec![info("f", data.len())], t0);
    drain(&mut tx, t0, &data, &mut 0);
    feed(
        &mut tx,
        t0,
        &hex(Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0)),
    );
    let mut now = t0;
    let mut last = None;
    for _ in 0..20 {
        now = tx.poll_timeout().expect("a deadline");
        let d = tick(&mut tx, now);
        if let Some(e) = failed(&d.events) {
            last = Some(e.clone());
            break;
        }
    }
    assert!(matches!(
        last,
        Some(Error::RetriesExhausted {
            at: Position::Offset(0),
            attempts: 10,
            ..
        })
    ));
    assert_eq!(now, t0 + 100 * S);
}

/// Found by the `zmodem_receiver` fuzz body: an error handled after the time the sender had
/// to start made the receiver send ZRINIT with the start limit, already past, as its deadline.
#[test]
fn receiver_gives_up_rather_than_set_a_deadline_in_the_past() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    // 59 s in: a ZSINIT header, whose subpacket never comes.
    let now = t0 + 59 * S;
    feed(&mut rx, now, &hex(Header::new(FrameType::SInit)));
    let deadline = rx.poll_timeout().expect("waiting for the subpacket");
    assert_eq!(deadline, t0 + 60 * S, "the start limit cuts the wait short");
    let d = tick(&mut rx, deadline);
    assert!(matches!(failed(&d.events), Some(Error::Timeout { .. })));
    assert_eq!(rx.poll_timeout(), None);
}

/// A sender that repeats `ZSINIT` (each answered with `ZACK`) and never sends a file: the
/// start timeout ends the session on time, as it does for a silent sender. Each `ZSINIT` used
/// to set a new 10 s deadline past the start limit, and the storm went on for as long as it
/// lasted.
#[test]
fn a_zsinit_storm_before_any_file_ends_at_the_start_timeout() {
    let t0 = Instant::now();
    let cfg = ReceiverConfig {
        limits: crate::proto::Limits {
            start: 8 * S,
            ..ReceiverConfig::default().limits
        },
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(cfg, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let zsinit = bin32(Header::new(FrameType::SInit), Some((b"\0", FrameEnd::CrcW)));
    let mut now = t0;
    let failed_at = loop {
        let d = feed(&mut rx, now, &zsinit);
        assert!(now < t0 + 20 * S, "still running at {:?}", now - t0);
        if let Some(e) = failed(&d.events) {
            assert!(matches!(e, Error::Timeout { .. }), "{e}");
            break now;
        }
        assert_eq!(headers(&d.wire), [(FrameType::Ack, 1)]);
        let next = now + S;
        if let Some(due) = rx.poll_timeout().filter(|&d| d <= next) {
            let d = tick(&mut rx, due);
            if let Some(e) = failed(&d.events) {
                assert!(matches!(e, Error::Timeout { .. }), "{e}");
                break due;
            }
        }
        now = next;
    };
    assert_eq!(failed_at - t0, 8 * S);
}

/// A sender that repeats its ZFILE (each answered with ZRPOS) but never sends data: the idle
/// limit ends the session, however long the storm lasts.
#[test]
fn a_storm_of_repeated_headers_ends_at_the_idle_limit() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &zfile(&info("f", 9000)));
    let mut failed_at = None;
    for k in 1..=60u32 {
        let now = t0 + k * 5 * S;
        let d = feed(&mut rx, now, &zfile(&info("f", 9000)));
        let d2 = tick(&mut rx, now);
        if let Some(e) = failed(&d.events).or(failed(&d2.events)) {
            assert!(matches!(e, Error::NoProgress { .. }), "{e}");
            failed_at = Some(now);
            break;
        }
    }
    assert_eq!(failed_at, Some(t0 + 100 * S));
}

/// Errors count per offset: a receiver that keeps asking for later and later offsets (a noisy
/// line, but progress) is served to the end; ten `ZRPOS` for one offset give up.
#[test]
fn sender_counts_zrpos_errors_per_offset() {
    let t0 = Instant::now();
    let data = pattern(50_000);
    let (mut tx, _, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
    let mut offset = 0;
    for _ in 0..30 {
        offset += 1000;
        // Two complaints per offset, as lrzsz's rz sends while the stream in flight drains.
        for _ in 0..2 {
            tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, offset)));
            let d = drain(&mut tx, t0, &data, &mut pos);
            assert_eq!(failed(&d.events), None, "at {offset}");
        }
    }
    let mut last = None;
    for _ in 0..10 {
        tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, offset)));
        let d = drain(&mut tx, t0, &data, &mut pos);
        last = failed(&d.events).cloned();
        if last.is_some() {
            break;
        }
    }
    assert!(
        matches!(
            last,
            Some(Error::RetriesExhausted { at: Position::Offset(o), attempts: 10, .. })
                if o == u64::from(offset)
        ),
        "{last:?}"
    );
}

/// A lost answer costs a second of quiet, not the 10 s header timeout: in a file the receiver
/// asks again with `ZRPOS` once nothing has come for `quiet_resend`; bytes that keep coming
/// (the tail of what the sender sent before our `ZRPOS`) put it off.
#[test]
fn receiver_asks_again_after_a_second_of_silence_in_a_file() {
    let t0 = Instant::now();
    let ms = Duration::from_millis(1);
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let d = feed(&mut rx, t0, &zfile(&info("f", 3000)));
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 0)]);
    // The sender's ZDATA is lost: ZRPOS again after 1 s.
    assert_eq!(rx.poll_timeout(), Some(t0 + S));
    assert!(tick(&mut rx, t0 + S - ms).wire.is_empty());
    let d = tick(&mut rx, t0 + S);
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 0)]);
    assert_eq!(rx.poll_timeout(), Some(t0 + 11 * S), "once per silence");
    let mut now = t0 + S;
    for _ in 0..5 {
        now += S / 2;
        assert!(feed(&mut rx, now, b"noise, no header").wire.is_empty());
        assert_eq!(rx.poll_timeout(), Some(now + S));
    }
    // A ZCRCQ subpacket is answered with ZACK; if that is lost, silence: ZRPOS from what it
    // holds.
    let good = pattern(1000);
    let d = feed(
        &mut rx,
        now,
        &bin32(
            Header::with_position(FrameType::Data, 0),
            Some((&good, FrameEnd::CrcQ)),
        ),
    );
    assert_eq!(d.written, good);
    assert_eq!(headers(&d.wire), [(FrameType::Ack, 1000)]);
    assert!(tick(&mut rx, now + S - ms).wire.is_empty());
    let d = tick(&mut rx, now + S);
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 1000)]);
    assert_eq!(failed(&d.events), None);
    // Still nothing (a sender held by flow control): the header timeout, as before, so a
    // long stall costs no more errors than it did.
    assert_eq!(rx.poll_timeout(), Some(now + 11 * S));
}

/// What the sender wrote, frame by frame: `Data@pos` for headers, `CrcQ:len` for subpackets.
fn frames(wire: &[u8], in_data: bool) -> Vec<String> {
    items_from(wire, in_data)
        .iter()
        .map(|(i, b)| match i {
            Item::Header { header, .. } => format!("{:?}@{}", header.kind, header.position()),
            Item::Data { end } => format!("{end:?}:{}", b.len()),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Once the receiver has asked for data again during the file (the line is noisy), the sender
/// keeps a window: at first two subpackets, each ending with `ZCRCQ`. Then it measures the
/// link from the `ZACK`s (the round trip from a `ZCRCQ` to its `ZACK`, what is acknowledged
/// per unit of time) and keeps a quarter more than the link carries in a round trip, and a
/// subpacket, unacknowledged: here every `ZACK` comes 100 ms after its `ZCRCQ` and the line
/// takes any amount, so each round trip acknowledges the whole window and the window grows,
/// up to 64 KiB. Before the first `ZRPOS` it streams with `ZCRCG`.
#[test]
fn after_a_zrpos_in_the_data_the_window_grows_to_what_the_link_carries() {
    let t0 = Instant::now();
    let data = pattern(4 << 20);
    let (mut tx, d, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
    let mut wire = d.wire;
    for _ in 0..4 {
        assert_eq!(tx.poll_timeout(), Some(t0), "streaming");
        wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
    }
    assert_eq!(
        frames(&wire, false),
        [
            "Data@0",
            "CrcG:1024",
            "CrcG:1024",
            "CrcG:1024",
            "CrcG:1024",
            "CrcG:1024"
        ]
    );
    // An error at 2048: the frame in flight is closed, and data goes again from 2048 with a
    // window of two subpackets, nothing measured yet.
    tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 2048)));
    let mut wire = drain(&mut tx, t0, &data, &mut pos).wire;
    while tx.poll_timeout() == Some(t0) {
        wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
    }
    assert_eq!(
        frames(&wire, true),
        ["CrcE:0", "Data@2048", "CrcQ:1024", "CrcQ:1024"]
    );
    assert_eq!(
        tx.poll_timeout(),
        Some(t0 + 10 * S),
        "full: wait for a ZACK"
    );

    // Each round trip, the ZACKs of the ZCRCQs sent in the one before.
    let rtt = Duration::from_millis(100);
    let mut queries: Vec<u64> = items_from(&wire, true)
        .iter()
        .scan(2048u64, |at, (item, body)| {
            *at += body.len() as u64;
            Some((*item, *at))
        })
        .filter_map(|(i, at)| {
            matches!(
                i,
                Item::Data {
                    end: FrameEnd::CrcQ
                }
            )
            .then_some(at)
        })
        .collect();
    let mut now = t0;
    let mut in_flight = Vec::new();
    for _ in 0..24 {
        now += rtt;
        let acked = *queries.last().expect("a ZCRCQ");
        let mut at = pos as u64;
        let mut wire = Vec::new();
        for &end in &queries {
            tx.handle_input(now, &hex(Header::with_position(FrameType::Ack, end as u32)));
            wire.extend(drain(&mut tx, now, &data, &mut pos).wire);
            while tx.poll_timeout() == Some(now) {
                wire.extend(tick_with(&mut tx, now, &data, &mut pos).wire);
            }
        }
        in_flight.push(pos as u64 - acked);
        queries = items_from(&wire, true)
            .iter()
            .filter_map(|(item, body)| {
                at += body.len() as u64;
                matches!(
                    item,
                    Item::Data {
                        end: FrameEnd::CrcQ
                    }
                )
                .then_some(at)
            })
            .collect();
    }
    // Each round trip the window is what was acknowledged in the one before, a quarter more
    // and a subpacket (ZCRCQs every quarter window round it off), up to 64 KiB. The first
    // rates measured (20 KiB a second) make the subpackets shorter (25 ms on the line) until
    // the rate has grown.
    assert_eq!(
        in_flight[..8],
        [3072, 3904, 5248, 6688, 10240, 13312, 14336, 16384]
    );
    assert!(
        (in_flight[16..].iter()).all(|&w| (63 << 10..=65 << 10).contains(&w)),
        "{in_flight:?}"
    );
}

/// A full window waits four times the slowest `ZACK` so far (at least 1 s) before it takes
/// the `ZACK` for lost and sends again from what was acknowledged: a lost `ZACK` (lrzsz `rz`
/// has no quick resend of its own) cost the 10 s answer timeout.
#[test]
fn a_full_window_waits_four_times_the_slowest_zack_before_sending_again() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let data = pattern(50_000);
    let cfg = SenderConfig {
        window: Some(2048),
        ..SenderConfig::default()
    };
    let (mut tx, d, mut pos) = sender_at_zrpos(cfg, &data, t0);
    let mut wire = d.wire;
    while tx.poll_timeout() == Some(t0) {
        wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
    }
    // Subpackets of 1024 with a ZCRCQ each (a quarter window is 512), two in flight.
    assert_eq!(frames(&wire, false), ["Data@0", "CrcQ:1024", "CrcQ:1024"]);
    assert_eq!(tx.poll_timeout(), Some(t0 + 10 * S), "no ZACK timed yet");
    // The first ZACK after 300 ms: the next full window waits 1.2 s.
    let t1 = t0 + ms(300);
    tx.handle_input(t1, &hex(Header::with_position(FrameType::Ack, 1024)));
    let d = drain(&mut tx, t1, &data, &mut pos);
    assert_eq!(frames(&d.wire, true), ["CrcQ:1024"]);
    assert_eq!(tx.poll_timeout(), Some(t1 + ms(1200)));
    // That ZACK (for 2048) is lost; the one for 3072 never comes either: at the deadline
    // the sender goes back to what was acknowledged.
    let t2 = t1 + ms(1200);
    let d = tick_with(&mut tx, t2, &data, &mut pos);
    let f = frames(&d.wire, false);
    assert_eq!(f, ["Data@1024", "CrcQ:1024"], "{f:?}");
    assert!(d.events.iter().any(|e| matches!(e, Event::Retry { .. })));
    // A slow line's ZACKs (4 s) make it wait longer, never more than the answer timeout.
    let mut slow = Sender::new(SenderConfig::default(), vec![], t0);
    slow.window.ack_delay = Some(4 * S);
    assert_eq!(slow.ack_wait(), 10 * S);
    slow.window.ack_delay = Some(ms(2000));
    assert_eq!(slow.ack_wait(), 8 * S);
}

/// The receiver answers a damaged `ZFIN` with `ZRINIT` (it is still waiting for a file): the
/// sender says `ZFIN` again at once rather than after its 10 s answer timeout.
#[test]
fn sender_repeats_zfin_when_the_receiver_still_waits_for_a_file() {
    let t0 = Instant::now();
    let mut tx = Sender::new(SenderConfig::default(), vec![], t0);
    drain(&mut tx, t0, &[], &mut 0);
    let zrinit = hex(Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0));
    let d = feed(&mut tx, t0, &zrinit);
    assert_eq!(headers(&d.wire), [(FrameType::Fin, 0)]);
    let now = t0 + Duration::from_millis(5);
    let d = feed(&mut tx, now, &zrinit);
    assert_eq!(headers(&d.wire), [(FrameType::Fin, 0)]);
    let d = feed(&mut tx, now, &hex(Header::new(FrameType::Fin)));
    assert_eq!(d.wire, b"OO");
    assert!(d.events.contains(&Event::Finished));
}

/// Found by the simulator (`zmodem:0x43`): a `ZRPOS` that crossed our `ZEOF` made us resend,
/// while the receiver took the `ZEOF`, ended the file and answered `ZRINIT`; we ignored
/// that, resent on every timeout, and the receiver (between files) refused the data until we
/// gave up. A `ZRINIT` after a `ZEOF` at the end went out ends the file.
#[test]
fn a_zrinit_while_resending_after_our_zeof_ends_the_file() {
    let t0 = Instant::now();
    let data = pattern(3000);
    let mut tx = Sender::new(SenderConfig::default(), vec![info("f", data.len())], t0);
    drain(&mut tx, t0, &data, &mut 0);
    let zrinit = hex(Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0));
    feed(&mut tx, t0, &zrinit);
    let mut pos = 0;
    tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 0)));
    drain(&mut tx, t0, &data, &mut pos);
    let mut wire = Vec::new();
    for _ in 0..3 {
        wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
    }
    assert!(headers(&wire).contains(&(FrameType::Eof, 3000)));
    // A late ZRPOS: resend from 1024, asking for a ZACK.
    tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 1024)));
    let d = drain(&mut tx, t0, &data, &mut pos);
    assert_eq!(frames(&d.wire, false), ["Data@1024", "CrcQ:1024"]);
    // The receiver had the whole file: ZRINIT. The file is done; ZFIN follows.
    tx.handle_input(t0, &zrinit);
    let d = drain(&mut tx, t0, &data, &mut pos);
    assert!(
        d.events.contains(&Event::FileEnd { bytes: 3000 }),
        "{:?}",
        d.events
    );
    assert_eq!(headers(&d.wire), [(FrameType::Fin, 0)]);
    // Before any ZEOF, a ZRINIT (a stray start-up one) changes nothing.
    let (mut tx, _, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
    tx.handle_input(t0, &zrinit);
    let d = drain(&mut tx, t0, &data, &mut pos);
    assert!(d.wire.is_empty() && d.events.is_empty(), "{d:?}");
}

/// A receiver that answers our `ZFIN` with its own and hangs up at once (two independent
/// receivers do): our `OO` cannot be written, and the session is still a success.
#[test]
fn a_hang_up_after_the_receivers_zfin_is_the_end() {
    let t0 = Instant::now();
    let mut tx = Sender::new(SenderConfig::default(), vec![], t0);
    drain(&mut tx, t0, &[], &mut 0);
    let d = feed(
        &mut tx,
        t0,
        &hex(Header::with_flags(FrameType::RInit, 0x23, 0, 0, 0)),
    );
    assert_eq!(headers(&d.wire), [(FrameType::Fin, 0)]);
    let d = feed(&mut tx, t0, &hex(Header::new(FrameType::Fin)));
    assert_eq!(d.wire, b"OO");
    assert!(d.events.contains(&Event::Finished), "{:?}", d.events);
    assert!(
        tx.handle_hang_up(t0),
        "a hang-up after ZFIN failed the session"
    );
    let d = drain(&mut tx, t0, &[], &mut 0);
    assert!(d.wire.is_empty() && d.events.is_empty(), "{d:?}");
    assert!(tx.is_finished());
}

/// What a receiver that answers `ZFILE` with `ZRPOS(0)` and then asks for 0, 1024, 0,
/// 1024... every 20 ms does to a sender with `cfg`: when it failed, with what, and after how
/// many `ZRPOS`. The sender streams at most four subpackets between two of them.
fn zrpos_see_saw(cfg: SenderConfig) -> (Duration, Error, u32) {
    let t0 = Instant::now();
    let data = pattern(200_000);
    let (mut tx, _, mut pos) = sender_at_zrpos(cfg, &data, t0);
    let mut now = t0;
    for k in 0..50_000u32 {
        now += Duration::from_millis(20);
        let offset = if k.is_multiple_of(2) { 0 } else { 1024 };
        tx.handle_input(now, &hex(Header::with_position(FrameType::RPos, offset)));
        let mut events = drain(&mut tx, now, &data, &mut pos).events;
        for _ in 0..4 {
            if tx.poll_timeout().is_some_and(|d| d <= now) {
                events.extend(tick_with(&mut tx, now, &data, &mut pos).events);
            }
        }
        if let Some(e) = failed(&events) {
            return (now - t0, e.clone(), k + 1);
        }
    }
    panic!("still streaming after 1000 s of ZRPOS 0, 1024, 0, 1024...");
}

/// A `ZRPOS` back to an offset already confirmed is no progress, so it no longer counts the
/// errors from 0: the see-saw gives up after the errors allowed, at the offset it asked for.
#[test]
fn a_zrpos_see_saw_gives_up_after_the_errors_allowed() {
    let (after, e, zrpos) = zrpos_see_saw(SenderConfig::default());
    assert_eq!(
        e,
        Error::RetriesExhausted {
            at: Position::Offset(0),
            attempts: 10,
            last: RetryReason::Nak,
        }
    );
    // The first ZRPOS for 1024 is progress (errors from 0), then ten more errors.
    assert_eq!(zrpos, 11);
    assert_eq!(after, Duration::from_millis(220));
}

/// However many errors are allowed, the see-saw ends at the idle limit: nothing new is sent
/// or confirmed after the first rounds.
#[test]
fn a_zrpos_see_saw_ends_at_the_idle_limit() {
    // The default limit, and a small one (--idle-timeout 8).
    for limit in [SenderConfig::default().limits.idle, 8 * S] {
        let cfg = SenderConfig {
            limits: crate::proto::Limits {
                max_errors: u32::MAX,
                idle: limit,
                ..SenderConfig::default().limits
            },
            ..SenderConfig::default()
        };
        let (after, e, _) = zrpos_see_saw(cfg);
        assert_eq!(e, Error::NoProgress { limit });
        assert!(
            (limit..limit + Duration::from_millis(100)).contains(&after),
            "{after:?}"
        );
    }
}

/// 10 000 `ZRPOS` for 0 give up after ten, naming the offset asked for (the message named
/// the offset the sender had reached, 32).
#[test]
fn a_zrpos_storm_names_the_offset_asked_for() {
    let t0 = Instant::now();
    let data = pattern(50_000);
    let (mut tx, _, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
    let zrpos = hex(Header::with_position(FrameType::RPos, 0));
    let mut last = None;
    for _ in 0..10_000 {
        tx.handle_input(t0, &zrpos);
        let mut events = drain(&mut tx, t0, &data, &mut pos).events;
        events.extend(tick_with(&mut tx, t0, &data, &mut pos).events);
        last = failed(&events).cloned();
        if last.is_some() {
            break;
        }
    }
    let e = last.expect("still going after 10 000 ZRPOS");
    assert_eq!(
        e.to_string(),
        "gave up after 10 errors on offset 0 (last: NAK)"
    );
}

/// A receiver that stops answering in the middle of a file: once the idle limit comes, the
/// message says it went silent, not that it kept the session going.
#[test]
fn a_receiver_that_goes_silent_is_named_silent() {
    let t0 = Instant::now();
    let data = pattern(50_000);
    let cfg = SenderConfig {
        window: Some(4096),
        ..SenderConfig::default()
    };
    let (mut tx, _, mut pos) = sender_at_zrpos(cfg, &data, t0);
    let mut now = t0;
    let e = loop {
        let deadline = tx.poll_timeout().expect("a deadline");
        // A real driver wakes a little after each deadline.
        now = deadline.max(now) + Duration::from_millis(1);
        assert!(now < t0 + 1000 * S, "still going after 1000 s");
        if let Some(e) = failed(&tick_with(&mut tx, now, &data, &mut pos).events) {
            break e.clone();
        }
    };
    assert!(
        matches!(e, Error::Silent { peer: "receiver", quiet } if quiet >= 10 * S),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("the receiver went silent: no answer for ")
    );
}

/// `ZFERR`, `ZABORT` and `ZCAN` are the receiver cancelling, as its cancel sequence is: the
/// same typed cause (exit 3), and no cancel sequence back.
#[test]
fn zferr_zabort_and_zcan_are_cancels_by_the_receiver() {
    let t0 = Instant::now();
    let data = pattern(3000);
    for (kind, says) in [
        (FrameType::FErr, "could not store the file"),
        (FrameType::Abort, "aborted the transfer (ZABORT)"),
        (FrameType::Can, "cancelled the transfer (ZCAN)"),
    ] {
        let (mut tx, _, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
        tx.handle_input(t0, &hex(Header::new(kind)));
        let d = drain(&mut tx, t0, &data, &mut pos);
        let e = failed(&d.events).expect("failed");
        assert!(e.is_cancelled_by_peer(), "{kind:?}: {e:?}");
        assert!(e.to_string().contains(says), "{kind:?}: {e}");
        assert!(!d.wire.contains(&0x18), "{kind:?}: {:02x?}", d.wire);
    }
}

/// Feed `read` as one read of the link, draining between the pieces the engine takes.
fn feed_read(tx: &mut Sender, now: Instant, read: &[u8], data: &[u8], pos: &mut usize) -> Drained {
    let mut all = Drained::default();
    let mut rest = read;
    while !rest.is_empty() {
        let n = tx.handle_input(now, rest);
        rest = &rest[n..];
        let d = drain(tx, now, data, pos);
        all.wire.extend(d.wire);
        all.events.extend(d.events);
    }
    all
}

/// lrzsz `rz` sends a `ZRPOS` for every damaged header or misplaced `ZDATA` it sees, so
/// several for one offset arrive together, before our answer has reached it. They are
/// answered once, by the latest request in the read, and counted once: answering each sent
/// the same data six times, and each extra copy reached the receiver at an offset it no
/// longer wanted and earned another round of `ZRPOS`es (128 KiB into `rz --errors 1000`
/// failed about one run in twelve).
#[test]
fn zrpos_requests_that_arrive_together_are_answered_once() {
    let t0 = Instant::now();
    let data = pattern(50_000);
    let (mut tx, _, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
    for _ in 0..4 {
        tick_with(&mut tx, t0, &data, &mut pos);
    }
    let rpos = |at| hex(Header::with_position(FrameType::RPos, at));
    let retries = |d: &Drained| {
        (d.events.iter())
            .filter(|e| matches!(e, Event::Retry { .. }))
            .count()
    };

    // Six requests for 1024, then one for 2048: the data goes again from 2048 only.
    let read: Vec<u8> = [rpos(1024).repeat(6), rpos(2048)].concat();
    let d = feed_read(&mut tx, t0, &read, &data, &mut pos);
    let zdata: Vec<_> = headers(&d.wire)
        .into_iter()
        .filter(|h| h.0 == FrameType::Data)
        .collect();
    assert_eq!(zdata, [(FrameType::Data, 2048)]);
    assert_eq!(retries(&d), 1);

    // Requests for 2048, then the acknowledgement of the resent subpacket: the receiver
    // got further after asking, so nothing goes again; the data goes on in the same frame.
    let read = [
        rpos(2048).repeat(3),
        hex(Header::with_position(FrameType::Ack, 3072)),
    ]
    .concat();
    let d = feed_read(&mut tx, t0, &read, &data, &mut pos);
    let zdata: Vec<_> = (headers(&d.wire).into_iter())
        .filter(|h| h.0 == FrameType::Data)
        .collect();
    assert_eq!(zdata, []);
    assert_eq!(retries(&d), 0);
    while tx.poll_timeout() == Some(t0) {
        tick_with(&mut tx, t0, &data, &mut pos);
    }
    assert!(pos > 3072, "the data goes on");

    // Requests that come in separate reads are each answered: the answer may have been lost.
    for _ in 0..2 {
        let d = feed_read(&mut tx, t0, &rpos(3072), &data, &mut pos);
        assert_eq!(retries(&d), 1);
        assert!(headers(&d.wire).contains(&(FrameType::Data, 3072)));
    }
}

/// A `ZRPOS` for the offset data just went again from, sooner than the shortest round trip
/// measured after that answer, cannot be about the answer (the receiver saw several damaged
/// frames, or its repeat crossed our answer): the data it asks for is on its way, and it is
/// neither answered nor counted. After a round trip it is answered: the answer may have been
/// lost.
#[test]
fn a_repeated_zrpos_sooner_than_a_round_trip_after_the_answer_is_not_answered() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let data = pattern(50_000);
    let (mut tx, _, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
    for _ in 0..2 {
        tick_with(&mut tx, t0, &data, &mut pos);
    }
    let rpos = |at| hex(Header::with_position(FrameType::RPos, at));
    let answered = |d: &Drained| {
        let retried = d.events.iter().any(|e| matches!(e, Event::Retry { .. }));
        let zdata = headers(&d.wire).iter().any(|h| h.0 == FrameType::Data);
        assert_eq!(retried, zdata, "an answer is counted, and only an answer");
        zdata
    };
    // An error at 1024; the ZACK of the window's two ZCRCQs after 100 ms: a round trip of
    // 100 ms, 2048 bytes in it, so 50 ms of it were the subpackets' own time on the line.
    assert!(answered(&feed_read(
        &mut tx,
        t0,
        &rpos(1024),
        &data,
        &mut pos
    )));
    while tx.poll_timeout() == Some(t0) {
        tick_with(&mut tx, t0, &data, &mut pos);
    }
    assert_eq!(pos, 3072, "a window of two subpackets");
    let t1 = t0 + ms(100);
    feed_read(
        &mut tx,
        t1,
        &hex(Header::with_position(FrameType::Ack, 3072)),
        &data,
        &mut pos,
    );
    // An error at 3072, asked for three times: 20 ms after the answer it is an echo, 100 ms
    // after it a request of its own.
    let t2 = t1 + ms(10);
    assert!(answered(&feed_read(
        &mut tx,
        t2,
        &rpos(3072),
        &data,
        &mut pos
    )));
    let d = feed_read(&mut tx, t2 + ms(20), &rpos(3072), &data, &mut pos);
    assert!(!answered(&d), "an echo is not answered: {:?}", d.events);
    let d = feed_read(&mut tx, t2 + ms(100), &rpos(3072), &data, &mut pos);
    assert!(answered(&d), "a round trip later it is");
}

/// Errors count per offset: a `ZACK` further than anything confirmed counts them from 0 again
/// also when it comes while the window still has room (on a long line every `ZACK` does).
/// Found by the simulator on a 115200-baud line with 50 ms each way: ten errors, each after a
/// `ZACK` of what came before it, made the sender give up on a transfer that was progressing.
#[test]
fn a_zack_while_streaming_counts_the_errors_from_zero_again() {
    let t0 = Instant::now();
    let data = pattern(200_000);
    let cfg = SenderConfig {
        window: Some(16_384),
        ..SenderConfig::default()
    };
    let (mut tx, _, mut pos) = sender_at_zrpos(cfg, &data, t0);
    let mut at = 0u32;
    for _ in 0..15 {
        while pos < at as usize + 8192 {
            assert_eq!(tx.poll_timeout(), Some(t0), "streaming");
            tick_with(&mut tx, t0, &data, &mut pos);
        }
        // The receiver acknowledges 4096 more, then finds an error right after it.
        at += 4096;
        let d = feed(&mut tx, t0, &hex(Header::with_position(FrameType::Ack, at)));
        assert!(d.wire.is_empty() || failed(&d.events).is_none());
        let d = feed_read(
            &mut tx,
            t0,
            &hex(Header::with_position(FrameType::RPos, at)),
            &data,
            &mut pos,
        );
        assert_eq!(failed(&d.events), None, "at {at}");
        assert!(headers(&d.wire).contains(&(FrameType::Data, at)));
    }
}

/// A full window that waits in vain for a `ZACK` waits twice as long the next time, up to the
/// answer timeout, until the receiver answers again: a receiver whose answers are held up (a
/// reverse line stalled for 16 s, the simulator's `zmodem:0x66c`) is not given up after ten
/// waits of a second.
#[test]
fn a_full_window_waits_twice_as_long_after_each_wait_in_vain() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let data = pattern(50_000);
    let cfg = SenderConfig {
        window: Some(2048),
        ..SenderConfig::default()
    };
    let (mut tx, _, mut pos) = sender_at_zrpos(cfg, &data, t0);
    while tx.poll_timeout() == Some(t0) {
        tick_with(&mut tx, t0, &data, &mut pos);
    }
    // A ZACK after 300 ms: a full window waits 1.2 s.
    let mut now = t0 + ms(300);
    feed_read(
        &mut tx,
        now,
        &hex(Header::with_position(FrameType::Ack, 1024)),
        &data,
        &mut pos,
    );
    while tx.poll_timeout() == Some(now) {
        tick_with(&mut tx, now, &data, &mut pos);
    }
    let mut waits = Vec::new();
    for _ in 0..5 {
        let at = tx.poll_timeout().expect("a deadline");
        waits.push(at - now);
        now = at;
        let d = tick_with(&mut tx, now, &data, &mut pos);
        assert!(
            headers(&d.wire).contains(&(FrameType::Data, 1024)),
            "sent again"
        );
        while tx.poll_timeout() == Some(now) {
            tick_with(&mut tx, now, &data, &mut pos);
        }
    }
    assert_eq!(waits, [ms(1200), ms(2400), ms(4800), ms(9600), 10 * S]);
    // The receiver answers: short waits again.
    let end = pos as u32;
    feed_read(
        &mut tx,
        now,
        &hex(Header::with_position(FrameType::Ack, end)),
        &data,
        &mut pos,
    );
    while tx.poll_timeout() == Some(now) {
        tick_with(&mut tx, now, &data, &mut pos);
    }
    assert_eq!(tx.poll_timeout(), Some(now + ms(1200)));
}

/// The receiver asks again for data it asked for when the answer (a `ZDATA` at the offset it
/// holds) does not come within twice the longest an answer took in the session, while the
/// sender goes on sending (its window of data that the receiver skips): the `ZRPOS` or the
/// answer's header was lost. Neither the quick resend after a second of silence nor the
/// sender's wait for a `ZACK` would come before the window is full and a second has passed.
/// Once per answer: if that is not answered either, the silence and header timeouts rule.
#[test]
fn receiver_asks_again_when_the_answer_to_its_zrpos_is_late() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let d = feed(&mut rx, t0, &zfile(&info("f", 100_000)));
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 0)]);
    // The answer after 100 ms, then a damaged subpacket at 1000.
    let good = pattern(1000);
    let mut wire = bin32(
        Header::with_position(FrameType::Data, 0),
        Some((&good, FrameEnd::CrcG)),
    );
    let mut bad = Vec::new();
    Encoder::new(EscapeProfile::Minimal).subpacket(&mut bad, &good, FrameEnd::CrcG, CrcKind::Crc32);
    bad[100] ^= 0x01;
    wire.extend_from_slice(&bad);
    let t1 = t0 + ms(100);
    let d = feed(&mut rx, t1, &wire);
    assert_eq!(headers(&d.wire), [(FrameType::RPos, 1000)]);
    // The sender's data goes on (it did not get the ZRPOS): bytes every 50 ms, no header.
    let mut now = t1;
    let mut asked = Vec::new();
    for _ in 0..12 {
        now += ms(50);
        let d = feed(&mut rx, now, b"data the receiver skips");
        asked.extend(headers(&d.wire).into_iter().map(|h| (h, now - t1)));
        if rx.poll_timeout().is_some_and(|at| at <= now + ms(50)) {
            let at = rx.poll_timeout().unwrap_or(now);
            let d = tick(&mut rx, at);
            asked.extend(headers(&d.wire).into_iter().map(|h| (h, at - t1)));
        }
    }
    assert_eq!(
        asked,
        [((FrameType::RPos, 1000), ms(200))],
        "once, after 2 x 100 ms"
    );
}

/// Once the line has shown errors, a subpacket is no longer on the line than 25 ms at the
/// rate the `ZACK`s measure: an error costs the whole damaged subpacket, and a long one is
/// hit more often. Here a 115200-baud line (11 520 bytes a second) with 50 ms each way: the
/// `ZACK`s of the window's two 1024-byte `ZCRCQ`s come 189 and 278 ms after the `ZRPOS`
/// answer went, and what follows goes in subpackets of 160 bytes (7 366 bytes a second
/// acknowledged so far, 184 in 25 ms, down to a multiple of 32). The window is still the
/// least, two subpackets, and these short ones fill it with `ZCRCQ` every quarter window.
#[test]
fn after_errors_a_slow_line_gets_short_subpackets() {
    let t0 = Instant::now();
    let data = pattern(64 << 10);
    let (mut tx, _, mut pos) = sender_at_zrpos(SenderConfig::default(), &data, t0);
    tick_with(&mut tx, t0, &data, &mut pos);
    tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 1024)));
    let mut wire = drain(&mut tx, t0, &data, &mut pos).wire;
    while tx.poll_timeout() == Some(t0) {
        wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
    }
    assert_eq!(
        frames(&wire, true),
        ["CrcE:0", "Data@1024", "CrcQ:1024", "CrcQ:1024"]
    );
    let mut wire = Vec::new();
    for (ms, end) in [(189, 2048), (278, 3072)] {
        let now = t0 + Duration::from_millis(ms);
        tx.handle_input(now, &hex(Header::with_position(FrameType::Ack, end)));
        wire.extend(drain(&mut tx, now, &data, &mut pos).wire);
        while tx.poll_timeout() == Some(now) {
            wire.extend(tick_with(&mut tx, now, &data, &mut pos).wire);
        }
    }
    // After the first ZACK 5 418 bytes a second (128 in 25 ms), after the second 7 366.
    assert_eq!(
        frames(&wire, true),
        [
            "CrcG:128", "CrcG:128", "CrcQ:128", "CrcG:160", "CrcG:160", "CrcQ:160", "CrcG:160",
            "CrcG:160", "CrcQ:160", "CrcG:160", "CrcG:160", "CrcQ:160", "CrcG:160"
        ]
    );
}

/// On a long link (the `ZFILE` answered after 100 ms: 50 ms each way) the sender keeps a
/// window from the first data on, not only after errors: what it streamed would wait in the
/// link's transmit buffer (4 KiB is 0.36 s at 115200 baud) and go again after the first
/// error. At first two `ZCRCQ` subpackets; the two `ZACK`s, 89 ms apart (115200 baud: 1024
/// bytes in 89 ms), measure the line's rate; the window is then what the line carries in the
/// round trip (194 ms, less the `ZCRCQ`'s own 1024 bytes), the `ZCRCQ` spacing (a subpacket)
/// and 10 ms: 2 347 bytes, so three subpackets go (one starts while there is room), not a
/// transmit buffer's worth.
#[test]
fn on_a_long_link_the_window_holds_from_the_first_data() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let data = pattern(64 << 10);
    let t1 = t0 + ms(100);
    let (mut tx, d, mut pos) = sender_answered_at(SenderConfig::default(), &data, t0, t1);
    let mut wire = d.wire;
    while tx.poll_timeout() == Some(t1) {
        wire.extend(tick_with(&mut tx, t1, &data, &mut pos).wire);
    }
    assert_eq!(
        frames(&wire, false),
        ["Data@0", "CrcQ:1024", "CrcQ:1024"],
        "two subpackets, then a wait for a ZACK"
    );
    for (at, end) in [(ms(194), 1024), (ms(283), 2048)] {
        tx.handle_input(t1 + at, &hex(Header::with_position(FrameType::Ack, end)));
        drain(&mut tx, t1 + at, &data, &mut pos);
        while tx.poll_timeout() == Some(t1 + at) {
            tick_with(&mut tx, t1 + at, &data, &mut pos);
        }
    }
    assert_eq!(pos - 2048, 3072, "the round trip's worth");
}

/// A short link (the `ZFILE` answered after 5 ms: a cable, a pipe) streams until the first
/// error, as before: no `ZCRCQ`, no window.
#[test]
fn on_a_short_link_the_sender_streams() {
    let t0 = Instant::now();
    let data = pattern(64 << 10);
    let t1 = t0 + Duration::from_millis(5);
    let (mut tx, d, mut pos) = sender_answered_at(SenderConfig::default(), &data, t0, t1);
    let mut wire = d.wire;
    for _ in 0..4 {
        wire.extend(tick_with(&mut tx, t1, &data, &mut pos).wire);
    }
    let frames = frames(&wire, false);
    assert_eq!(frames[0], "Data@0");
    assert!(frames[1..].iter().all(|f| f == "CrcG:1024"), "{frames:?}");
    assert_eq!(frames.len(), 6);
}

/// With a window, subpackets shrunk by repeated `ZRPOS`es grow back only once the receiver
/// acknowledges eight of them, not after eight are sent: a window of many subpackets sent
/// them all within a round trip, grew them back before the receiver could say they failed
/// again, and a line that damages long subpackets (the simulator's `zmodem:0xe3`: 921600
/// baud, 100 ms each way, a bit error per kilobyte) failed the file after ten `ZRPOS` at one
/// offset.
#[test]
fn with_a_window_subpackets_grow_back_on_acknowledgement() {
    let t0 = Instant::now();
    let data = pattern(64 << 10);
    let cfg = SenderConfig {
        window: Some(16_384),
        ..SenderConfig::default()
    };
    // A long link (the ZFILE answered after 100 ms).
    let t0 = t0 + Duration::from_millis(100);
    let (mut tx, _, mut pos) = sender_answered_at(cfg, &data, t0 - Duration::from_millis(100), t0);
    tick_with(&mut tx, t0, &data, &mut pos);
    let mut wire = Vec::new();
    for _ in 0..3 {
        tx.handle_input(t0, &hex(Header::with_position(FrameType::RPos, 1024)));
        wire = drain(&mut tx, t0, &data, &mut pos).wire;
        while tx.poll_timeout() == Some(t0) {
            wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
        }
    }
    let sizes: Vec<String> = frames(&wire, true)
        .into_iter()
        .filter(|f| f.starts_with("Crc") && f != "CrcE:0")
        .collect();
    assert!(sizes.len() > 8, "a window of many subpackets: {sizes:?}");
    assert!(
        sizes.iter().all(|f| f.ends_with(":256")),
        "halved at each repeat (twice), and not grown back: {sizes:?}"
    );
    // Eight of them acknowledged: twice as long again.
    tx.handle_input(
        t0,
        &hex(Header::with_position(FrameType::Ack, 1024 + 8 * 256)),
    );
    let mut wire = drain(&mut tx, t0, &data, &mut pos).wire;
    while tx.poll_timeout() == Some(t0) {
        wire.extend(tick_with(&mut tx, t0, &data, &mut pos).wire);
    }
    assert!(
        frames(&wire, true).iter().any(|f| f.ends_with(":512")),
        "{:?}",
        frames(&wire, true)
    );
}

/// A receiver that does not answer `ZCRCQ` on a long link: the window of the first data waits
/// the answer timeout for the first `ZACK`, then the sender streams on from where it is, as
/// it would have before the first error (no data goes again, no error is counted).
#[test]
fn on_a_long_link_a_receiver_that_never_acknowledges_gets_the_stream() {
    let t0 = Instant::now();
    let t1 = t0 + Duration::from_millis(100);
    let data = pattern(64 << 10);
    let (mut tx, d, mut pos) = sender_answered_at(SenderConfig::default(), &data, t0, t1);
    let mut wire = d.wire;
    while tx.poll_timeout() == Some(t1) {
        wire.extend(tick_with(&mut tx, t1, &data, &mut pos).wire);
    }
    assert_eq!(frames(&wire, false), ["Data@0", "CrcQ:1024", "CrcQ:1024"]);
    let t2 = t1 + 10 * S;
    assert_eq!(tx.poll_timeout(), Some(t2), "the answer timeout");
    let mut d = tick_with(&mut tx, t2, &data, &mut pos);
    for _ in 0..3 {
        let more = tick_with(&mut tx, t2, &data, &mut pos);
        d.wire.extend(more.wire);
        d.events.extend(more.events);
    }
    assert!(
        !d.events.iter().any(|e| matches!(e, Event::Retry { .. })),
        "{:?}",
        d.events
    );
    assert_eq!(
        frames(&d.wire, true),
        ["CrcG:1024", "CrcG:1024", "CrcG:1024", "CrcG:1024"]
    );
    assert_eq!(pos, 6 * 1024);
}
