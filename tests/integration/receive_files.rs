//! What a receive leaves on disk and says: the mode of a received file, partial files kept
//! or deleted on failure, a batch into a path that names one file, data beyond the announced
//! size, the summary of a resumed file, and the `--report` records.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, Work, cross_connect, random_bytes, require_peers, run_pair, sha256_hex, tree,
    wait_or_kill, xyzmodem,
};

/// lrzsz `sz -q NAMES` run in `dir`.
fn sz(dir: &Path, names: &[&str]) -> Command {
    let mut cmd = Command::new("sz");
    cmd.arg("-q").args(names).current_dir(dir);
    cmd
}

/// `sz` sends mode 100000 for a `chmod 000` file; the received copy is 0600 (checked on the
/// bits: as root, reading works whatever they are).
#[test]
fn sz_chmod_000_file_arrives_owner_readable() {
    if !require_peers(&["sz"]) {
        return;
    }
    let work = Work::new();
    fs::create_dir(work.path("src")).unwrap();
    let src = work.path("src").join("locked.bin");
    fs::write(&src, b"secret bytes").unwrap();
    fs::set_permissions(&src, fs::Permissions::from_mode(0o000)).unwrap();
    let mut a = sz(&work.path("src"), &["locked.bin"]);
    let mut b = xyzmodem();
    b.args(["recv", "-q"]).arg(work.path("dst/"));
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    let got = work.path("dst").join("locked.bin");
    assert_eq!(fs::read(&got).unwrap(), b"secret bytes", "{pair}");
    let mode = fs::metadata(&got).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "mode {mode:o}\n{pair}");
}

/// A ZMODEM sender's whole session, written without waiting for answers (our receiver reads
/// it in order from a file): `ZFILE` with the information `info` for each file, its data
/// from 0 in 1 KiB subpackets, `ZEOF` at its length; then `ZFIN` and `OO`.
fn zmodem_session(files: &[(&str, &[u8])]) -> Vec<u8> {
    use xyzmodem::proto::zmodem::{
        Encoder, EscapeProfile, FrameEnd, FrameType, Header, HeaderFormat,
    };
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    let mut out = Vec::new();
    let crc = HeaderFormat::Bin32.data_crc();
    for (info, data) in files {
        enc.header(&mut out, HeaderFormat::Bin32, &Header::new(FrameType::File));
        enc.subpacket(&mut out, info.as_bytes(), FrameEnd::CrcW, crc);
        enc.header(
            &mut out,
            HeaderFormat::Bin32,
            &Header::with_position(FrameType::Data, 0),
        );
        let mut pieces = data.chunks(1024).peekable();
        while let Some(piece) = pieces.next() {
            let end = if pieces.peek().is_some() {
                FrameEnd::CrcG
            } else {
                FrameEnd::CrcE
            };
            enc.subpacket(&mut out, piece, end, crc);
        }
        enc.header(
            &mut out,
            HeaderFormat::Hex,
            &Header::with_position(FrameType::Eof, data.len() as u32),
        );
    }
    enc.header(&mut out, HeaderFormat::Hex, &Header::new(FrameType::Fin));
    out.extend_from_slice(b"OO");
    out
}

/// Runs `xyzmodem ARGS` in `dir` with `input` as its stdin (from a file) and its stdout
/// discarded; its exit code and stderr, or a failure after 20 s.
fn run_on_input(dir: &Path, args: &[&str], input: &[u8]) -> (Option<i32>, String) {
    let stream = dir.join(".input");
    fs::write(&stream, input).unwrap();
    let mut child = xyzmodem()
        .args(args)
        .current_dir(dir)
        .stdin(fs::File::open(&stream).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let (status, killed) = wait_or_kill(&mut child, Instant::now() + Duration::from_secs(20));
    let stderr = reader.join().unwrap();
    fs::remove_file(&stream).unwrap();
    assert!(!killed, "xyzmodem {args:?} did not end\n{stderr}");
    (status.code(), stderr)
}

/// A ZMODEM header announcing 100 bytes, then 4 MiB: every byte is kept (a file may grow
/// while it is sent), exit 0, and one warning gives both lengths.
#[test]
fn zmodem_data_beyond_the_announced_size_is_kept_with_a_warning() {
    let work = Work::new();
    let data = random_bytes(4 << 20, 0x14);
    let input = zmodem_session(&[("f.bin\x00100 0 100644", &data)]);
    let (code, stderr) = run_on_input(work.dir(), &["recv", "-Z", "in/"], &input);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        sha256_hex(&fs::read(work.path("in/f.bin")).unwrap()),
        sha256_hex(&data),
        "{stderr}"
    );
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("announced")).collect();
    assert_eq!(
        warnings,
        ["xyzmodem: f.bin: 4194304 bytes received, 100 announced"],
        "{stderr}"
    );
}

/// Joins `sender` to `receiver` (both spawned here) with the sender's bytes carried by a
/// thread that stops after `limit` of them, holding both pipes open: the transfer is then in
/// the middle of a file, and stays there. The thread hands the pipes back when it stops.
fn spawn_stalled(
    mut sender: Command,
    mut receiver: Command,
    limit: usize,
) -> (
    std::process::Child,
    std::process::Child,
    std::thread::JoinHandle<(io::PipeReader, io::PipeWriter)>,
) {
    let (mut from_sender, sender_out) = io::pipe().unwrap();
    let (receiver_in, mut to_receiver) = io::pipe().unwrap();
    let (sender_in, receiver_out) = io::pipe().unwrap();
    sender
        .stdin(sender_in)
        .stdout(sender_out)
        .stderr(Stdio::null());
    receiver
        .stdin(receiver_in)
        .stdout(receiver_out)
        .stderr(Stdio::piped());
    let sender = sender.spawn().unwrap();
    let receiver = receiver.spawn().unwrap();
    let relay = std::thread::spawn(move || {
        let mut buf = vec![0u8; 4096];
        let mut carried = 0;
        while carried < limit {
            let want = buf.len().min(limit - carried);
            match from_sender.read(&mut buf[..want]) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to_receiver.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    carried += n;
                }
            }
        }
        (from_sender, to_receiver)
    });
    (sender, receiver, relay)
}

/// Waits until the hidden temporary file of a transfer into `dir` holds at least `bytes`.
fn wait_for_temp(dir: &Path, bytes: u64) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let held = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".xyzpart"))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .max();
        if held.is_some_and(|n| n >= bytes) {
            return;
        }
        assert!(Instant::now() < until, "no transfer in {}", dir.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SIGINT to `receiver` in the middle of a 1 MiB file from `sender` (both run in the work
/// directory: `src/big.bin` into `dst/`): exit 130. Returns its stderr and the file's data.
fn interrupt_mid_file(sender: Command, receiver: Command, work: &Work) -> (String, Vec<u8>) {
    use rustix::process::{Pid, Signal, kill_process};
    let data = fs::read(work.path("src/big.bin")).unwrap();
    let (mut sender, mut receiver, relay) = spawn_stalled(sender, receiver, 400_000);
    // Three 64 KiB buffers written: the file is well begun.
    wait_for_temp(&work.path("dst"), 3 << 16);
    kill_process(Pid::from_child(&receiver), Signal::INT).unwrap();
    let (status, killed) = wait_or_kill(&mut receiver, Instant::now() + Duration::from_secs(10));
    let mut stderr = String::new();
    receiver
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    drop(relay.join().unwrap());
    wait_or_kill(&mut sender, Instant::now() + Duration::from_secs(10));
    assert!(!killed, "the receiver did not end on SIGINT\n{stderr}");
    assert_eq!(status.code(), Some(130), "{stderr}");
    (stderr, data)
}

/// A work directory with a 1 MiB `src/big.bin` and an empty `dst/`.
fn big_file_work(seed: u64) -> Work {
    let work = Work::new();
    fs::create_dir(work.path("src")).unwrap();
    fs::create_dir(work.path("dst")).unwrap();
    fs::write(work.path("src/big.bin"), random_bytes(1 << 20, seed)).unwrap();
    work
}

/// SIGINT to `receiver` in the middle of `src/big.bin` from `sender`, a ZMODEM session: what
/// arrived stays as `dst/big.bin.part` (a prefix of the file), nothing under the final name,
/// and the message, naming the part as `shown`, says how to continue. Returns the file.
fn interrupted_zmodem_keeps_the_part(
    sender: Command,
    receiver: Command,
    work: &Work,
    shown: &str,
) -> Vec<u8> {
    let (stderr, data) = interrupt_mid_file(sender, receiver, work);
    assert_eq!(
        tree(&work.path("dst")),
        [Path::new("big.bin.part")],
        "{stderr}"
    );
    let part = fs::read(work.path("dst/big.bin.part")).unwrap();
    assert!(
        part.len() >= 3 << 16 && part.len() < data.len() && data.starts_with(&part),
        "big.bin.part: {} bytes, a prefix: {}\n{stderr}",
        part.len(),
        data.starts_with(&part)
    );
    let want = format!(
        "xyzmodem: kept the partial data ({} bytes) as {shown}: \
         `xyzmodem recv --resume` (or `rz -r`) continues it from there",
        part.len()
    );
    // Our `rz` prints lrzsz's "rz waiting to receive." without a newline.
    assert!(
        stderr
            .lines()
            .any(|l| l.strip_prefix("rz waiting to receive.").unwrap_or(l) == want),
        "want {want:?} in\n{stderr}"
    );
    data
}

/// Ctrl-C on `recv -Z` in the middle of a file from lrzsz `sz` keeps the part; `sz -r` into
/// `recv --resume` then completes it byte-exact.
#[test]
fn interrupted_zmodem_receive_keeps_the_part_and_resumes() {
    if !require_peers(&["sz"]) {
        return;
    }
    let work = big_file_work(0x505);
    let mut recv = xyzmodem();
    recv.args(["recv", "-Z", "--report", "r.json", "dst/"])
        .current_dir(work.dir());
    let sender = sz(&work.path("src"), &["big.bin"]);
    let data = interrupted_zmodem_keeps_the_part(sender, recv, &work, "dst/big.bin.part");
    // The report says where the partial data is.
    let report = fs::read_to_string(work.path("r.json")).unwrap();
    let file: serde_json::Value = serde_json::from_str(report.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&file["name"], &file["path"], &file["result"]),
        (
            &"big.bin".into(),
            &"dst/big.bin.part".into(),
            &"failed".into()
        ),
        "{report}"
    );

    let mut a = sz(&work.path("src"), &["-r", "big.bin"]);
    let mut b = xyzmodem();
    b.args(["recv", "-Z", "--resume", "dst/"])
        .current_dir(work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    assert_eq!(tree(&work.path("dst")), [Path::new("big.bin")], "{pair}");
    assert_eq!(
        sha256_hex(&fs::read(work.path("dst/big.bin")).unwrap()),
        sha256_hex(&data),
        "{pair}"
    );
}

/// The same for ZMODEM detected by `recv` (our `send -Z`), and for our `rz` (a link named
/// `rz`, run in `dst/` as lrzsz's is) from lrzsz `sz`.
#[test]
fn interrupted_detected_zmodem_and_rz_keep_the_part() {
    let work = big_file_work(0x507);
    let mut send = xyzmodem();
    send.args(["send", "-Z", "-q", "big.bin"])
        .current_dir(work.path("src"));
    let mut recv = xyzmodem();
    recv.args(["recv", "dst/"]).current_dir(work.dir());
    interrupted_zmodem_keeps_the_part(send, recv, &work, "dst/big.bin.part");
    if !require_peers(&["sz"]) {
        return;
    }
    let work = big_file_work(0x508);
    fs::create_dir(work.path("bin")).unwrap();
    std::os::unix::fs::symlink(crate::common::BIN, work.path("bin/rz")).unwrap();
    let mut rz = Command::new(work.path("bin/rz"));
    rz.current_dir(work.path("dst"));
    let sender = sz(&work.path("src"), &["big.bin"]);
    interrupted_zmodem_keeps_the_part(sender, rz, &work, "./big.bin.part");
}

/// Ctrl-C on `recv -Y` in the middle of a file from lrzsz `sb`: X/YMODEM keeps deleting the
/// partial data by default (it cannot resume), and the message names `--keep-partial`.
#[test]
fn interrupted_ymodem_receive_deletes_and_names_keep_partial() {
    if !require_peers(&["sb"]) {
        return;
    }
    let work = big_file_work(0x506);
    let mut sb = Command::new("sb");
    sb.args(["-q", "big.bin"]).current_dir(work.path("src"));
    let mut recv = xyzmodem();
    recv.args(["recv", "-Y", "dst/"]).current_dir(work.dir());
    let (stderr, _) = interrupt_mid_file(sb, recv, &work);
    assert!(tree(&work.path("dst")).is_empty(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("deleted the partial data"))
        .unwrap_or_else(|| panic!("no word of the partial data in\n{stderr}"));
    let bytes: u64 = line
        .strip_prefix("xyzmodem: deleted the partial data of dst/big.bin (")
        .and_then(|r| r.strip_suffix(" bytes): --keep-partial keeps it as dst/big.bin.part"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line:?}"));
    assert!(bytes >= 3 << 16, "{line}");
}

/// `sender` (run in `src/`, sending `a.bin` and `b.bin`) into `recv newdir`, run in an empty
/// `rx/` where `newdir` does not exist and has no `/`: the batch is refused at its first
/// header (exit 4, one line naming the fix), and nothing at all is written.
fn batch_into_a_file_name(sender: impl FnOnce(&Path) -> Command) {
    let work = Work::new();
    fs::create_dir(work.path("src")).unwrap();
    fs::create_dir(work.path("rx")).unwrap();
    fs::write(work.path("src/a.bin"), random_bytes(3000, 0xA)).unwrap();
    fs::write(work.path("src/b.bin"), random_bytes(5000, 0xB)).unwrap();
    let mut a = sender(&work.path("src"));
    let mut b = xyzmodem();
    b.args(["recv", "newdir"]).current_dir(work.path("rx"));
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    assert_eq!(pair.b.status.code(), Some(4), "{pair}");
    assert!(!pair.a.status.success(), "{pair}");
    assert!(
        pair.b.stderr.lines().any(|l| l
            == "xyzmodem: error: receiving: cannot receive into newdir: the sender announces 2 \
                files, but this path names one file (write newdir/ to receive a batch into a \
                directory)"),
        "{pair}"
    );
    assert!(tree(&work.path("rx")).is_empty(), "{pair}");
    assert_eq!(
        tree(&work.path("src")),
        [Path::new("a.bin"), Path::new("b.bin")],
        "{pair}"
    );
}

#[test]
fn ymodem_batch_into_a_file_name_is_refused() {
    batch_into_a_file_name(|src| {
        let mut cmd = xyzmodem();
        cmd.args(["send", "-Y", "a.bin", "b.bin"]).current_dir(src);
        cmd
    });
}

#[test]
fn sb_batch_into_a_file_name_is_refused() {
    if !require_peers(&["sb"]) {
        return;
    }
    batch_into_a_file_name(|src| {
        let mut cmd = Command::new("sb");
        cmd.args(["-q", "a.bin", "b.bin"]).current_dir(src);
        cmd
    });
}

#[test]
fn zmodem_batch_into_a_file_name_is_refused() {
    batch_into_a_file_name(|src| {
        let mut cmd = xyzmodem();
        cmd.args(["send", "-Z", "a.bin", "b.bin"]).current_dir(src);
        cmd
    });
}

/// `recv --resume` continuing `dst/big.bin.part` (the first 400 000 bytes of the 1 MiB file)
/// from lrzsz `sz -r`: the summary counts what crossed the line, and says apart what was
/// already there.
#[test]
fn resumed_receive_summary_counts_what_crossed_the_line() {
    if !require_peers(&["sz"]) {
        return;
    }
    let work = big_file_work(0x10);
    let data = fs::read(work.path("src/big.bin")).unwrap();
    let held = 400_000;
    fs::write(work.path("dst/big.bin.part"), &data[..held]).unwrap();
    let mut a = sz(&work.path("src"), &["-r", "big.bin"]);
    let mut b = xyzmodem();
    b.args(["recv", "-Z", "--resume", "dst/"])
        .current_dir(work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    assert_eq!(
        sha256_hex(&fs::read(work.path("dst/big.bin")).unwrap()),
        sha256_hex(&data),
        "{pair}"
    );
    let line = pair
        .b
        .stderr
        .lines()
        .find(|l| l.starts_with("xyzmodem: received dst/big.bin: "))
        .unwrap_or_else(|| panic!("no summary\n{pair}"));
    let crossed = data.len() - held;
    assert!(
        line.starts_with(&format!(
            "xyzmodem: received dst/big.bin: 633.38 KiB ({crossed} bytes) in "
        )) && line.ends_with("; 390.62 KiB (400000 bytes) were already there"),
        "{line}\n{pair}"
    );
}

/// Whether `s` is a UTC time as the report writes it: `2026-12-06T02:10:28.123Z`.
fn is_report_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// `--rename` stores `a.bin` as `in/a.bin.1`: the report's file line says where the data is
/// (`path`) beside the sender's name, when it started, and the session line when it began.
#[test]
fn report_says_where_a_renamed_file_went() {
    let work = Work::new();
    fs::create_dir(work.path("in")).unwrap();
    fs::write(work.path("in/a.bin"), b"old").unwrap();
    let data = random_bytes(3000, 0x8);
    fs::write(work.path("a.bin"), &data).unwrap();
    let mut a = xyzmodem();
    a.args(["send", "-Y", "-q", "a.bin"])
        .current_dir(work.dir());
    let mut b = xyzmodem();
    b.args(["recv", "-q", "--rename", "--report", "r.json", "in/"])
        .current_dir(work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    assert_eq!(fs::read(work.path("in/a.bin.1")).unwrap(), data, "{pair}");
    let text = fs::read_to_string(work.path("r.json")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    let f = &lines[0];
    assert_eq!(
        (&f["name"], &f["path"], &f["bytes"], &f["result"]),
        (
            &"a.bin".into(),
            &"in/a.bin.1".into(),
            &3000.into(),
            &"ok".into()
        ),
        "{text}"
    );
    for line in &lines {
        assert!(line["start"].as_str().is_some_and(is_report_time), "{text}");
    }
    assert!(f["duration"].as_f64().is_some_and(|d| d >= 0.0), "{text}");
}

/// Crafted ZMODEM headers: mode `100000` gives an owner-readable and writable file; setuid,
/// setgid and sticky bits never pass, the umask applies to the rest.
#[test]
fn crafted_modes_leave_the_owner_read_and_write() {
    let work = Work::new();
    let input = zmodem_session(&[
        ("none.bin\x003 0 100000", b"abc"),
        ("suid.bin\x003 0 107777", b"def"),
    ]);
    let (code, stderr) = run_on_input(work.dir(), &["recv", "-Z", "-q", "in/"], &input);
    assert_eq!(code, Some(0), "{stderr}");
    let mode = |name: &str| {
        fs::metadata(work.path("in").join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("none.bin"), 0o600, "{stderr}");
    assert_eq!(
        mode("suid.bin"),
        0o777 & !crate::common::umask(),
        "{stderr}"
    );
}
