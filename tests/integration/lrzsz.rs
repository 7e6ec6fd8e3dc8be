//! The lrzsz personalities: `xyzmodem install-links` makes `sx`, `rx`, `sb`, `rb`, `sy`, `ry`
//! (and `lsx`…) links, and the links run the command lines minicom and picocom use by default
//! against the real lrzsz over pipe pairs, with lrzsz's exit codes. Where a case needs no
//! transfer (usage errors, a missing file, a cancel, a signal) the real lrzsz program runs the
//! same command line too and must agree.
//!
//! lrzsz 0.12.21rc behaviour relied on (also in docs/LRZSZ.md):
//! - `sx FILE` with FILE missing sends its cancel sequence and exits 128 ("Can't open any
//!   requested files"); `sb GOOD MISSING` sends GOOD and exits 1.
//! - usage errors exit 2; CAN CAN from the peer makes any of them exit 128; SIGTERM 143.
//! - `rb` applies the header's mode with chmod (no umask); ours applies the umask.

use std::{
    fs,
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use crate::common::{
    BIN, CAN, DEADLINE, Scripted, Work, assert_killed_and_cancels, check_xmodem_copy,
    check_ymodem_copy, cross_connect, hex, require_peers, run_pair, set_mode_mtime, umask,
    wait_or_kill, xyzmodem,
};

/// Kill a single run that takes longer than this.
const LIMIT: Duration = Duration::from_secs(30);
/// How long a scripted peer waits for each answer.
const ANSWER: Duration = Duration::from_secs(10);
/// Permission bits and modification time of every YMODEM file sent.
const MODE: u32 = 0o640;
const MTIME: u64 = 1_234_567_890;
/// lrzsz's cancel sequence.
const CANCEL: [u8; 20] = [
    CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
];

/// `xyzmodem install-links WORK/bin EXTRA`; returns `WORK/bin`.
pub fn install(work: &Work, extra: &[&str]) -> PathBuf {
    let bin = work.path("bin");
    let out = xyzmodem()
        .arg("install-links")
        .arg(&bin)
        .args(extra)
        .output()
        .expect("run install-links");
    assert!(
        out.status.success(),
        "install-links failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    bin
}

/// A command running our link `bin/name` in `cwd`.
fn ours(bin: &Path, name: &str, args: &[&str], cwd: &Path) -> Command {
    let mut cmd = Command::new(bin.join(name));
    cmd.args(args).current_dir(cwd);
    cmd
}

/// A command running the real lrzsz program `name` in `cwd`.
fn real(name: &str, args: &[&str], cwd: &Path) -> Command {
    let mut cmd = Command::new(name);
    cmd.args(args).current_dir(cwd);
    cmd
}

/// Runs `cmd` with stdin from /dev/null until it exits (killed after `LIMIT`); returns exit
/// code, stdout and stderr.
fn run_alone(mut cmd: Command) -> (Option<i32>, Vec<u8>, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let (status, _) = wait_or_kill(&mut child, Instant::now() + LIMIT);
    let out = out.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    (status.code(), out, err)
}

/// `data` in `work/name` with mode `MODE` and mtime `MTIME`.
fn ymodem_source(work: &Work, name: &str, len: usize, seed: u64) -> Vec<u8> {
    let (path, data) = work.random_file(name, len, seed);
    set_mode_mtime(&path, MODE, MTIME);
    data
}

// ---------------------------------------------------------------------------------------------
// install-links

#[test]
fn install_links_creates_links_to_the_binary() {
    let work = Work::new();
    let bin = install(&work, &["--lsz-names"]);
    let exe = fs::canonicalize(BIN).expect("canonical path of the binary");
    let mut names: Vec<String> = fs::read_dir(&bin)
        .expect("list bin")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = [
        "sz", "rz", "sx", "rx", "sb", "rb", "sy", "ry", "lsz", "lrz", "lsx", "lrx", "lsb", "lrb",
    ];
    want.sort_unstable();
    assert_eq!(names, want);
    for name in &names {
        let path = bin.join(name);
        assert!(
            path.symlink_metadata()
                .expect("lstat")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::canonicalize(&path).expect("resolve"), exe, "{name}");
    }
    // Running it again changes nothing and succeeds.
    let out = xyzmodem()
        .arg("install-links")
        .arg(&bin)
        .output()
        .expect("run install-links");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("already there"));
}

#[test]
fn install_links_refuses_to_clobber() {
    let work = Work::new();
    let bin = work.path("bin");
    fs::create_dir(&bin).expect("mkdir bin");
    fs::write(bin.join("rx"), b"my own rx").expect("write rx");
    let out = xyzmodem()
        .arg("install-links")
        .arg(&bin)
        .output()
        .expect("run install-links");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("rx (a file)") && stderr.contains("--force"),
        "{stderr}"
    );
    // All or nothing: the file is untouched and no link was made.
    assert_eq!(fs::read(bin.join("rx")).expect("read rx"), b"my own rx");
    assert!(bin.join("sx").symlink_metadata().is_err());

    // A directory is never replaced, not even with --force.
    fs::create_dir(bin.join("sb")).expect("mkdir sb");
    let out = xyzmodem()
        .arg("install-links")
        .arg(&bin)
        .arg("--force")
        .output()
        .expect("run install-links");
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(fs::read(bin.join("rx")).expect("read rx"), b"my own rx");

    // --force replaces the file.
    fs::remove_dir(bin.join("sb")).expect("rmdir sb");
    let out = xyzmodem()
        .arg("install-links")
        .arg(&bin)
        .arg("--force")
        .output()
        .expect("run install-links");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::canonicalize(bin.join("rx")).expect("resolve rx"),
        fs::canonicalize(BIN).expect("resolve the binary")
    );
}

// ---------------------------------------------------------------------------------------------
// XMODEM: sx / rx, as minicom and picocom call them

/// Our link `NAME ARGS in.bin` into the real `rx RX out.bin`.
fn link_sx_into_rx(name: &str, args: &[&str], rx: &[&str], len: usize) {
    if !require_peers(&["rx"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work, &["--lsz-names"]);
    let (_, data) = work.random_file("in.bin", len, 0x15A ^ len as u64);
    let mut a = ours(&bin, name, &[args, &["in.bin"]].concat(), work.dir());
    let mut b = real("rx", &[rx, &["out.bin"]].concat(), work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    if let Err(e) = check_xmodem_copy(&work.read("out.bin"), &data, 127) {
        panic!("{e}\n{pair}");
    }
}

#[test]
fn sx_vv_into_rx_checksum() {
    link_sx_into_rx("sx", &["-vv"], &[], 5000);
}

#[test]
fn sx_vv_into_rx_c() {
    link_sx_into_rx("sx", &["-vv"], &["-c"], 70_000);
}

#[test]
fn sx_k_into_rx_c() {
    link_sx_into_rx("sx", &["-vv", "-k", "-b"], &["-c"], 70_001);
}

#[test]
fn lsx_into_rx_c() {
    link_sx_into_rx("lsx", &["-vv"], &["-c"], 1025);
}

/// The real `sx SX in.bin` into our link `rx RX out.bin`, which already exists (lrzsz rx
/// replaces it, and so do we).
fn sx_into_link_rx(sx: &[&str], rx: &[&str], len: usize) {
    if !require_peers(&["sx"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work, &[]);
    let (_, data) = work.random_file("in.bin", len, 0x2B ^ len as u64);
    work.write("out.bin", b"an older out.bin");
    let mut a = real("sx", &[sx, &["in.bin"]].concat(), work.dir());
    let mut b = ours(&bin, "rx", &[rx, &["out.bin"]].concat(), work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    if let Err(e) = check_xmodem_copy(&work.read("out.bin"), &data, 127) {
        panic!("{e}\n{pair}");
    }
    assert!(
        pair.b.stderr.contains("recv -X --checksum") != rx.contains(&"-c"),
        "rx asks for the checksum unless -c:\n{pair}"
    );
}

#[test]
fn sx_into_rx_vv() {
    sx_into_link_rx(&[], &["-vv"], 5000);
}

#[test]
fn sx_k_into_rx_vv_c() {
    sx_into_link_rx(&["-k"], &["-vv", "-c"], 70_000);
}

/// Our `rx` takes an absolute output name typed by the local user (lrzsz's restricted `rx`
/// refuses it with "Security Violation"); with `-R` it refuses it too, cancels the waiting
/// sender and exits 127 as lrzsz does. docs/LRZSZ.md gives the reasons.
#[test]
fn rx_absolute_output_name_and_restricted_mode() {
    if !require_peers(&["sx"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work, &[]);
    let (_, data) = work.random_file("in.bin", 3000, 0xAB5);
    let target = work.path("sub/out.bin");
    std::fs::create_dir(work.path("sub")).expect("mkdir sub");
    let abs = target.to_str().expect("utf-8 path");

    let mut a = real("sx", &["in.bin"], work.dir());
    let mut b = ours(&bin, "rx", &["-c", abs], work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    if let Err(e) = check_xmodem_copy(&work.read("sub/out.bin"), &data, 127) {
        panic!("{e}\n{pair}");
    }

    for name in [abs, "../out.bin"] {
        let mut a = real("sx", &["in.bin"], work.dir());
        let mut b = ours(&bin, "rx", &["-R", "-c", name], &work.path("sub"));
        cross_connect(&mut a, &mut b);
        let pair = run_pair(a, b, DEADLINE);
        assert_eq!(pair.b.status.code(), Some(127), "rx -R {name}\n{pair}");
        assert!(pair.b.stderr.contains("Security Violation"), "{pair}");
        assert_ne!(
            pair.a.status.code(),
            Some(0),
            "sx must see the cancel\n{pair}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// YMODEM: sb / rb

/// Our link `sb ARGS a.bin b.bin` into the real `rb` in `dst/`.
fn link_sb_into_rb(args: &[&str]) {
    if !require_peers(&["rb"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work, &[]);
    let a_data = ymodem_source(&work, "a.bin", 70_000, 1);
    let b_data = ymodem_source(&work, "b.bin", 1, 2);
    let dst = work.path("dst");
    fs::create_dir(&dst).expect("mkdir dst");
    let mut a = ours(
        &bin,
        "sb",
        &[args, &["a.bin", "b.bin"]].concat(),
        work.dir(),
    );
    let mut b = real("rb", &[], &dst);
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    // rb applies the mode with chmod: no umask.
    for (name, data) in [("a.bin", &a_data), ("b.bin", &b_data)] {
        if let Err(e) = check_ymodem_copy(&dst.join(name), data, MODE, MTIME) {
            panic!("{e}\n{pair}");
        }
    }
}

#[test]
fn sb_vv_into_rb() {
    link_sb_into_rb(&["-vv"]);
}

#[test]
fn sb_k_into_rb() {
    link_sb_into_rb(&["-k", "-v"]);
}

/// The real `sb SB a.bin b.bin` into our link `NAME ARGS` run in `dst/`, where `b.bin` already
/// exists: it is skipped (kept as it was) and `a.bin` arrives.
fn sb_into_link_rb(sb: &[&str], name: &str, args: &[&str]) {
    if !require_peers(&["sb"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work, &[]);
    let a_data = ymodem_source(&work, "a.bin", 70_000, 3);
    ymodem_source(&work, "b.bin", 3000, 4);
    let dst = work.path("dst");
    fs::create_dir(&dst).expect("mkdir dst");
    fs::write(dst.join("b.bin"), b"keep me").expect("write dst/b.bin");
    let mut a = real("sb", &[sb, &["a.bin", "b.bin"]].concat(), work.dir());
    let mut b = ours(&bin, name, args, &dst);
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    if let Err(e) = check_ymodem_copy(&dst.join("a.bin"), &a_data, MODE & !umask(), MTIME) {
        panic!("{e}\n{pair}");
    }
    assert_eq!(fs::read(dst.join("b.bin")).expect("read b.bin"), b"keep me");
    let mut entries: Vec<_> = fs::read_dir(&dst)
        .expect("list dst")
        .map(|e| e.expect("entry").file_name())
        .collect();
    entries.sort();
    assert_eq!(entries, ["a.bin", "b.bin"], "{pair}");
}

#[test]
fn sb_k_into_rb_vv() {
    sb_into_link_rb(&["-k"], "rb", &["-vv"]);
}

#[test]
fn sb_into_ry() {
    sb_into_link_rb(&[], "ry", &["-q"]);
}

/// lrzsz `rx` without a file name receives a batch like `rb`; so does ours.
#[test]
fn sb_into_rx_without_file() {
    sb_into_link_rb(&["-k"], "rx", &["-v"]);
}

/// `-y` replaces the existing file.
#[test]
fn sb_into_rb_y_overwrites() {
    if !require_peers(&["sb"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work, &[]);
    let data = ymodem_source(&work, "a.bin", 3000, 5);
    let dst = work.path("dst");
    fs::create_dir(&dst).expect("mkdir dst");
    fs::write(dst.join("a.bin"), b"old").expect("write dst/a.bin");
    let mut a = real("sb", &["-k", "a.bin"], work.dir());
    let mut b = ours(&bin, "rb", &["-y"], &dst);
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    if let Err(e) = check_ymodem_copy(&dst.join("a.bin"), &data, MODE & !umask(), MTIME) {
        panic!("{e}\n{pair}");
    }
}

// ---------------------------------------------------------------------------------------------
// Exit codes, compared with the real lrzsz

/// Command lines lrzsz rejects with exit 2, and so do we.
const USAGE_ERRORS: &[(&str, &[&str])] = &[
    ("sx", &[]),
    ("sx", &["--bogus", "in.bin"]),
    ("sx", &["-g", "in.bin"]),
    ("sx", &["-t", "5", "in.bin"]),
    ("sx", &["-t", "abc", "in.bin"]),
    ("sx", &["in.bin", "-t"]),
    ("sb", &["--time=50", "in.bin"]),
    ("rx", &["a", "b"]),
    ("rx", &["-k", "out.bin"]),
    ("rb", &["out.bin"]),
    ("rb", &["--ymodem", "x"]),
    ("sx", &["-Z", "in.bin"]),
];

/// Command lines that only we reject with exit 2 (lrzsz would try something we do not do).
const OUR_USAGE_ERRORS: &[(&str, &[&str])] = &[
    ("sx", &["-c", "ls", "in.bin"]),
    ("sx", &["-"]),
    ("sx", &["in.bin", "in.bin"]),
    ("rx", &["-D", "out.bin"]),
    ("rx", &["-+", "out.bin"]),
    ("rx", &["-g", "out.bin"]),
    ("rb", &["--tcp-client", "host:1"]),
];

#[test]
fn usage_errors_exit_2_like_lrzsz() {
    let work = Work::new();
    let bin = install(&work, &[]);
    work.write("in.bin", b"data");
    let have_lrzsz = require_peers(&["sx", "sb", "rx", "rb"]);
    for (name, args) in USAGE_ERRORS.iter().chain(OUR_USAGE_ERRORS) {
        let (code, out, err) = run_alone(ours(&bin, name, args, work.dir()));
        assert_eq!(code, Some(2), "our {name} {args:?}: {err}");
        assert!(
            out.is_empty(),
            "our {name} {args:?} wrote {}",
            hex(&out, 32)
        );
        assert!(
            err.starts_with(&format!("{name}: ")),
            "our {name} {args:?}: {err}"
        );
    }
    if have_lrzsz {
        for (name, args) in USAGE_ERRORS {
            let (code, _, err) = run_alone(real(name, args, work.dir()));
            assert_eq!(code, Some(2), "lrzsz {name} {args:?}: {err}");
        }
    }
    assert_eq!(work.entries(), ["bin", "in.bin"], "nothing was received");
}

#[test]
fn help_and_version_exit_0() {
    let work = Work::new();
    let bin = install(&work, &[]);
    for (name, arg) in [("sx", "--help"), ("rb", "-h"), ("sb", "--version")] {
        let (code, out, err) = run_alone(ours(&bin, name, &[arg], work.dir()));
        assert_eq!(code, Some(0), "{name} {arg}: {err}");
        assert!(String::from_utf8_lossy(&out).contains(name), "{name} {arg}");
    }
}

#[test]
fn ignored_flags_are_noted_with_v() {
    let work = Work::new();
    let bin = install(&work, &[]);
    work.write("in.bin", b"data");
    // stdin is /dev/null: the transfer fails at once (128); the notes come first.
    let args = [
        "-v",
        "-a",
        "-T",
        "-w",
        "1024",
        "--delay-startup",
        "3",
        "-2",
        "in.bin",
    ];
    let (code, _, err) = run_alone(ours(&bin, "sx", &args, work.dir()));
    assert_eq!(code, Some(128), "{err}");
    for note in [
        "sx: ignoring -a: ",
        "sx: ignoring -T: ",
        "sx: ignoring -w 1024: ",
        "sx: ignoring --delay-startup 3: ",
        "sx: ignoring -2: ",
    ] {
        assert!(err.contains(note), "{note:?} missing from:\n{err}");
    }
    let (code, _, err) = run_alone(ours(&bin, "sx", &args[1..], work.dir()));
    assert_eq!(code, Some(128), "{err}");
    assert!(!err.contains("ignoring"), "notes only with -v:\n{err}");
}

/// `sx missing.bin` (relative, as users type it): lrzsz cancels and exits 128; so do we.
#[test]
fn sx_missing_file_cancels_and_exits_128() {
    let work = Work::new();
    let bin = install(&work, &[]);
    let mut runs = vec![(
        "ours",
        ours(&bin, "sx", &["-vv", "missing.bin"], work.dir()),
    )];
    if require_peers(&["sx"]) {
        runs.push(("lrzsz", real("sx", &["-vv", "missing.bin"], work.dir())));
    }
    for (who, cmd) in runs {
        let (code, out, err) = run_alone(cmd);
        assert_eq!(code, Some(128), "{who}: {err}");
        assert!(
            out.starts_with(&CANCEL),
            "{who} sends the cancel sequence, not {}",
            hex(&out, 40)
        );
        assert!(
            err.contains("cannot open missing.bin") && err.contains("Can't open any requested"),
            "{who}: {err}"
        );
    }
}

/// `sb GOOD MISSING` sends GOOD and exits 1, like lrzsz; so does U-Boot's documented
/// `sx -b vv FILE` (`vv` is taken as a file name).
fn some_files_missing(
    sender: &str,
    args: &[&str],
    receiver: &str,
    rargs: &[&str],
    ours_sends: bool,
) {
    if !require_peers(&[sender, receiver]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work, &[]);
    let data = ymodem_source(&work, "good.bin", 3000, 6);
    let dst = work.path("dst");
    fs::create_dir(&dst).expect("mkdir dst");
    let mut a = if ours_sends {
        ours(&bin, sender, args, work.dir())
    } else {
        real(sender, args, work.dir())
    };
    let mut b = real(receiver, rargs, &dst);
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    assert_eq!(pair.a.status.code(), Some(1), "sender exits 1:\n{pair}");
    assert!(pair.b.status.success(), "receiver succeeds:\n{pair}");
    let checked = if receiver == "rb" {
        // rb applies the mode with chmod: no umask.
        check_ymodem_copy(&dst.join("good.bin"), &data, MODE, MTIME)
    } else {
        check_xmodem_copy(
            &fs::read(dst.join("out.bin")).unwrap_or_default(),
            &data,
            127,
        )
    };
    if let Err(e) = checked {
        panic!("{e}\n{pair}");
    }
}

#[test]
fn sb_some_files_missing_exits_1() {
    some_files_missing("sb", &["-vv", "good.bin", "missing.bin"], "rb", &[], true);
}

#[test]
fn lrzsz_sb_some_files_missing_exits_1() {
    some_files_missing("sb", &["-vv", "good.bin", "missing.bin"], "rb", &[], false);
}

#[test]
fn sx_b_vv_file_sends_file_and_exits_1() {
    some_files_missing(
        "sx",
        &["-b", "vv", "good.bin"],
        "rx",
        &["-c", "out.bin"],
        true,
    );
}

/// A peer that starts and then cancels with CAN CAN: exit 128 (ours and lrzsz's).
fn peer_cancels(name: &str, args: &[&str], first: &[u8], then_read: usize) {
    let work = Work::new();
    let bin = install(&work, &[]);
    work.write("in.bin", &[0x55; 300]);
    let mut runs = vec![("ours", ours(&bin, name, args, work.dir()))];
    if require_peers(&[name]) {
        runs.push(("lrzsz", real(name, args, work.dir())));
    }
    for (who, cmd) in runs {
        let mut peer = Scripted::spawn(cmd);
        peer.write(first);
        let _ = peer.read(then_read, ANSWER);
        peer.write(&[CAN, CAN]);
        let (finished, _) = peer.wait(LIMIT);
        assert_eq!(finished.status.code(), Some(128), "{who}:\n{finished}");
    }
}

#[test]
fn sx_peer_cancel_exits_128() {
    // `C`, then block 1 (133 bytes with CRC), then CAN CAN.
    peer_cancels("sx", &["-vv", "in.bin"], b"C", 133);
}

#[test]
fn rb_peer_cancel_exits_128() {
    // rb asks with `C`; the "sender" cancels.
    peer_cancels("rb", &["-vv"], b"", 1);
}

/// Signals: 128 + N, like lrzsz (SIGTERM 143, SIGINT 130), and the peer is told.
fn killed_by(signal: rustix::process::Signal, want: i32) {
    let work = Work::new();
    let bin = install(&work, &[]);
    let mut runs = vec![("ours", ours(&bin, "rb", &[], work.dir()))];
    if require_peers(&["rb"]) {
        runs.push(("lrzsz", real("rb", &[], work.dir())));
    }
    // Its first `C` says it is running.
    let running = |seen: &[u8]| seen.contains(&b'C');
    assert_killed_and_cancels("rb", runs, running, signal, want, &CANCEL);
}

#[test]
fn sigterm_exits_143() {
    killed_by(rustix::process::Signal::TERM, 143);
}

#[test]
fn sigint_exits_130() {
    killed_by(rustix::process::Signal::INT, 130);
}

/// `sx FILE` says, as lrzsz sx does, that the receiver has to be started by hand (lrzsz
/// 0.12.21: `Sending FILE, N blocks: Give your local XMODEM receive command now.\r\n`, N the
/// size in 128-byte blocks rounded down); it used to say nothing. `-q`: nothing.
#[test]
fn sx_says_to_start_the_receiver() {
    let work = Work::new();
    let bin = install(&work, &[]);
    work.random_file("f.bin", 5000, 0x5A);
    let (_, _, err) = run_alone(ours(&bin, "sx", &["f.bin"], work.dir()));
    assert!(
        err.starts_with(
            "Sending f.bin, 39 blocks: Give your local XMODEM receive command now.\r\n"
        ),
        "{err:?}"
    );
    let (_, _, err) = run_alone(ours(&bin, "sx", &["-q", "f.bin"], work.dir()));
    assert!(!err.contains("Give your"), "{err:?}");
}
