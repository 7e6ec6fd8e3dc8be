//! Test helpers for the engines: drain outputs, feed input, advance virtual time, and run a
//! sender against a receiver on a perfect line. Nothing here sleeps.

use std::time::{Duration, Instant};

use super::contract::{Checked, Contract};
use super::xymodem::block;
use super::{Check, Engine, Error, Event, FileInfo, Io};

pub(crate) const S: Duration = Duration::from_secs(1);

/// What one drain of an engine's outputs produced.
#[derive(Default, Debug)]
pub(crate) struct Drained {
    pub(crate) wire: Vec<u8>,
    pub(crate) written: Vec<u8>,
    pub(crate) events: Vec<Event>,
}

/// A [`Io`] over buffers: what went out, what was written, the events; file reads served
/// from `file`, at the offset asked for (`read_end` keeps where the last read ended).
struct Buffers<'a> {
    d: Drained,
    file: &'a [u8],
    read_end: &'a mut usize,
}

impl Io for Buffers<'_> {
    type Error = std::convert::Infallible;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.d.wire.extend_from_slice(bytes);
        Ok(())
    }

    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let start = usize::try_from(offset).map_or(self.file.len(), |o| o.min(self.file.len()));
        let end = (start + buf.len()).min(self.file.len());
        buf[..end - start].copy_from_slice(&self.file[start..end]);
        *self.read_end = end;
        Ok(end - start)
    }

    fn write_file(&mut self, _offset: u64, data: &[u8]) -> Result<(), Self::Error> {
        self.d.written.extend_from_slice(data);
        Ok(())
    }

    fn event(&mut self, event: Event) -> Result<(), Self::Error> {
        self.d.events.push(event);
        Ok(())
    }
}

/// Drain all outputs, serving file reads from `file`; `*read_pos` is where the last read
/// ended.
pub(crate) fn drain(
    e: &mut dyn Engine,
    now: Instant,
    file: &[u8],
    read_pos: &mut usize,
) -> Drained {
    let mut io = Buffers {
        d: Drained::default(),
        file,
        read_end: read_pos,
    };
    let Ok(()) = super::drain(e, now, &mut io, &mut Vec::new());
    io.d
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
        let mut buf = Vec::new();
        // Both engines' outputs are checked against the contract.
        let (mut tx_contract, mut rx_contract) = (Contract::default(), Contract::default());
        for _ in 0..10_000_000 {
            // Sender outputs.
            let mut side = PairSender {
                run: &mut run,
                to_rx: &mut to_rx,
                at: now + self.latency,
                files,
                file: &mut file,
            };
            let Ok(()) = super::drain(
                tx,
                now,
                &mut Checked::new(&mut side, &mut tx_contract),
                &mut buf,
            );
            tx_contract.drained();
            // Receiver outputs.
            let mut side = PairReceiver {
                run: &mut run,
                to_tx: &mut to_tx,
                at: now + self.latency,
            };
            let Ok(()) = super::drain(
                rx,
                now,
                &mut Checked::new(&mut side, &mut rx_contract),
                &mut buf,
            );
            rx_contract.drained();
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

type Queue = std::collections::VecDeque<(Instant, Vec<u8>)>;

/// The sender's side of a [`Pair`]: bytes go into the queue to the receiver.
struct PairSender<'a> {
    run: &'a mut Run,
    to_rx: &'a mut Queue,
    at: Instant,
    files: &'a [Vec<u8>],
    file: &'a mut Option<usize>,
}

impl Io for PairSender<'_> {
    type Error = std::convert::Infallible;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.run.sender_wire.extend_from_slice(bytes);
        self.to_rx.push_back((self.at, bytes.to_vec()));
        Ok(())
    }

    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let data = &self.files[self.file.expect("read before FileStart")];
        let start = usize::try_from(offset).map_or(data.len(), |o| o.min(data.len()));
        let end = (start + buf.len()).min(data.len());
        buf[..end - start].copy_from_slice(&data[start..end]);
        Ok(end - start)
    }

    fn write_file(&mut self, _offset: u64, _data: &[u8]) -> Result<(), Self::Error> {
        unreachable!("a sender writes no file")
    }

    fn event(&mut self, ev: Event) -> Result<(), Self::Error> {
        if matches!(ev, Event::FileStart(_)) {
            *self.file = Some(self.file.map_or(0, |i| i + 1));
        }
        assert!(!matches!(ev, Event::Failed(_)), "sender failed: {ev:?}");
        self.run.sender_events.push(ev);
        Ok(())
    }
}

/// The receiver's side of a [`Pair`]: bytes go into the queue to the sender.
struct PairReceiver<'a> {
    run: &'a mut Run,
    to_tx: &'a mut Queue,
    at: Instant,
}

impl Io for PairReceiver<'_> {
    type Error = std::convert::Infallible;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.to_tx.push_back((self.at, bytes.to_vec()));
        Ok(())
    }

    fn read_file(&mut self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Self::Error> {
        unreachable!("a receiver reads no file")
    }

    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), Self::Error> {
        let file = &mut self
            .run
            .received
            .last_mut()
            .expect("data before FileStart")
            .1;
        assert_eq!(offset, file.len() as u64, "data out of order");
        file.extend_from_slice(data);
        Ok(())
    }

    fn event(&mut self, ev: Event) -> Result<(), Self::Error> {
        if let Event::FileStart(info) = &ev {
            self.run.received.push((info.clone(), Vec::new()));
        }
        assert!(!matches!(ev, Event::Failed(_)), "receiver failed: {ev:?}");
        self.run.receiver_events.push(ev);
        Ok(())
    }
}
