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
        matches!(&d.events[..], [Event::Started { .. }])
            && matches!(&d.files[..], [i] if i.name == b"f")
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
                check: Check::Crc16,
                block: Some(128),
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
    assert!(d.files.contains(&FileInfo::default()));
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
    assert!(matches!(&d.files[..], [i] if i.size == Some(big)));
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
    assert_eq!(
        failed(&d.events),
        Some(&Error::Unsupported(
            crate::proto::Unsupported::YmodemToXmodem
        ))
    );
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
            at: Position::Header,
            reason: RetryReason::BadSequence
        })
    ));
    assert!(d.files.is_empty());
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
            expected: Position::Header,
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
fn detecting_receiver_takes_block_1_after_a_damaged_block_1_for_xmodem() {
    // `xyzmodem recv` (detect mode) against `sx` on a noisy line (bench/faults.sh, seed 3 at a
    // bit-error rate of 1e-4): block 1 arrived with a bad CRC, then intact, and the receiver
    // cancelled ("lost sync: expected block 0, got block 1"), taking the damaged block for a
    // possible header. A damaged block whose number and complement agree on 1 was block 1.
    let t0 = Instant::now();
    for mode in [RecvMode::Detect, RecvMode::Ymodem] {
        let mut rx = yreceiver(mode, t0);
        drain(&mut rx, t0, &[], &mut 0);
        let good = block(1, &[7; 128], 128, Check::Crc16);
        let mut bad = good.clone();
        bad[60] ^= 0x08;
        assert!(feed(&mut rx, t0, &bad).wire.is_empty());
        let at = rx.poll_timeout().unwrap();
        assert_eq!(tick(&mut rx, at).wire, b"C");
        let d = feed(&mut rx, t0 + S, &good);
        assert!(failed(&d.events).is_none(), "{mode:?}: {:?}", d.events);
        assert_eq!(d.wire, [ACK]);
        assert_eq!(d.written, [7; 128]);
    }
    // Nor is block 1 whose number was hit (01 FE arriving as 11 FE: one bit from block 1,
    // three from a header).
    let mut rx = yreceiver(RecvMode::Detect, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let mut bad = block(1, &[7; 128], 128, Check::Crc16);
    bad[1] ^= 0x10;
    feed(&mut rx, t0, &bad);
    let at = rx.poll_timeout().unwrap();
    tick(&mut rx, at);
    let d = feed(&mut rx, t0 + S, &block(1, &[7; 128], 128, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
    // A damaged frame nearer a header (00 FF) refuses block 1 after it in either mode; one
    // as near a header as block 1 (00 FE) refuses when the receiver was told YMODEM.
    for (mode, number, complement) in [
        (RecvMode::Detect, 0x00, 0xFF),
        (RecvMode::Ymodem, 0x00, 0xFF),
        (RecvMode::Ymodem, 0x00, 0xFE),
    ] {
        let mut rx = yreceiver(mode, t0);
        drain(&mut rx, t0, &[], &mut 0);
        let mut bad = block(1, &[7; 128], 128, Check::Crc16);
        bad[1] = number;
        bad[2] = complement;
        bad[60] ^= 0x08;
        feed(&mut rx, t0, &bad);
        let at = rx.poll_timeout().unwrap();
        tick(&mut rx, at);
        let d = feed(&mut rx, t0 + S, &block(1, &[7; 128], 128, Check::Crc16));
        assert!(
            matches!(failed(&d.events), Some(Error::OutOfSequence { .. })),
            "{mode:?} {number:02x} {complement:02x}"
        );
    }
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
            got: Position::Header
        })
    );
    assert!(d.files.is_empty());
}

// ---- the end of the batch left unanswered (issue 9, item 7) ----

/// A YMODEM sender of one 5-byte file driven to the point where the end-of-batch header has
/// just gone out, at `t0`.
fn sender_at_end_of_batch(t0: Instant) -> Sender {
    let mut tx = ysender(false, vec![info("f", 5)], t0);
    feed(&mut tx, t0, b"C");
    tx.handle_input(t0, &[ACK, b'C']);
    drain(&mut tx, t0, b"hello", &mut 0);
    assert_eq!(feed(&mut tx, t0, &[ACK]).wire, [EOT]);
    let d = feed(&mut tx, t0, &[ACK, b'C']);
    assert_eq!(d.wire, block(0, &[0; 128], SMALL, Check::Crc16));
    assert!(d.events.contains(&Event::FileEnd { bytes: 5 }));
    tx
}

#[test]
fn sender_ends_a_delivered_batch_whose_end_goes_unacknowledged() {
    // lrzsz `rb` on a pty ACKs the end-of-batch header, then flushes the ACK away at exit:
    // every file's EOT was acknowledged, so the batch is delivered. The sender sends the
    // header once more after 3 s of silence and ends after 6 s, successfully, saying the
    // end was not acknowledged. (It used to retry for 10 x 10 s and fail.)
    let t0 = Instant::now();
    let mut tx = sender_at_end_of_batch(t0);
    assert_eq!(tx.poll_timeout(), Some(t0 + 3 * S));
    let d = tick(&mut tx, t0 + 3 * S);
    assert_eq!(
        d.wire,
        block(0, &[0; 128], SMALL, Check::Crc16),
        "sent again"
    );
    assert!(failed(&d.events).is_none());
    assert_eq!(tx.poll_timeout(), Some(t0 + 6 * S));
    let d = tick(&mut tx, t0 + 6 * S);
    assert!(d.wire.is_empty(), "no cancel: nothing failed");
    assert_eq!(
        d.events,
        [
            Event::EndUnconfirmed {
                at: Position::EndOfBatch
            },
            Event::Finished
        ]
    );
    assert!(tx.is_finished());
}

/// lrzsz `rb` loses the ACK of the end of the batch on a pty, and its shell prints the
/// prompt: the batch ends unconfirmed at once, and the header is not sent again into the
/// shell.
#[test]
fn sender_takes_text_after_the_end_of_batch_as_the_receiver_gone() {
    let t0 = Instant::now();
    let mut tx = sender_at_end_of_batch(t0);
    let d = feed(&mut tx, t0 + S, b"\x1b[?2004hremote> ");
    assert!(d.wire.is_empty(), "nothing sent again: {:02x?}", d.wire);
    assert_eq!(
        d.events,
        [
            Event::EndUnconfirmed {
                at: Position::EndOfBatch
            },
            Event::Finished
        ]
    );
}

#[test]
fn sender_end_of_batch_acknowledged_late_is_confirmed() {
    let t0 = Instant::now();
    let mut tx = sender_at_end_of_batch(t0);
    tick(&mut tx, t0 + 3 * S);
    let d = feed(&mut tx, t0 + 4 * S, &[ACK]);
    assert_eq!(d.events, [Event::Finished]);
}

#[test]
fn sender_end_of_batch_naked_ten_times_names_the_end_of_the_batch() {
    // A receiver that answers is there: each NAK restarts the wait, and the usual limit
    // applies. The error says what the frame was, not "block 0".
    let t0 = Instant::now();
    let mut tx = sender_at_end_of_batch(t0);
    let mut now = t0;
    for _ in 1..10 {
        now += S + S / 2;
        let d = feed(&mut tx, now, &[NAK]);
        assert_eq!(d.wire, block(0, &[0; 128], SMALL, Check::Crc16));
    }
    let d = feed(&mut tx, now, &[NAK]);
    let e = failed(&d.events).expect("fails");
    assert_eq!(
        *e,
        Error::RetriesExhausted {
            at: Position::EndOfBatch,
            attempts: 10,
            last: RetryReason::Nak
        }
    );
    assert_eq!(
        e.to_string(),
        "gave up after 10 errors on the end of the batch (last: NAK)"
    );
}

// ---- storms: no progress for the idle limit (issue 9, item 6) ----

/// Feeds `piece` to `rx` every `every` from `from` on until it fails or `limit` has passed;
/// returns when it failed and with what.
fn storm(rx: &mut Receiver, piece: &[u8], from: Instant, every: Duration) -> (Duration, Error) {
    let mut now = from;
    while now < from + 1000 * S {
        now += every;
        rx.handle_timeout(now);
        let d = feed(rx, now, piece);
        if let Some(e) = failed(&d.events) {
            assert_eq!(d.wire, CANCEL_SEQUENCE);
            return (now - from, e.clone());
        }
    }
    panic!("still going after 1000 s of {piece:02x?}");
}

#[test]
fn receiver_gives_up_on_a_storm_of_eots_where_a_header_is_due() {
    // 400 000 EOTs in 60 s, each answered with `C`, used to keep the session going for ever.
    let t0 = Instant::now();
    let mut rx = yreceiver(RecvMode::Ymodem, t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &header_block(&info("f", 5)));
    feed(&mut rx, t0, &block(1, b"hello", SMALL, Check::Crc16));
    let d = feed(&mut rx, t0, &[EOT]);
    assert_eq!(d.wire, [ACK, b'C']);
    let (after, e) = storm(&mut rx, &[EOT], t0, Duration::from_millis(1));
    assert_eq!(after, 100 * S, "the default idle limit");
    assert_eq!(e, Error::NoProgress { limit: 100 * S });
    assert!(e.to_string().starts_with("no progress for 100 s"), "{e}");
}

#[test]
fn receiver_gives_up_on_a_storm_of_repeated_headers() {
    let t0 = Instant::now();
    let cfg = ReceiverConfig {
        mode: RecvMode::Ymodem,
        limits: crate::proto::Limits {
            idle: 30 * S,
            ..ReceiverConfig::default().limits
        },
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(cfg, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let header = header_block(&info("f", 5));
    assert_eq!(feed(&mut rx, t0, &header).wire, [ACK, b'C']);
    let (after, e) = storm(&mut rx, &header, t0, Duration::from_millis(10));
    assert_eq!(after, 30 * S, "the configured idle limit");
    assert_eq!(e, Error::NoProgress { limit: 30 * S });
}

/// A receiver that ACKs the header and two blocks and then, every `chatter` (never when
/// `None`), sends a byte that moves nothing on. The sender's deadlines are served 1 ms late,
/// as a real driver wakes: what the session failed with, and when.
fn receiver_stops_after_two_blocks(chatter: Option<Duration>) -> (Duration, Error) {
    let t0 = Instant::now();
    let data = pattern(10 * 1024);
    let mut tx = ysender(true, vec![info("f", data.len())], t0);
    let mut pos = 0;
    feed(&mut tx, t0, b"C");
    tx.handle_input(t0, &[ACK, b'C']);
    drain(&mut tx, t0, &data, &mut pos);
    for _ in 0..2 {
        tx.handle_input(t0, &[ACK]);
        drain(&mut tx, t0, &data, &mut pos);
    }
    let mut next_chatter = chatter.map(|c| t0 + c);
    loop {
        let deadline = tx.poll_timeout().expect("a deadline") + Duration::from_millis(1);
        let now;
        let d = match next_chatter {
            Some(at) if at < deadline => {
                now = at;
                next_chatter = chatter.map(|c| at + c);
                tx.handle_input(now, b"x");
                drain(&mut tx, now, &data, &mut pos)
            }
            _ => {
                now = deadline;
                tx.handle_timeout(now);
                drain(&mut tx, now, &data, &mut pos)
            }
        };
        if let Some(e) = failed(&d.events) {
            return (now - t0, e.clone());
        }
        assert!(now < t0 + 1000 * S, "still going after 1000 s");
    }
}

/// A receiver killed in the middle of a file is silent: the message says so, rather than
/// that it kept the session going; one that keeps sending bytes that move nothing on still
/// gets that message.
#[test]
fn a_silent_receiver_is_told_from_a_busy_one() {
    let (after, e) = receiver_stops_after_two_blocks(None);
    assert!(
        matches!(e, Error::Silent { peer: "receiver", quiet } if quiet >= 100 * S),
        "{e:?} after {after:?}"
    );
    assert!(
        e.to_string()
            .starts_with("the receiver went silent: no answer for 100 s"),
        "{e}"
    );
    let (after, e) = receiver_stops_after_two_blocks(Some(5 * S));
    assert_eq!(e, Error::NoProgress { limit: 100 * S }, "after {after:?}");
    assert!(
        e.to_string()
            .ends_with("the peer kept the session going without moving the transfer on"),
        "{e}"
    );
}
