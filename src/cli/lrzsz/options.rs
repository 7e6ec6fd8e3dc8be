//! lrzsz's options for each program and what each does here, and the parser that reads them
//! the way lrzsz's `getopt_long` does: bundled short options (`-vvk`), `-t50` and `-t 50`,
//! `--opt=value`, unambiguous abbreviations of long options, options after file names, `--`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use xyzmodem::proto::zmodem::Management;

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
    /// `--zmodem` (`-Z` for the receivers).
    Zmodem,
    /// ZMODEM `-e`: escape every control character (`--escape all`; ESCCTL for a receiver).
    Escape,
    /// ZMODEM `-r`: resume.
    Resume,
    /// ZMODEM `-w N`: the sender's window, lrzsz's rounding (a receiver ignores it).
    Window,
    /// ZMODEM `-4`, `-8`, `--start-4k`, `--start-8k`: subpackets of this many bytes.
    Block(u16),
    /// ZMODEM `-L N`: subpackets of at most N bytes (24..8192).
    PacketLen,
    /// ZMODEM `-l N`: frames of N bytes (32..8192), each acknowledged.
    FrameLen,
    /// ZMODEM `ZFILE` F1: what the receiver should do with a file it has (`-y`, `-E`, ...),
    /// and whether to skip a file it does not have (`-Y`: `ZMSKNOLOC`).
    Manage(Management, bool),
    /// `--telnet` (SEXYZ's and BBS doors' name): stdin/stdout is a telnet connection.
    Telnet,
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

/// The note for a ZMODEM option when the protocol is X/YMODEM (`sz -X -e`, `sx -w 1024`).
pub(super) const Z_ONLY: &str = "a ZMODEM option, X/YMODEM have nothing like it";
const LINE: &str = "the terminal program sets up the line";
const BUFFERS: &str = "buffers are sized automatically";
const NO_LIMITS: &str = "there is no throughput limit or stop time";
const NO_COMMANDS: &str = "xyzmodem never runs commands and keeps names in the current directory";
const REMOTE_COMMANDS: &str = "xyzmodem never sends commands for the other side to run (ZCOMMAND)";
const TCP: &str = "lrzsz's TCP side channel is not supported";
const TIMESYNC: &str = "clocks are not synchronised";
const OWN_RULES: &str = "existing files are replaced, renamed or kept by -y, -E and -p only";

/// `sz`, `sx`, `sb`, `sy`: lrzsz's `lsz.c` option table
/// (`2+48abB:C:c:dfeEghHi:kL:l:m:M:NnOopRrqsSt:TUuvw:XYy` and the long options), with what
/// each one does here. lrzsz's senders are one program, so they share it; the ZMODEM options
/// are noted and ignored when the protocol is X/YMODEM. `-Z` is not in lrzsz's short options
/// (`sz -Z` is an invalid option); `--zmodem` is.
const SEND_OPTS: &[Spec] = &[
    opt('+', &["append"], No, Act::Manage(Management::Append, false)),
    opt('2', &["twostop"], No, Ignore(LINE)),
    opt('4', &["try-4k"], No, Act::Block(4096)),
    long(&["start-4k"], No, Act::Block(4096)),
    opt('8', &["try-8k"], No, Act::Block(8192)),
    long(&["start-8k"], No, Act::Block(8192)),
    opt(
        'a',
        &["ascii"],
        No,
        Ignore("files are sent unchanged, as binary"),
    ),
    opt('b', &["binary"], No, Accept),
    opt('B', &["bufsize"], Required, Ignore(BUFFERS)),
    long(&["telnet"], No, Act::Telnet),
    opt(
        'C',
        &["command-tries", "cmdtries"],
        Required,
        Ignore(REMOTE_COMMANDS),
    ),
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
    opt('e', &["escape"], No, Act::Escape),
    opt('E', &["rename"], No, Act::Manage(Management::Rename, false)),
    opt('h', &["help"], No, Act::Help),
    opt('H', &["crc-check"], No, Act::Manage(Management::Crc, false)),
    opt('k', &["1k", "1024"], No, Act::OneK),
    opt('L', &["packetlen"], Required, Act::PacketLen),
    opt('l', &["framelen"], Required, Act::FrameLen),
    opt('m', &["min-bps"], Required, Ignore(NO_LIMITS)),
    opt('M', &["min-bps-time"], Required, Ignore(NO_LIMITS)),
    opt('n', &["newer"], No, Act::Manage(Management::Newer, false)),
    opt(
        'N',
        &["newer-or-longer"],
        No,
        Act::Manage(Management::NewerOrLonger, false),
    ),
    opt(
        'o',
        &["16-bit-crc"],
        No,
        Ignore("ZMODEM uses the 32-bit CRC whenever the receiver offers it"),
    ),
    opt(
        'O',
        &["disable-timeouts", "disable-timeout"],
        No,
        Act::NoTimeout,
    ),
    opt(
        'p',
        &["protect"],
        No,
        Act::Manage(Management::Protect, false),
    ),
    opt('r', &["resume"], No, Act::Resume),
    opt('R', &["restricted"], No, Act::Restricted),
    opt('U', &["unrestrict"], No, Act::Unrestricted),
    opt('q', &["quiet"], No, Act::Quiet),
    opt('s', &["stop-at"], Required, Ignore(NO_LIMITS)),
    opt('S', &["timesync"], No, Ignore(TIMESYNC)),
    opt('t', &["timeout"], Required, Act::Timeout),
    opt(
        'T',
        &["turbo"],
        No,
        Ignore("DLE and CR after @ are always escaped"),
    ),
    opt(
        'u',
        &["unlink"],
        No,
        Ignore("the files are kept after sending"),
    ),
    opt('v', &["verbose"], No, Act::Verbose),
    opt('w', &["windowsize"], Required, Act::Window),
    opt('X', &["xmodem"], No, Act::Xmodem),
    long(&["ymodem"], No, Act::Ymodem),
    long(&["zmodem"], No, Act::Zmodem),
    opt(
        'y',
        &["overwrite"],
        No,
        Act::Manage(Management::Overwrite, false),
    ),
    opt(
        'Y',
        &["overwrite-or-skip"],
        No,
        Act::Manage(Management::Overwrite, true),
    ),
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

/// `rz`, `rx`, `rb`, `ry`: lrzsz's `lrz.c` option table (`a+bB:cCDeEhm:M:OprRqs:St:uUvw:XZy`
/// and the long options), plus `-g`/`--ymodem-g`, which lrzsz does not have (it cannot
/// receive YMODEM-G).
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
    long(&["telnet"], No, Act::Telnet),
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
    opt('e', &["escape"], No, Act::Escape),
    opt('E', &["rename"], No, Act::Rename),
    opt('h', &["help"], No, Act::Help),
    long(&["crc-check"], No, Ignore(OWN_RULES)),
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
    long(&["newer"], No, Ignore(OWN_RULES)),
    long(&["newer-or-longer"], No, Ignore(OWN_RULES)),
    opt('p', &["protect"], No, Act::Protect),
    opt('r', &["resume"], No, Act::Resume),
    opt('R', &["restricted"], No, Act::Restricted),
    opt('U', &["unrestrict"], No, Act::Unrestricted),
    opt('q', &["quiet"], No, Act::Quiet),
    opt('s', &["stop-at"], Required, Ignore(NO_LIMITS)),
    opt('S', &["timesync"], No, Ignore(TIMESYNC)),
    opt('t', &["timeout"], Required, Act::Timeout),
    opt('u', &["keep-uppercase"], No, Accept),
    opt('v', &["verbose"], No, Act::Verbose),
    opt('w', &["windowsize"], Required, Act::Window),
    opt('X', &["xmodem"], No, Act::Xmodem),
    long(&["ymodem"], No, Act::Ymodem),
    opt('g', &["ymodem-g"], No, Act::YmodemG),
    opt('Z', &["zmodem"], No, Act::Zmodem),
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

/// The option table of a program: lrzsz's senders share one table and its receivers another
/// (they are one program each); the protocol the command line ends up with decides what the
/// ZMODEM options do (`translate`).
pub(super) fn table(side: Side) -> &'static [Spec] {
    match side {
        Side::Send => SEND_OPTS,
        Side::Recv => RECV_OPTS,
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
    /// ZMODEM `-e`.
    pub(super) escape: bool,
    /// ZMODEM `-r`.
    pub(super) resume: bool,
    /// ZMODEM `-w`: the window, rounded as lrzsz does (at least 256, a multiple of 64).
    pub(super) window: Option<u32>,
    /// ZMODEM `-4`/`-8`/`--start-*`: the largest subpacket asked for.
    pub(super) block: Option<u16>,
    /// ZMODEM `-L`.
    pub(super) packet_len: Option<u16>,
    /// ZMODEM `-l`.
    pub(super) frame_len: Option<u16>,
    /// ZMODEM `ZFILE` F1 from the last of `-y -Y -E -p -n -N -+ -H`.
    pub(super) manage: Option<Management>,
    /// ZMODEM `ZFILE` F1's `ZMSKNOLOC` (`-Y`): once given, kept whatever follows, as in
    /// lrzsz.
    pub(super) skip_absent: bool,
    /// The ZMODEM options given (as typed), for the notes when the protocol is X/YMODEM.
    pub(super) zmodem_options: Vec<String>,
    /// `--telnet`.
    pub(super) telnet: bool,
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

/// A number for `what`, in `range`, with lrzsz's messages.
fn parse_len(value: &str, what: &str, range: std::ops::RangeInclusive<u16>) -> Result<u16, String> {
    let n: u64 = value
        .parse()
        .map_err(|_| format!("invalid {what} `{value}'"))?;
    u16::try_from(n)
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| format!("{what} out of range {}..{}", range.start(), range.end()))
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
            Act::Telnet => self.telnet = true,
            Act::Restricted => self.restricted = true,
            Act::Unrestricted => self.restricted = false,
            Act::Zmodem => self.proto = Some(Proto::Zmodem),
            Act::Escape => self.escape = true,
            Act::Resume => self.resume = true,
            Act::Window => {
                let v = value.unwrap_or_default();
                let n: u32 = v
                    .parse()
                    .map_err(|_| format!("invalid window size `{v}'"))?;
                self.window = Some(n.max(256) / 64 * 64);
            }
            Act::Block(n) => self.block = Some(n),
            Act::PacketLen => {
                let v = value.unwrap_or_default();
                self.packet_len = Some(parse_len(v, "packetlength", 24..=8192)?);
            }
            Act::FrameLen => {
                let v = value.unwrap_or_default();
                self.frame_len = Some(parse_len(v, "framelength", 32..=8192)?);
            }
            Act::Manage(request, skip_absent) => {
                self.manage = Some(request);
                self.skip_absent |= skip_absent;
            }
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
        if matches!(
            spec.act,
            Act::Escape
                | Act::Resume
                | Act::Window
                | Act::Block(_)
                | Act::PacketLen
                | Act::FrameLen
                | Act::Manage(..)
        ) {
            self.zmodem_options.push(match value {
                Some(v) => format!("{shown} {v}"),
                None => shown.to_owned(),
            });
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
        assert_eq!(f.notes.len(), 3, "{:?}", f.notes);
        assert!(
            f.notes[0].starts_with("ignoring --syslog off: "),
            "{:?}",
            f.notes
        );
        assert_eq!(
            (f.window, &f.zmodem_options[..]),
            (Some(1024), &["-w 1024".to_owned()][..])
        );
        let f = flags(RECV_OPTS, &["-vv", "-c", "-E", "-qy", "out"]);
        assert!(f.quiet && f.crc && f.rename && f.overwrite && f.verbose == 0);
        assert_eq!(
            parse(SEND_OPTS, &args(&["-k", "-h", "--bogus"])),
            Ok(Parsed::Help)
        );
        assert_eq!(parse(RECV_OPTS, &args(&["--vers"])), Ok(Parsed::Version));
    }

    /// The ZMODEM options of `sz`/`rz` with lrzsz's meanings (`-Y` is overwrite-or-skip,
    /// not YMODEM), also after the file names (iTerm2's `sz FILE --escape --binary ...`).
    #[test]
    fn zmodem_options() {
        let f = flags(
            SEND_OPTS,
            &["f", "--escape", "--binary", "--bufsize", "4096", "-r", "-8"],
        );
        assert!(f.escape && f.resume && f.block == Some(8192));
        assert_eq!(f.operands, args(&["f"]));
        assert_eq!(
            f.notes,
            ["ignoring --bufsize 4096: buffers are sized automatically"]
        );
        let f = flags(SEND_OPTS, &["-Y", "f"]);
        assert_eq!(
            (f.manage, f.skip_absent, f.proto),
            (Some(Management::Overwrite), true, None)
        );
        let f = flags(
            SEND_OPTS,
            &["-y", "-E", "-w", "1000", "-L", "100", "-l", "200", "f"],
        );
        assert_eq!((f.manage, f.skip_absent), (Some(Management::Rename), false));
        assert_eq!(
            (f.window, f.packet_len, f.frame_len),
            (Some(960), Some(100), Some(200))
        );
        let f = flags(SEND_OPTS, &["-Y", "-p", "-w", "10", "--zmodem", "f"]);
        assert_eq!(
            (f.manage, f.skip_absent),
            (Some(Management::Protect), true),
            "-Y's skip stays, as in lrzsz"
        );
        assert_eq!((f.window, f.proto), (Some(256), Some(Proto::Zmodem)));
        let f = flags(RECV_OPTS, &["-vv", "-b", "-E", "-e", "-r", "-Z"]);
        assert!(f.rename && f.escape && f.resume && f.verbose == 2);
        assert_eq!(f.proto, Some(Proto::Zmodem));
        assert!(f.notes.is_empty(), "{:?}", f.notes);
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
        // lrzsz's sz has no short -Z (only --zmodem).
        assert_eq!(err(SEND_OPTS, &["-Z", "f"]), "invalid option -- 'Z'");
        assert_eq!(
            err(SEND_OPTS, &["-L", "10", "f"]),
            "packetlength out of range 24..8192"
        );
        assert_eq!(
            err(SEND_OPTS, &["-l", "9000", "f"]),
            "framelength out of range 32..8192"
        );
        assert_eq!(
            err(SEND_OPTS, &["-w", "abc", "f"]),
            "invalid window size `abc'"
        );
        assert_eq!(err(RECV_OPTS, &["-w", "x"]), "invalid window size `x'");
        for short in ["-8", "-Y", "-L"] {
            assert!(err(RECV_OPTS, &[short, "1"]).starts_with("invalid option"));
        }
        assert!(err(SEND_OPTS, &["-c", "ls"]).contains("never sends commands"));
        assert!(err(RECV_OPTS, &["-+", "f"]).contains("append"));
    }
}
