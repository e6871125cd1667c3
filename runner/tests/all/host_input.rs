//! What the host is handed (flags, files, the state, documents) cannot
//! leak the secret, mislead the egress check or exhaust the host.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use connector_runner::types::ObjectKind;
use connector_runner::{ConnectorHost, Limits, RunError};

use crate::cli::run_cli;
use crate::support::*;

/// Runs the CLI with `args` only (no simulator), with a credential in the
/// environment, and gives up on it after a minute.
fn cli(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confluent-connector"))
        .args(args)
        .env("CONFLUENT_CLOUD_API_KEY", "KEY")
        .env("CONFLUENT_CLOUD_API_SECRET", "hunter2-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI runs");
    for _ in 0..600 {
        if child.try_wait().expect("waiting on the CLI").is_some() {
            return child.wait_with_output().expect("the CLI's output");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().ok();
    panic!("the CLI was still running after a minute: {args:?}");
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn no_flag_value_echoes_a_password() {
    for args in [
        vec!["--allow-host", "http://user:pw-s3cret@h:1", "describe"],
        vec!["--base-url", "http://user:pw-s3cret@h:1", "describe"],
        vec!["--base-url", "http://user:pw-s3cret@h:bad", "describe"],
    ] {
        let output = cli(&args);
        let text = stderr(&output);
        assert!(!output.status.success(), "{args:?}");
        assert!(!text.contains("pw-s3cret"), "{args:?}: {text}");
        assert!(!text.contains("user:"), "{args:?}: {text}");
    }
    let output = cli(&["--allow-host", "http://user:pw-s3cret@h:1", "describe"]);
    assert_eq!(Some(2), output.status.code(), "a bad flag is a usage error");
    assert!(
        stderr(&output).contains("'http://***@h:1'"),
        "{}",
        stderr(&output)
    );
    let output = cli(&["--allow-path", "cmk/v2", "describe"]);
    assert_eq!(Some(2), output.status.code(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("invalid path prefix 'cmk/v2'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_base_url_is_scheme_host_port_and_path_only() {
    for base in [
        "http://127.0.0.1:1#@x",
        "http://127.0.0.1:1/?a=b",
        "http://127.0.0.1:1/a/../b",
    ] {
        let output = cli(&["--base-url", base, "describe"]);
        assert_eq!(Some(3), output.status.code(), "{base}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("invalid base URL"),
            "{}",
            stderr(&output)
        );
    }
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.base_url = format!("{}#@127.0.0.2:1", sim.url());
    let error = ConnectorHost::new(connector(), settings).unwrap_err();
    assert!(
        error.to_string().contains("no query or fragment"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn text_that_holds_the_secret_is_never_handed_to_the_guest() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let credentials_json = serde_json::json!({
        "api_key": sim.api_key(),
        "api_secret": sim.api_secret(),
    })
    .to_string();
    let host = host(connector(), settings(&sim));
    let mut request = import_all(Some(&credentials_json), false);
    request.kinds = vec![ObjectKind::Accounts];
    let error = run_import(&host, &request).await.unwrap_err();
    assert!(matches!(error, RunError::SecretInInput(_)), "{error}");
    assert!(!error.to_string().contains(sim.api_secret()), "{error}");
    assert!(sim.requests().is_empty(), "the guest never ran");

    let mut with_document = settings(&sim);
    with_document.documents = vec![connector_runner::types::Document {
        name: "ImportAccountEntJSON".into(),
        json: credentials_json,
    }];
    let error = ConnectorHost::new(connector(), with_document).unwrap_err();
    assert!(matches!(error, RunError::SecretInInput(_)), "{error}");

    let mut provision = empty_provision_request();
    provision.account_id = Some(format!("sa-{}", sim.api_secret()));
    let error = host
        .provision(
            connector_runner::ProvisionOperation::RemoveAccount,
            &provision,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, RunError::SecretInInput(_)), "{error}");
    Ok(())
}

#[test]
fn the_credentials_file_given_as_the_state_is_refused_and_kept() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let dir = tempfile::tempdir()?;
    let credentials = dir.path().join("credentials.json");
    let text =
        serde_json::json!({"api_key": sim.api_key(), "api_secret": sim.api_secret()}).to_string();
    std::fs::write(&credentials, &text)?;
    let path = credentials.to_str().unwrap();
    let output = run_cli(
        &sim,
        dir.path(),
        &["--credentials", path, "import", "accounts", "--state", path],
    );
    assert_eq!(Some(3), output.status.code(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("holds the API secret"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains(sim.api_secret()));
    assert!(output.stdout.is_empty());
    assert_eq!(
        text,
        std::fs::read_to_string(&credentials)?,
        "left as it was"
    );
    assert!(sim.requests().is_empty());
    Ok(())
}

/// A config folder holding one `ImportAccountEntJSON.json` made by `make`.
fn config_with(make: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    make(&dir.path().join("ImportAccountEntJSON.json"));
    dir
}

#[test]
fn config_documents_are_regular_files_of_bounded_size() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let fifo = config_with(|path| {
        assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
    });
    let zero = config_with(|path| std::os::unix::fs::symlink("/dev/zero", path).unwrap());
    let huge = config_with(|path| {
        std::fs::write(path, format!("{{\"x\": \"{}\"}}", "a".repeat(5 << 20))).unwrap()
    });
    let folder = config_with(|path| std::fs::create_dir(path).unwrap());
    for (dir, expected) in [
        (&fifo, "is not a regular file (a FIFO)"),
        (&zero, "is not a regular file (a device)"),
        (&huge, "the most a configuration document may be"),
        (&folder, "is not a regular file (a folder)"),
    ] {
        let config = dir.path().to_str().unwrap();
        let output = cli(&[
            "--base-url",
            sim.url(),
            "--component",
            connector_path().to_str().unwrap(),
            "--cache-dir",
            cache.path().to_str().unwrap(),
            "--config",
            config,
            "import",
            "accounts",
        ]);
        assert_eq!(
            Some(3),
            output.status.code(),
            "{expected}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
    assert!(sim.requests().is_empty());
}

#[test]
fn limits_out_of_range_are_refused_not_wrapped() {
    for args in [
        ["--timeout", "184467440737095517", "describe"],
        ["--timeout", "0", "describe"],
        ["--memory-mb", "18446744073709551615", "describe"],
        ["--memory-mb", "17592186044416", "describe"],
    ] {
        let output = cli(&args);
        assert_eq!(
            Some(2),
            output.status.code(),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("is not in "),
            "{}",
            stderr(&output)
        );
    }
    let sim = simulator(small_org());
    let mut settings = settings(&sim);
    settings.limits = Limits {
        operation_timeout: Duration::from_secs(184_467_440_737_095_517),
        ..Limits::default()
    };
    let error = ConnectorHost::new(connector(), settings).unwrap_err();
    assert!(error.to_string().contains("invalid limits"), "{error}");
}

#[test]
fn the_component_is_never_taken_from_the_current_folder_or_from_others() {
    use std::os::unix::fs::PermissionsExt as _;
    // The executable installed elsewhere, run from a folder where another
    // user left a `target/…/confluent_connector.wasm`.
    let installed = tempfile::tempdir().unwrap();
    let bin = installed.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let exe = bin.join("confluent-connector");
    std::fs::copy(env!("CARGO_BIN_EXE_confluent-connector"), &exe).unwrap();
    let shared = tempfile::tempdir().unwrap();
    let planted = shared.path().join("target/wasm32-wasip2/release");
    std::fs::create_dir_all(&planted).unwrap();
    std::fs::copy(probe_path(), planted.join("confluent_connector.wasm")).unwrap();
    let output = Command::new(&exe)
        .current_dir(shared.path())
        .args(["--no-cache", "describe"])
        .output()
        .unwrap();
    assert_eq!(Some(1), output.status.code(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no connector component beside this executable"),
        "{}",
        stderr(&output)
    );

    // A component that others can write is not loaded, even when named.
    let writable = shared.path().join("connector.wasm");
    std::fs::copy(connector_path(), &writable).unwrap();
    std::fs::set_permissions(&writable, std::fs::Permissions::from_mode(0o666)).unwrap();
    let output = cli(&[
        "--no-cache",
        "--component",
        writable.to_str().unwrap(),
        "describe",
    ]);
    assert_eq!(Some(3), output.status.code(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("can be written by its group or by others"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn output_never_follows_a_planted_link_or_waits_on_a_fifo() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let shared = tempfile::tempdir().unwrap();
    let victim = shared.path().join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    let link = shared.path().join("out.csv");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let fifo = shared.path().join("out2.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (path, kind) in [(&link, "a symbolic link"), (&fifo, "a FIFO")] {
        let output = run_cli(
            &sim,
            cache.path(),
            &["--output", path.to_str().unwrap(), "import", "accounts"],
        );
        assert_eq!(Some(3), output.status.code(), "{}", stderr(&output));
        assert!(stderr(&output).contains(kind), "{}", stderr(&output));
    }
    assert_eq!("keep me", std::fs::read_to_string(&victim).unwrap());
}
