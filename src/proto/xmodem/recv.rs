//! The XMODEM receiver engine.

use std::time::{Duration, Instant};

use crate::proto::block::{ACK, Assembler, CRC_START, EOT, NAK, SOH, STX};
use crate::proto::cancel::{CANCEL_SEQUENCE, CanDetector};
use crate::proto::{Abort, Check, Engine, Error, Event, Outbox, Output, RetryReason};

/// Receiver settings. The defaults are the ones documented in the README.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// The check to ask for first: CRC-16 (start with `C`, the default) or
    /// checksum (start with NAK).
    pub check: Check,
    /// Time between start characters while no block has come (default 3 s).
    pub start_interval: Duration,
    /// In CRC mode, fall back to NAK and checksum after this many
    /// unanswered `C`s (default 4; `None` never falls back).
    pub crc_attempts: Option<u32>,
    /// How long to wait for the sender to start at all (default 60 s).
    pub start_timeout: Duration,
    /// How long to wait for the next block after an ACK or NAK (default 10 s).
    pub block_timeout: Duration,
    /// Longest gap between two bytes of one block (default 1 s).
    pub byte_timeout: Duration,
    /// Before a NAK, input is discarded until the line has been quiet this
    /// long, so the sender has finished and will see the NAK (default 1 s).
    pub purge_quiet: Duration,
    /// Errors allowed per block; reaching this number cancels (default 10).
    pub max_errors: u32,
    /// Answer the first EOT with NAK and only the repeated EOT with ACK
    /// (default true). A single line-noise byte then cannot end a file early;
    /// every sender resends EOT on NAK.
    pub nak_first_eot: bool,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
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
    /// Waiting for a block header, SOH/STX/EOT; `deadline` is when we nudge
    /// the sender again (start character or NAK).
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

/// Receives one file with XMODEM; accepts 128- and 1024-byte blocks mixed.
///
/// Data comes out as [`Output::WriteFile`] with the padding of the last block
/// included (XMODEM carries no length). The ACK for a block is queued after
/// its data, so a caller that fails to store the data can still
/// [`abort`](Engine::abort) before the sender sees an ACK.
#[derive(Debug)]
pub struct Receiver {
    cfg: ReceiverConfig,
    state: State,
    out: Outbox,
    can: CanDetector,
    asm: Assembler,
    check: Check,
    /// The block number we expect next.
    expected: u8,
    /// True once the first block has been accepted.
    started: bool,
    /// Start characters sent so far, and the time the sender has to start.
    starts_sent: u32,
    start_limit: Instant,
    errors: u32,
    eot_naked: bool,
    bytes: u64,
    /// Bytes of `asm` to hand out as `WriteFile`, if any.
    deliver: Option<usize>,
    finished_polled: bool,
}

impl Receiver {
    /// A receiver that sends its first start character at `now`.
    pub fn new(cfg: ReceiverConfig, now: Instant) -> Self {
        let mut r = Self {
            check: cfg.check,
            start_limit: now + cfg.start_timeout,
            cfg,
            state: State::Done,
            out: Outbox::default(),
            can: CanDetector::default(),
            asm: Assembler::default(),
            expected: 1,
            started: false,
            starts_sent: 0,
            errors: 0,
            eot_naked: false,
            bytes: 0,
            deliver: None,
            finished_polled: false,
        };
        r.send_start(now);
        r
    }

    /// The check in use.
    pub fn check(&self) -> Check {
        self.check
    }

    /// File bytes received so far (padding included).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Send the start character (or NAK once started) and wait for a header.
    fn send_start(&mut self, now: Instant) {
        if self.started {
            self.out.send(&[NAK]);
            self.state = State::Header {
                deadline: now + self.cfg.block_timeout,
            };
            return;
        }
        if self.check == Check::Crc16
            && self.cfg.crc_attempts.is_some_and(|n| self.starts_sent >= n)
        {
            self.check = Check::Checksum;
        }
        self.starts_sent += 1;
        let c = match self.check {
            Check::Crc16 => CRC_START,
            Check::Checksum => NAK,
        };
        self.out.send(&[c]);
        self.state = State::Header {
            deadline: (now + self.cfg.start_interval).min(self.start_limit),
        };
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
        self.errors += 1;
        if self.errors >= self.cfg.max_errors {
            self.fail(Error::RetriesExhausted {
                block: u64::from(self.expected),
                attempts: self.errors,
                last: reason,
            });
            return;
        }
        self.out.event(Event::Retry {
            reason,
            attempt: self.errors,
        });
        if reason == RetryReason::Timeout {
            // The line is already quiet: no purge needed.
            self.send_start(now);
        } else {
            self.state = State::Purge {
                quiet: now + self.cfg.purge_quiet,
                limit: now + self.cfg.block_timeout,
            };
        }
    }

    fn on_block(&mut self, now: Instant) {
        let header_wait = State::Header {
            deadline: now + self.cfg.block_timeout,
        };
        let (number, size) = match self.asm.verify(self.check) {
            Ok(b) => (b.number, b.data.len()),
            Err(reason) => return self.error(now, reason),
        };
        if number == self.expected {
            if !self.started {
                self.started = true;
                self.out.event(Event::Started { check: self.check });
            }
            self.deliver = Some(size);
            self.out.send(&[ACK]);
            self.expected = self.expected.wrapping_add(1);
            self.errors = 0;
            self.eot_naked = false;
            self.bytes += size as u64;
            self.out.event(Event::Progress {
                bytes: self.bytes,
                block_size: size,
            });
            self.state = header_wait;
        } else if self.started && number == self.expected.wrapping_sub(1) {
            // Our ACK was lost and the sender repeated the block.
            self.out.send(&[ACK]);
            self.state = header_wait;
        } else if !self.started && number == 0 {
            self.fail(Error::Incompatible(
                "the sender uses YMODEM (it sent a block 0 file header); receive with --ymodem",
            ));
        } else {
            self.fail(Error::OutOfSequence {
                expected: self.expected,
                got: number,
            });
        }
    }

    fn on_eot(&mut self, now: Instant) {
        if self.cfg.nak_first_eot && !self.eot_naked {
            self.eot_naked = true;
            self.out.send(&[NAK]);
            self.state = State::Header {
                deadline: now + self.cfg.block_timeout,
            };
        } else {
            self.out.send(&[ACK]);
            if !self.started {
                self.out.event(Event::Started { check: self.check });
            }
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
                        EOT => {
                            self.on_eot(now);
                            // Anything after EOT in this piece predates our answer.
                            return bytes.len();
                        }
                        // Junk before or between blocks: banners, echo,
                        // stray ZMODEM headers. Ignore it.
                        _ => {}
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
        if self.deliver.is_some() || self.out.is_pending() {
            return;
        }
        match self.state {
            State::Header { deadline } if now >= deadline => {
                if !self.started && now >= self.start_limit {
                    self.fail(Error::Timeout {
                        waiting_for: "the sender to start",
                    });
                } else if !self.started {
                    // Handshake: nudging a silent sender is not a block error.
                    self.send_start(now);
                } else {
                    self.error(now, RetryReason::Timeout);
                }
            }
            State::Block { deadline } if now >= deadline => {
                self.error(now, RetryReason::ShortBlock);
            }
            State::Purge { quiet, limit } if now >= quiet.min(limit) => {
                self.send_start(now);
            }
            _ => {}
        }
    }

    fn poll_output(&mut self) -> Option<Output<'_>> {
        if let Some(len) = self.deliver.take() {
            return Some(Output::WriteFile(self.asm.data(len)));
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
