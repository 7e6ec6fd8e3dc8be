//! The settings of the X/YMODEM engines, with their defaults (the README documents them).

use std::time::Duration;

use super::block::{self, SMALL};
use crate::proto::{Check, Limits};

/// Which protocol the sender speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SendMode {
    /// XMODEM: one file, no header.
    #[default]
    Xmodem,
    /// YMODEM batch: a block 0 header before each file and an empty one at the end. A receiver
    /// that asks with `G` gets YMODEM-G (1K blocks streamed without waiting for ACKs).
    Ymodem,
}

/// Sender settings. The defaults are the ones documented in the README.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// The protocol (default XMODEM).
    pub mode: SendMode,
    /// Send 1024-byte (STX) blocks instead of 128-byte (SOH) ones.
    pub one_k: bool,
    /// In 1K mode, a file tail of at most this many bytes goes out as 128-byte blocks, which
    /// costs fewer bytes on the wire than one padded 1K block (lrzsz uses 896 = 7 x 128).
    /// 0 disables the switch.
    pub tail_threshold: usize,
    /// The session's bounds. `start`: how long to wait for the receiver's first NAK, `C` or
    /// `G` (default 60 s). `answer`: how long to wait for the answer to a block or EOT before
    /// sending it again (default 10 s); YMODEM: also how long to wait for the `C` before each
    /// later header, after which the header is sent anyway. `max_errors`: errors allowed per
    /// block (NAKs and timeouts); reaching this number cancels (default 10). `idle`: once the
    /// receiver has started the session, the longest time without progress (a block, header
    /// or EOT acknowledged) before the session fails with [`Error::NoProgress`](crate::proto::Error::NoProgress), or
    /// [`Error::Silent`](crate::proto::Error::Silent) when the receiver sent nothing for at least `answer` of it (or all of
    /// it) (default 100 s: what `max_errors` answer timeouts take by default).
    pub limits: Limits,
    /// YMODEM: after the ACK of a header, how long to wait for the receiver's `C` before
    /// sending the first data block anyway (default 0.5 s). U-Boot `loady` never sends that
    /// `C`; lrzsz `sb` waits for it, which costs 4.25 s per file with U-Boot.
    pub header_c_wait: Duration,
    /// Byte used to pad the last block (default 0x1A, CP/M EOF).
    pub pad: u8,
    /// How long the last frame of the session (XMODEM's EOT, YMODEM's end-of-batch header) may
    /// go unanswered, everything before it being acknowledged, before the sender stops
    /// waiting and ends the session successfully with [`Event::EndUnconfirmed`](crate::proto::Event::EndUnconfirmed) (default
    /// 6 s). The frame is sent again once, halfway (3 s is more than a receiver takes to
    /// answer a damaged frame: 1 s byte timeout, 1 s of quiet before its NAK); an answer other than ACK (a NAK) restarts
    /// the wait; text instead of an answer (a shell's prompt: the receiver has ended) ends it at
    /// once, without sending the frame into it. lrzsz `rx` and `rb` flush their last ACK away
    /// on a pseudo-terminal, which would otherwise cost `max_errors` answer timeouts and a
    /// failure.
    pub end_timeout: Duration,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            mode: SendMode::Xmodem,
            one_k: false,
            tail_threshold: 7 * SMALL,
            limits: Limits::default(),
            header_c_wait: Duration::from_millis(500),
            pad: block::PAD,
            end_timeout: Duration::from_secs(6),
        }
    }
}

/// Which protocol the receiver speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecvMode {
    /// XMODEM: one file, no header; block 0 is refused.
    #[default]
    Xmodem,
    /// YMODEM batch: block 0 headers. A sender that starts with block 1 is taken as XMODEM-1K
    /// (many programs call that "YMODEM").
    Ymodem,
    /// YMODEM-G: ask with `G`; blocks are not acknowledged and any error is fatal.
    YmodemG,
    /// Whatever the first block says: block 0 means YMODEM, block 1 XMODEM.
    Detect,
}

/// Receiver settings. The defaults are the ones documented in the README.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// The protocol (default XMODEM).
    pub mode: RecvMode,
    /// The check to ask for first: CRC-16 (start with `C`, the default) or checksum (start
    /// with NAK). YMODEM-G always uses CRC-16, and so does any other value.
    pub check: Check,
    /// Time between start characters while no block has come (default 3 s).
    pub start_interval: Duration,
    /// In CRC mode, fall back to NAK and checksum after this many unanswered `C`s
    /// (default 4; `None` never falls back).
    pub crc_attempts: Option<u32>,
    /// The session's bounds. `start`: how long to wait for the sender to start at all,
    /// whatever it sends meanwhile (default 60 s). `answer`: how long to wait for the next
    /// block after an ACK or NAK (default 10 s). `max_errors`: errors allowed per block;
    /// reaching this number cancels (default 10). `idle`: once the session has started, the
    /// longest time without progress (new file data, a new file, a file's end) before the
    /// session fails with [`Error::NoProgress`](crate::proto::Error::NoProgress) (default 100 s: what `max_errors` block
    /// timeouts take by default). It bounds a peer that keeps the session alive with a storm
    /// of repeated blocks, headers or EOTs, each of which is answered but none of which moves
    /// the transfer on.
    pub limits: Limits,
    /// The longest gap allowed between two bytes of one block (default 1 s). Without
    /// YMODEM-G, a block is declared cut short after the [quiet](Self::quiet_min) a purge
    /// would wait for, never later than this.
    pub byte_timeout: Duration,
    /// Before a NAK, input is discarded until the line has been quiet for a while, so the
    /// sender has finished and will see the NAK. The quiet it takes is the largest of
    /// [`quiet_min`](Self::quiet_min), four [character times](Self::char_time) and four
    /// times the longest gap seen between two pieces of one block, doubled for every further
    /// error on the same block, and never more than this (default 1 s).
    pub purge_quiet: Duration,
    /// The least quiet that ends a purge (default 50 ms): longer than a sender's scheduling
    /// hiccup or a USB serial adapter's latency timer (16 ms), far shorter than a second.
    pub quiet_min: Duration,
    /// The time of one character on the line, when known: a serial port at a set rate (ten
    /// bit times at 8N1). `None` (the default) on stdin/stdout, where only the gaps seen
    /// within blocks tell how the line delivers.
    pub char_time: Option<Duration>,
    /// Answer the first EOT with NAK and only the repeated EOT with ACK (default true), unless
    /// the header's length shows the file is complete. A single line-noise byte then cannot
    /// end a file early; every sender resends EOT on NAK.
    pub nak_first_eot: bool,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            mode: RecvMode::Xmodem,
            check: Check::Crc16,
            start_interval: Duration::from_secs(3),
            crc_attempts: Some(4),
            limits: Limits::default(),
            byte_timeout: Duration::from_secs(1),
            purge_quiet: Duration::from_secs(1),
            quiet_min: Duration::from_millis(50),
            char_time: None,
            nak_first_eot: true,
        }
    }
}
