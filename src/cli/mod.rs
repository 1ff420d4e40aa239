//! The command line: the same services as the web, for operators and HR scripts.

mod demo;
mod import;
mod mail;
mod round;
mod schedule;
mod staff;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use rocket::figment::Figment;

use crate::app::App;
use crate::config::{MIN_ANONYMITY_THRESHOLD, Settings};
use crate::error::AppError;
use crate::i18n::{self, Locale};
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
    User(staff::UserCommand),
    /// API bearer tokens for /api/v1.
    #[command(subcommand)]
    Token(staff::TokenCommand),
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
    let locale = settings.default_locale;
    let result = rocket::execute(run(
        cli.command.unwrap_or(Command::Serve),
        settings,
        figment,
    ));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kundenpuls: {}", say(&err, locale));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, what the user did wrong in `default_locale`.
fn say(err: &anyhow::Error, locale: Locale) -> String {
    err.chain()
        .map(
            |cause| match cause.downcast_ref::<AppError>().and_then(AppError::problem) {
                Some(problem) => i18n::problem(locale, problem),
                None => cause.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join(": ")
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
        Command::User(command) => {
            let app = App::start(settings).await?;
            staff::run_user(&app, command).await
        }
        Command::Token(command) => {
            let app = App::start(settings).await?;
            staff::run_token(&app, command).await
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
