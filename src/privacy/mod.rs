//! The people whose data this holds keep it theirs: export, erasure, and the log of who read it.

pub mod registry;
pub mod routes;
pub mod service;
pub mod store;

// What the other features use: recording who read a person's data.
pub use service::{record_access, Access};
