//! Transfers inside the terminal, through the same session code as `recv`: the engines, the
//! driver, the download directory's naming rules, the progress bar and the summary line.
//! The local terminal has its own settings back while a transfer runs, so the bar and the
//! lines draw as they do for `recv`, and Ctrl-C is a signal, which cancels the transfer (the
//! other side too) and leaves the terminal running.

use xyzmodem::files::ReceiveFiles;
use xyzmodem::link::{Link, RawModeGuard, Replay};
use xyzmodem::proto::cancel::CANCEL_SEQUENCE;
use xyzmodem::proto::detect::Start;
use xyzmodem::proto::zmodem::EscapeProfile;

use super::super::handshake::Board;
use super::super::hints;
use super::super::progress::Verbosity;
use super::super::report::Recorder;
use super::super::session::{self, Receiving};
use super::super::settings::{Records, SendProtocol, SendSettings, TermSettings};
use super::prompt;

/// The local terminal, raw while the person types to the remote side.
pub struct Local {
    raw: Option<RawModeGuard<'static>>,
}

impl Local {
    /// Put the terminal (stdin, if it is one) in raw mode.
    pub fn raw() -> std::io::Result<Self> {
        Ok(Self {
            raw: RawModeGuard::restorable(rustix::stdio::stdin())?,
        })
    }

    /// Run `f` with the terminal's own settings back, then raw again. An interrupt that came
    /// meanwhile was `f`'s (it cancelled the transfer): the terminal goes on.
    fn cooked<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let was_raw = self.raw.take().is_some();
        let out = f();
        session::interrupt_handled();
        if was_raw {
            self.raw = RawModeGuard::restorable(rustix::stdio::stdin()).unwrap_or(None);
        }
        out
    }
}

/// Receive what the remote side's `sz` sends, into the download directory; `pending`: the
/// bytes read past the start (its `ZRQINIT` first), which the receiver reads before the link.
pub fn download(
    s: &TermSettings,
    verbosity: Verbosity,
    local: &mut Local,
    link: &mut dyn Link,
    pending: Vec<u8>,
) {
    local.cooked(|| {
        // A line of our own: the remote side's `rz\r` is on the one the cursor is on.
        eprintln!();
        let a = &s.download;
        let files = match ReceiveFiles::new(a.target.clone(), a.policy) {
            Ok(files) => files,
            Err(e) => {
                failed(&anyhow::Error::new(e).context("cannot receive"));
                cancel(link);
                return;
            }
        };
        let mut rec = Recorder::recv(None);
        let mut link = Replay::new(link, pending);
        let got = Receiving {
            settings: a,
            start: Start::Zmodem,
            char_time: None,
            stderr_is_link: false,
            ctrl_c: false,
            verbosity,
        }
        .run(files, &mut link, &mut rec, None);
        if let Err(e) = got.report(verbosity) {
            failed(&e);
        }
    });
}

/// The remote side's `rz` waits: ask for the files and send them by ZMODEM; `pending`: the
/// bytes read past its start (its `ZRINIT` first). Returns false when the person declined
/// (empty answer, Ctrl-C, Esc): `rz` was told to stop (the cancel sequence, so that it ends
/// and its shell gets no junk).
pub fn upload(
    s: &TermSettings,
    verbosity: Verbosity,
    local: &mut Local,
    link: &mut dyn Link,
    pending: Vec<u8>,
) -> bool {
    local.cooked(|| {
        eprintln!();
        let question =
            "xyzmodem: the remote side waits for files (rz); send (Tab completes, empty: none): ";
        let files = match prompt::ask(question) {
            Ok(Some(files)) => files,
            Ok(None) => {
                cancel(link);
                eprintln!("xyzmodem: sent nothing; the remote rz was told to stop");
                return false;
            }
            Err(e) => {
                cancel(link);
                failed(&anyhow::Error::new(e).context("cannot read the answer"));
                return false;
            }
        };
        let a = SendSettings {
            files,
            protocol: SendProtocol::Zmodem {
                subpacket: 1024,
                window: None,
                escape: EscapeProfile::Minimal,
                resume: false,
                management: None,
                skip_absent: false,
            },
            limits: s.download.limits,
            ports: Vec::new(),
            serial: s.download.serial.clone(),
            board: Board::default(),
            records: Records::default(),
            force_device: false,
        };
        let mut link = Replay::new(link, pending);
        if let Err(e) = session::send_over(&a, &mut link, verbosity) {
            failed(&e);
        }
        true
    })
}

fn cancel(link: &mut dyn Link) {
    let _ = link.write_all(&CANCEL_SEQUENCE, super::STALL, None);
}

/// A transfer's error, as `main` prints it; the terminal goes on.
fn failed(e: &anyhow::Error) {
    eprintln!(
        "xyzmodem: error: {}",
        xyzmodem::files::names::printable(&hints::render(e))
    );
}
