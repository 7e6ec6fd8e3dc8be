//! Serial ports on the network: a serial server's port (ser2net, Moxa NPort, Digi,
//! Lantronix) as `rfc2217://HOST:PORT` (telnet with RFC 2217's serial control),
//! `telnet://HOST:PORT` (telnet without it) or `tcp://HOST:PORT` (`socket://`, a raw byte
//! stream), and telnet over any link for a connection handed to us ([`TelnetLink`]).

mod rfc2217;
mod tcp;
pub mod telnet;
mod telnet_link;

use std::io;

pub use tcp::TcpLink;
pub use telnet_link::TelnetLink;

use super::{Link, OpenError, SerialSettings};

/// How a network port speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `rfc2217://`: telnet with the COM-PORT-OPTION.
    Rfc2217,
    /// `telnet://`: telnet, the serial line as the server set it up.
    Telnet,
    /// `tcp://` or `socket://`: the bytes as they are.
    Tcp,
}

/// A network port's address, from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// How it speaks.
    pub scheme: Scheme,
    /// The host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    url: String,
}

impl Address {
    /// `None` when `port` is no URL (a device path); an error for a URL this cannot open.
    pub fn parse(port: &str) -> Option<Result<Self, OpenError>> {
        let (scheme, rest) = port.split_once("://")?;
        let bad = |reason: &str| {
            Some(Err(OpenError::BadUrl {
                url: port.to_owned(),
                reason: reason.to_owned(),
            }))
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "rfc2217" => Scheme::Rfc2217,
            "telnet" => Scheme::Telnet,
            "tcp" | "socket" => Scheme::Tcp,
            _ => return bad("unknown kind of port"),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let Some((host, number)) = rest.rsplit_once(':') else {
            return bad("no port number");
        };
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() || host.contains(['/', '?', '#', '@']) {
            return bad("no host name");
        }
        let Some(number) = number.parse::<u16>().ok().filter(|&n| n > 0) else {
            return bad("the port number must be 1 to 65535");
        };
        Some(Ok(Self {
            scheme,
            host: host.to_owned(),
            port: number,
            url: port.to_owned(),
        }))
    }

    /// The URL as given (the link's name in messages).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A failure talking to the address.
    fn error(&self, e: &io::Error) -> OpenError {
        OpenError::Network {
            url: self.url(),
            reason: e.to_string(),
        }
    }
}

/// Connect to the network port `address`, set up as `settings` say: the telnet options
/// negotiated, and for `rfc2217://` the line's settings applied by the server.
/// `settings.open_timeout` bounds the connection and the negotiation each.
pub fn open(
    address: &Address,
    settings: &SerialSettings,
) -> Result<Box<dyn Link + Send>, OpenError> {
    let tcp = TcpLink::connect(address, settings.open_timeout)?;
    Ok(match address.scheme {
        Scheme::Tcp => Box::new(tcp),
        Scheme::Telnet => Box::new(TelnetLink::new(tcp, false, true)),
        Scheme::Rfc2217 => {
            let mut link = TelnetLink::new(tcp, true, true);
            rfc2217::configure(&mut link, settings, settings.open_timeout)?;
            Box::new(link)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> Address {
        Address::parse(s).unwrap().unwrap()
    }

    #[test]
    fn urls_and_device_paths() {
        assert!(Address::parse("/dev/ttyUSB0").is_none());
        let a = parsed("rfc2217://rack1:3001");
        assert_eq!(
            (a.scheme, a.host.as_str(), a.port),
            (Scheme::Rfc2217, "rack1", 3001)
        );
        assert_eq!(a.url(), "rfc2217://rack1:3001");
        assert_eq!(parsed("socket://[::1]:7/").scheme, Scheme::Tcp);
        assert_eq!(parsed("socket://[::1]:7/").host, "::1");
        assert_eq!(parsed("TELNET://h:23").scheme, Scheme::Telnet);
        for bad in [
            "ftp://h:1",
            "tcp://h",
            "tcp://:1",
            "tcp://h:0",
            "tcp://h:99999",
            "tcp://h:1/x?y",
        ] {
            let e = Address::parse(bad).unwrap().unwrap_err();
            assert!(e.to_string().starts_with(&format!("{bad} is not")), "{e}");
        }
    }
}
