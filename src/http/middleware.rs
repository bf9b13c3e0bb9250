//! Per-request context: a request id (echoed as `x-request-id`), a tracing span with the outcome,
//! security headers, and problem JSON for every error answer, including actix's own.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use tracing::Instrument;
use uuid::Uuid;

use crate::error::{problem_response, PROBLEM_CONTENT_TYPE};
use crate::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The longest an API request may take before it answers 503. PostgreSQL's own
/// `statement_timeout` cannot fire when the server has stopped answering altogether (a hung host,
/// a network that drops packets), and a query on an open connection would then wait for as long
/// as that lasts; this bounds it. A transaction cut short leaves its connection marked broken, so
/// the pool discards it.
pub const REQUEST_DEADLINE: Duration = Duration::from_millis(4500);

/// The request id of the current request, for handlers that log or store it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_safe_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.config.is_https());
    let path = req.path().to_owned();
    let method = req.method().clone();
    // Events inside the request carry its id; the method and path are in its access line.
    let span = tracing::info_span!("request", request_id = request_id.as_str());

    let result = next.call(req).instrument(span.clone()).await;
    let mut res = match result {
        Ok(res) => res.map_into_boxed_body(),
        Err(error) => {
            // An error that escaped the chain (the deadline's 503): its answer, with the CORS
            // headers its response mappers add, gets the request id and security headers too.
            let mut response = span.in_scope(|| error.error_response());
            add_headers(response.headers_mut(), &request_id, https, &path);
            log_outcome(
                &span,
                response.status(),
                started,
                &Access {
                    method: method.as_str(),
                    path: &path,
                    request_id: &request_id,
                },
            );
            return Err(actix_web::error::InternalError::from_response(error, response).into());
        }
    };

    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_CONTENT_TYPE.as_bytes()));
    // The client's page for a mistyped address is a 404 meant for a person: it stays HTML.
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if (status.is_client_error() || status.is_server_error()) && !is_problem && !is_page {
        let (code, detail) = match status.as_u16() {
            404 => ("not_found", "No such resource."),
            405 => (
                "method_not_allowed",
                "This resource does not support that method.",
            ),
            413 => ("payload_too_large", "The request body is too large."),
            415 => (
                "unsupported_media_type",
                "This content type is not supported here.",
            ),
            400 => ("bad_request", "The request could not be understood."),
            _ if status.is_server_error() => ("internal_error", "An unexpected error occurred."),
            _ => ("error", "The request could not be served."),
        };
        let allow = res.headers().get(header::ALLOW).cloned();
        let mut replacement = problem_response(status, code, detail);
        if let Some(allow) = allow {
            replacement.headers_mut().insert(header::ALLOW, allow);
        }
        res = res.into_response(replacement);
    }

    add_headers(res.headers_mut(), &request_id, https, &path);

    log_outcome(
        &span,
        status,
        started,
        &Access {
            method: method.as_str(),
            path: &path,
            request_id: &request_id,
        },
    );
    Ok(res)
}

fn log_outcome(
    span: &tracing::Span,
    status: actix_web::http::StatusCode,
    started: Instant,
    access: &Access<'_>,
) {
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let wanted = if status.is_server_error() {
        tracing::enabled!(tracing::Level::ERROR)
    } else {
        tracing::enabled!(tracing::Level::INFO)
    };
    if wanted
        && crate::telemetry::access_line(
            access.method,
            access.path,
            access.request_id,
            status.as_u16(),
            latency_ms,
        )
    {
        return;
    }
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), latency_ms, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), latency_ms, "request");
        }
    });
}

/// What the access log says of a request besides its outcome.
struct Access<'a> {
    method: &'a str,
    path: &'a str,
    request_id: &'a str,
}

/// Ends a request that outlives [`REQUEST_DEADLINE`] with 503 `service_unavailable`. A route
/// has it unless it is declared otherwise (`http::api::Rules`): requests that wait in an
/// in-memory queue on purpose (password hashing, webinar registration) or carry large uploads
/// do not. The deadline covers the time until the handler has its answer, not the sending of its
/// body: a film streamed from `/api/v1/media/` may take minutes to download on a phone (each
/// chunk it reads has a deadline of its own, `media::routes`). As a route's middleware it runs
/// inside CORS and [`request_context`], so the answer gets their headers like any other.
pub async fn deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match tokio::time::timeout(REQUEST_DEADLINE, next.call(req)).await {
        Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            tracing::warn!(
                limit_ms = REQUEST_DEADLINE.as_millis() as u64,
                "request deadline passed"
            );
            Err(crate::error::AppError::Unavailable("request deadline passed".into()).into())
        }
    }
}

/// The per-address budget of the sign-in endpoints (`AUTH_RATE_LIMIT_PER_MINUTE`), spent before
/// the body is read; a route declares it with `http::api::Rules::SIGN_IN`.
pub async fn sign_in_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| crate::error::AppError::internal("application state missing"))?;
    let ip = crate::auth::client_ip(req.request(), state.config.trust_forwarded_for);
    state.auth_limiter.check(ip)?;
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// The request id and the security headers every answer carries.
fn add_headers(headers: &mut HeaderMap, request_id: &str, https: bool, path: &str) {
    headers.insert(
        REQUEST_ID,
        HeaderValue::from_str(request_id).expect("checked id"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if path.starts_with("/docs") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        );
    } else if path == "/api" || path.starts_with("/api/") || path.starts_with("/health/") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        );
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

fn is_safe_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
