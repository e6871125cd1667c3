//! The headers a document may set. The host owns the connection and the
//! framing of a request: `wasi:http` refuses hop-by-hop headers and `Host`,
//! and computes `Content-Length` itself, so a document naming one is a
//! configuration mistake, caught when it loads. Values are checked once
//! rendered, before anything is sent.

use crate::printable::printable;

/// Headers a document may not set: those `wasmtime-wasi-http` forbids, `TE`,
/// and `Content-Length`, which the host derives from the body.
pub const FORBIDDEN: &[&str] = &[
    "connection",
    "content-length",
    "host",
    "http2-settings",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
];

/// The most bytes a request's header names and values may add up to: half
/// of `wasi:http`'s default field limit, past which the host traps the guest
/// rather than refuse the request.
pub const MAX_HEADER_BYTES: usize = 64 << 10;

/// Checks a header name: a valid HTTP token, and not one of [`FORBIDDEN`].
pub fn check_name(name: &str) -> Result<(), String> {
    let parsed = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        format!(
            "'{}' is not a header name; expected a token such as X-Request-Id",
            printable(name)
        )
    })?;
    if FORBIDDEN.contains(&parsed.as_str()) {
        return Err(format!(
            "'{name}' is a header the host sets or forbids; expected none of {FORBIDDEN:?}"
        ));
    }
    Ok(())
}

/// Checks a header value: no line break or other control character but tab.
pub fn check_value(value: &str) -> Result<(), String> {
    http::HeaderValue::from_str(value).map(drop).map_err(|_| {
        "the value holds a line break or another control character; a header value cannot"
            .to_string()
    })
}

/// Checks that headers of `total` bytes (names and values) fit
/// [`MAX_HEADER_BYTES`].
pub fn check_size(total: usize) -> Result<(), String> {
    if total > MAX_HEADER_BYTES {
        return Err(format!(
            "the headers come to {total} bytes; the host takes at most {MAX_HEADER_BYTES}"
        ));
    }
    Ok(())
}

/// The bytes `headers` take: names and values.
pub fn size_of(headers: &[(String, String)]) -> usize {
    headers.iter().map(|(n, v)| n.len() + v.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_owned_and_malformed_names_are_refused() {
        for name in ["Accept", "Authorization", "Content-Type", "X-Request-Id"] {
            assert_eq!(Ok(()), check_name(name), "{name}");
        }
        for name in [
            "Host",
            "Proxy-Authorization",
            "Transfer-Encoding",
            "Connection",
            "Upgrade",
            "TE",
            "Keep-Alive",
            "Proxy-Connection",
            "HTTP2-Settings",
            "Content-Length",
        ] {
            let error = check_name(name).unwrap_err();
            assert!(error.contains("the host sets or forbids"), "{error}");
        }
        for name in ["", "X Y", "X:Y", "X\nY"] {
            let error = check_name(name).unwrap_err();
            assert!(error.contains("is not a header name"), "{error}");
        }
    }

    #[test]
    fn values_hold_no_line_break() {
        assert_eq!(Ok(()), check_value("application/json; q=1\tx"));
        for value in ["a\r\nInjected: 1", "a\nb", "a\u{0}"] {
            assert!(check_value(value).is_err(), "{value:?}");
        }
    }
}
