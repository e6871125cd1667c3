//! `cargo fuzz run documents`: see [`connector_fuzz::documents`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| connector_fuzz::documents::check(data));
