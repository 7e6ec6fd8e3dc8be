//! The ZMODEM sender's flow control: how large each subpacket is (halved when the receiver
//! keeps asking for the same data, grown back after good ones, once the line has shown errors
//! no longer on the line than [`SUBPACKET_TIME`]), how it ends (`ZCRCG` stream
//! on, `ZCRCQ` ask for a `ZACK`, `ZCRCW` wait for it) against the receiver's buffer and the
//! window, how large the window is once the line has shown errors, or from the first data on a
//! long link (what the link carries in a round trip, measured from the `ZACK`s:
//! [`Window::size`]), and how long a full window
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

/// While the window limits the line (no `ZCRCQ` found data queued ahead of it), the measured
/// window ([`Window::size`]) is this many times what the link carries in a round trip: each
/// measurement taken with a full window gives at least the window again, so it grows by a
/// quarter per round trip until the line is the limit.
const GAIN: f64 = 1.25;

/// A `ZCRCQ` whose round trip is this much longer than the shortest found data queued ahead of
/// it (in the link's transmit buffer): the line, not the window, is the limit, and the window
/// is what the link carries in a round trip, with no more than [`MARGIN`] to spare. What it
/// held beyond that would wait in the transmit buffer, and an error sends it again for
/// nothing (at 115200 baud a 4 KiB buffer is 0.36 s).
const QUEUED: Duration = Duration::from_millis(4);

/// What the window holds beyond the round trip and the `ZCRCQ` spacing once the line is the
/// limit: room for a `ZACK` that comes late (the receiver or the sender not scheduled at
/// once), so the line does not idle while it is on its way.
const MARGIN: Duration = Duration::from_millis(10);

/// A link whose receiver takes at least this long to answer (the turnaround: the round trip
/// less the subpacket's own time on the line) is long: a serial line behind a network, a
/// radio link. There the sender keeps the measured window from the first `ZACK`s on, not only
/// after errors: streamed data fills the link's transmit buffer (4 KiB is 0.36 s at 115200
/// baud), and the first error would send it all again. Shorter links (a cable, a pipe) stream
/// until the first error, as before.
const LONG: Duration = Duration::from_millis(20);

/// A short link's rate ([`Link::short_window`]) is forgotten by this factor per measurement.
const RATE_DECAY: f64 = 0.875;

/// The largest measured window: 64 KiB, for a link without pacing (a network path), where
/// every error sends the window again for nothing, and each copy in flight can earn another
/// `ZRPOS`.
const MAX_WINDOW: u32 = 64 << 10;

/// Rates measured over spans of `ZACK`s that are remembered: the rate in force is the most of
/// them, so a few low ones (a span that began at a `ZRPOS`, a late `ZACK`) do not shrink the
/// window, and a link that slowed down is followed after this many.
const RATE_SAMPLES: usize = 32;

/// What the sender measures of the link from the `ZACK`s: the round trip (`ZCRCQ` to its
/// `ZACK`) and the rate at which acknowledgements advance.
#[derive(Debug, Default)]
pub(super) struct Link {
    /// The shortest `ZCRCQ`-to-`ZACK` time in this session: the round trip with nothing
    /// queued ahead, and the length of that `ZCRCQ`'s subpacket.
    rtt: Option<(Duration, u64)>,
    /// Bytes per second acknowledged: the most of the last [`RATE_SAMPLES`] measurements.
    rate: f64,
    /// The median of the last [`RATE_SAMPLES`].
    median: f64,
    /// The most ever measured in this session.
    peak: f64,
    /// The rate as a short link's window measures it ([`Link::short_window`]): the highest,
    /// forgotten by [`RATE_DECAY`] per measurement, spans from a `ZRPOS` included.
    decayed: f64,
    /// The shortest `ZCRCQ`-to-`ZACK` time, whatever its subpacket's length.
    quickest: Option<Duration>,
    /// The rate from the first `ZACK`s of `ZCRCQ`s sent back to back ([`Link::acked`]).
    pair: f64,
    /// The shortest time a `ZFILE` took to be answered: a round trip with nothing else on
    /// the line, before any data (the first `ZCRCQ`s may wait behind streamed data).
    exchange: Option<Duration>,
    /// The last measurements of the rate, newest last.
    rates: VecDeque<f64>,
    /// The last `ZCRCQ` timed waited behind data queued in the link ([`QUEUED`]): the line,
    /// not the window, is the limit.
    queued: bool,
    /// The last acknowledgement: its offset, when it came (a `ZACK`, or the `ZRPOS` data last
    /// went again from), and whether it was a `ZRPOS` (a span from it holds the round trip
    /// with nothing acknowledged: not a measure of the rate).
    last: Option<Since>,
}

/// An acknowledgement a rate is measured from ([`Link::last`]).
#[derive(Debug, Clone, Copy)]
struct Since {
    pos: u64,
    at: Instant,
    restart: bool,
}

impl Link {
    /// The receiver acknowledged `pos` at `now`; `since` was the last acknowledgement when
    /// the `ZCRCQ` it answers went out. The rate is what was acknowledged from then to now,
    /// over that time: with a full window, the window per round trip; with the line busy,
    /// the line's rate.
    fn acked(&mut self, now: Instant, pos: u64, since: Option<Since>) {
        if let Some(since) = since {
            let span = now.saturating_duration_since(since.at);
            if !span.is_zero() && pos > since.pos {
                let rate = (pos - since.pos) as f64 / span.as_secs_f64();
                self.decayed = rate.max(self.decayed * RATE_DECAY);
            }
        }
        match (since.filter(|s| !s.restart), self.last) {
            (Some(since), _) => {
                let span = now.saturating_duration_since(since.at);
                if !span.is_zero() && pos > since.pos {
                    let rate = (pos - since.pos) as f64 / span.as_secs_f64();
                    self.sample(rate);
                    self.peak = self.peak.max(rate);
                }
            }
            // Before any such measurement, `ZCRCQ`s sent back to back (the first of a
            // session): their `ZACK`s come about as far apart as the line took to carry the
            // data between them. The rate until it is measured, and a bound on the line's
            // (for a subpacket's time on the line): without it a link measured only while the
            // window is the limit would seem slow. Not a measurement: one late `ZACK` over so
            // short a span makes it high.
            (None, Some(prev)) if self.rates.is_empty() && !prev.restart => {
                let span = now.saturating_duration_since(prev.at);
                if !span.is_zero() && pos > prev.pos {
                    self.rate = (pos - prev.pos) as f64 / span.as_secs_f64();
                    self.pair = self.pair.max(self.rate);
                }
            }
            _ => {}
        }
        self.last = Some(Since {
            pos,
            at: now,
            restart: false,
        });
    }

    /// A rate measured: the rate in force is the most of the last [`RATE_SAMPLES`].
    fn sample(&mut self, rate: f64) {
        if self.rates.len() == RATE_SAMPLES {
            self.rates.pop_front();
        }
        self.rates.push_back(rate);
        self.rate = self.rates.iter().copied().fold(self.pair, f64::max);
        // On the stack: one of these per `ZACK`, no allocation.
        let mut sorted = [0.0f64; RATE_SAMPLES];
        let n = self.rates.len();
        for (to, &from) in sorted.iter_mut().zip(&self.rates) {
            *to = from;
        }
        sorted[..n].sort_unstable_by(f64::total_cmp);
        self.median = sorted[n / 2];
    }

    /// A `ZCRCQ` subpacket of `len` bytes was answered after `took`. Kept when it is the
    /// quickest answer so far, set against its subpacket's time on the line at the most ever
    /// measured (a long subpacket's round trip is longer by that), as the shortest round trip;
    /// and whether this one waited behind data queued in the link (its answer, so set against
    /// its length, [`QUEUED`] slower than the quickest).
    fn timed(&mut self, took: Duration, len: u64) {
        self.quickest = Some(self.quickest.map_or(took, |q| q.min(took)));
        let peak = self.line_rate();
        let answer = |(took, len): (Duration, u64)| {
            took.as_secs_f64() - if peak > 0.0 { len as f64 / peak } else { 0.0 }
        };
        let best = match self.rtt {
            Some(best) if answer(best) <= answer((took, len)) => best,
            _ => (took, len),
        };
        self.rtt = Some(best);
        self.queued = answer((took, len)) > answer(best) + QUEUED.as_secs_f64();
    }

    /// The line's rate, for a subpacket's time on it: the most measured; before that, or when
    /// the first `ZACK`s sent back to back said more than twice that (a fast link measured
    /// only while the window was the limit, which then seemed slow), theirs.
    fn line_rate(&self) -> f64 {
        if self.pair > 2.0 * self.peak {
            self.pair
        } else {
            self.peak
        }
    }

    /// The shortest round trip, `None` until measured.
    pub(super) fn rtt(&self) -> Option<Duration> {
        self.rtt.map(|(rtt, _)| rtt)
    }

    /// The least time a receiver takes to answer what it has just been sent (a short
    /// subpacket, a damaged header): the shortest round trip less its subpacket's time on
    /// the line at the most ever measured (so rather more than less), at least half of it.
    pub(super) fn turnaround(&self) -> Option<Duration> {
        let (rtt, len) = self.rtt?;
        let peak = self.line_rate();
        let on_line = if peak > 0.0 {
            Duration::from_secs_f64(len as f64 / peak)
        } else {
            Duration::ZERO
        };
        Some(rtt.saturating_sub(on_line).max(rtt / 2))
    }

    /// What the link carries in the shortest round trip; `None` until both are measured.
    fn in_flight(&self) -> Option<f64> {
        let (rtt, _) = self.rtt?;
        (self.rate > 0.0).then_some(self.rate * rtt.as_secs_f64())
    }

    /// The window of a short link after errors (a cable, a pipe): a quarter more than the
    /// rate (forgotten by [`RATE_DECAY`] per measurement, so each `ZRPOS`'s empty round trip
    /// lowers it) carries in the quickest round trip. There the round trip is mostly the
    /// receiver's own time, what is in flight after an error is garbage to the receiver until
    /// our answer comes (lrzsz `rz` counts an error per 1400 bytes of it, and gives up after
    /// 20 in a row), and a smaller window costs little.
    fn short_window(&self) -> Option<u32> {
        let rtt = self.quickest?;
        (self.decayed > 0.0)
            .then(|| (GAIN * self.decayed * rtt.as_secs_f64()).min(f64::from(MAX_WINDOW)) as u32)
    }

    /// The window for `ZCRCQ`s `spacing` bytes apart: what the link carries in the shortest
    /// round trip and the rest of the spacing (that round trip's own subpacket is in it). Times
    /// [`GAIN`] while the window is the limit; else with [`MARGIN`] only. `None` until
    /// measured.
    fn window(&self, spacing: u64) -> Option<u32> {
        let in_flight = self.in_flight()?;
        let (_, rtt_len) = self.rtt?;
        let w = if self.queued {
            let (rtt, _) = self.rtt?;
            let rate = if self.rates.is_empty() {
                self.rate
            } else {
                self.median.min(self.rate)
            };
            let in_flight = rate * rtt.as_secs_f64();
            in_flight + spacing as f64 - rtt_len as f64 + self.rate * MARGIN.as_secs_f64()
        } else {
            GAIN * in_flight + spacing as f64
        };
        Some(w.min(f64::from(MAX_WINDOW)) as u32)
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
    since: Option<Since>,
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
    /// With a window, the subpackets grow back once the receiver acknowledges this offset:
    /// eight subpackets past where data last went again from.
    grow_at: u64,
    /// The receiver's buffer (0: none).
    rx_buffer: u32,
    /// The receiver can send while receiving (`ZCRCQ` windows make sense).
    pub(super) full_duplex: bool,
    /// The receiver asked for data again during a file: without a configured window, send
    /// with the measured one ([`Window::size`]).
    pub(super) noisy: bool,
    /// Whether the link is long ([`LONG`]): `None` until measured. A long link has the
    /// measured window from its measurement on, errors or not.
    long: Option<bool>,
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
            grow_at: 0,
            rx_buffer: 0,
            full_duplex: false,
            noisy: false,
            long: None,
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

    /// A subpacket went out: without a window, after eight the size grows back towards the
    /// configured one; with one, after eight more are acknowledged ([`Window::acked_at`]).
    fn sent(&mut self) {
        self.good_in_a_row += 1;
        // With a window the `ZACK`s say which went through ([`Window::acked_at`]): a window
        // of many subpackets would otherwise grow them back within each round trip, before
        // the receiver could say they fail again.
        if self.long != Some(true) && self.good_in_a_row >= 8 {
            self.grow();
        }
    }

    /// Subpackets twice as long, up to the configured size (and the receiver's buffer).
    fn grow(&mut self) {
        if self.blk < self.subpacket {
            self.blk = (self.blk * 2).min(self.subpacket);
            if self.rx_buffer > 0 {
                self.blk = self.blk.min(self.rx_buffer as usize);
            }
        }
        self.good_in_a_row = 0;
    }

    /// The window in force: the configured one; else on a long link ([`LONG`]) from its first
    /// data, what the link carries in a round trip as measured ([`Link::window`]); else, once
    /// the line has shown errors, a short link's ([`Link::short_window`]) and a subpacket. At
    /// least two subpackets (also before anything is measured), at most 64 KiB; none if the
    /// receiver cannot answer while it receives.
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
        let after_errors = if self.long == Some(true) {
            Some(
                self.link
                    .window(self.spacing())
                    .map_or(least, |w| w.max(least)),
            )
        } else {
            self.noisy.then(|| {
                self.link
                    .short_window()
                    .map_or(least, |w| (w + blk).max(least))
            })
        };
        self.configured
            .or(after_errors)
            .filter(|_| self.full_duplex)
    }

    /// How far apart `ZCRCQ`s go with a window: a quarter of a configured one; with the
    /// measured one, every subpacket, or, where a round trip holds more than 16 of them,
    /// every sixteenth of it (fewer `ZACK`s to send and read on a fast link).
    fn query_every(&self) -> u64 {
        if let Some(w) = self.configured {
            return u64::from((w / 4).max(1));
        }
        if self.long != Some(true) {
            let blk = self.subpacket() as u32;
            let least = 2 * blk;
            let w = (self.link.short_window()).map_or(least, |w| (w + blk).max(least));
            return u64::from((w / 4).max(1));
        }
        (self.link.in_flight().unwrap_or(0.0) / 16.0) as u64
    }

    /// Bytes between `ZCRCQ`s with the measured window: [`Window::query_every`] in whole
    /// subpackets.
    fn spacing(&self) -> u64 {
        let blk = self.subpacket().max(1) as u64;
        self.query_every().max(1).div_ceil(blk) * blk
    }

    /// The subpacket size in force: the current one ([`Window::shrink`]), once the line has
    /// shown errors no more than it carries in [`SUBPACKET_TIME`] at the measured rate (a
    /// multiple of 32 bytes, at least the smallest subpacket).
    fn subpacket(&self) -> usize {
        let rate = if self.long == Some(true) {
            self.link.line_rate()
        } else {
            self.link.decayed
        };
        if !self.noisy || rate <= 0.0 {
            return self.blk;
        }
        let fits = (rate * SUBPACKET_TIME.as_secs_f64()) as usize / 32 * 32;
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
        let window_q = self.size().is_some() && self.since_q >= self.query_every();
        // Until the link is known to be long or not, every subpacket asks for its `ZACK`.
        let probe = self.full_duplex && self.configured.is_none() && self.long.is_none();
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
        } else if window_q || resync || probe {
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
        self.grow_at = offset + 8 * self.blk as u64;
        self.link.last = Some(Since {
            pos: offset,
            at: now,
            restart: true,
        });
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

    /// A full window on a link taken for long before any error waited in vain for the first
    /// `ZACK`: the receiver does not answer `ZCRCQ` (or not soon). True, and the link is
    /// taken for short: the sender streams on from where it is, as before the first error
    /// it would have anyway (nothing says data was lost).
    pub(super) fn unanswered_probe(&mut self) -> bool {
        let probing = !self.noisy && self.long == Some(true) && self.link.rtt.is_none();
        if probing {
            self.long = Some(false);
        }
        probing
    }

    /// A full window waited [`Window::ack_wait`] in vain: the next wait is twice as long.
    pub(super) fn waited_in_vain(&mut self) {
        self.backoff += 1;
    }

    /// The receiver answered (a `ZACK`, a `ZRPOS`): waits are short again.
    pub(super) fn answered(&mut self) {
        self.backoff = 0;
    }

    /// The receiver answered a `ZFILE` after `took`: the round trip with nothing else on the
    /// line, which says whether the link is long before any data goes.
    pub(super) fn exchanged(&mut self, took: Duration) {
        self.link.exchange = Some(self.link.exchange.map_or(took, |e| e.min(took)));
        self.judge_length();
    }

    /// Whether the link is long ([`LONG`]), once known: a round trip shorter than that says
    /// no at once; else the rate decides too (a link that carries more in a round trip than
    /// half the largest window streams).
    fn judge_length(&mut self) {
        if self.long == Some(false) {
            return;
        }
        let first = self.link.rtt().or(self.link.exchange);
        self.long = match (first, self.link.turnaround(), self.link.in_flight()) {
            (Some(rtt), _, _) if rtt < LONG => Some(false),
            (_, Some(turnaround), Some(in_flight)) => {
                Some(turnaround >= LONG && in_flight <= f64::from(MAX_WINDOW / 2))
            }
            // Long until the rate is measured: a window of two subpackets meanwhile.
            (Some(_), _, None) => Some(true),
            _ => None,
        };
    }

    /// A `ZACK` for `pos` came at `now`: learn how long it took, forget what it covers.
    pub(super) fn acked_at(&mut self, now: Instant, pos: u64) {
        self.answered();
        if pos >= self.grow_at && self.long == Some(true) && self.size().is_some() {
            self.grow();
            self.grow_at = pos + 8 * self.blk as u64;
        }
        let mut since = None;
        let mut timed = None;
        while let Some(&q) = self.q_sent.front() {
            if q.end > pos {
                break;
            }
            if q.end == pos && q.since.is_some() {
                let took = now.saturating_duration_since(q.sent);
                self.ack_delay = Some(self.ack_delay.map_or(took, |d| d.max(took)));
                since = q.since;
                timed = Some((took, q.len));
            }
            self.q_sent.pop_front();
        }
        self.link.acked(now, pos, since);
        if let Some((took, len)) = timed {
            self.link.timed(took, len);
        }
        self.judge_length();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A rate measured from a `ZRPOS` (the round trip with nothing acknowledged) is not taken;
    /// one from a `ZACK` is, and the most of the recent ones is in force.
    #[test]
    fn a_span_from_a_zrpos_does_not_measure_the_rate() {
        let t0 = Instant::now();
        let mut link = Link::default();
        let restart = Since {
            pos: 0,
            at: t0,
            restart: true,
        };
        link.acked(t0 + 100 * MS, 1000, Some(restart));
        assert_eq!(link.rate, 0.0);
        let ack = link.last;
        link.acked(t0 + 200 * MS, 11_000, ack);
        assert_eq!(link.rate, 100_000.0);
        let ack = link.last;
        link.acked(t0 + 300 * MS, 12_000, ack);
        assert_eq!(link.rate, 100_000.0, "a low one does not lower it");
    }

    /// The receiver's turnaround (for telling an echoed `ZRPOS`) is never less than half the
    /// quickest round trip, whatever rate was measured: with a low rate the subpacket's own
    /// time came out longer than the round trip, the turnaround 0, and every copy of a
    /// `ZRPOS` was answered (the simulator's unpaced link, 64 KiB windows, gave up a transfer).
    #[test]
    fn the_turnaround_is_at_least_half_the_round_trip() {
        let mut link = Link {
            peak: 1000.0,
            ..Link::default()
        };
        link.timed(100 * MS, 512);
        assert_eq!(link.turnaround(), Some(50 * MS));
        link.peak = 10_240.0;
        assert_eq!(link.turnaround(), Some(50 * MS));
        link.peak = 1_000_000.0;
        assert!(link.turnaround().is_some_and(|t| t > 99 * MS));
    }

    /// A `ZCRCQ` answered later than the quickest, its subpacket's time on the line allowed
    /// for, waited behind queued data: the window is then the round trip's worth and a margin,
    /// not a quarter more.
    #[test]
    fn a_slow_answer_means_data_waits_in_the_link() {
        let mut link = Link {
            peak: 10_000.0,
            rate: 10_000.0,
            ..Link::default()
        };
        link.timed(200 * MS, 1000);
        assert!(!link.queued);
        // 100 bytes take 90 ms less on the line: 110 ms is as quick.
        link.timed(110 * MS, 100);
        assert!(!link.queued);
        assert_eq!(link.rtt, Some((200 * MS, 1000)), "the quickest kept");
        let window_limited = link.window(100);
        link.timed(160 * MS, 100);
        assert!(link.queued);
        // 10 000 B/s x 200 ms - 1000 (its own subpacket) + 100 + 10 ms: 1 200 bytes.
        assert_eq!(link.window(100), Some(1200));
        assert!(window_limited > link.window(100));
    }
}
