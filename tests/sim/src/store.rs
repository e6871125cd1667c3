//! The simulator's data: one ordered collection per resource type.
//!
//! Every record gets a sequence number when it is inserted and keeps it for
//! life. Lists are walked in sequence order and a page token names the last
//! sequence number served, so a record that exists for the whole of a walk is
//! returned exactly once, whatever is created or deleted meanwhile.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;
use std::fmt;

use crate::model::{
    Environment, Invitation, Organization, Resource, RoleBinding, ServiceAccount, Stamps, User,
};
use crate::scope_index::ScopeIndex;

/// A secondary index that a [`Collection`] keeps up to date as records come
/// and go, and that lists look records up in.
pub trait Index<T>: Default + fmt::Debug {
    /// What a list asks the index for.
    type Query: fmt::Debug;
    /// Files `record`, just added under `seq`.
    fn added(&mut self, seq: u64, record: &T);
    /// Forgets `record`, just removed from under `seq`.
    fn removed(&mut self, seq: u64, record: &T);
    /// The records `query` selects, or more of them (see [`Lookup::exact`]).
    fn lookup(&mut self, query: &Self::Query) -> Lookup<'_>;
    /// Whether `query` selects `record`.
    fn selects(query: &Self::Query, record: &T) -> bool;
}

/// The records an [`Index`] found for a query.
#[derive(Debug)]
pub struct Lookup<'a> {
    /// Their sequence numbers, in order.
    pub seqs: &'a BTreeSet<u64>,
    /// Whether they are exactly the records the query selects; when not,
    /// they are more, and [`Index::selects`] says which.
    pub exact: bool,
}

/// The index of a collection that keeps none.
#[derive(Debug, Default)]
pub struct NoIndex;

impl<T> Index<T> for NoIndex {
    type Query = Infallible;
    fn added(&mut self, _: u64, _: &T) {}
    fn removed(&mut self, _: u64, _: &T) {}
    fn lookup(&mut self, query: &Infallible) -> Lookup<'_> {
        match *query {}
    }
    fn selects(query: &Infallible, _: &T) -> bool {
        match *query {}
    }
}

/// A resource type, and the index its [`Collection`] keeps.
pub trait Indexed: Resource + Sized {
    /// The index: [`NoIndex`] for most.
    type Index: Index<Self>;
}

/// What a list query asks its index for, for records of type `T`.
pub type IndexQuery<T> = <<T as Indexed>::Index as Index<T>>::Query;

/// Which records a list selects.
pub enum Selection<'q, T: Indexed> {
    /// Every record.
    Every,
    /// The records this keeps, found by visiting every record.
    Kept(Box<dyn Fn(&T) -> bool + 'q>),
    /// The records the collection's index finds for this query.
    Found(IndexQuery<T>),
}

impl<T: Indexed> fmt::Debug for Selection<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Every => f.write_str("Every"),
            Self::Kept(_) => f.write_str("Kept(..)"),
            Self::Found(query) => f.debug_tuple("Found").field(query).finish(),
        }
    }
}

/// Records after a position, in order, with their positions.
pub type Following<'a, T> = Box<dyn Iterator<Item = (u64, &'a T)> + 'a>;

/// Records of one type, in insertion order, addressable by id, with the
/// index their type keeps.
#[derive(Debug)]
pub struct Collection<T: Indexed> {
    by_seq: BTreeMap<u64, T>,
    seq_by_id: HashMap<String, u64>,
    index: T::Index,
}

impl<T: Indexed> Default for Collection<T> {
    fn default() -> Self {
        Self {
            by_seq: BTreeMap::new(),
            seq_by_id: HashMap::new(),
            index: T::Index::default(),
        }
    }
}

impl<T: Indexed> Collection<T> {
    /// Adds a record under the store-wide sequence number `seq`.
    pub fn insert(&mut self, seq: u64, record: T) {
        if let Some(replaced) = self.by_seq.remove(&seq) {
            self.index.removed(seq, &replaced);
        }
        self.index.added(seq, &record);
        self.seq_by_id.insert(record.id().to_string(), seq);
        self.by_seq.insert(seq, record);
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.seq_by_id.get(id).and_then(|seq| self.by_seq.get(seq))
    }

    /// Removes and returns the record with this id.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        let seq = self.seq_by_id.remove(id)?;
        let record = self.by_seq.remove(&seq)?;
        self.index.removed(seq, &record);
        Some(record)
    }

    /// Removes every record that `doomed` selects and returns how many went.
    pub fn remove_where(&mut self, mut doomed: impl FnMut(&T) -> bool) -> usize {
        let before = self.by_seq.len();
        let index = &mut self.index;
        self.by_seq.retain(|seq, record| {
            let gone = doomed(record);
            if gone {
                index.removed(*seq, record);
            }
            !gone
        });
        let by_seq = &self.by_seq;
        self.seq_by_id.retain(|_, seq| by_seq.contains_key(seq));
        before - self.by_seq.len()
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// Every record, in sequence order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.by_seq.values()
    }

    /// Records after sequence number `after`, in order, with their sequence
    /// numbers. Taking a page of them costs the page, not the collection.
    pub fn after(&self, after: Option<u64>) -> impl Iterator<Item = (u64, &T)> {
        let start = after.map_or(0, |seq| seq + 1);
        self.by_seq
            .range(start..)
            .map(|(seq, record)| (*seq, record))
    }
}

impl<T: Indexed<Index = NoIndex>> Collection<T> {
    /// The record with this id, to change in place; only for a type that
    /// keeps no index, which a change could leave stale.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        let seq = self.seq_by_id.get(id)?;
        self.by_seq.get_mut(seq)
    }
}

/// Records of one type as the API finds, counts and pages them: a
/// [`Collection`], or a single record (the organization) at position 1.
pub trait Records<T: Indexed + 'static> {
    /// The record with this id.
    fn find(&self, id: &str) -> Option<&T>;
    /// Every record, in order.
    fn every(&self) -> impl Iterator<Item = &T>;
    /// How many records `selection` selects, and those of them after
    /// position `after`, in order, with their positions.
    fn select<'a>(
        &'a mut self,
        selection: &'a Selection<'_, T>,
        after: Option<u64>,
    ) -> (usize, Following<'a, T>);
}

/// Records that can be changed in place.
pub trait RecordsMut<T: Indexed + 'static>: Records<T> {
    /// The record with this id, to change in place.
    fn find_mut(&mut self, id: &str) -> Option<&mut T>;
}

impl<T: Indexed + 'static> Records<T> for Collection<T> {
    fn find(&self, id: &str) -> Option<&T> {
        self.get(id)
    }
    fn every(&self) -> impl Iterator<Item = &T> {
        self.iter()
    }
    /// A lookup costs the index's answer, not the collection: an exact
    /// answer is counted by its length and read from the token on.
    fn select<'a>(
        &'a mut self,
        selection: &'a Selection<'_, T>,
        after: Option<u64>,
    ) -> (usize, Following<'a, T>) {
        match selection {
            Selection::Every => (self.len(), Box::new(self.after(after))),
            Selection::Kept(keep) => (
                self.iter().filter(|record| keep(record)).count(),
                Box::new(self.after(after).filter(|(_, record)| keep(record))),
            ),
            Selection::Found(query) => {
                let Self { by_seq, index, .. } = self;
                let by_seq = &*by_seq;
                let Lookup { seqs, exact } = index.lookup(query);
                let start = after.map_or(0, |seq| seq + 1);
                let found = seqs.range(start..).map(|seq| (*seq, &by_seq[seq]));
                if exact {
                    (seqs.len(), Box::new(found))
                } else {
                    let selects = |record: &T| T::Index::selects(query, record);
                    (
                        seqs.iter().filter(|seq| selects(&by_seq[seq])).count(),
                        Box::new(found.filter(move |(_, record)| selects(record))),
                    )
                }
            }
        }
    }
}

impl<T: Indexed<Index = NoIndex> + 'static> RecordsMut<T> for Collection<T> {
    fn find_mut(&mut self, id: &str) -> Option<&mut T> {
        self.get_mut(id)
    }
}

impl<T: Indexed<Index = NoIndex> + 'static> Records<T> for Option<T> {
    fn find(&self, id: &str) -> Option<&T> {
        self.as_ref().filter(|record| record.id() == id)
    }
    fn every(&self) -> impl Iterator<Item = &T> {
        self.iter()
    }
    fn select<'a>(
        &'a mut self,
        selection: &'a Selection<'_, T>,
        after: Option<u64>,
    ) -> (usize, Following<'a, T>) {
        let kept = move |record: &T| match selection {
            Selection::Every => true,
            Selection::Kept(keep) => keep(record),
            Selection::Found(query) => match *query {},
        };
        let total = self.iter().filter(|record| kept(record)).count();
        let following = self
            .iter()
            .map(|record| (1, record))
            .filter(move |(position, record)| {
                after.is_none_or(|after| *position > after) && kept(record)
            });
        (total, Box::new(following))
    }
}

impl<T: Indexed<Index = NoIndex> + 'static> RecordsMut<T> for Option<T> {
    fn find_mut(&mut self, id: &str) -> Option<&mut T> {
        self.as_mut().filter(|record| record.id() == id)
    }
}

/// A resource type the store holds, and where.
pub trait Stored: Indexed + 'static {
    /// What holds them: a [`Collection`], or an `Option` for the one
    /// organization.
    type Records: Records<Self>;
    /// Them, in `store`.
    fn records(store: &Store) -> &Self::Records;
    /// Them, to change.
    fn records_mut(store: &mut Store) -> &mut Self::Records;
}

/// Implements [`Indexed`] and [`Stored`] for each
/// `Type => field: Records, Index` given.
macro_rules! stored {
    ($($resource:ty => $field:ident: $records:ty, $index:ty),* $(,)?) => {$(
        impl Indexed for $resource {
            type Index = $index;
        }
        impl Stored for $resource {
            type Records = $records;
            fn records(store: &Store) -> &$records {
                &store.$field
            }
            fn records_mut(store: &mut Store) -> &mut $records {
                &mut store.$field
            }
        }
    )*};
}

stored! {
    Organization => organization: Option<Organization>, NoIndex,
    User => users: Collection<User>, NoIndex,
    ServiceAccount => service_accounts: Collection<ServiceAccount>, NoIndex,
    Invitation => invitations: Collection<Invitation>, NoIndex,
    Environment => environments: Collection<Environment>, NoIndex,
    RoleBinding => role_bindings: Collection<RoleBinding>, ScopeIndex,
}

/// Everything the simulated organization holds.
#[derive(Debug, Default)]
pub struct Store {
    /// The one organization this API key belongs to.
    pub organization: Option<Organization>,
    /// `iam/v2/users`.
    pub users: Collection<User>,
    /// `iam/v2/service-accounts`.
    pub service_accounts: Collection<ServiceAccount>,
    /// `iam/v2/invitations`.
    pub invitations: Collection<Invitation>,
    /// `org/v2/environments`.
    pub environments: Collection<Environment>,
    /// `iam/v2/role-bindings`, indexed by scope and principal.
    pub role_bindings: Collection<RoleBinding>,
    next_seq: u64,
    rng: Option<fastrand::Rng>,
}

/// The letters Confluent ids are made of.
const ID_ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

impl Store {
    /// An empty store whose generated ids follow from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Some(fastrand::Rng::with_seed(seed)),
            ..Self::default()
        }
    }

    /// The organization's id.
    pub fn org_id(&self) -> &str {
        self.organization.as_ref().map_or("", |org| org.id.as_str())
    }

    /// The next sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// The store's deterministic random source.
    pub fn rng(&mut self) -> &mut fastrand::Rng {
        self.rng.get_or_insert_with(|| fastrand::Rng::with_seed(0))
    }

    /// A fresh id such as `sa-k3j9x2`, unused by any resource of any kind.
    pub fn new_id(&mut self, prefix: &str) -> String {
        loop {
            let rng = self.rng();
            let suffix: String = (0..6)
                .map(|_| ID_ALPHABET[rng.usize(..ID_ALPHABET.len())] as char)
                .collect();
            let id = format!("{prefix}-{suffix}");
            if !self.id_in_use(&id) {
                return id;
            }
        }
    }

    fn id_in_use(&self, id: &str) -> bool {
        self.users.get(id).is_some()
            || self.service_accounts.get(id).is_some()
            || self.invitations.get(id).is_some()
            || self.environments.get(id).is_some()
            || self.role_bindings.get(id).is_some()
    }

    /// Removes every role binding whose principal is `User:<account_id>`.
    pub fn remove_bindings_of(&mut self, account_id: &str) -> usize {
        let principal = format!("User:{account_id}");
        self.role_bindings
            .remove_where(|rb| rb.principal == principal)
    }
}

/// Timestamps for something created now.
pub fn stamps_now() -> Stamps {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    Stamps {
        created_at: now.clone(),
        updated_at: now,
    }
}

/// Marks `stamps` as updated now.
pub fn touch(stamps: &mut Stamps) {
    stamps.updated_at = stamps_now().updated_at;
}
