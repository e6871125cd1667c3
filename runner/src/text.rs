//! Untrusted text made safe to show on a terminal or in a log.
//!
//! Values from the target, the documents and the guest reach people through
//! tables, CSV files, summaries, errors and logs. A control character there
//! could recolour or rewrite a terminal, forge a second line, or (with a
//! bidirectional override) show text in another order than it is stored.
//! JSON and NDJSON output stays exact: serde escapes what JSON requires.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: a C0 control, DEL, a C1
/// control, a line or paragraph separator (U+2028, U+2029), a
/// bidirectional mark, embedding, override or isolate (U+061C, U+200E,
/// U+200F, U+202A–U+202E, U+2066–U+2069), or an invisible zero-width
/// character (U+200B–U+200D, U+FEFF). The guest's own messages follow the
/// same rule, but the host does not rely on that.
pub fn needs_escaping(c: char) -> bool {
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

/// `text` with each character [`needs_escaping`] names written as a Rust
/// escape (`\n`, `\t`, `\u{1b}`, `\u{202e}`, …), so what is shown is one
/// inert line. Text with none comes back borrowed.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escaping) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escaping(c) {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_of_control_character_needs_escaping() {
        for (raw, shown) in [
            ("\x1b[31mred", "\\u{1b}[31mred"),
            ("bell\x07", "bell\\u{7}"),
            ("two\nlines\r", "two\\nlines\\r"),
            ("tab\there", "tab\\there"),
            ("nul\0", "nul\\u{0}"),
            ("del\x7f", "del\\u{7f}"),
            ("c1 csi \u{9b}31m", "c1 csi \\u{9b}31m"),
            ("c1 nel \u{85}", "c1 nel \\u{85}"),
            ("\u{202e}txt.exe", "\\u{202e}txt.exe"),
            (
                "\u{202a}\u{202b}\u{202c}\u{202d}",
                "\\u{202a}\\u{202b}\\u{202c}\\u{202d}",
            ),
            (
                "\u{2066}\u{2067}\u{2068}\u{2069}",
                "\\u{2066}\\u{2067}\\u{2068}\\u{2069}",
            ),
            ("\u{200e}\u{200f}", "\\u{200e}\\u{200f}"),
            ("line\u{2028}para\u{2029}", "line\\u{2028}para\\u{2029}"),
            ("arabic mark \u{61c}", "arabic mark \\u{61c}"),
            (
                "zero\u{200b}width\u{200c}join\u{200d}",
                "zero\\u{200b}width\\u{200c}join\\u{200d}",
            ),
            ("\u{feff}bom", "\\u{feff}bom"),
        ] {
            assert_eq!(shown, escape_controls(raw), "{raw:?}");
        }
    }

    #[test]
    fn printable_text_is_kept_as_it_is_and_borrowed() {
        for text in [
            "",
            "Ada Ritchie",
            "Zoë Ünal — 東京",
            r"C:\path\with\backslashes",
            "=HYPERLINK(\"x\")",
            "emoji 🦀",
            "\u{200a}\u{2010}\u{2065}\u{206a}\u{fefe}",
        ] {
            let shown = escape_controls(text);
            assert!(matches!(shown, Cow::Borrowed(_)), "{text:?}");
            assert_eq!(text, shown);
        }
    }

    #[test]
    fn escaped_text_holds_no_character_that_needs_escaping() {
        let hostile: String = (0u32..=0xa0)
            .chain(0x2060..=0x2070)
            .chain(0x2028..=0x2030)
            .chain([0x061c, 0x200b, 0x200c, 0x200d, 0xfeff])
            .filter_map(char::from_u32)
            .collect();
        let shown = escape_controls(&hostile);
        assert!(!shown.chars().any(needs_escaping), "{shown}");
        assert!(!shown.contains('\n'));
    }
}
