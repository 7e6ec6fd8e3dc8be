//! The per-file receive policy: where each file a sender announces goes, what happens to a
//! file already there, and what is kept when the transfer fails.
//!
//! [`ReceiveFiles`] is built from a [`Target`] and a [`ReceivePolicy`] before the sender is
//! answered: it creates a target directory that was asked for, checks that files can be
//! created in it, and opens the named output file (so an existing one is refused at once).
//! Then the caller hands it the receiver's events and data:
//!
//! - [`start`](ReceiveFiles::start) on `Output::FileStart`: the peer's name is made safe
//!   ([`names`](super::names)), an existing file is refused, replaced, renamed or skipped;
//! - [`write`](ReceiveFiles::write) for each block of data;
//! - [`end`](ReceiveFiles::end) on `Event::FileEnd`: the file is committed under its name;
//! - [`abandon`](ReceiveFiles::abandon) when the session failed.

use std::io;
use std::path::{Path, PathBuf};

use super::names::{self, SafeName};
use super::{Existing, FileError, Finish, Padding, Sink};
use crate::proto::{FileInfo, Protocol};

/// Where received files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Files go into `dir` under their (sanitised) names.
    Dir {
        /// The directory.
        dir: PathBuf,
        /// Create `dir` (and its missing parents) if it does not exist.
        create: bool,
        /// The name for data from an XMODEM sender, which sends none (relative to `dir`).
        xmodem_name: Option<PathBuf>,
    },
    /// XMODEM data, or the one file a YMODEM or ZMODEM sender sends, goes to this file. A
    /// batch is refused: at its first header when that announces more than one file, else
    /// when a second file comes (the first one stays in place). Nothing of it goes anywhere
    /// the user did not name.
    File(PathBuf),
}

impl Target {
    /// The name for XMODEM data received into a directory.
    pub fn xmodem_name(&self) -> Option<&Path> {
        match self {
            Self::Dir { xmodem_name, .. } => xmodem_name.as_deref(),
            Self::File(_) => None,
        }
    }
}

/// What to do with each received file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceivePolicy {
    /// A file that already exists: refuse, replace, keep both, or skip the new one.
    pub existing: Existing,
    /// Keep the sub-directories of the sender's names (confined to the target directory).
    pub keep_dirs: bool,
    /// On failure, which partial files to keep as `NAME.part` (default: ZMODEM's).
    pub keep_partial: KeepPartial,
    /// For a protocol that pads files (XMODEM: 0x1A to a whole block), drop the trailing
    /// padding bytes found in the last block.
    pub strip_padding: bool,
    /// Continue a file kept as `NAME.part` by an earlier attempt (`keep_partial`) from its
    /// length, when the sender's file is at least that long.
    pub resume: bool,
}

/// Which partial files a failed session keeps as `NAME.part`: none, what a ZMODEM sender
/// sent (the default: ZMODEM can continue it, `--resume`), or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeepPartial {
    /// Delete what arrived (a continued `NAME.part` stays all the same).
    Never,
    /// Keep what arrived from a ZMODEM sender, when it is not empty; delete the rest.
    #[default]
    Zmodem,
    /// Keep what arrived, whatever the protocol.
    Always,
}

/// A file the failed session was receiving: see [`ReceiveFiles::abandon`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abandoned {
    /// The name it would have had.
    pub path: PathBuf,
    /// The bytes it held (with those of a continued `NAME.part`).
    pub bytes: u64,
    /// Where they are kept (`NAME.part`, `NAME.part.1`...), or `None`: deleted.
    pub kept: Option<PathBuf>,
    /// The session spoke ZMODEM, which can continue a kept file (`--resume`).
    pub resumable: bool,
}

/// What [`ReceiveFiles::start`] did with an announced file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// The data goes to `path` (its final name; with [`Existing::Rename`] the commit may pick
    /// `NAME.1`...).
    Storing {
        /// Where the file goes.
        path: PathBuf,
        /// When the sender's name had to be changed to be safe: that name (lossy UTF-8) and
        /// the safe one (relative to the target directory).
        renamed: Option<(String, PathBuf)>,
    },
    /// `NAME.part` holds the first `from` bytes: the data from there on goes to it, and it
    /// becomes `path` when complete. Tell the sender to start at `from`.
    Resuming {
        /// Where the file goes.
        path: PathBuf,
        /// Bytes already held.
        from: u64,
        /// Their CRC-32, for the sender to confirm they are its file's first bytes.
        crc32: u32,
        /// As for `Storing`.
        renamed: Option<(String, PathBuf)>,
    },
    /// `path` exists and [`Existing::Skip`] is in force: the data is discarded.
    Skipping {
        /// The existing file.
        path: PathBuf,
        /// When the sender's name had to be changed to be safe: that name (lossy UTF-8) and
        /// the safe one (relative to the target directory).
        renamed: Option<(String, PathBuf)>,
    },
}

/// The file being received.
#[derive(Debug)]
struct Current {
    /// `None`: an existing file being skipped (data discarded).
    sink: Option<Sink>,
    info: FileInfo,
    /// The sink continues `NAME.part` from this length (a resume the protocol may decline).
    resumed_from: Option<u64>,
}

/// The files of one receiving session: built before the sender is answered, then fed the
/// receiver's events and data ([`start`](Self::start) on `FileStart`, [`write`](Self::write),
/// [`end`](Self::end) on `FileEnd`, [`abandon`](Self::abandon) on failure).
#[derive(Debug)]
pub struct ReceiveFiles {
    policy: ReceivePolicy,
    /// The directory for named files.
    dir: PathBuf,
    /// The name for XMODEM data.
    xmodem_name: Option<PathBuf>,
    /// The output file named by the caller, opened up front and used by the first file.
    fixed: Option<Sink>,
    /// The output file named by the caller ([`Target::File`]): the only file received.
    one_file: Option<PathBuf>,
    current: Option<Current>,
    /// The length of the last block written (the window for stripping padding).
    last_write: usize,
    /// What the session speaks, once it started: its padding rule applies at the end.
    protocol: Option<Protocol>,
    received: Vec<(PathBuf, u64)>,
    /// Bytes of the committed files that were already there, in the `NAME.part` files
    /// `--resume` continued.
    already_there: u64,
    /// What the user should know, not yet taken by [`take_notes`](Self::take_notes).
    notes: Vec<String>,
}

impl ReceiveFiles {
    /// Prepare `target`: create the directory when asked, check that files can be created in
    /// it, and open the output file (refusing an existing one unless the policy allows).
    /// Call it before answering the sender, so that nothing is transferred in vain.
    pub fn new(target: Target, policy: ReceivePolicy) -> Result<Self, FileError> {
        let one_file = match &target {
            Target::File(path) => Some(path.clone()),
            Target::Dir { .. } => None,
        };
        let (dir, xmodem_name, fixed) = match target {
            Target::Dir {
                dir,
                create,
                xmodem_name,
            } => {
                prepare_dir(&dir, create)?;
                (dir, xmodem_name, None)
            }
            Target::File(path) => {
                let sink = Sink::create(&path, policy.existing)?;
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                (dir, None, Some(sink))
            }
        };
        Ok(Self {
            policy,
            dir,
            xmodem_name,
            fixed,
            one_file,
            current: None,
            last_write: 0,
            protocol: None,
            received: Vec::new(),
            already_there: 0,
            notes: Vec::new(),
        })
    }

    /// The output file named by the caller, until the first file takes it.
    pub fn fixed_path(&self) -> Option<&Path> {
        self.fixed.as_ref().map(Sink::path)
    }

    /// A file begins: decide where it goes and open it. An error here should end the session.
    pub fn start(&mut self, info: &FileInfo) -> Result<Opened, FileError> {
        if let Some(path) = &self.one_file {
            let why = match info.files_left.filter(|&n| n > 1) {
                _ if self.fixed.is_none() => Some(format!(
                    "a second file ({}) came",
                    String::from_utf8_lossy(&info.name)
                )),
                Some(n) => Some(format!("the sender announces {n} files")),
                None => None,
            };
            if let Some(why) = why {
                let error = one_file_only(path, &why);
                // Nothing was written to it: it goes, whatever the policy for partial files.
                if let Some(sink) = self.fixed.take() {
                    sink.abandon(false);
                }
                return Err(error);
            }
        }
        if let Some(sink) = self.fixed.take() {
            let path = sink.path().to_path_buf();
            self.begin(Some(sink), info);
            return Ok(Opened::Storing {
                path,
                renamed: None,
            });
        }
        let mut renamed = None;
        let path = if info.name.is_empty() {
            // XMODEM: no name on the wire.
            let Some(name) = &self.xmodem_name else {
                return Err(FileError::NoXmodemName {
                    dir: self.dir.clone(),
                });
            };
            self.dir.join(name)
        } else {
            let raw = String::from_utf8_lossy(&info.name).into_owned();
            let safe: SafeName = names::sanitize(&info.name, self.policy.keep_dirs)
                .map_err(|e| refused(&self.dir, &format!("refusing file name {raw:?}: {e}")))?;
            if safe.changed {
                renamed = Some((raw, safe.path.clone()));
            }
            names::resolve(&self.dir, &safe, self.policy.keep_dirs).map_err(|e| FileError::Io {
                op: "cannot store",
                path: self.dir.join(&safe.path),
                error: e,
            })?
        };
        if self.policy.existing == Existing::Skip && path.symlink_metadata().is_ok() {
            self.begin(None, info);
            return Ok(Opened::Skipping { path, renamed });
        }
        if self.policy.resume
            && let Some(from) = resumable(&path, info.size)
        {
            let mut part = path.clone().into_os_string();
            part.push(".part");
            let part = PathBuf::from(part);
            let crc32 = crc32_of(&part, from).map_err(|e| FileError::Io {
                op: "cannot read",
                path: part.clone(),
                error: e,
            })?;
            let sink = Sink::continue_part(&path, self.policy.existing, &part, from)?;
            self.begin(Some(sink), info);
            if let Some(current) = &mut self.current {
                current.resumed_from = Some(from);
            }
            return Ok(Opened::Resuming {
                path,
                from,
                crc32,
                renamed,
            });
        }
        let sink = Sink::create(&path, self.policy.existing)?;
        self.begin(Some(sink), info);
        Ok(Opened::Storing { path, renamed })
    }

    fn begin(&mut self, sink: Option<Sink>, info: &FileInfo) {
        self.last_write = 0;
        self.current = Some(Current {
            sink,
            info: info.clone(),
            resumed_from: None,
        });
    }

    /// The session started (`Event::Started`) and speaks `protocol`.
    pub fn started(&mut self, protocol: Protocol) {
        self.protocol = Some(protocol);
    }

    /// Store data of the current file at `offset` (discarded when it is being skipped).
    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), FileError> {
        self.last_write = data.len();
        self.decline_resume_below(offset)?;
        match self.current.as_mut().and_then(|c| c.sink.as_mut()) {
            Some(sink) => sink.write_at(offset, data),
            None => Ok(()),
        }
    }

    /// The file being resumed gets bytes below the part's length (`offset`), or ends holding
    /// fewer: the resume did not happen (the sender's file differs, or the protocol cannot
    /// resume), and the data comes from the start. `NAME.part` is left exactly as it was,
    /// and the file is received into a new temporary file.
    fn decline_resume_below(&mut self, offset: u64) -> Result<(), FileError> {
        let Some(current) = &mut self.current else {
            return Ok(());
        };
        if current.resumed_from.is_none_or(|from| offset >= from) {
            return Ok(());
        }
        current.resumed_from = None;
        if let Some(sink) = current.sink.take() {
            let path = sink.path().to_path_buf();
            if let Some(part) = sink.abandon(true) {
                self.notes.push(format!(
                    "kept {} as it was: the file is received from the start",
                    crate::files::names::printable(&part.to_string_lossy())
                ));
            }
            current.sink = Some(Sink::create(&path, self.policy.existing)?);
        }
        Ok(())
    }

    /// The current file is complete, holding `bytes` (the engine's count, `Event::FileEnd`):
    /// move it to its final name, with the sender's time and mode. Returns its name and
    /// length (`None` when it was skipped). A resumed file that ends holding fewer bytes than
    /// its part file was not resumed (the sender's file differs and is shorter, or empty):
    /// the part stays as it was and the file is what arrived.
    pub fn end(&mut self, bytes: u64) -> Result<Option<(PathBuf, u64)>, FileError> {
        self.decline_resume_below(bytes)?;
        let Some(Current {
            sink: Some(sink),
            info,
            resumed_from,
        }) = self.current.take()
        else {
            return Ok(None);
        };
        let padding = self.protocol.and_then(Protocol::padding);
        let finish = Finish {
            strip_padding: padding
                .filter(|_| self.policy.strip_padding)
                .map(|byte| Padding {
                    byte,
                    within: self.last_write,
                }),
            mtime: info.mtime,
            mode: info.mode,
        };
        let done = sink.commit(&finish)?;
        self.notes.extend(done.notes);
        if let Some(announced) = info.size.filter(|&size| done.len > size) {
            // Kept: a file may grow while it is sent, and ZMODEM has no padding, so every
            // byte is the file's. But the user was promised another length.
            self.notes.push(format!(
                "{}: {} bytes received, {announced} announced",
                String::from_utf8_lossy(&info.name),
                done.len
            ));
        }
        self.received.push((done.path.clone(), done.len));
        self.already_there += resumed_from.unwrap_or(0);
        Ok(Some((done.path, done.len)))
    }

    /// Notes for the user since the last call (a sender's time that could not be set, a
    /// partial file kept under another name, more data than the sender announced), oldest
    /// first.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// The files committed so far, with their lengths.
    pub fn received(&self) -> &[(PathBuf, u64)] {
        &self.received
    }

    /// How many bytes of the files committed so far were already there, in the `NAME.part`
    /// files a resume continued: the rest crossed the line.
    pub fn already_there(&self) -> u64 {
        self.already_there
    }

    /// The session failed: keep the partial file as `NAME.part` or delete it, as
    /// [`ReceivePolicy::keep_partial`] says for the protocol spoken. Returns every file that
    /// held data, or was kept, and what became of it.
    pub fn abandon(&mut self) -> Vec<Abandoned> {
        let zmodem = self.protocol == Some(Protocol::Zmodem);
        let sinks = self
            .current
            .take()
            .and_then(|c| c.sink)
            .into_iter()
            .chain(self.fixed.take());
        sinks
            .filter_map(|sink| {
                let (path, bytes) = (sink.path().to_path_buf(), sink.written());
                let keep = match self.policy.keep_partial {
                    KeepPartial::Never => false,
                    // An empty part is nothing to continue: no clutter.
                    KeepPartial::Zmodem => zmodem && bytes > 0,
                    KeepPartial::Always => true,
                };
                let kept = sink.abandon(keep);
                (bytes > 0 || kept.is_some()).then_some(Abandoned {
                    path,
                    bytes,
                    kept,
                    resumable: zmodem,
                })
            })
            .collect()
    }
}

/// The length of `PATH.part` when it can be continued: it exists, is a regular file, and is
/// no longer than the sender's file (a longer one is not this file's beginning; it is left
/// alone and the file is received from 0 under the usual rules).
fn resumable(path: &Path, size: Option<u64>) -> Option<u64> {
    let mut part = path.to_path_buf().into_os_string();
    part.push(".part");
    let meta = std::fs::symlink_metadata(Path::new(&part)).ok()?;
    let len = meta.len();
    (meta.is_file() && len > 0 && size.is_some_and(|s| len <= s)).then_some(len)
}

/// The CRC-32 of the first `len` bytes of `path`, read in 64 KiB pieces.
fn crc32_of(path: &Path, len: u64) -> io::Result<u32> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?.take(len);
    let mut buf = vec![0; 64 * 1024];
    let mut crc = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(crc);
        }
        crc = crate::proto::crc::crc32_continue(crc, &buf[..n]);
    }
}

/// A batch (`why`) refused for `path`, which names one file.
fn one_file_only(path: &Path, why: &str) -> FileError {
    let mut dir = path.as_os_str().to_owned();
    dir.push("/");
    refused(
        path,
        &format!(
            "{why}, but this path names one file (write {} to receive a batch into a directory)",
            Path::new(&dir).display()
        ),
    )
}

fn refused(path: &Path, why: &str) -> FileError {
    FileError::Io {
        op: "cannot receive into",
        path: path.to_path_buf(),
        error: io::Error::new(io::ErrorKind::InvalidInput, why.to_owned()),
    }
}

/// Make sure files can be created in `dir` (creating it first if `create`).
fn prepare_dir(dir: &Path, create: bool) -> Result<(), FileError> {
    let err = |e: io::Error| FileError::Io {
        op: "cannot receive into",
        path: dir.to_path_buf(),
        error: e,
    };
    match dir.metadata() {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "it is not a directory",
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut hint = dir.as_os_str().to_owned();
            hint.push("/");
            return Err(err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "no such directory (write {} to create it)",
                    Path::new(&hint).display()
                ),
            )));
        }
        Err(e) => return Err(err(e)),
    }
    // Creating a file is the only reliable test (permissions, ACLs, read-only mounts).
    tempfile::Builder::new()
        .prefix(".xyzmodem-probe.")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| FileError::Io {
            op: "cannot create files in",
            path: dir.to_path_buf(),
            // The system's error, without tempfile's note of the random name it tried.
            error: super::without_temp_path(e),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &[u8], size: Option<u64>) -> FileInfo {
        FileInfo {
            name: name.to_vec(),
            size,
            ..FileInfo::default()
        }
    }

    fn into(dir: &Path) -> Target {
        Target::Dir {
            dir: dir.to_path_buf(),
            create: false,
            xmodem_name: None,
        }
    }

    #[test]
    fn a_batch_lands_under_safe_names() {
        let tmp = tempfile::tempdir().unwrap();
        let mut rx = ReceiveFiles::new(into(tmp.path()), ReceivePolicy::default()).unwrap();
        let opened = rx.start(&info(b"../../etc/x", Some(3))).unwrap();
        assert_eq!(
            opened,
            Opened::Storing {
                path: tmp.path().join("x"),
                renamed: Some(("../../etc/x".into(), "x".into()))
            }
        );
        rx.write(0, b"abc").unwrap();
        assert_eq!(rx.end(3).unwrap(), Some((tmp.path().join("x"), 3)));
        assert_eq!(std::fs::read(tmp.path().join("x")).unwrap(), b"abc");
        assert_eq!(rx.received().len(), 1);
    }

    #[test]
    fn existing_files_are_refused_skipped_or_renamed() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a"), b"old").unwrap();
        let with = |existing| ReceivePolicy {
            existing,
            ..ReceivePolicy::default()
        };
        let mut rx = ReceiveFiles::new(into(tmp.path()), with(Existing::Refuse)).unwrap();
        assert!(matches!(
            rx.start(&info(b"a", Some(1))),
            Err(FileError::Exists(_))
        ));
        let mut rx = ReceiveFiles::new(into(tmp.path()), with(Existing::Skip)).unwrap();
        assert!(matches!(
            rx.start(&info(b"a", Some(1))).unwrap(),
            Opened::Skipping { .. }
        ));
        rx.write(0, b"n").unwrap();
        assert_eq!(rx.end(1).unwrap(), None);
        let mut rx = ReceiveFiles::new(into(tmp.path()), with(Existing::Rename)).unwrap();
        rx.start(&info(b"a", Some(1))).unwrap();
        rx.write(0, b"n").unwrap();
        assert_eq!(rx.end(1).unwrap(), Some((tmp.path().join("a.1"), 1)));
        assert_eq!(std::fs::read(tmp.path().join("a")).unwrap(), b"old");
    }

    #[test]
    fn xmodem_data_needs_a_name_and_may_lose_its_padding() {
        let tmp = tempfile::tempdir().unwrap();
        let mut rx = ReceiveFiles::new(into(tmp.path()), ReceivePolicy::default()).unwrap();
        assert!(matches!(
            rx.start(&info(b"", None)),
            Err(FileError::NoXmodemName { .. })
        ));
        let target = Target::Dir {
            dir: tmp.path().to_path_buf(),
            create: false,
            xmodem_name: Some("x.bin".into()),
        };
        let policy = ReceivePolicy {
            strip_padding: true,
            ..ReceivePolicy::default()
        };
        let mut rx = ReceiveFiles::new(target, policy).unwrap();
        rx.started(Protocol::Xmodem);
        rx.start(&info(b"", None)).unwrap();
        rx.write(0, &[0x1A; 128]).unwrap();
        let mut last = b"end".to_vec();
        last.resize(128, 0x1A);
        rx.write(128, &last).unwrap();
        assert_eq!(rx.end(256).unwrap(), Some((tmp.path().join("x.bin"), 131)));
    }

    #[test]
    fn a_named_file_is_opened_up_front_and_kept_partial_on_failure() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        std::fs::write(&out, b"old").unwrap();
        let keep = ReceivePolicy {
            keep_partial: KeepPartial::Always,
            ..ReceivePolicy::default()
        };
        assert!(matches!(
            ReceiveFiles::new(Target::File(out.clone()), keep),
            Err(FileError::Exists(_))
        ));
        std::fs::remove_file(&out).unwrap();
        let mut rx = ReceiveFiles::new(Target::File(out.clone()), keep).unwrap();
        assert_eq!(rx.fixed_path(), Some(out.as_path()));
        rx.start(&info(b"ignored", Some(10))).unwrap();
        rx.write(0, b"half").unwrap();
        let mut part = out.clone().into_os_string();
        part.push(".part");
        assert_eq!(
            rx.abandon(),
            [Abandoned {
                path: out,
                bytes: 4,
                kept: Some(PathBuf::from(part)),
                resumable: false
            }]
        );
    }

    /// By default a failed ZMODEM file is kept as `NAME.part` (the next `--resume` continues
    /// it), an empty one is not, and X/YMODEM's are deleted; `Never` deletes ZMODEM's too.
    #[test]
    fn by_default_only_zmodem_keeps_partial_files() {
        let tmp = tempfile::tempdir().unwrap();
        let part = tmp.path().join("a.part");
        let run = |protocol, keep_partial, data: &[u8]| {
            let policy = ReceivePolicy {
                keep_partial,
                ..ReceivePolicy::default()
            };
            let mut rx = ReceiveFiles::new(into(tmp.path()), policy).unwrap();
            rx.started(protocol);
            rx.start(&info(b"a", Some(10))).unwrap();
            rx.write(0, data).unwrap();
            let abandoned = rx.abandon();
            let kept = std::fs::read(&part).ok();
            let _ = std::fs::remove_file(&part);
            (abandoned, kept)
        };
        let (abandoned, kept) = run(Protocol::Zmodem, KeepPartial::default(), b"half");
        assert_eq!(kept.as_deref(), Some(&b"half"[..]));
        assert_eq!(
            abandoned,
            [Abandoned {
                path: tmp.path().join("a"),
                bytes: 4,
                kept: Some(part.clone()),
                resumable: true
            }]
        );
        let (abandoned, kept) = run(Protocol::Zmodem, KeepPartial::default(), b"");
        assert_eq!((abandoned.len(), kept), (0, None));
        for protocol in [Protocol::Ymodem, Protocol::Xmodem] {
            let (abandoned, kept) = run(protocol, KeepPartial::default(), b"half");
            assert_eq!(kept, None);
            assert_eq!(abandoned[0].kept, None);
            assert_eq!((abandoned[0].bytes, abandoned[0].resumable), (4, false));
        }
        let (abandoned, kept) = run(Protocol::Zmodem, KeepPartial::Never, b"half");
        assert_eq!((abandoned[0].kept.clone(), kept), (None, None));
        let (_, kept) = run(Protocol::Ymodem, KeepPartial::Always, b"half");
        assert_eq!(kept.as_deref(), Some(&b"half"[..]));
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    /// Found by the `receive_path` fuzz body: with an output file named, the further files
    /// of a batch went to the working directory. They then went beside the named file: places
    /// the user did not name either (`recv newdir` stored a batch's first file as the file
    /// `newdir`, the second as `./b.bin`). Now a batch into a named file is refused: at its
    /// first header when that announces it, else at its second file (the first stays).
    #[test]
    fn a_batch_into_a_named_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("newdir");
        let batch = FileInfo {
            files_left: Some(2),
            bytes_left: Some(2),
            ..info(b"a.bin", Some(1))
        };
        let mut rx =
            ReceiveFiles::new(Target::File(out.clone()), ReceivePolicy::default()).unwrap();
        let e = rx.start(&batch).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "cannot receive into {}: the sender announces 2 files, but this path names one \
                 file (write {}/ to receive a batch into a directory)",
                out.display(),
                out.display()
            )
        );
        assert_eq!(rx.abandon(), []);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
        // One file announced (or no count at all), then a second one.
        let mut rx =
            ReceiveFiles::new(Target::File(out.clone()), ReceivePolicy::default()).unwrap();
        rx.start(&info(b"a.bin", Some(1))).unwrap();
        rx.write(0, b"1").unwrap();
        assert_eq!(rx.end(1).unwrap(), Some((out.clone(), 1)));
        let e = rx.start(&info(b"b.bin", Some(1))).unwrap_err().to_string();
        assert!(
            e.ends_with(&format!(
                ": a second file (b.bin) came, but this path names one file (write {}/ to \
                 receive a batch into a directory)",
                out.display()
            )),
            "{e}"
        );
        assert_eq!(rx.abandon(), []);
        assert_eq!(std::fs::read(&out).unwrap(), b"1");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    /// Finding R6 (docs/FUZZING.md): a resume the sender declines (ZMODEM: its `ZCRC`
    /// differs) for a file that then ends at once (`ZEOF` at 0) committed the part file as
    /// the file, with bytes the sender never sent, and the user's part was gone. An end
    /// below the part's length declines the resume as data from there does.
    #[test]
    fn a_resumed_file_ending_below_its_part_is_what_arrived() {
        let tmp = tempfile::tempdir().unwrap();
        let part = tmp.path().join("a.part");
        std::fs::write(&part, b"kept bytes").unwrap();
        let policy = ReceivePolicy {
            resume: true,
            ..ReceivePolicy::default()
        };
        let mut rx = ReceiveFiles::new(into(tmp.path()), policy).unwrap();
        let opened = rx.start(&info(b"a", Some(20))).unwrap();
        assert!(
            matches!(opened, Opened::Resuming { from: 10, .. }),
            "{opened:?}"
        );
        assert_eq!(rx.end(0).unwrap(), Some((tmp.path().join("a"), 0)));
        assert_eq!(std::fs::read(tmp.path().join("a")).unwrap(), b"");
        assert_eq!(std::fs::read(&part).unwrap(), b"kept bytes");
        assert_eq!(
            rx.already_there(),
            0,
            "declined: every byte crossed the line"
        );
        // Resumed and ended at the part's length: the part is the file.
        let mut rx = ReceiveFiles::new(into(tmp.path()), policy).unwrap();
        std::fs::remove_file(tmp.path().join("a")).unwrap();
        rx.start(&info(b"a", Some(20))).unwrap();
        assert_eq!(rx.end(10).unwrap(), Some((tmp.path().join("a"), 10)));
        assert_eq!(std::fs::read(tmp.path().join("a")).unwrap(), b"kept bytes");
        assert!(!part.exists());
        assert_eq!(rx.already_there(), 10);
    }

    /// A sender may announce 100 bytes and send 4 MiB (a file that grew while it was sent,
    /// or a hostile one): every byte is kept, and one note says so.
    #[test]
    fn data_beyond_the_announced_size_is_kept_with_a_note() {
        let tmp = tempfile::tempdir().unwrap();
        let mut rx = ReceiveFiles::new(into(tmp.path()), ReceivePolicy::default()).unwrap();
        rx.started(Protocol::Zmodem);
        rx.start(&info(b"f.bin", Some(100))).unwrap();
        let data = vec![7u8; 4 << 20];
        for (k, piece) in data.chunks(1024).enumerate() {
            rx.write(k as u64 * 1024, piece).unwrap();
        }
        assert_eq!(
            rx.end(4 << 20).unwrap(),
            Some((tmp.path().join("f.bin"), 4 << 20))
        );
        assert_eq!(
            rx.take_notes(),
            ["f.bin: 4194304 bytes received, 100 announced"]
        );
        assert_eq!(std::fs::read(tmp.path().join("f.bin")).unwrap(), data);
        // The announced length exactly: nothing to say.
        rx.start(&info(b"g.bin", Some(3))).unwrap();
        rx.write(0, b"abc").unwrap();
        rx.end(3).unwrap();
        assert!(rx.take_notes().is_empty());
    }

    #[test]
    fn the_directory_is_checked_or_created_up_front() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let dir = |dir: PathBuf, create| Target::Dir {
            dir,
            create,
            xmodem_name: None,
        };
        let p = ReceivePolicy::default();
        let e = ReceiveFiles::new(dir(tmp.path().join("missing"), false), p).unwrap_err();
        assert!(e.to_string().contains("missing/ to create it"), "{e}");
        let e = ReceiveFiles::new(dir(file.clone(), true), p).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        // A parent that is a file: refused whoever we are (root included).
        assert!(ReceiveFiles::new(dir(file.join("sub"), true), p).is_err());
        // No file can be created in /proc, even by root: the message names the directory,
        // never the probe's temporary name (issue 9, item 14).
        if Path::new("/proc/self").is_dir() {
            let e = ReceiveFiles::new(dir("/proc".into(), false), p).unwrap_err();
            let e = e.to_string();
            assert!(e.starts_with("cannot create files in /proc: "), "{e}");
            assert!(
                !e.contains("xyzmodem-probe") && !e.contains("at path"),
                "{e}"
            );
        }
        ReceiveFiles::new(dir(tmp.path().join("new/sub"), true), p).unwrap();
        assert!(tmp.path().join("new/sub").is_dir());
        // The probe file is gone.
        assert_eq!(
            std::fs::read_dir(tmp.path().join("new/sub"))
                .unwrap()
                .count(),
            0
        );
    }
}
