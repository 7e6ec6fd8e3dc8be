//! Stale `ZRPOS` requests: a receiver that finds bad data may ask for the same offset several
//! times before our answer reaches it (lrzsz `rz` sends a `ZRPOS` for each damaged header or
//! out-of-place `ZDATA` it sees), and the requests arrive together. Answering each one sends
//! the same data again for every copy; each extra copy reaches the receiver at an offset it no
//! longer wants and earns another round of `ZRPOS`es, until one side's error count runs out.
//! So a `ZRPOS` is answered only when nothing later in the same read supersedes it, and a
//! `ZRPOS` for the offset just answered that comes sooner than a round trip after the answer
//! (so it cannot be about the answer) is left alone too.

use std::time::Instant;

use super::{Sender, State};
use crate::proto::zmodem::{Decoder, DecoderConfig, FrameType, Header, Item};

impl Sender {
    /// True for a `ZRPOS` during the data that a later header in `rest`, the rest of the same
    /// read, supersedes: it is left unanswered and uncounted.
    pub(super) fn stale_rpos(&mut self, header: Header, rest: &[u8]) -> bool {
        header.kind == FrameType::RPos
            && matches!(
                self.state,
                State::Stream { .. } | State::WaitAck { .. } | State::WaitEof { .. }
            )
            && self
                .ahead
                .supersedes_rpos(u64::from(header.position()), rest)
    }
}

impl Sender {
    /// True for a `ZRPOS` during the data for the offset data last went again from, sooner
    /// after that than three quarters of the receiver's shortest turnaround (a round trip
    /// without the subpacket's own time on the line): the receiver asked before it could
    /// have seen the answer (it saw several damaged frames, or the answers crossed a repeat
    /// of its own), so the data it wants is already on its way. Left unanswered and
    /// uncounted.
    pub(super) fn echoed_rpos(&self, now: Instant, header: Header) -> bool {
        let Some(turnaround) = self.window.link.turnaround() else {
            return false;
        };
        let rtt = turnaround * 3 / 4;
        header.kind == FrameType::RPos
            && matches!(self.state, State::Stream { .. } | State::WaitAck { .. })
            && self.last_rpos.is_some_and(|(offset, at)| {
                offset == u64::from(header.position()) && now.saturating_duration_since(at) < rtt
            })
    }
}

/// Looks ahead in the bytes of one read for the receiver's later headers, without disturbing
/// the sender's own decoder.
#[derive(Debug)]
pub(super) struct Lookahead {
    dec: Decoder,
}

impl Lookahead {
    pub(super) fn new() -> Self {
        Self {
            dec: Decoder::new(DecoderConfig::default()),
        }
    }

    /// True when `rest`, what followed a `ZRPOS` for `offset` in the same read, holds a header
    /// the receiver sent after it that makes it stale: another `ZRPOS` (the receiver's latest
    /// wish wins), or a `ZACK` beyond `offset` (it got that far after asking).
    pub(super) fn supersedes_rpos(&mut self, offset: u64, rest: &[u8]) -> bool {
        self.dec.hunt();
        let mut used = 0;
        while used < rest.len() {
            let (n, item) = self.dec.feed(&rest[used..]);
            used += n;
            match item {
                Some(Item::Header { header, .. }) => {
                    return match header.kind {
                        FrameType::RPos => true,
                        FrameType::Ack => u64::from(header.position()) > offset,
                        _ => false,
                    };
                }
                Some(Item::Cancel) => return false,
                Some(Item::Data { .. } | Item::BadData(_)) => self.dec.hunt(),
                Some(Item::BadHeader(_)) => {}
                None if n == 0 => return false,
                None => {}
            }
        }
        false
    }
}
