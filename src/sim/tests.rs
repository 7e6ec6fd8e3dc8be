//! Unit tests of the simulator itself: line timing, faults, determinism, the timing model;
//! and two tools: `explore` (a sweep of `SIM_N` seeds per variant, printing the runs that
//! broke a property) and `replay` (one scenario from `XYZMODEM_SIM_REPLAY`, with a trace).

use std::time::Duration;

use super::line::Line;
use super::*;
use crate::proto::Protocol;
use crate::proto::cancel::CAN;

const MS: u64 = 1_000_000;

fn line(baud: u32, latency_ms: u64, delivery: Delivery, faults: Faults) -> Line {
    Line::new(
        baud,
        Duration::from_millis(latency_ms),
        delivery,
        faults,
        Rng::new(7),
    )
}

/// Everything that has arrived by `now`, handed out.
fn take(l: &mut Line, now: u64) -> Vec<u8> {
    let mut got = Vec::new();
    loop {
        let n = l.available(now);
        if n == 0 {
            return got;
        }
        let piece = l.peek(n).to_vec();
        l.consume(piece.len());
        got.extend(piece);
    }
}

#[test]
fn bytes_arrive_at_line_rate_after_the_latency() {
    // 10 000 baud: a byte takes exactly 1 ms. 5 ms latency.
    let mut l = line(10_000, 5, Delivery::Burst, Faults::clean());
    l.write(0, b"abcd", None);
    assert_eq!(l.free_at(), 4 * MS);
    assert_eq!(l.available(6 * MS - 1), 0);
    assert_eq!(l.available(6 * MS), 1);
    assert_eq!(l.available(8 * MS), 3);
    // Burst delivery wakes the reader when the whole write is in.
    assert_eq!(l.next_arrival(), Some(9 * MS));
    // A second write queues behind the first on the wire.
    l.write(MS, b"ef", None);
    assert_eq!(l.free_at(), 6 * MS);
    assert_eq!(take(&mut l, 9 * MS), b"abcd");
    assert_eq!(l.next_arrival(), Some(11 * MS));
    assert_eq!(take(&mut l, 11 * MS), b"ef");
    assert_eq!(l.next_arrival(), None);

    let mut l = line(10_000, 0, Delivery::Bytewise, Faults::clean());
    l.write(0, b"xyz", None);
    assert_eq!(l.next_arrival(), Some(MS));
    assert_eq!(take(&mut l, MS), b"x");
    assert_eq!(l.next_arrival(), Some(2 * MS));
}

#[test]
fn a_stall_delays_the_rest_of_the_stream() {
    let faults = Faults {
        stall: Some(Stall {
            at: 2,
            duration: Duration::from_secs(1),
        }),
        ..Faults::clean()
    };
    let mut l = line(10_000, 0, Delivery::Burst, faults);
    l.write(0, b"abcd", None);
    assert_eq!(l.free_at(), 1_004 * MS);
    assert_eq!(take(&mut l, 500 * MS), b"ab");
    assert_eq!(l.next_arrival(), Some(1_004 * MS));
    assert_eq!(take(&mut l, 1_003 * MS), b"c");
    assert_eq!(take(&mut l, 1_004 * MS), b"d");
}

#[test]
fn a_hang_up_silences_both_directions_for_good() {
    let faults = Faults {
        hangup_at: Some(3),
        ..Faults::clean()
    };
    let mut fwd = line(10_000, 2, Delivery::Burst, faults);
    let mut rev = line(10_000, 2, Delivery::Burst, Faults::clean());
    rev.write(0, b"0123456789", None);
    let w = fwd.write(0, b"abcdef", None);
    // Byte 3 would start at 3 ms: nothing arrives after 3 ms + latency.
    assert_eq!(w.hangup, Some(5 * MS));
    rev.cut(5 * MS);
    assert_eq!(take(&mut fwd, 100 * MS), b"abc");
    assert_eq!(take(&mut rev, 100 * MS), b"012");
    fwd.write(10 * MS, b"more", Some(5 * MS));
    assert_eq!(take(&mut fwd, 100 * MS), b"");
}

#[test]
fn cans_are_injected_where_planned() {
    let faults = Faults {
        cancel: Some(CanBurst { at: 1, count: 2 }),
        ..Faults::clean()
    };
    let mut l = line(115_200, 0, Delivery::Burst, faults);
    l.write(0, b"ab", None);
    l.write(0, b"cd", None);
    assert_eq!(
        take(&mut l, u64::MAX / 2),
        [b'a', CAN, CAN, b'b', b'c', b'd']
    );
}

#[test]
fn random_faults_are_seeded_and_near_their_rates() {
    let faults = Faults {
        bit_error_rate: 1e-3,
        drop_rate: 1e-2,
        insert_rate: 1e-2,
        dup_rate: 1e-2,
        ..Faults::clean()
    };
    let data = vec![0u8; 100_000];
    let mut a = line(115_200, 0, Delivery::Burst, faults.clone());
    let mut b = line(115_200, 0, Delivery::Burst, faults);
    a.write(0, &data, None);
    b.write(0, &data, None);
    let (got_a, got_b) = (take(&mut a, u64::MAX / 2), take(&mut b, u64::MAX / 2));
    assert_eq!(got_a, got_b, "same seed, same faults");
    let s = a.stats;
    // Expected 800 flips and 1000 of each byte fault; allow 5 standard deviations.
    assert!((650..=950).contains(&s.bit_flips), "{s:?}");
    for n in [s.dropped, s.inserted, s.duplicated] {
        assert!((840..=1160).contains(&n), "{s:?}");
    }
    assert_eq!(s.on_wire, 100_000 - s.dropped + s.inserted + s.duplicated);
    assert_eq!(got_a.len() as u64, s.on_wire);
}

#[test]
fn a_run_replays_exactly() {
    for variant in Variant::ALL {
        for seed in [1, 2, 3, 0xDEAD] {
            let scn = Scenario::random(variant, seed);
            let (a, b) = (run(&scn), run(&Scenario::random(variant, seed)));
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{scn}");
            assert!(scn.to_string().contains(&format!("{variant}:{seed:#x}")));
        }
    }
}

#[test]
fn the_front_end_completes_with_every_sender_and_replays() {
    // Every sender kind, ZMODEM's included, meets `recv`'s front end on a clean line and
    // delivers the files with the protocol it speaks; the replay string names the front end.
    let protocols = [
        (Variant::XmodemChecksum, Protocol::Xmodem),
        (Variant::XmodemCrc, Protocol::Xmodem),
        (Variant::Xmodem1k, Protocol::Xmodem),
        (Variant::Ymodem, Protocol::Ymodem),
        (Variant::YmodemG, Protocol::YmodemG),
        (Variant::Zmodem, Protocol::Zmodem),
    ];
    for (variant, protocol) in protocols {
        let mut scn = Scenario::random_auto(variant, 7);
        scn.plan.forward = Faults::default();
        scn.plan.reverse = Faults::default();
        let r = run(&scn);
        assert_eq!(r.outcome, Outcome::Completed, "{scn}\n{r}");
        assert_eq!(r.protocol, Some(protocol), "{scn}");
        let spec = format!("auto-{variant}:0x7");
        assert!(scn.to_string().contains(&spec), "{scn}");
        let again = Scenario::replay(&spec).expect("a replay string");
        assert!(again.auto && again.variant == variant);
    }
}

#[test]
fn clean_lines_complete_and_match_the_timing_model() {
    // The engines add no idle time: a clean transfer takes exactly the bound with the fixed
    // exchanges, whatever the rate, the latency and the file size.
    for variant in Variant::ALL {
        for (len, baud, latency) in [
            (0, 115_200, 0),
            (1, 9600, 100),
            (3000, 57_600, 5),
            (10_240, 921_600, 20),
        ] {
            let e = Efficiency::measure(variant, len, baud, Duration::from_millis(latency));
            if len > 0 {
                let r = e.with_overhead();
                assert!((0.9999..=1.0001).contains(&r), "{e}");
            }
        }
    }
}

#[test]
fn a_batch_with_an_empty_file_completes() {
    for variant in [Variant::Ymodem, Variant::YmodemG] {
        let scn = Scenario::new(variant, vec![vec![1; 2000], Vec::new(), vec![2; 1024]]);
        let r = run(&scn);
        assert_eq!(
            r.outcome,
            Outcome::Completed,
            "{scn}
{r}"
        );
        assert_eq!(r.received.len(), 3);
        assert!(r.received[1].data.is_empty() && r.received[1].committed);
    }
}

#[test]
fn silent_corruption_is_recognised() {
    // A receiver told to expect other bytes than were sent must be judged corrupt: judge a
    // clean XMODEM run against a different file.
    let mut scn = Scenario::new(Variant::XmodemCrc, vec![vec![5; 300]]);
    let report = run(&scn);
    assert_eq!(report.outcome, Outcome::Completed);
    scn.files[0][10] = 6;
    let r = run_judged_against(&scn, vec![vec![5; 300]]);
    assert_eq!(r.outcome, Outcome::SilentCorruption, "{r}");
}

/// Run `sent` but judge the result against `scn.files`.
fn run_judged_against(scn: &Scenario, sent: Vec<Vec<u8>>) -> Report {
    let mut sending = scn.clone();
    sending.files = sent;
    let mut r = run(&sending);
    let redo = super::judge::corruption(scn, &r.received, &r.receiver, r.protocol, r.frame);
    if let Some(why) = redo {
        r.outcome = Outcome::SilentCorruption;
        r.detail = Some(why);
    }
    r
}

#[test]
fn explore() {
    let n: u64 = std::env::var("SIM_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for variant in Variant::ALL {
        let s = sweep(variant, 0..n);
        println!("{s}");
        for (scn, report) in s.violations.iter().take(8) {
            println!("  {scn}\n  => {report}");
        }
    }
}

#[test]
fn replay() {
    let Ok(spec) = std::env::var(REPLAY_VAR) else {
        return;
    };
    let scn = Scenario::replay(&spec).expect("VARIANT:SEED");
    let (report, trace) = run_traced(&scn);
    println!("{scn}");
    for line in trace {
        println!("{line}");
    }
    println!("=> {report}");
}

#[test]
fn efficiency_table() {
    for latency in [0, 20] {
        for variant in Variant::ALL {
            let e = Efficiency::measure(
                variant,
                64 * 1024,
                115_200,
                std::time::Duration::from_millis(latency),
            );
            println!("{e}");
        }
    }
}
