//! The sequential learning path: rules, progress, page reads, completions and reflection answers.

pub mod routes;
pub mod rules;
pub mod service;
pub mod store;
