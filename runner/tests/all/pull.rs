//! The import's pull contract, seen by a host other than `ConnectorHost`:
//! the component imports nothing but WASI 0.2 (and `wasi:config`), so any
//! WASI host can run it,
//! it fits in 1 MB, and an `import-run` hands over nothing after `finished`.

use std::sync::Arc;

use connector_runner::bindings::IdentityConnector;
use connector_runner::egress::{Denials, EgressHooks, EgressPolicy};
use connector_runner::grants::{BaseUrl, Grants};
use connector_runner::host::HostState;
use connector_runner::limits::GuestLimiter;
use connector_runner::types::{Config, ConnectorError, ImportEvent, ImportRequest, ObjectKind};
use connector_runner::{Credentials, Limits};
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use crate::support::*;

#[test]
fn the_component_fits_in_one_megabyte() -> anyhow::Result<()> {
    let bytes = std::fs::metadata(connector_path())?.len();
    assert!(bytes <= 1_000_000, "the component is {bytes} bytes");
    Ok(())
}

#[test]
fn the_component_imports_nothing_but_wasi() -> anyhow::Result<()> {
    let engine = connector().engine().clone();
    let component = Component::from_file(&engine, connector_path())?;
    let kind = component.component_type();
    let imports: Vec<String> = kind.imports(&engine).map(|(n, _)| n.to_string()).collect();
    assert!(
        imports
            .iter()
            .any(|n| n.starts_with("wasi:http/outgoing-handler@0.2."))
    );
    assert!(
        imports
            .iter()
            .all(|n| n.starts_with("wasi:") && n.contains("@0.2.")),
        "{imports:?}"
    );
    let exports: Vec<String> = kind.exports(&engine).map(|(n, _)| n.to_string()).collect();
    assert!(
        exports.contains(&"identity:connector/connector@0.1.0".to_string()),
        "{exports:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_run_hands_over_nothing_after_finished() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let engine = connector().engine().clone();
    let component = Component::from_file(&engine, connector_path())?;
    let mut linker = Linker::<HostState>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    wasmtime_wasi_config::add_to_linker(&mut linker, |state: &mut HostState| {
        wasmtime_wasi_config::WasiConfig::from(state.config())
    })?;
    let limits = Limits::default();
    let base_url = BaseUrl::parse(sim.url())?;
    let credentials = Credentials::new(sim.api_key(), sim.api_secret());
    let policy = EgressPolicy::new(Grants::new(&base_url, &[]), Some(credentials), limits);
    let hooks = EgressHooks::new(Arc::new(policy), Denials::default());
    let mut store = Store::new(&engine, HostState::new(hooks, GuestLimiter::new(&limits)));
    store.set_epoch_deadline(limits.deadline_ticks());
    let instance = IdentityConnector::instantiate_async(&mut store, &component, &linker).await?;
    let connector = instance.identity_connector_connector();
    let config = Config {
        base_url: base_url.as_str().to_string(),
        documents: Vec::new(),
    };
    let request = ImportRequest {
        kinds: vec![ObjectKind::Entitlements],
        has_state: false,
        incremental: false,
    };
    let run = connector
        .call_start_import(&mut store, &config, &request)
        .await?
        .expect("the import starts");
    let calls = connector.import_run();
    let (mut records, mut state) = (0, Vec::new());
    loop {
        let event = calls
            .call_next(&mut store, run)
            .await?
            .expect("the import succeeds")
            .expect("finished comes before the end");
        match event {
            ImportEvent::Records(batch) => records += batch.len(),
            ImportEvent::State(piece) => state.extend(piece),
            ImportEvent::Finished(_) => break,
            ImportEvent::Progress(_) | ImportEvent::Orphans(_) => {}
        }
    }
    assert_eq!(13, records, "an organization and its 12 environments");
    let state = String::from_utf8(state)?;
    assert!(
        state.ends_with("#end\n"),
        "the whole state came over: {state}"
    );
    for _ in 0..2 {
        let after = calls.call_next(&mut store, run).await?;
        assert!(matches!(after, Ok(None)), "{after:?}");
    }
    let late = calls.call_feed_state(&mut store, run, b"{}").await?;
    assert!(
        matches!(late, Err(ConnectorError::InvalidState(_))),
        "{late:?}"
    );
    run.resource_drop_async(&mut store).await?;
    Ok(())
}
