//! The [`Handler`]s every program needs: send these files, and receive into a directory (or
//! a file) with a [`ReceivePolicy`](crate::files::ReceivePolicy). The command-line tool
//! wraps them to add its progress display; a program embedding the library can use them as
//! they are.

use std::path::PathBuf;

use crate::files::{Abandoned, FileError, Opened, ReceiveFiles, Source};
use crate::proto::{Event, FileInfo, FileReply};

use super::{Handler, HandlerError};

/// Sending: the files in the order the engine announces them, one per
/// [`Output::FileStart`](crate::proto::Output::FileStart), read at the offsets it asks for.
#[derive(Debug)]
pub struct SendFiles {
    sources: Vec<Source>,
    /// The file being sent: advanced on each `FileStart`.
    current: Option<usize>,
}

impl SendFiles {
    /// Send `sources`, in this order (the order of the engine's [`FileInfo`]s).
    pub fn new(sources: Vec<Source>) -> Self {
        Self {
            sources,
            current: None,
        }
    }

    /// The files.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The index of the file being sent, once the first has started.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// The batch headers (YMODEM, ZMODEM) for the files: each one's file name, size, time and
    /// mode, and the files and bytes left in the batch from it on. A file whose path has no
    /// name (`..`) is refused.
    pub fn infos(&self) -> Result<Vec<FileInfo>, FileError> {
        use std::os::unix::ffi::OsStrExt;
        let mut infos = Vec::with_capacity(self.sources.len());
        for source in &self.sources {
            let path = source.path();
            let name = path
                .file_name()
                .ok_or_else(|| FileError::NoName(path.into()))?;
            infos.push(source.info(name.as_bytes().to_vec()));
        }
        crate::proto::file::number_batch(&mut infos);
        Ok(infos)
    }
}

impl Handler for SendFiles {
    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, HandlerError> {
        match self.sources.get_mut(self.current.unwrap_or(0)) {
            Some(source) => Ok(source.read_at(offset, buf)?),
            None => Ok(0),
        }
    }

    fn file_start(&mut self, _info: &FileInfo) -> Result<FileReply, HandlerError> {
        self.current = Some(self.current.map_or(0, |i| i + 1));
        Ok(FileReply::Accept)
    }
}

/// Receiving: [`ReceiveFiles`] decides what becomes of each file the sender announces
/// (store, skip, resume a kept `NAME.part`) and stores its data; the engine is answered
/// accordingly. When the session fails, call [`abandon`](Self::abandon) to keep or delete
/// the partial file as the policy says.
#[derive(Debug)]
pub struct ReceiveInto {
    files: ReceiveFiles,
    opened: Option<Opened>,
    ended: Option<(PathBuf, u64)>,
}

impl ReceiveInto {
    /// Receive with `files` (built from a target and a policy before the session starts).
    pub fn new(files: ReceiveFiles) -> Self {
        Self {
            files,
            opened: None,
            ended: None,
        }
    }

    /// The files of the session: what was received, notes for the user.
    pub fn files(&self) -> &ReceiveFiles {
        &self.files
    }

    /// The files of the session, to take their notes.
    pub fn files_mut(&mut self) -> &mut ReceiveFiles {
        &mut self.files
    }

    /// What the last file start opened, until the next one.
    pub fn opened(&self) -> Option<&Opened> {
        self.opened.as_ref()
    }

    /// The file the last [`Event::FileEnd`] committed, and its length (`None`: it was
    /// skipped, or no file has ended since the last start).
    pub fn ended(&self) -> Option<&(PathBuf, u64)> {
        self.ended.as_ref()
    }

    /// The session failed: keep or delete the partial file, as the policy says.
    pub fn abandon(&mut self) -> Vec<Abandoned> {
        self.files.abandon()
    }
}

impl Handler for ReceiveInto {
    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), HandlerError> {
        Ok(self.files.write(offset, data)?)
    }

    fn event(&mut self, event: &Event) -> Result<(), HandlerError> {
        match event {
            Event::Started { protocol, .. } => self.files.started(*protocol),
            Event::FileEnd { bytes } => self.ended = self.files.end(*bytes)?,
            _ => {}
        }
        Ok(())
    }

    fn file_start(&mut self, info: &FileInfo) -> Result<FileReply, HandlerError> {
        self.opened = None;
        self.ended = None;
        let opened = self.files.start(info)?;
        let reply = match opened {
            Opened::Storing { .. } => FileReply::Accept,
            Opened::Skipping { .. } => FileReply::Skip,
            Opened::Resuming { from, crc32, .. } => FileReply::Resume { from, crc32 },
        };
        self.opened = Some(opened);
        Ok(reply)
    }
}
