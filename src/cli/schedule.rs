//! `kundenpuls schedule …`: recurring rounds from a shell.

use chrono::{NaiveDate, NaiveTime, Utc, Weekday};
use clap::{ArgGroup, Args, Subcommand};

use super::round::split_list;
use crate::app::App;
use crate::survey::cadence::{Cadence, Ordinal};
use crate::survey::schedule::{self, ScheduleDraft};

#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Create a schedule: every N weeks, monthly on the first/…/last weekday, or a cron
    /// expression, at a local time in the company time zone.
    Create(CreateArgs),
    /// List schedules with their next three rounds.
    List,
    /// End a schedule; its rounds that have not opened are removed.
    Delete { id: i32 },
}

#[derive(Args)]
#[command(group(ArgGroup::new("rhythm").required(true).args(["every_weeks", "monthly", "cron"])))]
pub struct CreateArgs {
    #[arg(long)]
    title: String,
    /// Every N weeks (with --weekday and --time).
    #[arg(long)]
    every_weeks: Option<u32>,
    /// Monthly on the first, second, third, fourth or last --weekday.
    #[arg(long, value_parser = parse_ordinal)]
    monthly: Option<Ordinal>,
    /// A five-field cron expression, e.g. "0 9 * * MON".
    #[arg(long)]
    cron: Option<String>,
    /// mon, tue, … sun.
    #[arg(long, value_parser = parse_weekday)]
    weekday: Option<Weekday>,
    /// Local time, HH:MM.
    #[arg(long, value_parser = parse_time)]
    time: Option<NaiveTime>,
    /// First week counted by --every-weeks (YYYY-MM-DD); default today.
    #[arg(long)]
    start: Option<NaiveDate>,
    /// How long each round stays open: 14d, 2w, 36h.
    #[arg(long)]
    duration: String,
    /// Department paths, comma-separated; default: the whole company.
    #[arg(long)]
    departments: Vec<String>,
    #[arg(long)]
    pulse_size: Option<usize>,
    /// IANA time zone; default: the configured timezone.
    #[arg(long)]
    timezone: Option<String>,
}

fn parse_ordinal(value: &str) -> Result<Ordinal, String> {
    serde_json::from_value(serde_json::Value::String(value.trim().to_lowercase()))
        .map_err(|_| format!("`{value}`: first, second, third, fourth or last"))
}

fn parse_weekday(value: &str) -> Result<Weekday, String> {
    value
        .parse()
        .map_err(|_| format!("`{value}` is not a weekday (mon … sun)"))
}

fn parse_time(value: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(value.trim(), "%H:%M")
        .map_err(|_| format!("`{value}` is not a time HH:MM"))
}

impl CreateArgs {
    fn cadence(&self) -> anyhow::Result<Cadence> {
        if let Some(expression) = &self.cron {
            return Ok(Cadence::Cron {
                expression: expression.clone(),
            });
        }
        let weekday = self.weekday.ok_or_else(|| {
            anyhow::anyhow!("--weekday is needed with --every-weeks or --monthly")
        })?;
        let time = self
            .time
            .ok_or_else(|| anyhow::anyhow!("--time is needed with --every-weeks or --monthly"))?;
        Ok(match (self.every_weeks, self.monthly) {
            (Some(every_weeks), _) => Cadence::Weekly {
                every_weeks,
                weekday,
                time,
                start: self.start.unwrap_or_else(|| Utc::now().date_naive()),
            },
            (None, Some(ordinal)) => Cadence::Monthly {
                ordinal,
                weekday,
                time,
            },
            (None, None) => anyhow::bail!("choose --every-weeks, --monthly or --cron"),
        })
    }
}

pub async fn run(app: &App, command: ScheduleCommand) -> anyhow::Result<()> {
    let now = Utc::now();
    let locale = app.settings.default_locale;
    match command {
        ScheduleCommand::Create(args) => {
            let draft = ScheduleDraft {
                cadence: args.cadence()?,
                title: args.title,
                duration: args.duration,
                departments: split_list(&args.departments),
                pulse_size: args.pulse_size,
                timezone: args.timezone,
            };
            let mut view = schedule::create(&app.db, &app.settings, &draft, now).await?;
            crate::i18n::say_notes(app.settings.default_locale, &mut view.notes);
            for note in &view.notes {
                eprintln!("{}", note.text());
            }
            println!(
                "schedule {}: {} ({})",
                view.id,
                view.title,
                view.cadence.describe(locale)
            );
            println!("  next rounds open: {}", view.next.join(", "));
        }
        ScheduleCommand::List => {
            let schedules = schedule::list(&app.db, locale, now).await?;
            if schedules.is_empty() {
                println!("no schedules");
            }
            for view in schedules {
                println!(
                    "{:>4}  {}  ({}, open {} min, {} questions)",
                    view.id, view.title, view.cadence_text, view.duration_minutes, view.pulse_size
                );
                println!("      next: {}", view.next.join(", "));
            }
        }
        ScheduleCommand::Delete { id } => {
            let removed = schedule::delete(&app.db, id).await?;
            println!("schedule {id} ended; {removed} rounds that had not opened were removed");
        }
    }
    Ok(())
}
