//! The `import-run` resource: one import, which the host pulls from.
//!
//! The previous state is read piece by piece as the host feeds it. The
//! engine's import then runs as one future, kept between `next` calls and
//! driven by the [`executor`](crate::executor) until it has queued an event;
//! its sink queues records, progress, orphans and pieces of the new state,
//! a page or so at a time. The summary comes last.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use connector_engine as engine;
use connector_engine::import::events::EventQueue;
use connector_engine::import::state::StateReader;

use crate::bindings::exports::identity::connector::connector::GuestImportRun;
use crate::bindings::exports::identity::connector::types::{ConnectorError, ImportEvent};
use crate::executor::run_until;
use crate::transport;

/// One import, from its request to its last event.
pub struct ImportRun {
    /// Events ready to hand over.
    queue: EventQueue,
    phase: RefCell<Phase>,
}

/// The engine's import, owning all it borrows.
type Import = Pin<Box<dyn Future<Output = Result<engine::ImportSummary, engine::ConnectorError>>>>;

/// Where a run stands.
enum Phase {
    /// Taking the previous state, before the first `next`.
    Feeding {
        config: Box<engine::Config>,
        request: engine::ImportRequest,
        state: Option<StateReader>,
    },
    /// The engine's import, suspended between calls.
    Running(Import),
    /// A successful import's summary, the last event.
    Ending(engine::ImportSummary),
    /// The import failed; the error comes after the events queued before it.
    Failed(ConnectorError),
    /// Nothing more to hand over.
    Over,
}

impl ImportRun {
    /// A run of `request` under `config`, taking a previous state when
    /// `has_state`.
    pub fn new(config: engine::Config, request: engine::ImportRequest, has_state: bool) -> Self {
        let state = has_state.then(|| StateReader::new(config.base_url()));
        Self {
            queue: EventQueue::default(),
            phase: RefCell::new(Phase::Feeding {
                config: Box::new(config),
                request,
                state,
            }),
        }
    }
}

impl GuestImportRun for ImportRun {
    fn feed_state(&self, piece: Vec<u8>) -> Result<(), ConnectorError> {
        match &mut *self.phase.borrow_mut() {
            Phase::Feeding {
                state: Some(state), ..
            } => Ok(state.feed(&piece)?),
            Phase::Feeding { state: None, .. } => Err(ConnectorError::InvalidState(
                "the request said it has no state".to_string(),
            )),
            _ => Err(ConnectorError::InvalidState(
                "the state is fed before the first next".to_string(),
            )),
        }
    }

    fn next(&self) -> Result<Option<ImportEvent>, ConnectorError> {
        loop {
            if let Some(event) = self.queue.pop() {
                return Ok(Some(event.into()));
            }
            let phase = std::mem::replace(&mut *self.phase.borrow_mut(), Phase::Over);
            let phase = match phase {
                Phase::Feeding {
                    config,
                    request,
                    state,
                } => {
                    let previous = state.map(StateReader::finish).transpose()?;
                    Phase::Running(self.start(*config, request, previous))
                }
                Phase::Running(mut import) => {
                    let queue = &self.queue;
                    match run_until(import.as_mut(), || !queue.is_empty()) {
                        None => Phase::Running(import),
                        Some(Ok(summary)) => Phase::Ending(summary),
                        Some(Err(error)) => Phase::Failed(error.into()),
                    }
                }
                Phase::Ending(summary) => return Ok(Some(ImportEvent::Finished(summary.into()))),
                Phase::Failed(error) => return Err(error),
                Phase::Over => return Ok(None),
            };
            *self.phase.borrow_mut() = phase;
        }
    }
}

impl ImportRun {
    /// The engine's import of `request`, queueing what it emits.
    fn start(
        &self,
        config: engine::Config,
        request: engine::ImportRequest,
        previous: Option<engine::import::state::Snapshot>,
    ) -> Import {
        let mut sink = self.queue.clone();
        Box::pin(async move {
            let transport = transport::for_config(&config)?;
            engine::import::import(&transport, &config, &request, previous, &mut sink).await
        })
    }
}
