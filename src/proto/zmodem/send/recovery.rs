//! What the sender does when the receiver asks for data again (`ZRPOS`) or acknowledges it
//! (`ZACK`) during a file: the error count per offset, the window's measurements, where the
//! data goes on from.

use std::time::Instant;

use super::Sender;
use crate::proto::core::Session;
use crate::proto::zmodem::FrameEnd;
use crate::proto::{Error, Event, PeerMisbehaved, Position, RetryReason};

impl Sender {
    /// Count an error at offset `at` of the file; false (and failed) once there were too
    /// many.
    pub(super) fn count_error(&mut self, at: u64, reason: RetryReason) -> bool {
        self.errors += 1;
        if self.errors >= self.cfg.limits.max_errors {
            self.fail(Error::RetriesExhausted {
                at: Position::Offset(at),
                attempts: self.errors,
                last: reason,
            });
            return false;
        }
        self.core.out.event(Event::Retry {
            reason,
            attempt: self.errors,
        });
        true
    }

    /// The receiver wants the data from `offset` on.
    pub(super) fn on_zrpos(&mut self, now: Instant, offset: u64, during_data: bool) {
        if self.file_size().is_some_and(|size| offset > size) {
            return self.fail(Error::PeerMisbehaved(PeerMisbehaved::PositionPastEnd));
        }
        let further = self.confirm(now, offset);
        if during_data {
            self.window.noisy = true;
            self.window.answered();
            if further {
                // The receiver got further than ever: errors count per offset (as lrzsz's 12
                // ZRPOS at one offset), not per file, so a long file on a noisy line that
                // keeps making progress is not given up. Only further than ever: a receiver
                // that goes back and forth between two offsets makes none.
                self.errors = 0;
            }
            if self.last_rpos.is_some_and(|(at, _)| at == offset) || offset < self.acked {
                // The same offset again: things are not getting through. Smaller subpackets.
                self.window.shrink();
            }
            if !self.count_error(offset, RetryReason::Nak) {
                return;
            }
            // Close the frame in flight so the receiver's reader is back at headers.
            let crc = self.crc;
            let out = self.core.out.tx();
            self.enc.subpacket(out, &[], FrameEnd::CrcE, crc);
            self.resync = true;
        }
        self.last_rpos = Some((offset, now));
        self.pos = offset;
        self.acked = offset;
        // What went before is sent again: no ZACK for it is waited for.
        self.window.restart(offset, now);
        self.need_zdata = true;
        self.request(now);
    }

    /// The receiver acknowledged the data up to `pos` (`ZACK`): when further than it ever
    /// confirmed, progress, and the errors count from 0 again, as for `ZRPOS`: errors count
    /// per offset (also for a `ZACK` that comes while the window still has room, as on a
    /// long line every `ZACK` does).
    pub(super) fn on_zack(&mut self, now: Instant, pos: u64) {
        self.window.acked_at(now, pos);
        self.acked = pos;
        if self.confirm(now, pos) {
            self.errors = 0;
        }
    }

    /// The receiver confirmed the file up to `offset` (`ZRPOS`, `ZACK`): true, and progress,
    /// if that is further than it ever confirmed in this file.
    pub(super) fn confirm(&mut self, now: Instant, offset: u64) -> bool {
        if offset <= self.confirmed_high {
            return false;
        }
        self.confirmed_high = offset;
        self.core.progress(now);
        true
    }
}
