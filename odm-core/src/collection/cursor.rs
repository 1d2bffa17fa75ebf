//! `Cursor<M>`: a stream of decoded models.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};

use super::codec;
use crate::backend::{DocStream, Namespace};
use crate::document::Document;
use crate::error::Result;

/// The results of a `find`, decoded one by one as they are read.
///
/// A document that does not decode is an `Err` item naming the collection,
/// `_id` and field path; the stream goes on after it.
#[must_use = "a cursor does nothing unless polled"]
pub struct Cursor<M> {
    ns: Namespace,
    inner: DocStream,
    _model: PhantomData<fn() -> M>,
}

impl<M: Document> Cursor<M> {
    pub(crate) fn new(ns: Namespace, inner: DocStream) -> Self {
        Cursor {
            ns,
            inner,
            _model: PhantomData,
        }
    }

    /// Read every remaining document into a `Vec`, stopping at the first error.
    pub async fn all(mut self) -> Result<Vec<M>> {
        let mut out = Vec::new();
        while let Some(item) = self.next().await {
            out.push(item?);
        }
        Ok(out)
    }
}

impl<M: Document> Stream for Cursor<M> {
    type Item = Result<M>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(raw))) => Poll::Ready(Some(codec::decode(&self.ns, &raw))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
