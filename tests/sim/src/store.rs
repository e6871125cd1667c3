//! The simulator's data: one ordered collection per resource type.
//!
//! Every record gets a sequence number when it is inserted and keeps it for
//! life. Lists are walked in sequence order and a page token names the last
//! sequence number served, so a record that exists for the whole of a walk is
//! returned exactly once, whatever is created or deleted meanwhile.

use std::collections::{BTreeMap, HashMap};

use crate::model::{
    Environment, Invitation, Organization, Resource, RoleBinding, ServiceAccount, Stamps, User,
};

/// Records of one type, in insertion order, addressable by id.
#[derive(Debug)]
pub struct Collection<T> {
    by_seq: BTreeMap<u64, T>,
    seq_by_id: HashMap<String, u64>,
}

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Self {
            by_seq: BTreeMap::new(),
            seq_by_id: HashMap::new(),
        }
    }
}

impl<T: Resource> Collection<T> {
    /// Adds a record under the store-wide sequence number `seq`.
    pub fn insert(&mut self, seq: u64, record: T) {
        self.seq_by_id.insert(record.id().to_string(), seq);
        self.by_seq.insert(seq, record);
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.seq_by_id.get(id).and_then(|seq| self.by_seq.get(seq))
    }

    /// The record with this id, to change in place.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        let seq = self.seq_by_id.get(id)?;
        self.by_seq.get_mut(seq)
    }

    /// Removes and returns the record with this id.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        let seq = self.seq_by_id.remove(id)?;
        self.by_seq.remove(&seq)
    }

    /// Removes every record that `doomed` selects and returns how many went.
    pub fn remove_where(&mut self, mut doomed: impl FnMut(&T) -> bool) -> usize {
        let before = self.by_seq.len();
        self.by_seq.retain(|_, record| !doomed(record));
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

/// Records of one type as the API finds, counts and pages them: a
/// [`Collection`], or a single record (the organization) at position 1.
pub trait Records<T: 'static> {
    /// The record with this id.
    fn find(&self, id: &str) -> Option<&T>;
    /// The record with this id, to change in place.
    fn find_mut(&mut self, id: &str) -> Option<&mut T>;
    /// The records after position `after`, in order, with their positions.
    fn following(&self, after: Option<u64>) -> impl Iterator<Item = (u64, &T)>;
    /// Every record, in order.
    fn every(&self) -> impl Iterator<Item = &T> {
        self.following(None).map(|(_, record)| record)
    }
    /// How many records there are.
    fn count(&self) -> usize {
        self.following(None).count()
    }
}

impl<T: Resource + 'static> Records<T> for Collection<T> {
    fn find(&self, id: &str) -> Option<&T> {
        self.get(id)
    }
    fn find_mut(&mut self, id: &str) -> Option<&mut T> {
        self.get_mut(id)
    }
    fn following(&self, after: Option<u64>) -> impl Iterator<Item = (u64, &T)> {
        self.after(after)
    }
    fn count(&self) -> usize {
        self.len()
    }
}

impl<T: Resource + 'static> Records<T> for Option<T> {
    fn find(&self, id: &str) -> Option<&T> {
        self.as_ref().filter(|record| record.id() == id)
    }
    fn find_mut(&mut self, id: &str) -> Option<&mut T> {
        self.as_mut().filter(|record| record.id() == id)
    }
    fn following(&self, after: Option<u64>) -> impl Iterator<Item = (u64, &T)> {
        self.iter()
            .map(|record| (1, record))
            .filter(move |(position, _)| after.is_none_or(|after| *position > after))
    }
}

/// A resource type the store holds, and where.
pub trait Stored: Resource + Sized + 'static {
    /// What holds them: a [`Collection`], or an `Option` for the one
    /// organization.
    type Records: Records<Self>;
    /// Them, in `store`.
    fn records(store: &Store) -> &Self::Records;
    /// Them, to change.
    fn records_mut(store: &mut Store) -> &mut Self::Records;
}

/// Implements [`Stored`] for each `Type => field: Records` given.
macro_rules! stored {
    ($($resource:ty => $field:ident: $records:ty),* $(,)?) => {$(
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
    Organization => organization: Option<Organization>,
    User => users: Collection<User>,
    ServiceAccount => service_accounts: Collection<ServiceAccount>,
    Invitation => invitations: Collection<Invitation>,
    Environment => environments: Collection<Environment>,
    RoleBinding => role_bindings: Collection<RoleBinding>,
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
    /// `iam/v2/role-bindings`.
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
