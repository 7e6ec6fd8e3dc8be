//! File names from the peer are hostile input.
//!
//! By default only the base name is kept. Absolute paths, `..`, `.`, empty names and
//! directory parts are never used as such; control characters (C0, DEL, C1 such as U+009B
//! CSI, also as lone bytes 0x80-0x9F) and bidirectional formatting characters (U+061C,
//! U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) become `_` ([`is_unsafe_char`]); a name longer than
//! a file system allows (255 bytes) is shortened, keeping its extension. With `keep_dirs`,
//! relative sub-directories are kept, but a `..` component refuses the name, and
//! [`resolve`] never goes through a symlink, so nothing can land outside the target
//! directory.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The longest file name component most file systems accept.
pub const NAME_MAX: usize = 255;

/// A peer's file name made safe: a relative path of normal components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeName {
    /// Where to store the file, relative to the target directory.
    pub path: PathBuf,
    /// True when the name had to be changed (say so to the user).
    pub changed: bool,
}

/// Why a peer's name cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing usable is left (e.g. `/`, `a/`, an empty name).
    #[error("the name is empty once its directory part is removed")]
    Empty,
    /// The name is `.` or `..`.
    #[error("the name is '.' or '..'")]
    Dots,
    /// With sub-directories kept, the path climbs with `..`.
    #[error("the path contains '..'")]
    ParentDir,
}

/// Make a peer's name safe. See the module docs for the rules.
pub fn sanitize(raw: &[u8], keep_dirs: bool) -> Result<SafeName, NameError> {
    let parts: Vec<&[u8]> = raw.split(|&b| b == b'/' || b == b'\\').collect();
    let mut out = PathBuf::new();
    if keep_dirs {
        let kept: Vec<&[u8]> = parts
            .iter()
            .copied()
            .filter(|p| !p.is_empty() && *p != b".")
            .collect();
        if kept.contains(&&b".."[..]) {
            return Err(NameError::ParentDir);
        }
        let Some((last, dirs)) = kept.split_last() else {
            return Err(NameError::Empty);
        };
        for d in dirs {
            out.push(OsStr::from_bytes(&clean_component(d)));
        }
        out.push(OsStr::from_bytes(&final_component(last)?));
    } else {
        let last = parts.last().copied().unwrap_or_default();
        out.push(OsStr::from_bytes(&final_component(last)?));
    }
    let changed = out.as_os_str().as_bytes() != raw;
    Ok(SafeName { path: out, changed })
}

fn final_component(c: &[u8]) -> Result<Vec<u8>, NameError> {
    match c {
        [] => Err(NameError::Empty),
        b"." | b".." => Err(NameError::Dots),
        _ => Ok(clean_component(c)),
    }
}

/// True for the characters that must never reach a terminal as they are: C0 controls, DEL,
/// C1 controls (U+0080-U+009F: U+009B is CSI) and the bidirectional formatting characters
/// (U+061C, U+200E, U+200F, the overrides U+202A-U+202E and the isolates U+2066-U+2069),
/// which make a name display as another. Stored names have them replaced by `_`; printed text
/// has them escaped by [`printable`].
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f'
        | '\x7f'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `text` fit for a terminal: every [`is_unsafe_char`] written as `\u{9b}`, the rest as it
/// is. Everything xyzmodem prints that may hold a peer's name (notes, the progress bar,
/// summaries, errors) goes through here.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`printable`] for raw bytes (a peer's name, a path): invalid UTF-8 shows as U+FFFD.
pub fn printable_bytes(bytes: &[u8]) -> String {
    printable(&String::from_utf8_lossy(bytes)).into_owned()
}

/// [`printable`] for a path.
pub fn printable_path(path: &Path) -> String {
    printable(&path.to_string_lossy()).into_owned()
}

/// Unsafe characters ([`is_unsafe_char`]) become `_`, and so do lone bytes 0x80-0x9F outside
/// valid UTF-8 (C1 controls to a terminal in an 8-bit mode); other bytes that are not UTF-8
/// stay as they are. An over-long name is shortened, keeping a short extension.
fn clean_component(c: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = Vec::with_capacity(c.len());
    for chunk in c.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if is_unsafe_char(ch) {
                v.push(b'_');
            } else {
                v.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
            }
        }
        v.extend(
            chunk
                .invalid()
                .iter()
                .map(|&b| if (0x80..=0x9F).contains(&b) { b'_' } else { b }),
        );
    }
    if v.len() > NAME_MAX {
        let ext = match v.iter().rposition(|&b| b == b'.') {
            Some(i) if i > 0 && v.len() - i <= 16 => v[i..].to_vec(),
            _ => Vec::new(),
        };
        let mut keep = NAME_MAX - ext.len();
        // Do not cut a UTF-8 sequence in half.
        while keep > 0 && (v[keep] & 0xC0) == 0x80 {
            keep -= 1;
        }
        v.truncate(keep);
        v.extend_from_slice(&ext);
    }
    v
}

/// Join `name` to `dir`, creating missing sub-directories when `create` is set, and refusing
/// any existing component that is a symlink or not a directory: the result is inside `dir`.
pub fn resolve(dir: &Path, name: &SafeName, create: bool) -> io::Result<PathBuf> {
    let mut at = dir.to_path_buf();
    let mut parts = name.path.components().peekable();
    while let Some(part) = parts.next() {
        at.push(part);
        if parts.peek().is_none() {
            break;
        }
        match at.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{} is a symlink; refusing to follow it", at.display()),
                ));
            }
            Ok(m) if !m.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a directory", at.display()),
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => std::fs::create_dir(&at)?,
            Err(e) => return Err(e),
        }
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(raw: &[u8]) -> Result<String, NameError> {
        sanitize(raw, false).map(|n| n.path.to_string_lossy().into_owned())
    }

    fn dirs(raw: &[u8]) -> Result<String, NameError> {
        sanitize(raw, true).map(|n| n.path.to_string_lossy().into_owned())
    }

    /// The hostile names table: what each becomes by default and with sub-directories kept.
    #[test]
    fn hostile_names_table() {
        type Want = Result<&'static str, NameError>;
        let cases: &[(&[u8], Want, Want)] = &[
            (b"plain.txt", Ok("plain.txt"), Ok("plain.txt")),
            (b"../x", Ok("x"), Err(NameError::ParentDir)),
            (b"/tmp/x", Ok("x"), Ok("tmp/x")),
            (b"a/../../x", Ok("x"), Err(NameError::ParentDir)),
            (b"..\\..\\win.ini", Ok("win.ini"), Err(NameError::ParentDir)),
            (b"sub/dir/f", Ok("f"), Ok("sub/dir/f")),
            (b"./f", Ok("f"), Ok("f")),
            (b"a\x01b\x1bc\x7f", Ok("a_b_c_"), Ok("a_b_c_")),
            (b"..", Err(NameError::Dots), Err(NameError::ParentDir)),
            (b".", Err(NameError::Dots), Err(NameError::Empty)),
            (b"", Err(NameError::Empty), Err(NameError::Empty)),
            (b"/", Err(NameError::Empty), Err(NameError::Empty)),
            (b"dir/", Err(NameError::Empty), Ok("dir")),
            (b".hidden", Ok(".hidden"), Ok(".hidden")),
        ];
        for (raw, want_base, want_dirs) in cases {
            let raw_text = String::from_utf8_lossy(raw);
            assert_eq!(
                base(raw),
                want_base.clone().map(str::to_owned),
                "base: {raw_text:?}"
            );
            assert_eq!(
                dirs(raw),
                want_dirs.clone().map(str::to_owned),
                "dirs: {raw_text:?}"
            );
        }
    }

    /// Issue 9, item 9: C1 controls and bidirectional overrides passed into stored names.
    #[test]
    fn c1_controls_and_bidi_formatting_become_underscores() {
        let cases: &[(&str, &str)] = &[
            ("a\u{9b}31mb", "a_31mb"),
            ("\u{85}\u{80}x\u{9f}", "__x_"),
            ("evil\u{202e}txt.exe", "evil_txt.exe"),
            ("\u{202a}\u{202b}\u{202c}\u{202d}x", "____x"),
            ("\u{2066}\u{2067}\u{2068}\u{2069}y", "____y"),
            ("\u{200e}\u{200f}\u{61c}z", "___z"),
            // Ordinary non-ASCII stays.
            ("café\u{a0}€\u{2010}", "café\u{a0}€\u{2010}"),
        ];
        for (raw, want) in cases {
            let got = sanitize(raw.as_bytes(), false).unwrap();
            assert_eq!(got.path.to_str(), Some(*want), "{raw:?}");
            assert_eq!(got.changed, raw != want, "{raw:?}");
        }
        // Lone bytes outside UTF-8: 0x80-0x9F become `_`, others are kept.
        let got = sanitize(b"a\x9bb\xe9c\xc2", false).unwrap();
        assert_eq!(got.path.as_os_str().as_bytes(), b"a_b\xe9c\xc2");
    }

    #[test]
    fn printable_escapes_every_unsafe_character_and_nothing_else() {
        assert!(matches!(printable("plain é €"), Cow::Borrowed("plain é €")));
        assert_eq!(
            printable("a\u{1b}[2J\u{9b}1m\u{202e}\u{2066}\x7f\n"),
            "a\\u{1b}[2J\\u{9b}1m\\u{202e}\\u{2066}\\u{7f}\\u{a}"
        );
        assert_eq!(printable_bytes(b"x\xc2\x9by\xff"), "x\\u{9b}y\u{fffd}");
        let out = printable("\u{80}\u{9f}\u{200e}\u{200f}\u{61c}");
        assert!(!out.chars().any(is_unsafe_char), "{out}");
    }

    #[test]
    fn changed_flag() {
        assert!(!sanitize(b"ok.bin", false).unwrap().changed);
        assert!(sanitize(b"/etc/passwd", false).unwrap().changed);
        assert!(!sanitize(b"a/b", true).unwrap().changed);
    }

    #[test]
    fn long_names_are_shortened_keeping_extension_and_utf8() {
        let long = [vec![b'n'; 300], b".tar.gz".to_vec()].concat();
        let n = base(&long).unwrap();
        assert_eq!(n.len(), NAME_MAX);
        assert!(n.ends_with(".gz"));
        let utf8 = "é".repeat(200); // 400 bytes
        let n = base(utf8.as_bytes()).unwrap();
        assert!(n.len() <= NAME_MAX && n.chars().all(|c| c == 'é'));
    }

    #[test]
    fn resolve_creates_dirs_but_never_follows_symlinks() {
        let top = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let dir = top.path().join("in");
        std::fs::create_dir(&dir).unwrap();
        let name = sanitize(b"sub/dir/f", true).unwrap();
        assert_eq!(resolve(&dir, &name, true).unwrap(), dir.join("sub/dir/f"));
        assert!(dir.join("sub/dir").is_dir());
        std::os::unix::fs::symlink(outside.path(), dir.join("link")).unwrap();
        let name = sanitize(b"link/x", true).unwrap();
        assert!(resolve(&dir, &name, true).is_err());
        // Without creation, a missing directory is an error, not a surprise.
        let name = sanitize(b"nope/x", true).unwrap();
        assert!(resolve(&dir, &name, false).is_err());
    }
}
