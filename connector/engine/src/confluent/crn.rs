//! Confluent resource names (CRNs) and principals, built from ids that are
//! each checked to be one whole CRN segment value. An id such as
//! `env-1/cloud-cluster=lkc-x/kafka=lkc-x/topic=*` would otherwise name a
//! narrower scope than the one asked for.

/// The characters an id in a CRN or a principal never holds, besides
/// whitespace and control characters.
const SEPARATORS: &[char] = &['/', '=', '*', ':', '?', '#'];

/// Checks that `id` is one CRN segment value: not empty, not `.` or `..`, and
/// free of `/ = * : ? #`, whitespace and control characters. Confluent ids
/// look like `env-abc12` or a UUID. `what` names the id in the message.
pub fn check_id(what: &str, id: &str) -> Result<(), String> {
    let bad = id.is_empty()
        || id == "."
        || id == ".."
        || id
            .chars()
            .any(|c| SEPARATORS.contains(&c) || c.is_whitespace() || c.is_control());
    if bad {
        return Err(format!(
            "{what} '{}' is not a single id; expected one such as env-abc12 or a UUID, with no '/', '=', '*', ':', '?', '#', whitespace or control characters",
            crate::printable::printable(id)
        ));
    }
    Ok(())
}

/// The CRN of organization `org_id` (checked by [`check_id`]).
pub fn organization(org_id: &str) -> String {
    format!("crn://confluent.cloud/organization={org_id}")
}

/// The CRN of environment `env_id` under organization `org_id` (both checked
/// by [`check_id`]).
pub fn environment(org_id: &str, env_id: &str) -> String {
    format!("{}/environment={env_id}", organization(org_id))
}

/// The role-binding principal of account `account_id` (checked by
/// [`check_id`]).
pub fn principal(account_id: &str) -> String {
    format!("User:{account_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_single_segments() {
        for id in [
            "env-abc12",
            "sa-1",
            "u-x9",
            "8a1c9f2e-4b7d-4e3a-9c1f-0d2b3a4c5e6f",
        ] {
            assert_eq!(Ok(()), check_id("the entitlement id", id), "{id}");
        }
        for id in [
            "",
            ".",
            "..",
            "env-1/cloud-cluster=lkc-x/kafka=lkc-x/topic=*",
            "env-1/x",
            "a=b",
            "*",
            "User:sa-1",
            "a?b",
            "a#b",
            "a b",
            "a\nb",
        ] {
            let error = check_id("the entitlement id", id).unwrap_err();
            assert!(error.starts_with("the entitlement id '"), "{error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn names_are_built_from_checked_ids() {
        assert_eq!(
            "crn://confluent.cloud/organization=o-1/environment=env-2",
            environment("o-1", "env-2")
        );
        assert_eq!("User:sa-1", principal("sa-1"));
    }
}
