//! Error recovery on a noisy line: one file through one kind of fault at a fixed rate, many
//! seeds, counted by outcome and timed (docs/SIMULATION.md, "Recovery from line errors").
//!
//! Unlike [`Scenario::random`], which mixes every fault at random rates to look for wrong
//! behaviour, these scenarios hold everything fixed but the seed of the fault injector, so
//! the time a variant takes to get a file through a given kind of noise can be compared
//! before and after a change of the engines.

use std::fmt;
use std::ops::Range;

use super::line::{Delivery, Faults};
use super::rng::Rng;
use super::scenario::{Scenario, Variant};
use super::sweep::{Summary, sweep_with};

/// A kind of line noise at a fixed rate, the same in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Bit errors, 10^-5 per bit.
    Ber5,
    /// Bit errors, 10^-4 per bit.
    Ber4,
    /// Lost bytes, 10^-4 per byte.
    Drops,
    /// A random garbage byte after 10^-4 of the bytes.
    Garbage,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Self; 4] = [Self::Ber5, Self::Ber4, Self::Drops, Self::Garbage];

    /// The name used in tables.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ber5 => "BER 1e-5",
            Self::Ber4 => "BER 1e-4",
            Self::Drops => "drops 1e-4",
            Self::Garbage => "garbage 1e-4",
        }
    }

    /// The faults of one direction.
    pub fn faults(self) -> Faults {
        match self {
            Self::Ber5 => Faults {
                bit_error_rate: 1e-5,
                ..Faults::clean()
            },
            Self::Ber4 => Faults {
                bit_error_rate: 1e-4,
                ..Faults::clean()
            },
            Self::Drops => Faults {
                drop_rate: 1e-4,
                ..Faults::clean()
            },
            Self::Garbage => Faults {
                insert_rate: 1e-4,
                ..Faults::clean()
            },
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One file of `len` random bytes (a function of `seed`) sent with `variant`'s default
/// settings over a 115200-baud line without latency, with `profile`'s faults both ways, the
/// fault injector seeded with `seed`. One seed in four reads the sender's bytes one at a time
/// (a UART), the others a write at a time (a USB adapter, a pipe).
pub fn scenario(variant: Variant, profile: Profile, seed: u64, len: usize) -> Scenario {
    let mut r = Rng::stream(seed, 0x4EC0_7E41);
    let mut data = vec![0; len];
    r.fill(&mut data);
    let mut s = Scenario::new(variant, vec![data]);
    s.plan.seed = seed;
    s.plan.forward = profile.faults();
    s.plan.reverse = profile.faults();
    if seed % 4 == 3 {
        s.line.forward = Delivery::Bytewise;
    }
    s
}

/// [`scenario`] for every seed in `seeds`, counted and timed.
pub fn recovery(variant: Variant, profile: Profile, seeds: Range<u64>, len: usize) -> Summary {
    sweep_with(variant, seeds, |seed| scenario(variant, profile, seed, len))
}
