-- Certificates as verifiable credentials (Open Badges 3.0): a salt for the hash of the holder's
-- address in the credential, a place in the revocation status list, and the revocation itself.

-- The salt of `sha256(email + salt)` in the credential's identifier: stable per certificate
-- (its credential names the holder the same way each time it is fetched), random (gen_random_uuid
-- reads the server's strong random source), and gone when the holder is erased.
ALTER TABLE certificates
    ADD COLUMN identity_salt text DEFAULT replace(gen_random_uuid()::text, '-', '')
        CHECK (identity_salt ~ '^[0-9a-f]{32}$');

-- The certificate's bit in the revocation status lists: list `index / 131072 + 1`, bit
-- `index % 131072` (each list is the Bitstring Status List minimum, 16 KiB). One bit per
-- certificate, never reused.
CREATE SEQUENCE certificate_status_index AS bigint MINVALUE 0 START 0;
ALTER TABLE certificates
    ADD COLUMN status_index bigint NOT NULL DEFAULT nextval('certificate_status_index')
        CHECK (status_index >= 0);
ALTER SEQUENCE certificate_status_index OWNED BY certificates.status_index;
ALTER TABLE certificates ADD CONSTRAINT certificates_status_index_key UNIQUE (status_index);

-- Revocation by an administrator (with a reason) or by erasure (the reason is then gone with
-- the rest of the person's data). A revoked certificate stays revoked.
ALTER TABLE certificates
    ADD COLUMN revoked_at timestamptz,
    ADD COLUMN revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN revocation_reason text CHECK (char_length(revocation_reason) BETWEEN 1 AND 500),
    ADD CONSTRAINT certificates_revocation_is_whole
        CHECK (revoked_at IS NOT NULL OR (revoked_by IS NULL AND revocation_reason IS NULL)),
    -- Only an erased (so revoked) certificate has lost its salt.
    ADD CONSTRAINT certificates_salt_until_erased
        CHECK (identity_salt IS NOT NULL OR revoked_at IS NOT NULL);

-- The status lists are read by index; revocations are few.
CREATE INDEX certificates_revoked ON certificates (status_index) WHERE revoked_at IS NOT NULL;

-- A revoked certificate no longer counts as the programme completed in the follow-up (the view of
-- migration 000020 with that one condition added).
CREATE OR REPLACE VIEW mentor_progress AS
WITH path_pages AS (
    SELECT p.module_number, p.slug
    FROM content_current c
    JOIN content_pages p ON p.revision_id = c.revision_id
), module_sizes AS (
    SELECT m.number AS module_number, count(pp.slug)::int AS pages
    FROM content_current c
    JOIN content_modules m ON m.revision_id = c.revision_id
    LEFT JOIN path_pages pp ON pp.module_number = m.number
    GROUP BY m.number
), base AS (
    SELECT
        u.id AS user_id,
        u.municipality_id,
        mu.number AS municipality_number,
        mu.name AS municipality_name,
        mu.usht_id,
        u.name,
        lower(u.name) AS sort_name,
        u.email,
        u.workplace,
        u.self_enrolled,
        u.last_active_at,
        u.created_at,
        EXISTS (SELECT 1 FROM path_completions pc WHERE pc.user_id = u.id) AS path_done,
        (SELECT count(*)::int FROM module_sizes ms
          WHERE EXISTS (SELECT 1 FROM module_skips s
                         WHERE s.user_id = u.id AND s.module_number = ms.module_number)
             OR ms.pages <= (SELECT count(*) FROM page_completions c
                               JOIN path_pages pp ON pp.slug = c.page_slug
                              WHERE c.user_id = u.id AND pp.module_number = ms.module_number)
        ) AS modules_counted,
        (SELECT count(*)::int FROM module_sizes) AS modules_total,
        EXISTS (SELECT 1 FROM page_completions c WHERE c.user_id = u.id)
            OR EXISTS (SELECT 1 FROM module_skips s WHERE s.user_id = u.id) AS path_started,
        (SELECT CASE WHEN bool_or(n.status = 'submitted') THEN 'submitted' ELSE 'draft' END
           FROM reflection_notes n WHERE n.user_id = u.id HAVING count(*) > 0) AS note_state,
        EXISTS (SELECT 1 FROM webinar_attendance a
                  JOIN webinar_sessions s ON s.id = a.session_id
                 WHERE a.user_id = u.id AND a.attended
                 GROUP BY s.series_id HAVING count(*) >= 3) AS webinars_done,
        (SELECT CASE WHEN bool_or(r.status = 'confirmed') THEN 'confirmed' ELSE 'waitlisted' END
           FROM webinar_registrations r WHERE r.user_id = u.id AND r.status <> 'cancelled'
          HAVING count(*) > 0) AS registration_state,
        EXISTS (SELECT 1 FROM certificates ce WHERE ce.user_id = u.id AND ce.revoked_at IS NULL) AS programme_completed
    FROM users u
    JOIN municipalities mu ON mu.id = u.municipality_id
    WHERE u.role = 'mentor'
)
SELECT
    user_id, municipality_id, municipality_number, municipality_name, usht_id,
    name, sort_name, email, workplace, self_enrolled, last_active_at, created_at,
    CASE WHEN path_done THEN modules_total ELSE modules_counted END AS modules_done,
    modules_total,
    CASE WHEN path_done THEN 'completed' WHEN path_started THEN 'in_progress' ELSE 'not_started' END AS path_status,
    COALESCE(note_state, 'none') AS note_status,
    CASE WHEN webinars_done THEN 'completed' ELSE COALESCE(registration_state, 'none') END AS webinar_status,
    programme_completed,
    CASE WHEN programme_completed THEN 'completed'
         WHEN note_state = 'submitted' AND (registration_state = 'confirmed' OR webinars_done)
             THEN 'in_series'
         WHEN note_state = 'submitted' THEN 'note_submitted'
         WHEN path_done THEN 'path_completed'
         WHEN path_started THEN 'in_progress'
         ELSE 'not_started' END AS stage
FROM base;
