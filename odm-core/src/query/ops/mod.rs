//! The typed operators, as methods on [`Field`](crate::Field) paths, one
//! module per kind of builder. Each method is gated by the marker traits of
//! [`marker`](super::marker) on the field's Rust type and takes values through
//! [`ValueOf`](super::ValueOf).

mod array_update;
mod element;
mod filter;
mod update;

pub use array_update::PushEach;
pub(crate) use element::element_condition;
