//! `Idempotency-Key` on every POST and PUT a signed-in client may retry (the IETF draft
//! "The Idempotency-Key HTTP Header Field"): the first answer is kept for 24 hours per account
//! and key and given again to a repeat, so a write sent twice by a phone that lost its network
//! acts once. A repeat while the first is still running answers 409 `conflict`; the key sent
//! again with another request (method, path, query or body) answers 422 `validation_failed`.
//!
//! A route has this unless it is declared otherwise (`http::api::Rules`). A request is claimed
//! in the database before it runs (one statement, so two repeats arriving together cannot both
//! run), and its answer is stored, sealed like what mentors write, once it has one. What is kept:
//! 2xx and 4xx answers except those after which a retry may rightly act (401, 408, 409, 412,
//! 429); a 5xx or an error that escaped the handler releases the key. A claim whose request never
//! finished (the process stopped, the client went away) can be taken over by a repeat after
//! [`CLAIM_LIFETIME`].

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{Error, FromRequest, HttpMessage, HttpResponse};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Bytea, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::schema::idempotency_keys;
use crate::encryption::{row_aad, Keyring, StoredText};
use crate::error::AppError;
use crate::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Marks an answer given again to a repeat.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The longest key accepted.
const MAX_KEY_LENGTH: usize = 200;
/// How long an answer is kept for repeats.
pub const KEPT_FOR: Duration = Duration::hours(24);
/// How long a claimed request may run before a repeat may take it over: longer than any route
/// with the request deadline takes, and than a webinar registration may queue.
pub const CLAIM_LIFETIME: Duration = Duration::seconds(60);
/// The largest body read to fingerprint a request: the largest any route accepts (a CSV of
/// invitees); a larger one is refused as the route itself would.
const MAX_BODY: usize = 2 * 1024 * 1024;
/// The largest answer kept; a larger one (none today), or one streamed, is given once and not
/// kept.
const MAX_ANSWER: usize = 256 * 1024;
/// The answer's headers that a repeat gets again.
const KEPT_HEADERS: [HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::ETAG,
    header::LOCATION,
    header::CONTENT_LANGUAGE,
    header::VARY,
];

/// The request's key: visible ASCII (spaces inside allowed), 1 to 200 characters.
pub fn parse_key(value: &HeaderValue) -> Result<String, AppError> {
    let key = value
        .to_str()
        .ok()
        .filter(|key| key.bytes().all(|b| b == b' ' || b.is_ascii_graphic()))
        .ok_or_else(|| AppError::field("Idempotency-Key", "must be visible ASCII"))?
        .trim();
    if key.is_empty() || key.len() > MAX_KEY_LENGTH {
        return Err(AppError::field(
            "Idempotency-Key",
            "must be 1 to 200 characters",
        ));
    }
    Ok(key.to_owned())
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return pass(req, next).await;
    };
    let key = parse_key(value)?;
    // Keys are per account: without one, the route answers as it would (401 where it needs one).
    let Ok(user) = AuthUser::from_request(req.request(), &mut Payload::None).await else {
        return pass(req, next).await;
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    let body = read_body(&mut req).await?;
    let fingerprint = fingerprint(&req, &body);
    req.set_payload(Payload::from(body));

    let until = match claim(&state, user.id, &key, &fingerprint).await? {
        Claim::Run(until) => until,
        Claim::Replay(kept) => {
            let response = kept.into_response(&state.config.encryption, user.id, &key)?;
            return Ok(req.into_response(response));
        }
        Claim::Running => {
            let mut response = actix_web::ResponseError::error_response(&AppError::rule(
                StatusCode::CONFLICT,
                "conflict",
                "A request with this Idempotency-Key is still being processed; try again shortly.",
            ));
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return Ok(req.into_response(response));
        }
        Claim::OtherRequest => {
            return Err(AppError::field(
                "Idempotency-Key",
                "was already used for another request; use a new key for a new request",
            )
            .into())
        }
    };

    let claimed = Claimed {
        state: state.clone(),
        user_id: user.id,
        key,
        until,
    };
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(error) => {
            claimed.release().await;
            return Err(error);
        }
    };
    // Only a whole answer of known, bounded size is kept (every JSON answer is); any other goes
    // out as it is, and a repeat runs again.
    let bounded = matches!(res.response().body().size(), BodySize::Sized(n) if n <= MAX_ANSWER as u64)
        || matches!(res.response().body().size(), BodySize::None);
    if !is_kept(res.status()) || !bounded {
        claimed.release().await;
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (res, answer) = res.into_parts();
    let bytes = match body::to_bytes(answer).await {
        Ok(bytes) => bytes,
        Err(error) => {
            claimed.release().await;
            return Err(error.into());
        }
    };
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            if let Err(error) = claimed
                .keep(res.status(), kept_headers(res.headers()), text)
                .await
            {
                // The request has acted; its answer still goes out, but a repeat would act again.
                tracing::error!(error = %error, "could not keep the answer for its idempotency key");
                claimed.release().await;
            }
        }
        Err(_) => claimed.release().await,
    }
    Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes))))
}

async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// Answers after which a retry may rightly act are not kept.
fn is_kept(status: StatusCode) -> bool {
    (status.is_success() || status.is_client_error())
        && !matches!(status.as_u16(), 401 | 408 | 409 | 412 | 429)
}

async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::field("body", "could not be read"))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// What makes two requests the same one: method, path with query, and body.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update([0]);
    hash.update(
        req.uri()
            .path_and_query()
            .map_or(req.path(), |p| p.as_str()),
    );
    hash.update([0]);
    hash.update(body);
    hash.finalize().to_vec()
}

fn kept_headers(headers: &header::HeaderMap) -> Value {
    let kept: Map<String, Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), Value::String(value.to_owned())))
        })
        .collect();
    Value::Object(kept)
}

fn answer_aad(user_id: Uuid, key: &str) -> Vec<u8> {
    row_aad("idempotent-answer", &[user_id.as_bytes(), key.as_bytes()])
}

/// This request's claim on its key, named by the moment it lapses: a claim taken over after it
/// lapsed is another one, which this request's answer or release no longer touches.
struct Claimed {
    state: web::Data<AppState>,
    user_id: Uuid,
    key: String,
    until: DateTime<Utc>,
}

/// The row of a claim still unanswered, as this request holds it.
type ClaimedRow<'a> = dsl::Filter<
    dsl::Filter<
        dsl::Find<idempotency_keys::table, (Uuid, &'a str)>,
        dsl::IsNull<idempotency_keys::status_code>,
    >,
    dsl::Eq<idempotency_keys::locked_until, DateTime<Utc>>,
>;

impl Claimed {
    fn row(&self) -> ClaimedRow<'_> {
        idempotency_keys::table
            .find((self.user_id, self.key.as_str()))
            .filter(idempotency_keys::status_code.is_null())
            .filter(idempotency_keys::locked_until.eq(self.until))
    }

    /// Keeps the answer, sealed, for repeats.
    async fn keep(&self, status: StatusCode, headers: Value, body: &str) -> Result<(), AppError> {
        let sealed = self
            .state
            .config
            .encryption
            .seal(body, &answer_aad(self.user_id, &self.key));
        let mut conn = self.state.pool.get().await?;
        diesel::update(self.row())
            .set((
                idempotency_keys::status_code.eq(Some(i32::from(status.as_u16()))),
                idempotency_keys::headers.eq(headers),
                idempotency_keys::body_ciphertext.eq(Some(sealed.ciphertext)),
                idempotency_keys::key_id.eq(Some(sealed.key_id)),
            ))
            .execute(&mut conn)
            .await?;
        Ok(())
    }

    /// Gives the key back when the request did not end with an answer worth keeping.
    async fn release(&self) {
        let result = async {
            let mut conn = self.state.pool.get().await?;
            diesel::delete(self.row()).execute(&mut conn).await?;
            Ok::<_, AppError>(())
        }
        .await;
        if let Err(error) = result {
            // The claim then lapses by itself after CLAIM_LIFETIME.
            tracing::warn!(error = %error, "could not release an idempotency key");
        }
    }
}

enum Claim {
    /// The request is new (or its earlier claim lapsed): run it, under a claim that lapses then.
    Run(DateTime<Utc>),
    /// The first request's answer.
    Replay(Kept),
    /// The first request is still running.
    Running,
    /// The key was used for another request.
    OtherRequest,
}

#[derive(Queryable)]
struct KeyRow {
    fingerprint: Vec<u8>,
    status_code: Option<i32>,
    headers: Value,
    body_ciphertext: Option<Vec<u8>>,
    key_id: Option<String>,
}

struct Kept {
    status: i32,
    headers: Value,
    body: StoredText,
}

impl Kept {
    fn into_response(
        self,
        keys: &Keyring,
        user_id: Uuid,
        key: &str,
    ) -> Result<HttpResponse, AppError> {
        let body = self.body.open(keys, &answer_aad(user_id, key))?;
        let status = u16::try_from(self.status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| AppError::internal("a kept answer has no valid status"))?;
        let mut response = HttpResponse::build(status);
        if let Value::Object(headers) = self.headers {
            for (name, value) in headers {
                if let (Ok(name), Some(Ok(value))) = (
                    HeaderName::try_from(name),
                    value.as_str().map(HeaderValue::from_str),
                ) {
                    response.insert_header((name, value));
                }
            }
        }
        response.insert_header((REPLAYED, HeaderValue::from_static("true")));
        Ok(response.body(body))
    }
}

#[derive(QueryableByName)]
struct ClaimRow {
    #[diesel(sql_type = Bool)]
    #[allow(dead_code)]
    claimed: bool,
}

async fn claim(
    state: &AppState,
    user_id: Uuid,
    key: &str,
    fingerprint: &[u8],
) -> Result<Claim, AppError> {
    let mut conn = state.pool.get().await?;
    // Microseconds, as the database keeps them, so the claim can be named by its end.
    let now = state.clock.now().trunc_subsecs(6);
    // The row may be released between the two statements: then claim again.
    for _ in 0..3 {
        if try_claim(&mut conn, user_id, key, fingerprint, now).await? {
            return Ok(Claim::Run(now + CLAIM_LIFETIME));
        }
        let row: Option<KeyRow> = idempotency_keys::table
            .find((user_id, key))
            .select((
                idempotency_keys::fingerprint,
                idempotency_keys::status_code,
                idempotency_keys::headers,
                idempotency_keys::body_ciphertext,
                idempotency_keys::key_id,
            ))
            .first(&mut conn)
            .await
            .optional()?;
        let Some(row) = row else { continue };
        if row.fingerprint != fingerprint {
            return Ok(Claim::OtherRequest);
        }
        let Some(status) = row.status_code else {
            return Ok(Claim::Running);
        };
        return Ok(Claim::Replay(Kept {
            status,
            headers: row.headers,
            body: StoredText {
                plaintext: None,
                ciphertext: row.body_ciphertext,
                key_id: row.key_id,
            },
        }));
    }
    Ok(Claim::Running)
}

/// Claims the key for this request: a new row, or one whose answer is older than
/// [`KEPT_FOR`], or the same request's claim that lapsed.
async fn try_claim(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    key: &str,
    fingerprint: &[u8],
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let claimed: Vec<ClaimRow> = diesel::sql_query(
        "INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, created_at, locked_until) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, \
             created_at = EXCLUDED.created_at, locked_until = EXCLUDED.locked_until, \
             status_code = NULL, headers = '{}', body_ciphertext = NULL, key_id = NULL \
         WHERE k.created_at < $6 \
            OR (k.status_code IS NULL AND k.locked_until < $4 AND k.fingerprint = EXCLUDED.fingerprint) \
         RETURNING true AS claimed",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Text, _>(key)
    .bind::<Bytea, _>(fingerprint)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(now + CLAIM_LIFETIME)
    .bind::<Timestamptz, _>(now - KEPT_FOR)
    .load(conn)
    .await?;
    Ok(!claimed.is_empty())
}

/// Housekeeping: answers older than [`KEPT_FOR`] are no longer given again.
pub async fn purge_old(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    Ok(diesel::delete(
        idempotency_keys::table.filter(idempotency_keys::created_at.lt(now - KEPT_FOR)),
    )
    .execute(conn)
    .await?)
}

/// After a key rotation (or before decrypting everything), kept answers sealed with another key
/// than `keys`' current one are dropped rather than re-sealed: they live a day at most, and a
/// repeat of one then runs again, which the routes' own rules make safe.
pub async fn drop_sealed_with_other_keys(
    conn: &mut AsyncPgConnection,
    keys: &Keyring,
    all: bool,
) -> Result<usize, AppError> {
    let rows = idempotency_keys::table.filter(idempotency_keys::key_id.is_not_null());
    Ok(if all {
        diesel::delete(rows).execute(conn).await?
    } else {
        diesel::delete(rows.filter(idempotency_keys::key_id.ne(keys.current_id().to_owned())))
            .execute(conn)
            .await?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert_eq!(
            parse_key(&HeaderValue::from_static(" abc-1 ")).unwrap(),
            "abc-1"
        );
        assert_eq!(parse_key(&HeaderValue::from_static("a b")).unwrap(), "a b");
        assert!(parse_key(&HeaderValue::from_static("   ")).is_err());
        let long = "k".repeat(201);
        assert!(parse_key(&HeaderValue::from_str(&long).unwrap()).is_err());
        assert!(parse_key(&HeaderValue::from_bytes(b"\xc3\xa6").unwrap()).is_err());
        assert!(parse_key(&HeaderValue::from_bytes(b"a\tb").unwrap()).is_err());
    }

    #[test]
    fn answers_after_which_a_retry_may_act_are_not_kept() {
        for kept in [200, 201, 204, 400, 403, 404, 410, 413, 422] {
            assert!(is_kept(StatusCode::from_u16(kept).unwrap()), "{kept}");
        }
        for not in [401, 408, 409, 412, 429, 500, 503] {
            assert!(!is_kept(StatusCode::from_u16(not).unwrap()), "{not}");
        }
    }
}
