//! Series, sessions, registrations, attendance, certificates and reminders in PostgreSQL: SQL
//! only, returning the domain types below. Seats are claimed with one conditional UPDATE of
//! the series' counter, which the database caps at the capacity.

mod attendance;
mod credentials;
mod registrations;
mod reminders;
mod series;

pub use attendance::*;
pub use credentials::*;
pub use registrations::*;
pub use reminders::*;
pub use series::*;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::RegistrationStatus;
use crate::db::schema::{webinar_registrations, webinar_series, webinar_sessions};
use crate::language::Language;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webinar_series)]
pub struct SeriesRow {
    pub id: Uuid,
    pub title: String,
    pub facilitator_id: Uuid,
    pub capacity: i32,
    pub confirmed_count: i32,
    pub registration_deadline: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webinar_sessions)]
pub struct Session {
    pub id: Uuid,
    pub series_id: Uuid,
    pub number: i32,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub join_url: String,
    pub sequence: i32,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl Session {
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + Duration::minutes(i64::from(self.duration_minutes))
    }
}

#[derive(Debug, Clone)]
pub struct Series {
    pub row: SeriesRow,
    pub sessions: Vec<Session>,
}

impl Series {
    pub fn first_start(&self) -> Option<DateTime<Utc>> {
        self.sessions.iter().map(|s| s.starts_at).min()
    }

    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.sessions.iter().map(Session::ends_at).max()
    }

    /// Not cancelled and not over.
    pub fn is_upcoming(&self, now: DateTime<Utc>) -> bool {
        self.row.cancelled_at.is_none() && self.ends_at().is_some_and(|end| end > now)
    }

    pub fn session_ids(&self) -> Vec<Uuid> {
        self.sessions.iter().map(|s| s.id).collect()
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webinar_registrations)]
pub struct Registration {
    pub id: Uuid,
    pub series_id: Uuid,
    pub user_id: Uuid,
    pub status: RegistrationStatus,
    pub waitlist_seq: Option<i32>,
}

impl Registration {
    /// Neither cancelled by the mentor nor ended with the series.
    pub fn is_live(&self) -> bool {
        self.status != RegistrationStatus::Cancelled
    }

    pub fn is_confirmed(&self) -> bool {
        self.status == RegistrationStatus::Confirmed
    }
}

/// A session as it is planned: what a new series is made of, and what a change leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSession {
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub join_url: String,
}

impl From<&Session> for PlannedSession {
    fn from(session: &Session) -> Self {
        Self {
            starts_at: session.starts_at,
            duration_minutes: session.duration_minutes,
            join_url: session.join_url.clone(),
        }
    }
}

/// Who a mail goes to, and the written form they read in.
#[derive(Debug, Clone, Queryable)]
pub struct Contact {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub language: Language,
}
