//! The words kundenpuls stores: states, kinds, pillars, scales and roles.
//!
//! Each is a closed set, kept in text columns (so SQLite and PostgreSQL hold the same values and
//! a migration is not needed to read them) and typed everywhere else. sea-orm converts at the
//! edge: a value the database holds that is not in the set fails the query with an error naming
//! it, instead of turning into a default somewhere down the line.
//!
//! This module is a leaf: it depends on no other module of the crate, so every layer can use it.

use std::fmt;
use std::str::FromStr;

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a closed set of words: the enum with its stored text written once per value (for
/// sea-orm, serde and the OpenAPI schema alike), and the plain conversions every word here has:
/// all its values in order, its text, `Display` and `FromStr` by that text.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:tt ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            EnumIter,
            DeriveActiveEnum,
            Serialize,
            Deserialize,
            utoipa::ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[sea_orm(string_value = $text)]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the order they are shown.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database and used in URLs, JSON and message keys.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// `None` for a text outside the set.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or_else(|| UnknownWord {
                    kind: stringify!($name),
                    value: text.to_owned(),
                    known: Self::ALL.iter().map(|word| word.as_str()).collect(),
                })
            }
        }
    };
}

/// A text that is none of the values of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// The Rust name of the set (`RoundState`, `Role`, …).
    pub kind: &'static str,
    pub value: String,
    /// The texts that would have been accepted, in order.
    pub known: Vec<&'static str>,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({})", self.value, self.known.join(", "))
    }
}

impl std::error::Error for UnknownWord {}

vocabulary! {
    /// A survey round: `scheduled → open → closed`, or `cancelled` from scheduled or open.
    pub enum RoundState {
        Scheduled = "scheduled",
        Open = "open",
        Closed = "closed",
        Cancelled = "cancelled",
    }
}

vocabulary! {
    /// A mail in the outbox.
    pub enum MailState {
        Queued = "queued",
        /// Claimed by a worker; back to queued when the worker dies before it finishes.
        Sending = "sending",
        Sent = "sent",
        Retrying = "retrying",
        Failed = "failed",
        /// No longer wanted: the round closed or the person answered before it went out.
        Cancelled = "cancelled",
    }
}

impl MailState {
    /// Still to be delivered by some worker.
    pub const PENDING: [MailState; 3] =
        [MailState::Queued, MailState::Sending, MailState::Retrying];

    pub fn is_pending(self) -> bool {
        Self::PENDING.contains(&self)
    }
}

vocabulary! {
    /// What a mail in the outbox is for.
    pub enum MailKind {
        /// The first mail of a round to an employee, with the personal link.
        Invitation = "invitation",
        /// A later mail to an employee who has not answered yet.
        Reminder = "reminder",
        /// The results of a closed round, to staff.
        Digest = "digest",
        /// `kundenpuls mail test`: proves the relay works, tried once.
        Test = "test",
        /// An action is due today and nobody has updated it: one mail to its owner.
        ActionDue = "action_due",
    }
}

vocabulary! {
    /// A staff user's or an API token's role.
    pub enum Role {
        /// HR: keeps the organisation, runs rounds, reads everything.
        Admin = "admin",
        /// Leadership: reads results, optionally of one department subtree only.
        Viewer = "viewer",
    }
}

vocabulary! {
    /// The three pillars of customer centricity, in the order they are shown.
    pub enum Pillar {
        /// Goals and work measured by what customers get.
        CustomerFocus = "customer_focus",
        /// Leaders who live customer centricity as an example.
        Leadership = "leadership",
        /// Trust, listening, responsibility, collaboration, respect, openness: practised.
        Values = "values",
    }
}

impl Pillar {
    /// The three pillars as an array, for figures kept as `[T; 3]` in this order.
    pub const EACH: [Pillar; 3] = [Pillar::CustomerFocus, Pillar::Leadership, Pillar::Values];

    /// The pillar's position in [`Pillar::EACH`].
    pub fn index(self) -> usize {
        match self {
            Pillar::CustomerFocus => 0,
            Pillar::Leadership => 1,
            Pillar::Values => 2,
        }
    }
}

vocabulary! {
    /// How a question is answered.
    pub enum Scale {
        /// 1 (disagree) to 5 (agree), or "can't judge".
        Likert5 = "likert5",
        /// 0 to 10: how likely one would recommend the company to a friend as a customer.
        Nps11 = "nps11",
        /// A free comment.
        Text = "text",
    }
}

impl Scale {
    /// The lowest and highest point; `None` for free text.
    pub fn points(self) -> Option<(i32, i32)> {
        match self {
            Scale::Likert5 => Some((1, 5)),
            Scale::Nps11 => Some((0, 10)),
            Scale::Text => None,
        }
    }
}

vocabulary! {
    /// Which items a stored pillar score is made of.
    pub enum Basis {
        /// The pillar's core items, asked in every pulse: what trends and changes compare.
        Core = "core",
        /// Every item of the pillar the round asked: the fullest picture of one round.
        Round = "round",
    }
}

vocabulary! {
    /// A Maßnahme: `planned → running → done`, or `dropped`; a closed one may be reopened.
    pub enum ActionStatus {
        Planned = "planned",
        Running = "running",
        Done = "done",
        /// Given up, with the reason in the outcome.
        Dropped = "dropped",
    }
}

impl ActionStatus {
    /// The states that count against a department's limit of open actions.
    pub const OPEN: [ActionStatus; 2] = [ActionStatus::Planned, ActionStatus::Running];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

vocabulary! {
    /// What a line of an action's log records.
    pub enum ActionEventKind {
        Created = "created",
        /// The status changed (to the event's `status`), with an optional note.
        Status = "status",
        /// A note without a change of status.
        Note = "note",
        /// Title, why, owner, due date or visibility changed.
        Edited = "edited",
        /// The owner was reminded of the due date by mail.
        Reminded = "reminded",
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::*;

    /// The macro's text, sea-orm's stored value, serde's and the OpenAPI schema's must agree,
    /// or a value written by one would not be read by another.
    #[test]
    fn stored_text_serde_and_as_str_agree() {
        fn check<T>(all: &[T])
        where
            T: ActiveEnum<Value = String>
                + Serialize
                + Copy
                + fmt::Display
                + FromStr
                + utoipa::PartialSchema,
        {
            for word in all {
                let stored = word.to_value();
                assert_eq!(stored, word.to_string());
                assert_eq!(
                    serde_json::to_value(word).unwrap(),
                    serde_json::Value::String(stored.clone())
                );
                assert!(T::try_from_value(&stored).is_ok());
                assert!(stored.parse::<T>().is_ok());
            }
            assert_eq!(all.len(), T::values().len());
            // What the OpenAPI document promises a generated client: the same words.
            let schema = serde_json::to_value(T::schema()).unwrap();
            let stored: Vec<String> = all.iter().map(|word| word.to_value()).collect();
            assert_eq!(
                schema["enum"],
                serde_json::json!(stored),
                "{}",
                std::any::type_name::<T>()
            );
        }
        check(RoundState::ALL);
        check(MailState::ALL);
        check(MailKind::ALL);
        check(Role::ALL);
        check(Pillar::ALL);
        check(Scale::ALL);
        check(Basis::ALL);
        check(ActionStatus::ALL);
        check(ActionEventKind::ALL);
    }

    #[test]
    fn an_unknown_stored_value_is_an_error() {
        assert!(RoundState::try_from_value(&"geschlossen".to_owned()).is_err());
        let err = "boss".parse::<Role>().unwrap_err();
        assert_eq!(err.known, ["admin", "viewer"]);
        assert_eq!(err.to_string(), "`boss` (admin, viewer)");
    }

    #[test]
    fn pillar_indices_follow_their_order() {
        for (i, pillar) in Pillar::EACH.iter().enumerate() {
            assert_eq!(pillar.index(), i);
            assert_eq!(Pillar::ALL[i], *pillar);
        }
    }
}
