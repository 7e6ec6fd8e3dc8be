//! `xyzmodem install-links DIR`: the links through which the binary runs as lrzsz's `sz`,
//! `rz`, `sx`, `rx`, `sb`, `rb`, `sy` and `ry` (docs/LRZSZ.md).

use std::path::Path;

use super::personality::PROGRAMS;
use crate::cli::progress::Verbosity;

/// What `install-links` finds at one name.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Nothing,
    /// A link that resolves to the executable already.
    Ours,
    /// Never replaced.
    Directory,
    /// Anything else (replaced with `--force`); the text says what.
    Other(&'static str),
}

fn inspect(path: &Path, exe: &Path) -> std::io::Result<Found> {
    let meta = match path.symlink_metadata() {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(e),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        let ours = std::fs::canonicalize(path).is_ok_and(|p| p == exe);
        return Ok(if ours {
            Found::Ours
        } else {
            Found::Other("a link to something else")
        });
    }
    Ok(if kind.is_dir() {
        Found::Directory
    } else if kind.is_file() {
        Found::Other("a file")
    } else {
        Found::Other("not a link to xyzmodem")
    })
}

/// The names `install-links` creates: every program's, and with `--lsz-names` also lrzsz's
/// `l` names.
fn link_names(lsz_names: bool) -> Vec<String> {
    let lsz = PROGRAMS
        .iter()
        .filter(|p| lsz_names && p.lsz_name)
        .map(|p| format!("l{}", p.name));
    PROGRAMS
        .iter()
        .map(|p| p.name.to_owned())
        .chain(lsz)
        .collect()
}

/// `xyzmodem install-links DIR`: links `DIR/sz` … `DIR/ry` (and `lsz` … with `lsz_names`) to
/// this executable. Nothing is replaced unless `force` (and never a directory); when anything
/// is in the way, nothing is done at all.
pub fn install_links(
    dir: &Path,
    force: bool,
    lsz_names: bool,
    verbosity: Verbosity,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::{Error, ErrorKind};
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("cannot find the path of this executable")?;
    let say = |line: String| {
        if verbosity != Verbosity::Quiet {
            println!("{line}");
        }
    };
    if !dir.is_dir() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
        say(format!("created {}", dir.display()));
    }
    let mut plan = Vec::new();
    let mut refused = Vec::new();
    for name in link_names(lsz_names) {
        let path = dir.join(name);
        let found =
            inspect(&path, &exe).with_context(|| format!("cannot inspect {}", path.display()))?;
        match found {
            Found::Directory => refused.push(format!("{} (a directory)", path.display())),
            Found::Other(what) if !force => refused.push(format!("{} ({what})", path.display())),
            _ => plan.push((path, found)),
        }
    }
    if !refused.is_empty() {
        let fix = if force {
            "remove them"
        } else {
            "remove them or use --force"
        };
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!(
                "refusing to replace {}: {fix}; nothing was changed",
                refused.join(", ")
            ),
        )
        .into());
    }
    for (path, found) in plan {
        match found {
            Found::Ours => say(format!(
                "{} -> {} (already there)",
                path.display(),
                exe.display()
            )),
            Found::Nothing => {
                std::os::unix::fs::symlink(&exe, &path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                say(format!("{} -> {}", path.display(), exe.display()));
            }
            Found::Directory => unreachable!("directories are refused above"),
            Found::Other(what) => {
                // --force: a new link next to it, renamed over it, so the name never vanishes.
                let tmp = path.with_file_name(format!(
                    ".{}.xyzmodem-{}",
                    path.file_name().unwrap_or_default().to_string_lossy(),
                    std::process::id()
                ));
                let _ = std::fs::remove_file(&tmp);
                std::os::unix::fs::symlink(&exe, &tmp)
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .with_context(|| format!("cannot replace {}", path.display()))?;
                say(format!(
                    "{} -> {} (replaced {what})",
                    path.display(),
                    exe.display()
                ));
            }
        }
    }
    say(format!(
        "put {} first in PATH, or give these paths to minicom/picocom; see docs/LRZSZ.md",
        dir.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            link_names(false),
            ["sz", "rz", "sx", "rx", "sb", "rb", "sy", "ry"]
        );
        assert_eq!(
            link_names(true),
            [
                "sz", "rz", "sx", "rx", "sb", "rb", "sy", "ry", "lsz", "lrz", "lsx", "lrx", "lsb",
                "lrb"
            ]
        );
    }
}
