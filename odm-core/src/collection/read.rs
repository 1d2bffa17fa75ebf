//! Reads: `find`, `find_one`, `count`, `exists`, `distinct`.

use std::future::IntoFuture;

use bson::RawDocumentBuf;
use futures::TryStreamExt;

use crate::backend::{BoxFuture, CountOptions, DistinctOptions, FindOptions, Namespace};
use crate::database::Database;
use crate::document::Document;
use crate::error::Result;
use crate::field::Field;
use crate::query::{Filter, Projection, ProjectionOf, Sort};
use crate::value::FromBson;

use super::{codec, Collection, Cursor};

impl<M: Document> Collection<M> {
    /// The documents matching `filter`; await it for a [`Cursor`], or call
    /// [`Find::all`] for a `Vec`.
    pub fn find(&self, filter: Filter<M>) -> Find<'_, M> {
        Find {
            coll: self,
            filter,
            options: FindOptions::default(),
            projection: None,
        }
    }

    /// The first document matching `filter` (in `sort` order, if given).
    pub fn find_one(&self, filter: Filter<M>) -> FindOne<'_, M> {
        FindOne {
            find: self.find(filter).limit(1),
        }
    }

    /// The document with this `_id`.
    pub fn find_by_id(&self, id: &M::Id) -> FindOne<'_, M> {
        self.find_one(id_filter::<M>(id))
    }

    /// How many documents match `filter`.
    pub fn count(&self, filter: Filter<M>) -> Count<'_, M> {
        Count {
            coll: self,
            filter,
            options: CountOptions::default(),
        }
    }

    /// Whether any document matches `filter`.
    pub async fn exists(&self, filter: Filter<M>) -> Result<bool> {
        let options = CountOptions {
            limit: 1,
            ..Default::default()
        };
        Ok(Count {
            coll: self,
            filter,
            options,
        }
        .await?
            > 0)
    }

    /// The distinct values of `field` among the documents matching `filter`,
    /// in ascending BSON order, as the field's Rust type.
    pub fn distinct<'a, T: FromBson>(
        &'a self,
        field: &Field<M, T>,
        filter: Filter<M>,
    ) -> Distinct<'a, M, T> {
        Distinct {
            coll: self,
            key: field.path().to_owned(),
            filter,
            _t: std::marker::PhantomData,
        }
    }
}

/// `{_id: id}` for a model's id type.
pub(crate) fn id_filter<M: Document>(id: &M::Id) -> Filter<M> {
    use crate::value::IntoBson;
    match id.to_bson() {
        Ok(v) => Filter::raw(bson::doc! { "_id": v }),
        // Only an id type whose own encoding fails gets here; a filter on a
        // key no document has (and that MongoDB refuses to store) finds nothing.
        Err(_) => Filter::raw(bson::doc! { "_id": { "$in": [] } }),
    }
}

/// A `find`, awaiting to a [`Cursor`].
#[must_use = "operations do nothing unless awaited"]
pub struct Find<'a, M> {
    coll: &'a Collection<M>,
    filter: Filter<M>,
    options: FindOptions,
    projection: Option<Projection<M>>,
}

impl<'a, M: Document> Find<'a, M> {
    /// The namespace, filter and options to send, or the value that could
    /// not be encoded.
    pub(super) fn into_parts(mut self) -> Result<(Namespace, bson::Document, FindOptions)> {
        let ns = self.coll.ns.clone();
        let filter = codec::filter(&ns, self.filter)?;
        if let Some(projection) = self.projection {
            projection.check().map_err(|error| crate::Error::Encode {
                collection: ns.coll.to_string(),
                error,
            })?;
            self.options.projection = Some(projection.into_document());
        }
        Ok((ns, filter, self.options))
    }

    /// Sort the results.
    pub fn sort(mut self, sort: Sort<M>) -> Self {
        self.options.sort = Some(sort.into_document());
        self
    }

    /// Skip the first `n` results.
    pub fn skip(mut self, n: u64) -> Self {
        self.options.skip = n;
        self
    }

    /// Return at most `n` results.
    pub fn limit(mut self, n: u64) -> Self {
        self.options.limit = n;
        self
    }

    /// Use the index named `name` (MongoDB's `hint`); a name no index has
    /// fails the query with `BadValue`.
    pub fn hint(mut self, name: impl Into<String>) -> Self {
        self.options.hint = Some(Box::new(bson::Bson::String(name.into())));
        self
    }

    /// Use the index with this key pattern (`hint` by keys).
    pub fn hint_keys(mut self, pattern: Sort<M>) -> Self {
        self.options.hint = Some(Box::new(bson::Bson::Document(pattern.into_document())));
        self
    }

    /// How the server would run this query: the index it picks and what it
    /// examines (see [`Explain`](super::Explain)).
    pub fn explain(self) -> super::explain::ExplainFind<'a, M> {
        super::explain::ExplainFind { find: self }
    }

    pub(super) fn backend(&self) -> &std::sync::Arc<dyn crate::Backend> {
        self.coll.db.backend()
    }

    /// Documents per round trip on a server.
    pub fn batch_size(mut self, n: u32) -> Self {
        self.options.batch_size = Some(n);
        self
    }

    /// Return only some fields. The model must still decode from what is
    /// returned: leave out only fields that read as a default (`Option`s,
    /// `#[odm(default)]`).
    pub fn projection(mut self, projection: Projection<M>) -> Self {
        self.projection = Some(projection);
        self
    }

    /// Run the query and collect the raw results (population decodes them later).
    pub(crate) async fn into_raw(self) -> Result<(Database, Namespace, Vec<RawDocumentBuf>)> {
        let db = self.coll.db.clone();
        let (ns, filter, options) = self.into_parts()?;
        let raws = db
            .backend()
            .find(ns.clone(), filter, options)
            .await?
            .try_collect()
            .await?;
        Ok((db, ns, raws))
    }

    /// Read every result into a `Vec`.
    pub fn all(self) -> FindAll<'a, M> {
        FindAll { find: self }
    }

    /// Return only what `T` reads, and read each result as `T` (a summary of
    /// the model whose fields are checked against it: see
    /// [`ProjectionOf`]). Replaces any projection set before.
    pub fn find_as<T: ProjectionOf<M>>(mut self) -> FindAs<'a, M, T> {
        self.projection = Some(T::projection());
        FindAs {
            find: self,
            _out: std::marker::PhantomData,
        }
    }
}

/// [`Find::find_as`]: every result read as `T`.
#[must_use = "operations do nothing unless awaited"]
pub struct FindAs<'a, M, T> {
    find: Find<'a, M>,
    _out: std::marker::PhantomData<fn() -> T>,
}

impl<'a, M: Document, T: ProjectionOf<M> + 'a> IntoFuture for FindAs<'a, M, T> {
    type Output = Result<Vec<T>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let (_, ns, raws) = self.find.into_raw().await?;
            raws.iter()
                .map(|raw| {
                    T::from_projected(raw).map_err(|error| crate::Error::Decode {
                        collection: ns.coll.to_string(),
                        id: raw.get("_id").ok().flatten().map(crate::value::display_raw),
                        error,
                    })
                })
                .collect()
        })
    }
}

impl<'a, M: Document> IntoFuture for Find<'a, M> {
    type Output = Result<Cursor<M>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let backend = self.coll.db.backend().clone();
            let (ns, filter, options) = self.into_parts()?;
            let stream = backend.find(ns.clone(), filter, options).await?;
            Ok(Cursor::new(ns, stream))
        })
    }
}

/// [`Find::all`]: every result in a `Vec`.
#[must_use = "operations do nothing unless awaited"]
pub struct FindAll<'a, M> {
    find: Find<'a, M>,
}

impl<'a, M: Document> IntoFuture for FindAll<'a, M> {
    type Output = Result<Vec<M>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.find.await?.all().await })
    }
}

/// A `find_one`, awaiting to `Option<M>`.
#[must_use = "operations do nothing unless awaited"]
pub struct FindOne<'a, M> {
    pub(super) find: Find<'a, M>,
}

impl<M: Document> FindOne<'_, M> {
    /// Which document comes first when several match.
    pub fn sort(mut self, sort: Sort<M>) -> Self {
        self.find = self.find.sort(sort);
        self
    }

    /// Skip the first `n` matches.
    pub fn skip(mut self, n: u64) -> Self {
        self.find = self.find.skip(n);
        self
    }
}

impl<'a, M: Document> IntoFuture for FindOne<'a, M> {
    type Output = Result<Option<M>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        let coll = self.find.coll;
        // The backend's future is made now, so that this one holds only it,
        // not a copy of the whole builder.
        let found = self
            .find
            .into_parts()
            .map(|(ns, filter, options)| coll.db.backend().find_one(ns, filter, options));
        Box::pin(async move {
            match found?.await? {
                Some(raw) => codec::decode(&coll.ns, &raw).map(Some),
                None => Ok(None),
            }
        })
    }
}

/// A `count`, awaiting to the number of matching documents.
#[must_use = "operations do nothing unless awaited"]
pub struct Count<'a, M> {
    coll: &'a Collection<M>,
    filter: Filter<M>,
    options: CountOptions,
}

impl<M: Document> Count<'_, M> {
    /// Skip the first `n` matches.
    pub fn skip(mut self, n: u64) -> Self {
        self.options.skip = n;
        self
    }

    /// Count at most `n`.
    pub fn limit(mut self, n: u64) -> Self {
        self.options.limit = n;
        self
    }
}

impl<'a, M: Document> IntoFuture for Count<'a, M> {
    type Output = Result<u64>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = self.coll.ns.clone();
            let filter = codec::filter(&ns, self.filter)?;
            self.coll.db.backend().count(ns, filter, self.options).await
        })
    }
}

/// A `distinct`, awaiting to the distinct values as `T`.
#[must_use = "operations do nothing unless awaited"]
pub struct Distinct<'a, M, T> {
    coll: &'a Collection<M>,
    key: String,
    filter: Filter<M>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<'a, M: Document, T: FromBson + 'a> IntoFuture for Distinct<'a, M, T> {
    type Output = Result<Vec<T>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let ns = self.coll.ns.clone();
            let filter = codec::filter(&ns, self.filter)?;
            let values = self
                .coll
                .db
                .backend()
                .distinct(
                    ns.clone(),
                    self.key.clone(),
                    filter,
                    DistinctOptions::default(),
                )
                .await?;
            values
                .iter()
                .map(|v| {
                    let raw = bson::RawBson::try_from(v.clone()).map_err(|e| {
                        crate::error::DecodeError::invalid(e.to_string()).at(&self.key)
                    });
                    raw.and_then(|raw| {
                        T::from_raw(raw.as_raw_bson_ref()).map_err(|e| e.at(&self.key))
                    })
                    .map_err(|error| crate::Error::Decode {
                        collection: ns.coll.to_string(),
                        id: None,
                        error,
                    })
                })
                .collect()
        })
    }
}
