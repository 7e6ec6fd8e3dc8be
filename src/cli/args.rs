//! Command-line arguments (clap derive), and the parsers of single values (`--init` escapes,
//! seconds). These types hold only what was typed; `settings` resolves them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  Flash a board over its console (U-Boot `loadx` / `loady` waiting on the other end):
    xyzmodem send -k --port /dev/ttyUSB0 --baud 115200 firmware.bin
    xyzmodem send -Y --port /dev/ttyUSB0 firmware.bin
  Receive whatever an X/Y/ZMODEM sender sends, into the current directory:
    xyzmodem recv --port /dev/ttyUSB0
  Receive one file from an XMODEM sender:
    xyzmodem recv --port /dev/ttyUSB0 dump.bin
  Send a batch by ZMODEM (to `rz`, or a terminal that starts its download by itself):
    xyzmodem send -Z a.bin b.bin
  Use stdin/stdout as the link, e.g. through socat or from minicom:
    socat EXEC:'xyzmodem send -k big.iso' EXEC:'xyzmodem recv copy.iso'
    socat EXEC:'sz a.bin b.bin' EXEC:'xyzmodem recv inbox/'

Exit codes: 0 success, 1 transfer failed, 2 usage error, 3 cancelled by the
peer, 4 local file or device error, 130 interrupted.";

/// Send and receive files with XMODEM (checksum, CRC-16, 1K), YMODEM, YMODEM-G and ZMODEM
/// over a serial port or stdin/stdout.
///
/// Only protocol bytes ever go to the link; messages and progress go to
/// stderr. A terminal used as the link is put in raw mode for the transfer
/// and restored afterwards, also on errors and interrupts. There, xyzmodem says
/// what it waits for, and Ctrl-C (a byte in raw mode) cancels until the
/// transfer starts; then five Ctrl-X do.
#[derive(Debug, Parser)]
#[command(name = "xyzmodem", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Print nothing but errors (no progress bar, no summary).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more: retries, handshake details. Repeat for more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send files: one by XMODEM (the default), a batch by YMODEM (-Y) or ZMODEM (-Z).
    #[command(after_help = EXAMPLES)]
    Send(SendArgs),
    /// Receive files from an XMODEM, YMODEM, YMODEM-G or ZMODEM sender (detected).
    #[command(after_help = EXAMPLES)]
    Recv(RecvArgs),
    /// A terminal on a serial port (--port DEV) or on COMMAND run in a new pseudo-terminal
    /// (-- COMMAND, e.g. `-- ssh board`), with X/Y/ZMODEM built in: a remote `sz` or `rz`
    /// starts the transfer by itself. Ctrl-T ? lists the keys, Ctrl-T q quits.
    #[command(after_help = TERM_EXAMPLES)]
    Term(TermArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Link sz, rz, sx, rx, sb, rb, sy and ry in DIR to this program, which then behaves like
    /// lrzsz's programs of those names (see docs/LRZSZ.md).
    InstallLinks {
        /// The directory for the links (created if missing), e.g. ~/.local/lib/xyzmodem.
        dir: PathBuf,
        /// Replace files and other links that are in the way (never a directory).
        #[arg(long)]
        force: bool,
        /// Also lrzsz's l-prefixed names: lsz, lrz, lsx, lrx, lsb, lrb.
        #[arg(long)]
        lsz_names: bool,
    },
    /// Print the man page (roff) to stdout, or with --dir write every page (xyzmodem.1,
    /// xyzmodem-send.1, ...) into DIR, e.g. ~/.local/share/man/man1.
    Manpage {
        /// Write all the pages into this directory instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// List the serial ports, with USB vendor:product ids, serial number and product name
    /// where the system provides them.
    Ports,
}

/// `xyzmodem send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The file(s) to send. XMODEM sends one file; YMODEM sends a batch.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Use XMODEM (the default): one file, no name or size.
    #[arg(short = 'X', long, conflicts_with_all = ["ymodem", "zmodem"])]
    pub xmodem: bool,

    /// Use YMODEM: a batch of files with name, size, time and mode; YMODEM-G when the
    /// receiver asks for it.
    #[arg(short = 'Y', long, conflicts_with = "zmodem")]
    pub ymodem: bool,

    /// Use ZMODEM: a batch streamed with error recovery by offset (what `rz` receives).
    /// Files must be smaller than 4 GiB (ZMODEM positions are 32 bits; YMODEM has no limit).
    #[arg(short = 'Z', long)]
    pub zmodem: bool,

    /// ZMODEM: data bytes per subpacket, 32 to 8192. Receivers that are not lrzsz may
    /// accept no more than 1024.
    #[arg(long, value_name = "BYTES", default_value_t = 1024, requires = "zmodem",
          value_parser = clap::value_parser!(u16).range(32..=8192))]
    pub subpacket: u16,

    /// ZMODEM: at most this many bytes ahead of the receiver's acknowledgement (ZCRCQ
    /// windows); default: stream freely until the receiver first asks for data again (on a
    /// long link, one that took 20 ms or more to answer, from the first data), then a window
    /// sized to the link (its measured round trip and rate).
    #[arg(long, value_name = "BYTES", requires = "zmodem",
          value_parser = clap::value_parser!(u32).range(256..))]
    pub window: Option<u32>,

    /// XMODEM: send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte
    /// blocks when that saves padding. (YMODEM uses 1K blocks unless --128.)
    #[arg(short = 'k', long = "1k", conflicts_with = "small")]
    pub one_k: bool,

    /// YMODEM: send 128-byte blocks (for receivers that only know SOH blocks).
    #[arg(long = "128", requires = "ymodem")]
    pub small: bool,

    /// YMODEM: send each path as given (relative paths only), not just its base name.
    #[arg(long, requires = "ymodem")]
    pub full_path: bool,

    /// Send a character or block device (e.g. /dev/ttyS1, /dev/zero) as it reads, announcing
    /// no size. Refused otherwise: its size is unknown and its data may never end.
    #[arg(long)]
    pub force_device: bool,

    /// YMODEM: seconds to wait for the receiver's `C` after it acknowledged a file header,
    /// before sending the data anyway. U-Boot `loady` never sends it.
    #[arg(long, value_name = "SECS", default_value_t = 0.5, value_parser = parse_wait)]
    pub header_wait: f64,

    /// ZMODEM: what to escape, on top of what the receiver asks for (docs/LRZSZ.md).
    #[arg(long, value_name = "PROFILE", value_enum, requires = "zmodem")]
    pub escape: Option<EscapeArg>,

    /// ZMODEM: the same as --escape all.
    #[arg(long, hide = true, requires = "zmodem", conflicts_with = "escape")]
    pub escape_controls: bool,

    /// ZMODEM: ask the receiver what to do with a file it already has (lrzsz `rz` follows
    /// it; xyzmodem's receiver decides by its own options).
    #[arg(long, value_name = "ACTION", value_enum, requires = "zmodem")]
    pub if_exists: Option<IfExistsArg>,

    /// ZMODEM: ask the receiver to resume files it holds in part.
    #[arg(long, requires = "zmodem")]
    pub resume: bool,

    /// After a successful send (and --after), stay on the port as `xyzmodem term` does, e.g.
    /// to watch the board boot; Ctrl-T q leaves.
    #[arg(long, requires = "port")]
    pub then_term: bool,

    #[command(flatten)]
    pub protocol: ProtocolArgs,

    #[command(flatten)]
    pub link: LinkArgs,

    #[command(flatten)]
    pub board: BoardArgs,

    #[command(flatten)]
    pub records: RecordArgs,
}

const TERM_EXAMPLES: &str = "\
Examples:
  A serial console:
    xyzmodem term --port /dev/ttyUSB0 --baud 115200
  A shell on another machine; `sz FILE` there downloads into ./in:
    xyzmodem term --download-dir in -- ssh board

Keys (after the escape key, Ctrl-T unless --escape-key):
  q quit   ? list the keys   Ctrl-T send a Ctrl-T   b send a break   l start/stop the log
  z y x X  send files by ZMODEM, YMODEM, XMODEM-1K, XMODEM   r receive X/YMODEM
A remote `sz` downloads into --download-dir; a remote `rz` asks for the files to send.
During a transfer, Ctrl-C cancels it and the session goes on.

Exit codes: COMMAND's exit status; 0 after Ctrl-T q; 2 usage error, 4 local file or
device error (the port cannot be opened, or went away with --no-reconnect), 130
interrupted (SIGTERM, SIGHUP).";

/// `xyzmodem term`.
#[derive(Debug, Args)]
pub struct TermArgs {
    /// The program to run in a new pseudo-terminal, and its arguments (after `--`), instead
    /// of --port.
    #[arg(last = true, value_name = "COMMAND", required_unless_present = "port")]
    pub command: Vec<std::ffi::OsString>,

    /// Where files that the remote side sends (its `sz`) go: the same names and rules as
    /// `recv` into a directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub download_dir: PathBuf,

    /// Downloads: replace an existing file (only once the new one is complete).
    #[arg(long, group = "existing")]
    pub overwrite: bool,

    /// Downloads: keep an existing file and store the new one as NAME.1, NAME.2, ...
    #[arg(long, group = "existing")]
    pub rename: bool,

    /// The key that starts a command: a letter for Ctrl and that letter (`a` is Ctrl-A), or
    /// `^A` / `C-a`.
    #[arg(long, value_name = "KEY", default_value = "t", value_parser = parse_escape_key)]
    pub escape_key: EscapeKey,

    /// Map CR and LF on their way, for devices that need it: a list of icrnl (in: CR becomes
    /// LF), igncr (in: CR dropped), inlcrnl (in: LF becomes CR LF), ocrnl (out: CR, the Enter
    /// key, becomes LF), onlcrnl (out: LF becomes CR LF).
    #[arg(long, value_name = "LIST", value_parser = parse_map)]
    pub map: Option<Map>,

    /// Show what is typed (for a device that does not echo it).
    #[arg(long)]
    pub local_echo: bool,

    /// Start each line shown with the seconds since the terminal started.
    #[arg(long)]
    pub timestamps: bool,

    /// Append what the session shows to FILE (transfers summarised in a line, not their
    /// data); Ctrl-T l stops and starts it.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// When the port goes away (a USB adapter unplugged), end instead of waiting for it to
    /// come back.
    #[arg(long, requires = "port")]
    pub no_reconnect: bool,

    /// Do not start ZMODEM transfers by themselves when the remote side runs `sz` or `rz`.
    #[arg(long)]
    pub no_auto: bool,

    #[command(flatten)]
    pub protocol: ProtocolArgs,

    #[command(flatten)]
    pub link: LinkArgs,
}

/// `--map`: the CR/LF mappings (as tio names them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Map {
    /// In: CR becomes LF.
    pub icrnl: bool,
    /// In: CR is dropped.
    pub igncr: bool,
    /// In: LF becomes CR LF.
    pub inlcrnl: bool,
    /// Out: CR (Enter) becomes LF.
    pub ocrnl: bool,
    /// Out: LF becomes CR LF.
    pub onlcrnl: bool,
}

/// Parses `--map`: names separated by commas, e.g. `inlcrnl,ocrnl`.
pub fn parse_map(list: &str) -> Result<Map, String> {
    let mut map = Map::default();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let flag = match name.to_ascii_lowercase().as_str() {
            "icrnl" => &mut map.icrnl,
            "igncr" => &mut map.igncr,
            "inlcrnl" => &mut map.inlcrnl,
            "ocrnl" => &mut map.ocrnl,
            "onlcrnl" => &mut map.onlcrnl,
            _ => {
                return Err(format!(
                    "unknown mapping {name}: use icrnl, igncr, inlcrnl, ocrnl or onlcrnl"
                ));
            }
        };
        *flag = true;
    }
    Ok(map)
}

/// The terminal's escape key: the control character typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscapeKey(pub u8);

/// `t`, `T`, `^T`, `C-t` and `ctrl-t` are Ctrl-T (0x14); also `@ [ \ ] ^ _` for the control
/// characters past the letters.
pub fn parse_escape_key(s: &str) -> Result<EscapeKey, String> {
    let lower = s.to_ascii_lowercase();
    let key = ["ctrl-", "ctrl+", "c-", "^"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    match key.as_bytes() {
        [c @ (b'a'..=b'z' | b'@' | b'[' | b'\\' | b']' | b'^' | b'_')] => {
            Ok(EscapeKey(c.to_ascii_uppercase() & 0x1F))
        }
        _ => Err("expected a letter, e.g. a for Ctrl-A (or ^A, C-a)".into()),
    }
}

/// `xyzmodem recv`.
#[derive(Debug, Args)]
pub struct RecvArgs {
    /// XMODEM: the file to write. YMODEM: the directory to receive into (default: the current
    /// one). Without a protocol option: a directory (or nothing) receives YMODEM files there
    /// and XMODEM data as --output NAME; any other path is the file to write, and a batch of
    /// several files into it is refused (exit 4). A path ending in `/` is a directory, created
    /// if missing.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    /// Receive with XMODEM only: PATH is the file to write.
    #[arg(short = 'X', long, group = "proto")]
    pub xmodem: bool,

    /// Receive with YMODEM (a sender that sends no file header is taken as XMODEM-1K).
    #[arg(short = 'Y', long, group = "proto")]
    pub ymodem: bool,

    /// Receive with YMODEM-G (alone or with -Y): ask for streaming (no per-block ACKs). Fast
    /// on reliable links; any error ends the transfer, since YMODEM-G cannot retransmit.
    #[arg(short = 'g', long, conflicts_with_all = ["xmodem", "checksum", "zmodem"])]
    pub streaming: bool,

    /// Receive with ZMODEM: start with ZRINIT (as `rz` does), and take an X/YMODEM sender if
    /// none answers in 40 s (two thirds of a shorter --timeout). Without a protocol option,
    /// ZMODEM senders are detected too.
    #[arg(short = 'Z', long, group = "proto")]
    pub zmodem: bool,

    /// Name for data from an XMODEM sender (which sends no name) when receiving into a
    /// directory.
    #[arg(short = 'o', long, value_name = "NAME")]
    pub output: Option<PathBuf>,

    /// Ask for the 8-bit checksum (start with NAK) instead of CRC-16 (`C`). Without it, the
    /// receiver asks for CRC-16 and falls back to checksum after 4 unanswered requests.
    #[arg(long)]
    pub checksum: bool,

    /// Replace an existing file (only once the new one is complete).
    #[arg(long, group = "existing")]
    pub overwrite: bool,

    /// Keep an existing file and store the new one as NAME.1, NAME.2, ...
    #[arg(long, group = "existing")]
    pub rename: bool,

    /// Receive and discard a file that already exists, and go on with the batch.
    #[arg(long, group = "existing")]
    pub skip_existing: bool,

    /// YMODEM: keep sub-directories in the sender's names, confined to the target directory
    /// (never `..`, never absolute, never through a symlink).
    #[arg(long)]
    pub keep_dirs: bool,

    /// On failure, keep what arrived as NAME.part instead of deleting it, whatever the
    /// protocol. From a ZMODEM sender it is kept without this (--resume continues it).
    #[arg(long)]
    pub keep_partial: bool,

    /// On failure, delete what arrived, even from a ZMODEM sender (whose partial files are
    /// otherwise kept as NAME.part for --resume).
    #[arg(long, conflicts_with = "keep_partial")]
    pub delete_partial: bool,

    /// ZMODEM: continue a file kept as NAME.part by an earlier failed receive, from its
    /// length (the sender is asked for the rest).
    #[arg(long, conflicts_with_all = ["xmodem", "ymodem", "streaming"])]
    pub resume: bool,

    /// ZMODEM: `all` (or `ssh`) asks the sender to escape every control character (ESCCTL),
    /// for links that eat or change them; `telnet` cannot be asked for (the sender chooses).
    #[arg(long, value_name = "PROFILE", value_enum,
          conflicts_with_all = ["xmodem", "ymodem", "streaming"])]
    pub escape: Option<EscapeArg>,

    /// ZMODEM: the same as --escape all.
    #[arg(long, hide = true, conflicts_with_all = ["xmodem", "ymodem", "streaming", "escape"])]
    pub escape_controls: bool,

    /// XMODEM: drop trailing 0x1A padding bytes from the last block. XMODEM carries no file
    /// length, so this is lossy for data that really ends in 0x1A. (YMODEM sends the length.)
    #[arg(long)]
    pub strip_padding: bool,

    #[command(flatten)]
    pub protocol: ProtocolArgs,

    #[command(flatten)]
    pub link: LinkArgs,

    #[command(flatten)]
    pub board: BoardArgs,

    #[command(flatten)]
    pub records: RecordArgs,
}

/// Timing options shared by send and recv.
#[derive(Debug, Args)]
#[command(next_help_heading = "Protocol")]
pub struct ProtocolArgs {
    /// Errors allowed per block before the transfer is cancelled.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub retries: u32,

    /// Seconds to wait for the other side to start (receiving: for its first block or file,
    /// whatever it sends before), and for room to write when it stops reading.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,

    /// Seconds a started session may go without progress (new data, a new file, a file's
    /// end) before it fails, however busy the other side keeps the line.
    #[arg(long, value_name = "SECS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout: u64,
}

fn parse_wait(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=60.0).contains(&v) => Ok(v),
        _ => Err("expected seconds from 0 to 60, e.g. 0.5".into()),
    }
}

/// Where the bytes go: stdin/stdout (default) or a serial port.
#[derive(Debug, Args)]
#[command(next_help_heading = "Link")]
pub struct LinkArgs {
    /// Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on
    /// the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below
    /// apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://).
    /// send: repeat it, or give a pattern such as '/dev/ttyUSB*', to send to several ports at
    /// once.
    #[arg(short = 'p', long, value_name = "DEVICE", env = "XYZMODEM_PORT")]
    pub port: Vec<String>,

    /// stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with
    /// EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and
    /// answered.
    #[arg(long, conflicts_with = "port")]
    pub telnet: bool,

    /// Serial speed in bits per second.
    #[arg(short = 'b', long, default_value_t = 115_200, requires = "port", value_parser = clap::value_parser!(u32).range(1..))]
    pub baud: u32,

    /// Data bits per character.
    #[arg(long, default_value_t = 8, requires = "port", value_parser = clap::value_parser!(u8).range(5..=8))]
    pub data_bits: u8,

    /// Parity.
    #[arg(long, value_enum, default_value_t = ParityArg::None, requires = "port")]
    pub parity: ParityArg,

    /// Stop bits.
    #[arg(long, default_value_t = 1, requires = "port", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub stop_bits: u8,

    /// Flow control. X/YMODEM need an 8-bit clean line: prefer hardware
    /// (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes.
    #[arg(long, value_enum, default_value_t = FlowArg::None, requires = "port")]
    pub flow_control: FlowArg,
}

/// Talking to a boot monitor on the port around the transfer (U-Boot `loady`, ...).
#[derive(Debug, Args)]
#[command(next_help_heading = "Bootloader handshake")]
pub struct BoardArgs {
    /// Write STRING to the link before the transfer, e.g. 'loady 0x82000000\r'. Escapes:
    /// \r \n \t \0 \e \\ \xNN.
    #[arg(long, value_name = "STRING", value_parser = parse_escaped)]
    pub init: Option<Escaped>,

    /// Wait until the device prints TEXT (same escapes), e.g. 'Ready for binary', before the
    /// transfer starts. What the device sends right after it (its first `C`) is not lost.
    #[arg(long, value_name = "TEXT", value_parser = parse_escaped)]
    pub expect: Option<Escaped>,

    /// Seconds --expect waits for its text before the transfer fails.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, requires = "expect", value_parser = parse_expect_timeout)]
    pub expect_timeout: f64,

    /// Write STRING (same escapes) after a successful transfer, e.g. 'bootm 0x82000000\r'.
    #[arg(long, value_name = "STRING", value_parser = parse_escaped)]
    pub after: Option<Escaped>,
}

fn parse_expect_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err("expected seconds more than 0, up to 86400, e.g. 10".into()),
    }
}

/// Bytes given on the command line with escapes (`\r`, `\xNN`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escaped(pub Vec<u8>);

/// Parse `\r \n \t \0 \e \\ \xNN` escapes; any other backslash sequence is an error.
pub fn parse_escaped(s: &str) -> Result<Escaped, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let Some((&e, tail)) = rest.split_first() else {
            return Err("a lone \\ at the end (write \\\\ for a backslash)".into());
        };
        rest = tail;
        out.push(match e {
            b'r' => b'\r',
            b'n' => b'\n',
            b't' => b'\t',
            b'0' => 0,
            b'e' => 0x1B,
            b'\\' => b'\\',
            b'x' => {
                let hex = rest
                    .get(..2)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("\\x needs two hex digits, e.g. \\x03")?;
                rest = &rest[2..];
                hex
            }
            other => {
                return Err(format!(
                    "unknown escape \\{}: use \\r \\n \\t \\0 \\e \\\\ or \\xNN",
                    char::from(other)
                ));
            }
        });
    }
    if out.is_empty() {
        return Err("empty".into());
    }
    Ok(Escaped(out))
}

/// What to record about the session.
#[derive(Debug, Args)]
#[command(next_help_heading = "Records")]
pub struct RecordArgs {
    /// Write a JSON line per file (and per port) plus a session summary line to FILE; `-` is
    /// stdout (only with --port, when stdout is not the link).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Log every byte on the link to FILE: time, direction, decoded view and hex. With several
    /// ports, one file per port (FILE with the port name before its extension).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// `--parity` values.
/// `--escape`: which bytes a ZMODEM sender escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EscapeArg {
    /// What lrzsz escapes by default: ZDLE, DLE, XON, XOFF (also with bit 7), CR after `@`.
    Minimal,
    /// Every control character, 0x00-0x1F and 0x80-0x9F (lrzsz -e, ESCCTL).
    All,
    /// Minimal and 0xFF, so that no telnet IAC is formed.
    Telnet,
    /// Minimal and CR and LF, so that `~` never follows a newline (OpenSSH's escape).
    Ssh,
}

/// `--if-exists`: what a ZMODEM sender asks the receiver to do with a file it already has
/// (`ZFILE` F1, lrzsz `sz` options in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IfExistsArg {
    /// Replace it (-y).
    Overwrite,
    /// Replace it, and skip files the receiver does not have (-Y).
    OverwriteOrSkip,
    /// Keep it and store the new one under another name (-E).
    Rename,
    /// Keep it and skip the file (-p).
    Protect,
    /// Replace it if the sender's file is newer (-n).
    Newer,
    /// Replace it if the sender's file is newer or longer (-N).
    NewerOrLonger,
    /// Append to it (-+).
    Append,
    /// Replace it if its CRC or length differs (-H).
    Crc,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ParityArg {
    /// No parity bit.
    None,
    /// Odd parity.
    Odd,
    /// Even parity.
    Even,
}

/// `--flow-control` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FlowArg {
    /// No flow control.
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS.
    Hardware,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn send_defaults() {
        let cli = Cli::try_parse_from(["xyzmodem", "send", "f"]).unwrap();
        let Command::Send(s) = cli.command else {
            panic!()
        };
        assert!(!s.one_k);
        assert_eq!((s.protocol.retries, s.protocol.timeout), (10, 60));
        assert_eq!(s.protocol.idle_timeout, 100);
        assert_eq!(s.link.baud, 115_200);
    }

    #[test]
    fn serial_options_need_a_port() {
        assert!(Cli::try_parse_from(["xyzmodem", "send", "--baud", "9600", "f"]).is_err());
        assert!(
            Cli::try_parse_from([
                "xyzmodem", "send", "--port", "/dev/x", "--baud", "9600", "f"
            ])
            .is_ok()
        );
    }

    #[test]
    fn escapes() {
        let p = |s| parse_escaped(s).map(|e| e.0);
        assert_eq!(p("loady 0x82000000\\r").unwrap(), b"loady 0x82000000\r");
        assert_eq!(
            p("a\\n\\t\\\\\\x03\\x7f\\0\\e").unwrap(),
            b"a\n\t\\\x03\x7f\0\x1b"
        );
        assert_eq!(p("\\xFFz").unwrap(), b"\xffz");
        assert_eq!(p("héllo").unwrap(), "héllo".as_bytes());
        for bad in ["", "x\\", "\\q", "\\x", "\\x4", "\\xZZ", "\\xé"] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn expect_timeout_must_be_positive_and_says_so() {
        // Issue 9 item 11: the message for 0 allowed 0.
        let e = Cli::try_parse_from(["xyzmodem", "recv", "--expect", "x", "--expect-timeout", "0"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 0"), "{e}");
        assert!(!e.contains("from 0"), "{e}");
    }

    #[test]
    fn ymodem_g_goes_with_ymodem() {
        // Issue 9 item 11: `recv -Y -g` was refused.
        assert!(Cli::try_parse_from(["xyzmodem", "recv", "-Y", "-g"]).is_ok());
    }

    #[test]
    fn bad_values_are_rejected() {
        for bad in [
            &["xyzmodem", "send", "--retries", "0", "f"][..],
            &["xyzmodem", "send", "--timeout", "0", "f"],
            &[
                "xyzmodem",
                "recv",
                "--port",
                "/dev/x",
                "--data-bits",
                "9",
                "f",
            ],
            &[
                "xyzmodem", "recv", "--port", "/dev/x", "--parity", "mark", "f",
            ],
            &["xyzmodem", "-q", "-v", "send", "f"],
            &["xyzmodem", "send", "-X", "-Y", "f"],
            &["xyzmodem", "send", "--128", "f"],
            &["xyzmodem", "send", "-Y", "--header-wait", "-1", "f"],
            &["xyzmodem", "recv", "-X", "-g", "f"],
            &["xyzmodem", "recv", "-g", "--checksum"],
            &["xyzmodem", "recv", "--overwrite", "--rename"],
            &["xyzmodem", "send"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
