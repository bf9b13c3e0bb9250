//! HTTP plumbing shared by every feature: JSON bodies, middleware, health and the API document.

pub mod api;
pub mod fields;
pub mod health;
pub mod idempotency;
pub mod json;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod precondition;

/// Runs work whose outcome the answer must not reveal after the answer has gone (a password
/// reset, a sign-up): every address then gets the same answer in the same time. A failure is
/// logged with what it was; the person asking can ask again.
pub fn after_the_answer(
    what: &'static str,
    work: impl std::future::Future<Output = crate::error::AppResult<()>> + 'static,
) {
    actix_web::rt::spawn(async move {
        if let Err(error) = work.await {
            tracing::error!(%error, what, "work after the answer failed");
        }
    });
}
