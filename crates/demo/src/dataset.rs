//! Province-scale dataset generator for benchmarks: `api generate --size small|province`.
//!
//! On an empty (bootstrapped) database: the demo structure scaled up (province: 100 commune
//! committees × 60 cells × 25 members = 150,000 members; small: 4 × 10 × 25 = 1,000), then
//! 12 months of held meetings with attendance ledgers for every cell, documents with Vietnamese
//! titles and bodies (province: 100,000; small: 2,000; 20 % to the whole province, the rest to one
//! commune) and a points ledger with a realistic spread (most members 100–400 points a year, a few
//! in the tens of thousands). Deterministic for a seed; written in bulk through the storage layer.

use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use documents::model::{DocumentKind, DocumentStatus};
use documents::search::{Searchable, index_terms};
use meetings::attendance::{AttendanceStatus, LedgerRow};
use meetings::lifecycle::{MeetingKind, MeetingStatus};
use meetings::roster::RosterRole;
use membership::{MemberId, UnitId, UnitKind};
use storage::documents::DocumentRecord;
use storage::meetings::MeetingRecord;
use storage::members::{ListQuery, StandingFilter};
use study_points::ledger::{Entry, Reason};

use crate::Rng;

/// Dataset size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 1,000 members, 2,000 documents: for tests.
    Small,
    /// 150,000 members in 6,000 cells, 100,000 documents.
    Province,
}

impl Size {
    /// Parses `small` or `province`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "small" => Some(Size::Small),
            "province" => Some(Size::Province),
            _ => None,
        }
    }
    fn shape(self) -> (usize, usize, usize, usize) {
        match self {
            Size::Small => (4, 10, 25, 2_000),
            Size::Province => (100, 60, 25, 100_000),
        }
    }
}

/// What was generated and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Members.
    pub members: usize,
    /// Cells.
    pub cells: usize,
    /// Meetings (12 months per cell, plus the demo's next month).
    pub meetings: usize,
    /// Attendance rows.
    pub attendance_rows: usize,
    /// Meeting reports sent to the superior (one per generated past meeting).
    pub reports: usize,
    /// Documents.
    pub documents: usize,
    /// Ledger entries.
    pub ledger_entries: usize,
    /// Seconds.
    pub seconds: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dataset: {} members in {} cells, {} meetings, {} attendance rows, {} meeting reports, {} documents, {} ledger entries in {:.1} s",
            self.members, self.cells, self.meetings, self.attendance_rows, self.reports, self.documents, self.ledger_entries, self.seconds
        )
    }
}

const TOPICS: [&str; 16] = [
    "công tác xây dựng Đảng",
    "phát triển đảng viên",
    "kinh tế nông nghiệp",
    "chuyển đổi số",
    "xây dựng nông thôn mới",
    "an ninh trật tự",
    "phòng chống tham nhũng",
    "công tác dân vận",
    "bảo vệ môi trường",
    "giáo dục đào tạo",
    "y tế cơ sở",
    "cải cách hành chính",
    "quốc phòng toàn dân",
    "văn hóa xã hội",
    "kiểm tra giám sát",
    "đánh giá cán bộ",
];
const FILLER: [&str; 20] = [
    "đảng viên",
    "chi bộ",
    "nhiệm vụ",
    "lãnh đạo",
    "thực hiện",
    "kết quả",
    "tháng",
    "năm",
    "cấp ủy",
    "nhân dân",
    "phong trào",
    "triển khai",
    "nâng cao",
    "chất lượng",
    "hiệu quả",
    "địa phương",
    "tổ chức",
    "quán triệt",
    "kế hoạch",
    "tuyên truyền",
];

/// Generates the dataset on an empty database: twelve months of history up to `now`.
pub async fn generate(db: &storage::Database, size: Size, seed: u64, now: DateTime<Utc>) -> Result<Report, String> {
    let err = |e: storage::StoreError| e.to_string();
    let started = Instant::now();
    let (communes, cells_per_commune, per_cell, n_docs) = size.shape();
    let demo = crate::seed_sized(db, seed, communes, cells_per_commune, per_cell, now).await?;
    if !demo.created {
        return Err("the database already has members: generate needs an empty database".into());
    }
    let roots = storage::units::roots(db.conn()).await.map_err(err)?;
    let root = roots.first().ok_or("no root unit")?;
    let province = storage::units::children(db.conn(), root.id)
        .await
        .map_err(err)?
        .into_iter()
        .find(|u| u.kind == UnitKind::Province)
        .ok_or("no province")?;
    let commune_units = storage::units::children(db.conn(), province.id).await.map_err(err)?;

    // Members grouped by cell (pages of 1,000 over the province).
    let mut by_cell: std::collections::HashMap<UnitId, Vec<(MemberId, bool)>> = std::collections::HashMap::new();
    let mut all_members = Vec::new();
    let mut after = None;
    loop {
        let page = storage::members::list(
            db.conn(),
            &ListQuery { unit: province.id, include_subtree: true, standing: StandingFilter::Active, after, limit: 1000 },
        )
        .await
        .map_err(err)?;
        let done = page.len() < 1000;
        after = page.last().map(|m| m.id);
        for m in &page {
            if m.state.is_obliged_to_attend() {
                by_cell.entry(m.state.home_unit).or_default().push((m.id, m.state.standing == membership::lifecycle::Standing::Official));
            }
            all_members.push(m.id);
        }
        if done {
            break;
        }
    }
    let mut cells: Vec<UnitId> = by_cell.keys().copied().collect();
    cells.sort();
    let mut parent_of: std::collections::HashMap<UnitId, UnitId> = std::collections::HashMap::new();
    for commune in &commune_units {
        for cell in storage::units::children(db.conn(), commune.id).await.map_err(err)? {
            parent_of.insert(cell.id, commune.id);
        }
    }

    let mut rng = Rng(seed ^ 0x5eed);
    let mut millis: u64 = 1_706_745_600_000;
    let today = membership::time::local_date(now);
    // 11 more past months (the demo content already holds last month's and next month's).
    let mut meetings = 0;
    let mut attendance_rows = 0;
    let mut reports_written = 0;
    for month_back in 2..=12i32 {
        let tx = db.begin().await.map_err(err)?;
        let m0 = i32::try_from(today.month0()).unwrap_or(0) - month_back;
        let (y, m) = (today.year() + m0.div_euclid(12), u32::try_from(m0.rem_euclid(12)).unwrap_or(0) + 1);
        let day = NaiveDate::from_ymd_opt(y, m, 5).unwrap_or(today);
        let starts = day.and_hms_opt(12, 0, 0).map_or(now, |t| t.and_utc());
        let mut reports = Vec::with_capacity(cells.len());
        for cell in &cells {
            let id = meetings::MeetingId::from_uuid(rng.uuid(&mut millis));
            let meeting = MeetingRecord {
                id,
                unit_id: *cell,
                kind: MeetingKind::Regular,
                combined_thematic: false,
                title: format!("Sinh hoạt chi bộ thường kỳ tháng {m}/{y}"),
                status: MeetingStatus::Acknowledged,
                starts_at: starts,
                planned_minutes: 90,
                location: None,
                online_link: None,
                notes: String::new(),
                version: 1,
                late_publication: false,
                short_duration_confirmed: false,
                published_at: Some(starts - Duration::days(2)),
                opened_at: Some(starts),
                ended_at: Some(starts + Duration::minutes(95)),
                cancelled_at: None,
                cancel_reason: None,
                minutes: None,
                minutes_approved_at: Some(starts + Duration::days(1)),
                created_by: None,
                created_at: now,
                updated_at: now,
            };
            storage::meetings::insert(tx.conn(), &meeting, &[]).await.map_err(err)?;
            let ledger: Vec<LedgerRow> = by_cell[cell]
                .iter()
                .map(|(member, official)| {
                    let status = match rng.below(100) {
                        0..=84 => AttendanceStatus::Present,
                        85..=89 => AttendanceStatus::Late,
                        90..=96 => AttendanceStatus::AbsentWithReason,
                        _ => AttendanceStatus::AbsentWithoutReason,
                    };
                    LedgerRow {
                        member_id: *member,
                        role: RosterRole::Obliged,
                        official: *official,
                        status,
                        checked_in_at: status.attended().then_some(starts),
                        reason: None,
                    }
                })
                .collect();
            attendance_rows += ledger.len();
            // The report to the commune committee: acknowledged; one in twenty sent after the 5th
            // of the following month.
            let late = rng.below(20) == 0;
            reports.push(storage::meetings::ReportRecord {
                id: meetings::ReportId::from_uuid(rng.uuid(&mut millis)),
                meeting_id: id,
                unit_id: *cell,
                parent_unit_id: parent_of.get(cell).copied().unwrap_or(province.id),
                status: meetings::report::ReportStatus::Acknowledged,
                sent_at: starts + Duration::days(if late { 34 } else { 1 }),
                sent_by: None,
                late,
                month: format!("{y:04}-{m:02}"),
                summary: serde_json::json!({
                    "obliged": ledger.len(),
                    "attended": ledger.iter().filter(|r| r.status.attended()).count(),
                }),
                decided_at: Some(starts + Duration::days(40)),
                decided_by: None,
                decision_comment: None,
            });
            storage::meetings::insert_ledger(tx.conn(), id, &ledger).await.map_err(err)?;
            meetings += 1;
        }
        storage::meetings::insert_reports_bulk(tx.conn(), &reports).await.map_err(err)?;
        reports_written += reports.len();
        tx.commit().await.map_err(err)?;
    }

    // Documents.
    let kinds = [
        (DocumentKind::Resolution, "Nghị quyết", "NQ"),
        (DocumentKind::Directive, "Chỉ thị", "CT"),
        (DocumentKind::Guidance, "Hướng dẫn", "HD"),
        (DocumentKind::Notice, "Thông báo", "TB"),
        (DocumentKind::News, "Tin tức", "TT"),
    ];
    let mut batch = Vec::new();
    for i in 0..n_docs {
        let (kind, name, symbol) = kinds[usize::try_from(rng.below(kinds.len() as u64)).unwrap_or(0)];
        let topic = TOPICS[usize::try_from(rng.below(TOPICS.len() as u64)).unwrap_or(0)];
        let issuer = if rng.below(5) == 0 {
            province.id
        } else {
            commune_units[usize::try_from(rng.below(commune_units.len() as u64)).unwrap_or(0)].id
        };
        let body: Vec<&str> = (0..40).map(|_| FILLER[usize::try_from(rng.below(FILLER.len() as u64)).unwrap_or(0)]).collect();
        let published = now - Duration::minutes(i64::try_from(n_docs - i).unwrap_or(0));
        let d = DocumentRecord {
            id: documents::DocumentId::from_uuid(rng.uuid(&mut millis)),
            issuer_unit_id: issuer,
            kind,
            number: Some(format!("{}-{symbol}/G{}", i + 1, rng.below(10_000))),
            title: format!("{name} về {topic} năm {}", 2020 + rng.below(7)),
            summary: format!("Triển khai {topic} tại địa phương"),
            body: body.join(" "),
            issued_on: Some(today),
            effective_on: None,
            tags: vec![topic.to_string()],
            roles: Vec::new(),
            status: DocumentStatus::Published,
            required: rng.below(10) == 0,
            read_deadline: None,
            escalated_at: None,
            published_at: Some(published),
            withdrawn_at: None,
            withdraw_reason: None,
            version: 1,
            created_by: None,
            created_at: now,
            updated_at: now,
        };
        let terms = index_terms(Searchable {
            title: &d.title,
            number: d.number.as_deref().unwrap_or(""),
            summary: &d.summary,
            body: &d.body,
            tags: &d.tags,
        });
        batch.push((d, vec![issuer], terms));
        if batch.len() == 2000 || i + 1 == n_docs {
            let tx = db.begin().await.map_err(err)?;
            storage::documents::insert_bulk(tx.conn(), &batch).await.map_err(err)?;
            tx.commit().await.map_err(err)?;
            batch.clear();
        }
    }

    // Points: most members 100–400 a year, one in a thousand in the tens of thousands (all time).
    let mut entries = Vec::new();
    let this_year = chrono::TimeZone::with_ymd_and_hms(&Utc, today.year(), 1, 15, 3, 0, 0).single().unwrap_or(now);
    for member in &all_members {
        let yearly = 100 + i64::try_from(rng.below(300)).unwrap_or(0) - if rng.below(5) == 0 { 80 } else { 0 };
        entries.push(Entry { member: *member, points: yearly, reason: Reason::QuizAnswer, source: rng.uuid(&mut millis), at: this_year });
        entries.push(Entry {
            member: *member,
            points: i64::try_from(rng.below(2_000)).unwrap_or(0),
            reason: Reason::QuizAnswer,
            source: rng.uuid(&mut millis),
            at: this_year - Duration::days(400),
        });
        if rng.below(1_000) == 0 {
            entries.push(Entry {
                member: *member,
                points: 20_000 + i64::try_from(rng.below(10_000)).unwrap_or(0),
                reason: Reason::Adjustment,
                source: rng.uuid(&mut millis),
                at: this_year - Duration::days(800),
            });
        }
    }
    // One call: the totals per (member, year) are computed over all entries.
    let tx = db.begin().await.map_err(err)?;
    storage::study::bulk_load(tx.conn(), &entries).await.map_err(err)?;
    tx.commit().await.map_err(err)?;
    db.checkpoint_wal().await.map_err(err)?;
    db.analyze().await.map_err(err)?;
    Ok(Report {
        members: demo.members,
        cells: cells.len(),
        meetings: meetings + 2 * cells.len(),
        attendance_rows: attendance_rows + cells.len() * per_cell,
        reports: reports_written,
        documents: n_docs,
        ledger_entries: entries.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
