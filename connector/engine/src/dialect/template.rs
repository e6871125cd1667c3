//! Binding templates: text with `${expression}` parts, parsed once when a
//! document loads and rendered against the bindings of one call. The
//! expressions are [`crate::dialect::expr`]'s.
//!
//! `${access_token}` never renders to a credential: the connector holds none.
//! It renders to [`ACCESS_TOKEN_PLACEHOLDER`], and the host sets the real
//! `Authorization` header on requests to the origin it granted.

use serde_json::Value;

use crate::dialect::expr::{self, Expr, Scope};
use crate::dialect::mapping::Segment;
use crate::dialect::urls::{is_dot_segment, names_userinfo};
use crate::printable::quoted;

/// What `${access_token}` renders to.
pub const ACCESS_TOKEN_PLACEHOLDER: &str = "host-injected-credential";

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    /// The expression and its source text, for messages.
    Expression(Expr, String),
}

impl Template {
    /// Parses `text`; the error gives the byte position in `text` and what
    /// was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let at = text.len() - rest.len() + start;
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let inside = &rest[start + 2..];
            let end = closing_brace(inside)
                .ok_or_else(|| format!("position {at}: '${{' is never closed; expected '}}'"))?;
            let source = &inside[..end];
            let expr = expr::parse(source).map_err(|e| {
                format!(
                    "position {}: in '${{{}}}': {}",
                    at + 2 + e.offset,
                    quoted(source),
                    e.message
                )
            })?;
            parts.push(Part::Expression(expr, source.trim().to_string()));
            rest = &inside[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// The dotted property paths the template reads, such as `user.username`.
    pub fn variables(&self) -> impl Iterator<Item = String> + '_ {
        self.parts.iter().flat_map(|part| match part {
            Part::Expression(expr, _) => expr.paths(),
            Part::Literal(_) => Vec::new(),
        })
    }

    /// The fixed text between the `${…}` parts.
    pub fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Literal(text) => Some(text.as_str()),
            Part::Expression(..) => None,
        })
    }

    /// The bytes of fixed text between the `${…}` parts.
    pub fn fixed_len(&self) -> usize {
        self.literals().map(str::len).sum()
    }

    /// Renders the template, encoding each substituted value with `encode`.
    /// A part that is one plain property path with no value is an error: a
    /// URL or body with a hole in it is never sent.
    pub fn render(
        &self,
        bindings: &Bindings,
        encode: impl Fn(&str) -> String,
    ) -> Result<String, String> {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => Ok(text.clone()),
                Part::Expression(expr, source) => Ok(encode(&value_text(expr, source, bindings)?)),
            })
            .collect()
    }

    /// Renders a URL template: each value percent-encoded, and a value in
    /// the path (before any `?` or `#`) refused when it is empty or makes a
    /// `.` or `..` segment, so that it fills exactly the segment it was meant
    /// to.
    pub fn render_url(&self, bindings: &Bindings) -> Result<String, UrlError> {
        let mut out = String::new();
        let mut in_path = true;
        // Where the current path segment starts, and the values in it.
        let mut start = 0;
        let mut values = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => {
                    for c in text.chars() {
                        if in_path && matches!(c, '/' | '?' | '#') {
                            check_segment(&out[start..], &values)?;
                            values.clear();
                            start = out.len() + 1;
                            in_path = c == '/';
                        }
                        out.push(c);
                    }
                }
                Part::Expression(expr, source) => {
                    let value =
                        value_text(expr, source, bindings).map_err(UrlError::Unrenderable)?;
                    if in_path {
                        let from_response = reads_response(expr);
                        if value.is_empty() {
                            return Err(UrlError::NotASegment {
                                message: format!(
                                    "'${{{source}}}' is empty; in the URL's path it would leave an empty segment"
                                ),
                                from_response,
                            });
                        }
                        values.push((source.as_str(), from_response));
                    }
                    out.push_str(&percent_encode(&value));
                }
            }
        }
        if in_path {
            check_segment(&out[start..], &values)?;
        }
        Ok(out)
    }

    /// Checks a URL template's fixed parts: a user or password before the
    /// host is refused, as the host alone sets credentials. The check reads
    /// the text, not a parse of it, so a URL that only parses once rendered
    /// (`https://u:p@h:${port}/x`) is refused too; substituted values are
    /// percent-encoded and cannot add an `@`.
    pub fn check_url(&self) -> Result<(), String> {
        let sketch: String = self
            .parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => text.as_str(),
                Part::Expression(..) => "x",
            })
            .collect();
        if names_userinfo(&sketch) {
            return Err(
                "the URL names a user or password before its host (an '@' before its query); expected none, as the host alone sets credentials"
                    .to_string(),
            );
        }
        Ok(())
    }
}

/// Why a URL template did not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// A part has no value or cannot be evaluated, as with
    /// [`Template::render`].
    #[error("{0}")]
    Unrenderable(String),
    /// A value in the path is empty or makes a `.` or `..` segment.
    #[error("{message}")]
    NotASegment {
        /// What is wrong, naming the `${…}` part.
        message: String,
        /// Whether the part reads a `response.…` value, which the target
        /// supplied rather than the request or the document.
        from_response: bool,
    },
}

/// Refuses a rendered path segment that `values` (each part's source, and
/// whether it reads a response) made a dot segment.
fn check_segment(text: &str, values: &[(&str, bool)]) -> Result<(), UrlError> {
    if values.is_empty() || !is_dot_segment(text) {
        return Ok(());
    }
    let parts: Vec<String> = values.iter().map(|(s, _)| format!("'${{{s}}}'")).collect();
    Err(UrlError::NotASegment {
        message: format!(
            "{} makes the path segment '{text}', which would move up the URL's path; expected an id",
            parts.join(" and ")
        ),
        from_response: values.iter().any(|(_, from_response)| *from_response),
    })
}

/// Whether `expr` reads a `response.…` value.
fn reads_response(expr: &Expr) -> bool {
    expr.paths()
        .iter()
        .any(|path| path == "response" || path.starts_with("response."))
}

/// The text of one `${…}` part: a plain path with no value, an object or a
/// list is an error.
fn value_text(expr: &Expr, source: &str, bindings: &Bindings) -> Result<String, String> {
    let value = expr
        .eval(bindings)
        .map_err(|e| format!("'${{{source}}}': {e}"))?;
    if value.is_null() && matches!(expr, Expr::Path(_)) {
        return Err(format!("'${{{source}}}' has no value"));
    }
    let kind = match value {
        Value::Object(_) => "an object",
        Value::Array(_) => "a list",
        value => return Ok(expr::text_of(&value)),
    };
    Err(format!("'${{{source}}}' is {kind}, not a single value"))
}

/// The offset of the `}` that closes a `${`, skipping quoted text.
fn closing_brace(inside: &str) -> Option<usize> {
    let mut quote = None;
    let mut escaped = false;
    for (at, c) in inside.char_indices() {
        match (quote, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '}') => return Some(at),
            _ => {}
        }
        escaped = false;
    }
    None
}

/// The values templates may refer to: `${access_token}` and a tree of named
/// objects such as `user`, `account` or `response`.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    tree: serde_json::Map<String, Value>,
    responses_are_placeholders: bool,
}

impl Bindings {
    /// For a dry run, which sends nothing: a `response.…` path renders as
    /// `<response.…>`.
    pub fn with_response_placeholders(mut self) -> Self {
        self.responses_are_placeholders = true;
        self
    }

    /// Binds `name` (a top-level object such as `user`) to `value`.
    pub fn bind(&mut self, name: &str, value: Value) {
        self.tree.insert(name.to_string(), value);
    }
}

/// `${access_token}`'s value, bound in every template.
static ACCESS_TOKEN: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| Value::String(ACCESS_TOKEN_PLACEHOLDER.to_string()));

impl Scope for Bindings {
    fn root(&self, name: &str) -> Option<&Value> {
        if name == "access_token" {
            return Some(&ACCESS_TOKEN);
        }
        self.tree.get(name)
    }

    fn missing(&self, steps: &[Segment]) -> Value {
        match steps.first() {
            Some(Segment::Field(root)) if self.responses_are_placeholders && root == "response" => {
                Value::String(format!("<{}>", expr::path_text(steps)))
            }
            _ => Value::Null,
        }
    }
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

/// Encodes a value for the inside of a JSON string: quotes, backslashes and
/// control characters are escaped, so a value cannot end the string or add
/// a field.
pub fn json_escape(value: &str) -> String {
    let quoted = serde_json::to_string(value).expect("a string serializes");
    quoted[1..quoted.len() - 1].to_string()
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
            template.render(&bindings, str::to_string)
        );
    }

    #[test]
    fn template_errors_give_the_position() {
        assert_eq!(
            Err("position 4: '${' is never closed; expected '}'".to_string()),
            Template::parse("abc/${user")
        );
        assert_eq!(
            Err("position 4: in '${}': the expression is empty; expected a name such as user.username".to_string()),
            Template::parse("a ${} b")
        );
        let error = Template::parse("{\"n\": \"${user.name.shout()}\"}").unwrap_err();
        assert!(
            error.starts_with("position 19: in '${user.name.shout()}': 'shout' is not a method"),
            "{error}"
        );
        let unbound = Template::parse("${user.name}")
            .unwrap()
            .render(&Bindings::default(), str::to_string);
        assert_eq!(Err("'${user.name}' has no value".to_string()), unbound);
    }

    #[test]
    fn a_parse_error_quotes_a_long_expression_cut_short() {
        let long = format!("${{user.{}!}}", "x".repeat(100_000));
        let error = Template::parse(&long).unwrap_err();
        assert!(error.len() < 400, "{} bytes", error.len());
        assert!(error.contains("…"), "{error}");
    }

    #[test]
    fn a_user_in_a_url_is_refused_even_where_the_url_only_parses_once_rendered() {
        for url in [
            "https://u:p@h/x",
            "https://u:p@h:${user.port}/x",
            "https://u:a/b@h/x",
        ] {
            assert!(Template::parse(url).unwrap().check_url().is_err(), "{url}");
        }
        for url in ["https://h/x?email=a@b", "https://h/users/${user.email}"] {
            assert_eq!(Ok(()), Template::parse(url).unwrap().check_url(), "{url}");
        }
    }

    #[test]
    fn a_closing_brace_inside_quotes_does_not_end_the_expression() {
        let template = Template::parse("${user.x == '}' ? 'brace' : 'none'}!").unwrap();
        let mut bindings = Bindings::default();
        bindings.bind("user", json!({"x": "}"}));
        assert_eq!(
            Ok("brace!".to_string()),
            template.render(&bindings, str::to_string)
        );
    }

    #[test]
    fn substituted_values_are_encoded_for_where_they_go() {
        let mut bindings = Bindings::default();
        bindings.bind("user", json!({"name": "a\"b\\c}\n", "path": "../x?y=1&z"}));
        let body = Template::parse(r#"{"display_name": "${user.name}"}"#)
            .unwrap()
            .render(&bindings, json_escape)
            .unwrap();
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json!({"display_name": "a\"b\\c}\n"}), parsed);
        let url = Template::parse("https://h/users/${user.path}")
            .unwrap()
            .render(&bindings, percent_encode)
            .unwrap();
        assert_eq!("https://h/users/..%2Fx%3Fy%3D1%26z", url);
    }

    fn url_of(template: &str, user: Value) -> Result<String, UrlError> {
        let mut bindings = Bindings::default();
        bindings.bind("user", user);
        Template::parse(template).unwrap().render_url(&bindings)
    }

    #[test]
    fn a_value_in_the_path_fills_exactly_one_segment() {
        assert_eq!(
            Ok("https://h/accounts/sa-1/x?q=..".to_string()),
            url_of(
                "https://h/accounts/${user.id}/x?q=${user.q}",
                json!({"id": "sa-1", "q": ".."})
            )
        );
        for (template, id) in [
            ("https://h/accounts/${user.id}", ".."),
            ("https://h/accounts/${user.id}", "."),
            ("https://h/accounts/${user.id}/keys", ""),
            ("https://h/accounts/.${user.id}", "."),
            ("https://h/accounts/${user.id}${user.id}", "."),
            ("https://h/accounts/%2e${user.id}#top", "."),
        ] {
            let error = url_of(template, json!({"id": id})).unwrap_err();
            assert!(
                matches!(&error, UrlError::NotASegment { from_response: false, message } if message.contains("'${user.id}'")),
                "{template} with {id:?}: {error:?}"
            );
        }
        // Values that only look like dots, or sit after the path, are fine.
        assert!(url_of("https://h/a/${user.id}", json!({"id": "..."})).is_ok());
        assert!(url_of("https://h/a/x${user.id}", json!({"id": ".."})).is_ok());
        assert!(url_of("https://h/a?x=${user.id}", json!({"id": ""})).is_ok());
        assert!(url_of("https://h/a#${user.id}", json!({"id": ".."})).is_ok());
    }

    #[test]
    fn a_response_value_in_the_path_is_marked_as_the_target_s() {
        let mut bindings = Bindings::default();
        bindings.bind("response", json!({"call1": {"message": {"id": ".."}}}));
        let error = Template::parse("https://h/x/${response.call1.message.id}")
            .unwrap()
            .render_url(&bindings)
            .unwrap_err();
        assert!(
            matches!(
                error,
                UrlError::NotASegment {
                    from_response: true,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_url_with_a_user_or_password_is_refused() {
        for url in [
            "http://u@127.0.0.1:9/x",
            "https://u:p@h/${user.id}",
            "http://${user.id}@h/",
        ] {
            assert!(Template::parse(url).unwrap().check_url().is_err(), "{url}");
        }
        for url in [
            "https://h/x?mail=a@b",
            "https://h/${user.id}",
            "${connection.url}/x",
        ] {
            assert_eq!(Ok(()), Template::parse(url).unwrap().check_url(), "{url}");
        }
    }
}
