//! How the driver's errors become odm's: a duplicate key is
//! [`Error::DuplicateKey`], a refused command is [`Error::Command`] with the
//! server's code, and a server that cannot be reached is
//! [`Error::Connection`] with a message that says what to check.

use mongodb::error::{Error as DriverError, ErrorKind, WriteFailure};

use crate::backend::{Namespace, WriteError};
use crate::error::{CommandError, Error};

/// Map a driver error raised by an operation on `ns`.
pub(crate) fn map_error(error: DriverError, ns: &dyn std::fmt::Display) -> Error {
    let kind_error = match &*error.kind {
        ErrorKind::Command(c) if c.code == 11000 => {
            Some(duplicate_key(ns, &c.message, error.server_response()))
        }
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == 11000 => {
            Some(duplicate_key(ns, &w.message, error.server_response()))
        }
        ErrorKind::Command(c) => Some(Error::Command(
            CommandError::new(c.code, c.code_name.clone(), c.message.clone()).with_details(
                reply_doc(error.server_response(), "errInfo")
                    .map(|e| bson::doc! { "errInfo": e })
                    .unwrap_or_default(),
            ),
        )),
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(server_error(
            ns,
            w.code,
            w.code_name.clone().unwrap_or_default(),
            w.message.clone(),
        )),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => Some(Error::Command(
            CommandError::new(w.code, w.code_name.clone(), w.message.clone()),
        )),
        _ => None,
    };
    if let Some(e) = kind_error {
        return with_labels(e, &error);
    }
    match connection_hint(&error.kind) {
        Some(hint) => Error::Connection {
            message: format!("{hint} (driver: {error})"),
            source: Some(Box::new(error)),
        },
        None => Error::Backend {
            message: error.to_string(),
            source: Some(Box::new(error)),
        },
    }
}

/// The driver's error labels (`TransientTransactionError`, ...) on a
/// command error; other errors keep the driver's error as their source.
fn with_labels(e: Error, driver: &DriverError) -> Error {
    match e {
        Error::Command(mut c) => {
            let mut labels: Vec<&String> = driver.labels().iter().collect();
            labels.sort();
            for label in labels {
                c = c.with_label(label.clone());
            }
            Error::Command(c)
        }
        other => other,
    }
}

/// A server-reported error: 11000 is a duplicate key, anything else a
/// command error with the server's code.
pub(crate) fn server_error(
    ns: &dyn std::fmt::Display,
    code: i32,
    code_name: String,
    message: String,
) -> Error {
    if code == 11000 {
        return duplicate_key(ns, &message, None);
    }
    Error::Command(CommandError::new(code, code_name, message))
}

fn duplicate_key(
    ns: &dyn std::fmt::Display,
    message: &str,
    reply: Option<&bson::RawDocumentBuf>,
) -> Error {
    Error::DuplicateKey {
        namespace: ns.to_string(),
        index: index_from_message(message).unwrap_or_else(|| "unknown".into()),
        key: Box::new(reply_doc(reply, "keyValue").unwrap_or_default()),
        key_pattern: Box::new(reply_doc(reply, "keyPattern").unwrap_or_default()),
    }
}

/// A sub-document of an error reply (`keyValue`, `keyPattern`, `errInfo`):
/// at the top (`findAndModify`, commands) or in the first write error.
fn reply_doc(reply: Option<&bson::RawDocumentBuf>, name: &str) -> Option<bson::Document> {
    let reply = reply?;
    let from = |d: &bson::RawDocument| {
        d.get_document(name)
            .ok()
            .and_then(|k| bson::Document::try_from(k).ok())
    };
    from(reply).or_else(|| {
        let errors = reply.get_array("writeErrors").ok()?;
        let first = errors.into_iter().next()?.ok()?;
        from(first.as_document()?)
    })
}

/// A raw write error (`writeErrors[i]` of a write command's reply) as a
/// single-write error: the details keep `keyValue` for a duplicate key.
pub(crate) fn single_write_error(error: WriteError, ns: &Namespace) -> Error {
    error.into_error(ns)
}

/// `... index: email_1 dup key: { ... }` names the index.
fn index_from_message(message: &str) -> Option<String> {
    let rest = message.split("index: ").nth(1)?;
    Some(rest.split_whitespace().next()?.to_owned())
}

/// What to check when the server could not be reached, or `None` when the
/// error is not about reaching the server.
fn connection_hint(kind: &ErrorKind) -> Option<&'static str> {
    Some(match kind {
        ErrorKind::ServerSelection { .. } => {
            "no MongoDB server answered. Check that mongod is running at the address in the \
             connection string and that this machine can reach it; for Atlas, check that this \
             machine's IP address is on the project's IP access list; if the server requires \
             TLS, check the tls options of the URI"
        }
        ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. } => {
            "the connection to MongoDB failed. Check that mongod is running and reachable at \
             that address (host, port, firewall)"
        }
        ErrorKind::DnsResolve { .. } => {
            "the host name of the connection string could not be resolved. Check the host name \
             (for mongodb+srv:// URIs, the cluster's SRV record) and this machine's DNS"
        }
        ErrorKind::InvalidTlsConfig { .. } => {
            "the TLS settings are invalid. Check the tls, tlsCAFile and tlsCertificateKeyFile \
             options of the connection string"
        }
        ErrorKind::Authentication { .. } => {
            "authentication failed. Check the user name, password and authSource of the \
             connection string"
        }
        ErrorKind::InvalidArgument { .. } => {
            "the connection string is invalid. Check its format \
             (mongodb://host:port/?options or mongodb+srv://cluster/)"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn command_error(code: i32, name: &str, msg: &str) -> DriverError {
        let c: mongodb::error::CommandError =
            bson::deserialize_from_document(doc! { "code": code, "codeName": name, "errmsg": msg })
                .unwrap();
        DriverError::from(ErrorKind::Command(c))
    }

    #[test]
    fn duplicate_key_command_error_names_the_index() {
        let ns = Namespace::new("shop", "users");
        let e = map_error(
            command_error(
                11000,
                "DuplicateKey",
                "E11000 duplicate key error collection: shop.users index: email_1 dup key: { email: \"a\" }",
            ),
            &ns,
        );
        match e {
            Error::DuplicateKey {
                namespace, index, ..
            } => {
                assert_eq!(namespace, "shop.users");
                assert_eq!(index, "email_1");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn key_value_is_read_from_the_reply_or_its_first_write_error() {
        let top = bson::RawDocumentBuf::try_from(
            &doc! { "ok": 0.0, "code": 11000, "keyValue": { "a": 1 } },
        )
        .unwrap();
        assert_eq!(reply_doc(Some(&top), "keyValue"), Some(doc! { "a": 1 }));
        let nested = bson::RawDocumentBuf::try_from(
            &doc! { "ok": 1.0, "writeErrors": [{ "index": 0, "code": 11000, "keyValue": { "b": 2 } }] },
        )
        .unwrap();
        assert_eq!(reply_doc(Some(&nested), "keyValue"), Some(doc! { "b": 2 }));
        assert_eq!(
            reply_doc(Some(&bson::RawDocumentBuf::new()), "keyValue"),
            None
        );
    }

    #[test]
    fn other_command_errors_keep_code_and_name() {
        let e = map_error(
            command_error(2, "BadValue", "unknown operator: $foo"),
            &"db.c",
        );
        match e {
            Error::Command(c) => {
                assert_eq!((c.code, c.code_name.as_str()), (2, "BadValue"));
                assert_eq!(c.message, "unknown operator: $foo");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn io_failures_say_what_to_check_and_keep_the_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = map_error(DriverError::from(ErrorKind::from(io)), &"db.c");
        match &e {
            Error::Connection { message, source } => {
                assert!(message.contains("mongod is running"), "{message}");
                assert!(source.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().starts_with("cannot reach MongoDB"));
    }

    #[test]
    fn write_error_with_key_value_becomes_duplicate_key() {
        let ns = Namespace::new("db", "c");
        let w = WriteError::new(
            0,
            11000,
            "DuplicateKey",
            "E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: 1 }",
            doc! { "keyPattern": { "_id": 1 }, "keyValue": { "_id": 1 } },
        );
        match single_write_error(w, &ns) {
            Error::DuplicateKey { index, key, .. } => {
                assert_eq!(index, "_id_");
                assert_eq!(*key, doc! { "_id": 1 });
            }
            other => panic!("{other:?}"),
        }
    }
}
