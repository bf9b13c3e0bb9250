//! HTTP for module 5: series, registration, the mentor's webinars and calendar, facilitators,
//! administration and certificates.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::certificate::{self, Certificate, CertificateCheck};
use super::credential::{self, Revocation};
use super::diploma;
use super::facilitation::{self, AttendanceMark, FacilitatedSeries, Participant, ParticipantNote};
use super::registration::{self, RegistrationView};
use super::series::{self, NewSeries, SeriesChange};
use super::views::{self, MyWebinar, SeriesView};
use crate::auth::roles;
use crate::auth::Require;
use crate::error::{AppResult, Problem};
use crate::http::api::{Api, Rules};
use crate::http::json::Json;
use crate::language::Language;
use crate::AppState;

pub fn routes(api: &mut Api) {
    api.route(__path_list_series, list_series);
    api.route(__path_cancel_registration, cancel_registration);
    api.route(__path_my_webinars, my_webinars);
    api.route(__path_my_calendar, my_calendar);
    api.route(__path_my_certificate, my_certificate);
    api.route(__path_my_diploma, my_diploma);
    api.route(__path_verify_certificate, verify_certificate);
    api.route(__path_my_credential, my_credential);
    api.route(__path_issuer_profile, issuer_profile);
    api.route(__path_issuer_jwks, issuer_jwks);
    api.route(__path_status_list, status_list);
    api.route(__path_revoke_certificate, revoke_certificate);
    api.route(__path_facilitator_series, facilitator_series);
    api.route(__path_participants, participants);
    api.route(__path_participant_note, participant_note);
    api.route(__path_attendance, attendance);
    api.route(__path_all_series, all_series);
    api.route(__path_one_series, one_series);
    api.route(__path_create_series, create_series);
    api.route(__path_update_series, update_series);
    api.route(__path_cancel_series, cancel_series);
    api.with(Rules::QUEUED, |api| {
        api.route(__path_register, register);
    });
}

#[utoipa::path(get, path = "/api/v1/webinar-series", tag = "webinars", security(("bearer" = [])),
    responses(
        (status = 200, description = "Upcoming series with seats left, waitlist length, sessions and the caller's own registration", body = [SeriesView]),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn list_series(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(views::upcoming(&state, &caller.user).await?))
}

#[utoipa::path(post, path = "/api/v1/webinar-series/{id}/registrations", tag = "webinars", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Series id")),
    responses(
        (status = 201, description = "Confirmed, or waitlisted with a position", body = RegistrationView),
        (status = 403, description = "`reflection_note_required`, or not a mentor", body = Problem),
        (status = 404, description = "No such series", body = Problem),
        (status = 409, description = "`already_registered` (this or another upcoming series) or `registration_closed`", body = Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    caller: Require<roles::Mentor>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let view = registration::register(&state, caller.id, *id).await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(delete, path = "/api/v1/webinar-series/{id}/registrations/me", tag = "webinars", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Series id")),
    responses(
        (status = 204, description = "Cancelled; a freed seat goes to the first on the waitlist, who is emailed"),
        (status = 403, description = "Not a mentor", body = Problem),
        (status = 404, description = "No registration", body = Problem)))]
pub async fn cancel_registration(
    state: web::Data<AppState>,
    caller: Require<roles::Mentor>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    registration::cancel_registration(&state, caller.id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/me/webinars", tag = "webinars", security(("bearer" = [])),
    responses((status = 200, description = "Past and upcoming registrations with attendance", body = [MyWebinar])))]
pub async fn my_webinars(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(views::my_webinars(&state, caller.id).await?))
}

#[utoipa::path(get, path = "/api/v1/me/calendar.ics", tag = "webinars", security(("bearer" = [])),
    responses((status = 200, description = "iCalendar of the caller's confirmed sessions (same UIDs as the invitations, Europe/Oslo)", content_type = "text/calendar")))]
pub async fn my_calendar(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    let body = views::calendar_feed(&state, caller.id, caller.language).await?;
    let filename = caller.language.pick("webinarer.ics", "webinar.ics");
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .insert_header((header::CONTENT_LANGUAGE, caller.language.as_str()))
        .body(body))
}

#[utoipa::path(get, path = "/api/v1/me/certificate", tag = "webinars", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's certificate", body = Certificate),
        (status = 404, description = "The programme is not completed yet", body = Problem)))]
pub async fn my_certificate(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    let certificate = certificate::my_certificate(&state, caller.id, caller.language).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, caller.language.as_str()))
        .json(certificate))
}

#[utoipa::path(get, path = "/api/v1/me/certificate.pdf", tag = "webinars", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's diploma: one A4 page (PDF/A-2u, fonts embedded) in the caller's written form, with the verification code and a QR code of `verify_url`", content_type = "application/pdf"),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 404, description = "The programme is not completed yet", body = Problem),
        (status = 410, description = "`certificate_revoked`: the certificate is revoked and has no diploma", body = Problem)))]
pub async fn my_diploma(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    let (code, pdf) = diploma::my_diploma_pdf(&state, caller.id, caller.language).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"kursbevis-{code}.pdf\""),
        ))
        .insert_header((header::CONTENT_LANGUAGE, caller.language.as_str()))
        .body(pdf))
}

#[utoipa::path(get, path = "/api/v1/certificates/{code}", tag = "webinars",
    params(("code" = String, Path, description = "Verification code"),
        ("Accept-Language" = Option<String>, Header, description = "`nn` for the programme's name in nynorsk; bokmål otherwise")),
    responses(
        (status = 200, description = "`status` `valid`: the certificate is genuine, with name, programme and date, nothing more. `status` `revoked`: programme, date and the day it was revoked, without the name or the reason. `Content-Language` names the form", body = CertificateCheck),
        (status = 404, description = "No such certificate", body = Problem)))]
pub async fn verify_certificate(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    // The reader is unknown: bokmål, unless their `Accept-Language` asks for nynorsk.
    let language = Language::from_headers(req.headers());
    let check = certificate::verify(&state, &code, language).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, language.as_str()))
        .insert_header((header::VARY, "Accept-Language"))
        .json(check))
}

#[utoipa::path(get, path = "/api/v1/facilitator/series", tag = "facilitators", security(("bearer" = [])),
    responses(
        (status = 200, description = "Series the caller leads (all series for admins)", body = [FacilitatedSeries]),
        (status = 403, description = "Not a facilitator or admin", body = Problem)))]
pub async fn facilitator_series(
    state: web::Data<AppState>,
    caller: Require<roles::Facilitation>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(facilitation::my_series(&state, &caller.user).await?))
}

#[utoipa::path(get, path = "/api/v1/facilitator/series/{id}/participants", tag = "facilitators", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Series id")),
    responses(
        (status = 200, description = "Participants: name, municipality, note status, registration status, attendance", body = [Participant]),
        (status = 403, description = "Not a facilitator or admin", body = Problem),
        (status = 404, description = "No such series among the caller's", body = Problem)))]
pub async fn participants(
    state: web::Data<AppState>,
    caller: Require<roles::Facilitation>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(facilitation::participants(&state, &caller.user, *id).await?))
}

#[utoipa::path(get, path = "/api/v1/facilitator/series/{id}/participants/{user_id}/reflection-note", tag = "facilitators", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Series id"), ("user_id" = Uuid, Path, description = "Participant")),
    responses(
        (status = 200, description = "The submitted note (recorded in the mentor's access log)", body = ParticipantNote),
        (status = 403, description = "Not a facilitator or admin", body = Problem),
        (status = 404, description = "Not a participant of the caller's series, or no submitted note", body = Problem)))]
pub async fn participant_note(
    state: web::Data<AppState>,
    caller: Require<roles::Facilitation>,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (series, user) = path.into_inner();
    Ok(HttpResponse::Ok().json(facilitation::read_note(&state, &caller.user, series, user).await?))
}

#[utoipa::path(put, path = "/api/v1/facilitator/series/{id}/sessions/{n}/attendance", tag = "facilitators", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Series id"), ("n" = i32, Path, description = "Session number 1–3")),
    request_body = [AttendanceMark],
    responses(
        (status = 200, description = "Recorded (corrections allowed); the participants as they are now", body = [Participant]),
        (status = 403, description = "Not a facilitator or admin", body = Problem),
        (status = 404, description = "No such series among the caller's, or no such session", body = Problem),
        (status = 422, description = "Someone is not a confirmed participant", body = Problem)))]
pub async fn attendance(
    state: web::Data<AppState>,
    caller: Require<roles::Facilitation>,
    path: web::Path<(Uuid, i32)>,
    body: Json<Vec<AttendanceMark>>,
) -> AppResult<HttpResponse> {
    let (series, number) = path.into_inner();
    Ok(HttpResponse::Ok()
        .json(facilitation::record_attendance(&state, &caller.user, series, number, &body).await?))
}

#[utoipa::path(get, path = "/api/v1/admin/webinar-series", tag = "webinars", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every series (upcoming, running, finished and cancelled; the newest 200), the latest first session first, with seats, waitlist length and sessions with their links", body = [SeriesView]),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem)))]
pub async fn all_series(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(views::all_series(&state, &caller.user).await?))
}

#[utoipa::path(get, path = "/api/v1/admin/webinar-series/{id}", tag = "webinars", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Series id")),
    responses(
        (status = 200, description = "The series, whatever its state, with sessions and their links", body = SeriesView),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such series", body = Problem)))]
pub async fn one_series(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(views::one_series(&state, &caller.user, *id).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/webinar-series", tag = "webinars", security(("bearer" = [])),
    request_body = NewSeries,
    responses(
        (status = 201, description = "Created", body = SeriesView),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 422, description = "Invalid: three sessions in time order, not overlapping, in the future; a facilitator", body = Problem)))]
pub async fn create_series(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    body: Json<NewSeries>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(series::create_series(&state, &caller.user, &body).await?))
}

#[utoipa::path(patch, path = "/api/v1/admin/webinar-series/{id}", tag = "webinars", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Series id")),
    request_body = SeriesChange,
    responses(
        (status = 200, description = "Changed; changed sessions get a higher SEQUENCE and participants an updated invitation", body = SeriesView),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such series", body = Problem),
        (status = 409, description = "The series is cancelled", body = Problem),
        (status = 422, description = "Invalid change", body = Problem)))]
pub async fn update_series(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
    body: Json<SeriesChange>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(series::update_series(&state, &caller.user, *id, &body).await?))
}

#[utoipa::path(delete, path = "/api/v1/admin/webinar-series/{id}", tag = "webinars", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Series id")),
    responses(
        (status = 204, description = "Cancelled; participants get METHOD:CANCEL"),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such series", body = Problem)))]
pub async fn cancel_series(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    series::cancel_series(&state, &caller.user, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The media type of a JWT-secured verifiable credential (VC-JOSE-COSE).
const VC_JWT: &str = "application/vc+jwt";
/// The issuer's profile and keys change only with a rotation.
const ISSUER_CACHE: &str = "public, max-age=300";

#[utoipa::path(get, path = "/api/v1/me/certificate/credential", tag = "credentials", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's certificate as an Open Badges 3.0 credential (`OpenBadgeCredential`), a compact JWT signed with the issuer's current key (EdDSA; `kid` is `{PUBLIC_BASE_URL}/api/v1/issuer/jwks.json#<key id>`, `typ` JWT)", content_type = "application/vc+jwt", body = String),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 404, description = "The programme is not completed yet", body = Problem),
        (status = 410, description = "`certificate_revoked`: the certificate is revoked and has no credential", body = Problem)))]
pub async fn my_credential(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    let token = credential::my_credential(&state, caller.id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, VC_JWT))
        .body(token))
}

#[utoipa::path(get, path = "/api/v1/issuer", tag = "credentials",
    responses((status = 200, description = "The issuer's Open Badges 3.0 profile (`Profile`), the `issuer` of every credential", body = Object)))]
pub async fn issuer_profile(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, ISSUER_CACHE))
        .json(credential::issuer_profile(&state.config))
}

#[utoipa::path(get, path = "/api/v1/issuer/jwks.json", tag = "credentials",
    responses((status = 200, description = "The issuer's public keys (JWK Set of Ed25519 `OKP` keys, `kid` the URI credentials name them by, `alg` EdDSA, `use` sig): every configured key, the retired ones too, so older credentials still verify", body = Object, content_type = "application/jwk-set+json")))]
pub async fn issuer_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/jwk-set+json"))
        .insert_header((header::CACHE_CONTROL, ISSUER_CACHE))
        .body(
            state
                .config
                .issuer_keys
                .jwks(&state.config.issuer_jwks_url())
                .to_string(),
        )
}

#[utoipa::path(get, path = "/api/v1/issuer/status/{list}", tag = "credentials",
    params(("list" = String, Path, description = "The list's number, from 1 (a credential's `credentialStatus.statusListCredential` names it)")),
    responses(
        (status = 200, description = "The revocation list: a `BitstringStatusListCredential` (W3C Bitstring Status List v1.0, 131072 bits, a bit set for each revoked certificate), signed like the credentials, valid for 24 hours", content_type = "application/vc+jwt", body = String),
        (status = 404, description = "No such list", body = Problem)))]
pub async fn status_list(
    state: web::Data<AppState>,
    list: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = super::status_list::signed_list(&state, &list).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, VC_JWT))
        // A revocation should reach verifiers within a minute.
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(token))
}

#[utoipa::path(post, path = "/api/v1/admin/certificates/{code}/revoke", tag = "credentials", security(("bearer" = [])),
    params(("code" = String, Path, description = "Verification code")),
    request_body = Revocation,
    responses(
        (status = 200, description = "Revoked: its status bit is set and its check says so (programme and dates, no name)", body = CertificateCheck),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such certificate", body = Problem),
        (status = 409, description = "`already_revoked`", body = Problem),
        (status = 422, description = "`reason` is missing, blank or longer than 500 characters", body = Problem)))]
pub async fn revoke_certificate(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    code: web::Path<String>,
    body: Json<Revocation>,
) -> AppResult<HttpResponse> {
    let check = credential::revoke(&state, &code, body.0, &caller.user, caller.language).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, caller.language.as_str()))
        .json(check))
}
