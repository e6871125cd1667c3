//! Egress grants: the origins (scheme, host, port) a guest may reach.
//!
//! Grants are parsed once, into typed origins with the port filled in from
//! the scheme. A request is allowed only through [`Grants::allows`], and a
//! URL that does not parse is denied.

use std::fmt;

/// One granted origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `http(s)://host[:port]`; a path, query, user or missing scheme
    /// is an error that quotes the input.
    pub fn parse(text: &str) -> Result<Self, GrantError> {
        let error = |reason: &str| GrantError {
            input: text.to_string(),
            reason: reason.to_string(),
        };
        if !text.contains("://") {
            return Err(error(
                "expected a scheme, as in https://api.confluent.cloud",
            ));
        }
        let url = url::Url::parse(text).map_err(|e| error(&format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(error("expected the http or https scheme"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(error(
                "expected an origin only, with no path, query or fragment",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(error("expected no user or password"));
        }
        Self::of(&url).ok_or_else(|| error("expected a host"))
    }

    /// The origin of an absolute URL, if it has one.
    pub fn of(url: &url::Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }

    /// The origin of `uri`, as the `wasi:http` hook sees a request.
    pub fn of_uri(uri: &hyper::Uri) -> Option<Self> {
        Self::of(&url::Url::parse(&uri.to_string()).ok()?)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// A grant that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid origin '{input}': {reason}")]
pub struct GrantError {
    input: String,
    reason: String,
}

/// The set of granted origins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    origins: Vec<Origin>,
}

impl Grants {
    /// Adds an origin.
    pub fn grant(&mut self, origin: Origin) {
        if !self.origins.contains(&origin) {
            self.origins.push(origin);
        }
    }

    /// Whether a request to `uri` is allowed.
    pub fn allows(&self, uri: &hyper::Uri) -> bool {
        Origin::of_uri(uri).is_some_and(|origin| self.origins.contains(&origin))
    }

    /// The granted origins.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_with_default_ports() {
        let cases = [
            (
                "https://api.confluent.cloud",
                "https://api.confluent.cloud:443",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("HTTP://Example.COM/", "http://example.com:80"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                expected,
                Origin::parse(input).unwrap().to_string(),
                "{input}"
            );
        }
    }

    #[test]
    fn bad_origins_are_rejected_with_the_input_quoted() {
        let cases = [
            ("api.confluent.cloud", "expected a scheme"),
            ("https://h/iam/v2", "expected an origin only"),
            ("ftp://h", "expected the http or https scheme"),
            ("https://u:p@h", "expected no user or password"),
        ];
        for (input, reason) in cases {
            let error = Origin::parse(input).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("invalid origin '{input}'")),
                "{error}"
            );
            assert!(error.contains(reason), "{error}");
        }
    }

    #[test]
    fn only_granted_origins_are_allowed() {
        let mut grants = Grants::default();
        grants.grant(Origin::parse("http://127.0.0.1:8080").unwrap());
        let allows = |uri: &str| grants.allows(&uri.parse().unwrap());
        assert!(allows("http://127.0.0.1:8080/iam/v2/users?page_size=100"));
        assert!(!allows("http://127.0.0.1:8081/iam/v2/users"));
        assert!(!allows("https://127.0.0.1:8080/iam/v2/users"));
        assert!(!allows("http://169.254.169.254/latest/meta-data"));
        assert!(!allows("/relative"));
    }
}
