-- The one-time token of a mail (a reset, verification or invitation link) is no longer part of
-- the stored body: the body holds a placeholder and the token is sealed beside it (with the keys
-- of encryption at rest), put in at send time and dropped once the mail is sent or given up.
ALTER TABLE mail_outbox
    ADD COLUMN secret_ciphertext bytea,
    ADD COLUMN secret_key_id text,
    ADD CONSTRAINT mail_outbox_secret_whole CHECK ((secret_ciphertext IS NULL) = (secret_key_id IS NULL));

-- Mails already sent with a link in clear: their bodies are of no use any more.
UPDATE mail_outbox SET body_text = '', body_html = ''
 WHERE template IN ('password_reset', 'email_verification', 'mentor_invitation', 'coordinator_invitation')
   AND (sent_at IS NOT NULL OR failed_at IS NOT NULL);
