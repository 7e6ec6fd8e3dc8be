//! lrzsz personalities: invoked as `sz`, `rz`, `sx`, `rx`, `sb`, `rb`, `sy` or `ry` (through a link made
//! by `xyzmodem install-links`), the binary takes lrzsz's command line, runs the equivalent
//! `xyzmodem send`/`recv` on stdin/stdout and exits with lrzsz's exit codes. docs/LRZSZ.md has
//! the flag table and the reasons for each choice.
//!
//! The lrzsz command line is parsed by hand the way lrzsz's `getopt_long` does it (`options`)
//! and translated into an `xyzmodem` argv that clap parses as usual (`translate`): the
//! personalities add no second implementation of a transfer. `personality` tells from
//! `argv[0]` which program to be, `exit` maps the outcome to lrzsz's exit codes, and `links` is
//! `xyzmodem install-links`. This file runs one program from start to end.

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

use super::args::Cli;

mod exit;
mod links;
mod options;
mod personality;
mod translate;

use exit::{OK, USAGE};
pub use links::install_links;
use options::{Parsed, parse};
use personality::{Personality, Proto, Side};
use translate::{Plan, check_readable};

/// Runs a parsed `xyzmodem` command line: the CLI's `run`, passed in so that this module does
/// not import the module that imports it.
pub type Run = fn(&Cli) -> anyhow::Result<()>;

/// Entry point for an lrzsz personality: `None` unless `argv[0]` names one.
pub fn main_if_personality(run: Run) -> Option<ExitCode> {
    let mut args = std::env::args_os();
    let personality = Personality::from_argv0(&args.next()?)?;
    let rest: Vec<OsString> = args.collect();
    Some(ExitCode::from(personality.main(&rest, run)))
}

impl Personality {
    /// The lrzsz program: parse, translate, run, map the exit code.
    fn main(&self, args: &[OsString], run: Run) -> u8 {
        let mut flags = match parse(options::table(self.side), args) {
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
        let proto = flags.proto.unwrap_or(self.proto);
        if self.side == Side::Recv
            && !flags.quiet
            && (proto != Proto::Xmodem || flags.operands.is_empty())
        {
            // Exactly lrzsz's words, with no newline: terminal programs start an upload when
            // they see this followed by the first ZRINIT (`**\x18B0100`).
            let mut err = std::io::stderr();
            let _ = write!(err, "{} waiting to receive.", self.name).and_then(|()| err.flush());
        }
        if self.side == Side::Send
            && proto == Proto::Xmodem
            && !flags.quiet
            && let Some(name) = flags.operands.first()
        {
            // lrzsz sx's words: an XMODEM receiver has to be started by hand.
            let blocks = std::fs::metadata(name).map_or(0, |m| m.len() >> 7);
            eprint!(
                "Sending {}, {blocks} blocks: Give your local XMODEM receive command now.\r\n",
                xyzmodem::files::names::printable(&name.to_string_lossy())
            );
        }
        super::session::LRZSZ_WAITING_LINE.store(true, std::sync::atomic::Ordering::Relaxed);
        exit::record_signals();
        let result = run(&cli);
        if let Err(e) = &result {
            let text = format!("{e:#}");
            eprintln!(
                "{}: error: {}",
                self.name,
                xyzmodem::files::names::printable(&text)
            );
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
                "Send file(s) with ZMODEM (sz), XMODEM (sx) or YMODEM (sb, sy) on stdin/stdout",
                format!("{name} [options] file ..."),
                "  -k, --1k             X/YMODEM: 1024-byte blocks (default: 128, as lrzsz)\n\
                 \x20 -f, --full-path      YMODEM: send relative paths as given\n\
                 \x20 -e, --escape         ZMODEM: escape all control characters\n\
                 \x20 -4, -8               ZMODEM: subpackets of 4096 / 8192 bytes\n\
                 \x20 -L N, -l N           ZMODEM: subpackets of at most N / frames of N bytes\n\
                 \x20 -w N                 ZMODEM: at most N bytes unacknowledged\n\
                 \x20 -r, --resume         ZMODEM: ask the receiver to resume\n\
                 \x20 -y, -Y, -E, -p, -n, -N, -+, -H  ZMODEM: ask the receiver to overwrite,\n\
                 \x20                      overwrite-or-skip, rename, protect, ... existing files\n\
                 \x20     --zmodem         use ZMODEM\n",
            ),
            Side::Recv => (
                "Receive file(s) with ZMODEM (rz), XMODEM (rx) or YMODEM (rb, ry) on stdin/stdout",
                format!("{name} [options] [filename.if.xmodem]"),
                "  -c, --with-crc       XMODEM: ask for CRC-16 (default: checksum, as lrzsz)\n\
                 \x20 -E, --rename         keep an existing file, store the new one as NAME.1\n\
                 \x20 -y, --overwrite      replace existing files (once the new one is complete)\n\
                 \x20 -p, --protect        rx: keep an existing FILE and fail; rb, rz: skip (default)\n\
                 \x20 -e, --escape         ZMODEM: ask the sender to escape all control characters\n\
                 \x20 -r, --resume         ZMODEM: keep interrupted files as NAME.part, resume them\n\
                 \x20 -g, --ymodem-g       YMODEM: ask for YMODEM-G streaming (not in lrzsz)\n\
                 \x20 -Z, --zmodem         use ZMODEM\n",
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
             Other lrzsz options are accepted and ignored (-v says so); remote commands and\n\
             TCP are not supported. Exit codes as lrzsz: 0 success, 1 setup\n\
             error or some files unreadable, 2 command line, 128 transfer failed,\n\
             128+N killed by signal N. See docs/LRZSZ.md and `xyzmodem --help`.\n",
            version = env!("CARGO_PKG_VERSION"),
        )
    }
}
