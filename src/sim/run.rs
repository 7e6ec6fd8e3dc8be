//! The simulation loop and the judgement of its result.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::line::{Line, LineStats};
use super::rng::Rng;
use super::scenario::{Scenario, Variant};
use crate::proto::{
    self, Check, Engine, Error, Event, FileInfo, FileReply, Limits, Receiver, RetryReason, Sender,
    zmodem,
};

/// How a simulated transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Both sides reported success and every file arrived byte-exact (YMODEM: exact bytes and
    /// names; XMODEM: the bytes followed only by padding shorter than a block).
    Completed,
    /// At least one side reported a typed error, and no wrong data was accepted.
    Failed,
    /// A file was accepted (the receiver reported its end) with wrong contents or name, or the
    /// receiver reported success without all files: the one outcome that must never happen
    /// with CRC-16.
    SilentCorruption,
    /// The transfer did not end within the scenario's bounds, or both engines waited with no
    /// deadline and nothing in flight.
    Hang,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::SilentCorruption => "SILENT CORRUPTION",
            Self::Hang => "HANG",
        })
    }
}

/// How one side ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// It reported [`Event::Finished`].
    Finished,
    /// It reported [`Event::Failed`].
    Failed(Error),
    /// It had not ended when the simulation stopped.
    Running,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Finished => f.write_str("finished"),
            Self::Failed(e) => write!(f, "failed: {e}"),
            Self::Running => f.write_str("still running"),
        }
    }
}

/// A file as the receiver delivered it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// What the receiver announced (XMODEM: an empty name).
    pub info: FileInfo,
    /// The bytes it delivered.
    pub data: Vec<u8>,
    /// The receiver reported the file's end ([`Event::FileEnd`]): a caller would keep it.
    pub committed: bool,
}

/// Everything a simulated transfer produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// The verdict.
    pub outcome: Outcome,
    /// Why it was judged a hang or a silent corruption.
    pub detail: Option<String>,
    /// How the sender ended.
    pub sender: End,
    /// How the receiver ended.
    pub receiver: End,
    /// The check the sender started with, if it started.
    pub check: Option<Check>,
    /// The protocol the receiver said the session speaks, if it started.
    pub protocol: Option<proto::Protocol>,
    /// The largest frame the receiver confirmed (bytes of data it can carry).
    pub frame: usize,
    /// Virtual time from the start until both ended (or the simulation stopped).
    pub elapsed: Duration,
    /// Sender-to-receiver traffic.
    pub forward: LineStats,
    /// Receiver-to-sender traffic.
    pub reverse: LineStats,
    /// Retries reported by the sender and the receiver together.
    pub retries: u64,
    /// Blocks the receiver's check caught as damaged (bad CRC or checksum).
    pub bad_checks: u64,
    /// Blocks the receiver delivered whose data differs from what was sent at that place:
    /// damaged blocks that passed the check (a CRC-16 or checksum collision).
    pub missed_by_check: u64,
    /// Simulation steps taken.
    pub steps: u64,
    /// The files the receiver delivered.
    pub received: Vec<Received>,
}

impl Report {
    /// One side reported success and the other a failure (e.g. the last ACK was lost, so the
    /// receiver finished and the sender gave up). Counted as [`Outcome::Failed`].
    pub fn is_split(&self) -> bool {
        matches!(
            (&self.sender, &self.receiver),
            (End::Finished, End::Failed(_)) | (End::Failed(_), End::Finished)
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.outcome)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        write!(
            f,
            " after {:?}: sender {}, receiver {}; check {:?}; wire {} B forward, {} B reverse; \
             {} retries; {} steps",
            self.elapsed,
            self.sender,
            self.receiver,
            self.check,
            self.forward.on_wire,
            self.reverse.on_wire,
            self.retries,
            self.steps
        )
    }
}

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
        let (tx, rx): (Box<dyn Engine>, Box<dyn Engine>) = if scn.variant == Variant::Zmodem {
            let timing = |d: Duration| d.max(Duration::from_secs(1));
            let tx = zmodem::SenderConfig::default();
            let tx = zmodem::SenderConfig {
                limits: Limits {
                    start: timing(scn.sender.limits.start),
                    ..tx.limits
                },
                ..tx
            };
            let rx = zmodem::ReceiverConfig::default();
            let rx = zmodem::ReceiverConfig {
                limits: Limits {
                    start: timing(scn.receiver.limits.start),
                    ..rx.limits
                },
                ..rx
            };
            (
                Box::new(zmodem::Sender::new(tx, tx_files(scn), epoch)),
                Box::new(zmodem::Receiver::new(rx, epoch)),
            )
        } else {
            (
                Box::new(Sender::new(scn.sender.clone(), tx_files(scn), epoch)),
                Box::new(Receiver::new(scn.receiver.clone(), epoch)),
            )
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
        }
    }

    fn drain_sender(&mut self) {
        let at = self.w.at(self.w.now);
        let Ok(()) = proto::drain(
            &mut *self.tx,
            at,
            &mut SenderSide(&mut self.w),
            &mut self.buf,
        );
    }

    fn drain_receiver(&mut self) {
        let at = self.w.at(self.w.now);
        let Ok(()) = proto::drain(
            &mut *self.rx,
            at,
            &mut ReceiverSide(&mut self.w),
            &mut self.buf,
        );
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

    fn file_start(&mut self, info: FileInfo) -> Result<FileReply, Self::Error> {
        let w = &mut *self.0;
        // Logged as the event it was, so traces read as before.
        w.log(format_args!("tx event FileStart({info:?})"));
        w.file = Some(w.file.map_or(0, |i| i + 1));
        Ok(FileReply::Accept)
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

    fn file_start(&mut self, info: FileInfo) -> Result<FileReply, Self::Error> {
        let w = &mut *self.0;
        w.log(format_args!("rx event FileStart({info:?})"));
        w.received.push(Received {
            info,
            ..Received::default()
        });
        Ok(FileReply::Accept)
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

/// Why the receiver's result is wrong, if it is: a committed file that differs from the one
/// sent in its place, or success without every file. Each protocol is judged by its own rule:
/// one that pads files (`protocol`'s [`padding`](proto::Protocol::padding)) may add less than
/// a frame (`frame`, the largest the receiver confirmed) of its padding byte; any other must
/// deliver the bytes exactly.
pub(super) fn corruption(
    scn: &Scenario,
    received: &[Received],
    receiver: &End,
    protocol: Option<proto::Protocol>,
    frame: usize,
) -> Option<String> {
    let padding = protocol.and_then(proto::Protocol::padding);
    for (i, got) in received.iter().enumerate().filter(|(_, r)| r.committed) {
        let Some(want) = scn.files.get(i) else {
            return Some(format!(
                "file {i} committed but only {} sent",
                scn.files.len()
            ));
        };
        if scn.variant.is_batch() {
            if got.info.name != scn.infos[i].name {
                return Some(format!(
                    "file {i} committed as {:?}, sent as {:?}",
                    String::from_utf8_lossy(&got.info.name),
                    String::from_utf8_lossy(&scn.infos[i].name)
                ));
            }
            if got.data != *want {
                return Some(format!(
                    "file {i} committed with {} bytes, {} sent, first difference at {}",
                    got.data.len(),
                    want.len(),
                    first_difference(&got.data, want)
                ));
            }
        } else if !copy_ok(&got.data, want, padding, frame) {
            return Some(format!(
                "file committed with {} bytes for {} sent, first difference at {}",
                got.data.len(),
                want.len(),
                first_difference(&got.data, want)
            ));
        }
    }
    let committed = received.iter().filter(|r| r.committed).count();
    let expected = if scn.variant == Variant::XmodemChecksum
        || scn.variant == Variant::XmodemCrc
        || scn.variant == Variant::Xmodem1k
    {
        1
    } else {
        scn.files.len()
    };
    if *receiver == End::Finished && committed != expected {
        return Some(format!(
            "receiver finished with {committed} of {expected} files"
        ));
    }
    None
}

/// The bytes sent, then (for a protocol that pads) only padding, less than a frame of it.
fn copy_ok(got: &[u8], want: &[u8], padding: Option<u8>, frame: usize) -> bool {
    match padding {
        None => got == want,
        Some(pad) => {
            got.len() >= want.len()
                && got.len() - want.len() < frame.max(1)
                && got[..want.len()] == *want
                && got[want.len()..].iter().all(|&b| b == pad)
        }
    }
}

/// True if `got`, delivered at offset `at` of a file, is what was sent there (or, for a
/// protocol that pads, padding past the end).
fn matches_at(want: &[u8], at: usize, got: &[u8], padding: Option<u8>) -> bool {
    got.iter()
        .enumerate()
        .all(|(i, &b)| match want.get(at.saturating_add(i)) {
            Some(&w) => w == b,
            None => padding == Some(b),
        })
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
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
