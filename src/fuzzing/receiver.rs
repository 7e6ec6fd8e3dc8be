//! The receiver fuzz body.

use std::time::Instant;

use super::{Common, Files, Input, Run, common_op, file_info};
use crate::proto::xymodem::block::{self, EOT, LARGE, SMALL};
use crate::proto::xymodem::header;
use crate::proto::{Check, Event, FileInfo, FileReply, Limits, ReceiverConfig, RecvMode};

// ---------------------------------------------------------------------------------------------
// Receiver

/// Follows a receiver's files: data only inside a file, never beyond its announced length,
/// and `FileEnd` counting exactly what was written.
#[derive(Default)]
struct RecvFiles {
    /// Inside a file: its announced length, if any.
    file: Option<Option<u64>>,
    written: u64,
}

impl Files for RecvFiles {
    fn file_start(&mut self, info: &FileInfo) -> FileReply {
        assert!(self.file.is_none(), "FileStart inside a file");
        self.file = Some(info.size);
        self.written = 0;
        FileReply::Accept
    }

    fn event(&mut self, event: &Event) {
        match event {
            Event::FileEnd { bytes } => {
                assert!(self.file.is_some(), "FileEnd outside a file");
                assert_eq!(*bytes, self.written, "FileEnd count != bytes written");
                self.file = None;
            }
            Event::Progress { frame, .. } => {
                assert!(self.file.is_some(), "Progress outside a file");
                assert!(*frame == SMALL || *frame == LARGE);
            }
            _ => {}
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        let Some(size) = self.file else {
            panic!("WriteFile outside a file");
        };
        assert!(!data.is_empty(), "empty WriteFile");
        assert_eq!(offset, self.written, "X/YMODEM data arrives in order");
        self.written += data.len() as u64;
        if let Some(size) = size {
            assert!(
                self.written <= size,
                "wrote {} bytes of a {size}-byte file",
                self.written
            );
        }
    }

    fn read(&mut self, _offset: u64, _max: usize) -> &[u8] {
        panic!("a receiver asked for file data");
    }
}

/// Receiver session. `data[0]` picks the mode (bits 0-1: XMODEM, YMODEM, YMODEM-G, detect),
/// the first check (bit 2: checksum), the EOT rule (bit 3), the CRC fallback (bits 4-5) and
/// the error limit (bits 6-7). The rest is a list of operations: raw bytes, blocks and headers
/// built from the input (numbered in sequence or not, damaged or not, fed whole or in pieces),
/// EOT, cancels, aborts and timeouts. When the input runs out, only timeouts follow.
pub fn receiver(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let cfg = ReceiverConfig {
        mode: [
            RecvMode::Xmodem,
            RecvMode::Ymodem,
            RecvMode::YmodemG,
            RecvMode::Detect,
        ][usize::from(flags & 3)],
        check: if flags & 4 == 0 {
            Check::Crc16
        } else {
            Check::Checksum
        },
        nak_first_eot: flags & 8 == 0,
        crc_attempts: [Some(4), None, Some(1), Some(0)][usize::from((flags >> 4) & 3)],
        limits: Limits {
            max_errors: [10, 10, 1, 0][usize::from(flags >> 6)],
            ..Limits::default()
        },
        ..ReceiverConfig::default()
    };
    let now = Instant::now();
    let mut run = Run::new(
        crate::proto::Receiver::new(cfg, now),
        RecvFiles::default(),
        now,
    );
    // The block number a well-behaved sender would use next.
    let mut next: u8 = 1;
    let mut wire = Vec::with_capacity(block::MAX_FRAME);
    let mut body = Vec::with_capacity(LARGE);
    while !input.is_empty() {
        match input.u8() {
            0..=39 => common_op(&mut run, Common::Raw, &mut input),
            40..=49 => common_op(&mut run, Common::RawLong, &mut input),
            50..=79 => common_op(&mut run, Common::Advance, &mut input),
            80..=99 => common_op(&mut run, Common::Expire, &mut input),
            // A data block, mostly the one expected next, mostly short of data (padded).
            100..=179 => {
                let shape = input.u8();
                let number = match shape & 15 {
                    0..=13 => next,
                    14 => next.wrapping_sub(1),
                    _ => input.u8(),
                };
                let size = if shape & 16 == 0 { SMALL } else { LARGE };
                let len = if shape & 32 == 0 {
                    usize::from(input.u8())
                } else {
                    usize::from(input.u16()) % (size + 1)
                };
                let payload = input.bytes(len.min(size));
                let check = run.engine.check();
                block::encode(&mut wire, number, payload, size, check, block::PAD);
                if send_block(&mut run, &mut wire, &mut input) && number == next {
                    next = next.wrapping_add(1);
                }
            }
            // A YMODEM header (an empty name makes the end-of-batch header).
            180..=209 => {
                let check = run.engine.check();
                header_block(&mut input, &mut body, &mut wire, check);
                if send_block(&mut run, &mut wire, &mut input) {
                    next = 1;
                }
            }
            210..=234 => run.input(&[EOT]),
            // A ZMODEM sender's ZRQINIT.
            235..=244 => run.input(b"**\x18B00000000000000\r\n"),
            245..=249 => common_op(&mut run, Common::Can, &mut input),
            250..=252 => common_op(&mut run, Common::Cancel, &mut input),
            253..=255 => common_op(&mut run, Common::Abort, &mut input),
        }
    }
    run.run_out();
}

/// A YMODEM header block (block 0) with file information from the input, in `wire`; an
/// empty name makes the end-of-batch header.
pub(super) fn header_block(
    input: &mut Input<'_>,
    body: &mut Vec<u8>,
    wire: &mut Vec<u8>,
    check: Check,
) {
    let info = file_info(input);
    body.clear();
    let size = if info.name.is_empty() {
        body.resize(SMALL, 0);
        SMALL
    } else {
        // A header too long for 1K goes out cut, without its NUL (as lrzsz does).
        header::encode(&info, body).unwrap_or_else(|_| {
            body.truncate(LARGE);
            LARGE
        })
    };
    block::encode(wire, 0, body, size, check, 0);
}

/// Feed an encoded block, mostly intact (whole or in pieces), else with one byte flipped,
/// with the other check's trailer, or cut short. True if it went out intact.
pub(super) fn send_block<F: Files>(
    run: &mut Run<crate::proto::Receiver, F>,
    wire: &mut Vec<u8>,
    input: &mut Input<'_>,
) -> bool {
    match input.u8() {
        160..=191 => {
            let piece = usize::from(input.u8()) + 1;
            for chunk in wire.chunks(piece) {
                run.input(chunk);
            }
            return true;
        }
        192..=207 => {
            let at = usize::from(input.u16()) % wire.len();
            wire[at] ^= input.u8() | 1;
        }
        208..=223 => {
            // Re-encode with the other check: one byte too many or too few.
            let size = wire.len() - 3 - run.engine.check().size();
            let number = wire[1];
            let body = wire[3..3 + size].to_vec();
            let other = match run.engine.check() {
                Check::Crc16 => Check::Checksum,
                _ => Check::Crc16,
            };
            block::encode(wire, number, &body, size, other, 0);
        }
        224..=239 => {
            let keep = usize::from(input.u16()) % wire.len();
            wire.truncate(keep);
        }
        _ => {
            run.input(wire);
            return true;
        }
    }
    run.input(wire);
    false
}
