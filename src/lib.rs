//! xyzmodem: XMODEM, YMODEM and ZMODEM file transfer over serial lines and
//! byte pipes.
//!
//! The crate is layered (see `docs/ARCHITECTURE.md`):
//!
//! - [`proto`]: sans-IO protocol engines. Pure state machines fed with bytes
//!   and the current time; they never do I/O or read a clock.
//! - [`driver`]: a thin blocking loop that runs an engine over a
//!   [`link::Link`], moves file data and reports progress.
//! - [`link`]: the byte pipes: stdin/stdout and serial ports.
//! - [`files`]: safe file handling: atomic receive, no clobbering.
//!
//! The command-line interface lives in the `cli` module of the binary.

pub mod driver;
pub mod files;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod link;
pub mod proto;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod sim;
