//! Module 5: webinar series with seats and a waitlist, calendar invitations, reminders,
//! attendance and the certificate.
//!
//! `routes` is HTTP only; `series`, `registration`, `views`, `facilitation` and `certificate`
//! decide, with the pure rules of sessions in `schedule`; `store` holds the SQL. Other features use what is re-exported below.

pub mod calendar;
mod certificate;
mod credential;
mod diploma;
mod facilitation;
mod issuer;
mod notify;
mod registration;
mod reminders;
pub mod routes;
mod schedule;
mod series;
mod status_list;
mod store;
mod views;

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

// What the other features use of webinars; the rest stays this feature's own.
pub use certificate::{verification_code, PROGRAMME};
pub use credential::revoke_on_erasure as revoke_certificate_on_erasure;
pub use issuer::{load_or_create_key_file as load_or_create_issuer_key_file, IssuerKeys};
pub use registration::cancel_upcoming_registrations;
pub use reminders::enqueue_due as enqueue_reminders;
pub use store::{certificate_record_of, CertificateRecord};
pub use views::{export_of, RegistrationExport, SessionExport};
