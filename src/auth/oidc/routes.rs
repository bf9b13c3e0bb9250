//! HTTP for signing in through a provider (`/auth/oidc/*`) and the caller's linked providers
//! (`/me/identities`). The browser that starts a flow carries an HttpOnly cookie the callback and
//! the exchange must bring back, so a flow (or its code) cannot be finished in another browser.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::flow::{self, Callback, Finished, SignInMethods, Start};
use crate::auth::service::TokenPair;
use crate::auth::tokens::new_opaque_token;
use crate::auth::{roles, Require};
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::{Api, Rules};
use crate::http::fields::{ClientPath, MunicipalityNumber, OpaqueToken};
use crate::http::json::Json;
use crate::language::Language;
use crate::AppState;

/// The cookie tying a flow to the browser that started it.
pub const BROWSER_COOKIE: &str = "mentorsti_oidc";
/// The callback, the exchange and the start of linking from the profile all see it.
const COOKIE_PATH: &str = "/api/v1";

pub fn routes(api: &mut Api) {
    api.with(Rules::SIGN_IN, |api| {
        api.route(__path_providers, providers)
            .route(__path_start, start)
            .route(__path_callback, callback)
            .route(__path_exchange, exchange);
    })
    .route(__path_identities, identities)
    .with(
        Rules {
            idempotent: false,
            ..Rules::STANDARD
        },
        |api| {
            api.route(__path_link_start, link_start);
        },
    )
    .route(__path_unlink, unlink);
}

/// A provider people may sign in with.
#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    /// The name in the paths, e.g. `idporten`.
    pub name: String,
    /// What its button says after "Logg inn med".
    pub label: String,
}

#[utoipa::path(get, path = "/api/v1/auth/oidc/providers", tag = "auth",
    responses((status = 200, description = "The configured sign-in providers, in order (none when none is configured)", body = Vec<ProviderView>)))]
pub async fn providers(state: web::Data<AppState>) -> HttpResponse {
    let list: Vec<ProviderView> = state
        .oidc
        .all()
        .iter()
        .map(|p| ProviderView {
            name: p.name.clone(),
            label: p.label.clone(),
        })
        .collect();
    HttpResponse::Ok().json(list)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StartQuery {
    /// Where in the client to go once signed in (default `/`).
    #[param(inline)]
    pub next: Option<ClientPath>,
    /// An invitation link's token: the account is made from the invitation.
    #[param(inline)]
    pub invitation: Option<OpaqueToken>,
    /// Signing up into this enrolled municipality (the provider must vouch for an email).
    #[param(inline)]
    pub municipality: Option<MunicipalityNumber>,
}

#[utoipa::path(get, path = "/api/v1/auth/oidc/{provider}/start", tag = "auth",
    params(("provider" = String, Path, description = "A configured provider's name"), StartQuery),
    responses(
        (status = 302, description = "To the provider's sign-in, with `state`, `nonce` and a PKCE challenge; sets the HttpOnly `mentorsti_oidc` cookie the callback needs. A browser (`Accept: text/html`) is sent to `/sign-in/complete?error=<code>` on any refusal below instead of getting the problem"),
        (status = 403, description = "`cross_site_start`: a start that makes an account (`invitation`, `municipality`) opened from another site's page (`Sec-Fetch-Site`)", body = Problem),
        (status = 404, description = "`provider_not_found`, or `invitation_not_found`", body = Problem),
        (status = 410, description = "`invitation_used`, `invitation_withdrawn`, `invitation_replaced` or `invitation_expired`", body = Problem),
        (status = 422, description = "A `next` that is not a path of the client, a malformed token, or a municipality not enrolled", body = Problem),
        (status = 429, description = "Too many attempts from this address", body = Problem),
        (status = 503, description = "`provider_unavailable`: the provider's discovery document could not be read", body = Problem)))]
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: web::Path<String>,
    query: web::Query<StartQuery>,
) -> AppResult<HttpResponse> {
    let browser = browser_cookie(&req).unwrap_or_else(|| new_opaque_token().plain);
    let asked = Start {
        next: query.next.as_deref().unwrap_or("/"),
        invitation: query.invitation.as_deref(),
        municipality: query.municipality.as_deref(),
        link_user: None,
        browser: &browser,
    };
    let makes_an_account = asked.invitation.is_some() || asked.municipality.is_some();
    let started = if makes_an_account && from_another_site(&req) {
        Err(AppError::rule(
            actix_web::http::StatusCode::FORBIDDEN,
            "cross_site_start",
            "Creating an account through a provider starts from this service's own pages.",
        ))
    } else {
        flow::start(&state, &provider, asked).await
    };
    match started {
        Ok(url) => Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::SET_COOKIE, set_cookie(&state, &browser)))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()),
        Err(e) => {
            refused(&provider, &e);
            to_complete_screen(&state, &req, e)
        }
    }
}

/// A browser opening a page gets a refusal as the client's screen for it
/// (`/sign-in/complete?error=<code>`); anything else gets the problem.
fn to_complete_screen(
    state: &AppState,
    req: &HttpRequest,
    error: AppError,
) -> AppResult<HttpResponse> {
    if !crate::wants_html(req) || matches!(error, AppError::Internal(_)) {
        return Err(error);
    }
    Ok(complete_screen(state, |to| {
        to.query_pairs_mut().append_pair("error", error.code());
    }))
}

/// A redirect to the client's `/sign-in/complete` with the query `fill` writes.
fn complete_screen(state: &AppState, fill: impl FnOnce(&mut url::Url)) -> HttpResponse {
    let mut to = state.config.public_base_url.clone();
    to.set_path("/sign-in/complete");
    to.set_query(None);
    fill(&mut to);
    HttpResponse::Found()
        .insert_header((header::LOCATION, to.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish()
}

/// Whether the browser says the request was made from another site's page (Fetch Metadata);
/// a browser that does not say is let through.
fn from_another_site(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| !matches!(site, "same-origin" | "none"))
}

#[derive(Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The provider's authorization code.
    #[validate(length(min = 1, max = 2048))]
    #[param(min_length = 1, max_length = 2048)]
    pub code: Option<String>,
    /// The `state` the flow was started with.
    #[validate(length(min = 1, max = 2048))]
    #[param(min_length = 1, max_length = 2048)]
    pub state: Option<String>,
    /// The provider's refusal, e.g. `access_denied` when the person cancelled.
    #[validate(length(min = 1, max = 2048))]
    #[param(min_length = 1, max_length = 2048)]
    pub error: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/auth/oidc/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "A configured provider's name"), CallbackQuery),
    responses(
        (status = 302, description = "Signed in: to `{PUBLIC_BASE_URL}/sign-in/complete?code=<one-time code, 60 s>&next=<path>`; a provider linked from the profile: `?linked=<provider>&next=<path>`. A browser (`Accept: text/html`) is sent to `/sign-in/complete?error=<code>` on any refusal below instead of getting the problem"),
        (status = 400, description = "`oidc_state_invalid` (unknown, used or expired `state`, or another browser's), `oidc_cancelled` (the provider said no, e.g. the person cancelled)", body = Problem),
        (status = 401, description = "`oidc_token_invalid`: the provider's answer failed a check (signature, algorithm, key id, `iss`, `aud`, `exp`, `nonce`, a used code); nothing was changed", body = Problem),
        (status = 403, description = "`oidc_level_too_low` (`acr` missing or not a required level), `identity_not_linked` (no account for this sign-in), `email_not_provided` (signing up needs an address the provider vouches for)", body = Problem),
        (status = 404, description = "`provider_not_found`, or `invitation_not_found`", body = Problem),
        (status = 409, description = "`identity_taken` (linked to another account), `already_a_user`, `invitation_pending`", body = Problem),
        (status = 410, description = "The invitation can no longer be accepted", body = Problem),
        (status = 422, description = "A malformed query, or a municipality no longer enrolled", body = Problem),
        (status = 429, description = "Too many attempts from this address", body = Problem),
        (status = 503, description = "`provider_unavailable`: the provider did not answer; nothing was created", body = Problem)))]
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> AppResult<HttpResponse> {
    let browser = browser_cookie(&req);
    let finished = match query.validate() {
        Err(errors) => Err(AppError::from(errors)),
        Ok(()) => {
            let answer = Callback {
                code: query.code.as_deref(),
                state: query.state.as_deref(),
                error: query.error.as_deref(),
                browser: browser.as_deref(),
                language: Language::from_headers(req.headers()),
            };
            flow::callback(&state, &provider, answer).await
        }
    };
    match finished {
        Ok(Finished::SignedIn { code, next }) => Ok(complete_screen(&state, |to| {
            to.query_pairs_mut()
                .append_pair("code", &code)
                .append_pair("next", &next);
        })),
        Ok(Finished::Linked { provider, next }) => Ok(complete_screen(&state, |to| {
            to.query_pairs_mut()
                .append_pair("linked", &provider)
                .append_pair("next", &next);
        })),
        Err(e) => {
            refused(&provider, &e);
            to_complete_screen(&state, &req, e)
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRequest {
    /// The `code` the callback sent the browser to `/sign-in/complete` with.
    pub code: OpaqueToken,
}

#[utoipa::path(post, path = "/api/v1/auth/oidc/exchange", tag = "auth", request_body = ExchangeRequest,
    responses(
        (status = 200, description = "Signed in: the usual token pair. Needs the `mentorsti_oidc` cookie of the browser the flow ran in", body = TokenPair),
        (status = 401, description = "`oidc_code_invalid`: unknown, used, older than 60 s, or from another browser", body = Problem),
        (status = 422, description = "A malformed code", body = Problem),
        (status = 429, description = "Too many attempts from this address", body = Problem)))]
pub async fn exchange(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ExchangeRequest>,
) -> AppResult<HttpResponse> {
    let browser = browser_cookie(&req);
    let pair: TokenPair = flow::exchange(&state, &body.code, browser.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(pair))
}

#[utoipa::path(get, path = "/api/v1/me/identities", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "How the caller signs in: a password or not, and the providers linked", body = SignInMethods),
        (status = 401, description = "No valid access token", body = Problem)))]
pub async fn identities(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
) -> AppResult<HttpResponse> {
    let methods: SignInMethods = flow::sign_in_methods(&state, caller.id).await?;
    Ok(HttpResponse::Ok().json(methods))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkStart {
    /// Where in the client to come back to (default `/profile`).
    pub next: Option<ClientPath>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorizeUrl {
    /// Send the browser here (a navigation, not a fetch); it comes back to the callback.
    pub authorize_url: String,
}

#[utoipa::path(post, path = "/api/v1/me/identities/{provider}/start", tag = "me", security(("bearer" = [])),
    params(("provider" = String, Path, description = "A configured provider's name")),
    request_body = LinkStart,
    responses(
        (status = 200, description = "Where to send the browser to link the provider; sets the HttpOnly `mentorsti_oidc` cookie the callback needs. The callback then sends it to `/sign-in/complete?linked=<provider>`", body = AuthorizeUrl),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 404, description = "`provider_not_found`", body = Problem),
        (status = 422, description = "A `next` that is not a path of the client", body = Problem),
        (status = 503, description = "`provider_unavailable`", body = Problem)))]
pub async fn link_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Require<roles::Anyone>,
    provider: web::Path<String>,
    body: Json<LinkStart>,
) -> AppResult<HttpResponse> {
    let browser = browser_cookie(&req).unwrap_or_else(|| new_opaque_token().plain);
    let asked = Start {
        next: body.next.as_deref().unwrap_or("/profile"),
        invitation: None,
        municipality: None,
        link_user: Some(caller.id),
        browser: &browser,
    };
    let authorize_url = flow::start(&state, &provider, asked)
        .await
        .inspect_err(|e| refused(&provider, e))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::SET_COOKIE, set_cookie(&state, &browser)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(AuthorizeUrl { authorize_url }))
}

#[utoipa::path(delete, path = "/api/v1/me/identities/{provider}", tag = "me", security(("bearer" = [])),
    params(("provider" = String, Path, description = "A linked provider's name")),
    responses(
        (status = 204, description = "Unlinked: the provider no longer signs in to this account"),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 404, description = "`identity_not_found`: the account is not linked to it", body = Problem),
        (status = 409, description = "`last_sign_in_method`: the account has no password and no other provider", body = Problem)))]
pub async fn unlink(
    state: web::Data<AppState>,
    caller: Require<roles::Anyone>,
    provider: web::Path<String>,
) -> AppResult<HttpResponse> {
    flow::unlink(&state, caller.id, &provider).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every refusal of a flow is a security event.
fn refused(provider: &str, error: &AppError) {
    tracing::warn!(target: "security", event = "oidc_refused", code = error.code(), provider, "sign-in through a provider refused");
}

/// The flow cookie the browser sent, if it is one this service could have set.
fn browser_cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BROWSER_COOKIE)
        .and_then(|(_, value)| OpaqueToken::parse(value).ok())
        .map(OpaqueToken::into_inner)
}

fn set_cookie(state: &AppState, value: &str) -> String {
    let secure = if state.config.is_https() {
        "; Secure"
    } else {
        ""
    };
    // Lax: the provider's redirect back is a top-level navigation, which carries it.
    format!(
        "{BROWSER_COOKIE}={value}; Path={COOKIE_PATH}; Max-Age=900; HttpOnly; SameSite=Lax{secure}"
    )
}
