//! Every fact about Confluent Cloud: role bindings as access, CRNs, the
//! natural keys of idempotent creates and the connection check.

pub mod access_import;
pub mod access_provision;
pub mod connection;
pub mod crn;
pub mod natural_keys;
