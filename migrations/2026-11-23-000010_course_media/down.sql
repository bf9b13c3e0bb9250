ALTER TABLE content_modules DROP COLUMN outcomes;
DROP TABLE content_revision_media;
DROP TABLE content_media_chunks;
DROP TABLE content_media;
