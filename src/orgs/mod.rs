//! USHTs, the municipalities they enroll, invitations into them, and the coordinators'
//! follow-up of their mentors (statuses only, never what mentors wrote).

pub mod demo;
pub mod report;
pub mod roster;
pub mod routes;
pub mod scope;
pub mod service;
pub mod store;
