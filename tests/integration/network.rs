//! Serial ports on the network: a real `ser2net` on 127.0.0.1 in front of socat pty pairs that
//! stand in for the devices, lrzsz on each device's pty, and `xyzmodem` through
//! `rfc2217://`, `tcp://` and `telnet://`; a telnet connection on stdin/stdout (`sz --telnet`
//! behind `socat TCP-LISTEN`); a scripted telnet peer that negotiates and sends commands in the
//! middle of the data; and the errors of a network port (refused, silent, without RFC 2217,
//! closed mid-transfer).

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    BIN, Batch, MODE, Socat, Work, check_xmodem_copy, open_rw, require_peers, run_pair, sha256_hex,
    wait_or_kill,
};
use crate::ecosystem::{Proc, json_lines, ours, wait_all};

/// How long any process here may run.
const LIMIT: Duration = Duration::from_secs(60);

/// How a ser2net port is offered.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Rfc2217,
    Telnet,
    Tcp,
}

impl Kind {
    fn accepter(self) -> &'static str {
        match self {
            Self::Rfc2217 => "telnet(rfc2217),tcp",
            Self::Telnet => "telnet,tcp",
            Self::Tcp => "tcp",
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            Self::Rfc2217 => "rfc2217",
            Self::Telnet => "telnet",
            Self::Tcp => "tcp",
        }
    }
}

/// `n` ports on 127.0.0.1 free right now (held together while chosen, so all differ).
fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a free port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("a bound address").port())
        .collect()
}

/// Whether something listens on 127.0.0.1:`port` (read from /proc, without connecting: a
/// connection to ser2net opens its device).
fn listening(port: u16) -> bool {
    let table = fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let want = format!(":{port:04X}");
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 3 && fields[1].ends_with(&want) && fields[3] == "0A"
    })
}

/// Wait until `port` listens, at most 10 s; `what` and `log` for the failure.
fn wait_listening(port: u16, child: &mut Child, what: &str, log: &dyn Fn() -> String) {
    let end = Instant::now() + Duration::from_secs(10);
    while !listening(port) {
        let exited = child.try_wait().expect("poll a child");
        assert!(
            exited.is_none() && Instant::now() < end,
            "{what} does not listen on {port} ({exited:?}):\n{}",
            log()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// A `ser2net` in the foreground serving each device on a port of its own; killed when
/// dropped (also when the test fails).
struct Ser2net {
    child: Child,
    kinds: Vec<Kind>,
    ports: Vec<u16>,
    log: PathBuf,
}

impl Ser2net {
    fn start(work: &Work, devices: &[(Kind, &Path)]) -> Self {
        let ports = free_ports(devices.len());
        let mut yaml = String::new();
        for (i, ((kind, dev), port)) in devices.iter().zip(&ports).enumerate() {
            // No wait for more characters before sending on (chardelay): a stop-and-wait
            // protocol's answers go at once.
            writeln!(
                yaml,
                "connection: &c{i}\n  accepter: {},127.0.0.1,{port}\n  \
                 connector: serialdev,{},115200n81,local\n  options:\n    chardelay: false",
                kind.accepter(),
                dev.display()
            )
            .unwrap();
        }
        let config = work.path("ser2net.yaml");
        fs::write(&config, yaml).expect("write the ser2net config");
        let log = work.path("ser2net.log");
        let child = Command::new("ser2net")
            .arg("-n") // the foreground
            .arg("-u") // no UUCP locks
            .arg("-P")
            .arg(work.path("ser2net.pid"))
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("create ser2net.log"))
            .spawn()
            .expect("spawn ser2net");
        let mut s = Self {
            child,
            kinds: devices.iter().map(|(k, _)| *k).collect(),
            ports,
            log,
        };
        for &port in &s.ports.clone() {
            let log = s.log.clone();
            wait_listening(port, &mut s.child, "ser2net", &|| {
                fs::read_to_string(&log).unwrap_or_default()
            });
        }
        s
    }

    /// The URL of device `i`.
    fn url(&self, i: usize) -> String {
        format!("{}://127.0.0.1:{}", self.kinds[i].scheme(), self.ports[i])
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Ser2net {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Both ends of a pty pair held open by the test: a pty nobody has open loses what arrives on
/// it (ser2net opens its end only while a client is connected).
fn hold(socat: &Socat) -> [File; 2] {
    [
        File::open(&socat.a).expect("open a"),
        File::open(&socat.b).expect("open b"),
    ]
}

/// A device: a pty pair, both ends held; ser2net opens `a`, lrzsz runs on `b`.
struct Device {
    socat: Socat,
    _hold: [File; 2],
}

fn device(work: &Work, name: &str) -> Device {
    let dir = work.path(name);
    fs::create_dir_all(&dir).expect("create a device directory");
    let socat = Socat::start_in(&dir);
    let hold = hold(&socat);
    Device { socat, _hold: hold }
}

/// lrzsz's `prog ARGS` on the device end of `dev`, in `cwd`.
fn on_device(dev: &Device, prog: &str, args: &[&str], cwd: &Path) -> Command {
    let mut cmd = Command::new(prog);
    let (i, o) = open_rw(&dev.socat.b);
    cmd.args(args).current_dir(cwd).stdin(i).stdout(o);
    cmd
}

/// Every byte value, again and again (0xFF is IAC to telnet).
fn every_byte(len: usize) -> Vec<u8> {
    (0..=255u8).cycle().take(len).collect()
}

fn peers() -> bool {
    require_peers(&["ser2net", "socat", "sb", "rb", "sz", "rz", "rx"])
}

#[test]
fn ymodem_batch_out_through_rfc2217() {
    if !peers() {
        return;
    }
    let batch = Batch::new(&[1, 1029, 70_000], 0x2217);
    let dev = device(&batch.work, "d0");
    let s2n = Ser2net::start(&batch.work, &[(Kind::Rfc2217, &dev.socat.a)]);
    let rb = on_device(&dev, "rb", &[], &batch.dst());
    let mut send = ours();
    send.args(["send", "-Y", "--port", &s2n.url(0)])
        .args(batch.paths())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let pair = run_pair(send, rb, LIMIT);
    pair.assert_success();
    // rb applies the mode with chmod: no umask.
    batch.check(MODE, &pair);
}

#[test]
fn zmodem_in_through_rfc2217_with_every_byte_value() {
    if !peers() {
        return;
    }
    let work = Work::new();
    let data = every_byte(256 * 1024 + 77);
    work.write("all.bin", &data);
    fs::create_dir(work.path("in")).unwrap();
    let dev = device(&work, "d0");
    let s2n = Ser2net::start(&work, &[(Kind::Rfc2217, &dev.socat.a)]);
    let mut recv = ours();
    recv.args(["recv", "-Z", "--port", &s2n.url(0)])
        .current_dir(work.path("in"))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let sz = on_device(&dev, "sz", &["-b", "all.bin"], work.dir());
    let pair = run_pair(recv, sz, LIMIT);
    pair.assert_success();
    assert!(work.read("in/all.bin") == data, "the copy differs\n{pair}");
}

#[test]
fn xmodem_1k_out_through_tcp() {
    if !peers() {
        return;
    }
    let work = Work::new();
    let (input, data) = work.random_file("fw.bin", 100_000, 0x7C9);
    let dev = device(&work, "d0");
    let s2n = Ser2net::start(&work, &[(Kind::Tcp, &dev.socat.a)]);
    let rx = on_device(&dev, "rx", &["-c", "out.bin"], work.dir());
    let mut send = ours();
    send.args(["send", "-k", "--port", &s2n.url(0)])
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let pair = run_pair(send, rx, LIMIT);
    pair.assert_success();
    check_xmodem_copy(&work.read("out.bin"), &data, 1023).unwrap_or_else(|e| panic!("{e}\n{pair}"));
}

#[test]
fn zmodem_out_through_telnet() {
    if !peers() {
        return;
    }
    let work = Work::new();
    let data = every_byte(300_001);
    let input = work.write("all.bin", &data);
    fs::create_dir(work.path("in")).unwrap();
    let dev = device(&work, "d0");
    let s2n = Ser2net::start(&work, &[(Kind::Telnet, &dev.socat.a)]);
    let rz = on_device(&dev, "rz", &[], &work.path("in"));
    let mut send = ours();
    send.args(["send", "-Z", "--port", &s2n.url(0)])
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let pair = run_pair(send, rz, LIMIT);
    pair.assert_success();
    assert!(work.read("in/all.bin") == data, "the copy differs\n{pair}");
}

/// `stty -F PATH`'s speed line.
fn speed(path: &Path) -> String {
    let out = Command::new("stty")
        .arg("-F")
        .arg(path)
        .output()
        .expect("run stty");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_baud_rate_reaches_the_device_through_rfc2217() {
    if !peers() {
        return;
    }
    let work = Work::new();
    let (input, data) = work.random_file("fw.bin", 5000, 0x5760);
    fs::create_dir(work.path("in")).unwrap();
    let dev = device(&work, "d0");
    let s2n = Ser2net::start(&work, &[(Kind::Rfc2217, &dev.socat.a)]);
    let mut send = ours();
    send.args(["send", "-Y", "--baud", "57600", "--port", &s2n.url(0)])
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut procs = vec![Proc::spawn(send, work.path("send.err"))];
    // The sender waits for a receiver: the device's line is set by now, or soon.
    let end = Instant::now() + Duration::from_secs(10);
    let mut seen = speed(&dev.socat.a);
    while !seen.contains("speed 57600 baud") && Instant::now() < end {
        thread::sleep(Duration::from_millis(20));
        seen = speed(&dev.socat.a);
    }
    assert!(
        seen.contains("speed 57600 baud"),
        "the device's line: {seen:?}\n{}",
        procs[0].stderr()
    );
    procs.push(Proc::spawn(
        on_device(&dev, "rb", &[], &work.path("in")),
        work.path("rb.err"),
    ));
    let report = wait_all(&mut procs, LIMIT);
    assert!(procs.iter().all(|p| p.code() == Some(0)), "{report}");
    assert!(work.read("in/fw.bin") == data, "the copy differs\n{report}");
}

#[test]
fn three_network_ports_at_once_with_a_report() {
    if !peers() {
        return;
    }
    let work = Work::new();
    let (input, data) = work.random_file("fw.bin", 200_000, 0x3E7);
    let devs: Vec<Device> = (0..3).map(|i| device(&work, &format!("d{i}"))).collect();
    let kinds = [Kind::Rfc2217, Kind::Tcp, Kind::Telnet];
    let spec: Vec<(Kind, &Path)> = kinds
        .iter()
        .zip(&devs)
        .map(|(k, d)| (*k, d.socat.a.as_path()))
        .collect();
    let s2n = Ser2net::start(&work, &spec);
    let mut procs: Vec<Proc> = devs
        .iter()
        .enumerate()
        .map(|(i, dev)| {
            let dir = work.path(&format!("r{i}"));
            fs::create_dir(&dir).unwrap();
            Proc::spawn(
                on_device(dev, "rb", &[], &dir),
                work.path(&format!("rb{i}.err")),
            )
        })
        .collect();
    let mut send = ours();
    send.arg("send").arg("-Y");
    for i in 0..3 {
        send.args(["--port", &s2n.url(i)]);
    }
    send.args(["--report", "rep.json"])
        .arg(&input)
        .current_dir(work.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    procs.push(Proc::spawn(send, work.path("send.err")));
    let report = wait_all(&mut procs, LIMIT);
    assert!(procs.iter().all(|p| p.code() == Some(0)), "{report}");
    for i in 0..3 {
        assert!(
            work.read(&format!("r{i}/fw.bin")) == data,
            "port {i}: the copy differs\n{report}"
        );
    }
    let lines = json_lines(&work.path("rep.json"));
    assert_eq!(lines.len(), 4, "{lines:?}");
    let mut ports: Vec<String> = lines[..3]
        .iter()
        .map(|l| l["port"].as_str().unwrap_or_default().to_owned())
        .collect();
    ports.sort_unstable();
    let mut want: Vec<String> = (0..3).map(|i| s2n.url(i)).collect();
    want.sort_unstable();
    assert_eq!(ports, want, "{lines:?}");
    assert!(
        lines[..3]
            .iter()
            .all(|l| l["result"] == "ok" && l["bytes"] == 200_000),
        "{lines:?}"
    );
    assert_eq!(lines[3]["ok"].as_u64(), Some(3), "{lines:?}");
}

#[test]
fn ser2net_stopped_mid_transfer_fails_with_exit_1_and_no_file() {
    if !peers() {
        return;
    }
    let work = Work::new();
    let (_, _) = work.random_file("big.bin", 32 << 20, 0xDEAD);
    fs::create_dir(work.path("in")).unwrap();
    let dev = device(&work, "d0");
    let mut s2n = Ser2net::start(&work, &[(Kind::Tcp, &dev.socat.a)]);
    let mut recv = ours()
        .args(["recv", "-Z", "--port", &s2n.url(0)])
        .current_dir(work.path("in"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(work.path("recv.err")).unwrap())
        .spawn()
        .expect("spawn recv");
    let _sz = Proc::spawn(
        on_device(&dev, "sz", &["-b", "big.bin"], work.dir()),
        work.path("sz.err"),
    );
    let stderr = || fs::read_to_string(work.path("recv.err")).unwrap_or_default();
    // Some data has arrived: a file in the receiving directory holds 256 KiB.
    let end = Instant::now() + Duration::from_secs(20);
    let arrived = || {
        fs::read_dir(work.path("in")).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.metadata().is_ok_and(|m| m.len() >= 256 * 1024))
        })
    };
    while !arrived() {
        if Instant::now() >= end {
            let _ = recv.kill();
            panic!("no data arrived\n{}", stderr());
        }
        thread::sleep(Duration::from_millis(2));
    }
    s2n.stop();
    let stopped = Instant::now();
    let (status, killed) = wait_or_kill(&mut recv, stopped + Duration::from_secs(20));
    let took = stopped.elapsed();
    let stderr = stderr();
    assert!(!killed, "recv did not end\n{stderr}");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(took < Duration::from_secs(5), "{took:?}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: the network port closed (the server ended the connection)",
            s2n.url(0)
        )),
        "{stderr}"
    );
    let names: Vec<String> = fs::read_dir(work.path("in"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n == "big.bin"), "{names:?}");
}

// ---------------------------------------------------------------------------------------------
// Telnet on stdin/stdout, a scripted telnet peer

#[test]
fn sz_telnet_behind_socat_tcp_listen_into_recv_over_telnet() {
    if !require_peers(&["socat"]) {
        return;
    }
    let work = Work::new();
    let data = every_byte(200_003);
    work.write("all.bin", &data);
    fs::create_dir(work.path("in")).unwrap();
    let bin = crate::szrz::install(&work);
    let port = free_ports(1)[0];
    let mut listen = Command::new("socat")
        .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr"))
        .arg(format!(
            "EXEC:{} --telnet all.bin",
            bin.join("sz").display()
        ))
        .current_dir(work.dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(work.path("socat.err")).unwrap())
        .spawn()
        .expect("spawn socat");
    let err = work.path("socat.err");
    wait_listening(port, &mut listen, "socat", &|| {
        fs::read_to_string(&err).unwrap_or_default()
    });
    let out = ours()
        .args([
            "recv",
            "-Z",
            "--port",
            &format!("telnet://127.0.0.1:{port}"),
        ])
        .current_dir(work.path("in"))
        .stdin(Stdio::null())
        .output()
        .expect("run recv");
    let (status, _) = wait_or_kill(&mut listen, Instant::now() + Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(status.success(), "socat: {status:?}");
    assert!(
        work.read("in/all.bin") == data,
        "the copy differs\n{stderr}"
    );
}

/// Telnet commands the scripted peer puts between the data: a NOP, an option request to
/// refuse (DO ECHO), an offer to accept (WILL SGA), a sub-negotiation of another option with
/// an escaped 0xFF in it, are-you-there, and a data mark.
const INJECTED: &[&[u8]] = &[
    &[0xFF, 0xF1],
    &[0xFF, 0xFD, 1],
    &[0xFF, 0xFB, 3],
    &[0xFF, 0xFA, 24, 0, b'x', 0xFF, 0xFF, b'y', 0xFF, 0xF0],
    &[0xFF, 0xF6],
    &[0xFF, 0xF2],
];

/// Takes telnet commands out of what the client sends: data bytes go to `data`, the rest
/// (our answers) is kept as it came in `commands`.
#[derive(Default)]
struct Strip {
    state: u8,
    commands: Vec<u8>,
}

impl Strip {
    fn feed(&mut self, input: &[u8], data: &mut Vec<u8>) {
        for &b in input {
            self.state = match (self.state, b) {
                (0, 0xFF) => 1,
                (0, _) => {
                    data.push(b);
                    0
                }
                (1, 0xFF) => {
                    data.push(0xFF);
                    0
                }
                (1, 0xFB..=0xFE) => {
                    self.commands.extend_from_slice(&[0xFF, b]);
                    2
                }
                (1, _) => {
                    self.commands.extend_from_slice(&[0xFF, b]);
                    0
                }
                _ => {
                    self.commands.push(b);
                    0
                }
            };
        }
    }
}

#[test]
fn a_telnet_peer_negotiating_in_the_middle_of_the_data() {
    if !require_peers(&["sz"]) {
        return;
    }
    let work = Work::new();
    let data = every_byte(150_011);
    work.write("all.bin", &data);
    fs::create_dir(work.path("in")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answers = Arc::new(Mutex::new(Strip::default()));
    let seen = Arc::clone(&answers);
    let dir = work.dir().to_owned();
    let peer = thread::spawn(move || {
        // A recv that never connects must not hang the test: accept for 30 s at most.
        listener.set_nonblocking(true).unwrap();
        let end = Instant::now() + Duration::from_secs(30);
        let sock = loop {
            match listener.accept() {
                Ok((sock, _)) => break sock,
                Err(_) if Instant::now() < end => thread::sleep(Duration::from_millis(5)),
                Err(e) => panic!("no connection: {e}"),
            }
        };
        sock.set_nonblocking(false).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut sz = Command::new("sz")
            .args(["-b", "all.bin"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sz");
        let mut to_sz = sz.stdin.take().unwrap();
        let mut from_sz = sz.stdout.take().unwrap();
        let mut sock_in = sock.try_clone().unwrap();
        let mut sock_out = sock;
        let inbound = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut data = Vec::new();
            while let Ok(n) = sock_in.read(&mut buf) {
                if n == 0 {
                    break;
                }
                data.clear();
                seen.lock().unwrap().feed(&buf[..n], &mut data);
                if to_sz.write_all(&data).is_err() {
                    break;
                }
            }
        });
        let mut buf = [0u8; 1000];
        let mut turn = 0;
        while let Ok(n) = from_sz.read(&mut buf) {
            if n == 0 {
                break;
            }
            // The data with 0xFF doubled, cut in two with a command in the middle.
            let mut out = Vec::new();
            for (i, &b) in buf[..n].iter().enumerate() {
                if i == n / 2 {
                    out.extend_from_slice(INJECTED[turn % INJECTED.len()]);
                    turn += 1;
                }
                out.push(b);
                if b == 0xFF {
                    out.push(0xFF);
                }
            }
            if sock_out.write_all(&out).is_err() {
                break;
            }
        }
        let status = sz.wait().expect("reap sz");
        drop(sock_out);
        let _ = inbound.join();
        (status, turn)
    });
    let out = ours()
        .args([
            "recv",
            "-Z",
            "--timeout",
            "20",
            "--port",
            &format!("telnet://127.0.0.1:{port}"),
        ])
        .current_dir(work.path("in"))
        .stdin(Stdio::null())
        .output()
        .expect("run recv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let (status, turns) = peer.join().expect("the peer thread");
    assert!(status.success(), "sz: {status:?}");
    assert!(turns > INJECTED.len(), "only {turns} commands went");
    assert!(
        work.read("in/all.bin") == data,
        "the copy differs\n{stderr}"
    );
    // Our answers: binary and suppress-go-ahead asked for first; each DO ECHO refused (a
    // request of the peer's each time); WILL SGA taken without another DO (it was asked for).
    let commands = answers.lock().unwrap().commands.clone();
    let count = |want: [u8; 3]| commands.windows(3).filter(|w| *w == want).count();
    let echo_requests = (0..turns).filter(|t| t % INJECTED.len() == 1).count();
    assert_eq!(count([0xFF, 0xFC, 1]), echo_requests, "{commands:x?}");
    assert_eq!(count([0xFF, 0xFD, 3]), 1, "{commands:x?}");
    assert!(
        commands.starts_with(&[0xFF, 0xFB, 0, 0xFF, 0xFD, 0, 0xFF, 0xFB, 3, 0xFF, 0xFD, 3]),
        "{commands:x?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

/// `recv --port URL` with `args`: exit code, stderr and how long it took.
fn recv_error(url: &str, args: &[&str]) -> (Option<i32>, String, Duration) {
    let work = Work::new();
    let start = Instant::now();
    let out = ours()
        .args(["recv", "--port", url])
        .args(args)
        .current_dir(work.dir())
        .stdin(Stdio::null())
        .output()
        .expect("run recv");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed(),
    )
}

#[test]
fn a_refused_connection_is_one_line_and_exit_4_at_once() {
    let port = free_ports(1)[0];
    let url = format!("rfc2217://127.0.0.1:{port}");
    let (code, stderr, took) = recv_error(&url, &[]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "xyzmodem: error: {url}: connection refused (is the serial server running, and is this its port number?)"
        )
    );
}

#[test]
fn a_bad_url_says_what_is_wrong() {
    let (code, stderr, _) = recv_error("tcp://127.0.0.1", &[]);
    assert_eq!(code, Some(4), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "xyzmodem: error: tcp://127.0.0.1 is not a network port this can open: no port number \
         (rfc2217://HOST:PORT, telnet://HOST:PORT or tcp://HOST:PORT)"
    );
}

#[test]
fn a_silent_server_fails_rfc2217_at_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("rfc2217://{}", listener.local_addr().unwrap());
    // Accepts, reads, says nothing.
    let _quiet = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut buf = [0u8; 256];
        while sock.read(&mut buf).is_ok_and(|n| n > 0) {}
    });
    let (code, stderr, took) = recv_error(&url, &["--timeout", "2"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(8),
        "{took:?}"
    );
    assert_eq!(
        stderr.trim_end(),
        format!(
            "xyzmodem: error: {url}: no answer to RFC 2217 serial control within 2 s \
             (is it a telnet port with RFC 2217? use telnet:// or tcp:// for one without)"
        )
    );
}

#[test]
fn a_telnet_port_without_rfc2217_is_refused_with_the_alternative() {
    if !require_peers(&["ser2net", "socat"]) {
        return;
    }
    let work = Work::new();
    let dev = device(&work, "d0");
    let s2n = Ser2net::start(&work, &[(Kind::Telnet, &dev.socat.a)]);
    let url = format!("rfc2217://127.0.0.1:{}", s2n.ports[0]);
    let (code, stderr, took) = recv_error(&url, &["--timeout", "10"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        stderr.starts_with(&format!(
            "xyzmodem: error: {url}: the server refused RFC 2217 serial control"
        )),
        "{stderr}"
    );
}

/// `term` on a console behind ser2net's RFC 2217 port, as on a local one: the remote shell's
/// `sz a.bin b.bin` lands both files byte for byte, its `rz` takes a typed file (0xFF, which
/// telnet doubles, in both), and `Ctrl-T q` ends with 0 and the local terminal as it was.
#[test]
fn term_through_rfc2217_downloads_and_uploads() {
    use crate::term::{ASKED, RemoteShell, ended_with, remote_files, sz_downloads_both, typed};
    if !peers() {
        return;
    }
    let work = Work::new();
    let files = remote_files(&work);
    let (_, upload) = work.random_file("up.bin", 100_000, 0xD7);
    let Some(remote) = RemoteShell::start(&work) else {
        return;
    };
    let ser2net = Ser2net::start(&work, &[(Kind::Rfc2217, &remote.link)]);
    let url = ser2net.url(0);
    let Some(tmux) = typed(&work, &format!("{BIN} term --download-dir in --port {url}")) else {
        return;
    };
    tmux.wait_for(&format!("xyzmodem: connected to {url}"), crate::term::LIMIT);
    tmux.press("Enter");
    tmux.wait_for("remote>", crate::term::LIMIT);
    sz_downloads_both(&work, &tmux, &files);
    tmux.type_line("rz");
    tmux.wait_for(ASKED, crate::term::LIMIT);
    tmux.type_line("up.bin");
    tmux.wait_for("xyzmodem: sent up.bin", crate::term::LIMIT);
    tmux.type_line("echo up-$((6*7))");
    tmux.wait_for("up-42", crate::term::LIMIT);
    assert_eq!(sha256_hex(&work.read("remote/up.bin")), sha256_hex(&upload));
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}
