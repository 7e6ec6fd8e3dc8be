//! YMODEM batch and YMODEM-G: block 0 file headers ([`header`]) on top of the XMODEM block
//! layer. The engines are the shared [`Sender`](super::Sender) (with
//! [`SendMode::Ymodem`](super::SendMode::Ymodem)) and [`Receiver`](super::Receiver) (with
//! [`RecvMode::Ymodem`](super::RecvMode::Ymodem), `YmodemG` or `Detect`).

pub mod header;

#[cfg(test)]
mod tests;
