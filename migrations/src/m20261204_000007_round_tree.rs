//! The department tree as each round saw it when it opened (DECISIONS.md "Departments over
//! time"): names, paths and parents copied at opening, by stable department id. Reports of a
//! closed round are computed over this copy, so a later rename, move or re-import changes none
//! of their figures and no subtraction across a reorganisation reveals a small group.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RoundTree::Table)
                    .col(integer(RoundTree::RoundId))
                    .col(integer(RoundTree::DepartmentId))
                    .col(integer_null(RoundTree::ParentId))
                    .col(string(RoundTree::Name))
                    .col(string(RoundTree::Path))
                    .col(timestamp_with_time_zone(RoundTree::CreatedAt))
                    .col(timestamp_with_time_zone_null(RoundTree::RetiredAt))
                    .primary_key(
                        Index::create()
                            .col(RoundTree::RoundId)
                            .col(RoundTree::DepartmentId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_round_tree_round")
                            .from(RoundTree::Table, RoundTree::RoundId)
                            .to(Rounds::Table, Rounds::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_round_tree_department")
                            .from(RoundTree::Table, RoundTree::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Rounds that opened before this table existed get today's tree: the best record there
        // is, and from now on it is frozen like every later round's.
        let backfill = Query::insert()
            .into_table(RoundTree::Table)
            .columns([
                RoundTree::RoundId,
                RoundTree::DepartmentId,
                RoundTree::ParentId,
                RoundTree::Name,
                RoundTree::Path,
                RoundTree::CreatedAt,
                RoundTree::RetiredAt,
            ])
            .select_from(
                Query::select()
                    .column((Rounds::Table, Rounds::Id))
                    .column((Departments::Table, Departments::Id))
                    .column((Departments::Table, Departments::ParentId))
                    .column((Departments::Table, Departments::Name))
                    .column((Departments::Table, Departments::Path))
                    .column((Departments::Table, Departments::CreatedAt))
                    .column((Departments::Table, Departments::RetiredAt))
                    .from(Rounds::Table)
                    .cross_join(Departments::Table)
                    .and_where(Expr::col((Rounds::Table, Rounds::State)).is_in(["open", "closed"]))
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RoundTree::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RoundTree {
    Table,
    RoundId,
    DepartmentId,
    ParentId,
    Name,
    Path,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
    State,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    ParentId,
    Name,
    Path,
    CreatedAt,
    RetiredAt,
}
