//! `report-generator` — the handbook's report worker.
//!
//! ```text
//! report-generator run --kind KIND --unit ID --period PERIOD --format FORMAT --out FILE [--member ID] [--now RFC3339]
//! report-generator due [--now RFC3339]
//! report-generator serve
//! ```
//!
//! `run` writes one report to FILE (a progress bar on a terminal, plain log lines otherwise);
//! `due` queues the reports the schedule says are due and not yet generated, then generates
//! everything queued (idempotent: for cron, a systemd timer or a Kubernetes CronJob); `serve`
//! keeps doing both until SIGINT/SIGTERM. Configuration by environment (the README's table):
//! `DATABASE_URL`, `HANDBOOK_DATABASE_REPLICA_URL` / `_MAX_LAG_SECS` (the figures read on a
//! streaming replica), `HANDBOOK_DATA_DIR`, `HANDBOOK_REPORTS_*`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use app::clock::{FixedClock, SharedClock, SystemClock};
use app::reports::figures::Subject;
use membership::{MemberId, UnitId};
use report_generator::config::Config;
use reports::{Format, Period, ReportKind};

const USAGE: &str = "usage:\n  report-generator run --kind cell_month|activity|membership|member_year --unit UNIT_ID --period 2026-10|2026-Q4|2026 \
                     --format xlsx|csv|html|pdf --out FILE [--member MEMBER_ID] [--now RFC3339]\n  report-generator due [--now RFC3339]\n  report-generator serve";

#[tokio::main]
async fn main() -> ExitCode {
    let logging = telemetry::LogFormat::from_env().and_then(|format| telemetry::init_logging(format, true));
    if let Err(e) = logging {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` pairs after the subcommand.
fn options(args: &[String]) -> Result<Vec<(&str, &str)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(name) = it.next() {
        let Some(flag) = name.strip_prefix("--") else { return Err(format!("unexpected argument `{name}`\n{USAGE}")) };
        let value = it.next().ok_or_else(|| format!("--{flag} needs a value\n{USAGE}"))?;
        out.push((flag, value.as_str()));
    }
    Ok(out)
}

fn clock(now: Option<&str>) -> Result<SharedClock, String> {
    Ok(match now {
        Some(text) => Arc::new(FixedClock::new(app::clock::parse_instant(text).map_err(|e| e.to_string())?)),
        None => Arc::new(SystemClock),
    })
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else { return Err(USAGE.to_string()) };
    let opts = options(rest)?;
    let get = |name: &str| opts.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let allowed: &[&str] = match command.as_str() {
        "run" => &["kind", "unit", "period", "format", "out", "member", "now"],
        "due" => &["now"],
        "serve" => &[],
        _ => return Err(USAGE.to_string()),
    };
    if let Some((k, _)) = opts.iter().find(|(k, _)| !allowed.contains(k)) {
        return Err(format!("unknown option --{k}\n{USAGE}"));
    }
    let config = Config::from_lookup(|name| std::env::var(name).ok()).map_err(|e| e.to_string())?;
    let clock = clock(get("now"))?;
    let mut db = storage::Database::connect_worker(&config.database_url, 4).await.map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    if let Some(url) = &config.replica_url {
        // A report's figures over a whole country may take minutes: statements are cut at 30.
        let replica = storage::Database::connect_replica(url, 4, std::time::Duration::from_secs(1800)).await.map_err(|e| e.to_string())?;
        db = db.with_replica(replica, config.replica_max_lag);
        // Checked every second for as long as the process runs; the figures are read on the
        // primary until the replica has been seen to replay what the primary wrote.
        tokio::spawn(app::ops::watch_replica(db.clone()));
    }
    let ctx = app::Ctx::new(db, clock);
    let generator = config.generator();
    match command.as_str() {
        "run" => {
            let need = |name: &str| get(name).ok_or_else(|| format!("--{name} is required\n{USAGE}"));
            let kind = ReportKind::from_code(need("kind")?).ok_or_else(|| format!("unknown kind\n{USAGE}"))?;
            let period = Period::parse(need("period")?).map_err(|e| e.to_string())?;
            let format = Format::from_code(need("format")?).ok_or_else(|| format!("unknown format\n{USAGE}"))?;
            let unit = UnitId::from_uuid(uuid::Uuid::parse_str(need("unit")?).map_err(|_| "--unit is not a UUID".to_string())?);
            let member = match get("member") {
                Some(m) => Some(MemberId::from_uuid(uuid::Uuid::parse_str(m).map_err(|_| "--member is not a UUID".to_string())?)),
                None => None,
            };
            if !kind.accepts(period) {
                return Err(format!("the {} report does not take the period {period}", kind.code()));
            }
            if !kind.supports(format) {
                return Err(format!("the {} report is not written as {}", kind.code(), format.code()));
            }
            let out = PathBuf::from(need("out")?);
            let subject = Subject { kind, unit, period, member };
            let started = std::time::Instant::now();
            let (checksum, size) = if std::io::stderr().is_terminal() {
                let bar = indicatif::ProgressBar::new(100);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}%")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar.set_message(format!("{} {period}", kind.code()));
                let shown = bar.clone();
                let result = app::reports::generate_to(&ctx, &subject, format, &out, &move |p| shown.set_position(u64::from(p))).await;
                bar.finish_and_clear();
                result
            } else {
                let last = std::sync::atomic::AtomicU8::new(0);
                app::reports::generate_to(&ctx, &subject, format, &out, &|p| {
                    // One log line per quarter of the work.
                    if p / 25 > last.load(std::sync::atomic::Ordering::Relaxed) / 25 {
                        last.store(p, std::sync::atomic::Ordering::Relaxed);
                        tracing::info!(progress = p, "generating");
                    }
                })
                .await
            }
            .map_err(|e| e.to_string())?;
            println!("{} {size} bytes sha256 {checksum} in {:.2} s", out.display(), started.elapsed().as_secs_f64());
        }
        "due" => {
            let (queued, done, failed) = report_generator::serve::due(&ctx, &generator, &config.schedule).await?;
            println!("queued {queued}, generated {done}, failed {failed}");
            if failed > 0 {
                return Err(format!("{failed} report(s) failed; see the log and GET /api/v1/reports/{{id}}"));
            }
        }
        _ => {
            // Kept alive while the generator serves.
            let _metrics = match config.metrics_bind {
                Some(addr) => Some(serve_metrics(addr, ctx.clone()).await?),
                None => None,
            };
            tracing::info!(instance = %generator.holder, dir = %generator.dir.display(), "report generator serving");
            report_generator::serve::forever(
                &ctx,
                &generator,
                &config.schedule,
                config.poll,
                telemetry::shutdown(),
                report_generator::serve::SHUTDOWN_GRACE,
            )
            .await?;
        }
    }
    Ok(())
}

/// Installs the process's metrics recorder and serves `GET /metrics` on `addr`, the gauges read
/// at each scrape.
async fn serve_metrics(addr: std::net::SocketAddr, ctx: app::Ctx) -> Result<tokio::task::JoinHandle<()>, String> {
    let metrics = telemetry::Metrics::new();
    metrics.install_global().map_err(|e| e.to_string())?;
    metrics.spawn_upkeep();
    let (local, task) = telemetry::serve_metrics(addr, move || {
        let (ctx, metrics) = (ctx.clone(), metrics.clone());
        async move {
            app::ops::snapshot(&ctx).await.record();
            metrics.render()
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!(addr = %local, "metrics at http://{local}/metrics");
    Ok(task)
}
