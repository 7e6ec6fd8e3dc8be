//! A paced serial line between two commands, for benchmarks (see bench/transfer.sh).
//!
//! `line_relay [--baud N] [--latency-ms MS] SENDER_COMMAND RECEIVER_COMMAND` runs both commands
//! with `sh -c`, joins the sender's stdout to the receiver's stdin and back, and carries each
//! direction like a serial line: a byte occupies 10 bit times (8N1) on the wire, bytes queue
//! behind each other, and each byte arrives `latency` after it has been sent. A chunk is
//! delivered once its last byte has arrived, which is what a block-oriented receiver waits for
//! anyway. When both commands have exited it prints one line to stderr:
//! `wall=SECONDS sender=EXIT receiver=EXIT bytes_out=N bytes_back=N`.
//!
//! `--ber RATE --seed N` flips each bit on the line with probability `RATE`, in both
//! directions (`--ber-forward-only`: sender to receiver only). The flips are drawn from `N`
//! (one stream per direction) as a function of the byte offset in that direction, so every
//! run with the same seed damages the same bits of the same stream whatever the chunking:
//! two programs compared on one seed meet the same noise process. The last line then also
//! says `flips_out=N flips_back=N`.
//!
//! `--baud 0` paces nothing: bytes go on at once and arrive `latency` later, however many
//! are in flight (a network path with a delay, or a serial server's socket). The transmit
//! buffer below then bounds only what the relay's pipes hold.
//!
//! `--tx-buffer BYTES` (default 4096) is how far a writer can get ahead of the wire, as on a
//! real serial port: `write` copies into the tty layer's transmit buffer (the 8250 driver's
//! is one page, 4 KiB; USB adapters hold a few KiB) and the UART's FIFO (16 to 128 bytes),
//! and the writer sleeps while they are full. The relay models that: the pipe from each
//! writer is shrunk to its smallest size (one page, 4 KiB on Linux, `F_SETPIPE_SZ`), and the
//! relay takes bytes from it only while its own queue of bytes not yet on the wire holds less
//! than `BYTES` minus the pipe's size (at least 512 bytes, so the line never waits for the
//! relay to wake: it reads again once 256 bytes have left, Linux's `WAKEUP_CHARS`). A writer
//! is thus at most about `max(BYTES, 4096 + 512)` bytes ahead of the wire and then blocks.
//! Without this bound (`--tx-buffer 0`: the pipes keep their 64 KiB and the relay reads
//! whatever comes) a streaming sender can put any amount in flight, and every resend request
//! finds all of it queued ahead of the resent data: a line no real port gives. Stop-and-wait
//! protocols (XMODEM, YMODEM) never have more than one block (at most 1029 bytes) out, so the
//! bound does not change them.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use xyzmodem::sim::Rng;

struct Args {
    baud: u32,
    /// 0: unbounded.
    tx_buffer: usize,
    latency: Duration,
    ber: f64,
    seed: u64,
    forward_only: bool,
    sender: String,
    receiver: String,
}

/// Seeded bit errors on one direction: the next bit to flip, counted from the first bit
/// carried.
struct Noise {
    rate: f64,
    rng: Rng,
    next: u64,
    flips: u64,
}

impl Noise {
    fn new(rate: f64, seed: u64, stream: u64) -> Self {
        let mut rng = Rng::stream(seed, stream);
        let next = rng.gap(rate);
        Self {
            rate,
            rng,
            next,
            flips: 0,
        }
    }

    /// Damage `chunk`, the bytes that follow the `offset` bytes carried so far.
    fn apply(&mut self, offset: u64, chunk: &mut [u8]) {
        let end = (offset + chunk.len() as u64) * 8;
        while self.next < end {
            let i = (self.next / 8 - offset) as usize;
            chunk[i] ^= 1 << (self.next % 8);
            self.flips += 1;
            self.next = self.next.saturating_add(1 + self.rng.gap(self.rate));
        }
    }
}

fn parse() -> Args {
    let mut baud = 115_200;
    let mut tx_buffer = 4096;
    let mut latency = Duration::ZERO;
    let mut ber = 0.0;
    let mut seed = 1;
    let mut forward_only = false;
    let mut rest = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--baud" => baud = it.next().and_then(|v| v.parse().ok()).expect("--baud N"),
            "--tx-buffer" => {
                tx_buffer = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--tx-buffer BYTES");
            }
            "--latency-ms" => {
                latency = Duration::from_secs_f64(
                    it.next()
                        .and_then(|v| v.parse::<f64>().ok())
                        .expect("--latency-ms MS")
                        / 1000.0,
                );
            }
            "--ber" => ber = it.next().and_then(|v| v.parse().ok()).expect("--ber RATE"),
            "--seed" => seed = it.next().and_then(|v| v.parse().ok()).expect("--seed N"),
            "--ber-forward-only" => forward_only = true,
            _ => rest.push(a),
        }
    }
    let [sender, receiver]: [String; 2] = rest.try_into().expect(
        "usage: line_relay [--baud N] [--latency-ms MS] [--tx-buffer BYTES] [--ber RATE \
             [--seed N] [--ber-forward-only]] SENDER RECEIVER",
    );
    Args {
        baud,
        tx_buffer,
        latency,
        ber,
        seed,
        forward_only,
        sender,
        receiver,
    }
}

/// The relay's queue never holds less than this much (bytes not yet on the wire)...
const MIN_QUEUE: usize = 512;
/// ... and it reads again once this much has left the queue (Linux `WAKEUP_CHARS`).
const WAKEUP: usize = 256;

/// A pipe for a writer's output. With a transmit buffer, shrunk to its smallest size (one
/// page) so that the writer blocks about where it would on a serial port; returns the
/// relay's own queue limit (`None`: unbounded).
fn line_pipe(tx_buffer: usize) -> (io::PipeReader, io::PipeWriter, Option<usize>) {
    let (reader, writer) = io::pipe().expect("create a pipe");
    if tx_buffer == 0 {
        return (reader, writer, None);
    }
    let size = rustix::pipe::fcntl_setpipe_size(&reader, 1)
        .or_else(|_| rustix::pipe::fcntl_getpipe_size(&reader))
        .expect("size the pipe");
    (
        reader,
        writer,
        Some(tx_buffer.saturating_sub(size).max(MIN_QUEUE)),
    )
}

/// Carry bytes from `from` to `to` at `baud` with `latency`, through `noise`, taking bytes
/// from `from` only while fewer than `queue` (if bounded) wait for the wire. Returns the
/// byte count and the bits flipped.
fn direction(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    baud: u32,
    latency: Duration,
    queue: Option<usize>,
    mut noise: Option<Noise>,
) -> thread::JoinHandle<(u64, u64)> {
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
        let byte_time = if baud == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(10.0 / f64::from(baud))
        };
        // Without pacing nothing waits for the wire: only the pipe bounds the writer.
        let queue = queue.filter(|_| baud > 0);
        let mut line_free = Instant::now();
        let mut total = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let mut max = buf.len();
            if let Some(limit) = queue {
                // Bytes still to go out on the wire; wait until WAKEUP of the queue is free.
                let wake = WAKEUP.min(limit / 2);
                let now = Instant::now();
                let unsent = line_free
                    .saturating_duration_since(now)
                    .div_duration_f64(byte_time);
                let unsent = unsent.ceil() as usize;
                if unsent + wake > limit {
                    let until = line_free - byte_time * (limit - wake) as u32;
                    if until > now {
                        thread::sleep(until - now);
                    }
                    continue;
                }
                max = max.min(limit - unsent);
            }
            let n = match from.read(&mut buf[..max]) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(noise) = &mut noise {
                noise.apply(total, &mut buf[..n]);
            }
            total += n as u64;
            let start = line_free.max(Instant::now());
            line_free = start + byte_time * n as u32;
            if tx.send((line_free + latency, buf[..n].to_vec())).is_err() {
                break;
            }
        }
        drop(tx);
        let _ = writer.join();
        (total, noise.map_or(0, |n| n.flips))
    })
}

fn main() {
    let args = parse();
    let start = Instant::now();
    let (out_from, out_to, out_queue) = line_pipe(args.tx_buffer);
    let (back_from, back_to, back_queue) = line_pipe(args.tx_buffer);
    let mut sender = Command::new("sh")
        .args(["-c", &args.sender])
        .stdin(Stdio::piped())
        .stdout(out_to)
        .spawn()
        .expect("start the sender");
    let mut receiver = Command::new("sh")
        .args(["-c", &args.receiver])
        .stdin(Stdio::piped())
        .stdout(back_to)
        .spawn()
        .expect("start the receiver");
    let noise =
        |stream, on: bool| (on && args.ber > 0.0).then(|| Noise::new(args.ber, args.seed, stream));
    let out = direction(
        out_from,
        receiver.stdin.take().expect("piped"),
        args.baud,
        args.latency,
        out_queue,
        noise(1, true),
    );
    let back = direction(
        back_from,
        sender.stdin.take().expect("piped"),
        args.baud,
        args.latency,
        back_queue,
        noise(2, !args.forward_only),
    );
    let s = sender.wait().expect("wait for the sender");
    let r = receiver.wait().expect("wait for the receiver");
    let wall = start.elapsed().as_secs_f64();
    let ((out, flips_out), (back, flips_back)) =
        (out.join().unwrap_or((0, 0)), back.join().unwrap_or((0, 0)));
    let flips = if args.ber > 0.0 {
        format!(" flips_out={flips_out} flips_back={flips_back}")
    } else {
        String::new()
    };
    eprintln!(
        "wall={wall:.3} sender={} receiver={} bytes_out={out} bytes_back={back}{flips}",
        s.code().unwrap_or(-1),
        r.code().unwrap_or(-1)
    );
}
