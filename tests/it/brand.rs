//! The company's own look as HR sets it and everyone meets it: name, logo and accent colour on
//! every page, the survey and the mails; a colour that text cannot be read in, an SVG or an
//! oversized logo refused with the reason, and nothing changed by a refused form.

use chrono::Utc;
use kundenpuls::brand;
use kundenpuls::vocab::Role;
use rocket::http::{ContentType, Status};

use crate::helpers::{PASSWORD, TestApp, csrf_in, mail_dir_of, seed_org};
use crate::mime::read;

const BOUNDARY: &str = "kundenpulsBrandBoundary";

/// A PNG's signature and header: all that is read of a logo (its kind and size).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    bytes.extend(13u32.to_be_bytes());
    bytes.extend(b"IHDR");
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// The brand form as a browser sends it: text fields, then the logo file (maybe empty).
fn brand_form(csrf: &str, fields: &[(&str, &str)], logo: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf)].iter().chain(fields) {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (file_name, bytes) = logo.unwrap_or(("", &[]));
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_brand(t: &TestApp, body: Vec<u8>) -> (Status, String) {
    let response = t
        .client
        .post("/admin/brand")
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

async fn get(t: &TestApp, path: &str) -> (Status, Option<ContentType>, Vec<u8>) {
    let response = t.client.get(path.to_owned()).dispatch().await;
    let status = response.status();
    let content_type = response.content_type();
    (
        status,
        content_type,
        response.into_bytes().await.unwrap_or_default(),
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("&#x2f;", "/")
}

/// The value of `attribute` in the first tag that has `marker`.
fn attribute(html: &str, marker: &str, attribute: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..at + html[at..].find('>').unwrap()];
    let start = tag.find(&format!("{attribute}=\"")).expect("the attribute") + attribute.len() + 2;
    tag[start..start + tag[start..].find('"').unwrap()].to_owned()
}

#[rocket::async_test]
async fn hr_gives_the_survey_the_company_s_name_logo_and_colour() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb"], 3).await;
    t.add_staff("hr@example.de", Role::Admin).await;
    assert_eq!(
        t.login("hr@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );

    // Before: the product's own name, blue and letter.
    let (_, _, page) = get(&t, "/admin").await;
    let page = text(&page);
    assert!(page.contains("<span>kundenpuls</span>") && !page.contains("/brand/style.css"));
    let (status, content_type, icon) = get(&t, "/favicon.svg").await;
    assert_eq!((status, content_type), (Status::Ok, Some(ContentType::SVG)));
    assert!(text(&icon).contains("#0b5fa5") && text(&icon).contains(">K</text>"));
    let (status, _, _) = get(&t, "/brand/logo").await;
    assert_eq!(status, Status::NotFound, "no logo yet");
    let favicon = t.client.get("/favicon.ico").dispatch().await;
    assert_eq!(favicon.status(), Status::PermanentRedirect);
    assert_eq!(favicon.headers().get_one("Location"), Some("/favicon.svg"));

    let (_, _, form) = get(&t, "/admin/brand").await;
    let csrf = csrf_in(&text(&form));
    let logo = png(400, 100);
    let (status, body) = post_brand(
        &t,
        brand_form(
            &csrf,
            &[
                ("name", "  Muster & Söhne GmbH "),
                ("use_accent", "true"),
                ("accent", "#7a1f5c"),
            ],
            Some(("logo.png", &logo)),
        ),
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{body}");

    let (_, _, page) = get(&t, "/admin/brand?done=true").await;
    let page = text(&page);
    assert!(
        page.contains("Das Erscheinungsbild wurde gespeichert."),
        "{page}"
    );
    assert!(
        page.contains("<span>Muster &amp; Söhne GmbH</span>"),
        "{page}"
    );
    assert!(page.contains("· Muster &amp; Söhne GmbH</title>"), "{page}");
    assert!(
        page.contains("aria-current=\"page\">Erscheinungsbild</a>"),
        "the bar marks the page"
    );
    let stylesheet = attribute(&page, "/brand/style.css?v=", "href");
    let (status, content_type, css) = get(&t, &stylesheet).await;
    assert_eq!((status, content_type), (Status::Ok, Some(ContentType::CSS)));
    assert_eq!(text(&css), ":root { --accent: #7a1f5c; }\n");
    let logo_src = attribute(&page, "/brand/logo?v=", "src");
    assert_eq!(attribute(&page, "/brand/logo?v=", "width"), "128");
    let response = t.client.get(logo_src.clone()).dispatch().await;
    assert_eq!(response.content_type(), Some(ContentType::PNG));
    assert_eq!(
        response.headers().get_one("Cache-Control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(response.into_bytes().await.unwrap(), logo);
    let (_, _, icon) = get(&t, "/favicon.svg").await;
    assert!(text(&icon).contains("#7a1f5c") && text(&icon).contains(">M</text>"));

    // Refused: too light a colour, an SVG logo, an oversized one; the brand stays as it was.
    for (fields, logo, reason) in [
        (
            vec![
                ("name", "Neu GmbH"),
                ("use_accent", "true"),
                ("accent", "#ffcc00"),
            ],
            None,
            "Die Farbe #ffcc00 ist zu hell: Text in ihr erreicht nur einen Kontrast von 1,3:1, \
             nötig sind mindestens 4,5:1 (WCAG AA).",
        ),
        (
            vec![("name", "Neu GmbH")],
            Some((
                "logo.png",
                &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            )),
            "Das Logo muss ein PNG-, JPEG- oder WebP-Bild sein.",
        ),
        (
            vec![("name", "Neu GmbH")],
            Some(("gross.png", &[0u8; 300 * 1024][..])),
            "Das Logo ist 300 KiB groß; erlaubt sind höchstens 256 KiB.",
        ),
        (
            vec![("name", "Neu GmbH")],
            Some(("breit.png", &png(5000, 100)[..])),
            "Das Logo ist 5000 × 100 Pixel groß",
        ),
    ] {
        let (status, page) = post_brand(&t, brand_form(&csrf, &fields, logo)).await;
        assert_eq!(status, Status::UnprocessableEntity, "{reason}");
        let page = page.replace("&#x2f;", "/");
        assert!(page.contains(reason), "{reason}: {page}");
        assert!(page.contains("value=\"Neu GmbH\""), "HR's values come back");
    }
    let (_, _, css) = get(&t, "/brand/style.css").await;
    assert_eq!(
        text(&css),
        ":root { --accent: #7a1f5c; }\n",
        "nothing changed"
    );
    assert_eq!(t.app.brand.get().name, "Muster & Söhne GmbH");

    // Another instance on the same database shows the change after its next look.
    let other = brand::Current::default();
    other.refresh(&t.app.db).await.unwrap();
    assert_eq!(*other.get(), *t.app.brand.get());

    // The invitation carries the company's name and colour.
    crate::mail::open_round(&t, 7).await;
    let sent = crate::mail::mailer(&t)
        .deliver_all(Utc::now())
        .await
        .unwrap();
    assert_eq!(sent.sent, 3);
    let eml = std::fs::read_dir(mail_dir_of(&t))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .expect("a mail");
    let mail = read(&std::fs::read_to_string(eml).unwrap());
    assert!(mail.html.contains("background:#7a1f5c"), "{}", mail.html);
    assert!(
        mail.html.contains(">Muster &amp; Söhne GmbH</p>"),
        "{}",
        mail.html
    );
    assert!(
        mail.text
            .contains("im Auftrag von Muster & Söhne GmbH versandt")
            || mail.text.contains("on behalf of Muster & Söhne GmbH."),
        "{}",
        mail.text
    );

    // Without a logo and with the product's colour again.
    let (status, _) = post_brand(
        &t,
        brand_form(
            &csrf,
            &[("name", "Muster & Söhne GmbH"), ("remove_logo", "true")],
            None,
        ),
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (status, _, _) = get(&t, "/brand/logo").await;
    assert_eq!(status, Status::NotFound);
    let (_, _, page) = get(&t, "/admin").await;
    assert!(
        !text(&page).contains("/brand/style.css"),
        "the product's blue again"
    );
}

#[rocket::async_test]
async fn only_an_admin_changes_the_look() {
    let t = TestApp::spawn().await;
    t.add_staff("ceo@example.de", Role::Viewer).await;
    assert_eq!(
        t.login("ceo@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );
    let (status, _, _) = get(&t, "/admin/brand").await;
    assert_eq!(status, Status::Forbidden);
    let (_, _, page) = get(&t, "/dashboard").await;
    let csrf = csrf_in(&text(&page));
    let (status, _) = post_brand(&t, brand_form(&csrf, &[("name", "Übernahme AG")], None)).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(t.app.brand.get().name, "");
}

/// A 100 MB "logo" (a picture someone did not scale down, or an attack on the disk) is refused
/// with a clear page, and nothing is kept.
#[rocket::async_test]
async fn a_hundred_megabyte_logo_is_refused_and_nothing_changes() {
    let t = TestApp::spawn().await;
    t.add_staff("hr@example.de", Role::Admin).await;
    assert_eq!(
        t.login("hr@example.de", PASSWORD).await.status(),
        Status::SeeOther
    );
    let (_, _, form) = get(&t, "/admin/brand").await;
    let csrf = csrf_in(&text(&form));
    let mut huge = png(400, 100);
    huge.resize(100 * 1024 * 1024, 0);
    let (status, page) = post_brand(
        &t,
        brand_form(
            &csrf,
            &[("name", "Riesen GmbH")],
            Some(("riesig.png", &huge)),
        ),
    )
    .await;
    // Past Rocket's upload limit (64 MiB) the form is not even read: 413, said in German.
    assert_eq!(status, Status::PayloadTooLarge);
    assert!(
        page.contains("Die gesendeten Daten sind zu groß."),
        "the page says why: {page}"
    );
    assert_eq!(t.app.brand.get().name, "", "nothing kept");
    let (status, _, _) = get(&t, "/brand/logo").await;
    assert_eq!(status, Status::NotFound);
}
