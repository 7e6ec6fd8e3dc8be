//! The whole receive path: engine → handler → file policy → real files.
//!
//! The `receiver` body stops at the engine's outputs. This one hands them to the library's
//! [`ReceiveFiles`] as the CLI's handler does (start on `FileStart`, data on `WriteFile`, commit
//! on `FileEnd`, abandon on failure; a file error aborts the engine), in a fresh temporary
//! directory holding files the "user" owns, so whatever a header field drives (name
//! sanitising, existing files, sizes, times, modes, `.part` files) runs on real files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::receiver::send_block;
use super::{Common, Files, Input, Run, common_op};
use crate::files::names::is_unsafe_char;
use crate::files::{Existing, ReceiveFiles, ReceivePolicy, Target};
use crate::proto::Receiver;
use crate::proto::xymodem::block::{self, EOT, LARGE, SMALL};
use crate::proto::{Check, Event, ReceiverConfig, RecvMode};

/// Files the user had before the session: name and content. `a.part` is what `--keep-partial`
/// must never replace; `sub` is a directory and `link` a symlink out of the target.
const OWNED: [(&str, &[u8]); 3] = [
    ("a", b"OWNED a"),
    ("a.part", b"OWNED a.part"),
    ("sub/b", b"OWNED sub/b"),
];

/// Names a hostile header may use: the user's files, climbs, absolute paths, the symlink,
/// terminal controls (C0, C1 CSI) and bidirectional overrides, as name prefixes or whole.
const NAMES: [&[u8]; 16] = [
    b"a",
    b"a.part",
    b"sub/b",
    b"sub",
    b"link/x",
    b"../a",
    b"/etc/passwd",
    b"..",
    b".",
    b"",
    b"\x1b[2Jx",
    "\u{9b}31my".as_bytes(),
    "evil\u{202e}txt.exe".as_bytes(),
    "\u{2066}i\u{2069}".as_bytes(),
    b"\x9b\xe9raw",
    b"d/e/f",
];

/// What the handler saw and kept.
struct PathFiles {
    files: ReceiveFiles,
    /// The dir the target is in: everything must land inside it.
    dir: PathBuf,
    failure: Option<String>,
    /// The length the current file's header announced.
    announced: Option<u64>,
    /// Every file committed, with the length its header announced.
    committed: Vec<(PathBuf, u64, Option<u64>)>,
    /// Partial files kept on failure.
    kept: Vec<PathBuf>,
    finished: bool,
    failed: bool,
}

impl Files for PathFiles {
    fn event(&mut self, event: &Event) {
        let result = match event {
            Event::Started { protocol, .. } => {
                self.files.started(*protocol);
                Ok(())
            }
            Event::FileStart(info) => {
                self.announced = info.size;
                self.files.start(info).map(drop)
            }
            Event::FileEnd { bytes } => self.files.end(*bytes).map(|done| {
                if let Some((path, len)) = done {
                    self.committed.push((path, len, self.announced));
                }
            }),
            Event::Finished => {
                self.finished = true;
                Ok(())
            }
            Event::Failed(_) => {
                self.failed = true;
                for part in self.files.abandon() {
                    assert!(part.starts_with(&self.dir), "part {part:?} outside");
                    self.kept.push(part);
                }
                Ok(())
            }
            Event::Progress { .. }
            | Event::Retry { .. }
            | Event::FileSkipped
            | Event::Note(_)
            | Event::EndUnconfirmed { .. } => Ok(()),
        };
        let _ = self.files.take_notes();
        if let Err(e) = result {
            self.failure = Some(e.to_string());
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        if let Err(e) = self.files.write(offset, data) {
            self.failure = Some(e.to_string());
        }
    }

    fn read(&mut self, _offset: u64, _max: usize) -> &[u8] {
        panic!("a receiver asked for file data");
    }

    fn take_failure(&mut self) -> Option<String> {
        self.failure.take()
    }
}

/// A number for a header field, as text: small ones, the edges of 32 and 64 bits, `2^63`
/// (a time no clock holds), too many digits, or bytes straight from the input.
fn number(input: &mut Input<'_>, octal: bool) -> Vec<u8> {
    let n: u64 = match input.u8() % 10 {
        0..=3 => u64::from(input.u16()),
        4 => 0,
        5 => [1 << 31, 1 << 32, (1 << 63) - 1, 1 << 63, u64::MAX][usize::from(input.u8() % 5)],
        6 => u64::from(input.u16()) << (input.u8() % 64),
        7 => return vec![b'7'; 1 + usize::from(input.u8() % 30)],
        _ => {
            let n = usize::from(input.u8() % 24);
            return input
                .bytes(n)
                .iter()
                .map(|&b| if b == 0 { b'0' } else { b })
                .collect();
        }
    };
    if octal {
        format!("{n:o}").into_bytes()
    } else {
        n.to_string().into_bytes()
    }
}

/// A header's data as a hostile sender writes it: a name from [`NAMES`] or the input, then
/// any number of fields, each a number or garbage.
fn header_text(input: &mut Input<'_>) -> Vec<u8> {
    let shape = input.u8();
    let mut text: Vec<u8> = match shape & 3 {
        0 | 1 => NAMES[usize::from(input.u8()) % NAMES.len()].to_vec(),
        2 => {
            let mut name = NAMES[usize::from(input.u8()) % NAMES.len()].to_vec();
            let n = input.u8() % 32;
            name.extend_from_slice(input.bytes(usize::from(n)));
            name
        }
        _ => vec![b'n'; 200 + usize::from(input.u8()) * 4],
    };
    // The name ends at the first NUL; one inside would cut it anyway.
    for b in &mut text {
        if *b == 0 {
            *b = b'_';
        }
    }
    if text.is_empty() {
        text.push(b'e');
    }
    text.push(0);
    let fields = (shape >> 2) & 7;
    for k in 0..fields {
        if k > 0 {
            text.push(b' ');
        }
        // size decimal, mtime and mode octal, serial, files left, bytes left.
        text.extend(number(input, k == 1 || k == 2 || k == 3));
    }
    if shape & 0x80 == 0 {
        text.push(0);
    }
    text
}

/// The receive path. `data[0]`: the mode (bits 0-1) and the policy for existing files (bits
/// 2-3: refuse, overwrite, rename, skip); `data[1]`: keep sub-directories, keep partial files,
/// strip padding, the target (a directory, one to create, a directory with an XMODEM name, or
/// a file), whether the user's files exist. The rest are operations as in `receiver`, with
/// hostile header text (see the module docs). Checked at the end: nothing outside the target
/// directory, the user's files untouched (but where `--overwrite` replaced one on purpose),
/// no temporary file left, every committed file as long as its header said, stored names
/// without unsafe characters, `.part` files only with keep-partial.
pub fn receive_path(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let more = input.u8();
    let top = tempfile::tempdir().expect("temporary directory");
    let dir = top.path().join("in");
    let outside = top.path().join("outside");
    std::fs::create_dir(&outside).expect("outside");
    let create = more & 0x18 == 0x08;
    if !create {
        std::fs::create_dir(&dir).expect("target directory");
    }
    let owned = more & 0x20 == 0 && !create;
    if owned {
        std::fs::create_dir(dir.join("sub")).expect("sub");
        for (name, content) in OWNED {
            std::fs::write(dir.join(name), content).expect("owned file");
        }
        std::os::unix::fs::symlink(&outside, dir.join("link")).expect("symlink");
    }
    let before = snapshot(&dir);
    let policy = ReceivePolicy {
        existing: [
            Existing::Refuse,
            Existing::Overwrite,
            Existing::Rename,
            Existing::Skip,
        ][usize::from((flags >> 2) & 3)],
        keep_dirs: more & 1 != 0,
        keep_partial: more & 2 != 0,
        strip_padding: more & 4 != 0,
        resume: more & 0x80 != 0,
    };
    let target = match (more >> 3) & 3 {
        0 | 1 => Target::Dir {
            dir: dir.clone(),
            create,
            xmodem_name: None,
        },
        2 => Target::Dir {
            dir: dir.clone(),
            create: false,
            xmodem_name: Some("x.bin".into()),
        },
        _ => Target::File(dir.join(if more & 0x40 == 0 { "out" } else { "a" })),
    };
    let Ok(files) = ReceiveFiles::new(target, policy) else {
        // Refused before the sender is answered (an existing output file): nothing changed.
        assert_eq!(snapshot(&dir), before, "a refused target changed files");
        return;
    };
    let handler = PathFiles {
        files,
        dir: dir.clone(),
        failure: None,
        announced: None,
        committed: Vec::new(),
        kept: Vec::new(),
        finished: false,
        failed: false,
    };
    let cfg = ReceiverConfig {
        mode: [
            RecvMode::Xmodem,
            RecvMode::Ymodem,
            RecvMode::YmodemG,
            RecvMode::Detect,
        ][usize::from(flags & 3)],
        check: if flags & 0x10 == 0 {
            Check::Crc16
        } else {
            Check::Checksum
        },
        ..ReceiverConfig::default()
    };
    let now = Instant::now();
    let mut run = Run::new(Receiver::new(cfg, now), handler, now);
    let mut next: u8 = 1;
    let mut wire = Vec::with_capacity(block::MAX_FRAME);
    let mut body = Vec::with_capacity(LARGE);
    while !input.is_empty() {
        match input.u8() {
            0..=29 => common_op(&mut run, Common::Raw, &mut input),
            30..=49 => common_op(&mut run, Common::Advance, &mut input),
            50..=69 => common_op(&mut run, Common::Expire, &mut input),
            // Data, mostly the block expected next, mostly whole.
            70..=169 => {
                let shape = input.u8();
                let number = if shape & 15 == 15 {
                    next.wrapping_sub(1)
                } else {
                    next
                };
                let size = if shape & 16 == 0 { SMALL } else { LARGE };
                let len = if shape & 32 == 0 {
                    size
                } else {
                    usize::from(input.u16()) % (size + 1)
                };
                let fill = input.u8();
                let payload = vec![fill; len];
                let check = run.engine.check();
                let pad = if shape & 64 == 0 { block::PAD } else { fill };
                block::encode(&mut wire, number, &payload, size, check, pad);
                if send_block(&mut run, &mut wire, &mut input) && number == next {
                    next = next.wrapping_add(1);
                }
            }
            // A hostile header, or the end of the batch.
            170..=219 => {
                body.clear();
                if input.u8() < 16 {
                    body.resize(SMALL, 0);
                } else {
                    body.extend(header_text(&mut input));
                    body.truncate(LARGE);
                    body.resize(if body.len() <= SMALL { SMALL } else { LARGE }, 0);
                }
                let size = body.len();
                let check = run.engine.check();
                block::encode(&mut wire, 0, &body, size, check, 0);
                if send_block(&mut run, &mut wire, &mut input) {
                    next = 1;
                }
            }
            220..=244 => run.input(&[EOT]),
            245..=249 => common_op(&mut run, Common::Cancel, &mut input),
            _ => common_op(&mut run, Common::Abort, &mut input),
        }
    }
    run.run_out();
    let PathFiles {
        files,
        committed,
        kept,
        finished,
        failed,
        ..
    } = run.files;
    assert!(finished != failed, "the session ended once");
    drop(files);
    check_outcome(&dir, &outside, &before, &committed, &kept, policy);
}

/// Every regular file under `dir` (symlinks not followed) with its content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                todo.push(path);
            } else if kind.is_file() {
                let content = std::fs::read(&path).expect("read back");
                out.insert(
                    path.strip_prefix(dir).expect("inside").to_path_buf(),
                    content,
                );
            }
        }
    }
    out
}

fn check_outcome(
    dir: &Path,
    outside: &Path,
    before: &BTreeMap<PathBuf, Vec<u8>>,
    committed: &[(PathBuf, u64, Option<u64>)],
    kept: &[PathBuf],
    policy: ReceivePolicy,
) {
    // Without keep-partial nothing new is kept; a part file the user already had (continued
    // by --resume) always stays.
    assert!(
        policy.keep_partial
            || kept.iter().all(|k| {
                k.strip_prefix(dir)
                    .is_ok_and(|rel| before.contains_key(rel) || before.contains_key(k))
            }),
        "{kept:?} kept without keep-partial"
    );
    assert_eq!(
        std::fs::read_dir(outside).expect("outside").count(),
        0,
        "a file landed outside the target through the symlink"
    );
    let after = snapshot(dir);
    for (name, content) in before {
        if policy.existing != Existing::Overwrite {
            assert_eq!(
                after.get(name),
                Some(content),
                "the user's {name:?} changed or went"
            );
        }
    }
    let mut seen = Vec::new();
    // The last commit under a name is what is on disk (--overwrite may replace an earlier one).
    for (path, len, announced) in committed.iter().rev() {
        assert!(path.starts_with(dir), "{path:?} outside the target");
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        let rel = path.strip_prefix(dir).expect("inside");
        let content = after
            .get(rel)
            .unwrap_or_else(|| panic!("committed {rel:?} is not there"));
        assert_eq!(content.len() as u64, *len, "{rel:?}: length on disk");
        if let Some(size) = announced {
            assert_eq!(
                *len, *size,
                "{rel:?}: committed with another length than its header's"
            );
        }
    }
    // Nothing else appeared: no temporary file, no probe, no stray part.
    for name in after.keys() {
        let path = dir.join(name);
        assert!(
            before.contains_key(name)
                || committed.iter().any(|(p, ..)| *p == path)
                || kept.contains(&path),
            "{name:?} appeared from nowhere"
        );
        if !before.contains_key(name) {
            assert_safe_name(name);
        }
    }
}

/// No unsafe character in a stored name, nor a lone byte 0x80-0x9F outside UTF-8.
fn assert_safe_name(name: &Path) {
    use std::os::unix::ffi::OsStrExt;
    for chunk in name.as_os_str().as_bytes().utf8_chunks() {
        assert!(
            !chunk.valid().chars().any(is_unsafe_char)
                && !chunk.invalid().iter().any(|b| (0x80..=0x9F).contains(b)),
            "stored name with an unsafe character: {name:?}"
        );
    }
}
