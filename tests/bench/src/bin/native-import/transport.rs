//! The engine's [`Transport`] over hyper-util's pooled HTTP/1 client.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use connector_engine::{HttpRequest, HttpResponse, Transport, TransportError};
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use url::{Origin, Url};

/// Sends the engine's requests natively, for the benchmark only: it lets the
/// benchmark run the same engine outside the sandbox to see what the
/// component and the runner cost. It is no part of the connector and has none
/// of the runner's protections (no egress grants, no response screening, no
/// size or time limits); it speaks plain HTTP, which is what the simulator
/// serves. Like the runner, it sets `Authorization: Basic base64(key:secret)`
/// on requests to the base URL's origin and strips it from any other.
#[derive(Debug)]
pub struct NativeHttp {
    client: Client<HttpConnector, Full<Bytes>>,
    origin: Origin,
    authorization: HeaderValue,
}

impl NativeHttp {
    /// A client that sends the credentials to `base_url`'s origin only.
    pub fn new(base_url: &str, key: &str, secret: &str) -> anyhow::Result<Self> {
        let mut authorization = HeaderValue::try_from(format!(
            "Basic {}",
            BASE64.encode(format!("{key}:{secret}"))
        ))?;
        authorization.set_sensitive(true);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            origin: Url::parse(base_url)?.origin(),
            authorization,
        })
    }
}

impl Transport for NativeHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let refused = |e: &dyn std::fmt::Display| TransportError::Refused(e.to_string());
        let url = Url::parse(&request.url).map_err(|e| refused(&e))?;
        let mut builder = Request::builder()
            .method(request.method.as_str())
            .uri(url.as_str());
        for (name, value) in &request.headers {
            if !name.eq_ignore_ascii_case(AUTHORIZATION.as_str()) {
                builder = builder.header(name, value);
            }
        }
        if url.origin() == self.origin {
            builder = builder.header(AUTHORIZATION, self.authorization.clone());
        }
        let outgoing = builder
            .body(Full::new(Bytes::from(request.body.unwrap_or_default())))
            .map_err(|e| refused(&e))?;
        let response = self
            .client
            .request(outgoing)
            .await
            .map_err(|e| TransportError::Connection(format!("{e:#}")))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), value)
            })
            .collect();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| TransportError::Connection(e.to_string()))?
            .to_bytes()
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn random(&self) -> u64 {
        fastrand::u64(..)
    }
}
