//! Throughput on a clean line against the theoretical bound.
//!
//! The stop-and-wait bound for one block is the frame on the wire, the ACK byte on the wire,
//! and a round trip: `frame * 10 / baud + 10 / baud + 2 * latency`; YMODEM-G streams, so a
//! block costs only its frame. A file of `n` full blocks cannot go faster than `n` times that
//! ([`Efficiency::steady`]). The fixed exchanges of a session (start character, headers, EOT
//! and its answers, end of batch) also take time, and [`Efficiency::with_overhead`] adds
//! them to the bound: the simulated time should then match it to rounding, since the engines
//! add no delay of their own on a clean line.

use std::fmt;
use std::time::Duration;

use super::judge::Outcome;
use super::run::run;
use super::scenario::{Scenario, Variant};
use crate::proto::xymodem::block::{LARGE, SMALL};

/// One clean transfer measured against its bounds.
#[derive(Debug, Clone)]
pub struct Efficiency {
    /// The variant.
    pub variant: Variant,
    /// File size in bytes.
    pub file_len: usize,
    /// Line rate.
    pub baud: u32,
    /// One-way latency.
    pub latency: Duration,
    /// Simulated time of the whole session.
    pub elapsed: Duration,
    /// Data blocks sent.
    pub blocks: u64,
    /// Bound time of all data blocks (seconds).
    pub data_bound: f64,
    /// Bound time of the fixed exchanges (seconds).
    pub overhead: f64,
}

impl Efficiency {
    /// Send `file_len` bytes with `variant` over a clean line and measure.
    ///
    /// # Panics
    ///
    /// If the transfer does not complete.
    pub fn measure(variant: Variant, file_len: usize, baud: u32, latency: Duration) -> Self {
        let data: Vec<u8> = (0..file_len).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut scn = Scenario::new(variant, vec![data]);
        scn.line.baud = baud;
        scn.line.latency = latency;
        let report = run(&scn);
        assert_eq!(report.outcome, Outcome::Completed, "{scn}\n{report}");
        let block = scn.block_size();
        let check = variant.check().size();
        let byte = 10.0 / f64::from(baud);
        let lat = latency.as_secs_f64();
        let streaming = variant == Variant::YmodemG;
        let per_block = |size: usize| {
            let frame = (3 + size + check) as f64;
            if streaming {
                frame * byte
            } else {
                (frame + 1.0) * byte + 2.0 * lat
            }
        };
        // Full blocks, then the tail: as 128-byte blocks when it is short enough.
        let (full, tail) = (file_len / block, file_len % block);
        let tail_blocks = match tail {
            0 => vec![],
            t if block == LARGE && !streaming && t <= scn.sender.tail_threshold => {
                vec![SMALL; t.div_ceil(SMALL)]
            }
            _ => vec![block],
        };
        let blocks = full as u64 + tail_blocks.len() as u64;
        let data_bound =
            full as f64 * per_block(block) + tail_blocks.iter().map(|&b| per_block(b)).sum::<f64>();
        // One-way trips of the fixed exchanges, and the bytes they carry.
        let header = (3 + SMALL + 2) as f64;
        let (bytes, trips) = match variant {
            // Start character; EOT, NAK, EOT, ACK.
            Variant::XmodemChecksum | Variant::XmodemCrc | Variant::Xmodem1k => (5.0, 5.0),
            // C; header; ACK C; EOT; ACK C; end header; ACK.
            Variant::Ymodem => (1.0 + header + 2.0 + 1.0 + 2.0 + header + 1.0, 7.0),
            // G; header; G; then after the stream: EOT; ACK G; end header (not answered).
            // The stream's own latency is paid once.
            Variant::YmodemG => (1.0 + header + 1.0 + 1.0 + 2.0 + header, 6.0),
            // The block model does not describe ZMODEM's subpackets: no fixed part counted
            // (ZMODEM's efficiency is measured on real processes, docs/BENCHMARKS.md).
            Variant::Zmodem => (0.0, 0.0),
        };
        Self {
            variant,
            file_len,
            baud,
            latency,
            elapsed: report.elapsed,
            blocks,
            data_bound,
            overhead: bytes * byte + trips * lat,
        }
    }

    /// Throughput in file bytes per second.
    pub fn throughput(&self) -> f64 {
        self.file_len as f64 / self.elapsed.as_secs_f64()
    }

    /// Throughput as a fraction of the per-block bound (the fixed exchanges count against
    /// it).
    pub fn steady(&self) -> f64 {
        self.data_bound / self.elapsed.as_secs_f64()
    }

    /// Throughput as a fraction of the bound that includes the fixed exchanges.
    pub fn with_overhead(&self) -> f64 {
        (self.data_bound + self.overhead) / self.elapsed.as_secs_f64()
    }
}

impl fmt::Display for Efficiency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<15} {:>6} B {:>7} baud {:>4} ms: {:>9.3} s, {:>8.1} B/s, {:>6.2} % of the \
             per-block bound, {:>7.3} % with the fixed exchanges",
            self.variant.name(),
            self.file_len,
            self.baud,
            self.latency.as_millis(),
            self.elapsed.as_secs_f64(),
            self.throughput(),
            100.0 * self.steady(),
            100.0 * self.with_overhead(),
        )
    }
}
