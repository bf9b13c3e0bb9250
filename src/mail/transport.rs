//! Where mail goes: SMTP (`SMTP_URL`), one `.eml` file per message (`MAIL_DIR`), or the log.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::outbox::{Attachment, OutboxMail};
use crate::config::{MailConfig, MailTransport};

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    message_id_domain: String,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    Log,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> anyhow::Result<Self> {
        let transport = match &config.transport {
            MailTransport::Smtp { url } => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            ),
            MailTransport::File { dir } => {
                std::fs::create_dir_all(dir)?;
                Transport::File(AsyncFileTransport::<Tokio1Executor>::new(dir))
            }
            MailTransport::Log => Transport::Log,
        };
        Ok(Self {
            message_id_domain: config.from.email.domain().to_owned(),
            from: config.from.clone(),
            transport,
        })
    }

    /// Builds the MIME message; its Message-ID is the outbox id, so a receiver can tell a
    /// re-delivery after a crash from a new mail.
    pub fn build(&self, mail: &OutboxMail) -> anyhow::Result<Message> {
        let to: Mailbox = mail.recipient.parse()?;
        let alternative = MultiPart::alternative()
            .singlepart(SinglePart::plain(mail.body_text.clone()))
            .singlepart(SinglePart::html(mail.body_html.clone()));
        let attachments: Vec<Attachment> = serde_json::from_value(mail.attachments.clone())?;
        let body = if attachments.is_empty() {
            alternative
        } else {
            let mut mixed = MultiPart::mixed().multipart(alternative);
            for attachment in attachments {
                mixed = mixed.singlepart(LettreAttachment::new(attachment.filename).body(
                    attachment.content,
                    ContentType::parse(&attachment.content_type)?,
                ));
            }
            mixed
        };
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}@{}>", mail.id, self.message_id_domain)))
            .multipart(body)?)
    }

    pub async fn send(&self, mail: &OutboxMail) -> anyhow::Result<()> {
        let message = self.build(mail)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::File(file) => {
                file.send(message).await?;
            }
            Transport::Log => {
                tracing::info!(mail_id = %mail.id, subject = %mail.subject, "mail (log transport)");
            }
        }
        Ok(())
    }
}
