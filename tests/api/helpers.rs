//! Spawns the real application on port 0 against a real PostgreSQL, with a database of its own
//! cloned from a migrated template, and a real SMTP server that records what it receives.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::web;
use mail_parser::MimeHeaders;
use mentorsti::auth::store::{self, NewUser};
use mentorsti::auth::Role;
use mentorsti::clock::OffsetClock;
use mentorsti::config::Config;
use mentorsti::db::embedded::EmbeddedPostgres;
use mentorsti::{AppState, Application};
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// The key the test instances seal reflection texts with (`test1`, 32 bytes of base64).
pub const ENCRYPTION_KEYS: &str = "test1:bWVudG9yc3RpLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmM=";
pub const PASSWORD: &str = "Kaffepausen på avdeling 3 er hellig";

/// The server's URL for administrative connections, and a database name in it.
struct Server {
    base: url::Url,
    template: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static EMBEDDED: OnceLock<EmbeddedPostgres> = OnceLock::new();

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        // Own runtime on its own thread: the tests' runtimes come and go.
        std::thread::spawn(|| {
            tokio::runtime::Runtime::new()
                .expect("runtime")
                .block_on(prepare_server())
        })
        .join()
        .expect("database preparation panicked")
    })
}

async fn prepare_server() -> Server {
    let base = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url::Url::parse(&url).expect("DATABASE_URL is a URL"),
        _ => {
            remove_stale_clusters();
            let dir =
                std::env::temp_dir().join(format!("mentorsti-test-pg-{}", std::process::id()));
            let server = EmbeddedPostgres::start(&dir)
                .await
                .expect("start a throwaway PostgreSQL");
            let url = url::Url::parse(&server.url("postgres")).expect("embedded URL");
            let _ = EMBEDDED.set(server);
            url
        }
    };
    let template = format!("mentorsti_tpl_{}", migrations_digest());
    let admin = admin_client(&base).await;
    // One process creates the template; the others wait on the lock, then find it.
    admin
        .batch_execute("SELECT pg_advisory_lock(727274)")
        .await
        .expect("lock");
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
        .await
        .expect("query")
        .is_some();
    if !exists {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{template}\""))
            .await
            .expect("create template");
        let migrated = mentorsti::db::run_migrations(&database_url(&base, &template)).await;
        if let Err(error) = migrated {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE \"{template}\""))
                .await;
            panic!("migrating the template failed: {error:#}");
        }
    }
    admin
        .batch_execute("SELECT pg_advisory_unlock(727274)")
        .await
        .expect("unlock");
    Server { base, template }
}

/// Throwaway clusters of earlier test runs whose process is gone.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("mentorsti-test-pg-") else {
            continue;
        };
        let pid = rest.split('.').next().unwrap_or_default();
        if !pid.is_empty() && !std::path::Path::new("/proc").join(pid).exists() {
            let path = entry.path();
            // As root the cluster may live elsewhere, linked from here (`db::embedded`).
            if let Ok(target) = std::fs::read_link(&path) {
                let _ = std::fs::remove_dir_all(&target);
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

fn migrations_digest() -> String {
    let mut files: Vec<_> = walk(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations"
    )));
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).expect("read migration"));
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

pub fn database_url(base: &url::Url, database: &str) -> String {
    let mut url = base.clone();
    url.set_path(&format!("/{database}"));
    url.to_string()
}

async fn admin_client(base: &url::Url) -> tokio_postgres::Client {
    let url = database_url(base, "postgres");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    tokio::spawn(connection);
    client
}

/// A fresh database for one test, dropped (forcibly) when the guard goes.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let server = server();
        let name = format!("mentorsti_test_{}", Uuid::new_v4().simple());
        let admin = admin_client(&server.base).await;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{}\"",
                server.template
            ))
            .await
            .expect("clone the template");
        TestDatabase {
            url: database_url(&server.base, &name),
            name,
        }
    }

    /// A connection to the server's maintenance database, for acting on this database as a whole.
    pub async fn admin(&self) -> tokio_postgres::Client {
        admin_client(&server().base).await
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(connection);
        client
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let base = server().base.clone();
        let _ = std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .expect("runtime")
                .block_on(async move {
                    let admin = admin_client(&base).await;
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await;
                })
        })
        .join();
    }
}

// ---- SMTP ---------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a parseable message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    /// Attachments as (file name, content type, text).
    pub fn attachments(&self) -> Vec<(String, String, String)> {
        let message = self.parsed();
        message
            .attachments()
            .map(|part| {
                let name = part.attachment_name().unwrap_or_default().to_owned();
                let content_type = part
                    .content_type()
                    .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()))
                    .unwrap_or_default();
                let text = String::from_utf8_lossy(part.contents()).into_owned();
                (name, content_type, text)
            })
            .collect()
    }

    /// The `token` query parameter of the first link in the text.
    pub fn token(&self) -> String {
        let text = self.text();
        let start = text.find("token=").expect("a link with a token") + "token=".len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

#[derive(Clone)]
struct Recorder {
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    to: Vec<String>,
    buffer: Vec<u8>,
}

impl mailin_embedded::Handler for Recorder {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.to = to.to_vec();
        self.buffer.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.buffer.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        self.received.lock().unwrap().push(ReceivedMail {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.buffer),
        });
        mailin_embedded::response::OK
    }
}

/// A real SMTP server on a free port, recording every message.
#[derive(Clone)]
pub struct MailCatcher {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl MailCatcher {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        Self::start_on(listener)
    }

    /// Starts on a listener that is already bound (to come back on a known port).
    pub fn start_on(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder {
            received: received.clone(),
            to: Vec::new(),
            buffer: Vec::new(),
        };
        std::thread::spawn(move || {
            let mut server = mailin_embedded::Server::new(recorder);
            server
                .with_name("smtp.test")
                .with_num_threads(4)
                .with_tcp_listener(listener);
            let _ = server.serve();
        });
        MailCatcher { port, received }
    }

    pub fn all(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }

    pub fn to(&self, address: &str) -> Vec<ReceivedMail> {
        self.all()
            .into_iter()
            .filter(|mail| mail.to.iter().any(|to| to.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits until `address` has received at least `count` mails (10 s at most).
    pub async fn wait_for(&self, address: &str, count: usize) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = self.to(address);
            if mails.len() >= count {
                return mails;
            }
            assert!(
                Instant::now() < deadline,
                "{address} received {} mail(s), expected {count}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

// ---- the application ----------------------------------------------------------------------

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub mail: MailCatcher,
    pub state: web::Data<AppState>,
    pub db: TestDatabase,
    /// The service's clock: `app.clock.advance(…)` moves its time for every rule.
    pub clock: Arc<OffsetClock>,
}

pub fn base_vars(db_url: &str, smtp_port: u16) -> HashMap<String, String> {
    [
        ("DATABASE_URL", db_url.to_owned()),
        ("BIND", "127.0.0.1:0".into()),
        ("PUBLIC_BASE_URL", "http://mentorsti.test".into()),
        ("JWT_SECRET", JWT_SECRET.into()),
        ("ENCRYPTION_KEYS", ENCRYPTION_KEYS.into()),
        ("MAIL_TRANSPORT", "smtp".into()),
        ("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
        (
            "MAIL_FROM",
            "Mentoropplæringen <noreply@mentorsti.test>".into(),
        ),
        ("WORKER_POLL_INTERVAL_MS", "20".into()),
        ("MAIL_RETRY_MAX_BACKOFF_SECS", "1".into()),
        ("DATABASE_POOL_SIZE", "8".into()),
        ("AUTH_RATE_LIMIT_PER_MINUTE", "100000".into()),
        ("WRITE_RATE_LIMIT_PER_MINUTE", "1000000".into()),
        ("ACCOUNT_WRITE_RATE_LIMIT_PER_MINUTE", "1000000".into()),
        ("PASSWORD_HASH_CONCURRENCY", "4".into()),
        ("LOG_FORMAT", "json".into()),
        (
            "DATA_DIR",
            std::env::temp_dir()
                .join("mentorsti-test-data")
                .to_string_lossy()
                .into_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after `adjust` has changed the environment it is configured from.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    let db = TestDatabase::create().await;
    let mail = MailCatcher::start();
    let mut vars = base_vars(&db.url, mail.port);
    adjust(&mut vars);
    let config = Config::from_vars(&vars).expect("valid test configuration");
    let clock = Arc::new(OffsetClock::default());
    let app = Application::build_with_clock(config, clock.clone())
        .await
        .expect("the application starts");
    let port = app.port();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        mail,
        state,
        db,
        clock,
    }
}

/// Spawns the app at an address chosen before it starts, which is also its `PUBLIC_BASE_URL`,
/// so the links and redirects it sends lead back to it: a browser following a sign-in
/// provider's redirects, say. `adjust` runs after, and sees the address in the vars.
pub async fn spawn_app_at_public_address(
    adjust: impl FnOnce(&mut HashMap<String, String>),
) -> TestApp {
    // A free port, let go just before the app binds it again (it binds its own listener).
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let app = spawn_app_with(|vars| {
        vars.insert("BIND".into(), format!("127.0.0.1:{port}"));
        vars.insert("PUBLIC_BASE_URL".into(), format!("http://127.0.0.1:{port}"));
        adjust(vars);
    })
    .await;
    assert_eq!(app.address, format!("http://127.0.0.1:{port}"));
    app
}

pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub password: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.address, path)
    }

    /// Creates an account directly in the database (the journeys that create accounts through
    /// the API are tested on their own).
    pub async fn create_user(&self, role: Role, email: &str) -> Account {
        let hash = self
            .state
            .passwords
            .hash(&SecretString::from(PASSWORD))
            .await
            .unwrap();
        let mut conn = self.state.pool.get().await.unwrap();
        let user = store::insert_user(
            &mut conn,
            NewUser {
                email,
                name: "Test Testesen",
                role,
                password_hash: Some(&hash),
                email_verified_at: Some(chrono::Utc::now()),
                municipality_id: None,
                usht_id: None,
                self_enrolled: false,
                language: mentorsti::language::Language::Bokmal,
            },
        )
        .await
        .unwrap();
        Account {
            id: user.id,
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.api("/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Signs in and returns (access token, refresh token).
    pub async fn tokens(&self, account: &Account) -> (String, String) {
        let response = self.login(&account.email, &account.password).await;
        assert_eq!(response.status(), 200, "login of {}", account.email);
        let body: Value = response.json().await.unwrap();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn access_token(&self, account: &Account) -> String {
        self.tokens(account).await.0
    }

    /// A signed-in user of a role, with their access token.
    pub async fn user_with_token(&self, role: Role) -> (Account, String) {
        let email = format!("{}-{}@example.no", role.as_str(), Uuid::new_v4().simple());
        let account = self.create_user(role, &email).await;
        let token = self.access_token(&account).await;
        (account, token)
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.api(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// `GET` and its body as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get(path, token).await.json().await.unwrap()
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .request(method, self.api(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::PATCH, path, token, body)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::PUT, path, token, body)
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.api(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// `put` with owned arguments, for requests fired together.
    pub async fn put_owned(&self, path: String, token: String) -> reqwest::Response {
        self.send_json(
            reqwest::Method::PUT,
            &path,
            &token,
            &Value::Object(Default::default()),
        )
        .await
    }

    /// Completes every page of the path in order, as a mentor would.
    pub async fn complete_path(&self, token: &str) {
        let path: Value = self.get("/path", token).await.json().await.unwrap();
        for module in path["modules"].as_array().unwrap() {
            for page in module["pages"].as_array().unwrap() {
                let url = format!(
                    "/modules/{}/pages/{}/completion",
                    module["number"],
                    page["slug"].as_str().unwrap()
                );
                let response = self
                    .put(&url, token, &Value::Object(Default::default()))
                    .await;
                assert_eq!(response.status(), 200, "{url}");
            }
        }
    }

    /// Runs SQL against this test's database (for arranging time and checking the truth).
    /// Everything in the test database, as `pg_dump --data-only` writes it.
    pub fn dump(&self) -> String {
        let dump = std::process::Command::new(pg_dump())
            .args(["--data-only", "--no-owner", "--dbname"])
            .arg(&self.db.url)
            .output()
            .expect("run pg_dump");
        assert!(
            dump.status.success(),
            "{}",
            String::from_utf8_lossy(&dump.stderr)
        );
        String::from_utf8_lossy(&dump.stdout).into_owned()
    }

    pub async fn sql(&self) -> tokio_postgres::Client {
        self.db.client().await
    }

    /// Waits until a count query answers `expected` (10 s at most): for what a worker does just
    /// after a mail has reached the catcher, such as marking it sent.
    pub async fn wait_for_count(&self, query: &str, expected: i64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.count(query, &[]).await;
            if now == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{query} answered {now}, expected {expected}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The one number a query answers (`SELECT count(*) …`).
    pub async fn count(
        &self,
        query: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> i64 {
        self.sql()
            .await
            .query_one(query, params)
            .await
            .unwrap()
            .get(0)
    }
}

/// The id of the reflection question on a page as the API returns it; every page has one.
/// The page slugs of the path's `index`th module (`GET /path`), in order.
pub fn page_slugs(path: &Value, index: usize) -> Vec<String> {
    path["modules"][index]["pages"]
        .as_array()
        .expect("a module has pages")
        .iter()
        .map(|p| p["slug"].as_str().expect("a page has a slug").to_owned())
        .collect()
}

pub fn reflection_question(page: &Value) -> String {
    page["blocks"]
        .as_array()
        .expect("a page has blocks")
        .iter()
        .find(|b| b["type"] == "reflection")
        .expect("every page has a reflection question")["id"]
        .as_str()
        .expect("a question id")
        .to_owned()
}

/// Asserts a problem answer: status, content type and code; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(
        response.status().as_u16(),
        status,
        "status for expected {code}"
    );
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// `pg_dump` from PATH, or beside the installed server binaries.
pub fn pg_dump() -> std::path::PathBuf {
    let on_path = std::process::Command::new("pg_dump")
        .arg("--version")
        .output();
    if on_path.is_ok_and(|o| o.status.success()) {
        return "pg_dump".into();
    }
    mentorsti::db::embedded::find_binaries()
        .map(|dir| dir.join("pg_dump"))
        .expect("pg_dump must be installed (it comes with the PostgreSQL server binaries)")
}

/// A coordinator of the USHT, set up directly in the database.
pub async fn coordinator_of(app: &TestApp, usht_id: &str) -> (Account, String) {
    let email = format!(
        "koordinator-{}@usht.example.no",
        uuid::Uuid::new_v4().simple()
    );
    let account = app.create_user(Role::Coordinator, &email).await;
    let usht: uuid::Uuid = usht_id.parse().unwrap();
    app.sql()
        .await
        .execute(
            "UPDATE users SET usht_id = $1 WHERE id = $2",
            &[&usht, &account.id],
        )
        .await
        .unwrap();
    let token = app.access_token(&account).await;
    (account, token)
}
