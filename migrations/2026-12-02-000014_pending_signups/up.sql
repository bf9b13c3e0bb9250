-- A self-sign-up is not an account until its address is confirmed: it waits here, where it
-- blocks nothing (an invitation of the same address, or a later sign-up, goes ahead), and becomes
-- an account only for whoever holds both the link from the mail and the password chosen at
-- sign-up.
CREATE TABLE signups (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL,
    -- Cleared once confirmed or replaced; the row stays a while so a second click says "used".
    name text,
    password_hash text,
    municipality_id uuid NOT NULL REFERENCES municipalities (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    confirmed_at timestamptz,
    CONSTRAINT signups_pending_whole CHECK (
        (confirmed_at IS NULL) = (name IS NOT NULL AND password_hash IS NOT NULL))
);
-- One pending sign-up per address: a new one replaces it.
CREATE UNIQUE INDEX signups_one_pending ON signups (lower(email)) WHERE confirmed_at IS NULL;
CREATE INDEX signups_expires_at ON signups (expires_at);

-- Unconfirmed self-sign-ups made before move here with their live verification link.
INSERT INTO signups (email, name, password_hash, municipality_id, token_hash, created_at, expires_at)
SELECT DISTINCT ON (u.id) u.email, u.name, u.password_hash, u.municipality_id, t.token_hash,
       u.created_at, t.expires_at
  FROM users u
  JOIN auth_tokens t ON t.user_id = u.id AND t.purpose = 'email_verification' AND t.used_at IS NULL
 WHERE u.self_enrolled AND u.email_verified_at IS NULL AND u.erased_at IS NULL
   AND u.password_hash IS NOT NULL AND u.municipality_id IS NOT NULL
 ORDER BY u.id, t.created_at DESC;
-- They were never accounts. Those a coordinator's list already showed keep an anonymous row for
-- the append-only access log, as after erasure.
DELETE FROM users u
 WHERE u.self_enrolled AND u.email_verified_at IS NULL AND u.erased_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM access_log a WHERE a.subject_id = u.id);
UPDATE users
   SET email = 'erased-' || id || '@erased.invalid', name = 'Slettet bruker', password_hash = NULL,
       workplace = NULL, leader_name = NULL, leader_email = NULL, last_active_at = NULL,
       municipality_id = NULL, usht_id = NULL, self_enrolled = false, erased_at = now(),
       updated_at = now(), session_version = session_version + 1
 WHERE self_enrolled AND email_verified_at IS NULL AND erased_at IS NULL;
