//! The driver's [`Handler`]s of the two directions: file data in and out, and the engine's
//! events to the progress display. The file handling itself is the library's
//! ([`SendFiles`], [`ReceiveInto`]); these only add what the user sees.

use std::path::PathBuf;

use xyzmodem::driver::handlers::{ReceiveInto, SendFiles};
use xyzmodem::driver::{Handler, HandlerError};
use xyzmodem::files::{Abandoned, Opened};
use xyzmodem::proto::{Event, FileInfo, FileReply};

use super::progress::{Progress, display_name};

/// Sending: the library's [`SendFiles`] reads the files in order, one per `FileStart`; this
/// shows their progress.
pub struct SendHandler<'a> {
    /// The files, in the order the engine announces them.
    pub files: SendFiles,
    /// Their headers (names for the bars).
    pub infos: &'a [FileInfo],
    /// Where progress goes.
    pub progress: &'a mut Progress,
}

impl Handler for SendHandler<'_> {
    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, HandlerError> {
        self.files.read_file(offset, buf)
    }

    fn file_start(&mut self, info: &FileInfo) -> Result<FileReply, HandlerError> {
        let reply = self.files.file_start(info)?;
        if let Some(i) = self.files.current() {
            let source = &self.files.sources()[i];
            let label = String::from_utf8_lossy(&self.infos[i].name).into_owned();
            let label = if label.is_empty() {
                display_name(source.path())
            } else {
                label
            };
            self.progress.file_start(&label, source.size());
        }
        Ok(reply)
    }

    fn event(&mut self, event: &Event) -> Result<(), HandlerError> {
        self.progress.event(event);
        Ok(())
    }
}

/// Receiving: the library's [`ReceiveInto`] decides and stores; this shows it.
pub struct RecvHandler<'a> {
    /// The files of the session.
    pub files: ReceiveInto,
    /// Where progress and notes go.
    pub progress: &'a mut Progress,
    /// `--delete-partial` was given (the message on a failure says it was asked for).
    pub delete_partial: bool,
    /// Where each file's data is, in the order the files started (`None`: nothing stored).
    pub stored: Vec<Option<PathBuf>>,
}

impl RecvHandler<'_> {
    /// The session failed: keep the partial file (ZMODEM, `--keep-partial`) or delete it, and
    /// say which and how to get the rest.
    pub fn abandon(&mut self) {
        for Abandoned {
            path,
            bytes,
            kept,
            resumable,
        } in self.files.abandon()
        {
            if let (Some(part), Some(last @ None)) = (&kept, self.stored.last_mut()) {
                *last = Some(part.clone());
            }
            let Some(part) = kept else {
                let hint = if self.delete_partial {
                    "as --delete-partial asks".to_owned()
                } else {
                    let mut part = path.clone().into_os_string();
                    part.push(".part");
                    format!(
                        "--keep-partial keeps it as {}",
                        std::path::Path::new(&part).display()
                    )
                };
                self.progress.note(&format!(
                    "deleted the partial data of {} ({bytes} bytes): {hint}",
                    path.display()
                ));
                continue;
            };
            // `NAME.part.N`: `NAME.part` is the user's, and stays as it is; only `NAME.part`
            // is what a resume continues.
            let taken = part
                .extension()
                .is_some_and(|e| e != "part")
                .then(|| part.with_extension(""));
            let next = match &taken {
                Some(p) => format!(" ({} already exists)", p.display()),
                None if resumable => {
                    ": `xyzmodem recv --resume` (or `rz -r`) continues it from there".to_owned()
                }
                None => String::new(),
            };
            self.progress.note(&format!(
                "kept the partial data ({bytes} bytes) as {}{next}",
                part.display()
            ));
        }
        self.notes();
    }

    fn notes(&mut self) {
        for note in self.files.files_mut().take_notes() {
            self.progress.note(&note);
        }
    }

    /// The files received, with their lengths.
    pub fn received(&self) -> Vec<(PathBuf, u64)> {
        self.files.files().received().to_vec()
    }

    /// Bytes of the files received that were already there (resumed `NAME.part` files).
    pub fn already_there(&self) -> u64 {
        self.files.files().already_there()
    }
}

impl Handler for RecvHandler<'_> {
    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), HandlerError> {
        self.files.write_file(offset, data)
    }

    fn file_start(&mut self, info: &FileInfo) -> Result<FileReply, HandlerError> {
        if let (Some(files), Some(bytes)) = (info.files_left, info.bytes_left)
            && files > 1
        {
            let done: u64 = self.files.files().received().iter().map(|(_, n)| n).sum();
            self.progress.set_batch_total(done + bytes);
        }
        self.stored.push(None);
        let reply = self.files.file_start(info)?;
        let Some(opened) = self.files.opened() else {
            return Ok(reply);
        };
        let (Opened::Storing { path, renamed }
        | Opened::Skipping { path, renamed }
        | Opened::Resuming { path, renamed, .. }) = opened;
        if let Some((raw, safe)) = renamed {
            self.progress.note(&format!(
                "storing {raw:?} as {:?}",
                safe.display().to_string()
            ));
        }
        let label = match opened {
            Opened::Storing { .. } => display_name(path),
            Opened::Resuming { from, .. } => {
                self.progress.note(&format!(
                    "resuming {} from its {from} bytes kept as .part",
                    path.display()
                ));
                display_name(path)
            }
            Opened::Skipping { .. } => {
                self.progress
                    .note(&format!("skipping {}: it already exists", path.display()));
                "(skipped)".to_owned()
            }
        };
        self.progress.file_start(&label, info.size);
        Ok(reply)
    }

    fn event(&mut self, event: &Event) -> Result<(), HandlerError> {
        self.progress.event(event);
        match event {
            Event::FileEnd { .. } => {
                let ended = self.files.event(event);
                self.notes();
                ended?;
                if let (Some((path, _)), Some(last)) = (self.files.ended(), self.stored.last_mut())
                {
                    *last = Some(path.clone());
                }
            }
            _ => self.files.event(event)?,
        }
        Ok(())
    }
}
