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
    let loaded = engine::Config::load(
        &engine::confluent::Confluent,
        &config.base_url,
        &convert::documents(config),
    )
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

/// Runs one provisioning operation.
fn provision(
    config: Config,
    op: engine::provision::ProvisionOp,
    request: ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let config = load(&config)?;
    let request = convert::provision_request(request);
    let transport = WasiHttp::new();
    let run = engine::provision::provision(&transport, &config, op, &request);
    wstd::runtime::block_on(run)
        .map(convert::provision_result)
        .map_err(convert::error)
}

impl Guest for Connector {
    fn describe(config: Config) -> Result<Descriptor, ConnectorError> {
        Ok(convert::descriptor(engine::describe::describe(&load(
            &config,
        )?)))
    }

    fn test_connection(config: Config) -> Result<ConnectionReport, ConnectorError> {
        let config = load(&config)?;
        wstd::runtime::block_on(engine::target::test_connection(&WasiHttp::new(), &config))
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

    fn create_account(
        config: Config,
        request: ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        provision(
            config,
            engine::provision::ProvisionOp::CreateAccount,
            request,
        )
    }

    fn update_account(
        config: Config,
        request: ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        provision(
            config,
            engine::provision::ProvisionOp::UpdateAccount,
            request,
        )
    }

    fn remove_account(
        config: Config,
        request: ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        provision(
            config,
            engine::provision::ProvisionOp::RemoveAccount,
            request,
        )
    }

    fn add_access(
        config: Config,
        request: ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        provision(config, engine::provision::ProvisionOp::AddAccess, request)
    }

    fn remove_access(
        config: Config,
        request: ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        provision(
            config,
            engine::provision::ProvisionOp::RemoveAccess,
            request,
        )
    }
}
