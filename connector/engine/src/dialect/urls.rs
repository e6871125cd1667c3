//! Rules every URL the connector sends obeys, whoever supplied its parts: a
//! substituted value fills exactly one path segment (it is never empty and
//! never makes a `.` or `..` segment, which URL parsers resolve by moving up
//! the path), and no URL names a user or password before its host.

use percent_encoding::percent_decode_str;

use crate::dialect::template::percent_encode;

/// Encodes `value` as one whole path segment: refused when it is empty, `.`
/// or `..`, percent-encoded otherwise (so `/`, `?` and `#` cannot end it).
pub fn path_segment(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err("is empty; a path segment cannot be".to_string());
    }
    if value == "." || value == ".." {
        return Err(format!(
            "is '{value}', which would move up the URL's path; expected an id"
        ));
    }
    Ok(percent_encode(value))
}

/// Whether an encoded path segment reads as `.` or `..` once decoded, as
/// URL parsers decode `%2e` too.
pub fn is_dot_segment(segment: &str) -> bool {
    let decoded = percent_decode_str(segment).decode_utf8_lossy();
    decoded == "." || decoded == ".."
}

/// Whether `url` names a user or password before its host. A client sends
/// such a URL's raw authority, userinfo included, while `url` compares
/// origins without it.
pub fn has_userinfo(url: &url::Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Whether the text of a URL has an `@` between its scheme and its query or
/// fragment: a user or password, or something a client could read as one
/// (a password holding `/` seems to end the authority early).
pub fn names_userinfo(url: &str) -> bool {
    url.split_once("://").is_some_and(|(_, rest)| {
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        rest[..end].contains('@')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_segment_is_whole_and_encoded() {
        assert_eq!(Ok("rb-1".to_string()), path_segment("rb-1"));
        assert_eq!(
            Ok("..%2Fservice-accounts%2Fsa-victim".to_string()),
            path_segment("../service-accounts/sa-victim")
        );
        assert_eq!(
            Ok("x%3Fforce%3Dtrue%26cascade%3D1".to_string()),
            path_segment("x?force=true&cascade=1")
        );
        for value in ["", ".", ".."] {
            assert!(path_segment(value).is_err(), "{value:?}");
        }
    }

    #[test]
    fn encoded_dots_are_dot_segments_too() {
        for segment in [".", "..", "%2e", "%2E%2e", ".%2E"] {
            assert!(is_dot_segment(segment), "{segment}");
        }
        for segment in ["...", "a.", "%2e%2e%2e", ""] {
            assert!(!is_dot_segment(segment), "{segment}");
        }
    }

    #[test]
    fn a_user_or_password_before_the_host_is_seen() {
        let parse = |u: &str| url::Url::parse(u).unwrap();
        assert!(has_userinfo(&parse("http://u@127.0.0.1:9/x")));
        assert!(has_userinfo(&parse("http://:p@127.0.0.1:9/x")));
        assert!(!has_userinfo(&parse("http://127.0.0.1:9/x?u=@")));
    }
}
