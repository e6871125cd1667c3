//! The HTTP entry point's request parsing: the route from the method and
//! path, then the body that route takes.
//!
//! The input's first line is the method and the path (`POST /v1/check`),
//! the rest is the body. Properties: a refusal has a 4xx status and a JSON
//! body that says it; an import's head reads the same from any longer body
//! (the state after it does not change it) and, from any shorter one, is
//! not yet whole, so that the service waits for more rather than refuse a
//! request that is still arriving; the state after the head is read as
//! [`crate::state`] reads it.

use connector_engine::import::state::StateReader;
use connector_engine::service::body::provision_request;
use connector_engine::service::{CallBody, ImportHead, Refusal, Route, route};
use serde_json::{Value, json};

use crate::first_line;

/// Serves the request in `data`, as far as parsing goes.
pub fn check(data: &[u8]) {
    let (line, body) = first_line(data);
    let Ok(line) = std::str::from_utf8(line) else {
        return;
    };
    let (method, path) = line.split_once(' ').unwrap_or((line, ""));
    let route = match route(method, path) {
        Ok(route) => route,
        Err(refusal) => return refused(&refusal),
    };
    match route {
        Route::Describe | Route::Check => {
            if let Err(refusal) = CallBody::read(body) {
                refused(&refusal);
            }
        }
        Route::Import(_) => import(body),
        Route::Provision(_) => {
            if let Err(refusal) = provision_request(body) {
                refused(&refusal);
            }
        }
    }
}

/// Reads an import's head, and the state after it.
fn import(body: &[u8]) {
    let (head, taken) = match ImportHead::read(body) {
        Ok(Some(read)) => read,
        Ok(None) => return,
        Err(refusal) => return refused(&refusal),
    };
    assert!(taken <= body.len());
    for end in [taken, (taken + body.len()) / 2] {
        assert_eq!(
            Ok(Some((head.clone(), taken))),
            ImportHead::read(&body[..end])
        );
    }
    for end in [0, taken / 2, taken.saturating_sub(1)] {
        if end < taken {
            assert_eq!(Ok(None), ImportHead::read(&body[..end]), "{end} of {taken}");
        }
    }
    let mut reader = StateReader::new(crate::state::BASE_URL);
    if reader.feed(&body[taken..]).is_ok() {
        let _ = reader.finish();
    }
}

/// Checks a refusal's status and body.
fn refused(refusal: &Refusal) {
    assert!((400..500).contains(&refusal.status), "{refusal:?}");
    let body: Value = serde_json::from_str(&refusal.body()).unwrap();
    let expected = json!({"error": {"status": refusal.status, "message": refusal.message}});
    assert_eq!(expected, body);
}
