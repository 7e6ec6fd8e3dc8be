//! What the remote side sends, on its way to the screen: a ZMODEM start is taken out and
//! reported ([`Sniffer`]), and after a declined upload the `rz` told to stop is not heard
//! again. Pure: bytes in, bytes to show and a start out.

use xyzmodem::proto::sniff::{Found, Sniffer, ZmodemStart};

/// The remote side's output, watched for a ZMODEM start.
#[derive(Debug, Default)]
pub struct Watch {
    sniffer: Sniffer,
    /// An upload was declined, and nothing has been shown since.
    declined: bool,
}

impl Watch {
    /// Appends to `shown` what `input` shows now; returns a start, with the bytes from it on
    /// (its header first), which belong to the transfer.
    pub fn feed(
        &mut self,
        mut input: &[u8],
        shown: &mut Vec<u8>,
    ) -> Option<(ZmodemStart, Vec<u8>)> {
        loop {
            let before = shown.len();
            let found = self.sniffer.feed(input, shown);
            if shown.len() > before {
                self.declined = false;
            }
            let Found {
                start,
                rest,
                mut header,
            } = found?;
            self.sniffer = Sniffer::new();
            if start == ZmodemStart::Upload && self.declined {
                // What the `rz` just told to stop said before it heard (a header it repeated
                // while the prompt waited): not shown, and not asked about again. Its line end
                // and XON go with it. Anything else shown (its shell's prompt) ends that.
                input = &input[rest..];
                let tail = input
                    .iter()
                    .take(2)
                    .take_while(|&&b| matches!(b, b'\n' | 0x8A | 0x11));
                input = &input[tail.count()..];
                continue;
            }
            header.extend_from_slice(&input[rest..]);
            return Some((start, header));
        }
    }

    /// The person declined the upload that was found last.
    pub fn declined(&mut self) {
        self.declined = true;
    }

    /// True while bytes are held back: [`flush`](Self::flush) them after a quiet time.
    pub fn holding(&self) -> bool {
        self.sniffer.holding()
    }

    /// Show the bytes held back.
    pub fn flush(&mut self, shown: &mut Vec<u8>) {
        self.sniffer.flush(shown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// lrzsz `rz`'s start: its `ZRINIT` with the flags it sends, CR, LF with bit 7, XON.
    const ZRINIT: &[u8] = b"**\x18B0100000023be50\r\x8a\x11";
    const ZRQINIT: &[u8] = b"**\x18B00000000000000\r\x8a";

    fn feed(watch: &mut Watch, input: &[u8]) -> (Vec<u8>, Option<(ZmodemStart, Vec<u8>)>) {
        let mut shown = Vec::new();
        let found = watch.feed(input, &mut shown);
        (shown, found)
    }

    #[test]
    fn a_start_is_taken_out_with_what_follows() {
        let mut watch = Watch::default();
        let input = [b"rz waiting to receive.".as_slice(), ZRINIT, b"more"].concat();
        let (shown, found) = feed(&mut watch, &input);
        assert_eq!(shown, b"rz waiting to receive.");
        let (start, bytes) = found.expect("a start");
        assert_eq!(start, ZmodemStart::Upload);
        assert_eq!(bytes, [&ZRINIT[..ZRINIT.len()], b"more"].concat());
    }

    /// After a decline, the `rz` told to stop may still have said `ZRINIT` again: that is
    /// dropped, up to its shell's prompt; a new `rz` after the prompt asks again.
    #[test]
    fn after_a_decline_the_old_rz_is_not_heard_until_something_shows() {
        let mut watch = Watch::default();
        assert!(feed(&mut watch, ZRINIT).1.is_some());
        watch.declined();
        let input = [ZRINIT, ZRINIT, b"remote> "].concat();
        assert_eq!(feed(&mut watch, &input), (b"remote> ".to_vec(), None));
        let (shown, found) = feed(&mut watch, ZRINIT);
        assert!(shown.is_empty());
        assert_eq!(found.map(|f| f.0), Some(ZmodemStart::Upload));
        // A download is never dropped.
        watch.declined();
        assert_eq!(
            feed(&mut watch, ZRQINIT).1.map(|f| f.0),
            Some(ZmodemStart::Download)
        );
    }
}
