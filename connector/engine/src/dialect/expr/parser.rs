//! Parsing tokens into an [`Expr`], with the depth limit and offsets in
//! every error.

use serde_json::Value;

use super::lexer::{Token, show, tokenize};
use super::methods::{METHODS, TABLE};
use super::{Expr, MAX_DEPTH, ParseError};
use crate::dialect::mapping::Segment;

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    end: usize,
    /// How many parse calls enclose the current one.
    depth: usize,
}

/// Builds a binary operator's node from its operands.
type Join = fn(Box<Expr>, Box<Expr>) -> Expr;

/// Parses an expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(ParseError::new(
            0,
            "the expression is empty; expected a name such as user.username",
        ));
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        end: text.len(),
        depth: 0,
    };
    let expr = parser.ternary()?;
    if let Some((offset, token)) = parser.tokens.get(parser.at) {
        let found = show(token);
        let message = format!("unexpected {found}; expected an operator or the end");
        return Err(ParseError::new(*offset, message));
    }
    Ok(expr)
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
        ParseError::new(self.offset(), format!("found {found}; {expected}"))
    }

    fn too_deep(offset: usize) -> ParseError {
        let message = format!(
            "the expression nests deeper than {MAX_DEPTH} levels; expected a flatter expression"
        );
        ParseError::new(offset, message)
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
        self.nested(|parser| {
            let condition = parser.or()?;
            let offset = parser.offset();
            if !parser.eat("?") {
                return Ok(condition);
            }
            let then = parser.ternary()?;
            parser.expect(":")?;
            let otherwise = parser.ternary()?;
            let ternary = Expr::Ternary(Box::new(condition), Box::new(then), Box::new(otherwise));
            Self::node(ternary, offset)
        })
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        self.chain(Self::and, &[("||", Expr::Or)])
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        self.chain(Self::equality, &[("&&", Expr::And)])
    }

    fn equality(&mut self) -> Result<Expr, ParseError> {
        self.chain(
            Self::concat,
            &[
                ("==", |a, b| Expr::Equals(a, b, false)),
                ("!=", |a, b| Expr::Equals(a, b, true)),
            ],
        )
    }

    /// `operand`s joined, from the left, by any of `operators`.
    fn chain(
        &mut self,
        operand: fn(&mut Self) -> Result<Expr, ParseError>,
        operators: &[(&str, Join)],
    ) -> Result<Expr, ParseError> {
        let mut left = operand(self)?;
        loop {
            let offset = self.offset();
            let Some((_, join)) = operators.iter().find(|(op, _)| self.eat(op)) else {
                return Ok(left);
            };
            left = Self::node(join(Box::new(left), Box::new(operand(self)?)), offset)?;
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
                    let Some((_, method, arity)) = TABLE.iter().find(|(n, ..)| *n == name) else {
                        let message = format!("'{name}' is not a method here; expected {METHODS}");
                        return Err(ParseError::new(offset, message));
                    };
                    let mut args = Vec::new();
                    while !self.eat(")") {
                        if !args.is_empty() {
                            self.expect(",")?;
                        }
                        args.push(self.ternary()?);
                    }
                    if !arity.contains(&args.len()) {
                        let takes = if arity.start() == arity.end() {
                            arity.start().to_string()
                        } else {
                            format!("{} or {}", arity.start(), arity.end())
                        };
                        let message =
                            format!("'{name}' takes {takes} arguments, not {}", args.len());
                        return Err(ParseError::new(offset, message));
                    }
                    expr = Self::node(Expr::Method(Box::new(expr), *method, args), operator)?;
                } else if let Expr::Path(steps) = &mut expr {
                    steps.push(Segment::Field(name));
                } else {
                    return Err(ParseError::new(
                        offset,
                        format!(
                            "'{name}' is read from something that is not a property; expected a method call"
                        ),
                    ));
                }
            } else if self.eat("[") {
                let Some(Token::Number(index)) = self.peek().cloned() else {
                    return Err(self.error("expected an index such as [0]".into()));
                };
                self.at += 1;
                self.expect("]")?;
                let index = index as usize;
                if let Expr::Path(steps) = &mut expr {
                    steps.push(Segment::Index(index));
                } else {
                    expr = Self::node(Expr::Index(Box::new(expr), index), operator)?;
                }
            } else {
                return Ok(expr);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let expr = match self.peek().cloned() {
            Some(Token::Text(text)) => Expr::Literal(Value::String(text)),
            Some(Token::Number(n)) => Expr::Literal(Value::from(n)),
            Some(Token::Ident(name)) => match name.as_str() {
                "true" => Expr::Literal(Value::Bool(true)),
                "false" => Expr::Literal(Value::Bool(false)),
                "null" => Expr::Literal(Value::Null),
                _ => Expr::Path(vec![Segment::Field(name)]),
            },
            Some(Token::Punct("(")) => {
                self.at += 1;
                let inner = self.ternary()?;
                self.expect(")")?;
                return Ok(inner);
            }
            _ => return Err(self.error("expected a name, a 'text', a number or '('".into())),
        };
        self.at += 1;
        Ok(expr)
    }
}
