-- Erasure keeps a user's row (so statistics keep their counts) with every personal field
-- replaced; the access log can only grow.

ALTER TABLE users ADD COLUMN erased_at timestamptz;

CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();

-- Profiles (`GET /me`) carry the municipality's number and name: a change to a municipality
-- clears every cached profile (see migration 000006).
CREATE TRIGGER municipalities_notify_changed AFTER UPDATE OR DELETE ON municipalities
    FOR EACH STATEMENT EXECUTE FUNCTION notify_all_users_changed();
