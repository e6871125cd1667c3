//! Evaluating an [`Expr`] against a [`Scope`].

use serde_json::Value;

use super::methods::call;
use super::{Expr, MAX_VALUE_LEN, Scope, Step, text_of};

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
    pub(super) fn depth(&self) -> usize {
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
