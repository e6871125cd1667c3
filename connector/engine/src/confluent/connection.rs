//! Confluent's `test-connection`: one authenticated read that proves the base URL, the
//! grant and the credentials all work.

use crate::client::Client;
use crate::confluent::api_headers;
use crate::dialect::documents::Config;
use crate::error::ConnectorError;
use crate::model::AttributeValue;
use crate::target::ConnectionReport;

/// Reads the organization the credentials belong to.
pub async fn test_connection(
    client: Client<'_>,
    config: &Config,
) -> Result<ConnectionReport, ConnectorError> {
    let url = format!("{}/org/v2/organizations", config.base_url());
    let body = client.get_json(&url, &api_headers()).await?;
    let org = body.pointer("/data/0").ok_or_else(|| {
        ConnectorError::InvalidResponse(format!("GET {url}: no organization in the response"))
    })?;
    let text = |field: &str| org[field].as_str().unwrap_or_default().to_string();
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
