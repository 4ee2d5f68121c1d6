//! # telemetry — logs, metrics and shutdown signals of the handbook's binaries
//!
//! The three binaries (`api`, `notifier`, `report-generator`) must not depend on each other, yet
//! they log, expose metrics and stop the same way. This crate holds what they share:
//!
//! - [`LogFormat`] and [`init_logging`]: the `tracing` subscriber, human-readable by default or
//!   one JSON object per line (`HANDBOOK_LOG_FORMAT=json`) with the fields of the enclosing spans
//!   (the API's request id and route template);
//! - [`Metrics`]: a Prometheus recorder (the `metrics` facade) and its text rendering, and
//!   [`serve_metrics`], a tiny HTTP/1 listener answering `GET /metrics` for the workers;
//! - [`shutdown`]: completes on SIGINT or SIGTERM.
//!
//! It decides nothing about the handbook itself: which series exist is up to each binary.
//!
//! ```
//! let metrics = telemetry::Metrics::new();
//! metrics.with(|| metrics::counter!("jobs_total", "result" => "ok").increment(2));
//! assert!(metrics.render().contains("jobs_total{result=\"ok\"} 2"));
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// `HANDBOOK_LOG_FORMAT` names no known format.
    #[error("HANDBOOK_LOG_FORMAT={0}: expected text or json")]
    LogFormat(String),
    /// A subscriber or recorder was already installed in this process.
    #[error("{0} is already installed")]
    AlreadyInstalled(&'static str),
    /// The metrics address could not be listened on.
    #[error("cannot listen on {addr} for metrics: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A metrics address does not parse.
    #[error("{key}={value}: not a socket address (e.g. 127.0.0.1:9464)")]
    Address {
        /// The variable.
        key: &'static str,
        /// Its value.
        value: String,
    },
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields`, `span` and `spans`
    /// (the enclosing spans with their fields, e.g. `request_id`, `route`).
    Json,
}

impl LogFormat {
    /// From the value of `HANDBOOK_LOG_FORMAT`: absent or empty → text; `text` or `json` (any
    /// case); anything else is an error.
    pub fn parse(value: Option<&str>) -> Result<Self, TelemetryError> {
        match value.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(TelemetryError::LogFormat(other.to_string())),
        }
    }

    /// From the environment variable `HANDBOOK_LOG_FORMAT`.
    pub fn from_env() -> Result<Self, TelemetryError> {
        Self::parse(std::env::var("HANDBOOK_LOG_FORMAT").ok().as_deref())
    }
}

/// Installs the process's log subscriber: level filter from `RUST_LOG` (default `info`), lines in
/// `format`, on standard error when `stderr` (the report generator's `run` prints its result on
/// standard output), else on standard output.
pub fn init_logging(format: LogFormat, stderr: bool) -> Result<(), TelemetryError> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match (format, stderr) {
        (LogFormat::Text, false) => builder.try_init(),
        (LogFormat::Text, true) => builder.with_writer(std::io::stderr).try_init(),
        (LogFormat::Json, false) => builder.json().flatten_event(true).with_current_span(true).with_span_list(true).try_init(),
        (LogFormat::Json, true) => {
            builder.json().flatten_event(true).with_current_span(true).with_span_list(true).with_writer(std::io::stderr).try_init()
        }
    };
    result.map_err(|_| TelemetryError::AlreadyInstalled("a log subscriber"))
}

/// The buckets of every latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The buckets of `handbook_report_job_duration_seconds`: a province's year report takes minutes.
pub const REPORT_JOB_BUCKETS: [f64; 12] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0];

/// How often [`Metrics::spawn_upkeep`] folds recorded histogram samples into their buckets.
pub const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// A Prometheus recorder and its rendering. The API keeps one per application state (so that
/// two servers in one test process count separately) and records into it with [`Metrics::with`];
/// a worker installs it as the process's recorder with [`Metrics::install_global`].
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh recorder; histograms (names ending in `_seconds`) use [`LATENCY_BUCKETS`].
    pub fn new() -> Self {
        use metrics_exporter_prometheus::Matcher;
        // Errors only for an empty bucket list, which neither list is. A full name's buckets
        // take precedence over a suffix's.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), &LATENCY_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("handbook_report_job_duration_seconds".to_string()), &REPORT_JOB_BUCKETS))
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Self { recorder: Arc::new(recorder), handle }
    }

    /// Runs `f` with this recorder as the recorder of the `metrics` macros (`counter!`,
    /// `gauge!`, `histogram!`) called inside it.
    pub fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), f)
    }

    /// Makes this recorder the process's: `metrics` macros anywhere record into it. Once per
    /// process.
    pub fn install_global(&self) -> Result<(), TelemetryError> {
        metrics::set_global_recorder(GlobalRecorder(self.recorder.clone()))
            .map_err(|_| TelemetryError::AlreadyInstalled("a metrics recorder"))
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Starts a task (on the current Tokio runtime) that every [`UPKEEP_EVERY`] folds the
    /// histogram samples recorded since into their buckets, so that memory stays bounded when
    /// nothing scrapes `/metrics`. Once per long-running process.
    pub fn spawn_upkeep(&self) {
        let handle = self.handle.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(UPKEEP_EVERY);
            loop {
                tick.tick().await;
                handle.run_upkeep();
            }
        });
    }
}

/// The shared recorder as the global one.
struct GlobalRecorder(Arc<PrometheusRecorder>);

impl metrics::Recorder for GlobalRecorder {
    fn describe_counter(&self, key: metrics::KeyName, unit: Option<metrics::Unit>, description: metrics::SharedString) {
        self.0.describe_counter(key, unit, description);
    }
    fn describe_gauge(&self, key: metrics::KeyName, unit: Option<metrics::Unit>, description: metrics::SharedString) {
        self.0.describe_gauge(key, unit, description);
    }
    fn describe_histogram(&self, key: metrics::KeyName, unit: Option<metrics::Unit>, description: metrics::SharedString) {
        self.0.describe_histogram(key, unit, description);
    }
    fn register_counter(&self, key: &metrics::Key, metadata: &metrics::Metadata<'_>) -> metrics::Counter {
        self.0.register_counter(key, metadata)
    }
    fn register_gauge(&self, key: &metrics::Key, metadata: &metrics::Metadata<'_>) -> metrics::Gauge {
        self.0.register_gauge(key, metadata)
    }
    fn register_histogram(&self, key: &metrics::Key, metadata: &metrics::Metadata<'_>) -> metrics::Histogram {
        self.0.register_histogram(key, metadata)
    }
}

/// The content type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Reads a metrics listen address from the variable `key` (absent or empty: none).
pub fn metrics_bind(key: &'static str, value: Option<&str>) -> Result<Option<SocketAddr>, TelemetryError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| TelemetryError::Address { key, value: v.to_string() }),
    }
}

/// Binds `addr` and answers `GET /metrics` with `render()` (awaited per scrape, so gauges that
/// need a query are refreshed then) in the Prometheus text format, 404 for anything else, until
/// the returned task is aborted. Binding happens before this returns, so a busy port is a
/// start-up error.
pub async fn serve_metrics<F, Fut>(addr: SocketAddr, render: F) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), TelemetryError>
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = String> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| TelemetryError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| TelemetryError::Bind { addr, source })?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors, say: wait rather than spin.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            };
            let render = render.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let render = render.clone();
                    async move {
                        let response = if request.method() == hyper::Method::GET && request.uri().path() == "/metrics" {
                            hyper::Response::builder()
                                .header(hyper::header::CONTENT_TYPE, CONTENT_TYPE)
                                .body(http_body_util::Full::new(hyper::body::Bytes::from(render().await)))
                        } else {
                            hyper::Response::builder().status(hyper::StatusCode::NOT_FOUND).body(http_body_util::Full::default())
                        };
                        response.map_err(std::io::Error::other)
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
                    tracing::debug!(error = %e, "metrics connection");
                }
            });
        }
    });
    Ok((local, task))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_is_text_json_or_a_clear_error() {
        assert_eq!(LogFormat::parse(None).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("")).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("JSON")).unwrap(), LogFormat::Json);
        let err = LogFormat::parse(Some("yaml")).unwrap_err().to_string();
        assert_eq!(err, "HANDBOOK_LOG_FORMAT=yaml: expected text or json");
    }

    #[test]
    fn metrics_bind_is_optional_and_checked() {
        assert_eq!(metrics_bind("K", None).unwrap(), None);
        assert_eq!(metrics_bind("K", Some("127.0.0.1:9464")).unwrap(), Some("127.0.0.1:9464".parse().unwrap()));
        assert!(metrics_bind("K", Some("localhost")).unwrap_err().to_string().starts_with("K=localhost"));
    }

    #[tokio::test]
    async fn the_listener_serves_parsable_metrics() {
        let metrics = Metrics::new();
        metrics.with(|| {
            metrics::counter!("reports_total", "kind" => "cell_month", "result" => "ok").increment(3);
            metrics::histogram!("job_seconds").record(0.2);
        });
        let m = metrics.clone();
        let (addr, task) = serve_metrics("127.0.0.1:0".parse().unwrap(), move || {
            let m = m.clone();
            async move { m.render() }
        })
        .await
        .unwrap();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        task.abort();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: text/plain; version=0.0.4"), "{head}");
        // The API's tests read the format with the reference parser; here the lines themselves.
        assert!(body.lines().any(|l| l == "reports_total{kind=\"cell_month\",result=\"ok\"} 3"), "{body}");
        assert!(body.lines().any(|l| l.starts_with("job_seconds_bucket{le=\"0.25\"} 1")), "the histogram's buckets: {body}");
    }
}
