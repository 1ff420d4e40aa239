//! The foundation schema.
//!
//! Anonymity is a property of this schema: `responses` and `answers` carry no column and no
//! foreign key that leads to an employee, an invitation or a token, and a response keeps only
//! the *date* it was submitted. Invitations know who was asked and whether they answered; they
//! never know what.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indices() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so foreign keys never dangle.
        let order: [DynIden; 15] = [
            Answers::Table.into_iden(),
            Responses::Table.into_iden(),
            Invitations::Table.into_iden(),
            RoundReminders::Table.into_iden(),
            RoundDepartments::Table.into_iden(),
            RoundQuestions::Table.into_iden(),
            Rounds::Table.into_iden(),
            ScheduleDepartments::Table.into_iden(),
            Schedules::Table.into_iden(),
            Questions::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            StaffUsers::Table.into_iden(),
            Employees::Table.into_iden(),
            Departments::Table.into_iden(),
            Settings::Table.into_iden(),
        ];
        for table in order {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

fn tables() -> Vec<TableCreateStatement> {
    use ForeignKeyAction::{Cascade, Restrict, SetNull};
    vec![
        // Deployment-wide values written once (generated secrets), shared by every instance.
        Table::create()
            .table(Settings::Table)
            .col(string(Settings::Key).primary_key())
            .col(text(Settings::Value))
            .to_owned(),
        Table::create()
            .table(Departments::Table)
            .col(pk_auto(Departments::Id))
            .col(integer_null(Departments::ParentId))
            .col(string(Departments::Name))
            // The full path ("Vertrieb / Innendienst") is how HR names a department in files.
            .col(string_uniq(Departments::Path))
            .col(timestamp_with_time_zone(Departments::CreatedAt))
            .col(timestamp_with_time_zone_null(Departments::RetiredAt))
            .foreign_key(&mut fk(
                "fk_departments_parent",
                (Departments::Table, Departments::ParentId),
                (Departments::Table, Departments::Id),
                Restrict,
            ))
            .to_owned(),
        Table::create()
            .table(Employees::Table)
            .col(pk_auto(Employees::Id))
            .col(string_uniq(Employees::Email))
            .col(string(Employees::Name))
            .col(integer(Employees::DepartmentId))
            .col(string_len(Employees::Locale, 2))
            .col(boolean(Employees::Active).default(true))
            .col(timestamp_with_time_zone(Employees::CreatedAt))
            .col(timestamp_with_time_zone(Employees::UpdatedAt))
            .foreign_key(&mut fk(
                "fk_employees_department",
                (Employees::Table, Employees::DepartmentId),
                (Departments::Table, Departments::Id),
                Restrict,
            ))
            .to_owned(),
        Table::create()
            .table(StaffUsers::Table)
            .col(pk_auto(StaffUsers::Id))
            .col(string_uniq(StaffUsers::Email))
            .col(string(StaffUsers::PasswordHash))
            .col(string_len(StaffUsers::Role, 16))
            // A viewer may be limited to one department subtree; NULL means the whole company.
            .col(integer_null(StaffUsers::DepartmentId))
            .col(string_len(StaffUsers::Locale, 2))
            .col(timestamp_with_time_zone(StaffUsers::CreatedAt))
            .col(timestamp_with_time_zone_null(StaffUsers::LastLoginAt))
            .foreign_key(&mut fk(
                "fk_staff_users_department",
                (StaffUsers::Table, StaffUsers::DepartmentId),
                (Departments::Table, Departments::Id),
                Restrict,
            ))
            .to_owned(),
        Table::create()
            .table(ApiTokens::Table)
            .col(pk_auto(ApiTokens::Id))
            .col(string(ApiTokens::Name))
            .col(string_uniq(ApiTokens::TokenHash))
            .col(string_len(ApiTokens::Role, 16))
            .col(integer_null(ApiTokens::DepartmentId))
            .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
            .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
            .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
            .foreign_key(&mut fk(
                "fk_api_tokens_department",
                (ApiTokens::Table, ApiTokens::DepartmentId),
                (Departments::Table, Departments::Id),
                Restrict,
            ))
            .to_owned(),
        Table::create()
            .table(Questions::Table)
            .col(pk_auto(Questions::Id))
            .col(string_uniq(Questions::Key))
            .col(string_len_null(Questions::Pillar, 32))
            .col(string_len(Questions::Scale, 16))
            .col(boolean(Questions::ReverseCoded).default(false))
            .col(boolean(Questions::Core).default(false))
            .col(text(Questions::TextDe))
            .col(text(Questions::TextEn))
            .col(boolean(Questions::Active).default(true))
            .col(integer(Questions::Position))
            .to_owned(),
        Table::create()
            .table(Schedules::Table)
            .col(pk_auto(Schedules::Id))
            .col(string(Schedules::Title))
            // The cadence (every N weeks, monthly, cron) as JSON: one column, many shapes.
            .col(text(Schedules::Cadence))
            .col(string_len(Schedules::Timezone, 64))
            .col(integer(Schedules::DurationMinutes))
            .col(integer(Schedules::PulseSize))
            .col(boolean(Schedules::Active).default(true))
            .col(timestamp_with_time_zone(Schedules::CreatedAt))
            .to_owned(),
        Table::create()
            .table(ScheduleDepartments::Table)
            .col(integer(ScheduleDepartments::ScheduleId))
            .col(integer(ScheduleDepartments::DepartmentId))
            .primary_key(
                Index::create()
                    .col(ScheduleDepartments::ScheduleId)
                    .col(ScheduleDepartments::DepartmentId),
            )
            .foreign_key(&mut fk(
                "fk_schedule_departments_schedule",
                (ScheduleDepartments::Table, ScheduleDepartments::ScheduleId),
                (Schedules::Table, Schedules::Id),
                Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_schedule_departments_department",
                (
                    ScheduleDepartments::Table,
                    ScheduleDepartments::DepartmentId,
                ),
                (Departments::Table, Departments::Id),
                Restrict,
            ))
            .to_owned(),
        Table::create()
            .table(Rounds::Table)
            .col(pk_auto(Rounds::Id))
            .col(string(Rounds::Title))
            .col(string_len(Rounds::State, 16))
            .col(timestamp_with_time_zone(Rounds::OpensAt))
            .col(timestamp_with_time_zone(Rounds::ClosesAt))
            .col(integer_null(Rounds::ScheduleId))
            // With schedule_id, unique per schedule: a restart or a second instance can never
            // create the same period's round twice.
            .col(string_len_null(Rounds::PeriodKey, 64))
            .col(timestamp_with_time_zone(Rounds::CreatedAt))
            .col(timestamp_with_time_zone_null(Rounds::ClosedAt))
            .col(timestamp_with_time_zone_null(Rounds::CancelledAt))
            .foreign_key(&mut fk(
                "fk_rounds_schedule",
                (Rounds::Table, Rounds::ScheduleId),
                (Schedules::Table, Schedules::Id),
                SetNull,
            ))
            .to_owned(),
        Table::create()
            .table(RoundQuestions::Table)
            .col(integer(RoundQuestions::RoundId))
            .col(integer(RoundQuestions::QuestionId))
            .col(integer(RoundQuestions::Position))
            .primary_key(
                Index::create()
                    .col(RoundQuestions::RoundId)
                    .col(RoundQuestions::QuestionId),
            )
            .foreign_key(&mut fk(
                "fk_round_questions_round",
                (RoundQuestions::Table, RoundQuestions::RoundId),
                (Rounds::Table, Rounds::Id),
                Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_round_questions_question",
                (RoundQuestions::Table, RoundQuestions::QuestionId),
                (Questions::Table, Questions::Id),
                Restrict,
            ))
            .to_owned(),
        // No rows for a round means the whole company is its target.
        Table::create()
            .table(RoundDepartments::Table)
            .col(integer(RoundDepartments::RoundId))
            .col(integer(RoundDepartments::DepartmentId))
            .primary_key(
                Index::create()
                    .col(RoundDepartments::RoundId)
                    .col(RoundDepartments::DepartmentId),
            )
            .foreign_key(&mut fk(
                "fk_round_departments_round",
                (RoundDepartments::Table, RoundDepartments::RoundId),
                (Rounds::Table, Rounds::Id),
                Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_round_departments_department",
                (RoundDepartments::Table, RoundDepartments::DepartmentId),
                (Departments::Table, Departments::Id),
                Restrict,
            ))
            .to_owned(),
        Table::create()
            .table(RoundReminders::Table)
            .col(pk_auto(RoundReminders::Id))
            .col(integer(RoundReminders::RoundId))
            .col(timestamp_with_time_zone(RoundReminders::RemindAt))
            .col(timestamp_with_time_zone_null(RoundReminders::DoneAt))
            .foreign_key(&mut fk(
                "fk_round_reminders_round",
                (RoundReminders::Table, RoundReminders::RoundId),
                (Rounds::Table, Rounds::Id),
                Cascade,
            ))
            .to_owned(),
        Table::create()
            .table(Invitations::Table)
            // A random UUID: the token is derived from it with the deployment's token key and
            // never stored; only its SHA-256 is, and only while the round is open.
            .col(string_len(Invitations::Id, 36).primary_key())
            .col(integer(Invitations::RoundId))
            .col(integer(Invitations::EmployeeId))
            // The employee's department when the round opened (a snapshot, not a live link).
            .col(integer(Invitations::DepartmentId))
            .col(string_len_null(Invitations::TokenHash, 64))
            .col(timestamp_with_time_zone_null(Invitations::SentAt))
            .col(integer(Invitations::RemindersSent).default(0))
            .col(boolean(Invitations::Answered).default(false))
            .foreign_key(&mut fk(
                "fk_invitations_round",
                (Invitations::Table, Invitations::RoundId),
                (Rounds::Table, Rounds::Id),
                Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_invitations_employee",
                (Invitations::Table, Invitations::EmployeeId),
                (Employees::Table, Employees::Id),
                Restrict,
            ))
            .foreign_key(&mut fk(
                "fk_invitations_department",
                (Invitations::Table, Invitations::DepartmentId),
                (Departments::Table, Departments::Id),
                Restrict,
            ))
            .to_owned(),
        Table::create()
            .table(Responses::Table)
            // Random, never a sequence: an id must not tell the order of submissions.
            .col(string_len(Responses::Id, 36).primary_key())
            .col(integer(Responses::RoundId))
            .col(integer(Responses::DepartmentId))
            .col(date(Responses::SubmittedOn))
            .foreign_key(&mut fk(
                "fk_responses_round",
                (Responses::Table, Responses::RoundId),
                (Rounds::Table, Rounds::Id),
                Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_responses_department",
                (Responses::Table, Responses::DepartmentId),
                (Departments::Table, Departments::Id),
                Restrict,
            ))
            .to_owned(),
        Table::create()
            .table(Answers::Table)
            .col(string_len(Answers::ResponseId, 36))
            .col(integer(Answers::QuestionId))
            // NULL value on a scored item means "can't judge".
            .col(integer_null(Answers::Value))
            .col(text_null(Answers::Text))
            .primary_key(
                Index::create()
                    .col(Answers::ResponseId)
                    .col(Answers::QuestionId),
            )
            .foreign_key(&mut fk(
                "fk_answers_response",
                (Answers::Table, Answers::ResponseId),
                (Responses::Table, Responses::Id),
                Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_answers_question",
                (Answers::Table, Answers::QuestionId),
                (Questions::Table, Questions::Id),
                Restrict,
            ))
            .to_owned(),
    ]
}

fn indices() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("ix_departments_parent")
            .table(Departments::Table)
            .col(Departments::ParentId)
            .to_owned(),
        Index::create()
            .name("ix_employees_department_active")
            .table(Employees::Table)
            .col(Employees::DepartmentId)
            .col(Employees::Active)
            .to_owned(),
        Index::create()
            .name("ux_rounds_schedule_period")
            .table(Rounds::Table)
            .col(Rounds::ScheduleId)
            .col(Rounds::PeriodKey)
            .unique()
            .to_owned(),
        Index::create()
            .name("ix_rounds_state_opens")
            .table(Rounds::Table)
            .col(Rounds::State)
            .col(Rounds::OpensAt)
            .to_owned(),
        Index::create()
            .name("ix_rounds_state_closes")
            .table(Rounds::Table)
            .col(Rounds::State)
            .col(Rounds::ClosesAt)
            .to_owned(),
        Index::create()
            .name("ix_round_reminders_due")
            .table(RoundReminders::Table)
            .col(RoundReminders::DoneAt)
            .col(RoundReminders::RemindAt)
            .to_owned(),
        Index::create()
            .name("ux_invitations_round_employee")
            .table(Invitations::Table)
            .col(Invitations::RoundId)
            .col(Invitations::EmployeeId)
            .unique()
            .to_owned(),
        // Several NULLs are allowed (erased hashes of closed rounds) on both databases.
        Index::create()
            .name("ux_invitations_token_hash")
            .table(Invitations::Table)
            .col(Invitations::TokenHash)
            .unique()
            .to_owned(),
        // Participation per department: answered ÷ invited of the same snapshot.
        Index::create()
            .name("ix_invitations_round_department")
            .table(Invitations::Table)
            .col(Invitations::RoundId)
            .col(Invitations::DepartmentId)
            .col(Invitations::Answered)
            .to_owned(),
        Index::create()
            .name("ix_invitations_employee")
            .table(Invitations::Table)
            .col(Invitations::EmployeeId)
            .to_owned(),
        Index::create()
            .name("ix_responses_round_department")
            .table(Responses::Table)
            .col(Responses::RoundId)
            .col(Responses::DepartmentId)
            .to_owned(),
        Index::create()
            .name("ix_answers_question")
            .table(Answers::Table)
            .col(Answers::QuestionId)
            .to_owned(),
    ]
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
pub(crate) enum Departments {
    Table,
    Id,
    ParentId,
    Name,
    Path,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Employees {
    Table,
    Id,
    Email,
    Name,
    DepartmentId,
    Locale,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffUsers {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    DepartmentId,
    Locale,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    TokenHash,
    Role,
    DepartmentId,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Questions {
    Table,
    Id,
    Key,
    Pillar,
    Scale,
    ReverseCoded,
    Core,
    TextDe,
    TextEn,
    Active,
    Position,
}

#[derive(DeriveIden)]
enum Schedules {
    Table,
    Id,
    Title,
    Cadence,
    Timezone,
    DurationMinutes,
    PulseSize,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ScheduleDepartments {
    Table,
    ScheduleId,
    DepartmentId,
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
    Title,
    State,
    OpensAt,
    ClosesAt,
    ScheduleId,
    PeriodKey,
    CreatedAt,
    ClosedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum RoundQuestions {
    Table,
    RoundId,
    QuestionId,
    Position,
}

#[derive(DeriveIden)]
enum RoundDepartments {
    Table,
    RoundId,
    DepartmentId,
}

#[derive(DeriveIden)]
enum RoundReminders {
    Table,
    Id,
    RoundId,
    RemindAt,
    DoneAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    RoundId,
    EmployeeId,
    DepartmentId,
    TokenHash,
    SentAt,
    RemindersSent,
    Answered,
}

#[derive(DeriveIden)]
enum Responses {
    Table,
    Id,
    RoundId,
    DepartmentId,
    SubmittedOn,
}

#[derive(DeriveIden)]
enum Answers {
    Table,
    ResponseId,
    QuestionId,
    Value,
    Text,
}
