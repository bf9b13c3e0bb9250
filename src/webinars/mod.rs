//! Module 5: webinar series with seats and a waitlist, calendar invitations, reminders,
//! attendance and the certificate.

pub mod calendar;
pub mod facilitation;
pub mod notify;
pub mod reminders;
pub mod routes;
pub mod service;
pub mod store;

crate::text_enum! {
    /// A registration for a series.
    pub enum RegistrationStatus {
        Confirmed = "confirmed",
        Waitlisted = "waitlisted",
        Cancelled = "cancelled",
    }
}

crate::text_enum! {
    /// Where a mentor is in module 5, as the follow-up shows it: `completed` is all three
    /// sessions of a series attended.
    pub enum WebinarProgress {
        None = "none",
        Waitlisted = "waitlisted",
        Confirmed = "confirmed",
        Completed = "completed",
    }
}
