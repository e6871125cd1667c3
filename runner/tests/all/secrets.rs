//! The API secret, plain or base64-encoded, appears in nothing the runner
//! writes: stdout, stderr (at the most verbose level), output files, the
//! import state file, the compiled-component cache, or errors, on success
//! and on error paths, through the CLI, the HTTP entry point and `--tenants`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use confluent_sim::{SimConfig, Simulator};
use serde_json::Value;

use crate::cli::{run_cli, run_cli_at};
use crate::support::*;

const SECRET: &str = "sentinel-SECRET-7f3a9c1e";

fn forbidden(key: &str) -> Vec<String> {
    vec![
        SECRET.to_string(),
        BASE64.encode(format!("{key}:{SECRET}")),
        BASE64.encode(SECRET),
        BASE64.encode(SECRET).trim_end_matches('=').to_string(),
    ]
}

fn assert_clean(what: &str, text: &str, key: &str) {
    for needle in forbidden(key) {
        assert!(
            !text.contains(&needle),
            "{what} contains the secret ({needle})"
        );
    }
}

/// A simulator of the small organization that accepts [`SECRET`].
fn simulator_with_secret() -> anyhow::Result<Simulator> {
    Simulator::start(SimConfig {
        api_secret: SECRET.to_string(),
        seed: small_org(),
        ..SimConfig::default()
    })
}

#[test]
fn the_secret_appears_in_no_output_log_error_or_file() -> anyhow::Result<()> {
    let sim = simulator_with_secret()?;
    let key = sim.api_key().to_string();
    let work = tempfile::tempdir()?;
    let cache = work.path().join("cache");
    let out_file = work.path().join("accounts.json");
    let out_arg = out_file.to_str().unwrap();
    let state_file = work.path().join("state.json");
    let state_arg = state_file.to_str().unwrap();

    let runs = [
        vec!["-vv", "check"],
        vec![
            "-vv", "import", "accounts", "--format", "json", "--output", out_arg,
        ],
        vec!["-vv", "import", "entitlements", "--format", "table"],
        vec!["-vv", "import", "all", "--state", state_arg],
        vec!["-vv", "describe"],
        vec![
            "-vv",
            "provision",
            "create-account",
            "--attr",
            "username=svc-secret-test",
            "--attr",
            "customproperty4=d",
        ],
        vec![
            "-vv",
            "provision",
            "create-account",
            "--dry-run",
            "--attr",
            "username=svc-dry",
            "--attr",
            "customproperty4=d",
        ],
    ];
    for args in &runs {
        let output = run_cli(&sim, &cache, args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_clean("stdout", &String::from_utf8_lossy(&output.stdout), &key);
        assert_clean("stderr", &String::from_utf8_lossy(&output.stderr), &key);
    }

    // A failing run: the server rejects the request, and the error is printed.
    sim.set_faults(confluent_sim::Faults {
        error_rate: 1.0,
        error_statuses: vec![500],
        ..Default::default()
    });
    let failed = run_cli(&sim, &cache, &["-vv", "import", "accounts"]);
    assert!(!failed.status.success());
    assert_clean(
        "stderr of a failed run",
        &String::from_utf8_lossy(&failed.stderr),
        &key,
    );

    let written = std::fs::read_to_string(&out_file)?;
    assert!(written.starts_with('['), "the output file was written");
    assert_clean("the output file", &written, &key);
    let state = std::fs::read_to_string(&state_file)?;
    assert!(state.contains("#accounts"), "the state file was written");
    assert_clean("the state file", &state, &key);
    for entry in std::fs::read_dir(&cache)? {
        let bytes = std::fs::read(entry?.path())?;
        assert_clean("the cache", &String::from_utf8_lossy(&bytes), &key);
    }
    Ok(())
}

#[test]
fn the_secret_appears_in_nothing_on_error_paths_through_serve_or_for_tenants() -> anyhow::Result<()>
{
    let sim = simulator_with_secret()?;
    let key = sim.api_key().to_string();
    let work = tempfile::tempdir()?;
    let cache = work.path().join("cache");
    let mut written = Vec::new();

    // Error paths: a refused credential (the simulator expects another
    // secret), a create missing an attribute its document needs, an account
    // that is not there, and a target that does not answer.
    let other = simulator(small_org());
    let closed = format!("http://{}", host_tests::free_address());
    for (what, base_url, args, exit) in [
        (
            "a refused credential",
            other.url(),
            &["-vv", "import", "accounts"][..],
            4,
        ),
        (
            "a create missing an attribute",
            sim.url(),
            &["-vv", "provision", "create-account", "--attr", "username=x"][..],
            3,
        ),
        (
            "an account that is not there",
            sim.url(),
            &[
                "-vv",
                "provision",
                "update-account",
                "--account",
                "sa-nothere",
                "--attr",
                "customproperty4=x",
            ][..],
            1,
        ),
        (
            "a target that does not answer",
            closed.as_str(),
            &["-vv", "check"][..],
            5,
        ),
    ] {
        let output = run_cli_at(base_url, (&key, SECRET), &cache, args);
        assert_eq!(
            Some(exit),
            output.status.code(),
            "{what}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        written.push((what, output.stdout, output.stderr));
    }

    // The HTTP entry point, at -vv, on success and on failure.
    let address = host_tests::free_address();
    let serve_log = work.path().join("serve.log");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_confluent-connector"))
        .args(["--base-url", sim.url(), "--component"])
        .arg(connector_path())
        .arg("--cache-dir")
        .arg(&cache)
        .args(["-vv", "serve", "--addr", &address.to_string()])
        .env("CONFLUENT_CLOUD_API_KEY", &key)
        .env("CONFLUENT_CLOUD_API_SECRET", SECRET)
        .stdout(std::fs::File::create(work.path().join("serve.out"))?)
        .stderr(std::fs::File::create(&serve_log)?)
        .spawn()?;
    let mut served = host_tests::Running(child);
    host_tests::wait_for(address, &mut served.0);
    let url = |path: &str| format!("http://{address}{path}");
    // A request that holds the secret (a document pasted with it, say)
    // never reaches the guest whole, and is not answered with it.
    let holding_the_secret =
        format!(r#"{{"user": {{"username": "svc-x", "customproperty4": "{SECRET}"}}}}"#);
    let mut bodies = Vec::new();
    for (path, body, statuses) in [
        ("/v1/check", "", 200..=200),
        ("/v1/import/all", "", 200..=200),
        (
            "/v1/provision/create-account",
            r#"{"user": {"username": "svc-served", "customproperty4": "d"}}"#,
            200..=200,
        ),
        (
            "/v1/provision/create-account",
            r#"{"user": {"username": ""}}"#,
            400..=499,
        ),
        ("/v1/import/accounts", "{not json", 400..=400),
        (
            "/v1/provision/create-account",
            &holding_the_secret,
            400..=499,
        ),
    ] {
        let (status, lines) = host_tests::post(&url(path), body);
        let answer = format!("{path} {status} {lines:?}");
        assert_clean("an HTTP response", &answer, &key);
        assert!(statuses.contains(&status), "{answer}");
        bodies.push(answer);
    }
    assert!(bodies[1].contains("\"finished\""), "{}", bodies[1]);
    drop(served);
    let sent: Vec<Value> = sim.state()["service_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|sa| sa["display_name"] == "svc-x")
        .cloned()
        .collect();
    assert!(
        sent.is_empty(),
        "the create holding the secret was sent: {sent:?}"
    );

    // Many tenants, each with its credentials in a file.
    let tenants = work.path().join("tenants");
    std::fs::create_dir(&tenants)?;
    let credentials = serde_json::json!({"api_key": key, "api_secret": SECRET});
    std::fs::write(tenants.join("credentials.json"), credentials.to_string())?;
    let file = format!(
        "[[tenant]]\nname = \"one\"\nbase_url = \"{}\"\ncredentials = \"credentials.json\"\noutput = \"one.ndjson\"\nstate = \"one.state\"\n",
        sim.url()
    );
    std::fs::write(tenants.join("tenants.toml"), file)?;
    let tenants_file = tenants.join("tenants.toml");
    let output = crate::cli::bare_command(&cache)
        .args(["-vv", "import", "all", "--tenants"])
        .arg(&tenants_file)
        .output()?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    written.push(("the tenants run", output.stdout, output.stderr));

    for (what, stdout, stderr) in &written {
        assert_clean(
            &format!("stdout of {what}"),
            &String::from_utf8_lossy(stdout),
            &key,
        );
        assert_clean(
            &format!("stderr of {what}"),
            &String::from_utf8_lossy(stderr),
            &key,
        );
    }
    let log = std::fs::read_to_string(&serve_log)?;
    assert!(!log.is_empty(), "serve logged at -vv");
    assert_clean("the serve log", &log, &key);
    assert!(
        log.contains("held the API secret and was withheld"),
        "{log}"
    );
    let out = std::fs::read_to_string(work.path().join("serve.out"))?;
    assert_clean("serve's stdout", &out, &key);
    for name in ["one.ndjson", "one.state"] {
        let text = std::fs::read_to_string(tenants.join(name))?;
        assert!(!text.is_empty(), "{name} was written");
        assert_clean(name, &text, &key);
    }
    for entry in std::fs::read_dir(&cache)? {
        let bytes = std::fs::read(entry?.path())?;
        assert_clean("the cache", &String::from_utf8_lossy(&bytes), &key);
    }
    Ok(())
}

#[test]
fn a_host_shows_neither_the_credential_nor_the_service_token() {
    let sim = simulator(small_org());
    let mut host = host(connector(), settings(&sim));
    host.require_service_token("a-long-service-token");
    let shown = format!("{host:?}");
    assert!(shown.contains("ServiceToken(***)"), "{shown}");
    for secret in ["a-long-service-token", sim.api_secret()] {
        assert!(!shown.contains(secret), "{shown}");
    }
}
