//! The attacks of the trust issue, run as an attacker would: a reorganisation between two
//! readings of a closed round (whatever the org looks like today, a closed round's outputs are
//! the bytes they were when it closed), and a database reader joining responses to invitations
//! by transaction id, storage order or answered flags.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use kundenpuls::answer::form::AnswerValue;
use kundenpuls::answer::writer::{Submission, write_batch};
use kundenpuls::auth::api_token;
use kundenpuls::entities::{employee, invitation, question};
use kundenpuls::i18n::Locale;
use kundenpuls::invite;
use kundenpuls::lifecycle;
use kundenpuls::org::import::{ImportOptions, ignore_progress, import_employees};
use kundenpuls::report::query::{self, Reader};
use kundenpuls::report::stats::Shown;
use kundenpuls::survey::round::{self, RoundDraft};
use kundenpuls::vocab::Role;
use rocket::figment::value::Value;
use rocket::http::Status;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Statement,
};

use crate::helpers::{TestApp, bearer, seed_org};
use crate::results_fixture::{Respondent, closed_round, commenting, company_draft, same};

/// Vertrieb has no members of its own: Nord 6 and Süd 3 (below the threshold of 5); Technik 6.
async fn org(t: &TestApp) -> HashMap<String, i32> {
    let ids = seed_org(
        &t.app.db,
        &["Vertrieb", "Vertrieb / Nord", "Vertrieb / Süd", "Technik"],
        6,
    )
    .await;
    let people = employee::Entity::find().all(&t.app.db).await.unwrap();
    let mut south = 0;
    for person in people {
        let leave = if person.department_id == ids["Vertrieb"] {
            true
        } else if person.department_id == ids["Vertrieb / Süd"] {
            south += 1;
            south > 3
        } else {
            false
        };
        if leave {
            let mut inactive: employee::ActiveModel = person.into();
            inactive.active = Set(false);
            inactive.update(&t.app.db).await.unwrap();
        }
    }
    ids
}

fn south() -> Vec<Respondent> {
    vec![
        commenting(1, "Süd eins"),
        commenting(2, "Süd zwei"),
        commenting(1, "Süd drei"),
    ]
}

fn technik() -> Vec<Respondent> {
    (0..6)
        .map(|n| commenting(5, &format!("Technik {n}")))
        .collect()
}

/// October, closed: everyone answered, Süd's three and Technik's six with comments.
async fn october(t: &TestApp, weeks_ago: i64) -> i32 {
    closed_round(
        t,
        "Oktober",
        weeks_ago,
        &[
            ("Vertrieb / Nord", same(6, 4, 9)),
            ("Vertrieb / Süd", south()),
            ("Technik", technik()),
        ],
    )
    .await
}

/// HR's employee file as it stands, with `from` renamed to `to` and the rename declared, as
/// `kundenpuls import --rename "FROM=TO"` would be given.
async fn reorganise(t: &TestApp, from: &str, to: &str) {
    let db = &t.app.db;
    let departments = kundenpuls::org::department::all(db).await.unwrap();
    let path_of: HashMap<i32, String> =
        departments.iter().map(|d| (d.id, d.path.clone())).collect();
    let people = employee::Entity::find()
        .filter(employee::Column::Active.eq(true))
        .all(db)
        .await
        .unwrap();
    let mut file = String::from("email,name,department\n");
    for person in people {
        let path = &path_of[&person.department_id];
        let path = match path.strip_prefix(from) {
            Some(rest) => format!("{to}{rest}"),
            None => path.clone(),
        };
        file.push_str(&format!("{},{},{path}\n", person.email, person.name));
    }
    let options = ImportOptions {
        renames: vec![(from.to_owned(), to.to_owned())],
        ..ImportOptions::new(Locale::De)
    };
    let report = import_employees(db, file.as_bytes(), &options, &ignore_progress)
        .await
        .expect("the import runs");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.departments_renamed.len(), 1, "{report:?}");
}

async fn body(t: &TestApp, uri: &str, token: &str) -> String {
    let response = t.client.get(uri).header(bearer(token)).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{uri}");
    response.into_string().await.unwrap()
}

/// Every output about the round an admin and a Vertrieb viewer can read, by name.
async fn outputs(
    t: &TestApp,
    round: i32,
    ids: &HashMap<String, i32>,
    admin: &str,
    sales: &str,
    south: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut uris = vec![
        format!("/api/v1/rounds/{round}/results?lang=de"),
        format!("/api/v1/rounds/{round}/results.csv?lang=de"),
        format!("/api/v1/rounds/{round}/results.csv?lang=en&excel=true"),
        "/api/v1/trend".to_owned(),
    ];
    for path in ["Vertrieb", "Vertrieb / Nord", "Technik"] {
        uris.push(format!("/api/v1/departments/{}/trend", ids[path]));
    }
    for uri in &uris {
        out.push((format!("admin {uri}"), body(t, uri, admin).await));
    }
    for uri in &uris[..3] {
        out.push((format!("sales {uri}"), body(t, uri, sales).await));
    }
    // A viewer of Süd, the department that moves: its view of the old round stays too.
    out.push((format!("süd {}", uris[0]), body(t, &uris[0], south).await));
    for group in [None, Some(ids["Vertrieb"]), Some(ids["Technik"])] {
        let reader = Reader {
            scope: None,
            locale: Locale::De,
        };
        let comments = query::comments(&t.app.reports, reader, round, group)
            .await
            .expect("comments");
        out.push((format!("comments of {group:?}"), format!("{comments:?}")));
    }
    out
}

fn assert_same(before: &[(String, String)], after: &[(String, String)], when: &str) {
    assert_eq!(before.len(), after.len());
    for ((name, was), (_, is)) in before.iter().zip(after) {
        assert!(was == is, "{name} changed {when}:\n{was}\n→\n{is}");
    }
}

#[rocket::async_test]
async fn a_reorganisation_changes_no_byte_of_a_closed_round() {
    let t = TestApp::spawn_with(&[("comment_threshold", Value::from(5u32))]).await;
    let ids = org(&t).await;
    let round = october(&t, 0).await;
    let admin = t.token(Role::Admin).await;
    let sales = api_token::create(&t.app.db, "sales", Role::Viewer, Some("Vertrieb"))
        .await
        .unwrap()
        .token;
    let south = api_token::create(&t.app.db, "süd", Role::Viewer, Some("Vertrieb / Süd"))
        .await
        .unwrap()
        .token;
    let before = outputs(&t, round, &ids, &admin, &sales, &south).await;

    // What the attack needs to see: Vertrieb with all 9, Technik's own comments only.
    let results: serde_json::Value = serde_json::from_str(&before[0].1).unwrap();
    let vertrieb = results["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["path"] == "Vertrieb")
        .unwrap();
    assert_eq!(vertrieb["responses"]["value"], 9, "{vertrieb}");
    let reader = Reader {
        scope: None,
        locale: Locale::De,
    };
    let Shown::Shown(technik_comments) =
        query::comments(&t.app.reports, reader, round, Some(ids["Technik"]))
            .await
            .unwrap()
    else {
        panic!("Technik's 6 comments reach the comment threshold of 5");
    };
    assert_eq!(technik_comments.len(), 6);

    // Süd moves from Vertrieb to Technik: Vertrieb would drop to 6 and Technik would gain Süd's
    // comments if the round were read over today's tree.
    reorganise(&t, "Vertrieb / Süd", "Technik / Süd").await;
    let moved = outputs(&t, round, &ids, &admin, &sales, &south).await;
    assert_same(&before, &moved, "after Süd moved to Technik");

    // And back again (a rename chain A → B → A), then a move into a sibling of its old parent.
    reorganise(&t, "Technik / Süd", "Vertrieb / Süd").await;
    let back = outputs(&t, round, &ids, &admin, &sales, &south).await;
    assert_same(&before, &back, "after Süd moved back");
    reorganise(&t, "Vertrieb / Süd", "Vertrieb / Nord / Süd").await;
    let nested = outputs(&t, round, &ids, &admin, &sales, &south).await;
    assert_same(&before, &nested, "after Süd moved under Nord");

    // A round that opens after the reorganisation sees the new tree.
    let later = closed_round(
        &t,
        "November",
        0,
        &[
            ("Vertrieb / Nord", same(6, 4, 9)),
            ("Vertrieb / Nord / Süd", same(3, 2, 3)),
        ],
    )
    .await;
    let results = body(&t, &format!("/api/v1/rounds/{later}/results"), &admin).await;
    assert!(results.contains("Vertrieb / Nord / Süd"), "{results}");
}

// ---------------------------------------------------------------------------------------------
// A database reader with plain queries

/// A round over everyone in the org, open now; its invitations and the questions it asks.
async fn open_round(t: &TestApp) -> (i32, Vec<invitation::Model>, Vec<question::Model>) {
    let app = &t.app;
    let now = Utc::now();
    let draft = company_draft(t, "Dezember");
    let id = lifecycle::create(app, &draft, now)
        .await
        .expect("round created")
        .id;
    assert!(lifecycle::open(app, id, now).await.unwrap());
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(id))
        .order_by_asc(invitation::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let questions = question::Entity::find()
        .filter(question::Column::Key.is_in(crate::results_fixture::ITEMS))
        .all(&app.db)
        .await
        .unwrap();
    (id, invitations, questions)
}

/// Submission number `k`: its comment says which it was, so the test can follow it.
fn submission(
    t: &TestApp,
    round: i32,
    invitation: &invitation::Model,
    questions: &[question::Model],
    k: usize,
) -> Submission {
    let token = invite::token(&t.app.secrets.token_key, round, &invitation.id);
    Submission {
        token_hash: invite::token_hash(&token),
        answers: questions
            .iter()
            .map(|q| AnswerValue {
                question_id: q.id,
                value: match q.scale.as_str() {
                    "likert5" => Some((k % 5 + 1) as i32),
                    "nps11" => Some((k % 11) as i32),
                    _ => None,
                },
                text: (q.scale == kundenpuls::vocab::Scale::Text).then(|| format!("Antwort {k}")),
            })
            .collect(),
    }
}

fn numbers(db: &sea_orm::DatabaseConnection, sql: &str) -> Statement {
    Statement::from_string(db.get_database_backend(), sql.to_owned())
}

/// The submission numbers of the round's settled (or pending) responses in the order the
/// database stores them: SQLite's rowid, PostgreSQL's physical place.
async fn stored_order(t: &TestApp, round: i32, pending: bool) -> Vec<usize> {
    let order = match t.app.db.get_database_backend() {
        DbBackend::Sqlite => "r.rowid",
        _ => "r.ctid",
    };
    ordered_by(t, round, pending, order).await
}

/// The submission numbers of the round's settled (or pending) responses in `order`.
async fn ordered_by(t: &TestApp, round: i32, pending: bool, order: &str) -> Vec<usize> {
    let db = &t.app.db;
    let flag = if pending {
        "r.pending"
    } else {
        "NOT r.pending"
    };
    let sql = format!(
        "SELECT a.text FROM responses r JOIN answers a ON a.response_id = r.id \
         WHERE r.round_id = {round} AND a.text IS NOT NULL AND {flag} ORDER BY {order}"
    );
    db.query_all_raw(numbers(db, &sql))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let text: String = row.try_get_by_index(0).unwrap();
            text.trim_start_matches("Antwort ").parse().unwrap()
        })
        .collect()
}

/// PostgreSQL: how many of the round's settled responses share each transaction id.
async fn responses_per_xmin(t: &TestApp, round: i32) -> Vec<i64> {
    let db = &t.app.db;
    let sql = format!(
        "SELECT COUNT(*) FROM responses WHERE round_id = {round} AND NOT pending \
         GROUP BY xmin::text"
    );
    db.query_all_raw(numbers(db, &sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0).unwrap())
        .collect()
}

/// The attack of the issue: invitations joined to responses by transaction id, with the names;
/// for the settled responses (the pending newest few are the one window left, see unlink).
async fn linked_by_xmin(t: &TestApp) -> Vec<(String, String)> {
    let db = &t.app.db;
    let sql = "SELECT e.email, r.id FROM invitations i JOIN responses r ON r.xmin = i.xmin \
               JOIN employees e ON e.id = i.employee_id WHERE NOT r.pending";
    db.query_all_raw(numbers(db, sql))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
            )
        })
        .collect()
}

#[rocket::async_test]
async fn no_plain_query_links_a_response_to_its_invitation() {
    let t = TestApp::spawn().await;
    let threshold = t.app.settings.anonymity_threshold as usize;
    assert_eq!(threshold, 5);
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 7).await;
    let (round, invitations, questions) = open_round(&t).await;
    let postgres = t.app.db.get_database_backend() == DbBackend::Postgres;

    // One at a time, as under normal traffic: every batch is a batch of one.
    for (k, invitation) in invitations.iter().enumerate() {
        let k = k + 1;
        let one = submission(&t, round, invitation, &questions, k);
        let stored = write_batch(&t.app.db, &[&one], Utc::now(), threshold as u32)
            .await
            .unwrap();
        assert_eq!(stored, [true]);

        // The newest few wait; everything before them is settled in groups of the threshold.
        let settled = k - k % threshold;
        let mut pending = stored_order(&t, round, true).await;
        pending.sort();
        assert_eq!(
            pending,
            ((settled + 1)..=k).collect::<Vec<_>>(),
            "after {k}"
        );
        let order = stored_order(&t, round, false).await;
        assert_eq!(order.len(), settled, "after {k}");
        if postgres {
            // Each transaction id is shared by a whole group, never fewer.
            let per_xmin = responses_per_xmin(&t, round).await;
            assert!(
                per_xmin.iter().all(|n| *n as usize >= threshold),
                "after {k}: groups by xmin {per_xmin:?}"
            );
        } else {
            // The storage order tells a response's group, never its place in it: each block
            // of `threshold` rows holds exactly one group of submissions.
            for (b, block) in order.chunks(threshold).enumerate() {
                let mut block = block.to_vec();
                block.sort();
                let group: Vec<usize> = (b * threshold + 1..=(b + 1) * threshold).collect();
                assert_eq!(block, group, "after {k}: rowid block {b}");
            }
        }
        // Ids are numbered by group: in their order, too, each block of `threshold` is one
        // group of submissions.
        let by_id = ordered_by(&t, round, false, "r.id").await;
        assert_eq!(by_id.len(), settled, "after {k}");
        for (b, block) in by_id.chunks(threshold).enumerate() {
            let mut block = block.to_vec();
            block.sort();
            let group: Vec<usize> = (b * threshold + 1..=(b + 1) * threshold).collect();
            assert_eq!(block, group, "after {k}: id block {b}");
        }
        for (email, response) in linked_by_xmin_if(postgres, &t).await {
            let shared = responses_sharing_xmin(&t, &response).await;
            assert!(
                shared >= threshold,
                "after {k}: {email} linked to {response}, one of only {shared}"
            );
        }
    }
    // 14 submissions, one at a time: had the storage order been the order of submission, this
    // would hold for every settled response (a chance of 1 in 120² for the two groups here).
    let order = stored_order(&t, round, false).await;
    assert_ne!(order, (1..=order.len()).collect::<Vec<_>>());

    // At close every response is rewritten once more and the invitations go.
    assert!(lifecycle::close(&t.app, round, Utc::now()).await.unwrap());
    let left = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round))
        .count(&t.app.db)
        .await
        .unwrap();
    assert_eq!(left, 0, "nothing says who answered");
    assert!(stored_order(&t, round, true).await.is_empty());
    // One group number for the whole closed round: its ids no longer tell the groups apart.
    let groups = t
        .app
        .db
        .query_all_raw(numbers(
            &t.app.db,
            &format!("SELECT DISTINCT substr(id, 1, 16) FROM responses WHERE round_id = {round}"),
        ))
        .await
        .unwrap();
    assert_eq!(groups.len(), 1, "one group number after the close");
    let mut all = stored_order(&t, round, false).await;
    all.sort();
    assert_eq!(
        all,
        (1..=invitations.len()).collect::<Vec<_>>(),
        "each once"
    );
    if postgres {
        assert_eq!(responses_per_xmin(&t, round).await, [14]);
        assert!(linked_by_xmin(&t).await.is_empty());
    }
    // Participation survived in the aggregates.
    let view = round::get(&t.app.db, &t.app.settings, round).await.unwrap();
    assert_eq!(
        (view.participation.invited, view.participation.answered),
        (Some(14), Some(14))
    );
}

async fn linked_by_xmin_if(postgres: bool, t: &TestApp) -> Vec<(String, String)> {
    if postgres {
        linked_by_xmin(t).await
    } else {
        Vec::new()
    }
}

async fn responses_sharing_xmin(t: &TestApp, response: &str) -> usize {
    let db = &t.app.db;
    let sql = format!(
        "SELECT COUNT(*) FROM responses WHERE xmin = (SELECT xmin FROM responses WHERE id = '{response}')"
    );
    let rows = db.query_all_raw(numbers(db, &sql)).await.unwrap();
    rows[0].try_get_by_index::<i64>(0).unwrap() as usize
}

// ---------------------------------------------------------------------------------------------
// Killed in the middle

/// Every answer of the round as (response, question, value, text) without the response ids,
/// sorted: what must survive any rewriting exactly once.
async fn answer_multiset(t: &TestApp, round: i32) -> Vec<(i32, Option<i32>, Option<String>)> {
    let db = &t.app.db;
    let sql = format!(
        "SELECT a.question_id, a.value, a.text FROM answers a \
         JOIN responses r ON r.id = a.response_id WHERE r.round_id = {round}"
    );
    let mut rows: Vec<(i32, Option<i32>, Option<String>)> = db
        .query_all_raw(numbers(db, &sql))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[rocket::async_test]
async fn a_close_killed_at_any_moment_keeps_every_response_exactly_once() {
    let t = TestApp::spawn().await;
    let db = t.test_db();
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 1_500).await;
    let (round, invitations, questions) = open_round(&t).await;
    let submissions: Vec<Submission> = invitations
        .iter()
        .enumerate()
        .map(|(k, invitation)| submission(&t, round, invitation, &questions, k + 1))
        .collect();
    let batch: Vec<&Submission> = submissions.iter().collect();
    for chunk in batch.chunks(256) {
        write_batch(&t.app.db, chunk, Utc::now(), 5).await.unwrap();
    }
    let answers = answer_multiset(&t, round).await;
    assert_eq!(answers.len(), 3_000 * questions.len());

    // `kundenpuls round close` in a process of its own, killed a little later each time (by
    // 10 ms, or by an eighth once that is more) until a close gets through: killed in its
    // start-up, in the closing transaction, or in the vacuum after it. After every kill the
    // round is either still open with everything as it was, or closed with every response
    // rewritten once and no invitation left.
    let mut delay = std::time::Duration::from_millis(20);
    let mut kills = 0;
    loop {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kundenpuls"))
            .args(["round", "close", &round.to_string()])
            .current_dir(db.dir.path())
            .env_remove("ROCKET_PROFILE")
            .env("ROCKET_DATABASE_URL", &db.url)
            .env("KUNDENPULS_LOG", "off")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the binary runs");
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        // The state and the invitations in one statement, so one snapshot: on PostgreSQL a
        // COMMIT sent just before the kill completes in the server after the client is gone,
        // and two reads could fall on either side of it.
        let sql = format!(
            "SELECT r.state, (SELECT COUNT(*) FROM invitations i WHERE i.round_id = r.id) \
             FROM rounds r WHERE r.id = {round}"
        );
        let row = t
            .app
            .db
            .query_one_raw(numbers(&t.app.db, &sql))
            .await
            .unwrap()
            .unwrap();
        let state: String = row.try_get_by_index(0).unwrap();
        let left: i64 = row.try_get_by_index(1).unwrap();
        assert_eq!(answer_multiset(&t, round).await, answers, "after {delay:?}");
        eprintln!("close after {delay:?}: killed {}, {state}", !finished);
        match state.as_str() {
            "open" => assert_eq!(left, 3_000, "after {delay:?}"),
            "closed" => {
                assert_eq!(left, 0, "after {delay:?}");
                break;
            }
            other => panic!("the round is {other}"),
        }
        delay += (delay / 8).max(std::time::Duration::from_millis(10));
    }
    assert!(kills > 0, "the close was never interrupted");
    let view = round::get(&t.app.db, &t.app.settings, round).await.unwrap();
    assert_eq!(view.participation.answered, Some(3_000));
}

// ---------------------------------------------------------------------------------------------
// A department-scoped viewer on every route

#[rocket::async_test]
async fn a_scoped_viewer_sees_nothing_of_another_department_on_any_route() {
    let t = TestApp::spawn().await;
    let ids = org(&t).await;
    let company_round = october(&t, 1).await;
    // A round for Technik alone, open.
    let app = &t.app;
    let now = Utc::now();
    let local = |at: chrono::DateTime<Utc>| {
        at.with_timezone(&app.settings.timezone)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let draft = RoundDraft {
        title: "Nur für die Technik".to_owned(),
        opens_at: local(now - Duration::minutes(5)),
        closes_at: local(now + Duration::days(7)),
        departments: vec!["Technik".to_owned()],
        questions: None,
        pulse_size: None,
    };
    let foreign = lifecycle::create(app, &draft, now)
        .await
        .expect("round created")
        .id;
    let sales = api_token::create(&app.db, "sales", Role::Viewer, Some("Vertrieb"))
        .await
        .unwrap()
        .token;
    let admin = t.token(Role::Admin).await;
    let technik = ids["Technik"];

    let doc: serde_json::Value =
        serde_json::from_str(&body(&t, "/api/v1/openapi.json", &admin).await).unwrap();
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let id = if path.starts_with("/departments/") {
            technik
        } else {
            foreign
        };
        let uri = format!("/api/v1{}", path.replace("{id}", &id.to_string()));
        let response = t.client.get(&uri).header(bearer(&sales)).dispatch().await;
        let status = response.status();
        let text = response.into_string().await.unwrap_or_default();
        assert!(status.code < 500, "{uri}: {status}");
        if uri.ends_with("openapi.json") {
            continue;
        }
        for secret in ["Technik", "@example.de", "Nur für die Technik"] {
            assert!(!text.contains(secret), "{uri} shows {secret}: {text}");
        }
        walked += 1;
    }
    assert!(walked >= 8, "only {walked} routes walked");

    // The company round is the viewer's too: its participation is Vertrieb's, with no send log.
    let detail: serde_json::Value =
        serde_json::from_str(&body(&t, &format!("/api/v1/rounds/{company_round}"), &sales).await)
            .unwrap();
    assert_eq!(detail["participation"]["invited"], 9, "{detail}");
    assert!(detail.get("mail").is_none() && detail.get("pace").is_none());
    let foreign_detail = t
        .client
        .get(format!("/api/v1/rounds/{foreign}"))
        .header(bearer(&sales))
        .dispatch()
        .await;
    assert_eq!(foreign_detail.status(), Status::NotFound);
    // A viewer of Süd (3 invited) sees the round, but no participation of its 3.
    let south_token = api_token::create(&app.db, "süd", Role::Viewer, Some("Vertrieb / Süd"))
        .await
        .unwrap()
        .token;
    let listed: serde_json::Value =
        serde_json::from_str(&body(&t, "/api/v1/rounds", &south_token).await).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0]["participation"]["invited"].is_null(),
        "{listed:?}"
    );
    assert!(listed[0]["participation"]["answered"].is_null());

    // The dashboard's pages and charts of the foreign round, as the Vertrieb lead in a browser.
    kundenpuls::auth::staff::add(
        &app.db,
        kundenpuls::auth::staff::NewStaffUser {
            email: "lead@example.com",
            password: crate::helpers::PASSWORD,
            role: Role::Viewer,
            department: Some("Vertrieb"),
            locale: Locale::De,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        t.login("lead@example.com", crate::helpers::PASSWORD)
            .await
            .status(),
        Status::SeeOther
    );
    for uri in [
        "/dashboard".to_owned(),
        format!("/dashboard/rounds/{foreign}"),
        format!("/dashboard/departments/{technik}"),
        format!("/charts/rounds/{foreign}/participation.svg"),
        format!("/charts/rounds/{foreign}/heatmap.svg"),
        format!("/charts/trend.svg?department={technik}"),
        format!("/dashboard/rounds/{company_round}"),
        format!("/charts/rounds/{company_round}/participation.svg"),
    ] {
        let response = t.client.get(&uri).dispatch().await;
        let status = response.status();
        let text = response.into_string().await.unwrap_or_default();
        assert!(status.code < 500, "{uri}: {status}");
        for secret in ["Technik", "Nur für die Technik"] {
            assert!(!text.contains(secret), "{uri} shows {secret}");
        }
    }
}

#[rocket::async_test]
async fn an_open_round_never_shows_a_small_team_by_subtraction() {
    let t = TestApp::spawn().await;
    let ids = org(&t).await;
    let (round, invitations, questions) = open_round(&t).await;
    // Everyone in Vertrieb answers: Vertrieb 9/9 and Nord 6/6 would give Süd 3/3.
    let sales: Vec<&invitation::Model> = invitations
        .iter()
        .filter(|i| i.department_id != ids["Technik"])
        .collect();
    let submissions: Vec<Submission> = sales
        .iter()
        .enumerate()
        .map(|(k, i)| submission(&t, round, i, &questions, k + 1))
        .collect();
    let batch: Vec<&Submission> = submissions.iter().collect();
    write_batch(&t.app.db, &batch, Utc::now(), 5).await.unwrap();

    for scope in [None, Some(ids["Vertrieb"])] {
        let reader = Reader {
            scope,
            locale: Locale::De,
        };
        let overview = kundenpuls::web::dashboard::view::overview(&t.app.reports, reader)
            .await
            .unwrap();
        let open = &overview.open[0];
        let shown: Vec<&str> = open.units.iter().map(|u| u.path.as_str()).collect();
        assert!(
            !shown.contains(&"Vertrieb / Nord") && !shown.contains(&"Vertrieb / Süd"),
            "{scope:?}: {shown:?}"
        );
    }
    // The participation chart says no more than the page.
    let chart = kundenpuls::web::dashboard::view::participation_chart(
        &t.app.reports,
        Reader {
            scope: Some(ids["Vertrieb"]),
            locale: Locale::De,
        },
        round,
    )
    .await
    .unwrap();
    assert!(
        !chart.description().contains("Nord"),
        "{}",
        chart.description()
    );
}

#[rocket::async_test]
async fn the_demo_company_s_closed_rounds_survive_a_reorganisation() {
    let db = crate::helpers::TestDb::new().await;
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_kundenpuls"))
        .arg("demo")
        .current_dir(db.dir.path())
        .env_remove("ROCKET_PROFILE")
        .env("ROCKET_DATABASE_URL", &db.url)
        .env("KUNDENPULS_LOG", "off")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the binary runs");
    assert!(status.success());
    let t = TestApp::spawn_on(db, &[]).await;
    let closed = kundenpuls::report::aggregate::closed_rounds(&t.app.db)
        .await
        .unwrap();
    assert_eq!(closed.len(), 12);
    let tops = ["Vertrieb", "Kundenservice", "Vertrieb / Außendienst"];
    let read = async |t: &TestApp| -> Vec<String> {
        let reader = Reader {
            scope: None,
            locale: Locale::De,
        };
        let mut out = Vec::new();
        for round in &closed {
            let results = query::round_results(&t.app.reports, reader, round.id)
                .await
                .unwrap();
            out.push(serde_json::to_string(&results).unwrap());
        }
        let all = kundenpuls::org::department::all(&t.app.db).await.unwrap();
        for path in tops {
            let id = all.iter().find(|d| d.path == path).unwrap().id;
            let trend = query::trend(&t.app.reports, reader, Some(id))
                .await
                .unwrap();
            out.push(serde_json::to_string(&trend).unwrap());
        }
        out
    };
    let before = read(&t).await;
    reorganise(&t, "Vertrieb / Außendienst / Süd", "Kundenservice / Süd").await;
    let after = read(&t).await;
    for (n, (was, is)) in before.iter().zip(&after).enumerate() {
        assert!(was == is, "output {n} changed after the reorganisation");
    }
}

#[rocket::async_test]
async fn a_round_closed_before_the_upgrade_is_settled_at_the_next_start() {
    let t = TestApp::spawn().await;
    org(&t).await;
    let round = closed_round(&t, "Oktober", 0, &[("Technik", technik())]).await;
    // As a database from before the upgrade holds it: the invitations of the closed round are
    // still there, one marked answered.
    let employee = employee::Entity::find()
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    invitation::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        round_id: Set(round),
        employee_id: Set(employee.id),
        department_id: Set(employee.department_id),
        token_hash: Set(None),
        sent_at: Set(None),
        reminders_sent: Set(1),
        answered: Set(true),
    }
    .insert(&t.app.db)
    .await
    .unwrap();
    let answers = answer_multiset(&t, round).await;

    let restarted = kundenpuls::app::App::start((*t.app.settings).clone())
        .await
        .unwrap();
    let left = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round))
        .count(&restarted.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(answer_multiset(&t, round).await, answers, "nothing lost");
}
