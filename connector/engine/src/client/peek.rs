//! Reading one value out of JSON text without building the rest of it: the
//! pager finds a page's next link this way, so that the next page is on its
//! way before this one is parsed in full.

use std::fmt;

use serde::Deserialize as _;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::dialect::mapping::Segment;

/// The value at `path` in the JSON `text`, as [`lookup`] would find it in the
/// parsed document (the last of repeated keys wins), or `None` when nothing
/// is there. Fails when `text` is not one JSON value.
///
/// [`lookup`]: crate::dialect::mapping::lookup
pub fn value_at(text: &[u8], path: &[Segment]) -> Result<Option<Value>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let found = At(path).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(found)
}

/// Finds the value at the path it holds, skipping everything else.
struct At<'p>(&'p [Segment]);

impl<'de> DeserializeSeed<'de> for At<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match self.0.split_first() {
            None => Value::deserialize(deserializer).map(Some),
            Some((segment, rest)) => deserializer.deserialize_any(Step { segment, rest }),
        }
    }
}

/// One step down the path: a field of an object or an item of an array.
/// Anything else holds nothing at the path.
struct Step<'p> {
    segment: &'p Segment,
    rest: &'p [Segment],
}

impl<'de> Visitor<'de> for Step<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if matches!(self.segment, Segment::Field(name) if *name == key) {
                found = map.next_value_seed(At(self.rest))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        for position in 0.. {
            let item = match self.segment {
                Segment::Index(index) if *index == position => seq
                    .next_element_seed(At(self.rest))?
                    .map(|item| found = item),
                _ => seq.next_element::<IgnoredAny>()?.map(drop),
            };
            if item.is_none() {
                break;
            }
        }
        Ok(found)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::mapping::lookup;

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
