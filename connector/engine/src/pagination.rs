//! Walking a list across pages.
//!
//! Confluent's lists carry `metadata.next`, an opaque absolute URL, and the
//! last page has none. The walker follows it only while it stays on the
//! origin of the first request, and fails the run on a link it has already
//! followed rather than loop.

use std::collections::HashSet;

use serde_json::Value;

use crate::error::ConnectorError;

/// The most pages one list may have: a backstop against a target that keeps
/// handing out fresh links (100,000 pages of 100 is ten million records).
pub const MAX_PAGES: usize = 100_000;

/// Follows `metadata.next` links.
#[derive(Debug)]
pub struct PageWalker {
    origin: url::Origin,
    visited: HashSet<String>,
}

impl PageWalker {
    /// A walker for a list whose first page is `first_url`.
    pub fn new(first_url: &str) -> Result<Self, ConnectorError> {
        let origin = parse(first_url)?.origin();
        Ok(Self {
            origin,
            visited: HashSet::from([first_url.to_string()]),
        })
    }

    /// The URL of the page after the one whose JSON is `body`, or `None` on
    /// the last page.
    pub fn next(&mut self, body: &Value) -> Result<Option<String>, ConnectorError> {
        let next = match body.pointer("/metadata/next") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(next)) if next.is_empty() => return Ok(None),
            Some(Value::String(next)) => next.clone(),
            Some(other) => {
                return Err(ConnectorError::InvalidResponse(format!(
                    "metadata.next is {other}; expected a URL"
                )));
            }
        };
        if parse(&next)?.origin() != self.origin {
            return Err(ConnectorError::InvalidResponse(format!(
                "metadata.next '{next}' leaves the origin {}; not followed",
                self.origin.ascii_serialization()
            )));
        }
        if !self.visited.insert(next.clone()) {
            return Err(ConnectorError::InvalidResponse(format!(
                "metadata.next '{next}' repeats an earlier page; the list loops"
            )));
        }
        if self.visited.len() > MAX_PAGES {
            return Err(ConnectorError::InvalidResponse(format!(
                "the list has more than {MAX_PAGES} pages"
            )));
        }
        Ok(Some(next))
    }
}

fn parse(url: &str) -> Result<url::Url, ConnectorError> {
    url::Url::parse(url)
        .map_err(|e| ConnectorError::InvalidResponse(format!("'{url}' is not a URL: {e}")))
}

/// The largest page Confluent serves on most lists.
pub const CONFLUENT_MAX_PAGE: u32 = 100;
/// The largest page Confluent serves on role bindings.
pub const ROLE_BINDING_MAX_PAGE: u32 = 1000;

/// Asks a Confluent list on `origin` for its largest page, unless the URL
/// already names a `page_size`. Other URLs are left alone.
pub fn with_largest_page_size(url: &str, origin: &url::Origin) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let confluent_list =
        parsed.path().starts_with("/iam/v2/") || parsed.path().starts_with("/org/v2/");
    if parsed.origin() != *origin
        || !confluent_list
        || parsed.query_pairs().any(|(k, _)| k == "page_size")
    {
        return url.to_string();
    }
    let size = if parsed.path().starts_with("/iam/v2/role-bindings") {
        ROLE_BINDING_MAX_PAGE
    } else {
        CONFLUENT_MAX_PAGE
    };
    parsed
        .query_pairs_mut()
        .append_pair("page_size", &size.to_string());
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn next_links_are_followed_on_the_same_origin_until_absent() {
        let mut walker = PageWalker::new("http://h:1/iam/v2/users").unwrap();
        let page = json!({"metadata": {"next": "http://h:1/iam/v2/users?page_token=a"}});
        assert_eq!(
            Ok(Some("http://h:1/iam/v2/users?page_token=a".to_string())),
            walker.next(&page)
        );
        assert_eq!(Ok(None), walker.next(&json!({"metadata": {}})));
        assert_eq!(Ok(None), walker.next(&json!({"metadata": {"next": null}})));
    }

    #[test]
    fn a_next_link_to_another_origin_is_refused() {
        let mut walker = PageWalker::new("http://h:1/iam/v2/users").unwrap();
        let page = json!({"metadata": {"next": "http://h:2/iam/v2/users?page_token=a"}});
        let error = walker.next(&page).unwrap_err().to_string();
        assert!(error.contains("leaves the origin http://h:1"), "{error}");
    }

    #[test]
    fn a_repeating_next_link_is_a_loop() {
        let mut walker = PageWalker::new("http://h:1/x").unwrap();
        let page = json!({"metadata": {"next": "http://h:1/x?t=1"}});
        walker.next(&page).unwrap();
        assert!(
            walker
                .next(&page)
                .unwrap_err()
                .to_string()
                .contains("loops")
        );
        let mut walker = PageWalker::new("http://h:1/x").unwrap();
        assert!(
            walker
                .next(&json!({"metadata": {"next": "http://h:1/x"}}))
                .is_err()
        );
    }

    #[test]
    fn confluent_lists_ask_for_their_largest_page() {
        let origin = url::Url::parse("http://h:1").unwrap().origin();
        assert_eq!(
            "http://h:1/iam/v2/users?page_size=100",
            with_largest_page_size("http://h:1/iam/v2/users", &origin)
        );
        assert_eq!(
            "http://h:1/iam/v2/role-bindings?crn_pattern=c&page_size=1000",
            with_largest_page_size("http://h:1/iam/v2/role-bindings?crn_pattern=c", &origin)
        );
        assert_eq!(
            "http://h:1/iam/v2/users?page_size=5",
            with_largest_page_size("http://h:1/iam/v2/users?page_size=5", &origin)
        );
        assert_eq!(
            "http://other/iam/v2/users",
            with_largest_page_size("http://other/iam/v2/users", &origin)
        );
    }
}
