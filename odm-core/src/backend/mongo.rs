//! The backend over the official `mongodb` driver (feature `mongodb`).
//!
//! STUB: lands with the driver-backend issue.
