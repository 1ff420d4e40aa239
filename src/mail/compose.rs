//! Building the messages: multipart plain text + HTML from `templates/mail/`, in the
//! recipient's language, with a stable Message-ID.

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use serde::Serialize;

use crate::config::Settings;
use crate::i18n::{self, Locale};
use crate::templates::Templates;
use crate::vocab::Scale;

/// What an invitation or reminder says about its round.
#[derive(Debug, Clone, Serialize)]
pub struct RoundInfo {
    pub title: String,
    /// The closing time, which the mail writes in the recipient's language.
    pub closes: DateTime<Utc>,
    /// The first question, offered in the HTML mail as one-click answers.
    pub first_question: Option<FirstQuestion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FirstQuestion {
    pub key: String,
    /// Never [`Scale::Text`]: a comment cannot be answered from the mail.
    pub scale: Scale,
    pub text_de: String,
    pub text_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    Reminder,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::Reminder => "reminder",
        }
    }
}

#[derive(Serialize)]
struct OneClick {
    value: u8,
    label: String,
    href: String,
}

/// The first question of the round with its one-click answers.
#[derive(Serialize)]
struct OneClickQuestion<'a> {
    text: &'a str,
    options: Vec<OneClick>,
    /// What the lowest and the highest answer mean.
    low: &'static str,
    high: &'static str,
}

/// `templates/mail/survey.txt` and `survey.html`.
#[derive(Serialize)]
struct SurveyMail<'a> {
    /// [`Kind::as_str`].
    kind: &'static str,
    subject: &'a str,
    name: &'a str,
    link: &'a str,
    closes: DateTime<Utc>,
    threshold: u32,
    privacy_link: String,
    question: Option<OneClickQuestion<'a>>,
    /// What leadership does in the recipient's department, a sentence each (invitations only).
    actions: &'a [String],
}

/// `templates/mail/test.txt`: nothing but its texts.
#[derive(Serialize)]
struct TestMail {}

pub struct Recipient<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub locale: Locale,
}

fn mailbox(recipient: &Recipient<'_>) -> Result<Mailbox, String> {
    let address = recipient
        .email
        .parse()
        .map_err(|err| format!("`{}` is not a mail address: {err}", recipient.email))?;
    Ok(Mailbox::new(Some(recipient.name.to_owned()), address))
}

/// An invitation or a reminder with the personal `link`; `actions`: what leadership does in the
/// recipient's department, said in their language.
#[allow(clippy::too_many_arguments)]
pub fn survey_mail(
    templates: &Templates,
    settings: &Settings,
    kind: Kind,
    recipient: &Recipient<'_>,
    round: &RoundInfo,
    link: &str,
    message_id: &str,
    actions: &[String],
) -> Result<Message, String> {
    let locale = recipient.locale;
    let subject_key = match kind {
        Kind::Invitation => "mail_invitation_subject",
        Kind::Reminder => "mail_reminder_subject",
    };
    let subject = i18n::text(locale, subject_key).replace("{title}", &round.title);
    let question = round.first_question.as_ref().map(|q| {
        let (values, low, high) = match q.scale {
            Scale::Nps11 => (
                0..=10u8,
                i18n::text(locale, "mail_nps_low"),
                i18n::text(locale, "mail_nps_high"),
            ),
            _ => (
                1..=5u8,
                i18n::text(locale, "survey_likert_low"),
                i18n::text(locale, "survey_likert_high"),
            ),
        };
        let options: Vec<OneClick> = values
            .map(|value| OneClick {
                value,
                label: value.to_string(),
                href: format!("{link}?q={}&v={value}", q.key),
            })
            .collect();
        OneClickQuestion {
            text: match locale {
                Locale::De => &q.text_de,
                Locale::En => &q.text_en,
            },
            options,
            low,
            high,
        }
    });
    let privacy_link = format!(
        "{}/privacy?lang={}",
        settings.base_url.as_str().trim_end_matches('/'),
        locale.as_str()
    );
    let ctx = SurveyMail {
        kind: kind.as_str(),
        subject: &subject,
        name: recipient.name,
        link,
        closes: round.closes,
        threshold: settings.anonymity_threshold,
        privacy_link,
        question,
        actions,
    };
    let text = templates
        .render("mail/survey.txt", locale, &ctx)
        .map_err(|err| format!("mail/survey.txt: {err}"))?;
    let html = templates
        .render("mail/survey.html", locale, &ctx)
        .map_err(|err| format!("mail/survey.html: {err}"))?;
    Message::builder()
        .from(settings.mail_from.clone())
        .to(mailbox(recipient)?)
        .subject(subject)
        .message_id(Some(message_id.to_owned()))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|err| format!("cannot build the message: {err}"))
}

/// A plain message proving the transport works (`kundenpuls mail test`).
pub fn test_mail(
    templates: &Templates,
    settings: &Settings,
    recipient: &Recipient<'_>,
    message_id: &str,
) -> Result<Message, String> {
    let text = templates
        .render("mail/test.txt", recipient.locale, TestMail {})
        .map_err(|err| format!("mail/test.txt: {err}"))?;
    Message::builder()
        .from(settings.mail_from.clone())
        .to(mailbox(recipient)?)
        .subject(i18n::text(recipient.locale, "mail_test_subject"))
        .message_id(Some(message_id.to_owned()))
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|err| format!("cannot build the message: {err}"))
}

/// A Message-ID that stays the same for every attempt at one outbox row.
pub fn new_message_id(settings: &Settings) -> String {
    let host = settings.base_url.host_str().unwrap_or("localhost");
    format!("<{}@{host}>", uuid::Uuid::new_v4())
}
