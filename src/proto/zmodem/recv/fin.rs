//! The receiver after its `ZFIN`: only the sender's `OO` belongs to the session (and the tail
//! of its `ZFIN` header, or a repeated `ZFIN`: lrzsz `sz` says `ZFIN` again when our answer
//! crossed a `ZRINIT` of ours, and dies of SIGPIPE if we are gone before its `OO`); what
//! follows is not ours, and is left for whoever reads the line next (a shell).

use std::time::Instant;

use super::{Receiver, State};
use crate::proto::zmodem::{FrameType, Header};

/// A sender's `ZFIN` as a hex header (what lrzsz `sz` and our sender send), up to its CR/LF
/// trailer: after our `ZFIN`, the only bytes besides `OO` taken as the session's.
const REPEATED_ZFIN: &[u8] = b"**\x18B0800000000022d";

/// Repeated `ZFIN`s answered after the first (lrzsz `sz` sends at most 3 in all).
const MAX_FIN_REPEATS: u8 = 3;

impl Receiver {
    /// One byte read after our `ZFIN`: whether it was the session's (consumed), and whether
    /// the input loop stops here (the session ended, or an answer waits to go out).
    pub(super) fn on_fin_byte(&mut self, now: Instant, byte: u8) -> (bool, bool) {
        let State::Fin {
            deadline,
            seen,
            matched,
            repeats,
        } = self.state
        else {
            return (false, true);
        };
        if seen == 0 && repeats < MAX_FIN_REPEATS && byte == REPEATED_ZFIN[usize::from(matched)] {
            let matched = matched + 1;
            let (deadline, matched, repeats) = if usize::from(matched) == REPEATED_ZFIN.len() {
                self.header(Header::new(FrameType::Fin));
                (now + self.cfg.fin_wait, 0, repeats + 1)
            } else {
                (deadline, matched, repeats)
            };
            self.state = State::Fin {
                deadline,
                seen,
                matched,
                repeats,
            };
            return (true, self.core.out.is_pending());
        }
        if matched == 0 && seen == 0 && matches!(byte, b'\r' | b'\n' | 0x8A | 0x8D | 0x11) {
            return (true, false);
        }
        if byte != b'O' {
            self.finish();
            return (false, true);
        }
        if seen + 1 >= 2 {
            self.finish();
            return (true, true);
        }
        self.state = State::Fin {
            deadline,
            seen: seen + 1,
            matched: 0,
            repeats,
        };
        (true, false)
    }
}
