//! XMODEM, XMODEM-CRC and XMODEM-1K: one file, no metadata.
//!
//! The engines are the shared [`Sender`] (built with [`Sender::xmodem`]) and [`Receiver`]
//! (with [`RecvMode::Xmodem`](super::RecvMode::Xmodem), the default). See
//! `docs/PROTOCOL_NOTES.md` for the choices made where peers disagree.

pub use super::{Receiver, ReceiverConfig, Sender, SenderConfig};

#[cfg(test)]
mod tests;
