//! The pace of sending, for the whole deployment.
//!
//! `mail_rate_per_minute` and `mail_daily_limit` bind every instance on one database together,
//! so the pace is not a counter in the process: it is one row (`mail_pacing`) that the claim
//! transaction locks, reads, advances by one slot per mail claimed and writes back. Two
//! instances therefore take disjoint slots, in turn. The same row holds the relay's hold-off:
//! a throttling answer (421, 4.7.x) stretches the interval for everyone and stops all claims
//! until the hold-off has passed.
//!
//! The arithmetic (`Pace`) is pure: it works on explicit instants, so the planned instants, the
//! carry-over at local midnight and the ETA are tested without a clock.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Statement};

use crate::config::Settings;
use crate::entities::mail_pacing;
use crate::error::AppResult;
use crate::problem::Problem;

/// The single row of `mail_pacing`.
const ROW: i32 = 1;
/// A throttled relay never slows us to less than 1/64 of the configured rate.
const MAX_SLOWDOWN: f64 = 64.0;
/// Each mail the relay takes wins back this much of the slowdown (additive increase after a
/// multiplicative decrease, as TCP does).
const RELIEF_PER_MAIL: f64 = 0.25;
/// The shortest and longest hold-off after a throttling answer.
const MIN_HOLD: Duration = Duration::seconds(1);
const MAX_HOLD: Duration = Duration::minutes(15);

/// The configured limits; both `None` means no pacing at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub rate_per_minute: Option<u32>,
    pub daily_limit: Option<u32>,
}

impl Limits {
    pub fn from_settings(settings: &Settings) -> Self {
        Limits {
            rate_per_minute: settings.mail_rate_per_minute,
            daily_limit: settings.mail_daily_limit,
        }
    }

    pub fn is_unlimited(&self) -> bool {
        self.rate_per_minute.is_none() && self.daily_limit.is_none()
    }
}

/// The shared pace: where the next slot is, how much of today's quota is spent, and whether
/// the relay is holding us back.
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    /// The earliest instant the next mail may leave.
    pub next_slot_at: Option<DateTime<Utc>>,
    /// The local day `day_count` counts.
    pub day: Option<NaiveDate>,
    pub day_count: u32,
    /// The interval is stretched by this factor (≥ 1) since the relay throttled.
    pub slowdown: f64,
    /// Throttling answers in a row.
    pub throttles: i32,
    /// No mail leaves before this instant.
    pub hold_until: Option<DateTime<Utc>>,
    /// Since when the relay has been throttling (cleared by the first mail it takes).
    pub held_since: Option<DateTime<Utc>>,
    /// What the relay said when it throttled.
    pub last_reply: Option<String>,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            next_slot_at: None,
            day: None,
            day_count: 0,
            slowdown: 1.0,
            throttles: 0,
            hold_until: None,
            held_since: None,
            last_reply: None,
        }
    }
}

impl Pace {
    /// The time between two mails at the configured rate, stretched after throttling.
    pub fn interval(&self, limits: Limits) -> Option<Duration> {
        limits.rate_per_minute.map(|rate| {
            let nanos = 60e9 / f64::from(rate) * self.slowdown.max(1.0);
            Duration::nanoseconds(nanos.round() as i64)
        })
    }

    /// Whether anything differs from an idle, unthrottled pace (worth writing back after
    /// successful mails).
    pub fn is_throttled(&self) -> bool {
        self.held_since.is_some() || self.slowdown > 1.0 || self.throttles > 0
    }

    /// Hands out the next send slot at or after `now` and advances the pace past it. A slot
    /// is never in the past (an idle pace does not build up a burst), never inside a hold-off,
    /// and never beyond the daily quota: then it moves to the next local midnight.
    pub fn take_slot(&mut self, limits: Limits, tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut slot = now;
        if let Some(next) = self.next_slot_at {
            slot = slot.max(next);
        }
        if let Some(hold) = self.hold_until {
            slot = slot.max(hold);
        }
        let day = slot.with_timezone(&tz).date_naive();
        if self.day != Some(day) {
            self.day = Some(day);
            self.day_count = 0;
        }
        if let Some(limit) = limits.daily_limit
            && self.day_count >= limit
        {
            slot = next_midnight(slot, tz);
            self.day = Some(slot.with_timezone(&tz).date_naive());
            self.day_count = 0;
        }
        self.day_count += 1;
        self.next_slot_at = Some(match self.interval(limits) {
            Some(interval) => slot + interval,
            None => slot,
        });
        slot
    }

    /// The instants the next `count` mails would leave at, starting at `now`.
    pub fn plan(
        &self,
        limits: Limits,
        tz: Tz,
        now: DateTime<Utc>,
        count: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut pace = self.clone();
        (0..count)
            .map(|_| pace.take_slot(limits, tz, now))
            .collect()
    }

    /// When the last of `count` mails leaves at the current pace; `None` for none. Without a
    /// limit: now, or when the relay's hold-off ends.
    pub fn finish(
        &self,
        limits: Limits,
        tz: Tz,
        now: DateTime<Utc>,
        count: u64,
    ) -> Option<DateTime<Utc>> {
        if count == 0 {
            return None;
        }
        let mut pace = self.clone();
        let mut last = now;
        for _ in 0..count {
            last = pace.take_slot(limits, tz, now);
        }
        Some(last)
    }

    /// The relay asked for less (421, 4.7.x): the interval doubles for everyone and nothing
    /// leaves for a hold-off that grows with each throttling answer in a row. Returns the end
    /// of the hold-off, when the throttled mail is due again.
    pub fn throttled(&mut self, limits: Limits, now: DateTime<Utc>, reply: &str) -> DateTime<Utc> {
        self.throttles = self.throttles.saturating_add(1);
        self.slowdown = (self.slowdown * 2.0).min(MAX_SLOWDOWN);
        let base = self.interval(limits).unwrap_or(MIN_HOLD).max(MIN_HOLD);
        let doublings = (self.throttles - 1).clamp(0, 16);
        let hold = (base * 2i32.pow(doublings as u32)).min(MAX_HOLD);
        let until = (now + hold).max(self.hold_until.unwrap_or(now));
        self.hold_until = Some(until);
        self.held_since.get_or_insert(now);
        self.last_reply = Some(reply.chars().take(500).collect());
        until
    }

    /// The relay took `sent` mails: the hold-off is over and the rate recovers step by step.
    pub fn relieved(&mut self, sent: u64) {
        if sent == 0 {
            return;
        }
        self.throttles = 0;
        self.held_since = None;
        self.last_reply = None;
        self.slowdown = (self.slowdown - RELIEF_PER_MAIL * sent as f64).max(1.0);
    }

    /// "Held back by the relay since …", while it is.
    pub fn held_back_since(&self) -> Option<DateTime<Utc>> {
        self.held_since
    }
}

/// The first instant of the local day after the one `t` falls on. Where midnight does not exist
/// (a DST change at midnight), the first valid instant after it.
pub fn next_midnight(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let date = t.with_timezone(&tz).date_naive() + Duration::days(1);
    let mut local = date.and_hms_opt(0, 0, 0).expect("midnight is a time");
    for _ in 0..(4 * 60) {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(at) => return at.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => local += Duration::minutes(1),
        }
    }
    // No zone skips four hours; fall back to a day after the UTC instant.
    t + Duration::days(1)
}

/// Whether a round's invitations can all leave within the first tenth of its duration at the
/// configured limits; if not, when the last one would leave (for a warning, not a refusal).
/// Assumes a pace that is idle at the opening.
pub fn late_finish(
    limits: Limits,
    tz: Tz,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    invitations: u64,
) -> Option<DateTime<Utc>> {
    if limits.is_unlimited() || invitations == 0 {
        return None;
    }
    let finish = Pace::default().finish(limits, tz, opens_at, invitations)?;
    let tenth = (closes_at - opens_at) / 10;
    (finish > opens_at + tenth).then_some(finish)
}

/// Whether a reminder of `count` mails has to be queued now so that its last mail leaves by
/// `remind_at`: queued `margin` later (the next look of the scheduler, with room to spare), the
/// pace would carry it past that instant. `ahead` mails are queued before it. Without limits a
/// reminder is queued at its time, as every mail leaves at once.
#[allow(clippy::too_many_arguments)]
pub fn reminder_due(
    pace: &Pace,
    limits: Limits,
    tz: Tz,
    now: DateTime<Utc>,
    margin: Duration,
    ahead: u64,
    count: u64,
    remind_at: DateTime<Utc>,
) -> bool {
    if now >= remind_at {
        return true;
    }
    if limits.is_unlimited() || count == 0 {
        return false;
    }
    pace.finish(limits, tz, now + margin, ahead + count)
        .is_some_and(|last| last > remind_at)
}

/// A reminder that cannot all leave before its time at the configured limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateReminder {
    pub remind_at: DateTime<Utc>,
    /// When its last mail is expected to leave.
    pub finish: DateTime<Utc>,
}

/// The plan of a round's mail at the configured limits on a pace that is idle at the opening:
/// `invitations` mails from `opens_at`, then each reminder (to at most as many) queued as late
/// as `reminder_due` allows. Returns the reminders whose last mail would leave after their
/// time, because the mail before them still occupies the pace or the pace is too slow.
pub fn late_reminders(
    limits: Limits,
    tz: Tz,
    opens_at: DateTime<Utc>,
    invitations: u64,
    reminders: &[DateTime<Utc>],
) -> Vec<LateReminder> {
    if limits.is_unlimited() || invitations == 0 {
        return Vec::new();
    }
    let mut pace = Pace::default();
    for _ in 0..invitations {
        pace.take_slot(limits, tz, opens_at);
    }
    let mut late = Vec::new();
    let mut sorted = reminders.to_vec();
    sorted.sort();
    for remind_at in sorted {
        // The earliest start is when the mail before it has left; the latest start that still
        // ends in time is found by bisection (the finish only grows with the start).
        let earliest = pace.next_slot_at.unwrap_or(opens_at).max(opens_at);
        let ends_by = |start: DateTime<Utc>| {
            pace.finish(limits, tz, start, invitations)
                .is_some_and(|last| last <= remind_at)
        };
        let start = if !ends_by(earliest) {
            earliest
        } else {
            let (mut fits, mut too_late) = (earliest, remind_at.max(earliest));
            while too_late - fits > Duration::seconds(1) {
                let middle = fits + (too_late - fits) / 2;
                if ends_by(middle) {
                    fits = middle;
                } else {
                    too_late = middle;
                }
            }
            fits
        };
        let mut last = start;
        for _ in 0..invitations {
            last = pace.take_slot(limits, tz, start);
        }
        if last > remind_at {
            late.push(LateReminder {
                remind_at,
                finish: last,
            });
        }
    }
    late
}

impl From<mail_pacing::Model> for Pace {
    fn from(row: mail_pacing::Model) -> Self {
        Pace {
            next_slot_at: row.next_slot_at,
            day: NaiveDate::parse_from_str(&row.day, "%Y-%m-%d").ok(),
            day_count: row.day_count.max(0) as u32,
            slowdown: if row.slowdown.is_finite() {
                row.slowdown.max(1.0)
            } else {
                1.0
            },
            throttles: row.throttles.max(0),
            hold_until: row.hold_until,
            held_since: row.held_since,
            last_reply: row.last_reply,
        }
    }
}

/// Reads the pace; inside the claim transaction with `lock`, so that no other instance takes
/// slots meanwhile (PostgreSQL: `FOR UPDATE`; SQLite: the transaction holds the write lock).
pub async fn load(db: &impl ConnectionTrait, lock: bool) -> AppResult<Pace> {
    let backend = db.get_database_backend();
    let row = if lock && backend == DbBackend::Postgres {
        mail_pacing::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                backend,
                "SELECT * FROM mail_pacing WHERE id = $1 FOR UPDATE",
                [ROW.into()],
            ))
            .one(db)
            .await?
    } else {
        mail_pacing::Entity::find_by_id(ROW).one(db).await?
    };
    Ok(row.map(Pace::from).unwrap_or_default())
}

/// Writes the pace back (in the transaction that loaded it with `lock`).
pub async fn save(db: &impl ConnectionTrait, pace: &Pace) -> AppResult<()> {
    use mail_pacing::Column as C;
    mail_pacing::Entity::update_many()
        .col_expr(C::NextSlotAt, Expr::value(pace.next_slot_at))
        .col_expr(
            C::Day,
            Expr::value(
                pace.day
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
            ),
        )
        .col_expr(C::DayCount, Expr::value(pace.day_count as i32))
        .col_expr(C::Slowdown, Expr::value(pace.slowdown))
        .col_expr(C::Throttles, Expr::value(pace.throttles))
        .col_expr(C::HoldUntil, Expr::value(pace.hold_until))
        .col_expr(C::HeldSince, Expr::value(pace.held_since))
        .col_expr(C::LastReply, Expr::value(pace.last_reply.clone()))
        .filter(sea_orm::ColumnTrait::eq(&C::Id, ROW))
        .exec(db)
        .await?;
    Ok(())
}

/// Records what the relay said about a batch: a throttling answer holds everyone back, mails it
/// took relieve the pace. Returns the end of the hold-off when there was one.
pub async fn report(
    db: &sea_orm::DatabaseConnection,
    limits: Limits,
    now: DateTime<Utc>,
    throttled: Option<&str>,
    sent: u64,
) -> AppResult<Option<DateTime<Utc>>> {
    let txn = crate::db::begin_write(db).await?;
    let mut pace = load(&txn, true).await?;
    pace.relieved(sent);
    let until = throttled.map(|reply| pace.throttled(limits, now, reply));
    save(&txn, &pace).await?;
    txn.commit().await?;
    Ok(until)
}

/// Where a round's invitations stand and when the last one leaves at the current pace.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct MailPace {
    /// Invitations waiting to be sent, including those being sent right now.
    pub queued: u64,
    pub sent: u64,
    /// Invitations the relay said "later" to; they are tried again.
    pub retrying: u64,
    pub failed: u64,
    /// When the last invitation is expected to leave at the current pace (none left: none).
    pub expected_finish: Option<DateTime<Utc>>,
    /// The configured `mail_rate_per_minute`, if any.
    pub rate_per_minute: Option<u32>,
    /// The configured `mail_daily_limit`, if any.
    pub daily_limit: Option<u32>,
    /// The rate the relay currently allows us, after throttling (mails per minute).
    pub current_rate_per_minute: Option<f64>,
    /// Set while the relay holds the sending back (421 or 4.7.x): since when.
    pub held_back_since: Option<DateTime<Utc>>,
    /// What the relay said when it held the sending back.
    pub relay_reply: Option<String>,
}

/// The round's invitations by state and the ETA of the last one. Mail is sent in queue order,
/// so everything pending ahead of the round's last pending invitation (other rounds'
/// reminders too) is counted into the plan.
pub async fn round_status(
    db: &impl ConnectionTrait,
    settings: &Settings,
    round_id: i32,
    now: DateTime<Utc>,
) -> AppResult<MailPace> {
    use crate::entities::outbox_mail;
    use crate::vocab::{MailKind, MailState};
    use sea_orm::{ColumnTrait, QuerySelect};

    let limits = Limits::from_settings(settings);
    let rows: Vec<(i32, MailState, DateTime<Utc>)> = outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::Id)
        .column(outbox_mail::Column::State)
        .column(outbox_mail::Column::NextAttemptAt)
        .filter(outbox_mail::Column::RoundId.eq(round_id))
        .filter(outbox_mail::Column::Kind.eq(MailKind::Invitation))
        .into_tuple()
        .all(db)
        .await?;
    let mut status = MailPace {
        rate_per_minute: limits.rate_per_minute,
        daily_limit: limits.daily_limit,
        ..MailPace::default()
    };
    let mut last_pending = None;
    let mut latest_retry = None::<DateTime<Utc>>;
    for (id, state, next_attempt_at) in &rows {
        match state {
            MailState::Queued | MailState::Sending => status.queued += 1,
            MailState::Sent => status.sent += 1,
            MailState::Retrying => {
                status.retrying += 1;
                latest_retry =
                    Some(latest_retry.map_or(*next_attempt_at, |l| l.max(*next_attempt_at)));
            }
            MailState::Failed => status.failed += 1,
            MailState::Cancelled => continue,
        }
        if state.is_pending() {
            last_pending = Some(last_pending.map_or(*id, |l: i32| l.max(*id)));
        }
    }
    let pace = load(db, false).await?;
    status.current_rate_per_minute = limits
        .rate_per_minute
        .map(|rate| f64::from(rate) / pace.slowdown.max(1.0));
    status.held_back_since = pace.held_back_since();
    status.relay_reply = pace
        .last_reply
        .clone()
        .filter(|_| pace.held_since.is_some());
    if let Some(last) = last_pending {
        let ahead = outbox_mail::Entity::find()
            .filter(outbox_mail::Column::State.is_in([MailState::Queued, MailState::Retrying]))
            .filter(outbox_mail::Column::Id.lte(last))
            .count(db)
            .await?;
        let finish = pace
            .finish(limits, settings.timezone, now, ahead)
            .unwrap_or_else(|| pace.next_slot_at.unwrap_or(now).max(now));
        let finish = match latest_retry {
            Some(retry) => finish.max(retry),
            None => finish,
        };
        status.expected_finish = Some(finish);
    }
    Ok(status)
}

/// Warnings for HR when a round's mail does not fit its time at the configured limits: the
/// invitations cannot all leave within the first tenth of its duration, or a reminder cannot
/// all leave before its time. Each names the expected finish. The invitations of an open round
/// are counted; for one that has not opened, the active employees (an upper bound); every
/// reminder is planned for as many (nobody has answered yet).
pub async fn round_warnings(
    db: &impl ConnectionTrait,
    settings: &Settings,
    round_id: i32,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
) -> AppResult<Vec<Problem>> {
    use crate::entities::{employee, invitation, round_reminder};
    use sea_orm::{ColumnTrait, QuerySelect};

    let limits = Limits::from_settings(settings);
    if limits.is_unlimited() {
        return Ok(Vec::new());
    }
    let mut count = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round_id))
        .count(db)
        .await?;
    if count == 0 {
        count = employee::Entity::find()
            .filter(employee::Column::Active.eq(true))
            .count(db)
            .await?;
    }
    let reminders: Vec<DateTime<Utc>> = round_reminder::Entity::find()
        .select_only()
        .column(round_reminder::Column::RemindAt)
        .filter(round_reminder::Column::RoundId.eq(round_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(mail_warnings(
        limits,
        settings.timezone,
        opens_at,
        closes_at,
        count,
        &reminders,
    ))
}

/// The warnings of `round_warnings` for a round not yet in the database (a schedule's next).
pub fn mail_warnings(
    limits: Limits,
    tz: Tz,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    invitations: u64,
    reminders: &[DateTime<Utc>],
) -> Vec<Problem> {
    let mut notes: Vec<Problem> = late_finish(limits, tz, opens_at, closes_at, invitations)
        .map(|finish| finish_warning(limits, tz, invitations, finish))
        .into_iter()
        .collect();
    notes.extend(
        late_reminders(limits, tz, opens_at, invitations, reminders)
            .into_iter()
            .map(|late| reminder_warning(limits, tz, invitations, late)),
    );
    notes
}

/// The configured limits, as words of the reader's language.
fn limits_said(limits: Limits) -> Problem {
    match (limits.rate_per_minute, limits.daily_limit) {
        (Some(rate), Some(daily)) => Problem::new("pace_limits_rate_daily")
            .arg("rate", rate)
            .arg("daily", daily),
        (Some(rate), None) => Problem::new("pace_limits_rate").arg("rate", rate),
        (None, Some(daily)) => Problem::new("pace_limits_daily").arg("daily", daily),
        (None, None) => Problem::new("pace_limits_none"),
    }
}

/// A reminder that cannot reach everyone by its time.
pub fn reminder_warning(limits: Limits, tz: Tz, count: u64, late: LateReminder) -> Problem {
    Problem::new("note_reminder_late")
        .cause("limits", limits_said(limits))
        .moment("at", late.remind_at, tz)
        .arg("count", count)
        .moment("finish", late.finish, tz)
}

/// Invitations that cannot all leave in the first tenth of the round.
pub fn finish_warning(limits: Limits, tz: Tz, count: u64, finish: DateTime<Utc>) -> Problem {
    Problem::new("note_invitations_late")
        .cause("limits", limits_said(limits))
        .arg("count", count)
        .moment("finish", finish, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn without_limits_every_slot_is_now() {
        let now = at("2026-11-27T09:00:00Z");
        let plan = Pace::default().plan(Limits::default(), chrono_tz::Europe::Berlin, now, 5);
        assert_eq!(plan, vec![now; 5]);
    }

    #[test]
    fn hold_off_doubles_and_relief_clears_it() {
        let limits = Limits {
            rate_per_minute: Some(60),
            daily_limit: None,
        };
        let now = at("2026-11-27T09:00:00Z");
        let mut pace = Pace::default();
        assert_eq!(
            pace.throttled(limits, now, "452 4.7.0"),
            now + Duration::seconds(2)
        );
        assert_eq!(pace.held_back_since(), Some(now));
        assert_eq!(
            pace.throttled(limits, now, "421"),
            now + Duration::seconds(8)
        );
        assert_eq!(pace.slowdown, 4.0);
        pace.relieved(4);
        assert_eq!(pace.slowdown, 3.0);
        assert!(pace.held_back_since().is_none());
    }

    #[test]
    fn a_throttle_after_taken_mail_starts_again_at_the_shortest_hold_off() {
        let l = limits(Some(60), None);
        let now = at("2026-11-27T09:00:00Z");
        let mut pace = Pace::default();
        let first = pace.throttled(l, now, "452 4.7.0");
        assert_eq!(first, now + Duration::seconds(2));
        // A relay that refuses every fifth mail: four taken, then "less" again. Without the
        // relief in between the hold-off would double each time.
        for round in 1..=10 {
            let later = now + Duration::seconds(10 * round);
            pace.relieved(4);
            assert_eq!(
                pace.throttled(l, later, "452 4.7.0"),
                later + Duration::seconds(2),
                "episode {round}"
            );
        }
        // "Less" twice in a row doubles it.
        assert_eq!(
            pace.throttled(l, now + Duration::seconds(200), "452 4.7.0"),
            now + Duration::seconds(200 + 8)
        );
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    fn limits(rate: Option<u32>, daily: Option<u32>) -> Limits {
        Limits {
            rate_per_minute: rate,
            daily_limit: daily,
        }
    }

    #[test]
    fn n_mails_at_r_per_minute_leave_at_the_planned_instants() {
        let now = at("2026-11-27T09:00:00Z");
        let plan = Pace::default().plan(limits(Some(30), None), BERLIN, now, 5);
        let expected: Vec<_> = (0..5).map(|i| now + Duration::seconds(2 * i)).collect();
        assert_eq!(plan, expected);
        // 7 a minute: 60/7 s apart; rounding to the nanosecond drifts by less than a
        // microsecond over 100 minutes.
        let plan = Pace::default().plan(limits(Some(7), None), BERLIN, now, 701);
        let drift = (plan[700] - (now + Duration::minutes(100))).abs();
        assert!(drift < Duration::microseconds(1), "{drift}");
    }

    #[test]
    fn slots_are_taken_one_after_the_other_and_an_idle_pace_builds_no_burst() {
        let l = limits(Some(120), None);
        let now = at("2026-11-27T09:00:00Z");
        let mut pace = Pace::default();
        assert_eq!(pace.take_slot(l, BERLIN, now), now);
        // Asked again at the same instant (another instance): the next half second.
        assert_eq!(
            pace.take_slot(l, BERLIN, now),
            now + Duration::milliseconds(500)
        );
        // An hour of nothing does not add up to an hour's worth of slots at once.
        let later = now + Duration::hours(1);
        assert_eq!(
            pace.plan(l, BERLIN, later, 3),
            vec![
                later,
                later + Duration::milliseconds(500),
                later + Duration::seconds(1)
            ]
        );
    }

    #[test]
    fn the_daily_quota_carries_over_at_local_midnight_across_the_spring_change() {
        // 2027-03-28 is the day Berlin goes from CET to CEST: 23 hours long.
        let l = limits(Some(60), Some(2));
        let start = at("2027-03-27T22:00:00Z"); // 23:00 in Berlin
        let plan = Pace::default().plan(l, BERLIN, start, 6);
        assert_eq!(
            plan,
            vec![
                at("2027-03-27T22:00:00Z"),
                at("2027-03-27T22:00:01Z"),
                // Midnight of the 28th, still CET (+01:00).
                at("2027-03-27T23:00:00Z"),
                at("2027-03-27T23:00:01Z"),
                // Midnight of the 29th, now CEST (+02:00): 23 hours later.
                at("2027-03-28T22:00:00Z"),
                at("2027-03-28T22:00:01Z"),
            ]
        );
    }

    #[test]
    fn the_daily_quota_carries_over_at_local_midnight_across_the_autumn_change() {
        // 2027-10-31 is 25 hours long in Berlin.
        let l = limits(None, Some(1));
        let start = at("2027-10-30T21:00:00Z"); // 23:00 CEST
        let plan = Pace::default().plan(l, BERLIN, start, 3);
        assert_eq!(
            plan,
            vec![
                start,
                at("2027-10-30T22:00:00Z"), // midnight of the 31st, CEST
                at("2027-10-31T23:00:00Z"), // midnight of 1 November, CET
            ]
        );
    }

    #[test]
    fn a_quota_counts_per_day_in_the_company_zone_not_in_utc() {
        let l = limits(None, Some(2));
        // 00:30 in Berlin is still the previous day in UTC.
        let now = at("2026-11-26T23:30:00Z");
        let mut pace = Pace {
            day: Some(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
            day_count: 2,
            ..Pace::default()
        };
        assert_eq!(pace.take_slot(l, BERLIN, now), now, "a new local day");
        assert_eq!(pace.take_slot(l, BERLIN, now), now);
        assert_eq!(
            pace.take_slot(l, BERLIN, now),
            at("2026-11-27T23:00:00Z"),
            "the next local midnight"
        );
    }

    #[test]
    fn the_eta_is_the_last_planned_instant() {
        let now = at("2026-11-27T09:00:00Z");
        for (l, n) in [
            (limits(Some(30), None), 100usize),
            (limits(Some(120), Some(500)), 1_200),
            (limits(None, Some(40)), 90),
            (limits(Some(1), Some(3)), 7),
        ] {
            let mut pace = Pace::default();
            pace.take_slot(l, BERLIN, now);
            let plan = pace.plan(l, BERLIN, now, n);
            assert_eq!(pace.finish(l, BERLIN, now, n as u64), plan.last().copied());
        }
        assert_eq!(
            Pace::default().finish(limits(Some(30), None), BERLIN, now, 0),
            None
        );
    }

    #[test]
    fn a_hold_off_moves_every_slot_behind_it() {
        let l = limits(Some(60), None);
        let now = at("2026-11-27T09:00:00Z");
        let mut pace = Pace::default();
        pace.take_slot(l, BERLIN, now);
        let until = pace.throttled(l, now, "421 4.7.0 slow down");
        assert_eq!(until, now + Duration::seconds(2));
        // Slowed to half the rate: two seconds apart, from the end of the hold-off.
        assert_eq!(
            pace.plan(l, BERLIN, now, 2),
            vec![until, until + Duration::seconds(2)]
        );
    }

    #[test]
    fn a_round_that_cannot_send_in_its_first_tenth_gets_a_warning_with_the_finish() {
        let opens = at("2026-11-30T08:00:00Z");
        let closes = opens + Duration::days(1);
        // 30 a minute: 1,000 invitations take 33 min 18 s; a tenth of a day is 2 h 24 min.
        assert_eq!(
            late_finish(limits(Some(30), None), BERLIN, opens, closes, 1_000),
            None
        );
        // 10,000 take 5 h 33 min 18 s.
        assert_eq!(
            late_finish(limits(Some(30), None), BERLIN, opens, closes, 10_000),
            Some(opens + Duration::seconds(2 * 9_999))
        );
        assert_eq!(
            late_finish(Limits::default(), BERLIN, opens, closes, 1_000_000),
            None
        );
    }

    #[test]
    fn a_paced_reminder_is_queued_when_waiting_longer_would_make_it_late() {
        let l = limits(Some(60), None);
        let now = at("2026-11-27T09:00:00Z");
        let margin = Duration::minutes(1);
        // 20 mails ahead and 20 reminders at one a second: queued a minute from now, the last
        // leaves 99 s from now.
        let due =
            |remind_at| reminder_due(&Pace::default(), l, BERLIN, now, margin, 20, 20, remind_at);
        assert!(!due(now + Duration::seconds(100)));
        assert!(!due(now + Duration::seconds(99)));
        assert!(due(now + Duration::seconds(98)));
        assert!(due(now), "a reminder whose time has come is due");
        assert!(!due(now + Duration::days(1)));
        // Without limits, a reminder waits for its time.
        let unlimited = |remind_at| {
            reminder_due(
                &Pace::default(),
                Limits::default(),
                BERLIN,
                now,
                margin,
                20,
                20,
                remind_at,
            )
        };
        assert!(!unlimited(now + Duration::seconds(1)));
        assert!(unlimited(now - Duration::seconds(1)));
        // Nobody left to remind: nothing to queue early.
        assert!(!reminder_due(
            &Pace::default(),
            l,
            BERLIN,
            now,
            margin,
            20,
            0,
            now + Duration::seconds(1)
        ));
    }

    #[test]
    fn a_reminder_behind_slow_invitations_is_reported_late_with_its_finish() {
        let l = limits(Some(60), None);
        let opens = at("2026-11-30T08:00:00Z");
        // 100 invitations at one a second leave until 99 s after the opening; a reminder 50 s
        // after the opening starts behind them and ends at 199 s. One an hour later fits.
        let late = late_reminders(
            l,
            BERLIN,
            opens,
            100,
            &[opens + Duration::hours(1), opens + Duration::seconds(50)],
        );
        assert_eq!(
            late,
            vec![LateReminder {
                remind_at: opens + Duration::seconds(50),
                finish: opens + Duration::seconds(199),
            }]
        );
        assert!(late_reminders(Limits::default(), BERLIN, opens, 100, &[opens]).is_empty());
    }

    #[test]
    fn a_reminder_the_daily_quota_pushes_past_its_time_is_reported() {
        let l = limits(None, Some(100));
        // Monday 08:00 in Berlin: 100 invitations today, 50 after midnight; the reminder of
        // Monday noon (150 mails) takes the rest of Tuesday's quota and Wednesday's start.
        let opens = at("2026-11-30T07:00:00Z");
        let noon = at("2026-11-30T11:00:00Z");
        let late = late_reminders(l, BERLIN, opens, 150, &[noon]);
        let wednesday = next_midnight(next_midnight(opens, BERLIN), BERLIN);
        assert_eq!(wednesday, at("2026-12-01T23:00:00Z"));
        assert_eq!(
            late,
            vec![LateReminder {
                remind_at: noon,
                finish: wednesday,
            }]
        );
        let notes = mail_warnings(l, BERLIN, opens, opens + Duration::days(14), 150, &[noon]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].key(), "note_reminder_late");
        assert!(notes[0].to_string().contains("count: 150"), "{}", notes[0]);
    }
}
