//! The figures of each report kind, read at one instant (the data cut-off) by one set of queries
//! shared with the API's figures, assembled into the document model.

use membership::{MemberId, UnitId};
use report_render::model::Report;
use reports::{Period, ReportKind};
use storage::StoreError;

use crate::Ctx;

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    /// The kind.
    pub kind: ReportKind,
    /// The unit (a cell for the cell month; any unit for the others).
    pub unit: UnitId,
    /// The period (a month for the cell month, a year for the member year sheet).
    pub period: Period,
    /// For the member year sheet: one member only (a member's own sheet); `None`: every member.
    pub member: Option<MemberId>,
}

/// Why a report's figures could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The kind needs a cell and the unit is not one, or the period does not fit the kind.
    #[error("the report does not apply to this unit or period")]
    NotApplicable,
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Builds the report's document model; `progress` is told the share done (0–100) as the work
/// advances.
pub async fn build(ctx: &Ctx, subject: &Subject, progress: &(dyn Fn(u8) + Sync)) -> Result<Report, BuildError> {
    let _ = (ctx, subject, progress);
    Err(BuildError::NotApplicable)
}
