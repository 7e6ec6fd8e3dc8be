//! What a receive leaves on disk and says: the mode of a received file, partial files kept
//! or deleted on failure, a batch into a path that names one file, data beyond the announced
//! size, the summary of a resumed file, and the `--report` records.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, Work, cross_connect, random_bytes, require_peers, run_pair, sha256_hex, wait_or_kill,
    xyzmodem,
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
