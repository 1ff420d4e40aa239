//! The sending worker: claims due mails, renders each at send time (the link is derived from the
//! invitation, never stored), sends through the transport, and records the outcome right after
//! the server's answer, so that a crash resends as little as possible.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use rand::Rng;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::compose::{self, FirstQuestion, Kind, Recipient, RoundInfo};
use super::outbox::{self, Record};
use super::pace::{self, Limits};
use super::smtp::Failure;
use super::transport::Transport;
use super::{action_due, digest};
use crate::action::tell;
use crate::app::App;
use crate::entities::{invitation, outbox_mail, question, round, round_question};
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::invite;
use crate::org::department as departments;
use crate::templates::Templates;
use crate::vocab::{MailKind, RoundState, Scale};

/// How long a claimed mail stays with one worker before another may take it over.
const LEASE_SECONDS: i64 = 300;
const BATCH: u64 = 200;
/// Mails being composed or sent at once; the transport caps the SMTP conversations itself.
const IN_FLIGHT: usize = 64;
/// Outcomes written per transaction: a handful of milliseconds of mail at full speed.
const RECORD_EVERY: usize = 16;
/// A test mail that cannot be delivered within a day is given up.
const TEST_MAIL_GIVE_UP_HOURS: i64 = 24;

#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
    pub cancelled: u64,
}

pub struct Mailer {
    app: App,
    transport: Arc<Transport>,
    templates: Arc<Templates>,
    limits: Limits,
    /// The relay's hold-off as this process knows it (milliseconds since the epoch, 0: none),
    /// so that mails of a batch already claimed wait too; the shared one is in `mail_pacing`.
    hold_until_ms: AtomicI64,
    /// Whether a mail of the current batch was throttled.
    throttled_in_batch: AtomicBool,
    /// Mails the relay took since this process last reported to the pace: a throttling answer
    /// after some taken mails is a new episode, not one more in a row (else a relay that
    /// refuses every fifth mail would see hold-offs double without end).
    taken_since_report: AtomicU64,
}

impl Mailer {
    pub fn new(app: App, transport: Transport) -> Self {
        let limits = Limits::from_settings(&app.settings);
        let templates =
            Arc::new(Templates::load(app.settings.timezone).with_brand(app.brand.clone()));
        Mailer {
            app,
            transport: Arc::new(transport),
            templates,
            limits,
            hold_until_ms: AtomicI64::new(0),
            throttled_in_batch: AtomicBool::new(false),
            taken_since_report: AtomicU64::new(0),
        }
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Runs until the process ends: sends whatever is due, sleeps briefly when nothing is.
    pub async fn run(self) {
        tracing::info!(transport = %self.transport.describe(), "mail worker started");
        loop {
            match self.deliver_due(Utc::now()).await {
                Ok(done) if done.sent + done.retrying + done.failed + done.cancelled > 0 => {
                    tracing::info!(?done, "mail delivered");
                }
                Ok(_) => tokio::time::sleep(StdDuration::from_secs(1)).await,
                Err(err) => {
                    tracing::error!(error = ?err, "mail worker");
                    tokio::time::sleep(StdDuration::from_secs(5)).await;
                }
            }
        }
    }

    /// One batch of due mail; an empty result means nothing was due.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> AppResult<Delivered> {
        let mut done = Delivered {
            cancelled: outbox::cancel_unwanted(&self.app.db).await?,
            ..Delivered::default()
        };
        let claimed = outbox::claim_paced(
            &self.app.db,
            now,
            Duration::seconds(LEASE_SECONDS),
            BATCH,
            self.limits,
            self.app.settings.timezone,
        )
        .await?;
        if claimed.mails.is_empty() {
            return Ok(done);
        }
        let was_throttled = claimed.pace.is_throttled();
        self.throttled_in_batch.store(false, Ordering::Relaxed);
        let rounds = self.round_infos(&claimed.mails).await?;
        let answered = self.answered(&claimed.mails).await?;
        let told = self.told(&claimed.mails, now).await?;
        let mut slots = claimed.slots.into_iter();
        let sends = claimed.mails.into_iter().map(|mail| {
            let rounds = &rounds;
            let answered = &answered;
            let told = &told;
            let slot = slots.next();
            async move {
                if let Some(slot) = slot {
                    sleep_until(slot).await;
                }
                let (id, attempts) = (mail.id, mail.attempts);
                // One mail's trouble (a database hiccup while composing or reporting) must not
                // end the batch: the outcomes of mails already handed to the server would be
                // lost and sent again when their lease runs out.
                self.deliver_one(mail, rounds, answered, told, now)
                    .await
                    .unwrap_or_else(|err| {
                        tracing::error!(mail = id, error = ?err, "mail not handled; tried again later");
                        Record::Retry {
                            id,
                            reply: format!("not handled: {err}"),
                            next: Utc::now() + backoff(attempts),
                        }
                    })
            }
        });
        // More in flight than the transport lets talk at once, so that its connections never
        // wait on us; outcomes are written down in small groups as they come in.
        let mut outcomes = futures::stream::iter(sends).buffer_unordered(IN_FLIGHT);
        let mut pending = Vec::with_capacity(RECORD_EVERY);
        while let Some(record) = outcomes.next().await {
            match &record {
                Record::Sent { .. } => done.sent += 1,
                Record::Retry { .. } => done.retrying += 1,
                Record::Failed { .. } => done.failed += 1,
                Record::Cancelled { .. } => done.cancelled += 1,
            }
            pending.push(record);
            if pending.len() >= RECORD_EVERY {
                outbox::record(&self.app.db, &pending, Utc::now()).await?;
                pending.clear();
            }
        }
        outbox::record(&self.app.db, &pending, Utc::now()).await?;
        // The relay takes mail again: the hold-off is over and the pace recovers.
        if was_throttled && done.sent > 0 && !self.throttled_in_batch.load(Ordering::Relaxed) {
            let taken = self.taken_since_report.swap(0, Ordering::Relaxed);
            pace::report(&self.app.db, self.limits, Utc::now(), None, taken).await?;
        }
        Ok(done)
    }

    /// The end of the relay's hold-off as this process knows it, if it lies ahead.
    fn held_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let ms = self.hold_until_ms.load(Ordering::Relaxed);
        (ms > now.timestamp_millis())
            .then(|| DateTime::from_timestamp_millis(ms))
            .flatten()
    }

    /// Sends one particular mail at once, whatever else is queued (`kundenpuls mail test`).
    pub async fn deliver_one_now(&self, id: i32, now: DateTime<Utc>) -> AppResult<()> {
        let mail = outbox::find(&self.app.db, id).await?;
        let record = self
            .deliver_one(mail, &HashMap::new(), &HashMap::new(), &HashMap::new(), now)
            .await?;
        outbox::record(&self.app.db, &[record], Utc::now()).await
    }

    /// Delivers until nothing is due at `now` (tests, and `kundenpuls mail test`).
    pub async fn deliver_all(&self, now: DateTime<Utc>) -> AppResult<Delivered> {
        let mut total = Delivered::default();
        loop {
            let done = self.deliver_due(now).await?;
            if done.sent + done.retrying + done.failed == 0 {
                total.cancelled += done.cancelled;
                return Ok(total);
            }
            total.sent += done.sent;
            total.retrying += done.retrying;
            total.failed += done.failed;
            total.cancelled += done.cancelled;
        }
    }

    async fn deliver_one(
        &self,
        mail: outbox_mail::Model,
        rounds: &HashMap<i32, Option<RoundInfo>>,
        answered: &HashMap<String, bool>,
        told: &HashMap<String, Vec<tell::Visible>>,
        now: DateTime<Utc>,
    ) -> AppResult<Record> {
        let settings = &self.app.settings;
        let locale = Locale::parse(&mail.locale).unwrap_or(settings.default_locale);
        let recipient = Recipient {
            email: &mail.recipient,
            name: &mail.recipient_name,
            locale,
        };
        let message = match (mail.kind, mail.round_id, &mail.invitation_id) {
            (MailKind::Test, _, _) => {
                compose::test_mail(&self.templates, settings, &recipient, &mail.message_id)
            }
            (MailKind::ActionDue, None, None) => {
                match action_due::compose(&self.app, &self.templates, &mail).await? {
                    Ok(message) => Ok(message),
                    Err(record) => return Ok(record),
                }
            }
            (MailKind::Digest, Some(round_id), None) => {
                match digest::compose(&self.app, &self.templates, &mail, round_id).await? {
                    Ok(message) => Ok(message),
                    Err(record) => return Ok(record),
                }
            }
            (
                kind @ (MailKind::Invitation | MailKind::Reminder),
                Some(round_id),
                Some(invitation_id),
            ) => {
                let Some(Some(info)) = rounds.get(&round_id) else {
                    return Ok(Record::Cancelled {
                        id: mail.id,
                        reason: "the round is no longer open".into(),
                    });
                };
                let kind = if kind == MailKind::Reminder {
                    Kind::Reminder
                } else {
                    Kind::Invitation
                };
                if kind == Kind::Reminder && answered.get(invitation_id).copied().unwrap_or(true) {
                    return Ok(Record::Cancelled {
                        id: mail.id,
                        reason: "answered before the reminder went out".into(),
                    });
                }
                let token = invite::token(&self.app.secrets.token_key, round_id, invitation_id);
                let link = format!(
                    "{}/s/{token}",
                    settings.base_url.as_str().trim_end_matches('/')
                );
                let actions: Vec<String> = match kind {
                    Kind::Invitation => told
                        .get(invitation_id)
                        .map(|visible| visible.iter().map(|v| tell::sentence(v, locale)).collect())
                        .unwrap_or_default(),
                    Kind::Reminder => Vec::new(),
                };
                compose::survey_mail(
                    &self.templates,
                    settings,
                    kind,
                    &recipient,
                    info,
                    &link,
                    &mail.message_id,
                    &actions,
                )
            }
            _ => Err(format!(
                "outbox row {} of kind {} lacks its round",
                mail.id, mail.kind
            )),
        };
        let message = match message {
            Ok(message) => message,
            // An address the mail library refuses is as final as a 5xx.
            Err(reason) => {
                return Ok(Record::Failed {
                    id: mail.id,
                    reply: reason,
                });
            }
        };
        if let Some(until) = self.held_until(Utc::now()) {
            return Ok(Record::Retry {
                id: mail.id,
                reply: "held back: the relay asked for less mail".into(),
                next: until,
            });
        }
        match self.transport.send(&message, &mail.message_id).await {
            Ok(reply) => {
                self.taken_since_report.fetch_add(1, Ordering::Relaxed);
                Ok(Record::Sent {
                    mail: Box::new(mail),
                    reply,
                })
            }
            Err(Failure::Permanent(reply)) => {
                tracing::warn!(mail = mail.id, reply = %reply, "mail refused for good");
                Ok(Record::Failed { id: mail.id, reply })
            }
            Err(failure) => {
                let given_up = mail.kind == MailKind::Test
                    && now - mail.created_at > Duration::hours(TEST_MAIL_GIVE_UP_HOURS);
                if given_up {
                    return Ok(Record::Failed {
                        id: mail.id,
                        reply: failure.reply().to_owned(),
                    });
                }
                if let Failure::Throttled(reply) = &failure {
                    // The relay wants less from everyone: hold the whole transport back (every
                    // instance, through the pacing row) and try this mail after the hold-off.
                    self.throttled_in_batch.store(true, Ordering::Relaxed);
                    let taken = self.taken_since_report.swap(0, Ordering::Relaxed);
                    // In a task of its own: this future is polled by the batch's stream, which
                    // is not polled while the batch writes outcomes down; a write transaction
                    // left open here would hold SQLite's lock against that very write.
                    let (db, limits, said) = (self.app.db.clone(), self.limits, reply.clone());
                    let until = tokio::spawn(async move {
                        pace::report(&db, limits, Utc::now(), Some(&said), taken).await
                    })
                    .await
                    .map_err(crate::error::AppError::internal)??
                    .unwrap_or(now);
                    self.hold_until_ms
                        .fetch_max(until.timestamp_millis(), Ordering::Relaxed);
                    tracing::warn!(mail = mail.id, reply = %reply, until = %until, "the relay throttles; holding all mail back");
                    return Ok(Record::Retry {
                        id: mail.id,
                        reply: reply.clone(),
                        next: until,
                    });
                }
                let next = now + backoff(mail.attempts);
                if let Failure::Setup(reply) = &failure {
                    // Wrong credentials or an untrusted certificate: no address is at fault and
                    // every mail waits for the settings to be fixed.
                    tracing::error!(mail = mail.id, attempt = mail.attempts, reply = %reply, "the SMTP server refuses our connection (check smtp_url and smtp_ca_file); mail will be retried");
                } else {
                    tracing::info!(mail = mail.id, attempt = mail.attempts, reply = %failure.reply(), "mail will be retried");
                }
                Ok(Record::Retry {
                    id: mail.id,
                    reply: failure.reply().to_owned(),
                    next,
                })
            }
        }
    }

    /// The rounds of a batch that are open, with what their mails say; `None` for rounds that
    /// are not open any more.
    async fn round_infos(
        &self,
        batch: &[outbox_mail::Model],
    ) -> AppResult<HashMap<i32, Option<RoundInfo>>> {
        let db = &self.app.db;
        let mut infos = HashMap::new();
        let ids: Vec<i32> = batch.iter().filter_map(|mail| mail.round_id).collect();
        for id in ids {
            if infos.contains_key(&id) {
                continue;
            }
            let info = match round::Entity::find_by_id(id).one(db).await? {
                Some(r) if r.state == RoundState::Open => {
                    let first = round_question::Entity::find()
                        .filter(round_question::Column::RoundId.eq(id))
                        .order_by_asc(round_question::Column::Position)
                        .all(db)
                        .await?;
                    let mut first_question = None;
                    for link in first {
                        if let Some(q) = question::Entity::find_by_id(link.question_id)
                            .one(db)
                            .await?
                            && q.scale != Scale::Text
                        {
                            first_question = Some(FirstQuestion {
                                key: q.key,
                                scale: q.scale,
                                text_de: q.text_de,
                                text_en: q.text_en,
                            });
                            break;
                        }
                    }
                    Some(RoundInfo {
                        title: r.title,
                        closes: r.closes_at,
                        first_question,
                    })
                }
                _ => None,
            };
            infos.insert(id, info);
        }
        Ok(infos)
    }

    /// For each invitation of the batch, the visible actions of its department: read once per
    /// batch, so that a fan-out of thousands of invitations costs three queries, not thousands.
    async fn told(
        &self,
        batch: &[outbox_mail::Model],
        now: DateTime<Utc>,
    ) -> AppResult<HashMap<String, Vec<tell::Visible>>> {
        let ids: Vec<String> = batch
            .iter()
            .filter(|mail| mail.kind == MailKind::Invitation)
            .filter_map(|mail| mail.invitation_id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let visible = tell::visible(&self.app.db, now).await?;
        if visible.is_empty() {
            return Ok(HashMap::new());
        }
        let all = departments::all(&self.app.db).await?;
        Ok(invitation::Entity::find()
            .filter(invitation::Column::Id.is_in(ids))
            .all(&self.app.db)
            .await?
            .into_iter()
            .map(|i| {
                let told = tell::for_department(&visible, &all, i.department_id)
                    .into_iter()
                    .cloned()
                    .collect();
                (i.id, told)
            })
            .collect())
    }

    async fn answered(&self, batch: &[outbox_mail::Model]) -> AppResult<HashMap<String, bool>> {
        let ids: Vec<String> = batch
            .iter()
            .filter(|mail| mail.kind == MailKind::Reminder)
            .filter_map(|mail| mail.invitation_id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(invitation::Entity::find()
            .filter(invitation::Column::Id.is_in(ids))
            .all(&self.app.db)
            .await?
            .into_iter()
            .map(|i| (i.id, i.answered))
            .collect())
    }
}

/// Waits until a paced slot (wall clock, since slots are shared with other instances).
async fn sleep_until(slot: DateTime<Utc>) {
    if let Ok(wait) = (slot - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

/// Exponential backoff from 30 s, doubling per attempt up to 2 h, with ±20 % jitter so that
/// mails refused together do not come back together.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 16) - 1;
    let base = (30.0 * 2f64.powi(exponent)).min(7_200.0);
    let jitter = rand::rng().random_range(0.8..1.2);
    Duration::milliseconds((base * jitter * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_from_half_a_minute_up_to_two_hours_with_jitter() {
        let first = backoff(1).num_seconds();
        assert!((24..=36).contains(&first), "{first}");
        let fourth = backoff(4).num_seconds();
        assert!((192..=288).contains(&fourth), "{fourth}");
        let late = backoff(40).num_seconds();
        assert!((5_760..=8_640).contains(&late), "{late}");
    }
}
