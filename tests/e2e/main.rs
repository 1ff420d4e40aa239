//! One survey round clicked through in a real browser (Debian's chromium), against the release
//! binary on a real TCP port, with the invitations going to a real SMTP server: HR imports the
//! staff from an XLSX file and opens a round, employees answer on a phone-sized screen, a viewer
//! reads the results. Every step leaves a screenshot in `target/e2e/`; every page passes axe-core
//! without serious findings and the Nu HTML checker without errors.
//!
//! Run with `cargo test --release --features e2e --test e2e` after
//! `apt-get install chromium chromium-driver` and `npm ci --prefix tests/e2e`.

mod actions;
mod browser;
#[path = "../it/mime.rs"]
mod mime;
mod service;
#[allow(dead_code)]
#[path = "../it/smtp_server.rs"]
mod smtp_server;

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use fantoccini::{Client, Locator};

use browser::{Driver, Evidence, Screen, Source, click, fits_the_screen, heading, wait_for};
use service::{PASSWORD, Service};
use smtp_server::{Received, SmtpServer};

/// The team of the story: enough people for their results to pass the anonymity threshold (5).
const TEAM: [(&str, &str, &str); 6] = [
    ("lena.becker@example.com", "Lena Becker", "de"),
    ("jonas.wagner@example.com", "Jonas Wagner", "de"),
    ("emily.clarke@example.com", "Emily Clarke", "en"),
    ("murat.yilmaz@example.com", "Murat Yılmaz", "de"),
    ("sophie.richter@example.com", "Sophie Richter", "de"),
    ("david.okafor@example.com", "David Okafor", "en"),
];
const DEPARTMENT: &str = "Kundenservice";
/// HR, who runs the round, and the board, who reads the results.
const STAFF: [(&str, &str); 2] = [
    ("hr@example.com", "admin"),
    ("vorstand@example.com", "viewer"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_from_import_to_results_in_a_real_browser() {
    smtp_server::install_crypto_provider();
    let smtp = SmtpServer::start();
    let logs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&logs).expect("target");
    let service = Service::start(&smtp.url(), &STAFF, &logs.join("e2e-service.log")).await;
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "{profile} binary {} on {}",
        Service::binary().display(),
        service.base()
    );
    let mut evidence = Evidence::new(service.port);
    let mut driver = Driver::start().await;

    // HR, at a desk.
    let hr = driver.open(Screen::Desktop).await;
    log_in(&hr, &service, STAFF[0].0, &mut evidence, "hr-login").await;
    assert!(
        hr.current_url().await.unwrap().path().starts_with("/admin"),
        "HR lands in the admin area"
    );
    evidence.page(&hr, "admin", Source::Served).await;
    evidence.axe_catches_a_fault(&hr).await;

    import_team(&hr, &service, &mut evidence).await;
    let round_path = open_round(&hr, &service, &mut evidence).await;
    // The start page now shows the running round, and links to it.
    hr.goto(&service.url("/admin")).await.unwrap();
    wait_for(&hr, Locator::Id("running-heading")).await;
    hr.find(Locator::Css(&format!("#main a[href='{round_path}']")))
        .await
        .expect("the running round is linked from the start page");
    evidence.page(&hr, "admin-running", Source::Served).await;
    hr.goto(&service.url("/admin/questions")).await.unwrap();
    evidence.page(&hr, "admin-questions", Source::Served).await;
    schedule_form(&hr, &service, &mut evidence).await;

    // The invitations arrive at the SMTP server, one per person.
    let mails = wait_for_mails(&smtp, TEAM.len()).await;
    let mut links = Vec::new();
    for (email, _, _) in TEAM {
        let mail = mails
            .iter()
            .find(|mail| mail.to.iter().any(|to| to == email))
            .unwrap_or_else(|| panic!("no invitation to {email}"));
        let link = mail.link().expect("the invitation carries a link");
        assert!(
            link.starts_with(&service.url("/s/")),
            "the link leads to this service: {link}"
        );
        links.push(link);
    }

    // The answer page at a desk and on the narrowest phone, before anyone has answered.
    for (screen, name) in [
        (Screen::Desktop, "survey-1280"),
        (Screen::SmallPhone, "survey-360"),
    ] {
        let browser = driver.open(screen).await;
        browser.goto(&links[1]).await.unwrap();
        wait_for(&browser, Locator::Css("form button[type='submit']")).await;
        fits_the_screen(&browser, &links[1]).await;
        evidence.page(&browser, name, Source::Served).await;
        browser.close().await.unwrap();
    }

    // The first employee, on her phone: German first, as her record says, then English.
    let phone = driver.open(Screen::Phone).await;
    phone.goto(&links[0]).await.unwrap();
    assert_eq!(page_lang(&phone).await, "de");
    assert_eq!(heading(&phone).await, "Pulse November");
    assert_eq!(
        phone.title().await.unwrap(),
        "Kundenpuls-Umfrage · kundenpuls"
    );
    let width: i64 = phone
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert_eq!(
        width, 390,
        "the survey is looked at on a phone-sized screen"
    );
    evidence.page(&phone, "survey-de", Source::Served).await;
    // The 0–10 scale keeps its left-to-right order: one row, however narrow the phone.
    let rows = phone
        .execute(
            "var tops = new Set(); document.querySelectorAll('.s11 label').forEach(function (l) { tops.add(Math.round(l.getBoundingClientRect().top)); }); return [document.querySelectorAll('.s11 label').length, tops.size];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        rows,
        serde_json::json!([11, 1]),
        "0–10 in one row on the phone"
    );
    click(&phone, Locator::Css("a[hreflang='en']")).await;
    wait_for(&phone, Locator::Css("html[lang='en']")).await;
    assert_eq!(
        phone.title().await.unwrap(),
        "Customer pulse survey · kundenpuls"
    );
    let questions = answer(&phone, 4, Some("More time for customer calls, please.")).await;
    assert!(
        (5..=10).contains(&questions),
        "a pulse asks 5 to 10 questions, this one {questions}"
    );
    evidence
        .page(&phone, "survey-en-answered", Source::Dom)
        .await;
    submit(&phone).await;
    assert_eq!(heading(&phone).await, "Thank you!");
    evidence.page(&phone, "thanks", Source::Served).await;
    phone.refresh().await.unwrap();
    assert_eq!(heading(&phone).await, "Thank you!");
    let text = phone
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("This link cannot be used to answer again."),
        "{text}"
    );
    assert!(
        phone
            .find_all(Locator::Css("form"))
            .await
            .unwrap()
            .is_empty(),
        "no form to answer a second time"
    );
    evidence
        .page(&phone, "reloaded-already-answered", Source::Served)
        .await;

    // The rest of the team answers, each on their own link (the same phone will do).
    for (n, link) in links.iter().enumerate().skip(1) {
        phone.goto(link).await.unwrap();
        answer(&phone, 2 + (n as u8 % 4), None).await;
        submit(&phone).await;
        let title = heading(&phone).await;
        assert!(
            title == "Vielen Dank!" || title == "Thank you!",
            "{}: {title}",
            TEAM[n].0
        );
    }
    phone.close().await.unwrap();

    // HR closes the round early: everyone has answered.
    hr.goto(&service.url(&round_path)).await.unwrap();
    click(
        &hr,
        Locator::XPath("//form[contains(@action, '/close')]//button"),
    )
    .await;
    wait_for(
        &hr,
        Locator::XPath("//*[contains(., 'Die Runde wurde beendet.')]"),
    )
    .await;
    evidence.page(&hr, "round-closed", Source::Dom).await;
    // Who has access, and HR's own account: checked like every other page.
    hr.goto(&service.url("/admin/staff")).await.unwrap();
    wait_for(&hr, Locator::XPath("//h1[. = 'Zugänge']")).await;
    evidence.page(&hr, "staff", Source::Served).await;
    hr.goto(&service.url("/account")).await.unwrap();
    wait_for(&hr, Locator::XPath("//h1[. = 'Mein Konto']")).await;
    evidence.page(&hr, "account", Source::Served).await;
    hr.goto(&service.url("/admin/brand")).await.unwrap();
    wait_for(&hr, Locator::XPath("//h1[. = 'Erscheinungsbild']")).await;
    evidence.page(&hr, "brand", Source::Served).await;
    hr.close().await.unwrap();

    // Leadership reads the results.
    let viewer = driver.open(Screen::Desktop).await;
    log_in(&viewer, &service, STAFF[1].0, &mut evidence, "viewer-login").await;
    assert_eq!(viewer.current_url().await.unwrap().path(), "/dashboard");
    let participation = wait_for(
        &viewer,
        Locator::XPath("//div[contains(@class,'kpi')][dt='Beteiligung']/dd"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        participation.starts_with("6 / 6"),
        "the dashboard shows everyone answered: {participation}"
    );
    let responses = viewer
        .find(Locator::XPath(
            "//div[contains(@class,'kpi')][dt='Antworten']/dd",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(responses.trim(), "6");
    chart_rendered(&viewer, "img[src='/charts/trend.svg']").await;
    evidence.page(&viewer, "dashboard", Source::Served).await;
    click(&viewer, Locator::Css("a[href^='/dashboard/rounds/']")).await;
    chart_rendered(&viewer, "img[src$='/participation.svg']").await;
    evidence
        .page(&viewer, "round-results", Source::Served)
        .await;
    let department = viewer
        .find(Locator::Css("a[href^='/dashboard/departments/']"))
        .await
        .expect("the team is linked from the round's page")
        .attr("href")
        .await
        .unwrap()
        .expect("a link");
    let round = viewer.current_url().await.unwrap().path().to_owned();
    viewer.goto(&service.url(&department)).await.unwrap();
    wait_for(
        &viewer,
        Locator::XPath(&format!("//h1[. = '{DEPARTMENT}']")),
    )
    .await;
    chart_rendered(&viewer, "img[src^='/charts/trend.svg?department=']").await;
    evidence.page(&viewer, "department", Source::Served).await;
    viewer.close().await.unwrap();

    // The board member again, on the narrowest phone: every dashboard page fits the screen,
    // its tables stacked into one card per group.
    let small = driver.open(Screen::SmallPhone).await;
    log_in(
        &small,
        &service,
        STAFF[1].0,
        &mut evidence,
        "viewer-login-360",
    )
    .await;
    for (path, name) in [
        ("/dashboard", "dashboard-360"),
        (round.as_str(), "round-results-360"),
        (department.as_str(), "department-360"),
    ] {
        small.goto(&service.url(path)).await.unwrap();
        wait_for(&small, Locator::Css("h1")).await;
        assert_eq!(fits_the_screen(&small, path).await, 360, "{path}");
        evidence.page(&small, name, Source::Served).await;
    }
    small.close().await.unwrap();

    // HR on the same phone: the start page and the schedule form fit it too.
    let small = driver.open(Screen::SmallPhone).await;
    log_in(&small, &service, STAFF[0].0, &mut evidence, "hr-login-360").await;
    for (path, name) in [
        ("/admin", "admin-360"),
        ("/admin/schedules", "admin-schedules-360"),
    ] {
        small.goto(&service.url(path)).await.unwrap();
        wait_for(&small, Locator::Css("h1")).await;
        assert_eq!(fits_the_screen(&small, path).await, 360, "{path}");
        evidence.page(&small, name, Source::Served).await;
    }
    small.close().await.unwrap();

    evidence.validate_html();
    // Exactly one invitation per person reached the server; anything else went to staff (the
    // results digest when the round closed).
    let received = smtp.received();
    for (email, _, _) in TEAM {
        let to_them = received
            .iter()
            .filter(|mail| mail.to.iter().any(|to| to == email))
            .count();
        assert_eq!(to_them, 1, "mails to {email}");
    }
    for mail in &received {
        assert!(
            mail.to.iter().all(|to| TEAM
                .iter()
                .map(|(email, _, _)| email)
                .chain(STAFF.iter().map(|(email, _)| email))
                .any(|known| known == to)),
            "a mail to someone outside the story: {:?}",
            mail.to
        );
        println!(
            "mail to {}: {}",
            mail.to.join(", "),
            mail.header("Subject").unwrap_or_default()
        );
    }
    println!("screenshots and pages in {}", evidence.dir.display());
}

/// HR picks a rhythm and sees only its fields, then the next three rounds before saving.
async fn schedule_form(hr: &Client, service: &Service, evidence: &mut Evidence) {
    hr.goto(&service.url("/admin/schedules")).await.unwrap();
    let every = wait_for(hr, Locator::Id("s-every")).await;
    let ordinal = hr.find(Locator::Id("s-ordinal")).await.unwrap();
    let cron = hr.find(Locator::Id("s-cron")).await.unwrap();
    assert!(
        every.is_displayed().await.unwrap(),
        "weekly is chosen first"
    );
    assert!(!ordinal.is_displayed().await.unwrap());
    assert!(
        !cron.is_displayed().await.unwrap(),
        "cron only for those who ask"
    );
    evidence.page(hr, "admin-schedules", Source::Served).await;
    click(hr, Locator::Css("label[for='kind-monthly']")).await;
    assert!(
        ordinal.is_displayed().await.unwrap(),
        "monthly shows its fields"
    );
    assert!(
        !every.is_displayed().await.unwrap(),
        "and hides the weekly ones"
    );
    click(hr, Locator::Css("button[name='preview']")).await;
    let preview = wait_for(hr, Locator::Id("schedule-preview")).await;
    let rounds = preview.find_all(Locator::Css("li")).await.unwrap();
    assert_eq!(rounds.len(), 3, "the next three rounds");
    // WebDriver may give the no-break space before "Uhr" as it is or as a space.
    let first = rounds[0].text().await.unwrap().replace('\u{a0}', " ");
    assert!(
        first.contains(", 09:00 Uhr bis ") && first.ends_with(", 09:00 Uhr"),
        "a monthly round at 09:00, open 14 days: {first}"
    );
    assert!(
        hr.find(Locator::Id("s-ordinal"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap(),
        "the preview keeps the chosen rhythm"
    );
    evidence
        .page(hr, "admin-schedule-preview", Source::Dom)
        .await;
}

async fn log_in(
    browser: &Client,
    service: &Service,
    email: &str,
    evidence: &mut Evidence,
    name: &str,
) {
    log_in_with(browser, service, email, PASSWORD, evidence, name).await;
}

async fn log_in_with(
    browser: &Client,
    service: &Service,
    email: &str,
    password: &str,
    evidence: &mut Evidence,
    name: &str,
) {
    browser.goto(&service.url("/login")).await.unwrap();
    wait_for(browser, Locator::Id("email"))
        .await
        .send_keys(email)
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    evidence.page(browser, name, Source::Served).await;
    let login = browser.current_url().await.unwrap();
    click(
        browser,
        Locator::Css("form[action='/login'] button[type='submit']"),
    )
    .await;
    left(browser, &login).await;
}

/// The team as HR exports it from Excel: German headers, an XLSX workbook.
fn team_workbook(path: &std::path::Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Mitarbeiter").unwrap();
    for (col, header) in ["E-Mail", "Name", "Abteilung", "Sprache"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (row, (email, name, locale)) in TEAM.iter().enumerate() {
        let row = row as u32 + 1;
        sheet.write_string(row, 0, *email).unwrap();
        sheet.write_string(row, 1, *name).unwrap();
        sheet.write_string(row, 2, DEPARTMENT).unwrap();
        sheet.write_string(row, 3, *locale).unwrap();
    }
    book.save(path).unwrap();
}

async fn import_team(hr: &Client, service: &Service, evidence: &mut Evidence) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mitarbeiter.xlsx");
    team_workbook(&file);
    hr.goto(&service.url("/admin/import")).await.unwrap();
    wait_for(hr, Locator::Id("file"))
        .await
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    evidence.page(hr, "import-form", Source::Served).await;
    click(
        hr,
        Locator::Css("form[action='/admin/import'] button[type='submit']"),
    )
    .await;
    // The preview: read as XLSX, six new people, nothing applied yet.
    let report = wait_for(hr, Locator::Id("report-heading")).await;
    assert_eq!(
        report.text().await.unwrap(),
        "Vorschau: mitarbeiter.xlsx",
        "the preview names the file"
    );
    assert_eq!(figure(hr, "Format").await, "XLSX");
    assert_eq!(figure(hr, "Zeilen").await, "6");
    assert_eq!(figure(hr, "Neu").await, "6");
    evidence.page(hr, "import-preview", Source::Dom).await;
    click(hr, Locator::Css("form[action$='/apply'] button")).await;
    wait_for(
        hr,
        Locator::XPath("//h2[@id='report-heading'][starts-with(., 'Importiert')]"),
    )
    .await;
    assert_eq!(figure(hr, "Neu").await, "6");
    evidence.page(hr, "import-done", Source::Dom).await;
    // The next step is a link away.
    click(hr, Locator::LinkText("Runde anlegen")).await;
    wait_for(hr, Locator::Id("new-round-heading")).await;
    assert_eq!(hr.current_url().await.unwrap().path(), "/admin/rounds");
}

/// The value beside a `<dt>` in the page's figures.
async fn figure(browser: &Client, label: &str) -> String {
    browser
        .find(Locator::XPath(&format!("//dl/div[dt='{label}']/dd")))
        .await
        .unwrap_or_else(|err| panic!("figure {label}: {err}"))
        .text()
        .await
        .unwrap()
}

/// Creates a round for the team that opens now; returns the path of its page.
async fn open_round(hr: &Client, service: &Service, evidence: &mut Evidence) -> String {
    hr.goto(&service.url("/admin/rounds")).await.unwrap();
    wait_for(hr, Locator::Id("title"))
        .await
        .send_keys("Pulse November")
        .await
        .unwrap();
    // The form takes wall-clock time in the company's zone (Europe/Berlin by default).
    // Browsers type datetime-local fields by locale-specific segments; setting the value is
    // what a date picker does.
    let berlin = chrono_tz::Europe::Berlin;
    let now = Utc::now().with_timezone(&berlin);
    let closes = now.checked_add_days(Days::new(14)).unwrap();
    for (id, at) in [("opens_at", now), ("closes_at", closes)] {
        hr.execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![id.into(), at.format("%Y-%m-%dT%H:%M").to_string().into()],
        )
        .await
        .unwrap();
    }
    click(
        hr,
        Locator::XPath(&format!(
            "//input[@name='departments'][@value='{DEPARTMENT}']"
        )),
    )
    .await;
    evidence.page(hr, "round-form", Source::Dom).await;
    let form_page = hr.current_url().await.unwrap();
    click(
        hr,
        Locator::Css("form[action='/admin/rounds'] button[type='submit']"),
    )
    .await;
    left(hr, &form_page).await;
    let path = hr.current_url().await.unwrap().path().to_owned();
    assert!(
        path.starts_with("/admin/rounds/"),
        "after creating, HR sees the round's page: {path}"
    );
    wait_for(
        hr,
        Locator::XPath("//*[contains(., 'Die Runde wurde angelegt.')]"),
    )
    .await;
    evidence.page(hr, "round-opened", Source::Dom).await;
    path
}

/// Waits until the browser has left `from` (a form's POST answered with a redirect).
async fn left(browser: &Client, from: &url::Url) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while browser.current_url().await.unwrap() == *from {
        assert!(Instant::now() < deadline, "still on {from} after 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_mails(smtp: &SmtpServer, count: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let received = smtp.received();
        if received.len() >= count {
            return received;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {count} invitations arrived within 60 s",
            received.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn page_lang(browser: &Client) -> String {
    wait_for(browser, Locator::Css("html"))
        .await
        .attr("lang")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Taps an answer to every question (`likert` on the 1–5 scales, twice that on 0–10) and writes
/// `comment` into the first free-text field; returns the number of questions.
async fn answer(phone: &Client, likert: u8, comment: Option<&str>) -> usize {
    let questions = phone.find_all(Locator::Css("fieldset.q")).await.unwrap();
    assert!(!questions.is_empty(), "the survey asks something");
    for question in &questions {
        let scale = question
            .find_all(Locator::Css("input[type='radio']"))
            .await
            .unwrap()
            .len();
        let value = if scale > 7 { likert * 2 } else { likert };
        question
            .find(Locator::XPath(&format!(
                ".//label[input[@type='radio'][@value='{value}']]"
            )))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    if let Some(comment) = comment {
        let fields = phone.find_all(Locator::Css("textarea")).await.unwrap();
        if let Some(field) = fields.first() {
            field.send_keys(comment).await.unwrap();
        }
    }
    questions.len()
}

/// Sends the answers and waits for the thank-you page (the redirect after the POST may lead to
/// the very address of the form, so the page's content tells, not its URL).
async fn submit(phone: &Client) {
    click(phone, Locator::Css("form button[type='submit']")).await;
    wait_for(
        phone,
        Locator::XPath("//h1[. = 'Thank you!' or . = 'Vielen Dank!']"),
    )
    .await;
}

/// The chart `selector` names has loaded and drawn (an image with a size), not a broken image.
async fn chart_rendered(browser: &Client, selector: &str) {
    wait_for(browser, Locator::Css(selector)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let drawn = browser
            .execute(
                "const img = document.querySelector(arguments[0]);
                 return img !== null && img.complete && img.naturalWidth > 0;",
                vec![selector.into()],
            )
            .await
            .unwrap();
        if drawn == serde_json::Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "{selector} did not render");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
