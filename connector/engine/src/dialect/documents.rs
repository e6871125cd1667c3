//! The configuration: the Saviynt-style documents a host passes in, over the
//! built-in defaults, checked once when loaded.

use serde::de::DeserializeOwned;

use crate::client::RetryPolicy;
use crate::dialect::connection_doc::{CONNECTION_DOCUMENT, ConnectionDocument};
use crate::dialect::import_doc::{IMPORT_DOCUMENT, ImportPlan};
use crate::dialect::provision_doc::ProvisionPlan;
use crate::dialect::urls::has_userinfo;
use crate::error::{ConfigError, ConnectorError};
use crate::printable::printable;
use crate::target::Target;

/// Document names the connector reads; any other name is a config error.
pub const KNOWN_DOCUMENTS: &[&str] = &[
    CONNECTION_DOCUMENT,
    IMPORT_DOCUMENT,
    "CreateAccountJSON",
    "UpdateAccountJSON",
    "RemoveAccountJSON",
    "AddAccessJSON",
    "RemoveAccessJSON",
    "CreateUserJSON",
    "RemoveUserJSON",
];

/// A loaded, checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    target: &'static dyn Target,
    base_url: url::Url,
    /// How requests are retried and paced, from `ConnectionJSON`.
    pub retry: RetryPolicy,
    /// The compiled import document.
    pub import: ImportPlan,
    /// The compiled provisioning documents.
    pub provisioning: ProvisionPlans,
    /// Things worth telling the operator that do not stop the load, such as
    /// unknown keys.
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads `documents` (name, JSON) over `target`'s defaults for
    /// `base_url`.
    pub fn load(
        target: &'static dyn Target,
        base_url: &str,
        documents: &[(String, String)],
    ) -> Result<Self, ConnectorError> {
        // The base URL is not quoted: it could hold a password.
        let parsed = url::Url::parse(base_url)
            .map_err(|e| ConnectorError::Config(format!("the base URL is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host().is_none()
            || has_userinfo(&parsed)
        {
            return Err(ConnectorError::Config(format!(
                "base URL on {} must be an http or https URL with a host and no user or password",
                parsed.origin().ascii_serialization()
            )));
        }
        if let Some((name, _)) = documents
            .iter()
            .find(|(name, _)| !KNOWN_DOCUMENTS.contains(&name.as_str()))
        {
            return Err(ConnectorError::Config(format!(
                "unknown document '{name}'; expected one of {KNOWN_DOCUMENTS:?}"
            )));
        }
        let text = |name: &str| {
            let given = documents.iter().rev();
            let given = given.map(|(n, json)| (n.as_str(), json.as_str()));
            given
                .chain(target.default_documents().iter().copied())
                .find(|(n, _)| *n == name)
                .map(|(_, json)| json)
        };
        let mut warnings = Vec::new();
        for (name, json) in documents {
            serde_json::from_str::<serde_json::Value>(json)
                .map_err(|e| ConfigError::new(name, "", format!("not valid JSON: {e}")))?;
        }
        let retry = parse_document::<ConnectionDocument>(
            CONNECTION_DOCUMENT,
            text(CONNECTION_DOCUMENT).unwrap_or("{}"),
            &mut warnings,
        )?
        .retry_policy()?;
        let import = ImportPlan::compile(&parse_document(
            IMPORT_DOCUMENT,
            text(IMPORT_DOCUMENT).unwrap_or("{}"),
            &mut warnings,
        )?)?;
        let mut plan = |name: &str| -> Result<Option<ProvisionPlan>, ConfigError> {
            let Some(json) = text(name) else {
                return Ok(None);
            };
            ProvisionPlan::compile(name, &parse_document(name, json, &mut warnings)?).map(Some)
        };
        let builtin = "a built-in document is always present";
        let provisioning = ProvisionPlans {
            create_account: plan("CreateAccountJSON")?.expect(builtin),
            update_account: plan("UpdateAccountJSON")?.expect(builtin),
            remove_account: plan("RemoveAccountJSON")?.expect(builtin),
            create_user: plan("CreateUserJSON")?.expect(builtin),
            remove_user: plan("RemoveUserJSON")?.expect(builtin),
            add_access: plan("AddAccessJSON")?,
            remove_access: plan("RemoveAccessJSON")?,
        };
        Ok(Self {
            target,
            base_url: parsed,
            retry,
            import,
            provisioning,
            warnings,
        })
    }

    /// The target system the configuration is for.
    pub fn target(&self) -> &'static dyn Target {
        self.target
    }

    /// The configured base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// The configured origin, such as `https://api.confluent.cloud:443`.
    pub fn origin(&self) -> url::Origin {
        self.base_url.origin()
    }

    /// Rewrites a URL on the target's default base URL (the one its default
    /// documents are written for) onto the configured base URL.
    pub fn resolve_url(&self, url: &str) -> String {
        match url.strip_prefix(self.target.default_base_url()) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') => {
                format!("{}{rest}", self.base_url())
            }
            _ => url.to_string(),
        }
    }
}

/// The compiled provisioning documents. Access has no document by default:
/// the built-in role-binding logic serves it unless one is given.
#[derive(Debug, Clone)]
pub struct ProvisionPlans {
    /// `CreateAccountJSON`: service accounts.
    pub create_account: ProvisionPlan,
    /// `UpdateAccountJSON`.
    pub update_account: ProvisionPlan,
    /// `RemoveAccountJSON`: service accounts.
    pub remove_account: ProvisionPlan,
    /// `CreateUserJSON`: users, by invitation.
    pub create_user: ProvisionPlan,
    /// `RemoveUserJSON`.
    pub remove_user: ProvisionPlan,
    /// `AddAccessJSON`, when given.
    pub add_access: Option<ProvisionPlan>,
    /// `RemoveAccessJSON`, when given.
    pub remove_access: Option<ProvisionPlan>,
}

/// Parses one document into `T`, naming the JSON path of any error and
/// collecting unknown keys as warnings.
pub fn parse_document<T: DeserializeOwned>(
    name: &str,
    json: &str,
    warnings: &mut Vec<String>,
) -> Result<T, ConfigError> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| ConfigError::new(name, "", format!("not valid JSON: {e}")))?;
    let mut note_unknown = |path: serde_ignored::Path<'_>| {
        // serde_ignored writes `?` for each `Option` it passes through.
        let path = path.to_string().replace(".?", "").replace("?.", "");
        let path = printable(&path);
        warnings.push(format!("{name}: unknown key at {path} is ignored"));
    };
    let deserializer = serde_ignored::Deserializer::new(value, &mut note_unknown);
    serde_path_to_error::deserialize(deserializer)
        .map_err(|e| ConfigError::new(name, e.path().to_string(), e.inner().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confluent::Confluent;

    fn load(documents: &[(&str, &str)]) -> Result<Config, ConnectorError> {
        let documents: Vec<_> = documents
            .iter()
            .map(|(n, j)| (n.to_string(), j.to_string()))
            .collect();
        Config::load(&Confluent, "http://127.0.0.1:9", &documents)
    }

    #[test]
    fn the_seed_documents_load_as_the_defaults() {
        let config = load(&[]).unwrap();
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        assert_eq!(2, config.import.account_calls.len());
        let types: Vec<_> = config
            .import
            .ent_types
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(vec!["organization", "environment"], types);
    }

    #[test]
    fn urls_on_the_default_origin_move_to_the_base_url() {
        let config = load(&[]).unwrap();
        assert_eq!(
            "http://127.0.0.1:9/iam/v2/users",
            config.resolve_url("https://api.confluent.cloud/iam/v2/users")
        );
        assert_eq!(
            "https://api.confluent.cloud.evil/x",
            config.resolve_url("https://api.confluent.cloud.evil/x")
        );
        assert_eq!(
            "https://other.example/x",
            config.resolve_url("https://other.example/x")
        );
    }

    #[test]
    fn a_wrong_type_names_the_document_and_the_path() {
        let doc = r#"{"accountParams":{"call":{"call1":{"http":{"url":"u"},"listField":3,"keyField":"id","colsToPropsMap":{}}}}}"#;
        let error = load(&[("ImportAccountEntJSON", doc)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("ImportAccountEntJSON: at accountParams.call.call1.listField: invalid type: integer `3`, expected a string"), "{error}");
    }

    #[test]
    fn a_key_field_that_is_never_mapped_is_an_error() {
        let doc = r#"{"accountParams":{"call":{"c":{"http":{"url":"u"},"keyField":"accountId","colsToPropsMap":{"accountID":"id~#~char"}}}}}"#;
        let error = load(&[("ImportAccountEntJSON", doc)])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "at accountParams.call.c.keyField: 'accountId' is not a target of colsToPropsMap"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_bad_mapping_type_names_its_path() {
        let doc = r#"{"accountParams":{"call":{"c":{"http":{"url":"u"},"keyField":"a","colsToPropsMap":{"a":"id~#~chr"}}}}}"#;
        let error = load(&[("ImportAccountEntJSON", doc)])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("at accountParams.call.c.colsToPropsMap.a: unknown type 'chr'"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_key_is_a_warning() {
        let doc = r#"{"accountParams":{"call":{"c":{"http":{"url":"u"},"keyField":"a","listFeild":"data","colsToPropsMap":{"a":"id"}}}}}"#;
        let config = load(&[("ImportAccountEntJSON", doc)]).unwrap();
        assert_eq!(
            vec![
                "ImportAccountEntJSON: unknown key at accountParams.call.c.listFeild is ignored"
                    .to_string()
            ],
            config.warnings
        );
    }

    #[test]
    fn a_control_character_in_a_key_cannot_start_a_log_line() {
        let doc = "{\"accountParams\":{\"call\":{\"c\":{\"http\":{\"url\":\"u\"},\"keyField\":\"a\",\"colsToPropsMap\":{\"a\":\"id\"},\"x\\nwarning: forged\\u001b[0m\":1}}}}";
        let config = load(&[("ImportAccountEntJSON", doc)]).unwrap();
        assert_eq!(
            vec![
                "ImportAccountEntJSON: unknown key at accountParams.call.c.x\\nwarning: forged\\u{1b}[0m is ignored"
                    .to_string()
            ],
            config.warnings
        );
        let doc = "{\"accountParams\":{\"call\":{\"c\\nerror: forged\":{\"http\":{\"url\":\"u\"},\"keyField\":3}}}}";
        let error = load(&[("ImportAccountEntJSON", doc)])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("at accountParams.call.c\\nerror: forged.keyField:"),
            "{error}"
        );
    }

    #[test]
    fn a_base_url_with_a_user_or_password_is_refused_without_echoing_it() {
        let error = Config::load(&Confluent, "http://u:secret@127.0.0.1:9", &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            "config error: base URL on http://127.0.0.1:9 must be an http or https URL with a host and no user or password",
            error
        );
        for unparsable in ["http://u:secret@127.0.0.1:99999", "http://u:sec/ret@h/"] {
            let error = Config::load(&Confluent, unparsable, &[])
                .unwrap_err()
                .to_string();
            assert!(!error.contains("sec"), "{error}");
        }
    }

    #[test]
    fn invalid_json_and_unknown_documents_are_errors() {
        let error = load(&[("CreateAccountJSON", "{")]).unwrap_err().to_string();
        assert!(
            error.starts_with("config error: CreateAccountJSON: not valid JSON"),
            "{error}"
        );
        let error = load(&[("ImportJSON", "{}")]).unwrap_err().to_string();
        assert!(error.contains("unknown document 'ImportJSON'"), "{error}");
    }
}
