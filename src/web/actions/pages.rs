//! `/actions`: the list, the form that starts an action from a finding, an action's page and
//! its changes. Every change answers with a redirect to the action's page, or with the form
//! again and the reason, in the reader's language.

use chrono::{Duration, NaiveDate, Utc};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{State, get, post};
use sea_orm::EntityTrait;
use serde::Serialize;

use super::view::{self, ActionLine, Choice, EffectView, LogLine};
use crate::action::effect;
use crate::action::finding::{self, Finding};
use crate::action::rules::{self, Subject, Who};
use crate::action::store::{self, Edit, Filter, Limits, NewAction, StatusChange};
use crate::app::App;
use crate::auth::Principal;
use crate::entities::round;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale, fill, text};
use crate::org::department as departments;
use crate::problem::Problem;
use crate::report::aggregate;
use crate::report::query::Reader;
use crate::templates::Templates;
use crate::vocab::{ActionStatus, Pillar};
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::guards::StaffUser;
use crate::web::page::Page;

/// How long a new action runs unless someone says otherwise: two pulses of four weeks.
const DEFAULT_RUNTIME_DAYS: i64 = 56;

const DONE: [&str; 4] = ["created", "status", "note", "edited"];

fn limits(app: &App) -> Limits {
    Limits::of(&app.settings, Utc::now())
}

fn today(app: &App) -> NaiveDate {
    limits(app).today
}

fn status_choices(locale: Locale) -> Vec<Choice> {
    ActionStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: text(locale, store::status_key(*s)).to_owned(),
        })
        .collect()
}

/// The problem of a refused change, when it is one the person can act on; other errors go on
/// to the error page.
fn refusal(err: AppError) -> Result<(Status, Problem), AppError> {
    match err {
        AppError::BadRequest(p) => Ok((Status::BadRequest, p)),
        AppError::Unprocessable(p) => Ok((Status::UnprocessableEntity, p)),
        AppError::Conflict(p) => Ok((Status::Conflict, p)),
        other => Err(other),
    }
}

// ---------------------------------------------------------------------------------------------
// The list

/// `templates/pages/actions.html`.
#[derive(Serialize)]
struct ListPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    /// The department the list is limited to, with its subtree.
    department: Option<Choice>,
    lines: Vec<ActionLine>,
    statuses: Vec<Choice>,
    /// `open`, `all` or a status.
    status: &'a str,
    owners: Vec<Choice>,
    owner: Option<i32>,
    overdue: bool,
    departments: Vec<Choice>,
    limit: u32,
    /// For a department: its open actions, and where a new one starts.
    open_in_department: Option<u64>,
    create_href: Option<String>,
    /// The list as chosen, as CSV for Excel.
    csv_href: String,
}

/// The list's query as a filter, with the status word it stands for: the page and its CSV
/// read the same query the same way, so the download is the list as shown.
pub(super) fn list_filter(
    department: Option<i32>,
    status: Option<&str>,
    owner: Option<i32>,
    overdue: Option<bool>,
) -> AppResult<(Filter, &str)> {
    let status = status.filter(|s| !s.is_empty()).unwrap_or("open");
    let filter = Filter {
        department,
        owner,
        overdue: overdue.unwrap_or(false),
        ..Filter::default()
    }
    .with_status(status)
    .map_err(AppError::BadRequest)?;
    Ok((filter, status))
}

/// The CSV of the list as chosen, for the page's download link.
fn csv_href(filter: &Filter, status: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(department) = filter.department {
        query.append_pair("department", &department.to_string());
    }
    query.append_pair("status", status);
    if let Some(owner) = filter.owner {
        query.append_pair("owner", &owner.to_string());
    }
    if filter.overdue {
        query.append_pair("overdue", "true");
    }
    format!("/actions.csv?{}", query.finish())
}

#[get("/actions?<department>&<status>&<owner>&<overdue>")]
#[allow(clippy::too_many_arguments)]
pub async fn list(
    staff: StaffUser,
    csrf: CsrfToken,
    department: Option<i32>,
    status: Option<&str>,
    owner: Option<i32>,
    overdue: Option<bool>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = &staff.principal;
    let who = Who::from(principal);
    let (filter, status) = list_filter(department, status, owner, overdue)?;
    let today = today(app);
    let records = store::list(&app.db, &who, &filter, today).await?;
    let all = departments::all(&app.db).await?;
    let reach = rules::reach(who.scope, &all);
    let departments: Vec<Choice> = all
        .iter()
        .filter(|d| d.retired_at.is_none())
        .filter(|d| reach.as_ref().is_none_or(|r| r.contains(&d.id)))
        .map(|d| Choice {
            value: d.id.to_string(),
            label: d.path.clone(),
        })
        .collect();
    let owners = store::owners_in_reach(&app.db, &who)
        .await?
        .into_iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.email,
        })
        .collect();
    let chosen = department.and_then(|id| all.iter().find(|d| d.id == id));
    let (open_in_department, create_href) = match chosen {
        Some(d) => {
            let latest = aggregate::closed_rounds(&app.db).await?.pop();
            (
                Some(store::open_in(&app.db, d.id).await?),
                latest.map(|r| format!("/actions/new?department={}&round={}", d.id, r.id)),
            )
        }
        None => (None, None),
    };
    Page::render(
        templates,
        "actions",
        principal.locale,
        ListPage {
            user: principal,
            csrf: &csrf.0,
            nav: "actions",
            department: chosen.map(|d| Choice {
                value: d.id.to_string(),
                label: d.path.clone(),
            }),
            lines: records
                .iter()
                .map(|r| view::line(r, principal.locale, today))
                .collect(),
            statuses: status_choices(principal.locale),
            status,
            owners,
            owner,
            overdue: filter.overdue,
            departments,
            limit: app.settings.actions_open_limit,
            open_in_department,
            create_href,
            csv_href: csv_href(&filter, status),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// The form

/// `templates/pages/action_form.html`, for a new action and for an edit.
#[derive(Serialize)]
struct FormPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    /// `None` for a new action.
    action_id: Option<i32>,
    department_id: i32,
    department: String,
    round_id: i32,
    round: String,
    /// Only for a new action: what it may answer (`item:<id>` or `pillar:<key>`).
    subjects: Vec<Choice>,
    values: FormValues,
    owners: Vec<Choice>,
    error: Option<String>,
    /// The department already has as many open actions as it may.
    full: bool,
    limit: u32,
    today: String,
}

#[derive(Serialize, Default)]
struct FormValues {
    subject: String,
    title: String,
    why: String,
    owner: String,
    due: String,
    visible: bool,
}

fn subject_value(subject: Subject) -> String {
    match subject {
        Subject::Item(id) => format!("item:{id}"),
        Subject::Pillar(pillar) => format!("pillar:{pillar}"),
    }
}

fn parse_subject(value: &str) -> Result<Subject, Problem> {
    let missing = || Problem::new("problem_action_subject_missing");
    match value.split_once(':') {
        Some(("item", id)) => id.parse().map(Subject::Item).map_err(|_| missing()),
        Some(("pillar", key)) => Pillar::parse(key).map(Subject::Pillar).ok_or_else(missing),
        _ => Err(missing()),
    }
}

async fn subject_choices(app: &App, round_id: i32, locale: Locale) -> AppResult<Vec<Choice>> {
    let mut choices: Vec<Choice> = Pillar::EACH
        .iter()
        .map(|p| Choice {
            value: subject_value(Subject::Pillar(*p)),
            label: fill(
                text(locale, "action_pillar_subject"),
                &[("pillar", view::pillar_name(locale, *p))],
            ),
        })
        .collect();
    choices.extend(
        store::subjects(&app.db, round_id)
            .await?
            .iter()
            .map(|q| Choice {
                value: subject_value(Subject::Item(q.id)),
                label: view::question_text(q, locale).to_owned(),
            }),
    );
    Ok(choices)
}

async fn owner_choices(app: &App, department_id: i32) -> AppResult<Vec<Choice>> {
    Ok(store::possible_owners(&app.db, department_id)
        .await?
        .into_iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.email,
        })
        .collect())
}

/// The form for a new action of `department_id` from `round_id`, with `values` as typed (or
/// prefilled) and an `error` when the last try was refused.
#[allow(clippy::too_many_arguments)]
async fn new_form(
    app: &App,
    templates: &Templates,
    staff: &StaffUser,
    csrf: &CsrfToken,
    department_id: i32,
    round: &round::Model,
    values: FormValues,
    error: Option<(Status, Problem)>,
) -> AppResult<Page> {
    let principal = &staff.principal;
    let locale = principal.locale;
    let all = departments::all(&app.db).await?;
    let department = all
        .iter()
        .find(|d| d.id == department_id)
        .ok_or(AppError::NotFound)?;
    if !rules::may_act(principal.department_id, &all, department_id) {
        return Err(AppError::Forbidden);
    }
    let open = store::open_in(&app.db, department_id).await?;
    let status = error.as_ref().map_or(Status::Ok, |(s, _)| *s);
    Ok(Page::render(
        templates,
        "action_form",
        locale,
        FormPage {
            user: principal,
            csrf: &csrf.0,
            nav: "actions",
            action_id: None,
            department_id,
            department: department.path.clone(),
            round_id: round.id,
            round: round.title.clone(),
            subjects: subject_choices(app, round.id, locale).await?,
            values,
            owners: owner_choices(app, department_id).await?,
            error: error.map(|(_, p)| i18n::problem(locale, &p)),
            full: open >= u64::from(app.settings.actions_open_limit),
            limit: app.settings.actions_open_limit,
            today: view::date(today(app)),
        },
    )?
    .with_status(status))
}

async fn round_or_latest(app: &App, round: Option<i32>) -> AppResult<round::Model> {
    match round {
        Some(id) => round::Entity::find_by_id(id)
            .one(&app.db)
            .await?
            .ok_or(AppError::NotFound),
        None => aggregate::closed_rounds(&app.db)
            .await?
            .pop()
            .ok_or(AppError::NotFound),
    }
}

/// The form, prefilled from the finding it starts from (`question` or `pillar` of `round`).
#[get("/actions/new?<department>&<round>&<question>&<pillar>")]
#[allow(clippy::too_many_arguments)]
pub async fn new(
    staff: StaffUser,
    csrf: CsrfToken,
    department: i32,
    round: Option<i32>,
    question: Option<i32>,
    pillar: Option<&str>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let round = round_or_latest(app, round).await?;
    let subject = match (question, pillar.and_then(Pillar::parse)) {
        (Some(id), _) => Some(Subject::Item(id)),
        (None, Some(pillar)) => Some(Subject::Pillar(pillar)),
        (None, None) => None,
    };
    let reader = Reader::of(&staff.principal);
    let finding = match subject {
        Some(subject) => {
            match finding::describe(&app.reports, reader, department, round.id, subject).await {
                Ok(finding) => finding,
                // A department the round did not include, or an item it did not ask: the
                // form still opens, without a proposal.
                Err(AppError::NotFound) => Finding {
                    title: String::new(),
                    why: String::new(),
                },
                Err(other) => return Err(other),
            }
        }
        None => Finding {
            title: String::new(),
            why: String::new(),
        },
    };
    let owners = store::possible_owners(&app.db, department).await?;
    let me = owners
        .iter()
        .find(|u| u.id == staff.user.id)
        .or(owners.first())
        .map(|u| u.id.to_string())
        .unwrap_or_default();
    let values = FormValues {
        subject: subject.map(subject_value).unwrap_or_default(),
        title: finding.title,
        why: finding.why,
        owner: me,
        due: view::date(today(app) + Duration::days(DEFAULT_RUNTIME_DAYS)),
        visible: true,
    };
    new_form(
        app, templates, &staff, &csrf, department, &round, values, None,
    )
    .await
}

#[derive(Debug, FromForm)]
pub struct ActionForm {
    #[field(default = 0)]
    department: i32,
    #[field(default = 0)]
    round: i32,
    #[field(default = String::new())]
    subject: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    why: String,
    #[field(default = String::new())]
    owner: String,
    #[field(default = String::new())]
    due: String,
    visible: bool,
}

impl ActionForm {
    fn values(&self) -> FormValues {
        FormValues {
            subject: self.subject.clone(),
            title: self.title.clone(),
            why: self.why.clone(),
            owner: self.owner.clone(),
            due: self.due.clone(),
            visible: self.visible,
        }
    }

    fn owner_id(&self) -> Result<i32, Problem> {
        self.owner
            .parse()
            .map_err(|_| Problem::new("problem_action_owner_unknown"))
    }
}

#[post("/actions", data = "<form>")]
pub async fn create(
    staff: StaffUser,
    csrf: CsrfToken,
    form: CsrfForm<ActionForm>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let form = form.into_inner();
    let round = round_or_latest(app, Some(form.round)).await?;
    let who = Who::from(&staff.principal);
    let attempt = async {
        let new = NewAction {
            department_id: form.department,
            round_id: round.id,
            subject: parse_subject(&form.subject).map_err(AppError::Unprocessable)?,
            title: form.title.clone(),
            why: form.why.clone(),
            owner_id: form.owner_id().map_err(AppError::Unprocessable)?,
            due_on: rules::parse_date(&form.due).map_err(AppError::Unprocessable)?,
            visible: form.visible,
        };
        store::create(&app.db, limits(app), &who, new).await
    };
    match attempt.await {
        Ok(action) => Ok(Ok(Redirect::to(format!(
            "/actions/{}?done=created",
            action.id
        )))),
        Err(err) => {
            let refused = refusal(err)?;
            Ok(Err(new_form(
                app,
                templates,
                &staff,
                &csrf,
                form.department,
                &round,
                form.values(),
                Some(refused),
            )
            .await?))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One action

/// `templates/pages/action.html`.
#[derive(Serialize)]
struct ActionPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    action: ActionLine,
    why: String,
    outcome: Option<String>,
    round_id: i32,
    round: String,
    log: Vec<LogLine>,
    effect: EffectView,
    statuses: Vec<Choice>,
    done: Option<&'a str>,
    error: Option<String>,
}

async fn action_page(
    app: &App,
    templates: &Templates,
    staff: &StaffUser,
    csrf: &CsrfToken,
    id: i32,
    done: Option<&str>,
    error: Option<(Status, Problem)>,
) -> AppResult<Page> {
    let principal = &staff.principal;
    let locale = principal.locale;
    let (record, events) = store::get(&app.db, &Who::from(principal), id).await?;
    let measured = effect::of(&app.reports, Reader::of(principal), &record).await?;
    let status = error.as_ref().map_or(Status::Ok, |(s, _)| *s);
    Ok(Page::render(
        templates,
        "action",
        locale,
        ActionPage {
            user: principal,
            csrf: &csrf.0,
            nav: "actions",
            action: view::line(&record, locale, today(app)),
            why: record.action.why.clone(),
            outcome: record.action.outcome.clone(),
            round_id: record.round.id,
            round: record.round.title.clone(),
            log: events.iter().map(|e| view::log_line(e, locale)).collect(),
            effect: view::effect(&measured, record.question.is_some(), locale),
            statuses: status_choices(locale)
                .into_iter()
                .filter(|c| c.value != record.action.status.as_str())
                .collect(),
            done: done.filter(|d| DONE.contains(d)),
            error: error.map(|(_, p)| i18n::problem(locale, &p)),
        },
    )?
    .with_status(status))
}

#[get("/actions/<id>?<done>")]
pub async fn show(
    id: i32,
    done: Option<&str>,
    staff: StaffUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    action_page(app, templates, &staff, &csrf, id, done, None).await
}

#[derive(Debug, FromForm)]
pub struct StatusForm {
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    outcome: String,
    #[field(default = String::new())]
    note: String,
}

#[post("/actions/<id>/status", data = "<form>")]
pub async fn status(
    id: i32,
    staff: StaffUser,
    csrf: CsrfToken,
    form: CsrfForm<StatusForm>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let form = form.into_inner();
    let who = Who::from(&staff.principal);
    let attempt = async {
        let status = ActionStatus::parse(&form.status).ok_or_else(|| {
            AppError::Unprocessable(
                Problem::new("problem_action_unknown_status").arg("status", &form.status),
            )
        })?;
        let change = StatusChange {
            status,
            outcome: form.outcome.clone(),
            note: form.note.clone(),
        };
        store::set_status(&app.db, limits(app), &who, id, change).await
    };
    match attempt.await {
        Ok(_) => Ok(Ok(Redirect::to(format!("/actions/{id}?done=status")))),
        Err(err) => Ok(Err(action_page(
            app,
            templates,
            &staff,
            &csrf,
            id,
            None,
            Some(refusal(err)?),
        )
        .await?)),
    }
}

#[derive(Debug, FromForm)]
pub struct NoteForm {
    #[field(default = String::new())]
    note: String,
}

#[post("/actions/<id>/note", data = "<form>")]
pub async fn note(
    id: i32,
    staff: StaffUser,
    csrf: CsrfToken,
    form: CsrfForm<NoteForm>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let form = form.into_inner();
    let who = Who::from(&staff.principal);
    match store::add_note(&app.db, &who, id, &form.note).await {
        Ok(_) => Ok(Ok(Redirect::to(format!("/actions/{id}?done=note")))),
        Err(err) => Ok(Err(action_page(
            app,
            templates,
            &staff,
            &csrf,
            id,
            None,
            Some(refusal(err)?),
        )
        .await?)),
    }
}

/// The edit form of action `id`, with `values` as typed and the reason of a refusal.
async fn edit_page(
    app: &App,
    templates: &Templates,
    staff: &StaffUser,
    csrf: &CsrfToken,
    id: i32,
    values: Option<FormValues>,
    error: Option<(Status, Problem)>,
) -> AppResult<Page> {
    let principal = &staff.principal;
    let locale = principal.locale;
    let (record, _) = store::get(&app.db, &Who::from(principal), id).await?;
    let values = values.unwrap_or_else(|| FormValues {
        subject: String::new(),
        title: record.action.title.clone(),
        why: record.action.why.clone(),
        owner: record.action.owner_id.to_string(),
        due: view::date(record.action.due_on),
        visible: record.action.visible,
    });
    let mut owners = owner_choices(app, record.department.id).await?;
    // A deactivated owner stays selectable until someone else takes over, so that saving
    // another field does not fail on it.
    if !owners
        .iter()
        .any(|o| o.value == record.owner.id.to_string())
    {
        owners.insert(
            0,
            Choice {
                value: record.owner.id.to_string(),
                label: format!(
                    "{} ({})",
                    record.owner.email,
                    text(locale, "action_without_owner")
                ),
            },
        );
    }
    let status = error.as_ref().map_or(Status::Ok, |(s, _)| *s);
    Ok(Page::render(
        templates,
        "action_form",
        locale,
        FormPage {
            user: principal,
            csrf: &csrf.0,
            nav: "actions",
            action_id: Some(id),
            department_id: record.department.id,
            department: record.department.path.clone(),
            round_id: record.round.id,
            round: record.round.title.clone(),
            subjects: Vec::new(),
            values,
            owners,
            error: error.map(|(_, p)| i18n::problem(locale, &p)),
            full: false,
            limit: app.settings.actions_open_limit,
            today: view::date(today(app)),
        },
    )?
    .with_status(status))
}

#[get("/actions/<id>/edit")]
pub async fn edit_form(
    id: i32,
    staff: StaffUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    edit_page(app, templates, &staff, &csrf, id, None, None).await
}

#[post("/actions/<id>/edit", data = "<form>")]
pub async fn edit(
    id: i32,
    staff: StaffUser,
    csrf: CsrfToken,
    form: CsrfForm<ActionForm>,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let form = form.into_inner();
    let who = Who::from(&staff.principal);
    let attempt = async {
        let change = Edit {
            title: form.title.clone(),
            why: form.why.clone(),
            owner_id: form.owner_id().map_err(AppError::Unprocessable)?,
            due_on: rules::parse_date(&form.due).map_err(AppError::Unprocessable)?,
            visible: form.visible,
        };
        store::edit(&app.db, limits(app), &who, id, change).await
    };
    match attempt.await {
        Ok(_) => Ok(Ok(Redirect::to(format!("/actions/{id}?done=edited")))),
        Err(err) => Ok(Err(edit_page(
            app,
            templates,
            &staff,
            &csrf,
            id,
            Some(form.values()),
            Some(refusal(err)?),
        )
        .await?)),
    }
}
