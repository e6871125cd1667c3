//! The expression language inside `${…}`: the "Java ternary" subset Saviynt
//! documents use.
//!
//! - property paths: `user.username`, `response.call1.message.data[0].id`,
//!   `user?.email` (`?.` reads like `.`: a missing property is `null`);
//! - literals: `'text'`, `"text"`, whole numbers, `true`, `false`, `null`;
//! - `==`, `!=`, `&&`, `||`, `!`, `cond ? a : b`, string concatenation `+`;
//! - the String methods admins use: `toLowerCase()`, `toUpperCase()`,
//!   `trim()`, `substring(b[, e])`, `indexOf(s)`, `replace(a, b)`,
//!   `contains(s)`, `startsWith(s)`, `endsWith(s)`, `length()`, `isEmpty()`,
//!   `equals(s)`, `equalsIgnoreCase(s)` and `split(s)[i]`.
//!
//! It is safe by construction: an expression reads only the bindings it is
//! given, has no loops, calls and I/O beyond the methods above, and its
//! values are capped in size. `replace` and `split` take literal text, not
//! regular expressions (a Java-escaped `\\.` means `.`).

mod eval;
mod lexer;
mod methods;
mod parser;

pub use parser::parse;

use serde_json::Value;

use crate::dialect::mapping::Segment;

/// The longest text an expression may produce.
pub const MAX_VALUE_LEN: usize = 64 * 1024;

/// The deepest an expression may nest. Parentheses, `!`, `? :`, method
/// calls, indexes and each operator of a chain add a level; the limit keeps
/// parsing, evaluating and dropping an expression well inside the stack.
pub const MAX_DEPTH: usize = 64;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value.
    Literal(Value),
    /// A property path: a root name and its fields and indexes.
    Path(Vec<Segment>),
    /// `!e`.
    Not(Box<Expr>),
    /// `a && b`.
    And(Box<Expr>, Box<Expr>),
    /// `a || b`.
    Or(Box<Expr>, Box<Expr>),
    /// `a == b` (or `a != b` when negated).
    Equals(Box<Expr>, Box<Expr>, bool),
    /// `a + b + …`.
    Concat(Vec<Expr>),
    /// `c ? a : b`.
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `target.method(args)`.
    Method(Box<Expr>, Method, Vec<Expr>),
    /// `target[i]` on a value that is not a path (a `split` result).
    Index(Box<Expr>, usize),
}

/// The String methods, with how many arguments each takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `toLowerCase()`.
    ToLowerCase,
    /// `toUpperCase()`.
    ToUpperCase,
    /// `trim()`.
    Trim,
    /// `substring(begin[, end])`.
    Substring,
    /// `indexOf(s)`.
    IndexOf,
    /// `replace(from, to)`.
    Replace,
    /// `contains(s)`.
    Contains,
    /// `startsWith(s)`.
    StartsWith,
    /// `endsWith(s)`.
    EndsWith,
    /// `length()`.
    Length,
    /// `isEmpty()`.
    IsEmpty,
    /// `equals(s)`.
    EqualsTo,
    /// `equalsIgnoreCase(s)`.
    EqualsIgnoreCase,
    /// `split(separator)`.
    Split,
}

/// A parse error: the byte offset in the expression and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the expression text.
    pub offset: usize,
    /// What was found and what was expected.
    pub message: String,
}

impl ParseError {
    /// An error at `offset`.
    fn new(offset: usize, message: impl Into<String>) -> Self {
        let message = message.into();
        Self { offset, message }
    }
}

/// Where an expression reads its values.
pub trait Scope {
    /// The value at the root name `name`, if bound.
    fn root(&self, name: &str) -> Option<&Value>;

    /// The value of a path that leads nowhere: `null` unless the scope says
    /// otherwise.
    fn missing(&self, _steps: &[Segment]) -> Value {
        Value::Null
    }
}

/// A path as written: `response.call1.message.data[0].id`.
pub fn path_text(steps: &[Segment]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Segment::Field(name) if out.is_empty() => out.push_str(name),
            Segment::Field(name) => out.push_str(&format!(".{name}")),
            Segment::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// How a value reads as text: strings as they are, `null` as nothing.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Tree(Value);

    impl Scope for Tree {
        fn root(&self, name: &str) -> Option<&Value> {
            self.0.get(name)
        }
    }

    fn eval(text: &str) -> Result<Value, String> {
        let scope = Tree(json!({
            "user": {"username": " Svc-A ", "email": "ada@example.com", "none": null, "n": 3},
            "response": {"call1": {"message": {"data": [{"id": "sa-1"}]}}},
        }));
        parse(text)
            .map_err(|e| format!("{}: {}", e.offset, e.message))?
            .eval(&scope)
    }

    #[test]
    fn paths_literals_and_operators() {
        let cases = [
            ("user.email", json!("ada@example.com")),
            ("user?.email", json!("ada@example.com")),
            ("response.call1.message.data[0].id", json!("sa-1")),
            ("user.missing", Value::Null),
            ("'a' + \"b\" + user.n", json!("ab3")),
            ("user.n + 2", json!(5)),
            ("user.none == null", json!(true)),
            ("user.email != null && !(user.n == 4)", json!(true)),
            ("user.none != null || false", json!(false)),
            (
                "user.none == null ? 'default' : user.none",
                json!("default"),
            ),
            (
                "user.email == null ? 'x' : user.email.toUpperCase()",
                json!("ADA@EXAMPLE.COM"),
            ),
            ("true ? false ? 1 : 2 : 3", json!(2)),
        ];
        for (text, expected) in cases {
            assert_eq!(Ok(expected), eval(text), "{text}");
        }
    }

    #[test]
    fn string_methods() {
        let cases = [
            ("user.username.trim().toLowerCase()", json!("svc-a")),
            ("user.email.substring(0, 3)", json!("ada")),
            ("user.email.substring(4)", json!("example.com")),
            ("user.email.indexOf('@')", json!(3)),
            ("user.email.indexOf('#')", json!(-1)),
            (
                "user.email.replace('example', 'corp')",
                json!("ada@corp.com"),
            ),
            ("user.email.contains('@')", json!(true)),
            ("user.email.startsWith('ada')", json!(true)),
            ("user.email.endsWith('.org')", json!(false)),
            ("user.email.length()", json!(15)),
            ("''.isEmpty()", json!(true)),
            ("user.email.equals('ada@example.com')", json!(true)),
            (
                "user.email.equalsIgnoreCase('ADA@EXAMPLE.COM')",
                json!(true),
            ),
            ("user.email.split('@')[0]", json!("ada")),
            ("user.email.split('\\\\.')[1]", json!("com")),
            ("user.email.split('@').length()", json!(2)),
        ];
        for (text, expected) in cases {
            assert_eq!(Ok(expected), eval(text), "{text}");
        }
    }

    #[test]
    fn parse_errors_give_the_offset_and_what_was_expected() {
        let cases = [
            ("", "0: the expression is empty"),
            (
                "user.",
                "5: found the end; expected a property or method name",
            ),
            ("user.email.shout()", "11: 'shout' is not a method here"),
            (
                "user.email.substring()",
                "11: 'substring' takes 1 or 2 arguments, not 0",
            ),
            ("a ? b", "5: found the end; expected ':'"),
            ("'open", "0: the text starting here is never closed"),
            ("a ; b", "2: ';' is not part of an expression"),
            ("a b", "2: unexpected 'b'; expected an operator or the end"),
        ];
        for (text, expected) in cases {
            let error = eval(text).unwrap_err();
            assert!(error.starts_with(expected), "{text}: {error}");
        }
    }

    #[test]
    fn evaluation_is_bounded_and_errors_are_clear() {
        assert!(
            eval("user.none.trim()")
                .unwrap_err()
                .contains("called on null")
        );
        assert!(
            eval("user.none.equals('x')")
                .unwrap_err()
                .starts_with("equals was called on null")
        );
        assert!(
            eval("user.email.substring(3, 99)")
                .unwrap_err()
                .contains("outside")
        );
        assert!(
            eval("user.email.split('@')[5]")
                .unwrap_err()
                .contains("past the end")
        );
        assert!(
            eval("user.email ? 1 : 2")
                .unwrap_err()
                .contains("is not true or false")
        );
        let mut grow = "user.email".to_string();
        for _ in 0..14 {
            grow = format!("({grow} + {grow})");
        }
        assert!(eval(&grow).unwrap_err().contains("capped"));
    }

    #[test]
    fn replace_refuses_a_result_past_the_cap_before_building_it() {
        // 64 KiB of 'a', each 'a' replaced by the same 64 KiB: 4 GiB, unless
        // refused from the counts alone.
        let big = format!(
            "'{}'{}",
            "a".repeat(16),
            ".replace('a', 'aaaaaaaa')".repeat(4)
        );
        assert_eq!(MAX_VALUE_LEN, eval(&big).unwrap().as_str().unwrap().len());
        let error = eval(&format!("{big}.replace('a', {big})")).unwrap_err();
        assert_eq!(
            "replace would make 4294967296 bytes or more; expressions are capped at 65536",
            error
        );
        assert_eq!(Ok(json!("abab")), eval("'aa'.replace('a', 'ab')"));
    }

    #[test]
    fn deep_nesting_is_a_parse_error_at_its_offset() {
        const HUGE: usize = 100_000;
        let too_deep = |text: &str| {
            let error = parse(text).unwrap_err();
            assert!(
                error.message.contains("deeper than 64 levels"),
                "{}",
                error.message
            );
            error.offset
        };
        let parentheses = format!("{}a{}", "(".repeat(HUGE), ")".repeat(HUGE));
        assert_eq!(MAX_DEPTH, too_deep(&parentheses));
        assert_eq!(MAX_DEPTH, too_deep(&format!("{}a", "!".repeat(HUGE))));
        too_deep(&format!("{}c{}", "a ? ".repeat(HUGE), " : b".repeat(HUGE)));
        too_deep(&format!("a{}", " ? b : a".repeat(HUGE)));
        too_deep(&format!("a{}", ".trim()".repeat(HUGE)));
        too_deep(&format!("a.split(',')[0]{}", ".split(',')[0]".repeat(HUGE)));
        too_deep(&format!(
            "a.substring({}0{})",
            "a.indexOf(".repeat(HUGE),
            ")".repeat(HUGE)
        ));
        for operator in ["||", "&&", "==", "!="] {
            too_deep(&format!("a{}", format!(" {operator} a").repeat(HUGE)));
        }
        // Ten parentheses around chains of ten: each short, together deep.
        let mut layered = "x".to_string();
        for _ in 0..10 {
            layered = format!("({layered}{})", " || x".repeat(10));
        }
        too_deep(&layered);
    }

    #[test]
    fn nesting_up_to_the_limit_parses_and_evaluates() {
        let parentheses = format!("{}user.n{}", "(".repeat(60), ")".repeat(60));
        assert_eq!(Ok(json!(3)), eval(&parentheses));
        assert_eq!(Ok(json!(true)), eval(&format!("{}true", "!!".repeat(30))));
        let chain = format!("user.n == 1{}", " || user.n == 3".repeat(40));
        assert_eq!(Ok(json!(true)), eval(&chain));
        let long_concat = vec!["'a'"; 10_000].join(" + ");
        assert_eq!(10_000, eval(&long_concat).unwrap().as_str().unwrap().len());
    }

    #[test]
    fn the_paths_an_expression_reads() {
        let expr =
            parse("user.a != null ? response.call1.message.data[0].id : account.b.trim()").unwrap();
        assert_eq!(
            vec!["user.a", "response.call1.message.data", "account.b"],
            expr.paths()
        );
    }
}
