//! The Saviynt-style documents and their language: the import and
//! provisioning dialects, status rules, binding templates, expressions,
//! attribute mapping and date formats.

pub mod connection_doc;
pub mod dates;
pub mod documents;
pub mod expr;
pub mod import_doc;
pub mod mapping;
pub mod place;
pub mod provision_doc;
pub mod request_headers;
pub mod status_rules;
pub mod template;
pub mod urls;
