//! Marking an invitation answered touches no index.
//!
//! The claim of a submission sets `answered` and nothing else. While `answered` was the last
//! column of `ix_invitations_round_department`, PostgreSQL wrote each claim as a new row version
//! with a new entry in all five of the table's indexes (1.4 KB of write-ahead log a claim, a third
//! of a submission's), and SQLite moved the entry within that index. Without the column, and with
//! room left in each page for the new version (`fillfactor`, PostgreSQL only), the claim is a
//! heap-only update: one row version in the same page, no index entry. Participation counts the
//! answered per department from the rows of one round (found by the same index) instead of from
//! the index alone: one open round's rows, read for a page that shows its participation.
//!
//! Room in a page: every invitation is claimed at most once while its round is open, and closing
//! the round deletes it, so a page needs space for one more version of some of its rows between
//! two prunings; 70 % full leaves that for about four rows in ten, and PostgreSQL prunes a page's
//! dead versions when it finds the page short of room. The setting applies to pages filled from
//! now on; the rows of rounds open at the upgrade keep their pages (their claims work as before).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "ix_invitations_round_department";

/// How full PostgreSQL fills a page of `invitations` on insert, in percent.
const FILLFACTOR: u8 = 70;

fn index(with_answered: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(INDEX)
        .table(Invitations::Table)
        .col(Invitations::RoundId)
        .col(Invitations::DepartmentId);
    if with_answered {
        index.col(Invitations::Answered);
    }
    index.to_owned()
}

async fn replace_index(manager: &SchemaManager<'_>, with_answered: bool) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name(INDEX)
                .table(Invitations::Table)
                .to_owned(),
        )
        .await?;
    manager.create_index(index(with_answered)).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Participation must never find the table without its index.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace_index(manager, false).await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE \"invitations\" SET (fillfactor = {FILLFACTOR})"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE \"invitations\" RESET (fillfactor)")
                .await?;
        }
        replace_index(manager, true).await
    }
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    RoundId,
    DepartmentId,
    Answered,
}
