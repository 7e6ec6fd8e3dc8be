//! The ZMODEM engine fuzz bodies: each engine against operations decoded from the input, with
//! well-formed (or deliberately damaged) headers and subpackets built with the library's own
//! codec, so that the input reaches the code that uses every field a peer sends.

use std::time::Instant;

use super::{Common, Files, Input, Run, common_op, file_info, next_in_batch};
use crate::proto::zmodem::{
    CrcKind, Encoder, EscapeProfile, FrameEnd, FrameType, Header, HeaderFormat, MAX_SUBPACKET,
    Receiver, ReceiverConfig, Sender, SenderConfig,
};
use crate::proto::{Event, FileInfo, FileReply, Limits, file};

/// A header from the input: any type, position or flags, in any of the three formats.
pub(super) fn header(input: &mut Input<'_>) -> (Header, HeaderFormat) {
    let kind = FrameType::ALL[usize::from(input.u8()) % FrameType::ALL.len()];
    let bytes = [input.u8(), input.u8(), input.u8(), input.u8()];
    let format =
        [HeaderFormat::Hex, HeaderFormat::Bin16, HeaderFormat::Bin32][usize::from(input.u8()) % 3];
    (Header { kind, bytes }, format)
}

/// Encode, then maybe damage one byte or cut the tail.
pub(super) fn damage(wire: &mut Vec<u8>, input: &mut Input<'_>) {
    let how = input.u8();
    if wire.is_empty() {
        return;
    }
    match how {
        0..=199 => {}
        200..=239 => {
            let at = usize::from(input.u16()) % wire.len();
            wire[at] ^= 1 << (input.u8() % 8);
        }
        _ => {
            let keep = usize::from(input.u16()) % wire.len();
            wire.truncate(keep);
        }
    }
}

pub(super) fn subpacket(
    enc: &mut Encoder,
    input: &mut Input<'_>,
    wire: &mut Vec<u8>,
    crc: CrcKind,
) {
    let len = usize::from(input.u16()) % (MAX_SUBPACKET + 64);
    let data = input.bytes(len).to_vec();
    let end = FrameEnd::ALL[usize::from(input.u8()) % 4];
    enc.subpacket(wire, &data, end, crc);
}

/// Follows a ZMODEM receiver's files: data only inside a file and in order (or from where a
/// resume starts), `FileEnd` counting exactly the bytes held. Also `recv`'s front end's, where
/// an XMODEM file has no name.
#[derive(Default)]
pub(super) struct ZRecvFiles {
    in_file: bool,
    pub(super) written: u64,
    /// A file without a name is allowed (XMODEM, behind the front end).
    unnamed: bool,
}

impl ZRecvFiles {
    /// For a receiver that may also speak XMODEM, whose files have no name.
    pub(super) fn any_names() -> Self {
        Self {
            unnamed: true,
            ..Self::default()
        }
    }
}

impl Files for ZRecvFiles {
    fn file_start(&mut self, info: &FileInfo) -> FileReply {
        assert!(!self.in_file, "FileStart inside a file");
        assert!(
            self.unnamed || !info.name.is_empty(),
            "a file without a name was accepted"
        );
        self.in_file = true;
        self.written = 0;
        FileReply::Accept
    }

    fn event(&mut self, event: &Event) {
        match event {
            Event::FileEnd { bytes } => {
                assert!(self.in_file, "FileEnd outside a file");
                assert_eq!(*bytes, self.written, "FileEnd count != bytes written");
                self.in_file = false;
            }
            Event::Progress { bytes, .. } => {
                assert!(self.in_file, "Progress outside a file");
                assert!(*bytes <= u64::from(u32::MAX), "a position past 32 bits");
            }
            _ => {}
        }
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        assert!(self.in_file, "WriteFile outside a file");
        assert!(!data.is_empty(), "empty WriteFile");
        assert_eq!(offset, self.written, "ZMODEM data is stored in order");
        self.written += data.len() as u64;
    }

    fn read(&mut self, _offset: u64, _max: usize) -> &[u8] {
        panic!("a receiver asked for file data");
    }

    fn max_write(&self) -> usize {
        MAX_SUBPACKET
    }
}

/// ZMODEM receiver session. `data[0]`: ESCCTL (bit 0), a receive buffer (bit 1), the largest
/// subpacket accepted (bits 2-3), the error limit (bits 4-5). The rest is a list of
/// operations: raw bytes, headers of any type and format, subpackets, well-formed `ZFILE`s
/// and `ZDATA` frames at the right or a wrong offset, `ZEOF`, `ZFIN`, `OO`, cancels, aborts
/// and timeouts, each maybe damaged.
pub fn zmodem_receiver(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let cfg = ReceiverConfig {
        escape_controls: flags & 1 != 0,
        buffer_size: if flags & 2 != 0 { 2048 } else { 0 },
        max_data: [8192, 1024, 64, 1][usize::from((flags >> 2) & 3)],
        limits: Limits {
            max_errors: [20, 5, 1, 0][usize::from((flags >> 4) & 3)],
            ..Limits::default()
        },
        ..ReceiverConfig::default()
    };
    let now = Instant::now();
    let mut run = Run::new(Receiver::new(cfg, now), ZRecvFiles::default(), now);
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    let mut wire = Vec::new();
    let mut crc = CrcKind::Crc32;
    while !input.is_empty() {
        wire.clear();
        let op = input.u8();
        match op {
            0..=29 => common_op(&mut run, Common::Raw, &mut input),
            30..=34 => common_op(&mut run, Common::RawLong, &mut input),
            35..=89 => {
                let (h, format) = header(&mut input);
                crc = format.data_crc();
                enc.header(&mut wire, format, &h);
            }
            90..=149 => subpacket(&mut enc, &mut input, &mut wire, crc),
            150..=214 => {
                crc = frame(
                    op - 150,
                    &mut input,
                    &mut enc,
                    &mut wire,
                    run.files.written,
                    crc,
                );
            }
            215..=219 => wire.extend_from_slice(b"OO"),
            220..=234 => common_op(&mut run, Common::Advance, &mut input),
            235..=246 => common_op(&mut run, Common::Expire, &mut input),
            247..=250 => wire.extend_from_slice(&[0x18; 5]),
            251..=253 => common_op(&mut run, Common::Cancel, &mut input),
            254..=255 => common_op(&mut run, Common::Abort, &mut input),
        }
        if !wire.is_empty() {
            damage(&mut wire, &mut input);
            run.input(&wire);
        }
    }
    run.run_out();
}

/// A well-formed frame of a sender in session, picked by `pick` (0 to 64): a `ZFILE` with its
/// file information, `ZDATA` at the receiver's offset `written` (or next to it) and a
/// subpacket, `ZEOF` at that offset or one past it, `ZFIN`. Returns the CRC of the data that
/// follows.
pub(super) fn frame(
    pick: u8,
    input: &mut Input<'_>,
    enc: &mut Encoder,
    wire: &mut Vec<u8>,
    written: u64,
    crc: CrcKind,
) -> CrcKind {
    match pick {
        0..=19 => {
            let info: FileInfo = file_info(input);
            enc.header(wire, HeaderFormat::Bin32, &Header::new(FrameType::File));
            let mut body = Vec::new();
            file::encode_info(&info, &mut body);
            body.truncate(MAX_SUBPACKET);
            enc.subpacket(wire, &body, FrameEnd::CrcW, CrcKind::Crc32);
            CrcKind::Crc32
        }
        20..=49 => {
            let skew = u64::from(input.u8() % 4);
            let at = if skew == 1 {
                written as u32
            } else {
                (written + skew).saturating_sub(1) as u32
            };
            enc.header(
                wire,
                HeaderFormat::Bin32,
                &Header::with_position(FrameType::Data, at),
            );
            subpacket(enc, input, wire, CrcKind::Crc32);
            CrcKind::Crc32
        }
        50..=59 => {
            let at = written as u32 + u32::from(input.u8() % 2);
            enc.header(
                wire,
                HeaderFormat::Bin32,
                &Header::with_position(FrameType::Eof, at),
            );
            crc
        }
        _ => {
            enc.header(wire, HeaderFormat::Hex, &Header::new(FrameType::Fin));
            crc
        }
    }
}

/// Serves a ZMODEM sender's reads at any offset it asks for, checking each is within the
/// file and the batch goes in order.
struct ZSendFiles {
    batch: Vec<(FileInfo, Vec<u8>)>,
    current: Option<usize>,
    started: usize,
}

impl Files for ZSendFiles {
    fn file_start(&mut self, info: &FileInfo) -> FileReply {
        self.current = Some(next_in_batch(&self.batch, &mut self.started, info));
        FileReply::Accept
    }

    fn event(&mut self, event: &Event) {
        match event {
            Event::FileEnd { bytes } => {
                let index = self.current.take().expect("FileEnd outside a file");
                assert!(*bytes <= self.batch[index].1.len() as u64);
            }
            Event::FileSkipped => {
                self.current.take().expect("FileSkipped outside a file");
            }
            Event::Progress { bytes, .. } => {
                let index = self.current.expect("Progress outside a file");
                assert!(*bytes <= self.batch[index].1.len() as u64);
            }
            _ => {}
        }
    }

    fn write(&mut self, _offset: u64, _data: &[u8]) {
        panic!("a sender wrote file data");
    }

    fn read(&mut self, offset: u64, max: usize) -> &[u8] {
        assert!(max <= MAX_SUBPACKET, "ReadFile of {max} bytes");
        let index = self.current.expect("ReadFile outside a file");
        let content = &self.batch[index].1;
        assert!(
            offset <= content.len() as u64,
            "a read at {offset} of a {}-byte file",
            content.len()
        );
        let start = offset as usize;
        &content[start..(start + max).min(content.len())]
    }
}

/// ZMODEM sender session. `data[0]`: subpacket size (bits 0-1), ESCCTL (bit 2), a window
/// (bit 3), resume (bit 4), batch size 0-3 (bits 5-6); then each file's header fields and
/// length (0-20 KiB). The rest: raw bytes, receiver headers of any type, position and format
/// (`ZRINIT` with any flags and buffer, `ZRPOS` anywhere, `ZACK`, `ZSKIP`, `ZCRC`, `ZFIN`,
/// ...), maybe damaged, cancels, aborts and timeouts.
pub fn zmodem_sender(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let cfg = SenderConfig {
        subpacket: [1024, 32, 8192, 100][usize::from(flags & 3)],
        escape: if flags & 4 != 0 {
            EscapeProfile::Controls
        } else {
            EscapeProfile::Minimal
        },
        window: (flags & 8 != 0).then_some(4096),
        resume: flags & 16 != 0,
        ..SenderConfig::default()
    };
    let count = usize::from((flags >> 5) & 3);
    let batch: Vec<(FileInfo, Vec<u8>)> = (0..count)
        .map(|i| {
            let mut info = file_info(&mut input);
            if info.name.is_empty() {
                info.name = format!("f{i}").into_bytes();
            }
            let len = usize::from(input.u16()) % (20 * 1024);
            let content: Vec<u8> = (0..len).map(|k| (k * 31 + i) as u8).collect();
            info.size = Some(len as u64);
            (info, content)
        })
        .collect();
    let now = Instant::now();
    let files = ZSendFiles {
        batch: batch.clone(),
        current: None,
        started: 0,
    };
    let infos = batch.into_iter().map(|(i, _)| i).collect();
    let mut run = Run::new(Sender::new(cfg, infos, now), files, now);
    let mut enc = Encoder::new(EscapeProfile::Minimal);
    let mut wire = Vec::new();
    while !input.is_empty() {
        wire.clear();
        match input.u8() {
            0..=29 => common_op(&mut run, Common::Raw, &mut input),
            30..=109 => {
                let (h, format) = header(&mut input);
                enc.header(&mut wire, format, &h);
            }
            110..=149 => {
                // ZRINIT with fuzzed flags and buffer.
                let h = Header {
                    kind: FrameType::RInit,
                    bytes: [input.u8(), input.u8() % 16, 0, input.u8()],
                };
                enc.header(&mut wire, HeaderFormat::Hex, &h);
            }
            150..=189 => {
                let at = u32::from(input.u16()) * u32::from(input.u8() % 3);
                let kind =
                    [FrameType::RPos, FrameType::Ack, FrameType::Crc][usize::from(input.u8()) % 3];
                enc.header(
                    &mut wire,
                    HeaderFormat::Hex,
                    &Header::with_position(kind, at),
                );
            }
            190..=199 => enc.header(&mut wire, HeaderFormat::Hex, &Header::new(FrameType::Skip)),
            200..=204 => enc.header(&mut wire, HeaderFormat::Hex, &Header::new(FrameType::Fin)),
            205..=229 => common_op(&mut run, Common::Advance, &mut input),
            230..=247 => common_op(&mut run, Common::Expire, &mut input),
            248..=250 => wire.extend_from_slice(&[0x18; 5]),
            251..=252 => common_op(&mut run, Common::Cancel, &mut input),
            253..=255 => common_op(&mut run, Common::Abort, &mut input),
        }
        if !wire.is_empty() {
            damage(&mut wire, &mut input);
            run.input(&wire);
        }
    }
    run.run_out();
}
