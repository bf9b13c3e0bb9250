// @generated automatically by Diesel CLI.

diesel::table! {
    auth_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        purpose -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        email -> Text,
        ip -> Nullable<Text>,
        attempted_at -> Timestamptz,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Uuid,
        recipient -> Text,
        user_id -> Nullable<Uuid>,
        template -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        attachments -> Jsonb,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamptz,
        send_after -> Timestamptz,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamptz>,
        workplace -> Nullable<Text>,
        leader_name -> Nullable<Text>,
        leader_email -> Nullable<Text>,
        last_active_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(auth_tokens -> users (user_id));
diesel::joinable!(mail_outbox -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    auth_tokens,
    login_failures,
    mail_outbox,
    refresh_tokens,
    users,
);

diesel::table! {
    content_revisions (id) {
        id -> Uuid,
        created_at -> Timestamptz,
        created_by -> Nullable<Uuid>,
        source -> Text,
        digest -> Text,
        title -> Text,
        description -> Text,
        literature -> Jsonb,
        total_minutes -> Int4,
        published_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    content_modules (revision_id, number) {
        revision_id -> Uuid,
        number -> Int4,
        slug -> Text,
        title -> Text,
        summary -> Text,
        skippable -> Bool,
        estimated_minutes -> Int4,
    }
}

diesel::table! {
    content_pages (revision_id, slug) {
        revision_id -> Uuid,
        module_number -> Int4,
        position -> Int4,
        slug -> Text,
        title -> Text,
        estimated_minutes -> Int4,
        html -> Text,
        blocks -> Jsonb,
    }
}

diesel::table! {
    content_subtitles (revision_id, name) {
        revision_id -> Uuid,
        name -> Text,
        body -> Text,
    }
}

diesel::table! {
    content_current (singleton) {
        singleton -> Bool,
        revision_id -> Uuid,
        published_at -> Timestamptz,
    }
}

diesel::table! {
    page_completions (user_id, page_slug) {
        user_id -> Uuid,
        page_slug -> Text,
        module_number -> Int4,
        completed_at -> Timestamptz,
    }
}

diesel::table! {
    module_skips (user_id, module_number) {
        user_id -> Uuid,
        module_number -> Int4,
        skipped_at -> Timestamptz,
    }
}

diesel::table! {
    path_completions (user_id) {
        user_id -> Uuid,
        completed_at -> Timestamptz,
    }
}

diesel::table! {
    reflection_answers (user_id, page_slug, question_id) {
        user_id -> Uuid,
        page_slug -> Text,
        question_id -> Text,
        body -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(content_current -> content_revisions (revision_id));
diesel::joinable!(content_modules -> content_revisions (revision_id));
diesel::joinable!(content_subtitles -> content_revisions (revision_id));
diesel::joinable!(page_completions -> users (user_id));
diesel::joinable!(module_skips -> users (user_id));
diesel::joinable!(path_completions -> users (user_id));
diesel::joinable!(reflection_answers -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    content_current,
    content_modules,
    content_pages,
    content_revisions,
    content_subtitles,
    page_completions,
    module_skips,
    path_completions,
    reflection_answers,
    users,
);

diesel::table! {
    reflection_notes (id) {
        id -> Uuid,
        user_id -> Uuid,
        version -> Int4,
        body -> Text,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        submitted_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(reflection_notes -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(reflection_notes, users);
