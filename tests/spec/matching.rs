//! The unified test format's result matching: root documents may have extra
//! fields, nested ones may not; key order is ignored; int32, int64 and double
//! compare by value; `$$unsetOrMatches`, `$$exists` and `$$type`.

use bson::{Bson, Document};

/// Whether `actual` (absent = `None`) matches `expected`; the error names the
/// first mismatching path.
pub fn check(expected: &Bson, actual: Option<&Bson>, root: bool, path: &str) -> Result<(), String> {
    if let Bson::Document(e) = expected {
        if let Some(result) = special(e, actual, root, path) {
            return result;
        }
    }
    let Some(actual) = actual else {
        return Err(format!(
            "{}: expected {expected}, found nothing",
            show(path)
        ));
    };
    match (expected, actual) {
        (Bson::Document(e), Bson::Document(a)) => documents(e, a, root, path),
        (Bson::Array(e), Bson::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{}: expected {} elements, found {}: {}",
                    show(path),
                    e.len(),
                    a.len(),
                    Bson::Array(a.clone())
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                // Elements of a root-level array (find results) are root documents.
                check(ev, Some(av), root, &join(path, &i.to_string()))?;
            }
            Ok(())
        }
        (e, a) if is_number(e) && is_number(a) => {
            if numbers_equal(e, a) {
                Ok(())
            } else {
                Err(format!("{}: expected {e}, found {a}", show(path)))
            }
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{}: expected {e}, found {a}", show(path))),
    }
}

fn documents(e: &Document, a: &Document, root: bool, path: &str) -> Result<(), String> {
    for (k, ev) in e {
        check(ev, a.get(k), false, &join(path, k))?;
    }
    if !root {
        if let Some(extra) = a.keys().find(|k| !e.contains_key(*k)) {
            return Err(format!("{}: unexpected field `{extra}` in {a}", show(path)));
        }
    }
    Ok(())
}

/// The special operators; `None` if `e` is a plain document.
fn special(
    e: &Document,
    actual: Option<&Bson>,
    root: bool,
    path: &str,
) -> Option<Result<(), String>> {
    if e.len() != 1 {
        return None;
    }
    let (op, arg) = e.iter().next()?;
    Some(match op.as_str() {
        "$$unsetOrMatches" => match actual {
            None => Ok(()),
            Some(_) => check(arg, actual, root, path),
        },
        "$$exists" => {
            let want = arg.as_bool().unwrap_or(true);
            if actual.is_some() == want {
                Ok(())
            } else {
                Err(format!(
                    "{}: expected the field to {}exist",
                    show(path),
                    if want { "" } else { "not " }
                ))
            }
        }
        "$$type" => {
            let names: Vec<&str> = match arg {
                Bson::String(s) => vec![s.as_str()],
                Bson::Array(a) => a.iter().filter_map(Bson::as_str).collect(),
                _ => Vec::new(),
            };
            match actual {
                Some(v) if names.contains(&type_name(v)) => Ok(()),
                Some(v) => Err(format!(
                    "{}: expected type {names:?}, found {} ({v})",
                    show(path),
                    type_name(v)
                )),
                None => Err(format!(
                    "{}: expected type {names:?}, found nothing",
                    show(path)
                )),
            }
        }
        other if other.starts_with("$$") => {
            Err(format!("{}: unsupported operator {other}", show(path)))
        }
        _ => return None,
    })
}

/// MongoDB's `$type` alias of a value.
pub fn type_name(v: &Bson) -> &'static str {
    match v {
        Bson::Double(_) => "double",
        Bson::String(_) => "string",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Binary(_) => "binData",
        Bson::Undefined => "undefined",
        Bson::ObjectId(_) => "objectId",
        Bson::Boolean(_) => "bool",
        Bson::DateTime(_) => "date",
        Bson::Null => "null",
        Bson::RegularExpression(_) => "regex",
        Bson::DbPointer(_) => "dbPointer",
        Bson::JavaScriptCode(_) => "javascript",
        Bson::Symbol(_) => "symbol",
        Bson::JavaScriptCodeWithScope(_) => "javascriptWithScope",
        Bson::Int32(_) => "int",
        Bson::Timestamp(_) => "timestamp",
        Bson::Int64(_) => "long",
        Bson::Decimal128(_) => "decimal",
        Bson::MinKey => "minKey",
        Bson::MaxKey => "maxKey",
    }
}

fn is_number(v: &Bson) -> bool {
    matches!(v, Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_))
}

fn numbers_equal(a: &Bson, b: &Bson) -> bool {
    let int = |v: &Bson| match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        _ => None,
    };
    let float = |v: &Bson| match v {
        Bson::Int32(i) => f64::from(*i),
        Bson::Int64(i) => *i as f64,
        Bson::Double(d) => *d,
        _ => f64::NAN,
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => x == y,
        _ => {
            let (x, y) = (float(a), float(b));
            x == y || (x.is_nan() && y.is_nan())
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn show(path: &str) -> &str {
    if path.is_empty() {
        "(result)"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{bson, doc};

    #[test]
    fn root_allows_extra_fields_nested_does_not() {
        let e = bson!({"a": 1, "n": {"x": 1}});
        assert!(check(
            &e,
            Some(&bson!({"a": 1i64, "b": 2, "n": {"x": 1.0}})),
            true,
            ""
        )
        .is_ok());
        assert!(check(&e, Some(&bson!({"a": 1, "n": {"x": 1, "y": 2}})), true, "").is_err());
        assert!(check(&e, Some(&bson!({"a": 1, "b": 2, "n": {"x": 1}})), false, "").is_err());
    }

    #[test]
    fn special_operators() {
        let e = Bson::Document(
            doc! {"a": {"$$unsetOrMatches": 1}, "b": {"$$exists": false}, "c": {"$$type": ["int", "long"]}},
        );
        assert!(check(&e, Some(&bson!({"c": 5i64})), true, "").is_ok());
        assert!(check(&e, Some(&bson!({"a": 2, "c": 5})), true, "").is_err());
        assert!(check(&e, Some(&bson!({"b": 1, "c": 5})), true, "").is_err());
        assert!(check(&e, Some(&bson!({"c": "5"})), true, "").is_err());
    }
}
