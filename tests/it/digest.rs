//! The leadership digest: one mail per viewer when a round closes, in the viewer's language, with
//! the headline figures of their scope only, the trend chart inline, and hidden figures never
//! written as numbers.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use kundenpuls::auth::staff;
use kundenpuls::entities::{outbox_mail, staff_user};
use kundenpuls::i18n::{self, Locale};
use kundenpuls::i18n::{number, percent, signed};
use kundenpuls::lifecycle;
use kundenpuls::mail::digest;
use kundenpuls::mail::outbox;
use kundenpuls::mail::transport::Transport;
use kundenpuls::mail::worker::Mailer;
use kundenpuls::report::query::{self, Reader};
use kundenpuls::report::results::GroupReport;
use kundenpuls::vocab::Pillar;
use kundenpuls::vocab::Role;
use rocket::figment::value::Value;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{PASSWORD, TestApp, mail_dir_of, seed_org};
use crate::mime::{Digest, read};
use crate::results_fixture::{closed_round, same};
use crate::smtp_server::SmtpServer;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

// ---------------------------------------------------------------------------------------------

async fn add_viewer(t: &TestApp, email: &str, department: Option<&str>, locale: Locale) {
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
    .expect("viewer added");
}

async fn digest_rows(t: &TestApp, round_id: i32) -> Vec<outbox_mail::Model> {
    outbox_mail::Entity::find()
        .filter(outbox_mail::Column::RoundId.eq(round_id))
        .filter(outbox_mail::Column::Kind.eq(kundenpuls::vocab::MailKind::Digest))
        .all(&t.app.db)
        .await
        .unwrap()
}

fn mailer(t: &TestApp) -> Mailer {
    Mailer::new(
        t.app.clone(),
        Transport::from_settings(&t.app.settings).unwrap(),
    )
}

/// The figure lines of the plain-text part: `label → value (and change)`.
fn figure_lines(text: &str, locale: Locale) -> HashMap<String, String> {
    let labels: Vec<String> = std::iter::once("digest_overall".to_owned())
        .chain(Pillar::EACH.iter().map(|p| format!("pillar_{p}")))
        .chain(["digest_participation".into(), "digest_net_score".into()])
        .map(|key| i18n::text(locale, &key).to_owned())
        .collect();
    text.lines()
        .filter_map(|line| {
            let (label, value) = line.split_once(": ")?;
            labels
                .contains(&label.to_owned())
                .then(|| (label.to_owned(), value.to_owned()))
        })
        .collect()
}

/// What the digest should say for `group`, worked out from the report core.
fn expected_lines(group: &GroupReport, locale: Locale) -> HashMap<String, String> {
    let hidden = i18n::text(locale, "digest_hidden").to_owned();
    let mut lines = HashMap::new();
    lines.insert(
        i18n::text(locale, "digest_overall").to_owned(),
        group
            .overall
            .as_shown()
            .map_or(hidden.clone(), |o| number(o.index, 1, locale)),
    );
    for (key, pillar) in Pillar::EACH.iter().zip(&group.pillars) {
        let mut value = pillar
            .index
            .as_shown()
            .map_or(hidden.clone(), |i| number(i.index, 1, locale));
        if let (Some(_), Some(change)) = (
            pillar.index.as_shown(),
            pillar.change.as_ref().and_then(|c| c.as_shown()),
        ) && change.significant
        {
            let marker = if change.difference >= 0.0 {
                "digest_change_up"
            } else {
                "digest_change_down"
            };
            value = format!(
                "{value}  {}",
                i18n::text(locale, marker)
                    .replace("{difference}", &signed(change.difference, 1, locale))
            );
        }
        lines.insert(
            i18n::text(locale, &format!("pillar_{key}")).to_owned(),
            value,
        );
    }
    lines.insert(
        i18n::text(locale, "digest_participation").to_owned(),
        group.participation.as_shown().map_or(hidden.clone(), |p| {
            i18n::text(locale, "digest_participation_value")
                .replace("{rate}", &percent(p.rate_pct, 0, locale))
                .replace("{answered}", &number(p.answered as f64, 0, locale))
                .replace("{invited}", &number(p.invited as f64, 0, locale))
        }),
    );
    lines.insert(
        i18n::text(locale, "digest_net_score").to_owned(),
        group.net_scores[0]
            .figures
            .as_shown()
            .map_or(hidden, |f| signed(f.net_score, 0, locale)),
    );
    lines
}

#[rocket::async_test]
async fn every_viewer_gets_one_digest_of_their_scope_in_their_language_with_the_trend_inline() {
    let server = SmtpServer::start();
    let t = TestApp::spawn_with(&[("smtp_url", Value::from(server.url()))]).await;
    seed_org(
        &t.app.db,
        &["Vertrieb", "Vertrieb / Innendienst", "Service"],
        8,
    )
    .await;
    // Three people in Technik: fewer invited than the threshold of 5.
    seed_org(&t.app.db, &["Technik"], 3).await;

    let september = closed_round(
        &t,
        "September",
        4,
        &[
            ("Vertrieb", same(6, 2, 3)),
            ("Vertrieb / Innendienst", same(6, 2, 4)),
            ("Service", same(5, 3, 6)),
        ],
    )
    .await;
    // Nobody to mail when September closed; the viewers arrive now.
    assert!(digest_rows(&t, september).await.is_empty());
    t.add_staff("chefin@example.de", Role::Viewer).await;
    add_viewer(&t, "ceo@example.com", None, Locale::En).await;
    add_viewer(&t, "sales@example.com", Some("Vertrieb"), Locale::En).await;
    add_viewer(&t, "technik@example.de", Some("Technik"), Locale::De).await;
    t.add_staff("hr@example.de", Role::Admin).await;

    let mut pleased = same(3, 5, 10);
    pleased.extend(same(3, 4, 9));
    let october = closed_round(
        &t,
        "Oktober",
        0,
        &[
            ("Vertrieb", pleased),
            ("Vertrieb / Innendienst", same(6, 5, 10)),
            ("Service", same(5, 3, 6)),
            // Two answers: below the threshold; everything else in the round must not give
            // them away either.
            ("Technik", same(2, 1, 0)),
        ],
    )
    .await;
    let rows = digest_rows(&t, october).await;
    assert_eq!(rows.len(), 4, "one digest per viewer, none for HR");
    assert!(rows.iter().all(|r| r.invitation_id.is_none()));

    // Closing again changes nothing, and queueing again adds nothing.
    assert!(!lifecycle::close(&t.app, october, Utc::now()).await.unwrap());
    assert_eq!(
        digest::enqueue_digests(&t.app.db, october, Utc::now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(digest_rows(&t, october).await.len(), 4);

    // The round's invitations are dropped (the round is closed); the digests go out.
    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!(done.sent, 4, "{done:?}");
    let received = server.received();
    assert_eq!(received.len(), 4);
    let by_recipient: HashMap<String, Digest> = received
        .iter()
        .map(|mail| {
            assert_eq!(mail.to.len(), 1);
            (mail.to[0].clone(), read(&mail.data))
        })
        .collect();
    let recipients: HashSet<&str> = by_recipient.keys().map(String::as_str).collect();
    assert_eq!(
        recipients,
        HashSet::from([
            "chefin@example.de",
            "ceo@example.com",
            "sales@example.com",
            "technik@example.de"
        ])
    );

    let departments = kundenpuls::org::department::all(&t.app.db).await.unwrap();
    let id_of = |path: &str| departments.iter().find(|d| d.path == path).unwrap().id;
    let viewers = [
        ("chefin@example.de", None, Locale::De),
        ("ceo@example.com", None, Locale::En),
        ("sales@example.com", Some(id_of("Vertrieb")), Locale::En),
        ("technik@example.de", Some(id_of("Technik")), Locale::De),
    ];
    let company_en = query::round_results(
        &t.app.reports,
        Reader {
            scope: None,
            locale: Locale::En,
        },
        october,
    )
    .await
    .unwrap();
    let company = &company_en.groups[0];
    assert!(company.department_id.is_none());
    assert!(
        company.pillars.iter().any(|p| p
            .change
            .as_ref()
            .and_then(|c| c.as_shown())
            .is_some_and(|c| c.significant)),
        "the fixture has a significant change for the company"
    );

    for (email, scope, locale) in viewers {
        let mail = &by_recipient[email];
        // Language: subject and texts.
        assert_eq!(
            mail.subject,
            i18n::text(locale, "digest_subject").replace("{title}", "Oktober"),
            "{email}"
        );
        assert!(mail.text.starts_with(i18n::text(locale, "digest_greeting")));
        // Structure: text and related(HTML + picture) as alternatives.
        assert_eq!(
            mail.multiparts,
            vec!["multipart/alternative", "multipart/related"],
            "{email}"
        );
        let (cid, png) = mail.image.as_ref().expect("the trend chart inline");
        assert!(png.starts_with(PNG_MAGIC), "{email}: a PNG");
        assert!(
            mail.html.contains(&format!("src=\"cid:{cid}\"")),
            "{email}: the HTML shows the picture by its Content-ID"
        );
        let group_name = match scope {
            None => match locale {
                Locale::De => "Gesamtes Unternehmen",
                Locale::En => "Whole company",
            }
            .to_owned(),
            Some(id) => departments
                .iter()
                .find(|d| d.id == id)
                .unwrap()
                .path
                .clone(),
        };
        let chart_title = i18n::text(locale, "chart_trend_title").replace("{group}", &group_name);
        assert!(
            mail.html.contains(&format!("alt=\"{chart_title}")),
            "{email}: the picture's alt text is its description"
        );
        assert!(mail.text.contains(&chart_title), "{email}");
        assert!(
            mail.text
                .contains(&format!("http://127.0.0.1:8000/dashboard/rounds/{october}")),
            "{email}: a link to the round on the dashboard"
        );

        // The figures, exactly as the report core gives them to this reader.
        let results = query::round_results(&t.app.reports, Reader { scope, locale }, october)
            .await
            .unwrap();
        let top = results
            .groups
            .iter()
            .find(|g| g.department_id == scope)
            .expect("the scope took part");
        let lines = figure_lines(&mail.text, locale);
        assert_eq!(
            lines,
            expected_lines(top, locale),
            "{email}:\n{}",
            mail.text
        );
        for value in lines.values() {
            assert!(mail.html.contains(value.split("  ").next().unwrap()));
        }
    }

    // The company mails carry the marker of a significant change, and say first what moved,
    // linked to where it shows.
    let ceo = &by_recipient["ceo@example.com"];
    assert!(ceo.text.contains('▲'));
    assert!(ceo.text.contains("At a glance\n- "), "{}", ceo.text);
    assert!(ceo.text.contains("rose significantly"), "{}", ceo.text);
    assert!(
        ceo.text
            .contains("http://127.0.0.1:8000/dashboard#trend-heading"),
        "{}",
        ceo.text
    );
    // The HTML part writes the slashes of its links as entities.
    assert!(
        ceo.html.contains("dashboard#trend-heading\" style="),
        "{}",
        ceo.html
    );

    // The sales viewer reads Vertrieb only: not one company figure.
    let sales = &by_recipient["sales@example.com"];
    let sales_lines = figure_lines(&sales.text, Locale::En);
    let company_lines = expected_lines(company, Locale::En);
    let overall = i18n::text(Locale::En, "digest_overall");
    assert_ne!(sales_lines[overall], company_lines[overall]);
    for (label, value) in &company_lines {
        if sales_lines[label] != *value {
            assert!(!sales.text.contains(value.as_str()), "{label}: {value}");
            assert!(!sales.html.contains(value.as_str()), "{label}: {value}");
        }
    }
    assert!(sales.text.contains("for Vertrieb."));
    assert!(
        !sales
            .text
            .contains(i18n::text(Locale::En, "digest_scope_company"))
    );
    assert!(!sales.text.contains("Whole company") && !sales.html.contains("Whole company"));

    // Technik is below the threshold: every figure is words, none a number.
    let technik = &by_recipient["technik@example.de"];
    let technik_lines = figure_lines(&technik.text, Locale::De);
    assert_eq!(technik_lines.len(), 6);
    for (label, value) in &technik_lines {
        assert_eq!(value, "nicht genug Antworten", "{label}");
    }
    // Their true figures (everyone answered 1 and 0) appear nowhere.
    for secret in ["0,0", "-100", "67 %", "2 von 3"] {
        assert!(!technik.text.contains(secret), "{secret}");
        assert!(!technik.html.contains(secret), "{secret}");
    }

    // HR's send log: the digests are counted, never listed as lines.
    let log = outbox::send_log(&t.app.db, october).await.unwrap();
    assert_eq!(log.digests.sent, 4);
    assert!(
        log.invitation_problems
            .iter()
            .all(|line| !recipients.contains(line.recipient.as_str()))
    );
    assert_eq!(
        log.invitations.queued
            + log.invitations.sending
            + log.invitations.sent
            + log.invitations.retrying
            + log.invitations.failed
            + log.invitations.cancelled,
        27,
        "the invitations alone"
    );

    // Nothing goes out twice.
    assert_eq!(mailer(&t).deliver_all(Utc::now()).await.unwrap().sent, 0);
    assert_eq!(server.received().len(), 4);
}

#[rocket::async_test]
async fn a_deleted_viewer_gets_nothing_and_an_unchanged_round_has_no_marker() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 8).await;
    t.add_staff("chefin@example.de", Role::Viewer).await;
    add_viewer(&t, "gone@example.com", None, Locale::En).await;
    let september = closed_round(
        &t,
        "September",
        4,
        &[("Vertrieb", same(6, 4, 9)), ("Technik", same(6, 4, 9))],
    )
    .await;
    // A new department without employees yet takes no part in October; its viewer is told so.
    seed_org(&t.app.db, &["Neu"], 0).await;
    add_viewer(&t, "neu@example.de", Some("Neu"), Locale::De).await;
    let october = closed_round(
        &t,
        "Oktober",
        0,
        &[("Vertrieb", same(6, 4, 9)), ("Technik", same(6, 4, 9))],
    )
    .await;
    assert_eq!(digest_rows(&t, september).await.len(), 2);
    assert_eq!(digest_rows(&t, october).await.len(), 3);

    // Forgetting a round's reminders leaves its digests alone.
    outbox::forget_reminders(&t.app.db, october).await.unwrap();
    assert_eq!(digest_rows(&t, october).await.len(), 3);

    let gone = staff::find_by_email(&t.app.db, "gone@example.com")
        .await
        .unwrap()
        .unwrap();
    staff_user::Entity::delete_by_id(gone.id)
        .exec(&t.app.db)
        .await
        .unwrap();

    let done = mailer(&t).deliver_all(Utc::now()).await.unwrap();
    assert_eq!(
        done.sent, 3,
        "September and October to the remaining viewer, October to Neu"
    );
    for round_id in [september, october] {
        let rows = digest_rows(&t, round_id).await;
        let dropped = rows
            .iter()
            .find(|r| r.recipient == "gone@example.com")
            .unwrap();
        assert_eq!(dropped.state, kundenpuls::vocab::MailState::Cancelled);
        assert!(
            dropped
                .last_reply
                .as_deref()
                .is_some_and(|r| r.contains("deleted")),
            "{:?}",
            dropped.last_reply
        );
        let log = outbox::send_log(&t.app.db, round_id).await.unwrap();
        assert_eq!(
            (log.digests.sent, log.digests.cancelled),
            (rows.len() as u64 - 1, 1)
        );
    }

    let files: Vec<_> = std::fs::read_dir(mail_dir_of(&t))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    assert_eq!(files.len(), 3);
    let mails: Vec<Digest> = files
        .iter()
        .map(|f| read(&std::fs::read_to_string(f).unwrap()))
        .collect();
    let (neu, company): (Vec<&Digest>, Vec<&Digest>) = mails
        .iter()
        .filter(|m| m.subject == "Ergebnisse: Oktober")
        .partition(|m| m.text.contains("für Neu."));
    assert_eq!((neu.len(), company.len()), (1, 1));
    let neu = neu[0];
    assert!(
        neu.text
            .contains(i18n::text(Locale::De, "digest_not_in_round")),
        "{}",
        neu.text
    );
    assert!(figure_lines(&neu.text, Locale::De).is_empty());
    assert!(neu.image.as_ref().unwrap().1.starts_with(PNG_MAGIC));
    let october_mail = company[0];
    let text = &october_mail.text;
    // By hand: everyone answered 4 (75 on 0–100) and 9 (all promoters), 12 of 16 answered.
    // Customer focus also asked the reverse-coded item, 4 turned into 2 (25): (75 + 25) / 2.
    // Overall: (50 + 75 + 75) / 3.
    assert!(text.contains("Gesamtindex: 66,7\n"), "{text}");
    assert!(text.contains("Kundenfokus: 50,0\n"), "{text}");
    assert!(text.contains("Vorbild der Führung: 75,0\n"), "{text}");
    assert!(
        text.contains("Beteiligung: 75\u{a0}% (12 von 16 haben geantwortet)\n"),
        "{text}"
    );
    assert!(text.contains("Netto-Wert (Frage 0–10): +100\n"), "{text}");
    assert!(text.contains("für das gesamte Unternehmen"), "{text}");
    // The same answers as in September: no change is marked, and the mail says so.
    assert!(!text.contains('▲') && !text.contains('▼'), "{text}");
    assert!(
        text.contains("Auf einen Blick\n- Keine signifikante Veränderung seit September"),
        "{text}"
    );
    assert!(!october_mail.html.contains('▲') && !october_mail.html.contains('▼'));
    let (_, png) = october_mail.image.as_ref().unwrap();
    assert!(png.starts_with(PNG_MAGIC));
}

#[test]
fn the_digest_texts_exist_in_both_languages() {
    let keys = |locale: &str| {
        let source = kundenpuls::embedded::file(&format!("i18n/{locale}/digest.toml"))
            .expect("digest texts");
        let table: toml::Table = toml::from_str(source).unwrap();
        let mut keys: Vec<String> = table.keys().cloned().collect();
        keys.sort();
        keys
    };
    let de = keys("de");
    assert!(!de.is_empty());
    assert_eq!(de, keys("en"));
}
