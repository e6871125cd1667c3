//! Parsing tokens into an [`Expr`], with the depth limit and offsets in
//! every error.

use serde_json::Value;

use super::lexer::{Token, show, tokenize};
use super::methods::METHODS;
use super::{Expr, MAX_DEPTH, Method, ParseError, Step};

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
