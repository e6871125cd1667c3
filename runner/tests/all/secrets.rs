//! The API secret, plain or base64-encoded, appears in nothing the runner
//! writes: stdout, stderr (at the most verbose level), output files, the
//! import state file, the compiled-component cache, or errors.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use confluent_sim::{SimConfig, Simulator};

use crate::cli::run_cli;
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

#[test]
fn the_secret_appears_in_no_output_log_error_or_file() -> anyhow::Result<()> {
    let sim = Simulator::start(SimConfig {
        api_secret: SECRET.to_string(),
        seed: small_org(),
        ..SimConfig::default()
    })?;
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
