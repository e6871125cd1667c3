//! `cargo fuzz run http_request`: see [`connector_fuzz::http_request`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| connector_fuzz::http_request::check(data));
