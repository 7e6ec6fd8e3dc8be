//! The resolve stage: what was typed ([`args`](super::args)) becomes what to do
//! ([`Settings`]), validated once. Every cross-flag rule that clap cannot express is here,
//! and so is the check of the receive target, so a command line that cannot work fails
//! before any byte goes to the link: a usage error exits 2 ([`UsageError`]), a local file
//! error 4.

use std::path::{Path, PathBuf};
use std::time::Duration;

use xyzmodem::files::{Existing, KeepPartial, ReceivePolicy, Target};
use xyzmodem::link::{FlowControl, Parity, SerialSettings};
use xyzmodem::proto::zmodem::{EscapeProfile, Management};
use xyzmodem::proto::{self, Check, RecvMode, SendMode};

use super::args::{
    BoardArgs, Cli, Command, EscapeArg, FlowArg, IfExistsArg, LinkArgs, Map, ParityArg,
    ProtocolArgs, RecordArgs, RecvArgs, SendArgs, TermArgs,
};
use super::exit::UsageError;
use super::handshake::Board;
use super::ports;
use super::progress::Verbosity;

/// A resolved command line.
#[derive(Debug)]
pub struct Settings {
    /// How chatty to be.
    pub verbosity: Verbosity,
    /// What to do.
    pub action: Action,
}

/// What to do.
#[derive(Debug)]
pub enum Action {
    /// Send files.
    Send(SendSettings),
    /// Receive files.
    Recv(RecvSettings),
    /// Run the terminal.
    Term(TermSettings),
    /// Print a completion script.
    Completions(clap_complete::Shell),
    /// Install the lrzsz-named links.
    InstallLinks {
        /// Where.
        dir: PathBuf,
        /// Replace what is in the way.
        force: bool,
        /// Also the l-prefixed names.
        lsz_names: bool,
    },
    /// Print the man page, or write every page into a directory.
    Manpage(Option<PathBuf>),
    /// List the serial ports.
    Ports,
}

/// The sending protocol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SendProtocol {
    /// XMODEM: one file, no name or size.
    Xmodem {
        /// 1024-byte blocks (XMODEM-1K).
        one_k: bool,
    },
    /// YMODEM: a batch with names, sizes, times and modes.
    Ymodem {
        /// 1024-byte blocks (all but `--128`).
        one_k: bool,
        /// Send each path as given rather than its base name.
        full_path: bool,
        /// How long to wait for the `C` after a header's ACK.
        header_wait: Duration,
    },
    /// ZMODEM: a batch streamed in subpackets.
    Zmodem {
        /// Data bytes per subpacket.
        subpacket: usize,
        /// Bytes ahead of the receiver's acknowledgement, if limited.
        window: Option<u32>,
        /// What to escape.
        escape: EscapeProfile,
        /// Ask the receiver to resume.
        resume: bool,
        /// `ZFILE` F1: what the receiver should do with a file it has (`None`: no request).
        management: Option<Management>,
        /// `ZFILE` F1's `ZMSKNOLOC`: the receiver should skip a file it does not have.
        skip_absent: bool,
    },
}

/// The receiving protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvProtocol {
    /// Whatever the sender speaks: a header block means YMODEM, block 1 XMODEM.
    Detect,
    /// XMODEM only.
    Xmodem,
    /// YMODEM (a sender starting with block 1 is taken as XMODEM-1K).
    Ymodem,
    /// YMODEM-G streaming.
    YmodemG,
    /// ZMODEM first, X/YMODEM if no ZMODEM sender answers.
    Zmodem,
}

impl RecvProtocol {
    /// The engine's mode.
    pub fn mode(self) -> RecvMode {
        match self {
            Self::Detect => RecvMode::Detect,
            Self::Xmodem => RecvMode::Xmodem,
            Self::Ymodem => RecvMode::Ymodem,
            Self::YmodemG => RecvMode::YmodemG,
            Self::Zmodem => RecvMode::Detect,
        }
    }
}

impl SendProtocol {
    /// The engine's mode.
    pub fn mode(self) -> SendMode {
        match self {
            Self::Xmodem { .. } => SendMode::Xmodem,
            Self::Ymodem { .. } | Self::Zmodem { .. } => SendMode::Ymodem,
        }
    }
}

/// Timing and error limits shared by both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Errors allowed per block.
    pub retries: u32,
    /// How long the other side has to start.
    pub start_timeout: Duration,
    /// How long a started session may go without progress.
    pub idle: Duration,
}

impl Limits {
    /// An engine's limits under these options, from the engine's `defaults`: `--timeout`,
    /// `--idle-timeout` and `--retries` set the start bound, the idle bound and the errors
    /// allowed; the answer timeout stays the engine's. Every engine's config gets its
    /// limits from here (or [`Limits::engine_keeping_errors`]).
    pub fn engine(&self, defaults: proto::Limits) -> proto::Limits {
        proto::Limits {
            start: self.start_timeout,
            idle: self.idle,
            max_errors: self.retries,
            answer: defaults.answer,
        }
    }

    /// As [`Limits::engine`], but the engine keeps its own count of errors: the ZMODEM
    /// receiver counts them per file (20, as lrzsz `rz`), where `--retries` counts per block.
    pub fn engine_keeping_errors(&self, defaults: proto::Limits) -> proto::Limits {
        proto::Limits {
            max_errors: defaults.max_errors,
            ..self.engine(defaults)
        }
    }
}

/// The serial settings, without the port (there may be several).
#[derive(Debug, Clone)]
pub struct Serial {
    settings: SerialSettings,
    /// `--telnet`: stdin/stdout is a telnet connection.
    pub telnet: bool,
}

impl Serial {
    /// The settings for `port`.
    pub fn for_port(&self, port: &str) -> SerialSettings {
        SerialSettings {
            path: port.to_owned(),
            ..self.settings.clone()
        }
    }
}

/// Files to record the session in.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// `--report`: JSON lines.
    pub report: Option<PathBuf>,
    /// `--trace`: the bytes on the link.
    pub trace: Option<PathBuf>,
}

/// `send`, resolved.
#[derive(Debug)]
pub struct SendSettings {
    /// The files, in order.
    pub files: Vec<PathBuf>,
    /// The protocol.
    pub protocol: SendProtocol,
    /// Retries and start timeout.
    pub limits: Limits,
    /// The ports, patterns expanded; empty for stdin/stdout.
    pub ports: Vec<String>,
    /// Serial settings for every port.
    pub serial: Serial,
    /// The bootloader handshake.
    pub board: Board,
    /// Report and trace files.
    pub records: Records,
    /// Send character and block devices too (`--force-device`).
    pub force_device: bool,
    /// `--then-term`: the terminal to open on the port after a successful send.
    pub then_term: Option<Box<TermSettings>>,
}

/// `recv`, resolved.
#[derive(Debug, Clone)]
pub struct RecvSettings {
    /// Where the files go.
    pub target: Target,
    /// The protocol.
    pub protocol: RecvProtocol,
    /// The check to ask for first.
    pub check: Check,
    /// What to do with each file.
    pub policy: ReceivePolicy,
    /// ZMODEM: ask the sender to escape every control character.
    pub escape_controls: bool,
    /// Retries and start timeout.
    pub limits: Limits,
    /// The port; `None` for stdin/stdout.
    pub port: Option<String>,
    /// Its serial settings.
    pub serial: Serial,
    /// The bootloader handshake.
    pub board: Board,
    /// Report and trace files.
    pub records: Records,
}

/// What the terminal is connected to.
#[derive(Debug, Clone)]
pub enum Remote {
    /// A serial port.
    Port(String),
    /// A program run in a new pseudo-terminal, with its arguments.
    Command(Vec<std::ffi::OsString>),
}

/// `term`, resolved.
#[derive(Debug)]
pub struct TermSettings {
    /// The port or the program.
    pub remote: Remote,
    /// The port's serial settings.
    pub serial: Serial,
    /// The escape key's byte (Ctrl-T: 0x14).
    pub escape: u8,
    /// Start a transfer when the remote side starts `sz` or `rz`.
    pub auto: bool,
    /// Wait for a port that went away to come back.
    pub reconnect: bool,
    /// CR/LF mappings.
    pub map: Map,
    /// Show what is typed.
    pub local_echo: bool,
    /// A timestamp on each line shown.
    pub timestamps: bool,
    /// Log what is shown into this file.
    pub log: Option<PathBuf>,
    /// How downloads are received: as `recv -Z` into the download directory.
    pub download: RecvSettings,
}

/// Resolve a parsed command line. Errors: [`UsageError`] (exit 2) for options that do not go
/// together, and whatever [`ports::expand`] reports for `--port` patterns.
pub fn resolve(cli: &Cli) -> anyhow::Result<Settings> {
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, 0) => Verbosity::Normal,
        (false, _) => Verbosity::Verbose,
    };
    let action = match &cli.command {
        Command::Send(a) => Action::Send(send(a)?),
        Command::Recv(a) => Action::Recv(recv(a)?),
        Command::Term(a) => Action::Term(term(a)?),
        Command::Completions { shell } => Action::Completions(*shell),
        Command::InstallLinks {
            dir,
            force,
            lsz_names,
        } => Action::InstallLinks {
            dir: dir.clone(),
            force: *force,
            lsz_names: *lsz_names,
        },
        Command::Manpage { dir } => Action::Manpage(dir.clone()),
        Command::Ports => Action::Ports,
    };
    Ok(Settings { verbosity, action })
}

fn send(a: &SendArgs) -> anyhow::Result<SendSettings> {
    let protocol = if a.zmodem {
        if a.small || a.one_k {
            return Err(UsageError(
                "--128 and -k are block sizes of X/YMODEM; ZMODEM uses --subpacket",
            )
            .into());
        }
        SendProtocol::Zmodem {
            subpacket: usize::from(a.subpacket),
            window: a.window,
            escape: escape_profile(a.escape, a.escape_controls),
            resume: a.resume,
            management: a.if_exists.map(|arg| management(arg).0),
            skip_absent: a.if_exists.is_some_and(|arg| management(arg).1),
        }
    } else if a.ymodem {
        SendProtocol::Ymodem {
            one_k: !a.small,
            full_path: a.full_path,
            header_wait: Duration::from_secs_f64(a.header_wait),
        }
    } else {
        if a.files.len() > 1 {
            return Err(UsageError("XMODEM sends one file; use -Y/--ymodem for several").into());
        }
        SendProtocol::Xmodem { one_k: a.one_k }
    };
    let ports = ports::expand(&a.link.port)?;
    let then_term = match (a.then_term, ports.as_slice()) {
        (false, _) => None,
        (true, [port]) => Some(Box::new(term_on(
            Remote::Port(port.clone()),
            &a.link,
            &a.protocol,
            Path::new("."),
            Existing::Refuse,
        )?)),
        (true, _) => {
            return Err(UsageError("--then-term opens a terminal on one --port").into());
        }
    };
    Ok(SendSettings {
        files: a.files.clone(),
        protocol,
        limits: limits(&a.protocol),
        ports,
        serial: serial(&a.link, &a.protocol),
        board: board(&a.board),
        records: records(&a.records),
        force_device: a.force_device,
        then_term,
    })
}

fn recv(a: &RecvArgs) -> anyhow::Result<RecvSettings> {
    let protocol = match (a.xmodem, a.ymodem, a.streaming, a.zmodem) {
        (true, _, _, _) => RecvProtocol::Xmodem,
        (false, _, true, _) => RecvProtocol::YmodemG,
        (false, true, false, _) => RecvProtocol::Ymodem,
        (false, false, false, true) => RecvProtocol::Zmodem,
        (false, false, false, false) => RecvProtocol::Detect,
    };
    let ymodem_only = matches!(protocol, RecvProtocol::Ymodem | RecvProtocol::YmodemG);
    if protocol == RecvProtocol::Xmodem && a.keep_dirs {
        return Err(UsageError(
            "--keep-dirs is for YMODEM file names; XMODEM sends none: drop --keep-dirs or -X",
        )
        .into());
    }
    if ymodem_only && a.strip_padding {
        return Err(UsageError(
            "--strip-padding is for XMODEM; YMODEM sends the file length: drop --strip-padding or -Y/-g",
        )
        .into());
    }
    let mut ports = ports::expand(&a.link.port)?;
    if ports.len() > 1 {
        return Err(UsageError("recv uses one --port").into());
    }
    Ok(RecvSettings {
        target: target(protocol, a.path.as_deref(), a.output.as_deref())?,
        protocol,
        check: if a.checksum {
            Check::Checksum
        } else {
            Check::Crc16
        },
        policy: ReceivePolicy {
            existing: if a.overwrite {
                Existing::Overwrite
            } else if a.rename {
                Existing::Rename
            } else if a.skip_existing {
                Existing::Skip
            } else {
                Existing::Refuse
            },
            keep_dirs: a.keep_dirs,
            keep_partial: if a.keep_partial {
                KeepPartial::Always
            } else if a.delete_partial {
                KeepPartial::Never
            } else {
                KeepPartial::Zmodem
            },
            strip_padding: a.strip_padding,
            resume: a.resume,
        },
        escape_controls: match (a.escape, a.escape_controls) {
            (Some(EscapeArg::Telnet), _) => {
                return Err(UsageError(
                    "--escape telnet is the sender's choice: ZMODEM has no way for a receiver to ask for 0xFF to be escaped (use --escape all, or run the sender with --escape telnet)",
                )
                .into());
            }
            (Some(EscapeArg::All | EscapeArg::Ssh), _) | (_, true) => true,
            (Some(EscapeArg::Minimal) | None, false) => false,
        },
        limits: limits(&a.protocol),
        port: ports.pop(),
        serial: serial(&a.link, &a.protocol),
        board: board(&a.board),
        records: records(&a.records),
    })
}

/// The sender's escape profile from `--escape` (and the hidden `--escape-controls`).
fn escape_profile(arg: Option<EscapeArg>, controls: bool) -> EscapeProfile {
    match arg {
        _ if controls => EscapeProfile::Controls,
        None | Some(EscapeArg::Minimal) => EscapeProfile::Minimal,
        Some(EscapeArg::All) => EscapeProfile::Controls,
        Some(EscapeArg::Telnet) => EscapeProfile::Telnet,
        Some(EscapeArg::Ssh) => EscapeProfile::Ssh,
    }
}

/// `ZFILE` F1 for `--if-exists`: the request, and whether files the receiver does not have
/// are skipped (`ZMSKNOLOC`).
fn management(arg: IfExistsArg) -> (Management, bool) {
    match arg {
        IfExistsArg::NewerOrLonger => (Management::NewerOrLonger, false),
        IfExistsArg::Crc => (Management::Crc, false),
        IfExistsArg::Append => (Management::Append, false),
        IfExistsArg::Overwrite => (Management::Overwrite, false),
        IfExistsArg::OverwriteOrSkip => (Management::Overwrite, true),
        IfExistsArg::Newer => (Management::Newer, false),
        IfExistsArg::Protect => (Management::Protect, false),
        IfExistsArg::Rename => (Management::Rename, false),
    }
}

/// Where received data goes. XMODEM names a file; YMODEM a directory; detection goes by the
/// path: an existing directory, or a path ending in `/` (created if missing), is a directory;
/// anything else names one file, and `ReceiveFiles` refuses a batch into it.
fn target(
    protocol: RecvProtocol,
    path: Option<&Path>,
    output: Option<&Path>,
) -> anyhow::Result<Target> {
    // The message names the path first: `inbox.bin: is not a directory, ...`.
    let usage =
        |p: &Path, msg| anyhow::Error::new(UsageError(msg)).context(p.display().to_string());
    let dir = |dir: &Path, create| Target::Dir {
        dir: dir.to_path_buf(),
        create,
        xmodem_name: output.map(Path::to_path_buf),
    };
    let slash = path.is_some_and(|p| p.as_os_str().as_encoded_bytes().ends_with(b"/"));
    let target = match (protocol, path) {
        (RecvProtocol::Xmodem, None) => {
            return Err(UsageError("XMODEM needs the file to write: recv -X FILE").into());
        }
        (RecvProtocol::Xmodem, Some(p)) if slash || p.is_dir() => {
            return Err(usage(
                p,
                "is a directory, but -X writes a file: name a file (in it, or elsewhere)",
            ));
        }
        (RecvProtocol::Xmodem, Some(p)) => Target::File(p.to_path_buf()),
        (_, None) => dir(Path::new("."), false),
        (_, Some(p)) if slash => dir(p, true),
        (_, Some(p)) if p.is_dir() => dir(p, false),
        (RecvProtocol::Ymodem | RecvProtocol::YmodemG | RecvProtocol::Zmodem, Some(p))
            if p.exists() =>
        {
            return Err(usage(
                p,
                "is not a directory, but YMODEM receives into one: name a directory (or use -X to write a file)",
            ));
        }
        // Refused by `ReceiveFiles::new` (exit 4), with the hint to add a `/`.
        (RecvProtocol::Ymodem | RecvProtocol::YmodemG | RecvProtocol::Zmodem, Some(p)) => {
            dir(p, false)
        }
        (_, Some(p)) => Target::File(p.to_path_buf()),
    };
    if let (Target::File(_), Some(_)) = (&target, output) {
        return Err(UsageError(
            "--output names XMODEM data received into a directory, but PATH is the file to write: drop --output",
        )
        .into());
    }
    Ok(target)
}

fn term(a: &TermArgs) -> anyhow::Result<TermSettings> {
    let mut ports = ports::expand(&a.link.port)?;
    let remote = match (ports.len(), a.command.is_empty()) {
        (1, true) => Remote::Port(ports.remove(0)),
        (0, false) => Remote::Command(a.command.clone()),
        (0, true) => {
            return Err(UsageError("term needs --port DEVICE or -- COMMAND").into());
        }
        (1, false) => {
            return Err(UsageError(
                "term runs on --port DEVICE or on -- COMMAND, not both (unset XYZMODEM_PORT to run COMMAND)",
            )
            .into());
        }
        _ => return Err(UsageError("term uses one --port").into()),
    };
    if a.link.telnet {
        return Err(UsageError(
            "--telnet is for a connection on stdin/stdout; term opens telnet://HOST:PORT or rfc2217://HOST:PORT with --port",
        )
        .into());
    }
    let existing = if a.overwrite {
        Existing::Overwrite
    } else if a.rename {
        Existing::Rename
    } else {
        Existing::Refuse
    };
    Ok(TermSettings {
        escape: a.escape_key.0,
        auto: !a.no_auto,
        reconnect: !a.no_reconnect,
        map: a.map.unwrap_or_default(),
        local_echo: a.local_echo,
        timestamps: a.timestamps,
        log: a.log.clone(),
        ..term_on(remote, &a.link, &a.protocol, &a.download_dir, existing)?
    })
}

/// The terminal on `remote` with the default keys, downloads into `dir`.
fn term_on(
    remote: Remote,
    link: &LinkArgs,
    protocol: &ProtocolArgs,
    dir: &Path,
    existing: Existing,
) -> anyhow::Result<TermSettings> {
    Ok(TermSettings {
        remote,
        serial: serial(link, protocol),
        escape: 0x14,
        auto: true,
        reconnect: true,
        map: Map::default(),
        local_echo: false,
        timestamps: false,
        log: None,
        download: RecvSettings {
            target: target(RecvProtocol::Zmodem, Some(dir), None)?,
            protocol: RecvProtocol::Zmodem,
            check: Check::Crc16,
            policy: ReceivePolicy {
                existing,
                ..ReceivePolicy::default()
            },
            escape_controls: false,
            limits: limits(protocol),
            port: None,
            serial: serial(link, protocol),
            board: Board::default(),
            records: Records::default(),
        },
    })
}

fn limits(a: &ProtocolArgs) -> Limits {
    Limits {
        retries: a.retries,
        start_timeout: Duration::from_secs(a.timeout),
        idle: Duration::from_secs(a.idle_timeout),
    }
}

/// The link's settings; a network port may take `--timeout` to connect and agree its options.
fn serial(a: &LinkArgs, protocol: &ProtocolArgs) -> Serial {
    let settings = SerialSettings {
        baud: a.baud,
        data_bits: a.data_bits,
        parity: match a.parity {
            ParityArg::None => Parity::None,
            ParityArg::Odd => Parity::Odd,
            ParityArg::Even => Parity::Even,
        },
        stop_bits: a.stop_bits,
        flow_control: match a.flow_control {
            FlowArg::None => FlowControl::None,
            FlowArg::Software => FlowControl::Software,
            FlowArg::Hardware => FlowControl::Hardware,
        },
        open_timeout: Duration::from_secs(protocol.timeout),
        ..SerialSettings::new("")
    };
    Serial {
        settings,
        telnet: a.telnet,
    }
}

fn board(a: &BoardArgs) -> Board {
    Board {
        init: a.init.as_ref().map(|e| e.0.clone()),
        expect: a.expect.as_ref().map(|e| e.0.clone()),
        expect_timeout: Duration::from_secs_f64(a.expect_timeout),
        after: a.after.as_ref().map(|e| e.0.clone()),
    }
}

fn records(a: &RecordArgs) -> Records {
    Records {
        report: a.report.clone(),
        trace: a.trace.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn resolved(args: &[&str]) -> anyhow::Result<Settings> {
        let mut argv = vec!["xyzmodem"];
        argv.extend_from_slice(args);
        resolve(&Cli::try_parse_from(argv).expect("parses"))
    }

    fn recv_of(args: &[&str]) -> RecvSettings {
        match resolved(args).unwrap().action {
            Action::Recv(r) => r,
            a => panic!("{a:?}"),
        }
    }

    fn usage_error(args: &[&str]) -> String {
        let e = resolved(args).unwrap_err();
        assert!(e.chain().any(|c| c.is::<UsageError>()), "{args:?}: {e:#}");
        format!("{e:#}")
    }

    /// `--timeout`, `--idle-timeout` and `--retries` reach every engine through one mapping;
    /// the answer timeout stays the engine's, and the ZMODEM receiver keeps its count of
    /// errors per file.
    #[test]
    fn limits_map_onto_every_engine() {
        let r = recv_of(&[
            "recv",
            "--timeout",
            "7",
            "--idle-timeout",
            "9",
            "--retries",
            "3",
        ]);
        let s = Duration::from_secs(1);
        let defaults = proto::Limits::default();
        let want = proto::Limits {
            start: 7 * s,
            answer: defaults.answer,
            idle: 9 * s,
            max_errors: 3,
        };
        assert_eq!(r.limits.engine(defaults), want);
        let zrecv = xyzmodem::proto::zmodem::ReceiverConfig::default().limits;
        assert_eq!(
            r.limits.engine_keeping_errors(zrecv),
            proto::Limits {
                max_errors: 20,
                ..want
            }
        );
    }

    #[test]
    fn send_protocol_is_one_value() {
        let proto = |args: &[&str]| match resolved(args).unwrap().action {
            Action::Send(s) => s.protocol,
            a => panic!("{a:?}"),
        };
        assert_eq!(proto(&["send", "f"]), SendProtocol::Xmodem { one_k: false });
        assert_eq!(
            proto(&["send", "-k", "f"]),
            SendProtocol::Xmodem { one_k: true }
        );
        assert_eq!(
            proto(&["send", "-Y", "--128", "--full-path", "f", "g"]),
            SendProtocol::Ymodem {
                one_k: false,
                full_path: true,
                header_wait: Duration::from_millis(500)
            }
        );
        assert!(usage_error(&["send", "f", "g"]).contains("-Y"));
    }

    #[test]
    fn if_exists_names_are_the_management_names() {
        use clap::ValueEnum;
        for arg in IfExistsArg::value_variants() {
            let name = arg
                .to_possible_value()
                .expect("shown")
                .get_name()
                .to_owned();
            let (request, skip_absent) = management(*arg);
            let own = if skip_absent {
                format!("{request}-or-skip")
            } else {
                request.to_string()
            };
            assert_eq!(name, own);
        }
    }

    #[test]
    fn zmodem_escape_profiles_and_existing_file_requests() {
        let proto = |args: &[&str]| match resolved(args).unwrap().action {
            Action::Send(s) => s.protocol,
            a => panic!("{a:?}"),
        };
        let z = |escape, management: Option<(Management, bool)>| SendProtocol::Zmodem {
            subpacket: 1024,
            window: None,
            escape,
            resume: false,
            management: management.map(|m| m.0),
            skip_absent: management.is_some_and(|m| m.1),
        };
        assert_eq!(proto(&["send", "-Z", "f"]), z(EscapeProfile::Minimal, None));
        for (name, profile) in [
            ("minimal", EscapeProfile::Minimal),
            ("all", EscapeProfile::Controls),
            ("telnet", EscapeProfile::Telnet),
            ("ssh", EscapeProfile::Ssh),
        ] {
            assert_eq!(
                proto(&["send", "-Z", "--escape", name, "f"]),
                z(profile, None)
            );
        }
        assert_eq!(
            proto(&["send", "-Z", "--escape-controls", "f"]),
            z(EscapeProfile::Controls, None)
        );
        assert_eq!(
            proto(&["send", "-Z", "--if-exists", "overwrite-or-skip", "f"]),
            z(EscapeProfile::Minimal, Some((Management::Overwrite, true)))
        );
        assert_eq!(
            proto(&["send", "-Z", "--if-exists", "rename", "f"]),
            z(EscapeProfile::Minimal, Some((Management::Rename, false)))
        );
        assert!(recv_of(&["recv", "-Z", "--escape", "all"]).escape_controls);
        assert!(recv_of(&["recv", "--escape", "ssh"]).escape_controls);
        assert!(recv_of(&["recv", "-Z", "--escape-controls"]).escape_controls);
        assert!(!recv_of(&["recv", "-Z", "--escape", "minimal"]).escape_controls);
        assert!(usage_error(&["recv", "-Z", "--escape", "telnet"]).contains("sender"));
    }

    #[test]
    fn recv_protocol_is_one_value() {
        let proto = |args: &[&str]| recv_of(args).protocol;
        assert_eq!(proto(&["recv"]), RecvProtocol::Detect);
        assert_eq!(proto(&["recv", "-X", "f"]), RecvProtocol::Xmodem);
        assert_eq!(proto(&["recv", "-Y"]), RecvProtocol::Ymodem);
        assert_eq!(proto(&["recv", "-g"]), RecvProtocol::YmodemG);
        // Issue 9 item 11: -Y -g says exactly what the user wants.
        assert_eq!(proto(&["recv", "-Y", "-g"]), RecvProtocol::YmodemG);
    }

    #[test]
    fn options_that_cannot_apply_are_refused() {
        // Issue 9 item 11.
        assert!(usage_error(&["recv", "-X", "-o", "n", "f"]).contains("drop --output"));
        assert!(usage_error(&["recv", "-X", "--keep-dirs", "f"]).contains("--keep-dirs"));
        assert!(usage_error(&["recv", "-Y", "--strip-padding"]).contains("--strip-padding"));
        assert!(usage_error(&["recv", "-g", "--strip-padding"]).contains("--strip-padding"));
        // Where they can apply, they are accepted.
        recv_of(&["recv", "-o", "n"]);
        recv_of(&["recv", "-Y", "-o", "n"]); // a sender without header is XMODEM-1K
        recv_of(&["recv", "--keep-dirs", "--strip-padding"]);
    }

    #[test]
    fn the_target_follows_the_protocol_and_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("exists.bin");
        std::fs::write(&file, b"x").unwrap();
        let d = tmp.path().to_str().unwrap();
        let f = file.to_str().unwrap();
        let target = |args: &[&str]| recv_of(args).target;
        let dir = |p: &str, create| Target::Dir {
            dir: p.into(),
            create,
            xmodem_name: None,
        };
        assert_eq!(target(&["recv"]), dir(".", false));
        assert_eq!(target(&["recv", d]), dir(d, false));
        assert_eq!(target(&["recv", "-X", f]), Target::File(f.into()));
        assert_eq!(target(&["recv", f]), Target::File(f.into()));
        // Issue 9 item 12: a path ending in `/` is a directory to create.
        assert_eq!(target(&["recv", "inbox/"]), dir("inbox/", true));
        assert_eq!(target(&["recv", "-g", "inbox/"]), dir("inbox/", true));
        // Issue 9 item 10: the wrong kind of path is a usage error, found up front.
        assert!(usage_error(&["recv", "-Y", f]).contains("is not a directory"));
        assert!(usage_error(&["recv", "-X", "--overwrite", d]).contains("is a directory"));
        assert!(usage_error(&["recv", "-X", "inbox/"]).contains("is a directory"));
        assert!(usage_error(&["recv", "-X"]).contains("recv -X FILE"));
    }

    #[test]
    fn existing_files_policy() {
        let existing = |args: &[&str]| recv_of(args).policy.existing;
        assert_eq!(existing(&["recv"]), Existing::Refuse);
        assert_eq!(existing(&["recv", "--overwrite"]), Existing::Overwrite);
        assert_eq!(existing(&["recv", "--rename"]), Existing::Rename);
        assert_eq!(existing(&["recv", "--skip-existing"]), Existing::Skip);
    }
}
