//! mentorsti: the backend of a digital training programme for mentors in Norwegian municipal
//! health and care services. `Application::build` turns a configuration into a running server.

pub mod auth;
pub mod client;
pub mod clock;
pub mod config;
pub mod content;
pub mod db;
pub mod encryption;
pub mod error;
pub mod http;
pub mod language;
pub mod learning;
pub mod mail;
pub mod media;
pub mod orgs;
pub mod privacy;
pub mod reflection;
pub mod register;
pub mod telemetry;
#[doc(hidden)]
pub mod testing;
pub mod webinars;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::password::PasswordHasher;
use crate::auth::tokens::TokenKeys;
use crate::auth::IpLimiter;
use crate::config::Config;
use crate::db::cache::NotifiedCache;
use crate::db::DbPool;
use crate::error::{problem_response, AppError, FieldError};
use crate::mail::worker::Worker;
use crate::mail::Mailer;

/// What every request handler shares.
pub struct AppState {
    pub config: Arc<Config>,
    /// What time it is for every rule (tests move it; see `clock::OffsetClock`).
    pub clock: Arc<dyn clock::Clock>,
    pub pool: DbPool,
    pub tokens: TokenKeys,
    pub passwords: PasswordHasher,
    pub auth_limiter: IpLimiter,
    pub write_limiter: IpLimiter,
    pub account_limiter: auth::limits::AccountLimiter,
    /// Loaded course revisions (immutable, so never stale).
    pub revisions: content::store::RevisionCache,
    /// `GET /me` bodies by user id; trusted only while the change listener runs (`db::cache`).
    pub profiles: Arc<NotifiedCache<uuid::Uuid, web::Bytes>>,
    /// What each account's access tokens must match (session version, role, not erased).
    pub sessions: Arc<NotifiedCache<uuid::Uuid, auth::store::SessionState>>,
    /// Learning progress by user id, for reads; writes read the database under the user's lock.
    pub progress: Arc<NotifiedCache<uuid::Uuid, Arc<learning::rules::Progress>>>,
    /// The id of the published revision.
    pub published: Arc<NotifiedCache<(), uuid::Uuid>>,
    /// Who this instance stamped active lately (`users.last_active_at` is kept to the minute).
    pub activity: auth::activity::ActivityStamps,
    /// Webinar registrations under way; the rest queue in memory, holding no connection, since
    /// registrations for one series take turns on its row lock anyway.
    pub registrations: tokio::sync::Semaphore,
    /// The OpenID Connect providers people may sign in with, and what was discovered of them.
    pub oidc: auth::oidc::Providers,
}

impl AppState {
    pub fn new(config: Config, pool: DbPool) -> Self {
        Self::with_clock(config, pool, Arc::new(clock::SystemClock))
    }

    pub fn with_clock(config: Config, pool: DbPool, clock: Arc<dyn clock::Clock>) -> Self {
        Self {
            clock,
            tokens: TokenKeys::new(&config.jwt),
            passwords: PasswordHasher::new(config.password_hash_concurrency),
            auth_limiter: IpLimiter::per_minute(config.limits.auth_per_ip_per_minute),
            write_limiter: IpLimiter::per_minute(config.limits.writes_per_ip_per_minute),
            account_limiter: auth::limits::AccountLimiter::per_minute(
                config.limits.writes_per_account_per_minute,
            ),
            revisions: content::store::RevisionCache::default(),
            profiles: Arc::default(),
            sessions: Arc::default(),
            progress: Arc::default(),
            published: Arc::default(),
            activity: Default::default(),
            registrations: tokio::sync::Semaphore::new((config.database_pool_size / 2).max(1)),
            oidc: auth::oidc::Providers::new(&config),
            config: Arc::new(config),
            pool,
        }
    }

    /// Builds the pool after running pending migrations (under an advisory lock).
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        Self::connect_with_clock(config, Arc::new(clock::SystemClock)).await
    }

    pub async fn connect_with_clock(
        config: Config,
        clock: Arc<dyn clock::Clock>,
    ) -> anyhow::Result<Self> {
        let url = config
            .database_url()
            .context("the database URL must be resolved before connecting")?
            .to_owned();
        db::run_migrations(&url)
            .await
            .context("running migrations")?;
        let pool = db::build_pool(&url, config.database_pool_size)?;
        content::service::publish_bundled_if_empty(&pool, &config.content_dir).await?;
        Ok(Self::with_clock(config, pool, clock))
    }

    /// Forgets what this instance cached about a user it just changed (other instances hear of
    /// it from the database's notification).
    pub fn forget_user(&self, id: &uuid::Uuid) {
        self.profiles.forget(id);
        self.sessions.forget(id);
    }

    /// The caches the change listener keeps honest, each with its notification channel.
    pub fn cache_subscribers(&self) -> db::listen::Subscribers {
        db::listen::Subscribers::default()
            .add("user_changed", self.profiles.clone())
            .add("user_changed", self.sessions.clone())
            .add("progress_changed", self.progress.clone())
            .add("content_published", self.published.clone())
    }

    pub fn worker(&self) -> anyhow::Result<Worker> {
        Ok(Worker {
            pool: self.pool.clone(),
            mailer: Mailer::new(&self.config.mail)?,
            keys: self.config.encryption.clone(),
            retention: self.config.worker.mail_retention,
            poll_interval: self.config.worker.poll_interval,
            max_backoff: self.config.worker.max_backoff,
            clock: self.clock.clone(),
        })
    }
}

/// The running service: the HTTP server and, unless disabled, the outbox worker.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    shutdown: watch::Sender<bool>,
    background: Vec<JoinHandle<()>>,
}

impl Application {
    /// Migrates the database, binds `config.bind` (port 0 picks a free port) and starts serving.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(clock::SystemClock)).await
    }

    /// The same, on a clock of the caller's (tests move time with `clock::OffsetClock`).
    pub async fn build_with_clock(
        config: Config,
        clock: Arc<dyn clock::Clock>,
    ) -> anyhow::Result<Self> {
        let bind = config.bind;
        let run_worker = config.worker.enabled;
        let state = web::Data::new(AppState::connect_with_clock(config, clock).await?);
        // Texts written before encryption at rest (migration 000007) are sealed now, once.
        let sealed = encryption::reseal::run(
            &state.pool,
            &state.config.encryption,
            encryption::Reseal::SealPlaintext,
            encryption::reseal::DEFAULT_BATCH,
        )
        .await
        .map_err(|e| anyhow::anyhow!("sealing plaintext reflections: {e}"))?;
        if sealed.answers + sealed.notes > 0 {
            tracing::info!(
                answers = sealed.answers,
                notes = sealed.notes,
                "sealed reflection texts stored before encryption at rest"
            );
        }
        let listener =
            TcpListener::bind(bind).with_context(|| format!("could not listen on {bind}"))?;
        let port = listener.local_addr()?.port();

        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()),
                )
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    AppError::Validation(vec![FieldError::new("query", err.to_string())]).into()
                }))
                .app_data(web::PayloadConfig::new(http::json::JSON_LIMIT))
                .wrap(Compress::default())
                .wrap(cors(&app_state.config))
                .wrap(from_fn(http::middleware::request_context))
                .configure(routes)
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();

        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut background = Vec::new();
        if run_worker {
            background.push(tokio::spawn(state.worker()?.run(shutdown_rx.clone())));
        }
        if let Some(url) = state.config.database_url() {
            background.push(tokio::spawn(db::listen::run(
                url.to_owned(),
                state.cache_subscribers(),
                shutdown_rx.clone(),
            )));
        }
        background.push(tokio::spawn(forget_idle_limits(state.clone(), shutdown_rx)));
        tracing::info!(port, "listening");
        Ok(Self {
            port,
            server,
            state,
            shutdown,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle that stops the server gracefully (the same as SIGTERM).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM (or `server_handle().stop`), then lets the worker finish the
    /// mail it is sending.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        let _ = self.shutdown.send(true);
        for task in self.background {
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
        result
    }
}

async fn forget_idle_limits(state: web::Data<AppState>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {
                state.auth_limiter.forget_idle();
                state.write_limiter.forget_idle();
                state.account_limiter.forget_idle();
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Cross-origin requests only from configured origins (and the service's own).
fn cors(config: &Config) -> Cors {
    let own_origin = config.public_base_url.origin().ascii_serialization();
    let mut cors = Cors::default()
        .allowed_origin(&own_origin)
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::ACCEPT_LANGUAGE,
            http::idempotency::IDEMPOTENCY_KEY,
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            header::LOCATION,
            header::CONTENT_LANGUAGE,
            http::middleware::REQUEST_ID,
            http::idempotency::REPLAYED,
        ])
        .block_on_origin_mismatch(false)
        .max_age(3600);
    for origin in &config.cors_allowed_origins {
        cors = cors.allowed_origin(origin.trim_end_matches('/'));
    }
    cors
}

/// Every route of the API, each declared once with its document entry and its rules.
pub fn api() -> http::api::Api {
    let mut api = http::api::Api::default();
    http::health::routes(&mut api);
    auth::routes::routes(&mut api);
    auth::oidc::routes::routes(&mut api);
    learning::routes::routes(&mut api);
    reflection::routes::routes(&mut api);
    webinars::routes::routes(&mut api);
    content::routes::routes(&mut api);
    media::routes::routes(&mut api);
    orgs::routes::routes(&mut api);
    privacy::routes::routes(&mut api);
    api
}

/// Whether a request comes from a browser opening a page (not a script, an image or a program).
pub(crate) fn wants_html(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn routes(cfg: &mut web::ServiceConfig) {
    api().register(cfg);
    cfg.service(web::resource("/docs").route(web::get().to(|| async {
        HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, "/docs/"))
            .finish()
    })))
    .service(SwaggerUi::new("/docs/{_:.*}").url("/api/openapi.json", http::openapi::document()))
    .configure(client::configure)
    .default_service(web::to(|req: actix_web::HttpRequest| async move {
        // The client's own paths (links in emails, reloads) get the client; all else is 404.
        if req.method() == actix_web::http::Method::GET && client::is_screen(req.path()) {
            return client::index(req).await;
        }
        // A person who mistypes an address gets the client's own "not found" page in bokmål
        // (still a 404); programs, and anything under /api/ or /health/, get the problem JSON.
        if req.method() == actix_web::http::Method::GET
            && req.path() != "/api"
            && !req.path().starts_with("/api/")
            && !req.path().starts_with("/health/")
            && wants_html(&req)
        {
            let mut response = client::index(req).await;
            if response.status().is_success() {
                *response.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
            }
            return response;
        }
        problem_response(
            actix_web::http::StatusCode::NOT_FOUND,
            "not_found",
            "No such resource.",
        )
    }));
}
