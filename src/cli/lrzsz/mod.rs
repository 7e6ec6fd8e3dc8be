//! lrzsz personalities: invoked as `sx`, `rx`, `sb`, `rb`, `sy` or `ry` (through a link made
//! by `xyzmodem install-links`), the binary takes lrzsz's command line, runs the equivalent
//! `xyzmodem send`/`recv` on stdin/stdout and exits with lrzsz's exit codes. docs/LRZSZ.md has
//! the flag table and the reasons for each choice.
//!
//! The lrzsz command line is parsed here by hand, the way lrzsz's `getopt_long` does it
//! (bundled short options, `-t50` and `-t 50`, `--opt=value`, unambiguous abbreviations of long
//! options, options after file names, `--`), and translated into an `xyzmodem` argv that clap
//! parses as usual: the personalities add no second implementation of a transfer.

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use xyzmodem::proto::cancel::CANCEL_SEQUENCE;

use super::args::Cli;
use Act::{Accept, Ignore, Unsupported};
use HasArg::{No, Optional, Required};

mod exit;
mod links;

use exit::{OK, PROTOCOL, RESTRICTED, USAGE};
pub use links::install_links;

// ---------------------------------------------------------------------------------------------
// Who are we?

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Send,
    Recv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Xmodem,
    Ymodem,
}

/// The lrzsz program the binary was invoked as.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Personality {
    /// The name for messages, as lrzsz prints it (`sx`, `lsx`).
    name: String,
    side: Side,
    /// The protocol the name selects; `-X` / `--ymodem` override it.
    proto: Proto,
    /// 1 when called with lrzsz's `v` prefix (`vsx`).
    verbose: u8,
}

impl Personality {
    /// lrzsz's `chkinvok()`: leading `-`s and the directory go, a `v` prefix means verbose, an
    /// `l` prefix is skipped (`lsx`). Unlike lrzsz (which looks at two letters only) the rest
    /// must be exactly one of the six names, so nothing else is ever taken for one.
    fn from_argv0(argv0: &OsStr) -> Option<Self> {
        let bytes = argv0.as_bytes();
        let bytes = &bytes[bytes.iter().take_while(|&&b| b == b'-').count()..];
        let base = bytes.rsplit(|&b| b == b'/').next().unwrap_or(bytes);
        let (verbose, name) = match base.strip_prefix(b"v") {
            Some(rest) => (1, rest),
            None => (0, base),
        };
        let short = name.strip_prefix(b"l").unwrap_or(name);
        let (side, proto) = match short {
            b"sx" => (Side::Send, Proto::Xmodem),
            b"sb" | b"sy" => (Side::Send, Proto::Ymodem),
            b"rx" => (Side::Recv, Proto::Xmodem),
            b"rb" | b"ry" => (Side::Recv, Proto::Ymodem),
            _ => return None,
        };
        Some(Self {
            name: String::from_utf8_lossy(name).into_owned(),
            side,
            proto,
            verbose,
        })
    }
}

/// Entry point for an lrzsz personality: `None` unless `argv[0]` names one.
pub fn main_if_personality() -> Option<ExitCode> {
    let mut args = std::env::args_os();
    let personality = Personality::from_argv0(&args.next()?)?;
    let rest: Vec<OsString> = args.collect();
    Some(ExitCode::from(personality.main(&rest)))
}

// ---------------------------------------------------------------------------------------------
// The options lrzsz knows

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HasArg {
    No,
    Required,
    /// Only as `--opt=value` (lrzsz's `--syslog[=off]`).
    Optional,
}

/// What an option does here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Verbose,
    Quiet,
    Help,
    Version,
    OneK,
    Crc,
    Rename,
    Overwrite,
    Protect,
    Xmodem,
    Ymodem,
    YmodemG,
    Timeout,
    NoTimeout,
    FullPath,
    /// `-R`: refuse file names on the command line that are absolute or climb with `..`.
    Restricted,
    /// `-U`: undo `-R` (the default here, see docs/LRZSZ.md).
    Unrestricted,
    /// Accepted: it asks for what xyzmodem does anyway (`-b`).
    Accept,
    /// Accepted and ignored; the text says why (shown with `-v`).
    Ignore(&'static str),
    /// Known to lrzsz but not supported: a usage error with this text.
    Unsupported(&'static str),
}

/// One lrzsz option: short letter, long names, argument, and what it does.
#[derive(Debug)]
struct Spec {
    short: Option<char>,
    long: &'static [&'static str],
    arg: HasArg,
    act: Act,
}

const fn opt(short: char, long: &'static [&'static str], arg: HasArg, act: Act) -> Spec {
    Spec {
        short: Some(short),
        long,
        arg,
        act,
    }
}

const fn long(long: &'static [&'static str], arg: HasArg, act: Act) -> Spec {
    Spec {
        short: None,
        long,
        arg,
        act,
    }
}

const Z_ONLY: &str = "a ZMODEM option, X/YMODEM have nothing like it";
const LINE: &str = "the terminal program sets up the line";
const BUFFERS: &str = "buffers are sized automatically";
const NO_LIMITS: &str = "there is no throughput limit or stop time";
const RECEIVER_DECIDES: &str = "with X/YMODEM the receiver decides about existing files";
const NO_COMMANDS: &str = "xyzmodem never runs commands and keeps names in the current directory";
const REMOTE_COMMANDS: &str = "remote commands are a ZMODEM feature and are not supported";
const ZMODEM: &str = "ZMODEM is not supported yet; use lrzsz's sz/rz";
const TCP: &str = "lrzsz's TCP side channel is not supported";

/// `sx`, `sb`, `sy`: lrzsz's `lsz.c` option table (`2+48abB:C:c:dfeEghHi:kL:l:m:M:NnOopRrqsSt:TUuvw:XYy`
/// and the long options), with what each one does here.
const SEND_OPTS: &[Spec] = &[
    opt('+', &["append"], No, Ignore(Z_ONLY)),
    opt('2', &["twostop"], No, Ignore(LINE)),
    opt('4', &["try-4k"], No, Ignore(Z_ONLY)),
    long(&["start-4k"], No, Ignore(Z_ONLY)),
    opt('8', &["try-8k"], No, Ignore(Z_ONLY)),
    long(&["start-8k"], No, Ignore(Z_ONLY)),
    opt(
        'a',
        &["ascii"],
        No,
        Ignore("files are sent unchanged, as binary"),
    ),
    opt('b', &["binary"], No, Accept),
    opt('B', &["bufsize"], Required, Ignore(BUFFERS)),
    opt('C', &["cmdtries"], Required, Ignore(Z_ONLY)),
    opt('c', &["command"], Required, Unsupported(REMOTE_COMMANDS)),
    opt(
        'i',
        &["immediate-command"],
        Required,
        Unsupported(REMOTE_COMMANDS),
    ),
    opt(
        'd',
        &["dot-to-slash"],
        No,
        Ignore("names are sent as they are"),
    ),
    opt('f', &["full-path"], No, Act::FullPath),
    opt('e', &["escape"], No, Ignore(Z_ONLY)),
    opt('E', &["rename"], No, Ignore(RECEIVER_DECIDES)),
    opt('h', &["help"], No, Act::Help),
    opt('H', &["crc-check"], No, Ignore(Z_ONLY)),
    opt('k', &["1k", "1024"], No, Act::OneK),
    opt('L', &["packetlen"], Required, Ignore(Z_ONLY)),
    opt('l', &["framelen"], Required, Ignore(Z_ONLY)),
    opt('m', &["min-bps"], Required, Ignore(NO_LIMITS)),
    opt('M', &["min-bps-time"], Required, Ignore(NO_LIMITS)),
    opt('n', &["newer"], No, Ignore(Z_ONLY)),
    opt('N', &["newer-or-longer"], No, Ignore(Z_ONLY)),
    opt('o', &["16-bit-crc"], No, Ignore(Z_ONLY)),
    opt(
        'O',
        &["disable-timeouts", "disable-timeout"],
        No,
        Act::NoTimeout,
    ),
    opt('p', &["protect"], No, Ignore(RECEIVER_DECIDES)),
    opt('r', &["resume"], No, Ignore(Z_ONLY)),
    opt('R', &["restricted"], No, Act::Restricted),
    opt('U', &["unrestrict"], No, Act::Unrestricted),
    opt('q', &["quiet"], No, Act::Quiet),
    opt('s', &["stop-at"], Required, Ignore(NO_LIMITS)),
    opt('S', &["timesync"], No, Ignore(Z_ONLY)),
    opt('t', &["timeout"], Required, Act::Timeout),
    opt('T', &["turbo"], No, Ignore(Z_ONLY)),
    opt(
        'u',
        &["unlink"],
        No,
        Ignore("the files are kept after sending"),
    ),
    opt('v', &["verbose"], No, Act::Verbose),
    opt('w', &["windowsize"], Required, Ignore(Z_ONLY)),
    opt('X', &["xmodem"], No, Act::Xmodem),
    long(&["ymodem"], No, Act::Ymodem),
    opt('Z', &["zmodem"], No, Unsupported(ZMODEM)),
    opt('y', &["overwrite"], No, Ignore(RECEIVER_DECIDES)),
    opt('Y', &["overwrite-or-skip"], No, Ignore(RECEIVER_DECIDES)),
    long(&["syslog"], Optional, Ignore("there is no syslog logging")),
    long(
        &["delay-startup"],
        Required,
        Ignore("the sender waits for the receiver anyway"),
    ),
    long(
        &["no-unixmode"],
        No,
        Ignore("the YMODEM header always carries the mode"),
    ),
    long(&["tcp-server"], No, Unsupported(TCP)),
    long(&["tcp-client"], Required, Unsupported(TCP)),
    long(&["version"], No, Act::Version),
];

/// `rx`, `rb`, `ry`: lrzsz's `lrz.c` option table (`a+bB:cCDeEhm:M:OprRqs:St:uUvw:XZy` and the
/// long options), plus `-g`/`--ymodem-g`, which lrzsz does not have (it cannot receive
/// YMODEM-G).
const RECV_OPTS: &[Spec] = &[
    opt(
        '+',
        &["append"],
        No,
        Unsupported("appending to existing files is not supported"),
    ),
    opt(
        'a',
        &["ascii"],
        No,
        Ignore("data is written unchanged, as binary"),
    ),
    opt('b', &["binary"], No, Accept),
    opt('B', &["bufsize"], Required, Ignore(BUFFERS)),
    opt('c', &["with-crc"], No, Act::Crc),
    opt(
        'C',
        &["allow-commands", "allow-remote-commands"],
        No,
        Ignore(NO_COMMANDS),
    ),
    opt(
        'D',
        &["null"],
        No,
        Unsupported("receiving into /dev/null is not supported"),
    ),
    opt('e', &["escape"], No, Ignore(Z_ONLY)),
    opt('E', &["rename"], No, Act::Rename),
    opt('h', &["help"], No, Act::Help),
    long(&["crc-check"], No, Ignore(Z_ONLY)),
    long(&["junk-path"], No, Accept),
    long(&["errors"], Required, Ignore("no errors are injected")),
    opt(
        'O',
        &["disable-timeouts", "disable-timeout"],
        No,
        Act::NoTimeout,
    ),
    opt('m', &["min-bps"], Required, Ignore(NO_LIMITS)),
    opt('M', &["min-bps-time"], Required, Ignore(NO_LIMITS)),
    long(&["newer"], No, Ignore(Z_ONLY)),
    long(&["newer-or-longer"], No, Ignore(Z_ONLY)),
    opt('p', &["protect"], No, Act::Protect),
    opt('r', &["resume"], No, Ignore(Z_ONLY)),
    opt('R', &["restricted"], No, Act::Restricted),
    opt('U', &["unrestrict"], No, Act::Unrestricted),
    opt('q', &["quiet"], No, Act::Quiet),
    opt('s', &["stop-at"], Required, Ignore(NO_LIMITS)),
    opt('S', &["timesync"], No, Ignore(Z_ONLY)),
    opt('t', &["timeout"], Required, Act::Timeout),
    opt('u', &["keep-uppercase"], No, Accept),
    opt('v', &["verbose"], No, Act::Verbose),
    opt('w', &["windowsize"], Required, Ignore(Z_ONLY)),
    opt('X', &["xmodem"], No, Act::Xmodem),
    long(&["ymodem"], No, Act::Ymodem),
    opt('g', &["ymodem-g"], No, Act::YmodemG),
    opt('Z', &["zmodem"], No, Unsupported(ZMODEM)),
    opt('y', &["overwrite"], No, Act::Overwrite),
    long(&["syslog"], Optional, Ignore("there is no syslog logging")),
    long(
        &["delay-startup"],
        Required,
        Ignore("the receiver starts at once"),
    ),
    long(
        &["o-sync", "o_sync"],
        No,
        Ignore("files are written as usual"),
    ),
    long(&["tcp-server"], No, Unsupported(TCP)),
    long(&["tcp-client"], Required, Unsupported(TCP)),
    long(&["version"], No, Act::Version),
];

// ---------------------------------------------------------------------------------------------
// Parsing, getopt_long style

/// What the lrzsz command line asked for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Flags {
    verbose: u8,
    quiet: bool,
    one_k: bool,
    crc: bool,
    rename: bool,
    overwrite: bool,
    protect: bool,
    proto: Option<Proto>,
    ymodem_g: bool,
    /// Seconds (lrzsz's tenths, rounded up).
    timeout: Option<u64>,
    no_timeout: bool,
    full_path: bool,
    /// `-R` without a later `-U`.
    restricted: bool,
    /// Ignored options, for `-v`.
    notes: Vec<String>,
    operands: Vec<OsString>,
}

#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    Run(Flags),
    Help,
    Version,
}

/// lrzsz's `-t`: tenths of a second, 10 to 1000.
fn parse_timeout(value: &str) -> Result<u64, String> {
    let tenths: u64 = value
        .parse()
        .map_err(|_| format!("invalid timeout `{value}'"))?;
    if !(10..=1000).contains(&tenths) {
        return Err("timeout out of range 10..1000".into());
    }
    Ok(tenths.div_ceil(10))
}

impl Flags {
    /// Applies one option; `shown` is how it was typed (`-t`, `--timeout`).
    fn apply(&mut self, spec: &Spec, shown: &str, value: Option<&str>) -> Result<(), String> {
        match spec.act {
            Act::Verbose => {
                self.verbose = self.verbose.saturating_add(1);
                self.quiet = false;
            }
            Act::Quiet => {
                self.quiet = true;
                self.verbose = 0;
            }
            Act::Help | Act::Version => {}
            Act::OneK => self.one_k = true,
            Act::Crc => self.crc = true,
            Act::Rename => self.rename = true,
            Act::Overwrite => self.overwrite = true,
            Act::Protect => self.protect = true,
            Act::Xmodem => self.proto = Some(Proto::Xmodem),
            Act::Ymodem => self.proto = Some(Proto::Ymodem),
            Act::YmodemG => self.ymodem_g = true,
            Act::Timeout => self.timeout = Some(parse_timeout(value.unwrap_or_default())?),
            Act::NoTimeout => self.no_timeout = true,
            Act::FullPath => self.full_path = true,
            Act::Restricted => self.restricted = true,
            Act::Unrestricted => self.restricted = false,
            Act::Accept => {}
            Act::Ignore(why) => {
                let shown = match value {
                    Some(v) => format!("{shown} {v}"),
                    None => shown.to_owned(),
                };
                self.notes.push(format!("ignoring {shown}: {why}"));
            }
            Act::Unsupported(why) => return Err(format!("{shown}: {why}")),
        }
        Ok(())
    }
}

/// The spec for `--name`: an exact match, or the only option that `name` abbreviates.
fn find_long<'a>(specs: &'a [Spec], name: &str) -> Result<&'a Spec, String> {
    if let Some(spec) = specs.iter().find(|s| s.long.contains(&name)) {
        return Ok(spec);
    }
    let matches: Vec<(&Spec, &str)> = specs
        .iter()
        .flat_map(|s| s.long.iter().map(move |l| (s, *l)))
        .filter(|(_, l)| l.starts_with(name))
        .collect();
    match matches.as_slice() {
        [] => Err(format!("unrecognized option '--{name}'")),
        [(first, _), rest @ ..] if rest.iter().all(|(s, _)| std::ptr::eq(*s, *first)) => Ok(first),
        _ => {
            let names: Vec<String> = matches.iter().map(|(_, l)| format!("'--{l}'")).collect();
            Err(format!(
                "option '--{name}' is ambiguous; possibilities: {}",
                names.join(" ")
            ))
        }
    }
}

/// Parses lrzsz's arguments the way its `getopt_long` does.
fn parse(specs: &[Spec], args: &[OsString]) -> Result<Parsed, String> {
    let mut flags = Flags::default();
    let mut i = 0;
    let mut operands_only = false;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let bytes = arg.as_bytes();
        if operands_only || bytes.len() < 2 || bytes[0] != b'-' {
            flags.operands.push(arg.clone());
            continue;
        }
        if bytes == b"--" {
            operands_only = true;
            continue;
        }
        let Some(text) = arg.to_str() else {
            return Err(format!("invalid option '{}'", arg.to_string_lossy()));
        };
        if let Some(body) = text.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let spec = find_long(specs, name)?;
            let shown = format!(
                "--{}",
                spec.long
                    .iter()
                    .find(|l| l.starts_with(name))
                    .unwrap_or(&name)
            );
            let value = match (spec.arg, inline) {
                (No, Some(_)) => return Err(format!("option '{shown}' doesn't allow an argument")),
                (No, None) | (Optional, None) => None,
                (Optional | Required, Some(v)) => Some(v.to_owned()),
                (Required, None) => {
                    let v = args
                        .get(i)
                        .ok_or_else(|| format!("option '{shown}' requires an argument"))?;
                    i += 1;
                    Some(v.to_string_lossy().into_owned())
                }
            };
            match spec.act {
                Act::Help => return Ok(Parsed::Help),
                Act::Version => return Ok(Parsed::Version),
                _ => flags.apply(spec, &shown, value.as_deref())?,
            }
            continue;
        }
        // A bundle of short options: `-vvk`, `-t50`, `-t 50`.
        let letters = &text[1..];
        for (at, c) in letters.char_indices() {
            let spec = specs
                .iter()
                .find(|s| s.short == Some(c))
                .ok_or_else(|| format!("invalid option -- '{c}'"))?;
            let shown = format!("-{c}");
            let value = if spec.arg == Required {
                let rest = &letters[at + c.len_utf8()..];
                if rest.is_empty() {
                    let v = args
                        .get(i)
                        .ok_or_else(|| format!("option requires an argument -- '{c}'"))?;
                    i += 1;
                    Some(v.to_string_lossy().into_owned())
                } else {
                    Some(rest.to_owned())
                }
            } else {
                None
            };
            match spec.act {
                Act::Help => return Ok(Parsed::Help),
                Act::Version => return Ok(Parsed::Version),
                _ => flags.apply(spec, &shown, value.as_deref())?,
            }
            if value.is_some() {
                break;
            }
        }
    }
    Ok(Parsed::Run(flags))
}

// ---------------------------------------------------------------------------------------------
// Translation into an xyzmodem command line

/// What to do after the lrzsz command line was understood.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
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
    fn specs(&self) -> &'static [Spec] {
        match self.side {
            Side::Send => SEND_OPTS,
            Side::Recv => RECV_OPTS,
        }
    }

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
    fn plan(&self, flags: &mut Flags, open: &dyn Fn(&Path) -> Result<(), String>) -> Plan {
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

    /// The lrzsz program: parse, translate, run, map the exit code.
    fn main(&self, args: &[OsString]) -> u8 {
        let mut flags = match parse(self.specs(), args) {
            Ok(Parsed::Run(flags)) => flags,
            Ok(Parsed::Help) => {
                print!("{}", self.help());
                return OK;
            }
            Ok(Parsed::Version) => {
                println!("{} (xyzmodem) {}", self.name, env!("CARGO_PKG_VERSION"));
                return OK;
            }
            Err(msg) => return self.usage_error(&msg),
        };
        let plan = self.plan(&mut flags, &|path| check_readable(path));
        let talk = !flags.quiet && flags.verbose + self.verbose > 0;
        if talk {
            for note in &flags.notes {
                eprintln!("{}: {note}", self.name);
            }
        }
        let (argv, unreadable) = match plan {
            Plan::Run { argv, unreadable } => (argv, unreadable),
            Plan::Exit(code) => return code,
            Plan::Usage(msg) => return self.usage_error(&msg),
        };
        if talk {
            let shown: Vec<_> = argv.iter().map(|a| a.to_string_lossy()).collect();
            eprintln!("{}: running as: {}", self.name, shown.join(" "));
        }
        let cli = match Cli::try_parse_from(&argv) {
            Ok(cli) => cli,
            Err(e) => {
                eprintln!("{}: {}", self.name, e.to_string().trim_end());
                return USAGE;
            }
        };
        exit::record_signals();
        let result = super::run(&cli);
        if let Err(e) = &result {
            eprintln!("{}: error: {e:#}", self.name);
        }
        exit::lrzsz_code(&result, unreadable > 0)
    }

    fn usage_error(&self, msg: &str) -> u8 {
        eprintln!("{}: {msg}", self.name);
        eprintln!("Try `{} --help' for more information.", self.name);
        USAGE
    }

    fn help(&self) -> String {
        let name = &self.name;
        let (what, usage, options) = match self.side {
            Side::Send => (
                "Send file(s) with XMODEM (sx) or YMODEM (sb, sy) on stdin/stdout",
                format!("{name} [options] file ..."),
                "  -k, --1k             1024-byte blocks (default: 128, as lrzsz)\n\
                 \x20 -f, --full-path      YMODEM: send relative paths as given\n",
            ),
            Side::Recv => (
                "Receive file(s) with XMODEM (rx) or YMODEM (rb, ry) on stdin/stdout",
                format!("{name} [options] [filename.if.xmodem]"),
                "  -c, --with-crc       XMODEM: ask for CRC-16 (default: checksum, as lrzsz)\n\
                 \x20 -E, --rename         keep an existing file, store the new one as NAME.1\n\
                 \x20 -y, --overwrite      replace existing files (once the new one is complete)\n\
                 \x20 -p, --protect        rx: keep an existing FILE and fail; rb: skip (default)\n\
                 \x20 -g, --ymodem-g       YMODEM: ask for YMODEM-G streaming (not in lrzsz)\n",
            ),
        };
        format!(
            "{name} (xyzmodem {version}): the lrzsz command line on xyzmodem\n\
             Usage: {usage}\n\
             {what}.\n\n\
             \x20 -v, --verbose        say more (repeat as you like)\n\
             \x20 -q, --quiet          errors only\n\
             \x20 -b, --binary         binary transfer (always)\n\
             {options}\
             \x20 -X, --xmodem         use XMODEM\n\
             \x20     --ymodem         use YMODEM\n\
             \x20 -t, --timeout N      wait N tenths of a second for the other side (10..1000)\n\
             \x20 -O, --disable-timeouts  wait (nearly) forever\n\
             \x20 -h, --help           this message\n\n\
             Other lrzsz options are accepted and ignored (-v says so); ZMODEM, remote\n\
             commands and TCP are not supported. Exit codes as lrzsz: 0 success, 1 setup\n\
             error or some files unreadable, 2 command line, 128 transfer failed,\n\
             128+N killed by signal N. See docs/LRZSZ.md and `xyzmodem --help`.\n",
            version = env!("CARGO_PKG_VERSION"),
        )
    }
}

/// lrzsz sends what it can open; a directory "is not a file".
fn check_readable(path: &Path) -> Result<(), String> {
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

    fn who(argv0: &str) -> Option<(String, Side, Proto, u8)> {
        Personality::from_argv0(OsStr::new(argv0)).map(|p| (p.name, p.side, p.proto, p.verbose))
    }

    #[test]
    fn names() {
        use {Proto::*, Side::*};
        assert_eq!(who("sx"), Some(("sx".into(), Send, Xmodem, 0)));
        assert_eq!(
            who("/usr/local/bin/rb"),
            Some(("rb".into(), Recv, Ymodem, 0))
        );
        assert_eq!(who("-lsy"), Some(("lsy".into(), Send, Ymodem, 0)));
        assert_eq!(who("vlrx"), Some(("lrx".into(), Recv, Xmodem, 1)));
        assert_eq!(who("dir/vry"), Some(("ry".into(), Recv, Ymodem, 1)));
        assert_eq!(who("sb"), Some(("sb".into(), Send, Ymodem, 0)));
        for other in [
            "xyzmodem",
            "sz",
            "rz",
            "lvsx",
            "sxx",
            "s",
            "",
            "/",
            "v",
            "l",
            "target/debug/xyzmodem",
        ] {
            assert_eq!(who(other), None, "{other}");
        }
    }

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn flags(specs: &[Spec], list: &[&str]) -> Flags {
        match parse(specs, &args(list)) {
            Ok(Parsed::Run(f)) => f,
            other => panic!("{list:?}: {other:?}"),
        }
    }

    #[test]
    fn getopt_style() {
        let f = flags(
            SEND_OPTS,
            &["-vvk", "-t50", "a", "--timeo", "15", "-b", "--", "-x"],
        );
        assert_eq!(f.verbose, 2);
        assert!(f.one_k);
        assert_eq!(f.timeout, Some(2));
        assert_eq!(f.operands, args(&["a", "-x"]));
        let f = flags(SEND_OPTS, &["--timeout=100", "--1024", "--ymo", "f", "-"]);
        assert_eq!(
            (f.timeout, f.one_k, f.proto),
            (Some(10), true, Some(Proto::Ymodem))
        );
        assert_eq!(f.operands, args(&["f", "-"]));
        let f = flags(
            SEND_OPTS,
            &[
                "--disable-timeout",
                "-w",
                "1024",
                "--syslog=off",
                "-aT",
                "f",
            ],
        );
        assert!(f.no_timeout);
        assert_eq!(f.notes.len(), 4, "{:?}", f.notes);
        assert!(
            f.notes[0].starts_with("ignoring -w 1024: "),
            "{:?}",
            f.notes
        );
        let f = flags(RECV_OPTS, &["-vv", "-c", "-E", "-qy", "out"]);
        assert!(f.quiet && f.crc && f.rename && f.overwrite && f.verbose == 0);
        assert_eq!(
            parse(SEND_OPTS, &args(&["-k", "-h", "--bogus"])),
            Ok(Parsed::Help)
        );
        assert_eq!(parse(RECV_OPTS, &args(&["--vers"])), Ok(Parsed::Version));
    }

    #[test]
    fn getopt_errors() {
        let err = |specs, list: &[&str]| parse(specs, &args(list)).expect_err("an error");
        assert_eq!(
            err(SEND_OPTS, &["--bogus"]),
            "unrecognized option '--bogus'"
        );
        assert_eq!(err(SEND_OPTS, &["-g", "f"]), "invalid option -- 'g'");
        assert_eq!(err(RECV_OPTS, &["-k"]), "invalid option -- 'k'");
        assert_eq!(
            err(SEND_OPTS, &["-t"]),
            "option requires an argument -- 't'"
        );
        assert_eq!(
            err(SEND_OPTS, &["-t", "5"]),
            "timeout out of range 10..1000"
        );
        assert_eq!(err(SEND_OPTS, &["-t", "abc"]), "invalid timeout `abc'");
        assert_eq!(
            err(SEND_OPTS, &["--timeout"]),
            "option '--timeout' requires an argument"
        );
        assert_eq!(
            err(SEND_OPTS, &["--1k=3"]),
            "option '--1k' doesn't allow an argument"
        );
        assert!(err(SEND_OPTS, &["--time=50"]).contains("is ambiguous"));
        assert!(err(SEND_OPTS, &["-Z", "f"]).contains("ZMODEM"));
        assert!(err(SEND_OPTS, &["-c", "ls"]).contains("remote commands"));
        assert!(err(RECV_OPTS, &["-+", "f"]).contains("append"));
    }

    fn plan_of(argv0: &str, list: &[&str]) -> Plan {
        let p = Personality::from_argv0(OsStr::new(argv0)).expect("a personality");
        let mut f = flags(p.specs(), list);
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
