//! `/admin/schedules`: recurring rounds with their next three dates, a form for a new one, and
//! ending one.

use chrono::{NaiveDate, NaiveTime, Utc, Weekday};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::serde::json::json;
use rocket::{State, get, post};
use serde::Serialize;

use crate::app::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::org::department;
use crate::problem::Problem;
use crate::survey::cadence::{Cadence, Ordinal};
use crate::survey::pulse;
use crate::survey::schedule::{self, ScheduleDraft, ScheduleView};
use crate::templates::Templates;
use crate::web::csrf::{CsrfForm, CsrfToken, NoFields};
use crate::web::guards::AdminUser;
use crate::web::page::Page;

/// The form as typed, so that a refused one comes back with everything HR entered.
#[derive(Debug, Clone, FromForm, Serialize)]
pub struct ScheduleForm {
    #[field(default = String::new())]
    title: String,
    /// `weekly`, `monthly` or `cron`.
    #[field(default = String::from("weekly"))]
    kind: String,
    #[field(default = String::from("4"))]
    every_weeks: String,
    #[field(default = String::from("mon"))]
    weekday: String,
    #[field(default = String::from("first"))]
    ordinal: String,
    #[field(default = String::from("09:00"))]
    time: String,
    #[field(default = String::new())]
    start: String,
    #[field(default = String::new())]
    cron: String,
    #[field(default = String::from("14d"))]
    duration: String,
    departments: Vec<String>,
    #[field(default = String::new())]
    pulse_size: String,
}

impl ScheduleForm {
    fn blank() -> Self {
        ScheduleForm {
            title: String::new(),
            kind: "weekly".into(),
            every_weeks: "4".into(),
            weekday: "mon".into(),
            ordinal: "first".into(),
            time: "09:00".into(),
            start: Utc::now().date_naive().to_string(),
            cron: String::new(),
            duration: "14d".into(),
            departments: Vec::new(),
            pulse_size: pulse::DEFAULT_PULSE_SIZE.to_string(),
        }
    }

    /// What only the form can get wrong; the rest is the domain's to refuse.
    fn cadence(&self) -> Result<Cadence, Problem> {
        let weekday = || -> Result<Weekday, Problem> {
            self.weekday
                .parse()
                .map_err(|_| Problem::new("problem_not_a_weekday").arg("input", &self.weekday))
        };
        let time = || -> Result<NaiveTime, Problem> {
            NaiveTime::parse_from_str(self.time.trim(), "%H:%M")
                .map_err(|_| Problem::new("problem_not_a_time").arg("input", &self.time))
        };
        match self.kind.as_str() {
            "weekly" => Ok(Cadence::Weekly {
                every_weeks: self.every_weeks.trim().parse().map_err(|_| {
                    Problem::new("problem_not_a_number").arg("input", &self.every_weeks)
                })?,
                weekday: weekday()?,
                time: time()?,
                start: NaiveDate::parse_from_str(self.start.trim(), "%Y-%m-%d")
                    .map_err(|_| Problem::new("problem_not_a_date").arg("input", &self.start))?,
            }),
            "monthly" => Ok(Cadence::Monthly {
                ordinal: serde_json::from_value::<Ordinal>(json!(self.ordinal)).map_err(|_| {
                    Problem::new("problem_not_an_ordinal").arg("input", &self.ordinal)
                })?,
                weekday: weekday()?,
                time: time()?,
            }),
            "cron" => Ok(Cadence::Cron {
                expression: self.cron.trim().to_owned(),
            }),
            other => Err(Problem::new("problem_unknown_rhythm").arg("input", other)),
        }
    }

    fn draft(&self) -> Result<ScheduleDraft, Problem> {
        let pulse_size = match self.pulse_size.trim() {
            "" => None,
            size => Some(
                size.parse()
                    .map_err(|_| Problem::new("problem_not_a_number").arg("input", size))?,
            ),
        };
        Ok(ScheduleDraft {
            title: self.title.clone(),
            cadence: self.cadence()?,
            duration: self.duration.clone(),
            departments: self.departments.clone(),
            pulse_size,
            timezone: None,
        })
    }
}

/// `templates/pages/admin_schedules.html`.
#[derive(Serialize)]
struct SchedulesPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    schedules: &'a [ScheduleView],
    form: &'a ScheduleForm,
    departments: &'a [department::TreeEntry],
    timezone: &'a str,
    error: Option<&'a str>,
    notes: &'a [String],
}

async fn page(
    app: &App,
    templates: &Templates,
    principal: &Principal,
    csrf: &CsrfToken,
    form: &ScheduleForm,
    error: Option<&str>,
    notes: &[String],
) -> AppResult<Page> {
    let schedules = schedule::list(&app.db, principal.locale, Utc::now()).await?;
    let departments: Vec<department::TreeEntry> = department::tree_with_headcounts(&app.db)
        .await?
        .into_iter()
        .filter(|entry| !entry.retired)
        .collect();
    Page::render(
        templates,
        "admin_schedules",
        principal.locale,
        SchedulesPage {
            user: principal,
            csrf: &csrf.0,
            nav: "schedules",
            schedules: &schedules,
            form,
            departments: &departments,
            timezone: app.settings.timezone.name(),
            error,
            notes,
        },
    )
}

#[get("/admin/schedules")]
pub async fn index(
    admin: AdminUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    page(
        app,
        templates,
        &admin.0.principal,
        &csrf,
        &ScheduleForm::blank(),
        None,
        &[],
    )
    .await
}

#[post("/admin/schedules", data = "<form>")]
pub async fn create(
    admin: AdminUser,
    form: CsrfForm<ScheduleForm>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Redirect, Page>> {
    let form = form.into_inner();
    let principal = &admin.0.principal;
    let result = match form.draft() {
        Ok(draft) => schedule::create(&app.db, &app.settings, &draft, Utc::now()).await,
        Err(message) => Err(AppError::Unprocessable(message)),
    };
    match result {
        Ok(view) if view.notes.is_empty() => Ok(Ok(Redirect::to("/admin/schedules"))),
        // Created, with a warning (the mail limits): shown at once rather than lost in a
        // redirect.
        Ok(mut view) => {
            i18n::say_notes(principal.locale, &mut view.notes);
            let notes: Vec<String> = view.notes.iter().map(|n| n.text().to_owned()).collect();
            Ok(Err(page(
                app,
                templates,
                principal,
                &csrf,
                &ScheduleForm::blank(),
                None,
                &notes,
            )
            .await?))
        }
        Err(AppError::Unprocessable(problem)) => {
            let message = i18n::problem(principal.locale, &problem);
            let refused =
                page(app, templates, principal, &csrf, &form, Some(&message), &[]).await?;
            Ok(Err(refused.with_status(Status::UnprocessableEntity)))
        }
        Err(other) => Err(other),
    }
}

#[post("/admin/schedules/<id>/end", data = "<form>")]
pub async fn end(
    _admin: AdminUser,
    id: i32,
    form: CsrfForm<NoFields>,
    app: &State<App>,
) -> AppResult<Redirect> {
    let CsrfForm(NoFields) = form;
    schedule::delete(&app.db, id).await?;
    Ok(Redirect::to("/admin/schedules"))
}
