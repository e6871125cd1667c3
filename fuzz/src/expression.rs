//! The expression language and binding templates: parsing, evaluation and
//! rendering of any text, as an expression and as a template.
//!
//! Properties: a parse error points at a character of the text; every path
//! an expression reads re-parses to itself; a string an expression produces
//! is within the cap, and written back as a quoted literal it parses and
//! evaluates (and renders, as a template) to itself; a template renders the
//! same whichever encoding is used, up to that encoding: JSON-escaped values
//! read back as the plain render, and `render_url`, when it succeeds, is the
//! percent-encoded render.

use connector_engine::dialect::expr::{self, Expr, MAX_VALUE_LEN, text_of};
use connector_engine::dialect::mapping::parse_path;
use connector_engine::dialect::template::{Bindings, Template, json_escape, percent_encode};
use serde_json::{Value, json};

/// Checks `data` as an expression and as a template.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let bindings = bindings();
    match expr::parse(text) {
        Ok(parsed) => {
            for path in parsed.paths() {
                let steps = parse_path(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                assert_eq!(path, expr::path_text(&steps));
            }
            if let Ok(Value::String(value)) = parsed.eval(&bindings) {
                assert!(value.len() <= MAX_VALUE_LEN, "{} bytes", value.len());
                literal_round_trip(&value, &bindings);
            }
        }
        Err(error) => assert!(
            error.offset <= text.len() && text.is_char_boundary(error.offset),
            "offset {} in {text:?}",
            error.offset
        ),
    }
    let Ok(template) = Template::parse(text) else {
        return;
    };
    let plain = template.render(&bindings, str::to_string);
    let escaped = template.render(&bindings, json_escape);
    let encoded = template.render(&bindings, percent_encode);
    assert_eq!(plain.is_ok(), escaped.is_ok());
    assert_eq!(plain.is_ok(), encoded.is_ok());
    if let (Ok(plain), Ok(escaped)) = (&plain, &escaped)
        && template.literals().all(json_safe)
    {
        let read: String = serde_json::from_str(&format!("\"{escaped}\"")).unwrap();
        assert_eq!(plain, &read);
    }
    if let Ok(url) = template.render_url(&bindings) {
        assert_eq!(encoded.as_ref(), Ok(&url));
    }
    let _ = template.check_url();
}

/// `value` as a single-quoted literal must parse to itself, evaluate to
/// itself and render to itself.
fn literal_round_trip(value: &str, bindings: &Bindings) {
    let literal = format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"));
    let parsed = expr::parse(&literal).unwrap_or_else(|e| panic!("{literal:?}: {e:?}"));
    assert_eq!(Expr::Literal(Value::String(value.to_string())), parsed);
    assert_eq!(
        Ok(value),
        parsed.eval(bindings).as_ref().map(text_of).as_deref()
    );
    let template = Template::parse(&format!("${{{literal}}}")).unwrap();
    assert_eq!(
        Ok(value),
        template.render(bindings, str::to_string).as_deref()
    );
}

/// Whether `text` may stand inside a JSON string as it is.
fn json_safe(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
}

/// What a provisioning call binds: a user, an account, and a response.
fn bindings() -> Bindings {
    let mut bindings = Bindings::default();
    bindings.bind(
        "user",
        json!({"username": " Svc-A ", "email": "ada@example.com", "n": 3,
               "none": null, "list": ["a", "b"], "ok": true}),
    );
    bindings.bind(
        "account",
        json!({"accountID": "sa-1a2b3c", "name": "svc-orders-0", "customproperty4": "x/../y"}),
    );
    bindings.bind(
        "response",
        json!({"call1": {"message": {"data": [{"id": "u-1", "email": "e@x"}], "id": "sa-9"}}}),
    );
    bindings
}
