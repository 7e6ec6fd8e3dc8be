//! RFC 2217's COM-PORT-OPTION: setting a remote serial port's line over telnet (the break
//! is the telnet link's, [`TelnetLink`]).
//!
//! The client sends a sub-negotiation per setting (`IAC SB 44 command value IAC SE`); the
//! server answers each with the command plus 100 and the value it applied.

use std::io;
use std::time::Duration;

use super::super::{FlowControl, Link, OpenError, Parity, SerialSettings};
use super::telnet::{COM_PORT, ComPort, SET_CONTROL};
use super::telnet_link::TelnetLink;

const SET_BAUDRATE: u8 = 1;
const SET_DATASIZE: u8 = 2;
const SET_PARITY: u8 = 3;
const SET_STOPSIZE: u8 = 4;

/// SET-CONTROL's values used here.
const FLOW_NONE: u8 = 1;
const FLOW_XONXOFF: u8 = 2;
const FLOW_HARDWARE: u8 = 3;

/// What the server answers a command with.
const ANSWER: u8 = 100;

/// The settings' sub-negotiations, in the order they are sent.
fn commands(s: &SerialSettings) -> [(u8, Vec<u8>); 5] {
    [
        (SET_BAUDRATE, s.baud.to_be_bytes().to_vec()),
        (SET_DATASIZE, vec![s.data_bits]),
        (
            SET_PARITY,
            vec![match s.parity {
                Parity::None => 1,
                Parity::Odd => 2,
                Parity::Even => 3,
            }],
        ),
        (SET_STOPSIZE, vec![if s.stop_bits == 2 { 2 } else { 1 }]),
        (
            SET_CONTROL,
            vec![match s.flow_control {
                FlowControl::None => FLOW_NONE,
                FlowControl::Software => FLOW_XONXOFF,
                FlowControl::Hardware => FLOW_HARDWARE,
            }],
        ),
    ]
}

/// Set up the remote port: wait (at most `timeout` in all) for the server to take the
/// COM-PORT-OPTION, send the line settings and wait for its answer to each. A server that
/// refuses the option, or does not answer, fails the open: the settings asked for would not
/// hold. A baud rate answered with another one is [`OpenError::UnsupportedBaud`].
pub fn configure<L: Link>(
    link: &mut TelnetLink<L>,
    settings: &SerialSettings,
    timeout: Duration,
) -> Result<(), OpenError> {
    let url = settings.path.clone();
    let io_error = |e: io::Error| OpenError::Network {
        url: url.clone(),
        reason: e.to_string(),
    };
    let start = std::time::Instant::now();
    let decided = link
        .wait_for(timeout, |t| t.com_port() != ComPort::Asked)
        .map_err(io_error)?;
    match link.codec().com_port() {
        ComPort::Accepted => {}
        _ if decided => return Err(OpenError::NoComPort(url)),
        _ => {
            return Err(OpenError::NoComPortAnswer {
                url,
                secs: timeout.as_secs_f64(),
            });
        }
    }
    let commands = commands(settings);
    for (command, value) in &commands {
        let mut payload = vec![*command];
        payload.extend_from_slice(value);
        link.sub_negotiate(COM_PORT, &payload);
    }
    // Each answer once, by command; answers to anything else are left.
    let mut answered: Vec<(u8, Vec<u8>)> = Vec::new();
    let left = timeout.saturating_sub(start.elapsed());
    let all = link
        .wait_for(left, |t| {
            for (command, value) in t.take_answers() {
                if let Some(asked) = command.checked_sub(ANSWER)
                    && commands.iter().any(|(c, _)| *c == asked)
                    && !answered.iter().any(|(c, _)| *c == asked)
                {
                    answered.push((asked, value));
                }
            }
            answered.len() == commands.len()
        })
        .map_err(io_error)?;
    if !all {
        return Err(OpenError::NoComPortAnswer {
            url,
            secs: timeout.as_secs_f64(),
        });
    }
    let baud = answered
        .iter()
        .find(|(c, _)| *c == SET_BAUDRATE)
        .and_then(|(_, v)| <[u8; 4]>::try_from(v.as_slice()).ok())
        .map(u32::from_be_bytes);
    if baud.is_some_and(|b| b.abs_diff(settings.baud) > settings.baud / 30) {
        return Err(OpenError::UnsupportedBaud {
            path: url,
            baud: settings.baud,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::telnet::IAC;
    use super::*;
    use crate::link::testing::Script;

    const SB: u8 = 0xFA;
    const SE: u8 = 0xF0;

    fn settings() -> SerialSettings {
        SerialSettings {
            baud: 57600,
            parity: Parity::Even,
            flow_control: FlowControl::Hardware,
            ..SerialSettings::new("rfc2217://h:1")
        }
    }

    fn answer(command: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vec![IAC, SB, COM_PORT, command + ANSWER];
        v.extend_from_slice(value);
        v.extend_from_slice(&[IAC, SE]);
        v
    }

    #[test]
    fn the_settings_go_out_and_data_read_meanwhile_is_kept() {
        let mut chunks: Vec<Vec<u8>> = vec![vec![IAC, 0xFD, COM_PORT, b'C']];
        chunks.push(answer(SET_BAUDRATE, &57600u32.to_be_bytes()));
        for (c, v) in [(SET_DATASIZE, 8), (SET_PARITY, 3), (SET_STOPSIZE, 1)] {
            chunks.push(answer(c, &[v]));
        }
        chunks.push(answer(SET_CONTROL, &[FLOW_HARDWARE]));
        let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let mut link = TelnetLink::new(Script::new(&chunks), true, true);
        configure(&mut link, &settings(), Duration::from_secs(5)).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(link.read(&mut buf, Duration::ZERO).unwrap(), 1);
        assert_eq!(buf[0], b'C');
        let written = &link.get_ref().written;
        let baud = [IAC, SB, COM_PORT, SET_BAUDRATE, 0, 0, 0xE1, 0, IAC, SE];
        assert!(
            written.windows(baud.len()).any(|w| w == baud),
            "{written:x?}"
        );
        let parity = [IAC, SB, COM_PORT, SET_PARITY, 3, IAC, SE];
        assert!(written.windows(parity.len()).any(|w| w == parity));
        let flow = [IAC, SB, COM_PORT, SET_CONTROL, FLOW_HARDWARE, IAC, SE];
        assert!(written.windows(flow.len()).any(|w| w == flow));
    }

    #[test]
    fn a_server_without_the_option_fails_the_open() {
        let refuse: &[u8] = &[IAC, 0xFE, COM_PORT];
        let mut link = TelnetLink::new(Script::new(&[refuse]), true, true);
        let e = configure(&mut link, &settings(), Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, OpenError::NoComPort(_)), "{e}");
        // One that never answers, on the script's virtual clock: the bound holds.
        let mut link = TelnetLink::new(Script::default(), true, true);
        let e = configure(&mut link, &settings(), Duration::from_millis(1)).unwrap_err();
        assert!(matches!(e, OpenError::NoComPortAnswer { .. }), "{e}");
    }

    #[test]
    fn a_baud_rate_answered_with_another_fails_the_open() {
        let mut chunks: Vec<Vec<u8>> = vec![vec![IAC, 0xFD, COM_PORT]];
        chunks.push(answer(SET_BAUDRATE, &9600u32.to_be_bytes()));
        for c in [SET_DATASIZE, SET_PARITY, SET_STOPSIZE, SET_CONTROL] {
            chunks.push(answer(c, &[1]));
        }
        let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let mut link = TelnetLink::new(Script::new(&chunks), true, true);
        let e = configure(&mut link, &settings(), Duration::from_secs(5)).unwrap_err();
        assert!(
            matches!(e, OpenError::UnsupportedBaud { baud: 57600, .. }),
            "{e}"
        );
    }
}
