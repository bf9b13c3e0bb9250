-- Sign-in through OpenID Connect providers (ID-porten, Feide, ...): which provider subject is
-- which account, the flows under way, and the one-time codes that hand a finished sign-in to
-- the client.

CREATE TABLE oidc_identities (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider ~ '^[a-z0-9_-]{1,32}$'),
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    linked_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    -- One account per subject of a provider, one subject of a provider per account.
    PRIMARY KEY (user_id, provider),
    UNIQUE (provider, subject)
);

-- A flow from `start` to `callback`: found by the hash of its `state`, and only from the
-- browser that started it (the hash of its cookie). Taken (deleted) by the callback.
CREATE TABLE oidc_flows (
    state_hash bytea PRIMARY KEY,
    browser_hash bytea NOT NULL,
    provider text NOT NULL,
    nonce text NOT NULL,
    pkce_verifier text NOT NULL,
    next_path text NOT NULL,
    invitation_hash bytea,
    municipality_number text,
    -- A signed-in person linking a provider from their profile.
    link_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_flows_expires_at ON oidc_flows (expires_at);

-- A finished sign-in waiting for the client to exchange its code for a token pair, once.
CREATE TABLE oidc_handoffs (
    code_hash bytea PRIMARY KEY,
    browser_hash bytea NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_handoffs_expires_at ON oidc_handoffs (expires_at);
