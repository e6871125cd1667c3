//! `statusAndThresholdConfig`: what becomes of objects that disappear, and how
//! many may disappear in one run before the import refuses to believe it.
//!
//! | Key | Meaning | Default |
//! |---|---|---|
//! | `accountThresholdValue` | The most accounts one run may suspend: a count (`50`) or a percentage of the accounts in the state (`"10%"`). | 10% of the state, but always at least 5 |
//! | `entThresholdValue` | The same for entitlements marked inactive. | 10% of the state, but always at least 5 |
//! | `inactivateAccountsNotInFile` | Accounts that disappeared come out `inactive` instead of `suspended`. | `false` |
//! | `deleteLinks` | Access links of an account that disappeared come out `removed`; otherwise they are left as they were. | `false` |
//!
//! Saviynt writes booleans and numbers as strings as often as not; both are
//! accepted.

use serde::Deserialize;

use crate::dialect::import_doc::IMPORT_DOCUMENT;
use crate::dialect::place::Place;
use crate::error::ConfigError;
use crate::model::Status;

/// The block as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusAndThresholdConfig {
    /// See the module documentation.
    pub account_threshold_value: Option<Loose>,
    /// See the module documentation.
    pub ent_threshold_value: Option<Loose>,
    /// See the module documentation.
    pub inactivate_accounts_not_in_file: Option<Loose>,
    /// See the module documentation.
    pub delete_links: Option<Loose>,
}

/// A scalar as Saviynt documents write them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Loose {
    /// `true`.
    Bool(bool),
    /// `30`.
    Number(serde_json::Number),
    /// `"30"`, `"10%"`, `"true"`.
    Text(String),
}

/// How many objects one run may mark gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// At most this many.
    Count(u64),
    /// At most this percentage of the objects in the state, in hundredths
    /// of a percent (`1250` is 12.5%).
    Percent(u32),
    /// The default: 10% of the state, but always at least 5.
    Default,
}

impl Threshold {
    /// The most objects a run may mark gone when the state holds `known`.
    pub fn limit(self, known: usize) -> u64 {
        let percent = |hundredths: u32| known as u64 * u64::from(hundredths) / 10_000;
        match self {
            Threshold::Count(n) => n,
            Threshold::Percent(p) => percent(p),
            Threshold::Default => percent(1_000).max(5),
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Count(n) => write!(f, "{n}"),
            // Written without floating point, whose formatting would add
            // about 20 KB to the component.
            Threshold::Percent(p) => {
                let (whole, hundredths) = (p / 100, p % 100);
                match (hundredths, hundredths % 10) {
                    (0, _) => write!(f, "{whole}%"),
                    (_, 0) => write!(f, "{whole}.{}%", hundredths / 10),
                    _ => write!(f, "{whole}.{hundredths:02}%"),
                }
            }
            Threshold::Default => f.write_str("the default of 10% (at least 5)"),
        }
    }
}

/// The compiled rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatusRules {
    /// `accountThresholdValue`.
    pub account_threshold: Threshold,
    /// `entThresholdValue`.
    pub ent_threshold: Threshold,
    /// The status of an account that disappeared.
    pub gone_account_status: Status,
    /// `deleteLinks`.
    pub delete_links: bool,
}

impl Default for StatusRules {
    fn default() -> Self {
        Self {
            account_threshold: Threshold::Default,
            ent_threshold: Threshold::Default,
            gone_account_status: Status::Suspended,
            delete_links: false,
        }
    }
}

impl StatusRules {
    /// Checks and compiles the block.
    pub fn compile(block: &StatusAndThresholdConfig) -> Result<Self, ConfigError> {
        let place = Place::new(IMPORT_DOCUMENT, "statusAndThresholdConfig");
        let error = |key: &str, value: &Loose, expected: &str| {
            place.error(key, format!("{} is not {expected}", show(value)))
        };
        let threshold = |key: &str, value: &Option<Loose>| match value {
            None => Ok(Threshold::Default),
            Some(value) => threshold(value).ok_or_else(|| {
                error(
                    key,
                    value,
                    "a threshold; expected a count such as 50 or a percentage such as \"10%\"",
                )
            }),
        };
        let flag = |key: &str, value: &Option<Loose>| match value {
            None => Ok(false),
            Some(value) => {
                boolean(value).ok_or_else(|| error(key, value, "a boolean; expected true or false"))
            }
        };
        let inactivate = flag(
            "inactivateAccountsNotInFile",
            &block.inactivate_accounts_not_in_file,
        )?;
        Ok(Self {
            account_threshold: threshold("accountThresholdValue", &block.account_threshold_value)?,
            ent_threshold: threshold("entThresholdValue", &block.ent_threshold_value)?,
            gone_account_status: if inactivate {
                Status::Inactive
            } else {
                Status::Suspended
            },
            delete_links: flag("deleteLinks", &block.delete_links)?,
        })
    }
}

fn show(value: &Loose) -> String {
    match value {
        Loose::Bool(b) => b.to_string(),
        Loose::Number(n) => n.to_string(),
        Loose::Text(t) => format!("\"{t}\""),
    }
}

fn threshold(value: &Loose) -> Option<Threshold> {
    match value {
        Loose::Number(n) => n.as_u64().map(Threshold::Count),
        Loose::Text(text) => {
            let text = text.trim();
            match text.strip_suffix('%') {
                Some(percent) => percent
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .map(|p| Threshold::Percent((p * 100.0).round() as u32)),
                None => text.parse().ok().map(Threshold::Count),
            }
        }
        Loose::Bool(_) => None,
    }
}

fn boolean(value: &Loose) -> Option<bool> {
    match value {
        Loose::Bool(b) => Some(*b),
        Loose::Text(t) if t.trim().eq_ignore_ascii_case("true") => Some(true),
        Loose::Text(t) if t.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(json: serde_json::Value) -> Result<StatusRules, ConfigError> {
        StatusRules::compile(&serde_json::from_value(json).unwrap())
    }

    #[test]
    fn thresholds_are_counts_or_percentages() {
        let rules =
            compile(serde_json::json!({"accountThresholdValue": 3, "entThresholdValue": "25%"}))
                .unwrap();
        assert_eq!(3, rules.account_threshold.limit(1000));
        assert_eq!(25, rules.ent_threshold.limit(100));
        let rules = compile(serde_json::json!({"accountThresholdValue": "7"})).unwrap();
        assert_eq!(Threshold::Count(7), rules.account_threshold);
        let rules = compile(serde_json::json!({"accountThresholdValue": "12.5%"})).unwrap();
        assert_eq!(12, rules.account_threshold.limit(99));
        assert_eq!(125, rules.account_threshold.limit(1000));
    }

    #[test]
    fn percentages_are_written_as_they_were_given() {
        for text in ["25%", "12.5%", "0.25%", "100%", "0%"] {
            let rules = compile(serde_json::json!({"accountThresholdValue": text})).unwrap();
            assert_eq!(text, rules.account_threshold.to_string());
        }
    }

    #[test]
    fn the_default_threshold_is_ten_percent_but_at_least_five() {
        assert_eq!(5, Threshold::Default.limit(20));
        assert_eq!(2_500, Threshold::Default.limit(25_000));
    }

    #[test]
    fn flags_accept_booleans_and_their_strings() {
        let rules = compile(
            serde_json::json!({"inactivateAccountsNotInFile": "TRUE", "deleteLinks": true}),
        )
        .unwrap();
        assert_eq!(Status::Inactive, rules.gone_account_status);
        assert!(rules.delete_links);
        assert_eq!(
            StatusRules::default(),
            compile(serde_json::json!({})).unwrap()
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let error = compile(serde_json::json!({"accountThresholdValue": "lots"}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            "ImportAccountEntJSON: at statusAndThresholdConfig.accountThresholdValue: \"lots\" is not a threshold; expected a count such as 50 or a percentage such as \"10%\"",
            error
        );
        let error = compile(serde_json::json!({"deleteLinks": "yes"}))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("at statusAndThresholdConfig.deleteLinks: \"yes\" is not a boolean"),
            "{error}"
        );
    }
}
