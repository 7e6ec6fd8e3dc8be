//! The escape key: what the person types goes to the remote side as it is, except a command
//! that starts with the escape key (Ctrl-T). A pure state machine, fed the bytes of each read
//! of the keyboard.

/// A command typed after the escape key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `q`: leave the terminal.
    Quit,
    /// `?` (or `h`): list the keys.
    Help,
    /// `z`, `y`, `x`, `X`: send files with this protocol.
    Send(Protocol),
    /// `r`: receive X/YMODEM.
    Receive,
    /// `l`: start or stop the log.
    Log,
    /// `b`: send a break.
    Break,
    /// Any other key: said to be unknown, and not sent.
    Unknown(u8),
}

/// What `Ctrl-T z`, `y`, `x` and `X` send with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// ZMODEM.
    Zmodem,
    /// YMODEM (1K blocks).
    Ymodem,
    /// XMODEM-1K.
    Xmodem1k,
    /// XMODEM (128-byte blocks).
    Xmodem,
}

/// The keys after the escape key, for `Ctrl-T ?`.
pub fn help(escape: u8) -> String {
    let esc = key_name(escape);
    format!(
        "keys after {esc}:\r\n  \
         q       quit\r\n  \
         ?       this list\r\n  \
         z       send files by ZMODEM\r\n  \
         y       send files by YMODEM\r\n  \
         x       send a file by XMODEM-1K\r\n  \
         X       send a file by XMODEM (128-byte blocks)\r\n  \
         r       receive by XMODEM or YMODEM\r\n  \
         l       start or stop the log\r\n  \
         b       send a break (serial or rfc2217:// port)\r\n  \
         {esc}  send a {esc} to the remote side\r\n"
    )
}

/// How a control character is named on the screen: `Ctrl-T`.
pub fn key_name(byte: u8) -> String {
    match byte {
        0..=0x1F => format!("Ctrl-{}", char::from(byte | 0x40)),
        _ => char::from(byte).to_string(),
    }
}

/// Splits the keyboard's bytes into what goes to the remote side and commands.
#[derive(Debug)]
pub struct Keys {
    escape: u8,
    /// The escape key came last: the next byte is a command.
    armed: bool,
}

impl Keys {
    /// With `escape` (0x14 for Ctrl-T) as the escape key.
    pub fn new(escape: u8) -> Self {
        Self {
            escape,
            armed: false,
        }
    }

    /// Takes typed bytes up to and including the first command: the bytes for the remote
    /// side are appended to `out`. Returns how many bytes of `input` were taken and the
    /// command, if one ended there; the caller feeds the rest after acting on it.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> (usize, Option<Action>) {
        let mut from = 0;
        for (i, &b) in input.iter().enumerate() {
            if self.armed {
                self.armed = false;
                from = i + 1;
                let action = match b {
                    _ if b == self.escape => {
                        out.push(b);
                        continue;
                    }
                    b'q' => Action::Quit,
                    b'?' | b'h' => Action::Help,
                    b'z' => Action::Send(Protocol::Zmodem),
                    b'y' => Action::Send(Protocol::Ymodem),
                    b'x' => Action::Send(Protocol::Xmodem1k),
                    b'X' => Action::Send(Protocol::Xmodem),
                    b'r' => Action::Receive,
                    b'l' => Action::Log,
                    b'b' => Action::Break,
                    other => Action::Unknown(other),
                };
                return (i + 1, Some(action));
            }
            if b == self.escape {
                out.extend_from_slice(&input[from..i]);
                self.armed = true;
                from = i + 1;
            }
        }
        out.extend_from_slice(&input[from..]);
        (input.len(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u8 = 0x14;

    fn run(keys: &mut Keys, mut input: &[u8]) -> (Vec<u8>, Vec<Action>) {
        let (mut out, mut actions) = (Vec::new(), Vec::new());
        while !input.is_empty() {
            let (n, action) = keys.feed(input, &mut out);
            actions.extend(action);
            input = &input[n..];
        }
        (out, actions)
    }

    #[test]
    fn plain_bytes_pass_and_commands_are_taken_out() {
        let mut keys = Keys::new(T);
        assert_eq!(run(&mut keys, b"ls -l\r"), (b"ls -l\r".to_vec(), vec![]));
        assert_eq!(
            run(&mut keys, b"ab\x14qcd"),
            (b"abcd".to_vec(), vec![Action::Quit])
        );
        assert_eq!(
            run(&mut keys, b"\x14?\x14j"),
            (vec![], vec![Action::Help, Action::Unknown(b'j')])
        );
        assert_eq!(
            run(&mut keys, b"\x14z\x14y\x14x\x14X\x14r"),
            (
                vec![],
                vec![
                    Action::Send(Protocol::Zmodem),
                    Action::Send(Protocol::Ymodem),
                    Action::Send(Protocol::Xmodem1k),
                    Action::Send(Protocol::Xmodem),
                    Action::Receive
                ]
            )
        );
    }

    #[test]
    fn the_escape_key_twice_sends_it_once() {
        let mut keys = Keys::new(T);
        assert_eq!(run(&mut keys, b"a\x14\x14b"), (b"a\x14b".to_vec(), vec![]));
    }

    #[test]
    fn a_command_split_across_reads_is_still_one() {
        let mut keys = Keys::new(T);
        assert_eq!(run(&mut keys, b"x\x14"), (b"x".to_vec(), vec![]));
        assert_eq!(run(&mut keys, b"q"), (vec![], vec![Action::Quit]));
        assert_eq!(run(&mut keys, b"\x14"), (vec![], vec![]));
        assert_eq!(run(&mut keys, b"\x14"), (vec![T], vec![]));
    }

    #[test]
    fn another_escape_key_leaves_ctrl_t_alone() {
        let mut keys = Keys::new(0x01);
        assert_eq!(run(&mut keys, b"\x14\x01q"), (vec![T], vec![Action::Quit]));
        assert_eq!(key_name(0x01), "Ctrl-A");
        assert!(help(0x01).contains("Ctrl-A  send a Ctrl-A"));
    }
}
