//! Any file descriptor pair as the link: a socket, a pipe pair, a pseudo-terminal.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};

use super::Link;
use super::stdio::{Spin, read_within, write_within};

/// A link over file descriptors the caller owns: one for both directions (a `UnixStream`, a
/// `TcpStream`, a terminal) or one to read and one to write (two pipes). Reads wait with
/// `poll(2)`, so they have a timeout; the descriptor written to is switched to non-blocking,
/// so a write has one too (see [`Link::write`]). Nothing is buffered in user space.
///
/// The descriptors are taken over: switching one to non-blocking affects every handle that
/// shares its open file description, which is why the link wants them for itself.
#[derive(Debug)]
pub struct FdLink {
    input: OwnedFd,
    output: OwnedFd,
    spin: Spin,
    name: String,
}

impl FdLink {
    /// One descriptor for both directions (a socket). `name` is the link's name in messages.
    pub fn new(name: impl Into<String>, stream: impl Into<OwnedFd>) -> io::Result<Self> {
        let input: OwnedFd = stream.into();
        let output = input.try_clone()?;
        Self::pair(name, input, output)
    }

    /// Read from `input`, write to `output` (a pipe each way). `name` is the link's name in
    /// messages.
    pub fn pair(
        name: impl Into<String>,
        input: impl Into<OwnedFd>,
        output: impl Into<OwnedFd>,
    ) -> io::Result<Self> {
        let output: OwnedFd = output.into();
        let flags = fcntl_getfl(&output)?;
        fcntl_setfl(&output, flags | OFlags::NONBLOCK)?;
        Ok(Self {
            input: input.into(),
            output,
            spin: Spin::new(),
            name: name.into(),
        })
    }
}

impl Link for FdLink {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        read_within(&mut self.spin, self.input.as_fd(), buf, timeout)
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        write_within(self.output.as_fd(), data, timeout)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn input_fd(&self) -> Option<std::os::fd::RawFd> {
        Some(std::os::fd::AsRawFd::as_raw_fd(&self.input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn a_socket_pair_carries_bytes_both_ways_and_reports_the_hang_up() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut a = FdLink::new("a", a).unwrap();
        let mut b = FdLink::new("b", b).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(a.read(&mut buf, Duration::ZERO).unwrap(), 0);
        a.write_all(b"ping", Duration::from_secs(1), None).unwrap();
        let n = b.read(&mut buf, Duration::from_secs(1)).unwrap();
        assert_eq!(&buf[..n], b"ping");
        b.write_all(b"pong", Duration::from_secs(1), None).unwrap();
        let n = a.read(&mut buf, Duration::from_secs(1)).unwrap();
        assert_eq!(&buf[..n], b"pong");
        assert_eq!(a.name(), "a");
        drop(b);
        let e = a.read(&mut buf, Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_full_socket_makes_a_write_return_at_its_timeout() {
        let (a, _b) = UnixStream::pair().unwrap();
        let mut a = FdLink::new("a", a).unwrap();
        let chunk = [0u8; 4096];
        let mut total = 0;
        while a.write(&chunk, Duration::ZERO).unwrap() > 0 {
            total += 1;
            assert!(total < 1 << 14, "the socket never filled");
        }
        assert_eq!(a.write(&chunk, Duration::from_millis(20)).unwrap(), 0);
    }
}
