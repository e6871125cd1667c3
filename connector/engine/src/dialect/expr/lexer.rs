//! Splitting an expression's text into tokens.

use super::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Ident(String),
    Text(String),
    Number(i64),
    Punct(&'static str),
}

/// Longer punctuation first, so that `!=` is not read as `!` and `=`.
const PUNCTUATION: [&str; 15] = [
    "?.", "==", "!=", "&&", "||", ".", "(", ")", "[", "]", ",", "?", ":", "+", "!",
];

pub(super) fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ParseError> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let c = bytes[at];
        if c.is_ascii_whitespace() {
            at += 1;
        } else if c == b'\'' || c == b'"' {
            let (literal, end) = string_literal(text, at)?;
            tokens.push((at, Token::Text(literal)));
            at = end;
        } else if c.is_ascii_digit() {
            let end = text[at..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(text.len(), |n| at + n);
            let number = text[at..end].parse().map_err(|_| {
                ParseError::new(at, format!("'{}' is too large a number", &text[at..end]))
            })?;
            tokens.push((at, Token::Number(number)));
            at = end;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = text[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(text.len(), |n| at + n);
            tokens.push((at, Token::Ident(text[at..end].to_string())));
            at = end;
        } else {
            let Some(punct) = PUNCTUATION.iter().find(|p| text[at..].starts_with(*p)) else {
                let found = text[at..].chars().next().unwrap_or(' ');
                let message = format!("'{found}' is not part of an expression");
                return Err(ParseError::new(at, message));
            };
            tokens.push((at, Token::Punct(punct)));
            at += punct.len();
        }
    }
    Ok(tokens)
}

fn string_literal(text: &str, start: usize) -> Result<(String, usize), ParseError> {
    let quote = text[start..].chars().next().unwrap_or('\'');
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((out, start + 1 + i + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, other)) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    let message = format!("the text starting here is never closed; expected {quote}");
    Err(ParseError::new(start, message))
}

pub(super) fn show(token: &Token) -> String {
    match token {
        Token::Ident(name) => format!("'{name}'"),
        Token::Text(text) => format!("the text '{text}'"),
        Token::Number(n) => format!("the number {n}"),
        Token::Punct(p) => format!("'{p}'"),
    }
}
