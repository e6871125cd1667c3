//! `cargo fuzz run mapping`: see [`connector_fuzz::mapping`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| connector_fuzz::mapping::check(data));
