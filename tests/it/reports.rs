//! Results as leadership reads them: aggregates written at close, the threshold and
//! complementary suppression in the figures every output is built from.

use kundenpuls::i18n::Locale;
use kundenpuls::report::query::{self, Reader};
use kundenpuls::report::results::GroupReport;
use kundenpuls::report::stats::{HiddenReason, Shown};

use crate::helpers::{TestApp, seed_org};
use crate::results_fixture::{closed_round, commenting, same};

const WHOLE: Reader = Reader {
    scope: None,
    locale: Locale::En,
};

fn group<'a>(groups: &'a [GroupReport], path: &str) -> &'a GroupReport {
    groups
        .iter()
        .find(|g| g.path == path)
        .unwrap_or_else(|| panic!("no group {path:?}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[rocket::async_test]
async fn closing_a_round_stores_figures_that_match_a_hand_count() {
    let t = TestApp::spawn().await;
    seed_org(
        &t.app.db,
        &["Vertrieb", "Vertrieb / Innendienst", "Technik"],
        8,
    )
    .await;
    let id = closed_round(
        &t,
        "Oktober",
        0,
        &[
            ("Vertrieb", same(6, 4, 9)),
            ("Vertrieb / Innendienst", same(2, 2, 3)),
            ("Technik", same(5, 5, 10)),
        ],
    )
    .await;
    let results = query::round_results(&t.app.reports, WHOLE, id)
        .await
        .unwrap();
    assert_eq!(results.state, kundenpuls::vocab::RoundState::Closed);
    let company = group(&results.groups, "");
    assert_eq!(company.responses, Shown::Shown(13));
    let participation = company.participation.as_shown().unwrap();
    assert_eq!((participation.invited, participation.answered), (24, 13));

    let goals = company
        .items
        .iter()
        .find(|i| i.key == "cf_goals_customer_value")
        .unwrap();
    let figures = goals.figures.as_shown().unwrap();
    assert!(close(figures.mean, 53.0 / 13.0), "mean {}", figures.mean);
    assert!(close(figures.favourable_pct, 11.0 * 100.0 / 13.0));
    assert!(close(figures.unfavourable_pct, 2.0 * 100.0 / 13.0));
    // The reverse-coded item was answered like the others and is turned: 4 → 2.
    let hinder = company
        .items
        .iter()
        .find(|i| i.key == "cf_processes_hinder_customers")
        .unwrap();
    assert_eq!(
        hinder.figures.as_shown().unwrap().distribution,
        [5, 6, 0, 2, 0]
    );
    // Core basis (goals item only): 6 × 75, 2 × 25, 5 × 100.
    let focus = &company.pillars[0];
    let core = focus.core.as_shown().unwrap();
    assert!(close(
        core.index,
        (6.0 * 75.0 + 2.0 * 25.0 + 5.0 * 100.0) / 13.0
    ));
    // Round basis: each respondent's goals and turned hinder items average to 3 → 50.
    assert!(close(focus.index.as_shown().unwrap().index, 50.0));
    let net = company.net_scores[0].figures.as_shown().unwrap();
    assert!(close(net.net_score, (11.0 - 2.0) * 100.0 / 13.0));

    // Two answers in Innendienst: hidden everywhere, with no count that would tell.
    let small = group(&results.groups, "Vertrieb / Innendienst");
    assert_eq!(
        small.responses,
        Shown::hidden(HiddenReason::NotEnoughAnswers)
    );
    assert!(small.items.iter().all(|i| !i.figures.is_shown()));
    assert!(small.pillars.iter().all(|p| !p.index.is_shown()));
    // Vertrieb includes its team: 8 responses.
    assert_eq!(
        group(&results.groups, "Vertrieb").responses,
        Shown::Shown(8)
    );
    assert_eq!(group(&results.groups, "Technik").responses, Shown::Shown(5));
}

#[rocket::async_test]
async fn a_shown_team_is_suppressed_when_its_parent_would_give_away_the_rest() {
    let t = TestApp::spawn().await;
    seed_org(
        &t.app.db,
        &["Vertrieb", "Vertrieb / Innendienst", "Technik"],
        8,
    )
    .await;
    let id = closed_round(
        &t,
        "Oktober",
        0,
        &[
            // Vertrieb's own 2 would be Vertrieb (8) minus Innendienst (6).
            ("Vertrieb", same(2, 1, 0)),
            ("Vertrieb / Innendienst", same(6, 5, 10)),
            ("Technik", same(7, 3, 7)),
        ],
    )
    .await;
    let results = query::round_results(&t.app.reports, WHOLE, id)
        .await
        .unwrap();
    assert_eq!(
        group(&results.groups, "Vertrieb").responses,
        Shown::Shown(8)
    );
    let team = group(&results.groups, "Vertrieb / Innendienst");
    assert_eq!(
        team.responses,
        Shown::hidden(HiddenReason::ComplementarySuppression)
    );
    assert!(team.items.iter().all(|i| !i.figures.is_shown()));
    assert!(!team.overall.is_shown());
}

#[rocket::async_test]
async fn an_open_round_has_no_results_and_a_scoped_viewer_sees_only_their_subtree() {
    let t = TestApp::spawn().await;
    let ids = seed_org(
        &t.app.db,
        &["Vertrieb", "Vertrieb / Innendienst", "Technik"],
        8,
    )
    .await;
    let id = closed_round(
        &t,
        "Oktober",
        0,
        &[
            ("Vertrieb", same(5, 4, 9)),
            ("Vertrieb / Innendienst", same(6, 5, 10)),
            ("Technik", same(7, 3, 7)),
        ],
    )
    .await;
    let sales = Reader {
        scope: Some(ids["Vertrieb"]),
        locale: Locale::De,
    };
    let results = query::round_results(&t.app.reports, sales, id)
        .await
        .unwrap();
    let paths: Vec<&str> = results.groups.iter().map(|g| g.path.as_str()).collect();
    assert_eq!(paths, vec!["Vertrieb", "Vertrieb / Innendienst"]);
    assert!(matches!(
        query::trend(&t.app.reports, sales, Some(ids["Technik"])).await,
        Err(kundenpuls::error::AppError::NotFound)
    ));
    assert!(matches!(
        query::round_results(&t.app.reports, WHOLE, 9999).await,
        Err(kundenpuls::error::AppError::NotFound)
    ));
}

#[rocket::async_test]
async fn the_trend_follows_core_items_with_gaps_and_changes_are_tested() {
    let t = TestApp::spawn().await;
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 10).await;
    let mut pleased = same(4, 5, 10);
    pleased.extend(same(4, 4, 9));
    closed_round(
        &t,
        "August",
        8,
        &[("Vertrieb", same(8, 2, 3)), ("Technik", same(6, 3, 6))],
    )
    .await;
    // Nobody in Technik answered in September: a gap in its trend, not a zero. (With a few
    // answers there, Vertrieb would be suppressed too, or the company total would give
    // Technik away.)
    closed_round(
        &t,
        "September",
        4,
        &[("Vertrieb", same(8, 2, 4)), ("Technik", Vec::new())],
    )
    .await;
    let october = closed_round(
        &t,
        "Oktober",
        0,
        &[("Vertrieb", pleased), ("Technik", same(6, 3, 6))],
    )
    .await;
    let trend = query::trend(&t.app.reports, WHOLE, None).await.unwrap();
    assert_eq!(trend.len(), 3);
    assert!(trend.iter().all(|r| r.overall.is_shown()));
    let technik = kundenpuls::org::department::all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.path == "Technik")
        .unwrap()
        .id;
    let technik_trend = query::trend(&t.app.reports, WHOLE, Some(technik))
        .await
        .unwrap();
    let shown: Vec<bool> = technik_trend.iter().map(|r| r.overall.is_shown()).collect();
    assert_eq!(shown, vec![true, false, true]);

    // Vertrieb went from all 2s to 4s and 5s: a change far beyond the noise.
    let results = query::round_results(&t.app.reports, WHOLE, october)
        .await
        .unwrap();
    assert_eq!(
        results.previous.as_ref().map(|p| p.title.as_str()),
        Some("September")
    );
    let vertrieb = group(&results.groups, "Vertrieb");
    let change = vertrieb.pillars[0]
        .change
        .as_ref()
        .unwrap()
        .as_shown()
        .unwrap();
    assert!(change.significant, "{change:?}");
    assert!(change.difference > 50.0);
    // Technik answered exactly the same: no marker.
    let technik_now = group(&results.groups, "Technik");
    let same_change = technik_now.pillars[0].change.as_ref().unwrap();
    // September was hidden for Technik, so there is no change to show either.
    assert!(!same_change.is_shown());
}

#[rocket::async_test]
async fn comments_need_their_own_threshold() {
    let t = TestApp::spawn_with(&[("comment_threshold", 10.into())]).await;
    seed_org(&t.app.db, &["Vertrieb", "Technik"], 12).await;
    let many: Vec<_> = (0..10)
        .map(|i| commenting(4, &format!("Idee {i}")))
        .collect();
    let id = closed_round(
        &t,
        "Oktober",
        0,
        &[("Vertrieb", many), ("Technik", same(6, 3, 6))],
    )
    .await;
    let company = query::comments(&t.app.reports, WHOLE, id, None)
        .await
        .unwrap();
    assert_eq!(company.as_shown().unwrap().len(), 10);
    let technik = kundenpuls::org::department::all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.path == "Technik")
        .unwrap()
        .id;
    let few = query::comments(&t.app.reports, WHOLE, id, Some(technik))
        .await
        .unwrap();
    assert!(
        !few.is_shown(),
        "6 respondents are below a comment threshold of 10"
    );
}
