//! `--report FILE`: one JSON object per line for each file (and, sending to several ports,
//! for each port and file), then one for the session. `-` is stdout, when stdout is not the
//! link. Field reference: docs/OPERATIONS.md.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use serde::Serialize;
use xyzmodem::driver::{Handler, HandlerError};
use xyzmodem::files::names;
use xyzmodem::proto::{Check, Event, FileInfo, FileReply, Position};

use super::exit::{self, UsageError};
use super::hints;

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
    /// Sending: the path as given. Receiving: the name the sender gave (XMODEM: the output);
    /// null when there is none.
    pub name: Option<String>,
    /// Where the data is: sending, the path read; receiving, the file's final path (with
    /// `--rename`, `NAME.1`...), or for a failed file its kept `NAME.part`; null when nothing
    /// was stored (skipped, deleted, never started).
    pub path: Option<String>,
    /// When the file started (UTC, RFC 3339); for a file a failed session never started, the
    /// session's start for the first such file and null for the rest.
    pub start: Option<String>,
    /// The size, when known (always when sending; YMODEM headers carry it).
    pub size: Option<u64>,
    /// Bytes confirmed (receiving XMODEM: with the padding of the last block).
    pub bytes: u64,
    /// "xmodem", "xmodem-1k", "ymodem", "ymodem-g" or "zmodem"; null when unknown.
    pub protocol: Option<&'static str>,
    /// The largest block size used (128 or 1024); null if no block went through.
    pub block_size: Option<usize>,
    /// "checksum", "CRC-16" or "CRC-32"; null if the session never started.
    pub check: Option<String>,
    /// Retries (NAKs, timeouts, rejected blocks) during this file.
    pub retries: u32,
    /// Seconds from the file's start to its end (or to the failure); for the first file a
    /// failed session never started, from the session's start (the time spent waiting for
    /// the other side); null for the files after it.
    pub duration: Option<f64>,
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
    /// When the command started (UTC, RFC 3339).
    start: String,
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
    fallback_name: Option<String>,
    /// Receiving: where each file's data is, by the order the files started (see
    /// [`set_stored`](Self::set_stored)).
    stored: Vec<Option<PathBuf>>,
    check: Option<Check>,
    /// The protocol's name, from [`Event::Started`].
    protocol: Option<&'static str>,
    /// Retries outside any file (before a header was acknowledged, the end of the batch).
    loose_retries: u32,
    /// The last frame the receiver did not acknowledge, if the sender stopped waiting for it.
    end_unconfirmed: Option<Position>,
    current: Option<FileRecord>,
    files: Vec<FileRecord>,
    started: Instant,
    /// `started` on the wall clock.
    started_at: SystemTime,
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
            fallback_name: None,
            stored: Vec::new(),
            check: None,
            protocol: None,
            loose_retries: 0,
            end_unconfirmed: None,
            current: None,
            files: Vec::new(),
            started: Instant::now(),
            started_at: SystemTime::now(),
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
        self.fallback_name = Some(name);
    }

    /// Receiving: where the data of each file went, in the order the files started (`None`:
    /// nothing stored). Set before [`finish`](Self::finish), which writes them into the
    /// records.
    pub fn set_stored(&mut self, stored: Vec<Option<PathBuf>>) {
        self.stored = stored;
    }

    /// Bytes confirmed over all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Time from the start of the session to [`finish`](Self::finish).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Note the start of a file ([`Output::FileStart`](xyzmodem::proto::Output::FileStart)).
    pub fn file_start(&mut self, info: &FileInfo) {
        self.close_current("the next file started early");
        let index = self.files.len();
        let planned = self.planned.get(index);
        let name = match planned {
            Some((name, _)) => Some(name.clone()),
            None if info.name.is_empty() => self.fallback_name.clone(),
            None => Some(String::from_utf8_lossy(&info.name).into_owned()),
        };
        self.current = Some(FileRecord {
            kind: "file",
            direction: self.direction,
            port: self.port.clone(),
            path: planned.map(|(name, _)| name.clone()),
            name,
            start: Some(rfc3339(SystemTime::now())),
            size: info.size.or_else(|| planned.and_then(|p| p.1)),
            bytes: 0,
            protocol: None,
            block_size: None,
            check: None,
            retries: std::mem::take(&mut self.loose_retries),
            duration: None,
            result: "failed",
            error: None,
            started: Some(Instant::now()),
        });
    }

    /// Note an engine event.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::Started {
                protocol,
                check,
                block,
            } => {
                self.protocol = Some(protocol.name(*block));
                self.check = Some(*check);
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
        f.duration = f.started.map(|t| t.elapsed().as_secs_f64());
        f.check = self.check.map(|c| c.to_string());
        f.protocol = self.protocol;
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
        let text = error.map(hints::render);
        self.exit_code = error.map_or(0, |e| exit::for_anyhow(e) as u8);
        if let Some(mut f) = self.current.take() {
            f.error = Some(text.clone().unwrap_or_else(|| "incomplete".to_owned()));
            self.push(f);
        }
        if let Some(text) = &text {
            let waited = self.files.len();
            for (k, (name, size)) in self.planned.iter().enumerate().skip(waited) {
                // The session failed while it waited to start this one (the other side never
                // answered, the port failed): that time is its duration. The files after it
                // were never tried.
                let first = k == waited;
                self.files.push(FileRecord {
                    kind: "file",
                    direction: self.direction,
                    port: self.port.clone(),
                    name: Some(name.clone()),
                    path: Some(name.clone()),
                    start: first.then(|| rfc3339(self.started_at)),
                    size: *size,
                    bytes: 0,
                    protocol: None,
                    block_size: None,
                    check: self.check.map(|c| c.to_string()),
                    retries: 0,
                    duration: first.then_some(self.elapsed.as_secs_f64()),
                    result: "failed",
                    error: Some(text.clone()),
                    started: None,
                });
            }
            // Protocol of files never started: what the others used, else unknown (null).
            let protocol = self.files.iter().find_map(|f| f.protocol);
            for f in &mut self.files {
                f.protocol = f.protocol.or(protocol);
            }
        }
        if self.direction == "recv" {
            for (k, f) in self.files.iter_mut().enumerate() {
                f.path = self
                    .stored
                    .get(k)
                    .cloned()
                    .flatten()
                    .map(|p| p.display().to_string());
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
    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, HandlerError> {
        self.inner.read_file(offset, buf)
    }

    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), HandlerError> {
        self.inner.write_file(offset, data)
    }

    fn event(&mut self, event: &Event) -> Result<(), HandlerError> {
        self.rec.event(event);
        self.inner.event(event)
    }

    fn file_start(&mut self, info: &FileInfo) -> Result<FileReply, HandlerError> {
        self.rec.file_start(info);
        self.inner.file_start(info)
    }
}

/// `time` as UTC in RFC 3339 with milliseconds: `2026-12-06T02:10:28.123Z`.
fn rfc3339(time: SystemTime) -> String {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's `civil_from_days`), in u64:
    // shifted to an era starting on 0000-03-01, so no date before 1970 is needed.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Where report lines go (nowhere without `--report`).
pub struct Report {
    out: Option<Mutex<Sink>>,
    started: Instant,
    /// `started` on the wall clock.
    started_at: SystemTime,
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
            started_at: SystemTime::now(),
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
            start: rfc3339(self.started_at),
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
            error: error.map(hints::render),
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
    use xyzmodem::proto::{Protocol, RetryReason};

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
            block: Some(1024),
        });
        rec.event(&Event::Retry {
            reason: RetryReason::Timeout,
            attempt: 1,
        });
        rec.file_start(&info("a.bin", Some(2000)));
        rec.event(&Event::Progress {
            bytes: 1024,
            frame: 1024,
        });
        rec.event(&Event::Progress {
            bytes: 2000,
            frame: 128,
        });
        rec.event(&Event::FileEnd { bytes: 2000 });
        rec.file_start(&info("b.bin", Some(5000)));
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
                f[0].name.as_deref(),
                f[0].size,
                f[0].bytes,
                f[0].result,
                f[0].retries
            ),
            (Some("a.bin"), Some(2000), 2000, "ok", 1)
        );
        assert_eq!(
            (f[0].protocol, f[0].block_size),
            (Some("ymodem"), Some(1024))
        );
        assert_eq!(f[0].check.as_deref(), Some("CRC-16"));
        assert_eq!((f[1].bytes, f[1].result, f[1].retries), (1024, "failed", 1));
        assert_eq!(f[1].error.as_deref(), Some("interrupted"));
        assert_eq!(
            (f[2].name.as_deref(), f[2].bytes, f[2].result),
            (Some("c.bin"), 0, "failed")
        );
        assert_eq!(f[2].protocol, Some("ymodem"));
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
            block: Some(1024),
        });
        rec.file_start(&FileInfo::default());
        rec.event(&Event::Progress {
            bytes: 1024,
            frame: 1024,
        });
        rec.event(&Event::FileEnd { bytes: 1024 });
        rec.finish(None);
        let f = &rec.files()[0];
        assert_eq!(
            (f.name.as_deref(), f.protocol, f.check.as_deref(), f.size),
            (Some("out.bin"), Some("xmodem-1k"), Some("checksum"), None)
        );
        assert_eq!(rec.bytes(), 1024);
    }

    /// Issue 9, item 9: a sender's name with C1 controls or bidirectional overrides went
    /// raw into `--report`, which may be a terminal (`--report -`).
    #[test]
    fn report_lines_carry_no_unsafe_character_raw() {
        let mut rec = Recorder::recv(None);
        let name = "a\u{9b}2J\u{202e}txt\u{1b}";
        rec.file_start(&info(name, Some(1)));
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
    fn times_are_utc_rfc3339() {
        let at = |secs: f64| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs));
        assert_eq!(at(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400.0), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(1_709_210_096.5), "2024-02-29T12:34:56.500Z");
        assert_eq!(at(4_102_444_799.999_5), "2099-12-31T23:59:59.999Z");
    }

    /// Issue 17, item 8: a port that failed after 10 s reported `"duration":0.0` for the file
    /// it waited to start, and `""` for the unknown protocol. Now that file gets the session's
    /// start and the 10 s, the files after it null, and unknown fields are null. (The session
    /// began 10 s ago on the monotonic clock: no waiting.)
    #[test]
    fn a_session_that_failed_to_start_reports_the_time_it_waited() {
        let files = [PathBuf::from("a.bin"), PathBuf::from("b.bin")];
        let mut rec = Recorder::send(Some("/dev/ttyUSB1"), &files);
        rec.started = Instant::now().checked_sub(Duration::from_secs(10)).unwrap();
        let e = anyhow::anyhow!("timed out waiting for the receiver to start (NAK, C or G)");
        rec.finish(Some(&e));
        let f: Vec<serde_json::Value> = rec
            .files()
            .iter()
            .map(|f| serde_json::from_slice(&to_json(f)).unwrap())
            .collect();
        assert!(
            f[0]["duration"].as_f64().is_some_and(|d| d >= 10.0),
            "{}",
            f[0]
        );
        assert_eq!(f[0]["start"], rfc3339(rec.started_at));
        assert!(
            f[1]["duration"].is_null() && f[1]["start"].is_null(),
            "{}",
            f[1]
        );
        for f in &f {
            assert!(f["protocol"].is_null() && f["check"].is_null(), "{f}");
            assert_eq!(f["result"], "failed");
        }
        assert_eq!(
            (&f[0]["name"], &f[0]["path"]),
            (&"a.bin".into(), &"a.bin".into())
        );
    }

    /// Issue 17, item 8: with `--rename` the data was in `a.bin.1` and the record said only
    /// `"name":"a.bin"`. Now `path` says where the data is (a kept part for a failed file,
    /// null for a deleted one), and a name never given is null, not `""`.
    #[test]
    fn received_records_say_where_the_data_is() {
        let mut rec = Recorder::recv(None);
        rec.event(&Event::Started {
            protocol: Protocol::Zmodem,
            check: Check::Crc32,
            block: None,
        });
        rec.file_start(&info("a.bin", Some(1)));
        rec.event(&Event::FileEnd { bytes: 1 });
        rec.file_start(&info("b.bin", Some(9)));
        rec.event(&Event::FileEnd { bytes: 9 });
        rec.file_start(&info("c.bin", Some(9)));
        rec.file_start(&FileInfo::default());
        rec.set_stored(vec![
            Some("in/a.bin.1".into()),
            None,
            Some("in/c.bin.part".into()),
            None,
        ]);
        rec.finish(Some(&anyhow::anyhow!("interrupted")));
        let f = rec.files();
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.name.as_deref(), f.path.as_deref(), f.result))
            .collect();
        assert_eq!(
            got,
            [
                (Some("a.bin"), Some("in/a.bin.1"), "ok"),
                (Some("b.bin"), None, "ok"),
                (Some("c.bin"), Some("in/c.bin.part"), "failed"),
                (None, None, "failed"),
            ]
        );
        let line = String::from_utf8(to_json(&f[3])).unwrap();
        assert!(
            line.contains(r#""name":null,"path":null,"start":"#),
            "{line}"
        );
        assert!(f.iter().all(|f| f.start.is_some() && f.duration.is_some()));
    }

    #[test]
    fn stdout_report_is_refused_when_stdout_is_the_link() {
        let e = Report::open(Some(Path::new("-")), true).err().unwrap();
        assert!(e.is::<UsageError>());
        assert!(Report::open(Some(Path::new("-")), false).is_ok());
    }
}
