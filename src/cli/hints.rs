//! What the user can do about an error, in this program's options. The library's errors say
//! what happened and name no options; the advice is added here, once, when an error is shown.

use xyzmodem::driver;
use xyzmodem::files::FileError;
use xyzmodem::proto::{self, Unsupported};

/// The advice for a session's error, when an option would help.
pub fn for_session(e: &driver::Error) -> Option<&'static str> {
    match e {
        driver::Error::Protocol(e) => for_protocol(e),
        driver::Error::Handler(driver::HandlerError::File(e)) => for_file(e),
        _ => None,
    }
}

fn for_protocol(e: &proto::Error) -> Option<&'static str> {
    match e {
        proto::Error::Unsupported(Unsupported::YmodemToXmodem) => Some("receive with --ymodem"),
        proto::Error::Streaming { .. } => Some("retry without -g"),
        _ => None,
    }
}

fn for_file(e: &FileError) -> Option<&'static str> {
    match e {
        FileError::Exists(_) => {
            Some("use --overwrite to replace it, --rename to keep both, or --skip-existing")
        }
        FileError::Device { .. } => Some("--force-device sends it anyway, without a size"),
        FileError::NoXmodemName { .. } => Some("give one with --output NAME"),
        _ => None,
    }
}

/// The advice for an error that reached the user: that of the first cause in its chain that
/// has one.
pub fn for_anyhow(e: &anyhow::Error) -> Option<&'static str> {
    e.chain().find_map(|cause| {
        if let Some(d) = cause.downcast_ref::<driver::Error>() {
            for_session(d)
        } else if let Some(p) = cause.downcast_ref::<proto::Error>() {
            for_protocol(p)
        } else {
            cause.downcast_ref::<FileError>().and_then(for_file)
        }
    })
}

/// `text` (an error as shown) followed by the advice for `e`, if any.
pub fn with_hint(text: String, e: &anyhow::Error) -> String {
    match for_anyhow(e) {
        Some(hint) => format!("{text}; {hint}"),
        None => text,
    }
}

/// An error as the user sees it: its chain (`{e:#}`), then the advice.
pub fn render(e: &anyhow::Error) -> String {
    with_hint(format!("{e:#}"), e)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use xyzmodem::proto::{PeerAbort, PeerMisbehaved, Position, RetryReason};

    use super::*;

    fn shown(e: driver::Error) -> String {
        render(&anyhow::Error::new(e).context("receiving"))
    }

    #[test]
    fn each_cause_renders_with_its_hint() {
        let p = |e| driver::Error::Protocol(e);
        assert_eq!(
            shown(p(proto::Error::Unsupported(Unsupported::YmodemToXmodem))),
            "receiving: the sender uses YMODEM (it sent a block 0 file header); \
             receive with --ymodem"
        );
        assert_eq!(
            shown(p(proto::Error::Streaming {
                at: Position::Block(3),
                reason: RetryReason::BadCheck,
            })),
            "receiving: YMODEM-G transfer broken at block 3 (bad checksum/CRC); \
             streaming cannot retransmit; retry without -g"
        );
        assert_eq!(
            shown(driver::Error::Handler(
                FileError::Exists(PathBuf::from("a")).into()
            )),
            "receiving: a already exists; \
             use --overwrite to replace it, --rename to keep both, or --skip-existing"
        );
        assert_eq!(
            shown(driver::Error::Handler(
                FileError::NoXmodemName {
                    dir: PathBuf::from("d"),
                }
                .into()
            )),
            "receiving: cannot receive into d: the sender uses XMODEM, which sends no file \
             name; give one with --output NAME"
        );
        assert_eq!(
            render(&anyhow::Error::new(FileError::Device {
                path: PathBuf::from("/dev/zero"),
                kind: "character",
            })),
            "cannot send /dev/zero: it is a character device: its size is unknown and its \
             data may never end; --force-device sends it anyway, without a size"
        );
    }

    #[test]
    fn causes_without_an_option_to_suggest_have_no_hint() {
        for e in [
            proto::Error::PeerAborted(PeerAbort::Cancelled),
            proto::Error::PeerAborted(PeerAbort::ReceiverFileError),
            proto::Error::PeerMisbehaved(PeerMisbehaved::EndedInFile),
            proto::Error::Unsupported(Unsupported::ZmodemFileTooLarge),
            proto::Error::Timeout { waiting_for: "x" },
        ] {
            let text = e.to_string();
            assert_eq!(
                shown(driver::Error::Protocol(e)),
                format!("receiving: {text}")
            );
        }
    }
}
