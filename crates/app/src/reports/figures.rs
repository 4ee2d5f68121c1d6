//! The figures of each report kind, read at one instant (the data cut-off) by one set of queries
//! shared with the API's figures, assembled into the document model.
//!
//! - `cell_month`: the cell's month — meetings, the attendance ledger, opinions, votes, the
//!   resolution, tasks, required reading and study points, signed by the cell's secretary.
//! - `activity`: the activity roll-up of a subtree, per child unit and per cell.
//! - `members`: membership changes per child unit and per cell, and the composition at the
//!   end of the period.
//! - `member_year`: the member year sheet.
//!
//! Every figure comes from one grouped query over the subtree (`storage::report_figures`, the
//! task list of `app::tasks::stats`) assembled here with hash maps, never from a query per cell
//! or member; the per-meeting and per-member figures are the domain's own
//! (`meetings::attendance::figures` / `member_figures`, `tasks::stats::figures`,
//! `study_points::ledger::on_target`), so that a report and the API never disagree.

mod activity;
mod cell_month;
mod member_year;
mod members;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use membership::position::Role;
use membership::{MemberId, UnitId, UnitKind};
use report_render::model::{Cell, Column, ColumnKind, Report, Signature};
use reports::{Period, ReportKind};
use storage::StoreError;
use storage::report_figures::UnitRow;

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
    // One instant for every figure.
    let now = ctx.clock.now();
    let today = ctx.clock.today();
    if !subject.kind.accepts(subject.period) || (subject.member.is_some() && subject.kind != ReportKind::MemberYear) {
        return Err(BuildError::NotApplicable);
    }
    let unit = storage::units::get(ctx.db.reader(), subject.unit).await?;
    if subject.kind.needs_cell() && unit.kind != UnitKind::Cell {
        return Err(BuildError::NotApplicable);
    }
    let superior_name = match unit.parent_id {
        Some(p) => Some(storage::units::get(ctx.db.reader(), p).await?.name),
        None => None,
    };
    progress(5);
    let mut report = Report {
        title: subject.kind.title_vi().to_string(),
        unit_name: unit.name.clone(),
        superior_name,
        period_label: subject.period.label_vi(),
        period: subject.period.to_string(),
        place: unit.name.clone(),
        date: today,
        generated_at: now,
        data_cutoff: now,
        summary: Vec::new(),
        sections: Vec::new(),
        charts: Vec::new(),
        notes: Vec::new(),
        signature: None,
        primary: 0,
    };
    let at = At { now, today, period: subject.period };
    match subject.kind {
        ReportKind::CellMonth => cell_month::fill(ctx, &at, unit.id, &mut report, progress).await?,
        ReportKind::Activity => activity::fill(ctx, &at, unit.id, &mut report, progress).await?,
        ReportKind::Membership => members::fill(ctx, &at, unit.id, &mut report, progress).await?,
        ReportKind::MemberYear => {
            member_year::fill(ctx, &at, unit.id, subject.member, &mut report, progress).await?;
            if unit.kind == UnitKind::Cell {
                report.signature = Some(secretary_signature(ctx, unit.id, at.signing_date()).await?);
            }
        }
    }
    progress(100);
    Ok(report)
}

/// The instant and period a report is read at.
#[derive(Debug, Clone, Copy)]
struct At {
    /// The data cut-off.
    now: DateTime<Utc>,
    /// Vietnam's date of the cut-off.
    today: NaiveDate,
    /// The period.
    period: Period,
}

impl At {
    /// The period's first instant (Vietnam midnight).
    fn from(&self) -> DateTime<Utc> {
        membership::time::start_of_day(self.period.start())
    }
    /// The instant after the period.
    fn to(&self) -> DateTime<Utc> {
        membership::time::start_of_day(self.period.end_exclusive())
    }
    /// The date a signature or a state "on the date" refers to: the period's last day, or today
    /// when the period is not over.
    fn signing_date(&self) -> NaiveDate {
        self.period.last_day().min(self.today)
    }
}

/// "T/M CHI ỦY — BÍ THƯ" with the name of the cell's secretary on `on`, if any.
async fn secretary_signature(ctx: &Ctx, cell: UnitId, on: NaiveDate) -> Result<Signature, StoreError> {
    let holder = storage::positions::for_unit(ctx.db.reader(), cell)
        .await?
        .into_iter()
        .filter(|p| p.role == Role::Secretary && p.is_active_on(on))
        .max_by_key(|p| p.from)
        .map(|p| p.member_id);
    let name = match holder {
        Some(m) => Some(storage::members::get(ctx.db.reader(), m).await?.full_name.as_str().to_string()),
        None => None,
    };
    Ok(Signature { on_behalf: "T/M CHI ỦY".into(), title: "BÍ THƯ".into(), name })
}

/// Where each unit of a subtree rolls up to: its cell (the nearest cell at or above it) and its
/// child of the subtree's root (drill-down level 1).
#[derive(Debug)]
struct Tree {
    /// The subtree's units, by depth then name.
    units: Vec<UnitRow>,
    cell_of: HashMap<UnitId, UnitId>,
    child_of: HashMap<UnitId, UnitId>,
    parent_of: HashMap<UnitId, UnitId>,
    names: HashMap<UnitId, String>,
}

impl Tree {
    async fn load(ctx: &Ctx, root: UnitId) -> Result<Tree, StoreError> {
        let units = storage::report_figures::subtree_units(ctx.db.reader(), root).await?;
        let mut cell_of = HashMap::new();
        let mut child_of = HashMap::new();
        let mut parent_of = HashMap::new();
        // Units come by depth: a parent is placed before its children.
        for u in &units {
            let parent = u.parent_id.filter(|_| u.depth > 0);
            if let Some(p) = parent {
                parent_of.insert(u.id, p);
            }
            if u.kind == UnitKind::Cell {
                cell_of.insert(u.id, u.id);
            } else if let Some(c) = parent.and_then(|p| cell_of.get(&p).copied()) {
                cell_of.insert(u.id, c);
            }
            if u.depth == 1 {
                child_of.insert(u.id, u.id);
            } else if let Some(c) = parent.and_then(|p| child_of.get(&p).copied()) {
                child_of.insert(u.id, c);
            }
        }
        let names = units.iter().map(|u| (u.id, u.name.clone())).collect();
        Ok(Tree { units, cell_of, child_of, parent_of, names })
    }

    /// The cells of the subtree, in tree order (by depth then name).
    fn cells(&self) -> impl Iterator<Item = &UnitRow> {
        self.units.iter().filter(|u| u.kind == UnitKind::Cell)
    }

    /// The children of the subtree's root.
    fn children(&self) -> impl Iterator<Item = &UnitRow> {
        self.units.iter().filter(|u| u.depth == 1)
    }

    fn name(&self, id: UnitId) -> String {
        self.names.get(&id).cloned().unwrap_or_default()
    }

    /// `unit` and its ancestors up to the subtree's root; empty when `unit` is outside.
    fn chain(&self, unit: UnitId) -> Vec<UnitId> {
        if !self.names.contains_key(&unit) {
            return Vec::new();
        }
        let mut out = vec![unit];
        let mut at = unit;
        while let Some(p) = self.parent_of.get(&at) {
            out.push(*p);
            at = *p;
        }
        out
    }
}

// ---------------------------------------------------------------- document helpers

fn col(key: &str, header: &str, kind: ColumnKind) -> Column {
    Column { key: key.to_string(), header: header.to_string(), kind }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn int(n: u64) -> Cell {
    Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn percent(part: u64, whole: u64) -> Cell {
    reports::figures::ratio(part, whole).map_or(Cell::Empty, Cell::Percent)
}

fn decimal(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Decimal)
}

fn yes_no(b: bool) -> Cell {
    text(if b { "Có" } else { "Không" })
}

fn reached(b: bool) -> Cell {
    text(if b { "Đạt" } else { "Chưa đạt" })
}

fn meeting_kind_vi(k: meetings::lifecycle::MeetingKind, combined: bool) -> &'static str {
    use meetings::lifecycle::MeetingKind::*;
    match (k, combined) {
        (Regular, true) => "Thường kỳ kết hợp chuyên đề",
        (Regular, false) => "Thường kỳ",
        (Thematic, _) => "Chuyên đề",
        (Extraordinary, _) => "Bất thường",
        (Committee, _) => "Chi ủy",
    }
}

fn meeting_status_vi(s: meetings::lifecycle::MeetingStatus) -> &'static str {
    use meetings::lifecycle::MeetingStatus::*;
    match s {
        Draft => "Dự thảo",
        Published => "Đã thông báo",
        Open => "Đang họp",
        Ended => "Đã kết thúc",
        MinutesApproved => "Đã thông qua biên bản",
        Reported => "Đã báo cáo",
        Acknowledged => "Cấp trên đã xác nhận",
        Cancelled => "Đã hủy",
    }
}

fn attendance_vi(s: meetings::attendance::AttendanceStatus) -> &'static str {
    use meetings::attendance::AttendanceStatus::*;
    match s {
        Present => "Có mặt",
        Late => "Đến muộn",
        AbsentWithReason => "Vắng có lý do",
        AbsentWithoutReason => "Vắng không lý do",
    }
}

fn roster_role_vi(r: meetings::roster::RosterRole) -> &'static str {
    match r {
        meetings::roster::RosterRole::Obliged => "Phải dự",
        meetings::roster::RosterRole::Guest => "Dự khách",
    }
}

fn task_status_vi(s: tasks::workflow::Status) -> &'static str {
    use tasks::workflow::Status::*;
    match s {
        Assigned => "Đã giao",
        InProgress => "Đang thực hiện",
        AwaitingEvaluation => "Chờ đánh giá",
        Done => "Hoàn thành",
        Cancelled => "Đã hủy",
    }
}

fn rating_vi(r: tasks::workflow::Rating) -> &'static str {
    use tasks::workflow::Rating::*;
    match r {
        Excellent => "Hoàn thành xuất sắc",
        Good => "Hoàn thành tốt",
        Complete => "Hoàn thành",
        NotComplete => "Không hoàn thành",
    }
}

/// The score of a rating for the mean rating: 4 (excellent) down to 1 (not complete).
fn rating_score(r: tasks::workflow::Rating) -> u32 {
    use tasks::workflow::Rating::*;
    match r {
        Excellent => 4,
        Good => 3,
        Complete => 2,
        NotComplete => 1,
    }
}

/// The task facts the domain's figures take.
fn task_facts(t: &storage::tasks::TaskRecord) -> tasks::stats::TaskFacts {
    tasks::stats::TaskFacts { status: t.status, due_on: t.due_on, submitted_at: t.submitted_at, rating: t.rating }
}

/// Whether a yearly points total reaches the target (strictly above, as the study figures count).
fn on_target(points: i64) -> bool {
    study_points::ledger::on_target(points, reports::figures::POINTS_TARGET)
}
