//! lrzsz's options for each program and what each does here, and the parser that reads them
//! the way lrzsz's `getopt_long` does: bundled short options (`-vvk`), `-t50` and `-t 50`,
//! `--opt=value`, unambiguous abbreviations of long options, options after file names, `--`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use super::personality::{Proto, Side};
use Act::{Accept, Ignore, Unsupported};
use HasArg::{No, Optional, Required};

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
pub(super) struct Spec {
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

/// The option table of a program. lrzsz's `sz` and `rz` read the same two tables, but ZMODEM
/// gives many of these options a meaning: with the protocol in the key, they can have tables of
/// their own.
pub(super) fn table(side: Side, proto: Proto) -> &'static [Spec] {
    match (side, proto) {
        (Side::Send, Proto::Xmodem | Proto::Ymodem) => SEND_OPTS,
        (Side::Recv, Proto::Xmodem | Proto::Ymodem) => RECV_OPTS,
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing, getopt_long style

/// What the lrzsz command line asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Flags {
    pub(super) verbose: u8,
    pub(super) quiet: bool,
    pub(super) one_k: bool,
    pub(super) crc: bool,
    pub(super) rename: bool,
    pub(super) overwrite: bool,
    pub(super) protect: bool,
    pub(super) proto: Option<Proto>,
    pub(super) ymodem_g: bool,
    /// Seconds (lrzsz's tenths, rounded up).
    pub(super) timeout: Option<u64>,
    pub(super) no_timeout: bool,
    pub(super) full_path: bool,
    /// `-R` without a later `-U`.
    pub(super) restricted: bool,
    /// Ignored options, for `-v`.
    pub(super) notes: Vec<String>,
    pub(super) operands: Vec<OsString>,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Parsed {
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
pub(super) fn parse(specs: &[Spec], args: &[OsString]) -> Result<Parsed, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
