//! What a receive leaves on disk and says: the mode of a received file, partial files kept
//! or deleted on failure, a batch into a path that names one file, data beyond the announced
//! size, the summary of a resumed file, and the `--report` records.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{DEADLINE, Work, cross_connect, require_peers, run_pair, xyzmodem};

/// lrzsz `sz -q NAMES` run in `dir`.
fn sz(dir: &std::path::Path, names: &[&str]) -> Command {
    let mut cmd = Command::new("sz");
    cmd.arg("-q").args(names).current_dir(dir);
    cmd
}

/// `sz` sends mode 100000 for a `chmod 000` file; the received copy is 0600 (checked on the
/// bits: as root, reading works whatever they are).
#[test]
fn sz_chmod_000_file_arrives_owner_readable() {
    if !require_peers(&["sz"]) {
        return;
    }
    let work = Work::new();
    fs::create_dir(work.path("src")).unwrap();
    let src = work.path("src").join("locked.bin");
    fs::write(&src, b"secret bytes").unwrap();
    fs::set_permissions(&src, fs::Permissions::from_mode(0o000)).unwrap();
    let mut a = sz(&work.path("src"), &["locked.bin"]);
    let mut b = xyzmodem();
    b.args(["recv", "-q"]).arg(work.path("dst/"));
    cross_connect(&mut a, &mut b);
    let pair = run_pair(a, b, DEADLINE);
    pair.assert_success();
    let got = work.path("dst").join("locked.bin");
    assert_eq!(fs::read(&got).unwrap(), b"secret bytes", "{pair}");
    let mode = fs::metadata(&got).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "mode {mode:o}\n{pair}");
}
