//! The import state: for each record the last successful import returned,
//! its key, a fingerprint of what it mapped to and, for an access link, its
//! two ends. That is what a gone record needs, and the fingerprint tells a
//! changed record from an unchanged one; no attribute value (no name, no
//! email) is kept.
//!
//! The host stores the state as opaque text and hands it back; only the
//! connector reads it. It is made of lines, so it streams in through
//! [`StateReader`] before the import and out through [`StateWriter`] as the
//! import sees each record. Of what it reads, the import keeps a 16-byte
//! digest of each key; of the state it started from, each record's fields
//! as the state wrote them: never the organization's attributes.
//!
//! ```text
//! {"format":2,"base_url":"https://api.confluent.cloud"}
//! #accounts
//! sa-1a2b3c<TAB>0f1e2d3c4b5a6978
//! #entitlements
//! =0<TAB>environment
//! env-4d5e6f<TAB>0<TAB>8796a5b4c3d2e1f0
//! #access
//! =1<TAB>environment<TAB>env-4d5e6f
//! rb-7g8h9i<TAB>sa-1a2b3c<TAB>1<TAB>1234567890abcdef
//! #end
//! ```
//!
//! A `#` line says which kind the lines below it belong to; the first for a
//! kind also says the kind was imported, so that "no accounts" differs from
//! "accounts never imported". A kind's lines may come in several runs, as
//! an import reads kinds side by side. A `=` line numbers a group, in order
//! from 0: an entitlement type, or for access an entitlement, which the
//! lines after it name by number. `#end` shows the state was not cut short.
//! Keys are percent-encoded where they hold a control character, `%`, `#` or
//! `=`.

use std::fmt::Write as _;

use indexmap::{Equivalent, IndexSet};
use percent_encoding::{
    AsciiSet, CONTROLS, PercentEncode, percent_decode_str, utf8_percent_encode,
};
use rustc_hash::{FxBuildHasher, FxHashSet};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3Default, xxh3_64};

use crate::error::ConnectorError;
use crate::model::{AttributeValue, ObjectKind, Record};

/// The version of the state format this connector reads and writes.
pub const STATE_FORMAT: u32 = 2;

/// An entitlement's type and id.
pub type RecordKey = (String, String);

/// A 64-bit digest of what a record mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// The fingerprint of `record`'s attributes and, for an access link, its
    /// ends: equal fingerprints mean an unchanged record.
    pub fn of(record: &Record) -> Self {
        // Each field tagged and ended, hashed at once.
        let mut bytes = Vec::with_capacity(256);
        let mut field = |tag: u8, value: &[u8]| {
            bytes.push(tag);
            bytes.extend_from_slice(value);
            bytes.push(0);
        };
        if let Record::Access(link) = record {
            field(b'a', link.account_id.as_bytes());
            field(b'e', link.ent_type.as_bytes());
            field(b'e', link.entitlement_id.as_bytes());
        }
        for (name, value) in record.attributes() {
            field(b'n', name.as_bytes());
            match value {
                AttributeValue::Absent => field(b'-', &[]),
                AttributeValue::Text(text) => field(b't', text.as_bytes()),
                AttributeValue::Integer(integer) => field(b'i', &integer.to_le_bytes()),
                AttributeValue::Boolean(boolean) => field(b'b', &[u8::from(*boolean)]),
            }
        }
        Self(xxh3_64(&bytes))
    }
}

/// A 128-bit digest of a record's key within its kind (its entitlement
/// type, empty for the other kinds, and its id): two keys that differ give
/// the same digest with a chance of 2⁻¹²⁸, so the import keeps digests, not
/// keys, of what it has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyDigest(u128);

impl KeyDigest {
    /// The digest of the key of `ent_type` (empty for accounts and access)
    /// and `id`.
    pub fn of(ent_type: &str, id: &str) -> Self {
        // Streamed through the hasher's own buffer: no allocation per key.
        let mut key = Xxh3Default::new();
        key.update(&(ent_type.len() as u64).to_le_bytes());
        key.update(ent_type.as_bytes());
        key.update(id.as_bytes());
        Self(key.digest128())
    }
}

/// An access link's account and entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ends {
    /// The account's id.
    pub account_id: String,
    /// The entitlement's type and id.
    pub entitlement: RecordKey,
}

/// A record of the state the import started from, as the state kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRecord {
    /// Its entitlement type; empty for the other kinds.
    pub ent_type: String,
    /// Its id.
    pub id: String,
    /// An access link's ends.
    pub ends: Option<Ends>,
    /// What it mapped to.
    pub fingerprint: Fingerprint,
}

/// Where a record of the state the import started from is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Before {
    key: KeyDigest,
    fingerprint: Fingerprint,
    /// Where its fields (its id, and a link's account) start in
    /// [`Section::fields`].
    at: u32,
    /// Its group in [`Snapshot::groups`], or [`NO_GROUP`].
    group: u32,
}

/// The group of a record whose kind has none.
const NO_GROUP: u32 = u32::MAX;

/// One kind's records: those of the state, and those this import has seen.
/// The state's take 32 bytes each, sorted by key digest, plus their fields;
/// the new ones a digest each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// The state's records, sorted by key digest once the state is read.
    before: Vec<Before>,
    /// Which of them this import has seen, by position.
    seen_before: Vec<bool>,
    /// The fields of the state's records, encoded as the state wrote them,
    /// a line each.
    fields: String,
    /// The keys of the records this import has seen that the state lacks.
    seen_new: FxHashSet<KeyDigest>,
    /// Whether this import reads the kind, so that what it sees is its truth.
    pub read: bool,
}

/// What the state knew of a record the import has just seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sighting {
    /// This import has seen the key already.
    Repeat,
    /// The first sighting; the state had the record with this fingerprint,
    /// or did not have it.
    First(Option<Fingerprint>),
}

impl Section {
    /// Whether the record whose key has this digest is there: in this
    /// import if it reads the kind, else in the state.
    pub fn knows(&self, key: KeyDigest) -> bool {
        let before = self.position(key);
        match self.read {
            true => before.map_or_else(|| self.seen_new.contains(&key), |at| self.seen_before[at]),
            false => before.is_some(),
        }
    }

    /// How many records the state had.
    pub fn known_before(&self) -> usize {
        self.before.len()
    }

    /// Notes that the import has seen `record`.
    pub fn see(&mut self, record: &Record) -> Sighting {
        let (ent_type, id) = record.key();
        let key = KeyDigest::of(ent_type, id);
        match self.position(key) {
            Some(at) if !std::mem::replace(&mut self.seen_before[at], true) => {
                Sighting::First(Some(self.before[at].fingerprint))
            }
            None if self.seen_new.insert(key) => Sighting::First(None),
            _ => Sighting::Repeat,
        }
    }

    fn position(&self, key: KeyDigest) -> Option<usize> {
        self.before.binary_search_by_key(&key, |b| b.key).ok()
    }

    fn vanished(&self) -> impl Iterator<Item = &Before> {
        let read = self.read;
        let seen = self.seen_before.iter();
        self.before
            .iter()
            .zip(seen)
            .filter(move |(_, seen)| read && !**seen)
            .map(|(before, _)| before)
    }

    /// Sorts the state's records for lookup, once they are all read; a key
    /// the state holds twice keeps its first line. The sort is in place (a
    /// stable sort would take scratch memory the size of the section),
    /// ordered by line within a key, and the section then gives back the
    /// room its growth left unused.
    fn index(&mut self) {
        self.before.sort_unstable_by_key(|b| (b.key, b.at));
        self.before.dedup_by_key(|b| b.key);
        self.before.shrink_to_fit();
        self.fields.shrink_to_fit();
        self.seen_before = vec![false; self.before.len()];
    }
}

/// The state an import started from, and what the import has seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    base_url: String,
    sections: [Option<Section>; 3],
    /// The groups the state's lines name, by number.
    groups: Vec<RecordKey>,
}

impl Snapshot {
    /// An empty snapshot for the target at `base_url`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_string(),
            ..Self::default()
        }
    }

    /// Reads a whole state text; see [`StateReader`].
    #[cfg(test)]
    pub(crate) fn parse(text: &str, base_url: &str) -> Result<Self, ConnectorError> {
        let mut reader = StateReader::new(base_url);
        reader.feed(text.as_bytes())?;
        reader.finish()
    }

    /// The records of `kind`, if the state or this import has that kind.
    pub fn section(&self, kind: ObjectKind) -> Option<&Section> {
        self.sections[kind as usize].as_ref()
    }

    /// The records of `kind`, started empty if the state lacks the kind.
    pub fn section_mut(&mut self, kind: ObjectKind) -> &mut Section {
        self.sections[kind as usize].get_or_insert_with(Section::default)
    }

    /// The state's records of `kind` this import read the kind without
    /// finding.
    pub fn vanished(&self, kind: ObjectKind) -> impl Iterator<Item = KeptRecord> + '_ {
        let section = self.section(kind);
        let vanished = section.into_iter().flat_map(Section::vanished);
        vanished.map(move |before| self.kept(kind, before))
    }

    /// The state's records of `kind`, in key digest order.
    fn records(&self, kind: ObjectKind) -> impl Iterator<Item = KeptRecord> + '_ {
        let section = self.section(kind);
        let records = section.into_iter().flat_map(|s| &s.before);
        records.map(move |before| self.kept(kind, before))
    }

    /// A record of the state, decoded.
    fn kept(&self, kind: ObjectKind, before: &Before) -> KeptRecord {
        let section = self.section(kind).expect("a record's kind has a section");
        let line = &section.fields[before.at as usize..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let mut fields = line.split('\t').map(decode);
        let id = fields.next().unwrap_or_default();
        let group = self.groups.get(before.group as usize).cloned();
        let group = group.unwrap_or_default();
        let (ent_type, ends) = match fields.next() {
            Some(account_id) => (
                String::new(),
                Some(Ends {
                    account_id,
                    entitlement: group,
                }),
            ),
            None => (group.0, None),
        };
        KeptRecord {
            ent_type,
            id,
            ends,
            fingerprint: before.fingerprint,
        }
    }
}

/// Writes the state the next import starts from, a line as the import sees
/// each record, and hands it on in pieces.
#[derive(Debug)]
pub struct StateWriter {
    text: String,
    /// The kind of the last line written.
    kind: Option<ObjectKind>,
    /// The groups numbered so far.
    groups: IndexSet<RecordKey, FxBuildHasher>,
}

/// A group as a record names it, looked up among the numbered groups
/// without copying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GroupOf<'a>(&'a str, &'a str);

impl Equivalent<RecordKey> for GroupOf<'_> {
    fn equivalent(&self, key: &RecordKey) -> bool {
        (self.0, self.1) == (key.0.as_str(), key.1.as_str())
    }
}

impl StateWriter {
    /// A state of the target at `base_url`, its header written.
    pub fn new(base_url: &str) -> Self {
        let header = serde_json::to_string(&Header {
            format: STATE_FORMAT,
            base_url: base_url.to_string(),
        })
        .expect("the header is plain JSON");
        Self {
            text: format!("{header}\n"),
            kind: None,
            groups: IndexSet::default(),
        }
    }

    /// Says that the import reads `kind`, so that the state has the kind
    /// even if the target returns none of it.
    pub fn begin(&mut self, kind: ObjectKind) {
        if self.kind != Some(kind) {
            self.kind = Some(kind);
            self.text.push_str(&format!("#{}\n", kind.as_str()));
        }
    }

    /// Writes the line of a record the import has seen for the first time.
    pub fn record(&mut self, record: &Record, fingerprint: Fingerprint) {
        let (kind, group, id, account) = match record {
            Record::Account(a) => (ObjectKind::Accounts, None, &a.id, None),
            Record::Entitlement(e) => {
                let group = GroupOf(&e.ent_type, "");
                (ObjectKind::Entitlements, Some(group), &e.id, None)
            }
            Record::Access(a) => {
                let group = GroupOf(&a.ent_type, &a.entitlement_id);
                (ObjectKind::Access, Some(group), &a.id, Some(&a.account_id))
            }
        };
        self.line(kind, group, id, account.map(String::as_str), fingerprint);
    }

    /// The text written so far, once it is a piece worth handing on.
    pub fn full_piece(&mut self) -> Option<String> {
        (self.text.len() >= PIECE).then(|| std::mem::take(&mut self.text))
    }

    /// Writes the rest of the state, what `snapshot` had of the kinds this
    /// import did not read and the end, handing every piece to `hand_on`.
    pub fn finish<E>(
        &mut self,
        snapshot: &Snapshot,
        mut hand_on: impl FnMut(String) -> Result<(), E>,
    ) -> Result<(), E> {
        for kind in ObjectKind::ALL {
            if snapshot.section(kind).is_none_or(|s| s.read) {
                continue;
            }
            self.begin(kind);
            for kept in snapshot.records(kind) {
                let (group, account) = match &kept.ends {
                    Some(ends) => {
                        let (ent_type, id) = &ends.entitlement;
                        (Some(GroupOf(ent_type, id)), Some(&ends.account_id))
                    }
                    None if kind == ObjectKind::Entitlements => {
                        (Some(GroupOf(&kept.ent_type, "")), None)
                    }
                    None => (None, None),
                };
                let account = account.map(String::as_str);
                self.line(kind, group, &kept.id, account, kept.fingerprint);
                if let Some(piece) = self.full_piece() {
                    hand_on(piece)?;
                }
            }
        }
        self.text.push_str(&format!("#{END}\n"));
        hand_on(std::mem::take(&mut self.text))
    }

    fn line(
        &mut self,
        kind: ObjectKind,
        group: Option<GroupOf>,
        id: &str,
        account: Option<&str>,
        fingerprint: Fingerprint,
    ) {
        self.begin(kind);
        // A group's heading comes before its first line.
        let number = group.map(|group| {
            self.groups.get_index_of(&group).unwrap_or_else(|| {
                let text = &mut self.text;
                // Writing to a String cannot fail.
                let _ = write!(text, "={}\t", self.groups.len());
                text.extend(encoded(group.0));
                if kind == ObjectKind::Access {
                    text.push('\t');
                    text.extend(encoded(group.1));
                }
                text.push('\n');
                let group = (group.0.to_string(), group.1.to_string());
                self.groups.insert_full(group).0
            })
        });
        let text = &mut self.text;
        text.extend(encoded(id));
        if let Some(account) = account {
            text.push('\t');
            text.extend(encoded(account));
        }
        if let Some(number) = number {
            let _ = write!(text, "\t{number}");
        }
        let _ = writeln!(text, "\t{:016x}", fingerprint.0);
    }
}

/// The bytes of state handed on at once, about.
const PIECE: usize = 64 << 10;

/// The name of the last line's `#` line.
const END: &str = "end";

/// What a state key may not hold as it is.
const ESCAPED: &AsciiSet = &CONTROLS.add(b'%').add(b'#').add(b'=');

/// `text` as a state line writes it.
fn encoded(text: &str) -> PercentEncode<'_> {
    utf8_percent_encode(text, ESCAPED)
}

fn decode(field: &str) -> String {
    percent_decode_str(field).decode_utf8_lossy().into_owned()
}

/// The first line of a state.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: u32,
    base_url: String,
}

/// The largest state a reader takes, in bytes, as large as the runner lets
/// a state file be. A state takes about 30 bytes a record, so this is
/// millions of records; a larger one is refused with an error that says so,
/// rather than left to fill the guest's memory.
pub const MAX_STATE_BYTES: u64 = 256 << 20;

/// Reads a state a piece at a time, as the host streams it in. A text that
/// is not a state, that belongs to another target, or that is larger than
/// [`MAX_STATE_BYTES`] is an error: never a silent fresh start.
#[derive(Debug, Default)]
pub struct StateReader {
    base_url: String,
    /// The bytes taken in so far, and the most it takes.
    taken: u64,
    limit: u64,
    snapshot: Option<Snapshot>,
    /// The bytes of a line not yet ended.
    pending: Vec<u8>,
    line: usize,
    kind: Option<ObjectKind>,
    /// Whether the `#end` line has been read.
    ended: bool,
}

impl StateReader {
    /// A reader for a state of the target at `base_url`.
    pub fn new(base_url: &str) -> Self {
        Self::with_limit(base_url, MAX_STATE_BYTES)
    }

    /// A reader that refuses a state past `limit` bytes.
    fn with_limit(base_url: &str, limit: u64) -> Self {
        Self {
            base_url: base_url.to_string(),
            limit,
            ..Self::default()
        }
    }

    /// Takes in the next piece of the state.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), ConnectorError> {
        self.taken = self.taken.saturating_add(chunk.len() as u64);
        if self.taken > self.limit {
            return Err(ConnectorError::InvalidState(format!(
                "the state is larger than {} bytes, the most a state may be",
                self.limit
            )));
        }
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&chunk[..end]);
            chunk = &chunk[end + 1..];
            let line = std::mem::take(&mut self.pending);
            self.read_line(&line)?;
        }
        self.pending.extend_from_slice(chunk);
        Ok(())
    }

    /// The state read, once every piece is in.
    pub fn finish(mut self) -> Result<Snapshot, ConnectorError> {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.read_line(&line)?;
        }
        if !self.ended {
            return Err(self.corrupt("it is cut short"));
        }
        let mut snapshot = self.snapshot.expect("a state that ended has a header");
        snapshot
            .sections
            .iter_mut()
            .flatten()
            .for_each(Section::index);
        Ok(snapshot)
    }

    fn read_line(&mut self, line: &[u8]) -> Result<(), ConnectorError> {
        self.line += 1;
        let at_line = self.line;
        let corrupt = |what: &str| corrupt(at_line, what);
        let line = std::str::from_utf8(line).map_err(|_| corrupt("it is not UTF-8"))?;
        let Some(snapshot) = self.snapshot.as_mut() else {
            self.snapshot = Some(self.header(line)?);
            return Ok(());
        };
        if self.ended {
            return Err(corrupt("a line follows the end"));
        }
        if line.strip_prefix('#') == Some(END) {
            self.ended = true;
            return Ok(());
        }
        if let Some(name) = line.strip_prefix('#') {
            let kind = ObjectKind::ALL
                .into_iter()
                .find(|kind| kind.as_str() == name)
                .ok_or_else(|| corrupt(&format!("'{name}' is not a kind")))?;
            self.kind = Some(kind);
            snapshot.section_mut(kind);
            return Ok(());
        }
        let kind = self
            .kind
            .ok_or_else(|| corrupt("a record comes before its kind"))?;
        if let Some(group) = line.strip_prefix('=') {
            let mut parts = group.split('\t');
            if parts.next() != Some(snapshot.groups.len().to_string().as_str()) {
                return Err(corrupt("a group is not numbered next"));
            }
            let mut parts = parts.map(decode);
            let ent_type = parts.next().unwrap_or_default();
            let id = parts.next().unwrap_or_default();
            snapshot.groups.push((ent_type, id));
            return Ok(());
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let (ids, group, fingerprint) = match (kind, fields.as_slice()) {
            (ObjectKind::Accounts, [_, fingerprint]) => (1, None, fingerprint),
            (ObjectKind::Entitlements, [_, group, fingerprint]) => (1, Some(group), fingerprint),
            (ObjectKind::Access, [_, _, group, fingerprint]) => (2, Some(group), fingerprint),
            _ => return Err(corrupt("a record has the wrong number of fields")),
        };
        let fingerprint = u64::from_str_radix(fingerprint, 16)
            .map_err(|_| corrupt("a fingerprint is not hexadecimal"))?;
        let groups = snapshot.groups.len();
        let group = group
            .map(|number| match number.parse::<u32>() {
                Ok(number) if (number as usize) < groups => Ok(number),
                _ => Err(corrupt("a record names a group not numbered before it")),
            })
            .transpose()?;
        let ent_type = match (kind, group) {
            (ObjectKind::Entitlements, Some(group)) => snapshot.groups[group as usize].0.as_str(),
            _ => "",
        };
        let key = KeyDigest::of(ent_type, &decode(fields[0]));
        let section = snapshot.section_mut(kind);
        let at =
            u32::try_from(section.fields.len()).map_err(|_| corrupt("the state is too large"))?;
        section.fields.push_str(&fields[..ids].join("\t"));
        section.fields.push('\n');
        section.before.push(Before {
            key,
            fingerprint: Fingerprint(fingerprint),
            at,
            group: group.unwrap_or(NO_GROUP),
        });
        Ok(())
    }

    /// Reads the first line: the format and the target.
    fn header(&self, line: &str) -> Result<Snapshot, ConnectorError> {
        let loose: Option<serde_json::Value> = serde_json::from_str(line).ok();
        let field = |name: &str| loose.as_ref().and_then(|header| header.get(name));
        if let Some(base_url) = field("base_url").and_then(|url| url.as_str())
            && base_url != self.base_url
        {
            return Err(ConnectorError::InvalidState(format!(
                "the state belongs to {base_url}, not {}",
                self.base_url
            )));
        }
        if let Some(format) = field("format").and_then(|format| format.as_u64())
            && format != u64::from(STATE_FORMAT)
        {
            return Err(ConnectorError::InvalidState(format!(
                "the state has format {format}; this connector reads format {STATE_FORMAT}"
            )));
        }
        let header: Header = serde_json::from_str(line)
            .map_err(|e| self.corrupt(&format!("its first line is not a state header: {e}")))?;
        Ok(Snapshot::new(&header.base_url))
    }

    fn corrupt(&self, what: &str) -> ConnectorError {
        corrupt(self.line, what)
    }
}

fn corrupt(line: usize, what: &str) -> ConnectorError {
    ConnectorError::InvalidState(format!("the state is corrupt at line {line}: {what}"))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::import::changes::Tracker;
    use crate::model::{Access, Account, Entitlement, Status};

    const BASE: &str = "http://sim:1";

    fn account(id: &str) -> Record {
        Record::Account(Account {
            id: id.into(),
            status: Status::Active,
            attributes: vec![
                ("accountID".into(), AttributeValue::Text(id.into())),
                (
                    "email".into(),
                    AttributeValue::Text(format!("{id}@example.com")),
                ),
                ("name".into(), AttributeValue::Text("Ada Lovelace".into())),
                ("age".into(), AttributeValue::Integer(3)),
                ("on".into(), AttributeValue::Boolean(true)),
                ("gone".into(), AttributeValue::Absent),
            ],
        })
    }

    fn environment(id: &str) -> Record {
        Record::Entitlement(Entitlement {
            ent_type: "environment".into(),
            id: id.into(),
            status: Status::Active,
            attributes: vec![("name".into(), AttributeValue::Text("prod".into()))],
        })
    }

    fn link(id: &str, account: &str, entitlement: &str) -> Record {
        Record::Access(Access {
            id: id.into(),
            account_id: account.into(),
            ent_type: "environment".into(),
            entitlement_id: entitlement.into(),
            status: Status::Active,
            attributes: vec![("role_name".into(), AttributeValue::Text("R".into()))],
        })
    }

    /// The state an import that returned `records` (accounts, then
    /// entitlements, then access) leaves, as text.
    fn state_text(records: &[Record]) -> String {
        let snapshot = RefCell::new(Snapshot::new(BASE));
        let next = RefCell::new(StateWriter::new(BASE));
        for kind in ObjectKind::ALL {
            let mut tracker = Tracker::new(&snapshot, &next, kind, false);
            for record in records.iter().filter(|r| r.kind() == kind) {
                tracker.observe(record.clone());
            }
        }
        written(next.into_inner(), &snapshot.into_inner())
    }

    /// What `writer` writes, ending after `snapshot`.
    fn written(mut writer: StateWriter, snapshot: &Snapshot) -> String {
        let mut text = String::new();
        let finished = writer.finish(snapshot, |piece| {
            text.push_str(&piece);
            Ok::<_, ()>(())
        });
        finished.unwrap();
        text
    }

    fn sample() -> Vec<Record> {
        vec![
            account("u-1"),
            account("weird\tid #1%\n"),
            environment("env-1"),
            link("rb-1", "u-1", "env-1"),
        ]
    }

    #[test]
    fn a_key_digest_keeps_the_type_and_the_id_apart() {
        assert_ne!(KeyDigest::of("ab", "c"), KeyDigest::of("a", "bc"));
        assert_ne!(KeyDigest::of("", "x"), KeyDigest::of("x", ""));
        assert_eq!(
            KeyDigest::of("environment", "env-1"),
            KeyDigest::of("environment", "env-1")
        );
    }

    #[test]
    fn a_state_round_trips_with_keys_ends_and_fingerprints() {
        let text = state_text(&sample());
        let snapshot = Snapshot::parse(&text, BASE).unwrap();
        let carried_over = written(StateWriter::new(BASE), &snapshot);
        let again = Snapshot::parse(&carried_over, BASE).unwrap();
        for kind in ObjectKind::ALL {
            let records = |snapshot: &Snapshot| {
                let mut records: Vec<KeptRecord> = snapshot.records(kind).collect();
                records.sort_by(|a, b| a.id.cmp(&b.id));
                records
            };
            assert_eq!(records(&snapshot), records(&again), "{kind:?} carried over");
        }
        let accounts = snapshot.section(ObjectKind::Accounts).unwrap();
        assert_eq!(2, accounts.known_before());
        assert!(accounts.knows(KeyDigest::of("", "weird\tid #1%\n")));
        let entitlements = snapshot.section(ObjectKind::Entitlements).unwrap();
        assert!(entitlements.knows(KeyDigest::of("environment", "env-1")));
        assert!(!entitlements.knows(KeyDigest::of("organization", "env-1")));
        let links: Vec<KeptRecord> = snapshot.records(ObjectKind::Access).collect();
        let link = KeptRecord {
            ent_type: String::new(),
            id: "rb-1".into(),
            ends: Some(Ends {
                account_id: "u-1".into(),
                entitlement: ("environment".into(), "env-1".into()),
            }),
            fingerprint: Fingerprint::of(&sample()[3]),
        };
        assert_eq!(vec![link], links);
    }

    #[test]
    fn a_key_the_state_holds_twice_keeps_its_first_line() {
        let accounts: Vec<Record> = (0..200).map(|i| account(&format!("u-{i}"))).collect();
        let text = state_text(&accounts);
        // Each account's line again after all of them, with another
        // fingerprint.
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let first = 1 + lines.iter().position(|l| l == "#accounts").unwrap();
        let end = first
            + lines[first..]
                .iter()
                .take_while(|l| !l.starts_with('#'))
                .count();
        let again: Vec<String> = lines[first..end]
            .iter()
            .map(|line| format!("{}\t0", line.rsplit_once('\t').unwrap().0))
            .collect();
        assert_eq!(200, again.len());
        lines.splice(end..end, again);
        let snapshot = Snapshot::parse(&(lines.join("\n") + "\n"), BASE).unwrap();
        assert_eq!(
            200,
            snapshot
                .section(ObjectKind::Accounts)
                .unwrap()
                .known_before()
        );
        let mut kept: Vec<KeptRecord> = snapshot.records(ObjectKind::Accounts).collect();
        kept.sort_by(|a, b| a.id.cmp(&b.id));
        let mut expected: Vec<(String, Fingerprint)> = accounts
            .iter()
            .map(|a| (a.key().1.to_string(), Fingerprint::of(a)))
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let kept: Vec<(String, Fingerprint)> =
            kept.into_iter().map(|k| (k.id, k.fingerprint)).collect();
        assert_eq!(expected, kept);
    }

    #[test]
    fn a_state_streams_in_pieces_of_any_size() {
        let text = state_text(&sample());
        let whole = Snapshot::parse(&text, BASE).unwrap();
        for size in [1, 2, 7, 64] {
            let mut reader = StateReader::new(BASE);
            for piece in text.as_bytes().chunks(size) {
                reader.feed(piece).unwrap();
            }
            assert_eq!(whole, reader.finish().unwrap(), "pieces of {size}");
        }
    }

    #[test]
    fn a_state_past_the_limit_is_refused_with_its_size() {
        let text = state_text(&sample());
        let limit = text.len() as u64 - 1;
        let mut reader = StateReader::with_limit(BASE, limit);
        let (head, tail) = text.as_bytes().split_at(text.len() / 2);
        reader.feed(head).unwrap();
        let refused = reader.feed(tail).unwrap_err();
        assert_eq!(
            ConnectorError::InvalidState(format!(
                "the state is larger than {limit} bytes, the most a state may be"
            )),
            refused
        );
        let mut reader = StateReader::with_limit(BASE, text.len() as u64);
        reader.feed(text.as_bytes()).unwrap();
        assert_eq!(
            Snapshot::parse(&text, BASE).unwrap(),
            reader.finish().unwrap()
        );
    }

    #[test]
    fn a_state_holds_no_attribute_value() {
        let text = state_text(&sample());
        for personal in ["example.com", "Ada", "Lovelace", "prod", "role_name"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }

    #[test]
    fn a_state_takes_at_most_fifty_bytes_a_record() {
        // Ids shaped as Confluent Cloud's: `u-`/`sa-` plus six characters,
        // environments `env-` plus six, role bindings `rb-` plus six, the
        // organization a UUID.
        let org = "a8c9e5f0-1b2c-4d3e-9f8a-7b6c5d4e3f2a";
        let mut records: Vec<Record> = (0..1000).map(|i| account(&format!("sa-{i:06}"))).collect();
        records.extend((0..20).map(|i| environment(&format!("env-{i:06}"))));
        records.extend((0..3000).map(|i| {
            let scope = if i % 3 == 0 {
                org.to_string()
            } else {
                format!("env-{:06}", i % 20)
            };
            link(
                &format!("rb-{i:06}"),
                &format!("sa-{:06}", i % 1000),
                &scope,
            )
        }));
        let text = state_text(&records);
        let per_record = text.len() / records.len();
        assert!(per_record <= 50, "{per_record} bytes a record");
    }

    #[test]
    fn a_group_is_numbered_once_however_many_lines_name_it() {
        // Fifty entitlements of one type, and links to three entitlements,
        // each group named by many lines; a group looked up by reference
        // must find the one numbered before.
        let mut records: Vec<Record> = (0..50).map(|i| environment(&format!("env-{i}"))).collect();
        records.extend((0..300).map(|i| {
            let entitlement = format!("env-{}", i % 3);
            link(&format!("rb-{i}"), &format!("u-{i}"), &entitlement)
        }));
        let text = state_text(&records);
        let headings: Vec<&str> = text.lines().filter(|l| l.starts_with('=')).collect();
        // The entitlements' group (their type), then one for each
        // entitlement the links name.
        assert_eq!(4, headings.len(), "{headings:?}");
        let numbers: Vec<&str> = headings
            .iter()
            .map(|h| h[1..].split('\t').next().unwrap())
            .collect();
        assert_eq!(vec!["0", "1", "2", "3"], numbers);
    }

    #[test]
    fn a_corrupt_state_is_an_error_that_says_where() {
        let error = Snapshot::parse("{\"format\":2,\"base_url\":", BASE).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid state: the state is corrupt at line 1"),
            "{error}"
        );
        let text = state_text(&sample()).replacen("\tu-1\t", "\tu-1\tx\t", 1);
        let error = Snapshot::parse(&text, BASE).unwrap_err().to_string();
        assert!(
            error.contains("at line 10: a record has the wrong number of fields"),
            "{error}"
        );
        let cut = state_text(&sample());
        for end in [cut.len() - 10, cut.rfind("#access").unwrap()] {
            let error = Snapshot::parse(&cut[..end], BASE).unwrap_err().to_string();
            assert!(error.contains("it is cut short"), "{error}");
        }
    }

    #[test]
    fn a_state_of_another_target_or_format_is_refused() {
        let text = state_text(&sample());
        let error = Snapshot::parse(&text, "http://other:2")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("belongs to http://sim:1, not http://other:2"),
            "{error}"
        );
        let error = Snapshot::parse(&text.replace("\"format\":2", "\"format\":9"), BASE)
            .unwrap_err()
            .to_string();
        assert!(error.contains("format 9"), "{error}");
        let format_one = r#"{"format":1,"base_url":"http://sim:1","accounts":{}}"#;
        let error = Snapshot::parse(format_one, BASE).unwrap_err().to_string();
        assert!(error.contains("the state has format 1"), "{error}");
    }
}
