use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Writes `key` unless a row for it exists; `true` when this call wrote it. Whoever comes
/// second (another instance, another command) leaves the first value standing.
pub async fn insert_if_absent(
    db: &impl ConnectionTrait,
    key: &str,
    value: String,
) -> Result<bool, DbErr> {
    let inserted = Entity::insert(ActiveModel {
        key: sea_orm::ActiveValue::Set(key.to_owned()),
        value: sea_orm::ActiveValue::Set(value),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(rows) => Ok(rows > 0),
        // sea-orm reports a conflict that inserted nothing as this error on some backends.
        Err(DbErr::RecordNotInserted) => Ok(false),
        Err(err) => Err(err),
    }
}
