//! Binding templates: text with `${variable}` references, parsed once when a
//! document loads and rendered against the bindings of one call.
//!
//! `${access_token}` never renders to a credential: the connector holds none.
//! It renders to [`ACCESS_TOKEN_PLACEHOLDER`], and the host sets the real
//! `Authorization` header on requests to the origin it granted.

use serde_json::Value;

/// What `${access_token}` renders to.
pub const ACCESS_TOKEN_PLACEHOLDER: &str = "host-injected-credential";

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(Vec<String>),
}

impl Template {
    /// Parses `text`; the error gives the byte position and what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| {
                format!(
                    "position {}: '${{' is never closed; expected '}}'",
                    offset + start
                )
            })?;
            let name = after[..end].trim();
            let valid = !name.is_empty()
                && name.split('.').all(|s| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                });
            if !valid {
                return Err(format!(
                    "position {}: '${{{name}}}' is not a variable; expected a name such as ${{user.username}}",
                    offset + start
                ));
            }
            parts.push(Part::Variable(
                name.split('.').map(str::to_string).collect(),
            ));
            offset += start + 2 + end + 1;
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// The variables the template refers to, dotted.
    pub fn variables(&self) -> impl Iterator<Item = String> + '_ {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable(path) => Some(path.join(".")),
            Part::Literal(_) => None,
        })
    }

    /// Renders the template, encoding each substituted value with `encode`.
    pub fn render(
        &self,
        bindings: &Bindings,
        encode: impl Fn(&str) -> String,
    ) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(path) => {
                    let value = bindings
                        .resolve(path)
                        .ok_or_else(|| format!("'${{{}}}' is not bound here", path.join(".")))?;
                    out.push_str(&encode(&value));
                }
            }
        }
        Ok(out)
    }
}

/// The values templates may refer to: `${access_token}` and a tree of named
/// objects such as `user`, `account` or `response`.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    tree: serde_json::Map<String, Value>,
}

impl Bindings {
    /// Binds `name` (a top-level object such as `user`) to `value`.
    pub fn bind(&mut self, name: &str, value: Value) {
        self.tree.insert(name.to_string(), value);
    }

    /// The text of the variable at `path`, if it is bound to a scalar.
    pub fn resolve(&self, path: &[String]) -> Option<String> {
        if path.len() == 1 && path[0] == "access_token" {
            return Some(ACCESS_TOKEN_PLACEHOLDER.to_string());
        }
        let (first, rest) = path.split_first()?;
        let value = rest
            .iter()
            .try_fold(self.tree.get(first)?, |value, name| value.get(name))?;
        match value {
            Value::String(text) => Some(text.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => Some(String::new()),
            Value::Array(_) | Value::Object(_) => None,
        }
    }
}

/// Leaves a value as it is (headers).
pub fn verbatim(value: &str) -> String {
    value.to_string()
}

/// Characters a value substituted into a URL keeps as they are: the
/// unreserved set of RFC 3986.
const URL_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes a value for a URL: every character outside RFC 3986's unreserved
/// set is percent-encoded, so a value cannot add a path segment or a query
/// parameter.
pub fn percent_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, URL_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_render_bound_variables() {
        let mut bindings = Bindings::default();
        bindings.bind("account", json!({"accountID": "sa-1"}));
        let template =
            Template::parse("https://x/iam/v2/service-accounts/${account.accountID}").unwrap();
        assert_eq!(
            Ok("https://x/iam/v2/service-accounts/sa-1".to_string()),
            template.render(&bindings, verbatim)
        );
        let auth = Template::parse("${access_token}").unwrap();
        assert_eq!(
            Ok(ACCESS_TOKEN_PLACEHOLDER.to_string()),
            auth.render(&bindings, verbatim)
        );
    }

    #[test]
    fn template_errors_give_the_position() {
        assert_eq!(
            Err("position 4: '${' is never closed; expected '}'".to_string()),
            Template::parse("abc/${user")
        );
        assert!(
            Template::parse("a ${} b")
                .unwrap_err()
                .starts_with("position 2:")
        );
        let unbound = Template::parse("${user.name}")
            .unwrap()
            .render(&Bindings::default(), verbatim);
        assert_eq!(Err("'${user.name}' is not bound here".to_string()), unbound);
    }
}
