//! The first end-to-end import, with the seed's documents as defaults.

use connector_runner::types::ObjectKind;
use serde_json::{Value, json};

use crate::support::*;

fn text(value: &Value, pointer: &str) -> Value {
    value.pointer(pointer).cloned().unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn import_accounts_matches_the_simulator_exactly() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let records = import(&host, ObjectKind::Accounts).await?;

    let state = sim.state();
    let mut expected = Vec::new();
    for user in state["users"].as_array().unwrap() {
        expected.push(object(&[
            ("record", json!("account")),
            ("status", json!("active")),
            ("accountID", text(user, "/id")),
            ("name", text(user, "/full_name")),
            ("displayName", text(user, "/full_name")),
            ("customproperty2", text(user, "/email")),
            ("customproperty3", json!("User")),
        ]));
    }
    for sa in state["service_accounts"].as_array().unwrap() {
        expected.push(object(&[
            ("record", json!("account")),
            ("status", json!("active")),
            ("accountID", text(sa, "/id")),
            ("name", text(sa, "/display_name")),
            ("displayName", text(sa, "/display_name")),
            ("customproperty1", text(sa, "/description")),
            ("customproperty3", json!("ServiceAccount")),
            ("customproperty4", text(sa, "/description")),
        ]));
    }
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(250 + 120, records.len());
    assert_eq!(expected, as_json(&records));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn import_follows_next_links_asking_for_the_largest_page() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    import(&host, ObjectKind::Accounts).await?;
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    let users: Vec<_> = paths
        .iter()
        .filter(|p| p.starts_with("/iam/v2/users"))
        .collect();
    assert_eq!(3, users.len(), "{paths:?}");
    assert!(
        users.iter().all(|p| p.contains("page_size=100")),
        "{paths:?}"
    );
    assert_eq!(
        2,
        paths
            .iter()
            .filter(|p| p.starts_with("/iam/v2/service-accounts"))
            .count(),
        "{paths:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn import_entitlements_gives_organizations_and_environments() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let records = import(&host, ObjectKind::Entitlements).await?;

    let state = sim.state();
    let mut expected = Vec::new();
    for (ent_type, list, kind) in [
        ("organization", "organizations", "Organization"),
        ("environment", "environments", "Environment"),
    ] {
        for item in state[list].as_array().unwrap() {
            expected.push(object(&[
                ("record", json!("entitlement")),
                ("status", json!("active")),
                ("entType", json!(ent_type)),
                ("entitlementID", text(item, "/id")),
                ("entitlement_value", text(item, "/display_name")),
                ("customproperty1", json!(kind)),
            ]));
        }
    }
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(1 + 12, records.len());
    assert_eq!(expected, as_json(&records));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_the_organization() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let report = host(connector(), settings(&sim)).test_connection().await?;
    let org_id = sim.state()["organizations"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(report.target.contains(&org_id), "{}", report.target);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_lists_the_seed_mapping() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let descriptor = host(connector(), settings(&sim)).describe().await?;
    assert_eq!(
        vec!["organization", "environment"],
        descriptor.entitlement_types
    );
    assert_eq!(
        vec![
            "accountID",
            "name",
            "displayName",
            "customproperty2",
            "customproperty3",
            "customproperty1",
            "customproperty4"
        ],
        descriptor.account_attributes
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_document_is_a_config_error_naming_its_path() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.documents = vec![import_document_replacing(
        r#""listField": "data""#,
        r#""listField": 7"#,
    )];
    let error = import(&host(connector(), settings), ObjectKind::Accounts)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("config error: ImportAccountEntJSON: at accountParams.call.call1.listField: invalid type: integer `7`, expected a string"),
        "{error}"
    );
    assert!(
        sim.requests().is_empty(),
        "nothing is sent with a bad config"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn import_access_gives_every_role_binding_once() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let records = import(&host, ObjectKind::Access).await?;

    let state = sim.state();
    let org_id = state["organizations"][0]["id"].clone();
    let mut expected = Vec::new();
    for rb in state["role_bindings"].as_array().unwrap() {
        let crn = rb["crn_pattern"].as_str().unwrap();
        // The environment the CRN names, else the organization.
        let (ent_type, ent_id) = match crn.split('/').find_map(|s| s.strip_prefix("environment=")) {
            Some(env) => ("environment", json!(env)),
            None => ("organization", org_id.clone()),
        };
        expected.push(object(&[
            ("record", json!("access")),
            ("status", json!("active")),
            (
                "accountID",
                json!(
                    rb["principal"]
                        .as_str()
                        .unwrap()
                        .strip_prefix("User:")
                        .unwrap()
                ),
            ),
            ("entType", json!(ent_type)),
            ("entitlementID", ent_id),
            ("roleBindingID", text(rb, "/id")),
            ("role_name", text(rb, "/role_name")),
            ("crn_pattern", text(rb, "/crn_pattern")),
            ("principal", text(rb, "/principal")),
        ]));
    }
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(100, records.len());
    assert_eq!(expected, as_json(&records));
    assert!(
        expected.iter().any(|r| r["crn_pattern"]
            .as_str()
            .unwrap()
            .contains("/cloud-cluster=")),
        "narrower scopes are kept"
    );
    Ok(())
}
