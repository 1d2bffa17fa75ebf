//! From `syn` to a checked IR: attribute parsing, the IR, the cross-field
//! rules, and the error accumulator they all report to.

pub mod ast;
pub mod attr;
pub mod case;
pub mod check;
pub mod ctxt;
pub mod index;
