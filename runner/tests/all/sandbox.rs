//! The capability sandbox, probed by a hostile guest.

use connector_runner::types::AttributeValue;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_guest_cannot_read_the_environment_or_files_or_open_sockets() -> anyhow::Result<()> {
    // The host process has HOME and a filesystem; the guest must see neither.
    assert!(std::env::var("HOME").is_ok() || std::env::var("PATH").is_ok());
    let sim = simulator(small_org());
    let report = host(probe(), settings(&sim)).test_connection().await?;
    let attempts: Vec<(String, String)> = report
        .details
        .iter()
        .map(|a| match &a.value {
            AttributeValue::Text(text) => (a.name.clone(), text.clone()),
            other => (a.name.clone(), format!("{other:?}")),
        })
        .collect();
    let names: Vec<&str> = attempts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        vec![
            "env-vars",
            "env-home",
            "read-root-dir",
            "read-cwd",
            "read-etc-passwd",
            "write-tmp",
            "tcp-connect",
            "udp-bind",
            "tcp-listen"
        ],
        names
    );
    for (name, outcome) in &attempts {
        assert!(
            outcome.starts_with("denied: "),
            "{name} escaped the sandbox: {outcome}"
        );
    }
    assert!(!std::path::Path::new("/tmp/sandbox-probe-escape").exists());
    Ok(())
}
