//! The command-line interface: parse, build a session, run it, map the
//! result to an exit code. Everything that talks to the user lives here.

mod args;
mod exit;
mod handshake;
mod lrzsz;
mod parallel;
mod ports;
mod progress;
mod report;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use xyzmodem::driver::{self, Handler, Summary};
use xyzmodem::files::names::{self, SafeName};
use xyzmodem::files::{Existing, FileError, Finish, Padding, Sink, Source};
use xyzmodem::link::{FlowControl, Link, Parity, SerialLink, SerialSettings, StdioLink};
use xyzmodem::proto::{
    Check, Event, FileInfo, Protocol, ReceiverConfig, RecvMode, SendMode, Sender, SenderConfig,
};

use args::{Cli, Command, FlowArg, LinkArgs, ParityArg, RecvArgs, SendArgs};
use exit::{Code, UsageError};
use handshake::Wire;
use indicatif::MultiProgress;
use progress::{Progress, Verbosity, human_bytes};
use report::{Recorded, Recorder, Report};

/// Set by SIGINT, SIGTERM and SIGHUP; the driver polls it.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // Invoked as sx, rx, sb, rb, sy or ry: behave like that lrzsz program.
    if let Some(code) = lrzsz::main_if_personality(run) {
        return code;
    }
    // clap prints help/version (exit 0) or a usage error (exit 2) itself.
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    match run(&cli) {
        Ok(()) => Code::Success.into(),
        Err(e) => {
            eprintln!("xyzmodem: error: {e:#}");
            exit::for_anyhow(&e).into()
        }
    }
}

/// Run a parsed command line. Errors carry their type for [`exit::for_anyhow`].
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, 0) => Verbosity::Normal,
        (false, _) => Verbosity::Verbose,
    };
    install_signal_handlers().context("cannot install signal handlers")?;
    match &cli.command {
        Command::Send(a) => send(a, verbosity),
        Command::Recv(a) => recv(a, verbosity),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "xyzmodem", &mut std::io::stdout());
            Ok(())
        }
        Command::InstallLinks {
            dir,
            force,
            lsz_names,
        } => lrzsz::install_links(dir, *force, *lsz_names, verbosity),
        Command::Ports => ports::list(),
        Command::Manpage => clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
            .render(&mut std::io::stdout())
            .context("writing the man page"),
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
fn open_link(a: &LinkArgs, port: Option<&str>) -> anyhow::Result<(Box<dyn Link>, bool)> {
    match port {
        Some(path) => {
            let settings = SerialSettings {
                path: path.to_owned(),
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

fn summary_line(verb: &str, what: &str, s: &Summary) -> String {
    let secs = s.elapsed.as_secs_f64().max(1e-6);
    let check = s.check.map_or_else(|| "-".to_owned(), |c| c.to_string());
    format!(
        "xyzmodem: {verb} {what}: {} ({} bytes) in {secs:.2} s, {}/s, {check}, {} retries",
        human_bytes(s.bytes),
        s.bytes,
        human_bytes((s.bytes as f64 / secs) as u64),
        s.retries,
    )
}

/// What to call `n` files in a summary.
fn files_label(n: usize, only: Option<&str>) -> String {
    match (n, only) {
        (1, Some(name)) => name.to_owned(),
        _ => format!("{n} files"),
    }
}

struct SendHandler<'a> {
    sources: &'a mut [Source],
    infos: &'a [FileInfo],
    /// Index of the file being sent; advanced on each `FileStart`.
    current: Option<usize>,
    progress: &'a mut Progress,
}

impl Handler for SendHandler<'_> {
    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, FileError> {
        let i = self.current.unwrap_or(0);
        self.sources[i].read_at(offset, buf)
    }

    fn event(&mut self, event: &Event) -> Result<(), FileError> {
        if let Event::FileStart(_) = event {
            let i = self.current.map_or(0, |i| i + 1);
            self.current = Some(i);
            let label = String::from_utf8_lossy(&self.infos[i].name).into_owned();
            let label = if label.is_empty() {
                display_name(self.sources[i].path())
            } else {
                label
            };
            self.progress
                .file_start(&label, Some(self.sources[i].size()));
        }
        self.progress.event(event);
        Ok(())
    }
}

/// The YMODEM header for a file being sent: name, size, mtime and full mode, as lrzsz does.
fn file_info(source: &Source, full_path: bool) -> anyhow::Result<FileInfo> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    let path = source.path();
    let name = if full_path {
        anyhow::ensure!(
            path.is_relative(),
            "--full-path sends relative paths only, not {}",
            path.display()
        );
        path.as_os_str().as_bytes().to_vec()
    } else {
        path.file_name()
            .map(|n| n.as_bytes().to_vec())
            .ok_or_else(|| anyhow::anyhow!("{} has no file name", path.display()))?
    };
    let meta = std::fs::metadata(path).ok();
    Ok(FileInfo {
        name,
        size: Some(source.size()),
        mtime: meta
            .as_ref()
            .and_then(|m| u64::try_from(m.mtime()).ok())
            .filter(|&t| t > 0),
        mode: meta.as_ref().map(MetadataExt::mode),
        files_left: None,
        bytes_left: None,
    })
}

fn send(a: &SendArgs, verbosity: Verbosity) -> anyhow::Result<()> {
    if !a.ymodem && a.files.len() > 1 {
        return Err(UsageError("XMODEM sends one file; use -Y/--ymodem for several").into());
    }
    let ports = ports::expand(&a.link.port)?;
    let report = Report::open(a.records.report.as_deref(), ports.is_empty())?;
    if ports.len() > 1 {
        return parallel::send(a, &ports, verbosity, &report);
    }
    let port = ports.first().map(String::as_str);
    let mut rec = Recorder::send(port, &a.files);
    let trace = a.records.trace.as_deref();
    let result = send_port(a, port, trace, None, verbosity, &mut rec);
    rec.finish(result.as_ref().err());
    report.files(&rec);
    let reported = report.session("send", &[&rec], result.as_ref().err());
    let summary = result?;
    reported?;
    if verbosity != Verbosity::Quiet {
        let what = files_label(a.files.len(), Some(&display_name(&a.files[0])));
        eprintln!("{}", summary_line("sent", &what, &summary));
    }
    Ok(())
}

/// One sending session over `port` (stdin/stdout when `None`), traced into `trace`. With
/// several ports at once, the bars go to the shared `display`.
fn send_port(
    a: &SendArgs,
    port: Option<&str>,
    trace: Option<&Path>,
    display: Option<&MultiProgress>,
    verbosity: Verbosity,
    rec: &mut Recorder,
) -> anyhow::Result<Summary> {
    // The files first: a typo fails before anything touches the link.
    let mut sources = a
        .files
        .iter()
        .map(|f| Source::open(f))
        .collect::<Result<Vec<_>, _>>()?;
    let mut infos = Vec::with_capacity(sources.len());
    if a.ymodem {
        for s in &sources {
            infos.push(file_info(s, a.full_path)?);
        }
        let mut bytes_left: u64 = infos.iter().filter_map(|i| i.size).sum();
        let count = infos.len() as u64;
        for (k, info) in infos.iter_mut().enumerate() {
            info.files_left = Some(count - k as u64);
            info.bytes_left = Some(bytes_left);
            bytes_left -= info.size.unwrap_or(0);
        }
    } else {
        infos.push(FileInfo::default());
    }
    let (link, stderr_is_link) = open_link(&a.link, port)?;
    let mut echo = handshake::echo(verbosity, stderr_is_link, display, port);
    let mut wire = Wire::open(link, trace, &a.board, &INTERRUPTED, &mut echo)?;
    let cfg = SenderConfig {
        mode: if a.ymodem {
            SendMode::Ymodem
        } else {
            SendMode::Xmodem
        },
        one_k: a.one_k || (a.ymodem && !a.small),
        start_timeout: Duration::from_secs(a.protocol.timeout),
        header_c_wait: Duration::from_secs_f64(a.header_wait),
        max_errors: a.protocol.retries,
        ..SenderConfig::default()
    };
    let total: u64 = sources.iter().map(Source::size).sum();
    let batch = (sources.len() > 1).then_some(total);
    let mut progress = match display {
        Some(d) => Progress::in_display(d, verbosity, false, batch, parallel::tag(port)),
        None => Progress::new(verbosity, stderr_is_link, batch),
    };
    let mut engine = Sender::new(cfg, infos.clone(), Instant::now());
    let result = driver::run(
        &mut engine,
        wire.link(),
        &mut Recorded {
            inner: &mut SendHandler {
                sources: &mut sources,
                infos: &infos,
                current: None,
                progress: &mut progress,
            },
            rec,
        },
        Some(&INTERRUPTED),
    );
    progress.finish();
    let what = files_label(a.files.len(), Some(&display_name(&a.files[0])));
    let result = result
        .with_context(|| format!("sending {what}"))
        .and_then(|summary| wire.after(&a.board).map(|()| summary));
    wire.close(); // restore the terminal before printing
    result
}

/// Where received files go and what to do about existing ones.
struct RecvPlan {
    /// The directory for YMODEM files (and XMODEM data named by --output).
    dir: PathBuf,
    /// A file named on the command line: XMODEM data, or the first YMODEM file, goes here. Its
    /// sink is created before the link is opened, so an existing file fails at once.
    fixed: Option<Sink>,
    output: Option<PathBuf>,
    existing: Existing,
    skip_existing: bool,
    keep_dirs: bool,
    keep_partial: bool,
    strip_padding: bool,
}

/// The file being received.
struct Current {
    /// `None`: an existing file being skipped (data discarded).
    sink: Option<Sink>,
    info: FileInfo,
}

struct RecvHandler<'a> {
    plan: RecvPlan,
    current: Option<Current>,
    /// What the session speaks, once started.
    protocol: Option<Protocol>,
    last_block: usize,
    received: Vec<(PathBuf, u64)>,
    progress: &'a mut Progress,
}

impl RecvHandler<'_> {
    /// Decide where a file announced by the sender goes, and open it.
    fn open(&mut self, info: &FileInfo) -> Result<Option<Sink>, FileError> {
        if let Some(sink) = self.plan.fixed.take() {
            return Ok(Some(sink));
        }
        let path = if info.name.is_empty() {
            // XMODEM: no name on the wire.
            let Some(output) = &self.plan.output else {
                return Err(refused(
                    &self.plan.dir,
                    "the sender uses XMODEM, which sends no file name: give one with --output NAME",
                ));
            };
            self.plan.dir.join(output)
        } else {
            let raw = String::from_utf8_lossy(&info.name).into_owned();
            let safe: SafeName = names::sanitize(&info.name, self.plan.keep_dirs).map_err(|e| {
                refused(&self.plan.dir, &format!("refusing file name {raw:?}: {e}"))
            })?;
            if safe.changed {
                self.progress.note(&format!(
                    "storing {raw:?} as {:?}",
                    safe.path.display().to_string()
                ));
            }
            names::resolve(&self.plan.dir, &safe, self.plan.keep_dirs).map_err(|e| {
                FileError::Io {
                    op: "cannot store",
                    path: self.plan.dir.join(&safe.path),
                    error: e,
                }
            })?
        };
        if self.plan.skip_existing && path.symlink_metadata().is_ok() {
            self.progress
                .note(&format!("skipping {}: it already exists", path.display()));
            return Ok(None);
        }
        Sink::create(&path, self.plan.existing).map(Some)
    }

    fn commit(&mut self, current: Current) -> Result<(), FileError> {
        let Some(sink) = current.sink else {
            return Ok(());
        };
        let padding = self.protocol.and_then(Protocol::padding);
        let finish = Finish {
            strip_padding: padding
                .filter(|_| self.plan.strip_padding)
                .map(|byte| Padding {
                    byte,
                    within: self.last_block,
                }),
            mtime: current.info.mtime,
            mode: current.info.mode,
        };
        let (path, len) = sink.commit(&finish)?;
        self.received.push((path, len));
        Ok(())
    }

    /// Bytes of the files already received.
    fn progress_done(&self) -> u64 {
        self.received.iter().map(|(_, n)| n).sum()
    }

    /// On failure: delete the partial file, or keep it as NAME.part.
    fn abandon(&mut self) {
        let sinks = self
            .current
            .take()
            .and_then(|c| c.sink)
            .into_iter()
            .chain(self.plan.fixed.take());
        for sink in sinks {
            if let Some(part) = sink.abandon(self.plan.keep_partial) {
                self.progress
                    .note(&format!("kept the partial data as {}", part.display()));
            }
        }
    }
}

fn refused(path: &Path, why: &str) -> FileError {
    FileError::Io {
        op: "cannot receive into",
        path: path.to_path_buf(),
        error: std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_owned()),
    }
}

impl Handler for RecvHandler<'_> {
    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), FileError> {
        match self.current.as_mut().and_then(|c| c.sink.as_mut()) {
            Some(sink) => sink.write_at(offset, data),
            None => Ok(()),
        }
    }

    fn event(&mut self, event: &Event) -> Result<(), FileError> {
        self.progress.event(event);
        match event {
            Event::FileStart(info) => {
                if let (Some(files), Some(bytes)) = (info.files_left, info.bytes_left)
                    && files > 1
                {
                    self.progress.set_batch_total(self.progress_done() + bytes);
                }
                let sink = self.open(info)?;
                let label = sink
                    .as_ref()
                    .map_or_else(|| "(skipped)".to_owned(), |s| display_name(s.path()));
                self.progress.file_start(&label, info.size);
                self.current = Some(Current {
                    sink,
                    info: info.clone(),
                });
            }
            Event::Started { protocol, .. } => self.protocol = Some(*protocol),
            Event::Progress { frame, .. } => self.last_block = *frame,
            Event::FileEnd { .. } => {
                if let Some(current) = self.current.take() {
                    self.commit(current)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn recv(a: &RecvArgs, verbosity: Verbosity) -> anyhow::Result<()> {
    let ports = ports::expand(&a.link.port)?;
    if ports.len() > 1 {
        return Err(UsageError("recv uses one --port").into());
    }
    let report = Report::open(a.records.report.as_deref(), ports.is_empty())?;
    let port = ports.first().map(String::as_str);
    let mut rec = Recorder::recv(port);
    let result = recv_port(a, port, verbosity, &mut rec);
    rec.finish(result.as_ref().err());
    report.files(&rec);
    let reported = report.session("recv", &[&rec], result.as_ref().err());
    result?;
    reported
}

/// One receiving session over `port` (stdin/stdout when `None`).
fn recv_port(
    a: &RecvArgs,
    port: Option<&str>,
    verbosity: Verbosity,
    rec: &mut Recorder,
) -> anyhow::Result<()> {
    let existing = if a.overwrite {
        Existing::Overwrite
    } else if a.rename {
        Existing::Rename
    } else {
        Existing::Refuse
    };
    let mode = if a.xmodem {
        RecvMode::Xmodem
    } else if a.streaming {
        RecvMode::YmodemG
    } else if a.ymodem {
        RecvMode::Ymodem
    } else {
        RecvMode::Detect
    };
    // Directory or file? XMODEM names a file; YMODEM a directory; detection goes by the path.
    let path = a.path.clone();
    let is_dir = path.as_deref().is_none_or(Path::is_dir);
    let (dir, fixed_path) = match (mode, path) {
        (RecvMode::Xmodem, None) => {
            return Err(UsageError("XMODEM needs the file to write: recv -X FILE").into());
        }
        (RecvMode::Xmodem, Some(p)) => (PathBuf::from("."), Some(p)),
        (_, None) => (PathBuf::from("."), None),
        (_, Some(p)) if is_dir => (p, None),
        (RecvMode::Ymodem | RecvMode::YmodemG, Some(p)) => {
            anyhow::ensure!(
                !p.exists(),
                "{} is not a directory: YMODEM receives into a directory",
                p.display()
            );
            return Err(FileError::Io {
                op: "cannot receive into",
                path: p,
                error: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
            }
            .into());
        }
        (_, Some(p)) => (PathBuf::from("."), Some(p)),
    };
    // Refuse an existing output before anything touches the link.
    let fixed = fixed_path.map(|p| Sink::create(&p, existing)).transpose()?;
    if let Some(name) = fixed.as_ref().map(Sink::path).or(a.output.as_deref()) {
        rec.set_fallback_name(name.display().to_string());
    }
    let (link, stderr_is_link) = open_link(&a.link, port)?;
    let mut echo = handshake::echo(verbosity, stderr_is_link, None, port);
    let trace = a.records.trace.as_deref();
    let mut wire = Wire::open(link, trace, &a.board, &INTERRUPTED, &mut echo)?;
    let cfg = ReceiverConfig {
        mode,
        check: if a.checksum {
            Check::Checksum
        } else {
            Check::Crc16
        },
        start_timeout: Duration::from_secs(a.protocol.timeout),
        max_errors: a.protocol.retries,
        ..ReceiverConfig::default()
    };
    let mut progress = Progress::new(verbosity, stderr_is_link, None);
    let mut handler = RecvHandler {
        plan: RecvPlan {
            dir,
            fixed,
            output: a.output.clone(),
            existing,
            skip_existing: a.skip_existing,
            keep_dirs: a.keep_dirs,
            keep_partial: a.keep_partial,
            strip_padding: a.strip_padding,
        },
        current: None,
        protocol: None,
        last_block: 0,
        received: Vec::new(),
        progress: &mut progress,
    };
    let mut engine = xyzmodem::proto::detect::AutoReceiver::new(cfg, Instant::now());
    let result = driver::run(
        &mut engine,
        wire.link(),
        &mut Recorded {
            inner: &mut handler,
            rec,
        },
        Some(&INTERRUPTED),
    );
    handler.progress.finish();
    let after = match &result {
        Ok(_) => wire.after(&a.board),
        Err(_) => Ok(()),
    };
    wire.close(); // restore the terminal before printing
    let received = std::mem::take(&mut handler.received);
    let what = files_label(
        received.len(),
        received.first().map(|(p, _)| p.to_str().unwrap_or("file")),
    );
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            handler.abandon();
            return Err(e).context("receiving");
        }
    };
    if verbosity != Verbosity::Quiet {
        if received.len() > 1 || verbosity == Verbosity::Verbose {
            for (path, len) in &received {
                eprintln!("xyzmodem: received {} ({len} bytes)", path.display());
            }
        }
        let bytes = received.iter().map(|(_, n)| n).sum();
        eprintln!(
            "{}",
            summary_line("received", &what, &Summary { bytes, ..summary })
        );
    }
    after
}
