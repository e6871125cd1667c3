//! The role bindings' index: the bindings at each CRN, at or under each
//! scope, of each principal, and containing each recently listed partial
//! pattern, so that a page of one scope's bindings costs the page and a
//! lookup, not the organization's bindings, and `total_size` is a set's
//! length rather than a count.

use std::collections::{BTreeSet, HashMap};

use crate::crn::CrnMatching;
use crate::model::RoleBinding;
use crate::store::{Index, Lookup};

/// What a role-binding list asks for: its `crn_pattern`, read as `matching`
/// says, and the exact `principal` and `role_name` when given.
#[derive(Debug, Clone)]
pub struct BindingQuery {
    /// The `crn_pattern` filter.
    pub crn_pattern: String,
    /// How it is read.
    pub matching: CrnMatching,
    /// The `principal` filter.
    pub principal: Option<String>,
    /// The `role_name` filter.
    pub role_name: Option<String>,
}

impl BindingQuery {
    /// Whether this query lists `binding`.
    pub fn selects(&self, binding: &RoleBinding) -> bool {
        self.matching
            .matches(&self.crn_pattern, &binding.crn_pattern)
            && self
                .principal
                .as_ref()
                .is_none_or(|p| &binding.principal == p)
            && self
                .role_name
                .as_ref()
                .is_none_or(|r| &binding.role_name == r)
    }
}

/// How many partial patterns keep their matches, most recently listed first.
const REMEMBERED_PATTERNS: usize = 8;

/// Sequence numbers of role bindings, filed by scope and principal.
#[derive(Debug, Default)]
pub struct ScopeIndex {
    /// By CRN: the bindings on exactly it (`crn_pattern=X`, exact).
    at: HashMap<String, BTreeSet<u64>>,
    /// By scope: the bindings on it or nested under it (`crn_pattern=X/*`,
    /// exact). A binding is filed under its CRN and every part of it that
    /// ends before a `/`.
    within: HashMap<String, BTreeSet<u64>>,
    /// By principal.
    of: HashMap<String, BTreeSet<u64>>,
    /// By partial pattern: the bindings whose CRN contains it, for the
    /// patterns listed most recently, most recent first.
    containing: Vec<(String, BTreeSet<u64>)>,
}

/// No bindings.
static NONE: BTreeSet<u64> = BTreeSet::new();

/// The scopes `crn` is filed under in [`ScopeIndex::within`]: itself, and
/// every part of it that a `/` follows.
fn scopes(crn: &str) -> impl Iterator<Item = &str> {
    crn.match_indices('/')
        .map(|(end, _)| &crn[..end])
        .chain([crn])
}

fn file(sets: &mut HashMap<String, BTreeSet<u64>>, key: &str, seq: u64) {
    match sets.get_mut(key) {
        Some(set) => {
            set.insert(seq);
        }
        None => {
            sets.insert(key.to_string(), BTreeSet::from([seq]));
        }
    }
}

fn unfile(sets: &mut HashMap<String, BTreeSet<u64>>, key: &str, seq: u64) {
    if let Some(set) = sets.get_mut(key) {
        set.remove(&seq);
        if set.is_empty() {
            sets.remove(key);
        }
    }
}

impl ScopeIndex {
    /// The bindings on exactly the CRN `crn`.
    pub fn at(&self, crn: &str) -> &BTreeSet<u64> {
        self.at.get(crn).unwrap_or(&NONE)
    }

    /// The bindings on the scope `scope` or nested under it.
    pub fn within(&self, scope: &str) -> &BTreeSet<u64> {
        self.within.get(scope).unwrap_or(&NONE)
    }

    /// Puts `pattern` first among the remembered partial patterns, with the
    /// bindings whose CRN contains it; the first time, found from the
    /// distinct CRNs.
    fn remember(&mut self, pattern: &str) {
        match self.containing.iter().position(|(p, _)| p == pattern) {
            Some(found) => self.containing[..=found].rotate_right(1),
            None => {
                let seqs = self
                    .at
                    .iter()
                    .filter(|(crn, _)| crn.contains(pattern))
                    .flat_map(|(_, seqs)| seqs.iter().copied())
                    .collect();
                self.containing.truncate(REMEMBERED_PATTERNS - 1);
                self.containing.insert(0, (pattern.to_string(), seqs));
            }
        }
    }
}

impl Index<RoleBinding> for ScopeIndex {
    type Query = BindingQuery;

    fn added(&mut self, seq: u64, binding: &RoleBinding) {
        let crn = binding.crn_pattern.as_str();
        file(&mut self.at, crn, seq);
        for scope in scopes(crn) {
            file(&mut self.within, scope, seq);
        }
        file(&mut self.of, &binding.principal, seq);
        for (pattern, seqs) in &mut self.containing {
            if crn.contains(pattern.as_str()) {
                seqs.insert(seq);
            }
        }
    }

    fn removed(&mut self, seq: u64, binding: &RoleBinding) {
        let crn = binding.crn_pattern.as_str();
        unfile(&mut self.at, crn, seq);
        for scope in scopes(crn) {
            unfile(&mut self.within, scope, seq);
        }
        unfile(&mut self.of, &binding.principal, seq);
        for (_, seqs) in &mut self.containing {
            seqs.remove(&seq);
        }
    }

    /// The bindings the pattern selects, exact unless `principal` or
    /// `role_name` narrow them; the principal's bindings instead when those
    /// are fewer.
    fn lookup(&mut self, query: &BindingQuery) -> Lookup<'_> {
        let pattern = query.crn_pattern.as_str();
        if query.matching == CrnMatching::Partial {
            self.remember(pattern);
        }
        let this = &*self;
        let scoped = match query.matching {
            CrnMatching::Partial => &this.containing[0].1,
            CrnMatching::Exact => match pattern.strip_suffix("/*") {
                Some(scope) => this.within(scope),
                None => this.at(pattern),
            },
        };
        let principal = query
            .principal
            .as_ref()
            .map(|principal| this.of.get(principal).unwrap_or(&NONE));
        match principal {
            Some(seqs) if seqs.len() < scoped.len() => Lookup { seqs, exact: false },
            _ => Lookup {
                seqs: scoped,
                exact: query.principal.is_none() && query.role_name.is_none(),
            },
        }
    }

    fn selects(query: &BindingQuery, binding: &RoleBinding) -> bool {
        query.selects(binding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Stamps;
    use crate::store::{Collection, Records, Selection};

    const ORG: &str = "crn://confluent.cloud/organization=o";

    fn binding(n: u64, principal: &str, crn: &str) -> RoleBinding {
        RoleBinding {
            id: format!("rb-{n}"),
            principal: principal.to_string(),
            role_name: if n.is_multiple_of(2) { "Even" } else { "Odd" }.to_string(),
            crn_pattern: crn.to_string(),
            stamps: Stamps {
                created_at: String::new(),
                updated_at: String::new(),
            },
        }
    }

    fn query(crn_pattern: &str, matching: CrnMatching) -> BindingQuery {
        BindingQuery {
            crn_pattern: crn_pattern.to_string(),
            matching,
            principal: None,
            role_name: None,
        }
    }

    /// An organization whose bindings are mostly on env-2; env-1 holds
    /// bindings 1 and 2, and a cluster in it binding 3.
    fn organization() -> (ScopeIndex, Vec<RoleBinding>) {
        let env1 = format!("{ORG}/environment=env-1");
        let env2 = format!("{ORG}/environment=env-2");
        let mut bindings = vec![
            binding(1, "User:u-1", &env1),
            binding(2, "User:u-2", &env1),
            binding(3, "User:u-1", &format!("{env1}/cloud-cluster=lkc-1")),
        ];
        bindings.extend((4..1000).map(|n| binding(n, "User:u-3", &env2)));
        let mut index = ScopeIndex::default();
        for (seq, binding) in (1..).zip(&bindings) {
            index.added(seq, binding);
        }
        (index, bindings)
    }

    #[test]
    fn a_scope_is_looked_up_without_visiting_the_bindings_of_other_scopes() {
        let (mut index, _) = organization();
        let env1 = format!("{ORG}/environment=env-1");
        let found = index.lookup(&query(&env1, CrnMatching::Exact));
        assert_eq!((&BTreeSet::from([1, 2]), true), (found.seqs, found.exact));
        let nested = index.lookup(&query(&format!("{env1}/*"), CrnMatching::Exact));
        assert_eq!(&BTreeSet::from([1, 2, 3]), nested.seqs);
        let partial = index.lookup(&query("env-1", CrnMatching::Partial));
        assert_eq!(
            (&BTreeSet::from([1, 2, 3]), true),
            (partial.seqs, partial.exact)
        );
        let mut narrowed = query(&format!("{ORG}/environment=env-2"), CrnMatching::Exact);
        narrowed.principal = Some("User:u-1".to_string());
        let found = index.lookup(&narrowed);
        assert_eq!(
            (&BTreeSet::from([1, 3]), false),
            (found.seqs, found.exact),
            "a principal with fewer bindings than the scope narrows the lookup"
        );
    }

    #[test]
    fn removing_bindings_unfiles_them_and_drops_empty_scopes() {
        let (mut index, bindings) = organization();
        index.lookup(&query("cloud-cluster", CrnMatching::Partial));
        for (seq, binding) in (1..).zip(&bindings).take(3) {
            index.removed(seq, binding);
        }
        let env2 = format!("{ORG}/environment=env-2");
        let mut scopes: Vec<&str> = index.within.keys().map(String::as_str).collect();
        scopes.sort_unstable();
        assert_eq!(
            vec!["crn:", "crn:/", "crn://confluent.cloud", ORG, &env2],
            scopes
        );
        assert_eq!(vec![&env2], index.at.keys().collect::<Vec<_>>());
        assert_eq!(vec!["User:u-3"], index.of.keys().collect::<Vec<_>>());
        let partial = index.lookup(&query("cloud-cluster", CrnMatching::Partial));
        assert!(partial.seqs.is_empty());
    }

    /// Every query the index answers, through a collection that gains and
    /// loses bindings, selects what a scan of every binding selects.
    #[test]
    fn lookups_agree_with_a_scan_under_both_readings() {
        let env = |n: usize| format!("{ORG}/environment=env-{n}");
        let crns: Vec<String> = (0..12)
            .flat_map(|n| {
                [
                    env(n),
                    format!("{}/cloud-cluster=lkc-{n}", env(n)),
                    format!("{}/cloud-cluster=lkc-{n}/kafka=lkc-{n}/topic=t*", env(n)),
                ]
            })
            .chain([
                ORG.to_string(),
                "crn://x/*".to_string(),
                "/lead".to_string(),
            ])
            .collect();
        let mut patterns: Vec<String> = crns.iter().map(|crn| format!("{crn}/*")).collect();
        patterns.extend(crns.iter().cloned());
        patterns.extend(
            [
                "",
                "/*",
                "*",
                "crn:",
                "crn://confluent.cloud/*",
                "env-1",
                "t*",
            ]
            .map(String::from),
        );
        let mut bindings = Collection::<RoleBinding>::default();
        let principals = ["User:u-1", "User:u-2", "Group:g-1"];
        let check = |bindings: &mut Collection<RoleBinding>| {
            for matching in [CrnMatching::Exact, CrnMatching::Partial] {
                for pattern in &patterns {
                    let narrowings = [(None, None), (Some("User:u-2"), None), (None, Some("Odd"))];
                    for ((principal, role_name), after) in narrowings
                        .into_iter()
                        .flat_map(|narrowing| [(narrowing, None), (narrowing, Some(150))])
                    {
                        let mut wanted = query(pattern, matching);
                        wanted.principal = principal.map(String::from);
                        wanted.role_name = role_name.map(String::from);
                        let scanned: Vec<(u64, String)> = bindings
                            .after(None)
                            .filter(|(_, rb)| wanted.selects(rb))
                            .map(|(seq, rb)| (seq, rb.id.clone()))
                            .collect();
                        let selection = Selection::Found(wanted);
                        let (total, found) = bindings.select(&selection, after);
                        let found: Vec<(u64, String)> =
                            found.map(|(seq, rb)| (seq, rb.id.clone())).collect();
                        let following: Vec<(u64, String)> = scanned
                            .iter()
                            .filter(|(seq, _)| after.is_none_or(|after| *seq > after))
                            .cloned()
                            .collect();
                        assert_eq!((scanned.len(), following), (total, found), "{selection:?}");
                    }
                }
            }
        };
        for n in 0..300 {
            let crn = &crns[(n * 7) % crns.len()];
            bindings.insert(n as u64 + 1, binding(n as u64, principals[n % 3], crn));
        }
        check(&mut bindings);
        bindings.remove_where(|rb| rb.crn_pattern.contains("env-3"));
        bindings.remove("rb-10");
        for n in 300..340 {
            bindings.insert(
                n as u64 + 1,
                binding(n as u64, "User:u-2", &crns[n % crns.len()]),
            );
        }
        check(&mut bindings);
    }
}
