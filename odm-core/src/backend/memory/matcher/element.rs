//! Element operators: `$exists`, `$type` and `$mod` arguments.

use bson::raw::RawBsonRef;
use bson::spec::ElementType;
use bson::Bson;

use super::pred::{f64_to_i64, is_number};
use crate::error::CommandError;

fn bad_value(msg: impl Into<String>) -> CommandError {
    CommandError::new(2, "BadValue", msg)
}

/// The set of BSON types a `$type` accepts; `number` stands for all four.
#[derive(Debug, Clone, Default)]
pub(crate) struct TypeSet {
    types: Vec<ElementType>,
    number: bool,
}

impl TypeSet {
    /// Parse `$type`'s argument: a name, a code, or an array of them.
    pub(crate) fn parse(arg: &Bson) -> Result<Self, CommandError> {
        let mut set = TypeSet::default();
        match arg {
            Bson::Array(items) => {
                for item in items {
                    set.add(item)?;
                }
            }
            other => set.add(other)?,
        }
        Ok(set)
    }

    fn add(&mut self, v: &Bson) -> Result<(), CommandError> {
        match v {
            Bson::String(name) if name == "number" => self.number = true,
            Bson::String(name) => self.types.push(
                type_by_name(name)
                    .ok_or_else(|| bad_value(format!("Unknown type name alias: {name}")))?,
            ),
            Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => {
                let code = match v {
                    Bson::Int32(i) => Some(i64::from(*i)),
                    Bson::Int64(i) => Some(*i),
                    Bson::Double(d) if d.fract() == 0.0 => f64_to_i64(*d),
                    _ => None,
                };
                let t = code.and_then(type_by_code).ok_or_else(|| {
                    bad_value(format!("Invalid numerical type code: {}", display(v)))
                })?;
                self.types.push(t);
            }
            _ => {
                return Err(CommandError::new(
                    14,
                    "TypeMismatch",
                    "type must be represented as a number or a string",
                ))
            }
        }
        Ok(())
    }

    /// Whether a value has one of the types.
    pub(crate) fn contains(&self, v: RawBsonRef<'_>) -> bool {
        let t = v.element_type();
        (self.number && is_number(t)) || self.types.contains(&t)
    }
}

fn display(v: &Bson) -> String {
    match v {
        Bson::Double(d) => d.to_string(),
        other => other.to_string(),
    }
}

/// A BSON type by its `$type` alias.
pub(crate) fn type_by_name(name: &str) -> Option<ElementType> {
    Some(match name {
        "double" => ElementType::Double,
        "string" => ElementType::String,
        "object" => ElementType::EmbeddedDocument,
        "array" => ElementType::Array,
        "binData" => ElementType::Binary,
        "undefined" => ElementType::Undefined,
        "objectId" => ElementType::ObjectId,
        "bool" => ElementType::Boolean,
        "date" => ElementType::DateTime,
        "null" => ElementType::Null,
        "regex" => ElementType::RegularExpression,
        "dbPointer" => ElementType::DbPointer,
        "javascript" => ElementType::JavaScriptCode,
        "symbol" => ElementType::Symbol,
        "javascriptWithScope" => ElementType::JavaScriptCodeWithScope,
        "int" => ElementType::Int32,
        "timestamp" => ElementType::Timestamp,
        "long" => ElementType::Int64,
        "decimal" => ElementType::Decimal128,
        "minKey" => ElementType::MinKey,
        "maxKey" => ElementType::MaxKey,
        _ => return None,
    })
}

fn type_by_code(code: i64) -> Option<ElementType> {
    match code {
        -1 => Some(ElementType::MinKey),
        127 => Some(ElementType::MaxKey),
        1..=19 => ElementType::from(u8::try_from(code).ok()?),
        _ => None,
    }
}

/// Parse `$mod: [divisor, remainder]` as MongoDB does (doubles truncate).
pub(crate) fn parse_mod(arg: &Bson) -> Result<(i64, i64), CommandError> {
    let Bson::Array(items) = arg else {
        return Err(bad_value("malformed mod, needs to be an array"));
    };
    let (d, r) = match items.as_slice() {
        [] | [_] => return Err(bad_value("malformed mod, not enough elements")),
        [d, r] => (d, r),
        _ => return Err(bad_value("malformed mod, too many elements")),
    };
    let num = |v: &Bson, what: &str| -> Result<i64, CommandError> {
        let n = match v {
            Bson::Int32(i) => Some(i64::from(*i)),
            Bson::Int64(i) => Some(*i),
            Bson::Double(d) => f64_to_i64(*d),
            Bson::Decimal128(d) => d.to_string().parse::<f64>().ok().and_then(f64_to_i64),
            _ => return Err(bad_value(format!("malformed mod, {what} not a number"))),
        };
        n.ok_or_else(|| bad_value(format!("malformed mod, {what} value is invalid")))
    };
    let divisor = num(d, "divisor")?;
    let remainder = num(r, "remainder")?;
    if divisor == 0 {
        return Err(bad_value("divisor cannot be 0"));
    }
    Ok((divisor, remainder))
}
