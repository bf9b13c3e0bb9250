-- Course revisions (immutable once imported), the pointer to the published one, and the
-- mentors' progress along the learning path.

CREATE TABLE content_revisions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    source text NOT NULL CHECK (source IN ('bundled', 'cli', 'upload', 'server')),
    digest text NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    literature jsonb NOT NULL,
    total_minutes integer NOT NULL CHECK (total_minutes >= 0),
    published_at timestamptz
);

CREATE TABLE content_modules (
    revision_id uuid NOT NULL REFERENCES content_revisions (id) ON DELETE CASCADE,
    number integer NOT NULL CHECK (number > 0),
    slug text NOT NULL,
    title text NOT NULL,
    summary text NOT NULL,
    skippable boolean NOT NULL,
    estimated_minutes integer NOT NULL CHECK (estimated_minutes >= 0),
    PRIMARY KEY (revision_id, number),
    UNIQUE (revision_id, slug)
);

CREATE TABLE content_pages (
    revision_id uuid NOT NULL,
    module_number integer NOT NULL,
    position integer NOT NULL CHECK (position > 0),
    slug text NOT NULL,
    title text NOT NULL,
    estimated_minutes integer NOT NULL CHECK (estimated_minutes > 0),
    html text NOT NULL,
    blocks jsonb NOT NULL,
    PRIMARY KEY (revision_id, slug),
    UNIQUE (revision_id, module_number, position),
    FOREIGN KEY (revision_id, module_number) REFERENCES content_modules (revision_id, number) ON DELETE CASCADE
);

CREATE TABLE content_subtitles (
    revision_id uuid NOT NULL REFERENCES content_revisions (id) ON DELETE CASCADE,
    name text NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (revision_id, name)
);

-- Exactly one row: the published revision. Publishing moves this pointer in one transaction.
CREATE TABLE content_current (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision_id uuid NOT NULL REFERENCES content_revisions (id),
    published_at timestamptz NOT NULL DEFAULT now()
);

-- A revision's modules, pages and subtitles never change once written.
CREATE FUNCTION content_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'content revisions are immutable (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER content_modules_immutable BEFORE UPDATE ON content_modules
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();
CREATE TRIGGER content_pages_immutable BEFORE UPDATE ON content_pages
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();
CREATE TRIGGER content_subtitles_immutable BEFORE UPDATE ON content_subtitles
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();

-- Progress refers to page slugs and module numbers, which are stable across revisions.
CREATE TABLE page_completions (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    page_slug text NOT NULL,
    module_number integer NOT NULL,
    completed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, page_slug)
);

CREATE TABLE module_skips (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    module_number integer NOT NULL,
    skipped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, module_number)
);

-- Set once, when the whole path is first done; a later revision adding pages does not undo it.
CREATE TABLE path_completions (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    completed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reflection_answers (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    page_slug text NOT NULL,
    question_id text NOT NULL,
    body text NOT NULL CHECK (char_length(body) <= 20000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, page_slug, question_id)
);
