//! The blocking driver: runs a protocol [`Engine`] over a [`Link`].
//!
//! This is the only code that joins an engine to real time and real I/O.
//! Its loop is the one described in [`crate::proto`]: drain the
//! engine's outputs (write to the link, serve file reads and writes, report
//! events), then wait on the link until input arrives or the engine's
//! deadline passes, and feed the engine what happened. An interrupt flag
//! (set by a signal handler) is checked at least every
//! [`INTERRUPT_CHECK`], also while a write waits for room; it makes the engine
//! send its cancel sequence and the loop end normally, so guards such as
//! terminal raw mode are restored. A write that finds no room for
//! [`Options::write_timeout`] (the other side stopped reading) fails the session; while it
//! waits, what the other side sends is read and goes to the engine first, so a receiver that
//! stopped reading because it cancelled is seen to cancel.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub mod handlers;

use crate::files::FileError;
use crate::link::{Link, Written};
use crate::proto::{self, Abort, Engine, Event, Position};

/// The longest the driver blocks on the link before it looks at the
/// interrupt flag again.
pub const INTERRUPT_CHECK: Duration = crate::link::WRITE_SLICE;

/// How long a write may find no room before the session fails, unless
/// [`Options::write_timeout`] says otherwise: the engines' answer timeout.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How [`run_with`] runs a session.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Set by a signal handler to stop the session (cancel sent, the loop ends normally).
    pub interrupt: Option<&'a AtomicBool>,
    /// A write that finds no room for this long (the other side stopped reading, or flow
    /// control holds the line) fails the session with a [`Error::Link`] of kind
    /// [`io::ErrorKind::TimedOut`].
    pub write_timeout: Duration,
    /// The link is a terminal a person types on (raw mode keeps Ctrl-C from making a
    /// signal): a Ctrl-C byte (0x03) read before the transfer starts interrupts the session
    /// as the interrupt flag does. Before the transfer starts means before the engine's
    /// [`Event::Started`] and before any byte that can begin a sender's transfer
    /// ([`proto::begins_transfer`]): until then no peer sends 0x03, and from then on it may
    /// be data.
    pub ctrl_c: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self {
            interrupt: None,
            write_timeout: WRITE_TIMEOUT,
            ctrl_c: false,
        }
    }
}

/// Link read buffer: large enough for a burst of streamed blocks or subpackets.
const READ_BUF: usize = 64 * 1024;

/// Bytes to transmit are collected up to this size while the engine streams (its deadline
/// is now), so a stream of small frames costs one write per this many bytes; they go out
/// at once whenever the engine is about to wait.
const WRITE_CHUNK: usize = 64 * 1024;

/// What a write waiting for room may read from the other side before the engine sees it
/// (see [`Link::write_or_read`]): a receiver's cancel sequence is 20 bytes.
const WAIT_INPUT: usize = 4096;

/// A sender streaming faster than one frame per this long looks at its input once per
/// this long rather than after every frame (see the loop in [`run_with`]).
pub const LOOK_INTERVAL: Duration = Duration::from_micros(20);

/// The smallest collection (and the first): a write blocks the loop, so on a slow link
/// the chunk shrinks until one write takes about [`STREAM_LOOK`], at least this much.
const MIN_CHUNK: usize = 512;

/// While an engine streams, the longest one collected write should keep the driver from
/// looking at the input. A write that took longer shrinks the next collection in
/// proportion; one that took less doubles it (up to [`WRITE_CHUNK`]). Over a pipe writes
/// take microseconds and the chunk stays at its maximum; over a serial line at 115200 baud
/// a 64 KiB write took 5.7 s, during which a streaming ZMODEM sender could not see the
/// receiver's `ZRPOS` and sent the rest of the chunk for nothing.
const STREAM_LOOK: Duration = Duration::from_millis(20);

/// The collection after a write of `len` bytes (collected up to `chunk`) that took `took`:
/// what the link took in [`STREAM_LOOK`] if the write waited longer, else twice as much.
fn next_chunk(chunk: usize, len: usize, took: Duration) -> usize {
    if took > STREAM_LOOK {
        let fit = len as f64 * STREAM_LOOK.as_secs_f64() / took.as_secs_f64();
        (fit.round() as usize).clamp(MIN_CHUNK, WRITE_CHUNK)
    } else {
        (chunk * 2).min(WRITE_CHUNK)
    }
}

/// What the driver needs from its caller besides the link: file data and a
/// place to report events. Every method has a default, so a handler only
/// implements what its direction needs.
pub trait Handler {
    /// Sender: fill `buf` with file data from `offset` on; fewer bytes only at end of file.
    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, HandlerError> {
        let _ = (offset, buf);
        Ok(0)
    }

    /// Receiver: store file data at `offset` of the current file.
    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), HandlerError> {
        let _ = (offset, data);
        Ok(())
    }

    /// An event from the engine (progress, retries, the end). Returning an
    /// error aborts the session.
    fn event(&mut self, event: &Event) -> Result<(), HandlerError> {
        let _ = event;
        Ok(())
    }

    /// A file begins ([`proto::Output::FileStart`]). Receiver: the answer to the engine:
    /// accept, skip, or resume from a verified length; an error refuses the file (one that
    /// cannot be created) and aborts the session. Sender: the file whose data comes next;
    /// the answer is ignored.
    fn file_start(&mut self, info: &proto::FileInfo) -> Result<proto::FileReply, HandlerError> {
        let _ = info;
        Ok(proto::FileReply::Accept)
    }
}

/// Why a [`Handler`] refused an output: it aborts the session (the engine sends its cancel
/// sequence) and [`run`] returns it as [`Error::Handler`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// A local file could not be opened, created, read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The handler's own reason, for a program embedding the library (its storage failed, a
    /// file its rules refuse); the message is the error's.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// Why a session failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The protocol failed: timeout, retries, lost sync, cancelled by peer.
    #[error(transparent)]
    Protocol(proto::Error),
    /// The handler failed: a local file could not be read or written, or the caller's own
    /// handler refused.
    #[error(transparent)]
    Handler(#[from] HandlerError),
    /// The link failed or the other side hung up.
    #[error("{name}: {error}")]
    Link {
        /// The link's name.
        name: String,
        /// What went wrong (part of the message, so not also a source).
        error: io::Error,
    },
    /// The user interrupted the transfer.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// True if the link's other side went away (pipe closed, hang-up).
    pub fn is_hang_up(&self) -> bool {
        matches!(self, Self::Link { error, .. } if error.kind() == io::ErrorKind::UnexpectedEof)
    }

    /// True if the link's other side stopped reading: a write found no room in time.
    pub fn is_stalled(&self) -> bool {
        matches!(self, Self::Link { error, .. } if error.kind() == io::ErrorKind::TimedOut)
    }
}

/// What a successful session did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// File bytes confirmed over all files (padding included on the receive side of XMODEM).
    pub bytes: u64,
    /// Files completed.
    pub files: u32,
    /// Files the receiver declined ([`Event::FileSkipped`]): not sent, not counted in `files`.
    pub skipped: u32,
    /// Retries of any kind.
    pub retries: u32,
    /// The protocol spoken, once known.
    pub protocol: Option<proto::Protocol>,
    /// The check used, once known.
    pub check: Option<proto::Check>,
    /// The size of the last block confirmed.
    pub last_block: usize,
    /// Sending: the last frame of the session that the receiver did not acknowledge, when
    /// the sender stopped waiting for it ([`Event::EndUnconfirmed`]); `None` when the end
    /// was confirmed.
    pub end_unconfirmed: Option<Position>,
    /// Wall time from start to end.
    pub elapsed: Duration,
}

/// A Ctrl-C typed on the terminal that is the link (see [`Options::ctrl_c`]).
const CTRL_C: u8 = 0x03;

/// Watches the input for [`Options::ctrl_c`] until the transfer starts.
#[derive(Debug)]
struct CtrlC {
    /// Still looking: the option is on and the transfer has not started.
    watching: bool,
}

impl CtrlC {
    /// True if `input` holds a Ctrl-C before anything that begins a transfer. Stops looking
    /// at the first such byte: the rest is the transfer's.
    fn typed(&mut self, input: &[u8]) -> bool {
        if !self.watching {
            return false;
        }
        for &byte in input {
            if byte == CTRL_C {
                return true;
            }
            if proto::begins_transfer(byte) {
                self.watching = false;
                return false;
            }
        }
        false
    }
}

/// The driver's side of [`proto::drain`]: the link, the caller's handler, and what the
/// session has told so far.
struct DriverIo<'a> {
    link: &'a mut dyn Link,
    handler: &'a mut dyn Handler,
    summary: Summary,
    /// Bytes of the files already completed.
    done_bytes: u64,
    outcome: Option<Result<(), proto::Error>>,
    /// A write failed: nothing more goes to the link.
    link_dead: bool,
    /// Bytes to transmit not yet written (see [`WRITE_CHUNK`]).
    wbuf: Vec<u8>,
    /// Collect this much while streaming before a write ([`STREAM_LOOK`]).
    chunk: usize,
    /// A write was interrupted while it waited for room: the link may be stuck, so it is
    /// not flushed at the end.
    stuck: bool,
    /// Writes to the link so far: one that happened may have waited for room.
    writes: u64,
    /// What the other side sent while a write waited for room ([`Link::write_or_read`]),
    /// its first `input_len` bytes: it goes to the engine before anything read later, and
    /// before the rest of `wbuf` is written.
    input: Vec<u8>,
    input_len: usize,
    /// Since when a write has been waiting for room, if it returned with bytes left (input
    /// arrived), so the write timeout counts from the first wait, not from each return.
    blocked_since: Option<Instant>,
    /// A write found the other side gone; the engine is told after the drain.
    hung_up: Option<io::Error>,
    interrupt: Option<&'a AtomicBool>,
    write_timeout: Duration,
    ctrl_c: CtrlC,
}

impl DriverIo<'_> {
    fn link_error(&self, error: io::Error) -> Error {
        Error::Link {
            name: self.link.name().to_owned(),
            error,
        }
    }

    /// Write what was collected, waiting at most the write timeout for room. A peer that
    /// went away is noted for the engine ([`Engine::handle_hang_up`]) rather than failed.
    /// When the other side sends something while the write waits, the write returns with the
    /// rest kept in `wbuf` and the input in `input`, for the engine to see first.
    fn flush_out(&mut self) -> Result<(), Error> {
        if self.wbuf.is_empty() || self.link_dead {
            self.wbuf.clear();
            self.blocked_since = None;
            return Ok(());
        }
        if self.input_len > 0 {
            return Ok(());
        }
        self.writes += 1;
        let stall = self.blocked_since.map_or(self.write_timeout, |t| {
            self.write_timeout.saturating_sub(t.elapsed())
        });
        let result = self
            .link
            .write_or_read(&self.wbuf, stall, self.interrupt, &mut self.input);
        let result = match result {
            Ok(Written { written, read }) => {
                self.input_len = read.min(self.input.len());
                if written >= self.wbuf.len() {
                    self.wbuf.clear();
                    self.blocked_since = None;
                } else {
                    self.wbuf.drain(..written);
                    if written > 0 || self.blocked_since.is_none() {
                        self.blocked_since = Some(Instant::now());
                    }
                }
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                Err(crate::link::stalled(self.write_timeout))
            }
            Err(e) => Err(e),
        };
        self.wbuf.clear();
        self.blocked_since = None;
        result
            .or_else(|e| {
                if matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe
                ) {
                    // Not a local failure yet: the engine may have been waiting for nothing
                    // more (see `Engine::handle_hang_up`).
                    self.link_dead = true;
                    self.hung_up = Some(crate::link::hung_up());
                    return Ok(());
                }
                Err(e)
            })
            .map_err(|e| {
                if e.kind() == io::ErrorKind::Interrupted {
                    // The cancel sequence may still find room.
                    self.stuck = true;
                    return Error::Interrupted;
                }
                self.link_dead = true;
                self.link_error(e)
            })
    }
}

impl proto::Io for DriverIo<'_> {
    type Error = Error;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.link_dead {
            return Ok(());
        }
        self.wbuf.extend_from_slice(bytes);
        if self.wbuf.len() >= self.chunk {
            let len = self.wbuf.len();
            let began = Instant::now();
            self.flush_out()?;
            self.chunk = next_chunk(self.chunk, len, began.elapsed());
        }
        Ok(())
    }

    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        Ok(self.handler.read_file(offset, buf)?)
    }

    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), Error> {
        Ok(self.handler.write_file(offset, data)?)
    }

    fn event(&mut self, event: Event) -> Result<(), Error> {
        note(&mut self.summary, &mut self.done_bytes, &event);
        match &event {
            Event::Started { .. } => self.ctrl_c.watching = false,
            Event::Finished => self.outcome = Some(Ok(())),
            Event::Failed(e) => self.outcome = Some(Err(e.clone())),
            _ => {}
        }
        Ok(self.handler.event(&event)?)
    }

    fn file_start(&mut self, info: proto::FileInfo) -> Result<proto::FileReply, Error> {
        Ok(self.handler.file_start(&info)?)
    }
}

/// Run `engine` over `link` to its end, writes limited to [`WRITE_TIMEOUT`] without room.
/// Returns the summary, or the first error: a local file or link error in preference to the
/// protocol error it caused.
pub fn run(
    engine: &mut dyn Engine,
    link: &mut dyn Link,
    handler: &mut dyn Handler,
    interrupt: Option<&AtomicBool>,
) -> Result<Summary, Error> {
    let options = Options {
        interrupt,
        ..Options::default()
    };
    run_with(engine, link, handler, &options)
}

/// [`run`] with [`Options`].
pub fn run_with(
    engine: &mut dyn Engine,
    link: &mut dyn Link,
    handler: &mut dyn Handler,
    options: &Options<'_>,
) -> Result<Summary, Error> {
    let interrupt = options.interrupt;
    let started = Instant::now();
    let mut io = DriverIo {
        link,
        handler,
        summary: Summary::default(),
        done_bytes: 0,
        outcome: None,
        link_dead: false,
        wbuf: Vec::with_capacity(WRITE_CHUNK + 16 * 1024),
        chunk: MIN_CHUNK,
        stuck: false,
        writes: 0,
        input: vec![0; WAIT_INPUT],
        input_len: 0,
        blocked_since: None,
        hung_up: None,
        interrupt,
        write_timeout: options.write_timeout,
        ctrl_c: CtrlC {
            watching: options.ctrl_c,
        },
    };
    let mut buf = vec![0u8; READ_BUF];
    let mut file_buf = Vec::new();
    let (mut pending_from, mut pending_to) = (0, 0);
    let mut local_error: Option<Error> = None;

    // The clock is read once per turn of the loop and again only after something that may
    // have blocked (a write that waited for room, a read that waited for input): a turn
    // that neither waits nor writes takes microseconds, and a streaming session turns once
    // per frame, where reading the clock five times a turn showed in profiles.
    let mut now = Instant::now();
    // When the streaming sender last looked at its input with a system call.
    let mut last_look: Option<Instant> = None;
    loop {
        // 1. Act on every output, in order. Bytes to transmit go out now, unless the
        // engine streams on (its deadline is now) and they do not fill a chunk yet.
        let writes = io.writes;
        if let Err(e) = proto::drain(engine, now, &mut io, &mut file_buf) {
            local_error.get_or_insert(e);
        }
        if io.writes != writes {
            now = Instant::now();
        }
        let streaming = engine.poll_timeout().is_some_and(|d| d <= now);
        if engine.is_finished() && io.blocked_since.is_some() && matches!(io.outcome, Some(Err(_)))
        {
            // The session failed (most likely on the other side's cancel, read while a write
            // waited) with the line full: no one takes the rest, and waiting for room would
            // only hold the exit for the write timeout.
            io.wbuf.clear();
            io.stuck = true;
        } else if !streaming || engine.is_finished() {
            if engine.is_finished() {
                // Nothing reads input any more: what a write read while it waited must not
                // hold back the rest of it (a receiver's last ACK).
                io.input_len = 0;
            }
            let writes = io.writes;
            let flushed = io.flush_out();
            if io.writes != writes {
                now = Instant::now();
            }
            if let Err(e) = flushed {
                let why = match e {
                    Error::Interrupted => Abort::Interrupted,
                    _ => Abort::Local(e.to_string()),
                };
                local_error.get_or_insert(e);
                engine.abort(now, why);
                continue;
            }
        }
        if let Some(e) = io.hung_up.take() {
            hang_up(engine, &mut io, &mut local_error, e);
            continue;
        }
        if engine.is_finished() {
            break;
        }

        // 2. Feed input left over from the last read, if the engine paused, then what the
        // other side sent while a write waited for room.
        if pending_from == pending_to && io.input_len > 0 {
            let n = io.input_len;
            buf[..n].copy_from_slice(&io.input[..n]);
            (pending_from, pending_to) = (0, n);
            io.input_len = 0;
            if io.ctrl_c.typed(&buf[..n]) {
                interrupted(engine, &mut local_error, now);
                continue;
            }
        }
        if pending_from < pending_to {
            let n = engine.handle_input(now, &buf[pending_from..pending_to]);
            pending_from += n;
            continue;
        }

        // 3. Interrupted? Cancel, and let the loop wind down normally.
        if interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) && local_error.is_none() {
            interrupted(engine, &mut local_error, now);
            continue;
        }

        // 4. Wait for input or the deadline. A link that failed can carry nothing more,
        // not even the cancel sequence: the session ends here.
        if io.link_dead {
            break;
        }
        // A deadline that has come is served even if input keeps arriving (a peer that
        // chatters without answering must not keep the engine's timeouts from firing), but
        // only after a look at what arrived: a streaming sender's deadline is "now", and it
        // must see the receiver's answer before it sends on. That look costs a system call;
        // a sender that streams faster than a frame per LOOK_INTERVAL (only a pipe or a
        // socket is that fast: 1 KiB takes 89 ms at 115200 baud) looks once per interval.
        let due = engine.poll_timeout().is_some_and(|d| now >= d);
        if due && last_look.is_some_and(|t| now.saturating_duration_since(t) < LOOK_INTERVAL) {
            engine.handle_timeout(now);
            continue;
        }
        let wait = match engine.poll_timeout() {
            _ if due => Duration::ZERO,
            Some(d) => d.saturating_duration_since(now).min(INTERRUPT_CHECK),
            None => INTERRUPT_CHECK,
        };
        let read = io.link.read(&mut buf, wait);
        if wait.is_zero() {
            last_look = Some(now);
        } else {
            now = Instant::now();
        }
        match read {
            Ok(0) => engine.handle_timeout(now),
            Ok(n) if io.ctrl_c.typed(&buf[..n]) => interrupted(engine, &mut local_error, now),
            Ok(n) => {
                // Something arrived: look again next time.
                last_look = None;
                let n2 = engine.handle_input(now, &buf[..n]);
                (pending_from, pending_to) = (n2, n);
                if due {
                    engine.handle_timeout(now);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                io.link_dead = true;
                hang_up(engine, &mut io, &mut local_error, e);
            }
            Err(e) => {
                io.link_dead = true;
                local_error.get_or_insert(io.link_error(e));
                engine.abort(now, Abort::Local("link failed".into()));
            }
        }
    }

    // The engine has ended: input that arrives while the rest waits for room is of no use,
    // and must not hold the rest back (each wait still counts towards the write timeout).
    while !io.link_dead && !io.stuck && !io.wbuf.is_empty() {
        io.input_len = 0;
        if let Err(e) = io.flush_out() {
            local_error.get_or_insert(e);
            break;
        }
    }
    if !io.link_dead && !io.stuck {
        let _ = io.link.flush();
    }
    // What the engine left of its last read is not the session's (the shell's prompt after a
    // ZMODEM session's `OO`, the next program's first bytes): the link keeps it if it can.
    if pending_from < pending_to {
        io.link.unread(&buf[pending_from..pending_to]);
    }
    let mut summary = io.summary;
    summary.elapsed = started.elapsed();
    if let Some(e) = local_error {
        return Err(e);
    }
    match io.outcome {
        Some(Ok(())) => Ok(summary),
        Some(Err(e)) => Err(Error::Protocol(e)),
        None => Err(Error::Link {
            name: io.link.name().to_owned(),
            error: io::Error::other("the session ended without a result"),
        }),
    }
}

/// The user interrupted: cancel, and let the loop wind down normally.
fn interrupted(engine: &mut dyn Engine, local_error: &mut Option<Error>, now: Instant) {
    if local_error.is_none() {
        *local_error = Some(Error::Interrupted);
        engine.abort(now, Abort::Interrupted);
    }
}

/// The other side went away: the end of the session if the engine was waiting for nothing
/// more, else a link error that aborts it.
fn hang_up(
    engine: &mut dyn Engine,
    io: &mut DriverIo<'_>,
    local_error: &mut Option<Error>,
    e: io::Error,
) {
    if !engine.handle_hang_up(Instant::now()) {
        local_error.get_or_insert(io.link_error(e));
        engine.abort(Instant::now(), Abort::Local("link failed".into()));
    }
}

/// Keep the summary up to date; `done` is the byte count of the files already completed.
fn note(summary: &mut Summary, done: &mut u64, event: &Event) {
    match *event {
        Event::Started {
            protocol, check, ..
        } => {
            summary.protocol = Some(protocol);
            summary.check = Some(check);
        }
        Event::Progress { bytes, frame } => {
            summary.bytes = *done + bytes;
            summary.last_block = frame;
        }
        Event::FileEnd { bytes } => {
            *done += bytes;
            summary.bytes = *done;
            summary.files += 1;
        }
        Event::Retry { .. } => summary.retries += 1,
        Event::FileSkipped => summary.skipped += 1,
        Event::EndUnconfirmed { at } => summary.end_unconfirmed = Some(at),
        Event::Note(_) | Event::Finished | Event::Failed(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::testing::Script;
    use crate::proto::cancel::CANCEL_SEQUENCE;
    use crate::proto::{FileInfo, zmodem};

    /// A sender whose writes find no room (the receiver stopped reading) sees the receiver's
    /// cancel, read while it waits, and fails as cancelled by the other side at once, rather
    /// than when the write timeout runs out.
    #[test]
    fn a_write_waiting_for_room_sees_the_other_sides_cancel() {
        let mut link = Script {
            stuck: true,
            ..Script::new(&[b"**", &CANCEL_SEQUENCE])
        };
        let files = vec![FileInfo {
            name: b"f".to_vec(),
            size: Some(1),
            ..FileInfo::default()
        }];
        let mut engine =
            zmodem::Sender::new(zmodem::SenderConfig::default(), files, Instant::now());
        let options = Options {
            interrupt: None,
            write_timeout: Duration::from_millis(500),
            ctrl_c: false,
        };
        let began = Instant::now();
        let result = run_with(&mut engine, &mut link, &mut NoFiles, &options);
        let took = began.elapsed();
        assert!(
            matches!(
                result,
                Err(Error::Protocol(proto::Error::PeerAborted(
                    proto::PeerAbort::Cancelled
                )))
            ),
            "{result:?}"
        );
        // Nothing was written, the cancel included: the line is full.
        assert!(link.written.is_empty(), "{:?}", link.written);
        assert!(took < Duration::from_millis(400), "{took:?}");
    }

    struct NoFiles;
    impl Handler for NoFiles {}

    /// A handler of the caller's own that refuses every file.
    struct Refuses;
    impl Handler for Refuses {
        fn file_start(&mut self, _info: &FileInfo) -> Result<proto::FileReply, HandlerError> {
            Err(HandlerError::Other("no files accepted here".into()))
        }
    }

    /// A file the handler refuses at its start is never acknowledged: the engine sends its
    /// cancel sequence instead, and the session fails with the handler's own message.
    #[test]
    fn a_file_the_handler_refuses_is_cancelled_before_its_ack() {
        use crate::proto::Check;
        use crate::proto::xymodem::block::{ACK, encode};
        let mut block = Vec::new();
        encode(&mut block, 1, b"data", 128, Check::Crc16, 0x1A);
        let mut link = Script::new(&[&block]);
        let mut engine = proto::Receiver::new(proto::ReceiverConfig::default(), Instant::now());
        let result = run_with(&mut engine, &mut link, &mut Refuses, &Options::default());
        let Err(e @ Error::Handler(HandlerError::Other(_))) = &result else {
            panic!("{result:?}");
        };
        assert_eq!(e.to_string(), "no files accepted here");
        assert!(!link.written.contains(&ACK), "{:02x?}", link.written);
        assert!(
            link.written.ends_with(&CANCEL_SEQUENCE),
            "{:02x?}",
            link.written
        );
    }

    /// A script whose `stuck_at`-th ACK written (counting from 1) first finds no room once.
    struct AckStuckOnce {
        script: Script,
        acks: u32,
        stuck_at: u32,
        was_stuck: bool,
    }

    impl Link for AckStuckOnce {
        fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
            self.script.read(buf, timeout)
        }
        fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
            if data.first() == Some(&0x06) {
                if self.acks + 1 == self.stuck_at && !self.was_stuck {
                    self.was_stuck = true;
                    return Ok(0);
                }
                self.acks += 1;
            }
            self.script.write(data, timeout)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn name(&self) -> &str {
            "script"
        }
    }

    /// A receiver's last ACK that first finds no room, while the sender's next bytes arrive,
    /// still goes out once there is room: the engine has ended, and input it will never read
    /// must not hold the ACK back (the sender would wait for it in vain).
    #[test]
    fn the_last_ack_goes_out_after_input_read_while_it_waited() {
        use crate::proto::Check;
        use crate::proto::xymodem::block::{EOT, encode};
        let mut block = Vec::new();
        encode(&mut block, 1, b"data", 128, Check::Crc16, 0x1A);
        let mut link = AckStuckOnce {
            script: Script::new(&[&block, &[EOT], &[EOT], b"more"]),
            acks: 0,
            stuck_at: 2,
            was_stuck: false,
        };
        let mut engine = proto::Receiver::new(proto::ReceiverConfig::default(), Instant::now());
        let result = run_with(&mut engine, &mut link, &mut NoFiles, &Options::default());
        assert!(result.is_ok(), "{result:?}");
        assert!(link.was_stuck);
        assert_eq!(link.acks, 2, "{:02x?}", link.script.written);
        assert_eq!(link.script.written.last(), Some(&0x06));
    }

    /// What came in the same read after the session's last byte (a shell's prompt) is handed
    /// back to the link, where a [`Replay`](crate::link::Replay) keeps it for the next reader.
    #[test]
    fn input_after_the_end_is_handed_back_to_the_link() {
        use crate::link::Replay;
        // A ZMODEM sender's ZFIN, then its `OO` and the shell's prompt in one read.
        let script = Script::new(&[b"**\x18B0800000000022d\r\x8a", b"OO$ *"]);
        let mut link = Replay::new(script, Vec::new());
        let mut engine = zmodem::Receiver::new(zmodem::ReceiverConfig::default(), Instant::now());
        let result = run_with(&mut engine, &mut link, &mut NoFiles, &Options::default());
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(link.pending(), b"$ *");
    }

    /// On a terminal link, a Ctrl-C byte typed before the sender begins (keys typed first
    /// do not matter) interrupts: the cancel goes out and the session ends as interrupted.
    #[test]
    fn a_ctrl_c_typed_before_the_transfer_interrupts() {
        let mut link = Script::new(&[b"ls\r", &[CTRL_C]]);
        let mut engine = proto::Receiver::new(proto::ReceiverConfig::default(), Instant::now());
        let options = Options {
            ctrl_c: true,
            ..Options::default()
        };
        let result = run_with(&mut engine, &mut link, &mut NoFiles, &options);
        assert!(matches!(result, Err(Error::Interrupted)), "{result:?}");
        assert!(
            link.written.ends_with(&CANCEL_SEQUENCE),
            "{:?}",
            link.written
        );
    }

    /// Once a byte that begins a transfer has come, or the engine has started, 0x03 is the
    /// peer's data, never a Ctrl-C.
    #[test]
    fn a_ctrl_c_byte_after_the_transfer_begins_is_data() {
        use crate::proto::cancel::CAN;
        use crate::proto::xymodem::block::SOH;
        let mut watch = CtrlC { watching: true };
        assert!(!watch.typed(b"hello\r\n"));
        assert!(!watch.typed(&[SOH, 1, 0xFE, CTRL_C]));
        assert!(!watch.typed(&[CTRL_C]));
        for start in [SOH, CAN, b'*'] {
            let mut watch = CtrlC { watching: true };
            assert!(!watch.typed(&[start]));
            assert!(!watch.typed(&[CTRL_C]), "after {start:#04x}");
        }
        let mut watch = CtrlC { watching: true };
        assert!(watch.typed(&[b'C', CTRL_C]));
        let mut watch = CtrlC { watching: false };
        assert!(!watch.typed(&[CTRL_C]));
    }

    /// A link at 115200 baud takes 11 520 bytes a second: a 64 KiB write keeps the driver
    /// from the input for 5.7 s, so the next collection is what goes in 20 ms (230 bytes,
    /// i.e. the smallest); a pipe takes 64 KiB in microseconds and keeps the largest.
    #[test]
    fn stream_writes_shrink_to_what_a_slow_link_takes_in_20_ms() {
        let ms = Duration::from_millis;
        assert_eq!(next_chunk(WRITE_CHUNK, WRITE_CHUNK, ms(5689)), MIN_CHUNK);
        // 1 Mbaud: 100 000 bytes a second, 2 000 in 20 ms.
        assert_eq!(next_chunk(8192, 8192, Duration::from_micros(81_920)), 2000);
        assert_eq!(next_chunk(WRITE_CHUNK, WRITE_CHUNK, ms(1)), WRITE_CHUNK);
        // A write that did not wait (the link's buffer had room) doubles the next.
        let mut chunk = MIN_CHUNK;
        for _ in 0..10 {
            chunk = next_chunk(chunk, chunk, Duration::from_micros(20));
        }
        assert_eq!(chunk, WRITE_CHUNK);
    }
}
