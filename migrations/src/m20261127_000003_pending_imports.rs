//! Uploaded import files waiting for HR to confirm the preview. Kept in the database, not on a
//! disk, so that the confirmation may reach any instance; removed when confirmed or after an hour.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PendingImports::Table)
                    .col(string_len(PendingImports::Id, 36).primary_key())
                    .col(integer(PendingImports::StaffUserId))
                    .col(string(PendingImports::FileName))
                    .col(blob(PendingImports::Content))
                    .col(text(PendingImports::Options))
                    .col(timestamp_with_time_zone(PendingImports::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pending_imports_staff_user")
                            .from(PendingImports::Table, PendingImports::StaffUserId)
                            .to(StaffUsers::Table, StaffUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PendingImports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PendingImports {
    Table,
    Id,
    StaffUserId,
    FileName,
    Content,
    Options,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StaffUsers {
    Table,
    Id,
}
