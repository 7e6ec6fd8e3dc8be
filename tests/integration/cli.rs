//! The command line: help and usage errors, exit codes, file safety, and short transfers
//! against a peer scripted byte by byte on stdin/stdout.

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::{
    ACK, BIN, CAN, EOT, NAK, SOH, SUB, Scripted, Work, checksum_block, crc_block, crc16_xmodem,
    hex, padded_128, random_bytes, xyzmodem,
};

/// Kill any CLI run that takes longer than this.
const LIMIT: Duration = Duration::from_secs(20);
/// How long a scripted peer waits for each answer.
const ANSWER: Duration = Duration::from_secs(10);

/// Errors are one line on stderr starting with `xyzmodem: `.
fn one_error_line() -> impl Predicate<str> {
    predicate::function(|s: &str| s.starts_with("xyzmodem: ") && s.trim_end().lines().count() == 1)
}

fn cmd() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.timeout(LIMIT);
    cmd
}

// ---------------------------------------------------------------------------------------------
// Help and usage

#[test]
fn help_lists_subcommands() {
    cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("send").and(predicate::str::contains("recv")));
}

#[test]
fn send_help_lists_port_and_1k() {
    cmd()
        .args(["send", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--port").and(predicate::str::contains("--1k")));
}

#[test]
fn version() {
    cmd()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("0."));
}

#[test]
fn unknown_flag_is_usage_error() {
    cmd().arg("--no-such-flag").assert().code(2);
    cmd().args(["send", "--no-such-flag", "x"]).assert().code(2);
}

#[test]
fn send_without_file_is_usage_error() {
    cmd().arg("send").assert().code(2);
    // `recv` alone detects the protocol into the current directory; XMODEM needs a file.
    cmd().args(["recv", "-X"]).assert().code(2);
    // XMODEM sends exactly one file.
    cmd().args(["send", "a", "b"]).assert().code(2);
}

// ---------------------------------------------------------------------------------------------
// Local errors (exit 4)

#[test]
fn send_missing_file() {
    let work = Work::new();
    let missing = work.path("no-such-file.bin");
    cmd()
        .args(["send", "--timeout", "2"])
        .arg(&missing)
        .assert()
        .code(4)
        .stderr(one_error_line())
        .stderr(predicate::str::contains("no-such-file.bin"));
}

#[test]
fn recv_refuses_existing_file() {
    let work = Work::new();
    let existing = work.write("keep.bin", b"precious");
    cmd()
        .args(["recv", "--timeout", "2"])
        .arg(&existing)
        .assert()
        .code(4)
        .stderr(one_error_line())
        .stderr(predicate::str::contains("--overwrite"))
        .stderr(predicate::str::contains("keep.bin"));
    assert_eq!(work.read("keep.bin"), b"precious");
    assert_eq!(
        work.entries(),
        ["keep.bin"],
        "no temporary file may be left behind"
    );
}

#[test]
fn missing_serial_port() {
    let work = Work::new();
    let input = work.write("in.bin", b"data");
    cmd()
        .args(["send", "--timeout", "2", "--port", "/dev/nonexistent-xyz"])
        .arg(&input)
        .assert()
        .code(4)
        .stderr(one_error_line())
        .stderr(predicate::str::contains("/dev/nonexistent-xyz"));
    cmd()
        .args(["recv", "--timeout", "2", "--port", "/dev/nonexistent-xyz"])
        .arg(work.path("out.bin"))
        .assert()
        .code(4)
        .stderr(one_error_line())
        .stderr(predicate::str::contains("/dev/nonexistent-xyz"));
    assert_eq!(work.entries(), ["in.bin"], "recv must not create anything");
}

// ---------------------------------------------------------------------------------------------
// The peer goes away or cancels

#[test]
fn recv_stdin_at_eof_fails() {
    let work = Work::new();
    let start = Instant::now();
    cmd()
        .args(["recv", "--timeout", "2"])
        .arg(work.path("out.bin"))
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(one_error_line());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:.1?}",
        start.elapsed()
    );
    assert_eq!(
        work.entries(),
        Vec::<String>::new(),
        "nothing may be left behind"
    );
}

#[test]
fn recv_cancelled_by_sender() {
    let work = Work::new();
    cmd()
        .arg("recv")
        .arg(work.path("out.bin"))
        .write_stdin([CAN, CAN])
        .assert()
        .code(3);
    assert_eq!(
        work.entries(),
        Vec::<String>::new(),
        "nothing may be left behind"
    );
}

#[test]
fn recv_cancelled_by_sender_keep_partial() {
    let work = Work::new();
    cmd()
        .args(["recv", "--keep-partial"])
        .arg(work.path("out.bin"))
        .write_stdin([CAN, CAN])
        .assert()
        .code(3);
    // No data arrived: an empty `out.bin.part` or none at all are both fine.
    assert!(
        !work.path("out.bin").exists(),
        "out.bin must not exist: {:?}",
        work.entries()
    );
}

/// All input at once, as a pipe may deliver it: `C`, then the peer's CAN CAN.
#[test]
fn send_cancelled_by_receiver_all_at_once() {
    let work = Work::new();
    let input = work.write("in.bin", &random_bytes(300, 1));
    let assert = cmd()
        .arg("send")
        .arg(&input)
        .write_stdin([b'C', CAN, CAN])
        .assert()
        .code(3);
    // Whether block 1 goes out before the CANs are seen depends on how the reads split;
    // if anything was sent, it is block 1.
    let out = &assert.get_output().stdout;
    assert!(
        out.is_empty() || out.starts_with(&[SOH, 0x01, 0xFE]),
        "stdout: {}",
        hex(out, 16)
    );
}

/// The receiver cancels after seeing block 1.
#[test]
fn send_cancelled_by_receiver() {
    let work = Work::new();
    let input = work.write("in.bin", &random_bytes(300, 2));
    let mut cmd = xyzmodem();
    cmd.arg("send").arg(&input);
    let mut peer = Scripted::spawn(cmd);
    peer.write(b"C");
    let block = peer.read(133, ANSWER);
    assert_eq!(
        block[..3],
        [SOH, 0x01, 0xFE],
        "block 1: {}",
        hex(&block, 16)
    );
    peer.write(&[CAN, CAN]);
    let (finished, _) = peer.wait(LIMIT);
    assert_eq!(finished.status.code(), Some(3), "{finished}");
}

// ---------------------------------------------------------------------------------------------
// Scripted transfers

/// Runs `recv ARGS out.bin` against a scripted sender of one block and returns the file.
/// Each step waits for the receiver's answer.
fn recv_one_block_scripted(args: &[&str], start: u8, block: &[u8]) -> Vec<u8> {
    let work = Work::new();
    let mut cmd = xyzmodem();
    cmd.arg("recv").args(args).arg(work.path("out.bin"));
    let mut peer = Scripted::spawn(cmd);
    peer.expect(&[start], ANSWER);
    peer.write(block);
    peer.expect(&[ACK], ANSWER);
    peer.write(&[EOT]);
    peer.expect(&[NAK], ANSWER);
    peer.write(&[EOT]);
    peer.expect(&[ACK], ANSWER);
    let (finished, rest) = peer.wait(LIMIT);
    assert!(finished.status.success(), "{finished}");
    assert!(
        rest.is_empty(),
        "more output after the last ACK: {}",
        hex(&rest, 32)
    );
    assert_eq!(
        work.entries(),
        ["out.bin"],
        "no temporary file may be left behind"
    );
    work.read("out.bin")
}

/// One CRC block, then EOT (NAKed: the receiver's guard against a false EOT) and EOT again.
/// Each step waits for the answer: bytes that arrive in the same read as an EOT predate the
/// receiver's NAK and are dropped on purpose (see docs/PROTOCOL_NOTES.md).
#[test]
fn recv_one_crc_block_scripted() {
    let data: [u8; 128] = random_bytes(128, 4).try_into().expect("128 bytes");
    assert_eq!(
        recv_one_block_scripted(&[], b'C', &crc_block(1, &data)),
        data
    );
}

#[test]
fn recv_one_checksum_block_scripted() {
    let data: [u8; 128] = random_bytes(128, 5).try_into().expect("128 bytes");
    let out = recv_one_block_scripted(&["--checksum"], NAK, &checksum_block(1, &data));
    assert_eq!(out, data);
}

#[test]
fn recv_strip_padding() {
    let mut text = random_bytes(100, 6);
    text[99] = b'!'; // not 0x1A, so exactly the 28 padding bytes go
    let block = crc_block(1, &padded_128(&text));
    assert_eq!(
        recv_one_block_scripted(&["--strip-padding"], b'C', &block),
        text
    );
    // Without the flag, the padding stays.
    assert_eq!(
        recv_one_block_scripted(&[], b'C', &block),
        padded_128(&text)
    );
}

/// Our sender against a scripted CRC receiver: exact blocks, padding and EOT handling.
#[test]
fn send_two_blocks_scripted_crc() {
    let work = Work::new();
    let data = random_bytes(200, 7);
    let input = work.write("in.bin", &data);
    let mut cmd = xyzmodem();
    cmd.arg("send").arg(&input);
    let mut peer = Scripted::spawn(cmd);
    peer.write(b"C");
    let first: [u8; 128] = data[..128].try_into().expect("128 bytes");
    peer.expect(&crc_block(1, &first), ANSWER);
    peer.write(&[ACK]);
    peer.expect(&crc_block(2, &padded_128(&data[128..])), ANSWER);
    peer.write(&[ACK]);
    peer.expect(&[EOT], ANSWER);
    peer.write(&[NAK]);
    peer.expect(&[EOT], ANSWER);
    peer.write(&[ACK]);
    let (finished, rest) = peer.wait(LIMIT);
    assert!(finished.status.success(), "{finished}");
    assert!(rest.is_empty(), "more output after EOT: {}", hex(&rest, 32));
}

/// A NAK start selects checksum mode; a NAK on a block makes the sender resend it.
#[test]
fn send_checksum_with_resend_scripted() {
    let work = Work::new();
    let data = random_bytes(128, 8);
    let input = work.write("in.bin", &data);
    let mut cmd = xyzmodem();
    cmd.arg("send").arg(&input);
    let mut peer = Scripted::spawn(cmd);
    peer.write(&[NAK]);
    let block = checksum_block(1, &data[..].try_into().expect("128 bytes"));
    peer.expect(&block, ANSWER);
    peer.write(&[NAK]);
    peer.expect(&block, ANSWER);
    peer.write(&[ACK]);
    peer.expect(&[EOT], ANSWER);
    peer.write(&[ACK]);
    let (finished, _) = peer.wait(LIMIT);
    assert!(finished.status.success(), "{finished}");
}

#[test]
fn crc_of_a_block_is_big_endian() {
    let block = crc_block(1, &[0u8; 128]);
    assert_eq!(block.len(), 133);
    assert_eq!(block[..3], [SOH, 1, 0xFE]);
    assert_eq!(
        u16::from_be_bytes([block[131], block[132]]),
        crc16_xmodem(&[0u8; 128])
    );
    assert_eq!(padded_128(b"ab")[2..], [SUB; 126]);
}

// ---------------------------------------------------------------------------------------------
// The receive target and options are checked before the sender is answered (issue 9)

/// Runs `recv ARGS` with stdin open to a silent sender; it must fail with `code` and one
/// error line containing `says`, before a single byte goes to the link.
fn recv_refused_up_front(work: &Work, args: &[&str], code: i32, says: &str) {
    let assert = cmd()
        .current_dir(work.dir())
        .arg("recv")
        .args(args)
        .write_stdin("")
        .assert()
        .code(code)
        .stderr(one_error_line())
        .stderr(predicate::str::contains(says));
    let out = &assert.get_output().stdout;
    assert!(
        out.is_empty(),
        "recv {args:?} answered the sender: {}",
        hex(out, 16)
    );
}

/// Issue 9 item 10: a file where YMODEM needs a directory, or a directory where XMODEM
/// needs a file, is a command-line error (2), found before the transfer.
#[test]
fn r9_10_recv_target_of_the_wrong_kind_is_a_usage_error() {
    let work = Work::new();
    work.write("exists.bin", b"keep");
    std::fs::create_dir(work.path("adir")).unwrap();
    recv_refused_up_front(&work, &["-Y", "exists.bin"], 2, "exists.bin");
    recv_refused_up_front(&work, &["-g", "exists.bin"], 2, "is not a directory");
    recv_refused_up_front(&work, &["-X", "--overwrite", "adir"], 2, "adir");
    recv_refused_up_front(&work, &["-X", "adir"], 2, "is a directory");
    assert_eq!(work.read("exists.bin"), b"keep");
    assert_eq!(work.entries(), ["adir", "exists.bin"]);
}

/// Issue 9 item 11: options that cannot apply are refused (exit 2), not ignored.
#[test]
fn r9_11_options_that_cannot_apply_are_refused() {
    let work = Work::new();
    recv_refused_up_front(&work, &["-X", "-o", "n.bin", "out.bin"], 2, "--output");
    recv_refused_up_front(&work, &["-X", "--keep-dirs", "out.bin"], 2, "--keep-dirs");
    recv_refused_up_front(&work, &["-Y", "--strip-padding"], 2, "--strip-padding");
    recv_refused_up_front(&work, &["-g", "--strip-padding"], 2, "--strip-padding");
    assert_eq!(work.entries(), Vec::<String>::new());
}

/// Issue 9 item 11: `recv -Y -g` asks for YMODEM-G (it was refused as a conflict).
#[test]
fn r9_11_recv_ymodem_with_streaming_asks_for_g() {
    let work = Work::new();
    let assert = cmd()
        .current_dir(work.dir())
        .args(["recv", "-Y", "-g"])
        .write_stdin("")
        .assert()
        .code(1);
    let out = &assert.get_output().stdout;
    assert!(out.starts_with(b"G"), "stdout: {}", hex(out, 16));
}

/// Issue 9 item 11: a regular file or /dev/null as --port is "not a serial device", not
/// errno's "Not a typewriter", and the message says how to list the ports.
#[test]
fn r9_11_a_port_that_is_not_a_serial_device() {
    let work = Work::new();
    let input = work.write("in.bin", b"data");
    for port in [input.to_str().unwrap(), "/dev/null"] {
        cmd()
            .args(["send", "--port", port])
            .arg(&input)
            .assert()
            .code(4)
            .stderr(one_error_line())
            .stderr(predicate::str::contains(format!(
                "{port} is not a serial device"
            )))
            .stderr(predicate::str::contains("xyzmodem ports"));
    }
}

/// Issue 9 item 12: `recv inbox/` (the README's example) creates the directory and receives
/// the batch into it.
#[test]
fn r9_12_recv_into_a_new_directory_ending_in_slash() {
    let work = Work::new();
    let (_, a) = work.random_file("a.bin", 3000, 12);
    let (_, b) = work.random_file("b.bin", 1, 13);
    let mut send = xyzmodem();
    send.current_dir(work.dir())
        .args(["send", "-Y", "-q", "a.bin", "b.bin"]);
    let mut recv = xyzmodem();
    recv.current_dir(work.dir()).args(["recv", "-q", "inbox/"]);
    crate::common::cross_connect(&mut send, &mut recv);
    let pair = crate::common::run_pair(send, recv, LIMIT);
    pair.assert_success();
    assert_eq!(work.read("inbox/a.bin"), a);
    assert_eq!(work.read("inbox/b.bin"), b);
}

/// Issue 9 items 12 and 14: a receive directory that cannot be used fails before the sender
/// is answered, with exit 4: a missing one (the message says to add `/`), one under a regular
/// file, one where no file can be created. /proc refuses new files even to root; a mode-0555
/// directory only to other users, so that case is skipped when the tests run as root.
#[test]
fn r9_14_an_unusable_receive_directory_fails_up_front() {
    let work = Work::new();
    work.write("file", b"");
    recv_refused_up_front(&work, &["-Y", "missing"], 4, "missing/ to create it");
    recv_refused_up_front(&work, &["-Y", "file/sub/"], 4, "file/sub");
    recv_refused_up_front(&work, &["file/sub/"], 4, "file/sub");
    if Path::new("/proc/self").is_dir() {
        recv_refused_up_front(&work, &["-Y", "/proc"], 4, "cannot create files in /proc");
    }
    if rustix::process::geteuid().is_root() {
        eprintln!("running as root: the mode-0555 directory case is skipped");
    } else {
        use std::os::unix::fs::PermissionsExt;
        let ro = work.path("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        recv_refused_up_front(&work, &["-Y", "ro"], 4, "cannot create files in ro");
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(work.entries(), ["file"]);
}

/// A scripted YMODEM sender in `work`: `C`, the header `name NUL meta` (ACK C), then `blocks`
/// 1K blocks of `fill` (each ACKed). Returns the peer, ready for what ends the file.
fn ymodem_scripted(
    work: &Work,
    args: &[&str],
    name: &[u8],
    meta: &str,
    blocks: u8,
) -> crate::common::Scripted {
    let mut cmd = xyzmodem();
    cmd.current_dir(work.dir()).arg("recv").args(args);
    let mut peer = Scripted::spawn(cmd);
    peer.expect(b"C", ANSWER);
    peer.write(&crate::common::ymodem_header(name, meta));
    peer.expect(&[ACK, b'C'], ANSWER);
    for seq in 1..=blocks {
        peer.write(&crate::common::crc_block_1k(seq, &[b'0' + seq; 1024]));
        peer.expect(&[ACK], ANSWER);
    }
    peer
}

/// Issue 9 item 1: a header mtime of 2^63 s (octal 1000000000000000000000) panicked the
/// receiver (exit 101, file gone). Now the file arrives and keeps the current time.
#[test]
fn r9_1_a_hostile_mtime_is_ignored() {
    let work = Work::new();
    let mut peer = ymodem_scripted(
        &work,
        &[],
        b"t.bin",
        "1024 1000000000000000000000 100644",
        1,
    );
    peer.write(&[EOT]);
    peer.expect(&[ACK, b'C'], ANSWER);
    peer.write(&crate::common::ymodem_end());
    peer.expect(&[ACK], ANSWER);
    let (finished, _) = peer.wait(LIMIT);
    assert!(finished.status.success(), "{finished}");
    assert_eq!(work.read("t.bin"), [b'1'; 1024]);
    let age = std::fs::metadata(work.path("t.bin"))
        .unwrap()
        .modified()
        .unwrap()
        .elapsed()
        .unwrap_or_default();
    assert!(age < Duration::from_secs(600), "mtime {age:?} ago");
}

/// Issue 9 item 3: a header announcing 10000 bytes, then 3072 bytes and EOT, passed as a
/// complete 3072-byte file (exit 0). Now: exit 1, "got 3072 of 10000 bytes", nothing under
/// the final name, and with --keep-partial only `NAME.part` with the bytes that came.
#[test]
fn r9_3_a_file_shorter_than_its_header_fails() {
    for keep in [false, true] {
        let work = Work::new();
        let args: &[&str] = if keep { &["--keep-partial"] } else { &[] };
        let mut peer = ymodem_scripted(&work, args, b"short.bin", "10000", 3);
        peer.write(&[EOT]);
        peer.expect(&[NAK], ANSWER);
        peer.write(&[EOT]);
        let (finished, rest) = peer.wait(LIMIT);
        assert_eq!(finished.status.code(), Some(1), "{finished}");
        assert!(
            finished.stderr.contains("got 3072 of 10000 bytes"),
            "{finished}"
        );
        assert!(
            rest.contains(&CAN),
            "the sender is cancelled: {}",
            hex(&rest, 32)
        );
        if keep {
            assert_eq!(work.entries(), ["short.bin.part"]);
            assert_eq!(work.read("short.bin.part").len(), 3072);
        } else {
            assert_eq!(work.entries(), Vec::<String>::new());
        }
    }
}

/// Issue 9 item 2: --keep-partial replaced the user's `NAME.part`. Now it is kept as it is,
/// the partial data goes to `NAME.part.1`, and the note says so.
#[test]
fn r9_2_keep_partial_never_replaces_an_existing_part_file() {
    let work = Work::new();
    work.write("notes.txt.part", b"PRECIOUS\n");
    let mut peer = ymodem_scripted(&work, &["--keep-partial"], b"notes.txt", "5000", 1);
    peer.write(&[CAN, CAN]);
    let (finished, _) = peer.wait(LIMIT);
    assert_eq!(finished.status.code(), Some(3), "{finished}");
    assert_eq!(work.read("notes.txt.part"), b"PRECIOUS\n");
    assert_eq!(work.read("notes.txt.part.1"), [b'1'; 1024]);
    assert_eq!(work.entries(), ["notes.txt.part", "notes.txt.part.1"]);
    assert!(
        finished
            .stderr
            .contains("notes.txt.part.1 (./notes.txt.part already exists)"),
        "{finished}"
    );
}

/// Issue 9 item 9: C1 controls (U+009B CSI) and bidirectional overrides in a sender's name
/// went raw into the stored name, the notes, the summary and `--report`. Now the name is
/// neutralised on disk and every line printed or reported carries them escaped.
#[test]
fn r9_9_terminal_controls_in_names_never_reach_the_terminal() {
    let work = Work::new();
    let name = "evil\u{202e}txt.exe\u{9b}2J\u{1b}]0;x".as_bytes();
    let mut peer = ymodem_scripted(&work, &["-v", "--report", "r.json"], name, "1024", 1);
    peer.write(&[EOT]);
    peer.expect(&[ACK, b'C'], ANSWER);
    peer.write(&crate::common::ymodem_end());
    peer.expect(&[ACK], ANSWER);
    let (finished, _) = peer.wait(LIMIT);
    assert!(finished.status.success(), "{finished}");
    assert_eq!(work.read("evil_txt.exe_2J_]0;x"), [b'1'; 1024]);
    let unsafe_char = |c: char| xyzmodem::files::names::is_unsafe_char(c) && c != '\n';
    assert!(
        !finished.stderr.chars().any(unsafe_char),
        "raw control on stderr: {:?}",
        finished.stderr
    );
    assert!(
        finished.stderr.contains(r"evil\u{202e}txt.exe\u{9b}2J"),
        "{finished}"
    );
    let report = String::from_utf8(work.read("r.json")).unwrap();
    assert!(!report.chars().any(unsafe_char), "{report:?}");
    assert!(
        report.contains(r"evil\u202etxt.exe\u009b2J\u001b]0;x"),
        "{report}"
    );
}

#[test]
fn term_usage_errors_are_one_line_and_exit_2() {
    cmd().arg("term").assert().code(2);
    cmd()
        .args(["term", "--port", "/dev/null", "--", "true"])
        .assert()
        .code(2)
        .stderr(one_error_line().and(predicates::str::contains("not both")));
    cmd()
        .args(["term", "--telnet", "--", "true"])
        .assert()
        .code(2)
        .stderr(one_error_line().and(predicates::str::contains("telnet://HOST:PORT")));
}
