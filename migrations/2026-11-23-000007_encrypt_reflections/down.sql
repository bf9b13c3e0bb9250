-- Only the application can decrypt: run `mentorsti keys decrypt` first, which puts the plaintext
-- back into `body`. Reverting with sealed rows left would lose them, so it is refused.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM reflection_answers WHERE body IS NULL)
        OR EXISTS (SELECT 1 FROM reflection_notes WHERE body IS NULL) THEN
        RAISE EXCEPTION 'reflection texts are encrypted: run `mentorsti keys decrypt` before reverting this migration';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION reflection_note_submitted_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'submitted' THEN
        RAISE EXCEPTION 'a submitted reflection note cannot be changed';
    END IF;
    RETURN NEW;
END;
$$;

DROP INDEX reflection_notes_plaintext;
DROP INDEX reflection_answers_plaintext;

ALTER TABLE reflection_notes
    DROP CONSTRAINT reflection_notes_submitted_ciphertext_length,
    DROP CONSTRAINT reflection_notes_ciphertext_length,
    DROP CONSTRAINT reflection_notes_has_body,
    DROP CONSTRAINT reflection_notes_sealed_whole,
    DROP COLUMN key_id,
    DROP COLUMN body_ciphertext,
    ALTER COLUMN body SET NOT NULL;

ALTER TABLE reflection_answers
    DROP CONSTRAINT reflection_answers_ciphertext_length,
    DROP CONSTRAINT reflection_answers_has_body,
    DROP CONSTRAINT reflection_answers_sealed_whole,
    DROP COLUMN key_id,
    DROP COLUMN body_ciphertext,
    ALTER COLUMN body SET NOT NULL;
