//! The durable outbox: every mail is a row before it is sent, so a crash or a restart loses
//! nothing, and its stable Message-ID makes a duplicate detectable at the receiving end.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(pk_auto(MailOutbox::Id))
                    // invitation | reminder | test
                    .col(string_len(MailOutbox::Kind, 16))
                    // What the mail is for, unique: enqueueing twice is harmless.
                    .col(string_uniq(MailOutbox::DedupeKey))
                    .col(integer_null(MailOutbox::RoundId))
                    .col(string_len_null(MailOutbox::InvitationId, 36))
                    .col(string(MailOutbox::Recipient))
                    .col(string(MailOutbox::RecipientName))
                    .col(string_len(MailOutbox::Locale, 2))
                    .col(string_uniq(MailOutbox::MessageId))
                    // queued | sending | sent | retrying | failed | cancelled
                    .col(string_len(MailOutbox::State, 16))
                    .col(integer(MailOutbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                    // A worker's claim; an expired claim (a crashed worker) is taken over.
                    .col(timestamp_with_time_zone_null(MailOutbox::ClaimedUntil))
                    .col(text_null(MailOutbox::LastReply))
                    .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_outbox_round")
                            .from(MailOutbox::Table, MailOutbox::RoundId)
                            .to(Rounds::Table, Rounds::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_outbox_invitation")
                            .from(MailOutbox::Table, MailOutbox::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mail_outbox_due")
                    .table(MailOutbox::Table)
                    .col(MailOutbox::State)
                    .col(MailOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mail_outbox_round")
                    .table(MailOutbox::Table)
                    .col(MailOutbox::RoundId)
                    .col(MailOutbox::Kind)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Kind,
    DedupeKey,
    RoundId,
    InvitationId,
    Recipient,
    RecipientName,
    Locale,
    MessageId,
    State,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastReply,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
}
