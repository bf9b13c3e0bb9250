//! Accounts, roles, sign-in and the tokens that carry a session.

pub mod extractor;
pub mod limits;
pub mod password;
pub mod routes;
pub mod service;
pub mod store;
pub mod tokens;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use extractor::{AuthUser, Require};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Mentor,
    Facilitator,
    Coordinator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Mentor,
        Role::Facilitator,
        Role::Coordinator,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Mentor => "mentor",
            Role::Facilitator => "facilitator",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }
}
