//! `api` — runs the HTTP server, or a maintenance command.
//!
//! ```text
//! api                 migrate, bootstrap an empty database, serve
//! api --demo          same, after filling an empty database with the demo province
//! api migrate         apply pending migrations and exit
//! api migrate down    roll back every migration and exit
//! api demo            fill the demo data and exit
//! api openapi         print the OpenAPI document and exit
//! api generate --size small|province   fill an empty database with a benchmark dataset
//! api jobs task-reminders [--now T]     write due-soon (2 days) and overdue task events (outbox)
//! api jobs escalate-reading [--now T]   list unread required documents past their deadline to cell leaders (outbox)
//! api config check    print the effective configuration (secrets redacted); a bad value fails
//! api copy-data --to URL [--batch N]    copy every row of the SQLite installation into an empty database (migrated first)
//! api backup --out DIR   online backup into an empty DIR: database snapshot, attachment and report
//!                        files, manifest.json with checksums (`app::backup`)
//! api restore --from DIR verify DIR's checksums, then restore it into an empty database and the
//!                        configured attachment and report directories
//! ```
//!
//! Every command reads the time from one clock: the wall clock, or for the jobs the RFC 3339
//! instant given with `--now` (to replay a past run, e.g. `--now 2026-11-30T01:00:00+07:00`).

use std::process::ExitCode;
use std::sync::Arc;

use api::config::Config;
use app::clock::{Clock, SharedClock, SystemClock, parse_instant};

fn usage() -> &'static str {
    "usage: api [--demo] | api migrate [down] | api demo | api openapi | api jobs escalate-reading [--now RFC3339] | api jobs task-reminders [--now RFC3339] | api generate --size small|province | api config check | api copy-data --to postgres://USER@HOST/DB [--batch N] | api backup --out DIR | api restore --from DIR"
}

#[tokio::main]
async fn main() -> ExitCode {
    let logging = telemetry::LogFormat::from_env().and_then(|format| telemetry::init_logging(format, false));
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

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let config = Config::from_env().map_err(|e| format!("configuration: {e}"))?;
    let clock: SharedClock = Arc::new(SystemClock);
    match args.as_slice() {
        [] | ["serve"] => serve(config, clock, false).await,
        ["--demo"] | ["serve", "--demo"] => serve(config, clock, true).await,
        ["migrate"] | ["migrate", "up"] => {
            let db = storage::Database::connect(&config.database_url, 2).await.map_err(|e| e.to_string())?;
            db.migrate().await.map_err(|e| e.to_string())?;
            println!("migrations applied ({})", db.backend_name());
            Ok(())
        }
        ["migrate", "down"] => {
            let db = storage::Database::connect(&config.database_url, 2).await.map_err(|e| e.to_string())?;
            db.migrate_down_all().await.map_err(|e| e.to_string())?;
            println!("migrations rolled back ({})", db.backend_name());
            Ok(())
        }
        ["demo"] => {
            let state = api::prepare(config).await.map_err(|e| e.to_string())?;
            let report = api::demo::seed(&state.db, api::demo::DEFAULT_SEED, clock.now()).await.map_err(|e| e.to_string())?;
            println!("{report}");
            Ok(())
        }
        ["jobs", "escalate-reading", rest @ ..] => {
            let now = job_now(rest, clock.as_ref())?;
            let db = storage::Database::connect(&config.database_url, 2).await.map_err(|e| e.to_string())?;
            let n = app::jobs::escalate_unread(&job_ctx(db, now)).await.map_err(|e| e.to_string())?;
            println!("{n} escalation events written (as of {})", app::clock::format_instant(now));
            Ok(())
        }
        ["jobs", "task-reminders", rest @ ..] => {
            let now = job_now(rest, clock.as_ref())?;
            let db = storage::Database::connect(&config.database_url, 2).await.map_err(|e| e.to_string())?;
            let n = app::jobs::task_reminders(&job_ctx(db, now), 2).await.map_err(|e| e.to_string())?;
            println!("{n} task reminder events written (as of {})", app::clock::format_instant(now));
            Ok(())
        }
        ["generate", "--size", size] => {
            let size = api::dataset::Size::parse(size).ok_or_else(|| "size is small or province".to_string())?;
            let state = api::prepare(config).await.map_err(|e| e.to_string())?;
            let report = api::dataset::generate(&state.db, size, api::demo::DEFAULT_SEED, clock.now()).await?;
            println!("{report}");
            Ok(())
        }
        ["config", "check"] => {
            for (key, value) in config.effective() {
                println!("{key:<44} {value}");
            }
            let vars = Config::variables().map_err(|e| e.to_string())?;
            for key in api::config::unknown_variables(&vars) {
                eprintln!("warning: {key} is not a known variable (misspelt?); it is ignored");
            }
            println!("configuration valid");
            Ok(())
        }
        ["copy-data", "--to", to, rest @ ..] => copy_data(&config, to, rest).await,
        ["backup", "--out", dir] => {
            let db = app::backup::open_source(&config.database_url).await.map_err(|e| e.to_string())?;
            let manifest = app::backup::backup(&db, &config.database_url, &places(&config), clock.as_ref(), dir.as_ref())
                .await
                .map_err(|e| e.to_string())?;
            println!("{} → {dir}", manifest.summary());
            Ok(())
        }
        ["restore", "--from", dir] => {
            let restored = app::backup::restore(&config.database_url, &places(&config), dir.as_ref()).await.map_err(|e| e.to_string())?;
            println!("{restored}");
            Ok(())
        }
        ["openapi"] => {
            println!("{}", serde_json::to_string_pretty(&api::openapi()).map_err(|e| e.to_string())?);
            Ok(())
        }
        _ => Err(usage().to_string()),
    }
}

/// `api copy-data --to URL [--batch N]`: migrates a destination without tables, copies every row (see `storage::copy`), printing progress to standard error and
/// the verified tables to standard output.
async fn copy_data(config: &Config, to: &str, rest: &[&str]) -> Result<(), String> {
    let batch = match rest {
        [] => 1000,
        ["--batch", n] => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| "--batch: a number of rows from 1 to 100000".to_string())?,
        _ => return Err(usage().to_string()),
    };
    if to.contains('@') && storage::redacted_url(to) != to {
        eprintln!(
            "warning: the destination's password is on the command line, where other users can read it; leave it out of the URL and set PGPASSWORD (or ~/.pgpass) instead"
        );
    }
    // Nothing is written anywhere before both sides are known to be right: the source is an
    // existing SQLite file (never created here, never migrated here — it is a live
    // installation), and the destination is migrated only when it has no tables at all (an
    // existing database is left as it is; the copy refuses it unless it is an empty one at the
    // same migration).
    if !config.database_url.starts_with("sqlite:") {
        return Err(format!(
            "the source must be the embedded SQLite database; DATABASE_URL is {}",
            storage::redacted_url(&config.database_url)
        ));
    }
    let source = app::backup::open_source(&config.database_url).await.map_err(|e| e.to_string())?;
    let destination = storage::Database::connect(to, 2).await.map_err(|e| e.to_string())?;
    if destination.table_names().await.map_err(|e| e.to_string())?.is_empty() {
        destination.migrate().await.map_err(|e| e.to_string())?;
    }
    let started = std::time::Instant::now();
    // One line per table when it is done, and one per tenth of a large table on the way.
    let mut printed = 0u64;
    let report = storage::copy::copy_data(&source, &destination, batch, &mut |p| {
        if p.done == 0 {
            printed = 0;
        } else if p.done == p.total || (p.total >= 10_000 && p.done - printed >= p.total / 10) {
            eprintln!("{}: {}/{} rows", p.table, p.done, p.total);
            printed = p.done;
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    for t in &report.tables {
        println!("{:<28} {:>10} rows  checksum {}{}", t.table, t.rows, t.checksum, if t.derived { "  (rebuilt by triggers)" } else { "" });
    }
    println!(
        "copied {} rows in {} tables to {} in {:.1} s; row counts and checksums verified; point DATABASE_URL at it and start the API",
        report.rows(),
        report.tables.len(),
        destination.backend_name(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where the installation keeps its files, for backup and restore.
fn places(config: &Config) -> app::backup::Places {
    app::backup::Places { attachments_dir: config.attachments_dir.clone(), reports_dir: config.reports_dir.clone() }
}

/// The time a job runs as: `--now <RFC 3339>` when given, the clock otherwise.
fn job_now(args: &[&str], clock: &dyn Clock) -> Result<chrono::DateTime<chrono::Utc>, String> {
    match args {
        [] => Ok(clock.now()),
        ["--now", at] => parse_instant(at).map_err(|e| format!("--now: {e}")),
        _ => Err(usage().to_string()),
    }
}

/// A job's context: the database, and a clock standing at the instant the job runs as.
fn job_ctx(db: storage::Database, now: chrono::DateTime<chrono::Utc>) -> app::Ctx {
    app::Ctx::new(db, Arc::new(app::clock::FixedClock::new(now)))
}

async fn serve(config: Config, clock: SharedClock, demo: bool) -> Result<(), String> {
    if let Ok(vars) = Config::variables() {
        for key in api::config::unknown_variables(&vars) {
            tracing::warn!(variable = %key, "not a known variable (misspelt?); it is ignored");
        }
    }
    let bind = config.bind;
    let started = std::time::Instant::now();
    // The port first: a busy port is reported before any migration runs.
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let db = api::open_database(&config).await.map_err(|e| e.to_string())?;
    let state = api::prepare_with_clock(db, config, clock).await.map_err(|e| e.to_string())?;
    if demo {
        let report = api::demo::seed(&state.db, api::demo::DEFAULT_SEED, state.clock.now()).await.map_err(|e| e.to_string())?;
        println!("{report}");
    }
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, database = state.db.backend_name(), ready_in_ms = started.elapsed().as_millis() as u64, "listening; docs at http://{addr}/docs");
    api::serve(state, listener).await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::clock::FixedClock;
    use chrono::TimeZone;

    #[test]
    fn jobs_run_at_the_clock_or_at_the_given_instant() {
        let pinned = chrono::Utc.with_ymd_and_hms(2026, 11, 29, 21, 0, 0).unwrap();
        let clock = FixedClock::new(pinned);
        assert_eq!(job_now(&[], &clock).unwrap(), pinned);
        let replay = job_now(&["--now", "2026-11-30T01:00:00+07:00"], &clock).unwrap();
        assert_eq!(replay, chrono::Utc.with_ymd_and_hms(2026, 11, 29, 18, 0, 0).unwrap());
        assert!(job_now(&["--now", "tomorrow"], &clock).unwrap_err().contains("RFC 3339"));
        assert!(job_now(&["--now"], &clock).is_err());
        assert!(job_now(&["--later", "x"], &clock).is_err());
    }
}
