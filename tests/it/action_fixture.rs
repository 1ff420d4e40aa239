//! What the tests of Maßnahmen share, on the pages (`actions`) and over the API
//! (`actions_api`): a company whose sales department fell, staff of its parts, and actions
//! started directly through the store.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use kundenpuls::action::Who;
use kundenpuls::action::rules::Subject;
use kundenpuls::action::store::{Limits, NewAction};
use kundenpuls::auth::staff;
use kundenpuls::entities::{action, staff_user};
use kundenpuls::i18n::Locale;
use kundenpuls::vocab::{Pillar, Role};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{PASSWORD, TestApp, seed_org};
use crate::results_fixture::{closed_round, same};

pub const HR: &str = "hr@example.de";
pub const SALES_LEAD: &str = "vertrieb@example.de";
pub const TECH_LEAD: &str = "technik@example.de";
pub const ORG: [&str; 3] = ["Vertrieb", "Vertrieb / Nord", "Technik"];

pub async fn add_scoped(t: &TestApp, email: &str, department: Option<&str>, locale: Locale) -> i32 {
    staff::add(
        &t.app.db,
        staff::NewStaffUser {
            email,
            password: PASSWORD,
            role: Role::Viewer,
            department,
            locale,
        },
    )
    .await
    .expect("viewer added")
    .id
}

/// September: everyone answers 4. October: Vertrieb answers 2 (its leadership fell, every
/// item far below the company), Technik 5. Returns the departments and both rounds.
pub async fn sales_fell(t: &TestApp) -> (HashMap<String, i32>, i32, i32) {
    let ids = seed_org(&t.app.db, &ORG, 8).await;
    let september = closed_round(
        t,
        "September",
        4,
        &[("Vertrieb", same(6, 4, 8)), ("Technik", same(6, 4, 8))],
    )
    .await;
    let october = closed_round(
        t,
        "Oktober",
        0,
        &[("Vertrieb", same(6, 2, 5)), ("Technik", same(6, 5, 10))],
    )
    .await;
    (ids, september, october)
}

pub fn today(t: &TestApp) -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&t.app.settings.timezone)
        .date_naive()
}

pub fn limits(t: &TestApp) -> Limits {
    Limits {
        open_per_department: t.app.settings.actions_open_limit,
        today: today(t),
        now: Utc::now(),
    }
}

pub fn admin_who() -> Who {
    Who {
        name: HR.into(),
        role: Role::Admin,
        scope: None,
    }
}

pub async fn owner_id(t: &TestApp, email: &str) -> i32 {
    staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

pub fn new_action(department_id: i32, round_id: i32, owner_id: i32, t: &TestApp) -> NewAction {
    NewAction {
        department_id,
        round_id,
        subject: Subject::Pillar(Pillar::Leadership),
        title: "Führung hört zu".into(),
        why: "Vorbild der Führung gefallen".into(),
        owner_id,
        due_on: today(t) + Duration::days(30),
        visible: true,
    }
}

pub async fn count_actions(t: &TestApp) -> u64 {
    action::Entity::find().count(&t.app.db).await.unwrap()
}
