//! The sender fuzz body.

use std::time::Instant;

use super::{Common, Files, Input, Run, common_op, file_info, next_in_batch};
use crate::proto::xymodem::block::{self, CRC_START, G_START, LARGE, NAK, SMALL};
use crate::proto::{Event, FileInfo, FileReply, Limits, SendMode, Sender, SenderConfig};

// ---------------------------------------------------------------------------------------------
// Sender

/// What a receiver answers a sender, weighted: mostly ACK.
const ANSWERS: [u8; 16] = [
    block::ACK,
    block::ACK,
    block::ACK,
    block::ACK,
    block::ACK,
    block::ACK,
    block::ACK,
    NAK,
    NAK,
    CRC_START,
    CRC_START,
    CRC_START,
    G_START,
    G_START,
    block::ACK,
    b'x',
];

/// Serves a sender's reads from pseudo-files and checks it sends the batch in order, each
/// file to its end.
struct SendFiles {
    /// What each `FileStart` must announce, in order, and each file's content.
    batch: Vec<(FileInfo, Vec<u8>)>,
    /// The file being sent (index into `batch`) and how much of it has been read.
    current: Option<usize>,
    started: usize,
    pos: usize,
}

impl Files for SendFiles {
    fn file_start(&mut self, info: &FileInfo) -> FileReply {
        assert!(self.current.is_none(), "FileStart inside a file");
        self.current = Some(next_in_batch(&self.batch, &mut self.started, info));
        self.pos = 0;
        FileReply::Accept
    }

    fn event(&mut self, event: &Event) {
        match event {
            Event::FileEnd { bytes } => {
                let index = self.current.take().expect("FileEnd outside a file");
                let len = self.batch[index].1.len();
                assert_eq!(*bytes, len as u64, "FileEnd count != file length");
                assert_eq!(self.pos, len, "FileEnd before the whole file was read");
            }
            Event::Progress { bytes, frame } => {
                let index = self.current.expect("Progress outside a file");
                assert!(*bytes <= self.batch[index].1.len() as u64);
                assert!(*frame == SMALL || *frame == LARGE);
            }
            _ => {}
        }
    }

    fn write(&mut self, _offset: u64, _data: &[u8]) {
        panic!("a sender wrote file data");
    }

    fn read(&mut self, offset: u64, max: usize) -> &[u8] {
        assert!(max == SMALL || max == LARGE, "ReadFile of {max} bytes");
        let index = self.current.expect("ReadFile outside a file");
        let content = &self.batch[index].1;
        assert_eq!(offset, self.pos as u64, "X/YMODEM reads follow on");
        let start = self.pos;
        self.pos = (start + max).min(content.len());
        &content[start..self.pos]
    }
}

/// Sender session. `data[0]` picks XMODEM or YMODEM (bit 0), 1K blocks (bit 1), the 128-byte
/// tail rule (bit 2), the error limit (bits 3-4) and, for YMODEM, the batch size 0-3 (bits
/// 5-6); each file's header fields and length (0-8 KiB) come next. The rest is a list of
/// operations: raw bytes, receiver answers (ACK, NAK, `C`, `G`, CAN) alone or in runs,
/// cancels, aborts and timeouts. When the input runs out, only timeouts follow.
pub fn sender(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let cfg = SenderConfig {
        mode: if flags & 1 == 0 {
            SendMode::Xmodem
        } else {
            SendMode::Ymodem
        },
        one_k: flags & 2 != 0,
        tail_threshold: if flags & 4 == 0 { 7 * SMALL } else { 0 },
        limits: Limits {
            max_errors: [10, 10, 1, 0][usize::from((flags >> 3) & 3)],
            ..Limits::default()
        },
        ..SenderConfig::default()
    };
    let count = if cfg.mode == SendMode::Xmodem {
        1
    } else {
        usize::from((flags >> 5) & 3)
    };
    let batch: Vec<(FileInfo, Vec<u8>)> = (0..count)
        .map(|i| {
            let len = usize::from(input.u16() % 8193);
            let content = (0..len).map(|j| (j * 7 + j / 251 + i * 85) as u8).collect();
            let info = if cfg.mode == SendMode::Xmodem {
                FileInfo::default()
            } else {
                let mut info = file_info(&mut input);
                if info.name.is_empty() {
                    info.name = format!("file{i}").into_bytes();
                }
                info.size = Some(len as u64);
                info
            };
            (info, content)
        })
        .collect();
    let now = Instant::now();
    let sender = match cfg.mode {
        SendMode::Xmodem => Sender::xmodem(cfg, now),
        SendMode::Ymodem => Sender::new(cfg, batch.iter().map(|(i, _)| i.clone()).collect(), now),
    };
    let files = SendFiles {
        batch,
        current: None,
        started: 0,
        pos: 0,
    };
    let mut run = Run::new(sender, files, now);
    while !input.is_empty() {
        match input.u8() {
            0..=19 => common_op(&mut run, Common::Raw, &mut input),
            20..=24 => common_op(&mut run, Common::RawLong, &mut input),
            25..=44 => common_op(&mut run, Common::Advance, &mut input),
            45..=64 => common_op(&mut run, Common::Expire, &mut input),
            65..=84 => run.input(&[block::ACK]),
            // One receiver answer, or a run of them in one piece ("ACK C").
            85..=239 => {
                let n = usize::from(input.u8() % 4) + 1;
                let answers: Vec<u8> = input
                    .bytes(n)
                    .iter()
                    .map(|&b| ANSWERS[usize::from(b % 16)])
                    .collect();
                run.input(&answers);
            }
            240..=247 => common_op(&mut run, Common::Can, &mut input),
            248..=251 => common_op(&mut run, Common::Cancel, &mut input),
            252..=255 => common_op(&mut run, Common::Abort, &mut input),
        }
    }
    run.run_out();
}
