//! The aggregates a round leaves when it closes (DECISIONS.md "Figures"): per round ×
//! department (its own members, not its subtree) the number of responses, the moments of the
//! respondents' pillar scores and a histogram per item. They add up, so a subtree is the sum of
//! its departments' rows and no report reads raw answers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResultGroups::Table)
                    .col(integer(ResultGroups::RoundId))
                    .col(integer(ResultGroups::DepartmentId))
                    // The invitation snapshot: participation is answered ÷ invited of the same.
                    .col(integer(ResultGroups::Invited))
                    .col(integer(ResultGroups::Responses))
                    // Responses with a comment: comment lists have their own threshold.
                    .col(integer(ResultGroups::Comments))
                    .primary_key(
                        Index::create()
                            .col(ResultGroups::RoundId)
                            .col(ResultGroups::DepartmentId),
                    )
                    .foreign_key(&mut round_fk("fk_result_groups_round", ResultGroups::Table))
                    .foreign_key(&mut department_fk(
                        "fk_result_groups_department",
                        ResultGroups::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResultPillars::Table)
                    .col(integer(ResultPillars::RoundId))
                    .col(integer(ResultPillars::DepartmentId))
                    .col(string_len(ResultPillars::Pillar, 32))
                    // core: the pillar's core items only (trends); round: every item asked.
                    .col(string_len(ResultPillars::Basis, 8))
                    .col(integer(ResultPillars::N))
                    .col(double(ResultPillars::Sum))
                    .col(double(ResultPillars::SumSq))
                    .primary_key(
                        Index::create()
                            .col(ResultPillars::RoundId)
                            .col(ResultPillars::DepartmentId)
                            .col(ResultPillars::Pillar)
                            .col(ResultPillars::Basis),
                    )
                    .foreign_key(&mut round_fk(
                        "fk_result_pillars_round",
                        ResultPillars::Table,
                    ))
                    .foreign_key(&mut department_fk(
                        "fk_result_pillars_department",
                        ResultPillars::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResultItems::Table)
                    .col(integer(ResultItems::RoundId))
                    .col(integer(ResultItems::DepartmentId))
                    .col(integer(ResultItems::QuestionId))
                    // Answers per (turned) value, lowest first, comma-separated: 5 numbers for
                    // a Likert item, 11 for the 0–10 item.
                    .col(string_len(ResultItems::Counts, 128))
                    .col(integer(ResultItems::CantJudge))
                    .primary_key(
                        Index::create()
                            .col(ResultItems::RoundId)
                            .col(ResultItems::DepartmentId)
                            .col(ResultItems::QuestionId),
                    )
                    .foreign_key(&mut round_fk("fk_result_items_round", ResultItems::Table))
                    .foreign_key(&mut department_fk(
                        "fk_result_items_department",
                        ResultItems::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_result_items_question")
                            .from(ResultItems::Table, ResultItems::QuestionId)
                            .to(Questions::Table, Questions::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ResultItems::Table.into_iden(),
            ResultPillars::Table.into_iden(),
            ResultGroups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn round_fk(name: &str, table: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, Alias::new("round_id"))
        .to(Rounds::Table, Rounds::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn department_fk(name: &str, table: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, Alias::new("department_id"))
        .to(Departments::Table, Departments::Id)
        .to_owned()
}

#[derive(DeriveIden)]
enum ResultGroups {
    Table,
    RoundId,
    DepartmentId,
    Invited,
    Responses,
    Comments,
}

#[derive(DeriveIden)]
enum ResultPillars {
    Table,
    RoundId,
    DepartmentId,
    Pillar,
    Basis,
    N,
    Sum,
    SumSq,
}

#[derive(DeriveIden)]
enum ResultItems {
    Table,
    RoundId,
    DepartmentId,
    QuestionId,
    Counts,
    CantJudge,
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
}
