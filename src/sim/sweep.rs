//! Many seeded random transfers of one variant, counted by outcome.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use super::judge::{Outcome, Report};
use super::run::run;
use super::scenario::{Scenario, Variant, label};
use crate::proto::Check;

/// What the block check (CRC-16 or checksum) did over a sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckStats {
    /// Runs that used this check.
    pub runs: u64,
    /// Damaged blocks the check caught: its chances to miss one.
    pub caught: u64,
    /// Damaged blocks that passed the check and were delivered.
    pub missed: u64,
    /// Silent corruptions caused by such a miss.
    pub corrupt: u64,
}

/// Outcome counts of a sweep, and the runs that broke a property.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The variant swept.
    pub variant: Variant,
    /// Its receiver was behind `recv`'s front end ([`Scenario::auto`]).
    pub auto: bool,
    /// Transfers run.
    pub runs: u64,
    /// Of which with at least one fault planned (the others had a clean line).
    pub faulted: u64,
    /// [`Outcome::Completed`] runs.
    pub completed: u64,
    /// [`Outcome::Failed`] runs.
    pub failed: u64,
    /// Failed runs where one side reported success and the other failure.
    pub split: u64,
    /// [`Outcome::SilentCorruption`] runs, whatever the cause.
    pub corrupt: u64,
    /// Silent corruptions with no damaged block delivered: the engines accepted wrong data
    /// (a lost block, a wrong name) by their own logic. Must be 0.
    pub corrupt_protocol: u64,
    /// [`Outcome::Hang`] runs. Must be 0.
    pub hang: u64,
    /// Retries reported by both sides over all runs.
    pub retries: u64,
    /// Runs with a CRC (CRC-16; ZMODEM: CRC-32).
    pub crc: CheckStats,
    /// Runs with the 8-bit checksum (on purpose, or after the receiver fell back to it).
    pub checksum: CheckStats,
    /// Runs that broke a property (hangs, protocol corruptions) or in which a damaged block
    /// passed CRC-16, for printing.
    pub violations: Vec<(Scenario, Report)>,
    /// Runs in which an engine (or the simulator) panicked, with the message. Must be empty.
    pub panics: Vec<(Scenario, String)>,
    /// Virtual time of each completed run, in seed order.
    pub times: Vec<Duration>,
}

/// Run [`Scenario::random`]`(variant, seed)` for every seed in `seeds`.
pub fn sweep(variant: Variant, seeds: Range<u64>) -> Summary {
    sweep_with(variant, seeds, |seed| Scenario::random(variant, seed))
}

/// Run [`Scenario::random_auto`]`(variant, seed)` for every seed in `seeds`: the receiver
/// behind `recv`'s front end.
pub fn sweep_auto(variant: Variant, seeds: Range<u64>) -> Summary {
    sweep_with(variant, seeds, |seed| Scenario::random_auto(variant, seed))
}

/// Run `make(seed)` (a scenario of `variant`) for every seed in `seeds`.
pub fn sweep_with(variant: Variant, seeds: Range<u64>, make: impl Fn(u64) -> Scenario) -> Summary {
    let mut s = Summary {
        variant,
        auto: false,
        runs: 0,
        faulted: 0,
        completed: 0,
        failed: 0,
        split: 0,
        corrupt: 0,
        corrupt_protocol: 0,
        hang: 0,
        retries: 0,
        crc: CheckStats::default(),
        checksum: CheckStats::default(),
        violations: Vec::new(),
        panics: Vec::new(),
        times: Vec::new(),
    };
    for seed in seeds {
        let scn = make(seed);
        s.runs += 1;
        s.auto |= scn.auto;
        s.faulted += u64::from(!(scn.plan.forward.is_clean() && scn.plan.reverse.is_clean()));
        let report = match std::panic::catch_unwind(|| run(&scn)) {
            Ok(report) => report,
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
                    .unwrap_or_default();
                s.panics.push((scn, msg));
                continue;
            }
        };
        s.retries += report.retries;
        let used = report.check.unwrap_or(variant.check());
        let check = match used {
            Check::Checksum => &mut s.checksum,
            Check::Crc16 | Check::Crc32 => &mut s.crc,
        };
        check.runs += 1;
        check.caught += report.bad_checks;
        check.missed += report.missed_by_check;
        match report.outcome {
            Outcome::Completed => {
                s.completed += 1;
                s.times.push(report.elapsed);
            }
            Outcome::Failed => {
                s.failed += 1;
                s.split += u64::from(report.is_split());
            }
            Outcome::SilentCorruption => {
                s.corrupt += 1;
                if report.missed_by_check > 0 {
                    check.corrupt += 1;
                    if used == Check::Crc16 {
                        s.violations.push((scn, report));
                    }
                } else {
                    s.corrupt_protocol += 1;
                    s.violations.push((scn, report));
                }
            }
            Outcome::Hang => {
                s.hang += 1;
                s.violations.push((scn, report));
            }
        }
    }
    s
}

impl Summary {
    /// The median virtual time of the completed runs (zero if none completed).
    pub fn median_time(&self) -> Duration {
        let mut t = self.times.clone();
        t.sort_unstable();
        match t.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => t[n / 2],
            n => (t[n / 2 - 1] + t[n / 2]) / 2,
        }
    }

    /// The mean virtual time of the completed runs (zero if none completed).
    pub fn mean_time(&self) -> Duration {
        let n = u32::try_from(self.times.len()).unwrap_or(u32::MAX);
        if n == 0 {
            Duration::ZERO
        } else {
            self.times.iter().sum::<Duration>() / n
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sim: {} {} runs ({} faulted): {} completed, {} failed ({} split), {} corrupt, {} hang, \
             {} panics; {} retries",
            label(self.variant, self.auto),
            self.runs,
            self.faulted,
            self.completed,
            self.failed,
            self.split,
            self.corrupt,
            self.hang,
            self.panics.len(),
            self.retries,
        )?;
        let crc = if self.variant == Variant::Zmodem {
            "CRC-32"
        } else {
            "CRC-16"
        };
        for (name, c) in [(crc, &self.crc), ("checksum", &self.checksum)] {
            if c.runs > 0 {
                write!(
                    f,
                    "; {name} in {} runs: {} damaged blocks caught, {} missed, {} corrupt runs \
                     ({:.3} %)",
                    c.runs,
                    c.caught,
                    c.missed,
                    c.corrupt,
                    100.0 * c.corrupt as f64 / c.runs as f64
                )?;
            }
        }
        Ok(())
    }
}
