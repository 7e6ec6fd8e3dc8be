//! What the terminal does to the bytes on their way, for devices that need it: CR/LF
//! mapping each way, a timestamp at the start of each line shown, local echo. Pure: bytes in,
//! bytes out; with none of it asked for, bytes pass as they are, in one copy.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::super::args::Map;

impl Map {
    fn inbound(self) -> bool {
        self.icrnl || self.igncr || self.inlcrnl
    }
}

/// The bytes' way between the remote side, the screen and the keyboard.
#[derive(Debug)]
pub struct Screen {
    map: Map,
    /// Timestamps count from here (`--timestamps`).
    since: Option<Instant>,
    /// The next byte shown starts a line.
    line_start: bool,
}

impl Screen {
    /// With the mappings `map`, and a timestamp on each line when `timestamps`.
    pub fn new(map: Map, timestamps: bool, now: Instant) -> Self {
        Self {
            map,
            since: timestamps.then_some(now),
            line_start: true,
        }
    }

    /// What the remote side sent (or local echo), as it is to be shown: appended to `out`.
    pub fn shown(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<u8>) {
        if !self.map.inbound() && self.since.is_none() {
            out.extend_from_slice(bytes);
            return;
        }
        for &b in bytes {
            let mapped: &[u8] = match b {
                b'\r' if self.map.igncr => continue,
                b'\r' if self.map.icrnl => b"\n",
                b'\n' if self.map.inlcrnl => b"\r\n",
                _ => std::slice::from_ref(&b),
            };
            for &m in mapped {
                if self.line_start
                    && let Some(since) = self.since
                {
                    let t = now.saturating_duration_since(since);
                    out.extend_from_slice(
                        format!("[{:4}.{:03}] ", t.as_secs(), t.subsec_millis()).as_bytes(),
                    );
                }
                // A line starts after LF; a CR alone goes back over the same line.
                self.line_start = m == b'\n';
                out.push(m);
            }
        }
    }

    /// What was typed, as it goes to the remote side: appended to `out`.
    pub fn typed(&self, bytes: &[u8], out: &mut Vec<u8>) {
        if !(self.map.ocrnl || self.map.onlcrnl) {
            out.extend_from_slice(bytes);
            return;
        }
        for &b in bytes {
            match b {
                b'\r' if self.map.ocrnl => out.push(b'\n'),
                b'\n' if self.map.onlcrnl => out.extend_from_slice(b"\r\n"),
                _ => out.push(b),
            }
        }
    }
}

/// `--log FILE` and `Ctrl-T l`: what the session shows, appended to a file; a transfer is a
/// line of its own there, not its data.
#[derive(Debug)]
pub struct Log {
    path: PathBuf,
    file: Option<File>,
}

impl Log {
    /// Logging into `path` (`--log`), started now; without one, `Ctrl-T l` starts it in
    /// [`DEFAULT_LOG`].
    pub fn new(path: Option<&Path>) -> io::Result<Self> {
        let mut log = Self {
            path: path.map_or_else(|| PathBuf::from(DEFAULT_LOG), Path::to_path_buf),
            file: None,
        };
        if path.is_some() {
            log.toggle()?;
        }
        Ok(log)
    }

    /// Start or stop; true when it is on now.
    pub fn toggle(&mut self) -> io::Result<bool> {
        if self.file.take().is_some() {
            return Ok(false);
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))?;
        self.file = Some(file);
        Ok(true)
    }

    /// The file, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append what was shown. A write that fails stops the log (said once).
    pub fn write(&mut self, bytes: &[u8]) {
        if let Some(file) = self.file.as_mut()
            && let Err(e) = file.write_all(bytes)
        {
            self.file = None;
            super::note(&format!("the log {} stopped: {e}", self.path.display()));
        }
    }

    /// A line of our own (a transfer's summary), on a line of its own.
    pub fn line(&mut self, text: &str) {
        self.write(format!("\r\n[xyzmodem: {text}]\r\n").as_bytes());
    }
}

/// Where `Ctrl-T l` logs without `--log`: in the current directory.
pub const DEFAULT_LOG: &str = "xyzmodem-term.log";

#[cfg(test)]
mod tests {
    use super::super::super::args::parse_map;
    use super::*;
    use std::time::Duration;

    fn shown(screen: &mut Screen, bytes: &[u8], now: Instant) -> Vec<u8> {
        let mut out = Vec::new();
        screen.shown(bytes, now, &mut out);
        out
    }

    #[test]
    fn nothing_asked_for_passes_bytes_as_they_are() {
        let t0 = Instant::now();
        let mut screen = Screen::new(Map::default(), false, t0);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(shown(&mut screen, &all, t0), all);
        let mut out = Vec::new();
        screen.typed(&all, &mut out);
        assert_eq!(out, all);
    }

    #[test]
    fn mappings_each_way() {
        let t0 = Instant::now();
        let map = parse_map("inlcrnl,igncr").unwrap();
        let mut screen = Screen::new(map, false, t0);
        assert_eq!(shown(&mut screen, b"a\r\nb\n", t0), b"a\r\nb\r\n");
        let map = parse_map("icrnl").unwrap();
        assert_eq!(
            shown(&mut Screen::new(map, false, t0), b"a\rb", t0),
            b"a\nb"
        );
        let screen = Screen::new(parse_map(" ocrnl , onlcrnl").unwrap(), false, t0);
        let mut out = Vec::new();
        screen.typed(b"ls\r\n", &mut out);
        assert_eq!(out, b"ls\n\r\n");
        assert_eq!(
            parse_map("icrnl,crlf").unwrap_err(),
            "unknown mapping crlf: use icrnl, igncr, inlcrnl, ocrnl or onlcrnl"
        );
    }

    #[test]
    fn a_timestamp_starts_each_line() {
        let t0 = Instant::now();
        let mut screen = Screen::new(Map::default(), true, t0);
        let t1 = t0 + Duration::from_millis(1_250);
        assert_eq!(
            shown(&mut screen, b"U-Boot\r\nDRAM", t1),
            b"[   1.250] U-Boot\r\n[   1.250] DRAM"
        );
        // The line goes on in the next read: no stamp in the middle.
        let t2 = t0 + Duration::from_secs(62);
        assert_eq!(shown(&mut screen, b": 1 GiB\r\n", t2), b": 1 GiB\r\n");
        assert_eq!(shown(&mut screen, b"=> ", t2), b"[  62.000] => ");
    }
}
