//! HTTP for administrators and coordinators, one module per resource: `/admin/ushts`,
//! `/admin/municipalities`, `/admin/invitations`, the follow-up of mentors (progress, the
//! report, nudges) and `/admin/users/{id}/role`. Each handler extracts the request, calls one
//! service function and maps its answer.

pub mod follow_up;
pub mod invitations;
pub mod municipalities;
pub mod users;
pub mod ushts;

use actix_web::web;

use crate::http::pagination::Page;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/ushts")
            .route(web::post().to(ushts::create_usht))
            .route(web::get().to(ushts::list_ushts)),
    )
    .service(
        web::resource("/admin/ushts/{id}/coordinators")
            .route(web::post().to(invitations::invite_coordinator)),
    )
    .service(
        web::resource("/admin/ushts/{id}/progress").route(web::get().to(follow_up::usht_progress)),
    )
    .service(
        web::resource("/admin/municipalities")
            .route(web::post().to(municipalities::enroll_municipality))
            .route(web::get().to(municipalities::list_municipalities)),
    )
    .service(
        web::resource("/admin/municipalities/{id}")
            .route(web::get().to(municipalities::get_municipality)),
    )
    .service(
        web::resource("/admin/municipalities/{id}/progress")
            .route(web::get().to(follow_up::municipality_progress)),
    )
    .service(
        web::resource("/admin/municipalities/{id}/nudges").route(web::post().to(follow_up::nudge)),
    )
    .service(
        web::resource("/admin/invitations")
            .route(web::post().to(invitations::invite_mentors))
            .route(web::get().to(invitations::list_invitations)),
    )
    .service(
        web::resource("/admin/invitations/csv")
            .route(web::post().to(invitations::invite_mentors_csv)),
    )
    .service(
        web::resource("/admin/invitations/{id}/resend")
            .route(web::post().to(invitations::resend_invitation)),
    )
    .service(
        web::resource("/admin/reports/progress.csv").route(web::get().to(follow_up::progress_csv)),
    )
    .service(web::resource("/admin/users/{id}/role").route(web::post().to(users::change_role)));
}

/// A page of what the service found, as the API shows it.
fn page_view<T, V: From<T>>(page: Page<T>) -> Page<V> {
    Page {
        items: page.items.into_iter().map(V::from).collect(),
        next_cursor: page.next_cursor,
    }
}
