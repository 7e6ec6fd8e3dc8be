//! The telnet codec's fuzz body.

use super::Input;
use crate::link::net::telnet::{self, ComPort, IAC, Telnet};

/// The most a codec may hold for the caller at once: answers queued (its bound, plus one
/// triple), COM-PORT-OPTION answers kept and the length of each.
const MAX_REPLIES: usize = 4096;
const MAX_ANSWERS: usize = 32;
const MAX_SUB: usize = 64;

/// What a codec made of its input.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    /// The data bytes.
    data: Vec<u8>,
    /// The answers sent back, in order.
    replies: Vec<u8>,
    /// The COM-PORT-OPTION answers handed out.
    answers: Vec<(u8, Vec<u8>)>,
}

/// Decode `wire` in pieces of `piece` bytes (`None`: at once) with a fresh codec.
fn decode(com_port: bool, ask: bool, wire: &[u8], piece: Option<usize>) -> Decoded {
    let mut codec = Telnet::new(com_port);
    if ask {
        codec.start();
    }
    let mut data = Vec::new();
    let mut replies = codec.take_replies();
    let mut answers = Vec::new();
    for chunk in wire.chunks(piece.unwrap_or(wire.len()).max(1)) {
        let mut buf = chunk.to_vec();
        let n = codec.decode(&mut buf);
        assert!(n <= chunk.len(), "more data than input");
        data.extend_from_slice(&buf[..n]);
        let queued = codec.take_replies();
        assert!(queued.len() <= MAX_REPLIES, "{} answer bytes", queued.len());
        // Answers are whole `IAC verb option` triples: nothing else is queued by decoding.
        assert_eq!(queued.len() % 3, 0);
        for triple in queued.chunks(3) {
            assert_eq!(triple[0], IAC);
            assert!((0xFB..=0xFE).contains(&triple[1]), "{triple:x?}");
        }
        replies.extend(queued);
        let got = codec.take_answers();
        assert!(got.len() <= MAX_ANSWERS);
        assert!(got.iter().all(|(_, v)| v.len() < MAX_SUB));
        assert!(com_port || got.is_empty(), "answers without the option");
        answers.extend(got);
    }
    if !com_port {
        assert_eq!(codec.com_port(), ComPort::Off);
    }
    Decoded {
        data,
        replies,
        answers,
    }
}

/// The telnet decoder on arbitrary bytes from the network. `data[0]`: whether the codec offers
/// the COM-PORT-OPTION (bit 0) and asks for its options first (bit 1), and the size of the
/// pieces the rest is fed in (bits 2-7, 1-64 bytes). Checks: decoding never yields more data
/// than it read, queues nothing but whole negotiation answers and holds bounded memory; the
/// data and the answers are the same whatever the pieces (decoded at once, in pieces, byte by
/// byte; of more COM-PORT-OPTION answers in one read than the codec keeps, the newest); and
/// the input taken as data, encoded, decodes to itself whatever the pieces, with no answer.
pub fn telnet(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.u8();
    let (com_port, ask) = (flags & 1 != 0, flags & 2 != 0);
    let piece = usize::from(flags >> 2) + 1;
    let wire = input.bytes(usize::MAX);

    let whole = decode(com_port, ask, wire, None);
    for (pieces, what) in [(piece, "pieces"), (1, "single bytes")] {
        let split = decode(com_port, ask, wire, Some(pieces));
        assert_eq!(
            split.data, whole.data,
            "{what} of {pieces}: the data differs"
        );
        // Read at once, more answers than the codec keeps lose the oldest (the caller takes
        // them after each read): the newest are the same.
        assert!(
            split.answers.ends_with(&whole.answers),
            "{what} of {pieces}: the COM-PORT-OPTION answers differ"
        );
        if whole.answers.len() < MAX_ANSWERS {
            assert_eq!(split.answers.len(), whole.answers.len());
        }
        // Answers are never dropped below the bound.
        if whole.replies.len() + 3 <= MAX_REPLIES {
            assert_eq!(
                split.replies, whole.replies,
                "{what} of {pieces}: answers differ"
            );
        }
    }

    let mut encoded = Vec::new();
    telnet::encode(wire, &mut encoded);
    assert_eq!(
        encoded.len(),
        wire.len() + wire.iter().filter(|&&b| b == IAC).count()
    );
    let back = decode(com_port, false, &encoded, Some(piece));
    assert_eq!(back.data, wire, "the encoding does not decode to the data");
    assert!(back.replies.is_empty() && back.answers.is_empty());
    // `sent_of` maps every cut of the encoding back onto the data.
    for sent in [0, encoded.len() / 2, encoded.len()] {
        let (whole, half) = telnet::sent_of(wire, sent);
        let mut prefix = Vec::new();
        telnet::encode(&wire[..whole], &mut prefix);
        assert_eq!(prefix.len() + usize::from(half), sent);
        assert!(!half || wire[whole] == IAC);
    }
}
