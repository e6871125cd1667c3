//! Access import: Confluent access is role bindings.
//!
//! The seed leaves `acctEntParams` empty, so this built-in default fills it:
//! list the organizations, then, for each, read two role-binding lists at
//! once: `GET /iam/v2/role-bindings?crn_pattern=<organization CRN>` and
//! `…?crn_pattern=<organization CRN>/*`.
//!
//! The two patterns find every binding at every depth whichever way the
//! server reads `crn_pattern`. Confluent's CLI documents a pattern as the
//! bindings *at* that scope, and a trailing `/*` as the nested scopes too
//! (its `--inclusive` flag appends `/*`): then the first list gives the
//! organization's own bindings and the second everything beneath it. Read as
//! a partial match, as the public API reference has it, the first list
//! gives every binding and the second none. Either way each binding is
//! emitted once (the tracker drops repeats), attributed to the entitlement
//! its own CRN names: bindings at narrower scopes (a cluster, a topic, a
//! Schema Registry, a ksqlDB cluster) belong to their environment and keep
//! their full CRN as an attribute. That is two page chains, read side by
//! side, after the one-page organizations list.

use std::ops::ControlFlow;

use futures_util::future::try_join;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;

use crate::client::Client;
use crate::client::pages::Paging;
use crate::client::projection::{Page, Projection, Row};
use crate::confluent::{Confluent, api_headers, role_bindings_url};
use crate::dialect::documents::Config;
use crate::dialect::mapping::{Segment, parse_path};
use crate::error::ConnectorError;
use crate::import::PageSink;
use crate::model::{Access, AttributeValue, Record, Status};
use crate::target::Target;

/// The entitlement type of organizations, as the seed names it.
pub const ORGANIZATION: &str = "organization";
/// The entitlement type of environments, as the seed names it.
pub const ENVIRONMENT: &str = "environment";

/// Organizations whose role bindings are listed at once (an API key
/// belongs to one organization, so this is one in practice).
const ORGANIZATIONS_IN_FLIGHT: usize = 2;

/// Imports every role binding of the organization as access links.
pub(crate) async fn import_role_bindings(
    client: Client<'_>,
    config: &Config,
    pages: &dyn PageSink,
) -> Result<(), ConnectorError> {
    let mut organizations = Vec::new();
    let first = format!("{}/org/v2/organizations", config.base_url());
    let first = Confluent.with_largest_page(&first, &config.origin());
    let reads = rows_reading(&["metadata.resource_name"]);
    walk_list(&client, &first, &reads, async |url, page| {
        let rows = rows_of(url, page)?;
        let count = rows.len();
        for row in rows {
            let Some(Some(Value::String(crn))) = row.into_iter().next() else {
                let what = "an organization has no metadata.resource_name".to_string();
                return Err(invalid(url, what));
            };
            organizations.push(crn);
        }
        pages.counted_page();
        Ok(ControlFlow::Continue(count))
    })
    .await?;

    let reads = rows_reading(&BINDING_COLUMNS);
    let bindings_matching = async |pattern: String| {
        let first = role_bindings_url(config, &[("crn_pattern", &pattern)])?;
        walk_list(&client, &first, &reads, async |url, page| {
            let rows = rows_of(url, page)?;
            let count = rows.len();
            let links = rows
                .into_iter()
                .map(|binding| to_access(binding).map(Record::Access))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(url, e))?;
            pages.page(links).await?;
            Ok(ControlFlow::Continue(count))
        })
        .await
    };
    stream::iter(organizations)
        // The bindings at the organization's scope, and those beneath it.
        .map(|crn| {
            try_join(
                bindings_matching(crn.clone()),
                bindings_matching(crn + "/*"),
            )
        })
        .buffer_unordered(ORGANIZATIONS_IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

fn invalid(url: &str, what: String) -> ConnectorError {
    ConnectorError::InvalidResponse(format!("GET {url}: {what}"))
}

/// Walks one of Confluent's own lists from `first`, keeping what `reads`
/// names of each page.
async fn walk_list(
    client: &Client<'_>,
    first: &str,
    reads: &Projection,
    on_page: impl AsyncFnMut(&str, &mut Page) -> Result<ControlFlow<(), usize>, ConnectorError>,
) -> Result<(), ConnectorError> {
    let headers = api_headers();
    client
        .pages(&Paging::Automatic, first, &headers, reads, on_page)
        .await
}

/// Reads the items of a list's page as rows of the fields at `paths`
/// (dotted, as a mapping writes them).
fn rows_reading(paths: &[&str]) -> Projection {
    let path = |text: &str| parse_path(text).expect("a fixed path parses");
    let paths: Vec<Vec<Segment>> = paths.iter().map(|p| path(p)).collect();
    let columns: Vec<&[Segment]> = paths.iter().map(Vec::as_slice).collect();
    let mut reads = Projection::default();
    reads.rows_at(&path("data"), &columns);
    reads
}

fn rows_of(url: &str, page: &mut Page) -> Result<Vec<Row>, ConnectorError> {
    page.rows
        .take()
        .ok_or_else(|| invalid(url, "'data' is not a list".into()))
}

/// The fields of a role binding [`to_access`] reads, in its order.
pub const BINDING_COLUMNS: [&str; 4] = ["id", "principal", "role_name", "crn_pattern"];

/// The attributes [`to_access`] gives each access link, in its order.
pub const ACCESS_ATTRIBUTES: [&str; 4] = ["roleBindingID", "role_name", "crn_pattern", "principal"];

/// Maps one role binding, read as a row of [`BINDING_COLUMNS`], to an
/// access link.
pub fn to_access(mut binding: Row) -> Result<Access, String> {
    let mut text_at = |at: usize| match binding.get_mut(at).and_then(Option::take) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    let id = text_at(0).ok_or("a role binding has no 'id'")?;
    let [principal, role, crn] = [1, 2, 3].map(&mut text_at);
    let missing = |at: usize| format!("role binding {id} has no '{}'", BINDING_COLUMNS[at]);
    let principal = principal.ok_or_else(|| missing(1))?;
    let role = role.ok_or_else(|| missing(2))?;
    let crn = crn.ok_or_else(|| missing(3))?;
    // `User:u-…` and `User:sa-…` name accounts; anything else (a group, an
    // identity pool) keeps its whole name and turns out an orphan.
    let account_id = principal.strip_prefix("User:").unwrap_or(&principal);
    let (ent_type, entitlement_id) = entitlement_of(&crn).ok_or_else(|| {
        format!("role binding {id}: '{crn}' names no organization or environment")
    })?;
    let (account_id, ent_type, entitlement_id) = (
        account_id.to_string(),
        ent_type.to_string(),
        entitlement_id.to_string(),
    );
    let attributes = ACCESS_ATTRIBUTES
        .iter()
        .zip([id.clone(), role, crn, principal]);
    Ok(Access {
        id,
        account_id,
        ent_type,
        entitlement_id,
        status: Status::Active,
        attributes: attributes
            .map(|(name, value)| (name.to_string(), AttributeValue::Text(value)))
            .collect(),
    })
}

/// The entitlement a CRN falls under: its environment if it names one, else
/// its organization.
pub fn entitlement_of(crn: &str) -> Option<(&'static str, &str)> {
    let path = crn.strip_prefix("crn://")?;
    let mut found = None;
    for segment in path.split('/') {
        match segment.split_once('=') {
            Some(("organization", id)) if found.is_none() => found = Some((ORGANIZATION, id)),
            Some(("environment", id)) => found = Some((ENVIRONMENT, id)),
            _ => {}
        }
    }
    found.filter(|(_, id)| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `binding` read as a row, as a page of role bindings is.
    fn row(binding: &Value) -> Row {
        BINDING_COLUMNS
            .iter()
            .map(|c| binding.get(c).cloned())
            .collect()
    }

    #[test]
    fn the_access_attributes_are_those_a_role_binding_maps_to() {
        let binding = json!({
            "id": "rb-1", "principal": "User:sa-1", "role_name": "R",
            "crn_pattern": "crn://confluent.cloud/organization=o-1",
        });
        let access = to_access(row(&binding)).unwrap();
        let names: Vec<&str> = access.attributes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(ACCESS_ATTRIBUTES.to_vec(), names);
    }

    #[test]
    fn a_binding_without_a_field_is_refused_naming_the_field_and_the_binding() {
        let refusal = |binding: Value| to_access(row(&binding)).map(|_| ()).unwrap_err();
        let binding = json!({"id": "rb-1", "principal": "User:u-1", "role_name": "R"});
        assert_eq!("role binding rb-1 has no 'crn_pattern'", refusal(binding));
        let binding = json!({"principal": "User:u-1", "role_name": "R", "crn_pattern": "crn://x"});
        assert_eq!("a role binding has no 'id'", refusal(binding));
    }

    #[test]
    fn crns_fall_under_their_environment_or_organization() {
        let cases = [
            (
                "crn://confluent.cloud/organization=o-1",
                Some((ORGANIZATION, "o-1")),
            ),
            (
                "crn://confluent.cloud/organization=o-1/environment=env-2",
                Some((ENVIRONMENT, "env-2")),
            ),
            (
                "crn://confluent.cloud/organization=o-1/environment=env-2/cloud-cluster=lkc-3/kafka=lkc-3/topic=t",
                Some((ENVIRONMENT, "env-2")),
            ),
            ("crn://confluent.cloud/user=u-1", None),
            ("https://example", None),
        ];
        for (crn, expected) in cases {
            assert_eq!(expected, entitlement_of(crn), "{crn}");
        }
    }

    #[test]
    fn a_binding_becomes_an_access_link() {
        let binding = json!({
            "id": "rb-1", "principal": "User:sa-9", "role_name": "DeveloperRead",
            "crn_pattern": "crn://confluent.cloud/organization=o-1/environment=env-2/cloud-cluster=lkc-3",
        });
        let access = to_access(row(&binding)).unwrap();
        assert_eq!(
            ("sa-9", "environment", "env-2"),
            (
                access.account_id.as_str(),
                access.ent_type.as_str(),
                access.entitlement_id.as_str()
            )
        );
        let text = |s: &str| AttributeValue::Text(s.to_string());
        assert_eq!("rb-1", access.id);
        assert_eq!(
            vec![
                ("roleBindingID".to_string(), text("rb-1")),
                ("role_name".to_string(), text("DeveloperRead")),
                (
                    "crn_pattern".to_string(),
                    text(
                        "crn://confluent.cloud/organization=o-1/environment=env-2/cloud-cluster=lkc-3"
                    )
                ),
                ("principal".to_string(), text("User:sa-9")),
            ],
            access.attributes
        );
        let group = json!({"id": "rb-2", "principal": "Group:g-1", "role_name": "R", "crn_pattern": "crn://confluent.cloud/organization=o"});
        assert_eq!("Group:g-1", to_access(row(&group)).unwrap().account_id);
    }
}
