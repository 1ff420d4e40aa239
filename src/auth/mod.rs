//! Who may do what: staff users, API tokens, roles and department scopes, and the throttle on
//! login attempts. Cookies and headers are the web layer's; the rules are here.

pub mod api_token;
pub mod password;
pub mod staff;
pub mod throttle;

use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::vocab::Role;

/// Whoever is making a request: a logged-in staff user or the holder of an API token.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Principal {
    /// The user's e-mail, or the token's name.
    pub name: String,
    pub role: Role,
    /// A viewer limited to this department's subtree; `None` is the whole company.
    pub department_id: Option<i32>,
    pub locale: Locale,
    pub kind: PrincipalKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Token,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins keep the organisation and run rounds; viewers only read.
    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_pass_the_admin_rule() {
        let mut principal = Principal {
            name: "hr@example.com".into(),
            role: Role::Admin,
            department_id: None,
            locale: Locale::De,
            kind: PrincipalKind::User,
        };
        assert!(principal.require_admin().is_ok());
        principal.role = Role::Viewer;
        assert!(matches!(
            principal.require_admin(),
            Err(AppError::Forbidden)
        ));
    }
}
