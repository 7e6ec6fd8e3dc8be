//! XMODEM engine tests on virtual time. Nothing here sleeps: a "60 s"
//! timeout is an `Instant` moved forward.

use std::time::{Duration, Instant};

use super::*;
use crate::proto::cancel::{CAN, CANCEL_SEQUENCE};
use crate::proto::xymodem::block::{self, ACK, EOT, NAK, SOH, STX};
use crate::proto::{Abort, Check, Engine, Error, Event, Output, Position, Protocol, RetryReason};

use crate::proto::testkit::*;

// ---- end to end between our own engines ----

#[test]
fn transfers_are_byte_exact_in_every_mode() {
    for &len in &[
        0usize, 1, 127, 128, 129, 1023, 1024, 1025, 2944, 3000, 70_000,
    ] {
        for (one_k, check) in [
            (false, Check::Checksum),
            (false, Check::Crc16),
            (true, Check::Crc16),
            (true, Check::Checksum),
        ] {
            let file = pattern(len);
            let scfg = SenderConfig {
                one_k,
                ..Default::default()
            };
            let rcfg = ReceiverConfig {
                check,
                ..Default::default()
            };
            let t0 = Instant::now();
            let mut tx = Sender::xmodem(scfg, t0);
            let mut rx = Receiver::new(rcfg, t0);
            let run = Pair::default().run(&mut tx, &mut rx, std::slice::from_ref(&file), t0);
            let (got, elapsed) = (run.received[0].1.clone(), run.elapsed);
            assert_eq!(&got[..len], &file[..], "len {len} 1k {one_k} {check}");
            assert!(got[len..].iter().all(|&b| b == block::PAD));
            assert!(got.len() - len < if one_k { 1024 } else { 128 });
            // No fixed delays on the happy path: a perfect line takes no
            // virtual time at all.
            assert_eq!(elapsed, Duration::ZERO, "len {len}");
        }
    }
}

// ---- sender ----

#[test]
fn sender_exact_wire_bytes_crc() {
    let now = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), now);
    let mut pos = 0;
    let file = b"abc";
    assert!(drain(&mut tx, now, file, &mut pos).wire.is_empty());
    tx.handle_input(now, b"C");
    let d = drain(&mut tx, now, file, &mut pos);
    assert_eq!(d.wire, block(1, b"abc", 128, Check::Crc16));
    assert_eq!(
        d.events[0],
        Event::Started {
            protocol: Protocol::Xmodem,
            check: Check::Crc16,
            block: Some(128),
        }
    );
    tx.handle_input(now, &[ACK]);
    let d = drain(&mut tx, now, file, &mut pos);
    assert_eq!(d.wire, [EOT]);
    tx.handle_input(now, &[ACK]);
    let d = drain(&mut tx, now, file, &mut pos);
    assert_eq!(d.events.last(), Some(&Event::Finished));
    assert!(tx.is_finished());
}

#[test]
fn sender_checksum_mode_on_nak() {
    let now = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), now);
    tx.handle_input(now, &[NAK]);
    let d = drain(&mut tx, now, b"x", &mut 0);
    assert_eq!(d.wire, block(1, b"x", 128, Check::Checksum));
    assert_eq!(d.wire.len(), 132);
}

#[test]
fn sender_ignores_banner_and_uses_last_start_character() {
    let now = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), now);
    // A device banner, then a receiver that went from C to NAK while we
    // were not reading: the last start character decides.
    tx.handle_input(
        now,
        b"U-Boot 2023.01\r\n## Ready for binary (xmodem) download\r\nCCCC\x15",
    );
    let d = drain(&mut tx, now, b"x", &mut 0);
    assert_eq!(d.wire, block(1, b"x", 128, Check::Checksum));
}

#[test]
fn sender_start_timeout() {
    let t0 = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), t0);
    assert_eq!(tx.poll_timeout(), Some(t0 + 60 * S));
    assert!(tick(&mut tx, t0 + 59 * S).wire.is_empty());
    let d = tick(&mut tx, t0 + 60 * S);
    assert_eq!(d.wire, CANCEL_SEQUENCE);
    assert!(matches!(failed(&d.events), Some(Error::Timeout { .. })));
    assert!(tx.is_finished());
    assert_eq!(tx.poll_timeout(), None);
}

#[test]
fn sender_resends_on_nak_c_and_timeout_then_gives_up() {
    let t0 = Instant::now();
    let cfg = SenderConfig::default();
    let mut tx = Sender::xmodem(cfg, t0);
    tx.handle_input(t0, b"C");
    let first = drain(&mut tx, t0, b"data", &mut 0).wire;
    // NAK: resend, same bytes.
    tx.handle_input(t0, &[NAK]);
    assert_eq!(drain(&mut tx, t0, &[], &mut 0).wire, first);
    // C mid-transfer (U-Boot's answer to a bad block): resend.
    tx.handle_input(t0, b"C");
    assert_eq!(drain(&mut tx, t0, &[], &mut 0).wire, first);
    // Timeouts: resend every 10 s until 10 errors in all.
    let mut now = t0;
    for attempt in 3..10 {
        now += 10 * S;
        let d = tick(&mut tx, now);
        assert_eq!(d.wire, first, "attempt {attempt}");
        assert_eq!(
            d.events,
            vec![Event::Retry {
                reason: RetryReason::Timeout,
                attempt
            }]
        );
    }
    now += 10 * S;
    let d = tick(&mut tx, now);
    assert_eq!(d.wire, CANCEL_SEQUENCE);
    assert!(matches!(
        failed(&d.events),
        Some(Error::RetriesExhausted { attempts: 10, .. })
    ));
}

#[test]
fn sender_c_before_first_ack_switches_to_crc() {
    let now = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), now);
    tx.handle_input(now, &[NAK]);
    assert_eq!(drain(&mut tx, now, b"x", &mut 0).wire.len(), 132);
    tx.handle_input(now, b"C");
    assert_eq!(
        drain(&mut tx, now, &[], &mut 0).wire,
        block(1, b"x", 128, Check::Crc16)
    );
}

#[test]
fn sender_cancelled_by_two_cans_but_not_one() {
    let now = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), now);
    tx.handle_input(now, b"C");
    drain(&mut tx, now, b"x", &mut 0);
    tx.handle_input(now, &[CAN, b'z']);
    assert!(failed(&drain(&mut tx, now, &[], &mut 0).events).is_none());
    tx.handle_input(now, &[CAN]);
    tx.handle_input(now, &[CAN]);
    let d = drain(&mut tx, now, &[], &mut 0);
    assert_eq!(
        failed(&d.events),
        Some(&Error::PeerAborted(crate::proto::PeerAbort::Cancelled))
    );
    assert!(
        d.wire.is_empty(),
        "no cancel sequence back to a peer that cancelled"
    );
}

#[test]
fn sender_resends_eot_on_nak_and_ignores_stray_ack_after() {
    let now = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), now);
    tx.handle_input(now, b"C");
    drain(&mut tx, now, b"", &mut 0);
    // Empty file: EOT straight away.
    let mut tx2 = Sender::xmodem(SenderConfig::default(), now);
    tx2.handle_input(now, b"C");
    let d = drain(&mut tx2, now, b"", &mut 0);
    assert_eq!(d.wire, [EOT]);
    tx2.handle_input(now, &[NAK]);
    let d = drain(&mut tx2, now, &[], &mut 0);
    assert_eq!(d.wire, [EOT]);
    // The first EOT NAK is the receiver's normal guard, not a retry...
    assert!(d.events.is_empty());
    tx2.handle_input(now, &[NAK]);
    let d = drain(&mut tx2, now, &[], &mut 0);
    assert_eq!(d.wire, [EOT]);
    // ...a second one is.
    assert_eq!(
        d.events,
        vec![Event::Retry {
            reason: RetryReason::EndNak,
            attempt: 2
        }]
    );
    tx2.handle_input(now, &[ACK]);
    let d = drain(&mut tx2, now, &[], &mut 0);
    assert_eq!(d.events, vec![Event::FileEnd { bytes: 0 }, Event::Finished]);
    // U-Boot ACKs EOT twice: the second one is harmless.
    assert_eq!(tx2.handle_input(now, &[ACK]), 1);
    assert!(drain(&mut tx2, now, &[], &mut 0).wire.is_empty());
    assert!(tx2.is_finished());
}

/// `Started` says XMODEM-1K itself: a sender from its setting, even when the file is
/// short enough to go in 128-byte blocks; a receiver from the first block.
#[test]
fn started_names_xmodem_1k() {
    let started = |events: &[Event]| match events.first() {
        Some(Event::Started {
            protocol: Protocol::Xmodem,
            block,
            ..
        }) => Protocol::Xmodem.name(*block),
        e => panic!("{e:?}"),
    };
    let now = Instant::now();
    for (one_k, name) in [(true, "xmodem-1k"), (false, "xmodem")] {
        let mut tx = Sender::xmodem(
            SenderConfig {
                one_k,
                ..Default::default()
            },
            now,
        );
        tx.handle_input(now, b"C");
        assert_eq!(started(&drain(&mut tx, now, b"abc", &mut 0).events), name);
    }
    for (size, name) in [(1024, "xmodem-1k"), (128, "xmodem")] {
        let mut rx = Receiver::new(ReceiverConfig::default(), now);
        drain(&mut rx, now, &[], &mut 0);
        let d = feed(&mut rx, now, &block(1, b"x", size, Check::Crc16));
        assert_eq!(started(&d.events), name);
    }
}

#[test]
fn sender_1k_tail_switches_to_128_byte_blocks() {
    fn sizes(len: usize) -> Vec<usize> {
        let now = Instant::now();
        let file = pattern(len);
        let mut tx = Sender::xmodem(
            SenderConfig {
                one_k: true,
                ..Default::default()
            },
            now,
        );
        let mut pos = 0;
        let mut sizes = Vec::new();
        tx.handle_input(now, b"C");
        loop {
            let d = drain(&mut tx, now, &file, &mut pos);
            match d.wire.first() {
                Some(&STX) => sizes.push(1024),
                Some(&SOH) => sizes.push(128),
                _ => return sizes,
            }
            tx.handle_input(now, &[ACK]);
        }
    }
    // lrzsz: 128-byte blocks once at most 896 bytes remain.
    assert_eq!(sizes(3000), vec![1024, 1024, 1024]);
    assert_eq!(sizes(2048 + 896), [vec![1024, 1024], vec![128; 7]].concat());
    assert_eq!(sizes(2048 + 897), vec![1024, 1024, 1024]);
    assert_eq!(sizes(1024), vec![1024]);
    assert_eq!(sizes(100), vec![128]);
    assert_eq!(sizes(0), Vec::<usize>::new());
}

#[test]
fn sender_block_size_never_changes_on_resend() {
    let now = Instant::now();
    let file = pattern(1500);
    let mut tx = Sender::xmodem(
        SenderConfig {
            one_k: true,
            ..Default::default()
        },
        now,
    );
    let mut pos = 0;
    tx.handle_input(now, b"C");
    let first = drain(&mut tx, now, &file, &mut pos).wire;
    assert_eq!(first.len(), 1029);
    tx.handle_input(now, &[NAK]);
    assert_eq!(drain(&mut tx, now, &file, &mut pos).wire, first);
}

#[test]
fn sender_block_numbers_wrap_to_zero() {
    let now = Instant::now();
    let file = pattern(128 * 257);
    let mut tx = Sender::xmodem(SenderConfig::default(), now);
    let mut pos = 0;
    tx.handle_input(now, b"C");
    let mut numbers = Vec::new();
    loop {
        let d = drain(&mut tx, now, &file, &mut pos);
        if d.wire.first() != Some(&SOH) {
            break;
        }
        numbers.push(d.wire[1]);
        tx.handle_input(now, &[ACK]);
    }
    assert_eq!(numbers.len(), 257);
    assert_eq!(&numbers[253..], &[254, 255, 0, 1]);
}

#[test]
fn sender_abort_sends_cancel_sequence() {
    let now = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), now);
    tx.handle_input(now, b"C");
    drain(&mut tx, now, b"x", &mut 0);
    tx.abort(now, Abort::Interrupted);
    let d = drain(&mut tx, now, &[], &mut 0);
    assert_eq!(d.wire, CANCEL_SEQUENCE);
    assert_eq!(failed(&d.events), Some(&Error::Aborted(Abort::Interrupted)));
}

// ---- receiver ----

#[test]
fn receiver_repeats_c_every_3s_then_falls_back_to_nak() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    assert_eq!(drain(&mut rx, t0, &[], &mut 0).wire, b"C");
    let mut sent = Vec::new();
    for k in 1..=5 {
        let now = t0 + 3 * k * S;
        assert_eq!(rx.poll_timeout(), Some(now));
        sent.extend(tick(&mut rx, now).wire);
    }
    // Four Cs in all (t = 0, 3, 6, 9 s), then NAK at 12 s and on.
    assert_eq!(sent, b"CCC\x15\x15");
    assert_eq!(rx.check(), Check::Checksum);
    // And it now accepts checksum blocks.
    let d = feed(&mut rx, t0 + 16 * S, &block(1, b"hi", 128, Check::Checksum));
    assert_eq!(d.wire, [ACK]);
    assert_eq!(&d.written[..2], b"hi");
}

#[test]
fn receiver_checksum_mode_starts_with_nak_and_fallback_is_configurable() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(
        ReceiverConfig {
            check: Check::Checksum,
            ..Default::default()
        },
        t0,
    );
    assert_eq!(drain(&mut rx, t0, &[], &mut 0).wire, [NAK]);
    let mut rx = Receiver::new(
        ReceiverConfig {
            crc_attempts: None,
            ..Default::default()
        },
        t0,
    );
    drain(&mut rx, t0, &[], &mut 0);
    for k in 1..=10 {
        assert_eq!(tick(&mut rx, t0 + 3 * k * S).wire, b"C");
    }
}

#[test]
fn receiver_gives_up_when_sender_never_starts() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    let mut now = t0;
    let mut last = Drained::default();
    for _ in 0..100 {
        let Some(next) = rx.poll_timeout() else { break };
        now = next;
        last = tick(&mut rx, now);
    }
    assert_eq!(now, t0 + 60 * S);
    assert!(matches!(failed(&last.events), Some(Error::Timeout { .. })));
    assert_eq!(last.wire, CANCEL_SEQUENCE);
}

/// A peer that keeps the line busy before the first block (here a ZMODEM sender's binary
/// `ZSINIT` once a second, whose STX looks like the start of a 1K block: a short block each
/// time) fails at the start timeout, as a silent one does. The purges and NAKs that followed
/// each short block used to keep the receiver waiting past it (15.2 s with a timeout of 8 s
/// and a `ZSINIT` every 100 ms).
#[test]
fn receiver_gives_up_at_the_start_timeout_however_busy_the_line() {
    let mut zsinit = Vec::new();
    {
        use crate::proto::zmodem::{
            CrcKind, Encoder, EscapeProfile, FrameEnd, FrameType, Header, HeaderFormat,
        };
        let mut enc = Encoder::new(EscapeProfile::Minimal);
        let header = Header::new(FrameType::SInit);
        enc.header(&mut zsinit, HeaderFormat::Bin32, &header);
        enc.subpacket(&mut zsinit, b"\0", FrameEnd::CrcW, CrcKind::Crc32);
    }
    assert!(zsinit.contains(&STX));
    for period in [Duration::from_millis(100), S] {
        let t0 = Instant::now();
        let cfg = ReceiverConfig {
            mode: RecvMode::Detect,
            limits: crate::proto::Limits {
                start: 8 * S,
                ..ReceiverConfig::default().limits
            },
            ..ReceiverConfig::default()
        };
        let mut rx = Receiver::new(cfg, t0);
        drain(&mut rx, t0, &[], &mut 0);
        let mut next = t0;
        let failed_at = loop {
            let now = rx.poll_timeout().map_or(next, |d| d.min(next));
            assert!(now < t0 + 100 * S, "still running at {:?}", now - t0);
            if now == next {
                let d = feed(&mut rx, now, &zsinit);
                if let Some(e) = failed(&d.events) {
                    assert!(matches!(e, Error::Timeout { .. }), "{e}");
                    break now;
                }
                next = now + period;
            }
            if rx.poll_timeout().is_some_and(|d| d <= now) {
                let d = tick(&mut rx, now);
                if let Some(e) = failed(&d.events) {
                    assert!(matches!(e, Error::Timeout { .. }), "{e}");
                    break now;
                }
            }
        };
        assert_eq!(failed_at - t0, 8 * S, "every {period:?}");
    }
}

#[test]
fn receiver_survives_junk_before_first_block() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    // Shell noise and a stray ZMODEM header (the detect front end answers those).
    let d = feed(&mut rx, now, b"**\x18B00000000000000\r\x8a\x11rz\r$ ");
    assert!(failed(&d.events).is_none());
    assert!(d.wire.is_empty());
    let d = feed(&mut rx, now, &block(1, b"ok", 128, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
}

#[test]
fn receiver_survives_unprompted_checksum_block_from_sx() {
    // lrzsz sx starts sending checksum blocks after 60 s without a start
    // character. A CRC receiver sees a short block, purges and asks again.
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let d = feed(&mut rx, t0, &block(1, b"x", 128, Check::Checksum));
    assert!(d.wire.is_empty());
    // After 50 ms of quiet the block is declared short, and the line has been quiet long
    // enough for the `C` at once.
    assert_eq!(rx.poll_timeout(), Some(t0 + MS50));
    let d = tick(&mut rx, t0 + MS50);
    assert_eq!(
        d.events,
        vec![Event::Retry {
            reason: RetryReason::Truncated,
            attempt: 1
        }]
    );
    assert_eq!(d.wire, b"C");
    let d = feed(&mut rx, t0 + 3 * S, &block(1, b"x", 128, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
}

#[test]
fn receiver_acks_duplicate_without_writing_it_again() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    let b1 = block(1, b"one", 128, Check::Crc16);
    let d = feed(&mut rx, now, &b1);
    assert_eq!((d.wire.as_slice(), d.written.len()), (&[ACK][..], 128));
    let d = feed(&mut rx, now, &b1);
    assert_eq!((d.wire.as_slice(), d.written.len()), (&[ACK][..], 0));
    let d = feed(&mut rx, now, &block(2, b"two", 128, Check::Crc16));
    assert_eq!(&d.written[..3], b"two");
}

#[test]
fn receiver_cancels_on_out_of_sequence_block() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    feed(&mut rx, now, &block(1, b"one", 128, Check::Crc16));
    let d = feed(&mut rx, now, &block(3, b"three", 128, Check::Crc16));
    assert_eq!(d.wire, CANCEL_SEQUENCE);
    assert_eq!(
        failed(&d.events),
        Some(&Error::OutOfSequence {
            expected: Position::Block(2),
            got: Position::Block(3)
        })
    );
    assert!(d.written.is_empty());
}

#[test]
fn receiver_names_ymodem_sender() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    let d = feed(&mut rx, now, &block(0, b"name\x00123", 128, Check::Crc16));
    assert_eq!(
        failed(&d.events),
        Some(&Error::Unsupported(
            crate::proto::Unsupported::YmodemToXmodem
        ))
    );
}

#[test]
fn receiver_accepts_mixed_soh_and_stx() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    let mut got = Vec::new();
    for (n, size) in [(1u8, 1024usize), (2, 128), (3, 1024), (4, 128)] {
        let d = feed(
            &mut rx,
            now,
            &block(n, &[n; 1024][..size], size, Check::Crc16),
        );
        assert_eq!(d.wire, [ACK]);
        got.extend(d.written);
    }
    assert_eq!(got.len(), 2 * 1024 + 2 * 128);
    assert!(got[1024..1152].iter().all(|&b| b == 2));
}

#[test]
fn receiver_naks_first_eot_and_acks_second() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    feed(&mut rx, now, &block(1, b"x", 128, Check::Crc16));
    let d = feed(&mut rx, now, &[EOT]);
    assert_eq!(d.wire, [NAK]);
    assert!(!rx.is_finished());
    let d = feed(&mut rx, now, &[EOT]);
    assert_eq!(d.wire, [ACK]);
    assert_eq!(
        d.events,
        vec![Event::FileEnd { bytes: 128 }, Event::Finished]
    );
    assert!(rx.is_finished());
}

#[test]
fn receiver_false_eot_then_block_continues() {
    // A noise byte that looks like EOT is NAKed; the real block follows.
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    feed(&mut rx, now, &block(1, b"x", 128, Check::Crc16));
    assert_eq!(feed(&mut rx, now, &[EOT]).wire, [NAK]);
    let d = feed(&mut rx, now, &block(2, b"y", 128, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
    // And the EOT guard is armed again.
    assert_eq!(feed(&mut rx, now, &[EOT]).wire, [NAK]);
}

#[test]
fn receiver_single_eot_mode_acks_at_once() {
    let now = Instant::now();
    let mut rx = Receiver::new(
        ReceiverConfig {
            nak_first_eot: false,
            ..Default::default()
        },
        now,
    );
    drain(&mut rx, now, &[], &mut 0);
    let d = feed(&mut rx, now, &[EOT]);
    assert_eq!(d.wire, [ACK]);
    assert!(d.events.contains(&Event::Finished));
}

/// The default least quiet before a NAK.
const MS50: Duration = Duration::from_millis(50);
const MS: Duration = Duration::from_millis(1);

#[test]
fn receiver_purges_then_naks_bad_block() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    let mut bad = block(2, b"y", 128, Check::Crc16);
    bad[40] ^= 0xFF;
    let d = feed(&mut rx, t0, &bad);
    assert!(d.wire.is_empty(), "no NAK before the purge");
    assert_eq!(
        d.events,
        vec![Event::Retry {
            reason: RetryReason::BadCheck,
            attempt: 1
        }]
    );
    // Trailing junk keeps the purge going: the quiet (50 ms, and 4 times the 10 ms gap seen
    // within the purge once junk trickles in) counts from the last byte.
    assert!(feed(&mut rx, t0 + 10 * MS, b"junk").wire.is_empty());
    assert!(tick(&mut rx, t0 + 50 * MS).wire.is_empty());
    assert!(tick(&mut rx, t0 + 59 * MS).wire.is_empty());
    assert_eq!(tick(&mut rx, t0 + 60 * MS).wire, [NAK]);
    let d = feed(&mut rx, t0 + 70 * MS, &block(2, b"y", 128, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
}

#[test]
fn receiver_naks_a_damaged_block_after_a_short_quiet_not_a_second() {
    // 64 KiB at a bit-error rate of 1e-4 damages one block in ten: a second of silence
    // before each NAK was most of the transfer's time. A block that arrived whole and failed
    // its check is NAKed once the line has been quiet for 50 ms (a few character times, or a
    // few of the gaps seen within blocks, when those are longer).
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    let mut bad = block(2, b"y", 128, Check::Crc16);
    bad[70] ^= 0x10;
    let t1 = t0 + 20 * MS;
    let d = feed(&mut rx, t1, &bad);
    assert!(
        d.wire.is_empty(),
        "not while the sender may still be sending"
    );
    assert_eq!(rx.poll_timeout(), Some(t1 + MS50));
    assert!(tick(&mut rx, t1 + MS50 - MS).wire.is_empty());
    assert_eq!(tick(&mut rx, t1 + MS50).wire, [NAK]);
    assert_eq!(
        feed(&mut rx, t1 + 70 * MS, &block(2, b"y", 128, Check::Crc16)).wire,
        [ACK]
    );
}

#[test]
fn receiver_quiet_scales_with_the_character_time_and_the_gaps_within_blocks() {
    // 300 baud on a serial port: a character takes 33.3 ms, four of them 133 ms.
    let t0 = Instant::now();
    let char_time = Duration::from_micros(33_333);
    let cfg = ReceiverConfig {
        char_time: Some(char_time),
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(cfg, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let mut bad = block(1, b"x", 128, Check::Crc16);
    bad[9] ^= 1;
    feed(&mut rx, t0, &bad);
    assert_eq!(rx.poll_timeout(), Some(t0 + char_time * 4));

    // stdin/stdout: a block whose pieces came 30 ms apart (a USB adapter's latency timer,
    // a relay) makes the quiet 120 ms; the estimate fades by an eighth per good block.
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let b1 = block(1, b"x", 128, Check::Crc16);
    feed(&mut rx, t0, &b1[..60]);
    assert_eq!(
        rx.poll_timeout(),
        Some(t0 + MS50),
        "a short block waits the quiet too"
    );
    assert_eq!(feed(&mut rx, t0 + 30 * MS, &b1[60..]).wire, [ACK]);
    let mut bad = block(2, b"y", 128, Check::Crc16);
    bad[100] ^= 4;
    let t1 = t0 + 40 * MS;
    feed(&mut rx, t1, &bad);
    let gap = Duration::from_millis(30) * 7 / 8;
    assert_eq!(rx.poll_timeout(), Some(t1 + gap * 4));
}

#[test]
fn receiver_garbage_keeps_extending_the_purge_up_to_the_block_timeout() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    let mut bad = block(2, b"y", 128, Check::Crc16);
    bad[50] ^= 0x80;
    feed(&mut rx, t0, &bad);
    // A burst of garbage, a piece every 40 ms for 2 s: no NAK while it lasts.
    let mut now = t0;
    for _ in 0..50 {
        now += 40 * MS;
        assert!(tick(&mut rx, now).wire.is_empty());
        assert!(feed(&mut rx, now, b"\x55\xAA\x01").wire.is_empty());
        assert!(rx.poll_timeout().unwrap() > now + 40 * MS);
    }
    // The gaps seen make the quiet 4 x 40 ms.
    assert!(tick(&mut rx, now + 159 * MS).wire.is_empty());
    assert_eq!(tick(&mut rx, now + 160 * MS).wire, [NAK]);

    // Endless garbage: the purge still ends at the block timeout (10 s).
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    feed(&mut rx, t0, &bad);
    let mut now = t0;
    let nak = loop {
        now += 10 * MS;
        let d = tick(&mut rx, now);
        if !d.wire.is_empty() {
            break d.wire;
        }
        feed(&mut rx, now, b"\x55");
    };
    assert_eq!(nak, [NAK]);
    assert_eq!(now, t0 + 10 * S);
}

#[test]
fn receiver_quiet_doubles_per_error_on_a_block_up_to_one_second() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    let mut bad = block(2, b"y", 128, Check::Crc16);
    bad[20] ^= 2;
    let mut now = t0;
    let mut waits = Vec::new();
    for _ in 0..9 {
        feed(&mut rx, now, &bad);
        let at = rx.poll_timeout().unwrap();
        waits.push((at - now).as_millis());
        now = at;
        assert_eq!(tick(&mut rx, now).wire, [NAK]);
    }
    assert_eq!(waits, [50, 100, 200, 400, 800, 1000, 1000, 1000, 1000]);
    // Gaps within blocks never push the quiet past its ceiling either.
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let b1 = block(1, b"x", 128, Check::Crc16);
    feed(&mut rx, t0, &b1[..10]);
    feed(&mut rx, t0 + 45 * MS, &b1[10..20]);
    feed(&mut rx, t0 + 200 * MS, &b1[20..30]);
    assert_eq!(rx.poll_timeout(), Some(t0 + 200 * MS + 4 * 155 * MS));
    feed(&mut rx, t0 + 800 * MS, &b1[30..]);
    let mut bad = block(2, b"y", 128, Check::Crc16);
    bad[20] ^= 2;
    feed(&mut rx, t0 + 900 * MS, &bad);
    assert_eq!(rx.poll_timeout(), Some(t0 + 900 * MS + S));
}

/// Block 3 (after good blocks 1 and 2) with its SOH damaged: nothing in it starts a block,
/// so the receiver sees 132 bytes of junk.
fn garbled_block_3() -> Vec<u8> {
    let mut b = block(3, b"z", 128, Check::Crc16);
    b[0] = 0x81;
    assert!(!b.iter().any(|&x| matches!(x, SOH | STX | EOT | CAN)));
    b
}

#[test]
fn receiver_naks_a_block_with_a_damaged_first_byte_after_a_short_quiet() {
    // A block whose SOH was damaged arrives as junk, and then the sender waits for our
    // answer: that used to cost the 10 s block timeout.
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    feed(&mut rx, t0, &block(2, b"y", 128, Check::Crc16));
    let t1 = t0 + 20 * MS;
    assert!(feed(&mut rx, t1, &garbled_block_3()).wire.is_empty());
    assert_eq!(rx.poll_timeout(), Some(t1 + MS50));
    let d = tick(&mut rx, t1 + MS50);
    assert_eq!(d.wire, [NAK]);
    assert_eq!(
        d.events,
        vec![Event::Retry {
            reason: RetryReason::Garbled,
            attempt: 1
        }]
    );
    let d = feed(&mut rx, t1 + 80 * MS, &block(3, b"z", 128, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
    assert_eq!(d.written.len(), 128);

    // A few stray bytes between blocks are not a block: no NAK until the block timeout.
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    feed(&mut rx, t0, b"\x81\x82\x83");
    assert_eq!(rx.poll_timeout(), Some(t0 + 10 * S));
}

#[test]
fn receiver_refuses_eot_after_a_garbled_block() {
    // Simulator seed ymodem:0x4c1 (with the short quiet, before this fix): a stalled NAK made
    // the sender resend; its spare ACK was taken for the next block's, and when a block then
    // came with its SOH damaged the sender took the next spare ACK for its ACK and sent EOT.
    // The EOT after junk was ignored, the block timeout NAKed, and the repeated EOT ended a
    // file short by a block.
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    feed(&mut rx, t0, &block(2, b"y", 128, Check::Crc16));
    feed(&mut rx, t0, &garbled_block_3());
    assert!(
        feed(&mut rx, t0 + 10 * MS, &[EOT]).wire.is_empty(),
        "EOT after junk"
    );
    assert_eq!(tick(&mut rx, t0 + 60 * MS).wire, [NAK]);
    assert_eq!(feed(&mut rx, t0 + 70 * MS, &[EOT]).wire, [NAK]);
    let d = feed(&mut rx, t0 + 80 * MS, &[EOT]);
    assert_eq!(
        failed(&d.events),
        Some(&Error::PeerMisbehaved(
            crate::proto::PeerMisbehaved::EndedWithBlockDue
        ))
    );
    assert!(!d.events.iter().any(|e| matches!(e, Event::FileEnd { .. })));
}

#[test]
fn receiver_does_not_ack_a_resend_that_crossed_its_timeout_nak() {
    // bench/faults.sh, seed 5 at a bit-error rate of 1e-4 (before and after the short quiet):
    // the ACK of block 103 was damaged; 10 s later the sender resent the block on its own
    // timer just as the receiver, 10 s after that ACK, NAKed for want of a block. The copy
    // that crossed the NAK was ACKed, and so was the copy the NAK asked for: the spare ACK
    // put the sender one block ahead ("lost sync" a few blocks later).
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"a", 128, Check::Crc16));
    let b2 = block(2, b"b", 128, Check::Crc16);
    // The sender turns around in 12 ms.
    assert_eq!(feed(&mut rx, t0 + 12 * MS, &b2).wire, [ACK]);
    let t1 = t0 + 12 * MS + 10 * S;
    assert_eq!(tick(&mut rx, t1).wire, [NAK]);
    let d = feed(&mut rx, t1 + MS / 10, &b2);
    assert!(d.wire.is_empty(), "the crossing copy is not answered");
    assert!(failed(&d.events).is_none());
    assert_eq!(
        feed(&mut rx, t1 + 13 * MS, &b2).wire,
        [ACK],
        "the copy the NAK asked for"
    );
    let d = feed(&mut rx, t1 + 26 * MS, &block(3, b"c", 128, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
    assert_eq!(&d.written[..1], b"c");

    // A copy that comes as late as an answer to the NAK is answered at once.
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"a", 128, Check::Crc16));
    feed(&mut rx, t0 + 12 * MS, &b2);
    assert_eq!(tick(&mut rx, t1).wire, [NAK]);
    assert_eq!(feed(&mut rx, t1 + 12 * MS, &b2).wire, [ACK]);
}

#[test]
fn ymodem_g_keeps_the_full_byte_timeout() {
    // A streamed block cut short ends the session, so it is given the full second.
    let t0 = Instant::now();
    let cfg = ReceiverConfig {
        mode: RecvMode::YmodemG,
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(cfg, t0);
    drain(&mut rx, t0, &[], &mut 0);
    let b0 = block(0, b"f\x003\x00", 128, Check::Crc16);
    feed(&mut rx, t0, &b0[..40]);
    assert_eq!(rx.poll_timeout(), Some(t0 + S));
}

#[test]
fn receiver_short_block_times_out_after_the_quiet() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    let b2 = block(2, b"y", 128, Check::Crc16);
    feed(&mut rx, t0, &b2[..50]);
    // Bytes trickling in keep the block alive, and teach the receiver the line's gaps.
    feed(&mut rx, t0 + 40 * MS, &b2[50..60]);
    assert_eq!(rx.poll_timeout(), Some(t0 + 200 * MS));
    let d = tick(&mut rx, t0 + 200 * MS);
    assert_eq!(
        d.events,
        vec![Event::Retry {
            reason: RetryReason::Truncated,
            attempt: 1
        }]
    );
    // The line has been quiet for the whole quiet already: NAK at once.
    assert_eq!(d.wire, [NAK]);
}

#[test]
fn receiver_with_the_old_fixed_second_still_waits_a_second() {
    let t0 = Instant::now();
    let cfg = ReceiverConfig {
        quiet_min: S,
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(cfg, t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    let b2 = block(2, b"y", 128, Check::Crc16);
    feed(&mut rx, t0, &b2[..50]);
    assert_eq!(rx.poll_timeout(), Some(t0 + S));
    let d = tick(&mut rx, t0 + S);
    assert_eq!(d.wire, [NAK]);
    let mut bad = b2.clone();
    bad[60] ^= 1;
    feed(&mut rx, t0 + 2 * S, &bad);
    assert_eq!(rx.poll_timeout(), Some(t0 + 3 * S));
}

#[test]
fn receiver_block_timeout_naks_and_ten_errors_cancel() {
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    let mut now = t0;
    for attempt in 1..10 {
        now += 10 * S;
        let d = tick(&mut rx, now);
        assert_eq!(d.wire, [NAK], "attempt {attempt}");
    }
    now += 10 * S;
    let d = tick(&mut rx, now);
    assert_eq!(d.wire, CANCEL_SEQUENCE);
    assert!(matches!(
        failed(&d.events),
        Some(Error::RetriesExhausted {
            attempts: 10,
            last: RetryReason::Timeout,
            ..
        })
    ));
}

#[test]
fn receiver_cancelled_by_two_cans_and_cans_inside_data_are_data() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    let d = feed(&mut rx, now, &block(1, &[CAN; 128], 128, Check::Crc16));
    assert_eq!(d.written, [CAN; 128]);
    let d = feed(&mut rx, now, &[CAN, CAN]);
    assert_eq!(
        failed(&d.events),
        Some(&Error::PeerAborted(crate::proto::PeerAbort::Cancelled))
    );
    assert!(d.wire.is_empty());
}

#[test]
fn receiver_abort_replaces_pending_ack_with_cancel() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    rx.handle_input(now, &block(1, b"x", 128, Check::Crc16));
    // Events (started, file start, progress), then the data, all before the ACK...
    loop {
        match rx.poll_output() {
            Some(Output::Event(_) | Output::FileStart(_)) => {}
            Some(Output::WriteFile { .. }) => break,
            other => panic!("expected the block's data before anything else, got {other:?}"),
        }
    }
    // ...and when storing it fails, the ACK never goes out.
    rx.abort(now, Abort::Local("disk full".into()));
    let d = drain(&mut rx, now, &[], &mut 0);
    assert_eq!(d.wire, CANCEL_SEQUENCE);
}

#[test]
fn receiver_empty_file() {
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    assert_eq!(feed(&mut rx, now, &[EOT]).wire, [NAK]);
    let d = feed(&mut rx, now, &[EOT]);
    assert_eq!(d.wire, [ACK]);
    assert!(d.written.is_empty());
    assert!(d.events.contains(&Event::Finished));
}

#[test]
fn handle_input_returns_early_with_pending_output() {
    // Two blocks in one piece: the engine takes the first, hands out its
    // data and ACK, then takes the second.
    let now = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), now);
    drain(&mut rx, now, &[], &mut 0);
    let mut two = block(1, b"a", 128, Check::Crc16);
    two.extend(block(2, b"b", 128, Check::Crc16));
    let n = rx.handle_input(now, &two);
    assert_eq!(n, 133);
    assert_eq!(rx.handle_input(now, &two[n..]), 0, "blocked on output");
    let d = feed(&mut rx, now, &two[n..]);
    assert_eq!(d.wire, [ACK, ACK]);
    assert_eq!(d.written.len(), 256);
    assert_eq!((d.written[0], d.written[128]), (b'a', b'b'));
}

// ---- regressions found by the link simulator (src/sim, docs/SIMULATION.md) ----

#[test]
fn receiver_refuses_eot_while_a_damaged_block_is_due() {
    // Simulator seeds xmodem-crc:0xd4 and ymodem:0x13d (before the fix): a delayed ACK made
    // the sender resend a block, the receiver ACKed both copies, and the spare ACK was taken
    // for the next block's. The sender then took an old ACK for the ACK of a damaged last
    // block and sent EOT; the receiver accepted the second EOT and kept a truncated file.
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    assert_eq!(
        feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16)).wire,
        [ACK]
    );
    let mut bad = block(2, b"y", 128, Check::Crc16);
    bad[40] ^= 0xFF;
    feed(&mut rx, t0, &bad);
    assert_eq!(tick(&mut rx, t0 + S).wire, [NAK]);
    // The first EOT may be noise: NAKed as always. The repeated one would drop block 2.
    assert_eq!(feed(&mut rx, t0 + S, &[EOT]).wire, [NAK]);
    let d = feed(&mut rx, t0 + S, &[EOT]);
    assert_eq!(
        failed(&d.events),
        Some(&Error::PeerMisbehaved(
            crate::proto::PeerMisbehaved::EndedWithBlockDue
        ))
    );
    assert_eq!(d.wire, CANCEL_SEQUENCE);
    assert!(!d.events.iter().any(|e| matches!(e, Event::FileEnd { .. })));

    // Once the damaged block has come intact, EOT ends the file as usual.
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    feed(&mut rx, t0, &bad);
    tick(&mut rx, t0 + S);
    feed(&mut rx, t0 + S, &block(2, b"y", 128, Check::Crc16));
    assert_eq!(feed(&mut rx, t0 + S, &[EOT]).wire, [NAK]);
    assert_eq!(feed(&mut rx, t0 + S, &[EOT]).wire, [ACK]);
}

#[test]
fn receiver_takes_an_eot_after_junk_for_junk() {
    // Simulator seeds xmodem-1k:0x134 and ymodem:0xfe (before the fix): a block stalled past
    // the byte timeout, its tail arrived as junk between blocks, and two 0x04 bytes in it
    // were taken for EOT, EOT: the receiver reported an empty file as complete.
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    feed(&mut rx, t0, &block(1, b"x", 128, Check::Crc16));
    let d = feed(&mut rx, t0, &[0x37, EOT, 0x99, EOT]);
    assert!(d.wire.is_empty() && d.events.is_empty(), "{d:?}");
    // A sender's EOT comes right after our answer, with nothing before it.
    let d = tick(&mut rx, t0 + 10 * S);
    assert_eq!(d.wire, [NAK]);
    assert_eq!(feed(&mut rx, t0 + 10 * S, &[EOT]).wire, [NAK]);
    let d = feed(&mut rx, t0 + 10 * S, &[EOT]);
    assert_eq!(d.wire, [ACK]);
    assert!(d.events.contains(&Event::Finished));
}

#[test]
fn receiver_keeps_crc_once_a_damaged_block_has_come() {
    // Simulator seed xmodem-1k:0x3b67 (before the fix): the sender answered each `C` with a
    // CRC block that arrived damaged; after four `C`s the receiver fell back to checksum,
    // read the CRC blocks as checksum blocks, and a frame shifted by a lost byte passed the
    // 8-bit check.
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    assert_eq!(drain(&mut rx, t0, &[], &mut 0).wire, b"C");
    let mut bad = block(1, &[7; 1024], 1024, Check::Crc16);
    bad[500] ^= 1;
    let mut sent = Vec::new();
    let mut now = t0;
    for _ in 0..6 {
        feed(&mut rx, now, &bad);
        now += S;
        sent.extend(tick(&mut rx, now).wire);
    }
    assert_eq!(sent, b"CCCCCC");
    assert_eq!(rx.check(), Check::Crc16);
    let d = feed(&mut rx, now, &block(1, &[7; 1024], 1024, Check::Crc16));
    assert_eq!(d.wire, [ACK]);
}

// ---- the EOT left unanswered (issue 9, item 7) ----

/// An XMODEM sender of `b"abc"` with its only block acknowledged and its first EOT just out,
/// at `t0`.
fn sender_at_eot(t0: Instant) -> Sender {
    let mut tx = Sender::xmodem(SenderConfig::default(), t0);
    tx.handle_input(t0, b"C");
    drain(&mut tx, t0, b"abc", &mut 0);
    assert_eq!(feed(&mut tx, t0, &[ACK]).wire, [EOT]);
    tx
}

#[test]
fn sender_ends_after_6_s_when_the_eot_goes_unanswered() {
    // lrzsz `rx -c` on a pty NAKs the first EOT, ACKs the second and flushes that ACK away
    // at exit. Every data block was acknowledged: the sender sends EOT once more after 3 s
    // of silence and ends after 6 s with the end unconfirmed (it used to wait 10 x 10 s and
    // fail with "gave up after 10 errors on block 2").
    let t0 = Instant::now();
    let mut tx = sender_at_eot(t0);
    assert_eq!(feed(&mut tx, t0, &[NAK]).wire, [EOT]);
    assert_eq!(tx.poll_timeout(), Some(t0 + 3 * S));
    let d = tick(&mut tx, t0 + 3 * S);
    assert_eq!(d.wire, [EOT], "sent again");
    assert_eq!(
        d.events,
        [Event::Retry {
            reason: RetryReason::Timeout,
            attempt: 2
        }]
    );
    let d = tick(&mut tx, t0 + 6 * S);
    assert!(d.wire.is_empty(), "no cancel: nothing failed");
    assert_eq!(
        d.events,
        [
            Event::EndUnconfirmed {
                at: Position::EndOfFile
            },
            Event::FileEnd { bytes: 3 },
            Event::Finished
        ]
    );
    assert!(tx.is_finished());
}

#[test]
fn sender_eot_wait_starts_again_when_the_receiver_answers() {
    let t0 = Instant::now();
    let cfg = SenderConfig {
        end_timeout: 10 * S,
        ..SenderConfig::default()
    };
    let mut tx = Sender::xmodem(cfg, t0);
    tx.handle_input(t0, b"C");
    drain(&mut tx, t0, b"abc", &mut 0);
    assert_eq!(feed(&mut tx, t0, &[ACK]).wire, [EOT]);
    // Silent for half the end timeout: EOT again; then a NAK: the receiver is there.
    assert_eq!(tick(&mut tx, t0 + 5 * S).wire, [EOT]);
    assert_eq!(feed(&mut tx, t0 + 6 * S, &[NAK]).wire, [EOT]);
    assert_eq!(tick(&mut tx, t0 + 11 * S).wire, [EOT], "a full wait again");
    let d = tick(&mut tx, t0 + 16 * S);
    assert_eq!(
        d.events[0],
        Event::EndUnconfirmed {
            at: Position::EndOfFile
        }
    );
    // Acknowledged in time, the end is confirmed.
    let mut tx = sender_at_eot(t0);
    tick(&mut tx, t0 + 3 * S);
    let d = feed(&mut tx, t0 + 4 * S, &[ACK]);
    assert_eq!(d.events, [Event::FileEnd { bytes: 3 }, Event::Finished]);
}

#[test]
fn sender_takes_a_hang_up_after_the_eot_as_an_unconfirmed_end() {
    // lrzsz `rx` exits right after its last ACK; on a pty the ACK may be flushed away and
    // the link closes. Everything was acknowledged but the end: not a failure.
    let t0 = Instant::now();
    let mut tx = sender_at_eot(t0);
    assert!(tx.handle_hang_up(t0 + S));
    let d = drain(&mut tx, t0 + S, &[], &mut 0);
    assert!(d.wire.is_empty());
    assert_eq!(
        d.events,
        [
            Event::EndUnconfirmed {
                at: Position::EndOfFile
            },
            Event::FileEnd { bytes: 3 },
            Event::Finished
        ]
    );
    // A hang-up while data is still unacknowledged is the caller's failure.
    let mut tx = Sender::xmodem(SenderConfig::default(), t0);
    tx.handle_input(t0, b"C");
    drain(&mut tx, t0, b"abc", &mut 0);
    assert!(!tx.handle_hang_up(t0));
}

/// lrzsz `rx` in a remote shell loses its last ACK on the pty and its shell prints the
/// prompt: text after the EOT is not an answer but whatever runs after the receiver. The end
/// is unconfirmed at once, and the EOT is not sent again (into the shell it is a Ctrl-D).
#[test]
fn sender_takes_text_after_the_eot_as_the_receiver_gone() {
    let t0 = Instant::now();
    let mut tx = sender_at_eot(t0);
    let d = feed(&mut tx, t0 + S, b"\x1b[?2004hremote> ");
    assert!(d.wire.is_empty(), "nothing sent again: {:02x?}", d.wire);
    assert_eq!(
        d.events,
        [
            Event::EndUnconfirmed {
                at: Position::EndOfFile
            },
            Event::FileEnd { bytes: 3 },
            Event::Finished
        ]
    );
    // A NAK, a C or a stray control byte is no such sign: the wait goes on.
    let mut tx = sender_at_eot(t0);
    assert_eq!(feed(&mut tx, t0, &[NAK]).wire, [EOT]);
    assert!(feed(&mut tx, t0, &[b'C', 0x00, 0x11]).events.is_empty());
    assert!(!tx.is_finished());
}

#[test]
fn sender_eot_naked_ten_times_names_the_end_of_the_file() {
    let t0 = Instant::now();
    let mut tx = sender_at_eot(t0);
    for _ in 1..10 {
        assert_eq!(feed(&mut tx, t0, &[NAK]).wire, [EOT]);
    }
    let d = feed(&mut tx, t0, &[NAK]);
    let e = failed(&d.events).expect("fails");
    assert_eq!(
        e.to_string(),
        "gave up after 10 errors on the end of the file (last: EOT NAK)"
    );
}

// ---- storms: no progress for the idle limit (issue 9, item 6) ----

#[test]
fn receiver_gives_up_on_a_storm_of_duplicate_blocks() {
    // Each duplicate of the last block is ACKed (the sender may have lost the ACK), but a
    // sender that repeats it for ever moves nothing on.
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    let b1 = block(1, b"x", 128, Check::Crc16);
    assert_eq!(feed(&mut rx, t0, &b1).wire, [ACK]);
    let mut now = t0;
    let e = loop {
        now += Duration::from_millis(10);
        assert!(now < t0 + 1000 * S, "still going after 1000 s");
        rx.handle_timeout(now);
        let d = feed(&mut rx, now, &b1);
        if let Some(e) = failed(&d.events) {
            break e.clone();
        }
        assert_eq!(d.wire, [ACK]);
    };
    assert_eq!(now - t0, 100 * S);
    assert_eq!(e, Error::NoProgress { limit: 100 * S });
}

#[test]
fn receiver_idle_limit_counts_from_the_last_progress() {
    // A slow transfer that moves on (a block every 60 s, after NAKs for the gaps) is not a
    // storm: the limit counts from the last new data.
    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    drain(&mut rx, t0, &[], &mut 0);
    assert_eq!(
        feed(&mut rx, t0, &block(1, &[1], 128, Check::Crc16)).wire,
        [ACK]
    );
    let mut now = t0;
    for n in 2..=5u8 {
        for _ in 0..5 {
            now += 10 * S;
            assert_eq!(tick(&mut rx, now).wire, [NAK]);
        }
        now += 10 * S - Duration::from_millis(1);
        let d = feed(&mut rx, now, &block(n, &[n], 128, Check::Crc16));
        assert_eq!(d.wire, [ACK], "block {n} after {:?}", now - t0);
    }
}

#[test]
fn sender_gives_up_on_a_storm_of_junk_that_keeps_its_timeouts_from_firing() {
    // A driver reads input as long as it comes, so a receiver that chatters without ever
    // answering keeps the ACK timeout from firing; the idle limit still ends the session.
    let t0 = Instant::now();
    let mut tx = Sender::xmodem(SenderConfig::default(), t0);
    tx.handle_input(t0, b"C");
    drain(&mut tx, t0, &[7; 300], &mut 0);
    let mut now = t0;
    let e = loop {
        now += Duration::from_millis(10);
        assert!(now < t0 + 1000 * S, "still going after 1000 s");
        let d = feed(&mut tx, now, b"x");
        if let Some(e) = failed(&d.events) {
            break e.clone();
        }
    };
    assert_eq!(now - t0, 100 * S);
    assert_eq!(e, Error::NoProgress { limit: 100 * S });
}
