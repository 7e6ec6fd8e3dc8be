//! xyzmodem: XMODEM, YMODEM and ZMODEM file transfer over serial lines and
//! byte pipes.
//!
//! The crate is layered (see `docs/ARCHITECTURE.md`):
//!
//! - [`proto`]: sans-IO protocol engines. Pure state machines fed with bytes
//!   and the current time; they never do I/O or read a clock.
//! - [`driver`]: a thin blocking loop that runs an engine over a
//!   [`link::Link`], moves file data and reports progress.
//! - [`link`]: the byte pipes: stdin/stdout, serial ports, any file descriptors.
//! - [`files`]: safe file handling: atomic receive, no clobbering.
//!
//! The command-line interface lives in the `cli` module of the binary; a program that
//! embeds the library depends on `xyzmodem` with `default-features = false` and builds none
//! of its crates.
//!
//! # Example
//!
//! Send a file with ZMODEM over any pair of file descriptors (here a socket pair, with the
//! receiver on a thread), into a directory, with the library's handlers
//! ([`driver::handlers`]) doing the file work:
//!
//! ```
//! use std::os::unix::net::UnixStream;
//! use std::time::Instant;
//!
//! use xyzmodem::driver::{self, handlers::{ReceiveInto, SendFiles}};
//! use xyzmodem::files::{ReceiveFiles, ReceivePolicy, Source, Target};
//! use xyzmodem::link::FdLink;
//! use xyzmodem::proto::detect::{AutoReceiver, Start};
//! use xyzmodem::proto::{ReceiverConfig, zmodem};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("hello.txt");
//! std::fs::write(&path, b"Hello over ZMODEM\n")?;
//! let into = dir.path().join("received");
//! let (ours, theirs) = UnixStream::pair()?;
//!
//! let target = Target::Dir { dir: into.clone(), create: true, xmodem_name: None };
//! let files = ReceiveFiles::new(target, ReceivePolicy::default())?;
//! let receiver = std::thread::spawn(move || -> Result<(), driver::Error> {
//!     let mut link = FdLink::new("socket", theirs).expect("a socket");
//!     let mut files = ReceiveInto::new(files);
//!     // Whatever the sender speaks: X/YMODEM, or ZMODEM, which answers first.
//!     let (xy, z) = (ReceiverConfig::default(), zmodem::ReceiverConfig::default());
//!     let mut engine = AutoReceiver::new(Start::Xymodem, xy, z, Instant::now());
//!     let result = driver::run(&mut engine, &mut link, &mut files, None);
//!     if result.is_err() {
//!         files.abandon();
//!     }
//!     result.map(drop)
//! });
//!
//! let mut files = SendFiles::new(vec![Source::open(&path)?]);
//! let infos = files.infos()?;
//! let mut engine = zmodem::Sender::new(zmodem::SenderConfig::default(), infos, Instant::now());
//! let mut link = FdLink::new("socket", ours)?;
//! let summary = driver::run(&mut engine, &mut link, &mut files, None)?;
//! receiver.join().expect("the receiver thread")?;
//!
//! assert_eq!(summary.files, 1);
//! assert_eq!(std::fs::read(into.join("hello.txt"))?, b"Hello over ZMODEM\n");
//! # Ok(())
//! # }
//! ```

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
