//! Links: the byte pipes a transfer runs over.
//!
//! A [`Link`] reads with a timeout and writes whole buffers. Two exist:
//! [`StdioLink`] (stdin/stdout, the default, and how lrzsz-style callers
//! such as minicom hand us a port) and [`SerialLink`] (a serial device
//! opened by path). A terminal used as a link is switched to raw mode for
//! the transfer by a [`RawModeGuard`] and restored when it drops.
//!
//! Two wrappers add to any link: [`Trace`] logs every byte with a timestamp, and [`Replay`]
//! hands out bytes already read (after a bootloader handshake) before reading again.

mod replay;
mod serial;
mod stdio;
#[doc(hidden)]
pub mod testing;
mod trace;
mod tty;

use std::io;
use std::time::Duration;

pub use replay::Replay;
pub use serial::{FlowControl, OpenError, Parity, SerialLink, SerialSettings};
pub use stdio::StdioLink;
pub use trace::{Trace, TraceStatus};
pub use tty::RawModeGuard;

/// A bidirectional byte pipe.
pub trait Link {
    /// Read whatever is available into `buf`, waiting at most `timeout` for
    /// the first byte. `Ok(0)` means the time ran out. The end of the input
    /// (peer hung up) is an error of kind [`io::ErrorKind::UnexpectedEof`].
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;

    /// Write all of `data`.
    fn write_all(&mut self, data: &[u8]) -> io::Result<()>;

    /// Wait until written data has left (best effort).
    fn flush(&mut self) -> io::Result<()>;

    /// A short description for messages, e.g. `/dev/ttyUSB0` or `stdio`.
    fn name(&self) -> &str;
}

/// A borrowed link is a link, so wrappers ([`Trace`], [`Replay`]) can wrap `&mut dyn Link`.
impl<L: Link + ?Sized> Link for &mut L {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        (**self).read(buf, timeout)
    }
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        (**self).write_all(data)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
}

/// A boxed link is a link, so wrappers can own a `Box<dyn Link>`.
impl<L: Link + ?Sized> Link for Box<L> {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        (**self).read(buf, timeout)
    }
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        (**self).write_all(data)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
}

/// The error for a link whose other end has gone away.
pub(crate) fn hung_up() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the link was closed by the other side",
    )
}
