//! Exit codes: the one table, and the one function that classifies an error (also for the
//! lrzsz personalities, which map the result to lrzsz's codes).
//! docs/EXIT_CODES.md and the README repeat this table.

use std::process::ExitCode;

use xyzmodem::driver::Error;
use xyzmodem::proto;

/// Every exit code the program uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The transfer completed.
    Success = 0,
    /// The transfer failed: timeout, retries exhausted, protocol error, the
    /// other side hung up.
    TransferFailed = 1,
    /// Bad command line (clap's own code).
    Usage = 2,
    /// The other side cancelled: its cancel sequence, or its protocol's abort (ZMODEM
    /// `ZABORT`, `ZFERR`, `ZCAN`).
    CancelledByPeer = 3,
    /// A local file or device error: input missing, output exists, disk
    /// full, serial port missing, busy or not permitted.
    LocalIo = 4,
    /// Interrupted by Ctrl-C (SIGINT), SIGTERM or SIGHUP.
    Interrupted = 130,
}

impl From<Code> for ExitCode {
    fn from(c: Code) -> Self {
        Self::from(c as u8)
    }
}

/// The code for an error of a session.
pub fn for_error(e: &Error) -> Code {
    match e {
        Error::Protocol(e) if e.is_cancelled_by_peer() => Code::CancelledByPeer,
        Error::Protocol(proto::Error::Aborted(proto::Abort::Interrupted)) | Error::Interrupted => {
            Code::Interrupted
        }
        Error::Protocol(_) => Code::TransferFailed,
        e if e.is_hang_up() || e.is_stalled() => Code::TransferFailed,
        Error::Handler(_) | Error::Link { .. } => Code::LocalIo,
        _ => Code::TransferFailed,
    }
}

/// A command line that parses but makes no sense (e.g. XMODEM with two files): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub &'static str);

/// How an error that reached `main` is classified: its code, and whether a session
/// error decided it (the transfer had begun). lrzsz's exit codes are mapped from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    /// The exit code.
    pub code: Code,
    /// True when the deciding error is a session's [`Error`].
    pub in_session: bool,
}

/// Classifies an error that reached `main`: the first typed error found walking the chain
/// decides.
pub fn classify(e: &anyhow::Error) -> Classified {
    use xyzmodem::files::FileError;
    use xyzmodem::link::OpenError;
    let outside = |code| Classified {
        code,
        in_session: false,
    };
    for cause in e.chain() {
        if cause.is::<UsageError>() {
            return outside(Code::Usage);
        }
        if let Some(d) = cause.downcast_ref::<Error>() {
            return Classified {
                code: for_error(d),
                in_session: true,
            };
        }
        if cause.is::<FileError>() || cause.is::<OpenError>() || cause.is::<std::io::Error>() {
            return outside(Code::LocalIo);
        }
    }
    outside(Code::TransferFailed)
}

/// The code for an error that reached `main` (see [`classify`]).
pub fn for_anyhow(e: &anyhow::Error) -> Code {
    classify(e).code
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn table() {
        let link = |kind| Error::Link {
            name: "x".into(),
            error: io::Error::new(kind, "x"),
        };
        assert_eq!(
            for_error(&Error::Protocol(proto::Error::PeerAborted(
                proto::PeerAbort::Cancelled
            ))),
            Code::CancelledByPeer
        );
        // ZMODEM's ZABORT, ZFERR and ZCAN are the other side cancelling too.
        assert_eq!(
            for_error(&Error::Protocol(proto::Error::PeerAborted(
                proto::PeerAbort::ReceiverAborted
            ))),
            Code::CancelledByPeer
        );
        assert_eq!(
            for_error(&Error::Protocol(proto::Error::Timeout { waiting_for: "x" })),
            Code::TransferFailed
        );
        assert_eq!(for_error(&Error::Interrupted), Code::Interrupted);
        assert_eq!(
            for_error(&link(io::ErrorKind::UnexpectedEof)),
            Code::TransferFailed
        );
        // The other side stopped reading: a write found no room for --timeout.
        assert_eq!(
            for_error(&link(io::ErrorKind::TimedOut)),
            Code::TransferFailed
        );
        assert_eq!(
            for_error(&link(io::ErrorKind::PermissionDenied)),
            Code::LocalIo
        );
        assert_eq!(Code::Interrupted as u8, 130);
    }

    #[test]
    fn classified_by_the_first_typed_error() {
        let session = anyhow::Error::new(Error::Link {
            name: "x".into(),
            error: io::Error::new(io::ErrorKind::PermissionDenied, "x"),
        })
        .context("receiving f");
        assert_eq!(
            classify(&session),
            Classified {
                code: Code::LocalIo,
                in_session: true
            }
        );
        let local = anyhow::Error::new(io::Error::other("x")).context("opening f");
        assert_eq!(
            classify(&local),
            Classified {
                code: Code::LocalIo,
                in_session: false
            }
        );
        assert_eq!(for_anyhow(&local), Code::LocalIo);
        let usage = anyhow::Error::new(UsageError("x"));
        assert_eq!(for_anyhow(&usage), Code::Usage);
    }
}
