//! `kundenpuls mail test --to ADDRESS`: proves the mail set-up before a round depends on it.

use chrono::Utc;
use clap::Subcommand;

use crate::app::App;
use crate::mail::outbox;
use crate::mail::transport::Transport;
use crate::mail::worker::Mailer;
use crate::vocab::MailState;

#[derive(Subcommand)]
pub enum MailCommand {
    /// Send one test mail now and print what the server answered.
    Test {
        #[arg(long)]
        to: String,
    },
}

pub async fn run(app: &App, command: MailCommand) -> anyhow::Result<()> {
    let MailCommand::Test { to } = command;
    let transport = Transport::from_settings(&app.settings).map_err(anyhow::Error::msg)?;
    println!("sending through {}", transport.describe());
    let mail = outbox::enqueue_test(&app.db, &app.settings, &to, Utc::now()).await?;
    let mailer = Mailer::new(app.clone(), transport);
    mailer.deliver_one_now(mail.id, Utc::now()).await?;
    let row = outbox::find(&app.db, mail.id).await?;
    let reply = row.last_reply.unwrap_or_default();
    match row.state {
        MailState::Sent => {
            println!("sent to {to}: {reply}");
            Ok(())
        }
        state => {
            // A test mail that could not go out is not retried behind the operator's back.
            outbox::mark_cancelled(&app.db, mail.id, &reply).await?;
            anyhow::bail!("not sent ({state}): {reply}")
        }
    }
}
