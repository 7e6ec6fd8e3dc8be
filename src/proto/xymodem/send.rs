//! The sender engine: XMODEM (one file) or a YMODEM batch, YMODEM-G when the receiver asks.

use std::time::Instant;

use super::block::{self, ACK, CRC_START, EOT, G_START, LARGE, NAK, SMALL};
use super::config::{SendMode, SenderConfig};
use super::header;
use crate::proto::cancel::CanDetector;
use crate::proto::core::{self, Core, Session, Timer, Timers};
use crate::proto::file::{Batch, FileInfo};
use crate::proto::{
    Abort, Check, Engine, Error, Event, PeerAbort, Position, Protocol, RetryReason,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for NAK / `C` / `G`: before the session, and (YMODEM) before each later header.
    /// At the deadline the first wait fails; a later one sends the header anyway.
    WaitStart {
        deadline: Instant,
        first: bool,
    },
    /// YMODEM: a header was acknowledged (or, streaming, sent); waiting for the `C` (`G`)
    /// that asks for the data. At the deadline the data goes out anyway (not streaming).
    WaitGo {
        deadline: Instant,
    },
    /// Asked the caller for file data.
    NeedData,
    /// A block (header or data) is out; waiting for its ACK.
    WaitAck {
        deadline: Instant,
    },
    /// YMODEM-G: the next block goes out at `at` (now), after a look at the input.
    Stream {
        at: Instant,
    },
    /// EOT is out; waiting for its ACK.
    WaitEotAck {
        deadline: Instant,
    },
    Done,
    Failed,
}

/// What the block in flight is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flight {
    /// A header (block 0), for file `files[index]` or, past the end, the empty end of batch.
    Header,
    /// A data block.
    Data,
}

/// Sends one file with XMODEM, or a batch with YMODEM / YMODEM-G.
///
/// Bytes other than NAK, `C`, `G`, ACK and CAN are ignored, so device banners and echo before
/// the handshake do no harm. A `C` or NAK while a block waits for its ACK means "send it
/// again" (U-Boot answers a bad block with `C`). The caller learns which file to read from
/// [`Output::FileStart`](crate::proto::Output::FileStart); data is then requested with [`Output::ReadFile`](crate::proto::Output::ReadFile).
#[derive(Debug)]
pub struct Sender {
    /// The output queue, the limits, the progress times: what every engine shares.
    core: Core,
    cfg: SenderConfig,
    /// The files, and the one being sent.
    batch: Batch,
    state: State,
    can: CanDetector,
    check: Check,
    streaming: bool,
    /// Bytes of the block in flight (header or data) and what it is.
    data: Vec<u8>,
    pos: usize,
    block: (usize, usize),
    block_size: usize,
    flight: Flight,
    number: u8,
    eof: bool,
    /// Bytes of the current file asked for so far: the offset of the next read.
    read_offset: u64,
    /// A data block has been ACKed in this session (YDOC88: a `C` before that selects CRC).
    acked_data: bool,
    /// The first data block went out without the receiver's `C`: the first `C` that follows
    /// is its late "go on", not a request to resend. Resending would make the receiver ACK
    /// twice, and the spare ACK would be taken for the next block's.
    absorb_late_c: bool,
    errors: u32,
    acked_bytes: u64,
    /// The last frame of the session went unanswered once already (see
    /// [`SenderConfig::end_timeout`]).
    end_silent: bool,
}

impl Sender {
    /// A sender of `files` that starts waiting for the receiver at `now`. XMODEM sends exactly
    /// one file (its name is not used); YMODEM sends the batch, which may be empty.
    pub fn new(cfg: SenderConfig, files: Vec<FileInfo>, now: Instant) -> Self {
        let deadline = now + cfg.limits.start;
        Self {
            core: Core::new(cfg.limits),
            cfg,
            batch: Batch::new(files),
            state: State::WaitStart {
                deadline,
                first: true,
            },
            can: CanDetector::default(),
            check: Check::Checksum,
            streaming: false,
            data: Vec::with_capacity(LARGE),
            pos: 0,
            block: (0, 0),
            block_size: SMALL,
            flight: Flight::Data,
            number: 1,
            eof: false,
            read_offset: 0,
            acked_data: false,
            absorb_late_c: false,
            errors: 0,
            acked_bytes: 0,
            end_silent: false,
        }
    }

    /// An XMODEM sender for one file.
    pub fn xmodem(cfg: SenderConfig, now: Instant) -> Self {
        let cfg = SenderConfig {
            mode: SendMode::Xmodem,
            ..cfg
        };
        Self::new(cfg, vec![FileInfo::default()], now)
    }

    /// The check in use (valid once started).
    pub fn check(&self) -> Check {
        self.check
    }

    /// True if the receiver asked for YMODEM-G.
    pub fn is_streaming(&self) -> bool {
        self.streaming
    }

    fn read_size(&self) -> usize {
        if self.cfg.one_k || self.streaming {
            LARGE
        } else {
            SMALL
        }
    }

    /// The receiver asked to start (or for the next header) with `c`.
    fn on_start(&mut self, now: Instant, c: u8, first: bool) {
        if first {
            self.core.progress(now);
            self.check = if c == NAK {
                Check::Checksum
            } else {
                Check::Crc16
            };
            self.streaming = c == G_START && self.cfg.mode == SendMode::Ymodem;
            let protocol = match (self.cfg.mode, self.streaming) {
                (SendMode::Xmodem, _) => Protocol::Xmodem,
                (SendMode::Ymodem, false) => Protocol::Ymodem,
                (SendMode::Ymodem, true) => Protocol::YmodemG,
            };
            self.core.out.event(Event::Started {
                protocol,
                check: self.check,
                block: Some(self.read_size()),
            });
        }
        match self.cfg.mode {
            SendMode::Xmodem => self.start_file(now),
            SendMode::Ymodem => self.send_header(now),
        }
    }

    /// YMODEM: send the header of `files[index]`, or the empty end-of-batch header.
    fn send_header(&mut self, now: Instant) {
        self.data.clear();
        let size = match self.batch.current() {
            Some(info) => match header::encode(info, &mut self.data) {
                Ok(size) => size,
                Err(e) => {
                    return self.fail(Error::Aborted(Abort::Local(e.to_string())));
                }
            },
            None => {
                self.data.resize(SMALL, 0);
                SMALL
            }
        };
        self.block = (0, self.data.len());
        self.pos = self.data.len();
        self.block_size = size;
        self.number = 0;
        self.flight = Flight::Header;
        self.errors = 0;
        self.end_silent = false;
        self.transmit_block(now);
    }

    /// Begin the data of `files[index]`.
    fn start_file(&mut self, now: Instant) {
        if let Some(info) = self.batch.current() {
            self.core.out.file_start(info.clone());
        }
        self.number = 1;
        self.eof = false;
        self.read_offset = 0;
        self.acked_bytes = 0;
        self.data.clear();
        self.pos = 0;
        self.flight = Flight::Data;
        self.next_block(now);
    }

    /// Send the next block, or ask for data, or send EOT.
    fn next_block(&mut self, now: Instant) {
        if self.pos >= self.data.len() {
            if self.eof {
                self.core.out.send(&[EOT]);
                self.errors = 0;
                self.end_silent = false;
                self.state = State::WaitEotAck {
                    deadline: self.eot_deadline(now),
                };
                return;
            }
            self.data.clear();
            self.pos = 0;
            self.core
                .out
                .request_read(self.read_offset, self.read_size());
            self.state = State::NeedData;
            return;
        }
        let left = self.data.len() - self.pos;
        // 1K blocks, except for a short tail once the file has ended: then 128-byte blocks
        // cost fewer bytes on the wire than one padded 1K block. YMODEM-G always sends 1K.
        let one_k = self.cfg.one_k || self.streaming;
        let tail = self.eof && left <= self.cfg.tail_threshold && !self.streaming;
        self.block_size = if one_k && !tail { LARGE } else { SMALL };
        let len = left.min(self.block_size);
        self.block = (self.pos, len);
        self.pos += len;
        self.errors = 0;
        self.transmit_block(now);
    }

    /// (Re)send the block in flight. Its size never changes on a resend.
    fn transmit_block(&mut self, now: Instant) {
        let (start, len) = self.block;
        block::encode(
            self.core.out.tx(),
            self.number,
            &self.data[start..start + len],
            self.block_size,
            self.check,
            if self.flight == Flight::Header {
                0
            } else {
                self.cfg.pad
            },
        );
        self.state = match (self.streaming, self.flight) {
            (true, Flight::Data) => {
                self.on_block_done(now);
                return;
            }
            (true, Flight::Header) if self.batch.is_done() => {
                // The end-of-batch header: YMODEM-G receivers do not answer it.
                self.finish();
                return;
            }
            (true, Flight::Header) => State::WaitGo {
                deadline: now + self.cfg.limits.answer,
            },
            (false, _) if self.is_end_of_batch() => State::WaitAck {
                deadline: now + self.cfg.end_timeout / 2,
            },
            (false, _) => State::WaitAck {
                deadline: now + self.cfg.limits.answer,
            },
        };
    }

    /// The frame in flight is the empty header that ends a YMODEM batch.
    fn is_end_of_batch(&self) -> bool {
        self.flight == Flight::Header && self.batch.is_done()
    }

    /// When to give up waiting for the answer to an EOT sent `now`: XMODEM's EOT is the last
    /// frame of the session and waits half the end timeout (then once more).
    fn eot_deadline(&self, now: Instant) -> Instant {
        match self.cfg.mode {
            SendMode::Xmodem => now + self.cfg.end_timeout / 2,
            SendMode::Ymodem => now + self.cfg.limits.answer,
        }
    }

    /// What the frame in flight is, for errors.
    fn position(&self) -> Position {
        match (self.state, self.flight) {
            (State::WaitEotAck { .. }, _) => Position::EndOfFile,
            (_, Flight::Header) if self.is_end_of_batch() => Position::EndOfBatch,
            (_, Flight::Header) => Position::Header,
            (_, Flight::Data) => Position::Block(u64::from(self.number)),
        }
    }

    /// The receiver is gone after the last frame of the session (`at`), every frame before it
    /// acknowledged: the end is delivered but unconfirmed, and nothing more is sent.
    fn receiver_gone(&mut self, now: Instant, at: Position) {
        self.core.out.clear_tx();
        self.end_silent = true;
        self.end_silence(now, at);
    }

    /// The last frame of the session (`at`) went unanswered for half the end timeout: send it
    /// once more, and the next time take the end as delivered but unconfirmed.
    fn end_silence(&mut self, now: Instant, at: Position) {
        if !self.end_silent {
            self.end_silent = true;
            return match at {
                Position::EndOfFile => self.resend_eot(now, RetryReason::Timeout, true),
                _ => self.resend_block(now, RetryReason::Timeout),
            };
        }
        self.core.out.event(Event::EndUnconfirmed { at });
        match at {
            Position::EndOfFile => self.on_eot_acked(now),
            _ => self.finish(),
        }
    }

    fn finish(&mut self) {
        self.state = State::Done;
        self.core.out.event(Event::Finished);
    }

    /// Count an error on the block in flight and send it again, or give up.
    fn resend_block(&mut self, now: Instant, reason: RetryReason) {
        if self.count_error(reason, true) {
            self.transmit_block(now);
        }
    }

    /// Count an error on EOT and send it again, or give up.
    fn resend_eot(&mut self, now: Instant, reason: RetryReason, report: bool) {
        if self.count_error(reason, report) {
            self.core.out.send(&[EOT]);
            self.state = State::WaitEotAck {
                deadline: self.eot_deadline(now),
            };
        }
    }

    /// Count an error on the block in flight (or EOT); true if it may go on.
    fn count_error(&mut self, reason: RetryReason, report: bool) -> bool {
        if reason != RetryReason::Timeout {
            // The receiver answered: it is there, so the end's wait starts again.
            self.end_silent = false;
        }
        self.errors += 1;
        if self.errors >= self.cfg.limits.max_errors {
            self.fail(Error::RetriesExhausted {
                at: self.position(),
                attempts: self.errors,
                last: reason,
            });
            return false;
        }
        if report {
            self.core.out.event(Event::Retry {
                reason,
                attempt: self.errors,
            });
        }
        true
    }

    /// The block in flight was acknowledged (or, streaming, sent).
    fn on_block_done(&mut self, now: Instant) {
        self.core.progress(now);
        match self.flight {
            Flight::Header if self.batch.is_done() => self.finish(),
            Flight::Header => {
                self.state = State::WaitGo {
                    deadline: now + self.cfg.header_c_wait,
                };
            }
            Flight::Data => {
                self.acked_data = true;
                self.acked_bytes += self.block.1 as u64;
                self.number = self.number.wrapping_add(1);
                self.core.out.event(Event::Progress {
                    bytes: self.acked_bytes,
                    frame: self.block_size,
                });
                if self.streaming {
                    // Look at the input (a CAN) before the next block.
                    self.state = State::Stream { at: now };
                } else {
                    self.next_block(now);
                }
            }
        }
    }

    fn on_eot_acked(&mut self, now: Instant) {
        self.core.progress(now);
        self.core.out.event(Event::FileEnd {
            bytes: self.acked_bytes,
        });
        self.batch.advance();
        match self.cfg.mode {
            SendMode::Xmodem => self.finish(),
            SendMode::Ymodem => {
                self.state = State::WaitStart {
                    deadline: now + self.cfg.limits.answer,
                    first: false,
                };
            }
        }
    }
}

impl Session for Sender {
    const WAITING_FOR_START: &'static str = "the receiver to start (NAK, C or G)";
    const IDLE_PEER: Option<&'static str> = Some("receiver");

    core::session_items!(State);

    fn timers(&self) -> Timers {
        let state = match self.state {
            State::WaitStart { deadline, .. }
            | State::WaitGo { deadline }
            | State::WaitAck { deadline }
            | State::WaitEotAck { deadline } => Some(deadline),
            State::Stream { at } => Some(at),
            State::NeedData | State::Done | State::Failed => None,
        };
        // From the receiver's start; not while the file is being read (our time).
        let idle = match self.state {
            State::WaitStart { first: true, .. }
            | State::NeedData
            | State::Done
            | State::Failed => None,
            _ => self.core.idle_at(),
        };
        Timers::default()
            .with(Timer::State, state)
            .with(Timer::Idle, idle)
    }

    fn on_state_timeout(&mut self, now: Instant) {
        match self.state {
            State::WaitStart { first: true, .. } => self.fail(core::start_error::<Self>()),
            // No `C` before a later header: send it anyway, as lrzsz does.
            State::WaitStart { first: false, .. } => self.send_header(now),
            State::WaitGo { .. } if self.streaming => self.fail(Error::Timeout {
                waiting_for: "the receiver's G after the file header",
            }),
            State::WaitGo { .. } => {
                // No `C` after the header ACK (U-Boot never sends one): go anyway.
                self.absorb_late_c = true;
                self.start_file(now);
            }
            State::WaitAck { .. } if self.is_end_of_batch() => {
                self.end_silence(now, Position::EndOfBatch);
            }
            State::WaitAck { .. } => self.resend_block(now, RetryReason::Timeout),
            State::Stream { .. } => self.next_block(now),
            State::WaitEotAck { .. } if self.cfg.mode == SendMode::Xmodem => {
                self.end_silence(now, Position::EndOfFile);
            }
            State::WaitEotAck { .. } => self.resend_eot(now, RetryReason::Timeout, true),
            State::NeedData | State::Done | State::Failed => {}
        }
    }

    fn on_input(&mut self, now: Instant, bytes: &[u8], _previous: Option<Instant>) -> usize {
        // A sender receives no data, so CAN CAN anywhere in the input is the peer cancelling,
        // whatever else came with it.
        if bytes.iter().any(|&b| self.can.feed(b)) {
            if !matches!(self.state, State::Done | State::Failed) {
                self.fail(Error::PeerAborted(PeerAbort::Cancelled));
            }
            return bytes.len();
        }
        for (i, &b) in bytes.iter().enumerate() {
            match (self.state, b) {
                (State::WaitStart { first, .. }, NAK | CRC_START | G_START) => {
                    // Use the last start character of the piece: a receiver that went from
                    // `C` to NAK while we were not listening means NAK.
                    let last = bytes[i..]
                        .iter()
                        .rev()
                        .find(|&&c| matches!(c, NAK | CRC_START | G_START))
                        .copied()
                        .unwrap_or(b);
                    self.on_start(now, last, first);
                    return bytes.len();
                }
                (State::WaitGo { .. }, CRC_START | G_START | NAK) => {
                    if self.streaming && b != G_START {
                        continue;
                    }
                    self.absorb_late_c = false;
                    self.start_file(now);
                    return bytes.len();
                }
                (State::WaitAck { .. }, ACK) => {
                    self.absorb_late_c = false;
                    let header = self.flight == Flight::Header;
                    self.on_block_done(now);
                    if header && !self.batch.is_done() {
                        // "ACK C" often arrives in one piece: the C is the go-ahead.
                        continue;
                    }
                    // The rest of this piece was sent before the receiver could see our next
                    // block: stale.
                    return bytes.len();
                }
                (State::WaitAck { .. }, CRC_START) if self.absorb_late_c => {
                    self.absorb_late_c = false;
                }
                (State::WaitAck { .. }, NAK | CRC_START) => {
                    if b == CRC_START && !self.acked_data && self.flight == Flight::Data {
                        // YDOC88 §8.2.3: a `C` before the first ACK selects CRC mode.
                        self.check = Check::Crc16;
                    }
                    self.resend_block(now, RetryReason::Nak);
                    return bytes.len();
                }
                (State::WaitEotAck { .. }, ACK) => {
                    self.on_eot_acked(now);
                    // A YMODEM receiver's "ACK C" in one piece: let the C ask for the next
                    // header.
                    if self.cfg.mode == SendMode::Ymodem {
                        continue;
                    }
                    return bytes.len();
                }
                (State::WaitEotAck { .. }, NAK) => {
                    // Receivers that guard against a false EOT NAK the first one: expected,
                    // so not reported.
                    let report = self.errors > 0;
                    self.resend_eot(now, RetryReason::EndNak, report);
                    return bytes.len();
                }
                // Text after the last frame of the session: the receiver has ended (its last
                // ACK lost, as lrzsz's on a pty) and what runs after it (a shell's prompt) is
                // talking. The end is as a hang-up's: sending the frame again would type it
                // there (an EOT is a shell's Ctrl-D).
                (State::WaitEotAck { .. }, b)
                    if self.cfg.mode == SendMode::Xmodem && is_text(b) =>
                {
                    self.receiver_gone(now, Position::EndOfFile);
                    return bytes.len();
                }
                (State::WaitAck { .. }, b) if self.is_end_of_batch() && is_text(b) => {
                    self.receiver_gone(now, Position::EndOfBatch);
                    return bytes.len();
                }
                // Stray bytes (e.g. U-Boot's second ACK after EOT) are harmless.
                _ => {}
            }
        }
        bytes.len()
    }
}

/// Text, not an answer: what a shell or a boot monitor prints (printable characters, CR, LF,
/// ESC), but not the start characters a receiver answers with.
fn is_text(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | 0x1B | 0x20..=0x7E) && !matches!(b, CRC_START | G_START)
}

impl Engine for Sender {
    core::engine_items!(sender);

    fn provide_data(&mut self, now: Instant, data: &[u8]) {
        if self.state != State::NeedData {
            return;
        }
        // Time spent reading the file is ours, not the receiver's.
        self.core.progress(now);
        let max = self.read_size();
        let data = &data[..data.len().min(max)];
        self.eof = data.len() < max;
        self.read_offset += data.len() as u64;
        self.data.extend_from_slice(data);
        self.pos = 0;
        self.next_block(now);
    }

    fn handle_hang_up(&mut self, now: Instant) -> bool {
        // The receiver left after the last frame: lrzsz `rx`/`rb` exit right after their last
        // ACK, and on a pty that ACK may have been flushed away.
        let at = match self.state {
            State::WaitEotAck { .. } if self.cfg.mode == SendMode::Xmodem => Position::EndOfFile,
            State::WaitAck { .. } if self.is_end_of_batch() => Position::EndOfBatch,
            _ => return false,
        };
        self.receiver_gone(now, at);
        true
    }
}
