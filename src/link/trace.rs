//! A wire log: every byte read from or written to a link, with a timestamp.
//!
//! [`Trace`] wraps a link and writes one line per read or write:
//!
//! ```text
//!     0.000412 > C | 43
//!     0.001733 < SOH#1 (133 bytes) | 01 01 fe 48 65 6c 6c 6f ... (133 bytes)
//!     0.001802 > ACK | 06
//!     0.002250 < EOT | 04
//! ```
//!
//! The time is in seconds since the trace started (microsecond precision); `<` is received,
//! `>` sent. The decoded view names block starts with their number (`SOH#n`, `STX#n`, and
//! `(block continued)` for the rest of a block that arrived in pieces), control bytes by their
//! names (`ACK`, `NAK`, `EOT`, `CAN*5` for a run), printable text as text (a lone `C` or `G`
//! bare, longer runs quoted) and other bytes as `\xNN`. Long pieces are cut: the decoded view
//! after 160 bytes of text or 8 blocks, the hex after 64 bytes, each followed by the full
//! length. Link errors get a line of their own, starting with `!`.
//!
//! Lines go through a 64 KiB buffer and are formatted without allocating, so tracing costs
//! little even at full speed. A failure to write the trace stops the trace (never the
//! transfer) and is reported through [`TraceStatus`].

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::{Link, Written};

/// Hex bytes shown per line.
const HEX_MAX: usize = 64;
/// Bytes of non-block data decoded per line: enough for a boot monitor's banner line.
const TEXT_MAX: usize = 160;
/// Block starts named per line.
const BLOCKS_MAX: usize = 8;

const SOH: u8 = 0x01;
const STX: u8 = 0x02;
const NAK: u8 = 0x15;

/// Whether a trace is complete; shared with the [`Trace`] that writes it, so it can be read
/// after the trace (and the link it wraps) has been dropped.
#[derive(Debug, Clone, Default)]
pub struct TraceStatus(Arc<OnceLock<String>>);

impl TraceStatus {
    /// The first error writing the trace, if there was one (the trace stops there).
    pub fn error(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// A link that logs its traffic: a line per read or write, `TIME DIR DECODED | HEX`, e.g.
/// `    0.001733 < SOH#1 (133 bytes) | 01 01 fe ...` (the format is in docs/OPERATIONS.md).
pub struct Trace<L> {
    inner: L,
    out: Option<Box<dyn Write + Send>>,
    start: Instant,
    status: TraceStatus,
    line: String,
    decoder: Decoder,
}

impl<L> std::fmt::Debug for Trace<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("start", &self.start)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl<L: Link> Trace<L> {
    /// Trace `inner` into a new file at `path` (an existing one is replaced).
    pub fn create(inner: L, path: &Path) -> io::Result<Self> {
        let file = File::create(path)?;
        Ok(Self::new(inner, BufWriter::with_capacity(64 * 1024, file)))
    }

    /// Trace `inner` into `out`, which should be buffered.
    pub fn new(inner: L, out: impl Write + Send + 'static) -> Self {
        let mut trace = Self {
            inner,
            out: Some(Box::new(out)),
            start: Instant::now(),
            status: TraceStatus::default(),
            line: String::with_capacity(512),
            decoder: Decoder::default(),
        };
        let head = format!(
            "# xyzmodem trace of {}: seconds since start, < received, > sent, decoded | hex\n",
            trace.inner.name()
        );
        trace.emit(&head);
        trace
    }

    /// A handle that tells, also after the trace is gone, whether it was written completely.
    pub fn status(&self) -> TraceStatus {
        self.status.clone()
    }

    /// The traced link.
    pub fn get_mut(&mut self) -> &mut L {
        &mut self.inner
    }

    fn emit(&mut self, text: &str) {
        if let Some(out) = self.out.as_mut()
            && let Err(e) = out.write_all(text.as_bytes())
        {
            self.fail(&e);
        }
    }

    fn fail(&mut self, e: &io::Error) {
        let _ = self.status.0.set(e.to_string());
        self.out = None;
    }

    fn log(&mut self, at: Duration, dir: Dir, data: &[u8]) {
        if self.out.is_none() {
            return;
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let _ = write!(line, "{:12.6} {} ", at.as_secs_f64(), dir.symbol());
        self.decoder.decode(dir, data, &mut line);
        line.push_str(" |");
        for &b in &data[..data.len().min(HEX_MAX)] {
            line.push(' ');
            push_hex(&mut line, b);
        }
        if data.len() > HEX_MAX {
            let _ = write!(line, " ... ({} bytes)", data.len());
        }
        line.push('\n');
        self.emit(&line);
        self.line = line;
    }

    fn log_error(&mut self, at: Duration, dir: Dir, e: &io::Error) {
        if self.out.is_some() {
            let line = format!("{:12.6} {} !{e}\n", at.as_secs_f64(), dir.symbol());
            self.emit(&line);
        }
    }

    fn flush_log(&mut self) {
        if let Some(out) = self.out.as_mut()
            && let Err(e) = out.flush()
        {
            self.fail(&e);
        }
    }
}

impl<L: Link> Link for Trace<L> {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let r = self.inner.read(buf, timeout);
        let at = self.start.elapsed();
        match &r {
            Ok(0) => {}
            Ok(n) => self.log(at, Dir::In, &buf[..*n]),
            Err(e) => self.log_error(at, Dir::In, e),
        }
        r
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        let r = self.inner.write(data, timeout);
        let at = self.start.elapsed();
        match &r {
            Ok(0) => {}
            Ok(n) => self.log(at, Dir::Out, &data[..*n]),
            Err(e) => self.log_error(at, Dir::Out, e),
        }
        r
    }

    /// One line for the whole piece (a block is not split by the pipe's room), then the
    /// inner link's writes.
    fn write_all(
        &mut self,
        data: &[u8],
        stall: Duration,
        interrupt: Option<&AtomicBool>,
    ) -> io::Result<()> {
        let at = self.start.elapsed();
        self.log(at, Dir::Out, data);
        let r = self.inner.write_all(data, stall, interrupt);
        if let Err(e) = &r {
            self.log_error(self.start.elapsed(), Dir::Out, e);
        }
        r
    }

    /// The bytes written, then the bytes read while the write waited, each as one line.
    fn write_or_read(
        &mut self,
        data: &[u8],
        stall: Duration,
        interrupt: Option<&AtomicBool>,
        input: &mut [u8],
    ) -> io::Result<Written> {
        let r = self.inner.write_or_read(data, stall, interrupt, input);
        let at = self.start.elapsed();
        match &r {
            Ok(done) => {
                if done.written > 0 {
                    self.log(at, Dir::Out, &data[..done.written]);
                }
                if done.read > 0 {
                    self.log(at, Dir::In, &input[..done.read]);
                }
            }
            Err(e) => self.log_error(at, Dir::Out, e),
        }
        r
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_log();
        self.inner.flush()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn input_fd(&self) -> Option<std::os::fd::RawFd> {
        self.inner.input_fd()
    }

    fn send_break(&mut self, duration: Duration) -> io::Result<()> {
        self.inner.send_break(duration)
    }
}

impl<L> Drop for Trace<L> {
    fn drop(&mut self) {
        if let Some(out) = self.out.as_mut()
            && let Err(e) = out.flush()
        {
            let _ = self.status.0.set(e.to_string());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    In,
    Out,
}

impl Dir {
    fn symbol(self) -> char {
        match self {
            Self::In => '<',
            Self::Out => '>',
        }
    }
}

/// Where each direction is in the block stream, so that the rest of a block arriving in a
/// later piece is shown as such and not decoded as text. Once a ZMODEM header shows up in a
/// direction, that direction is decoded as ZMODEM frames.
#[derive(Debug, Default)]
struct Decoder {
    /// ZMODEM decoders, per direction, once ZMODEM is seen there.
    zmodem: [Option<Box<crate::proto::zmodem::Decoder>>; 2],
    /// Bytes of the current block still to come, per direction (in, out).
    remaining: [usize; 2],
    /// The check is an 8-bit checksum: a NAK started the session.
    checksum: bool,
    /// A block has been seen: later NAKs are rejections, not a choice of check.
    blocks_seen: bool,
}

impl Decoder {
    fn decode(&mut self, dir: Dir, data: &[u8], out: &mut String) {
        let zmodem = &mut self.zmodem[dir as usize];
        if zmodem.is_none()
            && data
                .windows(3)
                .any(|w| matches!(w, [b'*', 0x18, b'A'..=b'C']))
        {
            *zmodem = Some(Box::default());
        }
        if let Some(z) = zmodem {
            return zmodem_frames(z, data, out);
        }
        let remaining = &mut self.remaining[dir as usize];
        let mut pos = 0;
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !std::mem::take(&mut first) {
                out.push(' ');
            }
        };
        if *remaining > 0 && !is_block_start(data) {
            let n = (*remaining).min(data.len());
            *remaining -= n;
            pos = n;
            sep(out);
            let _ = write!(out, "(block continued, {n} bytes)");
        } else {
            *remaining = 0;
        }
        let mut blocks = 0;
        while pos < data.len() && is_block_start(&data[pos..]) {
            if blocks == BLOCKS_MAX {
                let _ = write!(out, " ... (+{} bytes)", data.len() - pos);
                return;
            }
            let size = if data[pos] == SOH { 128 } else { 1024 };
            let total = 3 + size + if self.checksum { 1 } else { 2 };
            let n = total.min(data.len() - pos);
            sep(out);
            let kind = if data[pos] == SOH { "SOH" } else { "STX" };
            let _ = write!(out, "{kind}#{}", data[pos + 1]);
            if n > 1 {
                let _ = write!(out, " ({n} bytes)");
            }
            *remaining = total - n;
            self.blocks_seen = true;
            pos += n;
            blocks += 1;
        }
        if pos < data.len() {
            if !self.blocks_seen {
                // The start character picks the check: NAK for checksum, `C`/`G` for CRC.
                if let Some(&b) = data[pos..]
                    .iter()
                    .rev()
                    .find(|&&b| matches!(b, NAK | b'C' | b'G'))
                {
                    self.checksum = b == NAK;
                }
            }
            sep(out);
            text(&data[pos..], out);
        }
    }
}

/// ZMODEM items in `data`: headers by name with their position or flags, subpackets by
/// length and end (`ZCRCG`...), damage and cancels; up to [`BLOCKS_MAX`] per line.
fn zmodem_frames(dec: &mut crate::proto::zmodem::Decoder, data: &[u8], out: &mut String) {
    use crate::proto::zmodem::{FrameType, Item};
    let mut rest = data;
    let mut shown = 0;
    let mut more = 0;
    while !rest.is_empty() {
        let (n, item) = dec.feed(rest);
        rest = &rest[n..];
        let Some(item) = item else { continue };
        if shown == BLOCKS_MAX {
            more += 1;
            if let Item::Header { header, format } = item
                && matches!(
                    header.kind,
                    FrameType::Data | FrameType::File | FrameType::SInit | FrameType::Command
                )
            {
                dec.expect_data(format.data_crc());
            }
            continue;
        }
        if shown > 0 {
            out.push(' ');
        }
        shown += 1;
        match item {
            Item::Header { header, format } => {
                let name = format!("{:?}", header.kind).to_uppercase();
                let _ = write!(out, "Z{name}");
                match header.kind {
                    FrameType::RInit | FrameType::File | FrameType::SInit => {
                        let _ = write!(
                            out,
                            "(f0 {:#04x}, bytes {:02x} {:02x} {:02x})",
                            header.f0(),
                            header.bytes[0],
                            header.bytes[1],
                            header.bytes[2]
                        );
                    }
                    FrameType::RqInit | FrameType::Fin | FrameType::Skip | FrameType::Nak => {}
                    _ => {
                        let _ = write!(out, "@{}", header.position());
                    }
                }
                if matches!(
                    header.kind,
                    FrameType::Data | FrameType::File | FrameType::SInit | FrameType::Command
                ) {
                    dec.expect_data(format.data_crc());
                }
            }
            Item::Data { end } => {
                let _ = write!(out, "[{} bytes {end:?}]", dec.data().len());
            }
            Item::Cancel => out.push_str("cancel (CAN*5)"),
            Item::BadHeader(why) => {
                let _ = write!(out, "bad header ({why:?})");
            }
            Item::BadData(why) => {
                let _ = write!(out, "bad subpacket ({why:?})");
            }
        }
    }
    if more > 0 {
        let _ = write!(out, " ... (+{more} more)");
    }
    if shown == 0 && !data.is_empty() {
        text(data, out);
    }
}

/// `SOH`/`STX`, a block number and its complement.
fn is_block_start(data: &[u8]) -> bool {
    matches!(data, [SOH | STX, n, c, ..] if *c == !*n)
}

const NAMES: [&str; 32] = [
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
    "SO", "SI", "DLE", "XON", "DC2", "XOFF", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
    "FS", "GS", "RS", "US",
];

/// Control bytes by name (runs as `NAME*n`), printable runs as text, the rest as `\xNN`.
fn text(data: &[u8], out: &mut String) {
    let shown = &data[..data.len().min(TEXT_MAX)];
    let mut i = 0;
    let mut first = true;
    while i < shown.len() {
        if !std::mem::take(&mut first) {
            out.push(' ');
        }
        let b = shown[i];
        if is_printable(b) {
            let run = shown[i..].iter().take_while(|&&c| is_printable(c)).count();
            if run == 1 && b != b' ' {
                out.push(char::from(b));
            } else {
                out.push('"');
                for &c in &shown[i..i + run] {
                    if c == b'"' || c == b'\\' {
                        out.push('\\');
                    }
                    out.push(char::from(c));
                }
                out.push('"');
            }
            i += run;
            continue;
        }
        let run = shown[i..].iter().take_while(|&&c| c == b).count();
        match b {
            0..=0x1F => out.push_str(NAMES[usize::from(b)]),
            0x7F => out.push_str("DEL"),
            _ => {
                out.push_str("\\x");
                push_hex(out, b);
            }
        }
        // Runs of three or more are counted; two are clearer spelled out ("ACK ACK").
        if run > 2 {
            let _ = write!(out, "*{run}");
            i += run;
        } else {
            i += 1;
        }
    }
    if data.len() > TEXT_MAX {
        let _ = write!(out, " ... (+{} bytes)", data.len() - TEXT_MAX);
    }
}

fn is_printable(b: u8) -> bool {
    (0x20..0x7F).contains(&b)
}

fn push_hex(out: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(char::from(DIGITS[usize::from(b >> 4)]));
    out.push(char::from(DIGITS[usize::from(b & 0xF)]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::testing::Script;
    use std::sync::Mutex;

    /// A writer whose contents the test can read while the trace still holds it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn lines(&self) -> Vec<String> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .skip(1)
                .map(|l| l.trim_start().to_owned())
                .collect()
        }
    }

    fn decoded(data: &[u8]) -> String {
        let mut s = String::new();
        Decoder::default().decode(Dir::In, data, &mut s);
        s
    }

    fn block(kind: u8, n: u8, size: usize, check: usize) -> Vec<u8> {
        let mut b = vec![kind, n, !n];
        b.resize(3 + size + check, 0x55);
        b
    }

    #[test]
    fn zmodem_frames_are_named() {
        let mut d = Decoder::default();
        let mut out = String::new();
        d.decode(Dir::In, b"rz\r**\x18B00000000000000\r\x8a\x11", &mut out);
        assert_eq!(out, "ZRQINIT");
        out.clear();
        d.decode(Dir::Out, b"**\x18B0900000400a87c\r\x8a\x11", &mut out);
        assert!(
            out.starts_with("ZRPOS@1024") || out.starts_with("bad header"),
            "{out}"
        );
        out.clear();
        let mut wire = Vec::new();
        let mut enc =
            crate::proto::zmodem::Encoder::new(crate::proto::zmodem::EscapeProfile::Minimal);
        use crate::proto::zmodem::{CrcKind, FrameEnd, FrameType, Header, HeaderFormat};
        enc.header(
            &mut wire,
            HeaderFormat::Bin32,
            &Header::with_position(FrameType::Data, 5),
        );
        enc.subpacket(&mut wire, b"hello", FrameEnd::CrcG, CrcKind::Crc32);
        enc.subpacket(&mut wire, b"", FrameEnd::CrcE, CrcKind::Crc32);
        d.decode(Dir::In, &wire, &mut out);
        assert_eq!(out, "ZDATA@5 [5 bytes CrcG] [0 bytes CrcE]");
    }

    #[test]
    fn control_bytes_and_text() {
        assert_eq!(decoded(b"C"), "C");
        assert_eq!(decoded(&[0x06]), "ACK");
        assert_eq!(decoded(&[0x06, 0x06, b'C']), "ACK ACK C");
        assert_eq!(decoded(&[0x15]), "NAK");
        assert_eq!(decoded(&[0x04]), "EOT");
        assert_eq!(decoded(&[0x18; 8]), "CAN*8");
        assert_eq!(
            decoded(&[0x18; 5].iter().chain(&[8; 5]).copied().collect::<Vec<_>>()),
            "CAN*5 BS*5"
        );
        assert_eq!(
            decoded(b"## Ready \"x\"\r\nC"),
            r###""## Ready \"x\"" CR LF C"###
        );
        assert_eq!(decoded(&[0xFF, 0x7F, b' ']), r#"\xff DEL " ""#);
        let long = vec![b'a'; 200];
        assert!(
            decoded(&long).ends_with("\" ... (+40 bytes)"),
            "{}",
            decoded(&long)
        );
    }

    #[test]
    fn blocks_by_number_and_continuations() {
        let mut d = Decoder::default();
        let b1 = block(SOH, 1, 128, 2);
        let mut s = String::new();
        d.decode(Dir::In, &b1[..100], &mut s);
        assert_eq!(s, "SOH#1 (100 bytes)");
        s.clear();
        d.decode(Dir::In, &b1[100..], &mut s);
        assert_eq!(s, "(block continued, 33 bytes)");
        // A whole STX block followed by EOT in one piece.
        s.clear();
        let mut piece = block(STX, 2, 1024, 2);
        piece.push(0x04);
        d.decode(Dir::In, &piece, &mut s);
        assert_eq!(s, "STX#2 (1029 bytes) EOT");
        // Block 0 (a YMODEM header) and the block number wrapping.
        s.clear();
        d.decode(Dir::In, &block(SOH, 0, 128, 2), &mut s);
        assert_eq!(s, "SOH#0 (133 bytes)");
        s.clear();
        d.decode(Dir::Out, &[0x01, 0xFF, 0x00], &mut s);
        assert_eq!(s, "SOH#255 (3 bytes)");
    }

    #[test]
    fn checksum_blocks_are_one_byte_shorter() {
        let mut d = Decoder::default();
        let mut s = String::new();
        d.decode(Dir::Out, &[NAK], &mut s);
        let mut piece = block(SOH, 1, 128, 1);
        piece.extend_from_slice(&block(SOH, 2, 128, 1));
        s.clear();
        d.decode(Dir::In, &piece, &mut s);
        assert_eq!(s, "SOH#1 (132 bytes) SOH#2 (132 bytes)");
    }

    #[test]
    fn many_blocks_in_one_piece_are_cut() {
        let piece: Vec<u8> = (1..=10).flat_map(|n| block(STX, n, 1024, 2)).collect();
        let s = decoded(&piece);
        assert!(s.starts_with("STX#1 (1029 bytes) STX#2"), "{s}");
        assert!(s.ends_with("STX#8 (1029 bytes) ... (+2058 bytes)"), "{s}");
    }

    #[test]
    fn lines_for_reads_writes_and_errors() {
        let mut script = Script::new(&[b"C", &block(SOH, 1, 128, 2)]);
        script.eof = true;
        let out = Shared::default();
        let mut link = Trace::new(script, out.clone());
        let mut buf = [0u8; 256];
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 1);
        link.write_all(&[0x06], Duration::ZERO, None).unwrap();
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 133);
        assert!(link.read(&mut buf, Duration::ZERO).is_err());
        link.flush().unwrap();
        let lines = out.lines();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(lines[0].ends_with(" < C | 43"), "{lines:?}");
        assert!(lines[1].ends_with(" > ACK | 06"), "{lines:?}");
        assert!(
            lines[2].contains(" < SOH#1 (133 bytes) | 01 01 fe 55"),
            "{lines:?}"
        );
        assert!(lines[2].ends_with("55 ... (133 bytes)"), "{lines:?}");
        assert_eq!(
            lines[2].split(" | ").nth(1).unwrap().split(' ').count(),
            64 + 3
        );
        assert!(lines[3].contains(" < !the link was closed"), "{lines:?}");
        // Timestamps: seconds with six decimals.
        let t = lines[0].split(' ').next().unwrap();
        assert_eq!(t.split('.').nth(1).map(str::len), Some(6), "{t}");
        assert_eq!(link.status().error(), None);
    }

    #[test]
    fn a_failing_trace_stops_without_failing_the_link() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut link = Trace::new(Script::new(&[b"C"]), Broken);
        let status = link.status();
        link.write_all(b"x", Duration::ZERO, None).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 1);
        drop(link);
        assert_eq!(status.error(), Some("disk full"));
    }
}
