//! Databases, collections and indexes: `create`, `collMod`, `drop`,
//! `dropDatabase`, `listCollections`, `listDatabases`, `createIndexes`,
//! `listIndexes`, `dropIndexes`.

use bson::{doc, Bson, Document, RawDocumentBuf};
use futures::StreamExt;

use super::args;
use super::read::first_batch;
use super::{ok, CmdResult, Shared};
use crate::backend::memory::matcher::Matcher;
use crate::backend::{CollectionInfo, CreateCollectionOptions, IndexModel, Namespace};
use crate::error::{CommandError, Error, Result};
use crate::wire::frame::Request;

pub(super) async fn create(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let options = collection_options(&req.body, "create")?;
    shared.backend.create_collection(ns, options).await?;
    Ok(ok(doc! {}))
}

pub(super) async fn coll_mod(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let options = collection_options(&req.body, "collMod")?;
    shared.backend.modify_collection(ns, options).await?;
    Ok(ok(doc! {}))
}

pub(super) async fn drop(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    shared.backend.drop_collection(ns.clone()).await?;
    Ok(ok(doc! { "ns": ns.to_string() }))
}

pub(super) async fn drop_database(shared: &Shared, req: &Request) -> CmdResult {
    shared.backend.drop_database(req.db.clone()).await?;
    Ok(ok(doc! { "dropped": req.db.clone() }))
}

pub(super) async fn list_collections(shared: &Shared, req: &Request) -> CmdResult {
    let b = &req.body;
    let filter = args::doc(b, "listCollections", "filter")?.unwrap_or_default();
    let name_only = args::flag(b, "listCollections", "nameOnly")?;
    let batch = match args::doc(b, "listCollections", "cursor")? {
        Some(c) => args::count(&c, "listCollections", "batchSize")?,
        None => None,
    };
    let infos = shared.backend.list_collections(req.db.clone()).await?;
    let specs = infos
        .iter()
        .map(|info| collection_spec(info, name_only))
        .collect::<Result<Vec<_>>>()?;
    let specs = filtered(specs, &filter)?;
    let ns = Namespace::new(req.db.as_str(), "$cmd.listCollections");
    let stream = futures::stream::iter(specs.into_iter().map(Ok)).boxed();
    first_batch(shared, &ns, stream, batch.map(|n| n as usize), false).await
}

pub(super) async fn list_databases(shared: &Shared, req: &Request) -> CmdResult {
    let b = &req.body;
    let filter = args::doc(b, "listDatabases", "filter")?.unwrap_or_default();
    let name_only = args::flag(b, "listDatabases", "nameOnly")?;
    let names = shared.backend.list_databases().await?;
    let specs = names
        .into_iter()
        .map(|name| {
            let mut spec = doc! { "name": name };
            if !name_only {
                spec.insert("sizeOnDisk", 0_i64);
                spec.insert("empty", false);
            }
            args::to_raw(&spec)
        })
        .collect::<Result<Vec<_>>>()?;
    let databases: Vec<Bson> = filtered(specs, &filter)?
        .iter()
        .filter_map(|d| Document::try_from(d).ok().map(Bson::Document))
        .collect();
    let mut reply = doc! { "databases": databases };
    if !name_only {
        reply.insert("totalSize", 0_i64);
    }
    Ok(ok(reply))
}

pub(super) async fn create_indexes(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let specs = args::docs(&req.body, "createIndexes", "indexes")?.unwrap_or_default();
    if specs.is_empty() {
        return Err(Error::Command(CommandError::bad_value(
            "Must specify at least one index to create",
        )));
    }
    let models = specs.iter().map(index_model).collect::<Result<Vec<_>>>()?;
    let existed = shared
        .backend
        .list_collections(ns.db.to_string())
        .await?
        .iter()
        .any(|c| *c.name == *ns.coll);
    let before = if existed {
        shared.backend.list_indexes(ns.clone()).await?.len()
    } else {
        0
    };
    shared.backend.create_indexes(ns.clone(), models).await?;
    let after = shared.backend.list_indexes(ns).await?.len();
    Ok(ok(doc! {
        "numIndexesBefore": before.max(1) as i32,
        "numIndexesAfter": after as i32,
        "createdCollectionAutomatically": !existed,
    }))
}

pub(super) async fn list_indexes(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let batch = match args::doc(&req.body, "listIndexes", "cursor")? {
        Some(c) => args::count(&c, "listIndexes", "batchSize")?,
        None => None,
    };
    let indexes = shared.backend.list_indexes(ns.clone()).await?;
    let specs = indexes
        .iter()
        .map(|i| args::to_raw(&index_spec(i)))
        .collect::<Result<Vec<_>>>()?;
    let stream = futures::stream::iter(specs.into_iter().map(Ok)).boxed();
    first_batch(shared, &ns, stream, batch.map(|n| n as usize), false).await
}

pub(super) async fn drop_indexes(shared: &Shared, req: &Request) -> CmdResult {
    let ns = args::namespace(req)?;
    let existing = shared.backend.list_indexes(ns.clone()).await?;
    let names: Vec<String> = match req.body.get("index") {
        Some(Bson::String(name)) => vec![name.clone()],
        Some(Bson::Array(names)) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        Some(Bson::Document(keys)) => match existing.iter().find(|i| i.keys == *keys) {
            Some(i) => vec![i.effective_name()],
            None => {
                return Err(Error::Command(CommandError::new(
                    27,
                    "IndexNotFound",
                    format!("can't find index with key: {keys}"),
                )))
            }
        },
        _ => {
            return Err(Error::Command(CommandError::new(
                40414,
                "Location40414",
                "BSON field 'dropIndexes.index' is missing but a required field",
            )))
        }
    };
    for name in names {
        shared.backend.drop_index(ns.clone(), name).await?;
    }
    Ok(ok(doc! { "nIndexesWas": existing.len() as i32 }))
}

fn collection_options(b: &Document, cmd: &str) -> Result<CreateCollectionOptions> {
    let string = |key: &str| b.get_str(key).ok().map(str::to_owned);
    Ok(CreateCollectionOptions {
        validator: args::doc(b, cmd, "validator")?,
        validation_level: string("validationLevel"),
        validation_action: string("validationAction"),
        view_on: string("viewOn"),
        pipeline: args::docs(b, cmd, "pipeline")?,
    })
}

fn collection_spec(info: &CollectionInfo, name_only: bool) -> Result<RawDocumentBuf> {
    let mut spec = doc! { "name": info.name.clone(), "type": info.kind.clone() };
    if !name_only {
        let o = &info.options;
        let mut options = doc! {};
        if let Some(v) = &o.validator {
            options.insert("validator", v.clone());
        }
        if let Some(v) = &o.validation_level {
            options.insert("validationLevel", v.clone());
        }
        if let Some(v) = &o.validation_action {
            options.insert("validationAction", v.clone());
        }
        if let Some(v) = &o.view_on {
            options.insert("viewOn", v.clone());
        }
        if let Some(p) = &o.pipeline {
            options.insert(
                "pipeline",
                p.iter().cloned().map(Bson::Document).collect::<Vec<_>>(),
            );
        }
        spec.insert("options", options);
        spec.insert("info", doc! { "readOnly": info.kind == "view" });
        if info.kind == "collection" {
            spec.insert(
                "idIndex",
                doc! { "v": 2, "key": { "_id": 1 }, "name": "_id_" },
            );
        }
    }
    args::to_raw(&spec)
}

/// Keep the specs a `filter` matches (the filter of `listCollections`/`listDatabases`).
fn filtered(specs: Vec<RawDocumentBuf>, filter: &Document) -> Result<Vec<RawDocumentBuf>> {
    if filter.is_empty() {
        return Ok(specs);
    }
    let matcher = Matcher::compile(filter).map_err(Error::Command)?;
    let mut out = Vec::new();
    for spec in specs {
        if matcher.matches(&spec).map_err(Error::Command)? {
            out.push(spec);
        }
    }
    Ok(out)
}

fn index_model(spec: &Document) -> Result<IndexModel> {
    let cmd = "createIndexes.indexes";
    let keys = args::doc(spec, cmd, "key")?.ok_or_else(|| {
        Error::Command(CommandError::failed_to_parse(
            "The 'key' field is a required property of an index specification",
        ))
    })?;
    let name = match spec.get("name") {
        Some(Bson::String(n)) => n.clone(),
        _ => {
            return Err(Error::Command(CommandError::failed_to_parse(
                "The 'name' field is a required property of an index specification",
            )))
        }
    };
    Ok(IndexModel {
        keys,
        name: Some(name),
        unique: args::flag(spec, cmd, "unique")?,
        sparse: args::flag(spec, cmd, "sparse")?,
        partial_filter: args::doc(spec, cmd, "partialFilterExpression")?,
        expire_after_secs: args::count(spec, cmd, "expireAfterSeconds")?,
        collation: args::doc(spec, cmd, "collation")?,
        weights: args::doc(spec, cmd, "weights")?,
        default_language: spec.get_str("default_language").ok().map(str::to_owned),
    })
}

fn index_spec(i: &IndexModel) -> Document {
    let mut spec = doc! { "v": 2, "key": i.keys.clone(), "name": i.effective_name() };
    if i.unique {
        spec.insert("unique", true);
    }
    if i.sparse {
        spec.insert("sparse", true);
    }
    if let Some(p) = &i.partial_filter {
        spec.insert("partialFilterExpression", p.clone());
    }
    if let Some(s) = i.expire_after_secs {
        spec.insert("expireAfterSeconds", i64::try_from(s).unwrap_or(i64::MAX));
    }
    if let Some(c) = &i.collation {
        spec.insert("collation", c.clone());
    }
    if let Some(w) = &i.weights {
        spec.insert("weights", w.clone());
    }
    if let Some(l) = &i.default_language {
        spec.insert("default_language", l.clone());
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_specs_round_trip() {
        let spec = doc! { "key": { "email": 1 }, "name": "email_1", "unique": true, "expireAfterSeconds": 30 };
        let model = index_model(&spec).unwrap();
        assert!(model.unique && !model.sparse);
        assert_eq!(model.expire_after_secs, Some(30));
        assert_eq!(
            index_spec(&model),
            doc! { "v": 2, "key": { "email": 1 }, "name": "email_1", "unique": true, "expireAfterSeconds": 30_i64 }
        );
        assert!(
            index_model(&doc! { "key": { "a": 1 } }).is_err(),
            "a name is required"
        );
    }

    #[test]
    fn text_and_collation_options_round_trip() {
        let spec = doc! {
            "key": { "title": "text" }, "name": "title_text",
            "weights": { "title": 3 }, "default_language": "french",
            "collation": { "locale": "fr", "strength": 2 },
        };
        let model = index_model(&spec).unwrap();
        assert_eq!(model.weights, Some(doc! { "title": 3 }));
        assert_eq!(model.default_language.as_deref(), Some("french"));
        assert_eq!(
            model.collation,
            Some(doc! { "locale": "fr", "strength": 2 })
        );
        let listed = index_spec(&model);
        assert_eq!(
            listed.get_document("weights").unwrap(),
            &doc! { "title": 3 }
        );
        assert_eq!(listed.get_str("default_language").unwrap(), "french");
        assert_eq!(
            listed.get_document("collation").unwrap(),
            &doc! { "locale": "fr", "strength": 2 }
        );
    }

    #[test]
    fn collection_specs_describe_views_and_collections() {
        let view = CollectionInfo::new(
            "v",
            "view",
            CreateCollectionOptions {
                view_on: Some("c".into()),
                pipeline: Some(vec![doc! { "$match": { "a": 1 } }]),
                ..CreateCollectionOptions::default()
            },
        );
        let spec = Document::try_from(collection_spec(&view, false).unwrap()).unwrap();
        assert_eq!(
            spec.get_document("options")
                .unwrap()
                .get_str("viewOn")
                .unwrap(),
            "c"
        );
        assert!(spec
            .get_document("info")
            .unwrap()
            .get_bool("readOnly")
            .unwrap());
        assert!(spec.get("idIndex").is_none());
        let name_only = Document::try_from(collection_spec(&view, true).unwrap()).unwrap();
        assert_eq!(name_only, doc! { "name": "v", "type": "view" });
    }
}
