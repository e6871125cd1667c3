//! Egress grants: where a guest may send requests, and which of them carry
//! the credentials.
//!
//! Grants are parsed once, into typed origins (scheme, host, port with the
//! default filled in) and path prefixes. A request is admitted only through
//! [`Grants::admit`], which parses its URI the way a URL parser does, refuses
//! anything ambiguous (a user or password in the authority, a path segment
//! that decodes to a slash or a dot segment), and returns the request target
//! rebuilt from what it checked, so that what was checked is what is
//! connected to.

use std::fmt;

use percent_encoding::percent_decode_str;

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

    /// The origin of an absolute URL, if it has one.
    pub fn of(url: &url::Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }

    /// `host` or `host:port` when the port is not the scheme's default, as
    /// a `Host` header and a request URI carry it.
    fn authority(&self) -> String {
        let default = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// A target's base URL: scheme, host, port and an optional path prefix,
/// and nothing else (no user, password, query or fragment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    origin: Origin,
    /// The path prefix without a trailing slash; empty for the root.
    path: String,
    /// The URL as the connector is given it, without a trailing slash.
    text: String,
}

impl BaseUrl {
    /// Parses a base URL such as `https://api.confluent.cloud`.
    pub fn parse(text: &str) -> Result<Self, GrantError> {
        let error = |reason: &str| GrantError::new("base URL", text, reason);
        let url = parse_http_url(text, "base URL")?;
        if url.query().is_some() || url.fragment().is_some() || text.contains(['?', '#']) {
            return Err(error(
                "expected scheme, host, port and an optional path only, with no query or fragment",
            ));
        }
        let raw_path = text
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or("");
        if raw_path.contains(['\\', '%']) || raw_path.split('/').any(|s| s == "." || s == "..") {
            return Err(error(
                "expected a plain path prefix, with no dot segments, backslashes or percent-encoding",
            ));
        }
        let origin = Origin::of(&url).ok_or_else(|| error("expected a host"))?;
        let path = url.path().trim_end_matches('/').to_string();
        let text = format!("{}://{}{path}", origin.scheme, origin.authority());
        Ok(Self { origin, path, text })
    }

    /// The origin, which receives the credentials.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The path prefix, without a trailing slash; empty for the root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The URL, normalised, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A path prefix on the credential origin, such as `/iam/`: it covers
/// `/iam` and everything under `/iam/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPrefix(String);

impl PathPrefix {
    /// Parses an absolute path such as `/cmk/v2/`.
    pub fn parse(text: &str) -> Result<Self, GrantError> {
        let error = |reason: &str| GrantError::new("path prefix", text, reason);
        if !text.starts_with('/') {
            return Err(error("expected an absolute path such as /cmk/v2/"));
        }
        if text.contains(['?', '#', '%', '\\'])
            || text.chars().any(|c| c.is_control() || c.is_whitespace())
            || text.split('/').any(|s| s == "." || s == "..")
        {
            return Err(error(
                "expected a plain path, with no query, fragment, dot segments, backslashes, \
                 spaces or percent-encoding",
            ));
        }
        Ok(Self(format!("{}/", text.trim_end_matches('/'))))
    }

    /// Whether `path` (already normalised) is this prefix or under it.
    pub fn covers(&self, path: &str) -> bool {
        path.starts_with(&self.0) || path == self.0.trim_end_matches('/')
    }
}

impl fmt::Display for PathPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The paths of Confluent Cloud's identity and organization APIs, under the
/// base URL's path: the credential goes to these unless more are granted.
pub const DEFAULT_CREDENTIAL_PATHS: [&str; 2] = ["/iam/", "/org/"];

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
    if has_userinfo(text) || !url.username().is_empty() || url.password().is_some() {
        return Err(error(
            "expected no user or password; credentials never go in a URL",
        ));
    }
    Ok(url)
}

/// Whether the authority of `text` (between `://` and the path) has an `@`.
fn has_userinfo(text: &str) -> bool {
    text.split_once("://").is_some_and(|(_, rest)| {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        rest[..end].contains('@')
    })
}

/// Extra grants as a host's settings name them: `hosts`, origins reached
/// without credentials, and `paths`, further path prefixes on the base
/// URL's origin that receive them. The first that does not parse is the
/// error.
pub fn parse_extra<S: AsRef<str>>(
    hosts: &[S],
    paths: &[S],
) -> Result<(Vec<Origin>, Vec<PathPrefix>), GrantError> {
    let origins = hosts.iter().map(|host| Origin::parse(host.as_ref()));
    let prefixes = paths.iter().map(|path| PathPrefix::parse(path.as_ref()));
    Ok((
        origins.collect::<Result<_, _>>()?,
        prefixes.collect::<Result<_, _>>()?,
    ))
}

/// A grant, base URL or path prefix that could not be parsed.
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

/// `text` with everything between the scheme and its last `@` masked, so an
/// error can quote a URL without quoting a credential, even a password that
/// holds `/`, `?` or `#` (as base64 secrets do) and so seems to end the
/// authority early.
fn without_userinfo(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    match rest.rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => text.to_string(),
    }
}

/// Where requests may go: origins reached without credentials, and the one
/// origin, with its path prefixes, that receives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    credential_origin: Origin,
    credential_paths: Vec<PathPrefix>,
    plain_origins: Vec<Origin>,
}

/// A request the grants admit, with its target rebuilt from what was
/// checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The origin it goes to.
    pub origin: Origin,
    /// The request URI: scheme, host and port as parsed, the normalised
    /// path and the query.
    pub uri: hyper::Uri,
    /// The `Host` header that goes with it.
    pub host: String,
    /// Whether it carries the credentials.
    pub credentialed: bool,
}

/// Why a request was refused; its text names the destination without any
/// user or password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The URI is not an absolute `http(s)` URL.
    #[error("{0} (not an absolute http or https URL)")]
    NotAUrl(String),
    /// The authority holds a user or password.
    #[error("{0} (a URL with a user or password never leaves)")]
    Userinfo(String),
    /// The origin is not granted.
    #[error("{0}")]
    Origin(String),
    /// A path on the credential origin outside its granted prefixes.
    #[error("{origin}{path} (outside the paths granted the credentials: {granted})")]
    Path {
        /// The credential origin.
        origin: String,
        /// The path asked for.
        path: String,
        /// The granted prefixes.
        granted: String,
    },
    /// A path whose segments decode to a slash, a backslash or a dot
    /// segment, which a server could read as another path.
    #[error("{0} (a path segment decodes to a slash or a dot segment)")]
    AmbiguousPath(String),
}

impl Grants {
    /// Grants `base` (its origin, under `base`'s path, the default prefixes
    /// and `extra_paths`) with the credentials.
    pub fn new(base: &BaseUrl, extra_paths: &[PathPrefix]) -> Self {
        let mut credential_paths: Vec<PathPrefix> = DEFAULT_CREDENTIAL_PATHS
            .iter()
            .map(|p| PathPrefix(format!("{}{p}", base.path())))
            .collect();
        for path in extra_paths {
            if !credential_paths.contains(path) {
                credential_paths.push(path.clone());
            }
        }
        Self {
            credential_origin: base.origin().clone(),
            credential_paths,
            plain_origins: Vec::new(),
        }
    }

    /// Adds an origin reached without credentials.
    pub fn grant(&mut self, origin: Origin) {
        if origin != self.credential_origin && !self.plain_origins.contains(&origin) {
            self.plain_origins.push(origin);
        }
    }

    /// Admits a request to `uri`, or says why not.
    pub fn admit(&self, uri: &hyper::Uri) -> Result<Admitted, Refusal> {
        let text = uri.to_string();
        if has_userinfo(&text) {
            return Err(Refusal::Userinfo(without_userinfo(&text)));
        }
        let url = url::Url::parse(&text).map_err(|_| Refusal::NotAUrl(text.clone()))?;
        let origin = Origin::of(&url)
            .filter(|o| matches!(o.scheme.as_str(), "http" | "https"))
            .ok_or_else(|| Refusal::NotAUrl(text.clone()))?;
        let credentialed = origin == self.credential_origin;
        if credentialed {
            let path = url.path();
            if has_ambiguous_segment(path) {
                return Err(Refusal::AmbiguousPath(format!("{origin}{path}")));
            }
            if !self.credential_paths.iter().any(|p| p.covers(path)) {
                return Err(Refusal::Path {
                    origin: origin.to_string(),
                    path: path.to_string(),
                    granted: self
                        .credential_paths
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        } else if !self.plain_origins.contains(&origin) {
            return Err(Refusal::Origin(origin.to_string()));
        }
        let host = origin.authority();
        let mut target = format!("{}://{host}{}", origin.scheme, url.path());
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        let uri = target.parse().map_err(|_| Refusal::NotAUrl(text))?;
        Ok(Admitted {
            origin,
            uri,
            host,
            credentialed,
        })
    }
}

/// How many times a segment is percent-decoded to see what a server that
/// decodes more than once would read.
const DECODE_ROUNDS: usize = 3;

/// Whether a (normalised) path has a segment that a server could read as
/// another path: one that, decoded once or more, is `.` or `..`, holds a
/// slash or a backslash, is not UTF-8 (an overlong `%c0%ae`), or carries
/// `;` parameters (`..;` is `..` to some servers), or still decodes after
/// [`DECODE_ROUNDS`] rounds.
fn has_ambiguous_segment(path: &str) -> bool {
    path.split('/').skip(1).any(|segment| {
        let mut decoded = segment.to_string();
        let mut settled = false;
        for _ in 0..=DECODE_ROUNDS {
            let Ok(next) = percent_decode_str(&decoded).decode_utf8() else {
                return true;
            };
            if next == decoded {
                settled = true;
                break;
            }
            decoded = next.into_owned();
        }
        !settled || decoded == "." || decoded == ".." || decoded.contains(['/', '\\', ';'])
    })
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
    fn a_host_name_is_ascii_or_its_punycode_form() {
        let punycode = Origin::parse("https://xn--bcher-kva.example").unwrap();
        assert_eq!("https://xn--bcher-kva.example:443", punycode.to_string());
        let error = Origin::parse("https://bücher.example").unwrap_err();
        let error = error.to_string();
        assert!(
            error.starts_with("invalid origin 'https://bücher.example'"),
            "{error}"
        );
    }

    #[test]
    fn a_password_in_a_url_is_refused_and_never_quoted() {
        for error in [
            Origin::parse("https://key:s3cret@h").unwrap_err(),
            BaseUrl::parse("https://key:s3cret@h/base").unwrap_err(),
            BaseUrl::parse("https://key:s3cret@h:bad-port/").unwrap_err(),
            BaseUrl::parse("https://key@h/").unwrap_err(),
        ] {
            let text = error.to_string();
            assert!(!text.contains("s3cret") && !text.contains("key"), "{text}");
            assert!(text.contains("'https://***@h"), "{text}");
        }
    }

    #[test]
    fn a_password_holding_a_slash_or_a_hash_is_masked_too() {
        for input in [
            "https://KEY1:ab+cd/ef==SECRETxyz@api.confluent.cloud",
            "https://KEY1:ab?cd#SECRETxyz@api.confluent.cloud/x",
        ] {
            for error in [
                BaseUrl::parse(input).unwrap_err(),
                Origin::parse(input).unwrap_err(),
            ] {
                let text = error.to_string();
                assert!(!text.contains("SECRET") && !text.contains("KEY1"), "{text}");
            }
        }
    }

    #[test]
    fn a_base_url_is_scheme_host_port_and_a_plain_path_only() {
        for (input, expected) in [
            (
                "https://api.confluent.cloud/",
                "https://api.confluent.cloud",
            ),
            (
                "https://API.confluent.cloud:443",
                "https://api.confluent.cloud",
            ),
            (
                "http://127.0.0.1:8080/prefix/",
                "http://127.0.0.1:8080/prefix",
            ),
        ] {
            assert_eq!(expected, BaseUrl::parse(input).unwrap().as_str(), "{input}");
        }
        for input in [
            "http://h#@x",
            "http://h/?a=1",
            "http://h/path?",
            "http://h/#",
            "http://h/a/../b",
            "http://h/a/%2e%2e/b",
            "http://h/a\\b",
        ] {
            let error = BaseUrl::parse(input).unwrap_err().to_string();
            assert!(error.starts_with("invalid base URL"), "{input}: {error}");
        }
    }

    fn grants() -> Grants {
        let base = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
        let mut grants = Grants::new(&base, &[PathPrefix::parse("/cmk/v2").unwrap()]);
        grants.grant(Origin::parse("http://127.0.0.1:9090").unwrap());
        grants
    }

    fn admit(uri: &str) -> Result<Admitted, Refusal> {
        grants().admit(&uri.parse().unwrap())
    }

    #[test]
    fn only_granted_origins_are_admitted() {
        assert!(admit("http://127.0.0.1:8080/iam/v2/users?page_size=100").is_ok());
        assert!(admit("http://127.0.0.1:9090/anything").is_ok());
        for denied in [
            "http://127.0.0.1:8081/iam/v2/users",
            "https://127.0.0.1:8080/iam/v2/users",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(matches!(admit(denied), Err(Refusal::Origin(_))), "{denied}");
        }
        assert!(matches!(admit("/relative"), Err(Refusal::NotAUrl(_))));
    }

    #[test]
    fn a_user_or_password_in_the_authority_never_leaves() {
        for uri in [
            "http://u@127.0.0.1:8080/iam/v2/users",
            "http://u:p@127.0.0.1:9090/x",
            "http://@127.0.0.1:8080/iam/v2/users",
        ] {
            let refusal = admit(uri).unwrap_err();
            assert!(matches!(refusal, Refusal::Userinfo(_)), "{uri}: {refusal}");
            assert!(!refusal.to_string().contains("u:p"), "{refusal}");
        }
    }

    #[test]
    fn the_admitted_target_is_rebuilt_from_what_was_checked() {
        let admitted = admit("http://127.0.0.1:8080/iam/v2/x/../users?a=%20b").unwrap();
        assert!(admitted.credentialed);
        assert_eq!("http://127.0.0.1:8080/iam/v2/users?a=%20b", admitted.uri);
        assert_eq!("127.0.0.1:8080", admitted.host);
        let https = Grants::new(&BaseUrl::parse("https://API.example").unwrap(), &[]);
        let admitted = https
            .admit(
                &"https://api.example:443/org/v2/environments"
                    .parse()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!("https://api.example/org/v2/environments", admitted.uri);
        assert_eq!("api.example", admitted.host);
        let plain = admit("http://127.0.0.1:9090/x").unwrap();
        assert!(!plain.credentialed);
    }

    #[test]
    fn the_credential_goes_only_to_granted_paths() {
        for allowed in [
            "http://127.0.0.1:8080/iam/v2/users",
            "http://127.0.0.1:8080/org/v2/environments",
            "http://127.0.0.1:8080/cmk/v2/clusters",
            "http://127.0.0.1:8080/cmk/v2",
        ] {
            assert!(admit(allowed).is_ok(), "{allowed}");
        }
        for denied in [
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080/debug/headers",
            "http://127.0.0.1:8080/iamx/v2",
            "http://127.0.0.1:8080/iam/../debug",
            "http://127.0.0.1:8080/iam/%2e%2e/debug",
        ] {
            let refusal = admit(denied).unwrap_err();
            assert!(
                matches!(refusal, Refusal::Path { .. }),
                "{denied}: {refusal}"
            );
        }
        for ambiguous in [
            "http://127.0.0.1:8080/iam/..%2fdebug",
            "http://127.0.0.1:8080/iam/v2/%2F%2Fx",
            "http://127.0.0.1:8080/iam/a%5c..%5cdebug",
            "http://127.0.0.1:8080/iam/..;/debug",
            "http://127.0.0.1:8080/iam/v2/users;jsessionid=x",
            "http://127.0.0.1:8080/iam/%252e%252e/debug",
            "http://127.0.0.1:8080/iam/%25252e%25252e/debug",
            "http://127.0.0.1:8080/iam/%c0%ae%c0%ae/debug",
        ] {
            let refusal = admit(ambiguous).unwrap_err();
            assert!(
                matches!(refusal, Refusal::AmbiguousPath(_)),
                "{ambiguous}: {refusal}"
            );
        }
        let under_prefix = Grants::new(&BaseUrl::parse("http://h/api").unwrap(), &[]);
        assert!(
            under_prefix
                .admit(&"http://h/api/iam/v2/users".parse().unwrap())
                .is_ok()
        );
        assert!(
            under_prefix
                .admit(&"http://h/iam/v2/users".parse().unwrap())
                .is_err()
        );
    }

    #[test]
    fn path_prefixes_are_plain_absolute_paths() {
        assert_eq!(
            "/cmk/v2/",
            PathPrefix::parse("/cmk/v2").unwrap().to_string()
        );
        for bad in ["cmk/v2", "/a/../b", "/a?b", "/a%2f", "/a b"] {
            assert!(PathPrefix::parse(bad).is_err(), "{bad}");
        }
    }
}
