//! Reading one value out of JSON text without reading the rest of it: the
//! pager finds a page's next link this way, so that the next page is on its
//! way before this one is parsed in full.
//!
//! A list's page names the next one in a small object ahead of its items
//! (Confluent's `metadata` comes before `data`), so the peek stops at the
//! end of the first top-level field its path goes through, and never scans
//! the items. What it finds is a guess: the rest of the text may repeat that
//! field, and the last of repeated keys wins, or not be JSON at all. The
//! page's whole parse has the last word ([`crate::client::pages::Pager::correction`]).

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::projection::Projection;
use crate::dialect::mapping::{Segment, lookup};

/// Why the peek stopped reading: it had what it came for.
const FOUND: &str = "the peeked field was read";

/// The value at `path` in the JSON `text`, as [`lookup`] finds it in the
/// first occurrence of the path's top-level field, read up to the end of
/// that field's value; `None` when nothing is there. Fails when the text is
/// not a JSON object up to there (or, when the field is not there, all of
/// it).
pub fn leading_value_at(text: &[u8], path: &[Segment]) -> Result<Option<Value>, serde_json::Error> {
    // What is not text, or whose path does not start with a field, is read
    // whole, as the page's whole parse reads it.
    let (Ok(text), Some((Segment::Field(first), rest))) =
        (std::str::from_utf8(text), path.split_first())
    else {
        let mut reads = Projection::default();
        reads.keep(path);
        return Ok(lookup(&reads.parse(text)?, path).cloned());
    };
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = deserializer.deserialize_map(UpToField {
        name: first,
        found: &mut found,
    });
    if let Some(value) = found {
        return Ok(lookup(&value, rest).cloned());
    }
    read?;
    deserializer.end()?;
    Ok(None)
}

/// Reads a top-level object until its field `name` has been read into
/// `found`, then stops with [`FOUND`]. Any other top-level value fails the
/// peek, and the page's whole parse reads it.
struct UpToField<'a> {
    name: &'a str,
    found: &'a mut Option<Value>,
}

impl<'de> Visitor<'de> for UpToField<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(wanted) = map.next_key_seed(IsField(self.name))? {
            if wanted {
                *self.found = Some(map.next_value()?);
                return Err(de::Error::custom(FOUND));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// An object's key, read as whether it is the field named, without
/// allocating it.
struct IsField<'a>(&'a str);

impl<'de> de::DeserializeSeed<'de> for IsField<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for IsField<'_> {
    type Value = bool;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E>(self, name: &str) -> Result<bool, E> {
        Ok(name == self.0)
    }
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
            "flag": true, "s": "text", "f": 1.5, "neg": -3, "d\u0061t": 1}"#;
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
            &["dat"],
            &["missing"],
            &["0"],
            &[],
        ] {
            let path = path(segments);
            assert_eq!(
                lookup(&parsed, &path).cloned(),
                leading_value_at(text.as_bytes(), &path).unwrap(),
                "at {segments:?}"
            );
        }
    }

    #[test]
    fn the_peek_stops_after_the_field_it_reads() {
        let next = path(&["metadata", "next"]);
        // What follows the field is not read: not its repeats, not its faults.
        for text in [
            r#"{"metadata": {"next": "x"}, "metadata": {"next": "y"}}"#,
            r#"{"metadata": {"next": "x"}, "data": [1, 2,]"#,
            r#"{"metadata": {"next": "x"}"#,
        ] {
            let found = leading_value_at(text.as_bytes(), &next).unwrap();
            assert_eq!(Some(Value::from("x")), found, "{text}");
        }
    }

    #[test]
    fn text_that_is_not_json_up_to_the_field_fails() {
        let next = path(&["metadata", "next"]);
        for text in [
            "<html>502</html>",
            r#"[{"metadata": {"next": "x"}}]"#,
            r#"{"data": [], "other": {}} {}"#,
            r#"{"data": [1, 2,], "metadata": {}}"#,
            r#"{"metadata": {"next": "x",}}"#,
        ] {
            assert!(leading_value_at(text.as_bytes(), &next).is_err(), "{text}");
        }
    }
}
