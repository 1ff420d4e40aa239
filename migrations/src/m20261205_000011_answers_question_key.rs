//! An answer's question is no longer a foreign key.
//!
//! The key checked every answer row as it was written: on PostgreSQL a query per row that also
//! locks the question's row (`FOR KEY SHARE`), nine of them per submission. That check was 28 %
//! of the time of writing the answers (2.8 µs a row, measured: 18,000 answers in 90 ms without it,
//! 140–164 ms with it) and dropping it raised the complete submissions by a tenth and the posts
//! alone by a quarter (docs/BENCHMARKS.md, issue #19). It guaranteed less than what holds
//! without it: an answer is written only for an item of its response's round (the writer takes
//! the round's items, and the rewrites copy stored answers), a round's questions are held by
//! `round_questions` (`ON DELETE RESTRICT`), and no code deletes a question. The key from an
//! answer to its response stays: it is what deletes the answers with their response.
//!
//! PostgreSQL drops the constraint; SQLite, which cannot drop one, rebuilds the table with the
//! same columns, primary key and index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const KEY: &str = "fk_answers_question";

/// The table as the first migration made it, with or without the question's key: the
/// statements that rebuild it on SQLite.
fn sqlite_rebuild(with_question_key: bool) -> [String; 5] {
    let question_key = if with_question_key {
        ", FOREIGN KEY (\"question_id\") REFERENCES \"questions\" (\"id\") \
         ON DELETE RESTRICT ON UPDATE CASCADE"
    } else {
        ""
    };
    [
        format!(
            "CREATE TABLE \"answers_rebuilt\" ( \"response_id\" varchar(36) NOT NULL, \
             \"question_id\" integer NOT NULL, \"value\" integer NULL, \"text\" text NULL, \
             PRIMARY KEY (\"response_id\", \"question_id\"), FOREIGN KEY (\"response_id\") \
             REFERENCES \"responses\" (\"id\") ON DELETE CASCADE ON UPDATE CASCADE{question_key} )"
        ),
        "INSERT INTO \"answers_rebuilt\" (\"response_id\", \"question_id\", \"value\", \"text\") \
         SELECT \"response_id\", \"question_id\", \"value\", \"text\" FROM \"answers\""
            .to_owned(),
        "DROP TABLE \"answers\"".to_owned(),
        "ALTER TABLE \"answers_rebuilt\" RENAME TO \"answers\"".to_owned(),
        "CREATE INDEX \"ix_answers_question\" ON \"answers\" (\"question_id\")".to_owned(),
    ]
}

async fn rebuild_on_sqlite(
    manager: &SchemaManager<'_>,
    with_question_key: bool,
) -> Result<(), DbErr> {
    for statement in sqlite_rebuild(with_question_key) {
        manager
            .get_connection()
            .execute_unprepared(&statement)
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (where migrations run outside a transaction by default):
    /// a rebuild stopped half-way would leave the answers in a table of another name. And one
    /// transaction is one connection, whose view of the schema follows each step.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                rebuild_on_sqlite(manager, false).await?;
            }
            _ => {
                manager
                    .drop_foreign_key(
                        ForeignKey::drop()
                            .name(KEY)
                            .table(Answers::Table)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                rebuild_on_sqlite(manager, true).await?;
            }
            _ => {
                manager
                    .create_foreign_key(
                        ForeignKey::create()
                            .name(KEY)
                            .from(Answers::Table, Answers::QuestionId)
                            .to(Questions::Table, Questions::Id)
                            .on_delete(ForeignKeyAction::Restrict)
                            .on_update(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Answers {
    Table,
    QuestionId,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
}
