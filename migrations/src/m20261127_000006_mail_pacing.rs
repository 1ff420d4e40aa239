//! The pace of the mail worker, shared by every instance on one database: one row, locked in the
//! transaction that claims mail, hands out send slots (`next_slot_at`), counts the mails of the
//! current day in the company's time zone, and holds back the whole transport when the relay
//! asks for less (421 or 4.7.x).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailPacing::Table)
                    // Always 1: a single row.
                    .col(integer(MailPacing::Id).primary_key())
                    // The earliest instant the next mail may leave; none before the first mail.
                    .col(timestamp_with_time_zone_null(MailPacing::NextSlotAt))
                    // The local day (YYYY-MM-DD in `timezone`) `day_count` counts.
                    .col(string_len(MailPacing::Day, 10))
                    .col(integer(MailPacing::DayCount))
                    // The configured interval is stretched by this factor after throttling.
                    .col(double(MailPacing::Slowdown))
                    // Throttling answers in a row, for the length of the hold-off.
                    .col(integer(MailPacing::Throttles))
                    .col(timestamp_with_time_zone_null(MailPacing::HoldUntil))
                    .col(timestamp_with_time_zone_null(MailPacing::HeldSince))
                    .col(text_null(MailPacing::LastReply))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(MailPacing::Table)
                    .columns([
                        MailPacing::Id,
                        MailPacing::Day,
                        MailPacing::DayCount,
                        MailPacing::Slowdown,
                        MailPacing::Throttles,
                    ])
                    .values_panic([1.into(), "".into(), 0.into(), 1.0f64.into(), 0.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailPacing::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MailPacing {
    Table,
    Id,
    NextSlotAt,
    Day,
    DayCount,
    Slowdown,
    Throttles,
    HoldUntil,
    HeldSince,
    LastReply,
}
