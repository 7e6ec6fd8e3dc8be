//! The ZMODEM sender's flow control: how large each subpacket is (halved when the receiver
//! keeps asking for the same data, grown back after good ones, once the line has shown errors
//! no longer on the line than [`SUBPACKET_TIME`]), how it ends (`ZCRCG` stream
//! on, `ZCRCQ` ask for a `ZACK`, `ZCRCW` wait for it) against the receiver's buffer and the
//! window, how large the window is once the line has shown errors (what the link carries in
//! a round trip, measured from the `ZACK`s: [`Window::size`]), and how long a full window
//! waits for a `ZACK` (learnt from the `ZACK`s' own timing).

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

/// After errors, a subpacket takes at most this long on the line at the measured rate
/// ([`Window::subpacket`]): an error costs the whole damaged subpacket (the receiver finds it
/// at the CRC), and the chance that one is hit grows with its length. At 115200 baud a
/// 1024-byte subpacket is 89 ms on the line, 288 bytes 25 ms; the six bytes that end each
/// one are then 2 % of it. At 921600 baud the cap (2.3 KiB) is above the usual 1024 bytes.
const SUBPACKET_TIME: Duration = Duration::from_millis(25);

/// `ZCRCQ` subpackets remembered for timing their `ZACK`s: one goes every quarter window (or
/// every subpacket in the window after errors), so a handful are in flight; beyond this many
/// the oldest are forgotten (not timed).
const MAX_Q_SENT: usize = 64;

/// The measured window ([`Window::size`]) is this many times what the link carries in a
/// round trip (and a subpacket): room for the measurement to be low, and for the window to
/// grow while the line is faster than it was measured (each measurement taken with a full
/// window gives at least the window again, so it grows by a quarter per round trip). No more:
/// what the window holds beyond the round trip waits in the link's transmit buffer, and an
/// error sends it again for nothing (at 115200 baud a 4 KiB buffer is 0.36 s).
const GAIN: f64 = 1.25;

/// The largest measured window: 64 KiB, for a link without pacing (a network path), where
/// every error sends the window again for nothing, and each copy in flight can earn another
/// `ZRPOS`.
const MAX_WINDOW: u32 = 64 << 10;

/// A rate measured over a span of `ZACK`s is forgotten by this factor per new measurement,
/// so a link that slowed down is followed.
const RATE_DECAY: f64 = 0.875;

/// What the sender measures of the link from the `ZACK`s: the round trip (`ZCRCQ` to its
/// `ZACK`) and the rate at which acknowledgements advance.
#[derive(Debug, Default)]
pub(super) struct Link {
    /// The shortest `ZCRCQ`-to-`ZACK` time in this session: the round trip with nothing
    /// queued ahead.
    pub(super) rtt: Option<Duration>,
    /// Bytes per second acknowledged, the most measured (forgotten slowly: [`RATE_DECAY`]).
    pub(super) rate: f64,
    /// The shortest round trip less the time its `ZCRCQ` subpacket took on the line at the
    /// measured rate: the least time a receiver takes to answer what it has just been sent
    /// (a short subpacket, a damaged header).
    pub(super) turnaround: Option<Duration>,
    /// The last acknowledgement: its offset and when it came (a `ZACK`, or the `ZRPOS` data
    /// last went again from).
    last: Option<(u64, Instant)>,
}

impl Link {
    /// The receiver acknowledged `pos` at `now`; `since` was the last acknowledgement when
    /// the `ZCRCQ` it answers went out. The rate is what was acknowledged from then to now,
    /// over that time: with a full window, the window per round trip; with the line busy,
    /// the line's rate.
    fn acked(&mut self, now: Instant, pos: u64, since: Option<(u64, Instant)>) {
        if let Some((from, at)) = since {
            let span = now.saturating_duration_since(at);
            if !span.is_zero() && pos > from {
                let rate = (pos - from) as f64 / span.as_secs_f64();
                self.rate = rate.max(self.rate * RATE_DECAY);
            }
        }
        self.last = Some((pos, now));
    }

    /// A `ZCRCQ` subpacket of `len` bytes was answered after `took`: what of it was not the
    /// subpacket's own time on the line (at the rate measured so far, so rather more than less).
    fn timed(&mut self, took: Duration, len: u64) {
        if self.rate > 0.0 {
            let on_line = Duration::from_secs_f64(len as f64 / self.rate);
            let turnaround = took.saturating_sub(on_line);
            self.turnaround = Some(self.turnaround.map_or(turnaround, |t| t.min(turnaround)));
        }
    }

    /// What the link carries in a round trip, times [`GAIN`]; `None` until both are measured.
    fn window(&self) -> Option<u32> {
        let rtt = self.rtt?;
        (self.rate > 0.0)
            .then(|| (GAIN * self.rate * rtt.as_secs_f64()).min(f64::from(MAX_WINDOW)) as u32)
    }
}

/// A `ZCRCQ` subpacket waiting for its `ZACK`.
#[derive(Debug, Clone, Copy)]
struct Query {
    /// The offset after it.
    end: u64,
    /// When it went.
    sent: Instant,
    /// The last acknowledgement when it went ([`Link::acked`]); `None` when it ends no
    /// further than a `ZCRCQ` sent before in the file (data sent again from a `ZRPOS`): its
    /// `ZACK` may answer that earlier copy, so it is not timed (as TCP does not time resent
    /// data: Karn's rule).
    since: Option<(u64, Instant)>,
    /// Its data bytes.
    len: u64,
}

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
    /// with the measured one ([`Window::size`]).
    pub(super) noisy: bool,
    /// The round trip and the rate, measured from the `ZACK`s.
    pub(super) link: Link,
    /// Bytes sent since the last `ZCRCW`, against the receiver's buffer.
    since_wait: u64,
    /// Bytes sent since the last `ZCRCQ`, against the window.
    since_q: u64,
    /// The `ZCRCQ` subpackets not yet acknowledged.
    q_sent: VecDeque<Query>,
    /// The furthest a `ZCRCQ` ended in this file.
    q_high: u64,
    /// The data bytes of the last subpacket.
    last_len: u64,
    /// Full-window waits in a row that ended without an answer ([`Window::ack_wait`]).
    backoff: u32,
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
            link: Link::default(),
            since_wait: 0,
            since_q: 0,
            q_sent: VecDeque::with_capacity(MAX_Q_SENT),
            q_high: 0,
            last_len: 0,
            backoff: 0,
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

    /// The window in force: the configured one, else, once the line has shown errors, a
    /// quarter more than the link carries in a round trip as measured ([`Link`]) and a
    /// subpacket, at least two subpackets (also before anything is measured), at most 64 KiB
    /// and a subpacket; none if the receiver cannot answer while it receives.
    ///
    /// Large enough to keep the line busy: an error then costs about a round trip, whatever
    /// the window, since what went after the damaged subpacket until the `ZRPOS` came is sent
    /// again either way. No larger: what the window holds beyond the round trip waits in the
    /// link's transmit buffer, and goes again too. Errors shrink the subpackets, not the
    /// window: they come at random, not from an overfull line. Each `ZACK` that comes while
    /// the window is full measures a rate of at least the window per round trip, so the
    /// window grows to the line's rate from two subpackets in a few round trips (five, half a
    /// second, from 2 KiB to the 14 KiB of 921600 baud and 100 ms).
    pub(super) fn size(&self) -> Option<u32> {
        let blk = self.subpacket() as u32;
        let least = 2 * blk;
        let after_errors = self
            .noisy
            .then(|| self.link.window().map_or(least, |w| (w + blk).max(least)));
        self.configured
            .or(after_errors)
            .filter(|_| self.full_duplex)
    }

    /// The subpacket size in force: the current one ([`Window::shrink`]), once the line has
    /// shown errors no more than it carries in [`SUBPACKET_TIME`] at the measured rate (a
    /// multiple of 32 bytes, at least the smallest subpacket).
    fn subpacket(&self) -> usize {
        if !self.noisy || self.link.rate <= 0.0 {
            return self.blk;
        }
        let fits = (self.link.rate * SUBPACKET_TIME.as_secs_f64()) as usize / 32 * 32;
        self.blk.min(fits.max(MIN_SUBPACKET))
    }

    /// The most the next subpacket may carry: the subpacket size in force
    /// ([`Window::subpacket`]), less what the receiver's buffer has no room for (at least one
    /// byte).
    pub(super) fn room(&self) -> usize {
        let max = self.subpacket();
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
        self.last_len = len;
        let buffer_full = self.rx_buffer > 0 && self.since_wait >= u64::from(self.rx_buffer);
        let window_q = self
            .size()
            .is_some_and(|w| self.since_q >= u64::from((w / 4).max(1)));
        // The window above is the one this subpacket was sized under.
        self.sent();
        // The first subpacket after a ZRPOS asks for its ZACK: waiting for it (`ZCRCW`, as
        // lrzsz `sz` does) would leave the line idle for a round trip on every error, so
        // with a window it is a `ZCRCQ`, and the window bounds what goes on meanwhile.
        let windowed = window_q || self.size().is_some();
        if eof {
            FrameEnd::CrcE
        } else if (resync && !windowed) || buffer_full {
            FrameEnd::CrcW
        } else if window_q || resync {
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

    /// A `ZCRCQ` ending at `pos` went out at `now`: time its `ZACK` if it ends beyond every
    /// `ZCRCQ` before it in the file.
    pub(super) fn queried(&mut self, pos: u64, now: Instant) {
        self.since_q = 0;
        let fresh = pos > self.q_high;
        self.q_high = self.q_high.max(pos);
        if self.q_sent.len() == MAX_Q_SENT {
            self.q_sent.pop_front();
        }
        self.q_sent.push_back(Query {
            end: pos,
            sent: now,
            since: self.link.last.filter(|_| fresh),
            len: self.last_len,
        });
    }

    /// A new file starts: its offsets are new.
    pub(super) fn new_file(&mut self) {
        self.q_high = 0;
    }

    /// Data goes again from `offset` at `now` (a `ZRPOS`): no `ZACK` for what went before
    /// is waited for.
    pub(super) fn restart(&mut self, offset: u64, now: Instant) {
        self.q_sent.clear();
        self.link.last = Some((offset, now));
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
    /// than 10 s, and a slow line, whose `ZACK`s take long, is not hurried. Doubled for each
    /// such wait in a row that nothing from the receiver ended (as TCP backs off its
    /// retransmission timer), so a receiver whose answers are held up (a stalled reverse
    /// line) is not given up after ten short waits.
    pub(super) fn ack_wait(&self, answer: Duration) -> Duration {
        let wait = self
            .ack_delay
            .map_or(answer, |d| (d * 4).max(MIN_ACK_WAIT))
            .min(answer);
        wait.saturating_mul(1 << self.backoff.min(4)).min(answer)
    }

    /// A full window waited [`Window::ack_wait`] in vain: the next wait is twice as long.
    pub(super) fn waited_in_vain(&mut self) {
        self.backoff += 1;
    }

    /// The receiver answered (a `ZACK`, a `ZRPOS`): waits are short again.
    pub(super) fn answered(&mut self) {
        self.backoff = 0;
    }

    /// A `ZACK` for `pos` came at `now`: learn how long it took, forget what it covers.
    pub(super) fn acked_at(&mut self, now: Instant, pos: u64) {
        self.answered();
        let mut since = None;
        let mut timed = None;
        while let Some(&q) = self.q_sent.front() {
            if q.end > pos {
                break;
            }
            if q.end == pos && q.since.is_some() {
                let took = now.saturating_duration_since(q.sent);
                self.ack_delay = Some(self.ack_delay.map_or(took, |d| d.max(took)));
                self.link.rtt = Some(self.link.rtt.map_or(took, |d| d.min(took)));
                since = q.since;
                timed = Some((took, q.len));
            }
            self.q_sent.pop_front();
        }
        self.link.acked(now, pos, since);
        if let Some((took, len)) = timed {
            self.link.timed(took, len);
        }
    }
}
