//! Import: runs the document's calls, walks their pages, maps each record,
//! compares it with the state and streams what is due to the sink one page at
//! a time.
//!
//! The kinds are read side by side; within a kind, independent calls run
//! concurrently and the pages of one list in sequence. An access link whose
//! account or entitlement has not turned up yet waits, up to
//! [`PENDING_LINKS`] of them, until it does or its kind is read in full (then
//! it is an orphan); past that, the access lists wait for the other kinds.
//! What the state has but the target no longer returns is emitted only after
//! every kind has been read in full and the thresholds allow it, so a run
//! that fails anywhere suspends, inactivates and removes nothing.

pub mod changes;
pub mod events;
pub mod state;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::task::{Poll, Waker};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::client::pages::Paging;
use crate::client::projection::{Page, Projection};
use crate::client::{Client, Transport};
use crate::dialect::documents::Config;
use crate::dialect::import_doc::CallPlan;
use crate::dialect::mapping::{Segment, lookup};
use crate::dialect::request_headers;
use crate::dialect::template::{Bindings, UrlError};
use crate::error::ConnectorError;
use crate::import::changes::{Tracker, check_vanished};
use crate::import::state::{KeyDigest, Snapshot, StateWriter};
use crate::model::{
    Access, Account, AttributeValue, Attributes, Entitlement, ImportRequest, ImportSummary,
    ObjectKind, Record, RecordSink, Status, attributes_json,
};
use crate::target::Pending;

/// Independent calls of one kind or entitlement type whose lists are read at
/// once.
pub const CALLS_IN_FLIGHT: usize = 4;

/// Entitlement types imported at once; with [`CALLS_IN_FLIGHT`], at most 16
/// entitlement lists are read at a time.
pub const ENT_TYPES_IN_FLIGHT: usize = 4;

/// Access links that may wait for their account or entitlement to turn up
/// before the access lists wait for the other kinds.
pub const PENDING_LINKS: usize = 4_000;

/// Records delivered at a time from one page. A long page (a thousand role
/// bindings) is delivered in parts, and the import yields to its executor
/// between them, so that an executor running every list on one thread takes
/// another list's response, and sends that list's next request, within a
/// part of the page rather than after all of it.
pub const DELIVERY_PART: usize = 100;

/// Dependent calls in flight at once for one page.
const DEPENDENT_CALLS_IN_FLIGHT: usize = 4;

/// Records emitted per batch when the vanished ones are emitted.
const GONE_BATCH: usize = 100;

/// Imports `request.kinds` against `previous`, the state the last
/// successful import left (if any), streaming records and the new state to
/// `sink`.
pub async fn import<T: Transport>(
    transport: &T,
    config: &Config,
    request: &ImportRequest,
    previous: Option<Snapshot>,
    sink: &mut dyn RecordSink,
) -> Result<ImportSummary, ConnectorError> {
    let snapshot = RefCell::new(previous.unwrap_or_else(|| Snapshot::new(config.base_url())));
    let run = ImportRun {
        client: Client::new(transport, config.target(), &config.retry),
        config,
        sink: RefCell::new(sink),
        summary: RefCell::new(ImportSummary::default()),
        next: RefCell::new(StateWriter::new(config.base_url())),
        read_in_full: ObjectKind::ALL.map(|kind| Cell::new(!request.kinds.contains(&kind))),
        moved: Signal::default(),
        waiting: RefCell::default(),
    };
    let kinds: Vec<ObjectKind> = ObjectKind::ALL
        .into_iter()
        .filter(|k| request.kinds.contains(k))
        .collect();
    let deliveries: Vec<Delivery> = kinds
        .iter()
        .map(|&kind| Delivery {
            kind,
            run: &run,
            snapshot: &snapshot,
            tracker: RefCell::new(Tracker::new(
                &snapshot,
                &run.next,
                kind,
                request.incremental,
            )),
            orphan_ids: RefCell::new(HashSet::new()),
            pages: Cell::new(0),
        })
        .collect();
    stream::iter(&deliveries)
        .map(Delivery::read_kind)
        .buffer_unordered(ObjectKind::ALL.len())
        .try_collect::<()>()
        .await?;
    let snapshot = snapshot.into_inner();
    let gone = kinds
        .iter()
        .flat_map(|&kind| changes::gone(kind, &snapshot, &config.import));
    let mut gone = gone.map(|record| with_key_attribute(record, config));
    loop {
        let batch: Vec<Record> = gone.by_ref().take(GONE_BATCH).collect();
        if batch.is_empty() {
            break;
        }
        {
            // Counted before the sink sees them, the summary's borrow
            // released before it does.
            let mut summary = run.summary.borrow_mut();
            for record in &batch {
                let counts = summary.counts_mut(record.kind());
                counts.gone += 1;
                counts.emitted += 1;
            }
        }
        run.emit(batch)?;
    }
    run.next
        .borrow_mut()
        .finish(&snapshot, |piece| run.save_state(piece))?;
    Ok(run.summary.into_inner())
}

/// Tells the futures waiting on it that the import has moved on: a page of
/// some kind was read, or a kind was read in full.
#[derive(Debug, Default)]
struct Signal {
    moves: Cell<u64>,
    waiting: RefCell<Vec<Waker>>,
}

impl Signal {
    fn raise(&self) {
        self.moves.set(self.moves.get() + 1);
        self.waiting.take().into_iter().for_each(Waker::wake);
    }

    /// Waits for the next [`Signal::raise`].
    async fn next(&self) {
        let raised = self.moves.get();
        std::future::poll_fn(|cx| match self.moves.get() > raised {
            true => Poll::Ready(()),
            false => {
                let mut waiting = self.waiting.borrow_mut();
                if !waiting.iter().any(|waker| waker.will_wake(cx.waker())) {
                    waiting.push(cx.waker().clone());
                }
                Poll::Pending
            }
        })
        .await
    }
}

/// Lets the executor poll whatever else is ready before going on.
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// One import's shared parts; the concurrent calls of a kind borrow it.
struct ImportRun<'a> {
    client: Client<'a>,
    config: &'a Config,
    sink: RefCell<&'a mut dyn RecordSink>,
    summary: RefCell<ImportSummary>,
    /// The state the next import starts from, written as records are seen.
    next: RefCell<StateWriter>,
    /// Whether each kind has been read in full (or is not being read).
    read_in_full: [Cell<bool>; 3],
    /// Raised at each page and each kind read in full, for access links
    /// waiting for their ends.
    moved: Signal,
    /// Access links waiting for their account or entitlement.
    waiting: RefCell<Waiting>,
}

/// Where a kind's records go, a page at a time: the import's own calls
/// deliver to it, and so does a target's built-in access import.
pub trait PageSink {
    /// Delivers one page's records and reports progress; it may wait for
    /// room before the next page.
    fn page(&self, records: Vec<Record>) -> Pending<'_, ()>;

    /// Counts a page read that held no records of the kind (such as the
    /// list of organizations before their role bindings).
    fn counted_page(&self);
}

/// Where the mapped records of one kind go: past the orphan check (access),
/// through the tracker, to the sink.
struct Delivery<'a, 'r> {
    kind: ObjectKind,
    run: &'r ImportRun<'a>,
    /// The state and this run so far, to find orphaned access links.
    snapshot: &'r RefCell<Snapshot>,
    tracker: RefCell<Tracker<'r>>,
    /// The orphans reported so far: a link listed twice is reported once.
    orphan_ids: RefCell<HashSet<String>>,
    pages: Cell<u64>,
}

/// Where an access link stands while the other kinds are read.
enum Standing {
    /// Its account and entitlement are known.
    Known,
    /// Its account or entitlement is not, and its kind has been read in full.
    Orphan,
    /// This end of it (its kind and key) may still turn up.
    Waits(ObjectKind, KeyDigest),
}

/// Access links waiting for an account or an entitlement to turn up, by
/// the end each waits for; once it turns up, or its kind has been read in
/// full, they are released to be judged again.
#[derive(Debug, Default)]
struct Waiting {
    by_end: FxHashMap<(ObjectKind, KeyDigest), Vec<Record>>,
    /// How many links wait.
    count: usize,
    released: Vec<Record>,
}

impl Waiting {
    fn wait(&mut self, end: (ObjectKind, KeyDigest), link: Record) {
        self.by_end.entry(end).or_default().push(link);
        self.count += 1;
    }

    /// Releases the links waiting for `record`, which has turned up.
    fn turned_up(&mut self, record: &Record) {
        if self.count == 0 {
            return;
        }
        let (ent_type, id) = record.key();
        let end = (record.kind(), KeyDigest::of(ent_type, id));
        if let Some(links) = self.by_end.remove(&end) {
            self.count -= links.len();
            self.released.extend(links);
        }
    }

    /// Releases every link waiting for an end of `kind`, which has been
    /// read in full.
    fn read_in_full(&mut self, kind: ObjectKind) {
        for (_, links) in self.by_end.extract_if(|end, _| end.0 == kind) {
            self.count -= links.len();
            self.released.extend(links);
        }
    }
}

impl PageSink for Delivery<'_, '_> {
    fn page(&self, records: Vec<Record>) -> Pending<'_, ()> {
        Box::pin(async move {
            let mut records = records.into_iter();
            loop {
                self.deliver(records.by_ref().take(DELIVERY_PART).collect())?;
                if records.len() == 0 {
                    break;
                }
                yield_now().await;
            }
            self.counted_page();
            match self.kind {
                ObjectKind::Access => self.settle(PENDING_LINKS).await,
                _ => Ok(()),
            }
        })
    }

    fn counted_page(&self) {
        let pages = self.pages.get() + 1;
        self.pages.set(pages);
        self.run.summary.borrow_mut().pages += 1;
        let present = self.tracker.borrow().counts.present;
        self.run
            .sink
            .borrow_mut()
            .progress(self.kind, present, pages);
        self.run.moved.raise();
    }
}

impl Delivery<'_, '_> {
    /// Reads the kind in full, then checks its thresholds.
    async fn read_kind(&self) -> Result<(), ConnectorError> {
        let run = self.run;
        match self.kind {
            ObjectKind::Accounts => run.import_accounts(self).await?,
            ObjectKind::Entitlements => run.import_entitlements(self).await?,
            ObjectKind::Access => {
                let target = run.config.target();
                target
                    .import_access(run.client.clone(), run.config, self)
                    .await?;
                self.settle(0).await?;
            }
        }
        *run.summary.borrow_mut().counts_mut(self.kind) = self.tracker.borrow().counts;
        run.read_in_full[self.kind as usize].set(true);
        run.waiting.borrow_mut().read_in_full(self.kind);
        run.moved.raise();
        check_vanished(self.kind, &self.snapshot.borrow(), &run.config.import)
    }

    /// Hands what is due of `records` to the sink: access links whose ends
    /// are known, the orphans, and the state's next lines. Links whose ends
    /// may still turn up wait.
    fn deliver(&self, records: Vec<Record>) -> Result<(), ConnectorError> {
        let (mut due, mut orphans) = (Vec::new(), Vec::new());
        for record in records {
            match &record {
                Record::Access(link) => match self.standing(link) {
                    Standing::Known => {}
                    Standing::Orphan => {
                        if self.orphan_ids.borrow_mut().insert(link.id.clone()) {
                            orphans.push(link.clone());
                        }
                        continue;
                    }
                    Standing::Waits(kind, key) => {
                        self.run.waiting.borrow_mut().wait((kind, key), record);
                        continue;
                    }
                },
                _ => self.run.waiting.borrow_mut().turned_up(&record),
            }
            due.extend(self.tracker.borrow_mut().observe(record));
        }
        self.run.emit(due)?;
        self.run.report_orphans(orphans)?;
        let piece = self.run.next.borrow_mut().full_piece();
        piece.map_or(Ok(()), |piece| self.run.save_state(piece))
    }

    /// Delivers the links released from waiting as the import moves on,
    /// until at most `most` wait.
    async fn settle(&self, most: usize) -> Result<(), ConnectorError> {
        loop {
            let released = std::mem::take(&mut self.run.waiting.borrow_mut().released);
            if !released.is_empty() {
                self.deliver(released)?;
                continue;
            }
            if self.run.waiting.borrow().count <= most {
                return Ok(());
            }
            self.run.moved.next().await;
        }
    }

    /// Whether an access link's account and entitlement are known: to this
    /// run if it reads their kind, else to the state. Nothing is an orphan
    /// of a kind neither has.
    fn standing(&self, link: &Access) -> Standing {
        let snapshot = self.snapshot.borrow();
        let ends = [
            (ObjectKind::Accounts, "", link.account_id.as_str()),
            (
                ObjectKind::Entitlements,
                &link.ent_type,
                &link.entitlement_id,
            ),
        ];
        let mut standing = Standing::Known;
        for (kind, ent_type, id) in ends {
            let Some(section) = snapshot.section(kind) else {
                continue;
            };
            let key = KeyDigest::of(ent_type, id);
            if section.knows(key) {
                continue;
            }
            if self.run.read_in_full[kind as usize].get() {
                return Standing::Orphan;
            }
            if matches!(standing, Standing::Known) {
                standing = Standing::Waits(kind, key);
            }
        }
        standing
    }
}

impl ImportRun<'_> {
    /// Hands a batch to the sink.
    fn emit(&self, batch: Vec<Record>) -> Result<(), ConnectorError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.sink.borrow_mut().emit(batch).map_err(refused)
    }

    /// Hands newly found orphans to the sink.
    fn report_orphans(&self, links: Vec<Access>) -> Result<(), ConnectorError> {
        if links.is_empty() {
            return Ok(());
        }
        self.summary.borrow_mut().orphans += links.len() as u64;
        self.sink.borrow_mut().orphans(links).map_err(refused)
    }

    /// Hands a piece of the new state to the sink.
    fn save_state(&self, chunk: String) -> Result<(), ConnectorError> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.sink.borrow_mut().state(chunk).map_err(refused)
    }

    async fn import_accounts(&self, delivery: &Delivery<'_, '_>) -> Result<(), ConnectorError> {
        let make = |id, attributes| {
            Record::Account(Account {
                id,
                status: Status::Active,
                attributes,
            })
        };
        let calls = &self.config.import.account_calls;
        self.run_calls(calls, "account", &make, delivery).await
    }

    async fn import_entitlements(&self, delivery: &Delivery<'_, '_>) -> Result<(), ConnectorError> {
        stream::iter(&self.config.import.ent_types)
            .map(|ent_type| async move {
                let make = |id, attributes| {
                    Record::Entitlement(Entitlement {
                        ent_type: ent_type.name.clone(),
                        id,
                        status: Status::Active,
                        attributes,
                    })
                };
                let calls = &ent_type.calls;
                self.run_calls(calls, "entitlement", &make, delivery).await
            })
            .buffer_unordered(ENT_TYPES_IN_FLIGHT)
            .try_collect()
            .await
    }

    /// Runs a kind's independent calls, [`CALLS_IN_FLIGHT`] at a time; each
    /// dependent call extends the records of the calls before it.
    async fn run_calls(
        &self,
        calls: &[CallPlan],
        binding: &str,
        make: &dyn Fn(String, Attributes) -> Record,
        delivery: &Delivery<'_, '_>,
    ) -> Result<(), ConnectorError> {
        stream::iter(calls.iter().enumerate().filter(|(_, c)| !c.dependent))
            .map(|(at, call)| async move {
                let dependents: Vec<&CallPlan> =
                    calls[at + 1..].iter().filter(|c| c.dependent).collect();
                self.walk(call, &dependents, binding, make, delivery).await
            })
            .buffer_unordered(CALLS_IN_FLIGHT)
            .try_collect()
            .await
    }

    /// Fetches every page of one call, extends its records with the
    /// dependent calls and delivers them.
    async fn walk(
        &self,
        call: &CallPlan,
        dependents: &[&CallPlan],
        binding: &str,
        make: &dyn Fn(String, Attributes) -> Record,
        delivery: &Delivery<'_, '_>,
    ) -> Result<(), ConnectorError> {
        let (url, headers) = self.render(call, &Bindings::default())?;
        let first = match call.paging {
            Paging::Automatic => self
                .client
                .target()
                .with_largest_page(&url, &self.config.origin()),
            _ => url,
        };
        let on_page = async |url: &str, page: &mut Page| {
            let rows = map_rows(call, url, page)?;
            let count = rows.len();
            let rows: Vec<Attributes> = stream::iter(rows)
                .map(|row| self.extend(row, dependents, binding))
                .buffered(DEPENDENT_CALLS_IN_FLIGHT)
                .try_collect()
                .await?;
            let records = rows
                .into_iter()
                .map(|row| Ok(make(key_of(call, url, &row)?, row)))
                .collect::<Result<Vec<_>, ConnectorError>>()?;
            delivery.page(records).await?;
            Ok(ControlFlow::Continue(count))
        };
        let mut reads = Projection::default();
        let columns: Vec<&[Segment]> = call.columns.iter().map(|c| &c.source[..]).collect();
        reads.rows_at(&call.list_field, &columns);
        self.client
            .pages(&call.paging, &first, &headers, &reads, on_page)
            .await
    }

    /// Renders a call's URL and headers. A dependent call's values come from
    /// the records the target listed, so one that cannot fill its path
    /// segment, or a header value with a line break, is the target's fault
    /// (the document's fixed text was checked when it loaded).
    fn render(
        &self,
        call: &CallPlan,
        bindings: &Bindings,
    ) -> Result<(String, Vec<(String, String)>), ConnectorError> {
        let path = &call.path;
        let config_error = |e: String| ConnectorError::Config(format!("{path}: {e}"));
        let url = call.url.render_url(bindings).map_err(|e| match e {
            UrlError::NotASegment { message, .. } => ConnectorError::InvalidResponse(format!(
                "{path}.http.url: {message}; a value the target listed cannot fill a path segment"
            )),
            UrlError::Unrenderable(message) => config_error(message),
        })?;
        let url = self.config.resolve_url(&url);
        let headers = call
            .headers
            .iter()
            .map(|(name, value)| {
                let value = value
                    .render(bindings, str::to_string)
                    .map_err(config_error)?;
                request_headers::check_value(&value).map_err(|e| {
                    ConnectorError::InvalidResponse(format!("{path}.http.httpHeaders.{name}: {e}"))
                })?;
                Ok((name.clone(), value))
            })
            .collect::<Result<Vec<_>, ConnectorError>>()?;
        request_headers::check_size(request_headers::size_of(&headers))
            .map_err(|e| config_error(format!("http.httpHeaders: {e}")))?;
        Ok((url, headers))
    }

    /// Runs the dependent calls for one record, adding their columns. A
    /// record the target no longer has (404) keeps the columns it has.
    async fn extend(
        &self,
        mut row: Attributes,
        dependents: &[&CallPlan],
        binding: &str,
    ) -> Result<Attributes, ConnectorError> {
        for call in dependents {
            let mut bindings = Bindings::default();
            bindings.bind(binding, attributes_json(&row).into());
            let (url, headers) = self.render(call, &bindings)?;
            let body = match self.client.get_json(&url, &headers).await {
                Err(ConnectorError::NotFound(_)) => continue,
                other => other?,
            };
            let item = match lookup(&body, &call.list_field) {
                Some(Value::Array(items)) => items.first(),
                found => found,
            };
            for column in &call.columns {
                let value = column
                    .apply(item.unwrap_or(&Value::Null))
                    .map_err(|e| ConnectorError::InvalidResponse(format!("GET {url}: {e}")))?;
                match row.iter_mut().find(|(name, _)| *name == column.target) {
                    Some((_, old)) => *old = value,
                    None => row.push((column.target.clone(), value)),
                }
            }
        }
        Ok(row)
    }
}

/// A gone record with its id under the attribute a present one has it in:
/// its call's `keyField`, or, for an access link, the first access
/// attribute.
fn with_key_attribute(mut record: Record, config: &Config) -> Record {
    let first_call = |calls: &[CallPlan]| calls.first().map(|call| call.key_field.clone());
    let (name, id, attributes) = match &mut record {
        Record::Account(a) => (
            first_call(&config.import.account_calls),
            &a.id,
            &mut a.attributes,
        ),
        Record::Entitlement(e) => {
            let ent_type = config
                .import
                .ent_types
                .iter()
                .find(|t| t.name == e.ent_type);
            (
                ent_type.and_then(|t| first_call(&t.calls)),
                &e.id,
                &mut e.attributes,
            )
        }
        Record::Access(a) => {
            let name = config.target().access_attributes().first();
            (name.map(|name| name.to_string()), &a.id, &mut a.attributes)
        }
    };
    if let Some(name) = name {
        attributes.push((name, AttributeValue::Text(id.clone())));
    }
    record
}

/// The error of a sink that refused what it was handed.
fn refused(error: String) -> ConnectorError {
    ConnectorError::Transient(format!("the host refused a batch: {error}"))
}

/// One page's rows, mapped but not yet keyed.
fn map_rows(
    call: &CallPlan,
    url: &str,
    page: &mut Page,
) -> Result<Vec<Attributes>, ConnectorError> {
    let invalid = |what: String| ConnectorError::InvalidResponse(format!("GET {url}: {what}"));
    let Some(rows) = page.rows.take() else {
        let path = &call.path;
        return Err(invalid(format!("the listField of {path} is not a list")));
    };
    rows.into_iter()
        .map(|row| {
            call.columns
                .iter()
                .zip(row)
                .map(|(column, found)| {
                    let value = column.convert(found).map_err(&invalid)?;
                    Ok((column.target.clone(), value))
                })
                .collect()
        })
        .collect()
}

/// The value of the call's `keyField` in `row`.
fn key_of(call: &CallPlan, url: &str, row: &Attributes) -> Result<String, ConnectorError> {
    match row.iter().find(|(name, _)| *name == call.key_field) {
        Some((_, AttributeValue::Text(id))) if !id.is_empty() => Ok(id.clone()),
        Some((_, AttributeValue::Integer(id))) => Ok(id.to_string()),
        _ => Err(ConnectorError::InvalidResponse(format!(
            "GET {url}: a record of {} has no '{}'",
            call.path, call.key_field
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::RetryPolicy;
    use crate::confluent::Confluent;
    use crate::dialect::import_doc::MAX_CALLS;
    use crate::fake_target::FakeTarget;

    #[derive(Debug, Default)]
    struct Collect {
        batches: Vec<Vec<Record>>,
        orphans: Vec<Access>,
        state: String,
    }

    impl Collect {
        fn records(&self) -> Vec<&Record> {
            self.batches.iter().flatten().collect()
        }
    }

    impl RecordSink for Collect {
        fn emit(&mut self, batch: Vec<Record>) -> Result<(), String> {
            self.batches.push(batch);
            Ok(())
        }

        fn orphans(&mut self, links: Vec<Access>) -> Result<(), String> {
            self.orphans.extend(links);
            Ok(())
        }

        fn state(&mut self, chunk: String) -> Result<(), String> {
            self.state.push_str(&chunk);
            Ok(())
        }
    }

    /// What a successful import returned, and the state it streamed.
    #[derive(Debug)]
    struct Outcome {
        summary: ImportSummary,
        state: String,
    }

    const BASE: &str = "http://sim:1";

    fn config() -> Config {
        Config::load(&Confluent, BASE, &[]).unwrap()
    }

    /// An import request, with the state text it starts from.
    fn request(
        kinds: &[ObjectKind],
        state: Option<&str>,
        incremental: bool,
    ) -> (ImportRequest, Option<String>) {
        let request = ImportRequest {
            kinds: kinds.to_vec(),
            incremental,
        };
        (request, state.map(str::to_string))
    }

    async fn run_into(
        transport: &FakeTarget,
        config: &Config,
        (request, state): &(ImportRequest, Option<String>),
        sink: &mut Collect,
    ) -> Result<ImportSummary, ConnectorError> {
        let previous = state.as_deref();
        let previous = previous.map(|text| Snapshot::parse(text, config.base_url()));
        import(transport, config, request, previous.transpose()?, sink).await
    }

    async fn run(
        transport: &FakeTarget,
        config: &Config,
        request: &(ImportRequest, Option<String>),
    ) -> Result<(Outcome, Collect), ConnectorError> {
        let mut sink = Collect::default();
        let summary = run_into(transport, config, request, &mut sink).await?;
        let state = std::mem::take(&mut sink.state);
        Ok((Outcome { summary, state }, sink))
    }

    fn user(id: &str) -> serde_json::Value {
        serde_json::json!({"id": id, "full_name": format!("Name {id}"), "email": format!("{id}@x"), "kind": "User"})
    }

    #[tokio::test]
    async fn accounts_stream_page_by_page_with_the_seed_mapping() {
        let transport = FakeTarget::default()
            .page(
                &format!("{BASE}/iam/v2/users?page_size=100"),
                serde_json::json!({"data": [user("u-1"), user("u-2")], "metadata": {"next": format!("{BASE}/iam/v2/users?page_token=p2")}}),
            )
            .page(&format!("{BASE}/iam/v2/users?page_token=p2"), serde_json::json!({"data": [user("u-3")], "metadata": {}}))
            .page(
                &format!("{BASE}/iam/v2/service-accounts?page_size=100"),
                serde_json::json!({"data": [{"id": "sa-1", "display_name": "svc", "description": "d", "kind": "ServiceAccount"}], "metadata": {}}),
            );
        let (outcome, sink) = run(
            &transport,
            &config(),
            &request(&[ObjectKind::Accounts], None, false),
        )
        .await
        .unwrap();

        assert_eq!(
            (4, 4, 3),
            (
                outcome.summary.accounts.present,
                outcome.summary.accounts.emitted,
                outcome.summary.pages
            )
        );
        let mut sizes: Vec<usize> = sink.batches.iter().map(Vec::len).collect();
        sizes.sort();
        assert_eq!(vec![1, 1, 2], sizes, "one batch per page");
        let first = sink.batches.iter().find(|b| b.len() == 2).unwrap();
        let Record::Account(first) = &first[0] else {
            panic!("not an account")
        };
        assert_eq!("u-1", first.id);
        assert_eq!(
            vec![
                ("accountID".to_string(), AttributeValue::Text("u-1".into())),
                ("name".to_string(), AttributeValue::Text("Name u-1".into())),
                (
                    "displayName".to_string(),
                    AttributeValue::Text("Name u-1".into())
                ),
                (
                    "customproperty2".to_string(),
                    AttributeValue::Text("u-1@x".into())
                ),
                (
                    "customproperty3".to_string(),
                    AttributeValue::Text("User".into())
                ),
            ],
            first.attributes
        );
        let auth: Vec<String> = transport
            .sent
            .borrow()
            .iter()
            .map(|r| {
                r.headers
                    .iter()
                    .find(|(n, _)| n == "Authorization")
                    .unwrap()
                    .1
                    .clone()
            })
            .collect();
        assert!(
            auth.iter()
                .all(|a| a == crate::dialect::template::ACCESS_TOKEN_PLACEHOLDER),
            "{auth:?}"
        );
    }

    #[tokio::test]
    async fn a_page_that_is_not_json_fails_the_import() {
        let transport = FakeTarget::default()
            .answer(
                "GET",
                &format!("{BASE}/iam/v2/users?page_size=100"),
                200,
                "<html>",
            )
            .page(
                &format!("{BASE}/iam/v2/service-accounts?page_size=100"),
                users_page(&[]),
            );
        let error = run(
            &transport,
            &config(),
            &request(&[ObjectKind::Accounts], None, false),
        )
        .await
        .unwrap_err();
        assert!(error.to_string().starts_with("invalid response: GET http://sim:1/iam/v2/users?page_size=100: the body is not JSON"), "{error}");
    }

    #[tokio::test]
    async fn a_record_without_its_key_fails_the_import() {
        let transport = FakeTarget::default()
            .page(
                &format!("{BASE}/iam/v2/users?page_size=100"),
                serde_json::json!({"data": [{"full_name": "no id"}], "metadata": {}}),
            )
            .page(
                &format!("{BASE}/iam/v2/service-accounts?page_size=100"),
                users_page(&[]),
            );
        let error = run(
            &transport,
            &config(),
            &request(&[ObjectKind::Accounts], None, false),
        )
        .await
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("a record of accountParams.call.call1 has no 'accountID'"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn server_errors_are_retried_then_reported() {
        let organizations = format!("{BASE}/org/v2/organizations?page_size=100");
        let transport = FakeTarget::default()
            .answer("GET", &organizations, 503, "")
            .page(
                &format!("{BASE}/org/v2/environments?page_size=100"),
                users_page(&[]),
            );
        let error = run(
            &transport,
            &config(),
            &request(&[ObjectKind::Entitlements], None, false),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, ConnectorError::Transient(_)), "{error}");
        assert_eq!(
            RetryPolicy::default().retries as usize + 1,
            transport
                .sent
                .borrow()
                .iter()
                .filter(|r| r.url == organizations)
                .count()
        );
    }

    fn users_page(ids: &[&str]) -> serde_json::Value {
        serde_json::json!({"data": ids.iter().map(|id| user(id)).collect::<Vec<_>>(), "metadata": {}})
    }

    #[tokio::test]
    async fn a_long_page_is_delivered_in_parts() {
        let ids: Vec<String> = (0..DELIVERY_PART * 2 + 50)
            .map(|i| format!("u-{i}"))
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let (outcome, sink) = run(
            &accounts_only(&ids),
            &config(),
            &request(&[ObjectKind::Accounts], None, false),
        )
        .await
        .unwrap();
        let sizes: Vec<usize> = sink.batches.iter().map(Vec::len).collect();
        assert_eq!(vec![DELIVERY_PART, DELIVERY_PART, 50], sizes);
        assert_eq!(2, outcome.summary.pages, "one page of each list");
        let delivered: Vec<&str> = sink.records().iter().map(|record| record.key().1).collect();
        assert_eq!(ids, delivered, "in the page's order");
    }

    fn accounts_only(ids: &[&str]) -> FakeTarget {
        FakeTarget::default()
            .page(
                &format!("{BASE}/iam/v2/users?page_size=100"),
                users_page(ids),
            )
            .page(
                &format!("{BASE}/iam/v2/service-accounts?page_size=100"),
                users_page(&[]),
            )
    }

    fn statuses(sink: &Collect) -> Vec<(String, Status)> {
        sink.records()
            .into_iter()
            .filter_map(|r| match r {
                Record::Account(a) => Some((a.id.clone(), a.status)),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn vanished_accounts_come_out_suspended_after_everything_else() {
        let all = [ObjectKind::Accounts];
        let (first, _) = run(
            &accounts_only(&["u-1", "u-2"]),
            &config(),
            &request(&all, None, false),
        )
        .await
        .unwrap();
        let (second, sink) = run(
            &accounts_only(&["u-1", "u-3"]),
            &config(),
            &request(&all, Some(&first.state), false),
        )
        .await
        .unwrap();
        assert_eq!(
            vec![
                ("u-1".to_string(), Status::Active),
                ("u-3".to_string(), Status::Active),
                ("u-2".to_string(), Status::Suspended)
            ],
            statuses(&sink)
        );
        let suspended = sink
            .records()
            .into_iter()
            .last()
            .unwrap()
            .attributes()
            .clone();
        let key = ("accountID".to_string(), AttributeValue::Text("u-2".into()));
        assert_eq!(vec![key], suspended, "a gone record carries its key only");
        let counts = second.summary.accounts;
        assert_eq!(
            (2, 1, 1, 3),
            (counts.present, counts.created, counts.gone, counts.emitted)
        );
        assert!(!second.state.contains("u-2"), "{}", second.state);
        // The next incremental run has nothing to say.
        let (_, sink) = run(
            &accounts_only(&["u-1", "u-3"]),
            &config(),
            &request(&all, Some(&second.state), true),
        )
        .await
        .unwrap();
        assert!(sink.records().is_empty(), "{:?}", sink.batches);
    }

    #[tokio::test]
    async fn a_failure_in_a_later_kind_suspends_nothing() {
        let (first, _) = run(
            &accounts_only(&["u-1", "u-2"]),
            &config(),
            &request(&[ObjectKind::Accounts], None, false),
        )
        .await
        .unwrap();
        // The accounts list fine, but the entitlement lists are missing (404).
        let transport = accounts_only(&["u-1"]);
        let both = request(
            &[ObjectKind::Accounts, ObjectKind::Entitlements],
            Some(&first.state),
            false,
        );
        let mut sink = Collect::default();
        let error = run_into(&transport, &config(), &both, &mut sink)
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectorError::NotFound(_)), "{error}");
        assert!(sink.state.is_empty(), "no state from a failed run");
        assert_eq!(vec![("u-1".to_string(), Status::Active)], statuses(&sink));
    }

    #[tokio::test]
    async fn an_access_link_to_an_unknown_account_is_an_orphan() {
        let org = serde_json::json!({"data": [{"id": "o-1", "display_name": "Org", "metadata": {"resource_name": "crn://confluent.cloud/organization=o-1"}}], "metadata": {}});
        let binding = org_binding;
        let transport = accounts_only(&["u-1"])
            .page(&format!("{BASE}/org/v2/organizations?page_size=100"), org)
            .page(&format!("{BASE}/org/v2/environments?page_size=100"), serde_json::json!({"data": [], "metadata": {}}))
            .page(
                &format!("{BASE}/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1&page_size=1000"),
                serde_json::json!({"data": [binding("rb-1", "User:u-1"), binding("rb-2", "User:u-404")], "metadata": {}}),
            )
            // The nested-scopes list repeats both: each is counted once.
            .page(
                &format!("{BASE}/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1%2F*&page_size=1000"),
                serde_json::json!({"data": [binding("rb-1", "User:u-1"), binding("rb-2", "User:u-404")], "metadata": {}}),
            );
        let all = request(&ObjectKind::ALL, None, false);
        let (outcome, sink) = run(&transport, &config(), &all).await.unwrap();
        let links: Vec<&str> = sink
            .records()
            .into_iter()
            .filter_map(|r| match r {
                Record::Access(a) => Some(a.id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(vec!["rb-1"], links);
        assert_eq!(
            vec!["rb-2"],
            sink.orphans
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
        );
        assert_eq!("u-404", sink.orphans[0].account_id);
        assert_eq!(1, outcome.summary.orphans);
    }

    #[tokio::test]
    async fn a_page_keeps_only_what_the_import_reads() {
        // A binding without its principal fails the import, and the error
        // quotes the binding as the import kept it: without what it never
        // reads.
        let org = serde_json::json!({"data": [{"id": "o-1", "metadata": {"resource_name": "crn://confluent.cloud/organization=o-1"}}], "metadata": {}});
        let unread = serde_json::json!({"id": "rb-1", "role_name": "R", "crn_pattern": "crn://confluent.cloud/organization=o-1",
            "metadata": {"self": "https://unread.example/rb-1"}});
        let transport = accounts_only(&["u-1"])
            .page(&format!("{BASE}/org/v2/organizations?page_size=100"), org)
            .page(&format!("{BASE}/org/v2/environments?page_size=100"), serde_json::json!({"data": [], "metadata": {}}))
            .page(
                &format!("{BASE}/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1&page_size=1000"),
                serde_json::json!({"data": [unread], "metadata": {}}),
            )
            .page(
                &format!("{BASE}/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1%2F*&page_size=1000"),
                serde_json::json!({"data": [], "metadata": {}}),
            );
        let all = request(&ObjectKind::ALL, None, false);
        let Err(ConnectorError::InvalidResponse(message)) = run(&transport, &config(), &all).await
        else {
            panic!("a binding without its principal fails the import");
        };
        assert!(message.contains("has no 'principal'"), "{message}");
        assert!(message.contains("rb-1"), "{message}");
        assert!(!message.contains("unread.example"), "{message}");
    }

    /// A role binding of `principal` at organization `o-1`'s scope.
    fn org_binding(id: &str, principal: &str) -> serde_json::Value {
        serde_json::json!({"id": id, "principal": principal, "role_name": "OrganizationAdmin", "crn_pattern": "crn://confluent.cloud/organization=o-1"})
    }

    /// The URLs `transport` was asked for, in order.
    fn sent_urls(transport: &FakeTarget) -> Vec<String> {
        transport
            .sent
            .borrow()
            .iter()
            .map(|r| r.url.clone())
            .collect()
    }

    /// Organization `o-1` with no environments: its organization-scope
    /// role-binding list answers `bindings` (id, principal) in one page,
    /// its nested-scope list none.
    fn organization_with_bindings(transport: FakeTarget, bindings: &[(&str, &str)]) -> FakeTarget {
        let org = serde_json::json!({"data": [{"id": "o-1", "display_name": "Org", "metadata": {"resource_name": "crn://confluent.cloud/organization=o-1"}}], "metadata": {}});
        let data: Vec<serde_json::Value> = bindings
            .iter()
            .map(|(id, principal)| org_binding(id, principal))
            .collect();
        let list = format!(
            "{BASE}/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1"
        );
        transport
            .page(&format!("{BASE}/org/v2/organizations?page_size=100"), org)
            .page(
                &format!("{BASE}/org/v2/environments?page_size=100"),
                serde_json::json!({"data": [], "metadata": {}}),
            )
            .page(
                &format!("{list}&page_size=1000"),
                serde_json::json!({"data": data, "metadata": {}}),
            )
            .page(
                &format!("{list}%2F*&page_size=1000"),
                serde_json::json!({"data": [], "metadata": {}}),
            )
    }

    /// Users `u-1` to `u-{count}`, one a page, and no service accounts.
    fn users_one_a_page(count: usize) -> FakeTarget {
        let url = |page: usize| match page {
            1 => format!("{BASE}/iam/v2/users?page_size=100"),
            page => format!("{BASE}/iam/v2/users?page_token=p{page}"),
        };
        let transport = FakeTarget::default().page(
            &format!("{BASE}/iam/v2/service-accounts?page_size=100"),
            users_page(&[]),
        );
        (1..=count).fold(transport, |transport, page| {
            let next = (page < count).then(|| url(page + 1));
            let body = serde_json::json!({"data": [user(&format!("u-{page}"))], "metadata": {"next": next}});
            transport.page(&url(page), body)
        })
    }

    fn link_ids(sink: &Collect) -> Vec<&str> {
        let links = sink.records().into_iter().filter_map(|r| match r {
            Record::Access(a) => Some(a.id.as_str()),
            _ => None,
        });
        links.collect()
    }

    #[tokio::test]
    async fn access_is_read_alongside_accounts_and_a_link_waits_for_its_account() {
        let transport = organization_with_bindings(
            users_one_a_page(6),
            &[
                ("rb-1", "User:u-1"),
                ("rb-6", "User:u-6"),
                ("rb-x", "User:u-404"),
            ],
        );
        let all = request(&ObjectKind::ALL, None, false);
        let (outcome, sink) = run(&transport, &config(), &all).await.unwrap();
        let sent = sent_urls(&transport);
        let position = |part: &str| sent.iter().position(|url| url.contains(part)).unwrap();
        assert!(
            position("role-bindings") < position("page_token=p6"),
            "the role bindings were asked for only after the accounts: {sent:?}"
        );
        assert_eq!(vec!["rb-1", "rb-6"], link_ids(&sink), "rb-6 waited for u-6");
        let orphans: Vec<&str> = sink.orphans.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(vec!["rb-x"], orphans);
        assert_eq!(
            (2, 1),
            (outcome.summary.access.present, outcome.summary.orphans)
        );
    }

    #[tokio::test]
    async fn past_the_waiting_links_limit_the_access_lists_wait_for_the_accounts() {
        let (users, more_pages) = (8, 4);
        let principal = format!("User:u-{users}");
        let page = |ids: Vec<String>, page: usize| {
            let data: Vec<serde_json::Value> =
                ids.iter().map(|id| org_binding(id, &principal)).collect();
            let next = (page <= more_pages)
                .then(|| format!("{BASE}/iam/v2/role-bindings?page_token=b{}", page + 1));
            serde_json::json!({"data": data, "metadata": {"next": next}})
        };
        // As many links as may wait, all to the last user, then pages of one.
        let first = (0..PENDING_LINKS).map(|i| format!("rb-{i}")).collect();
        let list = format!(
            "{BASE}/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1&page_size=1000"
        );
        let transport =
            organization_with_bindings(users_one_a_page(users), &[]).page(&list, page(first, 1));
        let transport = (2..=more_pages + 1).fold(transport, |transport, n| {
            let url = format!("{BASE}/iam/v2/role-bindings?page_token=b{n}");
            transport.page(&url, page(vec![format!("rb-b{n}")], n))
        });
        let all = request(&ObjectKind::ALL, None, false);
        let (outcome, sink) = run(&transport, &config(), &all).await.unwrap();
        let sent = sent_urls(&transport);
        let position = |part: &str| sent.iter().position(|url| url.contains(part)).unwrap();
        let last_links = format!("page_token=b{}", more_pages + 1);
        assert!(
            position(&last_links) > position(&format!("page_token=p{users}")),
            "the last page of links was asked for before their account was read: {sent:?}"
        );
        assert_eq!(PENDING_LINKS + more_pages, link_ids(&sink).len());
        assert_eq!(0, outcome.summary.orphans);
    }

    /// Role bindings at every kind of scope under organization `o-1`.
    fn bindings_at_every_scope() -> Vec<serde_json::Value> {
        let org = "crn://confluent.cloud/organization=o-1";
        let env = format!("{org}/environment=env-1");
        let cluster = format!("{env}/cloud-cluster=lkc-1");
        [
            ("rb-org", org.to_string()),
            ("rb-env", env.clone()),
            ("rb-cluster", cluster.clone()),
            ("rb-topic", format!("{cluster}/kafka=lkc-1/topic=orders")),
            ("rb-prefix", format!("{cluster}/kafka=lkc-1/topic=orders*")),
            ("rb-sr", format!("{env}/schema-registry=lsrc-1")),
            ("rb-ksql", format!("{env}/ksql=lksqlc-1")),
        ]
        .into_iter()
        .map(|(id, crn)| serde_json::json!({"id": id, "principal": "User:u-1", "role_name": "R", "crn_pattern": crn}))
        .collect()
    }

    #[tokio::test]
    async fn bindings_at_every_scope_come_once_whichever_way_the_server_matches_patterns() {
        let org = serde_json::json!({"data": [{"id": "o-1", "metadata": {"resource_name": "crn://confluent.cloud/organization=o-1"}}], "metadata": {}});
        let at = format!(
            "{BASE}/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1&page_size=1000"
        );
        let nested = format!(
            "{BASE}/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1%2F*&page_size=1000"
        );
        let all = bindings_at_every_scope();
        let page = |items: &[serde_json::Value]| serde_json::json!({"data": items, "metadata": {}});
        // Exact scopes, `/*` for the nested ones (and the scope itself), as
        // Confluent's CLI documents; or a partial match of the CRN.
        let exact = (page(&all[..1]), page(&all));
        let partial = (page(&all), page(&[]));
        for (semantics, (at_page, nested_page)) in [("exact", exact), ("partial", partial)] {
            let transport = accounts_only(&["u-1"])
                .page(
                    &format!("{BASE}/org/v2/organizations?page_size=100"),
                    org.clone(),
                )
                .page(&at, at_page)
                .page(&nested, nested_page);
            let request = request(&[ObjectKind::Access], None, false);
            let (outcome, sink) = run(&transport, &config(), &request).await.unwrap();
            let mut ids: Vec<(&str, &str, &str)> = sink
                .records()
                .into_iter()
                .filter_map(|r| match r {
                    Record::Access(a) => Some((
                        a.id.as_str(),
                        a.ent_type.as_str(),
                        a.entitlement_id.as_str(),
                    )),
                    _ => None,
                })
                .collect();
            ids.sort();
            assert_eq!(
                vec![
                    ("rb-cluster", "environment", "env-1"),
                    ("rb-env", "environment", "env-1"),
                    ("rb-ksql", "environment", "env-1"),
                    ("rb-org", "organization", "o-1"),
                    ("rb-prefix", "environment", "env-1"),
                    ("rb-sr", "environment", "env-1"),
                    ("rb-topic", "environment", "env-1"),
                ],
                ids,
                "{semantics}"
            );
            assert_eq!(7, outcome.summary.access.present, "{semantics}");
            assert_eq!(
                2,
                transport.most_in_flight.get(),
                "{semantics}: both lists at once"
            );
        }
    }

    #[tokio::test]
    async fn a_dependent_call_extends_each_record_and_dates_take_the_date_format() {
        let document = serde_json::json!({
            "dateFormat": "dd/MM/yyyy",
            "accountParams": {"call": {
                "list": {"callOrder": 0, "http": {"url": format!("{BASE}/api/users")}, "listField": "items", "keyField": "accountID",
                    "colsToPropsMap": {"accountID": "id~#~char"},
                    "pagination": {"offset": {"offsetParam": "start", "batchParam": "count", "batchSize": 2, "totalCountPath": "total"}}},
                "detail": {"callOrder": 1, "inputParams": {"dependentCall": true},
                    "http": {"url": format!("{BASE}/api/users/${{account.accountID}}/detail")}, "listField": "",
                    "colsToPropsMap": {"created": "created~#~date", "age": "age~#~int"}}
            }}
        });
        let config = Config::load(
            &Confluent,
            BASE,
            &[("ImportAccountEntJSON".into(), document.to_string())],
        )
        .unwrap();
        let transport = FakeTarget::default()
            .page(
                &format!("{BASE}/api/users?start=0&count=2"),
                serde_json::json!({"items": [{"id": "a b"}, {"id": "c"}], "total": 3}),
            )
            .page(
                &format!("{BASE}/api/users?start=2&count=2"),
                serde_json::json!({"items": [{"id": "d"}], "total": 3}),
            )
            .page(
                &format!("{BASE}/api/users/a%20b/detail"),
                serde_json::json!({"created": "2024-01-02T03:04:05Z", "age": 7}),
            )
            .page(
                &format!("{BASE}/api/users/d/detail"),
                serde_json::json!({"created": "2024-02-03T00:00:00Z", "age": "8"}),
            );
        let (outcome, sink) = run(
            &transport,
            &config,
            &request(&[ObjectKind::Accounts], None, false),
        )
        .await
        .unwrap();
        let rows: Vec<Attributes> = sink
            .records()
            .into_iter()
            .map(|r| r.attributes().clone())
            .collect();
        let text = |s: &str| AttributeValue::Text(s.to_string());
        assert_eq!(
            vec![
                vec![
                    ("accountID".to_string(), text("a b")),
                    ("created".to_string(), text("02/01/2024")),
                    ("age".to_string(), AttributeValue::Integer(7))
                ],
                // "c" is gone by the time its details are asked for (404): it keeps what the list said.
                vec![("accountID".to_string(), text("c"))],
                vec![
                    ("accountID".to_string(), text("d")),
                    ("created".to_string(), text("03/02/2024")),
                    ("age".to_string(), AttributeValue::Integer(8))
                ],
            ],
            rows
        );
        assert_eq!(2, outcome.summary.pages);
    }

    /// An import document with `types` entitlement types (none: accounts) of
    /// `calls` independent calls each, and a target answering each call's
    /// one-page list.
    fn many_calls(types: usize, calls: usize) -> (Config, FakeTarget) {
        let mut transport = FakeTarget::default();
        let mut block = serde_json::Map::new();
        for n in 0..calls {
            let url = format!("{BASE}/api/list{n}");
            transport = transport.page(
                &url,
                serde_json::json!({"items": [{"id": format!("r{n}")}]}),
            );
            block.insert(
                format!("call{n}"),
                serde_json::json!({"http": {"url": url}, "listField": "items", "keyField": "id",
                    "colsToPropsMap": {"id": "id~#~char"}}),
            );
        }
        let document = if types == 0 {
            serde_json::json!({"accountParams": {"call": block}})
        } else {
            let ent_types: serde_json::Map<_, _> = (0..types)
                .map(|t| (format!("type{t}"), serde_json::json!({"call": block})))
                .collect();
            serde_json::json!({"entitlementParams": {"entTypes": ent_types}})
        };
        let config = Config::load(
            &Confluent,
            BASE,
            &[("ImportAccountEntJSON".into(), document.to_string())],
        )
        .unwrap();
        (config, transport)
    }

    #[tokio::test]
    async fn independent_calls_and_entitlement_types_are_read_a_few_at_a_time() {
        let (config, transport) = many_calls(0, MAX_CALLS);
        let (outcome, _) = run(
            &transport,
            &config,
            &request(&[ObjectKind::Accounts], None, false),
        )
        .await
        .unwrap();
        assert_eq!(MAX_CALLS as u64, outcome.summary.accounts.present);
        assert_eq!(CALLS_IN_FLIGHT, transport.most_in_flight.get());

        let (config, transport) = many_calls(6, MAX_CALLS);
        let (outcome, _) = run(
            &transport,
            &config,
            &request(&[ObjectKind::Entitlements], None, false),
        )
        .await
        .unwrap();
        assert_eq!(6 * MAX_CALLS as u64, outcome.summary.entitlements.present);
        assert_eq!(
            ENT_TYPES_IN_FLIGHT * CALLS_IN_FLIGHT,
            transport.most_in_flight.get()
        );
    }

    #[tokio::test]
    async fn a_listed_value_that_is_not_one_path_segment_stops_the_dependent_call() {
        let document = serde_json::json!({
            "accountParams": {"call": {
                "list": {"callOrder": 0, "http": {"url": format!("{BASE}/api/users")}, "listField": "items", "keyField": "accountID",
                    "colsToPropsMap": {"accountID": "id~#~char"}},
                "detail": {"callOrder": 1, "inputParams": {"dependentCall": true},
                    "http": {"url": format!("{BASE}/api/users/${{account.accountID}}")}, "listField": "",
                    "colsToPropsMap": {"age": "age~#~int"}}
            }}
        });
        let config = Config::load(
            &Confluent,
            BASE,
            &[("ImportAccountEntJSON".into(), document.to_string())],
        )
        .unwrap();
        for id in ["..", "."] {
            let transport = FakeTarget::default().page(
                &format!("{BASE}/api/users"),
                serde_json::json!({"items": [{"id": id}]}),
            );
            let error = run(
                &transport,
                &config,
                &request(&[ObjectKind::Accounts], None, false),
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&error, ConnectorError::InvalidResponse(m) if m.starts_with("accountParams.call.detail.http.url: '${account.accountID}' makes the path segment")),
                "{id}: {error}"
            );
            assert_eq!(1, transport.sent.borrow().len(), "only the list");
        }
    }

    #[tokio::test]
    async fn a_custom_mapping_reads_every_type_and_path_form_across_numbered_pages() {
        let document = serde_json::json!({
            "accountParams": {"call": {"call1": {
                "http": {"url": format!("{BASE}/api/people")},
                "listField": "result.items",
                "keyField": "key",
                "colsToPropsMap": {
                    "key": "ids[1]~#~int",
                    "name": "profile.name",
                    "mail": "emails[0].value~#~char",
                    "on": "active~#~bool",
                    "seen": "last_seen~#~epochdate",
                    "born": "born~#~date",
                    "dotted": "x~dot#y.z~#~char",
                    "none": "missing.path~#~char"
                },
                "pagination": {"page": {"pageParam": "p", "pageSize": 1, "firstPage": 0, "totalPagesPath": "result.pages"}}
            }}}
        });
        let config = Config::load(
            &Confluent,
            BASE,
            &[("ImportAccountEntJSON".into(), document.to_string())],
        )
        .unwrap();
        let person = |n: i64| {
            serde_json::json!({"ids": ["x", n], "profile": {"name": format!("P{n}")}, "emails": [{"value": format!("p{n}@x")}],
                "active": n % 2 == 0, "last_seen": 1_700_000_000 + n, "born": "1990-01-02", "x.y": {"z": "dot"}})
        };
        let page = |n: i64| serde_json::json!({"result": {"items": [person(n)], "pages": 2}});
        let transport = FakeTarget::default()
            .page(&format!("{BASE}/api/people?p=0"), page(1))
            .page(&format!("{BASE}/api/people?p=1"), page(2));
        let (outcome, sink) = run(
            &transport,
            &config,
            &request(&[ObjectKind::Accounts], None, false),
        )
        .await
        .unwrap();
        assert_eq!(2, outcome.summary.pages);
        let text = |s: &str| AttributeValue::Text(s.to_string());
        assert_eq!(
            &vec![
                ("key".to_string(), AttributeValue::Integer(2)),
                ("name".to_string(), text("P2")),
                ("mail".to_string(), text("p2@x")),
                ("on".to_string(), AttributeValue::Boolean(true)),
                ("seen".to_string(), text("2023-11-14T22:13:22Z")),
                ("born".to_string(), text("1990-01-02")),
                ("dotted".to_string(), text("dot")),
                ("none".to_string(), AttributeValue::Absent),
            ],
            sink.records()[1].attributes()
        );
        let Record::Account(first) = sink.records()[0] else {
            panic!("not an account")
        };
        assert_eq!("1", first.id, "an int key becomes the id");
    }
}
