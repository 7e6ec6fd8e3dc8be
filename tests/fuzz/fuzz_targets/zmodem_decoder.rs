#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| xyzmodem::proto::zmodem::fuzz::zmodem_decoder(data));
