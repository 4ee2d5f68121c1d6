//! The cell's month: its meetings with their ledgers, opinions, votes and resolution, its tasks,
//! required reading and study points.

use std::collections::HashMap;

use meetings::attendance::figures;
use meetings::comments::AuthorPresence;
use meetings::lifecycle::{MeetingKind, MeetingStatus};
use membership::time::local_date;
use membership::{MemberId, UnitId};
use report_render::model::{Cell, ColumnKind, Fact, Note, Report, Section};
use storage::StoreError;
use storage::meetings::MeetingQuery;
use storage::report_figures as q;

use super::{
    At, attendance_vi, col, decimal, int, meeting_kind_vi, meeting_status_vi, on_target, percent, rating_vi, reached, roster_role_vi,
    secretary_signature, task_facts, task_status_vi, text, yes_no,
};
use crate::Ctx;

pub(super) async fn fill(ctx: &Ctx, at: &At, cell: UnitId, report: &mut Report, progress: &(dyn Fn(u8) + Sync)) -> Result<(), StoreError> {
    use ColumnKind::*;
    let db = ctx.db.reader();
    let period = at.period;
    let meetings: Vec<_> = storage::meetings::list(
        db,
        &MeetingQuery { unit: cell, include_subtree: false, from: Some(at.from()), to: Some(at.to()), statuses: Vec::new(), limit: 100 },
    )
    .await?
    .into_iter()
    .filter(|m| m.status != MeetingStatus::Draft && m.kind != MeetingKind::Committee)
    .collect();
    progress(20);
    // A cell holds one or two meetings a month: their ledgers, opinions and motions are read one
    // meeting at a time.
    let mut ledgers = Vec::new();
    let mut comments = Vec::new();
    let mut motions = Vec::new();
    for m in &meetings {
        let held = storage::report_figures::HELD.contains(&m.status);
        ledgers.push(if held { storage::meetings::ledger(db, m.id).await? } else { Vec::new() });
        comments.push(storage::meetings::comments_of(db, m.id).await?.into_iter().filter(|c| c.hidden_at.is_none()).collect::<Vec<_>>());
        motions.push(storage::meetings::motions_of(db, m.id).await?);
    }
    let mut ids: Vec<MemberId> = ledgers.iter().flatten().map(|r| r.member_id).collect();
    ids.extend(comments.iter().flatten().map(|c| c.author_id));
    ids.sort_by_key(|m| m.as_uuid());
    ids.dedup();
    let names: HashMap<MemberId, String> =
        storage::members::get_many(db, &ids).await?.into_iter().map(|m| (m.id, m.full_name.as_str().to_string())).collect();
    let name = |m: MemberId| names.get(&m).cloned().unwrap_or_default();
    progress(40);

    // Meetings and their figures.
    let mut meeting_rows = Vec::new();
    let mut ledger_rows = Vec::new();
    let mut opinion_rows = Vec::new();
    let mut vote_rows = Vec::new();
    let (mut obliged, mut attended, mut opinions, mut absent_opinions) = (0u64, 0u64, 0u64, 0u64);
    let mut main_figures = None;
    for ((m, ledger), (cs, ms)) in meetings.iter().zip(&ledgers).zip(comments.iter().zip(&motions)) {
        let held = storage::report_figures::HELD.contains(&m.status);
        let f = figures(ledger);
        if held {
            obliged += u64::from(f.obliged);
            attended += u64::from(f.present + f.late);
            if m.kind == MeetingKind::Regular || main_figures.is_none() {
                main_figures = Some(f.clone());
            }
        }
        meeting_rows.push(vec![
            text(&m.title),
            text(meeting_kind_vi(m.kind, m.combined_thematic)),
            Cell::Date(local_date(m.starts_at)),
            text(meeting_status_vi(m.status)),
            if held { int(u64::from(f.obliged)) } else { Cell::Empty },
            if held { int(u64::from(f.present + f.late)) } else { Cell::Empty },
            if held { percent(u64::from(f.present + f.late), u64::from(f.obliged)) } else { Cell::Empty },
            if held { yes_no(f.quorum) } else { Cell::Empty },
            if held { yes_no(f.meets_quality) } else { Cell::Empty },
            int(cs.len() as u64),
        ]);
        for r in ledger {
            ledger_rows.push(vec![
                text(&m.title),
                text(name(r.member_id)),
                text(roster_role_vi(r.role)),
                text(if r.official { "Chính thức" } else { "Dự bị" }),
                text(attendance_vi(r.status)),
                r.reason.as_ref().map_or(Cell::Empty, text),
            ]);
        }
        let status_of: HashMap<MemberId, _> = ledger.iter().map(|r| (r.member_id, r.status)).collect();
        for c in cs {
            let absent = match status_of.get(&c.author_id) {
                Some(s) if held => !s.attended(),
                _ => c.author_presence == AuthorPresence::Absent,
            };
            opinions += 1;
            if absent {
                absent_opinions += 1;
            }
            opinion_rows.push(vec![
                text(&m.title),
                text(name(c.author_id)),
                text(if absent { "Vắng mặt" } else { "" }),
                Cell::Date(local_date(c.created_at)),
                text(&c.body),
            ]);
        }
        for mo in ms {
            vote_rows.push(vec![
                text(&m.title),
                text(&mo.title),
                int(u64::from(mo.tally.agree)),
                int(u64::from(mo.tally.disagree)),
                int(u64::from(mo.tally.other)),
                int(u64::from(mo.tally.total())),
            ]);
        }
        if let Some(minutes) = &m.minutes
            && !minutes.resolution.trim().is_empty()
        {
            report.notes.push(Note { heading: format!("Nghị quyết — {}", m.title), text: minutes.resolution.clone() });
        }
    }
    progress(55);

    // Tasks of the cell due in the month (the task figures' own query and rule).
    let tasks = crate::tasks::subtree_tasks(ctx, cell, Some(period.start()), Some(period.last_day())).await?;
    let task_figures = tasks::stats::figures(&tasks.iter().map(task_facts).collect::<Vec<_>>(), at.now);
    let task_rows: Vec<Vec<Cell>> = tasks
        .iter()
        .map(|t| {
            let overdue = tasks::workflow::is_overdue(t.status, t.due_on, at.now);
            vec![
                text(&t.title),
                Cell::Date(t.due_on),
                int(t.assignees.len() as u64),
                text(if overdue { "Quá hạn" } else { task_status_vi(t.status) }),
                t.rating.map_or(Cell::Empty, |r| text(rating_vi(r))),
            ]
        })
        .collect();
    // Required reading with a deadline in the month.
    let docs = q::required_reading_by_document(db, cell, period.start(), period.end_exclusive(), at.today).await?;
    let (req, read) = docs.iter().fold((0, 0), |(a, b), d| (a + d.required, b + d.read));
    let doc_rows: Vec<Vec<Cell>> = docs
        .iter()
        .map(|d| {
            vec![text(&d.title), d.read_deadline.map_or(Cell::Empty, Cell::Date), int(d.required), int(d.read), percent(d.read, d.required)]
        })
        .collect();
    // Study points of the year up to now.
    let points = q::member_points(db, cell, period.year()).await?;
    let n = points.len() as u64;
    let sum: i64 = points.iter().map(|p| p.points).sum();
    let reached_n = points.iter().filter(|p| on_target(p.points)).count() as u64;
    let point_rows: Vec<Vec<Cell>> =
        points.iter().map(|p| vec![text(&p.full_name), Cell::Int(p.points), reached(on_target(p.points))]).collect();
    progress(75);

    let f = |label: &str, value: Cell| Fact { label: label.into(), value };
    report.summary = vec![
        f("Số cuộc họp trong tháng", int(meetings.len() as u64)),
        f("Tỉ lệ dự họp", percent(attended, obliged)),
        f("Đủ số lượng tiến hành (quá nửa đảng viên chính thức)", main_figures.as_ref().map_or(Cell::Empty, |f| yes_no(f.quorum))),
        f("Tỉ lệ dự họp trên 85%", main_figures.as_ref().map_or(Cell::Empty, |f| yes_no(f.meets_quality))),
        f("Số ý kiến", int(opinions)),
        f("Ý kiến của đảng viên vắng mặt", int(absent_opinions)),
        f("Nhiệm vụ được giao", int(u64::from(task_figures.assigned))),
        f("Nhiệm vụ hoàn thành", int(u64::from(task_figures.done_on_time + task_figures.done_late))),
        f("Nhiệm vụ quá hạn", int(u64::from(task_figures.overdue))),
        f("Tỉ lệ đọc tài liệu bắt buộc", percent(read, req)),
        f("Điểm học tập bình quân", decimal(reports::figures::ratio(u64::try_from(sum.max(0)).unwrap_or(0), n))),
        f("Tỉ lệ đạt trên 200 điểm", percent(reached_n, n)),
    ];
    report.sections.push(Section {
        sheet: "Cuộc họp".into(),
        title: "Các cuộc họp trong tháng".into(),
        columns: vec![
            col("title", "Cuộc họp", Text),
            col("kind", "Loại", Text),
            col("date", "Ngày", Date),
            col("status", "Trạng thái", Text),
            col("obliged", "Phải dự", Integer),
            col("attended", "Có mặt", Integer),
            col("attendance_rate", "Tỉ lệ dự họp", Percent),
            col("quorum", "Đủ số lượng", Text),
            col("above_85", "Trên 85%", Text),
            col("opinions", "Số ý kiến", Integer),
        ],
        rows: meeting_rows,
        totals: None,
    });
    report.primary = report.sections.len();
    report.sections.push(Section {
        sheet: "Điểm danh".into(),
        title: "Sổ điểm danh".into(),
        columns: vec![
            col("meeting", "Cuộc họp", Text),
            col("full_name", "Họ và tên", Text),
            col("role", "Tư cách", Text),
            col("standing", "Đảng viên", Text),
            col("status", "Điểm danh", Text),
            col("reason", "Lý do", Text),
        ],
        rows: ledger_rows,
        totals: None,
    });
    report.sections.push(Section {
        sheet: "Ý kiến".into(),
        title: "Ý kiến đóng góp".into(),
        columns: vec![
            col("meeting", "Cuộc họp", Text),
            col("author", "Người góp ý", Text),
            col("absent", "Ghi chú", Text),
            col("date", "Ngày", Date),
            col("body", "Nội dung", Text),
        ],
        rows: opinion_rows,
        totals: None,
    });
    report.sections.push(Section {
        sheet: "Biểu quyết".into(),
        title: "Kết quả biểu quyết".into(),
        columns: vec![
            col("meeting", "Cuộc họp", Text),
            col("motion", "Nội dung biểu quyết", Text),
            col("agree", "Tán thành", Integer),
            col("disagree", "Không tán thành", Integer),
            col("other", "Ý kiến khác", Integer),
            col("total", "Tổng số phiếu", Integer),
        ],
        rows: vote_rows,
        totals: None,
    });
    report.sections.push(Section {
        sheet: "Nhiệm vụ".into(),
        title: "Nhiệm vụ có hạn trong tháng".into(),
        columns: vec![
            col("title", "Nhiệm vụ", Text),
            col("due_on", "Hạn", Date),
            col("assignees", "Số người thực hiện", Integer),
            col("status", "Tình trạng", Text),
            col("rating", "Đánh giá", Text),
        ],
        rows: task_rows,
        totals: Some(vec![
            text("Tổng cộng"),
            Cell::Empty,
            Cell::Empty,
            text(format!(
                "Giao {}; hoàn thành đúng hạn {}; hoàn thành trễ hạn {}; quá hạn {}",
                task_figures.assigned, task_figures.done_on_time, task_figures.done_late, task_figures.overdue
            )),
            Cell::Empty,
        ]),
    });
    report.sections.push(Section {
        sheet: "Đọc tài liệu".into(),
        title: "Tài liệu bắt buộc đọc có hạn trong tháng".into(),
        columns: vec![
            col("title", "Tài liệu", Text),
            col("read_deadline", "Hạn đọc", Date),
            col("required", "Số đảng viên phải đọc", Integer),
            col("read", "Đã đọc", Integer),
            col("read_rate", "Tỉ lệ đã đọc", Percent),
        ],
        rows: doc_rows,
        totals: Some(vec![text("Tổng cộng"), Cell::Empty, int(req), int(read), percent(read, req)]),
    });
    report.sections.push(Section {
        sheet: "Điểm học tập".into(),
        title: format!("Điểm học tập năm {} (đến thời điểm lấy số liệu)", period.year()),
        columns: vec![col("full_name", "Họ và tên", Text), col("points", "Điểm", Integer), col("target", "Trên 200 điểm", Text)],
        rows: point_rows,
        totals: Some(vec![
            text("Bình quân"),
            decimal(reports::figures::ratio(u64::try_from(sum.max(0)).unwrap_or(0), n)),
            text(format!("Đạt {reached_n}/{n}")),
        ]),
    });
    report.signature = Some(secretary_signature(ctx, cell, at.signing_date()).await?);
    Ok(())
}
