//! HTTP for course content: admin import and publishing, the literature list and subtitles.

use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::service::{self, ImportError, Imported};
use super::source::{self, SourceTree, Spool};
use super::store::RevisionSummary;
use super::{ContentProblem, Literature};
use crate::auth::roles;
use crate::auth::Require;
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::{Api, Rules};
use crate::language::Language;
use crate::AppState;

/// Content archives may be this large (films included); other bodies keep their own limits.
pub const IMPORT_LIMIT: u64 = 64 * 1024 * 1024;

pub fn routes(api: &mut Api) {
    api.route(__path_list_revisions, list_revisions);
    api.route(__path_publish, publish);
    api.route(__path_literature, literature);
    api.route(__path_subtitles, subtitles);
    api.with(Rules::UPLOAD, |api| {
        api.route(__path_import, import);
    });
}

fn invalid(problems: Vec<ContentProblem>) -> AppError {
    AppError::rule(
        StatusCode::UNPROCESSABLE_ENTITY,
        "content_invalid",
        format!(
            "The content has {} problem(s); nothing was imported.",
            problems.len()
        ),
    )
    .with(
        "problems",
        serde_json::to_value(problems).unwrap_or_default(),
    )
}

crate::text_enum! {
    /// Where an import reads the content tree from when no archive is uploaded.
    pub enum ImportSource {
        /// The server's own content directory.
        Server = "server",
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `server`: import the server's own content directory instead of an uploaded archive.
    #[param(inline, example = "server")]
    pub source: Option<ImportSource>,
}

#[utoipa::path(post, path = "/api/v1/admin/content/import", tag = "content", security(("bearer" = [])),
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/gzip", description = "A tar.gz of a content tree (course.toml, modules/, literature/, subtitles/, films/); empty with ?source=server. Bundled films are checked with ffprobe: on a server without it (Debian package ffmpeg) they are a problem"),
    responses(
        (status = 201, description = "Stored as a draft revision, with `warnings` that do not block publishing", body = Imported),
        (status = 403, description = "Not an administrator", body = Problem),
        (status = 413, description = "Archive larger than 64 MiB", body = Problem),
        (status = 422, description = "`content_invalid`: every problem listed in `problems` [{file, line, message}]", body = Problem)))]
pub async fn import(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (tree, origin) = match query.source {
        Some(ImportSource::Server) => {
            let dir = state.config.content_dir.clone();
            let tree = tokio::task::spawn_blocking(move || source::from_dir(&dir))
                .await
                .map_err(AppError::internal)?
                .map_err(invalid)?;
            (tree, "server")
        }
        None => {
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if ![
                "application/gzip",
                "application/x-gzip",
                "application/x-tar+gzip",
                "application/octet-stream",
            ]
            .iter()
            .any(|t| content_type.starts_with(t))
            {
                return Err(AppError::UnsupportedMediaType(
                    "Send the content tree as application/gzip (a tar.gz).".into(),
                ));
            }
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|length| length > IMPORT_LIMIT) {
                return Err(AppError::PayloadTooLarge);
            }
            (unpack_upload(payload).await?, "upload")
        }
    };
    match service::import_revision(&state, tree, origin, caller.id).await {
        Ok(imported) => Ok(HttpResponse::Created().json(imported)),
        Err(ImportError::Invalid(problems)) => Err(invalid(problems)),
        Err(ImportError::Failed(error)) => Err(error),
    }
}

/// Writes the upload to a spool file (it may hold films: never whole in memory), then unpacks it
/// on a blocking thread.
async fn unpack_upload(mut payload: web::Payload) -> AppResult<SourceTree> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let spool = Spool::new().map_err(AppError::internal)?;
    let path = spool.file();
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(AppError::internal)?;
    let mut received = 0u64;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => AppError::PayloadTooLarge,
            _ => AppError::field("body", "The request body could not be read."),
        })?;
        received += chunk.len() as u64;
        if received > IMPORT_LIMIT {
            return Err(AppError::PayloadTooLarge);
        }
        file.write_all(&chunk).await.map_err(AppError::internal)?;
    }
    file.flush().await.map_err(AppError::internal)?;
    drop(file);
    tokio::task::spawn_blocking(move || {
        let archive = std::fs::File::open(&path).map_err(AppError::internal)?;
        let tree = source::from_tar_gz(std::io::BufReader::new(archive)).map_err(invalid);
        // The archive itself is not needed once unpacked; its films live in their own spool.
        drop(spool);
        tree
    })
    .await
    .map_err(AppError::internal)?
}

#[utoipa::path(get, path = "/api/v1/admin/content/revisions", tag = "content", security(("bearer" = [])),
    responses(
        (status = 200, description = "The newest 100 revisions, newest first", body = [RevisionSummary]),
        (status = 403, description = "Not an administrator", body = Problem)))]
pub async fn list_revisions(
    state: web::Data<AppState>,
    _caller: Require<roles::Admin>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::revisions(&state).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/content/revisions/{id}/publish", tag = "content", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Revision id")),
    responses(
        (status = 200, description = "Now the revision readers see", body = RevisionSummary),
        (status = 403, description = "Not an administrator", body = Problem),
        (status = 404, description = "No such revision", body = Problem)))]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::publish(&state, *id, caller.id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LiteratureQuery {
    /// Read in this written form instead of the caller's own.
    pub language: Option<Language>,
}

#[utoipa::path(get, path = "/api/v1/literature", tag = "learning", security(("bearer" = [])),
    params(LiteratureQuery),
    responses(
        (status = 200, description = "Recommended literature: always open, outside the path; in the caller's written form, named by `Content-Language`", body = Literature),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn literature(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    query: web::Query<LiteratureQuery>,
) -> AppResult<HttpResponse> {
    let language = query.language.unwrap_or(caller.language);
    let revision = crate::learning::current_revision(&state, language).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_LANGUAGE, revision.language.as_str()))
        .insert_header((header::VARY, "Authorization"))
        .json(&revision.literature))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubtitleQuery {
    /// The written form (`nn` for nynorsk; bokmål when left out or when the course has no such
    /// variant). A film block's `subtitles_url` names the form of its page.
    pub language: Option<Language>,
}

#[utoipa::path(get, path = "/api/v1/subtitles/{name}", tag = "learning",
    params(("name" = String, Path, description = "Subtitle file, e.g. veiledningssamtalen.vtt"), SubtitleQuery),
    responses(
        (status = 200, description = "Norwegian WebVTT subtitles of a film (public, so <track> elements can load them), with `Content-Language`", content_type = "text/vtt"),
        (status = 404, description = "No such file in the published course", body = Problem)))]
pub async fn subtitles(
    state: web::Data<AppState>,
    name: web::Path<String>,
    query: web::Query<SubtitleQuery>,
) -> AppResult<HttpResponse> {
    let language = query.language.unwrap_or_default();
    let revision = crate::learning::current_revision(&state, language).await?;
    let body = revision
        .subtitles
        .get(name.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType(mime_vtt()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::CONTENT_LANGUAGE, revision.language.as_str()))
        .body(body.clone()))
}

fn mime_vtt() -> actix_web::mime::Mime {
    "text/vtt; charset=utf-8".parse().expect("valid mime")
}
