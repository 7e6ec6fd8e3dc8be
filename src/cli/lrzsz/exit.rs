//! lrzsz's exit codes, which the personalities use instead of xyzmodem's own (the table with
//! both is in docs/LRZSZ.md, "Exit codes").

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cli::exit::{self, Code};

/// Everything was sent or received.
pub(super) const OK: u8 = 0;
/// A fatal setup error, or some of the files to send could not be opened (the rest were sent).
pub(super) const SETUP: u8 = 1;
/// A command-line error.
pub(super) const USAGE: u8 = 2;
/// Any protocol failure: timeout, retries exhausted, cancelled by the peer, link lost.
pub(super) const PROTOCOL: u8 = 128;
/// `-R` refused the file name: lrzsz exits through its signal path with "signal" -1, 128 - 1.
pub(super) const RESTRICTED: u8 = 127;

/// The signal that interrupted the transfer, for lrzsz's 128 + N (0: none seen).
static LAST_SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// Notes which termination signal arrives, for lrzsz's 128 + N. `run` installs the handlers
/// that stop the transfer; these only remember the number.
pub(super) fn record_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        let value = usize::try_from(sig).unwrap_or(0);
        // Without it an interrupt still exits, with 130: nothing worth failing for.
        let _ = signal_hook::flag::register_usize(sig, &LAST_SIGNAL, value);
    }
}

/// lrzsz's exit code for the outcome of `run`.
pub(super) fn lrzsz_code(result: &anyhow::Result<()>, unreadable: bool) -> u8 {
    let err = match result {
        Ok(()) if unreadable => return SETUP,
        Ok(()) => return OK,
        Err(e) => e,
    };
    let interrupted = || {
        let sig = LAST_SIGNAL.load(Ordering::SeqCst);
        u8::try_from(128 + sig)
            .ok()
            .filter(|_| sig > 0)
            .unwrap_or(Code::Interrupted as u8)
    };
    let class = exit::classify(err);
    match class.code {
        Code::Success => OK,
        Code::Usage => USAGE,
        Code::Interrupted => interrupted(),
        // Anything that went wrong once the session ran is a protocol failure for lrzsz, also
        // a full disk or a refused name; only an interrupt has its own code.
        Code::LocalIo if class.in_session => PROTOCOL,
        Code::LocalIo => SETUP,
        Code::TransferFailed | Code::CancelledByPeer => PROTOCOL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        use xyzmodem::driver::Error;
        use xyzmodem::proto;
        let session = |e: Error| Err(anyhow::Error::new(e).context("sending f"));
        assert_eq!(lrzsz_code(&Ok(()), false), OK);
        assert_eq!(lrzsz_code(&Ok(()), true), SETUP);
        assert_eq!(
            lrzsz_code(
                &session(Error::Protocol(proto::Error::PeerAborted(
                    proto::PeerAbort::Cancelled
                ))),
                false
            ),
            PROTOCOL
        );
        // lrzsz exits 128 whichever way the other side ended the session.
        assert_eq!(
            lrzsz_code(
                &session(Error::Protocol(proto::Error::PeerAborted(
                    proto::PeerAbort::SenderAborted
                ))),
                false
            ),
            PROTOCOL
        );
        assert_eq!(
            lrzsz_code(
                &session(Error::Protocol(proto::Error::Timeout { waiting_for: "x" })),
                false
            ),
            PROTOCOL
        );
        assert_eq!(lrzsz_code(&session(Error::Interrupted), false), 130);
        let usage = Err(anyhow::Error::new(exit::UsageError("x")));
        assert_eq!(lrzsz_code(&usage, false), USAGE);
        let io = Err(anyhow::Error::new(std::io::Error::other("x")));
        assert_eq!(lrzsz_code(&io, false), SETUP);
    }

    /// xyzmodem's exit 4 (a local error) is lrzsz's 128 once the session ran, 1 before.
    #[test]
    fn local_errors_in_a_session_are_transfer_failures() {
        use xyzmodem::driver::Error;
        let link = Error::Link {
            name: "x".into(),
            error: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "x"),
        };
        assert_eq!(exit::for_error(&link), Code::LocalIo);
        let session = Err(anyhow::Error::new(link).context("receiving f"));
        assert_eq!(lrzsz_code(&session, false), PROTOCOL);
        let setup = Err(anyhow::Error::new(std::io::Error::other("x")).context("opening f"));
        assert_eq!(lrzsz_code(&setup, false), SETUP);
    }
}
