//! The question catalog as stored (seeded by a migration, keyed by a stable key).

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};
use serde::Serialize;

use crate::entities::question;
use crate::i18n::Locale;
use crate::vocab::{Pillar, Scale};

/// A question as shown to staff, with its text in one language.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    pub key: String,
    pub pillar: Option<Pillar>,
    pub scale: Scale,
    pub reverse_coded: bool,
    pub core: bool,
    pub active: bool,
    pub text: String,
}

impl QuestionView {
    pub fn new(question: &question::Model, locale: Locale) -> Self {
        QuestionView {
            key: question.key.clone(),
            pillar: question.pillar,
            scale: question.scale,
            reverse_coded: question.reverse_coded,
            core: question.core,
            active: question.active,
            text: match locale {
                Locale::De => question.text_de.clone(),
                Locale::En => question.text_en.clone(),
            },
        }
    }
}

/// The catalog as pages show it: items per pillar in the pillars' order, then the items
/// without a pillar (the 0–10 item and the comment).
#[derive(Debug, Clone, Serialize)]
pub struct Grouped {
    pub pillars: Vec<PillarGroup>,
    pub other: Vec<QuestionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PillarGroup {
    pub key: Pillar,
    pub questions: Vec<QuestionView>,
}

pub fn grouped(questions: &[question::Model], locale: Locale) -> Grouped {
    let views: Vec<QuestionView> = questions
        .iter()
        .map(|q| QuestionView::new(q, locale))
        .collect();
    let pillars = Pillar::EACH
        .into_iter()
        .map(|pillar| PillarGroup {
            key: pillar,
            questions: views
                .iter()
                .filter(|q| q.pillar == Some(pillar))
                .cloned()
                .collect(),
        })
        .collect();
    let other = views.into_iter().filter(|q| q.pillar.is_none()).collect();
    Grouped { pillars, other }
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<question::Model>, DbErr> {
    question::Entity::find()
        .order_by_asc(question::Column::Position)
        .all(db)
        .await
}
