//! The telnet protocol as a pure codec: bytes from the network in, the data bytes and the
//! answers to send back out. No I/O, so every split of a command across reads is tested
//! and fuzzed on its own.
//!
//! What a transfer needs of telnet (RFC 854, 855, 856 and 2217's option): 0xFF (IAC) in the
//! data is sent doubled and read back single; commands (`IAC NOP`, `IAC AYT`, ...) and option
//! negotiation are taken out of the data; options are answered so the other side never
//! waits (binary mode and suppress-go-ahead both ways, and RFC 2217's COM-PORT-OPTION when
//! it is asked for, are accepted; anything else is refused); and a sub-negotiation of the
//! COM-PORT-OPTION is handed to the caller. The line is taken as binary in both directions:
//! no CR NUL translation, which a file transfer could not survive anyway.

/// Interpret As Command: starts every telnet command; doubled, it is a 0xFF data byte.
pub const IAC: u8 = 0xFF;
const DONT: u8 = 0xFE;
const DO: u8 = 0xFD;
const WONT: u8 = 0xFC;
const WILL: u8 = 0xFB;
const SB: u8 = 0xFA;
const SE: u8 = 0xF0;

/// Binary transmission (RFC 856).
pub const BINARY: u8 = 0;
/// Suppress go-ahead (RFC 858).
pub const SGA: u8 = 3;
/// RFC 2217's COM-PORT-OPTION.
pub const COM_PORT: u8 = 44;

/// RFC 2217's SET-CONTROL command, and its values that start and end a break.
pub const SET_CONTROL: u8 = 5;
/// SET-CONTROL: set the break state on.
pub const BREAK_ON: u8 = 5;
/// SET-CONTROL: set the break state off.
pub const BREAK_OFF: u8 = 6;

/// The longest sub-negotiation payload kept: RFC 2217's longest answer is a 4-byte baud rate
/// after its command byte (a signature may be longer and is cut, which nothing here reads).
const MAX_SUB: usize = 64;

/// The most COM-PORT-OPTION answers kept for the caller: older ones are dropped, so a
/// server that sends nothing else cannot grow memory.
const MAX_ANSWERS: usize = 32;

/// The most answer bytes queued before the caller takes them: a peer that negotiates
/// without reading is not answered past this.
const MAX_REPLIES: usize = 4096;

/// Where the decoder is within a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    Iac,
    /// After `IAC WILL/WONT/DO/DONT`: the option byte comes next.
    Option(u8),
    /// After `IAC SB`: the option byte comes next.
    SubOption,
    /// Within a sub-negotiation of this option.
    Sub(u8),
    /// An `IAC` within a sub-negotiation.
    SubIac(u8),
}

/// One side's view of an option (ours or the peer's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Side {
    enabled: bool,
    /// We asked for the change and wait for the answer (which then needs none).
    asked: bool,
    /// The other side refused it.
    refused: bool,
}

/// Where RFC 2217's option stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComPort {
    /// Not asked for.
    Off,
    /// Asked for (`WILL COM-PORT-OPTION`), no answer yet.
    Asked,
    /// The server agreed (`DO COM-PORT-OPTION`).
    Accepted,
    /// The server refused (`DONT COM-PORT-OPTION`).
    Refused,
}

/// A telnet connection's protocol state: the decoder, the option table and the answers
/// waiting to be sent.
#[derive(Debug, Clone)]
pub struct Telnet {
    state: State,
    /// Options we do, by option code.
    us: [Side; 256],
    /// Options the peer does.
    him: [Side; 256],
    /// Whether we offer RFC 2217's option.
    com_port: bool,
    sub: Vec<u8>,
    replies: Vec<u8>,
    answers: Vec<(u8, Vec<u8>)>,
}

impl Telnet {
    /// A codec that accepts binary mode and suppress-go-ahead both ways, and offers RFC 2217's
    /// option when `com_port`. It asks for nothing until [`Self::start`].
    pub fn new(com_port: bool) -> Self {
        Self {
            state: State::Data,
            us: [Side::default(); 256],
            him: [Side::default(); 256],
            com_port,
            sub: Vec::new(),
            replies: Vec::new(),
            answers: Vec::new(),
        }
    }

    /// Ask for binary mode and suppress-go-ahead both ways, and offer the COM-PORT-OPTION when
    /// the codec was made with it: the requests are queued with the replies.
    pub fn start(&mut self) {
        for option in [BINARY, SGA] {
            self.ask_us(option);
            self.ask_him(option);
        }
        if self.com_port {
            self.ask_us(COM_PORT);
        }
    }

    fn ask_us(&mut self, option: u8) {
        let side = &mut self.us[usize::from(option)];
        if !side.enabled && !side.asked {
            side.asked = true;
            self.reply(WILL, option);
        }
    }

    fn ask_him(&mut self, option: u8) {
        let side = &mut self.him[usize::from(option)];
        if !side.enabled && !side.asked {
            side.asked = true;
            self.reply(DO, option);
        }
    }

    fn reply(&mut self, verb: u8, option: u8) {
        if self.replies.len() + 3 <= MAX_REPLIES {
            self.replies.extend_from_slice(&[IAC, verb, option]);
        }
    }

    /// Whether we do `option` ourselves, given what this codec supports.
    fn we_support(&self, option: u8) -> bool {
        matches!(option, BINARY | SGA) || (option == COM_PORT && self.com_port)
    }

    /// Where the COM-PORT-OPTION stands.
    pub fn com_port(&self) -> ComPort {
        let side = self.us[usize::from(COM_PORT)];
        match (self.com_port, side.enabled, side.asked, side.refused) {
            (false, ..) => ComPort::Off,
            (true, true, ..) => ComPort::Accepted,
            (true, false, _, true) => ComPort::Refused,
            (true, false, true, false) => ComPort::Asked,
            (true, false, false, false) => ComPort::Off,
        }
    }

    /// Decode `buf` in place: the data bytes it holds are moved to its start and their count
    /// returned. Commands are taken out; answers to the peer's negotiation are queued
    /// ([`Self::take_replies`]); a COM-PORT-OPTION sub-negotiation is kept for
    /// [`Self::take_answers`]. A command may be split across calls anywhere.
    pub fn decode(&mut self, buf: &mut [u8]) -> usize {
        let mut out = 0;
        let mut i = 0;
        while i < buf.len() {
            if self.state == State::Data {
                // The bulk: a run of data bytes up to the next IAC, moved at once.
                let run = buf[i..]
                    .iter()
                    .position(|&b| b == IAC)
                    .unwrap_or(buf.len() - i);
                buf.copy_within(i..i + run, out);
                out += run;
                i += run;
                if i == buf.len() {
                    break;
                }
                self.state = State::Iac;
                i += 1;
                continue;
            }
            let b = buf[i];
            i += 1;
            self.state = match self.state {
                State::Data => unreachable!("data runs are handled above"),
                State::Iac => match b {
                    IAC => {
                        buf[out] = IAC;
                        out += 1;
                        State::Data
                    }
                    WILL | WONT | DO | DONT => State::Option(b),
                    SB => State::SubOption,
                    // NOP, data mark, break, interrupt, AYT, erase, go-ahead, and anything
                    // unknown: a command, not data.
                    _ => State::Data,
                },
                State::Option(verb) => {
                    self.negotiate(verb, b);
                    State::Data
                }
                State::SubOption => {
                    self.sub.clear();
                    State::Sub(b)
                }
                State::Sub(option) => {
                    if b == IAC {
                        State::SubIac(option)
                    } else {
                        self.push_sub(b);
                        State::Sub(option)
                    }
                }
                State::SubIac(option) => match b {
                    IAC => {
                        self.push_sub(IAC);
                        State::Sub(option)
                    }
                    SE => {
                        self.end_sub(option);
                        State::Data
                    }
                    // A command inside a sub-negotiation ends it (RFC 855 leaves this to the
                    // receiver): the command is taken as the start of a new one.
                    _ => {
                        self.end_sub(option);
                        i -= 1;
                        State::Iac
                    }
                },
            };
        }
        out
    }

    fn push_sub(&mut self, b: u8) {
        if self.sub.len() < MAX_SUB {
            self.sub.push(b);
        }
    }

    fn end_sub(&mut self, option: u8) {
        if option != COM_PORT || !self.com_port {
            return;
        }
        if let Some((&command, payload)) = self.sub.split_first() {
            if self.answers.len() == MAX_ANSWERS {
                self.answers.remove(0);
            }
            self.answers.push((command, payload.to_vec()));
        }
    }

    /// The peer's `WILL/WONT/DO/DONT option`: update the table and answer, never answering an
    /// answer (so two sides cannot loop).
    fn negotiate(&mut self, verb: u8, option: u8) {
        let index = usize::from(option);
        match verb {
            WILL => {
                let side = &mut self.him[index];
                if side.enabled {
                    return;
                }
                let asked = std::mem::take(&mut side.asked);
                if matches!(option, BINARY | SGA) {
                    side.enabled = true;
                    if !asked {
                        self.reply(DO, option);
                    }
                } else {
                    self.reply(DONT, option);
                }
            }
            WONT => {
                let side = &mut self.him[index];
                let was = side.enabled || side.asked;
                let asked = std::mem::take(&mut side.asked);
                side.enabled = false;
                side.refused = true;
                if was && !asked {
                    self.reply(DONT, option);
                }
            }
            DO => {
                if self.us[index].enabled {
                    return;
                }
                let supported = self.we_support(option);
                let side = &mut self.us[index];
                let asked = std::mem::take(&mut side.asked);
                if supported {
                    side.enabled = true;
                    if !asked {
                        self.reply(WILL, option);
                    }
                } else {
                    self.reply(WONT, option);
                }
            }
            _ => {
                let side = &mut self.us[index];
                let was = side.enabled || side.asked;
                let asked = std::mem::take(&mut side.asked);
                side.enabled = false;
                side.refused = true;
                if was && !asked {
                    self.reply(WONT, option);
                }
            }
        }
    }

    /// Queue a sub-negotiation of `option` (`IAC SB option payload IAC SE`, 0xFF in the
    /// payload doubled).
    pub fn sub_negotiate(&mut self, option: u8, payload: &[u8]) {
        self.replies.extend_from_slice(&[IAC, SB, option]);
        encode(payload, &mut self.replies);
        self.replies.extend_from_slice(&[IAC, SE]);
    }

    /// Whether answers wait to be sent.
    pub fn has_replies(&self) -> bool {
        !self.replies.is_empty()
    }

    /// The bytes to send the peer (answers, requests), in order; the queue is emptied.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.replies)
    }

    /// The COM-PORT-OPTION sub-negotiations received (command byte, payload), oldest first;
    /// the list is emptied.
    pub fn take_answers(&mut self) -> Vec<(u8, Vec<u8>)> {
        std::mem::take(&mut self.answers)
    }
}

/// Append `data` to `out` with every 0xFF doubled.
pub fn encode(data: &[u8], out: &mut Vec<u8>) {
    let mut rest = data;
    while let Some(at) = rest.iter().position(|&b| b == IAC) {
        out.extend_from_slice(&rest[..=at]);
        out.push(IAC);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

/// How many bytes of `data` the first `sent` bytes of its encoding carry whole, and whether
/// the encoding was cut inside a doubled 0xFF (its first half sent, the second not: that data
/// byte counts as sent once the second half follows).
pub fn sent_of(data: &[u8], sent: usize) -> (usize, bool) {
    let mut encoded = 0;
    for (i, &b) in data.iter().enumerate() {
        let cost = if b == IAC { 2 } else { 1 };
        if encoded + cost > sent {
            return (i, encoded < sent);
        }
        encoded += cost;
    }
    (data.len(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decode `input` fed in pieces cut at `cuts`.
    fn decode_split(telnet: &mut Telnet, input: &[u8], cuts: &[usize]) -> Vec<u8> {
        let mut data = Vec::new();
        let mut from = 0;
        for &to in cuts.iter().chain([&input.len()]) {
            let mut piece = input[from..to].to_vec();
            let n = telnet.decode(&mut piece);
            data.extend_from_slice(&piece[..n]);
            from = to;
        }
        data
    }

    #[test]
    fn doubled_iac_is_one_data_byte_wherever_the_reads_split() {
        let all: Vec<u8> = (0..=255u8).collect();
        let mut wire = Vec::new();
        encode(&all, &mut wire);
        assert_eq!(wire.len(), 257);
        for cut in 0..=wire.len() {
            let mut t = Telnet::new(false);
            assert_eq!(decode_split(&mut t, &wire, &[cut]), all, "cut at {cut}");
        }
        // Every byte its own read.
        let mut t = Telnet::new(false);
        let cuts: Vec<usize> = (1..wire.len()).collect();
        assert_eq!(decode_split(&mut t, &wire, &cuts), all);
    }

    #[test]
    fn commands_and_negotiation_leave_the_data_and_are_answered_once() {
        // NOP, AYT, DO ECHO (refused), WILL BINARY (accepted), a sub-negotiation of another
        // option with an escaped 0xFF in it, and data all around.
        let wire = [
            b'a', IAC, 0xF1, b'b', IAC, 0xF6, IAC, DO, 1, b'c', IAC, WILL, BINARY, IAC, SB, 24, 1,
            IAC, IAC, 2, IAC, SE, b'd', IAC, IAC,
        ];
        for cut in 0..=wire.len() {
            let mut t = Telnet::new(false);
            assert_eq!(
                decode_split(&mut t, &wire, &[cut]),
                b"abcd\xff",
                "cut at {cut}"
            );
            assert_eq!(
                t.take_replies(),
                [IAC, WONT, 1, IAC, DO, BINARY],
                "cut at {cut}"
            );
            // The same requests again are already answered.
            let mut again = [IAC, WILL, BINARY];
            assert_eq!(t.decode(&mut again), 0);
            assert!(!t.has_replies());
        }
    }

    #[test]
    fn requests_are_not_answered_when_the_peer_confirms_them() {
        let mut t = Telnet::new(true);
        t.start();
        assert_eq!(
            t.take_replies(),
            [
                IAC, WILL, BINARY, IAC, DO, BINARY, IAC, WILL, SGA, IAC, DO, SGA, IAC, WILL,
                COM_PORT
            ]
        );
        assert_eq!(t.com_port(), ComPort::Asked);
        let mut wire = [
            IAC, DO, BINARY, IAC, WILL, BINARY, IAC, DO, COM_PORT, IAC, WILL, 1,
        ];
        assert_eq!(t.decode(&mut wire), 0);
        // Only the unasked-for ECHO is answered.
        assert_eq!(t.take_replies(), [IAC, DONT, 1]);
        assert_eq!(t.com_port(), ComPort::Accepted);
    }

    #[test]
    fn a_refused_com_port_option_is_reported() {
        let mut t = Telnet::new(true);
        t.start();
        t.take_replies();
        let mut wire = [IAC, DONT, COM_PORT];
        t.decode(&mut wire);
        assert_eq!(t.com_port(), ComPort::Refused);
        assert!(!t.has_replies());
    }

    #[test]
    fn com_port_answers_are_handed_out_split_or_not() {
        // The server's answer to SET-BAUDRATE 57600 (0x0000E100), with 0xFF bytes doubled in
        // another answer.
        let wire = [
            IAC, SB, COM_PORT, 101, 0, 0, 0xE1, 0, IAC, SE, b'x', IAC, SB, COM_PORT, 105, IAC, IAC,
            IAC, SE,
        ];
        for cut in 0..=wire.len() {
            let mut t = Telnet::new(true);
            assert_eq!(decode_split(&mut t, &wire, &[cut]), b"x");
            assert_eq!(
                t.take_answers(),
                [(101, vec![0, 0, 0xE1, 0]), (105, vec![IAC])],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_hostile_peer_cannot_grow_memory() {
        let mut t = Telnet::new(true);
        // An endless sub-negotiation, endless answers and endless requests.
        let mut sub = vec![IAC, SB, COM_PORT];
        sub.extend(std::iter::repeat_n(7u8, 100_000));
        t.decode(&mut sub);
        assert!(t.sub.len() <= MAX_SUB);
        let mut many = Vec::new();
        for _ in 0..1000 {
            many.extend_from_slice(&[IAC, SE, IAC, SB, COM_PORT, 1]);
        }
        t.decode(&mut many);
        assert!(t.answers.len() <= MAX_ANSWERS);
        let mut requests = Vec::new();
        for _ in 0..10_000 {
            requests.extend_from_slice(&[IAC, DO, 1, IAC, DONT, 1]);
        }
        t.decode(&mut requests);
        assert!(t.replies.len() <= MAX_REPLIES);
    }

    #[test]
    fn sent_of_maps_an_encoding_cut_back_to_the_data() {
        let data = [1, IAC, 2];
        // Encoded: 1 FF FF 2.
        assert_eq!(sent_of(&data, 0), (0, false));
        assert_eq!(sent_of(&data, 1), (1, false));
        assert_eq!(sent_of(&data, 2), (1, true));
        assert_eq!(sent_of(&data, 3), (2, false));
        assert_eq!(sent_of(&data, 4), (3, false));
    }
}
