-- Films and posters stored with the course: content-addressed files (stored once however many
-- revisions use them), their bytes in chunks so a range request reads only what it needs, and
-- which revision uses which file under which name. Modules gain their learning outcomes.

CREATE TABLE content_media (
    sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL CHECK (content_type IN ('video/webm', 'video/mp4', 'image/jpeg', 'image/png', 'image/webp')),
    size_bytes bigint NOT NULL CHECK (size_bytes > 0),
    chunk_bytes integer NOT NULL CHECK (chunk_bytes > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE content_media_chunks (
    sha256 text NOT NULL REFERENCES content_media (sha256) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position >= 0),
    bytes bytea NOT NULL,
    PRIMARY KEY (sha256, position)
);
-- Films and images are compressed already: no attempt to compress them again.
ALTER TABLE content_media_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;

CREATE TABLE content_revision_media (
    revision_id uuid NOT NULL REFERENCES content_revisions (id) ON DELETE CASCADE,
    path text NOT NULL CHECK (path ~ '^films/[a-z0-9][a-z0-9-]*\.(webm|mp4|jpg|png|webp)$'),
    sha256 text NOT NULL REFERENCES content_media (sha256),
    PRIMARY KEY (revision_id, path)
);
CREATE INDEX content_revision_media_sha256 ON content_revision_media (sha256);

CREATE TRIGGER content_media_immutable BEFORE UPDATE ON content_media
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();
CREATE TRIGGER content_media_chunks_immutable BEFORE UPDATE ON content_media_chunks
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();
CREATE TRIGGER content_revision_media_immutable BEFORE UPDATE ON content_revision_media
    FOR EACH ROW EXECUTE FUNCTION content_is_immutable();

-- Revisions stored before outcomes existed have none; every new one states them.
ALTER TABLE content_modules
    ADD COLUMN outcomes jsonb NOT NULL
    DEFAULT '{"knowledge": [], "skills": [], "general_competence": []}';
