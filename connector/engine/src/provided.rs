//! The settings a host hands a guest it cannot inject the credential for
//! (`wasmtime serve`, Node, wasmCloud): the API key and secret, the base URL
//! and documents. Each is read from `wasi:config/store` under its key, else
//! from the environment under its variable; the target names both. A host
//! that injects (this project's runner) hands no credential, and the guest
//! holds none.

use crate::client::credential::Credential;
use crate::error::ConnectorError;
use crate::target::Target;

/// A setting a host may hand the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The API key.
    ApiKey,
    /// The API secret.
    ApiSecret,
    /// The target's base URL, the one origin the credential goes to.
    BaseUrl,
    /// Documents, as a JSON object by name, that replace the built-in
    /// defaults; a request's own replace these in turn.
    Documents,
    /// The bearer token every request to the HTTP entry point must carry;
    /// without one, the entry point serves whoever reaches it.
    ServiceToken,
}

impl Setting {
    /// Every setting.
    pub const ALL: [Self; 5] = [
        Self::ApiKey,
        Self::ApiSecret,
        Self::BaseUrl,
        Self::Documents,
        Self::ServiceToken,
    ];
}

/// Where one setting is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// Its key in `wasi:config/store`.
    pub store_key: &'static str,
    /// Its environment variable, if the environment may hold it.
    pub variable: Option<&'static str>,
}

/// The settings a host handed the guest. Its `Debug` names which are set,
/// never their values.
#[derive(Default)]
pub struct Provided {
    values: Vec<(Setting, String)>,
}

impl std::fmt::Debug for Provided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: Vec<Setting> = self.values.iter().map(|(setting, _)| *setting).collect();
        f.debug_struct("Provided").field("set", &set).finish()
    }
}

impl Provided {
    /// Reads each of `target`'s settings from `store` (a `wasi:config/store`
    /// lookup), and from `environment` when the store has no value for it.
    /// An empty value counts as none, but for the service token: one set
    /// empty, and in neither place otherwise, is kept empty, so that the
    /// entry point refuses every request (see
    /// [`authorize`](crate::service::authorize)) rather than serve them all.
    /// A store that fails is an error naming the key, not its value.
    pub fn read(
        target: &dyn Target,
        mut store: impl FnMut(&str) -> Result<Option<String>, String>,
        environment: &[(String, String)],
    ) -> Result<Self, ConnectorError> {
        let mut values = Vec::new();
        for setting in Setting::ALL {
            let source = target.setting_source(setting);
            let stored = store(source.store_key).map_err(|error| {
                ConnectorError::Config(format!(
                    "the host's configuration store could not give '{}': {error}",
                    source.store_key
                ))
            })?;
            let from_environment = source.variable.and_then(|variable| {
                let (_, value) = environment.iter().find(|(name, _)| name == variable)?;
                Some(value.clone())
            });
            let found = [stored, from_environment];
            match found.iter().flatten().find(|value| !value.is_empty()) {
                Some(value) => values.push((setting, value.clone())),
                None if setting == Setting::ServiceToken && found.iter().any(Option::is_some) => {
                    values.push((setting, String::new()));
                }
                None => {}
            }
        }
        Ok(Self { values })
    }

    /// The value of `setting`, if the host handed one.
    fn get(&self, setting: Setting) -> Option<&str> {
        let (_, value) = self.values.iter().find(|(set, _)| *set == setting)?;
        Some(value)
    }

    /// The base URL the host named, or `target`'s default.
    pub fn base_url<'a>(&'a self, target: &dyn Target) -> &'a str {
        self.get(Setting::BaseUrl)
            .unwrap_or_else(|| target.default_base_url())
    }

    /// The credential for `target`'s own APIs under `base_url`, when the
    /// host handed both the key and the secret.
    pub fn credential(&self, target: &dyn Target, base_url: &str) -> Option<Credential> {
        let key = self.get(Setting::ApiKey)?;
        let secret = self.get(Setting::ApiSecret)?;
        Credential::new(base_url, target.credential_paths(), key, secret)
    }

    /// The documents the host handed, as the JSON text of an object by
    /// name, if any.
    pub fn documents(&self) -> Option<&str> {
        self.get(Setting::Documents)
    }

    /// The bearer token the HTTP entry point requires, if the host set one;
    /// empty if the host set it empty.
    pub fn service_token(&self) -> Option<&str> {
        self.get(Setting::ServiceToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confluent::Confluent;

    fn environment(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        let pair = |(name, value): &(&str, &str)| (name.to_string(), value.to_string());
        pairs.iter().map(pair).collect()
    }

    fn store<'a>(
        pairs: &'a [(&'a str, &'a str)],
    ) -> impl FnMut(&str) -> Result<Option<String>, String> + 'a {
        move |key| {
            let found = pairs.iter().find(|(name, _)| *name == key);
            Ok(found.map(|(_, value)| value.to_string()))
        }
    }

    #[test]
    fn the_store_comes_before_the_environment_and_empty_counts_as_none() {
        let stored = [
            ("confluent_cloud_api_key", "STORE-KEY"),
            ("confluent_cloud_api_secret", ""),
            ("documents", r#"{"ConnectionJSON": {}}"#),
        ];
        let variables = environment(&[
            ("CONFLUENT_CLOUD_API_KEY", "ENV-KEY"),
            ("CONFLUENT_CLOUD_API_SECRET", "ENV-SECRET"),
            ("CONFLUENT_BASE_URL", ""),
        ]);
        let provided = Provided::read(&Confluent, store(&stored), &variables).unwrap();
        assert_eq!(provided.get(Setting::ApiKey), Some("STORE-KEY"));
        assert_eq!(provided.get(Setting::ApiSecret), Some("ENV-SECRET"));
        assert_eq!(provided.base_url(&Confluent), "https://api.confluent.cloud");
        assert_eq!(provided.documents(), Some(r#"{"ConnectionJSON": {}}"#));
        let shown = format!("{provided:?}");
        assert!(
            !shown.contains("KEY") && !shown.contains("SECRET"),
            "{shown}"
        );
    }

    #[test]
    fn a_credential_needs_both_halves() {
        let only_key = [("confluent_cloud_api_key", "K")];
        let provided = Provided::read(&Confluent, store(&only_key), &[]).unwrap();
        assert!(provided.credential(&Confluent, "https://t").is_none());
        let both = [
            ("confluent_cloud_api_key", "K"),
            ("confluent_cloud_api_secret", "S"),
            ("confluent_base_url", "http://127.0.0.1:9/"),
        ];
        let provided = Provided::read(&Confluent, store(&both), &[]).unwrap();
        assert_eq!(provided.base_url(&Confluent), "http://127.0.0.1:9/");
        assert!(
            provided
                .credential(&Confluent, "http://127.0.0.1:9/")
                .is_some()
        );
    }

    #[test]
    fn a_failing_store_names_the_key_and_no_value() {
        let failing = |key: &str| Err(format!("vault sealed while reading {}", key.len()));
        let variables = environment(&[("CONFLUENT_CLOUD_API_KEY", "ENV-KEY")]);
        let error = Provided::read(&Confluent, failing, &variables).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("'confluent_cloud_api_key'"), "{text}");
        assert!(
            text.contains("vault sealed") && !text.contains("ENV-KEY"),
            "{text}"
        );
    }
}
