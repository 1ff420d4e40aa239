//! What a survey link leads to. Every presented string costs the same lookup, whether it has the
//! shape of a token or not and whether its round exists, so neither the page nor its timing
//! tells a guesser more than "not found".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::form::Item;
use crate::entities::{employee, invitation, question, round, round_question};
use crate::i18n::Locale;
use crate::invite;
use crate::vocab::RoundState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// No such token, not a token at all, or a round that has not opened: one answer for all.
    Unknown,
    Cancelled,
    Closed {
        closed_at: DateTime<Utc>,
    },
    Answered {
        locale: Option<Locale>,
        /// The department the invitation was for, as the round saw it: the thank-you page
        /// tells what leadership does there.
        department_id: Option<i32>,
        /// When the round closes: the thank-you page says when results follow.
        closes_at: DateTime<Utc>,
    },
    Open(OpenLink),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLink {
    pub round_id: i32,
    pub title: String,
    pub closes_at: DateTime<Utc>,
    /// The invited employee's language.
    pub locale: Option<Locale>,
}

/// The state of the link `token` at `now`, in one query: the round named in the token, joined
/// with the invitation of that round whose hash matches (if any) and its employee's language.
pub async fn lookup(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<LinkState, DbErr> {
    // A string that is no token still costs a hash and a query, as a real one does.
    let round_id = invite::round_of(token).unwrap_or(0);
    let hash = invite::token_hash(token);
    let query = Query::select()
        .expr_as(
            Expr::col((round::Entity, round::Column::Title)),
            Alias::new("title"),
        )
        .expr_as(
            Expr::col((round::Entity, round::Column::State)),
            Alias::new("state"),
        )
        .expr_as(
            Expr::col((round::Entity, round::Column::ClosesAt)),
            Alias::new("closes_at"),
        )
        .expr_as(
            Expr::col((round::Entity, round::Column::ClosedAt)),
            Alias::new("closed_at"),
        )
        .expr_as(
            Expr::col((invitation::Entity, invitation::Column::Answered)),
            Alias::new("answered"),
        )
        .expr_as(
            Expr::col((employee::Entity, employee::Column::Locale)),
            Alias::new("locale"),
        )
        .expr_as(
            Expr::col((invitation::Entity, invitation::Column::DepartmentId)),
            Alias::new("department_id"),
        )
        .from(round::Entity)
        .join(
            JoinType::LeftJoin,
            invitation::Entity,
            Condition::all()
                .add(
                    Expr::col((invitation::Entity, invitation::Column::RoundId))
                        .equals((round::Entity, round::Column::Id)),
                )
                .add(Expr::col((invitation::Entity, invitation::Column::TokenHash)).eq(hash)),
        )
        .join(
            JoinType::LeftJoin,
            employee::Entity,
            Expr::col((employee::Entity, employee::Column::Id))
                .equals((invitation::Entity, invitation::Column::EmployeeId)),
        )
        .and_where(Expr::col((round::Entity, round::Column::Id)).eq(round_id))
        .to_owned();
    let Some(row) = db.query_one(&query).await? else {
        return Ok(LinkState::Unknown);
    };
    let state: RoundState = row.try_get("", "state")?;
    let closes_at: DateTime<Utc> = row.try_get("", "closes_at")?;
    let closed_at: Option<DateTime<Utc>> = row.try_get("", "closed_at")?;
    let answered: Option<bool> = row.try_get("", "answered")?;
    let locale: Option<String> = row.try_get("", "locale")?;
    let locale = locale.as_deref().and_then(Locale::parse);
    Ok(match state {
        RoundState::Scheduled => LinkState::Unknown,
        RoundState::Cancelled => LinkState::Cancelled,
        RoundState::Closed => LinkState::Closed {
            closed_at: closed_at.unwrap_or(closes_at),
        },
        // Past its closing time a round takes no answers, even before the scheduler's next
        // tick marks it closed.
        RoundState::Open if closes_at <= now => LinkState::Closed {
            closed_at: closes_at,
        },
        RoundState::Open => match answered {
            None => LinkState::Unknown,
            Some(true) => LinkState::Answered {
                locale,
                department_id: row.try_get("", "department_id")?,
                closes_at,
            },
            Some(false) => LinkState::Open(OpenLink {
                round_id,
                title: row.try_get("", "title")?,
                closes_at,
                locale,
            }),
        },
    })
}

/// An open round as its form needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRound {
    pub id: i32,
    pub title: String,
    pub closes_at: DateTime<Utc>,
    pub items: Vec<Item>,
}

/// Rounds recently seen open, kept briefly: a round's questions are fixed once it opens, and
/// a submission to a round known to be open can go straight to the writer, which checks the
/// token and the round again in its transaction. A round closed meanwhile only costs the
/// writer's refusal. The short lifetime picks up reworded question texts.
#[derive(Default)]
pub struct OpenRounds {
    cache: Mutex<HashMap<i32, Cached>>,
}

/// When the round was read, and the round.
type Cached = (Instant, Arc<OpenRound>);

const ROUND_TTL: Duration = Duration::from_secs(60);
const CACHED_ROUNDS: usize = 64;

impl OpenRounds {
    /// The round, if it was seen open within the last minute and has not reached its closing
    /// time; no database involved.
    pub fn recent(&self, round_id: i32, now: DateTime<Utc>) -> Option<Arc<OpenRound>> {
        self.lock()
            .get(&round_id)
            .filter(|(at, round)| at.elapsed() < ROUND_TTL && round.closes_at > now)
            .map(|(_, round)| round.clone())
    }

    /// The round of a link just found open.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        link: &OpenLink,
    ) -> Result<Arc<OpenRound>, DbErr> {
        if let Some(round) = self.recent(link.round_id, Utc::now()) {
            return Ok(round);
        }
        let round = Arc::new(OpenRound {
            id: link.round_id,
            title: link.title.clone(),
            closes_at: link.closes_at,
            items: load_items(db, link.round_id).await?,
        });
        let mut cache = self.lock();
        if cache.len() >= CACHED_ROUNDS {
            cache.clear();
        }
        cache.insert(link.round_id, (Instant::now(), round.clone()));
        Ok(round)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Cached>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The questions of a round in the order it asks them.
pub async fn load_items(db: &impl ConnectionTrait, round_id: i32) -> Result<Vec<Item>, DbErr> {
    let positions = round_question::Entity::find()
        .filter(round_question::Column::RoundId.eq(round_id))
        .order_by_asc(round_question::Column::Position)
        .all(db)
        .await?;
    let ids: Vec<i32> = positions.iter().map(|row| row.question_id).collect();
    let questions: HashMap<i32, question::Model> = question::Entity::find()
        .filter(question::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.id, q))
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| questions.get(id))
        .map(Item::from_question)
        .collect())
}
