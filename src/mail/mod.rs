//! Email: bokmål templates, the transactional outbox, the worker that drains it, and transports.

pub mod outbox;
pub mod templates;
pub mod transport;
pub mod worker;

pub use outbox::{enqueue, record_of, Attachment, MailRecord, NewMail, SECRET_PLACEHOLDER};
pub use templates::RenderedMail;
pub use transport::Mailer;
