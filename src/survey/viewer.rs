//! Rounds as a viewer (leadership, a team lead) may see them in the rounds API: only those that
//! reached the viewer's branch, with participation suppressed like every other figure.

use super::round::{Participation, RoundView};
use crate::error::{AppError, AppResult};
use crate::org::department as departments;
use crate::report::context::Reports;
use crate::report::participation;
use crate::report::query::Reader;
use crate::vocab::RoundState;

/// The rounds a viewer may see, with participation as the viewer may see it (never the send
/// log: that is for admins). A company-wide viewer sees every round; a department-scoped one
/// the rounds that reached its subtree: those that invited anyone there (over the round's own
/// tree), and scheduled ones whose target includes it. Participation follows the suppression
/// of `report::participation`, over the whole tree of the round and then cut to the scope.
pub async fn rounds_for_viewer(
    reports: &Reports,
    reader: Reader,
    rounds: Vec<RoundView>,
) -> AppResult<Vec<RoundView>> {
    let scope_path = match reader.scope {
        None => None,
        Some(id) => Some(
            departments::all(&reports.db)
                .await?
                .into_iter()
                .find(|d| d.id == id)
                .map(|d| d.path)
                .ok_or(AppError::NotFound)?,
        ),
    };
    let threshold = reports.settings.anonymity_threshold;
    let mut out = Vec::with_capacity(rounds.len());
    for mut view in rounds {
        if view.state == RoundState::Scheduled {
            let reaches = match &scope_path {
                None => true,
                Some(scope) => {
                    view.departments.is_empty()
                        || view
                            .departments
                            .iter()
                            .any(|target| departments::on_one_branch(target, scope))
                }
            };
            if reaches {
                view.participation = Participation {
                    invited: None,
                    answered: None,
                };
                out.push(view);
            }
            continue;
        }
        let part = participation::of_round(&reports.db, view.id, reader.scope, threshold).await?;
        if !part.invited_any {
            continue;
        }
        view.participation = Participation {
            invited: part.total.map(|c| c.invited),
            answered: part.total.map(|c| c.answered),
        };
        out.push(view);
    }
    Ok(out)
}
