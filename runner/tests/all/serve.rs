//! `confluent-connector serve`: the component's HTTP entry point under the
//! runner. The guest's `wasi:config/store` holds the base URL and the
//! `--config` documents, and nothing else; the runner injects the
//! credential, as for every other command.

use host_tests::{
    Running, customproperty9, default_document, documents_mapping_customproperty9, free_address,
    post, post_with_authorization,
};

use crate::support::*;

/// The CLI's `serve` on a free address, and its URL.
fn serve(base_url: &str, credentials: (&str, &str), cache: &std::path::Path) -> (Running, String) {
    serve_with(base_url, credentials, cache, &[])
}

/// The same, with `global` flags too.
fn serve_with(
    base_url: &str,
    credentials: (&str, &str),
    cache: &std::path::Path,
    global: &[&str],
) -> (Running, String) {
    let address = free_address();
    let mut command = crate::cli::cli_command(base_url, credentials, cache, global);
    command.args(["serve", "--addr", &address.to_string()]);
    (
        Running::start(&mut command, address),
        format!("http://{address}"),
    )
}

#[test]
fn cli_serve_imports_through_the_http_entry_point_with_the_credential_injected() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let served = serve(sim.url(), (sim.api_key(), sim.api_secret()), cache.path());
    let (status, lines) = post(&format!("{}/v1/import/all", served.1), "");
    assert_eq!(200, status);
    let state = sim.state();
    let accounts = ["users", "service_accounts"]
        .map(|list| state[list].as_array().unwrap().len() as u64)
        .iter()
        .sum::<u64>();
    let finished = &lines.last().unwrap()["finished"];
    assert_eq!(accounts, finished["accounts"]["present"], "{finished}");
    assert!(finished["access"]["present"].as_u64().unwrap() > 0);
    let records = lines.iter().filter(|l| l.get("record").is_some()).count() as u64;
    let emitted = ["accounts", "entitlements", "access"]
        .map(|kind| finished[kind]["emitted"].as_u64().unwrap())
        .iter()
        .sum::<u64>();
    assert_eq!(emitted, records);
}

#[test]
fn cli_serve_with_a_wrong_credential_streams_an_auth_error_and_goes_on() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let served = serve(sim.url(), (sim.api_key(), "not-the-secret"), cache.path());
    let (status, lines) = post(&format!("{}/v1/import/accounts", served.1), "");
    assert_eq!(200, status, "the stream had begun");
    let error = &lines.last().unwrap()["error"];
    assert_eq!(401, error["status"], "{lines:?}");
    assert!(!error.to_string().contains("not-the-secret"));
    let (status, lines) = post(&format!("{}/v1/check", served.1), "");
    assert_eq!(401, status, "{lines:?}");
    let (status, _) = post(&format!("{}/v1/import/nothing", served.1), "");
    assert_eq!(404, status);
}

#[test]
fn cli_serve_starts_each_request_from_its_config_documents() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let documents: serde_json::Value =
        serde_json::from_str(&documents_mapping_customproperty9()).unwrap();
    let folder = tempfile::tempdir().unwrap();
    let import = documents["ImportAccountEntJSON"].to_string();
    std::fs::write(folder.path().join("ImportAccountEntJSON.json"), import).unwrap();
    let config = ["--config", folder.path().to_str().unwrap()];
    let credentials = (sim.api_key(), sim.api_secret());
    let served = serve_with(sim.url(), credentials, cache.path(), &config);
    let users = sim.state()["users"].as_array().unwrap().len();
    let (status, lines) = post(&format!("{}/v1/import/accounts", served.1), "");
    assert_eq!(200, status);
    assert_eq!(
        (users, users),
        customproperty9(&lines),
        "{:?}",
        lines.last()
    );
    // A request's own document replaces the configured one.
    let import = default_document("ImportAccountEntJSON");
    let body = serde_json::json!({"documents": {"ImportAccountEntJSON": import}});
    let (status, lines) = post(
        &format!("{}/v1/import/accounts", served.1),
        &body.to_string(),
    );
    assert_eq!(200, status);
    assert!(
        lines.last().unwrap().get("finished").is_some(),
        "{:?}",
        lines.last()
    );
    assert_eq!((0, 0), customproperty9(&lines));
}

#[test]
fn cli_serve_with_a_token_file_serves_only_its_bearer() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let token_file = folder.path().join("token");
    std::fs::write(&token_file, "a-long-service-token\n").unwrap();
    let credentials = (sim.api_key(), sim.api_secret());
    let address = free_address();
    let mut command = crate::cli::cli_command(sim.url(), credentials, cache.path(), &["serve"]);
    command.args(["--addr", &address.to_string(), "--token-file"]);
    let _served = Running::start(command.arg(&token_file), address);
    let url = format!("http://{address}/v1/import/accounts");
    for wrong in [
        None,
        Some("Bearer a-long-service-toke"),
        Some("Basic a-long-service-token"),
    ] {
        let (status, challenge, lines) = post_with_authorization(&url, "", wrong);
        assert_eq!(401, status, "{wrong:?}");
        assert_eq!(Some("Bearer"), challenge.as_deref());
        let message = lines[0]["error"]["message"].as_str().unwrap();
        assert!(!message.contains("a-long"), "{message}");
        assert!(
            !format!("{lines:?}").contains("accountID"),
            "nothing was imported"
        );
    }
    let right = Some("Bearer a-long-service-token");
    let (status, challenge, lines) = post_with_authorization(&url, "", right);
    assert_eq!((200, None), (status, challenge));
    assert!(
        lines.last().unwrap().get("finished").is_some(),
        "{:?}",
        lines.last()
    );
}
