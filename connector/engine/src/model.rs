//! The records an import produces, mirroring the WIT `types` interface.

/// One attribute value, typed by the mapping (`~#~char`, `~#~int`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// The source field was absent or null.
    Absent,
    /// `char`, `date` and `epochdate` values.
    Text(String),
    /// `int` values.
    Integer(i64),
    /// `bool` values.
    Boolean(bool),
}

/// Named attribute values, in mapping order.
pub type Attributes = Vec<(String, AttributeValue)>;

/// Where an object stands after an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Present in the target system.
    Active,
    /// An account that disappeared.
    Suspended,
    /// An entitlement that disappeared.
    Inactive,
    /// An access link that disappeared.
    Removed,
}

/// A user or service account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The value of the document's `keyField`.
    pub id: String,
    /// Its status.
    pub status: Status,
    /// Mapped attributes.
    pub attributes: Attributes,
}

/// An organization, an environment, or another entitlement type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    /// The `entTypes` key, such as `environment`.
    pub ent_type: String,
    /// The value of the type's `keyField`.
    pub id: String,
    /// Its status.
    pub status: Status,
    /// Mapped attributes.
    pub attributes: Attributes,
}

/// A link between an account and an entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The account's id.
    pub account_id: String,
    /// The entitlement's type.
    pub ent_type: String,
    /// The entitlement's id.
    pub entitlement_id: String,
    /// Its status.
    pub status: Status,
    /// Attributes of the link, such as the role.
    pub attributes: Attributes,
}

/// One imported object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An account.
    Account(Account),
    /// An entitlement.
    Entitlement(Entitlement),
    /// An access link.
    Access(Access),
}

/// Which objects an import brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// Users and service accounts.
    Accounts,
    /// Organizations and environments.
    Entitlements,
    /// Role bindings.
    Access,
}

/// Counts of what an import emitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Accounts emitted.
    pub accounts: u64,
    /// Entitlements emitted.
    pub entitlements: u64,
    /// Access links emitted.
    pub access: u64,
    /// HTTP responses read.
    pub pages: u64,
}

/// Where imported records go, in bounded batches.
pub trait RecordSink {
    /// Accepts one batch; an error stops the import.
    fn emit(&mut self, batch: Vec<Record>) -> Result<(), String>;
}
