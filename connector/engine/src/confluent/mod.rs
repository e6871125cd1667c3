//! Every fact about Confluent Cloud: its lists and error bodies, role
//! bindings as access (imported and provisioned), CRNs, the natural keys of
//! idempotent creates, the connection check and the seed's documents.

pub mod access_import;
pub mod access_provision;
pub mod connection;
pub mod crn;
pub mod natural_keys;

/// A built-in document: its name and the JSON of `defaults/<name>.json`.
macro_rules! seed {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../defaults/", $name, ".json")),
        )
    };
}

use serde_json::Value;

use crate::client::{Client, HttpRequest, Recovery};
use crate::dialect::documents::Config;
use crate::error::ConnectorError;
use crate::import::PageSink;
use crate::model::AttributeValue;
use crate::provided::{Setting, Source};
use crate::provision::{ProvisionRequest, ProvisionResult};
use crate::target::{ConnectionReport, Pending, Target};

/// The origin the seed's documents are written against. URLs on it are
/// rewritten to the configured base URL, so those documents work verbatim
/// against any Confluent Cloud endpoint, including a simulator.
pub const DEFAULT_BASE_URL: &str = "https://api.confluent.cloud";

/// The built-in documents: the seed's, byte for byte, and the user
/// lifecycle the seed leaves out (`CreateUserJSON`, `RemoveUserJSON`).
pub const DEFAULT_DOCUMENTS: &[(&str, &str)] = &[
    seed!("ConnectionJSON"),
    seed!("ImportAccountEntJSON"),
    seed!("CreateAccountJSON"),
    seed!("UpdateAccountJSON"),
    seed!("RemoveAccountJSON"),
    seed!("CreateUserJSON"),
    seed!("RemoveUserJSON"),
];

/// The largest page Confluent serves on most lists.
pub const MAX_PAGE: u32 = 100;
/// The largest page Confluent serves on role bindings.
pub const ROLE_BINDING_MAX_PAGE: u32 = 1000;

/// Confluent Cloud, as the engine's [`Target`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Confluent;

/// The headers of the connector's own Confluent calls (the built-in access
/// import and provisioning, the connection check): the credential
/// placeholder the host replaces, and `Accept: application/json`.
pub fn api_headers() -> Vec<(String, String)> {
    vec![
        (
            "Authorization".to_string(),
            crate::dialect::template::ACCESS_TOKEN_PLACEHOLDER.to_string(),
        ),
        ("Accept".to_string(), "application/json".to_string()),
    ]
}

/// The first page of the role bindings `filters` select, as large as
/// Confluent serves.
pub(crate) fn role_bindings_url(
    config: &Config,
    filters: &[(&str, &str)],
) -> Result<String, ConnectorError> {
    let mut url = url::Url::parse(&format!("{}/iam/v2/role-bindings", config.base_url()))
        .map_err(|e| ConnectorError::Config(format!("base URL: {e}")))?;
    url.query_pairs_mut().extend_pairs(filters);
    Ok(Confluent.with_largest_page(url.as_str(), &config.origin()))
}

impl Target for Confluent {
    fn name(&self) -> &'static str {
        "confluent-cloud"
    }

    fn default_base_url(&self) -> &'static str {
        DEFAULT_BASE_URL
    }

    fn default_documents(&self) -> &'static [(&'static str, &'static str)] {
        DEFAULT_DOCUMENTS
    }

    /// The IAM and organization APIs, as the runner grants its credential.
    fn credential_paths(&self) -> &'static [&'static str] {
        &["iam/", "org/"]
    }

    fn setting_source(&self, setting: Setting) -> Source {
        let (store_key, variable) = match setting {
            Setting::ApiKey => ("confluent_cloud_api_key", Some("CONFLUENT_CLOUD_API_KEY")),
            Setting::ApiSecret => (
                "confluent_cloud_api_secret",
                Some("CONFLUENT_CLOUD_API_SECRET"),
            ),
            Setting::BaseUrl => ("confluent_base_url", Some("CONFLUENT_BASE_URL")),
            Setting::Documents => ("documents", None),
            Setting::ServiceToken => ("service_token", Some("CONNECTOR_SERVICE_TOKEN")),
        };
        Source {
            store_key,
            variable,
        }
    }

    /// Asks an `/iam/v2/` or `/org/v2/` list on `origin` for its largest
    /// page, unless the URL already names a `page_size`.
    fn with_largest_page(&self, url: &str, origin: &url::Origin) -> String {
        let Ok(mut parsed) = url::Url::parse(url) else {
            return url.to_string();
        };
        if parsed.origin() != *origin
            || !(parsed.path().starts_with("/iam/v2/") || parsed.path().starts_with("/org/v2/"))
            || parsed.query_pairs().any(|(k, _)| k == "page_size")
        {
            return url.to_string();
        }
        let size = if parsed.path().starts_with("/iam/v2/role-bindings") {
            ROLE_BINDING_MAX_PAGE
        } else {
            MAX_PAGE
        };
        parsed
            .query_pairs_mut()
            .append_pair("page_size", &size.to_string());
        parsed.to_string()
    }

    /// A list's `data`.
    fn list_items<'v>(&self, body: &'v Value) -> Option<&'v Vec<Value>> {
        body.get("data").and_then(Value::as_array)
    }

    /// `errors[0].detail` (or `title`) in the `Failure` shape, or `message`
    /// in the role-binding shape.
    fn error_detail<'v>(&self, body: &'v Value) -> Option<&'v str> {
        body.pointer("/errors/0/detail")
            .or_else(|| body.pointer("/errors/0/title"))
            .or_else(|| body.get("message"))
            .and_then(Value::as_str)
    }

    /// 404, or the 403 Confluent answers for a role binding it does not
    /// have.
    fn already_absent(&self, url: &str, status: u16) -> bool {
        status == 404 || (status == 403 && url.contains("/iam/v2/role-bindings/"))
    }

    fn natural_key(&self, request: &HttpRequest) -> Option<Recovery> {
        natural_keys::recovery_for(self, request)
    }

    /// Its `kind` attribute is `user`, or its `customproperty3` is `User`
    /// (where the seed's import maps the account kind).
    fn creates_a_user(&self, request: &ProvisionRequest) -> bool {
        let is_user = |(name, value): &(String, AttributeValue)| match (name.as_str(), value) {
            ("kind", AttributeValue::Text(text)) => text.eq_ignore_ascii_case("user"),
            ("customproperty3", AttributeValue::Text(text)) => text == "User",
            _ => false,
        };
        request.user.iter().chain(&request.account).any(is_user)
    }

    fn access_attributes(&self) -> &'static [&'static str] {
        &access_import::ACCESS_ATTRIBUTES
    }

    /// User ids start `u-`, service accounts' `sa-`.
    fn is_user_id(&self, account_id: &str) -> bool {
        account_id.starts_with("u-")
    }

    fn test_connection<'a>(
        &'a self,
        client: Client<'a>,
        config: &'a Config,
    ) -> Pending<'a, ConnectionReport> {
        Box::pin(connection::test_connection(client, config))
    }

    fn import_access<'a>(
        &'a self,
        client: Client<'a>,
        config: &'a Config,
        pages: &'a dyn PageSink,
    ) -> Pending<'a, ()> {
        Box::pin(access_import::import_role_bindings(client, config, pages))
    }

    fn add_access<'a>(
        &'a self,
        client: Client<'a>,
        config: &'a Config,
        request: &'a ProvisionRequest,
    ) -> Pending<'a, ProvisionResult> {
        Box::pin(access_provision::add_access(client, config, request))
    }

    fn remove_access<'a>(
        &'a self,
        client: Client<'a>,
        config: &'a Config,
        request: &'a ProvisionRequest,
    ) -> Pending<'a, ProvisionResult> {
        Box::pin(access_provision::remove_access(client, config, request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_largest_page_size(url: &str, origin: &url::Origin) -> String {
        Confluent.with_largest_page(url, origin)
    }

    #[test]
    fn confluent_lists_ask_for_their_largest_page() {
        let origin = url::Url::parse("http://h:1").unwrap().origin();
        assert_eq!(
            "http://h:1/iam/v2/users?page_size=100",
            with_largest_page_size("http://h:1/iam/v2/users", &origin)
        );
        assert_eq!(
            "http://h:1/iam/v2/role-bindings?crn_pattern=c&page_size=1000",
            with_largest_page_size("http://h:1/iam/v2/role-bindings?crn_pattern=c", &origin)
        );
        assert_eq!(
            "http://h:1/iam/v2/users?page_size=5",
            with_largest_page_size("http://h:1/iam/v2/users?page_size=5", &origin)
        );
        assert_eq!(
            "http://other/iam/v2/users",
            with_largest_page_size("http://other/iam/v2/users", &origin)
        );
    }
}
