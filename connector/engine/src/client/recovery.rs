//! Looking up what a create made when its response was lost: the target
//! says how to search for an object by its natural key ([`Recovery`]), and
//! the client walks those lists.

use serde_json::Value;

use crate::client::{Client, HttpResponse};
use crate::error::ConnectorError;

/// How to find what a create would have made.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The lists to search, in order; the first match wins.
    pub searches: Vec<Search>,
    /// The headers of the searches.
    pub headers: Vec<(String, String)>,
}

/// One list to search for a created object.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// The first page of the list.
    pub url: String,
    /// JSON pointers into an item and the values they must hold.
    pub fields: Vec<(&'static str, String)>,
    /// Whether the values compare without regard to case.
    pub ignore_case: bool,
    /// Turns a found item into the shape the create would have answered.
    pub reshape: Option<fn(&Value) -> Value>,
}

impl Search {
    fn matches(&self, item: &Value) -> bool {
        self.fields.iter().all(|(pointer, wanted)| {
            item.pointer(pointer)
                .and_then(Value::as_str)
                .is_some_and(|found| {
                    found == wanted || self.ignore_case && found.eq_ignore_ascii_case(wanted)
                })
        })
    }
}

impl Client<'_> {
    /// Looks for what a create would have made; a found object comes back
    /// as a 200 response holding it, as if the create had answered.
    pub async fn recover(
        &self,
        recovery: &Recovery,
    ) -> Result<Option<HttpResponse>, ConnectorError> {
        for search in &recovery.searches {
            let matches = |item: &Value| search.matches(item);
            let found = self
                .find_in_list(&search.url, &recovery.headers, true, matches)
                .await?;
            if let Some(found) = found.first() {
                let object = search.reshape.map_or_else(|| found.clone(), |f| f(found));
                return Ok(Some(HttpResponse {
                    status: 200,
                    headers: Vec::new(),
                    body: object.to_string().into_bytes(),
                }));
            }
        }
        Ok(None)
    }
}
