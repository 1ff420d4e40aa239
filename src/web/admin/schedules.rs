//! `/admin/schedules`: recurring rounds with their next three dates, a form for a new one (one
//! rhythm at a time, the duration as a number and a unit, a preview of the next rounds before
//! saving), and ending one.

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
use crate::survey::schedule::{self, Preview, ScheduleDraft, ScheduleView};
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
    /// How long each round stays open: a whole number of `duration_unit`s.
    #[field(default = String::from("14"))]
    duration_amount: String,
    /// `h`, `d` or `w`.
    #[field(default = String::from("d"))]
    duration_unit: String,
    departments: Vec<String>,
    #[field(default = String::new())]
    pulse_size: String,
    /// Set by the preview button: show the next rounds, save nothing.
    #[serde(skip)]
    preview: Option<String>,
}

/// The units the form offers for a round's duration, as `schedule::parse_duration` reads them.
const DURATION_UNITS: [&str; 3] = ["h", "d", "w"];

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
            duration_amount: "14".into(),
            duration_unit: "d".into(),
            departments: Vec::new(),
            pulse_size: pulse::DEFAULT_PULSE_SIZE.to_string(),
            preview: None,
        }
    }

    /// "14d" from 14 and "d"; the domain refuses zero and rounds that overlap.
    fn duration(&self) -> Result<String, Problem> {
        let amount = self.duration_amount.trim();
        let amount: u32 = amount
            .parse()
            .map_err(|_| Problem::new("problem_not_a_number").arg("input", amount))?;
        let unit = self.duration_unit.trim();
        if !DURATION_UNITS.contains(&unit) {
            return Err(Problem::new("problem_duration_unreadable").arg("input", unit));
        }
        Ok(format!("{amount}{unit}"))
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
            duration: self.duration()?,
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
    schedules: Vec<ScheduleRow>,
    form: &'a ScheduleForm,
    units: [&'static str; 3],
    departments: &'a [department::TreeEntry],
    timezone: &'a str,
    error: Option<&'a str>,
    notes: &'a [String],
    preview: Option<&'a Preview>,
}

/// A schedule in the list, with how long its rounds stay open in words.
#[derive(Serialize)]
struct ScheduleRow {
    #[serde(flatten)]
    schedule: ScheduleView,
    open_for: String,
}

/// "2 Wochen offen", "1 day open": the largest unit that divides the duration.
fn open_for(minutes: i32, locale: i18n::Locale) -> String {
    let (n, unit) = [(7 * 24 * 60, "w"), (24 * 60, "d"), (60, "h"), (1, "m")]
        .into_iter()
        .find(|(size, _)| minutes % size == 0)
        .map(|(size, unit)| (minutes / size, unit))
        .unwrap_or((minutes, "m"));
    let key = format!("schedule_open_for_{unit}{}", if n == 1 { "1" } else { "" });
    i18n::fill(i18n::text(locale, &key), &[("n", &n.to_string())])
}

/// The form as it comes back: HR's values with what the last submit brought.
struct FormState<'a> {
    form: &'a ScheduleForm,
    error: Option<&'a str>,
    notes: &'a [String],
    preview: Option<&'a Preview>,
}

impl<'a> FormState<'a> {
    fn of(form: &'a ScheduleForm) -> Self {
        FormState {
            form,
            error: None,
            notes: &[],
            preview: None,
        }
    }
}

async fn page(
    app: &App,
    templates: &Templates,
    principal: &Principal,
    csrf: &CsrfToken,
    state: FormState<'_>,
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
            schedules: schedules
                .into_iter()
                .map(|schedule| ScheduleRow {
                    open_for: open_for(schedule.duration_minutes, principal.locale),
                    schedule,
                })
                .collect(),
            form: state.form,
            units: DURATION_UNITS,
            departments: &departments,
            timezone: app.settings.timezone.name(),
            error: state.error,
            notes: state.notes,
            preview: state.preview,
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
    let blank = ScheduleForm::blank();
    page(
        app,
        templates,
        &admin.0.principal,
        &csrf,
        FormState::of(&blank),
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
    let now = Utc::now();
    let draft = form.draft().map_err(AppError::Unprocessable);
    if form.preview.is_some() {
        let preview = draft.and_then(|draft| schedule::preview(&app.settings, &draft, now));
        return match preview {
            Ok(preview) => {
                let state = FormState {
                    preview: Some(&preview),
                    ..FormState::of(&form)
                };
                Ok(Err(page(app, templates, principal, &csrf, state).await?))
            }
            Err(err) => refused(app, templates, principal, &csrf, &form, err).await,
        };
    }
    let result = match draft {
        Ok(draft) => schedule::create(&app.db, &app.settings, &draft, now).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(view) if view.notes.is_empty() => Ok(Ok(Redirect::to("/admin/schedules"))),
        // Created, with a warning (the mail limits): shown at once rather than lost in a
        // redirect.
        Ok(mut view) => {
            i18n::say_notes(principal.locale, &mut view.notes);
            let notes: Vec<String> = view.notes.iter().map(|n| n.text().to_owned()).collect();
            let blank = ScheduleForm::blank();
            let state = FormState {
                notes: &notes,
                ..FormState::of(&blank)
            };
            Ok(Err(page(app, templates, principal, &csrf, state).await?))
        }
        Err(err) => refused(app, templates, principal, &csrf, &form, err).await,
    }
}

/// The form again with HR's values and the reason, for a problem with them; other errors
/// (the database) go up.
async fn refused(
    app: &App,
    templates: &Templates,
    principal: &Principal,
    csrf: &CsrfToken,
    form: &ScheduleForm,
    err: AppError,
) -> AppResult<Result<Redirect, Page>> {
    let AppError::Unprocessable(problem) = err else {
        return Err(err);
    };
    let message = i18n::problem(principal.locale, &problem);
    let state = FormState {
        error: Some(&message),
        ..FormState::of(form)
    };
    let page = page(app, templates, principal, csrf, state).await?;
    Ok(Err(page.with_status(Status::UnprocessableEntity)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn a_duration_reads_in_its_largest_whole_unit() {
        assert_eq!(open_for(14 * 24 * 60, Locale::De), "2 Wochen offen");
        assert_eq!(open_for(7 * 24 * 60, Locale::En), "open 1 week");
        assert_eq!(open_for(10 * 24 * 60, Locale::De), "10 Tage offen");
        assert_eq!(open_for(24 * 60, Locale::De), "1 Tag offen");
        assert_eq!(open_for(36 * 60, Locale::En), "open 36 hours");
        assert_eq!(open_for(90, Locale::De), "90 Min. offen");
    }

    #[test]
    fn the_duration_is_a_whole_number_of_a_unit_the_form_offers() {
        let mut form = ScheduleForm::blank();
        assert_eq!(form.duration(), Ok("14d".to_owned()));
        form.duration_amount = " 3 ".into();
        form.duration_unit = "w".into();
        assert_eq!(form.duration(), Ok("3w".to_owned()));
        form.duration_amount = "zwei".into();
        assert_eq!(form.duration().unwrap_err().key(), "problem_not_a_number");
        form.duration_amount = "2".into();
        form.duration_unit = "y".into();
        assert_eq!(
            form.duration().unwrap_err().key(),
            "problem_duration_unreadable"
        );
    }
}
