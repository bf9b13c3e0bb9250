-- Throttling and lockout hold no address in clear: failed sign-ins are keyed by an HMAC of the
-- normalised address under a server secret (auth::limits::account_key), so an erased person's
-- address does not come back when someone types it again. The rows are short-lived (minutes),
-- so those kept in clear are dropped rather than converted.
DROP FUNCTION begin_sign_in(text, text, timestamptz, bigint);
DELETE FROM login_failures;
DROP INDEX login_failures_email_idx;
ALTER TABLE login_failures DROP COLUMN email, DROP COLUMN ip,
    ADD COLUMN account_key bytea NOT NULL CHECK (octet_length(account_key) = 32);
CREATE INDEX login_failures_account_key_idx ON login_failures (account_key, attempted_at);

-- A sign-in attempt in one round trip (as in migration 000009, keyed by the HMAC).
CREATE FUNCTION begin_sign_in(p_key bytea, p_since timestamptz, p_max bigint,
                              OUT failures bigint, OUT oldest timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(encode(p_key, 'hex'), 7));
    SELECT count(*), min(attempted_at) INTO failures, oldest
      FROM login_failures
     WHERE account_key = p_key AND attempted_at > p_since;
    IF failures < p_max THEN
        INSERT INTO login_failures (account_key) VALUES (p_key);
    END IF;
END $$;

-- A coordinator's profile shows their USHT's name.
CREATE TRIGGER ushts_notify_changed
    AFTER UPDATE OR DELETE ON ushts
    FOR EACH STATEMENT EXECUTE FUNCTION notify_all_users_changed();
