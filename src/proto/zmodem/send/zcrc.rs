//! The ZMODEM sender's answer to a receiver's `ZCRC`: the CRC-32 of the file's first bytes,
//! read in pieces like the data, so that a receiver holding part of the file can check it
//! before it resumes.

use std::time::Instant;

use super::{MAX_SUBPACKET, Sender, State};
use crate::proto::RetryReason;
use crate::proto::zmodem::{FrameType, Header};

impl Sender {
    /// The receiver asks for the CRC of the file's first `pos` bytes (0: all of it).
    pub(super) fn on_zcrc(&mut self, now: Instant, pos: u64) {
        self.crc_requests += 1;
        // lrzsz asks 3 times at most; more is a receiver that will not decide.
        if self.crc_requests > 3 && !self.count_error(self.pos, RetryReason::Nak) {
            return;
        }
        let size = self.file_size().unwrap_or(u64::MAX);
        let left = if pos == 0 { size } else { pos.min(size) };
        self.crc_scan = 0;
        self.pos = 0;
        self.start_scan(now, left);
    }

    /// File data for the scan, `left` bytes of it still to come.
    pub(super) fn on_scan_data(&mut self, now: Instant, data: &[u8], left: u64) {
        self.crc_scan = crate::proto::crc::crc32_continue(self.crc_scan, data);
        self.pos += data.len() as u64;
        let left = left.saturating_sub(data.len() as u64);
        if data.is_empty() || left == 0 {
            self.end_scan(now);
        } else {
            self.start_scan(now, left);
        }
    }

    fn start_scan(&mut self, now: Instant, left: u64) {
        if left == 0 {
            return self.end_scan(now);
        }
        let max = MAX_SUBPACKET.min(usize::try_from(left).unwrap_or(MAX_SUBPACKET));
        self.core.out.request_read(self.pos, max);
        self.state = State::CrcScan { left };
    }

    fn end_scan(&mut self, now: Instant) {
        // The time spent reading the file is ours, not the receiver's (the requests are
        // bounded by their own count).
        self.core.progress(now);
        self.hex(Header::with_position(FrameType::Crc, self.crc_scan));
        self.pos = 0;
        // The answer to ZFILE is still due.
        self.state = State::WaitPos {
            deadline: now + self.cfg.limits.answer,
        };
    }
}
