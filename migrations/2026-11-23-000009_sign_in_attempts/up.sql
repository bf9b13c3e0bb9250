-- A sign-in attempt in one round trip: under a per-email lock, count the failures in the window
-- and, below the limit, record this attempt as a failure until it proves right. The function is
-- volatile, so the count after the lock sees every attempt committed before it was granted; the
-- lock is held until the calling transaction commits, with the new row in it.
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
