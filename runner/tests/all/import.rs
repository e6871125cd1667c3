//! The first end-to-end import, with the seed's documents as defaults.

use crate::support::*;
use connector_runner::types::ObjectKind;

#[tokio::test(flavor = "multi_thread")]
async fn import_accounts_matches_the_simulator_exactly() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let records = import(&host, ObjectKind::Accounts).await?;

    let expected = expected_accounts(&sim.state());
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

    let expected = expected_entitlements(&sim.state());
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

    let expected = expected_access(&sim.state());
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

#[tokio::test(flavor = "multi_thread")]
async fn progress_reports_count_records_and_pages_per_kind() -> anyhow::Result<()> {
    use std::sync::{Arc, Mutex};

    use connector_runner::types::{ImportRequest, Progress};
    use connector_runner::{ImportSink, ImportState};

    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let reports: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let (batches, mut receiver) = tokio::sync::mpsc::channel(4);
    let heard = reports.clone();
    let sink = ImportSink {
        batches,
        progress: Some(Arc::new(move |p: &Progress| heard.lock().unwrap().push(*p))),
        orphans: None,
    };
    let request = ImportRequest {
        kinds: vec![ObjectKind::Accounts, ObjectKind::Entitlements],
        has_state: false,
        incremental: false,
    };
    let drain = async { while receiver.recv().await.is_some() {} };
    let import = host.import(&request, ImportState::default(), sink);
    let (summary, ()) = tokio::join!(import, drain);
    let summary = summary?;
    let reports = reports.lock().unwrap();
    let last = |kind: ObjectKind| {
        reports
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| (p.records, p.pages))
            .max()
            .unwrap()
    };
    // Five pages of accounts (3 of users, 2 of service accounts); one each of
    // organizations and environments.
    assert_eq!((370, 5), last(ObjectKind::Accounts));
    assert_eq!((13, 2), last(ObjectKind::Entitlements));
    assert_eq!(7, summary.pages);
    assert_eq!(7, reports.len(), "one report per page");
    Ok(())
}
