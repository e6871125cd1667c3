//! Walking a list across pages, in any of the [`Paging`] forms.
//!
//! Whatever the form, the pager follows links only on the origin of the first
//! request, never one naming a user or password before its host (which the
//! origin comparison does not see), and fails the run on a page it has already
//! read rather than loop. A link longer than [`MAX_NEXT_LINK`] is the server's
//! fault and is refused; messages quote a server's link or value cut short.

use std::collections::HashSet;

use serde_json::Value;

use super::peek::leading_value_at;
use super::projection::Projection;
use crate::dialect::mapping::{Segment, lookup};
use crate::dialect::urls::has_userinfo;
use crate::error::ConnectorError;
use crate::printable::quoted;

/// The most pages one list may have: a backstop against a target that keeps
/// handing out fresh links (100,000 pages of 100 is ten million records).
pub const MAX_PAGES: usize = 100_000;

/// The longest next-page link the pager follows, in bytes.
pub const MAX_NEXT_LINK: usize = 8 * 1024;

/// How a call's list continues, from its `pagination` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    /// `metadata.next`, with the target's largest page size asked for.
    Automatic,
    /// `pagination.nextUrl.nextUrlPath`: the next URL at a path in the body.
    NextUrl(Vec<Segment>),
    /// `pagination.offset`: `offsetParam`/`batchParam` query parameters.
    Offset {
        /// The query parameter that carries the offset.
        offset_param: String,
        /// The query parameter that carries the batch size.
        batch_param: String,
        /// Records asked for per page.
        batch_size: u64,
        /// Where the body gives the total count, if it does.
        total_count: Option<Vec<Segment>>,
    },
    /// `pagination.page`: a page-number query parameter.
    Page {
        /// The query parameter that carries the page number.
        page_param: String,
        /// The query parameter that carries the page size, if any.
        size_param: Option<String>,
        /// Records per page.
        size: u64,
        /// The number of the first page.
        first: u64,
        /// Where the body gives the number of pages, if it does.
        total_pages: Option<Vec<Segment>>,
    },
}

/// Walks one list.
#[derive(Debug)]
pub struct Pager {
    paging: Paging,
    origin: url::Origin,
    visited: HashSet<String>,
    /// The offset or page number of the current page.
    position: u64,
    /// The link the last peek found, until the page's whole parse confirms it.
    peeked: Option<Peeked>,
}

/// A next link read ahead of the page's whole parse.
#[derive(Debug)]
struct Peeked {
    /// The link as the page wrote it.
    link: Option<String>,
    /// The URL it resolved to, which the pager has followed.
    followed: Option<String>,
}

impl Pager {
    /// A pager for `paging`; returns it with the URL of the first page.
    /// `url` comes from the configuration, so a URL that does not parse is a
    /// configuration error.
    pub fn start(paging: &Paging, url: &str) -> Result<(Self, String), ConnectorError> {
        let parsed = url::Url::parse(url).map_err(|e| {
            ConnectorError::Config(format!("the list URL '{}' is not a URL: {e}", quoted(url)))
        })?;
        if has_userinfo(&parsed) {
            return Err(ConnectorError::Config(
                "a list URL names a user or password before its host; expected none, as the host alone sets credentials".to_string(),
            ));
        }
        let (first, position) = match paging {
            Paging::Automatic | Paging::NextUrl(_) => (url.to_string(), 0),
            Paging::Offset {
                offset_param,
                batch_param,
                batch_size,
                ..
            } => {
                let params = [(offset_param, 0), (batch_param, *batch_size)];
                (with_params(parsed.clone(), &params), 0)
            }
            Paging::Page {
                page_param,
                size_param,
                size,
                first,
                ..
            } => {
                let mut params = vec![(page_param, *first)];
                params.extend(size_param.iter().map(|size_param| (size_param, *size)));
                (with_params(parsed.clone(), &params), *first)
            }
        };
        let pager = Self {
            paging: paging.clone(),
            origin: parsed.origin(),
            visited: HashSet::from([first.clone()]),
            position,
            peeked: None,
        };
        Ok((pager, first))
    }

    /// For the forms whose body names the next page, the URL of the page
    /// after `url` read from its JSON `text` ahead of the page's whole parse
    /// ([`leading_value_at`]), `Some(None)` when the text says there is none.
    /// `None` for the other forms, and when the peek finds nothing it can
    /// follow: text that is not JSON as far as the link, or a link the pager
    /// refuses. The page's whole parse then says why. Once the page is
    /// parsed, [`Pager::correction`] says whether the link stands.
    pub fn next_in_text(&mut self, url: &str, text: &[u8]) -> Option<Option<String>> {
        let (path, what) = self.link_path()?;
        let found = leading_value_at(text, &path).ok()?;
        let link = link(found.as_ref(), what).ok()?;
        let followed = self.follow(url, link.clone()).ok()?;
        self.peeked = Some(Peeked {
            link,
            followed: followed.clone(),
        });
        Some(followed)
    }

    /// After [`Pager::next_in_text`], the page `body`'s own next link when
    /// it is not the one the peek found and followed: a page may repeat
    /// the field that holds it, and the last one wins. `None` when the
    /// peek's link stands.
    pub fn correction(
        &mut self,
        url: &str,
        body: &Value,
    ) -> Result<Option<Option<String>>, ConnectorError> {
        let (Some(peeked), Some((path, what))) = (self.peeked.take(), self.link_path()) else {
            return Ok(None);
        };
        let link = link(lookup(body, &path), what)?;
        if link == peeked.link {
            return Ok(None);
        }
        if let Some(followed) = &peeked.followed {
            self.visited.remove(followed);
        }
        self.follow(url, link).map(Some)
    }

    /// Where the page names the next one, and what to call it in messages,
    /// for the forms whose body does.
    fn link_path(&self) -> Option<(Vec<Segment>, &'static str)> {
        match &self.paging {
            Paging::Automatic => Some((metadata_next().to_vec(), "metadata.next")),
            Paging::NextUrl(path) => Some((path.clone(), "the nextUrlPath")),
            Paging::Offset { .. } | Paging::Page { .. } => None,
        }
    }

    /// `reads`, and what the pager itself reads of each page: the link to
    /// the next one, or the total.
    pub fn reading(&self, reads: &Projection) -> Projection {
        let mut reading = reads.clone();
        match &self.paging {
            Paging::Automatic => reading.keep(&metadata_next()),
            Paging::NextUrl(path)
            | Paging::Offset {
                total_count: Some(path),
                ..
            }
            | Paging::Page {
                total_pages: Some(path),
                ..
            } => reading.keep(path),
            Paging::Offset { .. } | Paging::Page { .. } => {}
        }
        reading
    }

    /// The URL of the page after `url`, whose JSON is `body` and which held
    /// `records` records, or `None` after the last page.
    pub fn next(
        &mut self,
        url: &str,
        body: &Value,
        records: usize,
    ) -> Result<Option<String>, ConnectorError> {
        let records = records as u64;
        let next = match &self.paging {
            Paging::Automatic => link(body.pointer("/metadata/next"), "metadata.next")?,
            Paging::NextUrl(path) => link(lookup(body, path), "the nextUrlPath")?,
            Paging::Offset {
                offset_param,
                batch_param,
                batch_size,
                total_count,
            } => {
                let next = self.position + records;
                let total = total_count
                    .as_ref()
                    .map(|path| count_at(body, path, "totalCountPath"))
                    .transpose()?;
                if records == 0 || records < *batch_size || total.is_some_and(|t| next >= t) {
                    return Ok(None);
                }
                self.position = next;
                let params = [(offset_param, next), (batch_param, *batch_size)];
                Some(with_params(parse(url)?, &params))
            }
            Paging::Page {
                page_param,
                size,
                first,
                total_pages,
                ..
            } => {
                let total = total_pages
                    .as_ref()
                    .map(|path| count_at(body, path, "totalPagesPath"))
                    .transpose()?;
                let pages_read = self.position + 1 - first;
                if records == 0 || records < *size || total.is_some_and(|t| pages_read >= t) {
                    return Ok(None);
                }
                self.position += 1;
                Some(with_params(parse(url)?, &[(page_param, self.position)]))
            }
        };
        self.follow(url, next)
    }

    /// Checks the `next` link found on the page at `url`, and resolves it.
    /// A link it refuses leaves the pager as it was.
    fn follow(
        &mut self,
        url: &str,
        next: Option<String>,
    ) -> Result<Option<String>, ConnectorError> {
        let Some(next) = next else {
            return Ok(None);
        };
        // A link is ASCII, its host in punycode and not percent-encoded:
        // refused before the URL parser sees it, whose host mapping (built
        // without Unicode tables) asserts on upper-case ASCII beside other
        // characters.
        if !next.is_ascii() || encoded_host(&next) {
            let next = quoted(&next);
            return Err(invalid(format!(
                "the next page '{next}' holds characters outside ASCII or a percent-encoded host; expected a percent-encoded link with an ASCII host"
            )));
        }
        let next = parse(url)?.join(&next).map_err(|e| {
            let next = quoted(&next);
            invalid(format!("the next page '{next}' is not a URL: {e}"))
        })?;
        if has_userinfo(&next) {
            return Err(invalid(format!(
                "the next page on {} names a user or password before its host; not followed",
                next.origin().ascii_serialization()
            )));
        }
        if next.origin() != self.origin {
            return Err(invalid(format!(
                "the next page '{}' leaves the origin {}; not followed",
                quoted(next.as_str()),
                self.origin.ascii_serialization()
            )));
        }
        let next = next.to_string();
        if self.visited.contains(&next) {
            return Err(invalid(format!(
                "the next page '{}' repeats an earlier page; the list loops",
                quoted(&next)
            )));
        }
        if self.visited.len() >= MAX_PAGES {
            return Err(invalid(format!("the list has more than {MAX_PAGES} pages")));
        }
        self.visited.insert(next.clone());
        Ok(Some(next))
    }
}

/// Where an automatic list's page names the next one.
fn metadata_next() -> [Segment; 2] {
    [
        Segment::Field("metadata".into()),
        Segment::Field("next".into()),
    ]
}

/// Whether `link` names a host (after `//`, before its path, query or
/// fragment) that holds a `%`.
fn encoded_host(link: &str) -> bool {
    let before_query = &link[..link.find(['?', '#']).unwrap_or(link.len())];
    let Some(start) = before_query.find("//") else {
        return false;
    };
    let authority = &before_query[start + 2..];
    let end = authority.find(['/', '\\']).unwrap_or(authority.len());
    authority[..end].contains('%')
}

fn invalid(message: String) -> ConnectorError {
    ConnectorError::InvalidResponse(message)
}

/// The next-page link `what` found: absent, null or empty ends the list; one
/// longer than [`MAX_NEXT_LINK`] is refused.
fn link(found: Option<&Value>, what: &str) -> Result<Option<String>, ConnectorError> {
    match found {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(next)) if next.is_empty() => Ok(None),
        Some(Value::String(next)) if next.len() > MAX_NEXT_LINK => Err(invalid(format!(
            "{what} is {} bytes long; expected a link of at most {MAX_NEXT_LINK} bytes; not followed: '{}'",
            next.len(),
            quoted(next)
        ))),
        Some(Value::String(next)) => Ok(Some(next.clone())),
        Some(other) => Err(invalid(format!(
            "{what} is {}; expected a URL",
            quoted(&other.to_string())
        ))),
    }
}

fn count_at(body: &Value, path: &[Segment], what: &str) -> Result<u64, ConnectorError> {
    let found = lookup(body, path);
    let count = match found {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    count.ok_or_else(|| {
        let holds = found.map_or("nothing".to_string(), |value| quoted(&value.to_string()));
        invalid(format!("the {what} holds {holds}; expected a whole number"))
    })
}

/// `url` with each query parameter set (replacing any earlier value).
fn with_params(mut url: url::Url, params: &[(&String, u64)]) -> String {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !params.iter().any(|(name, _)| *name == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(params.iter().map(|(name, value)| (name, value.to_string())));
    url.to_string()
}

/// The URL of a page the pager reached.
fn parse(url: &str) -> Result<url::Url, ConnectorError> {
    url::Url::parse(url).map_err(|e| invalid(format!("'{}' is not a URL: {e}", quoted(url))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::mapping::parse_path;
    use serde_json::json;

    fn start(paging: &Paging, url: &str) -> (Pager, String) {
        Pager::start(paging, url).unwrap()
    }

    #[test]
    fn next_links_are_followed_on_the_same_origin_until_absent() {
        let (mut pager, first) = start(&Paging::Automatic, "http://h:1/iam/v2/users");
        let page = json!({"metadata": {"next": "http://h:1/iam/v2/users?page_token=a"}});
        assert_eq!(
            Ok(Some("http://h:1/iam/v2/users?page_token=a".to_string())),
            pager.next(&first, &page, 1)
        );
        assert_eq!(Ok(None), pager.next(&first, &json!({"metadata": {}}), 1));
        assert_eq!(
            Ok(None),
            pager.next(&first, &json!({"metadata": {"next": null}}), 1)
        );
    }

    #[test]
    fn a_next_link_to_another_origin_is_refused() {
        let (mut pager, first) = start(&Paging::Automatic, "http://h:1/iam/v2/users");
        let page = json!({"metadata": {"next": "http://h:2/iam/v2/users?page_token=a"}});
        let error = pager.next(&first, &page, 1).unwrap_err().to_string();
        assert!(error.contains("leaves the origin http://h:1"), "{error}");
    }

    #[test]
    fn a_link_with_a_user_or_password_is_refused() {
        for next in [
            "http://u@h:1/iam/v2/users?page_token=a",
            "http://u:secret@h:1/iam/v2/users?page_token=a",
            "//u@h:1/iam/v2/users",
        ] {
            let (mut pager, first) = start(&Paging::Automatic, "http://h:1/iam/v2/users");
            let page = json!({"metadata": {"next": next}});
            let error = pager.next(&first, &page, 1).unwrap_err();
            assert_eq!(
                ConnectorError::InvalidResponse(
                    "the next page on http://h:1 names a user or password before its host; not followed".into()
                ),
                error,
                "{next}"
            );
            assert!(!error.to_string().contains("secret"));
        }
        let error = Pager::start(&Paging::Automatic, "http://u@h:1/iam/v2/users").unwrap_err();
        assert!(matches!(error, ConnectorError::Config(_)), "{error}");
    }

    #[test]
    fn a_link_outside_ascii_or_with_an_encoded_host_is_refused_before_it_is_parsed() {
        // Found by the pages fuzz target: a host mixing upper-case ASCII with
        // other characters, or percent-encoding them, tripped an assertion in
        // the URL parser's host mapping.
        for next in [
            "htTp://127.0.0.10F%FFFFFFFFFFF}'}}}",
            "//h%C3%A4:1/x",
            "Http://1(7.0.0.1:_s@nks=SShYz\u{330}\u{294}x",
            "/users?name=Jos\u{e9}",
        ] {
            let (mut pager, first) = start(&Paging::Automatic, "http://h:1/iam/v2/users");
            let page = json!({"metadata": {"next": next}});
            let error = pager.next(&first, &page, 1).unwrap_err().to_string();
            assert!(
                error.contains("outside ASCII or a percent-encoded host"),
                "{error}"
            );
            // The peek follows nothing it would refuse, and leaves the
            // refusal to the page's whole parse.
            assert_eq!(
                None,
                pager.next_in_text(&first, page.to_string().as_bytes())
            );
        }
        let (mut pager, first) = start(&Paging::Automatic, "http://h:1/iam/v2/users");
        let page = json!({"metadata": {"next": "http://h:1/iam/v2/us%65rs?q=a%20b//c%2F"}});
        assert!(pager.next(&first, &page, 1).unwrap().is_some());
    }

    #[test]
    fn a_repeating_next_link_is_a_loop() {
        let (mut pager, first) = start(&Paging::Automatic, "http://h:1/x");
        let page = json!({"metadata": {"next": "http://h:1/x?t=1"}});
        pager.next(&first, &page, 1).unwrap();
        let error = pager.next(&first, &page, 1).unwrap_err().to_string();
        assert!(error.contains("loops"), "{error}");
        let (mut pager, first) = start(&Paging::Automatic, "http://h:1/x");
        assert!(
            pager
                .next(&first, &json!({"metadata": {"next": "http://h:1/x"}}), 1)
                .is_err()
        );
    }

    #[test]
    fn a_next_url_path_may_be_relative() {
        let paging = Paging::NextUrl(parse_path("links.next").unwrap());
        let (mut pager, first) = start(&paging, "http://h:1/api/users?x=1");
        let next = pager.next(
            &first,
            &json!({"links": {"next": "/api/users?cursor=b"}}),
            5,
        );
        assert_eq!(Ok(Some("http://h:1/api/users?cursor=b".to_string())), next);
        assert_eq!(Ok(None), pager.next(&first, &json!({"links": {}}), 5));
    }

    #[test]
    fn offsets_advance_by_the_records_read_until_the_total() {
        let paging = Paging::Offset {
            offset_param: "offset".into(),
            batch_param: "limit".into(),
            batch_size: 2,
            total_count: Some(parse_path("total").unwrap()),
        };
        let (mut pager, first) = start(&paging, "http://h:1/api/users?offset=9&q=a");
        assert_eq!("http://h:1/api/users?q=a&offset=0&limit=2", first);
        let second = pager
            .next(&first, &json!({"total": 5}), 2)
            .unwrap()
            .unwrap();
        assert_eq!("http://h:1/api/users?q=a&offset=2&limit=2", second);
        let third = pager
            .next(&second, &json!({"total": 5}), 2)
            .unwrap()
            .unwrap();
        assert_eq!("http://h:1/api/users?q=a&offset=4&limit=2", third);
        assert_eq!(Ok(None), pager.next(&third, &json!({"total": 5}), 1));
        // Without a total, a full page asks for another; an empty one ends.
        let paging = Paging::Offset {
            offset_param: "offset".into(),
            batch_param: "limit".into(),
            batch_size: 2,
            total_count: None,
        };
        let (mut pager, first) = start(&paging, "http://h:1/api/users");
        assert!(pager.next(&first, &json!([]), 2).unwrap().is_some());
        assert_eq!(Ok(None), pager.next(&first, &json!([]), 0));
    }

    #[test]
    fn pages_count_up_until_a_short_page_or_the_page_total() {
        let paging = Paging::Page {
            page_param: "page".into(),
            size_param: Some("per_page".into()),
            size: 2,
            first: 1,
            total_pages: Some(parse_path("meta.pages").unwrap()),
        };
        let (mut pager, first) = start(&paging, "http://h:1/api/groups");
        assert_eq!("http://h:1/api/groups?page=1&per_page=2", first);
        let body = json!({"meta": {"pages": "2"}});
        let second = pager.next(&first, &body, 2).unwrap().unwrap();
        assert_eq!("http://h:1/api/groups?per_page=2&page=2", second);
        assert_eq!(Ok(None), pager.next(&second, &body, 2));
        let error = pager
            .next(&second, &json!({"meta": {}}), 2)
            .unwrap_err()
            .to_string();
        assert!(error.contains("totalPagesPath holds nothing"), "{error}");
    }

    #[test]
    fn a_list_url_that_does_not_parse_is_a_config_error_naming_it() {
        for url in ["http://[bad/iam/v2/users", "no scheme at all", ""] {
            let error = Pager::start(&Paging::Automatic, url).unwrap_err();
            let ConnectorError::Config(message) = &error else {
                panic!("{url}: {error:?}");
            };
            assert!(message.contains(&format!("'{url}'")), "{message}");
        }
        let long = format!("http://[{}", "a".repeat(10_000));
        let error = Pager::start(&Paging::Automatic, &long).unwrap_err();
        assert!(matches!(error, ConnectorError::Config(_)), "{error:?}");
        assert!(error.to_string().len() < 400, "{error}");
    }

    #[test]
    fn an_over_long_next_link_is_the_servers_fault_and_quoted_short() {
        let (mut pager, first) = start(&Paging::Automatic, "http://h:1/iam/v2/users");
        let huge = format!("http://h:1/iam/v2/users?page_token={}", "x".repeat(5 << 20));
        let page = json!({"metadata": {"next": huge}});
        let error = pager.next(&first, &page, 1).unwrap_err();
        let ConnectorError::InvalidResponse(message) = &error else {
            panic!("{error:?}");
        };
        assert!(message.len() < 400, "{} bytes", message.len());
        assert!(
            message.contains(&format!("{} bytes long", huge.len())),
            "{message}"
        );
        assert!(
            message.contains("http://h:1/iam/v2/users?page_token=xxx"),
            "{message}"
        );
        assert!(message.ends_with("…'"), "{message}");
        let longest = format!("http://h:1/x?t={}", "y".repeat(MAX_NEXT_LINK - 15));
        assert_eq!(MAX_NEXT_LINK, longest.len());
        let page = json!({"metadata": {"next": longest}});
        assert_eq!(Ok(Some(longest)), pager.next(&first, &page, 1));
    }

    #[test]
    fn errors_quote_a_servers_link_or_value_cut_short() {
        let long = "z".repeat(MAX_NEXT_LINK - 100);
        // Each page, and how many times it is read before the error: the
        // same link read twice is a loop.
        let cases = [
            (
                json!({"metadata": {"next": format!("http://h:2/{long}")}}),
                1,
            ),
            (
                json!({"metadata": {"next": format!("http://h:1/{long}")}}),
                2,
            ),
            (
                json!({"metadata": {"next": format!("http://[{long}\n")}}),
                1,
            ),
            (json!({"metadata": {"next": [&long, &long]}}), 1),
        ];
        for (page, reads) in cases {
            let (mut pager, first) = start(&Paging::Automatic, "http://h:1/x");
            for _ in 1..reads {
                pager.next(&first, &page, 1).unwrap();
            }
            let error = pager.next(&first, &page, 1).unwrap_err().to_string();
            assert!(error.len() < 400, "{error}");
            assert!(error.contains("zzz…"), "{error}");
            assert!(!error.contains('\n'), "{error}");
        }
        let paging = Paging::Page {
            page_param: "page".into(),
            size_param: None,
            size: 1,
            first: 1,
            total_pages: Some(parse_path("pages").unwrap()),
        };
        let (mut pager, first) = start(&paging, "http://h:1/x");
        let error = pager
            .next(&first, &json!({"pages": long}), 1)
            .unwrap_err()
            .to_string();
        assert!(error.len() < 400 && error.contains("zzz…"), "{error}");
    }
}
