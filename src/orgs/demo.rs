//! `mentorsti demo seed`: fills a database with realistic data for trying the API: one USHT
//! with Asker, Drammen, Lier and Kongsberg, mentors at every stage, pending and expired
//! invitations, a facilitator, a finished, a running and an upcoming webinar series. Run by hand only; it refuses to run twice.

use chrono::{Duration, Utc};
use diesel::sql_types::{Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::scoped_futures::ScopedFutureExt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::seq::SliceRandom;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::error::AppError;
use crate::AppState;

pub const USHT_NAME: &str = "USHT Buskerud (demo)";

/// (number, name, mentors)
pub const MUNICIPALITIES: [(&str, &str, usize); 4] = [
    ("3203", "Asker", 17),
    ("3301", "Drammen", 16),
    ("3312", "Lier", 15),
    ("3303", "Kongsberg", 11),
];

const FIRST_NAMES: [&str; 24] = [
    "Anne",
    "Kari",
    "Ingrid",
    "Liv",
    "Marit",
    "Hilde",
    "Silje",
    "Nora",
    "Ida",
    "Hanne",
    "Maja",
    "Sara",
    "Ole",
    "Lars",
    "Per",
    "Jon",
    "Knut",
    "Eirik",
    "Amir",
    "Fatima",
    "Agnieszka",
    "Tomas",
    "Linh",
    "Mette",
];
const LAST_NAMES: [&str; 20] = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Berg",
    "Haugen",
    "Hagen",
    "Eriksen",
    "Bakken",
    "Solberg",
    "Lund",
    "Moen",
    "Ali",
    "Nowak",
];
const WORKPLACES: [&str; 6] = [
    "Sykehjemmet, avdeling 1",
    "Sykehjemmet, skjermet enhet",
    "Hjemmetjenesten sone nord",
    "Hjemmetjenesten sone sør",
    "Korttidsavdelingen",
    "Omsorgsboliger",
];

/// Where a demo mentor has come to.
#[derive(Clone, Copy)]
enum Stage {
    Invited,
    NotStarted,
    Reading,
    PathDone,
    NoteDraft,
    Registered,
    Completed,
}

const STAGES: [Stage; 7] = [
    Stage::Invited,
    Stage::NotStarted,
    Stage::Reading,
    Stage::PathDone,
    Stage::NoteDraft,
    Stage::Registered,
    Stage::Completed,
];

const NOTE: &str =
    "I gruppen på avdelingen vår har vi snakket mye om hvordan vi kan møte pårørende \
når en beboer nærmer seg livets slutt. Som mentor vil jeg øve på å stille åpne spørsmål og vente \
litt lenger før jeg sier noe selv. Jeg har lagt merke til at de erfarne kollegaene ofte tar ordet \
først, og at de nyansatte blir sittende stille. Neste gang vil jeg be alle skrive ned én situasjon \
før vi snakker sammen, slik at flere stemmer kommer fram.";

/// The logins the seed made.
pub struct Seeded {
    pub password: String,
    pub admin: String,
    pub coordinator: String,
    pub facilitator: String,
    pub mentors: Vec<(String, &'static str)>,
}

fn sql(query: &str) -> diesel::query_builder::SqlQuery {
    diesel::sql_query(query)
}

pub async fn seed(state: &AppState) -> anyhow::Result<Seeded> {
    let mut conn = state.pool.get().await?;
    use crate::db::schema::ushts;
    use diesel::{ExpressionMethods, QueryDsl};
    let exists: bool = diesel::dsl::select(diesel::dsl::exists(
        ushts::table.filter(ushts::name.eq(USHT_NAME)),
    ))
    .get_result(&mut conn)
    .await?;
    if exists {
        anyhow::bail!("this database already holds the demo data ({USHT_NAME})");
    }
    let password = demo_password();
    let hash = state
        .passwords
        .hash(&SecretString::from(password.clone()))
        .await?;
    let seeded = conn
        .transaction::<Seeded, AppError, _>(|conn| {
            async move { fill(conn, &hash, password).await }.scope_boxed()
        })
        .await?;
    Ok(seeded)
}

fn demo_password() -> String {
    const WORDS: [&str; 12] = [
        "kaffe", "fjord", "vaffel", "bjerk", "sommer", "lykt", "kompass", "tavle", "måke", "skog",
        "fyrlykt", "bro",
    ];
    let mut rng = rand::rngs::OsRng;
    let words: Vec<&str> = (0..4)
        .map(|_| *WORDS.choose(&mut rng).unwrap_or(&"kaffe"))
        .collect();
    format!("{}-{}", words.join("-"), rng.gen_range(10..100))
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[derive(diesel::QueryableByName)]
struct PathPage {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Integer)]
    module_number: i32,
}

async fn new_user(
    conn: &mut AsyncPgConnection,
    email: &str,
    name: &str,
    role: &str,
    hash: &str,
) -> Result<Uuid, AppError> {
    let row: Id = sql(
        "INSERT INTO users (email, name, role, password_hash, email_verified_at, last_active_at)
         VALUES ($1, $2, $3, $4, now(), now()) RETURNING id",
    )
    .bind::<Text, _>(email)
    .bind::<Text, _>(name)
    .bind::<Text, _>(role)
    .bind::<Text, _>(hash)
    .get_result(conn)
    .await?;
    Ok(row.id)
}

/// 13:00 in Oslo on the Tuesday of the week `weeks` after `around`, as webinars in working hours
/// are (the local time stays 13:00 across the change to and from summer time).
fn afternoon_in_oslo(around: chrono::DateTime<Utc>, weeks: i64) -> chrono::DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    let day = (around + Duration::weeks(weeks))
        .with_timezone(&chrono_tz::Europe::Oslo)
        .date_naive();
    let tuesday =
        day - Duration::days(i64::from(day.weekday().num_days_from_monday())) + Duration::days(1);
    chrono_tz::Europe::Oslo
        .from_local_datetime(&tuesday.and_hms_opt(13, 0, 0).expect("a valid time"))
        .single()
        .expect("13:00 is never skipped or repeated in Oslo")
        .with_timezone(&Utc)
}

async fn new_series(
    conn: &mut AsyncPgConnection,
    title: &str,
    facilitator: Uuid,
    around: chrono::DateTime<Utc>,
) -> Result<(Uuid, Vec<Uuid>), AppError> {
    let first = afternoon_in_oslo(around, 0);
    let series: Id = sql(
        "INSERT INTO webinar_series (title, facilitator_id, capacity, registration_deadline)
         VALUES ($1, $2, 12, $3) RETURNING id",
    )
    .bind::<Text, _>(title)
    .bind::<SqlUuid, _>(facilitator)
    .bind::<Timestamptz, _>(first - Duration::hours(48))
    .get_result(conn)
    .await?;
    let mut sessions = Vec::new();
    for n in 0..3 {
        let session: Id = sql(
            "INSERT INTO webinar_sessions (series_id, number, starts_at, duration_minutes, join_url)
             VALUES ($1, $2, $3, 120, $4) RETURNING id",
        )
        .bind::<SqlUuid, _>(series.id)
        .bind::<Integer, _>(n + 1)
        .bind::<Timestamptz, _>(afternoon_in_oslo(around, 3 * i64::from(n)))
        .bind::<Text, _>(format!("https://meet.example.no/demo-{}-{}", series.id.simple(), n + 1))
        .get_result(conn)
        .await?;
        sessions.push(session.id);
    }
    Ok((series.id, sessions))
}

async fn fill(
    conn: &mut AsyncPgConnection,
    hash: &str,
    password: String,
) -> Result<Seeded, AppError> {
    let now = Utc::now();
    let pages: Vec<PathPage> = sql("SELECT p.slug, p.module_number FROM content_current c
         JOIN content_pages p ON p.revision_id = c.revision_id
         ORDER BY p.module_number, p.position")
    .load(conn)
    .await?;
    let usht: Id = sql("INSERT INTO ushts (name, county) VALUES ($1, 'Buskerud') RETURNING id")
        .bind::<Text, _>(USHT_NAME)
        .get_result(conn)
        .await?;
    let admin = "admin@demo.mentorsti.no".to_owned();
    new_user(conn, &admin, "Ada Administrator", "admin", hash).await?;
    let coordinator = "koordinator@demo.mentorsti.no".to_owned();
    let coordinator_id =
        new_user(conn, &coordinator, "Kari Koordinator", "coordinator", hash).await?;
    sql("UPDATE users SET usht_id = $1 WHERE id = $2")
        .bind::<SqlUuid, _>(usht.id)
        .bind::<SqlUuid, _>(coordinator_id)
        .execute(conn)
        .await?;
    let facilitator = "veileder@demo.mentorsti.no".to_owned();
    let facilitator_id = new_user(conn, &facilitator, "Vera Veileder", "facilitator", hash).await?;
    let (past_series, past_sessions) = new_series(
        conn,
        "Refleksjonsgruppe høst (avsluttet)",
        facilitator_id,
        now - Duration::weeks(8),
    )
    .await?;
    // Two of its sessions are behind it, the last one ahead: what a facilitator sees mid-series.
    let (running_series, running_sessions) = new_series(
        conn,
        "Refleksjonsgruppe vinter",
        facilitator_id,
        now - Duration::weeks(4),
    )
    .await?;
    let (next_series, _) = new_series(
        conn,
        "Refleksjonsgruppe vår",
        facilitator_id,
        now + Duration::days(20),
    )
    .await?;
    // A coordinator invited to the USHT who has not answered yet.
    sql(
        "INSERT INTO invitations (email, name, role, usht_id, token_hash, expires_at)
         VALUES ('nina.nykommer@demo.mentorsti.no', 'Nina Nykommer', 'coordinator', $1, $2, $3)",
    )
    .bind::<SqlUuid, _>(usht.id)
    .bind::<diesel::sql_types::Bytea, _>(crate::auth::new_opaque_token().hash)
    .bind::<Timestamptz, _>(now + Duration::days(12))
    .execute(conn)
    .await?;

    let mut mentors = Vec::new();
    let mut person = 0usize;
    let (mut past_confirmed, mut running_confirmed, mut next_confirmed) = (0, 0, 0);
    for (number, name, count) in MUNICIPALITIES {
        let municipality: Id = sql(
            "INSERT INTO municipalities (number, name, usht_id, enrolled_by) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind::<Text, _>(number)
        .bind::<Text, _>(name)
        .bind::<SqlUuid, _>(usht.id)
        .bind::<SqlUuid, _>(coordinator_id)
        .get_result(conn)
        .await?;
        for i in 0..count {
            person += 1;
            let first = FIRST_NAMES[person % FIRST_NAMES.len()];
            let last = LAST_NAMES[(person * 7) % LAST_NAMES.len()];
            let full = format!("{first} {last}");
            let email = format!(
                "{}.{}{}@{}.kommune.no",
                first.to_lowercase(),
                last.to_lowercase(),
                person,
                name.to_lowercase()
            );
            let stage = STAGES[(i + person) % STAGES.len()];
            if let Stage::Invited = stage {
                // Every other invitation was sent long enough ago to have expired unanswered.
                let sent = if person.is_multiple_of(2) {
                    now - Duration::days(17)
                } else {
                    now - Duration::days(4)
                };
                sql("INSERT INTO invitations (email, name, role, municipality_id, token_hash, invited_by, created_at, sent_at, expires_at)
                     VALUES ($1, $2, 'mentor', $3, $4, $5, $6, $6, $7)")
                    .bind::<Text, _>(&email)
                    .bind::<Text, _>(&full)
                    .bind::<SqlUuid, _>(municipality.id)
                    .bind::<diesel::sql_types::Bytea, _>(crate::auth::new_opaque_token().hash)
                    .bind::<SqlUuid, _>(coordinator_id)
                    .bind::<Timestamptz, _>(sent)
                    .bind::<Timestamptz, _>(sent + Duration::days(14))
                    .execute(conn)
                    .await?;
                continue;
            }
            let id = new_user(conn, &email, &full, "mentor", hash).await?;
            let inactive_days = ((person * 5) % 40) as i32;
            sql("UPDATE users SET municipality_id = $1, workplace = $2,
                 last_active_at = now() - make_interval(days => $3) WHERE id = $4")
            .bind::<SqlUuid, _>(municipality.id)
            .bind::<Text, _>(WORKPLACES[person % WORKPLACES.len()])
            .bind::<Integer, _>(inactive_days)
            .bind::<SqlUuid, _>(id)
            .execute(conn)
            .await?;
            let done = match stage {
                Stage::Invited | Stage::NotStarted => 0,
                Stage::Reading => 1 + person % pages.len().max(1),
                _ => pages.len(),
            };
            for page in pages.iter().take(done) {
                sql("INSERT INTO page_completions (user_id, page_slug, module_number) VALUES ($1, $2, $3)")
                    .bind::<SqlUuid, _>(id)
                    .bind::<Text, _>(&page.slug)
                    .bind::<Integer, _>(page.module_number)
                    .execute(conn)
                    .await?;
            }
            if done == pages.len() && done > 0 {
                sql("INSERT INTO path_completions (user_id) VALUES ($1)")
                    .bind::<SqlUuid, _>(id)
                    .execute(conn)
                    .await?;
            }
            let note_status = match stage {
                Stage::NoteDraft => Some("draft"),
                Stage::Registered | Stage::Completed => Some("submitted"),
                _ => None,
            };
            if let Some(status) = note_status {
                sql(
                    "INSERT INTO reflection_notes (user_id, version, body, status, submitted_at)
                     VALUES ($1, 1, $2, $3, CASE WHEN $3 = 'submitted' THEN now() END)",
                )
                .bind::<SqlUuid, _>(id)
                .bind::<Text, _>(NOTE)
                .bind::<Text, _>(status)
                .execute(conn)
                .await?;
            }
            match stage {
                Stage::Registered if running_confirmed < 8 => {
                    running_confirmed += 1;
                    register(conn, running_series, id).await?;
                    // Everyone came to the first session; one in four missed the second.
                    for (n, session) in running_sessions.iter().take(2).enumerate() {
                        let attended = n == 0 || running_confirmed % 4 != 0;
                        sql("INSERT INTO webinar_attendance (session_id, user_id, attended, recorded_by) VALUES ($1, $2, $3, $4)")
                            .bind::<SqlUuid, _>(*session)
                            .bind::<SqlUuid, _>(id)
                            .bind::<diesel::sql_types::Bool, _>(attended)
                            .bind::<SqlUuid, _>(facilitator_id)
                            .execute(conn)
                            .await?;
                    }
                }
                Stage::Registered if next_confirmed < 12 => {
                    next_confirmed += 1;
                    register(conn, next_series, id).await?;
                }
                Stage::Completed if past_confirmed < 12 => {
                    past_confirmed += 1;
                    register(conn, past_series, id).await?;
                    for session in &past_sessions {
                        sql("INSERT INTO webinar_attendance (session_id, user_id, attended, recorded_by) VALUES ($1, $2, true, $3)")
                            .bind::<SqlUuid, _>(*session)
                            .bind::<SqlUuid, _>(id)
                            .bind::<SqlUuid, _>(facilitator_id)
                            .execute(conn)
                            .await?;
                    }
                    sql("INSERT INTO certificates (user_id, verification_code, name, programme, completed_on, series_id)
                         VALUES ($1, $2, $3, $4, (now() - interval '2 weeks')::date, $5)")
                        .bind::<SqlUuid, _>(id)
                        .bind::<Text, _>(crate::webinars::verification_code())
                        .bind::<Text, _>(&full)
                        .bind::<Text, _>(crate::webinars::PROGRAMME)
                        .bind::<SqlUuid, _>(past_series)
                        .execute(conn)
                        .await?;
                }
                _ => {}
            }
            mentors.push((email, stage_name(stage)));
        }
    }
    sql(
        "UPDATE webinar_series SET confirmed_count = (SELECT count(*) FROM webinar_registrations r
         WHERE r.series_id = webinar_series.id AND r.status = 'confirmed') WHERE id IN ($1, $2, $3)",
    )
    .bind::<SqlUuid, _>(past_series)
    .bind::<SqlUuid, _>(running_series)
    .bind::<SqlUuid, _>(next_series)
    .execute(conn)
    .await?;
    Ok(Seeded {
        password,
        admin,
        coordinator,
        facilitator,
        mentors,
    })
}

async fn register(conn: &mut AsyncPgConnection, series: Uuid, user: Uuid) -> Result<(), AppError> {
    sql("INSERT INTO webinar_registrations (series_id, user_id, status, confirmed_at) VALUES ($1, $2, 'confirmed', now())")
        .bind::<SqlUuid, _>(series)
        .bind::<SqlUuid, _>(user)
        .execute(conn)
        .await?;
    Ok(())
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Invited => "invitert",
        Stage::NotStarted => "ikke startet",
        Stage::Reading => "i gang med læringsstien",
        Stage::PathDone => "læringssti fullført",
        Stage::NoteDraft => "notat under arbeid",
        Stage::Registered => "påmeldt webinarserie",
        Stage::Completed => "fullført med kursbevis",
    }
}

/// Prints the logins (the password is shown once; it is not stored anywhere in clear).
pub fn print(seeded: &Seeded) {
    let password = SecretString::from(seeded.password.clone());
    println!("Demo data created in {USHT_NAME}.");
    println!(
        "Every demo account has the password: {}",
        password.expose_secret()
    );
    println!("  admin:        {}", seeded.admin);
    println!("  coordinator:  {}", seeded.coordinator);
    println!("  facilitator:  {}", seeded.facilitator);
    println!("  mentors ({}):", seeded.mentors.len());
    for (email, stage) in &seeded.mentors {
        println!("    {email:<50} {stage}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_sessions_are_tuesday_afternoons_in_oslo_on_both_sides_of_summer_time() {
        use chrono::{Datelike, TimeZone, Timelike};
        let around = Utc.with_ymd_and_hms(2026, 10, 9, 23, 21, 0).unwrap();
        for weeks in [0, 3, 6] {
            let start = afternoon_in_oslo(around, weeks).with_timezone(&chrono_tz::Europe::Oslo);
            assert_eq!(
                (start.weekday(), start.hour(), start.minute()),
                (chrono::Weekday::Tue, 13, 0)
            );
        }
        // 6 October (summer time, UTC+2) and 27 October (winter time, UTC+1).
        assert_eq!(
            afternoon_in_oslo(around, 0),
            Utc.with_ymd_and_hms(2026, 10, 6, 11, 0, 0).unwrap()
        );
        assert_eq!(
            afternoon_in_oslo(around, 3),
            Utc.with_ymd_and_hms(2026, 10, 27, 12, 0, 0).unwrap()
        );
    }
}
