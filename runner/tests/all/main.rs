//! End-to-end tests: the real component (and a hostile probe component)
//! under the runner, against the in-process Confluent Cloud simulator.
//! `make test` builds the components first.

mod bad_input;
mod bounded_errors;
mod cache_trust;
mod cli;
mod dialect;
mod egress;
mod faults;
mod fidelity;
mod host_input;
mod hostile;
mod import;
mod limits;
mod provision;
mod pull;
mod request_shape;
mod sandbox;
mod scale;
mod secrets;
mod serve;
mod state;
mod support;
mod tenants;
mod terminal_output;
