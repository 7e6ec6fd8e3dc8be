//! The shell completions in `completions/` and the man page in `docs/` are generated from the
//! command definitions. These tests fail when the committed copies are stale; regenerate them
//! with `XYZMODEM_BLESS=1 cargo test --test integration generated`.

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

#[test]
fn man_page_is_up_to_date() {
    check(&["manpage"], "docs/xyzmodem.1");
}
