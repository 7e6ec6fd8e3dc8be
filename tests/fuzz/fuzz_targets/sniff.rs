#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| xyzmodem::fuzzing::sniff(data));
