//! The backend over the official `mongodb` driver (feature `mongodb`).
//!
//! STUB: lands with the driver-backend issue; connecting is refused until then.

use std::sync::Arc;

use crate::backend::Backend;
use crate::error::{Error, Result};

/// Connect to `uri`; returns the backend and the URI's default database.
pub async fn connect(uri: &str) -> Result<(Arc<dyn Backend>, Option<String>)> {
    Err(Error::unsupported(
        "mongodb",
        format!("connecting to {uri}"),
    ))
}
