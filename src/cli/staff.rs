//! `kundenpuls user …` and `kundenpuls token …`: staff accounts and API tokens from a shell,
//! for the first admin and for provisioning scripts.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context as _, bail};
use clap::Subcommand;

use crate::app::App;
use crate::auth::{api_token, password, staff};
use crate::i18n::Locale;
use crate::vocab::Role;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a staff user; the password is asked for (or read from standard input).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Limit a viewer to this department's subtree, e.g. "Vertrieb / Innendienst".
        #[arg(long)]
        department: Option<String>,
        /// Language of the user's pages and mail (de or en); default from the configuration.
        #[arg(long, value_parser = parse_locale)]
        locale: Option<Locale>,
    },
    /// List staff users: role, scope, state and last login.
    List,
    /// Give a user another role or scope; their sessions end.
    Set {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Limit a viewer to this department's subtree; without it the whole company.
        #[arg(long)]
        department: Option<String>,
    },
    /// Deactivate a user: logins are refused and open sessions end; the account stays.
    Deactivate {
        #[arg(long)]
        email: String,
    },
    /// Activate a deactivated user again.
    Reactivate {
        #[arg(long)]
        email: String,
    },
    /// Set a new password (asked for, or read from standard input); the user's sessions end.
    Password {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once; it cannot be shown again.
    Create {
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Limit a viewer token to this department's subtree.
        #[arg(long)]
        department: Option<String>,
        /// What the token is for, shown in logs and listings.
        #[arg(long, default_value = "api")]
        name: String,
    },
    /// List tokens: name, role, scope, created, last used, revoked.
    List,
    /// Revoke a token by its id (from `token list`); the next request with it is refused.
    Revoke { id: i32 },
}

/// Case and surrounding blanks do not matter on the command line.
fn parse_role(value: &str) -> Result<Role, String> {
    value
        .trim()
        .to_lowercase()
        .parse()
        .map_err(|err| format!("unknown role {err}"))
}

pub(super) fn parse_locale(value: &str) -> Result<Locale, String> {
    Locale::parse(value).ok_or_else(|| format!("unknown language `{value}` (de or en)"))
}

async fn user_by_email(app: &App, email: &str) -> anyhow::Result<i32> {
    Ok(staff::find_by_email(&app.db, email)
        .await?
        .with_context(|| format!("there is no staff user {}", crate::email::normalize(email)))?
        .id)
}

fn when(at: Option<chrono::DateTime<chrono::Utc>>, app: &App) -> String {
    at.map_or_else(
        || "never".to_owned(),
        // The CLI's one style: ISO with the zone, as `round list` prints it.
        |at| crate::local_time::format_local_with_zone(at, app.settings.timezone),
    )
}

pub async fn run_user(app: &App, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            email,
            role,
            department,
            locale,
        } => {
            let password = read_new_password(&email)?;
            let user = staff::add(
                &app.db,
                staff::NewStaffUser {
                    email: &email,
                    password: &password,
                    role,
                    department: department.as_deref(),
                    locale: locale.unwrap_or(app.settings.default_locale),
                },
            )
            .await?;
            println!("added {} {} (id {})", user.role, user.email, user.id);
        }
        UserCommand::List => {
            let accounts = staff::list(&app.db).await?;
            println!(
                "{:<5} {:<34} {:<7} {:<28} {:<12} last login",
                "id", "e-mail", "role", "scope", "state"
            );
            for account in accounts {
                println!(
                    "{:<5} {:<34} {:<7} {:<28} {:<12} {}",
                    account.id,
                    account.email,
                    account.role,
                    account.department.as_deref().unwrap_or("whole company"),
                    if account.active {
                        "active"
                    } else {
                        "deactivated"
                    },
                    when(account.last_login_at, app)
                );
            }
        }
        UserCommand::Set {
            email,
            role,
            department,
        } => {
            let id = user_by_email(app, &email).await?;
            let user = staff::change_role(&app.db, id, role, department.as_deref())
                .await?
                .map_err(crate::error::AppError::from)?;
            println!(
                "{} is now {}{}; their sessions have ended",
                user.email,
                user.role,
                department.map(|d| format!(" of {d}")).unwrap_or_default()
            );
        }
        UserCommand::Deactivate { email } => set_active(app, &email, false).await?,
        UserCommand::Reactivate { email } => set_active(app, &email, true).await?,
        UserCommand::Password { email } => {
            let id = user_by_email(app, &email).await?;
            let password = read_new_password(&email)?;
            let user = staff::set_password(&app.db, id, &password)
                .await?
                .map_err(crate::error::AppError::from)?;
            println!(
                "{} has a new password; their sessions have ended",
                user.email
            );
        }
    }
    Ok(())
}

async fn set_active(app: &App, email: &str, active: bool) -> anyhow::Result<()> {
    let id = user_by_email(app, email).await?;
    let user = staff::set_active(&app.db, id, active)
        .await?
        .map_err(crate::error::AppError::from)?;
    if active {
        println!("{} is active again", user.email);
    } else {
        println!("{} is deactivated; their sessions have ended", user.email);
    }
    Ok(())
}

pub async fn run_token(app: &App, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            role,
            department,
            name,
        } => {
            let created = api_token::create(&app.db, &name, role, department.as_deref()).await?;
            eprintln!(
                "created {} token `{}` (id {}); it is shown once, keep it safe:",
                created.record.role, created.record.name, created.record.id
            );
            println!("{}", created.token);
        }
        TokenCommand::List => {
            println!(
                "{:<5} {:<24} {:<7} {:<28} {:<17} {:<17} state",
                "id", "name", "role", "scope", "created", "last used"
            );
            for token in api_token::list(&app.db).await? {
                let state = match token.revoked_at {
                    Some(at) => format!("revoked {}", when(Some(at), app)),
                    None => "works".to_owned(),
                };
                println!(
                    "{:<5} {:<24} {:<7} {:<28} {:<17} {:<17} {state}",
                    token.id,
                    token.name,
                    token.role,
                    token.department.as_deref().unwrap_or("whole company"),
                    when(Some(token.created_at), app),
                    when(token.last_used_at, app),
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let token = api_token::revoke(&app.db, id)
                .await
                .map_err(|err| match err {
                    crate::error::AppError::NotFound => anyhow::anyhow!("there is no token {id}"),
                    other => anyhow::Error::msg(other),
                })?;
            println!("token {} `{}` is revoked", token.id, token.name);
        }
    }
    Ok(())
}

/// From a prompt (twice, hidden) on a terminal, or the first line of standard input otherwise,
/// so that provisioning scripts can pipe it in. Checked against the rules before anything else.
fn read_new_password(email: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            bail!("the passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    password::validate_new(&password, &[&crate::email::normalize(email)])
        .map_err(|problem| crate::error::AppError::Unprocessable(problem.problem()))?;
    Ok(password)
}
