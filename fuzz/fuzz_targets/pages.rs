//! `cargo fuzz run pages`: see [`connector_fuzz::pages`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| connector_fuzz::pages::check(data));
