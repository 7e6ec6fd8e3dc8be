//! The receiver engine: XMODEM, YMODEM batch, YMODEM-G, or whichever the sender speaks.

use std::time::{Duration, Instant};

use super::block::{ACK, Assembler, CRC_START, EOT, G_START, NAK, SOH, STX};
use super::header;
use crate::proto::FileInfo;
use crate::proto::cancel::{CANCEL_SEQUENCE, CanDetector};
use crate::proto::crc::crc16;
use crate::proto::{
    Abort, Check, Engine, Error, Event, Outbox, Output, Position, Protocol, RetryReason,
};

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
    /// How long to wait for the sender to start at all (default 60 s).
    pub start_timeout: Duration,
    /// How long to wait for the next block after an ACK or NAK (default 10 s).
    pub block_timeout: Duration,
    /// Longest gap between two bytes of one block (default 1 s).
    pub byte_timeout: Duration,
    /// Before a NAK, input is discarded until the line has been quiet this long, so the sender
    /// has finished and will see the NAK (default 1 s).
    pub purge_quiet: Duration,
    /// Errors allowed per block; reaching this number cancels (default 10).
    pub max_errors: u32,
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
            start_timeout: Duration::from_secs(60),
            block_timeout: Duration::from_secs(10),
            byte_timeout: Duration::from_secs(1),
            purge_quiet: Duration::from_secs(1),
            max_errors: 10,
            nak_first_eot: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for SOH/STX/EOT; at `deadline` we nudge the sender (start character or NAK).
    Header {
        deadline: Instant,
    },
    /// Collecting the bytes of a block.
    Block {
        deadline: Instant,
    },
    /// Discarding input until the line is quiet, then NAK.
    Purge {
        quiet: Instant,
        limit: Instant,
    },
    Done,
    Failed,
}

/// What the session has turned out to be so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    /// Not known yet (Detect mode, or YMODEM before its first block).
    Undecided,
    Xmodem,
    Ymodem,
}

/// The file being received.
#[derive(Debug, Clone, Copy, Default)]
struct FileState {
    /// Length from the header, if any: data beyond it is padding and is not delivered.
    size: Option<u64>,
    /// Bytes delivered.
    received: u64,
    /// The first data block has arrived.
    data_started: bool,
    /// CRC-16 of the header's data, to tell a repeated header from the next file's.
    header_crc: u16,
}

/// Receives files with XMODEM, YMODEM or YMODEM-G; accepts 128- and 1024-byte blocks mixed.
///
/// Output order for a block: events, then [`Output::WriteFile`] with its data, then the ACK.
/// For a header: [`Event::FileStart`] then the ACK, so a caller that cannot create the file
/// can [`abort`](Engine::abort) before the sender sees an ACK. Likewise [`Event::FileEnd`]
/// comes before the ACK of the final EOT.
#[derive(Debug)]
pub struct Receiver {
    cfg: ReceiverConfig,
    state: State,
    out: Outbox,
    can: CanDetector,
    asm: Assembler,
    check: Check,
    streaming: bool,
    proto: Proto,
    /// Waiting for a block 0 header (YMODEM, or not decided yet).
    want_header: bool,
    /// The block number we expect next.
    expected: u8,
    /// True once the first block of the session has been accepted.
    started: bool,
    /// Start characters sent so far, and the time the sender has to start.
    starts_sent: u32,
    start_limit: Instant,
    errors: u32,
    eot_naked: bool,
    /// The block we expect arrived damaged (bad check or number, cut short) and has not come
    /// intact since. The sender must resend it: if it goes on to the next block or EOT
    /// instead, it took something else for that block's ACK (ACKs carry no block number), and
    /// the block is lost.
    damaged: bool,
    /// Bytes that were not a block start came since we last answered. A sender that sent
    /// EOT waits in silence for our answer, so an EOT after junk is junk too (e.g. a 0x04 in
    /// the tail of a block we gave up on).
    junk: bool,
    file: Option<FileState>,
    /// Total bytes delivered over the session.
    bytes: u64,
    /// Bytes of `asm` to hand out as `WriteFile`, if any, and their offset in the file.
    deliver: Option<(u64, usize)>,
    finished_polled: bool,
}

impl Receiver {
    /// A receiver that sends its first start character at `now`.
    pub fn new(cfg: ReceiverConfig, now: Instant) -> Self {
        let streaming = cfg.mode == RecvMode::YmodemG;
        let proto = match cfg.mode {
            RecvMode::Xmodem => Proto::Xmodem,
            RecvMode::Ymodem | RecvMode::YmodemG | RecvMode::Detect => Proto::Undecided,
        };
        let mut r = Self {
            // X/YMODEM has checksum and CRC-16 blocks only.
            check: match cfg.check {
                Check::Checksum if !streaming => Check::Checksum,
                _ => Check::Crc16,
            },
            start_limit: now + cfg.start_timeout,
            want_header: proto == Proto::Undecided,
            expected: if proto == Proto::Xmodem { 1 } else { 0 },
            cfg,
            state: State::Done,
            out: Outbox::default(),
            can: CanDetector::default(),
            asm: Assembler::default(),
            streaming,
            proto,
            started: false,
            starts_sent: 0,
            errors: 0,
            eot_naked: false,
            damaged: false,
            junk: false,
            file: None,
            bytes: 0,
            deliver: None,
            finished_polled: false,
        };
        r.nudge(now);
        r
    }

    /// The check in use.
    pub fn check(&self) -> Check {
        self.check
    }

    /// True while the session has neither started (no block or EOT accepted yet) nor ended.
    pub fn is_waiting_to_start(&self) -> bool {
        !self.started && !matches!(self.state, State::Done | State::Failed)
    }

    /// Send the start character now rather than at the next interval, if the session has not
    /// started and the engine is waiting for a block. For a front end that recognised a
    /// sender waiting for an answer (see [`crate::proto::detect`]).
    pub fn poke(&mut self, now: Instant) {
        if !self.started && !self.out.is_pending() && matches!(self.state, State::Header { .. }) {
            self.nudge(now);
        }
    }

    /// The start character: `G` when streaming, else `C` or NAK for the check.
    fn start_char(&self) -> u8 {
        match (self.streaming, self.check) {
            (true, _) => G_START,
            (false, Check::Crc16 | Check::Crc32) => CRC_START,
            (false, Check::Checksum) => NAK,
        }
    }

    /// Ask the sender for what we wait for: the start character before the session's first
    /// block (with the CRC-to-checksum fallback) and before a file's first data block (the
    /// YMODEM "go on"), NAK otherwise. Then wait for a block.
    fn nudge(&mut self, now: Instant) {
        if !self.started && now >= self.start_limit {
            // A purge can outlast the time the sender had to start: give up now rather than
            // return a deadline already in the past.
            return self.fail(Error::Timeout {
                waiting_for: "the sender to start",
            });
        }
        let wait = if !self.started {
            // Not once a damaged block has come: the sender answered our `C`, so it speaks
            // CRC, and reading its CRC blocks as checksum blocks would let a frame shifted by
            // a lost or extra byte pass a check eight bits wide.
            if self.check == Check::Crc16
                && !self.streaming
                && !self.damaged
                && self.cfg.crc_attempts.is_some_and(|n| self.starts_sent >= n)
            {
                self.check = Check::Checksum;
            }
            self.starts_sent += 1;
            self.out.send(&[self.start_char()]);
            (now + self.cfg.start_interval).min(self.start_limit)
        } else {
            let go = self.want_header || self.file.is_some_and(|f| !f.data_started);
            self.out.send(&[if go && self.proto == Proto::Ymodem {
                self.start_char()
            } else {
                NAK
            }]);
            now + self.cfg.block_timeout
        };
        self.junk = false;
        self.state = State::Header { deadline: wait };
    }

    fn fail(&mut self, error: Error) {
        self.out.clear_tx();
        self.deliver = None;
        if error != Error::CancelledByPeer {
            self.out.send(&CANCEL_SEQUENCE);
        }
        self.out.event(Event::Failed(error));
        self.state = State::Failed;
    }

    /// Count an error on the current block; purge and NAK, or give up.
    fn error(&mut self, now: Instant, reason: RetryReason) {
        if self.streaming && self.started && !self.want_header {
            // YMODEM-G cannot retransmit: any error inside a file ends the session.
            return self.fail(Error::Streaming {
                at: Position::Block(u64::from(self.expected)),
                reason,
            });
        }
        if reason != RetryReason::Timeout {
            self.damaged = true;
        }
        self.errors += 1;
        if self.errors >= self.cfg.max_errors {
            return self.fail(Error::RetriesExhausted {
                at: Position::Block(u64::from(self.expected)),
                attempts: self.errors,
                last: reason,
            });
        }
        self.out.event(Event::Retry {
            reason,
            attempt: self.errors,
        });
        if reason == RetryReason::Timeout {
            // The line is already quiet: no purge needed.
            self.nudge(now);
        } else {
            self.state = State::Purge {
                quiet: now + self.cfg.purge_quiet,
                limit: now + self.cfg.block_timeout,
            };
        }
    }

    fn wait_block(&mut self, now: Instant) {
        self.junk = false;
        self.state = State::Header {
            deadline: now + self.cfg.block_timeout,
        };
    }

    fn on_block(&mut self, now: Instant) {
        let (number, size) = match self.asm.verify(self.check) {
            Ok(b) => (b.number, b.data.len()),
            Err(reason) => return self.error(now, reason),
        };
        if self.want_header
            && number == 1
            && self.proto == Proto::Undecided
            && !self.damaged
            && !self.streaming
        {
            // No header: an XMODEM(-1K) sender. Fall back to XMODEM for the session. Not
            // after a damaged block: that may have been the header, and a sender that goes
            // on without resending it took noise for its ACK. Never when streaming: an
            // XMODEM sender needs the ACKs YMODEM-G does not send, and a YMODEM-G sender
            // takes our `G` asking for a lost header again for the go-ahead.
            self.proto = Proto::Xmodem;
            self.want_header = false;
            self.expected = 1;
        }
        if !self.started {
            let header = self.want_header && number == 0;
            self.start(header);
        }
        if self.want_header && number == 0 {
            return self.on_header(now);
        }
        if self.proto == Proto::Xmodem && self.file.is_none() && number == 0 {
            return self.fail(Error::Incompatible(
                "the sender uses YMODEM (it sent a block 0 file header); receive with --ymodem",
            ));
        }
        if number == self.expected && !self.want_header {
            self.on_data(now, size);
        } else if number == self.expected.wrapping_sub(1) && !self.streaming {
            // Our ACK was lost and the sender repeated the block (a repeated header wants
            // its "go on" again).
            let header_repeat = number == 0 && self.file.is_some_and(|f| !f.data_started);
            if header_repeat
                && self
                    .file
                    .is_some_and(|f| f.header_crc != crc16(self.asm.data(usize::MAX)))
            {
                // Not a repeat: the next file's header. The sender took a spare ACK for our
                // answer to this file's EOT, which we never saw.
                return self.fail(Error::OutOfSequence {
                    expected: Position::Block(u64::from(self.expected)),
                    got: Position::Block(u64::from(number)),
                });
            }
            self.damaged = false;
            self.out.send(&[ACK]);
            if header_repeat {
                self.out.send(&[self.start_char()]);
            }
            self.wait_block(now);
        } else if self.streaming {
            self.fail(Error::Streaming {
                at: Position::Block(u64::from(self.expected)),
                reason: RetryReason::BadSequence,
            });
        } else {
            self.fail(Error::OutOfSequence {
                expected: Position::Block(u64::from(self.expected)),
                got: Position::Block(u64::from(number)),
            });
        }
    }

    /// The session's first block (a header when `header`) or EOT has come: say what the
    /// session speaks.
    fn start(&mut self, header: bool) {
        self.started = true;
        let protocol = if self.streaming {
            Protocol::YmodemG
        } else if header || self.proto == Proto::Ymodem {
            Protocol::Ymodem
        } else {
            Protocol::Xmodem
        };
        self.out.event(Event::Started {
            protocol,
            check: self.check,
        });
    }

    fn on_header(&mut self, now: Instant) {
        self.proto = Proto::Ymodem;
        self.errors = 0;
        self.damaged = false;
        match header::parse(self.asm.data(usize::MAX)) {
            None => {
                // End of batch. YMODEM-G senders do not wait for an answer.
                if !self.streaming {
                    self.out.send(&[ACK]);
                }
                self.out.event(Event::Finished);
                self.state = State::Done;
            }
            Some(info) => {
                self.file = Some(FileState {
                    size: info.size,
                    header_crc: crc16(self.asm.data(usize::MAX)),
                    ..FileState::default()
                });
                self.out.event(Event::FileStart(info));
                if !self.streaming {
                    self.out.send(&[ACK]);
                }
                self.out.send(&[self.start_char()]);
                self.want_header = false;
                self.expected = 1;
                self.eot_naked = false;
                self.wait_block(now);
            }
        }
    }

    fn on_data(&mut self, now: Instant, size: usize) {
        let file = self.file.get_or_insert_with(FileState::default);
        if !file.data_started && file.size.is_none() && self.proto == Proto::Xmodem {
            // XMODEM: the file starts with its first block.
            self.out.event(Event::FileStart(FileInfo::default()));
        }
        file.data_started = true;
        let take = match file.size {
            Some(total) => (total.saturating_sub(file.received)).min(size as u64) as usize,
            None => size,
        };
        let offset = file.received;
        file.received += take as u64;
        self.deliver = (take > 0).then_some((offset, take));
        self.bytes += take as u64;
        self.expected = self.expected.wrapping_add(1);
        self.errors = 0;
        self.damaged = false;
        self.eot_naked = false;
        self.out.event(Event::Progress {
            bytes: file.received,
            frame: size,
        });
        if !self.streaming {
            self.out.send(&[ACK]);
        }
        self.wait_block(now);
    }

    fn on_eot(&mut self, now: Instant) {
        if self.want_header && (self.proto == Proto::Ymodem || self.streaming) {
            // EOT where a header belongs: noise, or a sender that went on; ask again.
            return self.nudge(now);
        }
        let complete = self
            .file
            .is_some_and(|f| f.size.is_some_and(|s| f.received >= s));
        if self.cfg.nak_first_eot && !self.eot_naked && !complete {
            self.eot_naked = true;
            self.out.send(&[NAK]);
            return self.wait_block(now);
        }
        if self.damaged && !complete {
            // The block we NAKed was never resent: the sender took noise or a stale ACK for
            // its ACK, and the file would end without it.
            return self.fail(Error::Incompatible(
                "the sender ended the file while a damaged block was still due \
                 (its ACKs lost sync, they carry no block number); the file is incomplete",
            ));
        }
        if let Some(FileState {
            size: Some(want),
            received: got,
            ..
        }) = self.file
            && got < want
        {
            // Shorter than its header says: incomplete, never a success (docs/PROTOCOL_NOTES.md).
            return self.fail(Error::ShortFile { got, want });
        }
        if !self.started {
            self.start(false);
        }
        let file = self.file.take().unwrap_or_default();
        if self.proto != Proto::Ymodem && !file.data_started {
            // An empty XMODEM file: EOT straight away.
            self.out.event(Event::FileStart(FileInfo::default()));
        }
        self.out.event(Event::FileEnd {
            bytes: file.received,
        });
        self.out.send(&[ACK]);
        if self.proto == Proto::Ymodem {
            // Ask for the next header.
            self.out.send(&[self.start_char()]);
            self.want_header = true;
            self.expected = 0;
            self.wait_block(now);
        } else {
            self.out.event(Event::Finished);
            self.state = State::Done;
        }
    }
}

impl Engine for Receiver {
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) -> usize {
        if self.deliver.is_some() || self.out.is_pending() {
            return 0;
        }
        let mut used = 0;
        while used < bytes.len() {
            match self.state {
                State::Header { .. } => {
                    let b = bytes[used];
                    used += 1;
                    if self.can.feed(b) {
                        self.fail(Error::CancelledByPeer);
                        return bytes.len();
                    }
                    match b {
                        SOH | STX => {
                            self.asm.start(b, self.check);
                            self.state = State::Block {
                                deadline: now + self.cfg.byte_timeout,
                            };
                        }
                        EOT if !self.junk => {
                            self.on_eot(now);
                            // Anything after EOT in this piece predates our answer.
                            return bytes.len();
                        }
                        // Junk before or between blocks: banners, echo, stray ZMODEM
                        // headers (the detect front end answers those).
                        _ => self.junk = true,
                    }
                }
                State::Block { .. } => {
                    used += self.asm.feed(&bytes[used..]);
                    if self.asm.is_complete() {
                        self.can.reset();
                        self.on_block(now);
                        if self.out.is_pending() || self.deliver.is_some() {
                            return used;
                        }
                    } else {
                        self.state = State::Block {
                            deadline: now + self.cfg.byte_timeout,
                        };
                    }
                }
                State::Purge { limit, .. } => {
                    self.state = State::Purge {
                        quiet: now + self.cfg.purge_quiet,
                        limit,
                    };
                    return bytes.len();
                }
                State::Done | State::Failed => return bytes.len(),
            }
        }
        used
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.deliver.is_some()
            || self.out.is_pending()
            || self.poll_timeout().is_none_or(|d| now < d)
        {
            return;
        }
        match self.state {
            State::Header { .. } if !self.started && now >= self.start_limit => {
                self.fail(Error::Timeout {
                    waiting_for: "the sender to start",
                });
            }
            // Handshake: nudging a silent sender is not a block error.
            State::Header { .. } if !self.started => self.nudge(now),
            State::Header { .. } => self.error(now, RetryReason::Timeout),
            State::Block { .. } => self.error(now, RetryReason::Truncated),
            State::Purge { .. } => self.nudge(now),
            State::Done | State::Failed => {}
        }
    }

    fn poll_output(&mut self) -> Option<Output<'_>> {
        if let Some(event) = self.out.pop_event() {
            return Some(Output::Event(event));
        }
        if let Some((offset, len)) = self.deliver.take() {
            return Some(Output::WriteFile {
                offset,
                data: self.asm.data(len),
            });
        }
        let out = self.out.poll();
        if out.is_none() && matches!(self.state, State::Done | State::Failed) {
            self.finished_polled = true;
        }
        out
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Header { deadline } | State::Block { deadline } => Some(deadline),
            State::Purge { quiet, limit } => Some(quiet.min(limit)),
            State::Done | State::Failed => None,
        }
    }

    fn provide_data(&mut self, _now: Instant, _data: &[u8]) {}

    fn abort(&mut self, _now: Instant, why: Abort) {
        if !matches!(self.state, State::Done | State::Failed) {
            self.fail(Error::Aborted(why));
        }
    }

    fn is_finished(&self) -> bool {
        self.finished_polled && self.deliver.is_none() && !self.out.is_pending()
    }
}
