//! One session: open the files and the link, run the bootloader handshake, drive the
//! engine, and print the summary. Settings arrive resolved ([`super::settings`]).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::MultiProgress;
use xyzmodem::driver::handlers::{ReceiveInto, SendFiles};
use xyzmodem::driver::{self, Summary};
use xyzmodem::files::{KeepPartial, ReceiveFiles, Source, names};
use xyzmodem::link::{Link, StdioLink, TelnetLink, net, open_port};
use xyzmodem::proto::detect::{AutoReceiver, Start};
use xyzmodem::proto::{Engine, zmodem};
use xyzmodem::proto::{FileInfo, Position, ReceiverConfig, Sender, SenderConfig};

use super::exit::UsageError;
use super::handlers::{RecvHandler, SendHandler};
use super::handshake::{self, Wire};
use super::progress::{Progress, Verbosity, display_name, human_bytes, tag};
use super::report::{Recorded, Recorder, Report};
use super::settings::{RecvProtocol, RecvSettings, SendProtocol, SendSettings, Serial};

/// Set by SIGINT, SIGTERM and SIGHUP; the driver polls it.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Signals counted since the last one was dealt with: the signal thread ends the process on
/// a second one (a first one is still being handled).
pub static SIGNALS: AtomicU32 = AtomicU32::new(0);

/// An interrupt was dealt with and the program goes on (`term` after a transfer a Ctrl-C
/// cancelled): the next signal is a first one again.
pub fn interrupt_handled() {
    SIGNALS.store(0, Ordering::SeqCst);
    INTERRUPTED.store(false, Ordering::SeqCst);
}

/// Set by an lrzsz personality, which prints lrzsz's own waiting line (`rz waiting to
/// receive.`): the session then prints none of its own.
pub static LRZSZ_WAITING_LINE: AtomicBool = AtomicBool::new(false);

/// How a session on stdin/stdout is cancelled, said while it waits: in raw mode Ctrl-C is a
/// byte, taken as an interrupt only until the transfer starts (`driver::Options::ctrl_c`).
const TERMINAL_CANCEL: &str = "Ctrl-C cancels until the transfer starts; then cancel it on the other side, or type Ctrl-X five times";

/// What the other side has to do for a send to start.
fn send_waiting(protocol: SendProtocol, what: &str) -> String {
    match protocol {
        SendProtocol::Xmodem { .. } => format!(
            "sending {what} with XMODEM: start an XMODEM receive on the other side now \
             (lrzsz: rx -c FILE; a terminal program: its XMODEM download)"
        ),
        SendProtocol::Ymodem { .. } => format!(
            "sending {what} with YMODEM: start a YMODEM receive on the other side now \
             (lrzsz: rb; a terminal program: its YMODEM download)"
        ),
        SendProtocol::Zmodem { .. } => format!(
            "sending {what} with ZMODEM: the other side starts its receive by itself if it can \
             (lrzsz rz on a shell, most terminal programs), else start a ZMODEM receive there now"
        ),
    }
}

/// What the other side has to do for a receive to start.
fn recv_waiting(protocol: RecvProtocol) -> &'static str {
    match protocol {
        RecvProtocol::Detect => {
            "waiting for an XMODEM, YMODEM or ZMODEM sender: start the send on the other side \
             now (lrzsz: sx FILE, sb FILE or sz FILE; a terminal program: its upload)"
        }
        RecvProtocol::Xmodem => {
            "waiting for an XMODEM sender: start the send on the other side now \
             (lrzsz: sx FILE; a terminal program: its XMODEM upload)"
        }
        RecvProtocol::Ymodem => {
            "waiting for a YMODEM sender: start the send on the other side now \
             (lrzsz: sb FILE; a terminal program: its YMODEM upload)"
        }
        RecvProtocol::YmodemG => {
            "waiting for a YMODEM-G sender: start the send on the other side now \
             (lrzsz: sb FILE; a terminal program: its YMODEM-G upload)"
        }
        RecvProtocol::Zmodem => {
            "waiting for a ZMODEM sender: start the send on the other side now \
             (lrzsz: sz FILE; a terminal program: its ZMODEM upload)"
        }
    }
}

/// Say, once, what the session waits for: on stdin/stdout that is a terminal (someone typed
/// the command there and must now act on the other side) unless `-q`, printed before the
/// terminal goes raw; on a port with `-v`, as a note (`progress`) once the handshake is done.
/// An lrzsz personality prints its own line instead.
fn say_waiting(
    waiting: &str,
    port: Option<&str>,
    verbosity: Verbosity,
    progress: Option<&Progress>,
) {
    if LRZSZ_WAITING_LINE.load(Ordering::Relaxed) {
        return;
    }
    match (port, progress) {
        (None, None) if verbosity != Verbosity::Quiet && stdio_is_terminal() => {
            eprintln!("xyzmodem: {waiting}\nxyzmodem: {TERMINAL_CANCEL}");
        }
        (Some(port), Some(progress)) if verbosity == Verbosity::Verbose => {
            // With several ports, each note already starts with its port.
            let port = if progress.tagged() {
                String::new()
            } else {
                format!("{port}: ")
            };
            progress.note(&format!("{port}{waiting}; Ctrl-C cancels"));
        }
        _ => {}
    }
}

/// True when stdin or stdout, the link without `--port`, is a terminal: a person typed the
/// command there.
fn stdio_is_terminal() -> bool {
    std::io::stdin().is_terminal() || std::io::stdout().is_terminal()
}

/// The driver's options: [`INTERRUPTED`], and writes that may wait for room as long as the
/// other side has to start (`--timeout`).
fn driver_options(timeout: Duration, ctrl_c: bool) -> driver::Options<'static> {
    driver::Options {
        interrupt: Some(&INTERRUPTED),
        write_timeout: timeout,
        ctrl_c,
    }
}

/// The warning for a session whose last frame the receiver never acknowledged.
pub fn unconfirmed_warning(summary: &Summary) -> Option<&'static str> {
    let what = match summary.end_unconfirmed? {
        Position::EndOfBatch => {
            "the receiver did not acknowledge the end of the batch; \
             every file was acknowledged, so the batch is delivered"
        }
        _ => {
            "the receiver did not acknowledge the end of the file (EOT): \
             every data block was acknowledged, but the end is not confirmed"
        }
    };
    Some(what)
}

/// The link named by the options, and whether stderr is the same terminal
/// as the link (then nothing may be printed during the transfer).
pub fn open_link(serial: &Serial, port: Option<&str>) -> anyhow::Result<(Box<dyn Link>, bool)> {
    match port {
        Some(path) => Ok((open_port(&serial.for_port(path))?, false)),
        None => {
            let shares = stderr_shares_stdio_terminal();
            let link = StdioLink::open().context("cannot set up stdin/stdout as the link")?;
            if serial.telnet {
                // The caller set the connection up: answer its options, ask for none.
                return Ok((Box::new(TelnetLink::new(link, false, false)), shares));
            }
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

/// The line after a session: `head` (e.g. "sent f.bin"), then the bytes, time and rate.
fn summary_line(head: &str, s: &Summary) -> String {
    let secs = s.elapsed.as_secs_f64().max(1e-6);
    let check = s.check.map_or_else(|| "-".to_owned(), |c| c.to_string());
    format!(
        "xyzmodem: {head}: {} ({} bytes) in {secs:.2} s, {}/s, {check}, {} retries",
        human_bytes(s.bytes),
        s.bytes,
        human_bytes((s.bytes as f64 / secs) as u64),
        s.retries,
    )
}

/// The head of the summary after sending `files`: what was sent, and what the receiver
/// skipped (ZMODEM) when it did.
fn sent_head(files: &[std::path::PathBuf], s: &Summary) -> String {
    if s.skipped > 0 {
        return format!("{} sent, {} skipped by the receiver", s.files, s.skipped);
    }
    let what = files_label(files.len(), Some(&display_name(&files[0])));
    format!("sent {}", names::printable(&what))
}

/// What to call `n` files in a summary.
fn files_label(n: usize, only: Option<&str>) -> String {
    match (n, only) {
        (1, Some(name)) => name.to_owned(),
        _ => format!("{n} files"),
    }
}

/// The YMODEM header for a file being sent: name, size, mtime and full mode, as lrzsz does.
fn file_info(source: &Source, full_path: bool) -> anyhow::Result<FileInfo> {
    use std::os::unix::ffi::OsStrExt;
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
    Ok(source.info(name))
}

/// Send over one port (or stdin/stdout), with the report and the summary line.
/// With `kept`, the link stays open after a success and goes there (for `--then-term`).
pub fn send(
    a: &SendSettings,
    verbosity: Verbosity,
    report: &Report,
    kept: Option<&mut Option<Box<dyn Link>>>,
) -> anyhow::Result<()> {
    let port = a.ports.first().map(String::as_str);
    let mut rec = Recorder::send(port, &a.files);
    let trace = a.records.trace.as_deref();
    let result = send_port(a, port, trace, None, verbosity, &mut rec, kept);
    rec.finish(result.as_ref().err());
    report.files(&rec);
    let reported = report.session("send", &[&rec], result.as_ref().err());
    let summary = result?;
    reported?;
    if verbosity != Verbosity::Quiet {
        eprintln!("{}", summary_line(&sent_head(&a.files, &summary), &summary));
    }
    if verbosity != Verbosity::Quiet
        && let Some(warning) = unconfirmed_warning(&summary)
    {
        eprintln!("xyzmodem: warning: {warning}");
    }
    Ok(())
}

/// One sending session over `port` (stdin/stdout when `None`), traced into `trace`. With
/// several ports at once, the bars go to the shared `display`. With `kept`, a link that
/// carried a successful session is put there open (traced still) instead of closed: the port
/// is never closed between the send and what comes next, so nothing the device prints then
/// is lost, and its modem lines do not drop.
pub fn send_port(
    a: &SendSettings,
    port: Option<&str>,
    trace: Option<&Path>,
    display: Option<&MultiProgress>,
    verbosity: Verbosity,
    rec: &mut Recorder,
    kept: Option<&mut Option<Box<dyn Link>>>,
) -> anyhow::Result<Summary> {
    // The files first: a typo fails before anything touches the link.
    let (sources, infos) = open_sources(a)?;
    let what = files_label(a.files.len(), Some(&display_name(&a.files[0])));
    let waiting = send_waiting(a.protocol, &what);
    say_waiting(&waiting, port, verbosity, None);
    let typed_on = port.is_none() && stdio_is_terminal();
    let (link, stderr_is_link) = open_link(&a.serial, port)?;
    let mut echo = handshake::echo(verbosity, stderr_is_link, display, port);
    let mut wire = Wire::open(link, trace, &a.board, &INTERRUPTED, &mut echo)?;
    let sending = Sending {
        settings: a,
        port,
        display,
        verbosity,
        stderr_is_link,
        ctrl_c: typed_on,
    };
    let result = sending
        .run(sources, &infos, wire.link(), rec, Some(&waiting))
        .with_context(|| format!("sending {what}"))
        .and_then(|summary| wire.after(&a.board, &mut echo).map(|()| summary));
    match kept {
        Some(slot) if result.is_ok() => *slot = Some(wire.into_link()),
        _ => wire.close(), // restore the terminal before printing
    }
    result
}

/// The files of `a` opened to be sent, with their batch headers (one empty header for
/// XMODEM). A file that cannot be sent fails here, before anything touches the link.
fn open_sources(a: &SendSettings) -> anyhow::Result<(Vec<Source>, Vec<FileInfo>)> {
    let sources = a
        .files
        .iter()
        .map(|f| Source::open_with(f, a.force_device))
        .collect::<Result<Vec<_>, _>>()?;
    let mut infos = Vec::with_capacity(sources.len());
    let batch_names = match a.protocol {
        SendProtocol::Ymodem { full_path, .. } => Some(full_path),
        SendProtocol::Zmodem { .. } => Some(false),
        SendProtocol::Xmodem { .. } => None,
    };
    if let Some(full_path) = batch_names {
        for s in &sources {
            infos.push(file_info(s, full_path)?);
        }
        if let SendProtocol::Zmodem { .. } = a.protocol
            && let Some(big) = sources
                .iter()
                .find(|s| s.size().is_some_and(|n| n > u64::from(u32::MAX)))
        {
            return Err(UsageError(
                "ZMODEM cannot send files of 4 GiB or more (its positions are 32 bits): use -Y (YMODEM)",
            ))
            .with_context(|| big.path().display().to_string());
        }
        xyzmodem::proto::file::number_batch(&mut infos);
    } else {
        infos.push(FileInfo::default());
    }
    Ok((sources, infos))
}

/// Send the files of `a` over a link that is open (a terminal's), then print the summary.
pub fn send_over(
    a: &SendSettings,
    link: &mut dyn Link,
    verbosity: Verbosity,
) -> anyhow::Result<()> {
    let (sources, infos) = open_sources(a)?;
    let what = files_label(a.files.len(), Some(&display_name(&a.files[0])));
    let mut rec = Recorder::send(None, &a.files);
    let sending = Sending {
        settings: a,
        port: None,
        display: None,
        verbosity,
        stderr_is_link: false,
        ctrl_c: false,
    };
    let summary = sending
        .run(sources, &infos, link, &mut rec, None)
        .with_context(|| format!("sending {what}"))?;
    if verbosity != Verbosity::Quiet {
        eprintln!("{}", summary_line(&sent_head(&a.files, &summary), &summary));
        if let Some(warning) = unconfirmed_warning(&summary) {
            eprintln!("xyzmodem: warning: {warning}");
        }
    }
    Ok(())
}

/// A sending session over a link that is open: the engine, the progress display, the
/// report's records.
struct Sending<'a> {
    settings: &'a SendSettings,
    port: Option<&'a str>,
    display: Option<&'a MultiProgress>,
    verbosity: Verbosity,
    stderr_is_link: bool,
    ctrl_c: bool,
}

impl Sending<'_> {
    /// Run the session over `link`; `waiting` (what the other side must do) is said with
    /// `-v` once the bar is up.
    fn run(
        &self,
        sources: Vec<Source>,
        infos: &[FileInfo],
        link: &mut dyn Link,
        rec: &mut Recorder,
        waiting: Option<&str>,
    ) -> Result<Summary, driver::Error> {
        let (a, port, verbosity) = (self.settings, self.port, self.verbosity);
        let mut engine = engine(a, infos.to_vec());
        let sizes: Option<Vec<u64>> = sources.iter().map(Source::size).collect();
        let batch = sizes
            .filter(|s| s.len() > 1)
            .map(|s| s.into_iter().sum::<u64>());
        let mut progress = match self.display {
            Some(d) => Progress::in_display(d, verbosity, false, batch, tag(port)),
            None => Progress::new(verbosity, self.stderr_is_link, batch),
        }
        .sending();
        if let Some(waiting) = waiting {
            say_waiting(waiting, port, verbosity, Some(&progress));
        }
        let result = driver::run_with(
            engine.as_mut(),
            link,
            &mut Recorded {
                inner: &mut SendHandler {
                    files: SendFiles::new(sources),
                    infos,
                    progress: &mut progress,
                },
                rec,
            },
            &driver_options(a.limits.start_timeout, self.ctrl_c),
        );
        progress.finish();
        result
    }
}

/// The sending engine for `a`'s protocol, announcing `infos`.
fn engine(a: &SendSettings, infos: Vec<FileInfo>) -> Box<dyn Engine> {
    match a.protocol {
        SendProtocol::Zmodem {
            subpacket,
            window,
            escape,
            resume,
            management,
            skip_absent,
        } => Box::new(zmodem::Sender::new(
            zmodem::SenderConfig {
                subpacket,
                window,
                escape,
                resume,
                management,
                skip_absent,
                limits: a.limits.engine(zmodem::SenderConfig::default().limits),
                ..zmodem::SenderConfig::default()
            },
            infos,
            Instant::now(),
        )),
        SendProtocol::Xmodem { .. } | SendProtocol::Ymodem { .. } => {
            let defaults = SenderConfig::default();
            let (one_k, header_c_wait) = match a.protocol {
                SendProtocol::Ymodem {
                    one_k, header_wait, ..
                } => (one_k, header_wait),
                SendProtocol::Xmodem { .. } | SendProtocol::Zmodem { .. } => {
                    (one_k_of(a.protocol), defaults.header_c_wait)
                }
            };
            let cfg = SenderConfig {
                mode: a.protocol.mode(),
                one_k,
                limits: a.limits.engine(defaults.limits),
                header_c_wait,
                ..defaults
            };
            Box::new(Sender::new(cfg, infos, Instant::now()))
        }
    }
}

/// Receive over one port (or stdin/stdout), with the report and the summary line.
pub fn recv(a: &RecvSettings, verbosity: Verbosity) -> anyhow::Result<()> {
    let report = Report::open(a.records.report.as_deref(), a.port.is_none())?;
    let port = a.port.as_deref();
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
    a: &RecvSettings,
    port: Option<&str>,
    verbosity: Verbosity,
    rec: &mut Recorder,
) -> anyhow::Result<()> {
    // The target before anything touches the link: a missing or unwritable directory, or an
    // existing output file, fails before the sender is answered.
    let files = ReceiveFiles::new(a.target.clone(), a.policy)?;
    if let Some(name) = files.fixed_path().or(a.target.xmodem_name()) {
        rec.set_fallback_name(name.display().to_string());
    }
    let waiting = recv_waiting(a.protocol);
    say_waiting(waiting, port, verbosity, None);
    let typed_on = port.is_none() && stdio_is_terminal();
    let (link, stderr_is_link) = open_link(&a.serial, port)?;
    let mut echo = handshake::echo(verbosity, stderr_is_link, None, port);
    let trace = a.records.trace.as_deref();
    let mut wire = Wire::open(link, trace, &a.board, &INTERRUPTED, &mut echo)?;
    let start = match a.protocol {
        RecvProtocol::Detect => Start::Xymodem,
        RecvProtocol::Zmodem => Start::Zmodem,
        RecvProtocol::Xmodem | RecvProtocol::Ymodem | RecvProtocol::YmodemG => Start::XymodemOnly,
    };
    let got = Receiving {
        settings: a,
        start,
        // On a serial port the rate is known: the quiet before a NAK is a few characters
        // long (and never under `quiet_min`); on stdin/stdout or a network port (whose
        // serial line may be far slower than the network) the receiver learns it.
        char_time: port
            .filter(|p| net::Address::parse(p).is_none())
            .map(|p| a.serial.for_port(p).char_time()),
        stderr_is_link,
        ctrl_c: typed_on,
        verbosity,
    }
    .run(files, wire.link(), rec, Some(waiting));
    let after = match &got.summary {
        Ok(_) => wire.after(&a.board, &mut echo),
        Err(_) => Ok(()),
    };
    wire.close(); // restore the terminal before printing
    got.report(verbosity)?;
    after
}

/// A receiving session over a link that is open: the engine, the progress display, the
/// files, the report's records.
pub struct Receiving<'a> {
    /// Protocol, target policy, limits.
    pub settings: &'a RecvSettings,
    /// Which receiver starts.
    pub start: Start,
    /// The line's character time, when known (a port's rate).
    pub char_time: Option<Duration>,
    /// Nothing may be printed during the transfer.
    pub stderr_is_link: bool,
    /// A Ctrl-C byte read before the transfer starts interrupts it (a terminal as the link).
    pub ctrl_c: bool,
    /// How chatty to be.
    pub verbosity: Verbosity,
}

/// What a receiving session did: its result, and the files it stored.
pub struct Received {
    /// The session's summary, or why it failed (its files abandoned then).
    pub summary: anyhow::Result<Summary>,
    files: Vec<(std::path::PathBuf, u64)>,
    already: u64,
}

impl Receiving<'_> {
    /// Run the session over `link` into `files`; `waiting` (what the other side must do) is
    /// said with `-v` once the bar is up.
    pub fn run(
        &self,
        files: ReceiveFiles,
        link: &mut dyn Link,
        rec: &mut Recorder,
        waiting: Option<&str>,
    ) -> Received {
        let a = self.settings;
        let cfg = ReceiverConfig {
            mode: a.protocol.mode(),
            check: a.check,
            limits: a.limits.engine(ReceiverConfig::default().limits),
            char_time: self.char_time,
            ..ReceiverConfig::default()
        };
        let mut progress = Progress::new(self.verbosity, self.stderr_is_link, None);
        if let Some(waiting) = waiting {
            say_waiting(waiting, a.port.as_deref(), self.verbosity, Some(&progress));
        }
        let mut handler = RecvHandler {
            files: ReceiveInto::new(files),
            progress: &mut progress,
            delete_partial: a.policy.keep_partial == KeepPartial::Never,
            stored: Vec::new(),
        };
        let zcfg = zmodem::ReceiverConfig {
            escape_controls: a.escape_controls,
            limits: a
                .limits
                .engine_keeping_errors(zmodem::ReceiverConfig::default().limits),
            ..zmodem::ReceiverConfig::default()
        };
        let mut engine = AutoReceiver::new(self.start, cfg, zcfg, Instant::now());
        let result = driver::run_with(
            &mut engine,
            link,
            &mut Recorded {
                inner: &mut handler,
                rec,
            },
            &driver_options(a.limits.start_timeout, self.ctrl_c),
        );
        handler.progress.finish();
        if result.is_err() {
            handler.abandon();
        }
        rec.set_stored(std::mem::take(&mut handler.stored));
        Received {
            summary: result.context("receiving"),
            files: handler.received(),
            already: handler.already_there(),
        }
    }
}

impl Received {
    /// The files stored, and their lengths.
    pub fn files(&self) -> &[(std::path::PathBuf, u64)] {
        &self.files
    }

    /// The lines after the session (once a terminal used as the link is restored): each file
    /// with `-v` or in a batch, then the summary; or the session's error.
    pub fn report(self, verbosity: Verbosity) -> anyhow::Result<()> {
        let summary = self.summary?;
        if verbosity == Verbosity::Quiet {
            return Ok(());
        }
        let received = self.files;
        let what = files_label(
            received.len(),
            received.first().map(|(p, _)| p.to_str().unwrap_or("file")),
        );
        if received.len() > 1 || verbosity == Verbosity::Verbose {
            for (path, len) in &received {
                eprintln!(
                    "xyzmodem: received {} ({len} bytes)",
                    names::printable_path(path)
                );
            }
        }
        // A resumed file's bytes from its part file did not cross the line: the count and
        // the rate are of what did, and the rest is said apart.
        let already = self.already;
        let bytes = received
            .iter()
            .map(|(_, n)| n)
            .sum::<u64>()
            .saturating_sub(already);
        let line = summary_line(
            &format!("received {}", names::printable(&what)),
            &Summary { bytes, ..summary },
        );
        if already > 0 {
            eprintln!(
                "{line}; {} ({already} bytes) were already there",
                human_bytes(already)
            );
        } else {
            eprintln!("{line}");
        }
        Ok(())
    }
}

/// XMODEM's `-k`.
fn one_k_of(protocol: SendProtocol) -> bool {
    matches!(protocol, SendProtocol::Xmodem { one_k: true })
}
