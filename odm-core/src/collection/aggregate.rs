//! `aggregate`: run a typed pipeline and read the results as any decodable type.

use std::future::IntoFuture;
use std::marker::PhantomData;

use bson::raw::RawBsonRef;
use futures::TryStreamExt;

use crate::aggregate::Pipeline;
use crate::backend::{AggregateOptions, BoxFuture};
use crate::document::Document;
use crate::error::{Error, Result};
use crate::value::{display_raw, FromBson};

use super::Collection;

impl<M: Document> Collection<M> {
    /// Run an aggregation pipeline over this collection and read each result
    /// as `T`: a `#[derive(Embedded)]` struct shaped like the output, the model
    /// itself, or `bson::Document` for anything.
    ///
    /// ```ignore
    /// #[derive(odm::Embedded)]
    /// struct CityAge { #[serde(rename = "_id")] city: String, avg: f64 }
    /// let f = User::fields();
    /// let rows: Vec<CityAge> = users
    ///     .aggregate(Pipeline::new().match_(f.age.gte(18)).group(expr::field(&f.city), [("avg", expr::avg(expr::field(&f.age)))]))
    ///     .await?;
    /// ```
    pub fn aggregate<T: FromBson>(&self, pipeline: Pipeline<M>) -> Aggregate<'_, M, T> {
        Aggregate {
            coll: self,
            pipeline,
            options: AggregateOptions::default(),
            _out: PhantomData,
        }
    }
}

/// An `aggregate`, awaiting to the results as `T`.
#[must_use = "operations do nothing unless awaited"]
pub struct Aggregate<'a, M, T> {
    coll: &'a Collection<M>,
    pipeline: Pipeline<M>,
    options: AggregateOptions,
    _out: PhantomData<fn() -> T>,
}

impl<M, T> Aggregate<'_, M, T> {
    /// Results per round trip on a server.
    pub fn batch_size(mut self, n: u32) -> Self {
        self.options.batch_size = Some(n);
        self
    }

    /// Let large `$group`/`$sort` stages spill to disk on a server.
    pub fn allow_disk_use(mut self, allow: bool) -> Self {
        self.options.allow_disk_use = Some(allow);
        self
    }
}

impl<'a, M: Document, T: FromBson + 'a> IntoFuture for Aggregate<'a, M, T> {
    type Output = Result<Vec<T>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = self.coll.ns.clone();
            let stages = self.pipeline.into_stages().map_err(|error| Error::Encode {
                collection: ns.coll.to_string(),
                error,
            })?;
            let raws: Vec<_> = self
                .coll
                .db
                .backend()
                .aggregate(ns.clone(), stages, self.options)
                .await?
                .try_collect()
                .await?;
            raws.iter()
                .map(|raw| {
                    T::from_raw(RawBsonRef::Document(raw)).map_err(|error| Error::Decode {
                        collection: ns.coll.to_string(),
                        id: raw.get("_id").ok().flatten().map(display_raw),
                        error,
                    })
                })
                .collect()
        })
    }
}
