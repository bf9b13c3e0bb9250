//! Queries for accounts and their tokens, one file a kind: accounts, refresh tokens, links sent
//! by mail, failed sign-ins and waiting sign-ups.

mod accounts;
mod links;
mod sessions;
mod sign_ins;
mod sign_ups;

pub use accounts::*;
pub use links::*;
pub use sessions::*;
pub use sign_ins::*;
pub use sign_ups::*;
