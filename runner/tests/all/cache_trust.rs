//! The compiled-component cache loads native code, so it loads only what
//! this user wrote into a folder nobody else can write: a planted artifact
//! never runs, and without a home there is no cache at all.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::*;

/// `describe` through the CLI, with `cache` as `--cache-dir` when given,
/// and `configure` applied to the command.
fn describe(cache: Option<&Path>, configure: impl FnOnce(&mut Command)) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confluent-connector"));
    command.arg("--component").arg(connector_path());
    if let Some(cache) = cache {
        command.arg("--cache-dir").arg(cache);
    }
    // A planted probe spins in `describe`: let it fail fast, not hang.
    command.args(["--timeout", "20", "describe"]);
    configure(&mut command);
    command.output().expect("the CLI runs")
}

/// The name `describe` prints, after checking that it succeeded.
fn described_name(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json["name"].as_str().unwrap().to_string()
}

/// The genuine connector's name, compiled without a cache.
fn genuine_name() -> String {
    described_name(&describe(None, |command| {
        command.arg("--no-cache");
    }))
}

/// The file name the cache gives the connector's artifact, learnt from a
/// cache of its own.
fn artifact_name() -> String {
    let cache = tempfile::tempdir().unwrap();
    described_name(&describe(Some(cache.path()), |_| {}));
    std::fs::read_dir(cache.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .find(|name| name.ends_with(".cwasm"))
        .expect("an artifact")
}

/// Another component, precompiled by an engine like the runner's: native
/// code that would run if the cache took it.
fn foreign_artifact() -> Vec<u8> {
    let bytes = std::fs::read(probe_path()).unwrap();
    probe().engine().precompile_component(&bytes).unwrap()
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn cache_warnings(output: &Output) -> usize {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.contains("cache"))
        .count()
}

#[test]
fn cli_without_home_keeps_no_cache_in_the_temp_folder_and_still_works() {
    let name = artifact_name();
    let temp = tempfile::tempdir().unwrap();
    // A folder the cache's own checks would accept (ours, private), so only
    // the rule "no temp folder without HOME" keeps the runner out of it.
    let shared = temp.path().join("confluent-connector");
    std::fs::create_dir(&shared).unwrap();
    set_mode(&shared, 0o700);
    std::fs::write(shared.join(&name), foreign_artifact()).unwrap();
    let planted = entries(&shared);

    let output = describe(None, |command| {
        command
            .env_remove("HOME")
            .env_remove("XDG_CACHE_HOME")
            .env("TMPDIR", temp.path());
    });
    assert_eq!(genuine_name(), described_name(&output));
    assert_eq!(planted, entries(&shared), "nothing written there");
    assert_eq!(vec!["confluent-connector"], entries(temp.path()));
    assert_eq!(1, cache_warnings(&output), "one warning says why");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("neither XDG_CACHE_HOME nor HOME"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn cli_never_loads_an_artifact_planted_in_a_folder_others_can_write() {
    let name = artifact_name();
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    set_mode(&cache, 0o777);
    std::fs::write(cache.join(&name), foreign_artifact()).unwrap();

    let output = describe(Some(&cache), |_| {});
    assert_eq!(genuine_name(), described_name(&output));
    assert_eq!(vec![name], entries(&cache), "the folder is not used");
    assert_eq!(1, cache_warnings(&output), "one warning says why");
}

#[test]
fn cli_refuses_an_untagged_artifact_in_its_own_cache_and_replaces_it() {
    let name = artifact_name();
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    described_name(&describe(Some(&cache), |_| {}));
    std::fs::write(cache.join(&name), foreign_artifact()).unwrap();
    set_mode(&cache.join(&name), 0o600);

    let output = describe(Some(&cache), |_| {});
    assert_eq!(genuine_name(), described_name(&output));
    assert_eq!(1, cache_warnings(&output), "one warning says why");
    let again = describe(Some(&cache), |_| {});
    assert_eq!(genuine_name(), described_name(&again));
    assert_eq!(
        0,
        cache_warnings(&again),
        "the genuine artifact took its place"
    );
}
