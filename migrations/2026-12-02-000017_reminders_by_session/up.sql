-- A webinar reminder in the outbox names its registration, session and kind in columns, so
-- that a cancelled registration or a moved or cancelled session drops its pending reminders by
-- these columns rather than by a pattern on the dedupe key (which still makes each enqueued once).
ALTER TABLE mail_outbox
    ADD COLUMN webinar_registration_id uuid REFERENCES webinar_registrations (id) ON DELETE CASCADE,
    ADD COLUMN webinar_session_id uuid REFERENCES webinar_sessions (id) ON DELETE CASCADE,
    ADD COLUMN reminder text CHECK (reminder IN ('week', 'day')),
    ADD CONSTRAINT mail_outbox_reminder_whole CHECK (
        (reminder IS NULL) = (webinar_registration_id IS NULL)
        AND (reminder IS NULL) = (webinar_session_id IS NULL));

-- Reminders already in the outbox: `reminder:{registration}:{session}:{kind}:{start}`.
UPDATE mail_outbox o
   SET webinar_registration_id = split_part(o.dedupe_key, ':', 2)::uuid,
       webinar_session_id = split_part(o.dedupe_key, ':', 3)::uuid,
       reminder = split_part(o.dedupe_key, ':', 4)
 WHERE o.dedupe_key ~ '^reminder:[0-9a-f-]{36}:[0-9a-f-]{36}:(week|day):-?[0-9]+$'
   AND EXISTS (SELECT 1 FROM webinar_registrations r
                WHERE r.id = split_part(o.dedupe_key, ':', 2)::uuid)
   AND EXISTS (SELECT 1 FROM webinar_sessions s
                WHERE s.id = split_part(o.dedupe_key, ':', 3)::uuid);

CREATE INDEX mail_outbox_pending_registration_idx ON mail_outbox (webinar_registration_id)
    WHERE sent_at IS NULL AND webinar_registration_id IS NOT NULL;
CREATE INDEX mail_outbox_pending_session_idx ON mail_outbox (webinar_session_id)
    WHERE sent_at IS NULL AND webinar_session_id IS NOT NULL;
