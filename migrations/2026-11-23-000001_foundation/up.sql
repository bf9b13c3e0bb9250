-- Accounts, sign-in tokens, brute-force bookkeeping and the mail outbox.

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('mentor', 'facilitator', 'coordinator', 'admin')),
    password_hash text,
    email_verified_at timestamptz,
    workplace text CHECK (char_length(workplace) <= 200),
    leader_name text CHECK (char_length(leader_name) <= 200),
    leader_email text CHECK (char_length(leader_email) <= 254),
    last_active_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Emails are unique whatever their case.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Every token rotated from one login shares a family; reuse revokes the family.
    family_id uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Single-use tokens sent by email: password reset and email verification.
CREATE TABLE auth_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX auth_tokens_user_idx ON auth_tokens (user_id);

-- Failed sign-ins per (lower-cased) email, known or not, so a lock holds across instances.
CREATE TABLE login_failures (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    ip text,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (email, attempted_at);

-- Transactional outbox: written in the same transaction as the change that causes the mail.
CREATE TABLE mail_outbox (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    recipient text NOT NULL,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    template text NOT NULL,
    subject text NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    attachments jsonb NOT NULL DEFAULT '[]',
    -- Scheduled mails (reminders, nudges) carry a key so they are enqueued once.
    dedupe_key text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    send_after timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text,
    sent_at timestamptz,
    failed_at timestamptz
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (send_after) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_user_idx ON mail_outbox (user_id);
