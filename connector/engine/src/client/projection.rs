//! Reading only the parts of a page that a walk uses.
//!
//! A list's page carries far more than an import maps: a Confluent user has
//! twelve fields and nested metadata, of which the seed maps four. Parsing the
//! whole page into a [`Value`] allocates every key and string and then drops
//! them. A [`Projection`] names the paths a walk reads (its list, the
//! columns of each item, the pager's link or totals); [`Projection::parse`]
//! builds a [`Value`] that holds exactly those, and skips the rest without
//! allocating. Looking any of the named paths up in it gives what the whole
//! parse gives. Text that is not JSON is refused; the skipped parts are
//! checked for their form but not decoded, so a lone surrogate escape or a
//! number beyond `f64` there, which the whole parse refuses, passes.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::dialect::mapping::Segment;

/// Which parts of a JSON value to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// Keep this value whole.
    whole: bool,
    /// Of an object, the fields to keep, with what to keep of each.
    fields: Vec<(String, Projection)>,
    /// Of an array, what to keep of every item; none keeps only the items'
    /// places (objects empty, arrays of places, scalars as they are).
    items: Option<Box<Projection>>,
}

/// What is kept of a value no path goes into.
static NOTHING: Projection = Projection {
    whole: false,
    fields: Vec::new(),
    items: None,
};

impl Projection {
    /// A projection that keeps the whole value.
    pub fn everything() -> Self {
        Self {
            whole: true,
            ..Self::default()
        }
    }

    /// Keeps the value at `path` whole. An index stands for every item of
    /// its array, so that each keeps its place.
    pub fn keep(&mut self, path: &[Segment]) {
        self.at(path).whole = true;
    }

    /// What is kept of every item of the array at `path`.
    pub fn items_at(&mut self, path: &[Segment]) -> &mut Projection {
        self.at(path).items.get_or_insert_default()
    }

    fn at(&mut self, path: &[Segment]) -> &mut Projection {
        path.iter().fold(self, |node, segment| match segment {
            Segment::Field(name) => node.field(name),
            Segment::Index(_) => node.items.get_or_insert_default(),
        })
    }

    fn field(&mut self, name: &str) -> &mut Projection {
        let index = match self.fields.iter().position(|(field, _)| field == name) {
            Some(index) => index,
            None => {
                self.fields.push((name.to_string(), Projection::default()));
                self.fields.len() - 1
            }
        };
        &mut self.fields[index].1
    }

    /// Parses `text` as JSON, keeping only what this projection names. Text
    /// that is not JSON is refused, with [`serde_json::from_slice`]'s error
    /// where the two meet the fault at the same place.
    pub fn parse(&self, text: &[u8]) -> serde_json::Result<Value> {
        // The skipped strings are not decoded, so UTF-8 is checked up front;
        // text that fails it gets the whole parse's own error.
        let Ok(text) = std::str::from_utf8(text) else {
            return serde_json::from_slice(text);
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let value = Kept(self).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(value)
    }
}

/// A value read under a projection.
struct Kept<'p>(&'p Projection);

impl<'de> DeserializeSeed<'de> for Kept<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.0.whole {
            Value::deserialize(deserializer)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Kept<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let items = self.0.items.as_deref().unwrap_or(&NOTHING);
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Kept(items))? {
            list.push(item);
        }
        Ok(Value::Array(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(field) = map.next_key_seed(FieldName(self.0))? {
            match field {
                Some((name, projection)) => {
                    let value = map.next_value_seed(Kept(projection))?;
                    object.insert(name.clone(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(object))
    }
}

/// An object's key, read as the kept field it names, if any, without
/// allocating it.
struct FieldName<'p>(&'p Projection);

impl<'de, 'p> DeserializeSeed<'de> for FieldName<'p> {
    type Value = Option<&'p (String, Projection)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'p> Visitor<'_> for FieldName<'p> {
    type Value = Option<&'p (String, Projection)>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.fields.iter().find(|(field, _)| field == name))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dialect::mapping::{lookup, parse_path};

    fn path(text: &str) -> Vec<Segment> {
        parse_path(text).unwrap()
    }

    /// A projection of the columns `columns` of the items of `list`, and
    /// `kept` whole.
    fn projection(list: &str, columns: &[&str], kept: &[&str]) -> Projection {
        let mut projection = Projection::default();
        let items = projection.items_at(&path(list));
        for column in columns {
            items.keep(&path(column));
        }
        for kept in kept {
            projection.keep(&path(kept));
        }
        projection
    }

    fn page() -> Value {
        json!({
            "api_version": "iam/v2",
            "kind": "UserList",
            "metadata": {"first": "f", "next": "https://x/next?page_token=t", "total_size": 3},
            "data": [
                {"id": "u-1", "kind": "User", "metadata": {"self": "s", "created_at": "2024-01-02T03:04:05Z"},
                 "email": "a@x", "full_name": "A", "emails": [{"value": "a@x"}, {"value": "b@x"}]},
                {"id": "u-2", "kind": "User", "metadata": {"self": "s2"}, "email": null,
                 "full_name": "B \"quoted\" \u{e9}", "score": 1.5, "count": -3, "ok": true},
                {"id": "u-3", "kind": "User", "metadata": {}, "emails": []},
                "not an object",
                [1, 2]
            ]
        })
    }

    #[test]
    fn every_named_path_reads_as_in_the_whole_parse() {
        let whole = page();
        let text = serde_json::to_vec(&whole).unwrap();
        let columns = [
            "id",
            "full_name",
            "email",
            "metadata.created_at",
            "emails[1].value",
            "score",
            "count",
            "ok",
            "missing.deeper",
        ];
        let kept = ["metadata.next", "metadata.total_size", "absent"];
        let projected = projection("data", &columns, &kept).parse(&text).unwrap();
        let (Some(Value::Array(all)), Some(Value::Array(some))) =
            (whole.get("data"), projected.get("data"))
        else {
            panic!("data is a list in both: {projected}");
        };
        assert_eq!(all.len(), some.len(), "every item keeps its place");
        for (full, item) in all.iter().zip(some) {
            for column in columns {
                assert_eq!(lookup(full, &path(column)), lookup(item, &path(column)));
            }
        }
        for kept in kept {
            assert_eq!(lookup(&whole, &path(kept)), lookup(&projected, &path(kept)));
        }
    }

    #[test]
    fn what_no_path_names_is_left_out() {
        let text = serde_json::to_vec(&page()).unwrap();
        let projected = projection("data", &["id"], &["metadata.next"])
            .parse(&text)
            .unwrap();
        assert_eq!(
            json!({
                "metadata": {"next": "https://x/next?page_token=t"},
                "data": [{"id": "u-1"}, {"id": "u-2"}, {"id": "u-3"}, "not an object", [1, 2]]
            }),
            projected
        );
    }

    #[test]
    fn a_value_kept_whole_keeps_everything_below_it() {
        let text = serde_json::to_vec(&page()).unwrap();
        let projected = projection("data", &["metadata"], &[]).parse(&text).unwrap();
        assert_eq!(
            page()["data"][0]["metadata"],
            projected["data"][0]["metadata"]
        );
        assert_eq!(page(), Projection::everything().parse(&text).unwrap());
    }

    #[test]
    fn a_duplicate_field_keeps_its_last_value_as_the_whole_parse_does() {
        let text = br#"{"data": [{"id": "first", "id": "last"}]}"#;
        let whole: Value = serde_json::from_slice(text).unwrap();
        let projected = projection("data", &["id"], &[]).parse(text).unwrap();
        assert_eq!(whole, projected);
    }

    #[test]
    fn text_that_is_not_json_is_refused_with_the_whole_parse_s_error() {
        let projection = projection("data", &["id"], &[]);
        for text in [
            &b"{\"data\": [{\"id\": \"u-1\"}]"[..],
            b"{\"data\": [], \"skipped\": [1, }",
            b"{\"data\": []} trailing",
            b"{\"skipped\": \"\\q\", \"data\": []}",
            b"{\"skipped\": \"\xff\", \"data\": []}",
            b"",
        ] {
            let whole = serde_json::from_slice::<Value>(text).unwrap_err();
            let projected = projection.parse(text).unwrap_err();
            assert_eq!(whole.to_string(), projected.to_string());
        }
    }

    #[test]
    fn escaped_field_names_are_matched_by_what_they_spell() {
        let text = br#"{"d\u0061ta": [{"\u0069d": "u-1", "x": 1}]}"#;
        let projected = projection("data", &["id"], &[]).parse(text).unwrap();
        assert_eq!(json!({"data": [{"id": "u-1"}]}), projected);
    }
}
