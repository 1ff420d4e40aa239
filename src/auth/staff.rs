//! Staff users: HR admins and leadership viewers who log in with e-mail and password.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::password::PasswordProblem;
use super::{Principal, PrincipalKind, password};
use crate::email;
use crate::entities::staff_user;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::org::department;
use crate::problem::Problem;
use crate::vocab::Role;

pub struct NewStaffUser<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub role: Role,
    /// Path of the department subtree a viewer is limited to.
    pub department: Option<&'a str>,
    pub locale: Locale,
}

pub async fn add(db: &DatabaseConnection, new: NewStaffUser<'_>) -> AppResult<staff_user::Model> {
    let email = email::normalize(new.email);
    if !email::is_plausible(&email) {
        return Err(AppError::Unprocessable(
            Problem::new("problem_not_an_email").arg("email", new.email),
        ));
    }
    password::validate_new(new.password, &[&email])
        .map_err(|problem| AppError::Unprocessable(problem.problem()))?;
    let department_id = match new.department {
        None => None,
        Some(_) if new.role == Role::Admin => return Err(AccountProblem::ScopeForAdmin.into()),
        Some(path) => Some(
            department::find_by_path(db, path)
                .await?
                .ok_or_else(|| AccountProblem::UnknownDepartment(path.to_owned()))?
                .id,
        ),
    };
    if find_by_email(db, &email).await?.is_some() {
        return Err(AppError::Conflict(
            Problem::new("problem_staff_exists").arg("email", email),
        ));
    }
    let password_hash = hash_blocking(new.password.to_owned()).await?;
    let user = staff_user::ActiveModel {
        email: Set(email),
        password_hash: Set(password_hash),
        role: Set(new.role),
        department_id: Set(department_id),
        locale: Set(new.locale.as_str().to_owned()),
        created_at: Set(Utc::now()),
        last_login_at: Set(None),
        active: Set(true),
        session_version: Set(0),
        ..Default::default()
    };
    Ok(user.insert(db).await?)
}

pub async fn find_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> AppResult<Option<staff_user::Model>> {
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email::normalize(email)))
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
    // A deactivated account pays the same Argon2 time: the timing tells nobody its state.
    if !run_blocking(move || password::verify(&stored, &password)).await? || !user.active {
        return Ok(None);
    }
    let mut active: staff_user::ActiveModel = user.into();
    active.last_login_at = Set(Some(Utc::now()));
    Ok(Some(active.update(db).await?))
}

/// A staff account as the admins' list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffAccount {
    pub id: i32,
    pub email: String,
    pub role: Role,
    /// The department subtree a viewer is limited to, by id and path; none: the whole company.
    pub department_id: Option<i32>,
    pub department: Option<String>,
    pub locale: Locale,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// Every staff account, active ones first, then by e-mail.
pub async fn list(db: &DatabaseConnection) -> AppResult<Vec<StaffAccount>> {
    let users = staff_user::Entity::find()
        .order_by_desc(staff_user::Column::Active)
        .order_by_asc(staff_user::Column::Email)
        .all(db)
        .await?;
    let departments = department::all(db).await?;
    users
        .into_iter()
        .map(|user| {
            let principal = principal(&user, Locale::De)?;
            Ok(StaffAccount {
                department: user
                    .department_id
                    .and_then(|id| department::path_of(&departments, id)),
                id: user.id,
                email: user.email,
                role: principal.role,
                department_id: user.department_id,
                locale: principal.locale,
                active: user.active,
                created_at: user.created_at,
                last_login_at: user.last_login_at,
            })
        })
        .collect()
}

/// Why a change to an account is refused: HR's input, said to HR in their language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountProblem {
    /// The last active admin would lose the role or be deactivated: nobody could manage the
    /// service any more.
    LastAdmin,
    ScopeForAdmin,
    UnknownDepartment(String),
    Password(PasswordProblem),
    WrongCurrentPassword,
    /// The new password and its repetition differ.
    PasswordsDiffer,
}

impl AccountProblem {
    /// The key of the message in the pages' texts (`templates/i18n`).
    pub fn key(&self) -> &'static str {
        match self {
            AccountProblem::LastAdmin => "staff_last_admin",
            AccountProblem::ScopeForAdmin => "staff_scope_for_admin",
            AccountProblem::UnknownDepartment(_) => "staff_unknown_department",
            AccountProblem::Password(problem) => problem.key(),
            AccountProblem::WrongCurrentPassword => "password_wrong_current",
            AccountProblem::PasswordsDiffer => "password_repeat_differs",
        }
    }

    /// What is wrong, to be said in the reader's language.
    pub fn problem(&self) -> Problem {
        let problem = Problem::new(self.key());
        match self {
            AccountProblem::UnknownDepartment(path) => problem.arg("path", path),
            _ => problem,
        }
    }
}

impl std::fmt::Display for AccountProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountProblem::LastAdmin => f.write_str(
                "this is the last active admin: make another account admin first, so that \
                 someone can still manage the service",
            ),
            AccountProblem::ScopeForAdmin => {
                f.write_str("a department scope is for viewers; admins see the whole company")
            }
            AccountProblem::UnknownDepartment(path) => write!(f, "unknown department `{path}`"),
            AccountProblem::Password(problem) => problem.fmt(f),
            AccountProblem::WrongCurrentPassword => f.write_str("the current password is wrong"),
            AccountProblem::PasswordsDiffer => f.write_str("the passwords differ"),
        }
    }
}

impl From<AccountProblem> for AppError {
    fn from(problem: AccountProblem) -> Self {
        match problem {
            AccountProblem::LastAdmin => AppError::Conflict(problem.problem()),
            other => AppError::Unprocessable(other.problem()),
        }
    }
}

/// What a change did not do because of HR's input (outer: the database failed).
pub type Changed<T> = AppResult<Result<T, AccountProblem>>;

/// Reads an account for a change, with the active admins locked on PostgreSQL (on SQLite the
/// write transaction holds the database): two admins demoting each other at the same moment
/// cannot leave the service without one.
async fn lock_for_change(
    txn: &impl ConnectionTrait,
    id: i32,
) -> AppResult<(staff_user::Model, u64)> {
    let mut admins = staff_user::Entity::find()
        .select_only()
        .column(staff_user::Column::Id)
        .filter(staff_user::Column::Role.eq(Role::Admin))
        .filter(staff_user::Column::Active.eq(true));
    if txn.get_database_backend() == DbBackend::Postgres {
        admins = admins.lock_exclusive();
    }
    let admins: Vec<i32> = admins.into_tuple().all(txn).await?;
    let user = staff_user::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((user, admins.len() as u64))
}

/// Applies `change` to the account in one write transaction, with the active admins locked
/// (`change` sees how many there are); `change` says what to write, or why not.
async fn change_locked(
    db: &DatabaseConnection,
    id: i32,
    change: impl FnOnce(&staff_user::Model, u64) -> Result<staff_user::ActiveModel, AccountProblem>,
) -> Changed<staff_user::Model> {
    let txn = crate::db::begin_write(db).await?;
    let (user, admins) = lock_for_change(&txn, id).await?;
    let active = match change(&user, admins) {
        Ok(active) => active,
        Err(problem) => return Ok(Err(problem)),
    };
    let user = active.update(&txn).await?;
    txn.commit().await?;
    Ok(Ok(user))
}

fn is_active_admin(user: &staff_user::Model) -> bool {
    user.active && user.role == Role::Admin
}

/// Every session of the account ends: the next request with an earlier cookie is refused.
fn next_session(active: &mut staff_user::ActiveModel, user: &staff_user::Model) {
    active.session_version = Set(user.session_version.wrapping_add(1));
}

/// Gives an account another role or scope (`department`: a path for viewers; `None` is the
/// whole company). Its sessions end, so that the new rights apply from the next login.
pub async fn change_role(
    db: &DatabaseConnection,
    id: i32,
    role: Role,
    department: Option<&str>,
) -> Changed<staff_user::Model> {
    let department_id = match department.map(str::trim).filter(|path| !path.is_empty()) {
        None => None,
        Some(_) if role == Role::Admin => return Ok(Err(AccountProblem::ScopeForAdmin)),
        Some(path) => match department::find_by_path(db, path).await? {
            Some(found) => Some(found.id),
            None => return Ok(Err(AccountProblem::UnknownDepartment(path.to_owned()))),
        },
    };
    change_locked(db, id, |user, admins| {
        if is_active_admin(user) && role != Role::Admin && admins <= 1 {
            return Err(AccountProblem::LastAdmin);
        }
        let changed = user.role != role || user.department_id != department_id;
        let mut active: staff_user::ActiveModel = user.clone().into();
        active.role = Set(role);
        active.department_id = Set(department_id);
        if changed {
            next_session(&mut active, user);
        }
        Ok(active)
    })
    .await
}

/// Deactivates an account (its logins are refused and its sessions end; it keeps its history)
/// or activates it again.
pub async fn set_active(
    db: &DatabaseConnection,
    id: i32,
    active_now: bool,
) -> Changed<staff_user::Model> {
    change_locked(db, id, |user, admins| {
        if !active_now && is_active_admin(user) && admins <= 1 {
            return Err(AccountProblem::LastAdmin);
        }
        let mut active: staff_user::ActiveModel = user.clone().into();
        active.active = Set(active_now);
        next_session(&mut active, user);
        Ok(active)
    })
    .await
}

/// Sets a new password (an admin's reset, or the user's own change after [`check_password`]).
/// Every session of the account ends.
pub async fn set_password(
    db: &DatabaseConnection,
    id: i32,
    new: &str,
) -> Changed<staff_user::Model> {
    let user = find(db, id).await?.ok_or(AppError::NotFound)?;
    if let Err(problem) = password::validate_new(new, &[&user.email]) {
        return Ok(Err(AccountProblem::Password(problem)));
    }
    let hash = hash_blocking(new.to_owned()).await?;
    let updated = raise_session_version(id)
        .col_expr(staff_user::Column::PasswordHash, Expr::value(hash))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(Ok(find(db, id).await?.ok_or(AppError::NotFound)?))
}

/// Whether `current` is the account's password (before the user may set a new one).
pub async fn check_password(user: &staff_user::Model, current: &str) -> AppResult<bool> {
    let (stored, current) = (user.password_hash.clone(), current.to_owned());
    run_blocking(move || password::verify(&stored, &current)).await
}

/// Ends every session of the account (logout): a copy of the cookie is worth nothing after.
pub async fn end_sessions(db: &DatabaseConnection, id: i32) -> AppResult<()> {
    raise_session_version(id).exec(db).await?;
    Ok(())
}

/// The update that ends every session of the account `id` (one statement, so that two at
/// once both count).
fn raise_session_version(id: i32) -> sea_orm::UpdateMany<staff_user::Entity> {
    staff_user::Entity::update_many()
        .col_expr(
            staff_user::Column::SessionVersion,
            Expr::col(staff_user::Column::SessionVersion).add(1),
        )
        .filter(staff_user::Column::Id.eq(id))
}

pub fn principal(user: &staff_user::Model, default_locale: Locale) -> AppResult<Principal> {
    Ok(Principal {
        name: user.email.clone(),
        role: user.role,
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
