//! The command-line interface: parse, build a session, run it, map the
//! result to an exit code. Everything that talks to the user lives here.

mod args;
mod exit;
mod progress;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use xyzmodem::driver::{self, Handler, Summary};
use xyzmodem::files::{Existing, FileError, Sink, Source};
use xyzmodem::link::{FlowControl, Link, Parity, SerialLink, SerialSettings, StdioLink};
use xyzmodem::proto::xmodem::{Receiver, ReceiverConfig, Sender, SenderConfig};
use xyzmodem::proto::{Check, Event};

use args::{Cli, Command, FlowArg, LinkArgs, ParityArg, RecvArgs, SendArgs};
use exit::Code;
use progress::{Progress, Verbosity, human_bytes};

/// Set by SIGINT, SIGTERM and SIGHUP; the driver polls it.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // clap prints help/version (exit 0) or a usage error (exit 2) itself.
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, 0) => Verbosity::Normal,
        (false, _) => Verbosity::Verbose,
    };
    if let Err(e) = install_signal_handlers() {
        eprintln!("xyzmodem: error: cannot install signal handlers: {e}");
        return Code::LocalIo.into();
    }
    let result = match &cli.command {
        Command::Send(a) => send(a, verbosity),
        Command::Recv(a) => recv(a, verbosity),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "xyzmodem", &mut std::io::stdout());
            Ok(())
        }
        Command::Manpage => clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
            .render(&mut std::io::stdout())
            .context("writing the man page"),
    };
    match result {
        Ok(()) => Code::Success.into(),
        Err(e) => {
            eprintln!("xyzmodem: error: {e:#}");
            exit::for_anyhow(&e).into()
        }
    }
}

fn install_signal_handlers() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // A second signal while the first is being handled exits at once.
        signal_hook::flag::register_conditional_shutdown(
            sig,
            Code::Interrupted as i32,
            &INTERRUPTED,
        )?;
        signal_hook::flag::register(sig, &INTERRUPTED)?;
    }
    Ok(())
}

/// The link named by the options, and whether stderr is the same terminal
/// as the link (then nothing may be printed during the transfer).
fn open_link(a: &LinkArgs) -> anyhow::Result<(Box<dyn Link>, bool)> {
    match &a.port {
        Some(path) => {
            let settings = SerialSettings {
                path: path.clone(),
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
            };
            Ok((Box::new(SerialLink::open(&settings)?), false))
        }
        None => {
            let shares = stderr_shares_stdio_terminal();
            let link = StdioLink::open().context("cannot set up stdin/stdout as the link")?;
            Ok((Box::new(link), shares))
        }
    }
}

/// True when stderr is the terminal that stdin or stdout (the link) is on.
fn stderr_shares_stdio_terminal() -> bool {
    use rustix::fs::fstat;
    use rustix::stdio::{stderr, stdin, stdout};
    if !std::io::stderr().is_terminal() {
        return false;
    }
    let Ok(err) = fstat(stderr()) else {
        return true;
    };
    [fstat(stdin()), fstat(stdout())]
        .into_iter()
        .flatten()
        .any(|st| st.st_rdev == err.st_rdev)
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn summary_line(verb: &str, name: &str, s: &Summary) -> String {
    let secs = s.elapsed.as_secs_f64().max(1e-6);
    let check = s.check.map_or_else(|| "-".to_owned(), |c| c.to_string());
    format!(
        "xyzmodem: {verb} {name}: {} ({} bytes) in {secs:.2} s, {}/s, {check}, {} retries",
        human_bytes(s.bytes),
        s.bytes,
        human_bytes((s.bytes as f64 / secs) as u64),
        s.retries,
    )
}

struct SendHandler<'a> {
    source: &'a mut Source,
    progress: &'a mut Progress,
}

impl Handler for SendHandler<'_> {
    fn read_file(&mut self, buf: &mut [u8]) -> Result<usize, FileError> {
        self.source.read_full(buf)
    }

    fn event(&mut self, event: &Event) -> Result<(), FileError> {
        self.progress.event(event);
        Ok(())
    }
}

fn send(a: &SendArgs, verbosity: Verbosity) -> anyhow::Result<()> {
    // The file first: a typo fails before anything touches the link.
    let mut source = Source::open(&a.file)?;
    let (mut link, stderr_is_link) = open_link(&a.link)?;
    let cfg = SenderConfig {
        one_k: a.one_k,
        start_timeout: Duration::from_secs(a.protocol.timeout),
        max_errors: a.protocol.retries,
        ..SenderConfig::default()
    };
    let name = display_name(&a.file);
    let mut progress = Progress::new(
        &format!("sending {name}"),
        Some(source.size()),
        verbosity,
        stderr_is_link,
    );
    let mut engine = Sender::new(cfg, Instant::now());
    let result = driver::run(
        &mut engine,
        link.as_mut(),
        &mut SendHandler {
            source: &mut source,
            progress: &mut progress,
        },
        Some(&INTERRUPTED),
    );
    progress.finish();
    drop(link); // restore the terminal before printing
    let summary = result.with_context(|| format!("sending {}", a.file.display()))?;
    if verbosity != Verbosity::Quiet {
        eprintln!("{}", summary_line("sent", &name, &summary));
    }
    Ok(())
}

struct RecvHandler<'a> {
    sink: &'a mut Sink,
    progress: &'a mut Progress,
}

impl Handler for RecvHandler<'_> {
    fn write_file(&mut self, data: &[u8]) -> Result<(), FileError> {
        self.sink.write(data)
    }

    fn event(&mut self, event: &Event) -> Result<(), FileError> {
        self.progress.event(event);
        Ok(())
    }
}

fn recv(a: &RecvArgs, verbosity: Verbosity) -> anyhow::Result<()> {
    let existing = if a.overwrite {
        Existing::Overwrite
    } else {
        Existing::Refuse
    };
    // Refuse an existing output before anything touches the link.
    let mut sink = Sink::create(&a.file, existing)?;
    let (mut link, stderr_is_link) = open_link(&a.link)?;
    let cfg = ReceiverConfig {
        check: if a.checksum {
            Check::Checksum
        } else {
            Check::Crc16
        },
        start_timeout: Duration::from_secs(a.protocol.timeout),
        max_errors: a.protocol.retries,
        ..ReceiverConfig::default()
    };
    let name = display_name(&a.file);
    let mut progress = Progress::new(
        &format!("receiving {name}"),
        None,
        verbosity,
        stderr_is_link,
    );
    let mut engine = Receiver::new(cfg, Instant::now());
    let result = driver::run(
        &mut engine,
        link.as_mut(),
        &mut RecvHandler {
            sink: &mut sink,
            progress: &mut progress,
        },
        Some(&INTERRUPTED),
    );
    progress.finish();
    drop(link);
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            if let Some(part) = sink.abandon(a.keep_partial) {
                eprintln!("xyzmodem: kept the partial data as {}", part.display());
            }
            return Err(e).with_context(|| format!("receiving {}", a.file.display()));
        }
    };
    let strip = a.strip_padding.then_some(summary.last_block);
    let len = sink.commit(strip)?;
    if verbosity != Verbosity::Quiet {
        eprintln!(
            "{}",
            summary_line(
                "received",
                &name,
                &Summary {
                    bytes: len,
                    ..summary
                }
            )
        );
    }
    Ok(())
}
