//! `xyzmodem term`: a terminal on a serial port or on a program in a pseudo-terminal of its
//! own. The keyboard's bytes go to the remote side and the remote side's to the screen, as
//! they come (one `poll(2)` on both, whole reads each way); the escape key (Ctrl-T) starts a
//! command ([`keys`]). The local terminal is raw while it runs and restored on every way out.

mod keys;
mod prompt;
mod remote;
mod screen;
mod transfer;
mod watch;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use nix::poll::{PollFd, PollFlags, poll};
use xyzmodem::driver;
use xyzmodem::link::{Link, Replay};
use xyzmodem::proto::sniff::ZmodemStart;

use super::progress::Verbosity;
use super::session::INTERRUPTED;
use super::settings::{Remote, TermSettings};
use keys::{Action, Keys};
use remote::Connection;
use screen::{Log, Screen};
use transfer::Local;
use watch::Watch;

/// Set by SIGWINCH: the local terminal changed size.
static RESIZED: AtomicBool = AtomicBool::new(false);

/// Set by SIGTERM and SIGHUP, which end the terminal (SIGINT, a Ctrl-C during a transfer,
/// ends only the transfer).
static ENDING: AtomicBool = AtomicBool::new(false);

/// How long `Ctrl-T b` holds the line in a break.
const BREAK: Duration = Duration::from_millis(250);

/// How often a port that went away is looked for.
const REOPEN: Duration = Duration::from_millis(200);

/// XMODEM's negative acknowledgement, which a checksum receiver starts with.
const NAK: u8 = 0x15;

/// How long a write to the remote side may find no room before the keys typed are dropped.
const STALL: Duration = Duration::from_secs(10);

/// How long the remote side must be quiet before bytes held back as the possible start of a
/// ZMODEM header are shown: much longer than a pause within one write, too short to see.
const QUIET: Duration = Duration::from_millis(30);

/// Run the terminal until the person quits or the remote side ends; the exit code: the
/// program's status in command mode, 0 after the quit key.
pub fn run(s: &TermSettings, verbosity: Verbosity) -> anyhow::Result<u8> {
    run_with(s, verbosity, None)
}

/// [`run`] on a port already open (`send --then-term`).
pub fn run_on(s: &TermSettings, verbosity: Verbosity, link: Box<dyn Link>) -> anyhow::Result<u8> {
    run_with(s, verbosity, Some(link))
}

fn run_with(
    s: &TermSettings,
    verbosity: Verbosity,
    link: Option<Box<dyn Link>>,
) -> anyhow::Result<u8> {
    signal_hook::flag::register(signal_hook::consts::SIGWINCH, &RESIZED)
        .context("cannot install the window size handler")?;
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, &ENDING).context("cannot install signal handlers")?;
    }
    // A download directory that cannot be used fails now, not at the first download.
    xyzmodem::files::ReceiveFiles::new(s.download.target.clone(), s.download.policy)?;
    let conn = match link {
        Some(link) => Connection::of(link),
        None => Connection::open(&s.remote, &s.serial)?,
    };
    if verbosity != Verbosity::Quiet {
        let esc = keys::key_name(s.escape);
        let what = match &s.remote {
            Remote::Port(path) => format!("connected to {path}"),
            Remote::Command(_) => format!("running {}", conn.link.name()),
        };
        eprintln!("xyzmodem: {what}; {esc} ? lists the keys, {esc} q quits");
    }
    let log = Log::new(s.log.as_deref()).context("cannot open the log")?;
    let local = Local::raw().context("cannot put the terminal in raw mode")?;
    let mut term = Term {
        s,
        verbosity,
        conn,
        keys: Keys::new(s.escape),
        local,
        last: None,
        watch: s.auto.then(Watch::default),
        screen: Screen::new(s.map, s.timestamps, std::time::Instant::now()),
        log,
        mapped: Vec::new(),
    };
    let end = term.pass_through();
    let port = matches!(s.remote, Remote::Port(_));
    if matches!(end, End::Quit) || (port && matches!(end, End::Closed(_))) {
        // The local shell's prompt (or the error) comes next: on a line of its own.
        show(b"\r\n");
    }
    drop(term.local);
    let name = term.conn.link.name().to_owned();
    let status = term.conn.finish()?;
    match (end, status) {
        (End::Quit, _) => Ok(0),
        (End::Interrupted, _) => Err(driver::Error::Interrupted.into()),
        (End::Closed(_), Some(code)) => Ok(code),
        (End::Closed(error), None) => {
            Err(error).with_context(|| format!("{name}: the port went away"))
        }
    }
}

/// Why the pass-through ended.
enum End {
    /// The quit key.
    Quit,
    /// SIGTERM, SIGHUP or SIGINT.
    Interrupted,
    /// The remote side closed (the program ended, the port went away).
    Closed(io::Error),
}

struct Term<'a> {
    s: &'a TermSettings,
    verbosity: Verbosity,
    conn: Connection,
    keys: Keys,
    local: Local,
    /// The last byte the remote side sent.
    last: Option<u8>,
    /// Watches the remote side's output for a ZMODEM start (unless `--no-auto`).
    watch: Option<Watch>,
    /// Mappings and timestamps.
    screen: Screen,
    log: Log,
    /// What the screen shows, mapped (reused).
    mapped: Vec<u8>,
}

/// What [`Term::wait`] found ready.
struct Ready {
    keyboard: bool,
    remote: bool,
}

impl Term<'_> {
    fn pass_through(&mut self) -> End {
        let mut typed = [0u8; 4096];
        let mut input = vec![0u8; 64 * 1024];
        let mut shown = Vec::with_capacity(input.len());
        let mut keyboard = true;
        loop {
            if INTERRUPTED.load(Ordering::Relaxed) {
                return End::Interrupted;
            }
            if RESIZED.swap(false, Ordering::Relaxed) {
                self.conn.resize();
            }
            let ready = self.wait(keyboard);
            let got = match ready.remote {
                true => match self.conn.link.read(&mut input, Duration::ZERO) {
                    Ok(n) => n,
                    Err(e) => match self.lost(e) {
                        Some(end) => return end,
                        None => continue,
                    },
                },
                false => 0,
            };
            if got > 0 {
                self.output(&input[..got], &mut shown);
            } else if !ready.keyboard
                && let Some(watch) = self.watch.as_mut().filter(|w| w.holding())
            {
                shown.clear();
                watch.flush(&mut shown);
                self.display(&shown);
            }
            if ready.keyboard {
                match rustix::io::read(rustix::stdio::stdin(), &mut typed) {
                    // The keyboard's end (stdin not a terminal): the remote side goes on.
                    Ok(0) => keyboard = false,
                    Ok(n) => match self.typed(&typed[..n]) {
                        Some(End::Closed(e)) => {
                            if let Some(end) = self.lost(e) {
                                return end;
                            }
                        }
                        Some(end) => return end,
                        None => {}
                    },
                    Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
                    Err(_) => keyboard = false,
                }
            }
        }
    }

    /// The remote side went away: the end, or (a port, unless `--no-reconnect`) wait for it to
    /// come back, the quit key and signals still heard; `None` once it is back.
    fn lost(&mut self, error: io::Error) -> Option<End> {
        let path = match &self.s.remote {
            Remote::Port(path) if self.s.reconnect => path,
            _ => return Some(End::Closed(error)),
        };
        let esc = keys::key_name(self.s.escape);
        note(&format!("disconnected, waiting for {path} ({esc} q quits)"));
        let mut typed = [0u8; 256];
        let mut ignored = Vec::new();
        loop {
            if INTERRUPTED.load(Ordering::Relaxed) {
                return Some(End::Interrupted);
            }
            let mut fds = [PollFd::new(0, PollFlags::POLLIN)];
            let keyboard = poll(&mut fds, REOPEN.as_millis() as i32).is_ok_and(|n| n > 0);
            if keyboard && let Ok(n @ 1..) = rustix::io::read(rustix::stdio::stdin(), &mut typed) {
                let mut rest = &typed[..n];
                while !rest.is_empty() {
                    let (used, action) = self.keys.feed(rest, &mut ignored);
                    rest = &rest[used..];
                    if action == Some(Action::Quit) {
                        return Some(End::Quit);
                    }
                }
            }
            if let Ok(conn) = Connection::open(&self.s.remote, &self.s.serial) {
                self.conn = conn;
                note(&format!("reconnected to {path}"));
                return None;
            }
        }
    }

    /// Show what the remote side sent, but for a ZMODEM start, which starts the transfer;
    /// what came after the transfer's end in its last read (the shell's prompt, the next
    /// program's start) is looked at the same way.
    fn output(&mut self, input: &[u8], shown: &mut Vec<u8>) {
        let mut rest = self.output_once(input, shown);
        while !rest.is_empty() {
            rest = self.output_once(&rest, shown);
        }
    }

    /// [`output`](Self::output) up to the end of a transfer: returns what its last read
    /// brought after it.
    fn output_once(&mut self, input: &[u8], shown: &mut Vec<u8>) -> Vec<u8> {
        self.last = input.last().copied();
        let found = match self.watch.as_mut() {
            None => {
                self.display(input);
                return Vec::new();
            }
            Some(watch) => {
                shown.clear();
                watch.feed(input, shown)
            }
        };
        self.display(shown);
        let Some((start, bytes)) = found else {
            return Vec::new();
        };
        let (s, verbosity) = (self.s, self.verbosity);
        let mut link = Replay::new(self.conn.link.as_mut(), bytes);
        let what = match start {
            ZmodemStart::Download => {
                Some(transfer::download(s, verbosity, &mut self.local, &mut link))
            }
            ZmodemStart::Upload => {
                let sent = transfer::upload(s, verbosity, &mut self.local, &mut link);
                if sent.is_none()
                    && let Some(watch) = self.watch.as_mut()
                {
                    watch.declined();
                }
                sent
            }
        };
        let rest = link.pending().to_vec();
        if let Some(what) = what {
            self.log.line(&what);
        }
        rest
    }

    /// Show bytes from the remote side (or typed, with local echo): mapped, timestamped, and
    /// logged.
    fn display(&mut self, bytes: &[u8]) {
        self.mapped.clear();
        self.screen
            .shown(bytes, std::time::Instant::now(), &mut self.mapped);
        show(&self.mapped);
        self.log.write(&self.mapped);
    }

    /// Wait for the keyboard or the remote side, until a signal comes at the latest (or a
    /// short quiet time, while the sniffer holds bytes back). A remote side with no
    /// descriptor to wait on is read every 10 ms.
    fn wait(&self, keyboard: bool) -> Ready {
        let remote = self.conn.link.input_fd();
        let mut fds = Vec::with_capacity(2);
        if keyboard {
            fds.push(PollFd::new(0, PollFlags::POLLIN));
        }
        if let Some(fd) = remote {
            fds.push(PollFd::new(fd, PollFlags::POLLIN));
        }
        let holding = self.watch.as_ref().is_some_and(Watch::holding);
        let timeout = match remote {
            None => 10,
            Some(_) if holding => QUIET.as_millis() as i32,
            Some(_) => 1000,
        };
        if poll(&mut fds, timeout).is_err() {
            // A signal: the caller looks at the flags.
            return Ready {
                keyboard: false,
                remote: false,
            };
        }
        let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
        Ready {
            keyboard: keyboard && ready(&fds[0]),
            remote: remote.is_none() || fds.last().is_some_and(ready),
        }
    }

    /// Send what was typed, and act on the commands in it.
    fn typed(&mut self, mut input: &[u8]) -> Option<End> {
        let mut keyed = Vec::with_capacity(input.len());
        let mut out = Vec::with_capacity(input.len());
        while !input.is_empty() {
            keyed.clear();
            out.clear();
            let (used, action) = self.keys.feed(input, &mut keyed);
            input = &input[used..];
            self.screen.typed(&keyed, &mut out);
            if self.s.local_echo {
                // Enter shown as a new line, as a device that echoes does.
                let echo = keyed.iter().fold(Vec::new(), |mut v, &b| {
                    match b {
                        b'\r' => v.extend_from_slice(b"\r\n"),
                        b => v.push(b),
                    }
                    v
                });
                self.display(&echo);
            }
            if !out.is_empty()
                && let Err(e) = self.conn.link.write_all(&out, STALL, Some(&INTERRUPTED))
            {
                if e.kind() != io::ErrorKind::TimedOut {
                    return Some(End::Closed(e));
                }
                note(&format!(
                    "{}: {e}; the keys typed were dropped",
                    self.conn.link.name()
                ));
            }
            match action {
                None => {}
                Some(Action::Quit) => return Some(End::Quit),
                Some(Action::Help) => show(keys::help(self.s.escape).as_bytes()),
                Some(Action::Send(protocol)) => {
                    // A receiver started by hand (`rx`, `rb`, U-Boot's `loady`) asks with a
                    // start character, which is on the screen by now: the sender gets it
                    // again rather than wait for the next one (lrzsz repeats it after 10 s).
                    let start = self.last.filter(|&b| matches!(b, b'C' | b'G' | NAK));
                    let link = self.conn.link.as_mut();
                    let mut link = Replay::new(link, start.into_iter().collect());
                    let what = transfer::send(
                        self.s,
                        self.verbosity,
                        &mut self.local,
                        &mut link,
                        protocol,
                    );
                    let rest = link.pending().to_vec();
                    self.log.line(&what);
                    self.output(&rest, &mut Vec::new());
                }
                Some(Action::Receive) => {
                    let mut link = Replay::new(self.conn.link.as_mut(), Vec::new());
                    let what =
                        transfer::receive(self.s, self.verbosity, &mut self.local, &mut link);
                    let rest = link.pending().to_vec();
                    self.log.line(&what);
                    self.output(&rest, &mut Vec::new());
                }
                Some(Action::Break) => match self.conn.link.send_break(BREAK) {
                    Ok(()) => note(&format!("sent a break ({} ms)", BREAK.as_millis())),
                    Err(e) => note(&format!(
                        "cannot send a break on {}: {e}",
                        self.conn.link.name()
                    )),
                },
                Some(Action::Log) => match self.log.toggle() {
                    Ok(true) => note(&format!("logging to {}", self.log.path().display())),
                    Ok(false) => note(&format!("stopped logging to {}", self.log.path().display())),
                    Err(e) => note(&format!("cannot log: {e}")),
                },
                Some(Action::Unknown(key)) => {
                    let esc = keys::key_name(self.s.escape);
                    note(&format!(
                        "{esc} {}: no such key ({esc} ? lists them)",
                        keys::key_name(key)
                    ));
                }
            }
        }
        None
    }
}

/// A line of our own on the screen, on a line of its own (the terminal is raw: CR LF).
fn note(line: &str) {
    show(format!("\r\nxyzmodem: {line}\r\n").as_bytes());
}

/// Put bytes on the local screen (stdout), all of them.
fn show(mut bytes: &[u8]) {
    use rustix::event::{PollFd as Fd, PollFlags as Flags};
    let out = rustix::stdio::stdout();
    while !bytes.is_empty() {
        match rustix::io::write(out, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) => {
                let _ = rustix::event::poll(&mut [Fd::new(&out, Flags::OUT)], None);
            }
            // The screen is gone (the terminal closed): nothing can be shown.
            Err(_) => return,
        }
    }
}
