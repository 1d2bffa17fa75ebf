//! String operators. Offsets are in bytes (`$substrBytes`, `$indexOfBytes`)
//! or code points (`...CP`) as MongoDB counts them; case mapping is ASCII
//! only, as in MongoDB.

use bson::Bson;

use super::compile::{Node, Op};
use super::{nullish, type_name, Env};
use crate::error::CommandError;

fn err(code: i32, msg: String) -> CommandError {
    CommandError::new(code, format!("Location{code}"), msg)
}

/// MongoDB's string coercion for `$toUpper`, `$substr`, `$strcasecmp`:
/// null and missing are "", numbers and dates print.
fn coerce(op: Op, v: &Option<Bson>) -> Result<String, CommandError> {
    match v {
        None | Some(Bson::Null | Bson::Undefined) => Ok(String::new()),
        Some(Bson::String(s) | Bson::Symbol(s)) => Ok(s.clone()),
        Some(Bson::Int32(i)) => Ok(i.to_string()),
        Some(Bson::Int64(i)) => Ok(i.to_string()),
        Some(Bson::Double(d)) => Ok(super::convert::double_to_string(*d)),
        Some(Bson::Decimal128(d)) => Ok(d.to_string()),
        Some(Bson::DateTime(d)) => Ok(super::date::iso(*d)),
        Some(other) => Err(err(
            16007,
            format!(
                "can't convert from BSON type {} to String",
                type_name(other)
            ),
        )
        .with_op(op)),
    }
}

trait WithOp {
    fn with_op(self, op: Op) -> Self;
}
impl WithOp for CommandError {
    fn with_op(mut self, op: Op) -> Self {
        self.message = format!("{}: {}", op.name(), self.message);
        self
    }
}

fn int_arg(op: Op, v: &Option<Bson>, what: &str) -> Result<i64, CommandError> {
    match v
        .as_ref()
        .and_then(super::number::as_num)
        .and_then(|n| n.exact_i64())
    {
        Some(i) => Ok(i),
        None => Err(err(
            34450,
            format!(
                "{}: {what} must be a numeric integer value, found {}",
                op.name(),
                v.as_ref().map_or("missing", type_name)
            ),
        )),
    }
}

fn string_arg(op: Op, v: &Option<Bson>, code: i32) -> Result<&str, CommandError> {
    match v {
        Some(Bson::String(s)) => Ok(s),
        other => Err(err(
            code,
            format!(
                "{} requires a string argument, found: {}",
                op.name(),
                other.as_ref().map_or("missing", type_name)
            ),
        )),
    }
}

pub(super) fn eval(env: &mut Env<'_>, op: Op, args: &[Node]) -> Result<Option<Bson>, CommandError> {
    let vals = env.eval_all(args)?;
    let v0 = vals.first().cloned().flatten();
    let s = |v: String| Ok(Some(Bson::String(v)));
    match op {
        Op::Concat => {
            let mut out = String::new();
            for v in &vals {
                match v {
                    None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
                    Some(Bson::String(x)) => out.push_str(x),
                    Some(other) => {
                        return Err(err(
                            16702,
                            format!("$concat only supports strings, not {}", type_name(other)),
                        ))
                    }
                }
            }
            s(out)
        }
        Op::ToUpper => s(coerce(op, &v0)?.to_ascii_uppercase()),
        Op::ToLower => s(coerce(op, &v0)?.to_ascii_lowercase()),
        Op::Substr | Op::SubstrBytes => {
            let text = coerce(op, &v0)?;
            let start = int_arg(op, &vals.get(1).cloned().flatten(), "starting index")?;
            let len = int_arg(op, &vals.get(2).cloned().flatten(), "length")?;
            // A negative start gives "" (MongoDB's documented `$substr` rule).
            let Ok(start) = usize::try_from(start) else {
                return s(String::new());
            };
            let start = start.min(text.len());
            let end = if len < 0 {
                text.len()
            } else {
                start.saturating_add(len as usize).min(text.len())
            };
            match text.get(start..end) {
                Some(sub) => s(sub.to_owned()),
                None => Err(err(
                    28656,
                    format!(
                        "{}:  Invalid range, starting index is a UTF-8 continuation byte.",
                        op.name()
                    ),
                )),
            }
        }
        Op::SubstrCP => {
            let text = coerce(op, &v0)?;
            let start = int_arg(op, &vals.get(1).cloned().flatten(), "starting index")?;
            let len = int_arg(op, &vals.get(2).cloned().flatten(), "length")?;
            if start < 0 || len < 0 {
                return Err(err(
                    34455,
                    format!(
                        "{}: the starting index and length must be non-negative",
                        op.name()
                    ),
                ));
            }
            s(text
                .chars()
                .skip(start as usize)
                .take(len as usize)
                .collect())
        }
        Op::StrLenCP => Ok(Some(len_bson(
            string_arg(op, &v0.clone(), 34471)?.chars().count(),
        ))),
        Op::StrLenBytes => Ok(Some(len_bson(string_arg(op, &v0.clone(), 34473)?.len()))),
        Op::Split => {
            if nullish(&v0.clone()) {
                return Ok(Some(Bson::Null));
            }
            let text = match &v0 {
                Some(Bson::String(t)) => t,
                other => {
                    return Err(err(40085, format!("$split requires an expression that evaluates to a string as a first argument, found: {}", other.as_ref().map_or("missing", type_name))))
                }
            };
            let delim = match vals.get(1) {
                Some(Some(Bson::String(d))) => d,
                Some(None | Some(Bson::Null | Bson::Undefined)) => return Ok(Some(Bson::Null)),
                Some(other) => {
                    return Err(err(40086, format!("$split requires an expression that evaluates to a string as a second argument, found: {}", other.as_ref().map_or("missing", type_name))))
                }
                None => return Ok(Some(Bson::Null)),
            };
            if delim.is_empty() {
                return Err(err(40087, "$split requires a non-empty separator".into()));
            }
            Ok(Some(Bson::Array(
                text.split(delim.as_str())
                    .map(|p| Bson::String(p.to_owned()))
                    .collect(),
            )))
        }
        Op::Trim | Op::Ltrim | Op::Rtrim => trim(op, &vals),
        Op::RegexMatch | Op::RegexFind | Op::RegexFindAll => regex_op(op, &vals),
        Op::IndexOfCP | Op::IndexOfBytes => index_of(op, &vals),
        Op::Strcasecmp => {
            let a = coerce(op, &v0)?.to_ascii_lowercase();
            let b = coerce(op, &vals.get(1).cloned().flatten())?.to_ascii_lowercase();
            Ok(Some(Bson::Int32(a.cmp(&b) as i32)))
        }
        _ => replace(op, &vals),
    }
}

fn len_bson(n: usize) -> Bson {
    Bson::Int32(i32::try_from(n).unwrap_or(i32::MAX))
}

fn trim(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let input = vals.first().cloned().flatten();
    if nullish(&input) {
        return Ok(Some(Bson::Null));
    }
    let Some(Bson::String(text)) = input else {
        return Err(err(
            50699,
            format!(
                "{} requires its input to be a string, got {} instead.",
                op.name(),
                input.as_ref().map_or("missing", type_name)
            ),
        ));
    };
    let chars: Option<Vec<char>> = match vals.get(1) {
        None | Some(None) => None,
        Some(Some(Bson::String(c))) => Some(c.chars().collect()),
        Some(Some(Bson::Null | Bson::Undefined)) => return Ok(Some(Bson::Null)),
        Some(Some(other)) => {
            return Err(err(
                50700,
                format!(
                    "{} requires 'chars' to be a string, got {} instead.",
                    op.name(),
                    type_name(other)
                ),
            ))
        }
    };
    let is_trim = |c: char| match &chars {
        Some(set) => set.contains(&c),
        None => c.is_whitespace() || c == '\0',
    };
    let out = match op {
        Op::Ltrim => text.trim_start_matches(is_trim),
        Op::Rtrim => text.trim_end_matches(is_trim),
        _ => text.trim_matches(is_trim),
    };
    Ok(Some(Bson::String(out.to_owned())))
}

fn compile_regex(
    op: Op,
    pattern: &Bson,
    options: &Option<Bson>,
) -> Result<fancy_regex::Regex, CommandError> {
    let (pat, mut opts) = match pattern {
        Bson::String(p) => (p.clone(), String::new()),
        Bson::RegularExpression(r) => (r.pattern.to_string(), r.options.to_string()),
        other => {
            return Err(err(
                51105,
                format!(
                    "{} needs 'regex' to be of type string or regex, found {}",
                    op.name(),
                    type_name(other)
                ),
            ))
        }
    };
    match options {
        None | Some(Bson::Null | Bson::Undefined) => {}
        Some(Bson::String(o)) => {
            if !opts.is_empty() && !o.is_empty() {
                return Err(err(
                    51075,
                    format!(
                        "{}: regex option(s) specified in both 'regex' and 'option' fields",
                        op.name()
                    ),
                ));
            }
            opts.push_str(o)
        }
        Some(other) => {
            return Err(err(
                51106,
                format!(
                    "{} needs 'options' to be of type string, found {}",
                    op.name(),
                    type_name(other)
                ),
            ))
        }
    }
    let mut b = fancy_regex::RegexBuilder::new(&pat);
    for c in opts.chars() {
        match c {
            'i' => b.case_insensitive(true),
            'm' => b.multi_line(true),
            's' => b.dot_matches_new_line(true),
            'x' => b.ignore_whitespace(true),
            other => {
                return Err(err(
                    51108,
                    format!("{}: invalid flag in regex options: {other}", op.name()),
                ))
            }
        };
    }
    b.build()
        .map_err(|e| err(51111, format!("{}: Invalid Regex: {e}", op.name())))
}

/// Matching itself can fail (a backtracking limit): MongoDB's 51156.
fn regex_failed(op: Op, e: fancy_regex::Error) -> CommandError {
    err(
        51156,
        format!(
            "{}: error occurred while executing the regular expression: {e}",
            op.name()
        ),
    )
}

fn regex_op(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let input = vals.first().cloned().flatten();
    let pattern = vals.get(1).cloned().flatten();
    let empty = match op {
        Op::RegexMatch => Bson::Boolean(false),
        Op::RegexFind => Bson::Null,
        _ => Bson::Array(Vec::new()),
    };
    if nullish(&pattern) {
        return Ok(Some(empty));
    }
    let re = compile_regex(
        op,
        pattern.as_ref().unwrap_or(&Bson::Null),
        &vals.get(2).cloned().flatten(),
    )?;
    let text: &str = match &input {
        None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(empty)),
        Some(Bson::String(t)) => t.as_str(),
        Some(other) => {
            return Err(err(
                51104,
                format!(
                    "{} needs 'input' to be of type string, found {}",
                    op.name(),
                    type_name(other)
                ),
            ))
        }
    };
    let describe = |c: fancy_regex::Captures<'_, str>| -> Bson {
        let m = c.get(0).map_or("", |m| m.as_str());
        let start = c.get(0).map_or(0, |m| m.start());
        let idx = text.get(..start).map_or(0, |p| p.chars().count());
        let captures: Vec<Bson> = c
            .iter()
            .skip(1)
            .map(|g| g.map_or(Bson::Null, |g| Bson::String(g.as_str().to_owned())))
            .collect();
        Bson::Document(bson::doc! {"match": m, "idx": len_bson(idx), "captures": captures})
    };
    Ok(Some(match op {
        Op::RegexMatch => Bson::Boolean(re.is_match(text).map_err(|e| regex_failed(op, e))?),
        Op::RegexFind => re
            .captures(text)
            .map_err(|e| regex_failed(op, e))?
            .map_or(Bson::Null, describe),
        _ => {
            let mut all = Vec::new();
            for c in re.captures_iter(text) {
                all.push(describe(c.map_err(|e| regex_failed(op, e))?));
            }
            Bson::Array(all)
        }
    }))
}

fn index_of(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let input = vals.first().cloned().flatten();
    if nullish(&input) {
        return Ok(Some(Bson::Null));
    }
    let Some(Bson::String(text)) = input else {
        return Err(err(
            40091,
            format!(
                "{} requires a string as the first argument, found: {}",
                op.name(),
                input.as_ref().map_or("missing", type_name)
            ),
        ));
    };
    let Some(Some(Bson::String(needle))) = vals.get(1) else {
        return Err(err(
            40092,
            format!(
                "{} requires a string as the second argument, found: {}",
                op.name(),
                vals.get(1)
                    .cloned()
                    .flatten()
                    .as_ref()
                    .map_or("missing", type_name)
            ),
        ));
    };
    let bound = |i: usize| -> Result<Option<usize>, CommandError> {
        match vals.get(i) {
            None | Some(None) => Ok(None),
            Some(v) => {
                let n = int_arg(op, v, "index")?;
                if n < 0 {
                    return Err(err(
                        40097,
                        format!(
                            "{} requires a nonnegative start index, found: {n}",
                            op.name()
                        ),
                    ));
                }
                Ok(Some(usize::try_from(n).unwrap_or(usize::MAX)))
            }
        }
    };
    let (start, end) = (bound(2)?.unwrap_or(0), bound(3)?);
    let found = if op == Op::IndexOfBytes {
        let end = end.unwrap_or(text.len()).min(text.len());
        if start > end {
            None
        } else {
            text.as_bytes()
                .get(start..end)
                .and_then(|hay| find_bytes(hay, needle.as_bytes()))
                .map(|i| i + start)
        }
    } else {
        let chars: Vec<char> = text.chars().collect();
        let needle: Vec<char> = needle.chars().collect();
        let end = end.unwrap_or(chars.len()).min(chars.len());
        if start > end {
            None
        } else {
            chars.get(start..end).and_then(|hay| {
                if needle.is_empty() {
                    return Some(start);
                }
                hay.windows(needle.len())
                    .position(|w| w == needle.as_slice())
                    .map(|i| i + start)
            })
        }
    };
    Ok(Some(found.map_or(Bson::Int32(-1), len_bson)))
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn replace(op: Op, vals: &[Option<Bson>]) -> Result<Option<Bson>, CommandError> {
    let mut parts = Vec::with_capacity(3);
    for (i, name) in ["input", "find", "replacement"].iter().enumerate() {
        match vals.get(i).cloned().flatten() {
            None | Some(Bson::Null | Bson::Undefined) => parts.push(None),
            Some(Bson::String(x)) => parts.push(Some(x)),
            Some(other) => {
                return Err(err(
                    51746,
                    format!(
                        "{} requires that '{name}' be a string, found: {}",
                        op.name(),
                        type_name(&other)
                    ),
                ))
            }
        }
    }
    let (Some(Some(input)), Some(Some(find)), Some(Some(rep))) =
        (parts.first(), parts.get(1), parts.get(2))
    else {
        return Ok(Some(Bson::Null));
    };
    Ok(Some(Bson::String(if op == Op::ReplaceOne {
        input.replacen(find.as_str(), rep, 1)
    } else {
        input.replace(find.as_str(), rep)
    })))
}
