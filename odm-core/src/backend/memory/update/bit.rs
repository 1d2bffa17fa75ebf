//! `$bit`: bitwise `and`/`or`/`xor` on int32 and int64 fields.

use bson::Bson;

use super::fields::set;
use super::path::Walk;
use crate::error::CommandError;
use crate::value::{display_bson, element_type_name};

#[derive(Debug, Clone, Copy, PartialEq)]
enum BitOp {
    And,
    Or,
    Xor,
}

/// The operations of one `$bit` field, applied in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BitOps(Vec<(BitOp, Bson)>);

const FORMAT: &str = "{$bit: {field: {and/or/xor: #}}";

impl BitOps {
    /// Parse `{and: 5, or: 2}`; operands must be int32 or int64.
    pub fn parse(field: &str, arg: &Bson) -> Result<Self, CommandError> {
        let Bson::Document(d) = arg else {
            return Err(CommandError::bad_value(format!(
                "The $bit modifier is not compatible with a {}. You must pass in an embedded \
                 document: {FORMAT}",
                element_type_name(arg.element_type())
            )));
        };
        if d.is_empty() {
            return Err(CommandError::bad_value(format!(
                "You must pass in at least one bitwise operation. The format is: {FORMAT}"
            )));
        }
        let mut ops = Vec::with_capacity(d.len());
        for (name, v) in d {
            let op = match name.as_str() {
                "and" => BitOp::And,
                "or" => BitOp::Or,
                "xor" => BitOp::Xor,
                _ => {
                    return Err(CommandError::bad_value(format!(
                        "The $bit modifier only supports 'and', 'or', and 'xor', not '{name}' \
                         which is an unknown operator: {{{name}: {}}}",
                        display_bson(v)
                    )))
                }
            };
            if !matches!(v, Bson::Int32(_) | Bson::Int64(_)) {
                return Err(CommandError::bad_value(format!(
                    "The $bit modifier field must be an Integer(32/64 bit); a '{}' is not \
                     supported here: {{{name}: {}}} in {field}",
                    element_type_name(v.element_type()),
                    display_bson(v)
                )));
            }
            ops.push((op, v.clone()));
        }
        Ok(BitOps(ops))
    }

    fn fold(&self, start: &Bson) -> Bson {
        self.0.iter().fold(start.clone(), |acc, (op, operand)| {
            combine(*op, &acc, operand)
        })
    }

    /// Apply to an existing integer.
    pub fn apply(&self, value: &mut Bson, field: &str, w: &Walk<'_>) -> Result<bool, CommandError> {
        if !matches!(value, Bson::Int32(_) | Bson::Int64(_)) {
            return Err(CommandError::bad_value(format!(
                "Cannot apply $bit to a value of non-integral type.{} has the field {field} of \
                 non-integer type {}",
                w.id_text(),
                element_type_name(value.element_type())
            )));
        }
        let result = self.fold(value);
        Ok(set(value, &result))
    }

    /// A missing field is computed from int32 zero.
    pub fn on_missing(&self) -> Bson {
        self.fold(&Bson::Int32(0))
    }
}

/// int32 with int32 stays int32; anything with an int64 is an int64.
fn combine(op: BitOp, x: &Bson, y: &Bson) -> Bson {
    fn apply<
        T: std::ops::BitAnd<Output = T> + std::ops::BitOr<Output = T> + std::ops::BitXor<Output = T>,
    >(
        op: BitOp,
        a: T,
        b: T,
    ) -> T {
        match op {
            BitOp::And => a & b,
            BitOp::Or => a | b,
            BitOp::Xor => a ^ b,
        }
    }
    match (x, y) {
        (Bson::Int32(a), Bson::Int32(b)) => Bson::Int32(apply(op, *a, *b)),
        _ => {
            let wide = |v: &Bson| match v {
                Bson::Int32(i) => i64::from(*i),
                Bson::Int64(i) => *i,
                _ => 0,
            };
            Bson::Int64(apply(op, wide(x), wide(y)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn ops(d: bson::Document) -> BitOps {
        BitOps::parse("f", &Bson::Document(d)).unwrap()
    }

    #[test]
    fn operations_fold_in_order() {
        assert_eq!(
            ops(doc! {"and": 0b1010, "or": 0b0001}).fold(&Bson::Int32(0b1110)),
            Bson::Int32(0b1011)
        );
        assert_eq!(
            ops(doc! {"xor": 5i64}).fold(&Bson::Int32(1)),
            Bson::Int64(4)
        );
        assert_eq!(ops(doc! {"or": 6}).on_missing(), Bson::Int32(6));
        assert_eq!(ops(doc! {"and": 6}).on_missing(), Bson::Int32(0));
    }

    #[test]
    fn arguments_are_checked() {
        for bad in [
            Bson::Int32(1),
            Bson::Document(doc! {}),
            Bson::Document(doc! {"nand": 1}),
            Bson::Document(doc! {"and": 1.0}),
        ] {
            assert_eq!(BitOps::parse("f", &bad).unwrap_err().code, 2, "{bad}");
        }
    }
}
