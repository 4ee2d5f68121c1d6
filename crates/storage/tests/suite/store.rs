//! Storage tests. They run on a temporary SQLite file, or on PostgreSQL (a fresh schema per
//! test) when `TEST_DATABASE_URL` is set.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use meetings::MeetingId;
use meetings::lifecycle::{MeetingKind, MeetingStatus};
use membership::lifecycle::MemberState;
use membership::position::{Position, Role};
use membership::{CitizenId, FullName, MemberId, PartyCardNumber, PositionId, Sex, UnitId, UnitKind};
use storage::meetings::MeetingRecord;
use storage::members::{ListQuery, MemberRecord, StandingFilter};
use storage::testing::{backend, empty_database, fresh_database};
use storage::units::UnitRecord;
use storage::{ConnectError, Constraint, Database, StoreError};
use uuid::Uuid;

/// The tests' fixed instant: 17:00 UTC, when Vietnam's date is already the next day.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 17, 0, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn unit(parent: Option<&UnitRecord>, kind: UnitKind, name: &str) -> UnitRecord {
    UnitRecord {
        id: UnitId::from_uuid(Uuid::now_v7()),
        parent_id: parent.map(|p| p.id),
        kind,
        name: name.to_string(),
        depth: parent.map_or(0, |p| p.depth + 1),
        parent_since: d(2020, 1, 1),
        created_at: now(),
    }
}

fn member(cell: UnitId, n: u32) -> MemberRecord {
    MemberRecord {
        id: MemberId::from_uuid(Uuid::now_v7()),
        full_name: FullName::parse("Nguyễn Văn An").unwrap(),
        date_of_birth: d(1980, 1, 1),
        sex: Sex::Male,
        party_card_number: Some(PartyCardNumber::parse(&format!("{:08}", 10_000_000 + n)).unwrap()),
        citizen_id: CitizenId::parse(&format!("034080{:06}", n)).unwrap(),
        phone: None,
        email: None,
        state: MemberState::already_official(cell, d(2010, 1, 1), d(2011, 1, 1)).unwrap(),
        version: 1,
        created_at: now(),
        updated_at: now(),
    }
}

/// root → province → district → commune → cell
async fn tree(db: &Database) -> [UnitRecord; 5] {
    let root = unit(None, UnitKind::Central, "Trung ương");
    let province = unit(Some(&root), UnitKind::Province, "Đảng bộ tỉnh Thái Bình");
    let district = unit(Some(&province), UnitKind::District, "Đảng bộ huyện Kiến Xương");
    let commune = unit(Some(&district), UnitKind::CommuneCommittee, "Đảng bộ xã Vũ Quý");
    let cell = unit(Some(&commune), UnitKind::Cell, "Chi bộ thôn Đông");
    for u in [&root, &province, &district, &commune, &cell] {
        storage::units::insert(db.conn(), u).await.unwrap();
    }
    [root, province, district, commune, cell]
}

#[tokio::test]
async fn migrations_run_up_down_up_to_the_same_schema() {
    let t = empty_database().await.unwrap();
    t.db.migrate().await.unwrap();
    let first = t.db.describe_schema().await.unwrap();
    assert!(first.iter().any(|l| l.contains("org_unit_closure")), "schema lists the closure table: {first:?}");
    assert!(first.iter().any(|l| l.contains("ux_positions_open_unique_role")), "partial unique index present");
    t.db.migrate_down_all().await.unwrap();
    let empty = t.db.describe_schema().await.unwrap();
    assert!(empty.iter().all(|l| !l.contains("members")), "down removes the tables: {empty:?}");
    t.db.migrate().await.unwrap();
    assert_eq!(t.db.describe_schema().await.unwrap(), first);
}

#[tokio::test]
async fn wal_stays_bounded_under_many_inserts() {
    let t = fresh_database().await.unwrap();
    if backend() == "postgres" {
        assert_eq!(t.db.sqlite_wal_size().await.unwrap(), None);
        return;
    }
    let [.., cell] = tree(&t.db).await;
    // 3,000 single-row commits, each also writing an index entry: without automatic checkpoints
    // the WAL would pass 20 MB; with them it stays near SQLite's 1,000-page threshold (~4 MB).
    for n in 0..3_000 {
        storage::members::insert(t.db.conn(), &member(cell.id, n)).await.unwrap();
    }
    let wal = t.db.sqlite_wal_size().await.unwrap().expect("a WAL file exists in WAL mode");
    assert!(wal < 12 * 1024 * 1024, "WAL grew to {wal} bytes");
}

#[tokio::test]
async fn returning_inserts_grow_the_wal_until_a_checkpoint_truncates_it() {
    let t = fresh_database().await.unwrap();
    if backend() == "postgres" {
        // No WAL file to watch; the checkpoint is a no-op there.
        t.db.checkpoint_wal().await.unwrap();
        assert_eq!(t.db.sqlite_wal_size().await.unwrap(), None);
        return;
    }
    for n in 0..3_000 {
        storage::testing::insert_with_returning(&t.db, n).await.unwrap();
    }
    let grown = t.db.sqlite_wal_size().await.unwrap().unwrap();
    assert!(grown > 12 * 1024 * 1024, "the trap reproduces: WAL at {grown} bytes");
    t.db.checkpoint_wal().await.unwrap();
    assert_eq!(t.db.sqlite_wal_size().await.unwrap(), Some(0));
}

#[tokio::test]
async fn closure_table_answers_subtrees_and_moves_keep_history() {
    let t = fresh_database().await.unwrap();
    let db = &t.db;
    let [root, province, district, commune, cell] = tree(db).await;
    assert_eq!(storage::units::path(db.conn(), cell.id).await.unwrap(), vec![root.id, province.id, district.id, commune.id, cell.id]);
    assert!(storage::units::in_subtree(db.conn(), district.id, cell.id).await.unwrap());
    assert!(!storage::units::in_subtree(db.conn(), cell.id, district.id).await.unwrap());
    assert_eq!(storage::units::subtree_size(db.conn(), province.id).await.unwrap(), 4);

    // July 2025: the district level disappears; the commune moves under the province.
    let commune_now = storage::units::get(db.conn(), commune.id).await.unwrap();
    let province_now = storage::units::get(db.conn(), province.id).await.unwrap();
    storage::units::move_unit(db.conn(), &commune_now, &province_now, d(2025, 7, 1)).await.unwrap();

    assert_eq!(storage::units::path(db.conn(), cell.id).await.unwrap(), vec![root.id, province.id, commune.id, cell.id]);
    assert!(!storage::units::in_subtree(db.conn(), district.id, cell.id).await.unwrap());
    assert_eq!(storage::units::get(db.conn(), cell.id).await.unwrap().depth, 3);
    assert_eq!(storage::units::get(db.conn(), commune.id).await.unwrap().parent_id, Some(province.id));
    assert_eq!(storage::units::parent_on(db.conn(), commune.id, d(2025, 6, 30)).await.unwrap(), Some(district.id));
    assert_eq!(storage::units::parent_on(db.conn(), commune.id, d(2025, 7, 1)).await.unwrap(), Some(province.id));
    assert_eq!(storage::units::parent_on(db.conn(), commune.id, d(2019, 1, 1)).await.unwrap(), None);
    let links = storage::units::links(db.conn(), commune.id).await.unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].valid_until, Some(d(2025, 7, 1)));
    assert_eq!(storage::units::subtree_size(db.conn(), district.id).await.unwrap(), 1);
}

#[tokio::test]
async fn unique_violations_become_typed_conflicts_and_stale_versions_mismatch() {
    let t = fresh_database().await.unwrap();
    let [.., cell] = tree(&t.db).await;
    let first = member(cell.id, 1);
    storage::members::insert(t.db.conn(), &first).await.unwrap();
    let same_cccd = MemberRecord { id: MemberId::from_uuid(Uuid::now_v7()), party_card_number: None, ..first.clone() };
    let err = storage::members::insert(t.db.conn(), &same_cccd).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { constraint: Constraint::CitizenId }), "{err:?}");
    let same_card =
        MemberRecord { id: MemberId::from_uuid(Uuid::now_v7()), citizen_id: CitizenId::parse("034080999999").unwrap(), ..first };
    let err = storage::members::insert(t.db.conn(), &same_card).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { constraint: Constraint::PartyCardNumber }), "{err:?}");
    assert!(matches!(storage::members::get(t.db.conn(), MemberId::from_uuid(Uuid::now_v7())).await, Err(StoreError::NotFound)));
    // A write against a version that is no longer stored is refused as such (not as a missing row).
    let stored = storage::members::get(t.db.conn(), first.id).await.unwrap();
    storage::members::update(t.db.conn(), &stored, stored.version).await.unwrap();
    let err = storage::members::update(t.db.conn(), &stored, stored.version).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch), "{err:?}");
}

#[tokio::test]
async fn second_open_secretary_is_refused_by_the_database() {
    let t = fresh_database().await.unwrap();
    let [.., cell] = tree(&t.db).await;
    let (a, b) = (member(cell.id, 1), member(cell.id, 2));
    storage::members::insert_many(t.db.conn(), &[a.clone(), b.clone()]).await.unwrap();
    let pos = |m: &MemberRecord| Position {
        id: PositionId::from_uuid(Uuid::now_v7()),
        unit_id: cell.id,
        member_id: m.id,
        role: Role::Secretary,
        from: d(2025, 1, 1),
        to: None,
    };
    storage::positions::insert(t.db.conn(), &pos(&a), now()).await.unwrap();
    let err = storage::positions::insert(t.db.conn(), &pos(&b), now()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { constraint: Constraint::OpenPosition }), "{err:?}");
    // Committee members are not unique.
    let committee = |m: &MemberRecord| Position { role: Role::CommitteeMember, ..pos(m) };
    storage::positions::insert(t.db.conn(), &committee(&a), now()).await.unwrap();
    storage::positions::insert(t.db.conn(), &committee(&b), now()).await.unwrap();
}

#[tokio::test]
async fn member_pages_follow_the_cursor_and_the_subtree() {
    let t = fresh_database().await.unwrap();
    let [_, province, _, commune, cell] = tree(&t.db).await;
    let other_cell = unit(Some(&commune), UnitKind::Cell, "Chi bộ thôn Tây");
    storage::units::insert(t.db.conn(), &other_cell).await.unwrap();
    let batch: Vec<_> = (0..7).map(|n| member(if n < 5 { cell.id } else { other_cell.id }, n)).collect();
    storage::members::insert_many(t.db.conn(), &batch).await.unwrap();
    let q = |unit, include_subtree, after| ListQuery { unit, include_subtree, standing: StandingFilter::Active, after, limit: 3 };
    let first = storage::members::list(t.db.conn(), &q(cell.id, false, None)).await.unwrap();
    assert_eq!(first.len(), 3);
    let second = storage::members::list(t.db.conn(), &q(cell.id, false, Some(first[2].id))).await.unwrap();
    assert_eq!(second.len(), 2);
    assert!(second.iter().all(|m| !first.contains(m)));
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = storage::members::list(t.db.conn(), &q(province.id, true, after)).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|m| m.id);
        all.extend(page);
    }
    assert_eq!(all.len(), 7);
    assert!(storage::members::list(t.db.conn(), &q(province.id, false, None)).await.unwrap().is_empty());
}

#[tokio::test]
async fn connect_refuses_unknown_schemes_and_unreachable_servers() {
    assert!(matches!(Database::connect("mysql://root@localhost/x", 1).await, Err(ConnectError::UnknownScheme(_))));
    assert!(matches!(Database::connect("./handbook.db", 1).await, Err(ConnectError::UnknownScheme(_))));
    let err = Database::connect("postgres://nobody:secret@127.0.0.1:1/none", 1).await.unwrap_err();
    assert!(matches!(err, ConnectError::Refused { .. }), "{err:?}");
    assert!(err.to_string().contains("127.0.0.1:1") && err.to_string().contains("refused"), "{err}");
    assert!(!err.to_string().contains("secret"), "the password is never shown: {err}");
}

#[tokio::test]
async fn ledger_awards_are_idempotent_and_totals_equal_ledger_sums() {
    use study_points::ledger::{Entry, Reason};
    let t = fresh_database().await.unwrap();
    let [.., cell] = tree(&t.db).await;
    let members: Vec<MemberRecord> = (0..4).map(|n| member(cell.id, 900 + n)).collect();
    storage::members::insert_many(t.db.conn(), &members).await.unwrap();
    let mut state = 99u64;
    let mut rnd = |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut appended = 0;
    for i in 0..300 {
        let m = &members[usize::try_from(rnd(4)).unwrap()];
        let reason = [Reason::QuizAnswer, Reason::DocumentRead, Reason::Adjustment][usize::try_from(rnd(3)).unwrap()];
        let source = Uuid::from_u128(u128::from(rnd(15)));
        let year = if rnd(2) == 0 { 2025 } else { 2026 };
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, year, 6, 1, 0, 0, 0).unwrap();
        let points = i64::try_from(rnd(12)).unwrap() - 3;
        let tx = t.db.begin().await.unwrap();
        let added = storage::study::award(tx.conn(), &Entry { member: m.id, points, reason, source, at }, None, None).await.unwrap();
        tx.commit().await.unwrap();
        appended += usize::from(added);
        let _ = i;
    }
    assert!(appended > 20 && appended < 300, "repeats were ignored ({appended} appended)");
    for m in &members {
        for year in [2025, 2026] {
            assert_eq!(
                storage::study::adjustment_total(t.db.conn(), m.id, year).await.unwrap(),
                storage::study::adjustment_ledger_sum(t.db.conn(), m.id, year).await.unwrap(),
                "maintained adjustment total equals the ledger's sum of absolute adjustments (year {year})"
            );
        }
        for year in [0, 2025, 2026] {
            assert_eq!(
                storage::study::total(t.db.conn(), m.id, year).await.unwrap(),
                storage::study::ledger_sum(t.db.conn(), m.id, year).await.unwrap(),
                "maintained total equals the ledger sum (year {year})"
            );
        }
    }
    // Ranks with ties in SQL agree with the domain's competition ranking.
    let totals: Vec<(MemberId, i64)> = {
        let mut v = Vec::new();
        for m in &members {
            v.push((m.id, storage::study::total(t.db.conn(), m.id, 0).await.unwrap()));
        }
        v
    };
    let want = study_points::ledger::ranks(&totals);
    for (m, total) in &totals {
        let in_db = storage::study::rank(t.db.conn(), cell.id, 0, *total).await.unwrap();
        assert_eq!(u32::try_from(in_db).unwrap(), want[m]);
    }
}

#[tokio::test]
async fn unit_totals_follow_awards_moves_and_transfers() {
    use study_points::ledger::{Entry, Reason};
    let t = fresh_database().await.unwrap();
    let [root, province, district, commune, cell] = tree(&t.db).await;
    let other_cell = unit(Some(&commune), UnitKind::Cell, "Chi bộ thôn Tây");
    storage::units::insert(t.db.conn(), &other_cell).await.unwrap();
    let (a, b) = (member(cell.id, 950), member(other_cell.id, 951));
    storage::members::insert_many(t.db.conn(), &[a.clone(), b.clone()]).await.unwrap();
    let at = now();
    for (m, points, n) in [(&a, 30, 1u128), (&b, 50, 2), (&a, 25, 3)] {
        let tx = t.db.begin().await.unwrap();
        storage::study::award(
            tx.conn(),
            &Entry { member: m.id, points, reason: Reason::Adjustment, source: Uuid::from_u128(n), at },
            None,
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    // a has 55, b has 50: a ranks 1 in the commune and the province, b ranks 1 in its own cell.
    for u in [root.id, province.id, district.id, commune.id] {
        assert_eq!(storage::study::rank(t.db.conn(), u, 0, 55).await.unwrap(), 1);
        assert_eq!(storage::study::rank(t.db.conn(), u, 0, 50).await.unwrap(), 2);
    }
    assert_eq!(storage::study::rank(t.db.conn(), other_cell.id, 0, 50).await.unwrap(), 1);
    let top = storage::study::top(t.db.conn(), commune.id, 0, 10).await.unwrap();
    assert_eq!(top.iter().map(|r| r.3).collect::<Vec<_>>(), [55, 50]);

    // The commune moves out of the district: the district no longer ranks its members.
    t.db.execute_unprepared("UPDATE org_units SET parent_since = '2020-01-01'").await.unwrap();
    let commune_now = storage::units::get(t.db.conn(), commune.id).await.unwrap();
    let province_now = storage::units::get(t.db.conn(), province.id).await.unwrap();
    storage::units::move_unit(t.db.conn(), &commune_now, &province_now, chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap())
        .await
        .unwrap();
    assert!(storage::study::top(t.db.conn(), district.id, 0, 10).await.unwrap().is_empty());
    assert_eq!(storage::study::top(t.db.conn(), province.id, 0, 10).await.unwrap().len(), 2);

    // b transfers into a's cell: the cell's board now has both.
    let mut moved = storage::members::get(t.db.conn(), b.id).await.unwrap();
    moved.state.home_unit = cell.id;
    storage::members::update(t.db.conn(), &moved, moved.version).await.unwrap();
    storage::study::rebuild_unit_points(t.db.conn(), &[b.id]).await.unwrap();
    assert_eq!(storage::study::top(t.db.conn(), cell.id, 0, 10).await.unwrap().len(), 2);
    assert!(storage::study::top(t.db.conn(), other_cell.id, 0, 10).await.unwrap().is_empty());
    // Ranks (from the per-total counts) followed the move and the transfer.
    assert_eq!(storage::study::rank(t.db.conn(), cell.id, 0, 50).await.unwrap(), 2, "b now ranks behind a in a's cell");
    assert_eq!(storage::study::rank(t.db.conn(), other_cell.id, 0, 0).await.unwrap(), 1, "nobody left in b's old cell");
    assert_eq!(storage::study::rank(t.db.conn(), district.id, 0, 0).await.unwrap(), 1, "nobody left under the district");
    assert_eq!(storage::study::rank(t.db.conn(), province.id, 0, 0).await.unwrap(), 3);
    // Another award moves both totals' counts.
    let tx = t.db.begin().await.unwrap();
    storage::study::award(
        tx.conn(),
        &Entry { member: b.id, points: 10, reason: Reason::Adjustment, source: Uuid::from_u128(4), at },
        None,
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(storage::study::rank(t.db.conn(), province.id, 0, 55).await.unwrap(), 2, "b has 60 now");
    assert_eq!(storage::study::rank(t.db.conn(), province.id, 0, 59).await.unwrap(), 2);
    assert_eq!(storage::study::rank(t.db.conn(), province.id, 0, 60).await.unwrap(), 1);
}

#[tokio::test]
async fn top_k_search_returns_exactly_the_full_ranking() {
    use documents::model::{DocumentKind, DocumentStatus};
    use documents::search::{Searchable, index_terms, parse_query};
    use storage::documents::{DocumentRecord, FeedQuery, Viewer};
    let t = fresh_database().await.unwrap();
    let [root, province, district, commune, cell] = tree(&t.db).await;
    let other_cell = unit(Some(&commune), UnitKind::Cell, "Chi bộ thôn Tây");
    storage::units::insert(t.db.conn(), &other_cell).await.unwrap();
    // A small vocabulary with diacritic variants, few distinct publication times and a few drafts,
    // so that most documents match and ties on score and time are common.
    let vocab = ["nghị", "nghi", "quyết", "quyet", "đảng", "dang", "viên", "học", "tập", "chi", "bộ", "kế", "hoạch"];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let base = now();
    let mut batch = Vec::new();
    for i in 0..1500u32 {
        // Titles from a few phrases, as real titles are ("Nghị quyết …"): the top score tiers hold
        // many documents, so retrieval must stop inside a tier, on publication time.
        let phrases = ["nghị quyết", "nghi quyet", "đảng viên", "học tập", "kế hoạch"];
        let title = format!("{} {}", phrases[next(5) as usize], phrases[next(5) as usize]);
        let mut text = |len: u64| (0..len).map(|_| vocab[next(vocab.len() as u64) as usize]).collect::<Vec<_>>().join(" ");
        let (summary, body) = (text(4), text(12));
        let audience = match next(3) {
            0 => vec![province.id],
            1 => vec![cell.id],
            _ => vec![other_cell.id],
        };
        let draft = next(10) == 0;
        let d = DocumentRecord {
            id: documents::DocumentId::from_uuid(Uuid::now_v7()),
            issuer_unit_id: if next(4) == 0 { commune.id } else { province.id },
            kind: if next(2) == 0 { DocumentKind::Directive } else { DocumentKind::News },
            number: Some(format!("{i}-TB")),
            title,
            summary,
            body,
            issued_on: Some(d(2026, 1 + next(12) as u32, 1)),
            effective_on: None,
            tags: Vec::new(),
            roles: Vec::new(),
            status: if draft { DocumentStatus::Draft } else { DocumentStatus::Published },
            required: next(3) == 0,
            read_deadline: None,
            escalated_at: None,
            published_at: (!draft).then(|| base - chrono::Duration::minutes(next(400) as i64)),
            withdrawn_at: None,
            withdraw_reason: None,
            version: 1,
            created_by: None,
            created_at: base,
            updated_at: base,
        };
        let terms = index_terms(Searchable { title: &d.title, number: "", summary: &d.summary, body: &d.body, tags: &[] });
        batch.push((d, audience, terms));
    }
    storage::documents::insert_bulk(t.db.conn(), &batch).await.unwrap();
    let member = Viewer {
        chain: vec![root.id, province.id, district.id, commune.id, cell.id],
        member: Some(MemberId::from_uuid(Uuid::now_v7())),
        roles: Vec::new(),
        admin_scopes: Vec::new(),
        position_units: Vec::new(),
    };
    let admin = Viewer { chain: Vec::new(), member: None, roles: Vec::new(), admin_scopes: vec![commune.id], position_units: Vec::new() };
    let leader = Viewer { position_units: vec![province.id], ..member.clone() };
    let mut compared = 0;
    for viewer in [&member, &admin, &leader] {
        for words in ["nghị quyết", "nghi quyet", "đảng", "dang vien", "học tập chi bộ", "kế hoạch đảng viên", "hoạch", "không có"]
        {
            for (offset, limit, kind, required) in
                [(0, 20, None, false), (20, 20, None, false), (0, 5, Some(DocumentKind::News), false), (0, 10, None, true)]
            {
                let q = FeedQuery { words: parse_query(words), kind, required, limit, offset, ..FeedQuery::default() };
                let top = storage::documents::search_top_k(t.db.conn(), viewer, &q).await.unwrap().expect("within the read budget");
                let full = storage::documents::feed_exhaustive(t.db.conn(), viewer, &q).await.unwrap();
                assert_eq!(top, full, "{words:?} offset {offset} limit {limit} kind {kind:?} required {required}");
                compared += usize::from(!full.is_empty());
            }
        }
    }
    assert!(compared > 60, "most comparisons have results: {compared}");
    // The feed's union of per-branch walks equals the single-statement feed.
    let both = Viewer { admin_scopes: vec![commune.id], ..leader.clone() };
    for viewer in [&member, &admin, &leader, &both] {
        for (offset, limit, kind, required) in [(0, 20, None, false), (40, 20, None, false), (0, 10, Some(DocumentKind::News), true)] {
            let q = FeedQuery { kind, required, limit, offset, ..FeedQuery::default() };
            let feed = storage::documents::feed(t.db.conn(), viewer, &q).await.unwrap();
            assert_eq!(feed.len(), limit as usize);
            assert_eq!(feed, storage::documents::feed_exhaustive(t.db.conn(), viewer, &q).await.unwrap(), "feed offset {offset}");
        }
    }

    // Publishing a draft moves its postings to its publication time.
    let (draft, _, _) = batch.iter().find(|(d, _, _)| d.status == DocumentStatus::Draft).unwrap();
    let mut published = draft.clone();
    published.status = DocumentStatus::Published;
    published.published_at = Some(base + chrono::Duration::minutes(5));
    storage::documents::update(t.db.conn(), &published, 1, None).await.unwrap();
    let q = FeedQuery { words: parse_query(&published.title), limit: 20, ..FeedQuery::default() };
    let top = storage::documents::search_top_k(t.db.conn(), &admin, &q).await.unwrap().unwrap();
    assert_eq!(top, storage::documents::feed_exhaustive(t.db.conn(), &admin, &q).await.unwrap());
}

#[tokio::test]
async fn authorisation_epoch_moves_with_every_permission_input_and_only_with_them() {
    let t = fresh_database().await.unwrap();
    let epoch = |db: Database| async move { storage::accounts::auth_epoch(db.conn()).await.unwrap() };
    let [_, _, _, commune, cell] = tree(&t.db).await;
    let m = member(cell.id, 970);
    storage::members::insert_many(t.db.conn(), std::slice::from_ref(&m)).await.unwrap();
    let mut last = epoch(t.db.clone()).await;
    let mut check = |now: i64, moved: bool, what: &str| {
        assert_eq!(now != last, moved, "{what}: epoch {last} -> {now}");
        last = now;
    };
    // A member's profile edit that keeps cell and standing: no move.
    t.db.execute_unprepared("UPDATE members SET phone = '0912345678'").await.unwrap();
    check(epoch(t.db.clone()).await, false, "phone edit");
    let position = Position {
        id: PositionId::from_uuid(Uuid::now_v7()),
        unit_id: cell.id,
        member_id: m.id,
        role: Role::Secretary,
        from: d(2025, 1, 1),
        to: None,
    };
    storage::positions::insert(t.db.conn(), &position, now()).await.unwrap();
    check(epoch(t.db.clone()).await, true, "position");
    t.db.execute_unprepared("UPDATE members SET standing = standing").await.unwrap();
    check(epoch(t.db.clone()).await, true, "standing");
    let other = unit(Some(&commune), UnitKind::Cell, "Chi bộ mới");
    storage::units::insert(t.db.conn(), &other).await.unwrap();
    check(epoch(t.db.clone()).await, true, "unit tree");
    let account = storage::accounts::AccountRecord {
        id: membership::AccountId::from_uuid(Uuid::now_v7()),
        member_id: Some(m.id),
        username: "an.nguyen".into(),
        password_hash: "x".into(),
        must_change_password: false,
        disabled: false,
        created_at: now(),
    };
    storage::accounts::insert(t.db.conn(), &account).await.unwrap();
    check(epoch(t.db.clone()).await, false, "a new account (nothing cached for it yet)");
    t.db.execute_unprepared("UPDATE accounts SET disabled = true").await.unwrap();
    check(epoch(t.db.clone()).await, true, "account disabled");
    let session = storage::accounts::SessionRecord {
        id: Uuid::now_v7(),
        account_id: account.id,
        token_hash: "h".repeat(64),
        created_at: now(),
        expires_at: now() + chrono::Duration::hours(1),
        client_addr: None,
    };
    storage::accounts::insert_session(t.db.conn(), &session).await.unwrap();
    check(epoch(t.db.clone()).await, false, "a login");
    let (id, _, at) = storage::accounts::session_epoch(t.db.conn(), &"h".repeat(64), now()).await.unwrap().unwrap();
    assert_eq!((id, at), (session.id, last));
    assert!(storage::accounts::session_epoch(t.db.conn(), &"h".repeat(64), now() + chrono::Duration::hours(2)).await.unwrap().is_none());
}

fn meeting(cell: UnitId, kind: MeetingKind, starts_at: DateTime<Utc>) -> MeetingRecord {
    MeetingRecord {
        id: MeetingId::from_uuid(Uuid::now_v7()),
        unit_id: cell,
        kind,
        combined_thematic: false,
        title: "Sinh hoạt chi bộ".into(),
        status: MeetingStatus::Draft,
        starts_at,
        planned_minutes: 120,
        location: None,
        online_link: None,
        notes: String::new(),
        version: 1,
        late_publication: false,
        short_duration_confirmed: false,
        published_at: None,
        opened_at: None,
        ended_at: None,
        cancelled_at: None,
        cancel_reason: None,
        minutes: None,
        minutes_approved_at: None,
        created_by: None,
        created_at: now(),
        updated_at: now(),
    }
}

#[tokio::test]
async fn a_second_regular_meeting_in_a_cell_and_month_is_refused_by_the_database() {
    let t = fresh_database().await.unwrap();
    let c = t.db.conn();
    let [_, _, _, commune, cell] = tree(&t.db).await;
    let other_cell = unit(Some(&commune), UnitKind::Cell, "Chi bộ thôn Tây");
    storage::units::insert(c, &other_cell).await.unwrap();
    let refused = |r: Result<(), StoreError>| {
        assert!(matches!(r, Err(StoreError::Conflict { constraint: Constraint::RegularMeetingMonth })), "{r:?}");
    };
    // 30 November 17:00 UTC is already 1 December in Vietnam.
    let december = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
    let first = meeting(cell.id, MeetingKind::Regular, december);
    storage::meetings::insert(c, &first, &[]).await.unwrap();
    refused(
        storage::meetings::insert(c, &meeting(cell.id, MeetingKind::Regular, Utc.with_ymd_and_hms(2026, 12, 20, 1, 0, 0).unwrap()), &[])
            .await,
    );
    // Other kinds, other months (November in Vietnam ends at 16:59:59 UTC on the 30th), other cells.
    for kind in [MeetingKind::Thematic, MeetingKind::Extraordinary, MeetingKind::Committee] {
        storage::meetings::insert(c, &meeting(cell.id, kind, december), &[]).await.unwrap();
    }
    let november = meeting(cell.id, MeetingKind::Regular, Utc.with_ymd_and_hms(2026, 11, 30, 16, 59, 59).unwrap());
    storage::meetings::insert(c, &november, &[]).await.unwrap();
    storage::meetings::insert(c, &meeting(cell.id, MeetingKind::Regular, Utc.with_ymd_and_hms(2027, 1, 5, 12, 0, 0).unwrap()), &[])
        .await
        .unwrap();
    storage::meetings::insert(c, &meeting(other_cell.id, MeetingKind::Regular, december), &[]).await.unwrap();

    // Moving a regular meeting into a month that has one is refused too; the row is unchanged.
    let mut moved = november.clone();
    moved.starts_at = december + chrono::Duration::days(3);
    refused(storage::meetings::update(c, &moved, moved.version).await);
    assert_eq!(storage::meetings::get(c, november.id).await.unwrap().starts_at, november.starts_at);

    // Cancelling frees the month: another regular meeting may take it, and the cancelled one may
    // still be written (it no longer holds the month).
    let mut cancelled = storage::meetings::get(c, first.id).await.unwrap();
    cancelled.status = MeetingStatus::Cancelled;
    cancelled.cancelled_at = Some(now());
    storage::meetings::update(c, &cancelled, cancelled.version).await.unwrap();
    storage::meetings::update(c, &moved, moved.version).await.unwrap();
    let mut again = storage::meetings::get(c, first.id).await.unwrap();
    again.title = "Sinh hoạt chi bộ (đã hủy)".into();
    storage::meetings::update(c, &again, again.version).await.unwrap();
    let regular = storage::meetings::regular_between(c, cell.id, december, december + chrono::Duration::days(31)).await.unwrap();
    assert_eq!(regular.iter().map(|m| m.id).collect::<Vec<_>>(), vec![november.id]);
}

#[tokio::test]
async fn the_regular_month_migration_backfills_existing_meetings_and_refuses_duplicates() {
    use migrations::{Migrator, MigratorTrait};
    let t = fresh_database().await.unwrap();
    let c = t.db.conn();
    let [.., cell] = tree(&t.db).await;
    let december = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap(); // 1 December in Vietnam
    let november = Utc.with_ymd_and_hms(2026, 11, 30, 16, 59, 59).unwrap();
    let january = Utc.with_ymd_and_hms(2027, 1, 10, 12, 0, 0).unwrap();
    storage::meetings::insert(c, &meeting(cell.id, MeetingKind::Regular, december), &[]).await.unwrap();
    storage::meetings::insert(c, &meeting(cell.id, MeetingKind::Regular, november), &[]).await.unwrap();
    let thematic = MeetingRecord { title: "Chuyên đề".into(), ..meeting(cell.id, MeetingKind::Thematic, december) };
    storage::meetings::insert(c, &thematic, &[]).await.unwrap();
    let cancelled = MeetingRecord { status: MeetingStatus::Cancelled, ..meeting(cell.id, MeetingKind::Regular, january) };
    storage::meetings::insert(c, &cancelled, &[]).await.unwrap();

    Migrator::down(c, Some(steps_back_to("m20261128_000010_regular_month"))).await.unwrap();
    // Rows that break the rule (two regular meetings of the cell in December) stop the migration
    // with a message saying which, before it changes anything.
    t.db.execute_unprepared("UPDATE meetings SET kind = 'regular' WHERE kind = 'thematic'").await.unwrap();
    let err = Migrator::up(c, None).await.unwrap_err();
    assert!(err.to_string().contains("two regular meetings in month 202612"), "{err}");
    t.db.execute_unprepared("UPDATE meetings SET kind = 'thematic' WHERE title = 'Chuyên đề'").await.unwrap();
    Migrator::up(c, None).await.unwrap();

    // The backfilled months hold (November and December in Vietnam's calendar); the cancelled
    // meeting's January is free.
    for at in [december + chrono::Duration::days(10), november - chrono::Duration::days(10)] {
        let r = storage::meetings::insert(c, &meeting(cell.id, MeetingKind::Regular, at), &[]).await;
        assert!(matches!(r, Err(StoreError::Conflict { constraint: Constraint::RegularMeetingMonth })), "{at}: {r:?}");
    }
    storage::meetings::insert(c, &meeting(cell.id, MeetingKind::Regular, january), &[]).await.unwrap();
}

/// How many migrations `Migrator::down` must undo so that `name` is the next one to apply.
fn steps_back_to(name: &str) -> u32 {
    use migrations::{Migrator, MigratorTrait};
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_string()).collect();
    let at = names.iter().position(|n| n == name).unwrap();
    u32::try_from(names.len() - at).unwrap()
}

fn adjustment(member: MemberId, points: i64, at: DateTime<Utc>) -> study_points::ledger::Entry {
    study_points::ledger::Entry { member, points, reason: study_points::ledger::Reason::Adjustment, source: Uuid::now_v7(), at }
}

async fn adjust(db: &Database, e: &study_points::ledger::Entry, unit: UnitId) -> storage::study::Adjusted {
    let tx = db.begin().await.unwrap();
    let outcome = storage::study::adjust(tx.conn(), e, "Khen thưởng hội thi", None, unit, 100).await.unwrap();
    tx.commit().await.unwrap();
    outcome
}

#[tokio::test]
async fn adjustments_stay_within_the_yearly_cap_and_are_listed_where_they_were_made() {
    use storage::study::{Adjusted, AdjustmentQuery};
    let t = fresh_database().await.unwrap();
    let [_, province, _, commune, cell] = tree(&t.db).await;
    let other_cell = unit(Some(&commune), UnitKind::Cell, "Chi bộ thôn Tây");
    storage::units::insert(t.db.conn(), &other_cell).await.unwrap();
    let (a, b) = (member(cell.id, 960), member(other_cell.id, 961));
    storage::members::insert_many(t.db.conn(), &[a.clone(), b.clone()]).await.unwrap();
    let at = now(); // 30 November 2026 in Vietnam
    let year = 2026;

    assert_eq!(adjust(&t.db, &adjustment(a.id, 60, at), cell.id).await, Adjusted::Recorded { used: 60 });
    assert_eq!(adjust(&t.db, &adjustment(a.id, 41, at), cell.id).await, Adjusted::OverCap { used: 60 });
    assert_eq!(adjust(&t.db, &adjustment(a.id, -41, at), cell.id).await, Adjusted::OverCap { used: 60 }, "absolute values");
    assert_eq!(adjust(&t.db, &adjustment(a.id, -40, at), cell.id).await, Adjusted::Recorded { used: 100 });
    assert_eq!(adjust(&t.db, &adjustment(b.id, 101, at), other_cell.id).await, Adjusted::OverCap { used: 0 }, "one alone over the cap");
    // The same entry again changes nothing.
    let once = adjustment(b.id, 10, at);
    assert_eq!(adjust(&t.db, &once, other_cell.id).await, Adjusted::Recorded { used: 10 });
    assert_eq!(adjust(&t.db, &once, other_cell.id).await, Adjusted::AlreadyRecorded);
    assert_eq!(storage::study::adjustment_total(t.db.conn(), b.id, year).await.unwrap(), 10);
    // A new Vietnamese year: 17:00 UTC on 31 December is 1 January.
    let new_year = Utc.with_ymd_and_hms(2026, 12, 31, 17, 0, 0).unwrap();
    assert_eq!(adjust(&t.db, &adjustment(a.id, 100, new_year), cell.id).await, Adjusted::Recorded { used: 100 });
    assert_eq!(storage::study::adjustment_total(t.db.conn(), a.id, year).await.unwrap(), 100);
    assert_eq!(storage::study::total(t.db.conn(), a.id, year).await.unwrap(), 20, "the points themselves: +60 − 40");

    // Twelve at once on one member, 30 each: exactly three fit.
    let c = member(cell.id, 962);
    storage::members::insert_many(t.db.conn(), std::slice::from_ref(&c)).await.unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let db = t.db.clone();
            let e = adjustment(c.id, 30, at);
            let cell = cell.id;
            tokio::spawn(async move {
                let tx = db.begin().await?;
                let outcome = storage::study::adjust(tx.conn(), &e, "Tham gia hội thi", None, cell, 100).await?;
                tx.commit().await?;
                Ok::<_, StoreError>(outcome)
            })
        })
        .collect();
    let mut recorded = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Adjusted::Recorded { .. } => recorded += 1,
            Adjusted::OverCap { used } => assert!(used + 30 > 100, "refused only when it would not fit ({used})"),
            Adjusted::AlreadyRecorded => panic!("every entry is new"),
        }
    }
    assert_eq!(recorded, 3);
    assert_eq!(storage::study::adjustment_total(t.db.conn(), c.id, year).await.unwrap(), 90);
    assert_eq!(storage::study::adjustment_ledger_sum(t.db.conn(), c.id, year).await.unwrap(), 90);
    assert_eq!(storage::study::total(t.db.conn(), c.id, year).await.unwrap(), 90);

    // Listed under every unit above the cell where each was made, newest first, and only there.
    let q = |unit: UnitId| AdjustmentQuery { unit, from: None, until: None, before: None, limit: 100 };
    let under_commune = storage::study::adjustments_under(t.db.conn(), &q(commune.id)).await.unwrap();
    assert_eq!(under_commune.len(), 3 + 1 + 3, "a's three, b's one, c's three");
    assert!(under_commune.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(storage::study::adjustments_under(t.db.conn(), &q(province.id)).await.unwrap().len(), 7);
    let in_other = storage::study::adjustments_under(t.db.conn(), &q(other_cell.id)).await.unwrap();
    assert_eq!(in_other.iter().map(|r| (r.member_id, r.points)).collect::<Vec<_>>(), [(b.id, 10)]);
    assert_eq!(in_other[0].note.as_deref(), Some("Khen thưởng hội thi"));
    // b transfers into a's cell: the adjustment stays listed where it was made.
    let mut moved = storage::members::get(t.db.conn(), b.id).await.unwrap();
    moved.state.home_unit = cell.id;
    storage::members::update(t.db.conn(), &moved, moved.version).await.unwrap();
    assert_eq!(storage::study::adjustments_under(t.db.conn(), &q(other_cell.id)).await.unwrap().len(), 1);
    // Time bounds (`until` excluded) and the cursor.
    let only_new_year = AdjustmentQuery { from: Some(new_year), ..q(cell.id) };
    assert_eq!(storage::study::adjustments_under(t.db.conn(), &only_new_year).await.unwrap().len(), 1);
    let before_new_year = AdjustmentQuery { until: Some(new_year), ..q(cell.id) };
    assert_eq!(storage::study::adjustments_under(t.db.conn(), &before_new_year).await.unwrap().len(), 5);
    let page = AdjustmentQuery { before: Some(under_commune[3].id), limit: 2, ..q(commune.id) };
    let ids: Vec<Uuid> = storage::study::adjustments_under(t.db.conn(), &page).await.unwrap().iter().map(|r| r.id).collect();
    assert_eq!(ids, [under_commune[4].id, under_commune[5].id]);
}

#[tokio::test]
async fn the_adjustments_migration_backfills_totals_and_cells() {
    use migrations::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    let t = fresh_database().await.unwrap();
    let c = t.db.conn();
    let [.., commune, cell] = tree(&t.db).await;
    let a = member(cell.id, 970);
    storage::members::insert_many(c, std::slice::from_ref(&a)).await.unwrap();
    Migrator::down(c, Some(steps_back_to("m20261130_000012_point_adjustments"))).await.unwrap();
    // Adjustments written before the migration: +70 and −20 in 2026, +5 in 2025, and a quiz award.
    let backend = c.get_database_backend();
    let rows: [(i64, &str, i32); 4] =
        [(70, "adjustment", 2026), (-20, "adjustment", 2026), (5, "adjustment", 2025), (9, "quiz_answer", 2026)];
    for (points, reason, year) in rows {
        c.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            "INSERT INTO points_ledger (id, member_id, points, reason, source_id, at, year) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Uuid::now_v7().into(),
                a.id.as_uuid().into(),
                points.into(),
                reason.into(),
                Uuid::now_v7().into(),
                now().into(),
                year.into(),
            ],
        ))
        .await
        .unwrap();
    }
    Migrator::up(c, None).await.unwrap();
    assert_eq!(storage::study::adjustment_total(c, a.id, 2026).await.unwrap(), 90);
    assert_eq!(storage::study::adjustment_total(c, a.id, 2025).await.unwrap(), 5);
    let q = storage::study::AdjustmentQuery { unit: commune.id, from: None, until: None, before: None, limit: 10 };
    assert_eq!(storage::study::adjustments_under(c, &q).await.unwrap().len(), 3, "adjustments placed in the member's cell");
    // The cap counts what was there: 10 more fit in 2026, 11 do not.
    assert_eq!(adjust(&t.db, &adjustment(a.id, 11, now()), cell.id).await, storage::study::Adjusted::OverCap { used: 90 });
    assert_eq!(adjust(&t.db, &adjustment(a.id, -10, now()), cell.id).await, storage::study::Adjusted::Recorded { used: 100 });
}

/// Applies queued totals in batches of `limit` until a batch finds nothing; the entries applied.
/// A failed batch (PostgreSQL may pick one of two appliers as a deadlock victim on the shared
/// rank-count rows) rolls back and is retried, as the server's applier does.
async fn apply_all(db: &Database, limit: u64) -> (u64, u32) {
    let (mut applied, mut retries) = (0, 0);
    loop {
        let tx = db.begin().await.unwrap();
        match storage::study::apply_pending(tx.conn(), limit).await {
            Ok(a) => {
                tx.commit().await.unwrap();
                applied += a.entries;
                if a.entries == 0 {
                    return (applied, retries);
                }
            }
            Err(e) => {
                drop(tx);
                retries += 1;
                assert!(retries < 50, "applier keeps failing: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test]
async fn queued_awards_count_at_once_for_the_member_and_exactly_once_in_the_totals_under_concurrent_appliers() {
    use study_points::ledger::{Entry, Reason};
    let t = fresh_database().await.unwrap();
    let [root, province, _, commune, cell] = tree(&t.db).await;
    let members: Vec<MemberRecord> = (0..6).map(|n| member(cell.id, 970 + n)).collect();
    storage::members::insert_many(t.db.conn(), &members).await.unwrap();
    let ids: std::sync::Arc<Vec<MemberId>> = std::sync::Arc::new(members.iter().map(|m| m.id).collect());
    let entry = move |i: u64| {
        // Every fifth entry repeats an earlier one: the ledger's key refuses it.
        let i = if i % 5 == 4 { i - 4 } else { i };
        let m = ids[usize::try_from(i % 6).unwrap()];
        let reason = if i.is_multiple_of(2) { Reason::DocumentRead } else { Reason::MeetingAttendance };
        let year = if (i / 6) % 3 == 0 { 2025 } else { 2026 };
        let at = Utc.with_ymd_and_hms(year, 6, 1, 0, 0, 0).unwrap();
        let source = Uuid::from_u128(u128::from(i));
        Entry { member: m, points: i64::try_from(i % 7).unwrap() + 1, reason, source, at }
    };
    let queue = move |db: Database, range: std::ops::Range<u64>| {
        let entry = entry.clone();
        async move {
            let mut appended = 0u64;
            for i in range {
                let tx = db.begin().await.unwrap();
                appended += u64::from(storage::study::award_deferred(tx.conn(), &entry(i)).await.unwrap());
                tx.commit().await.unwrap();
            }
            appended
        }
    };
    let first = queue(t.db.clone(), 0..300).await;
    assert!(first > 200 && first < 300, "repeats were refused ({first} appended)");
    assert_eq!(storage::study::pending_backlog(t.db.conn()).await.unwrap().0, first);

    // Before any applier ran: each member's own total counts their queued points, the
    // leaderboard does not yet.
    for m in &members {
        for year in [0, 2025, 2026] {
            let ledger = storage::study::ledger_sum(t.db.conn(), m.id, year).await.unwrap();
            assert!(ledger > 0);
            assert_eq!(storage::study::total(t.db.conn(), m.id, year).await.unwrap(), ledger, "own total, year {year}");
        }
    }
    assert!(storage::study::top(t.db.conn(), cell.id, 0, 10).await.unwrap().is_empty(), "ranks wait for the applier");

    // Four appliers and a writer still queueing, at once.
    let writer = tokio::spawn(queue(t.db.clone(), 300..500));
    let appliers: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn({
                let db = t.db.clone();
                async move { apply_all(&db, 37).await }
            })
        })
        .collect();
    let second = writer.await.unwrap();
    let mut applied = 0;
    for a in appliers {
        applied += a.await.unwrap().0;
    }
    applied += apply_all(&t.db, 500).await.0;
    assert_eq!(applied, first + second, "every appended entry applied exactly once");
    assert_eq!(storage::study::pending_backlog(t.db.conn()).await.unwrap(), (0, None));

    // The maintained totals equal the ledger's sums; every unit of the chain ranks the same
    // totals, in the domain's order.
    let mut totals = Vec::new();
    for m in &members {
        for year in [0, 2025, 2026] {
            let ledger = storage::study::ledger_sum(t.db.conn(), m.id, year).await.unwrap();
            assert_eq!(storage::study::total(t.db.conn(), m.id, year).await.unwrap(), ledger, "year {year}");
        }
        totals.push((m.id, storage::study::ledger_sum(t.db.conn(), m.id, 0).await.unwrap()));
    }
    let want = study_points::ledger::ranks(&totals);
    for u in [root.id, province.id, commune.id, cell.id] {
        let top = storage::study::top(t.db.conn(), u, 0, 10).await.unwrap();
        assert_eq!(top.len(), members.len());
        for (m, _, _, total) in &top {
            assert_eq!(Some(total), totals.iter().find(|(id, _)| id == m).map(|(_, t)| t));
            let rank = storage::study::rank(t.db.conn(), u, 0, *total).await.unwrap();
            assert_eq!(u32::try_from(rank).unwrap(), want[m]);
        }
    }
}
