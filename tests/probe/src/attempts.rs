//! The attempts of `provision` `remove-account`: each `user` attribute of
//! the request names one, by its name, with its argument as its text value.
//! They run in order, and each reports its outcome as an attribute of the
//! result named after it: `denied: …` when the sandbox stopped it,
//! `ALLOWED: …` when it got through, `done: …` when there was nothing to
//! stop on the guest's side (the host contains it out of the guest's
//! sight).
//!
//! | attempt | argument | what it does |
//! |---|---|---|
//! | `get` | a URL | a GET of the URL exactly as written (an IP literal, another port, `localhost` …) |
//! | `host-header` | a URL | a GET with `Host: elsewhere.example` |
//! | `proxy-authorization` | a URL | a GET with a `Proxy-Authorization` of its own |
//! | `crlf-header` | a URL | a GET with a header value that holds CRLF and a second header |
//! | `echo-authorization` | a URL | a GET with an `Authorization` of its own, to an endpoint that echoes the headers it got; says whether any `Authorization` came back |
//! | `recursion` | a depth | recursion that deep (the stack must overflow into a trap) |
//! | `huge-result` | bytes | a result attribute that large (the host must refuse the result) |
//! | `stderr-flood` | bytes | that much written to stderr (the host must keep only its log's budget) |
//! | `request-flood` | `COUNT URL` | COUNT GETs of the URL sent at once before any answer is read (the host must refuse the excess) |

use std::collections::BTreeMap;
use std::io::Write as _;

use crate::bindings::exports::identity::connector::types::{Attribute, AttributeValue};
use crate::http;

/// The probe's own `Authorization`, `probe:probe`: if it reaches a server,
/// the host did not replace or strip it.
const OWN_AUTHORIZATION: &[u8] = b"Basic cHJvYmU6cHJvYmU=";

/// Runs each attempt of `attributes` in order; the outcome of each.
pub fn run(attributes: Vec<Attribute>) -> Vec<Attribute> {
    attributes
        .into_iter()
        .filter_map(|attribute| match attribute.value {
            AttributeValue::Text(argument) => Some((attribute.name, argument)),
            _ => None,
        })
        .map(|(name, argument)| {
            let outcome = attempt(&name, &argument);
            Attribute {
                name,
                value: AttributeValue::Text(outcome),
            }
        })
        .collect()
}

/// The outcome of the attempt `name` with `argument`.
fn attempt(name: &str, argument: &str) -> String {
    let headers: &[(&str, &[u8])] = match name {
        "get" => &[],
        "host-header" => &[("Host", b"elsewhere.example")],
        "proxy-authorization" => &[("Proxy-Authorization", b"Basic cHJveHk6cHJveHk=")],
        "crlf-header" => &[("X-Note", b"a\r\nX-Injected: 1")],
        "echo-authorization" => return echo_authorization(argument),
        "recursion" => return recursion(argument),
        "huge-result" => return huge_result(argument),
        "stderr-flood" => return stderr_flood(argument),
        "request-flood" => return request_flood(argument),
        other => return format!("unknown attempt {other}"),
    };
    match http::get(argument, headers) {
        Ok((status, _)) => format!("ALLOWED: status {status}"),
        Err(error) => format!("denied: {error}"),
    }
}

/// A GET with the probe's own `Authorization` to an echo of the headers:
/// whether any `Authorization` came back.
fn echo_authorization(url: &str) -> String {
    match http::get(url, &[("Authorization", OWN_AUTHORIZATION)]) {
        Ok((status, body)) => {
            let echoed = String::from_utf8_lossy(&body).to_ascii_lowercase();
            if echoed.contains("\"authorization\"") {
                format!("ALLOWED: status {status}, and the echo holds an authorization header")
            } else {
                format!("denied: status {status}, and the echo holds no authorization header")
            }
        }
        Err(error) => format!("denied: {error}"),
    }
}

/// Recurses `depth` deep; only returns if the stack never ran out.
fn recursion(depth: &str) -> String {
    let Ok(depth) = depth.parse::<u64>() else {
        return format!("not a depth: {depth}");
    };
    format!(
        "ALLOWED: returned from {depth} calls deep ({})",
        dive(depth)
    )
}

/// One frame per call: the result of the call below is needed after it
/// returns, and not in a way that folds into a loop.
#[inline(never)]
fn dive(depth: u64) -> u64 {
    if depth == 0 {
        return 0;
    }
    dive(depth - 1).rotate_left(1) ^ depth
}

/// A text of `bytes` bytes, as the outcome itself.
fn huge_result(bytes: &str) -> String {
    match bytes.parse::<usize>() {
        Ok(bytes) => "x".repeat(bytes),
        Err(_) => format!("not a size: {bytes}"),
    }
}

/// Writes `bytes` bytes to stderr, a line of 1 KiB at a time.
fn stderr_flood(bytes: &str) -> String {
    let Ok(bytes) = bytes.parse::<usize>() else {
        return format!("not a size: {bytes}");
    };
    let mut line = vec![b'x'; 1023];
    line.push(b'\n');
    let mut stderr = std::io::stderr().lock();
    let mut written = 0;
    while written < bytes {
        let chunk = &line[..line.len().min(bytes - written)];
        if let Err(error) = stderr.write_all(chunk) {
            return format!("denied: a write failed after {written} bytes: {error}");
        }
        written += chunk.len();
    }
    format!("done: wrote {written} bytes to stderr, and every write was accepted")
}

/// Sends `COUNT` GETs of `URL` before reading any answer, then reads them
/// all: how many were answered, and how the others failed.
fn request_flood(argument: &str) -> String {
    let Some((count, url)) = argument
        .split_once(' ')
        .and_then(|(count, url)| Some((count.parse::<usize>().ok()?, url)))
    else {
        return format!("not COUNT URL: {argument}");
    };
    let pending: Vec<_> = (0..count).map(|_| http::send_get(url, &[])).collect();
    let mut answered = 0;
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for sent in pending {
        let outcome = sent.and_then(|pending| {
            http::response(&pending)
                .map(|response| response.status())
                .map_err(|code| code.to_string())
        });
        match outcome {
            Ok(_) => answered += 1,
            Err(error) => *failures.entry(error).or_default() += 1,
        }
    }
    if failures.is_empty() {
        return format!("ALLOWED: all {count} answered");
    }
    let failed: Vec<String> = failures
        .iter()
        .map(|(error, n)| format!("{n} failed with {error}"))
        .collect();
    format!(
        "denied: {answered} of {count} answered; {}",
        failed.join(", ")
    )
}
