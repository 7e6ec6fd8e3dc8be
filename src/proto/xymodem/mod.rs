//! XMODEM (checksum, CRC-16, 1K), YMODEM batch and YMODEM-G.
//!
//! The family shares one block format ([`block`]) and one pair of engines: the [`Sender`]
//! sends one file with XMODEM ([`Sender::xmodem`]) or a batch with YMODEM ([`SendMode`]),
//! streaming when the receiver asks for YMODEM-G; the [`Receiver`] speaks XMODEM, YMODEM,
//! YMODEM-G or whichever the first block shows ([`RecvMode`]). YMODEM adds the block 0 file
//! header ([`header`]). docs/PROTOCOLS.md has the wire facts, docs/PROTOCOL_NOTES.md the
//! choices made where peers disagree.

pub mod block;
pub mod header;
mod recv;
mod send;

pub use recv::{Receiver, ReceiverConfig, RecvMode};
pub use send::{SendMode, Sender, SenderConfig};

#[cfg(test)]
mod xmodem_tests;
#[cfg(test)]
mod ymodem_tests;
