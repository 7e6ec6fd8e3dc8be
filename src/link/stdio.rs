//! stdin/stdout as the link.

use std::io::{self, Stdin, Stdout};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::OFlags;

use super::{Link, RawModeGuard, hung_up};

/// stdin/stdout as a link. Reads go straight to the file descriptor (no
/// buffering that could hide bytes from `poll`), writes straight to stdout, without
/// blocking: a write waits for room with `poll`, so it has a deadline and notices an
/// interrupt (see [`Link::write_all`]).
/// If either is a terminal it is in raw mode for the life of the link.
#[derive(Debug)]
pub struct StdioLink {
    stdin: Stdin,
    stdout: Stdout,
    out: Out,
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
        grow_input_pipe(rustix::stdio::stdin());
        let raw_in = RawModeGuard::restorable(rustix::stdio::stdin())?;
        let raw_out = RawModeGuard::restorable(rustix::stdio::stdout())?;
        Ok(Self {
            stdin,
            stdout,
            out: Out::open(),
            spin: Spin::new(),
            _raw_out: raw_out,
            _raw_in: raw_in,
        })
    }
}

/// The buffer of a pipe on stdin: what the writer may put in it ahead of our reads.
const INPUT_PIPE_SIZE: usize = 1 << 20;

/// Grow the pipe behind stdin to [`INPUT_PIPE_SIZE`], if it is a pipe and the system allows
/// (a failure changes nothing). Only the pipe we read: bytes in it have reached us, so a
/// larger one lets a fast local writer run ahead without making anything wait or be sent
/// for nothing. The pipe we write to keeps its size, since a slow line may read it: a 1 MiB
/// one let a streaming ZMODEM sender put a megabyte ahead of the line, all of it wasted on
/// the receiver's next `ZRPOS`.
fn grow_input_pipe(fd: std::os::fd::BorrowedFd<'_>) {
    use rustix::fs::{FileType, fstat};
    if fstat(fd).is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Fifo) {
        let _ = rustix::pipe::fcntl_setpipe_size(fd, INPUT_PIPE_SIZE);
    }
}

/// How the link writes to stdout without blocking.
#[derive(Debug)]
enum Out {
    /// A file description of our own for stdout (a pipe or a terminal reopened through
    /// `/proc/self/fd/1`), non-blocking: the processes that share stdout's description (the
    /// shell, a terminal program, stderr) never see the flag.
    Own(OwnedFd),
    /// stdout itself. `restore`: it was switched to non-blocking (a socket, or no `/proc`),
    /// and these flags go back when the link drops. `None`: left as it is (a regular file,
    /// which never blocks for long, or flags that could not be changed).
    Shared { restore: Option<OFlags> },
}

impl Out {
    fn open() -> Self {
        use rustix::fs::{FileType, Mode, fcntl_getfl, fcntl_setfl, fstat, open};
        let fd = rustix::stdio::stdout();
        let Ok(st) = fstat(fd) else {
            return Self::Shared { restore: None };
        };
        match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile | FileType::BlockDevice => {
                return Self::Shared { restore: None };
            }
            FileType::Fifo | FileType::CharacterDevice => {
                let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
                if let Ok(own) = open("/proc/self/fd/1", flags, Mode::empty())
                    && fstat(&own).is_ok_and(|o| {
                        (o.st_dev, o.st_ino, o.st_rdev) == (st.st_dev, st.st_ino, st.st_rdev)
                    })
                {
                    return Self::Own(own);
                }
            }
            _ => {}
        }
        let restore = fcntl_getfl(fd)
            .ok()
            .filter(|f| !f.contains(OFlags::NONBLOCK));
        let restore = restore.filter(|&f| fcntl_setfl(fd, f | OFlags::NONBLOCK).is_ok());
        Self::Shared { restore }
    }

    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Self::Own(fd) => fd.as_fd(),
            Self::Shared { .. } => rustix::stdio::stdout(),
        }
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        if let Self::Shared {
            restore: Some(flags),
        } = *self
        {
            let _ = rustix::fs::fcntl_setfl(rustix::stdio::stdout(), flags);
        }
    }
}

/// Write what `fd` takes of `data`, waiting at most `timeout` for room when it is
/// non-blocking and full.
pub(crate) fn write_within(
    fd: BorrowedFd<'_>,
    data: &[u8],
    timeout: Duration,
) -> io::Result<usize> {
    use rustix::io::Errno;
    let end = Instant::now() + timeout;
    loop {
        match rustix::io::write(fd, data) {
            Ok(n) => return Ok(n),
            Err(Errno::INTR) => {}
            Err(Errno::PIPE) => return Err(hung_up()),
            Err(Errno::AGAIN) => {
                let left = end.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(0);
                }
                let ts = Timespec {
                    tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
                    tv_nsec: left.subsec_nanos().into(),
                };
                let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
                match poll(&mut fds, Some(&ts)) {
                    Ok(0) => return Ok(0),
                    Ok(_) | Err(Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Read what `fd` has into `buf`, waiting at most `timeout` (spinning first, see [`Spin`]) for
/// the first byte: `Ok(0)` when the time ran out, the end of the input as a hang-up.
pub(crate) fn read_within(
    spin: &mut Spin,
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    timeout: Duration,
) -> io::Result<usize> {
    if !spin.wait_readable(&fd, timeout)? {
        return Ok(0);
    }
    match rustix::io::read(fd, buf) {
        Ok(0) => Err(hung_up()),
        Ok(n) => Ok(n),
        Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => Ok(0),
        Err(e) => Err(e.into()),
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
        read_within(&mut self.spin, self.stdin.as_fd(), buf, timeout)
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        write_within(self.out.fd(), data, timeout)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Nothing is buffered in user space; for a terminal, wait until the
        // bytes have left.
        if rustix::termios::isatty(&self.stdout) {
            let _ = rustix::termios::tcdrain(self.out.fd());
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "stdin/stdout"
    }

    fn input_fd(&self) -> Option<std::os::fd::RawFd> {
        Some(std::os::fd::AsRawFd::as_raw_fd(&self.stdin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_pipe_makes_a_write_return_at_its_timeout() {
        use rustix::fs::{fcntl_getfl, fcntl_setfl};
        let (_reader, writer) = io::pipe().unwrap();
        let flags = fcntl_getfl(&writer).unwrap();
        fcntl_setfl(&writer, flags | OFlags::NONBLOCK).unwrap();
        let chunk = [0u8; 4096];
        let mut total = 0;
        loop {
            let n = write_within(writer.as_fd(), &chunk, Duration::ZERO).unwrap();
            if n == 0 {
                break;
            }
            total += n;
            assert!(total < 64 << 20, "the pipe never filled");
        }
        let start = Instant::now();
        let timeout = Duration::from_millis(50);
        assert_eq!(write_within(writer.as_fd(), &chunk, timeout).unwrap(), 0);
        let took = start.elapsed();
        assert!(took >= timeout && took < 20 * timeout, "{took:?}");
    }
}
