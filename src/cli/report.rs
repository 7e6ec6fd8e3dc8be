//! `--report FILE`: one JSON object per line for each file (and, sending to several ports,
//! for each port and file), then one for the session. `-` is stdout, when stdout is not the
//! link. Field reference: docs/OPERATIONS.md.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use xyzmodem::driver::Handler;
use xyzmodem::files::{FileError, names};
use xyzmodem::proto::{Check, Event, Position, Protocol};

use super::exit::{self, UsageError};

/// `value` as one line of JSON in which no string carries a character unsafe on a terminal
/// (`names::is_unsafe_char`: C1 controls, bidirectional overrides...) raw: serde_json
/// escapes C0 controls itself, this escapes the others as `\uXXXX` too. The JSON means the
/// same; a report on a terminal (`--report -`) cannot act on it.
fn to_json(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeUnsafe);
    value.serialize(&mut ser).expect("report records serialise");
    out
}

/// serde_json's compact format, escaping [`names::is_unsafe_char`] characters.
struct EscapeUnsafe;

impl serde_json::ser::Formatter for EscapeUnsafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| names::is_unsafe_char(c)) {
            writer.write_all(&rest.as_bytes()[..i])?;
            // Every unsafe character is in the Basic Multilingual Plane: one \u escape.
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

/// One file of a session, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct FileRecord {
    /// Always "file".
    #[serde(rename = "type")]
    kind: &'static str,
    /// "send" or "recv".
    pub direction: &'static str,
    /// The serial port; null for stdin/stdout.
    pub port: Option<String>,
    /// Sending: the path as given. Receiving: the name the sender gave (XMODEM: the output).
    pub name: String,
    /// The size, when known (always when sending; YMODEM headers carry it).
    pub size: Option<u64>,
    /// Bytes confirmed (receiving XMODEM: with the padding of the last block).
    pub bytes: u64,
    /// "xmodem", "xmodem-1k", "ymodem" or "ymodem-g".
    pub protocol: &'static str,
    /// The largest block size used (128 or 1024); null if no block went through.
    pub block_size: Option<usize>,
    /// "checksum" or "CRC-16"; null if the session never started.
    pub check: Option<String>,
    /// Retries (NAKs, timeouts, rejected blocks) during this file.
    pub retries: u32,
    /// Seconds from the file's start to its end (or to the failure).
    pub duration: f64,
    /// "ok", "failed" or "skipped" (the receiver declined the file).
    pub result: &'static str,
    /// Why it failed (null when ok).
    pub error: Option<String>,
    #[serde(skip)]
    started: Option<Instant>,
}

/// The last line of a report.
#[derive(Debug, Serialize)]
struct SessionRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    direction: &'static str,
    /// The ports, in order; empty for stdin/stdout.
    ports: &'a [String],
    /// File lines written, and how many of them are ok / failed.
    files: usize,
    ok: usize,
    failed: usize,
    bytes: u64,
    retries: u32,
    duration: f64,
    result: &'static str,
    /// False when a sender stopped waiting for the receiver to acknowledge the last frame of
    /// the session (XMODEM's EOT, YMODEM's end of batch) on some port: the data was
    /// acknowledged, the end was not.
    end_confirmed: bool,
    exit_code: u8,
    error: Option<String>,
}

/// Collects what happens to each file of one session (one port) from the engine's events.
#[derive(Debug)]
pub struct Recorder {
    direction: &'static str,
    port: Option<String>,
    /// Sending: every file to send, with its size, so files never started are reported too.
    planned: Vec<(String, Option<u64>)>,
    /// Receiving XMODEM (no name on the wire): the output path.
    fallback_name: String,
    check: Option<Check>,
    protocol: Option<Protocol>,
    /// Retries outside any file (before a header was acknowledged, the end of the batch).
    loose_retries: u32,
    /// The last frame the receiver did not acknowledge, if the sender stopped waiting for it.
    end_unconfirmed: Option<Position>,
    current: Option<FileRecord>,
    files: Vec<FileRecord>,
    started: Instant,
    elapsed: Duration,
    error: Option<String>,
    exit_code: u8,
}

impl Recorder {
    fn new(direction: &'static str, port: Option<&str>) -> Self {
        Self {
            direction,
            port: port.map(str::to_owned),
            planned: Vec::new(),
            fallback_name: String::new(),
            check: None,
            protocol: None,
            loose_retries: 0,
            end_unconfirmed: None,
            current: None,
            files: Vec::new(),
            started: Instant::now(),
            elapsed: Duration::ZERO,
            error: None,
            exit_code: 0,
        }
    }

    /// A sending session over `port` (stdin/stdout when `None`) of `files`.
    pub fn send(port: Option<&str>, files: &[PathBuf]) -> Self {
        let mut rec = Self::new("send", port);
        rec.planned = files
            .iter()
            .map(|f| {
                (
                    f.display().to_string(),
                    std::fs::metadata(f).ok().map(|m| m.len()),
                )
            })
            .collect();
        rec
    }

    /// A receiving session over `port`.
    pub fn recv(port: Option<&str>) -> Self {
        Self::new("recv", port)
    }

    /// Receiving: the name for XMODEM data, which arrives without one.
    pub fn set_fallback_name(&mut self, name: String) {
        self.fallback_name = name;
    }

    /// Bytes confirmed over all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Time from the start of the session to [`finish`](Self::finish).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Note an engine event.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::Started { protocol, check } => {
                self.protocol = Some(*protocol);
                self.check = Some(*check);
            }
            Event::FileStart(info) => {
                self.close_current("the next file started early");
                let index = self.files.len();
                let planned = self.planned.get(index);
                let name = match planned {
                    Some((name, _)) => name.clone(),
                    None if info.name.is_empty() => self.fallback_name.clone(),
                    None => String::from_utf8_lossy(&info.name).into_owned(),
                };
                self.current = Some(FileRecord {
                    kind: "file",
                    direction: self.direction,
                    port: self.port.clone(),
                    name,
                    size: info.size.or_else(|| planned.and_then(|p| p.1)),
                    bytes: 0,
                    protocol: "",
                    block_size: None,
                    check: None,
                    retries: std::mem::take(&mut self.loose_retries),
                    duration: 0.0,
                    result: "failed",
                    error: None,
                    started: Some(Instant::now()),
                });
            }
            Event::Progress { bytes, frame } => {
                if let Some(f) = &mut self.current {
                    f.bytes = *bytes;
                    f.block_size = Some(f.block_size.unwrap_or(0).max(*frame));
                }
            }
            Event::Retry { .. } => match &mut self.current {
                Some(f) => f.retries += 1,
                None => self.loose_retries += 1,
            },
            Event::FileEnd { bytes } => {
                if let Some(mut f) = self.current.take() {
                    f.bytes = *bytes;
                    f.result = "ok";
                    self.push(f);
                }
            }
            Event::FileSkipped => {
                if let Some(mut f) = self.current.take() {
                    f.result = "skipped";
                    self.push(f);
                }
            }
            Event::EndUnconfirmed { at } => self.end_unconfirmed = Some(*at),
            Event::Finished | Event::Failed(_) | Event::Note(_) => {}
        }
    }

    fn push(&mut self, mut f: FileRecord) {
        f.duration = f.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
        f.check = self.check.map(|c| c.to_string());
        f.protocol = match (self.protocol, f.block_size) {
            (Some(Protocol::Xmodem) | None, Some(1024)) => "xmodem-1k",
            (Some(p), _) => p.as_str(),
            (None, _) => "xmodem",
        };
        self.files.push(f);
    }

    fn close_current(&mut self, why: &str) {
        if let Some(mut f) = self.current.take() {
            f.error = Some(why.to_owned());
            self.push(f);
        }
    }

    /// The session is over: a file in progress failed with `error`, and (sending) so did
    /// every file not started.
    pub fn finish(&mut self, error: Option<&anyhow::Error>) {
        self.elapsed = self.started.elapsed();
        let text = error.map(|e| format!("{e:#}"));
        self.exit_code = error.map_or(0, |e| exit::for_anyhow(e) as u8);
        if let Some(mut f) = self.current.take() {
            f.error = Some(text.clone().unwrap_or_else(|| "incomplete".to_owned()));
            self.push(f);
        }
        if let Some(text) = &text {
            for (name, size) in self.planned.iter().skip(self.files.len()) {
                self.files.push(FileRecord {
                    kind: "file",
                    direction: self.direction,
                    port: self.port.clone(),
                    name: name.clone(),
                    size: *size,
                    bytes: 0,
                    protocol: "",
                    block_size: None,
                    check: self.check.map(|c| c.to_string()),
                    retries: 0,
                    duration: 0.0,
                    result: "failed",
                    error: Some(text.clone()),
                    started: None,
                });
            }
            // Protocol of files never started: what the others used, else the planned one.
            let protocol = self
                .files
                .iter()
                .map(|f| f.protocol)
                .find(|p| !p.is_empty())
                .unwrap_or("");
            for f in &mut self.files {
                if f.protocol.is_empty() {
                    f.protocol = protocol;
                }
            }
        }
        self.error = text;
    }

    /// The file records, in order.
    pub fn files(&self) -> &[FileRecord] {
        &self.files
    }
}

/// A [`Handler`] that shows every event to a [`Recorder`] before passing it on.
pub struct Recorded<'a> {
    /// The handler doing the work.
    pub inner: &'a mut dyn Handler,
    /// Where events are recorded.
    pub rec: &'a mut Recorder,
}

impl Handler for Recorded<'_> {
    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, FileError> {
        self.inner.read_file(offset, buf)
    }

    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), FileError> {
        self.inner.write_file(offset, data)
    }

    fn event(&mut self, event: &Event) -> Result<(), FileError> {
        self.rec.event(event);
        self.inner.event(event)
    }

    fn file_reply(&mut self) -> xyzmodem::proto::FileReply {
        self.inner.file_reply()
    }
}

/// Where report lines go (nowhere without `--report`).
pub struct Report {
    out: Option<Mutex<Sink>>,
    started: Instant,
}

struct Sink {
    name: String,
    out: Box<dyn Write + Send>,
    error: Option<io::Error>,
}

impl Report {
    /// Open the report: `path` `-` is stdout, refused when stdout is the link. A file is
    /// created (or truncated) now, so a bad path fails before the transfer.
    pub fn open(path: Option<&Path>, stdout_is_link: bool) -> anyhow::Result<Self> {
        let out = match path {
            None => None,
            Some(p) if p == Path::new("-") => {
                if stdout_is_link {
                    return Err(UsageError(
                        "--report - would write into the link (stdout): name a file, or use --port",
                    )
                    .into());
                }
                Some(Sink {
                    name: "stdout".to_owned(),
                    out: Box::new(io::stdout()),
                    error: None,
                })
            }
            Some(p) => {
                let file = File::create(p)
                    .with_context(|| format!("cannot create the report {}", p.display()))?;
                Some(Sink {
                    name: p.display().to_string(),
                    out: Box::new(BufWriter::new(file)),
                    error: None,
                })
            }
        };
        Ok(Self {
            out: out.map(Mutex::new),
            started: Instant::now(),
        })
    }

    fn write_line(sink: &mut Sink, value: &impl Serialize) {
        if sink.error.is_some() {
            return;
        }
        let mut line = to_json(value);
        line.push(b'\n');
        if let Err(e) = sink.out.write_all(&line) {
            sink.error = Some(e);
        }
    }

    /// Write the file lines of one finished session (one port).
    pub fn files(&self, rec: &Recorder) {
        let Some(out) = &self.out else {
            return;
        };
        let mut sink = out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for f in rec.files() {
            Self::write_line(&mut sink, f);
        }
        if sink.error.is_none()
            && let Err(e) = sink.out.flush()
        {
            sink.error = Some(e);
        }
    }

    /// Write the session line for `recs` (one per port, in port order) and close the report.
    /// `error` is the error the program exits with, if any.
    pub fn session(
        &self,
        direction: &'static str,
        recs: &[&Recorder],
        error: Option<&anyhow::Error>,
    ) -> anyhow::Result<()> {
        let Some(out) = &self.out else {
            return Ok(());
        };
        let ports: Vec<String> = recs.iter().filter_map(|r| r.port.clone()).collect();
        let files = recs.iter().flat_map(|r| r.files());
        let ok = files.clone().filter(|f| f.result == "ok").count();
        let all = files.clone().count();
        let record = SessionRecord {
            kind: "session",
            direction,
            ports: &ports,
            files: all,
            ok,
            failed: all - ok,
            bytes: recs.iter().map(|r| r.bytes()).sum(),
            retries: files.map(|f| f.retries).sum::<u32>()
                + recs.iter().map(|r| r.loose_retries).sum::<u32>(),
            duration: self.started.elapsed().as_secs_f64(),
            result: if error.is_some() { "failed" } else { "ok" },
            end_confirmed: recs.iter().all(|r| r.end_unconfirmed.is_none()),
            exit_code: error.map_or(0, |e| exit::for_anyhow(e) as u8),
            error: error.map(|e| format!("{e:#}")),
        };
        let mut sink = out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::write_line(&mut sink, &record);
        if sink.error.is_none()
            && let Err(e) = sink.out.flush()
        {
            sink.error = Some(e);
        }
        match sink.error.take() {
            Some(e) => Err(e).with_context(|| format!("cannot write the report {}", sink.name)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xyzmodem::proto::{FileInfo, RetryReason};

    fn info(name: &str, size: Option<u64>) -> FileInfo {
        FileInfo {
            name: name.as_bytes().to_vec(),
            size,
            ..FileInfo::default()
        }
    }

    #[test]
    fn a_sent_batch_with_a_failure() {
        let files = [
            PathBuf::from("a.bin"),
            PathBuf::from("b.bin"),
            PathBuf::from("c.bin"),
        ];
        let mut rec = Recorder::send(Some("/dev/ttyUSB0"), &files);
        rec.event(&Event::Started {
            protocol: Protocol::Ymodem,
            check: Check::Crc16,
        });
        rec.event(&Event::Retry {
            reason: RetryReason::Timeout,
            attempt: 1,
        });
        rec.event(&Event::FileStart(info("a.bin", Some(2000))));
        rec.event(&Event::Progress {
            bytes: 1024,
            frame: 1024,
        });
        rec.event(&Event::Progress {
            bytes: 2000,
            frame: 128,
        });
        rec.event(&Event::FileEnd { bytes: 2000 });
        rec.event(&Event::FileStart(info("b.bin", Some(5000))));
        rec.event(&Event::Progress {
            bytes: 1024,
            frame: 1024,
        });
        rec.event(&Event::Retry {
            reason: RetryReason::Nak,
            attempt: 1,
        });
        let e = anyhow::Error::from(xyzmodem::driver::Error::Interrupted);
        rec.finish(Some(&e));
        let f = rec.files();
        assert_eq!(f.len(), 3);
        assert_eq!(
            (
                f[0].name.as_str(),
                f[0].size,
                f[0].bytes,
                f[0].result,
                f[0].retries
            ),
            ("a.bin", Some(2000), 2000, "ok", 1)
        );
        assert_eq!((f[0].protocol, f[0].block_size), ("ymodem", Some(1024)));
        assert_eq!(f[0].check.as_deref(), Some("CRC-16"));
        assert_eq!((f[1].bytes, f[1].result, f[1].retries), (1024, "failed", 1));
        assert_eq!(f[1].error.as_deref(), Some("interrupted"));
        assert_eq!(
            (f[2].name.as_str(), f[2].bytes, f[2].result),
            ("c.bin", 0, "failed")
        );
        assert_eq!(f[2].protocol, "ymodem");
        let json = serde_json::to_value(&f[0]).unwrap();
        assert_eq!(json["type"], "file");
        assert_eq!(json["port"], "/dev/ttyUSB0");
        assert!(json.get("ymodem").is_none());
        assert!(json["error"].is_null());
    }

    #[test]
    fn xmodem_receive_uses_the_output_name() {
        let mut rec = Recorder::recv(None);
        rec.set_fallback_name("out.bin".into());
        rec.event(&Event::Started {
            protocol: Protocol::Xmodem,
            check: Check::Checksum,
        });
        rec.event(&Event::FileStart(FileInfo::default()));
        rec.event(&Event::Progress {
            bytes: 1024,
            frame: 1024,
        });
        rec.event(&Event::FileEnd { bytes: 1024 });
        rec.finish(None);
        let f = &rec.files()[0];
        assert_eq!(
            (f.name.as_str(), f.protocol, f.check.as_deref(), f.size),
            ("out.bin", "xmodem-1k", Some("checksum"), None)
        );
        assert_eq!(rec.bytes(), 1024);
    }

    /// Issue 9, item 9: a sender's name with C1 controls or bidirectional overrides went
    /// raw into `--report`, which may be a terminal (`--report -`).
    #[test]
    fn report_lines_carry_no_unsafe_character_raw() {
        let mut rec = Recorder::recv(None);
        let name = "a\u{9b}2J\u{202e}txt\u{1b}";
        rec.event(&Event::FileStart(info(name, Some(1))));
        rec.event(&Event::FileEnd { bytes: 1 });
        rec.finish(None);
        let line = String::from_utf8(to_json(&rec.files()[0])).unwrap();
        assert!(!line.chars().any(names::is_unsafe_char), "{line:?}");
        assert!(
            line.contains(r#""name":"a\u009b2J\u202etxt\u001b""#),
            "{line}"
        );
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["name"], name);
    }

    #[test]
    fn stdout_report_is_refused_when_stdout_is_the_link() {
        let e = Report::open(Some(Path::new("-")), true).err().unwrap();
        assert!(e.is::<UsageError>());
        assert!(Report::open(Some(Path::new("-")), false).is_ok());
    }
}
