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
        attempted_at -> Timestamptz,
        account_key -> Bytea,
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
        secret_ciphertext -> Nullable<Bytea>,
        secret_key_id -> Nullable<Text>,
        webinar_registration_id -> Nullable<Uuid>,
        webinar_session_id -> Nullable<Uuid>,
        reminder -> Nullable<Text>,
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
    /// Self-sign-ups waiting for their address to be confirmed (migration 000014).
    signups (id) {
        id -> Uuid,
        email -> Text,
        name -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        municipality_id -> Uuid,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        confirmed_at -> Nullable<Timestamptz>,
        language -> Text,
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
        municipality_id -> Nullable<Uuid>,
        usht_id -> Nullable<Uuid>,
        self_enrolled -> Bool,
        erased_at -> Nullable<Timestamptz>,
        session_version -> Int4,
        language -> Text,
    }
}

diesel::table! {
    ushts (id) {
        id -> Uuid,
        name -> Text,
        county -> Text,
        created_at -> Timestamptz,
        covers -> Array<Text>,
    }
}

diesel::table! {
    usht_coverage (municipality_number) {
        municipality_number -> Text,
        usht_id -> Uuid,
    }
}

diesel::table! {
    municipalities (id) {
        id -> Uuid,
        number -> Text,
        name -> Text,
        usht_id -> Uuid,
        enrolled_at -> Timestamptz,
        enrolled_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Uuid,
        email -> Text,
        name -> Nullable<Text>,
        role -> Text,
        municipality_id -> Nullable<Uuid>,
        usht_id -> Nullable<Uuid>,
        token_hash -> Bytea,
        invited_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        sent_at -> Timestamptz,
        expires_at -> Timestamptz,
        send_count -> Int4,
        accepted_at -> Nullable<Timestamptz>,
        accepted_user_id -> Nullable<Uuid>,
        superseded_at -> Nullable<Timestamptz>,
        withdrawn_at -> Nullable<Timestamptz>,
        language -> Text,
    }
}

diesel::table! {
    /// A view (migration 000005): each mentor's progress as coordinators see it.
    mentor_progress (user_id) {
        user_id -> Uuid,
        municipality_id -> Uuid,
        municipality_number -> Text,
        municipality_name -> Text,
        usht_id -> Uuid,
        name -> Text,
        sort_name -> Text,
        email -> Text,
        workplace -> Nullable<Text>,
        self_enrolled -> Bool,
        last_active_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        modules_done -> Int4,
        modules_total -> Int4,
        path_status -> Text,
        note_status -> Text,
        webinar_status -> Text,
        programme_completed -> Bool,
        stage -> Text,
    }
}

diesel::table! {
    nudges (id) {
        id -> Int8,
        user_id -> Uuid,
        sent_by -> Nullable<Uuid>,
        sent_at -> Timestamptz,
    }
}

diesel::joinable!(signups -> municipalities (municipality_id));
diesel::table! {
    oidc_flows (state_hash) {
        state_hash -> Bytea,
        browser_hash -> Bytea,
        provider -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        next_path -> Text,
        invitation_hash -> Nullable<Bytea>,
        municipality_number -> Nullable<Text>,
        link_user_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    oidc_handoffs (code_hash) {
        code_hash -> Bytea,
        browser_hash -> Bytea,
        user_id -> Uuid,
        provider -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    oidc_identities (user_id, provider) {
        user_id -> Uuid,
        provider -> Text,
        subject -> Text,
        linked_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(auth_tokens -> users (user_id));
diesel::joinable!(mail_outbox -> users (user_id));
diesel::joinable!(oidc_handoffs -> users (user_id));
diesel::joinable!(oidc_identities -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));

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
        outcomes -> Jsonb,
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
    content_translations (revision_id, language) {
        revision_id -> Uuid,
        language -> Text,
        title -> Text,
        description -> Text,
        literature -> Jsonb,
    }
}

diesel::table! {
    content_module_translations (revision_id, language, number) {
        revision_id -> Uuid,
        language -> Text,
        number -> Int4,
        title -> Text,
        summary -> Text,
        outcomes -> Jsonb,
    }
}

diesel::table! {
    content_page_translations (revision_id, language, slug) {
        revision_id -> Uuid,
        language -> Text,
        slug -> Text,
        title -> Text,
        html -> Text,
        blocks -> Jsonb,
    }
}

diesel::table! {
    content_subtitle_translations (revision_id, language, name) {
        revision_id -> Uuid,
        language -> Text,
        name -> Text,
        body -> Text,
    }
}

diesel::table! {
    content_media (sha256) {
        sha256 -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        chunk_bytes -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    content_media_chunks (sha256, position) {
        sha256 -> Text,
        position -> Int4,
        bytes -> Bytea,
    }
}

diesel::table! {
    content_revision_media (revision_id, path) {
        revision_id -> Uuid,
        path -> Text,
        sha256 -> Text,
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
        body -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        body_ciphertext -> Nullable<Bytea>,
        key_id -> Nullable<Text>,
        revision -> Int4,
    }
}

diesel::joinable!(content_current -> content_revisions (revision_id));
diesel::joinable!(content_modules -> content_revisions (revision_id));
diesel::joinable!(content_subtitles -> content_revisions (revision_id));
diesel::joinable!(content_media_chunks -> content_media (sha256));
diesel::joinable!(content_revision_media -> content_media (sha256));
diesel::joinable!(content_revision_media -> content_revisions (revision_id));
diesel::joinable!(page_completions -> users (user_id));
diesel::joinable!(module_skips -> users (user_id));
diesel::joinable!(path_completions -> users (user_id));
diesel::joinable!(reflection_answers -> users (user_id));

diesel::table! {
    reflection_notes (id) {
        id -> Uuid,
        user_id -> Uuid,
        version -> Int4,
        body -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        submitted_at -> Nullable<Timestamptz>,
        body_ciphertext -> Nullable<Bytea>,
        key_id -> Nullable<Text>,
        revision -> Int4,
    }
}

diesel::joinable!(reflection_notes -> users (user_id));

diesel::table! {
    webinar_series (id) {
        id -> Uuid,
        title -> Text,
        facilitator_id -> Uuid,
        capacity -> Int4,
        confirmed_count -> Int4,
        waitlist_counter -> Int4,
        registration_deadline -> Timestamptz,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        cancelled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webinar_sessions (id) {
        id -> Uuid,
        series_id -> Uuid,
        number -> Int4,
        starts_at -> Timestamptz,
        duration_minutes -> Int4,
        join_url -> Text,
        sequence -> Int4,
        cancelled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webinar_registrations (id) {
        id -> Uuid,
        series_id -> Uuid,
        user_id -> Uuid,
        status -> Text,
        waitlist_seq -> Nullable<Int4>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        confirmed_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webinar_attendance (session_id, user_id) {
        session_id -> Uuid,
        user_id -> Uuid,
        attended -> Bool,
        recorded_by -> Nullable<Uuid>,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Uuid,
        key -> Text,
        status_code -> Nullable<Int4>,
        created_at -> Timestamptz,
        fingerprint -> Bytea,
        locked_until -> Timestamptz,
        headers -> Jsonb,
        body_ciphertext -> Nullable<Bytea>,
        key_id -> Nullable<Text>,
    }
}

diesel::table! {
    certificates (user_id) {
        user_id -> Uuid,
        verification_code -> Text,
        name -> Text,
        programme -> Text,
        completed_on -> Date,
        series_id -> Nullable<Uuid>,
        issued_at -> Timestamptz,
        identity_salt -> Nullable<Text>,
        status_index -> Int8,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Uuid>,
        revocation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    access_log (id) {
        id -> Int8,
        subject_id -> Nullable<Uuid>,
        actor_id -> Nullable<Uuid>,
        actor_role -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::joinable!(webinar_sessions -> webinar_series (series_id));
diesel::joinable!(webinar_registrations -> webinar_series (series_id));
diesel::joinable!(webinar_attendance -> webinar_sessions (session_id));
diesel::joinable!(mail_outbox -> webinar_registrations (webinar_registration_id));
diesel::joinable!(mail_outbox -> webinar_sessions (webinar_session_id));

diesel::joinable!(municipalities -> ushts (usht_id));
diesel::joinable!(users -> municipalities (municipality_id));
diesel::joinable!(usht_coverage -> ushts (usht_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_log,
    auth_tokens,
    certificates,
    content_current,
    content_media,
    content_media_chunks,
    content_module_translations,
    content_modules,
    content_page_translations,
    content_pages,
    content_revision_media,
    content_revisions,
    content_subtitle_translations,
    content_subtitles,
    content_translations,
    idempotency_keys,
    invitations,
    login_failures,
    mail_outbox,
    mentor_progress,
    module_skips,
    municipalities,
    nudges,
    oidc_flows,
    oidc_handoffs,
    oidc_identities,
    page_completions,
    path_completions,
    reflection_answers,
    reflection_notes,
    refresh_tokens,
    signups,
    users,
    usht_coverage,
    ushts,
    webinar_attendance,
    webinar_registrations,
    webinar_series,
    webinar_sessions,
);
