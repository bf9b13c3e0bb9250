//! HTTP plumbing shared by every feature: JSON bodies, middleware, health and the API document.

pub mod fields;
pub mod health;
pub mod json;
pub mod middleware;
pub mod openapi;
pub mod pagination;
