//! XMODEM, XMODEM-CRC and XMODEM-1K: one file, no metadata.
//!
//! See `docs/PROTOCOL_NOTES.md` for the choices made where peers disagree.

mod recv;
mod send;
#[cfg(test)]
mod tests;

pub use recv::{Receiver, ReceiverConfig};
pub use send::{Sender, SenderConfig};
