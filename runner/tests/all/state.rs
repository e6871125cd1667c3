//! Stateful imports against the simulator: what changed between runs comes
//! out exactly, gone objects only when everything was read, and the
//! threshold guard.

use std::collections::{BTreeMap, BTreeSet};

use confluent_sim::model::{Environment, RoleBinding, User};
use confluent_sim::store::stamps_now;
use confluent_sim::{Faults, Simulator};
use connector_runner::types::{ConnectorError, ObjectKind, Record, Status};
use connector_runner::{ConnectorHost, RunError};
use serde_json::Value;

use crate::cli::run_cli;
use crate::support::*;

/// A record's identity: its kind, entitlement type and id.
fn key(record: &Record) -> (String, String) {
    match record {
        Record::Account(a) => ("account".into(), a.id.clone()),
        Record::Entitlement(e) => (format!("entitlement/{}", e.ent_type), e.id.clone()),
        Record::Access(a) => ("access".into(), a.id.clone()),
    }
}

fn status(record: &Record) -> Status {
    match record {
        Record::Account(a) => a.status,
        Record::Entitlement(e) => e.status,
        Record::Access(a) => a.status,
    }
}

/// Records by identity, as the CLI prints them.
fn by_key(records: &[Record]) -> BTreeMap<(String, String), Value> {
    records
        .iter()
        .map(|r| {
            (
                key(r),
                Value::Object(connector_runner::json::record_json(r)),
            )
        })
        .collect()
}

/// What the simulator was changed by between two imports.
struct Changes {
    new_user: String,
    changed_sa: String,
    gone_user: String,
    new_env: String,
    gone_env: String,
    new_binding: String,
    gone_binding: String,
}

/// Creates, updates and deletes users, service accounts, environments and
/// role bindings, cascading deletions the way Confluent does.
fn change_everything(sim: &Simulator) -> Changes {
    sim.with_store(|store| {
        let org_crn = store.organization.as_ref().unwrap().crn();
        let org_id = store.org_id().to_string();

        let new_user = store.new_id("u");
        let seq = store.next_seq();
        store.users.insert(
            seq,
            User {
                id: new_user.clone(),
                email: "grace@example.com".into(),
                full_name: "Grace Hopper".into(),
                auth_type: "AUTH_TYPE_LOCAL".into(),
                stamps: stamps_now(),
            },
        );

        let changed_sa = store.service_accounts.iter().next().unwrap().id.clone();
        store
            .service_accounts
            .get_mut(&changed_sa)
            .unwrap()
            .description = "rotated".into();

        // A user with role bindings goes, and its bindings with it.
        let gone_user = store
            .users
            .iter()
            .map(|u| u.id.clone())
            .find(|id| {
                let principal = format!("User:{id}");
                store
                    .role_bindings
                    .iter()
                    .any(|rb| rb.principal == principal)
            })
            .unwrap();
        store.users.remove(&gone_user);
        store.remove_bindings_of(&gone_user);

        let new_env = store.new_id("env");
        let seq = store.next_seq();
        store.environments.insert(
            seq,
            Environment {
                id: new_env.clone(),
                display_name: "staging".into(),
                governance_package: "ESSENTIALS".into(),
                stamps: stamps_now(),
            },
        );

        // An environment with bindings of accounts that stay goes.
        let gone_env = store
            .environments
            .iter()
            .map(|e| e.id.clone())
            .find(|id| {
                let scope = format!("/environment={id}");
                store
                    .role_bindings
                    .iter()
                    .any(|rb| rb.crn_pattern.contains(&scope))
            })
            .unwrap();
        store.environments.remove(&gone_env);
        let scope = format!("/environment={gone_env}");
        store
            .role_bindings
            .remove_where(|rb| rb.crn_pattern.contains(&scope));

        let new_binding = store.new_id("rb");
        let seq = store.next_seq();
        store.role_bindings.insert(
            seq,
            RoleBinding {
                id: new_binding.clone(),
                principal: format!("User:{new_user}"),
                role_name: "EnvironmentAdmin".into(),
                crn_pattern: format!(
                    "crn://confluent.cloud/organization={org_id}/environment={new_env}"
                ),
                stamps: stamps_now(),
            },
        );

        let gone_binding = store
            .role_bindings
            .iter()
            .find(|rb| rb.crn_pattern == org_crn)
            .unwrap()
            .id
            .clone();
        store.role_bindings.remove(&gone_binding);

        Changes {
            new_user,
            changed_sa,
            gone_user,
            new_env,
            gone_env,
            new_binding,
            gone_binding,
        }
    })
}

async fn full(host: &ConnectorHost) -> anyhow::Result<Vec<Record>> {
    Ok(run_import(host, &import_all(None, false)).await?.1)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incremental_import_emits_exactly_what_changed() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let (first, before) = run_import(&host, &import_all(None, true)).await?;
    assert_eq!(250 + 120, first.accounts.emitted, "no state: a full import");

    let changes = change_everything(&sim);
    let (second, emitted) = run_import(&host, &import_all(Some(&first.state), true)).await?;
    let after = full(&host).await?;
    let (before, after) = (by_key(&before), by_key(&after));

    // Present records that are new or changed come out as they are now.
    let account = |id: &String| ("account".to_string(), id.clone());
    let env = |id: &String| ("entitlement/environment".to_string(), id.clone());
    let link = |id: &String| ("access".to_string(), id.clone());
    let mut expected = BTreeMap::new();
    for key in [
        account(&changes.new_user),
        account(&changes.changed_sa),
        env(&changes.new_env),
        link(&changes.new_binding),
    ] {
        expected.insert(key.clone(), after[&key].clone());
    }
    // Gone records come out with their key, the ends of a link, and their
    // new status: all the state keeps.
    let gone = |key: (String, String), status: &str| {
        let kept = [
            "record",
            "accountID",
            "entType",
            "entitlementID",
            "roleBindingID",
        ];
        let mut record = before[&key].clone();
        let fields = record.as_object_mut().unwrap();
        fields.retain(|name, _| kept.contains(&name.as_str()));
        fields.insert("status".into(), status.into());
        (key, record)
    };
    expected.extend([
        gone(account(&changes.gone_user), "suspended"),
        gone(env(&changes.gone_env), "inactive"),
        gone(link(&changes.gone_binding), "removed"),
    ]);
    // The gone environment's bindings are removed; the gone user's are left
    // alone, as deleteLinks is off by default.
    let gone_env_links: Vec<_> = before
        .iter()
        .filter(|(k, v)| k.0 == "access" && v["entitlementID"] == changes.gone_env.as_str())
        .filter(|(_, v)| v["accountID"] != changes.gone_user.as_str())
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!gone_env_links.is_empty());
    for key in gone_env_links {
        expected.extend([gone(key, "removed")]);
    }

    assert_eq!(expected, by_key(&emitted));
    assert_eq!(emitted.len(), by_key(&emitted).len(), "no record twice");
    assert_eq!(
        (1, 1, 1),
        (
            second.accounts.created,
            second.accounts.changed,
            second.accounts.gone
        )
    );
    assert_eq!(
        (1, 0, 1),
        (
            second.entitlements.created,
            second.entitlements.changed,
            second.entitlements.gone
        )
    );
    assert!(second.orphans.is_empty(), "{:?}", second.orphans);

    // Nothing changed since: the next incremental import is silent.
    let (_, silent) = run_import(&host, &import_all(Some(&second.state), true)).await?;
    assert!(silent.is_empty(), "{silent:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_import_with_state_emits_everything_and_what_has_gone() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let host = host(connector(), settings(&sim));
    let (first, _) = run_import(&host, &import_all(None, false)).await?;
    let changes = change_everything(&sim);
    let (second, records) = run_import(&host, &import_all(Some(&first.state), false)).await?;
    let present = full(&host).await?;
    let active: BTreeSet<_> = records
        .iter()
        .filter(|r| status(r) == Status::Active)
        .map(key)
        .collect();
    assert_eq!(present.iter().map(key).collect::<BTreeSet<_>>(), active);
    let gone: Vec<_> = records
        .iter()
        .filter(|r| status(r) != Status::Active)
        .collect();
    assert_eq!(
        second.accounts.gone + second.entitlements.gone + second.access.gone,
        gone.len() as u64
    );
    assert!(
        gone.iter()
            .any(|r| key(r).1 == changes.gone_user && status(r) == Status::Suspended)
    );
    // Gone records come last, after every present one.
    let first_gone = records
        .iter()
        .position(|r| status(r) != Status::Active)
        .unwrap();
    assert!(
        records[first_gone..]
            .iter()
            .all(|r| status(r) != Status::Active)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_gone_beyond_the_threshold_stop_the_import() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let accounts_only = ImportRequest {
        kinds: vec![ObjectKind::Accounts],
        state: None,
        incremental: false,
    };
    let (first, _) = run_import(&host(connector(), settings(&sim)), &accounts_only).await?;
    // 40 of 370 accounts go: more than the default 10%.
    sim.with_store(|store| {
        let doomed: Vec<String> = store.users.iter().take(40).map(|u| u.id.clone()).collect();
        for id in doomed {
            store.users.remove(&id);
        }
    });
    let stateful = ImportRequest {
        state: Some(first.state.clone()),
        ..accounts_only
    };
    let (outcome, records) =
        import_keeping_records(&host(connector(), settings(&sim)), &stateful).await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(&error, RunError::Connector(ConnectorError::ThresholdExceeded(m)) if m.starts_with("40 of the 370 accounts in the state would be suspended, more than the 37")),
        "{error}"
    );
    assert!(records.iter().all(|r| status(r) == Status::Active));

    // The admin who means it raises the threshold for one run.
    let mut raised = settings(&sim);
    raised.documents = vec![import_document_replacing(
        r#""acctEntParams": {}"#,
        r#""acctEntParams": {}, "statusAndThresholdConfig": {"accountThresholdValue": "15%"}"#,
    )];
    let (summary, records) = run_import(&host(connector(), raised), &stateful).await?;
    assert_eq!(40, summary.accounts.gone);
    assert_eq!(
        40,
        records
            .iter()
            .filter(|r| status(r) == Status::Suspended)
            .count()
    );
    Ok(())
}

#[test]
fn a_failed_import_suspends_nothing_and_keeps_the_state_file() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().unwrap();
    let first = run_cli(
        &sim,
        cache.path(),
        &["import", "all", "--state", state_arg, "-q"],
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let kept = std::fs::read(&state)?;

    sim.with_store(|store| {
        let id = store.users.iter().next().unwrap().id.clone();
        store.users.remove(&id);
        store.remove_bindings_of(&id);
    });
    // Accounts read fine; the environments list fails on every retry.
    sim.set_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![503],
        path_prefix: Some("/org/v2/environments".into()),
        ..Faults::default()
    });
    let failed = run_cli(&sim, cache.path(), &["import", "all", "--state", state_arg]);
    assert_eq!(
        Some(5),
        failed.status.code(),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let stdout = String::from_utf8(failed.stdout)?;
    assert!(stdout.lines().count() > 0, "present accounts were emitted");
    assert!(!stdout.contains("\"suspended\""), "{stdout}");
    assert_eq!(kept, std::fs::read(&state)?, "the state file is untouched");

    // Once the target answers again, the suspension comes through.
    sim.set_faults(Faults::default());
    let recovered = run_cli(
        &sim,
        cache.path(),
        &["import", "all", "--state", state_arg, "--incremental"],
    );
    assert!(
        recovered.status.success(),
        "{}",
        String::from_utf8_lossy(&recovered.stderr)
    );
    let stdout = String::from_utf8(recovered.stdout)?;
    assert_eq!(1, stdout.matches("\"suspended\"").count(), "{stdout}");
    assert_ne!(kept, std::fs::read(&state)?);
    Ok(())
}

#[test]
fn a_corrupt_state_file_is_a_clear_error_and_is_left_alone() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state.json");
    std::fs::write(&state, "{\"format\":1,\"accounts\":")?;
    let output = run_cli(
        &sim,
        cache.path(),
        &["import", "accounts", "--state", state.to_str().unwrap()],
    );
    assert_eq!(Some(3), output.status.code());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is corrupt"), "{stderr}");
    assert_eq!(
        "{\"format\":1,\"accounts\":",
        std::fs::read_to_string(&state)?
    );
    assert!(sim.requests().is_empty(), "nothing was imported");

    // Valid JSON that is not this connector's state is refused by the connector.
    std::fs::write(
        &state,
        r#"{"format":1,"base_url":"https://elsewhere.example"}"#,
    )?;
    let output = run_cli(
        &sim,
        cache.path(),
        &["import", "accounts", "--state", state.to_str().unwrap()],
    );
    assert_eq!(Some(3), output.status.code());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the state belongs to https://elsewhere.example"),
        "{stderr}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_import_leaves_the_state_file_untouched_though_state_was_streamed()
-> anyhow::Result<()> {
    use std::io::Write;

    use connector_runner::state::StateFile;
    use connector_runner::{ImportSink, ImportState};

    /// Counts what reaches the new state.
    struct Counted<W>(W, usize);

    impl<W: Write> Write for Counted<W> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let written = self.0.write(bytes)?;
            self.1 += written;
            Ok(written)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            self.0.flush()
        }
    }

    let sim = simulator(small_org());
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("state.json");
    let kept = r#"{"format":1}"#;
    std::fs::write(&path, kept)?;
    let file = StateFile::new(&path);
    let mut previous = file.open()?.expect("a state is kept");
    let mut next = Counted(file.begin()?, 0);
    // The probe streams pieces of a state for entitlements, then fails.
    let request = connector_runner::types::ImportRequest {
        kinds: vec![ObjectKind::Entitlements],
        has_state: true,
        incremental: false,
    };
    let state = ImportState {
        previous: Some(&mut previous),
        next: Some(&mut next),
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
    let drain = async { while receiver.recv().await.is_some() {} };
    let probe = host(probe(), settings(&sim));
    let import = probe.import(&request, state, ImportSink::new(sender));
    let (outcome, ()) = tokio::join!(import, drain);
    let error = outcome.unwrap_err();
    assert!(
        matches!(&error, RunError::Connector(ConnectorError::Transient(_))),
        "{error}"
    );
    assert!(next.1 > 0, "pieces of a state were streamed");
    drop(next);
    assert_eq!(kept, std::fs::read_to_string(&path)?);
    assert_eq!(
        1,
        std::fs::read_dir(dir.path())?.count(),
        "no temp file is left"
    );
    Ok(())
}
