-- Reflection answers and notes are stored sealed (AES-256-GCM, see src/encryption.rs):
-- `body_ciphertext` is format byte || nonce || ciphertext || tag, `key_id` names the key.
-- SQL cannot encrypt with the application's key, so `body` (the plaintext) becomes nullable and
-- the application, right after migrating at start, seals every row that still has plaintext and
-- clears it. New writes never store plaintext. A later migration may drop `body` altogether.

ALTER TABLE reflection_answers
    ALTER COLUMN body DROP NOT NULL,
    ADD COLUMN body_ciphertext bytea,
    ADD COLUMN key_id text,
    ADD CONSTRAINT reflection_answers_sealed_whole CHECK ((body_ciphertext IS NULL) = (key_id IS NULL)),
    ADD CONSTRAINT reflection_answers_has_body CHECK (body IS NOT NULL OR body_ciphertext IS NOT NULL),
    -- 20,000 characters are at most 80,000 bytes of UTF-8, plus 29 bytes of format, nonce and tag.
    ADD CONSTRAINT reflection_answers_ciphertext_length CHECK (octet_length(body_ciphertext) <= 80029);

ALTER TABLE reflection_notes
    ALTER COLUMN body DROP NOT NULL,
    ADD COLUMN body_ciphertext bytea,
    ADD COLUMN key_id text,
    ADD CONSTRAINT reflection_notes_sealed_whole CHECK ((body_ciphertext IS NULL) = (key_id IS NULL)),
    ADD CONSTRAINT reflection_notes_has_body CHECK (body IS NOT NULL OR body_ciphertext IS NOT NULL),
    ADD CONSTRAINT reflection_notes_ciphertext_length CHECK (octet_length(body_ciphertext) <= 80029),
    -- What the database can still check of "at least 300 characters when submitted".
    ADD CONSTRAINT reflection_notes_submitted_ciphertext_length
        CHECK (status = 'draft' OR body_ciphertext IS NULL OR octet_length(body_ciphertext) >= 329);

-- Rows still waiting to be sealed, found quickly at start.
CREATE INDEX reflection_answers_plaintext ON reflection_answers (user_id) WHERE body IS NOT NULL;
CREATE INDEX reflection_notes_plaintext ON reflection_notes (id) WHERE body IS NOT NULL;

-- A submitted note still never changes, except that its text may be sealed (plaintext cleared),
-- re-sealed under a new key (`mentorsti keys rotate`) or unsealed (`mentorsti keys decrypt`).
-- The database cannot see inside a ciphertext, so that the text stays the same is the
-- application's promise; its tag and the row-bound associated data catch tampering on reading.
CREATE OR REPLACE FUNCTION reflection_note_submitted_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'submitted' AND (
        (NEW.id, NEW.user_id, NEW.version, NEW.status, NEW.created_at, NEW.updated_at, NEW.submitted_at)
            IS DISTINCT FROM
        (OLD.id, OLD.user_id, OLD.version, OLD.status, OLD.created_at, OLD.updated_at, OLD.submitted_at)
        OR (OLD.body IS NOT NULL AND NEW.body IS NOT NULL AND NEW.body <> OLD.body)
    ) THEN
        RAISE EXCEPTION 'a submitted reflection note cannot be changed';
    END IF;
    RETURN NEW;
END;
$$;
