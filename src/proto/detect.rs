//! The receive front end: one engine for `recv` that meets whatever sender is on the line.
//!
//! XMODEM and YMODEM senders are told apart by the X/YMODEM receiver itself, from the first
//! block (block 0 is a YMODEM header, block 1 XMODEM data). A ZMODEM sender announces itself
//! before any block with a `ZRQINIT` hex header (`**` ZDLE `B00`…) and waits for an answer.
//!
//! - Starting with X/YMODEM ([`Start::Xymodem`], what `recv` does without a protocol
//!   option), the front end keeps asking with `C` as usual, so X/YMODEM senders lose no time,
//!   and watches the line for `ZRQINIT` while no block has come. When one arrives it waits
//!   [`AutoReceiver::ZMODEM_CONFIRM`] more: lrzsz `sz` that already read one of our `C`s
//!   (sent before it was listening) falls back to YMODEM and sends block 0 right after its
//!   `ZRQINIT`. If no block starts in that time, the session goes to the ZMODEM receiver,
//!   which answers with `ZRINIT`.
//! - Starting with ZMODEM ([`Start::Zmodem`], `recv -Z`), it sends `ZRINIT`s and, when they
//!   go unanswered for [`AutoReceiver::ZMODEM_FALLBACK`], goes on as an X/YMODEM receiver, as
//!   lrzsz `rz` does (docs/PROTOCOL_NOTES.md).

use std::time::{Duration, Instant};

use super::xymodem::{Receiver as XyReceiver, ReceiverConfig as XyConfig};
use super::zmodem::{Receiver as ZReceiver, ReceiverConfig as ZConfig};
use super::{Abort, Engine, FileReply, Output};

/// The start of a ZMODEM `ZRQINIT` hex header.
pub const ZRQINIT_PREFIX: &[u8] = b"**\x18B00";

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
    /// of them at the default 10 s interval, as lrzsz `rz` waits.
    pub const ZMODEM_FALLBACK: Duration = Duration::from_secs(40);

    /// After a `ZRQINIT`, how long a YMODEM block may take to start before the session is
    /// taken for ZMODEM.
    pub const ZMODEM_CONFIRM: Duration = Duration::from_millis(100);

    /// A receiver that starts at `now` with the protocol `start` says.
    pub fn new(start: Start, xy: XyConfig, z: ZConfig, now: Instant) -> Self {
        let (inner, fallback_at) = match start {
            Start::Xymodem | Start::XymodemOnly => {
                (Inner::Xy(XyReceiver::new(xy.clone(), now)), None)
            }
            Start::Zmodem => {
                let fallback = (now + Self::ZMODEM_FALLBACK).min(now + z.start_timeout);
                (Inner::Z(ZReceiver::new(z.clone(), now)), Some(fallback))
            }
        };
        Self {
            inner,
            xy,
            z,
            matched: 0,
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
}

impl Engine for AutoReceiver {
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) -> usize {
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
        if let Some(at) = self.switch_at
            && now >= at
        {
            self.switch_at = None;
            if self.watching() && !self.block_seen {
                // A ZMODEM sender, waiting for its answer: ZRINIT goes out at once.
                self.inner = Inner::Z(ZReceiver::new(self.z.clone(), now));
                self.fallback_at = None;
                return;
            }
        }
        if let (Some(at), Inner::Z(r)) = (self.fallback_at, &self.inner)
            && now >= at
            && !r.has_started()
        {
            // Nobody answered our ZRINITs: an X/YMODEM sender, perhaps, waiting for `C`.
            self.fallback_at = None;
            self.inner = Inner::Xy(XyReceiver::new(self.xy.clone(), now));
            return;
        }
        self.engine().handle_timeout(now);
    }

    fn poll_output(&mut self) -> Option<Output<'_>> {
        match &mut self.inner {
            Inner::Xy(r) => r.poll_output(),
            Inner::Z(r) => r.poll_output(),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
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
        self.engine().abort(now, why);
    }

    fn reply_file(&mut self, now: Instant, reply: FileReply) {
        self.engine().reply_file(now, reply);
    }

    fn handle_hang_up(&mut self, now: Instant) -> bool {
        self.engine().handle_hang_up(now)
    }

    fn is_finished(&self) -> bool {
        self.engine_ref().is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::testkit::{Pair, S, drain, feed, pattern, tick};
    use crate::proto::{Event, FileInfo, Protocol, zmodem};

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

    #[test]
    fn a_zmodem_sender_is_answered_with_zrinit_at_once() {
        // lrzsz `sz` types "rz\r" and sends ZRQINIT; a `C` would make it fall back to YMODEM.
        let now = Instant::now();
        let mut rx = AutoReceiver::xymodem(XyConfig::default(), now);
        assert_eq!(drain(&mut rx, now, &[], &mut 0).wire, b"C");
        let d = feed(&mut rx, now + S, b"rz\r**\x18B00000000000000\r\x8a\x11");
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
        drain(&mut rx, now, &[], &mut 0);
        let mut wire = b"rz\r**\x18B00000000000000\r\x8a\x11".to_vec();
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
}
