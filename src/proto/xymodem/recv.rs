//! The receiver engine: XMODEM, YMODEM batch, YMODEM-G, or whichever the sender speaks.

use std::time::{Duration, Instant};

use super::block::{ACK, Assembler, CRC_START, EOT, G_START, NAK, SMALL, SOH, STX};
use super::config::{ReceiverConfig, RecvMode};
use super::header;
use super::timing::LineTiming;
use crate::proto::FileInfo;
use crate::proto::cancel::CanDetector;
use crate::proto::core::{self, Core, Session, Timers};
use crate::proto::crc::crc16;
use crate::proto::{
    Check, Engine, Error, Event, Output, PeerAbort, PeerMisbehaved, Position, Protocol,
    RetryReason, Unsupported,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for SOH/STX/EOT; at `deadline` we nudge the sender (start character or NAK).
    Header {
        deadline: Instant,
        /// Bytes that were not a block start since we last answered. A sender that sent EOT
        /// waits in silence for our answer, so an EOT after junk is junk too (e.g. a 0x04 in
        /// the tail of a block we gave up on); a block whose first byte was damaged arrives
        /// as a block's worth of them, and then the sender waits for our answer.
        junk: usize,
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
/// For a header: [`Output::FileStart`](crate::proto::Output::FileStart) then the ACK, so a caller that cannot create the file
/// can [`abort`](Engine::abort) before the sender sees an ACK. Likewise [`Event::FileEnd`]
/// comes before the ACK of the final EOT.
#[derive(Debug)]
pub struct Receiver {
    /// The output queue, the limits, the progress times: what every engine shares.
    core: Core,
    cfg: ReceiverConfig,
    state: State,
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
    /// A damaged frame that may have been the header came while a header was due (see
    /// `frame_error` and the XMODEM fallback in `on_block`).
    header_suspect: bool,
    file: Option<FileState>,
    /// Total bytes delivered over the session.
    bytes: u64,
    /// How the line delivers (NAK timing); `core.last_input`, when input last arrived, is
    /// what a purge's quiet counts from.
    timing: LineTiming,
}

/// Bytes that were not a block start, since our last answer, that make a garbled block: half
/// the smallest block.
const GARBLED: usize = SMALL / 2;

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
            start_limit: now + cfg.limits.start,
            core: Core::new(cfg.limits),
            want_header: proto == Proto::Undecided,
            expected: if proto == Proto::Xmodem { 1 } else { 0 },
            cfg,
            state: State::Done,
            can: CanDetector::default(),
            asm: Assembler::default(),
            streaming,
            proto,
            started: false,
            starts_sent: 0,
            errors: 0,
            eot_naked: false,
            damaged: false,
            header_suspect: false,
            file: None,
            bytes: 0,
            timing: LineTiming::default(),
        };
        // The idle limit counts from here once the session has started.
        r.core.progress(now);
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
        if !self.started
            && !self.core.out.is_pending()
            && matches!(self.state, State::Header { .. })
        {
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
            self.core.out.send(&[self.start_char()]);
            (now + self.cfg.start_interval).min(self.start_limit)
        } else {
            let go = self.want_header || self.file.is_some_and(|f| !f.data_started);
            self.core.out.send(&[if go && self.proto == Proto::Ymodem {
                self.start_char()
            } else {
                NAK
            }]);
            now + self.cfg.limits.answer
        };
        self.timing.answered(self.started.then_some(now));
        self.state = State::Header {
            deadline: wait,
            junk: 0,
        };
    }

    /// The deadline of the state itself, without the idle limit.
    fn state_deadline(&self) -> Option<Instant> {
        match self.state {
            State::Header { deadline, junk } if self.garbled(junk) => {
                // A block whose first byte was damaged came as junk; the sender now waits
                // for our answer: NAK once the line is quiet, as for a block that failed its
                // check, rather than after the block timeout. Not before twice the sender's
                // turnaround, though: junk can also be the tail of a block held up past our
                // last answer, and the sender then resends at once without being asked again.
                let quiet = self
                    .quiet(self.errors, self.cfg.purge_quiet)
                    .max(self.timing.turn().min(self.cfg.purge_quiet) * 2);
                Some(deadline.min(self.core.last_input.unwrap_or(deadline) + quiet))
            }
            State::Header { deadline, .. } | State::Block { deadline } => Some(deadline),
            State::Purge { quiet, limit } => Some(quiet.min(limit)),
            State::Done | State::Failed => None,
        }
    }

    /// Where the session stands, for errors: the next data block, or a file header.
    fn expected_position(&self) -> Position {
        if self.want_header {
            Position::Header
        } else {
            Position::Block(u64::from(self.expected))
        }
    }

    /// A block that came with `number`, for errors: block 0 in YMODEM is a header.
    fn got_position(&self, number: u8) -> Position {
        if number == 0 && self.proto != Proto::Xmodem {
            Position::Header
        } else {
            Position::Block(u64::from(number))
        }
    }

    /// The quiet that shows the sender has stopped, after `errors` earlier errors on the same
    /// block (each doubles it), at most `cap`: see [`ReceiverConfig::purge_quiet`].
    fn quiet(&self, errors: u32, cap: Duration) -> Duration {
        self.timing
            .quiet(self.cfg.quiet_min, self.cfg.char_time, errors, cap)
    }

    /// A block's worth of bytes that did not start a block (`junk` of them) came since our
    /// last answer: a block whose first byte was damaged.
    fn garbled(&self, junk: usize) -> bool {
        self.started && junk >= GARBLED && self.core.last_input.is_some()
    }

    /// The longest gap allowed between two bytes of the block being collected.
    fn byte_wait(&self) -> Duration {
        if self.streaming {
            // YMODEM-G cannot retransmit: a block declared short early is a failed session.
            self.cfg.byte_timeout
        } else {
            self.quiet(self.errors, self.cfg.byte_timeout)
        }
    }

    /// Count an error on the current block; purge and NAK, or give up.
    fn error(&mut self, now: Instant, reason: RetryReason) {
        if self.streaming && self.started && !self.want_header {
            // YMODEM-G cannot retransmit: any error inside a file ends the session.
            return self.fail(Error::Streaming {
                at: self.expected_position(),
                reason,
            });
        }
        if reason != RetryReason::Timeout {
            self.damaged = true;
            // Told YMODEM: any damaged frame may have been the header. Detecting: only one
            // that looks like it (see `frame_error`).
            self.header_suspect |= self.want_header && self.cfg.mode != RecvMode::Detect;
        }
        self.errors += 1;
        if self.errors >= self.cfg.limits.max_errors {
            return self.fail(Error::RetriesExhausted {
                at: self.expected_position(),
                attempts: self.errors,
                last: reason,
            });
        }
        self.core.out.event(Event::Retry {
            reason,
            attempt: self.errors,
        });
        // NAK once the line has been quiet long enough since the last input: the sender has
        // stopped and reads its input again. At once if it already has (a timeout, a block
        // cut short).
        let quiet =
            self.core.last_input.unwrap_or(now) + self.quiet(self.errors - 1, self.cfg.purge_quiet);
        if reason == RetryReason::Timeout || quiet <= now {
            if reason == RetryReason::Timeout && self.started {
                self.timing.timeout_nak(Some(now));
            }
            self.nudge(now);
        } else {
            self.state = State::Purge {
                quiet,
                limit: now + self.cfg.limits.answer,
            };
        }
    }

    /// The frame being collected is damaged or cut short. One whose number and complement
    /// are nearer (in bits) to block 1's `01 FE` than to a header's `00 FF` was block 1 (the
    /// likelier reading under bit errors), not a header: an XMODEM sender whose first block
    /// was hit by noise. One nearer to `00 FF` may have been the header, in any mode (see the
    /// XMODEM fallback in `on_block`).
    fn frame_error(&mut self, now: Instant, reason: RetryReason) {
        self.timing.timeout_nak(None);
        let suspect = self.header_suspect;
        let nearer = self.asm.number_pair().map(|(n, c)| {
            let bits = |a: u8, b: u8| (n ^ a).count_ones() + (c ^ b).count_ones();
            bits(1, 0xFE).cmp(&bits(0, 0xFF))
        });
        let want_header = self.want_header;
        self.error(now, reason);
        match nearer {
            Some(std::cmp::Ordering::Less) => self.header_suspect = suspect,
            Some(std::cmp::Ordering::Greater) => self.header_suspect |= want_header,
            _ => {}
        }
    }

    fn wait_block(&mut self, now: Instant) {
        self.timing.answered(Some(now));
        self.state = State::Header {
            deadline: now + self.cfg.limits.answer,
            junk: 0,
        };
    }

    fn on_block(&mut self, now: Instant) {
        let (number, size) = match self.asm.verify(self.check) {
            Ok(b) => (b.number, b.data.len()),
            Err(reason) => return self.frame_error(now, reason),
        };
        let crossed_timeout_nak = self.timing.crossed_timeout_nak(now);
        if self.want_header
            && number == 1
            && self.proto == Proto::Undecided
            && !self.header_suspect
            && !self.streaming
        {
            // No header: an XMODEM(-1K) sender. Fall back to XMODEM for the session. Not
            // after a damaged frame that may have been the header (`frame_error`): a sender
            // that goes on without resending it took noise for its ACK. Never when streaming: an
            // XMODEM sender needs the ACKs YMODEM-G does not send, and a YMODEM-G sender
            // takes our `G` asking for a lost header again for the go-ahead.
            self.proto = Proto::Xmodem;
            self.want_header = false;
            self.expected = 1;
        }
        if !self.started {
            let header = self.want_header && number == 0;
            self.start(header, Some(size));
            self.core.progress(now);
        }
        if self.want_header && number == 0 {
            return self.on_header(now);
        }
        if self.proto == Proto::Xmodem && self.file.is_none() && number == 0 {
            return self.fail(Error::Unsupported(Unsupported::YmodemToXmodem));
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
                    expected: self.expected_position(),
                    got: self.got_position(number),
                });
            }
            if crossed_timeout_nak {
                // Our ACK was lost, and the sender's own resend crossed the NAK we sent when
                // nothing came in time: it came sooner than any answer to that NAK could. The
                // NAK brings another copy; ACKing both would leave the sender a spare ACK,
                // which it would take for the next block's (ACKs carry no number). Answer the
                // copy the NAK asks for.
                return self.wait_block(now);
            }
            self.damaged = false;
            self.core.out.send(&[ACK]);
            if header_repeat {
                self.core.out.send(&[self.start_char()]);
            }
            self.wait_block(now);
        } else if self.streaming {
            self.fail(Error::Streaming {
                at: self.expected_position(),
                reason: RetryReason::BadSequence,
            });
        } else {
            self.fail(Error::OutOfSequence {
                expected: self.expected_position(),
                got: self.got_position(number),
            });
        }
    }

    /// The session's first block (a header when `header`, of `block` data bytes) or EOT has
    /// come: say what the session speaks.
    fn start(&mut self, header: bool, block: Option<usize>) {
        self.started = true;
        let protocol = if self.streaming {
            Protocol::YmodemG
        } else if header || self.proto == Proto::Ymodem {
            Protocol::Ymodem
        } else {
            Protocol::Xmodem
        };
        self.core.out.event(Event::Started {
            protocol,
            check: self.check,
            block,
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
                    self.core.out.send(&[ACK]);
                }
                self.core.out.event(Event::Finished);
                self.state = State::Done;
            }
            Some(info) => {
                self.core.progress(now);
                self.file = Some(FileState {
                    size: info.size,
                    header_crc: crc16(self.asm.data(usize::MAX)),
                    ..FileState::default()
                });
                self.core.out.file_start(info);
                if !self.streaming {
                    self.core.out.send(&[ACK]);
                }
                self.core.out.send(&[self.start_char()]);
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
            self.core.out.file_start(FileInfo::default());
        }
        file.data_started = true;
        let take = match file.size {
            Some(total) => (total.saturating_sub(file.received)).min(size as u64) as usize,
            None => size,
        };
        let offset = file.received;
        file.received += take as u64;
        self.core.progress(now);
        // `core.write`: bytes of `asm` to hand out as `WriteFile`.
        self.core.write = (take > 0).then_some((offset, take));
        self.bytes += take as u64;
        self.expected = self.expected.wrapping_add(1);
        self.errors = 0;
        self.damaged = false;
        self.eot_naked = false;
        self.timing.block_accepted();
        self.core.out.event(Event::Progress {
            bytes: file.received,
            frame: size,
        });
        if !self.streaming {
            self.core.out.send(&[ACK]);
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
            self.core.out.send(&[NAK]);
            return self.wait_block(now);
        }
        if self.damaged && !complete {
            // The block we NAKed was never resent: the sender took noise or a stale ACK for
            // its ACK, and the file would end without it.
            return self.fail(Error::PeerMisbehaved(PeerMisbehaved::EndedWithBlockDue));
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
            self.start(false, None);
        }
        self.core.progress(now);
        let file = self.file.take().unwrap_or_default();
        if self.proto != Proto::Ymodem && !file.data_started {
            // An empty XMODEM file: EOT straight away.
            self.core.out.file_start(FileInfo::default());
        }
        self.core.out.event(Event::FileEnd {
            bytes: file.received,
        });
        self.core.out.send(&[ACK]);
        if self.proto == Proto::Ymodem {
            // Ask for the next header.
            self.core.out.send(&[self.start_char()]);
            self.want_header = true;
            self.expected = 0;
            self.wait_block(now);
        } else {
            self.core.out.event(Event::Finished);
            self.state = State::Done;
        }
    }
}

impl Session for Receiver {
    const WAITING_FOR_START: &'static str = "the sender to start";
    const IDLE_PEER: Option<&'static str> = None;

    core::session_items!(State);

    fn timers(&self) -> Timers {
        let live = !self.is_over();
        // The start bound holds whatever the sender sends before it starts (junk, damaged
        // blocks, another protocol's headers): it bounds the whole handshake, not only
        // silence.
        self.core
            .receiver_timers(live, self.started, self.start_limit, self.state_deadline())
    }

    fn on_state_timeout(&mut self, now: Instant) {
        match self.state {
            // Handshake: nudging a silent sender is not a block error.
            State::Header { .. } if !self.started => self.nudge(now),
            // A block's worth of junk, then quiet (see `state_deadline`), or junk and then the
            // block timeout: a block was sent, so the sender must resend it.
            State::Header { junk, .. } if self.garbled(junk) => {
                self.error(now, RetryReason::Garbled);
            }
            State::Header { .. } => self.error(now, RetryReason::Timeout),
            State::Block { .. } => self.frame_error(now, RetryReason::Truncated),
            State::Purge { .. } => self.nudge(now),
            State::Done | State::Failed => {}
        }
    }

    fn on_input(&mut self, now: Instant, bytes: &[u8], previous: Option<Instant>) -> usize {
        if !bytes.is_empty() {
            // Inside a block or a purge the sender is still sending: the gap since the last
            // piece is how far apart this line delivers the bytes of one transmission.
            if let Some(last) = previous
                && matches!(self.state, State::Block { .. } | State::Purge { .. })
            {
                self.timing.piece(last, now);
            }
        }
        let mut used = 0;
        while used < bytes.len() {
            match self.state {
                State::Header { junk, .. } => {
                    let b = bytes[used];
                    used += 1;
                    if self.can.feed(b) {
                        self.fail(Error::PeerAborted(PeerAbort::Cancelled));
                        return bytes.len();
                    }
                    match b {
                        SOH | STX => {
                            self.timing.block_began(now);
                            self.asm.start(b, self.check);
                            self.state = State::Block {
                                deadline: now + self.byte_wait(),
                            };
                        }
                        EOT if junk == 0 => {
                            self.on_eot(now);
                            // Anything after EOT in this piece predates our answer.
                            return bytes.len();
                        }
                        // Junk before or between blocks: banners, echo, stray ZMODEM
                        // headers (the detect front end answers those).
                        _ => {
                            if let State::Header { junk, .. } = &mut self.state {
                                *junk += 1;
                            }
                        }
                    }
                }
                State::Block { .. } => {
                    used += self.asm.feed(&bytes[used..]);
                    if self.asm.is_complete() {
                        self.can.reset();
                        self.on_block(now);
                        if self.core.is_busy() {
                            return used;
                        }
                    } else {
                        self.state = State::Block {
                            deadline: now + self.byte_wait(),
                        };
                    }
                }
                State::Purge { limit, .. } => {
                    self.state = State::Purge {
                        quiet: now
                            + self.quiet(self.errors.saturating_sub(1), self.cfg.purge_quiet),
                        limit,
                    };
                    return bytes.len();
                }
                State::Done | State::Failed => return bytes.len(),
            }
        }
        used
    }
}

impl Engine for Receiver {
    core::engine_items!();

    fn poll_output(&mut self) -> Option<Output<'_>> {
        let over = self.is_over();
        self.core.poll(over, |len| self.asm.data(len))
    }

    fn provide_data(&mut self, _now: Instant, _data: &[u8]) {}
}
