//! What changed since the state: each present record is compared with the
//! state as it arrives, and what the state has but the target no longer
//! returns is judged at the end, under the status rules and thresholds.

use std::collections::HashMap;

use crate::dialect::import_doc::ImportPlan;
use crate::dialect::status_rules::Threshold;
use crate::error::ConnectorError;
use crate::import::state::{Section, Snapshot};
use crate::model::{KindCounts, ObjectKind, Record, Status};

/// Follows one kind's records through an import.
#[derive(Debug)]
pub struct Tracker<'p> {
    previous: Option<&'p Section>,
    incremental: bool,
    current: Section,
    /// The counts so far.
    pub counts: KindCounts,
}

impl<'p> Tracker<'p> {
    /// A tracker against the state's `previous` records of the kind, if the
    /// state has them. An incremental import emits only created and changed
    /// records; a full one emits every record.
    pub fn new(previous: Option<&'p Section>, incremental: bool) -> Self {
        Self {
            previous,
            incremental,
            current: Section::new(),
            counts: KindCounts::default(),
        }
    }

    /// Takes in a record the target returned; gives it back when it is due
    /// to be emitted. A record whose key was already seen in this run is a
    /// repeat and is dropped.
    pub fn observe(&mut self, record: Record) -> Option<Record> {
        let key = record.key();
        if self.current.contains_key(&key) {
            return None;
        }
        self.counts.present += 1;
        let due = match self.previous.map(|p| p.get(&key)) {
            None => true,
            Some(None) => {
                self.counts.created += 1;
                true
            }
            Some(Some(before)) if before.attributes() != record.attributes() => {
                self.counts.changed += 1;
                true
            }
            Some(Some(_)) => !self.incremental,
        };
        let emitted = due.then(|| record.clone());
        self.current.insert(key, record);
        self.counts.emitted += u64::from(due);
        emitted
    }

    /// The records this run saw, and the state's records it did not see.
    pub fn finish(self) -> (Section, Vec<Record>, KindCounts) {
        let vanished = self
            .previous
            .map(|previous| {
                previous
                    .iter()
                    .filter(|(key, _)| !self.current.contains_key(*key))
                    .map(|(_, record)| record.clone())
                    .collect()
            })
            .unwrap_or_default();
        (self.current, vanished, self.counts)
    }
}

/// Decides what becomes of the records of `kind` that vanished: accounts are
/// suspended (or inactive), entitlements inactive, access links removed. It
/// refuses, changing nothing, when more accounts or entitlements vanished
/// than the thresholds allow. `next` holds the kinds already imported in
/// this run.
pub fn judge_vanished(
    kind: ObjectKind,
    vanished: Vec<Record>,
    previous: &Snapshot,
    next: &Snapshot,
    plan: &ImportPlan,
) -> Result<Vec<Record>, ConnectorError> {
    let rules = &plan.status_rules;
    let known = previous.section(kind).map_or(0, Section::len);
    match kind {
        ObjectKind::Accounts => {
            check_threshold(
                vanished.len(),
                known,
                rules.account_threshold,
                "accounts",
                "suspended",
                "accountThresholdValue",
            )?;
            Ok(vanished
                .into_iter()
                .map(|r| r.with_status(rules.gone_account_status))
                .collect())
        }
        ObjectKind::Entitlements => {
            let disabled: HashMap<&str, bool> = plan
                .ent_types
                .iter()
                .map(|t| (t.name.as_str(), t.disable_deleted))
                .collect();
            let inactive: Vec<Record> = vanished
                .into_iter()
                .filter(|r| match r {
                    Record::Entitlement(e) => {
                        disabled.get(e.ent_type.as_str()).copied().unwrap_or(true)
                    }
                    _ => false,
                })
                .map(|r| r.with_status(Status::Inactive))
                .collect();
            check_threshold(
                inactive.len(),
                known,
                rules.ent_threshold,
                "entitlements",
                "marked inactive",
                "entThresholdValue",
            )?;
            Ok(inactive)
        }
        ObjectKind::Access => {
            let accounts = next.section(ObjectKind::Accounts);
            let account_gone = |id: &str| {
                accounts.is_some_and(|a| !a.contains_key(&(String::new(), id.to_string())))
            };
            Ok(vanished
                .into_iter()
                .filter(|r| match r {
                    Record::Access(a) => rules.delete_links || !account_gone(&a.account_id),
                    _ => false,
                })
                .map(|r| r.with_status(Status::Removed))
                .collect())
        }
    }
}

fn check_threshold(
    gone: usize,
    known: usize,
    threshold: Threshold,
    what: &str,
    verb: &str,
    key: &str,
) -> Result<(), ConnectorError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Account, AttributeValue};

    fn account(id: &str, name: &str) -> Record {
        Record::Account(Account {
            id: id.into(),
            status: Status::Active,
            attributes: vec![("name".into(), AttributeValue::Text(name.into()))],
        })
    }

    fn section(records: &[Record]) -> Section {
        records.iter().map(|r| (r.key(), r.clone())).collect()
    }

    #[test]
    fn a_full_import_emits_everything_and_counts_the_changes() {
        let previous = section(&[account("u-1", "A"), account("u-2", "B")]);
        let mut tracker = Tracker::new(Some(&previous), false);
        assert!(tracker.observe(account("u-1", "A")).is_some());
        assert!(tracker.observe(account("u-3", "C")).is_some());
        assert!(tracker.observe(account("u-3", "C")).is_none(), "a repeat");
        let (current, vanished, counts) = tracker.finish();
        assert_eq!(2, current.len());
        assert_eq!(vec![account("u-2", "B")], vanished);
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
        let previous = section(&[account("u-1", "A"), account("u-2", "B")]);
        let mut tracker = Tracker::new(Some(&previous), true);
        assert!(tracker.observe(account("u-1", "A")).is_none());
        assert!(tracker.observe(account("u-2", "B2")).is_some());
        assert!(tracker.observe(account("u-3", "C")).is_some());
        let (_, vanished, counts) = tracker.finish();
        assert!(vanished.is_empty());
        assert_eq!((1, 1, 2), (counts.created, counts.changed, counts.emitted));
    }

    #[test]
    fn without_a_state_nothing_vanishes() {
        let mut tracker = Tracker::new(None, true);
        assert!(tracker.observe(account("u-1", "A")).is_some());
        let (_, vanished, counts) = tracker.finish();
        assert!(vanished.is_empty());
        assert_eq!(0, counts.created);
    }

    fn snapshot(kind: ObjectKind, records: &[Record]) -> Snapshot {
        let mut snapshot = Snapshot::new("http://sim:1");
        snapshot.set_section(kind, section(records));
        snapshot
    }

    #[test]
    fn vanished_accounts_are_suspended_within_the_threshold() {
        let accounts: Vec<Record> = (0..20).map(|i| account(&format!("u-{i}"), "x")).collect();
        let previous = snapshot(ObjectKind::Accounts, &accounts);
        let plan = ImportPlan::default();
        let gone = judge_vanished(
            ObjectKind::Accounts,
            accounts[..5].to_vec(),
            &previous,
            &previous,
            &plan,
        )
        .unwrap();
        assert!(
            gone.iter()
                .all(|r| matches!(r, Record::Account(a) if a.status == Status::Suspended))
        );
        let error = judge_vanished(
            ObjectKind::Accounts,
            accounts[..6].to_vec(),
            &previous,
            &previous,
            &plan,
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("threshold exceeded: 6 of the 20 accounts in the state would be suspended, more than the 5"), "{error}");
    }

    #[test]
    fn links_of_vanished_accounts_stay_unless_delete_links() {
        let link = |id: &str, account: &str| {
            Record::Access(Access {
                id: id.into(),
                account_id: account.into(),
                ent_type: "environment".into(),
                entitlement_id: "env-1".into(),
                status: Status::Active,
                attributes: Vec::new(),
            })
        };
        let previous = snapshot(
            ObjectKind::Access,
            &[link("rb-1", "u-1"), link("rb-2", "u-2")],
        );
        let next = snapshot(ObjectKind::Accounts, &[account("u-1", "A")]);
        let mut plan = ImportPlan::default();
        let vanished = vec![link("rb-1", "u-1"), link("rb-2", "u-2")];
        let gone = judge_vanished(
            ObjectKind::Access,
            vanished.clone(),
            &previous,
            &next,
            &plan,
        )
        .unwrap();
        assert_eq!(vec![link("rb-1", "u-1").with_status(Status::Removed)], gone);
        plan.status_rules.delete_links = true;
        let gone = judge_vanished(ObjectKind::Access, vanished, &previous, &next, &plan).unwrap();
        assert_eq!(2, gone.len());
    }
}
