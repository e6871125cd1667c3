//! `describe`: what this connector is and what it supports.

use indexmap::IndexSet;

use crate::dialect::documents::Config;
use crate::dialect::import_doc::CallPlan;
use crate::model::ObjectKind;
use crate::provision::ProvisionOp;

/// The operations a connector may support, as the WIT names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `test-connection`.
    TestConnection,
    /// `import` of one kind of object.
    Import(ObjectKind),
    /// `provision` with one operation.
    Provision(ProvisionOp),
}

impl std::fmt::Display for Operation {
    /// `test-connection`, `import-accounts`, …, `create-account`, ….
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operation::TestConnection => f.write_str("test-connection"),
            Operation::Import(kind) => write!(f, "import-{}", kind.as_str()),
            Operation::Provision(operation) => f.write_str(operation.name()),
        }
    }
}

/// What `describe` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// The connector's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// What it supports today.
    pub operations: Vec<Operation>,
    /// Entitlement types, in import order.
    pub entitlement_types: Vec<String>,
    /// Account attribute names, from the import document.
    pub account_attributes: Vec<String>,
    /// Entitlement attribute names, from the import document.
    pub entitlement_attributes: Vec<String>,
    /// Access link attribute names, from the built-in access import.
    pub access_attributes: Vec<String>,
}

/// The distinct targets of the columns `calls` map, in order.
fn column_targets<'a>(calls: impl IntoIterator<Item = &'a CallPlan>) -> Vec<String> {
    let columns = calls.into_iter().flat_map(|call| &call.columns);
    let targets: IndexSet<_> = columns.map(|column| column.target.clone()).collect();
    targets.into_iter().collect()
}

/// Describes the connector as `config` configures it.
pub fn describe(config: &Config) -> Descriptor {
    let (target, ent_types) = (config.target(), &config.import.ent_types);
    Descriptor {
        name: target.name().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        operations: std::iter::once(Operation::TestConnection)
            .chain(ObjectKind::ALL.map(Operation::Import))
            .chain(ProvisionOp::ALL.map(Operation::Provision))
            .collect(),
        entitlement_types: ent_types.iter().map(|t| t.name.clone()).collect(),
        account_attributes: column_targets(&config.import.account_calls),
        entitlement_attributes: column_targets(ent_types.iter().flat_map(|t| &t.calls)),
        access_attributes: target
            .access_attributes()
            .iter()
            .map(|name| name.to_string())
            .collect(),
    }
}
