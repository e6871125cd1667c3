//! Text bound for a log line or a message: control characters (line breaks,
//! escapes, bidirectional overrides) are written as escapes, so a document
//! key or a server's text cannot start a line of its own or restyle one.

use std::borrow::Cow;

/// The most characters a message quotes of a text it did not write (a
/// server's link, a document's expression).
pub const QUOTED_CHARS: usize = 200;

/// `text` as a message may quote it: at most [`QUOTED_CHARS`] characters,
/// with an ellipsis when cut, and control characters escaped.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", printable(&text[..cut])),
        None => printable(text).into_owned(),
    }
}

/// `text` with every control character escaped (`\n`, `\u{1b}`, …).
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match is_unprintable(c) {
            true => out.extend(c.escape_default()),
            false => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Control characters, the Unicode line and paragraph separators, the
/// bidirectional formatting characters (U+061C, U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069) and the invisible zero-width ones
/// (U+200B–U+200D, U+FEFF): the same set the host escapes.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
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

    #[test]
    fn invisible_and_bidirectional_characters_are_escaped() {
        for (raw, shown) in [
            ("a\u{61c}b", "a\\u{61c}b"),
            (
                "zero\u{200b}width\u{200c}join\u{200d}",
                "zero\\u{200b}width\\u{200c}join\\u{200d}",
            ),
            ("\u{feff}bom", "\\u{feff}bom"),
            (
                "\u{200e}\u{2067}\u{2029}\u{85}",
                "\\u{200e}\\u{2067}\\u{2029}\\u{85}",
            ),
        ] {
            assert_eq!(shown, printable(raw), "{raw:?}");
        }
        assert!(matches!(
            printable("\u{200a}\u{2010}\u{2065}\u{fefe}"),
            Cow::Borrowed(_)
        ));
    }
}
