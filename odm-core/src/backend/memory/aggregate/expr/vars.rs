//! Variable scopes: `$let`, and the iterating operators that bind a
//! variable per element (`$map`, `$filter`, `$reduce`).

use bson::Bson;

use super::compile::{arg, Node, Op};
use super::{nullish, truthy, type_name, Env};
use crate::error::CommandError;

/// User variable names start with a lowercase letter or a non-ASCII
/// character (so they cannot shadow `ROOT`, `CURRENT`, ...).
pub(crate) fn check_user_name(name: &str) -> Result<(), CommandError> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || !c.is_ascii())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || !c.is_ascii());
    if ok {
        Ok(())
    } else {
        Err(CommandError::new(
            16870,
            "Location16870",
            format!("'{name}' starts with an invalid character for a user variable name"),
        ))
    }
}

/// `as` of `$map`/`$filter` must be a valid variable name.
pub(super) fn check_binding(op: Op, args: &[Node]) -> Result<(), CommandError> {
    if op == Op::Reduce {
        return Ok(());
    }
    match arg(args, 1) {
        Node::Absent => Ok(()),
        Node::Lit(Bson::String(s)) => check_user_name(s),
        _ => Err(CommandError::failed_to_parse(format!(
            "{}: 'as' must be a variable name",
            op.name()
        ))),
    }
}

fn var_name(args: &[Node]) -> String {
    match arg(args, 1) {
        Node::Lit(Bson::String(s)) => s.clone(),
        _ => "this".to_owned(),
    }
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    if op == Op::Let {
        let Node::Doc(defs) = arg(args, 0) else {
            return Ok(None);
        };
        // Every definition sees the outer scope only.
        let mut bound = Vec::with_capacity(defs.len());
        for (name, node) in defs {
            bound.push((name.clone(), env.eval(node)?.unwrap_or(Bson::Undefined)));
        }
        return env.with_locals(bound, |env| env.eval(arg(args, 1)));
    }
    let input = env.eval(arg(args, 0))?;
    if nullish(&input) {
        return Ok(Some(Bson::Null));
    }
    let Some(Bson::Array(items)) = input else {
        let code = match op {
            Op::Map => 16883,
            Op::Filter => 28651,
            _ => 40080,
        };
        return Err(CommandError::new(
            code,
            format!("Location{code}"),
            format!(
                "input to {} must be an array not {}",
                op.name(),
                input.as_ref().map_or("missing", type_name)
            ),
        ));
    };
    match op {
        Op::Map => {
            let name = var_name(args);
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let v =
                    env.with_locals(vec![(name.clone(), item)], |env| env.eval(arg(args, 2)))?;
                out.push(v.unwrap_or(Bson::Null));
            }
            Ok(Some(Bson::Array(out)))
        }
        Op::Filter => {
            let name = var_name(args);
            let limit = match env.eval(arg(args, 3))? {
                None | Some(Bson::Null) => usize::MAX,
                Some(v) => match super::number::as_num(&v).and_then(|n| n.exact_i64()) {
                    Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
                    _ => {
                        return Err(CommandError::new(
                            327391,
                            "Location327391",
                            format!("$filter: limit must be a positive integer, found {v}"),
                        ))
                    }
                },
            };
            let mut out = Vec::new();
            for item in items {
                if out.len() >= limit {
                    break;
                }
                let keep = env.with_locals(vec![(name.clone(), item.clone())], |env| {
                    env.eval(arg(args, 2))
                })?;
                if keep.as_ref().is_some_and(truthy) {
                    out.push(item);
                }
            }
            Ok(Some(Bson::Array(out)))
        }
        _ => {
            let mut acc = env.eval(arg(args, 1))?.unwrap_or(Bson::Null);
            for item in items {
                acc = env
                    .with_locals(
                        vec![("value".to_owned(), acc), ("this".to_owned(), item)],
                        |env| env.eval(arg(args, 2)),
                    )?
                    .unwrap_or(Bson::Null);
            }
            Ok(Some(acc))
        }
    }
}
