//! A serial device as the link.

use std::io::{self, Read, Write};
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

use super::{Link, hung_up};

/// Parity setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parity {
    /// No parity bit (the default).
    #[default]
    None,
    /// Odd parity.
    Odd,
    /// Even parity.
    Even,
}

/// Flow control setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowControl {
    /// None (the default). X/YMODEM need an 8-bit clean line.
    #[default]
    None,
    /// XON/XOFF. Unsafe for X/YMODEM: 0x11/0x13 in the data get eaten.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// How to open a serial port.
#[derive(Debug, Clone)]
pub struct SerialSettings {
    /// Device path, e.g. `/dev/ttyUSB0`.
    pub path: String,
    /// Bits per second (default 115200).
    pub baud: u32,
    /// Data bits, 5 to 8 (default 8).
    pub data_bits: u8,
    /// Parity (default none).
    pub parity: Parity,
    /// Stop bits, 1 or 2 (default 1).
    pub stop_bits: u8,
    /// Flow control (default none).
    pub flow_control: FlowControl,
    /// How long a network port may take to connect, and then to agree its telnet options
    /// (default 10 s). A serial device ignores it.
    pub open_timeout: std::time::Duration,
}

impl SerialSettings {
    /// 115200 8N1, no flow control.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            baud: 115_200,
            data_bits: 8,
            parity: Parity::None,
            stop_bits: 1,
            flow_control: FlowControl::None,
            open_timeout: std::time::Duration::from_secs(10),
        }
    }

    /// The time one character takes on the line: a start bit, the data bits, the parity
    /// bit if any and the stop bits, at `baud` (87 µs at 115200 8N1).
    pub fn char_time(&self) -> std::time::Duration {
        let bits = 1
            + u32::from(self.data_bits)
            + u32::from(self.parity != Parity::None)
            + u32::from(self.stop_bits);
        std::time::Duration::from_secs_f64(f64::from(bits) / f64::from(self.baud.max(1)))
    }
}

/// Why a serial port (a device or a network port) could not be opened; each message names
/// the port and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// No such device.
    #[error("serial port {0} does not exist (is the device plugged in?)")]
    NotFound(String),
    /// No permission.
    #[error(
        "permission denied opening {0} (add your user to the group owning it, often 'dialout', or run with access to it)"
    )]
    PermissionDenied(String),
    /// The path is not a serial device (a regular file, `/dev/null`, ...).
    #[error("{0} is not a serial device (`xyzmodem ports` lists the serial ports)")]
    NotSerial(String),
    /// Another program holds the port.
    #[error("serial port {0} is busy: another program has it open (close it and retry)")]
    Busy(String),
    /// The baud rate was refused or not applied.
    #[error("serial port {path} does not support {baud} baud")]
    UnsupportedBaud {
        /// The device.
        path: String,
        /// The rate asked for.
        baud: u32,
    },
    /// A network port's URL that cannot be opened.
    #[error(
        "{url} is not a network port this can open: {reason} (rfc2217://HOST:PORT, telnet://HOST:PORT or tcp://HOST:PORT)"
    )]
    BadUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A network port's host name did not resolve.
    #[error("cannot find the host of {url}: {reason} (check the host name)")]
    Resolve {
        /// The URL.
        url: String,
        /// What the resolver said.
        reason: String,
    },
    /// Nothing listens at a network port's address.
    #[error("{0}: connection refused (is the serial server running, and is this its port number?)")]
    Refused(String),
    /// A network port did not answer the connection in time.
    #[error(
        "{url}: no answer within {secs} s (is the host up, and does a firewall let the connection through?)"
    )]
    ConnectTimeout {
        /// The URL.
        url: String,
        /// The time waited.
        secs: f64,
    },
    /// An `rfc2217://` server refused RFC 2217's serial control.
    #[error(
        "{0}: the server refused RFC 2217 serial control, so the baud rate and line settings cannot be set (use telnet:// for the port as the server set it up, or enable RFC 2217 on the server)"
    )]
    NoComPort(String),
    /// An `rfc2217://` server did not answer RFC 2217's negotiation in time.
    #[error(
        "{url}: no answer to RFC 2217 serial control within {secs} s (is it a telnet port with RFC 2217? use telnet:// or tcp:// for one without)"
    )]
    NoComPortAnswer {
        /// The URL.
        url: String,
        /// The time waited.
        secs: f64,
    },
    /// A network port failed while being set up.
    #[error("{url}: {reason}")]
    Network {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// Anything else.
    #[error("cannot open serial port {path}: {reason}")]
    Other {
        /// The device.
        path: String,
        /// What the system said.
        reason: String,
    },
}

impl From<OpenError> for io::Error {
    fn from(e: OpenError) -> Self {
        let kind = match e {
            OpenError::NotFound(_) => io::ErrorKind::NotFound,
            OpenError::PermissionDenied(_) => io::ErrorKind::PermissionDenied,
            _ => io::ErrorKind::Other,
        };
        Self::new(kind, e)
    }
}

/// A serial port. Input is never flushed on open, so a start character the
/// device sent before we opened the port (U-Boot's first `C`) is not lost.
#[derive(Debug)]
pub struct SerialLink {
    port: TTYPort,
    path: String,
}

/// The most one write hands the port. `poll` says a terminal is writable once fewer than 256
/// bytes wait in its output buffer, so a piece this size fits at once and the write returns
/// instead of blocking until flow control lets the rest out: a write keeps its deadline.
const WRITE_CHUNK: usize = 256;

/// The port's timeout between calls (each read and write sets its own).
const IDLE_TIMEOUT: Duration = Duration::from_millis(100);

impl SerialLink {
    /// Open and configure the port.
    pub fn open(s: &SerialSettings) -> Result<Self, OpenError> {
        use serialport::ErrorKind as K;
        let path = s.path.clone();
        let builder = serialport::new(&s.path, s.baud)
            .data_bits(match s.data_bits {
                5 => serialport::DataBits::Five,
                6 => serialport::DataBits::Six,
                7 => serialport::DataBits::Seven,
                _ => serialport::DataBits::Eight,
            })
            .parity(match s.parity {
                Parity::None => serialport::Parity::None,
                Parity::Odd => serialport::Parity::Odd,
                Parity::Even => serialport::Parity::Even,
            })
            .stop_bits(if s.stop_bits == 2 {
                serialport::StopBits::Two
            } else {
                serialport::StopBits::One
            })
            .flow_control(match s.flow_control {
                FlowControl::None => serialport::FlowControl::None,
                FlowControl::Software => serialport::FlowControl::Software,
                FlowControl::Hardware => serialport::FlowControl::Hardware,
            })
            .timeout(IDLE_TIMEOUT);
        let port = TTYPort::open(&builder).map_err(|e| match e.kind {
            K::Io(io::ErrorKind::NotFound) => OpenError::NotFound(path.clone()),
            K::Io(io::ErrorKind::PermissionDenied) => OpenError::PermissionDenied(path.clone()),
            K::NoDevice | K::Io(io::ErrorKind::WouldBlock) => OpenError::Busy(path.clone()),
            K::Unknown if e.description.contains("Invalid argument") => {
                OpenError::UnsupportedBaud {
                    path: path.clone(),
                    baud: s.baud,
                }
            }
            _ if !is_terminal(&path) => OpenError::NotSerial(path.clone()),
            _ => OpenError::Other {
                path: path.clone(),
                reason: e.description,
            },
        })?;
        // Some drivers accept any rate and silently round it: check.
        if let Ok(actual) = port.baud_rate()
            && actual != 0
            && actual.abs_diff(s.baud) > s.baud / 30
        {
            return Err(OpenError::UnsupportedBaud { path, baud: s.baud });
        }
        Ok(Self { port, path })
    }
}

/// Whether `path` opens as a terminal (asked after a failed open, to tell a file or
/// `/dev/null` from a port that failed for another reason).
fn is_terminal(path: &str) -> bool {
    use rustix::fs::{Mode, OFlags, open};
    let flags = OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    // A path that cannot be opened at all may still be a port: let the open's error stand.
    open(path, flags, Mode::empty()).map_or(true, |fd| rustix::termios::isatty(&fd))
}

impl Link for SerialLink {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(io::Error::from)?;
        match self.port.read(buf) {
            Ok(0) => Err(hung_up()),
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(hung_up()),
            Err(e) => Err(e),
        }
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(io::Error::from)?;
        match self.port.write(&data[..data.len().min(WRITE_CHUNK)]) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(hung_up()),
            Err(e) => Err(e),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.port.flush()
    }

    fn name(&self) -> &str {
        &self.path
    }

    fn input_fd(&self) -> Option<std::os::fd::RawFd> {
        Some(std::os::fd::AsRawFd::as_raw_fd(&self.port))
    }

    fn send_break(&mut self, duration: Duration) -> io::Result<()> {
        self.port.set_break().map_err(io::Error::from)?;
        std::thread::sleep(duration);
        self.port.clear_break().map_err(io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_time_counts_start_data_parity_and_stop_bits() {
        let mut s = SerialSettings::new("/dev/x");
        assert_eq!(s.char_time().as_nanos(), 86_806); // 10 bits at 115200
        s.baud = 9600;
        s.parity = Parity::Even;
        s.stop_bits = 2;
        assert_eq!(s.char_time().as_micros(), 1250); // 12 bits at 9600
    }
}
