//! The engine contract, checked on every output: a [`Io`] wrapper for the harnesses that drive
//! engines on virtual time (the fuzz bodies, the link simulator, the engine tests' pair).
//! **Test support, not API**: built only with the `testing` feature.
//!
//! Each output of a drain is checked before it reaches the wrapped `Io`: no output at all once
//! the session ended and was drained; no empty `Transmit`; no file data read or written, and no
//! event or file start, after `Finished` or `Failed`; `Started` at most once; fewer than
//! [`MAX_OUTPUTS_PER_DRAIN`] outputs in one drain (more is an output loop). A violation panics
//! with what it was.

use super::{Event, FileInfo, FileReply, Io};

/// Most outputs one drain may produce: a sign of an output loop when exceeded.
pub const MAX_OUTPUTS_PER_DRAIN: usize = 10_000;

/// What the outputs so far said about the session, kept from one drain to the next.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Contract {
    /// `Finished` or `Failed` has been reported.
    pub ended: bool,
    /// `Started` has been reported.
    pub started: bool,
    /// Ended, and all outputs drained since: from now on nothing may come out.
    pub settled: bool,
}

impl Contract {
    /// A drain is over: once the session has ended, nothing more may come out.
    pub fn drained(&mut self) {
        self.settled |= self.ended;
    }
}

/// `inner`, with every output checked against the contract (see the module docs).
#[derive(Debug)]
pub struct Checked<'a, I> {
    inner: &'a mut I,
    contract: &'a mut Contract,
    count: usize,
}

impl<'a, I> Checked<'a, I> {
    /// Wrap `inner` for one drain, with what earlier drains established.
    pub fn new(inner: &'a mut I, contract: &'a mut Contract) -> Self {
        Self {
            inner,
            contract,
            count: 0,
        }
    }

    /// The outputs seen in this drain so far.
    pub fn outputs(&self) -> usize {
        self.count
    }

    /// The wrapped `Io`.
    pub fn inner(&mut self) -> &mut I {
        self.inner
    }

    fn output(&mut self) {
        assert!(
            !self.contract.settled,
            "output after the session ended and was drained"
        );
        self.count += 1;
        assert!(self.count < MAX_OUTPUTS_PER_DRAIN, "endless outputs");
    }
}

impl<I: Io> Io for Checked<'_, I> {
    type Error = I::Error;

    fn transmit(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.output();
        assert!(!bytes.is_empty(), "empty Transmit");
        self.inner.transmit(bytes)
    }

    fn read_file(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.output();
        assert!(!self.contract.ended, "ReadFile after the session ended");
        self.inner.read_file(offset, buf)
    }

    fn write_file(&mut self, offset: u64, data: &[u8]) -> Result<(), Self::Error> {
        self.output();
        assert!(!self.contract.ended, "WriteFile after the session ended");
        self.inner.write_file(offset, data)
    }

    fn event(&mut self, event: Event) -> Result<(), Self::Error> {
        self.output();
        assert!(
            !self.contract.ended,
            "event after the session ended: {event:?}"
        );
        match event {
            Event::Finished | Event::Failed(_) => self.contract.ended = true,
            Event::Started { .. } => {
                assert!(!self.contract.started, "Started twice");
                self.contract.started = true;
            }
            _ => {}
        }
        self.inner.event(event)
    }

    fn file_start(&mut self, info: FileInfo) -> Result<FileReply, Self::Error> {
        self.output();
        assert!(
            !self.contract.ended,
            "FileStart after the session ended: {info:?}"
        );
        self.inner.file_start(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Check, Protocol};

    /// Takes every output.
    struct Sink;

    impl Io for Sink {
        type Error = std::convert::Infallible;

        fn transmit(&mut self, _bytes: &[u8]) -> Result<(), Self::Error> {
            Ok(())
        }

        fn read_file(&mut self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Self::Error> {
            Ok(0)
        }

        fn write_file(&mut self, _offset: u64, _data: &[u8]) -> Result<(), Self::Error> {
            Ok(())
        }

        fn event(&mut self, _event: Event) -> Result<(), Self::Error> {
            Ok(())
        }

        fn file_start(&mut self, _info: FileInfo) -> Result<FileReply, Self::Error> {
            Ok(FileReply::Accept)
        }
    }

    fn started() -> Event {
        Event::Started {
            protocol: Protocol::Xmodem,
            check: Check::Crc16,
            block: Some(128),
        }
    }

    #[test]
    fn a_session_that_keeps_the_contract_passes() {
        let mut contract = Contract::default();
        let mut sink = Sink;
        let mut io = Checked::new(&mut sink, &mut contract);
        let Ok(()) = io.event(started());
        let Ok(()) = io.transmit(b"C");
        let Ok(()) = io.write_file(0, b"data");
        let Ok(()) = io.event(Event::Finished);
        let Ok(()) = io.transmit(b"\x06");
        assert_eq!(io.outputs(), 5);
        contract.drained();
        assert!(contract.settled && contract.started);
    }

    #[test]
    #[should_panic(expected = "Started twice")]
    fn started_twice_panics() {
        let mut contract = Contract::default();
        let mut sink = Sink;
        let mut io = Checked::new(&mut sink, &mut contract);
        let _ = io.event(started());
        let _ = io.event(started());
    }

    #[test]
    #[should_panic(expected = "WriteFile after the session ended")]
    fn data_after_the_end_panics() {
        let mut contract = Contract::default();
        let mut sink = Sink;
        let mut io = Checked::new(&mut sink, &mut contract);
        let _ = io.event(Event::Finished);
        let _ = io.write_file(0, b"late");
    }

    #[test]
    #[should_panic(expected = "output after the session ended and was drained")]
    fn output_after_the_drained_end_panics() {
        let mut contract = Contract::default();
        let _ = Checked::new(&mut Sink, &mut contract).event(Event::Finished);
        contract.drained();
        let _ = Checked::new(&mut Sink, &mut contract).transmit(b"C");
    }

    #[test]
    #[should_panic(expected = "empty Transmit")]
    fn an_empty_transmit_panics() {
        let mut contract = Contract::default();
        let _ = Checked::new(&mut Sink, &mut contract).transmit(b"");
    }
}
