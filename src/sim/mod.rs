//! A link simulator for the protocol engines. **Unstable test support, not public API**: it is
//! public only so the integration tests can reach it, and may change at any time.
//!
//! It joins a [`Sender`](crate::proto::Sender) and a [`Receiver`](crate::proto::Receiver)
//! through two one-way byte queues on a virtual clock, in the manner of quinn-proto's `Pair`
//! and str0m's seeded netem: nothing sleeps, and every time handed to the engines is a fixed
//! epoch plus a virtual offset. The line has a rate in baud (10 bits per byte; a write of `n`
//! bytes finishes `n * 10 / baud` after the line is free, and the writer is blocked until
//! then, as in a blocking `write_all`), a one-way latency, and a seeded fault plan per
//! direction: bit errors, dropped, inserted and duplicated bytes, a stall, a hang-up, a burst
//! of CANs. [`run()`] drives a [`Scenario`] to its end and judges it ([`Outcome`]): completed
//! byte-exact, failed with typed errors, silently corrupted, or hung.
//!
//! A scenario made by [`Scenario::random`] depends only on its variant and seed, and its
//! `Display` prints both with a replay command; see `docs/SIMULATION.md`.

mod efficiency;
mod judge;
mod line;
mod longfat;
mod recovery;
mod rng;
mod run;
mod scenario;
mod sweep;
#[cfg(test)]
mod tests;

pub use efficiency::Efficiency;
pub use judge::{End, Outcome, Received, Report};
pub use line::{CanBurst, Delivery, Faults, LineStats, Stall};
pub use longfat::{Link, UNPACED_BAUD};
pub use recovery::{Profile, recovery, scenario as recovery_scenario};
pub use rng::Rng;
pub use run::{run, run_traced};
pub use scenario::{FaultPlan, LineConfig, REPLAY_VAR, Scenario, Variant};
pub use sweep::{CheckStats, Summary, sweep, sweep_auto, sweep_with};
