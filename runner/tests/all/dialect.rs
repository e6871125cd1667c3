//! The ImportAccountEntJSON dialect against the simulator: the seed's
//! document verbatim, custom mappings, explicit pagination, and independent
//! calls running at once.

use confluent_sim::Faults;
use confluent_sim::faults::Latency;
use connector_runner::types::{Document, ObjectKind, Record};
use serde_json::{Value, json};

use crate::support::*;

fn import_document(json: &Value) -> Document {
    Document {
        name: "ImportAccountEntJSON".into(),
        json: json.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_document_verbatim_imports_everything() -> anyhow::Result<()> {
    // The connector's default is the seed's document, byte for byte.
    let seed =
        include_str!("../../../connector/engine/defaults/ImportAccountEntJSON.json").to_string();
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.documents = vec![Document {
        name: "ImportAccountEntJSON".into(),
        json: seed,
    }];
    let (_, records) = run_import(&host(connector(), settings), &import_all(None, false)).await?;
    let state = sim.state();
    let mut expected = expected_accounts(&state);
    expected.extend(expected_entitlements(&state));
    expected.extend(expected_access(&state));
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(expected, as_json(&records));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_mapping_types_dates_booleans_and_nested_paths() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let call = |url: &str, columns: Value| {
        json!({"call1": {"http": {"url": url, "httpHeaders": {"Authorization": "${access_token}"}},
            "listField": "data", "keyField": "id", "colsToPropsMap": columns}})
    };
    let document = json!({
        "dateFormat": "dd.MM.yyyy HH:mm",
        "accountParams": {"call": call("https://api.confluent.cloud/iam/v2/users", json!({
            "id": "id",
            "created": "metadata.created_at~#~date",
            "crn": "metadata.resource_name~#~char",
        }))},
        "entitlementParams": {"entTypes": {
            "organization": {"entTypeOrder": 0, "call": call("https://api.confluent.cloud/org/v2/organizations", json!({
                "id": "id~#~char", "jit": "jit_enabled~#~bool",
            }))},
            "environment": {"entTypeOrder": 1, "call": call("https://api.confluent.cloud/org/v2/environments", json!({
                "id": "id~#~char", "package": "stream_governance_config.package~#~char",
            }))},
        }},
    });
    let mut settings = settings(&sim);
    settings.documents = vec![import_document(&document)];
    let request = ImportRequest {
        kinds: vec![ObjectKind::Accounts, ObjectKind::Entitlements],
        ..import_all(None, false)
    };
    let (_, records) = run_import(&host(connector(), settings), &request).await?;

    let state = sim.state();
    let user = &state["users"][0];
    // The simulator writes `2024-03-05T07:08:09Z`; dd.MM.yyyy HH:mm reorders it.
    let at = user["metadata"]["created_at"].as_str().unwrap();
    let created = format!("{}.{}.{} {}", &at[8..10], &at[5..7], &at[0..4], &at[11..16]);
    let json = as_json(&records);
    let find = |id: &Value| json.iter().find(|r| r["id"] == *id).cloned().unwrap();
    assert_eq!(
        json!({"record": "account", "status": "active", "id": user["id"], "created": created,
            "crn": user["metadata"]["resource_name"]}),
        find(&user["id"])
    );
    let org = &state["organizations"][0];
    assert_eq!(json!(false), find(&org["id"])["jit"]);
    let env = &state["environments"][0];
    assert_eq!(
        env["stream_governance_config"]["package"],
        find(&env["id"])["package"]
    );
    assert_eq!(250 + 1 + 12, records.len());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_next_url_path_walks_every_page() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let document = json!({"accountParams": {"call": {"call1": {
        "http": {"url": "https://api.confluent.cloud/iam/v2/users",
            "httpHeaders": {"Authorization": "${access_token}"}},
        "listField": "data", "keyField": "accountID",
        "colsToPropsMap": {"accountID": "id~#~char"},
        "pagination": {"nextUrl": {"nextUrlPath": "${response?.completeResponseMap?.metadata?.next}"}},
    }}}});
    let mut settings = settings(&sim);
    settings.documents = vec![import_document(&document)];
    let accounts = import(&host(connector(), settings), ObjectKind::Accounts).await?;
    assert_eq!(250, accounts.len());
    // An explicit form is not a Confluent list to the connector: no largest
    // page size is asked for, so the simulator's default of 10 a page holds.
    let users: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.starts_with("/iam/v2/users"))
        .collect();
    assert_eq!(25, users.len(), "{users:?}");
    assert!(
        users.iter().all(|p| !p.contains("page_size=100")),
        "{users:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn independent_lists_are_read_at_once() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    sim.set_faults(Faults {
        latency_ms: Some(Latency { min: 50, max: 50 }),
        ..Faults::default()
    });
    let (_, records) =
        run_import(&host(connector(), settings(&sim)), &import_all(None, false)).await?;
    assert!(records.iter().any(|r| matches!(r, Record::Access(_))));
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    let first = |prefix: &str| paths.iter().position(|p| p.starts_with(prefix)).unwrap();
    let last = |prefix: &str| paths.iter().rposition(|p| p.starts_with(prefix)).unwrap();
    // Read one after the other, every users page would come before the
    // first service-accounts page.
    assert!(
        first("/iam/v2/service-accounts") < last("/iam/v2/users"),
        "{paths:?}"
    );
    // The kinds are read side by side too: entitlements and access start
    // before the accounts are read in full.
    let last_account = last("/iam/v2/users").max(last("/iam/v2/service-accounts"));
    assert!(first("/org/v2/environments") < last_account, "{paths:?}");
    assert!(first("/iam/v2/role-bindings") < last_account, "{paths:?}");
    Ok(())
}
