//! # api — the HTTP API of the electronic Party-member handbook
//!
//! An axum server over the `storage` crate. Handlers authenticate the caller, load what the
//! domain needs, let `membership` decide, and save in one transaction with an audit record.
//! The OpenAPI 3.1 document is generated from the handlers (`/api/v1/openapi.json`) and browsable
//! offline at `/docs`.

/// With the `mimalloc` feature the process allocates through mimalloc (docs/PERFORMANCE.md: how
/// the allocators compare on the load benchmark's memory figures).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod auth;
pub mod blobs;
pub mod bootstrap;
pub mod config;
pub mod edge;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod views;

/// The demo province (the `demo` crate), re-exported for the binary and tests.
pub use ::demo;
/// The benchmark dataset generator (`demo::dataset`).
pub use ::demo::dataset;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use ::app::clock::SharedClock;

use crate::config::Config;
use crate::state::AppState;

/// Top-level OpenAPI document; paths are added from the handlers.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Sổ tay đảng viên điện tử — API",
        description = "Backend of the electronic Party-member handbook: organisation tree, members (đảng viên), positions, accounts. \
Errors are RFC 9457 problem+json with a stable `code`; messages are Vietnamese by default, English with `Accept-Language: en`. \
Every response carries `X-Request-Id`: the one the request sent, or a generated UUID (quote it when reporting a problem).",
        version = "1.0.0"
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "system", description = "Liveness and readiness"),
        (name = "auth", description = "Login, logout, password, current user"),
        (name = "org-units", description = "Organisation tree (tổ chức đảng)"),
        (name = "members", description = "Members (đảng viên) and their lifecycle"),
        (name = "positions", description = "Bí thư, phó bí thư, cấp ủy viên"),
        (name = "accounts", description = "Login accounts"),
        (name = "audit", description = "Audit log"),
        (name = "meetings", description = "Cell meetings (sinh hoạt chi bộ): preparation, attendance (điểm danh), opinions, minutes (biên bản), votes"),
        (name = "meeting-reports", description = "Meeting reports to the superior unit"),
        (name = "reports", description = "Generated reports (báo cáo): cell month, activity roll-ups, membership changes, member year sheets as XLSX, CSV, HTML or PDF"),
        (name = "tasks", description = "Tasks (giao nhiệm vụ): assignment, progress, evaluation, review at meetings"),
        (name = "study", description = "Study (học tập nghị quyết): questions, quizzes, points, leaderboards"),
        (name = "documents", description = "Documents and news (văn bản, tin tức): audience, required reading, search without diacritics"),
        (name = "notifications", description = "The caller's notifications (inbox, unread count, live stream, preferences) and administrators' failed deliveries")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("Token from POST /api/v1/auth/login")).build(),
            ),
        );
    }
}

/// The router and the OpenAPI document it implements.
pub fn api_routes() -> (Router<AppState>, serde_json::Value) {
    api_routes_with(20 * 1024 * 1024)
}

/// Like [`api_routes`], with the attachment upload route accepting bodies up to
/// `max_attachment_bytes` (plus room for the multipart framing).
pub fn api_routes_with(max_attachment_bytes: usize) -> (Router<AppState>, serde_json::Value) {
    use routes::*;
    let uploads = OpenApiRouter::new().routes(routes!(documents::upload)).layer(DefaultBodyLimit::max(max_attachment_bytes + 1024 * 1024));
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(uploads)
        .routes(routes!(system::health))
        .routes(routes!(system::ready))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_all))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::me))
        .routes(routes!(units::list_top, units::create))
        .routes(routes!(units::get))
        .routes(routes!(units::children))
        .routes(routes!(units::move_unit))
        .routes(routes!(units::parents))
        .routes(routes!(members::create, members::list))
        .routes(routes!(members::import))
        .routes(routes!(members::get, members::update))
        .routes(routes!(members::create_event, members::list_events))
        .routes(routes!(positions::create, positions::list))
        .routes(routes!(positions::end))
        .routes(routes!(accounts::create))
        .routes(routes!(meetings::create, meetings::list))
        .routes(routes!(meetings::get, meetings::update))
        .routes(routes!(meetings::publish))
        .routes(routes!(meetings::open))
        .routes(routes!(meetings::end))
        .routes(routes!(meetings::cancel))
        .routes(routes!(meetings::check_in))
        .routes(routes!(meetings::set_attendance))
        .routes(routes!(meetings::get_attendance))
        .routes(routes!(meetings::put_minutes))
        .routes(routes!(meetings::approve_minutes))
        .routes(routes!(meetings::create_motion, meetings::list_motions))
        .routes(routes!(meetings::vote))
        .routes(routes!(meetings::rate, meetings::ratings))
        .routes(routes!(comments::list, comments::create))
        .routes(routes!(comments::edit))
        .routes(routes!(comments::hide))
        .routes(routes!(generated_reports::request, generated_reports::list))
        .routes(routes!(generated_reports::get))
        .routes(routes!(generated_reports::file))
        .routes(routes!(reports::send))
        .routes(routes!(reports::acknowledge))
        .routes(routes!(reports::return_report))
        .routes(routes!(reports::list))
        .routes(routes!(reports::member_history))
        .routes(routes!(reports::calendar_token))
        .routes(routes!(reports::feed))
        .routes(routes!(documents::create))
        .routes(routes!(documents::get, documents::update))
        .routes(routes!(documents::publish))
        .routes(routes!(documents::withdraw))
        .routes(routes!(documents::feed))
        .routes(routes!(documents::download))
        .routes(routes!(documents::readers))
        .routes(routes!(documents::read_stats))
        .routes(routes!(documents::add_bookmark, documents::remove_bookmark))
        .routes(routes!(documents::list_bookmarks))
        .routes(routes!(tasks::create, tasks::list))
        .routes(routes!(tasks::get, tasks::update))
        .routes(routes!(tasks::mine))
        .routes(routes!(tasks::progress))
        .routes(routes!(tasks::submit))
        .routes(routes!(tasks::evaluate))
        .routes(routes!(tasks::return_task))
        .routes(routes!(tasks::cancel))
        .routes(routes!(tasks::for_review))
        .routes(routes!(tasks::stats))
        .routes(routes!(study::create_question))
        .routes(routes!(study::get_question, study::edit_question))
        .routes(routes!(study::create_quiz))
        .routes(routes!(study::list_quizzes))
        .routes(routes!(study::start))
        .routes(routes!(study::submit))
        .routes(routes!(study::get_attempt))
        .routes(routes!(study::my_points))
        .routes(routes!(study::my_ledger))
        .routes(routes!(study::leaderboard))
        .routes(routes!(study::study_stats))
        .routes(routes!(study::adjust))
        .routes(routes!(study::adjustments))
        .routes(routes!(admins::create, admins::list))
        .routes(routes!(admins::revoke))
        .routes(routes!(audit::list))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread_count))
        .routes(routes!(notifications::read))
        .routes(routes!(notifications::read_all))
        .routes(routes!(notifications::stream))
        .routes(routes!(notifications::get_preferences, notifications::put_preferences))
        .routes(routes!(notifications::list_deliveries))
        .routes(routes!(notifications::retry_delivery))
        .split_for_parts();
    (router, openapi::finish(doc))
}

/// The OpenAPI document (also served at `/api/v1/openapi.json`), finished by [`openapi::finish`].
pub fn openapi() -> serde_json::Value {
    api_routes().1
}

/// The complete application: API routes, OpenAPI JSON, offline docs page, problem+json fallback,
/// body limit and language middleware, behind the edge ([`edge`]: request ids, access log,
/// metrics, timeout, CORS, compression, security headers). `GET /metrics` is served here unless
/// `HANDBOOK_METRICS_BIND` moves it to its own listener ([`metrics_app`]).
pub fn app(state: AppState) -> Router {
    let (router, api) = api_routes_with(state.config.max_attachment_bytes);
    let max_body = state.config.max_body_bytes;
    let docs: Router<AppState> = SwaggerUi::new("/docs").external_url_unchecked("/api/v1/openapi.json", api).into();
    let mut router = router.merge(docs.layer(edge::docs_csp()));
    if state.config.metrics_bind.is_none() {
        router = router.route("/metrics", axum::routing::get(edge::metrics));
    }
    let router = router
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge::request_timeout))
        .layer(axum::middleware::from_fn(error::localize));
    edge::wrap(router, &state).with_state(state)
}

/// The router of the separate metrics listener (`HANDBOOK_METRICS_BIND`): `GET /metrics` only.
pub fn metrics_app(state: AppState) -> Router {
    Router::new().route("/metrics", axum::routing::get(edge::metrics)).with_state(state)
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Configuration.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// Database.
    #[error(transparent)]
    Connect(#[from] storage::ConnectError),
    /// Bootstrap or demo data.
    #[error("{0}")]
    Setup(String),
    /// Listening socket.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// Connects, migrates, bootstraps an empty database and builds the shared state, on the wall
/// clock.
pub async fn prepare(config: Config) -> Result<AppState, StartError> {
    let db = open_database(&config).await?;
    prepare_with(db, config).await
}

/// The server's database: `DATABASE_URL` with its pool, and the read replica of
/// `HANDBOOK_DATABASE_REPLICA_URL` attached when set (connected lazily: a replica that is down
/// does not stop the start).
pub async fn open_database(config: &Config) -> Result<storage::Database, StartError> {
    let db = storage::Database::connect(&config.database_url, config.max_connections).await?;
    Ok(match &config.replica_url {
        // A lag-tolerant read of a request is cut at the request's own timeout.
        Some(url) => db.with_replica(
            storage::Database::connect_replica(url, config.max_connections, config.request_timeout).await?,
            config.replica_max_lag,
        ),
        None => db,
    })
}

/// Like [`prepare`] on an already opened database, on the wall clock.
pub async fn prepare_with(db: storage::Database, config: Config) -> Result<AppState, StartError> {
    prepare_with_clock(db, config, Arc::new(::app::clock::SystemClock)).await
}

/// Like [`prepare`] on an already opened database and the given clock (tests open a database per
/// test and pin the clock).
pub async fn prepare_with_clock(db: storage::Database, config: Config, clock: SharedClock) -> Result<AppState, StartError> {
    db.migrate().await?;
    bootstrap::ensure_bootstrap(&db, &config, clock.now()).await.map_err(|e| StartError::Setup(format!("bootstrap: {e}")))?;
    let hashing = ::app::accounts::PasswordHashing::new(config.password_hash_concurrency, config.password_hash_wait);
    let passwords = Arc::new(::app::accounts::Passwords::new(hashing, config.login.clone()));
    let blobs = Arc::new(blobs::LocalDir::new(config.attachments_dir.clone()));
    Ok(AppState {
        db,
        config: Arc::new(config),
        passwords,
        blobs,
        auth_cache: Arc::default(),
        clock,
        metrics: telemetry::Metrics::new(),
        points: Arc::default(),
        inbox: Arc::default(),
    })
}

/// How often expired sign-in throttle counters are deleted.
const PURGE_LOGIN_FAILURES_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Serves on `listener` until Ctrl-C / SIGTERM (and `GET /metrics` on `HANDBOOK_METRICS_BIND`
/// when set). A background task applies queued point totals (`app::points::run_applier`); on
/// PostgreSQL another listens for inbox changes and wakes the notification streams concerned
/// (`app::notify::live::listen`), and with a read replica another measures its lag every second
/// (`app::ops::watch_replica`). On SQLite another checkpoints the
/// write-ahead log every `wal_checkpoint_every` so that it stays bounded under write load;
/// another deletes expired sign-in throttle counters every five minutes.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    state.metrics.spawn_upkeep();
    tokio::spawn(::app::points::run_applier(state.ctx(), state.points.clone()));
    tokio::spawn(::app::notify::live::listen(state.db.clone(), state.inbox.clone()));
    tokio::spawn(::app::ops::watch_replica(state.db.clone()));
    let ctx = state.ctx();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_LOGIN_FAILURES_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = ::app::accounts::purge_login_failures(&ctx).await {
                tracing::warn!(error = %e, "purging expired sign-in counters failed");
            }
        }
    });
    if state.db.backend_name() == "sqlite" {
        let db = state.db.clone();
        let period = state.config.wal_checkpoint_every;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = db.checkpoint_wal().await {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        });
    }
    let metrics = match state.config.metrics_bind {
        Some(addr) => {
            let metrics_listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr} (HANDBOOK_METRICS_BIND): {e}")))?;
            tracing::info!(%addr, "metrics at http://{addr}/metrics");
            let metrics = metrics_app(state.clone());
            Some(tokio::spawn(async move { axum::serve(metrics_listener, metrics).with_graceful_shutdown(telemetry::shutdown()).await }))
        }
        None => None,
    };
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(telemetry::shutdown()).await;
    if let Some(task) = metrics {
        task.abort();
    }
    served
}
