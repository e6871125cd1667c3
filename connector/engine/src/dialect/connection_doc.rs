//! The `ConnectionJSON` dialect. Saviynt's document says how to obtain a
//! token and how to read failures; here the host supplies the credential, so
//! only its failure handling applies: it becomes the [`RetryPolicy`].

use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};

use crate::client::{Pacing, RetryPolicy};
use crate::dialect::place::Place;
use crate::error::ConfigError;

/// The document's name, as host platforms store it.
pub const CONNECTION_DOCUMENT: &str = "ConnectionJSON";

/// The authentication whose settings apply when there are several.
const MAIN_AUTHENTICATION: &str = "acctAuth";

/// The most retries any setting may ask for: more would keep a failing run
/// alive for long past any useful deadline.
const MAX_RETRIES: u32 = 20;

/// The longest wait any setting may ask for, in seconds: a longer one is a
/// run stalled, not paced.
const MAX_WAIT_SECONDS: u64 = 300;

/// The document as written.
#[derive(Debug, Deserialize)]
pub struct ConnectionDocument {
    /// The authentications, by name.
    #[serde(default)]
    pub authentications: IndexMap<String, Authentication>,
}

/// One authentication of `authentications`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authentication {
    // Saviynt's own way to obtain the credential. The host supplies the
    // credential here, so these are accepted, and nothing of them is kept
    // (`properties` may hold a password).
    /// Accepted, not used: the host supplies the credential.
    pub auth_type: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub url: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub http_method: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub http_params: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub http_headers: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub http_content_type: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub properties: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub testname: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub token_response_path: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub token_type: Option<Accepted>,
    /// Accepted, not used: the host supplies the credential.
    pub access_token: Option<Accepted>,
    /// An error code that means the token expired: a refused credential.
    pub expiry_error: Option<String>,
    /// Error codes that mean the credential was refused.
    #[serde(default)]
    pub auth_error: Vec<String>,
    /// Saviynt matches this text in a Java exception to spot a timeout;
    /// here the transport reports timeouts by kind, so it is not used.
    pub time_out_error: Option<Accepted>,
    /// Where an error body holds its error code, dotted (`error.code`).
    pub error_path: Option<String>,
    /// Retries after a refused credential.
    pub max_refresh_try_count: Option<u32>,
    /// Statuses retried as a server error is.
    #[serde(default)]
    pub retry_failure_status_code: Vec<u16>,
    /// A pause after every so many requests.
    pub api_rate_limit_config: Option<ApiRateLimitConfig>,
    /// This connector's backoff, where the defaults do not suit.
    pub retry_config: Option<RetryConfig>,
}

/// A value read and dropped: accepted, and nothing of it kept.
#[derive(Debug)]
pub struct Accepted;

impl<'de> Deserialize<'de> for Accepted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(|_| Self)
    }
}

/// `apiRateLimitConfig`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRateLimitConfig {
    /// Requests between pauses.
    pub retry_after_calls: u32,
    /// The pause, in seconds.
    pub retry_wait_seconds: u64,
}

/// `retryConfig`: this connector's backoff.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryConfig {
    /// Retries after a 5xx, a 429 or a broken connection.
    pub max_retries: Option<u32>,
    /// The cap of the first backoff, in milliseconds.
    pub base_delay_millis: Option<u64>,
    /// The longest wait, in seconds.
    pub max_delay_seconds: Option<u64>,
}

impl ConnectionDocument {
    /// The retry policy the document asks for: that of `acctAuth`, or else
    /// of its first authentication, over the defaults.
    pub fn retry_policy(&self) -> Result<RetryPolicy, ConfigError> {
        let Some((name, auth)) = self
            .authentications
            .get_key_value(MAIN_AUTHENTICATION)
            .or_else(|| self.authentications.first())
        else {
            return Ok(RetryPolicy::default());
        };
        let place = Place::new(CONNECTION_DOCUMENT, format!("authentications.{name}"));
        let at_most = |key: &str, value: u32| {
            if value > MAX_RETRIES {
                let message = format!("{value} is more than the {MAX_RETRIES} retries allowed");
                return Err(place.error(key, message));
            }
            Ok(value)
        };
        let seconds_at_most = |key: &str, seconds: u64| {
            if seconds > MAX_WAIT_SECONDS {
                let message = format!("{seconds} s is more than the {MAX_WAIT_SECONDS} s allowed");
                return Err(place.error(key, message));
            }
            Ok(seconds)
        };
        let mut policy = RetryPolicy::default();
        if let Some(count) = auth.max_refresh_try_count {
            policy.auth_retries = at_most("maxRefreshTryCount", count)?;
        }
        if let Some(status) = auth
            .retry_failure_status_code
            .iter()
            .find(|s| !(400..=599).contains(*s))
        {
            return Err(place.error(
                "retryFailureStatusCode",
                format!("{status} is not an HTTP error status (400 to 599)"),
            ));
        }
        policy.retry_statuses = auth.retry_failure_status_code.clone();
        let codes: Vec<String> = auth
            .auth_error
            .iter()
            .chain(&auth.expiry_error)
            .cloned()
            .collect();
        policy.auth_error_codes = match (&auth.error_path, codes.is_empty()) {
            (Some(path), false) if !path.is_empty() => Some((path.clone(), codes)),
            _ => None,
        };
        if let Some(limit) = &auth.api_rate_limit_config {
            if limit.retry_after_calls == 0 {
                let key = "apiRateLimitConfig.retryAfterCalls";
                return Err(place.error(key, "must be at least 1"));
            }
            policy.pacing = Some(Pacing {
                every: limit.retry_after_calls,
                wait: Duration::from_secs(seconds_at_most(
                    "apiRateLimitConfig.retryWaitSeconds",
                    limit.retry_wait_seconds,
                )?),
            });
        }
        if let Some(retry) = &auth.retry_config {
            if let Some(retries) = retry.max_retries {
                policy.retries = at_most("retryConfig.maxRetries", retries)?;
            }
            if let Some(seconds) = retry.max_delay_seconds {
                let key = "retryConfig.maxDelaySeconds";
                if seconds == 0 {
                    return Err(place.error(key, "must be at least 1"));
                }
                policy.max_delay = Duration::from_secs(seconds_at_most(key, seconds)?);
            }
            if let Some(millis) = retry.base_delay_millis {
                policy.base_delay = Duration::from_millis(millis);
                if policy.base_delay > policy.max_delay {
                    return Err(place.error(
                        "retryConfig.baseDelayMillis",
                        format!("{millis} ms is longer than the longest wait"),
                    ));
                }
            }
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::documents::parse_document;
    use crate::target::Target;

    fn policy(json: &str) -> Result<RetryPolicy, ConfigError> {
        let mut warnings = Vec::new();
        let document: ConnectionDocument =
            parse_document(CONNECTION_DOCUMENT, json, &mut warnings)?;
        assert!(warnings.is_empty(), "{warnings:?}");
        document.retry_policy()
    }

    #[test]
    fn the_seed_document_retries_a_refused_credential_five_times() {
        let seed = crate::confluent::Confluent
            .default_documents()
            .iter()
            .find(|(name, _)| *name == CONNECTION_DOCUMENT)
            .map(|(_, json)| *json)
            .unwrap();
        let policy = policy(seed).unwrap();
        assert_eq!(5, policy.auth_retries);
        assert_eq!(
            Some((
                "error.code".to_string(),
                vec![
                    "InvalidAuthenticationToken".to_string(),
                    "AuthenticationFailed".to_string(),
                    "ExpiredAuthenticationToken".to_string()
                ]
            )),
            policy.auth_error_codes
        );
        assert_eq!(RetryPolicy::default().retries, policy.retries);
    }

    #[test]
    fn every_setting_reaches_the_policy() {
        let policy = policy(
            r#"{"authentications":{"other":{},"acctAuth":{
                "retryFailureStatusCode":[403,500],
                "apiRateLimitConfig":{"retryAfterCalls":100,"retryWaitSeconds":60},
                "retryConfig":{"maxRetries":2,"baseDelayMillis":10,"maxDelaySeconds":5}}}}"#,
        )
        .unwrap();
        assert_eq!(
            RetryPolicy {
                retries: 2,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_secs(5),
                auth_retries: 0,
                retry_statuses: vec![403, 500],
                auth_error_codes: None,
                pacing: Some(Pacing {
                    every: 100,
                    wait: Duration::from_secs(60)
                }),
            },
            policy
        );
        assert_eq!(RetryPolicy::default(), self::policy("{}").unwrap());
    }

    #[test]
    fn bad_settings_name_their_path() {
        let error = policy(r#"{"authentications":{"a":{"retryFailureStatusCode":[200]}}}"#)
            .unwrap_err()
            .to_string();
        assert_eq!(
            "ConnectionJSON: at authentications.a.retryFailureStatusCode: 200 is not an HTTP error status (400 to 599)",
            error
        );
        let error = policy(r#"{"authentications":{"a":{"maxRefreshTryCount":1000}}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("at authentications.a.maxRefreshTryCount: 1000 is more"),
            "{error}"
        );
        let error = policy(
            r#"{"authentications":{"a":{"apiRateLimitConfig":{"retryAfterCalls":1,"retryWaitSeconds":100000}}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(
                "at authentications.a.apiRateLimitConfig.retryWaitSeconds: 100000 s is more"
            ),
            "{error}"
        );
        let error = policy(r#"{"authentications":{"a":{"retryConfig":{"maxDelaySeconds":0}}}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("maxDelaySeconds: must be at least 1"),
            "{error}"
        );
        let error = policy(r#"{"authentications":{"a":{"maxRefreshTryCount":"5"}}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "ConnectionJSON: at authentications.a.maxRefreshTryCount: invalid type"
            ),
            "{error}"
        );
    }
}
