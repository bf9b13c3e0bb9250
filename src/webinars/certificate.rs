//! The certificate: issued when the programme is complete, shown to its holder and verified by
//! anyone with its code (name, programme and date, nothing more). The programme's name is stored
//! in bokmål and shown in the reader's written form.

use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{self, CertificateStanding};
use crate::error::{AppError, AppResult};
use crate::language::Language;
use crate::AppState;

/// The programme's name in bokmål, as certificates store it.
pub const PROGRAMME: &str = "Mentoropplæring i lindrende behandling";
/// The programme's name in nynorsk.
pub const PROGRAMME_NYNORSK: &str = "Mentoropplæring i lindrande behandling";

/// A stored programme name (bokmål) as `language` writes it. A name this version does not know
/// (a programme renamed since) is shown as stored.
pub fn programme_in(stored: &str, language: Language) -> String {
    match language {
        Language::Nynorsk if stored == PROGRAMME => PROGRAMME_NYNORSK.to_owned(),
        _ => stored.to_owned(),
    }
}

/// The series whose three sessions the person attended, if any.
async fn completed_series(conn: &mut AsyncPgConnection, user_id: Uuid) -> AppResult<Option<Uuid>> {
    let confirmed: Vec<_> = store::registrations_of(conn, user_id)
        .await?
        .into_iter()
        .filter(|r| r.registration.is_confirmed() && r.series.sessions.len() == 3)
        .collect();
    let sessions: Vec<Uuid> = confirmed
        .iter()
        .flat_map(|r| r.series.session_ids())
        .collect();
    let attendance = store::attendance(conn, &sessions, &[user_id]).await?;
    Ok(confirmed
        .iter()
        .find(|r| {
            r.series
                .sessions
                .iter()
                .all(|s| store::attended(&attendance, user_id, s.id) == Some(true))
        })
        .map(|r| r.series.row.id))
}

/// Issues the certificate when the programme is complete: the path done, a note submitted and
/// all three sessions of one series attended. It is dated `now` in Oslo.
pub async fn issue_certificate_if_due(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if store::has_certificate(conn, user_id).await?
        || crate::learning::path_completed_at(conn, user_id)
            .await?
            .is_none()
        || !crate::reflection::has_submitted(conn, user_id).await?
    {
        return Ok(());
    }
    let Some(series_id) = completed_series(conn, user_id).await? else {
        return Ok(());
    };
    let name = store::contact(conn, user_id).await?.name;
    let code = verification_code();
    let certificate = store::NewCertificate {
        user_id,
        verification_code: &code,
        name: &name,
        programme: PROGRAMME,
        completed_on: now.with_timezone(&chrono_tz::Europe::Oslo).date_naive(),
        series_id: Some(series_id),
    };
    store::insert_certificate(conn, &certificate).await?;
    tracing::info!(%user_id, "programme completed; certificate issued");
    Ok(())
}

/// 16 characters from an alphabet without look-alikes, in groups of four (80 bits).
pub fn verification_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether a certificate still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    Valid,
    /// Revoked by an administrator or by the holder's erasure: its credential no longer verifies.
    Revoked,
}

#[derive(Serialize, ToSchema)]
pub struct Certificate {
    pub name: String,
    pub programme: String,
    pub completed_on: NaiveDate,
    pub verification_code: String,
    pub verify_url: String,
    pub status: CertificateStatus,
    /// The day (in Oslo) it was revoked, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_on: Option<NaiveDate>,
}

/// What anyone with the code learns: a valid certificate's holder, programme and date; of a
/// revoked one only the programme and the dates, never the person or the reason.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CertificateCheck {
    Valid {
        name: String,
        programme: String,
        completed_on: NaiveDate,
    },
    Revoked {
        programme: String,
        completed_on: NaiveDate,
        revoked_on: NaiveDate,
    },
}

/// A day in Oslo, as certificates (and the diploma's dates) are dated.
pub(super) fn oslo_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::Oslo).date_naive()
}

/// The check of a certificate, the programme named in `language`.
pub(super) fn check_of(found: CertificateStanding, language: Language) -> CertificateCheck {
    let programme = programme_in(&found.programme, language);
    match found.revoked_at {
        None => CertificateCheck::Valid {
            name: found.name,
            programme,
            completed_on: found.completed_on,
        },
        Some(revoked_at) => CertificateCheck::Revoked {
            programme,
            completed_on: found.completed_on,
            revoked_on: oslo_day(revoked_at),
        },
    }
}

/// The public page of a certificate: a person opens this link (it is printed with the
/// certificate), and the client shows the check in the reader's form (bokmål unless their
/// browser asks for nynorsk), from `GET /api/v1/certificates/{code}`.
pub fn verify_url(config: &crate::config::Config, code: &str) -> String {
    let mut url = config.public_base_url.clone();
    url.set_path(&format!("/certificate/{code}"));
    url.to_string()
}

/// A code as stored (upper case), or `None` when it cannot be one.
pub(super) fn normal_code(code: &str) -> Option<String> {
    (code.len() <= 40 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then(|| code.to_ascii_uppercase())
}

/// The holder's certificate, the programme named in `language` (the holder's form).
pub async fn my_certificate(
    state: &AppState,
    user_id: Uuid,
    language: Language,
) -> AppResult<Certificate> {
    let mut conn = state.pool.get().await?;
    let found = store::standing_of(&mut conn, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Certificate {
        name: found.name,
        programme: programme_in(&found.programme, language),
        completed_on: found.completed_on,
        verify_url: verify_url(&state.config, &found.verification_code),
        verification_code: found.verification_code,
        status: match found.revoked_at {
            None => CertificateStatus::Valid,
            Some(_) => CertificateStatus::Revoked,
        },
        revoked_on: found.revoked_at.map(oslo_day),
    })
}

/// Anyone's check of a code, the programme named in `language` (the reader's `Accept-Language`,
/// bokmål by default).
pub async fn verify(
    state: &AppState,
    code: &str,
    language: Language,
) -> AppResult<CertificateCheck> {
    let code = normal_code(code).ok_or(AppError::NotFound)?;
    let mut conn = state.pool.get().await?;
    let found = store::standing_by_code(&mut conn, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(check_of(found, language))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_programme_is_named_in_the_reader_s_form() {
        assert_eq!(programme_in(PROGRAMME, Language::Bokmal), PROGRAMME);
        assert_eq!(
            programme_in(PROGRAMME, Language::Nynorsk),
            "Mentoropplæring i lindrande behandling"
        );
        // A name this version does not know is shown as stored.
        assert_eq!(programme_in("Noko anna", Language::Nynorsk), "Noko anna");
    }

    #[test]
    fn verification_codes_are_four_groups_of_four_without_look_alikes() {
        let code = verification_code();
        assert_eq!(code.len(), 19);
        assert!(code
            .split('-')
            .all(|group| group.len() == 4 && !group.contains(['O', '0', 'I', '1'])));
    }
}
