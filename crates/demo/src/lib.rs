//! Demo data: a province with 12 commune committees, 300 cells and 7,500 members (the size of
//! the Kiến Xương district in the seed article), with secretaries, deputies, committee members
//! and accounts; for every cell last month's meeting (held, with attendance) and next month's
//! (published), two tasks; documents to the province and to each commune; a question bank and a
//! province quiz open for 30 days. Dates of meetings, tasks and the quiz follow the day the demo
//! is created. Generated deterministically from a seed: the same seed gives the same names,
//! numbers and ids. Fills an empty database only (one that holds no member yet).
//!
//! Demo logins (password `demo12345` for all): `quantri.tinh` (administrator of the province),
//! `bithu.xa` (secretary of the first commune committee), `bithu` (secretary of the first cell),
//! `dangvien` (a member of the first cell); every other member logs in with their party-card
//! number (probationary members, who have none yet, with `dv` + a six-digit serial). All demo accounts share one password hash (same salt) so that seeding does not spend
//! minutes in argon2; real accounts each get their own salt.
//!
//! The crate also holds the province-scale benchmark dataset ([`dataset`]). Both are run by the
//! API binary (`api --demo`, `api demo`, `api generate --size …`) and by tests and benchmarks;
//! they write through `storage` and take `now` as a parameter.

pub mod dataset;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use membership::lifecycle::{MemberState, Standing};
use membership::position::{Position, Role};
use membership::time::add_months;
use membership::{AccountId, CitizenId, FullName, MemberId, PartyCardNumber, Phone, PositionId, Sex, UnitId, UnitKind};
use storage::accounts::AccountRecord;
use storage::members::MemberRecord;
use storage::units::UnitRecord;
use uuid::Uuid;

/// The seed used by `api --demo`.
pub const DEFAULT_SEED: u64 = 20_240_826;
/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "demo12345";

const COMMUNES: [&str; 12] = [
    "Vũ Quý",
    "Thanh Tân",
    "Bình Nguyên",
    "Quang Trung",
    "Hồng Thái",
    "Trà Giang",
    "Quốc Tuấn",
    "An Bình",
    "Vũ Lễ",
    "Nam Bình",
    "Bình Thanh",
    "Đình Phùng",
];
const INSTITUTIONS: [&str; 5] = ["Trường Mầm non", "Trường Tiểu học", "Trạm Y tế", "Công an xã", "Quân sự xã"];
const SURNAMES: [&str; 14] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Phan"];
const MIDDLE_MALE: [&str; 8] = ["Văn", "Đức", "Minh", "Quang", "Xuân", "Hữu", "Công", "Thanh"];
const MIDDLE_FEMALE: [&str; 8] = ["Thị", "Thu", "Hồng", "Ngọc", "Thanh", "Minh", "Kim", "Phương"];
const GIVEN_MALE: [&str; 16] =
    ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Quân", "Sơn", "Tuấn", "Việt", "Khánh", "Thắng", "Đạt", "Huy"];
const GIVEN_FEMALE: [&str; 16] =
    ["Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Phương", "Thảo", "Trang", "Yến", "Nhung", "Thủy", "Oanh"];

/// SplitMix64: small, fast, deterministic.
#[derive(Debug)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
    /// A UUID v7 with a deterministic timestamp (advancing per id) and random bits.
    pub(crate) fn uuid(&mut self, millis: &mut u64) -> Uuid {
        *millis += 1;
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(*millis, &bytes).into_uuid()
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// What was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// Units created.
    pub units: usize,
    /// Members created.
    pub members: usize,
    /// Positions created.
    pub positions: usize,
    /// Accounts created.
    pub accounts: usize,
    /// False if the database already held members and nothing was written.
    pub created: bool,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.created {
            write!(
                f,
                "demo data: {} units, {} members, {} positions, {} accounts; logins quantri.tinh / bithu.xa / bithu / dangvien, password {DEMO_PASSWORD}",
                self.units, self.members, self.positions, self.accounts
            )
        } else {
            write!(f, "demo data: the database already has members; nothing added")
        }
    }
}

/// Fills an empty database (bootstrapped, without members) with the demo province, dated around
/// `now` (last month's and next month's meetings, an open quiz).
pub async fn seed(db: &storage::Database, seed: u64, now: DateTime<Utc>) -> Result<DemoReport, String> {
    seed_sized(db, seed, COMMUNES.len(), 25, 25, now).await
}

/// Like [`seed`] with a chosen size: `communes` × `cells_per_commune` cells of
/// `members_per_cell` members (at least 5 per cell).
pub async fn seed_sized(
    db: &storage::Database,
    seed: u64,
    communes: usize,
    cells_per_commune: usize,
    members_per_cell: usize,
    now: DateTime<Utc>,
) -> Result<DemoReport, String> {
    let err = |e: storage::StoreError| e.to_string();
    let probe = storage::members::list(
        db.conn(),
        &storage::members::ListQuery {
            unit: root_id(db).await?,
            include_subtree: true,
            standing: storage::members::StandingFilter::All,
            after: None,
            limit: 1,
        },
    )
    .await
    .map_err(err)?;
    if !probe.is_empty() {
        return Ok(DemoReport { units: 0, members: 0, positions: 0, accounts: 0, created: false });
    }
    let members_per_cell = members_per_cell.max(5);
    let root = root_id(db).await?;
    let mut rng = Rng(seed);
    let mut millis: u64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
    let founded = date(2020, 1, 1);
    let reference = date(2026, 9, 1);
    let unit = |rng: &mut Rng, millis: &mut u64, parent: Option<&UnitRecord>, kind, name: String| UnitRecord {
        id: UnitId::from_uuid(rng.uuid(millis)),
        parent_id: parent.map(|p| p.id),
        kind,
        name,
        depth: parent.map_or(0, |p| p.depth + 1),
        parent_since: founded,
        created_at: now,
    };
    let root_record = storage::units::get(db.conn(), root).await.map_err(err)?;
    let province = unit(&mut rng, &mut millis, Some(&root_record), UnitKind::Province, "Đảng bộ tỉnh Thái Bình".to_string());
    let mut units = vec![province.clone()];
    let mut cells = Vec::new();
    let mut commune_units = Vec::new();
    for c in 0..communes {
        let name = COMMUNES.get(c).map_or_else(|| format!("Đảng bộ xã Số {}", c + 1), |n| format!("Đảng bộ xã {n}"));
        let commune = unit(&mut rng, &mut millis, Some(&province), UnitKind::CommuneCommittee, name.clone());
        units.push(commune.clone());
        for k in 0..cells_per_commune {
            let short = name.trim_start_matches("Đảng bộ xã ");
            let cell_name = match INSTITUTIONS.get(k.wrapping_sub(cells_per_commune.saturating_sub(INSTITUTIONS.len()))) {
                Some(inst) if k + INSTITUTIONS.len() >= cells_per_commune => {
                    format!("Chi bộ {inst} {short}")
                }
                _ => format!("Chi bộ thôn {} xã {short}", k + 1),
            };
            let cell = unit(&mut rng, &mut millis, Some(&commune), UnitKind::Cell, cell_name);
            units.push(cell.clone());
            cells.push((commune.id, cell));
        }
        commune_units.push(commune);
    }

    let mut members = Vec::new();
    let mut positions = Vec::new();
    let mut accounts = Vec::new();
    let hash = app::accounts::hash_password(DEMO_PASSWORD).map_err(|e| e.to_string())?;
    let mut serial: u64 = 0;
    for (cell_index, (_, cell)) in cells.iter().enumerate() {
        for m in 0..members_per_cell {
            serial += 1;
            let female = rng.below(100) < 42;
            let (middle, given): (&[&str], &[&str]) = if female { (&MIDDLE_FEMALE, &GIVEN_FEMALE) } else { (&MIDDLE_MALE, &GIVEN_MALE) };
            let raw_name = format!("{} {} {}", rng.pick(&SURNAMES), rng.pick(middle), rng.pick(given));
            let birth_year = 1950 + i32::try_from(rng.below(52)).unwrap_or(0);
            let dob = date(birth_year, 1 + u32::try_from(rng.below(12)).unwrap_or(0), 1 + u32::try_from(rng.below(28)).unwrap_or(0));
            let earliest_admission = add_months(dob, 12 * 18 + 6);
            let span_days = (reference - earliest_admission).num_days().max(1);
            // About 8% probationary (admitted in the last year), the rest official.
            let probationary = m >= 5 && rng.below(100) < 8;
            let admitted_on = if probationary {
                reference - chrono::Duration::days(i64::try_from(rng.below(300)).unwrap_or(0) + 10)
            } else {
                let back = i64::try_from(rng.below(u64::try_from(span_days).unwrap_or(1))).unwrap_or(0);
                (earliest_admission + chrono::Duration::days(back)).min(reference - chrono::Duration::days(400))
            };
            let mut state = if probationary {
                MemberState::admitted(cell.id, admitted_on)
            } else {
                MemberState::already_official(cell.id, admitted_on, add_months(admitted_on, 12)).map_err(|e| e.to_string())?
            };
            if m >= 5 && birth_year < 1952 && rng.below(3) == 0 {
                state.exempt_since = Some(date(2025, 1, 15));
                state.last_event_on = state.last_event_on.max(date(2025, 1, 15));
            }
            let sex_digit = match (female, birth_year >= 2000) {
                (false, false) => 0,
                (true, false) => 1,
                (false, true) => 2,
                (true, true) => 3,
            };
            let cccd = format!("034{sex_digit}{:02}{:06}", birth_year % 100, serial);
            let card = (state.standing == Standing::Official).then(|| format!("{:08}", 10_000_000 + serial));
            let phone = format!("09{:08}", (serial * 7_919) % 100_000_000);
            let record = MemberRecord {
                id: MemberId::from_uuid(rng.uuid(&mut millis)),
                full_name: FullName::parse(&raw_name).map_err(|e| e.to_string())?,
                date_of_birth: dob,
                sex: if female { Sex::Female } else { Sex::Male },
                party_card_number: card.as_deref().map(PartyCardNumber::parse).transpose().map_err(|e| e.to_string())?,
                citizen_id: CitizenId::parse(&cccd).map_err(|e| e.to_string())?,
                phone: Some(Phone::parse(&phone).map_err(|e| e.to_string())?),
                email: None,
                state,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let mut position = |unit: UnitId, role: Role, rng: &mut Rng, millis: &mut u64| {
                positions.push(Position {
                    id: PositionId::from_uuid(rng.uuid(millis)),
                    unit_id: unit,
                    member_id: record.id,
                    role,
                    from: date(2025, 8, 1),
                    to: None,
                });
            };
            let commune_index = cell_index / cells_per_commune.max(1);
            let first_in_commune = cell_index % cells_per_commune.max(1) == 0;
            match m {
                0 => position(cell.id, Role::Secretary, &mut rng, &mut millis),
                1 => position(cell.id, Role::DeputySecretary, &mut rng, &mut millis),
                2 => position(cell.id, Role::CommitteeMember, &mut rng, &mut millis),
                3 if first_in_commune => position(commune_units[commune_index].id, Role::Secretary, &mut rng, &mut millis),
                4 if first_in_commune => position(commune_units[commune_index].id, Role::DeputySecretary, &mut rng, &mut millis),
                _ => {}
            }
            let username = match (cell_index, m) {
                (0, 0) => Some("bithu".to_string()),
                (0, 3) => Some("bithu.xa".to_string()),
                (0, 5) => Some("dangvien".to_string()),
                _ => record.party_card_number.as_ref().map(|c| c.as_str().to_string()),
            };
            // Probationary members have no party card yet: they log in as `dv` + serial.
            let username = username.or_else(|| Some(format!("dv{serial:06}")));
            if let Some(username) = username {
                accounts.push(AccountRecord {
                    id: AccountId::from_uuid(rng.uuid(&mut millis)),
                    member_id: Some(record.id),
                    username,
                    password_hash: hash.clone(),
                    must_change_password: false,
                    disabled: false,
                    created_at: now,
                });
            }
            members.push(record);
        }
    }
    let province_admin = AccountRecord {
        id: AccountId::from_uuid(rng.uuid(&mut millis)),
        member_id: None,
        username: "quantri.tinh".to_string(),
        password_hash: hash.clone(),
        must_change_password: false,
        disabled: false,
        created_at: now,
    };
    accounts.push(province_admin.clone());

    let tx = db.begin().await.map_err(err)?;
    for u in &units {
        storage::units::insert(tx.conn(), u).await.map_err(err)?;
    }
    storage::members::insert_many(tx.conn(), &members).await.map_err(err)?;
    storage::positions::insert_many(tx.conn(), &positions, now).await.map_err(err)?;
    storage::accounts::insert_many(tx.conn(), &accounts).await.map_err(err)?;
    storage::accounts::grant_admin(tx.conn(), province_admin.id, province.id, None, now).await.map_err(err)?;
    let _content_rows =
        seed_content(&tx, &mut rng, &mut millis, &province, &commune_units, &cells, &members, members_per_cell, now).await.map_err(err)?;
    tx.commit().await.map_err(err)?;
    Ok(DemoReport { units: units.len(), members: members.len(), positions: positions.len(), accounts: accounts.len(), created: true })
}

/// Meetings (last month's, held, with attendance; next month's, published), documents to the
/// province and to each commune (searchable, with questions), a province quiz open for a month, and
/// two tasks per cell. Dates are relative to the day the demo is created.
#[allow(clippy::too_many_arguments)]
async fn seed_content(
    tx: &storage::Tx,
    rng: &mut Rng,
    millis: &mut u64,
    province: &UnitRecord,
    communes: &[UnitRecord],
    cells: &[(UnitId, UnitRecord)],
    members: &[MemberRecord],
    per_cell: usize,
    now: chrono::DateTime<Utc>,
) -> Result<usize, storage::StoreError> {
    use documents::model::DocumentKind;
    use meetings::attendance::{AttendanceStatus, LedgerRow};
    use meetings::lifecycle::{MeetingKind, MeetingStatus};
    use meetings::roster::RosterRole;
    use storage::meetings::{AgendaRecord, MeetingRecord};
    let c = tx.conn();
    let mut rows = 0;
    let today = membership::time::local_date(now);
    let month_start = |offset: i32| {
        let (y, m) = (today.year(), i32::try_from(today.month0()).unwrap_or(0) + offset);
        let (y, m) = (y + m.div_euclid(12), m.rem_euclid(12) + 1);
        NaiveDate::from_ymd_opt(y, u32::try_from(m).unwrap_or(1), 5).unwrap_or(today)
    };
    let at_19h = |d: NaiveDate| d.and_hms_opt(12, 0, 0).map_or(now, |t| t.and_utc());
    let template = meetings::content::regular_template();
    for (index, (_, cell)) in cells.iter().enumerate() {
        let roster: Vec<&MemberRecord> = members[index * per_cell..(index + 1) * per_cell].iter().collect();
        for (offset, status) in [(-1, MeetingStatus::Ended), (1, MeetingStatus::Published)] {
            let starts = at_19h(month_start(offset));
            let id = meetings::MeetingId::from_uuid(rng.uuid(millis));
            let m = MeetingRecord {
                id,
                unit_id: cell.id,
                kind: MeetingKind::Regular,
                combined_thematic: false,
                title: format!("Sinh hoạt chi bộ thường kỳ tháng {}/{}", month_start(offset).month(), month_start(offset).year()),
                status,
                starts_at: starts,
                planned_minutes: 90,
                location: Some(format!("Nhà văn hóa {}", cell.name.trim_start_matches("Chi bộ "))),
                online_link: None,
                notes: "Đề nghị đảng viên đọc trước nội dung và chuẩn bị ý kiến.".into(),
                version: 1,
                late_publication: false,
                short_duration_confirmed: false,
                published_at: Some(starts - chrono::Duration::days(2)),
                opened_at: (status == MeetingStatus::Ended).then_some(starts),
                ended_at: (status == MeetingStatus::Ended).then(|| starts + chrono::Duration::minutes(95)),
                cancelled_at: None,
                cancel_reason: None,
                minutes: None,
                minutes_approved_at: None,
                created_by: None,
                created_at: now,
                updated_at: now,
            };
            let agenda: Vec<AgendaRecord> = template
                .iter()
                .enumerate()
                .map(|(i, item)| AgendaRecord {
                    id: meetings::AgendaItemId::from_uuid(rng.uuid(millis)),
                    position: i32::try_from(i).unwrap_or(0),
                    item: item.clone(),
                })
                .collect();
            storage::meetings::insert(c, &m, &agenda).await?;
            rows += 1 + agenda.len();
            if status == MeetingStatus::Ended {
                let ledger: Vec<LedgerRow> = roster
                    .iter()
                    .filter(|r| r.state.is_obliged_to_attend())
                    .map(|r| {
                        let roll = rng.below(100);
                        let status = match roll {
                            0..=84 => AttendanceStatus::Present,
                            85..=89 => AttendanceStatus::Late,
                            90..=96 => AttendanceStatus::AbsentWithReason,
                            _ => AttendanceStatus::AbsentWithoutReason,
                        };
                        LedgerRow {
                            member_id: r.id,
                            role: RosterRole::Obliged,
                            official: r.state.standing == membership::lifecycle::Standing::Official,
                            status,
                            checked_in_at: status.attended().then_some(starts),
                            reason: None,
                        }
                    })
                    .collect();
                rows += ledger.len();
                storage::meetings::insert_ledger(c, id, &ledger).await?;
            }
        }
    }
    // Documents: the province's to the whole province, one notice per commune.
    let topics = [
        "công tác xây dựng Đảng",
        "chuyển đổi số",
        "xây dựng nông thôn mới",
        "phòng chống tham nhũng",
        "học tập và làm theo tư tưởng Hồ Chí Minh",
        "bảo vệ môi trường",
    ];
    let mut first_resolution = None;
    for (i, topic) in topics.iter().enumerate() {
        let kind = if i % 2 == 0 { DocumentKind::Resolution } else { DocumentKind::Directive };
        let symbol = if kind == DocumentKind::Resolution { "NQ" } else { "CT" };
        let d = doc_record(
            rng,
            millis,
            province.id,
            kind,
            Some(format!("{:02}-{symbol}/TU", i + 1)),
            format!("{} về {topic}", if i % 2 == 0 { "Nghị quyết" } else { "Chỉ thị" }),
            topic,
            now,
            i == 0,
        );
        let terms = documents::search::index_terms(documents::search::Searchable {
            title: &d.title,
            number: d.number.as_deref().unwrap_or(""),
            summary: &d.summary,
            body: &d.body,
            tags: &d.tags,
        });
        storage::documents::insert(c, &d, &[province.id], &terms).await?;
        if first_resolution.is_none() {
            first_resolution = Some(d.clone());
        }
        rows += 1;
    }
    for (i, commune) in communes.iter().enumerate() {
        let d = doc_record(
            rng,
            millis,
            commune.id,
            DocumentKind::Notice,
            Some(format!("{}-TB/ĐU", i + 1)),
            format!("Thông báo lịch sinh hoạt chi bộ tháng {} — {}", month_start(1).month(), commune.name),
            "sinh hoạt chi bộ",
            now,
            false,
        );
        let terms = documents::search::index_terms(documents::search::Searchable {
            title: &d.title,
            number: d.number.as_deref().unwrap_or(""),
            summary: &d.summary,
            body: &d.body,
            tags: &d.tags,
        });
        storage::documents::insert(c, &d, &[commune.id], &terms).await?;
        rows += 1;
    }
    // Questions on the first resolution, and a province quiz drawing from them.
    if let Some(doc) = first_resolution {
        use study_points::question::{Kind, QuestionContent};
        let bank = [
            ("Đảng Cộng sản Việt Nam được thành lập năm nào?", vec!["1925", "1930", "1945", "1954"], vec![1]),
            ("Chi bộ sinh hoạt thường kỳ bao lâu một lần?", vec!["Mỗi tuần", "Mỗi tháng", "Mỗi quý"], vec![1]),
            (
                "Đảng viên dự bị được xét công nhận chính thức sau bao nhiêu tháng?",
                vec!["6 tháng", "12 tháng", "18 tháng", "24 tháng"],
                vec![1],
            ),
            (
                "Những nội dung nào thuộc sinh hoạt chi bộ thường kỳ?",
                vec!["Đánh giá kết quả tháng trước", "Phương hướng tháng này", "Tổ chức liên hoan", "Các vấn đề khác"],
                vec![0, 1, 3],
            ),
            ("Đảng viên phấn đấu đạt trên 200 điểm học tập mỗi năm.", vec![], vec![0]),
            ("Cấp ủy viên là đảng viên chính thức.", vec![], vec![0]),
        ];
        for (prompt, options, correct) in bank {
            let kind = if options.is_empty() {
                Kind::TrueFalse
            } else if correct.len() > 1 {
                Kind::Multiple
            } else {
                Kind::Single
            };
            let content = QuestionContent::parse(kind, prompt, &options, &correct, "Theo Điều lệ Đảng và Hướng dẫn 12-HD/BTCTW.")
                .map_err(|e| storage::StoreError::Corrupt(e.to_string()))?;
            let q = storage::study::QuestionRecord {
                id: study_points::QuestionId::from_uuid(rng.uuid(millis)),
                document_id: doc.id.as_uuid(),
                unit_id: province.id,
                tags: vec!["Điều lệ Đảng".into()],
                version_id: study_points::QuestionVersionId::from_uuid(rng.uuid(millis)),
                version: 1,
                answered: false,
                content,
                created_at: now,
            };
            storage::study::insert_question(c, &q).await?;
            rows += 1;
        }
        let quiz = storage::study::QuizRecord {
            id: study_points::QuizId::from_uuid(rng.uuid(millis)),
            unit_id: province.id,
            title: "Cuộc thi tìm hiểu Điều lệ Đảng".into(),
            description: "Mỗi câu đúng được 10 điểm; tối đa 7 lượt mỗi tuần.".into(),
            opens_on: today,
            closes_on: today + chrono::Duration::days(30),
            weekdays: Vec::new(),
            daily_from: None,
            daily_to: None,
            time_limit_minutes: 10,
            max_attempts: 7,
            attempt_period: study_points::quiz::Period::Week,
            points_per_correct: 10,
            question_count: 5,
            selection: "random".into(),
            tags: Vec::new(),
            document_ids: vec![doc.id.as_uuid()],
            fixed_questions: Vec::new(),
            created_by: None,
            created_at: now,
        };
        storage::study::insert_quiz(c, &quiz).await?;
        rows += 1;
    }
    // Two tasks per cell.
    for (index, (_, cell)) in cells.iter().enumerate() {
        for (k, title) in
            ["Vận động hộ gia đình phân loại rác tại nguồn", "Rà soát danh sách đảng viên cao tuổi để thăm hỏi"].iter().enumerate()
        {
            let assignee = members[index * per_cell + 3 + k].id;
            let t = storage::tasks::TaskRecord {
                id: tasks::TaskId::from_uuid(rng.uuid(millis)),
                unit_id: cell.id,
                title: (*title).to_string(),
                description: String::new(),
                assignees: vec![assignee],
                assigner_member_id: Some(members[index * per_cell].id),
                assigner_account_id: membership::AccountId::from_uuid(uuid::Uuid::nil()),
                source_meeting_id: None,
                review_meeting_id: None,
                due_on: today + chrono::Duration::days(10 + i64::try_from(k).unwrap_or(0) * 10),
                priority: tasks::workflow::Priority::Normal,
                status: tasks::workflow::Status::Assigned,
                percent: 0,
                rating: None,
                evaluation_comment: None,
                evaluated_by: None,
                evaluated_at: None,
                submitted_at: None,
                cancelled_at: None,
                cancel_reason: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            storage::tasks::insert(c, &t).await?;
            rows += 1;
        }
    }
    Ok(rows)
}

#[allow(clippy::too_many_arguments)]
fn doc_record(
    rng: &mut Rng,
    millis: &mut u64,
    issuer: UnitId,
    kind: documents::model::DocumentKind,
    number: Option<String>,
    title: String,
    topic: &str,
    now: chrono::DateTime<Utc>,
    required: bool,
) -> storage::documents::DocumentRecord {
    storage::documents::DocumentRecord {
        id: documents::DocumentId::from_uuid(rng.uuid(millis)),
        issuer_unit_id: issuer,
        kind,
        number,
        title,
        summary: format!("Triển khai {topic} trong toàn Đảng bộ."),
        body: format!(
            "Các cấp ủy, chi bộ và đảng viên quán triệt, tổ chức thực hiện nghiêm túc nội dung về {topic}; định kỳ báo cáo kết quả lên cấp trên."
        ),
        issued_on: Some(membership::time::local_date(now)),
        effective_on: None,
        tags: vec![topic.to_string()],
        roles: Vec::new(),
        status: documents::model::DocumentStatus::Published,
        required,
        read_deadline: None,
        escalated_at: None,
        published_at: Some(now),
        withdrawn_at: None,
        withdraw_reason: None,
        version: 1,
        created_by: None,
        created_at: now,
        updated_at: now,
    }
}

async fn root_id(db: &storage::Database) -> Result<UnitId, String> {
    // The bootstrap root is the only unit without a parent; it is the first unit ever created.
    let top = storage::units::roots(db.conn()).await.map_err(|e| e.to_string())?;
    top.first().map(|u| u.id).ok_or_else(|| "the database has no root unit; start the server once first".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng(DEFAULT_SEED);
        let mut b = Rng(DEFAULT_SEED);
        let (mut ma, mut mb) = (0, 0);
        for _ in 0..100 {
            assert_eq!(a.uuid(&mut ma), b.uuid(&mut mb));
        }
        assert_eq!(a.uuid(&mut ma).get_version_num(), 7);
    }
}
