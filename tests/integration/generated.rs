//! The shell completions in `completions/` and the man pages in `docs/man/` are generated from
//! the command definitions. These tests fail when the committed copies are stale; regenerate
//! them with `XYZMODEM_BLESS=1 cargo test --test integration generated`. The README's option
//! table is checked against `--help` here too.

use std::path::Path;

use crate::common::xyzmodem;

fn check(args: &[&str], committed: &str) {
    let out = xyzmodem().args(args).output().expect("run xyzmodem");
    assert!(out.status.success(), "xyzmodem {args:?} failed");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(committed);
    if std::env::var_os("XYZMODEM_BLESS").is_some() {
        std::fs::write(&path, &out.stdout).expect("write generated file");
        return;
    }
    let on_disk = std::fs::read(&path).unwrap_or_default();
    assert!(
        on_disk == out.stdout,
        "{committed} is stale: run `XYZMODEM_BLESS=1 cargo test --test integration generated`"
    );
}

#[test]
fn completions_are_up_to_date() {
    for (shell, file) in [
        ("bash", "completions/xyzmodem.bash"),
        ("zsh", "completions/_xyzmodem"),
        ("fish", "completions/xyzmodem.fish"),
        ("powershell", "completions/_xyzmodem.ps1"),
        ("elvish", "completions/xyzmodem.elv"),
    ] {
        check(&["completions", shell], file);
    }
}

fn bless() -> bool {
    std::env::var_os("XYZMODEM_BLESS").is_some()
}

/// The names of the `.1` files in `dir`, sorted.
fn pages(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    e.expect("read dir")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .filter(|n| n.ends_with(".1"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn man_pages_are_up_to_date() {
    let fresh = tempfile::tempdir().expect("temp dir");
    let out = xyzmodem()
        .args(["manpage", "--dir"])
        .arg(fresh.path())
        .output()
        .expect("run xyzmodem");
    assert!(out.status.success(), "xyzmodem manpage --dir failed");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    if bless() {
        for old in pages(&committed) {
            std::fs::remove_file(committed.join(old)).expect("remove stale page");
        }
    }
    let names = pages(fresh.path());
    for name in &names {
        let page = std::fs::read(fresh.path().join(name)).expect("read page");
        if bless() {
            std::fs::create_dir_all(&committed).expect("create docs/man");
            std::fs::write(committed.join(name), &page).expect("write page");
        } else {
            let on_disk = std::fs::read(committed.join(name)).unwrap_or_default();
            assert!(
                on_disk == page,
                "docs/man/{name} is stale: run `XYZMODEM_BLESS=1 cargo test --test integration generated`"
            );
        }
    }
    assert_eq!(
        pages(&committed),
        names,
        "docs/man/ has other pages than are generated"
    );
    // Every page the main page refers to is one of them, and stdout gets the main page.
    let main = String::from_utf8(std::fs::read(committed.join("xyzmodem.1")).unwrap()).unwrap();
    for line in main.lines().filter(|l| l.ends_with("(1)")) {
        let page = format!("{}.1", line.trim_end_matches("(1)").replace("\\-", "-"));
        assert!(
            names.contains(&page),
            "xyzmodem.1 refers to {line}, which is not generated"
        );
    }
    check(&["manpage"], "docs/man/xyzmodem.1");
}

/// The long options in the README's "Options that matter" table.
fn readme_options() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let table = readme
        .split("## Options that matter")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has an Options that matter section");
    let mut options = Vec::new();
    for line in table.lines().filter(|l| l.starts_with('|')) {
        let first_cell = line.split('|').nth(1).unwrap_or("");
        for code in first_cell.split('`').skip(1).step_by(2) {
            if let Some(long) = code
                .split_whitespace()
                .next()
                .filter(|w| w.starts_with("--"))
            {
                options.push(long.trim_end_matches(',').to_owned());
            }
        }
    }
    options
}

#[test]
fn readme_options_are_in_help() {
    let help: String = ["send", "recv"]
        .iter()
        .map(|cmd| {
            let out = xyzmodem()
                .args([cmd, "--help"])
                .output()
                .expect("run xyzmodem");
            String::from_utf8(out.stdout).expect("utf-8 help")
        })
        .collect();
    let options = readme_options();
    assert!(
        options.len() > 20,
        "README option table not found: {options:?}"
    );
    for option in options {
        // `--port DEV` is shown as `--port <DEV>`: match the name followed by a non-name byte.
        let shown = help.match_indices(&option).any(|(i, _)| {
            !help[i + option.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
        });
        assert!(
            shown,
            "README's option table names {option}, which `--help` does not show"
        );
    }
}

#[test]
fn help_names_every_protocol() {
    let out = xyzmodem().arg("--help").output().expect("run xyzmodem");
    let help = String::from_utf8(out.stdout).expect("utf-8 help");
    for protocol in ["XMODEM", "YMODEM", "YMODEM-G", "ZMODEM"] {
        assert!(
            help.contains(protocol),
            "--help does not name {protocol}:\n{help}"
        );
    }
    // `send` takes a batch: its summary says so.
    let send = help
        .lines()
        .find(|l| l.trim_start().starts_with("send "))
        .unwrap();
    assert!(send.contains("batch"), "send's summary: {send}");
}
