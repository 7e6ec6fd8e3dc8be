//! A scripted in-memory link for unit tests of link wrappers and of code that talks over a
//! link (the CLI's bootloader handshake). Not part of the API.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::Link;

/// Returns its chunks one per read (then times out, or fails once `eof` is set) and
/// records what is written. It never sleeps: a read that times out advances its virtual
/// [`clock`](Self::clock) by the timeout instead.
#[derive(Debug, Default)]
pub struct Script {
    /// What the reads hand out, one chunk per read (split if the buffer is smaller).
    pub chunks: VecDeque<Vec<u8>>,
    /// Everything written.
    pub written: Vec<u8>,
    /// Once the chunks are gone, reads fail as if the other side hung up.
    pub eof: bool,
    /// Virtual time spent waiting: each read that finds nothing adds its timeout.
    pub waited: Rc<Cell<Duration>>,
    /// Writes find no room (the other side stopped reading): each returns 0 at once.
    pub stuck: bool,
    /// How much each write takes, in turn (a short write when less than it is given); once
    /// the list is empty, writes take everything.
    pub room: VecDeque<usize>,
}

impl Script {
    /// A script handing out `chunks`.
    pub fn new(chunks: &[&[u8]]) -> Self {
        Self {
            chunks: chunks.iter().map(|c| c.to_vec()).collect(),
            ..Self::default()
        }
    }

    /// A clock for the code under test: `start` plus the virtual time this script waited.
    pub fn clock(&self, start: Instant) -> impl FnMut() -> Instant + use<> {
        let waited = Rc::clone(&self.waited);
        move || start + waited.get()
    }
}

impl Link for Script {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        match self.chunks.pop_front() {
            Some(mut chunk) => {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                if n < chunk.len() {
                    chunk.drain(..n);
                    self.chunks.push_front(chunk);
                }
                Ok(n)
            }
            None if self.eof => Err(super::hung_up()),
            None => {
                self.waited.set(self.waited.get() + timeout);
                Ok(0)
            }
        }
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        if self.stuck {
            self.waited.set(self.waited.get() + timeout);
            return Ok(0);
        }
        let n = self
            .room
            .pop_front()
            .map_or(data.len(), |r| r.min(data.len()));
        self.written.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn name(&self) -> &str {
        "script"
    }
}
