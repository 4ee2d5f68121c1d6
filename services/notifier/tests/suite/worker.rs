//! The notifier's passes against a real database: a temporary SQLite file, or PostgreSQL (a fresh
//! schema per test) when `TEST_DATABASE_URL` is set. Events are written to the outbox as the use
//! cases write them; channels are recording transports (the SMTP and webhook adapters have their
//! own tests against a real SMTP server and an HTTP receiver).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use app::Ctx;
use app::clock::{Clock, FixedClock};
use app::events::{DocumentPublished, Event, MeetingCancelled, MeetingPublished, TaskNotice};
use app::notify::transport::{Message, SendError, SendFuture, Transport, Transports};
use app::notify::{PassReport, Settings};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use meetings::MeetingId;
use meetings::lifecycle::{MeetingKind, MeetingStatus};
use membership::lifecycle::MemberState;
use membership::position::{Position, Role};
use membership::{AccountId, CitizenId, Email, FullName, MemberId, PartyCardNumber, PositionId, Sex, UnitId, UnitKind};
use notifications::Channel;
use storage::Database;
use storage::accounts::AccountRecord;
use storage::meetings::MeetingRecord;
use storage::members::MemberRecord;
use storage::testing::{Arg, Cell, Col, execute, fresh_database, query};
use storage::units::UnitRecord;
use uuid::Uuid;

use crate::support::{SmtpSink, free_port};

/// 10:00 in Vietnam on Friday 4 December 2026: outside the default quiet hours.
fn day_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 3, 0, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// What a recording transport does with each send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Accept,
    Temporary,
    Permanent,
    /// Never answers (a send in flight).
    Hang,
    /// Answers after 200 ms.
    Slow,
}

#[derive(Clone)]
struct Recorder {
    sent: Arc<Mutex<Vec<Message>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl Recorder {
    fn new() -> Self {
        Self { sent: Arc::default(), behaviour: Arc::new(Mutex::new(Behaviour::Accept)) }
    }
    fn set(&self, b: Behaviour) {
        *self.behaviour.lock().unwrap() = b;
    }
    fn messages(&self) -> Vec<Message> {
        self.sent.lock().unwrap().clone()
    }
}

impl Transport for Recorder {
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            let b = *self.behaviour.lock().unwrap();
            match b {
                Behaviour::Accept => {
                    self.sent.lock().unwrap().push(message.clone());
                    Ok(())
                }
                Behaviour::Temporary => Err(SendError::Temporary("421 try later".into())),
                Behaviour::Permanent => Err(SendError::Permanent("550 no such user".into())),
                Behaviour::Hang => std::future::pending().await,
                Behaviour::Slow => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    self.sent.lock().unwrap().push(message.clone());
                    Ok(())
                }
            }
        })
    }
}

struct World {
    t: storage::testing::TestDatabase,
    db: Database,
    clock: Arc<FixedClock>,
    commune: UnitRecord,
    cell_a: UnitRecord,
    cell_b: UnitRecord,
    /// Active members of cell A; the first is its secretary and has an e-mail address.
    a: Vec<MemberId>,
    /// A member of cell B.
    b: MemberId,
    /// In cell A's records but removed from the rolls.
    removed: MemberId,
    /// In cell A, with a disabled account.
    disabled: MemberId,
    email: Recorder,
    push: Recorder,
}

impl World {
    fn ctx(&self) -> Ctx {
        Ctx::new(self.db.clone(), self.clock.clone())
    }

    fn transports(&self) -> Transports {
        Transports { email: Some(Box::new(self.email.clone())), push: Some(Box::new(self.push.clone())) }
    }

    fn settings(&self) -> Settings {
        Settings { holder: "test-1".into(), channels: vec![Channel::Email, Channel::Push], ..Settings::default() }
    }

    async fn pass(&self) -> PassReport {
        self.pass_with(&self.settings()).await
    }

    async fn pass_with(&self, settings: &Settings) -> PassReport {
        let mut jitter = || 0.5;
        app::notify::run_pass(&self.ctx(), settings, &self.transports(), &mut jitter).await.unwrap()
    }

    async fn push(&self, event: Event) -> Uuid {
        let row = event.to_outbox(self.clock.now()).unwrap();
        storage::outbox::push(self.db.conn(), &row).await.unwrap();
        row.id
    }

    /// (member, kind) of every inbox item.
    async fn items(&self) -> Vec<(MemberId, String)> {
        let rows = query(&self.db, "SELECT member_id, kind FROM notifications", vec![], &[("member_id", Col::Uuid), ("kind", Col::Text)])
            .await
            .unwrap();
        rows.into_iter()
            .map(|r| match (&r[0], &r[1]) {
                (Cell::Uuid(m), Cell::Text(k)) => (MemberId::from_uuid(*m), k.clone()),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    async fn delivery_statuses(&self) -> Vec<(String, String, i64)> {
        let rows = query(
            &self.db,
            "SELECT channel, status, attempts FROM notification_deliveries ORDER BY channel, status",
            vec![],
            &[("channel", Col::Text), ("status", Col::Text), ("attempts", Col::Int)],
        )
        .await
        .unwrap();
        rows.into_iter()
            .map(|r| match (&r[0], &r[1], &r[2]) {
                (Cell::Text(c), Cell::Text(s), Cell::Int(a)) => (c.clone(), s.clone(), *a),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    async fn sql(&self, sql: &str, args: Vec<Arg>) {
        execute(&self.db, sql, args).await.unwrap();
    }
}

fn unit(parent: Option<&UnitRecord>, kind: UnitKind, name: &str) -> UnitRecord {
    UnitRecord {
        id: UnitId::from_uuid(Uuid::now_v7()),
        parent_id: parent.map(|p| p.id),
        kind,
        name: name.to_string(),
        depth: parent.map_or(0, |p| p.depth + 1),
        parent_since: d(2020, 1, 1),
        created_at: day_time(),
    }
}

fn member(cell: UnitId, n: u32, email: Option<&str>) -> MemberRecord {
    MemberRecord {
        id: MemberId::from_uuid(Uuid::now_v7()),
        full_name: FullName::parse("Nguyễn Văn An").unwrap(),
        date_of_birth: d(1980, 1, 1),
        sex: Sex::Male,
        party_card_number: Some(PartyCardNumber::parse(&format!("{:08}", 10_000_000 + n)).unwrap()),
        citizen_id: CitizenId::parse(&format!("034080{n:06}")).unwrap(),
        phone: None,
        email: email.map(|e| Email::parse(e).unwrap()),
        state: MemberState::already_official(cell, d(2010, 1, 1), d(2011, 1, 1)).unwrap(),
        version: 1,
        created_at: day_time(),
        updated_at: day_time(),
    }
}

async fn add_member(db: &Database, cell: UnitId, n: u32, email: Option<&str>) -> MemberId {
    let m = member(cell, n, email);
    storage::members::insert(db.conn(), &m).await.unwrap();
    m.id
}

async fn position(db: &Database, unit: UnitId, member: MemberId, role: Role) {
    let p = Position { id: PositionId::from_uuid(Uuid::now_v7()), unit_id: unit, member_id: member, role, from: d(2020, 1, 1), to: None };
    storage::positions::insert(db.conn(), &p, day_time()).await.unwrap();
}

/// commune → cell A (4 active members, one removed, one with a disabled account), cell B (1 member).
async fn world() -> World {
    let t = fresh_database().await.unwrap();
    let db = t.db.clone();
    let clock = Arc::new(FixedClock::new(day_time()));
    let commune = unit(None, UnitKind::CommuneCommittee, "Đảng bộ xã Vũ Quý");
    let cell_a = unit(Some(&commune), UnitKind::Cell, "Chi bộ thôn Đông");
    let cell_b = unit(Some(&commune), UnitKind::Cell, "Chi bộ thôn Tây");
    for u in [&commune, &cell_a, &cell_b] {
        storage::units::insert(db.conn(), u).await.unwrap();
    }
    let mut a = Vec::new();
    a.push(add_member(&db, cell_a.id, 1, Some("bithu@example.vn")).await);
    for n in 2..=4 {
        a.push(add_member(&db, cell_a.id, n, None).await);
    }
    position(&db, cell_a.id, a[0], Role::Secretary).await;
    let b = add_member(&db, cell_b.id, 10, Some("tay@example.vn")).await;
    let removed = add_member(&db, cell_a.id, 20, Some("removed@example.vn")).await;
    let disabled = add_member(&db, cell_a.id, 21, Some("disabled@example.vn")).await;
    let w = World { t, db, clock, commune, cell_a, cell_b, a, b, removed, disabled, email: Recorder::new(), push: Recorder::new() };
    w.sql("UPDATE members SET standing = 'removed' WHERE id = $1", vec![Arg::Uuid(removed.as_uuid())]).await;
    let account = AccountRecord {
        id: AccountId::from_uuid(Uuid::now_v7()),
        member_id: Some(disabled),
        username: "disabled".into(),
        password_hash: "x".into(),
        must_change_password: false,
        disabled: true,
        created_at: day_time(),
    };
    storage::accounts::insert(w.db.conn(), &account).await.unwrap();
    w
}

fn published(w: &World, starts_at: DateTime<Utc>, extraordinary: bool) -> Event {
    Event::MeetingPublished(MeetingPublished {
        meeting_id: Uuid::now_v7(),
        unit_id: w.cell_a.id.as_uuid(),
        title: "Sinh hoạt chi bộ tháng 12".into(),
        starts_at,
        late_publication: false,
        extraordinary,
    })
}

fn count_by_member(items: &[(MemberId, String)]) -> HashMap<MemberId, usize> {
    let mut out = HashMap::new();
    for (m, _) in items {
        *out.entry(*m).or_default() += 1;
    }
    out
}

#[tokio::test]
async fn a_published_meeting_reaches_its_roster_once_on_every_channel() {
    let w = world().await;
    w.push(published(&w, day_time() + Duration::days(5), false)).await;
    let first = w.pass().await;
    assert_eq!(first.events, 1);
    let items = w.items().await;
    let by_member = count_by_member(&items);
    let expected: HashSet<MemberId> = w.a.iter().copied().collect();
    assert_eq!(by_member.keys().copied().collect::<HashSet<_>>(), expected, "the cell's active members, no one else");
    assert!(by_member.values().all(|n| *n == 1), "one item each: {by_member:?}");
    for outsider in [w.b, w.removed, w.disabled] {
        assert!(!by_member.contains_key(&outsider), "{outsider} must get nothing");
    }
    // E-mail to the one member with an address; push to each member.
    let emails = w.email.messages();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].email.as_deref(), Some("bithu@example.vn"));
    assert_eq!(emails[0].items[0].title, "Thông báo lịch sinh hoạt chi bộ");
    assert!(emails[0].items[0].link.starts_with("/meetings/"), "the path under /api/v1");
    assert_eq!(w.push.messages().len(), 4);
    // A second pass (or the event read again) writes and sends nothing more.
    let second = w.pass().await;
    assert_eq!((second.items, second.sent), (0, 0));
    w.sql("UPDATE outbox_events SET processed_at = NULL", vec![]).await;
    let replay = w.pass().await;
    assert_eq!((replay.items, replay.deliveries, replay.sent), (0, 0, 0), "replaying the event adds nothing");
    assert_eq!(w.items().await.len(), 4);
    assert_eq!(w.email.messages().len(), 1);
}

#[tokio::test]
async fn quiet_hours_hold_email_and_push_until_morning_but_urgent_kinds_go_at_once() {
    let w = world().await;
    // 23:30 in Vietnam.
    w.clock.set(Utc.with_ymd_and_hms(2026, 12, 4, 16, 30, 0).unwrap());
    w.push(published(&w, day_time() + Duration::days(5), false)).await;
    let night = w.pass().await;
    assert_eq!(night.items, 4, "the inbox fills at night");
    assert_eq!(night.sent, 0, "e-mail and push wait for the morning");
    // An extraordinary meeting and a cancellation are urgent.
    w.push(published(&w, day_time() + Duration::days(1), true)).await;
    w.push(Event::MeetingCancelled(MeetingCancelled {
        meeting_id: Uuid::now_v7(),
        unit_id: w.cell_a.id.as_uuid(),
        title: "Sinh hoạt chuyên đề".into(),
        starts_at: day_time() + Duration::days(2),
        reason: "Bão số 9".into(),
    }))
    .await;
    let urgent = w.pass().await;
    assert_eq!(urgent.sent, 2 * (1 + 4), "two urgent events: one e-mail and four pushes each");
    // 06:00 in Vietnam: the held ones go.
    w.clock.set(Utc.with_ymd_and_hms(2026, 12, 4, 23, 0, 0).unwrap());
    let morning = w.pass().await;
    assert_eq!(morning.sent, 5);
}

#[tokio::test]
async fn preferences_switch_channels_off_and_gather_low_urgency_email_in_a_digest() {
    let w = world().await;
    let secretary = w.a[0];
    let prefs = serde_json::json!({
        "kinds": {"task.assigned": {"email": false, "push": true}},
        "quiet_hours": null,
        "daily_digest": true,
        "digest_at": "07:00"
    });
    w.sql(
        "INSERT INTO notification_preferences (member_id, settings, updated_at) VALUES ($1, $2, $3)",
        vec![Arg::Uuid(secretary.as_uuid()), Arg::Text(prefs.to_string()), Arg::Time(day_time())],
    )
    .await;
    let doc = |title: &str| {
        Event::DocumentPublished(DocumentPublished {
            document_id: Uuid::now_v7(),
            issuer_unit_id: w.commune.id.as_uuid(),
            title: title.into(),
            number: None,
            required: false,
            read_deadline: None,
            audience_unit_ids: vec![w.cell_a.id.as_uuid()],
            roles: vec![],
        })
    };
    w.push(doc("Nghị quyết 01")).await;
    w.push(doc("Nghị quyết 02")).await;
    w.push(Event::TaskAssigned(TaskNotice {
        task_id: Uuid::now_v7(),
        unit_id: w.cell_a.id.as_uuid(),
        title: "Vận động".into(),
        due_on: d(2026, 12, 20),
        assignee_ids: vec![secretary.as_uuid()],
    }))
    .await;
    w.pass().await;
    assert!(w.email.messages().is_empty(), "documents wait for the digest; the task's e-mail is switched off");
    assert_eq!(w.push.messages().iter().filter(|m| m.member_id == secretary).count(), 3, "push is on for all three");
    // 07:00 in Vietnam the next day: one digest e-mail with both documents.
    w.clock.set(Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap());
    w.pass().await;
    let emails = w.email.messages();
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert!(emails[0].digest);
    assert_eq!(emails[0].items.len(), 2);
    assert_eq!(emails[0].delivery_ids.len(), 2);
}

#[tokio::test]
async fn failing_deliveries_back_off_then_dead_letter_and_permanent_failures_at_once() {
    let w = world().await;
    let settings = Settings { max_attempts: 3, ..w.settings() };
    w.email.set(Behaviour::Temporary);
    w.push.set(Behaviour::Permanent);
    w.push(published(&w, day_time() + Duration::days(5), false)).await;
    let first = w.pass_with(&settings).await;
    assert_eq!((first.retried, first.dead), (1, 4), "the e-mail waits for a retry; pushes fail for good");
    // Not yet due: nothing is tried.
    let early = w.pass_with(&settings).await;
    assert_eq!((early.retried, early.dead), (0, 0));
    for _ in 0..2 {
        w.clock.advance(Duration::hours(7));
        w.pass_with(&settings).await;
    }
    let statuses = w.delivery_statuses().await;
    assert!(statuses.contains(&("email".to_string(), "failed".to_string(), 3)), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|(c, s, a)| c == "push" && s == "failed" && *a == 1).count(), 4, "{statuses:?}");
    // An administrator's retry puts it back; it goes once the server is back.
    w.sql(
        "UPDATE notification_deliveries SET status = 'pending', attempts = 0, next_attempt_us = $1, last_error = NULL WHERE channel = 'email'",
        vec![Arg::Int(w.clock.now().timestamp_micros())],
    )
    .await;
    w.email.set(Behaviour::Accept);
    let back = w.pass_with(&settings).await;
    assert_eq!(back.sent, 1);
    assert_eq!(w.email.messages().len(), 1);
}

#[tokio::test]
async fn a_large_audience_is_processed_in_chunks_exactly_once_and_roles_narrow_it() {
    let w = world().await;
    let mut all = w.a.clone();
    all.push(w.b);
    for n in 100..160 {
        all.push(add_member(&w.db, if n % 2 == 0 { w.cell_a.id } else { w.cell_b.id }, n, None).await);
    }
    position(&w.db, w.cell_b.id, w.b, Role::Secretary).await;
    let settings = Settings { fanout_chunk: 7, channels: vec![], ..w.settings() };
    let doc = Event::DocumentPublished(DocumentPublished {
        document_id: Uuid::now_v7(),
        issuer_unit_id: w.commune.id.as_uuid(),
        title: "Chỉ thị 05".into(),
        number: Some("05-CT/TU".into()),
        required: true,
        read_deadline: Some(d(2026, 12, 20)),
        audience_unit_ids: vec![w.commune.id.as_uuid()],
        roles: vec![],
    });
    w.push(doc).await;
    let report = w.pass_with(&settings).await;
    assert_eq!(report.events, 1);
    assert!(report.chunks >= all.len() / 7, "processed in chunks: {report:?}");
    let by_member = count_by_member(&w.items().await);
    assert_eq!(by_member.len(), all.len());
    assert!(by_member.values().all(|n| *n == 1));
    // Narrowed to secretaries: the two cells' secretaries only.
    let narrowed = Event::DocumentPublished(DocumentPublished {
        document_id: Uuid::now_v7(),
        issuer_unit_id: w.commune.id.as_uuid(),
        title: "Hướng dẫn cho bí thư".into(),
        number: None,
        required: false,
        read_deadline: None,
        audience_unit_ids: vec![w.commune.id.as_uuid()],
        roles: vec!["secretary".into()],
    });
    let id = w.push(narrowed).await;
    w.pass_with(&settings).await;
    let rows = query(&w.db, "SELECT member_id FROM notifications WHERE event_id = $1", vec![Arg::Uuid(id)], &[("member_id", Col::Uuid)])
        .await
        .unwrap();
    let got: HashSet<Uuid> = rows
        .iter()
        .map(|r| match r[0] {
            Cell::Uuid(u) => u,
            _ => panic!("{r:?}"),
        })
        .collect();
    assert_eq!(got, HashSet::from([w.a[0].as_uuid(), w.b.as_uuid()]));
}

#[tokio::test]
async fn two_instances_share_events_and_deliveries_without_duplicates() {
    let w = world().await;
    for n in 200..260 {
        add_member(&w.db, w.cell_a.id, n, Some(&format!("m{n}@example.vn"))).await;
    }
    for i in 0..6 {
        w.push(published(&w, day_time() + Duration::days(3 + i), false)).await;
    }
    let one = Settings { holder: "one".into(), fanout_chunk: 9, batch: 17, ..w.settings() };
    let two = Settings { holder: "two".into(), ..one.clone() };
    let (ctx1, ctx2) = (w.ctx(), w.ctx());
    let (t1, t2) = (w.transports(), w.transports());
    let (r1, r2) = tokio::join!(
        async {
            let mut j = || 0.3;
            app::notify::run_pass(&ctx1, &one, &t1, &mut j).await.unwrap()
        },
        async {
            let mut j = || 0.7;
            app::notify::run_pass(&ctx2, &two, &t2, &mut j).await.unwrap()
        }
    );
    let members = 4 + 60;
    assert_eq!(r1.items + r2.items, 6 * members);
    assert_eq!(w.items().await.len(), usize::try_from(6 * members).unwrap());
    let keys: Vec<Uuid> = w.email.messages().iter().map(|m| m.key).collect();
    let unique: HashSet<Uuid> = keys.iter().copied().collect();
    assert_eq!(keys.len(), unique.len(), "no e-mail sent twice");
    assert_eq!(keys.len(), 6 * 61, "every e-mail sent: 61 members with an address, 6 meetings");
    assert_eq!(w.push.messages().len(), usize::try_from(6 * members).unwrap());
}

#[tokio::test]
async fn on_sqlite_a_second_instance_waits_for_the_lease() {
    let w = world().await;
    if w.db.backend_name() != "sqlite" {
        return; // PostgreSQL instances share the work (the test above); no lease there.
    }
    let one = Settings { holder: "one".into(), ..w.settings() };
    let two = Settings { holder: "two".into(), ..w.settings() };
    let ttl = Duration::minutes(1);
    assert_eq!(app::notify::hold_lease(&w.ctx(), &one, ttl).await.unwrap(), None);
    let waiting = app::notify::hold_lease(&w.ctx(), &two, ttl).await.unwrap();
    assert_eq!(waiting.map(|(h, _)| h), Some("one".to_string()));
    let poll = std::time::Duration::from_secs(1);
    assert!(notifier::run::once(&w.ctx(), &two, &w.transports(), poll).await.unwrap().is_none(), "the second does nothing");
    // The first stops (or its lease runs out): the second takes over.
    app::notify::release(&w.ctx(), &one).await.unwrap();
    assert!(notifier::run::once(&w.ctx(), &two, &w.transports(), poll).await.unwrap().is_some());
}

#[tokio::test]
async fn reminders_are_written_once_per_occurrence() {
    let w = world().await;
    let soon = MeetingRecord {
        id: MeetingId::from_uuid(Uuid::now_v7()),
        unit_id: w.cell_a.id,
        kind: MeetingKind::Regular,
        combined_thematic: false,
        title: "Sinh hoạt chi bộ tháng 12".into(),
        status: MeetingStatus::Published,
        starts_at: day_time() + Duration::hours(10),
        planned_minutes: 120,
        location: None,
        online_link: None,
        notes: String::new(),
        version: 1,
        late_publication: false,
        short_duration_confirmed: false,
        published_at: Some(day_time()),
        opened_at: None,
        ended_at: None,
        cancelled_at: None,
        cancel_reason: None,
        minutes: None,
        minutes_approved_at: None,
        created_by: None,
        created_at: day_time(),
        updated_at: day_time(),
    };
    storage::meetings::insert(w.db.conn(), &soon, &[]).await.unwrap();
    // Last month's meeting, held, report not sent; today is the 4th.
    let held = MeetingRecord {
        id: MeetingId::from_uuid(Uuid::now_v7()),
        status: MeetingStatus::MinutesApproved,
        starts_at: Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap(),
        ..soon.clone()
    };
    storage::meetings::insert(w.db.conn(), &held, &[]).await.unwrap();
    let first = w.pass().await;
    assert_eq!(first.reminders, 2, "starting soon and report not sent: {first:?}");
    let again = w.pass().await;
    assert_eq!(again.reminders, 0, "a second scan writes nothing");
    let items = w.items().await;
    assert_eq!(items.iter().filter(|(_, k)| k == "meeting.starting_soon").count(), 4, "the roster is reminded");
    assert_eq!(items.iter().filter(|(m, k)| k == "meeting.report_not_sent" && *m == w.a[0]).count(), 1, "the secretary");
    assert_eq!(items.iter().filter(|(_, k)| k == "meeting.report_not_sent").count(), 1);
    // After the 5th, the superior's leaders hear it is late.
    let commune_secretary = add_member(&w.db, w.commune.id, 300, None).await;
    position(&w.db, w.commune.id, commune_secretary, Role::Secretary).await;
    w.clock.set(Utc.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap());
    let late = w.pass().await;
    assert_eq!(late.reminders, 1);
    let items = w.items().await;
    assert_eq!(items.iter().filter(|(m, k)| k == "meeting.report_late" && *m == commune_secretary).count(), 1);
    assert_eq!(w.pass().await.reminders, 0);
    let _ = (w.cell_b.id, w.removed);
}

async fn inbox_counts(db: &Database) -> (usize, usize) {
    let rows = query(db, "SELECT member_id, event_id FROM notifications", vec![], &[("member_id", Col::Uuid), ("event_id", Col::Uuid)])
        .await
        .unwrap();
    let distinct: HashSet<Vec<Cell>> = rows.iter().cloned().collect();
    (rows.len(), distinct.len())
}

/// The binary killed with SIGKILL in the middle of a fan-out, then run again: every item exactly
/// once. (SQLite: the binary opens the test's database file by URL.)
#[tokio::test]
async fn killed_in_the_middle_of_a_fan_out_the_restarted_notifier_completes_it_exactly_once() {
    let w = world().await;
    let Some(url) = w.t.url.clone() else {
        return; // PostgreSQL test databases are schemas the binary cannot be pointed at by URL.
    };
    let batch: Vec<MemberRecord> = (1000..4000).map(|n| member(w.cell_a.id, n, None)).collect();
    storage::members::insert_many(w.db.conn(), &batch).await.unwrap();
    // Urgent (a cancellation), so that the e-mail goes whatever the hour: the binary reads the
    // wall clock, and quiet hours would hold it.
    w.push(Event::MeetingCancelled(MeetingCancelled {
        meeting_id: Uuid::now_v7(),
        unit_id: w.cell_a.id.as_uuid(),
        title: "Hội nghị chi bộ mở rộng".into(),
        starts_at: day_time() + Duration::days(400),
        reason: "Bão số 9".into(),
    }))
    .await;
    let total = 4 + 3000;
    let sink = SmtpSink::start(&[]);
    let spawn = |once: bool| {
        let mut cmd = binary(&url, &sink, None);
        cmd.env("HANDBOOK_NOTIFIER_FANOUT_CHUNK", "50");
        if once {
            cmd.arg("--once");
        }
        cmd.spawn().unwrap()
    };
    let mut child = spawn(false);
    let started = std::time::Instant::now();
    loop {
        let (n, _) = inbox_counts(&w.db).await;
        if n > 0 {
            assert!(n < total, "the fan-out finished before the kill; make the audience larger");
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the notifier wrote nothing");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (partial, _) = inbox_counts(&w.db).await;
    assert!(partial < total, "killed mid-way: {partial} of {total}");
    // The killed instance's lease must run out before a new one takes over on SQLite.
    execute(&w.db, "DELETE FROM worker_leases", vec![]).await.unwrap();
    let status = spawn(true).wait().unwrap();
    assert!(status.success());
    assert_eq!(inbox_counts(&w.db).await, (total, total), "every item exactly once");
    // The member with an address got the e-mail (at least once).
    let to: Vec<String> = sink.received().iter().map(|m| m["rcpt_tos"][0].as_str().unwrap().to_string()).collect();
    assert!(!to.is_empty() && to.iter().all(|t| t == "bithu@example.vn"), "{to:?}");
}

/// The notifier binary with the test's database, SMTP sink and (optionally) webhook URL.
fn binary(url: &str, sink: &SmtpSink, webhook: Option<&str>) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_notifier"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("HANDBOOK_NOTIFIER_POLL_MS", "50")
        .env("HANDBOOK_SMTP_HOST", "127.0.0.1")
        .env("HANDBOOK_SMTP_PORT", sink.port.to_string())
        .env("HANDBOOK_SMTP_SECURITY", "none")
        .env("HANDBOOK_SMTP_FROM", "Sổ tay đảng viên <no-reply@example.vn>")
        .env("HANDBOOK_PUBLIC_URL", "https://sotay.example.vn")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(hook) = webhook {
        cmd.env("HANDBOOK_PUSH_WEBHOOK_URL", hook).env("HANDBOOK_PUSH_WEBHOOK_SECRET", "a-test-secret-of-32-bytes-length");
    }
    cmd
}

/// `GET /metrics` of a notifier on `port` (the body; empty while it does not answer yet).
fn scrape_metrics(port: u16) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return String::new() };
    let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
}

/// A push gateway stand-in: answers 200 to every POST and keeps each body with its signature header.
/// What the receiver got: (body, `X-Signature`) per POST.
type Received = Arc<Mutex<Vec<(String, String)>>>;

fn webhook_receiver() -> (String, Received) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/push", listener.local_addr().unwrap());
    let got: Received = Arc::default();
    let keep = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut signature) = (0, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("x-signature:") {
                    signature = line["x-signature:".len()..].trim().to_string();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            keep.lock().unwrap().push((String::from_utf8(body).unwrap(), signature));
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, got)
}

/// The demo's promise: a published meeting reaches every obliged member's inbox within seconds
/// of the long-running notifier, an e-mail goes to each of them with an address, and the push
/// gateway is called for each.
#[tokio::test]
async fn the_running_notifier_puts_a_published_meeting_in_inboxes_mailboxes_and_the_push_gateway_within_seconds() {
    let w = world().await;
    let Some(url) = w.t.url.clone() else {
        return; // PostgreSQL test databases are schemas the binary cannot be pointed at by URL.
    };
    let sink = SmtpSink::start(&[]);
    let (hook, pushes) = webhook_receiver();
    let metrics_port = free_port();
    let mut child =
        binary(&url, &sink, Some(&hook)).env("HANDBOOK_NOTIFIER_METRICS_BIND", format!("127.0.0.1:{metrics_port}")).spawn().unwrap();
    // The binary reads the wall clock: a meeting well ahead of it, at a daytime hour in Vietnam
    // is not needed — quiet hours would only delay e-mail and push, so the event is urgent.
    w.push(published(&w, day_time() + Duration::days(400), true)).await;
    let started = std::time::Instant::now();
    let mut inbox_after = None;
    while started.elapsed() < std::time::Duration::from_secs(30) {
        if inbox_after.is_none() && w.items().await.len() == 4 {
            inbox_after = Some(started.elapsed());
        }
        if inbox_after.is_some() && pushes.lock().unwrap().len() >= 4 && !sink.received().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    // The notifier's /metrics counts the deliveries by channel and result (recorded just after
    // each send: polled until they are all there).
    let delivered = |text: &str, channel: &str| {
        let line = format!("handbook_notifier_deliveries_total{{channel=\"{channel}\",result=\"sent\"}} ");
        text.lines().find_map(|l| l.strip_prefix(line.as_str())).and_then(|v| v.trim().parse::<u32>().ok())
    };
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = scrape_metrics(metrics_port);
        if delivered(&metrics, "push") == Some(4) && delivered(&metrics, "email") == Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!((delivered(&metrics, "push"), delivered(&metrics, "email")), (Some(4), Some(1)), "{metrics}");
    assert!(metrics.contains("handbook_outbox_backlog 0"), "the event was processed: {metrics}");
    let inbox_after = inbox_after.expect("the inbox filled");
    assert!(inbox_after < std::time::Duration::from_secs(10), "took {inbox_after:?}");
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["rcpt_tos"][0], "bithu@example.vn");
    assert_eq!(mails[0]["headers"]["subject"], "Triệu tập sinh hoạt bất thường");
    let pushes = pushes.lock().unwrap().clone();
    assert_eq!(pushes.len(), 4);
    for (body, signature) in &pushes {
        assert!(signature.starts_with("sha256="), "{signature}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["items"][0]["kind"], "meeting.published");
    }
}

#[tokio::test]
async fn postgresql_wakes_the_notifier_when_an_event_commits() {
    let w = world().await;
    let url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"));
    let Some(url) = url else {
        assert!(notifier::run::outbox_wakeups(w.t.url.as_deref().unwrap()).await.is_none(), "SQLite polls");
        return;
    };
    let wake = notifier::run::outbox_wakeups(&url).await.expect("a listener on PostgreSQL");
    // The first signal says the listener is connected.
    tokio::time::timeout(std::time::Duration::from_secs(10), wake.notified()).await.expect("listener connected");
    w.push(published(&w, day_time() + Duration::days(5), false)).await;
    tokio::time::timeout(std::time::Duration::from_secs(5), wake.notified()).await.expect("woken by the commit");
}

/// SMTP server down: the e-mail is retried with backoff, then dead-lettered; an administrator's
/// retry (the storage call behind `POST /admin/deliveries/{id}/retry`) sends it once the server is
/// back. With the real SMTP adapter and a real server.
#[tokio::test]
async fn smtp_down_dead_letters_and_the_retry_sends_once_the_server_is_back() {
    let w = world().await;
    let port = free_port();
    let vars = HashMap::from([
        ("HANDBOOK_SMTP_HOST", "127.0.0.1".to_string()),
        ("HANDBOOK_SMTP_PORT", port.to_string()),
        ("HANDBOOK_SMTP_SECURITY", "none".to_string()),
        ("HANDBOOK_SMTP_FROM", "Sổ tay đảng viên <no-reply@example.vn>".to_string()),
        ("HANDBOOK_SMTP_TIMEOUT_SECS", "5".to_string()),
        ("HANDBOOK_PUBLIC_URL", "https://sotay.example.vn".to_string()),
    ]);
    let clock: app::clock::SharedClock = w.clock.clone();
    let transports = notifier::transports(&|k: &str| vars.get(k).cloned(), &clock).unwrap();
    let settings = Settings { holder: "smtp".into(), channels: notifier::channels(&transports), max_attempts: 3, ..Settings::default() };
    assert_eq!(settings.channels, vec![Channel::Email]);
    w.push(published(&w, day_time() + Duration::days(5), false)).await;
    let pass = || async { app::notify::run_pass(&w.ctx(), &settings, &transports, &mut || 0.5).await.unwrap() };
    let first = pass().await;
    assert_eq!((first.items, first.retried, first.dead), (4, 1, 0), "{first:?}");
    w.clock.advance(Duration::minutes(1));
    assert_eq!(pass().await.retried, 1, "second attempt after the first backoff (30 s ± 25 %)");
    w.clock.advance(Duration::minutes(2));
    assert_eq!(pass().await.dead, 1, "the third attempt dead-letters it");
    let failed = query(
        &w.db,
        "SELECT id, last_error FROM notification_deliveries WHERE status = 'failed'",
        vec![],
        &[("id", Col::Uuid), ("last_error", Col::Text)],
    )
    .await
    .unwrap();
    assert_eq!(failed.len(), 1);
    let Cell::Uuid(id) = failed[0][0] else { panic!("{failed:?}") };
    let sink = SmtpSink::start_on(port, &[]);
    w.clock.advance(Duration::hours(1));
    assert_eq!(pass().await.sent, 0, "a dead letter stays until someone retries it");
    assert!(storage::inbox::retry_failed(w.db.conn(), id, w.clock.now().timestamp_micros()).await.unwrap());
    assert_eq!(pass().await.sent, 1);
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["rcpt_tos"][0], "bithu@example.vn");
}

/// A required reading due within two days reminds those of its audience who have not read it; a
/// quiz on its last day reminds those who have not attempted it. Each once.
#[tokio::test]
async fn reading_and_quiz_reminders_skip_those_who_already_did_it() {
    use documents::model::{DocumentKind, DocumentStatus};
    let w = world().await;
    let today = d(2026, 12, 4);
    let doc = storage::documents::DocumentRecord {
        id: documents::DocumentId::from_uuid(Uuid::now_v7()),
        issuer_unit_id: w.commune.id,
        kind: DocumentKind::Directive,
        number: Some("05-CT/ĐU".into()),
        title: "Chỉ thị về phòng chống bão lũ".into(),
        summary: String::new(),
        body: String::new(),
        issued_on: Some(today),
        effective_on: None,
        tags: vec![],
        roles: vec![],
        status: DocumentStatus::Published,
        required: true,
        read_deadline: Some(today + Duration::days(2)),
        escalated_at: None,
        published_at: Some(day_time()),
        withdrawn_at: None,
        withdraw_reason: None,
        version: 1,
        created_by: None,
        created_at: day_time(),
        updated_at: day_time(),
    };
    storage::documents::insert(w.db.conn(), &doc, &[w.cell_a.id], &[]).await.unwrap();
    storage::documents::mark_read(w.db.conn(), doc.id, w.a[1], day_time()).await.unwrap();
    let quiz = storage::study::QuizRecord {
        id: study_points::QuizId::from_uuid(Uuid::now_v7()),
        unit_id: w.cell_a.id,
        title: "Tìm hiểu Nghị quyết Đại hội XIV".into(),
        description: String::new(),
        opens_on: today - Duration::days(10),
        closes_on: today,
        weekdays: vec![],
        daily_from: None,
        daily_to: None,
        time_limit_minutes: 20,
        max_attempts: 1,
        attempt_period: study_points::quiz::Period::Day,
        points_per_correct: 1,
        question_count: 0,
        selection: "random".into(),
        tags: vec![],
        document_ids: vec![],
        fixed_questions: vec![],
        created_by: None,
        created_at: day_time(),
    };
    storage::study::insert_quiz(w.db.conn(), &quiz).await.unwrap();
    let attempt = storage::study::AttemptRecord {
        id: study_points::AttemptId::from_uuid(Uuid::now_v7()),
        quiz_id: quiz.id,
        member_id: w.a[2],
        started_at: day_time(),
        deadline: day_time() + Duration::minutes(20),
        submitted_at: None,
        question_ids: vec![],
        version_ids: vec![],
        answers: None,
        correct_count: None,
        points: None,
    };
    storage::study::insert_attempt(w.db.conn(), &attempt).await.unwrap();
    let report = w.pass().await;
    assert_eq!(report.reminders, 2, "{report:?}");
    assert_eq!(w.pass().await.reminders, 0);
    let items = w.items().await;
    let due: HashSet<MemberId> = items.iter().filter(|(_, k)| k == "document.reading_due").map(|(m, _)| *m).collect();
    assert_eq!(due, HashSet::from([w.a[0], w.a[2], w.a[3]]), "all of cell A but the one who read it");
    let closing: HashSet<MemberId> = items.iter().filter(|(_, k)| k == "quiz.closing").map(|(m, _)| *m).collect();
    assert_eq!(closing, HashSet::from([w.a[0], w.a[1], w.a[3]]), "all of cell A but the one who attempted it");
}

/// Shutdown mid-batch: the send in flight finishes and is recorded (a slow gateway), or — a send
/// that never answers — the pass is abandoned after the grace period; either way the lease and the
/// batch's other deliveries are handed back and the next instance sends each message exactly once.
#[tokio::test]
async fn a_graceful_shutdown_finishes_the_send_in_flight_and_hands_back_the_rest() {
    // The hanging send's grace (1 s) is well above `RECORD_SENT_AFTER` (100 ms), after which a
    // send in flight records the batch's earlier successes: with a grace no longer than that, the
    // e-mail sent before the hang could be abandoned unrecorded and sent again by the next instance.
    for (behaviour, grace) in [(Behaviour::Slow, 10_000), (Behaviour::Hang, 1_000)] {
        let w = world().await;
        w.push.set(behaviour);
        w.push(published(&w, day_time() + Duration::days(5), false)).await;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let ctx = w.ctx();
        let settings = w.settings();
        let transports = w.transports();
        let poll = std::time::Duration::from_millis(20);
        let grace = std::time::Duration::from_millis(grace);
        let runner = async {
            let shutdown = async {
                let _ = stopped.await;
            };
            notifier::run::forever(&ctx, &settings, &transports, poll, None, shutdown, grace).await.unwrap();
        };
        let watcher = async {
            for _ in 0..500 {
                if !leased(&w).await.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            assert!(!leased(&w).await.is_empty(), "the batch is in flight");
            stop.send(()).unwrap();
        };
        tokio::join!(runner, watcher);
        assert_eq!(w.items().await.len(), 4);
        assert!(leased(&w).await.is_empty(), "{behaviour:?}: every leased delivery handed back");
        let leases = query(&w.db, "SELECT holder FROM worker_leases", vec![], &[("holder", Col::Text)]).await.unwrap();
        assert!(leases.is_empty(), "{leases:?}");
        let before = w.push.messages().len();
        assert!(before < 4, "{behaviour:?}: stopped before the end of the batch ({before} sent)");
        // The next instance sends what was handed back, and nothing twice.
        w.push.set(Behaviour::Accept);
        w.pass_with(&Settings { holder: "next".into(), ..w.settings() }).await;
        let keys: Vec<Uuid> = w.push.messages().iter().map(|m| m.key).collect();
        assert_eq!(keys.len(), 4, "{behaviour:?}: {keys:?}");
        assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 4, "{behaviour:?}: no push twice");
        assert_eq!(w.email.messages().len(), 1, "{behaviour:?}");
    }
}

async fn leased(w: &World) -> Vec<Vec<Cell>> {
    query(
        &w.db,
        "SELECT id FROM notification_deliveries WHERE status = 'pending' AND lease_until_us IS NOT NULL",
        vec![],
        &[("id", Col::Uuid)],
    )
    .await
    .unwrap()
}
