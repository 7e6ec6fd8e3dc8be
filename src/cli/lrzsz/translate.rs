//! Translation of a parsed lrzsz command line into the `xyzmodem` argv that does the same.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use xyzmodem::proto::cancel::CANCEL_SEQUENCE;

use super::exit::{PROTOCOL, RESTRICTED};
use super::options::Flags;
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

impl Personality {
    /// The global options and the subcommand's timeout, shared by both sides.
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
                match proto {
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
                    || (proto == Proto::Ymodem && !flags.operands.is_empty())
                {
                    return Plan::Usage("garbage on commandline".into());
                }
                argv.push("recv".into());
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
        let mut f = flags(table(p.side, p.proto), list);
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
