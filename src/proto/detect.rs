//! The receive front end: one engine for `recv` that meets whatever sender is on the line.
//!
//! XMODEM and YMODEM senders are told apart by the X/YMODEM receiver itself, from the first
//! block (block 0 is a YMODEM header, block 1 XMODEM data). A ZMODEM sender announces itself
//! before any block with a `ZRQINIT` hex header (`**` ZDLE `B00`…) and waits for an answer.
//!
//! - Starting with X/YMODEM ([`Start::Xymodem`], what `recv` does without a protocol
//!   option), the front end first reads what is already waiting on the line, without
//!   waiting: a ZMODEM sender that started first (lrzsz `sz` types `rz\r` and `ZRQINIT`, then
//!   waits 10 s for an answer) is answered with `ZRINIT` at once and never sees a `C`, which
//!   would make it fall back to YMODEM; one caught between its `rz\r` and its `ZRQINIT` is
//!   waited for a little. Otherwise it asks with `C` at once, so X/YMODEM senders lose no
//!   time, and watches the line for `ZRQINIT` while no block has come. When
//!   one arrives after a `C` went out it waits [`AutoReceiver::ZMODEM_CONFIRM`] more: lrzsz
//!   `sz` that read one of our `C`s after its `ZRQINIT` falls back to YMODEM and sends block 0
//!   right away. If no block starts in that time, the session goes to the ZMODEM receiver,
//!   which answers with `ZRINIT`.
//! - Starting with ZMODEM ([`Start::Zmodem`], `recv -Z`), it sends `ZRINIT`s and, when they
//!   go unanswered for [`AutoReceiver::ZMODEM_FALLBACK`] (two thirds of a shorter start
//!   timeout), goes on as an X/YMODEM receiver, as lrzsz `rz` does (docs/PROTOCOL_NOTES.md).
//!
//! The start timeout bounds the whole start, whichever engines take part: the sender's first
//! block or file must come within it of the front end's start, or the session fails.

use std::time::{Duration, Instant};

use super::xymodem::{Receiver as XyReceiver, ReceiverConfig as XyConfig};
use super::zmodem::{Receiver as ZReceiver, ReceiverConfig as ZConfig};
use super::{Abort, Engine, FileReply, Output};

/// The start of a ZMODEM `ZRQINIT` hex header.
pub const ZRQINIT_PREFIX: &[u8] = b"**\x18B00";

/// What a ZMODEM sender types before its `ZRQINIT` (lrzsz `sz`, ours), for a shell at the far
/// end to start a receiver.
const RZ: &[u8] = b"rz\r";

/// Which protocol to offer first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// X/YMODEM only: a ZMODEM sender's `ZRQINIT` is answered at once with the X/YMODEM
    /// start character, which makes lrzsz `sz` fall back to YMODEM.
    XymodemOnly,
    /// Ask with `C` (X/YMODEM), switch to ZMODEM when a sender sends `ZRQINIT`.
    Xymodem,
    /// Send `ZRINIT` (ZMODEM), fall back to X/YMODEM when nobody answers.
    Zmodem,
}

/// Both engines keep their buffers in place; one of them lives for the session.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Inner {
    Xy(XyReceiver),
    Z(ZReceiver),
}

/// Receives with whichever of X/YMODEM and ZMODEM the sender speaks.
#[derive(Debug)]
pub struct AutoReceiver {
    inner: Inner,
    xy: XyConfig,
    z: ZConfig,
    /// How much of [`ZRQINIT_PREFIX`] the latest input ended with.
    matched: usize,
    /// The first start character is held back until the input already waiting has been
    /// read (a deadline of the start time: the driver reads without waiting), or a little
    /// longer when a ZMODEM sender has announced itself there.
    held: Option<Instant>,
    /// The hold was extended once for a sender that announced itself.
    announced: bool,
    /// The sender must have started by then, whichever engine is running.
    start_limit: Instant,
    /// Starting with ZMODEM: when to give up on it, if it has not started.
    fallback_at: Option<Instant>,
    /// A `ZRQINIT` came: switch to ZMODEM at this time unless a block starts first.
    switch_at: Option<Instant>,
    /// A block start (SOH, STX) came after the `ZRQINIT`.
    block_seen: bool,
    /// ZMODEM is not wanted ([`Start::XymodemOnly`]).
    xy_only: bool,
}

impl AutoReceiver {
    /// How long `ZRINIT`s may go unanswered before the X/YMODEM receiver takes over: four
    /// of them at the default 10 s interval, as lrzsz `rz` waits. With a start timeout
    /// shorter than 60 s, two thirds of it, so an X/YMODEM sender still has a third.
    pub const ZMODEM_FALLBACK: Duration = Duration::from_secs(40);

    /// After a `ZRQINIT` that came once a `C` had gone out, how long a YMODEM block may take
    /// to start before the session is taken for ZMODEM.
    pub const ZMODEM_CONFIRM: Duration = Duration::from_millis(100);

    /// A receiver that starts at `now` with the protocol `start` says. The start timeout of
    /// the first engine (`xy`'s, or `z`'s for [`Start::Zmodem`]) bounds the whole start.
    pub fn new(start: Start, xy: XyConfig, z: ZConfig, now: Instant) -> Self {
        let (inner, start_limit, fallback_at) = match start {
            Start::Xymodem | Start::XymodemOnly => (
                Inner::Xy(XyReceiver::new(xy.clone(), now)),
                now + xy.limits.start,
                None,
            ),
            Start::Zmodem => {
                let fallback = Self::ZMODEM_FALLBACK.min(z.limits.start * 2 / 3);
                (
                    Inner::Z(ZReceiver::new(z.clone(), now)),
                    now + z.limits.start,
                    Some(now + fallback),
                )
            }
        };
        Self {
            inner,
            xy,
            z,
            matched: 0,
            held: (start == Start::Xymodem).then_some(now),
            announced: false,
            start_limit,
            fallback_at,
            switch_at: None,
            block_seen: false,
            xy_only: start == Start::XymodemOnly,
        }
    }

    /// An X/YMODEM receiver that also answers ZMODEM senders.
    pub fn xymodem(xy: XyConfig, now: Instant) -> Self {
        Self::new(Start::Xymodem, xy, ZConfig::default(), now)
    }

    /// Hand the session to the ZMODEM receiver, which sends `ZRINIT` at once; it has what is
    /// left of the start timeout.
    fn switch_to_zmodem(&mut self, now: Instant) {
        let mut cfg = self.z.clone();
        cfg.limits.start = self.start_limit.saturating_duration_since(now);
        self.inner = Inner::Z(ZReceiver::new(cfg, now));
        self.fallback_at = None;
        self.switch_at = None;
    }

    /// Hand the session to the X/YMODEM receiver, which asks with its start character at
    /// once; it has what is left of the start timeout.
    fn switch_to_xymodem(&mut self, now: Instant) {
        let mut cfg = self.xy.clone();
        cfg.limits.start = self.start_limit.saturating_duration_since(now);
        self.inner = Inner::Xy(XyReceiver::new(cfg, now));
        self.fallback_at = None;
    }

    fn engine(&mut self) -> &mut dyn Engine {
        match &mut self.inner {
            Inner::Xy(r) => r,
            Inner::Z(r) => r,
        }
    }

    fn engine_ref(&self) -> &dyn Engine {
        match &self.inner {
            Inner::Xy(r) => r,
            Inner::Z(r) => r,
        }
    }

    /// True while the X/YMODEM receiver has not started: a `ZRQINIT` may still come.
    fn watching(&self) -> bool {
        matches!(&self.inner, Inner::Xy(r) if r.is_waiting_to_start())
    }

    /// Advance the match over `b`; true when the prefix is complete.
    fn step(&mut self, b: u8) -> bool {
        self.matched = match b {
            _ if b == ZRQINIT_PREFIX[self.matched] => self.matched + 1,
            b'*' => 1,
            _ => 0,
        };
        if self.matched == ZRQINIT_PREFIX.len() {
            self.matched = 0;
            return true;
        }
        false
    }

    /// The first look at the line, before any start character went out: a `ZRQINIT` there
    /// is a ZMODEM sender that started first and waits for its answer, which goes out now.
    /// Anything else is left for the X/YMODEM receiver, after its start character.
    fn first_look(&mut self, now: Instant, bytes: &[u8]) -> usize {
        if let Some(i) = bytes.iter().position(|&b| self.step(b)) {
            self.held = None;
            self.switch_to_zmodem(now);
            return i + 1;
        }
        // `rz\r` or the start of a `ZRQINIT` without the rest: a ZMODEM sender is starting,
        // and its `ZRQINIT` follows at once. lrzsz `sz` throws away its input in between, so
        // a `C` sent now could reach it just after that and make it take YMODEM: the `C`
        // waits for the `ZRQINIT` a little, once (an X/YMODEM sender never sends these).
        if self.announced || self.matched > 0 || bytes.windows(RZ.len()).any(|w| w == RZ) {
            if !self.announced {
                self.announced = true;
                self.held = Some(now + Self::ZMODEM_CONFIRM);
            }
            return bytes.len();
        }
        self.held = None;
        self.switch_to_xymodem(now);
        // The start character is out first (it is due), then these bytes are fed again.
        0
    }
}

impl Engine for AutoReceiver {
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) -> usize {
        if self.held.is_some() {
            return self.first_look(now, bytes);
        }
        if !self.watching() {
            return self.engine().handle_input(now, bytes);
        }
        // Feed up to the end of a ZRQINIT prefix; then switch before reading on.
        let saved = self.matched;
        let end = bytes
            .iter()
            .position(|&b| self.step(b))
            .map_or(bytes.len(), |i| i + 1);
        self.matched = saved;
        let used = self.engine().handle_input(now, &bytes[..end]);
        if self.switch_at.is_some() && bytes[..used].iter().any(|&b| matches!(b, 0x01 | 0x02)) {
            self.block_seen = true;
        }
        let found = bytes[..used].iter().fold(false, |_, &b| self.step(b));
        if found && used == end && self.watching() {
            if self.xy_only {
                if let Inner::Xy(r) = &mut self.inner {
                    r.poke(now);
                }
            } else if self.switch_at.is_none() {
                self.switch_at = Some(now + Self::ZMODEM_CONFIRM);
            }
        }
        used
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Some(at) = self.held {
            if now >= at {
                // Nothing was waiting, or no ZRQINIT followed the announcement: the start
                // character goes out, and the X/YMODEM receiver's timing starts with it (a
                // late call, from a suspended process, finds none of its deadlines passed).
                self.held = None;
                self.switch_to_xymodem(now);
            }
            return;
        }
        if let Some(at) = self.switch_at
            && now >= at
        {
            self.switch_at = None;
            if self.watching() && !self.block_seen {
                // A ZMODEM sender, waiting for its answer: ZRINIT goes out at once.
                return self.switch_to_zmodem(now);
            }
        }
        if let (Some(at), Inner::Z(r)) = (self.fallback_at, &self.inner)
            && now >= at
            && !r.has_started()
            && !r.is_finished()
        {
            // Nobody answered our ZRINITs: an X/YMODEM sender, perhaps, waiting for `C`.
            return self.switch_to_xymodem(now);
        }
        self.engine().handle_timeout(now);
    }

    fn poll_output(&mut self) -> Option<Output<'_>> {
        if self.held.is_some() {
            return None;
        }
        match &mut self.inner {
            Inner::Xy(r) => r.poll_output(),
            Inner::Z(r) => r.poll_output(),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.held.is_some() {
            return self.held;
        }
        let inner = self.engine_ref().poll_timeout();
        let fallback = match &self.inner {
            Inner::Z(r) if !r.has_started() => self.fallback_at,
            Inner::Xy(_) => self.switch_at,
            Inner::Z(_) => None,
        };
        match (fallback, inner) {
            (Some(at), Some(d)) => Some(d.min(at)),
            (_, d) => d,
        }
    }

    fn provide_data(&mut self, now: Instant, data: &[u8]) {
        self.engine().provide_data(now, data);
    }

    fn abort(&mut self, now: Instant, why: Abort) {
        self.held = None;
        self.engine().abort(now, why);
    }

    fn reply_file(&mut self, now: Instant, reply: FileReply) {
        self.engine().reply_file(now, reply);
    }

    fn handle_hang_up(&mut self, now: Instant) -> bool {
        self.held = None;
        self.engine().handle_hang_up(now)
    }

    fn is_finished(&self) -> bool {
        self.engine_ref().is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::testkit::{Pair, S, drain, failed, feed, pattern, tick};
    use crate::proto::{Check, Error, Event, FileInfo, Protocol, zmodem};

    const ZRINIT: &[u8] = b"**\x18B0100000023be50\r\x8a\x11";

    /// The front end passes a hang-up on: after the sender's `ZFIN` (answered) the ZMODEM
    /// receiver ends the session on it, as on the sender's `OO` (lrzsz `sz -e` into our `rz`
    /// ended without its `OO` now and then, and `rz` failed with "the link was closed").
    #[test]
    fn a_hang_up_after_zfin_reaches_the_zmodem_receiver() {
        let now = Instant::now();
        let mut rx = AutoReceiver::new(Start::Zmodem, XyConfig::default(), ZConfig::default(), now);
        drain(&mut rx, now, &[], &mut 0);
        assert!(
            !rx.handle_hang_up(now),
            "before ZFIN a hang-up is a failure"
        );
        let mut rx = AutoReceiver::new(Start::Zmodem, XyConfig::default(), ZConfig::default(), now);
        drain(&mut rx, now, &[], &mut 0);
        let d = feed(&mut rx, now, b"**\x18B0800000000022d\r\x8a");
        assert_eq!(d.wire, b"**\x18B0800000000022d\r\x8a");
        assert!(rx.handle_hang_up(now));
        let d = drain(&mut rx, now, &[], &mut 0);
        assert_eq!(d.events, [Event::Finished]);
        assert!(rx.is_finished());
    }

    /// What lrzsz `sz` sends first: "rz\r", then `ZRQINIT`.
    const SZ_START: &[u8] = b"rz\r**\x18B00000000000000\r\x8a\x11";

    /// lrzsz `sz` started before us: its `ZRQINIT` is waiting when we start, and `sz` takes
    /// the first `C` or `ZRINIT` it reads after it for the protocol. The waiting input is read
    /// before anything goes out, and only `ZRINIT` does. The start character went out first
    /// and `sz` fell back to YMODEM (100 MiB: 8.6 s instead of 1.5 s).
    /// The first look at the line comes late (a suspended process): the start character
    /// goes out then, and no deadline of the X/YMODEM receiver is left in the past.
    #[test]
    fn a_late_first_look_leaves_no_deadline_in_the_past() {
        let t0 = Instant::now();
        for late in [5 * S, 61 * S] {
            let mut rx = AutoReceiver::xymodem(XyConfig::default(), t0);
            drain(&mut rx, t0, &[], &mut 0);
            let now = t0 + late;
            let d = tick(&mut rx, now);
            let deadline = rx.poll_timeout();
            assert!(deadline.is_none_or(|d| d >= now), "{late:?}: {deadline:?}");
            if late < 60 * S {
                assert_eq!(d.wire, b"C");
                assert_eq!(deadline, Some(now + 3 * S), "the next C after 3 s");
            } else {
                assert!(
                    matches!(failed(&d.events), Some(Error::Timeout { .. })),
                    "{:?}",
                    d.events
                );
                assert!(rx.is_finished());
            }
        }
    }

    /// A session that ended before its ZMODEM receiver started (cancelled, aborted) stays
    /// ended: the fall-back to X/YMODEM does not bring it back.
    #[test]
    fn an_ended_session_does_not_fall_back_to_xymodem() {
        let t0 = Instant::now();
        let mut rx = AutoReceiver::new(Start::Zmodem, XyConfig::default(), ZConfig::default(), t0);
        drain(&mut rx, t0, &[], &mut 0);
        rx.abort(t0, Abort::Interrupted);
        let d = drain(&mut rx, t0, &[], &mut 0);
        assert!(failed(&d.events).is_some());
        assert!(rx.is_finished());
        let at = t0 + AutoReceiver::ZMODEM_FALLBACK;
        let d = tick(&mut rx, at);
        assert!(d.wire.is_empty() && d.events.is_empty(), "{d:?}");
        assert!(rx.is_finished());
        assert_eq!(rx.poll_timeout(), None);
    }

    #[test]
    fn a_zmodem_sender_that_started_first_gets_zrinit_and_never_a_c() {
        let t0 = Instant::now();
        let mut rx = AutoReceiver::xymodem(XyConfig::default(), t0);
        assert!(drain(&mut rx, t0, &[], &mut 0).wire.is_empty());
        assert_eq!(rx.poll_timeout(), Some(t0), "read the line without waiting");
        let d = feed(&mut rx, t0, SZ_START);
        assert_eq!(d.wire, ZRINIT);
        assert!(tick(&mut rx, t0).wire.is_empty(), "no C after it");
        assert_eq!(
            rx.poll_timeout(),
            Some(t0 + 10 * S),
            "ZRINIT again after 10 s"
        );
    }

    /// lrzsz `sz` caught between its `rz\r` and its `ZRQINIT` (it clears its input in
    /// between): the `C` waits for the `ZRQINIT`, at most [`AutoReceiver::ZMODEM_CONFIRM`]
    /// and only once, however often the announcement comes.
    #[test]
    fn a_zmodem_sender_caught_announcing_itself_gets_zrinit_and_never_a_c() {
        let t0 = Instant::now();
        let ms = Duration::from_millis(1);
        for split in [3, 5, 8] {
            let mut rx = AutoReceiver::xymodem(XyConfig::default(), t0);
            drain(&mut rx, t0, &[], &mut 0);
            let d = feed(&mut rx, t0, &SZ_START[..split]);
            assert!(d.wire.is_empty(), "split at {split}: {:?}", d.wire);
            assert_eq!(rx.poll_timeout(), Some(t0 + AutoReceiver::ZMODEM_CONFIRM));
            assert!(tick(&mut rx, t0 + ms).wire.is_empty());
            let d = feed(&mut rx, t0 + ms, &SZ_START[split..]);
            assert_eq!(d.wire, ZRINIT, "split at {split}");
            assert!(tick(&mut rx, t0 + ms).wire.is_empty(), "no C after it");
        }

        let mut rx = AutoReceiver::xymodem(XyConfig::default(), t0);
        drain(&mut rx, t0, &[], &mut 0);
        for k in 0..10 {
            let now = t0 + k * 10 * ms;
            assert!(feed(&mut rx, now, RZ).wire.is_empty());
            assert!(tick(&mut rx, now).wire.is_empty());
        }
        let at = t0 + AutoReceiver::ZMODEM_CONFIRM;
        assert_eq!(rx.poll_timeout(), Some(at));
        assert_eq!(tick(&mut rx, at).wire, b"C", "then the C, as for anyone");
        assert_eq!(rx.poll_timeout(), Some(at + 3 * S));
    }

    /// Nothing waiting when we start: the `C` goes out at once (no wait for an X/YMODEM
    /// sender), and input that was waiting but is no `ZRQINIT` (a banner) reaches the
    /// X/YMODEM receiver after it.
    #[test]
    fn an_xymodem_sender_gets_c_at_once() {
        let t0 = Instant::now();
        let mut rx = AutoReceiver::xymodem(XyConfig::default(), t0);
        assert!(drain(&mut rx, t0, &[], &mut 0).wire.is_empty());
        assert_eq!(tick(&mut rx, t0).wire, b"C");
        assert_eq!(rx.poll_timeout(), Some(t0 + 3 * S));

        let mut rx = AutoReceiver::xymodem(XyConfig::default(), t0);
        assert!(drain(&mut rx, t0, &[], &mut 0).wire.is_empty());
        let d = feed(&mut rx, t0, b"Welcome\r\n");
        assert_eq!(d.wire, b"C");
        let d = feed(
            &mut rx,
            t0,
            &crate::proto::testkit::block(1, b"x", 128, Check::Crc16),
        );
        assert_eq!(d.wire, [0x06]);
        assert!(matches!(
            d.events[..],
            [
                Event::Started {
                    protocol: Protocol::Xmodem,
                    ..
                },
                ..
            ]
        ));
    }

    #[test]
    fn a_zmodem_sender_is_answered_with_zrinit_at_once() {
        // lrzsz `sz` types "rz\r" and sends ZRQINIT; a `C` would make it fall back to YMODEM.
        // This one started after our first `C` went out.
        let now = Instant::now();
        let mut rx = AutoReceiver::xymodem(XyConfig::default(), now);
        assert_eq!(tick(&mut rx, now).wire, b"C");
        let d = feed(&mut rx, now + S, SZ_START);
        assert!(d.wire.is_empty());
        let at = now + S + AutoReceiver::ZMODEM_CONFIRM;
        assert_eq!(rx.poll_timeout(), Some(at));
        assert_eq!(tick(&mut rx, at).wire, ZRINIT);
        assert_eq!(
            rx.poll_timeout(),
            Some(at + 10 * S),
            "ZRINIT again after 10 s"
        );
    }

    #[test]
    fn a_zmodem_sender_that_fell_back_to_ymodem_stays_with_ymodem() {
        // lrzsz `sz` read our early `C`: ZRQINIT, then straight away YMODEM's block 0.
        let now = Instant::now();
        let cfg = XyConfig {
            mode: crate::proto::RecvMode::Detect,
            ..XyConfig::default()
        };
        let mut rx = AutoReceiver::xymodem(cfg, now);
        assert_eq!(tick(&mut rx, now).wire, b"C");
        let mut wire = SZ_START.to_vec();
        let mut header = Vec::new();
        crate::proto::xymodem::header::encode(
            &FileInfo {
                name: b"a".to_vec(),
                size: Some(1),
                ..FileInfo::default()
            },
            &mut header,
        )
        .unwrap();
        wire.extend(crate::proto::testkit::block(
            0,
            &header,
            128,
            crate::proto::Check::Crc16,
        ));
        let d = feed(&mut rx, now, &wire);
        assert_eq!(d.wire, [0x06, b'C'], "ACK and C: YMODEM goes on");
        assert!(matches!(
            d.events[..],
            [
                Event::Started {
                    protocol: Protocol::Ymodem,
                    ..
                },
                ..
            ]
        ));
        let at = now + AutoReceiver::ZMODEM_CONFIRM;
        assert!(tick(&mut rx, at).wire.is_empty());
        assert!(!matches!(rx.inner, Inner::Z(_)));
    }

    #[test]
    fn detection_receives_a_zmodem_batch_from_our_sender() {
        let t0 = Instant::now();
        let files = [pattern(5000), pattern(0)];
        let infos: Vec<FileInfo> = ["a", "b"]
            .iter()
            .zip(&files)
            .map(|(n, f)| FileInfo {
                name: n.as_bytes().to_vec(),
                size: Some(f.len() as u64),
                ..FileInfo::default()
            })
            .collect();
        let mut tx = zmodem::Sender::new(zmodem::SenderConfig::default(), infos, t0);
        let mut rx = AutoReceiver::xymodem(XyConfig::default(), t0);
        let run = Pair::default().run(&mut tx, &mut rx, &files, t0);
        assert_eq!(run.received.len(), 2);
        assert_eq!(run.received[0].1, files[0]);
        assert!(matches!(
            run.receiver_events[0],
            Event::Started {
                protocol: Protocol::Zmodem,
                ..
            }
        ));
    }

    #[test]
    fn zmodem_first_falls_back_to_xymodem_when_nobody_answers() {
        let t0 = Instant::now();
        let mut rx = AutoReceiver::new(Start::Zmodem, XyConfig::default(), ZConfig::default(), t0);
        assert_eq!(drain(&mut rx, t0, &[], &mut 0).wire, ZRINIT);
        let mut zrinits = 1;
        let now = loop {
            let now = rx.poll_timeout().expect("a deadline");
            let d = tick(&mut rx, now);
            if d.wire == ZRINIT {
                zrinits += 1;
                continue;
            }
            // The X/YMODEM receiver took over: its first `C` is out.
            let d2 = drain(&mut rx, now, &[], &mut 0);
            assert!(
                d.wire == b"C" || d2.wire == b"C",
                "{:?} {:?}",
                d.wire,
                d2.wire
            );
            break now;
        };
        assert_eq!(now, t0 + 40 * S);
        assert_eq!(zrinits, 4);
    }

    /// `ZSINIT` with an empty Attn, as a binary header with CRC-32.
    fn zsinit() -> Vec<u8> {
        use crate::proto::zmodem::{
            CrcKind, Encoder, EscapeProfile, FrameEnd, FrameType, Header, HeaderFormat,
        };
        let mut out = Vec::new();
        let mut enc = Encoder::new(EscapeProfile::Minimal);
        enc.header(
            &mut out,
            HeaderFormat::Bin32,
            &Header::new(FrameType::SInit),
        );
        enc.subpacket(&mut out, b"\0", FrameEnd::CrcW, CrcKind::Crc32);
        out
    }

    /// Runs a front end that starts with `start` and a start timeout of `timeout`, fed
    /// `frame` every `period` (none: a silent sender), until it fails; when that was.
    fn start_fails_after(
        start: Start,
        timeout: Duration,
        frame: Option<&[u8]>,
        period: Duration,
    ) -> Duration {
        let t0 = Instant::now();
        let xy = XyConfig {
            mode: crate::proto::RecvMode::Detect,
            limits: crate::proto::Limits {
                start: timeout,
                ..XyConfig::default().limits
            },
            ..XyConfig::default()
        };
        let z = ZConfig {
            limits: crate::proto::Limits {
                start: timeout,
                ..ZConfig::default().limits
            },
            ..ZConfig::default()
        };
        let mut rx = AutoReceiver::new(start, xy, z, t0);
        drain(&mut rx, t0, &[], &mut 0);
        let mut next = t0 + period;
        loop {
            let due = rx.poll_timeout().expect("a deadline until it fails");
            let now = if frame.is_some() { due.min(next) } else { due };
            assert!(now < t0 + 1000 * S, "still running at {:?}", now - t0);
            if let Some(f) = frame
                && now == next
            {
                let d = feed(&mut rx, now, f);
                if let Some(e) = failed(&d.events) {
                    assert!(matches!(e, Error::Timeout { .. }), "{e}");
                    return now - t0;
                }
                next = now + period;
            }
            if rx.poll_timeout().is_some_and(|d| d <= now) {
                let d = tick(&mut rx, now);
                if let Some(e) = failed(&d.events) {
                    assert!(matches!(e, Error::Timeout { .. }), "{e}");
                    return now - t0;
                }
            }
        }
    }

    /// The start timeout bounds the whole start, whichever engines take part and whatever
    /// the sender repeats before its first file: neither a `ZRQINIT` (a switch to the ZMODEM
    /// receiver), nor `recv -Z`'s fall back to X/YMODEM, nor a `ZSINIT` starts a timeout of
    /// its own, or a silent or chattering sender would hold the line for several timeouts.
    #[test]
    fn the_start_timeout_bounds_every_start() {
        let zrqinit: &[u8] = b"**\x18B00000000000000\r\x8a\x11";
        let zsinit = zsinit();
        for start in [Start::Xymodem, Start::Zmodem, Start::XymodemOnly] {
            for timeout in [8 * S, 60 * S] {
                for (what, frame) in [
                    ("silence", None),
                    ("ZRQINIT", Some(zrqinit)),
                    ("ZSINIT", Some(&zsinit[..])),
                ] {
                    for period in [Duration::from_millis(100), S] {
                        let took = start_fails_after(start, timeout, frame, period);
                        assert_eq!(
                            took, timeout,
                            "{start:?}, timeout {timeout:?}, {what} every {period:?}"
                        );
                    }
                }
            }
        }
    }

    /// With a start timeout under 60 s, `recv -Z` gives ZMODEM two thirds of it, so an
    /// X/YMODEM sender still has time to answer the `C` within the same timeout.
    #[test]
    fn zmodem_first_falls_back_after_two_thirds_of_a_short_timeout() {
        let t0 = Instant::now();
        let xy = XyConfig {
            limits: crate::proto::Limits {
                start: 9 * S,
                ..XyConfig::default().limits
            },
            ..XyConfig::default()
        };
        let z = ZConfig {
            limits: crate::proto::Limits {
                start: 9 * S,
                ..ZConfig::default().limits
            },
            ..ZConfig::default()
        };
        let mut rx = AutoReceiver::new(Start::Zmodem, xy, z, t0);
        assert_eq!(drain(&mut rx, t0, &[], &mut 0).wire, ZRINIT);
        assert_eq!(rx.poll_timeout(), Some(t0 + 6 * S));
        assert_eq!(tick(&mut rx, t0 + 6 * S).wire, b"C");
        assert_eq!(
            rx.poll_timeout(),
            Some(t0 + 9 * S),
            "C every 3 s, up to the limit"
        );
        let d = tick(&mut rx, t0 + 9 * S);
        assert!(matches!(failed(&d.events), Some(Error::Timeout { .. })));
    }
}
