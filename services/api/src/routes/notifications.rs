//! The caller's notifications (inbox, unread count, read marks, live stream, preferences) and the
//! administrators' dead letters, over `app::notify::inbox`.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use membership::permission::Actor;
use notifications::{ChannelSwitches, PreferencesDoc, QuietHoursDoc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use app::notify::inbox::{DeliveryError, InboxError, Item, SetPreferencesError};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue, Lang};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::views::schema::{
    self, DeliveryChannelCode, DeliveryStatusCode, NotificationKindCode, NotificationObjectCode, PageLimit, TIME_OF_DAY_PATTERN,
};
use crate::views::{Page, decode_cursor, encode_cursor, page_limit};

// ---------------------------------------------------------------------------------------------
// Views

/// An inbox item, its texts in the request's language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    /// Id (time-ordered).
    pub id: Uuid,
    /// Kind, e.g. `meeting.published`.
    #[schema(value_type = NotificationKindCode)]
    pub kind: String,
    /// Title (Vietnamese; English with `Accept-Language: en`).
    #[schema(example = "Lịch sinh hoạt chi bộ tháng 12")]
    pub title: String,
    /// One or two sentences (same language as the title).
    pub body: String,
    /// API path of the linked object.
    #[schema(example = "/api/v1/meetings/0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")]
    pub link: String,
    /// Type of the linked object.
    #[schema(value_type = NotificationObjectCode)]
    pub object_type: String,
    /// Id of the linked object.
    pub object_id: Uuid,
    /// Urgent (an extraordinary meeting, a cancellation, a deadline).
    pub urgent: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the caller read it; `null` while unread.
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of inbox items.
pub type NotificationPage = Page<NotificationView>;

fn text_lang(lang: Lang) -> notifications::text::Lang {
    match lang {
        Lang::Vi => notifications::text::Lang::Vi,
        Lang::En => notifications::text::Lang::En,
    }
}

fn view(item: &Item, lang: Lang) -> NotificationView {
    let text = notifications::text::render(item.kind, &item.params, text_lang(lang));
    NotificationView {
        id: item.id,
        kind: item.kind.code().to_string(),
        title: text.title,
        body: text.body,
        link: format!("/api/v1{}", item.object_type.path(&item.object_id)),
        object_type: item.object_type.code().to_string(),
        object_id: item.object_id,
        urgent: item.urgent,
        created_at: item.created_at,
        read_at: item.read_at,
    }
}

/// The texts' language, said in `Content-Language`.
fn localized<T: IntoResponse>(lang: Lang, body: T) -> impl IntoResponse {
    ([(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()))], body)
}

/// The number of unread items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnreadCount {
    /// Unread items.
    pub unread: i64,
}

/// How many items a bulk read marked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Marked {
    /// Items that were unread and are now read.
    pub marked: u64,
}

fn inbox_error(e: InboxError) -> ApiError {
    match e {
        InboxError::NoInbox => ApiError::Forbidden,
        InboxError::NotFound => ApiError::NotFound,
        InboxError::Store(e) => e.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Inbox

/// Inbox query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only unread items.
    pub unread: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(inline, value_type = PageLimit, required = false)]
    pub limit: Option<u64>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = Page<NotificationView>, headers(("Content-Language" = String, description = "`vi` or `en`: the language of the texts"))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: the account belongs to no member")))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> ApiResult<impl IntoResponse> {
    let limit = page_limit(q.limit)?;
    let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let lang = Lang::from_headers(&headers);
    let (items, more) =
        app::notify::inbox::list(&state.ctx(), &caller.actor, q.unread.unwrap_or(false), before, limit).await.map_err(inbox_error)?;
    let next_cursor = if more { items.last().map(|i| encode_cursor(i.id)) } else { None };
    let items = items.iter().map(|i| view(i, lang)).collect();
    Ok(localized(lang, axum::Json(NotificationPage { items, next_cursor })))
}

/// The number of the caller's unread notifications.
#[utoipa::path(get, path = "/api/v1/me/notifications/unread-count", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = UnreadCount),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: the account belongs to no member")))]
pub async fn unread_count(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<UnreadCount>> {
    let unread = app::notify::inbox::unread_count(&state.ctx(), &caller.actor).await.map_err(inbox_error)?;
    Ok(axum::Json(UnreadCount { unread }))
}

/// Marks one of the caller's notifications read (again: the first read time stays).
#[utoipa::path(post, path = "/api/v1/me/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Notification id")),
    responses((status = 200, body = NotificationView, headers(("Content-Language" = String, description = "`vi` or `en`: the language of the texts"))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: the account belongs to no member"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json", description = "`not_found`: no such notification of the caller's")))]
pub async fn read(State(state): State<AppState>, caller: Caller, headers: HeaderMap, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let lang = Lang::from_headers(&headers);
    let item = app::notify::inbox::read(&state.ctx(), &caller.actor, id).await.map_err(inbox_error)?;
    // This node's streams of the member show the new count at once (read marks notify no other
    // node: their streams see it at their next look).
    if let Some(member) = caller.actor.member_id {
        state.inbox.wake(&[member]);
    }
    Ok(localized(lang, axum::Json(view(&item, lang))))
}

/// Marks all the caller's unread notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Marked),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: the account belongs to no member")))]
pub async fn read_all(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<Marked>> {
    let marked = app::notify::inbox::read_all(&state.ctx(), &caller.actor).await.map_err(inbox_error)?;
    if let Some(member) = caller.actor.member_id {
        state.inbox.wake(&[member]);
    }
    Ok(axum::Json(Marked { marked }))
}

// ---------------------------------------------------------------------------------------------
// Live stream

/// Items sent per poll at most (more follow at the next poll).
const STREAM_BATCH: u64 = 100;

/// The shortest time between two looks of one stream, however often it is woken (a broadcast's
/// fan-out wakes a member once per chunk of their cell's statement, and the notifications of
/// other members' chunks can arrive back to back).
const LOOK_GAP: Duration = Duration::from_millis(500);

struct Live {
    ctx: app::Ctx,
    /// The stored key of the caller's token: the stream ends with the session.
    session: String,
    actor: Actor,
    lang: Lang,
    poll: Duration,
    /// The longest wait between looks while the inbox listener is connected.
    idle: Duration,
    /// This stream's wake-ups.
    watch: app::notify::live::InboxWatch,
    wakes: std::sync::Arc<app::notify::live::InboxWakes>,
    /// When the stream last looked at the database (a timer for [`LOOK_GAP`], not the clock).
    looked: std::time::Instant,
    last: Option<Uuid>,
    unread: i64,
    queue: VecDeque<Event>,
}

fn unread_event(n: i64) -> Event {
    Event::default().event("unread").data(serde_json::json!({ "unread": n }).to_string())
}

impl Live {
    /// One look at the database: new items after the last one sent, and the count if it changed.
    /// False once the session has ended (signed out, expired, revoked).
    async fn poll_once(&mut self) -> bool {
        match app::accounts::session_epoch(&self.ctx, &self.session).await {
            Ok(None) => return false,
            Ok(Some(_)) => {}
            Err(e) => tracing::warn!(error = %e, "notification stream: checking the session failed"),
        }
        match app::notify::inbox::newer(&self.ctx, &self.actor, self.last, STREAM_BATCH).await {
            Ok(items) => {
                for item in &items {
                    let data = serde_json::to_string(&view(item, self.lang)).unwrap_or_default();
                    self.queue.push_back(Event::default().event("notification").id(item.id.to_string()).data(data));
                    self.last = Some(item.id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "notification stream: reading new items failed"),
        }
        match app::notify::inbox::unread_count(&self.ctx, &self.actor).await {
            Ok(n) if n != self.unread => {
                self.unread = n;
                self.queue.push_back(unread_event(n));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "notification stream: counting unread items failed"),
        }
        true
    }
}

/// Server-sent events of the caller's inbox: an `unread` event (`{"unread": n}`) on connecting,
/// then a `notification` event (the item, as in the list; its `id` is the SSE event id) for each
/// new item and a fresh `unread` event when the count changes; keep-alive comments in between.
/// On PostgreSQL the server is told of inbox changes made by any process and sends them within
/// moments; on SQLite it looks every `HANDBOOK_NOTIFICATION_STREAM_POLL_MS` (default 2000). The
/// stream ends when the session does (sign-out, expiry). A client that reconnects with
/// `Last-Event-ID` gets the items after that one.
#[utoipa::path(get, path = "/api/v1/me/notifications/stream", tag = "notifications", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "The id of the last `notification` event received, to resume after it")),
    responses((status = 200, content_type = "text/event-stream", body = String,
            description = "An event stream: `event: unread` with `{\"unread\": n}`, `event: notification` with a `NotificationView`"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: the account belongs to no member")))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let ctx = state.ctx();
    let lang = Lang::from_headers(&headers);
    // Subscribed before the first reads, so that no change after them goes unnoticed.
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    let watch = state.inbox.watch(member);
    let unread = app::notify::inbox::unread_count(&ctx, &caller.actor).await.map_err(inbox_error)?;
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| Uuid::parse_str(v.trim()).ok());
    let last = match resume {
        Some(id) => Some(id),
        None => app::notify::inbox::newest_id(&ctx, &caller.actor).await.map_err(inbox_error)?,
    };
    let session = crate::auth::session_key(&headers).ok_or(ApiError::Unauthenticated)?;
    let live = Live {
        ctx,
        session,
        actor: caller.actor,
        lang,
        poll: state.config.notification_stream_poll,
        idle: state.config.notification_stream_idle,
        watch,
        wakes: state.inbox.clone(),
        looked: std::time::Instant::now(),
        last,
        unread,
        queue: VecDeque::from([unread_event(unread)]),
    };
    let events = futures_util::stream::unfold(live, |mut live| async move {
        loop {
            if let Some(event) = live.queue.pop_front() {
                return Some((Ok(event), live));
            }
            // Woken when the member's inbox changes (PostgreSQL's listener), or after the
            // idle period; without a listener (SQLite, or while it reconnects) every poll.
            let wait = if live.wakes.listening() { live.idle } else { live.poll };
            live.watch.wait(wait).await;
            let since = live.looked.elapsed();
            if since < LOOK_GAP {
                tokio::time::sleep(LOOK_GAP - since).await;
            }
            live.looked = std::time::Instant::now();
            if !live.poll_once().await {
                return None;
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

// ---------------------------------------------------------------------------------------------
// Preferences

/// Whether a kind goes out by e-mail and by push.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelSwitchesBody {
    /// E-mail on.
    pub email: bool,
    /// Push on.
    pub push: bool,
}

/// Quiet hours: no e-mail or push in between (urgent kinds excepted); Vietnam time; may span
/// midnight.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursBody {
    /// Start, `HH:MM`.
    #[schema(schema_with = clock_time_schema)]
    pub start: String,
    /// End, `HH:MM` (not equal to the start).
    #[schema(schema_with = clock_time_schema)]
    pub end: String,
}

fn clock_time_schema() -> Object {
    schema::text(5, 5).pattern(Some(TIME_OF_DAY_PATTERN)).description(Some("`HH:MM`, Vietnam time.")).examples(["22:00"]).build()
}

/// A member's notification preferences. The inbox always receives every kind; these choose
/// e-mail and push.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    /// Channel switches per kind code (kinds not listed: both on), e.g.
    /// `{"document.published": {"email": false, "push": true}}`.
    #[serde(default)]
    #[schema(value_type = BTreeMap<NotificationKindCode, ChannelSwitchesBody>)]
    pub kinds: BTreeMap<String, ChannelSwitchesBody>,
    /// Quiet hours, or `null` (or absent) for none. Default 22:00–06:00.
    pub quiet_hours: Option<QuietHoursBody>,
    /// Low-urgency kinds by e-mail once a day instead of one e-mail each.
    pub daily_digest: bool,
    /// When the daily digest is sent, `HH:MM` Vietnam time (default 07:00).
    #[schema(schema_with = clock_time_schema)]
    pub digest_at: String,
}

impl From<PreferencesDoc> for PreferencesBody {
    fn from(d: PreferencesDoc) -> Self {
        Self {
            kinds: d.kinds.into_iter().map(|(k, s)| (k, ChannelSwitchesBody { email: s.email, push: s.push })).collect(),
            quiet_hours: d.quiet_hours.map(|q| QuietHoursBody { start: q.start, end: q.end }),
            daily_digest: d.daily_digest,
            digest_at: d.digest_at,
        }
    }
}

impl From<PreferencesBody> for PreferencesDoc {
    fn from(b: PreferencesBody) -> Self {
        Self {
            kinds: b.kinds.into_iter().map(|(k, s)| (k, ChannelSwitches { email: s.email, push: s.push })).collect(),
            quiet_hours: b.quiet_hours.map(|q| QuietHoursDoc { start: q.start, end: q.end }),
            daily_digest: b.daily_digest,
            digest_at: b.digest_at,
        }
    }
}

/// The caller's notification preferences (the defaults until saved).
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = PreferencesBody),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: the account belongs to no member")))]
pub async fn get_preferences(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<PreferencesBody>> {
    let (prefs, _) = app::notify::inbox::preferences(&state.ctx(), &caller.actor).await.map_err(inbox_error)?;
    Ok(axum::Json(prefs.to_doc().into()))
}

/// Replaces the caller's notification preferences (audited).
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "notifications", security(("bearer" = [])), request_body = PreferencesBody,
    responses((status = 200, body = PreferencesBody, description = "What is stored (times normalised)"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: the account belongs to no member"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json",
            description = "`validation_failed`: `errors[]` with `unknown_kind` (`kinds.<code>`), `invalid_time` (`quiet_hours.start`, `quiet_hours.end`, `digest_at`), `empty_quiet_hours` (`quiet_hours`)")))]
pub async fn put_preferences(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<PreferencesBody>,
) -> ApiResult<axum::Json<PreferencesBody>> {
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let prefs = app::notify::inbox::set_preferences(&state.ctx(), who, &body.into()).await.map_err(|e| match e {
        SetPreferencesError::NoInbox => ApiError::Forbidden,
        SetPreferencesError::Invalid(errors) => {
            ApiError::Validation(errors.iter().map(|e| FieldIssue::new(e.field(), e.code(), e.to_string())).collect())
        }
        SetPreferencesError::Store(e) => e.into(),
    })?;
    Ok(axum::Json(prefs.to_doc().into()))
}

// ---------------------------------------------------------------------------------------------
// Dead letters

/// Deliveries query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// Status to list (default `failed`: the dead letters).
    #[param(inline, value_type = DeliveryStatusCode, required = false)]
    pub status: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(inline, value_type = PageLimit, required = false)]
    pub limit: Option<u64>,
}

/// An e-mail or push delivery of a notification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Id.
    pub id: Uuid,
    /// The inbox item it delivers.
    pub notification_id: Uuid,
    /// The recipient.
    pub member_id: Uuid,
    /// The recipient's name.
    pub member_name: String,
    /// Channel.
    #[schema(value_type = DeliveryChannelCode)]
    pub channel: String,
    /// Status.
    #[schema(value_type = DeliveryStatusCode)]
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// The notification's kind.
    #[schema(value_type = NotificationKindCode)]
    pub kind: String,
    /// When the delivery was created.
    pub created_at: DateTime<Utc>,
    /// Not sent before this instant (quiet hours, digest, retry back-off).
    pub next_attempt_at: DateTime<Utc>,
}

impl From<&storage::inbox::DeliveryRow> for DeliveryView {
    fn from(d: &storage::inbox::DeliveryRow) -> Self {
        Self {
            id: d.id,
            notification_id: d.notification_id,
            member_id: d.member_id.as_uuid(),
            member_name: d.member_name.clone(),
            channel: d.channel.clone(),
            status: d.status.clone(),
            attempts: d.attempts,
            last_error: d.last_error.clone(),
            kind: d.kind.clone(),
            created_at: d.created_at,
            next_attempt_at: DateTime::from_timestamp_micros(d.next_attempt_us).unwrap_or(d.created_at),
        }
    }
}

/// A page of deliveries.
pub type DeliveryPage = Page<DeliveryView>;

fn delivery_error(e: DeliveryError) -> ApiError {
    match e {
        DeliveryError::Forbidden => ApiError::Forbidden,
        DeliveryError::NotFound => ApiError::NotFound,
        DeliveryError::OnMember(e) => e.into(),
        DeliveryError::NotFailed(status) => ApiError::Conflict {
            code: "delivery_not_failed",
            detail: format!("the delivery is {status}; only a failed delivery is retried"),
        },
        DeliveryError::Store(e) => e.into(),
    }
}

/// The deliveries (by default the failed ones: dead letters) of members in the subtrees the
/// caller administers, newest first.
#[utoipa::path(get, path = "/api/v1/admin/deliveries", tag = "notifications", security(("bearer" = [])), params(DeliveriesQuery),
    responses((status = 200, body = Page<DeliveryView>),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: the caller administers no unit")))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<axum::Json<DeliveryPage>> {
    let limit = page_limit(q.limit)?;
    let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let status = q.status.as_deref().unwrap_or("failed");
    if !storage::inbox::DELIVERY_STATUSES.contains(&status) {
        return Err(ApiError::BadRequest { code: "invalid_query", detail: format!("unknown status {status}") });
    }
    let (rows, more) = app::notify::inbox::deliveries(&state.ctx(), &caller.actor, status, before, limit).await.map_err(delivery_error)?;
    let next_cursor = if more { rows.last().map(|r| encode_cursor(r.id)) } else { None };
    Ok(axum::Json(DeliveryPage { items: rows.iter().map(DeliveryView::from).collect(), next_cursor }))
}

/// Puts a failed delivery back in the queue, due now, with its attempts and error cleared
/// (administrators over the recipient's cell; audited).
#[utoipa::path(post, path = "/api/v1/admin/deliveries/{id}/retry", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryView),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json",
            description = "`forbidden`: the caller administers no unit; `acting_on_self`: the caller's own delivery; `acting_on_superior`: the recipient holds a position the caller may not appoint to"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json", description = "`not_found`: no such delivery in the subtrees the caller administers"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json", description = "`delivery_not_failed`: only a failed delivery is retried")))]
pub async fn retry_delivery(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<DeliveryView>> {
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let row = app::notify::inbox::retry(&state.ctx(), who, id).await.map_err(delivery_error)?;
    Ok(axum::Json(DeliveryView::from(&row)))
}
