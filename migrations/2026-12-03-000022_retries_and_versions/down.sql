ALTER TABLE reflection_notes DROP COLUMN revision;
ALTER TABLE reflection_answers DROP COLUMN revision;

DELETE FROM idempotency_keys;
DROP INDEX idempotency_keys_created_at;
ALTER TABLE idempotency_keys
    DROP CONSTRAINT idempotency_keys_answer_complete,
    DROP CONSTRAINT idempotency_keys_answer_sealed,
    DROP CONSTRAINT idempotency_keys_status_code_check,
    DROP COLUMN key_id,
    DROP COLUMN body_ciphertext,
    DROP COLUMN headers,
    DROP COLUMN locked_until,
    DROP COLUMN fingerprint,
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN status_code SET NOT NULL,
    ADD COLUMN scope text NOT NULL,
    ADD COLUMN response jsonb NOT NULL;
