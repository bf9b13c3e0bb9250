-- A retried POST or PUT with the same Idempotency-Key gets the first answer again, for every
-- route a client may retry (not only webinar registrations). A row is claimed before the
-- request runs (`locked_until` while it runs) and holds the answer once it has one. Stored
-- answers are sealed like answers and notes: they may repeat what a mentor wrote.
-- Rows live 24 hours; the ones kept from before this change are dropped.
DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys
    DROP COLUMN scope,
    DROP COLUMN response,
    ALTER COLUMN status_code DROP NOT NULL,
    ALTER COLUMN created_at DROP DEFAULT,
    ADD COLUMN fingerprint bytea NOT NULL CHECK (length(fingerprint) = 32),
    ADD COLUMN locked_until timestamptz NOT NULL,
    ADD COLUMN headers jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(headers) = 'object'),
    ADD COLUMN body_ciphertext bytea,
    ADD COLUMN key_id text,
    ADD CONSTRAINT idempotency_keys_status_code_check
        CHECK (status_code IS NULL OR status_code BETWEEN 200 AND 499),
    ADD CONSTRAINT idempotency_keys_answer_sealed
        CHECK ((body_ciphertext IS NULL) = (key_id IS NULL)),
    ADD CONSTRAINT idempotency_keys_answer_complete
        CHECK (status_code IS NOT NULL OR body_ciphertext IS NULL);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- What a person writes carries a revision, the ETag a PUT with If-Match must name.
ALTER TABLE reflection_answers ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision > 0);
ALTER TABLE reflection_notes ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision > 0);
