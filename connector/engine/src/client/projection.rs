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
//!
//! The items of a walk's list are read as [`Row`]s instead
//! ([`Projection::rows_at`]): each item gives the values at its columns'
//! paths, in the columns' order, with no object built around them, no key
//! allocated and none hashed.

use std::cell::RefCell;
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
    /// Of an array, its items read as rows of these columns.
    rows: Option<Box<Columns>>,
}

/// What is kept of a value no path goes into.
static NOTHING: Projection = Projection {
    whole: false,
    fields: Vec::new(),
    items: None,
    rows: None,
};

/// One item of a list read as a row: the value at each column's path, in
/// the columns' order, as [`lookup`](crate::dialect::mapping::lookup) finds
/// it in the item; `None` where it finds nothing.
pub type Row = Vec<Option<Value>>;

/// A page read under a projection.
#[derive(Debug, Default)]
pub struct Page {
    /// What the projection keeps of the page. The list read as rows is
    /// left an empty array in it.
    pub body: Value,
    /// The rows of the list [`Projection::rows_at`] names, when the page
    /// holds a list there (the last, if the key repeats).
    pub rows: Option<Vec<Row>>,
}

/// The columns of a row, as a tree of the paths they read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Columns {
    /// How many columns a row has.
    width: usize,
    root: Column,
}

/// The columns at one place of an item, and those further in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Column {
    /// The columns that read the value here whole.
    here: Vec<usize>,
    /// Of an object, the fields columns go into.
    fields: Vec<(String, Column)>,
    /// Of an array, the items columns go into, by index.
    items: Vec<(usize, Column)>,
}

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

    /// Reads every item of the array at `list` as a [`Row`] of the values
    /// at `columns`, which [`Projection::parse_page`] hands back beside the
    /// page.
    pub fn rows_at(&mut self, list: &[Segment], columns: &[&[Segment]]) {
        let mut root = Column::default();
        for (at, path) in columns.iter().enumerate() {
            root.at(path).here.push(at);
        }
        let width = columns.len();
        self.at(list).rows = Some(Box::new(Columns { width, root }));
    }

    fn at(&mut self, path: &[Segment]) -> &mut Projection {
        path.iter().fold(self, |node, segment| match segment {
            Segment::Field(name) => node.field(name),
            Segment::Index(_) => node.items.get_or_insert_default(),
        })
    }

    fn field(&mut self, name: &str) -> &mut Projection {
        child(&mut self.fields, name)
    }

    /// Parses `text` as JSON, keeping only what this projection names. Text
    /// that is not JSON is refused, with [`serde_json::from_slice`]'s error
    /// where the two meet the fault at the same place.
    pub fn parse(&self, text: &[u8]) -> serde_json::Result<Value> {
        self.parse_page(text).map(|page| page.body)
    }

    /// Parses `text` as [`Projection::parse`] does, and reads the list
    /// [`Projection::rows_at`] named as rows.
    pub fn parse_page(&self, text: &[u8]) -> serde_json::Result<Page> {
        // The skipped strings are not decoded, so UTF-8 is checked up front;
        // text that fails it gets the whole parse's own error.
        let Ok(text) = std::str::from_utf8(text) else {
            return serde_json::from_slice(text).map(|body| Page { body, rows: None });
        };
        let rows = RefCell::new(None);
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let body = Kept(self, &rows).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(Page {
            body,
            rows: rows.into_inner(),
        })
    }
}

/// A value read under a projection, with where the rows of its list go.
struct Kept<'p, 'r>(&'p Projection, &'r RefCell<Option<Vec<Row>>>);

impl<'de> DeserializeSeed<'de> for Kept<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.0.whole {
            return Value::deserialize(deserializer);
        }
        if self.0.rows.is_some() {
            // A repeated key's last value wins: rows only if it is a list.
            self.1.replace(None);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Kept<'_, '_> {
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
        if let Some(columns) = &self.0.rows {
            let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(row) = seq.next_element_seed(RowOf(columns))? {
                rows.push(row);
            }
            self.1.replace(Some(rows));
            return Ok(Value::Array(Vec::new()));
        }
        let items = self.0.items.as_deref().unwrap_or(&NOTHING);
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Kept(items, self.1))? {
            list.push(item);
        }
        Ok(Value::Array(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(field) = map.next_key_seed(FieldName(self.0))? {
            match field {
                Some((name, projection)) => {
                    let value = map.next_value_seed(Kept(projection, self.1))?;
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

impl Column {
    fn at(&mut self, path: &[Segment]) -> &mut Column {
        path.iter().fold(self, |node, segment| match segment {
            Segment::Field(name) => child(&mut node.fields, name.as_str()),
            Segment::Index(index) => child(&mut node.items, *index),
        })
    }

    /// Empties this place's columns and those further in.
    fn clear(&self, row: &mut Row) {
        for &at in &self.here {
            row[at] = None;
        }
        let fields = self.fields.iter().map(|(_, column)| column);
        for column in fields.chain(self.items.iter().map(|(_, column)| column)) {
            column.clear(row);
        }
    }

    /// Fills this place's columns, and those further in, from `value`.
    fn fill(&self, value: Option<&Value>, row: &mut Row) {
        for &at in &self.here {
            row[at] = value.cloned();
        }
        for (name, column) in &self.fields {
            column.fill(value.and_then(|value| value.get(name)), row);
        }
        for (index, column) in &self.items {
            column.fill(value.and_then(|value| value.get(index)), row);
        }
    }
}

/// The child under `key` among `children`, added if it is not there.
fn child<K, Q: Default>(children: &mut Vec<(K, Q)>, key: impl PartialEq<K> + Into<K>) -> &mut Q {
    let at = match children.iter().position(|(child, _)| key == *child) {
        Some(at) => at,
        None => {
            children.push((key.into(), Q::default()));
            children.len() - 1
        }
    };
    &mut children[at].1
}

/// One item of a list, read as a row of `columns`.
struct RowOf<'c>(&'c Columns);

impl<'de> DeserializeSeed<'de> for RowOf<'_> {
    type Value = Row;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Row, D::Error> {
        let mut row = vec![None; self.0.width];
        Fill(&self.0.root, &mut row).deserialize(deserializer)?;
        Ok(row)
    }
}

/// A value read into the columns of a row that go into it.
struct Fill<'c, 'r>(&'c Column, &'r mut Row);

impl<'de> DeserializeSeed<'de> for Fill<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let Fill(column, row) = self;
        if column.here.is_empty() {
            return deserializer.deserialize_any(Fill(column, row));
        }
        let value = Value::deserialize(deserializer)?;
        match column.here.split_last() {
            Some((&last, others)) if column.fields.is_empty() && column.items.is_empty() => {
                for &at in others {
                    row[at] = Some(value.clone());
                }
                row[last] = Some(value);
            }
            _ => column.fill(Some(&value), row),
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for Fill<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Fill(column, row) = self;
        for index in 0.. {
            let more = match column.items.iter().find(|(item, _)| *item == index) {
                Some((_, item)) => seq.next_element_seed(Fill(item, row))?.is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                break;
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Fill(column, row) = self;
        while let Some(field) = map.next_key_seed(ColumnField(column))? {
            match field {
                Some(field) => {
                    // A repeated key's last value wins.
                    field.clear(row);
                    map.next_value_seed(Fill(field, row))?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// An object's key, read as the field of `column` it names, if any.
struct ColumnField<'c>(&'c Column);

impl<'de, 'c> DeserializeSeed<'de> for ColumnField<'c> {
    type Value = Option<&'c Column>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'c> Visitor<'_> for ColumnField<'c> {
    type Value = Option<&'c Column>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        let field = self.0.fields.iter().find(|(field, _)| field == name);
        Ok(field.map(|(_, column)| column))
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
        for column in columns {
            // An index stands for every item.
            projection.keep(&path(&format!("{list}[0].{column}")));
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

    /// The rows of `list`'s items, of `columns`.
    fn rows(text: &[u8], list: &str, columns: &[&str]) -> Page {
        let columns: Vec<Vec<Segment>> = columns.iter().map(|c| path(c)).collect();
        let columns: Vec<&[Segment]> = columns.iter().map(Vec::as_slice).collect();
        let mut projection = Projection::default();
        projection.keep(&path("metadata.next"));
        projection.rows_at(&path(list), &columns);
        projection.parse_page(text).unwrap()
    }

    /// What the lookup finds at `columns` in each of the `items` parsed whole.
    fn looked_up(items: &Value, columns: &[&str]) -> Vec<Row> {
        let items = items.as_array().expect("a list");
        let row = |item| {
            columns
                .iter()
                .map(|c| lookup(item, &path(c)).cloned())
                .collect()
        };
        items.iter().map(row).collect()
    }

    #[test]
    fn each_row_holds_what_lookup_finds_at_its_columns() {
        let whole = page();
        let text = serde_json::to_vec(&whole).unwrap();
        let columns = [
            "id",
            "full_name",
            "full_name",
            "metadata",
            "metadata.created_at",
            "emails[1].value",
            "emails[0]",
            "score",
            "ok",
            "missing.deeper",
            "[1]",
        ];
        let page = rows(&text, "data", &columns);
        assert_eq!(Some(looked_up(&whole["data"], &columns)), page.rows);
        assert_eq!(
            json!({"metadata": {"next": "https://x/next?page_token=t"}, "data": []}),
            page.body
        );
    }

    #[test]
    fn a_repeated_key_s_last_value_fills_the_row_as_in_the_whole_parse() {
        let text = br#"{"data": [
            {"id": "first", "m": {"a": 1, "b": 2}, "m": {"b": 3}, "e": [1, 2], "e": 5},
            {"id": "x", "id": null}
        ]}"#;
        let whole: Value = serde_json::from_slice(text).unwrap();
        let columns = ["id", "m.a", "m.b", "e[1]"];
        let expected = looked_up(&whole["data"], &columns);
        assert_eq!(Some(expected), rows(text, "data", &columns).rows);
        // Rows come only from a list, and from the last one.
        let text = br#"{"data": [{"id": 1}], "data": {"id": 2}}"#;
        assert_eq!(None, rows(text, "data", &["id"]).rows);
        let text = br#"{"data": 7, "data": [{"id": 2}]}"#;
        assert_eq!(
            Some(vec![vec![Some(json!(2))]]),
            rows(text, "data", &["id"]).rows
        );
    }

    #[test]
    fn escaped_field_names_are_matched_by_what_they_spell() {
        let text = br#"{"d\u0061ta": [{"\u0069d": "u-1", "x": 1}]}"#;
        let projected = projection("data", &["id"], &[]).parse(text).unwrap();
        assert_eq!(json!({"data": [{"id": "u-1"}]}), projected);
    }
}
