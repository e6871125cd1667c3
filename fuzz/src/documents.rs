//! The document loader: any text as one of the documents a host may send,
//! over the built-in defaults.
//!
//! The input's first line names the document (one of [`KNOWN_DOCUMENTS`], by
//! number, or else by name); the rest is its JSON text. Properties: loading
//! never panics, and a document that is one of the built-in ones, sent
//! verbatim, loads as the defaults do, with no warning.

use connector_engine::Config;
use connector_engine::confluent::{Confluent, DEFAULT_DOCUMENTS};
use connector_engine::dialect::documents::KNOWN_DOCUMENTS;

use crate::first_line;

/// The base URL the documents are loaded for.
const BASE_URL: &str = "http://127.0.0.1:18080";

/// Loads `data` as the document its first line names.
pub fn check(data: &[u8]) {
    let (name, json) = first_line(data);
    let (Ok(name), Ok(json)) = (std::str::from_utf8(name), std::str::from_utf8(json)) else {
        return;
    };
    let name = match name.parse::<usize>() {
        Ok(number) => KNOWN_DOCUMENTS[number % KNOWN_DOCUMENTS.len()],
        Err(_) => name,
    };
    let loaded = Config::load(
        &Confluent,
        BASE_URL,
        &[(name.to_string(), json.to_string())],
    );
    if DEFAULT_DOCUMENTS.contains(&(name, json)) {
        let config = loaded.unwrap_or_else(|e| panic!("the built-in {name} fails: {e}"));
        assert_eq!(Vec::<String>::new(), config.warnings);
    }
}
