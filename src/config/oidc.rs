//! OpenID Connect providers people may sign in with (`OIDC_PROVIDERS` and `OIDC_<NAME>_*`).

use secrecy::SecretString;
use url::{Host, Url};

use super::env::Reader;

/// One provider, as configured: where it is, who we are to it, and what we ask of it.
#[derive(Clone, Debug)]
pub struct OidcProviderConfig {
    /// The name in our paths (`/auth/oidc/{name}/...`), lowercase.
    pub name: String,
    /// What the button says: "Logg inn med {label}".
    pub label: String,
    /// Discovery is read from `{issuer}/.well-known/openid-configuration`.
    pub issuer: Url,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Authentication levels asked for; the id_token's `acr` must be one of them when set.
    pub acr_values: Vec<String>,
    /// Scopes besides `openid`, which is always asked for.
    pub scopes: Vec<String>,
    /// Whether the provider's verified `email` may link to, or make, an account by address.
    pub trust_email: bool,
}

/// Reads every configured provider, noting each bad value with its variable's name.
pub(super) fn read_providers(reader: &mut Reader<'_>) -> Vec<OidcProviderConfig> {
    let names = reader.string("OIDC_PROVIDERS", "");
    let mut providers: Vec<OidcProviderConfig> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let valid_name = name.len() <= 32
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid_name {
            reader.problem(format!(
                "OIDC_PROVIDERS has {name:?}: a name is 1 to 32 of a-z, 0-9, _ and -"
            ));
            continue;
        }
        if seen.contains(&name) {
            reader.problem(format!("OIDC_PROVIDERS names {name:?} twice"));
            continue;
        }
        seen.push(name);
        if let Some(provider) = read_provider(reader, name) {
            providers.push(provider);
        }
    }
    providers
}

fn read_provider(reader: &mut Reader<'_>, name: &str) -> Option<OidcProviderConfig> {
    let prefix = format!("OIDC_{}_", name.to_ascii_uppercase().replace('-', "_"));
    let var = |suffix: &str| format!("{prefix}{suffix}");
    let issuer = match reader.optional(&var("ISSUER")) {
        None => {
            reader.problem(format!("{} is required for provider {name}", var("ISSUER")));
            None
        }
        Some(raw) => match Url::parse(&raw) {
            Ok(url) if url.scheme() == "https" && url.host().is_some() => Some(url),
            Ok(url) if url.scheme() == "http" && is_loopback(&url) => Some(url),
            _ => {
                reader.problem(format!(
                    "{} must be an https URL (http only on a loopback address), not {raw:?}",
                    var("ISSUER")
                ));
                None
            }
        },
    };
    let client_id = reader.optional(&var("CLIENT_ID"));
    if client_id.is_none() {
        reader.problem(format!(
            "{} is required for provider {name}",
            var("CLIENT_ID")
        ));
    }
    let client_secret = reader.optional(&var("CLIENT_SECRET"));
    if client_secret.is_none() {
        reader.problem(format!(
            "{} is required for provider {name}",
            var("CLIENT_SECRET")
        ));
    }
    let label = reader.string(&var("LABEL"), name);
    if label.chars().count() > 40 {
        reader.problem(format!("{} must be at most 40 characters", var("LABEL")));
    }
    let words = |raw: String| -> Vec<String> {
        raw.split([' ', ','])
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let acr_values = words(reader.string(&var("ACR_VALUES"), ""));
    let scopes: Vec<String> = words(reader.string(&var("SCOPES"), "openid email profile"))
        .into_iter()
        .filter(|scope| scope != "openid")
        .collect();
    for word in acr_values.iter().chain(&scopes) {
        if !word
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        {
            reader.problem(format!(
                "{} or {} has {word:?}, which is not a plain word",
                var("ACR_VALUES"),
                var("SCOPES")
            ));
        }
    }
    let trust_email = reader.boolean(&var("TRUST_EMAIL"), false);
    Some(OidcProviderConfig {
        name: name.to_owned(),
        label,
        issuer: issuer?,
        client_id: client_id?,
        client_secret: SecretString::from(client_secret?),
        acr_values,
        scopes,
        trust_email,
    })
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(domain)) => domain == "localhost",
        None => false,
    }
}
