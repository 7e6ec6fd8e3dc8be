//! Fuzz target bodies. **Unstable, for fuzzers: not public API.**
//!
//! Each function takes arbitrary bytes, decodes them into a session or a parser input, and
//! checks invariants with `assert!`, so a violation is a panic that libFuzzer (the cargo-fuzz
//! crate in `tests/fuzz/`) or proptest (`tests/integration/fuzz_bodies.rs`) reports with the
//! input that caused it. See `docs/FUZZING.md`.
//!
//! - [`receiver`] and [`sender`] run one engine on virtual time against operations decoded
//!   from the input: raw bytes from the peer, well-formed (or deliberately damaged) blocks and
//!   headers, timeouts after a decoded delay or at the engine's deadline, peer cancels and local
//!   aborts. Between operations every output is drained, as the [`Engine`] contract demands.
//! - [`block`] feeds the block assembler arbitrary bytes and round-trips encoded blocks.
//! - [`header`] parses arbitrary YMODEM block 0 data and round-trips headers.
//!
//! Invariants checked on the engines, after every call:
//!
//! - `handle_input` consumes at most what it was given, and at least one byte of non-empty
//!   input when it had no pending output (it never has: outputs are drained before each call);
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

use std::time::{Duration, Instant};

use crate::proto::cancel::CAN;
use crate::proto::detect::AutoReceiver;
use crate::proto::xymodem::block::{self, Assembler, CRC_START, EOT, G_START, LARGE, NAK, SMALL};
use crate::proto::xymodem::header;
use crate::proto::{
    self, Abort, Check, Engine, Event, FileInfo, ReceiverConfig, RecvMode, SendMode, Sender,
    SenderConfig,
};

/// Most timeouts an engine may need, fed nothing else, before its session ends.
pub const MAX_TIMEOUTS: usize = 500;

/// Most outputs one drain may produce: a sign of an output loop when exceeded.
const MAX_OUTPUTS_PER_DRAIN: usize = 10_000;

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

/// The caller's side of the files: answers `ReadFile`, takes `WriteFile`, follows events.
trait Files {
    fn event(&mut self, event: &Event);
    fn write(&mut self, offset: u64, data: &[u8]);
    fn read(&mut self, offset: u64, max: usize) -> &[u8];
}

/// The harness's side of [`proto::drain`]: every output checked against the contract.
struct Checked<'a, F> {
    files: &'a mut F,
    ended: &'a mut bool,
    started: &'a mut bool,
    /// The session had ended and been drained before this drain: no output may come.
    settled: bool,
    count: usize,
}

impl<F: Files> Checked<'_, F> {
    fn output(&mut self) {
        assert!(
            !self.settled,
            "output after the session ended and was drained"
        );
        self.count += 1;
        assert!(self.count < MAX_OUTPUTS_PER_DRAIN, "endless outputs");
    }
}

impl<F: Files> proto::Io for Checked<'_, F> {
    type Error = std::convert::Infallible;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.output();
        assert!(!bytes.is_empty(), "empty Transmit");
        Ok(())
    }

    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.output();
        assert!(!*self.ended, "ReadFile after the session ended");
        let data = self.files.read(offset, buf.len());
        buf[..data.len()].copy_from_slice(data);
        Ok(data.len())
    }

    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), Self::Error> {
        self.output();
        assert!(data.len() <= LARGE, "WriteFile of {} bytes", data.len());
        assert!(!*self.ended, "WriteFile after the session ended");
        self.files.write(offset, data);
        Ok(())
    }

    fn event(&mut self, event: Event) -> Result<(), Self::Error> {
        self.output();
        assert!(!*self.ended, "event after the session ended: {event:?}");
        match event {
            Event::Finished | Event::Failed(_) => *self.ended = true,
            Event::Started { .. } => {
                assert!(!*self.started, "Started twice");
                *self.started = true;
            }
            _ => {}
        }
        self.files.event(&event);
        Ok(())
    }
}

/// One engine on virtual time, driven by the contract and checked after every call.
struct Run<E, F> {
    engine: E,
    files: F,
    now: Instant,
    /// `Finished` or `Failed` has been reported.
    ended: bool,
    /// Ended, and all outputs drained since: from now on nothing may change.
    settled: bool,
    /// `Started` has been reported.
    started: bool,
    /// File reads, reused.
    buf: Vec<u8>,
}

impl<E: Engine, F: Files> Run<E, F> {
    fn new(engine: E, files: F, now: Instant) -> Self {
        let mut run = Self {
            engine,
            files,
            now,
            ended: false,
            settled: false,
            started: false,
            buf: Vec::new(),
        };
        run.check_deadline("new");
        run.drain();
        run
    }

    fn check_deadline(&self, after: &str) {
        if let Some(deadline) = self.engine.poll_timeout() {
            assert!(!self.ended, "deadline after the session ended ({after})");
            assert!(
                deadline >= self.now,
                "deadline in the past after {after}: {:?} before now",
                self.now - deadline
            );
        }
    }

    /// Act on every output until there is none, answering file reads at once.
    fn drain(&mut self) {
        let mut io = Checked {
            files: &mut self.files,
            ended: &mut self.ended,
            started: &mut self.started,
            settled: self.settled,
            count: 0,
        };
        let Ok(()) = proto::drain(&mut self.engine, self.now, &mut io, &mut self.buf);
        self.check_deadline("drain");
        if self.ended {
            assert!(self.engine.is_finished(), "ended and drained, not finished");
            self.settled = true;
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
    }

    /// Feed bytes that arrived from the peer, draining outputs between pieces.
    fn input(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = self.engine.handle_input(self.now, bytes);
            assert!(n <= bytes.len(), "consumed {n} of {} bytes", bytes.len());
            // Outputs are always drained before this call, so none is pending.
            assert!(
                n > 0,
                "consumed nothing of non-empty input with no output pending"
            );
            if self.settled {
                assert_eq!(n, bytes.len(), "an ended session must ignore input");
            }
            self.check_deadline("handle_input");
            bytes = &bytes[n..];
            self.drain();
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
        assert!(self.ended, "abort did not end the session");
    }

    /// Feed nothing but timeouts at the deadlines: the session must end, and soon.
    fn run_out(&mut self) {
        for _ in 0..MAX_TIMEOUTS {
            if self.engine.is_finished() {
                return;
            }
            self.expire(Duration::ZERO);
        }
        assert!(
            self.engine.is_finished(),
            "not finished after {MAX_TIMEOUTS} timeouts"
        );
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

// ---------------------------------------------------------------------------------------------
// Receiver

/// Follows a receiver's files: data only inside a file, never beyond its announced length,
/// and `FileEnd` counting exactly what was written.
#[derive(Default)]
struct RecvFiles {
    /// Inside a file: its announced length, if any.
    file: Option<Option<u64>>,
    written: u64,
}

impl Files for RecvFiles {
    fn event(&mut self, event: &Event) {
        match event {
            Event::FileStart(info) => {
                assert!(self.file.is_none(), "FileStart inside a file");
                self.file = Some(info.size);
                self.written = 0;
            }
            Event::FileEnd { bytes } => {
                assert!(self.file.is_some(), "FileEnd outside a file");
                assert_eq!(*bytes, self.written, "FileEnd count != bytes written");
                self.file = None;
            }
            Event::Progress { frame, .. } => {
                assert!(self.file.is_some(), "Progress outside a file");
                assert!(*frame == SMALL || *frame == LARGE);
            }
            _ => {}
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        let Some(size) = self.file else {
            panic!("WriteFile outside a file");
        };
        assert!(!data.is_empty(), "empty WriteFile");
        assert_eq!(offset, self.written, "X/YMODEM data arrives in order");
        self.written += data.len() as u64;
        if let Some(size) = size {
            assert!(
                self.written <= size,
                "wrote {} bytes of a {size}-byte file",
                self.written
            );
        }
    }

    fn read(&mut self, _offset: u64, _max: usize) -> &[u8] {
        panic!("a receiver asked for file data");
    }
}

/// Receiver session. `data[0]` picks the mode (bits 0-1: XMODEM, YMODEM, YMODEM-G, detect),
/// the first check (bit 2: checksum), the EOT rule (bit 3), the CRC fallback (bits 4-5) and
/// the error limit (bits 6-7). The rest is a list of operations: raw bytes, blocks and headers
/// built from the input (numbered in sequence or not, damaged or not, fed whole or in pieces),
/// EOT, cancels, aborts and timeouts. When the input runs out, only timeouts follow.
pub fn receiver(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let cfg = ReceiverConfig {
        mode: [
            RecvMode::Xmodem,
            RecvMode::Ymodem,
            RecvMode::YmodemG,
            RecvMode::Detect,
        ][usize::from(flags & 3)],
        check: if flags & 4 == 0 {
            Check::Crc16
        } else {
            Check::Checksum
        },
        nak_first_eot: flags & 8 == 0,
        crc_attempts: [Some(4), None, Some(1), Some(0)][usize::from((flags >> 4) & 3)],
        max_errors: [10, 10, 1, 0][usize::from(flags >> 6)],
        ..ReceiverConfig::default()
    };
    let now = Instant::now();
    let mut run = Run::new(AutoReceiver::new(cfg, now), RecvFiles::default(), now);
    // The block number a well-behaved sender would use next.
    let mut next: u8 = 1;
    let mut wire = Vec::with_capacity(block::MAX_FRAME);
    let mut body = Vec::with_capacity(LARGE);
    while !input.is_empty() {
        match input.u8() {
            0..=39 => common_op(&mut run, Common::Raw, &mut input),
            40..=49 => common_op(&mut run, Common::RawLong, &mut input),
            50..=79 => common_op(&mut run, Common::Advance, &mut input),
            80..=99 => common_op(&mut run, Common::Expire, &mut input),
            // A data block, mostly the one expected next, mostly short of data (padded).
            100..=179 => {
                let shape = input.u8();
                let number = match shape & 15 {
                    0..=13 => next,
                    14 => next.wrapping_sub(1),
                    _ => input.u8(),
                };
                let size = if shape & 16 == 0 { SMALL } else { LARGE };
                let len = if shape & 32 == 0 {
                    usize::from(input.u8())
                } else {
                    usize::from(input.u16()) % (size + 1)
                };
                let payload = input.bytes(len.min(size));
                let check = run.engine.check();
                block::encode(&mut wire, number, payload, size, check, block::PAD);
                if send_block(&mut run, &mut wire, &mut input) && number == next {
                    next = next.wrapping_add(1);
                }
            }
            // A YMODEM header (an empty name makes the end-of-batch header).
            180..=209 => {
                let info = file_info(&mut input);
                body.clear();
                let size = if info.name.is_empty() {
                    body.resize(SMALL, 0);
                    SMALL
                } else {
                    // A header too long for 1K goes out cut, without its NUL (as lrzsz does).
                    header::encode(&info, &mut body).unwrap_or_else(|_| {
                        body.truncate(LARGE);
                        LARGE
                    })
                };
                let check = run.engine.check();
                block::encode(&mut wire, 0, &body, size, check, 0);
                if send_block(&mut run, &mut wire, &mut input) {
                    next = 1;
                }
            }
            210..=234 => run.input(&[EOT]),
            // A ZMODEM sender's ZRQINIT.
            235..=244 => run.input(b"**\x18B00000000000000\r\n"),
            245..=249 => common_op(&mut run, Common::Can, &mut input),
            250..=252 => common_op(&mut run, Common::Cancel, &mut input),
            253..=255 => common_op(&mut run, Common::Abort, &mut input),
        }
    }
    run.run_out();
}

/// Feed an encoded block, mostly intact (whole or in pieces), else with one byte flipped,
/// with the other check's trailer, or cut short. True if it went out intact.
fn send_block(
    run: &mut Run<AutoReceiver, RecvFiles>,
    wire: &mut Vec<u8>,
    input: &mut Input<'_>,
) -> bool {
    match input.u8() {
        160..=191 => {
            let piece = usize::from(input.u8()) + 1;
            for chunk in wire.chunks(piece) {
                run.input(chunk);
            }
            return true;
        }
        192..=207 => {
            let at = usize::from(input.u16()) % wire.len();
            wire[at] ^= input.u8() | 1;
        }
        208..=223 => {
            // Re-encode with the other check: one byte too many or too few.
            let size = wire.len() - 3 - run.engine.check().size();
            let number = wire[1];
            let body = wire[3..3 + size].to_vec();
            let other = match run.engine.check() {
                Check::Crc16 => Check::Checksum,
                _ => Check::Crc16,
            };
            block::encode(wire, number, &body, size, other, 0);
        }
        224..=239 => {
            let keep = usize::from(input.u16()) % wire.len();
            wire.truncate(keep);
        }
        _ => {
            run.input(wire);
            return true;
        }
    }
    run.input(wire);
    false
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

// ---------------------------------------------------------------------------------------------
// Sender

/// What a receiver answers a sender, weighted: mostly ACK.
const ANSWERS: [u8; 16] = [
    block::ACK,
    block::ACK,
    block::ACK,
    block::ACK,
    block::ACK,
    block::ACK,
    block::ACK,
    NAK,
    NAK,
    CRC_START,
    CRC_START,
    CRC_START,
    G_START,
    G_START,
    block::ACK,
    b'x',
];

/// Serves a sender's reads from pseudo-files and checks it sends the batch in order, each
/// file to its end.
struct SendFiles {
    /// What each `FileStart` must announce, in order, and each file's content.
    batch: Vec<(FileInfo, Vec<u8>)>,
    /// The file being sent (index into `batch`) and how much of it has been read.
    current: Option<usize>,
    started: usize,
    pos: usize,
}

impl Files for SendFiles {
    fn event(&mut self, event: &Event) {
        match event {
            Event::FileStart(info) => {
                assert!(self.current.is_none(), "FileStart inside a file");
                let (want, _) = self
                    .batch
                    .get(self.started)
                    .expect("more FileStarts than files");
                assert_eq!(info, want, "files out of order");
                self.current = Some(self.started);
                self.started += 1;
                self.pos = 0;
            }
            Event::FileEnd { bytes } => {
                let index = self.current.take().expect("FileEnd outside a file");
                let len = self.batch[index].1.len();
                assert_eq!(*bytes, len as u64, "FileEnd count != file length");
                assert_eq!(self.pos, len, "FileEnd before the whole file was read");
            }
            Event::Progress { bytes, frame } => {
                let index = self.current.expect("Progress outside a file");
                assert!(*bytes <= self.batch[index].1.len() as u64);
                assert!(*frame == SMALL || *frame == LARGE);
            }
            _ => {}
        }
    }

    fn write(&mut self, _offset: u64, _data: &[u8]) {
        panic!("a sender wrote file data");
    }

    fn read(&mut self, offset: u64, max: usize) -> &[u8] {
        assert!(max == SMALL || max == LARGE, "ReadFile of {max} bytes");
        let index = self.current.expect("ReadFile outside a file");
        let content = &self.batch[index].1;
        assert_eq!(offset, self.pos as u64, "X/YMODEM reads follow on");
        let start = self.pos;
        self.pos = (start + max).min(content.len());
        &content[start..self.pos]
    }
}

/// Sender session. `data[0]` picks XMODEM or YMODEM (bit 0), 1K blocks (bit 1), the 128-byte
/// tail rule (bit 2), the error limit (bits 3-4) and, for YMODEM, the batch size 0-3 (bits
/// 5-6); each file's header fields and length (0-8 KiB) come next. The rest is a list of
/// operations: raw bytes, receiver answers (ACK, NAK, `C`, `G`, CAN) alone or in runs,
/// cancels, aborts and timeouts. When the input runs out, only timeouts follow.
pub fn sender(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let cfg = SenderConfig {
        mode: if flags & 1 == 0 {
            SendMode::Xmodem
        } else {
            SendMode::Ymodem
        },
        one_k: flags & 2 != 0,
        tail_threshold: if flags & 4 == 0 { 7 * SMALL } else { 0 },
        max_errors: [10, 10, 1, 0][usize::from((flags >> 3) & 3)],
        ..SenderConfig::default()
    };
    let count = if cfg.mode == SendMode::Xmodem {
        1
    } else {
        usize::from((flags >> 5) & 3)
    };
    let batch: Vec<(FileInfo, Vec<u8>)> = (0..count)
        .map(|i| {
            let len = usize::from(input.u16() % 8193);
            let content = (0..len).map(|j| (j * 7 + j / 251 + i * 85) as u8).collect();
            let info = if cfg.mode == SendMode::Xmodem {
                FileInfo::default()
            } else {
                let mut info = file_info(&mut input);
                if info.name.is_empty() {
                    info.name = format!("file{i}").into_bytes();
                }
                info.size = Some(len as u64);
                info
            };
            (info, content)
        })
        .collect();
    let now = Instant::now();
    let sender = match cfg.mode {
        SendMode::Xmodem => Sender::xmodem(cfg, now),
        SendMode::Ymodem => Sender::new(cfg, batch.iter().map(|(i, _)| i.clone()).collect(), now),
    };
    let files = SendFiles {
        batch,
        current: None,
        started: 0,
        pos: 0,
    };
    let mut run = Run::new(sender, files, now);
    while !input.is_empty() {
        match input.u8() {
            0..=19 => common_op(&mut run, Common::Raw, &mut input),
            20..=24 => common_op(&mut run, Common::RawLong, &mut input),
            25..=44 => common_op(&mut run, Common::Advance, &mut input),
            45..=64 => common_op(&mut run, Common::Expire, &mut input),
            65..=84 => run.input(&[block::ACK]),
            // One receiver answer, or a run of them in one piece ("ACK C").
            85..=239 => {
                let n = usize::from(input.u8() % 4) + 1;
                let answers: Vec<u8> = input
                    .bytes(n)
                    .iter()
                    .map(|&b| ANSWERS[usize::from(b % 16)])
                    .collect();
                run.input(&answers);
            }
            240..=247 => common_op(&mut run, Common::Can, &mut input),
            248..=251 => common_op(&mut run, Common::Cancel, &mut input),
            252..=255 => common_op(&mut run, Common::Abort, &mut input),
        }
    }
    run.run_out();
}

// ---------------------------------------------------------------------------------------------
// Block and header codecs

/// The block assembler on arbitrary bytes, then a round trip. `data[0]`: header byte (bit 0:
/// STX), check (bit 1: checksum), piece size (bits 2-7). The input is then collected into
/// blocks, each complete block verified; a block that passes must re-encode to the same
/// bytes. Finally the input's head is encoded as a block, which must assemble and verify to
/// the same number and data, and must fail to verify with any one byte changed.
pub fn block(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let check = if flags & 2 == 0 {
        Check::Crc16
    } else {
        Check::Checksum
    };
    let piece = usize::from(flags >> 2) + 1;
    let mut header = if flags & 1 == 0 {
        block::SOH
    } else {
        block::STX
    };
    let mut asm = Assembler::default();
    let mut wire = Vec::with_capacity(block::MAX_FRAME);

    // Arbitrary bytes, collected in pieces.
    let mut rest = input.data;
    asm.start(header, check);
    let mut got = vec![header];
    while !rest.is_empty() {
        let take = &rest[..piece.min(rest.len())];
        let n = asm.feed(take);
        assert!(n <= take.len());
        assert!(n > 0, "an incomplete block took nothing");
        got.extend_from_slice(&take[..n]);
        rest = &rest[n..];
        if asm.is_complete() {
            assert_eq!(asm.feed(rest), 0, "a complete block took more");
            assert_eq!(got.len(), 3 + asm.size() + check.size());
            if let Ok(b) = asm.verify(check) {
                assert_eq!(b.data.len(), asm.size());
                block::encode(&mut wire, b.number, b.data, asm.size(), check, 0);
                assert_eq!(wire, got, "a verified block re-encodes differently");
            }
            // The next byte starts the next block.
            let Some((&h, tail)) = rest.split_first() else {
                break;
            };
            header = h;
            rest = tail;
            asm.start(header, check);
            got.clear();
            got.push(if header == block::STX {
                block::STX
            } else {
                block::SOH
            });
        }
    }

    // Round trip.
    let number = data.first().copied().unwrap_or(0);
    let size = if flags & 1 == 0 { SMALL } else { LARGE };
    let payload = &data[..data.len().min(size)];
    block::encode(&mut wire, number, payload, size, check, block::PAD);
    assert_eq!(wire.len(), 3 + size + check.size());
    let assemble = |wire: &[u8], asm: &mut Assembler| {
        asm.start(wire[0], check);
        let mut rest = &wire[1..];
        while !rest.is_empty() {
            let n = asm.feed(&rest[..piece.min(rest.len())]);
            rest = &rest[n..];
        }
        assert!(asm.is_complete());
    };
    assemble(&wire, &mut asm);
    let b = asm.verify(check).expect("an encoded block fails to verify");
    assert_eq!(b.number, number);
    assert_eq!(&b.data[..payload.len()], payload);
    assert!(b.data[payload.len()..].iter().all(|&p| p == block::PAD));
    // Any single-byte change after the header byte is caught: the complement covers the
    // number, and both checks catch any one changed byte of data or trailer.
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let at = 1 + usize::from(u16::from_le_bytes([byte(1), byte(2)])) % (wire.len() - 1);
    wire[at] ^= byte(3) | 1;
    assemble(&wire, &mut asm);
    assert!(
        asm.verify(check).is_err(),
        "a damaged block verified (byte {at})"
    );
}

/// YMODEM header parsing. `data[0]` bit 0 picks a 128- or 1024-byte block, filled from the
/// rest of the input (NUL-padded). Parsing must not panic; a parsed header must have a
/// non-empty name without NUL, and encode then parse back to itself (fields the encoder
/// cannot express dropped). Then a header built from the input must round-trip too.
pub fn header(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let size = if flags & 1 == 0 { SMALL } else { LARGE };
    let mut block = rest[..rest.len().min(size)].to_vec();
    block.resize(size, 0);
    let mut out = Vec::with_capacity(LARGE);
    if let Some(info) = header::parse(&block) {
        assert!(!info.name.is_empty(), "parsed an empty name");
        assert!(!info.name.contains(&0), "parsed a name with NUL");
        assert!(
            info.mtime != Some(0) && info.mode != Some(0),
            "0 means unknown"
        );
        if info.size.is_none() {
            assert_eq!(
                info,
                FileInfo {
                    name: info.name.clone(),
                    ..FileInfo::default()
                }
            );
        }
        round_trip(&info, &mut out);
    } else {
        assert_eq!(block[0], 0, "only a leading NUL ends the batch");
    }
    let mut input = Input { data: rest };
    let info = file_info(&mut input);
    if !info.name.is_empty() {
        round_trip(&info, &mut out);
    }
}

/// `info` encodes, if its name fits, to a block that parses back to what the encoder can
/// express.
fn round_trip(info: &FileInfo, out: &mut Vec<u8>) {
    let size = match header::encode(info, out) {
        Ok(size) => size,
        Err(header::TooLong(n)) => {
            assert!(
                n > LARGE && n > info.name.len(),
                "refused a {n}-byte header"
            );
            return;
        }
    };
    assert!(size == SMALL || size == LARGE);
    assert_eq!(out.len(), size);
    let mut want = FileInfo {
        name: info.name.clone(),
        ..FileInfo::default()
    };
    if info.size.is_some() {
        want.size = info.size;
        want.mtime = info.mtime.filter(|&t| t != 0);
        want.mode = info.mode.filter(|&m| m != 0);
        if info.files_left.is_some() && info.bytes_left.is_some() {
            want.files_left = info.files_left;
            want.bytes_left = info.bytes_left;
        }
    }
    assert_eq!(header::parse(out), Some(want), "header round trip");
}
