//! The leadership dashboard's pages as data: the reader's top (the company, or a scoped viewer's
//! department), one department of one round, one round as a tree — every figure already through
//! the threshold and complementary suppression (`query`), turned into what a page prints,
//! numbers formatted for the reader's language. Hidden figures carry their reason, never a
//! count.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use kundenpuls_charts::MarkKind;

use super::picture::{ChartPicture, picture};
use crate::action::store;
use crate::entities::{department, round};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, number, percent, signed, text};
use crate::org::department as departments;
use crate::report::aggregate;
use crate::report::charts::{self, Chart, HeatmapRows, HeatmapView};
use crate::report::context::Reports;
use crate::report::participation;
use crate::report::query::{self, Reader, RoundResults};
use crate::report::results::GroupReport;
use crate::report::stats::{Change, HiddenReason, Interval, Shown};
use crate::report::story::{self, Story};
use crate::report::trend::RoundLabel;
use crate::vocab::{Pillar, RoundState};

/// The interval as the index can be: a small group's interval reaches past 0 or 100 by the
/// arithmetic, never by the scale.
fn interval(ci: &Interval, locale: Locale) -> String {
    format!(
        "{}–{}",
        number(ci.low.clamp(0.0, 100.0), 1, locale),
        number(ci.high.clamp(0.0, 100.0), 1, locale)
    )
}

// ---------------------------------------------------------------------------------------------
// What a page prints

/// One figure: its text, or why it is hidden.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub value: Option<String>,
    /// The 95 % confidence interval, `low–high`.
    pub ci: Option<String>,
    pub hidden: Option<HiddenReason>,
}

impl Cell {
    fn hidden(reason: HiddenReason) -> Cell {
        Cell {
            value: None,
            ci: None,
            hidden: Some(reason),
        }
    }

    fn shown(value: String, ci: Option<String>) -> Cell {
        Cell {
            value: Some(value),
            ci,
            hidden: None,
        }
    }
}

/// Which way a figure moved, as the page marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    Flat,
}

impl Direction {
    /// By the difference as printed: what rounds to 0,0 is flat.
    fn of(difference: f64) -> Direction {
        if difference >= 0.05 {
            Direction::Up
        } else if difference <= -0.05 {
            Direction::Down
        } else {
            Direction::Flat
        }
    }
}

/// The change against the previous round: shown whenever both rounds show the figure, called
/// significant only when Welch's test says so.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub difference: String,
    pub direction: Direction,
    pub significant: bool,
    /// Two-sided p of Welch's test, two decimals ("< 0,01" below).
    pub p: String,
}

fn change_view(change: &Change, locale: Locale) -> ChangeView {
    ChangeView {
        difference: signed(change.difference, 1, locale),
        direction: Direction::of(change.difference),
        significant: change.significant,
        p: if change.p < 0.01 {
            format!("< {}", number(0.01, 2, locale))
        } else {
            number(change.p, 2, locale)
        },
    }
}

/// A department's figure against the same figure of a larger group in the same round (the
/// company, or a scoped reader's own department). Only a difference: the department's answers
/// are part of the larger group's, so a test between them would not be a fair one.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub difference: String,
    pub direction: Direction,
}

fn difference(own: f64, reference: f64, locale: Locale) -> Difference {
    Difference {
        difference: signed(own - reference, 1, locale),
        direction: Direction::of(own - reference),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PillarView {
    pub key: Pillar,
    pub label: &'static str,
    pub index: Cell,
    pub change: Option<ChangeView>,
    /// Against the reference group (see [`GroupView::reference`]).
    pub vs_reference: Option<Difference>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParticipationView {
    pub answered: u64,
    pub invited: u64,
    pub rate: String,
}

/// One group of a round: the company or a department with its subtree.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub department_id: Option<i32>,
    pub name: String,
    pub path: String,
    /// Below the reader's top (0 = the top itself).
    pub level: usize,
    pub responses: Cell,
    /// Only where the group's responses are shown.
    pub participation: Option<ParticipationView>,
    pub overall: Cell,
    /// Against the reference group.
    pub overall_vs_reference: Option<Difference>,
    pub pillars: Vec<PillarView>,
    /// Whether any pillar shows a significant change (for the footnote).
    pub any_change: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub question_id: i32,
    pub text: String,
    pub pillar: Option<&'static str>,
    pub core: bool,
    pub reverse_coded: bool,
    pub hidden: Option<HiddenReason>,
    pub mean: Option<String>,
    pub favourable: Option<String>,
    pub unfavourable: Option<String>,
    pub cant_judge: Option<String>,
    pub n: Option<u64>,
    /// Where an action on this item starts, for the weak items the story names.
    pub act: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetView {
    pub text: String,
    pub hidden: Option<HiddenReason>,
    pub net_score: Option<String>,
    pub promoters: Option<String>,
    pub passives: Option<String>,
    pub detractors: Option<String>,
    pub n: Option<u64>,
}

fn pillar_label(locale: Locale, pillar: Pillar) -> &'static str {
    text(locale, &format!("pillar_{pillar}"))
}

fn participation_view(answered: u64, invited: u64, locale: Locale) -> ParticipationView {
    let rate = if invited == 0 {
        0.0
    } else {
        answered as f64 * 100.0 / invited as f64
    };
    ParticipationView {
        answered,
        invited,
        rate: percent(rate, 0, locale),
    }
}

/// How far below the reader's top `group` is: 0 for the top itself, 1 right below it.
/// `top_depth`: the depth of the reader's top department, `None` when the top is the company.
fn level_below_top(group: &GroupReport, top_depth: Option<usize>) -> usize {
    match (group.department_id, top_depth) {
        (None, _) => 0,
        (Some(_), None) => group.depth + 1,
        (Some(_), Some(top)) => group.depth.saturating_sub(top),
    }
}

/// `top_depth`: the depth of the reader's top department, `None` when the top is the company.
/// `reference`: the larger group this one is compared with, `None` for the reader's top itself.
fn group_view(
    group: &GroupReport,
    reference: Option<&GroupReport>,
    top_depth: Option<usize>,
    locale: Locale,
) -> GroupView {
    let responses = match &group.responses {
        Shown::Shown(n) => Cell::shown(n.to_string(), None),
        Shown::Hidden { reason } => Cell::hidden(*reason),
    };
    let participation = match (&group.responses, &group.participation) {
        (Shown::Shown(_), Shown::Shown(p)) => {
            Some(participation_view(p.answered, p.invited, locale))
        }
        _ => None,
    };
    let overall = match &group.overall {
        Shown::Shown(o) => Cell::shown(
            number(o.index, 1, locale),
            o.ci95.as_ref().map(|ci| interval(ci, locale)),
        ),
        Shown::Hidden { reason } => Cell::hidden(*reason),
    };
    let overall_vs_reference = match (
        group.overall.as_shown(),
        reference.and_then(|r| r.overall.as_shown()),
    ) {
        (Some(own), Some(other)) => Some(difference(own.index, other.index, locale)),
        _ => None,
    };
    let pillars: Vec<PillarView> = group
        .pillars
        .iter()
        .enumerate()
        .map(|(i, p)| PillarView {
            key: p.key,
            label: pillar_label(locale, p.key),
            index: match &p.index {
                Shown::Shown(i) => Cell::shown(
                    number(i.index, 1, locale),
                    i.ci95.as_ref().map(|ci| interval(ci, locale)),
                ),
                Shown::Hidden { reason } => Cell::hidden(*reason),
            },
            change: match &p.change {
                Some(Shown::Shown(c)) => Some(change_view(c, locale)),
                _ => None,
            },
            vs_reference: match (
                p.index.as_shown(),
                reference
                    .and_then(|r| r.pillars.get(i))
                    .filter(|r| r.key == p.key)
                    .and_then(|r| r.index.as_shown()),
            ) {
                (Some(own), Some(other)) => Some(difference(own.index, other.index, locale)),
                _ => None,
            },
        })
        .collect();
    GroupView {
        department_id: group.department_id,
        name: group.name.clone(),
        path: group.path.clone(),
        level: level_below_top(group, top_depth),
        responses,
        participation,
        overall,
        overall_vs_reference,
        any_change: pillars
            .iter()
            .any(|p| p.change.as_ref().is_some_and(|c| c.significant)),
        pillars,
    }
}

fn item_views(group: &GroupReport, locale: Locale) -> (Vec<ItemView>, Vec<NetView>) {
    let items = group
        .items
        .iter()
        .map(|item| {
            let f = item.figures.as_shown();
            ItemView {
                question_id: item.question_id,
                text: item.text.clone(),
                pillar: item.pillar.map(|p| pillar_label(locale, p)),
                core: item.core,
                reverse_coded: item.reverse_coded,
                hidden: item.figures.hidden_reason(),
                mean: f.map(|f| number(f.mean, 2, locale)),
                favourable: f.map(|f| percent(f.favourable_pct, 0, locale)),
                unfavourable: f.map(|f| percent(f.unfavourable_pct, 0, locale)),
                cant_judge: f.map(|f| percent(f.cant_judge_pct, 0, locale)),
                n: f.map(|f| f.n),
                act: None,
            }
        })
        .collect();
    let net = group
        .net_scores
        .iter()
        .map(|item| {
            let f = item.figures.as_shown();
            NetView {
                text: item.text.clone(),
                hidden: item.figures.hidden_reason(),
                net_score: f.map(|f| signed(f.net_score, 0, locale)),
                promoters: f.map(|f| percent(f.promoters_pct, 0, locale)),
                passives: f.map(|f| percent(f.passives_pct, 0, locale)),
                detractors: f.map(|f| percent(f.detractors_pct, 0, locale)),
                n: f.map(|f| f.n),
            }
        })
        .collect();
    (items, net)
}

/// Gives the weak items the story names the link that starts an action on them.
fn mark_actable(items: &mut [ItemView], story: &Story, round_id: i32) {
    for act in story.weaknesses.iter().filter_map(|s| s.act) {
        let Some(question_id) = act.question_id else {
            continue;
        };
        if let Some(item) = items.iter_mut().find(|i| i.question_id == question_id) {
            item.act = Some(format!(
                "/actions/new?department={}&round={round_id}&question={question_id}",
                act.department_id
            ));
        }
    }
}

/// The reason every item shares, when all are hidden for one reason.
fn common_hidden_reason(items: &[ItemView]) -> Option<HiddenReason> {
    let first = items.first()?.hidden?;
    items
        .iter()
        .all(|i| i.hidden == Some(first))
        .then_some(first)
}

// ---------------------------------------------------------------------------------------------
// The reader's top

/// The group a reader sees first: the company, or a scoped viewer's department.
#[derive(Debug, Clone, Serialize)]
pub struct Top {
    pub department_id: Option<i32>,
    pub name: String,
}

pub fn company_name(locale: Locale) -> &'static str {
    text(locale, "dashboard_scope_all")
}

fn top_of(all: &[department::Model], reader: Reader) -> Top {
    match reader.scope.and_then(|id| all.iter().find(|d| d.id == id)) {
        Some(d) => Top {
            department_id: Some(d.id),
            name: d.path.clone(),
        },
        None => Top {
            department_id: None,
            name: company_name(reader.locale).to_owned(),
        },
    }
}

fn depth_of(path: &str) -> usize {
    path.matches(departments::SEPARATOR).count()
}

/// The depth the reader's top department has in `GroupReport::depth` terms; `None` when the
/// top is the company.
fn top_depth(all: &[department::Model], reader: Reader) -> Option<usize> {
    reader
        .scope
        .and_then(|id| all.iter().find(|d| d.id == id))
        .map(|d| depth_of(&d.path))
}

/// One group of the round (`None`: the company), if the reader sees it.
fn group_of(results: &RoundResults, id: Option<i32>) -> Option<&GroupReport> {
    results.groups.iter().find(|g| g.department_id == id)
}

/// The groups one level below `group` (`None`: the departments at the top of the company).
fn children(results: &RoundResults, group: Option<i32>) -> Vec<&GroupReport> {
    results
        .groups
        .iter()
        .filter(|g| g.department_id.is_some() && g.parent_id == group)
        .collect()
}

/// What the heatmap compares: the reader's top and every department below it that the
/// reader sees, in tree order with its level. A scoped reader's rows are cut to their subtree
/// here as well, whatever the results hold.
fn heatmap_rows<'a>(
    results: &'a RoundResults,
    all: &[department::Model],
    reader: Reader,
) -> HeatmapRows<'a> {
    let depth = top_depth(all, reader);
    let reference = group_of(results, reader.scope);
    let below: Option<Vec<i32>> = reader
        .scope
        .map(|root| departments::subtree_ids(all, &[root]).into_iter().collect());
    let rows = results
        .groups
        .iter()
        .filter(|g| match (g.department_id, &below) {
            (None, _) => false,
            (Some(id), Some(below)) => Some(id) != reader.scope && below.contains(&id),
            (Some(_), None) => true,
        })
        .map(|g| (level_below_top(g, depth), g))
        .collect();
    HeatmapRows {
        reference,
        reference_name: reader.scope.and(reference).map(|g| g.name.as_str()),
        rows,
    }
}

/// A round that is still open: participation numbers only, never figures.
#[derive(Debug, Clone, Serialize)]
pub struct OpenRound {
    pub round: RoundLabel,
    /// The reader's part as a whole, when at least the threshold were invited.
    pub total: Option<ParticipationView>,
    pub units: Vec<UnitView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub department_id: i32,
    pub path: String,
    pub includes_smaller_units: bool,
    pub participation: ParticipationView,
}

async fn open_round_view(
    reports: &Reports,
    reader: Reader,
    round: &round::Model,
) -> AppResult<OpenRound> {
    let threshold = reports.settings.anonymity_threshold;
    let part = participation::of_round(&reports.db, round.id, reader.scope, threshold).await?;
    Ok(OpenRound {
        round: query::label(round, reports.settings.timezone),
        total: part
            .total
            .map(|c| participation_view(c.answered, c.invited, reader.locale)),
        units: part
            .units
            .iter()
            .map(|u| UnitView {
                department_id: u.department_id,
                path: u.path.clone(),
                includes_smaller_units: u.includes_smaller_units,
                participation: participation_view(
                    u.counts.answered,
                    u.counts.invited,
                    reader.locale,
                ),
            })
            .collect(),
    })
}

async fn open_rounds(reports: &Reports, reader: Reader) -> AppResult<Vec<OpenRound>> {
    let rounds = round::Entity::find()
        .filter(round::Column::State.eq(RoundState::Open))
        .order_by_asc(round::Column::OpensAt)
        .all(&reports.db)
        .await?;
    let mut out = Vec::new();
    for round in &rounds {
        let view = open_round_view(reports, reader, round).await?;
        if view.total.is_some() || !view.units.is_empty() {
            out.push(view);
        }
    }
    Ok(out)
}

/// The company overview (`GET /dashboard`).
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub top: Top,
    /// The latest closed round, if any.
    pub round: Option<RoundLabel>,
    pub previous: Option<RoundLabel>,
    pub group: Option<GroupView>,
    /// What stands out, in sentences, first on the page.
    pub story: Option<Story>,
    /// The top's items (the company's, or a scoped reader's department's).
    pub items: Vec<ItemView>,
    pub items_hidden: Option<HiddenReason>,
    /// The top's departments, linked to their pages.
    pub children: Vec<GroupView>,
    /// The trend of the reader's top, once a round is closed.
    pub trend: Option<ChartPicture>,
    pub heatmap: Option<HeatmapPanel>,
    /// Closed rounds, newest first.
    pub closed: Vec<RoundLabel>,
    pub open: Vec<OpenRound>,
    pub anonymity_threshold: u32,
}

pub async fn overview(reports: &Reports, reader: Reader) -> AppResult<Overview> {
    let all = departments::all(&reports.db).await?;
    let top = top_of(&all, reader);
    let tz = reports.settings.timezone;
    let closed: Vec<RoundLabel> = aggregate::closed_rounds(&reports.db)
        .await?
        .iter()
        .rev()
        .map(|r| query::label(r, tz))
        .collect();
    let open = open_rounds(reports, reader).await?;
    let mut out = Overview {
        top,
        round: None,
        previous: None,
        group: None,
        story: None,
        items: Vec::new(),
        items_hidden: None,
        children: Vec::new(),
        trend: None,
        heatmap: None,
        closed,
        open,
        anonymity_threshold: reports.settings.anonymity_threshold,
    };
    let Some(latest) = query::latest_closed(reports).await? else {
        return Ok(out);
    };
    let results = query::round_results(reports, reader, latest.id).await?;
    let depth = top_depth(&all, reader);
    let top_group = group_of(&results, out.top.department_id);
    out.group = top_group.map(|g| group_view(g, None, depth, reader.locale));
    if let Some(top) = top_group {
        let told = story::of_round(&results, top, None, reader.locale);
        let (mut items, _) = item_views(top, reader.locale);
        mark_actable(&mut items, &told, latest.id);
        out.story = Some(told);
        out.items_hidden = common_hidden_reason(&items);
        out.items = items;
    }
    out.children = children(&results, out.top.department_id)
        .into_iter()
        .map(|g| group_view(g, top_group, depth, reader.locale))
        .collect();
    let trend = trend_chart(reports, reader, None).await?;
    out.trend = Some(picture(&trend, "/charts/trend.svg"));
    out.heatmap = Some(heatmap_panel(
        &results,
        &all,
        reader,
        HeatmapChoice::default(),
    ));
    out.round = Some(results.round);
    out.previous = results.previous;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// One department of one round

#[derive(Debug, Clone, Serialize)]
pub struct Crumb {
    pub department_id: Option<i32>,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comments {
    pub shown: bool,
    pub hidden: Option<HiddenReason>,
    pub texts: Vec<String>,
}

/// A department's page (`GET /dashboard/departments/<id>`).
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentPage {
    pub department_id: i32,
    pub name: String,
    pub path: String,
    pub breadcrumbs: Vec<Crumb>,
    /// The round shown; `None` when no round has closed yet and none was asked for.
    pub round: Option<RoundLabel>,
    pub state: Option<RoundState>,
    pub previous: Option<RoundLabel>,
    /// Closed rounds, newest first, to choose another.
    pub closed: Vec<RoundLabel>,
    /// `None` when the department was not part of the round (or the round is not closed).
    pub group: Option<GroupView>,
    /// The larger group the department's figures are compared with (the company, or the
    /// reader's own department); its sub-units are compared with the department itself.
    pub reference: Option<String>,
    /// What stands out, in sentences, first on the page.
    pub story: Option<Story>,
    /// The group the department's answers count in when its own figures are hidden: its
    /// parent, or the company.
    pub counted_in: String,
    pub children: Vec<GroupView>,
    pub items: Vec<ItemView>,
    /// Set when every item is hidden for the same reason: the page says it once.
    pub items_hidden: Option<HiddenReason>,
    pub net_scores: Vec<NetView>,
    pub comments: Option<Comments>,
    /// Only for an open round: participation numbers.
    pub open: Option<OpenRound>,
    pub trend: ChartPicture,
    /// The actions marked on the trend, numbered as there: the chart's legend.
    pub trend_actions: Vec<MarkedAction>,
    pub anonymity_threshold: u32,
}

/// An action marked on a department's trend, as the list under the chart names it.
#[derive(Debug, Clone, Serialize)]
pub struct MarkedAction {
    /// The number on the chart ("1▶", "1■").
    pub number: usize,
    pub id: i32,
    pub title: String,
    /// In the reader's language.
    pub status: String,
}

fn breadcrumbs(all: &[department::Model], reader: Reader, id: i32) -> Vec<Crumb> {
    let by_id: HashMap<i32, &department::Model> = all.iter().map(|d| (d.id, d)).collect();
    let mut chain = Vec::new();
    let mut next = by_id.get(&id).and_then(|d| d.parent_id);
    while let Some(ancestor) = next {
        let Some(d) = by_id.get(&ancestor) else {
            break;
        };
        chain.push(Crumb {
            department_id: Some(d.id),
            name: d.name.clone(),
        });
        if reader.scope == Some(d.id) {
            break;
        }
        next = d.parent_id;
    }
    if reader.scope.is_none() {
        chain.push(Crumb {
            department_id: None,
            name: company_name(reader.locale).to_owned(),
        });
    }
    chain.reverse();
    chain
}

pub async fn department_page(
    reports: &Reports,
    reader: Reader,
    department_id: i32,
    round_id: Option<i32>,
) -> AppResult<DepartmentPage> {
    let all = departments::all(&reports.db).await?;
    query::resolve_group(&all, reader, Some(department_id))?;
    let department = all
        .iter()
        .find(|d| d.id == department_id)
        .ok_or(AppError::NotFound)?;
    let tz = reports.settings.timezone;
    let closed_rounds = aggregate::closed_rounds(&reports.db).await?;
    let round = match round_id {
        Some(id) => Some(
            round::Entity::find_by_id(id)
                .one(&reports.db)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => closed_rounds.last().cloned(),
    };
    let (trend, trend_actions) = department_trend(reports, reader, department_id).await?;
    let mut page = DepartmentPage {
        department_id,
        name: department.name.clone(),
        path: department.path.clone(),
        breadcrumbs: breadcrumbs(&all, reader, department_id),
        round: None,
        state: None,
        previous: None,
        closed: closed_rounds
            .iter()
            .rev()
            .map(|r| query::label(r, tz))
            .collect(),
        group: None,
        reference: None,
        story: None,
        counted_in: all
            .iter()
            .find(|d| Some(d.id) == department.parent_id)
            .map_or_else(
                || company_name(reader.locale).to_owned(),
                |d| d.name.clone(),
            ),
        children: Vec::new(),
        items: Vec::new(),
        items_hidden: None,
        net_scores: Vec::new(),
        comments: None,
        open: None,
        trend: picture(
            &trend,
            &format!("/charts/trend.svg?department={department_id}"),
        ),
        trend_actions,
        anonymity_threshold: reports.settings.anonymity_threshold,
    };
    let Some(round) = round else {
        return Ok(page);
    };
    page.state = Some(round.state);
    if round.state == RoundState::Open {
        let mut scoped = reader;
        scoped.scope = Some(department_id);
        page.open = Some(open_round_view(reports, scoped, &round).await?);
    }
    let results = query::round_results(reports, reader, round.id).await?;
    let depth = Some(depth_of(&department.path));
    if let Some(group) = group_of(&results, Some(department_id)) {
        // The company where the reader sees it, else the reader's own department; none when
        // that is this department.
        let reference = group_of(&results, None)
            .or_else(|| group_of(&results, reader.scope))
            .filter(|r| r.department_id != Some(department_id));
        page.reference = reference.map(|r| r.name.clone());
        let told = story::of_round(&results, group, reference, reader.locale);
        page.group = Some(group_view(group, reference, depth, reader.locale));
        let (mut items, net) = item_views(group, reader.locale);
        mark_actable(&mut items, &told, round.id);
        page.story = Some(told);
        page.items_hidden = common_hidden_reason(&items);
        page.items = items;
        page.net_scores = net;
        page.children = children(&results, Some(department_id))
            .into_iter()
            .map(|g| group_view(g, Some(group), depth, reader.locale))
            .collect();
        let comments = query::comments(reports, reader, round.id, Some(department_id)).await?;
        page.comments = Some(match comments {
            Shown::Shown(texts) => Comments {
                shown: true,
                hidden: None,
                texts,
            },
            Shown::Hidden { reason } => Comments {
                shown: false,
                hidden: Some(reason),
                texts: Vec::new(),
            },
        });
    }
    page.round = Some(results.round);
    page.previous = results.previous;
    Ok(page)
}

// ---------------------------------------------------------------------------------------------
// One round for the reader's top

/// A round's page (`GET /dashboard/rounds/<id>`).
#[derive(Debug, Clone, Serialize)]
pub struct RoundPage {
    pub top: Top,
    pub round: RoundLabel,
    pub state: RoundState,
    pub previous: Option<RoundLabel>,
    /// Every group the reader may see, the top first, in tree order.
    pub groups: Vec<GroupView>,
    pub open: Option<OpenRound>,
    pub heatmap: Option<HeatmapPanel>,
    pub participation_description: String,
    pub anonymity_threshold: u32,
}

pub async fn round_page(
    reports: &Reports,
    reader: Reader,
    round_id: i32,
    heatmap: HeatmapChoice,
) -> AppResult<RoundPage> {
    let all = departments::all(&reports.db).await?;
    let round = round::Entity::find_by_id(round_id)
        .one(&reports.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let results = query::round_results(reports, reader, round_id).await?;
    let depth = top_depth(&all, reader);
    let top = top_of(&all, reader);
    let top_group = group_of(&results, top.department_id);
    let groups = results
        .groups
        .iter()
        .map(|g| {
            let reference = top_group.filter(|t| t.department_id != g.department_id);
            group_view(g, reference, depth, reader.locale)
        })
        .collect();
    let open = if round.state == RoundState::Open {
        Some(open_round_view(reports, reader, &round).await?)
    } else {
        None
    };
    let heatmap =
        (round.state == RoundState::Closed).then(|| heatmap_panel(&results, &all, reader, heatmap));
    let participation_description = participation_chart(reports, reader, round_id)
        .await?
        .description();
    Ok(RoundPage {
        top,
        round: results.round,
        state: results.state,
        previous: results.previous,
        groups,
        open,
        heatmap,
        participation_description,
        anonymity_threshold: results.anonymity_threshold,
    })
}

// ---------------------------------------------------------------------------------------------
// Charts for the reader

/// The trend of `group` (`None`: the reader's top), scope checked; a department's with its
/// actions marked.
pub async fn trend_chart(
    reports: &Reports,
    reader: Reader,
    group: Option<i32>,
) -> AppResult<Chart> {
    match group {
        Some(department_id) => Ok(department_trend(reports, reader, department_id).await?.0),
        None => Ok(plain_trend(reports, reader, None).await?.0),
    }
}

/// A department's trend with the actions the reader may see marked where they started and
/// where they ended (done or dropped), numbered oldest first, and those actions for the list
/// under the chart. Composed here because `report` knows nothing of actions (`action` reads
/// `report`): the chart takes marks, this layer knows what they are.
///
/// Only the department's own actions, not its sub-units': a department's figure counts its
/// sub-units' answers, but a team's action is the team's to measure, on the team's own trend
/// one click below, where it can move the figure visibly. On the department's chart it would
/// suggest that the whole department acted, and a department of many teams would carry every
/// team's lines. (The page's list of open actions above, like `/actions?department=`, takes
/// the subtree: there the question is "what is being done here", not "what moved this line".)
pub async fn department_trend(
    reports: &Reports,
    reader: Reader,
    department_id: i32,
) -> AppResult<(Chart, Vec<MarkedAction>)> {
    let (chart, drawn) = plain_trend(reports, reader, Some(department_id)).await?;
    if !drawn {
        // A chart without figures says so and nothing else: no marks, nothing to list.
        return Ok((chart, Vec::new()));
    }
    let actions = store::of_department(&reports.db, reader.scope, department_id).await?;
    let tz = reports.settings.timezone;
    let day = |at: chrono::DateTime<chrono::Utc>| {
        use chrono::Datelike;
        let local = at.with_timezone(&tz).date_naive();
        kundenpuls_charts::RoundDate {
            year: local.year(),
            month: local.month(),
            day: local.day(),
        }
    };
    let mut marks = Vec::with_capacity(actions.len() * 2);
    let mut listed = Vec::with_capacity(actions.len());
    for (i, action) in actions.into_iter().enumerate() {
        let number = i + 1;
        let mark = |kind, at| kundenpuls_charts::TrendMark {
            label: number.to_string(),
            title: action.title.clone(),
            kind,
            date: day(at),
        };
        marks.push(mark(MarkKind::Start, action.created_at));
        if !action.status.is_open()
            && let Some(closed) = action.closed_at
        {
            marks.push(mark(MarkKind::End, closed));
        }
        listed.push(MarkedAction {
            number,
            id: action.id,
            status: text(reader.locale, store::status_key(action.status)).to_owned(),
            title: action.title,
        });
    }
    Ok((charts::with_marks(chart, marks), listed))
}

/// The trend of `group` as the reports give it, without marks, and whether it shows a figure.
async fn plain_trend(
    reports: &Reports,
    reader: Reader,
    group: Option<i32>,
) -> AppResult<(Chart, bool)> {
    let all = departments::all(&reports.db).await?;
    let resolved = query::resolve_group(&all, reader, group)?;
    let trend = query::trend(reports, reader, resolved).await?;
    let name = match resolved.and_then(|id| all.iter().find(|d| d.id == id)) {
        Some(d) => d.path.clone(),
        None => company_name(reader.locale).to_owned(),
    };
    Ok((
        charts::trend(&trend, &name, reader.locale),
        charts::has_figures(&trend),
    ))
}

/// The heatmap a reader asked for: its columns and how many levels below the top it shows
/// (`None`: all when they fit, else the first two).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeatmapChoice {
    pub view: HeatmapView,
    pub level: Option<usize>,
}

/// The narrowest drawing of a chart, which a phone gets: a level that fits there fits at
/// every width.
const NARROWEST: u32 = kundenpuls_charts::Size::MIN_WIDTH;

/// More rows than this make the chart a list to scroll through rather than a picture; the
/// default then shows the first two levels.
const MOST_DEFAULT_ROWS: usize = 30;

/// The heatmap as drawn, with the level it shows and the deepest level there is.
pub struct HeatmapDrawn {
    pub chart: Chart,
    pub level: usize,
    pub deepest: usize,
}

fn heatmap_of(
    results: &RoundResults,
    all: &[department::Model],
    reader: Reader,
    choice: HeatmapChoice,
    width: u32,
) -> HeatmapDrawn {
    let rows = heatmap_rows(results, all, reader);
    let deepest = rows.rows.iter().map(|(level, _)| *level).max().unwrap_or(1);
    let draw = |level: usize| {
        let cut = HeatmapRows {
            reference: rows.reference,
            reference_name: rows.reference_name,
            rows: rows
                .rows
                .iter()
                .filter(|(l, _)| *l <= level)
                .copied()
                .collect(),
        };
        charts::heatmap(&cut, choice.view, &results.round.title, reader.locale)
    };
    let mut level = match choice.level {
        Some(level) => level.clamp(1, deepest),
        None => {
            let everything = draw(deepest);
            if rows.rows.len() <= MOST_DEFAULT_ROWS && everything.fits(NARROWEST) {
                deepest
            } else {
                deepest.min(2)
            }
        }
    };
    let mut chart = draw(level);
    // Too many rows for the tallest picture at this width: fewer levels rather than none.
    while level > 1 && !chart.fits(width) {
        level -= 1;
        chart = draw(level);
    }
    HeatmapDrawn {
        chart,
        level,
        deepest,
    }
}

/// The heatmap on a page: the picture for each viewport and what the links offer.
#[derive(Debug, Clone, Serialize)]
pub struct HeatmapPanel {
    pub picture: ChartPicture,
    pub png: String,
    pub view: HeatmapView,
    pub level: usize,
    /// 1 ..= the deepest level, to choose from.
    pub levels: Vec<usize>,
}

fn heatmap_panel(
    results: &RoundResults,
    all: &[department::Model],
    reader: Reader,
    choice: HeatmapChoice,
) -> HeatmapPanel {
    let drawn = heatmap_of(results, all, reader, choice, NARROWEST);
    let view = match choice.view {
        HeatmapView::Pillars => "pillars",
        HeatmapView::Items => "items",
    };
    // The level the narrowest picture can show, for every width: one chart per page.
    let query = format!("view={view}&level={}", drawn.level);
    let path = format!("/charts/rounds/{}/heatmap", results.round.id);
    HeatmapPanel {
        picture: picture(&drawn.chart, &format!("{path}.svg?{query}")),
        png: format!("{path}.png?{query}"),
        view: choice.view,
        level: drawn.level,
        levels: (1..=drawn.deepest).collect(),
    }
}

/// Departments against the reader's top in one round, drawn `width` pixels wide. An open
/// round has no figures: the chart says so.
pub async fn heatmap_chart(
    reports: &Reports,
    reader: Reader,
    round_id: i32,
    choice: HeatmapChoice,
    width: u32,
) -> AppResult<Chart> {
    let all = departments::all(&reports.db).await?;
    let results = query::round_results(reports, reader, round_id).await?;
    Ok(heatmap_of(&results, &all, reader, choice, width).chart)
}

/// Participation per department of one round, the reader's part of the tree.
pub async fn participation_chart(
    reports: &Reports,
    reader: Reader,
    round_id: i32,
) -> AppResult<Chart> {
    let round = round::Entity::find_by_id(round_id)
        .one(&reports.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if !query::reaches(reports, reader, round_id).await? {
        return Err(AppError::NotFound);
    }
    let threshold = reports.settings.anonymity_threshold;
    let part = participation::of_round(&reports.db, round_id, reader.scope, threshold).await?;
    Ok(charts::participation(&part, &round.title, reader.locale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_stays_on_the_scale() {
        let wide = Interval {
            low: -1.2,
            high: 84.46,
        };
        assert_eq!(interval(&wide, Locale::De), "0,0–84,5");
        let top = Interval {
            low: 91.0,
            high: 104.0,
        };
        assert_eq!(interval(&top, Locale::En), "91.0–100.0");
    }

    #[test]
    fn a_change_that_prints_as_zero_is_flat() {
        assert_eq!(Direction::of(0.04), Direction::Flat);
        assert_eq!(Direction::of(-0.04), Direction::Flat);
        assert_eq!(Direction::of(0.05), Direction::Up);
        assert_eq!(Direction::of(-3.0), Direction::Down);
        let change = Change {
            difference: -3.04,
            p: 0.004,
            significant: true,
        };
        let view = change_view(&change, Locale::De);
        assert_eq!(view.difference, "−3,0");
        assert_eq!(view.p, "< 0,01");
        assert_eq!(view.direction, Direction::Down);
    }

    fn item(hidden: Option<HiddenReason>) -> ItemView {
        ItemView {
            question_id: 1,
            text: "Frage".into(),
            pillar: None,
            core: true,
            reverse_coded: false,
            hidden,
            mean: None,
            favourable: None,
            unfavourable: None,
            cant_judge: None,
            n: None,
            act: None,
        }
    }

    #[test]
    fn items_hidden_for_one_reason_are_said_once() {
        let all = [
            item(Some(HiddenReason::NotEnoughItemAnswers)),
            item(Some(HiddenReason::NotEnoughItemAnswers)),
        ];
        assert_eq!(
            common_hidden_reason(&all),
            Some(HiddenReason::NotEnoughItemAnswers)
        );
        let mixed = [item(Some(HiddenReason::NotEnoughItemAnswers)), item(None)];
        assert_eq!(common_hidden_reason(&mixed), None);
        assert_eq!(common_hidden_reason(&[]), None);
    }
}
