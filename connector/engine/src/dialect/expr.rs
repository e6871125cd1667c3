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

use serde_json::Value;

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
    Path(Vec<Step>),
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

/// One step of a property path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A property.
    Field(String),
    /// An array index.
    Index(usize),
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

impl Method {
    fn named(name: &str) -> Option<(Self, std::ops::RangeInclusive<usize>)> {
        Some(match name {
            "toLowerCase" => (Self::ToLowerCase, 0..=0),
            "toUpperCase" => (Self::ToUpperCase, 0..=0),
            "trim" => (Self::Trim, 0..=0),
            "substring" => (Self::Substring, 1..=2),
            "indexOf" => (Self::IndexOf, 1..=1),
            "replace" => (Self::Replace, 2..=2),
            "contains" => (Self::Contains, 1..=1),
            "startsWith" => (Self::StartsWith, 1..=1),
            "endsWith" => (Self::EndsWith, 1..=1),
            "length" => (Self::Length, 0..=0),
            "isEmpty" => (Self::IsEmpty, 0..=0),
            "equals" => (Self::EqualsTo, 1..=1),
            "equalsIgnoreCase" => (Self::EqualsIgnoreCase, 1..=1),
            "split" => (Self::Split, 1..=1),
            _ => return None,
        })
    }
}

const METHODS: &str = "toLowerCase, toUpperCase, trim, substring, indexOf, replace, contains, \
                       startsWith, endsWith, length, isEmpty, equals, equalsIgnoreCase or split";

/// A parse error: the byte offset in the expression and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the expression text.
    pub offset: usize,
    /// What was found and what was expected.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Text(String),
    Number(i64),
    Punct(&'static str),
}

const PUNCTUATION: [&str; 14] = [
    "?.", "==", "!=", "&&", "||", ".", "(", ")", "[", "]", ",", "?", ":", "+",
];

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ParseError> {
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
            let number = text[at..end].parse().map_err(|_| ParseError {
                offset: at,
                message: format!("'{}' is too large a number", &text[at..end]),
            })?;
            tokens.push((at, Token::Number(number)));
            at = end;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = text[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(text.len(), |n| at + n);
            tokens.push((at, Token::Ident(text[at..end].to_string())));
            at = end;
        } else if c == b'!' && bytes.get(at + 1) != Some(&b'=') {
            tokens.push((at, Token::Punct("!")));
            at += 1;
        } else {
            let Some(punct) = PUNCTUATION.iter().find(|p| text[at..].starts_with(*p)) else {
                let found = text[at..].chars().next().unwrap_or(' ');
                return Err(ParseError {
                    offset: at,
                    message: format!("'{found}' is not part of an expression"),
                });
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
    Err(ParseError {
        offset: start,
        message: format!("the text starting here is never closed; expected {quote}"),
    })
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    end: usize,
    /// How many parse calls enclose the current one.
    depth: usize,
}

/// Parses an expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(ParseError {
            offset: 0,
            message: "the expression is empty; expected a name such as user.username".into(),
        });
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        end: text.len(),
        depth: 0,
    };
    let expr = parser.ternary()?;
    if let Some((offset, token)) = parser.tokens.get(parser.at) {
        return Err(ParseError {
            offset: *offset,
            message: format!(
                "unexpected {}; expected an operator or the end",
                show(token)
            ),
        });
    }
    Ok(expr)
}

fn show(token: &Token) -> String {
    match token {
        Token::Ident(name) => format!("'{name}'"),
        Token::Text(text) => format!("the text '{text}'"),
        Token::Number(n) => format!("the number {n}"),
        Token::Punct(p) => format!("'{p}'"),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(_, t)| t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |(o, _)| *o)
    }

    fn eat(&mut self, punct: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Punct(p)) if *p == punct);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, punct: &str) -> Result<(), ParseError> {
        if self.eat(punct) {
            return Ok(());
        }
        Err(self.error(format!("expected '{punct}'")))
    }

    fn error(&self, expected: String) -> ParseError {
        let found = self.peek().map_or("the end".to_string(), show);
        ParseError {
            offset: self.offset(),
            message: format!("found {found}; {expected}"),
        }
    }

    fn too_deep(offset: usize) -> ParseError {
        ParseError {
            offset,
            message: format!(
                "the expression nests deeper than {MAX_DEPTH} levels; expected a flatter expression"
            ),
        }
    }

    /// Runs `parse` one level deeper, refusing to go past [`MAX_DEPTH`]
    /// before the recursion can exhaust the stack.
    fn nested(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(Self::too_deep(self.offset()));
        }
        self.depth += 1;
        let expr = parse(self);
        self.depth -= 1;
        expr
    }

    /// `expr`, unless it nests deeper than [`MAX_DEPTH`]; `offset` is where
    /// its operator is.
    fn node(expr: Expr, offset: usize) -> Result<Expr, ParseError> {
        if expr.depth() > MAX_DEPTH {
            return Err(Self::too_deep(offset));
        }
        Ok(expr)
    }

    fn ternary(&mut self) -> Result<Expr, ParseError> {
        self.nested(Self::conditional)
    }

    fn conditional(&mut self) -> Result<Expr, ParseError> {
        let condition = self.or()?;
        let offset = self.offset();
        if !self.eat("?") {
            return Ok(condition);
        }
        let then = self.ternary()?;
        self.expect(":")?;
        let otherwise = self.ternary()?;
        Self::node(
            Expr::Ternary(Box::new(condition), Box::new(then), Box::new(otherwise)),
            offset,
        )
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        let mut offset = self.offset();
        while self.eat("||") {
            left = Self::node(Expr::Or(Box::new(left), Box::new(self.and()?)), offset)?;
            offset = self.offset();
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.equality()?;
        let mut offset = self.offset();
        while self.eat("&&") {
            left = Self::node(
                Expr::And(Box::new(left), Box::new(self.equality()?)),
                offset,
            )?;
            offset = self.offset();
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.concat()?;
        loop {
            let offset = self.offset();
            let negated = if self.eat("==") {
                false
            } else if self.eat("!=") {
                true
            } else {
                return Ok(left);
            };
            left = Self::node(
                Expr::Equals(Box::new(left), Box::new(self.concat()?), negated),
                offset,
            )?;
        }
    }

    fn concat(&mut self) -> Result<Expr, ParseError> {
        let offset = self.offset();
        let mut parts = vec![self.unary()?];
        while self.eat("+") {
            parts.push(self.unary()?);
        }
        if parts.len() == 1 {
            return Ok(parts.remove(0));
        }
        Self::node(Expr::Concat(parts), offset)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let offset = self.offset();
        if self.eat("!") {
            let operand = self.nested(Self::unary)?;
            return Self::node(Expr::Not(Box::new(operand)), offset);
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, ParseError> {
        let mut expr = self.primary()?;
        loop {
            let operator = self.offset();
            if self.eat(".") || self.eat("?.") {
                let offset = self.offset();
                let Some(Token::Ident(name)) = self.peek().cloned() else {
                    return Err(self.error("expected a property or method name".into()));
                };
                self.at += 1;
                if self.eat("(") {
                    let (method, arity) = Method::named(&name).ok_or_else(|| ParseError {
                        offset,
                        message: format!("'{name}' is not a method here; expected {METHODS}"),
                    })?;
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.ternary()?);
                            if self.eat(")") {
                                break;
                            }
                            self.expect(",")?;
                        }
                    }
                    if !arity.contains(&args.len()) {
                        return Err(ParseError {
                            offset,
                            message: format!(
                                "'{name}' takes {} arguments, not {}",
                                if arity.start() == arity.end() {
                                    arity.start().to_string()
                                } else {
                                    format!("{} or {}", arity.start(), arity.end())
                                },
                                args.len()
                            ),
                        });
                    }
                    expr = Self::node(Expr::Method(Box::new(expr), method, args), operator)?;
                } else {
                    match &mut expr {
                        Expr::Path(steps) => steps.push(Step::Field(name)),
                        _ => {
                            return Err(ParseError {
                                offset,
                                message: format!(
                                    "'{name}' is read from something that is not a property; expected a method call"
                                ),
                            });
                        }
                    }
                }
            } else if self.eat("[") {
                let Some(Token::Number(index)) = self.peek().cloned() else {
                    return Err(self.error("expected an index such as [0]".into()));
                };
                self.at += 1;
                self.expect("]")?;
                let index = index as usize;
                expr = match expr {
                    Expr::Path(mut steps) => {
                        steps.push(Step::Index(index));
                        Expr::Path(steps)
                    }
                    other => Self::node(Expr::Index(Box::new(other), index), operator)?,
                };
            } else {
                return Ok(expr);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let token = self.peek().cloned();
        match token {
            Some(Token::Text(text)) => {
                self.at += 1;
                Ok(Expr::Literal(Value::String(text)))
            }
            Some(Token::Number(n)) => {
                self.at += 1;
                Ok(Expr::Literal(Value::from(n)))
            }
            Some(Token::Ident(name)) => {
                self.at += 1;
                Ok(match name.as_str() {
                    "true" => Expr::Literal(Value::Bool(true)),
                    "false" => Expr::Literal(Value::Bool(false)),
                    "null" => Expr::Literal(Value::Null),
                    _ => Expr::Path(vec![Step::Field(name)]),
                })
            }
            Some(Token::Punct("(")) => {
                self.at += 1;
                let inner = self.ternary()?;
                self.expect(")")?;
                Ok(inner)
            }
            _ => Err(self.error("expected a name, a 'text', a number or '('".into())),
        }
    }
}

/// Where an expression reads its values.
pub trait Scope {
    /// The value at the root name `name`, if bound.
    fn root(&self, name: &str) -> Option<&Value>;

    /// The value of a path that leads nowhere: `null` unless the scope says
    /// otherwise.
    fn missing(&self, steps: &[Step]) -> Value {
        let _ = steps;
        Value::Null
    }
}

/// A path as written: `response.call1.message.data[0].id`.
pub fn path_text(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Field(name) if out.is_empty() => out.push_str(name),
            Step::Field(name) => {
                out.push('.');
                out.push_str(name);
            }
            Step::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

impl Expr {
    /// The dotted property paths the expression reads, up to their first
    /// index, such as `user.username`.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths(&self, out: &mut Vec<String>) {
        match self {
            Expr::Literal(_) => {}
            Expr::Path(steps) => out.push(
                steps
                    .iter()
                    .map_while(|s| match s {
                        Step::Field(name) => Some(name.as_str()),
                        Step::Index(_) => None,
                    })
                    .collect::<Vec<_>>()
                    .join("."),
            ),
            Expr::Not(e) | Expr::Index(e, _) => e.collect_paths(out),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Equals(a, b, _) => {
                a.collect_paths(out);
                b.collect_paths(out);
            }
            Expr::Concat(parts) => parts.iter().for_each(|p| p.collect_paths(out)),
            Expr::Ternary(c, a, b) => {
                c.collect_paths(out);
                a.collect_paths(out);
                b.collect_paths(out);
            }
            Expr::Method(target, _, args) => {
                target.collect_paths(out);
                args.iter().for_each(|a| a.collect_paths(out));
            }
        }
    }

    /// How many levels the expression nests: 1 for a literal or a path.
    fn depth(&self) -> usize {
        let deepest = |exprs: &mut dyn Iterator<Item = &Expr>| {
            exprs.map(Expr::depth).max().unwrap_or_default()
        };
        1 + match self {
            Expr::Literal(_) | Expr::Path(_) => 0,
            Expr::Not(e) | Expr::Index(e, _) => e.depth(),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Equals(a, b, _) => a.depth().max(b.depth()),
            Expr::Concat(parts) => deepest(&mut parts.iter()),
            Expr::Ternary(c, a, b) => deepest(&mut [c, a, b].into_iter().map(Box::as_ref)),
            Expr::Method(target, _, args) => target.depth().max(deepest(&mut args.iter())),
        }
    }

    /// Whether the expression is one plain property path.
    pub fn as_path(&self) -> Option<&[Step]> {
        match self {
            Expr::Path(steps) => Some(steps),
            _ => None,
        }
    }

    /// Evaluates the expression against `scope`.
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, String> {
        let value = match self {
            Expr::Literal(value) => value.clone(),
            Expr::Path(steps) => read_path(scope, steps),
            Expr::Not(e) => Value::Bool(!truth(&e.eval(scope)?)?),
            Expr::And(a, b) => Value::Bool(truth(&a.eval(scope)?)? && truth(&b.eval(scope)?)?),
            Expr::Or(a, b) => Value::Bool(truth(&a.eval(scope)?)? || truth(&b.eval(scope)?)?),
            Expr::Equals(a, b, negated) => {
                Value::Bool((a.eval(scope)? == b.eval(scope)?) != *negated)
            }
            Expr::Concat(parts) => {
                let values = parts
                    .iter()
                    .map(|p| p.eval(scope))
                    .collect::<Result<Vec<_>, _>>()?;
                match values.iter().map(Value::as_i64).collect::<Option<Vec<_>>>() {
                    Some(numbers) => Value::from(
                        numbers
                            .iter()
                            .try_fold(0i64, |sum, n| sum.checked_add(*n))
                            .ok_or("the sum is too large")?,
                    ),
                    None => Value::String(values.iter().map(text_of).collect()),
                }
            }
            Expr::Ternary(c, a, b) => {
                if truth(&c.eval(scope)?)? {
                    a.eval(scope)?
                } else {
                    b.eval(scope)?
                }
            }
            Expr::Index(target, index) => match target.eval(scope)? {
                Value::Array(mut items) if *index < items.len() => items.swap_remove(*index),
                Value::Array(items) => {
                    return Err(format!(
                        "index {index} is past the end of a list of {}",
                        items.len()
                    ));
                }
                other => {
                    return Err(format!(
                        "{other} is not a list, so [{index}] cannot read it"
                    ));
                }
            },
            Expr::Method(target, method, args) => {
                let target = target.eval(scope)?;
                let args = args
                    .iter()
                    .map(|a| a.eval(scope))
                    .collect::<Result<Vec<_>, _>>()?;
                call(*method, &target, &args)?
            }
        };
        if let Value::String(text) = &value
            && text.len() > MAX_VALUE_LEN
        {
            return Err(format!(
                "a value grew past {MAX_VALUE_LEN} bytes; expressions are capped"
            ));
        }
        Ok(value)
    }
}

fn read_path(scope: &dyn Scope, path: &[Step]) -> Value {
    let mut steps = path.iter();
    let Some(Step::Field(root)) = steps.next() else {
        return Value::Null;
    };
    let Some(mut value) = scope.root(root) else {
        return scope.missing(path);
    };
    for step in steps {
        let next = match step {
            Step::Field(name) => value.get(name),
            Step::Index(index) => value.get(*index),
        };
        match next {
            Some(next) => value = next,
            None => return scope.missing(path),
        }
    }
    value.clone()
}

fn truth(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => Err(format!("{other} is not true or false")),
    }
}

/// How a value reads as text: strings as they are, `null` as nothing.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

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

fn call(method: Method, target: &Value, args: &[Value]) -> Result<Value, String> {
    if let (Method::Length, Value::Array(items)) = (method, target) {
        return Ok(Value::from(items.len()));
    }
    let text = match target {
        Value::String(text) => text.clone(),
        Value::Null => {
            return Err(format!(
                "{method:?} was called on null; check for null first (x != null ? … : …)"
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
