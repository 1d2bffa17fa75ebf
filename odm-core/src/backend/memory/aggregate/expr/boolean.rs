//! Boolean operators: `$and`, `$or` (short-circuiting), `$not`,
//! `$allElementsTrue`, `$anyElementTrue`, all with MongoDB's truthiness.

use bson::Bson;

use super::compile::{Node, Op};
use super::{truthy, type_name, Env};
use crate::error::CommandError;

fn truthy_opt(v: &Option<Bson>) -> bool {
    v.as_ref().is_some_and(truthy)
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    match op {
        Op::And => {
            for a in args {
                if !truthy_opt(&env.eval(a)?) {
                    return Ok(Some(Bson::Boolean(false)));
                }
            }
            Ok(Some(Bson::Boolean(true)))
        }
        Op::Or => {
            for a in args {
                if truthy_opt(&env.eval(a)?) {
                    return Ok(Some(Bson::Boolean(true)));
                }
            }
            Ok(Some(Bson::Boolean(false)))
        }
        Op::Not => {
            let v = match args.first() {
                Some(a) => env.eval(a)?,
                None => None,
            };
            Ok(Some(Bson::Boolean(!truthy_opt(&v))))
        }
        _ => {
            let v = match args.first() {
                Some(a) => env.eval(a)?,
                None => None,
            };
            let Some(Bson::Array(items)) = v else {
                return Err(CommandError::new(
                    17040,
                    "Location17040",
                    format!(
                        "{}'s argument must be an array, but is {}",
                        op.name(),
                        v.as_ref().map_or("missing", type_name)
                    ),
                ));
            };
            Ok(Some(Bson::Boolean(if op == Op::AllElementsTrue {
                items.iter().all(truthy)
            } else {
                items.iter().any(truthy)
            })))
        }
    }
}
