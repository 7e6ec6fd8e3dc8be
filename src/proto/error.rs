//! Errors of the protocol engines, sorted by who has to act.

/// Why a session failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer sent its cancel sequence (two CANs in a row).
    #[error("cancelled by peer")]
    CancelledByPeer,
    /// Nothing usable arrived in the allowed time.
    #[error("timed out waiting for {waiting_for}")]
    Timeout {
        /// What we were waiting for, e.g. "the receiver to start".
        waiting_for: &'static str,
    },
    /// One block failed too many times.
    #[error("gave up after {attempts} errors on block {block} (last: {last})")]
    RetriesExhausted {
        /// Block number (modulo 256 as on the wire, or the running count).
        block: u64,
        /// How many errors it had.
        attempts: u32,
        /// The last error seen.
        last: RetryReason,
    },
    /// The peer sent a valid block with a number we cannot accept.
    #[error("lost sync: expected block {expected}, got block {got}")]
    OutOfSequence {
        /// The block number we wanted (mod 256).
        expected: u8,
        /// The block number that came.
        got: u8,
    },
    /// YMODEM-G cannot retransmit: an error inside a streamed file ends the session.
    #[error(
        "YMODEM-G transfer broken at block {block} ({reason}); streaming cannot retransmit, retry without -g"
    )]
    Streaming {
        /// The block number expected (mod 256).
        block: u8,
        /// What went wrong.
        reason: RetryReason,
    },
    /// The peer does something this engine cannot follow, e.g. a YMODEM
    /// header sent to an XMODEM receiver.
    #[error("{0}")]
    Incompatible(&'static str),
    /// We aborted the session ourselves.
    #[error("{0}")]
    Aborted(Abort),
}

/// Why we aborted a session from our side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Abort {
    /// The user interrupted (Ctrl-C, SIGTERM).
    #[error("interrupted")]
    Interrupted,
    /// A local error (file or device); the text says what.
    #[error("{0}")]
    Local(String),
}

/// Why a block or handshake step is being retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// Nothing arrived in time.
    Timeout,
    /// The block stopped arriving in the middle (per-byte timeout).
    ShortBlock,
    /// The block number and its complement do not match.
    BadBlockNumber,
    /// Checksum or CRC mismatch.
    BadCheck,
    /// The receiver asked for the block again (NAK or `C`).
    Nak,
    /// The receiver answered our EOT with NAK (normal once: it guards
    /// against a false EOT made by line noise).
    EotNak,
}

impl std::fmt::Display for RetryReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Timeout => "timeout",
            Self::ShortBlock => "short block",
            Self::BadBlockNumber => "bad block number",
            Self::BadCheck => "bad checksum/CRC",
            Self::Nak => "NAK",
            Self::EotNak => "EOT NAK",
        })
    }
}
