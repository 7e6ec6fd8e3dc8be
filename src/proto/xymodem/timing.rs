//! How the line delivers, learnt by the X/YMODEM receiver from the blocks themselves: how far
//! apart the pieces of one block come, and how long the sender takes to turn around after an
//! answer. The receiver uses it to time its NAKs: a NAK sent while the sender is still
//! sending is not seen, and one sent long after wastes the line.

use std::time::{Duration, Instant};

/// A purge waits at least this many character times of quiet.
const QUIET_CHARS: u32 = 4;
/// A purge waits at least this many times the longest gap seen inside a block.
const QUIET_GAPS: u32 = 4;

/// The receiver's estimate of the line's timing.
#[derive(Debug, Clone, Default)]
pub(super) struct LineTiming {
    /// The longest gap seen between two pieces of input inside a block (or a purge), less an
    /// eighth for every block accepted since: how far apart this line delivers the bytes of
    /// one transmission.
    gap: Duration,
    /// When we last answered (ACK, NAK, start character) once the session had started,
    /// until the next block begins.
    answered: Option<Instant>,
    /// The longest time from an answer to the start of the next block, less an eighth for
    /// every block accepted since: how long the sender takes to turn around.
    turn: Duration,
    /// When we last NAKed because no block came in time, until the next block.
    timeout_nak: Option<Instant>,
}

impl LineTiming {
    /// The quiet that shows the sender has stopped, after `errors` earlier errors on the same
    /// block (each doubles it), at most `cap`: the largest of `quiet_min`, four character
    /// times (`char_time`, when known) and four times the longest gap seen in a block.
    pub(super) fn quiet(
        &self,
        quiet_min: Duration,
        char_time: Option<Duration>,
        errors: u32,
        cap: Duration,
    ) -> Duration {
        let base = quiet_min
            .max(char_time.unwrap_or_default() * QUIET_CHARS)
            .max(self.gap * QUIET_GAPS);
        base.saturating_mul(1 << errors.min(20)).min(cap)
    }

    /// Input came at `now`, the previous piece at `last`, while the sender was still sending
    /// (inside a block or a purge): the gap is how far apart this line delivers the bytes of
    /// one transmission.
    pub(super) fn piece(&mut self, last: Instant, now: Instant) {
        self.gap = self.gap.max(now.saturating_duration_since(last));
    }

    /// We answered at `now` (`None`: before the session started, which says nothing of the
    /// sender's turnaround).
    pub(super) fn answered(&mut self, now: Option<Instant>) {
        self.answered = now;
    }

    /// A block began at `now`: the time since our answer is the sender's turnaround.
    pub(super) fn block_began(&mut self, now: Instant) {
        if let Some(at) = self.answered.take() {
            self.turn = self.turn.max(now.saturating_duration_since(at));
        }
    }

    /// A block was accepted: older extremes count less.
    pub(super) fn block_accepted(&mut self) {
        self.gap -= self.gap / 8;
        self.turn -= self.turn / 8;
    }

    /// The sender's turnaround, as seen so far.
    pub(super) fn turn(&self) -> Duration {
        self.turn
    }

    /// We NAKed at `now` because no block came in time (`None`: a block came since).
    pub(super) fn timeout_nak(&mut self, now: Option<Instant>) {
        self.timeout_nak = now;
    }

    /// A block came at `now`: true if it crossed the NAK we sent when nothing came in time,
    /// coming sooner than any answer to that NAK could (half the sender's turnaround). Forgets
    /// that NAK.
    pub(super) fn crossed_timeout_nak(&mut self, now: Instant) -> bool {
        self.timeout_nak
            .take()
            .is_some_and(|at| now.saturating_duration_since(at) < self.turn / 2)
    }
}
