-- Module 5: series of three reflection webinars, registrations with exact seat counts and a
-- waitlist, attendance, certificates, and the access log of reads of one person's data.

CREATE TABLE webinar_series (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    facilitator_id uuid NOT NULL REFERENCES users (id),
    capacity integer NOT NULL CHECK (capacity BETWEEN 1 AND 100),
    -- The seat counter: the database refuses more confirmed registrations than seats.
    confirmed_count integer NOT NULL DEFAULT 0 CHECK (confirmed_count >= 0 AND confirmed_count <= capacity),
    -- Waitlist positions are handed out in order from this counter.
    waitlist_counter integer NOT NULL DEFAULT 0,
    registration_deadline timestamptz NOT NULL,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz
);
CREATE INDEX webinar_series_facilitator_idx ON webinar_series (facilitator_id);

CREATE TABLE webinar_sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    series_id uuid NOT NULL REFERENCES webinar_series (id) ON DELETE CASCADE,
    number integer NOT NULL CHECK (number BETWEEN 1 AND 3),
    starts_at timestamptz NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 15 AND 480),
    join_url text NOT NULL CHECK (char_length(join_url) <= 2000),
    sequence integer NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    cancelled_at timestamptz,
    UNIQUE (series_id, number)
);

CREATE TABLE webinar_registrations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    series_id uuid NOT NULL REFERENCES webinar_series (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    -- Order on the waitlist (lower goes first); only while waitlisted.
    waitlist_seq integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    cancelled_at timestamptz,
    CHECK ((status = 'waitlisted') = (waitlist_seq IS NOT NULL))
);
-- One live registration per mentor and series, and distinct waitlist places.
CREATE UNIQUE INDEX webinar_registrations_live_key ON webinar_registrations (series_id, user_id)
    WHERE status <> 'cancelled';
CREATE UNIQUE INDEX webinar_registrations_waitlist_key ON webinar_registrations (series_id, waitlist_seq)
    WHERE status = 'waitlisted';
CREATE INDEX webinar_registrations_user_idx ON webinar_registrations (user_id);

CREATE TABLE webinar_attendance (
    session_id uuid NOT NULL REFERENCES webinar_sessions (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attended boolean NOT NULL,
    recorded_by uuid REFERENCES users (id) ON DELETE SET NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, user_id)
);

-- A retried POST with the same Idempotency-Key gets the first answer again.
CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 200),
    scope text NOT NULL,
    status_code integer NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE TABLE certificates (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    verification_code text NOT NULL UNIQUE,
    name text NOT NULL,
    programme text NOT NULL,
    completed_on date NOT NULL,
    series_id uuid REFERENCES webinar_series (id) ON DELETE SET NULL,
    issued_at timestamptz NOT NULL DEFAULT now()
);

-- Every read of one person's data by another person.
CREATE TABLE access_log (
    id bigserial PRIMARY KEY,
    subject_id uuid REFERENCES users (id) ON DELETE CASCADE,
    actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_role text NOT NULL,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_subject_idx ON access_log (subject_id, at);
