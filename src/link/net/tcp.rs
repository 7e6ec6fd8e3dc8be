//! A raw TCP byte stream as the link (`tcp://`, `socket://`), and the connection every
//! network port starts with.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::super::{FdLink, Link, OpenError};
use super::Address;

/// A TCP connection as a link: reads and writes with timeouts like any other link (it is an
/// [`FdLink`] over the socket), Nagle's algorithm off so a stop-and-wait protocol's short
/// frames leave at once, and the server closing or resetting the connection reported as
/// the hang-up it is.
#[derive(Debug)]
pub struct TcpLink {
    inner: FdLink,
    /// The socket, for its options (the link reads and writes a clone).
    stream: TcpStream,
}

impl TcpLink {
    /// Connect to `address`, trying each of its addresses in turn, within `timeout` in all.
    pub fn connect(address: &Address, timeout: Duration) -> Result<Self, OpenError> {
        let stream = connect(address, timeout)?;
        Self::from_stream(address.url(), stream).map_err(|e| address.error(&e))
    }

    /// A link over a connected `stream`, named `name` in messages.
    pub fn from_stream(name: impl Into<String>, stream: TcpStream) -> io::Result<Self> {
        // Every frame of a stop-and-wait protocol is short and waits for its answer: with
        // Nagle's algorithm it would wait for the previous one's ACK (delayed by the peer).
        stream.set_nodelay(true)?;
        Ok(Self {
            inner: FdLink::new(name, stream.try_clone()?)?,
            stream,
        })
    }
}

impl TcpLink {
    /// Whether Nagle's algorithm is off (`TCP_NODELAY`), as the link sets it.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.stream.nodelay()
    }
}

/// The server closed the connection.
fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the network port closed (the server ended the connection)",
    )
}

/// The error of a link operation, with a connection the server reset or ended reported as
/// a hang-up.
fn hang_up_or(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => closed(),
        _ => e,
    }
}

fn connect(address: &Address, timeout: Duration) -> Result<TcpStream, OpenError> {
    let addrs: Vec<SocketAddr> = (address.host.as_str(), address.port)
        .to_socket_addrs()
        .map_err(|e| OpenError::Resolve {
            url: address.url(),
            reason: e.to_string(),
        })?
        .collect();
    let end = Instant::now() + timeout;
    let mut last = None;
    for addr in addrs {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            OpenError::Refused(address.url())
        }
        Some(e) if e.kind() != io::ErrorKind::TimedOut && e.kind() != io::ErrorKind::WouldBlock => {
            address.error(&e)
        }
        _ => OpenError::ConnectTimeout {
            url: address.url(),
            secs: timeout.as_secs_f64(),
        },
    })
}

impl Link for TcpLink {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        self.inner.read(buf, timeout).map_err(hang_up_or)
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        self.inner.write(data, timeout).map_err(hang_up_or)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn input_fd(&self) -> Option<std::os::fd::RawFd> {
        self.inner.input_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn local(listener: &TcpListener) -> Address {
        let port = listener.local_addr().unwrap().port();
        Address::parse(&format!("tcp://127.0.0.1:{port}"))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_closed_or_reset_connection_is_a_hang_up() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut link = TcpLink::connect(&local(&listener), Duration::from_secs(5)).unwrap();
        let (server, _) = listener.accept().unwrap();
        link.write_all(b"x", Duration::from_secs(1), None).unwrap();
        // Unread data makes close() send a reset.
        drop(server);
        let mut buf = [0u8; 16];
        let e = link.read(&mut buf, Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(
            e.to_string(),
            "the network port closed (the server ended the connection)"
        );
    }

    #[test]
    fn nagle_is_off() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let link = TcpLink::connect(&local(&listener), Duration::from_secs(5)).unwrap();
        let (server, _) = listener.accept().unwrap();
        drop(server);
        assert!(link.nodelay().unwrap());
    }

    #[test]
    fn a_refused_connection_fails_at_once() {
        // A port just freed: nothing listens there.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = local(&listener);
        drop(listener);
        let start = Instant::now();
        let e = TcpLink::connect(&address, Duration::from_secs(30)).unwrap_err();
        assert!(matches!(e, OpenError::Refused(_)), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
