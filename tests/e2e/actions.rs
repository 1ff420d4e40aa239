//! Maßnahmen in a real browser, on the demo company: a board member opens the department whose
//! leadership example fell, starts an action from it in three clicks, finds it in the results
//! digest when the round closes and in the next invitation of that department's employees, and
//! reads on the demo's historical action whether the figure moved beyond noise. Every page is
//! looked at on a desk and on a 360 px phone, and checked by axe-core and the Nu HTML checker.

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use fantoccini::{Client, Locator};

use crate::browser::{Driver, Evidence, Screen, Source, click, fits_the_screen, heading, wait_for};
use crate::mime;
use crate::service::Service;
use crate::smtp_server::SmtpServer;
use crate::{left, log_in_with};

const SOUTH: &str = "Vertrieb / Außendienst / Süd";
const TITLE: &str = "Kundentermine gemeinsam mit der Leitung";

/// The pages of the path, on the narrowest phone: nothing wider than the screen.
async fn fits_a_phone(
    phone: &Client,
    service: &Service,
    path: &str,
    evidence: &mut Evidence,
    name: &str,
) {
    phone.goto(&service.url(path)).await.unwrap();
    wait_for(phone, Locator::Css("h1")).await;
    assert_eq!(fits_the_screen(phone, path).await, 360);
    evidence.page(phone, name, Source::Served).await;
}

/// Mails whose recipient and decoded text satisfy `wanted`, waiting up to a minute for them.
async fn wait_for_mail(
    smtp: &SmtpServer,
    wanted: impl Fn(&str, &mime::Digest) -> bool,
) -> mime::Digest {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for mail in smtp.received() {
            let read = mime::read(&mail.data);
            if mail.to.iter().any(|to| wanted(to, &read)) {
                return read;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the expected mail did not arrive within a minute"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_from_a_falling_figure_to_its_measured_effect_in_a_real_browser() {
    crate::smtp_server::install_crypto_provider();
    let smtp = SmtpServer::start();
    let logs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&logs).expect("target");
    let (service, email, password) =
        Service::start_demo(&smtp.url(), &logs.join("e2e-actions-service.log")).await;
    let mut evidence = Evidence::in_dir(service.port, "e2e-actions");
    let mut driver = Driver::start().await;

    let desk = driver.open(Screen::Desktop).await;
    log_in_with(
        &desk,
        &service,
        &email,
        &password,
        &mut evidence,
        "demo-login",
    )
    .await;

    // Click 1: the department, named among those that need attention.
    desk.goto(&service.url("/dashboard")).await.unwrap();
    click(
        &desk,
        Locator::XPath(&format!(
            "//ul[@aria-labelledby='story-attention']//a[starts-with(normalize-space(.), '{SOUTH}:')]"
        )),
    )
    .await;
    wait_for(&desk, Locator::XPath("//h1[. = 'Süd']")).await;
    let department = desk.current_url().await.unwrap().path().to_owned();
    evidence.page(&desk, "south", Source::Served).await;
    // Click 2: "Maßnahme anlegen" beside its leadership example.
    let act = wait_for(
        &desk,
        Locator::XPath("//a[@class='act'][contains(@aria-label, 'Führung')]"),
    )
    .await;
    act.click().await.unwrap();
    wait_for(&desk, Locator::XPath("//h1[. = 'Neue Maßnahme']")).await;
    let why = desk
        .find(Locator::Id("why"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(why.contains("Süd"), "the finding is proposed: {why}");
    evidence.page(&desk, "action-form", Source::Dom).await;
    let title = desk.find(Locator::Id("title")).await.unwrap();
    title.clear().await.unwrap();
    title.send_keys(TITLE).await.unwrap();
    // Click 3: create it.
    let form = desk.current_url().await.unwrap();
    click(
        &desk,
        Locator::Css("form.action-form button[type='submit']"),
    )
    .await;
    left(&desk, &form).await;
    wait_for(
        &desk,
        Locator::XPath("//*[contains(., 'Die Maßnahme ist angelegt.')]"),
    )
    .await;
    assert_eq!(heading(&desk).await, TITLE);
    let action = desk.current_url().await.unwrap().path().to_owned();
    evidence.page(&desk, "action-created", Source::Dom).await;
    desk.goto(&service.url(&department)).await.unwrap();
    wait_for(&desk, Locator::XPath(&format!("//a[. = '{TITLE}']"))).await;

    // The demo's historical action: did the hotline's figure move beyond noise?
    desk.goto(&service.url("/actions?status=all"))
        .await
        .unwrap();
    evidence.page(&desk, "actions", Source::Served).await;
    click(
        &desk,
        Locator::XPath("//a[contains(., 'Rückruf am selben Tag')]"),
    )
    .await;
    let verdict = wait_for(&desk, Locator::Css("p.verdict"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        verdict.starts_with("Gestiegen:") && verdict.contains("mehr als der Zufall erklärt"),
        "{verdict}"
    );
    let history = desk.current_url().await.unwrap().path().to_owned();
    evidence
        .page(&desk, "historical-action", Source::Served)
        .await;

    // The same pages on the narrowest phone.
    let phone = driver.open(Screen::SmallPhone).await;
    log_in_with(
        &phone,
        &service,
        &email,
        &password,
        &mut evidence,
        "demo-login-360",
    )
    .await;
    for (path, name) in [
        (department.as_str(), "south-360"),
        ("/actions?status=all", "actions-360"),
        (action.as_str(), "action-360"),
        (history.as_str(), "historical-action-360"),
    ] {
        fits_a_phone(&phone, &service, path, &mut evidence, name).await;
    }
    phone.close().await.unwrap();

    // The open round closes: the results digest names the new action to its owner.
    desk.goto(&service.url("/admin/rounds")).await.unwrap();
    click(
        &desk,
        Locator::XPath("//tr[td/span[contains(@class, 'state-open')]]/th/a"),
    )
    .await;
    click(
        &desk,
        Locator::XPath("//form[contains(@action, '/close')]//button"),
    )
    .await;
    wait_for(
        &desk,
        Locator::XPath("//*[contains(., 'Die Runde wurde beendet.')]"),
    )
    .await;
    let digest = wait_for_mail(&smtp, |to, mail| to == email && mail.text.contains(TITLE)).await;
    assert!(
        digest.text.contains(&format!("{TITLE} ({SOUTH}) – neu")),
        "{}",
        digest.text
    );

    // The next round of the south: its employees hear of the action in their invitation.
    desk.goto(&service.url("/admin/rounds")).await.unwrap();
    wait_for(&desk, Locator::Id("title"))
        .await
        .send_keys("Puls Süd")
        .await
        .unwrap();
    let now = Utc::now().with_timezone(&chrono_tz::Europe::Berlin);
    let closes = now.checked_add_days(Days::new(14)).unwrap();
    for (id, at) in [("opens_at", now), ("closes_at", closes)] {
        desk.execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![id.into(), at.format("%Y-%m-%dT%H:%M").to_string().into()],
        )
        .await
        .unwrap();
    }
    click(
        &desk,
        Locator::XPath(&format!("//input[@name='departments'][@value='{SOUTH}']")),
    )
    .await;
    let form = desk.current_url().await.unwrap();
    click(
        &desk,
        Locator::Css("form[action='/admin/rounds'] button[type='submit']"),
    )
    .await;
    left(&desk, &form).await;
    let invitation = wait_for_mail(&smtp, |_, mail| mail.subject.ends_with("Puls Süd")).await;
    assert!(
        invitation.text.contains(&format!("wir tun: {TITLE}."))
            || invitation.text.contains(&format!("we are doing: {TITLE}.")),
        "{}",
        invitation.text
    );
    desk.close().await.unwrap();
    evidence.validate_html();
    println!("screenshots and pages in {}", evidence.dir.display());
}
