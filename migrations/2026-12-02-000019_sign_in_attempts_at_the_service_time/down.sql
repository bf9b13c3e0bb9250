DROP FUNCTION begin_sign_in(bytea, timestamptz, bigint, timestamptz);
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
