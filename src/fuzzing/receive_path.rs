//! The whole receive path: engine → handler → file policy → real files.
//!
//! The `receiver` and `zmodem_receiver` bodies stop at the engine's outputs. This one hands
//! them to the library's handler, [`ReceiveInto`](crate::driver::handlers::ReceiveInto), as
//! the CLI does (`path_files.rs`, which also keeps the shadow the checks compare with: open on
//! `FileStart` and answer it: store, skip or resume; data on `WriteFile`, commit on `FileEnd`,
//! abandon on failure; a file error aborts the engine), in a fresh temporary directory
//! holding files the "user" owns, so whatever a header field drives (name sanitising,
//! existing files, sizes, times, modes, `.part` files, a resume's offset and CRC) runs on
//! real files.
//!
//! The engine is the X/YMODEM receiver, fed blocks as in `receiver`, or the ZMODEM
//! receiver, fed frames built with the library's own codec: `ZFILE` with any options (F0,
//! F1: `ZCRESUM`, `ZMSKNOLOC`, ...; the engine ignores them today) and hostile file
//! information, `ZDATA` at the offset the receiver holds or the part's length or elsewhere,
//! `ZEOF`, answers to a resume's `ZCRC` that match or not, `ZFIN`, any other header or
//! subpacket, each maybe damaged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::path_files::{Commit, PathFiles};
use super::receiver::send_block;
use super::zmodem::{damage, header as zheader, subpacket};
use super::{Common, Input, Run, common_op};
use crate::files::names::is_unsafe_char;
use crate::files::{Existing, KeepPartial, ReceiveFiles, ReceivePolicy, Target};
use crate::proto::xymodem::block::{self, EOT, LARGE, SMALL};
use crate::proto::zmodem::{
    self, CrcKind, Encoder, EscapeProfile, FrameEnd, FrameType, Header, HeaderFormat,
    MAX_SUBPACKET, ZF0, ZF1,
};
use crate::proto::{Check, Limits, Receiver, ReceiverConfig, RecvMode};

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

/// The receive path. `data[0]`: the engine (bits 5-6 = `01`: ZMODEM, else X/YMODEM), the
/// policy for existing files (bits 2-3: refuse, overwrite, rename, skip); for X/YMODEM the
/// mode (bits 0-1) and the check (bit 4), for ZMODEM ESCCTL (bit 0), a receive buffer
/// (bit 1), the largest subpacket (bit 4: 1024, else 8192) and the error limit (bit 7: 3,
/// else 20). `data[1]`: keep sub-directories, keep partial files (all, else the default:
/// ZMODEM's), strip padding, the target
/// (a directory, one to create, a directory with an XMODEM name, or a file), whether the
/// user's files exist, resume. The rest are operations as in `receiver` or
/// `zmodem_receiver`, with hostile header text (see the module docs). Checked at the end:
/// nothing outside the target directory, the user's files untouched (but where
/// `--overwrite` replaced one on purpose, or `--resume` continued or completed a part file),
/// no temporary file left, every committed file holding exactly the data the engine
/// delivered (after the part file's bytes, when resumed) and as many bytes as its `FileEnd`
/// counted (X/YMODEM: as its header said), stored names without unsafe characters, `.part`
/// files only where the policy keeps them.
pub fn receive_path(data: &[u8]) {
    receive_path_committed(data);
}

/// [`receive_path()`], returning the files committed that are still on disk at the end:
/// their paths relative to the target directory and their content (for tests that build
/// their input by hand).
pub fn receive_path_committed(data: &[u8]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut input = Input { data };
    let flags = input.u8();
    let more = input.u8();
    let zmodem = flags & 0x60 == 0x20;
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
        keep_partial: if more & 2 != 0 {
            KeepPartial::Always
        } else {
            KeepPartial::Zmodem
        },
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
        return Vec::new();
    };
    let max_write = if zmodem { MAX_SUBPACKET } else { LARGE };
    let handler = PathFiles::new(files, dir.clone(), max_write, policy.strip_padding);
    let handler = if zmodem {
        zmodem_session(flags, handler, &mut input)
    } else {
        xymodem_session(flags, handler, &mut input)
    };
    let PathFiles {
        files,
        committed,
        continued,
        consumed,
        kept,
        finished,
        failed,
        strips,
        ..
    } = handler;
    assert!(finished != failed, "the session ended once");
    drop(files);
    let outcome = Outcome {
        committed,
        continued,
        consumed,
        kept,
        strips,
        zmodem,
    };
    check_outcome(&dir, &outside, &before, &outcome, policy)
}

/// The X/YMODEM receiver's session, as the `receiver` body builds it.
fn xymodem_session(flags: u8, handler: PathFiles, input: &mut Input<'_>) -> PathFiles {
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
            0..=29 => common_op(&mut run, Common::Raw, input),
            30..=49 => common_op(&mut run, Common::Advance, input),
            50..=69 => common_op(&mut run, Common::Expire, input),
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
                if send_block(&mut run, &mut wire, input) && number == next {
                    next = next.wrapping_add(1);
                }
            }
            // A hostile header, or the end of the batch.
            170..=219 => {
                body.clear();
                if input.u8() < 16 {
                    body.resize(SMALL, 0);
                } else {
                    body.extend(header_text(input));
                    body.truncate(LARGE);
                    body.resize(if body.len() <= SMALL { SMALL } else { LARGE }, 0);
                }
                let size = body.len();
                let check = run.engine.check();
                block::encode(&mut wire, 0, &body, size, check, 0);
                if send_block(&mut run, &mut wire, input) {
                    next = 1;
                }
            }
            220..=244 => run.input(&[EOT]),
            245..=249 => common_op(&mut run, Common::Cancel, input),
            _ => common_op(&mut run, Common::Abort, input),
        }
    }
    run.run_out();
    run.files
}

/// `ZFILE`'s management option (F1): none, `ZMNEWL`, `ZMCRC`, `ZMAPND`, `ZMCLOB`, `ZMNEW`,
/// `ZMPROT`, or any of them with `ZMSKNOLOC` (skip if absent).
const ZFILE_F1: [u8; 7] = [0, 1, 2, 3, 4, 5, 7];

/// The ZMODEM receiver's session: a hostile sender's frames built with the library's own
/// codec, so that every field reaches `ReceiveFiles` and the files.
fn zmodem_session(flags: u8, handler: PathFiles, input: &mut Input<'_>) -> PathFiles {
    let cfg = zmodem::ReceiverConfig {
        escape_controls: flags & 1 != 0,
        buffer_size: if flags & 2 != 0 { 2048 } else { 0 },
        max_data: if flags & 0x10 != 0 { 1024 } else { 8192 },
        limits: Limits {
            max_errors: if flags & 0x80 != 0 { 3 } else { 20 },
            ..Limits::default()
        },
        ..zmodem::ReceiverConfig::default()
    };
    let mut enc = Encoder::new(if cfg.escape_controls {
        EscapeProfile::Controls
    } else {
        EscapeProfile::Minimal
    });
    let now = Instant::now();
    let mut run = Run::new(zmodem::Receiver::new(cfg, now), handler, now);
    let mut wire = Vec::new();
    let mut crc = CrcKind::Crc32;
    let formats = [
        HeaderFormat::Bin32,
        HeaderFormat::Bin32,
        HeaderFormat::Bin16,
        HeaderFormat::Hex,
    ];
    while !input.is_empty() {
        wire.clear();
        match input.u8() {
            0..=19 => common_op(&mut run, Common::Raw, input),
            20..=24 => common_op(&mut run, Common::RawLong, input),
            25..=44 => {
                let (h, format) = zheader(input);
                crc = format.data_crc();
                enc.header(&mut wire, format, &h);
            }
            45..=64 => subpacket(&mut enc, input, &mut wire, crc),
            // ZFILE with options and hostile file information.
            65..=99 => {
                let shape = input.u8();
                let format = formats[usize::from(shape & 3)];
                // Conversion (F0): none, `ZCBIN`, `ZCNL`, `ZCRESUM`, or any byte.
                let f0 = match (shape >> 2) & 7 {
                    k @ 0..=3 => k,
                    _ => input.u8(),
                };
                let f1 = match (shape >> 5) & 7 {
                    7 => input.u8(),
                    k => ZFILE_F1[usize::from(k)] | (input.u8() & 0x80),
                };
                let mut h = Header::new(FrameType::File);
                h.bytes[ZF0] = f0;
                h.bytes[ZF1] = f1;
                enc.header(&mut wire, format, &h);
                crc = format.data_crc();
                let text = header_text(input);
                enc.subpacket(&mut wire, &text, FrameEnd::CrcW, crc);
            }
            // ZDATA with one to four subpackets of data.
            100..=159 => {
                let shape = input.u8();
                let files = &run.files;
                let at = match shape & 7 {
                    0..=3 => files.pos,
                    4 => files.resume.map_or(files.pos, |(from, _)| from),
                    5 => 0,
                    6 => files.pos + 1,
                    _ => u64::from(input.u16()),
                };
                let format = formats[usize::from((shape >> 3) & 3)];
                crc = format.data_crc();
                enc.header(
                    &mut wire,
                    format,
                    &Header::with_position(FrameType::Data, at as u32),
                );
                let count = 1 + ((shape >> 5) & 3);
                for k in 0..count {
                    let len = usize::from(input.u16()) % (MAX_SUBPACKET + 64);
                    let seed = input.u8();
                    let data: Vec<u8> = (0..len)
                        .map(|i| seed.wrapping_add((i as u8).wrapping_mul(31)))
                        .collect();
                    let end = if k + 1 < count {
                        FrameEnd::CrcG
                    } else if shape & 0x80 == 0 {
                        FrameEnd::CrcE
                    } else {
                        FrameEnd::CrcW
                    };
                    enc.subpacket(&mut wire, &data, end, crc);
                }
            }
            // ZEOF where the file ends, just past it, or at the announced size.
            160..=179 => {
                let how = input.u8();
                let files = &run.files;
                let at = match how & 3 {
                    0 | 1 => files.pos,
                    2 => files.pos + 1,
                    _ => files.announced.unwrap_or(0),
                };
                let format = formats[usize::from((how >> 2) & 3)];
                enc.header(
                    &mut wire,
                    format,
                    &Header::with_position(FrameType::Eof, at as u32),
                );
            }
            // The answer to a resume's ZCRC: the sender's file starts with the part, or not.
            180..=191 => {
                let how = input.u8();
                let (from, crc32) = run.files.resume.unwrap_or((0, 0));
                let answer = if how & 1 == 0 { crc32 } else { crc32 ^ 1 };
                if how & 1 == 0 && from > 0 {
                    run.files.pos = from;
                }
                let format = formats[usize::from((how >> 1) & 3)];
                enc.header(
                    &mut wire,
                    format,
                    &Header::with_position(FrameType::Crc, answer),
                );
            }
            192..=196 => enc.header(&mut wire, HeaderFormat::Hex, &Header::new(FrameType::Fin)),
            197..=201 => wire.extend_from_slice(b"OO"),
            202..=229 => common_op(&mut run, Common::Advance, input),
            230..=249 => common_op(&mut run, Common::Expire, input),
            250..=251 => wire.extend_from_slice(&[0x18; 5]),
            252..=253 => common_op(&mut run, Common::Cancel, input),
            254..=255 => common_op(&mut run, Common::Abort, input),
        }
        if !wire.is_empty() {
            damage(&mut wire, input);
            run.input(&wire);
        }
    }
    run.run_out();
    run.files
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

/// What a session left, for [`check_outcome`].
struct Outcome {
    committed: Vec<Commit>,
    continued: Vec<(PathBuf, Vec<u8>)>,
    consumed: Vec<PathBuf>,
    kept: Vec<PathBuf>,
    /// Padding was stripped from the end of files.
    strips: bool,
    zmodem: bool,
}

fn check_outcome(
    dir: &Path,
    outside: &Path,
    before: &BTreeMap<PathBuf, Vec<u8>>,
    outcome: &Outcome,
    policy: ReceivePolicy,
) -> Vec<(PathBuf, Vec<u8>)> {
    let Outcome {
        committed,
        continued,
        consumed,
        kept,
        strips,
        zmodem,
    } = outcome;
    let is_continued = |path: &Path| continued.iter().any(|(p, _)| p == path);
    // Nothing new is kept unless the policy keeps it (by default only ZMODEM's); a part
    // file continued by --resume (the user's, or one this session stored) always stays.
    let keeps = match policy.keep_partial {
        KeepPartial::Never => false,
        KeepPartial::Zmodem => *zmodem,
        KeepPartial::Always => true,
    };
    assert!(
        keeps || kept.iter().all(|k| is_continued(k)),
        "{kept:?} kept without keep-partial"
    );
    assert_eq!(
        std::fs::read_dir(outside).expect("outside").count(),
        0,
        "a file landed outside the target through the symlink"
    );
    let after = snapshot(dir);
    let on_disk = |path: &Path| {
        let rel = path.strip_prefix(dir).expect("inside");
        after.get(rel)
    };
    for (name, content) in before {
        let path = dir.join(name);
        if consumed.contains(&path) || is_continued(&path) {
            // Resumed into its file, or checked below.
            continue;
        }
        if policy.existing != Existing::Overwrite {
            assert_eq!(
                after.get(name),
                Some(content),
                "the user's {name:?} changed or went"
            );
        }
    }
    // A continued part only grows by data that passed the resume's check.
    for (part, held) in continued {
        let now = on_disk(part).unwrap_or_else(|| panic!("continued {part:?} went"));
        assert!(
            now.starts_with(held),
            "continued {part:?} changed in its first {} bytes",
            held.len()
        );
    }
    let mut seen: Vec<&Path> = Vec::new();
    let mut files = Vec::new();
    // The last commit under a name is what is on disk (--overwrite may replace an earlier one).
    for c in committed.iter().rev() {
        let path = c.path.as_path();
        assert!(path.starts_with(dir), "{path:?} outside the target");
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        let rel = path.strip_prefix(dir).expect("inside");
        let content = after
            .get(rel)
            .unwrap_or_else(|| panic!("committed {rel:?} is not there"));
        if !strips {
            assert_eq!(c.len, c.bytes, "{rel:?}: committed length != FileEnd count");
        }
        if let Some(size) = c.announced {
            // X/YMODEM cut a file to its header's length and fail one that ends short;
            // ZMODEM fails one that ends short too, and keeps what came before ZEOF past
            // the announced length (no padding there: a file that grew while it was sent).
            if *zmodem {
                assert!(
                    c.len >= size,
                    "{rel:?}: committed short of its header's length"
                );
            } else {
                assert_eq!(
                    c.len, size,
                    "{rel:?}: committed with another length than its header's"
                );
            }
        }
        if is_continued(path) {
            // Resumed later in the session (checked above).
            continue;
        }
        assert_eq!(content.len() as u64, c.len, "{rel:?}: length on disk");
        let (kept, stripped) = c.content.split_at(content.len().min(c.content.len()));
        assert!(
            content == kept
                && (stripped.is_empty() || *strips && stripped.iter().all(|&b| b == block::PAD)),
            "{rel:?}: the content on disk is not the data delivered"
        );
        files.push((rel.to_path_buf(), content.clone()));
    }
    // Nothing else appeared: no temporary file, no probe, no stray part.
    for name in after.keys() {
        let path = dir.join(name);
        assert!(
            before.contains_key(name)
                || committed.iter().any(|c| c.path == path)
                || kept.contains(&path)
                || is_continued(&path),
            "{name:?} appeared from nowhere"
        );
        if !before.contains_key(name) {
            assert_safe_name(name);
        }
    }
    files
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
