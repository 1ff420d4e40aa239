//! Seeds the question catalog (see `catalog.rs`). Inserting by key with "do nothing on
//! conflict" keeps the seed safe to run on a database where HR already edited questions.

use sea_orm_migration::prelude::*;

use crate::catalog::CATALOG;
use crate::m20261127_000001_schema::Questions;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut insert = Query::insert();
        insert.into_table(Questions::Table).columns([
            Questions::Key,
            Questions::Pillar,
            Questions::Scale,
            Questions::ReverseCoded,
            Questions::Core,
            Questions::TextDe,
            Questions::TextEn,
            Questions::Active,
            Questions::Position,
        ]);
        for (position, item) in CATALOG.iter().enumerate() {
            insert.values_panic([
                item.key.into(),
                item.pillar.map(str::to_owned).into(),
                item.scale.into(),
                item.reverse_coded.into(),
                item.core.into(),
                item.text_de.into(),
                item.text_en.into(),
                item.active.into(),
                <i32 as TryFrom<usize>>::try_from(position)
                    .expect("catalog fits in i32")
                    .into(),
            ]);
        }
        insert.on_conflict(OnConflict::column(Questions::Key).do_nothing().to_owned());
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let keys: Vec<&str> = CATALOG.iter().map(|item| item.key).collect();
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Questions::Table)
                    .and_where(Expr::col(Questions::Key).is_in(keys))
                    .to_owned(),
            )
            .await
    }
}
