//! One direction of the simulated line: a serial transmitter at a given baud rate, a fixed
//! latency, a fault injector, and the queue of bytes in flight with their arrival times.
//!
//! Time is in nanoseconds since the simulation's epoch. A byte takes 10 bit times (start bit,
//! 8 data bits, stop bit): the `m`-th byte of a burst that starts on the wire at `s` has fully
//! arrived at `s + latency + floor(m * 10 s / baud)`. Bytes are kept in one ring buffer and
//! described by segments (a write, or the part of a write on either side of a stall), so no
//! per-byte bookkeeping or allocation is needed.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use super::rng::Rng;
use crate::proto::cancel::CAN;

/// Nanoseconds in the time of 10 bits at 1 baud.
const TEN_BITS_NS: u128 = 10_000_000_000;

/// A pause of the transmitter: the byte at original offset `at` (counted over the bytes the
/// engine wrote in this direction) goes out `duration` later than it would have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    /// Offset of the first delayed byte.
    pub at: u64,
    /// How long the line stays silent.
    pub duration: Duration,
}

/// CAN bytes injected into the stream before the byte at original offset `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanBurst {
    /// Offset of the byte they go in front of.
    pub at: u64,
    /// How many CANs (1 is noise every engine must ignore; 2 or more cancel).
    pub count: u8,
}

/// The faults of one direction. Rates are probabilities per bit (bit errors) or per byte
/// written by the engine (the others); 0 disables a fault. Offsets count the bytes the engine
/// wrote in this direction, before any fault.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Each bit is flipped with this probability.
    pub bit_error_rate: f64,
    /// Each byte is lost with this probability.
    pub drop_rate: f64,
    /// After each byte, a random garbage byte is inserted with this probability.
    pub insert_rate: f64,
    /// Each byte arrives twice with this probability.
    pub dup_rate: f64,
    /// The transmitter pauses once.
    pub stall: Option<Stall>,
    /// The line goes dead, both ways and for good, when this byte would start on the wire:
    /// nothing that would arrive after that moment (in either direction) ever arrives.
    pub hangup_at: Option<u64>,
    /// CAN bytes appear once.
    pub cancel: Option<CanBurst>,
}

impl Faults {
    /// A perfect line.
    pub fn clean() -> Self {
        Self::default()
    }

    /// True if no fault is configured.
    pub fn is_clean(&self) -> bool {
        *self == Self::default()
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return f.write_str("clean");
        }
        let mut sep = "";
        let mut item = |f: &mut fmt::Formatter<'_>, args: fmt::Arguments<'_>| {
            let r = write!(f, "{sep}{args}");
            sep = ", ";
            r
        };
        for (name, rate, unit) in [
            ("bit errors", self.bit_error_rate, "/bit"),
            ("drop", self.drop_rate, "/byte"),
            ("insert", self.insert_rate, "/byte"),
            ("dup", self.dup_rate, "/byte"),
        ] {
            if rate > 0.0 {
                item(f, format_args!("{name} {rate:.3e}{unit}"))?;
            }
        }
        if let Some(s) = self.stall {
            item(f, format_args!("stall {:?} at byte {}", s.duration, s.at))?;
        }
        if let Some(at) = self.hangup_at {
            item(f, format_args!("hang-up at byte {at}"))?;
        }
        if let Some(c) = self.cancel {
            item(f, format_args!("{} CAN at byte {}", c.count, c.at))?;
        }
        Ok(())
    }
}

/// When the reading side is woken up to read what has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// When a whole write (burst) has arrived, or at the reader's own deadline: a reader that
    /// gets each burst in one read, like most USB serial adapters at speed.
    #[default]
    Burst,
    /// At every byte: a UART with a one-byte receive trigger. Slower to simulate; splits
    /// "ACK C" and the like into separate reads.
    Bytewise,
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Burst => "burst",
            Self::Bytewise => "bytewise",
        })
    }
}

/// Counts of what one direction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Bytes the engine wrote.
    pub written: u64,
    /// Bytes put on the wire (after drops, duplicates, garbage and CANs).
    pub on_wire: u64,
    /// Bytes handed to the reading engine.
    pub delivered: u64,
    /// Faults injected: bit flips, dropped, duplicated, inserted bytes, CANs.
    pub bit_flips: u64,
    /// Bytes dropped.
    pub dropped: u64,
    /// Bytes duplicated.
    pub duplicated: u64,
    /// Garbage bytes inserted.
    pub inserted: u64,
}

#[derive(Debug, Clone, Copy)]
struct Seg {
    /// Arrival of byte `j` (0-based) is `base + f(j + 1)`.
    base: u64,
    /// Index of the next byte not yet handed out.
    next: u64,
    /// Number of bytes in the segment.
    end: u64,
}

/// How many bytes of a burst at `baud` have fully arrived `d` ns after its base: the largest
/// `m` with `floor(m * 10e9 / baud) <= d`, i.e. `m * 10e9 < (d + 1) * baud`.
fn arrived(baud: u64, d: u64) -> u64 {
    ((u128::from(d) + 1) * u128::from(baud)).div_ceil(TEN_BITS_NS) as u64 - 1
}

/// One direction of the line.
#[derive(Debug)]
pub(crate) struct Line {
    baud: u64,
    latency: u64,
    delivery: Delivery,
    /// Bytes the writer may have waiting for the wire ([`LineConfig::tx_buffer`](crate::sim::LineConfig::tx_buffer)).
    tx_buffer: u64,
    faults: Faults,
    rng: Rng,
    /// When the transmitter is free again.
    free_at: u64,
    bytes: VecDeque<u8>,
    segs: VecDeque<Seg>,
    /// Bytes the engine wrote so far (the offset of the next one).
    offset: u64,
    next_bit: u64,
    next_drop: u64,
    next_dup: u64,
    next_insert: u64,
    pub(crate) stats: LineStats,
}

/// What a write did to the line as a whole.
pub(crate) struct Written {
    /// The line hung up: nothing arrives after this time, in either direction.
    pub(crate) hangup: Option<u64>,
}

impl Line {
    pub(crate) fn new(
        baud: u32,
        latency: Duration,
        delivery: Delivery,
        faults: Faults,
        rng: Rng,
    ) -> Self {
        assert!(baud > 0, "baud rate must be positive");
        let mut line = Self {
            baud: u64::from(baud),
            latency: latency.as_nanos() as u64,
            delivery,
            tx_buffer: 0,
            faults,
            rng,
            free_at: 0,
            bytes: VecDeque::with_capacity(4096),
            segs: VecDeque::with_capacity(16),
            offset: 0,
            next_bit: 0,
            next_drop: 0,
            next_dup: 0,
            next_insert: 0,
            stats: LineStats::default(),
        };
        line.next_bit = line.rng.gap(line.faults.bit_error_rate);
        line.next_drop = line.rng.gap(line.faults.drop_rate);
        line.next_dup = line.rng.gap(line.faults.dup_rate);
        line.next_insert = line.rng.gap(line.faults.insert_rate);
        line
    }

    /// Wire time of the first `m` bytes of a burst, in ns.
    fn f(&self, m: u64) -> u64 {
        (u128::from(m) * TEN_BITS_NS / u128::from(self.baud)) as u64
    }

    /// How many bytes of a burst have fully arrived `d` ns after its base.
    fn arrived(&self, d: u64) -> u64 {
        arrived(self.baud, d)
    }

    /// When the transmitter is free (the end of the last write on the wire).
    #[cfg(test)]
    pub(crate) fn free_at(&self) -> u64 {
        self.free_at
    }

    /// Let the writer get `bytes` ahead of the wire ([`LineConfig::tx_buffer`](crate::sim::LineConfig::tx_buffer)).
    pub(crate) fn with_tx_buffer(mut self, bytes: usize) -> Self {
        self.tx_buffer = bytes as u64;
        self
    }

    /// When the writer may write again: once no more than the transmit buffer waits for the
    /// wire.
    pub(crate) fn writer_free_at(&self) -> u64 {
        self.free_at.saturating_sub(self.f(self.tx_buffer))
    }

    /// Put `data` on the line at `now`, through the fault injector. `dead` is the hang-up time
    /// if the line has hung up (bytes that would arrive later are lost).
    pub(crate) fn write(&mut self, now: u64, data: &[u8], dead: Option<u64>) -> Written {
        let mut start = now.max(self.free_at);
        let mut m = 0u64; // bytes in the current segment
        let mut hangup = None;
        let first = self.offset;
        let mut i = 0usize;
        self.stats.written += data.len() as u64;
        while i < data.len() {
            let k = first + i as u64;
            let event = self.next_event(k);
            if event > k {
                let span = ((event - k).min((data.len() - i) as u64)) as usize;
                self.bytes.extend(&data[i..i + span]);
                m += span as u64;
                i += span;
                continue;
            }
            if self.faults.hangup_at == Some(k) {
                let t = start + self.f(m) + self.latency;
                hangup = Some(t);
                break;
            }
            if let Some(s) = self.faults.stall.filter(|s| s.at == k) {
                self.close(start, m, dead);
                start = start + self.f(m) + s.duration.as_nanos() as u64;
                m = 0;
            }
            if let Some(c) = self.faults.cancel.filter(|c| c.at == k) {
                for _ in 0..c.count {
                    self.bytes.push_back(CAN);
                }
                m += u64::from(c.count);
            }
            let mut b = data[i];
            while self.next_bit / 8 == k {
                b ^= 1 << (self.next_bit % 8);
                self.stats.bit_flips += 1;
                self.next_bit += 1 + self.rng.gap(self.faults.bit_error_rate);
            }
            let dropped = self.next_drop == k;
            if dropped {
                self.stats.dropped += 1;
                self.next_drop += 1 + self.rng.gap(self.faults.drop_rate);
            } else {
                self.bytes.push_back(b);
                m += 1;
            }
            if self.next_dup == k {
                self.next_dup += 1 + self.rng.gap(self.faults.dup_rate);
                if !dropped {
                    self.stats.duplicated += 1;
                    self.bytes.push_back(b);
                    m += 1;
                }
            }
            if self.next_insert == k {
                self.next_insert += 1 + self.rng.gap(self.faults.insert_rate);
                self.stats.inserted += 1;
                self.bytes.push_back(self.rng.next_u64() as u8);
                m += 1;
            }
            i += 1;
        }
        self.offset = first + data.len() as u64;
        self.close(start, m, hangup.or(dead));
        self.free_at = self.free_at.max(start + self.f(m));
        Written { hangup }
    }

    /// The next original offset at or after `k` where something happens.
    fn next_event(&self, k: u64) -> u64 {
        let at = |o: Option<u64>| o.filter(|&o| o >= k).unwrap_or(u64::MAX);
        (self.next_bit / 8)
            .min(self.next_drop)
            .min(self.next_dup)
            .min(self.next_insert)
            .min(at(self.faults.stall.map(|s| s.at)))
            .min(at(self.faults.hangup_at))
            .min(at(self.faults.cancel.map(|c| c.at)))
    }

    /// End the segment of the last `m` bytes pushed, which started on the wire at `start`.
    /// Bytes that would arrive after `dead` are lost.
    fn close(&mut self, start: u64, mut m: u64, dead: Option<u64>) {
        let base = start + self.latency;
        if let Some(dead) = dead {
            let keep = if dead < base {
                0
            } else {
                self.arrived(dead - base).min(m)
            };
            for _ in keep..m {
                self.bytes.pop_back();
            }
            m = keep;
        }
        if m > 0 {
            self.stats.on_wire += m;
            self.segs.push_back(Seg {
                base,
                next: 0,
                end: m,
            });
        }
    }

    /// The line hung up at `dead`: forget bytes that would arrive later.
    pub(crate) fn cut(&mut self, dead: u64) {
        let baud = self.baud;
        while let Some(seg) = self.segs.back_mut() {
            let arrived = if dead < seg.base {
                0
            } else {
                arrived(baud, dead - seg.base).min(seg.end)
            };
            let keep = arrived.max(seg.next);
            for _ in keep..seg.end {
                self.bytes.pop_back();
            }
            seg.end = keep;
            if seg.next < seg.end {
                // Earlier segments arrive earlier still: all kept.
                break;
            }
            self.segs.pop_back();
        }
    }

    /// How many bytes have arrived by `now` and not been handed out.
    pub(crate) fn available(&self, now: u64) -> usize {
        let mut n = 0;
        for seg in &self.segs {
            let arrived = if now < seg.base {
                0
            } else {
                self.arrived(now - seg.base).min(seg.end)
            };
            if arrived <= seg.next {
                break;
            }
            n += (arrived - seg.next) as usize;
            if arrived < seg.end {
                break;
            }
        }
        n
    }

    /// The first `n` bytes in flight, as one slice (at most `n` long, possibly shorter when
    /// the ring buffer wraps).
    pub(crate) fn peek(&self, n: usize) -> &[u8] {
        let (a, b) = self.bytes.as_slices();
        if a.is_empty() {
            &b[..n.min(b.len())]
        } else {
            &a[..n.min(a.len())]
        }
    }

    /// Hand out the first `n` bytes.
    pub(crate) fn consume(&mut self, mut n: usize) {
        self.stats.delivered += n as u64;
        self.bytes.drain(..n);
        while n > 0 {
            let seg = self.segs.front_mut().expect("consumed more than queued");
            let take = ((seg.end - seg.next) as usize).min(n);
            seg.next += take as u64;
            n -= take;
            if seg.next == seg.end {
                self.segs.pop_front();
            }
        }
    }

    /// Drop everything in flight (the reader has ended).
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.segs.clear();
    }

    /// When the reader should next be woken for input, if anything is in flight: when the
    /// front burst has arrived (burst delivery) or its next byte (bytewise).
    pub(crate) fn next_arrival(&self) -> Option<u64> {
        let seg = self.segs.front()?;
        let m = match self.delivery {
            Delivery::Burst => seg.end,
            Delivery::Bytewise => seg.next + 1,
        };
        Some(seg.base + self.f(m))
    }
}
