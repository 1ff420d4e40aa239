//! Fuzzing the answer form: whatever a client posts to a survey link (bodies built from the
//! seeds in tests/fuzz/answers/seeds.txt and mutated by proptest, odd content types, broken
//! links), the service answers with a page or a redirect, never a server error, and stores a
//! response exactly when it redirected to the thank-you page. Rate limits are off for the run.

use kundenpuls::answer::form::Item;
use kundenpuls::answer::link::load_items;
use kundenpuls::entities::response;
use kundenpuls::invite;
use kundenpuls::vocab::Scale;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rocket::figment::value::Value;
use rocket::http::{ContentType, Status};
use sea_orm::{EntityTrait, PaginatorTrait};

#[path = "../fuzz/mutate.rs"]
mod seeds_mutation;
use seeds_mutation::mutate;

use crate::helpers::{TestApp, csrf_in, seed_org};
use crate::survey::{invitations, open_round};

const CASES: usize = 240;

fn seeds() -> Vec<String> {
    include_str!("../fuzz/answers/seeds.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn complete(items: &[Item]) -> String {
    items
        .iter()
        .map(|item| {
            let value = match item.scale {
                Scale::Likert5 => "4",
                Scale::Nps11 => "9",
                Scale::Text => "Mehr+Zeit+f%C3%BCr+Kunden",
            };
            format!("{}={value}", item.field())
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One request: a body, how it is labelled, and whether the link is spoilt.
#[derive(Debug, Clone)]
struct Case {
    body: Vec<u8>,
    content_type: Option<ContentType>,
    link_edit: Option<(usize, char)>,
}

fn cases(items: &[Item], csrf: &str) -> impl Strategy<Value = Case> {
    let filled: Vec<String> = seeds()
        .into_iter()
        .map(|seed| {
            seed.replace("{csrf}", csrf)
                .replace("{items}", &complete(items))
        })
        .collect();
    let fields: Vec<String> = items.iter().map(|item| item.field()).collect();
    let seeded = (
        proptest::sample::select(filled),
        proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 0..3),
    )
        .prop_map(|(seed, edits)| mutate(seed.as_bytes(), &edits));
    let csrf = csrf.to_owned();
    let field_values = proptest::collection::vec(
        (
            proptest::sample::select(fields),
            prop_oneof![
                (0i64..12).prop_map(|n| n.to_string()),
                any::<i64>().prop_map(|n| n.to_string()),
                "\\PC{0,40}",
                Just(String::new()),
            ],
        ),
        0..14,
    )
    .prop_map(move |pairs| {
        let mut body = format!("csrf={csrf}");
        for (name, value) in pairs {
            let value: String = url_encode(&value);
            body.push_str(&format!("&{name}={value}"));
        }
        body.into_bytes()
    });
    let raw = proptest::collection::vec(any::<u8>(), 0..600);
    (
        prop_oneof![6 => seeded, 3 => field_values, 1 => raw],
        prop_oneof![
            12 => Just(Some(ContentType::Form)),
            1 => Just(None),
            1 => Just(Some(ContentType::JSON)),
            1 => Just(Some(ContentType::FormData)),
        ],
        proptest::option::weighted(0.1, (any::<usize>(), any::<char>())),
    )
        .prop_map(|(body, content_type, link_edit)| Case {
            body,
            content_type,
            link_edit,
        })
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[rocket::async_test]
async fn whatever_is_posted_to_a_survey_link_gets_a_page_never_a_server_error() {
    let t = TestApp::spawn_with(&[
        ("rate_limit_token_per_minute", Value::from(0u32)),
        ("rate_limit_survey_per_minute", Value::from(0u32)),
    ])
    .await;
    seed_org(&t.app.db, &["Vertrieb", "Technik"], CASES / 2 + 10).await;
    let round_id = open_round(&t).await;
    let invitations = invitations(&t, round_id).await;
    assert!(invitations.len() > CASES);
    let items = load_items(&t.app.db, round_id).await.unwrap();
    let first = invite::token(&t.app.secrets.token_key, round_id, &invitations[0].id);
    let page = t.client.get(format!("/s/{first}")).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let csrf = csrf_in(&page.into_string().await.unwrap());

    let strategy = cases(&items, &csrf);
    // A fixed seed: the same cases on every run and machine; a failure names its case.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut stored = 0u64;
    let mut statuses = std::collections::BTreeMap::new();
    for (n, invitation) in invitations.iter().take(CASES).enumerate() {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let mut link = invite::token(&t.app.secrets.token_key, round_id, &invitation.id);
        if let Some((at, c)) = case.link_edit {
            let at = link
                .char_indices()
                .map(|(i, _)| i)
                .nth(at % link.len())
                .unwrap_or(0);
            link.replace_range(at..at + 1, &url_encode(&c.to_string()));
        }
        let mut request = t.client.post(format!("/s/{link}")).body(case.body.clone());
        if let Some(content_type) = case.content_type.clone() {
            request = request.header(content_type);
        }
        let response = request.dispatch().await;
        let status = response.status();
        *statuses.entry(status.code).or_insert(0) += 1;
        assert!(status.code < 500, "case {n}: {status} for {case:?}");
        if status == Status::SeeOther {
            stored += 1;
        }
        let now_stored = response::Entity::find().count(&t.app.db).await.unwrap();
        assert_eq!(
            now_stored, stored,
            "case {n}: a response is stored exactly when the thank-you redirect is given: {case:?}"
        );
    }
    // The cases reach every kind of answer, so the run is not only refusals.
    eprintln!("statuses over {CASES} cases: {statuses:?}");
    assert!(
        statuses.get(&303).copied().unwrap_or(0) >= 10,
        "{statuses:?}"
    );
    assert!(
        statuses.get(&422).copied().unwrap_or(0) >= 10,
        "{statuses:?}"
    );
}
