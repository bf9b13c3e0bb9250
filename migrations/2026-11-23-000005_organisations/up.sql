-- Regional development centres (USHT), the municipalities they enroll, invitations into them,
-- and the coordinators' nudges.

CREATE TABLE ushts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    county text NOT NULL CHECK (char_length(county) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ushts_name_key ON ushts (lower(name));

CREATE TABLE municipalities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The kommunenummer: four digits, one municipality each.
    number text NOT NULL UNIQUE CHECK (number ~ '^[0-9]{4}$'),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    usht_id uuid NOT NULL REFERENCES ushts (id) ON DELETE RESTRICT,
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    enrolled_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX municipalities_usht_idx ON municipalities (usht_id, number);

-- Mentors belong to a municipality; coordinators to a USHT.
ALTER TABLE users
    ADD COLUMN municipality_id uuid REFERENCES municipalities (id) ON DELETE RESTRICT,
    ADD COLUMN usht_id uuid REFERENCES ushts (id) ON DELETE RESTRICT,
    ADD COLUMN self_enrolled boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT users_usht_only_coordinators CHECK (usht_id IS NULL OR role = 'coordinator'),
    ADD CONSTRAINT users_municipality_only_mentors CHECK (municipality_id IS NULL OR role = 'mentor');
CREATE INDEX users_municipality_idx ON users (municipality_id, lower(name), id) WHERE municipality_id IS NOT NULL;
CREATE INDEX users_usht_idx ON users (usht_id) WHERE usht_id IS NOT NULL;

-- An invitation is either a mentor's into a municipality or a coordinator's into a USHT.
CREATE TABLE invitations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    name text CHECK (char_length(name) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('mentor', 'coordinator')),
    municipality_id uuid REFERENCES municipalities (id) ON DELETE CASCADE,
    usht_id uuid REFERENCES ushts (id) ON DELETE CASCADE,
    -- Only the hash of the emailed token; resending replaces it, which voids the old link.
    token_hash bytea NOT NULL UNIQUE,
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    send_count integer NOT NULL DEFAULT 1 CHECK (send_count >= 1),
    accepted_at timestamptz,
    accepted_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    -- Set when a new invitation to the same address replaces an expired one.
    superseded_at timestamptz,
    CHECK ((role = 'mentor' AND municipality_id IS NOT NULL AND usht_id IS NULL)
        OR (role = 'coordinator' AND usht_id IS NOT NULL AND municipality_id IS NULL))
);
-- One open invitation per address at a time.
CREATE UNIQUE INDEX invitations_open_email_key ON invitations (lower(email))
    WHERE accepted_at IS NULL AND superseded_at IS NULL;
CREATE INDEX invitations_municipality_idx ON invitations (municipality_id, created_at, id);
CREATE INDEX invitations_usht_idx ON invitations (usht_id);

-- Reminders coordinators send to inactive mentors; at most one a week per mentor.
CREATE TABLE nudges (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sent_by uuid REFERENCES users (id) ON DELETE SET NULL,
    sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nudges_user_idx ON nudges (user_id, sent_at);

-- Each mentor's progress as coordinators see it: statuses and counts, never what they wrote.
-- One definition for the follow-up lists, the counts per municipality and the CSV report.
CREATE VIEW mentor_progress AS
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
         WHEN note_state = 'submitted' THEN 'note_submitted'
         WHEN path_done THEN 'path_completed'
         WHEN path_started THEN 'in_progress'
         ELSE 'not_started' END AS stage
FROM base;
