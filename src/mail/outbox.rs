//! The durable outbox: rows are written in the same transaction as what causes them (a round
//! opening, a reminder falling due), claimed by one worker at a time with a lease, and marked
//! right after the server's answer.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    ExprTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde::Serialize;

use crate::config::Settings;
use crate::db;
use crate::entities::{employee, invitation, outbox_mail, round, round_reminder};
use crate::error::AppResult;
use crate::mail::compose::new_message_id;
use crate::mail::pace::{self, Limits, Pace};
use crate::vocab::{MailKind, MailState, RoundState};

/// 8 values per row stay far below every database's limit of bound parameters.
const INSERT_CHUNK: usize = 1_000;

#[derive(Debug, FromQueryResult)]
struct Invitee {
    invitation_id: String,
    email: String,
    name: String,
    locale: String,
}

async fn invitees(
    db: &impl ConnectionTrait,
    round_id: i32,
    unanswered_only: bool,
) -> AppResult<Vec<Invitee>> {
    let mut query = invitation::Entity::find()
        .select_only()
        .column_as(invitation::Column::Id, "invitation_id")
        .column_as(employee::Column::Email, "email")
        .column_as(employee::Column::Name, "name")
        .column_as(employee::Column::Locale, "locale")
        .join(
            JoinType::InnerJoin,
            invitation::Entity::belongs_to(employee::Entity)
                .from(invitation::Column::EmployeeId)
                .to(employee::Column::Id)
                .into(),
        )
        .filter(invitation::Column::RoundId.eq(round_id));
    if unanswered_only {
        query = query.filter(invitation::Column::Answered.eq(false));
    }
    Ok(query.into_model::<Invitee>().all(db).await?)
}

async fn insert(
    db: &impl ConnectionTrait,
    settings: &Settings,
    kind: MailKind,
    round_id: i32,
    invitees: &[Invitee],
    dedupe: impl Fn(&Invitee) -> String,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let mut inserted = 0;
    for chunk in invitees.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|invitee| outbox_mail::ActiveModel {
            kind: Set(kind),
            dedupe_key: Set(dedupe(invitee)),
            round_id: Set(Some(round_id)),
            invitation_id: Set(Some(invitee.invitation_id.clone())),
            recipient: Set(invitee.email.clone()),
            recipient_name: Set(invitee.name.clone()),
            locale: Set(invitee.locale.clone()),
            message_id: Set(new_message_id(settings)),
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

/// Queues one invitation per invitation of the round; called in the transaction that opens it.
pub async fn enqueue_invitations(
    db: &impl ConnectionTrait,
    settings: &Settings,
    round_id: i32,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let invitees = invitees(db, round_id, false).await?;
    insert(
        db,
        settings,
        MailKind::Invitation,
        round_id,
        &invitees,
        |i| format!("invitation:{}", i.invitation_id),
        now,
    )
    .await
}

/// How much earlier than strictly needed a paced reminder is queued: the scheduler looks every
/// 20 s, and may look late.
const REMINDER_MARGIN: Duration = Duration::minutes(1);

/// Queues the reminders that are due: each reminder of an open round once, to those who have
/// not answered. A due reminder of a round that is no longer open is only marked done. With
/// mail limits a reminder is due as soon as waiting any longer would carry its last mail past
/// its time at the current pace (mail queued before it counted in), so that the reminder of
/// 09:00 has reached everyone by 09:00.
pub async fn enqueue_due_reminders(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let limits = Limits::from_settings(settings);
    let mut pending =
        round_reminder::Entity::find().filter(round_reminder::Column::DoneAt.is_null());
    if limits.is_unlimited() {
        pending = pending.filter(round_reminder::Column::RemindAt.lte(now));
    }
    let pending = pending
        .order_by_asc(round_reminder::Column::RemindAt)
        .all(db)
        .await?;
    let mut due = Vec::new();
    if !pending.is_empty() {
        let pace = pace::load(db, false).await?;
        let mut ahead = outbox_mail::Entity::find()
            .filter(outbox_mail::Column::State.is_in(MailState::PENDING))
            .count(db)
            .await?;
        for reminder in pending {
            if reminder.remind_at <= now {
                due.push(reminder);
                continue;
            }
            let count = invitation::Entity::find()
                .filter(invitation::Column::RoundId.eq(reminder.round_id))
                .filter(invitation::Column::Answered.eq(false))
                .count(db)
                .await?;
            if pace::reminder_due(
                &pace,
                limits,
                settings.timezone,
                now,
                REMINDER_MARGIN,
                ahead,
                count,
                reminder.remind_at,
            ) {
                // Reminders queued in this pass go out after each other.
                ahead += count;
                due.push(reminder);
            }
        }
    }
    let mut queued = 0;
    for reminder in due {
        let txn = db::begin_write(db).await?;
        // Claim the reminder; another instance may have taken it.
        let claimed = round_reminder::Entity::update_many()
            .col_expr(round_reminder::Column::DoneAt, Expr::value(now))
            .filter(round_reminder::Column::Id.eq(reminder.id))
            .filter(round_reminder::Column::DoneAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        // Locked: a close committing after this read would find no reminder mail to forget
        // and leave one queued per person who had not answered.
        let open = db::for_update(&txn, round::Entity::find_by_id(reminder.round_id))
            .one(&txn)
            .await?
            .is_some_and(|r| r.state == RoundState::Open && r.closes_at > now);
        if claimed && open {
            let invitees = invitees(&txn, reminder.round_id, true).await?;
            queued += insert(
                &txn,
                settings,
                MailKind::Reminder,
                reminder.round_id,
                &invitees,
                |i| format!("reminder:{}:{}", reminder.id, i.invitation_id),
                now,
            )
            .await?;
        }
        txn.commit().await?;
    }
    Ok(queued)
}

/// Deletes a round's reminder mails (when it closes or is cancelled): who was reminded is who
/// had not answered, which nobody needs once the round is over.
pub async fn forget_reminders(db: &impl ConnectionTrait, round_id: i32) -> AppResult<u64> {
    Ok(outbox_mail::Entity::delete_many()
        .filter(outbox_mail::Column::RoundId.eq(round_id))
        .filter(outbox_mail::Column::Kind.eq(MailKind::Reminder))
        .exec(db)
        .await?
        .rows_affected)
}

/// Queues a test mail to any address.
pub async fn enqueue_test(
    db: &DatabaseConnection,
    settings: &Settings,
    recipient: &str,
    now: DateTime<Utc>,
) -> AppResult<outbox_mail::Model> {
    let message_id = new_message_id(settings);
    let row = outbox_mail::ActiveModel {
        kind: Set(MailKind::Test),
        dedupe_key: Set(format!("test:{message_id}")),
        round_id: Set(None),
        invitation_id: Set(None),
        recipient: Set(recipient.to_owned()),
        recipient_name: Set(String::new()),
        locale: Set(settings.default_locale.as_str().to_owned()),
        message_id: Set(message_id),
        state: Set(MailState::Queued),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_reply: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    };
    Ok(sea_orm::ActiveModelTrait::insert(row, db).await?)
}

/// Takes up to `limit` due mails for this worker until `lease` has passed. Mails claimed by a
/// worker that died (its lease expired) are due again. On PostgreSQL several instances claim
/// disjoint sets (`FOR UPDATE SKIP LOCKED`); on SQLite the write lock serialises the claim.
pub async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> AppResult<Vec<outbox_mail::Model>> {
    let txn = db::begin_write(db).await?;
    let claimed = claim_in(&txn, now, lease, limit).await?;
    txn.commit().await?;
    Ok(claimed)
}

async fn claim_in(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> AppResult<Vec<outbox_mail::Model>> {
    let backend = txn.get_database_backend();
    let (lock, p) = match backend {
        DbBackend::Postgres => ("FOR UPDATE SKIP LOCKED", ["$1", "$2", "$3", "$4"]),
        _ => ("", ["?", "?", "?", "?"]),
    };
    let sql = format!(
        "UPDATE mail_outbox SET state = '{sending}', claimed_until = {lease}, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox \
           WHERE (state IN ('{queued}', '{retrying}') AND next_attempt_at <= {now1}) \
              OR (state = '{sending}' AND claimed_until < {now2}) \
           ORDER BY id LIMIT {limit} {lock}) \
         RETURNING *",
        sending = MailState::Sending,
        queued = MailState::Queued,
        retrying = MailState::Retrying,
        lease = p[0],
        now1 = p[1],
        now2 = p[2],
        limit = p[3],
    );
    let mut claimed = outbox_mail::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            sql,
            [
                (now + lease).into(),
                now.into(),
                now.into(),
                (limit as i64).into(),
            ],
        ))
        .all(txn)
        .await?;
    // RETURNING gives no order; slots are handed out in queue order.
    claimed.sort_by_key(|mail| mail.id);
    Ok(claimed)
}

/// How far ahead a claim takes paced slots: the worker sleeps until each, so a claim covers a
/// couple of seconds of sending and the next one follows without a gap.
pub const PACE_HORIZON: Duration = Duration::seconds(2);

/// Mails claimed, in queue order, with the instant each may leave (no slots: at once).
pub struct Claimed {
    pub mails: Vec<outbox_mail::Model>,
    /// One per mail when the pace is limited; empty without limits.
    pub slots: Vec<DateTime<Utc>>,
    /// The shared pace as this claim left it.
    pub pace: Pace,
}

/// `claim` at the deployment's pace: in the same transaction the shared pacing row is locked,
/// as many mails are claimed as it has slots within `PACE_HORIZON`, and it is advanced past
/// them, so that two instances never take the same slot. Without limits only the relay's
/// hold-off is read (one single-row read per batch). Nothing is claimed during a hold-off.
pub async fn claim_paced(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
    limits: Limits,
    tz: chrono_tz::Tz,
) -> AppResult<Claimed> {
    let txn = db::begin_write(db).await?;
    let unlimited = limits.is_unlimited();
    let mut pace = pace::load(&txn, !unlimited).await?;
    if pace.hold_until.is_some_and(|hold| hold > now) {
        txn.commit().await?;
        return Ok(Claimed {
            mails: Vec::new(),
            slots: Vec::new(),
            pace,
        });
    }
    if unlimited {
        let mails = claim_in(&txn, now, lease, limit).await?;
        txn.commit().await?;
        return Ok(Claimed {
            mails,
            slots: Vec::new(),
            pace,
        });
    }
    let horizon = now + PACE_HORIZON;
    let mut probe = pace.clone();
    let mut slots = 0;
    while slots < limit && probe.take_slot(limits, tz, now) <= horizon {
        slots += 1;
    }
    if slots == 0 {
        txn.commit().await?;
        return Ok(Claimed {
            mails: Vec::new(),
            slots: Vec::new(),
            pace,
        });
    }
    let mails = claim_in(&txn, now, lease, slots).await?;
    let slots: Vec<_> = mails
        .iter()
        .map(|_| pace.take_slot(limits, tz, now))
        .collect();
    if !mails.is_empty() {
        pace::save(&txn, &pace).await?;
    }
    txn.commit().await?;
    Ok(Claimed { mails, slots, pace })
}

pub async fn mark_sent(
    db: &impl ConnectionTrait,
    mail: &outbox_mail::Model,
    reply: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    outbox_mail::Entity::update_many()
        .col_expr(
            outbox_mail::Column::State,
            Expr::value(MailState::Sent.as_str()),
        )
        .col_expr(outbox_mail::Column::SentAt, Expr::value(now))
        .col_expr(
            outbox_mail::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(outbox_mail::Column::LastReply, Expr::value(truncate(reply)))
        .filter(outbox_mail::Column::Id.eq(mail.id))
        .exec(db)
        .await?;
    if let Some(invitation_id) = &mail.invitation_id {
        let update = invitation::Entity::update_many()
            .filter(invitation::Column::Id.eq(invitation_id.as_str()));
        let update = if mail.kind == MailKind::Reminder {
            update.col_expr(
                invitation::Column::RemindersSent,
                Expr::col(invitation::Column::RemindersSent).add(1),
            )
        } else {
            update.col_expr(invitation::Column::SentAt, Expr::value(now))
        };
        update.exec(db).await?;
    }
    Ok(())
}

pub async fn mark_retry(
    db: &impl ConnectionTrait,
    id: i32,
    reply: &str,
    next: DateTime<Utc>,
) -> AppResult<()> {
    set_state(db, id, MailState::Retrying, reply, Some(next)).await
}

pub async fn mark_failed(db: &impl ConnectionTrait, id: i32, reply: &str) -> AppResult<()> {
    set_state(db, id, MailState::Failed, reply, None).await
}

pub async fn mark_cancelled(db: &impl ConnectionTrait, id: i32, reason: &str) -> AppResult<()> {
    set_state(db, id, MailState::Cancelled, reason, None).await
}

async fn set_state(
    db: &impl ConnectionTrait,
    id: i32,
    state: MailState,
    reply: &str,
    next: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let mut update = outbox_mail::Entity::update_many()
        .col_expr(outbox_mail::Column::State, Expr::value(state.as_str()))
        .col_expr(
            outbox_mail::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(outbox_mail::Column::LastReply, Expr::value(truncate(reply)))
        .filter(outbox_mail::Column::Id.eq(id));
    if let Some(next) = next {
        update = update.col_expr(outbox_mail::Column::NextAttemptAt, Expr::value(next));
    }
    update.exec(db).await?;
    Ok(())
}

/// What became of one mail, to be written down.
pub enum Record {
    Sent {
        mail: Box<outbox_mail::Model>,
        reply: String,
    },
    Retry {
        id: i32,
        reply: String,
        next: DateTime<Utc>,
    },
    Failed {
        id: i32,
        reply: String,
    },
    Cancelled {
        id: i32,
        reason: String,
    },
}

/// Writes a few outcomes in one transaction: one commit instead of one per mail, while the
/// window between a server's 250 and the recorded "sent" stays at a few milliseconds.
pub async fn record(
    db: &DatabaseConnection,
    records: &[Record],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let txn = db::begin_write(db).await?;
    for record in records {
        match record {
            Record::Sent { mail, reply } => mark_sent(&txn, mail, reply, now).await?,
            Record::Retry { id, reply, next } => mark_retry(&txn, *id, reply, *next).await?,
            Record::Failed { id, reply } => mark_failed(&txn, *id, reply).await?,
            Record::Cancelled { id, reason } => mark_cancelled(&txn, *id, reason).await?,
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Server replies can be long (multi-line 5xx explanations); the log keeps the gist.
fn truncate(reply: &str) -> String {
    reply.chars().take(500).collect()
}

/// Mail that is no longer wanted: everything still pending for rounds that are not open (except
/// the leadership digests, which go out after the close). Reminders to people who answered
/// meanwhile are cancelled by the worker as it takes them. Returns how many were cancelled.
pub async fn cancel_unwanted(db: &DatabaseConnection) -> AppResult<u64> {
    // One statement: which rounds are not open is decided in the same snapshot as which mails
    // are cancelled. Read first and cancelled after, a round that opened in between (its
    // invitations committed with it) lost all its mail.
    let not_open = Query::select()
        .column(round::Column::Id)
        .from(round::Entity)
        .and_where(round::Column::State.ne(RoundState::Open))
        .to_owned();
    let cancelled = outbox_mail::Entity::update_many()
        .col_expr(
            outbox_mail::Column::State,
            Expr::value(MailState::Cancelled.as_str()),
        )
        .col_expr(
            outbox_mail::Column::LastReply,
            Expr::value("the round is no longer open"),
        )
        .filter(outbox_mail::Column::State.is_in([MailState::Queued, MailState::Retrying]))
        // The leadership digest is for closed rounds: it is wanted after the close.
        .filter(outbox_mail::Column::Kind.ne(MailKind::Digest))
        .filter(outbox_mail::Column::RoundId.in_subquery(not_open))
        .exec(db)
        .await?
        .rows_affected;
    Ok(cancelled)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SendLine {
    pub recipient: String,
    pub state: MailState,
    pub attempts: i32,
    pub last_reply: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SendCounts {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl SendCounts {
    fn add(&mut self, state: MailState) {
        match state {
            MailState::Queued => self.queued += 1,
            MailState::Sending => self.sending += 1,
            MailState::Sent => self.sent += 1,
            MailState::Retrying => self.retrying += 1,
            MailState::Failed => self.failed += 1,
            MailState::Cancelled => self.cancelled += 1,
        }
    }
}

/// What HR sees of a round's mail. Invitations line by line (everyone invited is known to HR
/// anyway); reminders only as counts, since a reminder line would tell who has not answered;
/// the leadership digests as counts too (they are not the employees' mail).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SendLog {
    pub invitations: SendCounts,
    pub reminders: SendCounts,
    /// The leadership digests of the round (queued at its close).
    pub digests: SendCounts,
    /// Invitations that are not simply sent: failed, retrying, still queued.
    pub invitation_problems: Vec<SendLine>,
}

pub async fn send_log(db: &impl ConnectionTrait, round_id: i32) -> AppResult<SendLog> {
    let rows = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::RoundId.eq(round_id))
        .order_by_asc(outbox_mail::Column::Id)
        .all(db)
        .await?;
    let mut log = SendLog::default();
    for row in rows {
        match row.kind {
            MailKind::Reminder => log.reminders.add(row.state),
            MailKind::Digest => log.digests.add(row.state),
            // Not of a round: no round's send log lists it.
            MailKind::ActionDue => {}
            MailKind::Invitation | MailKind::Test => {
                log.invitations.add(row.state);
                if !matches!(row.state, MailState::Sent | MailState::Cancelled) {
                    log.invitation_problems.push(SendLine {
                        recipient: row.recipient,
                        state: row.state,
                        attempts: row.attempts,
                        last_reply: row.last_reply,
                        sent_at: row.sent_at,
                    });
                }
            }
        }
    }
    Ok(log)
}

pub async fn find(db: &DatabaseConnection, id: i32) -> AppResult<outbox_mail::Model> {
    outbox_mail::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(crate::error::AppError::NotFound)
}

/// The state of each mail by id, for tests and the CLI.
pub async fn states(db: &DatabaseConnection, ids: &[i32]) -> AppResult<HashMap<i32, MailState>> {
    Ok(outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.state))
        .collect())
}
