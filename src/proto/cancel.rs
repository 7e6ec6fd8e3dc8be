//! The cancel sequence: how we abort, and how we notice the peer aborting.

/// CAN, the cancel byte.
pub const CAN: u8 = 0x18;
/// Backspace, sent after the CANs so a shell that already took over the
/// line deletes them again.
pub const BS: u8 = 0x08;

/// What we send to abort: 10 CANs then 10 backspaces, as lrzsz does. Peers
/// need two CANs in a row (U-Boot three); the backspaces tidy up a shell.
pub const CANCEL_SEQUENCE: [u8; 20] = [
    CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, CAN, BS, BS, BS, BS, BS, BS, BS, BS, BS, BS,
];

/// Spots two consecutive CAN bytes in a stream that may arrive in pieces.
#[derive(Debug, Default, Clone)]
pub struct CanDetector {
    last_was_can: bool,
}

impl CanDetector {
    /// Feed one byte; true when it completes a CAN CAN pair.
    pub fn feed(&mut self, byte: u8) -> bool {
        let hit = byte == CAN && self.last_was_can;
        self.last_was_can = byte == CAN;
        hit
    }

    /// Forget a half-seen pair (e.g. after a valid block arrived).
    pub fn reset(&mut self) {
        self.last_was_can = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_two_in_a_row() {
        let mut d = CanDetector::default();
        assert!(!d.feed(CAN));
        assert!(!d.feed(b'x'));
        assert!(!d.feed(CAN));
        assert!(d.feed(CAN));
    }

    #[test]
    fn sequence_shape() {
        assert_eq!(CANCEL_SEQUENCE.iter().filter(|&&b| b == CAN).count(), 10);
        assert_eq!(&CANCEL_SEQUENCE[10..], &[BS; 10]);
    }
}
