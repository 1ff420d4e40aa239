//! The life of a survey round, in one place: create, change, open, close, cancel. Every door
//! (web pages, API, CLI, scheduler, demo) changes a round's state only through here.
//!
//! Each step is one write transaction composed from the modules that own its parts, so a round
//! is never open without its invitations and their mail, never closed without its aggregates
//! and digest, and a process killed in between leaves the round as it was:
//!
//! ```text
//! open   survey::round::mark_open ─ org::round_tree::freeze ─ invite::issue
//!        ─ mail::outbox::enqueue_invitations
//! close  survey::round::mark_closed ─ end of the links (invite, mail::outbox)
//!        ─ report::aggregate::write_at_close ─ mail::digest::enqueue_digests
//!        ─ answer::unlink::at_close
//! cancel survey::round::mark_cancelled ─ end of the links ─ answer::unlink::discard
//! ```
//!
//! The modules below know nothing of each other's part; none of them calls back up here.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::answer::unlink;
use crate::app::App;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::invite;
use crate::mail;
use crate::problem::{Note, Problem};
use crate::report::aggregate;
use crate::survey::round::{self, Cancelled, RoundDraft, RoundView, Written};

/// Creates a round from HR's draft; one that opens now or earlier is opened at once.
pub async fn create(app: &App, draft: &RoundDraft, now: DateTime<Utc>) -> AppResult<RoundView> {
    let written = round::insert(&app.db, &app.settings, draft, now).await?;
    let mut view = open_if_due(app, &written, now).await?;
    let pacing = mail::pace::round_warnings(
        &app.db,
        &app.settings,
        written.id,
        written.opens_at,
        written.closes_at,
    )
    .await?;
    view.notes.extend(pacing.into_iter().map(Note::new));
    Ok(view)
}

/// Changes a round that has not opened yet; opened at once if its new opening time has come.
pub async fn update(
    app: &App,
    id: i32,
    draft: &RoundDraft,
    now: DateTime<Utc>,
) -> AppResult<RoundView> {
    let written = round::edit(&app.db, &app.settings, id, draft, now).await?;
    open_if_due(app, &written, now).await
}

async fn open_if_due(app: &App, written: &Written, now: DateTime<Utc>) -> AppResult<RoundView> {
    if written.opens_at <= now {
        open(app, written.id, now).await?;
    }
    let mut view = round::get(&app.db, &app.settings, written.id).await?;
    view.notes = written.notes.iter().cloned().map(Note::new).collect();
    Ok(view)
}

/// Opens a scheduled round: its department tree frozen as it is now, one invitation per active
/// employee in its target, and their mails queued. `false` if it was not scheduled (another
/// instance or HR got there first).
pub async fn open(app: &App, id: i32, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&app.db).await?;
    let Some((departments, target)) = round::mark_open(&txn, id).await? else {
        return Ok(false);
    };
    crate::org::round_tree::freeze(&txn, id, &departments).await?;
    let invited = invite::issue(&txn, &app.secrets.token_key, id, target).await?;
    mail::outbox::enqueue_invitations(&txn, &app.settings, id, now).await?;
    txn.commit().await?;
    tracing::info!(round = id, invited, at = %now, "round opened");
    Ok(true)
}

/// Closes an open round (on time, or early by HR): its links end, its aggregates are written,
/// the leadership digest is queued and the record of who answered is erased. `false` when it
/// was closed or cancelled meanwhile.
pub async fn close(app: &App, id: i32, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&app.db).await?;
    if !round::mark_closed(&txn, id, now).await? {
        return Ok(false);
    }
    end_links(&txn, id).await?;
    // After the hashes are gone no submission can arrive: the aggregates are final.
    aggregate::write_at_close(&txn, id).await?;
    // One digest per viewer, composed at send time.
    mail::digest::enqueue_digests(&txn, id, now).await?;
    // Last, once the aggregates hold participation: the responses are rewritten once more and
    // the invitations, the one record of who answered, are deleted.
    unlink::at_close(&txn, id).await?;
    txn.commit().await?;
    tracing::info!(round = id, "round closed");
    if let Err(err) = unlink::vacuum(&app.db).await {
        // The old row versions are invisible to every query already; the next autovacuum
        // removes them from the pages.
        tracing::warn!(round = id, error = %err, "vacuum after the close failed");
    }
    Ok(true)
}

/// Cancels a scheduled or open round. An open round's responses are deleted with it (a
/// cancelled round is never reported), so HR must confirm with their number.
pub async fn cancel(
    app: &App,
    id: i32,
    confirm_responses: Option<u64>,
    now: DateTime<Utc>,
) -> AppResult<Cancelled> {
    let txn = db::begin_write(&app.db).await?;
    round::mark_cancelled(&txn, id, now).await?;
    // The links end before the responses are counted: erasing the hashes waits for a batch of
    // submissions that holds its invitations (PostgreSQL), and no batch can claim one after it.
    // Counted first, a batch committing in between would leave responses in a cancelled round.
    end_links(&txn, id).await?;
    let responses = round::responses_to_delete(&txn, id).await?;
    if responses > 0 && confirm_responses != Some(responses) {
        return Err(AppError::Conflict(
            Problem::new("problem_round_cancel_confirm")
                .arg("id", id)
                .arg("responses", responses),
        ));
    }
    unlink::discard(&txn, id).await?;
    txn.commit().await?;
    tracing::info!(round = id, responses_deleted = responses, "round cancelled");
    Ok(Cancelled {
        id,
        responses_deleted: responses,
    })
}

/// Cancels a scheduled round whose whole period passed while no scheduler ran, instead of
/// opening it. `false` if it is still worth opening.
pub async fn skip_if_missed(app: &App, id: i32, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&app.db).await?;
    let missed = round::mark_missed(&txn, id, now).await?;
    txn.commit().await?;
    Ok(missed)
}

/// Ends a round's links: token hashes erased, and the reminder mails deleted, since each of
/// them would tell a database reader who had not answered at the time.
async fn end_links(txn: &impl ConnectionTrait, id: i32) -> AppResult<()> {
    mail::outbox::forget_reminders(txn, id).await?;
    invite::end_links(txn, id).await
}
