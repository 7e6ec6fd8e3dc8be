//! The receiver engine: XMODEM, YMODEM batch, YMODEM-G, or whichever the sender speaks.

use std::time::{Duration, Instant};

use super::block::{ACK, Assembler, CRC_START, EOT, G_START, NAK, SMALL, SOH, STX};
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
    /// Errors allowed per block; reaching this number cancels (default 10).
    pub max_errors: u32,
    /// Answer the first EOT with NAK and only the repeated EOT with ACK (default true), unless
    /// the header's length shows the file is complete. A single line-noise byte then cannot
    /// end a file early; every sender resends EOT on NAK.
    pub nak_first_eot: bool,
    /// Once the session has started, the longest time without progress (new file data, a new
    /// file, a file's end) before the session fails with [`Error::NoProgress`] (default 100 s:
    /// what `max_errors` block timeouts take by default). It bounds a peer that keeps the
    /// session alive with a storm of repeated blocks, headers or EOTs, each of which is
    /// answered but none of which moves the transfer on.
    pub idle_limit: Duration,
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
            quiet_min: Duration::from_millis(50),
            char_time: None,
            max_errors: 10,
            nak_first_eot: true,
            idle_limit: Duration::from_secs(100),
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
/// For a header: [`Output::FileStart`] then the ACK, so a caller that cannot create the file
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
    /// A damaged frame that may have been the header came while a header was due (see
    /// `frame_error` and the XMODEM fallback in `on_block`).
    header_suspect: bool,
    /// Bytes that were not a block start came since we last answered. A sender that sent
    /// EOT waits in silence for our answer, so an EOT after junk is junk too (e.g. a 0x04 in
    /// the tail of a block we gave up on).
    junk: bool,
    /// How many such bytes: a block whose first byte was damaged arrives as a block's worth
    /// of them, and then the sender waits for our answer.
    junk_bytes: usize,
    file: Option<FileState>,
    /// Total bytes delivered over the session.
    bytes: u64,
    /// Bytes of `asm` to hand out as `WriteFile`, if any, and their offset in the file.
    deliver: Option<(u64, usize)>,
    /// When the transfer last moved on (the session started, new data, a new file or a
    /// file's end).
    last_progress: Instant,
    finished_polled: bool,
    /// When input last arrived: a purge ends a quiet time after it.
    last_input: Option<Instant>,
    /// The longest gap seen between two pieces of input inside a block (or a purge), less an
    /// eighth for every block accepted since: how far apart this line delivers the bytes of
    /// one transmission.
    gap: Duration,
    /// When we last answered (ACK, NAK, start character) once the session had started,
    /// until the next block begins.
    answered: Option<Instant>,
    /// The longest time from an answer to the start of the next block, less an eighth for
    /// every block accepted since: how long the sender takes to turn around.
    turn: Duration,
    /// When we last NAKed because no block came in time, until the next block.
    timeout_nak: Option<Instant>,
}

/// Bytes that were not a block start, since our last answer, that make a garbled block: half
/// the smallest block.
const GARBLED: usize = SMALL / 2;

/// A purge waits at least this many character times of quiet.
const QUIET_CHARS: u32 = 4;
/// A purge waits at least this many times the longest gap seen inside a block.
const QUIET_GAPS: u32 = 4;

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
            header_suspect: false,
            junk: false,
            junk_bytes: 0,
            file: None,
            bytes: 0,
            deliver: None,
            last_progress: now,
            finished_polled: false,
            last_input: None,
            gap: Duration::ZERO,
            answered: None,
            turn: Duration::ZERO,
            timeout_nak: None,
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
        self.junk_bytes = 0;
        self.answered = self.started.then_some(now);
        self.state = State::Header { deadline: wait };
    }

    /// The deadline of the state itself, without the idle limit.
    fn state_deadline(&self) -> Option<Instant> {
        match self.state {
            State::Header { deadline } if self.garbled() => {
                // A block whose first byte was damaged came as junk; the sender now waits
                // for our answer: NAK once the line is quiet, as for a block that failed its
                // check, rather than after the block timeout. Not before twice the sender's
                // turnaround, though: junk can also be the tail of a block held up past our
                // last answer, and the sender then resends at once without being asked again.
                let quiet = self
                    .quiet(self.errors, self.cfg.purge_quiet)
                    .max(self.turn.min(self.cfg.purge_quiet) * 2);
                Some(deadline.min(self.last_input.unwrap_or(deadline) + quiet))
            }
            State::Header { deadline } | State::Block { deadline } => Some(deadline),
            State::Purge { quiet, limit } => Some(quiet.min(limit)),
            State::Done | State::Failed => None,
        }
    }

    /// When the session fails for want of progress, once it has started.
    fn idle_deadline(&self) -> Option<Instant> {
        (self.started && !matches!(self.state, State::Done | State::Failed))
            .then(|| self.last_progress + self.cfg.idle_limit)
    }

    /// When the session fails if the sender has not started by then, whatever it sends
    /// before (junk, damaged blocks, another protocol's headers): the start timeout bounds
    /// the whole handshake, not only silence.
    fn start_deadline(&self) -> Option<Instant> {
        (!self.started && !matches!(self.state, State::Done | State::Failed))
            .then_some(self.start_limit)
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
        let base = self
            .cfg
            .quiet_min
            .max(self.cfg.char_time.unwrap_or_default() * QUIET_CHARS)
            .max(self.gap * QUIET_GAPS);
        base.saturating_mul(1 << errors.min(20)).min(cap)
    }

    /// A block's worth of bytes that did not start a block came since our last answer: a
    /// block whose first byte was damaged.
    fn garbled(&self) -> bool {
        self.started && self.junk_bytes >= GARBLED && self.last_input.is_some()
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
        if self.errors >= self.cfg.max_errors {
            return self.fail(Error::RetriesExhausted {
                at: self.expected_position(),
                attempts: self.errors,
                last: reason,
            });
        }
        self.out.event(Event::Retry {
            reason,
            attempt: self.errors,
        });
        // NAK once the line has been quiet long enough since the last input: the sender has
        // stopped and reads its input again. At once if it already has (a timeout, a block
        // cut short).
        let quiet =
            self.last_input.unwrap_or(now) + self.quiet(self.errors - 1, self.cfg.purge_quiet);
        if reason == RetryReason::Timeout || quiet <= now {
            if reason == RetryReason::Timeout && self.started {
                self.timeout_nak = Some(now);
            }
            self.nudge(now);
        } else {
            self.state = State::Purge {
                quiet,
                limit: now + self.cfg.block_timeout,
            };
        }
    }

    /// The frame being collected is damaged or cut short. One whose number and complement
    /// are nearer (in bits) to block 1's `01 FE` than to a header's `00 FF` was block 1 (the
    /// likelier reading under bit errors), not a header: an XMODEM sender whose first block
    /// was hit by noise. One nearer to `00 FF` may have been the header, in any mode (see the
    /// XMODEM fallback in `on_block`).
    fn frame_error(&mut self, now: Instant, reason: RetryReason) {
        self.timeout_nak = None;
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
        self.junk = false;
        self.junk_bytes = 0;
        self.answered = Some(now);
        self.state = State::Header {
            deadline: now + self.cfg.block_timeout,
        };
    }

    fn on_block(&mut self, now: Instant) {
        let (number, size) = match self.asm.verify(self.check) {
            Ok(b) => (b.number, b.data.len()),
            Err(reason) => return self.frame_error(now, reason),
        };
        let timeout_nak = self.timeout_nak.take();
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
            self.start(header);
            self.last_progress = now;
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
                    expected: self.expected_position(),
                    got: self.got_position(number),
                });
            }
            if timeout_nak.is_some_and(|at| now.saturating_duration_since(at) < self.turn / 2) {
                // Our ACK was lost, and the sender's own resend crossed the NAK we sent when
                // nothing came in time: it came sooner than any answer to that NAK could. The
                // NAK brings another copy; ACKing both would leave the sender a spare ACK,
                // which it would take for the next block's (ACKs carry no number). Answer the
                // copy the NAK asks for.
                return self.wait_block(now);
            }
            self.damaged = false;
            self.out.send(&[ACK]);
            if header_repeat {
                self.out.send(&[self.start_char()]);
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
                self.last_progress = now;
                self.file = Some(FileState {
                    size: info.size,
                    header_crc: crc16(self.asm.data(usize::MAX)),
                    ..FileState::default()
                });
                self.out.file_start(info);
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
            self.out.file_start(FileInfo::default());
        }
        file.data_started = true;
        let take = match file.size {
            Some(total) => (total.saturating_sub(file.received)).min(size as u64) as usize,
            None => size,
        };
        let offset = file.received;
        file.received += take as u64;
        self.last_progress = now;
        self.deliver = (take > 0).then_some((offset, take));
        self.bytes += take as u64;
        self.expected = self.expected.wrapping_add(1);
        self.errors = 0;
        self.damaged = false;
        self.eot_naked = false;
        self.gap -= self.gap / 8;
        self.turn -= self.turn / 8;
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
        self.last_progress = now;
        let file = self.file.take().unwrap_or_default();
        if self.proto != Proto::Ymodem && !file.data_started {
            // An empty XMODEM file: EOT straight away.
            self.out.file_start(FileInfo::default());
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
        if self.idle_deadline().is_some_and(|d| now >= d) {
            // Input keeps coming (so no timeout fires), but nothing moves on: a storm.
            self.fail(Error::NoProgress {
                limit: self.cfg.idle_limit,
            });
            return bytes.len();
        }
        if self.start_deadline().is_some_and(|d| now >= d) {
            // The same for a sender that never starts but keeps the line busy.
            self.fail(Error::Timeout {
                waiting_for: "the sender to start",
            });
            return bytes.len();
        }
        if !bytes.is_empty() {
            // Inside a block or a purge the sender is still sending: the gap since the last
            // piece is how far apart this line delivers the bytes of one transmission.
            if let Some(last) = self.last_input
                && matches!(self.state, State::Block { .. } | State::Purge { .. })
            {
                self.gap = self.gap.max(now.saturating_duration_since(last));
            }
            self.last_input = Some(now);
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
                            if let Some(at) = self.answered.take() {
                                self.turn = self.turn.max(now.saturating_duration_since(at));
                            }
                            self.asm.start(b, self.check);
                            self.state = State::Block {
                                deadline: now + self.byte_wait(),
                            };
                        }
                        EOT if !self.junk => {
                            self.on_eot(now);
                            // Anything after EOT in this piece predates our answer.
                            return bytes.len();
                        }
                        // Junk before or between blocks: banners, echo, stray ZMODEM
                        // headers (the detect front end answers those).
                        _ => {
                            self.junk = true;
                            self.junk_bytes += 1;
                        }
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

    fn handle_timeout(&mut self, now: Instant) {
        if self.deliver.is_some()
            || self.out.is_pending()
            || self.poll_timeout().is_none_or(|d| now < d)
        {
            return;
        }
        if self.start_deadline().is_some_and(|d| now >= d) {
            return self.fail(Error::Timeout {
                waiting_for: "the sender to start",
            });
        }
        if self.state_deadline().is_none_or(|d| now < d) {
            // Only the idle limit has come (when both come at once, the state's own rule
            // fails with the more telling error, e.g. retries exhausted).
            return self.fail(Error::NoProgress {
                limit: self.cfg.idle_limit,
            });
        }
        match self.state {
            // Handshake: nudging a silent sender is not a block error.
            State::Header { .. } if !self.started => self.nudge(now),
            // A block's worth of junk, then quiet (see `poll_timeout`), or junk and then the
            // block timeout: a block was sent, so the sender must resend it.
            State::Header { .. } if self.garbled() => self.error(now, RetryReason::Garbled),
            State::Header { .. } => self.error(now, RetryReason::Timeout),
            State::Block { .. } => self.frame_error(now, RetryReason::Truncated),
            State::Purge { .. } => self.nudge(now),
            State::Done | State::Failed => {}
        }
        if self.idle_deadline().is_some_and(|d| now >= d) {
            // Both had come: the state's rule went first, and the session is still idle.
            self.fail(Error::NoProgress {
                limit: self.cfg.idle_limit,
            });
        }
    }

    fn poll_output(&mut self) -> Option<Output<'_>> {
        if let Some(out) = self.out.pop_event() {
            return Some(out);
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
        [self.idle_deadline(), self.start_deadline()]
            .into_iter()
            .flatten()
            .fold(self.state_deadline(), |d, limit| {
                Some(d.map_or(limit, |d| d.min(limit)))
            })
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
