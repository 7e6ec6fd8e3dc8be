//! Files over TCP with ZMODEM, using only the library (no command-line crates: it builds with
//! `--no-default-features`).
//!
//! ```text
//! zmodem_tcp send HOST:PORT FILE...   connect and send the files
//! zmodem_tcp recv HOST:PORT DIR       accept one connection and receive into DIR
//! ```
//!
//! Either end may also be lrzsz: `socat TCP-LISTEN:PORT EXEC:'rz'` receives what
//! `zmodem_tcp send` sends, `socat TCP:HOST:PORT EXEC:'sz FILE'` sends to `zmodem_tcp recv`.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use xyzmodem::driver::{self, Summary, handlers::ReceiveInto, handlers::SendFiles};
use xyzmodem::files::{ReceiveFiles, ReceivePolicy, Source, Target};
use xyzmodem::link::FdLink;
use xyzmodem::proto::detect::{AutoReceiver, Start};
use xyzmodem::proto::{ReceiverConfig, zmodem};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn send(addr: &str, paths: &[String]) -> Result<Summary> {
    let sources = paths
        .iter()
        .map(|p| Source::open(p.as_ref()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut files = SendFiles::new(sources);
    let infos = files.infos()?;
    let stream = TcpStream::connect(addr)?;
    let mut link = FdLink::new(addr, stream)?;
    let mut engine = zmodem::Sender::new(zmodem::SenderConfig::default(), infos, Instant::now());
    Ok(driver::run(&mut engine, &mut link, &mut files, None)?)
}

fn recv(addr: &str, dir: PathBuf) -> Result<Summary> {
    let target = Target::Dir {
        dir,
        create: true,
        xmodem_name: None,
    };
    let mut files = ReceiveInto::new(ReceiveFiles::new(target, ReceivePolicy::default())?);
    let (stream, peer) = TcpListener::bind(addr)?.accept()?;
    let mut link = FdLink::new(peer.to_string(), stream)?;
    let mut engine = AutoReceiver::new(
        Start::Zmodem,
        ReceiverConfig::default(),
        zmodem::ReceiverConfig::default(),
        Instant::now(),
    );
    let result = driver::run(&mut engine, &mut link, &mut files, None);
    if result.is_err() {
        for abandoned in files.abandon() {
            if let Some(part) = abandoned.kept {
                eprintln!("kept the partial data as {}", part.display());
            }
        }
    }
    for (path, len) in files.files().received() {
        eprintln!("{}: {len} bytes", path.display());
    }
    Ok(result?)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, addr, files @ ..] if cmd == "send" && !files.is_empty() => send(addr, files),
        [cmd, addr, dir] if cmd == "recv" => recv(addr, dir.into()),
        _ => {
            eprintln!("usage: zmodem_tcp send HOST:PORT FILE... | zmodem_tcp recv HOST:PORT DIR");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(summary) => {
            eprintln!(
                "{} files, {} bytes in {:.2} s",
                summary.files,
                summary.bytes,
                summary.elapsed.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("zmodem_tcp: {e}");
            ExitCode::FAILURE
        }
    }
}
