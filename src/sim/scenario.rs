//! What to simulate: the protocol variant and engine settings, the line, the fault plan and the
//! files. A scenario made by [`Scenario::random`] is a pure function of its variant and seed,
//! so its `Display` (which names both) is all it takes to replay it.

use std::fmt;
use std::time::Duration;

use super::line::{CanBurst, Delivery, Faults, Stall};
use super::rng::Rng;
use crate::proto::xymodem::block::{LARGE, MAX_FRAME, SMALL};
use crate::proto::{Check, FileInfo, ReceiverConfig, RecvMode, SendMode, SenderConfig};

/// The protocol flavours the simulator exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// XMODEM, 128-byte blocks, 8-bit checksum (receiver starts with NAK).
    XmodemChecksum,
    /// XMODEM, 128-byte blocks, CRC-16 (receiver starts with `C`).
    XmodemCrc,
    /// XMODEM-1K: 1024-byte blocks, CRC-16.
    Xmodem1k,
    /// YMODEM batch (1K blocks unless the scenario says otherwise), CRC-16.
    Ymodem,
    /// YMODEM-G: streamed 1K blocks, no ACKs, any error is fatal.
    YmodemG,
    /// ZMODEM: a batch streamed in subpackets (CRC-32), recovery by offset.
    Zmodem,
}

impl Variant {
    /// The X/YMODEM (block protocol) variants; [`Variant::Zmodem`] is apart, since the
    /// block-protocol efficiency model does not apply to it.
    pub const ALL: [Self; 5] = [
        Self::XmodemChecksum,
        Self::XmodemCrc,
        Self::Xmodem1k,
        Self::Ymodem,
        Self::YmodemG,
    ];

    /// The name used in summaries and replay strings.
    pub const fn name(self) -> &'static str {
        match self {
            Self::XmodemChecksum => "xmodem-checksum",
            Self::XmodemCrc => "xmodem-crc",
            Self::Xmodem1k => "xmodem-1k",
            Self::Ymodem => "ymodem",
            Self::YmodemG => "ymodem-g",
            Self::Zmodem => "zmodem",
        }
    }

    /// The variant called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([Self::Zmodem])
            .find(|v| v.name() == name)
    }

    /// True for the batch protocols (files with names and sizes).
    pub const fn is_batch(self) -> bool {
        matches!(self, Self::Ymodem | Self::YmodemG | Self::Zmodem)
    }

    /// The check the receiver asks for.
    pub const fn check(self) -> Check {
        match self {
            Self::XmodemChecksum => Check::Checksum,
            Self::Zmodem => Check::Crc32,
            _ => Check::Crc16,
        }
    }

    /// The sender's settings (defaults, with the mode and block size of the variant).
    pub fn sender_config(self) -> SenderConfig {
        SenderConfig {
            mode: if self.is_batch() {
                SendMode::Ymodem
            } else {
                SendMode::Xmodem
            },
            one_k: matches!(self, Self::Xmodem1k | Self::Ymodem | Self::YmodemG),
            ..SenderConfig::default()
        }
    }

    /// The receiver's settings (defaults, with the mode and check of the variant).
    pub fn receiver_config(self) -> ReceiverConfig {
        ReceiverConfig {
            mode: match self {
                Self::XmodemChecksum | Self::XmodemCrc | Self::Xmodem1k => RecvMode::Xmodem,
                Self::Ymodem => RecvMode::Ymodem,
                Self::YmodemG => RecvMode::YmodemG,
                // Not used: ZMODEM runs its own engines.
                Self::Zmodem => RecvMode::Detect,
            },
            check: self.check(),
            ..ReceiverConfig::default()
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The line between the two engines (the same rate and latency both ways).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineConfig {
    /// Line rate; a byte takes 10 bit times.
    pub baud: u32,
    /// One-way latency, added to every byte's arrival.
    pub latency: Duration,
    /// How the receiving engine reads the sender's bytes.
    pub forward: Delivery,
    /// How the sending engine reads the receiver's bytes.
    pub reverse: Delivery,
    /// How many bytes each writer may have waiting for the wire before a write blocks it (a
    /// serial port's transmit buffer: the tty layer's page and the UART's FIFO). 0: a write
    /// blocks its writer until its bytes are on the wire.
    pub tx_buffer: usize,
}

impl Default for LineConfig {
    fn default() -> Self {
        Self {
            baud: 115_200,
            latency: Duration::ZERO,
            forward: Delivery::Burst,
            reverse: Delivery::Burst,
            tx_buffer: 0,
        }
    }
}

/// The seeded fault plan: what goes wrong in each direction. The seed drives the random
/// faults (which bytes, which bits, which garbage), so the same plan always does the same.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// Seed of the fault injector.
    pub seed: u64,
    /// Sender to receiver.
    pub forward: Faults,
    /// Receiver to sender.
    pub reverse: Faults,
}

impl FaultPlan {
    /// A plan with no faults.
    pub fn clean() -> Self {
        Self::default()
    }
}

/// One transfer to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The protocol flavour (used to judge the result).
    pub variant: Variant,
    /// The sender's settings.
    pub sender: SenderConfig,
    /// The receiver's settings.
    pub receiver: ReceiverConfig,
    /// The line.
    pub line: LineConfig,
    /// The faults.
    pub plan: FaultPlan,
    /// The files to send (XMODEM: exactly one).
    pub files: Vec<Vec<u8>>,
    /// Their YMODEM headers (ignored by XMODEM).
    pub infos: Vec<FileInfo>,
    /// Made by [`Scenario::random`] from `plan.seed`: printable as a replay string.
    pub generated: bool,
    /// The receiver is `recv`'s front end ([`AutoReceiver`](crate::proto::detect::AutoReceiver),
    /// starting with X/YMODEM and taking a ZMODEM sender's `ZRQINIT`) around the variant's
    /// receiver, instead of that receiver alone. Judged by the variant's rule all the same.
    pub auto: bool,
}

/// The environment variable the replay test reads: `VARIANT:SEED`.
pub const REPLAY_VAR: &str = "XYZMODEM_SIM_REPLAY";

/// What a variant's name starts with when the receiver is behind the front end.
const AUTO: &str = "auto-";

/// `variant`'s name, with [`AUTO`] first when `auto`.
pub(super) fn label(variant: Variant, auto: bool) -> String {
    if auto {
        format!("{AUTO}{variant}")
    } else {
        variant.to_string()
    }
}

impl Scenario {
    /// `files` sent with `variant`'s default settings over a clean 115200-baud line without
    /// latency. YMODEM headers name the files `f0.bin`, `f1.bin`, … with their exact sizes.
    pub fn new(variant: Variant, files: Vec<Vec<u8>>) -> Self {
        let infos = files
            .iter()
            .enumerate()
            .map(|(i, f)| FileInfo {
                name: format!("f{i}.bin").into_bytes(),
                size: Some(f.len() as u64),
                mtime: Some(0o14_000_000_000),
                mode: Some(0o100_644),
                ..FileInfo::default()
            })
            .collect();
        Self {
            variant,
            sender: variant.sender_config(),
            receiver: variant.receiver_config(),
            line: LineConfig::default(),
            plan: FaultPlan::clean(),
            files,
            infos,
            generated: false,
            auto: false,
        }
    }

    /// [`Scenario::random`] with the receiver behind `recv`'s front end (`auto`): the same
    /// files, line and faults as the variant's own scenario of that seed.
    pub fn random_auto(variant: Variant, seed: u64) -> Self {
        Self {
            auto: true,
            ..Self::random(variant, seed)
        }
    }

    /// The scenario a replay string names: `VARIANT:SEED` (the seed in hex), the variant's
    /// name prefixed with `auto-` for one behind the front end, as [`Scenario`]'s `Display`
    /// prints it.
    pub fn replay(spec: &str) -> Option<Self> {
        let (name, seed) = spec.split_once(':')?;
        let seed = u64::from_str_radix(seed.trim_start_matches("0x"), 16).ok()?;
        match name.strip_prefix(AUTO) {
            Some(name) => Some(Self::random_auto(Variant::from_name(name)?, seed)),
            None => Some(Self::random(Variant::from_name(name)?, seed)),
        }
    }

    /// The variant's name as summaries and replay strings give it (`auto-` first for a
    /// receiver behind the front end).
    pub fn label(&self) -> String {
        label(self.variant, self.auto)
    }

    /// A random scenario, entirely determined by `variant` and `seed`: files of 0 to 5 KiB
    /// (YMODEM: batches of 1 to 3, often with an empty file), a line rate from 9600 to
    /// 921600 baud, a latency from 0 to 100 ms, burst or bytewise reads, and a fault plan that
    /// is clean for about one run in five and otherwise mixes random bit errors, drops,
    /// garbage and duplicates at varied rates with the odd stall, hang-up or CAN burst.
    pub fn random(variant: Variant, seed: u64) -> Self {
        // The variant is mixed in so that each variant sees other files and faults.
        let mut r = Rng::stream(seed, 0x5CE4_A210 + variant as u64);
        let count = if variant.is_batch() { r.range(1, 3) } else { 1 };
        let mut files: Vec<Vec<u8>> = (0..count).map(|_| random_file(&mut r)).collect();
        if variant.is_batch() && r.chance(0.4) {
            let at = r.below(files.len() as u64 + 1) as usize;
            files.insert(at, Vec::new());
        }
        let mut s = Self::new(variant, files);
        s.generated = true;
        s.plan.seed = seed;
        if variant == Variant::Ymodem {
            s.sender.one_k = r.chance(0.5);
        }
        const BAUDS: [u32; 5] = [9600, 19_200, 57_600, 115_200, 921_600];
        s.line.baud = BAUDS[r.below(BAUDS.len() as u64) as usize];
        const LATENCIES_MS: [u64; 6] = [0, 0, 1, 5, 20, 100];
        s.line.latency =
            Duration::from_millis(LATENCIES_MS[r.below(LATENCIES_MS.len() as u64) as usize]);
        s.line.forward = if r.chance(0.1) {
            Delivery::Bytewise
        } else {
            Delivery::Burst
        };
        s.line.reverse = if r.chance(0.5) {
            Delivery::Bytewise
        } else {
            Delivery::Burst
        };
        if r.chance(0.2) {
            return s;
        }
        let blocks: u64 = s
            .files
            .iter()
            .map(|f| f.len().div_ceil(SMALL) as u64 + 3)
            .sum();
        let forward_bytes = s.files.iter().map(|f| f.len() as u64).sum::<u64>() + blocks * 8 + 300;
        let reverse_bytes = blocks * 2 + 10;
        s.plan.forward = random_faults(&mut r, forward_bytes);
        s.plan.reverse = random_faults(&mut r, reverse_bytes);
        s
    }

    /// Virtual time after which an unfinished transfer counts as a hang: the start timeout,
    /// plus for every block (file blocks counted at 128 bytes, headers, EOTs, and 3 spare) the
    /// maximum number of errors times the time one error can cost (an ACK timeout and a block
    /// timeout, a frame on the wire, a round trip), plus every configured stall.
    pub fn time_bound(&self) -> Duration {
        let blocks = self.blocks() + 3;
        let max_errors = u64::from(self.max_errors());
        let frame =
            Duration::from_nanos((MAX_FRAME as u64 * 10_000_000_000) / u64::from(self.line.baud));
        let per_error = self.sender.limits.answer
            + self.receiver.limits.answer
            + self.receiver.purge_quiet
            + frame
            + 2 * self.line.latency;
        let stalls: Duration = [&self.plan.forward, &self.plan.reverse]
            .iter()
            .filter_map(|f| f.stall.map(|s| s.duration))
            .sum();
        self.sender.limits.start.max(self.receiver.limits.start)
            + per_error * u32::try_from(blocks * max_errors).unwrap_or(u32::MAX)
            + stalls
    }

    /// An upper bound on simulation steps: every byte that could go over the line, each a
    /// step of its own (bytewise delivery), plus slack. Only a livelock reaches it.
    pub fn step_bound(&self) -> u64 {
        let max_errors = u64::from(self.max_errors());
        (self.blocks() + 3) * max_errors * 4 * (MAX_FRAME as u64 + 64) + 100_000
    }

    /// The most errors either side allows per block or file (ZMODEM: its receiver's 20).
    fn max_errors(&self) -> u32 {
        let xy = (self.sender.limits.max_errors).max(self.receiver.limits.max_errors);
        if self.variant == Variant::Zmodem {
            xy.max(
                crate::proto::zmodem::ReceiverConfig::default()
                    .limits
                    .max_errors,
            )
        } else {
            xy
        }
    }

    /// Blocks the transfer needs at 128 bytes each, plus a header and an EOT per file and the
    /// end-of-batch header.
    fn blocks(&self) -> u64 {
        let data: u64 = self
            .files
            .iter()
            .map(|f| f.len().div_ceil(SMALL) as u64 + 2)
            .sum();
        data + 1
    }

    /// The data block size the sender uses for full blocks.
    pub fn block_size(&self) -> usize {
        if self.sender.one_k || self.variant == Variant::YmodemG {
            LARGE
        } else {
            SMALL
        }
    }
}

/// A file of random bytes; its length is 0 to 5 KiB, often on or next to a block boundary.
fn random_file(r: &mut Rng) -> Vec<u8> {
    const MAX: u64 = 5 * 1024;
    let len = match r.below(20) {
        0 => 0,
        1..=7 => {
            let block = if r.chance(0.5) { SMALL } else { LARGE } as u64;
            let k = r.range(1, MAX / block);
            (k * block + r.range(0, 2)).saturating_sub(1).min(MAX)
        }
        _ => r.range(1, MAX),
    };
    let mut data = vec![0; len as usize];
    r.fill(&mut data);
    data
}

/// Random faults for a direction that will carry about `bytes` bytes.
fn random_faults(r: &mut Rng, bytes: u64) -> Faults {
    let rate = |r: &mut Rng, p: f64, lo: f64, hi: f64| {
        if r.chance(p) {
            10f64.powf(lo + (hi - lo) * r.unit())
        } else {
            0.0
        }
    };
    let mut f = Faults {
        bit_error_rate: rate(r, 0.4, -6.0, -3.3),
        drop_rate: rate(r, 0.3, -5.0, -2.5),
        insert_rate: rate(r, 0.3, -5.0, -2.5),
        dup_rate: rate(r, 0.3, -5.0, -2.5),
        ..Faults::default()
    };
    if r.chance(0.15) {
        f.stall = Some(Stall {
            at: r.below(bytes),
            duration: Duration::from_millis(r.range(100, 40_000)),
        });
    }
    if r.chance(0.04) {
        f.hangup_at = Some(r.below(bytes));
    }
    if r.chance(0.08) {
        f.cancel = Some(CanBurst {
            at: r.below(bytes),
            count: r.range(1, 3) as u8,
        });
    }
    f
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.label();
        write!(f, "{label} seed={:#018x}", self.plan.seed)?;
        if self.generated {
            write!(
                f,
                " (replay: {REPLAY_VAR}={label}:{:#x} cargo test --test integration sim::replay -- --nocapture)",
                self.plan.seed
            )?;
        }
        let lens: Vec<usize> = self.files.iter().map(Vec::len).collect();
        write!(
            f,
            "\n  files {lens:?}, {}-byte blocks, sender {:?}, receiver {:?} asking {}",
            self.block_size(),
            self.sender.mode,
            self.receiver.mode,
            self.receiver.check,
        )?;
        write!(
            f,
            "\n  line {} baud, latency {:?}, reads: forward {}, reverse {}",
            self.line.baud, self.line.latency, self.line.forward, self.line.reverse
        )?;
        if self.line.tx_buffer > 0 {
            write!(f, ", transmit buffers {} bytes", self.line.tx_buffer)?;
        }
        write!(
            f,
            "\n  faults forward: {}\n  faults reverse: {}",
            self.plan.forward, self.plan.reverse
        )
    }
}
