//! What changed since the state: each present record is compared with the
//! state as it arrives, and what the state has but the target no longer
//! returns is judged at the end, under the status rules and thresholds.

use std::cell::RefCell;

use crate::dialect::import_doc::ImportPlan;
use crate::error::ConnectorError;
use crate::import::state::{Fingerprint, KeptRecord, KeyDigest, Sighting, Snapshot, StateWriter};
use crate::model::{Access, Account, Entitlement, KindCounts, ObjectKind, Record, Status};

/// Follows one kind's records through an import, marking each in the
/// snapshot as seen and writing it to the next state.
#[derive(Debug)]
pub struct Tracker<'s> {
    snapshot: &'s RefCell<Snapshot>,
    next: &'s RefCell<StateWriter>,
    kind: ObjectKind,
    /// Whether the state had the kind, so that new records count as created.
    had_state: bool,
    incremental: bool,
    /// The counts so far.
    pub counts: KindCounts,
}

impl<'s> Tracker<'s> {
    /// A tracker of `kind` against the state in `snapshot`, writing the
    /// next state to `next`. An incremental import emits only created and
    /// changed records; a full one emits every record.
    pub fn new(
        snapshot: &'s RefCell<Snapshot>,
        next: &'s RefCell<StateWriter>,
        kind: ObjectKind,
        incremental: bool,
    ) -> Self {
        let had_state = snapshot.borrow().section(kind).is_some();
        snapshot.borrow_mut().section_mut(kind).read = true;
        next.borrow_mut().begin(kind);
        Self {
            snapshot,
            next,
            kind,
            had_state,
            incremental,
            counts: KindCounts::default(),
        }
    }

    /// Takes in a record the target returned; gives it back when it is due
    /// to be emitted. A record whose key was already seen in this run is a
    /// repeat and is dropped.
    pub fn observe(&mut self, record: Record) -> Option<Record> {
        let mut snapshot = self.snapshot.borrow_mut();
        let before = match snapshot.section_mut(self.kind).see(&record) {
            Sighting::Repeat => return None,
            Sighting::First(before) => before,
        };
        let fingerprint = Fingerprint::of(&record);
        self.next.borrow_mut().record(&record, fingerprint);
        self.counts.present += 1;
        let due = match (self.had_state, before) {
            (false, _) => true,
            (true, None) => {
                self.counts.created += 1;
                true
            }
            (true, Some(before)) if before != fingerprint => {
                self.counts.changed += 1;
                true
            }
            (true, Some(_)) => !self.incremental,
        };
        self.counts.emitted += u64::from(due);
        due.then_some(record)
    }
}

/// Refuses, changing nothing, when more accounts or entitlements of `kind`
/// vanished than the thresholds allow.
pub fn check_vanished(
    kind: ObjectKind,
    snapshot: &Snapshot,
    plan: &ImportPlan,
) -> Result<(), ConnectorError> {
    let rules = &plan.status_rules;
    let (threshold, what, verb, key) = match kind {
        ObjectKind::Accounts => (
            rules.account_threshold,
            "accounts",
            "suspended",
            "accountThresholdValue",
        ),
        ObjectKind::Entitlements => (
            rules.ent_threshold,
            "entitlements",
            "marked inactive",
            "entThresholdValue",
        ),
        ObjectKind::Access => return Ok(()),
    };
    let known = snapshot.section(kind).map_or(0, |s| s.known_before());
    let gone = gone(kind, snapshot, plan).count();
    let limit = threshold.limit(known);
    if gone as u64 <= limit {
        return Ok(());
    }
    Err(ConnectorError::ThresholdExceeded(format!(
        "{gone} of the {known} {what} in the state would be {verb}, more than the {limit} that \
         statusAndThresholdConfig.{key} allows ({threshold}). Nothing was {verb} and the state \
         was not advanced; if the target really lost them, raise {key} for one run"
    )))
}

/// What becomes of the records of `kind` that vanished: accounts are
/// suspended (or inactive), entitlements of a type that disables deleted
/// ones inactive, and access links removed, unless their account went too
/// and `deleteLinks` is off. Each carries its key (and a link its ends) and
/// nothing else, as that is all the state keeps.
pub fn gone<'s>(
    kind: ObjectKind,
    snapshot: &'s Snapshot,
    plan: &'s ImportPlan,
) -> impl Iterator<Item = Record> + 's {
    let rules = &plan.status_rules;
    let accounts = snapshot.section(ObjectKind::Accounts);
    snapshot.vanished(kind).filter_map(move |kept| {
        let KeptRecord {
            ent_type, id, ends, ..
        } = kept;
        Some(match kind {
            ObjectKind::Accounts => Record::Account(Account {
                id,
                status: rules.gone_account_status,
                attributes: Vec::new(),
            }),
            ObjectKind::Entitlements => {
                let plan = plan.ent_types.iter().find(|t| t.name == ent_type);
                if !plan.is_none_or(|t| t.disable_deleted) {
                    return None;
                }
                Record::Entitlement(Entitlement {
                    ent_type,
                    id,
                    status: Status::Inactive,
                    attributes: Vec::new(),
                })
            }
            ObjectKind::Access => {
                let ends = ends?;
                if !rules.delete_links
                    && accounts.is_some_and(|a| !a.knows(KeyDigest::of("", &ends.account_id)))
                {
                    return None;
                }
                let (ent_type, entitlement_id) = ends.entitlement;
                Record::Access(Access {
                    id,
                    account_id: ends.account_id,
                    ent_type,
                    entitlement_id,
                    status: Status::Removed,
                    attributes: Vec::new(),
                })
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Account, AttributeValue};

    const BASE: &str = "http://sim:1";

    fn account(id: &str, name: &str) -> Record {
        Record::Account(Account {
            id: id.into(),
            status: Status::Active,
            attributes: vec![("name".into(), AttributeValue::Text(name.into()))],
        })
    }

    fn link(id: &str, account: &str) -> Record {
        Record::Access(Access {
            id: id.into(),
            account_id: account.into(),
            ent_type: "environment".into(),
            entitlement_id: "env-1".into(),
            status: Status::Active,
            attributes: Vec::new(),
        })
    }

    /// The state an import of `kinds` that returned these records leaves,
    /// written out and read back.
    fn state(kinds: &[(ObjectKind, &[Record])]) -> Snapshot {
        let snapshot = RefCell::new(Snapshot::new(BASE));
        let next = RefCell::new(StateWriter::new(BASE));
        for (kind, records) in kinds {
            let mut tracker = Tracker::new(&snapshot, &next, *kind, false);
            for record in *records {
                tracker.observe(record.clone());
            }
        }
        let mut text = String::new();
        let written = next.borrow_mut().finish(&snapshot.into_inner(), |piece| {
            text.push_str(&piece);
            Ok::<_, ()>(())
        });
        written.unwrap();
        Snapshot::parse(&text, BASE).unwrap()
    }

    /// Runs one kind's tracker over `records` against `previous`.
    fn track(
        previous: Snapshot,
        kind: ObjectKind,
        records: &[Record],
        incremental: bool,
    ) -> (Snapshot, Vec<Record>, KindCounts) {
        let snapshot = RefCell::new(previous);
        let next = RefCell::new(StateWriter::new(BASE));
        let mut tracker = Tracker::new(&snapshot, &next, kind, incremental);
        let due = records
            .iter()
            .filter_map(|r| tracker.observe(r.clone()))
            .collect();
        let counts = tracker.counts;
        (snapshot.into_inner(), due, counts)
    }

    #[test]
    fn a_full_import_emits_everything_and_counts_the_changes() {
        let previous = state(&[(
            ObjectKind::Accounts,
            &[account("u-1", "A"), account("u-2", "B")],
        )]);
        let seen = [
            account("u-1", "A"),
            account("u-3", "C"),
            account("u-3", "C"),
        ];
        let (snapshot, due, counts) = track(previous, ObjectKind::Accounts, &seen, false);
        assert_eq!(seen[..2].to_vec(), due, "a repeat is dropped");
        let plan = ImportPlan::default();
        let gone: Vec<Record> = super::gone(ObjectKind::Accounts, &snapshot, &plan).collect();
        let suspended = Record::Account(Account {
            id: "u-2".into(),
            status: Status::Suspended,
            attributes: Vec::new(),
        });
        assert_eq!(vec![suspended], gone, "a gone record carries its key only");
        assert_eq!(
            KindCounts {
                present: 2,
                emitted: 2,
                created: 1,
                changed: 0,
                gone: 0
            },
            counts
        );
    }

    #[test]
    fn an_incremental_import_emits_only_created_and_changed() {
        let previous = state(&[(
            ObjectKind::Accounts,
            &[account("u-1", "A"), account("u-2", "B")],
        )]);
        let seen = [
            account("u-1", "A"),
            account("u-2", "B2"),
            account("u-3", "C"),
        ];
        let (snapshot, due, counts) = track(previous, ObjectKind::Accounts, &seen, true);
        assert_eq!(seen[1..].to_vec(), due);
        let plan = ImportPlan::default();
        assert_eq!(
            0,
            super::gone(ObjectKind::Accounts, &snapshot, &plan).count()
        );
        assert_eq!((1, 1, 2), (counts.created, counts.changed, counts.emitted));
    }

    #[test]
    fn without_a_state_nothing_vanishes() {
        let seen = [account("u-1", "A")];
        let (snapshot, due, counts) = track(Snapshot::new(BASE), ObjectKind::Accounts, &seen, true);
        assert_eq!(1, due.len());
        let plan = ImportPlan::default();
        assert_eq!(
            0,
            super::gone(ObjectKind::Accounts, &snapshot, &plan).count()
        );
        assert_eq!(0, counts.created);
    }

    #[test]
    fn vanished_accounts_are_suspended_within_the_threshold() {
        let accounts: Vec<Record> = (0..20).map(|i| account(&format!("u-{i}"), "x")).collect();
        let previous = state(&[(ObjectKind::Accounts, &accounts)]);
        let plan = ImportPlan::default();
        let (snapshot, _, _) = track(
            previous.clone(),
            ObjectKind::Accounts,
            &accounts[5..],
            false,
        );
        check_vanished(ObjectKind::Accounts, &snapshot, &plan).unwrap();
        assert!(
            super::gone(ObjectKind::Accounts, &snapshot, &plan)
                .all(|r| matches!(r, Record::Account(a) if a.status == Status::Suspended && a.attributes.is_empty()))
        );
        let (snapshot, _, _) = track(previous, ObjectKind::Accounts, &accounts[6..], false);
        let error = check_vanished(ObjectKind::Accounts, &snapshot, &plan)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("threshold exceeded: 6 of the 20 accounts in the state would be suspended, more than the 5"), "{error}");
    }

    #[test]
    fn links_of_vanished_accounts_stay_unless_delete_links() {
        let previous = state(&[
            (
                ObjectKind::Accounts,
                &[account("u-1", "A"), account("u-2", "B")],
            ),
            (
                ObjectKind::Access,
                &[link("rb-1", "u-1"), link("rb-2", "u-2")],
            ),
        ]);
        let (next, _, _) = track(
            previous,
            ObjectKind::Accounts,
            &[account("u-1", "A")],
            false,
        );
        let (next, _, _) = track(next, ObjectKind::Access, &[], false);
        let mut plan = ImportPlan::default();
        let gone: Vec<Record> = super::gone(ObjectKind::Access, &next, &plan).collect();
        assert_eq!(vec![link("rb-1", "u-1").with_status(Status::Removed)], gone);
        plan.status_rules.delete_links = true;
        assert_eq!(2, super::gone(ObjectKind::Access, &next, &plan).count());
    }
}
