//! The ZMODEM sender's flow control: how large each subpacket is (halved when the receiver
//! keeps asking for the same data, grown back after good ones), how it ends (`ZCRCG` stream
//! on, `ZCRCQ` ask for a `ZACK`, `ZCRCW` wait for it) against the receiver's buffer and the
//! window, and how long a full window waits for a `ZACK` (learnt from the `ZACK`s' own
//! timing).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::FrameEnd;

/// Smallest subpacket after errors.
const MIN_SUBPACKET: usize = 32;

/// Largest subpacket (what lrzsz `rz` and zmodem.js accept).
pub const MAX_SUBPACKET: usize = 8192;

/// The shortest a full window waits for a `ZACK` ([`Window::ack_wait`]): the receiver's own
/// quick resend comes after 1 s of silence too.
const MIN_ACK_WAIT: Duration = Duration::from_secs(1);

/// `ZCRCQ` subpackets remembered for timing their `ZACK`s: one goes every quarter window (or
/// every subpacket in the window after errors), so a handful are in flight; beyond this many
/// the oldest are forgotten (not timed).
const MAX_Q_SENT: usize = 64;

/// What the sender may send before the receiver acknowledges.
#[derive(Debug)]
pub(super) struct Window {
    /// The configured window ([`SenderConfig::window`](super::SenderConfig::window)).
    configured: Option<u32>,
    /// The configured subpacket size, the most it grows back to.
    subpacket: usize,
    /// Current subpacket size, shrunk after errors and grown back.
    blk: usize,
    /// Subpackets sent since the size last changed.
    good_in_a_row: u32,
    /// The receiver's buffer (0: none).
    rx_buffer: u32,
    /// The receiver can send while receiving (`ZCRCQ` windows make sense).
    pub(super) full_duplex: bool,
    /// The receiver asked for data again during a file: without a configured window, send
    /// with one of two subpackets (see [`SenderConfig::window`](super::SenderConfig::window)).
    pub(super) noisy: bool,
    /// Bytes sent since the last `ZCRCW`, against the receiver's buffer.
    since_wait: u64,
    /// Bytes sent since the last `ZCRCQ`, against the window.
    since_q: u64,
    /// The `ZCRCQ` subpackets not yet acknowledged: the offset after each and when it went.
    q_sent: VecDeque<(u64, Instant)>,
    /// The longest a `ZCRCQ` waited for its `ZACK` in this session: what a full window waits
    /// for before it takes the `ZACK` for lost ([`Window::ack_wait`]).
    pub(super) ack_delay: Option<Duration>,
}

impl Window {
    /// A window of `configured` bytes (if any) and subpackets of `subpacket` bytes.
    pub(super) fn new(configured: Option<u32>, subpacket: usize) -> Self {
        Self {
            configured,
            subpacket: subpacket.min(MAX_SUBPACKET),
            blk: subpacket.clamp(MIN_SUBPACKET, MAX_SUBPACKET),
            good_in_a_row: 0,
            rx_buffer: 0,
            full_duplex: false,
            noisy: false,
            since_wait: 0,
            since_q: 0,
            q_sent: VecDeque::with_capacity(MAX_Q_SENT),
            ack_delay: None,
        }
    }

    /// The receiver's buffer (0: none), from its `ZRINIT`: no subpacket is larger.
    pub(super) fn set_rx_buffer(&mut self, rx_buffer: u32) {
        self.rx_buffer = rx_buffer;
        if rx_buffer > 0 {
            self.blk = self.blk.min(rx_buffer as usize).max(MIN_SUBPACKET);
        }
    }

    /// The receiver asked for the same data again: things are not getting through. Smaller
    /// subpackets.
    pub(super) fn shrink(&mut self) {
        self.blk = (self.blk / 2).clamp(MIN_SUBPACKET, 512.max(MIN_SUBPACKET));
        self.good_in_a_row = 0;
    }

    /// A subpacket went out: after eight, the size grows back towards the configured one.
    fn sent(&mut self) {
        self.good_in_a_row += 1;
        if self.good_in_a_row >= 8 && self.blk < self.subpacket {
            self.blk = (self.blk * 2).min(self.subpacket);
            if self.rx_buffer > 0 {
                self.blk = self.blk.min(self.rx_buffer as usize);
            }
            self.good_in_a_row = 0;
        }
    }

    /// The window in force: the configured one, else two subpackets once the line has shown
    /// errors; none if the receiver cannot answer while it receives.
    fn size(&self) -> Option<u32> {
        let after_errors = self.noisy.then(|| 2 * self.blk as u32);
        self.configured
            .or(after_errors)
            .filter(|_| self.full_duplex)
    }

    /// The most the next subpacket may carry: the subpacket size, less what the receiver's
    /// buffer has no room for (at least one byte).
    pub(super) fn room(&self) -> usize {
        let max = self.blk;
        if self.rx_buffer == 0 {
            return max;
        }
        let room = u64::from(self.rx_buffer).saturating_sub(self.since_wait);
        max.min(room.max(1) as usize)
    }

    /// A subpacket of `len` bytes goes out: how it ends. `eof`: the file ends with it;
    /// `resync`: the first after a `ZRPOS`, which waits for its `ZACK`.
    pub(super) fn end(&mut self, len: u64, eof: bool, resync: bool) -> FrameEnd {
        self.since_wait += len;
        self.since_q += len;
        let buffer_full = self.rx_buffer > 0 && self.since_wait >= u64::from(self.rx_buffer);
        let window_q = self
            .size()
            .is_some_and(|w| self.since_q >= u64::from((w / 4).max(1)));
        // The window above is the one this subpacket was sized under.
        self.sent();
        if eof {
            FrameEnd::CrcE
        } else if resync || buffer_full {
            FrameEnd::CrcW
        } else if window_q {
            FrameEnd::CrcQ
        } else {
            FrameEnd::CrcG
        }
    }

    /// A `ZCRCW` went out: the receiver's buffer and the window start again.
    pub(super) fn waited(&mut self) {
        self.since_wait = 0;
        self.since_q = 0;
    }

    /// A `ZCRCQ` ending at `pos` went out at `now`: time its `ZACK`.
    pub(super) fn queried(&mut self, pos: u64, now: Instant) {
        self.since_q = 0;
        if self.q_sent.len() == MAX_Q_SENT {
            self.q_sent.pop_front();
        }
        self.q_sent.push_back((pos, now));
    }

    /// Data goes again from a `ZRPOS`: no `ZACK` for what went before is waited for.
    pub(super) fn restart(&mut self) {
        self.q_sent.clear();
        self.since_wait = 0;
        self.since_q = 0;
    }

    /// Sent up to `pos`, acknowledged up to `acked`: true when the window is full and the
    /// sender pauses for a `ZACK`.
    pub(super) fn is_full(&self, pos: u64, acked: u64) -> bool {
        self.size()
            .is_some_and(|w| pos.saturating_sub(acked) >= u64::from(w))
    }

    /// How long a full window waits for a `ZACK` before it takes it for lost and sends again
    /// from what was acknowledged: four times the longest a `ZACK` took in this session, at
    /// least 1 s, at most `answer`, the answer timeout (which is also the wait before any
    /// `ZACK` came). A lost `ZACK` then costs a second or two on a 115200-baud line rather
    /// than 10 s, and a slow line, whose `ZACK`s take long, is not hurried.
    pub(super) fn ack_wait(&self, answer: Duration) -> Duration {
        self.ack_delay
            .map_or(answer, |d| (d * 4).max(MIN_ACK_WAIT))
            .min(answer)
    }

    /// A `ZACK` for `pos` came at `now`: learn how long it took, forget what it covers.
    pub(super) fn acked_at(&mut self, now: Instant, pos: u64) {
        while let Some(&(end, sent)) = self.q_sent.front() {
            if end > pos {
                break;
            }
            if end == pos {
                let took = now.saturating_duration_since(sent);
                self.ack_delay = Some(self.ack_delay.map_or(took, |d| d.max(took)));
            }
            self.q_sent.pop_front();
        }
    }
}
