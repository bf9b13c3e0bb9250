//! Signing in through OpenID Connect providers (ID-porten, Feide, HelseID, ...), next to the
//! password: the authorization code flow with PKCE, `state` and `nonce`, built on
//! `openidconnect`. `flow` holds the rules, `store` the tables and `routes` the HTTP.

pub mod flow;
pub mod routes;
pub mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::reqwest;
use openidconnect::{
    ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest,
    HttpResponse, IssuerUrl, RedirectUrl,
};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use crate::config::{Config, OidcProviderConfig};
use crate::error::AppError;

/// A client of one provider, made from its discovery document.
pub type ProviderClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long a provider's discovery document (and its keys) is used before it is read again. A
/// token signed with a key not in it has it read again at once.
const DISCOVERY_TTL: Duration = Duration::from_secs(15 * 60);
/// How long one request to a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a provider whose discovery failed is answered 503 at once, so that one provider
/// down does not hold every sign-in for `PROVIDER_TIMEOUT`.
const FAILURE_TTL: Duration = Duration::from_secs(5);

/// What is known of a provider's discovery document.
enum Discovered {
    Read(Instant, Arc<CoreProviderMetadata>),
    Failed(Instant),
}

/// The configured providers and what was discovered of them.
pub struct Providers {
    configs: Vec<OidcProviderConfig>,
    http: reqwest::Client,
    discovered: Mutex<HashMap<String, Discovered>>,
    public_base_url: url::Url,
}

/// A request to a provider failed before it answered, or it answered with a server error.
#[derive(Debug, thiserror::Error)]
pub enum ProviderHttpError {
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider answered {0}")]
    Failing(u16),
}

impl Providers {
    pub fn new(config: &Config) -> Self {
        let http = reqwest::Client::builder()
            // A provider's answer is read as it is: a redirect is not followed (SSRF, and the
            // discovery document's URLs must be the provider's own).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .expect("an HTTP client for the sign-in providers");
        Self {
            configs: config.oidc.clone(),
            http,
            discovered: Mutex::default(),
            public_base_url: config.public_base_url.clone(),
        }
    }

    /// The providers in the order configured.
    pub fn all(&self) -> &[OidcProviderConfig] {
        &self.configs
    }

    /// The provider of this name, or 404 `provider_not_found`.
    pub fn get(&self, name: &str) -> Result<&OidcProviderConfig, AppError> {
        self.configs.iter().find(|p| p.name == name).ok_or_else(|| {
            AppError::rule(
                StatusCode::NOT_FOUND,
                "provider_not_found",
                "No such sign-in provider is configured.",
            )
        })
    }

    /// Where the provider sends the browser back to.
    pub fn redirect_uri(&self, provider: &OidcProviderConfig) -> String {
        let mut url = self.public_base_url.clone();
        url.set_path(&format!("/api/v1/auth/oidc/{}/callback", provider.name));
        url.set_query(None);
        url.to_string()
    }

    /// A client of the provider from its discovery document, read again when older than
    /// `DISCOVERY_TTL` or when `fresh` is asked for.
    pub async fn client(
        &self,
        provider: &OidcProviderConfig,
        fresh: bool,
    ) -> Result<ProviderClient, AppError> {
        let metadata = self.metadata(provider, fresh).await?;
        let redirect = RedirectUrl::new(self.redirect_uri(provider))
            .map_err(|e| AppError::internal(format!("redirect URI: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(
                provider.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    async fn metadata(
        &self,
        provider: &OidcProviderConfig,
        fresh: bool,
    ) -> Result<Arc<CoreProviderMetadata>, AppError> {
        // The lock is held to read and to write the cache, never across a request.
        match self.discovered.lock().await.get(&provider.name) {
            Some(Discovered::Read(at, metadata)) if !fresh && at.elapsed() < DISCOVERY_TTL => {
                return Ok(metadata.clone());
            }
            Some(Discovered::Failed(at)) if at.elapsed() < FAILURE_TTL => {
                return Err(unavailable(&provider.name, "discovery failed moments ago"));
            }
            _ => {}
        }
        let issuer = IssuerUrl::new(provider.issuer.as_str().trim_end_matches('/').to_owned())
            .map_err(|e| AppError::internal(format!("issuer URL: {e}")))?;
        let http = self.http_client();
        // Discovery checks that the document names the configured issuer.
        let found = CoreProviderMetadata::discover_async(issuer, &http).await;
        let mut discovered = self.discovered.lock().await;
        match found {
            Ok(metadata) => {
                let metadata = Arc::new(metadata);
                discovered.insert(
                    provider.name.clone(),
                    Discovered::Read(Instant::now(), metadata.clone()),
                );
                Ok(metadata)
            }
            Err(e) => {
                discovered.insert(provider.name.clone(), Discovered::Failed(Instant::now()));
                Err(unavailable(&provider.name, e))
            }
        }
    }

    /// What `openidconnect` sends its requests with: a server error or no answer at all is the
    /// provider being down, told apart from an answer that refuses.
    pub fn http_client(
        &self,
    ) -> impl Fn(
        HttpRequest,
    )
        -> futures_util::future::BoxFuture<'static, Result<HttpResponse, ProviderHttpError>> {
        let http = self.http.clone();
        move |request: HttpRequest| {
            let http = http.clone();
            Box::pin(async move { send(&http, request).await })
        }
    }
}

async fn send(
    http: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, ProviderHttpError> {
    let unreachable = |e: reqwest::Error| ProviderHttpError::Unreachable(e.to_string());
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    if status.is_server_error() {
        return Err(ProviderHttpError::Failing(status.as_u16()));
    }
    let mut answer = openidconnect::http::Response::builder().status(status);
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let body = response.bytes().await.map_err(unreachable)?;
    answer
        .body(body.to_vec())
        .map_err(|e| ProviderHttpError::Unreachable(e.to_string()))
}

/// 503 `provider_unavailable`, with the cause in the log only.
pub fn unavailable(provider: &str, cause: impl std::fmt::Display) -> AppError {
    tracing::warn!(target: "security", event = "oidc_provider_unavailable", provider, cause = %cause, "sign-in provider could not be used");
    AppError::rule(
        StatusCode::SERVICE_UNAVAILABLE,
        "provider_unavailable",
        "The sign-in provider does not answer just now; try again in a while, or sign in with your password.",
    )
}
