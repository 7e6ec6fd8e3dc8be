//! Bounded waits (issue 9): a sender whose receiver stopped reading (item 5), and a receiver
//! whose last ACK never comes back (item 7), with scripted peers and with lrzsz on ptys.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::common::{
    ACK, DEADLINE, EOT, NAK, Scripted, Socat, Work, check_xmodem_copy, crc_block, hex, open_rw,
    padded_128, require_peers, run_pair, wait_or_kill, xyzmodem, ymodem_end,
};

/// How long a scripted step may take before the test fails.
const ANSWER: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Item 5: a receiver that stops reading

/// Our YMODEM-G sender whose receiver asked for the stream and then stopped reading: its
/// stdout pipe is full. Killed when dropped.
struct Stuck {
    child: Child,
    /// Kept open: a closed stdin would be a hang-up, another way out.
    _stdin: ChildStdin,
    _stdout: ChildStdout,
    stderr: Option<JoinHandle<String>>,
}

impl Stuck {
    /// Starts `send -Y ARGS big.bin` in `work`, asks for YMODEM-G, takes the header, lets it
    /// stream, and returns once the pipe to the receiver can take no more blocks.
    fn start(work: &Work, args: &[&str]) -> Self {
        let mut cmd = xyzmodem();
        cmd.args(["send", "-Y"])
            .args(args)
            .arg("big.bin")
            .current_dir(work.dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn xyzmodem send");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut err = child.stderr.take().expect("stderr is piped");
        let stderr = thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        stdin.write_all(b"G").expect("write G");
        // The header, read by a thread so that a silent sender fails the test, not hangs it.
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut header = [0u8; 133];
            let r = stdout.read_exact(&mut header).map(|()| header);
            let _ = tx.send((r, stdout));
        });
        let (header, stdout) = rx.recv_timeout(ANSWER).expect("the header within 10 s");
        let header = header.expect("read the header");
        assert_eq!(header[..3], [0x01, 0x00, 0xFF], "{}", hex(&header, 16));
        stdin.write_all(b"G").expect("write the go-ahead");
        // Full: the bytes queued in the pipe stop growing (a 64 KiB pipe takes 48 blocks of
        // 1029 bytes, three to a page), while the sender streams at memory speed otherwise.
        let end = Instant::now() + ANSWER;
        let (mut last, mut since) = (0, Instant::now());
        loop {
            let queued = rustix::io::ioctl_fionread(&stdout).expect("FIONREAD");
            if queued != last {
                (last, since) = (queued, Instant::now());
            } else if queued >= 32 * 1024 && since.elapsed() >= Duration::from_millis(300) {
                break;
            }
            assert!(
                Instant::now() < end,
                "the pipe did not fill: {queued} bytes"
            );
            thread::sleep(Duration::from_millis(5));
        }
        Self {
            child,
            _stdin: stdin,
            _stdout: stdout,
            stderr: Some(stderr),
        }
    }

    /// Waits at most `limit` for the exit; its status (`None`: still running, killed) and
    /// stderr.
    fn wait(&mut self, limit: Duration) -> (Option<ExitStatus>, String) {
        let end = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                break Some(status);
            }
            if Instant::now() >= end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(5));
        };
        let stderr = self
            .stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        (status, stderr)
    }
}

impl Drop for Stuck {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first Ctrl-C stops a sender blocked on a full pipe: it used to sit in `write` for
/// ever, ignoring it (only a second signal killed it).
#[test]
fn a_sender_writing_to_a_full_pipe_stops_on_the_first_sigint() {
    use rustix::process::{Pid, Signal, kill_process};
    let work = Work::new();
    work.random_file("big.bin", 4 << 20, 0x5106);
    let mut stuck = Stuck::start(&work, &["--timeout", "60"]);
    let sent = Instant::now();
    kill_process(Pid::from_child(&stuck.child), Signal::INT).expect("send SIGINT");
    let (status, stderr) = stuck.wait(Duration::from_secs(10));
    let took = sent.elapsed();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(130),
        "{status:?} after {took:?}\n{stderr}"
    );
    // The flag is looked at every 100 ms; the rest is process start-up and exit.
    assert!(took < Duration::from_secs(3), "exit {took:?} after SIGINT");
    assert!(stderr.contains("interrupted"), "{stderr}");
}

/// A write that finds no room for `--timeout` fails the session with a message that says
/// so (exit 1: the transfer failed), instead of blocking for ever.
#[test]
fn a_sender_writing_to_a_full_pipe_fails_after_its_timeout() {
    let work = Work::new();
    work.random_file("big.bin", 4 << 20, 0x5107);
    let mut stuck = Stuck::start(&work, &["--timeout", "2"]);
    let full = Instant::now();
    let (status, stderr) = stuck.wait(Duration::from_secs(20));
    let took = full.elapsed();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "{status:?} after {took:?}\n{stderr}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(
        stderr.contains("the other side stopped reading")
            && stderr.contains("nothing could be written for 2 s"),
        "{stderr}"
    );
}

/// Two ptys joined by the test: whatever is written to one's slave comes out of the other's,
/// one thread per direction, so that a direction no one reads (it fills, and its thread blocks
/// in `write`) never holds up the other. socat relays both directions in one thread: its
/// blocking write towards a receiver that had exited kept the receiver's cancel from ever
/// reaching the sender. The slaves stay open here too, so the line never hangs up.
struct Line {
    a: PathBuf,
    b: PathBuf,
    _slaves: [File; 2],
}

impl Line {
    fn open() -> Self {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
        let pty = || {
            let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
            grantpt(&master).expect("grantpt");
            unlockpt(&master).expect("unlockpt");
            let name = ptsname(&master, Vec::new()).expect("ptsname");
            let path = PathBuf::from(name.to_str().expect("utf-8 pty name"));
            let slave = File::options()
                .read(true)
                .write(true)
                .open(&path)
                .expect("open pty slave");
            (File::from(master), path, slave)
        };
        let (ma, a, sa) = pty();
        let (mb, b, sb) = pty();
        let relay = |mut from: File, mut to: File| {
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = from.read(&mut buf) {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        };
        relay(ma.try_clone().expect("dup"), mb.try_clone().expect("dup"));
        relay(mb, ma);
        Self {
            a,
            b,
            _slaves: [sa, sb],
        }
    }
}

/// Our sender on pty `a`, our receiver on pty `b`; once data flows, SIGINT to the receiver.
/// It sends its cancel and exits 130 while the sender's writes find the line full (no one
/// reads `b` any more). The sender must see that cancel while it waits for room and exit 3
/// (cancelled by the other side) at once; it used to stop reading and sit until
/// `--timeout` (60 s), then exit 1.
fn a_receivers_ctrl_c_stops_a_sender_on_a_full_line(send: &[&str], recv: &[&str]) {
    use rustix::process::{Pid, Signal, kill_process};
    let work = Work::new();
    let line = Line::open();
    work.random_file("big.bin", 64 << 20, 0x5108);
    let dst = work.path("dst");
    std::fs::create_dir(&dst).expect("create dst");
    let spawn = |args: &[&str], port: &Path, last: &Path| {
        xyzmodem()
            .args(args)
            .arg("--port")
            .arg(port)
            .arg(last)
            .current_dir(work.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn xyzmodem")
    };
    let mut sender = spawn(send, &line.a, Path::new("big.bin"));
    let mut receiver = spawn(recv, &line.b, &dst);
    // Data flows once the receiver has a file open (its hidden temporary file).
    let end = Instant::now() + ANSWER;
    while std::fs::read_dir(&dst).expect("read dst").next().is_none() {
        assert!(Instant::now() < end, "the transfer did not start");
        thread::sleep(Duration::from_millis(5));
    }
    thread::sleep(Duration::from_millis(300));
    kill_process(Pid::from_child(&receiver), Signal::INT).expect("send SIGINT");
    let sent = Instant::now();
    let (status, killed) = wait_or_kill(&mut receiver, sent + ANSWER);
    assert!(!killed && status.code() == Some(130), "receiver: {status}");
    let (status, killed) = wait_or_kill(&mut sender, sent + Duration::from_secs(5));
    let took = sent.elapsed();
    let mut stderr = String::new();
    let _ = sender
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr);
    assert!(
        !killed && status.code() == Some(3),
        "sender: {status}, killed {killed}, {took:?} after the receiver's SIGINT\n{stderr}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}\n{stderr}");
    assert!(stderr.contains("cancelled by peer"), "{stderr}");
}

#[test]
fn a_receivers_ctrl_c_stops_a_zmodem_sender_on_a_full_line() {
    a_receivers_ctrl_c_stops_a_sender_on_a_full_line(&["send", "-Z"], &["recv"]);
}

#[test]
fn a_receivers_ctrl_c_stops_a_ymodem_g_sender_on_a_full_line() {
    a_receivers_ctrl_c_stops_a_sender_on_a_full_line(&["send", "-Y"], &["recv", "-g"]);
}

// ---------------------------------------------------------------------------------------------
// Item 7: the last ACK never comes

/// XMODEM: every block and the first EOT answered, the second EOT never. The sender sends
/// EOT once more after 3 s and ends after 6 s: exit 0, a warning, `end_confirmed: false` in
/// the report. It used to wait 10 x 10 s and fail (exit 1) with "... on block 2".
#[test]
fn xmodem_sender_ends_soon_when_the_last_ack_never_comes() {
    let work = Work::new();
    let data = b"the whole file, acknowledged block by block".to_vec();
    work.write("in.bin", &data);
    let mut cmd = xyzmodem();
    cmd.args(["send", "--report", "r.json", "in.bin"])
        .current_dir(work.dir());
    let mut peer = Scripted::spawn(cmd);
    peer.write(b"C");
    peer.expect(&crc_block(1, &padded_128(&data)), ANSWER);
    peer.write(&[ACK]);
    peer.expect(&[EOT], ANSWER);
    peer.write(&[NAK]);
    peer.expect(&[EOT], ANSWER);
    let silent = Instant::now();
    // No ACK: lrzsz `rx` on a pty flushes it away at exit. EOT comes once more.
    peer.expect(&[EOT], ANSWER);
    let (finished, rest) = peer.wait_open(Duration::from_secs(30));
    let took = silent.elapsed();
    assert!(finished.status.success(), "{finished}");
    assert!(rest.is_empty(), "no cancel: {}", hex(&rest, 32));
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(15),
        "ended {took:?} after the last EOT"
    );
    assert!(
        finished
            .stderr
            .contains("warning: the receiver did not acknowledge the end of the file"),
        "{finished}"
    );
    let report = String::from_utf8(work.read("r.json")).expect("UTF-8 report");
    let session: serde_json::Value =
        serde_json::from_str(report.lines().last().expect("a session line")).expect("JSON");
    assert_eq!(session["type"], "session", "{report}");
    assert_eq!(session["result"], "ok", "{report}");
    assert_eq!(session["end_confirmed"], false, "{report}");
    assert_eq!(session["exit_code"], 0, "{report}");
}

/// YMODEM: the file's EOT was acknowledged, the end-of-batch header never is, and the
/// receiver leaves (lrzsz `rb` exits after an ACK its pty flushed away). The batch is
/// delivered: exit 0 at once, saying the receiver did not acknowledge the end of the batch
/// (and never calling it "block 0"). It used to fail: "the link was closed by the other side".
#[test]
fn ymodem_sender_ends_at_once_when_the_receiver_leaves_after_the_end_of_batch() {
    let work = Work::new();
    let data = b"one small file".to_vec();
    work.write("in.bin", &data);
    let mut cmd = xyzmodem();
    cmd.args(["send", "-Y", "in.bin"]).current_dir(work.dir());
    let mut peer = Scripted::spawn(cmd);
    peer.write(b"C");
    let header = peer.read(133, ANSWER);
    assert!(header[3..].starts_with(b"in.bin\0"), "{}", hex(&header, 16));
    peer.write(&[ACK, b'C']);
    peer.expect(&crc_block(1, &padded_128(&data)), ANSWER);
    peer.write(&[ACK]);
    peer.expect(&[EOT], ANSWER);
    peer.write(&[ACK, b'C']);
    peer.expect(&ymodem_end(), ANSWER);
    let left = Instant::now();
    let (finished, rest) = peer.wait(Duration::from_secs(30));
    let took = left.elapsed();
    assert!(finished.status.success(), "{finished}");
    assert!(rest.is_empty(), "no cancel: {}", hex(&rest, 32));
    assert!(
        took < Duration::from_secs(2),
        "ended {took:?} after the receiver left"
    );
    assert!(
        finished
            .stderr
            .contains("the receiver did not acknowledge the end of the batch"),
        "{finished}"
    );
    assert!(!finished.stderr.contains("block 0"), "{finished}");
}

/// Our sender on pty `a` (through `--port`), lrzsz `PEER ARGS out.bin` on pty `b`, as through
/// minicom or an SSH session. lrzsz flushes its last ACK away at exit in about half the runs:
/// either way the transfer must end well within the old 100 s, with exit 0 on both sides.
fn send_to_lrzsz_on_a_pty(ours: &[&str], peer: &str, peer_args: &[&str], out: &str) {
    if !require_peers(&[peer, "socat"]) {
        return;
    }
    let work = Work::new();
    let socat = Socat::start(&work);
    let (_, data) = work.random_file("in.bin", 20_000, 0x7A57);
    let mut a = xyzmodem();
    a.arg("send")
        .args(ours)
        .arg("--port")
        .arg(&socat.a)
        .arg("in.bin")
        .current_dir(work.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let (tty_in, tty_out) = open_rw(&socat.b);
    let dst = work.path("dst");
    std::fs::create_dir(&dst).expect("create dst");
    let mut b = Command::new(peer);
    b.args(peer_args)
        .current_dir(&dst)
        .stdin(tty_in)
        .stdout(tty_out);
    let pair = run_pair(a, b, DEADLINE);
    let report = format!("{pair}socat:\n{}", socat.log());
    assert!(
        pair.a.status.success() && pair.b.status.success(),
        "transfer failed {report}"
    );
    assert!(pair.elapsed < Duration::from_secs(40), "slow: {report}");
    let got = work.read(&format!("dst/{out}"));
    if ours.contains(&"-Y") {
        assert!(got == data, "the file differs {report}");
    } else if let Err(e) = check_xmodem_copy(&got, &data, 127) {
        panic!("{e}\n{report}");
    }
}

#[test]
fn pty_send_to_rx_c_whose_last_ack_may_be_lost() {
    send_to_lrzsz_on_a_pty(&[], "rx", &["-c", "out.bin"], "out.bin");
}

#[test]
fn pty_send_batch_to_rb_whose_last_ack_may_be_lost() {
    send_to_lrzsz_on_a_pty(&["-Y"], "rb", &[], "in.bin");
}

// ---------------------------------------------------------------------------------------------
// Item 6: storms

/// A sender that repeats EOT where the next header is due, each answered with `C`, ends the
/// session after `--idle-timeout` with a message (exit 1); it used to go on for ever.
#[test]
fn a_storm_of_eots_ends_at_the_idle_timeout() {
    use crate::common::ymodem_header;
    let work = Work::new();
    let mut cmd = xyzmodem();
    cmd.args(["recv", "-Y", "--idle-timeout", "2"])
        .arg(work.path("dst/"))
        .current_dir(work.dir());
    let mut peer = Scripted::spawn(cmd);
    peer.expect(b"C", ANSWER);
    peer.write(&ymodem_header(b"f.bin", "5"));
    peer.expect(&[ACK, b'C'], ANSWER);
    peer.write(&crc_block(1, &padded_128(b"hello")));
    peer.expect(&[ACK], ANSWER);
    peer.write(&[EOT]);
    peer.expect(&[ACK, b'C'], ANSWER);
    let start = Instant::now();
    // Each EOT waits for its `C`, as a sender would; the storm lasts until the receiver quits.
    let mut answered = 0;
    while start.elapsed() < Duration::from_secs(30) {
        if !peer.try_write(&[EOT]) {
            break;
        }
        match peer.try_read(1, ANSWER) {
            Ok(c) if c == b"C" => answered += 1,
            _ => break,
        }
    }
    let (finished, _) = peer.wait(Duration::from_secs(10));
    let took = start.elapsed();
    assert_eq!(finished.status.code(), Some(1), "{finished}");
    assert!(
        finished.stderr.contains("no progress for 2 s"),
        "{finished}"
    );
    // The limit runs from the receiver's last progress (the file's end), a moment before
    // `start` (the answer to that EOT still had to reach us): a little under 2 s is right.
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(10),
        "{took:?}, {answered} EOTs answered"
    );
    assert!(answered > 10, "a storm: {answered} EOTs answered");
    assert_eq!(work.read("dst/f.bin"), b"hello", "the file received stays");
}
