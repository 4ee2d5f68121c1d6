//! The member year sheet: per member, the year's attendance and flags, tasks, required reading
//! and study points (figures only, never a rating tier).

use std::collections::HashMap;

use meetings::attendance::{Attended, member_figures};
use membership::time::local_date;
use membership::{MemberId, UnitId};
use report_render::model::{Cell, ColumnKind, Fact, Report, Section};
use storage::StoreError;
use storage::report_figures as q;

use super::{At, Tree, col, decimal, int, on_target, percent, rating_score, reached, task_facts, text};
use crate::Ctx;

pub(super) async fn fill(
    ctx: &Ctx,
    at: &At,
    root: UnitId,
    only: Option<MemberId>,
    report: &mut Report,
    progress: &(dyn Fn(u8) + Sync),
) -> Result<(), StoreError> {
    use ColumnKind::*;
    let db = ctx.db.reader();
    let period = at.period;
    let tree = Tree::load(ctx, root).await?;
    let attendance: HashMap<MemberId, (u64, u64)> =
        q::member_attendance(db, root, at.from(), at.to(), only).await?.into_iter().map(|(m, n, a)| (m, (n, a))).collect();
    let absences = q::absence_histories(db, root, at.from(), at.to(), only).await?;
    progress(30);
    let tasks = crate::tasks::subtree_tasks(ctx, root, Some(period.start()), Some(period.last_day())).await?;
    let readings: HashMap<MemberId, q::MemberReading> = q::required_reading(db, root, period.start(), period.end_exclusive(), at.today)
        .await?
        .into_iter()
        .map(|r| (r.member_id, r))
        .collect();
    let mut members = q::member_points(db, root, period.year()).await?;
    progress(60);

    // Members of the subtree: its active members now, and anyone obliged at one of its meetings
    // of the year (moved out or no longer active since).
    let mut history: HashMap<MemberId, Vec<Attended>> = HashMap::new();
    for h in &absences {
        history.entry(h.member_id).or_default().push(Attended { date: local_date(h.starts_at), status: h.status });
    }
    let known: std::collections::HashSet<MemberId> = members.iter().map(|m| m.member_id).collect();
    let extra: Vec<MemberId> = attendance.keys().filter(|m| !known.contains(m)).copied().collect();
    if !extra.is_empty() {
        for m in storage::members::get_many(db, &extra).await? {
            members.push(q::MemberPoints {
                member_id: m.id,
                full_name: m.full_name.as_str().to_string(),
                unit_id: m.state.home_unit,
                points: 0,
            });
        }
    }
    // Members who left the subtree: their home cell's name.
    let outside: Vec<UnitId> = members.iter().map(|m| m.unit_id).filter(|u| tree.chain(*u).is_empty()).collect();
    let outside_names: HashMap<UnitId, String> =
        storage::units::get_many(db, &outside).await?.into_iter().map(|u| (u.id, u.name)).collect();
    if let Some(one) = only {
        members.retain(|m| m.member_id == one);
    }
    let cell_name = |u: UnitId| match outside_names.get(&u) {
        Some(name) => name.clone(),
        None => tree.cell_of.get(&u).map_or_else(|| tree.name(u), |c| tree.name(*c)),
    };
    members.sort_by(|a, b| {
        cell_name(a.unit_id)
            .cmp(&cell_name(b.unit_id))
            .then(a.full_name.cmp(&b.full_name))
            .then(a.member_id.as_uuid().cmp(&b.member_id.as_uuid()))
    });

    let mut task_facts_of: HashMap<MemberId, Vec<tasks::stats::TaskFacts>> = HashMap::new();
    for t in &tasks {
        for m in &t.assignees {
            task_facts_of.entry(*m).or_default().push(task_facts(t));
        }
    }
    let mut out = Vec::new();
    for m in &members {
        // Flags by the domain's rule on the histories that may carry one (three absences or more).
        let af = member_figures(history.get(&m.member_id).map_or(&[][..], |v| v.as_slice()));
        let (obliged, attended) = attendance.get(&m.member_id).copied().unwrap_or_default();
        let mut flags = Vec::new();
        if af.flag_three_in_a_row {
            flags.push("Vắng 3 lần liên tiếp");
        }
        if af.flag_three_months_in_a_year {
            flags.push("Vắng không lý do 3 tháng trong năm");
        }
        let facts = task_facts_of.get(&m.member_id).map_or(&[][..], |v| v.as_slice());
        let tf = tasks::stats::figures(facts, at.now);
        let rated: Vec<u32> =
            facts.iter().filter(|f| f.status == tasks::workflow::Status::Done).filter_map(|f| f.rating.map(rating_score)).collect();
        let mean_rating = reports::figures::ratio(rated.iter().map(|s| u64::from(*s)).sum(), rated.len() as u64);
        let reading = readings.get(&m.member_id);
        let has_points = known.contains(&m.member_id);
        out.push(vec![
            text(&m.full_name),
            text(cell_name(m.unit_id)),
            int(obliged),
            int(attended),
            percent(attended, obliged),
            text(flags.join("; ")),
            int(u64::from(tf.assigned)),
            int(u64::from(tf.done_on_time)),
            int(u64::from(tf.done_late)),
            int(u64::from(tf.overdue)),
            decimal(mean_rating),
            int(reading.map_or(0, |r| r.read)),
            int(reading.map_or(0, |r| r.required)),
            if has_points { Cell::Int(m.points) } else { Cell::Empty },
            if has_points { reached(on_target(m.points)) } else { Cell::Empty },
        ]);
    }
    progress(90);
    let n = out.len() as u64;
    report.summary = vec![
        Fact { label: "Số đảng viên".into(), value: int(n) },
        Fact { label: "Năm".into(), value: Cell::Int(i64::from(period.year())) },
    ];
    report.primary = report.sections.len();
    report.sections.push(Section {
        sheet: "Đảng viên".into(),
        title: format!("Kết quả của đảng viên năm {}", period.year()),
        columns: vec![
            col("full_name", "Họ và tên", Text),
            col("cell", "Chi bộ", Text),
            col("meetings_obliged", "Số cuộc họp phải dự", Integer),
            col("meetings_attended", "Số cuộc họp đã dự", Integer),
            col("attendance_rate", "Tỉ lệ dự họp", Percent),
            col("absence_flags", "Cảnh báo vắng", Text),
            col("tasks_assigned", "Nhiệm vụ được giao", Integer),
            col("tasks_done_on_time", "Hoàn thành đúng hạn", Integer),
            col("tasks_done_late", "Hoàn thành trễ hạn", Integer),
            col("tasks_overdue", "Quá hạn", Integer),
            col("mean_rating", "Đánh giá nhiệm vụ bình quân (1–4)", Decimal),
            col("reading_done", "Tài liệu bắt buộc đã đọc", Integer),
            col("reading_required", "Tài liệu bắt buộc phải đọc", Integer),
            col("points", "Điểm học tập", Integer),
            col("points_target", "Trên 200 điểm", Text),
        ],
        rows: out,
        totals: None,
    });
    Ok(())
}
