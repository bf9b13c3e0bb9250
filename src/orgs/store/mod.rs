//! Queries for USHTs, municipalities, invitations, nudges and the progress view. Every query that
//! a coordinator can reach takes a [`Scope`](super::scope::Scope) and filters by it in SQL, so a
//! row out of scope is never loaded.

pub mod follow_up;
pub mod invitations;
pub mod municipalities;
pub mod record;
pub mod users;
pub mod ushts;

/// How many rows of one kind a municipality has (pending invitations, pending sign-ups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MunicipalityCount {
    pub municipality_id: uuid::Uuid,
    pub count: i64,
}
