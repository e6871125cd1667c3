//! The settings the host hands the guest (the engine's
//! [`Provided`](connector_engine::provided::Provided)), read from the host's
//! `wasi:config/store`, then from its environment.

use connector_engine::ConnectorError;
use connector_engine::confluent::Confluent;
use connector_engine::provided::Provided;

use crate::bindings::wasi::config::store;

/// Reads what the host hands this call.
pub fn read() -> Result<Provided, ConnectorError> {
    let environment = wasip2::cli::environment::get_environment();
    let lookup = |key: &str| {
        store::get(key).map_err(|error| match error {
            store::Error::Upstream(text) | store::Error::Io(text) => text,
        })
    };
    Provided::read(&Confluent, lookup, &environment)
}
