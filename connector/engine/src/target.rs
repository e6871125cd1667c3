//! What the generic engine asks of the target system it serves: how its
//! lists page and fail, which deletes mean "already gone", how a lost create
//! is found again, and the built-in operations no document describes.
//! Confluent Cloud's answers are in [`crate::confluent`]; a second target
//! system would be a sibling of it.

use serde_json::Value;

use futures_util::future::LocalBoxFuture;

use crate::client::{Client, HttpRequest, Recovery};
use crate::dialect::documents::Config;
use crate::error::ConnectorError;
use crate::import::PageSink;
use crate::model::Attributes;
use crate::provided::{Setting, Source};
use crate::provision::{ProvisionRequest, ProvisionResult};

/// What a successful connection test learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    /// A one-line description of what was reached.
    pub target: String,
    /// Facts about it.
    pub details: Attributes,
}

/// A boxed future of the target's built-ins.
pub type Pending<'a, T> = LocalBoxFuture<'a, Result<T, ConnectorError>>;

/// A target system's facts and built-ins.
pub trait Target: std::fmt::Debug + Sync {
    /// The name `describe` reports, such as `confluent-cloud`.
    fn name(&self) -> &'static str;

    /// The base URL the default documents are written for; their URLs on it
    /// are rewritten onto the configured one.
    fn default_base_url(&self) -> &'static str;

    /// The documents a configuration starts from: (name, JSON).
    fn default_documents(&self) -> &'static [(&'static str, &'static str)];

    /// The path prefixes under the base URL's path that a credential the
    /// guest holds itself is sent to, such as `iam/`.
    fn credential_paths(&self) -> &'static [&'static str];

    /// Where a host that cannot inject hands the guest `setting`.
    fn setting_source(&self, setting: Setting) -> Source;

    /// `url` asking one of the target's own lists for its largest page,
    /// unless it already names a size; any other URL as it is.
    fn with_largest_page(&self, url: &str, origin: &url::Origin) -> String;

    /// The items of one page of the target's own lists.
    fn list_items<'v>(&self, body: &'v Value) -> Option<&'v Vec<Value>>;

    /// The message an error body carries.
    fn error_detail<'v>(&self, body: &'v Value) -> Option<&'v str>;

    /// Whether a `DELETE` of `url` answered `status` means the object was
    /// already gone.
    fn already_absent(&self, url: &str, status: u16) -> bool;

    /// How to find what a JSON create `request` made, if its collection has
    /// a natural key.
    fn natural_key(&self, request: &HttpRequest) -> Option<Recovery>;

    /// Whether a create is for a user (an invitation) rather than a service
    /// account.
    fn creates_a_user(&self, request: &ProvisionRequest) -> bool;

    /// The attributes the built-in access import gives each access link.
    fn access_attributes(&self) -> &'static [&'static str];

    /// Whether `account_id` names a user rather than a service account.
    fn is_user_id(&self, account_id: &str) -> bool;

    /// Reads who the credentials belong to.
    fn test_connection<'a>(
        &'a self,
        client: Client<'a>,
        config: &'a Config,
    ) -> Pending<'a, ConnectionReport>;

    /// Imports every access link when no document describes the calls,
    /// delivering them page by page.
    fn import_access<'a>(
        &'a self,
        client: Client<'a>,
        config: &'a Config,
        pages: &'a dyn PageSink,
    ) -> Pending<'a, ()>;

    /// Grants access when no `AddAccessJSON` describes how.
    fn add_access<'a>(
        &'a self,
        client: Client<'a>,
        config: &'a Config,
        request: &'a ProvisionRequest,
    ) -> Pending<'a, ProvisionResult>;

    /// Revokes access when no `RemoveAccessJSON` describes how.
    fn remove_access<'a>(
        &'a self,
        client: Client<'a>,
        config: &'a Config,
        request: &'a ProvisionRequest,
    ) -> Pending<'a, ProvisionResult>;
}

/// Tests the connection to the configured target through `transport`.
pub async fn test_connection<T: crate::client::Transport>(
    transport: &T,
    config: &Config,
) -> Result<ConnectionReport, ConnectorError> {
    let target = config.target();
    target
        .test_connection(Client::new(transport, target, &config.retry), config)
        .await
}
