//! Responses that no plain query links to an invitation (DECISIONS.md "Anonymity in every
//! output"). `pending` marks the newest responses of an open round while fewer than the
//! threshold of them are waiting: the answer writer rewrites them together with later ones, in
//! random order, once there are enough (`answer::unlink`). The submission date goes: nothing
//! reads it, and a date is a timestamp that narrows a response down to the invitations answered
//! that day. Closing a round deletes its invitations; the index lets the mail outbox let go of
//! them without a scan per row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Responses::Table)
                    .add_column(boolean(Responses::Pending).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Responses::Table)
                    .drop_column(Responses::SubmittedOn)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_responses_pending")
                    .table(Responses::Table)
                    .col(Responses::RoundId)
                    .col(Responses::Pending)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mail_outbox_invitation")
                    .table(MailOutbox::Table)
                    .col(MailOutbox::InvitationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_mail_outbox_invitation")
                    .table(MailOutbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_responses_pending")
                    .table(Responses::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Responses::Table)
                    .drop_column(Responses::Pending)
                    .to_owned(),
            )
            .await?;
        // The dates are gone; rows that come back get the day of the downgrade.
        manager
            .alter_table(
                Table::alter()
                    .table(Responses::Table)
                    .add_column(date(Responses::SubmittedOn).default(Expr::current_date()))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Responses {
    Table,
    RoundId,
    SubmittedOn,
    Pending,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    InvitationId,
}
