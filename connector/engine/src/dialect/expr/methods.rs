//! The String methods an expression may call.

use std::ops::RangeInclusive;

use serde_json::Value;

use super::{MAX_VALUE_LEN, Method, text_of};

/// Each method's name in an expression, and how many arguments it takes.
pub(super) const TABLE: [(&str, Method, RangeInclusive<usize>); 14] = [
    ("toLowerCase", Method::ToLowerCase, 0..=0),
    ("toUpperCase", Method::ToUpperCase, 0..=0),
    ("trim", Method::Trim, 0..=0),
    ("substring", Method::Substring, 1..=2),
    ("indexOf", Method::IndexOf, 1..=1),
    ("replace", Method::Replace, 2..=2),
    ("contains", Method::Contains, 1..=1),
    ("startsWith", Method::StartsWith, 1..=1),
    ("endsWith", Method::EndsWith, 1..=1),
    ("length", Method::Length, 0..=0),
    ("isEmpty", Method::IsEmpty, 0..=0),
    ("equals", Method::EqualsTo, 1..=1),
    ("equalsIgnoreCase", Method::EqualsIgnoreCase, 1..=1),
    ("split", Method::Split, 1..=1),
];

impl Method {
    /// The name an expression calls the method by.
    fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(_, m, _)| *m == self)
            .map_or("", |(name, ..)| name)
    }
}

pub(super) const METHODS: &str = "toLowerCase, toUpperCase, trim, substring, indexOf, replace, contains, \
                       startsWith, endsWith, length, isEmpty, equals, equalsIgnoreCase or split";

fn text_arg(args: &[Value], at: usize) -> Result<String, String> {
    match args.get(at) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Null) | None => Err("an argument is null; expected text".to_string()),
        Some(other) => Ok(other.to_string()),
    }
}

fn index_arg(args: &[Value], at: usize) -> Result<Option<usize>, String> {
    match args.get(at) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .map(|n| Some(n as usize))
            .ok_or_else(|| format!("{value} is not an index; expected a whole number")),
    }
}

/// A Java-escaped single character (`\\.`) means that character.
fn literal_separator(text: &str) -> String {
    match text.strip_prefix('\\') {
        Some(rest) if rest.chars().count() == 1 => rest.to_string(),
        _ => text.to_string(),
    }
}

pub(super) fn call(method: Method, target: &Value, args: &[Value]) -> Result<Value, String> {
    if let (Method::Length, Value::Array(items)) = (method, target) {
        return Ok(Value::from(items.len()));
    }
    let text = match target {
        Value::String(text) => text.clone(),
        Value::Null => {
            return Err(format!(
                "{} was called on null; check for null first (x != null ? … : …)",
                method.name()
            ));
        }
        other => other.to_string(),
    };
    let chars = || text.chars().count();
    Ok(match method {
        Method::ToLowerCase => Value::String(text.to_lowercase()),
        Method::ToUpperCase => Value::String(text.to_uppercase()),
        Method::Trim => Value::String(text.trim().to_string()),
        Method::Substring => {
            let begin = index_arg(args, 0)?.unwrap_or(0);
            let end = index_arg(args, 1)?.unwrap_or_else(chars);
            if begin > end || end > chars() {
                return Err(format!(
                    "substring({begin}, {end}) is outside '{text}' ({} characters)",
                    chars()
                ));
            }
            Value::String(text.chars().skip(begin).take(end - begin).collect())
        }
        Method::IndexOf => {
            let needle = text_arg(args, 0)?;
            Value::from(
                text.find(&needle)
                    .map_or(-1, |at| text[..at].chars().count() as i64),
            )
        }
        Method::Replace => {
            let (from, to) = (text_arg(args, 0)?, text_arg(args, 1)?);
            if from.is_empty() {
                return Err("replace('', …) would insert everywhere; expected text to find".into());
            }
            // Refused from the counts: a long text and a long replacement
            // would otherwise make their product before the cap is checked.
            // Saturating: `usize` is 32 bits in the component.
            let made = text.len().saturating_add(
                text.matches(from.as_str())
                    .count()
                    .saturating_mul(to.len().saturating_sub(from.len())),
            );
            if made > MAX_VALUE_LEN {
                return Err(format!(
                    "replace would make {made} bytes or more; expressions are capped at {MAX_VALUE_LEN}"
                ));
            }
            Value::String(text.replace(&from, &to))
        }
        Method::Contains => Value::Bool(text.contains(&text_arg(args, 0)?)),
        Method::StartsWith => Value::Bool(text.starts_with(&text_arg(args, 0)?)),
        Method::EndsWith => Value::Bool(text.ends_with(&text_arg(args, 0)?)),
        Method::Length => Value::from(chars()),
        Method::IsEmpty => Value::Bool(text.is_empty()),
        Method::EqualsTo => Value::Bool(args.first().is_some_and(|a| text_of(a) == text)),
        Method::EqualsIgnoreCase => Value::Bool(
            args.first()
                .is_some_and(|a| text_of(a).to_lowercase() == text.to_lowercase()),
        ),
        Method::Split => {
            let separator = literal_separator(&text_arg(args, 0)?);
            if separator.is_empty() {
                return Err("split('') has no separator; expected text to split at".into());
            }
            Value::Array(
                text.split(separator.as_str())
                    .map(|part| Value::String(part.to_string()))
                    .collect(),
            )
        }
    })
}
