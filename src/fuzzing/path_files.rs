//! The receive path's handler: the receiver's outputs through the library's [`ReceiveInto`]
//! onto real files, with a shadow of what each file must hold, for `receive_path`'s checks.

use std::path::PathBuf;

use super::Files;
use crate::driver::handlers::ReceiveInto;
use crate::driver::{Handler, HandlerError};
use crate::files::{Opened, ReceiveFiles};
use crate::proto::{Event, FileInfo, FileReply};

/// A file committed, with what the harness expects of it.
pub(super) struct Commit {
    pub(super) path: PathBuf,
    /// The length `ReceiveFiles::end` reported.
    pub(super) len: u64,
    /// The length its header announced.
    pub(super) announced: Option<u64>,
    /// The engine's count (`FileEnd`): the bytes the file holds, the resumed part included.
    pub(super) bytes: u64,
    /// What the engine wrote, on top of the part file's first bytes when it was resumed: the
    /// file's content (less padding, where it is stripped).
    pub(super) content: Vec<u8>,
}

/// What the handler saw and kept.
pub(super) struct PathFiles {
    pub(super) files: ReceiveInto,
    /// The dir the target is in: everything must land inside it.
    pub(super) dir: PathBuf,
    pub(super) failure: Option<String>,
    /// The answer to the last `FileStart`, as the CLI's handler gives it.
    pub(super) reply: FileReply,
    /// The longest `WriteFile` the engine may produce.
    pub(super) max_write: usize,
    /// The length the current file's header announced.
    pub(super) announced: Option<u64>,
    /// The current file's content so far, as the writes and a resumed part make it.
    pub(super) shadow: Vec<u8>,
    /// The current file is being skipped (its data is discarded).
    pub(super) skipping: bool,
    /// The current file was opened to be stored, and is not committed yet.
    pub(super) storing: bool,
    /// The current file continues `NAME.part` from this length (until a write from before it
    /// declines the resume, as `ReceiveFiles::write` does).
    pub(super) resumed_from: Option<u64>,
    /// That part file.
    pub(super) resumed_part: Option<PathBuf>,
    /// The last resume answered: its length and CRC-32 (what a sender with the same file
    /// answers to `ZCRC`).
    pub(super) resume: Option<(u64, u32)>,
    /// The next offset the receiver wants, as far as the harness can tell.
    pub(super) pos: u64,
    /// The policy strips padding, where the protocol pads.
    pub(super) strip_padding: bool,
    /// Padding is stripped at the end (XMODEM with strip-padding).
    pub(super) strips: bool,
    /// Every file committed.
    pub(super) committed: Vec<Commit>,
    /// Part files continued by a resume and not committed under their name since: they may
    /// have grown (verified data appended), never changed in their first bytes.
    pub(super) continued: Vec<(PathBuf, Vec<u8>)>,
    /// Part files a completed resume turned into its file: gone.
    pub(super) consumed: Vec<PathBuf>,
    /// Partial files kept on failure.
    pub(super) kept: Vec<PathBuf>,
    pub(super) finished: bool,
    pub(super) failed: bool,
}

impl PathFiles {
    pub(super) fn new(
        files: ReceiveFiles,
        dir: PathBuf,
        max_write: usize,
        strip_padding: bool,
    ) -> Self {
        Self {
            strip_padding,
            files: ReceiveInto::new(files),
            dir,
            failure: None,
            reply: FileReply::Accept,
            max_write,
            announced: None,
            shadow: Vec::new(),
            skipping: false,
            storing: false,
            resumed_from: None,
            resumed_part: None,
            resume: None,
            pos: 0,
            strips: false,
            committed: Vec::new(),
            continued: Vec::new(),
            consumed: Vec::new(),
            kept: Vec::new(),
            finished: false,
            failed: false,
        }
    }

    /// `FileStart`: open the file through the library's handler, and check its answer.
    fn start(&mut self, info: &FileInfo) -> Result<(), HandlerError> {
        self.announced = info.size;
        self.shadow.clear();
        self.skipping = false;
        self.storing = false;
        self.resumed_from = None;
        self.resumed_part = None;
        self.resume = None;
        self.pos = 0;
        let reply = self.files.file_start(info)?;
        let opened = self
            .files
            .opened()
            .cloned()
            .expect("a file start that opened");
        self.storing = !matches!(opened, Opened::Skipping { .. });
        self.reply = reply;
        let expected = match opened {
            Opened::Storing { path, .. } => {
                assert!(path.starts_with(&self.dir), "{path:?} outside");
                FileReply::Accept
            }
            Opened::Skipping { path, .. } => {
                assert!(path.starts_with(&self.dir), "{path:?} outside");
                self.skipping = true;
                FileReply::Skip
            }
            Opened::Resuming {
                path, from, crc32, ..
            } => {
                assert!(path.starts_with(&self.dir), "{path:?} outside");
                let mut part = path.into_os_string();
                part.push(".part");
                let part = PathBuf::from(part);
                let held = std::fs::read(&part).expect("the part file to resume");
                assert!(
                    held.len() as u64 >= from && info.size.is_some_and(|s| from <= s) && from > 0,
                    "resuming {from} bytes of a {}-byte part, announced {:?}",
                    held.len(),
                    info.size
                );
                self.shadow = held[..from as usize].to_vec();
                assert_eq!(crc32, crate::proto::crc::crc32(&self.shadow), "part's CRC");
                self.continued.retain(|(p, _)| *p != part);
                self.continued.push((part.clone(), held));
                self.resumed_from = Some(from);
                self.resumed_part = Some(part);
                self.resume = Some((from, crc32));
                FileReply::Resume { from, crc32 }
            }
        };
        assert_eq!(reply, expected, "the answer to what was opened");
        Ok(())
    }

    /// Data from before the resumed part's end, or an end there: the resume is declined,
    /// the part stays as it was and the file starts again in a new file.
    fn decline_below(&mut self, offset: u64) {
        if self.resumed_from.is_some_and(|from| offset < from) {
            self.resumed_from = None;
            self.resumed_part = None;
            self.shadow.clear();
        }
    }

    /// `Event::FileEnd`: commit, and note what must be on disk.
    fn end(&mut self, bytes: u64) -> Result<(), HandlerError> {
        self.decline_below(bytes);
        self.files.event(&Event::FileEnd { bytes })?;
        let done = self.files.ended().cloned();
        let Some((path, len)) = done else {
            // Skipped, or its start failed (the engine, aborted, may have ended it already).
            assert!(!self.storing, "a file stored was not committed");
            return Ok(());
        };
        self.storing = false;
        assert!(!self.skipping, "a skipped file was committed");
        assert!(path.starts_with(&self.dir), "{path:?} outside");
        if let Some(part) = self.resumed_part.take() {
            // The part became the file.
            self.continued.retain(|(p, _)| *p != part);
            self.committed.retain(|c| c.path != part);
            self.consumed.push(part);
        }
        self.continued.retain(|(p, _)| *p != path);
        self.committed.push(Commit {
            path,
            len,
            announced: self.announced,
            bytes,
            content: std::mem::take(&mut self.shadow),
        });
        self.pos = 0;
        Ok(())
    }
}

impl Files for PathFiles {
    fn event(&mut self, event: &Event) {
        let result = match event {
            Event::Started { protocol, .. } => {
                self.strips = self.strip_padding && protocol.padding().is_some();
                self.files.event(event)
            }
            Event::FileEnd { bytes } => self.end(*bytes),
            Event::Progress { bytes, .. } => {
                self.pos = *bytes;
                Ok(())
            }
            Event::Finished => {
                self.finished = true;
                Ok(())
            }
            Event::Failed(_) => {
                self.failed = true;
                for part in self.files.abandon().into_iter().filter_map(|a| a.kept) {
                    assert!(part.starts_with(&self.dir), "part {part:?} outside");
                    self.kept.push(part);
                }
                Ok(())
            }
            Event::Retry { .. }
            | Event::FileSkipped
            | Event::Note(_)
            | Event::EndUnconfirmed { .. } => Ok(()),
        };
        let _ = self.files.files_mut().take_notes();
        if let Err(e) = result {
            self.failure = Some(e.to_string());
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        self.decline_below(offset);
        match self.files.write_file(offset, data) {
            Ok(()) if !self.skipping => {
                assert!(
                    offset <= self.shadow.len() as u64,
                    "a write at {offset} past the {} bytes held was taken (a hole)",
                    self.shadow.len()
                );
                self.shadow.truncate(offset as usize);
                self.shadow.extend_from_slice(data);
            }
            Ok(()) => {}
            Err(e) => self.failure = Some(e.to_string()),
        }
    }

    fn read(&mut self, _offset: u64, _max: usize) -> &[u8] {
        panic!("a receiver asked for file data");
    }

    fn max_write(&self) -> usize {
        self.max_write
    }

    fn take_failure(&mut self) -> Option<String> {
        self.failure.take()
    }

    fn file_start(&mut self, info: &FileInfo) -> FileReply {
        if let Err(e) = self.start(info) {
            self.failure = Some(e.to_string());
        }
        let _ = self.files.files_mut().take_notes();
        self.reply
    }
}
