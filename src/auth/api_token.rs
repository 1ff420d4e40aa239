//! API bearer tokens for `/api/v1`: shown once when created, stored only as a SHA-256 hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::{Principal, PrincipalKind};
use crate::entities::api_token;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::org::department;
use crate::problem::Problem;
use crate::vocab::Role;

/// Recognisable in logs and secret scanners, so a leaked token is spotted and revoked.
const PREFIX: &str = "kp_";

pub struct CreatedToken {
    /// The bearer token; it exists only in this value and is never stored.
    pub token: String,
    pub record: api_token::Model,
}

pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub async fn create(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
    department: Option<&str>,
) -> AppResult<CreatedToken> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::Unprocessable(Problem::new(
            "problem_token_name_missing",
        )));
    }
    let department_id = match department {
        None => None,
        Some(_) if role == Role::Admin => {
            return Err(AppError::Unprocessable(Problem::new(
                "problem_token_scope_for_admin",
            )));
        }
        Some(path) => Some(
            department::find_by_path(db, path)
                .await?
                .ok_or_else(|| {
                    AppError::Unprocessable(
                        Problem::new("staff_unknown_department").arg("path", path),
                    )
                })?
                .id,
        ),
    };
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let record = api_token::ActiveModel {
        name: Set(name.to_owned()),
        token_hash: Set(hash(&token)),
        role: Set(role),
        department_id: Set(department_id),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CreatedToken { token, record })
}

/// The principal behind a presented bearer token, if it is known and not revoked.
pub async fn authenticate(
    db: &DatabaseConnection,
    presented: &str,
    default_locale: Locale,
) -> AppResult<Option<Principal>> {
    if !presented.starts_with(PREFIX) {
        return Ok(None);
    }
    let Some(record) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(presented)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    // Recorded at minute precision: a write per API call would contend for SQLite's lock.
    if record
        .last_used_at
        .is_none_or(|used| now - used > Duration::minutes(1))
    {
        let mut active: api_token::ActiveModel = record.clone().into();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    Ok(Some(Principal {
        name: record.name,
        role: record.role,
        department_id: record.department_id,
        locale: default_locale,
        kind: PrincipalKind::Token,
    }))
}

/// A token as the admins' list shows it; the token itself is never stored, so never shown.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i32,
    pub name: String,
    pub role: Role,
    /// The department subtree a viewer token is limited to; none: the whole company.
    pub department: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    /// To the minute; none: never used.
    pub last_used_at: Option<chrono::DateTime<Utc>>,
    /// None: the token works.
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

/// Every token, working ones first, newest first.
pub async fn list(db: &DatabaseConnection) -> AppResult<Vec<TokenInfo>> {
    use sea_orm::QueryOrder;
    let tokens = api_token::Entity::find()
        .order_by_asc(api_token::Column::RevokedAt.is_not_null())
        .order_by_desc(api_token::Column::CreatedAt)
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?;
    let departments = department::all(db).await?;
    tokens
        .into_iter()
        .map(|token| {
            Ok(TokenInfo {
                role: token.role,
                department: token
                    .department_id
                    .and_then(|id| department::path_of(&departments, id)),
                id: token.id,
                name: token.name,
                created_at: token.created_at,
                last_used_at: token.last_used_at,
                revoked_at: token.revoked_at,
            })
        })
        .collect()
}

/// Revokes a token: the next request with it is refused, whichever instance it reaches.
/// Revoking a revoked token changes nothing; an unknown id is `NotFound`.
pub async fn revoke(db: &DatabaseConnection, id: i32) -> AppResult<TokenInfo> {
    use sea_orm::sea_query::Expr;
    let exists = api_token::Entity::find_by_id(id).one(db).await?.is_some();
    if !exists {
        return Err(AppError::NotFound);
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    list(db)
        .await?
        .into_iter()
        .find(|token| token.id == id)
        .ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
