//! A link that first hands out bytes already read from it.
//!
//! A bootloader handshake reads the device's output until an expected text appears; whatever
//! came in the same read after that text (U-Boot's first `C`, sent right after "## Ready for
//! binary (ymodem) download ...") belongs to the transfer. [`Replay`] gives those bytes to the
//! next reads before it reads the inner link again, so the start character is not lost and
//! the transfer does not wait for the device to repeat it. A session that ends in the middle
//! of a read hands the rest back ([`Link::unread`]), which a `Replay` keeps for the next
//! reader.

use std::io;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{Link, Written};

/// `inner`, with `leftover` bytes read first.
#[derive(Debug)]
pub struct Replay<L> {
    inner: L,
    leftover: Vec<u8>,
    pos: usize,
}

impl<L: Link> Replay<L> {
    /// A link that returns `leftover` (at once, whatever the timeout) before reading `inner`.
    pub fn new(inner: L, leftover: Vec<u8>) -> Self {
        Self {
            inner,
            leftover,
            pos: 0,
        }
    }

    /// The bytes not handed out yet.
    pub fn pending(&self) -> &[u8] {
        &self.leftover[self.pos..]
    }

    /// The inner link.
    pub fn get_mut(&mut self) -> &mut L {
        &mut self.inner
    }

    /// The inner link; any bytes not handed out yet are dropped.
    pub fn into_inner(self) -> L {
        self.inner
    }
}

impl<L: Link> Link for Replay<L> {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let pending = &self.leftover[self.pos..];
        if pending.is_empty() || buf.is_empty() {
            return self.inner.read(buf, timeout);
        }
        let n = pending.len().min(buf.len());
        buf[..n].copy_from_slice(&pending[..n]);
        self.pos += n;
        if self.pos == self.leftover.len() {
            // Done with it: give the memory back.
            self.leftover = Vec::new();
            self.pos = 0;
        }
        Ok(n)
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        self.inner.write(data, timeout)
    }

    fn write_all(
        &mut self,
        data: &[u8],
        stall: Duration,
        interrupt: Option<&AtomicBool>,
    ) -> io::Result<()> {
        self.inner.write_all(data, stall, interrupt)
    }

    /// Bytes not handed out yet arrived before anything the write could read: they come
    /// first, before any byte is written.
    fn write_or_read(
        &mut self,
        data: &[u8],
        stall: Duration,
        interrupt: Option<&AtomicBool>,
        input: &mut [u8],
    ) -> io::Result<Written> {
        if !self.pending().is_empty() && !input.is_empty() {
            let read = self.read(input, Duration::ZERO)?;
            return Ok(Written { written: 0, read });
        }
        self.inner.write_or_read(data, stall, interrupt, input)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    /// Kept before the bytes not handed out yet.
    fn unread(&mut self, bytes: &[u8]) -> bool {
        self.leftover.splice(..self.pos, bytes.iter().copied());
        self.pos = 0;
        true
    }

    fn send_break(&mut self, duration: Duration) -> io::Result<()> {
        self.inner.send_break(duration)
    }

    /// None while bytes wait here: a poll of the inner link would not see them.
    fn input_fd(&self) -> Option<std::os::fd::RawFd> {
        if self.pending().is_empty() {
            self.inner.input_fd()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::testing::Script;

    #[test]
    fn leftover_comes_first_then_the_inner_link() {
        let inner = Script::new(&[b"DE"]);
        let mut link = Replay::new(inner, b"ABC".to_vec());
        let mut buf = [0u8; 2];
        // No waiting for leftover bytes, even with a zero timeout.
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 2);
        assert_eq!(&buf, b"AB");
        assert_eq!(link.pending(), b"C");
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 1);
        assert_eq!(buf[0], b'C');
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 2);
        assert_eq!(&buf, b"DE");
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 0);
        link.write_all(b"x", Duration::ZERO, None).unwrap();
        assert_eq!(link.name(), "script");
        assert_eq!(link.into_inner().written, b"x");
    }

    /// A write that waits for room hands out the leftover first: it came before anything
    /// the inner link holds.
    #[test]
    fn a_write_that_reads_takes_the_leftover_first() {
        let inner = Script {
            stuck: true,
            ..Script::new(&[b"later"])
        };
        let mut link = Replay::new(inner, b"first".to_vec());
        let mut input = [0u8; 16];
        for want in [b"first", b"later"] {
            let done = link
                .write_or_read(b"x", Duration::from_secs(1), None, &mut input)
                .unwrap();
            let read = 5;
            assert_eq!(done, Written { written: 0, read });
            assert_eq!(&input[..read], want);
        }
    }

    /// A poll of the inner link's descriptor would not see bytes still held here: none is
    /// given until they are handed out.
    #[test]
    fn no_descriptor_to_wait_on_while_bytes_wait_here() {
        use std::os::fd::AsRawFd;
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let raw = a.as_raw_fd();
        let mut link = Replay::new(crate::link::FdLink::new("a", a).unwrap(), b"C".to_vec());
        assert_eq!(link.input_fd(), None);
        let mut buf = [0u8; 4];
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 1);
        assert_eq!(link.input_fd(), Some(raw));
        assert_eq!(Replay::new(Script::new(&[]), Vec::new()).input_fd(), None);
    }

    #[test]
    fn empty_leftover_reads_the_inner_link() {
        let mut link = Replay::new(Script::new(&[b"C"]), Vec::new());
        let mut buf = [0u8; 8];
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 1);
        assert_eq!(buf[0], b'C');
    }
}
