-- The reflection note, the entry ticket to module 5. Every version is kept; a submitted version
-- never changes, and a mentor has at most one draft at a time.
CREATE TABLE reflection_notes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version > 0),
    body text NOT NULL CHECK (char_length(body) <= 20000),
    status text NOT NULL CHECK (status IN ('draft', 'submitted')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    submitted_at timestamptz,
    CHECK ((status = 'submitted') = (submitted_at IS NOT NULL)),
    CHECK (status = 'draft' OR char_length(btrim(body)) >= 300),
    UNIQUE (user_id, version)
);
CREATE UNIQUE INDEX reflection_notes_one_draft ON reflection_notes (user_id) WHERE status = 'draft';

CREATE FUNCTION reflection_note_submitted_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'submitted' THEN
        RAISE EXCEPTION 'a submitted reflection note cannot be changed';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reflection_notes_final BEFORE UPDATE ON reflection_notes
    FOR EACH ROW EXECUTE FUNCTION reflection_note_submitted_is_final();
