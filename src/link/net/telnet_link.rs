//! A telnet connection as the link: [`Telnet`]'s codec over any byte link (a TCP connection
//! for `telnet://` and `rfc2217://`, stdin/stdout for a connection handed to a door program).

use std::io;
use std::time::{Duration, Instant};

use super::super::Link;
use super::telnet::{self, BREAK_OFF, BREAK_ON, COM_PORT, ComPort, IAC, SET_CONTROL, Telnet};

/// How much data one write encodes: its encoding (at most twice this) is one write to the
/// link below.
const CHUNK: usize = 16 * 1024;

/// How long the link waits for room to send what it owes the peer (an answer to its
/// negotiation, half of a doubled 0xFF) when it flushes.
const OWED_STALL: Duration = Duration::from_secs(10);

/// A telnet connection over the link `L`: 0xFF doubled on the way out, commands taken out
/// and answered on the way in (see [`Telnet`]).
#[derive(Debug)]
pub struct TelnetLink<L> {
    inner: L,
    codec: Telnet,
    /// Bytes owed to the peer before any more data: answers, sub-negotiations, the second
    /// half of a doubled 0xFF whose first half went out.
    owed: Vec<u8>,
    /// Data decoded while the link set itself up, handed out before the next read.
    ready: Vec<u8>,
    /// The encoding of the data being written.
    encoded: Vec<u8>,
}

impl<L: Link> TelnetLink<L> {
    /// A telnet link over `inner`: it answers the peer's option negotiation, and asks for
    /// binary mode both ways first when `ask`. The codec offers the COM-PORT-OPTION when
    /// `com_port`.
    pub fn new(inner: L, com_port: bool, ask: bool) -> Self {
        let mut codec = Telnet::new(com_port);
        if ask {
            codec.start();
        }
        let owed = codec.take_replies();
        Self {
            inner,
            codec,
            owed,
            ready: Vec::new(),
            encoded: Vec::new(),
        }
    }

    /// The link below.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }

    /// The codec's state (what the peer agreed to).
    pub fn codec(&self) -> &Telnet {
        &self.codec
    }

    /// Queue a sub-negotiation of `option` for the peer (sent before any more data).
    pub fn sub_negotiate(&mut self, option: u8, payload: &[u8]) {
        self.codec.sub_negotiate(option, payload);
        self.owed.extend(self.codec.take_replies());
    }

    /// Send what is owed, waiting at most `timeout` for room; true when all of it went.
    fn pay(&mut self, timeout: Duration) -> io::Result<bool> {
        let end = Instant::now() + timeout;
        while !self.owed.is_empty() {
            let left = end.saturating_duration_since(Instant::now());
            let n = self.inner.write(&self.owed, left)?;
            if n == 0 {
                return Ok(false);
            }
            self.owed.drain(..n);
        }
        Ok(true)
    }

    /// Read from the peer into `buf`, waiting at most `timeout` for data, keeping what
    /// comes until `until` says the setup is done: data read meanwhile is handed out later.
    /// Returns whether `until` held before the time ran out.
    pub fn wait_for(
        &mut self,
        timeout: Duration,
        mut until: impl FnMut(&mut Telnet) -> bool,
    ) -> io::Result<bool> {
        let end = Instant::now() + timeout;
        let mut buf = [0u8; 1024];
        loop {
            self.pay(end.saturating_duration_since(Instant::now()))?;
            if until(&mut self.codec) {
                return Ok(true);
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            let n = self.inner.read(&mut buf, left)?;
            let data = self.codec.decode(&mut buf[..n]);
            self.ready.extend_from_slice(&buf[..data]);
            self.owed.extend(self.codec.take_replies());
        }
    }
}

impl<L: Link> Link for TelnetLink<L> {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if !self.ready.is_empty() {
            let n = self.ready.len().min(buf.len());
            buf[..n].copy_from_slice(&self.ready[..n]);
            self.ready.drain(..n);
            return Ok(n);
        }
        let end = Instant::now() + timeout;
        loop {
            // What the peer waits for goes first; a full line delays it to the next call.
            self.pay(Duration::ZERO)?;
            let left = end.saturating_duration_since(Instant::now());
            let n = self.inner.read(buf, left)?;
            if n == 0 {
                return Ok(0);
            }
            let data = self.codec.decode(&mut buf[..n]);
            if self.codec.has_replies() {
                self.owed.extend(self.codec.take_replies());
            }
            // Input that was all commands is no data: wait on for the rest of the time.
            if data > 0 || left.is_zero() {
                return Ok(data);
            }
        }
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        let end = Instant::now() + timeout;
        if !self.pay(timeout)? {
            return Ok(0);
        }
        let chunk = &data[..data.len().min(CHUNK)];
        let left = end.saturating_duration_since(Instant::now());
        if !chunk.contains(&IAC) {
            return self.inner.write(chunk, left);
        }
        self.encoded.clear();
        telnet::encode(chunk, &mut self.encoded);
        let sent = self.inner.write(&self.encoded, left)?;
        if sent == self.encoded.len() {
            // The common case, without counting the chunk again.
            return Ok(chunk.len());
        }
        let (whole, half) = telnet::sent_of(chunk, sent);
        if half {
            // The data byte is ours to finish: its second half goes before anything else.
            self.owed.push(IAC);
            return Ok(whole + 1);
        }
        Ok(whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pay(OWED_STALL)? {
            return Err(super::super::stalled(OWED_STALL));
        }
        self.inner.flush()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    /// None while decoded data waits here: a poll of the link below would not see it.
    fn input_fd(&self) -> Option<std::os::fd::RawFd> {
        if self.ready.is_empty() {
            self.inner.input_fd()
        } else {
            None
        }
    }

    /// With RFC 2217's option, SET-CONTROL break on, then off after `duration`; without it,
    /// the link below's break (a telnet peer has no break to send for us).
    fn send_break(&mut self, duration: Duration) -> io::Result<()> {
        if self.codec.com_port() != ComPort::Accepted {
            return self.inner.send_break(duration);
        }
        self.sub_negotiate(COM_PORT, &[SET_CONTROL, BREAK_ON]);
        self.flush()?;
        std::thread::sleep(duration);
        self.sub_negotiate(COM_PORT, &[SET_CONTROL, BREAK_OFF]);
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::testing::Script;

    #[test]
    fn data_is_escaped_out_and_commands_are_answered_and_removed_in() {
        let mut wire = vec![b'a', IAC, 0xF1, IAC, IAC];
        wire.extend_from_slice(&[IAC, 0xFD, 1, b'b']);
        let mut link = TelnetLink::new(Script::new(&[&wire]), false, false);
        let mut buf = [0u8; 64];
        let n = link.read(&mut buf, Duration::from_secs(1)).unwrap();
        assert_eq!(&buf[..n], b"a\xffb");
        link.write_all(&[1, IAC, 2], Duration::from_secs(1), None)
            .unwrap();
        // The refusal of ECHO went before the data, 0xFF doubled in it.
        assert_eq!(link.inner.written, [IAC, 0xFC, 1, 1, IAC, IAC, 2]);
    }

    #[test]
    fn a_write_cut_inside_a_doubled_ff_finishes_it_first() {
        let mut link = TelnetLink::new(
            Script {
                room: [2, 1, 100].into(),
                ..Script::default()
            },
            false,
            false,
        );
        // The link takes `1 FF`, then `FF`, then the rest.
        link.write_all(&[1, IAC, 2, 3], Duration::from_secs(1), None)
            .unwrap();
        assert_eq!(link.inner.written, [1, IAC, IAC, 2, 3]);
    }
}
