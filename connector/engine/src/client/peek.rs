//! Reading one value out of JSON text without building the rest of it: the
//! pager finds a page's next link this way, so that the next page is on its
//! way before this one is parsed in full.

use serde_json::Value;

use super::projection::Projection;
use crate::dialect::mapping::{Segment, lookup};

/// The value at `path` in the JSON `text`, as [`lookup`] finds it in the
/// parsed document (the last of repeated keys wins), or `None` when nothing
/// is there. Fails when `text` is not one JSON value.
pub fn value_at(text: &[u8], path: &[Segment]) -> Result<Option<Value>, serde_json::Error> {
    let mut reads = Projection::default();
    reads.keep(path);
    let kept = reads.parse(text)?;
    Ok(lookup(&kept, path).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segments: &[&str]) -> Vec<Segment> {
        let segment = |s: &&str| match s.parse() {
            Ok(index) => Segment::Index(index),
            Err(_) => Segment::Field(s.to_string()),
        };
        segments.iter().map(segment).collect()
    }

    #[test]
    fn the_value_at_a_path_is_what_lookup_finds_in_the_parsed_document() {
        let text = r#"{"data": [{"id": "u-1"}, {"id": "u-2", "n": [1, {"x": null}]}],
            "metadata": {"next": "http://t/l?p=2", "total_size": 7, "next": "http://t/l?p=3"},
            "flag": true, "s": "text", "f": 1.5, "neg": -3}"#;
        let parsed: Value = serde_json::from_str(text).unwrap();
        for segments in [
            &["metadata", "next"][..],
            &["metadata", "total_size"],
            &["data", "1", "id"],
            &["data", "1", "n", "1"],
            &["data", "1", "n", "1", "x"],
            &["data", "5"],
            &["data", "id"],
            &["metadata", "0"],
            &["flag", "x"],
            &["s", "x"],
            &["f"],
            &["neg"],
            &["missing"],
            &[],
        ] {
            let path = path(segments);
            assert_eq!(
                lookup(&parsed, &path).cloned(),
                value_at(text.as_bytes(), &path).unwrap(),
                "at {segments:?}"
            );
        }
    }

    #[test]
    fn text_that_is_not_one_json_value_fails() {
        let next = path(&["metadata", "next"]);
        for text in [
            "<html>502</html>",
            r#"{"metadata": {"next": "x"}"#,
            r#"{"metadata": {}} {}"#,
            r#"{"data": [1, 2,], "metadata": {}}"#,
        ] {
            assert!(value_at(text.as_bytes(), &next).is_err(), "{text}");
        }
    }
}
