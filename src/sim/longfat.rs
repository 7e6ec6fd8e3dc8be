//! Long fat noisy links: ZMODEM through a fast line with a long round trip and bit errors
//! both ways (a radio modem, a serial console behind a network serial server), at the rates,
//! latencies and error rates of `bench/latency.sh`, many seeds, counted by outcome and timed
//! in virtual time (docs/SIMULATION.md, "Long fat noisy links"). What the sender's window
//! does with the round trip and the errors is tuned here, in seconds of CPU, before the
//! real-process runs confirm it.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use super::line::Faults;
use super::rng::Rng;
use super::scenario::{Scenario, Variant};
use super::sweep::{Summary, sweep_with};

/// The rate the simulator gives an unpaced link: 100 Mbaud, 10 MB/s, so that 50 ms of
/// latency holds 500 KB in flight, as a network path does.
pub const UNPACED_BAUD: u32 = 100_000_000;

/// One long fat link: its rate, its one-way latency and its bit-error rate (both ways).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// Line rate, 10 bits per byte ([`UNPACED_BAUD`] for a link without pacing).
    pub baud: u32,
    /// One-way latency.
    pub latency: Duration,
    /// Bits flipped per bit, in both directions.
    pub ber: f64,
}

impl Link {
    /// What each writer may have waiting for the wire: as `examples/line_relay.rs` gives it
    /// (a one-page pipe and the relay's 512-byte queue), a serial port's transmit buffer. A
    /// window larger than the round trip waits there, and an error sends it again.
    pub const TX_BUFFER: usize = 4096 + 512;

    /// 921600 baud, 50 ms each way, BER 1e-5: the line carries 92 KB/s, 9.2 KB per round trip.
    pub const FAST: Self = Self {
        baud: 921_600,
        latency: Duration::from_millis(50),
        ber: 1e-5,
    };
    /// 115200 baud, 50 ms each way, BER 1e-5.
    pub const SLOW: Self = Self {
        baud: 115_200,
        latency: Duration::from_millis(50),
        ber: 1e-5,
    };
    /// No pacing to speak of ([`UNPACED_BAUD`]), 50 ms each way, BER 1e-5.
    pub const UNPACED: Self = Self {
        baud: UNPACED_BAUD,
        latency: Duration::from_millis(50),
        ber: 1e-5,
    };
    /// The cells of `bench/latency.sh` with errors, and the fast one without.
    pub const ALL: [Self; 4] = [
        Self {
            ber: 0.0,
            ..Self::FAST
        },
        Self::FAST,
        Self::SLOW,
        Self::UNPACED,
    ];

    /// The time `len` bytes take on the line, with nothing else on it (the line bound).
    pub fn bound(self, len: usize) -> Duration {
        Duration::from_secs_f64(len as f64 * 10.0 / f64::from(self.baud))
    }

    /// One file of `len` random bytes (a function of `seed`) sent with ZMODEM's default
    /// settings over this link, the fault injector seeded with `seed`.
    pub fn scenario(self, seed: u64, len: usize) -> Scenario {
        let mut r = Rng::stream(seed, 0x10F6_FA7E);
        let mut data = vec![0; len];
        r.fill(&mut data);
        let mut s = Scenario::new(Variant::Zmodem, vec![data]);
        s.line.baud = self.baud;
        s.line.latency = self.latency;
        s.line.tx_buffer = Self::TX_BUFFER;
        s.plan.seed = seed;
        let faults = Faults {
            bit_error_rate: self.ber,
            ..Faults::clean()
        };
        s.plan.forward = faults.clone();
        s.plan.reverse = faults;
        s
    }

    /// [`Link::scenario`] for every seed in `seeds`, counted and timed.
    pub fn sweep(self, seeds: Range<u64>, len: usize) -> Summary {
        sweep_with(Variant::Zmodem, seeds, |seed| self.scenario(seed, len))
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.baud == UNPACED_BAUD {
            f.write_str("unpaced")?;
        } else {
            write!(f, "{} baud", self.baud)?;
        }
        write!(f, ", {} ms", self.latency.as_millis())?;
        if self.ber > 0.0 {
            write!(f, ", BER {:e}", self.ber)
        } else {
            f.write_str(", no errors")
        }
    }
}
