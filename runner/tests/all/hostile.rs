//! A harder hostile guest: every attempt of the probe runs through one
//! runner host, each is contained with its own clear error, and the same
//! host then serves a normal operation. Run with `--nocapture` to see the
//! table of attempts and outcomes.

use std::sync::{Arc, Mutex};

use connector_runner::egress::MAX_REQUESTS_OPEN;
use connector_runner::guest_log::GUEST_LOG_BUDGET;
use connector_runner::handover::{MAX_BATCH_ITEMS, MAX_VALUE_TEXT_BYTES};
use connector_runner::types::{Attribute, AttributeValue, ObjectKind};
use connector_runner::{ConnectorHost, PathPrefix, ProvisionOperation, RunError};

use crate::support::*;

/// Runs the probe's `remove-account` with `attempts` (name, argument); the
/// outcome of each, in order, or the operation's error.
async fn attempt(
    host: &ConnectorHost,
    attempts: &[(&str, String)],
) -> Result<Vec<(String, String)>, RunError> {
    let mut request = empty_provision_request();
    request.user = attempts
        .iter()
        .map(|(name, argument)| Attribute {
            name: name.to_string(),
            value: AttributeValue::Text(argument.clone()),
        })
        .collect();
    let result = host
        .provision(ProvisionOperation::RemoveAccount, &request)
        .await?;
    Ok(result
        .attributes
        .into_iter()
        .map(|a| match a.value {
            AttributeValue::Text(text) => (a.name, text),
            other => (a.name, format!("{other:?}")),
        })
        .collect())
}

/// The port of `url`, `http://127.0.0.1:PORT`.
fn port(url: &str) -> &str {
    url.rsplit(':').next().unwrap()
}

/// A log the test reads back: what the host logs while it is the thread's
/// subscriber.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_attempt_is_contained_and_the_runner_serves_on() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    // A granted origin that receives no credentials, and one not granted.
    let plain = simulator(small_org());
    let stranger = simulator(small_org());
    let mut settings = settings(&sim);
    settings.extra_grants = vec![origin(&plain)];
    // The credential origin's echo is granted too, as a careless operator
    // might: the response that reflects the credential must still be
    // withheld.
    settings.extra_credential_paths = vec![PathPrefix::parse("/_sim/echo")?];
    let host = host(probe(), settings);
    let (base, plain_url) = (sim.url().to_string(), plain.url().to_string());
    let sim_port = port(&base).to_string();
    let mut table: Vec<(String, String)> = Vec::new();

    // One operation tries every network attempt and reports each.
    let network = [
        (
            "get",
            "http://169.254.169.254/latest/meta-data/".to_string(),
        ),
        ("get", format!("http://127.0.0.2:{sim_port}/iam/v2/users")),
        ("get", format!("http://[::1]:{sim_port}/iam/v2/users")),
        ("get", format!("http://localhost:{sim_port}/iam/v2/users")),
        (
            "get",
            format!("http://127.0.0.1:{}/iam/v2/users", port(stranger.url())),
        ),
        ("get", format!("https://127.0.0.1:{sim_port}/iam/v2/users")),
        ("host-header", format!("{base}/iam/v2/users")),
        ("proxy-authorization", format!("{plain_url}/_sim/echo")),
        ("crlf-header", format!("{plain_url}/_sim/echo")),
        ("echo-authorization", format!("{plain_url}/_sim/echo")),
        ("echo-authorization", format!("{base}/_sim/echo")),
        ("get", format!("{base}/iam/v2/users")),
    ];
    let outcomes = attempt(&host, &network).await?;
    assert_eq!(network.len(), outcomes.len(), "{outcomes:?}");
    let expected: [&str; 12] = [
        "denied: ErrorCode::HttpRequestDenied",
        "denied: ErrorCode::HttpRequestDenied",
        "denied: ErrorCode::HttpRequestDenied",
        "denied: ErrorCode::HttpRequestDenied",
        "denied: ErrorCode::HttpRequestDenied",
        "denied: ErrorCode::HttpRequestDenied",
        "denied: the header Host was refused: HeaderError::Forbidden",
        "denied: the header Proxy-Authorization was refused: HeaderError::Forbidden",
        "denied: the header X-Note was refused: HeaderError::InvalidSyntax",
        "denied: status 200, and the echo holds no authorization header",
        "denied: status 200, then reading the body failed",
        "ALLOWED: status 200",
    ];
    for (((name, argument), (_, outcome)), expected) in network.iter().zip(&outcomes).zip(expected)
    {
        assert!(
            outcome.starts_with(expected),
            "{name} {argument}: expected {expected}, got {outcome}"
        );
        table.push((format!("{name} {argument}"), outcome.clone()));
    }
    assert!(
        outcomes[10]
            .1
            .contains("held the host's credential and was withheld"),
        "{:?}",
        outcomes[10]
    );
    assert!(
        stranger.requests().is_empty(),
        "the other port saw {:?}",
        stranger.requests()
    );
    let seen: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(vec!["/iam/v2/users".to_string()], seen, "{seen:?}");

    // Deep recursion traps as a stack overflow.
    let error = attempt(&host, &[("recursion", "10000000".into())])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RunError::Trap(text) if text.contains("overflowed its stack")),
        "{error}"
    );
    table.push(("recursion 10000000".into(), error.to_string()));

    // A result larger than the host takes is refused.
    let bytes = MAX_VALUE_TEXT_BYTES + (16 << 20);
    let error = attempt(&host, &[("huge-result", bytes.to_string())])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RunError::Misbehaved(text)
            if text.starts_with("the provisioning result holds")
                && text.contains(&format!("at most {MAX_VALUE_TEXT_BYTES}"))),
        "{error}"
    );
    table.push((format!("huge-result {bytes}"), error.to_string()));

    // So is a gigantic batch of records.
    let error = import(&host, ObjectKind::Access).await.unwrap_err();
    assert!(
        matches!(&error, RunError::Misbehaved(text)
            if text.contains("a batch of records holds 200000 items")
                && text.contains(&format!("at most {MAX_BATCH_ITEMS}"))),
        "{error}"
    );
    table.push((
        "import of access: one batch of 200000".into(),
        error.to_string(),
    ));

    // A flood on stderr: every write is accepted, the host keeps its
    // budget and says once how much it dropped.
    let flood = 16usize << 20;
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let outcomes = {
        let _default = tracing::subscriber::set_default(subscriber);
        attempt(&host, &[("stderr-flood", flood.to_string())]).await?
    };
    assert_eq!(
        format!("done: wrote {flood} bytes to stderr, and every write was accepted"),
        outcomes[0].1
    );
    let logged = log.text();
    let guest_lines = logged
        .lines()
        .filter(|l| l.contains(" guest: ") && l.ends_with('x'))
        .count();
    assert_eq!(GUEST_LOG_BUDGET / 1024, guest_lines, "lines of 1 KiB kept");
    let dropped = flood - GUEST_LOG_BUDGET;
    let warnings: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("were dropped"))
        .collect();
    assert_eq!(1, warnings.len(), "{warnings:?}");
    assert!(
        warnings[0].contains(&format!("wrote {dropped} bytes more")),
        "{}",
        warnings[0]
    );
    table.push((
        format!("stderr-flood {flood}"),
        format!(
            "{}; the host logged {guest_lines} lines of 1 KiB and dropped {dropped} bytes",
            outcomes[0].1
        ),
    ));

    // Thousands of requests at once: the excess is refused at once.
    let count = 2000;
    let flood_argument = format!("{count} {plain_url}/health");
    let outcomes = attempt(&host, &[("request-flood", flood_argument.clone())]).await?;
    let refused = count - MAX_REQUESTS_OPEN;
    assert_eq!(
        format!(
            "denied: {MAX_REQUESTS_OPEN} of {count} answered; \
             {refused} failed with ErrorCode::ConnectionLimitReached"
        ),
        outcomes[0].1
    );
    table.push((
        format!("request-flood {flood_argument}"),
        outcomes[0].1.clone(),
    ));

    // The same host serves the next operation normally.
    let outcomes = attempt(&host, &[("get", format!("{base}/iam/v2/users"))]).await?;
    assert_eq!("ALLOWED: status 200", outcomes[0].1);
    table.push(("then: get of the granted API".into(), outcomes[0].1.clone()));
    // ... and its sandbox still holds: every escape the probe's
    // test-connection tries is denied.
    let report = host.test_connection().await?;
    let escaped = report.details.iter().filter(|attempt| {
        !matches!(&attempt.value, AttributeValue::Text(text) if text.starts_with("denied: "))
    });
    let escaped: Vec<&str> = escaped.map(|attempt| attempt.name.as_str()).collect();
    assert!(
        escaped.is_empty(),
        "escaped after the hostile attempts: {escaped:?}"
    );
    assert_eq!(9, report.details.len(), "every attempt reported");
    table.push((
        "then: test-connection".into(),
        format!("{} escape attempts reported", report.details.len()),
    ));

    let width = table.iter().map(|(a, _)| a.len()).max().unwrap_or(0);
    println!("\n{:width$}  outcome", "attempt");
    for (attempt, outcome) in &table {
        println!("{attempt:width$}  {outcome}");
    }
    Ok(())
}
