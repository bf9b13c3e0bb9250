-- Change notifications for the in-process caches (src/db/cache.rs): every instance LISTENs and
-- drops what it cached about a changed user. NOTIFY is transactional, so a notification arrives
-- only after the change is committed and visible.

-- A user's row changed in a way /me can show (anything but the activity timestamps), or went.
CREATE FUNCTION notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('user_changed', OLD.id::text);
    IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
        PERFORM pg_notify('user_changed', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER users_notify_changed
    AFTER UPDATE ON users
    FOR EACH ROW
    WHEN ((to_jsonb(OLD) - ARRAY['last_active_at', 'updated_at'])
          IS DISTINCT FROM (to_jsonb(NEW) - ARRAY['last_active_at', 'updated_at']))
    EXECUTE FUNCTION notify_user_changed();

CREATE TRIGGER users_notify_deleted
    AFTER DELETE ON users
    FOR EACH ROW
    EXECUTE FUNCTION notify_user_changed();

-- For tables whose change can alter what is shown for many users at once (a municipality's
-- name, say): `*` drops every cached profile.
CREATE FUNCTION notify_all_users_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('user_changed', '*');
    RETURN NULL;
END $$;

CREATE TRIGGER users_notify_truncated
    AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_all_users_changed();

-- A user's progress changed (completions, skips, path done): the page statuses they see.
CREATE FUNCTION notify_progress_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('progress_changed', OLD.user_id::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('progress_changed', NEW.user_id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER page_completions_notify_changed
    AFTER INSERT OR UPDATE OR DELETE ON page_completions
    FOR EACH ROW EXECUTE FUNCTION notify_progress_changed();
CREATE TRIGGER module_skips_notify_changed
    AFTER INSERT OR UPDATE OR DELETE ON module_skips
    FOR EACH ROW EXECUTE FUNCTION notify_progress_changed();
CREATE TRIGGER path_completions_notify_changed
    AFTER INSERT OR UPDATE OR DELETE ON path_completions
    FOR EACH ROW EXECUTE FUNCTION notify_progress_changed();

-- Another revision was published.
CREATE FUNCTION notify_content_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('content_published', '*');
    RETURN NULL;
END $$;

CREATE TRIGGER content_current_notify_published
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON content_current
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_published();

-- TRUNCATE fires no row triggers; a truncated progress table changes everyone's progress.
CREATE FUNCTION notify_all_progress_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('progress_changed', '*');
    RETURN NULL;
END $$;

CREATE TRIGGER page_completions_notify_truncated
    AFTER TRUNCATE ON page_completions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_all_progress_changed();
CREATE TRIGGER module_skips_notify_truncated
    AFTER TRUNCATE ON module_skips
    FOR EACH STATEMENT EXECUTE FUNCTION notify_all_progress_changed();
CREATE TRIGGER path_completions_notify_truncated
    AFTER TRUNCATE ON path_completions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_all_progress_changed();
