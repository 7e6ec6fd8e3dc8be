//! stdin/stdout as the link.

use std::io::{self, Stdin, Stdout};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use super::{Link, RawModeGuard, hung_up};

/// stdin/stdout as a link. Reads go straight to the file descriptor (no
/// buffering that could hide bytes from `poll`), writes straight to stdout.
/// If either is a terminal it is in raw mode for the life of the link.
#[derive(Debug)]
pub struct StdioLink {
    stdin: Stdin,
    stdout: Stdout,
    spin: Spin,
    // Dropped in reverse order of creation: stdout's settings, then stdin's.
    _raw_out: Option<RawModeGuard<'static>>,
    _raw_in: Option<RawModeGuard<'static>>,
}

impl StdioLink {
    /// Open the link; terminals among stdin/stdout go into raw mode.
    pub fn open() -> io::Result<Self> {
        let stdin = io::stdin();
        let stdout = io::stdout();
        let raw_in = RawModeGuard::new(rustix::stdio::stdin())?;
        let raw_out = RawModeGuard::new(rustix::stdio::stdout())?;
        Ok(Self {
            stdin,
            stdout,
            spin: Spin::new(),
            _raw_out: raw_out,
            _raw_in: raw_in,
        })
    }
}

/// Adaptive spinning before a blocking wait.
///
/// A stop-and-wait protocol spends most of its time waiting for an answer that, from a process
/// on the same machine or a fast link, comes within microseconds; putting the process to sleep
/// and waking it up costs more than the answer itself. So a read first polls without sleeping
/// (yielding the CPU between polls) for a short window. The window adapts, like an adaptive
/// mutex: it grows while spinning catches the answer and halves when it does not, so on a slow
/// line or a loaded machine it shrinks to almost nothing and the link sleeps as before.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spin {
    window: Duration,
}

impl Spin {
    const MAX: Duration = Duration::from_micros(200);
    const MIN: Duration = Duration::from_micros(2);
    const STEP: Duration = Duration::from_micros(20);

    pub(crate) const fn new() -> Self {
        Self {
            window: Duration::from_micros(50),
        }
    }

    /// Wait until `fd` is readable or `timeout` passes; true if readable.
    pub(crate) fn wait_readable(&mut self, fd: &impl AsFd, timeout: Duration) -> io::Result<bool> {
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        if timeout.is_zero() {
            // A look, not a wait (a streaming sender checking for an answer): one poll, and
            // the spin window is left as it is.
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            return match poll(&mut fds, Some(&zero)) {
                Ok(n) => Ok(n > 0),
                Err(rustix::io::Errno::INTR) => Ok(false),
                Err(e) => Err(e.into()),
            };
        }
        let window = self.window.min(timeout);
        let start = Instant::now();
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        loop {
            match poll(&mut fds, Some(&zero)) {
                Ok(0) => {}
                Ok(_) => {
                    self.window = (self.window + Self::STEP).min(Self::MAX);
                    return Ok(true);
                }
                Err(rustix::io::Errno::INTR) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
            if start.elapsed() >= window {
                break;
            }
            // Let the peer run if it shares this CPU.
            std::thread::yield_now();
        }
        self.window = (self.window / 2).max(Self::MIN);
        let rest = timeout.saturating_sub(start.elapsed());
        let ts = Timespec {
            tv_sec: rest.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: rest.subsec_nanos().into(),
        };
        match poll(&mut fds, Some(&ts)) {
            Ok(0) => Ok(false),
            Ok(_) => Ok(true),
            Err(rustix::io::Errno::INTR) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

impl Link for StdioLink {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if !self.spin.wait_readable(&self.stdin, timeout)? {
            return Ok(0);
        }
        match rustix::io::read(&self.stdin, buf) {
            Ok(0) => Err(hung_up()),
            Ok(n) => Ok(n),
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match rustix::io::write(&self.stdout, data) {
                Ok(n) => data = &data[n..],
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Nothing is buffered in user space; for a terminal, wait until the
        // bytes have left.
        if rustix::termios::isatty(&self.stdout) {
            let _ = rustix::termios::tcdrain(&self.stdout);
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "stdin/stdout"
    }
}
