//! ZMODEM, sans-IO: the wire codec (headers, ZDLE escaping, data subpackets) and the
//! [`Sender`] and [`Receiver`] engines built on it.
//!
//! The codec turns frames into bytes and bytes into frames and knows nothing of sessions;
//! the engines implement [`crate::proto::Engine`] like the X/YMODEM ones. Facts and sources:
//! docs/PROTOCOLS.md §4 (ZMODEM) and §5 (peer behaviour); the choices where we differ from
//! lrzsz are in docs/PROTOCOL_NOTES.md.
//!
//! # Encoding
//!
//! [`Encoder`] appends to a caller's `Vec<u8>` and never allocates on its own beyond
//! growing that buffer:
//!
//! - [`Encoder::header`] in one of the three [`HeaderFormat`]s: hex (`** ZDLE B`, lower-case
//!   hex digits, CRC-16, CR, 0x8A, then XON except after `ZACK` and `ZFIN`), binary with
//!   CRC-16 (`* ZDLE A`) or binary with CRC-32 (`* ZDLE C`, CRC low byte first).
//! - [`Encoder::subpacket`]: escaped data, ZDLE and the [`FrameEnd`] byte, the CRC over the
//!   data and the frame-end byte (CRC-16 high byte first, CRC-32 low byte first, as lrzsz),
//!   escaped, and an XON after `ZCRCW`.
//!
//! # Escaping profiles
//!
//! What gets escaped is a 256-entry [`EscapeTable`] built once from an [`EscapeProfile`]:
//!
//! - [`EscapeProfile::Minimal`] (lrzsz's default): ZDLE, DLE, XON, XOFF and the same with
//!   bit 7 set (0x18, 0x10, 0x11, 0x13, 0x90, 0x91, 0x93), and CR (0x0D, 0x8D) after `@`.
//! - [`EscapeProfile::Controls`] (the peer asked for ESCCTL): every byte with
//!   `(byte & 0x60) == 0`.
//! - [`EscapeProfile::Telnet`]: Minimal and 0xFF (ZDLE `m`), so no telnet IAC is formed.
//! - [`EscapeProfile::Ssh`]: Minimal and CR and LF, so no `~` follows a newline.
//!
//! An escaped byte is ZDLE and `byte ^ 0x40`; 0x7F and 0xFF are ZDLE `l` and ZDLE `m`.
//! [`EscapeTable::escape`] adds single bytes to any table, and
//! [`EscapeTable::escape_controls`] adds what ESCCTL asks for to any profile. The bytes to
//! escape are found 32 at a time with a quick test that compiles to vector compares
//! (`scan.rs`), and the runs between them are copied with one `extend_from_slice` each
//! (`cargo bench --bench zmodem`; the figures are in docs/BENCHMARKS.md).
//!
//! # Decoding
//!
//! [`Decoder::feed`] takes input in pieces of any size and stops after each [`Item`]: a
//! header, a data subpacket (bytes in [`Decoder::data`]), a cancel, or a refused header or
//! subpacket. After a header that announces data the engine calls
//! [`Decoder::expect_data`] with the header's [`HeaderFormat::data_crc`]; after `ZCRCE`,
//! `ZCRCW` or any error the decoder is back to looking for headers by itself.
//!
//! Every byte is treated as hostile:
//!
//! - headers are found anywhere in garbage (ZPAD, more ZPADs, ZDLE, a format letter; the
//!   framing bytes are read with bit 7 cleared, as lrzsz does); hex digits may be lower or
//!   upper case; the CR and LF after a hex header are optional, and LF may come as 0x8A or
//!   0x0A;
//! - a header with a bad CRC, a bad hex digit, a bad escape or an unknown type is reported
//!   as [`Item::BadHeader`]; a subpacket with a bad CRC, a bad escape, or longer than
//!   [`DecoderConfig::max_data`] (default 8192, lrzsz's maximum) as [`Item::BadData`]:
//!   never a panic, and nothing is ever buffered beyond that maximum;
//! - raw XON and XOFF (0x11, 0x13, 0x91, 0x93) are dropped wherever they appear (and every
//!   raw control byte with [`DecoderConfig::drop_controls`]);
//! - five CAN bytes in a row (ZDLE followed by four CAN) are [`Item::Cancel`], in any
//!   state. Valid encoding never puts two CANs in a row, so data cannot trigger it.
//!
//! # Engines
//!
//! `send.rs` and `recv.rs` hold the two engines, on the shared core of `proto` (limits,
//! named timers, sticky failure), and `config.rs` their settings. `window.rs` is the
//! sender's flow control: the subpacket size, how each subpacket ends against the
//! receiver's buffer and the window, and how long a full window waits for a `ZACK`;
//! `send/zcrc.rs` its answer to a receiver's `ZCRC` (the CRC of the file's first bytes).
//!
//! CRC-32 ([`crc32`]) for frames lives in this module; `proto/crc.rs` has CRC-16 and the
//! piecewise CRC-32 a `ZCRC` answer needs.

mod config;
mod crc32;
mod decode;
mod encode;
#[cfg(test)]
mod engine_tests;
mod escape;
mod frame;
#[doc(hidden)]
pub mod fuzz;
mod recv;
mod scan;
mod send;
#[cfg(test)]
mod tests;
mod window;

pub use config::{ReceiverConfig, SenderConfig};
pub use crc32::crc32;
pub use decode::{BadData, BadHeader, DEFAULT_MAX_DATA, Decoder, DecoderConfig, Item};
pub use encode::{Encoder, MAX_HEADER};
pub use escape::{EscapeProfile, EscapeTable, escape_code};
pub use frame::{
    CANBRK, CANCRY, CANFC32, CANFDX, CANLZW, CANOVIO, CrcKind, ESC8, ESCCTL, FrameEnd, FrameType,
    Header, HeaderFormat, UnknownFrameType, ZF0, ZF1, ZF2, ZF3,
};
pub use recv::Receiver;
pub use send::Sender;
pub use window::MAX_SUBPACKET;

/// `*`: the padding byte that starts every header.
pub const ZPAD: u8 = b'*';
/// The ZMODEM escape byte (the same value as CAN).
pub const ZDLE: u8 = 0x18;
/// CAN; five in a row cancel the session.
pub const CAN: u8 = 0x18;
/// After `ZPAD ZDLE`: a binary header with CRC-16 follows.
pub const ZBIN: u8 = b'A';
/// After `ZPAD ZDLE`: a hex header follows.
pub const ZHEX: u8 = b'B';
/// After `ZPAD ZDLE`: a binary header with CRC-32 follows.
pub const ZBIN32: u8 = b'C';
/// XON (DC1); dropped by receivers, so always escaped by senders.
pub const XON: u8 = 0x11;
/// XOFF (DC3); dropped by receivers, so always escaped by senders.
pub const XOFF: u8 = 0x13;
