//! Staff users: HR admins and leadership viewers who log in with e-mail and password.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::{Principal, PrincipalKind, Role, password};
use crate::entities::staff_user;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::org::department;

pub struct NewStaffUser<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub role: Role,
    /// Path of the department subtree a viewer is limited to.
    pub department: Option<&'a str>,
    pub locale: Locale,
}

/// E-mail addresses compare case-insensitively; this is the form that is stored.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub(crate) fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

pub async fn add(db: &DatabaseConnection, new: NewStaffUser<'_>) -> AppResult<staff_user::Model> {
    let email = normalize_email(new.email);
    if !is_plausible_email(&email) {
        return Err(AppError::Unprocessable(format!(
            "`{}` is not an e-mail address",
            new.email
        )));
    }
    password::validate_new(new.password).map_err(AppError::Unprocessable)?;
    let department_id = match new.department {
        None => None,
        Some(_) if new.role == Role::Admin => {
            return Err(AppError::Unprocessable(
                "a department scope is for viewers; admins see the whole company".into(),
            ));
        }
        Some(path) => Some(
            department::find_by_path(db, path)
                .await?
                .ok_or_else(|| AppError::Unprocessable(format!("unknown department `{path}`")))?
                .id,
        ),
    };
    if find_by_email(db, &email).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "a staff user {email} exists already"
        )));
    }
    let password_hash = hash_blocking(new.password.to_owned()).await?;
    let user = staff_user::ActiveModel {
        email: Set(email),
        password_hash: Set(password_hash),
        role: Set(new.role.as_str().to_owned()),
        department_id: Set(department_id),
        locale: Set(new.locale.as_str().to_owned()),
        created_at: Set(Utc::now()),
        last_login_at: Set(None),
        ..Default::default()
    };
    Ok(user.insert(db).await?)
}

pub async fn find_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> AppResult<Option<staff_user::Model>> {
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?)
}

pub async fn find(db: &DatabaseConnection, id: i32) -> AppResult<Option<staff_user::Model>> {
    Ok(staff_user::Entity::find_by_id(id).one(db).await?)
}

/// The user whose e-mail and password match, with the login recorded. Unknown e-mails cost the
/// same time as wrong passwords.
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
) -> AppResult<Option<staff_user::Model>> {
    let user = find_by_email(db, email).await?;
    let password = password.to_owned();
    let Some(user) = user else {
        run_blocking(move || password::verify_nothing(&password)).await?;
        return Ok(None);
    };
    let stored = user.password_hash.clone();
    if !run_blocking(move || password::verify(&stored, &password)).await? {
        return Ok(None);
    }
    let mut active: staff_user::ActiveModel = user.into();
    active.last_login_at = Set(Some(Utc::now()));
    Ok(Some(active.update(db).await?))
}

pub fn principal(user: &staff_user::Model, default_locale: Locale) -> AppResult<Principal> {
    Ok(Principal {
        name: user.email.clone(),
        role: user
            .role
            .parse()
            .map_err(|err: String| AppError::internal(anyhow::anyhow!(err)))?,
        department_id: user.department_id,
        locale: Locale::parse(&user.locale).unwrap_or(default_locale),
        kind: PrincipalKind::User,
    })
}

async fn hash_blocking(password: String) -> AppResult<String> {
    run_blocking(move || password::hash(&password)).await
}

/// Argon2 is deliberately slow CPU work; it must not stall the async workers.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_in_lower_case() {
        assert_eq!(
            normalize_email("  Anna.Schmidt@Example.DE "),
            "anna.schmidt@example.de"
        );
    }

    #[test]
    fn implausible_emails_are_spotted() {
        assert!(is_plausible_email("hr@example.de"));
        for bad in [
            "hr",
            "@example.de",
            "hr@example",
            "hr@.de",
            "h r@example.de",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}
