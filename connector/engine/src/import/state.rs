//! The import state: for each record the last successful import returned,
//! its key, a fingerprint of what it mapped to and, for an access link, its
//! two ends. That is what a gone record needs, and the fingerprint tells a
//! changed record from an unchanged one; no attribute value (no name, no
//! email) is kept.
//!
//! The host stores the state as opaque text and hands it back; only the
//! connector reads it. It is made of lines, so it streams in through
//! [`StateReader`] and out through [`Snapshot::lines`] a piece at a time:
//!
//! ```text
//! {"format":2,"base_url":"https://api.confluent.cloud"}
//! #accounts
//! sa-1a2b3c<TAB>0f1e2d3c4b5a6978
//! #entitlements
//! =environment
//! env-4d5e6f<TAB>8796a5b4c3d2e1f0
//! #access
//! =environment<TAB>env-4d5e6f
//! rb-7g8h9i<TAB>sa-1a2b3c<TAB>1234567890abcdef
//! #end
//! ```
//!
//! A `#` line says a kind was imported (so "no accounts" differs from
//! "accounts never imported"), a `=` line names the entitlement type (and,
//! for access, the entitlement) of the lines below it, and `#end` shows the
//! state was not cut short. Keys are percent-encoded where they hold a
//! control character, `%`, `#` or `=`.

use indexmap::IndexMap;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::error::ConnectorError;
use crate::model::{AttributeValue, ObjectKind, Record};

/// The version of the state format this connector reads and writes.
pub const STATE_FORMAT: u32 = 2;

/// A record's identity within its kind: (entitlement type or empty, id).
pub type RecordKey = (String, String);

/// A 64-bit digest of what a record mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// The fingerprint of `record`'s attributes and, for an access link, its
    /// ends: equal fingerprints mean an unchanged record.
    pub fn of(record: &Record) -> Self {
        let mut digest = Xxh3::new();
        let mut field = |tag: u8, bytes: &[u8]| {
            digest.update(&[tag]);
            digest.update(bytes);
            digest.update(&[0]);
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
        Self(digest.digest())
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

/// One record as the state keeps it, through one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    /// Its fingerprint in the state the import started from.
    pub before: Option<Fingerprint>,
    /// Its fingerprint in this import, once the target has returned it.
    pub now: Option<Fingerprint>,
    /// An access link's ends.
    pub ends: Option<Box<Ends>>,
}

/// One kind's records, by key, in the order they were first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// The records.
    pub records: IndexMap<RecordKey, Kept>,
    /// Whether this import has read the kind, so that `now` is its truth.
    pub read: bool,
}

impl Section {
    /// Whether the record under `key` is there: in this import if it read
    /// the kind, else in the state.
    pub fn knows(&self, key: &RecordKey) -> bool {
        self.records.get(key).is_some_and(|kept| match self.read {
            true => kept.now.is_some(),
            false => kept.before.is_some(),
        })
    }

    /// How many records the state had.
    pub fn known_before(&self) -> usize {
        self.records.values().filter(|k| k.before.is_some()).count()
    }

    /// The state's records this import read the kind without finding.
    pub fn vanished(&self) -> impl Iterator<Item = (&RecordKey, &Kept)> {
        let read = self.read;
        let gone = move |kept: &&Kept| read && kept.before.is_some() && kept.now.is_none();
        self.records.iter().filter(move |(_, kept)| gone(kept))
    }

    /// The records the next import starts from, with their fingerprints.
    fn kept(&self) -> impl Iterator<Item = (&RecordKey, Fingerprint, &Kept)> {
        self.records.iter().filter_map(|(key, kept)| {
            let fingerprint = if self.read { kept.now } else { kept.before };
            fingerprint.map(|fingerprint| (key, fingerprint, kept))
        })
    }
}

/// The state of one import: the one it started from and what it has seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    base_url: String,
    sections: [Option<Section>; 3],
}

impl Snapshot {
    /// An empty snapshot for the target at `base_url`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_string(),
            sections: Default::default(),
        }
    }

    /// Reads a whole state text; see [`StateReader`].
    pub fn parse(text: &str, base_url: &str) -> Result<Self, ConnectorError> {
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

    /// The state the next import starts from, a line at a time (each with
    /// its newline): what this import read of the kinds it imported, and
    /// what the state had of the others.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        let header = serde_json::to_string(&Header {
            format: STATE_FORMAT,
            base_url: self.base_url.clone(),
        })
        .expect("the header is plain JSON");
        let sections = ObjectKind::ALL
            .into_iter()
            .filter_map(|kind| Some((kind, self.section(kind)?)))
            .flat_map(|(kind, section)| section_lines(kind, section));
        std::iter::once(format!("{header}\n"))
            .chain(sections)
            .chain([format!("#{END}\n")])
    }
}

/// One section's lines: its `#` line, then its records grouped under `=`
/// lines by entitlement type (and, for access, entitlement).
fn section_lines(kind: ObjectKind, section: &Section) -> impl Iterator<Item = String> + '_ {
    let mut records: Vec<_> = section.kept().collect();
    let group = move |key: &RecordKey, kept: &Kept| match (kind, kept.ends.as_deref()) {
        (ObjectKind::Entitlements, _) => encode(&key.0),
        (ObjectKind::Access, Some(ends)) => {
            let (ent_type, id) = &ends.entitlement;
            format!("{}\t{}", encode(ent_type), encode(id))
        }
        _ => String::new(),
    };
    records.sort_by_cached_key(|(key, _, kept)| group(key, kept));
    let mut current = None;
    let records = records
        .into_iter()
        .flat_map(move |(key, fingerprint, kept)| {
            let group = group(key, kept);
            let heading = (current.as_ref() != Some(&group)).then(|| format!("={group}\n"));
            let heading = heading.filter(|_| kind != ObjectKind::Accounts);
            current = Some(group);
            let ends = match kept.ends.as_deref() {
                Some(ends) => format!("\t{}", encode(&ends.account_id)),
                None => String::new(),
            };
            let line = format!("{}{ends}\t{:016x}\n", encode(&key.1), fingerprint.0);
            heading.into_iter().chain([line])
        });
    std::iter::once(format!("#{}\n", kind.as_str())).chain(records)
}

/// The name of the last line's `#` line.
const END: &str = "end";

/// What a state key may not hold as it is.
const ESCAPED: &AsciiSet = &CONTROLS.add(b'%').add(b'#').add(b'=');

fn encode(text: &str) -> String {
    utf8_percent_encode(text, ESCAPED).to_string()
}

/// The first line of a state.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: u32,
    base_url: String,
}

/// Reads a state a piece at a time, as the host streams it in. A text that
/// is not a state, or that belongs to another target, is an error: never a
/// silent fresh start.
#[derive(Debug)]
pub struct StateReader {
    base_url: String,
    snapshot: Option<Snapshot>,
    /// The bytes of a line not yet ended.
    pending: Vec<u8>,
    line: usize,
    kind: Option<ObjectKind>,
    group: RecordKey,
    /// Whether the `#end` line has been read.
    ended: bool,
}

impl StateReader {
    /// A reader for a state of the target at `base_url`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_string(),
            snapshot: None,
            pending: Vec::new(),
            line: 0,
            kind: None,
            group: RecordKey::default(),
            ended: false,
        }
    }

    /// Takes in the next piece of the state.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), ConnectorError> {
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
        Ok(self
            .snapshot
            .take()
            .expect("a state that ended has a header"))
    }

    fn read_line(&mut self, line: &[u8]) -> Result<(), ConnectorError> {
        self.line += 1;
        let line = std::str::from_utf8(line).map_err(|_| self.corrupt("it is not UTF-8"))?;
        if self.snapshot.is_none() {
            self.snapshot = Some(self.header(line)?);
            return Ok(());
        }
        if self.ended {
            return Err(self.corrupt("a line follows the end"));
        }
        if line.strip_prefix('#') == Some(END) {
            self.ended = true;
            return Ok(());
        }
        if let Some(name) = line.strip_prefix('#') {
            let kind = ObjectKind::ALL
                .into_iter()
                .find(|kind| kind.as_str() == name)
                .ok_or_else(|| self.corrupt(&format!("'{name}' is not a kind")))?;
            self.kind = Some(kind);
            self.group = RecordKey::default();
            self.snapshot().section_mut(kind);
            return Ok(());
        }
        let kind = self
            .kind
            .ok_or_else(|| self.corrupt("a record comes before its kind"))?;
        if let Some(group) = line.strip_prefix('=') {
            let mut parts = group.split('\t').map(decode);
            self.group = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            return Ok(());
        }
        let fields: Vec<String> = line.split('\t').map(decode).collect();
        let (id, account_id, fingerprint) = match (kind, fields.as_slice()) {
            (ObjectKind::Access, [id, account_id, fingerprint]) => {
                (id, Some(account_id), fingerprint)
            }
            (ObjectKind::Accounts | ObjectKind::Entitlements, [id, fingerprint]) => {
                (id, None, fingerprint)
            }
            _ => return Err(self.corrupt("a record has the wrong number of fields")),
        };
        let fingerprint = u64::from_str_radix(fingerprint, 16)
            .map_err(|_| self.corrupt("a fingerprint is not hexadecimal"))?;
        let ent_type = match kind {
            ObjectKind::Entitlements => self.group.0.clone(),
            _ => String::new(),
        };
        let ends = account_id.map(|account_id| {
            Box::new(Ends {
                account_id: account_id.clone(),
                entitlement: self.group.clone(),
            })
        });
        let kept = Kept {
            before: Some(Fingerprint(fingerprint)),
            now: None,
            ends,
        };
        let key = (ent_type, id.clone());
        self.snapshot().section_mut(kind).records.insert(key, kept);
        Ok(())
    }

    fn snapshot(&mut self) -> &mut Snapshot {
        self.snapshot.as_mut().expect("the header is read first")
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
        ConnectorError::InvalidState(format!(
            "the state is corrupt at line {}: {what}",
            self.line
        ))
    }
}

fn decode(field: &str) -> String {
    percent_decode_str(field).decode_utf8_lossy().into_owned()
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
        for kind in ObjectKind::ALL {
            let mut tracker = Tracker::new(&snapshot, kind, false);
            for record in records.iter().filter(|r| r.kind() == kind) {
                tracker.observe(record.clone());
            }
        }
        snapshot.into_inner().lines().collect()
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
    fn a_state_round_trips_with_keys_ends_and_fingerprints() {
        let text = state_text(&sample());
        let snapshot = Snapshot::parse(&text, BASE).unwrap();
        assert_eq!(text, snapshot.lines().collect::<String>());
        let accounts = snapshot.section(ObjectKind::Accounts).unwrap();
        assert_eq!(2, accounts.known_before());
        assert!(accounts.knows(&(String::new(), "weird\tid #1%\n".into())));
        let links = snapshot.section(ObjectKind::Access).unwrap();
        let kept = &links.records[&(String::new(), "rb-1".to_string())];
        assert_eq!(
            Some(&Ends {
                account_id: "u-1".into(),
                entitlement: ("environment".into(), "env-1".into()),
            }),
            kept.ends.as_deref()
        );
        assert_eq!(Some(Fingerprint::of(&sample()[3])), kept.before);
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
