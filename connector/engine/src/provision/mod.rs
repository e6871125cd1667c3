//! Provisioning: [`dispatch`] chooses a document's plan or a target's
//! built-in for each operation; [`plan`] runs a plan's calls; [`render`]
//! renders a call, or only shows it in a dry run; [`judge`] sends one call
//! and judges its response; [`audit`] keeps the list of exchanges.
//!
//! Every call goes through an [`AuditedTransport`], so the result lists each
//! HTTP exchange (method, URL, status, duration) and nothing else: headers and
//! bodies are not kept, and the credential is the host's alone.

pub mod audit;
pub mod dispatch;
pub mod judge;
pub mod plan;
pub mod render;

pub use audit::AuditedTransport;
pub use dispatch::provision;
pub use plan::{request_bindings, run_plan};
pub use render::rendered_call;

use crate::model::Attributes;

/// The provisioning operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionOp {
    /// `create-account`.
    CreateAccount,
    /// `update-account`.
    UpdateAccount,
    /// `remove-account`.
    RemoveAccount,
    /// `add-access`.
    AddAccess,
    /// `remove-access`.
    RemoveAccess,
}

impl ProvisionOp {
    /// Every operation, in the WIT's order; [`provision`] serves each.
    pub const ALL: [ProvisionOp; 5] = [
        ProvisionOp::CreateAccount,
        ProvisionOp::UpdateAccount,
        ProvisionOp::RemoveAccount,
        ProvisionOp::AddAccess,
        ProvisionOp::RemoveAccess,
    ];

    /// The operation's name, as the WIT spells it.
    pub fn name(self) -> &'static str {
        match self {
            ProvisionOp::CreateAccount => "create-account",
            ProvisionOp::UpdateAccount => "update-account",
            ProvisionOp::RemoveAccount => "remove-account",
            ProvisionOp::AddAccess => "add-access",
            ProvisionOp::RemoveAccess => "remove-access",
        }
    }
}

/// A provisioning request, as a host platform sends one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionRequest {
    /// The host's request id, for `${requestid}`.
    pub request_id: Option<String>,
    /// The target account's id.
    pub account_id: Option<String>,
    /// The identity's attributes, for `${user.*}`.
    pub user: Attributes,
    /// The account's attributes, for `${account.*}`.
    pub account: Attributes,
    /// The entitlement type, for access.
    pub ent_type: Option<String>,
    /// The entitlement id, for access.
    pub entitlement_id: Option<String>,
    /// The role, for access.
    pub role: Option<String>,
    /// Render every call and send none.
    pub dry_run: bool,
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked.
    Done,
    /// What it was asked to create was already there.
    AlreadyExisted,
    /// What it was asked to remove was already gone.
    AlreadyAbsent,
    /// Nothing was sent (`dry-run`).
    DryRun,
}

impl Outcome {
    /// The outcome's name, as the WIT spells it.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::AlreadyExisted => "already-existed",
            Outcome::AlreadyAbsent => "already-absent",
            Outcome::DryRun => "dry-run",
        }
    }
}

/// One HTTP exchange, for the audit list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The status, when a response came.
    pub status: Option<u16>,
    /// How long it took.
    pub duration_ms: u64,
}

/// A call as a dry run renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCall {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// Headers, without `Authorization`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<String>,
}

/// What an operation returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionResult {
    /// The account's id.
    pub account_id: Option<String>,
    /// The account's attributes as the responses give them.
    pub attributes: Attributes,
    /// How it ended.
    pub outcome: Outcome,
    /// The HTTP calls made.
    pub calls: Vec<HttpCall>,
    /// The calls a dry run rendered.
    pub rendered: Vec<RenderedCall>,
}
