-- Reminders are known again by their dedupe key only.
DROP INDEX mail_outbox_pending_session_idx;
DROP INDEX mail_outbox_pending_registration_idx;
ALTER TABLE mail_outbox
    DROP CONSTRAINT mail_outbox_reminder_whole,
    DROP COLUMN reminder,
    DROP COLUMN webinar_session_id,
    DROP COLUMN webinar_registration_id;
