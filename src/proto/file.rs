//! What a file transfer says about a file, whatever the protocol: the [`FileInfo`] record and
//! its text form, `name NUL "size mtime mode serial files_left bytes_left" NUL`, which YMODEM's
//! block 0 and ZMODEM's ZFILE subpacket both carry (docs/PROTOCOLS.md). Size and the counts are
//! decimal; mtime, mode and serial octal; fields may be dropped from the end.

use std::io::Write as _;

/// What a sender says about a file (a YMODEM header, a ZMODEM ZFILE). Every field but the name is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// The name as sent: raw bytes, untrusted (see `files::names`).
    pub name: Vec<u8>,
    /// Exact length in bytes.
    pub size: Option<u64>,
    /// Modification time, seconds since 1970-01-01 UTC (0 on the wire means unknown). A
    /// parsed one is below [`MAX_MTIME`]; a caller building its own may still set any value.
    pub mtime: Option<u64>,
    /// Unix mode, file type bits included as senders send them (0 means unknown).
    pub mode: Option<u32>,
    /// Files left in the batch, this one included.
    pub files_left: Option<u64>,
    /// Bytes left in the batch, this file included.
    pub bytes_left: Option<u64>,
}

/// The largest modification time [`parse_info`] accepts: what a signed 64-bit count of
/// seconds (a Unix `time_t`, Rust's `SystemTime`) can hold. A peer's larger value is no time
/// at all and is dropped, as if absent.
pub const MAX_MTIME: u64 = i64::MAX as u64;

/// Fill in the batch counts of `infos`, the files of one batch in order: each one's files and
/// bytes left, itself included (a file of unknown size counts no bytes).
pub fn number_batch(infos: &mut [FileInfo]) {
    let mut bytes_left: u64 = infos.iter().filter_map(|i| i.size).sum();
    let count = infos.len() as u64;
    for (k, info) in infos.iter_mut().enumerate() {
        info.files_left = Some(count - k as u64);
        info.bytes_left = Some(bytes_left);
        bytes_left -= info.size.unwrap_or(0);
    }
}

/// Append the text form of `info` to `out`: the name, NUL, and (when the size is known) the
/// fields and a closing NUL. Nothing is padded.
pub fn encode_info(info: &FileInfo, out: &mut Vec<u8>) {
    out.extend_from_slice(&info.name);
    out.push(0);
    if let Some(size) = info.size {
        let _ = write!(
            out,
            "{size} {:o} {:o} 0",
            info.mtime.unwrap_or(0),
            info.mode.unwrap_or(0)
        );
        if let (Some(files), Some(bytes)) = (info.files_left, info.bytes_left) {
            let _ = write!(out, " {files} {bytes}");
        }
        out.push(0);
    }
}

/// Parse the text form. The name runs to the first NUL (or the end); a field that does not
/// parse ends the fields, since later ones cannot be trusted. Every field is untrusted peer
/// input: callers range-check what they use.
pub fn parse_info(data: &[u8]) -> FileInfo {
    let name_end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let mut info = FileInfo {
        name: data[..name_end].to_vec(),
        ..FileInfo::default()
    };
    let rest = data.get(name_end + 1..).unwrap_or_default();
    let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
    let text = String::from_utf8_lossy(rest);
    let mut fields = text.split_ascii_whitespace();
    let Some(size) = fields.next().and_then(|f| f.parse().ok()) else {
        return info;
    };
    info.size = Some(size);
    let octal = |f: &str| u64::from_str_radix(f, 8).ok();
    let Some(mtime) = fields.next().and_then(octal) else {
        return info;
    };
    // Range-checked here: 0 means unknown, and a value past MAX_MTIME fits no clock.
    info.mtime = (mtime != 0 && mtime <= MAX_MTIME).then_some(mtime);
    let Some(mode) = fields.next().and_then(octal) else {
        return info;
    };
    info.mode = u32::try_from(mode).ok().filter(|&m| m != 0);
    let _serial = fields.next();
    info.files_left = fields.next().and_then(|f| f.parse().ok());
    info.bytes_left = info
        .files_left
        .and(fields.next().and_then(|f| f.parse().ok()));
    info
}

/// A sender's batch: the files in order, and the one being sent.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    files: Vec<FileInfo>,
    /// An index into `files`; `files.len()` once all are done.
    index: usize,
}

impl Batch {
    pub(crate) fn new(files: Vec<FileInfo>) -> Self {
        Self { files, index: 0 }
    }

    /// The file being sent; `None` past the last one (the end of the batch).
    pub(crate) fn current(&self) -> Option<&FileInfo> {
        self.files.get(self.index)
    }

    /// Every file has been sent (or skipped).
    pub(crate) fn is_done(&self) -> bool {
        self.index >= self.files.len()
    }

    /// On to the next file.
    pub(crate) fn advance(&mut self) {
        self.index += 1;
    }
}
