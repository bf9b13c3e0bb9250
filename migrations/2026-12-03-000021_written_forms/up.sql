-- Bokmål and nynorsk. Each person and each invitation has a written form; a course revision
-- keeps its first form (bokmål) in the content tables as before, and every other form's text in
-- the translation tables below, which can only name modules, pages and subtitles the revision
-- has: the structure (slugs, block ids, films) is the revision's, whatever the form.

ALTER TABLE users
    ADD COLUMN language text NOT NULL DEFAULT 'nb' CHECK (language IN ('nb', 'nn'));
ALTER TABLE invitations
    ADD COLUMN language text NOT NULL DEFAULT 'nb' CHECK (language IN ('nb', 'nn'));
ALTER TABLE signups
    ADD COLUMN language text NOT NULL DEFAULT 'nb' CHECK (language IN ('nb', 'nn'));

CREATE TABLE content_translations (
    revision_id uuid NOT NULL REFERENCES content_revisions (id) ON DELETE CASCADE,
    language text NOT NULL CHECK (language IN ('nn')),
    title text NOT NULL,
    description text NOT NULL,
    literature jsonb NOT NULL,
    PRIMARY KEY (revision_id, language)
);

CREATE TABLE content_module_translations (
    revision_id uuid NOT NULL,
    language text NOT NULL,
    number integer NOT NULL,
    title text NOT NULL,
    summary text NOT NULL,
    outcomes jsonb NOT NULL,
    PRIMARY KEY (revision_id, language, number),
    FOREIGN KEY (revision_id, language)
        REFERENCES content_translations (revision_id, language) ON DELETE CASCADE,
    FOREIGN KEY (revision_id, number)
        REFERENCES content_modules (revision_id, number) ON DELETE CASCADE
);

CREATE TABLE content_page_translations (
    revision_id uuid NOT NULL,
    language text NOT NULL,
    slug text NOT NULL,
    title text NOT NULL,
    html text NOT NULL,
    blocks jsonb NOT NULL,
    PRIMARY KEY (revision_id, language, slug),
    FOREIGN KEY (revision_id, language)
        REFERENCES content_translations (revision_id, language) ON DELETE CASCADE,
    FOREIGN KEY (revision_id, slug)
        REFERENCES content_pages (revision_id, slug) ON DELETE CASCADE
);

CREATE TABLE content_subtitle_translations (
    revision_id uuid NOT NULL,
    language text NOT NULL,
    name text NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (revision_id, language, name),
    FOREIGN KEY (revision_id, language)
        REFERENCES content_translations (revision_id, language) ON DELETE CASCADE,
    FOREIGN KEY (revision_id, name)
        REFERENCES content_subtitles (revision_id, name) ON DELETE CASCADE
);

CREATE TRIGGER content_translations_immutable BEFORE UPDATE ON content_translations
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();
CREATE TRIGGER content_module_translations_immutable BEFORE UPDATE ON content_module_translations
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();
CREATE TRIGGER content_page_translations_immutable BEFORE UPDATE ON content_page_translations
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();
CREATE TRIGGER content_subtitle_translations_immutable BEFORE UPDATE ON content_subtitle_translations
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();
