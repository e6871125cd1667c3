//! `test-connection`: one authenticated read that proves the base URL, the
//! grant and the credentials all work.

use serde_json::Value;

use crate::client::{HttpRequest, RetryPolicy, Transport, api_headers, send_idempotent};
use crate::dialect::documents::Config;
use crate::error::ConnectorError;
use crate::model::{AttributeValue, Attributes};

/// What a successful connection test learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    /// A one-line description of what was reached.
    pub target: String,
    /// Facts about it.
    pub details: Attributes,
}

/// Reads the organization the credentials belong to.
pub async fn test_connection<T: Transport>(
    transport: &T,
    config: &Config,
) -> Result<ConnectionReport, ConnectorError> {
    let url = format!("{}/org/v2/organizations", config.base_url());
    let headers = api_headers();
    let response = send_idempotent(
        transport,
        &RetryPolicy::default(),
        HttpRequest::get(&url, headers),
    )
    .await?;
    let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
        ConnectorError::InvalidResponse(format!("GET {url}: the body is not JSON: {e}"))
    })?;
    let org = body.pointer("/data/0").ok_or_else(|| {
        ConnectorError::InvalidResponse(format!("GET {url}: no organization in the response"))
    })?;
    let text = |field: &str| {
        org.get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (id, name) = (text("id"), text("display_name"));
    Ok(ConnectionReport {
        target: format!(
            "Confluent Cloud organization '{name}' ({id}) at {}",
            config.base_url()
        ),
        details: vec![
            ("organizationID".to_string(), AttributeValue::Text(id)),
            ("organizationName".to_string(), AttributeValue::Text(name)),
        ],
    })
}
