//! `cargo fuzz run expression`: see [`connector_fuzz::expression`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| connector_fuzz::expression::check(data));
