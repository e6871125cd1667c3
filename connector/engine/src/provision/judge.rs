//! Sending one call with the retries and recoveries its method allows,
//! and judging the response by the document's rules.

use serde_json::Value;

use crate::client::{Client, Exchange, HttpRequest, HttpResponse};
use crate::dialect::provision_doc::{ContentType, ResponseRule};
use crate::error::ConnectorError;
use crate::provision::Outcome;

/// How a call's response is judged; by default, any 2xx is a success.
#[derive(Debug, Clone, Copy, Default)]
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
pub(crate) async fn send_call(
    client: &Client<'_>,
    rules: &CallRules<'_>,
    request: HttpRequest,
    content_type: Option<ContentType>,
) -> Result<(HttpResponse, Outcome), ConnectorError> {
    let target = client.target();
    let json_post = request.method == "POST" && content_type == Some(ContentType::Json);
    let recovery = json_post.then(|| target.natural_key(&request)).flatten();
    let response = match client.exchange(&request, recovery.as_ref()).await? {
        Exchange::Found(found) => return Ok((found, Outcome::Done)),
        Exchange::Answered(response) => response,
    };
    let parsed = serde_json::from_slice::<Value>(&response.body);
    let unreadable = parsed.is_err();
    let body = parsed.unwrap_or(Value::Null);
    // The error the status makes, else one naming the rule that refused it.
    let refused = |rule: &str, verdict: &str| {
        let status = client.check_status(&request.method, &request.url, &response);
        status.err().unwrap_or_else(|| {
            ConnectorError::InvalidResponse(format!(
                "{} {} returned {}, which {rule} of {} {verdict}",
                request.method, request.url, response.status, rules.place
            ))
        })
    };
    if rules
        .unsuccess
        .is_some_and(|rule| rule.matches(response.status, &body))
    {
        return Err(refused("unsuccessResponses", "names a failure"));
    }
    if request.method == "DELETE" && target.already_absent(&request.url, response.status) {
        return Ok((response, Outcome::AlreadyAbsent));
    }
    if response.status == 409
        && let Some(recovery) = &recovery
        && let Some(found) = client.recover(recovery).await?
    {
        return Ok((found, Outcome::AlreadyExisted));
    }
    let success = match rules.success {
        Some(rule) => rule.matches(response.status, &body),
        None => (200..300).contains(&response.status),
    };
    if !success {
        return Err(refused("successResponses", "does not accept"));
    }
    // A create that succeeded with a body that cannot be read (cut short, an
    // HTML page) says nothing of what it made: it is looked up instead.
    if unreadable && let Some(recovery) = &recovery {
        return match client.recover(recovery).await? {
            Some(found) => Ok((found, Outcome::Done)),
            None => Err(ConnectorError::InvalidResponse(format!(
                "{} {} returned {} with a body that is not JSON, and what it made was not found",
                request.method, request.url, response.status
            ))),
        };
    }
    Ok((response, Outcome::Done))
}
