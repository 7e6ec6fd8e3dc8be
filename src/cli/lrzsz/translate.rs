//! Translation of a parsed lrzsz command line into the `xyzmodem` argv that does the same.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use xyzmodem::proto::cancel::CANCEL_SEQUENCE;
use xyzmodem::proto::zmodem::Management;

use super::exit::{PROTOCOL, RESTRICTED};
use super::options::{Flags, Z_ONLY};
use super::personality::{Personality, Proto, Side};

/// What to do after the lrzsz command line was understood.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// Run this `xyzmodem` argv. `unreadable`: files to send that could not be opened (lrzsz
    /// then exits 1 after sending the others).
    Run {
        argv: Vec<OsString>,
        unreadable: usize,
    },
    /// Exit with this code at once (lrzsz: no file to send could be opened).
    Exit(u8),
    /// A usage error: exit 2 with this message.
    Usage(String),
}

/// `-R`'s rule for a name on the command line: relative, and never climbing with `..`.
fn confined(path: &Path) -> bool {
    path.is_relative()
        && !path
            .components()
            .any(|c| c == std::path::Component::ParentDir)
}

/// Seconds for `-O` ("wait forever"): the longest `--timeout` we take.
const FOREVER: u64 = 86_400;

/// ZMODEM's subpacket sizes: what `send --subpacket` takes.
const SUBPACKETS: std::ops::RangeInclusive<u16> = 32..=8192;
/// The smallest `send --window`.
const MIN_WINDOW: u32 = 256;

/// Notes for the ZMODEM options of a command line that ends up X/YMODEM.
fn note_zmodem_options(flags: &mut Flags) {
    let notes: Vec<String> = flags
        .zmodem_options
        .iter()
        .map(|o| format!("ignoring {o}: {Z_ONLY}"))
        .collect();
    flags.notes.extend(notes);
}

/// `send -Z` options for a ZMODEM command line: subpacket, window, escaping, resume and what
/// to ask the receiver to do with files it has.
fn zmodem_send_options(flags: &mut Flags, argv: &mut Vec<OsString>) {
    // lrzsz starts at 1024; -4/-8 let it grow to 4096/8192 (ours starts there and shrinks on
    // errors); -l sets the size; -L caps it. Ours takes 32 and more.
    let mut sub = flags.block.unwrap_or(1024);
    if let Some(l) = flags.frame_len {
        sub = l;
    }
    if let Some(cap) = flags.packet_len {
        sub = sub.min(cap);
    }
    let clamped = sub.clamp(*SUBPACKETS.start(), *SUBPACKETS.end());
    if clamped != sub {
        flags.notes.push(format!(
            "subpackets of {clamped} bytes, not {sub}: 32 is the least"
        ));
    }
    if clamped != 1024 {
        argv.push("--subpacket".into());
        argv.push(clamped.to_string().into());
    }
    // -l N: lrzsz waits for an acknowledgement after each N bytes; ours never has more than
    // the window unacknowledged.
    let frame = flags.frame_len.map(|l| u32::from(l).max(MIN_WINDOW));
    let window = match (flags.window, frame) {
        (Some(w), Some(f)) => Some(w.min(f)),
        (w, f) => w.or(f),
    };
    if let Some(w) = window {
        argv.push("--window".into());
        argv.push(w.to_string().into());
    }
    if flags.escape {
        argv.push("--escape".into());
        argv.push("all".into());
    }
    if flags.resume {
        argv.push("--resume".into());
    }
    if let Some(request) = flags.manage {
        // `send --if-exists` for lrzsz's `ZFILE` F1 request (`-y`, `-Y`, `-E`, ...).
        let name = match (request, flags.skip_absent) {
            (Management::Overwrite, true) => "overwrite-or-skip",
            (request, false) => request.as_str(),
            (request, true) => {
                // -Y with a later -E, -p, ...: lrzsz sends both; ours the later one.
                let name = request.as_str();
                flags.notes.push(format!(
                    "asking the receiver to {name} existing files; -Y's skip of absent ones is dropped"
                ));
                name
            }
        };
        argv.push("--if-exists".into());
        argv.push(name.into());
    }
    if flags.full_path {
        flags
            .notes
            .push("ignoring -f: ZMODEM names are sent as base names".into());
    }
}

impl Personality {
    /// The global options, and the subcommand's options both sides share (the timeout,
    /// `--telnet`).
    fn common(&self, flags: &Flags) -> (Vec<OsString>, Vec<OsString>) {
        let mut global: Vec<OsString> = vec!["xyzmodem".into()];
        if flags.quiet {
            global.push("-q".into());
        } else if flags.verbose + self.verbose > 0 {
            global.push("-v".into());
        }
        let mut timeout = Vec::new();
        let secs = if flags.no_timeout {
            Some(FOREVER)
        } else {
            flags.timeout
        };
        if let Some(secs) = secs {
            timeout.push("--timeout".into());
            timeout.push(secs.to_string().into());
        }
        if flags.telnet {
            timeout.push("--telnet".into());
        }
        (global, timeout)
    }

    /// Translates a parsed command line. Sending checks which files can be opened (as lrzsz
    /// does, the others are still sent); `open` is that check, a parameter for the tests.
    pub(super) fn plan(
        &self,
        flags: &mut Flags,
        open: &dyn Fn(&Path) -> Result<(), String>,
    ) -> Plan {
        let proto = flags.proto.unwrap_or(self.proto);
        let (mut argv, timeout) = self.common(flags);
        match self.side {
            Side::Send => {
                if flags.operands.is_empty() {
                    return Plan::Usage("need at least one file to send".into());
                }
                if flags.operands.iter().any(|f| f == "-") {
                    return Plan::Usage("sending stdin ('-') is not supported".into());
                }
                let mut files = Vec::new();
                let mut unreadable = 0;
                for file in &flags.operands {
                    let path = PathBuf::from(file);
                    if flags.restricted && !confined(&path) {
                        eprintln!("{}: {}: Security Violation", self.name, path.display());
                        unreadable += 1;
                        continue;
                    }
                    match open(&path) {
                        Ok(()) => files.push(path),
                        Err(e) => {
                            eprintln!("{}: {e}", self.name);
                            unreadable += 1;
                        }
                    }
                }
                if files.is_empty() {
                    eprintln!("{}: Can't open any requested files.", self.name);
                    let mut out = std::io::stdout();
                    let _ = out.write_all(&CANCEL_SEQUENCE).and_then(|()| out.flush());
                    return Plan::Exit(PROTOCOL);
                }
                argv.push("send".into());
                if proto != Proto::Zmodem {
                    note_zmodem_options(flags);
                }
                match proto {
                    Proto::Zmodem => {
                        argv.push("-Z".into());
                        zmodem_send_options(flags, &mut argv);
                    }
                    Proto::Xmodem => {
                        if files.len() > 1 {
                            return Plan::Usage(format!(
                                "XMODEM sends one file; use sb for {} files",
                                files.len()
                            ));
                        }
                        argv.push("-X".into());
                        if flags.one_k {
                            argv.push("-k".into());
                        }
                        if flags.full_path {
                            flags
                                .notes
                                .push("ignoring -f: XMODEM sends no file name".into());
                        }
                    }
                    Proto::Ymodem => {
                        argv.push("-Y".into());
                        // lrzsz sends 128-byte blocks unless -k, in YMODEM too.
                        if !flags.one_k {
                            argv.push("--128".into());
                        }
                        if flags.full_path {
                            if files.iter().all(|f| f.is_relative()) {
                                argv.push("--full-path".into());
                            } else {
                                flags.notes.push(
                                    "ignoring -f: absolute paths are sent as base names".into(),
                                );
                            }
                        }
                    }
                }
                argv.extend(timeout);
                argv.push("--".into());
                argv.extend(files.into_iter().map(PathBuf::into_os_string));
                Plan::Run { argv, unreadable }
            }
            Side::Recv => {
                if flags.operands.len() > 1
                    || (proto != Proto::Xmodem && !flags.operands.is_empty())
                {
                    return Plan::Usage("garbage on commandline".into());
                }
                // lrzsz rz's -w: how much garbage to skip looking for a header.
                let window: Vec<String> = flags
                    .zmodem_options
                    .iter()
                    .filter(|o| o.starts_with("-w") || o.starts_with("--windowsize"))
                    .map(|o| format!("ignoring {o}: the receiver has no window to set"))
                    .collect();
                flags.notes.extend(window);
                argv.push("recv".into());
                if proto == Proto::Zmodem {
                    if flags.ymodem_g {
                        return Plan::Usage(
                            "-g asks for YMODEM-G; use rb -g (rz receives ZMODEM first)".into(),
                        );
                    }
                    argv.push("-Z".into());
                    // lrzsz rz skips files it has unless -y (or the sender's -y); ours follows
                    // only its own options.
                    argv.push(
                        if flags.rename {
                            "--rename"
                        } else if flags.overwrite && !flags.protect {
                            "--overwrite"
                        } else {
                            "--skip-existing"
                        }
                        .into(),
                    );
                    if flags.resume {
                        // Interrupted files stay as NAME.part, and the next rz -r goes on.
                        argv.push("--resume".into());
                        argv.push("--keep-partial".into());
                    }
                    if flags.escape {
                        argv.push("--escape".into());
                        argv.push("all".into());
                    }
                    argv.extend(timeout);
                    return Plan::Run {
                        argv,
                        unreadable: 0,
                    };
                }
                let notes: Vec<String> = flags
                    .zmodem_options
                    .iter()
                    .filter(|o| !o.starts_with("-w") && !o.starts_with("--windowsize"))
                    .map(|o| format!("ignoring {o}: {Z_ONLY}"))
                    .collect();
                flags.notes.extend(notes);
                if let (Proto::Xmodem, Some(file)) = (proto, flags.operands.first()) {
                    if flags.ymodem_g {
                        return Plan::Usage("-g asks for YMODEM-G, XMODEM has no such mode".into());
                    }
                    if flags.restricted && !confined(Path::new(file)) {
                        // As lrzsz's restricted rx: refuse, and cancel the waiting sender.
                        eprintln!(
                            "{}: {}: Security Violation",
                            self.name,
                            file.to_string_lossy()
                        );
                        let mut out = std::io::stdout();
                        let _ = out.write_all(&CANCEL_SEQUENCE).and_then(|()| out.flush());
                        return Plan::Exit(RESTRICTED);
                    }
                    argv.push("-X".into());
                    if !flags.crc {
                        // lrzsz rx asks for the 8-bit checksum (NAK) unless -c.
                        argv.push("--checksum".into());
                    }
                    // lrzsz rx replaces FILE: the user named it. Ours only once the new one is
                    // complete. -E keeps both, -p keeps the old one and fails.
                    if flags.rename {
                        argv.push("--rename".into());
                    } else if !flags.protect {
                        argv.push("--overwrite".into());
                    }
                    argv.extend(timeout);
                    argv.push("--".into());
                    argv.push(file.clone());
                } else {
                    if proto == Proto::Xmodem {
                        // lrzsz rx without a file name receives a batch, like rb.
                        flags.notes.push(
                            "no file name: receiving a YMODEM batch into the current directory"
                                .into(),
                        );
                    }
                    argv.push(if flags.ymodem_g { "-g" } else { "-Y" }.into());
                    // lrzsz rb skips existing files (then crashes); we skip and go on.
                    if flags.rename {
                        argv.push("--rename".into());
                    } else if flags.overwrite && !flags.protect {
                        argv.push("--overwrite".into());
                    } else {
                        argv.push("--skip-existing".into());
                    }
                    argv.extend(timeout);
                }
                Plan::Run {
                    argv,
                    unreadable: 0,
                }
            }
        }
    }
}

/// lrzsz sends what it can open; a directory "is not a file".
pub(super) fn check_readable(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot open {}: {}", path.display(), io_reason(&e)))?;
    match file.metadata() {
        Ok(m) if m.is_dir() => Err(format!("is not a file: {}", path.display())),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("cannot open {}: {}", path.display(), io_reason(&e))),
    }
}

/// The OS's words for an I/O error, without Rust's " (os error N)".
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(at) => s[..at].to_owned(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    use clap::Parser;

    use super::super::options::{Parsed, Spec, parse, table};
    use crate::cli::args::Cli;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn flags(specs: &[Spec], list: &[&str]) -> Flags {
        match parse(specs, &args(list)) {
            Ok(Parsed::Run(f)) => f,
            other => panic!("{list:?}: {other:?}"),
        }
    }

    fn plan_of(argv0: &str, list: &[&str]) -> Plan {
        let p = Personality::from_argv0(OsStr::new(argv0)).expect("a personality");
        let mut f = flags(table(p.side), list);
        p.plan(&mut f, &|path| {
            if path.to_string_lossy().contains("missing") || path == Path::new("vv") {
                Err("cannot open".into())
            } else {
                Ok(())
            }
        })
    }

    fn run_argv(argv0: &str, list: &[&str]) -> String {
        match plan_of(argv0, list) {
            Plan::Run { argv, .. } => {
                let shown: Vec<_> = argv.iter().map(|a| a.to_string_lossy()).collect();
                shown.join(" ")
            }
            other => panic!("{argv0} {list:?}: {other:?}"),
        }
    }

    #[test]
    fn translations() {
        let t = run_argv;
        assert_eq!(t("sx", &["-vv", "f"]), "xyzmodem -v send -X -- f");
        assert_eq!(t("vsx", &["-k", "-b", "f"]), "xyzmodem -v send -X -k -- f");
        assert_eq!(
            t("sx", &["-q", "--ymodem", "f", "g"]),
            "xyzmodem -q send -Y --128 -- f g"
        );
        assert_eq!(
            t("sb", &["-k", "-t", "25", "f", "g"]),
            "xyzmodem send -Y --timeout 3 -- f g"
        );
        assert_eq!(
            t("sy", &["-f", "-O", "d/f"]),
            "xyzmodem send -Y --128 --full-path --timeout 86400 -- d/f"
        );
        assert_eq!(t("sb", &["-X", "f"]), "xyzmodem send -X -- f");
        assert_eq!(
            t("rx", &["-vv", "out"]),
            "xyzmodem -v recv -X --checksum --overwrite -- out"
        );
        assert_eq!(
            t("rx", &["-c", "-E", "out"]),
            "xyzmodem recv -X --rename -- out"
        );
        assert_eq!(
            t("rx", &["-c", "-p", "-y", "out"]),
            "xyzmodem recv -X -- out"
        );
        assert_eq!(t("rx", &[]), "xyzmodem recv -Y --skip-existing");
        assert_eq!(t("rb", &["-vv"]), "xyzmodem -v recv -Y --skip-existing");
        assert_eq!(
            t("rb", &["-y", "-t", "100"]),
            "xyzmodem recv -Y --overwrite --timeout 10"
        );
        assert_eq!(t("lrb", &["-E", "-y"]), "xyzmodem recv -Y --rename");
        assert_eq!(
            t("ry", &["-g", "-p", "-y"]),
            "xyzmodem recv -g --skip-existing"
        );
        assert_eq!(
            t("rb", &["-X", "out"]),
            "xyzmodem recv -X --checksum --overwrite -- out"
        );
        // Unreadable files are left out (and counted); with none left, exit 128.
        assert_eq!(
            plan_of("sb", &["a", "missing"]),
            Plan::Run {
                argv: args(&["xyzmodem", "send", "-Y", "--128", "--", "a"]),
                unreadable: 1
            }
        );
        // U-Boot's documented `sx -b vv FILE`: `vv` is a missing file, FILE is sent, exit 1.
        assert_eq!(
            plan_of("sx", &["-b", "vv", "f"]),
            Plan::Run {
                argv: args(&["xyzmodem", "send", "-X", "--", "f"]),
                unreadable: 1
            }
        );
    }

    #[test]
    fn zmodem_translations() {
        let t = run_argv;
        assert_eq!(t("sz", &["-vv", "f"]), "xyzmodem -v send -Z -- f");
        assert_eq!(
            t("sz", &["f", "--escape", "--binary", "--bufsize", "4096"]),
            "xyzmodem send -Z --escape all -- f"
        );
        assert_eq!(
            t("lsz", &["-8", "-r", "-y", "-t", "100", "f", "g"]),
            "xyzmodem send -Z --subpacket 8192 --resume --if-exists overwrite --timeout 10 -- f g"
        );
        assert_eq!(
            t("sz", &["-Y", "f"]),
            "xyzmodem send -Z --if-exists overwrite-or-skip -- f"
        );
        assert_eq!(
            t("sz", &["-4", "-L", "512", "-w", "4000", "-E", "f"]),
            "xyzmodem send -Z --subpacket 512 --window 3968 --if-exists rename -- f"
        );
        assert_eq!(
            t("sz", &["-l", "100", "-p", "f"]),
            "xyzmodem send -Z --subpacket 100 --window 256 --if-exists protect -- f"
        );
        assert_eq!(
            t("sz", &["-L", "24", "f"]),
            "xyzmodem send -Z --subpacket 32 -- f"
        );
        // -X / --ymodem switch the protocol; the ZMODEM options are then noted and ignored.
        assert_eq!(
            t("sz", &["-X", "-e", "-k", "f"]),
            "xyzmodem send -X -k -- f"
        );
        assert_eq!(
            t("sz", &["--ymodem", "-y", "f", "g"]),
            "xyzmodem send -Y --128 -- f g"
        );
        assert_eq!(
            t("sb", &["--zmodem", "-e", "f"]),
            "xyzmodem send -Z --escape all -- f"
        );
        // A telnet connection on stdin/stdout, as SEXYZ and BBS doors say it.
        assert_eq!(
            t("sz", &["--telnet", "f"]),
            "xyzmodem send -Z --telnet -- f"
        );
        assert_eq!(
            t("rz", &["--telnet"]),
            "xyzmodem recv -Z --skip-existing --telnet"
        );
        // Receivers.
        assert_eq!(t("rz", &[]), "xyzmodem recv -Z --skip-existing");
        assert_eq!(
            t("rz", &["-vv", "-b", "-E"]),
            "xyzmodem -v recv -Z --rename"
        );
        assert_eq!(
            t("lrz", &["-y", "-e", "-r", "-t", "50"]),
            "xyzmodem recv -Z --overwrite --resume --keep-partial --escape all --timeout 5"
        );
        assert_eq!(
            t("rz", &["-p", "-y", "-w", "2048"]),
            "xyzmodem recv -Z --skip-existing"
        );
        assert_eq!(
            t("rz", &["-X", "out"]),
            "xyzmodem recv -X --checksum --overwrite -- out"
        );
        assert_eq!(t("rz", &["--ymodem"]), "xyzmodem recv -Y --skip-existing");
        assert_eq!(t("rb", &["-Z", "-y"]), "xyzmodem recv -Z --overwrite");
    }

    /// What `-v` prints for options that do nothing for the protocol used.
    #[test]
    fn zmodem_notes() {
        let notes = |argv0, list: &[&str]| {
            let p = Personality::from_argv0(OsStr::new(argv0)).expect("a personality");
            let mut f = flags(table(p.side), list);
            let _ = p.plan(&mut f, &|_| Ok(()));
            f.notes
        };
        assert_eq!(
            notes("sx", &["-e", "-w", "1024", "f"]),
            [
                "ignoring -e: a ZMODEM option, X/YMODEM have nothing like it",
                "ignoring -w 1024: a ZMODEM option, X/YMODEM have nothing like it"
            ]
        );
        assert_eq!(
            notes("sz", &["-a", "-f", "d/f"]),
            [
                "ignoring -a: files are sent unchanged, as binary",
                "ignoring -f: ZMODEM names are sent as base names"
            ]
        );
        assert!(
            notes("rz", &["-w", "1400", "-C"])
                .contains(&"ignoring -w 1400: the receiver has no window to set".to_owned())
        );
        assert_eq!(
            notes("rb", &["-e"]),
            ["ignoring -e: a ZMODEM option, X/YMODEM have nothing like it"]
        );
        assert!(notes("sz", &["-Y", "-E", "f"])[0].contains("-Y's skip"));
    }

    #[test]
    fn translations_that_refuse() {
        let usage = |argv0, list: &[&str]| match plan_of(argv0, list) {
            Plan::Usage(msg) => msg,
            other => panic!("{argv0} {list:?}: {other:?}"),
        };
        assert!(usage("sx", &[]).contains("at least one file"));
        assert!(usage("sx", &["a", "b"]).contains("one file"));
        assert!(usage("sb", &["-"]).contains("stdin"));
        assert_eq!(usage("rb", &["out"]), "garbage on commandline");
        assert_eq!(usage("rx", &["a", "b"]), "garbage on commandline");
        assert!(usage("rx", &["-g", "out"]).contains("YMODEM-G"));
        assert_eq!(usage("rz", &["out"]), "garbage on commandline");
        assert_eq!(usage("rz", &["-Z", "out"]), "garbage on commandline");
        assert!(usage("rz", &["-g"]).contains("YMODEM-G"));
        assert!(usage("sz", &[]).contains("at least one file"));
    }

    /// Names typed on our own command line are the local user's: absolute and `..` paths are
    /// taken as given, with or without `-U`. `-R` refuses them, as lrzsz's restricted mode does.
    #[test]
    fn restricted_mode_refuses_names_outside_the_current_directory() {
        let t = run_argv;
        assert_eq!(
            t("rx", &["-c", "/tmp/out"]),
            "xyzmodem recv -X --overwrite -- /tmp/out"
        );
        assert_eq!(
            t("rx", &["-U", "-c", "../out"]),
            "xyzmodem recv -X --overwrite -- ../out"
        );
        assert_eq!(
            t("rx", &["-R", "-c", "d/out"]),
            "xyzmodem recv -X --overwrite -- d/out"
        );
        assert_eq!(plan_of("rx", &["-R", "/tmp/out"]), Plan::Exit(RESTRICTED));
        assert_eq!(
            plan_of("rx", &["-R", "d/../../out"]),
            Plan::Exit(RESTRICTED)
        );
        assert_eq!(
            t("rx", &["-R", "-U", "/tmp/out"]),
            "xyzmodem recv -X --checksum --overwrite -- /tmp/out"
        );
        assert_eq!(t("sx", &["/tmp/f"]), "xyzmodem send -X -- /tmp/f");
        assert_eq!(
            plan_of("sb", &["-R", "/etc/passwd", "../f", "f"]),
            Plan::Run {
                argv: args(&["xyzmodem", "send", "-Y", "--128", "--", "f"]),
                unreadable: 2
            }
        );
        assert_eq!(plan_of("sx", &["-R", "/etc/passwd"]), Plan::Exit(PROTOCOL));
    }

    #[test]
    fn every_translation_parses() {
        for (argv0, list) in [
            ("sx", &["-vv", "-k", "f"][..]),
            ("sb", &["-q", "f", "g"]),
            ("sy", &["-f", "-k", "-O", "d/f"]),
            ("rx", &["-vv", "-c", "out"]),
            ("rx", &["-E", "out"]),
            ("rb", &["-vv", "-y", "-t", "30"]),
            ("ry", &["-g", "-E"]),
            (
                "sz",
                &["-vv", "-8", "-w", "4096", "-e", "-r", "-Y", "f", "g"],
            ),
            ("sz", &["-l", "64", "-n", "f"]),
            ("rz", &["-vv", "-b", "-E", "-e", "-r", "-t", "30"]),
        ] {
            let Plan::Run { argv, .. } = plan_of(argv0, list) else {
                panic!("{argv0} {list:?}");
            };
            if let Err(e) = Cli::try_parse_from(&argv) {
                panic!("{argv0} {list:?} -> {argv:?}: {e}");
            }
        }
    }
}
