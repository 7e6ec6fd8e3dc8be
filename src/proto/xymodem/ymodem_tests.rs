//! YMODEM and YMODEM-G engine tests on virtual time.

use std::time::{Duration, Instant};

use crate::proto::FileInfo;
use crate::proto::cancel::CANCEL_SEQUENCE;
use crate::proto::testkit::*;
use crate::proto::xymodem::block::{ACK, EOT, G_START, LARGE, NAK, SMALL, SOH, STX};
use crate::proto::xymodem::header;
use crate::proto::xymodem::{Receiver, ReceiverConfig, RecvMode, SendMode, Sender, SenderConfig};
use crate::proto::{Check, Engine, Error, Event, Position, Protocol, RetryReason};

fn info(name: &str, size: usize) -> FileInfo {
    FileInfo {
        name: name.as_bytes().to_vec(),
        size: Some(size as u64),
        mtime: Some(0o14_000_000_000),
        mode: Some(0o100_640),
        ..FileInfo::default()
    }
}

fn ysender(one_k: bool, files: Vec<FileInfo>, now: Instant) -> Sender {
    let cfg = SenderConfig {
        mode: SendMode::Ymodem,
        one_k,
        ..SenderConfig::default()
    };
    Sender::new(cfg, files, now)
}

fn yreceiver(mode: RecvMode, now: Instant) -> Receiver {
    let cfg = ReceiverConfig {
        mode,
        ..ReceiverConfig::default()
    };
    Receiver::new(cfg, now)
}

fn header_block(info: &FileInfo) -> Vec<u8> {
    let mut data = Vec::new();
    let size = header::encode(info, &mut data).unwrap();
    block(0, &data, size, Check::Crc16)
}

/// A batch of three files, one of them empty, in every mode our engines speak.
#[test]
fn batch_of_three_with_an_empty_file_is_exact_in_every_mode() {
    let files = vec![pattern(3000), Vec::new(), pattern(1025)];
    let infos: Vec<FileInfo> = ["a.bin", "empty", "c.bin"]
        .iter()
        .zip(&files)
        .map(|(n, f)| info(n, f.len()))
        .collect();
    for (one_k, mode) in [
        (true, RecvMode::Ymodem),
        (false, RecvMode::Ymodem),
        (true, RecvMode::Detect),
        (true, RecvMode::YmodemG),
    ] {
        let t0 = Instant::now();
        let mut tx = ysender(one_k, infos.clone(), t0);
        let mut rx = yreceiver(mode, t0);
        let run = Pair::default().run(&mut tx, &mut rx, &files, t0);
        assert_eq!(run.received.len(), 3, "{mode:?}");
        for ((got_info, got), (want_info, want)) in
            run.received.iter().zip(infos.iter().zip(&files))
        {
            assert_eq!(got_info, want_info, "{mode:?}");
            assert_eq!(
                got, want,
                "{mode:?}: cut to the header's length, no padding"
            );
        }
        assert_eq!(tx.is_streaming(), mode == RecvMode::YmodemG);
        // No fixed delays on a perfect line: the receiver's `C` follows its ACK at once.
        assert_eq!(run.elapsed, Duration::ZERO, "{mode:?}");
        assert_eq!(run.receiver_events.last(), Some(&Event::Finished));
    }
}

#[test]
fn empty_batch_sends_only_the_end_header() {
    let t0 = Instant::now();
    let mut tx = ysender(true, vec![], t0);
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    let run = Pair::default().run(&mut tx, &mut rx, &[], t0);
    assert!(run.received.is_empty());
    assert_eq!(run.sender_wire, block(0, &[0; 128], SMALL, Check::Crc16));
}

#[test]
fn sender_header_bytes_match_lrzsz_layout() {
    let t0 = Instant::now();
    let file = FileInfo {
        name: b"small.txt".to_vec(),
        size: Some(12),
        mtime: Some(0o13603256645),
        mode: Some(0o100644),
        files_left: Some(2),
        bytes_left: Some(3012),
    };
    let mut tx = ysender(true, vec![file], t0);
    let d = feed(&mut tx, t0, b"C");
    let mut want = [0u8; 128];
    let text = b"small.txt\x0012 13603256645 100644 0 2 3012";
    want[..text.len()].copy_from_slice(text);
    assert_eq!(d.wire, block(0, &want, SMALL, Check::Crc16));
}

#[test]
fn sender_data_goes_out_half_a_second_after_header_ack_without_c() {
    // U-Boot `loady` ACKs the header and sends no `C`.
    let t0 = Instant::now();
    let data = pattern(100);
    let mut tx = ysender(true, vec![info("f", 100)], t0);
    feed(&mut tx, t0, b"C");
    let d = feed(&mut tx, t0, &[ACK]);
    assert!(d.wire.is_empty(), "waits briefly for the C");
    assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(500)));
    tx.handle_timeout(t0 + Duration::from_millis(500));
    let d = drain(&mut tx, t0, &data, &mut 0);
    let block1 = block(1, &data, SMALL, Check::Crc16);
    assert_eq!(d.wire, block1);
    // A late `C` (sent before the receiver saw block 1) is its go-ahead: no resend, or the
    // receiver would ACK twice and the spare ACK would be taken for block 2's.
    assert!(feed(&mut tx, t0 + S, b"C").wire.is_empty());
    // A second one is a real request to resend (U-Boot answers bad blocks with `C`).
    assert_eq!(feed(&mut tx, t0 + S, b"C").wire, block1);
}

#[test]
fn sender_ack_and_c_in_one_piece_start_data_at_once() {
    let t0 = Instant::now();
    let mut tx = ysender(false, vec![info("f", 5)], t0);
    feed(&mut tx, t0, b"C");
    tx.handle_input(t0, &[ACK, b'C']);
    let d = drain(&mut tx, t0, b"hello", &mut 0);
    assert_eq!(d.wire, block(1, b"hello", SMALL, Check::Crc16));
}

#[test]
fn sender_sends_later_header_anyway_when_no_c_comes() {
    let t0 = Instant::now();
    let mut tx = ysender(false, vec![info("f", 1)], t0);
    feed(&mut tx, t0, b"C");
    tx.handle_input(t0, &[ACK, b'C']);
    assert_eq!(
        drain(&mut tx, t0, b"x", &mut 0).wire[..4],
        [SOH, 1, 0xFE, b'x']
    );
    assert_eq!(feed(&mut tx, t0, &[ACK]).wire, [EOT]);
    // EOT ACKed (U-Boot ACKs twice) by a receiver that never asks for the next header.
    assert!(feed(&mut tx, t0, &[ACK]).wire.is_empty());
    assert!(
        feed(&mut tx, t0, &[ACK]).wire.is_empty(),
        "a stray ACK is ignored"
    );
    assert_eq!(tx.poll_timeout(), Some(t0 + 10 * S));
    let d = tick(&mut tx, t0 + 10 * S);
    assert_eq!(d.wire, block(0, &[0; 128], SMALL, Check::Crc16));
}

#[test]
fn ymodem_g_streams_without_acks_and_acks_only_eot() {
    let t0 = Instant::now();
    let data = pattern(3000);
    let mut tx = ysender(false, vec![info("g.bin", 3000)], t0);
    let d = feed(&mut tx, t0, b"G");
    assert_eq!(d.wire[0], SOH, "header first");
    assert!(tx.is_streaming());
    // The receiver's second G asks for the data; blocks then flow with no ACK in between.
    tx.handle_input(t0, b"G");
    let mut pos = 0;
    let mut wire = Vec::new();
    loop {
        let d = drain(&mut tx, t0, &data, &mut pos);
        wire.extend(d.wire);
        if tx.poll_timeout() != Some(t0) {
            break;
        }
        tx.handle_timeout(t0);
    }
    // 3 STX blocks (1K always in G mode) then EOT, all without a single ACK.
    assert_eq!(wire.len(), 3 * 1029 + 1);
    assert_eq!(
        (wire[0], wire[1029], wire[2058], wire[3087]),
        (STX, STX, STX, EOT)
    );
    let d = feed(&mut tx, t0, &[ACK, G_START]);
    assert_eq!(d.wire, block(0, &[0; 128], SMALL, Check::Crc16));
    assert!(tx.is_finished(), "no answer awaited for the end header");
}

#[test]
fn ymodem_g_receiver_fails_on_first_bad_block() {
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::YmodemG, t0);
    assert_eq!(drain(&mut rx, t0, &[], &mut 0).wire, b"G");
    let d = feed(&mut rx, t0, &header_block(&info("g", 2048)));
    assert_eq!(d.wire, b"G", "no ACK for the header in G mode, just G");
    let d = feed(&mut rx, t0, &block(1, &[1; LARGE], LARGE, Check::Crc16));
    assert!(d.wire.is_empty(), "no ACK for data in G mode");
    let mut bad = block(2, &[2; LARGE], LARGE, Check::Crc16);
    bad[100] ^= 1;
    let d = feed(&mut rx, t0, &bad);
    assert_eq!(d.wire, CANCEL_SEQUENCE);
    assert_eq!(
        failed(&d.events),
        Some(&Error::Streaming {
            at: Position::Block(2),
            reason: RetryReason::BadCheck
        })
    );
}

#[test]
fn ymodem_g_receiver_fails_when_the_stream_stalls() {
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::YmodemG, t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &header_block(&info("g", 2048)));
    feed(&mut rx, t0, &block(1, &[1; LARGE], LARGE, Check::Crc16));
    let d = tick(&mut rx, t0 + 10 * S);
    assert!(matches!(
        failed(&d.events),
        Some(Error::Streaming {
            reason: RetryReason::Timeout,
            ..
        })
    ));
}

#[test]
fn receiver_cuts_to_header_length_and_acks_complete_eot_at_once() {
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    assert_eq!(drain(&mut rx, t0, &[], &mut 0).wire, b"C");
    let d = feed(&mut rx, t0, &header_block(&info("f", 130)));
    assert_eq!(d.wire, [ACK, b'C']);
    assert!(
        matches!(&d.events[..], [Event::Started { .. }, Event::FileStart(i)] if i.name == b"f")
    );
    let d = feed(&mut rx, t0, &block(1, &[7; 128], SMALL, Check::Crc16));
    assert_eq!((d.written.len(), d.wire.as_slice()), (128, &[ACK][..]));
    let d = feed(&mut rx, t0, &block(2, &[8; 128], SMALL, Check::Crc16));
    assert_eq!(
        d.written,
        [8, 8],
        "padding beyond the length is not delivered"
    );
    // All 130 bytes are in: the EOT cannot be noise, so no NAK round trip.
    let d = feed(&mut rx, t0, &[EOT]);
    assert_eq!(d.wire, [ACK, b'C']);
    assert_eq!(d.events, vec![Event::FileEnd { bytes: 130 }]);
    let d = feed(&mut rx, t0, &block(0, &[0; 128], SMALL, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
    assert_eq!(d.events, vec![Event::Finished]);
}

/// Issue 9, item 3: a file shorter than its header says was reported as a success (lrzsz
/// keeps it too). The early EOT is NAKed once; repeated, it fails the session with the
/// counts, the sender gets the cancel sequence, and no `FileEnd` claims the file complete.
#[test]
fn receiver_naks_an_early_eot_and_fails_a_short_file_on_repeat() {
    for mode in [RecvMode::Ymodem, RecvMode::YmodemG] {
        let t0 = Instant::now();
        let mut rx = yreceiver(mode, t0);
        drain(&mut rx, t0, &[], &mut 0);
        feed(&mut rx, t0, &header_block(&info("f", 1000)));
        feed(&mut rx, t0, &block(1, &[7; 128], SMALL, Check::Crc16));
        assert_eq!(feed(&mut rx, t0, &[EOT]).wire, [NAK]);
        let d = feed(&mut rx, t0, &[EOT]);
        assert!(d.wire.ends_with(&CANCEL_SEQUENCE), "{:?}", d.wire);
        let failed = Error::ShortFile {
            got: 128,
            want: 1000,
        };
        assert_eq!(d.events, vec![Event::Failed(failed.clone())]);
        assert!(failed.to_string().contains("got 128 of 1000 bytes"));
    }
}

#[test]
fn receiver_answers_repeated_header_with_ack_and_c() {
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let h = header_block(&info("f", 10));
    feed(&mut rx, t0, &h);
    let d = feed(&mut rx, t0, &h);
    assert_eq!(d.wire, [ACK, b'C']);
    assert!(d.events.is_empty(), "the file is not started twice");
}

#[test]
fn receiver_accepts_lrzsz_end_header_with_record_count() {
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let mut end = [0u8; 128];
    end[127] = 0x18;
    let d = feed(&mut rx, t0, &block(0, &end, SMALL, Check::Crc16));
    assert_eq!(
        d.events,
        vec![
            Event::Started {
                protocol: Protocol::Ymodem,
                check: Check::Crc16
            },
            Event::Finished
        ]
    );
}

#[test]
fn detect_mode_takes_block_1_first_as_xmodem() {
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::Detect, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let d = feed(&mut rx, t0, &block(1, &[5; LARGE], LARGE, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
    assert!(d.events.contains(&Event::FileStart(FileInfo::default())));
    assert_eq!(d.written.len(), LARGE);
    // No length: the first EOT is NAKed, as in XMODEM, and the session ends after the file.
    assert_eq!(feed(&mut rx, t0, &[EOT]).wire, [NAK]);
    let d = feed(&mut rx, t0, &[EOT]);
    assert_eq!(d.wire, [ACK]);
    assert_eq!(
        d.events,
        vec![Event::FileEnd { bytes: 1024 }, Event::Finished]
    );
}

#[test]
fn detect_mode_with_our_xmodem_sender() {
    let t0 = Instant::now();
    let file = pattern(5000);
    let mut tx = Sender::xmodem(
        SenderConfig {
            one_k: true,
            ..Default::default()
        },
        t0,
    );
    let mut rx = yreceiver(RecvMode::Detect, t0);
    let run = Pair::default().run(&mut tx, &mut rx, std::slice::from_ref(&file), t0);
    assert_eq!(run.received.len(), 1);
    assert_eq!(run.received[0].0, FileInfo::default());
    assert_eq!(&run.received[0].1[..5000], &file[..]);
}

#[test]
fn files_over_4_gib_are_announced_and_cut_with_64_bit_sizes() {
    // The receiver counts in u64: a file announced as 4 GiB + 100 bytes is cut at that
    // length, which only needs the last block to arrive after 4 GiB already did.
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let big = (4u64 << 30) + 100;
    let mut hdr = info("big", 0);
    hdr.size = Some(big);
    let d = feed(&mut rx, t0, &header_block(&hdr));
    assert!(matches!(&d.events[1], Event::FileStart(i) if i.size == Some(big)));
}

#[test]
fn sender_survives_20ms_latency_at_full_speed() {
    // With latency the only cost is the round trips: 1 per block, 2 per header, EOT's.
    let t0 = Instant::now();
    let files = vec![pattern(10 * 1024)];
    let mut tx = ysender(true, vec![info("f", 10 * 1024)], t0);
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    let pair = Pair {
        latency: Duration::from_millis(20),
    };
    let run = pair.run(&mut tx, &mut rx, &files, t0);
    assert_eq!(run.received[0].1, files[0]);
    // Start C (1 way), header+ACK/C (2), 10 blocks (20), EOT (2), end header (2): 27 x 20 ms.
    assert_eq!(run.elapsed, Duration::from_millis(27 * 20));
}

#[test]
fn receiver_refuses_ymodem_in_xmodem_mode_but_sender_names_file() {
    let t0 = Instant::now();
    let mut tx = ysender(true, vec![info("n", 1)], t0);
    let d = feed(&mut tx, t0, b"C");
    assert_eq!(&d.wire[3..5], b"n\0");
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let d = feed(&mut rx, t0, &d.wire);
    assert!(matches!(failed(&d.events), Some(Error::Incompatible(_))));
}

// ---- regressions found by the link simulator (src/sim, docs/SIMULATION.md) ----

#[test]
fn ymodem_g_receiver_never_falls_back_to_xmodem() {
    // Simulator seeds ymodem-g:0x3 and ymodem-g:0x111f (before the fix): the header arrived
    // damaged or without its SOH, the receiver's `G` asking for it again was taken by the
    // sender for the go-ahead, and the receiver took block 1 (or the EOT of an empty file)
    // for an XMODEM sender: it reported an unnamed, padded file as received.
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::YmodemG, t0);
    assert_eq!(drain(&mut rx, t0, &[], &mut 0).wire, b"G");
    let d = feed(&mut rx, t0, &[EOT]);
    assert_eq!(d.wire, b"G", "an EOT where a header belongs asks again");
    assert!(d.events.is_empty());
    let d = feed(&mut rx, t0, &block(1, &[1; LARGE], LARGE, Check::Crc16));
    assert!(matches!(
        failed(&d.events),
        Some(Error::Streaming {
            at: Position::Block(0),
            reason: RetryReason::BadSequence
        })
    ));
    assert!(!d.events.iter().any(|e| matches!(e, Event::FileStart(_))));
}

#[test]
fn receiver_does_not_fall_back_to_xmodem_after_a_damaged_header() {
    // The same in YMODEM: block 1 after a damaged block 0 means the sender took noise for the
    // header's ACK, not that it speaks XMODEM-1K.
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let mut bad = header_block(&info("f", 2048));
    bad[10] ^= 0x20;
    feed(&mut rx, t0, &bad);
    assert_eq!(tick(&mut rx, t0 + S).wire, b"C");
    let d = feed(&mut rx, t0 + S, &block(1, &[1; LARGE], LARGE, Check::Crc16));
    assert!(matches!(
        failed(&d.events),
        Some(Error::OutOfSequence {
            expected: Position::Block(0),
            got: Position::Block(1)
        })
    ));
    // Without the damaged block, block 1 first still means XMODEM-1K.
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let d = feed(&mut rx, t0, &block(1, &[1; LARGE], LARGE, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
}

#[test]
fn receiver_tells_the_next_header_from_a_repeated_one() {
    // Simulator seed ymodem:0x176f (before the fix): a stalled `ACK C` made the sender resend
    // the header of an empty file, the receiver answered each copy, and a spare ACK was taken
    // for the ACK of the file's EOT, which the receiver never saw. The next file's header
    // was then taken for a repeat of the current one, its data went into the empty file,
    // and the receiver reported the batch complete without it.
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let d = feed(&mut rx, t0, &header_block(&info("f1", 0)));
    assert_eq!(d.wire, [ACK, b'C']);
    // A real repeat is answered again.
    let d = feed(&mut rx, t0, &header_block(&info("f1", 0)));
    assert_eq!(d.wire, [ACK, b'C']);
    let d = feed(&mut rx, t0, &header_block(&info("f2", 1375)));
    assert_eq!(
        failed(&d.events),
        Some(&Error::OutOfSequence {
            expected: Position::Block(1),
            got: Position::Block(0)
        })
    );
    assert!(!d.events.iter().any(|e| matches!(e, Event::FileStart(_))));
}
