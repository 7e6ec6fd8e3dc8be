//! Test helpers for the engines: drain outputs, feed input, advance virtual time, and run a
//! sender against a receiver on a perfect line. Nothing here sleeps.

use std::time::{Duration, Instant};

use super::pair::{self, Host, Side, Wire};
use super::xymodem::block;
use super::{Check, Engine, Error, Event, FileInfo, FileReply, Io};

pub(crate) const S: Duration = Duration::from_secs(1);

/// What one drain of an engine's outputs produced.
#[derive(Default, Debug)]
pub(crate) struct Drained {
    pub(crate) wire: Vec<u8>,
    pub(crate) written: Vec<u8>,
    pub(crate) events: Vec<Event>,
    /// The files started (`Output::FileStart`), each accepted.
    pub(crate) files: Vec<FileInfo>,
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

    fn file_start(&mut self, info: FileInfo) -> Result<FileReply, Self::Error> {
        self.d.files.push(info);
        Ok(FileReply::Accept)
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
        all.files.extend(d.files);
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

/// Joins two engines over a perfect line, optionally with a fixed one-way latency: a
/// [`pair::Pair`] over two [`Perfect`] wires.
#[derive(Debug, Default)]
pub(crate) struct Pair {
    pub(crate) latency: Duration,
}

impl Pair {
    /// Run `tx` (sending `files`, one per `Output::FileStart`) against `rx` to the end. Panics
    /// if either fails or nothing is left to do before both ended (a hang).
    pub(crate) fn run(
        &self,
        tx: &mut dyn Engine,
        rx: &mut dyn Engine,
        files: &[Vec<u8>],
        t0: Instant,
    ) -> Run {
        let latency = self.latency.as_nanos() as u64;
        let wire = || Perfect {
            latency,
            ..Perfect::default()
        };
        let mut pair = pair::Pair::new(tx, rx, wire(), wire(), t0);
        let mut host = Collect {
            run: Run::default(),
            files,
            file: None,
        };
        let (end, _) = pair.run(&mut host, 10_000_000, u64::MAX);
        if let Err(why) = end {
            panic!("the session did not end: {why}");
        }
        let mut run = host.run;
        run.sender_wire = std::mem::take(&mut pair.fwd.written);
        run.elapsed = Duration::from_nanos(pair.now);
        run
    }
}

/// A line that delivers every byte intact, `latency` after it was written, and never blocks
/// its writer; it keeps everything written.
#[derive(Debug, Default)]
struct Perfect {
    latency: u64,
    /// Bytes in flight from `start` on.
    data: Vec<u8>,
    start: usize,
    /// Each write: when it arrives, and where it ends in `data`.
    writes: std::collections::VecDeque<(u64, usize)>,
    written: Vec<u8>,
}

impl Wire for Perfect {
    fn write(&mut self, now: u64, bytes: &[u8], _dead: Option<u64>) -> Option<u64> {
        self.data.extend_from_slice(bytes);
        self.writes.push_back((now + self.latency, self.data.len()));
        self.written.extend_from_slice(bytes);
        None
    }

    fn free_at(&self) -> u64 {
        0
    }

    fn available(&self, now: u64) -> usize {
        self.writes
            .iter()
            .take_while(|(at, _)| *at <= now)
            .last()
            .map_or(0, |(_, end)| end - self.start)
    }

    fn peek(&self, n: usize) -> &[u8] {
        &self.data[self.start..self.start + n]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        while self
            .writes
            .front()
            .is_some_and(|(_, end)| *end <= self.start)
        {
            self.writes.pop_front();
        }
        if self.writes.is_empty() {
            self.clear();
        }
    }

    fn next_arrival(&self) -> Option<u64> {
        self.writes.front().map(|(at, _)| *at)
    }

    fn clear(&mut self) {
        self.data.clear();
        self.start = 0;
        self.writes.clear();
    }

    fn cut(&mut self, _t: u64) {}
}

/// The callers of both engines of a [`Pair`]: file data served from `files`, what the
/// receiver delivers and every event collected; a failure panics.
struct Collect<'a> {
    run: Run,
    files: &'a [Vec<u8>],
    /// The sender's file, by its `FileStart`s.
    file: Option<usize>,
}

impl Host for Collect<'_> {
    fn read_file(&mut self, side: Side, offset: u64, buf: &mut [u8]) -> usize {
        assert_eq!(side, Side::Tx, "a receiver reads no file");
        let data = &self.files[self.file.expect("read before FileStart")];
        let start = usize::try_from(offset).map_or(data.len(), |o| o.min(data.len()));
        let end = (start + buf.len()).min(data.len());
        buf[..end - start].copy_from_slice(&data[start..end]);
        end - start
    }

    fn write_file(&mut self, side: Side, offset: u64, data: &[u8]) {
        assert_eq!(side, Side::Rx, "a sender writes no file");
        let file = &mut self
            .run
            .received
            .last_mut()
            .expect("data before FileStart")
            .1;
        assert_eq!(offset, file.len() as u64, "data out of order");
        file.extend_from_slice(data);
    }

    fn event(&mut self, side: Side, ev: Event) {
        match side {
            Side::Tx => {
                assert!(!matches!(ev, Event::Failed(_)), "sender failed: {ev:?}");
                self.run.sender_events.push(ev);
            }
            Side::Rx => {
                assert!(!matches!(ev, Event::Failed(_)), "receiver failed: {ev:?}");
                self.run.receiver_events.push(ev);
            }
        }
    }

    fn file_start(&mut self, side: Side, info: FileInfo) -> FileReply {
        match side {
            Side::Tx => self.file = Some(self.file.map_or(0, |i| i + 1)),
            Side::Rx => self.run.received.push((info, Vec::new())),
        }
        FileReply::Accept
    }
}
