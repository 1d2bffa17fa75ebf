//! Conditionals: `$cond`, `$ifNull` (n-ary: the first non-null argument,
//! else the last) and `$switch` (evaluated lazily, branch by branch).

use bson::Bson;

use super::compile::{arg, Node, Op};
use super::{nullish, truthy, Env};
use crate::error::CommandError;

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    match op {
        Op::Cond => {
            let c = env.eval(arg(args, 0))?;
            if c.as_ref().is_some_and(truthy) {
                env.eval(arg(args, 1))
            } else {
                env.eval(arg(args, 2))
            }
        }
        Op::IfNull => {
            let (last, init) = match args.split_last() {
                Some(x) => x,
                None => return Ok(Some(Bson::Null)),
            };
            for a in init {
                let v = env.eval(a)?;
                if !nullish(&v) {
                    return Ok(v);
                }
            }
            env.eval(last)
        }
        _ => {
            let default = arg(args, 0);
            let branches = args.get(1..).unwrap_or_default();
            for pair in branches.chunks(2) {
                if let [case, then] = pair {
                    if env.eval(case)?.as_ref().is_some_and(truthy) {
                        return env.eval(then);
                    }
                }
            }
            if matches!(default, Node::Absent) {
                return Err(CommandError::new(
                    40066,
                    "Location40066",
                    "$switch could not find a matching branch for an input, and no default was specified.",
                ));
            }
            env.eval(default)
        }
    }
}
