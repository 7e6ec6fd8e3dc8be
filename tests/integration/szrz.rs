//! The ZMODEM personalities `sz` and `rz` (links made by `xyzmodem install-links`) against the
//! real lrzsz `rz` and `sz` over pipe pairs: the command lines terminal programs run (minicom's
//! `sz -vv -b` and `rz -vv -b -E`, iTerm2's `sz FILE --escape --binary --bufsize 4096`), every
//! escape profile with every byte value in both directions, what the sender asks the receiver
//! to do with files it has, and lrzsz's exit codes, each compared with the real program given
//! the same command line. The terminal programs themselves are in `terminal_*` below.
//!
//! lrzsz 0.12.21rc behaviour relied on (also in docs/LRZSZ.md):
//! - `rz` writes `rz waiting to receive.` (no newline) to stderr, then its ZRINIT
//!   `**\x18B0100000023be50\r\x8a\x11`; with `-q` no text.
//! - `rz` skips a file it has unless `-y` or the sender's `-y` (ZMCLOB); `sz -Y` also skips
//!   files the receiver does not have.
//! - `sz MISSING`: `Can't open any requested files.`, the cancel sequence, exit 128.

use std::{
    fs,
    io::{Read, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use crate::common::{
    CAN, DEADLINE, Scripted, Work, assert_killed_and_cancels, cross_connect, hex, random_bytes,
    require_peers, run_pair, wait_or_kill, xyzmodem,
};

/// Kill a single run that takes longer than this.
const LIMIT: Duration = Duration::from_secs(30);
/// How long a scripted peer waits for each answer.
const ANSWER: Duration = Duration::from_secs(10);
/// lrzsz's cancel sequence.
const CANCEL: [u8; 20] = [
    CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
];
/// lrzsz `rz`'s first ZRINIT (CANFDX | CANOVIO | CANFC32, no buffer); ours is the same.
const ZRINIT: &[u8] = b"**\x18B0100000023be50\r\x8a\x11";
/// What terminal programs match to start an upload.
const WAITING: &str = "rz waiting to receive.";

/// `xyzmodem install-links WORK/bin --lsz-names`; returns `WORK/bin`.
pub(crate) fn install(work: &Work) -> PathBuf {
    let bin = work.path("bin");
    let out = xyzmodem()
        .arg("install-links")
        .arg(&bin)
        .arg("--lsz-names")
        .output()
        .expect("run install-links");
    assert!(
        out.status.success(),
        "install-links: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    bin
}

/// Our link `bin/name ARGS` in `cwd`.
pub(crate) fn ours(bin: &Path, name: &str, args: &[&str], cwd: &Path) -> Command {
    let mut cmd = Command::new(bin.join(name));
    cmd.args(args).current_dir(cwd);
    cmd
}

/// The real lrzsz program `name ARGS` in `cwd`.
fn real(name: &str, args: &[&str], cwd: &Path) -> Command {
    let mut cmd = Command::new(name);
    cmd.args(args).current_dir(cwd);
    cmd
}

/// A directory `work/name`, created.
fn subdir(work: &Work, name: &str) -> PathBuf {
    let dir = work.path(name);
    fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// Every byte value many times, in runs that matter to the escape profiles: each value alone,
/// each value before `~` and after CR and LF, after `@`, doubled, runs of 0xFF and ZDLE, then
/// seeded noise.
fn every_byte() -> Vec<u8> {
    let mut data = Vec::new();
    for round in 0..4u8 {
        data.extend(0..=255u8);
        data.extend((0..=255u8).rev());
        for b in 0..=255u8 {
            data.extend_from_slice(&[b, b'~', b'\r', b, b'\n', b'~', b'@', b, b, b'\r', b'~']);
        }
        data.extend_from_slice(&[0xFF; 64]);
        data.extend_from_slice(&[0x18; 64]);
        data.extend_from_slice(b"**\x18B0100000023be50\r\x8a\x11rz\r~.");
        data.push(round);
    }
    data.extend(random_bytes(20_000, 0x5A5A));
    data
}

/// Runs `a` (ours) and `b` with `b`'s stdin fed by a relay that records everything `a` writes:
/// the bytes on the wire from our sender. Returns both exit codes, both stderrs and the wire.
fn run_recorded(mut a: Command, mut b: Command) -> (Option<i32>, Option<i32>, String, Vec<u8>) {
    let (a_in, b_out) = std::io::pipe().expect("pipe");
    a.stdin(a_in).stdout(Stdio::piped()).stderr(Stdio::piped());
    b.stdin(Stdio::piped()).stdout(b_out).stderr(Stdio::piped());
    let mut a = a.spawn().expect("spawn our sender");
    let mut b = b.spawn().expect("spawn the receiver");
    drop((a.stdin.take(), b.stdout.take()));
    let mut from = a.stdout.take().expect("piped");
    let mut to = b.stdin.take().expect("piped");
    let relay = thread::spawn(move || {
        let mut wire = Vec::new();
        let mut buf = [0u8; 65536];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            wire.extend_from_slice(&buf[..n]);
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        wire
    });
    let stderr = |child: &mut std::process::Child| {
        let mut pipe = child.stderr.take().expect("piped");
        thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let (ea, eb) = (stderr(&mut a), stderr(&mut b));
    let end = Instant::now() + DEADLINE;
    let wait = |child: &mut std::process::Child| wait_or_kill(child, end).0.code();
    let (ca, cb) = (wait(&mut a), wait(&mut b));
    let wire = relay.join().unwrap_or_default();
    let err = format!(
        "ours:\n{}\npeer:\n{}",
        ea.join().unwrap_or_default(),
        eb.join().unwrap_or_default()
    );
    (ca, cb, err, wire)
}

// ---------------------------------------------------------------------------------------------
// Escape profiles: every byte value through the real rz and from the real sz

/// `xyzmodem send -Z --escape PROFILE` (or our `sz` link with `-e`) into the real `rz`: the
/// file arrives byte-exact, and the wire keeps the profile's promise.
fn profile_into_rz(sender: &[&str], check: fn(&[u8]) -> Result<(), String>) {
    if !require_peers(&["rz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let data = every_byte();
    work.write("every.bin", &data);
    let dst = subdir(&work, "dst");
    let a = if sender[0] == "sz" {
        ours(&bin, "sz", &sender[1..], work.dir())
    } else {
        let mut cmd = xyzmodem();
        cmd.args(sender).current_dir(work.dir());
        cmd
    };
    let (ca, cb, err, wire) = run_recorded(a, real("rz", &["-q"], &dst));
    assert_eq!((ca, cb), (Some(0), Some(0)), "{sender:?}\n{err}");
    let got = fs::read(dst.join("every.bin")).expect("read the received file");
    assert!(
        got == data,
        "{sender:?}: {} bytes differ\n{err}",
        data.len()
    );
    if let Err(e) = check(&wire) {
        panic!("{sender:?}: {e}\n{err}");
    }
}

/// The sender's bytes after `rz\r`: ZRQINIT and everything after it.
fn frames(wire: &[u8]) -> &[u8] {
    wire.strip_prefix(b"rz\r").unwrap_or(wire)
}

fn raw_ff_and_controls(wire: &[u8]) -> Result<(), String> {
    // The minimal profile sends most control bytes and 0xFF raw: the checks below can fail.
    let wire = frames(wire);
    if !wire.contains(&0xFF) || !wire.contains(&0x00) {
        return Err(format!("expected raw 0xFF and NUL: {}", hex(wire, 64)));
    }
    Ok(())
}

/// Outside hex headers (`**\x18B` ... `\r\x8a`), no control byte is sent raw except the XON
/// after a header or a ZCRCW and ZDLE itself.
fn no_raw_controls(wire: &[u8]) -> Result<(), String> {
    let wire = frames(wire);
    let mut hex_header = false;
    for (i, w) in wire.windows(4).enumerate() {
        if w == b"**\x18B" {
            hex_header = true;
        }
        let b = w[0];
        if hex_header && b == 0x8A {
            hex_header = false;
            continue;
        }
        if !hex_header && b & 0x60 == 0 && b != 0x18 && b != 0x11 {
            return Err(format!(
                "raw {b:#04x} at {i}: {}",
                hex(&wire[i.saturating_sub(8)..], 24)
            ));
        }
    }
    Ok(())
}

fn no_ff(wire: &[u8]) -> Result<(), String> {
    match wire.iter().position(|&b| b == 0xFF) {
        Some(i) => Err(format!("0xFF (telnet IAC) on the wire at {i}")),
        None => Ok(()),
    }
}

fn no_tilde_after_newline(wire: &[u8]) -> Result<(), String> {
    match wire
        .windows(2)
        .position(|w| matches!(w, [b'\r' | b'\n', b'~']))
    {
        Some(i) => Err(format!(
            "`~` after a newline at {i}: {}",
            hex(&wire[i..], 8)
        )),
        None => Ok(()),
    }
}

#[test]
fn every_byte_into_rz_escape_minimal() {
    profile_into_rz(
        &["send", "-Z", "--escape", "minimal", "every.bin"],
        raw_ff_and_controls,
    );
}

#[test]
fn every_byte_into_rz_escape_all() {
    profile_into_rz(
        &["send", "-Z", "--escape", "all", "every.bin"],
        no_raw_controls,
    );
}

#[test]
fn every_byte_into_rz_sz_e() {
    profile_into_rz(&["sz", "-e", "every.bin"], no_raw_controls);
}

#[test]
fn every_byte_into_rz_escape_telnet() {
    profile_into_rz(&["send", "-Z", "--escape", "telnet", "every.bin"], no_ff);
}

#[test]
fn every_byte_into_rz_escape_ssh() {
    profile_into_rz(
        &["send", "-Z", "--escape", "ssh", "every.bin"],
        no_tilde_after_newline,
    );
}

/// The real `sz SZ every.bin` into our receiver `RECV` (a link or `xyzmodem recv`).
fn sz_into_ours(sz: &[&str], link: Option<&str>, args: &[&str]) {
    if !require_peers(&["sz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let data = every_byte();
    work.write("every.bin", &data);
    let dst = subdir(&work, "dst");
    let mut a = real("sz", &[sz, &["every.bin"]].concat(), work.dir());
    let mut b = match link {
        Some(name) => ours(&bin, name, args, &dst),
        None => {
            let mut cmd = xyzmodem();
            cmd.args(args).current_dir(&dst);
            cmd
        }
    };
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    let got = fs::read(dst.join("every.bin")).unwrap_or_default();
    assert!(got == data, "{} bytes differ\n{pair}", data.len());
}

#[test]
fn every_byte_from_sz_into_rz() {
    sz_into_ours(&[], Some("rz"), &[]);
}

#[test]
fn every_byte_from_sz_e_into_rz() {
    sz_into_ours(&["-e"], Some("rz"), &["-q"]);
}

#[test]
fn every_byte_from_sz_into_rz_e() {
    // Our rz -e asks for ESCCTL: the real sz escapes every control byte.
    sz_into_ours(&[], Some("rz"), &["-e"]);
}

#[test]
fn every_byte_from_sz_into_recv_escape_ssh() {
    sz_into_ours(&["-8"], None, &["recv", "-Z", "--escape", "ssh"]);
}

// ---------------------------------------------------------------------------------------------
// The command lines terminal programs run

/// Our `sz ARGS a.bin b.bin` into the real `rz` in `dst/`.
fn link_sz_into_rz(args: &[&str], files_after: bool) {
    if !require_peers(&["rz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let (_, a) = work.random_file("a.bin", 200_000, 1);
    let (_, b) = work.random_file("b.bin", 1, 2);
    let dst = subdir(&work, "dst");
    let list = if files_after {
        [args, &["a.bin", "b.bin"]].concat()
    } else {
        [&["a.bin", "b.bin"], args].concat()
    };
    let mut tx = ours(&bin, "sz", &list, work.dir());
    let mut rx = real("rz", &[], &dst);
    cross_connect(&mut tx, &mut rx);
    let pair = run_pair(tx, rx, DEADLINE);
    pair.assert_success();
    assert!(
        fs::read(dst.join("a.bin")).unwrap_or_default() == a,
        "{pair}"
    );
    assert_eq!(fs::read(dst.join("b.bin")).unwrap_or_default(), b, "{pair}");
}

/// minicom's upload: `sz -vv -b`.
#[test]
fn sz_vv_b_into_rz() {
    link_sz_into_rz(&["-vv", "-b"], true);
}

/// `sz -vv F`, and lrzsz's big subpackets.
#[test]
fn sz_vv_8_into_rz() {
    link_sz_into_rz(&["-vv", "-8"], true);
}

/// iTerm2's documented trigger: options after the file names.
#[test]
fn sz_files_then_escape_binary_bufsize_into_rz() {
    link_sz_into_rz(&["--escape", "--binary", "--bufsize", "4096"], false);
}

/// `lsz` with a window and a frame length.
#[test]
fn lsz_window_into_rz() {
    if !require_peers(&["rz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let (_, data) = work.random_file("a.bin", 100_000, 3);
    let dst = subdir(&work, "dst");
    let mut tx = ours(
        &bin,
        "lsz",
        &["-w", "4096", "-L", "512", "a.bin"],
        work.dir(),
    );
    let mut rx = real("rz", &[], &dst);
    cross_connect(&mut tx, &mut rx);
    let pair = run_pair(tx, rx, DEADLINE);
    pair.assert_success();
    assert!(
        fs::read(dst.join("a.bin")).unwrap_or_default() == data,
        "{pair}"
    );
}

/// The real `sz SZ a.bin b.bin` into our link `NAME ARGS` in `dst/`, which holds an old
/// `b.bin`: `a.bin` arrives, and `b.bin` is kept (or renamed, with `-E`).
fn sz_into_link_rz(sz: &[&str], name: &str, args: &[&str]) {
    if !require_peers(&["sz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let (_, a) = work.random_file("a.bin", 200_000, 4);
    let (_, b) = work.random_file("b.bin", 3000, 5);
    let dst = subdir(&work, "dst");
    fs::write(dst.join("b.bin"), b"keep me").expect("write dst/b.bin");
    let mut tx = real("sz", &[sz, &["a.bin", "b.bin"]].concat(), work.dir());
    let mut rx = ours(&bin, name, args, &dst);
    cross_connect(&mut tx, &mut rx);
    let pair = run_pair(tx, rx, DEADLINE);
    pair.assert_success();
    assert!(
        fs::read(dst.join("a.bin")).unwrap_or_default() == a,
        "{pair}"
    );
    assert_eq!(
        fs::read(dst.join("b.bin")).expect("b.bin"),
        b"keep me",
        "{pair}"
    );
    let renamed = args.contains(&"-E");
    let mut entries: Vec<_> = fs::read_dir(&dst)
        .expect("list dst")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    let want: &[&str] = if renamed {
        &["a.bin", "b.bin", "b.bin.1"]
    } else {
        &["a.bin", "b.bin"]
    };
    assert_eq!(entries, want, "{pair}");
    if renamed {
        assert_eq!(fs::read(dst.join("b.bin.1")).expect("b.bin.1"), b, "{pair}");
    }
    if !args.contains(&"-q") {
        assert!(
            pair.b.stderr.starts_with(WAITING) || pair.b.stderr.contains(&format!("\n{WAITING}")),
            "{pair}"
        );
    }
}

/// minicom's download: `rz -vv -b -E`.
#[test]
fn sz_into_rz_vv_b_e() {
    sz_into_link_rz(&[], "rz", &["-vv", "-b", "-E"]);
}

/// The sender's `-y` (ZMCLOB) does not make our rz replace a file: only rz's own `-y` does.
#[test]
fn sz_y_into_rz_keeps_existing_files() {
    sz_into_link_rz(&["-y"], "rz", &[]);
}

#[test]
fn sz_iterm2_options_into_lrz() {
    sz_into_link_rz(
        &["--escape", "--binary", "--bufsize", "4096"],
        "lrz",
        &["-q"],
    );
}

/// `rz -y` replaces a file it has, once the new one is complete.
#[test]
fn sz_into_rz_y_overwrites() {
    if !require_peers(&["sz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let (_, data) = work.random_file("a.bin", 5000, 6);
    let dst = subdir(&work, "dst");
    fs::write(dst.join("a.bin"), b"old").expect("write");
    let mut tx = real("sz", &["a.bin"], work.dir());
    let mut rx = ours(&bin, "rz", &["-y"], &dst);
    cross_connect(&mut tx, &mut rx);
    let pair = run_pair(tx, rx, DEADLINE);
    pair.assert_success();
    assert_eq!(fs::read(dst.join("a.bin")).expect("a.bin"), data, "{pair}");
}

/// What our `sz` asks the real `rz` to do with files it has: nothing (rz skips them), `-y`
/// (replace), `-Y` (replace, and skip files it does not have), `-E` (lrzsz renames: `NAME.0`).
#[test]
fn sz_existing_file_requests_reach_rz() {
    if !require_peers(&["rz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let (_, old) = work.random_file("old.bin", 3000, 7);
    let (_, new) = work.random_file("new.bin", 2000, 8);
    for (args, want_old, want_new, extra) in [
        (&[][..], Some("keep"), Some("sent"), None),
        (&["-y"][..], Some("sent"), Some("sent"), None),
        (&["-Y"][..], Some("sent"), None, None),
        (&["-E"][..], Some("keep"), Some("sent"), Some("old.bin.0")),
    ] {
        let dst = subdir(&work, &format!("dst{}", args.join("")));
        fs::write(dst.join("old.bin"), b"previous").expect("write");
        let mut tx = ours(
            &bin,
            "sz",
            &[args, &["old.bin", "new.bin"]].concat(),
            work.dir(),
        );
        let mut rx = real("rz", &[], &dst);
        cross_connect(&mut tx, &mut rx);
        let pair = run_pair(tx, rx, DEADLINE);
        pair.assert_success();
        let got_old = fs::read(dst.join("old.bin")).expect("old.bin");
        match want_old {
            Some("keep") => assert_eq!(got_old, b"previous", "sz {args:?}\n{pair}"),
            _ => assert_eq!(got_old, old, "sz {args:?}\n{pair}"),
        }
        let got_new = fs::read(dst.join("new.bin")).ok();
        assert_eq!(
            got_new,
            want_new.map(|_| new.clone()),
            "sz {args:?}\n{pair}"
        );
        if let Some(name) = extra {
            assert_eq!(
                fs::read(dst.join(name)).ok(),
                Some(old.clone()),
                "sz {args:?}\n{pair}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// rz's start: the text terminal programs match, a pipe for stdin

/// stderr, then stdout, of a receiver that gets only EOF on stdin: our rz and lrzsz's rz write
/// the same text and the same first ZRINIT.
#[test]
fn rz_waiting_text_and_first_zrinit_match_lrzsz() {
    let work = Work::new();
    let bin = install(&work);
    let mut runs = vec![("ours", ours(&bin, "rz", &[], work.dir()))];
    if require_peers(&["rz"]) {
        runs.push(("lrzsz", real("rz", &[], work.dir())));
    }
    for (who, cmd) in runs {
        let mut peer = Scripted::spawn(cmd);
        let first = peer.read(ZRINIT.len(), ANSWER);
        assert_eq!(first, ZRINIT, "{who}: {}", hex(&first, 32));
        let (finished, _) = peer.wait(LIMIT);
        assert!(
            finished.stderr.starts_with(WAITING),
            "{who}: {:?}",
            finished.stderr
        );
        assert_eq!(finished.status.code(), Some(128), "{who}:\n{finished}");
    }
    // -q: no text at all before the ZRINIT (lrzsz prints none either).
    let mut peer = Scripted::spawn(ours(&bin, "rz", &["-q"], work.dir()));
    assert_eq!(peer.read(ZRINIT.len(), ANSWER), ZRINIT);
    let (finished, _) = peer.wait(LIMIT);
    assert!(!finished.stderr.contains("waiting"), "{finished}");
}

// ---------------------------------------------------------------------------------------------
// Exit codes, compared with the real lrzsz

/// Command lines lrzsz's sz and rz reject with exit 2, and so do we.
const USAGE_ERRORS: &[(&str, &[&str])] = &[
    ("sz", &[]),
    ("sz", &["--bogus", "in.bin"]),
    ("sz", &["-Z", "in.bin"]),
    ("sz", &["-g", "in.bin"]),
    ("sz", &["-L", "10", "in.bin"]),
    ("sz", &["-l", "9000", "in.bin"]),
    ("sz", &["-w", "abc", "in.bin"]),
    ("sz", &["-t", "5", "in.bin"]),
    ("sz", &["in.bin", "--escape", "-t"]),
    ("rz", &["out.bin"]),
    ("rz", &["-Z", "out.bin"]),
    ("rz", &["-8"]),
    ("rz", &["-Y"]),
    ("rz", &["-L", "100"]),
    ("rz", &["--bogus"]),
    ("rz", &["-w", "abc"]),
    ("rz", &["-t", "2000"]),
    ("rz", &["-X", "a", "b"]),
];

/// Command lines only we reject with exit 2: lrzsz would run a command on the other side, read
/// stdin, write to /dev/null or append.
const OUR_USAGE_ERRORS: &[(&str, &[&str])] = &[
    ("sz", &["-c", "ls"]),
    ("sz", &["-i", "ls"]),
    ("sz", &["-"]),
    ("rz", &["-D"]),
    ("rz", &["-+"]),
    ("rz", &["-g"]),
    ("rz", &["--tcp-server"]),
];

/// Runs `cmd` with stdin from /dev/null until it exits (killed after `LIMIT`); returns exit
/// code, stdout and stderr.
fn run_alone(mut cmd: Command) -> (Option<i32>, Vec<u8>, String) {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = out.wait_with_output().expect("wait");
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_exit_2_like_lrzsz() {
    let work = Work::new();
    let bin = install(&work);
    work.write("in.bin", b"data");
    let have_lrzsz = require_peers(&["sz", "rz"]);
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

/// `sz missing.bin`: lrzsz cancels and exits 128; so do we.
#[test]
fn sz_missing_file_cancels_and_exits_128() {
    let work = Work::new();
    let bin = install(&work);
    let mut runs = vec![(
        "ours",
        ours(&bin, "sz", &["-vv", "missing.bin"], work.dir()),
    )];
    if require_peers(&["sz"]) {
        runs.push(("lrzsz", real("sz", &["-vv", "missing.bin"], work.dir())));
    }
    for (who, cmd) in runs {
        let (code, out, err) = run_alone(cmd);
        assert_eq!(code, Some(128), "{who}: {err}");
        assert!(
            out.windows(CANCEL.len()).any(|w| w == CANCEL),
            "{who} sends the cancel sequence: {}",
            hex(&out, 80)
        );
        assert!(
            err.contains("cannot open missing.bin") && err.contains("Can't open any requested"),
            "{who}: {err}"
        );
    }
}

/// `sz GOOD MISSING` into the real rz: GOOD arrives and the exit code is 1, ours and lrzsz's.
#[test]
fn sz_some_files_missing_exits_1() {
    if !require_peers(&["sz", "rz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let (_, data) = work.random_file("good.bin", 3000, 9);
    for who in ["ours", "lrzsz"] {
        let dst = subdir(&work, &format!("dst-{who}"));
        let args = ["-vv", "good.bin", "missing.bin"];
        let mut tx = if who == "ours" {
            ours(&bin, "sz", &args, work.dir())
        } else {
            real("sz", &args, work.dir())
        };
        let mut rx = real("rz", &[], &dst);
        cross_connect(&mut tx, &mut rx);
        let pair = run_pair(tx, rx, DEADLINE);
        assert_eq!(pair.a.status.code(), Some(1), "{who} sz exits 1:\n{pair}");
        assert!(pair.b.status.success(), "{pair}");
        assert_eq!(
            fs::read(dst.join("good.bin")).ok(),
            Some(data.clone()),
            "{pair}"
        );
    }
}

/// A peer that cancels (CAN × 8) after the first frame: exit 128, ours and lrzsz's, while
/// stdin is still open (so it is the cancel, not the end of the input, that ends it).
fn peer_cancels(name: &str, args: &[&str], first: usize) {
    let work = Work::new();
    let bin = install(&work);
    work.write("in.bin", &[0x55; 300]);
    let mut runs = vec![("ours", ours(&bin, name, args, work.dir()))];
    if require_peers(&[name]) {
        runs.push(("lrzsz", real(name, args, work.dir())));
    }
    for (who, mut cmd) in runs {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        let mut head = vec![0u8; first];
        stdout.read_exact(&mut head).expect("the first frame");
        assert!(
            head.windows(4).any(|w| w == b"**\x18B"),
            "{who}: {}",
            hex(&head, 32)
        );
        stdin.write_all(&[CAN; 8]).expect("write the cancel");
        let (status, killed) = wait_or_kill(&mut child, Instant::now() + LIMIT);
        assert!(!killed, "{who} {name} ignores the cancel");
        drop(stdin);
        assert_eq!(status.code(), Some(128), "{who} {name}: {status}");
    }
}

#[test]
fn sz_peer_cancel_exits_128() {
    // `rz\r` and the ZRQINIT (24 bytes), then the cancel.
    peer_cancels("sz", &["-vv", "in.bin"], 24);
}

#[test]
fn rz_peer_cancel_exits_128() {
    peer_cancels("rz", &["-vv"], ZRINIT.len());
}

/// Signals on a waiting `rz`: 128 + N like lrzsz (SIGTERM 143, SIGINT 130), and the cancel
/// sequence goes to the peer.
fn killed_by(signal: rustix::process::Signal, want: i32) {
    let work = Work::new();
    let bin = install(&work);
    let mut runs = vec![("ours", ours(&bin, "rz", &[], work.dir()))];
    if require_peers(&["rz"]) {
        runs.push(("lrzsz", real("rz", &[], work.dir())));
    }
    // The first ZRINIT says it is running.
    let running = |seen: &[u8]| seen.ends_with(b"\r\x8a\x11");
    assert_killed_and_cancels("rz", runs, running, signal, want, &CANCEL);
}

#[test]
fn rz_sigterm_exits_143() {
    killed_by(rustix::process::Signal::TERM, 143);
}

#[test]
fn rz_sigint_exits_130() {
    killed_by(rustix::process::Signal::INT, 130);
}

// ---------------------------------------------------------------------------------------------
// A terminal program's ZMODEM trigger: GNU screen

/// GNU screen on one end of a "serial line" (a socat pty pair), lrzsz on the other end, as on a
/// board or a remote host, and our links where screen's user sits: screen's own ZMODEM
/// detection (`zmodem catch`: it runs `zmodem recvcmd`/`sendcmd`, our links, after the user
/// confirms at its `:` prompt) or its relay to the user's terminal (`zmodem pass`: our link
/// runs where the terminal is, started when `**\x18B00`/`**\x18B01` shows on the display).
/// Every byte value, byte-exact.
struct Screen {
    socat: std::process::Child,
    screen: std::process::Child,
    /// The display: screen's terminal, held by the test.
    display: std::os::fd::OwnedFd,
    /// What screen writes to the display, as it comes.
    shown: mpsc::Receiver<Vec<u8>>,
    /// Everything read from `shown` so far.
    seen: Vec<u8>,
    /// The far end of the line.
    far: PathBuf,
    env: Vec<(String, PathBuf)>,
}

/// One direction through screen: `Down` is the far side's `sz` to our `rz`, `Up` our `sz` to
/// the far side's `rz`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Way {
    Down,
    Up,
}

impl Screen {
    /// socat's pty pair, then screen attached to one end with the display on a new pty.
    fn start(work: &Work, bin: &Path, mode: &str) -> Self {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
        let sock = subdir(work, "sock");
        fs::set_permissions(&sock, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .expect("chmod sock");
        let home = subdir(work, "home");
        let rc = work.write(
            "screenrc",
            format!(
                "startup_message off\nzmodem {mode}\n\
                 zmodem recvcmd \"!!! {b}/rz -vv -b -E\"\nzmodem sendcmd \"!!! {b}/sz -vv -b \"\n",
                b = bin.display()
            )
            .as_bytes(),
        );
        let (near, far) = (work.path("ttyA"), work.path("ttyB"));
        let mut socat = Command::new("socat")
            .arg("-d")
            .arg("-d")
            .arg(format!("PTY,link={},raw,echo=0", near.display()))
            .arg(format!("PTY,link={},raw,echo=0", far.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn socat");
        // socat says when both ptys are there.
        let mut log = std::io::BufReader::new(socat.stderr.take().expect("piped"));
        let mut line = String::new();
        while !line.contains("starting data transfer loop") {
            line.clear();
            if std::io::BufRead::read_line(&mut log, &mut line).unwrap_or(0) == 0 {
                let _ = socat.kill();
                panic!("socat ended before its ptys were ready");
            }
        }
        thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().expect("utf-8 pty name"))
            .expect("open the display's pty");
        let line = fs::canonicalize(&near).expect("the line's pty");
        let env = vec![
            ("TERM".to_owned(), PathBuf::from("xterm")),
            ("SCREENDIR".to_owned(), sock),
            ("HOME".to_owned(), home),
        ];
        let near_dir = subdir(work, "near");
        let screen = Command::new("screen")
            .args(["-c".as_ref(), rc.as_os_str()])
            .args(["-S", "szrz"])
            .arg(line)
            .arg("115200,cs8,-ixon,-ixoff,-istrip")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(near_dir)
            .stdin(slave.try_clone().expect("dup"))
            .stdout(slave.try_clone().expect("dup"))
            .stderr(slave)
            .spawn()
            .expect("spawn screen");
        let reader = master.try_clone().expect("dup the display");
        let (tx, shown) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n @ 1..) = rustix::io::read(&reader, &mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut s = Self {
            socat,
            screen,
            display: master,
            shown,
            seen: Vec::new(),
            far,
            env,
        };
        // The line works end to end once a text typed on the far side shows on the display.
        // screen discards what reached the line before it opened it, so the probe is typed
        // again until it shows.
        let mut probe = fs::OpenOptions::new()
            .write(true)
            .open(&s.far)
            .expect("open the far end");
        let end = Instant::now() + ANSWER;
        loop {
            probe.write_all(b"probe 4711\r\n").expect("write the probe");
            let until = (Instant::now() + Duration::from_millis(250)).min(end);
            if s.show(b"probe 4711", until).is_some() {
                break;
            }
            if Instant::now() >= end {
                panic!(
                    "the line through screen does not work: {}",
                    s.display_text()
                );
            }
        }
        s
    }

    /// What the display has shown so far, as text.
    fn display_text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads the display until `text` shows or `until` passes; where it starts.
    fn show(&mut self, text: &[u8], until: Instant) -> Option<usize> {
        loop {
            if let Some(at) = self.seen.windows(text.len()).position(|w| w == text) {
                return Some(at);
            }
            let left = until.saturating_duration_since(Instant::now());
            match self.shown.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => return None,
            }
        }
    }

    /// Reads the display until `text` shows (panics after `ANSWER`); returns where it starts.
    fn wait_for(&mut self, text: &[u8]) -> usize {
        match self.show(text, Instant::now() + ANSWER) {
            Some(at) => at,
            None => panic!(
                "screen did not show {:?}; the display had: {}",
                String::from_utf8_lossy(text),
                self.display_text()
            ),
        }
    }

    /// Types `keys` on the display.
    fn type_keys(&self, keys: &[u8]) {
        let mut rest = keys;
        while !rest.is_empty() {
            let n = rustix::io::write(&self.display, rest).expect("write to the display");
            rest = &rest[n..];
        }
    }

    /// lrzsz `name ARGS` on the far end of the line, in `cwd`.
    fn far(&self, name: &str, args: &[&str], cwd: &Path) -> std::process::Child {
        let tty = || {
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.far)
                .expect("open the far end")
        };
        Command::new(name)
            .args(args)
            .current_dir(cwd)
            .stdin(tty())
            .stdout(tty())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the far side")
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        // screen's server runs on after the front end: tell it to quit, then end what we
        // started.
        let _ = Command::new("screen")
            .args(["-S", "szrz", "-X", "quit"])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        for child in [&mut self.screen, &mut self.socat] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits for `child` (killed after `DEADLINE`); its exit code and stderr.
fn finish(mut child: std::process::Child) -> (Option<i32>, String) {
    let (status, _) = wait_or_kill(&mut child, Instant::now() + DEADLINE);
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut err);
    }
    (status.code(), err)
}

fn through_screen(mode: &str, way: Way) {
    if !require_peers(&["screen", "socat", "sz", "rz"]) {
        return;
    }
    let work = Work::new();
    let bin = install(&work);
    let data = every_byte();
    let far_dir = subdir(&work, "far");
    let near_dir = work.path("near");
    let mut screen = Screen::start(&work, &bin, mode);
    let (src, dst) = match way {
        Way::Down => (&far_dir, &near_dir),
        Way::Up => (&near_dir, &far_dir),
    };
    fs::write(src.join("every.bin"), &data).expect("write the file to send");
    let far = match way {
        Way::Down => screen.far("sz", &["-vv", "every.bin"], &far_dir),
        Way::Up => screen.far("rz", &["-vv"], &far_dir),
    };
    let near = match (mode, way) {
        ("catch", Way::Down) => {
            // screen offers its recvcmd at its `:` prompt; the user presses Enter.
            screen.wait_for(b"rz -vv -b -E");
            screen.type_keys(b"\r");
            None
        }
        ("catch", Way::Up) => {
            // screen offers its sendcmd; the user adds the file names.
            screen.wait_for(b"sz -vv -b ");
            screen.type_keys(b"every.bin\r");
            None
        }
        _ => {
            // zmodem pass: the terminal (here the test) sees the request on the display and
            // runs our link there, from the request on.
            let at = screen.wait_for(match way {
                Way::Down => b"**\x18B00",
                Way::Up => b"**\x18B01",
            });
            let mut cmd = match way {
                Way::Down => ours(&bin, "rz", &["-vv"], &near_dir),
                Way::Up => ours(&bin, "sz", &["-vv", "every.bin"], &near_dir),
            };
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn our link");
            let mut to = child.stdin.take().expect("piped");
            let head = screen.seen.split_off(at);
            let shown = std::mem::replace(&mut screen.shown, mpsc::channel().1);
            thread::spawn(move || {
                if to.write_all(&head).is_err() {
                    return;
                }
                for chunk in shown {
                    if to.write_all(&chunk).is_err() {
                        break;
                    }
                }
            });
            let mut from = child.stdout.take().expect("piped");
            let display = screen.display.try_clone().expect("dup the display");
            thread::spawn(move || {
                let mut buf = [0u8; 65536];
                while let Ok(n @ 1..) = from.read(&mut buf) {
                    let mut rest = &buf[..n];
                    while !rest.is_empty() {
                        match rustix::io::write(&display, rest) {
                            Ok(k) => rest = &rest[k..],
                            Err(_) => return,
                        }
                    }
                }
            });
            Some(child)
        }
    };
    let (near_code, near_err) = near.map(finish).unwrap_or((Some(0), String::new()));
    let (far_code, far_err) = finish(far);
    let report = format!("screen zmodem {mode} {way:?}\nfar:\n{far_err}\nnear:\n{near_err}");
    assert_eq!((far_code, near_code), (Some(0), Some(0)), "{report}");
    let got = fs::read(dst.join("every.bin")).unwrap_or_default();
    assert!(
        got == data,
        "{} of {} bytes arrived, or they differ\n{report}",
        got.len(),
        data.len()
    );
    drop(screen);
}

/// lrzsz `sz` on the line; screen catches it and runs our `rz -vv -b -E`.
#[test]
fn terminal_screen_zmodem_catch_download() {
    through_screen("catch", Way::Down);
}

/// lrzsz `rz` on the line; screen catches it and runs our `sz -vv -b every.bin`.
#[test]
fn terminal_screen_zmodem_catch_upload() {
    through_screen("catch", Way::Up);
}

/// lrzsz `sz` on the line; screen relays it to the display, where our `rz` runs.
#[test]
fn terminal_screen_zmodem_pass_download() {
    through_screen("pass", Way::Down);
}

/// lrzsz `rz` on the line; screen relays it to the display, where our `sz` runs. screen
/// swallows the receiver's final ZFIN here (lrzsz's `sz` waits for it far longer): ours ends
/// after its ZFIN retries, about 30 s, with every file acknowledged.
#[test]
fn terminal_screen_zmodem_pass_upload() {
    through_screen("pass", Way::Up);
}

#[test]
fn sz_rz_help_and_version_exit_0() {
    let work = Work::new();
    let bin = install(&work);
    for (name, arg, want) in [
        ("sz", "--help", "--escape"),
        ("rz", "-h", "--escape"),
        ("lsz", "--version", "lsz (xyzmodem)"),
        ("rz", "--version", "rz (xyzmodem)"),
    ] {
        let (code, out, err) = run_alone(ours(&bin, name, &[arg], work.dir()));
        assert_eq!(code, Some(0), "{name} {arg}: {err}");
        let out = String::from_utf8_lossy(&out);
        assert!(out.contains(want), "{name} {arg}: {out}");
    }
}
