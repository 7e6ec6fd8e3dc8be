//! `xyzmodem term` typed in a tmux pane, as a person would: keys go to the remote side and
//! its output comes back, the escape key's commands, the window size, the exit status, and the
//! terminal's settings as before (`stty -a`) once it ends.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{BIN, FAKE_UBOOT, Work, require_peers, sha256_hex};
use crate::tty::Tmux;

pub(crate) const LIMIT: Duration = Duration::from_secs(10);

/// A shell on the far end of a pseudo-terminal that socat makes (a board's console, say):
/// `link` is the device for `term --port`; killed when dropped.
pub(crate) struct RemoteShell {
    child: Child,
    pub(crate) link: PathBuf,
}

impl RemoteShell {
    /// None (and a note) without socat.
    pub(crate) fn start(work: &Work) -> Option<Self> {
        Self::run(work, "env PS1='remote> ' bash --norc --noprofile -i")
    }

    /// `program` (a command line without commas) on the far end instead of a shell, in
    /// `remote/`.
    fn run(work: &Work, program: &str) -> Option<Self> {
        if !require_peers(&["socat"]) {
            return None;
        }
        let link = work.path("console");
        let log = File::create(work.path("socat.log")).expect("create socat.log");
        let shell = format!("EXEC:{program},pty,setsid,ctty,stderr,sane");
        std::fs::create_dir_all(work.path("remote")).expect("mkdir remote");
        let child = Command::new("socat")
            .current_dir(work.path("remote"))
            .arg(format!("pty,raw,echo=0,link={}", link.display()))
            .arg(shell)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn socat");
        let end = Instant::now() + LIMIT;
        while !link.exists() {
            assert!(Instant::now() < end, "socat made no pty");
            std::thread::sleep(Duration::from_millis(5));
        }
        Some(Self { child, link })
    }
}

impl Drop for RemoteShell {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tmux pane in `work`'s directory, with `command` typed between two `stty -a` records, the
/// exit status shown as `exit=N` and `done-42` after.
pub(crate) fn typed(work: &Work, command: &str) -> Option<Tmux> {
    let tmux = Tmux::start(work.dir(), 120)?;
    tmux.wait_for("$", LIMIT);
    tmux.type_line(&format!(
        "stty -a > before.txt; stty size > size.txt; {command}; echo exit=$?; stty -a > after.txt; echo done-$((6*7))"
    ));
    Some(tmux)
}

/// After the terminal ended: the exit status shown, the settings as before, and a line typed
/// now is echoed (line editing back).
pub(crate) fn ended_with(work: &Work, tmux: &Tmux, code: i32) {
    let screen = tmux.wait_for("done-42", LIMIT);
    let want = format!("exit={code}");
    assert!(screen.contains(&want), "{want}:\n{}", screen.join("\n"));
    crate::tty::restored_and_echoing(work, tmux);
}

/// The last row that starts with `prefix`.
fn last_row<'a>(screen: &'a [String], prefix: &str) -> &'a str {
    screen
        .iter()
        .rev()
        .find(|row| row.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row starts with {prefix:?}:\n{}", screen.join("\n")))
}

/// Resize the pane to `size` (`rows cols`, as `stty size` says it), and wait until the shell in
/// the pane's terminal sees it too (tmux sets a pane's size a little after the command).
fn resize(tmux: &Tmux, size: &str) {
    let (rows, cols) = size.split_once(' ').expect("rows cols");
    tmux.run(&["resize-window", "-t", "t", "-x", cols, "-y", rows]);
    let end = Instant::now() + LIMIT;
    loop {
        tmux.type_line("clear; stty size");
        std::thread::sleep(Duration::from_millis(200));
        let screen = tmux.screen();
        if screen.iter().any(|row| row == size) {
            return;
        }
        assert!(Instant::now() < end, "{size}:\n{}", screen.join("\n"));
    }
}

/// `term -- bash`: typed lines reach the shell and its output the screen; its terminal is as
/// large as the pane, and follows a resize; `Ctrl-T ?` lists the keys; `Ctrl-T Ctrl-T` types
/// one Ctrl-T; the shell's `exit 7` ends the terminal with 7 and the settings as before.
#[test]
fn term_runs_a_command_in_a_pty_of_the_panes_size() {
    let work = Work::new();
    let Some(tmux) = typed(
        &work,
        &format!("{BIN} term -- env PS1='inner> ' bash --norc --noprofile"),
    ) else {
        return;
    };
    tmux.wait_for(
        "xyzmodem: running env; Ctrl-T ? lists the keys, Ctrl-T q quits",
        LIMIT,
    );
    tmux.wait_for("inner>", LIMIT);
    tmux.type_line("stty size; echo sum-$((20+22))");
    let screen = tmux.wait_for("sum-42", LIMIT);
    let outer = String::from_utf8(work.read("size.txt")).expect("utf-8");
    assert_eq!(
        screen[screen.iter().position(|r| r == "sum-42").unwrap() - 1],
        outer.trim(),
        "the pty has the pane's size:\n{}",
        screen.join("\n")
    );
    resize(&tmux, "30 100");

    tmux.press("C-t");
    tmux.press("?");
    let screen = tmux.wait_for("keys after Ctrl-T:", LIMIT);
    for want in [
        "  q       quit",
        "  ?       this list",
        "  Ctrl-T  send a Ctrl-T",
    ] {
        assert!(
            screen.iter().any(|r| r.starts_with(want)),
            "{want}:\n{}",
            screen.join("\n")
        );
    }
    tmux.type_line("read -r x; printf '%s' \"$x\" | od -An -tx1");
    tmux.wait_for("od -An", LIMIT);
    tmux.press("C-t");
    tmux.press("C-t");
    tmux.press("Enter");
    let screen = tmux.wait_for(" 14", LIMIT);
    assert_eq!(last_row(&screen, " 1"), " 14", "{}", screen.join("\n"));

    resize(&tmux, outer.trim());
    tmux.type_line("exit 7");
    ended_with(&work, &tmux, 7);
}

/// `Ctrl-T q` leaves a program that is still running: exit 0, the settings as before.
#[test]
fn ctrl_t_q_quits_with_0_and_another_escape_key_works_alike() {
    let work = Work::new();
    let Some(tmux) = typed(&work, &format!("{BIN} term -- sleep 100")) else {
        return;
    };
    tmux.wait_for("xyzmodem: running sleep", LIMIT);
    tmux.press("C-t");
    tmux.press("j");
    tmux.wait_for(
        "xyzmodem: Ctrl-T j: no such key (Ctrl-T ? lists them)",
        LIMIT,
    );
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);

    tmux.run(&["send-keys", "-t", "t", "clear", "Enter"]);
    tmux.type_line(&format!(
        "stty -a > before.txt; {BIN} term --escape-key a -- sleep 100; echo exit=$?; stty -a > after.txt; echo done-$((6*7))"
    ));
    tmux.wait_for("Ctrl-A ? lists the keys, Ctrl-A q quits", LIMIT);
    tmux.press("C-a");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// `term --port DEV` on a console whose far end is a shell: what is typed runs there and its
/// output shows; `Ctrl-T q` ends it with 0.
#[test]
fn term_on_a_port_talks_to_the_shell_behind_it() {
    let work = Work::new();
    let Some(remote) = RemoteShell::start(&work) else {
        return;
    };
    let Some(tmux) = typed(
        &work,
        &format!("{BIN} term --port {}", remote.link.display()),
    ) else {
        return;
    };
    tmux.wait_for(
        &format!("xyzmodem: connected to {}", remote.link.display()),
        LIMIT,
    );
    tmux.press("Enter");
    tmux.wait_for("remote>", LIMIT);
    tmux.type_line("echo remote-$((3*4)); pwd");
    let screen = tmux.wait_for("remote-12", LIMIT);
    assert_eq!(
        last_row(&screen, "/"),
        work.path("remote").display().to_string(),
        "{}",
        screen.join("\n")
    );
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// Two files of seeded random bytes in the remote side's directory, for its `sz`.
pub(crate) fn remote_files(work: &Work) -> [(&'static str, Vec<u8>); 2] {
    std::fs::create_dir_all(work.path("remote")).expect("mkdir remote");
    std::fs::create_dir_all(work.path("in")).expect("mkdir in");
    let a = work.random_file("remote/a.bin", 300_000, 0xA1).1;
    let b = work.random_file("remote/b.bin", 5_000, 0xB2).1;
    [("a.bin", a), ("b.bin", b)]
}

/// The remote side's `sz a.bin b.bin` lands both files in the download directory, and the
/// terminal goes on: the next command's output shows.
pub(crate) fn sz_downloads_both(work: &Work, tmux: &Tmux, files: &[(&str, Vec<u8>)]) {
    tmux.type_line("sz a.bin b.bin");
    let screen = tmux.wait_for("xyzmodem: received 2 files", LIMIT);
    for (name, data) in files {
        assert_eq!(
            sha256_hex(&work.read(&format!("in/{name}"))),
            sha256_hex(data),
            "{name}:\n{}",
            screen.join("\n")
        );
        let line = format!("xyzmodem: received in/{name} ({} bytes)", data.len());
        assert!(screen.contains(&line), "{line}:\n{}", screen.join("\n"));
    }
    tmux.type_line("echo after-$((5*5))");
    tmux.wait_for("after-25", LIMIT);
}

/// `term --port` on a console with a shell behind it: its `sz a.bin b.bin` downloads both
/// files byte for byte into --download-dir; a `cat` of a file holding a ZMODEM header with
/// a wrong CRC is shown and writes nothing.
#[test]
fn remote_sz_downloads_into_the_download_dir_on_a_port() {
    let work = Work::new();
    let files = remote_files(&work);
    if !require_peers(&["sz"]) {
        return;
    }
    let Some(remote) = RemoteShell::start(&work) else {
        return;
    };
    let Some(tmux) = typed(
        &work,
        &format!(
            "{BIN} term --download-dir in --port {}",
            remote.link.display()
        ),
    ) else {
        return;
    };
    tmux.wait_for("xyzmodem: connected to", LIMIT);
    tmux.press("Enter");
    tmux.wait_for("remote>", LIMIT);
    sz_downloads_both(&work, &tmux, &files);

    // A ZRQINIT with its last CRC digit changed, amid text.
    work.write(
        "remote/fake.txt",
        b"before **\x18B00000000000001\r\n after\n",
    );
    work.write("remote/fake2.txt", b"left **\x18B0000000000000 right\n");
    tmux.type_line("cat fake.txt fake2.txt; echo cat-$((6+6))");
    let screen = tmux.wait_for("cat-12", LIMIT);
    for want in [
        "before **B00000000000001",
        " after",
        "left **B0000000000000 right",
    ] {
        assert!(
            screen.iter().any(|r| r.starts_with(want)),
            "{want}:\n{}",
            screen.join("\n")
        );
    }
    let mut names = std::fs::read_dir(work.path("in"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<Vec<_>>();
    names.sort();
    assert_eq!(names, ["a.bin", "b.bin"]);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// `term -- bash`: the same download from the shell it runs; the shell's `exit` ends it.
#[test]
fn remote_sz_downloads_into_the_download_dir_in_command_mode() {
    let work = Work::new();
    let files = remote_files(&work);
    if !require_peers(&["sz"]) {
        return;
    }
    let Some(tmux) = typed(
        &work,
        &format!("{BIN} term --download-dir in -- env PS1='inner> ' bash --norc --noprofile"),
    ) else {
        return;
    };
    tmux.wait_for("inner>", LIMIT);
    tmux.type_line("cd remote");
    sz_downloads_both(&work, &tmux, &files);
    tmux.type_line("exit");
    ended_with(&work, &tmux, 0);
}

/// A terminal on a console with a shell behind it, in a pane whose directory is `work`'s,
/// at the remote prompt. None without tmux, socat or lrzsz.
fn on_console(work: &Work, options: &str) -> Option<(RemoteShell, Tmux)> {
    if !require_peers(&["sz", "rz"]) {
        return None;
    }
    let remote = RemoteShell::start(work)?;
    let tmux = typed(
        work,
        &format!("{BIN} term {options} --port {}", remote.link.display()),
    )?;
    tmux.wait_for("xyzmodem: connected to", LIMIT);
    tmux.press("Enter");
    tmux.wait_for("remote>", LIMIT);
    Some((remote, tmux))
}

pub(crate) const ASKED: &str =
    "xyzmodem: the remote side waits for files (rz); send (Tab completes, empty: none):";

/// The remote side's `rz` asks for files at a prompt: Tab completes a name, quotes and globs
/// work as in a shell, and what was named arrives byte for byte; the shell goes on after.
#[test]
fn remote_rz_asks_for_files_and_receives_them() {
    let work = Work::new();
    let (_, upload) = work.random_file("upload-file.bin", 200_000, 0xC3);
    let (_, spaced) = work.random_file("with space.bin", 3_000, 0xC4);
    let (_, globbed) = work.random_file("glob-1.dat", 1_000, 0xC5);
    let Some((_remote, tmux)) = on_console(&work, "") else {
        return;
    };
    tmux.type_line("rz");
    tmux.wait_for(ASKED, LIMIT);
    tmux.run(&["send-keys", "-t", "t", "-l", "upl"]);
    tmux.press("Tab");
    let screen = tmux.wait_for("upload-file.bin", LIMIT);
    assert!(
        screen.iter().any(|r| r.ends_with("none): upload-file.bin")),
        "Tab completed the name:\n{}",
        screen.join("\n")
    );
    tmux.press("Enter");
    tmux.wait_for(
        "xyzmodem: sent upload-file.bin: 195.31 KiB (200000 bytes)",
        LIMIT,
    );
    tmux.type_line("echo up-$((4*4))");
    tmux.wait_for("up-16", LIMIT);
    assert_eq!(
        sha256_hex(&work.read("remote/upload-file.bin")),
        sha256_hex(&upload)
    );

    tmux.type_line("clear; echo round-$((1+1)); rz");
    tmux.wait_for("round-2", LIMIT);
    tmux.wait_for(ASKED, LIMIT);
    tmux.type_line("'with space.bin' glob-*.dat");
    tmux.wait_for("xyzmodem: sent 2 files", LIMIT);
    tmux.type_line("echo up-$((5*5))");
    tmux.wait_for("up-25", LIMIT);
    assert_eq!(
        sha256_hex(&work.read("remote/with space.bin")),
        sha256_hex(&spaced)
    );
    assert_eq!(
        sha256_hex(&work.read("remote/glob-1.dat")),
        sha256_hex(&globbed)
    );
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// An empty answer, Ctrl-C or Esc at the prompt sends nothing and stops the remote `rz`: its
/// shell's prompt comes back with no junk on the screen, and what is typed next runs.
#[test]
fn declining_an_upload_stops_the_remote_rz_cleanly() {
    let work = Work::new();
    let Some((_remote, tmux)) = on_console(&work, "") else {
        return;
    };
    for (n, key) in ["Enter", "C-c", "Escape"].into_iter().enumerate() {
        // The command line holds `$((...))`, its output the number: a match is the output.
        tmux.type_line(&format!("clear; echo round-$(({n}+200)); rz"));
        tmux.wait_for(&format!("round-{}", n + 200), LIMIT);
        tmux.wait_for(ASKED, LIMIT);
        tmux.press(key);
        tmux.wait_for(
            "xyzmodem: sent nothing; the remote rz was told to stop",
            LIMIT,
        );
        tmux.type_line(&format!("echo clean-$(({n}+100))"));
        let want_tail = [
            "xyzmodem: sent nothing; the remote rz was told to stop".to_owned(),
            format!("remote>echo clean-$(({n}+100))"),
            format!("clean-{}", n + 100),
            "remote>".to_owned(),
        ];
        let end = Instant::now() + LIMIT;
        loop {
            let screen = tmux.screen();
            let rows: Vec<&str> = screen
                .iter()
                .map(|r| r.trim_end())
                .filter(|r| !r.is_empty())
                .collect();
            if rows.ends_with(&want_tail.each_ref().map(String::as_str)) {
                break;
            }
            assert!(Instant::now() < end, "after {key}:\n{}", screen.join("\n"));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let received: Vec<_> = std::fs::read_dir(work.path("remote"))
        .expect("list remote/")
        .collect();
    assert!(received.is_empty(), "{received:?}");
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// On a console, `remote` (an lrzsz receiver) typed and `ready` on the screen, then `Ctrl-T
/// key`, its `question`, and `file` typed at it, until `sent` shows; then the shell goes on
/// with nothing typed into it (an `echo` shows), and `Ctrl-T q` ends with 0, the terminal as
/// it was.
fn ctrl_t_sends_to(work: &Work, tmux: &Tmux, remote: &str, ready: &str, key: &str, file: &str) {
    tmux.type_line(remote);
    tmux.wait_for(ready, LIMIT);
    tmux.press("C-t");
    tmux.press(key);
    let question = match key {
        "y" => "xyzmodem: send files by YMODEM (Tab completes, empty: none):",
        _ => "xyzmodem: send a file by XMODEM-1K (Tab completes, empty: none):",
    };
    tmux.wait_for(question, LIMIT);
    tmux.type_line(file);
    tmux.wait_for(&format!("xyzmodem: sent {file}"), 2 * LIMIT);
    tmux.type_line("echo went-$((1+2))");
    tmux.wait_for("went-3", LIMIT);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(work, tmux, 0);
}

/// lrzsz `rb` on the remote side, then `Ctrl-T y` and a path: the file arrives by YMODEM,
/// and the shell goes on with nothing typed into it (`rb` loses its last ACK on the pty; its
/// shell's prompt ends the wait, and the end-of-batch header is not sent again).
#[test]
fn ctrl_t_y_sends_to_a_remote_rb() {
    let work = Work::new();
    let (_, ydata) = work.random_file("y-file.bin", 70_000, 0xD1);
    let Some((_remote, tmux)) = on_console(&work, "") else {
        return;
    };
    ctrl_t_sends_to(
        &work,
        &tmux,
        "rb",
        "rb waiting to receive.",
        "y",
        "y-file.bin",
    );
    assert_eq!(
        sha256_hex(&work.read("remote/y-file.bin")),
        sha256_hex(&ydata)
    );
}

/// lrzsz `rx FILE` on the remote side, then `Ctrl-T x` and a path: the file arrives by
/// XMODEM-1K, and the shell goes on with nothing typed into it (no EOT sent again: it would
/// be a Ctrl-D there).
#[test]
fn ctrl_t_x_sends_to_a_remote_rx() {
    let work = Work::new();
    let (_, xdata) = work.random_file("x-file.bin", 5_000, 0xD2);
    let Some((_remote, tmux)) = on_console(&work, "") else {
        return;
    };
    let ready = "rx: ready to receive x-copy.bin";
    ctrl_t_sends_to(&work, &tmux, "rx -c x-copy.bin", ready, "x", "x-file.bin");
    crate::common::check_xmodem_copy(&work.read("remote/x-copy.bin"), &xdata, 127)
        .expect("the XMODEM copy");
}

/// `sb FILE` on the remote side, then `Ctrl-T r`: the file lands in the download directory.
#[test]
fn ctrl_t_r_receives_from_a_remote_sb() {
    let work = Work::new();
    std::fs::create_dir_all(work.path("in")).expect("mkdir in");
    let Some((_remote, tmux)) = on_console(&work, "--download-dir in") else {
        return;
    };
    let (_, rdata) = work.random_file("remote/r-file.bin", 9_000, 0xD3);
    tmux.type_line("sb r-file.bin");
    tmux.press("C-t");
    tmux.press("r");
    tmux.wait_for(
        "xyzmodem: receive by XMODEM or YMODEM into in; a name for XMODEM data (empty: none):",
        LIMIT,
    );
    tmux.type_line("unused.bin");
    tmux.wait_for(
        "xyzmodem: received in/r-file.bin: 8.79 KiB (9000 bytes)",
        LIMIT,
    );
    tmux.type_line("echo r-$((3+2))");
    tmux.wait_for("r-5", LIMIT);
    assert_eq!(sha256_hex(&work.read("in/r-file.bin")), sha256_hex(&rdata));
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// Ctrl-C during a 50 MiB download cancels it: the remote `sz` stops and its shell's prompt
/// comes back, no file is under the final name, and the terminal goes on.
#[test]
fn ctrl_c_cancels_a_download_and_the_session_goes_on() {
    let work = Work::new();
    std::fs::create_dir_all(work.path("remote")).expect("mkdir remote");
    std::fs::create_dir_all(work.path("in")).expect("mkdir in");
    work.random_file("remote/big.bin", 50 << 20, 0xE1);
    let Some((_remote, tmux)) = on_console(&work, "--download-dir in") else {
        return;
    };
    tmux.type_line("sz big.bin; echo sz=$?");
    // The progress bar (the command line holds the name too).
    tmux.wait_for("/50.00 MiB", LIMIT);
    tmux.press("C-c");
    tmux.wait_for("(press Enter for its prompt)", LIMIT);
    tmux.press("Enter");
    let screen = tmux.wait_for("remote>", LIMIT);
    assert!(
        screen
            .iter()
            .any(|r| r.contains("xyzmodem: error: receiving: interrupted")),
        "{}",
        screen.join("\n")
    );
    assert!(
        !work.path("in/big.bin").exists(),
        "no file under the final name"
    );
    tmux.type_line("echo still-$((7*7))");
    tmux.wait_for("still-49", LIMIT);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// The port goes away (its pty removed) and comes back: the terminal says so, waits, and goes
/// on with the new one; with --no-reconnect it ends (exit 4) and says which port went away.
#[test]
fn a_port_that_goes_away_and_comes_back_is_reopened() {
    let work = Work::new();
    let Some((remote, tmux)) = on_console(&work, "") else {
        return;
    };
    let link = remote.link.clone();
    drop(remote);
    let _ = std::fs::remove_file(&link);
    tmux.wait_for(
        &format!(
            "xyzmodem: disconnected, waiting for {} (Ctrl-T q quits)",
            link.display()
        ),
        LIMIT,
    );
    let Some(_again) = RemoteShell::start(&work) else {
        return;
    };
    tmux.wait_for(
        &format!("xyzmodem: reconnected to {}", link.display()),
        LIMIT,
    );
    tmux.type_line("echo back-$((8*8))");
    tmux.wait_for("back-64", LIMIT);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

#[test]
fn no_reconnect_ends_when_the_port_goes_away() {
    let work = Work::new();
    let Some((remote, tmux)) = on_console(&work, "--no-reconnect") else {
        return;
    };
    let link = remote.link.clone();
    drop(remote);
    let screen = tmux.wait_for("done-42", LIMIT);
    let want = format!("xyzmodem: error: {}: the port went away", link.display());
    assert!(
        screen.iter().any(|r| r.starts_with(&want)),
        "{want}:\n{}",
        screen.join("\n")
    );
    ended_with(&work, &tmux, 4);
}

/// The scripted U-Boot (`FAKE_UBOOT`) on the far end of a console: a `=> ` prompt; `loady`
/// says it is ready and receives by YMODEM (lrzsz `rb`), then prints the size received;
/// `bootm` "starts" what it got, printing its SHA-256.
fn bootloader(work: &Work) -> Option<RemoteShell> {
    if !require_peers(&["rb", "gzip", "perl"]) {
        return None;
    }
    RemoteShell::run(
        work,
        &format!("env TMPDIR={} {FAKE_UBOOT}", work.dir().display()),
    )
}

/// The U-Boot flow in one window: `loady`, `Ctrl-T y` and the image, U-Boot's size line,
/// then `bootm` and the board's output.
#[test]
fn u_boot_flow_loady_ctrl_t_y_then_bootm() {
    let work = Work::new();
    let (_, image) = work.random_file("image.bin", 50_000, 0xF1);
    let Some(board) = bootloader(&work) else {
        return;
    };
    let Some(tmux) = typed(
        &work,
        &format!("{BIN} term --port {}", board.link.display()),
    ) else {
        return;
    };
    tmux.wait_for("xyzmodem: connected to", LIMIT);
    tmux.press("Enter");
    tmux.wait_for("=>", LIMIT);
    tmux.type_line("loady 0x82000000");
    tmux.wait_for("## Ready for binary (ymodem) download to 0x82000000", LIMIT);
    tmux.press("C-t");
    tmux.press("y");
    tmux.wait_for("xyzmodem: send files by YMODEM", LIMIT);
    tmux.type_line("image.bin");
    tmux.wait_for("xyzmodem: sent image.bin: 48.83 KiB (50000 bytes)", LIMIT);
    tmux.wait_for("## Total Size      = 0x0000c350 = 50000 Bytes", LIMIT);
    tmux.type_line("bootm 0x82000000");
    tmux.wait_for(&format!("booted {}", sha256_hex(&image)), LIMIT);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// `send --init --expect --after --then-term`: a flashing command that hands the console to
/// the person once the board boots, on the port still open (nothing the board prints in
/// between is lost); Ctrl-T q leaves with 0. (--after ends its line with LF:
/// it reaches the script's terminal while the receiver still has it raw, where a CR is not
/// turned into the end of a line.)
#[test]
fn send_then_term_hands_over_the_console() {
    let work = Work::new();
    let (_, image) = work.random_file("image.bin", 30_000, 0xF2);
    let Some(board) = bootloader(&work) else {
        return;
    };
    let Some(tmux) = typed(
        &work,
        &format!(
            r"{BIN} send -Y --port {} --init 'loady 0x82000000\r' --expect 'Ready for binary' --after 'bootm\n' --trace trace.txt --then-term image.bin",
            board.link.display()
        ),
    ) else {
        return;
    };
    tmux.wait_for("xyzmodem: sent image.bin", LIMIT);
    tmux.wait_for(&format!("booted {}", sha256_hex(&image)), LIMIT);
    tmux.type_line("version");
    tmux.wait_for("Unknown command 'version' - try 'help'", LIMIT);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
    // The port stayed open from the send into the terminal: the trace goes on with what was
    // typed there.
    let trace = String::from_utf8_lossy(&work.read("trace.txt")).into_owned();
    assert!(trace.contains("> \"version\""), "{trace}");
}

/// A device that sends bare LFs, does not echo and ends a line only at LF: `--map
/// inlcrnl,ocrnl` makes its lines start at the left and Enter end its line, `--local-echo`
/// shows what is typed, `--timestamps` starts each line with the time.
#[test]
fn mappings_local_echo_and_timestamps() {
    let work = Work::new();
    work.write(
        "device.sh",
        b"stty -onlcr -echo -icrnl; printf 'one\\ntwo\\n'; read -r line; printf 'got:%s\\n' \"$line\"; sleep 5\n",
    );
    let Some(device) = RemoteShell::run(&work, &format!("sh {}", work.path("device.sh").display()))
    else {
        return;
    };
    let Some(tmux) = typed(
        &work,
        &format!(
            "{BIN} term --map inlcrnl,ocrnl --local-echo --timestamps --port {}",
            device.link.display()
        ),
    ) else {
        return;
    };
    let screen = tmux.wait_for("] two", LIMIT);
    let stamped = |row: &str, text: &str| {
        row.len() == 11 + text.len()
            && row.starts_with("[   ")
            && row[4..]
                .chars()
                .take(5)
                .all(|c| c.is_ascii_digit() || c == '.')
            && row.ends_with(&format!("] {text}"))
    };
    assert!(
        screen.iter().any(|r| stamped(r, "one")) && screen.iter().any(|r| stamped(r, "two")),
        "{}",
        screen.join("\n")
    );
    tmux.type_line("hello");
    let screen = tmux.wait_for("got:hello", LIMIT);
    assert!(
        screen.iter().any(|r| stamped(r, "hello"))
            && screen.iter().any(|r| stamped(r, "got:hello")),
        "{}",
        screen.join("\n")
    );
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// `--log FILE`: what the session showed, with a download as one line (not its data);
/// `Ctrl-T l` stops it.
#[test]
fn the_log_has_the_session_and_a_line_per_transfer() {
    let work = Work::new();
    std::fs::create_dir_all(work.path("in")).expect("mkdir in");
    let Some((_remote, tmux)) = on_console(&work, "--download-dir in --log session.log") else {
        return;
    };
    work.random_file("remote/small.bin", 1_000, 0xA7);
    tmux.type_line("echo logged-$((9*9)); sz small.bin");
    tmux.wait_for("xyzmodem: received in/small.bin", LIMIT);
    tmux.press("C-t");
    tmux.press("l");
    tmux.wait_for("xyzmodem: stopped logging to session.log", LIMIT);
    tmux.type_line("echo unlogged-$((9+9))");
    tmux.wait_for("unlogged-18", LIMIT);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
    let log = String::from_utf8_lossy(&work.read("session.log")).into_owned();
    assert!(log.contains("logged-81\r\n"), "{log:?}");
    assert!(
        log.contains("\r\n[xyzmodem: ZMODEM download: received in/small.bin (1000 bytes)]\r\n"),
        "{log:?}"
    );
    assert!(!log.contains("unlogged-18"), "{log:?}");
    // The transfer's data is not in it: the log is the text around it.
    assert!(log.len() < 600, "{} bytes: {log:?}", log.len());
}

/// `term -- bash`: the shell's `rz` and a typed path upload byte for byte, as on a port.
#[test]
fn remote_rz_uploads_in_command_mode() {
    let work = Work::new();
    if !require_peers(&["rz"]) {
        return;
    }
    std::fs::create_dir_all(work.path("remote")).expect("mkdir remote");
    let (_, data) = work.random_file("up.bin", 100_000, 0xB7);
    let Some(tmux) = typed(
        &work,
        &format!("{BIN} term -- env PS1='inner> ' bash --norc --noprofile"),
    ) else {
        return;
    };
    tmux.wait_for("inner>", LIMIT);
    tmux.type_line("cd remote; rz");
    tmux.wait_for(ASKED, LIMIT);
    tmux.type_line("up.bin");
    tmux.wait_for("xyzmodem: sent up.bin: 97.66 KiB (100000 bytes)", LIMIT);
    tmux.type_line("echo up-$((6*6))");
    tmux.wait_for("up-36", LIMIT);
    assert_eq!(sha256_hex(&work.read("remote/up.bin")), sha256_hex(&data));
    tmux.type_line("exit");
    ended_with(&work, &tmux, 0);
}

/// SIGTERM (here from the command itself, to its parent) ends the terminal with 130 and the
/// local terminal's settings as before.
#[test]
fn sigterm_ends_the_terminal_restored() {
    let work = Work::new();
    let Some(tmux) = typed(
        &work,
        &format!("{BIN} term -- sh -c 'sleep 0.3; kill -TERM $PPID; sleep 5'"),
    ) else {
        return;
    };
    ended_with(&work, &tmux, 130);
}

/// `Ctrl-T b` sends a break on a port (a pty takes it and does nothing); a command's
/// pseudo-terminal has none, and the terminal says so and goes on.
#[test]
fn ctrl_t_b_sends_a_break_on_a_port_only() {
    let work = Work::new();
    let Some((_remote, tmux)) = on_console(&work, "") else {
        return;
    };
    tmux.press("C-t");
    tmux.press("b");
    tmux.wait_for("xyzmodem: sent a break (250 ms)", LIMIT);
    tmux.type_line("echo brk-$((2*3))");
    tmux.wait_for("brk-6", LIMIT);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);

    tmux.type_line(&format!(
        "clear; stty -a > before.txt; {BIN} term -- sleep 100; echo exit=$?; stty -a > after.txt; echo done-$((6*7))"
    ));
    tmux.wait_for("xyzmodem: running sleep", LIMIT);
    tmux.press("C-t");
    tmux.press("b");
    tmux.wait_for(
        "xyzmodem: cannot send a break on sleep: only a serial port or an rfc2217:// port can send a break",
        LIMIT,
    );
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// Our own `sz` link as the remote program: the download works the same.
#[test]
fn our_sz_link_as_the_remote_program_downloads() {
    let work = Work::new();
    let files = remote_files(&work);
    let bin = crate::lrzsz::install(&work, &[]);
    let Some((_remote, tmux)) = on_console(&work, "--download-dir in") else {
        return;
    };
    tmux.type_line(&format!("{} a.bin b.bin", bin.join("sz").display()));
    tmux.wait_for("xyzmodem: received 2 files", LIMIT);
    for (name, data) in &files {
        assert_eq!(
            sha256_hex(&work.read(&format!("in/{name}"))),
            sha256_hex(data),
            "{name}"
        );
    }
    tmux.type_line("echo ours-$((1+6))");
    tmux.wait_for("ours-7", LIMIT);
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}

/// `Ctrl-T q` leaves a command that ignores the hang-up too: it is killed after 2 s.
#[test]
fn ctrl_t_q_ends_a_command_that_ignores_the_hang_up() {
    let work = Work::new();
    let Some(tmux) = typed(
        &work,
        &format!("{BIN} term -- sh -c 'trap \"\" HUP; echo ignoring; sleep 100'"),
    ) else {
        return;
    };
    tmux.wait_for("ignoring", LIMIT);
    let pressed = Instant::now();
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
    assert!(
        pressed.elapsed() < Duration::from_secs(5),
        "{:?}",
        pressed.elapsed()
    );
}

/// SIGTERM during a download cancels it and ends the terminal (130), where a Ctrl-C would
/// have ended only the transfer.
#[test]
fn sigterm_during_a_download_ends_the_terminal() {
    let work = Work::new();
    if !require_peers(&["sz"]) {
        return;
    }
    std::fs::create_dir_all(work.path("in")).expect("mkdir in");
    work.random_file("big.bin", 100 << 20, 0xE2);
    // $PPID is the terminal's process, in the background subshell too.
    let Some(tmux) = typed(
        &work,
        &format!(
            "{BIN} term --download-dir in -- sh -c '(sleep 1; kill -TERM $PPID) & sz big.bin; sleep 5'"
        ),
    ) else {
        return;
    };
    tmux.wait_for("/100.00 MiB", LIMIT);
    ended_with(&work, &tmux, 130);
    assert!(!work.path("in/big.bin").exists());
}

/// What follows a download in the same read is the remote side's, and is looked at too: an
/// `rz` started right after `sz` is asked about at once (its first `ZRINIT` is not thrown
/// away with the end of the download, which left the prompt to rz's retry 10 s later), and
/// the shell's output after it shows.
#[test]
fn an_rz_right_after_a_download_is_asked_about_at_once() {
    let work = Work::new();
    let files = remote_files(&work);
    let (_, upload) = work.random_file("up.bin", 20_000, 0xE1);
    let Some((_remote, tmux)) = on_console(&work, "--download-dir in") else {
        return;
    };
    for round in 0..3 {
        tmux.type_line(&format!("clear; sz a.bin b.bin; rz; echo round-{round}"));
        tmux.wait_for("xyzmodem: received 2 files", LIMIT);
        // lrzsz rz says its ZRINIT again after 10 s: the question must come well before.
        tmux.wait_for(ASKED, Duration::from_secs(5));
        tmux.type_line("up.bin");
        tmux.wait_for(&format!("round-{round}"), LIMIT);
        for (name, data) in &files {
            assert_eq!(
                sha256_hex(&work.read(&format!("in/{name}"))),
                sha256_hex(data)
            );
            std::fs::remove_file(work.path(&format!("in/{name}"))).expect("rm");
        }
        assert_eq!(sha256_hex(&work.read("remote/up.bin")), sha256_hex(&upload));
        std::fs::remove_file(work.path("remote/up.bin")).expect("rm");
    }
    tmux.press("C-t");
    tmux.press("q");
    ended_with(&work, &tmux, 0);
}
