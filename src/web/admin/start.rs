//! `/admin`: HR's start page. The running rounds with participation, the invitations' progress
//! and the next reminder; what is planned; what needs HR; and, while employees or rounds are
//! missing, the one next step. The question catalog has its own page (`questions`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rocket::{State, get};
use serde::Serialize;

use crate::agenda::{self, Agenda, Attention, NextStep, Running};
use crate::app::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::i18n::{self, Locale};
use crate::org::Headcount;
use crate::survey::round::RoundView;
use crate::templates::Templates;
use crate::web::csrf::CsrfToken;
use crate::web::guards::AdminUser;
use crate::web::page::Page;

/// `templates/pages/admin.html`.
#[derive(Serialize)]
struct StartPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    headcount: Headcount,
    next_step: Option<NextStep>,
    running: Vec<RunningView>,
    planned: Vec<PlannedView>,
    schedules: Vec<ScheduleLine>,
    latest_closed: Option<ClosedView>,
    attention: Vec<AttentionView>,
    threshold: u32,
}

#[derive(Serialize)]
struct RunningView {
    id: i32,
    title: String,
    closes: String,
    /// "31 / 40 (78 %)", or `None` while fewer than the threshold were invited.
    participation: Option<String>,
    invited: Option<u64>,
    /// Invitations that left, of all that will.
    mail_sent: u64,
    mail_total: u64,
    /// When the last invitation is expected to leave, while some wait.
    mail_finish: Option<String>,
    next_reminder: Option<String>,
}

#[derive(Serialize)]
struct PlannedView {
    id: i32,
    title: String,
    opens: String,
    closes: String,
}

#[derive(Serialize)]
struct ScheduleLine {
    title: String,
    cadence: String,
    next: Option<String>,
}

#[derive(Serialize)]
struct ClosedView {
    id: i32,
    title: String,
    closed: String,
}

/// One thing to look at: a sentence and the link that leads to it.
#[derive(Serialize)]
struct AttentionView {
    text: String,
    href: String,
    link: &'static str,
}

#[get("/admin")]
pub async fn start(
    admin: AdminUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = admin.0.principal;
    let locale = principal.locale;
    let now = Utc::now();
    let agenda = agenda::load(&app.db, &app.settings, admin.0.user.id, locale, now).await?;
    let tz = app.settings.timezone;
    let page = start_page(
        &principal,
        &csrf.0,
        agenda,
        tz,
        app.settings.anonymity_threshold,
    );
    Page::render(templates, "admin", locale, page)
}

fn start_page<'a>(
    user: &'a Principal,
    csrf: &'a str,
    agenda: Agenda,
    tz: Tz,
    threshold: u32,
) -> StartPage<'a> {
    let locale = user.locale;
    let when = |at: DateTime<Utc>| i18n::moment(at, tz, locale);
    StartPage {
        user,
        csrf,
        nav: "admin",
        headcount: agenda.headcount,
        next_step: agenda.next_step,
        running: agenda
            .running
            .iter()
            .map(|r| running_view(r, &when, locale))
            .collect(),
        planned: agenda
            .planned
            .iter()
            .map(|r| PlannedView {
                id: r.id,
                title: r.title.clone(),
                opens: when(r.opens_at),
                closes: when(r.closes_at),
            })
            .collect(),
        schedules: agenda
            .schedules
            .iter()
            .map(|s| ScheduleLine {
                title: s.title.clone(),
                cadence: s.cadence_text.clone(),
                next: s.next_utc.first().map(|at| when(*at)),
            })
            .collect(),
        latest_closed: agenda
            .latest_closed
            .as_ref()
            .map(|r: &RoundView| ClosedView {
                id: r.id,
                title: r.title.clone(),
                closed: when(r.closes_at),
            }),
        attention: agenda
            .attention
            .iter()
            .map(|item| attention_view(item, &when, locale))
            .collect(),
        threshold,
    }
}

fn running_view(
    r: &Running,
    when: &impl Fn(DateTime<Utc>) -> String,
    locale: Locale,
) -> RunningView {
    let p = &r.round.participation;
    let participation = p.invited.zip(p.answered).map(|(invited, answered)| {
        let share = if invited == 0 {
            0.0
        } else {
            answered as f64 * 100.0 / invited as f64
        };
        format!(
            "{} / {} ({})",
            i18n::number(answered as f64, 0, locale),
            i18n::number(invited as f64, 0, locale),
            i18n::percent(share, 0, locale)
        )
    });
    let mail = &r.mail;
    RunningView {
        id: r.round.id,
        title: r.round.title.clone(),
        closes: when(r.round.closes_at),
        participation,
        invited: p.invited,
        mail_sent: mail.sent,
        mail_total: mail.sent + mail.queued + mail.retrying + mail.failed,
        mail_finish: (mail.queued + mail.retrying > 0)
            .then_some(mail.expected_finish)
            .flatten()
            .map(when),
        next_reminder: r.next_reminder.map(when),
    }
}

fn attention_view(
    item: &Attention,
    when: &impl Fn(DateTime<Utc>) -> String,
    locale: Locale,
) -> AttentionView {
    let say = |key: &str, values: &[(&str, &str)]| i18n::fill(i18n::text(locale, key), values);
    match item {
        Attention::MailHeldBack {
            round_id,
            title,
            since,
        } => AttentionView {
            text: say(
                "start_attention_held_back",
                &[("round", title), ("since", &when(*since))],
            ),
            href: format!("/admin/rounds/{round_id}"),
            link: i18n::text(locale, "start_open_round"),
        },
        Attention::FailedInvitations {
            round_id,
            title,
            count,
        } => AttentionView {
            text: say(
                if *count == 1 {
                    "start_attention_failed_one"
                } else {
                    "start_attention_failed"
                },
                &[
                    ("round", title),
                    ("n", &i18n::number(*count as f64, 0, locale)),
                ],
            ),
            href: format!("/admin/rounds/{round_id}#mail-heading"),
            link: i18n::text(locale, "start_open_round"),
        },
        Attention::ImportWaiting {
            id,
            file_name,
            expires_at,
        } => AttentionView {
            text: say(
                "start_attention_import",
                &[("file", file_name), ("until", &when(*expires_at))],
            ),
            href: format!("/admin/import/{id}"),
            link: i18n::text(locale, "start_review_import"),
        },
        Attention::ScheduleWithoutNext { title, .. } => AttentionView {
            text: say("start_attention_schedule", &[("schedule", title)]),
            href: "/admin/schedules".to_owned(),
            link: i18n::text(locale, "start_open_schedules"),
        },
    }
}
