//! The first-party web client for mentors and staff: plain files under `web/`, embedded in
//! the binary at compile time and served at `/` with a strict CSP of their own.
//!
//! Assets live under `/assets/<version>/`, where the version is a digest of all of them, so they
//! can be cached for a year; `index.html` (and every client path that falls back to it) is
//! revalidated on each visit, so a new binary's client is picked up at once.
//!
//! To be installed as an app and read offline, the client also has a web app manifest, icons and
//! a service worker at `/sw.js` (at the root, so its scope is the whole client). The worker's
//! bytes carry the version, so every binary with a changed client is a new worker.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::error::problem_response;

/// No inline script or style; films come from external https hosts, subtitles from the API.
pub const CLIENT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; media-src 'self' https:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// First path segments the client handles itself (emails link to `/<screen>?token=`).
const SCREENS: &[&str] = &[
    "sign-in",
    "forgot-password",
    "reset-password",
    "sign-in-link",
    "invitation",
    "verify-email",
    "path",
    "modules",
    "literature",
    "note",
    "webinars",
    "certificate",
    "profile",
    "coordinator",
    "facilitator",
    "admin",
];

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("autosave.js", JS),
    asset!("outbox.js", JS),
    asset!("screens/auth.js", JS),
    asset!("screens/learning.js", JS),
    asset!("screens/note.js", JS),
    asset!("screens/webinars.js", JS),
    asset!("screens/profile.js", JS),
    // The written forms: the nynorsk catalogues are fetched only by those who read nynorsk.
    asset!("i18n.js", JS),
    asset!("i18n/nn.js", JS),
    // Staff screens: loaded only when a staff member opens one.
    asset!("screens/staff/staff.css", "text/css; charset=utf-8"),
    asset!("screens/staff/common.js", JS),
    asset!("screens/staff/coordinator.js", JS),
    asset!("screens/staff/invitations.js", JS),
    asset!("screens/staff/progress.js", JS),
    asset!("screens/staff/facilitator.js", JS),
    asset!("screens/staff/admin.js", JS),
    asset!("screens/staff/series.js", JS),
    asset!("screens/staff/content.js", JS),
    asset!("i18n/nn-staff.js", JS),
];

const INDEX_TEMPLATE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/index.html"));
const WORKER_TEMPLATE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/sw.js"));
const MANIFEST: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/web/manifest.webmanifest"
));
const MANIFEST_TYPE: &str = "application/manifest+json";

/// The app's icons, at addresses that stay the same from one version to the next (an installed
/// app would otherwise be updated on the phone with every release).
static ICONS: &[Asset] = &[
    asset!("icons/icon.svg", "image/svg+xml"),
    asset!("icons/icon-192.png", "image/png"),
    asset!("icons/icon-512.png", "image/png"),
    asset!("icons/maskable-512.png", "image/png"),
    asset!("icons/apple-touch-icon.png", "image/png"),
];

struct Client {
    version: String,
    index: String,
    worker: String,
}

/// The worker with the client's version written in: `const VERSION = 'VERSION';` in `web/sw.js`.
fn worker_for(template: &str, version: &str) -> String {
    template.replace("'VERSION'", &format!("'{version}'"))
}

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let mut digest = Sha256::new();
        for asset in ASSETS {
            digest.update(asset.name.as_bytes());
            digest.update(asset.body);
        }
        // A changed worker is a new version too, so its caches are renewed with it.
        digest.update(WORKER_TEMPLATE.as_bytes());
        let version: String = digest
            .finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        let index = INDEX_TEMPLATE.replace("/assets/VERSION/", &format!("/assets/{version}/"));
        let worker = worker_for(WORKER_TEMPLATE, &version);
        Client {
            version,
            index,
            worker,
        }
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(index)))
        .service(web::resource("/assets/{version}/{name:.*}").route(web::get().to(asset)))
        .service(web::resource("/sw.js").route(web::get().to(worker)))
        .service(web::resource("/manifest.webmanifest").route(web::get().to(manifest)))
        .service(web::resource("/icons/{name}").route(web::get().to(icon)));
}

/// Whether a path (outside the API) is one of the client's screens, to answer with the client.
pub fn is_screen(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    SCREENS.contains(&first)
}

/// The client's page, revalidated on every visit: a 304 when it has not changed (the ETag is the
/// assets' digest), which on a weak network is a fraction of the page.
pub async fn index(req: HttpRequest) -> HttpResponse {
    let etag = format!("\"{}\"", client().version);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CONTENT_SECURITY_POLICY, CLIENT_CSP));
    if unchanged {
        return response.finish();
    }
    response
        .content_type("text/html; charset=utf-8")
        .body(client().index.as_str())
}

async fn asset(path: web::Path<(String, String)>) -> HttpResponse {
    let (version, name) = path.into_inner();
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return problem_response(StatusCode::NOT_FOUND, "not_found", "No such resource.");
    };
    if let Some(body) = from_working_tree(asset.name) {
        return HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::CONTENT_SECURITY_POLICY, CLIENT_CSP))
            .body(body);
    }
    // An older page may still ask for an earlier version: answer with today's file, uncached.
    let cache = if version == client().version {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, CLIENT_CSP))
        .body(asset.body)
}

/// The service worker, revalidated on every check (browsers look for a new one on each visit),
/// under the client's CSP, which limits what the worker itself may fetch.
async fn worker() -> HttpResponse {
    let body = match from_working_tree("sw.js") {
        Some(bytes) => worker_for(&String::from_utf8_lossy(&bytes), &client().version),
        None => client().worker.clone(),
    };
    HttpResponse::Ok()
        .content_type(JS)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CLIENT_CSP))
        .body(body)
}

async fn manifest() -> HttpResponse {
    let body = from_working_tree("manifest.webmanifest").unwrap_or_else(|| MANIFEST.into());
    HttpResponse::Ok()
        .content_type(MANIFEST_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

async fn icon(name: web::Path<String>) -> HttpResponse {
    let name = format!("icons/{}", name.into_inner());
    let Some(icon) = ICONS.iter().find(|i| i.name == name) else {
        return problem_response(StatusCode::NOT_FOUND, "not_found", "No such resource.");
    };
    HttpResponse::Ok()
        .content_type(icon.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(icon.body)
}

/// For working on the client: a debug build started with `MENTORSTI_DEV_CLIENT_DIR=web` serves
/// the assets from that directory as they are now, so a reload shows an edit without a rebuild.
/// Release builds have no such switch.
#[cfg(debug_assertions)]
fn from_working_tree(name: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("MENTORSTI_DEV_CLIENT_DIR")?;
    std::fs::read(std::path::Path::new(&dir).join(name)).ok()
}

#[cfg(not(debug_assertions))]
fn from_working_tree(_name: &str) -> Option<Vec<u8>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_points_at_versioned_assets_that_exist() {
        let index = &client().index;
        assert!(!index.contains("VERSION"));
        for asset in ["style.css", "app.js"] {
            assert!(index.contains(&format!("/assets/{}/{asset}", client().version)));
        }
        assert!(
            !index.contains("<script>"),
            "no inline script under the CSP"
        );
    }

    #[actix_web::test]
    async fn the_worker_carries_the_version_and_is_revalidated() {
        let response = worker().await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-cache");
        assert_eq!(
            headers.get(header::CONTENT_SECURITY_POLICY).unwrap(),
            CLIENT_CSP
        );
        assert!(headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let body = std::str::from_utf8(&body).unwrap();
        assert!(body.contains(&format!("const VERSION = '{}';", client().version)));
        assert!(!body.contains("'VERSION'"));
        // The worker must never keep films or touch writes: it leaves everything but GET alone,
        // and ranged requests (how a player streams a film) too.
        assert!(body.contains("request.method !== 'GET' || request.headers.has('range')"));
    }

    #[actix_web::test]
    async fn the_manifest_names_the_app_and_icons_that_exist() {
        let response = manifest().await;
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            MANIFEST_TYPE
        );
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(manifest["name"], "Mentoropplæring i lindrende behandling");
        assert_eq!(manifest["short_name"], "Mentoropplæring");
        assert_eq!(manifest["lang"], "nb");
        assert_eq!(manifest["start_url"], "/");
        assert_eq!(manifest["scope"], "/");
        assert_eq!(manifest["display"], "standalone");
        let icons = manifest["icons"].as_array().unwrap();
        for (size, purpose) in [
            ("192x192", "any"),
            ("512x512", "any"),
            ("512x512", "maskable"),
        ] {
            assert!(
                icons.iter().any(|i| i["sizes"] == size
                    && i["purpose"] == purpose
                    && i["type"] == "image/png"),
                "a {purpose} PNG icon of {size}"
            );
        }
        for icon in icons {
            let src = icon["src"].as_str().unwrap();
            let name = src
                .strip_prefix("/icons/")
                .expect("icons are under /icons/");
            let response = super::icon(web::Path::from(name.to_owned())).await;
            assert_eq!(response.status(), StatusCode::OK, "{src}");
            assert_eq!(
                response.headers().get(header::CONTENT_TYPE).unwrap(),
                icon["type"].as_str().unwrap()
            );
        }
    }

    #[test]
    fn the_png_icons_are_the_size_they_say() {
        for (name, side) in [
            ("icons/icon-192.png", 192),
            ("icons/icon-512.png", 512),
            ("icons/maskable-512.png", 512),
            ("icons/apple-touch-icon.png", 180),
        ] {
            let body = ICONS.iter().find(|i| i.name == name).unwrap().body;
            assert_eq!(&body[..8], b"\x89PNG\r\n\x1a\n", "{name} is a PNG");
            // The IHDR chunk: width and height, big-endian, at bytes 16..24.
            let width = u32::from_be_bytes(body[16..20].try_into().unwrap());
            let height = u32::from_be_bytes(body[20..24].try_into().unwrap());
            assert_eq!((width, height), (side, side), "{name}");
        }
    }

    #[test]
    fn the_index_links_the_manifest_and_icons() {
        let index = &client().index;
        assert!(index.contains(r#"<link rel="manifest" href="/manifest.webmanifest">"#));
        assert!(index.contains(r##"<meta name="theme-color" content="#073d53">"##));
        assert!(
            index.contains(r#"<link rel="apple-touch-icon" href="/icons/apple-touch-icon.png">"#)
        );
        assert!(!index.contains("data:,"), "a real favicon");
    }

    #[test]
    fn screens_are_recognised_by_their_first_segment() {
        assert!(is_screen("/reset-password"));
        assert!(is_screen("/modules/2/hva-er-veiledning"));
        assert!(!is_screen("/api/v1/nothing"));
        assert!(!is_screen("/wp-admin"));
    }
}
