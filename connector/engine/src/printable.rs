//! Text bound for a log line or a message: control characters (line breaks,
//! escapes, bidirectional overrides) are written as escapes, so a document
//! key or a server's text cannot start a line of its own or restyle one.

use std::borrow::Cow;

/// `text` with every control character escaped (`\n`, `\u{1b}`, …).
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unprintable(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Control characters, the Unicode line and paragraph separators, and the
/// bidirectional formatting characters.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            "a\\nwarning: forged\\r\\u{1b}[31m\\u{202e}é ok",
            printable("a\nwarning: forged\r\u{1b}[31m\u{202e}é ok")
        );
        assert!(matches!(printable("plain é"), Cow::Borrowed("plain é")));
    }
}
