DROP TABLE content_subtitle_translations;
DROP TABLE content_page_translations;
DROP TABLE content_module_translations;
DROP TABLE content_translations;
ALTER TABLE signups DROP COLUMN language;
ALTER TABLE invitations DROP COLUMN language;
ALTER TABLE users DROP COLUMN language;
