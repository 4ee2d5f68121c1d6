//! The reports' figures against the API's own figures, on the small benchmark dataset (40 cells,
//! 1,000 members, twelve months of held meetings with ledgers and reports, a points ledger) plus
//! tasks, a required document with receipts, sign-ins and lifecycle events added here.
//! SQLite by default; PostgreSQL with `TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::HashMap;
use std::sync::Arc;

use app::Ctx;
use app::audit::Requester;
use app::clock::FixedClock;
use app::reports::figures::{BuildError, Subject, build};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use documents::DocumentId;
use membership::lifecycle::EventKind;
use membership::permission::Actor;
use membership::position::Role;
use membership::{MemberId, UnitId};
use report_render::model::{Cell, Report, Section};
use reports::{Period, ReportKind};
use storage::members::{ListQuery, StandingFilter};
use tasks::TaskId;
use tasks::workflow::{Priority, Rating, Status};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(y: i32, m: u32, day: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, h, 0, 0).unwrap()
}

struct World {
    _t: storage::testing::TestDatabase,
    ctx: Ctx,
    admin: Actor,
    province: UnitId,
    commune: UnitId,
    other_commune: UnitId,
    cell: UnitId,
    other_cell: UnitId,
    /// A member of `cell` who stays there all year.
    stayer: MemberId,
    /// A member of `cell` transferred to `other_cell` in October.
    mover: MemberId,
    document: DocumentId,
}

async fn members_of(ctx: &Ctx, unit: UnitId, subtree: bool) -> Vec<storage::members::MemberRecord> {
    storage::members::list(
        ctx.db.conn(),
        &ListQuery { unit, include_subtree: subtree, standing: StandingFilter::Active, after: None, limit: 10_000 },
    )
    .await
    .unwrap()
}

async fn world() -> World {
    let t = storage::testing::fresh_database().await.expect("database");
    let now = at(2026, 11, 10, 3);
    let clock = Arc::new(FixedClock::new(now));
    let settings = app::bootstrap::BootstrapSettings {
        admin_username: "quantri".into(),
        admin_password: Some("mat-khau-thu-nghiem-1".into()),
        root_name: "Ban Chấp hành Trung ương".into(),
    };
    app::bootstrap::ensure_bootstrap(&t.db, &settings, now).await.expect("bootstrap");
    demo::dataset::generate(&t.db, demo::dataset::Size::Small, 7, now).await.expect("dataset");
    let ctx = Ctx::new(t.db.clone(), clock);
    let db = ctx.db.conn();
    let account = storage::accounts::find_by_username(db, "quantri").await.unwrap().unwrap();
    let admin = storage::accounts::load_actor(db, &account).await.unwrap();
    let root = storage::units::roots(db).await.unwrap()[0].id;
    let province = storage::units::children(db, root).await.unwrap()[0].id;
    let communes = storage::units::children(db, province).await.unwrap();
    let (commune, other_commune) = (communes[0].id, communes[1].id);
    let cell = storage::units::children(db, commune).await.unwrap()[0].id;
    let other_cell = storage::units::children(db, other_commune).await.unwrap()[0].id;

    // Members of the cell without a position: one moves away, one is removed, one stays.
    let holders: Vec<MemberId> = storage::positions::for_unit(db, cell).await.unwrap().into_iter().map(|p| p.member_id).collect();
    let plain: Vec<MemberId> = members_of(&ctx, cell, false).await.into_iter().map(|m| m.id).filter(|m| !holders.contains(m)).collect();
    let (mover, removed, stayer) = (plain[0], plain[1], plain[2]);
    let who = Requester { actor: &admin, client_addr: None };
    for (member, kind, on) in
        [(mover, EventKind::Transfer { to_unit: other_cell }, d(2026, 10, 15)), (removed, EventKind::Remove, d(2026, 10, 20))]
    {
        let event = app::members::NewEvent { kind, effective_on: on, decision: None, note: None };
        app::members::record_event::<()>(&ctx, who, member, Ok(event)).await.expect("event");
    }

    // The stayer missed July, August and September without reason: both absence flags.
    let summer = storage::meetings::list(
        db,
        &storage::meetings::MeetingQuery {
            unit: cell,
            include_subtree: false,
            from: Some(membership::time::start_of_day(d(2026, 7, 1))),
            to: Some(membership::time::start_of_day(d(2026, 10, 1))),
            statuses: Vec::new(),
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(summer.len(), 3);
    for m in &summer {
        let mut r = storage::meetings::ledger_row(db, m.id, stayer).await.unwrap().expect("on the ledger");
        r.status = meetings::attendance::AttendanceStatus::AbsentWithoutReason;
        storage::meetings::set_row(db, m.id, &r, account.id, now).await.unwrap();
    }

    // A thematic meeting on 22 October, held: the stayer excused, two opinions (one from the
    // excused stayer), a motion and the resolution.
    let regular = storage::meetings::list(
        db,
        &storage::meetings::MeetingQuery {
            unit: cell,
            include_subtree: false,
            from: Some(membership::time::start_of_day(d(2026, 10, 1))),
            to: Some(membership::time::start_of_day(d(2026, 11, 1))),
            statuses: Vec::new(),
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(regular.len(), 1);
    let thematic = meetings::MeetingId::from_uuid(Uuid::now_v7());
    let starts = at(2026, 10, 22, 2);
    let record = storage::meetings::MeetingRecord {
        id: thematic,
        kind: meetings::lifecycle::MeetingKind::Thematic,
        combined_thematic: false,
        title: "Sinh hoạt chuyên đề quý IV".into(),
        status: meetings::lifecycle::MeetingStatus::MinutesApproved,
        starts_at: starts,
        planned_minutes: 120,
        published_at: Some(at(2026, 10, 15, 2)),
        opened_at: Some(starts),
        ended_at: Some(at(2026, 10, 22, 4)),
        minutes: Some(meetings::minutes::Minutes {
            text: "Biên bản".into(),
            resolution: "Chi bộ thống nhất triển khai chuyên đề.".into(),
            chair: None,
            secretary: None,
            started_at: Some(starts),
            ended_at: Some(at(2026, 10, 22, 4)),
        }),
        minutes_approved_at: Some(at(2026, 10, 23, 2)),
        created_at: at(2026, 10, 10, 2),
        updated_at: at(2026, 10, 23, 2),
        ..regular[0].clone()
    };
    storage::meetings::insert(db, &record, &[]).await.unwrap();
    let mut ledger = storage::meetings::ledger(db, regular[0].id).await.unwrap();
    for r in &mut ledger {
        r.status = if r.member_id == stayer {
            meetings::attendance::AttendanceStatus::AbsentWithReason
        } else {
            meetings::attendance::AttendanceStatus::Present
        };
    }
    storage::meetings::insert_ledger(db, thematic, &ledger).await.unwrap();
    for (author, presence) in
        [(stayer, meetings::comments::AuthorPresence::Absent), (plain[3], meetings::comments::AuthorPresence::Present)]
    {
        storage::meetings::insert_comment(
            db,
            &storage::meetings::CommentRecord {
                id: meetings::CommentId::from_uuid(Uuid::now_v7()),
                meeting_id: thematic,
                agenda_item_id: None,
                parent_id: None,
                author_id: author,
                author_presence: presence,
                body: "Đề nghị bổ sung nội dung.".into(),
                created_at: at(2026, 10, 21, 2),
                edited_at: None,
                hidden_at: None,
                hidden_by: None,
                hidden_reason: None,
            },
        )
        .await
        .unwrap();
    }
    storage::meetings::insert_motion(
        db,
        &storage::meetings::MotionRecord {
            id: meetings::MotionId::from_uuid(Uuid::now_v7()),
            meeting_id: thematic,
            title: "Thông qua nghị quyết chuyên đề".into(),
            by_ballot: false,
            tally: meetings::minutes::Tally { agree: 20, disagree: 1, other: 0 },
            created_at: at(2026, 10, 22, 3),
        },
    )
    .await
    .unwrap();

    // Tasks of the cell due in October: done on time and rated, done late, still open (overdue).
    let task =
        |status: Status, submitted: Option<DateTime<Utc>>, rating: Option<Rating>, assignees: Vec<MemberId>| storage::tasks::TaskRecord {
            id: TaskId::from_uuid(Uuid::now_v7()),
            unit_id: cell,
            title: format!("Nhiệm vụ {}", status.code()),
            description: String::new(),
            assignees,
            assigner_member_id: None,
            assigner_account_id: account.id,
            source_meeting_id: None,
            review_meeting_id: None,
            due_on: d(2026, 10, 20),
            priority: Priority::Normal,
            status,
            percent: if status == Status::Done { 100 } else { 10 },
            rating,
            evaluation_comment: None,
            evaluated_by: None,
            evaluated_at: None,
            submitted_at: submitted,
            cancelled_at: None,
            cancel_reason: None,
            version: 1,
            created_at: at(2026, 10, 1, 3),
            updated_at: at(2026, 10, 1, 3),
        };
    for t in [
        task(Status::Done, Some(at(2026, 10, 18, 3)), Some(Rating::Good), vec![stayer]),
        task(Status::Done, Some(at(2026, 10, 25, 3)), Some(Rating::Excellent), vec![stayer, plain[3]]),
        task(Status::InProgress, None, None, vec![stayer]),
    ] {
        storage::tasks::insert(db, &t).await.unwrap();
    }

    // A required document to the commune, due in October, read by three members of the cell.
    let document = DocumentId::from_uuid(Uuid::now_v7());
    let record = storage::documents::DocumentRecord {
        id: document,
        issuer_unit_id: commune,
        kind: documents::model::DocumentKind::Directive,
        number: Some("07-CT/ĐU".into()),
        title: "Chỉ thị về sinh hoạt chi bộ".into(),
        summary: String::new(),
        body: "Nội dung".into(),
        issued_on: Some(d(2026, 10, 1)),
        effective_on: Some(d(2026, 10, 1)),
        tags: Vec::new(),
        roles: Vec::new(),
        status: documents::model::DocumentStatus::Published,
        required: true,
        read_deadline: Some(d(2026, 10, 20)),
        escalated_at: None,
        published_at: Some(at(2026, 10, 1, 3)),
        withdrawn_at: None,
        withdraw_reason: None,
        version: 1,
        created_by: None,
        created_at: at(2026, 10, 1, 3),
        updated_at: at(2026, 10, 1, 3),
    };
    storage::documents::insert(db, &record, &[commune], &[]).await.unwrap();
    for m in &plain[2..5] {
        storage::documents::mark_read(db, document, *m, at(2026, 10, 5, 3)).await.unwrap();
    }

    // Two members of the cell sign in during October (one twice).
    for (m, n) in [(plain[2], 2), (plain[3], 1)] {
        let acc = storage::accounts::for_member(db, m).await.unwrap().expect("account");
        for i in 0..n {
            storage::accounts::insert_session(
                db,
                &storage::accounts::SessionRecord {
                    id: Uuid::now_v7(),
                    account_id: acc.id,
                    token_hash: format!("{:064x}", Uuid::now_v7().as_u128() + i),
                    created_at: at(2026, 10, 3 + u32::try_from(i).unwrap(), 3),
                    expires_at: at(2026, 12, 3, 3),
                    client_addr: None,
                },
            )
            .await
            .unwrap();
        }
    }
    World { _t: t, ctx, admin, province, commune, other_commune, cell, other_cell, stayer, mover, document }
}

async fn report(w: &World, kind: ReportKind, unit: UnitId, period: &str, member: Option<MemberId>) -> Report {
    let subject = Subject { kind, unit, period: Period::parse(period).unwrap(), member };
    let steps = std::sync::Mutex::new(Vec::new());
    let r = build(&w.ctx, &subject, &|p| steps.lock().unwrap().push(p)).await.expect("report");
    let steps = steps.into_inner().unwrap();
    assert!(steps.windows(2).all(|s| s[0] <= s[1]) && steps.last() == Some(&100), "progress only grows, to 100: {steps:?}");
    assert_eq!((r.generated_at, r.data_cutoff, r.date), (at(2026, 11, 10, 3), at(2026, 11, 10, 3), d(2026, 11, 10)));
    r
}

fn section<'a>(r: &'a Report, sheet: &str) -> &'a Section {
    r.sections.iter().find(|s| s.sheet == sheet).unwrap_or_else(|| panic!("no section {sheet}"))
}

fn idx(s: &Section, key: &str) -> usize {
    s.columns.iter().position(|c| c.key == key).unwrap_or_else(|| panic!("no column {key}"))
}

fn int_of(c: &Cell) -> i64 {
    match c {
        Cell::Int(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn pct(c: &Cell) -> Option<f64> {
    match c {
        Cell::Percent(p) => Some(*p),
        Cell::Empty => None,
        other => panic!("not a percentage: {other:?}"),
    }
}

fn fact<'a>(r: &'a Report, label: &str) -> &'a Cell {
    &r.summary.iter().find(|f| f.label == label).unwrap_or_else(|| panic!("no fact {label}")).value
}

fn row<'a>(s: &'a Section, name: &str) -> &'a Vec<Cell> {
    s.rows.iter().find(|r| r[0] == Cell::Text(name.to_string())).unwrap_or_else(|| panic!("no row {name}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

async fn unit_name(w: &World, u: UnitId) -> String {
    storage::units::get(w.ctx.db.conn(), u).await.unwrap().name
}

/// Integer columns of the totals row equal the sums of the rows.
fn assert_totals_are_sums(s: &Section) {
    let totals = s.totals.as_ref().expect("totals");
    for (i, c) in s.columns.iter().enumerate() {
        if c.kind == report_render::model::ColumnKind::Integer {
            let sum: i64 = s.rows.iter().map(|r| int_of(&r[i])).sum();
            assert_eq!(int_of(&totals[i]), sum, "{}: column {}", s.sheet, c.key);
        }
    }
}

async fn cell_month(w: &World) {
    let r = report(w, ReportKind::CellMonth, w.cell, "2026-10", None).await;
    assert_eq!(r.superior_name.as_deref(), Some(unit_name(w, w.commune).await.as_str()));
    assert_eq!(r.sections[r.primary].sheet, "Điểm danh");
    // The held meeting's figures are the API's.
    let meetings = section(&r, "Cuộc họp");
    let from = membership::time::start_of_day(d(2026, 10, 1));
    let to = membership::time::start_of_day(d(2026, 11, 1));
    let held = storage::meetings::list(
        w.ctx.db.conn(),
        &storage::meetings::MeetingQuery {
            unit: w.cell,
            include_subtree: false,
            from: Some(from),
            to: Some(to),
            statuses: Vec::new(),
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!(meetings.rows.len(), 2);
    let (mut obliged, mut attended, mut ledger_len) = (0, 0, 0);
    for (m, row) in held.iter().zip(&meetings.rows) {
        let (ledger, f) = app::meetings::attendance(&w.ctx, &w.admin, m.id).await.unwrap();
        assert_eq!(row[idx(meetings, "title")], Cell::Text(m.title.clone()));
        assert_eq!(int_of(&row[idx(meetings, "obliged")]), i64::from(f.obliged));
        assert_eq!(int_of(&row[idx(meetings, "attended")]), i64::from(f.present + f.late));
        assert!(close(pct(&row[idx(meetings, "attendance_rate")]).unwrap(), f.attendance_rate));
        assert_eq!(row[idx(meetings, "quorum")], Cell::Text(if f.quorum { "Có" } else { "Không" }.into()));
        assert_eq!(row[idx(meetings, "above_85")], Cell::Text(if f.meets_quality { "Có" } else { "Không" }.into()));
        obliged += f.obliged;
        attended += f.present + f.late;
        // The ledger, row for row, meeting after meeting.
        let primary = &r.sections[r.primary];
        for (got, want) in primary.rows[ledger_len..ledger_len + ledger.len()].iter().zip(&ledger) {
            assert_eq!(got[idx(primary, "meeting")], Cell::Text(m.title.clone()));
            assert_eq!(got[idx(primary, "full_name")], Cell::Text(want.full_name.clone()));
        }
        ledger_len += ledger.len();
    }
    assert_eq!(r.sections[r.primary].rows.len(), ledger_len);
    assert!(close(pct(fact(&r, "Tỉ lệ dự họp")).unwrap(), f64::from(attended) / f64::from(obliged)));
    assert_eq!(meetings.rows[1][idx(meetings, "kind")], Cell::Text("Chuyên đề".into()));
    // Opinions (the excused member's marked), votes and the resolution.
    let opinions = section(&r, "Ý kiến");
    assert_eq!(opinions.rows.len(), 2);
    assert_eq!(opinions.rows.iter().filter(|o| o[idx(opinions, "absent")] == Cell::Text("Vắng mặt".into())).count(), 1);
    assert_eq!((int_of(fact(&r, "Số ý kiến")), int_of(fact(&r, "Ý kiến của đảng viên vắng mặt"))), (2, 1));
    let votes = section(&r, "Biểu quyết");
    assert_eq!(votes.rows.len(), 1);
    assert_eq!(votes.rows[0][2..].iter().map(int_of).collect::<Vec<_>>(), [20, 1, 0, 21]);
    assert!(r.notes.iter().any(|n| n.heading.starts_with("Nghị quyết") && n.text == "Chi bộ thống nhất triển khai chuyên đề."));
    // Tasks: the task figures of the unit and month.
    let stats = app::tasks::stats(&w.ctx, &w.admin, w.cell, Some(d(2026, 10, 1)), Some(d(2026, 10, 31))).await.unwrap();
    assert_eq!((stats.total.assigned, stats.total.done_on_time, stats.total.done_late, stats.total.overdue), (3, 1, 1, 1));
    assert_eq!(int_of(fact(&r, "Nhiệm vụ được giao")), i64::from(stats.total.assigned));
    assert_eq!(int_of(fact(&r, "Nhiệm vụ hoàn thành")), i64::from(stats.total.done_on_time + stats.total.done_late));
    assert_eq!(int_of(fact(&r, "Nhiệm vụ quá hạn")), i64::from(stats.total.overdue));
    assert_eq!(section(&r, "Nhiệm vụ").rows.len(), 3);
    // Required reading: the document's read statistics for the cell.
    let reads = app::documents::read_stats(&w.ctx, &w.admin, w.document, w.cell).await.unwrap();
    let docs = section(&r, "Đọc tài liệu");
    assert_eq!(docs.rows.len(), 1);
    assert_eq!(int_of(&docs.rows[0][idx(docs, "required")]), i64::from(reads.audience));
    assert_eq!(int_of(&docs.rows[0][idx(docs, "read")]), i64::from(reads.read));
    assert_eq!(reads.read, 3);
    // Study points: the leaderboard's totals and the study figures' count on target.
    let points = section(&r, "Điểm học tập");
    let board =
        app::study::leaderboard::<()>(&w.ctx, &w.admin, w.cell, Ok(app::study::BoardQuery { year: 2026, limit: 100, around_me: false }))
            .await
            .unwrap();
    let board_points: HashMap<String, i64> = board.top.iter().map(|l| (l.2.clone(), l.4)).collect();
    assert!(points.rows.len() >= board.top.len());
    let sum: i64 = points.rows.iter().map(|r| int_of(&r[1])).sum();
    assert_eq!(sum, board_points.values().sum::<i64>());
    let study = app::study::study_figures::<()>(&w.ctx, &w.admin, w.cell, Ok(2026)).await.unwrap();
    let reached = points.rows.iter().filter(|r| r[2] == Cell::Text("Đạt".into())).count();
    assert_eq!(reached as u64, study.on_target);
    // Signed by the cell's secretary.
    let secretary = storage::positions::for_unit(w.ctx.db.conn(), w.cell)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.role == Role::Secretary && p.is_active_on(d(2026, 10, 31)))
        .expect("secretary");
    let name = storage::members::get(w.ctx.db.conn(), secretary.member_id).await.unwrap().full_name.as_str().to_string();
    let sig = r.signature.as_ref().expect("signature");
    assert_eq!((sig.on_behalf.as_str(), sig.title.as_str(), sig.name.as_deref()), ("T/M CHI ỦY", "BÍ THƯ", Some(name.as_str())));
}

async fn activity(w: &World) {
    let month = report(w, ReportKind::CellMonth, w.cell, "2026-10", None).await;
    for period in ["2026-10", "2026"] {
        let r = report(w, ReportKind::Activity, w.province, period, None).await;
        let cells = section(&r, "Chi bộ");
        let children = section(&r, "Đơn vị trực thuộc");
        assert_eq!(r.sections[r.primary].sheet, "Chi bộ");
        assert_eq!(cells.rows.len(), 40);
        assert_eq!(children.rows.len(), 4);
        assert_totals_are_sums(cells);
        assert_totals_are_sums(children);
        assert_eq!(cells.totals, {
            // The whole unit's totals are the same on both levels (bar the cell count column).
            let mut t = children.totals.clone().unwrap();
            t.remove(idx(children, "cells"));
            Some(t)
        });
        let c = row(cells, &unit_name(w, w.cell).await);
        let stats = app::tasks::stats(
            &w.ctx,
            &w.admin,
            w.cell,
            Some(Period::parse(period).unwrap().start()),
            Some(Period::parse(period).unwrap().last_day()),
        )
        .await
        .unwrap();
        assert_eq!(int_of(&c[idx(cells, "tasks_assigned")]), i64::from(stats.total.assigned));
        assert_eq!(int_of(&c[idx(cells, "tasks_done_on_time")]), i64::from(stats.total.done_on_time));
        assert_eq!(int_of(&c[idx(cells, "tasks_done_late")]), i64::from(stats.total.done_late));
        assert_eq!(int_of(&c[idx(cells, "tasks_overdue")]), i64::from(stats.total.overdue));
        assert_eq!(int_of(&c[idx(cells, "active_members")]), 2, "two members signed in in October");
        assert_eq!(int_of(&c[idx(cells, "reading_done")]), 3);
        let study = app::study::study_figures::<()>(&w.ctx, &w.admin, w.province, Ok(2026)).await.unwrap();
        let members = int_of(&cells.totals.as_ref().unwrap()[idx(cells, "members")]);
        assert_eq!(members, i64::try_from(members_of(&w.ctx, w.province, true).await.len()).unwrap());
        let share = pct(&cells.totals.as_ref().unwrap()[idx(cells, "points_on_target")]).unwrap();
        assert!(close(share * members as f64, study.on_target as f64));
        for r in &cells.rows {
            let (held, due) = (int_of(&r[idx(cells, "regular_held")]), int_of(&r[idx(cells, "regular_due")]));
            assert!(held <= due, "{r:?}");
            assert!(int_of(&r[idx(cells, "reports_on_time")]) + int_of(&r[idx(cells, "reports_late")]) <= held);
        }
        if period == "2026" {
            // Absence flags: the members' attendance histories over the year.
            let mut flagged = 0;
            for m in members_of(&w.ctx, w.cell, false).await {
                let h =
                    app::meetings::reports::member_history::<()>(&w.ctx, &w.admin, m.id, Ok((Some(d(2026, 1, 1)), Some(d(2026, 12, 31)))))
                        .await
                        .unwrap();
                if h.figures.flag_three_in_a_row || h.figures.flag_three_months_in_a_year {
                    flagged += 1;
                }
            }
            assert_eq!(int_of(&c[idx(cells, "members_flagged")]), flagged);
            assert!(flagged >= 1, "the stayer is flagged");
        }
        if period == "2026-10" {
            // The roll-up's cell agrees with the cell's month.
            assert_eq!(pct(&c[idx(cells, "attendance_rate")]), pct(fact(&month, "Tỉ lệ dự họp")));
            assert_eq!(int_of(&c[idx(cells, "regular_due")]), 1);
            assert_eq!(int_of(&c[idx(cells, "regular_held")]), 1);
            assert_eq!((int_of(&c[idx(cells, "thematic_held")]), int_of(&c[idx(cells, "thematic_quarters")])), (1, 1));
        } else {
            assert_eq!(int_of(&c[idx(cells, "regular_due")]), 11, "January to November have begun");
            let report_render::model::Chart::Line { x_labels, series, .. } = &r.charts[0] else { panic!("line chart first") };
            assert_eq!((x_labels.len(), series.len(), series[0].values.len()), (12, 1, 12));
            assert_eq!(series[0].values[11], None, "no meeting held yet in December");
        }
        let report_render::model::Chart::Bar { values, .. } = &r.charts[1] else { panic!("bar chart second") };
        assert_eq!(values.iter().sum::<f64>(), 40.0, "every cell held meetings");
    }
}

async fn membership_changes(w: &World) {
    let check = |s: &Section| {
        for r in s.rows.iter().chain(s.totals.iter()) {
            let v = |k: &str| int_of(&r[idx(s, k)]);
            assert_eq!(
                v("start") + v("admitted") + v("transfer_in") - v("transfer_out") - v("removed") - v("expelled") - v("deceased"),
                v("end"),
                "{}: {r:?}",
                s.sheet
            );
        }
    };
    for (unit, period) in [(w.province, "2026-Q4"), (w.province, "2026"), (w.commune, "2026-10"), (w.province, "2026-09")] {
        let r = report(w, ReportKind::Membership, unit, period, None).await;
        check(section(&r, "Chi bộ"));
        check(section(&r, "Đơn vị trực thuộc"));
        let total = section(&r, "Chi bộ").totals.clone().unwrap();
        let cells = section(&r, "Chi bộ");
        let composition = section(&r, "Cơ cấu");
        assert_eq!(int_of(&composition.totals.as_ref().unwrap()[idx(composition, "members")]), int_of(&total[idx(cells, "end")]));
        assert_totals_are_sums(composition);
        if period != "2026-09" {
            // The period reaches today: its end is today's roster.
            let now = i64::try_from(members_of(&w.ctx, unit, true).await.len()).unwrap();
            assert_eq!(int_of(&total[idx(cells, "end")]), now, "{period}");
        }
        if unit == w.province && period == "2026-Q4" {
            let children = section(&r, "Đơn vị trực thuộc");
            let from = row(children, &unit_name(w, w.commune).await);
            let to = row(children, &unit_name(w, w.other_commune).await);
            assert_eq!((int_of(&from[idx(children, "transfer_out")]), int_of(&from[idx(children, "removed")])), (1, 1));
            assert_eq!(int_of(&to[idx(children, "transfer_in")]), 1);
            let t = children.totals.as_ref().unwrap();
            assert_eq!(
                (int_of(&t[idx(children, "transfer_in")]), int_of(&t[idx(children, "transfer_out")])),
                (0, 0),
                "a move inside the province"
            );
            let c = row(cells, &unit_name(w, w.cell).await);
            assert_eq!(int_of(&c[idx(cells, "start")]) - 2, int_of(&c[idx(cells, "end")]));
            let o = row(cells, &unit_name(w, w.other_cell).await);
            assert_eq!(int_of(&o[idx(cells, "start")]) + 1, int_of(&o[idx(cells, "end")]));
        }
    }
}

async fn member_year(w: &World) {
    let all = report(w, ReportKind::MemberYear, w.cell, "2026", None).await;
    let sheet = &all.sections[all.primary];
    assert!(all.signature.is_some());
    let name = storage::members::get(w.ctx.db.conn(), w.stayer).await.unwrap().full_name.as_str().to_string();
    let mine = report(w, ReportKind::MemberYear, w.cell, "2026", Some(w.stayer)).await;
    let own = &mine.sections[mine.primary];
    assert_eq!(own.rows.len(), 1);
    assert_eq!(&own.rows[0], row(sheet, &name));
    let r = &own.rows[0];
    // Attendance: the member's history over the year.
    let history =
        app::meetings::reports::member_history::<()>(&w.ctx, &w.admin, w.stayer, Ok((Some(d(2026, 1, 1)), Some(d(2026, 12, 31)))))
            .await
            .unwrap();
    assert_eq!(int_of(&r[idx(own, "meetings_obliged")]), i64::from(history.figures.meetings));
    assert_eq!(int_of(&r[idx(own, "meetings_attended")]), i64::from(history.figures.attended));
    assert!(history.figures.meetings >= 9);
    let flags = match (history.figures.flag_three_in_a_row, history.figures.flag_three_months_in_a_year) {
        (true, true) => "Vắng 3 lần liên tiếp; Vắng không lý do 3 tháng trong năm",
        (true, false) => "Vắng 3 lần liên tiếp",
        (false, true) => "Vắng không lý do 3 tháng trong năm",
        (false, false) => "",
    };
    assert_eq!(r[idx(own, "absence_flags")], Cell::Text(flags.into()));
    assert_eq!(flags, "Vắng 3 lần liên tiếp; Vắng không lý do 3 tháng trong năm");
    // Flags agree with the histories for every member of the sheet still in the cell.
    for m in members_of(&w.ctx, w.cell, false).await {
        let h = app::meetings::reports::member_history::<()>(&w.ctx, &w.admin, m.id, Ok((Some(d(2026, 1, 1)), Some(d(2026, 12, 31)))))
            .await
            .unwrap();
        let line = row(sheet, m.full_name.as_str());
        assert_eq!(int_of(&line[idx(sheet, "meetings_obliged")]), i64::from(h.figures.meetings));
        assert_eq!(int_of(&line[idx(sheet, "meetings_attended")]), i64::from(h.figures.attended));
        assert_eq!(
            line[idx(sheet, "absence_flags")] == Cell::Text(String::new()),
            !(h.figures.flag_three_in_a_row || h.figures.flag_three_months_in_a_year)
        );
    }
    let moved = row(sheet, storage::members::get(w.ctx.db.conn(), w.mover).await.unwrap().full_name.as_str());
    assert_eq!(moved[idx(sheet, "cell")], Cell::Text(unit_name(w, w.other_cell).await));
    // Tasks: the member's task figures of the unit and year.
    let stats = app::tasks::stats(&w.ctx, &w.admin, w.cell, Some(d(2026, 1, 1)), Some(d(2026, 12, 31))).await.unwrap();
    let tf = &stats.members.iter().find(|(m, _)| *m == w.stayer).unwrap().1;
    assert_eq!(
        [idx(own, "tasks_assigned"), idx(own, "tasks_done_on_time"), idx(own, "tasks_done_late"), idx(own, "tasks_overdue")]
            .map(|i| int_of(&r[i])),
        [tf.assigned, tf.done_on_time, tf.done_late, tf.overdue].map(i64::from)
    );
    assert_eq!(r[idx(own, "mean_rating")], Cell::Decimal(3.5), "good (3) and excellent (4)");
    assert_eq!((int_of(&r[idx(own, "reading_done")]), int_of(&r[idx(own, "reading_required")])), (1, 1));
    let points = storage::study::total(w.ctx.db.conn(), w.stayer, 2026).await.unwrap();
    assert_eq!(r[idx(own, "points")], Cell::Int(points));
    assert_eq!(r[idx(own, "points_target")], Cell::Text(if points > 200 { "Đạt" } else { "Chưa đạt" }.into()));
    // The members who left the cell during the year are still on its sheet; the roster's are all there.
    assert_eq!(sheet.rows.len(), members_of(&w.ctx, w.cell, false).await.len() + 2);
}

#[tokio::test]
async fn report_figures_agree_with_the_api() {
    let w = world().await;
    cell_month(&w).await;
    activity(&w).await;
    membership_changes(&w).await;
    member_year(&w).await;
    // Kinds that do not apply.
    let not = |kind, unit, period: &str| Subject { kind, unit, period: Period::parse(period).unwrap(), member: None };
    for s in [
        not(ReportKind::CellMonth, w.commune, "2026-10"),
        not(ReportKind::CellMonth, w.cell, "2026-Q4"),
        not(ReportKind::MemberYear, w.cell, "2026-10"),
    ] {
        assert!(matches!(build(&w.ctx, &s, &|_| {}).await, Err(BuildError::NotApplicable)), "{s:?}");
    }
    let missing = not(ReportKind::Activity, UnitId::from_uuid(Uuid::now_v7()), "2026");
    assert!(matches!(build(&w.ctx, &missing, &|_| {}).await, Err(BuildError::Store(storage::StoreError::NotFound))));
}

/// Timings on the province-scale dataset (150,000 members in 6,000 cells, twelve months of
/// meetings): `cargo test --release -p app --test report_figures -- --ignored --nocapture`;
/// `REPORT_BENCH_URL` names a database where the dataset was generated with `now` at
/// 2026-11-10T03:00:00Z (otherwise it is generated, about 3 minutes).
#[tokio::test]
#[ignore = "province scale: minutes of data generation; run in release"]
async fn province_timings() {
    let now = at(2026, 11, 10, 3);
    let (db, _t) = match std::env::var("REPORT_BENCH_URL") {
        Ok(url) => (storage::Database::connect(&url, 4).await.expect("database"), None),
        Err(_) => {
            let t = storage::testing::fresh_database().await.expect("database");
            let settings = app::bootstrap::BootstrapSettings {
                admin_username: "quantri".into(),
                admin_password: Some("mat-khau-thu-nghiem-1".into()),
                root_name: "Ban Chấp hành Trung ương".into(),
            };
            app::bootstrap::ensure_bootstrap(&t.db, &settings, now).await.expect("bootstrap");
            let generated = demo::dataset::generate(&t.db, demo::dataset::Size::Province, 7, now).await.expect("dataset");
            println!("{generated}");
            (t.db.clone(), Some(t))
        }
    };
    let ctx = Ctx::new(db, Arc::new(FixedClock::new(now)));
    let db = ctx.db.conn();
    let root = storage::units::roots(db).await.unwrap()[0].id;
    let province = storage::units::children(db, root).await.unwrap()[0].id;
    let commune = storage::units::children(db, province).await.unwrap()[0].id;
    let cell = storage::units::children(db, commune).await.unwrap()[0].id;
    for (kind, unit, period, budget) in [
        (ReportKind::Activity, province, "2026-10", 5.0),
        (ReportKind::Activity, province, "2026", 30.0),
        (ReportKind::Membership, province, "2026", 30.0),
        (ReportKind::MemberYear, province, "2026", 60.0),
        (ReportKind::MemberYear, cell, "2026", 1.0),
        (ReportKind::CellMonth, cell, "2026-10", 1.0),
    ] {
        let subject = Subject { kind, unit, period: Period::parse(period).unwrap(), member: None };
        let started = std::time::Instant::now();
        let r = build(&ctx, &subject, &|_| {}).await.expect("report");
        let secs = started.elapsed().as_secs_f64();
        let rows: usize = r.sections.iter().map(|s| s.rows.len()).sum();
        println!("{} {} {period}: {secs:.2} s, {rows} rows ({} backend)", kind.code(), r.unit_name, storage::testing::backend());
        assert!(secs < budget, "{} {period}: {secs:.2} s over the {budget} s budget", kind.code());
    }
}

/// With a read replica attached (on PostgreSQL a second handle on the test's database, which is
/// not a standby and so counts as caught up), the figures are read on the replica and are the
/// figures the primary gives; on SQLite the replica's check fails and the figures are read on the
/// primary.
#[tokio::test]
async fn report_figures_are_read_on_a_replica_when_one_is_in_use() {
    let w = world().await;
    let subject = Subject { kind: ReportKind::Activity, unit: w.province, period: Period::parse("2026-10").unwrap(), member: None };
    let on_primary = build(&w.ctx, &subject, &|_| {}).await.expect("report on the primary");
    let db = w.ctx.db.clone().with_replica(w.ctx.db.clone(), std::time::Duration::from_secs(10));
    let checked = db.check_replica().await.expect("a replica is attached");
    let ctx = Ctx { db: db.clone(), ..w.ctx.clone() };
    let on_replica = build(&ctx, &subject, &|_| {}).await.expect("report with a replica attached");
    assert_eq!(on_replica.sections, on_primary.sections);
    let status = db.replica_status().unwrap();
    if db.backend_name() == "postgres" {
        assert!(checked.is_ok(), "{checked:?}");
        assert!(status.usable && status.reads_on_replica > 0 && status.reads_on_primary == 0, "{status:?}");
    } else {
        assert!(checked.is_err());
        assert!(!status.usable && status.reads_on_replica == 0 && status.reads_on_primary > 0, "{status:?}");
    }
}
