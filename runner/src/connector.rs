//! [`ConnectorHost`]: the embedding API. It runs each operation in a fresh
//! sandboxed instance under the configured grants, credentials and limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmtime::{Store, Trap};

use crate::bindings::IdentityConnector;
use crate::bindings::types::{
    AttributeValue, Config, ConnectionReport, Descriptor, Document, ImportRequest, ImportSummary,
    ProvisionOperation, ProvisionRequest, ProvisionResult,
};
use crate::credentials::Credentials;
use crate::egress::{Denials, EgressHooks, EgressPolicy};
use crate::error::{RunError, SettingsError};
use crate::grants::{BaseUrl, Grants, Origin, PathPrefix};
use crate::host::{HostState, ImportSink};
use crate::import::ImportState;
use crate::limits::{GuestLimiter, Limits};
use crate::runtime::ConnectorRuntime;

/// How a host runs a connector.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// The target's base URL; its origin is granted and receives credentials.
    pub base_url: String,
    /// Further origins the guest may reach, without credentials.
    pub extra_grants: Vec<Origin>,
    /// Absolute path prefixes on the base URL's origin that receive the
    /// credentials too, beyond [`crate::grants::DEFAULT_CREDENTIAL_PATHS`]
    /// (which sit under the base URL's path; these do not).
    pub extra_credential_paths: Vec<PathPrefix>,
    /// The credentials to inject; `None` sends no `Authorization`.
    pub credentials: Option<Credentials>,
    /// Configuration documents over the connector's defaults.
    pub documents: Vec<Document>,
    /// Memory, time and size limits.
    pub limits: Limits,
}

/// A connector, configured and ready to run operations.
#[derive(Debug, Clone)]
pub struct ConnectorHost {
    pub(crate) runtime: Arc<ConnectorRuntime>,
    pub(crate) policy: Arc<EgressPolicy>,
    pub(crate) config: Config,
    pub(crate) limits: Limits,
    /// The most linear memory any instance of it or its clones has held,
    /// in bytes.
    peak_memory: Arc<AtomicUsize>,
    /// The bearer token the HTTP entry point requires, if any.
    pub(crate) service_token: Option<ServiceToken>,
}

/// The bearer token callers of the HTTP entry point must present. Its
/// `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct ServiceToken(pub(crate) Arc<str>);

impl std::fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceToken(***)")
    }
}

impl ConnectorHost {
    /// Binds `runtime` to `settings`. The base URL must be scheme, host,
    /// port and an optional path; the limits must be in range; and no
    /// document may hold the API secret.
    pub fn new(runtime: Arc<ConnectorRuntime>, settings: HostSettings) -> Result<Self, RunError> {
        let base_url = BaseUrl::parse(&settings.base_url).map_err(SettingsError::from)?;
        settings.limits.check().map_err(SettingsError::from)?;
        let mut grants = Grants::new(&base_url, &settings.extra_credential_paths);
        for origin in settings.extra_grants {
            grants.grant(origin);
        }
        if let Some(credentials) = &settings.credentials
            && let Some(document) = settings
                .documents
                .iter()
                .find(|d| credentials.secret_appears_in(&d.json))
        {
            return Err(RunError::SecretInInput(format!(
                "the document '{}'",
                document.name
            )));
        }
        let policy = EgressPolicy::new(grants, settings.credentials, settings.limits);
        let config = Config {
            base_url: base_url.as_str().to_string(),
            documents: settings.documents,
        };
        Ok(Self {
            runtime,
            policy: Arc::new(policy),
            config,
            limits: settings.limits,
            peak_memory: Arc::default(),
            service_token: None,
        })
    }

    /// Makes the HTTP entry point ([`serve_http`](Self::serve_http)) serve
    /// only requests with `Authorization: Bearer` and `token`. The guest
    /// checks it: it is the service's own token, handed to the guest's
    /// `wasi:config/store`, not the target's credential.
    pub fn require_service_token(&mut self, token: &str) {
        self.service_token = Some(ServiceToken(Arc::from(token)));
    }

    /// The most linear memory any instance of this host (or a clone) has
    /// held so far, in bytes: how close its operations came to the cap.
    pub fn peak_memory(&self) -> usize {
        self.peak_memory.load(Ordering::Relaxed)
    }

    /// The connector's descriptor under this configuration.
    pub async fn describe(&self) -> Result<Descriptor, RunError> {
        let config = &self.config;
        self.run(async |c, store| {
            let described = c
                .identity_connector_connector()
                .call_describe(store, config);
            Ok(described.await?.map_err(RunError::Connector))
        })
        .await
    }

    /// Tests the connection to the target.
    pub async fn test_connection(&self) -> Result<ConnectionReport, RunError> {
        let config = &self.config;
        self.run(async |c, store| {
            let tested = c
                .identity_connector_connector()
                .call_test_connection(store, config);
            Ok(tested
                .await?
                .map_err(RunError::Connector)
                .and_then(|report| {
                    crate::handover::check_connection_report(&report).map(|()| report)
                }))
        })
        .await
    }

    /// Runs an import from `state.previous` (`request.has_state` is set
    /// from it), sending records, progress and orphans to `sink` as they
    /// arrive and the new state's pieces to `state.next`. On success that
    /// state is the one to keep for the next import; on failure it is not,
    /// and the records already sent hold no suspension, inactivation or
    /// removal. A state that holds the API secret (the credentials file
    /// given as the state, say) is refused before the import starts, and no
    /// part of the secret reaches the connector.
    pub async fn import(
        &self,
        request: &ImportRequest,
        state: ImportState<'_>,
        sink: ImportSink,
    ) -> Result<ImportSummary, RunError> {
        let request = ImportRequest {
            has_state: state.previous.is_some(),
            ..request.clone()
        };
        let config = &self.config;
        let screen = self.policy.screen();
        self.run(async |c, store| {
            crate::import::run(c, store, screen, config, &request, state, &sink).await
        })
        .await
    }

    /// Runs a provisioning operation. A request that holds the API secret is
    /// refused.
    pub async fn provision(
        &self,
        operation: ProvisionOperation,
        request: &ProvisionRequest,
    ) -> Result<ProvisionResult, RunError> {
        if let Some(credentials) = self.policy.credentials()
            && texts_of(request).any(|text| credentials.secret_appears_in(text))
        {
            return Err(RunError::SecretInInput(
                "the provisioning request".to_string(),
            ));
        }
        let config = &self.config;
        self.run(async |c, store| {
            let provisioned = c
                .identity_connector_connector()
                .call_provision(store, config, operation, request);
            Ok(provisioned
                .await?
                .map_err(RunError::Connector)
                .and_then(|result| {
                    crate::handover::check_provision_result(&result).map(|()| result)
                }))
        })
        .await
    }

    /// Instantiates the component in a fresh sandboxed store and runs `call`
    /// (every call of an operation) under the memory cap, the epoch deadline
    /// and the wall-clock timeout.
    async fn run<R>(
        &self,
        call: impl AsyncFnOnce(
            &IdentityConnector,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<R, RunError>>,
    ) -> Result<R, RunError> {
        let denials = Denials::default();
        let hooks = EgressHooks::new(self.policy.clone(), denials.clone());
        let mut store = Store::new(
            self.runtime.engine(),
            HostState::new(hooks, GuestLimiter::new(&self.limits)),
        );
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(self.limits.deadline_ticks());
        store.epoch_deadline_trap();
        let instance = self
            .runtime
            .pre()
            .instantiate_async(&mut store)
            .await
            .map_err(|e| RunError::Host(e.into()))?;
        let outcome =
            tokio::time::timeout(self.limits.operation_timeout, call(&instance, &mut store)).await;
        store.data().log_guest_output();
        let peak_memory = store.data().limits.peak_memory();
        self.peak_memory.fetch_max(peak_memory, Ordering::Relaxed);
        let denied = denials.first();
        match outcome {
            Err(_) => Err(RunError::DeadlineExceeded(self.limits.operation_timeout)),
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(_))) | Ok(Err(_)) if denied.is_some() => {
                Err(RunError::EgressDenied(denied.unwrap_or_default()))
            }
            Ok(Ok(Err(error))) => Err(error),
            Ok(Err(trap)) => Err(self.classify_trap(trap, store.data().limits.memory_cap_hit())),
        }
    }

    pub(crate) fn classify_trap(&self, trap: wasmtime::Error, memory_cap_hit: bool) -> RunError {
        match trap.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => {
                return RunError::DeadlineExceeded(self.limits.operation_timeout);
            }
            Some(Trap::StackOverflow) => {
                return RunError::Trap(format!(
                    "the connector overflowed its stack, as runaway recursion does ({})",
                    Trap::StackOverflow
                ));
            }
            _ => {}
        }
        // The root cause is the one line worth printing; the wasm backtrace
        // and the guest's own panic message are in the log.
        let text = trap.root_cause().to_string();
        if memory_cap_hit {
            return RunError::Trap(format!(
                "the connector exceeded its memory limit of {} MiB ({text})",
                self.limits.memory_bytes >> 20
            ));
        }
        RunError::Trap(format!("{text} (the connector's log has the details)"))
    }
}

/// Every text a provisioning request carries: ids, the role, attribute
/// names and values.
fn texts_of(request: &ProvisionRequest) -> impl Iterator<Item = &str> {
    let attributes = request.user.iter().chain(&request.account);
    let ids = [
        &request.request_id,
        &request.account_id,
        &request.ent_type,
        &request.entitlement_id,
        &request.role,
    ];
    ids.into_iter()
        .filter_map(|id| id.as_deref())
        .chain(attributes.flat_map(|a| {
            let value = match &a.value {
                AttributeValue::Text(text) => Some(text.as_str()),
                _ => None,
            };
            std::iter::once(a.name.as_str()).chain(value)
        }))
}
