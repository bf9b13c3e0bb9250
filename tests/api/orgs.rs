//! USHTs, municipalities, invitations, self-enrollment, follow-up, reports, nudges and scope.

use chrono::{Duration, Utc};
use mentorsti::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_problem, coordinator_of, spawn_app, TestApp, PASSWORD};

/// A USHT made by an administrator through the API; returns (admin token, USHT id).
pub(crate) async fn new_usht(app: &TestApp, name: &str) -> (String, String) {
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let response = app
        .post(
            "/admin/ushts",
            &admin,
            &json!({"name": name, "county": "Buskerud"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let usht: Value = response.json().await.unwrap();
    (admin, usht["id"].as_str().unwrap().to_owned())
}

pub(crate) async fn enroll(app: &TestApp, token: &str, number: &str, name: &str) -> String {
    let response = app
        .post(
            "/admin/municipalities",
            token,
            &json!({"number": number, "name": name}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn accept(app: &TestApp, token: &str, name: &str) -> reqwest::Response {
    app.client
        .post(app.api("/auth/invitations/accept"))
        .json(&json!({"token": token, "name": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

async fn post_csv(app: &TestApp, token: &str, municipality: &str, csv: &[u8]) -> reqwest::Response {
    app.client
        .post(app.api(&format!(
            "/admin/invitations/csv?municipality_id={municipality}"
        )))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_vec())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_whole_journey_from_usht_to_certificate() {
    let app = spawn_app().await;
    // The administrator sets up a USHT and invites its coordinator.
    let (admin, usht) = new_usht(&app, "USHT Buskerud").await;
    let response = app
        .post(
            &format!("/admin/ushts/{usht}/coordinators"),
            &admin,
            &json!({"email": "Kari.Koordinator@Asker.kommune.no", "name": "Kari Koordinator"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let mail = &app
        .mail
        .wait_for("kari.koordinator@asker.kommune.no", 1)
        .await[0];
    assert!(mail.text().contains("USHT Buskerud"), "{}", mail.text());
    assert!(mail
        .text()
        .contains("http://mentorsti.test/invitation?token="));
    let response = accept(&app, &mail.token(), "Kari Koordinator").await;
    assert_eq!(response.status(), 201);
    let pair: Value = response.json().await.unwrap();
    let coordinator = pair["access_token"].as_str().unwrap().to_owned();
    let me: Value = app.get("/me", &coordinator).await.json().await.unwrap();
    assert_eq!(me["role"], "coordinator");

    // The coordinator enrolls Asker and invites a mentor.
    let asker = enroll(&app, &coordinator, "3203", "Asker").await;
    let response = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": asker, "invitees": [{"email": "ola.mentor@asker.kommune.no", "name": "Ola Mentor"}]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let invited: Value = response.json().await.unwrap();
    assert_eq!(invited["created"].as_array().unwrap().len(), 1);
    let mail = &app.mail.wait_for("ola.mentor@asker.kommune.no", 1).await[0];
    assert_eq!(mail.subject(), "Du er invitert til mentoropplæringen");
    assert!(mail.text().contains("Asker kommune"));

    // The mentor accepts and lands in Asker.
    let response = accept(&app, &mail.token(), "Ola Mentor").await;
    assert_eq!(response.status(), 201);
    let pair: Value = response.json().await.unwrap();
    let mentor = pair["access_token"].as_str().unwrap().to_owned();
    let me: Value = app.get("/me", &mentor).await.json().await.unwrap();
    assert_eq!(me["role"], "mentor");
    assert_eq!(me["municipality"]["number"], "3203");
    assert_eq!(me["municipality"]["name"], "Asker");
    let mentor_id = me["id"].as_str().unwrap().to_owned();

    // Works through the path, submits the note.
    app.complete_path(&mentor).await;
    let note = "Jeg vil bruke spørsmål som åpner for undring når vi snakker om lindrende omsorg. "
        .repeat(5);
    assert_eq!(
        app.put("/me/reflection-note", &mentor, &json!({"body": note}))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post("/me/reflection-note/submit", &mentor, &json!({}))
            .await
            .status(),
        200
    );

    // Registers for a series and gets the calendar invitation.
    let (facilitator, facilitator_token) = app.user_with_token(Role::Facilitator).await;
    let start = Utc::now() + Duration::days(10);
    let series: Value = app
        .post(
            "/admin/webinar-series",
            &admin,
            &json!({
                "title": "Refleksjonsgruppe vinter",
                "capacity": 12,
                "facilitator_id": facilitator.id,
                "sessions": [
                    {"starts_at": start, "join_url": "https://meet.example.no/1"},
                    {"starts_at": start + Duration::days(21), "join_url": "https://meet.example.no/2"},
                    {"starts_at": start + Duration::days(42), "join_url": "https://meet.example.no/3"},
                ],
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let series_id = series["id"].as_str().unwrap();
    let registered: Value = app
        .post(
            &format!("/webinar-series/{series_id}/registrations"),
            &mentor,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(registered["status"], "confirmed");
    let mails = app.mail.wait_for("ola.mentor@asker.kommune.no", 2).await;
    let ics = &mails[1].attachments()[0];
    assert!(ics.2.contains("METHOD:REQUEST"));

    // With a seat in the series the mentor counts as in a series, and is found by that stage.
    let municipality: Value = app
        .get(&format!("/admin/municipalities/{asker}"), &coordinator)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(municipality["mentors"]["in_series"], 1, "{municipality}");
    assert_eq!(municipality["mentors"]["note_submitted"], 0);
    let in_series: Value = app
        .get(
            &format!("/admin/municipalities/{asker}/progress?stage=in_series"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(in_series["items"].as_array().unwrap().len(), 1);

    // The facilitator sees Asker and records three sessions; the certificate follows.
    let participants: Value = app
        .get(
            &format!("/facilitator/series/{series_id}/participants"),
            &facilitator_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(participants[0]["municipality"]["number"], "3203");
    for n in 1..=3 {
        let response = app
            .put(
                &format!("/facilitator/series/{series_id}/sessions/{n}/attendance"),
                &facilitator_token,
                &json!([{"user_id": mentor_id, "attended": true}]),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let certificate: Value = app
        .get("/me/certificate", &mentor)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(certificate["name"], "Ola Mentor");

    // The coordinator follows up: statuses, never the text.
    let progress: Value = app
        .get(
            &format!("/admin/municipalities/{asker}/progress"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    let row = &progress["items"][0];
    assert_eq!(row["name"], "Ola Mentor");
    assert_eq!(row["path_status"], "completed");
    assert_eq!(row["modules_done"], 4);
    assert_eq!(row["note_status"], "submitted");
    assert_eq!(row["webinar_status"], "completed");
    assert_eq!(row["programme_completed"], true);
    let text = progress.to_string();
    assert!(
        !text.contains("undring"),
        "progress must not carry the note"
    );
    let municipality: Value = app
        .get(&format!("/admin/municipalities/{asker}"), &coordinator)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(municipality["mentors"]["completed"], 1);
    assert_eq!(municipality["mentors"]["total"], 1);

    // The mentor can see that the coordinator looked.
    let logged: i64 = app.count("SELECT count(*) FROM access_log WHERE subject_id = $1::text::uuid AND action = 'view_progress'", &[&mentor_id]).await;
    assert!(logged >= 1);
}

#[tokio::test]
async fn csv_invitations_take_good_rows_and_list_bad_ones() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Vestfold").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let drammen = enroll(&app, &coordinator, "3301", "Drammen").await;
    let existing = app
        .create_user(Role::Mentor, "finnes@drammen.kommune.no")
        .await;
    assert_eq!(existing.email, "finnes@drammen.kommune.no");
    let drammen_id: Uuid = drammen.parse().unwrap();
    app.sql()
        .await
        .execute(
            "UPDATE users SET municipality_id = $1 WHERE id = $2",
            &[&drammen_id, &existing.id],
        )
        .await
        .unwrap();
    // An account outside this USHT is invited like a new address: the coordinator learns
    // nothing of it (its owner is told on accepting to sign in instead).
    app.create_user(Role::Mentor, "borte@annet.example.no")
        .await;
    // Someone already has a pending invitation.
    let response = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": drammen, "invitees": [{"email": "venter@drammen.kommune.no"}]}),
        )
        .await;
    assert_eq!(response.status(), 201);

    let csv = "\u{feff}email;name\r\n\
               anne@drammen.kommune.no;Anne Ås\r\n\
               ikke-en-epost;Per\r\n\
               ANNE@drammen.kommune.no;Anne igjen\r\n\
               finnes@drammen.kommune.no;Finn\r\n\
               venter@drammen.kommune.no;Vera\r\n\
               \r\n\
               bjorn@drammen.kommune.no;\"Bjørn, B.\"\r\n\
               borte@annet.example.no;Borte\r\n";
    let response = post_csv(&app, &coordinator, &drammen, csv.as_bytes()).await;
    assert_eq!(response.status(), 201);
    let result: Value = response.json().await.unwrap();
    let mut created: Vec<&str> = result["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    created.sort();
    assert_eq!(
        created,
        vec![
            "anne@drammen.kommune.no",
            "bjorn@drammen.kommune.no",
            "borte@annet.example.no"
        ]
    );
    let skipped: Vec<(u64, &str)> = result["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["row"].as_u64().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (3, "invalid_email"),
            (4, "duplicate_in_file"),
            (5, "already_a_user"),
            (6, "already_invited")
        ]
    );
    let mail = &app.mail.wait_for("bjorn@drammen.kommune.no", 1).await[0];
    assert!(
        mail.text().starts_with("Hei, Bjørn, B.!"),
        "{}",
        mail.text()
    );

    // Files that cannot be read are refused whole, and nothing is created.
    let before: i64 = app.count("SELECT count(*) FROM invitations", &[]).await;
    assert_problem(
        post_csv(&app, &coordinator, &drammen, b"navn,epost\nKari,k@d.no\n").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        post_csv(&app, &coordinator, &drammen, b"email\nk\xf8@d.no\n").await,
        422,
        "validation_failed",
    )
    .await;
    let mut big = String::from("email\n");
    for i in 0..5001 {
        big.push_str(&format!("m{i}@drammen.kommune.no\n"));
    }
    assert_problem(
        post_csv(&app, &coordinator, &drammen, big.as_bytes()).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        post_csv(&app, &coordinator, &drammen, &vec![b'a'; 3 * 1024 * 1024]).await,
        413,
        "payload_too_large",
    )
    .await;
    let response = app
        .client
        .post(app.api(&format!("/admin/invitations/csv?municipality_id={drammen}")))
        .bearer_auth(&coordinator)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
    let after: i64 = app.count("SELECT count(*) FROM invitations", &[]).await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_full_csv_of_five_thousand_rows_goes_through() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Viken").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let lier = enroll(&app, &coordinator, "3312", "Lier").await;
    let mut csv = String::from("email,name\n");
    for i in 0..5000 {
        csv.push_str(&format!("mentor{i}@lier.kommune.no,Mentor {i}\n"));
    }
    let response = post_csv(&app, &coordinator, &lier, csv.as_bytes()).await;
    assert_eq!(response.status(), 201);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["created"].as_array().unwrap().len(), 5000);
    assert!(result["skipped"].as_array().unwrap().is_empty());
    let queued: i64 = app
        .count(
            "SELECT count(*) FROM mail_outbox WHERE template = 'mentor_invitation'",
            &[],
        )
        .await;
    assert_eq!(queued, 5000);
}

#[tokio::test]
async fn invitations_expire_and_can_be_sent_again() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Telemark").await;
    let (account, coordinator) = coordinator_of(&app, &usht).await;
    let kongsberg = enroll(&app, &coordinator, "3303", "Kongsberg").await;
    let email = "siri@kongsberg.kommune.no";
    let created: Value = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": kongsberg, "invitees": [{"email": email, "name": "Siri"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["created"][0]["id"].as_str().unwrap().to_owned();
    let first_token = app.mail.wait_for(email, 1).await[0].token();

    // Fifteen days later the link has expired (and the coordinator signs in again).
    app.clock.advance(Duration::days(15));
    let coordinator = app.access_token(&account).await;
    let listed: Value = app
        .get(
            &format!("/admin/invitations?municipality_id={kongsberg}&status=expired"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["status"], "expired");
    assert_problem(
        accept(&app, &first_token, "Siri").await,
        410,
        "invitation_expired",
    )
    .await;

    // Resending gives a new link and voids the old one.
    let response = app
        .post(
            &format!("/admin/invitations/{id}/resend"),
            &coordinator,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let resent: Value = response.json().await.unwrap();
    assert_eq!(resent["status"], "pending");
    assert_eq!(resent["send_count"], 2);
    let second_token = app.mail.wait_for(email, 2).await[1].token();
    assert_ne!(first_token, second_token);
    assert_problem(
        accept(&app, &first_token, "Siri").await,
        404,
        "invitation_not_found",
    )
    .await;
    // A weak password does not spend the link.
    let weak = app
        .client
        .post(app.api("/auth/invitations/accept"))
        .json(&json!({"token": second_token, "name": "Siri", "password": "password1234"}))
        .send()
        .await
        .unwrap();
    assert_problem(weak, 422, "validation_failed").await;
    assert_eq!(accept(&app, &second_token, "Siri").await.status(), 201);
    assert_problem(
        accept(&app, &second_token, "Siri").await,
        410,
        "invitation_used",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/admin/invitations/{id}/resend"),
            &coordinator,
            &json!({}),
        )
        .await,
        409,
        "invitation_accepted",
    )
    .await;
    let listed: Value = app
        .get(
            &format!("/admin/invitations?municipality_id={kongsberg}"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["status"], "accepted");

    // An expired invitation no longer blocks a fresh one to the same address.
    let other = "tor@kongsberg.kommune.no";
    app.post(
        "/admin/invitations",
        &coordinator,
        &json!({"municipality_id": kongsberg, "invitees": [{"email": other}]}),
    )
    .await;
    app.clock.advance(Duration::days(15));
    let coordinator = app.access_token(&account).await;
    let again: Value = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": kongsberg, "invitees": [{"email": other}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["created"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_invitations_of_one_address_make_one() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Agder").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let asker = enroll(&app, &coordinator, "3203", "Asker").await;
    let body = json!({"municipality_id": asker, "invitees": [{"email": "samme@asker.kommune.no"}]});
    let requests = (0..10).map(|_| app.post("/admin/invitations", &coordinator, &body));
    let answers = futures_util::future::join_all(requests).await;
    let mut created = 0;
    for answer in answers {
        assert_eq!(answer.status(), 201);
        let result: Value = answer.json().await.unwrap();
        created += result["created"].as_array().unwrap().len();
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn mentors_can_sign_up_into_an_enrolled_municipality() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Oslo").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let asker = enroll(&app, &coordinator, "3203", "Asker").await;
    let register = |body: Value| {
        app.client
            .post(app.api("/auth/register"))
            .json(&body)
            .send()
    };
    let email = "liv@asker.kommune.no";
    let response = register(json!({"email": email, "name": "Liv Selv", "password": PASSWORD, "municipality_number": "3203"}))
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    // The sign-up is made after the answer; its mail says it is there.
    let mail = &app.mail.wait_for(email, 1).await[0];
    // Not before the address is confirmed.
    assert_problem(app.login(email, PASSWORD).await, 403, "email_not_verified").await;
    assert_problem(
        app.login(email, "wrong password here").await,
        401,
        "unauthorized",
    )
    .await;
    let verified = app
        .client
        .post(app.api("/auth/verify-email"))
        .json(&json!({"token": mail.token(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 204);
    let response = app.login(email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    let me: Value = app
        .get("/me", pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["municipality"]["number"], "3203");

    // The same address again: the same answer, a mail to the owner, no second account.
    let again = register(json!({"email": "LIV@asker.kommune.no", "name": "Noen Andre", "password": PASSWORD, "municipality_number": "3203"}))
        .await
        .unwrap();
    assert_eq!(again.status(), 202);
    let mails = app.mail.wait_for(email, 2).await;
    assert_eq!(mails[1].subject(), "Du har allerede en konto");

    // A municipality that is not enrolled.
    let refused = register(json!({"email": "x@lier.kommune.no", "name": "X", "password": PASSWORD, "municipality_number": "3312"}))
        .await
        .unwrap();
    let problem = assert_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "municipality_number");
    let refused = register(json!({"email": "x@lier.kommune.no", "name": "X", "password": PASSWORD, "municipality_number": "33a2"}))
        .await
        .unwrap();
    assert_problem(refused, 422, "validation_failed").await;

    // Coordinators see self-enrolled mentors like invited ones.
    let progress: Value = app
        .get(
            &format!("/admin/municipalities/{asker}/progress"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["items"][0]["email"], email);
    assert_eq!(progress["items"][0]["self_enrolled"], true);
    assert_eq!(progress["items"][0]["path_status"], "not_started");
}

/// Mentors in a municipality, created in SQL, at different stages.
async fn mentors_in(app: &TestApp, municipality: &str, count: usize) -> Vec<Uuid> {
    let municipality: Uuid = municipality.parse().unwrap();
    let sql = app.sql().await;
    let mut ids = Vec::new();
    for i in 0..count {
        let row = sql
            .query_one(
                "INSERT INTO users (email, name, role, municipality_id, email_verified_at, last_active_at)
                 VALUES ($1, $2, 'mentor', $3, now(), now() - make_interval(days => $4))
                 RETURNING id",
                &[
                    &format!("m{i}-{}@kommune.no", Uuid::new_v4().simple()),
                    &format!("Mentor {i:02}"),
                    &municipality,
                    &(i as i32 * 10),
                ],
            )
            .await
            .unwrap();
        ids.push(row.get(0));
    }
    ids
}

#[tokio::test]
async fn follow_up_lists_filters_pages_and_exports_without_what_mentors_wrote() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Innlandet").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let asker = enroll(&app, &coordinator, "3203", "Asker").await;
    let ids = mentors_in(&app, &asker, 5).await;
    let sql = app.sql().await;
    // Mentor 01 has a draft note and an answer; mentor 02 has done the path.
    sql.execute(
        "INSERT INTO reflection_notes (user_id, version, body, status) VALUES ($1, 1, 'HEMMELIG UTKAST', 'draft')",
        &[&ids[1]],
    )
    .await
    .unwrap();
    sql.execute(
        "INSERT INTO reflection_answers (user_id, page_slug, question_id, body) VALUES ($1, 'x', 'q', 'HEMMELIG SVAR')",
        &[&ids[1]],
    )
    .await
    .unwrap();
    sql.execute(
        "INSERT INTO path_completions (user_id) VALUES ($1)",
        &[&ids[2]],
    )
    .await
    .unwrap();

    // Pages of two, by name.
    let first: Value = app
        .get(
            &format!("/admin/municipalities/{asker}/progress?limit=2"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Mentor 00", "Mentor 01"]);
    assert_eq!(first["items"][0]["note_status"], "none");
    assert_eq!(first["items"][0]["webinar_status"], "none");
    assert_eq!(first["items"][0]["path_status"], "not_started");
    assert_eq!(first["items"][1]["note_status"], "draft");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(
            &format!("/admin/municipalities/{asker}/progress?limit=2&cursor={cursor}"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"][0]["name"], "Mentor 02");
    assert_eq!(second["items"][0]["path_status"], "completed");
    assert_eq!(second["items"][0]["modules_done"], 4);

    // Filters.
    let inactive: Value = app
        .get(
            &format!("/admin/municipalities/{asker}/progress?inactive_days=25"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inactive["items"].as_array().unwrap().len(), 2);
    let done: Value = app
        .get(
            &format!("/admin/ushts/{usht}/progress?path_status=completed"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["items"].as_array().unwrap().len(), 1);
    for bad in [
        "path_status=ferdig",
        "inactive_days=0",
        "limit=101",
        "cursor=%%%",
        "unknown=1",
    ] {
        assert_problem(
            app.get(
                &format!("/admin/municipalities/{asker}/progress?{bad}"),
                &coordinator,
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
    }

    // The CSV report: BOM, semicolons on request, every mentor, no text they wrote.
    let response = app
        .get(
            "/admin/reports/progress.csv?delimiter=semicolon",
            &coordinator,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}kommunenummer;kommune;navn".as_bytes()));
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert_eq!(text.lines().count(), 6);
    assert!(!text.contains("HEMMELIG"));
    let json_text = first.to_string() + &second.to_string();
    assert!(!json_text.contains("HEMMELIG"));
    let logged: i64 = app
        .count(
            "SELECT count(*) FROM access_log WHERE action = 'export_progress'",
            &[],
        )
        .await;
    assert_eq!(logged, 5);

    // In words and Oslo time for a spreadsheet, on request.
    let in_words = app
        .get(
            "/admin/reports/progress.csv?delimiter=semicolon&labels=norwegian",
            &coordinator,
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert!(in_words.starts_with("\u{feff}Kommunenummer;Kommune;Navn".as_bytes()));
    assert_eq!(String::from_utf8_lossy(&in_words).lines().count(), 6);
    assert_problem(
        app.get("/admin/reports/progress.csv?labels=klingon", &coordinator)
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn nudges_reach_inactive_mentors_at_most_once_a_week() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Trøndelag").await;
    let (account, coordinator) = coordinator_of(&app, &usht).await;
    let lier = enroll(&app, &coordinator, "3312", "Lier").await;
    mentors_in(&app, &lier, 4).await; // inactive 0, 10, 20 and 30 days
    let path = format!("/admin/municipalities/{lier}/nudges");
    // First what a nudge would do; that sends nothing.
    let preview = |days: i32| {
        let (app, coordinator, path) = (&app, coordinator.clone(), path.clone());
        async move {
            let answer: Value = app
                .get(&format!("{path}?inactive_days={days}"), &coordinator)
                .await
                .json()
                .await
                .unwrap();
            answer
        }
    };
    assert_eq!(
        preview(14).await,
        json!({"would_nudge": 2, "recently_nudged": 0})
    );
    assert_eq!(
        preview(14).await,
        json!({"would_nudge": 2, "recently_nudged": 0})
    );
    for bad in ["0", "3651", "x"] {
        assert_problem(
            app.get(&format!("{path}?inactive_days={bad}"), &coordinator)
                .await,
            422,
            "validation_failed",
        )
        .await;
    }
    let first: Value = app
        .post(&path, &coordinator, &json!({"inactive_days": 14}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first, json!({"nudged": 2, "skipped_recently_nudged": 0}));
    let again: Value = app
        .post(&path, &coordinator, &json!({"inactive_days": 5}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, json!({"nudged": 1, "skipped_recently_nudged": 2}));
    assert_eq!(
        preview(5).await,
        json!({"would_nudge": 0, "recently_nudged": 3})
    );
    let mails: i64 = app
        .count(
            "SELECT count(*) FROM mail_outbox WHERE template = 'nudge'",
            &[],
        )
        .await;
    assert_eq!(mails, 3);
    // A week later they may be nudged again, and the one active 8 days ago is now inactive too.
    app.clock.advance(Duration::days(8));
    let coordinator = app.access_token(&account).await;
    let later: Value = app
        .post(&path, &coordinator, &json!({"inactive_days": 5}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(later, json!({"nudged": 4, "skipped_recently_nudged": 0}));
    assert_problem(
        app.post(&path, &coordinator, &json!({"inactive_days": 0}))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn enrolment_rules() {
    let app = spawn_app().await;
    let (admin, usht) = new_usht(&app, "USHT Nordland").await;
    let (_, other_usht) = new_usht(&app, "USHT Troms").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    enroll(&app, &coordinator, "3203", "Asker").await;
    assert_problem(
        app.post(
            "/admin/municipalities",
            &coordinator,
            &json!({"number": "3203", "name": "Asker igjen"}),
        )
        .await,
        409,
        "municipality_exists",
    )
    .await;
    // Numbers outside SSB's register (3003 was Sarpsborg until 2024; 9999 is "not stated").
    for number in ["3003", "9999"] {
        let refused: Value = assert_problem(
            app.post(
                "/admin/municipalities",
                &coordinator,
                &json!({"number": number, "name": "Sarpsborg"}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "number", "{refused}");
        assert_eq!(
            refused["errors"][0]["message"],
            "is not a municipality in the register"
        );
    }
    // The register's official name is stored, with or without a name in the request.
    let trondheim: Value = app
        .post(
            "/admin/municipalities",
            &coordinator,
            &json!({"number": "5001", "name": "Trondheim"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trondheim["name"], "Trondheim - Tråante");
    let response = app
        .post(
            "/admin/municipalities",
            &coordinator,
            &json!({"number": "1818"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.json::<Value>().await.unwrap()["name"],
        "Herøy (Nordland)"
    );
    for number in ["320", "32033", "abcd", "0000", ""] {
        assert_problem(
            app.post(
                "/admin/municipalities",
                &coordinator,
                &json!({"number": number, "name": "X"}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
    }
    // Into another USHT: as if it did not exist.
    assert_problem(
        app.post(
            "/admin/municipalities",
            &coordinator,
            &json!({"number": "3301", "name": "Drammen", "usht_id": other_usht}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // Administrators name the USHT.
    assert_problem(
        app.post(
            "/admin/municipalities",
            &admin,
            &json!({"number": "3301", "name": "Drammen"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let response = app
        .post(
            "/admin/municipalities",
            &admin,
            &json!({"number": "3301", "name": "Drammen", "usht_id": other_usht}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_problem(
        app.post(
            "/admin/ushts",
            &admin,
            &json!({"name": "usht nordland", "county": "Nordland"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    let listed: Value = app
        .get("/admin/municipalities", &coordinator)
        .await
        .json()
        .await
        .unwrap();
    // Asker, Trondheim and Herøy; Drammen is the other USHT's.
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    let all: Value = app
        .get("/admin/municipalities", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn role_changes_take_effect_at_once() {
    let app = spawn_app().await;
    let (admin_account, _) = app.user_with_token(Role::Admin).await;
    let admin = app.access_token(&admin_account).await;
    let (_, usht) = new_usht(&app, "USHT Rogaland").await;
    let (coordinator_account, coordinator) = coordinator_of(&app, &usht).await;
    assert_eq!(
        app.get("/admin/municipalities", &coordinator)
            .await
            .status(),
        200
    );
    let response = app
        .post(
            &format!("/admin/users/{}/role", coordinator_account.id),
            &admin,
            &json!({"role": "facilitator"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    // The old access token says coordinator: it ended with the role change.
    assert_problem(
        app.get("/admin/municipalities", &coordinator).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/admin/users/{}/role", coordinator_account.id),
            &admin,
            &json!({"role": "coordinator"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/admin/users/{}/role", admin_account.id),
            &admin,
            &json!({"role": "mentor"}),
        )
        .await,
        409,
        "own_role",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/admin/users/{}/role", Uuid::new_v4()),
            &admin,
            &json!({"role": "mentor"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

/// Every organisation route, with every role and a coordinator of another USHT.
#[tokio::test]
async fn scope_matrix() {
    let app = spawn_app().await;
    let (admin, usht) = new_usht(&app, "USHT Møre").await;
    let (_, other_usht) = new_usht(&app, "USHT Finnmark").await;
    let (_, own) = coordinator_of(&app, &usht).await;
    let (_, foreign) = coordinator_of(&app, &other_usht).await;
    let (_, mentor) = app.user_with_token(Role::Mentor).await;
    let (_, facilitator) = app.user_with_token(Role::Facilitator).await;
    let municipality = enroll(&app, &own, "3203", "Asker").await;
    let invited: Value = app
        .post(
            "/admin/invitations",
            &own,
            &json!({"municipality_id": municipality, "invitees": [{"email": "a@asker.kommune.no"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let invitation = invited["created"][0]["id"].as_str().unwrap().to_owned();
    let some_user = app.create_user(Role::Mentor, "b@asker.kommune.no").await;

    #[derive(Clone, Copy, PartialEq)]
    enum Who {
        Admin,
        Staff,
    }
    let routes: Vec<(reqwest::Method, String, Value, Who)> = vec![
        (
            reqwest::Method::GET,
            "/admin/ushts".into(),
            json!(null),
            Who::Admin,
        ),
        (
            reqwest::Method::POST,
            "/admin/ushts".into(),
            json!({"name": format!("U {}", Uuid::new_v4()), "county": "X"}),
            Who::Admin,
        ),
        (
            reqwest::Method::POST,
            format!("/admin/ushts/{usht}/coordinators"),
            json!({"email": format!("k{}@x.no", Uuid::new_v4().simple()), "name": "K"}),
            Who::Admin,
        ),
        (
            reqwest::Method::POST,
            format!("/admin/users/{}/role", some_user.id),
            json!({"role": "mentor"}),
            Who::Admin,
        ),
        (
            reqwest::Method::GET,
            format!("/admin/ushts/{usht}/progress"),
            json!(null),
            Who::Staff,
        ),
        (
            reqwest::Method::GET,
            format!("/admin/municipalities/{municipality}"),
            json!(null),
            Who::Staff,
        ),
        (
            reqwest::Method::GET,
            format!("/admin/municipalities/{municipality}/progress"),
            json!(null),
            Who::Staff,
        ),
        (
            reqwest::Method::POST,
            format!("/admin/municipalities/{municipality}/nudges"),
            json!({"inactive_days": 30}),
            Who::Staff,
        ),
        (
            reqwest::Method::POST,
            "/admin/invitations".into(),
            json!({"municipality_id": municipality, "invitees": [{"email": "c@asker.kommune.no"}]}),
            Who::Staff,
        ),
        (
            reqwest::Method::GET,
            format!("/admin/invitations?municipality_id={municipality}"),
            json!(null),
            Who::Staff,
        ),
        (
            reqwest::Method::POST,
            format!("/admin/invitations/{invitation}/resend"),
            json!({}),
            Who::Staff,
        ),
        (
            reqwest::Method::GET,
            format!("/admin/reports/progress.csv?municipality_id={municipality}"),
            json!(null),
            Who::Staff,
        ),
        (
            reqwest::Method::GET,
            format!("/admin/reports/progress.csv?usht_id={usht}"),
            json!(null),
            Who::Staff,
        ),
    ];
    let send = |method: reqwest::Method, path: &str, token: Option<&str>, body: &Value| {
        let mut request = app.client.request(method, app.api(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if !body.is_null() {
            request = request.json(body);
        }
        request.send()
    };
    for (method, path, body, who) in &routes {
        let label = format!("{method} {path}");
        let status = |r: reqwest::Response| r.status().as_u16();
        assert_eq!(
            status(send(method.clone(), path, None, body).await.unwrap()),
            401,
            "{label} anonymous"
        );
        assert_eq!(
            status(
                send(method.clone(), path, Some("not.a.token"), body)
                    .await
                    .unwrap()
            ),
            401,
            "{label} bad token"
        );
        assert_eq!(
            status(
                send(method.clone(), path, Some(&mentor), body)
                    .await
                    .unwrap()
            ),
            403,
            "{label} mentor"
        );
        assert_eq!(
            status(
                send(method.clone(), path, Some(&facilitator), body)
                    .await
                    .unwrap()
            ),
            403,
            "{label} facilitator"
        );
        let foreign_status = status(
            send(method.clone(), path, Some(&foreign), body)
                .await
                .unwrap(),
        );
        let own_status = status(send(method.clone(), path, Some(&own), body).await.unwrap());
        let admin_status = status(
            send(method.clone(), path, Some(&admin), body)
                .await
                .unwrap(),
        );
        if *who == Who::Admin {
            assert_eq!(foreign_status, 403, "{label} coordinator on admin route");
            assert_eq!(own_status, 403, "{label} coordinator on admin route");
        } else {
            assert_eq!(foreign_status, 404, "{label} foreign coordinator");
            assert!(
                (200..300).contains(&own_status),
                "{label} own coordinator: {own_status}"
            );
        }
        assert!(
            (200..300).contains(&admin_status),
            "{label} admin: {admin_status}"
        );
    }
    // Lists only show what is in scope.
    let foreign_list: Value = app
        .get("/admin/municipalities", &foreign)
        .await
        .json()
        .await
        .unwrap();
    assert!(foreign_list["items"].as_array().unwrap().is_empty());
    let foreign_invitations: Value = app
        .get("/admin/invitations", &foreign)
        .await
        .json()
        .await
        .unwrap();
    assert!(foreign_invitations["items"].as_array().unwrap().is_empty());
    let csv = app
        .get("/admin/reports/progress.csv", &foreign)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1, "header only");
    // Malformed ids are 404, not 500.
    assert_problem(
        app.get("/admin/municipalities/not-a-uuid/progress", &own)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_pending_invitation_can_be_withdrawn_by_its_usht_only() {
    let app = spawn_app().await;
    let (_, usht) = new_usht(&app, "USHT Vestland").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let (_, other_usht) = new_usht(&app, "USHT Rogaland").await;
    let (_, stranger) = coordinator_of(&app, &other_usht).await;
    let (_, mentor) = app.user_with_token(Role::Mentor).await;
    let bergen = enroll(&app, &coordinator, "4601", "Bergen").await;
    let invite = |email: &'static str| {
        let body = json!({"municipality_id": bergen, "invitees": [{"email": email}]});
        let (app, coordinator) = (&app, coordinator.clone());
        async move {
            let created: Value = app
                .post("/admin/invitations", &coordinator, &body)
                .await
                .json()
                .await
                .unwrap();
            created["created"][0]["id"].as_str().unwrap().to_owned()
        }
    };
    let id = invite("trekkes@bergen.kommune.no").await;
    let token = app.mail.wait_for("trekkes@bergen.kommune.no", 1).await[0].token();
    let path = format!("/admin/invitations/{id}");

    // Neither a mentor nor another USHT's coordinator may, nor can an unknown id be withdrawn.
    assert_problem(app.delete(&path, &mentor).await, 403, "forbidden").await;
    assert_problem(app.delete(&path, &stranger).await, 404, "not_found").await;
    let unknown = format!("/admin/invitations/{}", Uuid::new_v4());
    assert_problem(app.delete(&unknown, &coordinator).await, 404, "not_found").await;

    assert_eq!(app.delete(&path, &coordinator).await.status(), 204);
    assert_problem(app.delete(&path, &coordinator).await, 404, "not_found").await;
    assert_problem(
        accept(&app, &token, "Trude").await,
        410,
        "invitation_withdrawn",
    )
    .await;
    let listed: Value = app
        .get(
            &format!("/admin/invitations?municipality_id={bergen}"),
            &coordinator,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty(), "{listed}");
    // The address may be invited again.
    invite("trekkes@bergen.kommune.no").await;

    // An accepted invitation stays.
    let accepted = invite("godtar@bergen.kommune.no").await;
    let link = app.mail.wait_for("godtar@bergen.kommune.no", 1).await[0].token();
    assert_eq!(accept(&app, &link, "Gunn").await.status(), 201);
    assert_problem(
        app.delete(&format!("/admin/invitations/{accepted}"), &coordinator)
            .await,
        409,
        "invitation_accepted",
    )
    .await;
}

#[tokio::test]
async fn administrators_list_staff_by_role_and_no_one_else_may() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, usht) = new_usht(&app, "USHT Innlandet").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let (_, mentor) = app.user_with_token(Role::Mentor).await;
    let sql = app.sql().await;
    for name in ["Åse Veileder", "Berit Veileder"] {
        let account = app
            .create_user(
                Role::Facilitator,
                &format!("{}@example.no", uuid::Uuid::new_v4().simple()),
            )
            .await;
        sql.execute(
            "UPDATE users SET name = $2 WHERE id = $1",
            &[&account.id, &name],
        )
        .await
        .unwrap();
    }
    let listed: Value = app
        .get("/admin/users?role=facilitator", &admin)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{listed}");
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["role"] == "facilitator"));
    for token in [&coordinator, &mentor] {
        assert_problem(
            app.get("/admin/users?role=facilitator", token).await,
            403,
            "forbidden",
        )
        .await;
    }
    // Without a role: every member of staff, mentors never.
    let everyone: Value = app.get("/admin/users", &admin).await.json().await.unwrap();
    let roles: Vec<&str> = everyone
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"facilitator") && roles.contains(&"admin"),
        "{roles:?}"
    );
    assert!(!roles.contains(&"mentor"), "{roles:?}");
    for query in ["role=mentor", "role=rektor"] {
        assert_problem(
            app.get(&format!("/admin/users?{query}"), &admin).await,
            422,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn administrators_find_one_account_by_its_exact_address_and_no_one_else_may() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, usht) = new_usht(&app, "USHT Vestland").await;
    let (_, coordinator) = coordinator_of(&app, &usht).await;
    let mentor = app
        .create_user(Role::Mentor, "kari.mentor@bergen.kommune.no")
        .await;
    let (_, mentor_token) = app.user_with_token(Role::Mentor).await;

    // Any role, mentors too, matched whatever the case of the address.
    let found: Value = app
        .get("/admin/users?email=Kari.Mentor@Bergen.kommune.no", &admin)
        .await
        .json()
        .await
        .unwrap();
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], mentor.id.to_string());
    assert_eq!(found[0]["role"], "mentor");
    assert!(found[0].get("municipality_id").is_some() && found[0].get("usht_id").is_some());

    // Only the exact address: a part of it, or another role than asked for, finds nobody.
    for query in [
        "email=kari.mentor@bergen.kommune",
        "email=mentor@bergen.kommune.no",
        "email=kari.mentor@bergen.kommune.no&role=facilitator",
    ] {
        let listed: Value = app
            .get(&format!("/admin/users?{query}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed, json!([]), "{query}");
    }
    let listed: Value = app
        .get(
            "/admin/users?email=kari.mentor@bergen.kommune.no&role=mentor",
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // An erased account is no longer found.
    app.sql()
        .await
        .execute(
            "UPDATE users SET erased_at = now() WHERE id = $1",
            &[&mentor.id],
        )
        .await
        .unwrap();
    let listed: Value = app
        .get("/admin/users?email=kari.mentor@bergen.kommune.no", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));

    for token in [&coordinator, &mentor_token] {
        assert_problem(
            app.get("/admin/users?email=kari.mentor@bergen.kommune.no", token)
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    for query in ["email=", "email=not-an-address", "email=a@b.no&name=Kari"] {
        assert_problem(
            app.get(&format!("/admin/users?{query}"), &admin).await,
            422,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn the_municipality_register_is_public_with_its_source_and_date() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.api("/municipality-register"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=86400");
    let register: Value = response.json().await.unwrap();
    assert_eq!(register["valid_from"], "2026-01-01");
    assert!(register["source"].as_str().unwrap().contains("SSB"));
    let all = register["municipalities"].as_array().unwrap();
    assert_eq!(all.len(), 357);
    assert!(all.contains(&json!({"number": "3203", "name": "Asker"})));
    assert_eq!(all[0], json!({"number": "0301", "name": "Oslo"}));
}

#[tokio::test]
async fn an_administrator_says_which_municipalities_each_usht_covers_and_no_two_cover_one() {
    let app = spawn_app().await;
    let (admin, vestland) = new_usht(&app, "USHT Vestland").await;
    let (_, asker) = new_usht(&app, "USHT Asker").await;

    // A county stands for every municipality in it; a municipality for itself.
    let response = app
        .patch(
            &format!("/admin/ushts/{vestland}"),
            &admin,
            &json!({"covers": ["46", "4601", "46"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let usht: Value = response.json().await.unwrap();
    assert_eq!(usht["covers"], json!(["46", "4601"]));
    let covered = app
        .count(
            "SELECT count(*) FROM usht_coverage WHERE usht_id = $1::text::uuid",
            &[&vestland],
        )
        .await;
    let in_vestland = mentorsti::register::municipalities_of("46").count() as i64;
    assert_eq!(covered, in_vestland);
    assert!(in_vestland > 40);

    // A municipality another USHT covers is refused, naming it and who covers it.
    let response = app
        .patch(
            &format!("/admin/ushts/{asker}"),
            &admin,
            &json!({"covers": ["3203", "4601"]}),
        )
        .await;
    let problem = assert_problem(response, 409, "coverage_overlap").await;
    assert_eq!(
        problem["covered_elsewhere"],
        json!([{"municipality_number": "4601", "usht": "USHT Vestland"}])
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM usht_coverage WHERE usht_id = $1::text::uuid",
            &[&asker]
        )
        .await,
        0
    );
    let response = app
        .patch(
            &format!("/admin/ushts/{asker}"),
            &admin,
            &json!({"covers": ["3203"]}),
        )
        .await;
    assert_eq!(response.status(), 200);

    // What a USHT covers is replaced whole: Vestland gives up 4601 and Asker may take it.
    let response = app
        .patch(
            &format!("/admin/ushts/{vestland}"),
            &admin,
            &json!({"covers": ["4602"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .patch(
            &format!("/admin/ushts/{asker}"),
            &admin,
            &json!({"covers": ["3203", "4601"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let listed = app.get_json("/admin/ushts", &admin).await;
    let covers: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["covers"])
        .collect();
    assert!(covers.contains(&&json!(["3203", "4601"])));
    assert!(covers.contains(&&json!(["4602"])));

    // Numbers the register does not have, and other roles, are refused.
    for bad in [
        json!(["99"]),
        json!(["9999"]),
        json!(["3"]),
        json!([""]),
        json!(["46x"]),
    ] {
        let response = app
            .patch(
                &format!("/admin/ushts/{asker}"),
                &admin,
                &json!({ "covers": bad }),
            )
            .await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let too_many: Vec<String> = (0..401).map(|_| "3203".to_owned()).collect();
    let response = app
        .patch(
            &format!("/admin/ushts/{asker}"),
            &admin,
            &json!({ "covers": too_many }),
        )
        .await;
    assert_problem(response, 422, "validation_failed").await;
    let response = app
        .patch(
            &format!("/admin/ushts/{}", Uuid::new_v4()),
            &admin,
            &json!({"covers": ["3203"]}),
        )
        .await;
    assert_problem(response, 404, "not_found").await;
    let (_, coordinator) = coordinator_of(&app, &asker).await;
    let response = app
        .patch(
            &format!("/admin/ushts/{asker}"),
            &coordinator,
            &json!({"covers": ["4601"]}),
        )
        .await;
    assert_eq!(response.status(), 403);
}
