//! Raw mode for terminals, restored on drop.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use rustix::termios::{self, OptionalActions, Termios};

/// Puts a terminal in raw mode (8-bit clean: no echo, no line editing, no
/// signal characters, no CR/LF translation) and restores the saved settings
/// when dropped, on every exit path, including errors and interrupts, since
/// an interrupt only sets a flag and the transfer loop unwinds normally.
#[derive(Debug)]
pub struct RawModeGuard<'fd> {
    fd: BorrowedFd<'fd>,
    saved: Termios,
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
        Ok(Some(Self { fd, saved }))
    }

    /// Convenience for anything with a file descriptor.
    pub fn for_fd(fd: &'fd impl AsFd) -> io::Result<Option<Self>> {
        Self::new(fd.as_fd())
    }
}

impl Drop for RawModeGuard<'_> {
    fn drop(&mut self) {
        // Let queued output leave before the settings change back.
        let _ = termios::tcsetattr(self.fd, OptionalActions::Drain, &self.saved);
    }
}
