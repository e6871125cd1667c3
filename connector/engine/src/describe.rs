//! `describe`: what this connector is and what it supports.

use crate::dialect::documents::Config;

/// The operations a connector may support, as the WIT names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `test-connection`.
    TestConnection,
    /// `import` of accounts.
    ImportAccounts,
    /// `import` of entitlements.
    ImportEntitlements,
    /// `import` of access.
    ImportAccess,
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
}

/// Describes the connector as `config` configures it.
pub fn describe(config: &Config) -> Descriptor {
    let mut account_attributes = Vec::new();
    for column in config
        .import
        .account_calls
        .iter()
        .flat_map(|call| &call.columns)
    {
        if !account_attributes.contains(&column.target) {
            account_attributes.push(column.target.clone());
        }
    }
    let mut entitlement_attributes = Vec::new();
    let ent_calls = config.import.ent_types.iter().flat_map(|t| &t.calls);
    for column in ent_calls.flat_map(|call| &call.columns) {
        if !entitlement_attributes.contains(&column.target) {
            entitlement_attributes.push(column.target.clone());
        }
    }
    Descriptor {
        name: "confluent-cloud".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        operations: vec![
            Operation::TestConnection,
            Operation::ImportAccounts,
            Operation::ImportEntitlements,
            Operation::ImportAccess,
            Operation::CreateAccount,
            Operation::UpdateAccount,
            Operation::RemoveAccount,
            Operation::AddAccess,
            Operation::RemoveAccess,
        ],
        entitlement_types: config
            .import
            .ent_types
            .iter()
            .map(|t| t.name.clone())
            .collect(),
        account_attributes,
        entitlement_attributes,
    }
}
