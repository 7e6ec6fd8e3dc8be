//! Sans-IO protocol cores.
//!
//! Every protocol engine in this module is a pure state machine. It never
//! reads a clock, sleeps, touches a file or a device: the caller feeds it the
//! bytes that arrived and the current time, and it answers with bytes to
//! write, file data it needs or produced, events, and the next instant at
//! which it wants to be woken up. That is what makes the engines testable on
//! virtual time, fuzzable and embeddable.
//!
//! # The contract
//!
//! All engines implement [`Engine`]. A caller (the blocking
//! [`driver`](crate::driver), the simulator or a test) runs this loop:
//!
//! 1. Drain [`Engine::poll_output`] until it returns `None`, acting on each
//!    [`Output`] in order: write [`Output::Transmit`] bytes to the link, answer
//!    [`Output::ReadFile`] with [`Engine::provide_data`], store
//!    [`Output::WriteFile`] bytes, and report [`Output::Event`]s. Outputs must
//!    be acted on in the order they come: events first (a file's start before
//!    its data), then file data, then bytes to transmit. A receiver's ACK thus
//!    goes out only after the caller has stored the block and accepted the
//!    file, so a failure there can still cancel.
//! 2. Stop if [`Engine::is_finished`]. Otherwise read
//!    [`Engine::poll_timeout`] (`None`: no deadline).
//! 3. Wait for link input or the deadline, whichever comes first. Feed input
//!    with [`Engine::handle_input`] (it may consume only part of it: call it
//!    again with the rest after draining the outputs), or call
//!    [`Engine::handle_timeout`] once the deadline has passed.
//!    A local failure (file write error, Ctrl-C) is reported with
//!    [`Engine::abort`], which makes the engine emit its cancel sequence.
//!
//! Times passed in must never decrease. Calling `handle_timeout` early is
//! harmless. Once an engine has failed it stays failed: it emits the cancel
//! bytes it owes, then [`Event::Failed`], and ignores further input.

pub mod block;
pub mod cancel;
pub mod crc;
mod error;
mod recv;
mod send;
#[cfg(test)]
mod testkit;
pub mod xmodem;
pub mod ymodem;
pub mod zmodem;

use std::time::Instant;

pub use error::{Abort, Error, RetryReason};
pub use recv::{Receiver, ReceiverConfig, RecvMode};
pub use send::{SendMode, Sender, SenderConfig};
pub use ymodem::header::FileInfo;

/// The integrity check used on blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The original 8-bit arithmetic checksum (receiver started with NAK).
    Checksum,
    /// CRC-16/XMODEM (receiver started with `C`).
    Crc16,
}

impl Check {
    /// Number of check bytes that follow the data of a block.
    pub const fn len(self) -> usize {
        match self {
            Self::Checksum => 1,
            Self::Crc16 => 2,
        }
    }

    /// Always false: a check has at least one byte. Here for clippy's sake.
    pub const fn is_empty(self) -> bool {
        false
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Checksum => "checksum",
            Self::Crc16 => "CRC-16",
        })
    }
}

/// Something an engine wants its caller to do or know.
#[derive(Debug)]
#[must_use]
pub enum Output<'a> {
    /// Write these bytes to the link, all of them, in one write if possible.
    Transmit(&'a [u8]),
    /// Sender only: read up to `max` bytes of the current file and hand them
    /// over with [`Engine::provide_data`]. Fewer than `max` bytes (including
    /// none) mean the end of the file has been reached.
    ReadFile {
        /// The most bytes the engine can take.
        max: usize,
    },
    /// Receiver only: append these bytes to the current file.
    WriteFile(&'a [u8]),
    /// Something happened that the caller may want to report.
    Event(Event),
}

/// Events an engine reports; none of them needs an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake is done and blocks start to flow.
    Started {
        /// The check both sides agreed on.
        check: Check,
    },
    /// A block was acknowledged (sender) or accepted (receiver).
    Progress {
        /// Bytes of the current file confirmed so far (receiver: padding included when the
        /// length is unknown, as in XMODEM).
        bytes: u64,
        /// Size of the block just confirmed (128 or 1024).
        block_size: usize,
    },
    /// A file begins. Receiver: a YMODEM header arrived (the name is untrusted peer input), or
    /// an XMODEM transfer started (empty name, no size). Sender: the data of this file is
    /// about to be requested.
    FileStart(FileInfo),
    /// The current file is complete (its EOT was acknowledged).
    FileEnd {
        /// File bytes delivered (receiver, cut to the header's length) or acknowledged (sender).
        bytes: u64,
    },
    /// Something went wrong and is being retried.
    Retry {
        /// Why.
        reason: RetryReason,
        /// How many errors the current block has had so far (1 for the first).
        attempt: u32,
    },
    /// The session ended successfully.
    Finished,
    /// The session ended with an error. It stays ended.
    Failed(Error),
}

/// The interface shared by every protocol engine. See the [module
/// docs](self) for the calling contract.
pub trait Engine {
    /// Feed bytes received from the link. Returns how many were consumed;
    /// the engine stops early when it has output for the caller to act on
    /// first. If it has no pending output, it consumes at least one byte of
    /// non-empty input.
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) -> usize;

    /// Tell the engine the time has come. Calling it before the deadline
    /// returned by [`poll_timeout`](Self::poll_timeout) does nothing.
    fn handle_timeout(&mut self, now: Instant);

    /// The next thing for the caller to do, if any.
    fn poll_output(&mut self) -> Option<Output<'_>>;

    /// When the engine next wants [`handle_timeout`](Self::handle_timeout).
    /// `None` means no deadline: the session has ended, or the engine waits
    /// for the caller (an [`Output::ReadFile`] to answer).
    fn poll_timeout(&self) -> Option<Instant>;

    /// Answer an [`Output::ReadFile`] request. `data.len()` less than the
    /// requested `max` means end of file. Ignored when nothing was asked.
    fn provide_data(&mut self, now: Instant, data: &[u8]);

    /// Abort the session from our side (local error, user interrupt): the
    /// engine emits its cancel sequence and then [`Event::Failed`].
    fn abort(&mut self, now: Instant, why: Abort);

    /// True once the session has ended, successfully or not, and all output
    /// has been polled.
    fn is_finished(&self) -> bool;
}

/// The output queue shared by the engines: control bytes to transmit, a
/// pending file-read request, and events. Buffers are reused, so steady
/// state allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    tx: Vec<u8>,
    tx_taken: bool,
    read: Option<usize>,
    events: std::collections::VecDeque<Event>,
}

impl Outbox {
    /// Drop bytes already handed out by `poll`.
    fn recycle(&mut self) {
        if self.tx_taken {
            self.tx.clear();
            self.tx_taken = false;
        }
    }

    /// The transmit buffer, for appending (e.g. encoding a block into it).
    pub(crate) fn tx(&mut self) -> &mut Vec<u8> {
        self.recycle();
        &mut self.tx
    }

    /// Queue bytes for transmission.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.tx().extend_from_slice(bytes);
    }

    /// Forget queued bytes (an abort replaces a pending ACK with CANs).
    pub(crate) fn clear_tx(&mut self) {
        self.tx.clear();
        self.tx_taken = false;
    }

    pub(crate) fn request_read(&mut self, max: usize) {
        self.read = Some(max);
    }

    pub(crate) fn event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// True while the caller has something left to poll.
    pub(crate) fn is_pending(&self) -> bool {
        (!self.tx.is_empty() && !self.tx_taken) || self.read.is_some() || !self.events.is_empty()
    }

    /// The next event, if any.
    pub(crate) fn pop_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Events first, so that a caller can refuse a file (abort) before the ACK that would
    /// accept it goes out; then a read request; then bytes to transmit.
    pub(crate) fn poll(&mut self) -> Option<Output<'_>> {
        self.recycle();
        if let Some(event) = self.events.pop_front() {
            return Some(Output::Event(event));
        }
        if let Some(max) = self.read.take() {
            return Some(Output::ReadFile { max });
        }
        if !self.tx.is_empty() {
            self.tx_taken = true;
            return Some(Output::Transmit(&self.tx));
        }
        None
    }
}
