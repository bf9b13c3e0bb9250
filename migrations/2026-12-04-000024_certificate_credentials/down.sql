-- The follow-up's view as migration 000020 made it, before the column it reads goes.
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
        EXISTS (SELECT 1 FROM certificates ce WHERE ce.user_id = u.id) AS programme_completed
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

-- Before this migration erasure deleted the certificate: the erased ones go again.
DELETE FROM certificates WHERE identity_salt IS NULL AND name = '';
DROP INDEX certificates_revoked;
ALTER TABLE certificates
    DROP CONSTRAINT certificates_salt_until_erased,
    DROP CONSTRAINT certificates_revocation_is_whole,
    DROP COLUMN revocation_reason,
    DROP COLUMN revoked_by,
    DROP COLUMN revoked_at,
    DROP COLUMN status_index,
    DROP COLUMN identity_salt;
-- Dropping the column dropped the sequence it owns.
