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
//! All engines implement [`Engine`]. A caller (the blocking driver, the
//! simulator, the fuzz harness or a test) runs this loop:
//!
//! 1. Drain [`Engine::poll_output`] until it returns `None` ([`drain`] does
//!    this for any caller that implements [`Io`]), acting on each
//!    [`Output`] in order: write [`Output::Transmit`] bytes to the link, answer
//!    [`Output::ReadFile`] with [`Engine::provide_data`], answer a receiver's
//!    [`Output::FileStart`] with [`Engine::reply_file`], store
//!    [`Output::WriteFile`] bytes, and report [`Output::Event`]s. Outputs must
//!    be acted on in the order they come: events and file starts first (a
//!    file's start before its data), then file data, then bytes to transmit. A
//!    receiver's ACK thus goes out only after the caller has stored the block
//!    and accepted the file, so a failure there can still cancel.
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
//!
//! The vocabulary is the same for every protocol: [`Event::Started`] says which
//! [`Protocol`] and [`Check`] the session agreed on, progress is counted in
//! bytes, file reads and writes carry byte offsets (so an engine can go back or
//! resume), and errors locate a failure by [`Position`]: a block number or a
//! byte offset.
//!
//! # Layout
//!
//! - [`xymodem`]: XMODEM, YMODEM and YMODEM-G (block codec, block 0 header, the
//!   sender and receiver engines);
//! - [`zmodem`]: ZMODEM (the frame codec: headers, ZDLE escaping, subpackets; the sender
//!   and receiver engines);
//! - [`detect`]: the receive front end that meets whatever sender is on the line;
//! - [`file`](mod@file): [`FileInfo`], what a sender says about a file, and its text form;
//! - `core`: what every engine shares: [`Limits`], the named timers, sticky failure and the
//!   end of the output queue;
//! - [`crc`], [`cancel`]: checks and the cancel sequence, shared by all protocols.
//!
//! Nothing here uses anything outside this module: no I/O, no clock, no threads.

pub mod cancel;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod contract;
mod core;
pub mod crc;
pub mod detect;
mod error;
pub mod file;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod pair;
pub mod sniff;
#[cfg(test)]
mod testkit;
pub mod xymodem;
pub mod zmodem;

use std::time::Instant;

pub use self::core::Limits;
pub use error::{Abort, Error, PeerAbort, PeerMisbehaved, RetryReason, Unsupported};

/// Whether `byte` can be the first byte of a sender's transfer: XMODEM's and YMODEM's block
/// starts (SOH, STX), EOT and CAN, ZMODEM's ZPAD (`*`, which begins every header, the first
/// `ZRQINIT` included).
///
/// Before one of these has come, and before [`Event::Started`], the other side has sent
/// nothing but start requests (NAK, `C`, `G`, a hex `ZRINIT`, lrzsz's `rz\r`), none of which
/// holds a Ctrl-C byte (0x03); the driver's `ctrl_c` option relies on it.
pub fn begins_transfer(byte: u8) -> bool {
    matches!(
        byte,
        xymodem::block::SOH
            | xymodem::block::STX
            | xymodem::block::EOT
            | cancel::CAN
            | zmodem::ZPAD
    )
}
pub use file::FileInfo;
pub use xymodem::{Receiver, ReceiverConfig, RecvMode, SendMode, Sender, SenderConfig};

/// The protocol a session turned out to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// XMODEM (checksum, CRC-16 or 1K blocks): one file, no name, no size.
    Xmodem,
    /// YMODEM batch: a header (name, size, time, mode) before each file.
    Ymodem,
    /// YMODEM-G: YMODEM streamed without acknowledgements.
    YmodemG,
    /// ZMODEM: streamed subpackets, offsets, resume.
    Zmodem,
}

impl Protocol {
    /// The protocol's name in reports and messages: `xmodem`, `ymodem`, `ymodem-g`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Xmodem => "xmodem",
            Self::Ymodem => "ymodem",
            Self::YmodemG => "ymodem-g",
            Self::Zmodem => "zmodem",
        }
    }

    /// The name of the protocol as it is commonly called, given the session's block size
    /// ([`Event::Started`]): `xmodem-1k` for XMODEM with 1024-byte blocks, else
    /// [`Protocol::as_str`].
    pub const fn name(self, block: Option<usize>) -> &'static str {
        match (self, block) {
            (Self::Xmodem, Some(1024)) => "xmodem-1k",
            _ => self.as_str(),
        }
    }

    /// The byte the protocol pads a file's last frame with, when files arrive padded (XMODEM
    /// has no length field); `None` when files arrive exact.
    pub const fn padding(self) -> Option<u8> {
        match self {
            Self::Xmodem => Some(xymodem::block::PAD),
            Self::Ymodem | Self::YmodemG | Self::Zmodem => None,
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Xmodem => "XMODEM",
            Self::Ymodem => "YMODEM",
            Self::YmodemG => "YMODEM-G",
            Self::Zmodem => "ZMODEM",
        })
    }
}

/// The integrity check protecting the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// The original 8-bit arithmetic checksum (an X/YMODEM receiver started with NAK).
    Checksum,
    /// CRC-16/XMODEM (an X/YMODEM receiver started with `C`; ZMODEM's 16-bit frames).
    Crc16,
    /// CRC-32 (ZMODEM's 32-bit frames).
    Crc32,
}

impl Check {
    /// Number of check bytes that follow the data they protect.
    pub const fn size(self) -> usize {
        match self {
            Self::Checksum => 1,
            Self::Crc16 => 2,
            Self::Crc32 => 4,
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Checksum => "checksum",
            Self::Crc16 => "CRC-16",
            Self::Crc32 => "CRC-32",
        })
    }
}

/// Where in a transfer something happened: a data block number (X/YMODEM, modulo 256 as on
/// the wire), a byte offset into the file (ZMODEM), or one of the frames around the data,
/// named for what they are rather than for the number they carry on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// A data block number.
    Block(u64),
    /// A byte offset into the current file.
    Offset(u64),
    /// A file header (YMODEM's block 0 with a name; ZMODEM's ZFILE).
    Header,
    /// The end of a file (X/YMODEM's EOT; ZMODEM's ZEOF). In XMODEM it also ends the session.
    EndOfFile,
    /// The end of the session (YMODEM's empty block 0 that ends the batch; ZMODEM's ZFIN).
    EndOfBatch,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Block(n) => write!(f, "block {n}"),
            Self::Offset(n) => write!(f, "offset {n}"),
            Self::Header => f.write_str("the file header"),
            Self::EndOfFile => f.write_str("the end of the file"),
            Self::EndOfBatch => f.write_str("the end of the batch"),
        }
    }
}

/// Something an engine wants its caller to do or know.
#[derive(Debug)]
#[must_use]
pub enum Output<'a> {
    /// Write these bytes to the link, all of them, in one write if possible.
    Transmit(&'a [u8]),
    /// Sender only: read up to `max` bytes of the current file from `offset` on and hand them
    /// over with [`Engine::provide_data`]. Fewer than `max` bytes (including none) mean the
    /// end of the file has been reached. Offsets usually follow on from the last read; an
    /// engine that goes back (a resend from an earlier position) or resumes names another.
    ReadFile {
        /// Where in the file to read from.
        offset: u64,
        /// The most bytes the engine can take.
        max: usize,
    },
    /// A file begins. Receiver: a YMODEM header arrived (the name is untrusted peer input), or
    /// an XMODEM transfer started (empty name, no size); answer with [`Engine::reply_file`]
    /// (accept, skip, resume) before polling again, or abort to refuse it. An engine that is
    /// not answered accepts the file. Sender: the data of this file is about to be requested;
    /// nothing to answer.
    FileStart(FileInfo),
    /// Receiver only: store these bytes in the current file at `offset`. An offset before the
    /// end of what was written replaces everything from there on.
    WriteFile {
        /// Where in the file the data goes.
        offset: u64,
        /// The data.
        data: &'a [u8],
    },
    /// Something happened that the caller may want to report.
    Event(Event),
}

/// Events an engine reports; none of them needs an answer (a file's start, which a receiver
/// answers, is the request [`Output::FileStart`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake is done and data starts to flow.
    Started {
        /// The protocol the session speaks. A receiver detecting the sender's protocol knows
        /// it from the first frame.
        protocol: Protocol,
        /// The check both sides agreed on.
        check: Check,
        /// X/YMODEM: the data size of the sender's blocks, 128 or 1024 (a receiver knows it
        /// from the first block); `None` for ZMODEM, whose subpackets vary, and for a
        /// receiver whose session began with the end (an EOT).
        block: Option<usize>,
    },
    /// Data was acknowledged (sender) or accepted (receiver).
    Progress {
        /// Bytes of the current file confirmed so far (receiver: padding included when the
        /// length is unknown, as in XMODEM).
        bytes: u64,
        /// The data capacity of the frame just confirmed: an X/YMODEM block's size (128 or
        /// 1024, whatever part of it the file filled).
        frame: usize,
    },
    /// Sender: the receiver declined the file (ZMODEM `ZSKIP`); nothing of it was sent and
    /// the next file follows. Receiver: the caller's [`FileReply::Skip`] took effect.
    FileSkipped,
    /// Something the user should know that does not stop the session (e.g. a refused
    /// remote command).
    Note(String),
    /// The current file is complete (its EOT was acknowledged).
    FileEnd {
        /// File bytes delivered (receiver, cut to the header's length) or acknowledged (sender).
        bytes: u64,
    },
    /// Sender: the last frame of the session (`at`: XMODEM's EOT, YMODEM's end-of-batch
    /// header; ZMODEM's ZFIN) went unanswered for [`SenderConfig::end_timeout`] although
    /// everything before it was acknowledged, so the sender stopped waiting. The data is
    /// delivered; only the receiver's confirmation of the end is missing (lrzsz `rx` and `rb`
    /// flush their last ACK away on a pseudo-terminal). [`Event::Finished`] follows (after
    /// [`Event::FileEnd`] when `at` ends a file).
    EndUnconfirmed {
        /// The frame that was not acknowledged.
        at: Position,
    },
    /// Something went wrong and is being retried.
    Retry {
        /// Why.
        reason: RetryReason,
        /// How many errors the current frame has had so far (1 for the first).
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
    /// non-empty input, unless the session ends right there: then the bytes
    /// left are not the session's (what follows ZMODEM's closing `OO`, such as
    /// the user's typing). Once ended and drained, an engine ignores input.
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

    /// Receiver: the caller's answer to the [`Output::FileStart`] just polled, as
    /// [`provide_data`](Self::provide_data) answers [`Output::ReadFile`]. Engines that cannot
    /// skip or resume (X/YMODEM) ignore it, as senders do; [`drain`] calls it after every
    /// `FileStart` with what [`Io::file_start`] answered.
    fn reply_file(&mut self, now: Instant, reply: FileReply) {
        let _ = (now, reply);
    }

    /// The link's other side went away (end of input, hang-up). Returns true if that ends
    /// the session as far as the engine is concerned: a sender waiting only for the answer
    /// to the last frame of the session, everything before it acknowledged, ends as it does
    /// when that answer never comes ([`Event::EndUnconfirmed`], then [`Event::Finished`]);
    /// an engine whose session has already ended (the ZMODEM sender after the receiver's
    /// `ZFIN`, whose `OO` then finds no reader) stays a success. Otherwise (false, the
    /// default) the caller aborts: a hang-up is a failure.
    fn handle_hang_up(&mut self, now: Instant) -> bool {
        let _ = now;
        false
    }

    /// True once the session has ended, successfully or not, and all output
    /// has been polled.
    fn is_finished(&self) -> bool;
}

/// A receiving caller's answer to [`Output::FileStart`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileReply {
    /// Receive the file from its start.
    #[default]
    Accept,
    /// Decline it (ZMODEM `ZSKIP`); where the protocol cannot, the data is received and
    /// the caller discards it.
    Skip,
    /// The first `from` bytes are already here, with this CRC-32: receive from there on if
    /// the sender's file starts with the same bytes (ZMODEM asks the sender with `ZCRC`),
    /// else from the start. Where the protocol cannot resume, from the start.
    Resume {
        /// Bytes held.
        from: u64,
        /// Their CRC-32 (as [`crc::crc32`] computes it).
        crc32: u32,
    },
}

/// What a caller does with an engine's outputs, for [`drain`]. The driver implements it over
/// a link and files, the simulator over its virtual line, the fuzz harness and the tests over
/// buffers.
pub trait Io {
    /// A local failure (file, link). [`drain`] aborts the engine with its text and returns
    /// the first one.
    type Error: std::fmt::Display;

    /// Write these bytes to the link.
    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;

    /// Sender: fill `buf` with file data from `offset` on; fewer bytes only at end of file.
    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Self::Error>;

    /// Receiver: store `data` at `offset` of the current file.
    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), Self::Error>;

    /// An event.
    fn event(&mut self, event: Event) -> Result<(), Self::Error>;

    /// A file begins ([`Output::FileStart`]). Receiver: the answer goes to the engine
    /// ([`Engine::reply_file`]); an error refuses the file (e.g. one that cannot be created):
    /// the engine is aborted before the answer that would accept it goes out. Sender: the
    /// answer is ignored.
    fn file_start(&mut self, info: FileInfo) -> Result<FileReply, Self::Error>;
}

/// Step 1 of the contract: act on every output of `engine`, in order, until it has none.
/// `buf` is reused for file reads, so steady state allocates nothing. A failure of `io`
/// aborts the engine, whose cancel sequence is then drained too; the first failure is
/// returned.
pub fn drain<E, I>(
    engine: &mut E,
    now: Instant,
    io: &mut I,
    buf: &mut Vec<u8>,
) -> Result<(), I::Error>
where
    E: Engine + ?Sized,
    I: Io + ?Sized,
{
    let mut first: Option<I::Error> = None;
    loop {
        let mut read = None;
        let result = match engine.poll_output() {
            None => break,
            Some(Output::Transmit(bytes)) => io.transmit(bytes),
            Some(Output::WriteFile { offset, data }) => io.write_file(offset, data),
            Some(Output::Event(event)) => io.event(event),
            Some(Output::FileStart(info)) => io.file_start(info).map(|reply| {
                engine.reply_file(now, reply);
            }),
            Some(Output::ReadFile { offset, max }) => {
                read = Some((offset, max));
                Ok(())
            }
        };
        let result = match (result, read) {
            (Ok(()), Some((offset, max))) => {
                if buf.len() < max {
                    buf.resize(max, 0);
                }
                io.read_file(offset, &mut buf[..max]).map(|n| {
                    engine.provide_data(now, &buf[..n.min(max)]);
                })
            }
            (result, _) => result,
        };
        if let Err(e) = result {
            engine.abort(now, Abort::Local(e.to_string()));
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

/// The output queue shared by the engines: control bytes to transmit, a
/// pending file-read request, and events and file starts. Buffers are reused, so steady
/// state allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    tx: Vec<u8>,
    tx_taken: bool,
    read: Option<(u64, usize)>,
    events: std::collections::VecDeque<Queued>,
}

/// What goes out of an [`Outbox`] in the order it came, before file data and bytes.
#[derive(Debug)]
enum Queued {
    Event(Event),
    FileStart(FileInfo),
}

impl From<Queued> for Output<'_> {
    fn from(queued: Queued) -> Self {
        match queued {
            Queued::Event(event) => Self::Event(event),
            Queued::FileStart(info) => Self::FileStart(info),
        }
    }
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

    /// Forget a read request not handed out yet: a failed engine wants no more file data.
    pub(crate) fn clear_read(&mut self) {
        self.read = None;
    }

    pub(crate) fn request_read(&mut self, offset: u64, max: usize) {
        self.read = Some((offset, max));
    }

    pub(crate) fn event(&mut self, event: Event) {
        self.events.push_back(Queued::Event(event));
    }

    /// Queue a file's start ([`Output::FileStart`]), in order with the events.
    pub(crate) fn file_start(&mut self, info: FileInfo) {
        self.events.push_back(Queued::FileStart(info));
    }

    /// True while the caller has something left to poll.
    pub(crate) fn is_pending(&self) -> bool {
        (!self.tx.is_empty() && !self.tx_taken) || self.read.is_some() || !self.events.is_empty()
    }

    /// The next event or file start, if any.
    pub(crate) fn pop_event(&mut self) -> Option<Output<'static>> {
        self.events.pop_front().map(Output::from)
    }

    /// Events first, so that a caller can refuse a file (abort) before the ACK that would
    /// accept it goes out; then a read request; then bytes to transmit.
    pub(crate) fn poll(&mut self) -> Option<Output<'_>> {
        self.recycle();
        if let Some(queued) = self.events.pop_front() {
            return Some(queued.into());
        }
        if let Some((offset, max)) = self.read.take() {
            return Some(Output::ReadFile { offset, max });
        }
        if !self.tx.is_empty() {
            self.tx_taken = true;
            return Some(Output::Transmit(&self.tx));
        }
        None
    }
}
