//! The department's trend marks when its actions started and ended (#21, part 4): the chart
//! draws and says them, the page lists them under it with their numbers, another
//! department's actions (and a sub-unit's) stay off, and a change to an action is a new
//! picture, never a cached old one.

use chrono::{Duration, Utc};
use kundenpuls::action::store::{self, StatusChange};
use kundenpuls::entities::action;
use kundenpuls::i18n::Locale;
use kundenpuls::vocab::{ActionStatus, Role};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use crate::action_fixture::{
    HR, SALES_LEAD, TECH_LEAD, add_scoped, admin_who, limits, new_action, sales_fell,
};
use crate::actions::page;
use crate::helpers::{PASSWORD, TestApp};

async fn login(t: &TestApp, email: &str) {
    assert_eq!(t.login(email, PASSWORD).await.status(), Status::SeeOther);
}

/// The trend's SVG of a department as the logged-in reader gets it.
async fn trend_svg(t: &TestApp, department: i32) -> (Status, String) {
    let response = t
        .client
        .get(format!("/charts/trend.svg?department={department}"))
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

/// The texts an SVG draws.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find('>')? + 1;
            let end = rest.find("</text>")?;
            Some(rest[start..end].trim().to_owned())
        })
        .collect()
}

/// An action of `department` started `days_ago` days ago, titled `title`.
async fn started(
    t: &TestApp,
    department: i32,
    round: i32,
    owner: i32,
    title: &str,
    days_ago: i64,
) -> action::Model {
    let mut new = new_action(department, round, owner, t);
    new.title = title.into();
    let made = store::create(&t.app.db, limits(t), &admin_who(), new)
        .await
        .unwrap();
    let mut model: action::ActiveModel = made.into();
    model.created_at = Set(Utc::now() - Duration::days(days_ago));
    model.update(&t.app.db).await.unwrap()
}

#[rocket::async_test]
async fn the_departments_trend_marks_its_actions_and_the_page_lists_them() {
    let t = TestApp::spawn().await;
    // September four weeks ago, October now.
    let (ids, _, october) = sales_fell(&t).await;
    let (sales, north, tech) = (ids["Vertrieb"], ids["Vertrieb / Nord"], ids["Technik"]);
    t.add_staff(HR, Role::Admin).await;
    let sales_lead = add_scoped(&t, SALES_LEAD, Some("Vertrieb"), Locale::De).await;
    let tech_lead = add_scoped(&t, TECH_LEAD, Some("Technik"), Locale::En).await;
    // Between the two rounds, after the latest; one of Nord below Vertrieb; one of Technik.
    let listens = started(&t, sales, october, sales_lead, "Führung hört zu", 14).await;
    let visits = started(&t, sales, october, sales_lead, "Kundenbesuche", 0).await;
    started(&t, north, october, sales_lead, "Nord-Frühstück", 3).await;
    started(&t, tech, october, tech_lead, "Technik-Sprechstunde", 7).await;

    login(&t, HR).await;
    let (status, svg) = trend_svg(&t, sales).await;
    assert_eq!(status, Status::Ok);
    for drawn in ["1▶", "2▶", "Beginn einer Maßnahme"] {
        assert!(
            texts(&svg).contains(&drawn.to_owned()),
            "{drawn} in the sales trend"
        );
    }
    assert!(!svg.contains('■'), "nothing ended yet");
    assert!(
        svg.contains("Maßnahme 1 „Führung hört zu“ begann am"),
        "{svg}"
    );
    assert!(svg.contains("Maßnahme 2 „Kundenbesuche“ begann am"));
    for absent in ["Technik-Sprechstunde", "Nord-Frühstück", "3▶"] {
        assert!(!svg.contains(absent), "{absent} on the sales trend");
    }

    // Done: the end is marked, in a new picture rather than the cached one.
    store::set_status(
        &t.app.db,
        limits(&t),
        &admin_who(),
        listens.id,
        StatusChange {
            status: ActionStatus::Done,
            outcome: "Sprechstunde jeden Montag".into(),
            note: String::new(),
        },
    )
    .await
    .unwrap();
    let (_, svg) = trend_svg(&t, sales).await;
    // Ended today, when the second started: one label over both lines.
    assert!(
        texts(&svg).contains(&"1■ 2▶".to_owned()),
        "the end drawn: {:?}",
        texts(&svg)
    );
    assert!(svg.contains("Ende einer Maßnahme"));
    let tz = t.app.settings.timezone;
    let day = |at: chrono::DateTime<Utc>| at.with_timezone(&tz).format("%-d.").to_string();
    let (began, ended) = (day(Utc::now() - Duration::days(14)), day(Utc::now()));
    assert!(
        svg.contains(&format!("Maßnahme 1 „Führung hört zu“ begann am {began} "))
            && svg.contains(&format!("endete am {ended} ")),
        "{svg}"
    );

    let (_, html) = page(&t, &format!("/dashboard/departments/{sales}")).await;
    assert!(html.contains("In der Grafik markierte Maßnahmen dieser Abteilung"));
    assert!(
        html.contains(&format!(
            "1 – <a href=\"/actions/{}\">Führung hört zu</a>, erledigt",
            listens.id
        )),
        "{html}"
    );
    assert!(html.contains(&format!(
        "2 – <a href=\"/actions/{}\">Kundenbesuche</a>, geplant",
        visits.id
    )));
    assert!(
        html.contains("Maßnahme 2 „Kundenbesuche“ begann am"),
        "in the picture's alt"
    );
    assert!(
        !html.contains("3 – "),
        "Nord's action is not in the chart's list"
    );

    // The Technik lead sees Technik's action, numbered 1, in English, and none of Vertrieb's.
    login(&t, TECH_LEAD).await;
    let (_, svg) = trend_svg(&t, tech).await;
    assert!(texts(&svg).contains(&"1▶".to_owned()) && svg.contains("action started"));
    assert!(svg.contains("Action 1 “Technik-Sprechstunde” started on"));
    assert!(!svg.contains("Führung hört zu") && !svg.contains("Kundenbesuche"));
    let (_, html) = page(&t, &format!("/dashboard/departments/{tech}")).await;
    assert!(html.contains("Actions of this department marked in the chart"));
    assert!(html.contains("Technik-Sprechstunde</a>, planned"));
    let (status, _) = trend_svg(&t, sales).await;
    assert_eq!(
        status,
        Status::NotFound,
        "Vertrieb is outside Technik's scope"
    );

    // The company's trend marks nothing; Nord's trend has no figures (nobody there answered),
    // so it marks nothing and the page lists nothing under it.
    login(&t, HR).await;
    let response = t.client.get("/charts/trend.svg").dispatch().await;
    let svg = response.into_string().await.unwrap();
    assert!(!svg.contains('▶') && !svg.contains("Maßnahme"));
    let (_, svg) = trend_svg(&t, north).await;
    assert!(!svg.contains('▶') && !svg.contains("Nord-Frühstück"));
    let (_, html) = page(&t, &format!("/dashboard/departments/{north}")).await;
    assert!(!html.contains("In der Grafik markierte Maßnahmen"));
}
