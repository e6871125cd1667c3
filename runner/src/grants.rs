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
    /// is an error that quotes the input (without any password in it).
    pub fn parse(text: &str) -> Result<Self, GrantError> {
        let url = parse_http_url(text, "origin")?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(GrantError::new(
                "origin",
                text,
                "expected an origin only, with no path, query or fragment",
            ));
        }
        Self::of(&url).ok_or_else(|| GrantError::new("origin", text, "expected a host"))
    }

    /// The origin of a base URL such as `https://api.confluent.cloud`, which
    /// may have a path but never a user or password.
    pub fn of_base_url(text: &str) -> Result<Self, GrantError> {
        let url = parse_http_url(text, "base URL")?;
        Self::of(&url).ok_or_else(|| GrantError::new("base URL", text, "expected a host"))
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

/// An `http(s)` URL with no user or password in it.
fn parse_http_url(text: &str, what: &'static str) -> Result<url::Url, GrantError> {
    let error = |reason: &str| GrantError::new(what, text, reason);
    if !text.contains("://") {
        return Err(error(
            "expected a scheme, as in https://api.confluent.cloud",
        ));
    }
    let url = url::Url::parse(text).map_err(|e| error(&format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(error("expected the http or https scheme"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(error(
            "expected no user or password; credentials never go in a URL",
        ));
    }
    Ok(url)
}

/// A grant or base URL that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} '{input}': {reason}")]
pub struct GrantError {
    what: &'static str,
    /// The input, with anything before an `@` in its authority masked.
    input: String,
    reason: String,
}

impl GrantError {
    fn new(what: &'static str, input: &str, reason: &str) -> Self {
        Self {
            what,
            input: without_userinfo(input),
            reason: reason.to_string(),
        }
    }
}

/// `text` with any `user:password@` between the scheme and the host masked,
/// so an error can quote a URL without quoting a credential.
fn without_userinfo(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => text.to_string(),
    }
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
    fn a_password_in_a_url_is_refused_and_never_quoted() {
        for error in [
            Origin::parse("https://key:s3cret@h").unwrap_err(),
            Origin::of_base_url("https://key:s3cret@h/base").unwrap_err(),
            Origin::of_base_url("https://key:s3cret@h:bad-port/").unwrap_err(),
        ] {
            let text = error.to_string();
            assert!(!text.contains("s3cret") && !text.contains("key"), "{text}");
            assert!(text.contains("'https://***@h"), "{text}");
        }
        assert_eq!(
            "https://api.confluent.cloud:443",
            Origin::of_base_url("https://api.confluent.cloud/")
                .unwrap()
                .to_string()
        );
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
