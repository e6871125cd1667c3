//! Provisioning against the simulator: the service-account and user
//! lifecycles, access as role bindings, idempotency under faults, injection
//! attempts, and dry runs.

use confluent_sim::{Faults, Simulator};
use connector_runner::types::{
    Attribute, AttributeValue, ConnectorError, ObjectKind, ProvisionOutcome, ProvisionRequest,
    ProvisionResult, Record, Status,
};
use connector_runner::{ConnectorHost, ProvisionOperation, RunError};
use serde_json::{Value, json};

use crate::cli::run_cli;
use crate::support::*;

fn attrs(pairs: &[(&str, &str)]) -> Vec<Attribute> {
    pairs
        .iter()
        .map(|(name, value)| Attribute {
            name: name.to_string(),
            value: AttributeValue::Text(value.to_string()),
        })
        .collect()
}

fn create_sa(name: &str, description: &str) -> ProvisionRequest {
    ProvisionRequest {
        user: attrs(&[("username", name), ("customproperty4", description)]),
        ..empty_provision_request()
    }
}

fn on(account: &str) -> ProvisionRequest {
    ProvisionRequest {
        account_id: Some(account.to_string()),
        ..empty_provision_request()
    }
}

fn grant(account: &str, ent_type: &str, entitlement: &str, role: &str) -> ProvisionRequest {
    ProvisionRequest {
        ent_type: Some(ent_type.to_string()),
        entitlement_id: Some(entitlement.to_string()),
        role: Some(role.to_string()),
        ..on(account)
    }
}

/// An attribute of a result, as JSON (`null` when absent).
fn attribute(result: &ProvisionResult, name: &str) -> Value {
    connector_runner::json::attributes_json(&result.attributes)
        .get(name)
        .cloned()
        .unwrap_or(Value::Null)
}

fn service_accounts_named(sim: &Simulator, name: &str) -> Vec<Value> {
    sim.state()["service_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|sa| sa["display_name"] == name)
        .cloned()
        .collect()
}

fn bindings_of(sim: &Simulator, principal: &str) -> Vec<Value> {
    sim.state()["role_bindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rb| rb["principal"] == principal)
        .cloned()
        .collect()
}

fn first_environment(sim: &Simulator) -> (String, String) {
    let state = sim.state();
    (
        state["environments"][0]["id"].as_str().unwrap().to_string(),
        state["organizations"][0]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

async fn provision(
    host: &ConnectorHost,
    op: ProvisionOperation,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, RunError> {
    host.provision(op, request).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_account_lives_its_whole_life() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    // 1. Create: it appears in the import.
    let created = provision(
        &host,
        ProvisionOperation::CreateAccount,
        &create_sa("svc-life", "first"),
    )
    .await?;
    assert_eq!(ProvisionOutcome::Done, created.outcome);
    let id = created.account_id.clone().unwrap();
    assert!(id.starts_with("sa-"), "{id}");
    assert_eq!(json!("svc-life"), attribute(&created, "displayName"));
    assert_eq!(1, created.calls.len());
    assert_eq!(
        ("POST", Some(201)),
        (created.calls[0].method.as_str(), created.calls[0].status)
    );
    let accounts = import(&host, ObjectKind::Accounts).await?;
    let imported = as_json(&accounts)
        .into_iter()
        .find(|a| a["accountID"] == id.as_str())
        .unwrap();
    assert_eq!(json!("first"), imported["customproperty4"]);
    let (with_it, _) = run_import(&host, &import_all(None, false)).await?;

    // 2. Update.
    let update = ProvisionRequest {
        user: attrs(&[("customproperty4", "second")]),
        ..on(&id)
    };
    let updated = provision(&host, ProvisionOperation::UpdateAccount, &update).await?;
    assert_eq!(ProvisionOutcome::Done, updated.outcome);
    assert_eq!(
        json!("second"),
        service_accounts_named(&sim, "svc-life")[0]["description"]
    );

    // 3. Add access: it appears in the access import.
    let (env, org) = first_environment(&sim);
    let crn = format!("crn://confluent.cloud/organization={org}/environment={env}");
    let added = provision(
        &host,
        ProvisionOperation::AddAccess,
        &grant(&id, "environment", &env, "EnvironmentAdmin"),
    )
    .await?;
    assert_eq!(ProvisionOutcome::Done, added.outcome);
    let bindings = bindings_of(&sim, &format!("User:{id}"));
    assert_eq!(1, bindings.len());
    assert_eq!(
        (json!("EnvironmentAdmin"), json!(crn)),
        (
            bindings[0]["role_name"].clone(),
            bindings[0]["crn_pattern"].clone()
        )
    );
    let access = import(&host, ObjectKind::Access).await?;
    assert!(access.iter().any(|r| matches!(r, Record::Access(a)
        if a.account_id == id && a.entitlement_id == env && a.ent_type == "environment")));
    // Granting it again is not an error.
    let again = provision(
        &host,
        ProvisionOperation::AddAccess,
        &grant(&id, "environment", &env, "EnvironmentAdmin"),
    )
    .await?;
    assert_eq!(ProvisionOutcome::AlreadyExisted, again.outcome);
    assert_eq!(1, bindings_of(&sim, &format!("User:{id}")).len());

    // 4. Remove the access, twice.
    let removed = provision(
        &host,
        ProvisionOperation::RemoveAccess,
        &grant(&id, "environment", &env, "EnvironmentAdmin"),
    )
    .await?;
    assert_eq!(ProvisionOutcome::Done, removed.outcome);
    assert!(bindings_of(&sim, &format!("User:{id}")).is_empty());
    let absent = provision(
        &host,
        ProvisionOperation::RemoveAccess,
        &grant(&id, "environment", &env, "EnvironmentAdmin"),
    )
    .await?;
    assert_eq!(ProvisionOutcome::AlreadyAbsent, absent.outcome);

    // 5. Remove the account, twice; the next stateful import suspends it.
    let gone = provision(&host, ProvisionOperation::RemoveAccount, &on(&id)).await?;
    assert_eq!(ProvisionOutcome::Done, gone.outcome);
    assert!(service_accounts_named(&sim, "svc-life").is_empty());
    let gone_again = provision(&host, ProvisionOperation::RemoveAccount, &on(&id)).await?;
    assert_eq!(ProvisionOutcome::AlreadyAbsent, gone_again.outcome);
    let (summary, records) = run_import(&host, &import_all(Some(&with_it.state), true)).await?;
    assert_eq!(1, summary.accounts.gone);
    assert!(
        records.iter().any(
            |r| matches!(r, Record::Account(a) if a.id == id && a.status == Status::Suspended)
        )
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_is_invited_then_removed() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let invite = ProvisionRequest {
        user: attrs(&[("kind", "user"), ("email", "grace@example.com")]),
        ..empty_provision_request()
    };
    let invited = provision(&host, ProvisionOperation::CreateAccount, &invite).await?;
    assert_eq!(ProvisionOutcome::Done, invited.outcome);
    let id = invited.account_id.clone().unwrap();
    assert!(id.starts_with("u-"), "{id}");
    assert_eq!(
        json!("grace@example.com"),
        attribute(&invited, "customproperty2")
    );
    assert!(invited.calls[0].url.ends_with("/iam/v2/invitations"));
    let accounts = import(&host, ObjectKind::Accounts).await?;
    assert!(
        accounts
            .iter()
            .any(|r| matches!(r, Record::Account(a) if a.id == id))
    );

    // Inviting the same person again finds the user.
    let again = provision(&host, ProvisionOperation::CreateAccount, &invite).await?;
    assert_eq!(
        (ProvisionOutcome::AlreadyExisted, Some(id.clone())),
        (again.outcome, again.account_id)
    );

    let removed = provision(&host, ProvisionOperation::RemoveAccount, &on(&id)).await?;
    assert_eq!(ProvisionOutcome::Done, removed.outcome);
    assert!(
        removed.calls[0]
            .url
            .ends_with(&format!("/iam/v2/users/{id}"))
    );
    assert!(
        sim.state()["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != id.as_str())
    );
    let absent = provision(&host, ProvisionOperation::RemoveAccount, &on(&id)).await?;
    assert_eq!(ProvisionOutcome::AlreadyAbsent, absent.outcome);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn creates_under_faults_never_duplicate() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let (env, _) = first_environment(&sim);
    let post_faults = |faults: Faults| {
        sim.set_faults(Faults {
            method: Some("POST".into()),
            ..faults
        })
    };

    // The server carries out the POST, then the response is lost: a 503, or
    // a connection reset mid-body.
    post_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![503],
        error_after_apply: true,
        ..Faults::default()
    });
    let lost = provision(
        &host,
        ProvisionOperation::CreateAccount,
        &create_sa("svc-lost-503", "d"),
    )
    .await?;
    assert_eq!(1, service_accounts_named(&sim, "svc-lost-503").len());
    assert_eq!(
        lost.account_id.as_deref(),
        service_accounts_named(&sim, "svc-lost-503")[0]["id"].as_str()
    );
    assert_eq!(Some(503), lost.calls[0].status);
    assert!(
        lost.calls[1].url.contains("display_name=svc-lost-503"),
        "{:?}",
        lost.calls
    );

    post_faults(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    });
    let reset = provision(
        &host,
        ProvisionOperation::CreateAccount,
        &create_sa("svc-lost-reset", "d"),
    )
    .await?;
    assert_eq!(1, service_accounts_named(&sim, "svc-lost-reset").len());
    assert_eq!(None, reset.calls[0].status, "no response came");
    let id = reset.account_id.unwrap();
    provision(
        &host,
        ProvisionOperation::AddAccess,
        &grant(&id, "environment", &env, "DeveloperRead"),
    )
    .await?;
    assert_eq!(1, bindings_of(&sim, &format!("User:{id}")).len());
    let invite = ProvisionRequest {
        user: attrs(&[("kind", "user"), ("email", "lin@example.com")]),
        ..empty_provision_request()
    };
    let invited = provision(&host, ProvisionOperation::CreateAccount, &invite).await?;
    assert!(invited.account_id.unwrap().starts_with("u-"));
    let users = sim.state()["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["email"] == "lin@example.com")
        .count();
    assert_eq!(1, users);

    // The server acts, then answers too late: the request times out.
    post_faults(Faults {
        latency_ms: Some(confluent_sim::faults::Latency {
            min: 2000,
            max: 2000,
        }),
        latency_after_apply: true,
        ..Faults::default()
    });
    let mut impatient = settings(&sim);
    impatient.limits.request_timeout = std::time::Duration::from_millis(300);
    let timed_out = provision(
        &crate::support::host(connector(), impatient),
        ProvisionOperation::CreateAccount,
        &create_sa("svc-timed-out", "d"),
    )
    .await?;
    assert_eq!(None, timed_out.calls[0].status, "the POST timed out");
    assert_eq!(1, service_accounts_named(&sim, "svc-timed-out").len());
    assert_eq!(
        timed_out.account_id.as_deref(),
        service_accounts_named(&sim, "svc-timed-out")[0]["id"].as_str()
    );

    // The server refuses before acting: the create is retried, then fails.
    post_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![500],
        ..Faults::default()
    });
    let error = provision(
        &host,
        ProvisionOperation::CreateAccount,
        &create_sa("svc-refused", "d"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, RunError::Connector(ConnectorError::Transient(_))),
        "{error}"
    );
    assert!(service_accounts_named(&sim, "svc-refused").is_empty());
    sim.set_faults(Faults::default());
    let later = provision(
        &host,
        ProvisionOperation::CreateAccount,
        &create_sa("svc-refused", "d"),
    )
    .await?;
    assert_eq!(ProvisionOutcome::Done, later.outcome);
    assert_eq!(1, service_accounts_named(&sim, "svc-refused").len());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn attribute_values_cannot_inject_into_bodies_or_urls() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let name = r#"x", "description": "pwned"} \ {"#;
    let description = "line\nbreak \"quoted\" ${user.username} }";
    let created = provision(
        &host,
        ProvisionOperation::CreateAccount,
        &create_sa(name, description),
    )
    .await?;
    let made = service_accounts_named(&sim, name);
    assert_eq!(1, made.len());
    assert_eq!(
        json!(description),
        made[0]["description"],
        "the template was not re-expanded"
    );
    assert_eq!(created.account_id.as_deref(), made[0]["id"].as_str());

    // An id that tries to walk to another resource stays one path segment,
    // and one that decodes to a slash never reaches the server at all.
    let before = sim.state()["users"].as_array().unwrap().len();
    let victim = sim.state()["users"][0]["id"].as_str().unwrap().to_string();
    let sneaky = on(&format!("../users/{victim}"));
    let error = provision(&host, ProvisionOperation::RemoveAccount, &sneaky)
        .await
        .unwrap_err();
    match &error {
        RunError::EgressDenied(what) => assert!(
            what.ends_with(&format!("/iam/v2/service-accounts/..%2Fusers%2F{victim} (a path segment decodes to a slash or a dot segment)")),
            "{what}"
        ),
        other => panic!("expected egress denied, got {other}"),
    }
    assert!(!sim.requests().iter().any(|r| r.method == "DELETE"));
    assert_eq!(before, sim.state()["users"].as_array().unwrap().len());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_renders_every_call_and_sends_nothing() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let dry = ProvisionRequest {
        dry_run: true,
        ..create_sa("svc-dry", "not sent")
    };
    let result = provision(&host, ProvisionOperation::CreateAccount, &dry).await?;
    assert_eq!(ProvisionOutcome::DryRun, result.outcome);
    assert!(result.calls.is_empty());
    let call = &result.rendered[0];
    assert_eq!(
        ("POST", format!("{}/iam/v2/service-accounts", sim.url())),
        (call.method.as_str(), call.url.clone())
    );
    assert!(
        call.headers
            .iter()
            .all(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
    );
    assert_eq!(
        Some(r#"{"display_name": "svc-dry","description": "not sent"}"#),
        call.body.as_deref()
    );

    let (env, _) = first_environment(&sim);
    let dry_grant = ProvisionRequest {
        dry_run: true,
        ..grant("sa-x", "environment", &env, "EnvironmentAdmin")
    };
    let result = provision(&host, ProvisionOperation::AddAccess, &dry_grant).await?;
    let methods: Vec<&str> = result.rendered.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(vec!["GET", "POST"], methods);
    assert!(sim.requests().is_empty(), "a dry run sends nothing");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn access_needs_a_role_and_a_known_entitlement_type() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let (env, _) = first_environment(&sim);
    let no_role = ProvisionRequest {
        role: None,
        ..grant("sa-x", "environment", &env, "")
    };
    let error = provision(&host, ProvisionOperation::AddAccess, &no_role)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        "config error: add-access needs a role (no role is ever assumed); the request has none",
        error
    );
    let error = provision(
        &host,
        ProvisionOperation::AddAccess,
        &grant("sa-x", "cluster", "lkc-1", "R"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("'cluster' is not an entitlement type of role bindings"),
        "{error}"
    );
    assert!(sim.requests().is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_update_document_can_rename_a_service_account() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    let seed = include_str!("../../../connector/engine/defaults/UpdateAccountJSON.json");
    let renaming = seed.replace(
        r#""{\"description\": \"${user.customproperty4}\"}""#,
        r#""{\"display_name\": \"${user.username.trim()}\", \"description\": \"${user.customproperty4 != null ? user.customproperty4 : 'renamed'}\"}""#,
    );
    assert_ne!(seed, renaming);
    settings.documents = vec![connector_runner::types::Document {
        name: "UpdateAccountJSON".into(),
        json: renaming,
    }];
    let host = host(connector(), settings);
    let id = sim.state()["service_accounts"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rename = ProvisionRequest {
        user: attrs(&[("username", "  svc-renamed ")]),
        ..on(&id)
    };
    let result = provision(&host, ProvisionOperation::UpdateAccount, &rename).await?;
    assert_eq!(json!("svc-renamed"), attribute(&result, "displayName"));
    let renamed = service_accounts_named(&sim, "svc-renamed");
    assert_eq!(
        (json!(id), json!("renamed")),
        (renamed[0]["id"].clone(), renamed[0]["description"].clone())
    );
    Ok(())
}

#[test]
fn cli_provisions_from_a_request_file_and_prints_json() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    let sa = sim.state()["service_accounts"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (env, _) = first_environment(&sim);
    let file = cache.path().join("request.json");
    std::fs::write(
        &file,
        json!({
            "requestid": "REQ-7",
            "user": {"username": "ignored"},
            "account": {"accountID": sa},
            "entitlementValue": {"entType": "environment", "entitlementID": env, "role": "DeveloperRead"},
        })
        .to_string(),
    )?;
    let output = run_cli(
        &sim,
        cache.path(),
        &[
            "provision",
            "add-access",
            "--request",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(json!("add-access"), printed["operation"]);
    assert_eq!(json!("done"), printed["outcome"]);
    assert_eq!(json!(sa), printed["accountID"]);
    assert_eq!(json!("DeveloperRead"), printed["attributes"]["role_name"]);
    assert_eq!(json!(201), printed["calls"][1]["status"]);
    assert!(
        bindings_of(&sim, &format!("User:{sa}"))
            .iter()
            .any(|rb| rb["role_name"] == "DeveloperRead")
    );

    std::fs::write(&file, r#"{"usr": {}}"#)?;
    let output = run_cli(
        &sim,
        cache.path(),
        &[
            "provision",
            "add-access",
            "--request",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(Some(3), output.status.code());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not a provisioning request: unknown field `usr`"),
        "{stderr}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_add_access_document_can_give_each_entitlement_type_a_default_role() -> anyhow::Result<()>
{
    let sim = simulator(small_org());
    let document = json!({"call": [
        {"name": "org", "url": "https://api.confluent.cloud/org/v2/organizations", "httpMethod": "GET",
         "httpHeaders": {"Authorization": "${access_token}"}},
        {"name": "bind", "url": "https://api.confluent.cloud/iam/v2/role-bindings", "httpMethod": "POST",
         "httpHeaders": {"Authorization": "${access_token}"},
         "httpParams": concat!(
            "{\"principal\": \"User:${account.accountID}\", ",
            "\"role_name\": \"${entitlementValue.role != null ? entitlementValue.role : ",
            "(entitlementValue.entType == 'environment' ? 'DeveloperRead' : 'MetricsViewer')}\", ",
            "\"crn_pattern\": \"crn://confluent.cloud/organization=${response.org.message.data[0].id}",
            "${entitlementValue.entType == 'environment' ? '/environment=' + entitlementValue.entitlementID : ''}\"}"),
         "successResponses": {"statusCode": [201]}}
    ], "responseColsToPropsMap": {"role_name": "bind.message.role_name~#~char"}});
    let mut settings = settings(&sim);
    settings.documents = vec![connector_runner::types::Document {
        name: "AddAccessJSON".into(),
        json: document.to_string(),
    }];
    let host = host(connector(), settings);
    let sa = sim.state()["service_accounts"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (env, org) = first_environment(&sim);
    let defaulted = ProvisionRequest {
        role: None,
        ..grant(&sa, "environment", &env, "")
    };
    let result = provision(&host, ProvisionOperation::AddAccess, &defaulted).await?;
    assert_eq!(json!("DeveloperRead"), attribute(&result, "role_name"));
    assert_eq!(Some(sa.clone()), result.account_id);
    let explicit = grant(&sa, "organization", &org, "OrganizationAdmin");
    provision(&host, ProvisionOperation::AddAccess, &explicit).await?;
    let mut roles: Vec<(Value, Value)> = bindings_of(&sim, &format!("User:{sa}"))
        .iter()
        .filter(|rb| rb["role_name"] == "DeveloperRead" || rb["role_name"] == "OrganizationAdmin")
        .map(|rb| (rb["role_name"].clone(), rb["crn_pattern"].clone()))
        .collect();
    roles.sort_by_key(|(role, _)| role.to_string());
    assert_eq!(
        vec![
            (
                json!("DeveloperRead"),
                json!(format!(
                    "crn://confluent.cloud/organization={org}/environment={env}"
                ))
            ),
            (
                json!("OrganizationAdmin"),
                json!(format!("crn://confluent.cloud/organization={org}"))
            ),
        ],
        roles
    );
    Ok(())
}
