//! Pagination links: a page's JSON text, read for its next link both ways
//! the pager can (the peek at one path, which stops after the path's
//! top-level field, and the lookup in the fully parsed page), in each paging
//! form.
//!
//! The input's first line is a `nextUrlPath` (when it is not one, the
//! automatic `metadata.next` form is used) and the rest is the page.
//! Properties: when the page parses, the peek reads it if it is an object,
//! and finds what the lookup finds in the page written again without
//! repeated keys; the pager's early next link (`next_in_text`), as the
//! page's parse corrects it (`correction`), is exactly the one it finds from
//! the parsed page (`next`), error or link; a link followed stays on the
//! first page's origin; the offset and page-number forms never panic,
//! whatever the counts. A walk's projection of a page that parses reads the
//! same at every path it keeps, and its rows hold what the lookup finds in
//! each item.

use connector_engine::client::pages::{Pager, Paging};
use connector_engine::client::peek::leading_value_at;
use connector_engine::client::projection::Projection;
use connector_engine::dialect::mapping::{Segment, lookup, parse_path};
use serde_json::Value;

use crate::first_line;

/// The list the pages belong to.
const FIRST: &str = "http://127.0.0.1:18080/iam/v2/users?page_size=100";

/// Reads the page in `data` with the path it starts with.
pub fn check(data: &[u8]) {
    let (path, text) = first_line(data);
    let next_url = std::str::from_utf8(path)
        .ok()
        .and_then(|path| parse_path(path).ok());
    let parsed = serde_json::from_slice::<Value>(text).ok();
    let metadata_next = [
        Segment::Field("metadata".into()),
        Segment::Field("next".into()),
    ];
    let path = next_url.as_deref().unwrap_or(&metadata_next);
    let peeked = leading_value_at(text, path);
    if let Some(page) = &parsed {
        // It reads a page that parses if and only if the page is an object
        // or the path does not start with a field (then the page is read
        // whole), and it reads the page written again (its repeated keys
        // gone) as the lookup does.
        let reads = page.is_object() || !matches!(path.first(), Some(Segment::Field(_)));
        assert_eq!(reads, peeked.is_ok(), "{peeked:?}");
        let written = serde_json::to_vec(page).unwrap();
        match leading_value_at(&written, path) {
            Ok(peeked) => assert_eq!(lookup(page, path), peeked.as_ref()),
            Err(error) => assert!(!reads, "{error}"),
        }
    }
    check_projection(text, path, parsed.as_ref());
    let paging = match next_url {
        Some(path) => Paging::NextUrl(path),
        None => Paging::Automatic,
    };
    let (mut early, first) = Pager::start(&paging, FIRST).unwrap();
    let (mut late, _) = Pager::start(&paging, FIRST).unwrap();
    let from_text = early.next_in_text(&first, text);
    if let Some(page) = &parsed {
        let from_page = late.next(&first, page, 1);
        let settled = match from_text {
            Some(peeked) => early
                .correction(&first, page)
                .map(|instead| instead.unwrap_or(peeked)),
            None => early.next(&first, page, 1),
        };
        assert_eq!(from_page, settled);
        if let Ok(Some(next)) = from_page {
            assert!(next.starts_with("http://127.0.0.1:18080/"), "{next}");
            // The same page read again gives the same link: a loop.
            assert!(late.next(&first, page, 1).is_err());
        }
    }
    let Some(page) = parsed else {
        return;
    };
    let counted = [
        Paging::Offset {
            offset_param: "offset".into(),
            batch_param: "limit".into(),
            batch_size: 100,
            total_count: Some(parse_path("metadata.total_size").unwrap()),
        },
        Paging::Page {
            page_param: "page".into(),
            size_param: Some("size".into()),
            size: 100,
            first: 1,
            total_pages: Some(parse_path("metadata.total_pages").unwrap()),
        },
    ];
    let records = page
        .get("data")
        .and_then(Value::as_array)
        .map_or(100, Vec::len);
    for paging in counted {
        let (mut pager, first) = Pager::start(&paging, FIRST).unwrap();
        assert_eq!(None, pager.next_in_text(&first, text));
        let mut url = first;
        for _ in 0..3 {
            match pager.next(&url, &page, records) {
                Ok(Some(next)) => url = next,
                _ => break,
            }
        }
    }
}

/// A walk's projection of the page, keeping `path` and `path` in every item
/// of `data`: a page that parses is read by it, and each of those paths holds
/// what it holds in the parsed page. Only a page the full parse refuses may
/// be refused. Read as rows of `path` (twice), `data` gives a row for each of
/// its items, holding what the lookup finds there.
fn check_projection(text: &[u8], path: &[Segment], parsed: Option<&Value>) {
    let data = [Segment::Field("data".into())];
    let mut reads = Projection::default();
    reads.keep(path);
    // An index stands for every item.
    reads.keep(&[&data[..], &[Segment::Index(0)], path].concat());
    let projected = reads.parse(text);
    let mut rows = Projection::default();
    rows.rows_at(&data, &[path, path]);
    let rows = rows.parse_page(text);
    let Some(page) = parsed else {
        return;
    };
    let kept = projected.expect("a page that parses is read through a projection");
    assert_eq!(lookup(page, path), lookup(&kept, path));
    let items = |page| match lookup(page, &data) {
        Some(Value::Array(items)) => Some(items.len()),
        _ => None,
    };
    assert_eq!(items(page), items(&kept));
    for index in 0..items(page).unwrap_or(0) {
        let item = |page: &Value| page["data"][index].clone();
        assert_eq!(lookup(&item(page), path), lookup(&item(&kept), path));
    }
    let rows = rows.expect("a page that parses is read as rows").rows;
    let expected = match lookup(page, &data) {
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| vec![lookup(item, path).cloned(); 2])
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    assert_eq!(expected, rows);
}
