//! An import's output as a queue of events, for hosts that take it a piece
//! at a time: the component's `import-run` and its HTTP entry point.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use crate::model::{Access, ObjectKind, Record, RecordSink};

/// One thing an import hands over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A batch of records, a page or so.
    Records(Vec<Record>),
    /// How far the import has come for `kind`, after each page.
    Progress {
        /// The kind read.
        kind: ObjectKind,
        /// Records the target returned so far.
        records: u64,
        /// Pages read so far.
        pages: u64,
    },
    /// Access links whose account or entitlement is unknown.
    Orphans(Vec<Access>),
    /// The next piece of the new state.
    State(String),
}

/// A [`RecordSink`] that queues what it is handed; clones share the queue,
/// so the sink can move into the import while its host takes events out.
#[derive(Debug, Clone, Default)]
pub struct EventQueue(Rc<RefCell<VecDeque<Event>>>);

impl EventQueue {
    /// The oldest event queued, if any.
    pub fn pop(&self) -> Option<Event> {
        self.0.borrow_mut().pop_front()
    }

    /// Whether an event is waiting.
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }

    fn push(&self, event: Event) {
        self.0.borrow_mut().push_back(event);
    }
}

impl RecordSink for EventQueue {
    fn emit(&mut self, batch: Vec<Record>) -> Result<(), String> {
        self.push(Event::Records(batch));
        Ok(())
    }

    fn orphans(&mut self, links: Vec<Access>) -> Result<(), String> {
        self.push(Event::Orphans(links));
        Ok(())
    }

    fn state(&mut self, chunk: String) -> Result<(), String> {
        self.push(Event::State(chunk));
        Ok(())
    }

    fn progress(&mut self, kind: ObjectKind, records: u64, pages: u64) {
        self.push(Event::Progress {
            kind,
            records,
            pages,
        });
    }
}
