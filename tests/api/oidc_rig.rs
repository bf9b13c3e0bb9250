//! A real OpenID Connect provider for the tests: the `oidc-provider-mock` package from PyPI,
//! behind a relay in this process that can forge the id_tokens it passes on.
//!
//! The mock builds its issuer and endpoint URLs from the Host header, so the relay passes Host
//! through unchanged and the server under test sees the relay as the provider.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

const MOCK_VERSION: &str = "0.3.4";
const RELAY_KID: &str = "mentorsti-test-relay";
const STRANGER_KID: &str = "mentorsti-test-stranger";

pub type Claims = Map<String, Value>;

/// How a forged id_token is signed.
#[derive(Clone, Copy, Debug)]
pub enum Signer {
    /// The relay's key, which the JWKS publishes once forging has started: a valid signature.
    Relay,
    /// A key nobody publishes, under a kid the JWKS does not have.
    Stranger,
    /// `alg: none` and an empty signature.
    Unsigned,
    /// The signature the token had before its claims were changed.
    Original,
}

struct Forgery {
    signer: Signer,
    edit: Box<dyn FnOnce(&mut Claims) + Send>,
}

#[derive(Default)]
struct RelayState {
    forging: bool,
    next: Option<Forgery>,
    last_claims: Option<Claims>,
}

struct Relay {
    provider: String,
    state: Arc<Mutex<RelayState>>,
    http: reqwest::Client,
}

pub struct OidcRig {
    provider: Mutex<Option<Child>>,
    provider_url: String,
    provider_log: PathBuf,
    relay_url: String,
    relay: actix_web::dev::ServerHandle,
    state: Arc<Mutex<RelayState>>,
    http: reqwest::Client,
}

fn fixture(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oidc/");
    std::fs::read_to_string(format!("{path}{name}")).expect("read an OIDC fixture")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn mock_importable() -> bool {
    Command::new("python3")
        .args(["-c", "import oidc_provider_mock"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Installs the mock with pip when Python cannot import it (once per test process).
fn ensure_mock_installed() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if mock_importable() {
            return;
        }
        let installed = Command::new("python3")
            .args(["-m", "pip", "install", "-q"])
            .arg(format!("oidc-provider-mock=={MOCK_VERSION}"))
            .status()
            .expect("run pip");
        assert!(
            installed.success() && mock_importable(),
            "oidc-provider-mock {MOCK_VERSION} could not be installed"
        );
    });
}

impl OidcRig {
    /// Starts the provider and the relay, and waits until the provider answers through the relay.
    pub async fn start() -> Self {
        ensure_mock_installed();
        let port = free_port();
        let provider_log = std::env::temp_dir().join(format!("oidc-provider-mock-{port}.log"));
        let log = std::fs::File::create(&provider_log).expect("create the provider's log");
        let child = Command::new("python3")
            .args(["-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start python3 -m oidc_provider_mock");
        let provider_url = format!("http://127.0.0.1:{port}");

        let state = Arc::new(Mutex::new(RelayState::default()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let relay_url = format!("http://{}", listener.local_addr().unwrap());
        let relay_state = state.clone();
        let provider = provider_url.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(Relay {
                    provider: provider.clone(),
                    state: relay_state.clone(),
                    http: reqwest::Client::builder()
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                        .unwrap(),
                }))
                .default_service(web::to(pass_on))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen on the relay's port")
        .run();
        let relay = server.handle();
        tokio::spawn(server);

        let rig = OidcRig {
            provider: Mutex::new(Some(child)),
            provider_url,
            provider_log,
            relay_url,
            relay,
            state,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        rig.wait_until_ready().await;
        rig
    }

    async fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let discovery = format!("{}/.well-known/openid-configuration", self.relay_url);
        loop {
            let answer = self.http.get(&discovery).send().await;
            if let Ok(answer) = answer {
                if answer.status() == 200 {
                    let document: Value = answer.json().await.unwrap();
                    assert_eq!(
                        document["issuer"], self.relay_url,
                        "the issuer is the relay"
                    );
                    return;
                }
            }
            if let Some(child) = self.provider.lock().unwrap().as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("the OIDC provider exited ({status}): {}", self.log());
                }
            }
            assert!(
                Instant::now() < deadline,
                "the OIDC provider did not answer in 30 s: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.provider_log).unwrap_or_default()
    }

    /// The issuer the server under test is given: the relay.
    pub fn issuer(&self) -> &str {
        &self.relay_url
    }

    /// Configures the app for this provider under `name`, beside any provider already there.
    pub fn configure(&self, vars: &mut HashMap<String, String>, name: &str, label: &str) {
        let providers = match vars.get("OIDC_PROVIDERS") {
            Some(names) if !names.is_empty() => format!("{names},{name}"),
            _ => name.to_owned(),
        };
        vars.insert("OIDC_PROVIDERS".into(), providers);
        let prefix = format!("OIDC_{}_", name.to_ascii_uppercase().replace('-', "_"));
        for (suffix, value) in [
            ("ISSUER", self.issuer().to_owned()),
            ("CLIENT_ID", format!("mentorsti-{name}")),
            ("CLIENT_SECRET", format!("hemmelig-{name}-0123456789")),
            ("LABEL", label.to_owned()),
        ] {
            vars.insert(format!("{prefix}{suffix}"), value);
        }
    }

    /// Sets the claims the provider gives `sub` (besides `sub` itself) from now on.
    pub async fn set_user(&self, sub: &str, claims: Value) {
        let answer = self
            .http
            .put(format!("{}/users/{sub}", self.provider_url))
            .json(&claims)
            .send()
            .await
            .expect("reach the provider");
        assert_eq!(answer.status(), 204, "set the provider's user {sub}");
    }

    /// Signs `sub` in on the provider's authorization form, as a person would; returns where the
    /// provider sends the browser back to (the redirect URI with `code` and `state`).
    pub async fn authorize(
        &self,
        client: &reqwest::Client,
        authorize_url: &str,
        sub: &str,
    ) -> String {
        self.submit_form(client, authorize_url, &[("sub", sub)])
            .await
    }

    /// The person refuses on the provider's form; returns the redirect URI with `error`.
    pub async fn deny(&self, client: &reqwest::Client, authorize_url: &str) -> String {
        self.submit_form(client, authorize_url, &[("action", "deny")])
            .await
    }

    async fn submit_form(
        &self,
        client: &reqwest::Client,
        authorize_url: &str,
        form: &[(&str, &str)],
    ) -> String {
        assert!(
            authorize_url.starts_with(&self.relay_url),
            "{authorize_url} is not the provider's"
        );
        let page = client.get(authorize_url).send().await.unwrap();
        assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
        assert!(page.text().await.unwrap().contains("Authorize Client"));
        let answer = client.post(authorize_url).form(form).send().await.unwrap();
        assert_eq!(answer.status(), 302, "{}", answer.text().await.unwrap());
        answer.headers()["location"].to_str().unwrap().to_owned()
    }

    /// From now on the JWKS publishes the relay's key alone, and every id_token is signed with it
    /// (the provider's tokens have no kid: beside a second key they would be ambiguous).
    /// Start before the server under test has read the JWKS.
    pub fn start_forging(&self) {
        self.state.lock().unwrap().forging = true;
    }

    /// Changes the next id_token the provider issues: `edit` changes its claims, `signer` signs it.
    pub fn forge(&self, signer: Signer, edit: impl FnOnce(&mut Claims) + Send + 'static) {
        let mut state = self.state.lock().unwrap();
        assert!(state.forging, "forge after start_forging");
        state.next = Some(Forgery {
            signer,
            edit: Box::new(edit),
        });
    }

    /// The claims of the last id_token the provider issued, as it issued them.
    pub fn last_claims(&self) -> Claims {
        self.state
            .lock()
            .unwrap()
            .last_claims
            .clone()
            .expect("the provider has issued an id_token")
    }

    /// Kills the provider; the relay then answers 502.
    pub fn stop_provider(&self) {
        if let Some(mut child) = self.provider.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OidcRig {
    fn drop(&mut self) {
        self.stop_provider();
        // Sends the stop at once; nothing is left to wait for it.
        drop(self.relay.stop(false));
        let _ = std::fs::remove_file(&self.provider_log);
    }
}

const HOP_BY_HOP: [&str; 5] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "accept-encoding",
];

/// Passes a request on to the provider unchanged (Host included) and its answer back, forging
/// the JWKS and the id_token where the rig says so.
async fn pass_on(request: HttpRequest, body: web::Bytes, relay: web::Data<Relay>) -> HttpResponse {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes()).unwrap();
    let mut outgoing = relay
        .http
        .request(method, format!("{}{path_and_query}", relay.provider));
    for (name, value) in request.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = match outgoing.body(body.to_vec()).send().await {
        Ok(answer) => answer,
        Err(error) => {
            return HttpResponse::BadGateway().body(format!("provider unreachable: {error}"))
        }
    };
    let status = answer.status().as_u16();
    let headers: Vec<(String, Vec<u8>)> = answer
        .headers()
        .iter()
        .filter(|(name, _)| !HOP_BY_HOP.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let Ok(mut bytes) = answer.bytes().await.map(|b| b.to_vec()) else {
        return HttpResponse::BadGateway().body("the provider's answer broke off");
    };
    let path = request.uri().path();
    if path == "/jwks" && relay.state.lock().unwrap().forging {
        let key: Value = serde_json::from_str(&fixture("relay-jwk.json")).unwrap();
        bytes = serde_json::to_vec(&serde_json::json!({"keys": [key]})).unwrap();
    } else if path == "/oauth2/token" && status == 200 {
        bytes = rewrite_token_answer(&relay.state, &bytes);
    }
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    for (name, value) in headers {
        response.append_header((name, value));
    }
    response.body(bytes)
}

/// Notes the id_token's claims and, when forging, re-signs it (edited if a forgery waits).
fn rewrite_token_answer(state: &Mutex<RelayState>, bytes: &[u8]) -> Vec<u8> {
    let Ok(mut answer) = serde_json::from_slice::<Value>(bytes) else {
        return bytes.to_vec();
    };
    let Some(id_token) = answer["id_token"].as_str().map(str::to_owned) else {
        return bytes.to_vec();
    };
    let payload = id_token.split('.').nth(1).expect("a JWT has a payload");
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let (forging, forgery) = {
        let mut state = state.lock().unwrap();
        state.last_claims = Some(claims.clone());
        (state.forging, state.next.take())
    };
    if !forging {
        return bytes.to_vec();
    }
    // The token as the relay passes it on when nothing is forged: the same claims, its key.
    let honest = sign(&claims, "relay-key.pem", RELAY_KID);
    let forged = match forgery {
        None => honest,
        Some(Forgery { signer, edit }) => {
            let mut edited = claims.clone();
            edit(&mut edited);
            match signer {
                Signer::Relay => sign(&edited, "relay-key.pem", RELAY_KID),
                Signer::Stranger => sign(&edited, "stranger-key.pem", STRANGER_KID),
                Signer::Unsigned => {
                    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
                    format!("{header}.{}.", encode_claims(&edited))
                }
                Signer::Original => {
                    let mut honest = honest.split('.');
                    let header = honest.next().unwrap();
                    let signature = honest.nth(1).unwrap();
                    format!("{header}.{}.{signature}", encode_claims(&edited))
                }
            }
        }
    };
    answer["id_token"] = Value::String(forged);
    serde_json::to_vec(&answer).unwrap()
}

fn encode_claims(claims: &Claims) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
}

fn sign(claims: &Claims, key_file: &str, kid: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(fixture(key_file).as_bytes())
        .expect("an RSA key in PEM");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("sign the id_token")
}
