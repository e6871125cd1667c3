//! The Confluent Cloud connector as a WASI 0.2 component: the WIT exports,
//! each a few lines over `connector-engine`, and `wasi:http/incoming-handler`
//! over the engine's [`service`](connector_engine::service), with `wasi:http`
//! as the only way out. It imports nothing but WASI and reads no file. Under a
//! host that injects the credential it holds none; a host that cannot may
//! hand it one in `wasi:config/store` or the environment (see
//! [`host_settings`]).

#[expect(unsafe_code, reason = "wit-bindgen's generated ABI glue")]
mod bindings;
mod convert;
mod executor;
mod host_settings;
mod import_run;
mod service;
mod transport;

use bindings::exports::identity::connector::connector::{Guest, ImportRun};
use bindings::exports::identity::connector::types::{
    Config, ConnectionReport, ConnectorError, Descriptor, ImportRequest, ProvisionOperation,
    ProvisionRequest, ProvisionResult,
};
use connector_engine as engine;
use executor::block_on;

struct Connector;

/// Loads the config, printing its warnings to stderr (the host's log).
fn load(config: &Config) -> Result<engine::Config, ConnectorError> {
    let documents: Vec<(String, String)> = convert::each(&config.documents);
    Ok(load_documents(&config.base_url, &documents)?)
}

/// Loads `documents` for `base_url`, printing their warnings to stderr.
fn load_documents(
    base_url: &str,
    documents: &[(String, String)],
) -> Result<engine::Config, engine::ConnectorError> {
    let loaded = engine::Config::load(&engine::confluent::Confluent, base_url, documents)?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(loaded)
}

impl Guest for Connector {
    type ImportRun = import_run::ImportRun;

    fn describe(config: Config) -> Result<Descriptor, ConnectorError> {
        Ok(engine::describe::describe(&load(&config)?).into())
    }

    fn test_connection(config: Config) -> Result<ConnectionReport, ConnectorError> {
        let config = load(&config)?;
        let transport = transport::for_config(&config)?;
        let run = engine::target::test_connection(&transport, &config);
        Ok(block_on(run)?.into())
    }

    fn start_import(config: Config, request: ImportRequest) -> Result<ImportRun, ConnectorError> {
        let config = load(&config)?;
        let has_state = request.has_state;
        let run = import_run::ImportRun::new(config, request.into(), has_state);
        Ok(ImportRun::new(run))
    }

    fn provision(
        config: Config,
        operation: ProvisionOperation,
        request: ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        let config = load(&config)?;
        let request = request.into();
        let transport = transport::for_config(&config)?;
        let run = engine::provision::provision(&transport, &config, operation.into(), &request);
        Ok(block_on(run)?.into())
    }
}
