//! Links: the byte pipes a transfer runs over.
//!
//! A [`Link`] reads with a timeout and writes whole buffers. Two exist:
//! [`StdioLink`] (stdin/stdout, the default, and how lrzsz-style callers
//! such as minicom hand us a port) and [`SerialLink`] (a serial device
//! opened by path). A terminal used as a link is switched to raw mode for
//! the transfer by a [`RawModeGuard`] and restored when it drops.

mod serial;
mod stdio;
mod tty;

use std::io;
use std::time::Duration;

pub use serial::{FlowControl, OpenError, Parity, SerialLink, SerialSettings};
pub use stdio::StdioLink;
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

/// The error for a link whose other end has gone away.
pub(crate) fn hung_up() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the link was closed by the other side",
    )
}
