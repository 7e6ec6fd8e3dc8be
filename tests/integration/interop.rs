//! Transfers against lrzsz `sx`/`rx` over pipe pairs and socat ptys, and against ourselves.
//!
//! Observed lrzsz 0.12.21rc behaviour these tests rely on:
//! - `rx` keeps the padding: its output is the data padded with 0x1A to a multiple of 128.
//! - `sx -k` switches to 128-byte blocks once at most 896 bytes remain, and so does our
//!   sender; so in every case here the padding is shorter than 128 bytes.
//! - a zero-length file: `sx` answers the receiver's first `C`/NAK with EOT alone, and `rx`
//!   given only EOT exits 0 leaving an empty output file. Both directions therefore expect
//!   exit 0 and an empty file.
//! - `rx` needs about 1 s of silence after the EOT before it exits, so each case takes ≥ 1 s.
//!
//! Every lrzsz program runs as its users run it: in the directory of its files, with relative
//! names. Since lrzsz 0.12.21-10+deb12u1, `rx` refuses an absolute output name ("Security
//! Violation", exit 127) unless given `-U`; a later build may restrict `sx` the same way.

use std::process::{Command, Stdio};

use crate::common::{
    DEADLINE, Socat, Work, check_xmodem_copy, cross_connect, open_rw, require_peers, run_pair,
    xyzmodem,
};

/// Padding is always shorter than one 128-byte block (see the module comment).
const MAX_PAD: usize = 127;
const MIB: usize = 1 << 20;

/// Asserts `out` in `work` is a padded copy of `data`, with the transfer's report on failure.
fn assert_copy(work: &Work, out: &str, data: &[u8], report: &dyn std::fmt::Display) {
    if let Err(e) = check_xmodem_copy(&work.read(out), data, MAX_PAD) {
        panic!("{e}\n{report}");
    }
}

/// Our `send OURS IN` into lrzsz `rx RX OUT`.
fn send_to_rx(len: usize, ours: &[&str], rx: &[&str]) {
    if !require_peers(&["rx"]) {
        return;
    }
    let work = Work::new();
    let (_, data) = work.random_file("in.bin", len, 0x5E0D ^ len as u64);
    let mut a = xyzmodem();
    a.arg("send")
        .args(ours)
        .arg("in.bin")
        .current_dir(work.dir());
    let mut b = Command::new("rx");
    b.args(rx).arg("out.bin").current_dir(work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    assert_copy(&work, "out.bin", &data, &pair);
}

/// lrzsz `sx SX IN` into our `recv OURS OUT`.
fn sx_to_recv(len: usize, sx: &[&str], ours: &[&str]) {
    if !require_peers(&["sx"]) {
        return;
    }
    let work = Work::new();
    let (_, data) = work.random_file("in.bin", len, 0x2EC7 ^ len as u64);
    let mut a = Command::new("sx");
    a.args(sx).arg("in.bin").current_dir(work.dir());
    let mut b = xyzmodem();
    b.arg("recv")
        .args(ours)
        .arg(work.path("out.bin"))
        .current_dir(work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    assert_copy(&work, "out.bin", &data, &pair);
}

/// Our `send OURS IN` into our `recv OUT`.
fn send_to_recv(len: usize, ours: &[&str]) {
    let work = Work::new();
    let (input, data) = work.random_file("in.bin", len, 0x5E1F ^ len as u64);
    let mut a = xyzmodem();
    a.arg("send").args(ours).arg(&input).current_dir(work.dir());
    let mut b = xyzmodem();
    b.arg("recv")
        .arg(work.path("out.bin"))
        .current_dir(work.dir());
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    assert_copy(&work, "out.bin", &data, &pair);
}

/// One module per peer combination, one test per file size:
/// `interop::send_to_rx_c::size_1025` and so on.
macro_rules! sizes {
    ($($case:ident: $run:ident($($arg:expr),*);)*) => {$(
        mod $case {
            fn run(len: usize) {
                super::$run(len, $($arg),*);
            }
            sizes!(@tests size_0 = 0, size_1 = 1, size_127 = 127, size_128 = 128, size_129 = 129,
                size_1023 = 1023, size_1024 = 1024, size_1025 = 1025, size_1mib = super::MIB);
        }
    )*};
    (@tests $($name:ident = $len:expr),*) => {$(
        #[test]
        fn $name() {
            run($len);
        }
    )*};
}

sizes! {
    send_to_rx_c: send_to_rx(&[], &["-c"]);
    send_to_rx_checksum: send_to_rx(&[], &[]);
    send_1k_to_rx_c: send_to_rx(&["-k"], &["-c"]);
    sx_to_recv: sx_to_recv(&[], &[]);
    sx_to_recv_checksum: sx_to_recv(&[], &["--checksum"]);
    sx_1k_to_recv: sx_to_recv(&["-k"], &[]);
}

#[test]
fn send_to_recv_1mib() {
    send_to_recv(MIB, &[]);
}

#[test]
fn send_1k_to_recv_1mib() {
    send_to_recv(MIB, &["-k"]);
}

/// Our sender on the pty link `a` (through `--port`), our receiver with stdin and stdout on
/// link `b`: the serial path of the sender. Not lrzsz `rx` here: it flushes its input right
/// after sending `C` and flushes again on exit (seen with strace). Over socat ptys a reply
/// comes back within microseconds, so that flush throws the reply away, or rx's last ACK,
/// and the session stalls for 10 s or dies; on a real serial line the bytes are still on the
/// wire then. lrzsz over a pty is covered in the other direction below, where it is the
/// sender, and `rx` against our sender over pipes above.
#[test]
fn pty_send_1k_to_recv_1mib() {
    if !require_peers(&["socat"]) {
        return;
    }
    let work = Work::new();
    let socat = Socat::start(&work);
    let (input, data) = work.random_file("in.bin", MIB, 0x9779);
    let mut a = xyzmodem();
    a.args(["send", "-k", "--port"]).arg(&socat.a).arg(&input);
    a.current_dir(work.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let (tty_in, tty_out) = open_rw(&socat.b);
    let mut b = xyzmodem();
    b.args(["recv", "-q"])
        .arg(work.path("out.bin"))
        .current_dir(work.dir())
        .stdin(tty_in)
        .stdout(tty_out);
    let pair = run_pair(a, b, DEADLINE);
    let report = format!("{pair}socat:\n{}", socat.log());
    assert!(
        pair.a.status.success() && pair.b.status.success(),
        "transfer failed {report}"
    );
    assert_copy(&work, "out.bin", &data, &report);
}

#[test]
fn pty_sx_1k_to_recv_1mib() {
    if !require_peers(&["sx", "socat"]) {
        return;
    }
    let work = Work::new();
    let socat = Socat::start(&work);
    let (_, data) = work.random_file("in.bin", MIB, 0x977A);
    let mut a = xyzmodem();
    a.args(["recv", "--port"])
        .arg(&socat.a)
        .arg(work.path("out.bin"));
    a.current_dir(work.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let (tty_in, tty_out) = open_rw(&socat.b);
    let mut b = Command::new("sx");
    b.arg("-k")
        .arg("in.bin")
        .current_dir(work.dir())
        .stdin(tty_in)
        .stdout(tty_out);
    let pair = run_pair(a, b, DEADLINE);
    let report = format!("{pair}socat:\n{}", socat.log());
    assert!(
        pair.a.status.success() && pair.b.status.success(),
        "transfer failed {report}"
    );
    assert_copy(&work, "out.bin", &data, &report);
}
