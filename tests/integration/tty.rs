//! A pseudo-terminal as stdin/stdout: the tool must put it in raw mode for the transfer and
//! restore it on every exit path (success, peer cancel, SIGTERM, SIGINT).

use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{Pid, Signal, kill_process};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{LocalModes, tcgetattr};

use crate::common::{ACK, CAN, EOT, NAK, Work, crc_block, wait_or_kill, xyzmodem};

const LIMIT: Duration = Duration::from_secs(10);

/// A pty pair: the test holds the master; the slave is the tool's stdin/stdout.
struct Pty {
    master: OwnedFd,
    slave: File,
}

impl Pty {
    fn open() -> Self {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().expect("utf-8 pty name"))
            .expect("open pty slave");
        Self { master, slave }
    }

    /// Canonical mode (line editing) is on: the terminal is "cooked".
    fn cooked(&self) -> bool {
        let t = tcgetattr(self.slave.as_fd()).expect("tcgetattr");
        t.local_modes.contains(LocalModes::ICANON) && t.local_modes.contains(LocalModes::ECHO)
    }

    fn spawn(&self, cmd: &mut Command) -> Child {
        cmd.stdin(Stdio::from(self.slave.try_clone().expect("dup")))
            .stdout(Stdio::from(self.slave.try_clone().expect("dup")))
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn xyzmodem")
    }

    /// Read from the master until `want` bytes came or the deadline passed.
    fn read(&self, want: usize) -> Vec<u8> {
        self.read_until(|got| got.len() >= want)
    }

    /// Read from the master until `done` says so or the deadline passed.
    fn read_until(&self, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let deadline = Instant::now() + LIMIT;
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while !done(&got) && Instant::now() < deadline {
            let ts = Timespec {
                tv_sec: 0,
                tv_nsec: 50_000_000,
            };
            let mut fds = [PollFd::new(&self.master, PollFlags::IN)];
            if poll(&mut fds, Some(&ts)).unwrap_or(0) == 0 {
                continue;
            }
            match rustix::io::read(&self.master, &mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
        got
    }

    fn write(&self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = rustix::io::write(&self.master, rest).expect("write to pty master");
            rest = &rest[n..];
        }
    }
}

fn wait(child: &mut Child) -> i32 {
    let (status, killed) = wait_or_kill(child, Instant::now() + LIMIT);
    assert!(!killed, "xyzmodem did not exit in time");
    status.code().expect("exited, not killed")
}

/// Start `recv` on a pty and wait until it is running in raw mode (its first `C` arrived).
fn start_recv(work: &Work) -> (Pty, Child) {
    let pty = Pty::open();
    assert!(pty.cooked(), "a new pty starts in cooked mode");
    let child = pty.spawn(xyzmodem().arg("recv").arg(work.path("out.bin")));
    assert_eq!(
        pty.read(1),
        b"C",
        "the first byte on the line is the start character"
    );
    assert!(!pty.cooked(), "raw mode while the transfer runs");
    (pty, child)
}

fn interrupted_by(signal: Signal) {
    let work = Work::new();
    let (pty, mut child) = start_recv(&work);
    let pid = Pid::from_child(&child);
    kill_process(pid, signal).expect("kill");
    let code = wait(&mut child);
    assert_eq!(code, 130, "{signal:?} exits 130");
    assert!(pty.cooked(), "terminal restored after {signal:?}");
    // The peer was told: 10 CANs and 10 backspaces (perhaps after another `C`).
    let cancel: Vec<u8> = [[CAN; 10], [0x08; 10]].concat();
    let tail = pty.read_until(|got| got.windows(20).any(|w| w == cancel.as_slice()));
    assert!(
        tail.windows(20).any(|w| w == cancel.as_slice()),
        "cancel sequence sent, got {tail:02x?}"
    );
    assert!(!work.path("out.bin").exists());
}

#[test]
fn sigterm_restores_terminal_and_cancels_peer() {
    interrupted_by(Signal::TERM);
}

#[test]
fn sigint_restores_terminal_and_cancels_peer() {
    interrupted_by(Signal::INT);
}

#[test]
fn peer_cancel_restores_terminal() {
    let work = Work::new();
    let (pty, mut child) = start_recv(&work);
    pty.write(&[CAN, CAN]);
    assert_eq!(wait(&mut child), 3);
    assert!(pty.cooked(), "terminal restored after a peer cancel");
}

#[test]
fn success_restores_terminal_and_is_8_bit_clean() {
    let work = Work::new();
    let (pty, mut child) = start_recv(&work);
    // Data full of bytes a cooked terminal would eat or translate: CR, LF, ^C, ^Z, ^S, ^Q, DEL.
    let data: [u8; 128] =
        std::array::from_fn(|i| [b'\r', b'\n', 3, 0x1A, 0x13, 0x11, 0x7F, 0xFF][i % 8]);
    pty.write(&crc_block(1, &data));
    assert_eq!(pty.read(1), [ACK]);
    pty.write(&[EOT]);
    assert_eq!(pty.read(1), [NAK]);
    pty.write(&[EOT]);
    assert_eq!(pty.read(1), [ACK]);
    assert_eq!(wait(&mut child), 0);
    assert!(pty.cooked(), "terminal restored after success");
    assert_eq!(work.read("out.bin"), data);
}

/// Start `send -Z` of 4 MiB on a pty, answer its `ZRINIT` and `ZFILE`, then stop reading:
/// the sender streams until the terminal's buffer is full and waits for room.
fn start_stuck_zmodem_sender(work: &Work) -> (Pty, Child) {
    use xyzmodem::proto::zmodem::{
        CANFC32, CANFDX, CANOVIO, Encoder, FrameType, Header, HeaderFormat,
    };
    work.random_file("big.bin", 4 << 20, 0x77D);
    let pty = Pty::open();
    let mut cmd = xyzmodem();
    cmd.args(["send", "-Z", "big.bin"]).current_dir(work.dir());
    let child = pty.spawn(&mut cmd);
    let hex = |header: Header| {
        let mut out = Vec::new();
        Encoder::default().header(&mut out, HeaderFormat::Hex, &header);
        out
    };
    let zrqinit = pty.read_until(|got| got.windows(3).any(|w| w == b"B00"));
    assert!(
        zrqinit.windows(3).any(|w| w == b"B00"),
        "no ZRQINIT: {zrqinit:02x?}"
    );
    assert!(!pty.cooked(), "raw mode while the transfer runs");
    pty.write(&hex(Header::with_flags(
        FrameType::RInit,
        CANFC32 | CANFDX | CANOVIO,
        0,
        0,
        0,
    )));
    let zfile = pty.read_until(|got| got.windows(8).any(|w| w == b"big.bin\0"));
    assert!(
        zfile.windows(8).any(|w| w == b"big.bin\0"),
        "no ZFILE: {zfile:02x?}"
    );
    pty.write(&hex(Header::with_position(FrameType::RPos, 0)));
    // Let the data fill the terminal's buffer.
    let _ = pty.read(64 * 1024);
    std::thread::sleep(Duration::from_millis(300));
    (pty, child)
}

/// One signal stops a sender stuck on a terminal that takes nothing more: it exits 130 with
/// the terminal's settings back (on a pty, waiting for the queued output to leave does not
/// block; this held before the change that added the test below).
#[test]
fn sigint_on_a_stuck_terminal_restores_it() {
    let work = Work::new();
    let (pty, mut child) = start_stuck_zmodem_sender(&work);
    kill_process(Pid::from_child(&child), Signal::INT).expect("kill");
    assert_eq!(wait(&mut child), 130);
    assert!(pty.cooked(), "terminal restored");
}

/// A second signal while the first is being handled ends the process at once, and restores
/// the terminal first. Both signals arrive while the process is stopped, so the second is
/// seen before the transfer loop (which looks at the first every 100 ms) has begun to wind
/// down: it used to end the process with the terminal still raw.
#[test]
fn a_second_signal_restores_the_terminal_too() {
    let work = Work::new();
    let (pty, mut child) = start_stuck_zmodem_sender(&work);
    let pid = Pid::from_child(&child);
    kill_process(pid, Signal::STOP).expect("kill");
    kill_process(pid, Signal::TERM).expect("kill");
    kill_process(pid, Signal::INT).expect("kill");
    kill_process(pid, Signal::CONT).expect("kill");
    assert_eq!(wait(&mut child), 130);
    assert!(pty.cooked(), "terminal restored");
}

// ---------------------------------------------------------------------------------------------
// A person at a terminal: the command typed in a tmux pane

/// A tmux server of the test's own (its own socket) with one pane running a plain shell in
/// `dir`, `width` columns wide; killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// None (and a note) when tmux is not installed.
    pub fn start(dir: &Path, width: u16) -> Option<Self> {
        if !crate::common::require_peers(&["tmux"]) {
            return None;
        }
        static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Self {
            socket: format!("xyzmodem-test-{}-{n}", std::process::id()),
        };
        let width = width.to_string();
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &width,
            "-y",
            "40",
            "-s",
            "t",
            "-c",
            dir.to_str().expect("utf-8 dir"),
            "env PS1='$ ' bash --norc --noprofile",
        ]);
        Some(tmux)
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Type `line` and Enter.
    pub fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-t", "t", "-l", line]);
        self.run(&["send-keys", "-t", "t", "Enter"]);
    }

    /// Press a key as tmux names it (`C-c`).
    pub fn press(&self, key: &str) {
        self.run(&["send-keys", "-t", "t", key]);
    }

    /// The pane as it shows now, one string per screen row.
    pub fn screen(&self) -> Vec<String> {
        self.run(&["capture-pane", "-p", "-t", "t"])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Wait up to `limit` for a row that contains `text`; the screen then, or a failure that
    /// shows it.
    pub fn wait_for(&self, text: &str, limit: Duration) -> Vec<String> {
        let end = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if screen.iter().any(|row| row.contains(text)) {
                return screen;
            }
            assert!(
                Instant::now() < end,
                "{text:?} not on the screen within {limit:?}:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// `command` typed in a terminal, as a person would, prints `waiting` while it waits for the
/// other side; Ctrl-C then ends it with exit 130 within a second, the terminal's settings as
/// before (`stty -a`) and echo and line editing back. It used to print nothing and take
/// Ctrl-C as a byte of the transfer (raw mode): only five Ctrl-X ended it.
fn ctrl_c_ends_the_wait_at_a_terminal(command: &str, waiting: &str) {
    let work = Work::new();
    work.random_file("f.bin", 5000, 0xC7C);
    let Some(tmux) = Tmux::start(work.dir(), 200) else {
        return;
    };
    tmux.wait_for("$", LIMIT);
    tmux.type_line(&format!(
        "stty -a > before.txt; {command}; echo exit=$?; stty -a > after.txt; echo done-$((6*7))"
    ));
    tmux.wait_for(waiting, LIMIT);
    let pressed = Instant::now();
    tmux.press("C-c");
    let screen = tmux.wait_for("done-42", LIMIT);
    let took = pressed.elapsed();
    assert!(
        screen.iter().any(|row| row == "exit=130"),
        "{}",
        screen.join("\n")
    );
    // A second at most, plus the shell's two commands and the screen polling.
    assert!(took < Duration::from_secs(2), "{took:?}");
    restored_and_echoing(&work, &tmux);
}

/// The terminal's settings (`stty -a`, recorded before and after the command) are as they
/// were, and a typed line is echoed and runs.
pub(crate) fn restored_and_echoing(work: &Work, tmux: &Tmux) {
    assert_eq!(work.read("after.txt"), work.read("before.txt"), "stty -a");
    tmux.type_line("echo typed-$((2+3))");
    let screen = tmux.wait_for("typed-5", LIMIT);
    assert!(
        screen
            .iter()
            .any(|row| row.ends_with("echo typed-$((2+3))")),
        "the typed line is echoed: {}",
        screen.join("\n")
    );
}

#[test]
fn ctrl_c_typed_while_send_waits_for_the_receiver() {
    let command = format!("{} send f.bin", crate::common::BIN);
    ctrl_c_ends_the_wait_at_a_terminal(
        &command,
        "xyzmodem: sending f.bin with XMODEM: start an XMODEM receive on the other side now",
    );
}

#[test]
fn ctrl_c_typed_while_recv_waits_for_the_sender() {
    let command = format!("{} recv out/", crate::common::BIN);
    ctrl_c_ends_the_wait_at_a_terminal(
        &command,
        "xyzmodem: waiting for an XMODEM, YMODEM or ZMODEM sender: start the send on the other side now",
    );
}

/// The personalities keep lrzsz's own words: `rz waiting to receive.`, and `sz`'s `rz` and
/// first `ZRQINIT` (`**\x18B00...`, of which the screen shows `B00000000000000`).
#[test]
fn ctrl_c_typed_while_sz_or_rz_waits() {
    let work = Work::new();
    let bin = crate::lrzsz::install(&work, &[]);
    let rz = format!("{}", bin.join("rz").display());
    ctrl_c_ends_the_wait_at_a_terminal(&rz, "rz waiting to receive.");
    let sz = format!("{} f.bin", bin.join("sz").display());
    ctrl_c_ends_the_wait_at_a_terminal(&sz, "B00000000000000");
}
