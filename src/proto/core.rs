//! What every engine shares: the limits that bound a session, the named timers, and the
//! bookkeeping around the output queue (sticky failure, the end being polled).
//!
//! An engine embeds a [`Core`] and implements [`Session`]; what is the same for all of them
//! is written once here: `poll_timeout`, the order in which a deadline's rules apply in
//! `handle_timeout`, the bounds checked before input, failure, `abort`, `is_finished` (the
//! macros [`session_items`] and [`engine_items`] put the one-line methods in each engine's
//! impls). Each engine keeps its deadlines in its states, where the state that
//! owns a deadline holds it; [`Session::timers`] lists them by name, so the earliest one and
//! which one has come are found in one place, and no engine can forget to combine a limit.

use std::time::{Duration, Instant};

use super::cancel::CANCEL_SEQUENCE;
use super::{Abort, Error, Event, Outbox, Output};

/// The bounds of a session, the same four for every engine (each engine's config holds one,
/// and documents what each means for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long the other side has to start the session, whatever it sends meanwhile
    /// (default 60 s).
    pub start: Duration,
    /// How long to wait for an answer before asking again or resending (default 10 s).
    pub answer: Duration,
    /// Once the session has started, the longest time without progress before it fails with
    /// [`Error::NoProgress`] (or, for a sender whose receiver said nothing meanwhile,
    /// [`Error::Silent`]) (default 100 s: what ten answer timeouts take).
    pub idle: Duration,
    /// Errors allowed per block (or, ZMODEM, per file or offset); reaching this number
    /// cancels (default 10).
    pub max_errors: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            start: Duration::from_secs(60),
            answer: Duration::from_secs(10),
            idle: Duration::from_secs(100),
            max_errors: 10,
        }
    }
}

/// The deadlines an engine can have at one time, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The start bound ([`Limits::start`]) of a session that has not started.
    Start,
    /// The current state's own rule: a resend, a nudge, a give-up.
    State,
    /// The idle bound ([`Limits::idle`]) of a started session.
    Idle,
}

/// The engine's deadlines now in force, by [`Timer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Timers([Option<Instant>; 3]);

impl Timers {
    fn slot(timer: Timer) -> usize {
        match timer {
            Timer::Start => 0,
            Timer::State => 1,
            Timer::Idle => 2,
        }
    }

    /// Set (or, with `None`, stop) `timer`.
    pub(crate) fn with(mut self, timer: Timer, at: Option<Instant>) -> Self {
        self.0[Self::slot(timer)] = at;
        self
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.0[Self::slot(timer)]
    }

    /// True when `timer` is set and has come at `now`.
    pub(crate) fn expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| now >= at)
    }

    /// The earliest deadline: what `poll_timeout` returns.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }
}

/// The part of an engine that is the same in all of them.
#[derive(Debug)]
pub(crate) struct Core {
    /// What the caller has to poll.
    pub(crate) out: Outbox,
    pub(crate) limits: Limits,
    /// When the transfer last moved on; `None` before the session started.
    pub(crate) last_progress: Option<Instant>,
    /// When bytes from the other side last came.
    pub(crate) last_input: Option<Instant>,
    /// A receiver's data to hand out as [`Output::WriteFile`]: its offset in the file and
    /// its length in the engine's buffer. Handed out after the events, before the answer.
    pub(crate) write: Option<(u64, usize)>,
    /// The caller has polled everything after the end (finished or failed).
    finished_polled: bool,
}

impl Core {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            out: Outbox::default(),
            limits,
            last_progress: None,
            last_input: None,
            write: None,
            finished_polled: false,
        }
    }

    /// The session moved on at `now`.
    pub(crate) fn progress(&mut self, now: Instant) {
        self.last_progress = Some(now);
    }

    /// When a started session fails for want of progress.
    pub(crate) fn idle_at(&self) -> Option<Instant> {
        self.last_progress.map(|t| t + self.limits.idle)
    }

    /// A receiver's timers: the start bound until the sender has started, then the idle
    /// bound; neither once the session is over or saying goodbye (`live` false).
    pub(crate) fn receiver_timers(
        &self,
        live: bool,
        started: bool,
        start_limit: Instant,
        state: Option<Instant>,
    ) -> Timers {
        let idle = (live && started).then(|| self.idle_at()).flatten();
        Timers::default()
            .with(Timer::Start, (live && !started).then_some(start_limit))
            .with(Timer::State, state)
            .with(Timer::Idle, idle)
    }

    /// The idle limit's error at `now`. A sender tells its `peer` going silent (nothing
    /// heard for an answer timeout or more) from one that kept the line busy without moving
    /// the transfer on; a receiver (`peer` `None`) reports no progress.
    pub(crate) fn idle_error(&self, peer: Option<&'static str>, now: Instant) -> Error {
        match peer {
            Some(peer) => Error::idle(
                peer,
                self.limits.idle,
                self.limits.answer,
                self.last_input.max(self.last_progress),
                now,
            ),
            None => Error::NoProgress {
                limit: self.limits.idle,
            },
        }
    }

    /// Queue the end of a failed session: the cancel sequence (unless the other side
    /// cancelled: it is gone) instead of whatever was pending, then [`Event::Failed`].
    pub(crate) fn fail(&mut self, error: Error) {
        self.write = None;
        self.out.clear_tx();
        // A failed engine wants no more file data (the idle limit can come just after a
        // state's rule asked for some).
        self.out.clear_read();
        if !error.is_cancelled_by_peer() {
            self.out.send(&CANCEL_SEQUENCE);
        }
        self.out.event(Event::Failed(error));
    }

    /// The next output: events, then the data to write (`data(len)` is the engine's buffer
    /// holding it), then the rest of the queue. `ended` says the engine has finished or
    /// failed, so an empty queue means the caller has seen the end.
    pub(crate) fn poll<'a>(
        &'a mut self,
        ended: bool,
        data: impl FnOnce(usize) -> &'a [u8],
    ) -> Option<Output<'a>> {
        if let Some(out) = self.out.pop_event() {
            return Some(out);
        }
        if let Some((offset, len)) = self.write.take() {
            return Some(Output::WriteFile {
                offset,
                data: data(len),
            });
        }
        let out = self.out.poll();
        if out.is_none() && ended {
            self.finished_polled = true;
        }
        out
    }

    /// Something is waiting to be handed out: the engine takes no input and fires no timer
    /// until the caller has polled it.
    pub(crate) fn is_busy(&self) -> bool {
        self.write.is_some() || self.out.is_pending()
    }

    /// The end has been polled and nothing is left to hand out.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished_polled && !self.is_busy()
    }
}

/// The hooks by which [`Core`]'s shared rules drive an engine.
pub(crate) trait Session {
    /// What the engine waits for before the session starts, for its start timeout's error.
    const WAITING_FOR_START: &'static str;

    /// The other side, for the idle limit's error: a sender names its receiver (silent or
    /// busy), a receiver has `None` (no progress).
    const IDLE_PEER: Option<&'static str>;

    fn core(&self) -> &Core;
    fn core_mut(&mut self) -> &mut Core;

    /// The deadlines in force now, by name.
    fn timers(&self) -> Timers;

    /// The engine has finished or failed.
    fn is_over(&self) -> bool;

    /// End the session with `error`: [`Core::fail`], then the engine's failed state.
    fn fail(&mut self, error: Error);

    /// A local failure (a file error) has just been queued as the cancel sequence: a protocol
    /// that has its own word for it says so before it.
    fn on_local_abort(&mut self) {}

    /// The state's own deadline has come.
    fn on_state_timeout(&mut self, now: Instant);

    /// `Engine::handle_input` once the bounds have been checked and the input's time
    /// recorded; `previous` is when input came before this. Returns the bytes used.
    fn on_input(&mut self, now: Instant, bytes: &[u8], previous: Option<Instant>) -> usize;
}

/// The error for a session that did not start in time.
pub(crate) fn start_error<S: Session + ?Sized>() -> Error {
    Error::Timeout {
        waiting_for: S::WAITING_FOR_START,
    }
}

fn idle_error<S: Session + ?Sized>(s: &S, now: Instant) -> Error {
    s.core().idle_error(S::IDLE_PEER, now)
}

/// `Engine::handle_input` for every engine: nothing while something waits to be handed
/// out; then the bounds that input cannot push back (a storm of answers that move nothing
/// on, a sender that keeps the line busy but never starts) end the session, all the input
/// used; else the input's time is recorded and the engine reads it.
pub(crate) fn handle_input<S: Session + ?Sized>(s: &mut S, now: Instant, bytes: &[u8]) -> usize {
    if s.core().is_busy() {
        return 0;
    }
    let timers = s.timers();
    let error = if timers.expired(Timer::Idle, now) {
        Some(idle_error(s, now))
    } else if timers.expired(Timer::Start, now) {
        Some(start_error::<S>())
    } else {
        None
    };
    if let Some(error) = error {
        s.fail(error);
        return bytes.len();
    }
    let previous = s.core().last_input;
    if !bytes.is_empty() {
        s.core_mut().last_input = Some(now);
    }
    s.on_input(now, bytes, previous)
}

/// `Engine::handle_timeout` for every engine: the start bound first; then the state's own
/// rule, unless only the idle limit has come (when both come at once, the state's rule goes
/// first: it fails with the more telling error, e.g. retries exhausted); then the idle limit
/// again, if the session is still idle after the state's rule.
pub(crate) fn handle_timeout<S: Session + ?Sized>(s: &mut S, now: Instant) {
    let timers = s.timers();
    if s.core().is_busy() || timers.next().is_none_or(|d| now < d) {
        return;
    }
    if timers.expired(Timer::Start, now) {
        return s.fail(start_error::<S>());
    }
    if !timers.expired(Timer::State, now) {
        let error = idle_error(s, now);
        return s.fail(error);
    }
    s.on_state_timeout(now);
    if s.timers().expired(Timer::Idle, now) {
        let error = idle_error(s, now);
        s.fail(error);
    }
}

/// `Engine::abort` for every engine: a session not yet over fails with the reason.
pub(crate) fn abort<S: Session + ?Sized>(s: &mut S, why: Abort) {
    if s.is_over() {
        return;
    }
    let local = matches!(why, Abort::Local(_));
    s.fail(Error::Aborted(why));
    if local {
        s.on_local_abort();
    }
}

/// The [`Session`] items every engine writes alike, for an engine whose `core` field is its
/// [`Core`] and whose `state` field is of the type `$state`, with `Done` and `Failed`.
macro_rules! session_items {
    ($state:ident) => {
        fn core(&self) -> &$crate::proto::core::Core {
            &self.core
        }

        fn core_mut(&mut self) -> &mut $crate::proto::core::Core {
            &mut self.core
        }

        fn is_over(&self) -> bool {
            matches!(self.state, $state::Done | $state::Failed)
        }

        fn fail(&mut self, error: $crate::proto::Error) {
            self.core.fail(error);
            self.state = $state::Failed;
        }
    };
}

/// The [`Engine`](super::Engine) methods every engine writes alike, through its [`Session`];
/// `engine_items!(sender)` adds a sender's `poll_output` (a sender writes no file data).
macro_rules! engine_items {
    (sender) => {
        $crate::proto::core::engine_items!();

        fn poll_output(&mut self) -> Option<$crate::proto::Output<'_>> {
            let over = $crate::proto::core::Session::is_over(self);
            self.core.poll(over, |_| &[])
        }
    };
    () => {
        fn handle_input(&mut self, now: std::time::Instant, bytes: &[u8]) -> usize {
            $crate::proto::core::handle_input(self, now, bytes)
        }

        fn handle_timeout(&mut self, now: std::time::Instant) {
            $crate::proto::core::handle_timeout(self, now);
        }

        fn poll_timeout(&self) -> Option<std::time::Instant> {
            $crate::proto::core::Session::timers(self).next()
        }

        fn abort(&mut self, _now: std::time::Instant, why: $crate::proto::Abort) {
            $crate::proto::core::abort(self, why);
        }

        fn is_finished(&self) -> bool {
            self.core.is_finished()
        }
    };
}

pub(crate) use {engine_items, session_items};

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Limits, Timer, Timers};
    use crate::proto::{xymodem, zmodem};

    #[test]
    fn the_earliest_timer_is_the_deadline_and_each_expires_by_name() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let timers = Timers::default()
            .with(Timer::Start, Some(t0 + 60 * s))
            .with(Timer::State, Some(t0 + 3 * s))
            .with(Timer::Idle, None);
        assert_eq!(timers.next(), Some(t0 + 3 * s));
        assert!(timers.expired(Timer::State, t0 + 3 * s));
        assert!(!timers.expired(Timer::Start, t0 + 3 * s));
        assert!(
            !timers.expired(Timer::Idle, t0 + 1000 * s),
            "a stopped timer never comes"
        );
        let timers = timers.with(Timer::State, None);
        assert_eq!(timers.next(), Some(t0 + 60 * s));
        assert_eq!(Timers::default().next(), None);
    }

    /// Every engine's config carries the same four bounds, with the documented defaults
    /// (the ZMODEM receiver allows 20 errors per file, as lrzsz `rz`).
    #[test]
    fn every_engine_config_has_the_documented_limits() {
        let s = Duration::from_secs(1);
        let common = Limits {
            start: 60 * s,
            answer: 10 * s,
            idle: 100 * s,
            max_errors: 10,
        };
        assert_eq!(Limits::default(), common);
        assert_eq!(xymodem::SenderConfig::default().limits, common);
        assert_eq!(xymodem::ReceiverConfig::default().limits, common);
        assert_eq!(zmodem::SenderConfig::default().limits, common);
        assert_eq!(
            zmodem::ReceiverConfig::default().limits,
            Limits {
                max_errors: 20,
                ..common
            }
        );
    }
}
