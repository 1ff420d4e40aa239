//! The leadership dashboard as a viewer reads it: the overview, a department's page, a round's
//! page and the chart pictures, with the threshold, the scope and open rounds respected.
//!
//! With `KUNDENPULS_HTML_DIR` set, the pages are also written there, to run the Nu HTML checker
//! over them.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use kundenpuls::auth::staff;
use kundenpuls::entities::invitation;
use kundenpuls::i18n::{Locale, text};
use kundenpuls::lifecycle;
use kundenpuls::survey::round::RoundDraft;
use kundenpuls::vocab::Role;
use rocket::http::{Header, Status};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{PASSWORD, TestApp, location, seed_org};
use crate::results_fixture::{Respondent, closed_round, commenting, same};

const VIEWER: &str = "chefin@example.de";
const TECH_LEAD: &str = "technik@example.de";
const ORG: [&str; 3] = ["Vertrieb", "Vertrieb / Innendienst", "Technik"];

fn dump(name: &str, html: &str) {
    if let Ok(dir) = std::env::var("KUNDENPULS_HTML_DIR") {
        std::fs::create_dir_all(&dir).expect("HTML directory");
        std::fs::write(format!("{dir}/{name}.html"), html).expect("HTML file");
    }
}

/// The page's HTML with the entities minijinja writes for `/` and `'` turned back and
/// non-breaking spaces as plain ones, so that assertions read like the page does.
async fn page(t: &TestApp, path: &str) -> (Status, String) {
    let response = t.client.get(path.to_owned()).dispatch().await;
    let status = response.status();
    let html = response.into_string().await.unwrap_or_default();
    (
        status,
        html.replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace('\u{a0}', " "),
    )
}

async fn as_viewer(t: &TestApp) {
    t.add_staff(VIEWER, Role::Viewer).await;
    assert_eq!(t.login(VIEWER, PASSWORD).await.status(), Status::SeeOther);
}

async fn as_scoped_viewer(t: &TestApp, department: &str) {
    staff::add(
        &t.app.db,
        staff::NewStaffUser {
            email: TECH_LEAD,
            password: PASSWORD,
            role: Role::Viewer,
            department: Some(department),
            locale: Locale::De,
        },
    )
    .await
    .expect("scoped viewer added");
    assert_eq!(
        t.login(TECH_LEAD, PASSWORD).await.status(),
        Status::SeeOther
    );
}

/// Two closed rounds over Vertrieb (6 answering 4 / 9), its Innendienst (2 answering 2 / 3:
/// below the threshold of 5) and Technik (5 answering 5 / 10), the earlier round with
/// everyone answering 2. Returns the departments' ids and the rounds' ids.
async fn two_rounds(t: &TestApp) -> (HashMap<String, i32>, i32, i32) {
    let ids = seed_org(&t.app.db, &ORG, 8).await;
    let september = closed_round(
        t,
        "September",
        4,
        &[
            ("Vertrieb", same(6, 2, 5)),
            ("Vertrieb / Innendienst", same(2, 2, 5)),
            ("Technik", same(5, 2, 5)),
        ],
    )
    .await;
    let mut sales = same(5, 4, 9);
    sales.push(Respondent {
        recommend: Some(9),
        ..commenting(4, "Mehr Zeit für Kundengespräche")
    });
    let october = closed_round(
        t,
        "Oktober",
        0,
        &[
            ("Vertrieb", sales),
            ("Vertrieb / Innendienst", same(2, 2, 3)),
            ("Technik", same(5, 5, 10)),
        ],
    )
    .await;
    (ids, september, october)
}

/// Nothing on the page gives Innendienst's two answers away.
fn no_count_of_the_small_team(html: &str) {
    for leak in [">2<", "> 2<", "2 / 8", "(2)", "25 %"] {
        assert!(!html.contains(leak), "{leak:?} on the page");
    }
}

#[rocket::async_test]
async fn a_viewer_sees_the_company_figures_the_answers_imply() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = two_rounds(&t).await;
    as_viewer(&t).await;

    let (status, html) = page(&t, "/dashboard").await;
    dump("dashboard", &html);
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Neueste Ergebnisse: Oktober"), "{html}");
    assert!(html.contains("verglichen mit September"));
    // Dates as German writes them.
    let today = Utc::now()
        .with_timezone(&t.app.settings.timezone)
        .format("%d.%m.%Y")
        .to_string();
    assert!(html.contains(&format!("Runde geöffnet am {today}")), "date");
    // Customer focus over all its items: goals and the turned hinder item average to 3 → 50.
    assert!(html.contains(">50,0<"), "customer focus");
    // Leadership and values: (6 × 75 + 2 × 25 + 5 × 100) / 13 = 76.9.
    assert!(html.contains(">76,9<"), "leadership and values");
    // Overall: (50 + 76.9 + 76.9) / 3.
    assert!(html.contains(">67,9<"), "overall");
    assert!(html.contains(">13<"), "responses");
    assert!(html.contains("13 / 24 (54 %)"), "participation");
    // Core index 25 in September, 76.9 now: significant, marked, with the footnote.
    assert!(html.contains("+51,9"), "change marker");
    assert!(
        html.contains("<span aria-hidden=\"true\">▲</span>"),
        "marked significant"
    );
    assert!(html.contains("Welch-t-Test"));
    assert!(html.contains("p &lt; 0,05"));
    // Charts, with their text alternatives.
    assert!(html.contains("src=\"/charts/trend.svg\""));
    // The trend is drawn for the reader's viewport: a phone gets the 320 px drawing.
    assert!(html.contains(
        "<source media=\"(max-width: 439px)\" srcset=\"/charts/trend.svg?width=320\" width=\"320\""
    ));
    // The heatmap drawn for the viewport too, all (two) levels of the tree.
    assert!(html.contains(&format!(
        "src=\"/charts/rounds/{october}/heatmap.svg?view=pillars&amp;level=2\""
    )));
    assert!(html.contains(&format!(
        "srcset=\"/charts/rounds/{october}/heatmap.svg?view=pillars&amp;level=2&amp;width=320\""
    )));
    assert!(html.contains("alt=\"Bereiche im Vergleich zum Unternehmen: Index je Säule"));
    assert!(html.contains("alt=\"Kundenorientierung"), "trend described");
    // The top's departments, linked; Vertrieb (8 answers) and Technik (5) are shown.
    let sales = ids["Vertrieb"];
    assert!(html.contains(&format!("href=\"/dashboard/departments/{sales}\"")));
    assert!(html.contains(&format!(
        "href=\"/dashboard/departments/{}\"",
        ids["Technik"]
    )));
    assert!(html.contains(">58,3<"), "Vertrieb overall");
    assert!(html.contains(">8<"), "Vertrieb responses");
    assert!(html.contains(&format!("href=\"/dashboard/rounds/{october}\"")));
    no_count_of_the_small_team(&html);
}

#[rocket::async_test]
async fn a_department_page_shows_its_items_its_teams_and_hides_small_ones() {
    // Comments from 5 answers on, like figures.
    let t = TestApp::spawn_with(&[("comment_threshold", 5.into())]).await;
    let (ids, september, october) = two_rounds(&t).await;
    as_viewer(&t).await;
    let sales = ids["Vertrieb"];
    let team = ids["Vertrieb / Innendienst"];

    let (status, html) = page(&t, &format!("/dashboard/departments/{sales}")).await;
    dump("dashboard_department", &html);
    assert_eq!(status, Status::Ok);
    // Breadcrumbs through the tree, and the round chosen by default.
    assert!(html.contains("<a href=\"/dashboard\">Gesamtes Unternehmen</a>"));
    assert!(html.contains("Ergebnisse der Runde Oktober"));
    // Leadership: (6 × 75 + 2 × 25) / 8; overall (50 + 62.5 + 62.5) / 3.
    assert!(html.contains(">62,5<"));
    assert!(html.contains(">58,3<"));
    // The goals item: mean (6 × 4 + 2 × 2) / 8, 75 % favourable, 25 % unfavourable … of 8.
    assert!(html.contains(">3,50<"), "item mean");
    assert!(html.contains(">75 %<"), "favourable");
    assert!(html.contains(">0 %<"), "can't judge");
    // Net score: 6 of 8 at 9, 2 at 3 → 75 − 25.
    assert!(html.contains(">+50<"), "net score");
    // Innendienst is linked but hidden: the reason, no count.
    assert!(html.contains(&format!(
        "href=\"/dashboard/departments/{team}?round={october}\""
    )));
    assert!(html.contains("zu wenige Antworten"));
    assert!(html.contains(&format!("src=\"/charts/trend.svg?department={sales}\"")));
    assert!(html.contains(&format!(
        "srcset=\"/charts/trend.svg?department={sales}&amp;width=320\""
    )));
    // Vertrieb reaches the comment threshold: its comment is listed.
    assert!(html.contains("Mehr Zeit für Kundengespräche"));

    let (status, html) = page(&t, &format!("/dashboard/departments/{team}")).await;
    dump("dashboard_department_hidden", &html);
    assert_eq!(status, Status::Ok);
    // Said once, with where its answers count, not "zu wenige Antworten" in every cell.
    assert!(
        html.contains("weniger als 5 Antworten") && html.contains("zählen in Vertrieb mit"),
        "{html}"
    );
    assert!(!html.contains("zu wenige Antworten"), "{html}");
    assert!(!html.contains("class=\"figure\""), "no figure at all");
    assert!(!html.contains("Mehr Zeit"), "no comments");
    assert!(html.contains(&format!(
        "<a href=\"/dashboard/departments/{sales}?round={october}\">Vertrieb</a>"
    )));
    no_count_of_the_small_team(&html);

    // The earlier round on request.
    let (status, html) = page(
        &t,
        &format!("/dashboard/departments/{sales}?round={september}"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Ergebnisse der Runde September"));
    assert!(html.contains(">25,0<"));

    let (status, _) = page(&t, "/dashboard/departments/9999").await;
    assert_eq!(status, Status::NotFound);

    // The round's page: every group as a tree.
    let (status, html) = page(&t, &format!("/dashboard/rounds/{october}")).await;
    dump("dashboard_round", &html);
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Alle Gruppen"));
    assert!(html.contains(&format!(
        "<th scope=\"row\" class=\"level-1\"><a href=\"/dashboard/departments/{sales}?round={october}\">"
    )));
    assert!(
        html.contains(&format!(
            "<th scope=\"row\" class=\"level-2\"><a href=\"/dashboard/departments/{team}?round={october}\">"
        )),
        "the team indented below its department"
    );
    assert!(html.contains(">67,9<") && html.contains(">58,3<"));
    assert!(html.contains(&format!(
        "src=\"/charts/rounds/{october}/participation.svg\""
    )));
}

#[rocket::async_test]
async fn a_scoped_viewer_sees_only_their_subtree() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = two_rounds(&t).await;
    as_scoped_viewer(&t, "Technik").await;
    let sales = ids["Vertrieb"];
    let tech = ids["Technik"];

    let (status, html) = page(&t, "/dashboard").await;
    assert_eq!(status, Status::Ok);
    // "Mein Bereich": the subtree first, its story told against itself, never the company.
    assert!(html.contains("<h1>Mein Bereich: Technik</h1>"), "{html}");
    assert!(story(&html).contains("Auf einen Blick: Oktober"));
    // Technik: everyone at 5 → 100 in every pillar.
    assert!(html.contains(">100,0<"));
    assert!(!html.contains("Gesamtes Unternehmen"));
    assert!(!html.contains(">67,9<"), "no company figure");
    assert!(!html.contains(&format!("/dashboard/departments/{sales}")));

    // Another department answers as a department that does not exist: nothing tells which
    // ids are real.
    let foreign = page(&t, &format!("/dashboard/departments/{sales}")).await;
    let missing = page(&t, "/dashboard/departments/999999").await;
    assert_eq!(foreign.0, Status::NotFound);
    assert_eq!(foreign, missing);
    for department in [sales, 999_999] {
        let chart = t
            .client
            .get(format!("/charts/trend.svg?department={department}"))
            .dispatch()
            .await;
        assert_eq!(chart.status(), Status::NotFound, "{department}");
    }

    let (status, _) = page(&t, &format!("/dashboard/departments/{tech}")).await;
    assert_eq!(status, Status::Ok);
    let own = t.client.get("/charts/trend.svg").dispatch().await;
    assert_eq!(own.status(), Status::Ok);
    let svg = own.into_string().await.unwrap();
    assert!(svg.contains("Technik") && !svg.contains("Vertrieb"));
    let heatmap = t
        .client
        .get(format!("/charts/rounds/{october}/heatmap.svg"))
        .dispatch()
        .await;
    assert_eq!(heatmap.status(), Status::Ok);
    let svg = heatmap.into_string().await.unwrap();
    assert!(!svg.contains("Vertrieb"), "only the viewer's subtree");
}

async fn svg(t: &TestApp, path: &str) -> String {
    let response = t.client.get(path.to_owned()).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    response.into_string().await.unwrap()
}

/// The texts drawn into an SVG (not its `<title>` or `<desc>`).
fn drawn_texts(svg: &str) -> Vec<String> {
    svg.match_indices("<text ")
        .map(|(at, _)| {
            let rest = &svg[at..];
            let start = rest.find('>').unwrap() + 1;
            rest[start..rest.find("</text>").unwrap()].trim().to_owned()
        })
        .collect()
}

/// Hidden cells (and the legend's swatch): grey, hatched, without a number.
fn hatched(svg: &str) -> usize {
    svg.matches("fill=\"#EEEEEE\"").count()
}

fn desc(svg: &str) -> &str {
    let start = svg.find("<desc>").unwrap() + "<desc>".len();
    &svg[start..svg.find("</desc>").unwrap()]
}

#[rocket::async_test]
async fn the_heatmap_reads_every_level_against_the_company_and_hides_the_small_team() {
    let t = TestApp::spawn().await;
    let (_, _, october) = two_rounds(&t).await;
    as_viewer(&t).await;

    let all = svg(&t, &format!("/charts/rounds/{october}/heatmap.svg")).await;
    let drawn = drawn_texts(&all);
    assert!(
        all.contains(
            "<title>Bereiche im Vergleich zum Unternehmen: Index je Säule (Oktober)</title>"
        ),
        "{all}"
    );
    for label in ["Gesamtes Unternehmen", "Vertrieb", "Innendienst", "Technik"] {
        assert!(drawn.iter().any(|t| t == label), "{label} in {drawn:?}");
    }
    // Values and differences to the company as German writes them: Technik 100,0 against the
    // company's 76,9 in leadership; Vertrieb (with its team) 62,5, 14,4 below.
    for figure in [
        "76,9",
        "100,0",
        "+23,1",
        "62,5",
        "\u{2212}14,4",
        "58,3",
        "\u{2212}9,6",
    ] {
        assert!(drawn.iter().any(|t| t == figure), "{figure} in {drawn:?}");
    }
    // Innendienst (2 answers) is a hatched row without a single number: its 25,0 is nowhere.
    assert!(!all.contains("25,0"), "the small team's figure");
    let hidden = text(Locale::De, "chart_hidden");
    let description = desc(&all);
    assert!(
        description.contains(&format!(
            "Vertrieb / Innendienst: Kundenfokus {hidden}, Vorbild der Führung {hidden}, Gelebte Werte {hidden}, Gesamtindex {hidden}."
        )),
        "{description}"
    );
    assert!(
        description.contains("Technik: Kundenfokus 50,0 (Abstand zum Unternehmen 0,0), Vorbild der Führung 100,0 (Abstand zum Unternehmen +23,1)"),
        "{description}"
    );
    assert_eq!(hatched(&all), 4 + 1, "the team's four cells and the legend");
    no_count_of_the_small_team(&all);

    // Only the top level: the team is not a row.
    let top = svg(
        &t,
        &format!("/charts/rounds/{october}/heatmap.svg?level=1&width=320"),
    )
    .await;
    let drawn = drawn_texts(&top);
    assert!(drawn.iter().any(|t| t == "Technik"));
    assert!(!top.contains("Innendienst"), "level 1 only");

    // One column per item, favourable answers in whole percent.
    let items = svg(
        &t,
        &format!("/charts/rounds/{october}/heatmap.svg?view=items"),
    )
    .await;
    assert!(items.contains(
        "<title>Bereiche im Vergleich zum Unternehmen: günstige Antworten je Frage in % (Oktober)</title>"
    ));
    let drawn = drawn_texts(&items);
    // Short names from the texts, wrapped onto two lines where they are long.
    for words in ["Ziele am", "Kundennutzen", "Werte gelebt"] {
        assert!(drawn.iter().any(|t| t == words), "{words} in {drawn:?}");
    }
    assert!(
        drawn.iter().any(|t| t == "Abläufe ohne"),
        "a turned item is named by its favourable side"
    );
    assert_eq!(
        hatched(&items),
        4 + 1,
        "the team's four cells and the legend"
    );
    assert!(desc(&items).contains(&format!("Vertrieb / Innendienst: Bei uns richten sich Ziele und Entscheidungen spürbar am Nutzen für unsere Kunden aus. {hidden}")), "{}", desc(&items));
    let png = t
        .client
        .get(format!(
            "/charts/rounds/{october}/heatmap.png?view=items&width=320"
        ))
        .dispatch()
        .await;
    assert_eq!(png.status(), Status::Ok);

    let unknown = t
        .client
        .get(format!("/charts/rounds/{october}/heatmap.svg?view=pie"))
        .dispatch()
        .await;
    assert_eq!(unknown.status(), Status::NotFound);

    // The round's page offers both views and every depth as plain links.
    let (status, html) = page(
        &t,
        &format!("/dashboard/rounds/{october}?view=items&level=1"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    dump("dashboard_round_items", &html);
    assert!(html.contains(&format!(
        "<a href=\"/dashboard/rounds/{october}?view=pillars&amp;level=1#heatmap-heading\">Säulen</a>"
    )), "{html}");
    assert!(html.contains(&format!(
        "<a href=\"/dashboard/rounds/{october}?view=items&amp;level=1#heatmap-heading\" aria-current=\"true\">einzelne Fragen</a>"
    )));
    assert!(html.contains(&format!(
        "<a href=\"/dashboard/rounds/{october}?view=items&amp;level=2#heatmap-heading\">alle Ebenen</a>"
    )));
    assert!(html.contains(&format!(
        "src=\"/charts/rounds/{october}/heatmap.svg?view=items&amp;level=1\""
    )));
    let (status, _) = page(&t, &format!("/dashboard/rounds/{october}?view=pie")).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn a_scoped_viewer_s_heatmap_compares_with_their_own_department() {
    let t = TestApp::spawn().await;
    let (_, _, october) = two_rounds(&t).await;
    as_scoped_viewer(&t, "Vertrieb").await;

    for path in [
        format!("/charts/rounds/{october}/heatmap.svg"),
        format!("/charts/rounds/{october}/heatmap.svg?view=items&width=320"),
    ] {
        let svg = svg(&t, &path).await;
        let drawn = drawn_texts(&svg);
        assert!(
            svg.contains("<title>Bereiche im Vergleich zu Vertrieb:"),
            "{path}: {svg}"
        );
        assert!(drawn.iter().any(|t| t == "Vertrieb"), "the reference row");
        assert!(
            drawn.iter().any(|t| t.starts_with("eingerahmt: Vertrieb")),
            "{drawn:?}"
        );
        assert!(
            drawn.iter().any(|t| t.contains("unter Vertrieb")),
            "{drawn:?}"
        );
        assert!(drawn.iter().any(|t| t == "Innendienst"), "{drawn:?}");
        for outside in ["Technik", "Gesamtes Unternehmen", "76,9", "100,0", "67,9"] {
            assert!(!svg.contains(outside), "{path}: {outside}");
        }
        assert!(!svg.contains("25,0"), "the small team's figure");
        assert_eq!(hatched(&svg), 4 + 1, "the team's four cells and the legend");
    }
}

#[rocket::async_test]
async fn charts_are_svg_or_png_private_and_cacheable() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = two_rounds(&t).await;

    // Staff only.
    let anonymous = t.client.get("/charts/trend.svg").dispatch().await;
    assert_eq!(anonymous.status(), Status::SeeOther);
    assert!(location(&anonymous).starts_with("/login"));

    as_viewer(&t).await;
    let sales = ids["Vertrieb"];
    for path in [
        "/charts/trend.svg".to_owned(),
        format!("/charts/trend.svg?department={sales}&width=480"),
        format!("/charts/rounds/{october}/heatmap.svg"),
        format!("/charts/rounds/{october}/participation.svg?width=99999"),
    ] {
        let response = t.client.get(path.clone()).dispatch().await;
        assert_eq!(response.status(), Status::Ok, "{path}");
        assert_eq!(
            response.headers().get_one("Content-Type"),
            Some("image/svg+xml"),
            "{path}"
        );
        assert_eq!(
            response.headers().get_one("Cache-Control"),
            Some("private, max-age=300"),
            "{path}"
        );
        assert!(response.headers().get_one("ETag").is_some(), "{path}");
        assert_eq!(response.headers().get_one("Vary"), Some("Cookie"), "{path}");
        let body = response.into_string().await.unwrap();
        assert!(body.contains("<svg"), "{path}");
    }
    for path in [
        "/charts/trend.png".to_owned(),
        format!("/charts/rounds/{october}/heatmap.png"),
        format!("/charts/rounds/{october}/participation.png?width=320"),
    ] {
        let response = t.client.get(path.clone()).dispatch().await;
        assert_eq!(response.status(), Status::Ok, "{path}");
        assert_eq!(
            response.headers().get_one("Content-Type"),
            Some("image/png"),
            "{path}"
        );
        let body = response.into_bytes().await.unwrap();
        assert!(body.starts_with(b"\x89PNG\r\n\x1a\n"), "{path}");
    }

    // The same picture again: the browser's copy is still good.
    let first = t.client.get("/charts/trend.svg").dispatch().await;
    let etag = first.headers().get_one("ETag").unwrap().to_owned();
    let again = t
        .client
        .get("/charts/trend.svg")
        .header(Header::new("If-None-Match", etag.clone()))
        .dispatch()
        .await;
    assert_eq!(again.status(), Status::NotModified);
    assert_eq!(again.headers().get_one("ETag"), Some(etag.as_str()));

    for missing in [
        "/charts/trend.gif".to_owned(),
        format!("/charts/rounds/{october}/pie.svg"),
        "/charts/rounds/9999/heatmap.svg".to_owned(),
        "/charts/trend.svg?department=9999".to_owned(),
    ] {
        let response = t.client.get(missing.clone()).dispatch().await;
        assert_eq!(response.status(), Status::NotFound, "{missing}");
    }
}

#[rocket::async_test]
async fn a_round_without_answers_draws_an_empty_chart() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &ORG, 8).await;
    let empty = closed_round(&t, "Leer", 0, &[]).await;
    as_viewer(&t).await;

    let heatmap = t
        .client
        .get(format!("/charts/rounds/{empty}/heatmap.svg"))
        .dispatch()
        .await;
    assert_eq!(heatmap.status(), Status::Ok);
    let svg = heatmap.into_string().await.unwrap();
    assert!(svg.contains("<svg"));
    assert!(
        svg.contains(text(Locale::De, "chart_heatmap_empty")),
        "{svg}"
    );

    let trend = t.client.get("/charts/trend.svg").dispatch().await;
    assert_eq!(trend.status(), Status::Ok);
    let svg = trend.into_string().await.unwrap();
    assert!(svg.contains(text(Locale::De, "chart_empty")), "{svg}");

    let participation = t
        .client
        .get(format!("/charts/rounds/{empty}/participation.png"))
        .dispatch()
        .await;
    assert_eq!(participation.status(), Status::Ok);

    let (status, html) = page(&t, "/dashboard").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("zu wenige Antworten"));
    let (status, _) = page(&t, &format!("/dashboard/rounds/{empty}")).await;
    assert_eq!(status, Status::Ok);
}

/// Opens a round over the whole company and marks `answered` invitations of Vertrieb as
/// answered (as the answer writer would).
async fn open_round(t: &TestApp, answered: usize) -> i32 {
    let app = &t.app;
    let now = Utc::now();
    let local = |offset: Duration| {
        (now + offset)
            .with_timezone(&app.settings.timezone)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let draft = RoundDraft {
        title: "November".to_owned(),
        opens_at: local(Duration::hours(1)),
        closes_at: local(Duration::days(7)),
        departments: Vec::new(),
        questions: None,
        pulse_size: None,
    };
    let view = lifecycle::create(app, &draft, now)
        .await
        .expect("round created");
    assert!(
        lifecycle::open(app, view.id, now)
            .await
            .expect("round opens")
    );
    let sales = kundenpuls::org::department::all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.path == "Vertrieb")
        .unwrap()
        .id;
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(view.id))
        .filter(invitation::Column::DepartmentId.eq(sales))
        .all(&app.db)
        .await
        .unwrap();
    for invitation in invitations.into_iter().take(answered) {
        let mut model: invitation::ActiveModel = invitation.into();
        model.answered = Set(true);
        model.update(&app.db).await.unwrap();
    }
    view.id
}

#[rocket::async_test]
async fn an_open_round_shows_participation_and_no_figures() {
    let t = TestApp::spawn().await;
    let ids = seed_org(&t.app.db, &ORG, 8).await;
    let id = open_round(&t, 6).await;
    as_viewer(&t).await;

    // No closed round yet: the message, and the open round's participation.
    let (status, html) = page(&t, "/dashboard").await;
    dump("dashboard_open", &html);
    assert_eq!(status, Status::Ok);
    assert!(html.contains(text(Locale::De, "dashboard_empty")));
    assert!(html.contains("Läuft gerade: November"));
    assert!(html.contains("6 / 24"), "{html}");
    assert!(html.contains("weniger als 5 Antworten"));
    assert!(!html.contains("class=\"figure\""));

    let (status, html) = page(&t, &format!("/dashboard/rounds/{id}")).await;
    dump("dashboard_round_open", &html);
    assert_eq!(status, Status::Ok);
    assert!(html.contains("6 / 24"));
    assert!(html.contains(&format!("/charts/rounds/{id}/participation.svg")));
    assert!(!html.contains("class=\"figure\""), "no figures while open");
    assert!(!html.contains("Gesamtindex"));
    assert!(!html.contains("/heatmap.svg"));

    let sales = ids["Vertrieb"];
    let (status, html) = page(&t, &format!("/dashboard/departments/{sales}?round={id}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Läuft gerade: November"));
    assert!(!html.contains("class=\"figure\""));
    assert!(!html.contains("Gesamtindex"));
}

#[rocket::async_test]
async fn an_english_reader_reads_english_texts_and_numbers() {
    let t = TestApp::spawn().await;
    let (ids, _, _) = two_rounds(&t).await;
    staff::add(
        &t.app.db,
        staff::NewStaffUser {
            email: "ceo@example.com",
            password: PASSWORD,
            role: Role::Viewer,
            department: None,
            locale: Locale::En,
        },
    )
    .await
    .expect("viewer added");
    assert_eq!(
        t.login("ceo@example.com", PASSWORD).await.status(),
        Status::SeeOther
    );
    let (status, html) = page(&t, "/dashboard").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Results: Whole company"));
    // Dates as English writes them, not as a machine does.
    let today = Utc::now()
        .with_timezone(&t.app.settings.timezone)
        .format("%-d %b %Y")
        .to_string();
    assert!(html.contains(&format!("Round opened {today}")), "{html}");
    assert!(
        story(&html)
            .contains("Leadership example rose significantly: +51.9 points since September"),
        "{html}"
    );
    assert!(html.contains(">67.9<") && html.contains("13 / 24 (54%)"));
    assert!(html.contains("Welch's t-test"));
    let (status, html) = page(
        &t,
        &format!("/dashboard/departments/{}", ids["Vertrieb / Innendienst"]),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("fewer than 5 answers") && html.contains("count in Vertrieb"));
    no_count_of_the_small_team(&html);
    let (_, html) = page(&t, &format!("/dashboard/departments/{}", ids["Vertrieb"])).await;
    assert!(
        html.contains("vs. Whole company</span> <span class=\"delta\">−9.6"),
        "{html}"
    );
    assert!(html.contains("negatively worded: disagreeing is favourable"));
}

/// Two rounds of Vertrieb alone, its six answering 3 and 4 half and half, then four of them 4:
/// leadership 62.5 → 66.7, a rise well within chance for six people.
#[rocket::async_test]
async fn every_figure_says_how_it_moved_and_marks_only_what_is_significant() {
    let t = TestApp::spawn().await;
    let ids = seed_org(&t.app.db, &ORG, 8).await;
    let half = || {
        let mut r = same(3, 3, 8);
        r.extend(same(3, 4, 8));
        r
    };
    closed_round(&t, "September", 4, &[("Vertrieb", half())]).await;
    let mut more = same(2, 3, 8);
    more.extend(same(4, 4, 8));
    closed_round(&t, "Oktober", 0, &[("Vertrieb", more)]).await;
    as_viewer(&t).await;

    let (status, html) = page(&t, "/dashboard").await;
    dump("dashboard_no_significant_change", &html);
    assert_eq!(status, Status::Ok);
    assert!(html.contains(">66,7<"), "leadership now");
    // The change is there, named, with its test in the tooltip, and not marked.
    assert!(
        html.contains(
            "<span class=\"change change-up\" title=\"Keine signifikante Veränderung (Welch-t-Test, p = 0,"
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "<span class=\"change-label\">ggü. Vorrunde</span> <span class=\"delta\">+4,2"
        )
    );
    assert!(
        !html.contains("\">▲</span>") && !html.contains("\">▼</span>"),
        "nothing marked"
    );
    assert!(!html.contains(" significant\""));
    // The company figures are Vertrieb's: the department's difference to them is nothing.
    let (_, html) = page(&t, &format!("/dashboard/departments/{}", ids["Vertrieb"])).await;
    assert!(
        html.contains("<span class=\"change-label\">ggü. Gesamtes Unternehmen</span> <span class=\"delta\">0,0"),
        "{html}"
    );
}

#[rocket::async_test]
async fn a_department_is_read_against_the_company_and_items_by_their_direction() {
    let t = TestApp::spawn().await;
    let (ids, _, _) = two_rounds(&t).await;
    as_viewer(&t).await;
    let sales = ids["Vertrieb"];
    let (_, html) = page(&t, &format!("/dashboard/departments/{sales}")).await;
    // Overall 58.3 against the company's 67.9, leadership 62.5 against 76.9, with a real minus.
    assert!(
        html.contains("<span class=\"change-label\">ggü. Gesamtes Unternehmen</span> <span class=\"delta\">−9,6"),
        "{html}"
    );
    assert!(html.contains(
        "<span class=\"change-label\">ggü. Gesamtes Unternehmen</span> <span class=\"delta\">−14,4"
    ));
    // Its teams are read against Vertrieb itself, drawn first for comparison.
    assert!(html.contains("<tr class=\"reference\">"));
    assert!(html.contains("zum Vergleich"));
    // The reverse-worded item says which way is good; the columns say favourable, not
    // agreement.
    assert!(html.contains("umgekehrt formuliert: Ablehnung ist günstig"));
    assert!(html.contains(">Günstig<") && html.contains(">Ungünstig<"));
    assert!(!html.contains("Zustimmung<"));
    // No hyphen for a minus anywhere in a figure.
    assert!(
        !html.contains("(-") && !html.contains(">-"),
        "hyphen as minus"
    );
    // Every figure cell names its column for the phone layout.
    assert!(html.contains("data-label=\"Gesamtindex\""));
}

/// The story section of a page: from its heading to the end of its card.
fn story(html: &str) -> &str {
    let start = html
        .find("id=\"story-heading\"")
        .expect("a story on the page");
    let end = start + html[start..].find("</section>").expect("the story's end");
    &html[start..end]
}

#[rocket::async_test]
async fn the_company_page_says_first_what_is_strong_weak_changed_and_where_to_look() {
    let t = TestApp::spawn().await;
    let (ids, _, october) = two_rounds(&t).await;
    as_viewer(&t).await;
    let sales = ids["Vertrieb"];

    let (_, html) = page(&t, "/dashboard").await;
    dump("dashboard_story", &html);
    let story = story(&html);
    assert!(story.contains("Auf einen Blick: Oktober"), "{story}");
    // Only Welch's test calls something a change: leadership and values rose from 25 to 76.9.
    assert!(
        story.contains("Vorbild der Führung ist deutlich gestiegen: +51,9 Punkte seit September (Welch-t-Test, p = "),
        "{story}"
    );
    assert!(story.contains("href=\"#trend-heading\""));
    // Vertrieb's overall index (58.3) lies 9.6 below the company's (67.9): named and linked.
    assert!(
        story.contains(&format!(
            "<a href=\"/dashboard/departments/{sales}?round={october}\">Vertrieb: Gesamtindex 9,6 Punkte unter Gesamtes Unternehmen"
        )),
        "{story}"
    );
    // Strengths and weaknesses link to the item on the page, which is there.
    let anchor = story
        .split("href=\"#item-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an item linked");
    assert!(html.contains(&format!("<tr id=\"item-{anchor}\">")));
    // The small team is hidden: never named, never ranked.
    assert!(!story.contains("Innendienst"), "{story}");
    no_count_of_the_small_team(&html);
}

#[rocket::async_test]
async fn a_department_page_tells_its_story_against_the_company() {
    let t = TestApp::spawn().await;
    let (ids, _, _) = two_rounds(&t).await;
    as_viewer(&t).await;
    let (_, html) = page(&t, &format!("/dashboard/departments/{}", ids["Vertrieb"])).await;
    let story = story(&html);
    // Vertrieb answered 4 where Technik answered 5: its items lie 10 points below the
    // company's; the reverse-worded one (turned: 25 % against 15 %) lies above, and says so.
    assert!(
        story.contains("„Unsere Führung stellt die Kunden spürbar in den Mittelpunkt – in Worten und Taten.“: 75 % günstig, 10 Prozentpunkte unter Gesamtes Unternehmen"),
        "{story}"
    );
    assert!(
        story.contains("25 % günstig, 10 Prozentpunkte über Gesamtes Unternehmen (umgekehrt formuliert: günstig heißt, die Aussage abzulehnen)"),
        "{story}"
    );
    // Its only team is hidden: nothing to name, and the sentence says whom it compared.
    assert!(story.contains("Kein Bereich mit eigenen Zahlen"), "{story}");
    assert!(!story.contains("Innendienst"), "{story}");
}
