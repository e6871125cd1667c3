//! Evaluating an [`Expr`] against a [`Scope`].

use serde_json::Value;

use super::methods::call;
use super::{Expr, MAX_VALUE_LEN, Scope, text_of};
use crate::dialect::mapping::{Segment, lookup};

impl Expr {
    /// The dotted property paths the expression reads, up to their first
    /// index, such as `user.username`.
    pub fn paths(&self) -> Vec<String> {
        let Expr::Path(steps) = self else {
            return self.children().into_iter().flat_map(Expr::paths).collect();
        };
        let fields = steps.iter().map_while(|step| match step {
            Segment::Field(name) => Some(name.as_str()),
            Segment::Index(_) => None,
        });
        vec![fields.collect::<Vec<_>>().join(".")]
    }

    /// How many levels the expression nests: 1 for a literal or a path.
    pub(super) fn depth(&self) -> usize {
        1 + self
            .children()
            .into_iter()
            .map(Expr::depth)
            .max()
            .unwrap_or_default()
    }

    /// The expressions directly inside this one, in the order they read.
    fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Literal(_) | Expr::Path(_) => Vec::new(),
            Expr::Not(e) | Expr::Index(e, _) => vec![e],
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Equals(a, b, _) => vec![a, b],
            Expr::Concat(parts) => parts.iter().collect(),
            Expr::Ternary(c, a, b) => vec![c, a, b],
            Expr::Method(target, _, args) => std::iter::once(&**target).chain(args).collect(),
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
                let values = eval_all(parts, scope)?;
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
            Expr::Ternary(c, a, b) => if truth(&c.eval(scope)?)? { a } else { b }.eval(scope)?,
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
                call(*method, &target, &eval_all(args, scope)?)?
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

/// Evaluates each of `exprs` in order, stopping at the first error.
fn eval_all(exprs: &[Expr], scope: &dyn Scope) -> Result<Vec<Value>, String> {
    exprs.iter().map(|e| e.eval(scope)).collect()
}

fn read_path(scope: &dyn Scope, path: &[Segment]) -> Value {
    let Some((Segment::Field(root), steps)) = path.split_first() else {
        return Value::Null;
    };
    let found = scope.root(root).and_then(|root| lookup(root, steps));
    found.map_or_else(|| scope.missing(path), Value::clone)
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
