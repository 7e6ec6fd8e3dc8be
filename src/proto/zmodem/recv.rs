//! The ZMODEM receiver engine (docs/PROTOCOLS.md §4.8–§4.12).
//!
//! It announces itself with `ZRINIT` (hex, as every header it sends: lrzsz `sz` looks for hex
//! headers only on its reverse channel while streaming), takes `ZFILE` headers and their file
//! information, answers with `ZRPOS` (from 0, or from the length the caller verified for a
//! resume) or `ZSKIP`, stores the data of `ZDATA` frames at their offsets, and on a damaged
//! subpacket, a lost header or data at the wrong offset sends the Attn string and `ZRPOS` with
//! the number of bytes it holds. A `ZCOMMAND` is never executed: it is refused with
//! `ZCOMPL` and a note. After `ZFIN` it answers `ZFIN` and reads nothing but the sender's `OO`,
//! so a shell prompt that follows is left for the shell.

use std::time::{Duration, Instant};

mod fin;

use super::Encoder;
use super::config::ReceiverConfig;
use super::{
    CANFC32, CANFDX, CANOVIO, CrcKind, Decoder, DecoderConfig, ESCCTL, EscapeProfile, FrameEnd,
    FrameType, Header, HeaderFormat, Item,
};
use crate::proto::core::{self, Core, Session, Timers};
use crate::proto::file::{self, FileInfo};
use crate::proto::{
    Check, Engine, Error, Event, FileReply, Output, PeerAbort, PeerMisbehaved, Position, Protocol,
    RetryReason, Unsupported,
};

/// `ZCOMPL` status for a refused command: lrzsz `rz` without `-C` also answers with a
/// non-zero status.
const REFUSED: u32 = 1;

/// Longest Attn string kept (lrzsz: 32 bytes with its NUL).
const MAX_ATTN: usize = 31;

/// The largest position ZMODEM can express.
const MAX_POSITION: u64 = u32::MAX as u64;

/// The subpacket expected after a header that announces one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaited {
    /// `ZFILE`'s file information.
    FileInfo { format: HeaderFormat },
    /// `ZFILE` again while its file is being received (our `ZRPOS` was lost).
    FileRepeat,
    /// `ZSINIT`'s Attn string.
    Attn,
    /// `ZCOMMAND`'s command.
    Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between files (or before the first): `ZRINIT` is out; at `deadline` it goes out again.
    Init {
        deadline: Instant,
    },
    /// Reading the subpacket of a `ZFILE`, `ZSINIT` or `ZCOMMAND`.
    Subpacket {
        what: Awaited,
        deadline: Instant,
    },
    /// In a file, waiting for `ZDATA` at our offset (or `ZEOF`).
    File {
        deadline: Instant,
    },
    /// Reading the data subpackets of a `ZDATA` frame.
    Data {
        deadline: Instant,
    },
    /// A file to resume: `ZCRC` asked the sender for the CRC-32 of its first `from` bytes;
    /// ours is `want`.
    Verify {
        from: u64,
        want: u32,
        deadline: Instant,
    },
    /// `ZFIN` answered; reading the sender's `OO` until `deadline`. `matched` bytes of a
    /// repeated `ZFIN` have come (the sender did not get our answer: it says `ZFIN` again
    /// before its `OO`), and `repeats` such repeats were answered.
    Fin {
        deadline: Instant,
        seen: u8,
        matched: u8,
        repeats: u8,
    },
    Done,
    Failed,
}

/// Receives a ZMODEM batch.
///
/// Output order for a subpacket: events, then [`Output::WriteFile`] with its data at its
/// offset, then any answer (`ZACK`). For a file: [`Output::FileStart`](crate::proto::Output::FileStart), then the `ZRPOS` that
/// accepts it, which [`Engine::reply_file`] can replace by a `ZSKIP` or a `ZRPOS` further on.
#[derive(Debug)]
pub struct Receiver {
    /// The output queue, the limits, the progress times: what every engine shares.
    core: Core,
    cfg: ReceiverConfig,
    state: State,
    dec: Decoder,
    enc: Encoder,
    /// When the sender must have started by.
    start_limit: Instant,
    started: bool,
    /// The file being received: bytes held (the next offset wanted).
    file: Option<u64>,
    /// The offset, in the sender's numbering, of the next byte of the `ZDATA` frame being
    /// read (below `file` when the frame resends what we hold).
    frame_at: u64,
    /// The length the current file's `ZFILE` announced, if it did.
    announced: Option<u64>,
    /// The CRC of the current frame's subpackets.
    crc: CrcKind,
    errors: u32,
    attn: Vec<u8>,
    /// The last time a byte came, or we asked for data (`ZRPOS`, `ZACK`): the start of a
    /// silence ([`ReceiverConfig::quiet_resend`]).
    heard: Instant,
    /// Bytes came since the last resend after a silence: the next silence gets one too
    /// (a stalled sender gets one, then the header timeout, as before).
    quiet_armed: bool,
    /// When our last `ZRPOS` in a file went out, while its answer (a `ZDATA` at or before the
    /// bytes held) has not come.
    asked: Option<Instant>,
    /// That `ZRPOS` was asked again already (once per answer: [`Receiver::reask_at`]).
    reasked: bool,
    /// The longest a `ZRPOS` waited for its answer in this session (not timed when asked
    /// again: the answer may be to either).
    answer_max: Option<Duration>,
}

/// The soonest a `ZRPOS` is asked again for want of an answer ([`Receiver::reask_at`]).
const MIN_REASK: Duration = Duration::from_millis(50);

impl Receiver {
    /// A receiver that sends its first `ZRINIT` at `now`.
    pub fn new(cfg: ReceiverConfig, now: Instant) -> Self {
        let dec = Decoder::new(DecoderConfig {
            max_data: cfg.max_data.max(1),
            drop_controls: cfg.escape_controls,
        });
        let mut r = Self {
            start_limit: now + cfg.limits.start,
            core: Core::new(cfg.limits),
            cfg,
            state: State::Done,
            dec,
            enc: Encoder::new(EscapeProfile::Minimal),
            started: false,
            file: None,
            frame_at: 0,
            announced: None,
            crc: CrcKind::Crc16,
            errors: 0,
            attn: Vec::new(),
            heard: now,
            quiet_armed: false,
            asked: None,
            reasked: false,
            answer_max: None,
        };
        // The idle limit counts from here once the session has started.
        r.core.progress(now);
        r.send_zrinit(now);
        r
    }

    /// When the `ZRPOS` waiting for its answer is asked again: after twice the longest a
    /// `ZRPOS` waited for its answer in this session (at least [`MIN_REASK`]), once per
    /// answer. The `ZRPOS` or its answer was lost (or the answer's `ZDATA` header damaged
    /// past recognition) while the sender goes on sending: neither the silence of the
    /// quick resend nor the sender's own wait for a `ZACK` would come before its window is
    /// full and a second has passed.
    fn reask_at(&self) -> Option<Instant> {
        let asked = self
            .asked
            .filter(|_| !self.reasked && self.file.is_some())?;
        Some(asked + (self.answer_max? * 2).max(MIN_REASK))
    }

    /// The deadline of the state itself, without the idle limit.
    fn state_deadline(&self) -> Option<Instant> {
        let deadline = self.state_deadline_alone();
        match (self.state, self.reask_at()) {
            (State::File { .. }, Some(reask)) => deadline.map(|d| d.min(reask)),
            _ => deadline,
        }
    }

    fn state_deadline_alone(&self) -> Option<Instant> {
        match self.state {
            State::File { deadline } | State::Data { deadline }
                if self.file.is_some() && self.quiet_armed =>
            {
                Some(deadline.min(self.heard + self.cfg.quiet_resend))
            }
            State::Init { deadline }
            | State::Subpacket { deadline, .. }
            | State::File { deadline }
            | State::Data { deadline }
            | State::Verify { deadline, .. }
            | State::Fin { deadline, .. } => Some(deadline),
            State::Done | State::Failed => None,
        }
    }

    /// The sender's answer to our `ZCRC` (or its silence, `None`): resume at `from` if its
    /// file starts with the bytes we hold, else receive it from the start.
    fn verified(&mut self, now: Instant, from: u64, matches: Option<bool>) {
        let from = match matches {
            Some(true) => from,
            Some(false) => {
                self.core.out.event(Event::Note(format!(
                    "the kept part ({from} bytes) is not the start of the sender's file: \
                     receiving it from the start"
                )));
                0
            }
            None => {
                self.core.out.event(Event::Note(
                    "the sender did not answer the check of the kept part (ZCRC): receiving \
                     the file from the start"
                        .into(),
                ));
                0
            }
        };
        self.file = Some(from);
        self.send_zrpos(now);
    }

    /// True once the sender's first file (`ZFILE`) has come.
    pub fn has_started(&self) -> bool {
        self.started
    }

    fn header(&mut self, header: Header) {
        let out = self.core.out.tx();
        self.enc.header(out, HeaderFormat::Hex, &header);
    }

    /// `ZRINIT`: what we can do, and our buffer.
    fn send_zrinit(&mut self, now: Instant) {
        if !self.started && now >= self.start_limit {
            // An error or a repeat can come after the time the sender had to start: give up
            // rather than set a deadline in the past.
            return self.fail(Error::Timeout {
                waiting_for: "the ZMODEM sender to start",
            });
        }
        let mut flags = CANFDX | CANOVIO | CANFC32;
        if self.cfg.escape_controls {
            flags |= ESCCTL;
        }
        let [p0, p1] = self.cfg.buffer_size.to_le_bytes();
        let header = Header {
            kind: FrameType::RInit,
            bytes: [p0, p1, 0, flags],
        };
        self.header(header);
        self.dec.hunt();
        let deadline = if self.started {
            now + self.cfg.limits.answer
        } else {
            (now + self.cfg.init_interval).min(self.start_limit)
        };
        self.state = State::Init { deadline };
    }

    /// Ask for the data from the offset we hold, after sending the Attn string.
    fn send_zrpos(&mut self, now: Instant) {
        let held = self.file.unwrap_or(0);
        if !self.attn.is_empty() {
            let attn = std::mem::take(&mut self.attn);
            self.core.out.send(&attn);
            self.attn = attn;
        }
        self.header(Header::with_position(FrameType::RPos, held as u32));
        self.dec.hunt();
        self.heard = now;
        self.asked = Some(now);
        self.state = State::File {
            deadline: now + self.cfg.limits.answer,
        };
    }

    /// Count an error: in a file, Attn and `ZRPOS`; outside, `ZRINIT` again; or give up.
    fn error(&mut self, now: Instant, reason: RetryReason) {
        self.errors += 1;
        let at = Position::Offset(self.file.unwrap_or(0));
        if self.errors >= self.cfg.limits.max_errors {
            return self.fail(Error::RetriesExhausted {
                at,
                attempts: self.errors,
                last: reason,
            });
        }
        self.core.out.event(Event::Retry {
            reason,
            attempt: self.errors,
        });
        if self.file.is_some() {
            self.send_zrpos(now);
        } else {
            self.send_zrinit(now);
        }
    }

    fn finish(&mut self) {
        self.core.out.event(Event::Finished);
        self.state = State::Done;
    }

    fn on_header(&mut self, now: Instant, header: Header, format: HeaderFormat) {
        if let State::Verify { from, want, .. } = self.state {
            // Only the answer to our ZCRC (or the end of everything) counts now.
            return match header.kind {
                FrameType::Crc => self.verified(now, from, Some(header.position() == want)),
                FrameType::Abort | FrameType::FErr => {
                    self.fail(Error::PeerAborted(PeerAbort::SenderAborted))
                }
                FrameType::Fin => self.fail(Error::PeerMisbehaved(PeerMisbehaved::EndedInFile)),
                _ => {}
            };
        }
        let in_file = self.file.is_some();
        match header.kind {
            FrameType::RqInit if !in_file => self.send_zrinit(now),
            FrameType::SInit => self.expect(now, Awaited::Attn, format),
            FrameType::File if in_file => self.expect(now, Awaited::FileRepeat, format),
            FrameType::File => self.expect(now, Awaited::FileInfo { format }, format),
            FrameType::Command => self.expect(now, Awaited::Command, format),
            FrameType::Data if in_file => {
                let held = self.file.unwrap_or(0);
                let at = u64::from(header.position());
                if at > held {
                    return self.error(now, RetryReason::BadSequence);
                }
                // Data from before what we hold (the sender answered a ZRPOS twice, or went
                // back after a lost ZACK) is read and dropped up to what we hold: asking
                // again would make the sender go back once more for each such frame, and
                // each answer would cross the next.
                if let Some(asked) = self.asked.take().filter(|_| !self.reasked) {
                    let took = now.saturating_duration_since(asked);
                    self.answer_max = Some(self.answer_max.map_or(took, |m| m.max(took)));
                }
                self.reasked = false;
                self.frame_at = at;
                self.crc = format.data_crc();
                self.dec.expect_data(self.crc);
                self.state = State::Data {
                    deadline: now + self.cfg.limits.answer,
                };
            }
            FrameType::Data => self.error(now, RetryReason::BadSequence),
            FrameType::Eof if in_file => {
                let held = self.file.unwrap_or(0);
                if u64::from(header.position()) != held {
                    // More data is on its way (it went out before our ZRPOS): wait for it.
                    return;
                }
                if let Some(want) = self.announced.filter(|&want| held < want) {
                    // As for YMODEM: the announced length is the sender's promise, and a
                    // file that shrank while it was sent is not the file (PROTOCOL_NOTES).
                    return self.fail(Error::ShortFile { got: held, want });
                }
                self.file = None;
                self.errors = 0;
                self.core.progress(now);
                self.core.out.event(Event::FileEnd { bytes: held });
                self.send_zrinit(now);
            }
            FrameType::Fin if in_file => {
                self.fail(Error::PeerMisbehaved(PeerMisbehaved::EndedInFile))
            }
            FrameType::Fin => {
                self.header(Header::new(FrameType::Fin));
                self.state = State::Fin {
                    deadline: now + self.cfg.fin_wait,
                    seen: 0,
                    matched: 0,
                    repeats: 0,
                };
            }
            FrameType::FreeCnt => self.header(Header::with_position(FrameType::Ack, 0)),
            FrameType::Abort | FrameType::FErr => {
                self.fail(Error::PeerAborted(PeerAbort::SenderAborted))
            }
            // Our last header was garbled: say it again.
            FrameType::Nak if in_file => self.send_zrpos(now),
            FrameType::Nak => self.send_zrinit(now),
            // Not for a receiver (or a ZRQINIT inside a file): ignored.
            _ => {}
        }
    }

    fn expect(&mut self, now: Instant, what: Awaited, format: HeaderFormat) {
        self.crc = format.data_crc();
        self.dec.expect_data(self.crc);
        self.state = State::Subpacket {
            what,
            deadline: now + self.cfg.limits.answer,
        };
    }

    fn on_subpacket(&mut self, now: Instant, what: Awaited, end: FrameEnd) {
        if end != FrameEnd::CrcW {
            // These subpackets end with ZCRCW; anything else is a framing error.
            self.dec.hunt();
            return match what {
                Awaited::FileInfo { .. } | Awaited::Attn | Awaited::Command => {
                    self.header(Header::new(FrameType::Nak));
                    self.state = State::Init {
                        deadline: now + self.cfg.limits.answer,
                    };
                }
                Awaited::FileRepeat => self.send_zrpos(now),
            };
        }
        match what {
            Awaited::Attn => {
                let data = self.dec.data();
                let len = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                self.attn = data[..len.min(MAX_ATTN)].to_vec();
                self.header(Header::with_position(FrameType::Ack, 1));
                self.state = State::Init {
                    deadline: now + self.cfg.limits.answer,
                };
            }
            Awaited::Command => {
                let data = self.dec.data();
                let len = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                let shown = String::from_utf8_lossy(&data[..len.min(200)]).into_owned();
                self.core.out.event(Event::Note(format!(
                    "refused the sender's command {shown:?}: xyzmodem never runs commands"
                )));
                self.header(Header::with_position(FrameType::Compl, REFUSED));
                self.state = State::Init {
                    deadline: now + self.cfg.limits.answer,
                };
            }
            Awaited::FileRepeat => self.send_zrpos(now),
            Awaited::FileInfo { format } => self.on_file(now, format),
        }
    }

    fn on_file(&mut self, now: Instant, format: HeaderFormat) {
        let info: FileInfo = file::parse_info(self.dec.data());
        if info.name.is_empty() {
            self.core.out.event(Event::Note(
                "skipped a file the sender sent without a name".into(),
            ));
            self.header(Header::new(FrameType::Skip));
            self.state = State::Init {
                deadline: now + self.cfg.limits.answer,
            };
            return;
        }
        if !self.started {
            self.started = true;
            let check = match format.data_crc() {
                CrcKind::Crc16 => Check::Crc16,
                CrcKind::Crc32 => Check::Crc32,
            };
            self.core.out.event(Event::Started {
                protocol: Protocol::Zmodem,
                check,
                block: None,
            });
        }
        self.errors = 0;
        self.file = Some(0);
        self.announced = info.size;
        self.core.progress(now);
        self.core.out.file_start(info);
        // The caller may replace this answer (reply_file) before it goes out.
        self.send_zrpos(now);
    }

    fn on_data(&mut self, now: Instant, end: FrameEnd) {
        let held = self.file.unwrap_or(0);
        let end_at = self.frame_at + self.dec.data().len() as u64;
        self.frame_at = end_at;
        if end_at > MAX_POSITION {
            return self.fail(Error::Unsupported(Unsupported::ZmodemPastLimit));
        }
        self.errors = 0;
        // The bytes beyond what we hold: the tail of the subpacket.
        let len = end_at.saturating_sub(held);
        let next = held + len;
        if len > 0 {
            self.core.write = Some((held, len as usize));
            self.core.progress(now);
        }
        self.file = Some(next);
        self.core.out.event(Event::Progress {
            bytes: next,
            frame: len as usize,
        });
        let deadline = now + self.cfg.limits.answer;
        // Acknowledged where the subpacket ends in the sender's frame: what we hold beyond it
        // is not yet the sender's concern.
        match end {
            FrameEnd::CrcW => {
                self.header(Header::with_position(FrameType::Ack, end_at as u32));
                self.heard = now;
                self.state = State::File { deadline };
            }
            FrameEnd::CrcQ => {
                self.header(Header::with_position(FrameType::Ack, end_at as u32));
                self.heard = now;
                self.state = State::Data { deadline };
            }
            FrameEnd::CrcG => self.state = State::Data { deadline },
            FrameEnd::CrcE => self.state = State::File { deadline },
        }
    }

    fn on_item(&mut self, now: Instant, item: Item) {
        match item {
            Item::Cancel => self.fail(Error::PeerAborted(PeerAbort::Cancelled)),
            Item::Header { header, format } => self.on_header(now, header, format),
            Item::Data { end } => match self.state {
                State::Subpacket { what, .. } => self.on_subpacket(now, what, end),
                State::Data { .. } => self.on_data(now, end),
                // The decoder reads data only when told to.
                _ => {}
            },
            Item::BadHeader(_) => self.error(now, RetryReason::BadCheck),
            Item::BadData(_) => match self.state {
                State::Subpacket {
                    what: Awaited::FileInfo { .. } | Awaited::Attn | Awaited::Command,
                    ..
                } => {
                    self.header(Header::new(FrameType::Nak));
                    self.state = State::Init {
                        deadline: now + self.cfg.limits.answer,
                    };
                }
                _ => self.error(now, RetryReason::BadCheck),
            },
        }
    }
}

impl Session for Receiver {
    const WAITING_FOR_START: &'static str = "the ZMODEM sender to start";
    const IDLE_PEER: Option<&'static str> = None;

    core::session_items!(State);

    fn timers(&self) -> Timers {
        // Neither bound while the session says goodbye. The start bound holds until a file
        // has come, whatever the sender repeats before (`ZRQINIT`, `ZSINIT`, damaged
        // headers): it bounds the whole handshake.
        let live = !matches!(self.state, State::Done | State::Failed | State::Fin { .. });
        self.core
            .receiver_timers(live, self.started, self.start_limit, self.state_deadline())
    }

    fn on_state_timeout(&mut self, now: Instant) {
        match self.state {
            State::Init { .. } if !self.started => self.send_zrinit(now),
            State::File { .. } if self.reask_at().is_some_and(|at| now >= at) => {
                self.reasked = true;
                self.error(now, RetryReason::Timeout);
            }
            State::Init { .. }
            | State::Subpacket { .. }
            | State::File { .. }
            | State::Data { .. } => {
                // A resend after a silence (or the header timeout): the next silence waits
                // for the header timeout unless bytes come first. A sender that was silent
                // may be held up: this `ZRPOS` is neither asked again early nor timed.
                self.quiet_armed = false;
                self.error(now, RetryReason::Timeout);
                self.reasked = true;
            }
            State::Verify { from, .. } => self.verified(now, from, None),
            State::Fin { .. } => self.finish(),
            State::Done | State::Failed => {}
        }
    }

    /// A file error: say so in ZMODEM terms too (lrzsz keeps receiving into a full disk
    /// otherwise), before the cancel sequence.
    fn on_local_abort(&mut self) {
        let mut ferr = Vec::new();
        self.enc
            .header(&mut ferr, HeaderFormat::Hex, &Header::new(FrameType::FErr));
        let tx = self.core.out.tx();
        tx.splice(0..0, ferr);
    }

    fn on_input(&mut self, now: Instant, bytes: &[u8], _previous: Option<Instant>) -> usize {
        if !bytes.is_empty() {
            self.heard = now;
            self.quiet_armed = true;
        }
        let mut used = 0;
        while used < bytes.len() {
            match self.state {
                State::Done | State::Failed => return bytes.len(),
                State::Fin { .. } => {
                    let (consumed, stop) = self.on_fin_byte(now, bytes[used]);
                    used += usize::from(consumed);
                    if stop {
                        return used;
                    }
                }
                _ => {
                    let (n, item) = self.dec.feed(&bytes[used..]);
                    used += n;
                    if let Some(item) = item {
                        self.on_item(now, item);
                        if self.core.is_busy() {
                            return used;
                        }
                    }
                }
            }
        }
        used
    }
}

impl Engine for Receiver {
    core::engine_items!();

    fn poll_output(&mut self) -> Option<Output<'_>> {
        let over = self.is_over();
        // A write is the tail of the subpacket (what we did not hold already).
        self.core.poll(over, |len| {
            let data = self.dec.data();
            &data[data.len() - len..]
        })
    }

    fn provide_data(&mut self, _now: Instant, _data: &[u8]) {}

    fn reply_file(&mut self, now: Instant, reply: FileReply) {
        if !matches!(self.state, State::File { .. }) || self.file != Some(0) {
            return;
        }
        match reply {
            FileReply::Accept => {}
            FileReply::Skip => {
                self.core.out.clear_tx();
                self.file = None;
                self.core.out.event(Event::FileSkipped);
                self.header(Header::new(FrameType::Skip));
                self.state = State::Init {
                    deadline: now + self.cfg.limits.answer,
                };
            }
            FileReply::Resume { from: 0, .. } => {}
            FileReply::Resume { from, crc32 } => {
                // Ask the sender for the CRC of its first `from` bytes (lrzsz `sz` answers
                // ZCRC); resume only if they are the bytes we hold.
                self.core.out.clear_tx();
                let from = from.min(MAX_POSITION);
                self.header(Header::with_position(FrameType::Crc, from as u32));
                self.dec.hunt();
                self.state = State::Verify {
                    from,
                    want: crc32,
                    deadline: now + self.cfg.limits.answer,
                };
            }
        }
    }

    /// After the sender's `ZFIN` (answered), every file is in: a hang-up before its `OO` ends
    /// the session as the `OO` would (lrzsz `rz` too), not as a failure. lrzsz `sz` exits
    /// without its `OO` when our answer to a repeated `ZFIN` is still on the way.
    fn handle_hang_up(&mut self, _now: Instant) -> bool {
        if !matches!(self.state, State::Fin { .. }) {
            return false;
        }
        self.core.out.clear_tx();
        self.finish();
        true
    }
}
