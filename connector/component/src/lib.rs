//! The Confluent Cloud connector as a WASI 0.2 component: the WIT exports,
//! each a few lines over `connector-engine`, with `wasi:http` as the only way
//! out. It holds no credential and reads no file or environment variable.

#[expect(unsafe_code, reason = "wit-bindgen's generated ABI glue")]
mod bindings;
mod convert;
mod transport;

use bindings::exports::identity::connector::connector::Guest;
use bindings::identity::connector::sink;
use bindings::identity::connector::types::{
    Config, ConnectionReport, ConnectorError, Descriptor, ImportRequest, ImportSummary, Progress,
    ProvisionRequest, ProvisionResult,
};
use connector_engine as engine;
use transport::WasiHttp;

struct Connector;

/// Loads the config, printing its warnings to stderr (the host's log).
fn load(config: &Config) -> Result<engine::Config, ConnectorError> {
    let loaded = engine::Config::load(&config.base_url, &convert::documents(config))
        .map_err(convert::error)?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(loaded)
}

/// Hands batches to the host's `sink.emit`.
struct HostSink;

impl engine::RecordSink for HostSink {
    fn emit(&mut self, batch: Vec<engine::Record>) -> Result<(), String> {
        let batch: Vec<_> = batch.into_iter().map(convert::record).collect();
        sink::emit(&batch)
    }

    fn progress(&mut self, kind: engine::ObjectKind, records: u64, pages: u64) {
        sink::report_progress(Progress {
            kind: convert::kind_to_wit(kind),
            records,
            pages,
        });
    }
}

fn unsupported(operation: &str) -> Result<ProvisionResult, ConnectorError> {
    Err(ConnectorError::Unsupported(format!(
        "{operation} is not built yet"
    )))
}

impl Guest for Connector {
    fn describe(config: Config) -> Result<Descriptor, ConnectorError> {
        Ok(convert::descriptor(engine::describe::describe(&load(
            &config,
        )?)))
    }

    fn test_connection(config: Config) -> Result<ConnectionReport, ConnectorError> {
        let config = load(&config)?;
        wstd::runtime::block_on(engine::check::test_connection(&WasiHttp::new(), &config))
            .map(convert::report)
            .map_err(convert::error)
    }

    fn import(config: Config, request: ImportRequest) -> Result<ImportSummary, ConnectorError> {
        let config = load(&config)?;
        let transport = WasiHttp::new();
        let mut sink = HostSink;
        let request = convert::request(request);
        let run = engine::import::import(&transport, &config, &request, &mut sink);
        wstd::runtime::block_on(run)
            .map(convert::outcome)
            .map_err(convert::error)
    }

    fn create_account(_: Config, _: ProvisionRequest) -> Result<ProvisionResult, ConnectorError> {
        unsupported("create-account")
    }

    fn update_account(_: Config, _: ProvisionRequest) -> Result<ProvisionResult, ConnectorError> {
        unsupported("update-account")
    }

    fn remove_account(_: Config, _: ProvisionRequest) -> Result<ProvisionResult, ConnectorError> {
        unsupported("remove-account")
    }

    fn add_access(_: Config, _: ProvisionRequest) -> Result<ProvisionResult, ConnectorError> {
        unsupported("add-access")
    }

    fn remove_access(_: Config, _: ProvisionRequest) -> Result<ProvisionResult, ConnectorError> {
        unsupported("remove-access")
    }
}
