//! A scripted in-memory link for unit tests of link wrappers.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use super::Link;

/// Returns its chunks one per read (then times out, or fails once `eof` is set) and
/// records what is written.
#[derive(Debug, Default)]
pub struct Script {
    pub chunks: VecDeque<Vec<u8>>,
    pub written: Vec<u8>,
    pub eof: bool,
}

impl Script {
    pub fn new(chunks: &[&[u8]]) -> Self {
        Self {
            chunks: chunks.iter().map(|c| c.to_vec()).collect(),
            ..Self::default()
        }
    }
}

impl Link for Script {
    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> io::Result<usize> {
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
            None => Ok(0),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.written.extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn name(&self) -> &str {
        "script"
    }
}
