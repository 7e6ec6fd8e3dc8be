//! How a session ends when the other side ends it or stops moving it on (issue 17): a ZMODEM
//! receiver that hangs up right after its `ZFIN`, one that asks for 0, 1024, 0, 1024... for
//! ever, `ZABORT`/`ZFERR`/`ZCAN` and the cancel sequence (exit 3 whatever the protocol), a
//! YMODEM receiver that goes silent in the middle of a file, and the summary when lrzsz `rz`
//! skips a file it has.

use std::fs;
use std::io::Write;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use xyzmodem::proto::zmodem::{
    CANFC32, CANFDX, CANOVIO, Decoder, DecoderConfig, Encoder, EscapeProfile, FrameEnd, FrameType,
    Header, HeaderFormat, Item,
};

use crate::common::{
    ACK, CAN, DEADLINE, Finished, Scripted, Work, cross_connect, require_peers, run_pair,
    wait_or_kill, xyzmodem,
};
use crate::szrz::{install, ours};
use crate::zmodem::{next_header, next_item, send_hex};

/// How long a scripted step may take before the test fails.
const ANSWER: Duration = Duration::from_secs(10);
/// Kill one run of ours against a scripted peer after this.
const LIMIT: Duration = Duration::from_secs(20);
/// What lrzsz `rz` announces: full duplex, overlapped I/O, CRC-32.
const ZRINIT: Header = Header {
    kind: FrameType::RInit,
    bytes: [0, 0, 0, CANFDX | CANOVIO | CANFC32],
};

/// A scripted ZMODEM receiver facing our `send -Z ARGS f.bin` (`len` bytes), run in `work`:
/// it has answered `ZRQINIT` with `ZRINIT` and read the `ZFILE` frame.
struct AtZfile {
    peer: Scripted,
    dec: Decoder,
    enc: Encoder,
    pending: Vec<u8>,
}

impl AtZfile {
    fn start(work: &Work, args: &[&str], len: usize) -> Self {
        work.random_file("f.bin", len, 0x17);
        let mut cmd = xyzmodem();
        cmd.args(["send", "-Z"])
            .args(args)
            .arg("f.bin")
            .current_dir(work.dir());
        let mut s = Self {
            peer: Scripted::spawn(cmd),
            dec: Decoder::new(DecoderConfig::default()),
            enc: Encoder::new(EscapeProfile::Minimal),
            pending: Vec::new(),
        };
        s.expect(FrameType::RqInit);
        s.send(ZRINIT);
        let format = s.expect(FrameType::File);
        s.dec.expect_data(format.data_crc());
        match next_item(&mut s.peer, &mut s.dec, &mut s.pending) {
            Item::Data {
                end: FrameEnd::CrcW,
            } if s.dec.data().starts_with(b"f.bin\0") => {}
            other => s
                .peer
                .fail(&format!("expected the file information, got {other:?}")),
        }
        s
    }

    fn expect(&mut self, kind: FrameType) -> HeaderFormat {
        let what = format!("{kind:?}");
        let (header, format) = next_header(&mut self.peer, &mut self.dec, &mut self.pending, &what);
        if header.kind != kind {
            self.peer.fail(&format!("expected {what}, got {header:?}"));
        }
        format
    }

    fn send(&mut self, header: Header) {
        send_hex(&mut self.peer, &mut self.enc, header);
    }
}

/// `finished` exited with `code` and its stderr says `says`.
fn assert_exit(finished: &Finished, code: i32, says: &str) {
    assert!(
        !finished.killed,
        "still running at the deadline\n{finished}"
    );
    assert_eq!(finished.status.code(), Some(code), "exit code\n{finished}");
    assert!(finished.stderr.contains(says), "no {says:?}\n{finished}");
}

// ---------------------------------------------------------------------------------------------
// After the last frame

/// A scripted ZMODEM receiver on raw pipes, so that it can hang up both ways at once: our
/// `OO` after its `ZFIN` then finds no reader.
struct RawReceiver {
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    dec: Decoder,
    pending: Vec<u8>,
}

impl RawReceiver {
    /// The next header our sender writes, within [`ANSWER`]; data subpackets are read and
    /// dropped.
    fn header(&mut self) -> Header {
        let end = Instant::now() + ANSWER;
        loop {
            let (used, item) = self.dec.feed(&self.pending);
            self.pending.drain(..used);
            match item {
                Some(Item::Header { header, format }) => {
                    if matches!(header.kind, FrameType::File | FrameType::Data) {
                        self.dec.expect_data(format.data_crc());
                    }
                    return header;
                }
                Some(_) => continue,
                None => {}
            }
            let stdout = self.stdout.as_ref().expect("stdout is open");
            let left = end.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no header within {ANSWER:?}");
            let ts = Timespec {
                tv_sec: 0,
                tv_nsec: 50_000_000,
            };
            let mut fds = [PollFd::new(stdout, PollFlags::IN)];
            if poll(&mut fds, Some(&ts)).unwrap_or(0) == 0 {
                continue;
            }
            let mut buf = [0u8; 4096];
            let n = rustix::io::read(stdout, &mut buf).expect("read our sender's output");
            assert!(n > 0, "our sender closed its output");
            self.pending.extend_from_slice(&buf[..n]);
        }
    }

    fn send(&mut self, header: Header) {
        let mut out = Vec::new();
        Encoder::new(EscapeProfile::Minimal).header(&mut out, HeaderFormat::Hex, &header);
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(&out).expect("write to our sender");
    }
}

/// A receiver that answers our `ZFIN` with its own and hangs up at once (two independent
/// receivers do): the whole batch was delivered and confirmed, so the send succeeds although
/// our `OO` can no longer be written (it exited 1, "the link was closed").
#[test]
fn a_receiver_that_hangs_up_after_its_zfin_is_a_success() {
    let work = Work::new();
    work.random_file("f.bin", 3000, 0x3F1);
    let mut child = xyzmodem()
        .args(["send", "-Z", "f.bin"])
        .current_dir(work.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn xyzmodem send");
    let mut rx = RawReceiver {
        stdin: child.stdin.take(),
        stdout: child.stdout.take(),
        dec: Decoder::new(DecoderConfig::default()),
        pending: Vec::new(),
    };
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    assert_eq!(rx.header().kind, FrameType::RqInit);
    rx.send(ZRINIT);
    assert_eq!(rx.header().kind, FrameType::File);
    rx.send(Header::with_position(FrameType::RPos, 0));
    assert_eq!(rx.header().kind, FrameType::Data);
    let eof = rx.header();
    assert_eq!((eof.kind, eof.position()), (FrameType::Eof, 3000));
    rx.send(ZRINIT);
    assert_eq!(rx.header().kind, FrameType::Fin);
    // Hang up: nobody reads our sender's output any more, then its input ends.
    rx.stdout = None;
    rx.send(Header::new(FrameType::Fin));
    rx.stdin = None;
    let (status, killed) = wait_or_kill(&mut child, Instant::now() + LIMIT);
    let stderr = stderr.join().unwrap_or_default();
    assert!(!killed, "still running after {LIMIT:?}: {stderr}");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("sent f.bin"), "{stderr}");
    assert!(
        !stderr.contains("warning"),
        "the end was confirmed: {stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// A receiver that keeps asking for the same data

/// Our `send -Z ARGS` of 200 000 bytes to a receiver that answers `ZFILE` with `ZRPOS(0)`
/// and then asks for 0, 1024, 0, 1024... every 20 ms, reading everything we send. Runs
/// until we exit or `give_up` has passed; how it ended, and when (from the first `ZRPOS`).
fn zrpos_see_saw(args: &[&str], give_up: Duration) -> (Finished, Duration) {
    let work = Work::new();
    let mut rx = AtZfile::start(&work, args, 200_000);
    rx.send(Header::with_position(FrameType::RPos, 0));
    let began = Instant::now();
    let mut k = 0u32;
    while began.elapsed() < give_up {
        let _ = rx.peer.try_read(usize::MAX, Duration::from_millis(20));
        let offset = if k.is_multiple_of(2) { 0 } else { 1024 };
        k += 1;
        let mut out = Vec::new();
        let zrpos = Header::with_position(FrameType::RPos, offset);
        rx.enc.header(&mut out, HeaderFormat::Hex, &zrpos);
        if !rx.peer.try_write(&out) {
            break;
        }
    }
    let ended = began.elapsed();
    let (finished, _) = rx.peer.wait(Duration::from_secs(1));
    (finished, ended)
}

/// The see-saw with a small idle timeout and errors to spare: the idle limit ends it (it
/// was still streaming after 25 s with `--idle-timeout 8 --timeout 8`).
#[test]
fn a_zrpos_see_saw_ends_at_the_idle_timeout() {
    let args = ["--idle-timeout", "3", "--timeout", "3", "--retries", "1000"];
    let (finished, after) = zrpos_see_saw(&args, Duration::from_secs(8));
    assert_exit(
        &finished,
        1,
        "no progress for 3 s: the peer kept the session going without moving the transfer on",
    );
    assert!(after < Duration::from_secs(5), "ended after {after:?}");
}

/// With the default options the see-saw is errors at one place: ten, named by the offset
/// asked for, end it within a second.
#[test]
fn a_zrpos_see_saw_gives_up_after_the_retries() {
    let (finished, after) = zrpos_see_saw(&[], Duration::from_secs(8));
    assert_exit(
        &finished,
        1,
        "gave up after 10 errors on offset 0 (last: NAK)",
    );
    assert!(after < Duration::from_secs(2), "ended after {after:?}");
}

// ---------------------------------------------------------------------------------------------
// Cancelled by the other side: exit 3 whatever the protocol

/// `ZFERR`, `ZABORT` and `ZCAN` answering our `ZFILE`, and the cancel sequence: all exit 3,
/// each with its own message.
#[test]
fn every_cancel_by_a_zmodem_receiver_exits_3() {
    for (kind, says) in [
        (
            FrameType::FErr,
            "the receiver could not store the file and ended the transfer (ZFERR)",
        ),
        (
            FrameType::Abort,
            "the receiver aborted the transfer (ZABORT)",
        ),
        (FrameType::Can, "the receiver cancelled the transfer (ZCAN)"),
    ] {
        let work = Work::new();
        let mut rx = AtZfile::start(&work, &[], 1000);
        rx.send(Header::new(kind));
        let (finished, _) = rx.peer.wait(LIMIT);
        assert_exit(&finished, 3, says);
    }
    let work = Work::new();
    let mut rx = AtZfile::start(&work, &[], 1000);
    rx.peer.write(&[CAN; 5]);
    let (finished, _) = rx.peer.wait(LIMIT);
    assert_exit(&finished, 3, "cancelled by peer");
}

/// A ZMODEM sender's `ZABORT` or `ZFERR` to our `recv -Z`: exit 3 too.
#[test]
fn a_zmodem_senders_abort_exits_3() {
    for kind in [FrameType::Abort, FrameType::FErr] {
        let work = Work::new();
        let mut cmd = xyzmodem();
        cmd.args(["recv", "-Z"]).arg(work.dir());
        let mut peer = Scripted::spawn(cmd);
        let mut dec = Decoder::new(DecoderConfig::default());
        let mut enc = Encoder::new(EscapeProfile::Minimal);
        let mut pending = Vec::new();
        let (header, _) = next_header(&mut peer, &mut dec, &mut pending, "ZRINIT");
        assert_eq!(header.kind, FrameType::RInit);
        send_hex(&mut peer, &mut enc, Header::new(kind));
        let (finished, _) = peer.wait(LIMIT);
        assert_exit(
            &finished,
            3,
            "the sender aborted the session (ZABORT/ZFERR)",
        );
    }
}

/// The YMODEM receiver's cancel sequence in the middle of a file: exit 3, as ZMODEM's.
#[test]
fn a_ymodem_receivers_cancel_exits_3() {
    let work = Work::new();
    work.random_file("f.bin", 5000, 0x9A);
    let mut cmd = xyzmodem();
    cmd.args(["send", "-Y", "f.bin"]).current_dir(work.dir());
    let mut peer = Scripted::spawn(cmd);
    peer.write(b"C");
    peer.read(133, ANSWER);
    peer.write(&[ACK, b'C']);
    peer.read(1029, ANSWER);
    peer.write(&[CAN, CAN]);
    let (finished, _) = peer.wait(LIMIT);
    assert_exit(&finished, 3, "cancelled by peer");
}

/// As `sz`, a `ZFERR` is a protocol failure, lrzsz's 128: the personality keeps lrzsz's code.
#[test]
fn sz_keeps_lrzsz_exit_code_for_a_zferr() {
    let work = Work::new();
    let bin = install(&work);
    work.random_file("f.bin", 1000, 0x5A);
    let mut peer = Scripted::spawn(ours(&bin, "sz", &["f.bin"], work.dir()));
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    let mut pending = Vec::new();
    let (header, _) = next_header(&mut peer, &mut dec, &mut pending, "ZRQINIT");
    assert_eq!(header.kind, FrameType::RqInit);
    send_hex(&mut peer, &mut enc, ZRINIT);
    let (header, _) = next_header(&mut peer, &mut dec, &mut pending, "ZFILE");
    assert_eq!(header.kind, FrameType::File);
    send_hex(&mut peer, &mut enc, Header::new(FrameType::FErr));
    let (finished, _) = peer.wait(LIMIT);
    assert_exit(&finished, 128, "ZFERR");
}

// ---------------------------------------------------------------------------------------------
// A receiver that goes silent

/// A YMODEM receiver that takes the header and the first block and then says nothing (it was
/// killed; the line stays open): the message says it went silent, not that it kept the
/// session going.
#[test]
fn a_silent_ymodem_receiver_is_named_silent() {
    let work = Work::new();
    work.random_file("f.bin", 5000, 0x51);
    let mut cmd = xyzmodem();
    cmd.args(["send", "-Y", "--idle-timeout", "2", "f.bin"])
        .current_dir(work.dir());
    let mut peer = Scripted::spawn(cmd);
    peer.write(b"C");
    peer.read(133, ANSWER);
    peer.write(&[ACK, b'C']);
    peer.read(1029, ANSWER);
    peer.write(&[ACK]);
    peer.read(1029, ANSWER);
    let began = Instant::now();
    let (finished, _) = peer.wait_open(Duration::from_secs(6));
    assert_exit(
        &finished,
        1,
        "the receiver went silent: no answer for 2 s; is it still running, and is the line still connected?",
    );
    assert!(began.elapsed() < Duration::from_secs(4), "{finished}");
}

// ---------------------------------------------------------------------------------------------
// The summary after a skipped file

/// lrzsz `rz` skips a file it has (`ZSKIP`): the summary says what was sent and what was
/// skipped, not "sent 2 files".
#[test]
fn the_summary_names_files_the_receiver_skipped() {
    if !require_peers(&["rz"]) {
        return;
    }
    let work = Work::new();
    let (_, a) = work.random_file("a.bin", 3000, 0xA1);
    let (_, b) = work.random_file("b.bin", 2000, 0xB2);
    let dst = work.path("dst");
    fs::create_dir(&dst).expect("mkdir dst");
    fs::write(dst.join("a.bin"), b"previous").expect("write dst/a.bin");
    let mut tx = xyzmodem();
    tx.args(["send", "-Z", "a.bin", "b.bin"])
        .current_dir(work.dir());
    let mut rx = Command::new("rz");
    rx.current_dir(&dst);
    cross_connect(&mut tx, &mut rx);
    let pair = run_pair(tx, rx, DEADLINE);
    pair.assert_success();
    assert_eq!(fs::read(dst.join("a.bin")).expect("a.bin"), b"previous");
    assert!(fs::read(dst.join("b.bin")).expect("b.bin") == b, "{pair}");
    assert_ne!(a, b);
    let line = pair
        .a
        .stderr
        .lines()
        .find(|l| l.ends_with(" retries"))
        .unwrap_or_default();
    assert!(
        line.starts_with("xyzmodem: 1 sent, 1 skipped by the receiver: 1.95 KiB (2000 bytes) in "),
        "{line:?}\n{pair}"
    );
}
