//! Closed rounds with known answers, for the report tests: the round is created, opened and
//! closed through the services, and the answers are written straight into the database (as
//! the answer writer would), so every figure a test expects can be worked out by hand.

use chrono::{Duration, Utc};
use kundenpuls::entities::{answer, invitation, question, response};
use kundenpuls::lifecycle;
use kundenpuls::survey::round::RoundDraft;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::TestApp;

/// The items of every fixture round: the three pillar cores, one rotating item (reverse
/// coded), the 0–10 item and the comment.
pub const ITEMS: [&str; 6] = [
    "cf_goals_customer_value",
    "ld_leadership_customer_centred",
    "va_values_practised",
    "cf_processes_hinder_customers",
    "recommend",
    "comment",
];

/// One respondent: `likert` for every Likert item as answered (the reverse-coded item too,
/// so it turns into `6 − likert`), `None` for "can't judge".
#[derive(Debug, Clone)]
pub struct Respondent {
    pub likert: Option<u8>,
    pub recommend: Option<u8>,
    pub comment: Option<String>,
}

pub fn answering(likert: u8, recommend: u8) -> Respondent {
    Respondent {
        likert: Some(likert),
        recommend: Some(recommend),
        comment: None,
    }
}

pub fn commenting(likert: u8, comment: &str) -> Respondent {
    Respondent {
        likert: Some(likert),
        recommend: Some(8),
        comment: Some(comment.to_owned()),
    }
}

/// A round over the whole company asking [`ITEMS`], opening in an hour and closing in a week.
pub fn company_draft(t: &TestApp, title: &str) -> RoundDraft {
    let now = Utc::now();
    let local = |at: chrono::DateTime<Utc>| {
        at.with_timezone(&t.app.settings.timezone)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    RoundDraft {
        title: title.to_owned(),
        opens_at: local(now + Duration::hours(1)),
        closes_at: local(now + Duration::days(7)),
        departments: Vec::new(),
        questions: Some(ITEMS.iter().map(|k| (*k).to_owned()).collect()),
        pulse_size: None,
    }
}

/// Creates, opens and closes a round over the whole company (everyone active in the seeded
/// org is invited), with `respondents` per department path. `weeks_ago` orders rounds in time.
pub async fn closed_round(
    t: &TestApp,
    title: &str,
    weeks_ago: i64,
    respondents: &[(&str, Vec<Respondent>)],
) -> i32 {
    let app = &t.app;
    let now = Utc::now();
    let draft = company_draft(t, title);
    let view = lifecycle::create(app, &draft, now)
        .await
        .expect("round created");
    let id = view.id;
    assert!(lifecycle::open(app, id, now).await.expect("round opens"));
    // Rounds run one after another in time: trends order by the opening.
    let opened = now - Duration::weeks(weeks_ago);
    kundenpuls::entities::round::Entity::update_many()
        .col_expr(
            kundenpuls::entities::round::Column::OpensAt,
            sea_orm::sea_query::Expr::value(opened),
        )
        .filter(kundenpuls::entities::round::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();

    let questions = question::Entity::find().all(&app.db).await.unwrap();
    let id_of = |key: &str| questions.iter().find(|q| q.key == key).unwrap().id;
    let paths = kundenpuls::org::department::all(&app.db).await.unwrap();
    for (path, people) in respondents {
        let department = paths
            .iter()
            .find(|d| d.path == *path)
            .unwrap_or_else(|| panic!("no department {path}"))
            .id;
        let invitations = invitation::Entity::find()
            .filter(invitation::Column::RoundId.eq(id))
            .filter(invitation::Column::DepartmentId.eq(department))
            .all(&app.db)
            .await
            .unwrap();
        assert!(
            invitations.len() >= people.len(),
            "{path} has {} invited, fewer than {} respondents",
            invitations.len(),
            people.len()
        );
        for (person, invitation) in people.iter().zip(invitations) {
            let mut answered: invitation::ActiveModel = invitation.into();
            answered.answered = Set(true);
            answered.update(&app.db).await.unwrap();
            let response_id = uuid::Uuid::new_v4().to_string();
            response::ActiveModel {
                id: Set(response_id.clone()),
                round_id: Set(id),
                department_id: Set(department),
                pending: Set(false),
            }
            .insert(&app.db)
            .await
            .unwrap();
            for key in ITEMS {
                let (value, text) = match key {
                    "recommend" => (person.recommend.map(i32::from), None),
                    "comment" => match &person.comment {
                        Some(text) => (None, Some(text.clone())),
                        None => continue,
                    },
                    _ => (person.likert.map(i32::from), None),
                };
                answer::ActiveModel {
                    response_id: Set(response_id.clone()),
                    question_id: Set(id_of(key)),
                    value: Set(value),
                    text: Set(text),
                }
                .insert(&app.db)
                .await
                .unwrap();
            }
        }
    }
    assert!(
        lifecycle::close(app, id, now).await.expect("round closes"),
        "round {id} closed"
    );
    id
}

/// `n` respondents who all answer the same.
pub fn same(n: usize, likert: u8, recommend: u8) -> Vec<Respondent> {
    (0..n).map(|_| answering(likert, recommend)).collect()
}
