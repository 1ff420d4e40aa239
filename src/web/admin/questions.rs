//! `/admin/questions`: the question catalog, by pillar, in the reader's language.

use rocket::{State, get};
use serde::Serialize;

use crate::app::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::survey::catalog::{self, PillarGroup, QuestionView};
use crate::templates::Templates;
use crate::web::csrf::CsrfToken;
use crate::web::guards::AdminUser;
use crate::web::page::Page;

/// `templates/pages/admin_questions.html`.
#[derive(Serialize)]
struct QuestionsPage<'a> {
    user: &'a Principal,
    csrf: &'a str,
    nav: &'static str,
    pillars: &'a [PillarGroup],
    other_questions: &'a [QuestionView],
    question_count: usize,
}

#[get("/admin/questions")]
pub async fn index(
    admin: AdminUser,
    csrf: CsrfToken,
    app: &State<App>,
    templates: &State<Templates>,
) -> AppResult<Page> {
    let principal = admin.0.principal;
    let locale = principal.locale;
    let catalog = catalog::all(&app.db).await?;
    let grouped = catalog::grouped(&catalog, locale);
    Page::render(
        templates,
        "admin_questions",
        locale,
        QuestionsPage {
            user: &principal,
            csrf: &csrf.0,
            nav: "questions",
            pillars: &grouped.pillars,
            other_questions: &grouped.other,
            question_count: catalog.len(),
        },
    )
}
