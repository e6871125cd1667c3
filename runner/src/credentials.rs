//! The Confluent Cloud API key and secret. They live only here, in the host:
//! the guest never sees them, and neither `Debug` nor any error prints them.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::files::{HostFileError, MAX_CREDENTIALS_BYTES, read_text_capped};

/// The environment variable holding the API key, as Confluent's CLI and
/// Terraform provider name it.
pub const API_KEY_VAR: &str = "CONFLUENT_CLOUD_API_KEY";
/// The environment variable holding the API secret.
pub const API_SECRET_VAR: &str = "CONFLUENT_CLOUD_API_SECRET";

/// An API key and secret.
#[derive(Clone)]
pub struct Credentials {
    key: String,
    secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Why credentials could not be read. Messages never include a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// Neither source had them.
    #[error(
        "no credentials: {}; set {API_KEY_VAR} and {API_SECRET_VAR}, or pass --credentials FILE",
        unset(.0)
    )]
    Missing(Vec<&'static str>),
    /// The file could not be read.
    #[error("credentials file: {0}")]
    Unreadable(HostFileError),
    /// The file is not the expected JSON.
    #[error(
        "credentials file '{path}' is not JSON of the form {{\"api_key\": \"…\", \"api_secret\": \"…\"}}: {problem}"
    )]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong, and where, without quoting the file.
        problem: String,
    },
}

/// Which of the variables are not set, in a sentence.
fn unset(names: &[&str]) -> String {
    match names {
        [name] => format!("{name} is not set or is empty"),
        names => format!("{} are not set or are empty", names.join(" and ")),
    }
}

/// The keys of a credentials file.
const FILE_KEYS: [&str; 2] = ["api_key", "api_secret"];

impl Credentials {
    /// Credentials from a key and a secret.
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
        }
    }

    /// Reads `CONFLUENT_CLOUD_API_KEY` and `CONFLUENT_CLOUD_API_SECRET`.
    pub fn from_env() -> Result<Self, CredentialsError> {
        let read = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
        match (read(API_KEY_VAR), read(API_SECRET_VAR)) {
            (Some(key), Some(secret)) => Ok(Self::new(key, secret)),
            (key, secret) => {
                let unset = [(API_KEY_VAR, key), (API_SECRET_VAR, secret)];
                let unset = unset.into_iter().filter(|(_, value)| value.is_none());
                Err(CredentialsError::Missing(
                    unset.map(|(name, _)| name).collect(),
                ))
            }
        }
    }

    /// Reads `{"api_key": "…", "api_secret": "…"}` from `path`. An error
    /// says what is wrong and where, never what the file holds. A file that
    /// its group or others can read is used, with a warning naming the fix.
    pub fn from_file(path: &Path) -> Result<Self, CredentialsError> {
        let text = read_text_capped(path, "credentials file", MAX_CREDENTIALS_BYTES)
            .map_err(CredentialsError::Unreadable)?;
        let malformed = |problem: String| CredentialsError::Malformed {
            path: path.display().to_string(),
            problem,
        };
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            malformed(format!(
                "it does not parse at line {}, column {}",
                e.line(),
                e.column()
            ))
        })?;
        let object = json
            .as_object()
            .ok_or_else(|| malformed("it is not a JSON object".to_string()))?;
        if object.keys().any(|key| !FILE_KEYS.contains(&key.as_str())) {
            // The key is not named: it could be the secret itself.
            return Err(malformed(
                "it has a key other than api_key and api_secret".to_string(),
            ));
        }
        let [key, secret] = FILE_KEYS.map(|name| match object.get(name) {
            Some(serde_json::Value::String(text)) if !text.is_empty() => Ok(text.clone()),
            Some(serde_json::Value::String(_)) => Err(malformed(format!("{name} is empty"))),
            Some(_) => Err(malformed(format!("{name} is not text"))),
            None => Err(malformed(format!("{name} is missing"))),
        });
        let credentials = Self::new(key?, secret?);
        warn_if_others_can_read(path);
        Ok(credentials)
    }

    /// The API key (an identifier, not a secret).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether `text` holds the secret, as it is or as the `Authorization`
    /// header carries it, so that the host never hands it to the guest. A
    /// JSON text is also read string by string, so an escape (`\/` for `/`)
    /// cannot hide it.
    pub fn secret_appears_in(&self, text: &str) -> bool {
        let forms = self.leak_forms();
        let holds = |text: &str| forms.iter().any(|form| text.contains(form.as_str()));
        holds(text)
            || (text.contains('\\')
                && serde_json::from_str::<serde_json::Value>(text)
                    .is_ok_and(|json| json_strings_any(&json, &holds)))
    }

    /// What the secret looks like where it could leak: itself and the
    /// base64 of `key:secret` that the header carries, each as it is,
    /// JSON-escaped (`\/`, or every sign as `\u00XX`) and percent-encoded.
    /// Empty when the secret is.
    pub(crate) fn leak_forms(&self) -> Vec<String> {
        if self.secret.is_empty() {
            return Vec::new();
        }
        let header = self.authorization();
        let mut forms = Vec::new();
        for text in [self.secret.as_str(), &header["Basic ".len()..]] {
            let signs_as = |encode: fn(char) -> String| -> String {
                text.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_string()
                        } else {
                            encode(c)
                        }
                    })
                    .collect()
            };
            forms.push(text.to_string());
            for variant in [
                text.replace('/', "\\/"),
                signs_as(|c| format!("\\u{:04x}", u32::from(c))),
                signs_as(|c| format!("%{:02X}", u32::from(c))),
            ] {
                if !forms.contains(&variant) {
                    forms.push(variant);
                }
            }
        }
        forms
    }

    /// The `Authorization` header value: `Basic base64(key:secret)`.
    pub(crate) fn authorization(&self) -> String {
        format!(
            "Basic {}",
            BASE64.encode(format!("{}:{}", self.key, self.secret))
        )
    }
}

/// Warns when the credentials file at `path` is open to its group or to
/// others: the secret should be its owner's alone, as `ssh` asks of a key.
fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(metadata) = std::fs::metadata(path) else {
            return;
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let shown = crate::text::escape_controls(&path.display().to_string()).into_owned();
            tracing::warn!(
                "the credentials file '{shown}' can be read or written by its group or by others \
                 (mode {mode:04o}); run `chmod 600 '{shown}'` so that only its owner can"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Whether any string in `json`, key or value, satisfies `test`.
fn json_strings_any(json: &serde_json::Value, test: &impl Fn(&str) -> bool) -> bool {
    match json {
        serde_json::Value::String(text) => test(text),
        serde_json::Value::Array(items) => items.iter().any(|item| json_strings_any(item, test)),
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(key, value)| test(key) || json_strings_any(value, test)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let shown = format!("{:?}", Credentials::new("KEY", "hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("KEY"));
    }

    #[test]
    fn authorization_is_basic_base64_of_key_and_secret() {
        assert_eq!(
            "Basic S0VZOmh1bnRlcjI=",
            Credentials::new("KEY", "hunter2").authorization()
        );
    }

    #[test]
    fn the_secret_is_found_as_it_is_and_as_the_header_carries_it() {
        let credentials = Credentials::new("KEY", "hunter2");
        assert!(credentials.secret_appears_in(r#"{"api_key":"KEY","api_secret":"hunter2"}"#));
        assert!(credentials.secret_appears_in("Authorization: Basic S0VZOmh1bnRlcjI="));
        assert!(!credentials.secret_appears_in(r#"{"format":1,"key":"KEY"}"#));
        let signed = Credentials::new("K", "a+b/c=");
        for form in ["a%2Bb%2Fc%3D", "a\\u002bb\\u002fc\\u003d", "a+b\\/c="] {
            assert!(signed.secret_appears_in(form), "{form}");
        }
        assert!(Credentials::new("K", "").leak_forms().is_empty());
        let slashed = Credentials::new("KEY1", "ab+cd/ef==SECRETxyz");
        for hidden in [
            r#"{"api_key":"KEY1","api_secret":"ab+cd\/ef==SECRETxyz"}"#,
            r#"{"format":"ab+cd\u002fef==SECRETxyz"}"#,
            r#"{"ab+cd\/ef==SECRETxyz":1}"#,
        ] {
            assert!(slashed.secret_appears_in(hidden), "{hidden}");
        }
    }

    #[test]
    fn a_malformed_file_error_does_not_echo_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.json");
        std::fs::write(
            &path,
            r#"{"api_key": "K", "api_secret": 42, "hunter2": true}"#,
        )
        .unwrap();
        let error = Credentials::from_file(&path).unwrap_err().to_string();
        assert!(
            !error.contains("hunter2") && !error.contains("42"),
            "{error}"
        );
        assert!(error.contains("a key other than"), "{error}");
        for (text, problem) in [
            (
                r#"{"api_key": "K", "api_secret": 42}"#,
                "api_secret is not text",
            ),
            (r#"{"api_key": "K"}"#, "api_secret is missing"),
            (r#"{"api_key": "", "api_secret": "s"}"#, "api_key is empty"),
            (r#"["K", "hunter2"]"#, "it is not a JSON object"),
            (
                "{\"api_key\": \"K\",\n \"api_secret\": \"hunter2\",}",
                "line 2, column",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let error = Credentials::from_file(&path).unwrap_err().to_string();
            assert!(error.contains(problem), "{text}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }
}
