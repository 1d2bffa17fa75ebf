//! `$group` accumulators: a compiled specification ([`AccSpec`]) and the
//! running state of one group ([`AccState`]).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;

use bson::{Bson, Document};

use super::err;
use super::group::key_bytes;
use crate::backend::memory::aggregate::deps::Deps;
use crate::backend::memory::aggregate::expr::{arith_support as arith, sort_support as sorting};
use crate::backend::memory::aggregate::expr::{compare_values, Expr, Vars};
use crate::backend::memory::aggregate::raw;
use crate::error::CommandError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
    Push,
    AddToSet,
    Count,
    MergeObjects,
    StdDevPop,
    StdDevSamp,
    Top,
    Bottom,
    TopN,
    BottomN,
    FirstN,
    LastN,
    MaxN,
    MinN,
}

/// One compiled accumulator: `{name: {$op: expr}}`.
#[derive(Debug, Clone)]
pub(crate) struct AccSpec {
    pub(crate) name: String,
    kind: Kind,
    input: Expr,
    n: Option<Expr>,
    sort: Option<sorting::SortKeys>,
}

/// The running state of one accumulator in one group.
#[derive(Debug, Clone)]
pub(crate) enum AccState {
    Sum(arith::Summer),
    Var(arith::Variance),
    Best(Option<Bson>),
    First(Option<Bson>),
    Last(Bson),
    Push(Vec<Bson>),
    Set(Vec<Bson>, HashSet<Vec<u8>>),
    Count(i64),
    Merge(Document),
    /// `$top`/`$bottom` and their `N` forms: (sort key values, output), kept sorted.
    Ranked(Vec<(Vec<Bson>, Bson)>, usize),
    /// `$firstN`/`$lastN`/`$maxN`/`$minN`.
    Many(Vec<Bson>, usize),
}

impl AccSpec {
    pub(crate) fn compile(name: &str, spec: &Bson) -> Result<Self, CommandError> {
        let Bson::Document(d) = spec else {
            return Err(err(
                40234,
                format!("The field '{name}' must be an accumulator object"),
            ));
        };
        let mut it = d.iter();
        let (Some((op, arg)), None) = (it.next(), it.next()) else {
            return Err(err(
                40238,
                format!("The field '{name}' must specify one accumulator"),
            ));
        };
        let kind = match op.as_str() {
            "$sum" => Kind::Sum,
            "$avg" => Kind::Avg,
            "$min" => Kind::Min,
            "$max" => Kind::Max,
            "$first" => Kind::First,
            "$last" => Kind::Last,
            "$push" => Kind::Push,
            "$addToSet" => Kind::AddToSet,
            "$count" => Kind::Count,
            "$mergeObjects" => Kind::MergeObjects,
            "$stdDevPop" => Kind::StdDevPop,
            "$stdDevSamp" => Kind::StdDevSamp,
            "$top" => Kind::Top,
            "$bottom" => Kind::Bottom,
            "$topN" => Kind::TopN,
            "$bottomN" => Kind::BottomN,
            "$firstN" => Kind::FirstN,
            "$lastN" => Kind::LastN,
            "$maxN" => Kind::MaxN,
            "$minN" => Kind::MinN,
            other => {
                return Err(err(15952, format!("unknown group operator '{other}'")));
            }
        };
        let mut spec = AccSpec {
            name: name.to_owned(),
            kind,
            input: Expr::compile(&Bson::Null)?,
            n: None,
            sort: None,
        };
        let named = |key: &str| -> Result<&Bson, CommandError> {
            match arg {
                Bson::Document(a) => a
                    .get(key)
                    .ok_or_else(|| err(5787907, format!("Missing value for '{key}' in {op}"))),
                _ => Err(err(
                    5787801,
                    format!("specification of {op} must be an object"),
                )),
            }
        };
        match kind {
            Kind::Count => {
                if !matches!(arg, Bson::Document(a) if a.is_empty()) {
                    return Err(err(40389, "$count takes no arguments, i.e. $count:{}"));
                }
            }
            Kind::Top | Kind::Bottom | Kind::TopN | Kind::BottomN => {
                spec.input = Expr::compile(named("output")?)?;
                let Bson::Document(sort) = named("sortBy")? else {
                    return Err(err(5788604, format!("{op}: 'sortBy' must be an object")));
                };
                spec.sort = Some(sorting::sort_keys(sort)?);
                if matches!(kind, Kind::TopN | Kind::BottomN) {
                    spec.n = Some(Expr::compile(named("n")?)?);
                }
            }
            Kind::FirstN | Kind::LastN | Kind::MaxN | Kind::MinN => {
                spec.input = Expr::compile(named("input")?)?;
                spec.n = Some(Expr::compile(named("n")?)?);
            }
            _ => {
                if matches!(arg, Bson::Array(_)) {
                    return Err(err(
                        40237,
                        format!("The {op} accumulator is a unary operator"),
                    ));
                }
                spec.input = Expr::compile(arg)?;
            }
        }
        Ok(spec)
    }

    /// The initial state; `doc` (the group's first document) gives `n`.
    pub(crate) fn init(&self, doc: &Document, vars: &Vars) -> Result<AccState, CommandError> {
        let n = match &self.n {
            None => 1,
            Some(e) => match e.eval(doc, vars)? {
                Some(v) => match crate::backend::memory::aggregate::expr::as_exact_int(&v) {
                    Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
                    _ => return Err(err(5787908, "Value for 'n' must be a positive integer")),
                },
                None => return Err(err(5787908, "Value for 'n' must be a positive integer")),
            },
        };
        Ok(match self.kind {
            Kind::Sum | Kind::Avg => AccState::Sum(arith::Summer::default()),
            Kind::StdDevPop | Kind::StdDevSamp => AccState::Var(arith::Variance::default()),
            Kind::Min | Kind::Max => AccState::Best(None),
            Kind::First => AccState::First(None),
            Kind::Last => AccState::Last(Bson::Null),
            Kind::Push => AccState::Push(Vec::new()),
            Kind::AddToSet => AccState::Set(Vec::new(), HashSet::new()),
            Kind::Count => AccState::Count(0),
            Kind::MergeObjects => AccState::Merge(Document::new()),
            Kind::Top | Kind::Bottom => AccState::Ranked(Vec::new(), 1),
            Kind::TopN | Kind::BottomN => AccState::Ranked(Vec::new(), n),
            _ => AccState::Many(Vec::new(), n),
        })
    }

    /// Record the fields this accumulator reads.
    pub(crate) fn deps(&self, deps: &mut Deps) {
        deps.node(self.input.node());
        if let Some(n) = &self.n {
            deps.node(n.node());
        }
        for (path, _) in self.sort.iter().flatten() {
            deps.path(path);
        }
    }

    /// Whether [`AccSpec::add_raw`] can fold this accumulator: no `n` or
    /// `sortBy` (they read the document) and a simple argument.
    pub(crate) fn raw_capable(&self) -> bool {
        self.n.is_none() && self.sort.is_none() && raw::is_simple(self.input.node())
    }

    /// Fold the stored document `row` holds into `state` (see
    /// [`AccSpec::raw_capable`]).
    pub(crate) fn add_raw(
        &self,
        state: &mut AccState,
        row: &raw::Row<'_>,
    ) -> Result<(), CommandError> {
        if let AccState::Count(c) = state {
            *c += 1;
            return Ok(());
        }
        let v = raw::eval(self.input.node(), row)?;
        // The numeric accumulators read numbers in place.
        match state {
            AccState::Sum(s) => {
                if let Some(n) = v.as_ref().and_then(raw::Val::num) {
                    s.add(n);
                }
                Ok(())
            }
            AccState::Var(var) => {
                if let Some(n) = v.as_ref().and_then(raw::Val::num) {
                    var.add(n.f64());
                }
                Ok(())
            }
            _ => {
                let v = v.map(raw::Val::into_bson).transpose()?;
                self.add_value(state, v, &Vec::new)
            }
        }
    }

    /// Fold one document into `state`.
    pub(crate) fn add(
        &self,
        state: &mut AccState,
        doc: &Document,
        vars: &Vars,
    ) -> Result<(), CommandError> {
        if let AccState::Count(c) = state {
            *c += 1;
            return Ok(());
        }
        let v = self.input.eval_ref(doc, vars)?;
        // The numeric accumulators read the value in place.
        match state {
            AccState::Sum(s) => {
                // Non-numbers (arrays included) are ignored.
                if let Some(n) = v.as_deref().and_then(arith::as_num) {
                    s.add(n);
                }
                Ok(())
            }
            AccState::Var(var) => {
                if let Some(n) = v.as_deref().and_then(arith::as_num) {
                    var.add(n.f64());
                }
                Ok(())
            }
            _ => {
                let keys = self.sort.as_deref().unwrap_or_default();
                let v = v.map(Cow::into_owned);
                self.add_value(state, v, &|| sorting::key_values(keys, doc))
            }
        }
    }

    /// Fold one value into a non-numeric `state`; `sort_key` gives the
    /// document's `sortBy` values for `$top`/`$bottom`.
    fn add_value(
        &self,
        state: &mut AccState,
        v: Option<Bson>,
        sort_key: &dyn Fn() -> Vec<Bson>,
    ) -> Result<(), CommandError> {
        match state {
            AccState::Sum(s) => {
                if let Some(n) = v.as_ref().and_then(arith::as_num) {
                    s.add(n);
                }
            }
            AccState::Var(var) => {
                if let Some(n) = v.as_ref().and_then(arith::as_num) {
                    var.add(n.f64());
                }
            }
            AccState::Count(c) => *c += 1,
            AccState::Best(best) => {
                let Some(x) = v.filter(|x| !matches!(x, Bson::Null | Bson::Undefined)) else {
                    return Ok(());
                };
                let want = if self.kind == Kind::Max {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                if best.as_ref().is_none_or(|b| compare_values(&x, b) == want) {
                    *best = Some(x);
                }
            }
            AccState::First(first) => {
                if first.is_none() {
                    *first = Some(v.unwrap_or(Bson::Null));
                }
            }
            AccState::Last(last) => *last = v.unwrap_or(Bson::Null),
            AccState::Push(items) => {
                if let Some(x) = v {
                    items.push(x);
                }
            }
            AccState::Set(items, seen) => {
                if let Some(x) = v {
                    let mut key = Vec::new();
                    key_bytes(&x, &mut key);
                    if seen.insert(key) {
                        items.push(x);
                    }
                }
            }
            AccState::Merge(out) => {
                match v {
                    None | Some(Bson::Null | Bson::Undefined) => {}
                    Some(Bson::Document(d)) => {
                        for (k, x) in d {
                            out.insert(k, x);
                        }
                    }
                    Some(other) => {
                        return Err(err(40400, format!("$mergeObjects requires object inputs, but input {other} is of type {}", crate::backend::memory::aggregate::expr::type_name(&other))));
                    }
                }
            }
            AccState::Ranked(kept, n) => {
                let keys = self.sort.as_deref().unwrap_or_default();
                let key = sort_key();
                let bottom = matches!(self.kind, Kind::Bottom | Kind::BottomN);
                let entry = (key, v.unwrap_or(Bson::Null));
                // Stable: among equal keys, earlier documents rank first.
                let pos = kept.partition_point(|(k, _)| {
                    let o = sorting::compare_keys(keys, k, &entry.0);
                    o != Ordering::Greater
                });
                kept.insert(pos, entry);
                if kept.len() > *n {
                    if bottom {
                        kept.remove(0);
                    } else {
                        kept.pop();
                    }
                }
            }
            AccState::Many(items, n) => match self.kind {
                Kind::FirstN => {
                    if items.len() < *n {
                        items.push(v.unwrap_or(Bson::Null));
                    }
                }
                Kind::LastN => {
                    items.push(v.unwrap_or(Bson::Null));
                    if items.len() > *n {
                        items.remove(0);
                    }
                }
                _ => {
                    let Some(x) = v.filter(|x| !matches!(x, Bson::Null | Bson::Undefined)) else {
                        return Ok(());
                    };
                    let max = self.kind == Kind::MaxN;
                    let pos = items.partition_point(|k| {
                        let o = compare_values(k, &x);
                        if max {
                            o != Ordering::Less
                        } else {
                            o != Ordering::Greater
                        }
                    });
                    items.insert(pos, x);
                    items.truncate(*n);
                }
            },
        }
        Ok(())
    }

    /// The accumulated value.
    pub(crate) fn finish(&self, state: AccState) -> Bson {
        match state {
            AccState::Sum(s) if self.kind == Kind::Avg => s.mean(),
            AccState::Sum(s) => s.total(),
            AccState::Var(v) => v.result(self.kind == Kind::StdDevSamp),
            AccState::Best(b) => b.unwrap_or(Bson::Null),
            AccState::First(f) => f.unwrap_or(Bson::Null),
            AccState::Last(l) => l,
            AccState::Push(items) | AccState::Set(items, _) | AccState::Many(items, _) => {
                Bson::Array(items)
            }
            AccState::Count(c) => i32::try_from(c).map(Bson::Int32).unwrap_or(Bson::Int64(c)),
            AccState::Merge(d) => Bson::Document(d),
            AccState::Ranked(kept, _) => {
                let mut outs = kept.into_iter().map(|(_, o)| o);
                if matches!(self.kind, Kind::Top | Kind::Bottom) {
                    outs.next().unwrap_or(Bson::Null)
                } else {
                    Bson::Array(outs.collect())
                }
            }
        }
    }
}
