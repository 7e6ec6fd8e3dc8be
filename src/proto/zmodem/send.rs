//! The ZMODEM sender engine (docs/PROTOCOLS.md §4.8–§4.13).
//!
//! It types `rz\r` (so a shell at the far end starts a receiver) and sends `ZRQINIT` until
//! the receiver's `ZRINIT` says what it can do; then, per file, `ZFILE` with the file
//! information, and on the receiver's `ZRPOS` the data from that offset as one `ZDATA` frame
//! of subpackets. Subpackets end with `ZCRCG` (stream on) unless the receiver announced a
//! buffer (then `ZCRCW` at least once per buffer-full, and the sender waits for the `ZACK`)
//! or a window is set (`ZCRCQ`, and a pause while the window is full). After each subpacket
//! the engine's deadline is "now", so the caller looks at the input before the next and a
//! `ZRPOS`, `ZSKIP` or cancel is seen within one subpacket (the driver looks at most once per
//! 20 µs, which only a pipe outpaces). Every offset a receiver names is checked against the
//! file.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{
    CANFC32, CANFDX, CrcKind, Decoder, DecoderConfig, ESCCTL, Encoder, EscapeProfile, EscapeTable,
    FrameEnd, FrameType, Header, HeaderFormat, Item,
};
use crate::proto::cancel::CANCEL_SEQUENCE;
use crate::proto::file::{self, FileInfo};
use crate::proto::{
    Abort, Check, Engine, Error, Event, Outbox, Output, Position, Protocol, RetryReason,
};

/// `ZFILE` F0: binary, no conversion.
const ZCBIN: u8 = 1;
/// `ZFILE` F0: resume an interrupted file.
const ZCRESUM: u8 = 3;
/// `ZSINIT` F0: the sender will escape every control character.
const TESCCTL: u8 = 0x40;

/// Most `ZRQINIT`s sent (lrzsz: 4; Omen's `rz` quit after seeing 5).
const MAX_ZRQINIT: u32 = 4;

/// Smallest subpacket after errors.
const MIN_SUBPACKET: usize = 32;

/// The shortest a full window waits for a `ZACK` ([`Sender::ack_wait`]): the receiver's own
/// quick resend comes after 1 s of silence too.
const MIN_ACK_WAIT: Duration = Duration::from_secs(1);

/// `ZCRCQ` subpackets remembered for timing their `ZACK`s: one goes every quarter window (or
/// every subpacket in the window after errors), so a handful are in flight; beyond this many
/// the oldest are forgotten (not timed).
const MAX_Q_SENT: usize = 64;
/// Largest subpacket (what lrzsz `rz` and zmodem.js accept).
pub const MAX_SUBPACKET: usize = 8192;

/// Sender settings. The defaults are the ones documented in docs/PROTOCOL_NOTES.md.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Data bytes per subpacket (default 1024; 32 to 8192).
    pub subpacket: usize,
    /// What to escape (lrzsz `-e`: [`EscapeProfile::Controls`]); a receiver's ESCCTL adds
    /// every control byte to it.
    pub escape: EscapeProfile,
    /// Bytes that may be sent ahead of the receiver's acknowledgement (`ZCRCQ` every
    /// quarter window); `None`: stream freely (the default, as lrzsz without `-w`) until the
    /// receiver asks for data again during a file (`ZRPOS`): from then on the line is known
    /// to be noisy, and every subpacket ends with `ZCRCQ`, at most two unacknowledged, so
    /// that an error wastes at most those two instead of everything the link had queued.
    pub window: Option<u32>,
    /// Ask the receiver to resume files it has in part (`ZCRESUM`).
    pub resume: bool,
    /// `ZFILE` F1, what the receiver should do with a file it has (ZMCLOB, ZMCHNG, ...; lrzsz
    /// `-y`, `-E`, ...); 0: no request (the default).
    pub management: u8,
    /// Type `rz\r` before the first `ZRQINIT` (default true).
    pub send_rz: bool,
    /// How long to wait for the receiver's first `ZRINIT` (default 60 s).
    pub start_timeout: Duration,
    /// Time between `ZRQINIT`s (default 10 s; at most 4 are sent).
    pub init_interval: Duration,
    /// How long to wait for an answer: to `ZFILE`, to a `ZCRCW`, to `ZEOF`, to `ZFIN`
    /// (default 10 s).
    pub answer_timeout: Duration,
    /// Errors allowed per file (default 10); an acknowledgement or a `ZRPOS` beyond
    /// anything the receiver confirmed before in this file counts them again from 0.
    pub max_errors: u32,
    /// Once the receiver has answered `ZRQINIT`, the longest time without progress (data
    /// sent beyond anything sent before in the file, or confirmed beyond anything confirmed
    /// before, a new file, a file's end) before the session fails with
    /// [`Error::NoProgress`], or [`Error::Silent`] when the receiver sent nothing for at
    /// least [`SenderConfig::answer_timeout`] of it, or all of it (default 100 s, as the
    /// X/YMODEM engines).
    /// The wait for the answer to `ZFIN` has its own bound.
    pub idle_limit: Duration,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            subpacket: 1024,
            escape: EscapeProfile::Minimal,
            window: None,
            resume: false,
            management: 0,
            send_rz: true,
            start_timeout: Duration::from_secs(60),
            init_interval: Duration::from_secs(10),
            answer_timeout: Duration::from_secs(10),
            max_errors: 10,
            idle_limit: Duration::from_secs(100),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// `ZRQINIT` is out; waiting for `ZRINIT`.
    WaitInit {
        deadline: Instant,
    },
    /// `ZSINIT` is out; waiting for its `ZACK`.
    WaitSinitAck {
        deadline: Instant,
    },
    /// `ZFILE` is out; waiting for `ZRPOS`, `ZSKIP` or `ZCRC`.
    WaitPos {
        deadline: Instant,
    },
    /// Reading the file to answer a `ZCRC` request: `left` bytes still to read.
    CrcScan {
        left: u64,
    },
    /// Asked the caller for file data.
    NeedData,
    /// A subpacket went out; the next one follows at `at` (now), after a look at the input.
    Stream {
        at: Instant,
    },
    /// A `ZCRCW` went out (or the window is full); waiting for the `ZACK`.
    WaitAck {
        deadline: Instant,
    },
    /// `ZEOF` is out; waiting for `ZRINIT` (the file is complete).
    WaitEof {
        deadline: Instant,
    },
    /// `ZFIN` is out; waiting for the receiver's `ZFIN`.
    WaitFin {
        deadline: Instant,
        tries: u32,
    },
    Done,
    Failed,
}

/// Sends a batch of files with ZMODEM.
#[derive(Debug)]
pub struct Sender {
    cfg: SenderConfig,
    files: Vec<FileInfo>,
    /// The file being sent; `files.len()` once all are done.
    index: usize,
    state: State,
    out: Outbox,
    dec: Decoder,
    enc: Encoder,
    /// Headers and subpackets go as binary headers with this CRC.
    crc: CrcKind,
    /// The receiver's buffer (0: none).
    rx_buffer: u32,
    /// The receiver can send while receiving (`ZCRCQ` windows make sense).
    full_duplex: bool,
    zrqinits: u32,
    /// When the receiver must have answered by.
    start_limit: Instant,
    /// The offset of the next data byte to send.
    pos: u64,
    /// The offset the receiver last acknowledged (`ZACK`) or asked for (`ZRPOS`).
    acked: u64,
    /// Bytes sent since the last `ZCRCW`, against the receiver's buffer.
    since_wait: u64,
    /// Bytes sent since the last `ZCRCQ`, against the window.
    since_q: u64,
    /// The `ZCRCQ` subpackets not yet acknowledged: the offset after each and when it went.
    q_sent: VecDeque<(u64, Instant)>,
    /// The longest a `ZCRCQ` waited for its `ZACK` in this session: what a full window waits
    /// for before it takes the `ZACK` for lost ([`Sender::ack_wait`]).
    pub(super) ack_delay: Option<Duration>,
    /// The last `ZRPOS` offset, to count a repeat as an error.
    last_rpos: Option<u64>,
    /// The furthest offset sent in this file: data beyond it is progress.
    sent_high: u64,
    /// The furthest offset the receiver confirmed in this file (`ZRPOS`, `ZACK`): a
    /// confirmation beyond it is progress and counts the errors from 0 again; one that
    /// only comes back to it (a receiver asking for 0, 1024, 0, 1024...) is not.
    confirmed_high: u64,
    /// When the transfer last moved on; `None` before the receiver's `ZRINIT`.
    last_progress: Option<Instant>,
    /// When bytes from the receiver last came: silent or busy, when the idle limit comes.
    last_input: Option<Instant>,
    /// The receiver asked for data again during a file: without a configured window, send
    /// with one of two subpackets (see [`SenderConfig::window`]).
    noisy: bool,
    /// A `ZEOF` at the file's end went out for this file (at this offset): a `ZRINIT` that
    /// comes while data is being resent after it is that `ZEOF`'s answer.
    eof_sent: Option<u64>,
    /// Current subpacket size, shrunk after errors and grown back.
    blk: usize,
    /// The size of the read asked for.
    requested: usize,
    good_in_a_row: u32,
    /// The next subpacket is the first after a `ZRPOS` during the data: it ends with `ZCRCW`.
    resync: bool,
    /// The ZDATA header must go out before the next subpacket.
    need_zdata: bool,
    errors: u32,
    /// The CRC-32 of the file so far, answering a `ZCRC` request.
    crc_scan: u32,
    /// `ZCRC` requests for this file: each costs a read of the file, so a few only.
    crc_requests: u32,
    finished_polled: bool,
}

impl Sender {
    /// A sender of `files` that starts at `now`. Each file's size, when known, bounds the
    /// offsets the receiver may ask for.
    pub fn new(cfg: SenderConfig, files: Vec<FileInfo>, now: Instant) -> Self {
        let blk = cfg.subpacket.clamp(MIN_SUBPACKET, MAX_SUBPACKET);
        let mut s = Self {
            files,
            index: 0,
            state: State::Done,
            out: Outbox::default(),
            dec: Decoder::new(DecoderConfig::default()),
            enc: Encoder::new(cfg.escape),
            crc: CrcKind::Crc16,
            rx_buffer: 0,
            full_duplex: false,
            zrqinits: 0,
            start_limit: now,
            pos: 0,
            acked: 0,
            since_wait: 0,
            since_q: 0,
            last_rpos: None,
            sent_high: 0,
            confirmed_high: 0,
            last_progress: None,
            last_input: None,
            noisy: false,
            eof_sent: None,
            blk,
            requested: 0,
            good_in_a_row: 0,
            resync: false,
            need_zdata: false,
            errors: 0,
            crc_scan: 0,
            crc_requests: 0,
            finished_polled: false,
            q_sent: VecDeque::with_capacity(MAX_Q_SENT),
            ack_delay: None,
            cfg,
        };
        if s.cfg.send_rz {
            s.out.send(b"rz\r");
        }
        s.send_zrqinit(now);
        s.start_limit = now + s.cfg.start_timeout;
        s.state = State::WaitInit {
            deadline: (now + s.cfg.init_interval).min(s.start_limit),
        };
        s
    }

    fn format(&self) -> HeaderFormat {
        match self.crc {
            CrcKind::Crc16 => HeaderFormat::Bin16,
            CrcKind::Crc32 => HeaderFormat::Bin32,
        }
    }

    fn hex(&mut self, header: Header) {
        let out = self.out.tx();
        self.enc.header(out, HeaderFormat::Hex, &header);
    }

    fn bin(&mut self, header: Header) {
        let format = self.format();
        let out = self.out.tx();
        self.enc.header(out, format, &header);
    }

    fn send_zrqinit(&mut self, _now: Instant) {
        self.zrqinits += 1;
        self.hex(Header::new(FrameType::RqInit));
    }

    fn fail(&mut self, error: Error) {
        self.out.clear_tx();
        // The idle limit can come just after a state's rule asked for the next subpacket.
        self.out.clear_read();
        if !error.is_cancelled_by_peer() {
            self.out.send(&CANCEL_SEQUENCE);
        }
        self.out.event(Event::Failed(error));
        self.state = State::Failed;
    }

    /// The receiver's `ZRINIT` arrived: take its capabilities, then begin.
    fn on_zrinit(&mut self, now: Instant, header: Header) {
        self.last_progress = Some(now);
        let flags = header.f0();
        self.full_duplex = flags & CANFDX != 0;
        self.crc = if flags & CANFC32 != 0 {
            CrcKind::Crc32
        } else {
            CrcKind::Crc16
        };
        self.rx_buffer = u32::from(u16::from_le_bytes([header.bytes[0], header.bytes[1]]));
        if self.rx_buffer > 0 {
            self.blk = self.blk.min(self.rx_buffer as usize).max(MIN_SUBPACKET);
        }
        self.out.event(Event::Started {
            protocol: Protocol::Zmodem,
            check: match self.crc {
                CrcKind::Crc16 => Check::Crc16,
                CrcKind::Crc32 => Check::Crc32,
            },
        });
        let asks_escape = flags & ESCCTL != 0;
        if asks_escape {
            let mut table = EscapeTable::new(self.cfg.escape);
            table.escape_controls();
            self.enc.set_table(table);
        }
        if self.cfg.escape.escapes_controls() && !asks_escape {
            // Tell the receiver, so that it drops control bytes the link inserts.
            self.hex(Header::with_flags(FrameType::SInit, TESCCTL, 0, 0, 0));
            let crc = CrcKind::Crc16;
            let out = self.out.tx();
            self.enc.subpacket(out, &[0], FrameEnd::CrcW, crc);
            self.state = State::WaitSinitAck {
                deadline: now + self.cfg.answer_timeout,
            };
            return;
        }
        self.send_file(now);
    }

    /// `ZFILE` for `files[index]`, or `ZFIN` after the last.
    fn send_file(&mut self, now: Instant) {
        self.errors = 0;
        self.last_progress = Some(now);
        self.sent_high = 0;
        self.confirmed_high = 0;
        let Some(info) = self.files.get(self.index) else {
            self.hex(Header::new(FrameType::Fin));
            self.state = State::WaitFin {
                deadline: now + self.cfg.answer_timeout,
                tries: 1,
            };
            return;
        };
        if info.size.is_some_and(|s| s > u64::from(u32::MAX)) {
            return self.fail(Error::Incompatible(
                "ZMODEM positions are 32 bits: files of 4 GiB and more cannot be sent (use YMODEM)",
            ));
        }
        let options = if self.cfg.resume { ZCRESUM } else { ZCBIN };
        let info = info.clone();
        self.out.file_start(info.clone());
        let manage = self.cfg.management;
        self.bin(Header::with_flags(FrameType::File, options, manage, 0, 0));
        let mut body = Vec::with_capacity(64 + info.name.len());
        file::encode_info(&info, &mut body);
        let crc = self.crc;
        let out = self.out.tx();
        self.enc.subpacket(out, &body, FrameEnd::CrcW, crc);
        self.pos = 0;
        self.acked = 0;
        self.last_rpos = None;
        self.eof_sent = None;
        self.crc_requests = 0;
        self.state = State::WaitPos {
            deadline: now + self.cfg.answer_timeout,
        };
    }

    fn file_size(&self) -> Option<u64> {
        self.files.get(self.index).and_then(|f| f.size)
    }

    /// Count an error at offset `at` of the file; false (and failed) once there were too
    /// many.
    fn count_error(&mut self, at: u64, reason: RetryReason) -> bool {
        self.errors += 1;
        if self.errors >= self.cfg.max_errors {
            self.fail(Error::RetriesExhausted {
                at: Position::Offset(at),
                attempts: self.errors,
                last: reason,
            });
            return false;
        }
        self.out.event(Event::Retry {
            reason,
            attempt: self.errors,
        });
        true
    }

    /// The receiver wants the data from `offset` on.
    fn on_zrpos(&mut self, now: Instant, offset: u64, during_data: bool) {
        if self.file_size().is_some_and(|size| offset > size) {
            return self.fail(Error::Incompatible(
                "the receiver asked for data beyond the end of the file (ZRPOS)",
            ));
        }
        let further = self.confirm(now, offset);
        if during_data {
            self.noisy = true;
            if further {
                // The receiver got further than ever: errors count per offset (as lrzsz's 12
                // ZRPOS at one offset), not per file, so a long file on a noisy line that
                // keeps making progress is not given up. Only further than ever: a receiver
                // that goes back and forth between two offsets makes none.
                self.errors = 0;
            }
            if self.last_rpos == Some(offset) || offset < self.acked {
                // The same offset again: things are not getting through. Smaller subpackets.
                self.blk = (self.blk / 2).clamp(MIN_SUBPACKET, 512.max(MIN_SUBPACKET));
                self.good_in_a_row = 0;
            }
            if !self.count_error(offset, RetryReason::Nak) {
                return;
            }
            // Close the frame in flight so the receiver's reader is back at headers.
            let crc = self.crc;
            let out = self.out.tx();
            self.enc.subpacket(out, &[], FrameEnd::CrcE, crc);
            self.resync = true;
        }
        self.last_rpos = Some(offset);
        self.pos = offset;
        self.acked = offset;
        // What went before is sent again: no ZACK for it is waited for.
        self.q_sent.clear();
        self.since_wait = 0;
        self.since_q = 0;
        self.need_zdata = true;
        self.request(now);
    }

    /// Ask the caller for the next subpacket's data.
    fn request(&mut self, _now: Instant) {
        let mut max = self.blk;
        if self.rx_buffer > 0 {
            let room = u64::from(self.rx_buffer).saturating_sub(self.since_wait);
            max = max.min(room.max(1) as usize);
        }
        self.requested = max;
        self.out.request_read(self.pos, max);
        self.state = State::NeedData;
    }

    /// File data arrived for a subpacket of up to `max` bytes.
    fn on_data(&mut self, now: Instant, data: &[u8], max: usize) {
        let len = data.len() as u64;
        if self.pos + len > u64::from(u32::MAX) {
            return self.fail(Error::Incompatible(
                "ZMODEM positions are 32 bits: the file goes past 4 GiB (use YMODEM)",
            ));
        }
        let eof = data.len() < max;
        if self.need_zdata {
            self.need_zdata = false;
            self.bin(Header::with_position(FrameType::Data, self.pos as u32));
        }
        self.since_wait += len;
        self.since_q += len;
        let buffer_full = self.rx_buffer > 0 && self.since_wait >= u64::from(self.rx_buffer);
        let window_q = self
            .window()
            .is_some_and(|w| self.since_q >= u64::from((w / 4).max(1)));
        let end = if eof {
            FrameEnd::CrcE
        } else if self.resync || buffer_full {
            FrameEnd::CrcW
        } else if window_q {
            FrameEnd::CrcQ
        } else {
            FrameEnd::CrcG
        };
        let crc = self.crc;
        let out = self.out.tx();
        self.enc.subpacket(out, data, end, crc);
        self.pos += len;
        if self.pos > self.sent_high {
            self.sent_high = self.pos;
            self.last_progress = Some(now);
        }
        self.good_in_a_row += 1;
        if self.good_in_a_row >= 8 && self.blk < self.cfg.subpacket.min(MAX_SUBPACKET) {
            self.blk = (self.blk * 2).min(self.cfg.subpacket.min(MAX_SUBPACKET));
            if self.rx_buffer > 0 {
                self.blk = self.blk.min(self.rx_buffer as usize);
            }
            self.good_in_a_row = 0;
        }
        self.out.event(Event::Progress {
            bytes: self.pos,
            frame: data.len(),
        });
        match end {
            FrameEnd::CrcE => {
                self.eof_sent = Some(self.pos);
                self.bin(Header::with_position(FrameType::Eof, self.pos as u32));
                self.state = State::WaitEof {
                    deadline: now + self.cfg.answer_timeout,
                };
            }
            FrameEnd::CrcW => {
                self.resync = false;
                self.since_wait = 0;
                self.since_q = 0;
                // ZCRCW ends the frame: the receiver reads a header next, so the data that
                // follows the ZACK goes in a new ZDATA frame.
                self.need_zdata = true;
                self.state = State::WaitAck {
                    deadline: now + self.cfg.answer_timeout,
                };
            }
            FrameEnd::CrcQ => {
                self.since_q = 0;
                if self.q_sent.len() == MAX_Q_SENT {
                    self.q_sent.pop_front();
                }
                self.q_sent.push_back((self.pos, now));
                self.after_subpacket(now);
            }
            FrameEnd::CrcG => self.after_subpacket(now),
        }
    }

    /// The window in force: the configured one, else two subpackets once the line has shown
    /// errors; none if the receiver cannot answer while it receives.
    fn window(&self) -> Option<u32> {
        let after_errors = self.noisy.then(|| 2 * self.blk as u32);
        self.cfg
            .window
            .or(after_errors)
            .filter(|_| self.full_duplex)
    }

    /// How long a full window waits for a `ZACK` before it takes it for lost and sends again
    /// from what was acknowledged: four times the longest a `ZACK` took in this session, at
    /// least 1 s, at most the answer timeout (which is also the wait before any `ZACK` came).
    /// A lost `ZACK` then costs a second or two on a 115200-baud line rather than 10 s, and a
    /// slow line, whose `ZACK`s take long, is not hurried.
    pub(super) fn ack_wait(&self) -> Duration {
        self.ack_delay
            .map_or(self.cfg.answer_timeout, |d| (d * 4).max(MIN_ACK_WAIT))
            .min(self.cfg.answer_timeout)
    }

    /// A `ZACK` for `pos` came at `now`: learn how long it took, forget what it covers.
    fn acked_at(&mut self, now: Instant, pos: u64) {
        while let Some(&(end, sent)) = self.q_sent.front() {
            if end > pos {
                break;
            }
            if end == pos {
                let took = now.saturating_duration_since(sent);
                self.ack_delay = Some(self.ack_delay.map_or(took, |d| d.max(took)));
            }
            self.q_sent.pop_front();
        }
    }

    /// After a streamed subpacket: pause while the window is full, else go on.
    fn after_subpacket(&mut self, now: Instant) {
        let window_full = self
            .window()
            .is_some_and(|w| self.pos.saturating_sub(self.acked) >= u64::from(w));
        self.state = if window_full {
            State::WaitAck {
                deadline: now + self.ack_wait(),
            }
        } else {
            State::Stream { at: now }
        };
    }

    fn next_file(&mut self, now: Instant) {
        self.index += 1;
        self.send_file(now);
    }

    fn on_header(&mut self, now: Instant, header: Header) {
        let pos = u64::from(header.position());
        match (self.state, header.kind) {
            (_, FrameType::FErr) => self.fail(Error::AbortedByPeer(
                "the receiver could not store the file and ended the transfer (ZFERR): check its disk and permissions",
            )),
            (_, FrameType::Abort) => self.fail(Error::AbortedByPeer(
                "the receiver aborted the transfer (ZABORT)",
            )),
            (_, FrameType::Can) => self.fail(Error::AbortedByPeer(
                "the receiver cancelled the transfer (ZCAN)",
            )),
            (State::WaitInit { .. }, FrameType::RInit) => self.on_zrinit(now, header),
            (State::WaitInit { .. }, FrameType::Challenge) => {
                self.hex(Header::with_position(FrameType::Ack, header.position()));
            }
            (State::WaitSinitAck { .. }, FrameType::Ack) => self.send_file(now),
            (State::WaitPos { .. }, FrameType::RPos) => {
                self.errors = 0;
                self.on_zrpos(now, pos, false);
            }
            (State::WaitPos { .. }, FrameType::Skip) => {
                self.out.event(Event::FileSkipped);
                self.next_file(now);
            }
            (State::WaitPos { .. }, FrameType::Crc) => {
                self.crc_requests += 1;
                // lrzsz asks 3 times at most; more is a receiver that will not decide.
                if self.crc_requests > 3 && !self.count_error(self.pos, RetryReason::Nak) {
                    return;
                }
                let size = self.file_size().unwrap_or(u64::MAX);
                let left = if pos == 0 { size } else { pos.min(size) };
                self.crc_scan = 0;
                self.pos = 0;
                self.start_scan(now, left);
            }
            (State::WaitPos { .. }, FrameType::Nak) if self.count_error(self.pos, RetryReason::Nak) => {
                self.resend_file(now);
            }
            (State::WaitPos { .. } | State::WaitSinitAck { .. }, FrameType::Challenge) => {
                self.hex(Header::with_position(FrameType::Ack, header.position()));
            }
            (State::Stream { .. } | State::WaitAck { .. }, FrameType::RPos) => {
                self.on_zrpos(now, pos, true);
            }
            (State::WaitAck { .. }, FrameType::Ack) => {
                if pos == self.pos {
                    self.acked_at(now, pos);
                    self.acked = pos;
                    if self.confirm(now, pos) {
                        self.errors = 0;
                    }
                    self.request(now);
                } else if pos > self.acked && pos <= self.pos {
                    // A ZCRCQ's answer: the window moves on. Progress when further than
                    // ever: errors count per offset, as for ZRPOS.
                    self.acked_at(now, pos);
                    self.acked = pos;
                    if self.confirm(now, pos) {
                        self.errors = 0;
                    }
                    self.after_subpacket(now);
                    if matches!(self.state, State::Stream { .. }) {
                        self.request(now);
                    }
                }
            }
            (State::Stream { .. }, FrameType::Ack) if pos > self.acked && pos <= self.pos => {
                self.acked_at(now, pos);
                self.acked = pos;
                self.confirm(now, pos);
            }
            (
                State::Stream { .. } | State::WaitAck { .. } | State::WaitEof { .. },
                FrameType::Skip,
            ) => {
                self.out.event(Event::FileSkipped);
                self.next_file(now);
            }
            (State::WaitEof { .. }, FrameType::RInit) => {
                self.out.event(Event::FileEnd { bytes: self.pos });
                self.next_file(now);
            }
            (State::Stream { .. } | State::WaitAck { .. }, FrameType::RInit)
                if self.eof_sent.is_some() =>
            {
                // The receiver took our ZEOF and waits for the next file, while we resend
                // on a ZRPOS that crossed it: only a complete file is answered with ZRINIT
                // (lrzsz `sz` too ends the file on ZRINIT). Close the frame in flight.
                let end = self.eof_sent.unwrap_or(self.pos);
                let crc = self.crc;
                let out = self.out.tx();
                self.enc.subpacket(out, &[], FrameEnd::CrcE, crc);
                self.out.event(Event::FileEnd { bytes: end });
                self.next_file(now);
            }
            (State::WaitEof { .. }, FrameType::RPos) => self.on_zrpos(now, pos, true),
            (State::WaitEof { .. }, FrameType::Nak)
                if self.count_error(self.pos, RetryReason::Nak) =>
            {
                self.bin(Header::with_position(FrameType::Eof, self.pos as u32));
                self.state = State::WaitEof {
                    deadline: now + self.cfg.answer_timeout,
                };
            }
            (State::WaitFin { .. }, FrameType::Fin) => {
                self.out.send(b"OO");
                self.out.event(Event::Finished);
                self.state = State::Done;
            }
            (State::WaitFin { tries, .. }, FrameType::RInit) if tries < 3 => {
                // The receiver is still waiting for the next file: our ZFIN was lost (lrzsz
                // `sz` resends ZFIN on anything but ZFIN too).
                self.hex(Header::new(FrameType::Fin));
                self.state = State::WaitFin {
                    deadline: now + self.cfg.answer_timeout,
                    tries: tries + 1,
                };
            }
            (State::WaitFin { .. } | State::Done, _) => {}
            // Anything else (a repeated ZRINIT, a stray ZACK) changes nothing.
            _ => {}
        }
    }

    fn resend_file(&mut self, now: Instant) {
        // send_file would announce the file again; resend only the frame.
        let Some(info) = self.files.get(self.index).cloned() else {
            return;
        };
        let options = if self.cfg.resume { ZCRESUM } else { ZCBIN };
        let manage = self.cfg.management;
        self.bin(Header::with_flags(FrameType::File, options, manage, 0, 0));
        let mut body = Vec::with_capacity(64 + info.name.len());
        file::encode_info(&info, &mut body);
        let crc = self.crc;
        let out = self.out.tx();
        self.enc.subpacket(out, &body, FrameEnd::CrcW, crc);
        self.state = State::WaitPos {
            deadline: now + self.cfg.answer_timeout,
        };
    }

    /// Every file was acknowledged (each `ZEOF` answered by `ZRINIT`): the batch is
    /// delivered, only the goodbye went unanswered.
    fn end_unconfirmed(&mut self) {
        self.out.event(Event::EndUnconfirmed {
            at: Position::EndOfBatch,
        });
        self.out.event(Event::Finished);
        self.state = State::Done;
    }

    /// The state's own deadline has come: resend, count an error, or give up.
    fn on_state_deadline(&mut self, now: Instant) {
        match self.state {
            State::WaitInit { .. } if now >= self.start_limit => self.fail(Error::Timeout {
                waiting_for: "the ZMODEM receiver (ZRINIT)",
            }),
            State::WaitInit { .. } => {
                if self.zrqinits < MAX_ZRQINIT {
                    self.send_zrqinit(now);
                }
                self.state = State::WaitInit {
                    deadline: (now + self.cfg.init_interval).min(self.start_limit),
                };
            }
            State::WaitSinitAck { .. } => {
                if self.count_error(self.pos, RetryReason::Timeout) {
                    self.send_file(now);
                }
            }
            State::WaitPos { .. } => {
                if self.count_error(self.pos, RetryReason::Timeout) {
                    self.resend_file(now);
                }
            }
            State::Stream { .. } => self.request(now),
            State::WaitAck { .. } => {
                // The ZACK did not come: send again from what was acknowledged.
                if self.count_error(self.acked, RetryReason::Timeout) {
                    let acked = self.acked;
                    self.on_zrpos(now, acked, false);
                    self.resync = true;
                }
            }
            State::WaitEof { .. } => {
                if self.count_error(self.pos, RetryReason::Timeout) {
                    self.bin(Header::with_position(FrameType::Eof, self.pos as u32));
                    self.state = State::WaitEof {
                        deadline: now + self.cfg.answer_timeout,
                    };
                }
            }
            State::WaitFin { tries, .. } if tries < 3 => {
                self.hex(Header::new(FrameType::Fin));
                self.state = State::WaitFin {
                    deadline: now + self.cfg.answer_timeout,
                    tries: tries + 1,
                };
            }
            State::WaitFin { .. } => self.end_unconfirmed(),
            State::CrcScan { .. } | State::NeedData | State::Done | State::Failed => {}
        }
    }

    /// The deadline of the state itself, without the idle limit.
    fn state_deadline(&self) -> Option<Instant> {
        match self.state {
            State::WaitInit { deadline }
            | State::WaitSinitAck { deadline }
            | State::WaitPos { deadline }
            | State::WaitAck { deadline }
            | State::WaitEof { deadline }
            | State::WaitFin { deadline, .. } => Some(deadline),
            State::Stream { at } => Some(at),
            State::CrcScan { .. } | State::NeedData | State::Done | State::Failed => None,
        }
    }

    /// When the session fails for want of progress: from the receiver's first `ZRINIT` to
    /// our `ZFIN`, whose wait has its own bound (and ends successfully).
    fn idle_deadline(&self) -> Option<Instant> {
        match self.state {
            State::WaitSinitAck { .. }
            | State::WaitPos { .. }
            | State::CrcScan { .. }
            | State::NeedData
            | State::Stream { .. }
            | State::WaitAck { .. }
            | State::WaitEof { .. } => self.last_progress.map(|t| t + self.cfg.idle_limit),
            State::WaitInit { .. } | State::WaitFin { .. } | State::Done | State::Failed => None,
        }
    }

    fn idle_expired(&self, now: Instant) -> bool {
        self.idle_deadline().is_some_and(|d| now >= d)
    }

    /// The idle limit's error: the receiver went silent, or it kept the line busy without
    /// moving the transfer on.
    fn idle_error(&self, now: Instant) -> Error {
        let heard = self.last_input.max(self.last_progress);
        Error::idle(
            "receiver",
            self.cfg.idle_limit,
            self.cfg.answer_timeout,
            heard,
            now,
        )
    }

    /// The receiver confirmed the file up to `offset` (`ZRPOS`, `ZACK`): true, and progress,
    /// if that is further than it ever confirmed in this file.
    fn confirm(&mut self, now: Instant, offset: u64) -> bool {
        if offset <= self.confirmed_high {
            return false;
        }
        self.confirmed_high = offset;
        self.last_progress = Some(now);
        true
    }

    fn start_scan(&mut self, now: Instant, left: u64) {
        if left == 0 {
            return self.end_scan(now);
        }
        let max = MAX_SUBPACKET.min(usize::try_from(left).unwrap_or(MAX_SUBPACKET));
        self.out.request_read(self.pos, max);
        self.state = State::CrcScan { left };
    }

    fn end_scan(&mut self, now: Instant) {
        // The time spent reading the file is ours, not the receiver's (the requests are
        // bounded by their own count).
        self.last_progress = Some(now);
        self.hex(Header::with_position(FrameType::Crc, self.crc_scan));
        self.pos = 0;
        // The answer to ZFILE is still due.
        self.state = State::WaitPos {
            deadline: now + self.cfg.answer_timeout,
        };
    }
}

impl Engine for Sender {
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) -> usize {
        if self.out.is_pending() {
            return 0;
        }
        if self.idle_expired(now) {
            // A storm of headers that move nothing on.
            self.fail(self.idle_error(now));
            return bytes.len();
        }
        if !bytes.is_empty() {
            self.last_input = Some(now);
        }
        let mut used = 0;
        while used < bytes.len() {
            if matches!(self.state, State::Done | State::Failed) {
                return bytes.len();
            }
            let (n, item) = self.dec.feed(&bytes[used..]);
            used += n;
            match item {
                None => {}
                Some(Item::Cancel) => {
                    self.fail(Error::CancelledByPeer);
                    return bytes.len();
                }
                Some(Item::Header { header, .. }) => {
                    self.on_header(now, header);
                    if self.out.is_pending() {
                        return used;
                    }
                }
                // A receiver sends no data; a garbled header from it is retried by its
                // own timers (or ours).
                Some(Item::Data { .. } | Item::BadData(_)) => self.dec.hunt(),
                Some(Item::BadHeader(_)) => {}
            }
        }
        used
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.out.is_pending() || self.poll_timeout().is_none_or(|d| now < d) {
            return;
        }
        if self.state_deadline().is_none_or(|d| now < d) {
            // Only the idle limit has come.
            return self.fail(self.idle_error(now));
        }
        self.on_state_deadline(now);
        if self.idle_expired(now) {
            // Both had come: the state's rule went first (when it failed, with the more
            // telling error), and the session is still idle.
            self.fail(self.idle_error(now));
        }
    }

    fn poll_output(&mut self) -> Option<Output<'_>> {
        let out = self.out.poll();
        if out.is_none() && matches!(self.state, State::Done | State::Failed) {
            self.finished_polled = true;
        }
        out
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let idle = self.idle_deadline();
        self.state_deadline()
            .map(|d| idle.map_or(d, |idle| d.min(idle)))
    }

    fn provide_data(&mut self, now: Instant, data: &[u8]) {
        match self.state {
            State::NeedData => {
                let max = self.requested;
                let data = &data[..data.len().min(max)];
                self.on_data(now, data, max);
            }
            State::CrcScan { left } => {
                self.crc_scan = crate::proto::crc::crc32_continue(self.crc_scan, data);
                self.pos += data.len() as u64;
                let left = left.saturating_sub(data.len() as u64);
                if data.is_empty() || left == 0 {
                    self.end_scan(now);
                } else {
                    self.start_scan(now, left);
                }
            }
            _ => {}
        }
    }

    fn abort(&mut self, _now: Instant, why: Abort) {
        if !matches!(self.state, State::Done | State::Failed) {
            self.fail(Error::Aborted(why));
        }
    }

    fn handle_hang_up(&mut self, _now: Instant) -> bool {
        match self.state {
            State::WaitFin { .. } => {
                self.out.clear_tx();
                self.end_unconfirmed();
                true
            }
            // The receiver's ZFIN is in (or the end was taken as delivered): the session is
            // over, and a receiver that hangs up at once (two independent implementations
            // do) is not a failure, even if our `OO` no longer reaches it.
            State::Done => true,
            _ => false,
        }
    }

    fn is_finished(&self) -> bool {
        self.finished_polled && !self.out.is_pending()
    }
}
