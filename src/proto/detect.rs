//! The receive front end: one engine for `recv` that meets whatever sender is on the line.
//!
//! XMODEM and YMODEM senders are told apart by the X/YMODEM [`Receiver`] itself, from the
//! first block (block 0 is a YMODEM header, block 1 XMODEM data). A ZMODEM sender announces
//! itself before any block with a `ZRQINIT` hex header (`**` ZDLE `B00`…) and waits for an
//! answer. This front end watches the line for that header while no block has come. Until
//! the ZMODEM engine is in, the answer is the X/YMODEM start character, at once: lrzsz `sz`
//! falls back to YMODEM when it gets a `C`, and a `C` sent before it was listening is lost
//! (docs/PROTOCOL_NOTES.md).

use std::time::Instant;

use super::xymodem::{Receiver, ReceiverConfig};
use super::{Abort, Check, Engine, Output};

/// The start of a ZMODEM `ZRQINIT` hex header.
pub const ZRQINIT_PREFIX: &[u8] = b"**\x18B00";

/// Receives with X/YMODEM and answers a ZMODEM sender's `ZRQINIT` at once.
#[derive(Debug)]
pub struct AutoReceiver {
    inner: Receiver,
    /// How much of [`ZRQINIT_PREFIX`] the latest input ended with.
    matched: usize,
}

impl AutoReceiver {
    /// A receiver that sends its first start character at `now`.
    pub fn new(cfg: ReceiverConfig, now: Instant) -> Self {
        Self {
            inner: Receiver::new(cfg, now),
            matched: 0,
        }
    }

    /// The check in use.
    pub fn check(&self) -> Check {
        self.inner.check()
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
        if !self.inner.is_waiting_to_start() {
            return self.inner.handle_input(now, bytes);
        }
        // Feed up to the end of a ZRQINIT prefix, then answer it before reading on.
        let saved = self.matched;
        let end = bytes
            .iter()
            .position(|&b| self.step(b))
            .map_or(bytes.len(), |i| i + 1);
        self.matched = saved;
        let used = self.inner.handle_input(now, &bytes[..end]);
        let found = bytes[..used].iter().fold(false, |_, &b| self.step(b));
        if found && used == end {
            self.inner.poke(now);
        }
        used
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.inner.handle_timeout(now);
    }

    fn poll_output(&mut self) -> Option<Output<'_>> {
        self.inner.poll_output()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    fn provide_data(&mut self, now: Instant, data: &[u8]) {
        self.inner.provide_data(now, data);
    }

    fn abort(&mut self, now: Instant, why: Abort) {
        self.inner.abort(now, why);
    }

    fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}
