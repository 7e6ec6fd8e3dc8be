//! Command-line arguments (clap derive). These types hold only what was
//! typed; `settings` turns them into engine and link configurations.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  Flash a board over its console (U-Boot `loadx` waiting on the other end):
    xyzmodem send -k --port /dev/ttyUSB0 --baud 115200 firmware.bin
  Receive a file from a device that sends with XMODEM:
    xyzmodem recv --port /dev/ttyUSB0 dump.bin
  Use stdin/stdout as the link, e.g. through socat or from minicom:
    socat EXEC:'xyzmodem send -k big.iso' EXEC:'xyzmodem recv copy.iso'

Exit codes: 0 success, 1 transfer failed, 2 usage error, 3 cancelled by the
peer, 4 local file or device error, 130 interrupted.";

/// Send and receive files with XMODEM (checksum, CRC-16, 1K) over a serial
/// port or stdin/stdout.
///
/// Only protocol bytes ever go to the link; messages and progress go to
/// stderr. A terminal used as the link is put in raw mode for the transfer
/// and restored afterwards, also on errors and interrupts.
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
    /// Send a file.
    #[command(after_help = EXAMPLES)]
    Send(SendArgs),
    /// Receive a file.
    #[command(after_help = EXAMPLES)]
    Recv(RecvArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    #[command(hide = true)]
    Manpage,
}

/// `xyzmodem send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The file to send.
    pub file: PathBuf,

    /// Send 1024-byte blocks (XMODEM-1K). The tail of the file goes in
    /// 128-byte blocks when that saves padding.
    #[arg(short = 'k', long = "1k")]
    pub one_k: bool,

    #[command(flatten)]
    pub protocol: ProtocolArgs,

    #[command(flatten)]
    pub link: LinkArgs,
}

/// `xyzmodem recv`.
#[derive(Debug, Args)]
pub struct RecvArgs {
    /// Where to store the file. It must not exist unless --overwrite is given.
    pub file: PathBuf,

    /// Ask for the 8-bit checksum (start with NAK) instead of CRC-16 (`C`).
    /// Without it, the receiver asks for CRC-16 and falls back to checksum
    /// after 4 unanswered requests.
    #[arg(long)]
    pub checksum: bool,

    /// Replace the output file if it exists (only once the transfer is
    /// complete).
    #[arg(long)]
    pub overwrite: bool,

    /// On failure, keep what arrived as FILE.part instead of deleting it.
    #[arg(long)]
    pub keep_partial: bool,

    /// Drop trailing 0x1A padding bytes from the last block. XMODEM carries
    /// no file length, so this is lossy for data that really ends in 0x1A.
    #[arg(long)]
    pub strip_padding: bool,

    #[command(flatten)]
    pub protocol: ProtocolArgs,

    #[command(flatten)]
    pub link: LinkArgs,
}

/// Protocol options shared by send and recv.
#[derive(Debug, Args)]
#[command(next_help_heading = "Protocol")]
pub struct ProtocolArgs {
    /// Use XMODEM (the default, and for now the only protocol).
    #[arg(short = 'X', long)]
    pub xmodem: bool,

    /// Errors allowed per block before the transfer is cancelled.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub retries: u32,

    /// Seconds to wait for the other side to start.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
}

/// Where the bytes go: stdin/stdout (default) or a serial port.
#[derive(Debug, Args)]
#[command(next_help_heading = "Link")]
pub struct LinkArgs {
    /// Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0.
    #[arg(short = 'p', long, value_name = "DEVICE", env = "XYZMODEM_PORT")]
    pub port: Option<String>,

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

/// `--parity` values.
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
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
