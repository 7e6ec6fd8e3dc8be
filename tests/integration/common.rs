//! Helpers shared by the integration tests: work directories, seeded data, child processes
//! that always run under a deadline, XMODEM framing and comparison of received files.

use std::{
    env,
    fmt::{self, Display, Write as _},
    fs::{self, File, OpenOptions},
    io::{Read, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, ExitStatus, Stdio},
    sync::mpsc::{self, RecvTimeoutError},
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

pub const SOH: u8 = 0x01;
pub const STX: u8 = 0x02;
pub const EOT: u8 = 0x04;
pub const ACK: u8 = 0x06;
pub const NAK: u8 = 0x15;
pub const CAN: u8 = 0x18;
pub const SUB: u8 = 0x1A;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_xyzmodem");

/// How long any pair of transfer processes may run before the test kills them and fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Once one process of a pair has exited, how much longer the other one may take.
const STRAGGLER: Duration = Duration::from_secs(20);

/// A `std::process::Command` for the binary under test.
pub fn xyzmodem() -> Command {
    Command::new(BIN)
}

// ---------------------------------------------------------------------------------------------
// Peers

/// True when every program is on `PATH`. Otherwise prints `skipping: PROG not installed` and
/// returns false, or panics when `XYZMODEM_REQUIRE_PEERS=1`.
pub fn require_peers(progs: &[&str]) -> bool {
    let required = env::var_os("XYZMODEM_REQUIRE_PEERS").is_some_and(|v| v == "1");
    for prog in progs {
        if !on_path(prog) {
            assert!(
                !required,
                "{prog} not installed, and XYZMODEM_REQUIRE_PEERS=1"
            );
            eprintln!("skipping: {prog} not installed");
            return false;
        }
    }
    true
}

/// The installed builds of the peers, e.g. `lrzsz 0.12.21-10+deb12u1, socat 1.7.4.4-2`, from
/// `dpkg-query` where there is one. Every failure report of a pair names them, so a report says
/// which build of lrzsz the suite ran against.
pub fn peer_versions() -> &'static str {
    static VERSIONS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSIONS.get_or_init(|| {
        let out = Command::new("dpkg-query")
            .args(["-W", "-f", "${Package} ${Version}\\n", "lrzsz", "socat"])
            .stderr(Stdio::null())
            .output();
        let listed = out
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        if listed.is_empty() {
            "unknown (no dpkg-query, or lrzsz and socat not installed as packages)".into()
        } else {
            listed
        }
    })
}

/// The scripted U-Boot console (`tests/integration/data/fake_uboot.sh`) for the far end of a
/// pty pair or a terminal's command: a `=> ` prompt that echoes what is typed, `loady [ADDR]`
/// receiving one YMODEM file with lrzsz `rb` and printing U-Boot's "## Ready for binary" and
/// "## Total Size" lines, `crc32 ADDR SIZE` over the loaded bytes in U-Boot's format, `echo`.
/// Its programs are bash, perl, `rb` (lrzsz) and gzip; it makes its scratch directory under
/// `TMPDIR`, so set that to a test's work directory (a killed script cannot remove it).
pub const FAKE_UBOOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/integration/data/fake_uboot.sh"
);

fn on_path(prog: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    env::var_os("PATH").is_some_and(|path| {
        env::split_paths(&path).any(|dir| {
            dir.join(prog)
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Work directory and data

/// A temporary directory per test, removed when dropped.
pub struct Work {
    dir: TempDir,
}

impl Work {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("xyzmodem-it-")
            .tempdir()
            .expect("create a temporary work directory");
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// A file of `len` seeded pseudo-random bytes; returns its path and contents.
    pub fn random_file(&self, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
        let data = random_bytes(len, seed);
        (self.write(name, &data), data)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        let path = self.path(name);
        fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// Names of the entries in the work directory, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir())
            .expect("list the work directory")
            .map(|e| {
                e.expect("read a directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

/// `len` pseudo-random bytes from splitmix64 seeded with `seed`.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Bytes as hex, at most `max` of them.
pub fn hex(data: &[u8], max: usize) -> String {
    let mut s: String = data.iter().take(max).map(|b| format!("{b:02x} ")).collect();
    if data.len() > max {
        let _ = write!(s, "... ({} bytes)", data.len());
    }
    s.trim_end().to_owned()
}

// ---------------------------------------------------------------------------------------------
// XMODEM framing

/// CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection.
pub fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The 8-bit arithmetic checksum of original XMODEM.
pub fn checksum8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |sum, &b| sum.wrapping_add(b))
}

/// A 128-byte block with a CRC-16 trailer (big-endian).
pub fn crc_block(seq: u8, data: &[u8; 128]) -> Vec<u8> {
    let mut block = vec![SOH, seq, !seq];
    block.extend_from_slice(data);
    block.extend_from_slice(&crc16_xmodem(data).to_be_bytes());
    block
}

/// A 128-byte block with a checksum trailer.
pub fn checksum_block(seq: u8, data: &[u8; 128]) -> Vec<u8> {
    let mut block = vec![SOH, seq, !seq];
    block.extend_from_slice(data);
    block.push(checksum8(data));
    block
}

/// A 1024-byte (STX) block with a CRC-16 trailer.
pub fn crc_block_1k(seq: u8, data: &[u8; 1024]) -> Vec<u8> {
    let mut block = vec![STX, seq, !seq];
    block.extend_from_slice(data);
    block.extend_from_slice(&crc16_xmodem(data).to_be_bytes());
    block
}

/// A CRC-16 block of 128 (SOH) or 1024 (STX) bytes of `data`.
pub fn crc_block_any(seq: u8, data: &[u8]) -> Vec<u8> {
    match data.len() {
        128 => crc_block(seq, data.try_into().expect("128 bytes")),
        1024 => crc_block_1k(seq, data.try_into().expect("1024 bytes")),
        n => panic!("a block holds 128 or 1024 bytes, not {n}"),
    }
}

/// Checks the framing (start byte, sequence number and its complement) and CRC-16 of a whole
/// block as received; returns its sequence number and data.
pub fn parse_crc_block(block: &[u8]) -> Result<(u8, &[u8]), String> {
    let size = match block.first() {
        Some(&SOH) => 128,
        Some(&STX) => 1024,
        _ => return Err(format!("not a block: {}", hex(block, 16))),
    };
    if block.len() != size + 5 {
        return Err(format!(
            "{} bytes, want {}: {}",
            block.len(),
            size + 5,
            hex(block, 16)
        ));
    }
    let (seq, inv) = (block[1], block[2]);
    if inv != !seq {
        return Err(format!("sequence {seq:#04x} with complement {inv:#04x}"));
    }
    let data = &block[3..3 + size];
    let crc = u16::from_be_bytes([block[size + 3], block[size + 4]]);
    if crc != crc16_xmodem(data) {
        return Err(format!(
            "block {seq}: CRC {crc:#06x}, computed {:#06x}",
            crc16_xmodem(data)
        ));
    }
    Ok((seq, data))
}

/// `data` padded with 0x1A to 128 bytes.
pub fn padded_128(data: &[u8]) -> [u8; 128] {
    let mut block = [SUB; 128];
    block[..data.len()].copy_from_slice(data);
    block
}

// ---------------------------------------------------------------------------------------------
// YMODEM framing

/// Block 0 of a YMODEM batch: `name NUL meta`, zero-filled to 128 bytes, or to 1024 (an STX
/// block) when it does not fit. `meta` is the text after the name, e.g. `"5 13603256645 100644"`.
pub fn ymodem_header(name: &[u8], meta: &str) -> Vec<u8> {
    let mut data = name.to_vec();
    data.push(0);
    data.extend_from_slice(meta.as_bytes());
    let size = if data.len() <= 128 { 128 } else { 1024 };
    assert!(
        data.len() <= size,
        "a YMODEM header of {} bytes",
        data.len()
    );
    data.resize(size, 0);
    crc_block_any(0, &data)
}

/// The header that ends a YMODEM batch: block 0 with 128 NUL bytes.
pub fn ymodem_end() -> Vec<u8> {
    crc_block(0, &[0; 128])
}

/// The data block sizes a 1K sender sends for `len` bytes: 1024 while more than 896 bytes remain,
/// then 128 (the same rule as lrzsz `sx -k`). 128-byte blocks only when `one_k` is false.
pub fn block_sizes(len: usize, one_k: bool) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut left = len;
    while left > 0 {
        let size = if one_k && left > 896 { 1024 } else { 128 };
        sizes.push(size);
        left = left.saturating_sub(size);
    }
    sizes
}

#[test]
fn ymodem_framing() {
    let header = ymodem_header(b"a.bin", "5 0 100644");
    assert_eq!(header.len(), 133);
    assert_eq!(&header[..3], &[SOH, 0, 0xFF]);
    assert!(header[3..].starts_with(b"a.bin\x005 0 100644\x00"));
    let (seq, data) = parse_crc_block(&header).expect("a valid block");
    assert_eq!((seq, data.len()), (0, 128));
    let long = ymodem_header(&[b'n'; 300], "5");
    assert_eq!((long[0], long.len()), (STX, 1029));
    assert!(parse_crc_block(&long).is_ok());
    let mut bad = ymodem_end();
    bad[50] ^= 1;
    assert!(parse_crc_block(&bad).is_err());
    assert_eq!(block_sizes(0, true), [0usize; 0]);
    assert_eq!(block_sizes(1, true), [128]);
    assert_eq!(block_sizes(896, true), [128; 7]);
    assert_eq!(block_sizes(897, true), [1024]);
    assert_eq!(block_sizes(1025, true), [1024, 128]);
    assert_eq!(block_sizes(1025, false), [128; 9]);
    assert_eq!(block_sizes(1 << 20, true), [1024; 1024]);
}

// ---------------------------------------------------------------------------------------------
// Files: metadata and trees

/// The file mode creation mask of this process (and of the children it starts).
pub fn umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let value = line.strip_prefix("Umask:")?;
                u32::from_str_radix(value.trim(), 8).ok()
            })
        })
        .unwrap_or(0o022)
}

/// Sets the permission bits and the modification time (seconds since the epoch) of `path`.
pub fn set_mode_mtime(path: &Path, mode: u32, mtime: u64) {
    use std::os::unix::fs::PermissionsExt;
    let file = File::options()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    file.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(mtime))
        .unwrap_or_else(|e| panic!("set the mtime of {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// `path` must be a regular file holding exactly `original`, with permission bits `mode` and
/// modification time `mtime` (whole seconds).
pub fn check_ymodem_copy(
    path: &Path,
    original: &[u8],
    mode: u32,
    mtime: u64,
) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    let received = fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let mut errors = Vec::new();
    if received.len() != original.len() {
        errors.push(format!("size {}, want {}", received.len(), original.len()));
    }
    if sha256_hex(&received) != sha256_hex(original) {
        let first_diff = received
            .iter()
            .zip(original)
            .position(|(r, o)| r != o)
            .unwrap_or(received.len().min(original.len()));
        errors.push(format!("contents differ from offset {first_diff}"));
    }
    if meta.mode() & 0o7777 != mode {
        errors.push(format!("mode {:o}, want {mode:o}", meta.mode() & 0o7777));
    }
    if meta.mtime() != i64::try_from(mtime).expect("a sane mtime") {
        errors.push(format!("mtime {}, want {mtime}", meta.mtime()));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", path.display(), errors.join(", ")))
    }
}

/// Every path under `dir`, relative to it and sorted. Directories are entered, symbolic links
/// are listed but not followed.
pub fn tree(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(root.join(rel)) else {
            return;
        };
        for entry in entries {
            let entry = entry.expect("read a directory entry");
            let path = rel.join(entry.file_name());
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            out.push(path.clone());
            if is_dir {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out);
    out.sort();
    out
}

#[test]
fn crc16_xmodem_check_value() {
    assert_eq!(crc16_xmodem(b"123456789"), 0x31C3);
}

#[test]
fn random_bytes_is_seeded() {
    assert_eq!(random_bytes(1000, 7), random_bytes(1000, 7));
    assert_ne!(random_bytes(1000, 7), random_bytes(1000, 8));
    assert_eq!(random_bytes(13, 7), random_bytes(1000, 7)[..13]);
}

// ---------------------------------------------------------------------------------------------
// Comparing a received XMODEM file with its original

/// `received` must be `original` followed by at most `max_pad` bytes of 0x1A padding, and a
/// whole number of 128-byte units (XMODEM blocks are 128 or 1024 bytes).
pub fn check_xmodem_copy(received: &[u8], original: &[u8], max_pad: usize) -> Result<(), String> {
    let n = original.len();
    if received.len() < n || sha256_hex(&received[..n]) != sha256_hex(original) {
        let first_diff = received
            .iter()
            .zip(original)
            .position(|(r, o)| r != o)
            .unwrap_or(received.len().min(n));
        return Err(format!(
            "received file does not start with the original: original {n} bytes (sha256 {}), \
             received {} bytes, first differing offset {first_diff}",
            sha256_hex(original),
            received.len(),
        ));
    }
    let tail = &received[n..];
    if let Some(i) = tail.iter().position(|&b| b != SUB) {
        return Err(format!(
            "padding byte at offset {} is {:#04x}, not 0x1A (original {n} bytes, received {})",
            n + i,
            tail[i],
            received.len(),
        ));
    }
    if tail.len() > max_pad {
        return Err(format!(
            "{} bytes of padding, at most {max_pad} allowed (original {n} bytes, received {})",
            tail.len(),
            received.len(),
        ));
    }
    if !received.len().is_multiple_of(128) {
        return Err(format!(
            "received {} bytes, not a multiple of 128",
            received.len()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Child processes

/// Stdin of `a` reads what `b` writes to its stdout, and the other way round.
pub fn cross_connect(a: &mut Command, b: &mut Command) {
    let (a_in, b_out) = std::io::pipe().expect("create a pipe");
    let (b_in, a_out) = std::io::pipe().expect("create a pipe");
    a.stdin(a_in).stdout(a_out);
    b.stdin(b_in).stdout(b_out);
}

/// Opens a tty (or any device) for reading and writing, for use as stdin and stdout.
pub fn open_rw(path: &Path) -> (Stdio, Stdio) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let clone = file.try_clone().expect("duplicate a file descriptor");
    (Stdio::from(file), Stdio::from(clone))
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// A child whose stderr is collected by a thread; killed and reaped when dropped.
struct Running {
    name: String,
    child: Child,
    stderr: Option<JoinHandle<Vec<u8>>>,
    status: Option<ExitStatus>,
}

impl Running {
    /// Spawns `cmd` with stderr piped; `cmd`, and with it the parent's copies of any pipe
    /// ends given to it, is dropped here.
    fn spawn(mut cmd: Command) -> Self {
        let name = describe(&cmd);
        cmd.stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn `{name}`: {e}"));
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let stderr = thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        });
        Self {
            name,
            child,
            stderr: Some(stderr),
            status: None,
        }
    }

    fn poll(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("poll a child process");
        }
        self.status
    }

    /// Kills the child if it still runs, reaps it and collects its stderr.
    fn finish(&mut self) -> Finished {
        let killed = self.poll().is_none();
        if killed {
            let _ = self.child.kill();
            self.status = Some(self.child.wait().expect("reap a killed child"));
        }
        let stderr = self
            .stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        Finished {
            name: self.name.clone(),
            status: self.status.expect("the child has been reaped"),
            killed,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.poll().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// How much of a child's stderr a report shows.
const STDERR_TAIL: usize = 2000;

/// How a child process ended.
pub struct Finished {
    pub name: String,
    pub status: ExitStatus,
    /// The deadline passed and the test killed it.
    pub killed: bool,
    pub stderr: String,
}

impl fmt::Display for Finished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let killed = if self.killed {
            " (killed at the deadline)"
        } else {
            ""
        };
        writeln!(f, "`{}`: {}{killed}", self.name, self.status)?;
        // lrzsz's progress counters can run to many kilobytes: keep the end.
        let mut from = self.stderr.len().saturating_sub(STDERR_TAIL);
        while !self.stderr.is_char_boundary(from) {
            from += 1;
        }
        if from > 0 {
            writeln!(f, "    | [{from} bytes of stderr left out]")?;
        }
        for line in self.stderr[from..].lines() {
            writeln!(f, "    | {line}")?;
        }
        Ok(())
    }
}

/// The outcome of two processes run against each other.
pub struct Pair {
    pub a: Finished,
    pub b: Finished,
    pub elapsed: Duration,
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "after {:.2?} (peers: {}):",
            self.elapsed,
            peer_versions()
        )?;
        write!(f, "{}{}", self.a, self.b)
    }
}

impl Pair {
    /// Panics, with both stderrs, unless both processes exited with status 0.
    pub fn assert_success(&self) {
        assert!(
            self.a.status.success() && self.b.status.success(),
            "transfer failed {self}"
        );
    }
}

/// Runs `a` and `b` (stdin/stdout already connected by the caller) until both exit. Kills both
/// once `deadline` has passed, or once one has exited and the other has not followed within
/// 20 s. Stderr of both is captured.
pub fn run_pair(a: Command, b: Command, deadline: Duration) -> Pair {
    let start = Instant::now();
    let mut a = Running::spawn(a);
    let mut b = Running::spawn(b);
    let mut end = start + deadline;
    loop {
        let (sa, sb) = (a.poll(), b.poll());
        if sa.is_some() && sb.is_some() {
            break;
        }
        if (sa.is_some() || sb.is_some()) && end > Instant::now() + STRAGGLER {
            end = Instant::now() + STRAGGLER;
        }
        if Instant::now() >= end {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    let (a, b) = (a.finish(), b.finish());
    let pair = Pair {
        a,
        b,
        elapsed: start.elapsed(),
    };
    eprintln!("{pair}");
    pair
}

/// A child driven byte by byte through its stdin and stdout by the test: a scripted peer.
pub struct Scripted {
    run: Running,
    stdin: Option<ChildStdin>,
    stdout: mpsc::Receiver<Vec<u8>>,
    pending: Vec<u8>,
}

impl Scripted {
    pub fn spawn(mut cmd: Command) -> Self {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut run = Running::spawn(cmd);
        let stdin = run.child.stdin.take();
        let mut out = run.child.stdout.take().expect("stdout is piped");
        let (tx, stdout) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = out.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Self {
            run,
            stdin,
            stdout,
            pending: Vec::new(),
        }
    }

    /// Kills the child and panics with `msg` and its stderr.
    pub fn fail(&mut self, msg: &str) -> ! {
        let finished = self.run.finish();
        panic!("{msg}\n{finished}");
    }

    pub fn write(&mut self, bytes: &[u8]) {
        let result = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(bytes).and_then(|()| stdin.flush()),
            None => Ok(()),
        };
        if let Err(e) = result {
            self.fail(&format!("writing {} to the child: {e}", hex(bytes, 16)));
        }
    }

    /// Writes `bytes`; false if the child no longer reads them (it exited).
    pub fn try_write(&mut self, bytes: &[u8]) -> bool {
        self.stdin
            .as_mut()
            .is_some_and(|stdin| stdin.write_all(bytes).and_then(|()| stdin.flush()).is_ok())
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next `n` bytes the child writes, waiting at most `timeout` for them.
    pub fn read(&mut self, n: usize, timeout: Duration) -> Vec<u8> {
        let end = Instant::now() + timeout;
        while self.pending.len() < n {
            let left = end.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => self.pending.extend_from_slice(&chunk),
                Err(e) => {
                    let why = match e {
                        RecvTimeoutError::Timeout => "timed out",
                        RecvTimeoutError::Disconnected => "stdout closed",
                    };
                    let msg = format!(
                        "waiting for {n} bytes from the child: {why}, got {}",
                        hex(&self.pending, 32)
                    );
                    self.fail(&msg);
                }
            }
        }
        self.pending.drain(..n).collect()
    }

    /// Like `read`, but when fewer than `n` bytes arrive within `timeout` (or stdout closes),
    /// returns the bytes that did arrive as the error instead of failing.
    pub fn try_read(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, Vec<u8>> {
        let end = Instant::now() + timeout;
        while self.pending.len() < n {
            let left = end.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => self.pending.extend_from_slice(&chunk),
                Err(_) => return Err(std::mem::take(&mut self.pending)),
            }
        }
        Ok(self.pending.drain(..n).collect())
    }

    /// Reads `want.len()` bytes and asserts they equal `want`.
    pub fn expect(&mut self, want: &[u8], timeout: Duration) {
        let got = self.read(want.len(), timeout);
        if got != want {
            let msg = format!(
                "expected {} from the child, got {}",
                hex(want, 32),
                hex(&got, 32)
            );
            self.fail(&msg);
        }
    }

    /// Closes stdin, waits for the child to exit (killing it after `timeout`) and returns how
    /// it ended plus everything it wrote to stdout that was not read yet.
    pub fn wait(mut self, timeout: Duration) -> (Finished, Vec<u8>) {
        self.close_stdin();
        self.wait_open(timeout)
    }

    /// Like `wait`, but with stdin left open: the child sees a silent peer, not a hang-up.
    pub fn wait_open(mut self, timeout: Duration) -> (Finished, Vec<u8>) {
        let end = Instant::now() + timeout;
        while self.run.poll().is_none() && Instant::now() < end {
            thread::sleep(Duration::from_millis(5));
        }
        let finished = self.run.finish();
        while let Ok(chunk) = self.stdout.recv_timeout(Duration::from_secs(5)) {
            self.pending.extend_from_slice(&chunk);
        }
        (finished, std::mem::take(&mut self.pending))
    }
}

// ---------------------------------------------------------------------------------------------
// socat pty pairs

/// A `socat` process joining two ptys, reachable through the links `a` and `b`; killed when
/// dropped.
pub struct Socat {
    child: Child,
    pub a: PathBuf,
    pub b: PathBuf,
    log: PathBuf,
}

impl Socat {
    pub fn start(work: &Work) -> Self {
        Self::start_in(work.dir())
    }

    /// A pair whose links and log are in `dir`.
    pub fn start_in(dir: &Path) -> Self {
        let (a, b, log) = (dir.join("pty-a"), dir.join("pty-b"), dir.join("socat.log"));
        let log_file = File::create(&log).expect("create socat.log");
        let pty = |link: &Path| format!("pty,raw,echo=0,link={}", link.display());
        let child = Command::new("socat")
            .args(["-d", "-d", &pty(&a), &pty(&b)])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("spawn socat");
        let mut socat = Self { child, a, b, log };
        let end = Instant::now() + Duration::from_secs(10);
        while !(socat.a.exists() && socat.b.exists()) {
            let exited = socat.child.try_wait().expect("poll socat");
            if exited.is_some() || Instant::now() >= end {
                panic!(
                    "socat did not create its ptys ({exited:?}):\n{}",
                    socat.log()
                );
            }
            thread::sleep(Duration::from_millis(5));
        }
        socat
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Socat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn check_xmodem_copy_catches_mismatches() {
    let data = random_bytes(200, 9);
    let mut good = data.clone();
    good.resize(256, SUB);
    assert_eq!(check_xmodem_copy(&good, &data, 127), Ok(()));
    assert_eq!(check_xmodem_copy(&[], &[], 127), Ok(()));

    let mut flipped = good.clone();
    flipped[150] ^= 1;
    let err = check_xmodem_copy(&flipped, &data, 127).expect_err("a flipped byte");
    assert!(err.contains("first differing offset 150"), "{err}");
    let err = check_xmodem_copy(&data[..100], &data, 127).expect_err("truncated");
    assert!(err.contains("first differing offset 100"), "{err}");
    let mut bad_pad = good.clone();
    bad_pad[255] = 0;
    assert!(check_xmodem_copy(&bad_pad, &data, 127).is_err());
    assert!(check_xmodem_copy(&good, &data, 50).is_err());
    assert!(check_xmodem_copy(&good[..250], &data, 127).is_err());
}

#[test]
fn run_pair_kills_at_the_deadline() {
    let sleep = || {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        cmd
    };
    let pair = run_pair(sleep(), sleep(), Duration::from_millis(200));
    assert!(pair.a.killed && pair.b.killed, "{pair}");
    assert!(pair.elapsed < Duration::from_secs(5), "{pair}");
}

// ---------------------------------------------------------------------------------------------
// Batches of files with metadata (YMODEM and ZMODEM)

/// Permission bits and modification time of every file in a [`Batch`].
pub const MODE: u32 = 0o640;
pub const MTIME: u64 = 1_234_567_890;

/// Files `WORK/src/f<i>-<len>.bin` of seeded random bytes, with mode `MODE` and mtime `MTIME`,
/// and an empty receiving directory `WORK/dst`.
pub struct Batch {
    pub work: Work,
    pub files: Vec<(String, Vec<u8>)>,
}

impl Batch {
    pub fn new(lens: &[usize], seed: u64) -> Self {
        let work = Work::new();
        for dir in ["src", "dst"] {
            fs::create_dir(work.path(dir)).expect("create a directory in the work directory");
        }
        let files = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let name = format!("f{i}-{len}.bin");
                let data = random_bytes(len, seed ^ ((i as u64) << 32) ^ len as u64);
                let path = work.path("src").join(&name);
                fs::write(&path, &data).expect("write a source file");
                set_mode_mtime(&path, MODE, MTIME);
                (name, data)
            })
            .collect();
        Self { work, files }
    }

    pub fn src(&self) -> PathBuf {
        self.work.path("src")
    }

    pub fn dst(&self) -> PathBuf {
        self.work.path("dst")
    }

    /// Source files by base name, for a sender run in `src`.
    pub fn names(&self) -> Vec<&str> {
        self.files.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// Source files by absolute path: only the base names may go into the file information.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .map(|(name, _)| self.src().join(name))
            .collect()
    }

    /// `dst` holds exactly the batch, byte for byte, with `mode` and `MTIME`.
    pub fn check(&self, mode: u32, report: &dyn Display) {
        let mut want: Vec<PathBuf> = self.files.iter().map(|(n, _)| n.into()).collect();
        want.sort();
        assert_eq!(tree(&self.dst()), want, "the receiving directory\n{report}");
        for (name, data) in &self.files {
            if let Err(e) = check_ymodem_copy(&self.dst().join(name), data, mode, MTIME) {
                panic!("{e}\n{report}");
            }
        }
    }
}

/// Wait for `child` until `until`; past it, kill and reap it. The exit status, and whether it
/// had to be killed.
pub fn wait_or_kill(child: &mut Child, until: Instant) -> (ExitStatus, bool) {
    loop {
        if let Some(status) = child.try_wait().expect("poll a child process") {
            return (status, false);
        }
        if Instant::now() >= until {
            let _ = child.kill();
            return (child.wait().expect("reap a child process"), true);
        }
        thread::sleep(Duration::from_millis(5));
    }
}

// ---------------------------------------------------------------------------------------------
// Signals

/// Run each `(who, command)` of `runs` (an `rz` or `rb`, ours and lrzsz's) with its stdin and
/// stdout piped; once `running` says its output so far shows it ready (signal handlers
/// installed), send `signal`. It must exit with `want` within 30 s and have sent `cancel`
/// to its peer.
pub fn assert_killed_and_cancels(
    name: &str,
    runs: Vec<(&str, Command)>,
    running: impl Fn(&[u8]) -> bool,
    signal: rustix::process::Signal,
    want: i32,
    cancel: &[u8],
) {
    use rustix::process::{Pid, kill_process};
    for (who, mut cmd) in runs {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        while !running(&seen) {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(chunk) => seen.extend(chunk),
                Err(_) => {
                    let _ = child.kill();
                    panic!("{who} {name}: not running: {}", hex(&seen, 32));
                }
            }
        }
        kill_process(Pid::from_child(&child), signal).expect("kill");
        let (status, killed) = wait_or_kill(&mut child, Instant::now() + Duration::from_secs(30));
        assert!(!killed, "{who} {name} did not exit after {signal:?}");
        drop(stdin);
        assert_eq!(
            status.code(),
            Some(want),
            "{who} {name} after {signal:?}: {status}"
        );
        let mut tail = Vec::new();
        while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(2)) {
            tail.extend(chunk);
        }
        assert!(
            tail.windows(cancel.len()).any(|w| w == cancel),
            "{who} {name} cancels the peer after {signal:?}: {}",
            hex(&tail, 48)
        );
    }
}
