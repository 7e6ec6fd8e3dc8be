//! The settings of the ZMODEM engines, with their defaults (docs/PROTOCOL_NOTES.md).

use std::time::Duration;

use super::{DEFAULT_MAX_DATA, EscapeProfile, Management};
use crate::proto::Limits;

/// Sender settings. The defaults are the ones documented in docs/PROTOCOL_NOTES.md.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Data bytes per subpacket (default 1024; 32 to 8192).
    pub subpacket: usize,
    /// What to escape (lrzsz `-e`: [`EscapeProfile::Controls`]); a receiver's ESCCTL adds
    /// every control byte to it.
    pub escape: EscapeProfile,
    /// Bytes that may be sent ahead of the receiver's acknowledgement (`ZCRCQ` every
    /// quarter window); `None`: stream freely (the default, as lrzsz without `-w`) until the
    /// receiver asks for data again during a file (`ZRPOS`), or, on a long link (the
    /// `ZFILE` answered after 20 ms or more), until the first `ZACK`s: from then on the window
    /// is sized to the link from the `ZACK`s (what it carries in a round trip; on a long link
    /// a quarter more while the window is the limit and 10 ms more once data queues, on a
    /// short one a quarter more; two subpackets until measured, at most 64 KiB), so that the
    /// line stays busy and an error wastes about a round trip instead of everything the link
    /// had queued.
    pub window: Option<u32>,
    /// Ask the receiver to resume files it has in part (`ZCRESUM`).
    pub resume: bool,
    /// `ZFILE` F1: what the receiver should do with a file it has (lrzsz `-y`, `-E`, ...);
    /// `None`: no request (the default).
    pub management: Option<Management>,
    /// `ZFILE` F1's `ZMSKNOLOC`: ask the receiver to skip a file it does not have (lrzsz
    /// `-Y`; default false).
    pub skip_absent: bool,
    /// Type `rz\r` before the first `ZRQINIT` (default true).
    pub send_rz: bool,
    /// Time between `ZRQINIT`s (default 10 s; at most 4 are sent).
    pub init_interval: Duration,
    /// The session's bounds. `start`: how long to wait for the receiver's first `ZRINIT`
    /// (default 60 s). `answer`: how long to wait for an answer: to `ZFILE`, to a `ZCRCW`, to
    /// `ZEOF`, to `ZFIN` (default 10 s). `max_errors`: errors allowed per file (default 10);
    /// an acknowledgement or a `ZRPOS` beyond anything the receiver confirmed before in this
    /// file counts them again from 0. `idle`: once the receiver has answered `ZRQINIT`, the
    /// longest time without progress (data sent beyond anything sent before in the file, or
    /// confirmed beyond anything confirmed before, a new file, a file's end) before the
    /// session fails with [`Error::NoProgress`](crate::proto::Error::NoProgress), or [`Error::Silent`](crate::proto::Error::Silent) when the receiver sent
    /// nothing for at least `answer` of it, or all of it (default 100 s, as the X/YMODEM
    /// engines); the wait for the answer to `ZFIN` has its own bound.
    pub limits: Limits,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            subpacket: 1024,
            escape: EscapeProfile::Minimal,
            window: None,
            resume: false,
            management: None,
            skip_absent: false,
            send_rz: true,
            init_interval: Duration::from_secs(10),
            limits: Limits::default(),
        }
    }
}

/// Receiver settings. The defaults are the ones documented in docs/PROTOCOL_NOTES.md.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Ask the sender to escape every control character (`ESCCTL`), for links that eat them.
    pub escape_controls: bool,
    /// The receive buffer announced in `ZRINIT` (0: none, stream freely). A sender must end a
    /// subpacket with `ZCRCW` at least once per this many bytes.
    pub buffer_size: u16,
    /// Longest data subpacket accepted (default 8192, what lrzsz `sz -8` sends).
    pub max_data: usize,
    /// Time between `ZRINIT`s while the sender has not started (default 10 s).
    pub init_interval: Duration,
    /// The session's bounds. `start`: how long to wait for the sender to start (its first
    /// `ZFILE`) at all, whatever it repeats meanwhile (default 60 s). `answer`: how long to
    /// wait for the next header or subpacket once started (default 10 s). `max_errors`:
    /// errors allowed per file, counted again from 0 after each good subpacket (default 20,
    /// as lrzsz). `idle`: once started, the session fails after this long without progress
    /// (a new file, new data, a file's end), whatever else the sender repeats (default 100 s).
    pub limits: Limits,
    /// In a file, `ZRPOS` goes out again after this long without a byte from the sender
    /// (default 1 s): our `ZRPOS` or `ZACK`, or the sender's answer to it, was lost. The
    /// sender has nothing in flight then, so nothing is resent for nothing; the data goes
    /// on from where it would have anyway. Once per silence: if nothing comes after that
    /// resend either (a sender held by flow control), the header timeout applies, so a long
    /// stall costs no more errors than before.
    pub quiet_resend: Duration,
    /// After our `ZFIN`, how long to wait for the sender's `OO` (default 1 s; the session
    /// has succeeded either way).
    pub fin_wait: Duration,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            escape_controls: false,
            buffer_size: 0,
            max_data: DEFAULT_MAX_DATA,
            init_interval: Duration::from_secs(10),
            limits: Limits {
                max_errors: 20,
                ..Limits::default()
            },
            quiet_resend: Duration::from_secs(1),
            fin_wait: Duration::from_secs(1),
        }
    }
}
