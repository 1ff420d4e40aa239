//! `kundenpuls round …`: HR's rounds from a shell.

use chrono::Utc;
use clap::Subcommand;

use crate::app::App;
use crate::lifecycle;
use crate::mail::pace::MailPace;
use crate::survey::round::{self, RoundDraft, RoundView};

#[derive(Subcommand)]
pub enum RoundCommand {
    /// Create a round. Times in the company time zone ("2027-03-01 09:00") or RFC 3339.
    Create {
        #[arg(long)]
        title: String,
        #[arg(long)]
        opens: String,
        #[arg(long)]
        closes: String,
        /// Department paths whose subtrees are asked, comma-separated (write `\,` for a comma
        /// inside a name); may be repeated. Default: the whole company.
        #[arg(long)]
        departments: Vec<String>,
        /// Question keys, comma-separated; default: an automatic pulse.
        #[arg(long, value_delimiter = ',')]
        questions: Vec<String>,
        /// Number of scored questions of the automatic pulse (default 8).
        #[arg(long)]
        pulse_size: Option<usize>,
    },
    /// List every round with its participation.
    List,
    /// Show one round.
    Show { id: i32 },
    /// A round's invitations: queued, sent, retrying, failed, and when the last one is expected
    /// to leave at the current pace (and whether the relay is holding the sending back).
    Status { id: i32 },
    /// Close an open round now.
    Close { id: i32 },
    /// Cancel a scheduled or open round; an open round's responses are deleted with it.
    Cancel {
        id: i32,
        /// The number of responses that will be deleted, as a confirmation.
        #[arg(long)]
        confirm: Option<u64>,
    },
}

/// Splits "A,B\,C" into ["A", "B,C"]: names may contain commas when escaped.
pub fn split_list(values: &[String]) -> Vec<String> {
    let mut items = Vec::new();
    for value in values {
        let mut current = String::new();
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&',') => {
                    current.push(',');
                    chars.next();
                }
                ',' => items.push(std::mem::take(&mut current)),
                other => current.push(other),
            }
        }
        items.push(current);
    }
    items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

pub async fn run(app: &App, command: RoundCommand) -> anyhow::Result<()> {
    let now = Utc::now();
    match command {
        RoundCommand::Create {
            title,
            opens,
            closes,
            departments,
            questions,
            pulse_size,
        } => {
            let draft = RoundDraft {
                title,
                opens_at: opens,
                closes_at: closes,
                departments: split_list(&departments),
                questions: (!questions.is_empty()).then_some(questions),
                pulse_size,
            };
            let mut view = lifecycle::create(app, &draft, now).await?;
            crate::i18n::say_notes(app.settings.default_locale, &mut view.notes);
            for note in &view.notes {
                eprintln!("{}", note.text());
            }
            print_detail(&view);
        }
        RoundCommand::List => {
            let rounds = round::list(&app.db, &app.settings).await?;
            if rounds.is_empty() {
                println!("no rounds yet");
            }
            println!(
                "{:>4}  {:<9}  {:<20}  {:<20}  {:>15}  title",
                "id", "state", "opens", "closes", "answered"
            );
            for view in rounds {
                println!(
                    "{:>4}  {:<9}  {:<20}  {:<20}  {:>15}  {}",
                    view.id,
                    view.state.as_str(),
                    view.opens_local,
                    view.closes_local,
                    format!(
                        "{}/{}",
                        shown(view.participation.answered),
                        shown(view.participation.invited)
                    ),
                    view.title
                );
            }
        }
        RoundCommand::Show { id } => {
            let view = round::get(&app.db, &app.settings, id).await?;
            print_detail(&view);
        }
        RoundCommand::Status { id } => {
            let view = round::get(&app.db, &app.settings, id).await?;
            let pace = crate::mail::pace::round_status(&app.db, &app.settings, id, now).await?;
            print_status(&view, &pace, app.settings.timezone);
        }
        RoundCommand::Close { id } => {
            let changed = lifecycle::close(app, id, now).await?;
            if !changed {
                anyhow::bail!("round {id} is not open");
            }
            println!("round {id} closed");
        }
        RoundCommand::Cancel { id, confirm } => {
            let cancelled = lifecycle::cancel(app, id, confirm, now).await?;
            println!(
                "round {} cancelled; {} responses deleted",
                cancelled.id, cancelled.responses_deleted
            );
        }
    }
    Ok(())
}

fn print_detail(view: &RoundView) {
    println!("round {}: {}", view.id, view.title);
    println!("  state:       {}", view.state.as_str());
    println!("  opens:       {}", view.opens_local);
    println!("  closes:      {}", view.closes_local);
    let target = if view.departments.is_empty() {
        "whole company".to_owned()
    } else {
        view.departments.join("; ")
    };
    println!("  target:      {target}");
    println!("  questions:   {}", view.questions.join(", "));
    println!("  reminders:   {}", view.reminders_local.join(", "));
    println!(
        "  answered:    {} of {} invited",
        shown(view.participation.answered),
        shown(view.participation.invited)
    );
}

/// A count that may be hidden: fewer invited than the anonymity threshold show "–".
fn shown(count: Option<u64>) -> String {
    count.map_or_else(|| "–".to_owned(), |n| n.to_string())
}

fn print_status(view: &RoundView, pace: &MailPace, tz: chrono_tz::Tz) {
    let local = |at| crate::local_time::format_local_with_zone(at, tz);
    println!(
        "round {}: {} ({})",
        view.id,
        view.title,
        view.state.as_str()
    );
    println!("  invitations queued:   {}", pace.queued);
    println!("  invitations sent:     {}", pace.sent);
    println!("  invitations retrying: {}", pace.retrying);
    println!("  invitations failed:   {}", pace.failed);
    let mut limits = Vec::new();
    if let Some(rate) = pace.rate_per_minute {
        limits.push(format!("{rate} a minute"));
    }
    if let Some(daily) = pace.daily_limit {
        limits.push(format!("{daily} a day"));
    }
    if limits.is_empty() {
        limits.push("none".into());
    }
    println!("  mail limits:          {}", limits.join(", "));
    if let (Some(rate), Some(current)) = (pace.rate_per_minute, pace.current_rate_per_minute)
        && current < f64::from(rate)
    {
        println!("  current pace:         {current:.1} a minute (slowed by the relay)");
    }
    match pace.expected_finish {
        Some(at) => println!("  last invitation:      expected to leave {}", local(at)),
        None => println!("  last invitation:      nothing left to send"),
    }
    if let Some(since) = pace.held_back_since {
        println!(
            "  held back by the relay since {}{}",
            local(since),
            pace.relay_reply
                .as_deref()
                .map(|reply| format!(": {reply}"))
                .unwrap_or_default()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::split_list;

    #[test]
    fn lists_split_on_commas_unless_escaped_and_may_repeat() {
        let items = split_list(&["Vertrieb, Service\\, Hotline".into(), "Technik".into()]);
        assert_eq!(items, vec!["Vertrieb", "Service, Hotline", "Technik"]);
    }
}
