//! The activity roll-up: per child unit and per cell of a subtree, for a month, quarter or year.

use std::collections::{HashMap, HashSet};

use chrono::Datelike;
use meetings::attendance::{Attended, member_figures};
use meetings::lifecycle::MeetingKind;
use membership::time::local_date;
use membership::{MemberId, UnitId};
use report_render::model::{Cell, Chart, ColumnKind, Fact, Note, Report, Section, Series};
use reports::figures::RateBand;
use storage::StoreError;
use storage::report_figures as q;

use super::{At, Tree, col, decimal, int, on_target, percent, task_facts, text};
use crate::Ctx;

/// The figures of one cell, or the sums of several (rates are recomputed from the sums).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Acc {
    pub cells: u64,
    pub members: u64,
    pub regular_held: u64,
    pub regular_due: u64,
    pub thematic_held: u64,
    pub thematic_quarters: u64,
    pub quarters_due: u64,
    pub meetings: u64,
    pub obliged: u64,
    pub attended: u64,
    pub above_85: u64,
    pub flagged: u64,
    pub reports_on_time: u64,
    pub reports_late: u64,
    pub tasks_assigned: u64,
    pub tasks_on_time: u64,
    pub tasks_late: u64,
    pub tasks_overdue: u64,
    pub reading_required: u64,
    pub reading_done: u64,
    pub points_sum: i64,
    pub on_target: u64,
    pub active: u64,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        self.cells += o.cells;
        self.members += o.members;
        self.regular_held += o.regular_held;
        self.regular_due += o.regular_due;
        self.thematic_held += o.thematic_held;
        self.thematic_quarters += o.thematic_quarters;
        self.quarters_due += o.quarters_due;
        self.meetings += o.meetings;
        self.obliged += o.obliged;
        self.attended += o.attended;
        self.above_85 += o.above_85;
        self.flagged += o.flagged;
        self.reports_on_time += o.reports_on_time;
        self.reports_late += o.reports_late;
        self.tasks_assigned += o.tasks_assigned;
        self.tasks_on_time += o.tasks_on_time;
        self.tasks_late += o.tasks_late;
        self.tasks_overdue += o.tasks_overdue;
        self.reading_required += o.reading_required;
        self.reading_done += o.reading_done;
        self.points_sum += o.points_sum;
        self.on_target += o.on_target;
        self.active += o.active;
    }

    fn rate(&self) -> Option<f64> {
        reports::figures::ratio(self.attended, self.obliged)
    }

    fn cells_row(&self, name: &str, with_cells: bool) -> Vec<Cell> {
        let mut row = vec![text(name)];
        if with_cells {
            row.push(int(self.cells));
        }
        row.extend([
            int(self.members),
            int(self.regular_held),
            int(self.regular_due),
            int(self.thematic_held),
            int(self.thematic_quarters),
            int(self.quarters_due),
            int(self.meetings),
            percent(self.attended, self.obliged),
            int(self.above_85),
            int(self.flagged),
            int(self.reports_on_time),
            int(self.reports_late),
            int(self.tasks_assigned),
            int(self.tasks_on_time),
            int(self.tasks_late),
            int(self.tasks_overdue),
            int(self.reading_done),
            int(self.reading_required),
            percent(self.reading_done, self.reading_required),
            decimal(reports::figures::ratio(u64::try_from(self.points_sum.max(0)).unwrap_or(0), self.members)),
            percent(self.on_target, self.members),
            int(self.active),
            percent(self.active, self.members),
        ]);
        row
    }
}

fn columns(with_cells: bool, unit_header: &str) -> Vec<report_render::model::Column> {
    use ColumnKind::*;
    let mut cols = vec![col("unit_name", unit_header, Text)];
    if with_cells {
        cols.push(col("cells", "Số chi bộ", Integer));
    }
    cols.extend([
        col("members", "Số đảng viên", Integer),
        col("regular_held", "Họp thường kỳ đã họp", Integer),
        col("regular_due", "Họp thường kỳ phải họp", Integer),
        col("thematic_held", "Họp chuyên đề đã họp", Integer),
        col("thematic_quarters", "Số quý có họp chuyên đề", Integer),
        col("quarters_due", "Số quý phải họp chuyên đề", Integer),
        col("meetings_held", "Số cuộc họp đã họp", Integer),
        col("attendance_rate", "Tỉ lệ dự họp", Percent),
        col("meetings_above_85", "Số cuộc họp dự họp trên 85%", Integer),
        col("members_flagged", "Đảng viên bị cảnh báo vắng", Integer),
        col("reports_on_time", "Báo cáo đúng hạn", Integer),
        col("reports_late", "Báo cáo trễ hạn", Integer),
        col("tasks_assigned", "Nhiệm vụ được giao", Integer),
        col("tasks_done_on_time", "Nhiệm vụ hoàn thành đúng hạn", Integer),
        col("tasks_done_late", "Nhiệm vụ hoàn thành trễ hạn", Integer),
        col("tasks_overdue", "Nhiệm vụ quá hạn", Integer),
        col("reading_done", "Lượt đọc tài liệu bắt buộc", Integer),
        col("reading_required", "Lượt phải đọc", Integer),
        col("reading_rate", "Tỉ lệ đọc tài liệu bắt buộc", Percent),
        col("points_mean", "Điểm học tập bình quân", Decimal),
        col("points_on_target", "Tỉ lệ đạt trên 200 điểm", Percent),
        col("active_members", "Đảng viên có đăng nhập", Integer),
        col("active_share", "Tỉ lệ đảng viên có đăng nhập", Percent),
    ]);
    cols
}

/// The per-cell figures of a subtree, with the monthly attendance trend `(obliged, attended)`.
pub(super) struct Rollup {
    pub tree: Tree,
    pub per_cell: HashMap<UnitId, Acc>,
    pub by_month: Vec<((i32, u32), u64, u64)>,
}

pub(super) async fn rollup(ctx: &Ctx, at: &At, root: UnitId, progress: &(dyn Fn(u8) + Sync)) -> Result<Rollup, StoreError> {
    let db = ctx.db.reader();
    let period = at.period;
    let tree = Tree::load(ctx, root).await?;
    let meetings: Vec<q::MeetingRow> =
        q::held_meetings(db, root, at.from(), at.to()).await?.into_iter().filter(|m| m.kind != MeetingKind::Committee).collect();
    progress(15);
    let counts: HashMap<_, q::MeetingAttendance> =
        q::meeting_attendance(db, root, at.from(), at.to()).await?.into_iter().map(|a| (a.meeting_id, a)).collect();
    let histories = q::absence_histories(db, root, at.from(), at.to(), None).await?;
    progress(40);
    let months: Vec<String> = period.months().iter().map(|(y, m)| format!("{y:04}-{m:02}")).collect();
    let sent = q::sent_reports(db, root, &months).await?;
    let tasks = crate::tasks::subtree_tasks(ctx, root, Some(period.start()), Some(period.last_day())).await?;
    progress(55);
    let readings = q::required_reading(db, root, period.start(), period.end_exclusive(), at.today).await?;
    let points = q::member_points(db, root, period.year()).await?;
    let active = q::signed_in_members(db, root, at.from(), at.to()).await?;
    progress(75);

    let months_due = u64::try_from(
        period.months().iter().filter(|(y, m)| chrono::NaiveDate::from_ymd_opt(*y, *m, 1).is_some_and(|d| d <= at.today)).count(),
    )
    .unwrap_or(0);
    let quarters_due = u64::try_from(
        period.quarters().iter().filter(|(y, q)| chrono::NaiveDate::from_ymd_opt(*y, 3 * q - 2, 1).is_some_and(|d| d <= at.today)).count(),
    )
    .unwrap_or(0);
    let mut per_cell: HashMap<UnitId, Acc> =
        tree.cells().map(|c| (c.id, Acc { cells: 1, regular_due: months_due, quarters_due, ..Acc::default() })).collect();
    let cell_of = |u: UnitId| tree.cell_of.get(&u).copied();

    let mut thematic_quarters: HashSet<(UnitId, i32, u32)> = HashSet::new();
    let mut month_totals: HashMap<(i32, u32), (u64, u64)> = HashMap::new();
    for m in &meetings {
        let Some(cell) = cell_of(m.unit_id) else { continue };
        let Some(acc) = per_cell.get_mut(&cell) else { continue };
        let date = local_date(m.starts_at);
        if m.kind == MeetingKind::Regular {
            acc.regular_held += 1;
        }
        if m.kind == MeetingKind::Thematic || (m.kind == MeetingKind::Regular && m.combined_thematic) {
            acc.thematic_held += 1;
            if thematic_quarters.insert((cell, date.year(), (date.month() - 1) / 3 + 1)) {
                acc.thematic_quarters += 1;
            }
        }
        let (obliged, attended) = counts.get(&m.id).map_or((0, 0), |a| (a.obliged, a.attended));
        acc.meetings += 1;
        acc.obliged += obliged;
        acc.attended += attended;
        if meets_quality(obliged, attended) {
            acc.above_85 += 1;
        }
        let t = month_totals.entry((date.year(), date.month())).or_default();
        t.0 += obliged;
        t.1 += attended;
    }
    // Absence flags over the period's meetings (the domain's rule on each history that may carry
    // one), counted in the cell of the member's last meeting.
    let mut by_member: HashMap<MemberId, Vec<&q::HistoryRow>> = HashMap::new();
    for h in &histories {
        by_member.entry(h.member_id).or_default().push(h);
    }
    for history in by_member.values() {
        let f = member_figures(&history.iter().map(|h| Attended { date: local_date(h.starts_at), status: h.status }).collect::<Vec<_>>());
        if (f.flag_three_in_a_row || f.flag_three_months_in_a_year)
            && let Some(acc) =
                history.iter().max_by_key(|h| h.starts_at).and_then(|h| cell_of(h.unit_id)).and_then(|c| per_cell.get_mut(&c))
        {
            acc.flagged += 1;
        }
    }
    // Reports of the held regular meetings: on time when one was sent by the 5th.
    let mut report_of: HashMap<_, bool> = HashMap::new();
    for r in &sent {
        let on_time = report_of.entry(r.meeting_id).or_insert(false);
        *on_time |= !r.late;
    }
    for m in meetings.iter().filter(|m| m.kind == MeetingKind::Regular) {
        let (Some(on_time), Some(acc)) = (report_of.get(&m.id), cell_of(m.unit_id).and_then(|c| per_cell.get_mut(&c))) else { continue };
        if *on_time {
            acc.reports_on_time += 1;
        } else {
            acc.reports_late += 1;
        }
    }
    // Tasks of each cell, the domain's figures at the cut-off.
    let mut task_facts_of: HashMap<UnitId, Vec<tasks::stats::TaskFacts>> = HashMap::new();
    for t in &tasks {
        if let Some(cell) = cell_of(t.unit_id) {
            task_facts_of.entry(cell).or_default().push(task_facts(t));
        }
    }
    for (cell, facts) in task_facts_of {
        let f = tasks::stats::figures(&facts, at.now);
        if let Some(acc) = per_cell.get_mut(&cell) {
            acc.tasks_assigned += u64::from(f.assigned);
            acc.tasks_on_time += u64::from(f.done_on_time);
            acc.tasks_late += u64::from(f.done_late);
            acc.tasks_overdue += u64::from(f.overdue);
        }
    }
    for r in &readings {
        if let Some(acc) = cell_of(r.unit_id).and_then(|c| per_cell.get_mut(&c)) {
            acc.reading_required += r.required;
            acc.reading_done += r.read;
        }
    }
    for p in &points {
        if let Some(acc) = cell_of(p.unit_id).and_then(|c| per_cell.get_mut(&c)) {
            acc.members += 1;
            acc.points_sum += p.points;
            if on_target(p.points) {
                acc.on_target += 1;
            }
        }
    }
    for (unit, n) in &active {
        if let Some(acc) = cell_of(*unit).and_then(|c| per_cell.get_mut(&c)) {
            acc.active += n;
        }
    }
    let by_month = period
        .months()
        .into_iter()
        .map(|ym| {
            let (o, a) = month_totals.get(&ym).copied().unwrap_or_default();
            (ym, o, a)
        })
        .collect();
    progress(90);
    Ok(Rollup { tree, per_cell, by_month })
}

pub(super) async fn fill(ctx: &Ctx, at: &At, root: UnitId, report: &mut Report, progress: &(dyn Fn(u8) + Sync)) -> Result<(), StoreError> {
    let Rollup { tree, per_cell, by_month } = rollup(ctx, at, root, progress).await?;
    let mut total = Acc::default();
    for acc in per_cell.values() {
        total.add(acc);
    }
    let children: Vec<_> = tree.children().collect();
    if !children.is_empty() {
        let mut rows = Vec::new();
        for child in &children {
            let mut acc = Acc::default();
            for (cell, a) in &per_cell {
                if tree.child_of.get(cell) == Some(&child.id) {
                    acc.add(a);
                }
            }
            rows.push(acc.cells_row(&child.name, true));
        }
        report.sections.push(Section {
            sheet: "Đơn vị trực thuộc".into(),
            title: "Kết quả theo đơn vị trực thuộc".into(),
            columns: columns(true, "Đơn vị"),
            rows,
            totals: Some(total.cells_row("Tổng cộng", true)),
        });
    }
    let rows: Vec<Vec<Cell>> = tree.cells().map(|c| per_cell.get(&c.id).cloned().unwrap_or_default().cells_row(&c.name, false)).collect();
    report.primary = report.sections.len();
    report.sections.push(Section {
        sheet: "Chi bộ".into(),
        title: "Kết quả theo chi bộ".into(),
        columns: columns(false, "Chi bộ"),
        rows,
        totals: Some(total.cells_row("Tổng cộng", false)),
    });
    let f = |label: &str, value: Cell| Fact { label: label.into(), value };
    report.summary = vec![
        f("Số chi bộ", int(total.cells)),
        f("Số đảng viên", int(total.members)),
        f("Họp thường kỳ đã họp / phải họp", text(format!("{} / {}", total.regular_held, total.regular_due))),
        f("Họp chuyên đề đã họp", int(total.thematic_held)),
        f("Tỉ lệ dự họp", percent(total.attended, total.obliged)),
        f("Số cuộc họp dự họp trên 85%", int(total.above_85)),
        f("Đảng viên bị cảnh báo vắng", int(total.flagged)),
        f("Báo cáo đúng hạn", int(total.reports_on_time)),
        f("Nhiệm vụ quá hạn", int(total.tasks_overdue)),
        f("Tỉ lệ đọc tài liệu bắt buộc", percent(total.reading_done, total.reading_required)),
        f("Điểm học tập bình quân", decimal(reports::figures::ratio(u64::try_from(total.points_sum.max(0)).unwrap_or(0), total.members))),
        f("Tỉ lệ đạt trên 200 điểm", percent(total.on_target, total.members)),
        f("Đảng viên có đăng nhập", int(total.active)),
    ];
    report.charts.push(Chart::Line {
        title: "Tỉ lệ dự họp theo tháng".into(),
        x_labels: by_month.iter().map(|((y, m), _, _)| format!("{m:02}/{y}")).collect(),
        series: vec![Series { name: tree.name(root), values: by_month.iter().map(|(_, o, a)| reports::figures::ratio(*a, *o)).collect() }],
        percent: true,
    });
    let mut bands: HashMap<RateBand, u64> = HashMap::new();
    for acc in per_cell.values() {
        if let Some(r) = acc.rate() {
            *bands.entry(RateBand::of(r)).or_default() += 1;
        }
    }
    report.charts.push(Chart::Bar {
        title: "Số chi bộ theo mức tỉ lệ dự họp".into(),
        labels: RateBand::ALL.iter().map(|b| b.label().to_string()).collect(),
        values: RateBand::ALL.iter().map(|b| bands.get(b).copied().unwrap_or(0) as f64).collect(),
    });
    report.notes.push(Note {
        heading: "Cách tính".into(),
        text: "Số đảng viên: đảng viên (chính thức, dự bị) đang sinh hoạt tại chi bộ ở thời điểm lấy số liệu.\n\
               Tỉ lệ dự họp: số lượt có mặt (kể cả đến muộn) trên số lượt phải dự của các cuộc họp đã họp (thường kỳ, chuyên đề, bất thường), \
               tính lại từ tổng số, không lấy bình quân các tỉ lệ.\n\
               Họp thường kỳ phải họp: mỗi chi bộ một cuộc mỗi tháng của kỳ đã bắt đầu; họp chuyên đề: ít nhất một cuộc mỗi quý.\n\
               Đảng viên bị cảnh báo vắng: vắng 3 lần liên tiếp hoặc vắng không lý do 3 tháng trong năm, trong các cuộc họp của kỳ báo cáo.\n\
               Báo cáo đúng hạn: báo cáo cuộc họp thường kỳ gửi cấp trên trước hết ngày 5 tháng sau.\n\
               Nhiệm vụ: các nhiệm vụ của chi bộ có hạn trong kỳ, tình trạng tại thời điểm lấy số liệu.\n\
               Điểm học tập: tổng điểm cả năm của kỳ đến thời điểm lấy số liệu; đạt khi trên 200 điểm.\n\
               Đảng viên có đăng nhập: đảng viên có tài khoản đăng nhập ít nhất một lần trong kỳ."
            .into(),
    });
    Ok(())
}

/// The quality criterion of `meetings::attendance::figures` on a meeting's counts: strictly above
/// 85 % of the members obliged to attend.
fn meets_quality(obliged: u64, attended: u64) -> bool {
    reports::figures::ratio(attended, obliged).is_some_and(|r| r > meetings::attendance::QUALITY_RATE)
}
