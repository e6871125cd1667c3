//! How the role-binding list's `crn_pattern` filter selects bindings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The two readings of `crn_pattern`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrnMatching {
    /// Confluent's CLI reading: a pattern selects the bindings at exactly
    /// that scope; a pattern ending in `/*` selects that scope and every
    /// scope nested under it.
    #[default]
    Exact,
    /// The public API reference's reading ("a partial search of
    /// crn_pattern"): a binding matches when its CRN contains the pattern.
    Partial,
}

impl CrnMatching {
    /// Whether the binding whose CRN is `crn` matches `pattern`.
    pub fn matches(self, pattern: &str, crn: &str) -> bool {
        match self {
            Self::Partial => crn.contains(pattern),
            Self::Exact => match pattern.strip_suffix("/*") {
                Some(scope) => {
                    crn == scope
                        || crn
                            .strip_prefix(scope)
                            .is_some_and(|rest| rest.starts_with('/'))
                }
                None => crn == pattern,
            },
        }
    }
}

impl FromStr for CrnMatching {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "exact" => Ok(Self::Exact),
            "partial" => Ok(Self::Partial),
            _ => Err(format!(
                "CRN matching '{text}' is neither 'exact' nor 'partial'"
            )),
        }
    }
}

impl fmt::Display for CrnMatching {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Exact => "exact",
            Self::Partial => "partial",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "crn://confluent.cloud/organization=o/environment=env-1";

    #[test]
    fn exact_matches_the_scope_itself_only() {
        let cluster = format!("{ENV}/cloud-cluster=lkc-1");
        assert!(CrnMatching::Exact.matches(ENV, ENV));
        assert!(!CrnMatching::Exact.matches(ENV, &cluster));
        assert!(!CrnMatching::Exact.matches(&cluster, ENV));
    }

    #[test]
    fn a_trailing_wildcard_adds_the_nested_scopes() {
        let pattern = format!("{ENV}/*");
        assert!(CrnMatching::Exact.matches(&pattern, ENV));
        assert!(CrnMatching::Exact.matches(&pattern, &format!("{ENV}/cloud-cluster=lkc-1")));
        assert!(
            !CrnMatching::Exact.matches(&pattern, &format!("{ENV}0/cloud-cluster=lkc-1")),
            "env-10 is not nested under env-1"
        );
        assert!(!CrnMatching::Exact.matches(&pattern, "crn://confluent.cloud/organization=o"));
    }

    #[test]
    fn partial_matches_any_part_and_takes_the_wildcard_literally() {
        let topic = format!("{ENV}/cloud-cluster=lkc-1/kafka=lkc-1/topic=orders");
        assert!(CrnMatching::Partial.matches(ENV, &topic));
        assert!(CrnMatching::Partial.matches("topic=ord", &topic));
        assert!(!CrnMatching::Partial.matches(&format!("{ENV}/*"), &topic));
    }

    #[test]
    fn modes_parse_and_print() {
        for mode in [CrnMatching::Exact, CrnMatching::Partial] {
            assert_eq!(Ok(mode), mode.to_string().parse());
        }
        assert!("contains".parse::<CrnMatching>().is_err());
    }
}
