//! A credential the guest holds itself, for hosts that cannot inject one
//! (`wasmtime serve`, Node): it goes into `Authorization` on requests to the
//! target's own APIs (such as `/iam/` and `/org/`) under the base URL, and
//! on no other. Under a host that injects, the guest holds none, and
//! requests pass as they are.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{HttpRequest, HttpResponse, Transport, TransportError};

/// `Authorization: Basic base64(key:secret)` for some paths of one origin.
pub struct Credential {
    origin: url::Origin,
    /// Absolute path prefixes, each ending in `/`.
    paths: Vec<String>,
    authorization: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("origin", &self.origin.ascii_serialization())
            .finish_non_exhaustive()
    }
}

impl Credential {
    /// `key` and `secret` for `paths` (such as `iam/`) under `base_url`;
    /// `None` when the base URL has no origin.
    pub fn new(base_url: &str, paths: &[&str], key: &str, secret: &str) -> Option<Self> {
        let base = url::Url::parse(base_url).ok()?;
        let under = base.path().trim_end_matches('/');
        let origin = base.origin();
        origin.is_tuple().then(|| Self {
            origin,
            paths: paths.iter().map(|path| format!("{under}/{path}")).collect(),
            authorization: format!("Basic {}", BASE64.encode(format!("{key}:{secret}"))),
        })
    }

    /// Whether `url` is on the origin and under one of the paths. A path
    /// with an encoded dot, slash or backslash, an encoded `%` (which a
    /// server could decode twice into those) or a `;` is not: a server could
    /// read it as another path.
    fn covers(&self, url: &str) -> bool {
        let Ok(url) = url::Url::parse(url) else {
            return false;
        };
        let path = url.path();
        let ambiguous = ["%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "%25", ";"];
        url.origin() == self.origin
            && !ambiguous.iter().any(|encoded| path.contains(encoded))
            && self
                .paths
                .iter()
                .any(|prefix| path.starts_with(prefix.as_str()))
    }
}

/// A transport that adds the guest's own credential, if it has one.
#[derive(Debug)]
pub struct Credentialed<T> {
    inner: T,
    credential: Option<Credential>,
}

impl<T> Credentialed<T> {
    /// `inner`, adding `credential` where it belongs.
    pub fn new(inner: T, credential: Option<Credential>) -> Self {
        Self { inner, credential }
    }
}

impl<T: Transport> Transport for Credentialed<T> {
    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if let Some(credential) = &self.credential {
            request
                .headers
                .retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
            if credential.covers(&request.url) {
                let value = credential.authorization.clone();
                request.headers.push(("Authorization".to_string(), value));
            }
        }
        self.inner.send(request).await
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await;
    }

    fn random(&self) -> u64 {
        self.inner.random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_target::FakeTarget;

    const PATHS: &[&str] = &["iam/", "org/"];

    fn authorization(request: &HttpRequest) -> Vec<&str> {
        let headers = request.headers.iter();
        let values = headers.filter(|(name, _)| name.eq_ignore_ascii_case("authorization"));
        values.map(|(_, value)| value.as_str()).collect()
    }

    #[tokio::test]
    async fn the_credential_goes_to_the_base_origin_only() {
        let credential = Credential::new("https://api.t:443/", PATHS, "K", "S");
        let transport = Credentialed::new(FakeTarget::default(), credential);
        let planted = vec![("authorization".to_string(), "Basic planted".to_string())];
        for url in [
            "https://api.t/iam/v2/users",
            "http://api.t/iam/v2/users",
            "https://api.t:8443/iam/v2/users",
            "https://evil.t/iam/v2/users",
            "https://api.t/cmk/v2/clusters",
            "https://api.t/iam/%2e%2e/cmk/v2/clusters",
            "https://api.t/iam/%252e%252e/cmk/v2/clusters",
            "https://api.t/iam/v2/users;x",
            "https://api.t/iamx/v2",
        ] {
            let _ = transport.send(HttpRequest::get(url, planted.clone())).await;
        }
        let sent = transport.inner.sent.borrow();
        let expected = format!("Basic {}", BASE64.encode("K:S"));
        assert_eq!(vec![expected.as_str()], authorization(&sent[0]));
        for other in &sent[1..] {
            assert!(authorization(other).is_empty(), "{}", other.url);
        }
        assert!(!format!("{:?}", transport.credential).contains(&expected[6..]));
    }

    #[tokio::test]
    async fn under_a_base_path_the_credential_goes_below_it_only() {
        let credential = Credential::new("https://gw.t/confluent/", PATHS, "K", "S");
        let credential = credential.unwrap();
        assert!(credential.covers("https://gw.t/confluent/org/v2/environments"));
        assert!(!credential.covers("https://gw.t/org/v2/environments"));
        assert!(!credential.covers("https://gw.t/other/iam/v2/users"));
    }

    #[tokio::test]
    async fn without_a_credential_requests_pass_as_they_are() {
        assert!(Credential::new("not a URL", PATHS, "K", "S").is_none());
        let transport = Credentialed::new(FakeTarget::default(), None);
        let _ = transport
            .send(HttpRequest::get("https://t/x", vec![]))
            .await;
        assert!(authorization(&transport.inner.sent.borrow()[0]).is_empty());
    }
}
