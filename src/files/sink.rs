//! A file being received: [`Sink`], written to a temporary file and committed under its
//! name.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::{BUF_SIZE, FileError, without_temp_path};

/// What to do when the output file already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Existing {
    /// Fail before anything is received (the default).
    #[default]
    Refuse,
    /// Replace it, atomically, once the new file is complete.
    Overwrite,
    /// Keep both: the new file gets the first free name of `NAME.1` ... `NAME.999`.
    Rename,
    /// Keep the existing file and discard the new one (a batch goes on with the next file).
    /// [`ReceiveFiles`](super::ReceiveFiles) checks for it before it opens a [`Sink`]; to a [`Sink`] it means
    /// [`Refuse`](Self::Refuse).
    Skip,
}

/// Padding a protocol added to the end of a file (XMODEM fills its last block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padding {
    /// The padding byte (XMODEM: 0x1A).
    pub byte: u8,
    /// How many of the file's last bytes may be padding (the last block's size).
    pub within: usize,
}

/// What to do when a received file is complete.
#[derive(Debug, Clone, Copy, Default)]
pub struct Finish {
    /// Drop a trailing run of padding bytes found within the file's last bytes.
    pub strip_padding: Option<Padding>,
    /// Set the modification time (seconds since the Unix epoch).
    pub mtime: Option<u64>,
    /// Apply these permission bits (only `0o777`: never setuid, setgid or sticky; the umask
    /// applies), always with read and write for the owner (`0o600`).
    pub mode: Option<u32>,
}

/// The process umask, read once (reading it means setting it, so it is done only once).
fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
        rustix::process::umask(old);
        old.bits()
    })
}

/// A [`Sink`] that has had this much more data since its last flush to disk starts another
/// in the background, so that the flush at [`Sink::commit`] has little left to do: the disk
/// works while the transfer goes on. (Linux starts writing a new file's data back on its own
/// only after seconds or gigabytes; a 100 MiB file's flush at the end took 30 to 40 ms on
/// the machine of docs/BENCHMARKS.md.)
const FLUSH_BEHIND: u64 = 16 << 20;

/// A file being received: data goes to a temporary file beside the target,
/// which becomes the target only through [`commit`](Self::commit).
#[derive(Debug)]
pub struct Sink {
    writer: BufWriter<NamedTempFile>,
    path: PathBuf,
    existing: Existing,
    written: u64,
    /// `written` when the last background flush began ([`FLUSH_BEHIND`]).
    flushed: u64,
    /// The background flush, if one was started and not yet joined.
    flushing: Option<std::thread::JoinHandle<io::Result<()>>>,
    /// The kept `NAME.part` this sink continues (see [`continue_part`](Self::continue_part)).
    continued: Option<PathBuf>,
}

impl Sink {
    /// Prepare to receive into `path`. Fails at once if `path` exists and
    /// `existing` is [`Existing::Refuse`], so nothing is transferred in vain.
    /// A directory is refused whatever `existing` says: no file can replace it.
    pub fn create(path: &Path, existing: Existing) -> Result<Self, FileError> {
        if path.is_dir() {
            return Err(FileError::Io {
                op: "cannot receive into",
                path: path.to_path_buf(),
                error: io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a directory, not a file (name a file inside it)",
                ),
            });
        }
        if matches!(existing, Existing::Refuse | Existing::Skip) && path.symlink_metadata().is_ok()
        {
            return Err(FileError::Exists(path.to_path_buf()));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // The temporary name carries (at most 100 characters of) the final one, so that it
        // stays within the file system's 255-byte limit whatever the final name's length.
        let name: String = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .chars()
            .take(100)
            .collect();
        // Created with mode 0666 less the umask, like any new file, rather
        // than tempfile's private 0600.
        #[cfg(unix)]
        let perms = {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o666)
        };
        let tmp = tempfile::Builder::new()
            .permissions(perms)
            .prefix(&format!(".{name}."))
            .suffix(".xyzpart")
            .tempfile_in(dir)
            .map_err(FileError::io("cannot create", path))?;
        Ok(Self {
            writer: BufWriter::with_capacity(BUF_SIZE, tmp),
            path: path.to_path_buf(),
            existing,
            written: 0,
            flushed: 0,
            flushing: None,
            continued: None,
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Continue a partial file kept from an earlier attempt (`NAME.part`) whose first
    /// `verified` bytes are known to be good: anything after them is cut off, the next write
    /// goes at `verified`, and [`commit`](Self::commit) moves it to `path` as [`create`]
    /// would. [`abandon`](Self::abandon) keeps it as `part` again, or deletes it.
    ///
    /// [`create`]: Self::create
    pub fn continue_part(
        path: &Path,
        existing: Existing,
        part: &Path,
        verified: u64,
    ) -> Result<Self, FileError> {
        if existing == Existing::Refuse && path.symlink_metadata().is_ok() {
            return Err(FileError::Exists(path.to_path_buf()));
        }
        let err = FileError::io("cannot continue", part);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(part)
            .map_err(FileError::io("cannot continue", part))?;
        let len = file
            .metadata()
            .map_err(FileError::io("cannot continue", part))?
            .len();
        if verified > len {
            return Err(err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("it has {len} bytes, fewer than the {verified} to keep"),
            )));
        }
        file.set_len(verified)
            .map_err(FileError::io("cannot continue", part))?;
        let kept = tempfile::TempPath::try_from_path(part)
            .map_err(FileError::io("cannot continue", part))?;
        let tmp = NamedTempFile::from_parts(file, kept);
        let mut writer = BufWriter::with_capacity(BUF_SIZE, tmp);
        writer
            .seek(SeekFrom::Start(verified))
            .map_err(FileError::io("cannot continue", part))?;
        Ok(Self {
            writer,
            path: path.to_path_buf(),
            existing,
            written: verified,
            flushed: verified,
            flushing: None,
            continued: Some(part.to_path_buf()),
        })
    }

    /// Append `data` where the last write ended.
    pub fn write(&mut self, data: &[u8]) -> Result<(), FileError> {
        self.write_at(self.written, data)
    }

    /// Write `data` at `offset`. Writing where the last write ended appends (the fast,
    /// usual case); an earlier offset cuts the file there first, so data after a rewind is
    /// never left stale; a later one would leave a hole and is refused.
    pub fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), FileError> {
        if offset != self.written {
            if offset > self.written {
                return Err(FileError::io("writing", &self.path)(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("data for offset {offset} after {} bytes", self.written),
                )));
            }
            self.writer
                .flush()
                .map_err(FileError::io("writing", &self.path))?;
            let file = self.writer.get_mut().as_file_mut();
            file.set_len(offset)
                .map_err(FileError::io("writing", &self.path))?;
            self.writer
                .seek(SeekFrom::Start(offset))
                .map_err(FileError::io("writing", &self.path))?;
            self.written = offset;
        }
        self.writer
            .write_all(data)
            .map_err(FileError::io("writing", &self.path))?;
        self.written += data.len() as u64;
        self.flush_behind()
    }

    /// Start flushing what was written to disk in the background once [`FLUSH_BEHIND`]
    /// more bytes came, unless the last flush is still running. A flush that fails makes a
    /// later write (or the commit) fail.
    fn flush_behind(&mut self) -> Result<(), FileError> {
        if self.written < self.flushed.saturating_add(FLUSH_BEHIND)
            || self.flushing.as_ref().is_some_and(|f| !f.is_finished())
        {
            return Ok(());
        }
        self.join_flush()?;
        self.flushed = self.written;
        // Best effort: with no second handle or no thread, the flush at the commit does it all.
        let Ok(file) = self.writer.get_ref().as_file().try_clone() else {
            return Ok(());
        };
        self.flushing = std::thread::Builder::new()
            .name("flush".into())
            .spawn(move || file.sync_data())
            .ok();
        Ok(())
    }

    /// Wait for the background flush, if any; its error, if it failed.
    fn join_flush(&mut self) -> Result<(), FileError> {
        let Some(flush) = self.flushing.take() else {
            return Ok(());
        };
        flush
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the flush to disk failed")))
            .map_err(FileError::io("writing", &self.path))
    }

    fn into_temp(mut self) -> Result<(NamedTempFile, PathBuf), FileError> {
        self.join_flush()?;
        let path = self.path;
        let tmp = self
            .writer
            .into_inner()
            .map_err(|e| FileError::io("writing", &path)(e.into_error()))?;
        Ok((tmp, path))
    }

    /// Finish: apply `finish` (padding, mtime, mode), flush to disk and move the file to its
    /// final name. Returns the name used (it differs with [`Existing::Rename`]), the length,
    /// and notes for the user: a time that cannot be set is one (the file keeps the current
    /// time), not an error.
    pub fn commit(self, finish: &Finish) -> Result<Committed, FileError> {
        let existing = self.existing;
        let (mut tmp, path) = self.into_temp()?;
        let err = |op| FileError::io(op, &path);
        let mut len = tmp.as_file().metadata().map_err(err("writing"))?.len();
        if let Some(padding) = finish.strip_padding {
            len = strip_padding(tmp.as_file_mut(), len, padding).map_err(err("writing"))?;
        }
        if let Some(mode) = finish.mode {
            use std::os::unix::fs::PermissionsExt;
            // The owner can always read and write what was received: `sz` sends mode
            // 100000 for a `chmod 000` file, which would lock the user out of their copy.
            let bits = (mode & 0o777 & !umask()) | 0o600;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(bits))
                .map_err(err("cannot set the mode of"))?;
        }
        let mut notes = Vec::new();
        if let Some(mtime) = finish.mtime {
            // Any u64 may come here (a caller's own Finish): checked, never a panic.
            let set = std::time::UNIX_EPOCH
                .checked_add(std::time::Duration::from_secs(mtime))
                .ok_or_else(|| io::Error::other("no clock reaches it"))
                .and_then(|t| tmp.as_file().set_modified(t));
            if let Err(e) = set {
                notes.push(format!(
                    "{} keeps the current time: the sender's time ({mtime} s after 1970) \
                     cannot be set: {}",
                    path.display(),
                    without_temp_path(e)
                ));
            }
        }
        tmp.as_file().sync_all().map_err(err("writing"))?;
        let mut target = path.clone();
        let mut next = 1;
        loop {
            let result = match existing {
                Existing::Refuse | Existing::Rename | Existing::Skip => {
                    tmp.persist_noclobber(&target)
                }
                Existing::Overwrite => tmp.persist(&target),
            };
            match result {
                Ok(_) => {
                    return Ok(Committed {
                        path: target,
                        len,
                        notes,
                    });
                }
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                    if existing != Existing::Rename || next > 999 {
                        return Err(FileError::Exists(target));
                    }
                    tmp = e.file;
                    let mut name = path.clone().into_os_string();
                    name.push(format!(".{next}"));
                    target = PathBuf::from(name);
                    next += 1;
                }
                Err(e) => return Err(FileError::io("cannot create", &target)(e.error)),
            }
        }
    }

    /// Give up. With `keep_partial`, what arrived is kept as `NAME.part` (returned), or, when
    /// a file of that name exists, as the first free name of `NAME.part.1` ... `NAME.part.999`:
    /// a file the user owns is never replaced. A continued `NAME.part` stays where it is,
    /// with or without `keep_partial`. Otherwise it is deleted.
    pub fn abandon(self, keep_partial: bool) -> Option<PathBuf> {
        let continued = self.continued.clone();
        let (mut tmp, path) = self.into_temp().ok()?;
        if let Some(continued) = continued {
            // A kept part file the user asked to continue: it stays, whatever happened.
            return tmp.keep().ok().map(|_| continued);
        }
        if !keep_partial {
            return None;
        }
        let mut part = path.into_os_string();
        part.push(".part");
        let first = PathBuf::from(part);
        let mut target = first.clone();
        for next in 1..=1000 {
            match tmp.persist_noclobber(&target) {
                Ok(_) => return Some(target),
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists && next < 1000 => {
                    tmp = e.file;
                    let mut name = first.clone().into_os_string();
                    name.push(format!(".{next}"));
                    target = PathBuf::from(name);
                }
                Err(_) => return None,
            }
        }
        None
    }
}

/// A received file in its place: see [`Sink::commit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The name used.
    pub path: PathBuf,
    /// Its length.
    pub len: u64,
    /// What the user should know (e.g. the sender's time could not be set).
    pub notes: Vec<String>,
}

/// Truncate a trailing run of padding bytes inside the last `padding.within` bytes.
fn strip_padding(file: &mut File, len: u64, padding: Padding) -> io::Result<u64> {
    let tail = (padding.within as u64).min(len);
    let start = len - tail;
    let mut buf = vec![0; tail as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut buf)?;
    let keep = buf
        .iter()
        .rposition(|&b| b != padding.byte)
        .map_or(0, |i| i + 1);
    let new_len = start + keep as u64;
    file.set_len(new_len)?;
    Ok(new_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_refuses_existing_and_overwrites_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.bin");
        std::fs::write(&p, b"old").unwrap();
        assert!(matches!(
            Sink::create(&p, Existing::Refuse),
            Err(FileError::Exists(_))
        ));
        let mut s = Sink::create(&p, Existing::Overwrite).unwrap();
        s.write(b"new").unwrap();
        // Nothing under the final name changes until the commit.
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        s.commit(&Finish::default()).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        // Mode follows the umask, not tempfile's 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            let umask = rustix::process::umask(rustix::fs::Mode::empty());
            rustix::process::umask(umask);
            assert_eq!(mode, 0o666 & !umask.bits());
        }
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// A file of more than two [`FLUSH_BEHIND`]s starts background flushes while it is
    /// written, with a rewind among them (the cut must hold against a flush of the old
    /// tail), and arrives byte-exact.
    #[test]
    fn a_large_file_flushes_behind_and_arrives_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.bin");
        let piece: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let pieces = (2 * FLUSH_BEHIND as usize + (1 << 20)) / piece.len();
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        let mut started = 0;
        for k in 0..pieces {
            let before = s.flushed;
            s.write(&piece).unwrap();
            started += usize::from(s.flushed != before);
            if k == pieces / 2 {
                // Go back one piece and write it again, as after a ZRPOS.
                s.write_at(s.written - piece.len() as u64, &piece).unwrap();
            }
        }
        assert!(started >= 1, "no background flush began");
        s.commit(&Finish::default()).unwrap();
        let got = std::fs::read(&p).unwrap();
        assert_eq!(got.len(), pieces * piece.len());
        assert!(got.chunks(piece.len()).all(|c| c == &piece[..]));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_directory_is_never_a_sink() {
        let dir = tempfile::tempdir().unwrap();
        for existing in [Existing::Refuse, Existing::Overwrite, Existing::Rename] {
            let e = Sink::create(dir.path(), existing).unwrap_err();
            assert!(e.to_string().contains("is a directory"), "{e}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// `sz` sends mode 100000 for a `chmod 000` file: the copy must stay usable by its owner
    /// (checked on the bits, as root reads any file), and other bits still follow the umask.
    #[test]
    fn a_received_file_is_always_readable_and_writable_by_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for (i, (mode, want)) in [
            (0o100_000, 0o600),
            (0o100_444, 0o644 & !umask()),
            (0o100_640, 0o640 & !umask()),
        ]
        .into_iter()
        .enumerate()
        {
            let p = dir.path().join(format!("f{i}"));
            let mut s = Sink::create(&p, Existing::Refuse).unwrap();
            s.write(b"x").unwrap();
            s.commit(&Finish {
                mode: Some(mode),
                ..Finish::default()
            })
            .unwrap();
            let got = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
            assert_eq!(got, want, "mode {mode:o} gave {got:o}, want {want:o}");
        }
    }

    #[test]
    fn names_up_to_255_bytes_work() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("n".repeat(255));
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        s.write(b"x").unwrap();
        s.commit(&Finish::default()).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"x");
    }

    #[test]
    fn commit_loses_a_race_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.bin");
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        s.write(b"mine").unwrap();
        std::fs::write(&p, b"theirs").unwrap();
        assert!(matches!(
            s.commit(&Finish::default()),
            Err(FileError::Exists(_))
        ));
        assert_eq!(std::fs::read(&p).unwrap(), b"theirs");
    }

    #[test]
    fn rename_keeps_both_and_metadata_is_applied() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"old").unwrap();
        std::fs::write(dir.path().join("f.1"), b"old too").unwrap();
        let mut s = Sink::create(&p, Existing::Rename).unwrap();
        s.write(b"new").unwrap();
        let finish = Finish {
            mtime: Some(1_000_000_000),
            mode: Some(0o104_755), // setuid must not survive
            ..Finish::default()
        };
        let name = s.commit(&finish).unwrap().path;
        assert_eq!(name, dir.path().join("f.2"));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        let meta = std::fs::metadata(&name).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o755 & !umask());
        let mtime = meta.modified().unwrap();
        assert_eq!(
            mtime
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            1_000_000_000
        );
    }

    #[test]
    fn abandon_deletes_or_keeps_part() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        s.write(b"half").unwrap();
        assert_eq!(s.abandon(false), None);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        s.write(b"half").unwrap();
        let part = s.abandon(true).unwrap();
        assert_eq!(part, dir.path().join("x.part"));
        assert_eq!(std::fs::read(part).unwrap(), b"half");
        assert!(!p.exists());
    }

    /// Issue 9, item 1: a time no clock can hold (here 2^64 - 1 s) panicked in `commit`
    /// (`overflow when adding duration to instant`); now the file keeps the current time and
    /// the caller gets a note.
    #[test]
    fn an_unusable_mtime_is_a_note_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        for mtime in [u64::MAX, 1 << 63] {
            let _ = std::fs::remove_file(&p);
            let before = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
            let mut s = Sink::create(&p, Existing::Refuse).unwrap();
            s.write(b"data").unwrap();
            let finish = Finish {
                mtime: Some(mtime),
                ..Finish::default()
            };
            let done = s.commit(&finish).unwrap();
            assert_eq!((done.path.as_path(), done.len), (p.as_path(), 4));
            assert_eq!(done.notes.len(), 1, "{:?}", done.notes);
            assert!(
                done.notes[0].contains("keeps the current time"),
                "{:?}",
                done.notes
            );
            assert!(std::fs::metadata(&p).unwrap().modified().unwrap() > before);
        }
    }

    /// Issue 9, item 2: `--keep-partial` replaced an existing `NAME.part`; now the first free
    /// name of `NAME.part.1` ... is used and the user's file is untouched.
    #[test]
    fn abandon_never_replaces_an_existing_part_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("notes.txt");
        let part = dir.path().join("notes.txt.part");
        std::fs::write(&part, b"PRECIOUS").unwrap();
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        s.write(b"half").unwrap();
        assert_eq!(s.abandon(true), Some(dir.path().join("notes.txt.part.1")));
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        s.write(b"other half").unwrap();
        assert_eq!(s.abandon(true), Some(dir.path().join("notes.txt.part.2")));
        assert_eq!(std::fs::read(&part).unwrap(), b"PRECIOUS");
        assert_eq!(
            std::fs::read(dir.path().join("notes.txt.part.1")).unwrap(),
            b"half"
        );
        assert_eq!(
            std::fs::read(dir.path().join("notes.txt.part.2")).unwrap(),
            b"other half"
        );
        assert!(!p.exists());
    }

    /// Issue 9, item 14: errors named tempfile's temporary file
    /// (`.fresh.bin.aw6aXX.xyzpart`); they name the user's target.
    #[test]
    fn errors_name_the_target_not_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, b"").unwrap();
        let target = file.join("fresh.bin");
        let e = Sink::create(&target, Existing::Refuse)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("xyzpart"), "{e}");
        assert!(e.contains(&target.display().to_string()), "{e}");
        // tempfile's note is cut from any error that carries it.
        let wrapped = io::Error::new(
            io::ErrorKind::StorageFull,
            "No space left on device (os error 28) at path \"/d/.fresh.bin.aw6aXX.xyzpart\"",
        );
        let plain = without_temp_path(wrapped);
        assert_eq!(plain.to_string(), "No space left on device (os error 28)");
        assert_eq!(plain.kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn strip_padding_only_in_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        let mut data = vec![0x1A; 128]; // a whole block of 0x1A first: kept
        data.extend_from_slice(b"end");
        data.resize(256, 0x1A);
        s.write(&data).unwrap();
        let finish = Finish {
            strip_padding: Some(Padding {
                byte: 0x1A,
                within: 128,
            }),
            ..Finish::default()
        };
        assert_eq!(s.commit(&finish).unwrap().len, 131);
        let got = std::fs::read(&p).unwrap();
        assert_eq!(got.len(), 131);
        assert!(got.ends_with(b"end"));
    }

    #[test]
    fn sink_rewinds_by_cutting_and_refuses_holes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        let mut s = Sink::create(&p, Existing::Refuse).unwrap();
        s.write_at(0, b"abcdef").unwrap();
        s.write_at(6, b"ghi").unwrap();
        // Going back to 4 drops "efghi" before writing.
        s.write_at(4, b"XY").unwrap();
        assert_eq!(s.written(), 6);
        assert!(matches!(s.write_at(9, b"z"), Err(FileError::Io { .. })));
        s.commit(&Finish::default()).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"abcdXY");
    }

    #[test]
    fn sink_continues_a_part_file_at_a_verified_length() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        let part = dir.path().join("x.part");
        std::fs::write(&part, b"good bytes, then a stale tail").unwrap();
        let mut s = Sink::continue_part(&p, Existing::Refuse, &part, 10).unwrap();
        assert_eq!(s.written(), 10);
        s.write_at(10, b" and more").unwrap();
        s.commit(&Finish::default()).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"good bytes and more");
        assert!(!part.exists());

        // Abandoned, a continued part file stays where it is, with or without keep-partial
        // (it was the user's before); a length beyond it is refused.
        std::fs::write(&part, b"0123456789").unwrap();
        let mut s =
            Sink::continue_part(&p.with_extension("y"), Existing::Refuse, &part, 4).unwrap();
        s.write(b"ab").unwrap();
        assert_eq!(s.abandon(true), Some(part.clone()));
        assert_eq!(std::fs::read(&part).unwrap(), b"0123ab");
        let mut s =
            Sink::continue_part(&p.with_extension("y"), Existing::Refuse, &part, 6).unwrap();
        s.write(b"cd").unwrap();
        assert_eq!(s.abandon(false), Some(part.clone()));
        assert_eq!(std::fs::read(&part).unwrap(), b"0123abcd");
        assert!(Sink::continue_part(&p.with_extension("z"), Existing::Refuse, &part, 99).is_err());
        // The target exists: refused before the part file is touched.
        assert!(matches!(
            Sink::continue_part(&p, Existing::Refuse, &part, 0),
            Err(FileError::Exists(_))
        ));
    }
}
