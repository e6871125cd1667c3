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
    assert_eq!(
        vec![401],
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
