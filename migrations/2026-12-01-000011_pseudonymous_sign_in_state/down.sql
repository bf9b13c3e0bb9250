DROP TRIGGER ushts_notify_changed ON ushts;
DROP FUNCTION begin_sign_in(bytea, timestamptz, bigint);
DELETE FROM login_failures;
DROP INDEX login_failures_account_key_idx;
ALTER TABLE login_failures DROP COLUMN account_key,
    ADD COLUMN email text NOT NULL, ADD COLUMN ip text;
CREATE INDEX login_failures_email_idx ON login_failures (email, attempted_at);

CREATE FUNCTION begin_sign_in(p_email text, p_ip text, p_since timestamptz, p_max bigint,
                              OUT failures bigint, OUT oldest timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_email, 7));
    SELECT count(*), min(attempted_at) INTO failures, oldest
      FROM login_failures
     WHERE email = p_email AND attempted_at > p_since;
    IF failures < p_max THEN
        INSERT INTO login_failures (email, ip) VALUES (p_email, p_ip);
    END IF;
END $$;
