//! XMODEM (checksum, CRC-16, 1K), YMODEM batch and YMODEM-G.
//!
//! The family shares one block format ([`block`]) and one pair of engines: the [`Sender`]
//! sends one file with XMODEM ([`Sender::xmodem`]) or a batch with YMODEM ([`SendMode`]),
//! streaming when the receiver asks for YMODEM-G; the [`Receiver`] speaks XMODEM, YMODEM,
//! YMODEM-G or whichever the first block shows ([`RecvMode`]). YMODEM adds the block 0 file
//! header ([`header`]). The receiver times its NAKs by what it learns of the line
//! (`timing.rs`); `config.rs` holds both engines' settings. docs/PROTOCOLS.md has the wire facts, docs/PROTOCOL_NOTES.md the
//! choices made where peers disagree.

pub mod block;
mod config;
pub mod header;
mod recv;
mod send;
mod timing;

pub use config::{ReceiverConfig, RecvMode, SendMode, SenderConfig};
pub use recv::Receiver;
pub use send::Sender;

#[cfg(test)]
mod xmodem_tests;
#[cfg(test)]
mod ymodem_tests;
