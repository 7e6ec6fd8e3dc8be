//! File names from the peer are hostile input.
//!
//! By default only the base name is kept. Absolute paths, `..`, `.`, empty names and
//! directory parts are never used as such; control characters become `_`; a name longer than
//! a file system allows (255 bytes) is shortened, keeping its extension. With `keep_dirs`,
//! relative sub-directories are kept, but a `..` component refuses the name, and
//! [`resolve`] never goes through a symlink, so nothing can land outside the target
//! directory.

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

/// Control characters become `_`; an over-long name is shortened, keeping a short extension.
fn clean_component(c: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = c
        .iter()
        .map(|&b| if b < 0x20 || b == 0x7F { b'_' } else { b })
        .collect();
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
