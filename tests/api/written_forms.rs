//! Mail, calendars and the certificate in the recipient's written form: a person who reads
//! nynorsk gets nynorsk, everyone else bokmål.

use chrono::{Duration, Utc};
use mentorsti::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{coordinator_of, spawn_app_with, Account, TestApp, PASSWORD};
use crate::webinars::parse_ics;

async fn spawn_app_quiet() -> TestApp {
    spawn_app_with(|vars| {
        vars.insert("WORKER_POLL_INTERVAL_MS".into(), "600000".into());
    })
    .await
}

async fn spawn_app() -> TestApp {
    crate::helpers::spawn_app().await
}

/// A signed-in user of `role` who has chosen nynorsk with `PATCH /me`; with a fresh token.
async fn nynorsk_user(app: &TestApp, role: Role) -> (Account, String) {
    let (account, token) = app.user_with_token(role).await;
    let response = app.patch("/me", &token, &json!({"language": "nn"})).await;
    assert_eq!(response.status(), 200, "PATCH /me language");
    let me: Value = app.get("/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "nn");
    (account, token)
}

/// A nynorsk mentor whose path is done and note submitted (set up in the database).
async fn ready_nynorsk_mentor(app: &TestApp) -> (Account, String) {
    let (account, token) = nynorsk_user(app, Role::Mentor).await;
    crate::webinars::make_ready(app, &account).await;
    (account, token)
}

/// A series of three sessions, the first `first_in` from now; returns (admin token, series id).
async fn series_starting_in(app: &TestApp, first_in: Duration, title: &str) -> (String, String) {
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (facilitator, _) = app.user_with_token(Role::Facilitator).await;
    let start = Utc::now() + first_in;
    let response = app
        .post(
            "/admin/webinar-series",
            &admin,
            &json!({"title": title, "capacity": 10, "facilitator_id": facilitator.id,
                "registration_deadline": Utc::now() + Duration::hours(1), "sessions": [
                {"starts_at": start, "join_url": "https://meet.example.no/a"},
                {"starts_at": start + Duration::days(20), "join_url": "https://meet.example.no/b"},
                {"starts_at": start + Duration::days(40), "join_url": "https://meet.example.no/c"}]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let series: Value = response.json().await.unwrap();
    (admin, series["id"].as_str().unwrap().to_owned())
}

/// A USHT and an enrolled municipality with a coordinator: (coordinator token, municipality id).
async fn municipality(app: &TestApp, number: &str, name: &str) -> (String, String) {
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let usht: Value = app
        .post(
            "/admin/ushts",
            &admin,
            &json!({"name": format!("USHT {name}"), "county": "Vestland"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let (_, coordinator) = coordinator_of(app, usht["id"].as_str().unwrap()).await;
    let response = app
        .post(
            "/admin/municipalities",
            &coordinator,
            &json!({"number": number, "name": name}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (coordinator, body["id"].as_str().unwrap().to_owned())
}

/// Lines of an iCalendar text, unfolded, that start with `prefix`.
fn ics_lines(ics: &str, prefix: &str) -> Vec<String> {
    ics.replace("\r\n ", "")
        .split("\r\n")
        .filter(|l| l.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_nynorsk_reader_gets_a_nynorsk_password_reset_and_sign_in_link() {
    let app = spawn_app().await;
    let (nynorsk, _) = nynorsk_user(&app, Role::Mentor).await;
    let (bokmal, _) = app.user_with_token(Role::Mentor).await;
    for account in [&nynorsk, &bokmal] {
        let response = app
            .client
            .post(app.api("/auth/password-reset"))
            .json(&json!({"email": account.email}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
    }
    let mail = &app.mail.wait_for(&nynorsk.email, 1).await[0];
    assert_eq!(mail.subject(), "Tilbakestill passordet ditt");
    let text = mail.text();
    assert!(
        text.contains("Lenkja under verkar i éin time og kan brukast éin gong."),
        "{text}"
    );
    assert!(text.contains("Vel nytt passord:"), "{text}");
    assert!(text.contains("Med venleg helsing"), "{text}");
    assert!(mail.html().contains("<html lang=\"nn\">"));
    assert!(mail.html().contains("Verkar ikkje knappen?"));
    let mail = &app.mail.wait_for(&bokmal.email, 1).await[0];
    assert!(mail.text().contains("Lenken under virker i én time"));
    assert!(mail.text().contains("Vennlig hilsen"));

    // The reset link works whatever the form.
    let token = app.mail.wait_for(&nynorsk.email, 1).await[0].token();
    let reset = app
        .client
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": "eit heilt nytt og langt passord"}))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success(), "{}", reset.status());

    let response = app
        .client
        .post(app.api("/auth/sign-in-link"))
        .json(&json!({"email": nynorsk.email}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let mails = app.mail.wait_for(&nynorsk.email, 2).await;
    assert_eq!(mails[1].subject(), "Lenkje for å logge inn");
    assert!(mails[1]
        .text()
        .contains("Du bad om ei lenkje for å logge inn"));
}

#[tokio::test]
async fn a_nynorsk_mentor_gets_webinar_mails_calendars_and_reminders_in_nynorsk() {
    let app = spawn_app_quiet().await;
    let (_, id) = series_starting_in(&app, Duration::hours(23), "Haustgruppa").await;
    let (mentor, token) = ready_nynorsk_mentor(&app).await;
    let response = app
        .post(
            &format!("/webinar-series/{id}/registrations"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 201);
    app.state.worker().unwrap().send_due(10).await.unwrap();

    let mail = &app.mail.wait_for(&mentor.email, 1).await[0];
    assert_eq!(mail.subject(), "Påmelding stadfesta: Haustgruppa");
    let text = mail.text();
    assert!(
        text.contains("Deltakarane utgjer ei refleksjonsgruppe"),
        "{text}"
    );
    assert!(text.contains("Kalenderinvitasjonen ligg ved."), "{text}");
    assert!(text.contains(" minutt)"), "{text}");
    assert!(!text.contains("minutter"), "{text}");
    let attachments = mail.attachments();
    assert_eq!(attachments[0].0, "invitasjon.ics");
    let ics = &attachments[0].2;
    let parsed = parse_ics(ics);
    assert_eq!(parsed["method"], "REQUEST");
    assert_eq!(parsed["events"].as_array().unwrap().len(), 3);
    assert_eq!(
        ics_lines(ics, "SUMMARY:"),
        [
            "SUMMARY:Refleksjonswebinar 1 av 3: Haustgruppa",
            "SUMMARY:Refleksjonswebinar 2 av 3: Haustgruppa",
            "SUMMARY:Refleksjonswebinar 3 av 3: Haustgruppa",
        ],
        "the summary as nynorsk writes it"
    );
    let description = &ics_lines(ics, "DESCRIPTION:")[0];
    assert!(
        description.contains("(modul 5 i mentoropplæringa)\\, 120 minutt."),
        "{description}"
    );
    // The crate's own parser reads it back, text and all.
    let calendar: icalendar::Calendar = ics.parse().expect("the icalendar crate parses it");
    let event = calendar
        .components
        .iter()
        .find_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .expect("an event");
    use icalendar::Component;
    assert_eq!(
        event.get_summary(),
        Some("Refleksjonswebinar 1 av 3: Haustgruppa")
    );
    assert!(event
        .get_description()
        .unwrap()
        .contains("mentoropplæringa), 120 minutt."));

    // The feed: the caller's form, the invitation's UIDs.
    let feed = app
        .client
        .get(app.api("/me/calendar.ics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.headers()["content-language"], "nn");
    let feed = feed.text().await.unwrap();
    assert!(ics_lines(&feed, "DESCRIPTION:")[0].contains("mentoropplæringa"));
    let uids = |v: &Value| {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["uid"].clone(), e["start"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(uids(&parse_ics(&feed)), uids(&parsed));

    // Tomorrow's reminder, in nynorsk.
    let worker = app.state.worker().unwrap();
    worker.schedule_reminders().await.unwrap();
    worker.send_due(10).await.unwrap();
    let mails = app.mail.wait_for(&mentor.email, 2).await;
    let reminder = mails
        .iter()
        .find(|m| m.subject().starts_with("I morgon"))
        .expect("the day's reminder");
    assert_eq!(reminder.subject(), "I morgon: samling 1 i Haustgruppa");
    let text = reminder.text();
    assert!(text.contains("erfaringar frå gruppa di"), "{text}");
    assert!(
        ["måndag", "tysdag", "onsdag", "torsdag", "fredag", "laurdag", "sundag"]
            .iter()
            .any(|d| text.contains(&format!("er {d} "))),
        "a nynorsk weekday: {text}"
    );

    // Cancelling: a nynorsk mail and a CANCEL with the same UIDs.
    let response = app
        .delete(&format!("/webinar-series/{id}/registrations/me"), &token)
        .await;
    assert_eq!(response.status(), 204);
    worker.send_due(10).await.unwrap();
    let mails = app.mail.wait_for(&mentor.email, 3).await;
    let cancelled = mails
        .iter()
        .find(|m| m.subject().starts_with("Avmeldt"))
        .expect("the cancellation");
    assert!(cancelled
        .text()
        .contains("Vedlegget fjernar samlingane frå kalenderen din."));
    let attachment = &cancelled.attachments()[0];
    assert_eq!(attachment.0, "avlysing.ics");
    let cancel = parse_ics(&attachment.2);
    assert_eq!(cancel["method"], "CANCEL");
    assert_eq!(
        cancel["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["uid"].clone())
            .collect::<Vec<_>>(),
        uids(&parsed)
            .into_iter()
            .map(|(u, _)| u)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn nudges_are_written_in_each_mentor_s_form() {
    let app = spawn_app().await;
    let (coordinator, voss) = municipality(&app, "4621", "Voss").await;
    let voss_id: Uuid = voss.parse().unwrap();
    let sql = app.sql().await;
    let mut addresses = Vec::new();
    for language in ["nn", "nb"] {
        let email = format!("{language}-{}@voss.kommune.no", Uuid::new_v4().simple());
        sql.execute(
            "INSERT INTO users (email, name, role, municipality_id, email_verified_at, last_active_at, language)
             VALUES ($1, 'Mentor', 'mentor', $2, now(), now() - interval '30 days', $3)",
            &[&email, &voss_id, &language],
        )
        .await
        .unwrap();
        addresses.push(email);
    }
    let response = app
        .post(
            &format!("/admin/municipalities/{voss}/nudges"),
            &coordinator,
            &json!({"inactive_days": 14}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let nn = &app.mail.wait_for(&addresses[0], 1).await[0];
    assert_eq!(nn.subject(), "Vi saknar deg i mentoropplæringa");
    assert!(nn
        .text()
        .contains("Det er 14 dagar eller meir sidan du sist var innom mentoropplæringa."));
    assert!(nn.text().contains("Hald fram med opplæringa:"));
    let nb = &app.mail.wait_for(&addresses[1], 1).await[0];
    assert_eq!(nb.subject(), "Vi savner deg i mentoropplæringen");
}

#[tokio::test]
async fn a_nynorsk_invitation_arrives_in_nynorsk_and_makes_a_nynorsk_account() {
    let app = spawn_app().await;
    let (coordinator, voss) = municipality(&app, "4621", "Voss").await;
    let email = "synnove@voss.kommune.no";
    let response = app
        .post(
            "/admin/invitations",
            &coordinator,
            &json!({"municipality_id": voss, "language": "nn",
                "invitees": [{"email": email, "name": "Synnøve"}]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let invited: Value = response.json().await.unwrap();
    let id = invited["created"][0]["id"].as_str().unwrap().to_owned();
    let mail = &app.mail.wait_for(email, 1).await[0];
    assert_eq!(mail.subject(), "Du er invitert til mentoropplæringa");
    let text = mail.text();
    assert!(
        text.contains("Voss kommune har meldt deg på den digitale opplæringa for mentorar"),
        "{text}"
    );
    assert!(text.contains("Lenkja under verkar til "), "{text}");
    assert!(text.contains("Med venleg helsing"), "{text}");

    // Resent: nynorsk again.
    let response = app
        .post(
            &format!("/admin/invitations/{id}/resend"),
            &coordinator,
            &json!({}),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let mails = app.mail.wait_for(email, 2).await;
    assert_eq!(mails[1].subject(), "Du er invitert til mentoropplæringa");

    // Someone signs up with the invited address (in bokmål): told so in the invitation's form.
    let response = app
        .client
        .post(app.api("/auth/register"))
        .json(&json!({"email": email, "name": "Nokon", "password": PASSWORD, "municipality_number": "4621"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let mails = app.mail.wait_for(email, 3).await;
    assert_eq!(mails[2].subject(), "Du er allereie invitert");

    let response = app
        .client
        .post(app.api("/auth/invitations/accept"))
        .json(&json!({"token": mails[1].token(), "name": "Synnøve", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let pair: Value = response.json().await.unwrap();
    let me: Value = app
        .get("/me", pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["language"], "nn");
}

#[tokio::test]
async fn a_sign_up_in_nynorsk_is_verified_in_nynorsk() {
    let app = spawn_app().await;
    municipality(&app, "4621", "Voss").await;
    let email = "ingvild@voss.kommune.no";
    let response = app
        .client
        .post(app.api("/auth/register"))
        .header("accept-language", "nn-NO,nn;q=0.9,nb;q=0.5")
        .json(&json!({"email": email, "name": "Ingvild", "password": PASSWORD, "municipality_number": "4621"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let mail = &app.mail.wait_for(email, 1).await[0];
    assert_eq!(mail.subject(), "Stadfest e-postadressa di");
    let text = mail.text();
    assert!(
        text.contains("opne lenkja og skriv passordet du valde då du melde deg på"),
        "{text}"
    );
    assert!(text.contains("Stadfest e-postadressa:"), "{text}");
    let verified = app
        .client
        .post(app.api("/auth/verify-email"))
        .json(&json!({"token": mail.token(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 204);

    // Signing up again, in bokmål: the account's owner is told in the account's form.
    let response = app
        .client
        .post(app.api("/auth/register"))
        .header("accept-language", "nb")
        .json(&json!({"email": email, "name": "Nokon", "password": PASSWORD, "municipality_number": "4621"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let mails = app.mail.wait_for(email, 2).await;
    assert_eq!(mails[1].subject(), "Du har allereie ein konto");

    // A bokmål sign-up stays bokmål.
    let other = "per@voss.kommune.no";
    app.client
        .post(app.api("/auth/register"))
        .json(&json!({"email": other, "name": "Per", "password": PASSWORD, "municipality_number": "4621"}))
        .send()
        .await
        .unwrap();
    let mail = &app.mail.wait_for(other, 1).await[0];
    assert_eq!(mail.subject(), "Bekreft e-postadressen din");
}

#[tokio::test]
async fn the_certificate_names_the_programme_in_the_reader_s_form() {
    let app = spawn_app().await;
    let (mentor, token) = nynorsk_user(&app, Role::Mentor).await;
    let code = "ABCD-EFGH-JKLM-NPQR";
    app.sql()
        .await
        .execute(
            "INSERT INTO certificates (user_id, verification_code, name, programme, completed_on)
             VALUES ($1, $2, 'Test Testesen', $3, current_date)",
            &[&mentor.id, &code, &mentorsti::webinars::PROGRAMME],
        )
        .await
        .unwrap();
    let response = app.get("/me/certificate", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-language"], "nn");
    let mine: Value = response.json().await.unwrap();
    assert_eq!(mine["programme"], "Mentoropplæring i lindrande behandling");

    let check = |language: Option<&'static str>| {
        let mut request = app.client.get(app.api(&format!("/certificates/{code}")));
        if let Some(language) = language {
            request = request.header("accept-language", language);
        }
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        check(None).await["programme"],
        "Mentoropplæring i lindrende behandling",
        "the reader is unknown: bokmål"
    );
    assert_eq!(
        check(Some("nn")).await["programme"],
        "Mentoropplæring i lindrande behandling"
    );
    assert_eq!(
        check(Some("nb-NO,nb;q=0.9")).await["programme"],
        "Mentoropplæring i lindrende behandling"
    );
    // Stored once, in bokmål.
    let stored: i64 = app
        .count(
            "SELECT count(*) FROM certificates WHERE programme = 'Mentoropplæring i lindrende behandling'",
            &[],
        )
        .await;
    assert_eq!(stored, 1);
}
