//! A stand-in for U-Boot's `loady` receiver, speaking on stdin/stdout, for measuring how
//! senders cope with it (see docs/BENCHMARKS.md). It follows the behaviour described for
//! U-Boot 2023.01 (`common/xyzModem.c`):
//!
//! - one `C` at start, repeated only after a header timeout of 4.25 s (2 s character wait,
//!   2 s of drained silence, 0.25 s);
//! - the header (block 0) is ACKed with **no `C` after it**: the next `C` only comes from that
//!   4.25 s timeout, if no block arrives first;
//! - a bad block is answered with `C`; a duplicate is re-ACKed;
//! - EOT is answered `ACK ACK C`; exactly one more header is read and ACKed, then it stops.
//!
//! Usage: `loady_sim OUT` (data cut to the header's length is written to OUT; a line with
//! the byte count and timings goes to stderr).

use std::io::Write;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use xyzmodem::proto::xymodem::block::{ACK, Assembler, CRC_START, EOT, SOH, STX};
use xyzmodem::proto::{Check, xymodem::header};

const HEADER_TIMEOUT: Duration = Duration::from_millis(4250);
const CHAR_TIMEOUT: Duration = Duration::from_secs(2);

/// Read one byte with a timeout.
fn getc(timeout: Duration) -> Option<u8> {
    let stdin = std::io::stdin();
    let ts = Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: timeout.subsec_nanos().into(),
    };
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    if poll(&mut fds, Some(&ts)).ok()? == 0 {
        return None;
    }
    // Straight from the descriptor: std's buffered Stdin would hide bytes from poll.
    let mut b = [0u8];
    match rustix::io::read(&stdin, &mut b) {
        Ok(1) => Some(b[0]),
        _ => None,
    }
}

fn put(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        eprintln!("loady_sim: the sender went away: {e}");
        std::process::exit(1);
    }
}

enum Got {
    Block(u8, Vec<u8>),
    Eot,
    Bad,
}

/// Wait for a header byte (sending `C` after each header timeout), then read the block.
fn next(first_c: bool) -> Got {
    if first_c {
        put(b"C");
    }
    let start = loop {
        match getc(HEADER_TIMEOUT) {
            Some(b @ (SOH | STX | EOT)) => break b,
            Some(_) => continue,
            None => put(b"C"),
        }
    };
    if start == EOT {
        return Got::Eot;
    }
    let mut asm = Assembler::default();
    asm.start(start, Check::Crc16);
    while !asm.is_complete() {
        match getc(CHAR_TIMEOUT) {
            Some(b) => {
                asm.feed(&[b]);
            }
            None => return Got::Bad,
        }
    }
    match asm.verify(Check::Crc16) {
        Ok(b) => Got::Block(b.number, b.data.to_vec()),
        Err(_) => Got::Bad,
    }
}

fn main() {
    let out = std::env::args().nth(1).expect("usage: loady_sim OUT");
    let t0 = Instant::now();
    let mut file = Vec::new();
    let mut size = None;
    let mut expected = 0u8;
    let mut first = true;
    let mut header_acked_at = None;
    let mut block1_at = None;
    loop {
        match next(first) {
            Got::Block(0, data) if header_acked_at.is_none() => {
                size = header::parse(&data).and_then(|i| i.size);
                put(&[ACK]); // and no C
                header_acked_at = Some(t0.elapsed());
                expected = 1;
            }
            Got::Block(n, data) if n == expected => {
                if n == 1 && block1_at.is_none() {
                    block1_at = Some(t0.elapsed());
                }
                file.extend_from_slice(&data);
                put(&[ACK]);
                expected = expected.wrapping_add(1);
            }
            Got::Block(n, _) if n == expected.wrapping_sub(1) => put(&[ACK]),
            Got::Block(..) | Got::Bad => put(&[CRC_START]),
            Got::Eot => {
                put(&[ACK, ACK, CRC_START]);
                // Exactly one more header, whatever it is.
                let _ = next(false);
                put(&[ACK]);
                break;
            }
        }
        first = false;
    }
    if let Some(n) = size {
        file.truncate(n as usize);
    }
    std::fs::write(&out, &file).expect("write output");
    let ms = |d: Option<Duration>| d.map_or(-1.0, |d| d.as_secs_f64() * 1000.0);
    eprintln!(
        "loady_sim: {} bytes in {:.1} ms; header ACK at {:.1} ms, block 1 at {:.1} ms",
        file.len(),
        t0.elapsed().as_secs_f64() * 1000.0,
        ms(header_acked_at),
        ms(block1_at)
    );
}
