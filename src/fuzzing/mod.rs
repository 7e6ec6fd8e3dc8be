//! Fuzz target bodies. **Unstable, for fuzzers: not public API.**
//!
//! Each function takes arbitrary bytes, decodes them into a session or a parser input, and
//! checks invariants with `assert!`, so a violation is a panic that libFuzzer (the cargo-fuzz
//! crate in `tests/fuzz/`) or proptest (`tests/integration/fuzz_bodies.rs`) reports with the
//! input that caused it. See `docs/FUZZING.md`.
//!
//! - [`receiver()`] and [`sender()`] run one engine on virtual time against operations decoded
//!   from the input: raw bytes from the peer, well-formed (or deliberately damaged) blocks and
//!   headers, timeouts after a decoded delay or at the engine's deadline, peer cancels and local
//!   aborts. Between operations every output is drained, as the [`Engine`] contract demands.
//! - [`receive_path()`] runs the X/YMODEM or the ZMODEM receiver as [`receiver()`] and
//!   [`zmodem_receiver()`] do, but behind the library's file policy (`files::ReceiveFiles`,
//!   answering each file as the CLI does: store, skip or resume) writing real files in a
//!   temporary directory, with hostile header text (names, sizes, times, modes) and files
//!   already there, and checks what lands on disk.
//! - [`auto_receiver()`] runs `recv`'s front end (`proto::detect::AutoReceiver`) against X/YMODEM
//!   blocks and ZMODEM frames mixed on one line, through its detection and hand-over to either
//!   engine.
//! - [`block`] feeds the block assembler arbitrary bytes and round-trips encoded blocks.
//! - [`header`] parses arbitrary YMODEM block 0 data and round-trips headers.
//! - [`telnet()`] feeds the network links' telnet decoder arbitrary bytes in pieces and
//!   round-trips data through its encoding.
//!
//! Invariants checked on the engines, after every call:
//!
//! - `handle_input` consumes at most what it was given, and at least one byte of non-empty
//!   input when it had no pending output (it never has: outputs are drained before each call),
//!   unless the call ended the session or made output due that goes out first (`recv`'s front
//!   end sends its start character before the bytes that were waiting): the next call, after
//!   the drain, must then take some;
//! - `poll_timeout` is never in the past, and is `Some` while the session runs (else it hangs);
//! - a `handle_timeout` before the deadline changes nothing;
//! - `WriteFile` pieces are at most 1024 bytes, come inside a file (after its `FileStart`) and
//!   add up to the `FileEnd` count, never beyond the header's length; a receiver never asks
//!   for file data and a sender never writes any; read requests are 128 or 1024 bytes;
//! - a sender's files start in batch order and end with exactly their length acknowledged;
//! - `Finished` or `Failed` comes once, nothing but bytes follow it, `is_finished()` is true
//!   from the moment the outputs are drained (and not before), and the engine then ignores
//!   input, timeouts and aborts; an abort always ends the session;
//! - fed only timeouts at its deadlines, an engine ends within [`MAX_TIMEOUTS`] of them.

mod auto;
mod codecs;
mod path_files;
mod receive_path;
mod receiver;
mod sender;
mod telnet;
mod zmodem;

use std::time::{Duration, Instant};

pub use auto::auto_receiver;
pub use codecs::{block, header, sniff};
pub use receive_path::{receive_path, receive_path_committed};
pub use receiver::receiver;
pub use sender::sender;
pub use telnet::telnet;
pub use zmodem::{zmodem_receiver, zmodem_sender};

use crate::proto::cancel::CAN;
use crate::proto::contract::{Checked, Contract};
use crate::proto::xymodem::block::LARGE;
use crate::proto::{self, Abort, Engine, Event, FileInfo, FileReply};

/// Most timeouts an engine may need, fed nothing else, before its session ends.
pub const MAX_TIMEOUTS: usize = 500;

/// Most immediate deadlines (a streaming sender's next frame) before the session ends when
/// fed only timeouts: files of at most 20 KiB in subpackets of at least 32 bytes, resent a few
/// times, stay far below it.
pub const MAX_STREAM_STEPS: usize = 100_000;

/// Reads fuzz input front to back; past the end every number is 0 and every slice empty.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn u8(&mut self) -> u8 {
        let Some((&b, rest)) = self.data.split_first() else {
            return 0;
        };
        self.data = rest;
        b
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
}

/// The caller's side of the files: answers `ReadFile` and `FileStart`, takes `WriteFile`,
/// follows events.
trait Files {
    fn event(&mut self, event: &Event);
    /// A file begins: the answer (a ZMODEM receiver skips or resumes on it), as the CLI's
    /// handler gives it.
    fn file_start(&mut self, info: &FileInfo) -> FileReply;
    fn write(&mut self, offset: u64, data: &[u8]);
    fn read(&mut self, offset: u64, max: usize) -> &[u8];

    /// The longest `WriteFile` the protocol can produce (X/YMODEM: one 1K block).
    fn max_write(&self) -> usize {
        LARGE
    }

    /// A local failure from the last `event` or `write` (a file that cannot be created), which
    /// aborts the engine as the driver does.
    fn take_failure(&mut self) -> Option<String> {
        None
    }
}

/// A sender's file start, checked against `batch`: the next file in order (`started` of
/// them have started), announced as it was given. Returns its index.
fn next_in_batch(batch: &[(FileInfo, Vec<u8>)], started: &mut usize, info: &FileInfo) -> usize {
    let (want, _) = batch.get(*started).expect("more FileStarts than files");
    assert_eq!(info, want, "files out of order");
    *started += 1;
    *started - 1
}

/// The harness's files as an [`proto::Io`]; the contract checks around it are
/// [`Checked`]'s.
struct FilesIo<'a, F>(&'a mut F);

impl<F: Files> proto::Io for FilesIo<'_, F> {
    type Error = String;

    fn transmit(&mut self, _bytes: &[u8]) -> Result<(), Self::Error> {
        Ok(())
    }

    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let data = self.0.read(offset, buf.len());
        buf[..data.len()].copy_from_slice(data);
        Ok(data.len())
    }

    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), Self::Error> {
        assert!(
            data.len() <= self.0.max_write(),
            "WriteFile of {} bytes",
            data.len()
        );
        self.0.write(offset, data);
        self.0.take_failure().map_or(Ok(()), Err)
    }

    fn event(&mut self, event: Event) -> Result<(), Self::Error> {
        self.0.event(&event);
        self.0.take_failure().map_or(Ok(()), Err)
    }

    fn file_start(&mut self, info: FileInfo) -> Result<FileReply, Self::Error> {
        let reply = self.0.file_start(&info);
        self.0.take_failure().map_or(Ok(reply), Err)
    }
}

/// One engine on virtual time, driven by the contract and checked after every call.
struct Run<E, F> {
    engine: E,
    files: F,
    now: Instant,
    /// What the outputs so far said: started, ended, ended and drained (from then on
    /// nothing may change).
    contract: Contract,
    /// File reads, reused.
    buf: Vec<u8>,
}

impl<E: Engine, F: Files> Run<E, F> {
    fn new(engine: E, files: F, now: Instant) -> Self {
        let mut run = Self {
            engine,
            files,
            now,
            contract: Contract::default(),
            buf: Vec::new(),
        };
        run.check_deadline("new");
        run.drain();
        run
    }

    fn check_deadline(&self, after: &str) {
        if let Some(deadline) = self.engine.poll_timeout() {
            assert!(
                !self.contract.ended,
                "deadline after the session ended ({after})"
            );
            assert!(
                deadline >= self.now,
                "deadline in the past after {after}: {:?} before now",
                self.now - deadline
            );
        }
    }

    /// Act on every output until there is none, answering file reads at once; returns how
    /// many there were.
    fn drain(&mut self) -> usize {
        let mut files = FilesIo(&mut self.files);
        let mut io = Checked::new(&mut files, &mut self.contract);
        // A local failure aborted the engine inside `drain`, whose outputs it drained too.
        let _ = proto::drain(&mut self.engine, self.now, &mut io, &mut self.buf);
        let outputs = io.outputs();
        self.check_deadline("drain");
        if self.contract.ended {
            assert!(self.engine.is_finished(), "ended and drained, not finished");
            self.contract.drained();
        } else {
            assert!(
                !self.engine.is_finished(),
                "finished without Finished or Failed"
            );
            assert!(
                self.engine.poll_timeout().is_some(),
                "running, nothing to do and no deadline: the session hangs"
            );
        }
        outputs
    }

    /// Feed bytes that arrived from the peer, draining outputs between pieces.
    fn input(&mut self, mut bytes: &[u8]) {
        // The last call consumed nothing.
        let mut stalled = false;
        while !bytes.is_empty() {
            let was_settled = self.contract.settled;
            let n = self.engine.handle_input(self.now, bytes);
            assert!(n <= bytes.len(), "consumed {n} of {} bytes", bytes.len());
            if was_settled {
                assert_eq!(n, bytes.len(), "an ended session must ignore input");
            }
            self.check_deadline("handle_input");
            bytes = &bytes[n..];
            let outputs = self.drain();
            // Outputs are always drained before this call, so none was pending: nothing
            // consumed means the session ended right there, and the rest is not its own
            // (what follows ZMODEM's `OO`), or the input made output due that must go out
            // before it is read (`recv`'s front end sends its start character before the
            // bytes that were waiting), once: the same bytes must then be taken.
            if n == 0 {
                if self.contract.ended {
                    return;
                }
                assert!(
                    outputs > 0 && !stalled,
                    "consumed nothing of non-empty input with no output pending"
                );
                stalled = true;
            } else {
                stalled = false;
            }
        }
    }

    /// Let `by` pass and call `handle_timeout`.
    fn advance(&mut self, by: Duration) {
        self.now += by;
        let before = self.engine.poll_timeout();
        self.engine.handle_timeout(self.now);
        if before.is_none_or(|d| self.now < d) {
            assert_eq!(
                self.engine.poll_timeout(),
                before,
                "an early handle_timeout moved the deadline"
            );
            assert!(
                self.engine.poll_output().is_none(),
                "an early handle_timeout produced output"
            );
        }
        self.check_deadline("handle_timeout");
        self.drain();
    }

    /// Jump to the engine's deadline, plus `late`, and call `handle_timeout`.
    fn expire(&mut self, late: Duration) {
        let wait = match self.engine.poll_timeout() {
            Some(deadline) => deadline.saturating_duration_since(self.now),
            None => Duration::ZERO,
        };
        self.advance(wait + late);
    }

    fn abort(&mut self) {
        self.engine.abort(self.now, Abort::Interrupted);
        self.check_deadline("abort");
        self.drain();
        assert!(self.contract.ended, "abort did not end the session");
    }

    /// Feed nothing but timeouts at the deadlines: the session must end, and soon. A
    /// deadline of "now" (a streaming sender going on with its next frame) is progress, not a
    /// wait: those are bounded apart, by [`MAX_STREAM_STEPS`].
    fn run_out(&mut self) {
        let mut waits = 0;
        let mut steps = 0;
        while !self.engine.is_finished() {
            let immediate = self.engine.poll_timeout().is_some_and(|d| d <= self.now);
            if immediate {
                steps += 1;
                assert!(
                    steps <= MAX_STREAM_STEPS,
                    "still streaming after {steps} steps"
                );
            } else {
                waits += 1;
                assert!(
                    waits <= MAX_TIMEOUTS,
                    "not finished after {MAX_TIMEOUTS} timeouts"
                );
            }
            self.expire(Duration::ZERO);
        }
    }
}

/// A delay decoded from one operand: mostly short, sometimes up to a minute and more.
fn delay(input: &mut Input<'_>) -> Duration {
    let ms = input.u16();
    Duration::from_millis(if ms & 1 == 0 {
        u64::from(ms >> 1) * 4
    } else {
        u64::from(ms >> 8)
    })
}

/// Operations shared by both engines. Each engine maps ranges of the opcode byte onto these
/// and its own, so that session-ending operations stay rare and random input (proptest) still
/// gets deep into sessions.
#[derive(Clone, Copy)]
enum Common {
    /// Up to 255 raw bytes from the peer.
    Raw,
    /// Up to 2047 raw bytes from the peer.
    RawLong,
    /// Time passes (maybe less than the deadline: then nothing may happen).
    Advance,
    /// Time jumps to the deadline, or a little past it.
    Expire,
    /// One CAN from the peer (two in a row cancel).
    Can,
    /// The peer cancels.
    Cancel,
    /// We abort (Ctrl-C, local error).
    Abort,
}

fn common_op<E: Engine, F: Files>(run: &mut Run<E, F>, op: Common, input: &mut Input<'_>) {
    match op {
        Common::Raw => {
            let n = input.u8();
            run.input(input.bytes(usize::from(n)));
        }
        Common::RawLong => {
            let n = input.u16() % 2048;
            run.input(input.bytes(usize::from(n)));
        }
        Common::Advance => run.advance(delay(input)),
        Common::Expire => {
            let late = Duration::from_millis(u64::from(input.u8()));
            run.expire(late);
        }
        Common::Can => run.input(&[CAN]),
        Common::Cancel => run.input(&[CAN, CAN]),
        Common::Abort => run.abort(),
    }
}

/// A header's fields from the input. Names are 0-1100 bytes, so some need a 1K block and a
/// few do not fit at all.
fn file_info(input: &mut Input<'_>) -> FileInfo {
    let shape = input.u8();
    let name: Vec<u8> = match shape & 3 {
        0 | 1 => {
            let n = input.u8() % 40;
            input.bytes(usize::from(n)).to_vec()
        }
        2 => vec![b'n'; 100 + usize::from(input.u8()) * 4],
        _ => vec![b'x'; 1100],
    };
    // NUL ends the name on the wire.
    let name = name
        .into_iter()
        .map(|b| if b == 0 { b'_' } else { b })
        .collect();
    let number = |input: &mut Input<'_>, bit: u8| {
        (shape & bit != 0).then(|| u64::from(input.u16()) * u64::from(input.u8() % 3 + 1))
    };
    let size = number(input, 4);
    let mtime = number(input, 8);
    let mode = (shape & 16 != 0).then(|| u32::from(input.u16()));
    let files_left = number(input, 32);
    let bytes_left = number(input, 64);
    FileInfo {
        name,
        size,
        mtime,
        mode,
        files_left,
        bytes_left,
    }
}
