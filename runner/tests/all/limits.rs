//! Memory, time and size limits: each gives a clear error, never a hang.

use std::time::Duration;

use confluent_sim::Faults;
use confluent_sim::faults::Latency;
use connector_runner::types::ObjectKind;
use connector_runner::{ProvisionOperation, RunError};

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_spinning_guest_is_stopped_at_the_deadline() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.limits.operation_timeout = Duration::from_millis(500);
    let error = host(probe(), settings).describe().await.unwrap_err();
    assert!(matches!(error, RunError::DeadlineExceeded(_)), "{error}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_blocked_in_a_host_call_is_stopped_at_the_deadline() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.limits.operation_timeout = Duration::from_millis(500);
    let error = host(probe(), settings)
        .provision(
            ProvisionOperation::CreateAccount,
            &empty_provision_request(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, RunError::DeadlineExceeded(_)), "{error}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_past_its_memory_cap_traps_with_a_clear_error() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.limits.memory_bytes = 64 << 20;
    let error = import(&host(probe(), settings), ObjectKind::Accounts)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("exceeded its memory limit of 64 MiB"),
        "{error}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_reports_the_most_memory_its_guests_held() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.limits.memory_bytes = 64 << 20;
    let connector = host(connector(), settings.clone());
    import(&connector, ObjectKind::Accounts).await?;
    let held = connector.peak_memory();
    assert!(
        held > 0 && held < 16 << 20,
        "the connector held {held} bytes"
    );
    let hostile = host(probe(), settings);
    import(&hostile, ObjectKind::Accounts).await.unwrap_err();
    let held_by_probe = hostile.peak_memory();
    assert!(
        held_by_probe > held && held_by_probe <= 64 << 20,
        "the probe held {held_by_probe} bytes, up to its cap"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_body_over_the_cap_fails_the_import() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.limits.max_response_bytes = 4096;
    let error = import(&host(connector(), settings), ObjectKind::Accounts)
        .await
        .unwrap_err()
        .to_string();
    // Users and service accounts are read at once; either may fail first.
    assert!(
        error.starts_with("invalid response: GET ")
            && error.contains("the response body is larger than the host allows")
            && error.contains("4096 bytes"),
        "{error}"
    );
    assert!(
        sim.requests().len() <= 2,
        "a body over the cap is not retried: {:?}",
        sim.requests()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn request_timeouts_are_clamped_by_the_host() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    sim.set_faults(Faults {
        latency_ms: Some(Latency {
            min: 3000,
            max: 3000,
        }),
        ..Faults::default()
    });
    let mut settings = settings(&sim);
    settings.limits.request_timeout = Duration::from_millis(200);
    let error = host(connector(), settings)
        .test_connection()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("transient failure"), "{error}");
    Ok(())
}
