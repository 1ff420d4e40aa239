//! The employees' door: the survey form behind the personal link, and the privacy page. Thin:
//! the rules live in `crate::answer`. Every page here uses its own phone-first layout without
//! staff navigation, and every failure under `/s/` gets a page of that layout (the catcher
//! below), in the language asked for.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rocket::data::{Data, FromData, Outcome as DataOutcome, ToByteUnit};
use rocket::fairing::AdHoc;
use rocket::http::{Method, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::response::Redirect;
use rocket::{Responder, State, catch, catchers, get, post, routes};
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::client::ClientAddress;
use super::csrf::{CsrfToken, FIELD as CSRF_FIELD};
use super::page::Page;
use super::request::app;
use crate::action::tell;
use crate::answer::form::{self, FormView, Problem};
use crate::answer::intake::{Received, Shown};
use crate::answer::limits::SurveyLimits;
use crate::answer::link::{self, LinkState, OpenRound};
use crate::app::App;
use crate::i18n::{self, Locale};
use crate::org::department as departments;
use crate::templates::Templates;

/// A filled-in form is a few kilobytes; a comment of 2,000 characters percent-encoded stays
/// below 24 KiB even in a four-byte script.
const BODY_LIMIT_KIB: u64 = 32;

mod blank_form;

use blank_form::BlankForms;

/// What only this door keeps: how often a client and a link may be used, and the blank forms
/// rendered once per round and language.
pub struct Survey {
    limits: SurveyLimits,
    forms: BlankForms,
}

/// Routes and state of the employee-facing pages.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("survey", |rocket| async {
        let app = rocket
            .state::<App>()
            .expect("the App is managed before the survey stage")
            .clone();
        let survey = Survey {
            limits: SurveyLimits::new(
                app.settings.rate_limit_token_per_minute,
                app.settings.rate_limit_survey_per_minute,
            ),
            forms: BlankForms::default(),
        };
        rocket
            .manage(survey)
            .mount("/", routes![show, submit, privacy])
            .register("/s", catchers![problem])
    })
}

/// The language of a page: asked for with `?lang=`, else the employee's, else the default.
fn locale(asked: Option<&str>, employee: Option<Locale>, default: Locale) -> Locale {
    asked
        .and_then(Locale::parse)
        .or(employee)
        .unwrap_or(default)
}

/// The pages that say nothing but their texts: `unknown` and `cancelled`.
#[derive(Serialize)]
struct TextPage {}

/// `templates/pages/survey/answered.html`: thanks, and what leadership does in the employee's
/// department, a sentence each.
#[derive(Serialize)]
struct AnsweredPage {
    actions: Vec<String>,
    /// When and where the results are shared.
    sharing: String,
}

/// The promise of the thank-you page: the round's end, the day by which results are shared
/// (`results_days_after_close` later) and where (`results_where_de`/`_en`).
fn sharing(closes_at: DateTime<Utc>, app: &App, locale: Locale) -> String {
    let settings = &app.settings;
    let shared_by =
        closes_at + chrono::Duration::days(i64::from(settings.results_days_after_close));
    let place = match locale {
        Locale::De => &settings.results_where_de,
        Locale::En => &settings.results_where_en,
    };
    i18n::fill(
        i18n::text(locale, "survey_answered_sharing"),
        &[
            ("closes", &local_date(closes_at, app, locale)),
            ("shared", &local_date(shared_by, app, locale)),
            ("where", place),
            ("n", &settings.anonymity_threshold.to_string()),
        ],
    )
}

/// What the employee's department (and those above it) does about earlier answers.
async fn told(
    app: &App,
    department_id: Option<i32>,
    locale: Locale,
) -> Result<Vec<String>, Status> {
    let Some(department_id) = department_id else {
        return Ok(Vec::new());
    };
    let visible = tell::visible(&app.db, Utc::now()).await.map_err(internal)?;
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    let all = departments::all(&app.db).await.map_err(internal)?;
    Ok(tell::for_department(&visible, &all, department_id)
        .into_iter()
        .map(|v| tell::sentence(v, locale))
        .collect())
}

/// `templates/pages/survey/closed.html`.
#[derive(Serialize)]
struct ClosedPage {
    /// The closing date in the company's zone, written the reader's way.
    closed_on: String,
}

/// `templates/pages/survey/form.html`.
#[derive(Serialize)]
struct FormPage<'a> {
    token: &'a str,
    csrf: &'a str,
    title: &'a str,
    form: FormView,
    /// The key of the item whose answer came preselected from the mail, not sent yet.
    preselected: Option<&'a str>,
}

/// `templates/pages/survey/privacy.html`.
#[derive(Serialize)]
struct PrivacyPage {
    anonymity_threshold: u32,
    comment_threshold: u32,
}

/// `templates/pages/survey/problem.html`.
#[derive(Serialize)]
struct ProblemPage {
    status: u16,
    /// The end of the key of the sentence shown, `survey_reason_<reason>`.
    reason: &'static str,
}

fn render(
    templates: &Templates,
    name: &str,
    locale: Locale,
    ctx: impl Serialize,
) -> Result<Page, Status> {
    Page::render(templates, &format!("survey/{name}"), locale, ctx).map_err(|err| {
        tracing::error!(error = %err, page = name, "survey page failed to render");
        Status::InternalServerError
    })
}

fn internal(err: impl std::fmt::Display) -> Status {
    tracing::error!(error = %err, "survey request failed");
    Status::InternalServerError
}

/// The day of `at` in the company's zone, written the reader's way.
fn local_date(at: DateTime<Utc>, app: &App, locale: Locale) -> String {
    i18n::date(
        at.with_timezone(&app.settings.timezone).date_naive(),
        locale,
    )
}

/// The same page for every link that leads nowhere, whatever was wrong with it.
fn unknown_page(templates: &Templates, locale: Locale) -> Result<Page, Status> {
    Ok(render(templates, "unknown", locale, TextPage {})?.with_status(Status::NotFound))
}

/// The page of a link that takes no answers; `posted` marks a submission that came too late.
async fn settled_page(
    templates: &Templates,
    app: &App,
    state: &LinkState,
    asked: Option<&str>,
    posted: bool,
) -> Result<Page, Status> {
    let default = app.settings.default_locale;
    match state {
        LinkState::Unknown | LinkState::Open(_) => {
            unknown_page(templates, locale(asked, None, default))
        }
        LinkState::Answered {
            locale: employee,
            department_id,
            closes_at,
        } => {
            let locale = locale(asked, *employee, default);
            let actions = told(app, *department_id, locale).await?;
            let sharing = sharing(*closes_at, app, locale);
            let page = render(
                templates,
                "answered",
                locale,
                AnsweredPage { actions, sharing },
            )?;
            Ok(if posted {
                page.with_status(Status::Conflict)
            } else {
                page
            })
        }
        LinkState::Closed { closed_at } => {
            let locale = locale(asked, None, default);
            let page = render(
                templates,
                "closed",
                locale,
                ClosedPage {
                    closed_on: local_date(*closed_at, app, locale),
                },
            )?;
            Ok(if posted {
                page.with_status(Status::Gone)
            } else {
                page
            })
        }
        LinkState::Cancelled => {
            let page = render(
                templates,
                "cancelled",
                locale(asked, None, default),
                TextPage {},
            )?;
            Ok(if posted {
                page.with_status(Status::Gone)
            } else {
                page
            })
        }
    }
}

/// What a form page shows filled in.
struct Filled<'a> {
    kept: &'a HashMap<String, String>,
    problems: &'a HashMap<String, Problem>,
    /// The key of the item whose answer came preselected from the mail.
    preselected: Option<&'a str>,
}

fn form_page(
    templates: &Templates,
    token: &str,
    csrf: &str,
    round: &OpenRound,
    locale: Locale,
    filled: Filled<'_>,
) -> Result<Page, Status> {
    let view = FormView::new(&round.items, locale, filled.kept, filled.problems);
    render(
        templates,
        "form",
        locale,
        FormPage {
            token,
            csrf,
            title: &round.title,
            form: view,
            preselected: filled.preselected,
        },
    )
}

/// The form as a link shows it before anything is filled in: from the round's prepared page
/// when it can be (`blank_form`), else rendered.
fn blank_form_page(
    templates: &Templates,
    forms: &BlankForms,
    token: &str,
    csrf: &str,
    round: &Arc<OpenRound>,
    locale: Locale,
) -> Result<Page, Status> {
    let (kept, problems) = (HashMap::new(), HashMap::new());
    let rendered = |token: &str, csrf: &str| {
        let filled = Filled {
            kept: &kept,
            problems: &problems,
            preselected: None,
        };
        form_page(templates, token, csrf, round, locale, filled)
    };
    let prepared = forms.get(round, locale, |token, csrf| {
        rendered(token, csrf).map(Page::into_html)
    })?;
    match prepared.and_then(|prepared| prepared.fill(token, csrf)) {
        Some(html) => Ok(Page::from_html(html)),
        None => rendered(token, csrf),
    }
}

#[get("/s/<token>?<lang>&<q>&<v>")]
#[allow(clippy::too_many_arguments)]
async fn show(
    token: &str,
    lang: Option<&str>,
    q: Option<&str>,
    v: Option<&str>,
    _gate: Gate,
    csrf: CsrfToken,
    app: &State<App>,
    survey: &State<Survey>,
    templates: &State<Templates>,
) -> Result<Page, Status> {
    let shown = app
        .intake
        .show(&app.db, token, Utc::now())
        .await
        .map_err(internal)?;
    let (open, round) = match shown {
        Shown::Form(open, round) => (open, round),
        Shown::Settled(state) => return settled_page(templates, app, &state, lang, false).await,
    };
    let kept = match (q, v) {
        (Some(key), Some(value)) => form::preselect(&round.items, key, value)
            .into_iter()
            .collect(),
        _ => HashMap::new(),
    };
    let locale = locale(lang, open.locale, app.settings.default_locale);
    if kept.is_empty() {
        return blank_form_page(templates, &survey.forms, token, &csrf.0, &round, locale);
    }
    // Tapped in the mail: chosen, but not sent until the form is.
    let preselected = kept.keys().next().map(String::as_str);
    let problems = HashMap::new();
    let filled = Filled {
        kept: &kept,
        problems: &problems,
        preselected,
    };
    form_page(templates, token, &csrf.0, &round, locale, filled)
}

#[derive(Responder)]
enum Reply {
    Page(Page),
    Redirect(Box<Redirect>),
}

/// A submission; `answer::intake` decides what becomes of it.
#[post("/s/<token>", data = "<posted>")]
async fn submit(
    token: &str,
    _gate: Gate,
    csrf: CsrfToken,
    posted: Posted,
    app: &State<App>,
    templates: &State<Templates>,
) -> Result<Reply, Status> {
    let asked = posted.value("lang").map(str::to_owned);
    let asked = asked.as_deref();
    let default = app.settings.default_locale;
    let received = app
        .intake
        .receive(&app.db, token, &posted.fields, Utc::now())
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "a survey submission was not stored");
            Status::InternalServerError
        })?;
    match received {
        Received::Stored { employee_locale } => {
            let locale = locale(asked, employee_locale, default);
            // After-POST-redirect: a reload shows the thank-you page instead of posting again.
            Ok(Reply::Redirect(Box::new(Redirect::to(format!(
                "/s/{token}?lang={locale}"
            )))))
        }
        Received::Rejected {
            link,
            round,
            rejected,
        } => {
            let locale = locale(asked, link.locale, default);
            let page = form_page(
                templates,
                token,
                &csrf.0,
                &round,
                locale,
                Filled {
                    kept: &rejected.kept,
                    problems: &rejected.problems,
                    preselected: None,
                },
            )?;
            Ok(Reply::Page(page.with_status(Status::UnprocessableEntity)))
        }
        Received::Settled(state) => settled_page(templates, app, &state, asked, true)
            .await
            .map(Reply::Page),
    }
}

#[get("/privacy?<lang>")]
fn privacy(
    lang: Option<&str>,
    app: &State<App>,
    templates: &State<Templates>,
) -> Result<Page, Status> {
    let locale = locale(lang, None, app.settings.default_locale);
    render(
        templates,
        "privacy",
        locale,
        PrivacyPage {
            anonymity_threshold: app.settings.anonymity_threshold,
            comment_threshold: app.settings.comment_threshold,
        },
    )
}

/// Every error under `/s/` as a page of the survey layout. A path that matched no route gets
/// the unknown-link page after the same lookup a link costs.
#[catch(default)]
async fn problem(status: Status, req: &Request<'_>) -> Result<Page, Status> {
    let app = app(req);
    let templates = req
        .rocket()
        .state::<Templates>()
        .ok_or(Status::InternalServerError)?;
    let asked = req.query_value::<&str>("lang").and_then(Result::ok);
    let locale = locale(asked, None, app.settings.default_locale);
    if status == Status::NotFound {
        let path = req.uri().path();
        let _ = link::lookup(&app.db, path.as_str(), Utc::now()).await;
        return unknown_page(templates, locale);
    }
    let reason = match status.code {
        403 => "csrf",
        413 => "too_large",
        429 => "too_many",
        500..=599 => "failed",
        _ => "bad_request",
    };
    Ok(render(
        templates,
        "problem",
        locale,
        ProblemPage {
            status: status.code,
            reason,
        },
    )?
    .with_status(status))
}

/// The rate limits, checked before a request body is read: per client address on every
/// request to a link, per token on every submission.
struct Gate;

#[derive(Debug)]
struct Limited;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Gate {
    type Error = Limited;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let Some(survey) = req.rocket().state::<Survey>() else {
            return Outcome::Error((Status::InternalServerError, Limited));
        };
        let ClientAddress(client) = ClientAddress::of(req);
        if !survey.limits.allow_client(client) {
            return Outcome::Error((Status::TooManyRequests, Limited));
        }
        if req.method() == Method::Post {
            let token = req.routed_segment(1).unwrap_or_default();
            if !survey.limits.allow_token(token) {
                return Outcome::Error((Status::TooManyRequests, Limited));
            }
        }
        Outcome::Success(Gate)
    }
}

/// A submitted survey form: read under its own size limit, refused without the CSRF token of
/// the page that showed the form (a link's token alone does not stop a cross-site post). It
/// keeps its fields out of every log line: the error type carries no data. (Not `CsrfForm`:
/// its refusal is logged with the request path, and here the path is the token.)
struct Posted {
    fields: Vec<(String, String)>,
}

impl Posted {
    fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug)]
enum PostError {
    NotAForm,
    TooLarge,
    Unreadable,
    Csrf,
}

#[rocket::async_trait]
impl<'r> FromData<'r> for Posted {
    type Error = PostError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        if !req.content_type().is_some_and(|ct| ct.is_form()) {
            return DataOutcome::Error((Status::UnsupportedMediaType, PostError::NotAForm));
        }
        let body = match data.open(BODY_LIMIT_KIB.kibibytes()).into_bytes().await {
            Ok(body) if body.is_complete() => body.into_inner(),
            Ok(_) => return DataOutcome::Error((Status::PayloadTooLarge, PostError::TooLarge)),
            Err(_) => return DataOutcome::Error((Status::BadRequest, PostError::Unreadable)),
        };
        let fields: Vec<(String, String)> =
            url::form_urlencoded::parse(&body).into_owned().collect();
        let posted = Posted { fields };
        let expected = match req.guard::<CsrfToken>().await {
            Outcome::Success(token) => token.0,
            _ => String::new(),
        };
        let presented = posted.value(CSRF_FIELD).unwrap_or_default();
        if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
            tracing::warn!("survey form refused: CSRF token missing or wrong");
            return DataOutcome::Error((Status::Forbidden, PostError::Csrf));
        }
        DataOutcome::Success(posted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::form::Item;
    use crate::vocab::{Pillar, Scale};

    fn round() -> Arc<OpenRound> {
        let item = |id: i32, key: &str, pillar, scale, text: &str| Item {
            question_id: id,
            key: key.to_owned(),
            pillar,
            scale,
            text_de: format!("{text} <&> „de“"),
            text_en: format!("{text} <&> \"en\""),
        };
        Arc::new(OpenRound {
            id: 7,
            title: "Puls <März> & \"Q1\"".to_owned(),
            closes_at: Utc::now(),
            items: vec![
                item(1, "cf_a", Some(Pillar::EACH[0]), Scale::Likert5, "Kunden"),
                item(2, "cf_b", Some(Pillar::EACH[1]), Scale::Likert5, "Führung"),
                item(3, "nps", None, Scale::Nps11, "Empfehlung"),
                item(4, "comment", None, Scale::Text, "Kommentar"),
            ],
        })
    }

    #[test]
    fn the_prepared_blank_form_is_the_rendered_one_for_every_link_and_language() {
        let templates = Templates::load(chrono_tz::Europe::Berlin);
        let forms = BlankForms::default();
        let round = round();
        for locale in [Locale::De, Locale::En] {
            for (token, csrf) in [("7-AAAA_bbb-9", "Q1c2RmZw"), ("7-zzzz-YY_0", "x-y_z")] {
                let none = HashMap::new();
                let rendered = form_page(
                    &templates,
                    token,
                    csrf,
                    &round,
                    locale,
                    Filled {
                        kept: &none,
                        problems: &HashMap::new(),
                        preselected: None,
                    },
                )
                .unwrap()
                .into_html();
                let prepared = blank_form_page(&templates, &forms, token, csrf, &round, locale)
                    .unwrap()
                    .into_html();
                assert_eq!(prepared, rendered);
                assert!(prepared.contains(&format!("action=\"/s/{token}\"")));
            }
        }
        // A value that would need escaping is rendered, never pasted in.
        let odd = blank_form_page(&templates, &forms, "7-a", "<b>", &round, Locale::De)
            .unwrap()
            .into_html();
        assert!(odd.contains("value=\"&lt;b&gt;\""), "{odd}");
    }
}
