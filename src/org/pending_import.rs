//! An uploaded file between HR's preview and confirmation. The preview is a dry run of the real
//! import; confirming applies exactly the file that was previewed, from any instance.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::entities::pending_import;
use crate::error::{AppError, AppResult};

/// A preview not confirmed within this time is dropped: the organisation may have changed.
pub const LIFETIME_MINUTES: i64 = 60;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PendingOptions {
    pub deactivate_missing: bool,
    pub renames: Vec<(String, String)>,
    /// How to read the file (kept so that confirming reads it exactly as previewed).
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub sheet: Option<String>,
    #[serde(default)]
    pub mapping: Vec<(String, String)>,
    #[serde(default)]
    pub declared: Option<crate::org::import::DeclaredFormat>,
}

pub struct Pending {
    pub file_name: String,
    pub content: Vec<u8>,
    pub options: PendingOptions,
}

pub async fn keep(
    db: &DatabaseConnection,
    staff_user_id: i32,
    file_name: &str,
    content: Vec<u8>,
    options: &PendingOptions,
    now: DateTime<Utc>,
) -> AppResult<String> {
    pending_import::Entity::delete_many()
        .filter(pending_import::Column::CreatedAt.lt(now - Duration::minutes(LIFETIME_MINUTES)))
        .exec(db)
        .await?;
    let id = uuid::Uuid::new_v4().to_string();
    pending_import::ActiveModel {
        id: Set(id.clone()),
        staff_user_id: Set(staff_user_id),
        file_name: Set(file_name.to_owned()),
        content: Set(content),
        options: Set(serde_json::to_string(options).map_err(AppError::internal)?),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// The pending file `id` of this user, if it has not expired.
pub async fn find(
    db: &DatabaseConnection,
    id: &str,
    staff_user_id: i32,
    now: DateTime<Utc>,
) -> AppResult<Option<Pending>> {
    let Some(record) = pending_import::Entity::find_by_id(id.to_owned())
        .filter(pending_import::Column::StaffUserId.eq(staff_user_id))
        .filter(pending_import::Column::CreatedAt.gte(now - Duration::minutes(LIFETIME_MINUTES)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Pending {
        file_name: record.file_name,
        content: record.content,
        options: serde_json::from_str(&record.options).map_err(AppError::internal)?,
    }))
}

/// A previewed file of one user that has not been applied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub id: String,
    pub file_name: String,
    /// When the preview is dropped unless applied.
    pub expires_at: DateTime<Utc>,
}

/// This user's previewed files that can still be applied, the newest first.
pub async fn waiting(
    db: &DatabaseConnection,
    staff_user_id: i32,
    now: DateTime<Utc>,
) -> AppResult<Vec<Waiting>> {
    let records: Vec<(String, String, DateTime<Utc>)> = pending_import::Entity::find()
        .select_only()
        .column(pending_import::Column::Id)
        .column(pending_import::Column::FileName)
        .column(pending_import::Column::CreatedAt)
        .filter(pending_import::Column::StaffUserId.eq(staff_user_id))
        .filter(pending_import::Column::CreatedAt.gte(now - Duration::minutes(LIFETIME_MINUTES)))
        .order_by_desc(pending_import::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?;
    Ok(records
        .into_iter()
        .map(|(id, file_name, created_at)| Waiting {
            id,
            file_name,
            expires_at: created_at + Duration::minutes(LIFETIME_MINUTES),
        })
        .collect())
}

pub async fn discard(db: &DatabaseConnection, id: &str) -> AppResult<()> {
    pending_import::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}
