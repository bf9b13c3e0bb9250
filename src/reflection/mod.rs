//! The reflection note: drafted at any time, submitted once the path is done; the submitted
//! version is the entry ticket to module 5. It is plain text and never rendered as HTML.

pub mod routes;
pub mod service;
pub mod store;
