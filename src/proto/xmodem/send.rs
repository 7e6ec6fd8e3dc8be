//! The XMODEM sender engine.

use std::time::{Duration, Instant};

use crate::proto::block::{self, ACK, CRC_START, EOT, G_START, LARGE, NAK, SMALL};
use crate::proto::cancel::{CANCEL_SEQUENCE, CanDetector};
use crate::proto::{Abort, Check, Engine, Error, Event, Outbox, Output, RetryReason};

/// Sender settings. The defaults are the ones documented in the README.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Send 1024-byte (STX) blocks instead of 128-byte (SOH) ones.
    pub one_k: bool,
    /// In 1K mode, a file tail of at most this many bytes goes out as
    /// 128-byte blocks, which costs fewer bytes on the wire than one padded
    /// 1K block (lrzsz uses 896 = 7 x 128). 0 disables the switch.
    pub tail_threshold: usize,
    /// How long to wait for the receiver's first NAK or `C` (default 60 s).
    pub start_timeout: Duration,
    /// How long to wait for the answer to a block or EOT before sending it
    /// again (default 10 s).
    pub ack_timeout: Duration,
    /// Errors allowed per block (NAKs and timeouts); reaching this number
    /// cancels the transfer (default 10).
    pub max_errors: u32,
    /// Byte used to pad the last block (default 0x1A, CP/M EOF).
    pub pad: u8,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            one_k: false,
            tail_threshold: 7 * SMALL,
            start_timeout: Duration::from_secs(60),
            ack_timeout: Duration::from_secs(10),
            max_errors: 10,
            pad: block::PAD,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the receiver's NAK or `C`.
    WaitStart {
        deadline: Instant,
    },
    /// Asked the caller for file data.
    NeedData,
    /// A block is out; waiting for its ACK.
    WaitAck {
        deadline: Instant,
    },
    /// EOT is out; waiting for its ACK.
    WaitEotAck {
        deadline: Instant,
    },
    Done,
    Failed,
}

/// Sends one file with XMODEM (checksum, CRC-16 or 1K blocks).
///
/// Bytes other than NAK, `C`, ACK and CAN are ignored, so device banners
/// and echo before the handshake do no harm. A `C` or NAK at any time means
/// "send the block again" (U-Boot answers a bad block with `C`).
#[derive(Debug)]
pub struct Sender {
    cfg: SenderConfig,
    state: State,
    out: Outbox,
    can: CanDetector,
    check: Check,
    /// File bytes read but not yet acknowledged; `pos..` is unsent.
    data: Vec<u8>,
    pos: usize,
    /// The block in flight: its data range in `data`, number and size.
    block: (usize, usize),
    block_size: usize,
    number: u8,
    eof: bool,
    acked_once: bool,
    errors: u32,
    acked_bytes: u64,
    finished_polled: bool,
}

impl Sender {
    /// A sender that starts waiting for the receiver at `now`.
    pub fn new(cfg: SenderConfig, now: Instant) -> Self {
        let deadline = now + cfg.start_timeout;
        Self {
            cfg,
            state: State::WaitStart { deadline },
            out: Outbox::default(),
            can: CanDetector::default(),
            check: Check::Checksum,
            data: Vec::with_capacity(LARGE),
            pos: 0,
            block: (0, 0),
            block_size: SMALL,
            number: 1,
            eof: false,
            acked_once: false,
            errors: 0,
            acked_bytes: 0,
            finished_polled: false,
        }
    }

    /// The check in use (valid once started).
    pub fn check(&self) -> Check {
        self.check
    }

    fn read_size(&self) -> usize {
        if self.cfg.one_k { LARGE } else { SMALL }
    }

    /// Send the next block, or ask for data, or send EOT.
    fn next_block(&mut self, now: Instant) {
        if self.pos >= self.data.len() {
            if self.eof {
                self.out.send(&[EOT]);
                self.errors = 0;
                self.state = State::WaitEotAck {
                    deadline: now + self.cfg.ack_timeout,
                };
                return;
            }
            self.data.clear();
            self.pos = 0;
            self.out.request_read(self.read_size());
            self.state = State::NeedData;
            return;
        }
        let left = self.data.len() - self.pos;
        // 1K blocks, except for a short tail once the file has ended: then
        // 128-byte blocks cost fewer bytes on the wire than one padded 1K block.
        self.block_size = if self.cfg.one_k && !(self.eof && left <= self.cfg.tail_threshold) {
            LARGE
        } else {
            SMALL
        };
        let len = left.min(self.block_size);
        self.block = (self.pos, len);
        self.pos += len;
        self.errors = 0;
        self.transmit_block(now);
    }

    /// (Re)send the block in flight. Its size never changes on a resend.
    fn transmit_block(&mut self, now: Instant) {
        let (start, len) = self.block;
        let data = &self.data[start..start + len];
        block::encode(
            self.out.tx(),
            self.number,
            data,
            self.block_size,
            self.check,
            self.cfg.pad,
        );
        self.state = State::WaitAck {
            deadline: now + self.cfg.ack_timeout,
        };
    }

    fn fail(&mut self, error: Error) {
        self.out.clear_tx();
        if error != Error::CancelledByPeer {
            self.out.send(&CANCEL_SEQUENCE);
        }
        self.out.event(Event::Failed(error));
        self.state = State::Failed;
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
            self.out.send(&[EOT]);
            self.state = State::WaitEotAck {
                deadline: now + self.cfg.ack_timeout,
            };
        }
    }

    /// Count an error on the block in flight (or EOT); true if it may go on.
    fn count_error(&mut self, reason: RetryReason, report: bool) -> bool {
        self.errors += 1;
        if self.errors >= self.cfg.max_errors {
            let block = u64::from(self.number);
            self.fail(Error::RetriesExhausted {
                block,
                attempts: self.errors,
                last: reason,
            });
            return false;
        }
        if report {
            self.out.event(Event::Retry {
                reason,
                attempt: self.errors,
            });
        }
        true
    }

    fn on_ack(&mut self, now: Instant) {
        self.acked_once = true;
        self.acked_bytes += self.block.1 as u64;
        self.number = self.number.wrapping_add(1);
        self.out.event(Event::Progress {
            bytes: self.acked_bytes,
            block_size: self.block_size,
        });
        self.next_block(now);
    }
}

impl Engine for Sender {
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) -> usize {
        if self.out.is_pending() {
            return 0;
        }
        match self.state {
            State::WaitStart { .. } => {
                // Use the last start character of the piece: a receiver that
                // went from `C` to NAK while we were not listening means NAK.
                let mut start = None;
                for &b in bytes {
                    if self.can.feed(b) {
                        self.fail(Error::CancelledByPeer);
                        return bytes.len();
                    }
                    match b {
                        NAK => start = Some(Check::Checksum),
                        CRC_START | G_START => start = Some(Check::Crc16),
                        _ => {}
                    }
                }
                if let Some(check) = start {
                    self.check = check;
                    self.out.event(Event::Started { check });
                    self.next_block(now);
                }
                bytes.len()
            }
            State::WaitAck { .. } => {
                for &b in bytes {
                    if self.can.feed(b) {
                        self.fail(Error::CancelledByPeer);
                        return bytes.len();
                    }
                    match b {
                        ACK => {
                            self.can.reset();
                            self.on_ack(now);
                            // The rest of this piece was sent before the
                            // receiver could see our next block: stale.
                            return bytes.len();
                        }
                        NAK | CRC_START => {
                            if b == CRC_START && !self.acked_once {
                                // YDOC88 §8.2.3: a `C` before the first ACK
                                // selects CRC mode.
                                self.check = Check::Crc16;
                            }
                            self.resend_block(now, RetryReason::Nak);
                            return bytes.len();
                        }
                        _ => {}
                    }
                }
                bytes.len()
            }
            State::WaitEotAck { .. } => {
                for &b in bytes {
                    if self.can.feed(b) {
                        self.fail(Error::CancelledByPeer);
                        return bytes.len();
                    }
                    match b {
                        ACK => {
                            self.state = State::Done;
                            self.out.event(Event::Finished);
                            return bytes.len();
                        }
                        NAK => {
                            // Receivers that guard against a false EOT NAK
                            // the first one: expected, so not reported.
                            let report = self.errors > 0;
                            self.resend_eot(now, RetryReason::EotNak, report);
                            return bytes.len();
                        }
                        _ => {}
                    }
                }
                bytes.len()
            }
            // Stray bytes after the end (e.g. U-Boot's second ACK) are harmless.
            State::NeedData | State::Done | State::Failed => bytes.len(),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.out.is_pending() || self.poll_timeout().is_none_or(|d| now < d) {
            return;
        }
        match self.state {
            State::WaitStart { .. } => self.fail(Error::Timeout {
                waiting_for: "the receiver to start (NAK or C)",
            }),
            State::WaitAck { .. } => self.resend_block(now, RetryReason::Timeout),
            State::WaitEotAck { .. } => self.resend_eot(now, RetryReason::Timeout, true),
            State::NeedData | State::Done | State::Failed => {}
        }
    }

    fn poll_output(&mut self) -> Option<Output<'_>> {
        let out = self.out.poll();
        if out.is_none() && matches!(self.state, State::Done | State::Failed) {
            self.finished_polled = true;
        }
        out
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::WaitStart { deadline }
            | State::WaitAck { deadline }
            | State::WaitEotAck { deadline } => Some(deadline),
            State::NeedData | State::Done | State::Failed => None,
        }
    }

    fn provide_data(&mut self, now: Instant, data: &[u8]) {
        if self.state != State::NeedData {
            return;
        }
        let max = self.read_size();
        let data = &data[..data.len().min(max)];
        self.eof = data.len() < max;
        self.data.extend_from_slice(data);
        self.pos = 0;
        self.next_block(now);
    }

    fn abort(&mut self, _now: Instant, why: Abort) {
        if !matches!(self.state, State::Done | State::Failed) {
            self.fail(Error::Aborted(why));
        }
    }

    fn is_finished(&self) -> bool {
        self.finished_polled && !self.out.is_pending()
    }
}
