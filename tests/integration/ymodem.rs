//! YMODEM and YMODEM-G batches: against lrzsz `sb`, `rb` and `sz` over pipe pairs and against
//! ourselves; exact size, mtime and mode of every received file; a scripted U-Boot-like
//! receiver; a scripted hostile sender offering dangerous names; existing-file policies.
//!
//! Observed lrzsz 0.12.21rc behaviour these tests rely on:
//! - `rb` sends its first `C` only after 1 s, answers each EOT after 1 s of silence and asks
//!   for the next header 1 s after that: about 1 + 2 s per file, so the `rb` cases are the slow
//!   ones. It applies the header's size, mtime and mode.
//! - `sb` sends the base name, the size, an octal mtime and the octal `st_mode` (`100640`), and
//!   for an empty file sends EOT right after the header's `C`. `sb` without `-k` sends 128-byte
//!   blocks, except to a receiver asking with `G`: then it streams 1K blocks.
//! - `sz` sends `rz\r` and a ZRQINIT, then falls back to YMODEM with 1K blocks on a `C`. A `C`
//!   that arrives before its ZRQINIT is lost, so about one run in seven waits for our receiver
//!   to repeat `C` (3 s).

use std::{
    fs,
    os::unix::ffi::OsStrExt,
    path::{Path, PathBuf},
    process::Command,
    thread,
    time::{Duration, Instant},
};

use crate::common::{
    ACK, Batch, DEADLINE, EOT, Finished, MODE, MTIME, NAK, Pair, SOH, STX, Scripted, Work,
    block_sizes, check_xmodem_copy, check_ymodem_copy, crc_block, cross_connect, hex, padded_128,
    parse_crc_block, require_peers, run_pair, set_mode_mtime, tree, umask, xyzmodem, ymodem_end,
    ymodem_header,
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

// ---------------------------------------------------------------------------------------------
// Transfers between two programs

/// Our `send -Y OURS FILES` into lrzsz `rb` run in the empty `dst`.
fn send_to_rb(lens: &[usize], ours: &[&str]) {
    if !require_peers(&["rb"]) {
        return;
    }
    let batch = Batch::new(lens, 0x4B1);
    let mut a = xyzmodem();
    a.args(["send", "-Y", "-q"])
        .args(ours)
        .args(batch.paths())
        .current_dir(batch.work.dir());
    let mut b = Command::new("rb");
    b.arg("-q").current_dir(batch.dst());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    // rb applies the mode with chmod: no umask.
    batch.check(MODE, &pair);
}

/// lrzsz `PROG -q ARGS FILES` (run in `src`) into our `recv -q OURS DST`.
fn lrzsz_to_recv(lens: &[usize], prog: &str, args: &[&str], ours: &[&str]) {
    if !require_peers(&[prog]) {
        return;
    }
    let batch = Batch::new(lens, 0x5B0);
    let mut a = Command::new(prog);
    a.arg("-q")
        .args(args)
        .args(batch.names())
        .current_dir(batch.src());
    let mut b = xyzmodem();
    b.args(["recv", "-q"])
        .args(ours)
        .arg(batch.dst())
        .current_dir(batch.work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    batch.check(our_mode(), &pair);
}

/// Our `send -Y -q SEND FILES` into our `recv -q RECV DST`.
fn send_to_recv(lens: &[usize], send: &[&str], recv: &[&str]) {
    let batch = Batch::new(lens, 0x5E4);
    let mut a = xyzmodem();
    a.args(["send", "-Y", "-q"])
        .args(send)
        .args(batch.paths())
        .current_dir(batch.work.dir());
    let mut b = xyzmodem();
    b.args(["recv", "-q"])
        .args(recv)
        .arg(batch.dst())
        .current_dir(batch.work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    batch.check(our_mode(), &pair);
}

/// One module per peer combination, one test per batch: `ymodem::sb_to_recv::size_1025` and
/// so on. Every `size_*` case is a batch of one file.
macro_rules! sizes {
    ($($case:ident: $run:ident($($arg:expr),*);)*) => {$(
        mod $case {
            fn run(lens: &[usize]) {
                super::$run(lens, $($arg),*);
            }
            sizes!(@tests size_0 = [0], size_1 = [1], size_127 = [127], size_128 = [128],
                size_1024 = [1024], size_1025 = [1025], size_1mib = [super::MIB],
                batch_3 = super::BATCH_3);
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
    send_to_rb: send_to_rb(&[]);
    sb_to_recv: lrzsz_to_recv("sb", &[], &["-Y"]);
    sb_1k_to_recv: lrzsz_to_recv("sb", &["-k"], &["-Y"]);
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

cases! {
    send_128_to_rb_batch_3: send_to_rb(&BATCH_3, &["--128"]);
    // No protocol flag: the receiver detects YMODEM from block 0.
    sb_1k_to_recv_detected_batch_3: lrzsz_to_recv(&BATCH_3, "sb", &["-k"], &[]);
    sb_to_recv_g_batch_3: lrzsz_to_recv(&[MIB, 0, 1025], "sb", &[], &["-g"]);
    // sz starts with ZMODEM; `recv -Y` answers its ZRQINIT with `C`, and sz falls back to
    // YMODEM. (Without a protocol option the receiver answers with ZRINIT: zmodem.rs.)
    sz_to_recv_y_batch_2: lrzsz_to_recv(&[1025, 70_000], "sz", &[], &["-Y"]);
    send_to_recv_y_batch_3: send_to_recv(&[MIB, 0, 1025], &[], &["-Y"]);
    send_to_recv_g_batch_3: send_to_recv(&[MIB, 0, 1025], &[], &["-g"]);
    send_128_to_recv_detected_batch_3: send_to_recv(&BATCH_3, &["--128"], &[]);
}

// ---------------------------------------------------------------------------------------------
// An XMODEM sender into a receiver given a directory

/// Our `send -k -q in.bin` into our `recv RECV WORK/dst`, `dst` an existing empty directory.
fn xmodem_into_dir(recv: &[&str]) -> (Work, Vec<u8>, Pair) {
    let work = Work::new();
    fs::create_dir(work.path("dst")).expect("create dst");
    let (input, data) = work.random_file("in.bin", 5000, 0xD1E);
    let mut a = xyzmodem();
    a.args(["send", "-k", "-q"])
        .arg(&input)
        .current_dir(work.dir());
    let mut b = xyzmodem();
    b.arg("recv")
        .args(recv)
        .arg(work.path("dst"))
        .current_dir(work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    (work, data, pair)
}

#[test]
fn xmodem_send_to_recv_dir_with_output() {
    let (work, data, pair) = xmodem_into_dir(&["-q", "--output", "x.bin"]);
    pair.assert_success();
    assert_eq!(tree(&work.path("dst")), [PathBuf::from("x.bin")], "{pair}");
    let received = fs::read(work.path("dst/x.bin")).expect("read dst/x.bin");
    if let Err(e) = check_xmodem_copy(&received, &data, 127) {
        panic!("{e}\n{pair}");
    }
}

#[test]
fn xmodem_send_to_recv_dir_without_output_fails() {
    let (work, _, pair) = xmodem_into_dir(&[]);
    assert_eq!(pair.b.status.code(), Some(4), "receiver exit code\n{pair}");
    assert!(pair.b.stderr.contains("--output"), "{pair}");
    assert!(
        !pair.a.killed && !pair.a.status.success(),
        "the sender must be cancelled\n{pair}"
    );
    assert!(tree(&work.path("dst")).is_empty(), "{pair}");
}

// ---------------------------------------------------------------------------------------------
// A U-Boot-like receiver

/// Reads one whole SOH or STX block from `peer` and checks its framing and CRC.
fn read_block(peer: &mut Scripted) -> (u8, Vec<u8>) {
    let start = peer.read(1, ANSWER)[0];
    let size = match start {
        SOH => 128,
        STX => 1024,
        other => peer.fail(&format!("expected SOH or STX, got {other:#04x}")),
    };
    let mut block = vec![start];
    block.extend(peer.read(size + 4, ANSWER));
    match parse_crc_block(&block) {
        Ok((seq, data)) => (seq, data.to_vec()),
        Err(e) => peer.fail(&e),
    }
}

/// The header's name and the fields after it.
fn header_fields(data: &[u8]) -> (Vec<u8>, Vec<String>) {
    let nul = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let rest = data.get(nul + 1..).unwrap_or_default();
    let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
    let fields = String::from_utf8_lossy(rest)
        .split_ascii_whitespace()
        .map(str::to_owned)
        .collect();
    (data[..nul].to_vec(), fields)
}

/// Our `send -Y fw.bin` against a receiver that behaves like U-Boot's `loady`: it ACKs block 0
/// without asking for the data with `C`, ACKs the EOT twice, then asks for the next header.
fn uboot_receiver(len: usize) {
    let work = Work::new();
    let (_, data) = work.random_file("fw.bin", len, 0xB007 ^ len as u64);
    let mut cmd = xyzmodem();
    cmd.args(["send", "-Y", "-q", "fw.bin"])
        .current_dir(work.dir());
    let mut peer = Scripted::spawn(cmd);
    peer.write(b"C");
    let start = peer.read(1, ANSWER)[0];
    if start != SOH {
        peer.fail(&format!("block 0 starts with {start:#04x}, not SOH"));
    }
    let mut header = vec![SOH];
    header.extend(peer.read(132, ANSWER));
    let info = match parse_crc_block(&header) {
        Ok((0, info)) => info.to_vec(),
        Ok((seq, _)) => peer.fail(&format!("the header is block {seq}, not 0")),
        Err(e) => peer.fail(&e),
    };
    let (name, fields) = header_fields(&info);
    if name != b"fw.bin" || fields.first() != Some(&len.to_string()) {
        let msg = format!("header {}", hex(&info, 64));
        peer.fail(&msg);
    }

    peer.write(&[ACK]);
    let acked = Instant::now();
    let mut header_to_block_1 = None;
    let mut received = Vec::with_capacity(len + 1024);
    for (i, &size) in block_sizes(len, true).iter().enumerate() {
        let (seq, block) = read_block(&mut peer);
        header_to_block_1.get_or_insert_with(|| acked.elapsed());
        if (seq, block.len()) != ((i + 1) as u8, size) {
            let msg = format!(
                "block {} of {size} bytes expected, got block {seq} of {} bytes",
                (i + 1) as u8,
                block.len()
            );
            peer.fail(&msg);
        }
        received.extend_from_slice(&block);
        peer.write(&[ACK]);
    }
    peer.expect(&[EOT], ANSWER);
    peer.write(&[ACK, ACK]);
    thread::sleep(Duration::from_millis(20));
    peer.write(b"C");
    let (seq, end) = read_block(&mut peer);
    if seq != 0 || end[0] != 0 {
        let msg = format!(
            "expected the end-of-batch header, got block {seq}: {}",
            hex(&end, 32)
        );
        peer.fail(&msg);
    }
    peer.write(&[ACK]);
    let (finished, rest) = peer.wait(LIMIT);
    eprintln!("{len} bytes: header ACK to block 1: {header_to_block_1:.2?}");
    assert!(finished.status.success(), "{finished}");
    assert!(rest.is_empty(), "sent after the end: {}", hex(&rest, 32));
    assert!(
        received.len() >= len && received[..len] == data[..],
        "the data blocks do not carry the file"
    );
    let waited = header_to_block_1.expect("at least one block");
    assert!(
        waited < Duration::from_secs(3),
        "block 1 came {waited:.2?} after the header's ACK"
    );
}

#[test]
fn uboot_receiver_1() {
    uboot_receiver(1);
}

#[test]
fn uboot_receiver_1mib() {
    uboot_receiver(MIB);
}

// ---------------------------------------------------------------------------------------------
// A hostile sender

/// The contents of the file the hostile sender offers.
const HELLO: &[u8] = b"hello";

/// A work directory with the receiver's directory `dir`, an empty directory `cwd` to run it
/// in, and a second, empty temporary directory `outside`.
struct Hostile {
    work: Work,
    outside: Work,
}

/// How our receiver handled a hostile header.
struct Outcome {
    finished: Finished,
    /// What the scripted sender saw, step by step.
    log: String,
}

impl Hostile {
    fn new() -> Self {
        let work = Work::new();
        for dir in ["dir", "cwd"] {
            fs::create_dir(work.path(dir)).expect("create a directory in the work directory");
        }
        Self {
            work,
            outside: Work::new(),
        }
    }

    fn dir(&self) -> PathBuf {
        self.work.path("dir")
    }

    /// Our `recv -Y FLAGS DIR` against a sender offering one file `name` holding `HELLO`, then
    /// ending the batch, answering whatever the receiver does.
    fn run(&self, name: &[u8], flags: &[&str]) -> Outcome {
        let mut cmd = xyzmodem();
        cmd.args(["recv", "-Y"])
            .args(flags)
            .arg(self.dir())
            .current_dir(self.work.path("cwd"));
        let mut peer = Scripted::spawn(cmd);
        let mut log = format!("name {}: ", hex(name, 48));
        peer.expect(b"C", ANSWER);
        let meta = format!("{} {MTIME:o} 100644", HELLO.len());
        peer.write(&ymodem_header(name, &meta));
        match send_one_file(&mut peer) {
            Ok(()) => log.push_str("header ACKed, file sent, batch ended"),
            Err(e) => log.push_str(&e),
        }
        let (finished, rest) = peer.wait(LIMIT);
        if !rest.is_empty() {
            log.push_str(&format!("; then {}", hex(&rest, 24)));
        }
        Outcome { finished, log }
    }

    /// Nothing outside `dir`; in `dir` only names a file system and a terminal can take.
    fn assert_confined(&self, outcome: &Outcome, keep_dirs: bool) {
        let Outcome { finished, log } = outcome;
        let inside = tree(&self.dir());
        eprintln!(
            "{log}\nexit {:?}, in dir: {inside:?}\n{finished}",
            finished.status.code()
        );
        assert!(!finished.killed, "{log}\n{finished}");
        assert!(
            matches!(finished.status.code(), Some(0 | 4)),
            "exit code 0 or 4 expected\n{log}\n{finished}"
        );
        assert!(!finished.stderr.contains("panicked"), "{finished}");
        assert!(
            !finished.stderr.bytes().any(|b| b < 0x20 && b != b'\n'),
            "control bytes from the peer reached stderr (the terminal)\n{finished}"
        );
        assert!(
            self.outside.entries().is_empty(),
            "written outside: {:?}\n{finished}",
            tree(self.outside.dir())
        );
        assert_eq!(
            self.work.entries(),
            ["cwd", "dir"],
            "written next to dir\n{finished}"
        );
        assert!(
            tree(&self.work.path("cwd")).is_empty(),
            "written into the receiver's working directory\n{finished}"
        );
        for path in &inside {
            if path == Path::new("link") {
                continue; // made by the test
            }
            for part in path.iter() {
                let part = part.as_bytes();
                assert!(
                    part.len() <= 255
                        && part != b"."
                        && part != b".."
                        && !part.is_empty()
                        && !part.iter().any(|&b| b < 0x20 || b == 0x7F || b == b'/'),
                    "bad name {path:?}\n{finished}"
                );
            }
            let meta = fs::symlink_metadata(self.dir().join(path)).expect("stat a received file");
            if meta.is_dir() {
                assert!(
                    keep_dirs,
                    "a directory {path:?} without --keep-dirs\n{finished}"
                );
            } else {
                assert!(meta.is_file(), "{path:?} is not a regular file\n{finished}");
                let data = fs::read(self.dir().join(path)).expect("read a received file");
                assert_eq!(data, HELLO, "{path:?}\n{finished}");
            }
        }
    }

    /// The receiver said on stderr what it did with the name: stored it under the name that is
    /// now in `dir`, or refused it.
    fn assert_reported(&self, outcome: &Outcome) {
        let stderr = &outcome.finished.stderr;
        assert!(!stderr.trim().is_empty(), "nothing on stderr");
        for path in tree(&self.dir()) {
            let name = path.to_string_lossy();
            assert!(
                stderr.contains(&*name),
                "stderr does not name {name:?}\n{stderr}"
            );
        }
    }
}

/// After the header: expects ACK and `C`, sends one 128-byte block and EOT (again if NAKed),
/// then the end-of-batch header. An `Err` says where the receiver did something else.
fn send_one_file(peer: &mut Scripted) -> Result<(), String> {
    fn answer(peer: &mut Scripted, step: &str, want: &[u8]) -> Result<u8, String> {
        match peer.try_read(1, ANSWER) {
            Ok(got) if want.contains(&got[0]) => Ok(got[0]),
            Ok(got) => Err(format!("{step}: answered {}", hex(&got, 4))),
            Err(got) => Err(format!("{step}: no answer, {}", hex(&got, 24))),
        }
    }
    fn send(peer: &mut Scripted, step: &str, bytes: &[u8]) -> Result<(), String> {
        if peer.try_write(bytes) {
            Ok(())
        } else {
            Err(format!("{step}: the receiver has stopped reading"))
        }
    }
    answer(peer, "header", &[ACK])?;
    answer(peer, "after the header's ACK", b"C")?;
    send(peer, "block 1", &crc_block(1, &padded_128(HELLO)))?;
    answer(peer, "block 1", &[ACK])?;
    send(peer, "EOT", &[EOT])?;
    if answer(peer, "EOT", &[ACK, NAK])? == NAK {
        send(peer, "second EOT", &[EOT])?;
        answer(peer, "second EOT", &[ACK])?;
    }
    answer(peer, "next header", b"C")?;
    send(peer, "end of batch", &ymodem_end())?;
    answer(peer, "end of batch", &[ACK])?;
    Ok(())
}

/// One test per hostile name, without `--keep-dirs`.
macro_rules! hostile {
    ($($name:ident: $header_name:expr;)*) => {$(
        #[test]
        fn $name() {
            let h = Hostile::new();
            let outcome = h.run($header_name, &[]);
            h.assert_confined(&outcome, false);
            h.assert_reported(&outcome);
        }
    )*};
}

// Observed: the first three are stored as `x`, `x` and `name_with_control` (exit 0, stderr
// `storing "../x" as "x"`); `.`, `..` and `/` are refused right after the header with
// 10 × CAN and 10 × BS (exit 4, "refusing file name").
hostile! {
    hostile_parent: b"../x";
    hostile_up_through_subdir: b"a/../../x";
    hostile_control_bytes: b"name\x01with\x1bcontrol";
    hostile_dot: b".";
    hostile_dot_dot: b"..";
    hostile_slash: b"/";
}

/// Too long for a file name: shortened (and stored) or refused on purpose, not an OS error.
#[test]
fn hostile_300_byte_name() {
    let h = Hostile::new();
    let outcome = h.run(&[b'n'; 300], &[]);
    h.assert_confined(&outcome, false);
    assert!(
        !outcome.finished.stderr.contains("os error 36"),
        "the shortened name did not fit\n{}",
        outcome.finished
    );
}

/// A legal but long name (250 bytes, the limit is 255) is stored, shortened or not.
#[test]
fn long_name_250_bytes() {
    let h = Hostile::new();
    let name = [&[b'n'; 246][..], b".bin"].concat();
    let outcome = h.run(&name, &[]);
    h.assert_confined(&outcome, false);
    assert!(outcome.finished.status.success(), "{}", outcome.finished);
    assert_eq!(tree(&h.dir()).len(), 1, "{}", outcome.finished);
}

#[test]
fn hostile_absolute_into_other_dir() {
    let h = Hostile::new();
    let name = [h.outside.dir().as_os_str().as_bytes(), b"/x"].concat();
    let outcome = h.run(&name, &[]);
    h.assert_confined(&outcome, false);
    h.assert_reported(&outcome); // observed: stored as `x`, exit 0
}

#[test]
fn keep_dirs_creates_subdirectories() {
    let h = Hostile::new();
    let outcome = h.run(b"sub/dir/file.txt", &["--keep-dirs"]);
    h.assert_confined(&outcome, true);
    assert!(outcome.finished.status.success(), "{}", outcome.finished);
    assert_eq!(
        fs::read(h.dir().join("sub/dir/file.txt")).ok().as_deref(),
        Some(HELLO),
        "{}",
        outcome.finished
    );
}

#[test]
fn keep_dirs_up_through_subdir() {
    let h = Hostile::new();
    let outcome = h.run(b"sub/../../x", &["--keep-dirs"]);
    h.assert_confined(&outcome, true);
    h.assert_reported(&outcome); // observed: refused ("the path contains '..'"), exit 4
}

#[test]
fn keep_dirs_through_symlink_out() {
    let h = Hostile::new();
    std::os::unix::fs::symlink(h.outside.dir(), h.dir().join("link")).expect("create a symlink");
    let outcome = h.run(b"link/x", &["--keep-dirs"]);
    h.assert_confined(&outcome, true);
    h.assert_reported(&outcome); // observed: refused ("is a symlink"), exit 4
    assert!(
        fs::symlink_metadata(h.dir().join("link")).is_ok_and(|m| m.is_symlink()),
        "the symlink was replaced\n{}",
        outcome.finished
    );
}

// ---------------------------------------------------------------------------------------------
// Existing files

const OLD: &[u8] = b"old contents\n";
const OLD_MODE: u32 = 0o600;
const OLD_MTIME: u64 = 1_000_000_000;

/// Our `send -Y` of a batch into our `recv -Y FLAGS DST`, where `DST` already holds a file named
/// like the first of the batch.
fn into_existing(lens: &[usize], flags: &[&str]) -> (Batch, Pair) {
    let batch = Batch::new(lens, 0xE515);
    let first = batch.dst().join(&batch.files[0].0);
    fs::write(&first, OLD).expect("write the existing file");
    set_mode_mtime(&first, OLD_MODE, OLD_MTIME);
    let mut a = xyzmodem();
    a.args(["send", "-Y", "-q"])
        .args(batch.paths())
        .current_dir(batch.work.dir());
    let mut b = xyzmodem();
    b.args(["recv", "-Y"])
        .args(flags)
        .arg(batch.dst())
        .current_dir(batch.work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    (batch, pair)
}

fn assert_old_untouched(batch: &Batch, pair: &Pair) {
    let first = batch.dst().join(&batch.files[0].0);
    if let Err(e) = check_ymodem_copy(&first, OLD, OLD_MODE, OLD_MTIME) {
        panic!("the existing file was touched: {e}\n{pair}");
    }
}

#[test]
fn existing_file_refused_by_default() {
    let (batch, pair) = into_existing(&[1025], &[]);
    assert_eq!(pair.b.status.code(), Some(4), "receiver exit code\n{pair}");
    for word in [
        batch.files[0].0.as_str(),
        "--overwrite",
        "--rename",
        "--skip-existing",
    ] {
        assert!(pair.b.stderr.contains(word), "stderr lacks {word}\n{pair}");
    }
    assert_eq!(
        pair.a.status.code(),
        Some(3),
        "sender: cancelled by peer\n{pair}"
    );
    assert_old_untouched(&batch, &pair);
    assert_eq!(
        tree(&batch.dst()),
        [PathBuf::from(&batch.files[0].0)],
        "{pair}"
    );
}

#[test]
fn existing_file_overwrite() {
    let (batch, pair) = into_existing(&[1025], &["--overwrite"]);
    pair.assert_success();
    batch.check(our_mode(), &pair);
}

#[test]
fn existing_file_rename() {
    let (batch, pair) = into_existing(&[1025], &["--rename"]);
    pair.assert_success();
    assert_old_untouched(&batch, &pair);
    let inside = tree(&batch.dst());
    assert_eq!(inside.len(), 2, "{inside:?}\n{pair}");
    let new = &batch.files[0].1;
    assert!(
        inside
            .iter()
            .any(|p| fs::read(batch.dst().join(p)).is_ok_and(|d| d == *new)),
        "the new file is not in {inside:?}\n{pair}"
    );
}

#[test]
fn existing_file_skip_existing() {
    let (batch, pair) = into_existing(&[1025, 2000], &["--skip-existing"]);
    pair.assert_success();
    assert_old_untouched(&batch, &pair);
    let (second, data) = &batch.files[1];
    let mut want = vec![PathBuf::from(&batch.files[0].0), PathBuf::from(second)];
    want.sort();
    assert_eq!(tree(&batch.dst()), want, "{pair}");
    if let Err(e) = check_ymodem_copy(&batch.dst().join(second), data, our_mode(), MTIME) {
        panic!("{e}\n{pair}");
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 9 item 4: what is not a regular file

/// A FIFO was announced with the size stat gives (0), and `rb` (like our receiver) cut the
/// file to it: both exited 0 with the data lost. Now the FIFO is read to its end first and
/// announced with that size; `rb` in its cwd gets every byte.
#[test]
fn r9_4_a_fifo_reaches_rb_whole() {
    if !require_peers(&["rb"]) {
        return;
    }
    let work = Work::new();
    let dst = work.path("dst");
    std::fs::create_dir(&dst).unwrap();
    let fifo = work.path("pipe.bin");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let data = crate::common::random_bytes(5000, 0xF1F0);
    let writer = {
        let (fifo, data) = (fifo.clone(), data.clone());
        std::thread::spawn(move || std::fs::write(fifo, data).unwrap())
    };
    let mut a = xyzmodem();
    a.args(["send", "-Y", "-q", "pipe.bin"])
        .current_dir(work.dir());
    let mut b = Command::new("rb");
    b.arg("-q").current_dir(&dst);
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    writer.join().unwrap();
    pair.assert_success();
    assert_eq!(std::fs::read(dst.join("pipe.bin")).unwrap(), data, "{pair}");
}

/// A device is sent only when forced, and then with a header without a size (the field is
/// optional): `rb` takes such a header and stores what came, here nothing from /dev/null.
/// Unforced, /dev/zero is refused before the link is touched, exit 4.
#[test]
fn r9_4_a_device_is_refused_unless_forced_and_then_sent_without_a_size() {
    let work = Work::new();
    let out = xyzmodem()
        .current_dir(work.dir())
        .args(["send", "-Y", "/dev/zero"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty(), "the link was touched");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("character device") && err.contains("--force-device"),
        "{err}"
    );
    if !require_peers(&["rb"]) {
        return;
    }
    let mut a = xyzmodem();
    a.args(["send", "-Y", "-q", "--force-device", "/dev/null"])
        .current_dir(work.dir());
    let mut b = Command::new("rb");
    b.arg("-q").current_dir(work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    assert_eq!(std::fs::read(work.path("null")).unwrap(), b"", "{pair}");
}
