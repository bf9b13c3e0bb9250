//! HTTP for stored films and posters: public (a `<video>` element cannot send a bearer token),
//! immutable, with single byte ranges so a player can seek without fetching the whole film.
//! The body streams a chunk at a time from PostgreSQL, taking a pooled connection for each chunk
//! only, so a slow phone holds no connection while it downloads.

use actix_web::body::SizedStream;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream::{self, Stream, StreamExt};

use super::range::{self, RangeAnswer};
use super::service::{find, read_range};
use super::store::StoredMedia;
use crate::db::DbPool;
use crate::error::{problem_response, AppError, AppResult, Problem};
use crate::http::api::Api;
use crate::http::middleware::REQUEST_DEADLINE;
use crate::AppState;

pub const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

pub fn routes(api: &mut Api) {
    api.route(__path_get_media, get_media);
    api.route(__path_head_media, head_media);
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

#[utoipa::path(get, path = "/api/v1/media/{file}", tag = "learning",
    params(
        ("file" = String, Path, description = "`<sha256>.<extension>` as given in a film block's `src` or `poster_url` (webm, mp4, jpg, png, webp)"),
        ("Range" = Option<String>, Header, description = "One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`"),
        ("If-Range" = Option<String>, Header, description = "The ETag the client's partial copy has; another value gets the whole file"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier read")),
    responses(
        (status = 200, description = "The whole file; `ETag` (the digest), `Accept-Ranges: bytes`, `Cache-Control: public, max-age=31536000, immutable`. Public: no token needed",
            content(("video/webm"), ("video/mp4"), ("image/jpeg"), ("image/png"), ("image/webp"))),
        (status = 206, description = "The requested range, with `Content-Range: bytes a-b/size`",
            content(("video/webm"), ("video/mp4"), ("image/jpeg"), ("image/png"), ("image/webp"))),
        (status = 304, description = "Not modified: the ETag matches"),
        (status = 404, description = "No stored file with this digest and extension", body = Problem),
        (status = 416, description = "`range_not_satisfiable`: the range is malformed or outside the file; `Content-Range: bytes */size`", body = Problem)))]
pub async fn get_media(
    state: web::Data<AppState>,
    file: web::Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (media, etag) = match lookup(&state, &file, &req).await? {
        Lookup::Found(media, etag) => (media, etag),
        Lookup::NotModified(response) => return Ok(response),
    };
    let answer = range::decide(
        header_str(&req, header::RANGE),
        header_str(&req, header::IF_RANGE),
        &etag,
        media.size,
    );
    let (status, start, end) = match answer {
        RangeAnswer::Full => (StatusCode::OK, 0, media.size - 1),
        RangeAnswer::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeAnswer::Unsatisfiable => {
            let mut response = problem_response(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "The requested range is malformed or lies outside the file.",
            );
            let value = HeaderValue::from_str(&format!("bytes */{}", media.size))
                .map_err(AppError::internal)?;
            response.headers_mut().insert(header::CONTENT_RANGE, value);
            return Ok(response);
        }
    };
    // The first chunk is read before answering, within the request deadline, so a database
    // that cannot answer gives a 503 rather than a film cut off at its first byte.
    let first = read_range(&state.pool, &media, start, end).await?;
    let mut response = HttpResponse::build(status);
    headers(&mut response, &media, &etag);
    if status == StatusCode::PARTIAL_CONTENT {
        response.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {start}-{end}/{}", media.size),
        ));
    }
    let length = end - start + 1;
    let next = start + first.len() as u64;
    let rest = body(state.pool.clone(), media, next, end);
    let body = stream::once(async move { Ok::<_, AppError>(web::Bytes::from(first)) }).chain(rest);
    Ok(response.body(SizedStream::new(length, body)))
}

#[utoipa::path(head, path = "/api/v1/media/{file}", tag = "learning",
    params(
        ("file" = String, Path, description = "`<sha256>.<extension>`"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier read")),
    responses(
        (status = 200, description = "The headers of the whole file, `Content-Length` its size"),
        (status = 304, description = "Not modified: the ETag matches"),
        (status = 404, description = "No stored file with this digest and extension")))]
pub async fn head_media(
    state: web::Data<AppState>,
    file: web::Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (media, etag) = match lookup(&state, &file, &req).await? {
        Lookup::Found(media, etag) => (media, etag),
        Lookup::NotModified(response) => return Ok(response),
    };
    let mut response = HttpResponse::Ok();
    headers(&mut response, &media, &etag);
    // The size without the bytes: actix sends the length of a sized body and skips it for HEAD.
    let nothing = stream::empty::<Result<web::Bytes, AppError>>();
    Ok(response.body(SizedStream::new(media.size, nothing)))
}

/// A stored file with its ETag, or the 304 that answers a request which has it already.
enum Lookup {
    Found(StoredMedia, String),
    NotModified(HttpResponse),
}

async fn lookup(state: &AppState, file: &str, req: &HttpRequest) -> AppResult<Lookup> {
    let media = find(state, file).await?;
    let etag = format!("\"{}\"", media.sha256);
    Ok(match not_modified(req, &media, &etag) {
        Some(response) => Lookup::NotModified(response),
        None => Lookup::Found(media, etag),
    })
}

fn not_modified(req: &HttpRequest, media: &StoredMedia, etag: &str) -> Option<HttpResponse> {
    let matches = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .any(|v| range::none_match(v, etag));
    matches.then(|| {
        let mut response = HttpResponse::NotModified();
        headers(&mut response, media, etag);
        response.finish()
    })
}

fn headers(response: &mut actix_web::HttpResponseBuilder, media: &StoredMedia, etag: &str) {
    response
        .content_type(media.kind.content_type())
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, CACHE_FOREVER))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
}

/// The rest of a body, read a chunk at a time as the client takes it. Each read has the request
/// deadline of its own; the download as a whole has none (a film on a slow phone network takes
/// minutes).
fn body(
    pool: DbPool,
    media: StoredMedia,
    from: u64,
    end: u64,
) -> impl Stream<Item = Result<web::Bytes, AppError>> {
    stream::unfold(from, move |next| {
        let (pool, media) = (pool.clone(), media.clone());
        async move {
            if next > end {
                return None;
            }
            let read = tokio::time::timeout(REQUEST_DEADLINE, read_range(&pool, &media, next, end));
            let item = match read.await {
                Ok(Ok(bytes)) => Ok(bytes),
                Ok(Err(error)) => Err(error),
                Err(_) => Err(AppError::Unavailable(
                    "reading a media chunk timed out".into(),
                )),
            };
            match item {
                Ok(bytes) => {
                    let after = next + bytes.len() as u64;
                    Some((Ok(web::Bytes::from(bytes)), after))
                }
                Err(error) => {
                    tracing::warn!(media = %media.sha256, %error, "a media download broke off");
                    // Ends the body early; the client sees a short answer and asks for the rest.
                    Some((Err(error), end + 1))
                }
            }
        }
    })
}
