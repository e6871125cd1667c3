//! The resources the simulator holds, and their JSON as the OpenAPI specs give it.

use serde::Serialize;
use serde_json::Value;

/// What every stored resource shares: its id, its timestamps and its JSON form.
pub trait Resource {
    /// The API group and version, such as `iam/v2`.
    const API_VERSION: &'static str;
    /// The JSON `kind`, such as `User`; its list is a `UserList`.
    const KIND: &'static str;
    /// Where the API lists them, such as `/iam/v2/users`; each one sits at
    /// `PATH/<id>`.
    const PATH: &'static str;
    /// The resource's natural identifier, such as `u-1a2b3c`.
    fn id(&self) -> &str;
    /// The resource's JSON, with `metadata.self` on the simulator's `origin`,
    /// as a value that serializes straight to text.
    fn json<'a>(&'a self, origin: &str, org_id: &str) -> impl Serialize + 'a;
    /// The same JSON as a [`Value`].
    fn to_json(&self, origin: &str, org_id: &str) -> Value {
        serde_json::to_value(self.json(origin, org_id)).expect("a resource serializes")
    }
}

/// Creation and update times, in RFC 3339 UTC as the real service writes them.
#[derive(Debug, Clone)]
pub struct Stamps {
    /// `metadata.created_at`.
    pub created_at: String,
    /// `metadata.updated_at`.
    pub updated_at: String,
}

/// The absolute URL of the `R` with this id.
pub fn resource_url<R: Resource>(origin: &str, id: &str) -> String {
    format!("{origin}{}/{id}", R::PATH)
}

/// A resource's JSON: `api_version`, `kind`, `id` and `metadata`, then the
/// kind's own `fields`, in that order.
#[derive(Serialize)]
struct Document<'a, F> {
    api_version: &'static str,
    kind: &'static str,
    id: &'a str,
    metadata: Metadata<'a>,
    #[serde(flatten)]
    fields: F,
}

/// A resource's `metadata`.
#[derive(Serialize)]
struct Metadata<'a> {
    #[serde(rename = "self")]
    url: String,
    resource_name: String,
    created_at: &'a str,
    updated_at: &'a str,
}

fn document<'a, R: Resource, F>(
    record: &'a R,
    origin: &str,
    crn: String,
    stamps: &'a Stamps,
    fields: F,
) -> Document<'a, F> {
    Document {
        api_version: R::API_VERSION,
        kind: R::KIND,
        id: record.id(),
        metadata: Metadata {
            url: resource_url::<R>(origin, record.id()),
            resource_name: crn,
            created_at: &stamps.created_at,
            updated_at: &stamps.updated_at,
        },
        fields,
    }
}

/// An `iam.v2.User`.
#[derive(Debug, Clone)]
pub struct User {
    /// `u-…`.
    pub id: String,
    /// The user's email, unique in the organization.
    pub email: String,
    /// The user's full name.
    pub full_name: String,
    /// `AUTH_TYPE_LOCAL` or `AUTH_TYPE_SSO`.
    pub auth_type: String,
    /// Timestamps.
    pub stamps: Stamps,
}

impl Resource for User {
    fn id(&self) -> &str {
        &self.id
    }
    const API_VERSION: &str = "iam/v2";
    const KIND: &str = "User";
    const PATH: &str = "/iam/v2/users";
    fn json<'a>(&'a self, origin: &str, _org_id: &str) -> impl Serialize + 'a {
        #[derive(Serialize)]
        struct Fields<'a> {
            email: &'a str,
            full_name: &'a str,
            auth_type: &'a str,
        }
        let crn = format!("crn://confluent.cloud/user={}", self.id);
        let fields = Fields {
            email: &self.email,
            full_name: &self.full_name,
            auth_type: &self.auth_type,
        };
        document(self, origin, crn, &self.stamps, fields)
    }
}

/// An `iam.v2.ServiceAccount`.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    /// `sa-…`.
    pub id: String,
    /// Unique in the organization.
    pub display_name: String,
    /// Free-form.
    pub description: String,
    /// Timestamps.
    pub stamps: Stamps,
}

impl Resource for ServiceAccount {
    fn id(&self) -> &str {
        &self.id
    }
    const API_VERSION: &str = "iam/v2";
    const KIND: &str = "ServiceAccount";
    const PATH: &str = "/iam/v2/service-accounts";
    fn json<'a>(&'a self, origin: &str, _org_id: &str) -> impl Serialize + 'a {
        #[derive(Serialize)]
        struct Fields<'a> {
            display_name: &'a str,
            description: &'a str,
        }
        let crn = format!("crn://confluent.cloud/service-account={}", self.id);
        let fields = Fields {
            display_name: &self.display_name,
            description: &self.description,
        };
        document(self, origin, crn, &self.stamps, fields)
    }
}

/// An `iam.v2.Invitation`.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// `i-…`.
    pub id: String,
    /// The invitee's email.
    pub email: String,
    /// `AUTH_TYPE_LOCAL` or `AUTH_TYPE_SSO`.
    pub auth_type: String,
    /// `INVITE_STATUS_SENT` and so on.
    pub status: String,
    /// The invited user's id.
    pub user_id: String,
    /// The id of the user who sent it, when known.
    pub creator_id: Option<String>,
    /// When the invitation lapses.
    pub expires_at: String,
    /// Timestamps.
    pub stamps: Stamps,
}

impl Resource for Invitation {
    fn id(&self) -> &str {
        &self.id
    }
    const API_VERSION: &str = "iam/v2";
    const KIND: &str = "Invitation";
    const PATH: &str = "/iam/v2/invitations";
    fn json<'a>(&'a self, origin: &str, org_id: &str) -> impl Serialize + 'a {
        /// A reference to a user, as an invitation names one.
        #[derive(Serialize)]
        struct UserReference<'a> {
            id: &'a str,
            related: String,
            resource_name: String,
        }
        #[derive(Serialize)]
        struct Fields<'a> {
            email: &'a str,
            auth_type: &'a str,
            status: &'a str,
            accepted_at: Option<&'a str>,
            expires_at: &'a str,
            user: UserReference<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            creator: Option<UserReference<'a>>,
        }
        let user = |id: &'a str| UserReference {
            id,
            related: resource_url::<User>(origin, id),
            resource_name: format!("crn://confluent.cloud/user={id}"),
        };
        let crn = format!(
            "crn://confluent.cloud/organization={org_id}/invitation={}",
            self.id
        );
        let fields = Fields {
            email: &self.email,
            auth_type: &self.auth_type,
            status: &self.status,
            accepted_at: None,
            expires_at: &self.expires_at,
            user: user(&self.user_id),
            creator: self.creator_id.as_deref().map(user),
        };
        document(self, origin, crn, &self.stamps, fields)
    }
}

/// An `org.v2.Environment`.
#[derive(Debug, Clone)]
pub struct Environment {
    /// `env-…`.
    pub id: String,
    /// A human-readable name.
    pub display_name: String,
    /// `ESSENTIALS` or `ADVANCED`.
    pub governance_package: String,
    /// Timestamps.
    pub stamps: Stamps,
}

impl Environment {
    /// The environment's CRN, the scope its role bindings name.
    pub fn crn(&self, org_id: &str) -> String {
        format!(
            "crn://confluent.cloud/organization={org_id}/environment={}",
            self.id
        )
    }
}

impl Resource for Environment {
    fn id(&self) -> &str {
        &self.id
    }
    const API_VERSION: &str = "org/v2";
    const KIND: &str = "Environment";
    const PATH: &str = "/org/v2/environments";
    fn json<'a>(&'a self, origin: &str, org_id: &str) -> impl Serialize + 'a {
        #[derive(Serialize)]
        struct Governance<'a> {
            package: &'a str,
        }
        #[derive(Serialize)]
        struct Fields<'a> {
            display_name: &'a str,
            stream_governance_config: Governance<'a>,
        }
        let crn = self.crn(org_id);
        let fields = Fields {
            display_name: &self.display_name,
            stream_governance_config: Governance {
                package: &self.governance_package,
            },
        };
        document(self, origin, crn, &self.stamps, fields)
    }
}

/// An `org.v2.Organization`.
#[derive(Debug, Clone)]
pub struct Organization {
    /// A UUID.
    pub id: String,
    /// A human-readable name.
    pub display_name: String,
    /// Whether SSO users are provisioned just in time.
    pub jit_enabled: bool,
    /// Timestamps.
    pub stamps: Stamps,
}

impl Organization {
    /// The organization's CRN.
    pub fn crn(&self) -> String {
        format!("crn://confluent.cloud/organization={}", self.id)
    }
}

impl Resource for Organization {
    fn id(&self) -> &str {
        &self.id
    }
    const API_VERSION: &str = "org/v2";
    const KIND: &str = "Organization";
    const PATH: &str = "/org/v2/organizations";
    fn json<'a>(&'a self, origin: &str, _org_id: &str) -> impl Serialize + 'a {
        #[derive(Serialize)]
        struct Fields<'a> {
            display_name: &'a str,
            jit_enabled: bool,
        }
        let crn = self.crn();
        let fields = Fields {
            display_name: &self.display_name,
            jit_enabled: self.jit_enabled,
        };
        document(self, origin, crn, &self.stamps, fields)
    }
}

/// An `iam.v2.RoleBinding`.
#[derive(Debug, Clone)]
pub struct RoleBinding {
    /// `rb-…`.
    pub id: String,
    /// `User:u-…` or `User:sa-…`.
    pub principal: String,
    /// Such as `OrganizationAdmin` or `EnvironmentAdmin`.
    pub role_name: String,
    /// The scope the role is bound on.
    pub crn_pattern: String,
    /// Timestamps.
    pub stamps: Stamps,
}

impl Resource for RoleBinding {
    fn id(&self) -> &str {
        &self.id
    }
    const API_VERSION: &str = "iam/v2";
    const KIND: &str = "RoleBinding";
    const PATH: &str = "/iam/v2/role-bindings";
    fn json<'a>(&'a self, origin: &str, org_id: &str) -> impl Serialize + 'a {
        #[derive(Serialize)]
        struct Fields<'a> {
            principal: &'a str,
            role_name: &'a str,
            crn_pattern: &'a str,
        }
        let crn = format!(
            "crn://confluent.cloud/organization={org_id}/role-binding={}",
            self.id
        );
        let fields = Fields {
            principal: &self.principal,
            role_name: &self.role_name,
            crn_pattern: &self.crn_pattern,
        };
        document(self, origin, crn, &self.stamps, fields)
    }
}
