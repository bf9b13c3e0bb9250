//! The first-party web client for mentors and staff: plain files under `web/`, embedded in
//! the binary at compile time and served at `/` with a strict CSP of their own.
//!
//! Assets live under `/assets/<version>/`, where the version is a digest of all of them, so they
//! can be cached for a year; `index.html` (and every client path that falls back to it) is
//! revalidated on each visit, so a new binary's client is picked up at once.

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

struct Client {
    version: String,
    index: String,
}

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let mut digest = Sha256::new();
        for asset in ASSETS {
            digest.update(asset.name.as_bytes());
            digest.update(asset.body);
        }
        let version: String = digest
            .finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        let index = INDEX_TEMPLATE.replace("/assets/VERSION/", &format!("/assets/{version}/"));
        Client { version, index }
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(index)))
        .service(web::resource("/assets/{version}/{name:.*}").route(web::get().to(asset)));
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

    #[test]
    fn screens_are_recognised_by_their_first_segment() {
        assert!(is_screen("/reset-password"));
        assert!(is_screen("/modules/2/hva-er-veiledning"));
        assert!(!is_screen("/api/v1/nothing"));
        assert!(!is_screen("/wp-admin"));
    }
}
