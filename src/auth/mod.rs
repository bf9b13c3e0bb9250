//! Accounts, roles, sign-in and the tokens that carry a session.

pub mod activity;
pub mod extractor;
pub mod limits;
pub mod password;
pub mod routes;
pub mod service;
pub mod store;
pub mod tokens;

pub use extractor::{AuthUser, Require};

crate::text_enum! {
    /// What a person may do (PRODUCT.md, "Roles").
    pub enum Role {
        Mentor = "mentor",
        Facilitator = "facilitator",
        Coordinator = "coordinator",
        Admin = "admin",
    }
}
