//! The host side of an import: start it in the guest, feed it the kept
//! state in screened pieces, and pull its events until it finishes, handing
//! records, progress and orphans to the [`ImportSink`] and the new state's
//! pieces to their writer. Each batch is checked against the caps of
//! [`crate::handover`] before it goes on.

use std::io::{Read, Write};

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use crate::bindings::IdentityConnector;
use crate::bindings::exports_connector::GuestImportRun;
use crate::bindings::types::{Config, ConnectorError, ImportEvent, ImportRequest, ImportSummary};
use crate::error::RunError;
use crate::files::MAX_STATE_BYTES;
use crate::host::{HostState, ImportSink};
use crate::screen::{Pieces, Screen};

/// Bytes of the kept state read and fed at a time.
const STATE_PIECE: usize = 64 << 10;

/// The state an import starts from, and where the state it leaves goes.
#[derive(Default)]
pub struct ImportState<'a> {
    /// The state of the last successful import, read in pieces; `None`
    /// for a first import.
    pub previous: Option<&'a mut (dyn Read + Send)>,
    /// Takes the new state's pieces in order; `None` drops them. What it
    /// was given is a state to keep only if the import succeeds.
    pub next: Option<&'a mut (dyn Write + Send)>,
}

impl std::fmt::Debug for ImportState<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportState")
            .field("previous", &self.previous.is_some())
            .field("next", &self.next.is_some())
            .finish()
    }
}

/// Runs `request` in the instance `connector` of `store` to its end: the
/// summary, a connector's or the host's error, or a trap.
pub(crate) async fn run(
    connector: &IdentityConnector,
    store: &mut Store<HostState>,
    screen: Option<&Screen>,
    config: &Config,
    request: &ImportRequest,
    state: ImportState<'_>,
    sink: &ImportSink,
) -> wasmtime::Result<Result<ImportSummary, RunError>> {
    let guest = connector.identity_connector_connector();
    let run = match guest
        .call_start_import(&mut *store, config, request)
        .await?
    {
        Ok(run) => run,
        Err(error) => return Ok(Err(RunError::Connector(error))),
    };
    let mut calls = Calls {
        guest: guest.import_run(),
        store,
        run,
    };
    let fed = match state.previous {
        Some(previous) => calls.feed(previous, screen).await?,
        None => Ok(()),
    };
    let outcome = match fed {
        Ok(()) => calls.pull(state.next, sink).await?,
        Err(error) => Err(error),
    };
    run.resource_drop_async(&mut *calls.store).await?;
    Ok(outcome)
}

/// The calls on one `import-run`.
struct Calls<'a> {
    guest: GuestImportRun<'a>,
    store: &'a mut Store<HostState>,
    run: ResourceAny,
}

impl Calls<'_> {
    /// Feeds `previous` in pieces, screened for the secret: a state that
    /// holds it is refused before the import starts, and no part of the
    /// secret is fed.
    async fn feed(
        &mut self,
        previous: &mut (dyn Read + Send),
        screen: Option<&Screen>,
    ) -> wasmtime::Result<Result<(), RunError>> {
        let mut pieces = Pieces::new(screen);
        let mut buffer = vec![0; STATE_PIECE];
        loop {
            let read = match previous.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Ok(Err(RunError::State(error))),
            };
            let Ok(piece) = pieces.push(&buffer[..read]) else {
                return Ok(Err(RunError::SecretInInput("the import state".to_string())));
            };
            if let Err(error) = self.give(&piece).await? {
                return Ok(Err(error));
            }
        }
        self.give(&pieces.finish()).await
    }

    /// Feeds one piece of the kept state, unless it is empty.
    async fn give(&mut self, piece: &[u8]) -> wasmtime::Result<Result<(), RunError>> {
        if piece.is_empty() {
            return Ok(Ok(()));
        }
        let fed = self
            .guest
            .call_feed_state(&mut *self.store, self.run, piece)
            .await?;
        Ok(fed.map_err(RunError::Connector))
    }

    /// Pulls events until the import finishes or fails.
    async fn pull(
        &mut self,
        mut next: Option<&mut (dyn Write + Send)>,
        sink: &ImportSink,
    ) -> wasmtime::Result<Result<ImportSummary, RunError>> {
        let mut state_bytes = 0u64;
        loop {
            let event = match self.guest.call_next(&mut *self.store, self.run).await? {
                Ok(Some(event)) => event,
                Ok(None) => {
                    return Ok(Err(RunError::Misbehaved(
                        "the import ended without finishing".to_string(),
                    )));
                }
                Err(error) => return Ok(Err(RunError::Connector(error))),
            };
            match event {
                ImportEvent::Records(batch) => {
                    if let Err(error) = crate::handover::check_records(&batch) {
                        return Ok(Err(error));
                    }
                    if sink.batches.send(batch).await.is_err() {
                        return Ok(Err(RunError::Connector(ConnectorError::Transient(
                            "the host refused a batch: the host stopped reading records"
                                .to_string(),
                        ))));
                    }
                }
                ImportEvent::Progress(progress) => {
                    if let Some(report) = &sink.progress {
                        report(&progress);
                    }
                }
                ImportEvent::Orphans(orphans) => {
                    if let Err(error) = crate::handover::check_orphans(&orphans) {
                        return Ok(Err(error));
                    }
                    if let Some(hear) = &sink.orphans {
                        hear(&orphans);
                    }
                }
                ImportEvent::State(piece) => {
                    state_bytes += piece.len() as u64;
                    if state_bytes > MAX_STATE_BYTES {
                        return Ok(Err(RunError::Misbehaved(format!(
                            "the new state is larger than {MAX_STATE_BYTES} bytes, the most a state may be"
                        ))));
                    }
                    if let Some(writer) = next.as_mut()
                        && let Err(error) = writer.write_all(&piece)
                    {
                        return Ok(Err(RunError::State(error)));
                    }
                }
                ImportEvent::Finished(summary) => {
                    if let Some(writer) = next.as_mut()
                        && let Err(error) = writer.flush()
                    {
                        return Ok(Err(RunError::State(error)));
                    }
                    return Ok(Ok(summary));
                }
            }
        }
    }
}
