//! The JSON the simulator serves validates against the schemas of the
//! published OpenAPI specs (copied into `tests/sim/spec/`).

use base64::Engine as _;
use confluent_sim::{SeedSpec, SimConfig, Simulator};
use serde_json::{Value, json};

/// The specs, in `tests/sim/spec/` (see the README there for their source).
fn spec(file: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut spec = serde_yaml_ng::from_str(&text).unwrap();
    apply_nullable(&mut spec);
    spec
}

/// OpenAPI 3.0 writes "may be null" as `nullable: true`, which JSON Schema
/// does not know; it becomes a `null` alternative in `type`.
fn apply_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(kind)) = map.get("type").cloned()
            {
                map.insert("type".into(), json!([kind, "null"]));
            }
            map.values_mut().for_each(apply_nullable);
        }
        Value::Array(items) => items.iter_mut().for_each(apply_nullable),
        _ => {}
    }
}

/// Validates `instance` against `#/components/schemas/<name>` of `spec`.
fn assert_valid(spec: &Value, name: &str, instance: &Value) {
    let schema =
        json!({ "$ref": format!("#/components/schemas/{name}"), "components": spec["components"] });
    let validator =
        jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema {name}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{instance}");
}

struct Api {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Api {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .header("Content-Type", "application/json");
        let mut response = match body {
            Some(body) => self.agent.run(request.body(body.to_string()).unwrap()),
            None => self.agent.run(request.body(()).unwrap()),
        }
        .unwrap();
        response.body_mut().read_json().unwrap()
    }
}

#[test]
fn served_json_matches_the_openapi_schemas() {
    let sim = Simulator::start(SimConfig {
        seed: SeedSpec {
            users: 12,
            service_accounts: 12,
            environments: 3,
            role_bindings: 30,
            seed: 9,
        },
        ..SimConfig::default()
    })
    .unwrap();
    let api = Api {
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into(),
        base: sim.url().to_string(),
        auth: format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                sim.api_key(),
                sim.api_secret()
            ))
        ),
    };
    let (iam, org, mds) = (
        spec("iam_v2_openapi.yaml"),
        spec("org_v2_openapi.yaml"),
        spec("mds_v2_role_bindings_openapi.yaml"),
    );

    assert_valid(
        &iam,
        "iam.v2.UserList",
        &api.call("GET", "/iam/v2/users", None),
    );
    let user_id = sim.state()["users"][0]["id"].as_str().unwrap().to_string();
    assert_valid(
        &iam,
        "iam.v2.User",
        &api.call("GET", &format!("/iam/v2/users/{user_id}"), None),
    );
    assert_valid(
        &iam,
        "iam.v2.ServiceAccountList",
        &api.call("GET", "/iam/v2/service-accounts", None),
    );
    let sa = api.call(
        "POST",
        "/iam/v2/service-accounts",
        Some(json!({"display_name": "svc-schema", "description": "d"})),
    );
    assert_valid(&iam, "iam.v2.ServiceAccount", &sa);
    let invitation = api.call(
        "POST",
        "/iam/v2/invitations",
        Some(json!({"email": "schema@example.com"})),
    );
    assert_valid(&iam, "iam.v2.Invitation", &invitation);
    assert_valid(
        &iam,
        "iam.v2.InvitationList",
        &api.call("GET", "/iam/v2/invitations", None),
    );
    assert_valid(
        &iam,
        "Failure",
        &api.call("GET", "/iam/v2/users/u-none", None),
    );
    assert_valid(
        &iam,
        "Failure",
        &api.call("GET", "/iam/v2/users?page_size=500", None),
    );

    assert_valid(
        &org,
        "org.v2.OrganizationList",
        &api.call("GET", "/org/v2/organizations", None),
    );
    assert_valid(
        &org,
        "org.v2.EnvironmentList",
        &api.call("GET", "/org/v2/environments", None),
    );
    let env = api.call(
        "POST",
        "/org/v2/environments",
        Some(json!({"display_name": "schema-env"})),
    );
    assert_valid(&org, "org.v2.Environment", &env);

    let crn = env["metadata"]["resource_name"].as_str().unwrap();
    let binding = api.call(
        "POST",
        "/iam/v2/role-bindings",
        Some(json!({"principal": format!("User:{}", sa["id"].as_str().unwrap()), "role_name": "EnvironmentAdmin", "crn_pattern": crn})),
    );
    assert_valid(&mds, "iam.v2.RoleBinding", &binding);
    assert_valid(
        &mds,
        "iam.v2.RoleBindingList",
        &api.call("GET", "/iam/v2/role-bindings?crn_pattern=crn://", None),
    );
    assert_valid(
        &mds,
        "Failure",
        &api.call("GET", "/iam/v2/role-bindings", None),
    );
}

#[test]
fn the_schemas_catch_a_wrong_shape() {
    // Guards the test above: a validator that accepted anything would prove nothing.
    let iam = spec("iam_v2_openapi.yaml");
    let schema =
        json!({ "$ref": "#/components/schemas/iam.v2.UserList", "components": iam["components"] });
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&json!({"api_version": "iam/v2", "kind": "UserList", "metadata": {}, "data": [{"id": "u-1"}]})));
    assert!(!validator.is_valid(&json!({"kind": "UserList", "data": []})));
}
