use crate::helpers::TestDatabase;

/// Every migration's down.sql works: revert all, then apply all again.
#[tokio::test]
async fn every_migration_reverts_and_reapplies() {
    let db = TestDatabase::create().await;
    let reverted = mentorsti::db::revert_all_migrations(&db.url).await.unwrap();
    assert!(reverted >= 1);
    let client = db.client().await;
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "down.sql leaves nothing behind");
    let applied = mentorsti::db::run_migrations(&db.url).await.unwrap();
    assert_eq!(applied.len(), reverted);
}

/// Two instances starting together: the advisory lock lets one migrate while the other waits.
#[tokio::test]
async fn concurrent_migration_runs_do_not_race() {
    let db = TestDatabase::create().await;
    mentorsti::db::revert_all_migrations(&db.url).await.unwrap();
    let (a, b) = tokio::join!(
        mentorsti::db::run_migrations(&db.url),
        mentorsti::db::run_migrations(&db.url)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.is_empty() != b.is_empty(),
        "exactly one run applies the migrations: {a:?} {b:?}"
    );
}
