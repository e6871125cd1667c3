//! `import … --tenants FILE`: one import per tenant, each with its own
//! organization, credentials, state file and output; a failing tenant
//! stops no other.

use std::path::Path;

use confluent_sim::{SeedSpec, Simulator};
use serde_json::json;

use crate::cli::bare_command;
use crate::support::*;

fn write_credentials(path: &Path, sim: &Simulator, secret: &str) {
    let credentials = json!({"api_key": sim.api_key(), "api_secret": secret});
    std::fs::write(path, credentials.to_string()).unwrap();
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}

/// The records `import all` brings from `sim`: accounts, entitlements
/// (its one organization and its environments) and role bindings.
fn records_of(sim: &Simulator) -> usize {
    let state = sim.state();
    let count = |list: &str| state[list].as_array().unwrap().len();
    [
        "users",
        "service_accounts",
        "organizations",
        "environments",
        "role_bindings",
    ]
    .into_iter()
    .map(count)
    .sum()
}

#[test]
fn cli_imports_each_tenant_into_its_own_files_and_one_failing_stops_no_other() {
    let alpha = simulator(small_org());
    let beta = simulator(SeedSpec {
        users: 40,
        service_accounts: 7,
        environments: 3,
        role_bindings: 30,
        seed: 11,
    });
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    write_credentials(&at("alpha.json"), &alpha, alpha.api_secret());
    write_credentials(&at("beta.json"), &beta, beta.api_secret());
    write_credentials(&at("broken.json"), &alpha, "not-the-secret");
    let tenant = |name: &str, sim: &Simulator| {
        format!(
            "[[tenant]]\nname = \"{name}\"\nbase_url = \"{}\"\ncredentials = \"{name}.json\"\noutput = \"{name}.ndjson\"\nstate = \"{name}.state\"\n",
            sim.url()
        )
    };
    let file = format!(
        "concurrency = 2\n{}{}{}",
        tenant("alpha", &alpha),
        tenant("broken", &alpha),
        tenant("beta", &beta)
    );
    std::fs::write(at("tenants.toml"), file).unwrap();
    let tenants = at("tenants.toml");
    let tenants = tenants.to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    // The failing tenant's state from an earlier run, which it must keep.
    let kept = format!("{}\n#end\n", json!({"format": 2, "base_url": alpha.url()}));
    std::fs::write(at("broken.state"), &kept).unwrap();

    let output = bare_command(cache.path())
        .args(["import", "all", "--tenants", tenants])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("tenant broken: failed: authentication failed"),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 3 tenants failed"), "{stderr}");
    assert!(!stderr.contains("not-the-secret"), "{stderr}");
    assert_eq!(records_of(&alpha), lines(&at("alpha.ndjson")));
    assert_eq!(records_of(&beta), lines(&at("beta.ndjson")));
    assert!(at("alpha.state").is_file() && at("beta.state").is_file());
    let broken_state = std::fs::read_to_string(at("broken.state")).unwrap();
    assert_eq!(
        kept, broken_state,
        "a failed import leaves its state as it was"
    );

    // Each tenant's state is its own: an incremental run finds nothing new.
    let output = bare_command(cache.path())
        .args(["import", "all", "--tenants", tenants, "--incremental"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 of 3 imported"), "{stderr}");
    assert_eq!(0, lines(&at("alpha.ndjson")));
    assert_eq!(0, lines(&at("beta.ndjson")));
}

/// A tenants file of one tenant, `a`, whose server is not listening.
const ONE_TENANT: &str = "[[tenant]]\nname = \"a\"\nbase_url = \"http://127.0.0.1:9\"\ncredentials = \"c.json\"\noutput = \"o\"\n";

#[test]
fn cli_refuses_a_tenants_file_that_names_a_tenant_twice_or_an_unknown_key() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants.toml");
    for (text, expected) in [
        (
            format!("{ONE_TENANT}{ONE_TENANT}"),
            "names the tenant 'a' twice",
        ),
        (
            format!("{ONE_TENANT}colour = \"red\"\n"),
            "unknown field `colour`",
        ),
        ("concurrency = 2\n".to_string(), "missing field `tenant`"),
        (
            format!("{ONE_TENANT}{}", ONE_TENANT.replace("\"a\"", "\"b\"")),
            "names the file 'o' for two outputs or states",
        ),
    ] {
        std::fs::write(&tenants, &text).unwrap();
        let output = bare_command(cache.path())
            .args(["import", "all", "--tenants", tenants.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(Some(3), output.status.code(), "{stderr}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
}

#[test]
fn cli_refuses_beside_tenants_the_flags_each_tenant_sets_itself() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants.toml");
    std::fs::write(&tenants, ONE_TENANT).unwrap();
    let tenants = tenants.to_str().unwrap();
    for flag in [
        ["--base-url", "http://127.0.0.1:9"],
        ["--credentials", "c.json"],
        ["--config", "."],
        ["--allow-host", "http://127.0.0.1:8"],
        ["--allow-path", "/cmk/"],
        ["--output", "all.ndjson"],
    ] {
        let output = bare_command(cache.path())
            .args(flag)
            .args(["import", "all", "--tenants", tenants])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(Some(2), output.status.code(), "{flag:?}: {stderr}");
        let says = format!("{} cannot be used with --tenants", flag[0]);
        assert!(stderr.contains(&says), "{flag:?}: {stderr}");
        assert!(!dir.path().join("o").exists(), "nothing ran");
    }
}
