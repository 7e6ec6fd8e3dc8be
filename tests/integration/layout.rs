//! The source layout rules, checked on `src/` as it is: no source file longer than
//! [`MAX_LINES`] before its inline tests, and no import circle between sibling modules
//! (`crate::a` using `crate::b` while `crate::b` uses `crate::a`, at any depth: within
//! `proto`, `xymodem`, `zmodem`, `detect`... are siblings too). Test code is exempt: what
//! follows a file's first `#[cfg(test)]`, and a file that is itself a test module (declared
//! under `#[cfg(test)]`, like `xmodem_tests.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines a source file may have before its first `#[cfg(test)]`.
const MAX_LINES: usize = 700;

/// One source file of the crate: its module path (`["proto", "zmodem", "send"]`), its
/// lines before the first `#[cfg(test)]`, and whether it is test code as a whole.
struct Source {
    path: PathBuf,
    module: Vec<String>,
    code: Vec<String>,
    test: bool,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file below `src/` (`lib.rs`, `main.rs` and `bin/` are the root).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if parts.first().is_some_and(|p| p == "bin") {
        return Vec::new();
    }
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// Child modules a file declares under `#[cfg(test)]`.
fn test_children(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut under_test = false;
    for line in lines {
        let t = line.trim();
        if t == "#[cfg(test)]" {
            under_test = true;
            continue;
        }
        if t.is_empty() || t.starts_with("//") || t.starts_with("#[") {
            continue;
        }
        if under_test {
            let decl = t
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if let Some(name) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                out.push(name.trim().to_string());
            }
        }
        under_test = false;
    }
    out
}

fn sources() -> Vec<Source> {
    let root = src_dir();
    let mut files = Vec::new();
    rs_files(&root, &mut files);
    let mut sources: Vec<Source> = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            let end = lines
                .iter()
                .position(|l| l.trim() == "#[cfg(test)]")
                .unwrap_or(lines.len());
            let module = module_of(path.strip_prefix(&root).expect("below src/"));
            Source {
                path,
                module,
                code: lines[..end].to_vec(),
                test: false,
            }
        })
        .collect();
    // A module declared under #[cfg(test)] is test code, and so is everything below it.
    let mut test_modules: Vec<Vec<String>> = Vec::new();
    for s in &sources {
        let text = std::fs::read_to_string(&s.path).expect("read again");
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        for child in test_children(&lines) {
            let mut m = s.module.clone();
            m.push(child);
            test_modules.push(m);
        }
    }
    for s in &mut sources {
        s.test = test_modules.iter().any(|m| s.module.starts_with(m));
    }
    sources
}

/// The module paths `use` and path expressions in `line` name (`crate::a::b`, `super::c`,
/// with one level of braces), resolved from `module`.
fn referenced(line: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let Some(rest) = line.get(i..) else {
            i += 1;
            continue;
        };
        let base: Option<(Vec<String>, usize)> = if rest.starts_with("crate::") {
            Some((Vec::new(), "crate::".len()))
        } else if rest.starts_with("super::") {
            Some((
                module[..module.len().saturating_sub(1)].to_vec(),
                "super::".len(),
            ))
        } else if rest.starts_with("self::") {
            Some((module.to_vec(), "self::".len()))
        } else {
            None
        };
        let preceded = i > 0 && (ident(bytes[i - 1]) || bytes[i - 1] == b':');
        let Some((mut path, skip)) = base.filter(|_| !preceded) else {
            i += 1;
            continue;
        };
        let mut j = i + skip;
        // Further `super::`s.
        while line[j..].starts_with("super::") {
            path.pop();
            j += "super::".len();
        }
        loop {
            let start = j;
            while j < bytes.len() && ident(bytes[j]) {
                j += 1;
            }
            if j > start {
                path.push(line[start..j].to_string());
            }
            let group = if line[j..].starts_with("::{") {
                Some(j + 3)
            } else if j == start && line[j..].starts_with('{') {
                Some(j + 1)
            } else {
                None
            };
            if let Some(open) = group {
                let close = line[open..].find('}').map_or(line.len(), |c| open + c);
                for item in line[open..close].split(',') {
                    let first: String = item
                        .trim()
                        .split("::")
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    if !first.is_empty() {
                        let mut p = path.clone();
                        p.push(first);
                        out.push(p);
                    }
                }
                j = close;
                break;
            }
            if line[j..].starts_with("::") {
                j += 2;
                continue;
            }
            out.push(path);
            break;
        }
        i = j.max(i + 1);
    }
    out
}

#[test]
fn no_source_file_is_longer_than_the_limit_before_its_tests() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|s| !s.test && s.code.len() > MAX_LINES)
        .map(|s| {
            format!(
                "{}: {} lines before #[cfg(test)]",
                s.path.strip_prefix(src_dir()).unwrap_or(&s.path).display(),
                s.code.len()
            )
        })
        .collect();
    assert!(
        long.is_empty(),
        "source files over {MAX_LINES} lines before their tests (split them by job):\n{}",
        long.join("\n")
    );
}

#[test]
fn no_import_circle_between_sibling_modules() {
    let sources = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    // For each parent module, the edges between its children: `a` uses `b`.
    let mut edges: BTreeMap<Vec<String>, BTreeSet<(String, String)>> = BTreeMap::new();
    for s in sources.iter().filter(|s| !s.test) {
        for line in &s.code {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for target in referenced(line, &s.module) {
                // The longest prefix that is a module of the crate.
                let Some(target) = (0..=target.len())
                    .rev()
                    .map(|n| target[..n].to_vec())
                    .find(|p| modules.contains(p))
                else {
                    continue;
                };
                let common = s
                    .module
                    .iter()
                    .zip(&target)
                    .take_while(|(a, b)| a == b)
                    .count();
                if let (Some(from), Some(to)) = (s.module.get(common), target.get(common)) {
                    edges
                        .entry(s.module[..common].to_vec())
                        .or_default()
                        .insert((from.clone(), to.clone()));
                }
            }
        }
    }
    let mut circles = Vec::new();
    for (parent, edges) in &edges {
        // Two siblings in one circle: each reaches the other.
        let reaches = |from: &str, to: &str| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![from.to_string()];
            while let Some(m) = todo.pop() {
                for (_, b) in edges.iter().filter(|(a, _)| *a == m) {
                    if b == to {
                        return true;
                    }
                    if seen.insert(b.clone()) {
                        todo.push(b.clone());
                    }
                }
            }
            false
        };
        for (a, b) in edges {
            if a < b && reaches(b, a) {
                let at = if parent.is_empty() {
                    "crate".to_string()
                } else {
                    format!("crate::{}", parent.join("::"))
                };
                circles.push(format!("{at}: {a} -> {b} -> ... -> {a}"));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles between sibling modules (move the shared part down into a module \
         both use):\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_layout_checks_see_what_they_check() {
    // The checks read the real tree: the engines and their test modules are found, and a
    // test module is recognised as one.
    let sources = sources();
    let find = |m: &[&str]| {
        sources
            .iter()
            .find(|s| s.module.iter().map(String::as_str).eq(m.iter().copied()))
            .unwrap_or_else(|| panic!("module {m:?} not found"))
    };
    assert!(!find(&["proto", "zmodem", "send"]).test);
    assert!(find(&["proto", "xymodem", "xmodem_tests"]).test);
    let uses = referenced(
        "use super::{block, header}; use crate::proto::zmodem::{Decoder, frame::Header};",
        &["proto".into(), "xymodem".into(), "recv".into()],
    );
    assert_eq!(
        uses,
        [
            vec!["proto", "xymodem", "block"],
            vec!["proto", "xymodem", "header"],
            vec!["proto", "zmodem", "Decoder"],
            vec!["proto", "zmodem", "frame"],
        ]
        .map(|p| p.into_iter().map(String::from).collect::<Vec<_>>())
    );
}
