//! The command log of a monitored client: the driver reports each command
//! it sends (`CommandStartedEvent`), so the log counts what went on the
//! wire, `getMore`s and split batches included, but not the driver's own
//! housekeeping.

use bson::{doc, Bson, Document};

use crate::backend::CommandLog;

/// Commands that are the driver's own housekeeping, not the application's.
const HOUSEKEEPING: &[&str] = &[
    "hello",
    "isMaster",
    "ismaster",
    "endSessions",
    "ping",
    "saslStart",
    "saslContinue",
    "authenticate",
];

/// Record a command the driver sent, with its namespace and filter.
pub(super) fn record_started(log: &CommandLog, name: &str, db: &str, command: &Document) {
    if HOUSEKEEPING.contains(&name) {
        return;
    }
    let coll = match name {
        "getMore" => command.get_str("collection").ok(),
        _ => command.get(name).and_then(Bson::as_str),
    };
    let namespace = match coll {
        Some(c) => format!("{db}.{c}"),
        None => db.to_owned(),
    };
    let filter = match name {
        "find" => command.get_document("filter").ok().cloned(),
        "count" | "distinct" | "findAndModify" => command.get_document("query").ok().cloned(),
        "aggregate" => command
            .get_array("pipeline")
            .ok()
            .map(|p| doc! { "pipeline": p.clone() }),
        _ => None,
    };
    log.record(name, &namespace, filter.as_ref());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_skips_housekeeping_and_names_the_namespace() {
        let log = CommandLog::default();
        log.start();
        record_started(&log, "hello", "admin", &doc! { "hello": 1 });
        record_started(
            &log,
            "find",
            "shop",
            &doc! { "find": "users", "filter": { "a": 1 } },
        );
        record_started(
            &log,
            "getMore",
            "shop",
            &doc! { "getMore": 5_i64, "collection": "users" },
        );
        record_started(&log, "listDatabases", "admin", &doc! { "listDatabases": 1 });
        let events = log.take();
        let names: Vec<_> = events
            .iter()
            .map(|e| (e.command.as_str(), e.namespace.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("find", "shop.users"),
                ("getMore", "shop.users"),
                ("listDatabases", "admin")
            ]
        );
        assert_eq!(events[0].filter, Some(doc! { "a": 1 }));
    }
}
