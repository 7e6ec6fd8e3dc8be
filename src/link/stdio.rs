//! stdin/stdout as the link.

use std::io::{self, Stdin, Stdout};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use super::{Link, RawModeGuard, hung_up};

/// stdin/stdout as a link. Reads go straight to the file descriptor (no
/// buffering that could hide bytes from `poll`), writes straight to stdout.
/// If either is a terminal it is in raw mode for the life of the link.
#[derive(Debug)]
pub struct StdioLink {
    stdin: Stdin,
    stdout: Stdout,
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
            _raw_out: raw_out,
            _raw_in: raw_in,
        })
    }
}

impl Link for StdioLink {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let ts = Timespec {
            tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: timeout.subsec_nanos().into(),
        };
        let mut fds = [PollFd::new(&self.stdin, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(0) => return Ok(0),
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(0),
            Err(e) => return Err(e.into()),
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
