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

use crate::client::pages::{find_in_list, with_largest_page_size};
use crate::client::{HttpRequest, HttpResponse, Transport};
use crate::dialect::provision_doc::ContentType;
use crate::error::ConnectorError;

/// How to find what a create would have made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    searches: Vec<Search>,
    headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Search {
    /// The first page of a list.
    url: String,
    /// JSON pointers into an item and the values they must hold.
    fields: Vec<(&'static str, String)>,
    ignore_case: bool,
    /// Turns a found user into the shape of an invitation.
    as_invitation: bool,
}

/// The recovery for a create, if its collection has a natural key.
pub fn recovery_for(request: &HttpRequest, content_type: Option<ContentType>) -> Option<Recovery> {
    if request.method != "POST" || content_type != Some(ContentType::Json) {
        return None;
    }
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
        with_largest_page_size(url.as_str(), &url.origin())
    };
    let searches = if path.ends_with("/iam/v2/service-accounts") {
        let name = field("display_name")?;
        vec![Search {
            url: list(&url, &[("display_name", &name)]),
            fields: vec![("/display_name", name)],
            ignore_case: false,
            as_invitation: false,
        }]
    } else if path.ends_with("/iam/v2/invitations") {
        let email = field("email")?;
        let mut users = url.clone();
        users.set_path(&path.replace("/iam/v2/invitations", "/iam/v2/users"));
        vec![
            Search {
                url: list(&url, &[]),
                fields: vec![("/email", email.clone())],
                ignore_case: true,
                as_invitation: false,
            },
            Search {
                url: list(&users, &[]),
                fields: vec![("/email", email)],
                ignore_case: true,
                as_invitation: true,
            },
        ]
    } else if path.ends_with("/iam/v2/role-bindings") {
        let (principal, role, crn) = (
            field("principal")?,
            field("role_name")?,
            field("crn_pattern")?,
        );
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
            ignore_case: false,
            as_invitation: false,
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

impl Recovery {
    /// Looks for what the create would have made; a found object comes back
    /// as a 200 response holding it, as if the create had answered.
    pub async fn find<T: Transport>(
        &self,
        transport: &T,
    ) -> Result<Option<HttpResponse>, ConnectorError> {
        let found = self.lookup(transport).await?;
        Ok(found.map(|object| HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: object.to_string().into_bytes(),
        }))
    }

    /// The object the create would have made, if it exists.
    pub async fn lookup<T: Transport>(
        &self,
        transport: &T,
    ) -> Result<Option<Value>, ConnectorError> {
        for search in &self.searches {
            let found = find_in_list(transport, &search.url, &self.headers, true, |item| {
                search.matches(item)
            })
            .await?;
            if let Some(found) = found.first() {
                return Ok(Some(if search.as_invitation {
                    json!({"email": found["email"], "user": {"id": found["id"]}})
                } else {
                    found.clone()
                }));
            }
        }
        Ok(None)
    }
}

impl Search {
    fn matches(&self, item: &Value) -> bool {
        self.fields.iter().all(|(pointer, wanted)| {
            item.pointer(pointer)
                .and_then(Value::as_str)
                .is_some_and(|found| {
                    if self.ignore_case {
                        found.eq_ignore_ascii_case(wanted)
                    } else {
                        found == wanted
                    }
                })
        })
    }
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
            &post(
                "http://h:1/iam/v2/service-accounts",
                json!({"display_name": "svc a"}),
            ),
            Some(ContentType::Json),
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
            &post(
                "http://h:1/iam/v2/role-bindings",
                json!({"principal": "User:sa-1", "role_name": "R", "crn_pattern": "crn://c/o=1"}),
            ),
            Some(ContentType::Json),
        )
        .unwrap();
        assert!(binding.searches[0].url.contains(
            "principal=User%3Asa-1&role_name=R&crn_pattern=crn%3A%2F%2Fc%2Fo%3D1&page_size=1000"
        ));
        let invite = recovery_for(
            &post("http://h:1/iam/v2/invitations", json!({"email": "a@b"})),
            Some(ContentType::Json),
        )
        .unwrap();
        assert_eq!(2, invite.searches.len());
        assert!(
            invite.searches[1]
                .url
                .starts_with("http://h:1/iam/v2/users?")
        );
        assert_eq!(
            None,
            recovery_for(
                &post("http://h:1/api/things", json!({"display_name": "a"})),
                Some(ContentType::Json)
            )
        );
    }
}
