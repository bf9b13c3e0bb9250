//! Typed configuration read once from the environment and validated at start.
//! Every bad value is reported with the variable's name, all at once.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::encryption::Keyring;
use crate::webinars::IssuerKeys;

mod env;
mod oidc;
mod secrets;

use env::Reader;
pub use oidc::OidcProviderConfig;
pub(crate) use secrets::load_or_create_key_list;
use secrets::load_or_create_secret;

#[derive(Clone, Debug)]
pub struct Config {
    /// `None`: the service runs its own PostgreSQL cluster under `data_dir/postgres`.
    pub database_url: Option<SecretString>,
    pub database_pool_size: usize,
    pub bind: SocketAddr,
    pub public_base_url: Url,
    pub data_dir: PathBuf,
    /// The bundled course, published on first start.
    pub content_dir: PathBuf,
    pub jwt: JwtConfig,
    /// Keys sealing reflection answers and notes (`ENCRYPTION_KEYS` or `DATA_DIR/encryption-keys`).
    pub encryption: Arc<Keyring>,
    /// Keys signing the certificates' credentials (`ISSUER_KEYS` or `DATA_DIR/issuer-keys`).
    pub issuer_keys: Arc<IssuerKeys>,
    pub mail: MailConfig,
    pub cors_allowed_origins: Vec<String>,
    pub trust_forwarded_for: bool,
    pub password_hash_concurrency: usize,
    pub limits: LimitsConfig,
    pub worker: WorkerConfig,
    pub log_format: LogFormat,
    /// OpenID Connect providers to sign in with, in the order configured.
    pub oidc: Vec<OidcProviderConfig>,
}

#[derive(Clone, Debug)]
pub struct JwtConfig {
    pub secret: SecretString,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

#[derive(Clone, Debug)]
pub struct MailConfig {
    pub transport: MailTransport,
    pub from: Mailbox,
}

#[derive(Clone, Debug)]
pub enum MailTransport {
    Smtp { url: SecretString },
    File { dir: PathBuf },
    Log,
}

#[derive(Clone, Debug)]
pub struct LimitsConfig {
    /// Requests a minute one IP address may make to the `/auth` endpoints.
    pub auth_per_ip_per_minute: u32,
    /// Failed logins for one account within `login_failure_window` before it is locked.
    pub login_max_failures: u32,
    pub login_failure_window: Duration,
    /// Requests a minute one IP address may make to write endpoints (POST/PUT/PATCH/DELETE).
    pub writes_per_ip_per_minute: u32,
    /// Requests a minute one account may make to write endpoints.
    pub writes_per_account_per_minute: u32,
}

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    pub poll_interval: Duration,
    /// The longest wait between two attempts to send one mail.
    pub max_backoff: Duration,
    /// Whether `serve` runs the outbox worker in-process.
    pub enabled: bool,
    /// How long a sent mail's body is kept.
    pub mail_retention: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Every problem found in the environment, each naming its variable.
#[derive(Debug)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars)
    }

    /// Builds the configuration from a map of variables (the environment, or a test's own).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut reader = Reader {
            vars,
            problems: Vec::new(),
        };
        let database_url = reader.optional("DATABASE_URL").map(SecretString::from);
        let database_pool_size = reader.number("DATABASE_POOL_SIZE", 16usize, 1, 1000);
        let bind =
            reader.parsed::<SocketAddr>("BIND", "127.0.0.1:8080", "an address like 127.0.0.1:8080");
        let default_base = format!(
            "http://{}",
            bind.unwrap_or_else(|| ([127, 0, 0, 1], 8080).into())
        );
        let public_base_url = reader.url("PUBLIC_BASE_URL", &default_base);
        let data_dir = PathBuf::from(reader.string("DATA_DIR", ".data"));
        let content_dir = PathBuf::from(reader.string("CONTENT_DIR", "content"));

        let jwt_secret = match reader.optional("JWT_SECRET") {
            Some(secret) if secret.len() < 32 => {
                reader.problem("JWT_SECRET must be at least 32 characters long".into());
                None
            }
            Some(secret) => Some(SecretString::from(secret)),
            None => None,
        };
        let encryption_keys = reader.optional("ENCRYPTION_KEYS");
        let encryption_key_id = reader.optional("ENCRYPTION_KEY_ID");
        let issuer_keys = reader.optional("ISSUER_KEYS");
        let issuer_key_id = reader.optional("ISSUER_KEY_ID");
        let access_minutes = reader.number("ACCESS_TOKEN_MINUTES", 15u64, 1, 60);
        let refresh_days = reader.number("REFRESH_TOKEN_DAYS", 30u64, 1, 365);

        let mail_transport = match reader.string("MAIL_TRANSPORT", "file").as_str() {
            "smtp" => match reader.optional("SMTP_URL") {
                Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => {
                    Some(MailTransport::Smtp {
                        url: SecretString::from(url),
                    })
                }
                Some(_) => {
                    reader.problem("SMTP_URL must start with smtp:// or smtps://".into());
                    None
                }
                None => {
                    reader.problem("SMTP_URL is required when MAIL_TRANSPORT=smtp".into());
                    None
                }
            },
            "file" => Some(MailTransport::File {
                dir: reader
                    .optional("MAIL_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| data_dir.join("mail")),
            }),
            "log" => Some(MailTransport::Log),
            other => {
                reader.problem(format!(
                    "MAIL_TRANSPORT must be smtp, file or log, not {other:?}"
                ));
                None
            }
        };
        let mail_from = reader.parsed::<Mailbox>(
            "MAIL_FROM",
            "Mentorsti <noreply@mentorsti.localhost>",
            "a mailbox like \"Mentorsti <noreply@example.no>\"",
        );

        let cors_allowed_origins: Vec<String> = reader
            .string("CORS_ALLOWED_ORIGINS", "")
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(str::to_owned)
            .collect();
        for origin in &cors_allowed_origins {
            match Url::parse(origin) {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.path() == "/" => {}
                _ => reader.problem(format!(
                    "CORS_ALLOWED_ORIGINS has {origin:?}, which is not an origin like https://app.example.no"
                )),
            }
        }
        let trust_forwarded_for = reader.boolean("TRUST_FORWARDED_FOR", false);
        // One core is kept for serving: a burst of sign-ins then cannot take every core.
        let default_hashers = std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1);
        let password_hash_concurrency =
            reader.number("PASSWORD_HASH_CONCURRENCY", default_hashers, 1, 256);
        let limits = LimitsConfig {
            auth_per_ip_per_minute: reader
                .number("AUTH_RATE_LIMIT_PER_MINUTE", 60u32, 1, 1_000_000)
                .unwrap_or(60),
            login_max_failures: reader
                .number("LOGIN_MAX_FAILURES", 10u32, 1, 1000)
                .unwrap_or(10),
            login_failure_window: Duration::from_secs(
                60 * reader
                    .number("LOGIN_FAILURE_WINDOW_MINUTES", 15u64, 1, 24 * 60)
                    .unwrap_or(15),
            ),
            writes_per_ip_per_minute: reader
                // Generous: a nursing home's mentors may all write through one address.
                .number("WRITE_RATE_LIMIT_PER_MINUTE", 3000u32, 1, 10_000_000)
                .unwrap_or(3000),
            writes_per_account_per_minute: reader
                .number("ACCOUNT_WRITE_RATE_LIMIT_PER_MINUTE", 240u32, 1, 10_000_000)
                .unwrap_or(240),
        };
        let worker = WorkerConfig {
            poll_interval: Duration::from_millis(
                reader
                    .number("WORKER_POLL_INTERVAL_MS", 1000u64, 10, 600_000)
                    .unwrap_or(1000),
            ),
            max_backoff: Duration::from_secs(
                reader
                    .number("MAIL_RETRY_MAX_BACKOFF_SECS", 600u64, 1, 86_400)
                    .unwrap_or(600),
            ),
            enabled: true,
            mail_retention: Duration::from_secs(
                86_400
                    * reader
                        .number("MAIL_RETENTION_DAYS", 30u64, 1, 3650)
                        .unwrap_or(30),
            ),
        };
        let log_format = match reader.string("LOG_FORMAT", "json").as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                reader.problem(format!("LOG_FORMAT must be json or pretty, not {other:?}"));
                LogFormat::Json
            }
        };

        let oidc = oidc::read_providers(&mut reader);

        if !reader.problems.is_empty() {
            return Err(ConfigError(reader.problems));
        }
        let jwt_secret = match jwt_secret {
            Some(secret) => secret,
            None => load_or_create_secret(&data_dir).map_err(|e| ConfigError(vec![e]))?,
        };
        let (keys_source, key_list) = match encryption_keys {
            Some(list) => ("ENCRYPTION_KEYS".to_owned(), list),
            None => (
                data_dir.join("encryption-keys").display().to_string(),
                crate::encryption::load_or_create_key_file(&data_dir)
                    .map_err(|e| ConfigError(vec![e]))?,
            ),
        };
        let encryption = Keyring::parse(&key_list, encryption_key_id.as_deref()).map_err(|e| {
            ConfigError(vec![format!(
                "{keys_source}: {e} (ENCRYPTION_KEY_ID names the current key)"
            )])
        })?;
        let (keys_source, key_list) = match issuer_keys {
            Some(list) => ("ISSUER_KEYS".to_owned(), list),
            None => (
                data_dir.join("issuer-keys").display().to_string(),
                crate::webinars::load_or_create_issuer_key_file(&data_dir)
                    .map_err(|e| ConfigError(vec![e]))?,
            ),
        };
        let issuer_keys = IssuerKeys::parse(&key_list, issuer_key_id.as_deref()).map_err(|e| {
            ConfigError(vec![format!(
                "{keys_source}: {e} (ISSUER_KEY_ID names the current key)"
            )])
        })?;
        Ok(Config {
            database_url,
            database_pool_size: database_pool_size.expect("checked"),
            bind: bind.expect("checked"),
            public_base_url: public_base_url.expect("checked"),
            data_dir,
            content_dir,
            jwt: JwtConfig {
                secret: jwt_secret,
                issuer: "mentorsti".into(),
                audience: "mentorsti-api".into(),
                access_ttl: Duration::from_secs(60 * access_minutes.expect("checked")),
                refresh_ttl: Duration::from_secs(24 * 3600 * refresh_days.expect("checked")),
            },
            encryption: Arc::new(encryption),
            issuer_keys: Arc::new(issuer_keys),
            mail: MailConfig {
                transport: mail_transport.expect("checked"),
                from: mail_from.expect("checked"),
            },
            cors_allowed_origins,
            trust_forwarded_for,
            password_hash_concurrency: password_hash_concurrency.expect("checked"),
            limits,
            worker,
            log_format,
            oidc,
        })
    }

    pub fn is_https(&self) -> bool {
        self.public_base_url.scheme() == "https"
    }

    /// A link a frontend screen picks a token up from: `{PUBLIC_BASE_URL}/<screen>?token=<token>`.
    /// A screen of the web client, without a token (links in reminders).
    pub fn screen_url(&self, screen: &str) -> String {
        let mut url = self.public_base_url.clone();
        url.set_path(screen);
        url.set_query(None);
        url.to_string()
    }

    pub fn screen_link(&self, screen: &str, token: &str) -> String {
        let mut url = self.public_base_url.clone();
        url.set_path(screen);
        url.query_pairs_mut().clear().append_pair("token", token);
        url.to_string()
    }

    /// Where the issuer's public keys are; a credential's `kid` is this URL and the key's id.
    pub fn issuer_jwks_url(&self) -> String {
        self.screen_url("/api/v1/issuer/jwks.json")
    }

    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(|url| url.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("JWT_SECRET".into())
            .or_insert_with(|| "x".repeat(40));
        map.entry("ENCRYPTION_KEYS".into())
            .or_insert_with(|| Keyring::generate_entry("test"));
        map.entry("ISSUER_KEYS".into())
            .or_insert_with(|| IssuerKeys::generate_entry("test"));
        map
    }

    #[test]
    fn issuer_keys_are_checked_and_kept_in_the_data_dir_without_the_variable() {
        let err = Config::from_vars(&vars(&[("ISSUER_KEYS", "a:c2hvcnQ=")])).unwrap_err();
        assert!(err.to_string().contains("ISSUER_KEYS"), "{err}");
        let keys = format!(
            "{},{}",
            IssuerKeys::generate_entry("old"),
            IssuerKeys::generate_entry("new")
        );
        let config =
            Config::from_vars(&vars(&[("ISSUER_KEYS", &keys), ("ISSUER_KEY_ID", "old")])).unwrap();
        assert_eq!(config.issuer_keys.current_id(), "old");

        let dir = std::env::temp_dir().join(format!("mentorsti-issuer-{}", uuid::Uuid::new_v4()));
        let dir_text = dir.display().to_string();
        let mut map = vars(&[("DATA_DIR", &dir_text)]);
        map.remove("ISSUER_KEYS");
        let first = Config::from_vars(&map).unwrap();
        let second = Config::from_vars(&map).unwrap();
        assert_eq!(first.issuer_keys.current_id(), "i1");
        assert_eq!(first.issuer_keys.jwks("u"), second.issuer_keys.jwks("u"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("issuer-keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // The configuration's debug output (it may be logged) names the keys, never shows them.
        let file = std::fs::read_to_string(dir.join("issuer-keys")).unwrap();
        let seed = file.lines().last().unwrap().split_once(':').unwrap().1;
        assert!(!format!("{first:?}").contains(seed));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn encryption_keys_are_checked() {
        let err = Config::from_vars(&vars(&[("ENCRYPTION_KEYS", "a:c2hvcnQ=")])).unwrap_err();
        assert!(err.to_string().contains("ENCRYPTION_KEYS"), "{err}");
        let keys = format!(
            "{},{}",
            Keyring::generate_entry("old"),
            Keyring::generate_entry("new")
        );
        let config = Config::from_vars(&vars(&[("ENCRYPTION_KEYS", &keys)])).unwrap();
        assert_eq!(config.encryption.current_id(), "new");
        let config = Config::from_vars(&vars(&[
            ("ENCRYPTION_KEYS", &keys),
            ("ENCRYPTION_KEY_ID", "old"),
        ]))
        .unwrap();
        assert_eq!(config.encryption.current_id(), "old");
    }

    #[test]
    fn without_keys_one_is_generated_and_kept_in_the_data_dir() {
        let dir = std::env::temp_dir().join(format!("mentorsti-keys-{}", uuid::Uuid::new_v4()));
        let dir_text = dir.display().to_string();
        let mut map = vars(&[("DATA_DIR", &dir_text)]);
        map.remove("ENCRYPTION_KEYS");
        let first = Config::from_vars(&map).unwrap();
        let second = Config::from_vars(&map).unwrap();
        assert_eq!(first.encryption.current_id(), "k1");
        let sealed = first.encryption.seal("tekst", b"row");
        assert_eq!(
            second
                .encryption
                .open("k1", &sealed.ciphertext, b"row")
                .unwrap(),
            "tekst"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("encryption-keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn defaults_are_valid() {
        let config = Config::from_vars(&vars(&[])).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_base_url.as_str(), "http://127.0.0.1:8080/");
        assert!(config.database_url.is_none());
        assert_eq!(config.jwt.access_ttl, Duration::from_secs(900));
    }

    #[test]
    fn every_bad_value_is_named() {
        let err = Config::from_vars(&vars(&[
            ("BIND", "nowhere"),
            ("MAIL_TRANSPORT", "pigeon"),
            ("DATABASE_POOL_SIZE", "0"),
            ("JWT_SECRET", "short"),
            ("PUBLIC_BASE_URL", "ftp://x"),
        ]))
        .unwrap_err();
        let text = err.to_string();
        for name in [
            "BIND",
            "MAIL_TRANSPORT",
            "DATABASE_POOL_SIZE",
            "JWT_SECRET",
            "PUBLIC_BASE_URL",
        ] {
            assert!(text.contains(name), "{name} missing from {text}");
        }
        assert_eq!(err.0.len(), 5);
    }

    #[test]
    fn smtp_needs_a_url() {
        let err = Config::from_vars(&vars(&[("MAIL_TRANSPORT", "smtp")])).unwrap_err();
        assert!(err.to_string().contains("SMTP_URL"));
    }

    #[test]
    fn screen_links_carry_the_token() {
        let config =
            Config::from_vars(&vars(&[("PUBLIC_BASE_URL", "https://mentor.example.no")])).unwrap();
        assert_eq!(
            config.screen_link("/reset-password", "a b"),
            "https://mentor.example.no/reset-password?token=a+b"
        );
        assert!(config.is_https());
    }

    #[test]
    fn oidc_providers_are_read_and_every_bad_value_named() {
        let config = Config::from_vars(&vars(&[
            ("OIDC_PROVIDERS", "idporten, feide"),
            ("OIDC_IDPORTEN_ISSUER", "https://idporten.no"),
            ("OIDC_IDPORTEN_CLIENT_ID", "mentorsti"),
            ("OIDC_IDPORTEN_CLIENT_SECRET", "s"),
            ("OIDC_IDPORTEN_LABEL", "ID-porten"),
            (
                "OIDC_IDPORTEN_ACR_VALUES",
                "idporten-loa-substantial idporten-loa-high",
            ),
            ("OIDC_IDPORTEN_SCOPES", "openid profile"),
            ("OIDC_FEIDE_ISSUER", "http://127.0.0.1:9000"),
            ("OIDC_FEIDE_CLIENT_ID", "c"),
            ("OIDC_FEIDE_CLIENT_SECRET", "s"),
            ("OIDC_FEIDE_TRUST_EMAIL", "true"),
        ]))
        .unwrap();
        let [idporten, feide] = config.oidc.as_slice() else {
            panic!("two providers expected");
        };
        assert_eq!(idporten.label, "ID-porten");
        assert_eq!(idporten.acr_values.len(), 2);
        assert_eq!(idporten.scopes, ["profile"]);
        assert!(!idporten.trust_email);
        assert_eq!(feide.label, "feide");
        assert_eq!(feide.scopes, ["email", "profile"]);
        assert!(feide.trust_email);

        let err = Config::from_vars(&vars(&[
            ("OIDC_PROVIDERS", "idporten,Bad!,feide,idporten"),
            ("OIDC_IDPORTEN_ISSUER", "http://idporten.no"),
            ("OIDC_IDPORTEN_CLIENT_ID", "c"),
            ("OIDC_FEIDE_ISSUER", "https://auth.dataporten.no"),
            ("OIDC_FEIDE_CLIENT_ID", "c"),
            ("OIDC_FEIDE_CLIENT_SECRET", "s"),
            ("OIDC_FEIDE_TRUST_EMAIL", "maybe"),
        ]))
        .unwrap_err();
        let text = err.to_string();
        for expected in [
            "OIDC_IDPORTEN_ISSUER",
            "OIDC_IDPORTEN_CLIENT_SECRET",
            "\"Bad!\"",
            "OIDC_FEIDE_TRUST_EMAIL",
            "names \"idporten\" twice",
        ] {
            assert!(text.contains(expected), "{expected} missing from {text}");
        }
    }
}
