use sea_orm::entity::prelude::*;

use crate::vocab::{MailKind, MailState};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: MailKind,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub round_id: Option<i32>,
    pub invitation_id: Option<String>,
    pub recipient: String,
    pub recipient_name: String,
    pub locale: String,
    #[sea_orm(unique)]
    pub message_id: String,
    pub state: MailState,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub claimed_until: Option<DateTimeUtc>,
    pub last_reply: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
