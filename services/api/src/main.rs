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
//! api jobs task-reminders     write due-soon (2 days) and overdue task events (outbox)
//! api jobs escalate-reading   list unread required documents past their deadline to cell leaders (outbox)
//! ```

use std::process::ExitCode;

use api::config::Config;

fn usage() -> &'static str {
    "usage: api [--demo] | api migrate [down] | api demo | api openapi | api jobs escalate-reading | api jobs task-reminders | api generate --size small|province"
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
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
    let config = Config::from_env().map_err(|e| e.to_string())?;
    match args.as_slice() {
        [] | ["serve"] => serve(config, false).await,
        ["--demo"] | ["serve", "--demo"] => serve(config, true).await,
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
            let report = api::demo::seed(&state.db, api::demo::DEFAULT_SEED).await.map_err(|e| e.to_string())?;
            println!("{report}");
            Ok(())
        }
        ["jobs", "escalate-reading"] => {
            let db = storage::Database::connect(&config.database_url, 2).await.map_err(|e| e.to_string())?;
            let n = api::routes::documents::escalate_unread(&db, chrono::Utc::now()).await.map_err(|e| format!("{e:?}"))?;
            println!("{n} escalation events written");
            Ok(())
        }
        ["jobs", "task-reminders"] => {
            let db = storage::Database::connect(&config.database_url, 2).await.map_err(|e| e.to_string())?;
            let n = api::routes::tasks::reminders(&db, chrono::Utc::now(), 2).await.map_err(|e| format!("{e:?}"))?;
            println!("{n} task reminder events written");
            Ok(())
        }
        ["generate", "--size", size] => {
            let size = api::dataset::Size::parse(size).ok_or_else(|| "size is small or province".to_string())?;
            let state = api::prepare(config).await.map_err(|e| e.to_string())?;
            let report = api::dataset::generate(&state.db, size, api::demo::DEFAULT_SEED).await?;
            println!("{report}");
            Ok(())
        }
        ["openapi"] => {
            println!("{}", api::openapi().to_pretty_json().map_err(|e| e.to_string())?);
            Ok(())
        }
        _ => Err(usage().to_string()),
    }
}

async fn serve(config: Config, demo: bool) -> Result<(), String> {
    let bind = config.bind;
    let started = std::time::Instant::now();
    let state = api::prepare(config).await.map_err(|e| e.to_string())?;
    if demo {
        let report = api::demo::seed(&state.db, api::demo::DEFAULT_SEED).await.map_err(|e| e.to_string())?;
        println!("{report}");
    }
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, database = state.db.backend_name(), ready_in_ms = started.elapsed().as_millis() as u64, "listening; docs at http://{addr}/docs");
    api::serve(state, listener).await.map_err(|e| e.to_string())
}
