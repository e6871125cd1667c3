//! Sending one call with the retries and recoveries its method allows,
//! and judging the response by the document's rules.

use serde_json::Value;

use crate::client::{
    HttpRequest, HttpResponse, RetryPolicy, Transport, check_status, transport_failure,
};
use crate::confluent::natural_keys::recovery_for;
use crate::dialect::provision_doc::{ContentType, ResponseRule};
use crate::error::ConnectorError;
use crate::provision::{AuditedTransport, Outcome};

/// How a call's response is judged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallRules<'a> {
    /// Where the call sits, for messages.
    pub place: &'a str,
    /// What a success looks like; `None` means any 2xx.
    pub success: Option<&'a ResponseRule>,
    /// What a failure looks like.
    pub unsuccess: Option<&'a ResponseRule>,
}

/// Sends one call, with the retries and recoveries its method allows, and
/// judges the response by `rules`.
pub(crate) async fn send_call<T: Transport>(
    transport: &AuditedTransport<'_, T>,
    rules: &CallRules<'_>,
    request: HttpRequest,
    content_type: Option<ContentType>,
) -> Result<(HttpResponse, Outcome), ConnectorError> {
    let recovery = recovery_for(&request, content_type);
    let retry = RetryPolicy::default();
    let mut attempt = 1;
    let response = loop {
        let sent = transport.send(request.clone()).await;
        let failure = match &sent {
            Err(e) => Some(transport_failure(&request.method, &request.url, e.clone())),
            Ok(r) if r.status == 429 || r.status >= 500 => {
                check_status(&request.method, &request.url, r).err()
            }
            Ok(_) => None,
        };
        let Some(failure) = failure else {
            break sent.expect("a response");
        };
        // A request refused (a denied origin, a request the host will not
        // send) or a response that cannot be read ends the call as it is.
        if !failure.is_retryable() {
            return Err(failure);
        }
        // The request may have been applied before the failure: a create
        // looks for what it would have made before it tries again.
        if let Some(recovery) = &recovery {
            if let Some(found) = recovery.find(transport).await? {
                return Ok((found, Outcome::Done));
            }
        } else if request.method == "POST" {
            return Err(failure.with_note(
                "a POST with no way to look up what it made is not retried, as it may have been applied",
            ));
        }
        if attempt >= retry.attempts {
            return Err(failure);
        }
        transport.sleep(retry.delay(attempt, &failure)).await;
        attempt += 1;
    };
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    if let Some(rule) = rules.unsuccess
        && rule.matches(response.status, &body)
    {
        let error = check_status(&request.method, &request.url, &response)
            .err()
            .unwrap_or_else(|| {
                ConnectorError::InvalidResponse(format!(
                    "{} {} returned {}, which unsuccessResponses of {} names a failure",
                    request.method, request.url, response.status, rules.place
                ))
            });
        return Err(error);
    }
    if request.method == "DELETE" && is_absent(&request.url, response.status) {
        return Ok((response, Outcome::AlreadyAbsent));
    }
    if response.status == 409
        && let Some(recovery) = &recovery
        && let Some(found) = recovery.find(transport).await?
    {
        return Ok((found, Outcome::AlreadyExisted));
    }
    let success = match rules.success {
        Some(rule) => rule.matches(response.status, &body),
        None => (200..300).contains(&response.status),
    };
    if !success {
        return Err(check_status(&request.method, &request.url, &response)
            .err()
            .unwrap_or_else(|| {
                ConnectorError::InvalidResponse(format!(
                    "{} {} returned {}, which successResponses of {} does not accept",
                    request.method, request.url, response.status, rules.place
                ))
            }));
    }
    Ok((response, Outcome::Done))
}

/// Whether a DELETE's status says the object is already gone: 404, or the
/// 403 Confluent answers for a role binding it does not have.
fn is_absent(url: &str, status: u16) -> bool {
    status == 404 || (status == 403 && url.contains("/iam/v2/role-bindings/"))
}
