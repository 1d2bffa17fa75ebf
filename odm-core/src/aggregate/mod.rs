//! The typed aggregation pipeline builder: [`Pipeline<M>`] over a model's
//! typed fields, producing the stage documents MongoDB takes.
//!
//! Stages that take the input model's shape (`$match`, `$sort`, `$unwind`,
//! `$lookup`'s local field) are typed; after a stage that reshapes documents
//! (`$group`, `$project`), use the expression builders of [`expr`] with
//! field names, or [`Pipeline::raw`].
//!
//! ```
//! use odm_core::aggregate::{expr, Pipeline};
//! use odm_core::bson::doc;
//! use odm_core::{Field, Path};
//!
//! struct User;
//! let city: Field<User, String> = Field::new(Path::from_static("city"));
//! let age: Field<User, i32> = Field::new(Path::from_static("age"));
//!
//! let p = Pipeline::<User>::new()
//!     .match_(age.gte(18))
//!     .group(expr::field(&city), [("avg_age", expr::avg(&age)), ("n", expr::count())])
//!     .sort_raw(doc! {"n": -1})
//!     .limit(3);
//! assert_eq!(
//!     p.into_stages().unwrap(),
//!     vec![
//!         doc! {"$match": {"age": {"$gte": 18}}},
//!         doc! {"$group": {"_id": "$city", "avg_age": {"$avg": "$age"}, "n": {"$count": {}}}},
//!         doc! {"$sort": {"n": -1}},
//!         doc! {"$limit": 3_i64},
//!     ]
//! );
//! ```

pub mod expr;

use std::fmt;
use std::marker::PhantomData;

use bson::{doc, Bson, Document};

use crate::error::EncodeError;
use crate::{Field, Filter, Sort};

pub use expr::{Acc, Expr};

/// An aggregation pipeline over the documents of model `M`.
pub struct Pipeline<M> {
    stages: Vec<Document>,
    error: Option<EncodeError>,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for Pipeline<M> {
    fn clone(&self) -> Self {
        Pipeline {
            stages: self.stages.clone(),
            error: self.error.clone(),
            _model: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Pipeline<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("stages", &self.stages)
            .finish()
    }
}

impl<M> Default for Pipeline<M> {
    fn default() -> Self {
        Self::new()
    }
}

fn stage(name: &str, spec: impl Into<Bson>) -> Document {
    let mut d = Document::new();
    d.insert(name, spec.into());
    d
}

fn fields_doc<K: Into<String>>(fields: impl IntoIterator<Item = (K, Expr)>) -> Document {
    let mut d = Document::new();
    for (k, e) in fields {
        d.insert(k.into(), e.into_bson());
    }
    d
}

impl<M> Pipeline<M> {
    /// An empty pipeline (every document, unchanged).
    pub fn new() -> Self {
        Pipeline {
            stages: Vec::new(),
            error: None,
            _model: PhantomData,
        }
    }

    fn push(mut self, d: Document) -> Self {
        self.stages.push(d);
        self
    }

    /// `$match` with a typed filter. A value the filter could not encode is
    /// reported by [`check`](Self::check).
    pub fn match_(mut self, filter: Filter<M>) -> Self {
        let (doc, error) = filter.into_parts();
        self.error = self.error.or(error);
        self.push(stage("$match", doc))
    }

    /// `$group` by `id` (use `expr::lit(Bson::Null)` for one group) with named accumulators.
    pub fn group<K: Into<String>>(
        self,
        id: impl Into<Expr>,
        accumulators: impl IntoIterator<Item = (K, Acc)>,
    ) -> Self {
        let mut spec = doc! {"_id": id.into().into_bson()};
        for (k, a) in accumulators {
            spec.insert(k.into(), a.into_document());
        }
        self.push(stage("$group", spec))
    }

    /// `$sort` by typed fields.
    pub fn sort(self, sort: Sort<M>) -> Self {
        self.push(stage("$sort", sort.into_document()))
    }

    /// `$sort` by fields a previous stage computed.
    pub fn sort_raw(self, sort: Document) -> Self {
        self.push(stage("$sort", sort))
    }

    /// `$project` of computed fields (`expr::lit(1)` keeps a field, `expr::lit(0)` drops it).
    pub fn project<K: Into<String>>(self, fields: impl IntoIterator<Item = (K, Expr)>) -> Self {
        self.push(stage("$project", fields_doc(fields)))
    }

    /// `$addFields`.
    pub fn add_fields<K: Into<String>>(self, fields: impl IntoIterator<Item = (K, Expr)>) -> Self {
        self.push(stage("$addFields", fields_doc(fields)))
    }

    /// `$unset` of typed fields.
    pub fn unset<T>(self, fields: impl IntoIterator<Item = Field<M, T>>) -> Self {
        let names: Vec<Bson> = fields
            .into_iter()
            .map(|f| Bson::String(f.path().to_owned()))
            .collect();
        self.push(stage("$unset", names))
    }

    /// `$unwind` an array field: one document per element.
    pub fn unwind<T>(self, field: &Field<M, T>) -> Self {
        self.push(stage("$unwind", format!("${}", field.path())))
    }

    /// `$lookup` of the documents a reference field points to: `from` is the
    /// referenced model's collection, matched on `_id`, so a misspelt
    /// collection or a field that is not a reference does not compile.
    pub fn lookup_ref<R: crate::relation::RefField>(
        self,
        field: &Field<M, R>,
        as_field: &str,
    ) -> Self {
        self.push(stage(
            "$lookup",
            doc! {
                "from": <R::Target as crate::Document>::COLLECTION,
                "localField": field.path(),
                "foreignField": "_id",
                "as": as_field,
            },
        ))
    }

    /// `$lookup`: documents of collection `from` whose `foreign` field equals
    /// this document's `local` field, as an array at `as_field`.
    pub fn lookup<F, T, U>(
        self,
        from: &str,
        local: &Field<M, T>,
        foreign: &Field<F, U>,
        as_field: &str,
    ) -> Self {
        self.push(stage(
            "$lookup",
            doc! {"from": from, "localField": local.path(), "foreignField": foreign.path(), "as": as_field},
        ))
    }

    /// `$unwind` with its options: the element index into `index_field`,
    /// and documents whose array is empty, null or missing kept.
    pub fn unwind_with<T>(
        self,
        field: &Field<M, T>,
        index_field: Option<&str>,
        preserve_empty: bool,
    ) -> Self {
        let mut spec = doc! {"path": format!("${}", field.path())};
        if let Some(i) = index_field {
            spec.insert("includeArrayIndex", i);
        }
        spec.insert("preserveNullAndEmptyArrays", preserve_empty);
        self.push(stage("$unwind", spec))
    }

    /// `$facet`: named sub-pipelines over the same input, as one document of arrays.
    pub fn facet<K: Into<String>>(
        mut self,
        facets: impl IntoIterator<Item = (K, Pipeline<M>)>,
    ) -> Self {
        let mut spec = Document::new();
        for (name, p) in facets {
            self.error = self.error.or(p.error);
            spec.insert(
                name.into(),
                p.stages.into_iter().map(Bson::Document).collect::<Vec<_>>(),
            );
        }
        self.push(stage("$facet", spec))
    }

    /// `$sortByCount`: `{_id: value, count: n}` by descending count.
    pub fn sort_by_count(self, value: impl Into<Expr>) -> Self {
        self.push(stage("$sortByCount", value.into().into_bson()))
    }

    /// `$sample` of `size` random documents.
    pub fn sample(self, size: u64) -> Self {
        self.push(stage(
            "$sample",
            doc! {"size": i64::try_from(size).unwrap_or(i64::MAX)},
        ))
    }

    /// `$replaceWith`.
    pub fn replace_with(self, root: impl Into<Expr>) -> Self {
        self.push(stage("$replaceWith", root.into().into_bson()))
    }

    /// `$skip`.
    pub fn skip(self, n: u64) -> Self {
        self.push(stage("$skip", i64::try_from(n).unwrap_or(i64::MAX)))
    }

    /// `$limit`.
    pub fn limit(self, n: u64) -> Self {
        self.push(stage("$limit", i64::try_from(n).unwrap_or(i64::MAX)))
    }

    /// `$count` into a field named `name`.
    pub fn count(self, name: &str) -> Self {
        self.push(stage("$count", name))
    }

    /// Any stage document, unchecked: the escape hatch.
    pub fn raw(self, stage: Document) -> Self {
        self.push(stage)
    }

    /// Whether every value could be encoded.
    pub fn check(&self) -> Result<(), EncodeError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The stage documents (check [`check`](Self::check) first).
    pub fn stages(&self) -> &[Document] {
        &self.stages
    }

    /// The stage documents, or the first value that could not be encoded.
    pub fn into_stages(self) -> Result<Vec<Document>, EncodeError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.stages),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Path;

    struct Order;
    struct Product;

    fn f<M, T>(p: &'static str) -> Field<M, T> {
        Field::new(Path::from_static(p))
    }

    #[test]
    fn builds_every_stage() {
        let items: Field<Order, Vec<String>> = f("items");
        let sku: Field<Order, String> = f("items.sku");
        let id: Field<Product, String> = f("_id");
        let qty: Field<Order, i32> = f("qty");
        let p = Pipeline::<Order>::new()
            .unwind(&items)
            .lookup("products", &sku, &id, "product")
            .add_fields([("total", expr::field(&qty).multiply(expr::lit(2.5)))])
            .project([("total", expr::lit(1)), ("_id", expr::lit(0))])
            .sort(qty.desc())
            .skip(5)
            .count("n")
            .raw(doc! {"$sample": {"size": 1}});
        assert_eq!(
            p.into_stages().unwrap(),
            vec![
                doc! {"$unwind": "$items"},
                doc! {"$lookup": {"from": "products", "localField": "items.sku", "foreignField": "_id", "as": "product"}},
                doc! {"$addFields": {"total": {"$multiply": ["$qty", 2.5]}}},
                doc! {"$project": {"total": 1, "_id": 0}},
                doc! {"$sort": {"qty": -1}},
                doc! {"$skip": 5_i64},
                doc! {"$count": "n"},
                doc! {"$sample": {"size": 1}},
            ]
        );
    }

    #[test]
    fn expressions_and_literals() {
        let qty: Field<Order, i32> = f("qty");
        let tags: Field<Order, Vec<String>> = f("tags");
        assert_eq!(
            expr::lit("$notapath").into_bson(),
            Bson::Document(doc! {"$literal": "$notapath"})
        );
        assert_eq!(expr::lit("plain").into_bson(), Bson::String("plain".into()));
        assert_eq!(
            expr::map(expr::field(&tags), "t", expr::var("t").to_upper()).into_bson(),
            Bson::Document(doc! {"$map": {"input": "$tags", "as": "t", "in": {"$toUpper": "$$t"}}})
        );
        assert_eq!(
            expr::filter(&tags, "t", expr::var("t").ne("x")).into_bson(),
            Bson::Document(
                doc! {"$filter": {"input": "$tags", "as": "t", "cond": {"$ne": ["$$t", "x"]}}}
            )
        );
        assert_eq!(
            expr::field(qty).if_null(0).add(1).into_bson(),
            Bson::Document(doc! {"$add": [{"$ifNull": ["$qty", 0]}, 1]})
        );
    }

    #[test]
    fn facets_unwind_options_and_counts() {
        let items: Field<Order, Vec<String>> = f("items");
        let qty: Field<Order, i32> = f("qty");
        let p = Pipeline::<Order>::new()
            .unwind_with(&items, Some("i"), true)
            .facet([
                ("by_item", Pipeline::new().sort_by_count(&items)),
                ("some", Pipeline::new().match_(qty.gt(1)).sample(2)),
            ]);
        assert_eq!(
            p.into_stages().unwrap(),
            vec![
                doc! {"$unwind": {"path": "$items", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": true}},
                doc! {"$facet": {
                    "by_item": [{"$sortByCount": "$items"}],
                    "some": [{"$match": {"qty": {"$gt": 1}}}, {"$sample": {"size": 2_i64}}],
                }},
            ]
        );
    }

    #[test]
    fn built_pipelines_run_on_the_memory_engine() {
        use crate::backend::memory::aggregate::{expr::Vars, run_pipeline};
        let city: Field<Order, String> = f("city");
        let qty: Field<Order, i32> = f("qty");
        let docs = vec![
            doc! {"city": "Oslo", "qty": 2},
            doc! {"city": "Lima", "qty": 5},
            doc! {"city": "Oslo", "qty": 4},
        ];
        let stages = Pipeline::<Order>::new()
            .match_(qty.gte(2))
            .group(&city, [("total", expr::sum(&qty)), ("n", expr::count())])
            .sort_raw(doc! {"total": -1})
            .into_stages()
            .unwrap();
        let out = run_pipeline(docs, &stages, &Vars::default(), &|_| Ok(Vec::new())).unwrap();
        assert_eq!(
            out,
            vec![
                doc! {"_id": "Oslo", "total": 6, "n": 2},
                doc! {"_id": "Lima", "total": 5, "n": 1}
            ]
        );
    }

    #[test]
    fn typed_match_keeps_encode_errors() {
        let n: Field<Order, u64> = f("n");
        let p = Pipeline::<Order>::new().match_(n.eq(u64::MAX));
        assert!(p.check().is_err());
        assert!(p.into_stages().is_err());
    }
}
