//! The leadership digest: when a round closes, every viewer gets one mail in their language with
//! the headline figures of that round for their scope (the company, or their department
//! subtree) and the trend chart inline.
//!
//! The rows are queued in the transaction that closes the round, one per viewer (dedupe key
//! `digest:<round>:<staff user>`, so closing twice or a crash never queues twice). Everything
//! else is decided when the mail goes out: the viewer's scope is read from their staff user
//! then, and the figures come from `report::query`, which has already applied the anonymity
//! threshold, complementary suppression and the scope. A hidden figure is never written as a
//! number here; it reads "not enough answers".

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::outbox::Record;
use crate::action;
use crate::app::App;
use crate::entities::{outbox_mail, round, staff_user};
use crate::error::AppResult;
use crate::i18n::{self, Locale, number, percent, signed};
use crate::org::department as departments;
use crate::report::charts::{self, Format, WIDTH};
use crate::report::query::{self, Reader};
use crate::report::results::GroupReport;
use crate::report::stats::Shown;
use crate::report::story::{self, Target, Tone};
use crate::templates::Templates;
use crate::vocab::{MailKind, MailState, Role, RoundState};

/// Rows per insert: 14 values a row stay far below every database's limit of parameters.
const INSERT_CHUNK: usize = 500;

/// How many things that moved the digest names.
const MOVED: usize = 3;

/// How wide the chart is shown in the HTML part (the picture itself is [`WIDTH`] wide, sharp on
/// screens with a higher pixel density).
const SHOWN_WIDTH: u32 = 592;

fn dedupe_key(round_id: i32, staff_user_id: i32) -> String {
    format!("{}:{round_id}:{staff_user_id}", MailKind::Digest)
}

/// The staff user a digest row is for, from its dedupe key.
fn staff_user_of(dedupe_key: &str, round_id: i32) -> Option<i32> {
    dedupe_key
        .strip_prefix(&format!("{}:{round_id}:", MailKind::Digest))?
        .parse()
        .ok()
}

/// The host part of the Message-IDs of this round's invitations: `survey::round::close` has no
/// settings at hand, and the digest's Message-ID should name the same host (`base_url`'s) as
/// every other mail of the deployment.
async fn message_id_host(db: &impl ConnectionTrait, round_id: i32) -> AppResult<String> {
    let sample: Option<String> = outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::MessageId)
        .filter(outbox_mail::Column::RoundId.eq(round_id))
        .filter(outbox_mail::Column::Kind.ne(MailKind::Digest))
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(sample
        .as_deref()
        .and_then(|id| id.trim_end_matches('>').rsplit_once('@'))
        .map(|(_, host)| host.to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "localhost".to_owned()))
}

/// Queues one digest per viewer for a round that has just closed; called in the transaction
/// that closes it. Returns how many were queued (0 for a round queued before).
pub async fn enqueue_digests(
    db: &impl ConnectionTrait,
    round_id: i32,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    // Viewers, and whoever else owns an open action: the owner hears of it too.
    let owners = action::store::owners_of_open(db).await?;
    let viewers: Vec<staff_user::Model> = staff_user::Entity::find()
        .filter(
            Condition::any()
                .add(staff_user::Column::Role.eq(Role::Viewer))
                .add(staff_user::Column::Id.is_in(owners)),
        )
        .filter(staff_user::Column::Active.eq(true))
        .order_by_asc(staff_user::Column::Id)
        .all(db)
        .await?;
    if viewers.is_empty() {
        return Ok(0);
    }
    let host = message_id_host(db, round_id).await?;
    let mut inserted = 0;
    for chunk in viewers.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|viewer| outbox_mail::ActiveModel {
            kind: Set(MailKind::Digest),
            dedupe_key: Set(dedupe_key(round_id, viewer.id)),
            round_id: Set(Some(round_id)),
            invitation_id: Set(None),
            recipient: Set(viewer.email.clone()),
            recipient_name: Set(String::new()),
            // Unreadable: the worker falls back to `default_locale`.
            locale: Set(
                Locale::parse(&viewer.locale).map_or_else(String::new, |l| l.as_str().to_owned())
            ),
            message_id: Set(format!("<{}@{host}>", uuid::Uuid::new_v4())),
            state: Set(MailState::Queued),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            last_reply: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        });
        let result = outbox_mail::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(outbox_mail::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        match result {
            Ok(rows) => inserted += rows,
            Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(inserted)
}

/// One line of the digest: a label and its value as shown, or the words for a hidden figure.
#[derive(Debug, Clone, Serialize)]
struct Figure {
    label: String,
    value: String,
    hidden: bool,
    /// Only for a significant change against the previous round.
    change: Option<String>,
}

#[derive(Debug, Serialize)]
struct ChartView<'a> {
    cid: &'a str,
    description: &'a str,
    width: u32,
}

/// One thing that moved, with a link to where it shows.
#[derive(Debug, Serialize)]
struct Moved {
    text: String,
    href: Option<String>,
    tone: Tone,
}

/// An open action started since the round opened, due soon or overdue, with a link to its page.
#[derive(Debug, Serialize)]
struct DueAction {
    title: String,
    department: String,
    due: String,
    overdue: bool,
    /// Started while the round ran: leadership hears of it with the round's results.
    new: bool,
    /// The reader owns it.
    mine: bool,
    href: String,
}

/// How far ahead the digest looks for due actions.
const DUE_WITHIN_DAYS: i64 = 14;

/// Open actions started since `since` (the round's opening), due within [`DUE_WITHIN_DAYS`] or
/// overdue: those in a viewer's scope, and for anyone the ones they own.
async fn due_actions(
    app: &App,
    reader: &staff_user::Model,
    since: DateTime<Utc>,
    locale: Locale,
    base: &str,
) -> AppResult<Vec<DueAction>> {
    let today = Utc::now()
        .with_timezone(&app.settings.timezone)
        .date_naive();
    let who = action::Who {
        name: reader.email.clone(),
        role: reader.role,
        scope: reader.department_id,
    };
    let filter = action::store::Filter {
        open: true,
        ..Default::default()
    };
    Ok(action::store::list(&app.db, &who, &filter, today)
        .await?
        .into_iter()
        .filter(|r| {
            r.action.created_at >= since
                || r.action.due_on <= today + chrono::Duration::days(DUE_WITHIN_DAYS)
        })
        .filter(|r| reader.role == Role::Viewer || r.owner.id == reader.id)
        .map(|r| DueAction {
            new: r.action.created_at >= since,
            overdue: r.overdue(today),
            mine: r.owner.id == reader.id,
            due: i18n::date(r.action.due_on, locale),
            department: r.department.path.clone(),
            href: format!("{base}/actions/{}", r.action.id),
            title: r.action.title,
        })
        .collect())
}

/// `templates/mail/digest.txt` and `digest.html`.
#[derive(Debug, Serialize)]
struct DigestMail<'a> {
    subject: &'a str,
    intro: &'a str,
    /// The round's story in short: what rose or fell, the groups that need attention.
    moved: Vec<Moved>,
    /// Open actions due soon or overdue.
    actions: Vec<DueAction>,
    /// Whether the viewer's scope is one of the round's groups; `figures` is empty otherwise.
    in_round: bool,
    figures: Vec<Figure>,
    threshold: u32,
    link: &'a str,
    chart: ChartView<'a>,
}

/// The headline figures of one group, every hidden one as words.
fn figures(group: &GroupReport, locale: Locale) -> Vec<Figure> {
    let text = |key: &str| i18n::text(locale, key);
    let hidden = || text("digest_hidden").to_owned();
    let line = |label: &str, value: Option<String>, change: Option<String>| Figure {
        label: label.to_owned(),
        hidden: value.is_none(),
        value: value.unwrap_or_else(hidden),
        change,
    };
    let mut out = vec![line(
        text("digest_overall"),
        group.overall.as_shown().map(|o| number(o.index, 1, locale)),
        None,
    )];
    for pillar in &group.pillars {
        let change = pillar
            .change
            .as_ref()
            .and_then(Shown::as_shown)
            .filter(|c| c.significant)
            .map(|c| {
                let key = if c.difference >= 0.0 {
                    "digest_change_up"
                } else {
                    "digest_change_down"
                };
                text(key).replace("{difference}", &signed(c.difference, 1, locale))
            });
        let index = pillar.index.as_shown().map(|i| number(i.index, 1, locale));
        // A change is only shown beside a figure that is shown itself.
        let change = index.as_ref().and(change);
        out.push(line(text(&format!("pillar_{}", pillar.key)), index, change));
    }
    out.push(line(
        text("digest_participation"),
        group.participation.as_shown().map(|p| {
            text("digest_participation_value")
                .replace("{rate}", &percent(p.rate_pct, 0, locale))
                .replace("{answered}", &number(p.answered as f64, 0, locale))
                .replace("{invited}", &number(p.invited as f64, 0, locale))
        }),
        None,
    ));
    if let Some(net) = group.net_scores.first() {
        out.push(line(
            text("digest_net_score"),
            net.figures
                .as_shown()
                .map(|f| signed(f.net_score, 0, locale)),
            None,
        ));
    }
    out
}

fn cancelled(mail: &outbox_mail::Model, reason: &str) -> AppResult<Result<Message, Record>> {
    Ok(Err(Record::Cancelled {
        id: mail.id,
        reason: reason.to_owned(),
    }))
}

fn failed(mail: &outbox_mail::Model, reason: String) -> AppResult<Result<Message, Record>> {
    Ok(Err(Record::Failed {
        id: mail.id,
        reply: reason,
    }))
}

/// Builds the digest of `mail` at send time. `Err(record)` when it is not to be sent: the
/// viewer is gone (cancelled, with the reason) or the message cannot be built (failed).
pub async fn compose(
    app: &App,
    templates: &Templates,
    mail: &outbox_mail::Model,
    round_id: i32,
) -> AppResult<Result<Message, Record>> {
    let settings = &app.settings;
    let Some(user_id) = staff_user_of(&mail.dedupe_key, round_id) else {
        return failed(mail, format!("digest row {} names no staff user", mail.id));
    };
    let Some(viewer) = staff_user::Entity::find_by_id(user_id).one(&app.db).await? else {
        return cancelled(
            mail,
            "the staff user was deleted before the digest went out",
        );
    };
    if !viewer.active {
        return cancelled(mail, "the staff user was deactivated");
    }
    let owns_open = action::store::owners_of_open(&app.db)
        .await?
        .contains(&viewer.id);
    if viewer.role != Role::Viewer && !owns_open {
        return cancelled(
            mail,
            "the staff user is no longer a viewer and owns no open action",
        );
    }
    if viewer.email != mail.recipient {
        return cancelled(
            mail,
            "the staff user's e-mail address changed after the round closed",
        );
    }
    let all = departments::all(&app.db).await?;
    let scope = viewer.department_id;
    let scope_path = match scope {
        None => None,
        Some(id) => match all.iter().find(|d| d.id == id) {
            Some(d) => Some(d.path.clone()),
            None => return cancelled(mail, "the viewer's department no longer exists"),
        },
    };
    let locale = Locale::parse(&mail.locale).unwrap_or(settings.default_locale);
    let reader = Reader { scope, locale };
    let results = match query::results_within_scope(&app.reports, reader, round_id).await {
        Ok(results) => results,
        Err(crate::error::AppError::NotFound) => {
            return cancelled(mail, "the round no longer exists");
        }
        Err(err) => return Err(err),
    };
    if results.state != RoundState::Closed {
        return cancelled(mail, "the round is not closed");
    }
    let top = results.groups.iter().find(|g| g.department_id == scope);
    let group_name = match (&scope_path, top) {
        (Some(path), _) => path.clone(),
        (None, Some(company)) => company.name.clone(),
        (None, None) => i18n::text(locale, "digest_scope_company").to_owned(),
    };

    // The trend up to this round: a digest that goes out late shows no later round.
    let mut trend = query::trend(&app.reports, reader, None).await?;
    if let Some(position) = trend.iter().position(|r| r.round.id == round_id) {
        trend.truncate(position + 1);
    }
    let chart = charts::trend(&trend, &group_name, locale);
    let size = chart.size(WIDTH);
    let rendered = match app.charts.render(chart, Format::Png, size).await {
        Ok(rendered) => rendered,
        Err(err) => return failed(mail, format!("cannot draw the trend chart: {err}")),
    };
    let cid = format!(
        "trend-{}",
        mail.message_id
            .trim_start_matches('<')
            .trim_end_matches('>')
    );

    let title = &results.round.title;
    let subject = i18n::text(locale, "digest_subject").replace("{title}", title);
    let scope_words = scope_path
        .clone()
        .unwrap_or_else(|| i18n::text(locale, "digest_scope_company").to_owned());
    let intro = i18n::text(locale, "digest_intro")
        .replace("{title}", title)
        .replace("{scope}", &scope_words);
    let link = format!(
        "{}/dashboard/rounds/{round_id}",
        settings.base_url.as_str().trim_end_matches('/')
    );
    let base = settings.base_url.as_str().trim_end_matches('/');
    let page = match scope {
        None => format!("{base}/dashboard"),
        Some(id) => format!("{base}/dashboard/departments/{id}?round={round_id}"),
    };
    let moved = top
        .map(|group| story::of_round(&results, group, None, locale).what_moved(MOVED))
        .unwrap_or_default()
        .into_iter()
        .map(|sentence| Moved {
            href: sentence.target.and_then(|target| match target {
                Target::Trend => Some(format!("{page}#trend-heading")),
                Target::Department {
                    department_id,
                    round_id,
                } => Some(format!(
                    "{base}/dashboard/departments/{department_id}?round={round_id}"
                )),
                Target::Item { .. } => None,
            }),
            text: sentence.text,
            tone: sentence.tone,
        })
        .collect();
    let opened = round::Entity::find_by_id(round_id)
        .one(&app.db)
        .await?
        .map_or_else(Utc::now, |r| r.opens_at);
    let actions = due_actions(app, &viewer, opened, locale, base).await?;
    let ctx = DigestMail {
        subject: &subject,
        intro: &intro,
        moved,
        actions,
        in_round: top.is_some(),
        figures: top.map(|g| figures(g, locale)).unwrap_or_default(),
        threshold: results.anonymity_threshold,
        link: &link,
        chart: ChartView {
            cid: &cid,
            description: &rendered.description,
            width: SHOWN_WIDTH,
        },
    };
    let text = match templates.render("mail/digest.txt", locale, &ctx) {
        Ok(text) => text,
        Err(err) => return failed(mail, format!("mail/digest.txt: {err}")),
    };
    let html = match templates.render("mail/digest.html", locale, &ctx) {
        Ok(html) => html,
        Err(err) => return failed(mail, format!("mail/digest.html: {err}")),
    };
    let to: Mailbox = match mail.recipient.parse() {
        Ok(address) => Mailbox::new(None, address),
        Err(err) => {
            return failed(
                mail,
                format!("`{}` is not a mail address: {err}", mail.recipient),
            );
        }
    };
    let png = ContentType::parse(Format::Png.content_type()).expect("a valid content type");
    let body = MultiPart::alternative()
        .singlepart(SinglePart::plain(text))
        .multipart(
            MultiPart::related()
                .singlepart(SinglePart::html(html))
                .singlepart(Attachment::new_inline(cid).body(rendered.bytes.clone(), png)),
        );
    let message = Message::builder()
        .from(settings.mail_from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(mail.message_id.clone()))
        .multipart(body);
    Ok(match message {
        Ok(message) => Ok(message),
        Err(err) => Err(Record::Failed {
            id: mail.id,
            reply: format!("cannot build the message: {err}"),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staff_user_is_read_back_from_the_dedupe_key() {
        assert_eq!(staff_user_of(&dedupe_key(7, 42), 7), Some(42));
        assert_eq!(staff_user_of(&dedupe_key(7, 42), 8), None);
        assert_eq!(staff_user_of("invitation:abc", 7), None);
    }
}
