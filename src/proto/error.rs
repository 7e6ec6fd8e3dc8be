//! Errors of the protocol engines, sorted by who is at fault: the peer (it cancelled, or it
//! broke the protocol), this implementation's own bounds, the line (timeouts, retries), or
//! us (an abort). The text says what happened in protocol terms; it names no program's
//! options, so a caller adds its own advice (the CLI maps each cause to a hint).

use std::time::{Duration, Instant};

use super::Position;

/// Why a session failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The other side ended the session on purpose: its cancel sequence, or its protocol's
    /// own refusal.
    #[error("{0}")]
    PeerAborted(PeerAbort),
    /// The peer broke the protocol: what it sent cannot be followed or makes the file wrong.
    #[error("{0}")]
    PeerMisbehaved(PeerMisbehaved),
    /// The session needs something this engine does not do (a protocol it was not set up
    /// for, a file too large for the protocol).
    #[error("{0}")]
    Unsupported(Unsupported),
    /// Nothing usable arrived in the allowed time.
    #[error("timed out waiting for {waiting_for}")]
    Timeout {
        /// What we were waiting for, e.g. "the receiver to start".
        waiting_for: &'static str,
    },
    /// One frame failed too many times.
    #[error("gave up after {attempts} errors on {at} (last: {last})")]
    RetriesExhausted {
        /// Where: the block number (modulo 256 as on the wire) or the file offset.
        at: Position,
        /// How many errors it had.
        attempts: u32,
        /// The last error seen.
        last: RetryReason,
    },
    /// The session went on for the idle limit without progress: the peer kept talking (a
    /// storm of repeated blocks, headers or EOTs) or kept failing, but no new data, file or
    /// end was accepted.
    #[error(
        "no progress for {} s: the peer kept the session going without moving the transfer on",
        .limit.as_secs_f64()
    )]
    NoProgress {
        /// The limit that was reached.
        limit: Duration,
    },
    /// The session went on for the idle limit without progress, and for the last `quiet` of
    /// it (at least the answer timeout, or the whole limit) the peer sent nothing at all: it
    /// stopped, or the line was cut. [`Error::NoProgress`] is the same limit reached while the peer kept talking.
    #[error(
        "the {peer} went silent: no answer for {} s; is it still running, and is the line still connected?",
        .quiet.as_secs()
    )]
    Silent {
        /// Who went silent: "receiver" or "sender".
        peer: &'static str,
        /// How long nothing came.
        quiet: Duration,
    },
    /// The peer sent a valid frame at a position we cannot accept.
    #[error("lost sync: expected {expected}, got {got}")]
    OutOfSequence {
        /// The position we wanted.
        expected: Position,
        /// The position that came.
        got: Position,
    },
    /// YMODEM-G cannot retransmit: an error inside a streamed file ends the session.
    #[error("YMODEM-G transfer broken at {at} ({reason}); streaming cannot retransmit")]
    Streaming {
        /// The position expected.
        at: Position,
        /// What went wrong.
        reason: RetryReason,
    },
    /// The sender ended a file before the length its header announced.
    #[error("the sender ended the file early: got {got} of {want} bytes; the file is incomplete")]
    ShortFile {
        /// Bytes received.
        got: u64,
        /// Bytes the header announced.
        want: u64,
    },
    /// We aborted the session ourselves.
    #[error("{0}")]
    Aborted(Abort),
}

/// How the other side ended the session on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerAbort {
    /// Its cancel sequence (two CANs in a row), in any protocol.
    #[error("cancelled by peer")]
    Cancelled,
    /// A ZMODEM sender's `ZABORT` or `ZFERR`.
    #[error("the sender aborted the session (ZABORT/ZFERR)")]
    SenderAborted,
    /// A ZMODEM receiver's `ZFERR`: it could not store the file.
    #[error(
        "the receiver could not store the file and ended the transfer (ZFERR): check its disk and permissions"
    )]
    ReceiverFileError,
    /// A ZMODEM receiver's `ZABORT`.
    #[error("the receiver aborted the transfer (ZABORT)")]
    ReceiverAborted,
    /// A ZMODEM receiver's `ZCAN`.
    #[error("the receiver cancelled the transfer (ZCAN)")]
    ReceiverCancelled,
}

/// What the peer did against the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// A ZMODEM sender's `ZFIN` while a file was still open.
    #[error("the sender ended the session in the middle of a file")]
    EndedInFile,
    /// An X/YMODEM sender's EOT while a block we NAKed was never resent: its ACKs carry no
    /// block number, so it took noise or a stale ACK for the one it waited for.
    #[error(
        "the sender ended the file while a damaged block was still due \
         (its ACKs lost sync, they carry no block number); the file is incomplete"
    )]
    EndedWithBlockDue,
    /// A ZMODEM receiver's `ZRPOS` past the end of the file.
    #[error("the receiver asked for data beyond the end of the file (ZRPOS)")]
    PositionPastEnd,
}

/// What the session needs that the engine does not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// A YMODEM file header (block 0) came to a receiver set up for XMODEM only.
    #[error("the sender uses YMODEM (it sent a block 0 file header)")]
    YmodemToXmodem,
    /// A file of 4 GiB or more offered to the ZMODEM sender: its positions are 32 bits.
    #[error("ZMODEM positions are 32 bits: files of 4 GiB and more cannot be sent (use YMODEM)")]
    ZmodemFileTooLarge,
    /// ZMODEM data that reaches 4 GiB: its positions are 32 bits.
    #[error("ZMODEM positions are 32 bits: the file goes past 4 GiB (use YMODEM)")]
    ZmodemPastLimit,
}

impl Error {
    /// The error of a session that reached its idle `limit` at `now`: [`Error::Silent`] when
    /// nothing came from the `peer` since `heard` (its last byte, or the last progress if
    /// later) for at least `answer`, its answer timeout (or the whole limit, when that is
    /// shorter); else [`Error::NoProgress`].
    pub(crate) fn idle(
        peer: &'static str,
        limit: Duration,
        answer: Duration,
        heard: Option<Instant>,
        now: Instant,
    ) -> Self {
        let quiet = heard.map_or(limit, |t| now.saturating_duration_since(t));
        if quiet >= answer.min(limit) {
            Self::Silent { peer, quiet }
        } else {
            Self::NoProgress { limit }
        }
    }

    /// True when the other side ended the session on purpose: its cancel sequence, or its
    /// protocol's abort (ZMODEM `ZABORT`, `ZFERR`, `ZCAN`). Every protocol reports a cancel
    /// by the other side through this one test, so all exit alike.
    pub fn is_cancelled_by_peer(&self) -> bool {
        matches!(self, Self::PeerAborted(_))
    }
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
    /// The frame stopped arriving in the middle (per-byte timeout).
    Truncated,
    /// The frame's sequence field is damaged (an X/YMODEM block number and its complement
    /// disagree).
    BadSequence,
    /// Checksum or CRC mismatch.
    BadCheck,
    /// A frame-sized run of bytes that did not start like a frame (its first byte damaged),
    /// followed by silence.
    Garbled,
    /// The receiver asked for the frame again (X/YMODEM: NAK or `C`).
    Nak,
    /// The receiver refused the end of a file (X/YMODEM: EOT answered with NAK, normal once:
    /// it guards against a false EOT made by line noise).
    EndNak,
}

impl std::fmt::Display for RetryReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Timeout => "timeout",
            Self::Truncated => "short block",
            Self::BadSequence => "bad block number",
            Self::BadCheck => "bad checksum/CRC",
            Self::Garbled => "garbled block",
            Self::Nak => "NAK",
            Self::EndNak => "EOT NAK",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each cause's text: what happened in protocol terms, no command-line option.
    #[test]
    fn each_cause_says_what_happened() {
        let cases: [(Error, &str); 12] = [
            (
                Error::PeerAborted(PeerAbort::Cancelled),
                "cancelled by peer",
            ),
            (
                Error::PeerAborted(PeerAbort::SenderAborted),
                "the sender aborted the session (ZABORT/ZFERR)",
            ),
            (
                Error::PeerAborted(PeerAbort::ReceiverFileError),
                "the receiver could not store the file and ended the transfer (ZFERR): \
                 check its disk and permissions",
            ),
            (
                Error::PeerAborted(PeerAbort::ReceiverAborted),
                "the receiver aborted the transfer (ZABORT)",
            ),
            (
                Error::PeerAborted(PeerAbort::ReceiverCancelled),
                "the receiver cancelled the transfer (ZCAN)",
            ),
            (
                Error::PeerMisbehaved(PeerMisbehaved::EndedInFile),
                "the sender ended the session in the middle of a file",
            ),
            (
                Error::PeerMisbehaved(PeerMisbehaved::EndedWithBlockDue),
                "the sender ended the file while a damaged block was still due (its ACKs lost \
                 sync, they carry no block number); the file is incomplete",
            ),
            (
                Error::PeerMisbehaved(PeerMisbehaved::PositionPastEnd),
                "the receiver asked for data beyond the end of the file (ZRPOS)",
            ),
            (
                Error::Unsupported(Unsupported::YmodemToXmodem),
                "the sender uses YMODEM (it sent a block 0 file header)",
            ),
            (
                Error::Unsupported(Unsupported::ZmodemFileTooLarge),
                "ZMODEM positions are 32 bits: files of 4 GiB and more cannot be sent \
                 (use YMODEM)",
            ),
            (
                Error::Unsupported(Unsupported::ZmodemPastLimit),
                "ZMODEM positions are 32 bits: the file goes past 4 GiB (use YMODEM)",
            ),
            (
                Error::Streaming {
                    at: Position::Block(7),
                    reason: RetryReason::Truncated,
                },
                "YMODEM-G transfer broken at block 7 (short block); streaming cannot \
                 retransmit",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }

    /// Exit code 3 rests on this: every way the peer ends a session, and nothing else.
    #[test]
    fn only_a_peer_abort_is_a_cancel_by_the_peer() {
        for cause in [
            PeerAbort::Cancelled,
            PeerAbort::SenderAborted,
            PeerAbort::ReceiverFileError,
            PeerAbort::ReceiverAborted,
            PeerAbort::ReceiverCancelled,
        ] {
            assert!(Error::PeerAborted(cause).is_cancelled_by_peer());
        }
        assert!(!Error::PeerMisbehaved(PeerMisbehaved::EndedInFile).is_cancelled_by_peer());
        assert!(!Error::Unsupported(Unsupported::YmodemToXmodem).is_cancelled_by_peer());
        assert!(!Error::Aborted(Abort::Interrupted).is_cancelled_by_peer());
    }
}
