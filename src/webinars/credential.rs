//! The certificate as an Open Badges 3.0 credential: a W3C verifiable credential secured as a JWT
//! (`application/vc+jwt`, EdDSA) that anyone can verify with our published keys and status list,
//! without asking us about the person. The holder is named only by a salted hash of their email
//! address; revocation (by an administrator, or by erasure) sets the certificate's status bit.

use actix_web::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::certificate::{self, CertificateCheck};
use super::status_list::{self, StatusPosition};
use super::store::{self, CertificateStanding};
use crate::auth::AuthUser;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::http::fields::Reason;
use crate::language::Language;
use crate::AppState;

/// Who issues the certificates, as the credentials and the issuer profile name it.
pub const ISSUER_NAME: &str = "Mentorsti";
/// The webinars of module 5: three of two hours each, as the programme describes them.
const WEBINAR_HOURS: f64 = 6.0;

const CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
];

/// `{PUBLIC_BASE_URL}/api/v1/issuer`: the issuer's id in every credential, and its profile.
pub fn issuer_url(config: &Config) -> String {
    let mut url = config.public_base_url.clone();
    url.set_path("/api/v1/issuer");
    url.to_string()
}

/// The issuer's Open Badges profile (a `Profile`), served at its own id.
pub fn issuer_profile(config: &Config) -> Value {
    json!({
        "@context": CONTEXTS,
        "id": issuer_url(config),
        "type": ["Profile"],
        "name": ISSUER_NAME,
        "url": config.public_base_url.as_str(),
        "description": "Mentorsti utsteder kursbevis for mentoropplæringen i lindrende behandling \
            for mentorer i de kommunale helse- og omsorgstjenestene. Kursbevisene kan kontrolleres \
            med nøklene og statuslisten som publiseres her.",
    })
}

/// The programme's hours: the self-study of modules 1–4 as the published course estimates it,
/// and the three webinars, to the nearest half hour.
pub fn programme_hours(module_minutes: i32) -> f64 {
    let hours = f64::from(module_minutes.max(0)) / 60.0 + WEBINAR_HOURS;
    (hours * 2.0).round() / 2.0
}

/// `sha256$<hex>` of the address and the salt, as Open Badges hashes an identity.
pub fn identity_hash(email: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{email}{salt}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256${hex}")
}

/// What one credential says, gathered before it is written.
pub struct CredentialFacts<'a> {
    pub certificate: &'a CertificateStanding,
    /// The holder's address, lower case, as hashed.
    pub email: &'a str,
    pub salt: &'a str,
    pub hours: f64,
    pub verify_url: &'a str,
}

/// The OpenBadgeCredential with its JWT claims (OB 3.0 §8.2: the payload is the credential,
/// with `iss`, `jti` and `nbf` beside it; no `sub`, since the subject has no id).
pub fn credential_payload(config: &Config, facts: &CredentialFacts, now: DateTime<Utc>) -> Value {
    let certificate = facts.certificate;
    let position = StatusPosition::of(certificate.status_index);
    let list_url = status_list::list_url(config, position.list);
    let issuer = issuer_url(config);
    let mut achievement_id = config.public_base_url.clone();
    achievement_id.set_path("/api/v1/issuer/achievements/mentoropplaering");
    json!({
        "@context": CONTEXTS,
        "id": facts.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": format!("Kursbevis: {}", certificate.programme),
        "issuer": {
            "id": issuer,
            "type": ["Profile"],
            "name": ISSUER_NAME,
            "url": config.public_base_url.as_str(),
        },
        "validFrom": certificate.issued_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": identity_hash(facts.email, facts.salt),
                "identityType": "emailAddress",
                "hashed": true,
                "salt": facts.salt,
            }],
            "achievement": {
                "id": achievement_id.as_str(),
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": certificate.programme,
                "description": "Opplæring for mentorer som leder kolleger gjennom \
                    opplæringspakken i lindrende behandling: læringsstien med modul 1–4 \
                    (mentorrollen, veiledning, refleksjon og samspill i gruppen), et \
                    refleksjonsnotat og tre lærings- og refleksjonswebinarer med andre mentorer.",
                "criteria": {
                    "narrative": "Kursbeviset gis når deltakeren har fullført læringsstien \
                        (modul 1–4), levert refleksjonsnotatet og deltatt på alle tre \
                        webinarene i én webinarserie.",
                },
                "creditsAvailable": facts.hours,
                "inLanguage": "nb",
            },
            "creditsEarned": facts.hours,
        },
        "credentialSchema": [{
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }],
        "credentialStatus": {
            "id": format!("{list_url}#{}", position.bit),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": position.bit.to_string(),
            "statusListCredential": list_url,
        },
        "iss": issuer,
        "jti": facts.verify_url,
        "nbf": certificate.issued_at.timestamp(),
        "iat": now.timestamp(),
    })
}

/// The caller's certificate as a signed credential (compact JWS). A revoked certificate has
/// none: 410 `certificate_revoked`.
pub async fn my_credential(state: &AppState, user_id: Uuid) -> AppResult<String> {
    let mut conn = state.pool.get().await?;
    let found = store::standing_of(&mut conn, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let salt = match (&found.revoked_at, &found.identity_salt) {
        (None, Some(salt)) => salt.clone(),
        _ => return Err(revoked()),
    };
    let email = store::contact(&mut conn, user_id)
        .await?
        .email
        .to_lowercase();
    drop(conn);
    let revision = crate::learning::current_revision(state, Language::Bokmal).await?;
    let hours = programme_hours(revision.modules.iter().map(|m| m.estimated_minutes).sum());
    let verify_url = certificate::verify_url(&state.config, &found.verification_code);
    let payload = credential_payload(
        &state.config,
        &CredentialFacts {
            certificate: &found,
            email: &email,
            salt: &salt,
            hours,
            verify_url: &verify_url,
        },
        state.clock.now(),
    );
    Ok(state
        .config
        .issuer_keys
        .sign(&payload, &state.config.issuer_jwks_url()))
}

fn revoked() -> AppError {
    AppError::rule(
        StatusCode::GONE,
        "certificate_revoked",
        "The certificate is revoked; it has no credential.",
    )
}

/// Why an administrator revokes a certificate (kept with it, never shown publicly).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub reason: Reason,
}

/// Revokes a certificate: its status bit is set and its check says "revoked". 404 for an unknown
/// code, 409 `already_revoked` for a second time.
pub async fn revoke(
    state: &AppState,
    code: &str,
    revocation: Revocation,
    by: &AuthUser,
    language: Language,
) -> AppResult<CertificateCheck> {
    let code = certificate::normal_code(code).ok_or(AppError::NotFound)?;
    let mut conn = state.pool.get().await?;
    let now = state.clock.now();
    let revoked =
        store::revoke_certificate(&mut conn, &code, by.id, revocation.reason.as_str(), now).await?;
    let Some(revoked) = revoked else {
        return match store::standing_by_code(&mut conn, &code).await? {
            Some(_) => Err(AppError::rule(
                StatusCode::CONFLICT,
                "already_revoked",
                "The certificate is already revoked.",
            )),
            None => Err(AppError::NotFound),
        };
    };
    tracing::info!(
        target: "security",
        event = "certificate_revoked",
        holder = %revoked.user_id,
        by = %by.id,
        by_role = by.role.as_str(),
        "certificate revoked"
    );
    Ok(certificate::check_of(revoked, language))
}

/// Erasure's part: the certificate is revoked and stripped of the person (see the store).
pub async fn revoke_on_erasure(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    by: Uuid,
) -> AppResult<()> {
    store::revoke_and_strip(conn, user_id, by).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use std::collections::HashMap;

    fn config() -> Config {
        let vars: HashMap<String, String> = [
            ("JWT_SECRET", "x".repeat(40)),
            (
                "ENCRYPTION_KEYS",
                crate::encryption::Keyring::generate_entry("e"),
            ),
            ("ISSUER_KEYS", super::super::IssuerKeys::generate_entry("i")),
            ("PUBLIC_BASE_URL", "https://mentorsti.example.no".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Config::from_vars(&vars).unwrap()
    }

    #[test]
    fn the_identity_hash_is_open_badges_sha256_of_address_and_salt() {
        // sha256("kari@example.no" + "abc"), as `printf %s kari@example.noabc | sha256sum` gives.
        assert_eq!(
            identity_hash("kari@example.no", "abc"),
            "sha256$fc7dec448155d94a8636de868eac72226e586b91fea205d6d7c87a898126612e"
        );
        assert_ne!(identity_hash("a", "b"), identity_hash("a", "c"));
    }

    #[test]
    fn hours_are_the_self_study_and_the_webinars_to_the_half_hour() {
        assert_eq!(programme_hours(900), 21.0);
        assert_eq!(programme_hours(910), 21.0);
        assert_eq!(programme_hours(920), 21.5);
        assert_eq!(programme_hours(-5), 6.0);
    }

    #[test]
    fn the_credential_names_its_issuer_status_bit_and_hashed_holder() {
        let config = config();
        let certificate = CertificateStanding {
            user_id: Uuid::new_v4(),
            verification_code: "ABCD-EFGH-JKLM-NPQR".into(),
            name: "Kari Nordmann".into(),
            programme: certificate::PROGRAMME.into(),
            completed_on: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            issued_at: "2026-12-04T10:00:00Z".parse().unwrap(),
            identity_salt: Some("s".into()),
            status_index: status_list::LIST_BITS + 7,
            revoked_at: None,
        };
        let payload = credential_payload(
            &config,
            &CredentialFacts {
                certificate: &certificate,
                email: "kari@example.no",
                salt: "s",
                hours: 21.0,
                verify_url: "https://mentorsti.example.no/certificate/ABCD-EFGH-JKLM-NPQR",
            },
            "2026-12-05T10:00:00Z".parse().unwrap(),
        );
        assert_eq!(payload["iss"], "https://mentorsti.example.no/api/v1/issuer");
        assert_eq!(payload["issuer"]["id"], payload["iss"]);
        assert_eq!(payload["jti"], payload["id"]);
        assert_eq!(payload["validFrom"], "2026-12-04T10:00:00Z");
        assert_eq!(payload["nbf"], 1_796_378_400);
        let status = &payload["credentialStatus"];
        assert_eq!(
            status["statusListCredential"],
            "https://mentorsti.example.no/api/v1/issuer/status/2"
        );
        assert_eq!(status["statusListIndex"], "7");
        let identifier = &payload["credentialSubject"]["identifier"][0];
        assert_eq!(
            identifier["identityHash"],
            identity_hash("kari@example.no", "s")
        );
        // The holder's name and address are not in it.
        let text = payload.to_string();
        assert!(!text.contains("Kari") && !text.contains("kari@"), "{text}");
    }
}
