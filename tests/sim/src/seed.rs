//! Deterministic seeding: the same `seed` always gives the same organization.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use crate::model::{Environment, Organization, RoleBinding, ServiceAccount, Stamps, User};
use crate::store::Store;

/// How much data to seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSpec {
    /// Users.
    pub users: usize,
    /// Service accounts.
    pub service_accounts: usize,
    /// Environments.
    pub environments: usize,
    /// Role bindings, spread over the organization, its environments and
    /// narrower scopes (clusters and topics).
    pub role_bindings: usize,
    /// The random seed.
    pub seed: u64,
}

impl Default for SeedSpec {
    fn default() -> Self {
        Self {
            users: 25,
            service_accounts: 10,
            environments: 3,
            role_bindings: 40,
            seed: 1,
        }
    }
}

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Barbara",
    "Dennis",
    "Edsger",
    "Frances",
    "Grace",
    "Guido",
    "Hedy",
    "John",
    "Katherine",
    "Ken",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Shafi",
    "Tim",
    "Whitfield",
    "Yukihiro",
];
const LAST: &[&str] = &[
    "Allen",
    "Berners-Lee",
    "Diffie",
    "Dijkstra",
    "Goldwasser",
    "Hamilton",
    "Hopper",
    "Johnson",
    "Kay",
    "Knuth",
    "Lamarr",
    "Liskov",
    "Lovelace",
    "Matsumoto",
    "Perlman",
    "Ritchie",
    "Rossum",
    "Thompson",
    "Torvalds",
    "Wirth",
];
const WORDS: &[&str] = &[
    "billing",
    "orders",
    "payments",
    "ledger",
    "search",
    "audit",
    "etl",
    "connect",
    "ksql",
    "metrics",
    "fraud",
    "inventory",
    "shipping",
    "catalog",
    "alerts",
];
const ORG_ROLES: &[&str] = &[
    "OrganizationAdmin",
    "AccountAdmin",
    "BillingAdmin",
    "MetricsViewer",
];
const ENV_ROLES: &[&str] = &[
    "EnvironmentAdmin",
    "DataDiscovery",
    "DataSteward",
    "MetricsViewer",
];
const NARROW_ROLES: &[&str] = &[
    "CloudClusterAdmin",
    "DeveloperRead",
    "DeveloperWrite",
    "ResourceOwner",
];

/// Fills `store` as `spec` says.
pub fn seed(store: &mut Store, spec: &SeedSpec) {
    let epoch: DateTime<Utc> = "2023-01-02T09:00:00Z".parse().expect("valid constant");
    let stamps = |store: &mut Store| {
        let created = epoch + Duration::seconds(store.rng().i64(0..60 * 60 * 24 * 700));
        let updated = created + Duration::seconds(store.rng().i64(0..60 * 60 * 24 * 30));
        Stamps {
            created_at: created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            updated_at: updated.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }
    };

    let mut uuid_bytes = [0u8; 16];
    store.rng().fill(&mut uuid_bytes);
    let org = Organization {
        id: uuid::Builder::from_random_bytes(uuid_bytes)
            .into_uuid()
            .to_string(),
        display_name: "Simulated Org".to_string(),
        jit_enabled: false,
        stamps: stamps(store),
    };
    let org_crn = org.crn();
    store.organization = Some(org);

    let mut principals = Vec::with_capacity(spec.users + spec.service_accounts);
    for i in 0..spec.users {
        let first = FIRST[store.rng().usize(..FIRST.len())];
        let last = LAST[store.rng().usize(..LAST.len())];
        let user = User {
            id: store.new_id("u"),
            email: format!(
                "{}.{}.{i}@example.com",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            full_name: format!("{first} {last}"),
            auth_type: if store.rng().u8(..4) == 0 {
                "AUTH_TYPE_SSO"
            } else {
                "AUTH_TYPE_LOCAL"
            }
            .to_string(),
            stamps: stamps(store),
        };
        principals.push(format!("User:{}", user.id));
        let seq = store.next_seq();
        store.users.insert(seq, user);
    }
    for i in 0..spec.service_accounts {
        let word = WORDS[store.rng().usize(..WORDS.len())];
        let sa = ServiceAccount {
            id: store.new_id("sa"),
            display_name: format!("svc-{word}-{i}"),
            description: format!("Service account for the {word} pipeline"),
            stamps: stamps(store),
        };
        principals.push(format!("User:{}", sa.id));
        let seq = store.next_seq();
        store.service_accounts.insert(seq, sa);
    }
    let mut env_crns = Vec::with_capacity(spec.environments);
    for i in 0..spec.environments {
        let word = WORDS[store.rng().usize(..WORDS.len())];
        let env = Environment {
            id: store.new_id("env"),
            display_name: format!("{word}-{i}"),
            governance_package: if i % 2 == 0 { "ESSENTIALS" } else { "ADVANCED" }.to_string(),
            stamps: stamps(store),
        };
        env_crns.push(env.crn(store.org_id()));
        let seq = store.next_seq();
        store.environments.insert(seq, env);
    }

    if principals.is_empty() {
        return;
    }
    let mut bound = HashSet::new();
    let mut attempts = 0;
    while bound.len() < spec.role_bindings && attempts < spec.role_bindings * 20 {
        attempts += 1;
        let principal = principals[store.rng().usize(..principals.len())].clone();
        let (role, crn) = match (store.rng().u8(..10), env_crns.is_empty()) {
            (0..=1, _) | (_, true) => (
                ORG_ROLES[store.rng().usize(..ORG_ROLES.len())],
                org_crn.clone(),
            ),
            (2..=6, false) => {
                let env = &env_crns[store.rng().usize(..env_crns.len())];
                (ENV_ROLES[store.rng().usize(..ENV_ROLES.len())], env.clone())
            }
            _ => {
                let env = env_crns[store.rng().usize(..env_crns.len())].clone();
                let cluster = store.new_id("lkc");
                let role = NARROW_ROLES[store.rng().usize(..NARROW_ROLES.len())];
                let crn = if store.rng().bool() {
                    format!("{env}/cloud-cluster={cluster}")
                } else {
                    let topic = WORDS[store.rng().usize(..WORDS.len())];
                    format!("{env}/cloud-cluster={cluster}/kafka={cluster}/topic={topic}")
                };
                (role, crn)
            }
        };
        if !bound.insert((principal.clone(), role, crn.clone())) {
            continue;
        }
        let rb = RoleBinding {
            id: store.new_id("rb"),
            principal,
            role_name: role.to_string(),
            crn_pattern: crn,
            stamps: stamps(store),
        };
        let seq = store.next_seq();
        store.role_bindings.insert(seq, rb);
    }
}
