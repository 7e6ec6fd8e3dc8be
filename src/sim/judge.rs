//! The judgement of a simulated transfer: how each side ended, what the receiver delivered,
//! and the verdict by the protocol's own rule.

use std::fmt;
use std::time::Duration;

use super::line::LineStats;
use super::scenario::{Scenario, Variant};
use crate::proto::{self, Check, Error, FileInfo};

/// How a simulated transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Both sides reported success and every file arrived byte-exact (YMODEM: exact bytes and
    /// names; XMODEM: the bytes followed only by padding shorter than a block).
    Completed,
    /// At least one side reported a typed error, and no wrong data was accepted.
    Failed,
    /// A file was accepted (the receiver reported its end) with wrong contents or name, or the
    /// receiver reported success without all files: the one outcome that must never happen
    /// with CRC-16.
    SilentCorruption,
    /// The transfer did not end within the scenario's bounds, or both engines waited with no
    /// deadline and nothing in flight.
    Hang,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::SilentCorruption => "SILENT CORRUPTION",
            Self::Hang => "HANG",
        })
    }
}

/// How one side ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// It reported [`Event::Finished`](crate::proto::Event::Finished).
    Finished,
    /// It reported [`Event::Failed`](crate::proto::Event::Failed).
    Failed(Error),
    /// It had not ended when the simulation stopped.
    Running,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Finished => f.write_str("finished"),
            Self::Failed(e) => write!(f, "failed: {e}"),
            Self::Running => f.write_str("still running"),
        }
    }
}

/// A file as the receiver delivered it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// What the receiver announced (XMODEM: an empty name).
    pub info: FileInfo,
    /// The bytes it delivered.
    pub data: Vec<u8>,
    /// The receiver reported the file's end ([`Event::FileEnd`](crate::proto::Event::FileEnd)): a caller would keep it.
    pub committed: bool,
}

/// Everything a simulated transfer produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// The verdict.
    pub outcome: Outcome,
    /// Why it was judged a hang or a silent corruption.
    pub detail: Option<String>,
    /// How the sender ended.
    pub sender: End,
    /// How the receiver ended.
    pub receiver: End,
    /// The check the sender started with, if it started.
    pub check: Option<Check>,
    /// The protocol the receiver said the session speaks, if it started.
    pub protocol: Option<proto::Protocol>,
    /// The largest frame the receiver confirmed (bytes of data it can carry).
    pub frame: usize,
    /// Virtual time from the start until both ended (or the simulation stopped).
    pub elapsed: Duration,
    /// Sender-to-receiver traffic.
    pub forward: LineStats,
    /// Receiver-to-sender traffic.
    pub reverse: LineStats,
    /// Retries reported by the sender and the receiver together.
    pub retries: u64,
    /// Blocks the receiver's check caught as damaged (bad CRC or checksum).
    pub bad_checks: u64,
    /// Blocks the receiver delivered whose data differs from what was sent at that place:
    /// damaged blocks that passed the check (a CRC-16 or checksum collision).
    pub missed_by_check: u64,
    /// Simulation steps taken.
    pub steps: u64,
    /// The files the receiver delivered.
    pub received: Vec<Received>,
}

impl Report {
    /// One side reported success and the other a failure (e.g. the last ACK was lost, so the
    /// receiver finished and the sender gave up). Counted as [`Outcome::Failed`].
    pub fn is_split(&self) -> bool {
        matches!(
            (&self.sender, &self.receiver),
            (End::Finished, End::Failed(_)) | (End::Failed(_), End::Finished)
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.outcome)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        write!(
            f,
            " after {:?}: sender {}, receiver {}; check {:?}; wire {} B forward, {} B reverse; \
             {} retries; {} steps",
            self.elapsed,
            self.sender,
            self.receiver,
            self.check,
            self.forward.on_wire,
            self.reverse.on_wire,
            self.retries,
            self.steps
        )
    }
}

/// Why the receiver's result is wrong, if it is: a committed file that differs from the one
/// sent in its place, or success without every file. Each protocol is judged by its own rule:
/// one that pads files (`protocol`'s [`padding`](proto::Protocol::padding)) may add less than
/// a frame (`frame`, the largest the receiver confirmed) of its padding byte; any other must
/// deliver the bytes exactly.
pub(super) fn corruption(
    scn: &Scenario,
    received: &[Received],
    receiver: &End,
    protocol: Option<proto::Protocol>,
    frame: usize,
) -> Option<String> {
    let padding = protocol.and_then(proto::Protocol::padding);
    for (i, got) in received.iter().enumerate().filter(|(_, r)| r.committed) {
        let Some(want) = scn.files.get(i) else {
            return Some(format!(
                "file {i} committed but only {} sent",
                scn.files.len()
            ));
        };
        if scn.variant.is_batch() {
            if got.info.name != scn.infos[i].name {
                return Some(format!(
                    "file {i} committed as {:?}, sent as {:?}",
                    String::from_utf8_lossy(&got.info.name),
                    String::from_utf8_lossy(&scn.infos[i].name)
                ));
            }
            if got.data != *want {
                return Some(format!(
                    "file {i} committed with {} bytes, {} sent, first difference at {}",
                    got.data.len(),
                    want.len(),
                    first_difference(&got.data, want)
                ));
            }
        } else if !copy_ok(&got.data, want, padding, frame) {
            return Some(format!(
                "file committed with {} bytes for {} sent, first difference at {}",
                got.data.len(),
                want.len(),
                first_difference(&got.data, want)
            ));
        }
    }
    let committed = received.iter().filter(|r| r.committed).count();
    let expected = if scn.variant == Variant::XmodemChecksum
        || scn.variant == Variant::XmodemCrc
        || scn.variant == Variant::Xmodem1k
    {
        1
    } else {
        scn.files.len()
    };
    if *receiver == End::Finished && committed != expected {
        return Some(format!(
            "receiver finished with {committed} of {expected} files"
        ));
    }
    None
}

/// The bytes sent, then (for a protocol that pads) only padding, less than a frame of it.
fn copy_ok(got: &[u8], want: &[u8], padding: Option<u8>, frame: usize) -> bool {
    match padding {
        None => got == want,
        Some(pad) => {
            got.len() >= want.len()
                && got.len() - want.len() < frame.max(1)
                && got[..want.len()] == *want
                && got[want.len()..].iter().all(|&b| b == pad)
        }
    }
}

/// True if `got`, delivered at offset `at` of a file, is what was sent there (or, for a
/// protocol that pads, padding past the end).
pub(super) fn matches_at(want: &[u8], at: usize, got: &[u8], padding: Option<u8>) -> bool {
    got.iter()
        .enumerate()
        .all(|(i, &b)| match want.get(at.saturating_add(i)) {
            Some(&w) => w == b,
            None => padding == Some(b),
        })
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}
