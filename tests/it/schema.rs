//! The schema as the works council would check it: nothing leads from an answer to a person.

use std::collections::BTreeSet;

use kundenpuls::app::App;
use kundenpuls::config::Settings;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::helpers::{TestApp, TestDb, figment, seed_org};

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|err| panic!("{sql}: {err}"))
    .iter()
    .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
    .collect()
}

async fn columns(db: &DatabaseConnection, table: &str) -> BTreeSet<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
        _ => format!(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{table}'"
        ),
    };
    strings(db, &sql).await.into_iter().collect()
}

/// Every (from table, to table) pair of foreign keys in the schema.
async fn foreign_keys(db: &DatabaseConnection) -> BTreeSet<(String, String)> {
    let mut keys = BTreeSet::new();
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let tables = strings(
                db,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .await;
            for table in tables {
                for target in strings(
                    db,
                    &format!("SELECT \"table\" FROM pragma_foreign_key_list('{table}')"),
                )
                .await
                {
                    keys.insert((table.clone(), target));
                }
            }
        }
        _ => {
            let rows = strings(
                db,
                "SELECT (tc.table_name || '>' || ccu.table_name)::text \
                 FROM information_schema.table_constraints tc \
                 JOIN information_schema.constraint_column_usage ccu \
                   ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema \
                 WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()",
            )
            .await;
            for row in rows {
                let (from, to) = row.split_once('>').unwrap();
                keys.insert((from.to_owned(), to.to_owned()));
            }
        }
    }
    keys
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[rocket::async_test]
async fn responses_and_answers_have_no_way_back_to_a_person() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;

    // Exactly these columns: no employee, invitation or token reference, no address, no agent,
    // no time of any kind (`pending` marks the newest few of an open round, see answer::unlink).
    assert_eq!(
        columns(db, "responses").await,
        set(&["id", "round_id", "department_id", "pending"])
    );
    assert_eq!(
        columns(db, "answers").await,
        set(&["response_id", "question_id", "value", "text"])
    );

    let keys = foreign_keys(db).await;
    let from = |table: &str| -> BTreeSet<String> {
        keys.iter()
            .filter(|(f, _)| f == table)
            .map(|(_, to)| to.clone())
            .collect()
    };
    assert_eq!(from("responses"), set(&["rounds", "departments"]));
    // An answer's question is held by the round's questions, not by a key of its own
    // (migration 11; `answers_keep_their_questions_without_a_key_of_their_own`).
    assert_eq!(from("answers"), set(&["responses"]));
    let into_responses: BTreeSet<String> = keys
        .iter()
        .filter(|(_, to)| to == "responses" || to == "answers")
        .map(|(from, _)| from.clone())
        .collect();
    assert_eq!(
        into_responses,
        set(&["answers"]),
        "nothing points at a response but its answers"
    );
    assert!(
        from("invitations")
            .iter()
            .all(|to| to != "responses" && to != "answers"),
        "an invitation knows whether, never what"
    );
}

#[rocket::async_test]
async fn a_response_keeps_no_time_at_all() {
    let t = TestApp::spawn().await;
    let db = &t.app.db;
    for table in ["responses", "answers"] {
        let sql = match db.get_database_backend() {
            DbBackend::Sqlite => format!("SELECT type FROM pragma_table_info('{table}')"),
            _ => format!(
                "SELECT data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{table}'"
            ),
        };
        let kinds = strings(db, &sql).await;
        assert!(!kinds.is_empty(), "{table} has columns");
        for kind in kinds {
            let kind = kind.to_lowercase();
            // Even a date narrows a response down to the invitations answered that day.
            assert!(
                !kind.contains("date") && !kind.contains("time"),
                "{table} has a column of type {kind}"
            );
        }
    }
}

#[rocket::async_test]
async fn the_catalog_is_seeded_in_both_languages() {
    let t = TestApp::spawn().await;
    let questions = kundenpuls::survey::catalog::all(&t.app.db).await.unwrap();
    assert_eq!(questions.len(), 26);
    assert_eq!(
        questions
            .iter()
            .filter(|q| q.scale == kundenpuls::vocab::Scale::Likert5)
            .count(),
        24
    );
    for pillar in kundenpuls::vocab::Pillar::EACH {
        let core = questions
            .iter()
            .filter(|q| q.pillar == Some(pillar) && q.core)
            .count();
        assert_eq!(core, 1, "{pillar} has one core item for its trend");
    }
    assert!(questions.iter().filter(|q| q.reverse_coded).count() >= 3);
    assert!(
        questions
            .iter()
            .all(|q| !q.text_de.is_empty() && !q.text_en.is_empty())
    );
    assert!(
        questions
            .iter()
            .any(|q| q.text_de.contains('ü') || q.text_de.contains('ä'))
    );
}

#[rocket::async_test]
async fn a_restart_migrates_nothing_twice_and_keeps_the_generated_secrets() {
    let db = TestDb::new().await;
    let settings = || Settings::from_figment(&figment(&db, &[])).unwrap();
    let first = App::start(settings()).await.expect("first start");
    let second = App::start(settings())
        .await
        .expect("second start on the same database");
    assert_eq!(first.secrets.secret_key, second.secrets.secret_key);
    assert_eq!(first.secrets.token_key, second.secrets.token_key);
    assert_eq!(first.secrets.token_key.len(), 32);
    assert_ne!(first.secrets.secret_key, "", "never empty");
    let questions = kundenpuls::survey::catalog::all(&second.db).await.unwrap();
    assert_eq!(questions.len(), 26, "the seed ran once");
}

#[rocket::async_test]
async fn two_instances_starting_together_migrate_once() {
    let db = TestDb::new().await;
    let settings = || Settings::from_figment(&figment(&db, &[])).unwrap();
    let (a, b) = tokio::join!(App::start(settings()), App::start(settings()));
    let (a, b) = (a.expect("instance a"), b.expect("instance b"));
    assert_eq!(
        a.secrets.secret_key, b.secrets.secret_key,
        "one shared secret"
    );
    assert_eq!(
        kundenpuls::survey::catalog::all(&b.db).await.unwrap().len(),
        26
    );
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|err| panic!("{sql}: {err}"))
    .expect("a row")
    .try_get_by_index::<i64>(0)
    .expect("a count")
}

/// Migration 11 dropped the key from an answer to its question (a check per answer row that was
/// a quarter of the time of storing a submission on PostgreSQL). What it guaranteed still holds:
/// stored answers come through it unchanged (SQLite rebuilds the table), a question a round asked
/// cannot be deleted, and a response still takes its answers with it.
#[rocket::async_test]
async fn answers_keep_their_questions_without_a_key_of_their_own() {
    use migration::MigratorTrait;

    let t = TestApp::spawn().await;
    let db = &t.app.db;
    let after_10 = migration::Migrator::migrations().len() as u32 - 10;
    migration::Migrator::down(db, Some(after_10))
        .await
        .expect("back to the schema before migration 11");
    assert!(
        foreign_keys(db)
            .await
            .contains(&("answers".to_owned(), "questions".to_owned())),
        "the key is back after the way down"
    );
    seed_org(db, &["Vertrieb"], 5).await;
    let round_id = crate::survey::open_round(&t).await;
    let questions = strings(
        db,
        &format!(
            "SELECT CAST(question_id AS TEXT) FROM round_questions WHERE round_id = {round_id} \
             ORDER BY position"
        ),
    )
    .await;
    let department = count(db, "SELECT CAST(MIN(id) AS BIGINT) FROM departments").await;
    db.execute_unprepared(&format!(
        "INSERT INTO responses (id, round_id, department_id, pending) \
         VALUES ('r-kept', {round_id}, {department}, false)"
    ))
    .await
    .expect("a response");
    db.execute_unprepared(&format!(
        "INSERT INTO answers (response_id, question_id, value, text) VALUES \
         ('r-kept', {}, 4, NULL), ('r-kept', {}, NULL, 'Mehr Zeit für Kunden')",
        questions[0], questions[1]
    ))
    .await
    .expect("its answers");

    migration::Migrator::up(db, None)
        .await
        .expect("migration 11 and those after it");
    assert!(
        !foreign_keys(db)
            .await
            .contains(&("answers".to_owned(), "questions".to_owned()))
    );
    assert_eq!(
        strings(
            db,
            "SELECT COALESCE(CAST(value AS TEXT), text) FROM answers \
             WHERE response_id = 'r-kept' ORDER BY question_id"
        )
        .await,
        ["4", "Mehr Zeit für Kunden"],
        "the answers came through the migration unchanged"
    );

    let deleted = db
        .execute_unprepared(&format!(
            "DELETE FROM questions WHERE id = {}",
            questions[0]
        ))
        .await;
    assert!(
        deleted.is_err(),
        "a question the round asked cannot be deleted"
    );

    db.execute_unprepared("DELETE FROM responses WHERE id = 'r-kept'")
        .await
        .expect("the response deleted");
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM answers WHERE response_id = 'r-kept'"
        )
        .await,
        0,
        "its answers went with it"
    );
}

/// Migration 12: the claim of a submission sets `answered`, which no index holds any more, so on
/// PostgreSQL it is a heap-only update (no new index entries, a third less log per submission)
/// as long as the row's page has room for the new version: `invitations` is filled to 70 %.
/// Updating one invitation in each page of a round's invitations: every update is heap-only. With
/// `answered` in the index none is; with pages filled to the brim only the last page's is.
#[rocket::async_test]
async fn claiming_an_invitation_touches_no_index() {
    use sea_orm::TransactionTrait;

    let t = TestApp::spawn().await;
    let db = &t.app.db;
    seed_org(db, &["Vertrieb", "Service"], 150).await;
    let round_id = crate::survey::open_round(&t).await;
    let index_columns = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM pragma_index_info('ix_invitations_round_department') ORDER BY seqno"
        }
        _ => {
            "SELECT a.attname::text FROM pg_index i \
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, place) \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE i.indexrelid = 'ix_invitations_round_department'::regclass ORDER BY k.place"
        }
    };
    assert_eq!(
        strings(db, index_columns).await,
        ["round_id", "department_id"],
        "participation finds a round's invitations by department, without their answers"
    );
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }

    let txn = db.begin().await.unwrap();
    let pages = count(
        &txn,
        &format!(
            "SELECT COUNT(DISTINCT (ctid::text::point)[0])::bigint FROM invitations \
             WHERE round_id = {round_id}"
        ),
    )
    .await;
    assert!(
        pages >= 3,
        "300 invitations fill several pages, not {pages}"
    );
    let claimed = txn
        .execute_unprepared(&format!(
            "UPDATE invitations SET answered = true WHERE id IN ( \
               SELECT MIN(id) FROM invitations WHERE round_id = {round_id} \
               GROUP BY (ctid::text::point)[0])"
        ))
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(claimed as i64, pages);
    let in_place = count(
        &txn,
        "SELECT pg_stat_get_xact_tuples_hot_updated('invitations'::regclass)",
    )
    .await;
    assert_eq!(in_place, pages, "every claim stayed in its page");
    txn.rollback().await.unwrap();
}
