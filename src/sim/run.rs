//! The simulation loop: two engines on the scenario's line, on virtual time; the result is
//! judged by [`judge`](super::judge).

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::judge::{End, Outcome, Received, Report, corruption, matches_at};
use super::line::Line;
use super::rng::Rng;
use super::scenario::{Scenario, Variant};
use crate::proto::contract::{Checked, Contract};
use crate::proto::detect::{AutoReceiver, Start};
use crate::proto::{
    self, Check, Engine, Event, FileInfo, Receiver, ReceiverConfig, RetryReason, Sender, zmodem,
};

/// The fixed epoch all virtual times are offsets from, taken once.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Run `scenario` to its end on virtual time and judge it.
pub fn run(scenario: &Scenario) -> Report {
    Sim::new(scenario, false).run().0
}

/// Like [`run`], also returning a trace of every write, read, event and timeout, one line
/// each, for replaying a failure.
pub fn run_traced(scenario: &Scenario) -> (Report, Vec<String>) {
    Sim::new(scenario, true).run()
}

/// The two engines and the world they run in.
struct Sim<'a> {
    tx: Box<dyn Engine>,
    rx: Box<dyn Engine>,
    w: World<'a>,
    /// File reads, reused.
    buf: Vec<u8>,
    /// Each engine's outputs are checked against the contract (a violation panics, and a
    /// sweep counts it).
    tx_contract: Contract,
    rx_contract: Contract,
}

/// The two directions of the line and what has been seen so far.
struct World<'a> {
    scn: &'a Scenario,
    epoch: Instant,
    now: u64,
    /// Sender to receiver.
    fwd: Line,
    /// Receiver to sender.
    rev: Line,
    /// A side that wrote is blocked in its write until its bytes are on the wire.
    tx_busy: u64,
    rx_busy: u64,
    dead: Option<u64>,
    /// Sender: the file being read.
    file: Option<usize>,
    sender: End,
    receiver: End,
    check: Option<Check>,
    /// What the receiver said the session speaks, and the largest frame it confirmed.
    protocol: Option<proto::Protocol>,
    frame: usize,
    retries: u64,
    bad_checks: u64,
    missed_by_check: u64,
    received: Vec<Received>,
    /// Set when the receiver did something the contract forbids (data before a file start).
    contract: Option<&'static str>,
    trace: Option<Vec<String>>,
}

impl<'a> Sim<'a> {
    fn new(scn: &'a Scenario, trace: bool) -> Self {
        let epoch = epoch();
        let timing = |d: Duration| d.max(Duration::from_secs(1));
        let zrx = zmodem::ReceiverConfig {
            start_timeout: timing(scn.receiver.start_timeout),
            ..zmodem::ReceiverConfig::default()
        };
        let zmodem = scn.variant == Variant::Zmodem;
        let tx: Box<dyn Engine> = if zmodem {
            let tx = zmodem::SenderConfig {
                start_timeout: timing(scn.sender.start_timeout),
                ..zmodem::SenderConfig::default()
            };
            Box::new(zmodem::Sender::new(tx, tx_files(scn), epoch))
        } else {
            Box::new(Sender::new(scn.sender.clone(), tx_files(scn), epoch))
        };
        let rx: Box<dyn Engine> = match (scn.auto, zmodem) {
            (false, true) => Box::new(zmodem::Receiver::new(zrx, epoch)),
            (false, false) => Box::new(Receiver::new(scn.receiver.clone(), epoch)),
            // As `recv` runs it without a protocol option: X/YMODEM first (for a ZMODEM
            // sender, the defaults with the ZMODEM receiver's start timeout).
            (true, _) => {
                let xy = if zmodem {
                    ReceiverConfig {
                        start_timeout: zrx.start_timeout,
                        ..ReceiverConfig::default()
                    }
                } else {
                    scn.receiver.clone()
                };
                Box::new(AutoReceiver::new(Start::Xymodem, xy, zrx, epoch))
            }
        };
        Self::with_engines(scn, tx, rx, epoch, trace)
    }

    /// Any pair of engines, started at `epoch`, over the scenario's line and faults.
    fn with_engines(
        scn: &'a Scenario,
        tx: Box<dyn Engine>,
        rx: Box<dyn Engine>,
        epoch: Instant,
        trace: bool,
    ) -> Self {
        let line = |faults, delivery, stream| {
            Line::new(
                scn.line.baud,
                scn.line.latency,
                delivery,
                faults,
                Rng::stream(scn.plan.seed, stream),
            )
        };
        let w = World {
            scn,
            epoch,
            now: 0,
            fwd: line(scn.plan.forward.clone(), scn.line.forward, 1),
            rev: line(scn.plan.reverse.clone(), scn.line.reverse, 2),
            tx_busy: 0,
            rx_busy: 0,
            dead: None,
            file: None,
            sender: End::Running,
            receiver: End::Running,
            check: None,
            protocol: None,
            frame: 0,
            retries: 0,
            bad_checks: 0,
            missed_by_check: 0,
            received: Vec::new(),
            contract: None,
            trace: trace.then(Vec::new),
        };
        Self {
            tx,
            rx,
            w,
            buf: Vec::new(),
            tx_contract: Contract::default(),
            rx_contract: Contract::default(),
        }
    }

    fn drain_sender(&mut self) {
        let at = self.w.at(self.w.now);
        let mut side = SenderSide(&mut self.w);
        let mut io = Checked::new(&mut side, &mut self.tx_contract);
        let Ok(()) = proto::drain(&mut *self.tx, at, &mut io, &mut self.buf);
        self.tx_contract.drained();
    }

    fn drain_receiver(&mut self) {
        let at = self.w.at(self.w.now);
        let mut side = ReceiverSide(&mut self.w);
        let mut io = Checked::new(&mut side, &mut self.rx_contract);
        let Ok(()) = proto::drain(&mut *self.rx, at, &mut io, &mut self.buf);
        self.rx_contract.drained();
    }

    fn run(self) -> (Report, Vec<String>) {
        self.run_loop()
    }

    fn run_loop(mut self) -> (Report, Vec<String>) {
        let time_bound = self.w.scn.time_bound().as_nanos() as u64;
        let step_bound = self.w.scn.step_bound();
        let mut steps = 0u64;
        let hang = loop {
            steps += 1;
            if steps > step_bound {
                break Some("step bound reached (livelock)");
            }
            self.drain_sender();
            self.drain_receiver();
            let (tx_done, rx_done) = (self.tx.is_finished(), self.rx.is_finished());
            if tx_done && rx_done {
                break None;
            }
            let now = self.w.now;
            // Input that has arrived, for a side not blocked in a write.
            if !rx_done && now >= self.w.rx_busy {
                let n = self.w.fwd.available(now);
                if n > 0 {
                    let at = self.w.at(now);
                    let bytes = self.w.fwd.peek(n);
                    let used = self.rx.handle_input(at, bytes);
                    if self.w.trace.is_some() {
                        let hex = hex(&bytes[..used]);
                        self.w.log(format_args!("rx <- {used} B {hex}"));
                    }
                    self.w.fwd.consume(used);
                    continue;
                }
            }
            if !tx_done && now >= self.w.tx_busy {
                let n = self.w.rev.available(now);
                if n > 0 {
                    let at = self.w.at(now);
                    let bytes = self.w.rev.peek(n);
                    let used = self.tx.handle_input(at, bytes);
                    if self.w.trace.is_some() {
                        let hex = hex(&bytes[..used]);
                        self.w.log(format_args!("tx <- {used} B {hex}"));
                    }
                    self.w.rev.consume(used);
                    continue;
                }
            }
            if rx_done {
                self.w.fwd.clear();
            }
            if tx_done {
                self.w.rev.clear();
            }
            // Deadlines that have passed.
            let mut fired = false;
            if !tx_done
                && now >= self.w.tx_busy
                && let Some(d) = self.tx.poll_timeout()
                && self.w.ns(d) <= now
            {
                self.w.log(format_args!("tx timeout"));
                self.tx.handle_timeout(self.w.at(now));
                fired = true;
            }
            if !rx_done
                && now >= self.w.rx_busy
                && let Some(d) = self.rx.poll_timeout()
                && self.w.ns(d) <= now
            {
                self.w.log(format_args!("rx timeout"));
                self.rx.handle_timeout(self.w.at(now));
                fired = true;
            }
            if fired {
                continue;
            }
            // Jump to the next thing that can happen.
            let mut next = u64::MAX;
            if !tx_done {
                let wake = [
                    self.tx.poll_timeout().map(|d| self.w.ns(d)),
                    self.w.rev.next_arrival(),
                ];
                for t in wake.into_iter().flatten() {
                    next = next.min(t.max(self.w.tx_busy));
                }
            }
            if !rx_done {
                let wake = [
                    self.rx.poll_timeout().map(|d| self.w.ns(d)),
                    self.w.fwd.next_arrival(),
                ];
                for t in wake.into_iter().flatten() {
                    next = next.min(t.max(self.w.rx_busy));
                }
            }
            if next == u64::MAX {
                break Some("both sides wait with no deadline and nothing in flight");
            }
            if next > time_bound {
                break Some("no end within the time bound");
            }
            debug_assert!(next > now, "time must advance");
            self.w.now = next.max(now + 1);
        };
        let trace = self.w.trace.take().unwrap_or_default();
        (self.w.judge(hang, steps), trace)
    }
}

/// The sender's view of the world, for [`proto::drain`].
struct SenderSide<'w, 'a>(&'w mut World<'a>);

impl proto::Io for SenderSide<'_, '_> {
    type Error = std::convert::Infallible;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        let w = &mut *self.0;
        let wrote = w.fwd.write(w.now, bytes, w.dead);
        w.tx_busy = w.fwd.free_at();
        w.log(format_args!("tx -> {} B {}", bytes.len(), hex(bytes)));
        if let Some(t) = wrote.hangup {
            w.hang_up(t);
        }
        Ok(())
    }

    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let w = &mut *self.0;
        let data = w
            .file
            .and_then(|i| w.scn.files.get(i))
            .map_or(&[][..], Vec::as_slice);
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let chunk = &data[start..(start + buf.len()).min(data.len())];
        buf[..chunk.len()].copy_from_slice(chunk);
        Ok(chunk.len())
    }

    fn write_file(&mut self, _offset: u64, _data: &[u8]) -> Result<(), Self::Error> {
        self.0.contract = Some("the sender wrote file data");
        Ok(())
    }

    fn event(&mut self, ev: Event) -> Result<(), Self::Error> {
        let w = &mut *self.0;
        w.log(format_args!("tx event {ev:?}"));
        match ev {
            Event::Started { check, .. } => w.check = Some(check),
            Event::Retry { .. } => w.retries += 1,
            Event::FileStart(_) => w.file = Some(w.file.map_or(0, |i| i + 1)),
            Event::Finished => w.sender = End::Finished,
            Event::Failed(e) => w.sender = End::Failed(e),
            // The last ACK was lost: the sender ends anyway; the receiver's end judges.
            Event::Progress { .. }
            | Event::FileEnd { .. }
            | Event::EndUnconfirmed { .. }
            | Event::FileSkipped
            | Event::Note(_) => {}
        }
        Ok(())
    }
}

/// The receiver's view of the world, for [`proto::drain`].
struct ReceiverSide<'w, 'a>(&'w mut World<'a>);

impl proto::Io for ReceiverSide<'_, '_> {
    type Error = std::convert::Infallible;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        let w = &mut *self.0;
        let wrote = w.rev.write(w.now, bytes, w.dead);
        w.rx_busy = w.rev.free_at();
        w.log(format_args!("rx -> {} B {}", bytes.len(), hex(bytes)));
        if let Some(t) = wrote.hangup {
            w.hang_up(t);
        }
        Ok(())
    }

    fn read_file(&mut self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.contract = Some("the receiver asked for file data");
        Ok(0)
    }

    fn write_file(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Self::Error> {
        let w = &mut *self.0;
        let index = w.received.len().wrapping_sub(1);
        let pad = w.protocol.and_then(proto::Protocol::padding);
        match w.received.last_mut() {
            Some(file) if !file.committed => {
                let want = w.scn.files.get(index).map_or(&[][..], Vec::as_slice);
                let at = usize::try_from(offset).unwrap_or(usize::MAX);
                if !matches_at(want, at, bytes, pad) {
                    w.missed_by_check += 1;
                }
                // Data at an earlier offset replaces what followed it.
                file.data.truncate(at);
                if at == file.data.len() {
                    file.data.extend_from_slice(bytes);
                } else {
                    w.contract = Some("the receiver wrote past the end of its data");
                }
            }
            _ => w.contract = Some("the receiver wrote data outside a file"),
        }
        Ok(())
    }

    fn event(&mut self, ev: Event) -> Result<(), Self::Error> {
        let w = &mut *self.0;
        w.log(format_args!("rx event {ev:?}"));
        match ev {
            Event::Started { protocol, .. } => w.protocol = Some(protocol),
            Event::Progress { frame, .. } => w.frame = w.frame.max(frame),
            Event::Retry { reason, .. } => {
                w.retries += 1;
                w.bad_checks += u64::from(reason == RetryReason::BadCheck);
            }
            Event::FileStart(info) => w.received.push(Received {
                info,
                ..Received::default()
            }),
            Event::FileEnd { .. } => match w.received.last_mut() {
                Some(file) if !file.committed => file.committed = true,
                _ => w.contract = Some("the receiver ended a file it never started"),
            },
            Event::Finished => w.receiver = End::Finished,
            Event::Failed(e) => w.receiver = End::Failed(e),
            Event::FileSkipped => w.contract = Some("the receiver skipped a file unasked"),
            Event::Note(_) => {}
            Event::EndUnconfirmed { .. } => {
                w.contract = Some("the receiver reported an unconfirmed end (a sender's event)");
            }
        }
        Ok(())
    }
}

impl World<'_> {
    fn at(&self, t: u64) -> Instant {
        self.epoch + Duration::from_nanos(t)
    }

    fn ns(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    fn log(&mut self, what: fmt::Arguments<'_>) {
        if let Some(trace) = &mut self.trace {
            trace.push(format!("{:>14.6?} {what}", Duration::from_nanos(self.now)));
        }
    }

    fn hang_up(&mut self, t: u64) {
        self.log(format_args!(
            "line hangs up at {:?}",
            Duration::from_nanos(t)
        ));
        let t = self.dead.map_or(t, |d| d.min(t));
        self.dead = Some(t);
        self.fwd.cut(t);
        self.rev.cut(t);
    }

    fn judge(self, hang: Option<&'static str>, steps: u64) -> Report {
        let scn = self.scn;
        let mut detail = hang.map(str::to_string);
        let outcome = if hang.is_some() {
            Outcome::Hang
        } else if let Some(c) = self.contract {
            detail = Some(c.to_string());
            Outcome::SilentCorruption
        } else if let Some(why) = corruption(
            scn,
            &self.received,
            &self.receiver,
            self.protocol,
            self.frame,
        ) {
            detail = Some(if self.missed_by_check > 0 {
                format!(
                    "{why}; {} damaged block(s) passed the check",
                    self.missed_by_check
                )
            } else {
                why
            });
            Outcome::SilentCorruption
        } else if self.sender == End::Finished && self.receiver == End::Finished {
            Outcome::Completed
        } else if matches!(self.sender, End::Failed(_)) || matches!(self.receiver, End::Failed(_)) {
            Outcome::Failed
        } else {
            detail = Some("both ended without success or a typed error".into());
            Outcome::Hang
        };
        Report {
            outcome,
            detail,
            sender: self.sender,
            receiver: self.receiver,
            check: self.check,
            protocol: self.protocol,
            frame: self.frame,
            elapsed: Duration::from_nanos(self.now),
            forward: self.fwd.stats,
            reverse: self.rev.stats,
            retries: self.retries,
            bad_checks: self.bad_checks,
            missed_by_check: self.missed_by_check,
            steps,
            received: self.received,
        }
    }
}

/// The files the sender is told about: XMODEM sends one, unnamed.
fn tx_files(scn: &Scenario) -> Vec<FileInfo> {
    if scn.variant.is_batch() {
        scn.infos.clone()
    } else {
        vec![FileInfo::default()]
    }
}

/// Bytes as hex, the first 24 and the count of the rest.
fn hex(bytes: &[u8]) -> String {
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
