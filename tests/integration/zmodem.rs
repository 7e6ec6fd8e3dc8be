//! ZMODEM against lrzsz `sz` and `rz` over pipe pairs, a relay that damages or cuts the line,
//! and socat ptys; a scripted receiver with a small buffer written with the library's codec;
//! the command and size refusals; resuming after a cut line.
//!
//! Observed lrzsz 0.12.21rc behaviour these tests rely on:
//! - `rz` applies the mode from the file information with `chmod`, so the umask does not
//!   apply; our receiver applies the umask. Both apply the mtime.
//! - `sz` types `rz\r`, throws away what it has read so far, sends `ZRQINIT` and takes the
//!   first `C` (YMODEM) or `ZRINIT` (ZMODEM) it reads after that for the protocol. Our `recv`
//!   without a protocol option answers a `ZRQINIT` already waiting when it starts with
//!   `ZRINIT` before any `C`, so `sz` started first or second ends in ZMODEM; a `C` that
//!   crosses a `ZRQINIT` (`sz` started within a moment of one of our `C`s) still makes it
//!   fall back to YMODEM, and the batch arrives byte-exact either way.
//! - `rz --errors N` flips a byte in what it reads about every N bytes, headers included, and
//!   answers each damaged subpacket, each `ZDATA` at a stale offset and each header hunt that
//!   runs too long with another `ZRPOS` for the same offset: one damaged byte brings several
//!   `ZRPOS` while the stream in flight drains.
//! - `sz -c CMD` sends `ZCOMMAND` after `ZRINIT`; refused (`ZCOMPL` with status 1) it
//!   reports "Transfer incomplete" and exits 1.
//! - Over socat ptys both directions work with lrzsz on the pty (unlike `rx`, see
//!   interop.rs): about 1.2 to 1.6 s for 1 MiB and a batch, `rz` and `sz` included.
//! - `rz -r` asks for the local length rounded down to 1 KiB and continues from there; a local
//!   file longer than the sender's is rewritten from 0 and keeps its stale tail, both sides
//!   exiting 0 (docs/PROTOCOLS.md §4.11): recorded, not asserted.
//! - Cut after `CUT_AT` bytes, our sender fails with "Broken pipe" (exit 4, a local I/O
//!   error) and our receiver with "the link was closed by the other side" (exit 1).
//!
//! Every lrzsz program runs as its users run it: in the directory of its files, with relative
//! names and default flags unless the cell is about a flag.

use std::{
    fs::{self, File},
    io::{self, PipeReader, PipeWriter, Read, Write},
    process::{Command, Stdio},
    thread::{self, JoinHandle},
    time::Duration,
};

use xyzmodem::proto::zmodem::{
    CANFC32, CANFDX, CANOVIO, Decoder, DecoderConfig, Encoder, EscapeProfile, FrameEnd, FrameType,
    Header, HeaderFormat, Item,
};

use crate::common::{
    Batch, DEADLINE, MODE, MTIME, Pair, Scripted, Socat, Work, check_ymodem_copy, hex, open_rw,
    random_bytes, require_peers, run_pair, sha256_hex, tree, umask, xyzmodem,
};

const MIB: usize = 1 << 20;
/// A batch of three with an empty file in the middle.
const BATCH_3: [usize; 3] = [1025, 0, 3000];
/// Kill one run of ours against a scripted peer after this.
const LIMIT: Duration = Duration::from_secs(20);
/// How long a scripted peer waits for each answer.
const ANSWER: Duration = Duration::from_secs(10);

/// The permission bits our receiver gives a file sent with `MODE`: the umask applies.
fn our_mode() -> u32 {
    MODE & !umask()
}

// ---------------------------------------------------------------------------------------------
// Batches of files with metadata

impl Batch {
    /// Our `send -Z -q OURS FILES`, run in the work directory.
    fn our_sender(&self, ours: &[&str]) -> Command {
        let mut cmd = xyzmodem();
        cmd.args(["send", "-Z", "-q"])
            .args(ours)
            .args(self.paths())
            .current_dir(self.work.dir());
        cmd
    }

    /// Our `recv -q OURS DST`, run in the work directory.
    fn our_receiver(&self, ours: &[&str]) -> Command {
        let mut cmd = xyzmodem();
        cmd.args(["recv", "-q"])
            .args(ours)
            .arg(self.dst())
            .current_dir(self.work.dir());
        cmd
    }

    /// lrzsz `sz -q ARGS FILES`, run in `src`.
    fn sz(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("sz");
        cmd.arg("-q")
            .args(args)
            .args(self.names())
            .current_dir(self.src());
        cmd
    }

    /// lrzsz `rz -q ARGS`, run in the empty `dst`.
    fn rz(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("rz");
        cmd.arg("-q").args(args).current_dir(self.dst());
        cmd
    }
}

// ---------------------------------------------------------------------------------------------
// A relay between two programs

/// What the relay does to the bytes going from the first program to the second.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Carries them unchanged.
    Clean,
    /// Flips bit 2 of each byte at an offset (counted over the whole stream) that is a
    /// multiple of `every`, within `from..until`: away from the session's start and end.
    Flip { every: u64, from: u64, until: u64 },
    /// Carries this many bytes, then closes the line in this direction: the second program
    /// reads end-of-file, the first one's writes fail.
    Cut(u64),
    /// Drops every raw control byte (`(b & 0x60) == 0`) but ZDLE and the CR, LF and XON that
    /// end hex headers (lrzsz `rz` takes the byte after a hex header for its CR and throws it
    /// away: a lost CR costs it the next header's ZPAD). Only a sender that escapes every
    /// control byte gets data through.
    EatControls,
}

/// Joins `a` and `b` like `cross_connect`, with the bytes from `a` to `b` carried by a thread
/// that applies `fault`. The thread ends when `a`'s output ends (or at the cut) and returns the
/// number of bytes it read from `a`.
fn relay(a: &mut Command, b: &mut Command, fault: Fault) -> JoinHandle<u64> {
    let (from_a, a_out) = io::pipe().expect("create a pipe");
    let (b_in, to_b) = io::pipe().expect("create a pipe");
    let (a_in, b_out) = io::pipe().expect("create a pipe");
    a.stdin(a_in).stdout(a_out);
    b.stdin(b_in).stdout(b_out);
    thread::spawn(move || carry(from_a, to_b, fault))
}

fn carry(mut from: PipeReader, mut to: PipeWriter, fault: Fault) -> u64 {
    let mut seen = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &mut buf[..n];
        let (out, cut): (Vec<u8>, bool) = match fault {
            Fault::Clean => (chunk.to_vec(), false),
            Fault::Flip { every, from, until } => {
                for (i, byte) in chunk.iter_mut().enumerate() {
                    let at = seen + i as u64;
                    if (from..until).contains(&at) && at.is_multiple_of(every) {
                        *byte ^= 0x04;
                    }
                }
                (chunk.to_vec(), false)
            }
            Fault::Cut(limit) => {
                let take = usize::try_from(limit.saturating_sub(seen)).map_or(n, |t| t.min(n));
                (chunk[..take].to_vec(), seen + n as u64 >= limit)
            }
            Fault::EatControls => (
                chunk
                    .iter()
                    .copied()
                    .filter(|&b| b & 0x60 != 0 || matches!(b & 0x7F, 0x18 | 0x0D | 0x0A | 0x11))
                    .collect(),
                false,
            ),
        };
        seen += n as u64;
        if to.write_all(&out).is_err() || cut {
            break;
        }
    }
    seen
}

/// Runs `a` into `b` through a relay applying `fault`; also returns how many bytes `a` wrote.
fn run_relayed(mut a: Command, mut b: Command, fault: Fault) -> (Pair, u64) {
    let carried = relay(&mut a, &mut b, fault);
    let pair = run_pair(a, b, DEADLINE);
    let bytes = carried.join().expect("the relay thread");
    (pair, bytes)
}

// ---------------------------------------------------------------------------------------------
// Transfers between two programs

/// Our `send -Z OURS FILES` into lrzsz `rz RZ` run in the empty `dst`, through `fault`.
fn send_to_rz(lens: &[usize], ours: &[&str], rz: &[&str], fault: Fault) {
    if !require_peers(&["rz"]) {
        return;
    }
    let batch = Batch::new(lens, 0x2A1);
    let (pair, _) = run_relayed(batch.our_sender(ours), batch.rz(rz), fault);
    pair.assert_success();
    // rz applies the mode with chmod: no umask.
    batch.check(MODE, &pair);
}

/// lrzsz `sz SZ FILES` (run in `src`) into our `recv OURS DST`, through `fault`.
fn sz_to_recv(lens: &[usize], sz: &[&str], ours: &[&str], fault: Fault) {
    if !require_peers(&["sz"]) {
        return;
    }
    let batch = Batch::new(lens, 0x52B);
    let (pair, _) = run_relayed(batch.sz(sz), batch.our_receiver(ours), fault);
    pair.assert_success();
    batch.check(our_mode(), &pair);
}

/// Our `send -Z SEND FILES` into our `recv RECV DST`, through `fault`.
fn send_to_recv(lens: &[usize], send: &[&str], recv: &[&str], fault: Fault) {
    let batch = Batch::new(lens, 0x5E5);
    let (pair, _) = run_relayed(batch.our_sender(send), batch.our_receiver(recv), fault);
    pair.assert_success();
    batch.check(our_mode(), &pair);
}

/// One module per peer combination, one test per batch: `zmodem::sz_to_recv_z::size_1025`
/// and so on. Every `size_*` case is a batch of one file.
macro_rules! sizes {
    ($($case:ident: $run:ident($($arg:expr),*);)*) => {$(
        mod $case {
            fn run(lens: &[usize]) {
                super::$run(lens, $($arg),*);
            }
            sizes!(@tests size_0 = [0], size_1 = [1], size_1023 = [1023], size_1024 = [1024],
                size_1025 = [1025], size_8192 = [8192], size_8193 = [8193],
                size_1mib = [super::MIB], batch_3 = super::BATCH_3);
        }
    )*};
    (@tests $($name:ident = $lens:expr),*) => {$(
        #[test]
        fn $name() {
            run(&$lens);
        }
    )*};
}

sizes! {
    send_to_rz: send_to_rz(&[], &[], super::Fault::Clean);
    sz_to_recv_z: sz_to_recv(&[], &["-Z"], super::Fault::Clean);
    // No protocol option: the receiver detects ZMODEM from sz's ZRQINIT.
    sz_to_recv_detected: sz_to_recv(&[], &[], super::Fault::Clean);
    send_to_recv_z: send_to_recv(&[], &["-Z"], super::Fault::Clean);
}

/// One test per line.
macro_rules! cases {
    ($($name:ident: $run:ident($($arg:expr),*);)*) => {$(
        #[test]
        fn $name() {
            $run($($arg),*);
        }
    )*};
}

/// A 1 MiB file and a batch in one session.
const BIG_BATCH: [usize; 3] = [MIB, 0, 8193];
/// Flip a bit every 10 000 bytes, from after the file information to before the end of the
/// data (the stream of 1 MiB of data is longer than 1 MiB): about 100 damaged subpackets.
const FLIP: Fault = Fault::Flip {
    every: 10_000,
    from: 4096,
    until: (MIB - 4096) as u64,
};

/// The file for `rz --errors 1000`. When the flipper hits the start of a `ZDATA` header sent
/// after a `ZRPOS` (or of the `ZEOF`), rz sees no header at all and says nothing until its
/// timeout, while the sender waits for the `ZACK` of its `ZCRCW`: the protocol has no faster
/// way out, and lrzsz `sz` stalls the same way. With rz's default 10 s timeout a 1 MiB file
/// (about a thousand damaged bytes) stalled 0 to 4 times a run, up to 40 s (`sz` → `rz
/// --errors 1000`: up to 20 s in 12 runs). So rz runs with `-t 10` (1 s) and the file is
/// 128 KiB: still over a hundred damaged bytes, about 0.1 s a run.
const ERRORS_1000: usize = 128 << 10;

cases! {
    // lrzsz's options against our receiver.
    sz_8k_subpackets_to_recv: sz_to_recv(&BIG_BATCH, &["-8"], &["-Z"], Fault::Clean);
    sz_window_4096_to_recv: sz_to_recv(&BIG_BATCH, &["-w", "4096"], &["-Z"], Fault::Clean);
    // sz -e escapes every control byte: it gets through a link that eats them.
    sz_escape_to_recv: sz_to_recv(&BIG_BATCH, &["-e"], &["-Z"], Fault::EatControls);
    // Our receiver asks for ESCCTL: sz escapes every control byte.
    sz_to_recv_escape_controls:
        sz_to_recv(&BIG_BATCH, &[], &["-Z", "--escape-controls"], Fault::EatControls);
    // Damaged subpackets: our receiver asks again with ZRPOS.
    sz_to_recv_bit_flips: sz_to_recv(&[MIB], &[], &["-Z"], FLIP);

    // Our options against rz.
    send_8k_subpackets_to_rz: send_to_rz(&BIG_BATCH, &["--subpacket", "8192"], &[], Fault::Clean);
    send_window_4096_to_rz: send_to_rz(&BIG_BATCH, &["--window", "4096"], &[], Fault::Clean);
    // rz -e asks for ESCCTL: our sender escapes every control byte.
    send_to_rz_escape: send_to_rz(&BIG_BATCH, &[], &["-e"], Fault::EatControls);
    send_escape_controls_to_rz:
        send_to_rz(&BIG_BATCH, &["--escape-controls"], &[], Fault::EatControls);
    // rz's own bit flipper: a damaged byte about every 1000 bytes read, headers included.
    // 128 KiB, not 1 MiB, and rz's timeout at 1 s: see ERRORS_1000.
    send_to_rz_errors_1000:
        send_to_rz(&[ERRORS_1000], &[], &["-t", "10", "--errors", "1000"], Fault::Clean);
    send_to_rz_errors_1000_batch:
        send_to_rz(&BATCH_3, &[], &["-t", "10", "--errors", "1000"], Fault::Clean);

    // Ourselves, with the same faults.
    send_to_recv_bit_flips: send_to_recv(&[MIB], &[], &["-Z"], FLIP);
    send_escape_controls_to_recv:
        send_to_recv(&BIG_BATCH, &["--escape-controls"], &["-Z"], Fault::EatControls);
    send_to_recv_escape_controls:
        send_to_recv(&BIG_BATCH, &[], &["-Z", "--escape-controls"], Fault::EatControls);
    send_8k_window_to_recv:
        send_to_recv(&BIG_BATCH, &["--subpacket", "8192", "--window", "16384"], &["-Z"],
            Fault::Clean);
}

// ---------------------------------------------------------------------------------------------
// Detection: `recv` without a protocol option, whichever side starts first

/// Which program of a pair starts a second before the other.
#[derive(Debug, Clone, Copy)]
enum First {
    Sender,
    Receiver,
}

/// `cmd` started a second late, through `sh`: same program, arguments and directory.
fn a_second_late(cmd: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", "sleep 1; exec \"$@\"", "sh"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    sh
}

/// `sender` (run in `src`) into our `recv -q --report WORK/r.json TARGET` over a pipe pair,
/// the one named by `first` starting a second before the other. Asserts success and the
/// protocol the report names for every file; returns the pair for the caller's checks.
fn detected(batch: &Batch, sender: Command, target: &str, first: First, want: &str) -> Pair {
    let report = batch.work.path("r.json");
    let mut receiver = xyzmodem();
    receiver
        .args(["recv", "-q", "--report"])
        .arg(&report)
        .arg(batch.work.path(target))
        .current_dir(batch.work.dir());
    let (mut sender, mut receiver) = match first {
        First::Sender => (sender, a_second_late(&receiver)),
        First::Receiver => (a_second_late(&sender), receiver),
    };
    crate::common::cross_connect(&mut sender, &mut receiver);
    let pair = run_pair(sender, receiver, DEADLINE);
    pair.assert_success();
    let json = fs::read_to_string(&report).unwrap_or_else(|e| panic!("read r.json: {e}\n{pair}"));
    let files: Vec<&str> = json
        .lines()
        .filter(|l| l.starts_with(r#"{"type":"file""#))
        .collect();
    assert_eq!(files.len(), batch.files.len(), "{json}\n{pair}");
    let protocol = format!(r#""protocol":"{want}""#);
    for line in files {
        assert!(line.contains(&protocol), "{first:?} first: {line}\n{pair}");
    }
    assert!(
        pair.elapsed < Duration::from_secs(5),
        "no added wait: {:.2?}\n{pair}",
        pair.elapsed
    );
    pair
}

/// A batch from `sender` (run in `src`, given the batch's names) detected as `want`.
fn detected_batch(program: Command, first: First, want: &str) {
    let batch = Batch::new(&[70_000, 0, 1025], 0xDE7);
    let mut sender = program;
    sender.args(batch.names()).current_dir(batch.src());
    let pair = detected(&batch, sender, "dst", first, want);
    batch.check(our_mode(), &pair);
}

/// One file from an XMODEM `sender` (run in `src`, given the file's name) into `dst/x.bin`.
fn detected_xmodem(program: Command, first: First) {
    let batch = Batch::new(&[70_000], 0xDE8);
    let (name, data) = &batch.files[0];
    let mut sender = program;
    sender.arg(name).current_dir(batch.src());
    let pair = detected(&batch, sender, "dst/x.bin", first, "xmodem");
    let got = fs::read(batch.dst().join("x.bin")).expect("read the received file");
    if let Err(e) = crate::common::check_xmodem_copy(&got, data, 127) {
        panic!("{e}\n{pair}");
    }
}

fn lrzsz(program: &str) -> Option<Command> {
    require_peers(&[program]).then(|| {
        let mut cmd = Command::new(program);
        cmd.arg("-q");
        cmd
    })
}

fn ours(protocol: &str) -> Command {
    let mut cmd = xyzmodem();
    cmd.args(["send", "-q", protocol]);
    cmd
}

/// lrzsz `sz` reads the first `C` or `ZRINIT` after its `ZRQINIT` as the protocol: a `C`
/// makes it fall back to YMODEM. Started first, its `ZRQINIT` waits in our input and is
/// answered before any `C` goes out.
#[test]
fn detect_sz_started_first() {
    if let Some(sz) = lrzsz("sz") {
        detected_batch(sz, First::Sender, "zmodem");
    }
}

/// Started second, `sz` throws away what it has read (our first `C`) before its `ZRQINIT`.
#[test]
fn detect_sz_started_second() {
    if let Some(sz) = lrzsz("sz") {
        detected_batch(sz, First::Receiver, "zmodem");
    }
}

#[test]
fn detect_sb_started_first() {
    if let Some(sb) = lrzsz("sb") {
        detected_batch(sb, First::Sender, "ymodem");
    }
}

#[test]
fn detect_sb_started_second() {
    if let Some(sb) = lrzsz("sb") {
        detected_batch(sb, First::Receiver, "ymodem");
    }
}

#[test]
fn detect_sx_started_first() {
    if let Some(sx) = lrzsz("sx") {
        detected_xmodem(sx, First::Sender);
    }
}

#[test]
fn detect_sx_started_second() {
    if let Some(sx) = lrzsz("sx") {
        detected_xmodem(sx, First::Receiver);
    }
}

#[test]
fn detect_our_zmodem_sender_started_first() {
    detected_batch(ours("-Z"), First::Sender, "zmodem");
}

#[test]
fn detect_our_zmodem_sender_started_second() {
    detected_batch(ours("-Z"), First::Receiver, "zmodem");
}

#[test]
fn detect_our_ymodem_sender_started_first() {
    detected_batch(ours("-Y"), First::Sender, "ymodem");
}

#[test]
fn detect_our_ymodem_sender_started_second() {
    detected_batch(ours("-Y"), First::Receiver, "ymodem");
}

#[test]
fn detect_our_xmodem_sender_started_first() {
    detected_xmodem(ours("-X"), First::Sender);
}

#[test]
fn detect_our_xmodem_sender_started_second() {
    detected_xmodem(ours("-X"), First::Receiver);
}

// ---------------------------------------------------------------------------------------------
// Over a pty pair

/// Our `send -Z --port A` with lrzsz `rz` on the other end of a socat pty pair.
#[test]
fn pty_send_to_rz() {
    if !require_peers(&["rz", "socat"]) {
        return;
    }
    let batch = Batch::new(&BIG_BATCH, 0x977B);
    let socat = Socat::start(&batch.work);
    let port = socat.a.to_str().expect("a UTF-8 path");
    let mut a = batch.our_sender(&["--port", port]);
    a.stdin(Stdio::null()).stdout(Stdio::null());
    let (tty_in, tty_out) = open_rw(&socat.b);
    let mut b = batch.rz(&[]);
    b.stdin(tty_in).stdout(tty_out);
    let pair = run_pair(a, b, DEADLINE);
    let report = format!("{pair}socat:\n{}", socat.log());
    assert!(
        pair.a.status.success() && pair.b.status.success(),
        "transfer failed {report}"
    );
    batch.check(MODE, &report);
}

/// lrzsz `sz` on a socat pty, our `recv -Z --port` on the other end.
#[test]
fn pty_sz_to_recv() {
    if !require_peers(&["sz", "socat"]) {
        return;
    }
    let batch = Batch::new(&BIG_BATCH, 0x977C);
    let socat = Socat::start(&batch.work);
    let port = socat.a.to_str().expect("a UTF-8 path");
    let mut a = batch.our_receiver(&["-Z", "--port", port]);
    a.stdin(Stdio::null()).stdout(Stdio::null());
    let (tty_in, tty_out) = open_rw(&socat.b);
    let mut b = batch.sz(&[]);
    b.stdin(tty_in).stdout(tty_out);
    let pair = run_pair(a, b, DEADLINE);
    let report = format!("{pair}socat:\n{}", socat.log());
    assert!(
        pair.a.status.success() && pair.b.status.success(),
        "transfer failed {report}"
    );
    batch.check(our_mode(), &report);
}

// ---------------------------------------------------------------------------------------------
// Refusals

/// `sz -c 'touch pwned'` (a command, no file) into our receiver: the command never runs.
fn command_refused(ours: &[&str], sz_flag: &str) {
    if !require_peers(&["sz"]) {
        return;
    }
    let batch = Batch::new(&[], 0xC0);
    fs::create_dir(batch.work.path("cwd")).expect("create cwd");
    let mut a = Command::new("sz");
    a.args([sz_flag, "touch pwned"]).current_dir(batch.src());
    // Not -q: the refusal is a note on stderr.
    let mut b = xyzmodem();
    b.arg("recv")
        .args(ours)
        .arg(batch.dst())
        .current_dir(batch.work.path("cwd"));
    let (pair, _) = run_relayed(a, b, Fault::Clean);
    for dir in ["src", "dst", "cwd"] {
        assert!(
            tree(&batch.work.path(dir)).is_empty(),
            "{dir} is not empty\n{pair}"
        );
    }
    assert!(!pair.b.killed && !pair.a.killed, "{pair}");
    assert!(
        pair.b.stderr.contains("refused") && pair.b.stderr.contains("touch"),
        "our stderr must say the command was refused\n{pair}"
    );
    // Observed: sz reports "Transfer incomplete" and exits 1; our receiver ends the
    // session with exit 0 (nothing was offered but the command).
    assert_eq!(pair.a.status.code(), Some(1), "sz's exit code\n{pair}");
    assert_eq!(pair.b.status.code(), Some(0), "our exit code\n{pair}");
}

cases! {
    command_refused_z: command_refused(&["-Z"], "-c");
    command_refused_detected: command_refused(&[], "-c");
    command_refused_immediate: command_refused(&["-Z"], "-i");
}

/// A sparse file of 4 GiB + 1 byte: refused before anything goes on the link, with a pointer
/// to YMODEM.
#[test]
fn four_gib_refused() {
    let work = Work::new();
    let file = File::create(work.path("huge.bin")).expect("create huge.bin");
    file.set_len((4u64 << 30) + 1).expect("make a sparse file");
    drop(file);
    let mut cmd = xyzmodem();
    cmd.args(["send", "-Z", "huge.bin"]).current_dir(work.dir());
    let peer = Scripted::spawn(cmd);
    let (finished, sent) = peer.wait(LIMIT);
    assert!(!finished.killed, "{finished}");
    // A command line that cannot work: the usage exit code.
    assert_eq!(finished.status.code(), Some(2), "exit code\n{finished}");
    assert!(
        finished.stderr.contains("YMODEM") && finished.stderr.contains("4 GiB"),
        "{finished}"
    );
    assert!(
        sent.is_empty(),
        "sent before refusing: {}\n{finished}",
        hex(&sent, 32)
    );
}

// ---------------------------------------------------------------------------------------------
// A scripted receiver with a 2048-byte buffer

/// The next item the decoder finds in what `peer` writes; `pending` holds bytes read but not
/// consumed yet.
pub(crate) fn next_item(peer: &mut Scripted, dec: &mut Decoder, pending: &mut Vec<u8>) -> Item {
    loop {
        if pending.is_empty() {
            pending.extend(peer.read(1, ANSWER));
        }
        let (used, item) = dec.feed(pending);
        pending.drain(..used);
        if let Some(item) = item {
            return item;
        }
    }
}

/// The next header, or a failure naming `what` was expected.
pub(crate) fn next_header(
    peer: &mut Scripted,
    dec: &mut Decoder,
    pending: &mut Vec<u8>,
    what: &str,
) -> (Header, HeaderFormat) {
    match next_item(peer, dec, pending) {
        Item::Header { header, format } => (header, format),
        other => peer.fail(&format!("expected {what}, got {other:?}")),
    }
}

pub(crate) fn send_hex(peer: &mut Scripted, enc: &mut Encoder, header: Header) {
    let mut out = Vec::new();
    enc.header(&mut out, HeaderFormat::Hex, &header);
    peer.write(&out);
}

/// Our `send -Z` of `len` bytes to a receiver announcing a `buffer`-byte buffer in `ZRINIT`:
/// no more than `buffer` bytes may go out without a `ZCRCW` that waits for our `ZACK`.
fn small_buffer_receiver(len: usize, buffer: u16) {
    let work = Work::new();
    let (_, data) = work.random_file("f.bin", len, 0xB0F ^ len as u64);
    let mut cmd = xyzmodem();
    cmd.args(["send", "-Z", "-q", "f.bin"])
        .current_dir(work.dir());
    let mut peer = Scripted::spawn(cmd);
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    let mut pending = Vec::new();

    let (header, _) = next_header(&mut peer, &mut dec, &mut pending, "ZRQINIT");
    if header.kind != FrameType::RqInit {
        peer.fail(&format!("expected ZRQINIT, got {header:?}"));
    }
    let [p0, p1] = buffer.to_le_bytes();
    let zrinit = Header {
        kind: FrameType::RInit,
        bytes: [p0, p1, 0, CANFDX | CANOVIO | CANFC32],
    };
    send_hex(&mut peer, &mut enc, zrinit);

    let (header, format) = next_header(&mut peer, &mut dec, &mut pending, "ZFILE");
    if header.kind != FrameType::File {
        peer.fail(&format!("expected ZFILE, got {header:?}"));
    }
    dec.expect_data(format.data_crc());
    match next_item(&mut peer, &mut dec, &mut pending) {
        Item::Data {
            end: FrameEnd::CrcW,
        } if dec.data().starts_with(b"f.bin\0") => {}
        other => peer.fail(&format!(
            "expected the file information, got {other:?} {}",
            hex(dec.data(), 32)
        )),
    }
    send_hex(
        &mut peer,
        &mut enc,
        Header::with_position(FrameType::RPos, 0),
    );

    let mut received = Vec::with_capacity(len);
    // Bytes since the last ZCRCW, and the most there ever were.
    let (mut unacked, mut most, mut waits) = (0usize, 0usize, 0u32);
    loop {
        let (header, format) = next_header(&mut peer, &mut dec, &mut pending, "ZDATA or ZEOF");
        let pos = header.position() as usize;
        match header.kind {
            FrameType::Data if pos == received.len() => {}
            FrameType::Eof if pos == len && received.len() == len => break,
            _ => peer.fail(&format!(
                "expected ZDATA or ZEOF at {}, got {header:?}",
                received.len()
            )),
        }
        dec.expect_data(format.data_crc());
        loop {
            let end = match next_item(&mut peer, &mut dec, &mut pending) {
                Item::Data { end } => end,
                other => peer.fail(&format!(
                    "expected a subpacket at {}, got {other:?}",
                    received.len()
                )),
            };
            received.extend_from_slice(dec.data());
            unacked += dec.data().len();
            most = most.max(unacked);
            if unacked > usize::from(buffer) {
                peer.fail(&format!(
                    "{unacked} bytes without a ZCRCW, the buffer holds {buffer} (at {})",
                    received.len()
                ));
            }
            let ack = Header::with_position(FrameType::Ack, received.len() as u32);
            match end {
                FrameEnd::CrcW => {
                    unacked = 0;
                    waits += 1;
                    send_hex(&mut peer, &mut enc, ack);
                    break;
                }
                FrameEnd::CrcQ => send_hex(&mut peer, &mut enc, ack),
                FrameEnd::CrcG => {}
                FrameEnd::CrcE => break,
            }
        }
    }
    send_hex(&mut peer, &mut enc, zrinit);
    let (header, _) = next_header(&mut peer, &mut dec, &mut pending, "ZFIN");
    if header.kind != FrameType::Fin {
        peer.fail(&format!("expected ZFIN, got {header:?}"));
    }
    send_hex(&mut peer, &mut enc, Header::new(FrameType::Fin));
    // The rest of the ZFIN header (CR, LF), then "OO".
    let mut tail = Vec::new();
    while tail.len() < 8 && !tail.ends_with(b"OO") {
        if pending.is_empty() {
            pending.extend(peer.read(1, ANSWER));
        }
        tail.push(pending.remove(0));
    }
    if !matches!(
        &tail[..],
        [b'\r' | 0x8D, b'\n' | 0x8A, b'O', b'O'] | [b'O', b'O']
    ) {
        peer.fail(&format!("after ZFIN: {}", hex(&tail, 16)));
    }
    let (finished, rest) = peer.wait(LIMIT);
    assert!(finished.status.success(), "{finished}");
    assert!(rest.is_empty(), "sent after OO: {}", hex(&rest, 32));
    assert!(received == data, "the data does not carry the file");
    assert!(
        waits as usize >= len / usize::from(buffer),
        "{waits} ZCRCWs for {len} bytes"
    );
    assert!(most <= usize::from(buffer), "{most} bytes without a ZCRCW");
}

#[test]
fn receiver_buffer_2048_gets_zcrcw() {
    small_buffer_receiver(20_000, 2048);
}

#[test]
fn receiver_buffer_1000_gets_zcrcw() {
    small_buffer_receiver(10_000, 1000);
}

// ---------------------------------------------------------------------------------------------
// Resuming after a cut line

/// A 1 MiB file `src/big.bin` and an empty `dst`.
fn big_file(seed: u64) -> Batch {
    Batch::new(&[MIB], seed)
}

const CUT_AT: u64 = 300_000;

/// The first session, cut after `CUT_AT` bytes from the sender: our receiver with
/// `--keep-partial` keeps `NAME.part`, a prefix of the file. Returns its length.
fn cut_first_session(batch: &Batch, sender: Command) -> usize {
    let (pair, carried) = run_relayed(
        sender,
        batch.our_receiver(&["-Z", "--keep-partial"]),
        Fault::Cut(CUT_AT),
    );
    assert!(carried >= CUT_AT, "the sender stopped early\n{pair}");
    assert!(
        !pair.a.status.success() && !pair.b.status.success() && !pair.a.killed && !pair.b.killed,
        "both sides must fail at the cut\n{pair}"
    );
    let (name, data) = &batch.files[0];
    let part = fs::read(batch.dst().join(format!("{name}.part")))
        .unwrap_or_else(|e| panic!("{name}.part: {e}\n{pair}"));
    assert!(
        part.len() > 100_000 && part.len() < CUT_AT as usize && data.starts_with(&part),
        "{name}.part: {} bytes, a prefix: {}\n{pair}",
        part.len(),
        data.starts_with(&part)
    );
    part.len()
}

/// The second session completes the file, and the sender sent less than the whole file.
fn check_resumed(batch: &Batch, pair: &Pair, carried: u64, part: usize) {
    pair.assert_success();
    batch.check(our_mode(), pair);
    assert!(
        carried < (MIB - part / 2) as u64,
        "{carried} bytes sent to complete a file of {MIB} of which {part} were there\n{pair}"
    );
}

#[test]
fn resume_ours_after_cut() {
    let batch = big_file(0x2E5);
    let part = cut_first_session(&batch, batch.our_sender(&[]));
    // The same command again, the receiver with --resume.
    let (pair, carried) = run_relayed(
        batch.our_sender(&[]),
        batch.our_receiver(&["-Z", "--resume"]),
        Fault::Clean,
    );
    check_resumed(&batch, &pair, carried, part);
}

#[test]
fn resume_ours_both_sides_after_cut() {
    let batch = big_file(0x2E6);
    let part = cut_first_session(&batch, batch.our_sender(&["--resume"]));
    let (pair, carried) = run_relayed(
        batch.our_sender(&["--resume"]),
        batch.our_receiver(&["-Z", "--resume"]),
        Fault::Clean,
    );
    check_resumed(&batch, &pair, carried, part);
}

#[test]
fn resume_sz_after_cut() {
    if !require_peers(&["sz"]) {
        return;
    }
    let batch = big_file(0x2E7);
    let part = cut_first_session(&batch, batch.sz(&[]));
    let (pair, carried) = run_relayed(
        batch.sz(&["-r"]),
        batch.our_receiver(&["-Z", "--resume"]),
        Fault::Clean,
    );
    check_resumed(&batch, &pair, carried, part);
}

/// `NAME.part` that is not a prefix of the file (`stale`): `--resume` must not continue it;
/// the file arrives whole and exact.
fn resume_stale_part(sender: &dyn Fn(&Batch) -> Command, stale: &[u8]) {
    let batch = big_file(0x2E8);
    let (name, data) = &batch.files[0];
    let part = batch.dst().join(format!("{name}.part"));
    fs::write(&part, stale).expect("write the stale part");
    let (pair, _) = run_relayed(
        sender(&batch),
        batch.our_receiver(&["-Z", "--resume"]),
        Fault::Clean,
    );
    pair.assert_success();
    if let Err(e) = check_ymodem_copy(&batch.dst().join(name), data, our_mode(), MTIME) {
        panic!("{e}\n{pair}");
    }
    // A part longer than the file is not taken for a resume, and one that is not the file's
    // start is not continued: either way it stays exactly as it was (the user may want it).
    assert_eq!(fs::read(&part).ok().as_deref(), Some(stale), "{pair}");
}

// A stale NAME.part of a plausible length: the receiver asks the sender for the CRC-32 of as
// many bytes (ZCRC), finds it differs, and receives the file from the start.
#[test]
fn resume_ours_stale_part() {
    resume_stale_part(&|b| b.our_sender(&["--resume"]), &random_bytes(300_000, 1));
}

#[test]
fn resume_ours_part_longer_than_file() {
    resume_stale_part(&|b| b.our_sender(&["--resume"]), &random_bytes(2 * MIB, 2));
}

#[test]
fn resume_sz_stale_part() {
    if require_peers(&["sz"]) {
        resume_stale_part(&|b| b.sz(&["-r"]), &random_bytes(300_000, 3));
    }
}

#[test]
fn resume_sz_part_longer_than_file() {
    if require_peers(&["sz"]) {
        resume_stale_part(&|b| b.sz(&["-r"]), &random_bytes(2 * MIB, 4));
    }
}

/// Our `send -Z --resume` into `rz -r` that holds `local` as the file already.
fn send_resume_to_rz(local: &[u8]) -> (Batch, Pair, u64) {
    let batch = big_file(0x2E9);
    let (name, _) = &batch.files[0];
    fs::write(batch.dst().join(name), local).expect("write the local copy");
    let (pair, carried) = run_relayed(
        batch.our_sender(&["--resume"]),
        batch.rz(&["-r"]),
        Fault::Clean,
    );
    (batch, pair, carried)
}

#[test]
fn resume_send_to_rz() {
    if !require_peers(&["rz"]) {
        return;
    }
    let part = 300_000;
    let prefix = random_bytes(MIB, 0x2E9 ^ MIB as u64)[..part].to_vec();
    let (batch, pair, carried) = send_resume_to_rz(&prefix);
    assert_eq!(
        &batch.files[0].1[..part],
        &prefix[..],
        "the seed of big_file"
    );
    pair.assert_success();
    batch.check(MODE, &pair);
    assert!(
        carried < (MIB - part / 2) as u64,
        "{carried} bytes sent to complete a file of {MIB} of which {part} were there\n{pair}"
    );
}

/// `rz -r` holding a local file longer than ours: lrzsz rewrites it from offset 0 without
/// truncating it (docs/PROTOCOLS.md §4.11), so a stale tail stays and both sides exit 0. What
/// we control: our sender sends the whole file from 0 and succeeds.
#[test]
fn resume_send_to_rz_longer_local_file() {
    if !require_peers(&["rz"]) {
        return;
    }
    let stale = random_bytes(2 * MIB, 5);
    let (batch, pair, carried) = send_resume_to_rz(&stale);
    pair.assert_success();
    assert!(carried >= MIB as u64, "{carried} bytes sent\n{pair}");
    let (name, data) = &batch.files[0];
    let local = fs::read(batch.dst().join(name)).expect("read the local file");
    assert!(
        local.starts_with(data),
        "the file is not rewritten from 0\n{pair}"
    );
    // lrzsz's known flaw, recorded: the stale tail is still there.
    eprintln!(
        "rz -r left {} bytes (sha256 {}), the file has {}",
        local.len(),
        sha256_hex(&local),
        data.len()
    );
}

// ---------------------------------------------------------------------------------------------
// The terminal's detector (`proto::sniff`) on what real programs print when they start

/// What `Sniffer` finds in the first output of `cmd` (stdin held open and silent, so the
/// program waits for an answer), within 5 s; also what it let through to the screen.
fn sniffed(mut cmd: Command) -> (Option<xyzmodem::proto::sniff::ZmodemStart>, Vec<u8>) {
    use std::sync::mpsc;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = out.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut sniffer = xyzmodem::proto::sniff::Sniffer::new();
    let mut shown = Vec::new();
    let until = std::time::Instant::now() + Duration::from_secs(5);
    let mut found = None;
    while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
        let Ok(piece) = rx.recv_timeout(left) else {
            break;
        };
        if let Some(f) = sniffer.feed(&piece, &mut shown) {
            found = Some(f.start);
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    reader.join().ok();
    (found, shown)
}

#[test]
fn the_terminal_detector_finds_real_senders_and_receivers_start() {
    use xyzmodem::proto::sniff::ZmodemStart::{Download, Upload};
    if !require_peers(&["sz", "rz"]) {
        return;
    }
    let work = Work::new();
    work.write("a.bin", b"data");
    let run = |prog: &str, args: &[&str]| {
        let mut cmd = if prog == "xyzmodem" {
            xyzmodem()
        } else {
            Command::new(prog)
        };
        cmd.args(args).current_dir(work.dir());
        sniffed(cmd)
    };
    let (found, shown) = run("sz", &["a.bin"]);
    assert_eq!(found, Some(Download), "sz: shown {}", hex(&shown, 64));
    assert_eq!(shown, b"rz\r", "sz types rz and CR before its ZRQINIT");
    let (found, shown) = run("rz", &[]);
    assert_eq!(found, Some(Upload), "rz: shown {}", hex(&shown, 64));
    let (found, _) = run("xyzmodem", &["send", "-Z", "-q", "a.bin"]);
    assert_eq!(found, Some(Download), "our sender");
    let (found, _) = run("xyzmodem", &["recv", "-Z", "-q", "."]);
    assert_eq!(found, Some(Upload), "our receiver");
    // A `cat` of a header's prefix is text.
    let (found, shown) = run("printf", &["%s", "**\x18B00 not a header\r\n"]);
    assert_eq!(found, None);
    assert_eq!(shown, b"**\x18B00 not a header\r\n");
}
