//! The fuzz body of `recv`'s front end ([`AutoReceiver`]): X/YMODEM blocks and ZMODEM frames
//! mixed on one line, so that the input reaches the protocol detection, the hand-over from one
//! engine to the other and both engines behind it.

use std::time::{Duration, Instant};

use super::receiver::header_block;
use super::zmodem::{ZRecvFiles, damage, frame, header, subpacket};
use super::{Common, Input, Run, common_op};
use crate::proto::detect::{AutoReceiver, Start, ZRQINIT_PREFIX};
use crate::proto::xymodem::block::{self, EOT, LARGE, SMALL};
use crate::proto::zmodem::{CrcKind, Encoder, EscapeProfile, ReceiverConfig as ZConfig};
use crate::proto::{Check, Limits, ReceiverConfig, RecvMode};

/// `recv`'s front end. `data[0]`: the start (bits 0-1: X/YMODEM then ZMODEM, X/YMODEM only,
/// ZMODEM first, X/YMODEM then ZMODEM), the X/YMODEM mode (bit 2: detect or YMODEM-G), the
/// first check (bit 3: checksum), ZMODEM's ESCCTL (bit 4), a start timeout of 3 s instead of
/// 60 (bit 5). The rest is a list of operations: raw bytes, `rz\r` and `ZRQINIT` (whole or
/// cut), X/YMODEM blocks and headers, EOT, ZMODEM headers of any type and format, subpackets,
/// well-formed `ZFILE`, `ZDATA`, `ZEOF` and `ZFIN` frames, `OO`, cancels, aborts and timeouts,
/// each maybe damaged. When the input runs out, only timeouts follow.
pub fn auto_receiver(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let start = [
        Start::Xymodem,
        Start::XymodemOnly,
        Start::Zmodem,
        Start::Xymodem,
    ][usize::from(flags & 3)];
    let start_limit = Duration::from_secs(if flags & 32 == 0 { 60 } else { 3 });
    let xy = ReceiverConfig {
        mode: if flags & 4 == 0 {
            RecvMode::Detect
        } else {
            RecvMode::YmodemG
        },
        check: if flags & 8 == 0 {
            Check::Crc16
        } else {
            Check::Checksum
        },
        limits: Limits {
            start: start_limit,
            ..ReceiverConfig::default().limits
        },
        ..ReceiverConfig::default()
    };
    let z = ZConfig {
        escape_controls: flags & 16 != 0,
        limits: Limits {
            start: start_limit,
            ..ZConfig::default().limits
        },
        ..ZConfig::default()
    };
    let now = Instant::now();
    let mut run = Run::new(
        AutoReceiver::new(start, xy, z, now),
        ZRecvFiles::any_names(),
        now,
    );
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    let mut wire = Vec::new();
    let mut body = Vec::with_capacity(LARGE);
    let mut crc = CrcKind::Crc32;
    // The block number a well-behaved X/YMODEM sender would use next.
    let mut next: u8 = 1;
    while !input.is_empty() {
        wire.clear();
        let op = input.u8();
        match op {
            0..=24 => common_op(&mut run, Common::Raw, &mut input),
            25..=29 => common_op(&mut run, Common::RawLong, &mut input),
            30..=49 => common_op(&mut run, Common::Advance, &mut input),
            50..=64 => common_op(&mut run, Common::Expire, &mut input),
            // What a ZMODEM sender starts with: `rz\r`, then `ZRQINIT`, either maybe cut.
            65..=74 => wire.extend_from_slice(b"rz\r"),
            75..=89 => {
                wire.extend_from_slice(ZRQINIT_PREFIX);
                wire.extend_from_slice(b"000000000000\r\n");
            }
            // An X/YMODEM data block, mostly the one expected next.
            90..=129 => {
                let shape = input.u8();
                let number = if shape & 7 == 7 { input.u8() } else { next };
                let size = if shape & 8 == 0 { SMALL } else { LARGE };
                let len = usize::from(input.u16()) % (size + 1);
                let payload = input.bytes(len);
                block::encode(&mut wire, number, payload, size, check(shape), block::PAD);
                next = next.wrapping_add(u8::from(number == next));
            }
            // A YMODEM header (an empty name makes the end-of-batch header).
            130..=144 => {
                let shape = input.u8();
                header_block(&mut input, &mut body, &mut wire, check(shape));
                next = 1;
            }
            145..=154 => wire.push(EOT),
            155..=179 => {
                let (h, format) = header(&mut input);
                crc = format.data_crc();
                enc.header(&mut wire, format, &h);
            }
            180..=199 => subpacket(&mut enc, &mut input, &mut wire, crc),
            200..=239 => {
                let pick = input.u8() % 65;
                crc = frame(
                    pick,
                    &mut input,
                    &mut enc,
                    &mut wire,
                    run.files.written,
                    crc,
                );
            }
            240..=243 => wire.extend_from_slice(b"OO"),
            244..=247 => common_op(&mut run, Common::Can, &mut input),
            248..=251 => common_op(&mut run, Common::Cancel, &mut input),
            252..=255 => common_op(&mut run, Common::Abort, &mut input),
        }
        if !wire.is_empty() {
            damage(&mut wire, &mut input);
            run.input(&wire);
        }
    }
    run.run_out();
}

/// The block check a shape byte picks: mostly CRC-16.
fn check(shape: u8) -> Check {
    if shape & 0x30 == 0x30 {
        Check::Checksum
    } else {
        Check::Crc16
    }
}
