//! The connector as an HTTP service, for hosts that run a component's
//! `wasi:http/incoming-handler` (`wasmtime serve`, a Node server, wasmCloud): its
//! routes, what their request bodies hold, and the JSON they answer with.
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /v1/describe` | none | the descriptor |
//! | `POST /v1/describe` | [`CallBody`] | the descriptor |
//! | `POST /v1/check` | [`CallBody`], optional | the connection report |
//! | `POST /v1/import/{accounts,entitlements,access,all}` | [`ImportHead`], then the previous state | NDJSON: see [`lines`] |
//! | `POST /v1/provision/{operation}` | the provisioning request document, with `documents` and `dryRun` | the result |
//!
//! The base URL, which alone receives the credential, is the host's to set
//! and never comes from a request. A body labelled with a content type is
//! read only when the label says JSON ([`content_type`]).

pub mod body;
pub mod lines;

use serde_json::json;
use subtle::ConstantTimeEq as _;

use crate::error::ConnectorError;
use crate::model::ObjectKind;
use crate::provided::{Provided, Setting};
use crate::provision::ProvisionOp;
use crate::target::Target;

pub use body::{CallBody, Documents, ImportHead};

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/v1/describe`.
    Describe,
    /// `/v1/check`.
    Check,
    /// `/v1/import/{kind}`: the kinds it names.
    Import(Vec<ObjectKind>),
    /// `/v1/provision/{operation}`.
    Provision(ProvisionOp),
}

/// Whether a request with `authorization` (its `Authorization` header) may
/// be served: always when the host set no service token, never when it set
/// one empty (a 500: the host's setting is wrong, and an open service is
/// not what it asked for), else only with `Bearer` and that token, compared
/// in constant time. A refusal of the caller is a 401 that does not say
/// what was wrong with the token.
pub fn authorize(provided: &Provided, authorization: Option<&[u8]>) -> Result<(), Refusal> {
    let Some(token) = provided.service_token() else {
        return Ok(());
    };
    if token.is_empty() {
        return Err(Refusal {
            status: 500,
            message: "the host set the service token empty; this service answers no request \
                      until it is set or removed"
                .to_string(),
        });
    }
    let presented = authorization.and_then(|value| {
        let (scheme, credentials) = value.split_at_checked(7)?;
        scheme
            .eq_ignore_ascii_case(b"Bearer ")
            .then_some(credentials)
    });
    match presented {
        Some(presented) if bool::from(presented.ct_eq(token.as_bytes())) => Ok(()),
        _ => Err(Refusal {
            status: 401,
            message: "this service needs 'Authorization: Bearer' with its token".to_string(),
        }),
    }
}

/// The documents a request runs with: those the host handed the guest,
/// each replaced by the request's own of the same name.
pub fn with_host_documents(
    provided: &Provided,
    target: &dyn Target,
    request: Documents,
) -> Result<Documents, Refusal> {
    let Some(text) = provided.documents() else {
        return Ok(request);
    };
    let key = target.setting_source(Setting::Documents).store_key;
    Ok(Documents::from_store(text, key)?.replaced_by(request))
}

/// Why a request was not served: an HTTP status and a message that names
/// the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status to answer with.
    pub status: u16,
    /// What was wrong.
    pub message: String,
}

impl Refusal {
    /// A 400 saying `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
        }
    }

    /// The JSON body: `{"error": {"status", "message"}}`.
    pub fn body(&self) -> String {
        json!({"error": {"status": self.status, "message": self.message}}).to_string()
    }
}

impl From<ConnectorError> for Refusal {
    /// A connector error before anything was streamed: a bad document is the
    /// request's fault (400); the target's refusals keep their meaning; any
    /// other failure is a bad gateway (502).
    fn from(error: ConnectorError) -> Self {
        let status = match &error {
            ConnectorError::Config(_) | ConnectorError::InvalidState(_) => 400,
            ConnectorError::AuthFailed(_) => 401,
            ConnectorError::Forbidden(_) | ConnectorError::EgressDenied(_) => 403,
            ConnectorError::NotFound(_) => 404,
            ConnectorError::Conflict(_) => 409,
            ConnectorError::ThresholdExceeded(_) => 422,
            ConnectorError::RateLimited { .. } => 429,
            ConnectorError::Unsupported(_) => 501,
            ConnectorError::Transient(_) => 503,
            ConnectorError::InvalidResponse(_) => 502,
        };
        Self {
            status,
            message: error.to_string(),
        }
    }
}

/// The route `method` and `path` (without its query) name.
pub fn route(method: &str, path: &str) -> Result<Route, Refusal> {
    let not_found = || Refusal {
        status: 404,
        message: format!(
            "no route {path}; expected /v1/describe, /v1/check, /v1/import/{{accounts|entitlements|access|all}} or /v1/provision/{{operation}}"
        ),
    };
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let (route, methods): (Route, &[&str]) = match segments[..] {
        ["", "v1", "describe"] => (Route::Describe, &["GET", "POST"]),
        ["", "v1", "check"] => (Route::Check, &["POST"]),
        ["", "v1", "import", kind] => {
            let kinds: Vec<ObjectKind> = ObjectKind::ALL
                .into_iter()
                .filter(|k| kind == "all" || k.as_str() == kind)
                .collect();
            if kinds.is_empty() {
                return Err(not_found());
            }
            (Route::Import(kinds), &["POST"])
        }
        ["", "v1", "provision", operation] => {
            let operation = ProvisionOp::ALL
                .into_iter()
                .find(|op| op.name() == operation)
                .ok_or_else(|| Refusal {
                    status: 404,
                    message: format!(
                        "no provisioning operation '{operation}'; expected one of {}",
                        ProvisionOp::ALL.map(ProvisionOp::name).join(", ")
                    ),
                })?;
            (Route::Provision(operation), &["POST"])
        }
        _ => return Err(not_found()),
    };
    if !methods.contains(&method) {
        return Err(Refusal {
            status: 405,
            message: format!("{path} takes {}, not {method}", methods.join(" or ")),
        });
    }
    Ok(route)
}

/// Checks a request's `Content-Type`, when it has one: the body is read only
/// when it is labelled JSON (`application/json`, `application/x-ndjson` or a
/// `+json` type). Besides telling a client that sent a form or plain text
/// what went wrong, this keeps a web page from driving the service with a
/// request a browser sends without asking first (a form or `text/plain`
/// POST): a JSON body makes the browser ask, and the service answers no
/// `OPTIONS`. A request without the header (no body, or `curl -XPOST`) is
/// read as JSON.
pub fn content_type(value: Option<&str>) -> Result<(), Refusal> {
    let Some(value) = value else {
        return Ok(());
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    let json = matches!(
        essence.as_str(),
        "application/json" | "application/x-ndjson"
    ) || (essence.starts_with("application/") && essence.ends_with("+json"));
    if json {
        return Ok(());
    }
    Err(Refusal {
        status: 415,
        message: format!(
            "the request's content type is '{}'; the body is read only as JSON: send \
             Content-Type: application/json",
            crate::printable::printable(&value.chars().take(100).collect::<String>())
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confluent::Confluent;

    #[test]
    fn with_a_service_token_only_its_bearer_is_served() {
        let open = Provided::read(&Confluent, |_| Ok(None), &[]).unwrap();
        assert_eq!(Ok(()), authorize(&open, None));
        let token = |key: &str| Ok((key == "service_token").then(|| "s3cret-token".to_string()));
        let closed = Provided::read(&Confluent, token, &[]).unwrap();
        assert_eq!(Ok(()), authorize(&closed, Some(b"Bearer s3cret-token")));
        assert_eq!(Ok(()), authorize(&closed, Some(b"bearer s3cret-token")));
        for wrong in [
            None,
            Some(&b""[..]),
            Some(b"Bearer"),
            Some(b"Bearer "),
            Some(b"Bearer s3cret-toke"),
            Some(b"Bearer s3cret-token "),
            Some(b"Basic s3cret-token"),
            Some(b"s3cret-token"),
        ] {
            let refusal = authorize(&closed, wrong).expect_err(&format!("{wrong:?}"));
            assert_eq!(401, refusal.status, "{wrong:?}");
            assert!(!refusal.body().contains("s3cret"), "{}", refusal.body());
        }
        let from_environment = [("CONNECTOR_SERVICE_TOKEN".to_string(), "t".to_string())];
        let closed = Provided::read(&Confluent, |_| Ok(None), &from_environment).unwrap();
        assert!(authorize(&closed, None).is_err());
        assert_eq!(Ok(()), authorize(&closed, Some(b"Bearer t")));
    }

    #[test]
    fn a_service_token_set_empty_serves_no_one() {
        let empty_in_store = |key: &str| Ok((key == "service_token").then(String::new));
        let empty_in_environment = [("CONNECTOR_SERVICE_TOKEN".to_string(), String::new())];
        for provided in [
            Provided::read(&Confluent, empty_in_store, &[]).unwrap(),
            Provided::read(&Confluent, |_| Ok(None), &empty_in_environment).unwrap(),
            Provided::read(&Confluent, empty_in_store, &empty_in_environment).unwrap(),
        ] {
            for presented in [None, Some(&b"Bearer "[..]), Some(b"Bearer x")] {
                let refusal = authorize(&provided, presented).unwrap_err();
                assert_eq!(500, refusal.status, "{presented:?}");
                assert!(
                    refusal.message.contains("service token empty"),
                    "{}",
                    refusal.message
                );
            }
        }
        // Set empty in one place and to a token in the other, the token
        // holds.
        let token = [("CONNECTOR_SERVICE_TOKEN".to_string(), "t".to_string())];
        let provided = Provided::read(&Confluent, empty_in_store, &token).unwrap();
        assert_eq!(Ok(()), authorize(&provided, Some(b"Bearer t")));
        assert_eq!(401, authorize(&provided, None).unwrap_err().status);
    }

    #[test]
    fn a_requests_documents_replace_the_hosts_of_the_same_name() {
        let stored = [(
            "documents",
            r#"{"ConnectionJSON": {"a": 1}, "ImportAccountEntJSON": "{\"b\": 2}"}"#,
        )];
        let lookup = |key: &str| {
            let found = stored.iter().find(|(name, _)| *name == key);
            Ok(found.map(|(_, value)| value.to_string()))
        };
        let provided = Provided::read(&Confluent, lookup, &[]).unwrap();
        let request = CallBody::read(br#"{"documents": {"ConnectionJSON": {"c": 3}}}"#).unwrap();
        let documents = with_host_documents(&provided, &Confluent, request.documents).unwrap();
        let expected = [
            (
                "ImportAccountEntJSON".to_string(),
                r#"{"b": 2}"#.to_string(),
            ),
            ("ConnectionJSON".to_string(), r#"{"c":3}"#.to_string()),
        ];
        assert_eq!(documents.pairs(), expected);
        let none = Provided::read(&Confluent, |_| Ok(None), &[]).unwrap();
        let request = CallBody::read(b"").unwrap();
        assert!(
            with_host_documents(&none, &Confluent, request.documents)
                .unwrap()
                .pairs()
                .is_empty()
        );
    }

    #[test]
    fn documents_the_host_holds_wrongly_are_its_fault_and_name_its_key() {
        for (text, says) in [
            ("{not json", "not JSON"),
            ("[]", "expected a JSON object"),
            (r#"{"ConnectionJSON": 7}"#, "documents.ConnectionJSON"),
        ] {
            let lookup = |key: &str| Ok((key == "documents").then(|| text.to_string()));
            let provided = Provided::read(&Confluent, lookup, &[]).unwrap();
            let refusal =
                with_host_documents(&provided, &Confluent, Documents::default()).unwrap_err();
            assert_eq!(refusal.status, 500, "{text}");
            assert!(
                refusal
                    .message
                    .starts_with("the host's configuration 'documents': "),
                "{}",
                refusal.message
            );
            assert!(refusal.message.contains(says), "{}", refusal.message);
        }
    }

    #[test]
    fn routes_name_kinds_and_operations_and_take_their_methods() {
        assert_eq!(Ok(Route::Describe), route("GET", "/v1/describe"));
        assert_eq!(Ok(Route::Check), route("POST", "/v1/check/"));
        assert_eq!(
            Ok(Route::Import(ObjectKind::ALL.to_vec())),
            route("POST", "/v1/import/all")
        );
        assert_eq!(
            Ok(Route::Import(vec![ObjectKind::Access])),
            route("POST", "/v1/import/access")
        );
        for op in ProvisionOp::ALL {
            let path = format!("/v1/provision/{}", op.name());
            assert_eq!(Ok(Route::Provision(op)), route("POST", &path));
        }
        let status = |method, path| route(method, path).unwrap_err().status;
        assert_eq!(404, status("POST", "/v1/import/users"));
        assert_eq!(404, status("GET", "/v2/describe"));
        assert_eq!(404, status("POST", "/v1/provision/delete-everything"));
        assert_eq!(405, status("GET", "/v1/import/all"));
        assert_eq!(405, status("DELETE", "/v1/check"));
    }

    #[test]
    fn a_refusal_is_a_json_error_naming_its_status_and_problem() {
        let refusal = Refusal::from(ConnectorError::Config("bad path".to_string()));
        let body: serde_json::Value = serde_json::from_str(&refusal.body()).unwrap();
        assert_eq!(400, body["error"]["status"]);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("bad path")
        );
        let auth = Refusal::from(ConnectorError::AuthFailed(String::new()));
        assert_eq!(401, auth.status);
    }

    #[test]
    fn only_a_body_labelled_json_is_read() {
        for label in [
            None,
            Some("application/json"),
            Some("Application/JSON; charset=utf-8"),
            Some("application/x-ndjson"),
            Some("application/vnd.api+json"),
        ] {
            assert_eq!(Ok(()), content_type(label), "{label:?}");
        }
        for label in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ] {
            let refusal = content_type(Some(label)).unwrap_err();
            assert_eq!(415, refusal.status, "{label}");
            assert!(
                refusal.message.contains(&format!("'{label}'")),
                "{}",
                refusal.message
            );
        }
    }
}
