//! What leaves is what was meant: a value from a request or a response fills
//! exactly one URL path segment or one CRN segment, a request the host would
//! refuse is a configuration error before anything is sent, many failing
//! calls end with the transient error rather than the deadline, and a
//! document's key cannot forge a log line.

use std::time::Duration;

use confluent_sim::Faults;
use confluent_sim::model::RoleBinding;
use confluent_sim::store::stamps_now;
use connector_runner::types::{ConnectorError, ObjectKind, ProvisionRequest};
use connector_runner::{ProvisionOperation, RunError};
use serde_json::json;

use crate::cli::run_cli;
use crate::support::*;

fn grant(account: &str, ent_type: &str, entitlement: &str) -> ProvisionRequest {
    ProvisionRequest {
        account_id: Some(account.to_string()),
        ent_type: Some(ent_type.to_string()),
        entitlement_id: Some(entitlement.to_string()),
        role: Some("EnvironmentAdmin".to_string()),
        ..empty_provision_request()
    }
}

fn methods_sent(sim: &confluent_sim::Simulator, method: &str) -> Vec<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == method)
        .map(|r| r.path)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_binding_id_from_the_target_never_sends_a_delete_elsewhere() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let state = sim.state();
    let org = state["organizations"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let env = state["environments"][0]["id"].as_str().unwrap().to_string();
    let holder = state["service_accounts"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let victim = state["service_accounts"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let seed_binding = |id: String| {
        sim.with_store(|store| {
            let seq = store.next_seq();
            store.role_bindings.insert(
                seq,
                RoleBinding {
                    id,
                    principal: format!("User:{holder}"),
                    role_name: "EnvironmentAdmin".into(),
                    crn_pattern: format!(
                        "crn://confluent.cloud/organization={org}/environment={env}"
                    ),
                    stamps: stamps_now(),
                },
            );
        })
    };
    let host = host(connector(), settings(&sim));

    // A dot segment: refused, and nothing is deleted.
    seed_binding("..".into());
    let error = host
        .provision(
            ProvisionOperation::RemoveAccess,
            &grant(&holder, "environment", &env),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RunError::Connector(ConnectorError::InvalidResponse(m)) if m.contains("nothing was deleted")),
        "{error}"
    );
    assert!(methods_sent(&sim, "DELETE").is_empty());
    sim.with_store(|store| store.role_bindings.remove(".."));

    // A path in an id stays inside its one segment, encoded, and the host
    // refuses a segment that decodes to a slash: no DELETE leaves.
    seed_binding(format!("../service-accounts/{victim}"));
    let removed = host
        .provision(
            ProvisionOperation::RemoveAccess,
            &grant(&holder, "environment", &env),
        )
        .await;
    match &removed {
        Err(RunError::EgressDenied(what)) => assert!(
            what.contains(&format!(
                "/iam/v2/role-bindings/..%2Fservice-accounts%2F{victim}"
            )),
            "{what}"
        ),
        other => panic!("expected egress denied, got {other:?}"),
    }
    assert!(methods_sent(&sim, "DELETE").is_empty());
    assert!(
        sim.state()["service_accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|sa| sa["id"] == victim.as_str()),
        "the victim is still there"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_id_that_is_a_dot_segment_is_a_config_error() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    for account in ["..", "."] {
        for dry_run in [false, true] {
            let request = ProvisionRequest {
                account_id: Some(account.to_string()),
                dry_run,
                ..empty_provision_request()
            };
            let error = host
                .provision(ProvisionOperation::RemoveAccount, &request)
                .await
                .unwrap_err();
            assert!(
                matches!(&error, RunError::Connector(ConnectorError::Config(m))
                    if m.starts_with("RemoveAccountJSON: call[0] (call1).url: '${account.accountID}'")),
                "{account}: {error}"
            );
        }
    }
    assert!(methods_sent(&sim, "DELETE").is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_entitlement_id_cannot_widen_or_narrow_the_scope_it_names() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let state = sim.state();
    let env = state["environments"][0]["id"].as_str().unwrap().to_string();
    let account = state["service_accounts"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let host = host(connector(), settings(&sim));
    let topic = format!("{env}/cloud-cluster=lkc-x/kafka=lkc-x/topic=*");
    for (account, entitlement, field) in [
        (account.as_str(), topic.as_str(), "the entitlement id"),
        (account.as_str(), "*", "the entitlement id"),
        ("sa-1,User:sa-2", env.as_str(), "the account id"),
    ] {
        for op in [
            ProvisionOperation::AddAccess,
            ProvisionOperation::RemoveAccess,
        ] {
            for dry_run in [false, true] {
                let request = ProvisionRequest {
                    dry_run,
                    ..grant(account, "environment", entitlement)
                };
                let error = host.provision(op, &request).await.unwrap_err();
                assert!(
                    matches!(&error, RunError::Connector(ConnectorError::Config(m)) if m.contains(&format!("{field} '"))),
                    "{entitlement}: {error}"
                );
            }
        }
    }
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    Ok(())
}

/// An import document whose entitlement types have `calls` independent calls
/// each, every one reading a list on the simulator.
fn many_entitlement_calls(types: usize, calls: usize) -> connector_runner::types::Document {
    let ent_types: serde_json::Map<_, _> = (0..types)
        .map(|t| {
            let block: serde_json::Map<_, _> = (0..calls)
                .map(|n| {
                    let call = json!({
                        "http": {"url": format!("https://api.confluent.cloud/org/v2/environments?t={t}&n={n}")},
                        "listField": "data", "keyField": "id", "colsToPropsMap": {"id": "id~#~char"}
                    });
                    (format!("call{n}"), call)
                })
                .collect();
            (format!("type{t}"), json!({"call": block}))
        })
        .collect();
    connector_runner::types::Document {
        name: "ImportAccountEntJSON".into(),
        json: json!({"entitlementParams": {"entTypes": ent_types}}).to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hundreds_of_failing_calls_end_with_the_transient_error() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    sim.set_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![503],
        ..Faults::default()
    });
    let mut settings = settings(&sim);
    settings.documents = vec![many_entitlement_calls(5, 60)];
    // Far more than the retries take; the run must end on its own.
    settings.limits.operation_timeout = Duration::from_secs(300);
    let error = import(&host(connector(), settings), ObjectKind::Entitlements)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RunError::Connector(ConnectorError::Transient(m)) if m.contains("returned 503")),
        "{error}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn more_calls_than_the_cap_is_a_config_error() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.documents = vec![many_entitlement_calls(1, 65)];
    let error = import(&host(connector(), settings), ObjectKind::Entitlements)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RunError::Connector(ConnectorError::Config(m))
            if m == "ImportAccountEntJSON: at entitlementParams.entTypes.type0.call: 65 calls; expected at most 64 for accounts or for one entitlement type"),
        "{error}"
    );
    assert!(sim.requests().is_empty());
    Ok(())
}

/// Runs the CLI with `documents` (name, JSON) in a config folder.
fn cli_with_documents(
    sim: &confluent_sim::Simulator,
    documents: &[(&str, String)],
    args: &[&str],
) -> std::process::Output {
    let cache = tempfile::tempdir().unwrap();
    let documents: Vec<_> = documents
        .iter()
        .map(|(name, json)| connector_runner::types::Document {
            name: name.to_string(),
            json: json.clone(),
        })
        .collect();
    let config = config_folder(&documents);
    let mut all = vec!["--config", config.path().to_str().unwrap()];
    all.extend_from_slice(args);
    run_cli(sim, cache.path(), &all)
}

fn create_account_document(call: serde_json::Value) -> String {
    let mut call_json = json!({
        "name": "call1",
        "url": "https://api.confluent.cloud/iam/v2/service-accounts",
        "httpMethod": "POST",
        "httpParams": "{\"display_name\": \"${user.username}\"}",
        "httpHeaders": {"Authorization": "${access_token}", "Accept": "application/json"}
    });
    for (key, value) in call.as_object().unwrap() {
        call_json[key] = value.clone();
    }
    json!({"call": [call_json]}).to_string()
}

#[test]
fn a_request_the_host_would_refuse_exits_as_a_config_error() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    for header in [
        "Host",
        "Proxy-Authorization",
        "Transfer-Encoding",
        "Connection",
        "Upgrade",
        "TE",
        "Keep-Alive",
        "Proxy-Connection",
        "HTTP2-Settings",
        "Content-Length",
    ] {
        let import = import_document_replacing(
            "\"Accept\": \"application/json\"",
            &format!("\"Accept\": \"application/json\", \"{header}\": \"x\""),
        );
        let output = cli_with_documents(
            &sim,
            &[("ImportAccountEntJSON", import.json)],
            &["import", "accounts"],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(Some(3), output.status.code(), "{header}: {stderr}");
        assert!(
            stderr.contains(&format!("config error: ImportAccountEntJSON: at accountParams.call.call1.http.httpHeaders.{header}: '{header}' is a header the host sets or forbids")),
            "{stderr}"
        );

        let create = create_account_document(json!({
            "httpHeaders": {"Authorization": "${access_token}", header: "x"}
        }));
        let output = cli_with_documents(
            &sim,
            &[("CreateAccountJSON", create)],
            &["provision", "create-account", "--attr", "username=svc-h"],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(Some(3), output.status.code(), "{header}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "CreateAccountJSON: at call[0] (call1).httpHeaders.{header}"
            )),
            "{stderr}"
        );
    }
    // A body past the host's 1 MiB cap, built from capped values.
    let create = create_account_document(json!({
        "httpParams": format!("{{\"display_name\": \"{}\"}}", "${user.username}".repeat(20))
    }));
    let username = format!("username={}", "x".repeat(60_000));
    let output = cli_with_documents(
        &sim,
        &[("CreateAccountJSON", create)],
        &["provision", "create-account", "--attr", &username],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(Some(3), output.status.code(), "{stderr}");
    assert!(
        stderr.contains("CreateAccountJSON: call[0] (call1).httpParams: the rendered body is 1200020 bytes; the host sends at most 1048576"),
        "{stderr}"
    );
    assert!(methods_sent(&sim, "POST").is_empty());
    Ok(())
}

#[test]
fn a_failed_post_says_transient_failure_once() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    sim.set_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![503],
        ..Faults::default()
    });
    // Environments have no natural key the connector looks up, so the POST
    // is not retried.
    let create = create_account_document(json!({
        "url": "https://api.confluent.cloud/org/v2/environments"
    }));
    let output = cli_with_documents(
        &sim,
        &[("CreateAccountJSON", create)],
        &["provision", "create-account", "--attr", "username=env-x"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(Some(5), output.status.code(), "{stderr}");
    assert_eq!(1, stderr.matches("transient failure").count(), "{stderr}");
    assert!(
        stderr.contains("a POST with no way to look up what it made is not retried"),
        "{stderr}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_link_naming_a_user_is_not_followed() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    sim.set_faults(Faults {
        next_origin: Some(sim.url().replace("http://", "http://u:secret@")),
        ..Faults::default()
    });
    let error = import(&host(connector(), settings(&sim)), ObjectKind::Accounts)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RunError::Connector(ConnectorError::InvalidResponse(m))
            if m.contains("names a user or password before its host; not followed")),
        "{error}"
    );
    assert!(!error.to_string().contains("secret"), "{error}");
    assert!(
        sim.requests()
            .iter()
            .all(|r| !r.path.contains("page_token")),
        "no second page was asked for: {:?}",
        sim.requests()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_url_naming_a_user_is_a_config_error_at_load() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.documents = vec![import_document_replacing(
        "https://api.confluent.cloud/iam/v2/users",
        "https://u:secret@api.confluent.cloud/iam/v2/users",
    )];
    let error = host(connector(), settings).describe().await.unwrap_err();
    assert!(
        matches!(&error, RunError::Connector(ConnectorError::Config(m))
            if m.starts_with("ImportAccountEntJSON: at accountParams.call.call1.http.url: the URL names a user or password before its host")),
        "{error}"
    );
    assert!(!error.to_string().contains("secret"), "{error}");
    Ok(())
}

#[test]
fn a_document_key_cannot_forge_a_log_line() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let import =
        import_document_replacing("\"listField\"", "\"x\\nwarning: forged\": 1, \"listField\"");
    let output = cli_with_documents(
        &sim,
        &[("ImportAccountEntJSON", import.json)],
        &["-v", "describe"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("x\\nwarning: forged is ignored"),
        "{stderr}"
    );
    assert!(
        !stderr
            .lines()
            .any(|line| line.contains("guest: warning: forged")),
        "{stderr}"
    );
    Ok(())
}
