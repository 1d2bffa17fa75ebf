//! Tests of whole updates: parsing, application order, errors and no-ops.
