//! Notifications: from the outbox to members' inboxes, e-mail and push.
//!
//! The notifier (`services/notifier`) runs [`run_pass`] on the clock; each pass
//! 1. runs the reminder scans ([`reminders`]): each writes its event once per occurrence (an
//!    occurrence key unique in the outbox), so a scan run twice, or on two instances, writes once;
//! 2. turns outbox events into inbox items and e-mail/push deliveries ([`process_events`]):
//!    recipients are resolved now, from the event and the organisation as of the event (a
//!    meeting's roster on its date, a document's audience narrowed to its roles, a task's
//!    assignees, the leaders of the cell or of its superior), minus members who left the Party or
//!    whose account is disabled. A large audience is processed in chunks of
//!    [`Settings::fanout_chunk`] members, one transaction each, the event remembering the last
//!    member done; the inbox's unique (event, member) key makes a repeated chunk write nothing;
//! 3. sends the due deliveries ([`deliver`]), a member's digest items as one message, with
//!    retries (exponential backoff with jitter) and a dead letter after
//!    [`Settings::max_attempts`];
//! 4. prunes processed events and finished deliveries older than the retention.
//!
//! Guarantees: never twice into the inbox (unique key); at least once to each channel. A delivery
//! is leased while it is sent; a notifier that dies mid-send leaves it to be sent again when the
//! lease ends, so an e-mail or webhook call in flight at a crash may repeat (with the same
//! delivery key: `Message-ID`, webhook `id`).

pub mod inbox;
pub mod live;
pub mod transport;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use documents::DocumentId;
use meetings::MeetingId;
use meetings::roster;
use membership::position::Role;
use membership::{MemberId, UnitId};
use notifications::text::{self, Lang, Params};
use notifications::{Channel, Kind, ObjectType, Preferences, PreferencesDoc, schedule};
use storage::StoreError;
use storage::notifications::{self as store, ClaimedDelivery, NewDelivery, NewItem, Recipient};
use tracing::{info, warn};
use uuid::Uuid;

use crate::Ctx;
use crate::events::{Event, EventError, MeetingOpened, QuizClosing, ReadingDue, ReportMissing};
use transport::{Message, MessageItem, SendError, Transports};

/// How a notifier works.
#[derive(Debug, Clone)]
pub struct Settings {
    /// This instance's name (leases and claims carry it).
    pub holder: String,
    /// The channels this notifier sends on (those with a configured transport): deliveries are
    /// created for these only.
    pub channels: Vec<Channel>,
    /// Members per fan-out transaction.
    pub fanout_chunk: u64,
    /// Deliveries claimed at a time.
    pub batch: u64,
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: u32,
    /// Failed processing attempts before an event is set aside.
    pub event_max_attempts: i32,
    /// How long a claimed delivery is reserved for this instance.
    pub lease: Duration,
    /// Processed events and sent or skipped deliveries older than this are deleted.
    pub retention: Duration,
    /// Tasks count as due soon this many days ahead.
    pub task_due_soon_days: i64,
    /// Set to ask a pass in progress to stop at the next safe point: between fan-out chunks and
    /// between messages, never in the middle of a send and its record (shared by clones).
    pub stop: Arc<AtomicBool>,
}

impl Settings {
    /// Whether a stop was asked for.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            holder: format!("notifier-{}", Uuid::now_v7().simple()),
            channels: Vec::new(),
            fanout_chunk: 2000,
            batch: 200,
            max_attempts: 8,
            event_max_attempts: 5,
            lease: Duration::minutes(5),
            retention: Duration::days(35),
            task_due_soon_days: 2,
            stop: Arc::default(),
        }
    }
}

/// Why a pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be encoded.
    #[error(transparent)]
    Event(#[from] EventError),
    /// A scheduled job failed.
    #[error(transparent)]
    Job(#[from] crate::jobs::JobError),
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Reminder events written.
    pub reminders: usize,
    /// Event chunks processed (an event of a large audience takes several).
    pub chunks: usize,
    /// Events finished.
    pub events: usize,
    /// Events that failed and were set aside.
    pub events_failed: usize,
    /// Inbox items written.
    pub items: u64,
    /// Deliveries created.
    pub deliveries: u64,
    /// Deliveries sent.
    pub sent: usize,
    /// Deliveries that failed and wait for a retry.
    pub retried: usize,
    /// Deliveries dead-lettered.
    pub dead: usize,
    /// Deliveries skipped (nothing to send on).
    pub skipped: usize,
    /// Events and deliveries pruned.
    pub pruned: (u64, u64),
}

/// One whole pass: reminders, events, sending, pruning.
pub async fn run_pass(
    ctx: &Ctx,
    settings: &Settings,
    transports: &Transports,
    jitter: &mut (dyn FnMut() -> f64 + Send),
) -> Result<PassReport, NotifyError> {
    run_pass_with(ctx, settings, transports, jitter, true).await
}

/// A pass, with the reminder scans (`scans`) or without them: the scans read every meeting,
/// document, quiz and task that might be due, so a long-running notifier runs them less often
/// than it looks for new events.
pub async fn run_pass_with(
    ctx: &Ctx,
    settings: &Settings,
    transports: &Transports,
    jitter: &mut (dyn FnMut() -> f64 + Send),
    scans: bool,
) -> Result<PassReport, NotifyError> {
    let reminders = if scans { reminders(ctx, settings).await? } else { 0 };
    let mut report = PassReport { reminders, ..PassReport::default() };
    process_events(ctx, settings, &mut report).await?;
    deliver(ctx, settings, transports, jitter, &mut report).await?;
    if scans && !settings.stopping() {
        let before = ctx.clock.now() - settings.retention;
        report.pruned = store::prune(ctx.db.conn(), before).await?;
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Reminders

/// Runs every reminder scan as of the clock. Returns the number of events written.
///
/// - a published meeting starting within 24 hours (`meeting.starting_soon`, once per meeting and
///   start time: a moved meeting is reminded again);
/// - tasks due soon and overdue ([`crate::jobs::task_reminders`]);
/// - a required reading due within two days (`document.reading_due`, once per document and
///   deadline), and the unread escalation after the deadline ([`crate::jobs::escalate_unread`]);
/// - a quiz on its last day (`quiz.closing`, once per quiz and day);
/// - a held regular meeting of last month without a report: from the 3rd to the cell's secretary
///   (`meeting.report_not_sent`), after the 5th to the superior's leaders (`meeting.report_late`),
///   once per meeting each.
pub async fn reminders(ctx: &Ctx, settings: &Settings) -> Result<usize, NotifyError> {
    let now = ctx.clock.now();
    let today = ctx.clock.today();
    let mut written = 0;
    let tx = ctx.db.begin().await?;
    for m in store::meetings_starting(tx.conn(), now, now + Duration::hours(24)).await? {
        let event = Event::MeetingStartingSoon(MeetingOpened {
            meeting_id: m.id,
            unit_id: m.unit_id.as_uuid(),
            title: m.title,
            starts_at: m.starts_at,
        });
        let key = format!("meeting.starting_soon:{}:{}", m.id, m.starts_at.timestamp());
        written += usize::from(storage::outbox::push_once(tx.conn(), &event.to_outbox(now)?, &key).await?);
    }
    for d in store::readings_due(tx.conn(), today, today + Duration::days(2)).await? {
        let event = Event::ReadingDue(ReadingDue {
            document_id: d.id,
            issuer_unit_id: d.issuer_unit_id.as_uuid(),
            title: d.title,
            number: d.number,
            read_deadline: d.read_deadline,
        });
        let key = format!("document.reading_due:{}:{}", d.id, d.read_deadline);
        written += usize::from(storage::outbox::push_once(tx.conn(), &event.to_outbox(now)?, &key).await?);
    }
    for q in store::quizzes_closing(tx.conn(), today).await? {
        let closes_at = membership::time::start_of_day(q.closes_on + Duration::days(1));
        let event = Event::QuizClosing(QuizClosing { quiz_id: q.id, unit_id: q.unit_id.as_uuid(), title: q.title, closes_at });
        let key = format!("quiz.closing:{}:{}", q.id, q.closes_on);
        written += usize::from(storage::outbox::push_once(tx.conn(), &event.to_outbox(now)?, &key).await?);
    }
    written += report_reminders(ctx, &tx, now).await?;
    tx.commit().await?;
    written += crate::jobs::task_reminders(ctx, settings.task_due_soon_days).await?;
    written += crate::jobs::escalate_unread(ctx).await?;
    Ok(written)
}

async fn report_reminders(ctx: &Ctx, tx: &storage::Tx, now: DateTime<Utc>) -> Result<usize, NotifyError> {
    use chrono::Datelike;
    let today = ctx.clock.today();
    if today.day() < meetings::report::REMINDER_DAY {
        return Ok(0);
    }
    let this_month = today.with_day(1).unwrap_or(today);
    let last_month = this_month.checked_sub_months(chrono::Months::new(1)).unwrap_or(this_month);
    let from = membership::time::start_of_day(last_month);
    let to = membership::time::start_of_day(this_month);
    let month = last_month.format("%Y-%m").to_string();
    let mut written = 0;
    for m in store::unreported_meetings(tx.conn(), from, to).await? {
        let Some(parent) = m.parent_unit_id else { continue };
        let missing = ReportMissing {
            meeting_id: m.id,
            unit_id: m.unit_id.as_uuid(),
            title: m.title,
            unit_name: m.unit_name,
            parent_unit_id: parent.as_uuid(),
            month: month.clone(),
        };
        let key = format!("meeting.report_not_sent:{}", m.id);
        written += usize::from(storage::outbox::push_once(tx.conn(), &Event::ReportNotSent(missing.clone()).to_outbox(now)?, &key).await?);
        if today.day() > meetings::report::DUE_DAY {
            let key = format!("meeting.report_late:{}", m.id);
            written += usize::from(storage::outbox::push_once(tx.conn(), &Event::ReportLate(missing).to_outbox(now)?, &key).await?);
        }
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// Events → inbox items and deliveries

/// Who an event reaches, before the standing and account filter.
enum Audience {
    /// These members.
    Members(Vec<MemberId>),
    /// Members whose home cell lies under one of `roots`, holding one of `roles` today if any are
    /// given, except those in `except`.
    Subtrees { roots: Vec<UnitId>, roles: Vec<Role>, except: Except },
}

/// Who of a subtree audience is left out.
enum Except {
    Nobody,
    /// Members who have read the document.
    Readers(DocumentId),
    /// Members who have started an attempt at the quiz.
    Attempted(Uuid),
}

/// What the items of an event say.
struct Meta {
    kind: Kind,
    object_id: Uuid,
    params: Params,
    extraordinary: bool,
}

/// Processes outbox events until none is left (each chunk its own transaction).
pub async fn process_events(ctx: &Ctx, settings: &Settings, report: &mut PassReport) -> Result<(), NotifyError> {
    while !settings.stopping() && process_chunk(ctx, settings, report).await? {}
    Ok(())
}

/// Claims the next event and processes one chunk of its recipients. Returns whether there was
/// an event.
async fn process_chunk(ctx: &Ctx, settings: &Settings, report: &mut PassReport) -> Result<bool, NotifyError> {
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    let Some(claimed) = store::claim_event(tx.conn()).await? else {
        return Ok(false);
    };
    match fan_out(ctx, &tx, &claimed, settings, now).await {
        Ok(chunk) => {
            store::advance_event(tx.conn(), claimed.id, chunk.last, chunk.done, now).await?;
            tx.commit().await?;
            report.chunks += 1;
            report.events += usize::from(chunk.done);
            report.items += chunk.items;
            report.deliveries += chunk.deliveries;
            Ok(true)
        }
        Err(error) => {
            drop(tx);
            let text = error.to_string();
            let tx = ctx.db.begin().await?;
            let set_aside = store::fail_event(tx.conn(), claimed.id, &text, settings.event_max_attempts, now).await?;
            tx.commit().await?;
            warn!(event = %claimed.id, kind = %claimed.kind, error = %text, set_aside, "notifier: event failed");
            report.events_failed += usize::from(set_aside);
            Ok(true)
        }
    }
}

struct Chunk {
    items: u64,
    deliveries: u64,
    last: Option<MemberId>,
    done: bool,
}

#[derive(Debug, thiserror::Error)]
enum FanOutError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Event(#[from] EventError),
    #[error("payload is not JSON: {0}")]
    Json(#[from] serde_json::Error),
}

async fn fan_out(
    ctx: &Ctx,
    tx: &storage::Tx,
    claimed: &store::ClaimedEvent,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Chunk, FanOutError> {
    let payload: serde_json::Value = serde_json::from_str(&claimed.payload)?;
    let event = Event::from_parts(&claimed.kind, &payload)?;
    let (meta, audience) = resolve(ctx, &event).await?;
    let limit = settings.fanout_chunk.max(1);
    let after = claimed.fanout_after;
    let (recipients, last, done) = match audience {
        Audience::Members(mut ids) => {
            ids.sort();
            ids.dedup();
            let rest: Vec<MemberId> = ids.into_iter().filter(|m| after.is_none_or(|a| *m > a)).collect();
            let take = usize::try_from(limit).unwrap_or(usize::MAX).min(rest.len());
            let page = &rest[..take];
            (store::recipients(ctx.db.conn(), page).await?, page.last().copied(), take == rest.len())
        }
        Audience::Subtrees { roots, roles, except } => {
            let page = store::recipients_in_subtrees(ctx.db.conn(), &roots, after, limit).await?;
            let last = page.last().map(|r| r.id);
            let done = (page.len() as u64) < limit;
            let ids: Vec<MemberId> = page.iter().map(|r| r.id).collect();
            let holders: Option<HashSet<MemberId>> = if roles.is_empty() {
                None
            } else {
                let today = ctx.clock.today();
                Some(
                    storage::positions::for_members(ctx.db.conn(), &ids)
                        .await?
                        .into_iter()
                        .filter(|p| p.is_active_on(today) && roles.contains(&p.role))
                        .map(|p| p.member_id)
                        .collect(),
                )
            };
            let excluded: HashSet<MemberId> = match except {
                Except::Nobody => HashSet::new(),
                Except::Readers(doc) => storage::documents::receipts(ctx.db.conn(), doc, &ids).await?.into_iter().map(|(m, _)| m).collect(),
                Except::Attempted(quiz) => store::attempted(ctx.db.conn(), quiz, &ids).await?,
            };
            let page =
                page.into_iter().filter(|r| holders.as_ref().is_none_or(|h| h.contains(&r.id)) && !excluded.contains(&r.id)).collect();
            (page, last, done)
        }
    };
    let (items, deliveries) = write_items(ctx, tx, claimed, &meta, &recipients, settings, now).await?;
    Ok(Chunk { items, deliveries, last, done })
}

async fn write_items(
    ctx: &Ctx,
    tx: &storage::Tx,
    claimed: &store::ClaimedEvent,
    meta: &Meta,
    recipients: &[Recipient],
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<(u64, u64), FanOutError> {
    if recipients.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<MemberId> = recipients.iter().map(|r| r.id).collect();
    let existing = store::items_of_event(tx.conn(), claimed.id, &ids).await?;
    let fresh: Vec<&Recipient> = recipients.iter().filter(|r| !existing.contains(&r.id)).collect();
    if fresh.is_empty() {
        return Ok((0, 0));
    }
    let prefs = preferences(ctx, &fresh.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let params = serde_json::to_string(&meta.params)?;
    let urgent = meta.kind.urgency(meta.extraordinary) == notifications::Urgency::Urgent;
    let mut items = Vec::with_capacity(fresh.len());
    let mut deliveries = Vec::new();
    for r in fresh {
        let id = Uuid::now_v7();
        items.push(NewItem {
            id,
            member_id: r.id,
            event_id: claimed.id,
            kind: meta.kind.code().to_string(),
            object_type: meta.kind.object_type().code().to_string(),
            object_id: meta.object_id,
            params: params.clone(),
            urgent,
            created_at: now,
        });
        let p = prefs.get(&r.id).cloned().unwrap_or_default();
        for &channel in &settings.channels {
            if !p.allows(meta.kind, channel) || (channel == Channel::Email && r.email.is_none()) {
                continue;
            }
            let at = schedule::send_at(now, &p, meta.kind, meta.extraordinary, channel);
            deliveries.push(NewDelivery {
                id: Uuid::now_v7(),
                notification_id: id,
                member_id: r.id,
                channel: channel.code(),
                digest: schedule::in_digest(&p, meta.kind, meta.extraordinary, channel),
                next_attempt_us: at.timestamp_micros(),
                created_at: now,
            });
        }
    }
    let written = store::insert_items(tx.conn(), &items).await?;
    let sent = store::insert_deliveries(tx.conn(), &deliveries).await?;
    Ok((written, sent))
}

/// The saved preferences of `members` (defaults for the others; a stored document that no longer
/// parses counts as the defaults).
async fn preferences(ctx: &Ctx, members: &[MemberId]) -> Result<HashMap<MemberId, Preferences>, StoreError> {
    let mut out = HashMap::new();
    for chunk in members.chunks(500) {
        for (member, settings) in store::preferences_of(ctx.db.conn(), chunk).await? {
            let parsed = serde_json::from_str::<PreferencesDoc>(&settings).ok().and_then(|doc| Preferences::parse(&doc).ok());
            out.insert(member, parsed.unwrap_or_default());
        }
    }
    Ok(out)
}

/// The leaders (holding one of `roles` today) of `unit`.
async fn leaders(ctx: &Ctx, unit: UnitId, roles: &[Role]) -> Result<Vec<MemberId>, StoreError> {
    let today = ctx.clock.today();
    Ok(storage::positions::for_unit(ctx.db.conn(), unit)
        .await?
        .into_iter()
        .filter(|p| p.is_active_on(today) && roles.contains(&p.role))
        .map(|p| p.member_id)
        .collect())
}

/// The obliged members and guests of the cell's roster on the meeting's date.
async fn meeting_roster(ctx: &Ctx, cell: Uuid, starts_at: DateTime<Utc>) -> Result<Vec<MemberId>, StoreError> {
    let cell = UnitId::from_uuid(cell);
    let candidates = crate::meetings::roster_candidates(ctx, cell).await?;
    let date = membership::time::local_date(starts_at);
    Ok(roster::roster(cell, date, &candidates).into_iter().map(|l| l.member_id).collect())
}

const LEADERS: [Role; 2] = [Role::Secretary, Role::DeputySecretary];

fn roles_of(codes: &[String]) -> Vec<Role> {
    Role::ALL.into_iter().filter(|r| codes.iter().any(|c| c == r.code())).collect()
}

async fn unit_name(ctx: &Ctx, unit: Uuid) -> Result<Option<String>, StoreError> {
    match storage::units::get(ctx.db.conn(), UnitId::from_uuid(unit)).await {
        Ok(u) => Ok(Some(u.name)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn meeting_title(ctx: &Ctx, meeting: Uuid) -> Result<String, StoreError> {
    match storage::meetings::get(ctx.db.conn(), MeetingId::from_uuid(meeting)).await {
        Ok(m) => Ok(m.title),
        Err(StoreError::NotFound) => Ok(String::new()),
        Err(e) => Err(e),
    }
}

/// What an event says and whom it reaches.
async fn resolve(ctx: &Ctx, event: &Event) -> Result<(Meta, Audience), StoreError> {
    let meta = |kind: Kind, object_id: Uuid, params: Params| Meta { kind, object_id, extraordinary: params.extraordinary, params };
    Ok(match event {
        Event::MeetingPublished(e) => (
            meta(
                Kind::MeetingPublished,
                e.meeting_id,
                Params { title: e.title.clone(), starts_at: Some(e.starts_at), extraordinary: e.extraordinary, ..Params::default() },
            ),
            Audience::Members(meeting_roster(ctx, e.unit_id, e.starts_at).await?),
        ),
        Event::MeetingOpened(e) | Event::MeetingStartingSoon(e) => {
            let kind = if matches!(event, Event::MeetingOpened(_)) { Kind::MeetingOpened } else { Kind::MeetingStartingSoon };
            (
                meta(kind, e.meeting_id, Params { title: e.title.clone(), starts_at: Some(e.starts_at), ..Params::default() }),
                Audience::Members(meeting_roster(ctx, e.unit_id, e.starts_at).await?),
            )
        }
        Event::MeetingCancelled(e) => (
            meta(
                Kind::MeetingCancelled,
                e.meeting_id,
                Params { title: e.title.clone(), starts_at: Some(e.starts_at), reason: Some(e.reason.clone()), ..Params::default() },
            ),
            Audience::Members(meeting_roster(ctx, e.unit_id, e.starts_at).await?),
        ),
        Event::MeetingRescheduled(e) => {
            // Those obliged on either date hear of the move.
            let mut members = meeting_roster(ctx, e.unit_id, e.starts_at).await?;
            members.extend(meeting_roster(ctx, e.unit_id, e.previous_starts_at).await?);
            (
                meta(
                    Kind::MeetingRescheduled,
                    e.meeting_id,
                    Params { title: e.title.clone(), starts_at: Some(e.starts_at), ..Params::default() },
                ),
                Audience::Members(members),
            )
        }
        Event::ReportSubmitted(e) => (
            meta(
                Kind::ReportSubmitted,
                e.report_id,
                Params { title: meeting_title(ctx, e.meeting_id).await?, unit_name: unit_name(ctx, e.unit_id).await?, ..Params::default() },
            ),
            Audience::Members(leaders(ctx, UnitId::from_uuid(e.parent_unit_id), &LEADERS).await?),
        ),
        Event::ReportReturned(e) => (
            meta(
                Kind::ReportReturned,
                e.report_id,
                Params { title: meeting_title(ctx, e.meeting_id).await?, reason: Some(e.comment.clone()), ..Params::default() },
            ),
            Audience::Members(leaders(ctx, UnitId::from_uuid(e.unit_id), &LEADERS).await?),
        ),
        Event::ReportNotSent(e) | Event::ReportLate(e) => {
            let late = matches!(event, Event::ReportLate(_));
            let params = Params {
                title: e.title.clone(),
                unit_name: Some(e.unit_name.clone()),
                month: Some(month_vn(&e.month)),
                ..Params::default()
            };
            let audience = if late {
                leaders(ctx, UnitId::from_uuid(e.parent_unit_id), &LEADERS).await?
            } else {
                leaders(ctx, UnitId::from_uuid(e.unit_id), &[Role::Secretary]).await?
            };
            (meta(if late { Kind::ReportLate } else { Kind::ReportNotSent }, e.meeting_id, params), Audience::Members(audience))
        }
        Event::DocumentPublished(e) => (
            meta(
                Kind::DocumentPublished,
                e.document_id,
                Params {
                    title: e.title.clone(),
                    number: e.number.clone(),
                    required: e.required,
                    due_on: e.read_deadline,
                    ..Params::default()
                },
            ),
            Audience::Subtrees {
                roots: e.audience_unit_ids.iter().copied().map(UnitId::from_uuid).collect(),
                roles: roles_of(&e.roles),
                except: Except::Nobody,
            },
        ),
        Event::ReadingDue(e) => {
            let doc = DocumentId::from_uuid(e.document_id);
            let roles = match storage::documents::get(ctx.db.conn(), doc).await {
                Ok(d) => d.roles,
                Err(StoreError::NotFound) => Vec::new(),
                Err(other) => return Err(other),
            };
            (
                meta(
                    Kind::DocumentReadingDue,
                    e.document_id,
                    Params {
                        title: e.title.clone(),
                        number: e.number.clone(),
                        required: true,
                        due_on: Some(e.read_deadline),
                        ..Params::default()
                    },
                ),
                Audience::Subtrees { roots: storage::documents::audience(ctx.db.conn(), doc).await?, roles, except: Except::Readers(doc) },
            )
        }
        Event::UnreadEscalation(e) => (
            meta(
                Kind::UnreadEscalation,
                e.document_id,
                Params {
                    title: e.title.clone(),
                    due_on: e.read_deadline,
                    unread_count: Some(u32::try_from(e.unread_member_ids.len()).unwrap_or(u32::MAX)),
                    ..Params::default()
                },
            ),
            Audience::Members(leaders(ctx, UnitId::from_uuid(e.cell_id), &LEADERS).await?),
        ),
        Event::TaskAssigned(e) | Event::TaskDueSoon(e) | Event::TaskOverdue(e) => {
            let kind = match event {
                Event::TaskAssigned(_) => Kind::TaskAssigned,
                Event::TaskDueSoon(_) => Kind::TaskDueSoon,
                _ => Kind::TaskOverdue,
            };
            (
                meta(kind, e.task_id, Params { title: e.title.clone(), due_on: Some(e.due_on), ..Params::default() }),
                Audience::Members(e.assignee_ids.iter().copied().map(MemberId::from_uuid).collect()),
            )
        }
        Event::QuizClosing(e) => (
            meta(Kind::QuizClosing, e.quiz_id, Params { title: e.title.clone(), closes_at: Some(e.closes_at), ..Params::default() }),
            Audience::Subtrees { roots: vec![UnitId::from_uuid(e.unit_id)], roles: Vec::new(), except: Except::Attempted(e.quiz_id) },
        ),
        Event::ReportGenerated(e) => {
            // The member behind the requesting account; a scheduled report (no requester) or an
            // administrator's account without a member tells nobody.
            let requester = match e.requested_by {
                Some(account) => match storage::accounts::get(ctx.db.conn(), membership::AccountId::from_uuid(account)).await {
                    Ok(a) => a.member_id,
                    Err(StoreError::NotFound) => None,
                    Err(other) => return Err(other),
                },
                None => None,
            };
            let title = match (reports::ReportKind::from_code(&e.kind), reports::Period::parse(&e.period)) {
                (Some(kind), Ok(period)) => format!("{} {} ({})", kind.title_vi(), period.label_vi(), e.format.to_uppercase()),
                _ => format!("{} {}", e.kind, e.period),
            };
            (
                meta(
                    Kind::ReportGenerated,
                    e.report_id,
                    Params { title, unit_name: unit_name(ctx, e.unit_id).await?, ..Params::default() },
                ),
                Audience::Members(requester.into_iter().collect()),
            )
        }
    })
}

/// `2026-11` → `11/2026`.
fn month_vn(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) => format!("{m}/{y}"),
        None => month.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Sending

/// Sends due deliveries until none is left (or a stop is asked for: see [`Settings::stop`]): claims a batch (leased to this instance), groups a
/// member's digest items into one message, sends each message on its channel, and records the
/// result (sent; failed with a retry time; dead-lettered after `max_attempts`, or at once for a
/// permanent failure; skipped when there is nothing to send on). `jitter` gives numbers in
/// [0, 1) that spread retries.
pub async fn deliver(
    ctx: &Ctx,
    settings: &Settings,
    transports: &Transports,
    jitter: &mut (dyn FnMut() -> f64 + Send),
    report: &mut PassReport,
) -> Result<(), NotifyError> {
    loop {
        if settings.stopping() {
            return Ok(());
        }
        let now = ctx.clock.now();
        let until = now + settings.lease;
        let tx = ctx.db.begin().await?;
        let claimed =
            store::claim_deliveries(tx.conn(), now.timestamp_micros(), until.timestamp_micros(), &settings.holder, settings.batch).await?;
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok(());
        }
        // Sent marks are written together at the end of the batch (one statement, not one per
        // message); a crash before that leaves them to be sent again, like any send in flight.
        let mut sent: Vec<Uuid> = Vec::new();
        for message in messages(claimed) {
            if settings.stopping() {
                // The rest of the batch stays leased to this instance until `release`.
                break;
            }
            let channel = message.channel;
            let transport = match channel {
                Channel::Email => transports.email.as_deref(),
                Channel::Push => transports.push.as_deref(),
            };
            let result = match (transport, channel, &message.message.email) {
                (None, _, _) => Err(Outcome::Skip("channel not configured")),
                (_, Channel::Email, None) => Err(Outcome::Skip("no e-mail address on record")),
                (Some(t), _, _) => {
                    let send = t.send(&message.message);
                    tokio::pin!(send);
                    // A send that takes a while (a slow server, one that never answers) first
                    // records the batch's earlier successes, so that a pass abandoned in it does
                    // not send them again.
                    let result = tokio::select! {
                        r = &mut send => r,
                        () = tokio::time::sleep(RECORD_SENT_AFTER), if !sent.is_empty() => {
                            mark_all_sent(ctx, settings, &mut sent).await?;
                            send.await
                        }
                    };
                    result.map_err(Outcome::Failed)
                }
            };
            let ids = &message.message.delivery_ids;
            let now = ctx.clock.now();
            let counted = match &result {
                Ok(()) => "sent",
                Err(Outcome::Skip(_)) => "skipped",
                Err(Outcome::Failed(_)) => "failed",
            };
            metrics::counter!("handbook_notifier_deliveries_total", "channel" => channel.code(), "result" => counted)
                .increment(u64::try_from(ids.len()).unwrap_or(u64::MAX));
            match result {
                Ok(()) => {
                    sent.extend_from_slice(ids);
                    report.sent += ids.len();
                }
                Err(Outcome::Skip(why)) => {
                    store::mark_skipped(ctx.db.conn(), ids, &settings.holder, why).await?;
                    report.skipped += ids.len();
                }
                Err(Outcome::Failed(error)) => {
                    let failures = message.message.attempt;
                    let retry = match &error {
                        SendError::Temporary(_) if failures < settings.max_attempts => {
                            Some(schedule::retry_at(now, failures, jitter()).timestamp_micros())
                        }
                        _ => None,
                    };
                    store::mark_failed(ctx.db.conn(), ids, &settings.holder, &error.to_string(), retry).await?;
                    if retry.is_some() {
                        report.retried += ids.len();
                    } else {
                        report.dead += ids.len();
                        warn!(key = %message.message.key, channel = channel.code(), error = %error, "notifier: delivery dead-lettered");
                    }
                }
            }
        }
        mark_all_sent(ctx, settings, &mut sent).await?;
        if settings.stopping() {
            return Ok(());
        }
    }
}

/// How long a send may be in flight before the batch's earlier successes are recorded (so that a
/// pass abandoned in a send that never answers does not send them again). A shutdown's grace
/// period must be longer than this for that record to be written.
pub const RECORD_SENT_AFTER: std::time::Duration = std::time::Duration::from_millis(100);

/// Records `sent` as sent and empties it.
async fn mark_all_sent(ctx: &Ctx, settings: &Settings, sent: &mut Vec<Uuid>) -> Result<(), StoreError> {
    for chunk in sent.chunks(500) {
        store::mark_sent(ctx.db.conn(), chunk, &settings.holder, ctx.clock.now()).await?;
    }
    sent.clear();
    Ok(())
}

enum Outcome {
    Skip(&'static str),
    Failed(SendError),
}

struct Outgoing {
    channel: Channel,
    message: Message,
}

/// Groups claimed deliveries into messages: one per delivery, except a member's digest items on
/// a channel, which go as one.
fn messages(claimed: Vec<ClaimedDelivery>) -> Vec<Outgoing> {
    let mut singles = Vec::new();
    let mut digests: BTreeMap<(MemberId, String), Vec<ClaimedDelivery>> = BTreeMap::new();
    for d in claimed {
        if d.digest {
            digests.entry((d.member_id, d.channel.clone())).or_default().push(d);
        } else {
            singles.push(vec![d]);
        }
    }
    singles
        .into_iter()
        .chain(digests.into_values())
        .filter_map(|group| {
            let first = group.first()?;
            let channel = Channel::parse(&first.channel)?;
            let message = Message {
                key: first.id,
                delivery_ids: group.iter().map(|d| d.id).collect(),
                member_id: first.member_id,
                email: first.email.clone(),
                digest: first.digest,
                attempt: u32::try_from(group.iter().map(|d| d.attempts).max().unwrap_or(0)).unwrap_or(0) + 1,
                items: group.iter().filter_map(message_item).collect(),
            };
            Some(Outgoing { channel, message })
        })
        .collect()
}

fn message_item(d: &ClaimedDelivery) -> Option<MessageItem> {
    let kind = Kind::parse(&d.kind)?;
    let params: Params = serde_json::from_str(&d.params).unwrap_or_default();
    let vi = text::render(kind, &params, Lang::Vi);
    let en = text::render(kind, &params, Lang::En);
    let link = ObjectType::parse(&d.object_type).map(|o| o.path(&d.object_id)).unwrap_or_default();
    Some(MessageItem {
        notification_id: d.notification_id,
        kind,
        title: vi.title,
        body: vi.body,
        title_en: en.title,
        body_en: en.body,
        link,
        created_at: d.created_at,
        urgent: kind.urgency(params.extraordinary) == notifications::Urgency::Urgent,
    })
}

// ---------------------------------------------------------------------------------------------
// Single instance on SQLite, shutdown

/// The lease a notifier holds on SQLite (one instance at a time).
pub const LEASE_NAME: &str = "notifier";

/// Takes or renews the single-instance lease for `ttl`. `Ok(None)` when this instance holds it;
/// `Ok(Some((holder, until)))` when another instance does.
pub async fn hold_lease(ctx: &Ctx, settings: &Settings, ttl: Duration) -> Result<Option<(String, DateTime<Utc>)>, NotifyError> {
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    let got = store::acquire_lease(tx.conn(), LEASE_NAME, &settings.holder, now.timestamp_micros(), (now + ttl).timestamp_micros()).await?;
    tx.commit().await?;
    Ok(got.err().map(|(holder, until)| (holder, DateTime::<Utc>::from_timestamp_micros(until).unwrap_or(now))))
}

/// Gives back what this instance holds: its unfinished deliveries and the lease.
pub async fn release(ctx: &Ctx, settings: &Settings) -> Result<u64, NotifyError> {
    let released = store::release_deliveries(ctx.db.conn(), &settings.holder).await?;
    store::release_lease(ctx.db.conn(), LEASE_NAME, &settings.holder).await?;
    info!(holder = %settings.holder, released, "notifier: released its deliveries and lease");
    Ok(released)
}
