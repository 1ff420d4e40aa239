//! What becomes of a link shown and a form posted: the service behind the employees' door.
//! The web layer only turns its answers into pages.
//!
//! The fast path lives here: a submission to a round seen open within the last minute goes to
//! the writer without a read of its own. The writer's claim decides whether the token is real,
//! unanswered and its round still open; only a refused or invalid submission costs a lookup (to
//! say why, and to show the form again only to a real invitation).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use super::form::{self, Rejected};
use super::link::{self, LinkState, OpenLink, OpenRound, OpenRounds};
use super::writer::{Outcome, Submission, WriteError, Writer};
use crate::i18n::Locale;
use crate::invite;

/// The writer and the rounds seen open: started once with the app, shared by every door.
#[derive(Clone)]
pub struct Intake {
    pub writer: Writer,
    rounds: Arc<OpenRounds>,
}

/// A link presented to see the form.
pub enum Shown {
    /// The link takes answers: its invitation and round.
    Form(OpenLink, Arc<OpenRound>),
    /// It does not (answered, closed, cancelled or unknown).
    Settled(LinkState),
}

/// A form posted to a link.
pub enum Received {
    /// Stored, exactly once. The employee's language is known only when the link was looked
    /// up on the way (the fast path does not read it).
    Stored { employee_locale: Option<Locale> },
    /// Not every answer was valid: nothing was stored, and the form is shown again.
    Rejected {
        link: OpenLink,
        round: Arc<OpenRound>,
        rejected: Rejected,
    },
    /// The link takes no answers (any more): answered before, perhaps by a racing request, or
    /// its round closed or cancelled; or there is no such link.
    Settled(LinkState),
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl Intake {
    /// Starts the writer on its own thread and connection (`Writer::start_on_own_thread`).
    /// `threshold` is the anonymity threshold, the size of the groups responses are stored in.
    pub async fn start(db: &DatabaseConnection, database_url: &str, threshold: u32) -> Intake {
        Intake {
            writer: Writer::start_on_own_thread(database_url, db, threshold).await,
            rounds: Arc::default(),
        }
    }

    /// What the link `token` shows at `now`.
    pub async fn show(
        &self,
        db: &impl ConnectionTrait,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Shown, DbErr> {
        match link::lookup(db, token, now).await? {
            LinkState::Open(open) => {
                let round = self.rounds.get(db, &open).await?;
                Ok(Shown::Form(open, round))
            }
            settled => Ok(Shown::Settled(settled)),
        }
    }

    /// Takes the form `fields` posted to the link `token` at `now`.
    pub async fn receive(
        &self,
        db: &impl ConnectionTrait,
        token: &str,
        fields: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<Received, IntakeError> {
        let recent = invite::round_of(token).and_then(|id| self.rounds.recent(id, now));
        let (round, mut link) = match recent {
            Some(round) => (round, None),
            None => match self.show(db, token, now).await? {
                Shown::Form(link, round) => (round, Some(link)),
                Shown::Settled(state) => return Ok(Received::Settled(state)),
            },
        };
        let answers = match form::validate(&round.items, fields) {
            Ok(answers) => answers,
            Err(rejected) => {
                // The form is shown again only to a real, open invitation.
                let link = match link.take() {
                    Some(link) => link,
                    None => match link::lookup(db, token, now).await? {
                        LinkState::Open(link) => link,
                        settled => return Ok(Received::Settled(settled)),
                    },
                };
                return Ok(Received::Rejected {
                    link,
                    round,
                    rejected,
                });
            }
        };
        let submission = Submission {
            token_hash: invite::token_hash(token),
            answers,
        };
        match self.writer.submit(submission).await? {
            Outcome::Stored => Ok(Received::Stored {
                employee_locale: link.and_then(|link| link.locale),
            }),
            Outcome::NotStored => Ok(Received::Settled(
                match link::lookup(db, token, Utc::now()).await? {
                    // Still open after a refusal: the round reached its closing time in
                    // between.
                    LinkState::Open(open) => LinkState::Closed {
                        closed_at: open.closes_at,
                    },
                    other => other,
                },
            )),
        }
    }
}
