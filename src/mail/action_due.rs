//! Follow-through: an action due today that nobody has updated today gets one mail to its
//! owner, in the owner's language, with a link to the action's page. The scheduler queues it
//! (the outbox's dedupe key `action_due:<action>:<due date>` makes it once per due date, with
//! any number of instances), and the log of the action says it was sent a reminder.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::compose::new_message_id;
use super::outbox::Record;
use crate::app::App;
use crate::config::Settings;
use crate::db;
use crate::entities::{action, action_event, department, outbox_mail, staff_user};
use crate::error::AppResult;
use crate::i18n::{self, Locale};
use crate::templates::Templates;
use crate::vocab::{ActionEventKind, ActionStatus, MailKind, MailState};

/// The author of the log line that says the reminder went out.
const AUTHOR: &str = "kundenpuls";

fn dedupe_key(action_id: i32, due_on: NaiveDate) -> String {
    format!("{}:{action_id}:{due_on}", MailKind::ActionDue)
}

/// The action a reminder row is for, from its dedupe key.
fn action_of(dedupe_key: &str) -> Option<i32> {
    dedupe_key
        .strip_prefix(&format!("{}:", MailKind::ActionDue))?
        .split(':')
        .next()?
        .parse()
        .ok()
}

/// Queues the reminders of actions due on the company's `today` at `now`; returns how many.
pub async fn enqueue_due(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let tz = settings.timezone;
    let today = now.with_timezone(&tz).date_naive();
    let due = action::Entity::find()
        .filter(action::Column::Status.is_in(ActionStatus::OPEN))
        .filter(action::Column::DueOn.eq(today))
        .all(db)
        .await?;
    // Midnight in the company's zone; a day without one (never in practice) counts from now.
    let start_of_day = today
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| tz.from_local_datetime(&midnight).earliest())
        .map_or(now, |at| at.with_timezone(&Utc));
    let mut queued = 0;
    for due in due {
        // Updated today: its owner is at it; nothing to remind of.
        if due.updated_at >= start_of_day {
            continue;
        }
        let Some(owner) = staff_user::Entity::find_by_id(due.owner_id).one(db).await? else {
            continue;
        };
        if !owner.active {
            continue;
        }
        let txn = db::begin_write(db).await?;
        let row = outbox_mail::ActiveModel {
            kind: Set(MailKind::ActionDue),
            dedupe_key: Set(dedupe_key(due.id, today)),
            round_id: Set(None),
            invitation_id: Set(None),
            recipient: Set(owner.email.clone()),
            recipient_name: Set(String::new()),
            locale: Set(owner.locale.clone()),
            message_id: Set(new_message_id(settings)),
            state: Set(MailState::Queued),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            last_reply: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        };
        let inserted = outbox_mail::Entity::insert(row)
            .on_conflict(
                OnConflict::column(outbox_mail::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await;
        match inserted {
            Ok(rows) if rows > 0 => {
                action_event::ActiveModel {
                    action_id: Set(due.id),
                    at: Set(now),
                    author: Set(AUTHOR.to_owned()),
                    kind: Set(ActionEventKind::Reminded),
                    status: Set(None),
                    note: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                txn.commit().await?;
                queued += 1;
            }
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(queued)
}

/// `templates/mail/action_due.txt` and `action_due.html`.
#[derive(Serialize)]
struct DueMail<'a> {
    subject: &'a str,
    title: &'a str,
    department: &'a str,
    link: &'a str,
}

fn cancelled(mail: &outbox_mail::Model, reason: &str) -> Result<Message, Record> {
    Err(Record::Cancelled {
        id: mail.id,
        reason: reason.to_owned(),
    })
}

fn failed(mail: &outbox_mail::Model, reply: String) -> Result<Message, Record> {
    Err(Record::Failed { id: mail.id, reply })
}

/// Builds the reminder of `mail` at send time; `Err(record)` when it is no longer wanted (the
/// action was closed, moved or handed over since) or cannot be built.
pub async fn compose(
    app: &App,
    templates: &Templates,
    mail: &outbox_mail::Model,
) -> AppResult<Result<Message, Record>> {
    let settings = &app.settings;
    let Some(action_id) = action_of(&mail.dedupe_key) else {
        return Ok(failed(
            mail,
            format!("reminder row {} names no action", mail.id),
        ));
    };
    let Some(due) = action::Entity::find_by_id(action_id).one(&app.db).await? else {
        return Ok(cancelled(mail, "the action no longer exists"));
    };
    if !due.status.is_open() {
        return Ok(cancelled(
            mail,
            "the action was closed before the reminder went out",
        ));
    }
    if dedupe_key(due.id, due.due_on) != mail.dedupe_key {
        return Ok(cancelled(mail, "the action's due date changed"));
    }
    let owner = staff_user::Entity::find_by_id(due.owner_id)
        .one(&app.db)
        .await?;
    if owner
        .as_ref()
        .is_none_or(|o| o.email != mail.recipient || !o.active)
    {
        return Ok(cancelled(mail, "the action has another owner now"));
    }
    let department = department::Entity::find_by_id(due.department_id)
        .one(&app.db)
        .await?
        .map(|d| d.path)
        .unwrap_or_default();
    let locale = Locale::parse(&mail.locale).unwrap_or(settings.default_locale);
    let subject = i18n::fill(
        i18n::text(locale, "mail_action_due_subject"),
        &[("title", &due.title)],
    );
    let link = format!(
        "{}/actions/{}",
        settings.base_url.as_str().trim_end_matches('/'),
        due.id
    );
    let ctx = DueMail {
        subject: &subject,
        title: &due.title,
        department: &department,
        link: &link,
    };
    let text = match templates.render("mail/action_due.txt", locale, &ctx) {
        Ok(text) => text,
        Err(err) => return Ok(failed(mail, format!("mail/action_due.txt: {err}"))),
    };
    let html = match templates.render("mail/action_due.html", locale, &ctx) {
        Ok(html) => html,
        Err(err) => return Ok(failed(mail, format!("mail/action_due.html: {err}"))),
    };
    let to: Mailbox = match mail.recipient.parse() {
        Ok(address) => Mailbox::new(None, address),
        Err(err) => {
            return Ok(failed(
                mail,
                format!("`{}` is not a mail address: {err}", mail.recipient),
            ));
        }
    };
    Ok(Message::builder()
        .from(settings.mail_from.clone())
        .to(to)
        .subject(subject.clone())
        .message_id(Some(mail.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .or_else(|err| failed(mail, format!("cannot build the message: {err}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_is_read_back_from_the_dedupe_key() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(action_of(&dedupe_key(17, day)), Some(17));
        assert_eq!(action_of("digest:3:4"), None);
    }
}
