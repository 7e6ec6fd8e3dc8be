//! Links: the byte pipes a transfer runs over.
//!
//! A [`Link`] reads with a timeout and writes whole buffers. These exist:
//! [`StdioLink`] (stdin/stdout, the default, and how lrzsz-style callers
//! such as minicom hand us a port), [`SerialLink`] (a serial device
//! opened by path), [`FdLink`] (any file descriptors a program holds: a
//! socket, a pair of pipes), and the network ports of [`net`]: [`TcpLink`] and
//! [`TelnetLink`], which also runs over any other link (a telnet connection on stdin/stdout).
//! [`open_port`] opens a device path or a network port's URL. A terminal used as a link is switched to raw mode for
//! the transfer by a [`RawModeGuard`] and restored when it drops.
//!
//! Two wrappers add to any link: [`Trace`] logs every byte with a timestamp, and [`Replay`]
//! hands out bytes already read (after a bootloader handshake) before reading again.

mod fd;
pub mod net;
mod replay;
mod serial;
mod stdio;
#[doc(hidden)]
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod trace;
mod tty;

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub use fd::FdLink;
pub use net::{TcpLink, TelnetLink};
pub use replay::Replay;
pub use serial::{FlowControl, OpenError, Parity, SerialLink, SerialSettings};
pub use stdio::StdioLink;
pub use trace::{Trace, TraceStatus};
pub use tty::{RawModeGuard, restore_terminals};

/// A bidirectional byte pipe.
pub trait Link {
    /// Read whatever is available into `buf`, waiting at most `timeout` for
    /// the first byte. `Ok(0)` means the time ran out. The end of the input
    /// (peer hung up) is an error of kind [`io::ErrorKind::UnexpectedEof`].
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;

    /// Write some of `data`, waiting at most `timeout` for the link to take any of it.
    /// Returns how many bytes went out; `Ok(0)` means no room came in time (the other side
    /// stopped reading, or flow control holds the line). Never blocks longer than `timeout`.
    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize>;

    /// Write all of `data`. Fails with [`io::ErrorKind::TimedOut`] once the link has taken
    /// nothing for `stall` (a dead write: the other side stopped reading), and with
    /// [`io::ErrorKind::Interrupted`] when `interrupt` is set while the link takes nothing,
    /// which is noticed within [`WRITE_SLICE`]. A link that keeps taking bytes, however
    /// slowly, is written to the end.
    fn write_all(
        &mut self,
        data: &[u8],
        stall: Duration,
        interrupt: Option<&AtomicBool>,
    ) -> io::Result<()> {
        write_in_slices(self, data, stall, interrupt, &mut []).map(|_| ())
    }

    /// [`write_all`](Self::write_all), but a wait for room also looks at what the other side
    /// sent: after each [`WRITE_SLICE`] in which the link took nothing, one read that does
    /// not wait fills `input`, and the call returns as soon as a read brings bytes, with how
    /// much of `data` was written by then. A sender blocked on a full line so still sees a
    /// receiver's cancel (the receiver that stopped reading because it gave up).
    fn write_or_read(
        &mut self,
        data: &[u8],
        stall: Duration,
        interrupt: Option<&AtomicBool>,
        input: &mut [u8],
    ) -> io::Result<Written> {
        write_in_slices(self, data, stall, interrupt, input)
    }

    /// Wait until written data has left (best effort).
    fn flush(&mut self) -> io::Result<()>;

    /// A short description for messages, e.g. `/dev/ttyUSB0` or `stdio`.
    fn name(&self) -> &str;

    /// The descriptor that becomes readable when input waits, for a caller that waits on the
    /// link and on something else at once (a terminal's keyboard) with one `poll(2)`; `None`
    /// when the link has none, or holds input of its own (such a caller reads with short
    /// timeouts instead). A raw descriptor, as the serial port's library lends no other: it
    /// is valid while the link lives.
    fn input_fd(&self) -> Option<RawFd> {
        None
    }

    /// Hand back bytes read from this link but not used (a session that ended in the middle
    /// of a read: what followed is the next reader's, such as a shell's prompt after `sz`):
    /// the next read returns them first. `false` when the link cannot keep them; they are
    /// then lost. [`Replay`] keeps them.
    fn unread(&mut self, bytes: &[u8]) -> bool {
        let _ = bytes;
        false
    }

    /// Hold the line in the break state (a continuous space) for `duration`, then release
    /// it: a serial port's break, RFC 2217's over a serial server (a boot monitor may take it
    /// as "stop"). A link that has no break fails with [`io::ErrorKind::Unsupported`].
    fn send_break(&mut self, duration: Duration) -> io::Result<()> {
        let _ = duration;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "only a serial port or an rfc2217:// port can send a break",
        ))
    }
}

/// Open the port `settings.path` names: a serial device (`/dev/ttyUSB0`), or a serial port
/// on the network, `rfc2217://HOST:PORT` (telnet with RFC 2217's serial control: the line's
/// settings are applied by the server), `telnet://HOST:PORT` (telnet, the line as the server
/// set it up) or `tcp://HOST:PORT` (also `socket://`: a raw byte stream). See [`net`].
pub fn open_port(settings: &SerialSettings) -> Result<Box<dyn Link + Send>, OpenError> {
    match net::Address::parse(&settings.path) {
        Some(address) => net::open(&address?, settings),
        None => Ok(Box::new(SerialLink::open(settings)?)),
    }
}

/// A link behind a pointer is a link: wrappers ([`Trace`], [`Replay`]) can wrap
/// `&mut dyn Link` or own a `Box<dyn Link>`.
macro_rules! forward_link {
    ($($ptr:ty),*) => {$(
        impl<L: Link + ?Sized> Link for $ptr {
            fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
                (**self).read(buf, timeout)
            }
            fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
                (**self).write(data, timeout)
            }
            fn write_all(
                &mut self,
                data: &[u8],
                stall: Duration,
                interrupt: Option<&AtomicBool>,
            ) -> io::Result<()> {
                (**self).write_all(data, stall, interrupt)
            }
            fn write_or_read(
                &mut self,
                data: &[u8],
                stall: Duration,
                interrupt: Option<&AtomicBool>,
                input: &mut [u8],
            ) -> io::Result<Written> {
                (**self).write_or_read(data, stall, interrupt, input)
            }
            fn flush(&mut self) -> io::Result<()> {
                (**self).flush()
            }
            fn name(&self) -> &str {
                (**self).name()
            }
            fn input_fd(&self) -> Option<RawFd> {
                (**self).input_fd()
            }
            fn unread(&mut self, bytes: &[u8]) -> bool {
                (**self).unread(bytes)
            }
            fn send_break(&mut self, duration: Duration) -> io::Result<()> {
                (**self).send_break(duration)
            }
        }
    )*};
}

forward_link!(&mut L, Box<L>);

/// The longest a [`Link::write_all`] waits for room before it looks at the interrupt flag
/// again (the driver's `INTERRUPT_CHECK`).
pub const WRITE_SLICE: Duration = Duration::from_millis(100);

/// What a [`Link::write_or_read`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Bytes of the data written: all of it, unless input arrived first.
    pub written: usize,
    /// Bytes read into the input buffer (0 when all the data was written without a wait
    /// that found input).
    pub read: usize,
}

/// [`Link::write_all`]'s rule, over [`Link::write`]: waits of at most [`WRITE_SLICE`], the
/// interrupt flag looked at whenever one ends with nothing written, and a failure once nothing
/// went for `stall`. With room in `input`, such a wait also reads it without waiting, and
/// returns early when that brought bytes ([`Link::write_or_read`]).
fn write_in_slices<L: Link + ?Sized>(
    link: &mut L,
    data: &[u8],
    stall: Duration,
    interrupt: Option<&AtomicBool>,
    input: &mut [u8],
) -> io::Result<Written> {
    let mut written = 0;
    let mut since = Instant::now();
    while written < data.len() {
        let left = stall.saturating_sub(since.elapsed());
        let n = link.write(&data[written..], left.min(WRITE_SLICE))?;
        if n > 0 {
            written = (written + n).min(data.len());
            since = Instant::now();
            continue;
        }
        if interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
        }
        if !input.is_empty() {
            let read = link.read(input, Duration::ZERO)?;
            if read > 0 {
                return Ok(Written { written, read });
            }
        }
        if since.elapsed() >= stall {
            return Err(stalled(stall));
        }
    }
    Ok(Written { written, read: 0 })
}

/// The error for a write that could not proceed for `stall`.
pub(crate) fn stalled(stall: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "the other side stopped reading (or flow control holds the line): nothing could be written for {} s",
            stall.as_secs_f64()
        ),
    )
}

/// The error for a link whose other end has gone away.
pub(crate) fn hung_up() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the link was closed by the other side",
    )
}

#[cfg(test)]
mod tests {
    use super::testing::Script;
    use super::*;

    #[test]
    fn a_write_with_no_room_notices_an_interrupt() {
        let mut link = Script {
            stuck: true,
            ..Script::default()
        };
        let flag = AtomicBool::new(true);
        let e = link
            .write_all(b"data", Duration::from_secs(3600), Some(&flag))
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Interrupted);
        // One slice of waiting, not the hour.
        assert_eq!(link.waited.get(), WRITE_SLICE);
    }

    #[test]
    fn a_write_with_no_room_fails_at_its_deadline() {
        let mut link = Script {
            stuck: true,
            ..Script::default()
        };
        let e = link.write_all(b"data", Duration::ZERO, None).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(
            e.to_string().starts_with("the other side stopped reading"),
            "{e}"
        );
        // With room, everything goes.
        link.stuck = false;
        link.write_all(b"data", Duration::ZERO, None).unwrap();
        assert_eq!(link.written, b"data");
    }
}
