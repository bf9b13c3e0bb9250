use std::collections::HashSet;
use std::net::TcpListener;

use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::AsyncConnection;
use mentorsti::auth::Role;
use mentorsti::error::AppError;
use mentorsti::mail::{self, templates, Attachment, NewMail};
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, MailCatcher};

fn sample(i: usize) -> templates::RenderedMail {
    templates::Letter {
        template: "test",
        language: mentorsti::language::Language::Bokmal,
        subject: format!("Melding {i}"),
        greeting_name: "Kari",
        paragraphs: vec!["Dette er en prøve med æøå.".into()],
        action: None,
        closing: vec![],
    }
    .render()
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_goes_once_when_it_is_back() {
    // A port with nobody listening: connection refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|vars| {
        vars.insert("SMTP_URL".into(), format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    app.create_user(Role::Mentor, "venter@example.no").await;
    app.client
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": "venter@example.no"}))
        .send()
        .await
        .unwrap();
    let sql = app.sql().await;
    // Wait until the worker has tried and failed at least twice.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        // The reset's mail is made just after the answer.
        let row = sql
            .query_opt(
                "SELECT attempts, sent_at IS NULL, last_error FROM mail_outbox",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = row.filter(|row| row.get::<_, i32>(0) >= 2) {
            assert!(row.get::<_, bool>(1), "not sent while SMTP is down");
            assert!(row.get::<_, Option<String>>(2).is_some());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never retried"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The SMTP server comes back on the same port.
    let catcher = MailCatcher::start_on(TcpListener::bind(("127.0.0.1", port)).unwrap());
    let mails = catcher.wait_for("venter@example.no", 1).await;
    assert_eq!(mails[0].subject(), "Tilbakestill passordet ditt");
    // The worker marks the mail sent when its transaction commits, just after delivery.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let row = sql
            .query_one(
                "SELECT sent_at IS NOT NULL, failed_at IS NULL FROM mail_outbox",
                &[],
            )
            .await
            .unwrap();
        assert!(row.get::<_, bool>(1), "never given up");
        if row.get::<_, bool>(0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never marked sent");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Let any stray worker round pass: still exactly one message.
    app.state.worker().unwrap().send_due(10).await.unwrap();
    assert_eq!(catcher.all().len(), 1);
}

#[tokio::test]
async fn two_workers_never_send_a_mail_twice() {
    let app = spawn_app_with(|vars| {
        vars.insert("WORKER_POLL_INTERVAL_MS".into(), "600000".into());
    })
    .await;
    {
        let mut conn = app.state.pool.get().await.unwrap();
        for i in 0..40 {
            let to = format!("m{i}@example.no");
            mail::enqueue(&mut conn, NewMail::now(&to, None, sample(i)))
                .await
                .unwrap();
        }
    }
    let first = app.state.worker().unwrap();
    let second = app.state.worker().unwrap();
    let (a, b) = tokio::join!(first.send_due(100), second.send_due(100));
    let (a, b) = (a.unwrap(), b.unwrap());
    // The in-process worker may have taken some too; together they sent each exactly once.
    let received = app.mail.all();
    assert!(a + b <= 40);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.mail.all().len() < 40 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let received_now = app.mail.all();
    assert!(received.len() <= 40);
    assert_eq!(received_now.len(), 40, "every mail once");
    let ids: HashSet<String> = received_now.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 40, "no duplicates");
    // A mail reaches the server before its worker's transaction marks it sent.
    let unsent = || async {
        app.count(
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL",
            &[],
        )
        .await
    };
    while unsent().await > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(unsent().await, 0);
}

#[tokio::test]
async fn outbox_rows_roll_back_with_their_transaction() {
    let app = spawn_app().await;
    let mut conn = app.state.pool.get().await.unwrap();
    let result = conn
        .transaction::<(), AppError, _>(|conn| {
            async move {
                mail::enqueue(conn, NewMail::now("rollback@example.no", None, sample(1))).await?;
                Err(AppError::Conflict("the change failed".into()))
            }
            .scope_boxed()
        })
        .await;
    assert!(result.is_err());
    let rows: i64 = app.count("SELECT count(*) FROM mail_outbox", &[]).await;
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn dedupe_keys_enqueue_once_and_attachments_arrive() {
    let app = spawn_app().await;
    {
        let mut conn = app.state.pool.get().await.unwrap();
        for _ in 0..3 {
            let mut new = NewMail::now("kalender@example.no", None, sample(7));
            new.dedupe_key = Some("reminder:1".into());
            new.attachments = vec![Attachment {
                filename: "invitasjon.ics".into(),
                content_type: "text/calendar; method=REQUEST; charset=utf-8".into(),
                content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
            }];
            mail::enqueue(&mut conn, new).await.unwrap();
        }
    }
    let mails = app.mail.wait_for("kalender@example.no", 1).await;
    let attachments = mails[0].attachments();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].0, "invitasjon.ics");
    assert_eq!(attachments[0].1, "text/calendar");
    assert!(attachments[0].2.contains("BEGIN:VCALENDAR"));
    assert!(mails[0].text().contains("æøå"));
    app.state.worker().unwrap().send_due(10).await.unwrap();
    assert_eq!(app.mail.to("kalender@example.no").len(), 1);
}

#[tokio::test]
async fn file_transport_writes_one_eml_per_message() {
    let dir =
        std::env::temp_dir().join(format!("mentorsti-mail-{}", uuid::Uuid::new_v4().simple()));
    let dir_string = dir.to_string_lossy().into_owned();
    let app = spawn_app_with(|vars| {
        vars.insert("MAIL_TRANSPORT".into(), "file".into());
        vars.insert("MAIL_DIR".into(), dir_string);
    })
    .await;
    {
        let mut conn = app.state.pool.get().await.unwrap();
        mail::enqueue(&mut conn, NewMail::now("fil@example.no", None, sample(1)))
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let files: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(Result::ok).collect())
            .unwrap_or_default();
        if let Some(file) = files
            .iter()
            .find(|f| f.path().extension().is_some_and(|e| e == "eml"))
        {
            let raw = std::fs::read_to_string(file.path()).unwrap();
            assert!(raw.contains("fil@example.no"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no .eml file appeared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
