//! Creates that never duplicate.
//!
//! A `POST` whose response was lost (a timeout, a reset, a 5xx after the
//! server acted) may or may not have created its object, and a plain retry
//! could create a second one. For the Confluent collections whose objects
//! have a natural key, the connector looks the object up by that key instead:
//! found, the create is done (or, on a 409, it already existed); not found,
//! the `POST` is tried again.
//!
//! | collection | natural key | lookup |
//! |---|---|---|
//! | `/iam/v2/service-accounts` | `display_name` | the list's `display_name` filter |
//! | `/iam/v2/invitations` | `email` | the invitations, then the users, by email |
//! | `/iam/v2/role-bindings` | principal, role and CRN | the list's `principal`, `role_name` and `crn_pattern` filters, then the exact CRN |

use serde_json::{Value, json};

use crate::client::{HttpRequest, Recovery, Search};
use crate::confluent::Confluent;
use crate::target::Target;

/// The recovery for a create, if its collection has a natural key.
pub fn recovery_for(confluent: &Confluent, request: &HttpRequest) -> Option<Recovery> {
    let mut url = url::Url::parse(&request.url).ok()?;
    let body: Value = serde_json::from_slice(request.body.as_deref()?).ok()?;
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    let path = url.path().trim_end_matches('/').to_string();
    url.set_query(None);
    let list = |url: &url::Url, params: &[(&str, &str)]| {
        let mut url = url.clone();
        for (name, value) in params {
            url.query_pairs_mut().append_pair(name, value);
        }
        confluent.with_largest_page(url.as_str(), &url.origin())
    };
    let searches = if path.ends_with("/iam/v2/service-accounts") {
        let name = field("display_name")?;
        vec![Search {
            url: list(&url, &[("display_name", &name)]),
            fields: vec![("/display_name", name)],
            ..Search::default()
        }]
    } else if path.ends_with("/iam/v2/invitations") {
        let email = field("email")?;
        let mut users = url.clone();
        users.set_path(&path.replace("/iam/v2/invitations", "/iam/v2/users"));
        let by_email = |url: &url::Url, reshape: Option<fn(&Value) -> Value>| Search {
            url: list(url, &[]),
            fields: vec![("/email", email.clone())],
            ignore_case: true,
            reshape,
        };
        vec![
            by_email(&url, None),
            by_email(&users, Some(user_as_invitation)),
        ]
    } else if path.ends_with("/iam/v2/role-bindings") {
        let principal = field("principal")?;
        let role = field("role_name")?;
        let crn = field("crn_pattern")?;
        vec![Search {
            url: list(
                &url,
                &[
                    ("principal", &principal),
                    ("role_name", &role),
                    ("crn_pattern", &crn),
                ],
            ),
            fields: vec![
                ("/principal", principal),
                ("/role_name", role),
                ("/crn_pattern", crn),
            ],
            ..Search::default()
        }]
    } else {
        return None;
    };
    let headers = request
        .headers
        .iter()
        .filter(|(n, _)| {
            n.eq_ignore_ascii_case("authorization") || n.eq_ignore_ascii_case("accept")
        })
        .cloned()
        .collect();
    Some(Recovery { searches, headers })
}

/// A found user in the shape of the invitation that made it.
fn user_as_invitation(user: &Value) -> Value {
    json!({"email": user["email"], "user": {"id": user["id"]}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(url: &str, body: Value) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: url.into(),
            headers: vec![
                ("Authorization".into(), "x".into()),
                ("X-Other".into(), "y".into()),
            ],
            body: Some(body.to_string().into_bytes()),
        }
    }

    #[test]
    fn creates_with_a_natural_key_can_be_looked_up() {
        let recovery = recovery_for(
            &Confluent,
            &post(
                "http://h:1/iam/v2/service-accounts",
                json!({"display_name": "svc a"}),
            ),
        )
        .unwrap();
        assert_eq!(
            "http://h:1/iam/v2/service-accounts?display_name=svc+a&page_size=100",
            recovery.searches[0].url
        );
        assert_eq!(
            vec![("Authorization".to_string(), "x".to_string())],
            recovery.headers
        );
        let binding = recovery_for(
            &Confluent,
            &post(
                "http://h:1/iam/v2/role-bindings",
                json!({"principal": "User:sa-1", "role_name": "R", "crn_pattern": "crn://c/o=1"}),
            ),
        )
        .unwrap();
        assert!(binding.searches[0].url.contains(
            "principal=User%3Asa-1&role_name=R&crn_pattern=crn%3A%2F%2Fc%2Fo%3D1&page_size=1000"
        ));
        let invite = recovery_for(
            &Confluent,
            &post("http://h:1/iam/v2/invitations", json!({"email": "a@b"})),
        )
        .unwrap();
        assert_eq!(2, invite.searches.len());
        assert!(
            invite.searches[1]
                .url
                .starts_with("http://h:1/iam/v2/users?")
        );
        assert!(
            recovery_for(
                &Confluent,
                &post("http://h:1/api/things", json!({"display_name": "a"})),
            )
            .is_none()
        );
    }
}
