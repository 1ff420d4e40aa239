//! Writes the demo through the services HR, employees and the scheduler use: the import for
//! the organisation, `lifecycle::create`/`close` with the instant each step would have happened,
//! the answer form's validation and the submission writer for every answer. Aggregates are
//! therefore exactly what the closing code computes, never written here.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::distr::Alphanumeric;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::company::{self, DEPARTMENTS};
use super::story::{self, CLOSED_ROUNDS, OPEN_ROUND, ROUND_DAYS, Story};
use crate::action;
use crate::answer::{form, link, writer};
use crate::app::App;
use crate::auth::staff;
use crate::entities::{
    department, employee, invitation, outbox_mail, question, round as round_entity, round_reminder,
    setting,
};
use crate::i18n::{self, Locale};
use crate::invite;
use crate::lifecycle;
use crate::local_time;
use crate::org::department as departments;
use crate::org::import::{self, ImportOptions};
use crate::report::query::Reader;
use crate::survey::round::RoundDraft;
use crate::survey::{catalog, pulse};
use crate::vocab::{ActionStatus, MailState, Pillar, Role, RoundState};

pub const DEMO_EMAIL: &str = "demo@kundenpuls.invalid";

/// Key of the marker row in the `settings` table, beside the deployment secrets.
const MARKER: &str = "demo";
/// Written before the first change, so that an interrupted run is recognised as such.
const BUILDING: &str = "building";
const COMPLETE: &str = "complete";

/// What the outbox says of the demo's mail.
const NOT_SENT: &str = "demo data: never sent";

/// The open round opened this many days ago; the closed ones a month apart before it.
const OPEN_ROUND_AGE_DAYS: i64 = 6;

#[derive(Debug)]
pub struct Built {
    pub email: String,
    pub password: String,
    pub employees: u64,
    pub departments: usize,
    pub closed_rounds: usize,
    pub open_rounds: usize,
    pub responses: usize,
}

/// Builds the demo company into an empty database as of `now`.
pub async fn build(app: &App, seed: u64, now: DateTime<Utc>) -> anyhow::Result<Built> {
    let db = &app.db;
    let settings = &app.settings;
    let tz = settings.timezone;
    claim(db).await?;

    let password = new_password();
    let demo_user = staff::add(
        db,
        staff::NewStaffUser {
            email: DEMO_EMAIL,
            password: &password,
            role: Role::Admin,
            department: None,
            locale: settings.default_locale,
        },
    )
    .await
    .context("cannot add the demo login")?;

    let people = company::people(seed);
    let imported = import::import_employees(
        db,
        &company::import_file(&people),
        &ImportOptions::new(settings.default_locale),
        &import::ignore_progress,
    )
    .await
    .context("cannot import the demo employees")?;
    if !imported.is_ok() {
        let mut imported = imported;
        imported.say(settings.default_locale);
        let errors: Vec<String> = imported.errors.iter().map(ToString::to_string).collect();
        bail!(
            "the demo's employee file was refused: {}",
            errors.join("; ")
        );
    }

    let all_departments = departments::all(db).await?;
    let department_index: HashMap<i32, usize> = all_departments
        .iter()
        .filter_map(|d| {
            let index = DEPARTMENTS.iter().position(|spec| spec.path == d.path)?;
            Some((d.id, index))
        })
        .collect();
    let locales: HashMap<i32, Locale> = employee::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            let locale = Locale::parse(&e.locale).unwrap_or(settings.default_locale);
            (e.id, locale)
        })
        .collect();
    let paths: Vec<&str> = DEPARTMENTS.iter().map(|d| d.path).collect();
    let story = Story::new(seed, &paths);
    let questions = catalog::all(db).await?;
    // Seeded apart from the company so that a change to the story leaves the people alone.
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_da7a);
    let world = World {
        app,
        story: &story,
        questions: &questions,
        department_index: &department_index,
        locales: &locales,
    };
    let mut history: Vec<Vec<i32>> = Vec::new();
    let open_day = now.with_timezone(&tz).date_naive() - Duration::days(OPEN_ROUND_AGE_DAYS);
    let mut responses = 0;

    for index in 0..=OPEN_ROUND {
        let months_back = (OPEN_ROUND - index) as u32;
        let day = open_day
            .checked_sub_months(Months::new(months_back))
            .context("the demo's dates are out of range")?;
        let opens = nine_o_clock(day, tz)?;
        let closes = nine_o_clock(day + Duration::days(ROUND_DAYS as i64), tz)?;
        // The automatic pulse as a schedule would rotate it, so the year shows every item.
        let question_ids = pulse::select(&questions, pulse::DEFAULT_PULSE_SIZE, &history, &[]);
        let keys = question_ids
            .iter()
            .filter_map(|id| questions.iter().find(|q| q.id == *id))
            .map(|q| q.key.clone())
            .collect();
        history.insert(0, question_ids);
        let draft = RoundDraft {
            title: format!(
                "Puls {} {}",
                i18n::text(Locale::De, &format!("month_{}", day.month())),
                day.year()
            ),
            opens_at: opens.to_rfc3339(),
            closes_at: closes.to_rfc3339(),
            departments: Vec::new(),
            questions: Some(keys),
            pulse_size: None,
        };
        // Created at its opening instant, a round opens at once, as the scheduler would
        // have opened it then.
        let view = lifecycle::create(app, &draft, opens)
            .await
            .with_context(|| format!("cannot create the round {}", draft.title))?;
        if view.state != RoundState::Open {
            bail!("the demo round {} did not open", view.title);
        }
        hold_back_mail(db, view.id).await?;

        let last_day = if index == OPEN_ROUND {
            ((now - opens).num_days().max(0) as usize).min(ROUND_DAYS - 1)
        } else {
            ROUND_DAYS - 1
        };
        let by_day = world
            .submissions(&mut rng, index, view.id, last_day)
            .await?;
        for (day, batch) in by_day {
            let at = (opens + Duration::days(day as i64) + Duration::hours(2)).min(now);
            let batch: Vec<&writer::Submission> = batch.iter().collect();
            let stored = writer::write_batch(db, &batch, at, settings.anonymity_threshold)
                .await
                .context("cannot store the demo's answers")?;
            if stored.iter().any(|stored| !stored) {
                bail!(
                    "the round {} refused some of the demo's answers",
                    view.title
                );
            }
            responses += stored.len();
        }

        if index < OPEN_ROUND {
            if !lifecycle::close(app, view.id, closes).await? {
                bail!("the demo round {} did not close", view.title);
            }
            // Closing queues the leadership digests: they would report made-up figures.
            hold_back_mail(db, view.id).await?;
            history_action(app, demo_user.id, index, view.id, closes).await?;
        } else {
            // Reminders are queued later by the running service, to whoever has not
            // answered: made-up people, so they are taken as done already.
            round_reminder::Entity::update_many()
                .col_expr(round_reminder::Column::DoneAt, Expr::value(now))
                .filter(round_reminder::Column::RoundId.eq(view.id))
                .filter(round_reminder::Column::DoneAt.is_null())
                .exec(db)
                .await?;
        }
    }

    setting::Entity::update_many()
        .col_expr(setting::Column::Value, Expr::value(COMPLETE))
        .filter(setting::Column::Key.eq(MARKER))
        .exec(db)
        .await?;
    Ok(Built {
        email: DEMO_EMAIL.to_owned(),
        password,
        employees: imported.created,
        departments: all_departments.len(),
        closed_rounds: CLOSED_ROUNDS,
        open_rounds: 1,
        responses,
    })
}

/// The closed round after which the hotline started its action, the round it went on in, and
/// the round after which it was done: the rounds since tell whether customer focus moved.
const ACTION_STARTS_AFTER: usize = 2;
const ACTION_RUNS_FROM: usize = 3;
const ACTION_DONE_AFTER: usize = 8;

/// The demo's one historical Maßnahme: the hotline's customer focus was the company's weakest
/// early in the year; the hotline started an action after round [`ACTION_STARTS_AFTER`], ran it,
/// and closed it after round [`ACTION_DONE_AFTER`]. Written through `action::store` at the
/// instants it would have happened, its why from the finding as the form proposes it.
async fn history_action(
    app: &App,
    owner_id: i32,
    index: usize,
    round_id: i32,
    closed: DateTime<Utc>,
) -> anyhow::Result<()> {
    let db = &app.db;
    let at = closed + Duration::days(1);
    let limits = action::store::Limits::of(&app.settings, at);
    let who = action::Who {
        name: DEMO_EMAIL.to_owned(),
        role: Role::Admin,
        scope: None,
    };
    let hotline = departments::find_by_path(db, story::IMPROVING)
        .await?
        .context("the demo has no hotline")?;
    let found = action::store::list(
        db,
        &who,
        &action::store::Filter {
            department: Some(hotline.id),
            ..Default::default()
        },
        limits.today,
    )
    .await?;
    match (index, found.first()) {
        (ACTION_STARTS_AFTER, None) => {
            let subject = action::Subject::Pillar(Pillar::CustomerFocus);
            let reader = Reader {
                scope: None,
                locale: Locale::De,
            };
            let finding =
                action::finding::describe(&app.reports, reader, hotline.id, round_id, subject)
                    .await?;
            action::store::create(
                db,
                limits,
                &who,
                action::store::NewAction {
                    department_id: hotline.id,
                    round_id,
                    subject,
                    title: "Rückruf am selben Tag für jede offene Kundenanfrage".to_owned(),
                    why: finding.why,
                    owner_id,
                    due_on: limits.today + Duration::days(180),
                    visible: true,
                },
            )
            .await?;
        }
        (ACTION_RUNS_FROM, Some(started)) => {
            action::store::set_status(
                db,
                limits,
                &who,
                started.action.id,
                action::store::StatusChange {
                    status: ActionStatus::Running,
                    outcome: String::new(),
                    note: "Rückrufliste im Ticketsystem; jede Schicht arbeitet sie bis 16 Uhr ab."
                        .to_owned(),
                },
            )
            .await?;
        }
        (ACTION_DONE_AFTER, Some(running)) => {
            action::store::set_status(
                db,
                limits,
                &who,
                running.action.id,
                action::store::StatusChange {
                    status: ActionStatus::Done,
                    outcome: "Rückrufe am selben Tag von etwa 60 % auf über 90 % der offenen \
                              Anfragen; die Regel bleibt."
                        .to_owned(),
                    note: String::new(),
                },
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// What every round's answers are made from.
struct World<'a> {
    app: &'a App,
    story: &'a Story,
    questions: &'a [question::Model],
    department_index: &'a HashMap<i32, usize>,
    locales: &'a HashMap<i32, Locale>,
}

impl World<'_> {
    /// The answers of round `index` as submissions of its invitations' tokens, grouped by the
    /// day of the round they come in.
    async fn submissions(
        &self,
        rng: &mut StdRng,
        index: usize,
        round_id: i32,
        last_day: usize,
    ) -> anyhow::Result<BTreeMap<usize, Vec<writer::Submission>>> {
        let db = &self.app.db;
        let items = link::load_items(db, round_id).await?;
        let story_items: Vec<story::Item> = items
            .iter()
            .map(|item| story::Item {
                key: item.key.clone(),
                pillar: item.pillar,
                scale: item.scale,
                reverse_coded: self
                    .questions
                    .iter()
                    .any(|q| q.id == item.question_id && q.reverse_coded),
            })
            .collect();
        // In employee order: the seed decides who answers, not the invitations' random ids.
        let invitations = invitation::Entity::find()
            .filter(invitation::Column::RoundId.eq(round_id))
            .order_by_asc(invitation::Column::EmployeeId)
            .all(db)
            .await?;
        let mut by_department: BTreeMap<usize, Vec<&invitation::Model>> = BTreeMap::new();
        for invitation in &invitations {
            let department = self
                .department_index
                .get(&invitation.department_id)
                .ok_or_else(|| anyhow!("an invitation outside the demo's departments"))?;
            by_department
                .entry(*department)
                .or_default()
                .push(invitation);
        }
        let mut by_day: BTreeMap<usize, Vec<writer::Submission>> = BTreeMap::new();
        for (department, invited) in by_department {
            for position in self
                .story
                .respondents(rng, department, index, invited.len())
            {
                let invitation = invited[position];
                let locale = self
                    .locales
                    .get(&invitation.employee_id)
                    .copied()
                    .unwrap_or(self.app.settings.default_locale);
                let fields = self.story.respond(
                    rng,
                    department,
                    index,
                    invitation.employee_id as u64,
                    locale,
                    &story_items,
                );
                let answers = form::validate(&items, &fields).map_err(|rejected| {
                    anyhow!(
                        "the form refused the demo's answers: {:?}",
                        rejected.problems
                    )
                })?;
                let token = invite::token(&self.app.secrets.token_key, round_id, &invitation.id);
                let day = story::answer_day(rng, last_day);
                by_day.entry(day).or_default().push(writer::Submission {
                    token_hash: invite::token_hash(&token),
                    answers,
                });
            }
        }
        Ok(by_day)
    }
}

/// Takes the database for the demo, or says why not: it must hold nothing the demo did not
/// create, so that no real company's data is ever mixed with made-up answers.
async fn claim(db: &DatabaseConnection) -> anyhow::Result<()> {
    if let Some(marker) = setting::Entity::find_by_id(MARKER.to_owned())
        .one(db)
        .await?
    {
        if marker.value == COMPLETE {
            bail!(
                "this is already a demo database: to build the demo again, delete the database \
                 (for SQLite, its file) and run `kundenpuls demo` once more"
            );
        }
        bail!(
            "an earlier `kundenpuls demo` on this database did not finish: delete the database \
             (for SQLite, its file) and run it again"
        );
    }
    let employees = employee::Entity::find().count(db).await?;
    let departments = department::Entity::find().count(db).await?;
    let rounds = round_entity::Entity::find().count(db).await?;
    if employees + departments + rounds > 0 {
        let held: Vec<String> = [
            (employees, "employee", "employees"),
            (departments, "department", "departments"),
            (rounds, "round", "rounds"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect();
        bail!(
            "this database already holds {} that the demo did not create; the demo only fills \
             an empty database: point database_url at a new one, e.g. \
             ROCKET_DATABASE_URL=\"sqlite://demo.db?mode=rwc\"",
            held.join(", ")
        );
    }
    if staff::find_by_email(db, DEMO_EMAIL).await?.is_some() {
        bail!("a staff user {DEMO_EMAIL} exists already; the demo only fills an empty database");
    }
    if !setting::insert_if_absent(db, MARKER, BUILDING.to_owned()).await? {
        bail!("another `kundenpuls demo` is filling this database right now");
    }
    Ok(())
}

/// Every mail of a demo round stays in the outbox as cancelled. The people are made up (at
/// `.invalid` addresses), the past rounds' invitations and digests would arrive a year late,
/// and a deployment with `smtp_url` set would hand them all to a real relay; mail written to
/// files would be harmless, but which transport runs later is not known here.
async fn hold_back_mail(db: &DatabaseConnection, round_id: i32) -> Result<u64, DbErr> {
    Ok(outbox_mail::Entity::update_many()
        .col_expr(
            outbox_mail::Column::State,
            Expr::value(MailState::Cancelled),
        )
        .col_expr(outbox_mail::Column::LastReply, Expr::value(NOT_SENT))
        .filter(outbox_mail::Column::RoundId.eq(round_id))
        .filter(outbox_mail::Column::State.is_in([MailState::Queued, MailState::Retrying]))
        .exec(db)
        .await?
        .rows_affected)
}

fn nine_o_clock(day: NaiveDate, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
    day.and_hms_opt(9, 0, 0)
        .and_then(|naive| local_time::resolve_for_schedule(naive, tz))
        .ok_or_else(|| anyhow!("the demo's dates are out of range"))
}

/// 20 random letters and digits (about 119 bits) in groups, to be read off the screen.
fn new_password() -> String {
    let mut rng = rand::rng();
    (0..4)
        .map(|_| {
            (0..5)
                .map(|_| char::from(rng.sample(Alphanumeric)))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_random_and_pass_the_rules() {
        let a = new_password();
        assert_eq!(a.len(), 23);
        assert!(crate::auth::password::validate_new(&a, &[]).is_ok());
        assert_ne!(a, new_password());
    }

    #[test]
    fn rounds_open_at_nine_local_time_across_summer_time() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let winter = nine_o_clock(NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(), tz).unwrap();
        let summer = nine_o_clock(NaiveDate::from_ymd_opt(2026, 7, 15).unwrap(), tz).unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-01-15T08:00:00+00:00");
        assert_eq!(summer.to_rfc3339(), "2026-07-15T07:00:00+00:00");
    }
}
