//! What the terminal is connected to: a serial port, or a program in a pseudo-terminal of its
//! own. Either way a [`Link`], which the pass-through loop and the transfers use alike.

use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::Context;
use rustix::process::{Pid, Signal, kill_process_group};
use rustix::termios::{Winsize, tcgetwinsize, tcsetwinsize};
use xyzmodem::link::{FdLink, Link};

use super::super::session;
use super::super::settings::{Remote, Serial};

/// How long a program whose terminal was hung up may take to end before it is killed.
const HANG_UP_GRACE: Duration = Duration::from_secs(2);

/// The other side.
pub struct Connection {
    /// Bytes to and from it.
    pub link: Box<dyn Link>,
    /// The program's pseudo-terminal and process, in command mode.
    program: Option<Program>,
}

/// COMMAND run in a pseudo-terminal.
struct Program {
    /// The pseudo-terminal's master side (a second handle, for its window size).
    master: OwnedFd,
    child: Child,
}

impl Connection {
    /// Open the port, or start the program in a new pseudo-terminal as large as the local
    /// one.
    pub fn open(remote: &Remote, serial: &Serial) -> anyhow::Result<Self> {
        match remote {
            Remote::Port(path) => {
                let (link, _) = session::open_link(serial, Some(path))?;
                Ok(Self {
                    link,
                    program: None,
                })
            }
            Remote::Command(argv) => spawn(argv),
        }
    }

    /// A port already open.
    pub fn of(link: Box<dyn Link>) -> Self {
        Self {
            link,
            program: None,
        }
    }

    /// Pass the local terminal's size on to the program (nothing for a port).
    pub fn resize(&self) {
        if let (Some(p), Some(size)) = (&self.program, local_size()) {
            let _ = tcsetwinsize(&p.master, size);
        }
    }

    /// The program's exit status, once it has ended (a hang-up first, if it has not: the
    /// terminal went away). `None` for a port.
    pub fn finish(self) -> anyhow::Result<Option<u8>> {
        let Some(mut p) = self.program else {
            return Ok(None);
        };
        // Closing the master side hangs the program's terminal up (SIGHUP), as closing a
        // terminal window does; a program that ignores that is killed after a while.
        drop(self.link);
        drop(p.master);
        let until = Instant::now() + HANG_UP_GRACE;
        let status = loop {
            match p.child.try_wait().context("waiting for COMMAND to end")? {
                Some(status) => break status,
                None if Instant::now() >= until => {
                    // The program leads a session of its own: its process group goes, so
                    // that nothing it started lingers.
                    if let Some(group) = Pid::from_raw(p.child.id() as i32) {
                        let _ = kill_process_group(group, Signal::KILL);
                    }
                    let _ = p.child.kill();
                    break p.child.wait().context("waiting for COMMAND to end")?;
                }
                None => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        Ok(Some(exit_code(status)))
    }
}

/// The local terminal's size, from stdout or stdin.
fn local_size() -> Option<Winsize> {
    tcgetwinsize(rustix::stdio::stdout())
        .or_else(|_| tcgetwinsize(rustix::stdio::stdin()))
        .ok()
        .filter(|w| w.ws_row > 0 && w.ws_col > 0)
}

fn spawn(argv: &[OsString]) -> anyhow::Result<Connection> {
    let name = argv[0].to_string_lossy().into_owned();
    let (pty, pts) = pty_process::blocking::open().context("cannot open a pseudo-terminal")?;
    if let Some(size) = local_size() {
        pty.resize(pty_process::Size::new(size.ws_row, size.ws_col))
            .context("cannot set the pseudo-terminal's size")?;
    }
    let child = pty_process::blocking::Command::new(&argv[0])
        .args(&argv[1..])
        .spawn(pts)
        .with_context(|| format!("cannot run {name}"))?;
    let master = OwnedFd::from(pty);
    let resize = master
        .try_clone()
        .context("cannot duplicate the pseudo-terminal's descriptor")?;
    let link = FdLink::new(name, master).context("cannot set up the pseudo-terminal")?;
    Ok(Connection {
        link: Box::new(link),
        program: Some(Program {
            master: resize,
            child,
        }),
    })
}

/// A shell's view of a status: the code, or 128 and the signal that ended the program.
fn exit_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(signal)) => 128u8.wrapping_add(signal as u8),
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn the_exit_code_is_what_a_shell_says() {
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        // Killed by SIGKILL (9): 137.
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
    }
}
