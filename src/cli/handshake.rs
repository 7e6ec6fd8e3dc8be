//! Talking to a boot monitor around a transfer (`--init`, `--expect`, `--after`), and the
//! stack of links a session runs over: the port, its trace, and what the handshake read
//! past the expected text.
//!
//! U-Boot's `loady` prints "## Ready for binary (ymodem) download ..." and sends its first
//! `C` at once, then repeats it only every 4.75 s. The handshake reads up to the expected
//! text, and the bytes after it go to the engine first (through [`Replay`]), so that `C`
//! starts the transfer.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::MultiProgress;
use xyzmodem::driver::{self, INTERRUPT_CHECK};
use xyzmodem::link::{Link, Replay, Trace, TraceStatus};

use super::progress::{Verbosity, display_name};

/// The bootloader handshake, resolved from `--init`, `--expect`, `--expect-timeout` and
/// `--after`.
#[derive(Debug, Clone, Default)]
pub struct Board {
    /// Written before the transfer.
    pub init: Option<Vec<u8>>,
    /// Read up to this text before the transfer.
    pub expect: Option<Vec<u8>>,
    /// How long to wait for `expect`.
    pub expect_timeout: Duration,
    /// Written after a successful transfer.
    pub after: Option<Vec<u8>>,
}

/// `--expect` saw nothing like its text in time. Exit code 1 (transfer failed).
#[derive(Debug, thiserror::Error)]
#[error("{link}: the device did not print {expected} within {secs} s ({seen})")]
pub struct ExpectTimeout {
    link: String,
    expected: String,
    secs: String,
    seen: String,
}

/// How much of the device's last output an [`ExpectTimeout`] shows.
const SEEN_TAIL: usize = 120;

/// Bytes for a message: `"text\r\n"`, with anything unprintable escaped.
pub fn quoted(bytes: &[u8]) -> String {
    format!("\"{}\"", escape(bytes, true))
}

/// Printable ASCII as it is, `\r \n \t \\` and `\xNN` for the rest (and `\"` if `quote`).
fn escape(bytes: &[u8], quote: bool) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' if quote => s.push_str("\\\\"),
            b'"' if quote => s.push_str("\\\""),
            0x20..=0x7E => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

/// Complete lines of device output, handed to `show` as they arrive (for `-v`).
struct Lines<'a> {
    partial: Vec<u8>,
    show: &'a mut dyn FnMut(&str),
}

impl Lines<'_> {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.flush();
            } else if b != b'\r' {
                self.partial.push(b);
            }
        }
    }

    fn flush(&mut self) {
        let line = escape(&self.partial, false);
        self.partial.clear();
        (self.show)(&line);
    }
}

/// Write `init`, then, with `expect`, read until the device prints it. Returns the bytes
/// read after the expected text. Device output up to it goes to `show` line by line. The
/// deadline is measured on `now` (`Instant::now`, or a test's virtual clock).
///
/// Errors: [`ExpectTimeout`]; [`driver::Error::Link`] when the link fails;
/// [`driver::Error::Interrupted`] when `interrupt` is set.
pub fn handshake(
    link: &mut dyn Link,
    board: &Board,
    interrupt: &AtomicBool,
    show: &mut dyn FnMut(&str),
    now: &mut dyn FnMut() -> Instant,
) -> anyhow::Result<Vec<u8>> {
    let link_error = |link: &dyn Link, error| driver::Error::Link {
        name: link.name().to_owned(),
        error,
    };
    if let Some(init) = &board.init {
        link.write_all(init, driver::WRITE_TIMEOUT, Some(interrupt))
            .and_then(|()| link.flush())
            .map_err(|e| link_error(link, e))
            .context("writing --init")?;
    }
    let Some(expect) = &board.expect else {
        return Ok(Vec::new());
    };
    let deadline = now() + board.expect_timeout;
    let mut buf = vec![0u8; 4096];
    // Bytes not yet shown: the last ones may be the start of the expected text.
    let mut window: Vec<u8> = Vec::new();
    let mut recent: Vec<u8> = Vec::new();
    let mut lines = Lines {
        partial: Vec::new(),
        show,
    };
    loop {
        if interrupt.load(Ordering::Relaxed) {
            return Err(driver::Error::Interrupted.into());
        }
        let now = now();
        if now >= deadline {
            let seen = if recent.is_empty() {
                "it printed nothing".to_owned()
            } else {
                format!("its last output: {}", quoted(&recent))
            };
            lines.push(&window);
            if !lines.partial.is_empty() {
                lines.flush();
            }
            return Err(ExpectTimeout {
                link: link.name().to_owned(),
                expected: quoted(expect),
                secs: format!("{}", board.expect_timeout.as_secs_f64()),
                seen,
            }
            .into());
        }
        let n = match link.read(&mut buf, (deadline - now).min(INTERRUPT_CHECK)) {
            Ok(n) => n,
            Err(e) => {
                // Show what the device said before it went away.
                lines.push(&window);
                if !lines.partial.is_empty() {
                    lines.flush();
                }
                return Err(link_error(link, e))
                    .with_context(|| format!("waiting for {}", quoted(expect)));
            }
        };
        if n == 0 {
            continue;
        }
        recent.extend_from_slice(&buf[..n]);
        if recent.len() > SEEN_TAIL {
            recent.drain(..recent.len() - SEEN_TAIL);
        }
        window.extend_from_slice(&buf[..n]);
        if let Some(at) = window.windows(expect.len()).position(|w| w == expect) {
            let end = at + expect.len();
            lines.push(&window[..end]);
            if !lines.partial.is_empty() {
                lines.flush();
            }
            return Ok(window[end..].to_vec());
        }
        let keep = expect.len() - 1;
        if window.len() > keep {
            let shown = window.len() - keep;
            lines.push(&window[..shown]);
            window.drain(..shown);
        }
    }
}

/// How long the device must print nothing before `--after` is written...
const AFTER_QUIET: Duration = Duration::from_millis(150);
/// ...and how long a device that keeps printing delays it at most.
const AFTER_WAIT_MAX: Duration = Duration::from_secs(2);
/// What is kept of the device's output meanwhile: its last bytes.
const AFTER_KEPT: usize = 64 * 1024;

/// Read `link` until it has been quiet for [`AFTER_QUIET`], for [`AFTER_WAIT_MAX`] at most;
/// returns the last [`AFTER_KEPT`] bytes read. A link the other side closed is quiet.
fn quiet(link: &mut dyn Link, interrupt: &AtomicBool) -> std::io::Result<Vec<u8>> {
    let began = Instant::now();
    let mut heard = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = AFTER_WAIT_MAX.saturating_sub(began.elapsed());
        if left.is_zero() || interrupt.load(Ordering::Relaxed) {
            return Ok(heard);
        }
        match link.read(&mut buf, AFTER_QUIET.min(left)) {
            Ok(0) => return Ok(heard),
            Ok(n) => {
                heard.extend_from_slice(&buf[..n]);
                if heard.len() > AFTER_KEPT {
                    heard.drain(..heard.len() - AFTER_KEPT);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(heard),
            Err(e) => return Err(e),
        }
    }
}

/// The link a session runs over: the port or stdin/stdout, traced when asked, with the
/// bytes the handshake read past its text handed out first.
pub struct Wire {
    link: Replay<Box<dyn Link>>,
    trace: Option<(PathBuf, TraceStatus)>,
    interrupt: &'static AtomicBool,
}

impl Wire {
    /// Trace `link` into `trace` (if given), run the handshake, and keep what it read past
    /// the expected text for the engine.
    pub fn open(
        link: Box<dyn Link>,
        trace: Option<&Path>,
        board: &Board,
        interrupt: &'static AtomicBool,
        show: &mut dyn FnMut(&str),
    ) -> anyhow::Result<Self> {
        let (mut link, trace): (Box<dyn Link>, _) = match trace {
            Some(path) => {
                let traced = Trace::create(link, path)
                    .with_context(|| format!("cannot create the trace {}", path.display()))?;
                let status = traced.status();
                (Box::new(traced), Some((path.to_owned(), status)))
            }
            None => (link, None),
        };
        let leftover = handshake(link.as_mut(), board, interrupt, show, &mut Instant::now)?;
        Ok(Self {
            link: Replay::new(link, leftover),
            trace,
            interrupt,
        })
    }

    /// The link for the engine.
    pub fn link(&mut self) -> &mut dyn Link {
        &mut self.link
    }

    /// After a successful transfer: write `--after`, once the device has gone quiet. A boot
    /// monitor throws away the input that waits when its transfer ends (U-Boot's `loady`
    /// eats what it takes for the end of the last block) and then prints its summary and
    /// prompt: text typed before that is lost, or cut. What it printed meanwhile goes to
    /// `show` line by line (`-v`), and is kept for whoever reads the link next
    /// (`--then-term`).
    pub fn after(&mut self, board: &Board, show: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
        if let Some(after) = &board.after {
            let heard =
                quiet(&mut self.link, self.interrupt).map_err(|error| driver::Error::Link {
                    name: self.link.name().to_owned(),
                    error,
                })?;
            let mut lines = Lines {
                partial: Vec::new(),
                show,
            };
            lines.push(&heard);
            if !lines.partial.is_empty() {
                lines.flush();
            }
            self.link.unread(&heard);
            let link = self.link.get_mut();
            link.write_all(after, driver::WRITE_TIMEOUT, Some(self.interrupt))
                .and_then(|()| link.flush())
                .map_err(|error| driver::Error::Link {
                    name: link.name().to_owned(),
                    error,
                })
                .context("writing --after")?;
        }
        Ok(())
    }

    /// The link, left open (traced still, and with any bytes not handed out yet), for what
    /// comes after the session.
    pub fn into_link(self) -> Box<dyn Link> {
        Box::new(self.link)
    }

    /// Close the link (a terminal is restored) and the trace; warn on stderr if the trace
    /// could not be written completely (the transfer's result stands).
    pub fn close(self) {
        let Self { link, trace, .. } = self;
        drop(link);
        if let Some((path, status)) = trace
            && let Some(e) = status.error()
        {
            eprintln!(
                "xyzmodem: warning: the trace {} is incomplete: {e}",
                path.display()
            );
        }
    }
}

/// What `-v` does with the device's output during the handshake: one line on stderr per
/// line of output (`xyzmodem: device| U-Boot 2023.01`; with several ports, the port's name
/// instead of `device`), unless stderr is the link.
pub fn echo<'a>(
    verbosity: Verbosity,
    stderr_is_link: bool,
    display: Option<&'a MultiProgress>,
    port: Option<&str>,
) -> impl FnMut(&str) + 'a {
    let on = verbosity == Verbosity::Verbose && !stderr_is_link;
    let who = match (display, port) {
        (Some(_), Some(p)) => display_name(Path::new(p)),
        _ => "device".to_owned(),
    };
    move |line| {
        if on {
            let print = || eprintln!("xyzmodem: {who}| {line}");
            match display {
                Some(d) => d.suspend(print),
                None => print(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xyzmodem::link::testing::Script;

    fn bytes(s: &str) -> Vec<u8> {
        super::super::args::parse_escaped(s).unwrap().0
    }

    fn board(init: Option<&str>, expect: Option<&str>, secs: f64) -> Board {
        Board {
            init: init.map(bytes),
            expect: expect.map(bytes),
            expect_timeout: Duration::from_secs_f64(secs),
            after: None,
        }
    }

    /// Run the handshake against `chunks` on the script's virtual clock: no real waiting.
    fn run(chunks: &[&[u8]], b: &Board) -> (anyhow::Result<Vec<u8>>, Vec<String>, Vec<u8>) {
        let mut dev = Script::new(chunks);
        let mut clock = dev.clock(Instant::now());
        let mut shown = Vec::new();
        let r = handshake(
            &mut dev,
            b,
            &AtomicBool::new(false),
            &mut |l| shown.push(l.to_owned()),
            &mut clock,
        );
        (r, shown, dev.written)
    }

    #[test]
    fn the_start_character_after_the_text_is_kept() {
        let b = board(Some("loady\\r"), Some("Ready for binary"), 5.0);
        // The text split over reads, the `C` in the same read as its end.
        let (r, shown, written) = run(
            &[
                b"=> loady\r\n## Ready for bi",
                b"nary (ymodem) download to 0x82000000 at 115200 bps...\r\nC",
            ],
            &b,
        );
        assert_eq!(written, b"loady\r");
        assert_eq!(
            r.unwrap(),
            b" (ymodem) download to 0x82000000 at 115200 bps...\r\nC"
        );
        assert_eq!(shown, ["=> loady", "## Ready for binary"]);
    }

    #[test]
    fn nothing_to_expect_reads_nothing() {
        let (r, shown, written) = run(&[b"C"], &board(Some("x"), None, 1.0));
        assert!(r.unwrap().is_empty());
        assert!(shown.is_empty());
        assert_eq!(written, b"x");
    }

    #[test]
    fn timeout_names_the_text_and_the_last_output() {
        // A 60 s timeout on the virtual clock: the test does not wait.
        let (r, _, _) = run(
            &[b"U-Boot 2023.01\r\n=> "],
            &board(None, Some("Ready"), 60.0),
        );
        let e = r.unwrap_err();
        let msg = format!("{e:#}");
        assert!(e.is::<ExpectTimeout>(), "{msg}");
        assert!(msg.contains("did not print \"Ready\" within 60 s"), "{msg}");
        assert!(
            msg.contains(r#"its last output: "U-Boot 2023.01\r\n=> ""#),
            "{msg}"
        );
        let (r, _, _) = run(&[], &board(None, Some("Ready"), 0.05));
        let msg = format!("{:#}", r.unwrap_err());
        assert!(msg.contains("within 0.05 s (it printed nothing)"), "{msg}");
    }

    #[test]
    fn a_hang_up_ends_the_wait() {
        let mut dev = Script::new(&[b"U-Boot\r\n"]);
        dev.eof = true;
        let mut shown = Vec::new();
        let e = handshake(
            &mut dev,
            &board(None, Some("Ready"), 60.0),
            &AtomicBool::new(false),
            &mut |l| shown.push(l.to_owned()),
            &mut Instant::now,
        )
        .unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<driver::Error>(),
                Some(driver::Error::Link { .. })
            ),
            "{e:#}"
        );
        assert_eq!(shown, ["U-Boot"]);
    }

    #[test]
    fn interrupt_stops_the_wait() {
        let mut dev = Script::default();
        let e = handshake(
            &mut dev,
            &board(None, Some("x"), 60.0),
            &AtomicBool::new(true),
            &mut |_| {},
            &mut Instant::now,
        )
        .unwrap_err();
        assert!(matches!(
            e.downcast_ref::<driver::Error>(),
            Some(driver::Error::Interrupted)
        ));
    }
}
