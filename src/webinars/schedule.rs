//! Rules for the sessions of a series, as pure functions: a new series' sessions and deadline,
//! and what a change to a series' sessions leads to, with the problems named by field.

use chrono::{DateTime, Datelike, Duration, Utc};
use uuid::Uuid;

use super::series::{
    NewSeries, SeriesChange, SessionChange, DEFAULT_DEADLINE_HOURS, DEFAULT_DURATION_MINUTES,
};
use super::store::{PlannedSession, Series};
use crate::error::{AppError, AppResult, FieldError};

/// What can be wrong with one planned session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionProblem {
    Implausible,
    InThePast,
    NotHttp,
    /// Starts before the one before it ends: about the order of all, not this session alone.
    Overlaps,
}

impl SessionProblem {
    fn field_error(self, index: usize) -> FieldError {
        let (field, message) = match self {
            SessionProblem::Implausible => ("starts_at", "must be a date before the year 10000"),
            SessionProblem::InThePast => ("starts_at", "must be in the future"),
            SessionProblem::NotHttp => ("join_url", "must be an http(s) URL"),
            SessionProblem::Overlaps => (
                "starts_at",
                "sessions must be in time order and must not overlap",
            ),
        };
        FieldError::new(format!("sessions[{index}].{field}"), message)
    }
}

/// Dates far outside the programme's life would overflow date arithmetic and calendar files.
fn is_plausible(at: DateTime<Utc>) -> bool {
    (2000..=9999).contains(&at.year())
}

fn check_plausible_deadline(deadline: Option<DateTime<Utc>>) -> Option<FieldError> {
    deadline.filter(|d| !is_plausible(*d)).map(|_| {
        FieldError::new(
            "registration_deadline",
            "must be a date before the year 10000",
        )
    })
}

fn deadline_after_first_session() -> FieldError {
    FieldError::new("registration_deadline", "must be before the first session")
}

/// Sessions must be in time order, in the future and must not overlap: the problems by index.
fn session_problems(
    sessions: &[PlannedSession],
    now: DateTime<Utc>,
) -> Vec<(usize, SessionProblem)> {
    let mut problems = Vec::new();
    for (index, session) in sessions.iter().enumerate() {
        if !is_plausible(session.starts_at) {
            problems.push((index, SessionProblem::Implausible));
            continue;
        }
        if session.starts_at <= now {
            problems.push((index, SessionProblem::InThePast));
        }
        if !(session.join_url.starts_with("https://") || session.join_url.starts_with("http://")) {
            problems.push((index, SessionProblem::NotHttp));
        }
        if let Some(previous) = index.checked_sub(1).map(|i| &sessions[i]) {
            let previous_end = previous
                .starts_at
                .checked_add_signed(Duration::minutes(i64::from(previous.duration_minutes)))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if session.starts_at < previous_end {
                problems.push((index, SessionProblem::Overlaps));
            }
        }
    }
    problems
}

/// A change to a series' sessions, worked out against the series as it is.
#[derive(Debug)]
pub(super) struct SessionPlan {
    /// All sessions as they will be.
    pub planned: Vec<PlannedSession>,
    /// Indexes of sessions whose time, length or link changes.
    pub changed: Vec<usize>,
    /// Ids of sessions cancelled now.
    pub cancelled: Vec<Uuid>,
}

pub(super) fn plan_sessions(series: &Series, changes: &[SessionChange]) -> AppResult<SessionPlan> {
    let mut plan = SessionPlan {
        planned: series.sessions.iter().map(PlannedSession::from).collect(),
        changed: Vec::new(),
        cancelled: Vec::new(),
    };
    for change in changes {
        let index = (change.number - 1) as usize;
        let Some(current) = series.sessions.get(index) else {
            return Err(AppError::field("sessions", "no such session number"));
        };
        if change.cancelled == Some(true) && current.cancelled_at.is_none() {
            plan.cancelled.push(current.id);
        }
        let planned = &mut plan.planned[index];
        let before = planned.clone();
        if let Some(starts_at) = change.starts_at {
            planned.starts_at = starts_at;
        }
        if let Some(duration) = change.duration_minutes {
            planned.duration_minutes = duration;
        }
        if let Some(url) = &change.join_url {
            planned.join_url = url.trim().to_owned();
        }
        if *planned != before {
            plan.changed.push(index);
        }
    }
    Ok(plan)
}

/// The registration deadline a change leaves, if the planned sessions allow it. Sessions
/// already past cannot be moved, but they may stay in the past.
pub(super) fn check_plan(
    plan: &SessionPlan,
    series: &Series,
    change: &SeriesChange,
    now: DateTime<Utc>,
) -> AppResult<DateTime<Utc>> {
    let problems: Vec<FieldError> = session_problems(&plan.planned, now)
        .into_iter()
        .filter(|(index, problem)| {
            plan.changed.contains(index) || *problem == SessionProblem::Overlaps
        })
        .map(|(index, problem)| problem.field_error(index))
        .collect();
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    if let Some(problem) = check_plausible_deadline(change.registration_deadline) {
        return Err(AppError::Validation(vec![problem]));
    }
    let deadline = change
        .registration_deadline
        .unwrap_or(series.row.registration_deadline);
    match plan.planned.iter().map(|p| p.starts_at).min() {
        Some(first) if deadline > first => {
            Err(AppError::Validation(vec![deadline_after_first_session()]))
        }
        _ => Ok(deadline),
    }
}

/// The sessions of a new series and its registration deadline, if they are valid.
pub(super) fn plan_new_series(
    input: &NewSeries,
    now: DateTime<Utc>,
) -> AppResult<(Vec<PlannedSession>, DateTime<Utc>)> {
    let sessions: Vec<PlannedSession> = input
        .sessions
        .iter()
        .map(|s| PlannedSession {
            starts_at: s.starts_at,
            duration_minutes: s.duration_minutes.unwrap_or(DEFAULT_DURATION_MINUTES),
            join_url: s.join_url.trim().to_owned(),
        })
        .collect();
    let mut problems: Vec<FieldError> = session_problems(&sessions, now)
        .into_iter()
        .map(|(index, problem)| problem.field_error(index))
        .collect();
    problems.extend(check_plausible_deadline(input.registration_deadline));
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let first = sessions.iter().map(|s| s.starts_at).min().unwrap_or(now);
    let deadline = input
        .registration_deadline
        .unwrap_or(first - Duration::hours(DEFAULT_DEADLINE_HOURS));
    if deadline > first {
        problems.push(deadline_after_first_session());
    }
    if input.title.trim().is_empty() {
        problems.push(FieldError::new("title", "must not be blank"));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok((sessions, deadline))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(starts_at: DateTime<Utc>, duration_minutes: i32) -> PlannedSession {
        PlannedSession {
            starts_at,
            duration_minutes,
            join_url: "https://meet.example.no/a".into(),
        }
    }

    #[test]
    fn sessions_in_the_past_overlapping_or_without_a_web_link_are_named_by_index() {
        let now = Utc::now();
        let mut sessions = vec![
            planned(now - Duration::hours(1), 120),
            planned(now + Duration::hours(10), 120),
            planned(now + Duration::hours(11), 60),
        ];
        sessions[1].join_url = "ftp://meet.example.no".into();
        assert_eq!(
            session_problems(&sessions, now),
            vec![
                (0, SessionProblem::InThePast),
                (1, SessionProblem::NotHttp),
                (2, SessionProblem::Overlaps),
            ]
        );
        assert_eq!(
            SessionProblem::Overlaps.field_error(2).field,
            "sessions[2].starts_at"
        );
    }

    #[test]
    fn an_implausible_date_is_the_only_problem_of_its_session() {
        let now = Utc::now();
        let far = DateTime::<Utc>::MAX_UTC;
        let sessions = vec![planned(now + Duration::hours(1), 60), planned(far, 60)];
        assert_eq!(
            session_problems(&sessions, now),
            vec![(1, SessionProblem::Implausible)]
        );
    }
}
