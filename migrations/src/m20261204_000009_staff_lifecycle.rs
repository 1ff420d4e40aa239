//! Staff accounts with a lifecycle: an account can be deactivated (its logins and sessions end,
//! its history stays), and every session carries the account's session version, which logout,
//! deactivation, a password change and a change of role or scope raise, so that a cookie issued
//! before is refused on its next request.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(StaffUsers::Table)
                    .add_column(boolean(StaffUsers::Active).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(StaffUsers::Table)
                    .add_column(integer(StaffUsers::SessionVersion).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StaffUsers::Table)
                    .drop_column(StaffUsers::SessionVersion)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(StaffUsers::Table)
                    .drop_column(StaffUsers::Active)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum StaffUsers {
    Table,
    Active,
    SessionVersion,
}
