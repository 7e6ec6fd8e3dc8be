//! The fuzz target bodies of `xyzmodem::fuzzing` as bounded proptest cases, so every test run
//! exercises them on stable Rust without libFuzzer (`tests/fuzz/` runs them for millions of
//! executions; see docs/FUZZING.md). Random bytes reach fewer states than a coverage-guided
//! fuzzer, but the bodies decode structured operations (valid blocks, headers, timeouts), so
//! random input still completes transfers, retries and fails them.

use proptest::prelude::*;
use xyzmodem::fuzzing;

/// Inputs up to the length libFuzzer uses by default.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..4096)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn receiver(data in bytes()) {
        fuzzing::receiver(&data);
    }

    #[test]
    fn sender(data in bytes()) {
        fuzzing::sender(&data);
    }

    #[test]
    fn receive_path(data in bytes()) {
        fuzzing::receive_path(&data);
    }

    #[test]
    fn block(data in bytes()) {
        fuzzing::block(&data);
    }

    #[test]
    fn header(data in prop::collection::vec(any::<u8>(), 0..1100)) {
        fuzzing::header(&data);
    }

    #[test]
    fn zmodem_receiver(data in bytes()) {
        fuzzing::zmodem_receiver(&data);
    }

    #[test]
    fn auto_receiver(data in bytes()) {
        fuzzing::auto_receiver(&data);
    }

    #[test]
    fn zmodem_sender(data in bytes()) {
        fuzzing::zmodem_sender(&data);
    }

    #[test]
    fn sniff(data in bytes()) {
        fuzzing::sniff(&data);
    }

    #[test]
    fn telnet(data in bytes()) {
        fuzzing::telnet(&data);
    }

    #[test]
    fn zmodem_decoder(data in bytes()) {
        xyzmodem::proto::zmodem::fuzz::zmodem_decoder(&data);
    }
}

/// Cases per body: enough to pass the main paths each run, few enough for a debug build.
const CASES: u32 = 2000;

/// Finding R1 (docs/FUZZING.md): a damaged block shortly before the start limit made the
/// receiver purge, and when the line went quiet it nudged the sender with the start limit,
/// already past, as its deadline. Found by the `receiver` body; fixed in `Receiver::nudge`.
#[test]
fn r1_receiver_deadline_not_in_the_past_after_late_purge() {
    use std::time::{Duration, Instant};
    use xyzmodem::proto::{Engine, Receiver, ReceiverConfig};

    let t0 = Instant::now();
    let mut rx = Receiver::new(ReceiverConfig::default(), t0);
    while rx.poll_output().is_some() {}
    // 59.5 s in (start limit 60 s): an SOH block whose number and complement disagree.
    let now = t0 + Duration::from_millis(59_500);
    let mut bad = vec![0x01, 1, 1];
    bad.resize(3 + 128 + 2, 0);
    assert_eq!(rx.handle_input(now, &bad), bad.len());
    while rx.poll_output().is_some() {}
    // The line stays quiet: at the end of the purge, the receiver NAKs (or gives up).
    let now = rx.poll_timeout().expect("purging");
    rx.handle_timeout(now);
    while rx.poll_output().is_some() {}
    if let Some(deadline) = rx.poll_timeout() {
        assert!(deadline >= now, "deadline {:?} in the past", now - deadline);
    }
}

/// Found by the `zmodem_sender` body under proptest: 32-byte subpackets stream a 20 KiB file
/// in more steps than the harness allowed timeouts. Each step is a deadline of "now" (the
/// next subpacket), which the harness now counts apart from real waits.
#[test]
fn z1_streaming_steps_are_not_timeouts() {
    let mut data = vec![81u8, 180, 53];
    data.extend([0; 22]);
    data.extend([
        62, 83, 0, 0, 0, 0, 0, 0, 0, 30, 101, 0, 62, 0, 0, 0, 0, 30, 13, 0, 0, 0, 0, 0, 0, 30, 0,
        0, 0, 0, 0, 0, 0, 110, 0, 0, 0, 0, 150,
    ]);
    fuzzing::zmodem_sender(&data);
}

/// Finding R4 (docs/FUZZING.md), by the `receive_path` cargo-fuzz target: with `--resume`, a
/// file the protocol did not resume (XMODEM/YMODEM cannot) arrived from offset 0 into the
/// continued `NAME.part`, which was cut and rewritten: the user's `a.part` was lost. The part
/// file now stays as it was and the file is received into a new temporary file.
#[test]
fn r4_a_declined_resume_leaves_the_part_file_alone() {
    fuzzing::receive_path(include_bytes!("data/receive_path_r4.bin"));
}

/// After R4: a part file the user already had, continued by `--resume`, stays after a failure
/// even without `--keep-partial` (the harness had counted it as a new kept part).
#[test]
fn r5_a_continued_part_stays_after_a_failure() {
    fuzzing::receive_path(include_bytes!("data/receive_path_r5.bin"));
}

/// `receive_path` input bytes for ZMODEM sessions, built by hand (see the body's docs for
/// what each byte means).
mod zpath {
    /// `data[0]`: ZMODEM (bits 5-6 = `01`), `existing` (bits 2-3: 0 refuse, 1 overwrite).
    pub fn flags(existing: u8) -> u8 {
        0x20 | existing << 2
    }
    /// `data[1]`: into a directory; the user's files there (`a`, `a.part`, `sub/b`, `link`)
    /// unless `bare`; `--resume` when `resume`.
    pub fn more(bare: bool, resume: bool) -> u8 {
        (if bare { 0x20 } else { 0 }) | (if resume { 0x80 } else { 0 })
    }
    /// `ZFILE` (ZBIN32, F0 = ZCRESUM) for `a` with this size, not damaged.
    pub const fn zfile_a(size: u8) -> [u8; 9] {
        [65, 0x0C, 0, 0x04, 0, 0, size, 0, 0]
    }
    /// `ZDATA` at the offset the receiver holds (or, with `at_resume`, at the part's length)
    /// with one subpacket of `len` bytes `seed + 31 i`, ending `ZCRCE`, not damaged.
    pub const fn zdata(at_resume: bool, len: u8, seed: u8) -> [u8; 6] {
        [100, if at_resume { 4 } else { 0 }, len, 0, seed, 0]
    }
    /// The bytes [`zdata`] sends.
    pub fn data(len: u8, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| seed.wrapping_add(i.wrapping_mul(31)))
            .collect()
    }
    /// The sender's answer to `ZCRC`: its file starts with the part, or not.
    pub const fn zcrc(matches: bool) -> [u8; 3] {
        [180, if matches { 0 } else { 1 }, 0]
    }
    /// `ZEOF` at the offset the receiver holds, `ZFIN`, `OO`.
    pub const END: [u8; 7] = [160, 0, 0, 192, 0, 197, 0];
}

/// The ZMODEM mode of `receive_path` reaches the files: a file announced by `ZFILE`, sent in
/// a `ZDATA` frame and ended by `ZEOF` is on disk with exactly that content.
#[test]
fn receive_path_zmodem_commits_a_file() {
    let mut data = vec![zpath::flags(0), zpath::more(true, false)];
    data.extend(zpath::zfile_a(5));
    data.extend(zpath::zdata(false, 5, b'A'));
    data.extend(zpath::END);
    let got = fuzzing::receive_path_committed(&data);
    assert_eq!(got, [("a".into(), zpath::data(5, b'A'))]);
}

/// `--resume` with ZMODEM: the user's `a.part` ("OWNED a.part", 12 bytes) is checked with
/// `ZCRC`, the sender confirms it, and the file continues from its end: `a` (replaced, as
/// `--overwrite` allows) is the part's bytes followed by the new ones.
#[test]
fn receive_path_zmodem_resumes_a_verified_part() {
    let mut data = vec![zpath::flags(1), zpath::more(false, true)];
    data.extend(zpath::zfile_a(20));
    data.extend(zpath::zcrc(true));
    data.extend(zpath::zdata(true, 8, b'r'));
    data.extend(zpath::END);
    let got = fuzzing::receive_path_committed(&data);
    let mut want = b"OWNED a.part".to_vec();
    want.extend(zpath::data(8, b'r'));
    assert_eq!(got, [("a".into(), want)]);
}

/// Finding R6 (docs/FUZZING.md), by the `receive_path` proptest body's ZMODEM mode: with
/// `--resume`, a sender whose file does not start with the user's `a.part` (its `ZCRC`
/// differs) and then ends it at once (`ZEOF` at 0) had `a.part` committed as the file `a`:
/// 12 bytes the sender never sent, and the user's part file gone. Now the file is what
/// arrived (nothing) and `a.part` stays as it was (the body checks both). Since a ZMODEM
/// file that ends short of its announced length fails, the recorded input (20 bytes
/// announced) commits nothing; the same with 0 bytes announced commits an empty `a`.
#[test]
fn r6_a_declined_resume_that_ends_at_once_commits_what_arrived() {
    let data = include_bytes!("data/receive_path_r6.bin");
    let built = |size| {
        let mut built = vec![zpath::flags(1), zpath::more(false, true)];
        built.extend(zpath::zfile_a(size));
        built.extend(zpath::zcrc(false));
        built.extend(zpath::END);
        built
    };
    assert_eq!(data[..], built(20)[..]);
    assert_eq!(fuzzing::receive_path_committed(data), []);
    let got = fuzzing::receive_path_committed(&built(0));
    assert_eq!(got, [("a".into(), Vec::new())]);
}

/// Inputs of the `auto_receiver` body that once failed: `recv`'s front end took none of a
/// block that was waiting before its start character went out (the contract allows it: the
/// character is output due first, and the harness now takes that once), and a first look at
/// the line that came 3.1 s late left the X/YMODEM receiver's start limit in the past. The
/// third finding, a session that ended before the ZMODEM receiver started and came back to
/// life at the fall-back time, is `an_ended_session_does_not_fall_back_to_xymodem` in
/// `proto::detect`.
#[test]
fn a1_auto_receiver_found_inputs() {
    for data in [
        &[55, 90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..],
        &[59, 30, 14, 6],
    ] {
        fuzzing::auto_receiver(data);
    }
}

/// Finding T1 (docs/FUZZING.md): read at once, more COM-PORT-OPTION answers than the telnet
/// codec keeps (32) lose the oldest, which the caller reading in pieces takes in time; the
/// body compared the lists whole. Found by the `telnet` cargo-fuzz target; the body now
/// compares the newest.
#[test]
fn t1_telnet_answers_beyond_the_bound_keep_the_newest() {
    // The option offered and asked for, pieces of 64 bytes.
    let mut data = vec![0xFF];
    for _ in 0..40 {
        data.extend_from_slice(&[0xFF, 0xFA, 44, 47, 0xFF, 0xF0]);
    }
    fuzzing::telnet(&data);
}
