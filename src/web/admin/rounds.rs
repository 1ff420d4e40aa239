//! `/admin/rounds`: HR's survey rounds — the list with the form for a new one, a round's page
//! with its participation, and the state changes (edit, close now, cancel).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post};
use serde::Serialize;

use crate::app::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::lifecycle;
use crate::local_time::format_local;
use crate::mail::outbox::SendLog;
use crate::org::department;
use crate::problem::Note;
use crate::report::participation::{self, Participation};
use crate::survey::catalog::{self, PillarGroup, QuestionView};
use crate::survey::pulse;
use crate::survey::round::{self, RoundDraft, RoundView};
use crate::templates::Templates;
use crate::vocab::RoundState;
use crate::web::csrf::{CsrfForm, CsrfToken, NoFields};
use crate::web::guards::AdminUser;
use crate::web::page::Page;

/// The fields of the create and edit forms, kept as typed so that a refused form comes back
/// with everything HR entered.
#[derive(Debug, Clone, FromForm, Serialize)]
pub struct RoundForm {
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    opens_at: String,
    #[field(default = String::new())]
    closes_at: String,
    /// Department paths; none is the whole company.
    departments: Vec<String>,
    /// `auto` (a pulse of `pulse_size`) or `choose` (the checked `questions`).
    #[field(default = String::from(AUTO))]
    selection: String,
    #[field(default = String::new())]
    pulse_size: String,
    questions: Vec<String>,
}

const AUTO: &str = "auto";
const CHOOSE: &str = "choose";

impl RoundForm {
    fn blank() -> Self {
        RoundForm {
            title: String::new(),
            opens_at: String::new(),
            closes_at: String::new(),
            departments: Vec::new(),
            selection: AUTO.to_owned(),
            pulse_size: pulse::DEFAULT_PULSE_SIZE.to_string(),
            questions: Vec::new(),
        }
    }

    /// The form of a round as it stands, for editing. Its questions are shown as an explicit
    /// choice: that reproduces the round exactly, however they were picked.
    fn of_round(view: &RoundView, tz: chrono_tz::Tz) -> Self {
        RoundForm {
            title: view.title.clone(),
            opens_at: datetime_local(view.opens_at, tz),
            closes_at: datetime_local(view.closes_at, tz),
            departments: view.departments.clone(),
            selection: CHOOSE.to_owned(),
            pulse_size: pulse::DEFAULT_PULSE_SIZE.to_string(),
            questions: view.questions.clone(),
        }
    }

    /// The draft the domain checks. Only what the form itself can get wrong is refused here,
    /// with the key of the text that says so.
    fn draft(&self) -> Result<RoundDraft, &'static str> {
        let (questions, pulse_size) = if self.selection == CHOOSE {
            // The domain takes an empty choice for "automatic", which is not what HR asked for.
            if self.questions.is_empty() {
                return Err("round_form_no_questions");
            }
            (Some(self.questions.clone()), None)
        } else {
            let size = self.pulse_size.trim();
            let size = if size.is_empty() {
                None
            } else {
                Some(
                    size.parse::<usize>()
                        .map_err(|_| "round_form_pulse_size_invalid")?,
                )
            };
            (None, size)
        };
        Ok(RoundDraft {
            title: self.title.clone(),
            opens_at: self.opens_at.clone(),
            closes_at: self.closes_at.clone(),
            departments: self.departments.clone(),
            questions,
            pulse_size,
        })
    }
}

/// The value an `<input type="datetime-local">` takes: wall-clock time in the company zone.
fn datetime_local(utc: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    format_local(utc, tz).replacen(' ', "T", 1)
}

/// What the round form needs besides its values: the departments and questions to choose from.
#[derive(Serialize)]
struct RoundChoices {
    departments: Vec<department::TreeEntry>,
    pillars: Vec<PillarGroup>,
    other_questions: Vec<QuestionView>,
    timezone: &'static str,
    min_pulse_size: usize,
    max_pulse_size: usize,
    max_title: usize,
}

async fn form_choices(app: &App, locale: Locale) -> AppResult<RoundChoices> {
    let departments: Vec<department::TreeEntry> = department::tree_with_headcounts(&app.db)
        .await?
        .into_iter()
        // A retired department cannot be a target any more.
        .filter(|entry| !entry.retired)
        .collect();
    let catalog = catalog::all(&app.db).await?;
    let grouped = catalog::grouped(&catalog, locale);
    Ok(RoundChoices {
        departments,
        pillars: grouped.pillars,
        other_questions: grouped.other,
        timezone: app.settings.timezone.name(),
        min_pulse_size: pulse::minimum_size(&catalog),
        max_pulse_size: pulse::MAX_PULSE_SIZE,
        max_title: round::MAX_TITLE,
    })
}

/// The notes of a round in `locale`, one a line, for the flash after a redirect.
fn said(locale: Locale, notes: &[Note]) -> String {
    notes
        .iter()
        .map(|note| i18n::problem(locale, note.problem()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The message of a refused form in the reader's language, or the error that is not about the
/// form.
fn form_error(err: AppError, locale: Locale) -> AppResult<String> {
    match err {
        AppError::Unprocessable(problem) => Ok(i18n::problem(locale, &problem)),
        other => Err(other),
    }
}

/// `templates/pages/admin_rounds.html`: the rounds and the form for a new one.
#[derive(Serialize)]
struct RoundsPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    rounds: Vec<RoundView>,
    threshold: u32,
    form: &'a RoundForm,
    choices: RoundChoices,
    error: Option<&'a str>,
}

async fn list_page(
    app: &App,
    templates: &Templates,
    principal: &Principal,
    csrf: &CsrfToken,
    values: &RoundForm,
    error: Option<&str>,
) -> AppResult<Page> {
    let rounds = round::list(&app.db, &app.settings).await?;
    Page::render(
        templates,
        "admin_rounds",
        principal.locale,
        RoundsPage {
            user: principal,
            csrf: &csrf.0,
            nav: "rounds",
            rounds,
            threshold: app.settings.anonymity_threshold,
            form: values,
            choices: form_choices(app, principal.locale).await?,
            error,
        },
    )
}

#[get("/admin/rounds")]
pub async fn index(
    admin: AdminUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = admin.0.principal;
    list_page(app, templates, &principal, &csrf, &RoundForm::blank(), None).await
}

#[post("/admin/rounds", data = "<form>")]
pub async fn create(
    admin: AdminUser,
    form: CsrfForm<RoundForm>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Flash<Redirect>, Page>> {
    let principal = admin.0.principal;
    let form = form.into_inner();
    let error = match form.draft() {
        Err(key) => i18n::text(principal.locale, key).to_owned(),
        Ok(draft) => {
            let created = lifecycle::create(app, &draft, Utc::now()).await;
            match created {
                Ok(view) => {
                    tracing::info!(round = view.id, "round created from the admin form");
                    let notes = said(principal.locale, &view.notes);
                    return Ok(Ok(done(view.id, "created", &notes)));
                }
                Err(err) => form_error(err, principal.locale)?,
            }
        }
    };
    let page = list_page(app, templates, &principal, &csrf, &form, Some(&error)).await?;
    Ok(Err(page.with_status(Status::UnprocessableEntity)))
}

/// Back to the round's page, with a word on what happened there.
fn done(id: i32, kind: &str, detail: &str) -> Flash<Redirect> {
    Flash::new(Redirect::to(format!("/admin/rounds/{id}")), kind, detail)
}

/// The sentence for a flash from `done`, and the notes that came with it.
#[derive(Serialize)]
struct FlashView {
    text: String,
    notes: Vec<String>,
}

/// The [`FlashView`] of a flash from `done`. The cookie comes from the browser, so an unknown
/// kind is dropped rather than looked up.
fn flash_view(locale: Locale, kind: &str, detail: &str) -> Option<FlashView> {
    let key = match kind {
        "created" => "round_flash_created",
        "updated" => "round_flash_updated",
        "closed" => "round_flash_closed",
        "not_open" => "round_flash_not_open",
        "cancelled" => "round_flash_cancelled",
        _ => return None,
    };
    let text = i18n::text(locale, key);
    Some(if kind == "cancelled" {
        FlashView {
            text: text.replace("{n}", detail),
            notes: Vec::new(),
        }
    } else {
        FlashView {
            text: text.to_owned(),
            notes: detail
                .lines()
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    })
}

/// What a round's page shows besides the round.
struct RoundExtra<'a> {
    /// The edit form's values and the reason it was refused, when it comes back.
    edit: Option<(&'a RoundForm, &'a str)>,
    flash: Option<FlashView>,
}

/// `templates/pages/admin_round.html`: one round with its participation and mail, and the form
/// to edit it while it is scheduled.
#[derive(Serialize)]
struct RoundPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    round: RoundView,
    questions: Vec<&'a QuestionView>,
    participation: Participation,
    mail: SendLog,
    pace: PaceView,
    threshold: u32,
    /// When reminders may go, in a sentence.
    reminder_rule: String,
    can_edit: bool,
    can_close: bool,
    can_cancel: bool,
    form: RoundForm,
    /// Only while the round can be edited (`null` otherwise).
    choices: Option<RoundChoices>,
    error: Option<&'a str>,
    flash: Option<FlashView>,
}

async fn round_page(
    app: &App,
    templates: &Templates,
    principal: &Principal,
    csrf: &CsrfToken,
    id: i32,
    extra: RoundExtra<'_>,
) -> AppResult<Page> {
    let view = round::get(&app.db, &app.settings, id).await?;
    let tz = app.settings.timezone;
    let threshold = app.settings.anonymity_threshold;
    let participation = participation::of_round(&app.db, id, None, threshold).await?;
    let catalog = catalog::all(&app.db).await?;
    let by_key: HashMap<&str, QuestionView> = catalog
        .iter()
        .map(|q| (q.key.as_str(), QuestionView::new(q, principal.locale)))
        .collect();
    let questions: Vec<&QuestionView> = view
        .questions
        .iter()
        .filter_map(|key| by_key.get(key.as_str()))
        .collect();
    let scheduled = view.state == RoundState::Scheduled;
    let open = view.state == RoundState::Open;
    let (form, error) = match extra.edit {
        Some((values, error)) => (values.clone(), Some(error)),
        None => (RoundForm::of_round(&view, tz), None),
    };
    let choices = if scheduled {
        Some(form_choices(app, principal.locale).await?)
    } else {
        None
    };
    Page::render(
        templates,
        "admin_round",
        principal.locale,
        RoundPage {
            user: principal,
            csrf: &csrf.0,
            nav: "rounds",
            round: view,
            questions,
            participation,
            mail: crate::mail::outbox::send_log(&app.db, id).await?,
            pace: pace_view(app, id).await?,
            threshold,
            reminder_rule: reminder_rule(&app.settings.working_time, principal.locale),
            can_edit: scheduled,
            can_close: open,
            can_cancel: scheduled || open,
            form,
            choices,
            error,
            flash: extra.flash,
        },
    )
}

/// "Reminders go on working days between 09:00 and 16:00, not on weekends or public holidays
/// in BY."
fn reminder_rule(hours: &crate::working_time::WorkingTime, locale: Locale) -> String {
    let last = hours.end - chrono::Duration::hours(1);
    let key = if hours.holidays.is_some() {
        "round_reminder_rule_holidays"
    } else {
        "round_reminder_rule"
    };
    i18n::fill(
        i18n::text(locale, key),
        &[
            ("start", &hours.start.format("%H:%M").to_string()),
            ("last", &last.format("%H:%M").to_string()),
            ("state", hours.holidays.map_or("", |s| s.code)),
        ],
    )
}

/// The round's invitations by state and their ETA.
#[derive(Serialize)]
struct PaceView {
    queued: u64,
    sent: u64,
    retrying: u64,
    failed: u64,
    finish: Option<DateTime<Utc>>,
    held_since: Option<DateTime<Utc>>,
    relay_reply: Option<String>,
    rate: Option<u32>,
    daily: Option<u32>,
    current_rate: Option<String>,
}

async fn pace_view(app: &App, id: i32) -> AppResult<PaceView> {
    let pace = crate::mail::pace::round_status(&app.db, &app.settings, id, Utc::now()).await?;
    Ok(PaceView {
        queued: pace.queued,
        sent: pace.sent,
        retrying: pace.retrying,
        failed: pace.failed,
        finish: pace.expected_finish,
        held_since: pace.held_back_since,
        relay_reply: pace.relay_reply,
        rate: pace.rate_per_minute,
        daily: pace.daily_limit,
        // Only while the relay has slowed us below the configured rate; whole mails per
        // minute are precise enough for HR and need no decimal separator of either language.
        current_rate: pace
            .current_rate_per_minute
            .zip(pace.rate_per_minute)
            .filter(|(current, rate)| *current < f64::from(*rate))
            .map(|(current, _)| format!("{:.0}", current.max(1.0))),
    })
}

#[get("/admin/rounds/<id>")]
pub async fn show(
    admin: AdminUser,
    id: i32,
    flash: Option<FlashMessage<'_>>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = admin.0.principal;
    let flash = flash.and_then(|flash| flash_view(principal.locale, flash.kind(), flash.message()));
    let extra = RoundExtra { edit: None, flash };
    round_page(app, templates, &principal, &csrf, id, extra).await
}

#[post("/admin/rounds/<id>/edit", data = "<form>")]
pub async fn update(
    admin: AdminUser,
    id: i32,
    form: CsrfForm<RoundForm>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Flash<Redirect>, Page>> {
    let principal = admin.0.principal;
    let form = form.into_inner();
    let error = match form.draft() {
        Err(key) => i18n::text(principal.locale, key).to_owned(),
        Ok(draft) => {
            let updated = lifecycle::update(app, id, &draft, Utc::now()).await;
            match updated {
                Ok(view) => {
                    let notes = said(principal.locale, &view.notes);
                    return Ok(Ok(done(id, "updated", &notes)));
                }
                Err(err) => form_error(err, principal.locale)?,
            }
        }
    };
    let extra = RoundExtra {
        edit: Some((&form, &error)),
        flash: None,
    };
    let page = round_page(app, templates, &principal, &csrf, id, extra).await?;
    Ok(Err(page.with_status(Status::UnprocessableEntity)))
}

#[post("/admin/rounds/<id>/close", data = "<form>")]
pub async fn close(
    _admin: AdminUser,
    id: i32,
    form: CsrfForm<NoFields>,
    app: &State<App>,
) -> AppResult<Flash<Redirect>> {
    let CsrfForm(NoFields) = form;
    // `false`: it closed meanwhile (on time, or a second click); the page shows its state.
    let kind = if lifecycle::close(app, id, Utc::now()).await? {
        "closed"
    } else {
        "not_open"
    };
    Ok(done(id, kind, ""))
}

#[derive(Debug, FromForm)]
pub struct CancelForm {
    /// The number of responses HR saw on the confirmation page.
    confirm_responses: Option<u64>,
}

/// `templates/pages/admin_round_cancel.html`: the number of responses a cancel deletes, to
/// confirm.
#[derive(Serialize)]
struct RoundCancelPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    round: &'a RoundView,
    responses: u64,
}

#[post("/admin/rounds/<id>/cancel", data = "<form>")]
pub async fn cancel(
    admin: AdminUser,
    id: i32,
    form: CsrfForm<CancelForm>,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Result<Flash<Redirect>, Page>> {
    let principal = admin.0.principal;
    let confirm = form.into_inner().confirm_responses;
    match lifecycle::cancel(app, id, confirm, Utc::now()).await {
        Ok(cancelled) => Ok(Ok(done(
            id,
            "cancelled",
            &cancelled.responses_deleted.to_string(),
        ))),
        Err(AppError::Conflict(message)) => {
            // The domain refuses until HR confirms the number of responses it deletes; other
            // conflicts (a round already closed) are shown as they are.
            let view = round::get(&app.db, &app.settings, id).await?;
            let cancellable = matches!(view.state, RoundState::Scheduled | RoundState::Open);
            let responses = round::responses_to_delete(&app.db, id).await?;
            if !cancellable || responses == 0 || confirm == Some(responses) {
                return Err(AppError::Conflict(message));
            }
            let page = Page::render(
                templates,
                "admin_round_cancel",
                principal.locale,
                RoundCancelPage {
                    user: &principal,
                    csrf: &csrf.0,
                    nav: "rounds",
                    round: &view,
                    responses,
                },
            )?;
            Ok(Err(page))
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(selection: &str, pulse_size: &str, questions: &[&str]) -> RoundForm {
        RoundForm {
            selection: selection.into(),
            pulse_size: pulse_size.into(),
            questions: questions.iter().map(|q| (*q).to_owned()).collect(),
            ..RoundForm::blank()
        }
    }

    #[test]
    fn an_automatic_pulse_sends_its_size_and_no_questions() {
        let draft = form(AUTO, " 10 ", &["recommend"]).draft().unwrap();
        assert_eq!(draft.pulse_size, Some(10));
        assert_eq!(draft.questions, None);
        assert_eq!(form(AUTO, "", &[]).draft().unwrap().pulse_size, None);
    }

    #[test]
    fn an_explicit_choice_sends_its_questions_and_needs_one() {
        let draft = form(CHOOSE, "8", &["recommend"]).draft().unwrap();
        assert_eq!(draft.questions, Some(vec!["recommend".to_owned()]));
        assert_eq!(draft.pulse_size, None);
        assert_eq!(
            form(CHOOSE, "8", &[]).draft().unwrap_err(),
            "round_form_no_questions"
        );
    }

    #[test]
    fn a_pulse_size_that_is_not_a_number_is_refused_by_the_form() {
        assert_eq!(
            form(AUTO, "eight", &[]).draft().unwrap_err(),
            "round_form_pulse_size_invalid"
        );
    }

    #[test]
    fn datetime_local_values_use_the_company_zone() {
        let at = DateTime::parse_from_rfc3339("2027-07-01T07:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            datetime_local(at, chrono_tz::Europe::Berlin),
            "2027-07-01T09:00"
        );
    }
}
