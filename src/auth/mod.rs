//! Accounts, roles, sign-in and the tokens that carry a session.

pub mod activity;
pub mod enrolment;
pub mod enrolment_routes;
pub mod extractor;
pub mod limits;
pub mod oidc;
pub mod password;
pub mod profile;
pub mod routes;
pub mod service;
pub mod store;
pub mod tokens;

pub use extractor::{roles, AuthUser, Require};

// What the other features use of accounts and sessions; the rest of auth stays its own.
pub use limits::{account_key, client_ip, IpLimiter};
pub use profile::MunicipalitySummary;
pub use store::{
    end_access_tokens, find_profile, purge_old_failures, purge_old_signups,
    revoke_all_refresh_tokens, touch_last_active, Profile,
};
pub use tokens::new_opaque_token;

crate::text_enum! {
    /// What a person may do (PRODUCT.md, "Roles").
    pub enum Role {
        Mentor = "mentor",
        Facilitator = "facilitator",
        Coordinator = "coordinator",
        Admin = "admin",
    }
}
