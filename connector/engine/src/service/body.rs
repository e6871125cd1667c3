//! What the service's request bodies hold: configuration documents, an
//! import's options followed by the previous state, or a provisioning
//! request document. Every error names the JSON path it found wrong.

use serde_json::{Map, Value};

use super::Refusal;
use crate::model::{AttributeValue, Attributes};
use crate::provision::ProvisionRequest;

/// The most bytes an import's head (its JSON before the state) may take.
pub const MAX_HEAD: usize = 4 * 1024 * 1024;

/// Configuration documents a request brings, by name (such as
/// `ImportAccountEntJSON`): each document as JSON, or as a string of JSON
/// text. Each replaces the built-in default of its name, as the CLI's
/// `--config` folder does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Documents(Vec<(String, String)>);

impl Documents {
    /// The documents as `(name, JSON text)`, as the engine loads them.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The documents a host's configuration store holds under `key`: the
    /// JSON text of an object by name, as a request's `documents`. A
    /// problem there is the host's (a 500), and names the key.
    pub fn from_store(text: &str, key: &str) -> Result<Self, Refusal> {
        let the_hosts = |refusal: Refusal| Refusal {
            status: 500,
            message: format!("the host's configuration '{key}': {}", refusal.message),
        };
        let value: Value = serde_json::from_str(text)
            .map_err(|e| the_hosts(Refusal::bad_request(format!("not JSON: {e}"))))?;
        let holder = Map::from_iter([("documents".to_string(), value)]);
        Self::read(&holder).map_err(the_hosts)
    }

    /// These documents, each replaced by the one of its name in `over`, and
    /// `over`'s others after them.
    pub fn replaced_by(mut self, over: Self) -> Self {
        self.0
            .retain(|(name, _)| !over.0.iter().any(|(replacing, _)| replacing == name));
        self.0.extend(over.0);
        self
    }

    /// Reads the `documents` member of `request`, if it has one.
    fn read(request: &Map<String, Value>) -> Result<Self, Refusal> {
        let Some(documents) = request.get("documents") else {
            return Ok(Self::default());
        };
        let documents = object(documents, "documents")?;
        let text = |(name, value): (&String, &Value)| match value {
            Value::String(text) => Ok((name.clone(), text.clone())),
            Value::Object(_) => Ok((name.clone(), value.to_string())),
            other => Err(wrong(
                &format!("documents.{name}"),
                "a JSON object or a string of JSON",
                other,
            )),
        };
        Ok(Self(documents.iter().map(text).collect::<Result<_, _>>()?))
    }
}

/// A describe or check body: the documents, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallBody {
    /// The documents.
    pub documents: Documents,
}

impl CallBody {
    /// Reads a describe or check body; an empty one asks for the defaults.
    pub fn read(body: &[u8]) -> Result<Self, Refusal> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let request = parse(body)?;
        let request = members(&request, "the request", &["documents"])?;
        Ok(Self {
            documents: Documents::read(request)?,
        })
    }
}

/// The JSON an import request starts with; the previous state, as the last
/// successful import streamed it, may follow it in the same body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportHead {
    /// The documents.
    pub documents: Documents,
    /// Emit only what changed since the state that follows.
    pub incremental: bool,
}

impl ImportHead {
    /// Reads the head from the start of `body`, which may hold only part of
    /// the request so far: `None` until the head is whole. Returns the head
    /// and how many bytes it took; what follows is the state.
    pub fn read(body: &[u8]) -> Result<Option<(Self, usize)>, Refusal> {
        let mut heads = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
        match heads.next() {
            None if body.len() > MAX_HEAD => Err(too_long()),
            None => Ok(None),
            Some(Err(e)) if e.is_eof() && body.len() <= MAX_HEAD => Ok(None),
            Some(Err(e)) if e.is_eof() => Err(too_long()),
            Some(Err(e)) => Err(Refusal::bad_request(format!(
                "the request does not start with a JSON object: {e}"
            ))),
            Some(Ok(head)) => {
                let request = members(&head, "the request", &["documents", "incremental"])?;
                let head = Self {
                    documents: Documents::read(request)?,
                    incremental: flag(request, "incremental")?,
                };
                Ok(Some((head, heads.byte_offset())))
            }
        }
    }
}

fn too_long() -> Refusal {
    Refusal {
        status: 413,
        message: format!("the request's JSON is over {MAX_HEAD} bytes before the state"),
    }
}

/// Reads a provisioning body: the host platform's request document, as the
/// CLI's `--request` takes it (`requestid`, `user`, `account`,
/// `entitlementValue`), with `documents` and `dryRun` beside it.
/// `account.accountID` is the target account.
pub fn provision_request(body: &[u8]) -> Result<(Documents, ProvisionRequest), Refusal> {
    let request = parse(body)?;
    let known = [
        "documents",
        "requestid",
        "user",
        "account",
        "entitlementValue",
        "dryRun",
    ];
    let request = members(&request, "the provisioning request", &known)?;
    let no_members = Map::new();
    let entitlement = match request.get("entitlementValue") {
        Some(value) => {
            let known = ["entType", "entitlementID", "role"];
            members(value, "entitlementValue", &known)?
        }
        None => &no_members,
    };
    let text = |object: &Map<String, Value>, key: &str, at: &str| match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(wrong(&format!("{at}{key}"), "text", other)),
    };
    let attributes = |key: &str| match request.get(key) {
        None => Ok(Attributes::new()),
        Some(value) => attributes(object(value, key)?, key),
    };
    let account = attributes("account")?;
    let documents = Documents::read(request)?;
    let request = ProvisionRequest {
        request_id: text(request, "requestid", "")?,
        account_id: account
            .iter()
            .find_map(|(name, value)| match (name.as_str(), value) {
                ("accountID", AttributeValue::Text(id)) => Some(id.clone()),
                _ => None,
            }),
        user: attributes("user")?,
        account,
        ent_type: text(entitlement, "entType", "entitlementValue.")?,
        entitlement_id: text(entitlement, "entitlementID", "entitlementValue.")?,
        role: text(entitlement, "role", "entitlementValue.")?,
        dry_run: flag(request, "dryRun")?,
    };
    Ok((documents, request))
}

fn attributes(object: &Map<String, Value>, at: &str) -> Result<Attributes, Refusal> {
    let attribute = |(name, value): (&String, &Value)| match AttributeValue::from_json(value) {
        Some(read) => Ok((name.clone(), read)),
        None => {
            let at = format!("{at}.{name}");
            Err(wrong(&at, "text, a number, true, false or null", value))
        }
    };
    object.iter().map(attribute).collect()
}

/// The request's JSON.
fn parse(body: &[u8]) -> Result<Value, Refusal> {
    serde_json::from_slice(body)
        .map_err(|e| Refusal::bad_request(format!("the request is not JSON: {e}")))
}

/// `value`'s members, when it is an object holding no key but `known`.
fn members<'v>(
    value: &'v Value,
    at: &str,
    known: &[&str],
) -> Result<&'v Map<String, Value>, Refusal> {
    let object = object(value, at)?;
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(Refusal::bad_request(format!(
            "{at}: unknown key '{key}'; expected {}",
            known.join(", ")
        ))),
        None => Ok(object),
    }
}

fn object<'v>(value: &'v Value, at: &str) -> Result<&'v Map<String, Value>, Refusal> {
    value
        .as_object()
        .ok_or_else(|| wrong(at, "a JSON object", value))
}

/// The boolean at `key` of `object`; false when absent.
fn flag(object: &Map<String, Value>, key: &str) -> Result<bool, Refusal> {
    match object.get(key) {
        None => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(other) => Err(wrong(key, "true or false", other)),
    }
}

/// A refusal of `found` at `at`, which should have been `expected`.
fn wrong(at: &str, expected: &str, found: &Value) -> Refusal {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    Refusal::bad_request(format!("{at}: expected {expected}, got {found}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_come_as_json_or_as_text() {
        let body = CallBody::read(br#"{"documents": {"A": {"x": 1}, "B": "{\"y\": 2}"}}"#).unwrap();
        assert_eq!(
            vec![
                ("A".to_string(), r#"{"x":1}"#.to_string()),
                ("B".to_string(), r#"{"y": 2}"#.to_string())
            ],
            body.documents.pairs().to_vec()
        );
        assert_eq!(CallBody::default(), CallBody::read(b" \n").unwrap());
    }

    #[test]
    fn an_import_head_is_read_once_whole_and_the_state_follows_it() {
        let body = b"{\"incremental\": true,\n \"documents\": {}}\n{\"format\":2}\n#accounts\n";
        let head_len = body.windows(2).position(|w| w == b"}}").unwrap() + 2;
        for cut in 0..head_len {
            assert_eq!(
                None,
                ImportHead::read(&body[..cut]).unwrap(),
                "cut at {cut}"
            );
        }
        let (head, taken) = ImportHead::read(body).unwrap().unwrap();
        assert!(head.incremental);
        assert_eq!(
            "\n{\"format\":2}\n#accounts\n",
            std::str::from_utf8(&body[taken..]).unwrap()
        );
    }

    #[test]
    fn a_bad_import_head_names_what_is_wrong_and_where() {
        let message = |body: &[u8]| ImportHead::read(body).unwrap_err().message;
        assert!(message(b"[1, 2]").contains("the request: expected a JSON object"));
        assert!(message(br#"{"incremental": "yes"}"#).contains("incremental"));
        assert!(message(br#"{"baseUrl": "http://elsewhere"}"#).contains("unknown key 'baseUrl'"));
        assert!(message(br#"{"documents": {"A": 3}}"#).contains("documents.A"));
        assert!(message(b"<html>").contains("not start with a JSON object"));
        let huge = vec![b' '; MAX_HEAD + 1];
        assert_eq!(413, ImportHead::read(&huge).unwrap_err().status);
    }

    #[test]
    fn a_provisioning_body_is_the_host_document_with_its_documents() {
        let (documents, request) = provision_request(
            br#"{"requestid": "R-1", "user": {"username": "svc", "n": 3, "on": true, "gone": null},
                 "account": {"accountID": "sa-1"}, "dryRun": true, "documents": {"A": {}},
                 "entitlementValue": {"entType": "environment", "entitlementID": "env-1", "role": "R"}}"#,
        )
        .unwrap();
        assert_eq!(1, documents.pairs().len());
        assert_eq!(Some("sa-1"), request.account_id.as_deref());
        assert_eq!(Some("R"), request.role.as_deref());
        assert!(request.dry_run);
        assert_eq!(
            vec![
                ("username".to_string(), AttributeValue::Text("svc".into())),
                ("n".to_string(), AttributeValue::Integer(3)),
                ("on".to_string(), AttributeValue::Boolean(true)),
                ("gone".to_string(), AttributeValue::Absent),
            ],
            request.user
        );
        let nested = provision_request(br#"{"user": {"tags": ["a"]}}"#).unwrap_err();
        assert!(nested.message.contains("user.tags"), "{}", nested.message);
        let unknown = provision_request(br#"{"entitlementValue": {"rolle": "R"}}"#).unwrap_err();
        assert!(
            unknown.message.contains("entitlementValue"),
            "{}",
            unknown.message
        );
    }
}
