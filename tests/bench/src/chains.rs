//! Page chains from the simulator's request log: which lists a run read,
//! and how many pages in a row each took.
//!
//! The GETs of one run are grouped by path and query without `page_token`;
//! a list's chain is its number of pages, the distinct page tokens asked for
//! (a list read twice, as the organizations are, still has its pages once). A role-binding list cannot start
//! before the organizations list has been read (its `crn_pattern` names the
//! organization), so its chain counts those pages too. No run can be faster
//! than its longest chain times the latency of one request.

use std::collections::{BTreeMap, BTreeSet};

use crate::sim::LoggedRequest;

const ORGANIZATIONS: &str = "/org/v2/organizations";
const ROLE_BINDINGS: &str = "/iam/v2/role-bindings";

/// One list a run read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The path, and the query without `page_token` or `page_size`.
    pub list: String,
    /// The pages read.
    pub pages: usize,
    /// The pages read one after the other up to this list's last: its own,
    /// plus those of a list it waits on.
    pub length: usize,
}

/// The chains of the GETs in `log`, longest first.
pub fn chains(log: &[LoggedRequest]) -> Vec<Chain> {
    let mut tokens: BTreeMap<(String, String), BTreeSet<Option<String>>> = BTreeMap::new();
    for request in log.iter().filter(|r| r.method == "GET") {
        let (list, token) = list_key(&request.path);
        tokens.entry(list).or_default().insert(token);
    }
    let pages: Vec<_> = tokens
        .into_iter()
        .map(|(list, tokens)| (list, tokens.len()))
        .collect();
    let organizations: usize = pages
        .iter()
        .filter(|((path, _), _)| path == ORGANIZATIONS)
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    let mut chains: Vec<Chain> = pages
        .into_iter()
        .map(|((path, query), pages)| Chain {
            length: pages
                + if path == ROLE_BINDINGS {
                    organizations
                } else {
                    0
                },
            list: if query.is_empty() {
                path
            } else {
                format!("{path}?{query}")
            },
            pages,
        })
        .collect();
    chains.sort_by(|a, b| b.length.cmp(&a.length).then_with(|| a.list.cmp(&b.list)));
    chains
}

/// The list a request reads, as the path and its decoded query pairs but
/// `page_token` and `page_size` (the next link may spell the query
/// differently from the first request), and the page token it asks for.
fn list_key(path_and_query: &str) -> ((String, String), Option<String>) {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut token = None;
    let mut pairs = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*name {
            "page_token" => token = Some(value.into_owned()),
            "page_size" => {}
            _ => pairs.push(format!("{name}={value}")),
        }
    }
    pairs.sort();
    ((path.to_string(), pairs.join("&")), token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            path: path.into(),
            status: 200,
        }
    }

    #[test]
    fn pages_of_one_list_form_one_chain_and_role_bindings_wait_on_organizations_read_once() {
        let log = [
            get("/iam/v2/users?page_size=100"),
            get("/iam/v2/users?page_size=100&page_token=a"),
            get("/iam/v2/users?page_token=b&page_size=100"),
            get("/org/v2/organizations?page_size=100"),
            get("/org/v2/organizations?page_size=100"),
            get("/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fx&page_size=1000"),
            get("/iam/v2/role-bindings?crn_pattern=crn://x/*&page_size=1000"),
            get("/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fx%2F*&page_size=1000&page_token=c"),
        ];
        let found: Vec<(String, usize, usize)> = chains(&log)
            .into_iter()
            .map(|c| (c.list, c.pages, c.length))
            .collect();
        assert_eq!(
            found,
            [
                ("/iam/v2/role-bindings?crn_pattern=crn://x/*".into(), 2, 3),
                ("/iam/v2/users".into(), 3, 3),
                ("/iam/v2/role-bindings?crn_pattern=crn://x".into(), 1, 2),
                ("/org/v2/organizations".into(), 1, 1),
            ]
        );
    }
}
