//! HTTP for administrators and coordinators, one module per resource: `/admin/ushts`,
//! `/admin/municipalities`, `/admin/invitations`, the follow-up of mentors (progress, the
//! report, nudges) and `/admin/users/{id}/role`. Each handler extracts the request, calls one
//! service function and maps its answer.

pub mod follow_up;
pub mod invitations;
pub mod municipalities;
pub mod users;
pub mod ushts;

use crate::http::api::Api;
use crate::http::pagination::Page;

pub fn routes(api: &mut Api) {
    api.route(ushts::__path_create_usht, ushts::create_usht);
    api.route(ushts::__path_list_ushts, ushts::list_ushts);
    api.route(ushts::__path_update_usht, ushts::update_usht);
    api.route(
        invitations::__path_invite_coordinator,
        invitations::invite_coordinator,
    );
    api.route(follow_up::__path_usht_progress, follow_up::usht_progress);
    api.route(
        municipalities::__path_enroll_municipality,
        municipalities::enroll_municipality,
    );
    api.route(
        municipalities::__path_municipality_register,
        municipalities::municipality_register,
    );
    api.route(
        municipalities::__path_list_municipalities,
        municipalities::list_municipalities,
    );
    api.route(
        municipalities::__path_get_municipality,
        municipalities::get_municipality,
    );
    api.route(
        follow_up::__path_municipality_progress,
        follow_up::municipality_progress,
    );
    api.route(follow_up::__path_nudge, follow_up::nudge);
    api.route(
        invitations::__path_invite_mentors,
        invitations::invite_mentors,
    );
    api.route(
        invitations::__path_list_invitations,
        invitations::list_invitations,
    );
    api.route(
        invitations::__path_invite_mentors_csv,
        invitations::invite_mentors_csv,
    );
    api.route(
        invitations::__path_resend_invitation,
        invitations::resend_invitation,
    );
    api.route(
        invitations::__path_withdraw_invitation,
        invitations::withdraw_invitation,
    );
    api.route(users::__path_list_staff, users::list_staff);
    api.route(follow_up::__path_nudge_preview, follow_up::nudge_preview);
    api.route(follow_up::__path_progress_csv, follow_up::progress_csv);
    api.route(users::__path_change_role, users::change_role);
}

/// A page of what the service found, as the API shows it.
fn page_view<T, V: From<T>>(page: Page<T>) -> Page<V> {
    Page {
        items: page.items.into_iter().map(V::from).collect(),
        next_cursor: page.next_cursor,
    }
}
