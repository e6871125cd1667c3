//! `cargo fuzz run state`: see [`connector_fuzz::state`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| connector_fuzz::state::check(data));
