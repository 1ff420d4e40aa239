//! The command line: the same services as the web, for operators and HR scripts.

mod demo;
mod import;
mod mail;
mod round;
mod schedule;

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use rocket::figment::Figment;

use crate::app::App;
use crate::auth::{Role, api_token, staff};
use crate::config::{MIN_ANONYMITY_THRESHOLD, Settings};
use crate::i18n::Locale;
use crate::{db, scheduler, telemetry, web};

#[derive(Parser)]
#[command(
    name = "kundenpuls",
    version,
    about = "Pulse surveys on customer centricity, from the inside."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (the default); applies pending migrations first.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Staff users (HR admins, leadership viewers).
    #[command(subcommand)]
    User(UserCommand),
    /// API bearer tokens for /api/v1.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Survey rounds: create, list, show, close, cancel.
    #[command(subcommand)]
    Round(round::RoundCommand),
    /// Import HR's data.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Mail: check the set-up.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Print the OpenAPI document of /api/v1 (also served at /api/v1/openapi.json).
    Openapi,
    /// Recurring rounds: create, list, delete.
    #[command(subcommand)]
    Schedule(schedule::ScheduleCommand),
    /// Fill an empty database with a made-up company and a year of results; prints a login.
    Demo(demo::DemoArgs),
}

#[derive(Subcommand)]
enum UserCommand {
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
}

#[derive(Subcommand)]
enum TokenCommand {
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
}

fn parse_role(value: &str) -> Result<Role, String> {
    value.parse()
}

fn parse_locale(value: &str) -> Result<Locale, String> {
    Locale::parse(value).ok_or_else(|| format!("unknown language `{value}` (de or en)"))
}

pub fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    let figment = rocket::Config::figment();
    let settings = match Settings::from_figment(&figment) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("kundenpuls: {err}");
            return ExitCode::from(2);
        }
    };
    let result = rocket::execute(run(
        cli.command.unwrap_or(Command::Serve),
        settings,
        figment,
    ));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kundenpuls: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings, figment: Figment) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(settings, figment).await,
        Command::Mail(command) => {
            let app = App::start(settings).await?;
            mail::run(&app, command).await
        }
        Command::Openapi => {
            println!("{}", web::api::openapi::document().1);
            Ok(())
        }
        Command::Migrate => {
            let db = db::connect(&settings.database_url).await?;
            db::migrate(&db).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::User(UserCommand::Add {
            email,
            role,
            department,
            locale,
        }) => {
            let app = App::start(settings).await?;
            let password = read_new_password()?;
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
            .await
            .map_err(anyhow::Error::msg)?;
            println!("added {} {} (id {})", user.role, user.email, user.id);
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            role,
            department,
            name,
        }) => {
            let app = App::start(settings).await?;
            let created = api_token::create(&app.db, &name, role, department.as_deref())
                .await
                .map_err(anyhow::Error::msg)?;
            eprintln!(
                "created {} token `{}` (id {}); it is shown once, keep it safe:",
                created.record.role, created.record.name, created.record.id
            );
            println!("{}", created.token);
            Ok(())
        }
        Command::Round(command) => {
            let app = App::start(settings).await?;
            round::run(&app, command).await
        }
        Command::Import(command) => {
            let app = App::start(settings).await?;
            import::run(&app, command).await
        }
        Command::Schedule(command) => {
            let app = App::start(settings).await?;
            schedule::run(&app, command).await
        }
        Command::Demo(args) => {
            let app = App::start(settings).await?;
            demo::run(&app, args).await
        }
    }
}

async fn serve(settings: Settings, figment: Figment) -> anyhow::Result<()> {
    if settings.anonymity_threshold < 5 {
        tracing::warn!(
            anonymity_threshold = settings.anonymity_threshold,
            minimum = MIN_ANONYMITY_THRESHOLD,
            "anonymity threshold below the recommended 5: groups this small are reported"
        );
    }
    match &settings.smtp_url {
        Some(_) if settings.mail_from_is_default => tracing::warn!(
            "smtp_url is set but mail_from is not: mail goes out from {}",
            settings.mail_from
        ),
        Some(_) => tracing::info!("mail goes out through SMTP"),
        None => {
            tracing::info!(dir = %settings.mail_dir.display(), "no smtp_url: mail is written as .eml files")
        }
    }
    tracing::info!(database = %crate::app::redact_url(&settings.database_url), "opening the database");
    let app = App::start(settings).await?;
    let transport = crate::mail::transport::Transport::from_settings(&app.settings)
        .map_err(|err| anyhow::anyhow!("smtp_url: {err}"))?;
    let mailer = tokio::spawn(crate::mail::worker::Mailer::new(app.clone(), transport).run());
    let scheduler = tokio::spawn(scheduler::run(app.clone()));
    let served = web::build(app, figment).launch().await;
    scheduler.abort();
    mailer.abort();
    served.context("the web server stopped")?;
    Ok(())
}

/// From a prompt (twice, hidden) on a terminal, or the first line of standard input otherwise,
/// so that provisioning scripts can pipe it in.
fn read_new_password() -> anyhow::Result<String> {
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
    crate::auth::password::validate_new(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}
