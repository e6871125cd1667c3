//! The every-scope organization: one service account bound once at each
//! scope Confluent Cloud binds roles on, with the CRN forms the real service
//! writes, to prove a client finds bindings at every depth.

use crate::model::{Environment, RoleBinding, ServiceAccount, Stamps};
use crate::store::Store;

/// A scope a role binding can sit at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `crn://confluent.cloud/organization=<uuid>`.
    Organization,
    /// `…/environment=env-…`.
    Environment,
    /// `…/environment=env-…/cloud-cluster=lkc-…`.
    CloudCluster,
    /// `…/cloud-cluster=lkc-…/kafka=lkc-…/topic=orders` (a literal topic).
    Topic,
    /// `…/cloud-cluster=lkc-…/kafka=lkc-…/topic=orders*` (a topic prefix).
    TopicPrefix,
    /// `…/environment=env-…/schema-registry=lsrc-…`.
    SchemaRegistry,
    /// `…/environment=env-…/cloud-cluster=lkc-…/ksql=<ksqlDB cluster name>`.
    Ksql,
}

impl Scope {
    /// Every scope, broadest first.
    pub const ALL: [Scope; 7] = [
        Scope::Organization,
        Scope::Environment,
        Scope::CloudCluster,
        Scope::Topic,
        Scope::TopicPrefix,
        Scope::SchemaRegistry,
        Scope::Ksql,
    ];
}

/// One seeded binding of the every-scope organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedBinding {
    /// The scope it sits at.
    pub scope: Scope,
    /// Its id, `rb-…`.
    pub id: String,
    /// Its role.
    pub role_name: String,
    /// Its CRN.
    pub crn: String,
}

/// What [`seed_every_scope`] added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EveryScope {
    /// The environment holding the narrower scopes, `env-…`.
    pub environment_id: String,
    /// The service account every binding is for, `sa-…`.
    pub service_account_id: String,
    /// One binding per scope, in [`Scope::ALL`] order.
    pub bindings: Vec<ScopedBinding>,
}

impl EveryScope {
    /// The binding at `scope`.
    pub fn binding(&self, scope: Scope) -> &ScopedBinding {
        self.bindings
            .iter()
            .find(|binding| binding.scope == scope)
            .expect("one binding per scope")
    }
}

/// The ksqlDB cluster's name: its CRN names the cluster by name, not id.
const KSQL_CLUSTER_NAME: &str = "orders-ksql";

/// When the every-scope records were created and last updated.
const SEEDED_AT: &str = "2024-06-03T09:00:00Z";

/// Adds an environment, a service account and one binding at every scope.
/// The store's organization must exist; ids come from the store's seeded
/// random source, so the same seed gives the same result.
pub fn seed_every_scope(store: &mut Store) -> EveryScope {
    let stamps = Stamps {
        created_at: SEEDED_AT.to_string(),
        updated_at: SEEDED_AT.to_string(),
    };
    let environment = Environment {
        id: store.new_id("env"),
        display_name: "every-scope".to_string(),
        governance_package: "ESSENTIALS".to_string(),
        stamps: stamps.clone(),
    };
    let organization_crn = format!("crn://confluent.cloud/organization={}", store.org_id());
    let environment_crn = environment.crn(store.org_id());
    let cluster = store.new_id("lkc");
    let schema_registry = store.new_id("lsrc");
    let cluster_crn = format!("{environment_crn}/cloud-cluster={cluster}");
    let topics_crn = format!("{cluster_crn}/kafka={cluster}/topic=");
    let account = ServiceAccount {
        id: store.new_id("sa"),
        display_name: "svc-every-scope".to_string(),
        description: "Bound once at every scope".to_string(),
        stamps: stamps.clone(),
    };
    let principal = format!("User:{}", account.id);
    let scoped = |scope| match scope {
        Scope::Organization => ("MetricsViewer", organization_crn.clone()),
        Scope::Environment => ("EnvironmentAdmin", environment_crn.clone()),
        Scope::CloudCluster => ("CloudClusterAdmin", cluster_crn.clone()),
        Scope::Topic => ("DeveloperRead", format!("{topics_crn}orders")),
        Scope::TopicPrefix => ("DeveloperWrite", format!("{topics_crn}orders*")),
        Scope::SchemaRegistry => (
            "ResourceOwner",
            format!("{environment_crn}/schema-registry={schema_registry}"),
        ),
        Scope::Ksql => (
            "KsqlAdmin",
            format!("{cluster_crn}/ksql={KSQL_CLUSTER_NAME}"),
        ),
    };
    let seq = store.next_seq();
    store.environments.insert(seq, environment.clone());
    let seq = store.next_seq();
    store.service_accounts.insert(seq, account.clone());
    let mut bindings = Vec::with_capacity(Scope::ALL.len());
    for scope in Scope::ALL {
        let (role, crn) = scoped(scope);
        let binding = RoleBinding {
            id: store.new_id("rb"),
            principal: principal.clone(),
            role_name: role.to_string(),
            crn_pattern: crn,
            stamps: stamps.clone(),
        };
        bindings.push(ScopedBinding {
            scope,
            id: binding.id.clone(),
            role_name: binding.role_name.clone(),
            crn: binding.crn_pattern.clone(),
        });
        let seq = store.next_seq();
        store.role_bindings.insert(seq, binding);
    }
    EveryScope {
        environment_id: environment.id,
        service_account_id: account.id,
        bindings,
    }
}
