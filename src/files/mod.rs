//! Files: streaming reads for sending, and safe writes for receiving.
//!
//! Received data goes to a hidden temporary file in the target directory.
//! Only a completed transfer is renamed to the final name, and that rename
//! never replaces an existing file unless asked to. Memory use is a fixed
//! buffer whatever the file size.

//!
//! `source.rs` reads the files to send ([`Source`]), `sink.rs` writes received ones
//! ([`Sink`]), `policy.rs` decides what becomes of each received file ([`ReceiveFiles`]),
//! `names.rs` makes a peer's names safe; this module holds what they share: the errors.

use std::io;
use std::path::{Path, PathBuf};

pub mod names;
mod policy;
mod sink;
mod source;

pub use policy::{Abandoned, KeepPartial, Opened, ReceiveFiles, ReceivePolicy, Target};
pub use sink::{Committed, Existing, Finish, Padding, Sink};
pub use source::Source;

/// Buffer size for file reads and writes: large enough that the data path
/// makes one syscall per many blocks.
const BUF_SIZE: usize = 64 * 1024;

/// File errors, each naming the file; the text is fit for a user.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The output exists and overwriting was not allowed.
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// A character or block device offered for sending without being forced: its size is
    /// unknown and its data may never end.
    #[error(
        "cannot send {}: it is a {kind} device: its size is unknown and its data may never end",
        .path.display()
    )]
    Device {
        /// The device.
        path: PathBuf,
        /// "character" or "block".
        kind: &'static str,
    },
    /// XMODEM data came with no name to store it under, and none was given.
    #[error(
        "cannot receive into {}: the sender uses XMODEM, which sends no file name",
        .dir.display()
    )]
    NoXmodemName {
        /// The directory the file would go to.
        dir: PathBuf,
    },
    /// A file to send whose path has no file name to announce (`..`, `/`).
    #[error("{} has no file name", .0.display())]
    NoName(PathBuf),
    /// An I/O error on the named file.
    #[error("{op} {path}: {error}")]
    Io {
        /// What we were doing, e.g. "reading".
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The system's error (part of the message, so not also a source).
        error: io::Error,
    },
}

impl FileError {
    fn io<'p>(op: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> Self + use<'p> {
        // The path is copied only when an error happens: this is built for every write
        // (twice per 1 KiB ZMODEM subpacket), which must not allocate.
        move |error| Self::Io {
            op,
            path: path.to_path_buf(),
            error: without_temp_path(error),
        }
    }
}

/// The system's error without the note tempfile adds to it (`... at path "/dir/.NAME.xxxxxx.
/// xyzpart"`): messages name the user's file, never our temporary one.
fn without_temp_path(error: io::Error) -> io::Error {
    if error.raw_os_error().is_some() {
        return error;
    }
    let text = error.to_string();
    match text.rfind(" at path \"") {
        Some(i) => io::Error::new(error.kind(), text[..i].to_owned()),
        None => error,
    }
}
