//! Raw mode for terminals, restored on drop (or by [`restore_terminals`] on the way out of a
//! process that cannot unwind to the guards).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::{Mutex, PoisonError};

use rustix::termios::{self, OptionalActions, Termios};

/// The settings of the terminals that [`RawModeGuard::restorable`] put in raw mode and that
/// are still raw, oldest first.
static SAVED: Mutex<Vec<(BorrowedFd<'static>, Termios)>> = Mutex::new(Vec::new());

/// Puts a terminal in raw mode (8-bit clean: no echo, no line editing, no
/// signal characters, no CR/LF translation) and restores the saved settings
/// when dropped, on every exit path, including errors and interrupts, since
/// an interrupt only sets a flag and the transfer loop unwinds normally.
#[derive(Debug)]
pub struct RawModeGuard<'fd> {
    fd: BorrowedFd<'fd>,
    saved: Termios,
    /// Listed in [`SAVED`] for [`restore_terminals`].
    listed: bool,
}

impl<'fd> RawModeGuard<'fd> {
    /// Switch `fd` to raw mode if it is a terminal; `Ok(None)` if it is not.
    pub fn new(fd: BorrowedFd<'fd>) -> io::Result<Option<Self>> {
        if !termios::isatty(fd) {
            return Ok(None);
        }
        let saved = termios::tcgetattr(fd)?;
        let mut raw = saved.clone();
        raw.make_raw();
        termios::tcsetattr(fd, OptionalActions::Now, &raw)?;
        Ok(Some(Self {
            fd,
            saved,
            listed: false,
        }))
    }

    /// Convenience for anything with a file descriptor.
    pub fn for_fd(fd: &'fd impl AsFd) -> io::Result<Option<Self>> {
        Self::new(fd.as_fd())
    }
}

impl RawModeGuard<'static> {
    /// [`new`](Self::new), and the saved settings are also kept for [`restore_terminals`],
    /// until the guard drops.
    pub fn restorable(fd: BorrowedFd<'static>) -> io::Result<Option<Self>> {
        let Some(mut guard) = Self::new(fd)? else {
            return Ok(None);
        };
        saved().push((fd, guard.saved.clone()));
        guard.listed = true;
        Ok(Some(guard))
    }
}

fn saved() -> std::sync::MutexGuard<'static, Vec<(BorrowedFd<'static>, Termios)>> {
    SAVED.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for RawModeGuard<'_> {
    fn drop(&mut self) {
        if self.listed {
            let mut saved = saved();
            let fd = self.fd.as_raw_fd();
            if let Some(at) = saved.iter().rposition(|(f, _)| f.as_raw_fd() == fd) {
                saved.remove(at);
            }
        }
        // Let queued output leave before the settings change back.
        let _ = termios::tcsetattr(self.fd, OptionalActions::Drain, &self.saved);
    }
}

/// Put back, at once (queued output is not waited for), the settings of every terminal a
/// [`RawModeGuard::restorable`] still holds in raw mode, newest first: for a process about to
/// end without unwinding, such as on a second signal.
pub fn restore_terminals() {
    for (fd, settings) in saved().iter().rev() {
        let _ = termios::tcsetattr(fd, OptionalActions::Now, settings);
    }
}

#[cfg(test)]
mod tests {
    use std::fs::{File, OpenOptions};

    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    use rustix::termios::LocalModes;

    use super::*;

    /// A pty's slave, kept open for the rest of the test process (a `'static` descriptor).
    fn slave() -> (std::os::fd::OwnedFd, &'static File) {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        (master, Box::leak(Box::new(file)))
    }

    fn cooked(fd: BorrowedFd<'_>) -> bool {
        let t = termios::tcgetattr(fd).unwrap();
        t.local_modes.contains(LocalModes::ICANON) && t.local_modes.contains(LocalModes::ECHO)
    }

    /// `restore_terminals` puts back what a restorable guard saved while the guard lives, and
    /// forgets it when the guard drops (the guard itself restores then).
    #[test]
    fn restore_terminals_undoes_live_guards_only() {
        let (_master, file) = slave();
        let fd = file.as_fd();
        let listed =
            |fd: BorrowedFd<'_>| saved().iter().any(|(f, _)| f.as_raw_fd() == fd.as_raw_fd());
        assert!(cooked(fd));
        let guard = RawModeGuard::restorable(fd).unwrap().expect("a terminal");
        assert!(!cooked(fd) && listed(fd));
        restore_terminals();
        assert!(cooked(fd), "restored while the guard lives");
        drop(guard);
        assert!(cooked(fd) && !listed(fd));
        // A plain guard is not listed.
        let plain = RawModeGuard::new(fd).unwrap().expect("a terminal");
        assert!(!listed(fd));
        drop(plain);
        assert!(cooked(fd));
    }
}
