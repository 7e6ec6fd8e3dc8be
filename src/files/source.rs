//! The file being sent: [`Source`].

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{BUF_SIZE, FileError};
use crate::proto::FileInfo;

/// A file being sent, read in large buffered chunks. Reads name their offset; the file is
/// sought only when a read does not continue where the last one ended (a protocol going back
/// to resend, or resuming), so sequential sending costs what plain reads cost.
///
/// Its size is one that holds: a regular file's length; for what has no length, or one
/// that is not its content (a FIFO, a socket, `/proc` and `/sys` files, whose length is 0 or
/// 4096 whatever they hold), the data is read to its end first, into an unnamed temporary
/// file, and counted. A character or block device is refused unless forced, and then has no
/// size: nothing ever announces a size it does not know.
#[derive(Debug)]
pub struct Source {
    reader: BufReader<File>,
    path: PathBuf,
    size: Option<u64>,
    /// Where the next sequential read starts.
    pos: u64,
}

impl Source {
    /// Open `path` for sending: see the type's docs; devices are refused.
    pub fn open(path: &Path) -> Result<Self, FileError> {
        Self::open_with(path, false)
    }

    /// Open `path` for sending; with `force_device`, a character or block device is sent as
    /// it reads, with no size (a device such as `/dev/zero` never ends).
    pub fn open_with(path: &Path, force_device: bool) -> Result<Self, FileError> {
        use std::os::unix::fs::FileTypeExt;
        let refuse = |why: &str| FileError::Io {
            op: "cannot send",
            path: path.to_path_buf(),
            error: io::Error::new(io::ErrorKind::InvalidInput, why.to_owned()),
        };
        let file = File::open(path).map_err(FileError::io("cannot open", path))?;
        let meta = file
            .metadata()
            .map_err(FileError::io("cannot read", path))?;
        let kind = meta.file_type();
        if kind.is_dir() {
            return Err(refuse("it is a directory"));
        }
        let (file, size) = if kind.is_char_device() || kind.is_block_device() {
            if !force_device {
                return Err(FileError::Device {
                    path: path.to_path_buf(),
                    kind: if kind.is_char_device() {
                        "character"
                    } else {
                        "block"
                    },
                });
            }
            (file, None)
        } else if kind.is_file() && !length_may_lie(&file, meta.len()) {
            (file, Some(meta.len()))
        } else {
            let (spooled, len) = spool(file, path)?;
            (spooled, Some(len))
        };
        Ok(Self {
            reader: BufReader::with_capacity(BUF_SIZE, file),
            path: path.to_path_buf(),
            size,
            pos: 0,
        })
    }

    /// The size in bytes, when known (not for a forced device).
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The file's header for a batch (YMODEM's block 0, ZMODEM's `ZFILE`) under `name`: its
    /// size when it has one that holds, and its modification time and full mode as lrzsz
    /// sends them. The batch counts are left to [`number_batch`](crate::proto::file::number_batch).
    pub fn info(&self, name: Vec<u8>) -> FileInfo {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&self.path).ok();
        FileInfo {
            name,
            // Never a size that is not known (a forced device): the field is optional.
            size: self.size(),
            mtime: meta
                .as_ref()
                .and_then(|m| u64::try_from(m.mtime()).ok())
                .filter(|&t| t > 0),
            mode: meta.as_ref().map(MetadataExt::mode),
            files_left: None,
            bytes_left: None,
        }
    }

    /// The path given to [`open`](Self::open).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fill `buf` from `offset` on, completely unless the file ends first; returns the count.
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, FileError> {
        if offset != self.pos {
            self.reader
                .seek(SeekFrom::Start(offset))
                .map_err(FileError::io("reading", &self.path))?;
            self.pos = offset;
        }
        let n = self.read_full(buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    /// Fill `buf` completely unless the file ends first; returns the count.
    fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, FileError> {
        let mut n = 0;
        while n < buf.len() {
            match self.reader.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FileError::io("reading", &self.path)(e)),
            }
        }
        Ok(n)
    }
}

/// True when a regular file's length may not be its content: a length of 0 (procfs files
/// say 0 and hold data; a really empty file costs nothing to read), or a file on a pseudo file
/// system whose lengths are placeholders (sysfs says 4096).
fn length_may_lie(file: &File, len: u64) -> bool {
    if len == 0 {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        // PROC, SYSFS, DEBUGFS, TRACEFS, SECURITYFS, CONFIGFS, CGROUP, CGROUP2, BPF, EFIVARFS,
        // PSTORE (linux/magic.h).
        const PSEUDO: [u64; 11] = [
            0x9fa0,
            0x6265_6572,
            0x6462_6720,
            0x7472_6163,
            0x7363_6673,
            0x6265_6570,
            0x0027_e0eb,
            0x6367_7270,
            0xcafe_4a11,
            0xde5e_81e4,
            0x6165_676c,
        ];
        #[allow(clippy::cast_sign_loss, clippy::unnecessary_cast)]
        if let Ok(fs) = rustix::fs::fstatfs(file) {
            return PSEUDO.contains(&(fs.f_type as u64));
        }
    }
    false
}

/// Read `file` to its end into an unnamed temporary file: its data, rewound, and its length.
fn spool(mut file: File, path: &Path) -> Result<(File, u64), FileError> {
    let mut tmp = tempfile::tempfile().map_err(FileError::io("cannot make a copy of", path))?;
    let len = io::copy(&mut file, &mut tmp).map_err(FileError::io("reading", path))?;
    tmp.seek(SeekFrom::Start(0))
        .map_err(FileError::io("reading", path))?;
    Ok((tmp, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_reads_full_buffers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, vec![7u8; 3000]).unwrap();
        let mut s = Source::open(&p).unwrap();
        assert_eq!(s.size(), Some(3000));
        let mut buf = [0u8; 1024];
        assert_eq!(s.read_at(0, &mut buf).unwrap(), 1024);
        assert_eq!(s.read_at(1024, &mut buf).unwrap(), 1024);
        assert_eq!(s.read_at(2048, &mut buf).unwrap(), 952);
        assert_eq!(s.read_at(3000, &mut buf).unwrap(), 0);
        assert!(matches!(
            Source::open(dir.path()),
            Err(FileError::Io { .. })
        ));
    }

    /// Issue 9, item 4: what is not a regular file, or has a length that is not its content,
    /// was announced with the length stat gives (0 for a FIFO or /proc/cpuinfo) and arrived
    /// cut to it. Now it is read to its end first and the size is what was read; a device is
    /// refused unless forced, and then has no size.
    #[test]
    fn sources_without_a_true_length_are_read_first_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let writer = {
            let (fifo, data) = (fifo.clone(), data.clone());
            std::thread::spawn(move || std::fs::write(fifo, data).unwrap())
        };
        let mut s = Source::open(&fifo).unwrap();
        writer.join().unwrap();
        assert_eq!(s.size(), Some(70_000));
        let mut got = vec![0; 80_000];
        assert_eq!(s.read_at(0, &mut got).unwrap(), 70_000);
        assert_eq!(got[..70_000], data[..]);

        if let Ok(want) = std::fs::read("/proc/self/mountinfo") {
            let mut s = Source::open(Path::new("/proc/self/mountinfo")).unwrap();
            let len = s.size().unwrap();
            assert!(len > 0);
            let mut got = vec![0; len as usize + 1];
            assert_eq!(s.read_at(0, &mut got).unwrap() as u64, len);
            // Another process's view could differ; ours reads the same mounts twice.
            assert_eq!(&got[..len as usize], &want[..]);
        }

        assert!(matches!(
            Source::open(Path::new("/dev/zero")),
            Err(FileError::Device {
                kind: "character",
                ..
            })
        ));
        let mut s = Source::open_with(Path::new("/dev/zero"), true).unwrap();
        assert_eq!(s.size(), None);
        let mut buf = [1u8; 1024];
        assert_eq!(s.read_at(0, &mut buf).unwrap(), 1024);
        assert!(buf.iter().all(|&b| b == 0));
        let mut s = Source::open_with(Path::new("/dev/null"), true).unwrap();
        assert_eq!((s.size(), s.read_at(0, &mut buf).unwrap()), (None, 0));

        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(Source::open(&empty).unwrap().size(), Some(0));
    }

    #[test]
    fn source_seeks_only_out_of_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let mut s = Source::open(&p).unwrap();
        let mut buf = [0u8; 1000];
        assert_eq!(s.read_at(0, &mut buf).unwrap(), 1000);
        assert_eq!(buf[..], data[..1000]);
        // Back (a resend from an earlier position), forward (a skip), and on again.
        assert_eq!(s.read_at(300, &mut buf).unwrap(), 1000);
        assert_eq!(buf[..], data[300..1300]);
        assert_eq!(s.read_at(4500, &mut buf).unwrap(), 500);
        assert_eq!(buf[..500], data[4500..]);
        assert_eq!(s.read_at(1300, &mut buf).unwrap(), 1000);
        assert_eq!(buf[..], data[1300..2300]);
        assert_eq!(s.read_at(9999, &mut buf).unwrap(), 0);
    }
}
