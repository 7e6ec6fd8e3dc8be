//! Two engines joined by two one-way byte queues on virtual time, in the manner of
//! quinn-proto's `Pair`: the one loop that the link simulator (`sim`, with its faulty line)
//! and the engine tests (a perfect line) run. **Test support, not API**: built only with the
//! `testing` feature.
//!
//! Time is in nanoseconds from the pair's epoch; nothing sleeps. Each turn drains both engines
//! (through [`Checked`], so every output is held to the contract), delivers input that has
//! arrived to a side not blocked in a write, fires deadlines that have passed, and otherwise
//! jumps to the next arrival or deadline. The line itself ([`Wire`], one per direction) decides
//! when written bytes arrive, whether they arrive intact, and how long a write blocks its
//! writer; what the engines ask of the caller (file data, events) goes to a [`Host`].

use std::fmt;
use std::time::{Duration, Instant};

use super::contract::{Checked, Contract};
use super::{Engine, Event, FileInfo, FileReply, Io};

/// One direction of the line.
pub trait Wire {
    /// Write `bytes` at `now` (the line is dead from `dead` on, if it hung up). Returns when
    /// this write hangs the line up, if it does.
    fn write(&mut self, now: u64, bytes: &[u8], dead: Option<u64>) -> Option<u64>;
    /// When the writer is free again (its last write is on the wire).
    fn free_at(&self) -> u64;
    /// Bytes that have arrived by `now` and not been consumed.
    fn available(&self, now: u64) -> usize;
    /// The first `n` of them.
    fn peek(&self, n: usize) -> &[u8];
    /// Drop the first `n` of them.
    fn consume(&mut self, n: usize);
    /// When the next byte not yet consumed arrives (or arrived), if any is in flight.
    fn next_arrival(&self) -> Option<u64>;
    /// Drop everything in flight (the reader has ended).
    fn clear(&mut self);
    /// The line hung up at `t`: nothing written after it arrives.
    fn cut(&mut self, t: u64);
}

/// Which engine of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The sender: it writes the forward direction.
    Tx,
    /// The receiver: it writes the reverse direction.
    Rx,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Self::Tx => "tx",
            Self::Rx => "rx",
        }
    }
}

/// What the engines ask of their callers, for both sides of a [`Pair`].
pub trait Host {
    /// `side` asks for file data at `offset`; returns how much it put in `buf`.
    fn read_file(&mut self, side: Side, offset: u64, buf: &mut [u8]) -> usize;
    /// `side` hands over file data to store at `offset`.
    fn write_file(&mut self, side: Side, offset: u64, data: &[u8]);
    /// `side` reports `event`.
    fn event(&mut self, side: Side, event: Event);
    /// `side` starts a file ([`Output::FileStart`](super::Output::FileStart)); the answer
    /// goes to a receiver.
    fn file_start(&mut self, side: Side, info: FileInfo) -> FileReply;
    /// True to have [`Host::log`] called for every write, read, timeout and hang-up.
    fn tracing(&self) -> bool {
        false
    }
    /// One line of the trace, at virtual time `now`.
    fn log(&mut self, now: u64, what: fmt::Arguments<'_>) {
        let _ = (now, what);
    }
}

/// Why a [`Pair::run`] stopped before both engines ended.
pub type Hang = &'static str;

/// The two engines, the line both ways, and virtual time.
pub struct Pair<'e, W> {
    /// The sender.
    pub tx: &'e mut dyn Engine,
    /// The receiver.
    pub rx: &'e mut dyn Engine,
    /// Sender to receiver.
    pub fwd: W,
    /// Receiver to sender.
    pub rev: W,
    /// The instant that virtual time 0 is.
    pub epoch: Instant,
    /// Virtual time now.
    pub now: u64,
    /// A side that wrote is blocked in its write until its bytes are on the wire.
    tx_busy: u64,
    rx_busy: u64,
    /// The line hung up then.
    dead: Option<u64>,
    tx_contract: Contract,
    rx_contract: Contract,
    /// File reads, reused.
    buf: Vec<u8>,
}

impl<'e, W: Wire> Pair<'e, W> {
    /// `tx` and `rx`, both started at `epoch` (virtual time 0), joined by `fwd` and `rev`.
    pub fn new(
        tx: &'e mut dyn Engine,
        rx: &'e mut dyn Engine,
        fwd: W,
        rev: W,
        epoch: Instant,
    ) -> Self {
        Self {
            tx,
            rx,
            fwd,
            rev,
            epoch,
            now: 0,
            tx_busy: 0,
            rx_busy: 0,
            dead: None,
            tx_contract: Contract::default(),
            rx_contract: Contract::default(),
            buf: Vec::new(),
        }
    }

    /// The instant of virtual time `t`.
    pub fn at(&self, t: u64) -> Instant {
        self.epoch + Duration::from_nanos(t)
    }

    fn ns(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    /// Run until both engines have ended (`Ok` with the steps taken), or until a bound is
    /// reached or nothing can happen any more (`Err` with why, and the steps): more than
    /// `max_steps` turns (a livelock), or virtual time past `time_bound`.
    pub fn run<H: Host>(
        &mut self,
        host: &mut H,
        max_steps: u64,
        time_bound: u64,
    ) -> (Result<(), Hang>, u64) {
        let mut steps = 0u64;
        let end = loop {
            steps += 1;
            if steps > max_steps {
                break Err("step bound reached (livelock)");
            }
            self.drain(Side::Tx, host);
            self.drain(Side::Rx, host);
            let (tx_done, rx_done) = (self.tx.is_finished(), self.rx.is_finished());
            if tx_done && rx_done {
                break Ok(());
            }
            let now = self.now;
            // Input that has arrived, for a side not blocked in a write.
            if !rx_done && now >= self.rx_busy && self.feed(Side::Rx, host) {
                continue;
            }
            if !tx_done && now >= self.tx_busy && self.feed(Side::Tx, host) {
                continue;
            }
            if rx_done {
                self.fwd.clear();
            }
            if tx_done {
                self.rev.clear();
            }
            // Deadlines that have passed.
            let mut fired = false;
            if !tx_done
                && now >= self.tx_busy
                && let Some(d) = self.tx.poll_timeout()
                && self.ns(d) <= now
            {
                host.log(now, format_args!("tx timeout"));
                self.tx.handle_timeout(self.at(now));
                fired = true;
            }
            if !rx_done
                && now >= self.rx_busy
                && let Some(d) = self.rx.poll_timeout()
                && self.ns(d) <= now
            {
                host.log(now, format_args!("rx timeout"));
                self.rx.handle_timeout(self.at(now));
                fired = true;
            }
            if fired {
                continue;
            }
            // Jump to the next thing that can happen.
            let mut next = u64::MAX;
            if !tx_done {
                let wake = [
                    self.tx.poll_timeout().map(|d| self.ns(d)),
                    self.rev.next_arrival(),
                ];
                for t in wake.into_iter().flatten() {
                    next = next.min(t.max(self.tx_busy));
                }
            }
            if !rx_done {
                let wake = [
                    self.rx.poll_timeout().map(|d| self.ns(d)),
                    self.fwd.next_arrival(),
                ];
                for t in wake.into_iter().flatten() {
                    next = next.min(t.max(self.rx_busy));
                }
            }
            if next == u64::MAX {
                break Err("both sides wait with no deadline and nothing in flight");
            }
            if next > time_bound {
                break Err("no end within the time bound");
            }
            debug_assert!(next > now, "time must advance");
            self.now = next.max(now + 1);
        };
        (end, steps)
    }

    /// Feed `side` what has arrived for it; false if nothing had.
    fn feed<H: Host>(&mut self, side: Side, host: &mut H) -> bool {
        let now = self.now;
        let at = self.at(now);
        let (wire, engine) = match side {
            Side::Tx => (&mut self.rev, &mut *self.tx),
            Side::Rx => (&mut self.fwd, &mut *self.rx),
        };
        let n = wire.available(now);
        if n == 0 {
            return false;
        }
        let bytes = wire.peek(n);
        let used = engine.handle_input(at, bytes);
        if host.tracing() {
            let hex = hex(&bytes[..used]);
            host.log(now, format_args!("{} <- {used} B {hex}", side.name()));
        }
        wire.consume(used);
        true
    }

    /// Drain `side`'s outputs, each checked against the contract.
    fn drain<H: Host>(&mut self, side: Side, host: &mut H) {
        let at = self.at(self.now);
        let (engine, contract, busy) = match side {
            Side::Tx => (&mut *self.tx, &mut self.tx_contract, &mut self.tx_busy),
            Side::Rx => (&mut *self.rx, &mut self.rx_contract, &mut self.rx_busy),
        };
        let mut io = SideIo {
            side,
            now: self.now,
            fwd: &mut self.fwd,
            rev: &mut self.rev,
            busy,
            dead: &mut self.dead,
            host,
        };
        let Ok(()) = super::drain(
            engine,
            at,
            &mut Checked::new(&mut io, contract),
            &mut self.buf,
        );
        contract.drained();
    }
}

/// One side's [`Io`]: bytes go on its direction of the line, the rest to the host.
struct SideIo<'a, W, H> {
    side: Side,
    now: u64,
    fwd: &'a mut W,
    rev: &'a mut W,
    busy: &'a mut u64,
    dead: &'a mut Option<u64>,
    host: &'a mut H,
}

impl<W: Wire, H: Host> Io for SideIo<'_, W, H> {
    type Error = std::convert::Infallible;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        let wire = match self.side {
            Side::Tx => &mut *self.fwd,
            Side::Rx => &mut *self.rev,
        };
        let hangup = wire.write(self.now, bytes, *self.dead);
        *self.busy = wire.free_at();
        if self.host.tracing() {
            let what = format_args!("{} -> {} B {}", self.side.name(), bytes.len(), hex(bytes));
            self.host.log(self.now, what);
        }
        if let Some(t) = hangup {
            let what = format_args!("line hangs up at {:?}", Duration::from_nanos(t));
            self.host.log(self.now, what);
            let t = self.dead.map_or(t, |d| d.min(t));
            *self.dead = Some(t);
            self.fwd.cut(t);
            self.rev.cut(t);
        }
        Ok(())
    }

    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(self.host.read_file(self.side, offset, buf))
    }

    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), Self::Error> {
        self.host.write_file(self.side, offset, data);
        Ok(())
    }

    fn event(&mut self, event: Event) -> Result<(), Self::Error> {
        if self.host.tracing() {
            let what = format_args!("{} event {event:?}", self.side.name());
            self.host.log(self.now, what);
        }
        self.host.event(self.side, event);
        Ok(())
    }

    fn file_start(&mut self, info: FileInfo) -> Result<FileReply, Self::Error> {
        if self.host.tracing() {
            // Traced as the event it was, so traces read as before.
            let what = format_args!("{} event FileStart({info:?})", self.side.name());
            self.host.log(self.now, what);
        }
        Ok(self.host.file_start(self.side, info))
    }
}

/// Bytes as hex, the first 24 and the count of the rest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for b in bytes.iter().take(24) {
        let _ = write!(s, "{b:02x} ");
    }
    if bytes.len() > 24 {
        let _ = write!(s, "… (+{})", bytes.len() - 24);
    }
    s
}
