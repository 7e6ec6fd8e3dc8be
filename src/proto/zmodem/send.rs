//! The ZMODEM sender engine (docs/PROTOCOLS.md §4.8–§4.13).
//!
//! It types `rz\r` (so a shell at the far end starts a receiver) and sends `ZRQINIT` until
//! the receiver's `ZRINIT` says what it can do; then, per file, `ZFILE` with the file
//! information, and on the receiver's `ZRPOS` the data from that offset as one `ZDATA` frame
//! of subpackets. Subpackets end with `ZCRCG` (stream on) unless the receiver announced a
//! buffer (then `ZCRCW` at least once per buffer-full, and the sender waits for the `ZACK`)
//! or there is a window (`ZCRCQ`, and a pause while the window is full: the configured one,
//! or after the receiver's first `ZRPOS` one sized to the link, `window.rs`). After each subpacket
//! the engine's deadline is "now", so the caller looks at the input before the next and a
//! `ZRPOS`, `ZSKIP` or cancel is seen within one subpacket (the driver looks at most once per
//! 20 µs). Every offset a receiver names is checked against the file.

use std::time::{Duration, Instant};

mod recovery;
mod stale;
mod zcrc;

use super::config::SenderConfig;
use super::management::Management;
use super::window::{MAX_SUBPACKET, Window};
use super::{
    CANFC32, CANFDX, CrcKind, Decoder, DecoderConfig, ESCCTL, Encoder, EscapeTable, FrameEnd,
    FrameType, Header, HeaderFormat, Item,
};
use crate::proto::core::{self, Core, Session, Timer, Timers};
use crate::proto::file::{self, Batch, FileInfo};
use crate::proto::{
    Check, Engine, Error, Event, PeerAbort, Position, Protocol, RetryReason, Unsupported,
};

/// `ZFILE` F0: binary, no conversion.
const ZCBIN: u8 = 1;
/// `ZFILE` F0: resume an interrupted file.
const ZCRESUM: u8 = 3;
/// `ZSINIT` F0: the sender will escape every control character.
const TESCCTL: u8 = 0x40;

/// Most `ZRQINIT`s sent (lrzsz: 4; Omen's `rz` quit after seeing 5).
const MAX_ZRQINIT: u32 = 4;

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
    /// The output queue, the limits, the progress times: what every engine shares.
    core: Core,
    cfg: SenderConfig,
    /// The files, and the one being sent; a file's size bounds the offsets the receiver may
    /// ask for.
    batch: Batch,
    state: State,
    dec: Decoder,
    ahead: stale::Lookahead,
    enc: Encoder,
    /// Headers and subpackets go as binary headers with this CRC.
    crc: CrcKind,
    /// The receiver's buffer and the window: how each subpacket ends.
    pub(super) window: Window,
    zrqinits: u32,
    /// When the receiver must have answered by.
    start_limit: Instant,
    /// The offset of the next data byte to send.
    pos: u64,
    /// The offset the receiver last acknowledged (`ZACK`) or asked for (`ZRPOS`).
    acked: u64,
    /// The last `ZRPOS` offset, to count a repeat as an error, and when data went again
    /// from it (a repeat sooner than a round trip later is an echo: [`Sender::echoed_rpos`]).
    last_rpos: Option<(u64, Instant)>,
    /// The furthest offset sent in this file: data beyond it is progress.
    sent_high: u64,
    /// The furthest offset the receiver confirmed in this file (`ZRPOS`, `ZACK`): a
    /// confirmation beyond it is progress and counts the errors from 0 again; one that
    /// only comes back to it (a receiver asking for 0, 1024, 0, 1024...) is not.
    confirmed_high: u64,
    /// A `ZEOF` at the file's end went out for this file (at this offset): a `ZRINIT` that
    /// comes while data is being resent after it is that `ZEOF`'s answer.
    eof_sent: Option<u64>,
    /// When the `ZFILE` now waiting for its answer went: its answer times the link with
    /// nothing else on it ([`Window::exchanged`]). `None` for a `ZFILE` sent again (the
    /// answer may be the first copy's).
    zfile_sent: Option<Instant>,
    /// The size of the read asked for.
    requested: usize,
    /// The next subpacket is the first after a `ZRPOS` during the data: it asks for a `ZACK`
    /// (`ZCRCQ` with a window, else `ZCRCW`).
    resync: bool,
    /// The ZDATA header must go out before the next subpacket.
    need_zdata: bool,
    errors: u32,
    /// The CRC-32 of the file so far, answering a `ZCRC` request.
    crc_scan: u32,
    /// `ZCRC` requests for this file: each costs a read of the file, so a few only.
    crc_requests: u32,
}

impl Sender {
    /// A sender of `files` that starts at `now`. Each file's size, when known, bounds the
    /// offsets the receiver may ask for.
    pub fn new(cfg: SenderConfig, files: Vec<FileInfo>, now: Instant) -> Self {
        let mut s = Self {
            batch: Batch::new(files),
            state: State::Done,
            core: Core::new(cfg.limits),
            window: Window::new(cfg.window, cfg.subpacket),
            dec: Decoder::new(DecoderConfig::default()),
            ahead: stale::Lookahead::new(),
            enc: Encoder::new(cfg.escape),
            crc: CrcKind::Crc16,
            zrqinits: 0,
            start_limit: now,
            pos: 0,
            acked: 0,
            last_rpos: None,
            sent_high: 0,
            confirmed_high: 0,
            eof_sent: None,
            zfile_sent: None,
            requested: 0,
            resync: false,
            need_zdata: false,
            errors: 0,
            crc_scan: 0,
            crc_requests: 0,
            cfg,
        };
        if s.cfg.send_rz {
            s.core.out.send(b"rz\r");
        }
        s.send_zrqinit(now);
        s.start_limit = now + s.cfg.limits.start;
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
        let out = self.core.out.tx();
        self.enc.header(out, HeaderFormat::Hex, &header);
    }

    fn bin(&mut self, header: Header) {
        let format = self.format();
        let out = self.core.out.tx();
        self.enc.header(out, format, &header);
    }

    fn send_zrqinit(&mut self, _now: Instant) {
        self.zrqinits += 1;
        self.hex(Header::new(FrameType::RqInit));
    }

    /// The receiver's `ZRINIT` arrived: take its capabilities, then begin.
    fn on_zrinit(&mut self, now: Instant, header: Header) {
        self.core.progress(now);
        let flags = header.f0();
        self.window.full_duplex = flags & CANFDX != 0;
        self.crc = if flags & CANFC32 != 0 {
            CrcKind::Crc32
        } else {
            CrcKind::Crc16
        };
        let rx_buffer = u32::from(u16::from_le_bytes([header.bytes[0], header.bytes[1]]));
        self.window.set_rx_buffer(rx_buffer);
        self.core.out.event(Event::Started {
            protocol: Protocol::Zmodem,
            check: match self.crc {
                CrcKind::Crc16 => Check::Crc16,
                CrcKind::Crc32 => Check::Crc32,
            },
            block: None,
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
            let out = self.core.out.tx();
            self.enc.subpacket(out, &[0], FrameEnd::CrcW, crc);
            self.state = State::WaitSinitAck {
                deadline: now + self.cfg.limits.answer,
            };
            return;
        }
        self.send_file(now);
    }

    /// `ZFILE` for `files[index]`, or `ZFIN` after the last.
    fn send_file(&mut self, now: Instant) {
        self.errors = 0;
        self.core.progress(now);
        self.sent_high = 0;
        self.confirmed_high = 0;
        let Some(info) = self.batch.current() else {
            return self.send_zfin(now, 1);
        };
        if info.size.is_some_and(|s| s > u64::from(u32::MAX)) {
            return self.fail(Error::Unsupported(Unsupported::ZmodemFileTooLarge));
        }
        self.core.out.file_start(info.clone());
        self.window.new_file();
        self.pos = 0;
        self.acked = 0;
        self.last_rpos = None;
        self.eof_sent = None;
        self.crc_requests = 0;
        self.send_zfile(now);
        self.zfile_sent = Some(now);
    }

    /// `ZFILE` with the information of `files[index]` (again, after a `ZNAK` or a timeout,
    /// without announcing the file again); then wait for the answer.
    fn send_zfile(&mut self, now: Instant) {
        let Some(info) = self.batch.current() else {
            return;
        };
        let mut body = Vec::with_capacity(64 + info.name.len());
        file::encode_info(info, &mut body);
        let options = if self.cfg.resume { ZCRESUM } else { ZCBIN };
        let manage = Management::f1(self.cfg.management, self.cfg.skip_absent);
        self.bin(Header::with_flags(FrameType::File, options, manage, 0, 0));
        let crc = self.crc;
        let out = self.core.out.tx();
        self.enc.subpacket(out, &body, FrameEnd::CrcW, crc);
        // Timed only when sent once (`send_file`).
        self.zfile_sent = None;
        self.state = State::WaitPos {
            deadline: now + self.cfg.limits.answer,
        };
    }

    fn file_size(&self) -> Option<u64> {
        self.batch.current().and_then(|f| f.size)
    }

    /// Ask the caller for the next subpacket's data.
    fn request(&mut self, _now: Instant) {
        let max = self.window.room();
        self.requested = max;
        self.core.out.request_read(self.pos, max);
        self.state = State::NeedData;
    }

    /// File data arrived for a subpacket of up to `max` bytes.
    fn on_data(&mut self, now: Instant, data: &[u8], max: usize) {
        let len = data.len() as u64;
        if self.pos + len > u64::from(u32::MAX) {
            return self.fail(Error::Unsupported(Unsupported::ZmodemPastLimit));
        }
        let eof = data.len() < max;
        if self.need_zdata {
            self.need_zdata = false;
            self.bin(Header::with_position(FrameType::Data, self.pos as u32));
        }
        let end = self.window.end(len, eof, self.resync);
        let crc = self.crc;
        let out = self.core.out.tx();
        self.enc.subpacket(out, data, end, crc);
        self.pos += len;
        if self.pos > self.sent_high {
            self.sent_high = self.pos;
            self.core.progress(now);
        }
        self.core.out.event(Event::Progress {
            bytes: self.pos,
            frame: data.len(),
        });
        match end {
            FrameEnd::CrcE => {
                self.eof_sent = Some(self.pos);
                self.send_zeof(now);
            }
            FrameEnd::CrcW => {
                self.resync = false;
                self.window.waited();
                // ZCRCW ends the frame: the receiver reads a header next, so the data that
                // follows the ZACK goes in a new ZDATA frame.
                self.need_zdata = true;
                self.state = State::WaitAck {
                    deadline: now + self.cfg.limits.answer,
                };
            }
            FrameEnd::CrcQ => {
                self.resync = false;
                self.window.queried(self.pos, now);
                self.after_subpacket(now);
            }
            FrameEnd::CrcG => self.after_subpacket(now),
        }
    }

    /// How long a full window waits for a `ZACK`: see [`Window::ack_wait`].
    pub(super) fn ack_wait(&self) -> Duration {
        self.window.ack_wait(self.cfg.limits.answer)
    }

    /// After a streamed subpacket: pause while the window is full, else go on.
    fn after_subpacket(&mut self, now: Instant) {
        self.state = if self.window.is_full(self.pos, self.acked) {
            State::WaitAck {
                deadline: now + self.ack_wait(),
            }
        } else {
            State::Stream { at: now }
        };
    }

    fn next_file(&mut self, now: Instant) {
        self.batch.advance();
        self.send_file(now);
    }

    fn on_header(&mut self, now: Instant, header: Header) {
        let pos = u64::from(header.position());
        match (self.state, header.kind) {
            (_, FrameType::FErr) => self.fail(Error::PeerAborted(PeerAbort::ReceiverFileError)),
            (_, FrameType::Abort) => self.fail(Error::PeerAborted(PeerAbort::ReceiverAborted)),
            (_, FrameType::Can) => self.fail(Error::PeerAborted(PeerAbort::ReceiverCancelled)),
            (State::WaitInit { .. }, FrameType::RInit) => self.on_zrinit(now, header),
            (State::WaitInit { .. }, FrameType::Challenge) => {
                self.hex(Header::with_position(FrameType::Ack, header.position()));
            }
            (State::WaitSinitAck { .. }, FrameType::Ack) => self.send_file(now),
            (State::WaitPos { .. }, FrameType::RPos) => {
                self.errors = 0;
                if let Some(sent) = self.zfile_sent.take() {
                    self.window.exchanged(now.saturating_duration_since(sent));
                }
                self.on_zrpos(now, pos, false);
            }
            (State::WaitPos { .. }, FrameType::Skip) => {
                self.core.out.event(Event::FileSkipped);
                self.next_file(now);
            }
            (State::WaitPos { .. }, FrameType::Crc) => self.on_zcrc(now, pos),
            (State::WaitPos { .. }, FrameType::Nak)
                if self.count_error(self.pos, RetryReason::Nak) =>
            {
                self.send_zfile(now);
            }
            (State::WaitPos { .. } | State::WaitSinitAck { .. }, FrameType::Challenge) => {
                self.hex(Header::with_position(FrameType::Ack, header.position()));
            }
            (State::Stream { .. } | State::WaitAck { .. }, FrameType::RPos) => {
                self.on_zrpos(now, pos, true);
            }
            (State::WaitAck { .. }, FrameType::Ack) => {
                if pos == self.pos {
                    self.on_zack(now, pos);
                    self.request(now);
                } else if pos > self.acked && pos <= self.pos {
                    // A ZCRCQ's answer: the window moves on.
                    self.on_zack(now, pos);
                    self.after_subpacket(now);
                    if matches!(self.state, State::Stream { .. }) {
                        self.request(now);
                    }
                }
            }
            (State::Stream { .. }, FrameType::Ack) if pos > self.acked && pos <= self.pos => {
                self.on_zack(now, pos);
            }
            (
                State::Stream { .. } | State::WaitAck { .. } | State::WaitEof { .. },
                FrameType::Skip,
            ) => {
                self.core.out.event(Event::FileSkipped);
                self.next_file(now);
            }
            (State::WaitEof { .. }, FrameType::RInit) => {
                self.core.out.event(Event::FileEnd { bytes: self.pos });
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
                let out = self.core.out.tx();
                self.enc.subpacket(out, &[], FrameEnd::CrcE, crc);
                self.core.out.event(Event::FileEnd { bytes: end });
                self.next_file(now);
            }
            (State::WaitEof { .. }, FrameType::RPos) => self.on_zrpos(now, pos, true),
            (State::WaitEof { .. }, FrameType::Nak)
                if self.count_error(self.pos, RetryReason::Nak) =>
            {
                self.send_zeof(now);
            }
            (State::WaitFin { .. }, FrameType::Fin) => {
                self.core.out.send(b"OO");
                self.core.out.event(Event::Finished);
                self.state = State::Done;
            }
            (State::WaitFin { tries, .. }, FrameType::RInit) if tries < 3 => {
                // The receiver is still waiting for the next file: our ZFIN was lost (lrzsz
                // `sz` resends ZFIN on anything but ZFIN too).
                self.send_zfin(now, tries + 1);
            }
            (State::WaitFin { .. } | State::Done, _) => {}
            // Anything else (a repeated ZRINIT, a stray ZACK) changes nothing.
            _ => {}
        }
    }

    /// `ZEOF` at the end of the data sent; then wait for the receiver's `ZRINIT`.
    fn send_zeof(&mut self, now: Instant) {
        self.bin(Header::with_position(FrameType::Eof, self.pos as u32));
        self.state = State::WaitEof {
            deadline: now + self.cfg.limits.answer,
        };
    }

    /// `ZFIN` (the `tries`th); then wait for the receiver's.
    fn send_zfin(&mut self, now: Instant, tries: u32) {
        self.hex(Header::new(FrameType::Fin));
        self.state = State::WaitFin {
            deadline: now + self.cfg.limits.answer,
            tries,
        };
    }

    /// Every file was acknowledged (each `ZEOF` answered by `ZRINIT`): the batch is
    /// delivered, only the goodbye went unanswered.
    fn end_unconfirmed(&mut self) {
        self.core.out.event(Event::EndUnconfirmed {
            at: Position::EndOfBatch,
        });
        self.core.out.event(Event::Finished);
        self.state = State::Done;
    }
}

impl Session for Sender {
    const WAITING_FOR_START: &'static str = "the ZMODEM receiver (ZRINIT)";
    const IDLE_PEER: Option<&'static str> = Some("receiver");

    core::session_items!(State);

    fn timers(&self) -> Timers {
        let state = match self.state {
            State::WaitInit { deadline }
            | State::WaitSinitAck { deadline }
            | State::WaitPos { deadline }
            | State::WaitAck { deadline }
            | State::WaitEof { deadline }
            | State::WaitFin { deadline, .. } => Some(deadline),
            State::Stream { at } => Some(at),
            State::CrcScan { .. } | State::NeedData | State::Done | State::Failed => None,
        };
        // From the receiver's first `ZRINIT` to our `ZFIN`, whose wait has its own bound (and
        // ends successfully). The start bound is `WaitInit`'s own deadline.
        let idle = match self.state {
            State::WaitSinitAck { .. }
            | State::WaitPos { .. }
            | State::CrcScan { .. }
            | State::NeedData
            | State::Stream { .. }
            | State::WaitAck { .. }
            | State::WaitEof { .. } => self.core.idle_at(),
            State::WaitInit { .. } | State::WaitFin { .. } | State::Done | State::Failed => None,
        };
        Timers::default()
            .with(Timer::State, state)
            .with(Timer::Idle, idle)
    }

    /// Resend, count an error, or give up.
    fn on_state_timeout(&mut self, now: Instant) {
        match self.state {
            State::WaitInit { .. } if now >= self.start_limit => {
                self.fail(core::start_error::<Self>())
            }
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
                    self.send_zfile(now);
                }
            }
            State::Stream { .. } => self.request(now),
            State::WaitAck { .. } if self.window.unanswered_probe() => self.request(now),
            State::WaitAck { .. } => {
                // The ZACK did not come: send again from what was acknowledged.
                self.window.waited_in_vain();
                if self.count_error(self.acked, RetryReason::Timeout) {
                    let acked = self.acked;
                    self.on_zrpos(now, acked, false);
                    self.resync = true;
                }
            }
            State::WaitEof { .. } => {
                if self.count_error(self.pos, RetryReason::Timeout) {
                    self.send_zeof(now);
                }
            }
            State::WaitFin { tries, .. } if tries < 3 => {
                self.send_zfin(now, tries + 1);
            }
            State::WaitFin { .. } => self.end_unconfirmed(),
            State::CrcScan { .. } | State::NeedData | State::Done | State::Failed => {}
        }
    }

    fn on_input(&mut self, now: Instant, bytes: &[u8], _previous: Option<Instant>) -> usize {
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
                    self.fail(Error::PeerAborted(PeerAbort::Cancelled));
                    return bytes.len();
                }
                Some(Item::Header { header, .. }) => {
                    if self.stale_rpos(header, &bytes[used..]) || self.echoed_rpos(now, header) {
                        continue;
                    }
                    self.on_header(now, header);
                    if self.core.out.is_pending() {
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
}

impl Engine for Sender {
    core::engine_items!(sender);

    fn provide_data(&mut self, now: Instant, data: &[u8]) {
        match self.state {
            State::NeedData => {
                let max = self.requested;
                let data = &data[..data.len().min(max)];
                self.on_data(now, data, max);
            }
            State::CrcScan { left } => self.on_scan_data(now, data, left),
            _ => {}
        }
    }

    fn handle_hang_up(&mut self, _now: Instant) -> bool {
        match self.state {
            State::WaitFin { .. } => {
                self.core.out.clear_tx();
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
}
