//! Around the transfer: `ports`, `XYZMODEM_PORT`, the bootloader handshake (`--init`,
//! `--expect`, `--after`) against a scripted U-Boot `loady`, sends to several ptys at once,
//! JSON reports (`--report`) and wire traces (`--trace`).
//!
//! The parallel tests print their wall times (3 ports against 1) for docs/OPERATIONS.md;
//! nothing asserts on them.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{
    ACK, EOT, FAKE_UBOOT, NAK, SOH, STX, Scripted, Socat, Work, check_xmodem_copy, crc_block, hex,
    open_rw, padded_128, parse_crc_block, random_bytes, require_peers, sha256_hex, xyzmodem,
};

/// How long a scripted device waits for each answer.
const ANSWER: Duration = Duration::from_secs(10);
/// How long any process here may run.
const LIMIT: Duration = Duration::from_secs(120);
const MIB: usize = 1 << 20;

/// Our binary with `XYZMODEM_PORT` cleared, so the caller's environment cannot change the link.
pub(crate) fn ours() -> Command {
    let mut cmd = xyzmodem();
    cmd.env_remove("XYZMODEM_PORT");
    cmd
}

// ---------------------------------------------------------------------------------------------
// Processes with a deadline, stderr in a file

/// A child whose stderr goes to a file; killed when dropped.
pub(crate) struct Proc {
    name: String,
    child: Child,
    stderr: PathBuf,
    status: Option<ExitStatus>,
}

impl Proc {
    pub(crate) fn spawn(mut cmd: Command, stderr: PathBuf) -> Self {
        let name = format!(
            "{} {}",
            cmd.get_program().to_string_lossy(),
            cmd.get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        );
        cmd.stderr(File::create(&stderr).expect("create a stderr file"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn `{name}`: {e}"));
        Self {
            name,
            child,
            stderr,
            status: None,
        }
    }

    pub(crate) fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub(crate) fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until every process has exited, killing the rest after `limit`. Returns a report of
/// how each ended, with its stderr.
pub(crate) fn wait_all(procs: &mut [Proc], limit: Duration) -> String {
    let end = Instant::now() + limit;
    loop {
        let mut running = 0;
        for p in procs.iter_mut() {
            if p.status.is_none() {
                p.status = p.child.try_wait().expect("poll a child");
                running += usize::from(p.status.is_none());
            }
        }
        if running == 0 || Instant::now() >= end {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    let mut report = String::new();
    for p in procs.iter_mut() {
        if p.status.is_none() {
            let _ = p.child.kill();
            p.status = p.child.wait().ok();
            report.push_str("(killed at the deadline) ");
        }
        report.push_str(&format!("`{}`: {:?}\n", p.name, p.status));
        for line in p
            .stderr()
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            report.push_str(&format!("    | {line}\n"));
        }
    }
    report
}

// ---------------------------------------------------------------------------------------------
// Ports

#[test]
fn ports_lists_ports_or_says_there_are_none() {
    let out = ours().arg("ports").output().expect("run ports");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    if stdout.is_empty() {
        assert!(stderr.contains("no serial ports found"), "{stderr}");
    } else {
        for line in stdout.lines() {
            let mut fields = line.split_whitespace();
            let name = fields.next().unwrap_or_default();
            assert!(name.starts_with('/'), "not a device path: {line}");
            let kind = fields.next().unwrap_or_default();
            assert!(
                ["usb", "pci", "bluetooth", "other"].contains(&kind),
                "unknown port type: {line}"
            );
        }
    }
    eprintln!("ports:\n{stdout}{stderr}");
}

#[test]
fn port_from_the_environment_and_patterns() {
    let work = Work::new();
    let input = work.write("f.bin", b"x");
    // A missing device named by XYZMODEM_PORT: the same error as --port, exit 4.
    let out = ours()
        .args(["send", "-q"])
        .arg(&input)
        .env("XYZMODEM_PORT", work.path("no-such-tty"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .expect("run send");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("no-such-tty") && stderr.contains("does not exist"),
        "{stderr}"
    );
    // A pattern that matches nothing, from the environment or the command line: exit 4.
    let pattern = format!("{}/tty*", work.path("nothing").display());
    for env in [true, false] {
        let mut cmd = ours();
        cmd.args(["send", "-q"]).arg(&input);
        if env {
            cmd.env("XYZMODEM_PORT", &pattern);
        } else {
            cmd.args(["--port", &pattern]);
        }
        let out = cmd.stdin(Stdio::null()).output().expect("run send");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{stderr}");
        assert!(stderr.contains("no serial port matches"), "{stderr}");
    }
    // recv takes one port.
    let out = ours()
        .args(["recv", "--port", "/dev/a", "--port", "/dev/b"])
        .output()
        .expect("run recv");
    assert_eq!(out.status.code(), Some(2));
}

/// `XYZMODEM_PORT` names the port when --port is not given: a real transfer over a pty.
#[test]
fn port_from_the_environment_transfers() {
    if !require_peers(&["socat"]) {
        return;
    }
    let work = Work::new();
    let socat = Socat::start(&work);
    // Keep both ends open from the start: a pty nobody has open loses what arrives on it.
    let _hold = [
        File::open(&socat.a).expect("open a"),
        File::open(&socat.b).expect("open b"),
    ];
    let data = random_bytes(5000, 0xE7);
    let input = work.write("in.bin", &data);
    let mut recv = ours();
    recv.args(["recv", "-q", "--port"])
        .arg(&socat.b)
        .arg(work.path("out.bin"))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut send = ours();
    send.args(["send", "-k", "-q", "--report", "-"])
        .arg(&input)
        .env("XYZMODEM_PORT", &socat.a)
        .stdin(Stdio::null())
        .stdout(File::create(work.path("report.json")).expect("create report.json"));
    let mut procs = [
        Proc::spawn(recv, work.path("recv.err")),
        Proc::spawn(send, work.path("send.err")),
    ];
    let report = wait_all(&mut procs, LIMIT);
    assert!(procs.iter().all(|p| p.code() == Some(0)), "{report}");
    check_xmodem_copy(&work.read("out.bin"), &data, 127)
        .unwrap_or_else(|e| panic!("{e}\n{report}"));
    // `--report -` with a port: the JSON lines are on stdout, and name the port.
    let lines = json_lines(&work.path("report.json"));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["port"], socat.a.display().to_string());
    assert_eq!(lines[0]["protocol"], "xmodem-1k");
}

// ---------------------------------------------------------------------------------------------
// A scripted U-Boot `loady`

/// The device end of a link, driven by the test.
trait Device {
    fn put(&mut self, bytes: &[u8]);
    /// The next `n` bytes; panics (with what the other side said) if they do not come.
    fn get(&mut self, n: usize) -> Vec<u8>;
}

impl Device for Scripted {
    fn put(&mut self, bytes: &[u8]) {
        self.write(bytes);
    }
    fn get(&mut self, n: usize) -> Vec<u8> {
        self.read(n, ANSWER)
    }
}

/// The far end of a socat pty pair, read by a thread.
struct PtyDevice {
    file: File,
    rx: mpsc::Receiver<Vec<u8>>,
    pending: Vec<u8>,
    /// Where the program on the other end writes its stderr, for failure messages.
    stderr: PathBuf,
}

impl PtyDevice {
    fn open(path: &Path, stderr: PathBuf) -> Self {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let mut t = rustix::termios::tcgetattr(&file).expect("tcgetattr");
        t.make_raw();
        rustix::termios::tcsetattr(&file, rustix::termios::OptionalActions::Now, &t)
            .expect("tcsetattr");
        let mut reader = file.try_clone().expect("clone the pty");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Self {
            file,
            rx,
            pending: Vec::new(),
            stderr,
        }
    }
}

impl Device for PtyDevice {
    fn put(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.file.write_all(bytes).expect("write to the pty");
    }
    fn get(&mut self, n: usize) -> Vec<u8> {
        self.take(&format!("{n} bytes"), |pending| {
            (pending.len() >= n).then_some(n)
        })
    }
}

impl PtyDevice {
    /// Everything up to and including `text`; panics if it does not come within `ANSWER`.
    fn until(&mut self, text: &[u8]) -> Vec<u8> {
        self.take(&format!("{:?}", String::from_utf8_lossy(text)), |pending| {
            let at = pending.windows(text.len()).position(|w| w == text)?;
            Some(at + text.len())
        })
    }

    /// Reads until `ready` says how many of the bytes read so far to take, and takes them;
    /// panics, naming `what` it waited for, if they do not come within `ANSWER`.
    fn take(&mut self, what: &str, ready: impl Fn(&[u8]) -> Option<usize>) -> Vec<u8> {
        let end = Instant::now() + ANSWER;
        loop {
            if let Some(n) = ready(&self.pending) {
                return self.pending.drain(..n).collect();
            }
            match self
                .rx
                .recv_timeout(end.saturating_duration_since(Instant::now()))
            {
                Ok(chunk) => self.pending.extend_from_slice(&chunk),
                Err(e) => panic!(
                    "waiting for {what} on the pty: {e:?}, got {} ({:?})\nthe other end's stderr:\n{}",
                    hex(&self.pending, 32),
                    String::from_utf8_lossy(&self.pending),
                    fs::read_to_string(&self.stderr).unwrap_or_default()
                ),
            }
        }
    }
}

/// One whole SOH or STX block, checked; its number and data.
fn get_block(dev: &mut dyn Device, start: u8) -> (u8, Vec<u8>) {
    let size = match start {
        SOH => 128,
        STX => 1024,
        other => panic!("expected SOH or STX, got {other:#04x}"),
    };
    let mut block = vec![start];
    block.extend(dev.get(size + 4));
    match parse_crc_block(&block) {
        Ok((seq, data)) => (seq, data.to_vec()),
        Err(e) => panic!("{e}"),
    }
}

const READY: &[u8] = b"## Ready for binary (ymodem) download to 0x82000000 at 115200 bps...\r\n";

/// Plays U-Boot's `loady 0x82000000` (docs/PROTOCOLS.md §5.2): a prompt, then on the command line
/// `init` its echo and the "Ready" line immediately followed by its one and only `C`. Then it
/// receives one YMODEM file: no `C` after the header's ACK, the EOT answered `ACK ACK C`, the
/// end-of-batch header ACKed. Returns the header's name and the data cut to its size, and how
/// long the header took to come after the `C`.
fn uboot_loady(dev: &mut dyn Device, init: &[u8]) -> (String, Vec<u8>, Duration) {
    dev.put(b"\r\nU-Boot 2023.01\r\n\r\nHit any key to stop autoboot:  0 \r\n=> ");
    let got = dev.get(init.len());
    assert_eq!(got, init, "the init command: {}", hex(&got, 32));
    let mut banner = b"loady 0x82000000\r\n".to_vec();
    banner.extend_from_slice(READY);
    banner.push(b'C');
    dev.put(&banner);
    let c_sent = Instant::now();
    let start = dev.get(1)[0];
    let (seq, header) = get_block(dev, start);
    let c_to_header = c_sent.elapsed();
    assert_eq!(seq, 0, "the first block is the header");
    let nul = header
        .iter()
        .position(|&b| b == 0)
        .expect("a NUL after the name");
    let name = String::from_utf8_lossy(&header[..nul]).into_owned();
    let size: usize = String::from_utf8_lossy(&header[nul + 1..])
        .split([' ', '\0'])
        .next()
        .and_then(|s| s.parse().ok())
        .expect("a size in the header");
    dev.put(&[ACK]);
    let mut data = Vec::with_capacity(size + 1024);
    let mut expected = 1u8;
    loop {
        match dev.get(1)[0] {
            EOT => break,
            start => {
                let (seq, block) = get_block(dev, start);
                assert_eq!(seq, expected, "block number");
                expected = expected.wrapping_add(1);
                data.extend_from_slice(&block);
                dev.put(&[ACK]);
            }
        }
    }
    dev.put(&[ACK, ACK, b'C']);
    let start = dev.get(1)[0];
    let (seq, end) = get_block(dev, start);
    assert!(
        seq == 0 && end[0] == 0,
        "the end-of-batch header: {}",
        hex(&end, 16)
    );
    dev.put(&[ACK]);
    data.truncate(size);
    (name, data, c_to_header)
}

/// `send -Y --init 'loady 0x82000000\r' --expect 'Ready for binary' --after ...` over
/// stdin/stdout against the scripted U-Boot, traced and reported.
#[test]
fn uboot_handshake_over_stdio() {
    let work = Work::new();
    let (_, data) = work.random_file("fw.bin", 40_000, 0xB0B0);
    let mut cmd = ours();
    cmd.args([
        "-v",
        "send",
        "-Y",
        "--timeout",
        "5",
        "--init",
        "loady 0x82000000\\r",
        "--expect",
        "Ready for binary",
        "--after",
        "bootm 0x82000000\\r",
        "--trace",
        "t.log",
        "--report",
        "r.json",
        "fw.bin",
    ])
    .current_dir(work.dir());
    let started = Instant::now();
    let mut dev = Scripted::spawn(cmd);
    let (name, got, c_to_header) = uboot_loady(&mut dev, b"loady 0x82000000\r");
    // U-Boot throws away the input that waits when its transfer ends, then prints its summary
    // and prompt: the boot command comes once it has gone quiet, not while it drains.
    let early = dev.try_read(1, Duration::from_millis(100));
    assert!(
        matches!(&early, Err(b) if b.is_empty()),
        "--after typed before U-Boot's prompt: {early:?}"
    );
    dev.put(b"## Total Size      = 0x00009c40 = 40000 Bytes\r\n");
    dev.put(b"## Start Addr      = 0x82000000\r\n=> ");
    // The boot command comes after the end of the batch, and nothing else.
    let after = dev.get(b"bootm 0x82000000\r".len());
    assert_eq!(after, b"bootm 0x82000000\r", "{}", hex(&after, 32));
    let (finished, rest) = dev.wait(ANSWER);
    let elapsed = started.elapsed();
    eprintln!("{finished}U-Boot handshake: C to header {c_to_header:.2?}, whole run {elapsed:.2?}");
    assert!(finished.status.success(), "{finished}");
    assert!(rest.is_empty(), "sent after --after: {}", hex(&rest, 32));
    assert_eq!(name, "fw.bin");
    assert!(got == data, "the file differs");
    // The device only ever sent one `C` and the sender gives up after 5 s without one: the
    // transfer worked, so the `C` right after the "Ready" line was used.
    // -v shows what the device printed up to the expected text.
    assert!(
        finished.stderr.contains("xyzmodem: device| U-Boot 2023.01")
            && finished
                .stderr
                .contains("xyzmodem: device| ## Ready for binary"),
        "{finished}"
    );

    let trace = fs::read_to_string(work.path("t.log")).expect("read the trace");
    for want in [
        "> \"loady 0x82000000\" CR |",
        "\"## Ready for binary (ymodem) download to 0x82000000 at 115200 bps...\" CR LF C |",
        "> SOH#0 (133 bytes) |",
        "> STX#1 (1029 bytes) |",
        "< ACK |",
        "> EOT |",
        "< ACK ACK C |",
        "> \"bootm 0x82000000\" CR |",
    ] {
        assert!(trace.contains(want), "no {want:?} in the trace:\n{trace}");
    }
    let lines = json_lines(&work.path("r.json"));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["name"], "fw.bin");
    assert_eq!(lines[0]["result"], "ok");
    assert_eq!(lines[0]["bytes"], 40_000);
    assert_eq!(lines[1]["type"], "session");
}

/// `send -Y --port PORT --init 'loady 0x82000000\r' --expect 'Ready for binary'`, giving up
/// after 5 s without a start, then `rest`; in `work`, with stdin closed.
fn send_loady(work: &Work, port: &Path, rest: &[&str]) -> Command {
    let mut cmd = ours();
    cmd.args(["send", "-Y", "--timeout", "5", "--port"])
        .arg(port)
        .args([
            "--init",
            "loady 0x82000000\\r",
            "--expect",
            "Ready for binary",
        ])
        .args(rest)
        .current_dir(work.dir())
        .stdin(Stdio::null());
    cmd
}

/// The same through a pty with --port: the serial link path, and `--report -` on stdout.
#[test]
fn uboot_handshake_over_a_pty() {
    if !require_peers(&["socat"]) {
        return;
    }
    let work = Work::new();
    let socat = Socat::start(&work);
    let _hold = File::open(&socat.a).expect("open pty a");
    let mut dev = PtyDevice::open(&socat.b, work.path("send.err"));
    let (_, data) = work.random_file("fw.bin", 100_000, 0xB0B1);
    let mut cmd = send_loady(
        &work,
        &socat.a,
        &["--after", "bootm 0x82000000\\r", "--report", "-", "fw.bin"],
    );
    cmd.stdout(File::create(work.path("r.json")).expect("create r.json"));
    let started = Instant::now();
    let mut procs = [Proc::spawn(cmd, work.path("send.err"))];
    let (_, got, c_to_header) = uboot_loady(&mut dev, b"loady 0x82000000\r");
    assert_eq!(dev.get(17), b"bootm 0x82000000\r");
    let report = wait_all(&mut procs, LIMIT);
    eprintln!(
        "{report}pty U-Boot: C to header {c_to_header:.2?}, run {:.2?}",
        started.elapsed()
    );
    assert_eq!(procs[0].code(), Some(0), "{report}");
    assert!(got == data, "the file differs");
    let lines = json_lines(&work.path("r.json"));
    assert_eq!(lines[0]["port"], socat.a.display().to_string(), "{lines:?}");
    assert_eq!(lines[0]["protocol"], "ymodem");
}

/// The scripted bootloader (`FAKE_UBOOT`, lrzsz `rb` behind its `loady`) on the far end of a pty
/// pair: `send -Y --port --init 'loady ADDR\r' --expect` types the command and sends on its
/// "Ready" line; the bootloader then prints U-Boot's "## Total Size" line, runs the `bootm` of
/// `--after` on the loaded bytes (their SHA-256), and its `crc32` over them is the file's
/// CRC-32.
#[test]
fn uboot_flow_against_the_scripted_bootloader() {
    if !require_peers(&["socat", "rb", "gzip", "perl"]) {
        return;
    }
    let work = Work::new();
    let socat = Socat::start(&work);
    // Holds the near end open until the sender opens it, so the banner waits in the pty.
    let hold = File::open(&socat.a).expect("open pty a");
    let (stdin, stdout) = open_rw(&socat.b);
    let mut uboot = Command::new(FAKE_UBOOT);
    uboot.env("TMPDIR", work.dir()).stdin(stdin).stdout(stdout);
    let _uboot = Proc::spawn(uboot, work.path("uboot.err"));
    let (_, data) = work.random_file("fw.bin", 100_000, 0xB0B2);
    let cmd = send_loady(&work, &socat.a, &["-v", "--after", "bootm\\r", "fw.bin"]);
    let started = Instant::now();
    let mut send = [Proc::spawn(cmd, work.path("send.err"))];
    let report = wait_all(&mut send, LIMIT);
    eprintln!("{report}scripted U-Boot: sent in {:.2?}", started.elapsed());
    assert_eq!(send[0].code(), Some(0), "{report}");
    // `--after` waited for the prompt after U-Boot's summary, which -v shows.
    let err = fs::read_to_string(work.path("send.err")).expect("read send.err");
    for line in [
        "xyzmodem: device| ## Total Size      = 0x000186a0 = 100000 Bytes",
        "xyzmodem: device| ## Start Addr      = 0x82000000",
    ] {
        assert!(err.contains(line), "no {line:?} in:\n{err}");
    }

    let mut dev = PtyDevice::open(&socat.a, work.path("uboot.err"));
    drop(hold);
    let booted = dev.until(b"\r\n=> ");
    assert_eq!(
        String::from_utf8_lossy(&booted),
        format!(
            "bootm\r\n## Booting kernel from Legacy Image at 82000000 ...\r\n\
             Starting kernel ...\r\nbooted {} (100000 bytes)\r\n=> ",
            sha256_hex(&data)
        )
    );
    dev.put(b"crc32 82000000 186a0\r");
    let answer = dev.until(b"\r\n=> ");
    assert_eq!(
        String::from_utf8_lossy(&answer),
        format!(
            "crc32 82000000 186a0\r\ncrc32 for 82000000 ... 8201869f ==> {:08x}\r\n=> ",
            crc32fast::hash(&data)
        )
    );
}

/// The expected text never comes: exit 1, naming the text and what the device said.
#[test]
fn expect_timeout_fails_the_transfer() {
    let work = Work::new();
    work.write("fw.bin", b"firmware");
    let mut cmd = ours();
    cmd.args([
        "-v",
        "send",
        "-Y",
        "--init",
        "loady\\r",
        "--expect",
        "Ready for binary",
        "--expect-timeout",
        "1",
        "--report",
        "r.json",
        "fw.bin",
    ])
    .current_dir(work.dir());
    let mut dev = Scripted::spawn(cmd);
    assert_eq!(dev.get(6), b"loady\r");
    dev.put(b"loady\r\nUnknown command 'loady' - try 'help'\r\n=> ");
    // Keep the line open until the sender gives up (its stdout closes).
    let _ = dev.try_read(1, ANSWER);
    let (finished, _) = dev.wait(ANSWER);
    assert_eq!(finished.status.code(), Some(1), "{finished}");
    let err = &finished.stderr;
    assert!(
        err.contains("did not print \"Ready for binary\" within 1 s"),
        "{finished}"
    );
    assert!(
        err.contains("its last output: \"loady\\r\\nUnknown command"),
        "{finished}"
    );
    assert!(
        err.contains("xyzmodem: device| Unknown command 'loady'"),
        "{finished}"
    );
    let lines = json_lines(&work.path("r.json"));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["result"], "failed");
    assert_eq!(lines[0]["bytes"], 0);
    assert!(
        lines[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("Ready for binary")),
        "{lines:?}"
    );
    assert_eq!(lines[1]["exit_code"], 1);
}

/// recv with a handshake: the device is told to send, says so, and our `C` starts an XMODEM
/// transfer; `--after` follows it.
#[test]
fn recv_with_a_handshake() {
    let work = Work::new();
    let mut cmd = ours();
    cmd.args([
        "recv",
        "-X",
        "--init",
        "sx fw.bin\\r",
        "--expect",
        "receive command now.\\r\\n",
        "--after",
        "\\x03",
        "--trace",
        "t.log",
        "out.bin",
    ])
    .current_dir(work.dir());
    let mut dev = Scripted::spawn(cmd);
    assert_eq!(dev.get(10), b"sx fw.bin\r");
    dev.put(b"sx fw.bin\r\nGive your local XMODEM receive command now.\r\n");
    assert_eq!(dev.get(1), b"C");
    let data = random_bytes(200, 0x5EC);
    for (i, chunk) in data.chunks(128).enumerate() {
        dev.put(&crc_block(i as u8 + 1, &padded_128(chunk)));
        assert_eq!(dev.get(1), [ACK]);
    }
    dev.put(&[EOT]);
    if dev.get(1) == [NAK] {
        dev.put(&[EOT]);
        assert_eq!(dev.get(1), [ACK]);
    }
    assert_eq!(dev.get(1), [0x03], "--after");
    let (finished, _) = dev.wait(ANSWER);
    assert!(finished.status.success(), "{finished}");
    check_xmodem_copy(&work.read("out.bin"), &data, 127).unwrap_or_else(|e| panic!("{e}"));
    let trace = fs::read_to_string(work.path("t.log")).expect("read the trace");
    for want in [
        "> C |",
        "< SOH#1 (133 bytes) |",
        "< SOH#2 (133 bytes) |",
        "> ACK |",
        "< EOT |",
        "> ETX |",
    ] {
        assert!(trace.contains(want), "no {want:?} in the trace:\n{trace}");
    }
}

// ---------------------------------------------------------------------------------------------
// Reports and traces

pub(crate) fn json_lines(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Our `send` (with `send_args`) into our `recv` (with `recv_args`), both in `work`'s
/// directory; both must succeed.
fn transfer_in(work: &Work, send_args: &[&str], recv_args: &[&str]) {
    let mut send = ours();
    send.args(send_args).current_dir(work.dir());
    let mut recv = ours();
    recv.args(recv_args).current_dir(work.dir());
    crate::common::cross_connect(&mut send, &mut recv);
    crate::common::run_pair(send, recv, LIMIT).assert_success();
}

/// `send -Y a b` into `recv`, both with --report: a line per file and a session line.
#[test]
fn reports_for_a_batch() {
    let work = Work::new();
    let (_, a) = work.random_file("a.bin", 3000, 1);
    let (_, b) = work.random_file("b.bin", 100, 2);
    fs::create_dir(work.path("in")).expect("mkdir in");
    transfer_in(
        &work,
        &["send", "-Y", "--report", "s.json", "a.bin", "b.bin"],
        &["recv", "--report", "r.json", "in"],
    );
    assert_eq!(work.read("in/a.bin"), a);
    assert_eq!(work.read("in/b.bin"), b);
    for (file, direction) in [("s.json", "send"), ("r.json", "recv")] {
        let lines = json_lines(&work.path(file));
        assert_eq!(lines.len(), 3, "{file}: {lines:?}");
        for (line, (name, size)) in lines.iter().zip([("a.bin", 3000), ("b.bin", 100)]) {
            assert_eq!(line["type"], "file");
            assert_eq!(line["direction"], direction);
            assert!(line["port"].is_null());
            assert_eq!(line["name"], name);
            assert_eq!(line["size"], size);
            assert_eq!(line["bytes"], size);
            assert_eq!(line["protocol"], "ymodem");
            assert_eq!(line["check"], "CRC-16");
            assert_eq!(line["retries"], 0);
            assert_eq!(line["result"], "ok");
            assert!(line["error"].is_null());
            assert!(line["duration"].as_f64().is_some_and(|d| d >= 0.0));
            assert!(
                matches!(line["block_size"].as_u64(), Some(128 | 1024)),
                "{line}"
            );
        }
        let s = &lines[2];
        assert_eq!(s["type"], "session");
        assert_eq!(
            (s["files"].as_u64(), s["ok"].as_u64(), s["failed"].as_u64()),
            (Some(2), Some(2), Some(0))
        );
        assert_eq!(s["bytes"], 3100);
        assert_eq!(s["result"], "ok");
        assert_eq!(s["exit_code"], 0);
    }
}

/// `send -k` names XMODEM-1K in its report even for a file that fits in one 128-byte block
/// (the engine says what it speaks; no 1024-byte block has to go through): the receiver, which
/// only sees the 128-byte block, says XMODEM.
#[test]
fn report_names_xmodem_1k_from_the_sender_setting() {
    let work = Work::new();
    let (_, data) = work.random_file("small.bin", 100, 3);
    transfer_in(
        &work,
        &["send", "-k", "--report", "s.json", "small.bin"],
        &["recv", "--report", "r.json", "out.bin"],
    );
    crate::common::check_xmodem_copy(&work.read("out.bin"), &data, 127)
        .unwrap_or_else(|e| panic!("{e}"));
    for (file, protocol) in [("s.json", "xmodem-1k"), ("r.json", "xmodem")] {
        let lines = json_lines(&work.path(file));
        assert_eq!(
            (&lines[0]["protocol"], &lines[0]["block_size"]),
            (&protocol.into(), &128.into()),
            "{file}: {lines:?}"
        );
    }
}

/// `--report -` when stdout is the link is a usage error; a failed session is reported.
#[test]
fn report_refusals_and_failures() {
    let work = Work::new();
    work.write("f.bin", b"data");
    for args in [
        &["send", "--report", "-", "f.bin"][..],
        &["recv", "--report", "-", "x"],
    ] {
        let out = ours()
            .args(args)
            .current_dir(work.dir())
            .stdin(Stdio::null())
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--report -"), "{stderr}");
    }
    // Nobody answers: the start times out.
    let mut cmd = ours();
    cmd.args([
        "send",
        "-Y",
        "--timeout",
        "1",
        "--report",
        "r.json",
        "f.bin",
    ])
    .current_dir(work.dir());
    let (finished, _) = Scripted::spawn(cmd).wait(ANSWER);
    // (wait closes stdin at once: a hang-up rather than a timeout; either fails the same way.)
    assert_eq!(finished.status.code(), Some(1), "{finished}");
    let lines = json_lines(&work.path("r.json"));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        (&lines[0]["name"], &lines[0]["result"]),
        (&Value::from("f.bin"), &Value::from("failed"))
    );
    assert_eq!(lines[0]["size"], 4);
    assert!(lines[0]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(lines[1]["result"], "failed");
    assert_eq!(lines[1]["exit_code"], 1);
}

/// `--trace` on both sides of an XMODEM transfer.
#[test]
fn traces_on_both_sides() {
    let work = Work::new();
    let (_, data) = work.random_file("in.bin", 300, 3);
    let mut send = ours();
    send.args(["send", "--trace", "s.log", "in.bin"])
        .current_dir(work.dir());
    let mut recv = ours();
    recv.args(["recv", "--trace", "r.log", "out.bin"])
        .current_dir(work.dir());
    crate::common::cross_connect(&mut send, &mut recv);
    let pair = crate::common::run_pair(send, recv, LIMIT);
    pair.assert_success();
    check_xmodem_copy(&work.read("out.bin"), &data, 127).unwrap_or_else(|e| panic!("{e}"));
    let check = |file: &str, wants: &[&str]| {
        let trace = fs::read_to_string(work.path(file)).expect("read a trace");
        for want in wants {
            assert!(trace.contains(want), "no {want:?} in {file}:\n{trace}");
        }
        for line in trace.lines().skip(1) {
            // "    0.001234 > ACK | 06": seconds with six decimals, a direction, the rest.
            let mut fields = line.split_whitespace();
            let t = fields.next().unwrap_or_default();
            assert!(
                t.split_once('.')
                    .is_some_and(|(s, us)| s.parse::<u64>().is_ok() && us.len() == 6),
                "{line}"
            );
            assert!(matches!(fields.next(), Some("<" | ">")), "{line}");
        }
        trace
    };
    let r = check(
        "r.log",
        &[
            "> C | 43",
            "< SOH#1 (133 bytes) | 01 01 fe",
            "< SOH#3",
            "> ACK | 06",
            "< EOT | 04",
        ],
    );
    let s = check(
        "s.log",
        &[
            "< C | 43",
            "> SOH#1 (133 bytes) | 01 01 fe",
            "> SOH#3",
            "< ACK | 06",
            "> EOT | 04",
        ],
    );
    assert!(r.starts_with("# xyzmodem trace of stdin/stdout"), "{r}");
    assert!(!s.contains("SOH#4"), "{s}");
}

// ---------------------------------------------------------------------------------------------
// Several ports at once

/// `n` socat pty pairs. Our side of pair i is reached through the symlink `ports/p{i}` in
/// `work` (so `ports/p*` names them all); the far sides are `far[i]`.
struct Ptys {
    _works: Vec<Work>,
    _socats: Vec<Socat>,
    _holds: Vec<File>,
    near: Vec<PathBuf>,
    far: Vec<PathBuf>,
}

fn ptys(work: &Work, n: usize) -> Ptys {
    fs::create_dir_all(work.path("ports")).expect("mkdir ports");
    let mut p = Ptys {
        _works: Vec::new(),
        _socats: Vec::new(),
        _holds: Vec::new(),
        near: Vec::new(),
        far: Vec::new(),
    };
    for i in 1..=n {
        let w = Work::new();
        let socat = Socat::start(&w);
        // Our ends stay open for the whole test: a pty nobody has open loses what the far
        // end writes (the receiver's first `C`), and our sender opens its end later.
        p._holds.push(File::open(&socat.a).expect("open a pty"));
        let near = work.path(&format!("ports/p{i}"));
        symlink(&socat.a, &near).expect("symlink a port");
        p.near.push(near);
        p.far.push(socat.b.clone());
        p._socats.push(socat);
        p._works.push(w);
    }
    p
}

/// Our `recv` on `far`, storing into `dir`.
///
/// Not lrzsz `rb`: over a pty it loses bytes. After sending its `C` it flushes its input
/// (`TCIFLUSH`), which on a pty also discards a header that came back within microseconds,
/// and on exit it flushes again (`TCIOFLUSH`), which on a pty discards its own last ACK if
/// socat has not read it yet. Each loss costs a 10 s timeout, or the session. (On a real
/// serial line the bytes take time on the wire, and `tcdrain` waits for them.)
fn receiver(far: &Path, dir: &Path) -> Command {
    fs::create_dir_all(dir).expect("mkdir a receive directory");
    let mut recv = ours();
    recv.args(["recv", "-q", "--port"])
        .arg(far)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    recv
}

/// The same 1 MiB file to 3 ports at once, then to 1 port; prints both wall times.
#[test]
fn parallel_send_to_three_ports() {
    if !require_peers(&["socat"]) {
        return;
    }
    let work = Work::new();
    let (input, data) = work.random_file("fw.bin", MIB, 0x3B0A);
    let ptys = ptys(&work, 3);

    let mut procs: Vec<Proc> = (0..3)
        .map(|i| {
            let cmd = receiver(&ptys.far[i], &work.path(&format!("r{i}")));
            Proc::spawn(cmd, work.path(&format!("r{i}.err")))
        })
        .collect();
    let mut send = ours();
    send.args(["send", "-Y", "--port"])
        .arg(format!("{}/ports/p*", work.dir().display()))
        .args(["--report", "rep.json", "--trace", "tr.log"])
        .arg(&input)
        .current_dir(work.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let started = Instant::now();
    procs.push(Proc::spawn(send, work.path("send.err")));
    let report = wait_all(&mut procs, LIMIT);
    let three = started.elapsed();
    assert!(procs.iter().all(|p| p.code() == Some(0)), "{report}");
    for i in 0..3 {
        assert!(
            work.read(&format!("r{i}/fw.bin")) == data,
            "port {i}: the copy differs\n{report}"
        );
    }
    let stderr = procs[3].stderr();
    for i in 1..=3 {
        let ok = format!("/ports/p{i}: ok ({MIB} bytes, ");
        assert!(stderr.contains(&ok), "no {ok:?}:\n{stderr}");
        let trace =
            fs::read_to_string(work.path(&format!("tr.p{i}.log"))).expect("a trace per port");
        assert!(
            trace.contains("< C |") && trace.contains("> STX#1 (1029 bytes)"),
            "p{i}"
        );
    }
    let lines = json_lines(&work.path("rep.json"));
    assert_eq!(lines.len(), 4, "{lines:?}");
    let mut ports: Vec<&str> = lines[..3]
        .iter()
        .map(|l| l["port"].as_str().unwrap_or_default())
        .collect();
    ports.sort_unstable();
    for (i, port) in ports.iter().enumerate() {
        assert!(port.ends_with(&format!("/ports/p{}", i + 1)), "{lines:?}");
    }
    assert!(
        lines[..3]
            .iter()
            .all(|l| l["result"] == "ok" && l["bytes"] == MIB),
        "{lines:?}"
    );
    assert_eq!(
        (
            lines[3]["ok"].as_u64(),
            lines[3]["ports"].as_array().map(Vec::len)
        ),
        (Some(3), Some(3))
    );
    drop(procs);

    // The same file to one port.
    let mut procs = vec![Proc::spawn(
        receiver(&ptys.far[0], &work.path("single")),
        work.path("single.err"),
    )];
    let mut send = ours();
    // With a trace and a report too, as above, so that the times compare.
    send.args([
        "send", "-Y", "-q", "--report", "one.json", "--trace", "one.log", "--port",
    ])
    .arg(&ptys.near[0])
    .arg(&input)
    .current_dir(work.dir())
    .stdin(Stdio::null())
    .stdout(Stdio::null());
    let started = Instant::now();
    procs.push(Proc::spawn(send, work.path("single-send.err")));
    let report = wait_all(&mut procs, LIMIT);
    let one = started.elapsed();
    assert!(procs.iter().all(|p| p.code() == Some(0)), "{report}");
    assert!(
        work.read("single/fw.bin") == data,
        "single port: the copy differs"
    );
    eprintln!(
        "parallel: 1 MiB YMODEM over unthrottled ptys to 3 ports at once in {three:.2?}, to 1 \
         port in {one:.2?} ({:.2}x), {} CPUs",
        three.as_secs_f64() / one.as_secs_f64(),
        thread::available_parallelism().map_or(0, usize::from)
    );
}

/// One port has no receiver and one does not exist: the others still succeed, the exit code
/// is that of the first failed port in port order (1: the timeout, not 4: the missing port).
#[test]
fn parallel_send_with_failing_ports() {
    if !require_peers(&["socat"]) {
        return;
    }
    let work = Work::new();
    let (input, data) = work.random_file("fw.bin", 50_000, 0x3B0B);
    let ptys = ptys(&work, 3);
    let missing = work.path("no-such-tty");
    let mut procs = vec![
        Proc::spawn(
            receiver(&ptys.far[0], &work.path("r0")),
            work.path("r0.err"),
        ),
        Proc::spawn(
            receiver(&ptys.far[2], &work.path("r2")),
            work.path("r2.err"),
        ),
    ];
    let mut send = ours();
    send.args(["send", "-Y", "--timeout", "3", "--report", "rep.json"])
        .arg("--port")
        .arg(&ptys.near[0])
        .arg("--port")
        .arg(&ptys.near[1])
        .arg("--port")
        .arg(&missing)
        .arg("--port")
        .arg(&ptys.near[2])
        .arg(&input)
        .current_dir(work.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    procs.push(Proc::spawn(send, work.path("send.err")));
    let report = wait_all(&mut procs, LIMIT);
    assert_eq!(procs[2].code(), Some(1), "{report}");
    assert_eq!(
        (procs[0].code(), procs[1].code()),
        (Some(0), Some(0)),
        "{report}"
    );
    assert!(
        work.read("r0/fw.bin") == data && work.read("r2/fw.bin") == data,
        "{report}"
    );
    let stderr = procs[2].stderr();
    for want in [
        format!("{}: ok (50000 bytes, ", ptys.near[0].display()),
        format!(
            "{}: failed: sending fw.bin: timed out",
            ptys.near[1].display()
        ),
        format!(
            "{}: failed: serial port {} does not exist",
            missing.display(),
            missing.display()
        ),
        format!("{}: ok (50000 bytes, ", ptys.near[2].display()),
        "error: 2 of 4 ports failed; the first in port order: ".to_owned(),
    ] {
        assert!(stderr.contains(&want), "no {want:?} in:\n{stderr}");
    }
    let lines = json_lines(&work.path("rep.json"));
    assert_eq!(lines.len(), 5, "{lines:?}");
    let failed: Vec<&str> = lines[..4]
        .iter()
        .filter(|l| l["result"] == "failed")
        .map(|l| l["port"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(failed.len(), 2, "{lines:?}");
    assert_eq!(lines[4]["exit_code"], 1);
    assert_eq!(
        (lines[4]["ok"].as_u64(), lines[4]["failed"].as_u64()),
        (Some(2), Some(2))
    );
}

/// SIGINT while two ports wait for their receivers: both are cancelled, exit 130.
#[test]
fn parallel_send_interrupted() {
    if !require_peers(&["socat"]) {
        return;
    }
    use rustix::process::{Pid, Signal, kill_process};
    let work = Work::new();
    let input = work.write("fw.bin", b"firmware");
    let ptys = ptys(&work, 2);
    let mut send = ours();
    send.args(["send", "-Y", "--port"])
        .arg(format!("{}/ports/p*", work.dir().display()))
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut procs = [Proc::spawn(send, work.path("send.err"))];
    thread::sleep(Duration::from_millis(700));
    kill_process(Pid::from_child(&procs[0].child), Signal::INT).expect("SIGINT");
    let report = wait_all(&mut procs, Duration::from_secs(10));
    assert_eq!(procs[0].code(), Some(130), "{report}");
    let stderr = procs[0].stderr();
    for near in &ptys.near {
        let want = format!("{}: failed: ", near.display());
        assert!(stderr.contains(&want), "no {want:?} in:\n{stderr}");
    }
}

/// Two ports whose devices print nothing within `--expect-timeout`: each line names its port
/// once, and so does the final error. They used to repeat it (`PORT: failed: PORT: the
/// device did not print ...`, `... in port order: PORT: PORT: the device ...`).
#[test]
fn parallel_errors_name_the_port_once() {
    if !require_peers(&["socat"]) {
        return;
    }
    let work = Work::new();
    let input = work.write("fw.bin", b"firmware");
    let ptys = ptys(&work, 2);
    let mut send = ours();
    send.args(["send", "-Y", "--expect", "Ready", "--expect-timeout", "0.3"])
        .arg("--port")
        .arg(&ptys.near[0])
        .arg("--port")
        .arg(&ptys.near[1])
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut procs = [Proc::spawn(send, work.path("send.err"))];
    let report = wait_all(&mut procs, LIMIT);
    assert_eq!(procs[0].code(), Some(1), "{report}");
    let stderr = procs[0].stderr();
    let why = "the device did not print \"Ready\" within 0.3 s (it printed nothing)";
    let (a, b) = (ptys.near[0].display(), ptys.near[1].display());
    let want = [
        format!("xyzmodem: {a}: failed: {why}"),
        format!("xyzmodem: {b}: failed: {why}"),
        format!("xyzmodem: error: 2 of 2 ports failed; the first in port order: {a}: {why}"),
    ];
    assert_eq!(stderr.lines().collect::<Vec<_>>(), want, "{stderr}");
}

/// With `--port` and `-v`, `send` and `recv` say once, when the port is open, what they wait
/// for; without `-v` they do not (a port is usually a board, not a person). It used to say
/// nothing either way.
#[test]
fn a_port_session_says_once_what_it_waits_for() {
    if !require_peers(&["socat"]) {
        return;
    }
    use rustix::process::{Pid, Signal, kill_process};
    let work = Work::new();
    let input = work.write("fw.bin", b"firmware");
    let ptys = ptys(&work, 1);
    let port = ptys.near[0].display().to_string();
    let send = format!(
        "xyzmodem: {port}: sending fw.bin with XMODEM: start an XMODEM receive on the other side \
         now (lrzsz: rx -c FILE; a terminal program: its XMODEM download); Ctrl-C cancels"
    );
    let recv = format!(
        "xyzmodem: {port}: waiting for an XMODEM, YMODEM or ZMODEM sender: start the send on \
         the other side now (lrzsz: sx FILE, sb FILE or sz FILE; a terminal program: its \
         upload); Ctrl-C cancels"
    );
    for (args, want) in [
        (vec!["-v", "send"], Some(&send)),
        (vec!["send"], None),
        (vec!["-v", "recv"], Some(&recv)),
        (vec!["recv"], None),
    ] {
        let mut cmd = ours();
        cmd.args(&args)
            .arg("--port")
            .arg(&ptys.near[0])
            .arg(if args.contains(&"send") {
                input.clone()
            } else {
                work.path("dst/")
            })
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let mut procs = [Proc::spawn(cmd, work.path("err"))];
        thread::sleep(Duration::from_millis(500));
        kill_process(Pid::from_child(&procs[0].child), Signal::INT).expect("SIGINT");
        let report = wait_all(&mut procs, LIMIT);
        assert_eq!(procs[0].code(), Some(130), "{args:?}: {report}");
        let stderr = procs[0].stderr();
        let waiting: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("on the other side now"))
            .collect();
        match want {
            Some(want) => assert_eq!(waiting, [want.as_str()], "{args:?}: {stderr}"),
            None => assert!(waiting.is_empty(), "{args:?}: {stderr}"),
        }
    }
}
