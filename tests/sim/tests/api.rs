//! The simulator's own tests: every endpoint and status, auth, pagination
//! (including consistency while data changes), the control API and every
//! fault knob, over real HTTP on loopback.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use base64::Engine as _;

use confluent_sim::faults::Latency;
use confluent_sim::{CrnMatching, EveryScope, Faults, Scope, SeedSpec, SimConfig, Simulator};
use serde_json::{Value, json};

struct Client {
    agent: ureq::Agent,
    base: String,
    auth: Option<String>,
}

struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Client {
    fn new(sim: &Simulator) -> Self {
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            sim.api_key(),
            sim.api_secret()
        ));
        Self::with_auth(sim, Some(format!("Basic {token}")))
    }

    fn with_auth(sim: &Simulator, auth: Option<String>) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            agent,
            base: sim.url().to_string(),
            auth,
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Reply, ureq::Error> {
        let url = self.url(path);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(auth) = &self.auth {
            request = request.header("Authorization", auth);
        }
        let mut response = match body {
            Some(body) => self.agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .unwrap(),
            )?,
            None => self.agent.run(request.body(()).unwrap())?,
        };
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string()?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None).unwrap()
    }
    fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(body)).unwrap()
    }
    fn patch(&self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(body)).unwrap()
    }
    fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None).unwrap()
    }
}

fn sim(spec: SeedSpec) -> Simulator {
    Simulator::start(SimConfig {
        seed: spec,
        ..SimConfig::default()
    })
    .unwrap()
}

fn small() -> SeedSpec {
    SeedSpec {
        users: 25,
        service_accounts: 12,
        environments: 3,
        role_bindings: 40,
        seed: 11,
    }
}

fn assert_failure_shape(reply: &Reply, status: u16) {
    assert_eq!(status, reply.status, "{}", reply.body);
    let body = reply.json();
    let error = &body["errors"][0];
    assert_eq!(json!(status.to_string()), error["status"], "{}", reply.body);
    assert!(
        error["id"].is_string() && error["code"].is_string() && error["detail"].is_string(),
        "{}",
        reply.body
    );
}

/// The seeded organization's CRN.
fn org_crn(sim: &Simulator) -> String {
    sim.state()["organizations"][0]["metadata"]["resource_name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Walks a list to its end, returning every `data` item.
fn walk(client: &Client, first: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(url) = next {
        let reply = client.get(&url);
        assert_eq!(200, reply.status, "{}", reply.body);
        let page = reply.json();
        items.extend(page["data"].as_array().unwrap().iter().cloned());
        next = page["metadata"]["next"].as_str().map(str::to_string);
    }
    items
}

// ---- auth ------------------------------------------------------------------

#[test]
fn api_paths_require_basic_auth_and_health_does_not() {
    let sim = sim(small());
    let anonymous = Client::with_auth(&sim, None);
    let reply = anonymous.get("/iam/v2/users");
    assert_failure_shape(&reply, 401);
    assert_eq!("user_unauthenticated", reply.json()["errors"][0]["code"]);
    assert!(reply.headers["www-authenticate"].starts_with("Basic error=\"invalid_key\""));

    let wrong = Client::with_auth(
        &sim,
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("SIMKEY:nope")
        )),
    );
    assert_failure_shape(&wrong.get("/org/v2/environments"), 401);
    assert_failure_shape(&wrong.get("/_sim/state"), 401);
    assert_eq!(200, anonymous.get("/health").status);
}

#[test]
fn the_echo_is_open_and_reflects_the_headers_it_was_sent() {
    let sim = sim(small());
    let client = Client::new(&sim);
    let reply = client.get("/_sim/echo?x=1");
    assert_eq!(200, reply.status);
    let echo = reply.json();
    assert_eq!("GET", echo["method"]);
    assert_eq!("/_sim/echo?x=1", echo["path"]);
    let authorization = echo["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == "authorization");
    assert!(authorization.is_some(), "{echo}");
    let anonymous = Client::with_auth(&sim, None);
    assert_eq!(200, anonymous.get("/_sim/echo").status);
    assert!(
        sim.requests().is_empty(),
        "the echo is not logged: {:?}",
        sim.requests()
    );
}

// ---- users -----------------------------------------------------------------

#[test]
fn users_list_get_patch_and_delete() {
    let sim = sim(small());
    let client = Client::new(&sim);
    let page = client.get("/iam/v2/users").json();
    assert_eq!("UserList", page["kind"]);
    assert_eq!(
        10,
        page["data"].as_array().unwrap().len(),
        "the default page is 10"
    );
    assert_eq!(25, page["metadata"]["total_size"]);
    let user = &page["data"][0];
    let id = user["id"].as_str().unwrap();
    assert!(id.starts_with("u-"));
    assert_eq!(
        format!("{}/iam/v2/users/{id}", sim.url()),
        user["metadata"]["self"]
    );

    assert_eq!(user, &client.get(&format!("/iam/v2/users/{id}")).json());
    let patched = client.patch(
        &format!("/iam/v2/users/{id}"),
        json!({"full_name": "Renamed Person"}),
    );
    assert_eq!(200, patched.status);
    assert_eq!("Renamed Person", patched.json()["full_name"]);

    let principal = format!("User:{id}");
    let org_crn = org_crn(&sim);
    let bound = client.post(
        "/iam/v2/role-bindings",
        json!({"principal": principal, "role_name": "MetricsViewer", "crn_pattern": org_crn}),
    );
    assert_eq!(201, bound.status, "{}", bound.body);
    assert_eq!(204, client.delete(&format!("/iam/v2/users/{id}")).status);
    assert_failure_shape(&client.get(&format!("/iam/v2/users/{id}")), 404);
    assert_failure_shape(&client.delete(&format!("/iam/v2/users/{id}")), 404);
    let left = client
        .get(&format!(
            "/iam/v2/role-bindings?crn_pattern={org_crn}/*&principal={principal}"
        ))
        .json();
    assert_eq!(
        0,
        left["data"].as_array().unwrap().len(),
        "the user's bindings went with it"
    );
}

// ---- service accounts ------------------------------------------------------

#[test]
fn service_accounts_create_filter_patch_and_delete() {
    let sim = sim(small());
    let client = Client::new(&sim);
    let created = client.post(
        "/iam/v2/service-accounts",
        json!({"display_name": "svc-new", "description": "d"}),
    );
    assert_eq!(201, created.status, "{}", created.body);
    let sa = created.json();
    let id = sa["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("sa-"));
    assert_eq!(
        format!("{}/iam/v2/service-accounts/{id}", sim.url()),
        created.headers["location"]
    );

    let duplicate = client.post(
        "/iam/v2/service-accounts",
        json!({"display_name": "svc-new"}),
    );
    assert_failure_shape(&duplicate, 409);
    assert_eq!(
        created.headers["location"], duplicate.headers["location"],
        "the 409 names the existing account"
    );
    assert_failure_shape(
        &client.post(
            "/iam/v2/service-accounts",
            json!({"description": "no name"}),
        ),
        400,
    );

    let other = client
        .post(
            "/iam/v2/service-accounts",
            json!({"display_name": "svc-other"}),
        )
        .json();
    let filtered = client
        .get("/iam/v2/service-accounts?display_name=svc-new&display_name=svc-other")
        .json();
    let mut names: Vec<&str> = filtered["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["display_name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(vec!["svc-new", "svc-other"], names);
    assert_eq!(2, filtered["metadata"]["total_size"]);

    let patched = client.patch(
        &format!("/iam/v2/service-accounts/{id}"),
        json!({"description": "new", "display_name": "svc-renamed"}),
    );
    assert_eq!(200, patched.status);
    assert_eq!("svc-renamed", patched.json()["display_name"]);
    assert_eq!("new", patched.json()["description"]);
    let clash = client.patch(
        &format!("/iam/v2/service-accounts/{id}"),
        json!({"display_name": "svc-other"}),
    );
    assert_failure_shape(&clash, 409);
    assert_eq!(other["metadata"]["self"], json!(clash.headers["location"]));

    let principal = format!("User:{id}");
    let org_crn = org_crn(&sim);
    assert_eq!(201, client.post("/iam/v2/role-bindings", json!({"principal": principal, "role_name": "DeveloperRead", "crn_pattern": org_crn})).status);
    assert_eq!(
        1,
        client
            .get(&format!(
                "/iam/v2/role-bindings?crn_pattern={org_crn}/*&principal={principal}"
            ))
            .json()["data"]
            .as_array()
            .unwrap()
            .len()
    );
    assert_eq!(
        204,
        client
            .delete(&format!("/iam/v2/service-accounts/{id}"))
            .status
    );
    assert_failure_shape(&client.get(&format!("/iam/v2/service-accounts/{id}")), 404);
    assert_failure_shape(
        &client.patch(&format!("/iam/v2/service-accounts/{id}"), json!({})),
        404,
    );
    assert_failure_shape(
        &client.delete(&format!("/iam/v2/service-accounts/{id}")),
        404,
    );
    let left = client
        .get(&format!(
            "/iam/v2/role-bindings?crn_pattern={org_crn}/*&principal={principal}"
        ))
        .json();
    assert_eq!(0, left["data"].as_array().unwrap().len());
    assert!(other["id"].is_string());
}

// ---- invitations -----------------------------------------------------------

#[test]
fn invitations_create_the_user_at_once() {
    let sim = sim(small());
    let client = Client::new(&sim);
    let created = client.post(
        "/iam/v2/invitations",
        json!({"email": "new.person@example.com"}),
    );
    assert_eq!(201, created.status, "{}", created.body);
    let invitation = created.json();
    assert_eq!("INVITE_STATUS_SENT", invitation["status"]);
    let user_id = invitation["user"]["id"].as_str().unwrap();
    assert_eq!(
        "new.person@example.com",
        client.get(&format!("/iam/v2/users/{user_id}")).json()["email"]
    );
    let duplicate = client.post(
        "/iam/v2/invitations",
        json!({"email": "new.person@example.com"}),
    );
    assert_failure_shape(&duplicate, 409);
    assert_eq!(created.headers["location"], duplicate.headers["location"]);

    let id = invitation["id"].as_str().unwrap();
    assert_eq!(
        invitation,
        client.get(&format!("/iam/v2/invitations/{id}")).json()
    );
    assert_eq!(
        1,
        client.get("/iam/v2/invitations").json()["data"]
            .as_array()
            .unwrap()
            .len()
    );
    assert_eq!(
        204,
        client.delete(&format!("/iam/v2/invitations/{id}")).status
    );
    assert_failure_shape(&client.get(&format!("/iam/v2/invitations/{id}")), 404);
}

#[test]
fn invitations_filter_by_exact_email_status_user_and_creator() {
    let sim = sim(small());
    let client = Client::new(&sim);
    let first_user = sim.state()["users"][0]["id"].as_str().unwrap().to_string();
    let invited: Vec<Value> = ["ann@example.com", "bob@example.com", "carl@example.com"]
        .iter()
        .map(|email| {
            let reply = client.post("/iam/v2/invitations", json!({"email": email}));
            assert_eq!(201, reply.status, "{}", reply.body);
            reply.json()
        })
        .collect();
    sim.with_store(|store| {
        let id = invited[1]["id"].as_str().unwrap();
        store.invitations.get_mut(id).unwrap().status = "INVITE_STATUS_ACCEPTED".into();
    });
    let ids = |query: &str| -> Vec<String> {
        walk(&client, &format!("/iam/v2/invitations?{query}"))
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let id = |n: usize| invited[n]["id"].as_str().unwrap().to_string();
    assert_eq!(
        vec![id(0)],
        ids("email=ann%40example.com"),
        "exact, case and all"
    );
    assert!(ids("email=ann").is_empty(), "no partial match");
    assert!(ids("email=ANN%40example.com").is_empty(), "case counts");
    assert_eq!(vec![id(1)], ids("status=INVITE_STATUS_ACCEPTED"));
    assert_eq!(vec![id(0), id(2)], ids("status=INVITE_STATUS_SENT"));
    let user = invited[2]["user"]["id"].as_str().unwrap();
    assert_eq!(vec![id(2)], ids(&format!("user={user}")));
    assert_eq!(
        first_user, invited[0]["creator"]["id"],
        "the organization's first user stands in for the API key's owner"
    );
    assert_eq!(3, ids(&format!("creator={first_user}")).len());
    assert!(ids("creator=u-nobody").is_empty());
    assert_eq!(
        vec![id(0)],
        ids(&format!(
            "creator={first_user}&status=INVITE_STATUS_SENT&email=ann%40example.com"
        ))
    );
    let filtered = client
        .get("/iam/v2/invitations?status=INVITE_STATUS_SENT")
        .json();
    assert_eq!(2, filtered["metadata"]["total_size"]);
}

// ---- organizations and environments ----------------------------------------

#[test]
fn organizations_and_environments() {
    let sim = sim(small());
    let client = Client::new(&sim);
    let orgs = client.get("/org/v2/organizations").json();
    assert_eq!("OrganizationList", orgs["kind"]);
    let org_id = orgs["data"][0]["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(org_id).is_ok(), "{org_id}");
    assert_eq!(
        200,
        client
            .get(&format!("/org/v2/organizations/{org_id}"))
            .status
    );
    assert_failure_shape(&client.get("/org/v2/organizations/nope"), 404);

    let envs = client.get("/org/v2/environments").json();
    assert_eq!(3, envs["data"].as_array().unwrap().len());
    let env = &envs["data"][0];
    let env_id = env["id"].as_str().unwrap();
    assert!(env_id.starts_with("env-"));
    assert_eq!(
        format!("crn://confluent.cloud/organization={org_id}/environment={env_id}"),
        env["metadata"]["resource_name"]
    );

    let created = client.post("/org/v2/environments", json!({"display_name": "staging"}));
    assert_eq!(201, created.status);
    assert!(created.headers["location"].contains("/org/v2/environments/env-"));
    let duplicate = client.post("/org/v2/environments", json!({"display_name": "staging"}));
    assert_failure_shape(&duplicate, 409);
    assert_eq!(created.headers["location"], duplicate.headers["location"]);
    let new_id = created.json()["id"].as_str().unwrap().to_string();
    let patched = client.patch(
        &format!("/org/v2/environments/{new_id}"),
        json!({"display_name": "stage"}),
    );
    assert_eq!("stage", patched.json()["display_name"]);
    assert_eq!(
        204,
        client
            .delete(&format!("/org/v2/environments/{new_id}"))
            .status
    );
    assert_failure_shape(&client.get(&format!("/org/v2/environments/{new_id}")), 404);
}

#[test]
fn an_organization_is_renamed_with_patch() {
    let sim = sim(small());
    let client = Client::new(&sim);
    let org = client.get("/org/v2/organizations").json()["data"][0].clone();
    let path = format!("/org/v2/organizations/{}", org["id"].as_str().unwrap());
    let patched = client.patch(
        &path,
        json!({"display_name": "Finance Org", "jit_enabled": true}),
    );
    assert_eq!(200, patched.status, "{}", patched.body);
    let patched = patched.json();
    assert_eq!("Finance Org", patched["display_name"]);
    assert_eq!(true, patched["jit_enabled"]);
    assert_eq!(org["id"], patched["id"]);
    assert_eq!(patched, client.get(&path).json());
    assert_eq!(
        "Finance Org",
        client.patch(&path, json!({})).json()["display_name"],
        "an empty patch changes nothing"
    );
    for bad in [
        json!({"display_name": "a name longer than thirty-one chars"}),
        json!({"display_name": "no <tags>"}),
        json!({"display_name": ""}),
        json!({"jit_enabled": "yes"}),
    ] {
        assert_failure_shape(&client.patch(&path, bad), 400);
    }
    assert_failure_shape(
        &client.patch("/org/v2/organizations/nope", json!({"display_name": "X"})),
        404,
    );
}

// ---- role bindings ---------------------------------------------------------

#[test]
fn role_bindings_filter_create_and_delete() {
    let sim = sim(small());
    let client = Client::new(&sim);
    assert_failure_shape(&client.get("/iam/v2/role-bindings"), 400);

    let state = sim.state();
    let org_crn = state["organizations"][0]["metadata"]["resource_name"]
        .as_str()
        .unwrap()
        .to_string();
    let all = client
        .get(&format!("/iam/v2/role-bindings?crn_pattern={org_crn}/*"))
        .json();
    assert_eq!(
        40,
        all["data"].as_array().unwrap().len(),
        "the default page holds 1000, and every binding is under the organization"
    );
    let bindings_at = |crn: &str| {
        state["role_bindings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|rb| rb["crn_pattern"] == crn)
            .count()
    };
    let at_org = walk(
        &client,
        &format!("/iam/v2/role-bindings?crn_pattern={org_crn}"),
    );
    assert!(
        at_org
            .iter()
            .all(|rb| rb["crn_pattern"] == org_crn.as_str())
    );
    assert_eq!(bindings_at(&org_crn), at_org.len());

    let env = &state["environments"][0];
    let env_crn = env["metadata"]["resource_name"].as_str().unwrap();
    let in_env = walk(
        &client,
        &format!("/iam/v2/role-bindings?crn_pattern={env_crn}"),
    );
    assert_eq!(bindings_at(env_crn), in_env.len());

    let rb = &state["role_bindings"][0];
    let principal = rb["principal"].as_str().unwrap();
    let role = rb["role_name"].as_str().unwrap();
    let exact = walk(
        &client,
        &format!(
            "/iam/v2/role-bindings?crn_pattern={org_crn}/*&principal={principal}&role_name={role}"
        ),
    );
    assert!(
        exact
            .iter()
            .all(|b| b["principal"] == principal && b["role_name"] == role)
    );
    assert!(exact.iter().any(|b| b["id"] == rb["id"]));
    let prefix = &principal[..principal.len() - 1];
    assert!(
        walk(
            &client,
            &format!("/iam/v2/role-bindings?crn_pattern={org_crn}/*&principal={prefix}")
        )
        .is_empty(),
        "principal is exact"
    );

    let binding = json!({"principal": "User:sa-abc123", "role_name": "EnvironmentAdmin", "crn_pattern": env_crn});
    let created = client.post("/iam/v2/role-bindings", binding.clone());
    assert_eq!(201, created.status, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("rb-"));
    let duplicate = client.post("/iam/v2/role-bindings", binding);
    assert_failure_shape(&duplicate, 409);
    assert_eq!(
        format!("{}/iam/v2/role-bindings/{id}", sim.url()),
        duplicate.headers["location"],
        "the 409 names the existing binding"
    );
    assert_failure_shape(
        &client.post(
            "/iam/v2/role-bindings",
            json!({"principal": "sa-1", "role_name": "R", "crn_pattern": "crn://x"}),
        ),
        400,
    );

    assert_eq!(
        200,
        client.get(&format!("/iam/v2/role-bindings/{id}")).status
    );
    let deleted = client.delete(&format!("/iam/v2/role-bindings/{id}"));
    assert_eq!(200, deleted.status);
    assert_eq!(id, deleted.json()["id"]);
    for reply in [
        client.get(&format!("/iam/v2/role-bindings/{id}")),
        client.delete(&format!("/iam/v2/role-bindings/{id}")),
    ] {
        assert_eq!(403, reply.status);
        assert_eq!(
            json!({"error_code": 40301, "message": "Either unauthorized to access role binding or role binding does not exist"}),
            reply.json()
        );
    }
}

fn every_scope_sim(crn_matching: CrnMatching) -> Simulator {
    Simulator::start(SimConfig {
        seed: small(),
        every_scope: true,
        crn_matching,
        ..SimConfig::default()
    })
    .unwrap()
}

/// The scopes of the every-scope bindings a `crn_pattern` list returns.
fn scopes_listed(client: &Client, every: &EveryScope, pattern: &str) -> HashSet<Scope> {
    let listed = walk(
        client,
        &format!(
            "/iam/v2/role-bindings?crn_pattern={}&principal=User:{}",
            urlencode(pattern),
            every.service_account_id
        ),
    );
    listed
        .iter()
        .map(|rb| {
            every
                .bindings
                .iter()
                .find(|b| b.id == rb["id"].as_str().unwrap())
                .unwrap_or_else(|| panic!("not an every-scope binding: {rb}"))
                .scope
        })
        .collect()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[test]
fn every_scope_bindings_use_the_real_crn_forms_and_are_deterministic() {
    let sim = every_scope_sim(CrnMatching::Exact);
    let every = sim.every_scope().unwrap().clone();
    assert_eq!(
        Some(&every),
        every_scope_sim(CrnMatching::Exact).every_scope(),
        "the same seed gives the same organization"
    );
    let org = org_crn(&sim);
    let env = format!("{org}/environment={}", every.environment_id);
    let crn = |scope| every.binding(scope).crn.clone();
    assert_eq!(org, crn(Scope::Organization));
    assert_eq!(env, crn(Scope::Environment));
    let cluster = crn(Scope::CloudCluster);
    let lkc = cluster
        .strip_prefix(&format!("{env}/cloud-cluster="))
        .unwrap();
    assert!(lkc.starts_with("lkc-"), "{cluster}");
    assert_eq!(
        format!("{cluster}/kafka={lkc}/topic=orders"),
        crn(Scope::Topic)
    );
    assert_eq!(
        format!("{cluster}/kafka={lkc}/topic=orders*"),
        crn(Scope::TopicPrefix)
    );
    assert!(
        crn(Scope::SchemaRegistry).starts_with(&format!("{env}/schema-registry=lsrc-")),
        "{}",
        crn(Scope::SchemaRegistry)
    );
    assert_eq!(format!("{cluster}/ksql=orders-ksql"), crn(Scope::Ksql));

    let state = sim.state();
    let principal = format!("User:{}", every.service_account_id);
    for binding in &every.bindings {
        let stored = state["role_bindings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|rb| rb["id"] == binding.id.as_str())
            .unwrap();
        assert_eq!(binding.crn, stored["crn_pattern"]);
        assert_eq!(principal, stored["principal"]);
    }
    assert!(
        state["environments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == every.environment_id.as_str())
    );
    assert!(
        sim_with_users(3).every_scope().is_none(),
        "only seeded on request"
    );
}

#[test]
fn exact_matching_lists_a_scope_and_a_trailing_wildcard_adds_the_nested_ones() {
    use Scope::*;
    let sim = every_scope_sim(CrnMatching::Exact);
    let client = Client::new(&sim);
    let every = sim.every_scope().unwrap();
    let crn = |scope| every.binding(scope).crn.as_str();
    let set = |scopes: &[Scope]| scopes.iter().copied().collect::<HashSet<_>>();
    for scope in Scope::ALL {
        assert_eq!(
            set(&[scope]),
            scopes_listed(&client, every, crn(scope)),
            "exactly the binding at {scope:?}"
        );
    }
    assert_eq!(
        set(&Scope::ALL),
        scopes_listed(&client, every, &format!("{}/*", crn(Organization)))
    );
    assert_eq!(
        set(&[
            Environment,
            CloudCluster,
            Topic,
            TopicPrefix,
            SchemaRegistry,
            Ksql
        ]),
        scopes_listed(&client, every, &format!("{}/*", crn(Environment)))
    );
    assert_eq!(
        set(&[CloudCluster, Topic, TopicPrefix, Ksql]),
        scopes_listed(&client, every, &format!("{}/*", crn(CloudCluster)))
    );
    assert_eq!(
        set(&[Topic]),
        scopes_listed(&client, every, &format!("{}/*", crn(Topic))),
        "orders/* is not orders*"
    );
    assert!(
        scopes_listed(&client, every, "crn://").is_empty(),
        "a CRN fragment is no scope"
    );
}

#[test]
fn partial_matching_is_the_old_contains_match_and_switches_at_run_time() {
    use Scope::*;
    let sim = every_scope_sim(CrnMatching::Partial);
    let client = Client::new(&sim);
    let every = sim.every_scope().unwrap();
    let crn = |scope| every.binding(scope).crn.as_str();
    let set = |scopes: &[Scope]| scopes.iter().copied().collect::<HashSet<_>>();
    assert_eq!(CrnMatching::Partial, sim.crn_matching());
    assert_eq!(
        set(&[
            Environment,
            CloudCluster,
            Topic,
            TopicPrefix,
            SchemaRegistry,
            Ksql
        ]),
        scopes_listed(&client, every, crn(Environment))
    );
    assert_eq!(
        set(&[Topic, TopicPrefix]),
        scopes_listed(&client, every, "topic=orders")
    );
    assert!(
        scopes_listed(&client, every, &format!("{}/*", crn(Organization))).is_empty(),
        "the wildcard is taken literally"
    );

    sim.set_crn_matching(CrnMatching::Exact);
    assert_eq!(
        set(&[Environment]),
        scopes_listed(&client, every, crn(Environment))
    );
    let control = client
        .send(
            "PUT",
            "/_sim/crn-matching",
            Some(json!({"mode": "partial"})),
        )
        .unwrap();
    assert_eq!(200, control.status, "{}", control.body);
    assert_eq!(
        json!({"mode": "partial"}),
        client.get("/_sim/crn-matching").json()
    );
    assert_eq!(CrnMatching::Partial, sim.crn_matching());
    assert_eq!(6, scopes_listed(&client, every, crn(Environment)).len());
    assert_failure_shape(
        &client
            .send(
                "PUT",
                "/_sim/crn-matching",
                Some(json!({"mode": "contains"})),
            )
            .unwrap(),
        400,
    );
}

// ---- errors outside the handlers --------------------------------------------

#[test]
fn unknown_paths_wrong_methods_and_oversized_requests_answer_in_the_error_shape() {
    let sim = sim(small());
    let client = Client::new(&sim);
    for reply in [
        client.get("/iam/v2/nothing-here"),
        client.get("/iam/v3/users"),
        client.get("/_sim/nothing-here"),
    ] {
        assert_failure_shape(&reply, 404);
        assert_eq!("application/json", reply.headers["content-type"]);
    }
    for reply in [
        client.send("PUT", "/iam/v2/users", None).unwrap(),
        client
            .send("POST", "/iam/v2/users/u-1", Some(json!({})))
            .unwrap(),
        client.send("DELETE", "/health", None).unwrap(),
    ] {
        assert_failure_shape(&reply, 405);
        assert_eq!("application/json", reply.headers["content-type"]);
    }

    let padding = "x".repeat(confluent_sim::body::MAX_BODY_BYTES);
    let reply = client.post(
        "/iam/v2/service-accounts",
        json!({"display_name": "big", "description": padding}),
    );
    assert_failure_shape(&reply, 413);
    assert_eq!("payload_too_large", reply.json()["errors"][0]["code"]);

    let long = "a".repeat(confluent_sim::api::MAX_URI_BYTES);
    let reply = client.get(&format!("/iam/v2/service-accounts?display_name={long}"));
    assert_failure_shape(&reply, 414);
    assert_eq!("uri_too_long", reply.json()["errors"][0]["code"]);
    assert_eq!(
        200,
        client
            .get(&format!(
                "/iam/v2/service-accounts?display_name={}",
                &long[..7000]
            ))
            .status,
        "a long URL under the limit is served"
    );
}

// ---- pagination ------------------------------------------------------------

#[test]
fn pages_have_absolute_next_links_until_the_last() {
    let sim = sim(SeedSpec {
        users: 25,
        ..small()
    });
    let client = Client::new(&sim);
    let first = client.get("/iam/v2/users?page_size=10").json();
    let next = first["metadata"]["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/iam/v2/users?", sim.url())),
        "{next}"
    );
    assert!(next.contains("page_size=10") && next.contains("page_token="));
    let third = client
        .get(
            client.get(next).json()["metadata"]["next"]
                .as_str()
                .unwrap(),
        )
        .json();
    assert_eq!(5, third["data"].as_array().unwrap().len());
    assert!(
        third["metadata"].get("next").is_none(),
        "the last page has no next"
    );
    assert_eq!(25, third["metadata"]["total_size"]);

    assert_failure_shape(&client.get("/iam/v2/users?page_size=101"), 400);
    assert_failure_shape(&client.get("/iam/v2/users?page_size=0"), 400);
    assert_failure_shape(&client.get("/iam/v2/users?page_token=garbage"), 400);
    assert_eq!(
        200,
        client
            .get("/iam/v2/role-bindings?crn_pattern=crn://&page_size=1000")
            .status
    );
    assert_failure_shape(
        &client.get("/iam/v2/role-bindings?crn_pattern=crn://&page_size=1001"),
        400,
    );
}

#[test]
fn page_tokens_are_opaque_and_bound_to_their_list_page_size_and_filters() {
    let sim = sim(SeedSpec {
        users: 25,
        service_accounts: 30,
        ..small()
    });
    let client = Client::new(&sim);
    let token_of = |url: &str| {
        let next = client.get(url).json()["metadata"]["next"]
            .as_str()
            .unwrap()
            .to_string();
        url::Url::parse(&next)
            .unwrap()
            .query_pairs()
            .find(|(name, _)| name == "page_token")
            .unwrap()
            .1
            .into_owned()
    };
    let users = token_of("/iam/v2/users?page_size=5");
    assert!(users.len() <= 255, "the specs' limit");
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&users)
        .unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&decoded).contains("after"),
        "not readable: {decoded:?}"
    );
    let again = token_of("/iam/v2/users?page_size=5");
    assert_eq!(users, again, "the same page gives the same token");
    assert_ne!(
        users,
        token_of("/iam/v2/service-accounts?page_size=5"),
        "another list's token differs"
    );

    assert_eq!(
        200,
        client
            .get(&format!("/iam/v2/users?page_size=5&page_token={users}"))
            .status
    );
    for foreign in [
        format!("/iam/v2/service-accounts?page_size=5&page_token={users}"),
        format!("/iam/v2/users?page_size=6&page_token={users}"),
        format!("/iam/v2/users?page_token={users}"),
        format!("/org/v2/environments?page_size=5&page_token={users}"),
        "/iam/v2/users?page_token=YWZ0ZXI6Mw".to_string(),
        format!("/iam/v2/users?page_size=5&page_token={}", "A".repeat(256)),
    ] {
        let reply = client.get(&foreign);
        assert_failure_shape(&reply, 400);
        assert_eq!(
            "page_token",
            reply.json()["errors"][0]["source"]["parameter"],
            "{foreign}"
        );
    }

    let named = "/iam/v2/service-accounts?page_size=1&display_name=svc-a&display_name=svc-b";
    for name in ["svc-a", "svc-b"] {
        client.post("/iam/v2/service-accounts", json!({"display_name": name}));
    }
    let filtered = token_of(named);
    assert_eq!(
        200,
        client
            .get(&format!(
                "/iam/v2/service-accounts?display_name=svc-b&page_size=1&display_name=svc-a&page_token={filtered}"
            ))
            .status,
        "the filters' order does not matter"
    );
    assert_failure_shape(
        &client.get(&format!(
            "/iam/v2/service-accounts?page_size=1&display_name=svc-a&page_token={filtered}"
        )),
        400,
    );
    let other_sim = sim_with_users(25);
    assert_failure_shape(
        &Client::new(&other_sim).get(&format!("/iam/v2/users?page_size=5&page_token={users}")),
        400,
    );
}

fn sim_with_users(users: usize) -> Simulator {
    sim(SeedSpec { users, ..small() })
}

#[test]
fn a_record_present_for_the_whole_walk_is_returned_exactly_once() {
    let sim = sim(SeedSpec {
        users: 95,
        ..small()
    });
    let client = Client::new(&sim);
    let before: Vec<String> = sim.state()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let mut seen = Vec::new();
    let mut removed = Vec::new();
    let mut next = Some("/iam/v2/users?page_size=10".to_string());
    let mut page = 0;
    while let Some(url) = next {
        let body = client.get(&url).json();
        seen.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_string()),
        );
        next = body["metadata"]["next"].as_str().map(str::to_string);
        // Between pages: delete one user not yet seen and one already seen,
        // and invite a new one.
        let victim = before
            .iter()
            .rev()
            .find(|id| !seen.contains(id) && !removed.contains(*id))
            .cloned();
        if let Some(victim) = victim {
            assert_eq!(
                204,
                client.delete(&format!("/iam/v2/users/{victim}")).status
            );
            removed.push(victim);
        }
        assert_eq!(
            204,
            client
                .delete(&format!("/iam/v2/users/{}", seen[page]))
                .status
        );
        removed.push(seen[page].clone());
        client.post(
            "/iam/v2/invitations",
            json!({"email": format!("walker{page}@example.com")}),
        );
        page += 1;
    }
    for id in before.iter().filter(|id| !removed.contains(id)) {
        assert_eq!(
            1,
            seen.iter().filter(|s| *s == id).count(),
            "{id} must appear exactly once"
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no record appears twice");
}

// ---- seeding and inspection ------------------------------------------------

#[test]
fn seeding_is_deterministic_and_ids_look_real() {
    let spec = SeedSpec {
        users: 30,
        service_accounts: 10,
        environments: 4,
        role_bindings: 50,
        seed: 42,
    };
    let (a, b) = (sim(spec), sim(spec));
    let strip = |mut state: Value| {
        // `self` URLs carry each simulator's port; everything else is equal.
        let text = state.to_string();
        state = serde_json::from_str(&text.replace(a.url(), "ORIGIN").replace(b.url(), "ORIGIN"))
            .unwrap();
        state
    };
    assert_eq!(strip(a.state()), strip(b.state()));
    let state = a.state();
    assert_eq!(30, state["users"].as_array().unwrap().len());
    assert_eq!(50, state["role_bindings"].as_array().unwrap().len());
    let prefixes = [
        ("users", "u-"),
        ("service_accounts", "sa-"),
        ("environments", "env-"),
        ("role_bindings", "rb-"),
    ];
    for (list, prefix) in prefixes {
        for item in state[list].as_array().unwrap() {
            assert!(item["id"].as_str().unwrap().starts_with(prefix), "{item}");
            assert!(
                item["metadata"]["created_at"]
                    .as_str()
                    .unwrap()
                    .ends_with('Z')
            );
        }
    }
    let different = sim(SeedSpec { seed: 43, ..spec });
    assert_ne!(state["users"][0]["id"], different.state()["users"][0]["id"]);
}

#[test]
fn the_control_api_serves_state_requests_and_faults() {
    let sim = sim(small());
    let client = Client::new(&sim);
    client.get("/iam/v2/users");
    client.get("/iam/v2/users/u-missing");
    let state = client.get("/_sim/state").json();
    assert_eq!(25, state["users"].as_array().unwrap().len());
    let log = client.get("/_sim/requests").json();
    let entries: Vec<(String, String, u64)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().into(),
                r["path"].as_str().unwrap().into(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        vec![
            ("GET".into(), "/iam/v2/users".into(), 200),
            ("GET".into(), "/iam/v2/users/u-missing".into(), 404)
        ],
        entries
    );
    assert!(log[0]["time"].is_string());
    assert_eq!(204, client.delete("/_sim/requests").status);
    assert!(sim.requests().is_empty());

    let set = client
        .send(
            "PUT",
            "/_sim/faults",
            Some(json!({"error_rate": 1.0, "error_statuses": [502]})),
        )
        .unwrap();
    assert_eq!(200, set.status, "{}", set.body);
    assert_failure_shape(&client.get("/iam/v2/users"), 502);
    assert_eq!(
        400,
        client
            .send("PUT", "/_sim/faults", Some(json!({"error_rat": 1.0})))
            .unwrap()
            .status
    );
}

// ---- faults ----------------------------------------------------------------

fn with_faults(faults: Faults) -> (Simulator, Client) {
    let sim = Simulator::start(SimConfig {
        seed: small(),
        faults,
        ..SimConfig::default()
    })
    .unwrap();
    let client = Client::new(&sim);
    (sim, client)
}

#[test]
fn latency_delays_each_request() {
    let (_sim, client) = with_faults(Faults {
        latency_ms: Some(Latency { min: 150, max: 150 }),
        ..Faults::default()
    });
    let started = Instant::now();
    assert_eq!(200, client.get("/iam/v2/users").status);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[test]
fn rate_limiting_answers_429_with_retry_after_and_headers_everywhere() {
    let (_sim, client) = with_faults(Faults {
        rate_limit: Some(3),
        ..Faults::default()
    });
    let replies: Vec<Reply> = (0..5).map(|_| client.get("/iam/v2/users")).collect();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(vec![200, 200, 200, 429, 429], statuses);
    let remaining: Vec<&str> = replies
        .iter()
        .map(|r| r.headers["x-ratelimit-remaining"].as_str())
        .collect();
    assert_eq!(vec!["2", "1", "0", "0", "0"], remaining);
    for reply in &replies {
        assert_eq!("3", reply.headers["x-ratelimit-limit"]);
        let reset: u64 = reply.headers["x-ratelimit-reset"].parse().unwrap();
        assert!(
            (1..=1).contains(&reset),
            "seconds from now, not epoch: {reset}"
        );
    }
    assert_eq!("1", replies[3].headers["retry-after"]);
    assert_failure_shape(&replies[3], 429);
}

#[test]
fn server_errors_are_drawn_from_500_502_and_503() {
    let (_sim, client) = with_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    for _ in 0..20 {
        let reply = client.get("/org/v2/environments");
        assert!([500, 502, 503].contains(&reply.status), "{}", reply.status);
        assert_failure_shape(&reply, reply.status);
    }
}

#[test]
fn html_errors_answer_with_a_proxy_page_under_the_error_status() {
    let (_sim, client) = with_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![502],
        html_errors: true,
        ..Faults::default()
    });
    let reply = client.get("/iam/v2/users");
    assert_eq!(502, reply.status);
    assert_eq!("text/html", reply.headers["content-type"]);
    assert!(reply.body.starts_with("<html>"), "{}", reply.body);
    assert!(reply.body.contains("502 Bad Gateway"), "{}", reply.body);
    assert!(serde_json::from_str::<Value>(&reply.body).is_err());
}

#[test]
fn faults_can_target_one_path_and_method() {
    let (_sim, client) = with_faults(Faults {
        error_rate: 1.0,
        path_prefix: Some("/iam/v2/service-accounts".into()),
        method: Some("POST".into()),
        ..Faults::default()
    });
    assert_eq!(200, client.get("/iam/v2/service-accounts").status);
    assert_eq!(200, client.get("/iam/v2/users").status);
    assert!(
        client
            .post("/iam/v2/service-accounts", json!({"display_name": "x"}))
            .status
            >= 500
    );
}

#[test]
fn latency_after_apply_delays_a_response_whose_request_took_effect() {
    let (sim, client) = with_faults(Faults {
        latency_ms: Some(Latency {
            min: 2000,
            max: 2000,
        }),
        latency_after_apply: true,
        ..Faults::default()
    });
    let sent = std::thread::spawn(move || {
        client.post("/iam/v2/service-accounts", json!({"display_name": "slow"}))
    });
    let made = || {
        sim.state()["service_accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|sa| sa["display_name"] == "slow")
    };
    while !made() && !sent.is_finished() {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !sent.is_finished(),
        "the account exists while the response is still on its way"
    );
    assert_eq!(201, sent.join().unwrap().status);
}

#[test]
fn an_error_after_apply_loses_the_response_of_a_request_that_took_effect() {
    let (sim, client) = with_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![502],
        error_after_apply: true,
        method: Some("POST".into()),
        ..Faults::default()
    });
    let before = sim.state()["service_accounts"].as_array().unwrap().len();
    let reply = client.post("/iam/v2/service-accounts", json!({"display_name": "lost"}));
    assert_eq!(502, reply.status);
    let names: Vec<Value> = sim.state()["service_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sa| sa["display_name"].clone())
        .collect();
    assert_eq!(before + 1, names.len());
    assert!(names.contains(&json!("lost")));
}

#[test]
fn a_reset_breaks_the_connection_mid_body() {
    let (_sim, client) = with_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    assert!(
        client.send("GET", "/iam/v2/users", None).is_err(),
        "reading the body must fail"
    );
}

#[test]
fn a_truncated_body_is_cut_short() {
    let (sim, client) = with_faults(Faults {
        truncate_rate: 1.0,
        ..Faults::default()
    });
    let reply = client.get("/iam/v2/users");
    assert_eq!(200, reply.status);
    assert!(serde_json::from_str::<Value>(&reply.body).is_err());
    sim.set_faults(Faults::default());
    assert!(reply.body.len() < client.get("/iam/v2/users").body.len());
}

#[test]
fn a_not_json_body_is_html() {
    let (_sim, client) = with_faults(Faults {
        not_json_rate: 1.0,
        ..Faults::default()
    });
    let reply = client.get("/iam/v2/users");
    assert_eq!(200, reply.status);
    assert!(reply.body.starts_with("<html>"));
    assert_eq!("text/html", reply.headers["content-type"]);
}

#[test]
fn a_looping_next_link_points_back_at_the_same_page() {
    let (_sim, client) = with_faults(Faults {
        loop_next: true,
        ..Faults::default()
    });
    let first = client.get("/iam/v2/users").json();
    let next = first["metadata"]["next"].as_str().unwrap();
    assert_eq!(first["metadata"]["first"], json!(next));
    assert_eq!(first["data"], client.get(next).json()["data"]);
}

#[test]
fn next_links_can_be_moved_to_another_origin() {
    let (_sim, client) = with_faults(Faults {
        next_origin: Some("http://127.0.0.2:9".into()),
        ..Faults::default()
    });
    let next = client.get("/iam/v2/users").json()["metadata"]["next"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        next.starts_with("http://127.0.0.2:9/iam/v2/users?"),
        "{next}"
    );
}

// ---- the binary ------------------------------------------------------------

#[test]
fn the_binary_prints_one_listening_line_and_a_generated_key() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_confluent-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--users",
            "3",
            "--seed",
            "5",
            "--every-scope",
            "--crn-matching",
            "partial",
            "--html-errors",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mut err = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut err)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .expect(&line);
    assert!(url.parse::<u16>().is_ok(), "{line}");
    assert!(err.starts_with("generated API key: "), "{err}");
}
