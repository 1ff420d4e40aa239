//! An action's names in the reader's language, shared by the pages and the export: what it
//! answers, and the name of its status.

use crate::entities::question;
use crate::i18n::{Locale, fill, text};
use crate::vocab::{ActionStatus, Pillar};

use super::store::ActionRecord;

pub fn pillar_name(locale: Locale, pillar: Pillar) -> &'static str {
    text(locale, &format!("pillar_{pillar}"))
}

pub fn question_text(question: &question::Model, locale: Locale) -> &str {
    match locale {
        Locale::De => &question.text_de,
        Locale::En => &question.text_en,
    }
}

/// What the action answers, as the reader reads it.
pub fn subject(record: &ActionRecord, locale: Locale) -> String {
    match (&record.question, record.action.pillar) {
        (Some(question), _) => question_text(question, locale).to_owned(),
        (None, Some(pillar)) => fill(
            text(locale, "action_pillar_subject"),
            &[("pillar", pillar_name(locale, pillar))],
        ),
        (None, None) => String::new(),
    }
}

pub fn status_name(locale: Locale, status: ActionStatus) -> &'static str {
    text(locale, super::store::status_key(status))
}
