//! Transfers inside the terminal, through the same session code as `recv`: the engines, the
//! driver, the download directory's naming rules, the progress bar and the summary line.
//! The local terminal has its own settings back while a transfer runs, so the bar and the
//! lines draw as they do for `recv`, and Ctrl-C is a signal, which cancels the transfer (the
//! other side too) and leaves the terminal running.

use std::time::{Duration, Instant};

use xyzmodem::files::{ReceiveFiles, Target};
use xyzmodem::link::{Link, RawModeGuard};
use xyzmodem::proto::cancel::CANCEL_SEQUENCE;
use xyzmodem::proto::detect::Start;
use xyzmodem::proto::zmodem::EscapeProfile;

use super::super::handshake::Board;
use super::super::hints;
use super::super::progress::Verbosity;
use super::super::report::Recorder;
use super::super::session::{self, Receiving};
use super::super::settings::{
    Records, RecvProtocol, RecvSettings, SendProtocol, SendSettings, TermSettings,
};
use super::keys::Protocol;
use super::prompt;

/// YMODEM: how long to wait for the receiver's `C` after it acknowledged a file header
/// (`send`'s `--header-wait` default; U-Boot's `loady` sends none).
const HEADER_WAIT: Duration = Duration::from_millis(500);

/// After a failed transfer, the line counts as quiet once nothing came for this long...
const DRAIN_QUIET: Duration = Duration::from_millis(300);
/// ...and what comes is dropped for this long at most.
const DRAIN_MAX: Duration = Duration::from_secs(5);

/// The local terminal, raw while the person types to the remote side.
pub struct Local {
    raw: Option<RawModeGuard<'static>>,
}

impl Local {
    /// Put the terminal (stdin, if it is one) in raw mode.
    pub fn raw() -> std::io::Result<Self> {
        Ok(Self {
            raw: RawModeGuard::restorable(rustix::stdio::stdin())?,
        })
    }

    /// Run `f` with the terminal's own settings back, then raw again. A Ctrl-C that came
    /// meanwhile was `f`'s (it cancelled the transfer): the terminal goes on. SIGTERM or
    /// SIGHUP (the terminal window closed) cancelled the transfer too, and ends the terminal.
    fn cooked<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let was_raw = self.raw.take().is_some();
        let out = f();
        if !super::ENDING.load(std::sync::atomic::Ordering::Relaxed) {
            session::interrupt_handled();
        }
        if was_raw {
            self.raw = RawModeGuard::restorable(rustix::stdio::stdin()).unwrap_or(None);
        }
        out
    }
}

/// Receive what the remote side's `sz` sends, into the download directory; `link` hands out
/// the bytes read past the start (its `ZRQINIT` first) before it reads the line, and keeps
/// what the session's last read brought after its end.
pub fn download(
    s: &TermSettings,
    verbosity: Verbosity,
    local: &mut Local,
    link: &mut dyn Link,
) -> String {
    local.cooked(|| {
        // A line of our own: the remote side's `rz\r` is on the one the cursor is on.
        eprintln!();
        let what = receive_with(&s.download, Start::Zmodem, verbosity, link);
        format!("ZMODEM download: {what}")
    })
}

/// The remote side's `rz` waits: ask for the files and send them by ZMODEM; `link` hands out
/// the bytes read past its start (its `ZRINIT` first) before it reads the line. Returns what
/// happened, for the log, or `None` when the person declined (empty answer, Ctrl-C, Esc):
/// `rz` was told to stop (the cancel sequence, so that it ends and its shell gets no junk).
pub fn upload(
    s: &TermSettings,
    verbosity: Verbosity,
    local: &mut Local,
    link: &mut dyn Link,
) -> Option<String> {
    local.cooked(|| {
        eprintln!();
        let question =
            "xyzmodem: the remote side waits for files (rz); send (Tab completes, empty: none): ";
        let sent = ask_and_send(s, verbosity, link, Protocol::Zmodem, question);
        if sent.is_none() {
            cancel(link);
            eprintln!("xyzmodem: sent nothing; the remote rz was told to stop");
        }
        sent.map(|what| format!("ZMODEM upload: {what}"))
    })
}

/// `Ctrl-T z`, `y`, `x`, `X`: ask for the files and send them with `protocol` (the remote
/// side's receive was started by the person, e.g. U-Boot's `loady`).
pub fn send(
    s: &TermSettings,
    verbosity: Verbosity,
    local: &mut Local,
    link: &mut dyn Link,
    protocol: Protocol,
) -> String {
    local.cooked(|| {
        eprintln!();
        let (name, what) = match protocol {
            Protocol::Zmodem => ("ZMODEM", "files"),
            Protocol::Ymodem => ("YMODEM", "files"),
            Protocol::Xmodem1k => ("XMODEM-1K", "a file"),
            Protocol::Xmodem => ("XMODEM", "a file"),
        };
        let question = format!("xyzmodem: send {what} by {name} (Tab completes, empty: none): ");
        match ask_and_send(s, verbosity, link, protocol, &question) {
            Some(sent) => format!("{name} send: {sent}"),
            None => {
                eprintln!("xyzmodem: sent nothing");
                format!("{name} send: nothing")
            }
        }
    })
}

/// Ask for the files and send them: what was sent, or `None` when the answer named none.
fn ask_and_send(
    s: &TermSettings,
    verbosity: Verbosity,
    link: &mut dyn Link,
    protocol: Protocol,
    question: &str,
) -> Option<String> {
    let files = loop {
        match prompt::ask(question) {
            Ok(Some(files))
                if files.len() > 1 && matches!(protocol, Protocol::Xmodem | Protocol::Xmodem1k) =>
            {
                eprintln!(
                    "xyzmodem: XMODEM sends one file (YMODEM sends several: Ctrl-T y); again"
                );
            }
            Ok(Some(files)) => break files,
            Ok(None) => return None,
            Err(e) => {
                failed(&anyhow::Error::new(e).context("cannot read the answer"));
                return None;
            }
        }
    };
    let protocol = match protocol {
        Protocol::Zmodem => SendProtocol::Zmodem {
            subpacket: 1024,
            window: None,
            escape: EscapeProfile::Minimal,
            resume: false,
            management: None,
            skip_absent: false,
        },
        Protocol::Ymodem => SendProtocol::Ymodem {
            one_k: true,
            full_path: false,
            header_wait: HEADER_WAIT,
        },
        Protocol::Xmodem1k => SendProtocol::Xmodem { one_k: true },
        Protocol::Xmodem => SendProtocol::Xmodem { one_k: false },
    };
    let a = SendSettings {
        files,
        protocol,
        limits: s.download.limits,
        ports: Vec::new(),
        serial: s.download.serial.clone(),
        board: Board::default(),
        records: Records::default(),
        force_device: false,
        then_term: None,
    };
    let names = a
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if let Err(e) = session::send_over(&a, link, verbosity) {
        failed(&e);
        drain(link);
        return Some(format!("{names} failed: {e:#}"));
    }
    Some(format!("sent {names}"))
}

/// `Ctrl-T r`: receive from an X/YMODEM sender the person started on the remote side, into
/// the download directory; XMODEM data (which has no name) under a name asked for first.
pub fn receive(
    s: &TermSettings,
    verbosity: Verbosity,
    local: &mut Local,
    link: &mut dyn Link,
) -> String {
    local.cooked(|| {
        eprintln!();
        let dir = match &s.download.target {
            Target::Dir { dir, .. } => dir.clone(),
            Target::File(file) => file.clone(),
        };
        let question = format!(
            "xyzmodem: receive by XMODEM or YMODEM into {}; a name for XMODEM data (empty: none): ",
            dir.display()
        );
        let name = match prompt::ask_name(&question) {
            Ok(Some(name)) => name,
            Ok(None) => {
                eprintln!("xyzmodem: received nothing");
                return "X/YMODEM receive: nothing".to_owned();
            }
            Err(e) => {
                failed(&anyhow::Error::new(e).context("cannot read the answer"));
                return "X/YMODEM receive: nothing".to_owned();
            }
        };
        let mut a = s.download.clone();
        a.protocol = RecvProtocol::Detect;
        a.target = Target::Dir {
            dir,
            create: false,
            xmodem_name: Some(name),
        };
        let what = receive_with(&a, Start::Xymodem, verbosity, link);
        format!("X/YMODEM receive: {what}")
    })
}

/// Receive with `a` into its target, the summary or the error printed after; what was
/// received, for the log.
fn receive_with(
    a: &RecvSettings,
    start: Start,
    verbosity: Verbosity,
    link: &mut dyn Link,
) -> String {
    let files = match ReceiveFiles::new(a.target.clone(), a.policy) {
        Ok(files) => files,
        Err(e) => {
            let e = anyhow::Error::new(e).context("cannot receive");
            failed(&e);
            cancel(link);
            return format!("failed: {e:#}");
        }
    };
    let mut rec = Recorder::recv(None);
    let got = Receiving {
        settings: a,
        start,
        char_time: None,
        stderr_is_link: false,
        ctrl_c: false,
        verbosity,
    }
    .run(files, link, &mut rec, None);
    let names = got
        .files()
        .iter()
        .map(|(path, len)| format!("{} ({len} bytes)", path.display()))
        .collect::<Vec<_>>()
        .join(", ");
    match got.report(verbosity) {
        Ok(()) => format!("received {names}"),
        Err(e) => {
            failed(&e);
            drain(link);
            format!("failed: {e:#}")
        }
    }
}

/// After a transfer that failed (Ctrl-C, say): drop what the other side had sent before it
/// heard the cancel (data on the way, not text), until the line is quiet, so it does not
/// reach the screen, where binary data can switch a terminal's modes.
fn drain(link: &mut dyn Link) {
    let started = Instant::now();
    let mut buf = [0u8; 16 * 1024];
    let mut dropped = 0;
    while started.elapsed() < DRAIN_MAX {
        match link.read(&mut buf, DRAIN_QUIET) {
            Ok(0) | Err(_) => break,
            Ok(n) => dropped += n,
        }
    }
    if dropped > 0 {
        eprintln!(
            "xyzmodem: dropped {dropped} bytes the other side sent before it stopped (press Enter for its prompt)"
        );
    }
}

fn cancel(link: &mut dyn Link) {
    let _ = link.write_all(&CANCEL_SEQUENCE, super::STALL, None);
}

/// A transfer's error, as `main` prints it; the terminal goes on.
fn failed(e: &anyhow::Error) {
    eprintln!(
        "xyzmodem: error: {}",
        xyzmodem::files::names::printable(&hints::render(e))
    );
}
