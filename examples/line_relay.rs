//! A paced serial line between two commands, for benchmarks (see bench/transfer.sh).
//!
//! `line_relay [--baud N] [--latency-ms MS] SENDER_COMMAND RECEIVER_COMMAND` runs both commands
//! with `sh -c`, joins the sender's stdout to the receiver's stdin and back, and carries each
//! direction like a serial line: a byte occupies 10 bit times (8N1) on the wire, bytes queue
//! behind each other, and each byte arrives `latency` after it has been sent. A chunk is
//! delivered once its last byte has arrived, which is what a block-oriented receiver waits for
//! anyway. When both commands have exited it prints one line to stderr:
//! `wall=SECONDS sender=EXIT receiver=EXIT bytes_out=N bytes_back=N`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

struct Args {
    baud: u32,
    latency: Duration,
    sender: String,
    receiver: String,
}

fn parse() -> Args {
    let mut baud = 115_200;
    let mut latency = Duration::ZERO;
    let mut rest = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--baud" => baud = it.next().and_then(|v| v.parse().ok()).expect("--baud N"),
            "--latency-ms" => {
                latency = Duration::from_secs_f64(
                    it.next()
                        .and_then(|v| v.parse::<f64>().ok())
                        .expect("--latency-ms MS")
                        / 1000.0,
                );
            }
            _ => rest.push(a),
        }
    }
    let [sender, receiver]: [String; 2] = rest
        .try_into()
        .expect("usage: line_relay [--baud N] [--latency-ms MS] SENDER RECEIVER");
    Args {
        baud,
        latency,
        sender,
        receiver,
    }
}

/// Carry bytes from `from` to `to` at `baud` with `latency`. Returns the byte count.
fn direction(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    baud: u32,
    latency: Duration,
) -> thread::JoinHandle<u64> {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let writer = thread::spawn(move || {
        for (at, chunk) in rx {
            let now = Instant::now();
            if at > now {
                thread::sleep(at - now);
            }
            if to.write_all(&chunk).and_then(|()| to.flush()).is_err() {
                break;
            }
        }
    });
    thread::spawn(move || {
        let byte_time = Duration::from_secs_f64(10.0 / f64::from(baud));
        let mut line_free = Instant::now();
        let mut total = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            total += n as u64;
            let start = line_free.max(Instant::now());
            line_free = start + byte_time * n as u32;
            if tx.send((line_free + latency, buf[..n].to_vec())).is_err() {
                break;
            }
        }
        drop(tx);
        let _ = writer.join();
        total
    })
}

fn main() {
    let args = parse();
    let start = Instant::now();
    let mut sender = Command::new("sh")
        .args(["-c", &args.sender])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the sender");
    let mut receiver = Command::new("sh")
        .args(["-c", &args.receiver])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the receiver");
    let out = direction(
        sender.stdout.take().expect("piped"),
        receiver.stdin.take().expect("piped"),
        args.baud,
        args.latency,
    );
    let back = direction(
        receiver.stdout.take().expect("piped"),
        sender.stdin.take().expect("piped"),
        args.baud,
        args.latency,
    );
    let s = sender.wait().expect("wait for the sender");
    let r = receiver.wait().expect("wait for the receiver");
    let wall = start.elapsed().as_secs_f64();
    let (out, back) = (out.join().unwrap_or(0), back.join().unwrap_or(0));
    eprintln!(
        "wall={wall:.3} sender={} receiver={} bytes_out={out} bytes_back={back}",
        s.code().unwrap_or(-1),
        r.code().unwrap_or(-1)
    );
}
