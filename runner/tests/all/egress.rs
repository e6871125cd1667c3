//! Egress grants and credential injection.

use confluent_sim::Faults;
use connector_runner::RunError;
use connector_runner::types::ObjectKind;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn non_granted_origin_is_denied() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let elsewhere = simulator(small_org());
    let mut settings = settings(&sim);
    settings.documents = vec![import_document_replacing(
        "https://api.confluent.cloud/iam/v2/users",
        &format!("{}/iam/v2/users", elsewhere.url()),
    )];
    let error = import(&host(connector(), settings), ObjectKind::Accounts)
        .await
        .unwrap_err();
    match &error {
        RunError::EgressDenied(denied) => assert_eq!(&origin(&elsewhere).to_string(), denied),
        other => panic!("expected egress denied, got {other}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("egress denied: http://127.0.0.1:"),
        "{error}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the denied origin saw a request"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_link_to_another_origin_is_not_followed() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let elsewhere = simulator(small_org());
    sim.set_faults(Faults {
        next_origin: Some(elsewhere.url().to_string()),
        ..Faults::default()
    });
    // Even with the other origin granted, the connector stays on the origin
    // the list started on.
    let mut settings = settings(&sim);
    settings.extra_grants = vec![origin(&elsewhere)];
    let error = import(&host(connector(), settings), ObjectKind::Accounts)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("leaves the origin"), "{error}");
    assert!(
        elsewhere.requests().is_empty(),
        "the next link was followed"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_looping_next_link_fails_the_import() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    sim.set_faults(Faults {
        loop_next: true,
        ..Faults::default()
    });
    let error = import(&host(connector(), settings(&sim)), ObjectKind::Accounts)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("repeats an earlier page"), "{error}");
    assert!(sim.requests().len() <= 3, "{:?}", sim.requests());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_go_only_to_the_base_url_origin() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let elsewhere = simulator(small_org()); // same key and secret as `sim`
    let mut settings = settings(&sim);
    settings.extra_grants = vec![origin(&elsewhere)];
    settings.documents = vec![import_document_replacing(
        "https://api.confluent.cloud/iam/v2/users",
        &format!("{}/iam/v2/users", elsewhere.url()),
    )];
    let error = import(&host(connector(), settings), ObjectKind::Accounts)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("authentication failed"), "{error}");
    let seen: Vec<u16> = elsewhere.requests().iter().map(|r| r.status).collect();
    // The seed's `maxRefreshTryCount` retries a 401 five times.
    assert_eq!(
        vec![401; 6],
        seen,
        "the granted origin got no credentials, so it answered 401"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_are_an_auth_failure() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.credentials = Some(connector_runner::Credentials::new(
        sim.api_key(),
        "not-the-secret",
    ));
    let error = host(connector(), settings)
        .test_connection()
        .await
        .unwrap_err();
    assert!(
        error.to_string().starts_with("authentication failed"),
        "{error}"
    );
    Ok(())
}

/// What the probe's `update-account` reports for each URL it was given.
async fn probe_gets(
    settings: connector_runner::HostSettings,
    urls: &[String],
) -> Vec<(String, String)> {
    use connector_runner::types::{Attribute, AttributeValue};
    let mut request = empty_provision_request();
    request.user = urls
        .iter()
        .map(|url| Attribute {
            name: "url".into(),
            value: AttributeValue::Text(url.clone()),
        })
        .collect();
    let result = host(probe(), settings)
        .provision(
            connector_runner::ProvisionOperation::UpdateAccount,
            &request,
        )
        .await
        .unwrap();
    result
        .attributes
        .into_iter()
        .map(|a| match a.value {
            AttributeValue::Text(text) => (a.name, text),
            other => (a.name, format!("{other:?}")),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_url_with_a_user_never_leaves_even_for_the_granted_origin() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let port = origin(&sim).to_string();
    let port = port.rsplit(':').next().unwrap();
    let urls = [
        format!("http://u@127.0.0.1:{port}/iam/v2/users"),
        format!("http://u:pw@127.0.0.1:{port}/iam/v2/users"),
        format!("{}/iam/v2/users", sim.url()),
    ];
    let outcomes = probe_gets(settings(&sim), &urls).await;
    assert!(outcomes[0].1.starts_with("denied"), "{outcomes:?}");
    assert!(outcomes[1].1.starts_with("denied"), "{outcomes:?}");
    assert_eq!("ALLOWED: status 200", outcomes[2].1, "{outcomes:?}");
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        vec!["/iam/v2/users".to_string()],
        paths,
        "only the plain URL left"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connector_refuses_a_document_url_with_a_user() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let with_user = sim.url().replace("http://", "http://u@");
    let mut settings = settings(&sim);
    settings.documents = vec![import_document_replacing(
        "https://api.confluent.cloud/iam/v2/users",
        &format!("{with_user}/iam/v2/users"),
    )];
    let error = import(&host(connector(), settings), ObjectKind::Accounts)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            RunError::EgressDenied(_)
                | RunError::Connector(connector_runner::types::ConnectorError::Config(_))
        ),
        "a user in a URL is refused, not tried: {error}"
    );
    assert!(
        !sim.requests()
            .iter()
            .any(|r| r.path.starts_with("/iam/v2/users")),
        "{:?}",
        sim.requests()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_credential_goes_only_to_granted_paths_of_the_base_origin() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let urls = [
        format!("{}/debug/echo-headers", sim.url()),
        format!("{}/iam/v2/../../_sim/state", sim.url()),
        format!("{}/iam/%2e%2e/_sim/state", sim.url()),
        format!("{}/org/v2/environments", sim.url()),
    ];
    let outcomes = probe_gets(settings(&sim), &urls).await;
    for (url, outcome) in &outcomes[..3] {
        assert!(outcome.starts_with("denied"), "{url}: {outcome}");
    }
    assert_eq!("ALLOWED: status 200", outcomes[3].1, "{outcomes:?}");
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(1, paths.len(), "{paths:?}");
    assert!(paths[0].starts_with("/org/v2/environments"), "{paths:?}");

    // A document calling another path of the base origin is denied, and
    // passes once that path is granted.
    let mut denied = settings(&sim);
    denied.documents = vec![import_document_replacing(
        "https://api.confluent.cloud/iam/v2/users",
        &format!("{}/other/v1/users", sim.url()),
    )];
    let error = import(&host(connector(), denied.clone()), ObjectKind::Accounts)
        .await
        .unwrap_err();
    match &error {
        RunError::EgressDenied(what) => {
            assert!(what.contains("/other/v1/users"), "{what}");
            assert!(what.contains("/iam/, /org/"), "{what}");
        }
        other => panic!("expected egress denied, got {other}"),
    }
    let before = sim.requests().len();
    assert!(!sim.requests().iter().any(|r| r.path.starts_with("/other/")));
    let mut granted = denied;
    granted.extra_credential_paths = vec![connector_runner::PathPrefix::parse("/other/v1/")?];
    let error = import(&host(connector(), granted), ObjectKind::Accounts)
        .await
        .unwrap_err();
    assert!(error.to_string().starts_with("not found"), "{error}");
    assert!(
        sim.requests()[before..]
            .iter()
            .any(|r| r.path.starts_with("/other/v1/users"))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_echoing_the_credential_never_reaches_the_guest() -> anyhow::Result<()> {
    // A target that answers with a page of one user whose name is the
    // `Authorization` header it was sent, as a header-echoing endpoint or
    // proxy would.
    let url = answering_server("200 OK", |head| {
        let echoed = head
            .lines()
            .find_map(|line| line.strip_prefix("authorization: "))
            .unwrap_or("none");
        serde_json::json!({
            "data": [{"id": "u-1", "full_name": echoed, "email": "e@x"}],
            "metadata": {},
        })
        .to_string()
    });
    let credentials = connector_runner::Credentials::new("KEY1", "ab+cd/ef==SECRETxyz");
    let settings = connector_runner::HostSettings {
        base_url: url.clone(),
        extra_grants: Vec::new(),
        extra_credential_paths: Vec::new(),
        credentials: Some(credentials),
        documents: Vec::new(),
        limits: connector_runner::Limits::default(),
    };
    let request = ImportRequest {
        kinds: vec![ObjectKind::Accounts],
        state: None,
        incremental: false,
    };
    let (outcome, records) = import_keeping_records(&host(connector(), settings), &request).await;
    let error = outcome.unwrap_err();
    match &error {
        RunError::EgressDenied(what) => {
            assert!(what.contains("held the host's credential"), "{what}");
            assert!(what.contains("/iam/v2/"), "{what}");
        }
        other => panic!("expected the response to be withheld, got {other}"),
    }
    let seen = format!("{error} {:?}", as_json(&records));
    assert!(
        !seen.contains("SECRETxyz") && !seen.contains("S0VZMTph"),
        "{seen}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_reuse_open_connections_across_pages_and_operations() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    import(&host, ObjectKind::Accounts).await?;
    let first = sim.connections();
    import(&host, ObjectKind::Accounts).await?;
    let requests = sim.requests().len() as u64;
    // Two lists of several pages each, read side by side, twice over; each
    // list keeps at most its page and the next one asked for open.
    assert!(requests >= 10, "{requests} requests");
    assert!(first <= 4, "{first} connections for {requests} requests");
    assert_eq!(
        first,
        sim.connections(),
        "the second import opened connections of its own"
    );
    Ok(())
}
