//! Test helpers for the engines: drain outputs, feed input, advance virtual time, and run a
//! sender against a receiver on a perfect line. Nothing here sleeps.

use std::time::{Duration, Instant};

use super::xymodem::block;
use super::{Check, Engine, Error, Event, FileInfo, Output};

pub(crate) const S: Duration = Duration::from_secs(1);

/// What one drain of an engine's outputs produced.
#[derive(Default, Debug)]
pub(crate) struct Drained {
    pub(crate) wire: Vec<u8>,
    pub(crate) written: Vec<u8>,
    pub(crate) events: Vec<Event>,
}

/// Drain all outputs, serving file reads from `file` at `*read_pos`.
pub(crate) fn drain(
    e: &mut dyn Engine,
    now: Instant,
    file: &[u8],
    read_pos: &mut usize,
) -> Drained {
    let mut d = Drained::default();
    loop {
        let req = match e.poll_output() {
            None => break,
            Some(Output::Transmit(b)) => {
                d.wire.extend_from_slice(b);
                None
            }
            Some(Output::WriteFile(b)) => {
                d.written.extend_from_slice(b);
                None
            }
            Some(Output::Event(ev)) => {
                d.events.push(ev);
                None
            }
            Some(Output::ReadFile { max }) => Some(max),
        };
        if let Some(max) = req {
            let end = (*read_pos + max).min(file.len());
            let chunk = file[*read_pos..end].to_vec();
            *read_pos = end;
            e.provide_data(now, &chunk);
        }
    }
    d
}

/// Feed all of `bytes`, draining between pieces. File reads are answered with no data (end
/// of file): use `handle_input` and `drain` to serve data.
pub(crate) fn feed(e: &mut dyn Engine, now: Instant, bytes: &[u8]) -> Drained {
    let mut all = Drained::default();
    let mut rest = bytes;
    let mut pos = 0;
    loop {
        let d = drain(e, now, &[], &mut pos);
        all.wire.extend(d.wire);
        all.written.extend(d.written);
        all.events.extend(d.events);
        if rest.is_empty() {
            break;
        }
        let n = e.handle_input(now, rest);
        rest = &rest[n..];
    }
    all
}

pub(crate) fn tick(e: &mut dyn Engine, now: Instant) -> Drained {
    e.handle_timeout(now);
    let mut pos = 0;
    drain(e, now, &[], &mut pos)
}

pub(crate) fn failed(events: &[Event]) -> Option<&Error> {
    events.iter().find_map(|e| match e {
        Event::Failed(err) => Some(err),
        _ => None,
    })
}

pub(crate) fn block(number: u8, data: &[u8], size: usize, check: Check) -> Vec<u8> {
    let mut out = Vec::new();
    block::encode(&mut out, number, data, size, check, block::PAD);
    out
}

pub(crate) fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// What a whole session between two engines produced.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// Each file the receiver announced, with the bytes it delivered.
    pub(crate) received: Vec<(FileInfo, Vec<u8>)>,
    /// Every byte the sender put on the line.
    pub(crate) sender_wire: Vec<u8>,
    pub(crate) sender_events: Vec<Event>,
    pub(crate) receiver_events: Vec<Event>,
    /// Virtual time from start to end.
    pub(crate) elapsed: Duration,
}

/// Joins two engines over a perfect line, optionally with a fixed one-way latency.
#[derive(Debug, Default)]
pub(crate) struct Pair {
    pub(crate) latency: Duration,
}

impl Pair {
    /// Run `tx` (sending `files`, one per `Event::FileStart`) against `rx` to the end. Panics
    /// if either fails or nothing is left to do before both ended (a hang).
    pub(crate) fn run(
        &self,
        tx: &mut dyn Engine,
        rx: &mut dyn Engine,
        files: &[Vec<u8>],
        t0: Instant,
    ) -> Run {
        let mut run = Run::default();
        let mut now = t0;
        // In-flight bytes with their arrival times, one queue per direction.
        let mut to_rx: std::collections::VecDeque<(Instant, Vec<u8>)> = Default::default();
        let mut to_tx: std::collections::VecDeque<(Instant, Vec<u8>)> = Default::default();
        let mut file: Option<usize> = None;
        let mut pos = 0;
        for _ in 0..10_000_000 {
            // Sender outputs.
            while let Some(out) = tx.poll_output() {
                let read = match out {
                    Output::Transmit(b) => {
                        run.sender_wire.extend_from_slice(b);
                        to_rx.push_back((now + self.latency, b.to_vec()));
                        None
                    }
                    Output::Event(ev) => {
                        if matches!(ev, Event::FileStart(_)) {
                            file = Some(file.map_or(0, |i| i + 1));
                            pos = 0;
                        }
                        assert!(!matches!(ev, Event::Failed(_)), "sender failed: {ev:?}");
                        run.sender_events.push(ev);
                        None
                    }
                    Output::ReadFile { max } => Some(max),
                    Output::WriteFile(_) => unreachable!("a sender writes no file"),
                };
                if let Some(max) = read {
                    let data = &files[file.expect("read before FileStart")];
                    let end = (pos + max).min(data.len());
                    let chunk = data[pos..end].to_vec();
                    pos = end;
                    tx.provide_data(now, &chunk);
                }
            }
            // Receiver outputs.
            while let Some(out) = rx.poll_output() {
                match out {
                    Output::Transmit(b) => to_tx.push_back((now + self.latency, b.to_vec())),
                    Output::WriteFile(b) => run
                        .received
                        .last_mut()
                        .expect("data before FileStart")
                        .1
                        .extend_from_slice(b),
                    Output::Event(ev) => {
                        if let Event::FileStart(info) = &ev {
                            run.received.push((info.clone(), Vec::new()));
                        }
                        assert!(!matches!(ev, Event::Failed(_)), "receiver failed: {ev:?}");
                        run.receiver_events.push(ev);
                    }
                    Output::ReadFile { .. } => unreachable!("a receiver reads no file"),
                }
            }
            if tx.is_finished() && rx.is_finished() {
                run.elapsed = now - t0;
                return run;
            }
            // Deliver what has arrived, else jump to the next arrival or deadline.
            if let Some((at, _)) = to_rx.front()
                && *at <= now
            {
                let (_, mut bytes) = to_rx.pop_front().expect("front");
                let n = rx.handle_input(now, &bytes);
                if n < bytes.len() {
                    to_rx.push_front((now, bytes.split_off(n)));
                }
                continue;
            }
            if let Some((at, _)) = to_tx.front()
                && *at <= now
            {
                let (_, mut bytes) = to_tx.pop_front().expect("front");
                let n = tx.handle_input(now, &bytes);
                if n < bytes.len() {
                    to_tx.push_front((now, bytes.split_off(n)));
                }
                continue;
            }
            let next = [
                tx.poll_timeout(),
                rx.poll_timeout(),
                to_rx.front().map(|f| f.0),
                to_tx.front().map(|f| f.0),
            ]
            .into_iter()
            .flatten()
            .min()
            .expect("both engines idle without a deadline: hang");
            now = now.max(next);
            tx.handle_timeout(now);
            rx.handle_timeout(now);
        }
        panic!("session did not end");
    }
}
