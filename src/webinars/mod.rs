//! Module 5: webinar series with seats and a waitlist, calendar invitations, reminders,
//! attendance and the certificate.

pub mod calendar;
pub mod facilitation;
pub mod notify;
pub mod reminders;
pub mod routes;
pub mod service;
pub mod store;
