//! A scenario run: its two engines as a [`Pair`] over its faulty line, what they deliver
//! followed, and the result judged by [`judge`](super::judge).

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::judge::{End, Outcome, Received, Report, corruption, matches_at};
use super::line::{Line, LineStats};
use super::rng::Rng;
use super::scenario::{Scenario, Variant};
use crate::proto::detect::{AutoReceiver, Start};
use crate::proto::pair::{Host, Pair, Side, Wire};
use crate::proto::{
    self, Check, Engine, Event, FileInfo, FileReply, Limits, Receiver, ReceiverConfig, RetryReason,
    Sender, zmodem,
};

/// The fixed epoch all virtual times are offsets from, taken once.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Run `scenario` to its end on virtual time and judge it.
pub fn run(scenario: &Scenario) -> Report {
    simulate(scenario, false).0
}

/// Like [`run`], also returning a trace of every write, read, event and timeout, one line
/// each, for replaying a failure.
pub fn run_traced(scenario: &Scenario) -> (Report, Vec<String>) {
    simulate(scenario, true)
}

/// The scenario's engines as a [`Pair`] over its line and faults, and the verdict.
fn simulate(scn: &Scenario, trace: bool) -> (Report, Vec<String>) {
    let epoch = epoch();
    let (mut tx, mut rx) = engines(scn, epoch);
    let line = |faults, delivery, stream| {
        Line::new(
            scn.line.baud,
            scn.line.latency,
            delivery,
            faults,
            Rng::stream(scn.plan.seed, stream),
        )
        .with_tx_buffer(scn.line.tx_buffer)
    };
    let mut pair = Pair::new(
        &mut *tx,
        &mut *rx,
        line(scn.plan.forward.clone(), scn.line.forward, 1),
        line(scn.plan.reverse.clone(), scn.line.reverse, 2),
        epoch,
    );
    let mut w = World {
        scn,
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
    let time_bound = scn.time_bound().as_nanos() as u64;
    let (end, steps) = pair.run(&mut w, scn.step_bound(), time_bound);
    let trace = w.trace.take().unwrap_or_default();
    let (elapsed, forward, reverse) = (pair.now, pair.fwd.stats, pair.rev.stats);
    (w.judge(end.err(), steps, elapsed, forward, reverse), trace)
}

/// The sender and the receiver the scenario names, started at `epoch`.
fn engines(scn: &Scenario, epoch: Instant) -> (Box<dyn Engine>, Box<dyn Engine>) {
    let timing = |d: Duration| d.max(Duration::from_secs(1));
    let zrx = zmodem::ReceiverConfig::default();
    let zrx = zmodem::ReceiverConfig {
        limits: Limits {
            start: timing(scn.receiver.limits.start),
            ..zrx.limits
        },
        ..zrx
    };
    let zmodem = scn.variant == Variant::Zmodem;
    let tx: Box<dyn Engine> = if zmodem {
        let tx = zmodem::SenderConfig::default();
        let tx = zmodem::SenderConfig {
            limits: Limits {
                start: timing(scn.sender.limits.start),
                ..tx.limits
            },
            ..tx
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
                let xy = ReceiverConfig::default();
                ReceiverConfig {
                    limits: Limits {
                        start: zrx.limits.start,
                        ..xy.limits
                    },
                    ..xy
                }
            } else {
                scn.receiver.clone()
            };
            Box::new(AutoReceiver::new(Start::Xymodem, xy, zrx, epoch))
        }
    };
    (tx, rx)
}

/// What has been seen of the transfer so far: the [`Host`] of both engines.
struct World<'a> {
    scn: &'a Scenario,
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

impl Host for World<'_> {
    fn read_file(&mut self, side: Side, offset: u64, buf: &mut [u8]) -> usize {
        if side == Side::Rx {
            self.contract = Some("the receiver asked for file data");
            return 0;
        }
        let data = self
            .file
            .and_then(|i| self.scn.files.get(i))
            .map_or(&[][..], Vec::as_slice);
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let chunk = &data[start..(start + buf.len()).min(data.len())];
        buf[..chunk.len()].copy_from_slice(chunk);
        chunk.len()
    }

    fn write_file(&mut self, side: Side, offset: u64, bytes: &[u8]) {
        if side == Side::Tx {
            self.contract = Some("the sender wrote file data");
            return;
        }
        let index = self.received.len().wrapping_sub(1);
        let pad = self.protocol.and_then(proto::Protocol::padding);
        match self.received.last_mut() {
            Some(file) if !file.committed => {
                let want = self.scn.files.get(index).map_or(&[][..], Vec::as_slice);
                let at = usize::try_from(offset).unwrap_or(usize::MAX);
                if !matches_at(want, at, bytes, pad) {
                    self.missed_by_check += 1;
                }
                // Data at an earlier offset replaces what followed it.
                file.data.truncate(at);
                if at == file.data.len() {
                    file.data.extend_from_slice(bytes);
                } else {
                    self.contract = Some("the receiver wrote past the end of its data");
                }
            }
            _ => self.contract = Some("the receiver wrote data outside a file"),
        }
    }

    fn event(&mut self, side: Side, ev: Event) {
        match side {
            Side::Tx => self.sender_event(ev),
            Side::Rx => self.receiver_event(ev),
        }
    }

    fn file_start(&mut self, side: Side, info: FileInfo) -> FileReply {
        match side {
            Side::Tx => self.file = Some(self.file.map_or(0, |i| i + 1)),
            Side::Rx => self.received.push(Received {
                info,
                ..Received::default()
            }),
        }
        FileReply::Accept
    }

    fn tracing(&self) -> bool {
        self.trace.is_some()
    }

    fn log(&mut self, now: u64, what: fmt::Arguments<'_>) {
        if let Some(trace) = &mut self.trace {
            trace.push(format!("{:>14.6?} {what}", Duration::from_nanos(now)));
        }
    }
}

impl World<'_> {
    fn sender_event(&mut self, ev: Event) {
        match ev {
            Event::Started { check, .. } => self.check = Some(check),
            Event::Retry { .. } => self.retries += 1,
            Event::Finished => self.sender = End::Finished,
            Event::Failed(e) => self.sender = End::Failed(e),
            // The last ACK was lost: the sender ends anyway; the receiver's end judges.
            Event::Progress { .. }
            | Event::FileEnd { .. }
            | Event::EndUnconfirmed { .. }
            | Event::FileSkipped
            | Event::Note(_) => {}
        }
    }

    fn receiver_event(&mut self, ev: Event) {
        match ev {
            Event::Started { protocol, .. } => self.protocol = Some(protocol),
            Event::Progress { frame, .. } => self.frame = self.frame.max(frame),
            Event::Retry { reason, .. } => {
                self.retries += 1;
                self.bad_checks += u64::from(reason == RetryReason::BadCheck);
            }
            Event::FileEnd { .. } => match self.received.last_mut() {
                Some(file) if !file.committed => file.committed = true,
                _ => self.contract = Some("the receiver ended a file it never started"),
            },
            Event::Finished => self.receiver = End::Finished,
            Event::Failed(e) => self.receiver = End::Failed(e),
            Event::FileSkipped => self.contract = Some("the receiver skipped a file unasked"),
            Event::Note(_) => {}
            Event::EndUnconfirmed { .. } => {
                self.contract = Some("the receiver reported an unconfirmed end (a sender's event)");
            }
        }
    }

    fn judge(
        self,
        hang: Option<&'static str>,
        steps: u64,
        elapsed: u64,
        forward: LineStats,
        reverse: LineStats,
    ) -> Report {
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
            elapsed: Duration::from_nanos(elapsed),
            forward,
            reverse,
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

impl Wire for Line {
    fn write(&mut self, now: u64, bytes: &[u8], dead: Option<u64>) -> Option<u64> {
        Self::write(self, now, bytes, dead).hangup
    }

    fn free_at(&self) -> u64 {
        Self::writer_free_at(self)
    }

    fn available(&self, now: u64) -> usize {
        Self::available(self, now)
    }

    fn peek(&self, n: usize) -> &[u8] {
        Self::peek(self, n)
    }

    fn consume(&mut self, n: usize) {
        Self::consume(self, n);
    }

    fn next_arrival(&self) -> Option<u64> {
        Self::next_arrival(self)
    }

    fn clear(&mut self) {
        Self::clear(self);
    }

    fn cut(&mut self, t: u64) {
        Self::cut(self, t);
    }
}
