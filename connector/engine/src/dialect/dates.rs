//! `date` and `epochdate` columns, written in the document's `dateFormat`:
//! a Java `SimpleDateFormat` pattern such as `yyyy-MM-dd'T'HH:mm:ss`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// A compiled `dateFormat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    /// The pattern as chrono `strftime` items.
    strftime: String,
}

impl DateFormat {
    /// Compiles a Java date pattern; the error names the letter it cannot
    /// write.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let mut strftime = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                // '' is a literal quote; otherwise a quote starts a quoted literal.
                '\'' if chars.next_if_eq(&'\'').is_some() => strftime.push('\''),
                '\'' => loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => push_literal(&mut strftime, c),
                        None => return Err(format!("'{pattern}' has an unclosed quote")),
                    }
                },
                c if !c.is_ascii_alphabetic() => push_literal(&mut strftime, c),
                c => {
                    let mut run = 1;
                    while chars.next_if_eq(&c).is_some() {
                        run += 1;
                    }
                    let item = match (c, run) {
                        ('y', 2) => "%y",
                        ('y', _) => "%Y",
                        ('M', 1) => "%-m",
                        ('M', 2) => "%m",
                        ('M', 3) => "%b",
                        ('M', _) => "%B",
                        ('d', 1) => "%-d",
                        ('d', _) => "%d",
                        ('H', 1) => "%-H",
                        ('H', _) => "%H",
                        ('h', 1) => "%-I",
                        ('h', _) => "%I",
                        ('m', 1) => "%-M",
                        ('m', _) => "%M",
                        ('s', 1) => "%-S",
                        ('s', _) => "%S",
                        ('S', _) => "%3f",
                        ('a', _) => "%p",
                        ('E', 1..=3) => "%a",
                        ('E', _) => "%A",
                        ('z', _) => "UTC",
                        ('Z', _) => "%z",
                        ('X', 1) | ('X', 2) => "Z",
                        ('X', _) => "%:z",
                        _ => {
                            return Err(format!(
                                "'{pattern}' uses '{}', which this connector cannot write; expected letters among y M d H h m s S a E z Z X",
                                c.to_string().repeat(run)
                            ));
                        }
                    };
                    strftime.push_str(item);
                }
            }
        }
        Ok(Self { strftime })
    }

    /// Writes `instant` in this format, in UTC.
    pub fn write(&self, instant: DateTime<Utc>) -> String {
        instant.format(&self.strftime).to_string()
    }
}

fn push_literal(out: &mut String, c: char) {
    match c {
        '%' => out.push_str("%%"),
        c => out.push(c),
    }
}

/// Reads a date-time as APIs write them: RFC 3339, or without an offset (then
/// UTC), or a bare date.
pub fn read_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(instant.with_timezone(&Utc));
    }
    for layout in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, layout) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

/// Reads seconds since the epoch, or milliseconds when the number is too
/// large to be seconds (after the year 5138).
pub fn read_epoch(number: i64) -> Option<DateTime<Utc>> {
    if number.unsigned_abs() >= 100_000_000_000 {
        DateTime::from_timestamp_millis(number)
    } else {
        DateTime::from_timestamp(number, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_patterns_write_like_java() {
        let instant = read_date("2024-03-05T07:08:09.123Z").unwrap();
        let cases = [
            ("yyyy-MM-dd'T'HH:mm:ss", "2024-03-05T07:08:09"),
            ("dd/MM/yy", "05/03/24"),
            ("MM-dd-yyyy HH:mm:ss.SSS", "03-05-2024 07:08:09.123"),
            ("d MMM yyyy h:mm a", "5 Mar 2024 7:08 AM"),
            ("yyyyMMdd'Z'''", "20240305Z'"),
            ("yyyy-MM-dd'T'HH:mm:ssXXX", "2024-03-05T07:08:09+00:00"),
        ];
        for (pattern, expected) in cases {
            assert_eq!(
                expected,
                DateFormat::parse(pattern).unwrap().write(instant),
                "{pattern}"
            );
        }
        let error = DateFormat::parse("yyyy-ww").unwrap_err();
        assert!(error.contains("uses 'ww'"), "{error}");
        assert!(DateFormat::parse("yyyy 'open").is_err());
    }

    #[test]
    fn dates_and_epochs_are_read() {
        let expected = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(Some(expected), read_epoch(1_700_000_000));
        assert_eq!(Some(expected), read_epoch(1_700_000_000_000));
        assert_eq!(Some(expected), read_date("2023-11-14T22:13:20Z"));
        assert_eq!(Some(expected), read_date("2023-11-14T23:13:20+01:00"));
        assert_eq!(Some(expected), read_date("2023-11-14 22:13:20"));
        assert!(read_date("2023-11-14").is_some());
        assert_eq!(None, read_date("yesterday"));
    }
}
