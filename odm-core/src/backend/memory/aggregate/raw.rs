//! Simple expressions evaluated on stored raw documents: literals, field
//! paths (`"$a.b"`, `"$$CURRENT.a"`) and objects of those. `$group` reads
//! its key and accumulator arguments this way, so the source documents are
//! never decoded; only the values reached are, and only when a group needs
//! to keep them.

use bson::raw::{RawBsonRef, RawDocument};
use bson::Bson;

use super::deps::invalid;
use super::expr::arith_support::{as_num, Num};
use super::expr::{value_path, Node};
use crate::error::CommandError;

/// A value reached by a simple expression.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    /// Read in place from the document.
    Raw(RawBsonRef<'a>),
    /// A constant of the expression.
    Lit(&'a Bson),
    /// Built for the occasion (a path through an array, an object).
    Owned(Bson),
}

impl Val<'_> {
    /// The value as owned BSON.
    pub(crate) fn into_bson(self) -> Result<Bson, CommandError> {
        match self {
            Val::Raw(v) => Bson::try_from(v).map_err(invalid),
            Val::Lit(v) => Ok(v.clone()),
            Val::Owned(v) => Ok(v),
        }
    }

    /// The number, if the value is one.
    pub(crate) fn num(&self) -> Option<Num> {
        match self {
            Val::Raw(RawBsonRef::Int32(i)) => Some(Num::Int(*i)),
            Val::Raw(RawBsonRef::Int64(i)) => Some(Num::Long(*i)),
            Val::Raw(RawBsonRef::Double(d)) => Some(Num::Double(*d)),
            Val::Raw(RawBsonRef::Decimal128(d)) => Some(Num::Dec(*d)),
            Val::Raw(_) => None,
            Val::Lit(v) => as_num(v),
            Val::Owned(v) => as_num(v),
        }
    }

    /// Append the group-key encoding of the value (see
    /// [`key_bytes`](super::stages::key_bytes)), without decoding strings.
    pub(crate) fn key_bytes(&self, out: &mut Vec<u8>) -> Result<(), CommandError> {
        match self {
            Val::Raw(RawBsonRef::String(s)) => super::stages::key_str(s, out),
            Val::Raw(RawBsonRef::Symbol(s)) => super::stages::key_str(s, out),
            // Other scalars decode without allocating; documents and arrays are rare keys.
            Val::Raw(v) => super::stages::key_bytes(&Bson::try_from(*v).map_err(invalid)?, out),
            Val::Lit(v) => super::stages::key_bytes(v, out),
            Val::Owned(v) => super::stages::key_bytes(v, out),
        }
        Ok(())
    }
}

/// Whether [`eval`] can evaluate `node`.
pub(crate) fn is_simple(node: &Node) -> bool {
    match node {
        Node::Lit(_) | Node::Path(_) => true,
        // Only the document itself at the top level: no local can shadow it.
        Node::Var(name, p) => matches!(name.as_str(), "ROOT" | "CURRENT") && !p.is_empty(),
        Node::Doc(fields) => fields.iter().all(|(_, n)| is_simple(n)),
        _ => false,
    }
}

/// The top-level fields of one stored document that the expressions read,
/// found in a single scan; fields it was not told about are looked up in
/// the document.
pub(crate) struct Row<'a> {
    names: Vec<String>,
    vals: Vec<Option<RawBsonRef<'a>>>,
    doc: Option<&'a RawDocument>,
}

impl<'a> Row<'a> {
    /// A row that prefetches `names`.
    pub(crate) fn new(names: Vec<String>) -> Self {
        let vals = vec![None; names.len()];
        Row {
            names,
            vals,
            doc: None,
        }
    }

    /// Point the row at `doc` (the first occurrence of a name wins, as in
    /// [`RawDocument::get`]).
    pub(crate) fn load(&mut self, doc: &'a RawDocument) -> Result<(), CommandError> {
        self.doc = Some(doc);
        self.vals.iter_mut().for_each(|v| *v = None);
        let mut missing = self.names.len();
        for el in doc.iter_elements() {
            if missing == 0 {
                break;
            }
            let el = el.map_err(invalid)?;
            let key = el.key().as_str();
            let slot = self
                .names
                .iter()
                .position(|n| n == key)
                .and_then(|i| self.vals.get_mut(i));
            if let Some(slot @ None) = slot {
                *slot = Some(el.value().map_err(invalid)?);
                missing -= 1;
            }
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<RawBsonRef<'a>>, CommandError> {
        match self.names.iter().position(|n| n == name) {
            Some(i) => Ok(self.vals.get(i).copied().flatten()),
            None => match self.doc {
                Some(d) => d.get(name).map_err(invalid),
                None => Ok(None),
            },
        }
    }
}

/// Evaluate a simple expression (see [`is_simple`]) against the document
/// `row` holds, with the evaluator's semantics: `None` is missing, paths
/// through arrays collect what each element yields, missing fields of an
/// object are left out.
pub(crate) fn eval<'a>(node: &'a Node, row: &Row<'a>) -> Result<Option<Val<'a>>, CommandError> {
    match node {
        Node::Lit(v) => Ok(Some(Val::Lit(v))),
        Node::Path(p) | Node::Var(_, p) => {
            let Some((first, rest)) = p.split_first() else {
                return Ok(None);
            };
            Ok(match row.get(first)? {
                None => None,
                Some(v) => descend(v, rest)?,
            })
        }
        Node::Doc(fields) => {
            let mut out = bson::Document::new();
            for (k, n) in fields {
                if let Some(v) = eval(n, row)? {
                    out.insert(k.clone(), v.into_bson()?);
                }
            }
            Ok(Some(Val::Owned(Bson::Document(out))))
        }
        _ => Err(CommandError::new(
            1,
            "InternalError",
            "not a simple expression",
        )),
    }
}

/// The rest of a path from a value it reached.
fn descend<'a>(v: RawBsonRef<'a>, rest: &[String]) -> Result<Option<Val<'a>>, CommandError> {
    let Some((first, tail)) = rest.split_first() else {
        return Ok(Some(Val::Raw(v)));
    };
    Ok(match v {
        RawBsonRef::Document(d) => match d.get(first).map_err(invalid)? {
            Some(next) => return descend(next, tail),
            None => None,
        },
        RawBsonRef::Array(_) => {
            let v = Bson::try_from(v).map_err(invalid)?;
            value_path(&v, rest).map(Val::Owned)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use bson::{bson, doc, Document, RawDocumentBuf};

    use super::*;
    use crate::backend::memory::aggregate::expr::{Expr, Vars};

    /// The raw evaluator agrees with the document evaluator.
    fn same(expr: Bson, d: &Document) -> Option<Bson> {
        let e = Expr::compile(&expr).unwrap();
        assert!(is_simple(e.node()), "{expr} should be simple");
        let raw = RawDocumentBuf::try_from(d).unwrap();
        // Prefetched or not, the answer is the same.
        let mut some = Row::new(vec!["a".into(), "zz".into()]);
        some.load(&raw).unwrap();
        let got = eval(e.node(), &some)
            .unwrap()
            .map(|v| v.into_bson().unwrap());
        let mut none = Row::new(Vec::new());
        none.load(&raw).unwrap();
        let again = eval(e.node(), &none)
            .unwrap()
            .map(|v| v.into_bson().unwrap());
        assert_eq!(got, again, "{expr}");
        assert_eq!(got, e.eval(d, &Vars::default()).unwrap(), "{expr}");
        got
    }

    #[test]
    fn paths_literals_and_objects_match_the_evaluator() {
        let d = doc! {
            "a": {"b": {"c": 5_i64}},
            "arr": [{"x": 1}, {"y": 2}, {"x": [3, 4]}, 7],
            "n": null,
            "s": "text",
        };
        assert_eq!(same(bson!("$a.b.c"), &d), Some(bson!(5_i64)));
        assert_eq!(same(bson!("$arr.x"), &d), Some(bson!([1, [3, 4]])));
        assert_eq!(same(bson!("$missing"), &d), None);
        assert_eq!(same(bson!("$s.deeper"), &d), None);
        assert_eq!(same(bson!("$n"), &d), Some(Bson::Null));
        assert_eq!(same(bson!("$$CURRENT.s"), &d), Some(bson!("text")));
        assert_eq!(same(bson!(1), &d), Some(bson!(1)));
        assert_eq!(
            same(bson!({"k": "$a.b.c", "gone": "$missing", "l": "x"}), &d),
            Some(bson!({"k": 5_i64, "l": "x"}))
        );
    }

    #[test]
    fn operators_and_whole_document_are_not_simple() {
        for e in [
            bson!({"$add": ["$a", 1]}),
            bson!("$$ROOT"),
            bson!("$$NOW"),
            bson!({"k": {"$toUpper": "$s"}}),
        ] {
            assert!(!is_simple(Expr::compile(&e).unwrap().node()), "{e}");
        }
    }

    #[test]
    fn group_keys_match_the_decoded_encoding() {
        let d = doc! {"s": "Paris", "i": 3, "l": 3_i64, "f": 3.0, "o": {"z": 1}};
        let raw = RawDocumentBuf::try_from(&d).unwrap();
        for k in ["s", "i", "l", "f", "o"] {
            let mut a = Vec::new();
            let mut b = Vec::new();
            Val::Raw(raw.get(k).unwrap().unwrap())
                .key_bytes(&mut a)
                .unwrap();
            super::super::stages::key_bytes(d.get(k).unwrap(), &mut b);
            assert_eq!(a, b, "{k}");
        }
        let num = |k: &str| Val::Raw(raw.get(k).unwrap().unwrap()).num().map(Num::f64);
        assert_eq!(num("l"), Some(3.0));
        assert_eq!(num("s"), None);
    }
}
