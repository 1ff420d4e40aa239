//! Maßnahmen: what leadership does about a finding, and the dated log of everything that
//! happened to it. An action belongs to a department by its stable id (a reorganisation never
//! orphans it), names the round and the item or pillar it answers, and is written only with an
//! author in its log. Nothing here refers to an employee, an invitation or a response.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Actions::Table)
                    .col(pk_auto(Actions::Id))
                    .col(integer(Actions::DepartmentId))
                    .col(integer(Actions::RoundId))
                    .col(integer_null(Actions::QuestionId))
                    .col(string_null(Actions::Pillar))
                    .col(string(Actions::Title))
                    .col(text(Actions::Why))
                    .col(integer(Actions::OwnerId))
                    .col(date(Actions::DueOn))
                    .col(string(Actions::Status))
                    .col(boolean(Actions::Visible))
                    .col(text_null(Actions::Outcome))
                    .col(timestamp_with_time_zone(Actions::CreatedAt))
                    .col(timestamp_with_time_zone(Actions::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Actions::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_actions_department")
                            .from(Actions::Table, Actions::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_actions_round")
                            .from(Actions::Table, Actions::RoundId)
                            .to(Rounds::Table, Rounds::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_actions_question")
                            .from(Actions::Table, Actions::QuestionId)
                            .to(Questions::Table, Questions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_actions_owner")
                            .from(Actions::Table, Actions::OwnerId)
                            .to(StaffUsers::Table, StaffUsers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_actions_department_status")
                    .table(Actions::Table)
                    .col(Actions::DepartmentId)
                    .col(Actions::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActionEvents::Table)
                    .col(pk_auto(ActionEvents::Id))
                    .col(integer(ActionEvents::ActionId))
                    .col(timestamp_with_time_zone(ActionEvents::At))
                    .col(string(ActionEvents::Author))
                    .col(string(ActionEvents::Kind))
                    .col(string_null(ActionEvents::Status))
                    .col(text_null(ActionEvents::Note))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_action_events_action")
                            .from(ActionEvents::Table, ActionEvents::ActionId)
                            .to(Actions::Table, Actions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_action_events_action")
                    .table(ActionEvents::Table)
                    .col(ActionEvents::ActionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActionEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Actions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Actions {
    Table,
    Id,
    DepartmentId,
    RoundId,
    QuestionId,
    Pillar,
    Title,
    Why,
    OwnerId,
    DueOn,
    Status,
    Visible,
    Outcome,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum ActionEvents {
    Table,
    Id,
    ActionId,
    At,
    Author,
    Kind,
    Status,
    Note,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffUsers {
    Table,
    Id,
}
